/* header.h: RFC 5322 header blocks, shared by the message stage (the
 * message's fields) and the MIME decoder (each part's). */
#ifndef MS_HEADER_H
#define MS_HEADER_H

#include <stddef.h>

#include "dissectors/event.h"

/* Unfolds a header block in place: a line break followed by white space
 * continues the field (RFC 5322 §2.2.3), and CRLF becomes LF, so that
 * each field is one line. Returns the new length. */
size_t ms_header_unfold(char *h, size_t n);

/* p[0..n) without white space and line-break characters at either end. */
ms_str ms_header_trim(const char *p, size_t n);

/* Calls fn with each field's name and value (trimmed) of an unfolded
 * block; a line without a colon is not a field and is skipped. */
void ms_header_fields(const char *h, size_t n,
                      void (*fn)(void *user, ms_str name, ms_str value),
                      void *user);

#endif
