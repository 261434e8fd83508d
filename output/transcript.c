/* transcript.c: sessions as the dialogue a textbook prints.
 *
 *   == session 1 pop3 10.0.0.1:50000 -> 10.0.0.2:110 2026-...Z ==
 *   S: +OK POP3 server ready
 *   C: USER rob
 *   ...
 *   -- AUTHORIZATION -> TRANSACTION --
 *
 * Built from MS_EV_LINE events, so it shows the lines in wire order.
 * Message bodies are cut to their first lines plus a size and hash
 * marker unless opt.full; secrets are *** unless opt.show_credentials;
 * control bytes from the traffic are escaped so a capture cannot drive
 * the reader's terminal.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "output/format.h"
#include "output/sink.h"

#define PREVIEW_LINES 4
#define TRACKED       64

typedef struct transcript {
	ms_sink base;
	ms_text text;
	uint64_t last_session;
	/* message lines printed so far, per session (by id % TRACKED) */
	struct {
		uint64_t session;
		uint32_t lines;
	} msg[TRACKED];
} transcript;

enum colour { C_NONE, C_CLIENT, C_SERVER, C_NOTE, C_WARN };

static void colour_on(transcript *t, enum colour c)
{
	static const char *const codes[] = {"", "\033[36m", "\033[32m",
	                                    "\033[2m", "\033[33m"};
	if (t->base.opt.color && c != C_NONE)
		fputs(codes[c], t->base.out);
}

static void colour_off(transcript *t, enum colour c)
{
	if (t->base.opt.color && c != C_NONE)
		fputs("\033[0m", t->base.out);
}

static void prefix_time(transcript *t, ms_time ts)
{
	char buf[MS_TS_LEN];

	if (!t->base.opt.timestamps)
		return;
	ms_format_ts(ts, buf);
	/* the time of day is enough beside the session header's date */
	fprintf(t->base.out, "%.15s ", buf + 11);
}

static void put_text(transcript *t, ms_str s)
{
	ms_text_set_utf8(&t->text, s, true);
	fwrite(t->text.p, 1, t->text.len, t->base.out);
}

static void session_mark(transcript *t, const ms_event *ev)
{
	if (ev->session == t->last_session)
		return;
	t->last_session = ev->session;
	if (ev->type != MS_EV_SESSION_START) {
		colour_on(t, C_NOTE);
		fprintf(t->base.out,
		        "== session %llu ==", (unsigned long long)ev->session);
		colour_off(t, C_NOTE);
		fputc('\n', t->base.out);
	}
}

static void note(transcript *t, const ms_event *ev, enum colour c,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void note(transcript *t, const ms_event *ev, enum colour c,
                 const char *fmt, ...)
{
	va_list ap;

	session_mark(t, ev);
	prefix_time(t, ev->ts);
	colour_on(t, c);
	va_start(ap, fmt);
	vfprintf(t->base.out, fmt, ap);
	va_end(ap);
	colour_off(t, c);
	fputc('\n', t->base.out);
}

static uint32_t *message_lines(transcript *t, uint64_t session)
{
	size_t i = session % TRACKED;

	if (t->msg[i].session != session) {
		t->msg[i].session = session;
		t->msg[i].lines = 0;
	}
	return &t->msg[i].lines;
}

static void line(transcript *t, const ms_event *ev)
{
	const ms_ev_line *l = &ev->u.line;
	enum colour c = l->dir == MS_DIR_TO_SERVER ? C_CLIENT : C_SERVER;
	ms_str text = l->text;
	bool redact =
	        l->redact_from != MS_NO_REDACT && !t->base.opt.show_credentials;

	if (l->kind == MS_LINE_MESSAGE && !t->base.opt.full &&
	    ++*message_lines(t, ev->session) > PREVIEW_LINES)
		return;
	if (redact && l->redact_from < text.len)
		text.len = l->redact_from;
	session_mark(t, ev);
	prefix_time(t, ev->ts);
	colour_on(t, c);
	fputs(l->dir == MS_DIR_TO_SERVER ? "C: " : "S: ", t->base.out);
	put_text(t, text);
	if (redact)
		fputs("***", t->base.out);
	colour_off(t, c);
	fputc('\n', t->base.out);
}

static void message(transcript *t, const ms_event *ev)
{
	const ms_ev_message *m = &ev->u.message;
	uint32_t *n = message_lines(t, ev->session);

	if (!t->base.opt.full || !m->complete)
		note(t, ev, C_NOTE, "%s [... %llu bytes%s, sha256 %s%s]",
		     m->direction == MS_DIR_TO_SERVER ? "C:" : "S:",
		     (unsigned long long)m->size, m->partial ? ", partial" : "",
		     m->sha256, m->complete ? "" : ", INCOMPLETE");
	*n = 0;
}

static void start(transcript *t, const ms_event *ev)
{
	const ms_ev_session_start *s = &ev->u.start;
	char cip[MS_IP_LEN], sip[MS_IP_LEN], ts[MS_TS_LEN];

	ms_format_ip(&s->client, cip);
	ms_format_ip(&s->server, sip);
	ms_format_ts(ev->ts, ts);
	t->last_session = ev->session;
	*message_lines(t, ev->session) = 0;
	note(t, ev, C_NOTE, "== session %llu %s %s%s%s:%u -> %s%s%s:%u %s%s ==",
	     (unsigned long long)ev->session, ms_proto_name(ev->proto),
	     s->client.ip_version == 6 ? "[" : "", cip,
	     s->client.ip_version == 6 ? "]" : "", s->client.port,
	     s->server.ip_version == 6 ? "[" : "", sip,
	     s->server.ip_version == 6 ? "]" : "", s->server.port, ts,
	     s->midstream ? " (midstream)" : "");
}

static void auth(transcript *t, const ms_event *ev)
{
	const ms_ev_auth *a = &ev->u.auth;

	ms_text_set_utf8(&t->text, a->user, true);
	note(t, ev, C_NOTE, "-- login %s via %s: %s --", t->text.p,
	     a->mechanism, a->success ? "success" : "FAILED");
}

static void end(transcript *t, const ms_event *ev)
{
	const ms_ev_session_end *e = &ev->u.end;

	note(t, ev, C_NOTE,
	     "== end of session %llu: %s, %llu commands, %llu messages%s%s ==",
	     (unsigned long long)ev->session, e->reason,
	     (unsigned long long)e->commands, (unsigned long long)e->messages,
	     e->has_update && !e->update_applied
	             ? ", no UPDATE (nothing deleted)"
	             : "",
	     e->gaps ? ", DATA MISSING" : "");
}

static void transcript_event(ms_sink *s, const ms_event *ev)
{
	transcript *t = (transcript *)s;

	switch (ev->type) {
	case MS_EV_SESSION_START:
		start(t, ev);
		break;
	case MS_EV_LINE:
		line(t, ev);
		break;
	case MS_EV_STATE:
		note(t, ev, C_NOTE, "-- %s -> %s --", ev->u.state.from,
		     ev->u.state.to);
		break;
	case MS_EV_AUTH:
		auth(t, ev);
		break;
	case MS_EV_TLS:
		note(t, ev, C_NOTE, "-- TLS (%s): encrypted from here on --",
		     ev->u.tls.trigger);
		break;
	case MS_EV_MESSAGE:
		message(t, ev);
		break;
	case MS_EV_ANOMALY:
		ms_text_set_utf8(&t->text, ev->u.anomaly.detail, true);
		note(t, ev, C_WARN, "!! %s (%s): %s", ev->u.anomaly.code,
		     ms_dir_name(ev->u.anomaly.dir), t->text.p);
		break;
	case MS_EV_SESSION_END:
		end(t, ev);
		break;
	case MS_EV_GREETING:
	case MS_EV_COMMAND:
	case MS_EV_MAILBOX:
	case MS_EV_FLAGS:
	case MS_EV_EXPUNGE:
		break; /* their lines are already printed */
	case MS_EV_MESSAGE_DATA:
	case MS_EV_PART:
		break;
	}
}

static void transcript_stats(ms_sink *s, const ms_run_stats *st)
{
	(void)s;
	(void)st;
}

static void transcript_flush(ms_sink *s)
{
	fflush(s->out);
}

static int transcript_close(ms_sink *s)
{
	transcript *t = (transcript *)s;
	int rc = fflush(s->out) == 0 && !ferror(s->out) ? 0 : -1;

	ms_text_free(&t->text);
	free(t);
	return rc;
}

static const ms_sink_ops transcript_ops = {
        .event = transcript_event,
        .stats = transcript_stats,
        .flush = transcript_flush,
        .close = transcript_close,
};

ms_sink *ms_transcript_sink_new(FILE *out, const ms_sink_options *opt)
{
	transcript *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->base.ops = &transcript_ops;
	t->base.out = out;
	t->base.opt = *opt;
	return &t->base;
}
