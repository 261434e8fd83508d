/* rfc2047.c: RFC 2047 encoded words and charset conversion to UTF-8.
 *
 * Adjacent words in one charset are decoded into one run of bytes before
 * conversion, because encoders split multi-byte characters across words
 * (RFC 2047 §5 forbids it, mailers do it anyway).
 */
#include "dissectors/rfc2047.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const int8_t ms_base64_value[256] = {
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63, 52, 53, 54, 55, 56, 57,
        58, 59, 60, 61, -1, -1, -1, 64, -1, -1, -1, 0,  1,  2,  3,  4,  5,  6,
        7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
        25, -1, -1, -1, -1, -1, -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
        37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1,
};

#define CACHE_SLOTS 8
#define CHARSET_MAX 40
#define NO_CD       ((iconv_t)-1)

typedef struct conv {
	char name[CHARSET_MAX]; /* lowercased; empty while the slot is free */
	iconv_t cd;             /* NO_CD: iconv does not know the charset */
	uint64_t used;          /* for least-recently-used eviction */
} conv;

struct ms_rfc2047 {
	conv cache[CACHE_SLOTS];
	uint64_t tick;
	char *raw; /* the decoded bytes of a run of words in one charset */
	size_t raw_cap;
};

typedef struct obuf {
	char *p;
	size_t len, cap;
	unsigned *problems;
} obuf;

/* The state of one ms_rfc2047_decode call. */
typedef struct run {
	ms_rfc2047 *c;
	obuf *o;
	char charset[CHARSET_MAX]; /* of raw; empty when no run is open */
	size_t len;                /* bytes in c->raw */
} run;

typedef struct word {
	const char *charset, *text;
	size_t charset_len, text_len;
	char enc;   /* 'b' or 'q' */
	size_t len; /* of the whole word, "=?" to "?=" */
} word;

ms_rfc2047 *ms_rfc2047_new(size_t max_input)
{
	ms_rfc2047 *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->raw_cap = max_input ? max_input : 1;
	c->raw = malloc(c->raw_cap);
	if (!c->raw) {
		free(c);
		return NULL;
	}
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		c->cache[i].cd = NO_CD;
	return c;
}

void ms_rfc2047_free(ms_rfc2047 *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		if (c->cache[i].cd != NO_CD)
			iconv_close(c->cache[i].cd);
	free(c->raw);
	free(c);
}

static void obuf_put(obuf *o, const char *s, size_t n)
{
	size_t room = o->cap - o->len;

	if (n > room) {
		n = room;
		*o->problems |= MS_RFC2047_TRUNCATED;
	}
	if (n > 0)
		memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* Lowercases a charset name and drops an RFC 2231 §5 language suffix
 * ("utf-8*en"). False when the name is empty or too long to be real. */
static bool charset_name(const char *s, size_t n, char name[CHARSET_MAX])
{
	const char *star = memchr(s, '*', n);

	if (star)
		n = (size_t)(star - s);
	if (n == 0 || n >= CHARSET_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		name[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 'a' - 'A') : ch;
	}
	name[n] = '\0';
	return true;
}

/* Charsets whose bytes are already UTF-8 (ASCII is a subset). */
static bool charset_is_utf8(const char *name)
{
	return strcmp(name, "utf-8") == 0 || strcmp(name, "utf8") == 0 ||
	       strcmp(name, "us-ascii") == 0 || strcmp(name, "ascii") == 0;
}

static conv *conv_get(ms_rfc2047 *c, const char *name)
{
	conv *victim = &c->cache[0];

	c->tick++;
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		conv *s = &c->cache[i];
		if (strcmp(s->name, name) == 0) {
			s->used = c->tick;
			return s;
		}
		if (s->used < victim->used)
			victim = s;
	}
	if (victim->cd != NO_CD)
		iconv_close(victim->cd);
	memcpy(victim->name, name, strlen(name) + 1);
	victim->cd = iconv_open("UTF-8", name);
	victim->used = c->tick;
	return victim;
}

/* Bytes the charset cannot hold become U+FFFD, one per byte. */
static void convert(iconv_t cd, const char *in, size_t n, obuf *o)
{
	char *ip = (char *)in; /* iconv's prototype lacks const */
	char *op = o->p + o->len;
	size_t il = n, ol = o->cap - o->len;

	iconv(cd, NULL, NULL, NULL, NULL);
	while (il > 0 && iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
		if (errno == E2BIG || ol < 3) {
			*o->problems |= MS_RFC2047_TRUNCATED;
			break;
		}
		*o->problems |= MS_RFC2047_BAD_BYTES;
		memcpy(op, "\xEF\xBF\xBD", 3);
		op += 3;
		ol -= 3;
		ip++;
		il--;
	}
	iconv(cd, NULL, NULL, &op, &ol);
	o->len = (size_t)(op - o->p);
}

/* Converts with a known charset name; false when iconv lacks it. */
static bool convert_named(ms_rfc2047 *c, const char *name, const char *in,
                          size_t n, obuf *o)
{
	conv *cv;

	if (charset_is_utf8(name)) {
		obuf_put(o, in, n);
		return true;
	}
	cv = conv_get(c, name);
	if (cv->cd == NO_CD)
		return false;
	convert(cv->cd, in, n, o);
	return true;
}

size_t ms_rfc2047_to_utf8(ms_rfc2047 *c, const char *charset,
                          size_t charset_len, const char *in, size_t n,
                          char *out, size_t cap, unsigned *problems)
{
	obuf o = {out, 0, cap, problems};
	char name[CHARSET_MAX];

	if (!charset_name(charset, charset_len, name) ||
	    !convert_named(c, name, in, n, &o)) {
		*problems |= MS_RFC2047_BAD_CHARSET;
		obuf_put(&o, in, n);
	}
	return o.len;
}

static bool has_space(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			return true;
	return false;
}

/* RFC 2047 §2: encoded-word = "=?" charset "?" encoding "?" encoded-text
 * "?=", with no white space inside. s starts with "=?". */
static bool word_parse(const char *s, size_t n, word *w)
{
	const char *end = s + n, *cs = s + 2, *q, *text, *t;

	q = memchr(cs, '?', (size_t)(end - cs));
	if (!q || q == cs || end - q < 4 || q[2] != '?' || has_space(cs, q))
		return false;
	w->enc = (char)(q[1] | 0x20);
	if (w->enc != 'b' && w->enc != 'q')
		return false;
	text = q + 3;
	t = memchr(text, '?', (size_t)(end - text));
	if (!t || t + 1 >= end || t[1] != '=' || has_space(text, t))
		return false;
	w->charset = cs;
	w->charset_len = (size_t)(q - cs);
	w->text = text;
	w->text_len = (size_t)(t - text);
	w->len = (size_t)(t + 2 - s);
	return true;
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char)(ch | 0x20);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* RFC 2047 §4.1: base64, padding optional at the end of the word. */
static bool b_decode(const char *t, size_t n, char *out, size_t *len)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0, i = 0;

	for (; i < n && ms_base64_value[(uint8_t)t[i]] != 64; i++) {
		int v = ms_base64_value[(uint8_t)t[i]];
		if (v < 0)
			return false;
		acc = ((acc << 6) | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits);
		}
	}
	for (; i < n; i++)
		if (t[i] != '=')
			return false;
	*len = o;
	return true;
}

/* RFC 2047 §4.2: "_" is a space, "=XX" a byte; an "=" that starts no
 * hex pair is kept, as mailers that send it mean it literally. */
static size_t q_decode(const char *t, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi = -1, lo = -1;
		if (t[i] == '=' && i + 2 < n) {
			hi = hex_value(t[i + 1]);
			lo = hex_value(t[i + 2]);
		}
		if (t[i] == '_')
			out[o++] = ' ';
		else if (hi >= 0 && lo >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			out[o++] = t[i];
	}
	return o;
}

/* The run's charset was found known when its first word was taken. */
static void run_flush(run *r)
{
	if (r->charset[0])
		(void)convert_named(r->c, r->charset, r->c->raw, r->len, r->o);
	r->charset[0] = '\0';
	r->len = 0;
}

/* Decodes a word's text onto the run. False when the word must stay as
 * it is: its charset is unknown or its text does not decode. */
static bool word_take(run *r, const word *w)
{
	ms_rfc2047 *c = r->c;
	char name[CHARSET_MAX];
	size_t len = 0;

	if (!charset_name(w->charset, w->charset_len, name) ||
	    (!charset_is_utf8(name) && conv_get(c, name)->cd == NO_CD)) {
		*r->o->problems |= MS_RFC2047_BAD_CHARSET;
		return false;
	}
	if (c->raw_cap - r->len < w->text_len) {
		*r->o->problems |= MS_RFC2047_TRUNCATED;
		return false;
	}
	if (strcmp(name, r->charset) != 0)
		run_flush(r);
	if (w->enc == 'q')
		len = q_decode(w->text, w->text_len, c->raw + r->len);
	else if (!b_decode(w->text, w->text_len, c->raw + r->len, &len)) {
		*r->o->problems |= MS_RFC2047_MALFORMED;
		return false;
	}
	memcpy(r->charset, name, sizeof(name));
	r->len += len;
	return true;
}

static bool all_space(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

size_t ms_rfc2047_decode(ms_rfc2047 *c, const char *in, size_t n, char *out,
                         size_t cap, unsigned *problems)
{
	obuf o = {out, 0, cap, problems};
	run r = {.c = c, .o = &o};
	size_t lit = 0, i = 0;
	bool after_word = false; /* in[lit..] follows a decoded word */

	while (i + 1 < n) {
		const char *eq = memchr(in + i, '=', n - i - 1);
		word w;
		bool drop;

		if (!eq)
			break;
		i = (size_t)(eq - in);
		if (eq[1] != '?' || !word_parse(eq, n - i, &w)) {
			i++;
			continue;
		}
		/* RFC 2047 §6.2: white space between adjacent words goes. */
		drop = after_word && all_space(in + lit, i - lit);
		if (!drop) {
			run_flush(&r);
			obuf_put(&o, in + lit, i - lit);
		}
		after_word = word_take(&r, &w);
		if (!after_word) { /* kept as it is, and so is the space */
			run_flush(&r);
			if (drop)
				obuf_put(&o, in + lit, i - lit);
			obuf_put(&o, eq, w.len);
		}
		i = lit = i + w.len;
	}
	run_flush(&r);
	obuf_put(&o, in + lit, n - lit);
	return o.len;
}
