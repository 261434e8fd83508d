#include "dissectors/sasl.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long ms_base64_decode(const char *in, size_t n, char *out, size_t cap)
{
	unsigned int acc = 0, bits = 0;
	size_t o = 0;

	while (n > 0 && in[n - 1] == '=')
		n--;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	return (long)o;
}

static const char *const known[] = {
        "PLAIN",         "LOGIN",       "CRAM-MD5", "XOAUTH2",
        "DIGEST-MD5",    "NTLM",        "GSSAPI",   "SCRAM-SHA-1",
        "SCRAM-SHA-256", "OAUTHBEARER", "EXTERNAL", "ANONYMOUS"};

static const char *mechanism_name(ms_str m)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i]) == m.len &&
		    strncasecmp(known[i], m.p, m.len) == 0)
			return known[i];
	return "OTHER";
}

/* Decodes responses[i] into buf at *used; returns it as a string. */
static ms_str decode_at(const ms_str *r, char *buf, size_t cap, size_t *used)
{
	long n = ms_base64_decode(r->p, r->len, buf + *used, cap - *used);
	ms_str s = {buf + *used, n > 0 ? (size_t)n : 0};

	if (n > 0)
		*used += (size_t)n;
	return s;
}

/* PLAIN: [authzid] NUL authcid NUL passwd (RFC 4616 §2). */
static void decode_plain(ms_str d, ms_sasl_result *out)
{
	const char *nul1 = memchr(d.p, '\0', d.len), *nul2;

	if (!nul1)
		return;
	nul2 = memchr(nul1 + 1, '\0', (size_t)(d.p + d.len - nul1 - 1));
	if (!nul2)
		return;
	out->user = (ms_str){nul1 + 1, (size_t)(nul2 - nul1 - 1)};
	out->password = (ms_str){nul2 + 1, (size_t)(d.p + d.len - nul2 - 1)};
}

/* XOAUTH2: "user=" user ^A "auth=Bearer " token ^A ^A. */
static void decode_xoauth2(ms_str d, ms_sasl_result *out)
{
	if (d.len > 5 && memcmp(d.p, "user=", 5) == 0) {
		const char *end = memchr(d.p + 5, '\x01', d.len - 5);
		out->user = (ms_str){d.p + 5,
		                     end ? (size_t)(end - d.p - 5) : d.len - 5};
	}
}

void ms_sasl_decode(ms_str mechanism, const ms_str *responses, size_t n,
                    char *buf, size_t cap, ms_sasl_result *out)
{
	size_t used = 0;
	ms_str d;

	memset(out, 0, sizeof(*out));
	out->mechanism = mechanism_name(mechanism);
	if (n == 0)
		return;
	d = decode_at(&responses[0], buf, cap, &used);
	if (strcmp(out->mechanism, "PLAIN") == 0) {
		decode_plain(d, out);
	} else if (strcmp(out->mechanism, "LOGIN") == 0) {
		out->user = d;
		if (n > 1)
			out->password =
			        decode_at(&responses[1], buf, cap, &used);
	} else if (strcmp(out->mechanism, "CRAM-MD5") == 0) {
		const char *sp = memchr(d.p, ' ', d.len);
		out->user = (ms_str){d.p, sp ? (size_t)(sp - d.p) : d.len};
	} else if (strcmp(out->mechanism, "XOAUTH2") == 0) {
		decode_xoauth2(d, out);
	}
}

void ms_sasl_add(ms_sasl_exchange *x, const char *p, size_t n)
{
	if (x->count == MS_SASL_RESPONSES ||
	    (!x->buf &&
	     !(x->buf = malloc(MS_SASL_RESPONSES * MS_SASL_RESPONSE_MAX))))
		return;
	n = n < MS_SASL_RESPONSE_MAX ? n : MS_SASL_RESPONSE_MAX;
	memcpy(x->buf + x->count * MS_SASL_RESPONSE_MAX, p, n);
	x->len[x->count++] = n;
}

void ms_sasl_finish(const ms_sasl_exchange *x, ms_str mechanism, char *buf,
                    size_t cap, ms_sasl_result *out)
{
	ms_str resp[MS_SASL_RESPONSES];

	for (size_t i = 0; i < x->count; i++)
		resp[i] =
		        (ms_str){x->buf + i * MS_SASL_RESPONSE_MAX, x->len[i]};
	ms_sasl_decode(mechanism, resp, x->count, buf, cap, out);
}

void ms_sasl_free(ms_sasl_exchange *x)
{
	free(x->buf);
	x->buf = NULL;
}
