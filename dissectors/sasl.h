/* sasl.h: what a SASL exchange reveals about who logged in.
 * Shared by POP3 AUTH (RFC 5034), SMTP AUTH (RFC 4954) and IMAP
 * AUTHENTICATE (RFC 3501 §6.2.2). */
#ifndef MS_SASL_H
#define MS_SASL_H

#include <stddef.h>

#include "dissectors/event.h"

/* Decodes base64 (RFC 4648 §4) into out; returns the length, or -1 when
 * the input is not base64 or does not fit. */
long ms_base64_decode(const char *in, size_t n, char *out, size_t cap);

typedef struct ms_sasl_result {
	const char *mechanism; /* canonical upper-case name */
	ms_str user, password;
} ms_sasl_result;

/* Interprets a mechanism's client responses (base64, as sent; the initial
 * response first when there was one). Decoded text lands in buf, which
 * the result's strings point into. PLAIN (RFC 4616), LOGIN
 * (draft-murchison-sasl-login), CRAM-MD5 (RFC 2195: user only) and
 * XOAUTH2 (user only) are understood; other mechanisms keep their name. */
void ms_sasl_decode(ms_str mechanism, const ms_str *responses, size_t n,
                    char *buf, size_t cap, ms_sasl_result *out);

#define MS_SASL_RESPONSES    4
#define MS_SASL_RESPONSE_MAX 1024

/* The client's side of one SASL exchange, kept until the server's verdict.
 * The buffer comes with the first response: most sessions have none. */
typedef struct ms_sasl_exchange {
	char *buf; /* MS_SASL_RESPONSES of MS_SASL_RESPONSE_MAX bytes */
	size_t len[MS_SASL_RESPONSES], count;
} ms_sasl_exchange;

static inline void ms_sasl_start(ms_sasl_exchange *x)
{
	x->count = 0;
}
/* Keeps a response (base64 as sent); past MS_SASL_RESPONSES, or out of
 * memory, it is dropped: the first ones are those that name the user. */
void ms_sasl_add(ms_sasl_exchange *x, const char *p, size_t n);
/* ms_sasl_decode over the responses kept. */
void ms_sasl_finish(const ms_sasl_exchange *x, ms_str mechanism, char *buf,
                    size_t cap, ms_sasl_result *out);
void ms_sasl_free(ms_sasl_exchange *x);

#endif
