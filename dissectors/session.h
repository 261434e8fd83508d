/* session.h: what every dissector shares about one mail session.
 *
 * A session is created by the analyzer when a flow on a mail port opens,
 * and gets the flow's bytes per direction, in order, with explicit gaps.
 * Dissectors report through the helpers below, which fill the common
 * event fields; they never format output themselves.
 */
#ifndef MS_SESSION_H
#define MS_SESSION_H

#include <stdarg.h>

#include "dissectors/community_id.h"
#include "dissectors/config.h"
#include "dissectors/event.h"
#include "dissectors/message.h"

typedef struct ms_session ms_session;

/* One protocol's entry points; the analyzer calls them. */
typedef struct ms_dissector_ops {
	/* Allocates the protocol state; NULL when out of memory. */
	void *(*create)(ms_session *s);
	void (*data)(ms_session *s, void *st, ms_dir dir, const uint8_t *p,
	             size_t n, ms_time ts);
	void (*gap)(ms_session *s, void *st, ms_dir dir, uint64_t n,
	            ms_time ts);
	/* The connection is over: report what is still open, and fill the
	 * protocol's part of session_end. */
	void (*end)(ms_session *s, void *st, ms_ev_session_end *end,
	            ms_time ts);
	void (*destroy)(void *st);
} ms_dissector_ops;

extern const ms_dissector_ops ms_pop3_ops;
extern const ms_dissector_ops ms_smtp_ops;
extern const ms_dissector_ops ms_imap_ops;

struct ms_session {
	uint64_t id;
	ms_proto proto;
	char community_id[MS_COMMUNITY_ID_LEN];
	const ms_config *cfg;
	ms_emit_fn emit;
	void *emit_user;
	ms_time start, last;
	bool midstream;
	/* Encrypted from here on: bytes are counted, not parsed. */
	bool tls;
	/* STARTTLS/STLS was accepted: the client's next bytes decide. */
	const char *tls_pending;
	/* Set by a dissector when the protocol said goodbye ("quit"). */
	const char *end_reason;
	char *user; /* the last successful login's user (at most 255
	       bytes), allocated with the first */
	size_t user_len;
	uint64_t bytes[2], tls_bytes;
	uint64_t commands, messages, gaps, gap_bytes, anomalies;
	ms_message msg;
	const ms_dissector_ops *ops;
	void *state;
};

/* Frees what the session owns (the protocol state, the message stage,
 * the login name), not the session itself. */
void ms_session_release(ms_session *s);

/* Fills type-independent fields (session, proto, community_id, ts) and
 * hands the event to the sink. */
void ms_session_emit(ms_session *s, ms_event *ev, ms_event_type type,
                     ms_time ts);
void ms_session_anomaly(ms_session *s, ms_time ts, ms_dir dir, const char *code,
                        const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
void ms_session_state(ms_session *s, ms_time ts, const char *from,
                      const char *to, ms_str cause);
/* Encryption starts (STARTTLS/STLS accepted and TLS seen, or implicit). */
void ms_session_start_tls(ms_session *s, ms_time ts, const char *trigger);
/* The server accepted STARTTLS/STLS (RFC 3207 §4, RFC 2595 §4). Whether
 * encryption really starts is decided by the client's next bytes: a TLS
 * handshake record starts it; clear text (a decrypting middlebox, a
 * client that changed its mind) is an anomaly and parsing goes on. */
void ms_session_expect_tls(ms_session *s, const char *trigger);
/* Called with the client's bytes while a TLS start is pending; returns
 * true when encryption started with them. */
bool ms_session_check_tls(ms_session *s, const uint8_t *p, size_t n,
                          ms_time ts);
/* A protocol line for the transcript; a no-op unless lines are wanted. */
void ms_session_line(ms_session *s, ms_time ts, ms_dir dir, ms_line_kind kind,
                     const char *p, size_t len, size_t redact_from,
                     bool bare_lf);

#endif
