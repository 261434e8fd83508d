/* rfc2047.h: header text to UTF-8.
 *
 * Decodes RFC 2047 encoded words (=?charset?B|Q?text?=) and converts
 * charset-tagged bytes (RFC 2231 parameter values) to UTF-8 with iconv.
 * A context caches the iconv handles it opened, so decoding a header does
 * not call iconv_open each time; it also holds the one buffer decoding
 * needs, allocated when the context is made. Nothing here is fatal: a
 * word that cannot be decoded is kept as it was and a problem bit says
 * why.
 */
#ifndef MS_RFC2047_H
#define MS_RFC2047_H

#include <stddef.h>
#include <stdint.h>

/* Problem bits, or-ed into *problems. */
enum {
	MS_RFC2047_BAD_CHARSET = 1u << 0, /* iconv does not know it */
	MS_RFC2047_MALFORMED = 1u << 1,   /* a word's text did not decode */
	MS_RFC2047_BAD_BYTES = 1u << 2,   /* replaced by U+FFFD */
	MS_RFC2047_TRUNCATED = 1u << 3,   /* out (or the context) too small */
};

/* The value of a base64 character (RFC 2045 §6.8 table 1), 64 for '=',
 * -1 for every other byte. Shared with the MIME body decoder. */
extern const int8_t ms_base64_value[256];

typedef struct ms_rfc2047 ms_rfc2047;

/* max_input bounds the text one call decodes (longer text is decoded up
 * to it and flagged truncated). Returns NULL only when out of memory. */
ms_rfc2047 *ms_rfc2047_new(size_t max_input);
void ms_rfc2047_free(ms_rfc2047 *c);

/* Decodes the encoded words of in[0..n) into out (at most cap bytes, not
 * NUL-terminated) and returns the length written. Text outside words is
 * copied as is; white space between adjacent words is dropped (§6.2). */
size_t ms_rfc2047_decode(ms_rfc2047 *c, const char *in, size_t n, char *out,
                         size_t cap, unsigned *problems);

/* Converts in[0..n), in the named charset (an RFC 2231 §5 "*language"
 * suffix is ignored), to UTF-8 in out. An unknown charset copies the
 * bytes unchanged and sets MS_RFC2047_BAD_CHARSET. */
size_t ms_rfc2047_to_utf8(ms_rfc2047 *c, const char *charset,
                          size_t charset_len, const char *in, size_t n,
                          char *out, size_t cap, unsigned *problems);

#endif
