/* mime.h: the streaming MIME decoder of the message stage.
 *
 * A push parser: it takes a message's raw bytes in any split (CRLF or
 * bare LF line endings) and yields each leaf part's metadata, decoded
 * bytes and SHA-256, without ever holding a part: it keeps one bounded
 * line buffer and one bounded header block. Nested multiparts (RFC 2046
 * §5.1) and message/rfc822 parts (§5.2.1) are followed; base64 and
 * quoted-printable bodies are decoded (RFC 2045 §6.7, §6.8); file names
 * are decoded to UTF-8 (RFC 2231, RFC 2047). Every limit is a field of
 * ms_mime_limits; hitting one, like malformed input, is an anomaly
 * callback, never a failure.
 *
 * Use from the message stage: ms_mime_begin at message begin,
 * ms_mime_feed with every byte, ms_mime_gap for holes, ms_mime_end at
 * message end; then ms_mime_parts is the attachment list. Every string
 * stays valid until the next ms_mime_begin.
 */
#ifndef MS_MIME_H
#define MS_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissectors/event.h"

typedef struct ms_mime_limits {
	uint32_t max_depth;    /* nested multiparts and messages */
	uint32_t max_parts;    /* leaf parts per message */
	uint32_t max_header;   /* bytes of one part's header block */
	uint32_t max_boundary; /* RFC 2046 §5.1.1 says 70 */
	uint32_t max_params;   /* parameters per Content-Type/Disposition */
	uint32_t max_strings;  /* bytes of part strings per message */
} ms_mime_limits;

#define MS_MIME_MAX_DEPTH_DEFAULT    16
#define MS_MIME_MAX_PARTS_DEFAULT    256
#define MS_MIME_MAX_HEADER_DEFAULT   (16u << 10)
#define MS_MIME_MAX_BOUNDARY_DEFAULT 200
#define MS_MIME_MAX_PARAMS_DEFAULT   64
#define MS_MIME_MAX_STRINGS_DEFAULT  (64u << 10)

void ms_mime_limits_default(ms_mime_limits *l);

typedef struct ms_mime_part {
	uint32_t index;      /* 0-based among the leaf parts */
	uint32_t depth;      /* enclosing multiparts and messages */
	ms_str content_type; /* lowercased "type/subtype" */
	ms_str charset;      /* lowercased; empty when absent */
	ms_str encoding;     /* lowercased Content-Transfer-Encoding */
	ms_str disposition;  /* lowercased; empty when absent */
	ms_str filename;     /* UTF-8; empty when absent */
	ms_str content_id;   /* as sent */
	uint64_t size;       /* decoded bytes */
	char sha256[65];     /* hex, of the decoded bytes; set at part end */
	bool complete;       /* no gap, and its multipart was closed */
	bool is_attachment;  /* disposition attachment, or a named part
	                        that is not inline text */
} ms_mime_part;

/* Every callback may be NULL. part_data gets the decoded bytes of the
 * current leaf, between its part_begin and part_end. Codes: mime_depth,
 * mime_parts, mime_strings, mime_params, header_too_long,
 * mime_no_boundary, mime_boundary_too_long, mime_unterminated,
 * mime_bad_base64, mime_bad_charset, mime_bad_encoded_word. */
typedef struct ms_mime_callbacks {
	void (*part_begin)(void *user, const ms_mime_part *part);
	void (*part_data)(void *user, const uint8_t *p, size_t n);
	void (*part_end)(void *user, const ms_mime_part *part);
	void (*anomaly)(void *user, const char *code, const char *detail);
} ms_mime_callbacks;

typedef struct ms_mime ms_mime;

/* NULL limits means the defaults. Returns NULL only when out of memory. */
ms_mime *ms_mime_new(const ms_mime_limits *limits);
void ms_mime_free(ms_mime *m);

/* Starts a message; cb may be NULL. */
void ms_mime_begin(ms_mime *m, const ms_mime_callbacks *cb, void *user);
void ms_mime_feed(ms_mime *m, const uint8_t *p, size_t n);
/* n bytes are missing here: the current part becomes incomplete. */
void ms_mime_gap(ms_mime *m, uint64_t n);
void ms_mime_end(ms_mime *m);

/* The leaf parts in message order, complete after ms_mime_end. */
const ms_mime_part *ms_mime_parts(const ms_mime *m, size_t *count);

#endif
