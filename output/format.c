#include "output/format.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ms_format_ts(ms_time t, char out[MS_TS_LEN])
{
	time_t sec = (time_t)t.sec;
	struct tm tm;

	if (!gmtime_r(&sec, &tm)) {
		snprintf(out, MS_TS_LEN, "invalid");
		return;
	}
	snprintf(out, MS_TS_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, (int)t.usec);
}

void ms_format_ip(const ms_endpoint *e, char out[MS_IP_LEN])
{
	if (!inet_ntop(e->ip_version == 6 ? AF_INET6 : AF_INET, e->ip, out,
	               MS_IP_LEN))
		snprintf(out, MS_IP_LEN, "?");
}

void ms_text_free(ms_text *t)
{
	free(t->p);
	memset(t, 0, sizeof(*t));
}

static bool text_reserve(ms_text *t, size_t need)
{
	char *p;
	size_t cap;

	if (need <= t->cap)
		return true;
	cap = t->cap ? t->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(t->p, cap);
	if (!p)
		return false;
	t->p = p;
	t->cap = cap;
	return true;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629 §4), 0 if none. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	size_t len;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

bool ms_text_set_utf8(ms_text *t, ms_str s, bool escape_controls)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s.p;
	bool escaped = false;

	t->len = 0;
	if (!text_reserve(t, s.len * 4 + 1))
		return false;
	for (size_t i = 0; i < s.len;) {
		size_t n = utf8_seq(p + i, s.len - i);
		bool control = n == 1 &&
		               ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f);

		if (n == 0 || (escape_controls && control)) {
			t->p[t->len++] = '\\';
			t->p[t->len++] = 'x';
			t->p[t->len++] = hex[p[i] >> 4];
			t->p[t->len++] = hex[p[i] & 15];
			escaped |= n == 0;
			i++;
			continue;
		}
		memcpy(t->p + t->len, p + i, n);
		t->len += n;
		i += n;
	}
	t->p[t->len] = '\0';
	return escaped;
}
