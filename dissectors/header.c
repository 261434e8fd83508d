#include "dissectors/header.h"

#include <string.h>

size_t ms_header_unfold(char *h, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (h[i] == '\r' && i + 1 < n && h[i + 1] == '\n')
			continue;
		if (h[i] == '\n' && i + 1 < n &&
		    (h[i + 1] == ' ' || h[i + 1] == '\t'))
			continue;
		h[o++] = h[i];
	}
	return o;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

ms_str ms_header_trim(const char *p, size_t n)
{
	while (n > 0 && is_space(*p)) {
		p++;
		n--;
	}
	while (n > 0 && is_space(p[n - 1]))
		n--;
	return (ms_str){p, n};
}

void ms_header_fields(const char *h, size_t n,
                      void (*fn)(void *user, ms_str name, ms_str value),
                      void *user)
{
	const char *p = h, *end = h + n;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *colon;

		if (!eol)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon && colon > p)
			fn(user, ms_header_trim(p, (size_t)(colon - p)),
			   ms_header_trim(colon + 1,
			                  (size_t)(eol - colon - 1)));
		p = eol + 1;
	}
}
