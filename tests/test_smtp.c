/* Tests for dissectors/smtp.c (SMTP, RFC 5321; LMTP, RFC 2033), driven at
 * the session level through tests/harness.h, as test_pop3.c drives POP3:
 * every dialogue is fed whole, byte by byte and split at every offset,
 * gated as the analyzer gates it (the STARTTLS check included), and its
 * events compared as canonical lines. This file keeps what is SMTP's own:
 * how its events read, and the dialogues. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/config.h"
#include "dissectors/session.h"
#include "harness.h"

/* ---- rendering ---- */

static void put_field(FILE *f, const char *name, ms_str s, bool *first)
{
	if (!s.p)
		return;
	fprintf(f, "%s%s=", *first ? "" : ",", name);
	put_str(f, s);
	*first = false;
}

static void put_params(FILE *f, const ms_smtp_params *p)
{
	bool first = true;

	if (!p->size.p && !p->body.p && !p->ret.p && !p->envid.p &&
	    !p->auth.p && !p->notify.p && !p->orcpt.p && !p->smtputf8 &&
	    !p->other.p)
		return;
	fputs(" {", f);
	put_field(f, "size", p->size, &first);
	put_field(f, "body", p->body, &first);
	put_field(f, "ret", p->ret, &first);
	put_field(f, "envid", p->envid, &first);
	put_field(f, "auth", p->auth, &first);
	put_field(f, "notify", p->notify, &first);
	put_field(f, "orcpt", p->orcpt, &first);
	if (p->smtputf8) {
		fprintf(f, "%ssmtputf8", first ? "" : ",");
		first = false;
	}
	put_field(f, "other", p->other, &first);
	fputc('}', f);
}

/* An SMTP reply: code, enhanced code, text, and each line's text when
 * there are several. */
static void put_reply(FILE *f, const ms_reply *r)
{
	fprintf(f, "%d", r->code);
	if (r->enhanced.len) {
		fputs(" enh=", f);
		put_str(f, r->enhanced);
	}
	fputs(" text=", f);
	put_str(f, r->text);
	for (size_t i = 0; i < r->text_line_count; i++) {
		fputs(i ? "|" : " tl=", f);
		put_str(f, r->text_lines[i]);
	}
	if (r->status.len || r->resp_code.len)
		fputs(" WRONG-STATUS", f);
}

static void put_rcpt(FILE *f, const ms_rcpt *r)
{
	put_str(f, r->addr);
	put_params(f, &r->params);
	if (!r->answered) {
		fputs(" -", f);
	} else {
		fprintf(f, " %d", r->code);
		if (r->enhanced.len) {
			fputc('/', f);
			put_str(f, r->enhanced);
		}
		fputs(r->accepted ? " acc" : " rej", f);
	}
	if (r->has_delivery) {
		fprintf(f, " dlv=%d", r->delivery_code);
		if (r->delivery_enhanced.len) {
			fputc('/', f);
			put_str(f, r->delivery_enhanced);
		}
		fputs(r->delivered ? " ok text=" : " fail text=", f);
		put_str(f, r->delivery_text);
	}
}

static void render_message(FILE *f, const ms_ev_message *m)
{
	fprintf(f, "message %s index=%u size=%llu sha256=%s complete=%d",
	        m->via, (unsigned)m->index, (unsigned long long)m->size,
	        m->sha256, m->complete);
	if (m->missing_bytes)
		fprintf(f, " missing=%llu",
		        (unsigned long long)m->missing_bytes);
	if (m->direction != MS_DIR_TO_SERVER || m->partial || m->number ||
	    m->uidl.len || !m->has_envelope)
		fputs(" WRONG-FIELDS", f);
	if (m->headers && m->headers->subject.len) {
		fputs(" subject=", f);
		put_str(f, m->headers->subject);
	}
	fputs(" from=<", f);
	put_str(f, m->mail_from);
	fputc('>', f);
	put_params(f, &m->mail_params);
	fputs(" rcpt=[", f);
	for (size_t i = 0; i < m->rcpt_count; i++) {
		fputs(i ? ", " : "", f);
		put_rcpt(f, &m->rcpt[i]);
	}
	fputc(']', f);
	if (!m->has_final) {
		fputs(" nofinal", f);
		if (m->accepted || m->queue_id.len)
			fputs(" WRONG-VERDICT", f);
		return;
	}
	fputs(" final=", f);
	put_reply(f, &m->final);
	fprintf(f, " accepted=%d", m->accepted);
	if (m->queue_id.len) {
		fputs(" queue=", f);
		put_str(f, m->queue_id);
	}
}

static void render(FILE *f, const ms_event *ev)
{
	switch (ev->type) {
	case MS_EV_GREETING:
		fputs("greeting ", f);
		put_reply(f, &ev->u.greeting.reply);
		break;
	case MS_EV_COMMAND: {
		const ms_ev_command *c = &ev->u.command;
		fputs("command ", f);
		put_str(f, c->verb);
		if (!put_command_args(f, c, put_str))
			break;
		fputs(" reply=", f);
		put_reply(f, &c->reply);
		fprintf(f, " lines=%u bytes=%llu",
		        (unsigned)c->reply.line_count,
		        (unsigned long long)c->reply.bytes);
		break;
	}
	case MS_EV_MESSAGE:
		render_message(f, &ev->u.message);
		break;
	case MS_EV_ANOMALY:
		fprintf(f, "anomaly %s %c", ev->u.anomaly.code,
		        ev->u.anomaly.dir == MS_DIR_TO_SERVER ? 'C' : 'S');
		break;
	default:
		render_common(f, ev, put_str);
		break;
	}
}

static void render_end(FILE *f, const ms_session *s,
                       const ms_ev_session_end *end)
{
	fprintf(f, "end reason=%s state=%s",
	        s->end_reason ? s->end_reason : "-",
	        end->state ? end->state : "-");
	if (s->tls)
		fputs(" tls", f);
}

/* ---- driving a session ---- */

typedef struct opts {
	ms_config cfg;
	ms_proto proto;
	bool midstream;
} opts;

static opts *smtp_opts(void)
{
	static opts o;

	memset(&o, 0, sizeof(o));
	ms_config_default(&o.cfg);
	o.proto = MS_PROTO_SMTP;
	return &o;
}

/* Runs a script every way and compares with the expected events. Gaps
 * also give the analyzer's "gap" anomaly, which these expectations
 * include. */
static void check_script(const opts *o, const step *script, evlist *want,
                         outcome *oc)
{
	const harness h = {.ops = &ms_smtp_ops,
	                   .proto = o->proto,
	                   .cfg = &o->cfg,
	                   .midstream = o->midstream,
	                   .gap_anomaly = true,
	                   .render = render,
	                   .render_end = render_end};

	h_check(&h, script, want, oc);
}

/* ---- expected events ---- */

/* The expected rendering of a reply given as it is on the wire (one or
 * more CRLF-ended lines): "CODE[ enh=E] text=T[ tl=..]". The enhanced
 * code is recognised as "d.d+.d+ " (RFC 3463 §2) at the start of the
 * first line's text. */
static void reply_str(const char *wire, char *out, size_t cap)
{
	FILE *f = fmemopen(out, cap, "w");
	const char *t = wire + 4, *eol = strchr(wire, '\r');
	size_t tl = (size_t)(eol - t), el = 0, nlines = 0;

	ck_assert_ptr_nonnull(f);
	if (tl > 0 && strchr("245", t[0]) && t[1] == '.') {
		int dots = 0;
		for (el = 2; el < tl &&
		             (t[el] == '.' || (t[el] >= '0' && t[el] <= '9'));
		     el++)
			dots += t[el] == '.';
		if (dots != 1 || el == tl || t[el] != ' ')
			el = 0;
	}
	fprintf(f, "%.3s", wire);
	if (el)
		fprintf(f, " enh=%.*s", (int)el, t);
	fprintf(f, " text=%.*s", (int)(tl - (el ? el + 1 : 0)),
	        t + (el ? el + 1 : 0));
	for (const char *p = wire; *p; p = strchr(p, '\n') + 1)
		nlines++;
	if (nlines > 1)
		for (const char *p = wire; *p; p = strchr(p, '\n') + 1)
			fprintf(f, "%s%.*s", p == wire ? " tl=" : "|",
			        (int)(strchr(p, '\r') - p - 4), p + 4);
	fclose(f);
}

/* A command answered by `reply`, as on the wire. `extra` goes after the
 * arguments (" redact=6", " pipelined"). */
static void exp_cmd(evlist *e, const char *verb, const char *args,
                    const char *extra, const char *reply)
{
	char r[1024];

	reply_str(reply, r, sizeof(r));
	expect(e, "command %s%s%s%s reply=%s lines=%u bytes=%zu", verb,
	       args ? " args=" : "", args ? args : "", extra ? extra : "", r,
	       count_lines(reply), strlen(reply));
}

static void exp_greeting(evlist *e, const char *wire)
{
	char r[1024];

	reply_str(wire, r, sizeof(r));
	expect(e, "greeting %s", r);
}

/* A message whose bytes (after unstuffing) are body[0..len); env is the
 * rendered envelope and verdict, from " from=<" on. */
static void exp_msg(evlist *e, const char *via, unsigned index,
                    const char *body, size_t len, bool complete,
                    const char *env)
{
	char hex[65];

	sha256_hex(body, len, hex);
	expect(e, "message %s index=%u size=%zu sha256=%s complete=%d%s", via,
	       index, len, hex, complete, env);
}

/* ---- the seed dialogue (RFC 5321 Appendix D.1 style) ---- */

#define GREET "220 smtp.example.com ESMTP Postfix\r\n"
#define SEED_MSG                                                               \
	"From: \"Bob Example\" <bob@example.org>\r\n"                          \
	"To: \"Alice Example\" <alice@example.com>\r\n"                        \
	"Cc: theboss@example.com\r\n"                                          \
	"Date: Tue, 15 Jan 2008 16:02:43 -0500\r\n"                            \
	"Subject: Test message\r\n"                                            \
	"\r\n"                                                                 \
	"Hello Alice.\r\n"                                                     \
	"This is a test message with 5 header fields and 4 lines in the "      \
	"message body.\r\n"                                                    \
	"Your friend,\r\n"                                                     \
	"Bob\r\n"
#define R_HELO  "250 Hello relay.example.org, I am glad to meet you\r\n"
#define R_354   "354 End data with <CR><LF>.<CR><LF>\r\n"
#define R_QUEUE "250 Ok: queued as 12345\r\n"

START_TEST(test_seed)
{
	static const step script[] = {S(GREET),
	                              C("HELO relay.example.org\r\n"),
	                              S(R_HELO),
	                              C("MAIL FROM:<bob@example.org>\r\n"),
	                              S("250 Ok\r\n"),
	                              C("RCPT TO:<alice@example.com>\r\n"),
	                              S("250 Ok\r\n"),
	                              C("RCPT TO:<theboss@example.com>\r\n"),
	                              S("250 Ok\r\n"),
	                              C("DATA\r\n"),
	                              S(R_354),
	                              C(SEED_MSG),
	                              C(".\r\n"),
	                              S(R_QUEUE),
	                              C("QUIT\r\n"),
	                              S("221 Bye\r\n"),
	                              END};
	evlist e = {0};
	outcome oc;

	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	exp_cmd(&e, "HELO", "relay.example.org", NULL, R_HELO);
	exp_cmd(&e, "MAIL", "FROM:<bob@example.org>", NULL, "250 Ok\r\n");
	expect(&e, "state GREETED->MAIL cause=MAIL");
	exp_cmd(&e, "RCPT", "TO:<alice@example.com>", NULL, "250 Ok\r\n");
	expect(&e, "state MAIL->RCPT cause=RCPT");
	exp_cmd(&e, "RCPT", "TO:<theboss@example.com>", NULL, "250 Ok\r\n");
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	exp_msg(&e, "DATA", 1, SEED_MSG, strlen(SEED_MSG), true,
	        " subject=Test message from=<bob@example.org>"
	        " rcpt=[alice@example.com 250 acc, theboss@example.com 250 acc]"
	        " final=250 text=Ok: queued as 12345 accepted=1 queue=12345");
	expect(&e, "state DATA->GREETED cause=DATA");
	exp_cmd(&e, "QUIT", NULL, NULL, "221 Bye\r\n");
	expect(&e, "state GREETED->QUIT cause=QUIT");
	expect(&e, "end reason=quit state=QUIT");
	check_script(smtp_opts(), script, &e, &oc);
	ck_assert_uint_eq(oc.commands, 6);
	ck_assert_uint_eq(oc.messages, 1);
	ck_assert_uint_eq(oc.anomalies, 0);
}
END_TEST

/* ---- replies ---- */

#define GREET_ML                                                               \
	"220-mx.example.com ESMTP ready\r\n220-no UCE\r\n220 welcome\r\n"
#define R_EHLO                                                                 \
	"250-mx.example.com Hello client.example.org\r\n250-PIPELINING\r\n"    \
	"250-SIZE 10240000\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n"

/* A multi-line greeting and EHLO reply keep each line's text; enhanced
 * status codes (RFC 2034, RFC 3463) are split from the text. */
START_TEST(test_replies)
{
	static const step script[] = {
	        S(GREET_ML),
	        C("EHLO client.example.org\r\n"),
	        S(R_EHLO),
	        C("MAIL FROM:<a@example.org>\r\n"),
	        S("250 2.1.0 Sender ok\r\n"),
	        C("RCPT TO:<b@example.com>\r\n"),
	        S("550 5.1.1 <b@example.com>: Recipient address rejected\r\n"),
	        C("VRFY b\r\n"),
	        S("252 2.0.0 b\r\n"),
	        C("RSET\r\n"),
	        S("250 2.0.0 Ok\r\n"),
	        C("noop\r\n"),
	        S("250-2.0.0 one\r\n250 2.0.0 two\r\n"),
	        C("QUIT\r\n"),
	        S("221 2.0.0 Bye\r\n"),
	        END};
	evlist e = {0};
	outcome oc;

	expect(&e, "greeting 220 text=mx.example.com ESMTP ready "
	           "tl=mx.example.com ESMTP ready|no UCE|welcome");
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	expect(&e,
	       "command EHLO args=client.example.org reply=250 "
	       "text=mx.example.com Hello client.example.org "
	       "tl=mx.example.com Hello client.example.org|PIPELINING|"
	       "SIZE 10240000|8BITMIME|ENHANCEDSTATUSCODES lines=5 "
	       "bytes=%zu",
	       strlen(R_EHLO));
	expect(&e, "command MAIL args=FROM:<a@example.org> reply=250 "
	           "enh=2.1.0 text=Sender ok lines=1 bytes=21");
	expect(&e, "state GREETED->MAIL cause=MAIL");
	expect(&e, "command RCPT args=TO:<b@example.com> reply=550 enh=5.1.1 "
	           "text=<b@example.com>: Recipient address rejected lines=1 "
	           "bytes=55");
	exp_cmd(&e, "VRFY", "b", NULL, "252 2.0.0 b\r\n");
	exp_cmd(&e, "RSET", NULL, NULL, "250 2.0.0 Ok\r\n");
	expect(&e, "state MAIL->GREETED cause=RSET");
	expect(&e, "command NOOP reply=250 enh=2.0.0 text=one "
	           "tl=2.0.0 one|2.0.0 two lines=2 bytes=30");
	exp_cmd(&e, "QUIT", NULL, NULL, "221 2.0.0 Bye\r\n");
	expect(&e, "state GREETED->QUIT cause=QUIT");
	expect(&e, "end reason=quit state=QUIT");
	check_script(smtp_opts(), script, &e, &oc);
	ck_assert_uint_eq(oc.anomalies, 0);
}
END_TEST

/* ---- PIPELINING (RFC 2920) ---- */

#define PMSG "Subject: p\r\n\r\nbody\r\n"
#define R_PIPE                                                                 \
	"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"                                     \
	"550 5.1.1 <nobody@y.com>: Recipient address rejected: User "          \
	"unknown\r\n"                                                          \
	"250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"

START_TEST(test_pipelining)
{
	static const step script[] = {
	        S(GREET), C("EHLO c\r\n"), S("250-mx\r\n250 PIPELINING\r\n"),
	        C("MAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.com>\r\n"
	          "RCPT TO:<nobody@y.com>\r\nRCPT TO:<c@y.com>\r\nDATA\r\n"),
	        S(R_PIPE), C(PMSG ".\r\n"),
	        S("250 2.0.0 Ok: queued as 4BFD21A2B\r\n"),
	        /* no valid recipient: DATA is refused, no message */
	        C("MAIL FROM:<a@x.org>\r\nRCPT TO:<nobody@y.com>\r\nDATA\r\n"),
	        S("250 2.1.0 Ok\r\n550 5.1.1 unknown\r\n"
	          "554 5.5.1 Error: no valid recipients\r\n"),
	        C("RSET\r\n"), S("250 2.0.0 Ok\r\n"), C("QUIT\r\n"),
	        S("221 2.0.0 Bye\r\n"), END};
	evlist e = {0};
	outcome oc;

	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	exp_cmd(&e, "EHLO", "c", NULL, "250-mx\r\n250 PIPELINING\r\n");
	exp_cmd(&e, "MAIL", "FROM:<a@x.org>", NULL, "250 2.1.0 Ok\r\n");
	expect(&e, "state GREETED->MAIL cause=MAIL");
	exp_cmd(&e, "RCPT", "TO:<b@y.com>", " pipelined", "250 2.1.5 Ok\r\n");
	expect(&e, "state MAIL->RCPT cause=RCPT");
	exp_cmd(&e, "RCPT", "TO:<nobody@y.com>", " pipelined",
	        "550 5.1.1 <nobody@y.com>: Recipient address rejected: User "
	        "unknown\r\n");
	exp_cmd(&e, "RCPT", "TO:<c@y.com>", " pipelined", "250 2.1.5 Ok\r\n");
	exp_cmd(&e, "DATA", NULL, " pipelined", R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	exp_msg(&e, "DATA", 1, PMSG, strlen(PMSG), true,
	        " subject=p from=<a@x.org> rcpt=[b@y.com 250/2.1.5 acc, "
	        "nobody@y.com 550/5.1.1 rej, c@y.com 250/2.1.5 acc] "
	        "final=250 enh=2.0.0 text=Ok: queued as 4BFD21A2B accepted=1 "
	        "queue=4BFD21A2B");
	expect(&e, "state DATA->GREETED cause=DATA");
	exp_cmd(&e, "MAIL", "FROM:<a@x.org>", NULL, "250 2.1.0 Ok\r\n");
	expect(&e, "state GREETED->MAIL cause=MAIL");
	exp_cmd(&e, "RCPT", "TO:<nobody@y.com>", " pipelined",
	        "550 5.1.1 unknown\r\n");
	exp_cmd(&e, "DATA", NULL, " pipelined",
	        "554 5.5.1 Error: no valid recipients\r\n");
	exp_cmd(&e, "RSET", NULL, NULL, "250 2.0.0 Ok\r\n");
	expect(&e, "state MAIL->GREETED cause=RSET");
	exp_cmd(&e, "QUIT", NULL, NULL, "221 2.0.0 Bye\r\n");
	expect(&e, "state GREETED->QUIT cause=QUIT");
	expect(&e, "end reason=quit state=QUIT");
	check_script(smtp_opts(), script, &e, &oc);
	ck_assert_uint_eq(oc.messages, 1);
	ck_assert_uint_eq(oc.anomalies, 0);
}
END_TEST

/* ---- transactions ---- */

#define M1 "Subject: one\r\n\r\nfirst\r\n"
#define M2 "Subject: two\r\n\r\nsecond\r\n"

/* Several transactions in one session; RSET and EHLO abort the one in
 * progress (RFC 5321 §4.1.1.5, §4.1.4): its envelope does not leak into
 * the next. */
START_TEST(test_transactions)
{
	static const step script[] = {
	        S(GREET),
	        C("EHLO c\r\n"),
	        S("250 mx\r\n"),
	        C("MAIL FROM:<a@x>\r\n"),
	        S("250 Ok\r\n"),
	        C("RCPT TO:<b@y>\r\n"),
	        S("250 Ok\r\n"),
	        C("DATA\r\n"),
	        S(R_354),
	        C(M1 ".\r\n"),
	        S("250 Ok: queued as AAA\r\n"),
	        C("MAIL FROM:<old@x>\r\n"),
	        S("250 Ok\r\n"),
	        C("RCPT TO:<old@y>\r\n"),
	        S("250 Ok\r\n"),
	        C("RSET\r\n"),
	        S("250 Ok\r\n"),
	        C("MAIL FROM:<c@x>\r\n"),
	        S("250 Ok\r\n"),
	        C("RCPT TO:<d@y>\r\n"),
	        S("250 Ok\r\n"),
	        C("DATA\r\n"),
	        S(R_354),
	        C(M2 ".\r\n"),
	        S("250 2.0.0 Ok id=1rABCD-0001\r\n"),
	        C("MAIL FROM:<e@x>\r\n"),
	        S("250 Ok\r\n"),
	        C("RCPT TO:<f@y>\r\n"),
	        S("250 Ok\r\n"),
	        C("EHLO c\r\n"),
	        S("250 mx\r\n"),
	        C("DATA\r\n"),
	        S("503 5.5.1 Error: need RCPT command\r\n"),
	        END};
	evlist e = {0};

	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	exp_cmd(&e, "EHLO", "c", NULL, "250 mx\r\n");
	exp_cmd(&e, "MAIL", "FROM:<a@x>", NULL, "250 Ok\r\n");
	expect(&e, "state GREETED->MAIL cause=MAIL");
	exp_cmd(&e, "RCPT", "TO:<b@y>", NULL, "250 Ok\r\n");
	expect(&e, "state MAIL->RCPT cause=RCPT");
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	exp_msg(&e, "DATA", 1, M1, strlen(M1), true,
	        " subject=one from=<a@x> rcpt=[b@y 250 acc] final=250 "
	        "text=Ok: queued as AAA accepted=1 queue=AAA");
	expect(&e, "state DATA->GREETED cause=DATA");
	exp_cmd(&e, "MAIL", "FROM:<old@x>", NULL, "250 Ok\r\n");
	expect(&e, "state GREETED->MAIL cause=MAIL");
	exp_cmd(&e, "RCPT", "TO:<old@y>", NULL, "250 Ok\r\n");
	expect(&e, "state MAIL->RCPT cause=RCPT");
	exp_cmd(&e, "RSET", NULL, NULL, "250 Ok\r\n");
	expect(&e, "state RCPT->GREETED cause=RSET");
	exp_cmd(&e, "MAIL", "FROM:<c@x>", NULL, "250 Ok\r\n");
	expect(&e, "state GREETED->MAIL cause=MAIL");
	exp_cmd(&e, "RCPT", "TO:<d@y>", NULL, "250 Ok\r\n");
	expect(&e, "state MAIL->RCPT cause=RCPT");
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	exp_msg(&e, "DATA", 2, M2, strlen(M2), true,
	        " subject=two from=<c@x> rcpt=[d@y 250 acc] final=250 "
	        "enh=2.0.0 text=Ok id=1rABCD-0001 accepted=1 "
	        "queue=1rABCD-0001");
	expect(&e, "state DATA->GREETED cause=DATA");
	exp_cmd(&e, "MAIL", "FROM:<e@x>", NULL, "250 Ok\r\n");
	expect(&e, "state GREETED->MAIL cause=MAIL");
	exp_cmd(&e, "RCPT", "TO:<f@y>", NULL, "250 Ok\r\n");
	expect(&e, "state MAIL->RCPT cause=RCPT");
	exp_cmd(&e, "EHLO", "c", NULL, "250 mx\r\n");
	expect(&e, "state RCPT->GREETED cause=EHLO");
	exp_cmd(&e, "DATA", NULL, NULL,
	        "503 5.5.1 Error: need RCPT command\r\n");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* ---- DATA content (RFC 5321 §4.5.2) ---- */

#define TX_HEAD                                                                \
	S(GREET), C("EHLO c\r\n"), S("250 mx\r\n"), C("MAIL FROM:<a@x>\r\n"),  \
	        S("250 Ok\r\n"), C("RCPT TO:<b@y>\r\n"), S("250 Ok\r\n")

static void exp_tx_head(evlist *e)
{
	exp_greeting(e, GREET);
	expect(e, "state CONNECTED->GREETED cause=greeting");
	exp_cmd(e, "EHLO", "c", NULL, "250 mx\r\n");
	exp_cmd(e, "MAIL", "FROM:<a@x>", NULL, "250 Ok\r\n");
	expect(e, "state GREETED->MAIL cause=MAIL");
	exp_cmd(e, "RCPT", "TO:<b@y>", NULL, "250 Ok\r\n");
	expect(e, "state MAIL->RCPT cause=RCPT");
}

#define ENV_AB " from=<a@x> rcpt=[b@y 250 acc]"

/* On the wire "...x", "..", "..." and ".. " are the lines "..x", ".",
 * ".." and ". "; the CRLF before the terminating "." is the message's. */
#define STUFFED   "Subject: dots\r\n\r\n...x\r\n..\r\n...\r\n.. \r\nend\r\n"
#define UNSTUFFED "Subject: dots\r\n\r\n..x\r\n.\r\n..\r\n. \r\nend\r\n"

START_TEST(test_dot_stuffing)
{
	static const step script[] = {TX_HEAD,         C("DATA\r\n"),
	                              S(R_354),        C(STUFFED ".\r\n"),
	                              S("250 Ok\r\n"), C("MAIL FROM:<a@x>\r\n"),
	                              S("250 Ok\r\n"), C("RCPT TO:<b@y>\r\n"),
	                              S("250 Ok\r\n"), C("DATA\r\n"),
	                              S(R_354),        C(".\r\n"),
	                              S("250 Ok\r\n"), END};
	evlist e = {0};
	outcome oc;

	exp_tx_head(&e);
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	exp_msg(&e, "DATA", 1, UNSTUFFED, strlen(UNSTUFFED), true,
	        " subject=dots" ENV_AB " final=250 text=Ok accepted=1");
	expect(&e, "state DATA->GREETED cause=DATA");
	exp_cmd(&e, "MAIL", "FROM:<a@x>", NULL, "250 Ok\r\n");
	expect(&e, "state GREETED->MAIL cause=MAIL");
	exp_cmd(&e, "RCPT", "TO:<b@y>", NULL, "250 Ok\r\n");
	expect(&e, "state MAIL->RCPT cause=RCPT");
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	exp_msg(&e, "DATA", 2, "", 0, true,
	        ENV_AB " final=250 text=Ok accepted=1");
	expect(&e, "state DATA->GREETED cause=DATA");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, &oc);
	ck_assert_uint_eq(oc.anomalies, 0);
}
END_TEST

/* Content lines ending in a bare LF are framed all the same, hashed as
 * sent, and flagged once per message (RFC 5321 §2.3.8). */
#define LFMSG "Subject: lf\n\nline1\n..x\nend\r\n"
START_TEST(test_bare_lf_content)
{
	static const step script[] = {TX_HEAD,         C("DATA\r\n"),
	                              S(R_354),        C(LFMSG ".\r\n"),
	                              S("250 Ok\r\n"), END};
	evlist e = {0};
	const char *body = "Subject: lf\n\nline1\n.x\nend\r\n";

	exp_tx_head(&e);
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	expect(&e, "anomaly bare_lf C");
	exp_msg(&e, "DATA", 1, body, strlen(body), true,
	        " subject=lf" ENV_AB " final=250 text=Ok accepted=1");
	expect(&e, "state DATA->GREETED cause=DATA");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* The transcript: command, reply, content lines unstuffed, the end. */
START_TEST(test_lines)
{
	static const step script[] = {
	        S(GREET), C("HELO c\r\n"),   S("250 mx\r\n"), C("DATA\r\n"),
	        S(R_354), C("..x\r\n.\r\n"), S("250 Ok\r\n"), END};
	opts *o = smtp_opts();
	evlist e = {0};

	o->cfg.emit_lines = true;
	expect(&e, "line S reply |220 smtp.example.com ESMTP Postfix");
	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	expect(&e, "line C command |HELO c");
	expect(&e, "line S reply |250 mx");
	exp_cmd(&e, "HELO", "c", NULL, "250 mx\r\n");
	expect(&e, "line C command |DATA");
	expect(&e, "line S reply |354 End data with <CR><LF>.<CR><LF>");
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state GREETED->DATA cause=DATA");
	expect(&e, "line C message |.x");
	expect(&e, "line C message_end |.");
	expect(&e, "line S reply |250 Ok");
	exp_msg(&e, "DATA", 1, ".x\r\n", 4, true,
	        " from=<> rcpt=[] final=250 text=Ok accepted=1");
	expect(&e, "state DATA->GREETED cause=DATA");
	expect(&e, "end reason=- state=GREETED");
	check_script(o, script, &e, NULL);
}
END_TEST

/* ---- BDAT (RFC 3030) ---- */

/* A chunk is taken by count: its CRLF.CRLF and its command-like lines
 * are content, not framing. */
#define CHUNK1 "Subject: b\r\n\r\nQUIT\r\n.\r\nRSET\r\n"
START_TEST(test_bdat)
{
	static const step script[] = {TX_HEAD,
	                              C("BDAT 29\r\n" CHUNK1),
	                              S("250 2.0.0 29 octets received\r\n"),
	                              C("BDAT 4 LAST\r\nDATA"),
	                              S("250 2.0.0 Ok: queued as ABC\r\n"),
	                              C("NOOP\r\n"),
	                              S("250 Ok\r\n"),
	                              END};
	evlist e = {0};
	outcome oc;

	ck_assert_uint_eq(strlen(CHUNK1), 29);
	exp_tx_head(&e);
	exp_cmd(&e, "BDAT", "29", NULL, "250 2.0.0 29 octets received\r\n");
	expect(&e, "state RCPT->DATA cause=BDAT");
	exp_cmd(&e, "BDAT", "4 LAST", NULL, "250 2.0.0 Ok: queued as ABC\r\n");
	exp_msg(&e, "BDAT", 1, CHUNK1 "DATA", 33, true,
	        " subject=b" ENV_AB " final=250 enh=2.0.0 text=Ok: queued as "
	        "ABC accepted=1 queue=ABC");
	expect(&e, "state DATA->GREETED cause=DATA");
	exp_cmd(&e, "NOOP", NULL, NULL, "250 Ok\r\n");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, &oc);
	ck_assert_uint_eq(oc.anomalies, 0);
}
END_TEST

/* MAIL, RCPT and BDAT LAST with its chunk in one packet: the chunk
 * streams before the envelope's replies arrive. */
START_TEST(test_bdat_pipelined)
{
	static const step script[] = {
	        S(GREET),
	        C("EHLO c\r\n"),
	        S("250 mx\r\n"),
	        C("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 5 LAST\r\nhello"),
	        S("250 Ok\r\n250 Ok\r\n250 Ok: queued as Q2\r\n"),
	        END};
	evlist e = {0};

	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	exp_cmd(&e, "EHLO", "c", NULL, "250 mx\r\n");
	exp_cmd(&e, "MAIL", "FROM:<a@x>", NULL, "250 Ok\r\n");
	expect(&e, "state GREETED->MAIL cause=MAIL");
	exp_cmd(&e, "RCPT", "TO:<b@y>", " pipelined", "250 Ok\r\n");
	expect(&e, "state MAIL->RCPT cause=RCPT");
	exp_cmd(&e, "BDAT", "5 LAST", " pipelined", "250 Ok: queued as Q2\r\n");
	expect(&e, "state RCPT->DATA cause=BDAT");
	exp_msg(&e, "BDAT", 1, "hello", 5, true,
	        ENV_AB " final=250 text=Ok: queued as Q2 accepted=1 queue=Q2");
	expect(&e, "state DATA->GREETED cause=DATA");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* BDAT 0 LAST ends a message without more bytes. */
START_TEST(test_bdat_zero_last)
{
	static const step script[] = {TX_HEAD,
	                              C("BDAT 3\r\nabc"),
	                              S("250 Ok\r\n"),
	                              C("BDAT 0 LAST\r\n"),
	                              S("250 Ok: queued as Z\r\n"),
	                              END};
	evlist e = {0};

	exp_tx_head(&e);
	exp_cmd(&e, "BDAT", "3", NULL, "250 Ok\r\n");
	expect(&e, "state RCPT->DATA cause=BDAT");
	exp_cmd(&e, "BDAT", "0 LAST", NULL, "250 Ok: queued as Z\r\n");
	exp_msg(&e, "BDAT", 1, "abc", 3, true,
	        ENV_AB " final=250 text=Ok: queued as Z accepted=1 queue=Z");
	expect(&e, "state DATA->GREETED cause=DATA");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* A refused chunk fails the transaction (RFC 3030 §2): the message is
 * not accepted even when the LAST chunk's reply is positive. */
START_TEST(test_bdat_failed)
{
	static const step script[] = {TX_HEAD,
	                              C("BDAT 3\r\nabc"),
	                              S("452 4.3.1 Insufficient storage\r\n"),
	                              C("BDAT 2 LAST\r\nde"),
	                              S("250 Ok\r\n"),
	                              END};
	evlist e = {0};

	exp_tx_head(&e);
	exp_cmd(&e, "BDAT", "3", NULL, "452 4.3.1 Insufficient storage\r\n");
	exp_cmd(&e, "BDAT", "2 LAST", NULL, "250 Ok\r\n");
	expect(&e, "state RCPT->DATA cause=BDAT");
	exp_msg(&e, "BDAT", 1, "abcde", 5, true,
	        ENV_AB " final=250 text=Ok accepted=0");
	expect(&e, "state DATA->GREETED cause=DATA");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* A refused LAST chunk: not accepted, and its reply is the verdict. */
START_TEST(test_bdat_last_refused)
{
	static const step script[] = {
	        TX_HEAD, C("BDAT 3 LAST\r\nabc"),
	        S("554 5.6.0 Message content rejected\r\n"), END};
	evlist e = {0};

	exp_tx_head(&e);
	exp_cmd(&e, "BDAT", "3 LAST", NULL,
	        "554 5.6.0 Message content rejected\r\n");
	exp_msg(&e, "BDAT", 1, "abc", 3, true,
	        ENV_AB " final=554 enh=5.6.0 text=Message content rejected "
	               "accepted=0");
	expect(&e, "state RCPT->GREETED cause=DATA");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* ---- AUTH (RFC 4954) ---- */

/* base64 of "\0rob\0secret" */
#define PLAIN_B64 "AHJvYgBzZWNyZXQ="
#define R_235     "235 2.7.0 Authentication successful\r\n"

START_TEST(test_auth_plain_initial)
{
	static const step script[] = {
	        S(GREET),        C("EHLO c\r\n"),
	        S("250 mx\r\n"), C("AUTH PLAIN " PLAIN_B64 "\r\n"),
	        S(R_235),        END};
	opts *o = smtp_opts();
	evlist e = {0};

	o->cfg.emit_lines = true;
	expect(&e, "line S reply |220 smtp.example.com ESMTP Postfix");
	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	expect(&e, "line C command |EHLO c");
	expect(&e, "line S reply |250 mx");
	exp_cmd(&e, "EHLO", "c", NULL, "250 mx\r\n");
	expect(&e, "line C command redact=11 |AUTH PLAIN " PLAIN_B64);
	expect(&e, "line S sasl |235 2.7.0 Authentication successful");
	exp_cmd(&e, "AUTH", "PLAIN " PLAIN_B64, " redact=6", R_235);
	expect(&e, "auth PLAIN user=rob pass=secret success=1");
	expect(&e, "end reason=- state=GREETED");
	check_script(o, script, &e, NULL);
}
END_TEST

/* The response after a 334 challenge; the AUTH command's reply is the
 * final one, and every client line of the exchange is a secret. */
START_TEST(test_auth_plain_continuation)
{
	static const step script[] = {S(GREET),        C("auth plain\r\n"),
	                              S("334 \r\n"),   C(PLAIN_B64 "\r\n"),
	                              S(R_235),        C("NOOP\r\n"),
	                              S("250 Ok\r\n"), END};
	opts *o = smtp_opts();
	evlist e = {0};

	o->cfg.emit_lines = true;
	expect(&e, "line S reply |220 smtp.example.com ESMTP Postfix");
	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	expect(&e, "line C command |auth plain");
	expect(&e, "line S sasl |334 ");
	expect(&e, "line C sasl redact=0 |" PLAIN_B64);
	expect(&e, "line S sasl |235 2.7.0 Authentication successful");
	exp_cmd(&e, "AUTH", "plain", NULL, R_235);
	expect(&e, "auth PLAIN user=rob pass=secret success=1");
	expect(&e, "line C command |NOOP");
	expect(&e, "line S reply |250 Ok");
	exp_cmd(&e, "NOOP", NULL, NULL, "250 Ok\r\n");
	expect(&e, "end reason=- state=GREETED");
	check_script(o, script, &e, NULL);
}
END_TEST

START_TEST(test_auth_login)
{
	static const step script[] = {
	        S(GREET), C("AUTH LOGIN\r\n"), S("334 VXNlcm5hbWU6\r\n"),
	        C("cm9i\r\n"), S("334 UGFzc3dvcmQ6\r\n"), C("c2VjcmV0\r\n"),
	        S(R_235),
	        /* the user as initial response */
	        C("AUTH LOGIN cm9i\r\n"), S("334 UGFzc3dvcmQ6\r\n"),
	        C("d3Jvbmc=\r\n"), S("535 5.7.8 Authentication failed\r\n"),
	        END};
	evlist e = {0};

	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	exp_cmd(&e, "AUTH", "LOGIN", NULL, R_235);
	expect(&e, "auth LOGIN user=rob pass=secret success=1");
	exp_cmd(&e, "AUTH", "LOGIN cm9i", " redact=6",
	        "535 5.7.8 Authentication failed\r\n");
	expect(&e, "auth LOGIN user=rob pass=wrong success=0");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* RFC 2195 §2's example: the user is seen, the password never is. */
START_TEST(test_auth_cram_md5)
{
	static const step script[] = {
	        S(GREET),
	        C("AUTH CRAM-MD5\r\n"),
	        S("334 PDQxOTI5NDIzNDEuMTI4Mjg0NzJAc291cmNlZm91ci5hbmRyZXcuY2"
	          "11LmVkdT4=\r\n"),
	        C("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"),
	        S("235 Authentication successful\r\n"),
	        END};
	evlist e = {0};

	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	exp_cmd(&e, "AUTH", "CRAM-MD5", NULL,
	        "235 Authentication successful\r\n");
	expect(&e, "auth CRAM-MD5 user=tim pass= success=1");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* "*" cancels the exchange (RFC 4954 §4); the next line is a command. */
START_TEST(test_auth_cancel)
{
	static const step script[] = {S(GREET),
	                              C("AUTH LOGIN\r\n"),
	                              S("334 VXNlcm5hbWU6\r\n"),
	                              C("*\r\n"),
	                              S("501 5.7.0 Authentication aborted\r\n"),
	                              C("QUIT\r\n"),
	                              S("221 Bye\r\n"),
	                              END};
	evlist e = {0};

	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	exp_cmd(&e, "AUTH", "LOGIN", NULL,
	        "501 5.7.0 Authentication aborted\r\n");
	expect(&e, "auth LOGIN user= pass= success=0");
	exp_cmd(&e, "QUIT", NULL, NULL, "221 Bye\r\n");
	expect(&e, "state GREETED->QUIT cause=QUIT");
	expect(&e, "end reason=quit state=QUIT");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* ---- STARTTLS (RFC 3207) ---- */

START_TEST(test_starttls)
{
	static const step script[] = {
	        S(GREET),
	        C("EHLO c\r\n"),
	        S("250-mx\r\n250 STARTTLS\r\n"),
	        C("STARTTLS\r\n"),
	        S("220 2.0.0 Ready to start TLS\r\n"),
	        C("\x16\x03\x01\x00\x05hello\r\nEHLO c\r\n"),
	        S("\x16\x03\x03\x00\x02"
	          "250 mx\r\n"),
	        C("MAIL FROM:<a@x>\r\n"),
	        END};
	evlist e = {0};
	outcome oc;

	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	exp_cmd(&e, "EHLO", "c", NULL, "250-mx\r\n250 STARTTLS\r\n");
	exp_cmd(&e, "STARTTLS", NULL, NULL, "220 2.0.0 Ready to start TLS\r\n");
	expect(&e, "tls STARTTLS");
	expect(&e, "end reason=- state=GREETED tls");
	check_script(smtp_opts(), script, &e, &oc);
	ck_assert(oc.tls);
	ck_assert_uint_eq(oc.tls_bytes, 20 + 13 + 17);
	ck_assert_uint_eq(oc.commands, 2);
}
END_TEST

/* Accepted, then clear text: an anomaly, and parsing goes on. */
START_TEST(test_starttls_clear_text)
{
	static const step script[] = {S(GREET),           C("STARTTLS\r\n"),
	                              S("220 Ready\r\n"), C("EHLO c\r\n"),
	                              S("250 mx\r\n"),    END};
	evlist e = {0};
	outcome oc;

	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	exp_cmd(&e, "STARTTLS", NULL, NULL, "220 Ready\r\n");
	expect(&e, "anomaly tls_not_tls C");
	exp_cmd(&e, "EHLO", "c", NULL, "250 mx\r\n");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, &oc);
	ck_assert(!oc.tls);
}
END_TEST

START_TEST(test_starttls_refused)
{
	static const step script[] = {S(GREET),
	                              C("STARTTLS\r\n"),
	                              S("454 4.7.0 TLS not available\r\n"),
	                              C("EHLO c\r\n"),
	                              S("250 mx\r\n"),
	                              END};
	evlist e = {0};
	outcome oc;

	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	exp_cmd(&e, "STARTTLS", NULL, NULL, "454 4.7.0 TLS not available\r\n");
	exp_cmd(&e, "EHLO", "c", NULL, "250 mx\r\n");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, &oc);
	ck_assert(!oc.tls);
	ck_assert_uint_eq(oc.anomalies, 0);
}
END_TEST

/* ---- ESMTP parameters ---- */

#define MAIL_P                                                                 \
	"MAIL FROM:<a@b> SIZE=1234 BODY=8BITMIME SMTPUTF8 RET=HDRS "           \
	"ENVID=xyz AUTH=<>"
#define RCPT_P "RCPT TO:<c@d> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@d"

START_TEST(test_params)
{
	static const step script[] = {
	        S(GREET),        C(MAIL_P "\r\n"),
	        S("250 Ok\r\n"), C(RCPT_P "\r\n"),
	        S("250 Ok\r\n"), C("RCPT TO: <e@f> XA=1 NOTIFY=NEVER XB\r\n"),
	        S("250 Ok\r\n"), C("DATA\r\n"),
	        S(R_354),        C(".\r\n"),
	        S("250 Ok\r\n"), C("MAIL FROM: <x@y>\r\n"),
	        S("250 Ok\r\n"), C("MAIL FROM:<>\r\n"),
	        S("250 Ok\r\n"), C("RCPT TO:<postmaster>\r\n"),
	        S("250 Ok\r\n"), C("DATA\r\n"),
	        S(R_354),        C(".\r\n"),
	        S("250 Ok\r\n"), END};
	evlist e = {0};

	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	exp_cmd(&e, "MAIL", MAIL_P + 5, NULL, "250 Ok\r\n");
	expect(&e, "state GREETED->MAIL cause=MAIL");
	exp_cmd(&e, "RCPT", RCPT_P + 5, NULL, "250 Ok\r\n");
	expect(&e, "state MAIL->RCPT cause=RCPT");
	exp_cmd(&e, "RCPT", "TO: <e@f> XA=1 NOTIFY=NEVER XB", NULL,
	        "250 Ok\r\n");
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	exp_msg(&e, "DATA", 1, "", 0, true,
	        " from=<a@b> {size=1234,body=8BITMIME,ret=HDRS,envid=xyz,"
	        "auth=<>,smtputf8} rcpt=[c@d {notify=SUCCESS,FAILURE,"
	        "orcpt=rfc822;c@d} 250 acc, e@f {notify=NEVER,other=XA=1 XB} "
	        "250 acc] final=250 text=Ok accepted=1");
	expect(&e, "state DATA->GREETED cause=DATA");
	exp_cmd(&e, "MAIL", "FROM: <x@y>", NULL, "250 Ok\r\n");
	expect(&e, "state GREETED->MAIL cause=MAIL");
	/* a second MAIL replaces the first (its own error in real life) */
	exp_cmd(&e, "MAIL", "FROM:<>", NULL, "250 Ok\r\n");
	exp_cmd(&e, "RCPT", "TO:<postmaster>", NULL, "250 Ok\r\n");
	expect(&e, "state MAIL->RCPT cause=RCPT");
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	exp_msg(&e, "DATA", 2, "", 0, true,
	        " from=<> rcpt=[postmaster 250 acc] final=250 text=Ok "
	        "accepted=1");
	expect(&e, "state DATA->GREETED cause=DATA");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* ---- LMTP (RFC 2033) ---- */

START_TEST(test_lmtp)
{
	static const step script[] = {
	        S("220 lmtp.example.com LMTP ready\r\n"),
	        C("LHLO c\r\n"),
	        S("250-lmtp.example.com\r\n250 PIPELINING\r\n"),
	        C("MAIL FROM:<a@x>\r\n"),
	        S("250 2.1.0 Ok\r\n"),
	        C("RCPT TO:<b@y>\r\nRCPT TO:<nobody@y>\r\nRCPT TO:<c@y>\r\n"),
	        S("250 2.1.5 Ok\r\n550 5.1.1 unknown\r\n250 2.1.5 Ok\r\n"),
	        C("DATA\r\n"),
	        S(R_354),
	        C(M1 ".\r\n"),
	        S("250 2.1.5 <b@y> Ok: queued as L1\r\n"
	          "452 4.2.2 <c@y> Mailbox full\r\n"),
	        C("QUIT\r\n"),
	        S("221 Bye\r\n"),
	        END};
	opts *o = smtp_opts();
	evlist e = {0};
	outcome oc;

	o->proto = MS_PROTO_LMTP;
	expect(&e, "greeting 220 text=lmtp.example.com LMTP ready");
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	exp_cmd(&e, "LHLO", "c", NULL,
	        "250-lmtp.example.com\r\n250 PIPELINING\r\n");
	exp_cmd(&e, "MAIL", "FROM:<a@x>", NULL, "250 2.1.0 Ok\r\n");
	expect(&e, "state GREETED->MAIL cause=MAIL");
	exp_cmd(&e, "RCPT", "TO:<b@y>", NULL, "250 2.1.5 Ok\r\n");
	expect(&e, "state MAIL->RCPT cause=RCPT");
	exp_cmd(&e, "RCPT", "TO:<nobody@y>", " pipelined",
	        "550 5.1.1 unknown\r\n");
	exp_cmd(&e, "RCPT", "TO:<c@y>", " pipelined", "250 2.1.5 Ok\r\n");
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	exp_msg(&e, "DATA", 1, M1, strlen(M1), true,
	        " subject=one from=<a@x> rcpt=[b@y 250/2.1.5 acc dlv=250/2.1.5 "
	        "ok text=<b@y> Ok: queued as L1, nobody@y 550/5.1.1 rej, "
	        "c@y 250/2.1.5 acc dlv=452/4.2.2 fail text=<c@y> Mailbox "
	        "full] final=452 enh=4.2.2 text=<c@y> Mailbox full "
	        "accepted=0");
	expect(&e, "state DATA->GREETED cause=DATA");
	exp_cmd(&e, "QUIT", NULL, NULL, "221 Bye\r\n");
	expect(&e, "state GREETED->QUIT cause=QUIT");
	expect(&e, "end reason=quit state=QUIT");
	check_script(o, script, &e, &oc);
	ck_assert_uint_eq(oc.anomalies, 0);
}
END_TEST

/* ---- gaps ---- */

/* Client bytes lost inside the content: the line held before the hole
 * is content (size counts the bytes seen), the hole is missing_bytes. */
#define GAP_A "Subject: g\r\n\r\nline one\r\nline t"
#define GAP_B "wo\r\nend\r\n"
START_TEST(test_gap_in_data)
{
	static const step script[] = {
	        TX_HEAD, C("DATA\r\n"),    S(R_354),        C(GAP_A),
	        GC(20),  C(GAP_B ".\r\n"), S("250 Ok\r\n"), END};
	evlist e = {0};

	exp_tx_head(&e);
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	expect(&e, "anomaly gap C");
	exp_msg(&e, "DATA", 1, GAP_A GAP_B, strlen(GAP_A GAP_B), false,
	        " missing=20 subject=g" ENV_AB " final=250 text=Ok "
	        "accepted=1");
	expect(&e, "state DATA->GREETED cause=DATA");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* The "." fell into the hole: the server's verdict ends the message. */
START_TEST(test_gap_eats_dot)
{
	static const step script[] = {TX_HEAD,
	                              C("DATA\r\n"),
	                              S(R_354),
	                              C("Subject: g\r\n\r\nbody\r\n"),
	                              GC(3),
	                              S(R_QUEUE),
	                              C("QUIT\r\n"),
	                              S("221 Bye\r\n"),
	                              END};
	evlist e = {0};
	const char *body = "Subject: g\r\n\r\nbody\r\n";

	exp_tx_head(&e);
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	expect(&e, "anomaly gap C");
	exp_msg(&e, "DATA", 1, body, strlen(body), false,
	        " missing=3 subject=g" ENV_AB " final=250 text=Ok: queued as "
	        "12345 accepted=1 queue=12345");
	expect(&e, "state DATA->GREETED cause=DATA");
	exp_cmd(&e, "QUIT", NULL, NULL, "221 Bye\r\n");
	expect(&e, "state GREETED->QUIT cause=QUIT");
	expect(&e, "end reason=quit state=QUIT");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* A hole inside a chunk is counted within it: the count still frames
 * the chunk and the commands after it parse. */
START_TEST(test_gap_in_bdat)
{
	static const step script[] = {TX_HEAD,         C("BDAT 10\r\nabc"),
	                              GC(4),           C("def"),
	                              S("250 Ok\r\n"), C("BDAT 0 LAST\r\n"),
	                              S("250 Ok\r\n"), C("NOOP\r\n"),
	                              S("250 Ok\r\n"), END};
	evlist e = {0};

	exp_tx_head(&e);
	expect(&e, "anomaly gap C");
	exp_cmd(&e, "BDAT", "10", NULL, "250 Ok\r\n");
	expect(&e, "state RCPT->DATA cause=BDAT");
	exp_cmd(&e, "BDAT", "0 LAST", NULL, "250 Ok\r\n");
	exp_msg(&e, "BDAT", 1, "abcdef", 6, false,
	        " missing=4" ENV_AB " final=250 text=Ok accepted=1");
	expect(&e, "state DATA->GREETED cause=DATA");
	exp_cmd(&e, "NOOP", NULL, NULL, "250 Ok\r\n");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* Server bytes lost: the commands whose replies were in the hole end
 * unanswered; the reply after the hole belongs to a later command. */
START_TEST(test_gap_server)
{
	static const step script[] = {S(GREET),
	                              C("EHLO c\r\n"),
	                              S("250 mx\r\n"),
	                              C("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n"),
	                              GS(26),
	                              S("k\r\n"),
	                              C("NOOP\r\n"),
	                              S("250 2.0.0 Ok\r\n"),
	                              END};
	evlist e = {0};

	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	exp_cmd(&e, "EHLO", "c", NULL, "250 mx\r\n");
	expect(&e, "anomaly gap S");
	exp_unanswered(&e, "MAIL", "FROM:<a@x>", NULL);
	exp_unanswered(&e, "RCPT", "TO:<b@y>", " pipelined");
	exp_cmd(&e, "NOOP", NULL, NULL, "250 2.0.0 Ok\r\n");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* The verdict on the data fell into a server hole: the message has no
 * final reply, and QUIT's reply is QUIT's, not the data's. */
START_TEST(test_gap_server_eats_verdict)
{
	static const step script[] = {
	        TX_HEAD, C("DATA\r\n"), S(R_354),         C(M1 ".\r\n"),
	        GS(25),  C("QUIT\r\n"), S("221 Bye\r\n"), END};
	evlist e = {0};

	exp_tx_head(&e);
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	expect(&e, "anomaly gap S");
	exp_msg(&e, "DATA", 1, M1, strlen(M1), true,
	        " subject=one" ENV_AB " nofinal");
	expect(&e, "state DATA->GREETED cause=DATA");
	exp_cmd(&e, "QUIT", NULL, NULL, "221 Bye\r\n");
	expect(&e, "state GREETED->QUIT cause=QUIT");
	expect(&e, "end reason=quit state=QUIT");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* ---- one side only ---- */

/* Only the client's bytes: every command ends unanswered at the end,
 * and the message is still reported, with its exact hash. */
START_TEST(test_client_only)
{
	static const step script[] = {C("EHLO c\r\n"),
	                              C("MAIL FROM:<a@x>\r\n"),
	                              C("RCPT TO:<b@y>\r\n"),
	                              C("DATA\r\n"),
	                              C(SEED_MSG),
	                              C(".\r\n"),
	                              C("QUIT\r\n"),
	                              END};
	evlist e = {0};
	outcome oc;

	exp_unanswered(&e, "EHLO", "c", NULL);
	exp_unanswered(&e, "MAIL", "FROM:<a@x>", " pipelined");
	exp_unanswered(&e, "RCPT", "TO:<b@y>", " pipelined");
	exp_unanswered(&e, "DATA", NULL, " pipelined");
	exp_msg(&e, "DATA", 1, SEED_MSG, strlen(SEED_MSG), true,
	        " subject=Test message from=<a@x> rcpt=[b@y -] nofinal");
	exp_unanswered(&e, "QUIT", NULL, " pipelined");
	expect(&e, "end reason=- state=CONNECTED");
	check_script(smtp_opts(), script, &e, &oc);
	ck_assert_uint_eq(oc.anomalies, 0);
}
END_TEST

/* Two messages seen from the client's side only stay two messages. */
START_TEST(test_client_only_two_messages)
{
	static const step script[] = {C("MAIL FROM:<a@x>\r\n"),
	                              C("RCPT TO:<b@y>\r\n"),
	                              C("DATA\r\n"),
	                              C(M1 ".\r\n"),
	                              C("MAIL FROM:<a@x>\r\n"),
	                              C("RCPT TO:<b@y>\r\n"),
	                              C("DATA\r\n"),
	                              C(M2 ".\r\n"),
	                              END};
	evlist e = {0};

	/* reported when the second one begins, since the one message
	 * stage is needed for it */
	exp_msg(&e, "DATA", 1, M1, strlen(M1), true,
	        " subject=one from=<a@x> rcpt=[b@y -] nofinal");
	exp_unanswered(&e, "MAIL", "FROM:<a@x>", NULL);
	exp_unanswered(&e, "RCPT", "TO:<b@y>", " pipelined");
	exp_unanswered(&e, "DATA", NULL, " pipelined");
	exp_unanswered(&e, "MAIL", "FROM:<a@x>", " pipelined");
	exp_unanswered(&e, "RCPT", "TO:<b@y>", " pipelined");
	exp_unanswered(&e, "DATA", NULL, " pipelined");
	exp_msg(&e, "DATA", 2, M2, strlen(M2), true,
	        " subject=two from=<a@x> rcpt=[b@y -] nofinal");
	expect(&e, "end reason=- state=CONNECTED");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* Only the server's bytes: the greeting, then one anomaly for replies
 * nobody asked for, however many. */
START_TEST(test_server_only)
{
	static const step script[] = {
	        S(GREET), S(R_HELO),  S("250 Ok\r\n"),  S("250 Ok\r\n"),
	        S(R_354), S(R_QUEUE), S("221 Bye\r\n"), END};
	evlist e = {0};
	outcome oc;

	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	expect(&e, "anomaly reply_without_command S");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, &oc);
	ck_assert_uint_eq(oc.anomalies, 1);
	ck_assert_uint_eq(oc.messages, 0);
}
END_TEST

/* ---- anomalies ---- */

/* 421 may come at any time (RFC 5321 §3.8); an unknown verb is flagged
 * and still answered. */
START_TEST(test_anomalies)
{
	static const step script[] = {
	        S(GREET),
	        C("XFOO bar\r\n"),
	        S("502 5.5.2 Error: command not recognized\r\n"),
	        C("HELO c\n"),
	        S("250 mx\r\n"),
	        S("421 4.4.2 mx Error: timeout exceeded\r\n"),
	        C("MAIL FROM:<a@x>\r\n"),
	        S("421 4.7.0 closing\r\n"),
	        END};
	evlist e = {0};
	outcome oc;

	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	expect(&e, "anomaly unknown_command C");
	exp_cmd(&e, "XFOO", "bar", NULL,
	        "502 5.5.2 Error: command not recognized\r\n");
	expect(&e, "anomaly bare_lf C");
	exp_cmd(&e, "HELO", "c", NULL, "250 mx\r\n");
	exp_cmd(&e, "MAIL", "FROM:<a@x>", NULL, "421 4.7.0 closing\r\n");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, &oc);
	ck_assert_uint_eq(oc.anomalies, 2);
}
END_TEST

/* A line longer than max_line is reported once; the server answers it,
 * so it is still a command (cut), and the replies stay paired. */
#define LONG_ADDR                                                              \
	"0123456789012345678901234567890123456789012345678901234567890123"     \
	"0123456789012345678901234567890123456789012345678901234567890123"
START_TEST(test_line_too_long)
{
	static const step script[] = {S(GREET),
	                              C("RCPT TO:<" LONG_ADDR ">\r\n"),
	                              S("500 5.5.0 Line too long\r\n"),
	                              C("NOOP\r\n"),
	                              S("250 Ok\r\n"),
	                              END};
	opts *o = smtp_opts();
	evlist e = {0};

	o->cfg.max_line = 64;
	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	expect(&e, "anomaly line_too_long C");
	expect(&e,
	       "command RCPT args=TO:<%.55s reply=500 enh=5.5.0 text=Line "
	       "too long lines=1 bytes=25",
	       LONG_ADDR);
	exp_cmd(&e, "NOOP", NULL, NULL, "250 Ok\r\n");
	expect(&e, "end reason=- state=GREETED");
	check_script(o, script, &e, NULL);
}
END_TEST

/* ---- the session ends ---- */

/* The connection drops inside the content: what was seen is reported,
 * incomplete, without a verdict; the unfinished last line is not part
 * of it. */
START_TEST(test_end_in_data)
{
	static const step script[] = {
	        TX_HEAD, C("DATA\r\n"), S(R_354),
	        C("Subject: cut\r\n\r\npartial body\r\nno end"), END};
	evlist e = {0};
	const char *body = "Subject: cut\r\n\r\npartial body\r\n";

	exp_tx_head(&e);
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	exp_msg(&e, "DATA", 1, body, strlen(body), false,
	        " subject=cut" ENV_AB " nofinal");
	expect(&e, "end reason=- state=DATA");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* ... and inside a chunk, or before BDAT LAST. */
START_TEST(test_end_in_bdat)
{
	static const step script[] = {TX_HEAD, C("BDAT 5\r\nabc"), END};
	static const step script2[] = {TX_HEAD, C("BDAT 3\r\nabc"),
	                               S("250 Ok\r\n"), END};
	static const step script3[] = {TX_HEAD, C("BDAT 3 LAST\r\nabc"), END};
	evlist e = {0};

	exp_tx_head(&e);
	exp_unanswered(&e, "BDAT", "5", NULL);
	exp_msg(&e, "BDAT", 1, "abc", 3, false, ENV_AB " nofinal");
	expect(&e, "end reason=- state=RCPT");
	check_script(smtp_opts(), script, &e, NULL);

	exp_tx_head(&e);
	exp_cmd(&e, "BDAT", "3", NULL, "250 Ok\r\n");
	expect(&e, "state RCPT->DATA cause=BDAT");
	exp_msg(&e, "BDAT", 1, "abc", 3, false, ENV_AB " nofinal");
	expect(&e, "end reason=- state=DATA");
	check_script(smtp_opts(), script2, &e, NULL);

	/* the whole message was sent: complete, only the verdict is
	 * missing */
	exp_tx_head(&e);
	exp_unanswered(&e, "BDAT", "3 LAST", NULL);
	exp_msg(&e, "BDAT", 1, "abc", 3, true, ENV_AB " nofinal");
	expect(&e, "end reason=- state=RCPT");
	check_script(smtp_opts(), script3, &e, NULL);
}
END_TEST

/* A capture that began mid-session: no greeting expected, state
 * UNKNOWN, no anomaly for the replies of commands not seen. */
START_TEST(test_midstream)
{
	static const step script[] = {S("250 2.1.5 Ok\r\n"),
	                              C("RCPT TO:<x@y>\r\n"),
	                              S("250 Ok\r\n"),
	                              C("DATA\r\n"),
	                              S(R_354),
	                              C(M1 ".\r\n"),
	                              S("250 Ok\r\n"),
	                              END};
	opts *o = smtp_opts();
	evlist e = {0};
	outcome oc;

	o->midstream = true;
	exp_cmd(&e, "RCPT", "TO:<x@y>", NULL, "250 Ok\r\n");
	expect(&e, "state UNKNOWN->RCPT cause=RCPT");
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	exp_msg(&e, "DATA", 1, M1, strlen(M1), true,
	        " subject=one from=<> rcpt=[x@y 250 acc] final=250 text=Ok "
	        "accepted=1");
	expect(&e, "state DATA->GREETED cause=DATA");
	expect(&e, "end reason=- state=GREETED");
	check_script(o, script, &e, &oc);
	ck_assert_uint_eq(oc.anomalies, 0);
}
END_TEST

/* Two BDAT transactions pipelined in one flight: the first message is
 * reported when the second begins (one message stage per session), with
 * its envelope as sent but no verdict yet; the first verdict is BDAT's
 * own and is not given to the second message. */
START_TEST(test_bdat_two_transactions_pipelined)
{
	static const step script[] = {
	        S(GREET),
	        C("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 3 LAST\r\nabc"
	          "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nBDAT 2 LAST\r\nde"),
	        S("250 Ok\r\n250 Ok\r\n250 Ok: queued as Q1\r\n250 Ok\r\n"
	          "250 Ok\r\n250 Ok: queued as Q2\r\n"),
	        END};
	evlist e = {0};

	exp_greeting(&e, GREET);
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	exp_msg(&e, "BDAT", 1, "abc", 3, true,
	        " from=<a@x> rcpt=[b@y -] nofinal");
	exp_cmd(&e, "MAIL", "FROM:<a@x>", NULL, "250 Ok\r\n");
	expect(&e, "state GREETED->MAIL cause=MAIL");
	exp_cmd(&e, "RCPT", "TO:<b@y>", " pipelined", "250 Ok\r\n");
	expect(&e, "state MAIL->RCPT cause=RCPT");
	exp_cmd(&e, "BDAT", "3 LAST", " pipelined", "250 Ok: queued as Q1\r\n");
	exp_cmd(&e, "MAIL", "FROM:<c@x>", " pipelined", "250 Ok\r\n");
	expect(&e, "state RCPT->MAIL cause=MAIL");
	exp_cmd(&e, "RCPT", "TO:<d@y>", " pipelined", "250 Ok\r\n");
	expect(&e, "state MAIL->RCPT cause=RCPT");
	exp_cmd(&e, "BDAT", "2 LAST", " pipelined", "250 Ok: queued as Q2\r\n");
	expect(&e, "state RCPT->DATA cause=BDAT");
	exp_msg(&e, "BDAT", 2, "de", 2, true,
	        " from=<c@x> rcpt=[d@y 250 acc] final=250 text=Ok: queued as "
	        "Q2 accepted=1 queue=Q2");
	expect(&e, "state DATA->GREETED cause=DATA");
	expect(&e, "end reason=- state=GREETED");
	check_script(smtp_opts(), script, &e, NULL);
}
END_TEST

/* LMTP: the "." fell into a client hole; the per-recipient replies all
 * belong to the message; HELO is not LMTP's greeting command. */
START_TEST(test_lmtp_gap_and_helo)
{
	static const step script[] = {S("220 lmtp ready\r\n"),
	                              C("HELO c\r\n"),
	                              S("500 5.5.1 use LHLO\r\n"),
	                              C("LHLO c\r\n"),
	                              S("250 lmtp\r\n"),
	                              C("MAIL FROM:<a@x>\r\n"),
	                              S("250 Ok\r\n"),
	                              C("RCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\n"),
	                              S("250 Ok\r\n250 Ok\r\n"),
	                              C("DATA\r\n"),
	                              S(R_354),
	                              C("x\r\n"),
	                              GC(3),
	                              S("250 2.1.5 b Ok\r\n250 2.1.5 c Ok\r\n"),
	                              END};
	opts *o = smtp_opts();
	evlist e = {0};

	o->proto = MS_PROTO_LMTP;
	expect(&e, "greeting 220 text=lmtp ready");
	expect(&e, "state CONNECTED->GREETED cause=greeting");
	expect(&e, "anomaly command_in_wrong_state C");
	exp_cmd(&e, "HELO", "c", NULL, "500 5.5.1 use LHLO\r\n");
	exp_cmd(&e, "LHLO", "c", NULL, "250 lmtp\r\n");
	exp_cmd(&e, "MAIL", "FROM:<a@x>", NULL, "250 Ok\r\n");
	expect(&e, "state GREETED->MAIL cause=MAIL");
	exp_cmd(&e, "RCPT", "TO:<b@y>", NULL, "250 Ok\r\n");
	expect(&e, "state MAIL->RCPT cause=RCPT");
	exp_cmd(&e, "RCPT", "TO:<c@y>", " pipelined", "250 Ok\r\n");
	exp_cmd(&e, "DATA", NULL, NULL, R_354);
	expect(&e, "state RCPT->DATA cause=DATA");
	expect(&e, "anomaly gap C");
	exp_msg(&e, "DATA", 1, "x\r\n", 3, false,
	        " missing=3 from=<a@x> rcpt=[b@y 250 acc dlv=250/2.1.5 ok "
	        "text=b Ok, c@y 250 acc dlv=250/2.1.5 ok text=c Ok] final=250 "
	        "enh=2.1.5 text=c Ok accepted=1");
	expect(&e, "state DATA->GREETED cause=DATA");
	expect(&e, "end reason=- state=GREETED");
	check_script(o, script, &e, NULL);
}
END_TEST

static Suite *smtp_suite(void)
{
	Suite *s = suite_create("smtp");
	TCase *tc = tcase_create("dialogues");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_seed);
	tcase_add_test(tc, test_replies);
	tcase_add_test(tc, test_pipelining);
	tcase_add_test(tc, test_transactions);
	tcase_add_test(tc, test_dot_stuffing);
	tcase_add_test(tc, test_bare_lf_content);
	tcase_add_test(tc, test_lines);
	tcase_add_test(tc, test_bdat);
	tcase_add_test(tc, test_bdat_pipelined);
	tcase_add_test(tc, test_bdat_zero_last);
	tcase_add_test(tc, test_bdat_failed);
	tcase_add_test(tc, test_bdat_last_refused);
	tcase_add_test(tc, test_auth_plain_initial);
	tcase_add_test(tc, test_auth_plain_continuation);
	tcase_add_test(tc, test_auth_login);
	tcase_add_test(tc, test_auth_cram_md5);
	tcase_add_test(tc, test_auth_cancel);
	tcase_add_test(tc, test_starttls);
	tcase_add_test(tc, test_starttls_clear_text);
	tcase_add_test(tc, test_starttls_refused);
	tcase_add_test(tc, test_params);
	tcase_add_test(tc, test_lmtp);
	tcase_add_test(tc, test_gap_in_data);
	tcase_add_test(tc, test_gap_eats_dot);
	tcase_add_test(tc, test_gap_in_bdat);
	tcase_add_test(tc, test_gap_server);
	tcase_add_test(tc, test_gap_server_eats_verdict);
	tcase_add_test(tc, test_client_only);
	tcase_add_test(tc, test_client_only_two_messages);
	tcase_add_test(tc, test_server_only);
	tcase_add_test(tc, test_anomalies);
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_end_in_data);
	tcase_add_test(tc, test_end_in_bdat);
	tcase_add_test(tc, test_midstream);
	tcase_add_test(tc, test_bdat_two_transactions_pipelined);
	tcase_add_test(tc, test_lmtp_gap_and_helo);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(smtp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
