/* format.h: text helpers the sinks share. */
#ifndef MS_FORMAT_H
#define MS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "dissectors/event.h"

/* RFC 3339 UTC with microseconds: "2026-11-21T10:00:00.123456Z". */
#define MS_TS_LEN 64
void ms_format_ts(ms_time t, char out[MS_TS_LEN]);

/* "192.0.2.1" or "2001:db8::1". */
#define MS_IP_LEN 46
void ms_format_ip(const ms_endpoint *e, char out[MS_IP_LEN]);

/* A growable text buffer, reused across events. */
typedef struct ms_text {
	char *p;
	size_t len, cap;
} ms_text;

void ms_text_free(ms_text *t);

/* Replaces t's content with s as UTF-8: each byte that is not part of a
 * valid UTF-8 sequence becomes the four characters \xNN (as Zeek's JSON
 * logs write it). With escape_controls, C0 controls but TAB, and DEL, are
 * escaped too, so that traffic cannot drive a terminal. Returns true when
 * anything was escaped. NUL-terminates. */
bool ms_text_set_utf8(ms_text *t, ms_str s, bool escape_controls);

#endif
