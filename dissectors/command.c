#include "dissectors/command.h"

#include <stdlib.h>
#include <string.h>

size_t ms_copy_bounded(char *dst, size_t cap, const char *src, size_t n)
{
	n = n < cap ? n : cap;
	memcpy(dst, src, n);
	return n;
}

#define CMDQ_FIRST 2

int ms_cmdq_init(ms_cmdq *q, size_t max)
{
	memset(q, 0, sizeof(*q));
	q->max = max ? max : 1;
	q->cap = q->max < CMDQ_FIRST ? q->max : CMDQ_FIRST;
	q->ring = malloc(q->cap * sizeof(*q->ring));
	return q->ring ? 0 : -1;
}

/* Doubles the ring (up to max), unwrapping it; false when it cannot. */
static bool cmdq_grow(ms_cmdq *q)
{
	size_t cap = q->cap * 2 < q->max ? q->cap * 2 : q->max;
	ms_cmd *ring;

	if (cap == q->cap || !(ring = malloc(cap * sizeof(*ring))))
		return false;
	for (size_t i = 0; i < q->count; i++)
		ring[i] = q->ring[(q->head + i) % q->cap];
	free(q->ring);
	q->ring = ring;
	q->cap = cap;
	q->head = 0;
	return true;
}

void ms_cmdq_free(ms_cmdq *q)
{
	free(q->ring);
	q->ring = NULL;
}

void ms_cmdq_pop(ms_cmdq *q)
{
	q->head = (q->head + 1) % q->cap;
	q->count--;
}

static ms_cmd *cmdq_slot(ms_session *s, ms_cmdq *q, ms_time ts)
{
	/* sent while a reply was due, even one the full ring gives up on */
	bool pipelined = q->count > 0;
	ms_cmd *c;

	if (q->count == q->cap && !cmdq_grow(q)) {
		ms_session_anomaly(
		        s, ts, MS_DIR_TO_SERVER, "limit_pending_commands",
		        "more than %zu commands await a reply", q->cap);
		ms_session_command(s, ms_cmdq_head(q), NULL, ts);
		ms_cmdq_pop(q);
	}
	c = &q->ring[(q->head + q->count) % q->cap];
	memset(c, 0, offsetof(ms_cmd, args)); /* every field but args */
	c->redact_from = MS_NO_REDACT;
	c->ts = ts;
	c->pipelined = pipelined;
	q->count++;
	return c;
}

ms_cmd *ms_cmdq_push_line(ms_session *s, ms_cmdq *q, const char *line,
                          size_t len, ms_time ts)
{
	ms_cmd *c = cmdq_slot(s, q, ts);
	const char *sp = memchr(line, ' ', len);
	size_t vlen = sp ? (size_t)(sp - line) : len;

	c->verb_len = ms_copy_bounded(c->verb, MS_CMD_VERB_MAX, line, vlen);
	for (size_t i = 0; i < c->verb_len; i++)
		if (c->verb[i] >= 'a' && c->verb[i] <= 'z')
			c->verb[i] = (char)(c->verb[i] - 32);
	if (sp)
		c->args_len = ms_copy_bounded(c->args, MS_CMD_ARGS_MAX, sp + 1,
		                              len - vlen - 1);
	c->seq = ++q->seq;
	return c;
}

ms_cmd *ms_cmdq_push_internal(ms_session *s, ms_cmdq *q, int kind, ms_time ts)
{
	ms_cmd *c = cmdq_slot(s, q, ts);

	c->kind = kind;
	c->internal = true;
	return c;
}

void ms_cmdq_drain(ms_session *s, ms_cmdq *q, ms_time ts)
{
	while (q->count > 0) {
		ms_session_command(s, ms_cmdq_head(q), NULL, ts);
		ms_cmdq_pop(q);
	}
}

void ms_reply_reset(ms_reply_acc *r)
{
	r->status_len = r->enhanced_len = r->resp_code_len = 0;
	r->text_len = r->lines_used = r->nlines = 0;
	r->code = 0;
	r->line_count = 0;
	r->bytes = 0;
}

void ms_reply_free(ms_reply_acc *r)
{
	free(r->lines_buf);
	r->lines_buf = NULL;
}

void ms_reply_keep_line(ms_reply_acc *r, const char *p, size_t n)
{
	size_t room = MS_REPLY_LINES_BYTES - r->lines_used;

	if (r->nlines == MS_REPLY_LINES_MAX ||
	    (!r->lines_buf && !(r->lines_buf = malloc(MS_REPLY_LINES_BYTES))))
		return;
	n = ms_copy_bounded(r->lines_buf + r->lines_used, room, p, n);
	r->lines[r->nlines++] = (ms_str){r->lines_buf + r->lines_used, n};
	r->lines_used += n;
}

void ms_reply_set_text(ms_reply_acc *r, const char *p, size_t n)
{
	r->text_len = ms_copy_bounded(r->text, MS_REPLY_TEXT_MAX, p, n);
}

void ms_reply_fill(const ms_reply_acc *r, ms_reply *out, ms_time sent,
                   ms_time ts)
{
	memset(out, 0, sizeof(*out));
	out->status = (ms_str){r->status, r->status_len};
	out->code = r->code;
	out->enhanced = (ms_str){r->enhanced, r->enhanced_len};
	out->resp_code = (ms_str){r->resp_code, r->resp_code_len};
	out->text = (ms_str){r->text, r->text_len};
	if (r->nlines > 1) {
		out->text_lines = r->lines;
		out->text_line_count = r->nlines;
	}
	out->line_count = r->line_count;
	out->bytes = r->bytes;
	out->ts = ts;
	out->rtt_ms = ms_time_diff_ms(sent, ts);
}

void ms_session_command(ms_session *s, const ms_cmd *c, const ms_reply_acc *r,
                        ms_time ts)
{
	ms_event ev;
	ms_ev_command *e = &ev.u.command;

	if (c->internal)
		return;
	memset(&ev, 0, sizeof(ev));
	e->verb = (ms_str){c->verb, c->verb_len};
	e->args = (ms_str){c->args, c->args_len};
	e->redact_from = c->redact_from;
	e->seq = c->seq;
	e->pipelined = c->pipelined;
	e->unanswered = r == NULL;
	if (r)
		ms_reply_fill(r, &e->reply, c->ts, ts);
	if (r && c->lists_capabilities && r->code / 100 == 2 && r->nlines > 1) {
		e->capabilities = r->lines + 1;
		e->capability_count = r->nlines - 1;
	}
	s->commands++;
	ms_session_emit(s, &ev, MS_EV_COMMAND, r ? ts : c->ts);
}
