/* smtp.c: SMTP (RFC 5321) with the ESMTP extensions real servers
 * announce, and LMTP (RFC 2033).
 *
 * The client side is a small mode machine (commands, DATA content, BDAT
 * chunks taken by count, a SASL exchange); the server side reads replies
 * (RFC 5321 §4.2) and pops the command queue in order, which is what
 * makes PIPELINING (RFC 2920) work. A transaction (MAIL, RCPT..., DATA
 * or BDAT) collects the envelope, and its message goes through the
 * message stage as it streams.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dissectors/command.h"
#include "dissectors/lines.h"
#include "dissectors/sasl.h"
#include "dissectors/session.h"

/* RFC 5321 §4.1.4 and §3.3: where the session is. UNKNOWN: the capture
 * began after the greeting. */
typedef enum smtp_state {
	SMTP_CONNECTED,
	SMTP_GREETED,
	SMTP_MAIL,
	SMTP_RCPT,
	SMTP_DATA,
	SMTP_QUIT,
	SMTP_UNKNOWN,
} smtp_state;

static const char *const state_names[] = {
        "CONNECTED", "GREETED", "MAIL", "RCPT", "DATA", "QUIT", "UNKNOWN",
};

typedef enum smtp_verb {
	V_HELO,
	V_EHLO,
	V_LHLO,
	V_MAIL,
	V_RCPT,
	V_DATA,
	V_BDAT,
	V_RSET,
	V_VRFY,
	V_EXPN,
	V_HELP,
	V_NOOP,
	V_QUIT,
	V_STARTTLS,
	V_AUTH,
	V_UNKNOWN,
	V_END_OF_DATA, /* internal: waits for the final reply to the data */
	V_SUPERSEDED,  /* its message was reported without its verdict */
} smtp_verb;

static const char *const verb_names[] = {
        "HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA",     "BDAT", "RSET",
        "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH",
};

/* What the client is sending. */
typedef enum client_mode {
	C_COMMAND,
	C_DATA_WAIT, /* DATA sent, its 354 not seen yet */
	C_DATA,      /* message content up to CRLF.CRLF (RFC 5321 §4.5.2) */
	C_BDAT,      /* a chunk, taken by count (RFC 3030 §2) */
	C_SASL,      /* responses of an AUTH exchange (RFC 4954 §4) */
} client_mode;

#define MAX_RCPT     256
#define TX_BYTES     16384
#define NO_RCPT      0xffffu
#define TX(m)        (&(m)->tx[(m)->cur])
#define SLOT_OF(aux) ((aux) >> 16 & 1)
#define RCPT_OF(aux) ((aux)&0xffffu)

/* One mail transaction: RFC 5321 §3.3. Its envelope is taken from the
 * client's MAIL and RCPT commands as they are sent and confirmed by the
 * replies, so that a pipelining client (RFC 2920) and a capture of the
 * client's side only are both read right. */
typedef struct smtp_tx {
	bool in_data; /* message bytes are flowing */
	bool bdat;    /* the message comes in BDAT chunks */
	bool bdat_failed;
	bool bdat_last;  /* BDAT LAST was sent: its chunk ends the data */
	bool data_ended; /* the "." line or all of the LAST chunk was seen */
	uint32_t pending_finals; /* LMTP: per-recipient replies still due */
	ms_str mail_from;
	ms_smtp_params mail_params;
	ms_rcpt *rcpt; /* grows to MAX_RCPT as recipients come */
	size_t rcpt_cap;
	size_t rcpt_count, rcpt_accepted, rcpt_dropped;
	char *buf; /* TX_BYTES at the first MAIL; the strings point here */
	size_t used;
} smtp_tx;

typedef struct smtp {
	/* permanent for the session */
	bool lmtp;
	ms_lines lines[2];
	ms_cmdq q;
	smtp_state state;
	bool greeted;
	bool reply_orphan_seen;
	client_mode mode;
	uint64_t bdat_left;
	bool skip_partial[2];
	bool data_after_gap;
	bool bare_lf_flagged;
	ms_sasl_exchange sasl;
	/* Two transactions: the one the client's commands are building
	 * (tx[cur]), and the previous one while its data awaits the verdict,
	 * since a client may pipeline the next MAIL after the data (RFC 2920
	 * §3.1). A command names its transaction's slot in aux. */
	smtp_tx tx[2];
	unsigned cur;
	/* reset for each reply */
	ms_reply_acc reply;
} smtp;

/* ---- small parsers -------------------------------------------------- */

static smtp_verb verb_lookup(const ms_cmd *c)
{
	for (int i = 0; i < V_UNKNOWN; i++)
		if (strlen(verb_names[i]) == c->verb_len &&
		    memcmp(verb_names[i], c->verb, c->verb_len) == 0)
			return (smtp_verb)i;
	return V_UNKNOWN;
}

static ms_str tx_keep(smtp_tx *tx, const char *p, size_t n)
{
	size_t room;
	char *dst;

	if (!tx->buf && !(tx->buf = malloc(TX_BYTES)))
		return MS_STR_NULL;
	room = TX_BYTES - tx->used;
	dst = tx->buf + tx->used;

	n = ms_copy_bounded(dst, room, p, n);
	tx->used += n;
	return (ms_str){dst, n};
}

static bool word_is(ms_str w, const char *kw)
{
	return strlen(kw) == w.len && strncasecmp(w.p, kw, w.len) == 0;
}

/* ESMTP parameters: keyword["=" value], space-separated (RFC 5321
 * §4.1.2 Mail-parameters). */
static void params_parse(smtp_tx *tx, const char *p, size_t n,
                         ms_smtp_params *out)
{
	const char *end = p + n;
	char other[MS_CMD_ARGS_MAX];
	size_t other_len = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		const char *we = sp ? sp : end;
		const char *eq = memchr(p, '=', (size_t)(we - p));
		ms_str key = {p, (size_t)((eq ? eq : we) - p)};
		ms_str val = eq ? tx_keep(tx, eq + 1, (size_t)(we - eq - 1))
		                : MS_STR_NULL;
		static const struct {
			const char *kw;
			size_t off;
		} known[] = {
		        {"SIZE", offsetof(ms_smtp_params, size)},
		        {"BODY", offsetof(ms_smtp_params, body)},
		        {"RET", offsetof(ms_smtp_params, ret)},
		        {"ENVID", offsetof(ms_smtp_params, envid)},
		        {"AUTH", offsetof(ms_smtp_params, auth)},
		        {"NOTIFY", offsetof(ms_smtp_params, notify)},
		        {"ORCPT", offsetof(ms_smtp_params, orcpt)},
		};
		bool found = false;

		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (word_is(key, known[i].kw)) {
				*(ms_str *)((char *)out + known[i].off) = val;
				found = true;
			}
		if (word_is(key, "SMTPUTF8"))
			out->smtputf8 = found = true;
		if (!found && key.len > 0) {
			/* only the unknown ones, not the known ones between
			 * them */
			if (other_len > 0 && other_len < sizeof(other))
				other[other_len++] = ' ';
			other_len += ms_copy_bounded(other + other_len,
			                             sizeof(other) - other_len,
			                             p, (size_t)(we - p));
		}
		p = we;
		while (p < end && *p == ' ')
			p++;
	}
	if (other_len > 0)
		out->other = tx_keep(tx, other, other_len);
}

/* "FROM:<path> params" / "TO:<path> params" (RFC 5321 §4.1.1.2-3). A
 * space after the colon is not RFC-conforming but common: accepted. */
static bool path_parse(smtp_tx *tx, const ms_cmd *c, const char *kw,
                       ms_str *addr, ms_smtp_params *params)
{
	size_t kwl = strlen(kw);
	const char *p = c->args, *end = c->args + c->args_len, *ae;

	if (c->args_len < kwl || strncasecmp(p, kw, kwl) != 0)
		return false;
	p += kwl;
	while (p < end && *p == ' ')
		p++;
	if (p < end && *p == '<') {
		ae = memchr(p, '>', (size_t)(end - p));
		if (!ae)
			return false;
		*addr = tx_keep(tx, p + 1, (size_t)(ae - p - 1));
		ae++;
	} else {
		ae = memchr(p, ' ', (size_t)(end - p));
		ae = ae ? ae : end;
		*addr = tx_keep(tx, p, (size_t)(ae - p));
	}
	while (ae < end && *ae == ' ')
		ae++;
	params_parse(tx, ae, (size_t)(end - ae), params);
	return true;
}

/* The queue id in a final 250: "queued as X" (Postfix), "id=X" (Exim),
 * "X Message accepted for delivery" (Sendmail). */
static ms_str queue_id_in(const char *t, size_t n)
{
	const char *end = t + n, *p;
	static const char *const marks[] = {"queued as ", "id="};

	for (size_t i = 0; i < 2; i++) {
		size_t ml = strlen(marks[i]);
		for (p = t; p + ml <= end; p++)
			if (strncasecmp(p, marks[i], ml) == 0) {
				const char *q = p + ml, *qe = q;
				while (qe < end && *qe != ' ' && *qe != ';')
					qe++;
				if (qe > q)
					return (ms_str){q, (size_t)(qe - q)};
			}
	}
	p = memchr(t, ' ', n);
	if (p && (size_t)(end - p) > 29 &&
	    strncasecmp(p, " Message accepted for delivery", 30) == 0)
		return (ms_str){t, (size_t)(p - t)};
	return MS_STR_NULL;
}

/* The queue id in a final 250, on any of its lines (Exim answers BDAT
 * LAST with the chunk's size first): "queued as X" (Postfix), "id=X"
 * (Exim), "X Message accepted for delivery" (Sendmail). */
static ms_str queue_id_of(const ms_reply_acc *r)
{
	ms_str id = queue_id_in(r->text, r->text_len);

	for (size_t i = r->nlines; !id.p && i-- > 0;)
		id = queue_id_in(r->lines[i].p, r->lines[i].len);
	return id;
}

/* ---- the transaction ------------------------------------------------ */

static void set_state(ms_session *s, smtp *m, smtp_state to, ms_time ts,
                      ms_str cause)
{
	if (m->state == to)
		return;
	ms_session_state(s, ts, state_names[m->state], state_names[to], cause);
	m->state = to;
}

static ms_str verb_of(const ms_cmd *c)
{
	return (ms_str){c->verb, c->verb_len};
}

static void tx_reset(smtp_tx *t)
{
	t->in_data = t->bdat = t->bdat_last = t->data_ended = false;
	t->bdat_failed = false;
	t->pending_finals = 0;
	t->rcpt_count = t->rcpt_accepted = t->rcpt_dropped = 0;
	t->used = 0;
	t->mail_from = MS_STR_NULL;
	memset(&t->mail_params, 0, sizeof(t->mail_params));
}

static bool awaits_verdict(const smtp_tx *t)
{
	return t->in_data && t->data_ended;
}

static void emit_message(ms_session *s, smtp_tx *t, const ms_reply_acc *r,
                         const ms_cmd *c, ms_time ts, bool ended);

/* A new message's bytes arrive while another one's data has ended and
 * its verdict is still due: a capture of the client's side only, or a
 * pipelined BDAT transaction (RFC 3030 §4.2). The session hashes one
 * message at a time, so the earlier one is reported now, without a
 * verdict, rather than have both hashed as one; the command that would
 * have carried its verdict gets its reply as a plain command. */
static void supersede(ms_session *s, smtp *m, unsigned slot, ms_time ts)
{
	smtp_tx *t = &m->tx[slot];

	for (size_t i = 0; i < m->q.count; i++) {
		ms_cmd *c = &m->q.ring[(m->q.head + i) % m->q.cap];
		if ((c->kind == V_END_OF_DATA || c->kind == V_BDAT) &&
		    SLOT_OF(c->aux) == slot) {
			c->kind = V_SUPERSEDED;
			break;
		}
	}
	emit_message(s, t, NULL, NULL, ts, true);
	tx_reset(t);
}

/* The data of tx[cur] ended: its verdict is awaited in its slot, and
 * the client's next commands build a transaction in the other one. */
static void next_slot(ms_session *s, smtp *m, ms_time ts)
{
	m->cur ^= 1;
	if (awaits_verdict(TX(m)))
		supersede(s, m, m->cur, ts);
	tx_reset(TX(m));
}

static void data_begin(ms_session *s, smtp *m, bool bdat)
{
	smtp_tx *t = TX(m);

	if (awaits_verdict(&m->tx[m->cur ^ 1]))
		supersede(s, m, m->cur ^ 1, s->last);
	if (t->in_data)
		return; /* a further chunk, or the 354 after early content */
	t->in_data = true;
	t->bdat = bdat;
	m->data_after_gap = false;
	m->bare_lf_flagged = false;
	ms_message_begin(&s->msg);
}

/* The message event: the envelope, the bytes, and the verdict in r (NULL
 * when the final reply was not seen). ended: the client finished sending
 * it (the "." line, or all of the BDAT LAST chunk); when not, the message
 * is incomplete even though no byte was lost in a gap. */
static void emit_message(ms_session *s, smtp_tx *t, const ms_reply_acc *r,
                         const ms_cmd *c, ms_time ts, bool ended)
{
	ms_event ev;
	ms_ev_message *e = &ev.u.message;

	memset(&ev, 0, sizeof(ev));
	e->direction = MS_DIR_TO_SERVER;
	e->via = t->bdat ? "BDAT" : "DATA";
	e->index = (uint32_t)++s->messages;
	if (ms_message_end(&s->msg, e))
		ms_session_anomaly(s, ts, MS_DIR_TO_SERVER, "header_too_long",
		                   "header block over %zu bytes",
		                   s->cfg->max_header);
	if (!ended)
		e->complete = false;
	e->has_envelope = true;
	e->mail_from = t->mail_from;
	e->mail_params = t->mail_params;
	e->rcpt = t->rcpt;
	e->rcpt_count = t->rcpt_count;
	if (r) {
		e->has_final = true;
		e->accepted =
		        r->code >= 200 && r->code < 300 && !t->bdat_failed;
		ms_reply_fill(r, &e->final, c->ts, ts);
		e->queue_id = queue_id_of(r);
	}
	ms_session_emit(s, &ev, MS_EV_MESSAGE, ts);
	t->in_data = false;
}

/* LMTP answers the data once per accepted recipient, in RCPT order
 * (RFC 2033 §4.2); the last answer completes the message. */
static ms_rcpt *lmtp_next_recipient(smtp_tx *t)
{
	size_t seen = t->rcpt_accepted - t->pending_finals;

	for (size_t i = 0, n = 0; i < t->rcpt_count; i++)
		if (t->rcpt[i].accepted && n++ == seen)
			return &t->rcpt[i];
	return NULL;
}

/* The verdict on the data of the transaction in c's slot. Returns false
 * while LMTP replies are still due for the message. */
static bool data_final(ms_session *s, smtp *m, const ms_cmd *c,
                       const ms_reply_acc *r, ms_time ts)
{
	smtp_tx *t = &m->tx[SLOT_OF(c->aux)];

	if (m->lmtp && t->pending_finals > 0) {
		ms_rcpt *rc = lmtp_next_recipient(t);
		t->pending_finals--;
		if (rc) {
			rc->has_delivery = true;
			rc->delivered = r->code >= 200 && r->code < 300;
			rc->delivery_code = r->code;
			rc->delivery_enhanced =
			        tx_keep(t, r->enhanced, r->enhanced_len);
			rc->delivery_text = tx_keep(t, r->text, r->text_len);
		}
		if (t->pending_finals > 0)
			return false;
	}
	if (t->in_data)
		emit_message(s, t, r, c, ts, t->data_ended);
	tx_reset(t);
	set_state(s, m, SMTP_GREETED, ts, MS_STR_LIT("DATA"));
	return true;
}

static bool bdat_is_last(const ms_cmd *c)
{
	return c->args_len > 5 &&
	       strncasecmp(c->args + c->args_len - 5, " LAST", 5) == 0;
}

/* The client sent all of the data of tx[cur]. */
static void data_ended(ms_session *s, smtp *m, ms_time ts)
{
	smtp_tx *t = TX(m);

	t->data_ended = true;
	if (m->lmtp && t->rcpt_accepted > 0) /* RFC 2033 §4.2 */
		t->pending_finals = (uint32_t)t->rcpt_accepted;
	next_slot(s, m, ts);
}

/* Commands whose replies will never be seen (lost in a server gap, or
 * the session is over) end unanswered. A message whose data had ended is
 * reported now, without a verdict: the next reply on the wire answers a
 * later command and must not be taken for it. */
static void drain(ms_session *s, smtp *m, ms_time ts, bool at_end)
{
	while (m->q.count > 0) {
		ms_cmd *c = ms_cmdq_head(&m->q);
		smtp_tx *t = &m->tx[SLOT_OF(c->aux)];
		bool verdict = c->kind == V_END_OF_DATA ||
		               (c->kind == V_BDAT && bdat_is_last(c));

		ms_session_command(s, c, NULL, ts);
		if (verdict && t->in_data && (t->data_ended || at_end)) {
			emit_message(s, t, NULL, c, ts, t->data_ended);
			tx_reset(t);
			if (!at_end && m->state == SMTP_DATA)
				set_state(s, m, SMTP_GREETED, ts,
				          MS_STR_LIT("DATA"));
		}
		ms_cmdq_pop(&m->q);
	}
}

/* ---- the envelope, from the commands -------------------------------- */

static void mail_command(smtp *m, ms_cmd *c)
{
	smtp_tx *t = TX(m);

	tx_reset(t);
	c->aux = m->cur << 16;
	path_parse(t, c, "FROM:", &t->mail_from, &t->mail_params);
}

static bool rcpt_grow(smtp_tx *t)
{
	size_t cap = t->rcpt_cap ? t->rcpt_cap * 2 : 4;
	ms_rcpt *r;

	if (cap > MAX_RCPT)
		cap = MAX_RCPT;
	r = realloc(t->rcpt, cap * sizeof(*r));
	if (!r)
		return false;
	t->rcpt = r;
	t->rcpt_cap = cap;
	return true;
}

static void rcpt_command(ms_session *s, smtp *m, ms_cmd *c, ms_time ts)
{
	smtp_tx *t = TX(m);
	ms_rcpt *rc;

	c->aux = m->cur << 16 | NO_RCPT;
	if (t->rcpt_count == MAX_RCPT) {
		if (t->rcpt_dropped++ == 0)
			ms_session_anomaly(s, ts, MS_DIR_TO_SERVER,
			                   "limit_recipients",
			                   "more than %d recipients", MAX_RCPT);
		return;
	}
	if (t->rcpt_count == t->rcpt_cap && !rcpt_grow(t))
		return;
	rc = &t->rcpt[t->rcpt_count];
	memset(rc, 0, sizeof(*rc));
	if (!path_parse(t, c, "TO:", &rc->addr, &rc->params))
		return;
	c->aux = m->cur << 16 | (uint32_t)t->rcpt_count++;
}

/* The reply confirms or refuses what the RCPT asked for. */
static void rcpt_reply(ms_session *s, smtp *m, const ms_cmd *c,
                       const ms_reply_acc *r, ms_time ts)
{
	smtp_tx *t = &m->tx[SLOT_OF(c->aux)];
	bool ok = r->code >= 200 && r->code < 300;
	ms_rcpt *rc;

	if (ok)
		set_state(s, m, SMTP_RCPT, ts, verb_of(c));
	if (RCPT_OF(c->aux) >= t->rcpt_count)
		return; /* not listed (a limit), or reported already */
	rc = &t->rcpt[RCPT_OF(c->aux)];
	rc->answered = true;
	rc->code = r->code;
	rc->accepted = ok;
	rc->enhanced = tx_keep(t, r->enhanced, r->enhanced_len);
	rc->text = tx_keep(t, r->text, r->text_len);
	t->rcpt_accepted += ok;
}

static void emit_auth(ms_session *s, smtp *m, const ms_cmd *c, bool ok,
                      ms_time ts)
{
	char buf[2 * MS_CMD_ARGS_MAX];
	const char *sp = memchr(c->args, ' ', c->args_len);
	ms_str mech = {c->args, sp ? (size_t)(sp - c->args) : c->args_len};
	ms_sasl_result res;
	ms_event ev;

	ms_sasl_finish(&m->sasl, mech, buf, sizeof(buf), &res);
	memset(&ev, 0, sizeof(ev));
	ev.u.auth.mechanism = res.mechanism;
	ev.u.auth.user = res.user;
	ev.u.auth.password = res.password;
	ev.u.auth.success = ok;
	ms_session_emit(s, &ev, MS_EV_AUTH, ts);
}

/* What a command's final reply does (RFC 5321 §4.1.1, §4.3.2). */
static void reply_effects(ms_session *s, smtp *m, const ms_cmd *c,
                          const ms_reply_acc *r, ms_time ts)
{
	bool ok = r->code >= 200 && r->code < 400;

	switch ((smtp_verb)c->kind) {
	case V_HELO:
	case V_EHLO:
	case V_LHLO:
	case V_RSET: /* the transaction was reset when they were sent */
		if (ok)
			set_state(s, m, SMTP_GREETED, ts, verb_of(c));
		break;
	case V_MAIL:
		if (ok)
			set_state(s, m, SMTP_MAIL, ts, verb_of(c));
		else /* refused: there is no transaction (§4.1.1.2) */
			tx_reset(&m->tx[SLOT_OF(c->aux)]);
		break;
	case V_RCPT:
		rcpt_reply(s, m, c, r, ts);
		break;
	case V_DATA:
		if (r->code == 354) {
			data_begin(s, m, false);
			if (m->mode == C_DATA_WAIT)
				m->mode = C_DATA;
			set_state(s, m, SMTP_DATA, ts, verb_of(c));
		} else if (m->mode == C_DATA_WAIT) {
			m->mode = C_COMMAND; /* refused: no message follows */
		}
		break;
	case V_BDAT:
		if (!ok)
			m->tx[SLOT_OF(c->aux)].bdat_failed = true;
		else
			set_state(s, m, SMTP_DATA, ts, verb_of(c));
		if (bdat_is_last(c))
			data_final(s, m, c, r, ts);
		break;
	case V_QUIT:
		s->end_reason = "quit";
		set_state(s, m, SMTP_QUIT, ts, verb_of(c));
		break;
	case V_STARTTLS:
		if (r->code == 220)
			ms_session_expect_tls(s, "STARTTLS");
		break;
	case V_AUTH:
		emit_auth(s, m, c, r->code == 235, ts);
		m->mode = C_COMMAND;
		break;
	default:
		break;
	}
}

static void emit_greeting(ms_session *s, smtp *m, ms_time ts)
{
	ms_event ev;

	memset(&ev, 0, sizeof(ev));
	ms_reply_fill(&m->reply, &ev.u.greeting.reply, ts, ts);
	ev.u.greeting.reply.rtt_ms = 0;
	ms_session_emit(s, &ev, MS_EV_GREETING, ts);
	m->greeted = true;
	if (m->reply.code == 220)
		set_state(s, m, SMTP_GREETED, ts, MS_STR_LIT("greeting"));
}

/* A reply is complete: give it to the oldest waiting command. */
static void reply_complete(ms_session *s, smtp *m, ms_time ts)
{
	ms_cmd *c = ms_cmdq_head(&m->q);

	if (!m->greeted && (!c || m->state == SMTP_CONNECTED)) {
		emit_greeting(s, m, ts);
		return;
	}
	if (!c && m->mode == C_DATA && m->data_after_gap) {
		/* the end of the data was lost: this reply is its verdict
		 * (or, in LMTP, the first of them) */
		m->mode = C_COMMAND;
		c = ms_cmdq_push_internal(s, &m->q, V_END_OF_DATA, ts);
		c->aux = m->cur << 16;
		data_ended(s, m, ts);
		/* The client waited for the verdict (RFC 5321 §4.1.1.4),
		 * so its next bytes begin a command line. */
		ms_lines_reset(&m->lines[MS_DIR_TO_SERVER]);
		m->skip_partial[MS_DIR_TO_SERVER] = false;
	}
	if (!c) {
		/* 421 may come at any time (RFC 5321 §3.8): the server is
		 * closing, not answering anything. */
		if (m->reply.code == 421)
			return;
		if (!m->reply_orphan_seen && m->state != SMTP_UNKNOWN)
			ms_session_anomaly(s, ts, MS_DIR_TO_CLIENT,
			                   "reply_without_command", "%d",
			                   m->reply.code);
		m->reply_orphan_seen = true;
		return;
	}
	if (c->kind == V_AUTH && m->reply.code == 334)
		return; /* a SASL challenge: the exchange goes on */
	if (c->kind == V_END_OF_DATA) {
		if (!data_final(s, m, c, &m->reply, ts))
			return; /* LMTP: the next reply is still its own */
	} else {
		ms_session_command(s, c, &m->reply, ts);
		reply_effects(s, m, c, &m->reply, ts);
	}
	ms_cmdq_pop(&m->q);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "2.1.0 " at the start of a reply's text (RFC 3463 §2). */
static size_t enhanced_len(const char *t, size_t n)
{
	size_t i = 0, dots = 0;

	if (n < 6 || !(t[0] == '2' || t[0] == '4' || t[0] == '5') ||
	    t[1] != '.')
		return 0;
	for (i = 2; i < n && (is_digit(t[i]) || t[i] == '.'); i++)
		dots += t[i] == '.';
	return dots == 1 && (i == n || t[i] == ' ') ? i : 0;
}

/* Reply lines: code, "-" for more or " " for the last, text (RFC 5321
 * §4.2.1). */
static void server_line(ms_session *s, smtp *m, const ms_line *l, ms_time ts)
{
	const ms_cmd *c = ms_cmdq_head(&m->q);
	bool last;
	const char *t;
	size_t tl;

	if (l->len < 3 || !is_digit(l->p[0]) || !is_digit(l->p[1]) ||
	    !is_digit(l->p[2]) ||
	    (l->len > 3 && l->p[3] != ' ' && l->p[3] != '-')) {
		ms_session_anomaly(s, ts, MS_DIR_TO_CLIENT, "malformed_reply",
		                   "not an SMTP reply line");
		return;
	}
	ms_session_line(s, ts, MS_DIR_TO_CLIENT,
	                c && c->kind == V_AUTH ? MS_LINE_SASL : MS_LINE_REPLY,
	                l->p, l->len, MS_NO_REDACT, l->bare_lf);
	last = l->len == 3 || l->p[3] == ' ';
	t = l->len > 4 ? l->p + 4 : "";
	tl = l->len > 4 ? l->len - 4 : 0;
	if (m->reply.line_count == 0) {
		m->reply.code = (l->p[0] - '0') * 100 + (l->p[1] - '0') * 10 +
		                (l->p[2] - '0');
		size_t el = enhanced_len(t, tl);
		size_t skip;
		skip = el ? el + (el < tl) : 0; /* the code and its space */
		m->reply.enhanced_len = ms_copy_bounded(
		        m->reply.enhanced, sizeof(m->reply.enhanced), t, el);
		ms_reply_set_text(&m->reply, t + skip, tl - skip);
	}
	ms_reply_keep_line(&m->reply, t, tl);
	ms_reply_count(&m->reply, l->raw_len);
	if (!last)
		return;
	reply_complete(s, m, ts);
	ms_reply_reset(&m->reply);
}

/* ---- the client side ------------------------------------------------ */

/* AUTH's initial response (RFC 4954 §4) is a secret. */
static void auth_command(smtp *m, ms_cmd *c)
{
	const char *sp = memchr(c->args, ' ', c->args_len);

	ms_sasl_start(&m->sasl);
	m->mode = C_SASL;
	if (!sp)
		return;
	c->redact_from = (size_t)(sp - c->args) + 1;
	ms_sasl_add(&m->sasl, sp + 1, c->args_len - c->redact_from);
}

/* "BDAT" SP chunk-size [SP "LAST"] (RFC 3030 §2). */
static void bdat_command(ms_session *s, smtp *m, ms_cmd *c, ms_time ts)
{
	uint64_t n = 0;
	size_t i = 0;

	for (; i < c->args_len && is_digit(c->args[i]) && n < (1ull << 50); i++)
		n = n * 10 + (uint64_t)(c->args[i] - '0');
	if (i == 0) {
		ms_session_anomaly(s, ts, MS_DIR_TO_SERVER, "malformed_command",
		                   "BDAT without a chunk size");
		return;
	}
	data_begin(s, m, true);
	c->aux = m->cur << 16;
	TX(m)->bdat_last = bdat_is_last(c);
	m->bdat_left = n;
	m->mode = n > 0 ? C_BDAT : C_COMMAND;
	if (n == 0 && TX(m)->bdat_last)
		data_ended(s, m, ts);
}

static void client_command(ms_session *s, smtp *m, const ms_line *l, ms_time ts)
{
	ms_cmd *c = ms_cmdq_push_line(s, &m->q, l->p, l->len, ts);

	/* After a server gap nothing waits for a reply, and the server has
	 * sent nothing since: its next bytes answer this command, so they
	 * begin a reply line rather than end a cut one. */
	if (m->q.count == 1 && m->skip_partial[MS_DIR_TO_CLIENT] &&
	    ms_lines_pending(&m->lines[MS_DIR_TO_CLIENT]) == 0)
		m->skip_partial[MS_DIR_TO_CLIENT] = false;

	c->kind = verb_lookup(c);
	c->lists_capabilities = c->kind == V_EHLO || c->kind == V_LHLO;
	if (c->kind == V_AUTH)
		auth_command(m, c);
	ms_session_line(s, ts, MS_DIR_TO_SERVER, MS_LINE_COMMAND, l->p, l->len,
	                c->redact_from == MS_NO_REDACT
	                        ? MS_NO_REDACT
	                        : c->verb_len + 1 + c->redact_from,
	                l->bare_lf);
	switch ((smtp_verb)c->kind) {
	case V_UNKNOWN:
		ms_session_anomaly(s, ts, MS_DIR_TO_SERVER, "unknown_command",
		                   "%.*s", (int)c->verb_len, c->verb);
		break;
	case V_DATA:
		m->mode = C_DATA_WAIT;
		break;
	case V_BDAT:
		bdat_command(s, m, c, ts);
		break;
	case V_MAIL:
		mail_command(m, c);
		break;
	case V_RCPT:
		rcpt_command(s, m, c, ts);
		break;
	case V_RSET: /* RFC 5321 §4.1.1.5 */
	case V_LHLO:
		tx_reset(TX(m));
		break;
	case V_HELO:
	case V_EHLO: /* both reset the transaction (§4.1.4) */
		tx_reset(TX(m));
		if (m->lmtp)
			ms_session_anomaly(s, ts, MS_DIR_TO_SERVER,
			                   "command_in_wrong_state",
			                   "%s in LMTP (LHLO expected)",
			                   verb_names[c->kind]);
		break;
	default:
		break;
	}
}

/* Message content: dot-unstuffed, up to the "." line (RFC 5321
 * §4.5.2). The CRLF before the final "." belongs to the message. */
static void client_content(ms_session *s, smtp *m, const ms_line *l,
                           bool line_start, ms_time ts)
{
	bool stuffed = line_start && l->len > 0 && l->p[0] == '.';

	if (l->bare_lf && !m->bare_lf_flagged) {
		m->bare_lf_flagged = true;
		ms_session_anomaly(s, ts, MS_DIR_TO_SERVER, "bare_lf",
		                   "message line ends in LF without CR");
	}
	if (line_start && !l->too_long && l->len == 1 && l->p[0] == '.') {
		ms_session_line(s, ts, MS_DIR_TO_SERVER, MS_LINE_MESSAGE_END,
		                l->p, l->len, MS_NO_REDACT, l->bare_lf);
		m->mode = C_COMMAND;
		ms_cmdq_push_internal(s, &m->q, V_END_OF_DATA, ts)->aux = m->cur
		                                                          << 16;
		data_ended(s, m, ts);
		return;
	}
	ms_message_data(&s->msg, (const uint8_t *)l->raw + stuffed,
	                l->raw_len - stuffed);
	ms_session_line(s, ts, MS_DIR_TO_SERVER, MS_LINE_MESSAGE,
	                l->p + stuffed, l->len - stuffed, MS_NO_REDACT,
	                l->bare_lf);
}

static void client_sasl(ms_session *s, smtp *m, const ms_line *l, ms_time ts)
{
	ms_session_line(s, ts, MS_DIR_TO_SERVER, MS_LINE_SASL, l->p, l->len, 0,
	                l->bare_lf);
	ms_sasl_add(&m->sasl, l->p, l->len);
}

static void client_line(ms_session *s, smtp *m, const ms_line *l,
                        bool line_start, ms_time ts)
{
	if (m->mode == C_DATA_WAIT) {
		/* Content before the 354 was seen: a client that did not
		 * wait, or a capture of the client's side only. */
		data_begin(s, m, false);
		m->mode = C_DATA;
	}
	if (m->mode == C_DATA) {
		client_content(s, m, l, line_start, ts);
		return;
	}
	if (l->too_long) {
		if (!line_start)
			return;
		ms_session_anomaly(s, ts, MS_DIR_TO_SERVER, "line_too_long",
		                   "more than %zu bytes", s->cfg->max_line);
		/* The server answers the line all the same (500, RFC 5321
		 * §4.2.2, §4.5.3.1.4): its first piece stands for the
		 * command, so the replies stay paired with their commands. */
		if (m->mode == C_COMMAND)
			client_command(s, m, l, ts);
		return;
	}
	if (l->bare_lf)
		ms_session_anomaly(s, ts, MS_DIR_TO_SERVER, "bare_lf",
		                   "command line ends in LF without CR");
	if (m->mode == C_SASL)
		client_sasl(s, m, l, ts);
	else if (line_start)
		client_command(s, m, l, ts);
}

/* n more bytes of the BDAT chunk went by (seen or lost). */
static void chunk_advance(ms_session *s, smtp *m, uint64_t n, ms_time ts)
{
	m->bdat_left -= n;
	if (m->bdat_left > 0)
		return;
	m->mode = C_COMMAND;
	if (TX(m)->bdat_last)
		data_ended(s, m, ts);
}

/* A BDAT chunk's bytes are counted, never scanned (RFC 3030 §2). */
static size_t client_chunk(ms_session *s, smtp *m, const uint8_t *p, size_t n,
                           ms_time ts)
{
	size_t take = n < m->bdat_left ? n : (size_t)m->bdat_left;

	ms_message_data(&s->msg, p, take);
	chunk_advance(s, m, take, ts);
	return take;
}

/* After a gap the first line may be the tail of a cut one, or, when the
 * hole ended where a line starts, a whole line. It is taken as whole when
 * it reads as one: a known verb in command mode, a reply line's
 * "ddd " / "ddd-" on the server's side. */
static bool resyncs(const smtp *m, ms_dir dir, const ms_line *l)
{
	if (l->too_long)
		return false;
	if (dir == MS_DIR_TO_CLIENT)
		return l->len >= 4 && is_digit(l->p[0]) && is_digit(l->p[1]) &&
		       is_digit(l->p[2]) && (l->p[3] == ' ' || l->p[3] == '-');
	if (m->mode != C_COMMAND)
		return false;
	for (int i = 0; i < V_UNKNOWN; i++) {
		size_t n = strlen(verb_names[i]);
		if (l->len >= n && strncasecmp(l->p, verb_names[i], n) == 0 &&
		    (l->len == n || l->p[n] == ' '))
			return true;
	}
	return false;
}

static void feed_lines(ms_session *s, smtp *m, ms_dir dir, const uint8_t *p,
                       size_t n, ms_time ts)
{
	ms_lines *lf = &m->lines[dir];

	while (n > 0) {
		size_t used;
		ms_line l;
		bool line_start = !lf->continuing && !m->skip_partial[dir];

		if (dir == MS_DIR_TO_SERVER && m->mode == C_BDAT &&
		    ms_lines_pending(lf) == 0) {
			used = client_chunk(s, m, p, n, ts);
			p += used;
			n -= used;
			continue;
		}
		if (!ms_lines_take(lf, p, n, &used, &l))
			break;
		p += used;
		n -= used;
		if (m->skip_partial[dir]) {
			m->skip_partial[dir] = false;
			if (dir == MS_DIR_TO_SERVER && m->mode == C_DATA) {
				client_content(s, m, &l, false, ts);
				continue;
			}
			if (!resyncs(m, dir, &l))
				continue;
			line_start = true;
		}
		if (dir == MS_DIR_TO_SERVER)
			client_line(s, m, &l, line_start, ts);
		else if (line_start && !l.too_long)
			server_line(s, m, &l, ts);
	}
}

/* ---- entry points --------------------------------------------------- */

static void *smtp_create(ms_session *s)
{
	smtp *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (ms_cmdq_init(&m->q, s->cfg->max_pending) ||
	    ms_lines_init(&m->lines[0], s->cfg->max_line) ||
	    ms_lines_init(&m->lines[1], s->cfg->max_line)) {
		ms_lines_free(&m->lines[0]);
		ms_cmdq_free(&m->q);
		free(m);
		return NULL;
	}
	m->lmtp = s->proto == MS_PROTO_LMTP;
	m->state = s->midstream ? SMTP_UNKNOWN : SMTP_CONNECTED;
	m->greeted = s->midstream;
	return m;
}

static void smtp_destroy(void *st)
{
	smtp *m = st;

	ms_lines_free(&m->lines[0]);
	ms_lines_free(&m->lines[1]);
	ms_cmdq_free(&m->q);
	ms_reply_free(&m->reply);
	ms_sasl_free(&m->sasl);
	for (int i = 0; i < 2; i++) {
		free(m->tx[i].rcpt);
		free(m->tx[i].buf);
	}
	free(m);
}

static void smtp_data(ms_session *s, void *st, ms_dir dir, const uint8_t *p,
                      size_t n, ms_time ts)
{
	feed_lines(s, st, dir, p, n, ts);
}

/* Lost bytes. In a BDAT chunk they are just counted (the count still
 * frames the chunk); in DATA content the message becomes incomplete and
 * the server's verdict will end it if the "." was lost; elsewhere the
 * commands whose replies fell into the hole end unanswered. */
static void smtp_gap(ms_session *s, void *st, ms_dir dir, uint64_t n,
                     ms_time ts)
{
	smtp *m = st;

	if (dir == MS_DIR_TO_SERVER && m->mode == C_BDAT &&
	    ms_lines_pending(&m->lines[dir]) == 0) {
		bool beyond = n > m->bdat_left; /* commands were lost too */
		uint64_t in_chunk = beyond ? m->bdat_left : n;
		ms_message_gap(&s->msg, in_chunk);
		chunk_advance(s, m, in_chunk, ts);
		if (!beyond)
			return;
	}
	if (dir == MS_DIR_TO_SERVER && m->mode == C_DATA &&
	    ms_lines_pending(&m->lines[dir]) > 0) {
		/* The start of a line held before the hole was seen: it is
		 * content (size counts the bytes seen), not lost. */
		const ms_lines *lf = &m->lines[dir];
		size_t stuffed = !lf->continuing && !m->skip_partial[dir] &&
		                 lf->buf[0] == '.';
		ms_message_data(&s->msg, (const uint8_t *)lf->buf + stuffed,
		                lf->len - stuffed);
	}
	ms_lines_reset(&m->lines[dir]);
	m->skip_partial[dir] = true;
	if (dir == MS_DIR_TO_SERVER) {
		if (m->mode == C_DATA) {
			ms_message_gap(&s->msg, n);
			m->data_after_gap = true;
		}
		return;
	}
	drain(s, m, ts, false);
	ms_reply_reset(&m->reply);
}

static void smtp_end(ms_session *s, void *st, ms_ev_session_end *end,
                     ms_time ts)
{
	smtp *m = st;

	drain(s, m, ts, true);
	for (unsigned i = 0; i < 2; i++) {
		smtp_tx *t = &m->tx[(m->cur + 1 + i) % 2]; /* older first */
		/* What was seen of data that never ended is reported, as
		 * incomplete. */
		if (t->in_data)
			emit_message(s, t, NULL, NULL, ts, t->data_ended);
	}
	end->state = state_names[m->state];
}

const ms_dissector_ops ms_smtp_ops = {
        .create = smtp_create,
        .data = smtp_data,
        .gap = smtp_gap,
        .end = smtp_end,
        .destroy = smtp_destroy,
};
