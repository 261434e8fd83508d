#define _GNU_SOURCE /* memmem */
#include "dissectors/message.h"

#include "dissectors/header.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int ms_message_init(ms_message *m, size_t max_header)
{
	memset(m, 0, sizeof(*m));
	m->hdr_max = max_header;
	return 0; /* everything else comes with the first message */
}

void ms_message_free(ms_message *m)
{
	free(m->hdr);
	free(m->dec);
	free(m->addrs);
	EVP_MD_CTX_free(m->sha);
	ms_mime_free(m->mime);
	ms_rfc2047_free(m->words);
	m->hdr = m->dec = NULL;
	m->sha = NULL;
	m->mime = NULL;
	m->words = NULL;
}

/* The MIME decoder reports through these, so that a cut message's
 * findings can be left out. */
static void fwd_part_begin(void *user, const ms_mime_part *part)
{
	ms_message *m = user;

	if (m->part_cb && m->part_cb->part_begin)
		m->part_cb->part_begin(m->part_user, part);
}

static void fwd_part_data(void *user, const uint8_t *p, size_t n)
{
	ms_message *m = user;

	if (m->part_cb && m->part_cb->part_data)
		m->part_cb->part_data(m->part_user, p, n);
}

static void fwd_part_end(void *user, const ms_mime_part *part)
{
	ms_message *m = user;

	if (m->part_cb && m->part_cb->part_end)
		m->part_cb->part_end(m->part_user, part);
}

static void fwd_anomaly(void *user, const char *code, const char *detail)
{
	ms_message *m = user;

	if (!m->cut && m->part_cb && m->part_cb->anomaly)
		m->part_cb->anomaly(m->part_user, code, detail);
}

static const ms_mime_callbacks forward = {
        .part_begin = fwd_part_begin,
        .part_data = fwd_part_data,
        .part_end = fwd_part_end,
        .anomaly = fwd_anomaly,
};

/* The decoders, at the first message: returns false when out of memory
 * (the message is then hashed but not decoded). */
static bool decoders_ready(ms_message *m)
{
	if (!m->sha)
		m->sha = EVP_MD_CTX_new();
	if (!m->mime)
		m->mime = ms_mime_new(NULL);
	if (!m->words)
		m->words = ms_rfc2047_new(m->hdr_max);
	if (!m->dec)
		m->dec = malloc(m->hdr_max ? m->hdr_max : 1);
	if (!m->hdr)
		m->hdr = malloc(m->hdr_max ? m->hdr_max : 1);
	if (!m->addrs)
		m->addrs = malloc(2 * MS_MAX_ADDR_FIELDS * sizeof(*m->addrs));
	return m->sha && m->mime && m->words && m->dec && m->hdr && m->addrs;
}

void ms_message_begin(ms_message *m)
{
	/* Out of memory, the message is counted but neither hashed nor
	 * decoded, and reported incomplete. */
	m->ready = decoders_ready(m);
	if (m->ready) {
		EVP_DigestInit_ex(m->sha, EVP_sha256(), NULL);
		ms_mime_begin(m->mime, &forward, m);
	}
	m->hdr_len = 0;
	m->cut = false;
	m->in_headers = m->ready;
	m->hdr_truncated = false;
	m->active = true;
	m->size = 0;
	m->missing = 0;
}

/* The header block ends at the first empty line (RFC 5322 §2.1). Only
 * the newly appended bytes are searched, so the scan stays linear however
 * the message is split. */
static void headers_append(ms_message *m, const uint8_t *p, size_t n)
{
	size_t room = m->hdr_max - m->hdr_len;
	size_t take = n < room ? n : room;
	const char *h = m->hdr;

	memcpy(m->hdr + m->hdr_len, p, take);
	for (size_t i = m->hdr_len; i < m->hdr_len + take; i++) {
		const char *q = memchr(h + i, '\n', m->hdr_len + take - i);

		if (!q)
			break;
		i = (size_t)(q - h);
		if (i == 0 || h[i - 1] == '\n' ||
		    (h[i - 1] == '\r' && (i == 1 || h[i - 2] == '\n'))) {
			m->hdr_len = i + 1;
			m->in_headers = false;
			return;
		}
	}
	m->hdr_len += take;
	if (take < n) {
		m->hdr_truncated = true;
		m->in_headers = false;
	}
}

void ms_message_data(ms_message *m, const uint8_t *p, size_t n)
{
	if (m->ready) {
		EVP_DigestUpdate(m->sha, p, n);
		ms_mime_feed(m->mime, p, n);
	}
	m->size += n;
	if (m->on_data)
		m->on_data(m->on_data_user, p, n);
	if (m->in_headers)
		headers_append(m, p, n);
}

void ms_message_gap(ms_message *m, uint64_t n)
{
	m->missing += n;
	if (m->ready)
		ms_mime_gap(m->mime, n);
	/* Header fields after a hole could be anything: stop collecting. */
	m->in_headers = false;
}

/* Splits an address list at commas outside quotes, comments and angle
 * brackets (RFC 5322 §3.4). */
static size_t split_addresses(ms_str v, ms_str *out, size_t max, size_t have)
{
	size_t start = 0;
	int depth = 0;
	bool quoted = false;

	for (size_t i = 0; i <= v.len && have < max; i++) {
		char c = i < v.len ? v.p[i] : ',';

		if (quoted) {
			if (c == '\\')
				i++;
			else if (c == '"')
				quoted = false;
			continue;
		}
		if (c == '"')
			quoted = true;
		else if (c == '(' || c == '<')
			depth++;
		else if ((c == ')' || c == '>') && depth > 0)
			depth--;
		else if (c == ',' && depth == 0) {
			ms_str a = ms_header_trim(v.p + start, i - start);
			if (a.len > 0)
				out[have++] = a;
			start = i + 1;
		}
	}
	return have;
}

static void header_field(void *user, ms_str name, ms_str value)
{
	ms_message *m = user;
	ms_headers *h = &m->headers;
	static const struct {
		const char *name;
		size_t off;
	} single[] = {
	        {"from", offsetof(ms_headers, from)},
	        {"subject", offsetof(ms_headers, subject)},
	        {"date", offsetof(ms_headers, date)},
	        {"message-id", offsetof(ms_headers, message_id)},
	        {"in-reply-to", offsetof(ms_headers, in_reply_to)},
	        {"x-mailer", offsetof(ms_headers, x_mailer)},
	        {"user-agent", offsetof(ms_headers, user_agent)},
	};

	for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++) {
		ms_str *slot = (ms_str *)((char *)h + single[i].off);
		if (strlen(single[i].name) == name.len &&
		    strncasecmp(single[i].name, name.p, name.len) == 0) {
			if (!slot->p) /* the first occurrence counts */
				*slot = value;
			return;
		}
	}
	if (name.len == 2 && strncasecmp(name.p, "to", 2) == 0)
		h->to_count = split_addresses(value, m->addrs,
		                              MS_MAX_ADDR_FIELDS, h->to_count);
	else if (name.len == 2 && strncasecmp(name.p, "cc", 2) == 0)
		h->cc_count =
		        split_addresses(value, m->addrs + MS_MAX_ADDR_FIELDS,
		                        MS_MAX_ADDR_FIELDS, h->cc_count);
	else if (name.len == 8 && strncasecmp(name.p, "received", 8) == 0) {
		/* Received fields are prepended by each hop (RFC 5321
		 * §4.4): the first in the block is the last hop. */
		if (h->received_count++ == 0)
			h->received_last = value;
		h->received_first = value;
	}
}

/* RFC 2047 encoded words in a header value, to UTF-8 in m->dec. A value
 * without "=?" is left where it is. */
static void words_decode(ms_message *m, ms_str *v)
{
	unsigned problems = 0;
	size_t room = m->hdr_max - m->dec_used, n;

	if (!v->p || v->len < 4 || !memmem(v->p, v->len, "=?", 2) || !m->dec)
		return;
	n = ms_rfc2047_decode(m->words, v->p, v->len, m->dec + m->dec_used,
	                      room, &problems);
	*v = (ms_str){m->dec + m->dec_used, n};
	m->dec_used += n;
	if (problems && !m->words_flagged && m->part_cb &&
	    m->part_cb->anomaly) {
		m->words_flagged = true;
		m->part_cb->anomaly(m->part_user,
		                    problems & MS_RFC2047_BAD_CHARSET
		                            ? "mime_bad_charset"
		                            : "mime_bad_encoded_word",
		                    "in the message's header fields");
	}
}

/* The fields people read are decoded (RFC 2047 §5: unstructured text and
 * phrases, which is where encoded words may appear). */
static void headers_decode(ms_message *m)
{
	ms_headers *h = &m->headers;

	m->dec_used = 0;
	m->words_flagged = false;
	if (!m->words)
		return;
	words_decode(m, &h->from);
	words_decode(m, &h->subject);
	words_decode(m, &h->x_mailer);
	words_decode(m, &h->user_agent);
	for (size_t i = 0; i < h->to_count; i++)
		words_decode(m, &m->addrs[i]);
	for (size_t i = 0; i < h->cc_count; i++)
		words_decode(m, &m->addrs[MS_MAX_ADDR_FIELDS + i]);
}

static void headers_parse(ms_message *m)
{
	memset(&m->headers, 0, sizeof(m->headers));
	m->headers.to = m->addrs;
	m->headers.cc = m->addrs + MS_MAX_ADDR_FIELDS;
	ms_header_fields(m->hdr, ms_header_unfold(m->hdr, m->hdr_len),
	                 header_field, m);
}

bool ms_message_end(ms_message *m, ms_ev_message *ev)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	memset(md, 0, sizeof(md));
	if (m->ready)
		EVP_DigestFinal_ex(m->sha, md, &mdlen);
	else
		mdlen = 32;
	for (unsigned int i = 0; i < mdlen && i < 32; i++) {
		ev->sha256[2 * i] = hex[md[i] >> 4];
		ev->sha256[2 * i + 1] = hex[md[i] & 15];
	}
	ev->sha256[64] = '\0';
	ev->size = m->size;
	ev->missing_bytes = m->missing;
	ev->complete = m->missing == 0 && m->ready;
	ev->headers = NULL;
	if (m->hdr_len > 0) {
		headers_parse(m);
		headers_decode(m);
		ev->headers = &m->headers;
	}
	ev->parts = NULL;
	ev->part_count = 0;
	if (m->ready) {
		ms_mime_end(m->mime);
		ev->parts = ms_mime_parts(m->mime, &ev->part_count);
	}
	m->active = false;
	return m->hdr_truncated;
}
