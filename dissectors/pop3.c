/* pop3.c: POP3 (RFC 1939) with CAPA and extended response codes
 * (RFC 2449), SASL AUTH (RFC 5034) and STLS (RFC 2595).
 *
 * Client lines become commands queued in order; server status lines pop
 * them (POP3 replies come strictly in order, RFC 2449 §6.6). Whether a
 * reply is multi-line depends on the command and its status, which is
 * why the queue is the heart of the parser.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dissectors/command.h"
#include "dissectors/lines.h"
#include "dissectors/sasl.h"
#include "dissectors/session.h"

/* RFC 1939 §3: the session's states. UNKNOWN is ours: a capture that
 * began after the login cannot tell. */
typedef enum pop3_state {
	POP3_AUTHORIZATION,
	POP3_TRANSACTION,
	POP3_UPDATE,
	POP3_UNKNOWN,
} pop3_state;

static const char *const state_names[] = {"AUTHORIZATION", "TRANSACTION",
                                          "UPDATE", "UNKNOWN"};

typedef enum pop3_verb {
	V_USER,
	V_PASS,
	V_APOP,
	V_AUTH,
	V_STAT,
	V_LIST,
	V_UIDL,
	V_RETR,
	V_TOP,
	V_DELE,
	V_RSET,
	V_NOOP,
	V_LAST,
	V_QUIT,
	V_CAPA,
	V_STLS,
	V_UNKNOWN,
} pop3_verb;

#define IN_AUTH  (1u << POP3_AUTHORIZATION)
#define IN_TRANS (1u << POP3_TRANSACTION)

/* Where each command is valid: RFC 1939 §4-§7, RFC 2449 §5 (CAPA in
 * both), RFC 2595 §4 (STLS), RFC 5034 §4 (AUTH). LAST is RFC 1460's. */
static const struct verb_info {
	const char *name;
	unsigned states;
} verbs[] = {
        [V_USER] = {"USER", IN_AUTH},
        [V_PASS] = {"PASS", IN_AUTH},
        [V_APOP] = {"APOP", IN_AUTH},
        [V_AUTH] = {"AUTH", IN_AUTH},
        [V_STAT] = {"STAT", IN_TRANS},
        [V_LIST] = {"LIST", IN_TRANS},
        [V_UIDL] = {"UIDL", IN_TRANS},
        [V_RETR] = {"RETR", IN_TRANS},
        [V_TOP] = {"TOP", IN_TRANS},
        [V_DELE] = {"DELE", IN_TRANS},
        [V_RSET] = {"RSET", IN_TRANS},
        [V_NOOP] = {"NOOP", IN_TRANS},
        [V_LAST] = {"LAST", IN_TRANS},
        [V_QUIT] = {"QUIT", IN_AUTH | IN_TRANS},
        [V_CAPA] = {"CAPA", IN_AUTH | IN_TRANS},
        [V_STLS] = {"STLS", IN_AUTH},
        [V_UNKNOWN] = {"", 0},
};

#define UIDL_MAX 64

/* A UIDL listing entry (RFC 1939 §7). */
typedef struct pop3_uid {
	uint32_t number;
	char uid[UIDL_MAX + 1];
} pop3_uid;

typedef struct pop3 {
	/* permanent for the session */
	ms_lines lines[2];
	pop3_state state;
	bool greeted;
	bool update_applied;
	char user[MS_CMD_ARGS_MAX];
	size_t user_len;
	ms_cmdq q;        /* kind is the pop3_verb */
	uint32_t *marked; /* DELE marks, undone by RSET */
	size_t marked_count, marked_cap;
	pop3_uid *uids;
	size_t uid_count, uid_cap;
	/* the SASL exchange of the AUTH at the queue's head */
	bool sasl_active;
	ms_sasl_exchange sasl;
	/* reset for each reply */
	bool in_reply; /* a multi-line reply's data lines follow */
	bool in_message;
	bool after_gap;       /* server bytes were lost in this reply */
	bool resume_pending;  /* ... and have not resumed yet */
	uint64_t resume_seq;  /* the last command sent when they resumed */
	bool skip_partial[2]; /* drop up to the next LF after a gap */
	/* the start of an overlong command or status line was parsed:
	 * drop the rest of it */
	bool skip_long[2];
	ms_reply_acc reply;
	uint32_t msg_number;
} pop3;

static void *pop3_create(ms_session *s)
{
	pop3 *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (ms_cmdq_init(&p->q, s->cfg->max_pending) ||
	    ms_lines_init(&p->lines[0], s->cfg->max_line) ||
	    ms_lines_init(&p->lines[1], s->cfg->max_line)) {
		ms_lines_free(&p->lines[0]);
		ms_cmdq_free(&p->q);
		free(p);
		return NULL;
	}
	p->state = s->midstream ? POP3_UNKNOWN : POP3_AUTHORIZATION;
	p->greeted = s->midstream;
	return p;
}

static void pop3_destroy(void *st)
{
	pop3 *p = st;

	ms_lines_free(&p->lines[0]);
	ms_lines_free(&p->lines[1]);
	ms_cmdq_free(&p->q);
	ms_reply_free(&p->reply);
	ms_sasl_free(&p->sasl);
	free(p->marked);
	free(p->uids);
	free(p);
}

static void set_state(ms_session *s, pop3 *p, pop3_state to, ms_time ts,
                      const ms_cmd *cause)
{
	if (p->state == to)
		return;
	ms_session_state(s, ts, state_names[p->state], state_names[to],
	                 (ms_str){cause->verb, cause->verb_len});
	p->state = to;
}

/* Parses an unsigned decimal message number; 0 when there is none. */
static uint32_t parse_number(const char *p, size_t n)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < n && p[i] == ' ')
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(p[i] - '0');
		if (v > UINT32_MAX)
			return 0;
	}
	return (uint32_t)v;
}

/* ---- client side ---------------------------------------------------- */

/* The verb is upper-cased by the queue (POP3 keywords are
 * case-insensitive, RFC 1939 §3). */
static pop3_verb verb_lookup(const ms_cmd *c)
{
	for (int i = 0; i < V_UNKNOWN; i++)
		if (strlen(verbs[i].name) == c->verb_len &&
		    memcmp(verbs[i].name, c->verb, c->verb_len) == 0)
			return (pop3_verb)i;
	return V_UNKNOWN;
}

/* The secret part of a command's arguments (RFC 1939 §7 PASS, RFC 5034
 * §4 AUTH's initial response). */
static size_t redaction_point(pop3_verb v, const char *args, size_t n)
{
	const char *sp;

	if (v == V_PASS)
		return 0;
	if (v == V_AUTH && (sp = memchr(args, ' ', n)))
		return (size_t)(sp - args) + 1;
	return MS_NO_REDACT;
}

/* RFC 1939 §3: each command belongs to a state. */
static void check_state(ms_session *s, const pop3 *p, const ms_cmd *c,
                        ms_time ts)
{
	if (c->kind != V_UNKNOWN && p->state != POP3_UNKNOWN &&
	    !(verbs[c->kind].states & (1u << p->state)))
		ms_session_anomaly(s, ts, MS_DIR_TO_SERVER,
		                   "command_in_wrong_state", "%s in %s",
		                   verbs[c->kind].name, state_names[p->state]);
}

/* AUTH with a mechanism starts a SASL exchange (RFC 5034 §4); an
 * initial response is its first client message. */
static void auth_begin(pop3 *p, const ms_cmd *c)
{
	const char *ir = memchr(c->args, ' ', c->args_len);

	p->sasl_active = true;
	ms_sasl_start(&p->sasl);
	if (ir) {
		size_t n = c->args_len - (size_t)(ir + 1 - c->args);
		ms_sasl_add(&p->sasl, ir + 1, n);
	}
}

static void client_command(ms_session *s, pop3 *p, const ms_line *l, ms_time ts)
{
	ms_cmd *c = ms_cmdq_push_line(s, &p->q, l->p, l->len, ts);

	c->kind = verb_lookup(c);
	c->redact_from = redaction_point(c->kind, c->args, c->args_len);
	ms_session_line(s, ts, MS_DIR_TO_SERVER, MS_LINE_COMMAND, l->p, l->len,
	                c->redact_from == MS_NO_REDACT
	                        ? MS_NO_REDACT
	                        : c->verb_len + 1 + c->redact_from,
	                l->bare_lf);
	/* A pipelined command's state is the one the replies before it
	 * leave (RFC 2449 §6.6: "USER, PASS, STAT" in one go is fine), so
	 * it is checked when its reply comes. */
	c->check_state = c->pipelined;
	if (c->kind == V_UNKNOWN)
		ms_session_anomaly(s, ts, MS_DIR_TO_SERVER, "unknown_command",
		                   "%.*s", (int)c->verb_len, c->verb);
	else if (!c->pipelined)
		check_state(s, p, c, ts);
	if (c->kind == V_AUTH && c->args_len > 0)
		auth_begin(p, c);
}

static void client_sasl(ms_session *s, pop3 *p, const ms_line *l, ms_time ts)
{
	ms_session_line(s, ts, MS_DIR_TO_SERVER, MS_LINE_SASL, l->p, l->len, 0,
	                l->bare_lf);
	ms_sasl_add(&p->sasl, l->p, l->len);
}

/* An overlong line is reported once; its first max_line bytes are still
 * a command (or SASL response), since the server answers it, and
 * dropping it would pair every later reply with the wrong command. */
static void client_line(ms_session *s, pop3 *p, const ms_line *l,
                        bool line_start, ms_time ts)
{
	if (l->bare_lf)
		ms_session_anomaly(s, ts, MS_DIR_TO_SERVER, "bare_lf",
		                   "command line ends in LF without CR");
	if (l->too_long) {
		if (!line_start)
			return; /* the rest of a line cut by a gap */
		ms_session_anomaly(s, ts, MS_DIR_TO_SERVER, "line_too_long",
		                   "more than %zu bytes", s->cfg->max_line);
		p->skip_long[MS_DIR_TO_SERVER] = true;
	}
	if (p->sasl_active)
		client_sasl(s, p, l, ts);
	else
		client_command(s, p, l, ts);
}

/* ---- server side ---------------------------------------------------- */

static void reply_reset(pop3 *p)
{
	p->in_reply = false;
	p->in_message = false;
	p->after_gap = false;
	p->resume_pending = false;
	ms_reply_reset(&p->reply);
}

/* The command at the queue's head ends unanswered. */
static void drop_head(ms_session *s, pop3 *p, ms_time ts)
{
	ms_session_command(s, ms_cmdq_head(&p->q), NULL, ts);
	ms_cmdq_pop(&p->q);
}

static bool reply_ok(const pop3 *p)
{
	return p->reply.status_len == 3 &&
	       memcmp(p->reply.status, "+OK", 3) == 0;
}

static const char *uidl_of(const pop3 *p, uint32_t number)
{
	for (size_t i = p->uid_count; i-- > 0;)
		if (p->uids[i].number == number)
			return p->uids[i].uid;
	return NULL;
}

/* "n unique-id" from UIDL (RFC 1939 §7), kept so that each retrieved
 * message can name its UIDL. Bounded like everything per session. */
static void uidl_record(ms_session *s, pop3 *p, const char *t, size_t n)
{
	uint32_t number = parse_number(t, n);
	const char *sp = memchr(t, ' ', n);
	pop3_uid *u;

	if (!number || !sp || p->uid_count >= s->cfg->max_pending * 1024u)
		return;
	if (p->uid_count == p->uid_cap) {
		size_t cap = p->uid_cap ? p->uid_cap * 2 : 64;
		pop3_uid *nu = realloc(p->uids, cap * sizeof(*nu));
		if (!nu)
			return;
		p->uids = nu;
		p->uid_cap = cap;
	}
	u = &p->uids[p->uid_count++];
	u->number = number;
	n = (size_t)(t + n - sp - 1);
	n = ms_copy_bounded(u->uid, UIDL_MAX, sp + 1, n);
	u->uid[n] = '\0';
}

static void mark_deleted(pop3 *p, uint32_t number)
{
	if (!number || p->marked_count >= (1u << 20))
		return;
	for (size_t i = 0; i < p->marked_count; i++)
		if (p->marked[i] == number)
			return;
	if (p->marked_count == p->marked_cap) {
		size_t cap = p->marked_cap ? p->marked_cap * 2 : 32;
		uint32_t *nm = realloc(p->marked, cap * sizeof(*nm));
		if (!nm)
			return;
		p->marked = nm;
		p->marked_cap = cap;
	}
	p->marked[p->marked_count++] = number;
}

static void emit_auth(ms_session *s, pop3 *p, const ms_cmd *c, ms_time ts)
{
	char buf[2 * MS_CMD_ARGS_MAX];
	ms_event ev;
	ms_ev_auth *a = &ev.u.auth;

	memset(&ev, 0, sizeof(ev));
	a->success = reply_ok(p);
	if (c->kind == V_PASS) {
		a->mechanism = "USER";
		a->user = (ms_str){p->user, p->user_len};
		a->password = (ms_str){c->args, c->args_len};
	} else if (c->kind == V_APOP) {
		const char *sp = memchr(c->args, ' ', c->args_len);
		a->mechanism = "APOP";
		a->user = (ms_str){c->args,
		                   sp ? (size_t)(sp - c->args) : c->args_len};
	} else {
		const char *sp = memchr(c->args, ' ', c->args_len);
		ms_str mech = {c->args,
		               sp ? (size_t)(sp - c->args) : c->args_len};
		ms_sasl_result r;

		ms_sasl_finish(&p->sasl, mech, buf, sizeof(buf), &r);
		a->mechanism = r.mechanism;
		a->user = r.user;
		a->password = r.password;
	}
	ms_session_emit(s, &ev, MS_EV_AUTH, ts);
	if (a->success)
		set_state(s, p, POP3_TRANSACTION, ts, c);
}

static void emit_message(ms_session *s, pop3 *p, const ms_cmd *c, ms_time ts)
{
	ms_event ev;
	ms_ev_message *m = &ev.u.message;
	const char *uid = uidl_of(p, p->msg_number);

	memset(&ev, 0, sizeof(ev));
	m->direction = MS_DIR_TO_CLIENT;
	m->via = verbs[c->kind].name;
	m->index = (uint32_t)++s->messages;
	m->partial = c->kind == V_TOP;
	m->number = p->msg_number;
	if (uid)
		m->uidl = (ms_str){uid, strlen(uid)};
	if (ms_message_end(&s->msg, m))
		ms_session_anomaly(s, ts, MS_DIR_TO_CLIENT, "header_too_long",
		                   "header block over %zu bytes",
		                   s->cfg->max_header);
	ms_session_emit(s, &ev, MS_EV_MESSAGE, ts);
}

/* What a completed reply does to the session (RFC 1939 §4-§6). */
static void reply_effects(ms_session *s, pop3 *p, const ms_cmd *c, ms_time ts)
{
	bool ok = reply_ok(p);

	switch ((pop3_verb)c->kind) {
	case V_USER:
		if (ok)
			p->user_len = ms_copy_bounded(p->user, MS_CMD_ARGS_MAX,
			                              c->args, c->args_len);
		break;
	case V_PASS:
	case V_APOP:
	case V_AUTH:
		if (c->kind != V_AUTH || c->args_len > 0)
			emit_auth(s, p, c, ts);
		p->sasl_active = false;
		break;
	case V_DELE:
		if (ok)
			mark_deleted(p, parse_number(c->args, c->args_len));
		break;
	case V_RSET:
		if (ok)
			p->marked_count = 0;
		break;
	case V_QUIT:
		s->end_reason = "quit";
		if (p->state == POP3_TRANSACTION) {
			p->update_applied = ok;
			set_state(s, p, POP3_UPDATE, ts, c);
		}
		break;
	case V_STLS:
		/* RFC 2595 §4: the client's next bytes start TLS, which
		 * the session layer checks. A refusal of a second, pipelined
		 * STLS withdraws the check. */
		if (ok)
			ms_session_expect_tls(s, "STLS");
		else
			s->tls_pending = NULL;
		break;
	default:
		break;
	}
}

static void reply_complete(ms_session *s, pop3 *p, ms_time ts)
{
	ms_cmd *c = ms_cmdq_head(&p->q);

	if (c->check_state)
		check_state(s, p, c, ts);
	ms_session_command(s, c, &p->reply, ts);
	if (p->in_message)
		emit_message(s, p, c, ts);
	reply_effects(s, p, c, ts);
	ms_cmdq_pop(&p->q);
	reply_reset(p);
}

/* RFC 1939 §3 and RFC 2449 §6.6: the multi-line replies. */
static bool is_multiline(const pop3 *p, const ms_cmd *c)
{
	if (!reply_ok(p))
		return false;
	switch ((pop3_verb)c->kind) {
	case V_LIST:
	case V_UIDL:
		return c->args_len == 0;
	case V_RETR:
	case V_TOP:
	case V_CAPA:
		return true;
	case V_AUTH: /* the mechanism list some servers give to bare AUTH */
		return c->args_len == 0;
	default:
		return false;
	}
}

/* "+OK", "-ERR" or the SASL continuation "+", then an optional extended
 * response code in brackets (RFC 2449 §8), then text. */
static bool parse_status(ms_reply_acc *r, const ms_line *l)
{
	const char *t = l->p, *end = l->p + l->len;
	size_t n = 0;

	if (l->len >= 3 && strncasecmp(t, "+OK", 3) == 0)
		n = 3;
	else if (l->len >= 4 && strncasecmp(t, "-ERR", 4) == 0)
		n = 4;
	else if (l->len >= 1 && t[0] == '+' && (l->len == 1 || t[1] == ' '))
		n = 1;
	else
		return false;
	r->status_len = ms_copy_bounded(r->status, sizeof(r->status), t, n);
	for (size_t i = 0; i < r->status_len; i++)
		if (r->status[i] >= 'a' && r->status[i] <= 'z')
			r->status[i] = (char)(r->status[i] - 32);
	t += n;
	if (t < end && *t == ' ')
		t++;
	if (t < end && *t == '[') {
		const char *close = memchr(t, ']', (size_t)(end - t));
		if (close) {
			r->resp_code_len = ms_copy_bounded(
			        r->resp_code, sizeof(r->resp_code), t + 1,
			        (size_t)(close - t - 1));
			t = close + 1;
			while (t < end && *t == ' ')
				t++;
		}
	}
	ms_reply_set_text(r, t, (size_t)(end - t));
	return true;
}

static void server_greeting(ms_session *s, pop3 *p, const ms_line *l,
                            ms_time ts)
{
	ms_event ev;

	memset(&ev, 0, sizeof(ev));
	p->greeted = true;
	ms_session_line(s, ts, MS_DIR_TO_CLIENT, MS_LINE_REPLY, l->p, l->len,
	                MS_NO_REDACT, l->bare_lf);
	if (!parse_status(&p->reply, l)) {
		ms_session_anomaly(s, ts, MS_DIR_TO_CLIENT, "malformed_reply",
		                   "greeting is not +OK or -ERR");
		reply_reset(p);
		return;
	}
	ms_reply_count(&p->reply, l->raw_len);
	ms_reply_fill(&p->reply, &ev.u.greeting.reply, ts, ts);
	ms_session_emit(s, &ev, MS_EV_GREETING, ts);
	reply_reset(p);
}

/* A data line of a multi-line reply, dot-unstuffed (RFC 1939 §3). */
static void server_data(ms_session *s, pop3 *p, const ms_line *l, ms_time ts,
                        bool line_start)
{
	const ms_cmd *c = ms_cmdq_head(&p->q);
	bool stuffed = line_start && l->len > 0 && l->p[0] == '.';

	ms_reply_count(&p->reply, l->raw_len);
	if (line_start && !l->too_long && l->len == 1 && l->p[0] == '.') {
		/* The line goes to the transcript before the events it
		 * completes, like every other line; it ends a message only
		 * after RETR/TOP, otherwise it is the end of a listing. */
		ms_session_line(s, ts, MS_DIR_TO_CLIENT,
		                p->in_message ? MS_LINE_MESSAGE_END
		                              : MS_LINE_REPLY,
		                l->p, l->len, MS_NO_REDACT, l->bare_lf);
		reply_complete(s, p, ts);
		return;
	}
	if (p->in_message)
		ms_message_data(&s->msg, (const uint8_t *)l->raw + stuffed,
		                l->raw_len - stuffed);
	else if (c->kind == V_UIDL)
		uidl_record(s, p, l->p, l->len);
	ms_session_line(s, ts, MS_DIR_TO_CLIENT,
	                p->in_message ? MS_LINE_MESSAGE : MS_LINE_REPLY,
	                l->p + stuffed, l->len - stuffed, MS_NO_REDACT,
	                l->bare_lf);
}

static void server_status(ms_session *s, pop3 *p, const ms_line *l, ms_time ts)
{
	const ms_cmd *c = ms_cmdq_head(&p->q);

	if (!c) {
		if (p->state != POP3_UNKNOWN)
			ms_session_anomaly(s, ts, MS_DIR_TO_CLIENT,
			                   "reply_without_command", "%.*s",
			                   (int)(l->len < 64 ? l->len : 64),
			                   l->p);
		return;
	}
	if (!parse_status(&p->reply, l) ||
	    (p->reply.status_len == 1 && c->kind != V_AUTH)) {
		ms_session_anomaly(s, ts, MS_DIR_TO_CLIENT, "malformed_reply",
		                   "expected +OK or -ERR");
		return;
	}
	ms_session_line(s, ts, MS_DIR_TO_CLIENT,
	                p->reply.status_len == 1 ? MS_LINE_SASL : MS_LINE_REPLY,
	                l->p, l->len, MS_NO_REDACT, l->bare_lf);
	ms_reply_count(&p->reply, l->raw_len);
	if (p->reply.status_len == 1)
		return; /* a SASL challenge: the AUTH goes on (RFC 5034 §4) */
	if (!is_multiline(p, c)) {
		reply_complete(s, p, ts);
		return;
	}
	p->in_reply = true;
	if (c->kind == V_RETR || c->kind == V_TOP) {
		p->in_message = true;
		p->msg_number = parse_number(c->args, c->args_len);
		ms_message_begin(&s->msg);
		s->msg.cut = c->kind == V_TOP; /* headers and n lines */
	}
}

/* After lost server bytes inside a multi-line reply (a message, a
 * listing), its terminating "." may have been lost too: a status line
 * while later commands wait means the reply ended in the hole. */
static bool reply_ended_in_gap(const pop3 *p, const ms_line *l)
{
	return p->after_gap && p->q.count > 1 &&
	       ((l->len >= 3 && strncasecmp(l->p, "+OK", 3) == 0) ||
	        (l->len >= 4 && strncasecmp(l->p, "-ERR", 4) == 0));
}

static void server_line(ms_session *s, pop3 *p, const ms_line *l,
                        bool line_start, ms_time ts)
{
	if (l->bare_lf && !p->in_message)
		ms_session_anomaly(s, ts, MS_DIR_TO_CLIENT, "bare_lf",
		                   "reply line ends in LF without CR");
	if (l->too_long && !p->in_reply) {
		/* As for commands: the start of an overlong status line is
		 * parsed so that the reply still pairs with its command. */
		if (!line_start)
			return;
		ms_session_anomaly(s, ts, MS_DIR_TO_CLIENT, "line_too_long",
		                   "more than %zu bytes", s->cfg->max_line);
		p->skip_long[MS_DIR_TO_CLIENT] = true;
	}
	if (!p->greeted) {
		server_greeting(s, p, l, ts);
		return;
	}
	if (p->in_reply && reply_ended_in_gap(p, l)) {
		reply_complete(s, p, ts);
		/* Commands sent before the server's bytes resumed may have
		 * been answered inside the hole too. When a command sent
		 * after that waits, a client that does not pipeline only
		 * sent it once those replies had come: they were lost, and
		 * this line answers a later command. (A pipelining client
		 * leaves it open; the line then goes to the next command.) */
		while (p->q.seq > p->resume_seq &&
		       ms_cmdq_head(&p->q)->seq <= p->resume_seq)
			drop_head(s, p, ts);
	}
	if (p->in_reply)
		server_data(s, p, l, ts, line_start);
	else if (line_start)
		server_status(s, p, l, ts);
}

/* ---- entry points --------------------------------------------------- */

static void pop3_data(ms_session *s, void *st, ms_dir dir, const uint8_t *d,
                      size_t n, ms_time ts)
{
	pop3 *p = st;
	ms_lines *lf = &p->lines[dir];

	if (dir == MS_DIR_TO_CLIENT && p->resume_pending && n > 0) {
		p->resume_pending = false;
		p->resume_seq = p->q.seq;
	}
	while (n > 0) {
		size_t used;
		ms_line l;
		bool line_start = !lf->continuing;

		if (!ms_lines_take(lf, d, n, &used, &l))
			break;
		d += used;
		n -= used;
		if (!line_start && p->skip_long[dir]) {
			if (dir == MS_DIR_TO_CLIENT && p->in_reply)
				p->reply.bytes += l.raw_len;
			continue;
		}
		p->skip_long[dir] = false;
		if (p->skip_partial[dir]) {
			p->skip_partial[dir] = false;
			/* A hole that ended where a line starts leaves a whole
			 * status line here: the message ended in the hole. */
			if (dir == MS_DIR_TO_CLIENT && p->in_reply &&
			    reply_ended_in_gap(p, &l))
				server_line(s, p, &l, true, ts);
			else if (dir == MS_DIR_TO_CLIENT && p->in_message)
				server_data(s, p, &l, ts, false);
			else if (dir == MS_DIR_TO_CLIENT && p->in_reply)
				p->reply.bytes += l.raw_len; /* seen, cut */
			continue;
		}
		if (dir == MS_DIR_TO_SERVER)
			client_line(s, p, &l, line_start, ts);
		else
			server_line(s, p, &l, line_start, ts);
	}
}

/* Lost bytes: the line they fell into is cut, so the text up to the next
 * line end is not a line start. Inside a multi-line reply the hole is
 * counted and the reply goes on; between replies, the replies in it are
 * gone, so the commands waiting for them end unanswered rather than be
 * paired with the wrong reply. */
static void pop3_gap(ms_session *s, void *st, ms_dir dir, uint64_t n,
                     ms_time ts)
{
	pop3 *p = st;
	ms_lines *lf = &p->lines[dir];

	if (dir == MS_DIR_TO_CLIENT && p->in_message && lf->len > 0) {
		/* The start of a line held before the hole was seen: it is
		 * message content (size counts the bytes seen), not lost. */
		size_t stuffed = !lf->continuing && lf->buf[0] == '.';
		ms_message_data(&s->msg, (const uint8_t *)lf->buf + stuffed,
		                lf->len - stuffed);
		p->reply.bytes += lf->len;
	}
	ms_lines_reset(lf);
	p->skip_partial[dir] = true;
	p->skip_long[dir] = false;
	if (dir == MS_DIR_TO_SERVER)
		return;
	if (p->in_reply) {
		/* The reply stays open: its "." or a status line while
		 * later commands wait will end it (reply_ended_in_gap). */
		if (p->in_message)
			ms_message_gap(&s->msg, n);
		p->after_gap = true;
		p->resume_pending = true;
		return;
	}
	ms_cmdq_drain(s, &p->q, ts);
	p->sasl_active = false;
	reply_reset(p);
}

static void pop3_end(ms_session *s, void *st, ms_ev_session_end *end,
                     ms_time ts)
{
	pop3 *p = st;

	if (p->in_message) {
		/* The message's end was never seen. */
		ms_event ev;
		const ms_cmd *c = ms_cmdq_head(&p->q);
		const char *uid = uidl_of(p, p->msg_number);

		ms_session_command(s, c, NULL, ts);
		memset(&ev, 0, sizeof(ev));
		ev.u.message.direction = MS_DIR_TO_CLIENT;
		ev.u.message.via = verbs[c->kind].name;
		ev.u.message.index = (uint32_t)++s->messages;
		ev.u.message.partial = c->kind == V_TOP;
		ev.u.message.number = p->msg_number;
		/* as for a message that ended (emit_message) */
		if (uid)
			ev.u.message.uidl = (ms_str){uid, strlen(uid)};
		ms_message_end(&s->msg, &ev.u.message);
		ev.u.message.complete = false;
		ms_session_emit(s, &ev, MS_EV_MESSAGE, ts);
		ms_cmdq_pop(&p->q);
	}
	ms_cmdq_drain(s, &p->q, ts);
	end->state = state_names[p->state];
	/* Under TLS the QUIT, if any, was not seen: nothing to say. */
	end->has_update = !s->tls;
	end->update_applied = p->update_applied;
	end->deleted = p->update_applied ? p->marked : NULL;
	end->deleted_count = p->update_applied ? p->marked_count : 0;
}

const ms_dissector_ops ms_pop3_ops = {
        .create = pop3_create,
        .data = pop3_data,
        .gap = pop3_gap,
        .end = pop3_end,
        .destroy = pop3_destroy,
};
