#include "dissectors/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS_USER_MAX 255

const char *ms_proto_name(ms_proto p)
{
	static const char *const names[] = {"none", "smtp", "lmtp", "pop3",
	                                    "imap"};
	return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p]
	                                                      : "none";
}

const char *ms_dir_name(ms_dir d)
{
	return d == MS_DIR_TO_SERVER ? "to_server" : "to_client";
}

void ms_session_release(ms_session *s)
{
	if (s->state)
		s->ops->destroy(s->state);
	s->state = NULL;
	ms_message_free(&s->msg);
	free(s->user);
	s->user = NULL;
}

void ms_session_emit(ms_session *s, ms_event *ev, ms_event_type type,
                     ms_time ts)
{
	if (type == MS_EV_AUTH && ev->u.auth.success && ev->u.auth.user.len &&
	    (s->user || (s->user = malloc(MS_USER_MAX)))) {
		s->user_len = ev->u.auth.user.len < MS_USER_MAX
		                      ? ev->u.auth.user.len
		                      : MS_USER_MAX;
		memcpy(s->user, ev->u.auth.user.p, s->user_len);
	}
	ev->type = type;
	ev->ts = ts;
	ev->session = s->id;
	ev->proto = s->proto;
	ev->community_id = s->community_id;
	s->emit(s->emit_user, ev);
}

void ms_session_anomaly(ms_session *s, ms_time ts, ms_dir dir, const char *code,
                        const char *fmt, ...)
{
	char detail[256];
	ms_event ev;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	memset(&ev, 0, sizeof(ev));
	ev.u.anomaly.code = code;
	ev.u.anomaly.dir = dir;
	ev.u.anomaly.detail = (ms_str){detail, (size_t)n < sizeof(detail)
	                                               ? (size_t)n
	                                               : sizeof(detail) - 1};
	s->anomalies++;
	ms_session_emit(s, &ev, MS_EV_ANOMALY, ts);
}

void ms_session_state(ms_session *s, ms_time ts, const char *from,
                      const char *to, ms_str cause)
{
	ms_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.u.state.from = from;
	ev.u.state.to = to;
	ev.u.state.cause = cause;
	ms_session_emit(s, &ev, MS_EV_STATE, ts);
}

void ms_session_start_tls(ms_session *s, ms_time ts, const char *trigger)
{
	ms_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.u.tls.trigger = trigger;
	s->tls = true;
	ms_session_emit(s, &ev, MS_EV_TLS, ts);
}

void ms_session_line(ms_session *s, ms_time ts, ms_dir dir, ms_line_kind kind,
                     const char *p, size_t len, size_t redact_from,
                     bool bare_lf)
{
	ms_event ev;

	if (!s->cfg->emit_lines)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.u.line.dir = dir;
	ev.u.line.kind = kind;
	ev.u.line.text = (ms_str){p, len};
	ev.u.line.redact_from = redact_from;
	ev.u.line.bare_lf = bare_lf;
	ms_session_emit(s, &ev, MS_EV_LINE, ts);
}

void ms_session_expect_tls(ms_session *s, const char *trigger)
{
	s->tls_pending = trigger;
}

bool ms_session_check_tls(ms_session *s, const uint8_t *p, size_t n, ms_time ts)
{
	const char *trigger = s->tls_pending;

	if (n == 0)
		return false;
	s->tls_pending = NULL;
	if (p[0] == 0x16) { /* TLS handshake record (RFC 8446 §5.1) */
		ms_session_start_tls(s, ts, trigger);
		return true;
	}
	ms_session_anomaly(s, ts, MS_DIR_TO_SERVER, "tls_not_tls",
	                   "clear text after %s was accepted", trigger);
	return false;
}
