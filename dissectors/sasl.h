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

#endif
