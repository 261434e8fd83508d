/* command.h: client commands waiting for their replies, and the reply
 * being read; shared by the dissectors.
 *
 * Commands are copied into a ring allocated once per session (they must
 * outlive the packet that carried them, since a pipelining client sends
 * several before the first reply). Replies pop them in the order sent
 * (POP3 RFC 2449 §6.6, SMTP RFC 2920 §3). A full ring means the server
 * is not answering (a one-sided capture): the oldest command is reported
 * unanswered to make room.
 */
#ifndef MS_COMMAND_H
#define MS_COMMAND_H

#include "dissectors/session.h"

#define MS_CMD_VERB_MAX 16
#define MS_CMD_ARGS_MAX 1024

typedef struct ms_cmd {
	int kind;                   /* the dissector's own verb number */
	char verb[MS_CMD_VERB_MAX]; /* upper-cased */
	size_t verb_len;
	size_t args_len, redact_from;
	ms_time ts;
	uint64_t seq;
	bool pipelined;
	/* Waits for a reply but is not a command of its own (SMTP's end of
	 * DATA): no command event. */
	bool internal;
	/* For the dissector: check that the command fits the session's
	 * state when its reply comes rather than when it is sent. A
	 * pipelined command's state is the one the replies before it
	 * leave (POP3 RFC 2449 §6.6). */
	bool check_state;
	/* Its positive reply lists capabilities, one per line after the
	 * first (SMTP EHLO/LHLO, RFC 5321 §4.1.1.1). */
	bool lists_capabilities;
	/* For the dissector: what the command refers to (SMTP: the
	 * transaction slot and the recipient's index in it). */
	uint32_t aux;
	/* Last: a new command clears every field before it in one go, and
	 * the buffer needs no clearing. */
	char args[MS_CMD_ARGS_MAX]; /* as sent, cut at MS_CMD_ARGS_MAX */
} ms_cmd;

typedef struct ms_cmdq {
	ms_cmd *ring;
	size_t cap, head, count;
	size_t max; /* the ring grows to this, as pipelining needs */
	uint64_t seq;
} ms_cmdq;

/* A small ring that doubles up to max entries: a session that never
 * pipelines costs a few entries, not max. */
int ms_cmdq_init(ms_cmdq *q, size_t max);
void ms_cmdq_free(ms_cmdq *q);
static inline ms_cmd *ms_cmdq_head(ms_cmdq *q)
{
	return q->count ? &q->ring[q->head] : NULL;
}
void ms_cmdq_pop(ms_cmdq *q);
/* Queues a command line: verb upper-cased up to the first space, the rest
 * as arguments. pipelined is set when a reply was still due. */
ms_cmd *ms_cmdq_push_line(ms_session *s, ms_cmdq *q, const char *line,
                          size_t len, ms_time ts);
/* Queues an internal entry (see ms_cmd.internal). */
ms_cmd *ms_cmdq_push_internal(ms_session *s, ms_cmdq *q, int kind, ms_time ts);
/* Every queued command ends unanswered (a gap, the end of the session). */
void ms_cmdq_drain(ms_session *s, ms_cmdq *q, ms_time ts);

#define MS_REPLY_TEXT_MAX    512
#define MS_REPLY_LINES_MAX   32
#define MS_REPLY_LINES_BYTES 4096

/* The reply being read, which may span many lines and packets. */
typedef struct ms_reply_acc {
	char status[8];
	size_t status_len;
	int code;
	char enhanced[16];
	size_t enhanced_len;
	char resp_code[64];
	size_t resp_code_len;
	char text[MS_REPLY_TEXT_MAX];
	size_t text_len;
	/* each line's text, for multi-line SMTP replies; allocated with
	 * the first (most replies are one line) */
	char *lines_buf;
	size_t lines_used;
	ms_str lines[MS_REPLY_LINES_MAX];
	size_t nlines;
	uint32_t line_count;
	uint64_t bytes;
} ms_reply_acc;

void ms_reply_reset(ms_reply_acc *r);
void ms_reply_free(ms_reply_acc *r);
/* Counts a line of the reply as it was on the wire. */
static inline void ms_reply_count(ms_reply_acc *r, size_t raw_len)
{
	r->line_count++;
	r->bytes += raw_len;
}
/* Keeps a copy of a line's text among the reply's text_lines. */
void ms_reply_keep_line(ms_reply_acc *r, const char *p, size_t n);
void ms_reply_set_text(ms_reply_acc *r, const char *p, size_t n);
/* The event form of the reply, completed at ts for a command sent at
 * sent. Points into r. */
void ms_reply_fill(const ms_reply_acc *r, ms_reply *out, ms_time sent,
                   ms_time ts);

/* The command event; r NULL means unanswered. Internal entries emit
 * nothing. */
void ms_session_command(ms_session *s, const ms_cmd *c, const ms_reply_acc *r,
                        ms_time ts);

size_t ms_copy_bounded(char *dst, size_t cap, const char *src, size_t n);

#endif
