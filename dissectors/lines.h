/* lines.h: the line framer shared by the three dissectors.
 *
 * A line that lies whole inside the bytes being fed is returned in place
 * (zero copy); only a line split across feeds is copied, into a buffer
 * bounded by max_line. A longer line is returned in pieces of max_line
 * bytes flagged too_long, so memory never grows with the input. Lines
 * end at LF; a CR before it is removed, and an LF without CR is flagged
 * bare_lf (RFC 5321 §2.3.8, RFC 1939 §3 want CRLF).
 */
#ifndef MS_LINES_H
#define MS_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ms_line {
	const char *p; /* text without the line ending */
	size_t len;
	const char *raw; /* text with its line ending, as on the wire */
	size_t raw_len;
	bool bare_lf;
	bool too_long; /* a piece of a line longer than max_line */
} ms_line;

typedef struct ms_lines {
	char *buf; /* holds a partial line between feeds */
	size_t len, max_line;
	bool continuing; /* the next piece continues a too_long line */
} ms_lines;

/* Returns 0. The buffer is allocated for the first line split across
 * feeds: most lines arrive whole and need none. */
int ms_lines_init(ms_lines *lf, size_t max_line);
void ms_lines_free(ms_lines *lf);
/* Forgets a partial line, after a gap: its bytes cannot be trusted. */
void ms_lines_reset(ms_lines *lf);
/* Bytes held from an unfinished line. */
static inline size_t ms_lines_pending(const ms_lines *lf)
{
	return lf->len;
}

/* Takes bytes from p[0..n) up to and including the next line end.
 * Returns how many bytes were consumed; *line is set and true returned
 * when a line (or a too_long piece) is complete. When false is returned
 * every byte was consumed and held for the next call. */
bool ms_lines_take(ms_lines *lf, const uint8_t *p, size_t n, size_t *used,
                   ms_line *line);

#endif
