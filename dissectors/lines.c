#include "dissectors/lines.h"

#include <stdlib.h>
#include <string.h>

int ms_lines_init(ms_lines *lf, size_t max_line)
{
	memset(lf, 0, sizeof(*lf));
	lf->max_line = max_line < 16 ? 16 : max_line;
	lf->buf = malloc(lf->max_line);
	return lf->buf ? 0 : -1;
}

void ms_lines_free(ms_lines *lf)
{
	free(lf->buf);
	lf->buf = NULL;
}

void ms_lines_reset(ms_lines *lf)
{
	lf->len = 0;
	lf->continuing = false;
}

static void line_finish(ms_lines *lf, ms_line *line, const char *raw,
                        size_t raw_len, bool has_lf)
{
	size_t len = raw_len;

	line->raw = raw;
	line->raw_len = raw_len;
	line->bare_lf = false;
	line->too_long = !has_lf || lf->continuing;
	if (has_lf) {
		len--;
		if (len > 0 && raw[len - 1] == '\r')
			len--;
		else
			line->bare_lf = true;
	}
	line->p = raw;
	line->len = len;
	lf->continuing = !has_lf;
}

bool ms_lines_take(ms_lines *lf, const uint8_t *p, size_t n, size_t *used,
                   ms_line *line)
{
	size_t room = lf->max_line - lf->len;
	size_t scan = n < room ? n : room;
	const uint8_t *nl = memchr(p, '\n', scan);
	size_t take = nl ? (size_t)(nl - p) + 1 : scan;

	*used = take;
	if (lf->len == 0 && (nl || take == lf->max_line)) {
		line_finish(lf, line, (const char *)p, take, nl != NULL);
		return true;
	}
	if (!lf->buf && !(lf->buf = malloc(lf->max_line))) {
		/* out of memory: the piece goes out as it is, cut */
		line_finish(lf, line, (const char *)p, take, nl != NULL);
		line->too_long = true;
		return true;
	}
	memcpy(lf->buf + lf->len, p, take);
	lf->len += take;
	if (!nl && lf->len < lf->max_line)
		return false;
	line_finish(lf, line, lf->buf, lf->len, nl != NULL);
	lf->len = 0;
	return true;
}
