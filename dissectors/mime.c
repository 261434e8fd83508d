/* mime.c: the streaming MIME decoder (RFC 2045, RFC 2046, RFC 2231).
 *
 * The input is cut into lines with memchr. A line is kept only while it
 * could still be a delimiter (it starts with "--" and is short); any
 * other line streams to the current state's sink as it arrives. Each
 * line's ending is held back until the next line is known not to be a
 * delimiter, because the line break before a delimiter belongs to the
 * delimiter (RFC 2046 §5.1.1). Containers (multiparts, message/rfc822
 * parts) are a stack of frames bounded by max_depth.
 */
#include "dissectors/mime.h"

#include "dissectors/header.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dissectors/rfc2047.h"

#define OUT_SIZE    4096 /* decoded bytes gathered before hashing */
#define QP_WS_MAX   80   /* held white space; longer runs are data */
#define PAD_MAX     64   /* white space after a boundary still matched */
#define SECTION_MAX 9999 /* RFC 2231 §3 section numbers we accept */

typedef enum mime_state {
	ST_HEADERS,  /* an entity's header block (RFC 2045 §3) */
	ST_PREAMBLE, /* before a multipart's first delimiter: ignored */
	ST_BODY,     /* a leaf's body: decoded and hashed */
	ST_EPILOGUE, /* after a close delimiter: ignored (RFC 2046 §5.1.1) */
} mime_state;

typedef enum codec {
	CODEC_IDENTITY, /* 7bit, 8bit, binary and unknown (RFC 2045 §6.4) */
	CODEC_BASE64,
	CODEC_QP,
} codec;

typedef enum qp_state {
	QP_TEXT,   /* literal text; trailing white space is held */
	QP_EQ,     /* after "=" */
	QP_EQ_HEX, /* after "=" and one hex digit */
	QP_EQ_WS,  /* after "=" and white space: soft break if the line ends */
} qp_state;

typedef enum frame_kind {
	FR_MULTIPART,
	FR_MESSAGE,
} frame_kind;

typedef struct frame {
	frame_kind kind;
	bool digest;    /* children default to message/rfc822 (§5.1.5) */
	char *boundary; /* max_boundary bytes of bstore */
	size_t blen;
} frame;

typedef struct param {
	const char *name, *value;
	size_t name_len, value_len;
	int section; /* RFC 2231 §3 "*N"; -1 when unsectioned */
	bool ext;    /* RFC 2231 §4 trailing "*": charset'lang'%XX */
	bool quoted;
} param;

typedef struct plist {
	param *v;
	size_t n;
} plist;

/* The MIME fields of an entity's header block (RFC 2045 §3). */
typedef struct fields {
	ms_str type, subtype, cte, disposition, content_id;
	plist ct, cd;
	bool ct_seen;
} fields;

typedef struct sbuf {
	char *p;
	size_t len, cap;
	bool full;
} sbuf;

struct ms_mime {
	ms_mime_limits lim;
	ms_mime_callbacks cb;
	void *user;
	/* allocated once by ms_mime_new */
	ms_rfc2047 *words;
	EVP_MD_CTX *sha;
	frame *stack;
	char *bstore, *hdr, *raw, *arena;
	uint8_t *line;
	size_t line_cap;
	param *params;
	ms_mime_part *parts;
	uint8_t out[OUT_SIZE];
	/* reset by ms_mime_begin */
	mime_state st;
	size_t depth, multiparts; /* frames, and multipart frames */
	size_t nparts, arena_len;
	bool parts_reported, strings_reported;
	/* the header block being collected, lines joined by '\n' */
	size_t hdr_len, hdr_line_start, hdr_line_len;
	char hdr_first;
	bool hdr_truncated;
	bool gap; /* bytes of the current entity are missing */
	/* a line outside headers */
	size_t line_len;
	bool line_plain;      /* it cannot be a delimiter: streamed */
	bool cr_held;         /* its last streamed byte was a CR */
	unsigned eol_pending; /* 0, 1 (LF) or 2 (CRLF): the previous one */
	/* the current leaf; cur is NULL when past max_parts */
	ms_mime_part *cur;
	codec codec;
	uint32_t b64_acc;
	unsigned b64_n;
	bool b64_reported;
	qp_state qp;
	uint8_t qp_hex;
	size_t qp_ws;
	uint8_t qp_wsbuf[QP_WS_MAX];
	size_t out_len;
	char detail[160];
};

void ms_mime_limits_default(ms_mime_limits *l)
{
	l->max_depth = MS_MIME_MAX_DEPTH_DEFAULT;
	l->max_parts = MS_MIME_MAX_PARTS_DEFAULT;
	l->max_header = MS_MIME_MAX_HEADER_DEFAULT;
	l->max_boundary = MS_MIME_MAX_BOUNDARY_DEFAULT;
	l->max_params = MS_MIME_MAX_PARAMS_DEFAULT;
	l->max_strings = MS_MIME_MAX_STRINGS_DEFAULT;
}

static void limits_sane(ms_mime_limits *l)
{
	if (l->max_header < 256)
		l->max_header = 256;
	if (l->max_boundary < 1)
		l->max_boundary = 1;
	if (l->max_params < 1)
		l->max_params = 1;
	if (l->max_strings < 1)
		l->max_strings = 1;
}

ms_mime *ms_mime_new(const ms_mime_limits *limits)
{
	ms_mime *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (limits)
		m->lim = *limits;
	else
		ms_mime_limits_default(&m->lim);
	limits_sane(&m->lim);
	/* "--" boundary "--" and some transport padding (§5.1.1) */
	m->line_cap = m->lim.max_boundary + 4 + PAD_MAX;
	m->words = ms_rfc2047_new(m->lim.max_header);
	m->sha = EVP_MD_CTX_new();
	m->stack = calloc(m->lim.max_depth + 1, sizeof(*m->stack));
	m->bstore =
	        malloc((size_t)(m->lim.max_depth + 1) * m->lim.max_boundary);
	m->hdr = malloc(m->lim.max_header);
	m->raw = malloc(m->lim.max_header);
	m->arena = malloc(m->lim.max_strings);
	m->line = malloc(m->line_cap);
	m->params = calloc(2 * (size_t)m->lim.max_params, sizeof(*m->params));
	m->parts = calloc(m->lim.max_parts + 1, sizeof(*m->parts));
	if (!m->words || !m->sha || !m->stack || !m->bstore || !m->hdr ||
	    !m->raw || !m->arena || !m->line || !m->params || !m->parts) {
		ms_mime_free(m);
		return NULL;
	}
	for (size_t i = 0; i <= m->lim.max_depth; i++)
		m->stack[i].boundary = m->bstore + i * m->lim.max_boundary;
	return m;
}

void ms_mime_free(ms_mime *m)
{
	if (!m)
		return;
	ms_rfc2047_free(m->words);
	EVP_MD_CTX_free(m->sha);
	free(m->stack);
	free(m->bstore);
	free(m->hdr);
	free(m->raw);
	free(m->arena);
	free(m->line);
	free(m->params);
	free(m->parts);
	free(m);
}

static void report(ms_mime *m, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (!m->cb.anomaly)
		return;
	va_start(ap, fmt);
	vsnprintf(m->detail, sizeof(m->detail), fmt, ap);
	va_end(ap);
	m->cb.anomaly(m->user, code, m->detail);
}

/* ---- strings ---------------------------------------------------------- */

static void sbuf_put(sbuf *b, const char *s, size_t n)
{
	if (n > b->cap - b->len) {
		n = b->cap - b->len;
		b->full = true;
	}
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 'a' - 'A') : c;
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool str_is(ms_str s, const char *lit)
{
	return s.len == strlen(lit) && strncasecmp(s.p, lit, s.len) == 0;
}

static sbuf arena_tail(ms_mime *m)
{
	return (sbuf){m->arena + m->arena_len, 0,
	              m->lim.max_strings - m->arena_len, false};
}

/* Keeps what b wrote at the arena's tail; reports when it did not fit. */
static ms_str arena_keep(ms_mime *m, const sbuf *b)
{
	ms_str s = {b->p, b->len};

	if (b->full && !m->strings_reported) {
		m->strings_reported = true;
		report(m, "mime_strings", "part strings over %u bytes",
		       m->lim.max_strings);
	}
	m->arena_len += b->len;
	return s;
}

static ms_str arena_lower(ms_mime *m, ms_str a, const char *sep, ms_str b)
{
	sbuf o = arena_tail(m);

	sbuf_put(&o, a.p, a.len);
	sbuf_put(&o, sep, strlen(sep));
	sbuf_put(&o, b.p, b.len);
	for (size_t i = 0; i < o.len; i++)
		o.p[i] = lower(o.p[i]);
	return arena_keep(m, &o);
}

/* ---- parameters (RFC 2045 §5.1, RFC 2231) ----------------------------- */

/* Splits "name*N*" into name, section N and the extended flag. */
static bool param_name(param *pa)
{
	const char *n = pa->name;
	size_t len = pa->name_len, digits = 0;

	if (len > 0 && n[len - 1] == '*') {
		pa->ext = true;
		len--;
	}
	while (digits < len && n[len - 1 - digits] >= '0' &&
	       n[len - 1 - digits] <= '9')
		digits++;
	pa->section = -1;
	if (digits > 0 && digits < len && n[len - 1 - digits] == '*') {
		int section = 0;
		for (size_t i = len - digits; i < len; i++) {
			section = section * 10 + (n[i] - '0');
			if (section > SECTION_MAX)
				return false;
		}
		pa->section = section;
		len -= digits + 1;
	}
	pa->name_len = len;
	return len > 0;
}

/* Reads a value: a quoted-string (RFC 5322 §3.2.4, escapes kept for
 * param_unquote) or, leniently, everything up to the next ";". Returns
 * where the value ends. */
static const char *param_value(param *pa, const char *p, const char *end)
{
	if (p < end && *p == '"') {
		const char *q = ++p;
		while (q < end && *q != '"')
			q += *q == '\\' && q + 1 < end ? 2 : 1;
		pa->value = p;
		pa->value_len = (size_t)((q < end ? q : end) - p);
		pa->quoted = true;
		return q < end ? q + 1 : end;
	} else {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		ms_str v = ms_header_trim(p, (size_t)((semi ? semi : end) - p));
		pa->value = v.p;
		pa->value_len = v.len;
		return semi ? semi : end;
	}
}

static void params_parse(ms_mime *m, const char *p, const char *end, plist *l)
{
	while (p < end && (p = memchr(p, ';', (size_t)(end - p))) != NULL) {
		param pa = {0};
		const char *eq, *semi;
		ms_str name;

		p++;
		eq = memchr(p, '=', (size_t)(end - p));
		semi = memchr(p, ';', (size_t)(end - p));

		if (!eq || (semi && semi < eq))
			continue; /* a parameter without a value */
		name = ms_header_trim(p, (size_t)(eq - p));
		p = eq + 1;
		while (p < end && is_wsp(*p))
			p++;
		p = param_value(&pa, p, end);
		pa.name = name.p;
		pa.name_len = name.len;
		if (!param_name(&pa))
			continue;
		if (l->n == m->lim.max_params) {
			report(m, "mime_params", "more than %u parameters",
			       m->lim.max_params);
			return;
		}
		l->v[l->n++] = pa;
	}
}

/* ext: 1 extended only, 0 plain only, -1 either. */
static const param *param_find(const plist *l, const char *name, int section,
                               int ext)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < l->n; i++) {
		const param *pa = &l->v[i];
		if (pa->section == section && pa->name_len == len &&
		    (ext < 0 || pa->ext == (ext == 1)) &&
		    strncasecmp(pa->name, name, len) == 0)
			return pa;
	}
	return NULL;
}

/* RFC 5322 §3.2.4: a backslash quotes the next character. */
static void put_unquoted(sbuf *b, const param *pa)
{
	const char *p = pa->value, *end = p + pa->value_len;

	while (pa->quoted && p < end) {
		const char *bs = memchr(p, '\\', (size_t)(end - p));
		if (!bs)
			break;
		sbuf_put(b, p, (size_t)(bs - p));
		p = bs + 1 < end ? bs + 1 : end;
		if (p < end)
			sbuf_put(b, p++, 1);
	}
	sbuf_put(b, p, (size_t)(end - p));
}

static int hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 2231 §4: an extended value is charset'language'%XX-encoded; the
 * charset part appears on the first section only (§4.1). */
static void put_extended(sbuf *b, const param *pa, ms_str *charset)
{
	const char *p = pa->value, *end = p + pa->value_len;
	const char *q1 = charset ? memchr(p, '\'', pa->value_len) : NULL;
	const char *q2 =
	        q1 ? memchr(q1 + 1, '\'', (size_t)(end - q1 - 1)) : NULL;

	if (q2) {
		*charset = (ms_str){p, (size_t)(q1 - p)};
		p = q2 + 1;
	}
	for (; p < end; p++) {
		int hi = -1, lo = -1;
		if (*p == '%' && end - p >= 3) {
			hi = hex_value((uint8_t)p[1]);
			lo = hex_value((uint8_t)p[2]);
		}
		if (hi >= 0 && lo >= 0) {
			char c = (char)(hi << 4 | lo);
			sbuf_put(b, &c, 1);
			p += 2;
		} else
			sbuf_put(b, p, 1);
	}
}

static void words_report(ms_mime *m, unsigned problems, const char *what)
{
	if (problems & (MS_RFC2047_BAD_CHARSET | MS_RFC2047_BAD_BYTES))
		report(m, "mime_bad_charset", "%s: %s", what,
		       problems & MS_RFC2047_BAD_CHARSET ? "unknown charset"
		                                         : "invalid bytes");
	if (problems & MS_RFC2047_MALFORMED)
		report(m, "mime_bad_encoded_word", "%s", what);
}

/* Gathers an RFC 2231 value (§4 "name*", or §3 sections "name*0",
 * "name*1"... in order) into raw; false when there is none. */
static bool param_gather(const plist *l, const char *name, sbuf *raw,
                         ms_str *charset)
{
	const param *pa = param_find(l, name, -1, 1);

	if (pa) {
		put_extended(raw, pa, charset);
		return true;
	}
	for (int s = 0; (pa = param_find(l, name, s, -1)) != NULL; s++) {
		if (pa->ext)
			put_extended(raw, pa, s == 0 ? charset : NULL);
		else
			put_unquoted(raw, pa);
	}
	return raw->len > 0 || param_find(l, name, 0, -1);
}

/* Decodes parameter name into out as UTF-8: RFC 2231 values first, then
 * the plain value, whose RFC 2047 words are decoded when words is set
 * (not standard, §5 of RFC 2047 forbids words in quoted strings, but
 * what mailers send for names). False when the parameter is absent. */
static bool param_get(ms_mime *m, const plist *l, const char *name, bool words,
                      sbuf *out)
{
	sbuf raw = {m->raw, 0, m->lim.max_header, false};
	ms_str cs = MS_STR_NULL;
	unsigned problems = 0;
	const param *pa;
	char *dst = out->p + out->len;
	size_t room = out->cap - out->len;

	if (param_gather(l, name, &raw, &cs)) {
		if (cs.len == 0) {
			sbuf_put(out, raw.p, raw.len);
			return true;
		}
		out->len += ms_rfc2047_to_utf8(m->words, cs.p, cs.len, raw.p,
		                               raw.len, dst, room, &problems);
	} else if ((pa = param_find(l, name, -1, 0)) != NULL) {
		put_unquoted(&raw, pa);
		if (!words) {
			sbuf_put(out, raw.p, raw.len);
			return true;
		}
		out->len += ms_rfc2047_decode(m->words, raw.p, raw.len, dst,
		                              room, &problems);
	} else
		return false;
	if (problems & MS_RFC2047_TRUNCATED)
		out->full = true;
	words_report(m, problems, name);
	return true;
}

/* ---- header fields ---------------------------------------------------- */

/* RFC 2045 §5.1: type "/" subtype *(";" parameter). A value without a
 * "/" leaves the type empty, which means the default (§5.2). */
static void content_type_parse(ms_mime *m, ms_str v, fields *f)
{
	const char *end = v.p + v.len;
	const char *semi = memchr(v.p, ';', v.len);
	const char *slash =
	        memchr(v.p, '/', (size_t)((semi ? semi : end) - v.p));

	if (slash) {
		ms_str t = ms_header_trim(v.p, (size_t)(slash - v.p));
		ms_str s = ms_header_trim(
		        slash + 1, (size_t)((semi ? semi : end) - slash - 1));
		if (t.len > 0 && s.len > 0) {
			f->type = t;
			f->subtype = s;
		}
	}
	if (semi)
		params_parse(m, semi, end, &f->ct);
}

/* RFC 2183 §2: disposition-type *(";" parameter). */
static void disposition_parse(ms_mime *m, ms_str v, fields *f)
{
	const char *semi = memchr(v.p, ';', v.len);

	f->disposition =
	        ms_header_trim(v.p, semi ? (size_t)(semi - v.p) : v.len);
	if (semi)
		params_parse(m, semi, v.p + v.len, &f->cd);
}

/* The first occurrence of each field counts (RFC 2045 allows one). */
static void field_take(ms_mime *m, ms_str name, ms_str v, fields *f)
{
	if (str_is(name, "content-type") && !f->ct_seen) {
		f->ct_seen = true;
		content_type_parse(m, v, f);
	} else if (str_is(name, "content-transfer-encoding") && !f->cte.p)
		f->cte = v;
	else if (str_is(name, "content-disposition") && !f->disposition.p)
		disposition_parse(m, v, f);
	else if (str_is(name, "content-id") && !f->content_id.p)
		f->content_id = v;
}

/* A part's header fields, for ms_header_fields. */
typedef struct field_ctx {
	ms_mime *m;
	fields *f;
} field_ctx;

static void field_each(void *user, ms_str name, ms_str value)
{
	field_ctx *c = user;

	field_take(c->m, name, value, c->f);
}

static void fields_parse(ms_mime *m, fields *f)
{
	field_ctx c = {m, f};

	memset(f, 0, sizeof(*f));
	f->ct.v = m->params;
	f->cd.v = m->params + m->lim.max_params;
	ms_header_fields(m->hdr, ms_header_unfold(m->hdr, m->hdr_len),
	                 field_each, &c);
}

/* ---- decoded output --------------------------------------------------- */

static void out_flush(ms_mime *m)
{
	if (m->out_len == 0)
		return;
	EVP_DigestUpdate(m->sha, m->out, m->out_len);
	m->cur->size += m->out_len;
	if (m->cb.part_data)
		m->cb.part_data(m->user, m->out, m->out_len);
	m->out_len = 0;
}

static void out_put(ms_mime *m, const uint8_t *p, size_t n)
{
	if (n > OUT_SIZE - m->out_len) {
		out_flush(m);
		if (n >= OUT_SIZE) { /* large spans go out uncopied */
			EVP_DigestUpdate(m->sha, p, n);
			m->cur->size += n;
			if (m->cb.part_data)
				m->cb.part_data(m->user, p, n);
			return;
		}
	}
	memcpy(m->out + m->out_len, p, n);
	m->out_len += n;
}

static void out_byte(ms_mime *m, uint8_t c)
{
	if (m->out_len == OUT_SIZE)
		out_flush(m);
	m->out[m->out_len++] = c;
}

/* ---- base64 (RFC 2045 §6.8) ------------------------------------------- */

static void b64_bad(ms_mime *m, const char *what)
{
	if (m->b64_reported)
		return;
	m->b64_reported = true;
	report(m, "mime_bad_base64", "part %u: %s", m->cur->index, what);
}

/* "=" ends a quantum of two or three characters; a quantum of one has
 * no whole byte. Data after padding is decoded as a new stream, as
 * concatenated base64 bodies are real. */
static void b64_end_quantum(ms_mime *m)
{
	if (m->b64_n >= 2)
		out_byte(m, (uint8_t)(m->b64_acc >> (6 * m->b64_n - 8)));
	if (m->b64_n == 3)
		out_byte(m, (uint8_t)(m->b64_acc >> 2));
	if (m->b64_n == 1)
		b64_bad(m, "truncated quantum");
	m->b64_n = 0;
	m->b64_acc = 0;
}

/* Characters outside the alphabet are ignored (§6.8); white space is
 * expected, anything else is reported once. */
static void b64_feed(ms_mime *m, const uint8_t *p, size_t n)
{
	size_t i = 0;

	/* Whole quanta of four alphabet characters, the bulk of any body:
	 * alphabet values are 0..63, so one test on their OR rejects "="
	 * (64) and everything outside the alphabet (-1). */
	while (m->b64_n == 0 && n - i >= 4) {
		int a = ms_base64_value[p[i]], b = ms_base64_value[p[i + 1]];
		int c = ms_base64_value[p[i + 2]],
		    d = ms_base64_value[p[i + 3]];
		uint32_t q;

		if ((a | b | c | d) & ~63)
			break;
		if (OUT_SIZE - m->out_len < 3)
			out_flush(m);
		q = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 |
		    (uint32_t)d;
		m->out[m->out_len++] = (uint8_t)(q >> 16);
		m->out[m->out_len++] = (uint8_t)(q >> 8);
		m->out[m->out_len++] = (uint8_t)q;
		i += 4;
	}
	for (; i < n; i++) {
		int v = ms_base64_value[p[i]];
		if (v == 64) {
			b64_end_quantum(m);
			continue;
		}
		if (v < 0) {
			if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
				b64_bad(m, "invalid character");
			continue;
		}
		m->b64_acc = m->b64_acc << 6 | (uint32_t)v;
		if (++m->b64_n == 4) {
			if (OUT_SIZE - m->out_len < 3)
				out_flush(m);
			m->out[m->out_len++] = (uint8_t)(m->b64_acc >> 16);
			m->out[m->out_len++] = (uint8_t)(m->b64_acc >> 8);
			m->out[m->out_len++] = (uint8_t)m->b64_acc;
			m->b64_n = 0;
			m->b64_acc = 0;
		}
	}
}

static void b64_finish(ms_mime *m)
{
	if (m->b64_n > 1)
		b64_bad(m, "missing padding");
	b64_end_quantum(m);
}

/* ---- quoted-printable (RFC 2045 §6.7) --------------------------------- */

static void qp_ws_flush(ms_mime *m)
{
	out_put(m, m->qp_wsbuf, m->qp_ws);
	m->qp_ws = 0;
}

/* Rule (3): white space at the end of a line was added in transport and
 * goes, so it is held until the line goes on. */
static void qp_ws_hold(ms_mime *m, uint8_t c)
{
	if (m->qp_ws == QP_WS_MAX)
		qp_ws_flush(m);
	m->qp_wsbuf[m->qp_ws++] = c;
}

/* An "=" that starts no escape is kept literally (§6.7 note 1). */
static void qp_literal(ms_mime *m)
{
	out_byte(m, '=');
	if (m->qp == QP_EQ_HEX)
		out_byte(m, m->qp_hex);
	qp_ws_flush(m);
	m->qp = QP_TEXT;
}

static void qp_text(ms_mime *m, uint8_t c)
{
	if (c == '=') {
		qp_ws_flush(m);
		m->qp = QP_EQ;
	} else if (c == ' ' || c == '\t')
		qp_ws_hold(m, c);
	else {
		qp_ws_flush(m);
		out_byte(m, c);
	}
}

static void qp_feed(ms_mime *m, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		switch (m->qp) {
		case QP_TEXT:
			qp_text(m, c);
			break;
		case QP_EQ:
			if (hex_value(c) >= 0) {
				m->qp_hex = c;
				m->qp = QP_EQ_HEX;
			} else if (c == ' ' || c == '\t') {
				qp_ws_hold(m, c);
				m->qp = QP_EQ_WS;
			} else {
				qp_literal(m);
				qp_text(m, c);
			}
			break;
		case QP_EQ_HEX:
			if (hex_value(c) >= 0) {
				out_byte(m,
				         (uint8_t)(hex_value(m->qp_hex) << 4 |
				                   hex_value(c)));
				m->qp = QP_TEXT;
			} else {
				qp_literal(m);
				qp_text(m, c);
			}
			break;
		case QP_EQ_WS:
			if (c == ' ' || c == '\t')
				qp_ws_hold(m, c);
			else {
				qp_literal(m);
				qp_text(m, c);
			}
			break;
		}
	}
}

/* A line ends: "=" then optional padding is a soft line break (rule 5),
 * otherwise the break is data and trailing white space goes (rule 3). */
static void qp_eol(ms_mime *m, const uint8_t *eol, size_t n)
{
	if (m->qp == QP_EQ_HEX)
		qp_literal(m);
	m->qp_ws = 0;
	if (m->qp == QP_TEXT)
		out_put(m, eol, n);
	m->qp = QP_TEXT;
}

/* ---- leaves ----------------------------------------------------------- */

static codec codec_of(ms_str cte)
{
	if (str_is(cte, "base64"))
		return CODEC_BASE64;
	if (str_is(cte, "quoted-printable"))
		return CODEC_QP;
	return CODEC_IDENTITY;
}

/* Decodes the file name (RFC 2183 §2.3 filename, else the Content-Type
 * name parameter of RFC 1341 that mailers still send) into the arena. */
static ms_str filename_get(ms_mime *m, const fields *f)
{
	sbuf o = arena_tail(m);

	if (!param_get(m, &f->cd, "filename", true, &o))
		param_get(m, &f->ct, "name", true, &o);
	return arena_keep(m, &o);
}

static void part_strings(ms_mime *m, ms_mime_part *pt, const fields *f)
{
	ms_str none = MS_STR_NULL;
	sbuf o;

	pt->content_type = arena_lower(m, f->type, "/", f->subtype);
	o = arena_tail(m);
	if (param_get(m, &f->ct, "charset", false, &o)) {
		for (size_t i = 0; i < o.len; i++)
			o.p[i] = lower(o.p[i]);
		pt->charset = arena_keep(m, &o);
	}
	/* RFC 2045 §6.1: 7bit when the field is absent */
	pt->encoding = arena_lower(m, f->cte.p ? f->cte : MS_STR_LIT("7bit"),
	                           "", none);
	if (f->disposition.len > 0)
		pt->disposition = arena_lower(m, f->disposition, "", none);
	pt->filename = filename_get(m, f);
	if (f->content_id.len > 0) {
		sbuf c = arena_tail(m);
		sbuf_put(&c, f->content_id.p, f->content_id.len);
		pt->content_id = arena_keep(m, &c);
	}
}

static bool part_is_attachment(const ms_mime_part *pt)
{
	bool text = pt->content_type.len >= 5 &&
	            memcmp(pt->content_type.p, "text/", 5) == 0;

	if (str_is(pt->disposition, "attachment"))
		return true;
	return pt->filename.len > 0 &&
	       !(text && str_is(pt->disposition, "inline"));
}

static void leaf_begin(ms_mime *m, const fields *f)
{
	ms_mime_part *pt;

	m->st = ST_BODY;
	m->codec = codec_of(f->cte);
	m->b64_acc = 0;
	m->b64_n = 0;
	m->b64_reported = false;
	m->qp = QP_TEXT;
	m->qp_ws = 0;
	m->out_len = 0;
	m->cur = NULL;
	if (m->nparts == m->lim.max_parts) {
		if (!m->parts_reported)
			report(m, "mime_parts", "more than %u parts",
			       m->lim.max_parts);
		m->parts_reported = true;
		return;
	}
	pt = &m->parts[m->nparts];
	memset(pt, 0, sizeof(*pt));
	pt->index = (uint32_t)m->nparts++;
	pt->depth = (uint32_t)m->depth;
	part_strings(m, pt, f);
	pt->is_attachment = part_is_attachment(pt);
	EVP_DigestInit_ex(m->sha, EVP_sha256(), NULL);
	m->cur = pt;
	if (m->cb.part_begin)
		m->cb.part_begin(m->user, pt);
}

/* terminated: the part's end was seen (a delimiter, or the end of a
 * message outside any multipart). */
static void leaf_end(ms_mime *m, bool terminated)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	ms_mime_part *pt = m->cur;

	if (!pt)
		return;
	if (m->codec == CODEC_BASE64)
		b64_finish(m);
	else if (m->codec == CODEC_QP)
		qp_eol(m, (const uint8_t *)"", 0);
	out_flush(m);
	EVP_DigestFinal_ex(m->sha, md, &mdlen);
	for (unsigned int i = 0; i < mdlen && i < 32; i++) {
		pt->sha256[2 * i] = hex[md[i] >> 4];
		pt->sha256[2 * i + 1] = hex[md[i] & 15];
	}
	pt->sha256[64] = '\0';
	pt->complete = terminated && !m->gap;
	m->cur = NULL;
	if (m->cb.part_end)
		m->cb.part_end(m->user, pt);
}

/* ---- containers ------------------------------------------------------- */

static void headers_begin(ms_mime *m)
{
	m->st = ST_HEADERS;
	m->hdr_len = 0;
	m->hdr_line_start = 0;
	m->hdr_line_len = 0;
	m->hdr_truncated = false;
	m->gap = false;
}

static bool depth_allows(ms_mime *m)
{
	if (m->depth < m->lim.max_depth)
		return true;
	report(m, "mime_depth", "nesting deeper than %u", m->lim.max_depth);
	return false;
}

/* RFC 2046 §5.1.1: the boundary parameter is required, 1 to 70
 * characters (up to max_boundary accepted). */
static bool multipart_push(ms_mime *m, const fields *f)
{
	frame *fr = &m->stack[m->depth];
	sbuf b = {fr->boundary, 0, m->lim.max_boundary, false};

	if (!param_get(m, &f->ct, "boundary", false, &b) || b.len == 0) {
		report(m, "mime_no_boundary", "multipart without a boundary");
		return false;
	}
	if (b.full) {
		report(m, "mime_boundary_too_long", "boundary over %u bytes",
		       m->lim.max_boundary);
		return false;
	}
	if (!depth_allows(m))
		return false;
	fr->kind = FR_MULTIPART;
	fr->blen = b.len;
	fr->digest = str_is(f->subtype, "digest");
	m->depth++;
	m->multiparts++;
	m->st = ST_PREAMBLE;
	return true;
}

/* RFC 2046 §5.2.1: message/rfc822 (and RFC 6532 message/global) may
 * only be 7bit, 8bit or binary; encoded ones stay opaque leaves. */
static bool message_push(ms_mime *m, const fields *f)
{
	if (codec_of(f->cte) != CODEC_IDENTITY) {
		/* A way to hide an attached message from scanners that
		 * decode it (Suricata ticket 8649): say so. */
		report(m, "mime_encoded_message",
		       "message/%.*s with Content-Transfer-Encoding %.*s",
		       (int)f->subtype.len, f->subtype.p, (int)f->cte.len,
		       f->cte.p);
		return false;
	}
	if (!depth_allows(m))
		return false;
	m->stack[m->depth].kind = FR_MESSAGE;
	m->depth++;
	headers_begin(m);
	return true;
}

static void frame_pop(ms_mime *m, bool report_open)
{
	frame *fr = &m->stack[--m->depth];

	if (fr->kind != FR_MULTIPART)
		return;
	m->multiparts--;
	if (report_open)
		report(m, "mime_unterminated", "multipart \"%.*s\" not closed",
		       (int)fr->blen, fr->boundary);
}

/* The header block ended: the entity is a container or a leaf. */
static void entity_start(ms_mime *m)
{
	fields f;
	bool digest = m->depth > 0 &&
	              m->stack[m->depth - 1].kind == FR_MULTIPART &&
	              m->stack[m->depth - 1].digest;

	fields_parse(m, &f);
	if (!f.type.p) { /* RFC 2045 §5.2, RFC 2046 §5.1.5 */
		f.type = digest ? MS_STR_LIT("message") : MS_STR_LIT("text");
		f.subtype = digest ? MS_STR_LIT("rfc822") : MS_STR_LIT("plain");
	}
	if (str_is(f.type, "multipart") && multipart_push(m, &f))
		return;
	if (str_is(f.type, "message") &&
	    (str_is(f.subtype, "rfc822") || str_is(f.subtype, "global")) &&
	    message_push(m, &f))
		return;
	leaf_begin(m, &f);
}

/* RFC 2046 §5.1.1: a delimiter line is "--" boundary, optional white
 * space; the close delimiter has "--" after the boundary. The innermost
 * boundary is tried first; an outer one also ends the inner multiparts
 * (§5.1.2). Returns the frame index, or -1. */
static int delimiter_match(const ms_mime *m, const uint8_t *l, size_t n,
                           bool *close)
{
	if (n < 2 || l[0] != '-' || l[1] != '-')
		return -1;
	for (size_t i = m->depth; i-- > 0;) {
		const frame *fr = &m->stack[i];
		size_t k = 2 + fr->blen;
		bool c;

		if (fr->kind != FR_MULTIPART || n < k ||
		    memcmp(l + 2, fr->boundary, fr->blen) != 0)
			continue;
		c = n - k >= 2 && l[k] == '-' && l[k + 1] == '-';
		k += c ? 2 : 0;
		while (k < n && is_wsp((char)l[k]))
			k++;
		if (k == n) {
			*close = c;
			return (int)i;
		}
	}
	return -1;
}

static void on_delimiter(ms_mime *m, size_t i, bool close)
{
	if (m->st == ST_BODY)
		leaf_end(m, true);
	while (m->depth > i + 1)
		frame_pop(m, true);
	if (close) {
		frame_pop(m, false);
		m->st = ST_EPILOGUE;
	} else
		headers_begin(m);
}

/* ---- lines ------------------------------------------------------------ */

/* Where a body line's bytes go: the current leaf's decoder, or nowhere
 * (preamble, epilogue, parts past max_parts). */
static void sink_data(ms_mime *m, const uint8_t *p, size_t n)
{
	if (m->st != ST_BODY || !m->cur || n == 0)
		return;
	switch (m->codec) {
	case CODEC_BASE64:
		b64_feed(m, p, n);
		break;
	case CODEC_QP:
		qp_feed(m, p, n);
		break;
	case CODEC_IDENTITY:
		out_put(m, p, n);
		break;
	}
}

/* Line breaks are not base64 data (§6.8). */
static void eol_flush(ms_mime *m)
{
	const uint8_t *eol = (const uint8_t *)"\r\n" + 2 - m->eol_pending;

	if (m->eol_pending == 0 || m->st != ST_BODY || !m->cur) {
		m->eol_pending = 0;
		return;
	}
	if (m->codec == CODEC_QP)
		qp_eol(m, eol, m->eol_pending);
	else if (m->codec == CODEC_IDENTITY)
		out_put(m, eol, m->eol_pending);
	m->eol_pending = 0;
}

/* Streams part of a line known not to be a delimiter; a CR at the end
 * is held, as it may begin the line break. */
static void plain_bytes(ms_mime *m, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (m->cr_held) {
		sink_data(m, (const uint8_t *)"\r", 1);
		m->cr_held = false;
	}
	if (p[n - 1] == '\r') {
		m->cr_held = true;
		n--;
	}
	sink_data(m, p, n);
}

static bool line_may_delimit(const ms_mime *m)
{
	const uint8_t *l = m->line;

	return m->multiparts > 0 && m->line_len < m->line_cap &&
	       (m->line_len < 1 || l[0] == '-') &&
	       (m->line_len < 2 || l[1] == '-');
}

static void body_bytes(ms_mime *m, const uint8_t *p, size_t n)
{
	if (!m->line_plain) {
		size_t room = m->line_cap - m->line_len;
		size_t take = n < room ? n : room;

		memcpy(m->line + m->line_len, p, take);
		m->line_len += take;
		if (line_may_delimit(m))
			return;
		p += take;
		n -= take;
		m->line_plain = true;
		eol_flush(m);
		plain_bytes(m, m->line, m->line_len);
		m->line_len = 0;
	}
	plain_bytes(m, p, n);
}

/* has_lf is false for the last line of a message without a line end. */
static void body_line_end(ms_mime *m, bool has_lf)
{
	size_t len = m->line_len;
	unsigned eol = has_lf ? 1 : 0;
	bool close = false;
	int i;

	m->line_len = 0;
	if (m->line_plain) {
		m->line_plain = false;
		if (!has_lf && m->cr_held)
			sink_data(m, (const uint8_t *)"\r", 1);
		m->eol_pending = has_lf && m->cr_held ? 2 : eol;
		m->cr_held = false;
		return;
	}
	if (has_lf && len > 0 && m->line[len - 1] == '\r') {
		len--;
		eol = 2;
	}
	i = delimiter_match(m, m->line, len, &close);
	if (i >= 0) {
		m->eol_pending = 0;
		on_delimiter(m, (size_t)i, close);
		return;
	}
	eol_flush(m);
	sink_data(m, m->line, len);
	m->eol_pending = eol;
}

static void hdr_bytes(ms_mime *m, const uint8_t *p, size_t n)
{
	size_t take = m->lim.max_header - m->hdr_len;

	if (m->hdr_line_len == 0 && n > 0)
		m->hdr_first = (char)p[0];
	m->hdr_line_len += n;
	if (take > n)
		take = n;
	memcpy(m->hdr + m->hdr_len, p, take);
	m->hdr_len += take;
	if (take < n && !m->hdr_truncated) {
		m->hdr_truncated = true;
		report(m, "header_too_long", "part header block over %u bytes",
		       m->lim.max_header);
	}
}

/* The block ends at an empty line (RFC 5322 §2.1), or early at a
 * delimiter: a part may have neither headers nor body (§5.1.1). */
static void hdr_line_end(ms_mime *m)
{
	char *line = m->hdr + m->hdr_line_start;
	size_t len = m->hdr_len - m->hdr_line_start;
	bool close = false;
	int i = -1;

	if (m->hdr_line_len == 0 ||
	    (m->hdr_line_len == 1 && m->hdr_first == '\r')) {
		m->hdr_len = m->hdr_line_start;
		entity_start(m);
		return;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (!m->hdr_truncated)
		i = delimiter_match(m, (const uint8_t *)line, len, &close);
	m->hdr_len = m->hdr_line_start + len;
	if (i >= 0) {
		m->hdr_len = m->hdr_line_start;
		entity_start(m);
		on_delimiter(m, (size_t)i, close);
		return;
	}
	if (m->hdr_len < m->lim.max_header)
		m->hdr[m->hdr_len++] = '\n';
	m->hdr_line_start = m->hdr_len;
	m->hdr_line_len = 0;
}

/* ---- the API ---------------------------------------------------------- */

void ms_mime_begin(ms_mime *m, const ms_mime_callbacks *cb, void *user)
{
	static const ms_mime_callbacks none = {0};

	m->cb = cb ? *cb : none;
	m->user = user;
	m->depth = 0;
	m->multiparts = 0;
	m->nparts = 0;
	m->arena_len = 0;
	m->parts_reported = false;
	m->strings_reported = false;
	m->line_len = 0;
	m->line_plain = false;
	m->cr_held = false;
	m->eol_pending = 0;
	m->cur = NULL;
	headers_begin(m);
}

void ms_mime_feed(ms_mime *m, const uint8_t *p, size_t n)
{
	while (n > 0) {
		const uint8_t *lf = memchr(p, '\n', n);
		size_t seg = lf ? (size_t)(lf - p) : n;

		if (m->st == ST_HEADERS)
			hdr_bytes(m, p, seg);
		else
			body_bytes(m, p, seg);
		if (!lf)
			return;
		if (m->st == ST_HEADERS)
			hdr_line_end(m);
		else
			body_line_end(m, true);
		p += seg + 1;
		n -= seg + 1;
	}
}

void ms_mime_gap(ms_mime *m, uint64_t n)
{
	if (n == 0)
		return;
	m->gap = true;
	if (m->st == ST_HEADERS)
		return;
	/* The line's rest is unknown: it cannot be told a delimiter. */
	if (!m->line_plain) {
		m->line_plain = true;
		eol_flush(m);
		plain_bytes(m, m->line, m->line_len);
		m->line_len = 0;
	}
	/* Decoder state cannot span a hole. */
	m->b64_n = 0;
	m->b64_acc = 0;
	m->qp = QP_TEXT;
	m->qp_ws = 0;
}

void ms_mime_end(ms_mime *m)
{
	if (m->st == ST_HEADERS && m->hdr_line_len > 0)
		hdr_line_end(m);
	else if (m->st != ST_HEADERS && (m->line_len > 0 || m->line_plain))
		body_line_end(m, false);
	/* An entity cut short in its header block still counts, unless
	 * nothing of it arrived after a delimiter. */
	if (m->st == ST_HEADERS && (m->hdr_len > 0 || m->depth == 0))
		entity_start(m);
	if (m->st == ST_BODY) {
		eol_flush(m); /* no delimiter follows: the break is data */
		leaf_end(m, m->multiparts == 0);
	}
	while (m->depth > 0)
		frame_pop(m, true);
	m->st = ST_EPILOGUE;
}

const ms_mime_part *ms_mime_parts(const ms_mime *m, size_t *count)
{
	*count = m->nparts;
	return m->parts;
}
