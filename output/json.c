/* json.c: the NDJSON sink, contract v1 (../shared/docs/json-events.md,
 * docs/mailscope-events.schema.json). One object per line, keys in a
 * fixed order, unknown fields omitted rather than null. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/mime.h"
#include "output/format.h"
#include "output/sink.h"

/* room for the ESMTP parameters kept as sent */
#define MS_REPLY_OTHER_MAX 1100

typedef struct json_sink {
	ms_sink base;
	ms_text text;
	bool escaped; /* a string of the current event needed \xNN */
} json_sink;

static const char *const event_names[] = {
        [MS_EV_SESSION_START] = "session_start",
        [MS_EV_GREETING] = "greeting",
        [MS_EV_COMMAND] = "command",
        [MS_EV_STATE] = "state",
        [MS_EV_AUTH] = "auth",
        [MS_EV_TLS] = "tls",
        [MS_EV_MESSAGE] = "message",
        [MS_EV_ANOMALY] = "anomaly",
        [MS_EV_SESSION_END] = "session_end",
        [MS_EV_MAILBOX] = "mailbox",
        [MS_EV_FLAGS] = "flags",
        [MS_EV_EXPUNGE] = "expunge",
        [MS_EV_LINE] = "line",
};

static void put(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static void put_cstr(json_object *o, const char *k, const char *v)
{
	if (v && *v)
		put(o, k, json_object_new_string(v));
}

static json_object *new_str(json_sink *j, ms_str s)
{
	j->escaped |= ms_text_set_utf8(&j->text, s, false);
	return json_object_new_string_len(j->text.p, (int)j->text.len);
}

/* Text from the traffic; omitted when absent. */
static void put_str(json_sink *j, json_object *o, const char *k, ms_str s)
{
	if (s.p && s.len > 0)
		put(o, k, new_str(j, s));
}

static void put_secret(json_sink *j, json_object *o, const char *k, ms_str s,
                       size_t redact_from)
{
	char buf[1024];
	size_t keep;

	if (!s.p || redact_from == MS_NO_REDACT ||
	    j->base.opt.show_credentials) {
		put_str(j, o, k, s);
		return;
	}
	keep = redact_from < s.len ? redact_from : s.len;
	if (keep > sizeof(buf) - 4)
		keep = sizeof(buf) - 4;
	memcpy(buf, s.p, keep);
	memcpy(buf + keep, "***", 3);
	put(o, k, new_str(j, (ms_str){buf, keep + 3}));
}

static void put_ts(json_object *o, const char *k, ms_time t)
{
	char ts[MS_TS_LEN];

	ms_format_ts(t, ts);
	put(o, k, json_object_new_string(ts));
}

/* A number printed with a fixed number of decimals, so that output does
 * not depend on the shortest round-trip formatting of doubles. */
static void put_fixed(json_object *o, const char *k, double v, int decimals)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	put(o, k, json_object_new_double_s(v, buf));
}

/* A duration (duration_s, rtt_ms) is never negative in the contract; a
 * capture whose clock steps backwards (a packet stamped years ahead)
 * would otherwise make one so. */
static void put_duration(json_object *o, const char *k, double v, int decimals)
{
	put_fixed(o, k, v > 0 ? v : 0, decimals);
}

static void put_u64(json_object *o, const char *k, uint64_t v)
{
	put(o, k, json_object_new_uint64(v));
}

static json_object *new_endpoint(const ms_endpoint *e)
{
	json_object *o = json_object_new_object();
	char ip[MS_IP_LEN];

	ms_format_ip(e, ip);
	put(o, "ip", json_object_new_string(ip));
	put(o, "port", json_object_new_int(e->port));
	return o;
}

static void add_start(json_object *o, const ms_ev_session_start *e)
{
	put(o, "client", new_endpoint(&e->client));
	put(o, "server", new_endpoint(&e->server));
	put(o, "midstream", json_object_new_boolean(e->midstream));
	if (e->vlan_count) {
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < e->vlan_count; i++)
			json_object_array_add(a,
			                      json_object_new_int(e->vlan[i]));
		put(o, "vlan", a);
	}
}

static json_object *new_str_list(json_sink *j, const ms_str *v, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, new_str(j, v[i]));
	return a;
}

static void add_reply_fields(json_sink *j, json_object *o, const ms_reply *r)
{
	put_str(j, o, "status", r->status);
	if (r->code)
		put(o, "code", json_object_new_int(r->code));
	put_str(j, o, "enhanced", r->enhanced);
	put_str(j, o, "resp_code", r->resp_code);
	put(o, "text", new_str(j, r->text.p ? r->text : MS_STR_LIT("")));
	if (r->text_line_count)
		put(o, "text_lines",
		    new_str_list(j, r->text_lines, r->text_line_count));
}

/* "SIZE 10240000" -> "SIZE 10240000", "pipelining" -> "PIPELINING": the
 * keyword upper-cased (RFC 5321 §2.4), its parameters as sent. */
static json_object *new_capabilities(json_sink *j, const ms_ev_command *c)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < c->capability_count; i++) {
		ms_str cap = c->capabilities[i];
		char buf[256];
		size_t n = 0;

		for (; n < cap.len && n < sizeof(buf); n++) {
			char ch = cap.p[n];
			bool in_keyword = !memchr(cap.p, ' ', n);
			buf[n] = (char)(in_keyword && ch >= 'a' && ch <= 'z'
			                        ? ch - 32
			                        : ch);
		}
		json_object_array_add(a, new_str(j, (ms_str){buf, n}));
	}
	return a;
}

static void add_command(json_sink *j, json_object *o, const ms_ev_command *c)
{
	json_object *r;

	put_str(j, o, "tag", c->tag);
	put(o, "verb", new_str(j, c->verb));
	put_secret(j, o, "args", c->args, c->redact_from);
	put_u64(o, "seq", c->seq);
	put(o, "pipelined", json_object_new_boolean(c->pipelined));
	if (c->unanswered) {
		put(o, "unanswered", json_object_new_boolean(true));
		return;
	}
	r = json_object_new_object();
	add_reply_fields(j, r, &c->reply);
	put_u64(r, "line_count", c->reply.line_count);
	put_u64(r, "bytes", c->reply.bytes);
	put_ts(r, "ts", c->reply.ts);
	put_duration(r, "rtt_ms", c->reply.rtt_ms, 3);
	put(o, "reply", r);
	if (c->capability_count)
		put(o, "capabilities", new_capabilities(j, c));
}

static void add_headers(json_sink *j, json_object *o, const ms_headers *h)
{
	json_object *ho = json_object_new_object();

	put_str(j, ho, "from", h->from);
	if (h->to_count)
		put(ho, "to", new_str_list(j, h->to, h->to_count));
	if (h->cc_count)
		put(ho, "cc", new_str_list(j, h->cc, h->cc_count));
	put_str(j, ho, "subject", h->subject);
	put_str(j, ho, "date", h->date);
	put_str(j, ho, "message_id", h->message_id);
	put_str(j, ho, "in_reply_to", h->in_reply_to);
	put_str(j, ho, "x_mailer", h->x_mailer);
	put_str(j, ho, "user_agent", h->user_agent);
	if (h->received_count) {
		put_u64(ho, "received_count", h->received_count);
		put_str(j, ho, "received_first", h->received_first);
		put_str(j, ho, "received_last", h->received_last);
	}
	put(o, "headers", ho);
}

/* An upper-cased copy, for keyword values (RFC 5321 §2.4: case does not
 * matter in them). */
static json_object *new_upper(json_sink *j, ms_str v)
{
	char buf[64];
	size_t n = 0;

	for (; n < v.len && n < sizeof(buf); n++)
		buf[n] = (char)(v.p[n] >= 'a' && v.p[n] <= 'z' ? v.p[n] - 32
		                                               : v.p[n]);
	return new_str(j, (ms_str){buf, n});
}

/* SIZE= is a number (RFC 1870 §6); a value that is not one is kept among
 * the unparsed parameters. */
static bool put_size(json_object *o, ms_str v)
{
	uint64_t n = 0;

	if (v.len == 0 || v.len > 19)
		return false;
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
		n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	put_u64(o, "size", n);
	return true;
}

static json_object *new_notify(json_sink *j, ms_str v)
{
	json_object *a = json_object_new_array();
	const char *p = v.p, *end = v.p + v.len;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end;
		json_object_array_add(
		        a, new_upper(j, (ms_str){p, (size_t)(e - p)}));
		p = e + 1;
	}
	return a;
}

static json_object *new_params(json_sink *j, const ms_smtp_params *p)
{
	json_object *o = json_object_new_object();
	bool bad_size = p->size.p && !put_size(o, p->size);

	if (p->body.len) /* an empty value is no keyword */
		put(o, "body", new_upper(j, p->body));
	if (p->smtputf8)
		put(o, "smtputf8", json_object_new_boolean(true));
	if (p->ret.len)
		put(o, "ret", new_upper(j, p->ret));
	put_str(j, o, "envid", p->envid);
	if (p->notify.len)
		put(o, "notify", new_notify(j, p->notify));
	put_str(j, o, "orcpt", p->orcpt);
	if (p->auth.p)
		put(o, "auth", new_str(j, p->auth));
	if (bad_size || p->other.p) {
		char buf[MS_REPLY_OTHER_MAX];
		int n = snprintf(buf, sizeof(buf), "%s%.*s%s%.*s",
		                 bad_size ? "SIZE=" : "",
		                 bad_size ? (int)p->size.len : 0,
		                 bad_size ? p->size.p : "",
		                 bad_size && p->other.p ? " " : "",
		                 (int)p->other.len,
		                 p->other.p ? p->other.p : "");
		put(o, "other",
		    new_str(j, (ms_str){buf, n < 0 ? 0
		                             : (size_t)n < sizeof(buf)
		                                     ? (size_t)n
		                                     : sizeof(buf) - 1}));
	}
	if (json_object_object_length(o) == 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *new_rcpt(json_sink *j, const ms_rcpt *r)
{
	json_object *o = json_object_new_object(), *params;

	put(o, "addr", new_str(j, r->addr));
	if ((params = new_params(j, &r->params)))
		put(o, "params", params);
	if (r->answered) {
		put(o, "code", json_object_new_int(r->code));
		put_str(j, o, "enhanced", r->enhanced);
		put_str(j, o, "text", r->text);
	}
	put(o, "accepted", json_object_new_boolean(r->accepted));
	if (r->has_delivery) {
		put(o, "delivery_code", json_object_new_int(r->delivery_code));
		put_str(j, o, "delivery_enhanced", r->delivery_enhanced);
		put(o, "delivered", json_object_new_boolean(r->delivered));
	}
	return o;
}

/* SMTP/LMTP: the envelope, each recipient with its own reply, and the
 * server's verdict on the data. */
static void add_envelope(json_sink *j, json_object *o, const ms_ev_message *m)
{
	json_object *to = json_object_new_array(), *all, *params;

	put(o, "mail_from",
	    new_str(j, m->mail_from.p ? m->mail_from : MS_STR_LIT("")));
	if ((params = new_params(j, &m->mail_params)))
		put(o, "mail_params", params);
	all = json_object_new_array();
	for (size_t i = 0; i < m->rcpt_count; i++) {
		/* Recipients not refused: accepted, or whose reply was not
		 * seen (a capture of the client's side only). */
		if (m->rcpt[i].accepted || !m->rcpt[i].answered)
			json_object_array_add(to, new_str(j, m->rcpt[i].addr));
		json_object_array_add(all, new_rcpt(j, &m->rcpt[i]));
	}
	put(o, "rcpt_to", to);
	put(o, "rcpt", all);
	if (m->has_final) {
		json_object *r = json_object_new_object();
		put(o, "accepted", json_object_new_boolean(m->accepted));
		put_str(j, o, "queue_id", m->queue_id);
		put(r, "code", json_object_new_int(m->final.code));
		put_str(j, r, "enhanced", m->final.enhanced);
		put(r, "text", new_str(j, m->final.text));
		if (m->final.text_line_count)
			put(r, "text_lines",
			    new_str_list(j, m->final.text_lines,
			                 m->final.text_line_count));
		put(o, "reply", r);
	}
}

/* The parts a mail client would show as attachments (mime.h decides),
 * each with its decoded size and SHA-256. */
static void add_attachments(json_sink *j, json_object *o,
                            const ms_ev_message *m)
{
	json_object *a = NULL;

	for (size_t i = 0; i < m->part_count; i++) {
		const ms_mime_part *p = &m->parts[i];
		json_object *x;

		if (!p->is_attachment)
			continue;
		x = json_object_new_object();
		put_str(j, x, "filename", p->filename);
		put(x, "content_type", new_str(j, p->content_type));
		put_u64(x, "size", p->size);
		put(x, "sha256", json_object_new_string(p->sha256));
		if (!p->complete)
			put(x, "complete", json_object_new_boolean(false));
		if (!a)
			a = json_object_new_array();
		json_object_array_add(a, x);
	}
	if (a)
		put(o, "attachments", a);
	if (m->part_count)
		put_u64(o, "parts", m->part_count);
}

/* IMAP: where the message is (RFC 3501 §2.3.1) and which part of it. */
static void add_imap_message(json_sink *j, json_object *o,
                             const ms_ev_message *m)
{
	if (m->mailbox.p)
		put(o, "mailbox", new_str(j, m->mailbox));
	if (m->uid)
		put_u64(o, "uid", m->uid);
	if (m->seq)
		put_u64(o, "seq", m->seq);
	if (m->has_section)
		put(o, "section",
		    new_str(j, m->section.p ? m->section : MS_STR_LIT("")));
	if (m->flags)
		put(o, "flags", new_str_list(j, m->flags, m->flag_count));
}

static void add_message(json_sink *j, json_object *o, const ms_ev_message *m)
{
	put_cstr(o, "direction", ms_dir_name(m->direction));
	put_cstr(o, "via", m->via);
	put_u64(o, "index", m->index);
	if (m->number)
		put_u64(o, "number", m->number);
	put_str(j, o, "uidl", m->uidl);
	add_imap_message(j, o, m);
	put(o, "complete", json_object_new_boolean(m->complete));
	if (m->partial)
		put(o, "partial", json_object_new_boolean(true));
	put_u64(o, "size", m->size);
	if (!m->complete && m->missing_bytes)
		put_u64(o, "missing_bytes", m->missing_bytes);
	put(o, "sha256", json_object_new_string(m->sha256));
	if (!m->complete)
		put(o, "sha256_partial", json_object_new_boolean(true));
	if (m->has_envelope)
		add_envelope(j, o, m);
	if (m->headers)
		add_headers(j, o, m->headers);
	add_attachments(j, o, m);
}

static void add_mailbox(json_sink *j, json_object *o, const ms_ev_mailbox *m)
{
	put(o, "mailbox",
	    new_str(j, m->mailbox.p ? m->mailbox : MS_STR_LIT("")));
	if (m->has_exists)
		put_u64(o, "exists", m->exists);
	if (m->has_recent)
		put_u64(o, "recent", m->recent);
	if (m->uidvalidity)
		put_u64(o, "uidvalidity", m->uidvalidity);
	if (m->uidnext)
		put_u64(o, "uidnext", m->uidnext);
	if (m->has_flags)
		put(o, "flags", new_str_list(j, m->flags, m->flag_count));
	if (m->has_read_only)
		put(o, "read_only", json_object_new_boolean(m->read_only));
}

static void add_flags(json_sink *j, json_object *o, const ms_ev_flags *f)
{
	if (f->mailbox.p)
		put(o, "mailbox", new_str(j, f->mailbox));
	if (f->seq)
		put_u64(o, "seq", f->seq);
	if (f->uid)
		put_u64(o, "uid", f->uid);
	put(o, "flags", new_str_list(j, f->flags, f->flag_count));
	if (f->has_change) {
		put(o, "added", new_str_list(j, f->added, f->added_count));
		put(o, "removed",
		    new_str_list(j, f->removed, f->removed_count));
	}
}

static void add_expunge(json_sink *j, json_object *o, const ms_ev_expunge *e)
{
	if (e->mailbox.p)
		put(o, "mailbox", new_str(j, e->mailbox));
	if (e->seq)
		put_u64(o, "seq", e->seq);
	if (e->uid)
		put_u64(o, "uid", e->uid);
}

static void add_end(json_sink *j, json_object *o, const ms_ev_session_end *e)
{
	json_object *b = json_object_new_object();

	put_cstr(o, "reason", e->reason);
	put_cstr(o, "state", e->state);
	put_duration(o, "duration_s", e->duration_s, 6);
	put_u64(b, "to_server", e->bytes[MS_DIR_TO_SERVER]);
	put_u64(b, "to_client", e->bytes[MS_DIR_TO_CLIENT]);
	put(o, "bytes", b);
	if (e->tls_bytes)
		put_u64(o, "tls_bytes", e->tls_bytes);
	put_u64(o, "commands", e->commands);
	put_u64(o, "messages", e->messages);
	put_u64(o, "gaps", e->gaps);
	put_u64(o, "gap_bytes", e->gap_bytes);
	put_u64(o, "anomalies", e->anomalies);
	put_cstr(o, "one_sided", e->one_sided);
	put_str(j, o, "user", e->user);
	if (e->has_update) {
		json_object *d = json_object_new_array();
		for (size_t i = 0; i < e->deleted_count; i++)
			json_object_array_add(
			        d, json_object_new_uint64(e->deleted[i]));
		put(o, "deleted", d);
		put(o, "update_applied",
		    json_object_new_boolean(e->update_applied));
	}
}

static void add_body(json_sink *j, json_object *o, const ms_event *ev)
{
	const ms_ev_auth *a = &ev->u.auth;

	switch (ev->type) {
	case MS_EV_SESSION_START:
		add_start(o, &ev->u.start);
		break;
	case MS_EV_GREETING:
		add_reply_fields(j, o, &ev->u.greeting.reply);
		break;
	case MS_EV_COMMAND:
		add_command(j, o, &ev->u.command);
		break;
	case MS_EV_STATE:
		put_cstr(o, "from", ev->u.state.from);
		put_cstr(o, "to", ev->u.state.to);
		put(o, "cause", new_str(j, ev->u.state.cause));
		break;
	case MS_EV_AUTH:
		put_cstr(o, "mechanism", a->mechanism);
		put_str(j, o, "user", a->user);
		put(o, "success", json_object_new_boolean(a->success));
		if (j->base.opt.show_credentials)
			put_str(j, o, "password", a->password);
		break;
	case MS_EV_TLS:
		put_cstr(o, "trigger", ev->u.tls.trigger);
		break;
	case MS_EV_MESSAGE:
		add_message(j, o, &ev->u.message);
		break;
	case MS_EV_ANOMALY:
		put_cstr(o, "code", ev->u.anomaly.code);
		put_cstr(o, "dir", ms_dir_name(ev->u.anomaly.dir));
		put_str(j, o, "detail", ev->u.anomaly.detail);
		break;
	case MS_EV_SESSION_END:
		add_end(j, o, &ev->u.end);
		break;
	case MS_EV_MAILBOX:
		add_mailbox(j, o, &ev->u.mailbox);
		break;
	case MS_EV_FLAGS:
		add_flags(j, o, &ev->u.flags);
		break;
	case MS_EV_EXPUNGE:
		add_expunge(j, o, &ev->u.expunge);
		break;
	case MS_EV_LINE:
	case MS_EV_MESSAGE_DATA:
	case MS_EV_PART:
		break;
	}
}

static void write_object(json_sink *j, json_object *o)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
	            (j->base.opt.pretty ? JSON_C_TO_STRING_PRETTY
	                                : JSON_C_TO_STRING_PLAIN);

	fputs(json_object_to_json_string_ext(o, flags), j->base.out);
	fputc('\n', j->base.out);
	json_object_put(o);
}

static void json_event(ms_sink *s, const ms_event *ev)
{
	json_sink *j = (json_sink *)s;
	json_object *o;

	if (ev->type == MS_EV_LINE || ev->type == MS_EV_MESSAGE_DATA ||
	    ev->type == MS_EV_PART)
		return; /* for the transcript and extraction only */
	o = json_object_new_object();
	j->escaped = false;
	put_cstr(o, "event", event_names[ev->type]);
	put_ts(o, "ts", ev->ts);
	put_u64(o, "session", ev->session);
	put_cstr(o, "proto", ms_proto_name(ev->proto));
	put_cstr(o, "community_id", ev->community_id);
	add_body(j, o, ev);
	if (j->escaped)
		put(o, "escaped", json_object_new_boolean(true));
	write_object(j, o);
}

static json_object *new_counters(const ms_counter *c, size_t n)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < n; i++)
		put_u64(o, c[i].name, c[i].value);
	return o;
}

static void json_stats(ms_sink *s, const ms_run_stats *st)
{
	const ms_analyzer_stats *an = st->analyzer;
	const ms_reasm_stats *rs = an->reasm;
	json_object *o = json_object_new_object(), *sess, *anom;

	put_cstr(o, "event", "stats");
	put_ts(o, "ts", st->ts);
	put_u64(o, "packets", st->packets);
	put_u64(o, "bytes", st->bytes);
	put(o, "packets_skipped", new_counters(st->skipped, st->skipped_count));
	put_u64(o, "flows", rs->flows);
	sess = json_object_new_object();
	for (int p = MS_PROTO_SMTP; p <= MS_PROTO_IMAP; p++)
		if (an->sessions[p])
			put_u64(sess, ms_proto_name((ms_proto)p),
			        an->sessions[p]);
	put(o, "sessions", sess);
	put_u64(o, "retransmissions", rs->retransmissions);
	put_u64(o, "out_of_order", rs->out_of_order);
	put_u64(o, "overlaps", rs->overlaps);
	put_u64(o, "overlap_conflicts", rs->overlap_conflicts);
	put_u64(o, "gaps", rs->gaps);
	put_u64(o, "gap_bytes", rs->gap_bytes);
	put_u64(o, "evictions", rs->evictions);
	put_u64(o, "timeouts", rs->timeouts);
	anom = json_object_new_object();
	for (size_t i = 0; i < an->anomaly_codes; i++)
		put_u64(anom, an->anomaly_code[i], an->anomaly_count[i]);
	put(o, "anomalies", anom);
	if (st->live) {
		put_u64(o, "pcap_received", st->pcap_received);
		put_u64(o, "pcap_dropped", st->pcap_dropped);
		put_u64(o, "pcap_if_dropped", st->pcap_if_dropped);
	}
	write_object((json_sink *)s, o);
}

static void json_flush(ms_sink *s)
{
	fflush(s->out);
}

static int json_close(ms_sink *s)
{
	json_sink *j = (json_sink *)s;
	int rc = fflush(s->out) == 0 && !ferror(s->out) ? 0 : -1;

	ms_text_free(&j->text);
	free(j);
	return rc;
}

static const ms_sink_ops json_ops = {
        .event = json_event,
        .stats = json_stats,
        .flush = json_flush,
        .close = json_close,
};

ms_sink *ms_json_sink_new(FILE *out, const ms_sink_options *opt)
{
	json_sink *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->base.ops = &json_ops;
	j->base.out = out;
	j->base.opt = *opt;
	return &j->base;
}
