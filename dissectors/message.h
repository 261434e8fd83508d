/* message.h: the message stage every dissector hands message bytes to.
 *
 * A dissector calls ms_message_begin, then ms_message_data with the
 * message's bytes (already dot-unstuffed, in any split), ms_message_gap
 * for bytes known to be missing, and ms_message_end. The stage hashes the
 * bytes as they stream (SHA-256 through EVP), keeps the header block up
 * to a bound, and on end parses the header fields an analyst asks for
 * (RFC 5322 §2.2.3 unfolding). It never holds the whole message.
 */
#ifndef MS_MESSAGE_H
#define MS_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissectors/event.h"
#include "dissectors/mime.h"
#include "dissectors/rfc2047.h"

#define MS_MAX_ADDR_FIELDS 64

/* Receives the message's bytes as they are hashed (for extraction). */
typedef void (*ms_message_data_fn)(void *user, const uint8_t *p, size_t n);

typedef struct ms_message {
	/* permanent: allocated once per session, reused per message */
	void *sha;                  /* EVP_MD_CTX */
	ms_message_data_fn on_data; /* NULL unless a sink wants the bytes */
	void *on_data_user;
	/* MIME parts and anomalies go here (the session's reporting) */
	const ms_mime_callbacks *part_cb;
	void *part_user;
	/* allocated at the session's first message, not before: most
	 * sessions carry none */
	ms_mime *mime;
	ms_rfc2047 *words;
	char *dec; /* decoded header values */
	size_t dec_used;
	char *hdr;
	size_t hdr_max;
	/* reset by ms_message_begin */
	size_t hdr_len;
	bool in_headers;    /* still inside the header block */
	bool hdr_truncated; /* the block was longer than hdr_max */
	bool active;
	bool ready; /* hashing and decoding (not when out of memory) */
	/* Set by the dissector after begin when the transfer carries only
	 * part of the message (POP3 TOP, an IMAP partial FETCH): its cut
	 * MIME structure is expected, not an anomaly. */
	bool cut;
	uint64_t size, missing;
	ms_headers headers;
	ms_str *addrs;      /* To then Cc, MS_MAX_ADDR_FIELDS each */
	bool words_flagged; /* a bad encoded word was reported */
} ms_message;

/* Returns 0, or -1 when out of memory. */
int ms_message_init(ms_message *m, size_t max_header);
void ms_message_free(ms_message *m);

void ms_message_begin(ms_message *m);
void ms_message_data(ms_message *m, const uint8_t *p, size_t n);
void ms_message_gap(ms_message *m, uint64_t n);
/* Finishes the hash and the MIME parts, parses the headers (RFC 2047
 * words decoded to UTF-8) into ev's size, sha256, complete,
 * missing_bytes, headers and parts. Returns true when the header block
 * was longer than the bound (the caller reports header_too_long). */
bool ms_message_end(ms_message *m, ms_ev_message *ev);

#endif
