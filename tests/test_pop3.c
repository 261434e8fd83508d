/* Tests for dissectors/pop3.c, driven at the session level through
 * tests/harness.h: a session is built by hand and fed client/server
 * chunks in wire order, as the analyzer would after reassembly; every
 * dialogue is fed whole, byte by byte and split at every offset, and its
 * events compared as canonical lines. This file keeps what is POP3's
 * own: how its events read, and the dialogues. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/config.h"
#include "dissectors/session.h"
#include "harness.h"

/* ---- rendering ---- */

static void render(FILE *f, const ms_event *ev)
{
	switch (ev->type) {
	case MS_EV_GREETING: {
		const ms_reply *r = &ev->u.greeting.reply;
		fputs("greeting ", f);
		put_str(f, r->status);
		if (r->resp_code.len) {
			fputs(" code=", f);
			put_str(f, r->resp_code);
		}
		fputs(" text=", f);
		put_str(f, r->text);
		break;
	}
	case MS_EV_COMMAND: {
		const ms_ev_command *c = &ev->u.command;
		fputs("command ", f);
		put_str(f, c->verb);
		if (!put_command_args(f, c, put_str))
			break;
		fputs(" status=", f);
		put_str(f, c->reply.status);
		if (c->reply.resp_code.len) {
			fputs(" code=", f);
			put_str(f, c->reply.resp_code);
		}
		fprintf(f, " lines=%u bytes=%llu",
		        (unsigned)c->reply.line_count,
		        (unsigned long long)c->reply.bytes);
		break;
	}
	case MS_EV_MESSAGE: {
		const ms_ev_message *m = &ev->u.message;
		fprintf(f,
		        "message %s number=%u size=%llu sha256=%s complete=%d",
		        m->via, (unsigned)m->number,
		        (unsigned long long)m->size, m->sha256, m->complete);
		if (m->missing_bytes)
			fprintf(f, " missing=%llu",
			        (unsigned long long)m->missing_bytes);
		if (m->partial)
			fputs(" partial", f);
		if (m->uidl.len) {
			fputs(" uidl=", f);
			put_str(f, m->uidl);
		}
		if (m->direction != MS_DIR_TO_CLIENT)
			fputs(" WRONG-DIRECTION", f);
		break;
	}
	case MS_EV_ANOMALY:
		fprintf(f, "anomaly %s", ev->u.anomaly.code);
		break;
	default:
		render_common(f, ev, put_str);
		break;
	}
}

/* The end with the UPDATE state's outcome: whether the deletions were
 * applied, and which. */
static void render_end(FILE *f, const ms_session *s,
                       const ms_ev_session_end *end)
{
	fprintf(f, "end reason=%s state=%s update=%d applied=%d deleted=[",
	        s->end_reason ? s->end_reason : "-",
	        end->state ? end->state : "-", end->has_update,
	        end->update_applied);
	for (size_t i = 0; i < end->deleted_count; i++)
		fprintf(f, "%s%u", i ? "," : "", (unsigned)end->deleted[i]);
	fputc(']', f);
	if (s->tls)
		fputs(" tls", f);
}

/* ---- driving a session ---- */

static ms_config *config(void)
{
	static ms_config cfg;

	ms_config_default(&cfg);
	return &cfg;
}

static harness pop3_harness(const ms_config *cfg)
{
	return (harness){.ops = &ms_pop3_ops,
	                 .proto = MS_PROTO_POP3,
	                 .cfg = cfg,
	                 .render = render,
	                 .render_end = render_end};
}

/* Runs a script every way and compares with the expected events. */
static void check_script(const ms_config *cfg, const step *script, evlist *want,
                         outcome *oc)
{
	const harness h = pop3_harness(cfg);

	h_check(&h, script, want, oc);
}

/* ---- expected events ---- */

/* A command answered by the whole server chunk `reply`: status, response
 * code, line count and bytes are read from it. `extra` goes after the
 * arguments (" redact=0", " pipelined"). */
static void exp_cmd(evlist *e, const char *verb, const char *args,
                    const char *extra, const char *reply)
{
	const char *st = reply;
	size_t sl;
	char code[64] = "";
	const char *t;

	/* SASL challenges ("+ ...") come before the final status line */
	while (st[0] == '+' && st[1] == ' ')
		st = strchr(st, '\n') + 1;
	sl = st[0] == '+' ? 3 : 4;
	t = st + sl;

	if (*t == ' ')
		t++;
	if (*t == '[') {
		const char *close = strchr(t, ']');
		snprintf(code, sizeof(code), " code=%.*s", (int)(close - t - 1),
		         t + 1);
	}
	expect(e, "command %s%s%s%s status=%.*s%s lines=%u bytes=%zu", verb,
	       args ? " args=" : "", args ? args : "", extra ? extra : "",
	       (int)sl, st, code, count_lines(reply), strlen(reply));
}

/* A message whose bytes (after unstuffing) are body; extra is appended
 * (" missing=3", " partial", " uidl=..."). */
static void exp_msg(evlist *e, const char *via, unsigned number,
                    const char *body, size_t len, bool complete,
                    const char *extra)
{
	char hex[65];

	sha256_hex(body, len, hex);
	expect(e, "message %s number=%u size=%zu sha256=%s complete=%d%s", via,
	       number, len, hex, complete, extra ? extra : "");
}

/* ---- the seed dialogue ---- */

#define GREET "+OK POP3 server ready\r\n"
#define MSG1                                                                   \
	"From: alice@example.com\r\nTo: rob@example.org\r\n"                   \
	"Subject: one\r\n\r\nHello Rob.\r\n"
#define MSG2                                                                   \
	"From: carol@example.com\r\nTo: rob@example.org\r\n"                   \
	"Subject: two\r\n\r\nSecond message\r\nwith two lines.\r\n"
#define R_USER  "+OK\r\n"
#define R_PASS  "+OK user successfully logged on\r\n"
#define R_LIST  "+OK 2 messages\r\n1 498\r\n2 912\r\n.\r\n"
#define R_RETR1 "+OK 498 octets\r\n" MSG1 ".\r\n"
#define R_DELE1 "+OK message 1 deleted\r\n"
#define R_RETR2 "+OK 912 octets\r\n" MSG2 ".\r\n"
#define R_DELE2 "+OK message 2 deleted\r\n"
#define R_QUIT  "+OK POP3 server signing off\r\n"

/* The seed's commands, lower case as the textbook writes them. */
#define SEED_UNTIL_DELE2                                                       \
	S(GREET), C("user rob\r\n"), S(R_USER), C("pass hungry\r\n"),          \
	        S(R_PASS), C("list\r\n"), S(R_LIST), C("retr 1\r\n"),          \
	        S(R_RETR1), C("dele 1\r\n"), S(R_DELE1), C("retr 2\r\n"),      \
	        S(R_RETR2), C("dele 2\r\n"), S(R_DELE2)

static void exp_seed_until_dele2(evlist *e)
{
	expect(e, "greeting +OK text=POP3 server ready");
	exp_cmd(e, "USER", "rob", NULL, R_USER);
	exp_cmd(e, "PASS", "hungry", " redact=0", R_PASS);
	expect(e, "auth USER user=rob pass=hungry success=1");
	expect(e, "state AUTHORIZATION->TRANSACTION cause=PASS");
	exp_cmd(e, "LIST", NULL, NULL, R_LIST);
	exp_cmd(e, "RETR", "1", NULL, R_RETR1);
	exp_msg(e, "RETR", 1, MSG1, strlen(MSG1), true, NULL);
	exp_cmd(e, "DELE", "1", NULL, R_DELE1);
	exp_cmd(e, "RETR", "2", NULL, R_RETR2);
	exp_msg(e, "RETR", 2, MSG2, strlen(MSG2), true, NULL);
	exp_cmd(e, "DELE", "2", NULL, R_DELE2);
}

START_TEST(test_seed)
{
	static const step script[] = {SEED_UNTIL_DELE2, C("quit\r\n"),
	                              S(R_QUIT), END};
	evlist e = {0};
	outcome oc;

	exp_seed_until_dele2(&e);
	exp_cmd(&e, "QUIT", NULL, NULL, R_QUIT);
	expect(&e, "state TRANSACTION->UPDATE cause=QUIT");
	expect(&e, "end reason=quit state=UPDATE update=1 applied=1 "
	           "deleted=[1,2]");
	check_script(config(), script, &e, &oc);
	ck_assert_uint_eq(oc.commands, 8);
	ck_assert_uint_eq(oc.messages, 2);
	ck_assert_uint_eq(oc.anomalies, 0);
}
END_TEST

START_TEST(test_seed_cut_before_quit)
{
	static const step script[] = {SEED_UNTIL_DELE2, END};
	evlist e = {0};

	exp_seed_until_dele2(&e);
	expect(&e, "end reason=- state=TRANSACTION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* The transcript of the same dialogue: each line once, in wire order,
 * the PASS argument marked secret. */
START_TEST(test_seed_lines)
{
	static const step script[] = {
	        S(GREET),
	        C("user rob\r\n"),
	        S(R_USER),
	        C("pass hungry\r\n"),
	        S(R_PASS),
	        C("retr 1\r\n"),
	        S("+OK\r\nSubject: x\r\n\r\n..dot\r\n.\r\n"),
	        C("list\r\n"),
	        S("+OK\r\n1 5\r\n.\r\n"),
	        END};
	ms_config *cfg = config();
	evlist e = {0};

	cfg->emit_lines = true;
	expect(&e, "line S reply |+OK POP3 server ready");
	expect(&e, "greeting +OK text=POP3 server ready");
	expect(&e, "line C command |user rob");
	expect(&e, "line S reply |+OK");
	exp_cmd(&e, "USER", "rob", NULL, R_USER);
	expect(&e, "line C command redact=5 |pass hungry");
	expect(&e, "line S reply |"
	           "+OK user successfully logged on");
	exp_cmd(&e, "PASS", "hungry", " redact=0", R_PASS);
	expect(&e, "auth USER user=rob pass=hungry success=1");
	expect(&e, "state AUTHORIZATION->TRANSACTION cause=PASS");
	expect(&e, "line C command |retr 1");
	expect(&e, "line S reply |+OK");
	expect(&e, "line S message |Subject: x");
	expect(&e, "line S message |");
	expect(&e, "line S message |.dot");
	expect(&e, "line S message_end |.");
	exp_cmd(&e, "RETR", "1", NULL,
	        "+OK\r\nSubject: x\r\n\r\n..dot\r\n.\r\n");
	exp_msg(&e, "RETR", 1, "Subject: x\r\n\r\n.dot\r\n", 20, true, NULL);
	expect(&e, "line C command |list");
	expect(&e, "line S reply |+OK");
	expect(&e, "line S reply |1 5");
	expect(&e, "line S reply |.");
	exp_cmd(&e, "LIST", NULL, NULL, "+OK\r\n1 5\r\n.\r\n");
	expect(&e, "end reason=- state=TRANSACTION update=1 applied=0 "
	           "deleted=[]");
	check_script(cfg, script, &e, NULL);
}
END_TEST

/* ---- every reply form ---- */

#define LOGIN                                                                  \
	S(GREET), C("USER rob\r\n"), S("+OK\r\n"), C("PASS pw\r\n"),           \
	        S("+OK\r\n")

static void exp_login(evlist *e)
{
	expect(e, "greeting +OK text=POP3 server ready");
	exp_cmd(e, "USER", "rob", NULL, "+OK\r\n");
	exp_cmd(e, "PASS", "pw", " redact=0", "+OK\r\n");
	expect(e, "auth USER user=rob pass=pw success=1");
	expect(e, "state AUTHORIZATION->TRANSACTION cause=PASS");
}

#define R_CAPA                                                                 \
	"+OK Capability list follows\r\nTOP\r\nUSER\r\nSASL PLAIN "            \
	"LOGIN\r\nUIDL\r\n.\r\n"
#define R_UIDL                                                                 \
	"+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n"
#define TOPMSG "Subject: top\r\n\r\nfirst line\r\n"
#define R_TOP  "+OK top of message follows\r\n" TOPMSG ".\r\n"

START_TEST(test_reply_forms)
{
	static const step script[] = {S(GREET),
	                              C("CAPA\r\n"),
	                              S(R_CAPA),
	                              C("USER rob\r\n"),
	                              S("-ERR [IN-USE] mailbox locked\r\n"),
	                              C("USER rob\r\n"),
	                              S("+OK\r\n"),
	                              C("PASS pw\r\n"),
	                              S("-ERR [LOGIN-DELAY] wait a minute\r\n"),
	                              C("PASS pw\r\n"),
	                              S("+OK\r\n"),
	                              C("stat\r\n"),
	                              S("+OK 2 320\r\n"),
	                              C("LIST 1\r\n"),
	                              S("+OK 1 120\r\n"),
	                              C("list\r\n"),
	                              S("+OK\r\n1 120\r\n2 200\r\n.\r\n"),
	                              C("UIDL 2\r\n"),
	                              S("+OK 2 QhdPYR:00WBw1Ph7x7\r\n"),
	                              C("uidl\r\n"),
	                              S(R_UIDL),
	                              C("RETR 9\r\n"),
	                              S("-ERR no such message\r\n"),
	                              C("TOP 1 1\r\n"),
	                              S(R_TOP),
	                              C("TOP 9 0\r\n"),
	                              S("-err [SYS/TEMP] try later\r\n"),
	                              C("CAPA\r\n"),
	                              S("-ERR [AUTH] no\r\n"),
	                              C("NOOP\r\n"),
	                              S("+OK\r\n"),
	                              C("Quit\r\n"),
	                              S("+OK bye\r\n"),
	                              END};
	evlist e = {0};

	expect(&e, "greeting +OK text=POP3 server ready");
	exp_cmd(&e, "CAPA", NULL, NULL, R_CAPA);
	exp_cmd(&e, "USER", "rob", NULL, "-ERR [IN-USE] mailbox locked\r\n");
	exp_cmd(&e, "USER", "rob", NULL, "+OK\r\n");
	exp_cmd(&e, "PASS", "pw", " redact=0",
	        "-ERR [LOGIN-DELAY] wait a minute\r\n");
	expect(&e, "auth USER user=rob pass=pw success=0");
	exp_cmd(&e, "PASS", "pw", " redact=0", "+OK\r\n");
	expect(&e, "auth USER user=rob pass=pw success=1");
	expect(&e, "state AUTHORIZATION->TRANSACTION cause=PASS");
	exp_cmd(&e, "STAT", NULL, NULL, "+OK 2 320\r\n");
	exp_cmd(&e, "LIST", "1", NULL, "+OK 1 120\r\n");
	exp_cmd(&e, "LIST", NULL, NULL, "+OK\r\n1 120\r\n2 200\r\n.\r\n");
	exp_cmd(&e, "UIDL", "2", NULL, "+OK 2 QhdPYR:00WBw1Ph7x7\r\n");
	exp_cmd(&e, "UIDL", NULL, NULL, R_UIDL);
	exp_cmd(&e, "RETR", "9", NULL, "-ERR no such message\r\n");
	exp_cmd(&e, "TOP", "1 1", NULL, R_TOP);
	exp_msg(&e, "TOP", 1, TOPMSG, strlen(TOPMSG), true,
	        " partial uidl=whqtswO00WBw418f9t5JxYwZ");
	/* the status is upper-cased */
	expect(&e, "command TOP args=9 0 status=-ERR code=SYS/TEMP lines=1 "
	           "bytes=27");
	exp_cmd(&e, "CAPA", NULL, NULL, "-ERR [AUTH] no\r\n");
	exp_cmd(&e, "NOOP", NULL, NULL, "+OK\r\n");
	exp_cmd(&e, "QUIT", NULL, NULL, "+OK bye\r\n");
	expect(&e, "state TRANSACTION->UPDATE cause=QUIT");
	expect(&e, "end reason=quit state=UPDATE update=1 applied=1 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* The reply's text and the greeting's response code. */
START_TEST(test_reply_text)
{
	static const step script[] = {
	        S("+OK [SYS/PERM] ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
	        C("USER rob\r\n"), S("-ERR [AUTH]\r\n"), END};
	evlist e = {0};

	expect(&e, "greeting +OK code=SYS/PERM text=ready "
	           "<1896.697170952@dbc.mtview.ca.us>");
	exp_cmd(&e, "USER", "rob", NULL, "-ERR [AUTH]\r\n");
	expect(&e, "end reason=- state=AUTHORIZATION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* ---- dot-stuffing ---- */

/* On the wire "...x", "..", "..." and ".." are the lines "..x", ".",
 * ".." and "." of the message (RFC 1939 §3); a line that only begins
 * with a dot after unstuffing is content, not the end. */
#define STUFFED   "Subject: dots\r\n\r\n...x\r\n..\r\n...\r\n.. \r\nend\r\n"
#define UNSTUFFED "Subject: dots\r\n\r\n..x\r\n.\r\n..\r\n. \r\nend\r\n"

START_TEST(test_dot_unstuffing)
{
	static const step script[] = {LOGIN,
	                              C("RETR 1\r\n"),
	                              S("+OK\r\n" STUFFED ".\r\n"),
	                              C("RETR 2\r\n"),
	                              S("+OK\r\n.\r\n"),
	                              C("RETR 3\r\n"),
	                              S("+OK\r\n..\r\n.\r\n"),
	                              END};
	ms_config *cfg = config();
	evlist e = {0};

	exp_login(&e);
	exp_cmd(&e, "RETR", "1", NULL, "+OK\r\n" STUFFED ".\r\n");
	exp_msg(&e, "RETR", 1, UNSTUFFED, strlen(UNSTUFFED), true, NULL);
	exp_cmd(&e, "RETR", "2", NULL, "+OK\r\n.\r\n");
	exp_msg(&e, "RETR", 2, "", 0, true, NULL);
	exp_cmd(&e, "RETR", "3", NULL, "+OK\r\n..\r\n.\r\n");
	exp_msg(&e, "RETR", 3, ".\r\n", 3, true, NULL);
	expect(&e, "end reason=- state=TRANSACTION update=1 applied=0 "
	           "deleted=[]");
	check_script(cfg, script, &e, NULL);

	/* the transcript shows the unstuffed lines */
	{
		static const step s2[] = {LOGIN, C("RETR 1\r\n"),
		                          S("+OK\r\n..\r\n...x\r\n.\r\n"), END};
		harness h;
		evlist got;
		size_t n;

		cfg->emit_lines = true;
		h = pop3_harness(cfg);
		h_run_all(&h, s2, &got, NULL);
		n = got.n;
		ck_assert_uint_ge(n, 7);
		ck_assert_str_eq(got.v[n - 7], "line S reply |+OK");
		ck_assert_str_eq(got.v[n - 6], "line S message |.");
		ck_assert_str_eq(got.v[n - 5], "line S message |..x");
		ck_assert_str_eq(got.v[n - 4], "line S message_end |.");
		evlist_free(&got);
	}
}
END_TEST

/* ---- UIDL ---- */

START_TEST(test_uidl_mapping)
{
	static const step script[] = {LOGIN,
	                              C("UIDL\r\n"),
	                              S(R_UIDL),
	                              C("RETR 2\r\n"),
	                              S("+OK\r\n" MSG2 ".\r\n"),
	                              C("RETR 3\r\n"),
	                              S("+OK\r\n" MSG1 ".\r\n"),
	                              END};
	evlist e = {0};

	exp_login(&e);
	exp_cmd(&e, "UIDL", NULL, NULL, R_UIDL);
	exp_cmd(&e, "RETR", "2", NULL, "+OK\r\n" MSG2 ".\r\n");
	exp_msg(&e, "RETR", 2, MSG2, strlen(MSG2), true,
	        " uidl=QhdPYR:00WBw1Ph7x7");
	/* not in the listing: no uidl */
	exp_cmd(&e, "RETR", "3", NULL, "+OK\r\n" MSG1 ".\r\n");
	exp_msg(&e, "RETR", 3, MSG1, strlen(MSG1), true, NULL);
	expect(&e, "end reason=- state=TRANSACTION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* ---- authentication ---- */

/* base64 of "\0rob\0secret" */
#define PLAIN_B64 "AHJvYgBzZWNyZXQ="

START_TEST(test_sasl_plain_initial_response)
{
	static const step script[] = {
	        S(GREET), C("AUTH PLAIN " PLAIN_B64 "\r\n"),
	        S("+OK maildrop locked and ready\r\n"), END};
	ms_config *cfg = config();
	evlist e = {0};

	cfg->emit_lines = true;
	expect(&e, "line S reply |+OK POP3 server ready");
	expect(&e, "greeting +OK text=POP3 server ready");
	expect(&e, "line C command redact=11 |AUTH PLAIN " PLAIN_B64);
	expect(&e, "line S reply |+OK maildrop locked and ready");
	exp_cmd(&e, "AUTH", "PLAIN " PLAIN_B64, " redact=6",
	        "+OK maildrop locked and ready\r\n");
	expect(&e, "auth PLAIN user=rob pass=secret success=1");
	expect(&e, "state AUTHORIZATION->TRANSACTION cause=AUTH");
	expect(&e, "end reason=- state=TRANSACTION update=1 applied=0 "
	           "deleted=[]");
	check_script(cfg, script, &e, NULL);
}
END_TEST

START_TEST(test_sasl_plain_continuation)
{
	static const step script[] = {S(GREET),     C("AUTH PLAIN\r\n"),
	                              S("+ \r\n"),  C(PLAIN_B64 "\r\n"),
	                              S("+OK\r\n"), END};
	ms_config *cfg = config();
	evlist e = {0};

	cfg->emit_lines = true;
	expect(&e, "line S reply |+OK POP3 server ready");
	expect(&e, "greeting +OK text=POP3 server ready");
	expect(&e, "line C command |AUTH PLAIN");
	expect(&e, "line S sasl |+ ");
	expect(&e, "line C sasl redact=0 |" PLAIN_B64);
	expect(&e, "line S reply |+OK");
	exp_cmd(&e, "AUTH", "PLAIN", NULL, "+ \r\n+OK\r\n");
	expect(&e, "auth PLAIN user=rob pass=secret success=1");
	expect(&e, "state AUTHORIZATION->TRANSACTION cause=AUTH");
	expect(&e, "end reason=- state=TRANSACTION update=1 applied=0 "
	           "deleted=[]");
	check_script(cfg, script, &e, NULL);
}
END_TEST

START_TEST(test_sasl_login)
{
	static const step script[] = {S(GREET),
	                              C("AUTH LOGIN\r\n"),
	                              S("+ VXNlcm5hbWU6\r\n"),
	                              C("cm9i\r\n"), /* rob */
	                              S("+ UGFzc3dvcmQ6\r\n"),
	                              C("c2VjcmV0\r\n"), /* secret */
	                              S("+OK\r\n"),
	                              END};
	ms_config *cfg = config();
	evlist e = {0};

	cfg->emit_lines = true;
	expect(&e, "line S reply |+OK POP3 server ready");
	expect(&e, "greeting +OK text=POP3 server ready");
	expect(&e, "line C command |AUTH LOGIN");
	expect(&e, "line S sasl |+ VXNlcm5hbWU6");
	expect(&e, "line C sasl redact=0 |cm9i");
	expect(&e, "line S sasl |+ UGFzc3dvcmQ6");
	expect(&e, "line C sasl redact=0 |c2VjcmV0");
	expect(&e, "line S reply |+OK");
	exp_cmd(&e, "AUTH", "LOGIN", NULL,
	        "+ VXNlcm5hbWU6\r\n+ UGFzc3dvcmQ6\r\n+OK\r\n");
	expect(&e, "auth LOGIN user=rob pass=secret success=1");
	expect(&e, "state AUTHORIZATION->TRANSACTION cause=AUTH");
	expect(&e, "end reason=- state=TRANSACTION update=1 applied=0 "
	           "deleted=[]");
	check_script(cfg, script, &e, NULL);
}
END_TEST

/* RFC 2195's example: the response names the user, no password. */
START_TEST(test_sasl_cram_md5)
{
	static const step script[] = {
	        S(GREET),
	        C("auth cram-md5\r\n"),
	        S("+ "
	          "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
	          "\r\n"),
	        C("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"),
	        S("-ERR [AUTH] bad\r\n"),
	        END};
	evlist e = {0};

	expect(&e, "greeting +OK text=POP3 server ready");
	exp_cmd(&e, "AUTH", "cram-md5", NULL,
	        "+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"
	        "-ERR [AUTH] bad\r\n");
	expect(&e, "auth CRAM-MD5 user=tim pass= success=0");
	expect(&e, "end reason=- state=AUTHORIZATION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* A client cancels with "*" (RFC 5034 §4); the next line is a command
 * again. */
START_TEST(test_sasl_cancel)
{
	static const step script[] = {S(GREET),
	                              C("AUTH LOGIN\r\n"),
	                              S("+ VXNlcm5hbWU6\r\n"),
	                              C("*\r\n"),
	                              S("-ERR authentication cancelled\r\n"),
	                              C("USER rob\r\n"),
	                              S("+OK\r\n"),
	                              END};
	evlist e = {0};

	expect(&e, "greeting +OK text=POP3 server ready");
	exp_cmd(&e, "AUTH", "LOGIN", NULL,
	        "+ VXNlcm5hbWU6\r\n-ERR authentication cancelled\r\n");
	expect(&e, "auth LOGIN user= pass= success=0");
	exp_cmd(&e, "USER", "rob", NULL, "+OK\r\n");
	expect(&e, "end reason=- state=AUTHORIZATION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* Bare AUTH lists the mechanisms (multi-line), no auth event. */
START_TEST(test_auth_list)
{
	static const step script[] = {S(GREET),
	                              C("AUTH\r\n"),
	                              S("+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n"),
	                              C("USER rob\r\n"),
	                              S("+OK\r\n"),
	                              END};
	evlist e = {0};

	expect(&e, "greeting +OK text=POP3 server ready");
	exp_cmd(&e, "AUTH", NULL, NULL, "+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n");
	exp_cmd(&e, "USER", "rob", NULL, "+OK\r\n");
	expect(&e, "end reason=- state=AUTHORIZATION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

#define APOP_ARGS "mrose c4c9334bac560ecc979e58001b3e22fb"

START_TEST(test_apop)
{
	static const step script[] = {
	        S("+OK POP3 server ready "
	          "<1896.697170952@dbc.mtview.ca.us>\r\n"),
	        C("APOP " APOP_ARGS "\r\n"),
	        S("-ERR [AUTH] permission denied\r\n"),
	        C("APOP " APOP_ARGS "\r\n"),
	        S("+OK maildrop has 1 message (369 octets)\r\n"),
	        END};
	evlist e = {0};

	expect(&e, "greeting +OK text=POP3 server ready "
	           "<1896.697170952@dbc.mtview.ca.us>");
	exp_cmd(&e, "APOP", APOP_ARGS, NULL,
	        "-ERR [AUTH] permission denied\r\n");
	expect(&e, "auth APOP user=mrose pass= success=0");
	exp_cmd(&e, "APOP", APOP_ARGS, NULL,
	        "+OK maildrop has 1 message (369 octets)\r\n");
	expect(&e, "auth APOP user=mrose pass= success=1");
	expect(&e, "state AUTHORIZATION->TRANSACTION cause=APOP");
	expect(&e, "end reason=- state=TRANSACTION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

START_TEST(test_user_pass_failure_then_success)
{
	static const step script[] = {S(GREET),
	                              C("USER rob\r\n"),
	                              S("+OK\r\n"),
	                              C("PASS wrong\r\n"),
	                              S("-ERR [AUTH] invalid password\r\n"),
	                              C("USER rob\r\n"),
	                              S("+OK\r\n"),
	                              C("PASS hungry\r\n"),
	                              S("+OK\r\n"),
	                              END};
	evlist e = {0};

	expect(&e, "greeting +OK text=POP3 server ready");
	exp_cmd(&e, "USER", "rob", NULL, "+OK\r\n");
	exp_cmd(&e, "PASS", "wrong", " redact=0",
	        "-ERR [AUTH] invalid password\r\n");
	expect(&e, "auth USER user=rob pass=wrong success=0");
	exp_cmd(&e, "USER", "rob", NULL, "+OK\r\n");
	exp_cmd(&e, "PASS", "hungry", " redact=0", "+OK\r\n");
	expect(&e, "auth USER user=rob pass=hungry success=1");
	expect(&e, "state AUTHORIZATION->TRANSACTION cause=PASS");
	expect(&e, "end reason=- state=TRANSACTION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* ---- DELE and RSET ---- */

START_TEST(test_rset_undoes_dele)
{
	static const step script[] = {LOGIN,
	                              C("DELE 1\r\n"),
	                              S("+OK\r\n"),
	                              C("RSET\r\n"),
	                              S("+OK\r\n"),
	                              C("DELE 9\r\n"),
	                              S("-ERR no such message\r\n"),
	                              C("DELE 2\r\n"),
	                              S("+OK\r\n"),
	                              C("QUIT\r\n"),
	                              S("+OK\r\n"),
	                              END};
	evlist e = {0};

	exp_login(&e);
	exp_cmd(&e, "DELE", "1", NULL, "+OK\r\n");
	exp_cmd(&e, "RSET", NULL, NULL, "+OK\r\n");
	exp_cmd(&e, "DELE", "9", NULL, "-ERR no such message\r\n");
	exp_cmd(&e, "DELE", "2", NULL, "+OK\r\n");
	exp_cmd(&e, "QUIT", NULL, NULL, "+OK\r\n");
	expect(&e, "state TRANSACTION->UPDATE cause=QUIT");
	expect(&e, "end reason=quit state=UPDATE update=1 applied=1 "
	           "deleted=[2]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* QUIT answered -ERR (RFC 1939 §6: some deletions failed). */
START_TEST(test_quit_error)
{
	static const step script[] = {LOGIN,
	                              C("DELE 1\r\n"),
	                              S("+OK\r\n"),
	                              C("QUIT\r\n"),
	                              S("-ERR some deleted "
	                                "messages not removed\r\n"),
	                              END};
	evlist e = {0};

	exp_login(&e);
	exp_cmd(&e, "DELE", "1", NULL, "+OK\r\n");
	exp_cmd(&e, "QUIT", NULL, NULL,
	        "-ERR some deleted messages not removed\r\n");
	expect(&e, "state TRANSACTION->UPDATE cause=QUIT");
	expect(&e, "end reason=quit state=UPDATE update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* ---- pipelining (RFC 2449 §6.6) ---- */

START_TEST(test_pipelining)
{
	static const step script[] = {
	        S(GREET),
	        C("USER rob\r\nPASS pw\r\nSTAT\r\nLIST\r\nRETR 1\r\nDELE 1\r\n"
	          "QUIT\r\n"),
	        S("+OK\r\n+OK\r\n+OK 1 100\r\n+OK\r\n1 100\r\n.\r\n"
	          "+OK\r\n" MSG1 ".\r\n+OK\r\n+OK bye\r\n"),
	        END};
	evlist e = {0};

	expect(&e, "greeting +OK text=POP3 server ready");
	exp_cmd(&e, "USER", "rob", NULL, "+OK\r\n");
	exp_cmd(&e, "PASS", "pw", " redact=0 pipelined", "+OK\r\n");
	expect(&e, "auth USER user=rob pass=pw success=1");
	expect(&e, "state AUTHORIZATION->TRANSACTION cause=PASS");
	exp_cmd(&e, "STAT", NULL, " pipelined", "+OK 1 100\r\n");
	exp_cmd(&e, "LIST", NULL, " pipelined", "+OK\r\n1 100\r\n.\r\n");
	exp_cmd(&e, "RETR", "1", " pipelined", "+OK\r\n" MSG1 ".\r\n");
	exp_msg(&e, "RETR", 1, MSG1, strlen(MSG1), true, NULL);
	exp_cmd(&e, "DELE", "1", " pipelined", "+OK\r\n");
	exp_cmd(&e, "QUIT", NULL, " pipelined", "+OK bye\r\n");
	expect(&e, "state TRANSACTION->UPDATE cause=QUIT");
	expect(&e, "end reason=quit state=UPDATE update=1 applied=1 "
	           "deleted=[1]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* A pipelined command is checked against the state the replies before
 * it leave: STAT after a failed PASS is out of place. */
START_TEST(test_pipelining_wrong_state)
{
	static const step script[] = {
	        S(GREET), C("USER rob\r\nPASS bad\r\nSTAT\r\n"),
	        S("+OK\r\n-ERR [AUTH] no\r\n-ERR not authenticated\r\n"), END};
	evlist e = {0};

	expect(&e, "greeting +OK text=POP3 server ready");
	exp_cmd(&e, "USER", "rob", NULL, "+OK\r\n");
	exp_cmd(&e, "PASS", "bad", " redact=0 pipelined", "-ERR [AUTH] no\r\n");
	expect(&e, "auth USER user=rob pass=bad success=0");
	expect(&e, "anomaly command_in_wrong_state");
	exp_cmd(&e, "STAT", NULL, " pipelined", "-ERR not authenticated\r\n");
	expect(&e, "end reason=- state=AUTHORIZATION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* ---- STLS (RFC 2595 §4) ---- */

START_TEST(test_stls_tls)
{
	static const step script[] = {
	        S(GREET),
	        C("CAPA\r\n"),
	        S("+OK\r\nSTLS\r\n.\r\n"),
	        C("STLS\r\n"),
	        S("+OK Begin TLS negotiation\r\n"),
	        C("\x16\x03\x01\x00\x05hello\r\nUSER x\r\n"),
	        S("\x16\x03\x03\x00\x02+OK\r\n"),
	        C("QUIT\r\n"),
	        END};
	evlist e = {0};
	outcome oc;

	expect(&e, "greeting +OK text=POP3 server ready");
	exp_cmd(&e, "CAPA", NULL, NULL, "+OK\r\nSTLS\r\n.\r\n");
	exp_cmd(&e, "STLS", NULL, NULL, "+OK Begin TLS negotiation\r\n");
	expect(&e, "tls STLS");
	expect(&e, "end reason=- state=AUTHORIZATION update=0 applied=0 "
	           "deleted=[] tls");
	check_script(config(), script, &e, &oc);
	ck_assert(oc.tls);
	ck_assert_uint_eq(oc.tls_bytes, 20 + 10 + 6);
}
END_TEST

START_TEST(test_stls_clear_text)
{
	static const step script[] = {S(GREET),     C("STLS\r\n"),
	                              S("+OK\r\n"), C("USER x\r\n"),
	                              S("+OK\r\n"), END};
	evlist e = {0};
	outcome oc;

	expect(&e, "greeting +OK text=POP3 server ready");
	exp_cmd(&e, "STLS", NULL, NULL, "+OK\r\n");
	expect(&e, "anomaly tls_not_tls");
	exp_cmd(&e, "USER", "x", NULL, "+OK\r\n");
	expect(&e, "end reason=- state=AUTHORIZATION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, &oc);
	ck_assert(!oc.tls);
}
END_TEST

/* STLS refused: the next client bytes are commands, no anomaly. */
START_TEST(test_stls_refused)
{
	static const step script[] = {S(GREET),      C("STLS\r\n"),
	                              S("-ERR\r\n"), C("USER x\r\n"),
	                              S("+OK\r\n"),  END};
	evlist e = {0};

	expect(&e, "greeting +OK text=POP3 server ready");
	exp_cmd(&e, "STLS", NULL, NULL, "-ERR\r\n");
	exp_cmd(&e, "USER", "x", NULL, "+OK\r\n");
	expect(&e, "end reason=- state=AUTHORIZATION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* ---- anomalies ---- */

START_TEST(test_anomalies)
{
	static const step script[] = {S(GREET),
	                              C("XTND XMIT\r\n"),
	                              S("-ERR unknown command\r\n"),
	                              C("RETR 1\r\n"),
	                              S("-ERR not yet\r\n"),
	                              S("+OK nobody asked\r\n"),
	                              C("USER rob\n"),
	                              S("+OK\n"),
	                              C("PASS pw\r\n"),
	                              S("+OK\r\n"),
	                              C("LIST\r\n"),
	                              S("+OK\n1 5\n.\n"),
	                              C("RETR 1\r\n"),
	                              S("+OK\nab\n.\n"),
	                              C("USER again\r\n"),
	                              S("-ERR\r\n"),
	                              END};
	evlist e = {0};

	expect(&e, "greeting +OK text=POP3 server ready");
	expect(&e, "anomaly unknown_command");
	exp_cmd(&e, "XTND", "XMIT", NULL, "-ERR unknown command\r\n");
	expect(&e, "anomaly command_in_wrong_state");
	exp_cmd(&e, "RETR", "1", NULL, "-ERR not yet\r\n");
	expect(&e, "anomaly reply_without_command");
	expect(&e, "anomaly bare_lf");
	expect(&e, "anomaly bare_lf");
	exp_cmd(&e, "USER", "rob", NULL, "+OK\n");
	exp_cmd(&e, "PASS", "pw", " redact=0", "+OK\r\n");
	expect(&e, "auth USER user=rob pass=pw success=1");
	expect(&e, "state AUTHORIZATION->TRANSACTION cause=PASS");
	/* a listing's every line */
	expect(&e, "anomaly bare_lf");
	expect(&e, "anomaly bare_lf");
	expect(&e, "anomaly bare_lf");
	exp_cmd(&e, "LIST", NULL, NULL, "+OK\n1 5\n.\n");
	/* the status line; a message's own line ends are its content */
	expect(&e, "anomaly bare_lf");
	exp_cmd(&e, "RETR", "1", NULL, "+OK\nab\n.\n");
	exp_msg(&e, "RETR", 1, "ab\n", 3, true, NULL);
	expect(&e, "anomaly command_in_wrong_state");
	exp_cmd(&e, "USER", "again", NULL, "-ERR\r\n");
	expect(&e, "end reason=- state=TRANSACTION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* A line longer than max_line is reported once, memory stays bounded,
 * and the next line parses. The server answers the long line, so it is
 * still a command (cut to its first max_line bytes) and the replies stay
 * paired with their commands. */
#define LONG_ARG                                                               \
	"0123456789012345678901234567890123456789012345678901234567890123"     \
	"0123456789012345678901234567890123456789012345678901234567890123"
START_TEST(test_line_too_long)
{
	static const step script[] = {S(GREET),
	                              C("USER " LONG_ARG "\r\n"),
	                              S("-ERR line too long\r\n"),
	                              C("USER rob\r\n"),
	                              S("+OK " LONG_ARG "\r\n"),
	                              C("NOOP\r\n"),
	                              S("-ERR\r\n"),
	                              END};
	ms_config *cfg = config();
	evlist e = {0};

	cfg->max_line = 64;
	expect(&e, "greeting +OK text=POP3 server ready");
	expect(&e, "anomaly line_too_long");
	expect(&e, "command USER args=%.59s status=-ERR lines=1 bytes=20",
	       LONG_ARG);
	/* the reply completes with its status line's first piece */
	expect(&e, "anomaly line_too_long");
	expect(&e, "command USER args=rob status=+OK lines=1 bytes=64");
	expect(&e, "anomaly command_in_wrong_state");
	exp_cmd(&e, "NOOP", NULL, NULL, "-ERR\r\n");
	expect(&e, "end reason=- state=AUTHORIZATION update=1 applied=0 "
	           "deleted=[]");
	check_script(cfg, script, &e, NULL);
}
END_TEST

/* A long line inside a message is content: no anomaly, every byte
 * hashed, and a piece that begins with "." is not the end. */
START_TEST(test_long_message_line)
{
	static const step script[] = {
	        LOGIN, C("RETR 1\r\n"),
	        S("+OK\r\n" LONG_ARG "\r\n" LONG_ARG "..\r\n..\r\n.\r\n"), END};
	ms_config *cfg = config();
	evlist e = {0};
	const char *body = LONG_ARG "\r\n" LONG_ARG "..\r\n.\r\n";

	cfg->max_line = 64;
	exp_login(&e);
	expect(&e, "command RETR args=1 status=+OK lines=%u bytes=%zu", 9u,
	       strlen("+OK\r\n" LONG_ARG "\r\n" LONG_ARG "..\r\n..\r\n.\r\n"));
	exp_msg(&e, "RETR", 1, body, strlen(body), true, NULL);
	expect(&e, "end reason=- state=TRANSACTION update=1 applied=0 "
	           "deleted=[]");
	check_script(cfg, script, &e, NULL);
}
END_TEST

/* ---- gaps ---- */

#define GAPMSG_A "Subject: gap\r\n\r\nline one\r\nline t"
#define GAPMSG_B "wo\r\nline three\r\n"

/* Server bytes lost inside a body: counted, the message is incomplete,
 * and what follows still parses. */
START_TEST(test_gap_in_body)
{
	static const step script[] = {
	        LOGIN,        C("RETR 1\r\n"),     S("+OK\r\n" GAPMSG_A),
	        GS(17),       S(GAPMSG_B ".\r\n"), C("DELE 1\r\n"),
	        S("+OK\r\n"), C("QUIT\r\n"),       S("+OK\r\n"),
	        END};
	evlist e = {0};
	/* the text after the hole up to its line end is kept, unstuffed
	 * or not, since it is not a line start */
	const char *seen = GAPMSG_A GAPMSG_B;

	exp_login(&e);
	/* "line t" and "wo" are seen as two pieces */
	expect(&e, "command RETR args=1 status=+OK lines=%u bytes=%zu", 7u,
	       strlen("+OK\r\n" GAPMSG_A GAPMSG_B ".\r\n"));
	exp_msg(&e, "RETR", 1, seen, strlen(seen), false, " missing=17");
	exp_cmd(&e, "DELE", "1", NULL, "+OK\r\n");
	exp_cmd(&e, "QUIT", NULL, NULL, "+OK\r\n");
	expect(&e, "state TRANSACTION->UPDATE cause=QUIT");
	expect(&e, "end reason=quit state=UPDATE update=1 applied=1 "
	           "deleted=[1]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* The hole swallows the body's end, the "." and the start of DELE's
 * reply. The next status line, to a later command, ends the message;
 * DELE, sent before the server's bytes resumed and answered inside the
 * hole, ends unanswered; RETR 2 gets its own reply. */
START_TEST(test_gap_swallows_end)
{
	static const step script[] = {LOGIN,
	                              C("RETR 1\r\n"),
	                              S("+OK\r\nSubject: a\r\n\r\nbody\r\n"),
	                              C("DELE 1\r\n"),
	                              GS(30),
	                              S("eted\r\n"),
	                              C("RETR 2\r\n"),
	                              S("+OK\r\n" MSG2 ".\r\n"),
	                              C("QUIT\r\n"),
	                              S("+OK\r\n"),
	                              END};
	evlist e = {0};
	const char *seen = "Subject: a\r\n\r\nbody\r\neted\r\n";

	exp_login(&e);
	expect(&e, "command RETR args=1 status=+OK lines=5 bytes=%zu",
	       strlen("+OK\r\nSubject: a\r\n\r\nbody\r\neted\r\n"));
	exp_msg(&e, "RETR", 1, seen, strlen(seen), false, " missing=30");
	exp_unanswered(&e, "DELE", "1", " pipelined");
	exp_cmd(&e, "RETR", "2", " pipelined", "+OK\r\n" MSG2 ".\r\n");
	exp_msg(&e, "RETR", 2, MSG2, strlen(MSG2), true, NULL);
	exp_cmd(&e, "QUIT", NULL, NULL, "+OK\r\n");
	expect(&e, "state TRANSACTION->UPDATE cause=QUIT");
	expect(&e, "end reason=quit state=UPDATE update=1 applied=1 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* The hole ends exactly where DELE's reply begins: that whole line is
 * the reply, not message content. */
START_TEST(test_gap_ends_at_reply)
{
	static const step script[] = {LOGIN,
	                              C("RETR 1\r\n"),
	                              S("+OK\r\nSubject: a\r\n\r\nbody\r\n"),
	                              C("DELE 1\r\n"),
	                              GS(12),
	                              S("+OK deleted\r\n"),
	                              C("QUIT\r\n"),
	                              S("+OK\r\n"),
	                              END};
	evlist e = {0};
	const char *seen = "Subject: a\r\n\r\nbody\r\n";

	exp_login(&e);
	expect(&e, "command RETR args=1 status=+OK lines=4 bytes=%zu",
	       strlen("+OK\r\nSubject: a\r\n\r\nbody\r\n"));
	exp_msg(&e, "RETR", 1, seen, strlen(seen), false, " missing=12");
	exp_cmd(&e, "DELE", "1", " pipelined", "+OK deleted\r\n");
	exp_cmd(&e, "QUIT", NULL, NULL, "+OK\r\n");
	expect(&e, "state TRANSACTION->UPDATE cause=QUIT");
	expect(&e, "end reason=quit state=UPDATE update=1 applied=1 "
	           "deleted=[1]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* Server bytes lost between replies: the commands waiting end
 * unanswered rather than take a later command's reply. */
START_TEST(test_gap_outside_message)
{
	static const step script[] = {
	        LOGIN,          C("STAT\r\n"), C("LIST 1\r\n"), GS(20),
	        S("1 120\r\n"), C("NOOP\r\n"), S("+OK\r\n"),    END};
	evlist e = {0};

	exp_login(&e);
	exp_unanswered(&e, "STAT", NULL, NULL);
	exp_unanswered(&e, "LIST", "1", " pipelined");
	exp_cmd(&e, "NOOP", NULL, NULL, "+OK\r\n");
	expect(&e, "end reason=- state=TRANSACTION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* A gap in a listing (not a message) behaves alike. */
START_TEST(test_gap_in_listing)
{
	static const step script[] = {LOGIN,
	                              C("UIDL\r\n"),
	                              S("+OK\r\n1 a\r\n"),
	                              GS(9),
	                              S("3 c\r\n.\r\n"),
	                              C("NOOP\r\n"),
	                              S("+OK\r\n"),
	                              END};
	evlist e = {0};

	exp_login(&e);
	/* the listing stays open across the hole and ends at its "." */
	expect(&e, "command UIDL status=+OK lines=3 bytes=18");
	exp_cmd(&e, "NOOP", NULL, NULL, "+OK\r\n");
	expect(&e, "end reason=- state=TRANSACTION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* ---- the session ends ---- */

START_TEST(test_end_pending)
{
	static const step script[] = {LOGIN,
	                              C("UIDL\r\n"),
	                              S(R_UIDL),
	                              C("RETR 2\r\nDELE 2\r\nNOOP\r\n"),
	                              S("+OK\r\nSubject: cut\r\n\r\nhalf"),
	                              END};
	evlist e = {0};
	const char *seen = "Subject: cut\r\n\r\n";

	exp_login(&e);
	exp_cmd(&e, "UIDL", NULL, NULL, R_UIDL);
	exp_unanswered(&e, "RETR", "2", NULL);
	/* "half" never ended its line: not part of the message */
	exp_msg(&e, "RETR", 2, seen, strlen(seen), false,
	        " uidl=QhdPYR:00WBw1Ph7x7");
	exp_unanswered(&e, "DELE", "2", " pipelined");
	exp_unanswered(&e, "NOOP", NULL, " pipelined");
	expect(&e, "end reason=- state=TRANSACTION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

START_TEST(test_end_pending_sasl)
{
	static const step script[] = {S(GREET), C("AUTH LOGIN\r\n"),
	                              S("+ VXNlcm5hbWU6\r\n"), C("cm9i\r\n"),
	                              END};
	evlist e = {0};

	expect(&e, "greeting +OK text=POP3 server ready");
	exp_unanswered(&e, "AUTH", "LOGIN", NULL);
	expect(&e, "end reason=- state=AUTHORIZATION update=1 applied=0 "
	           "deleted=[]");
	check_script(config(), script, &e, NULL);
}
END_TEST

/* A capture that began after the login: no greeting, state unknown, no
 * state anomalies. */
START_TEST(test_midstream)
{
	static const step script[] = {S("1 120\r\n.\r\n"), C("RETR 1\r\n"),
	                              S("+OK\r\n" MSG1 ".\r\n"), END};
	harness h = pop3_harness(config());
	h_session hs;
	ms_ev_session_end end;

	h.midstream = true;
	h_open(&hs, &h);
	/* straight into the dissector: no TLS gate, all at one time */
	for (size_t i = 0; script[i].kind; i++)
		ms_pop3_ops.data(&hs.s, hs.s.state,
		                 script[i].kind == 'C' ? MS_DIR_TO_SERVER
		                                       : MS_DIR_TO_CLIENT,
		                 (const uint8_t *)script[i].p, script[i].n,
		                 (ms_time){1, 0});
	h_end(&hs, &end);
	ck_assert_uint_eq(hs.events.n, 2);
	ck_assert_str_eq(hs.events.v[0],
	                 "command RETR args=1 status=+OK lines=7 bytes=82");
	ck_assert_str_eq(end.state, "UNKNOWN");
	h_close(&hs);
	evlist_free(&hs.events);
}
END_TEST

static Suite *pop3_suite(void)
{
	Suite *s = suite_create("pop3");
	TCase *tc = tcase_create("dialogues");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_seed);
	tcase_add_test(tc, test_seed_cut_before_quit);
	tcase_add_test(tc, test_seed_lines);
	tcase_add_test(tc, test_reply_forms);
	tcase_add_test(tc, test_reply_text);
	tcase_add_test(tc, test_dot_unstuffing);
	tcase_add_test(tc, test_uidl_mapping);
	tcase_add_test(tc, test_sasl_plain_initial_response);
	tcase_add_test(tc, test_sasl_plain_continuation);
	tcase_add_test(tc, test_sasl_login);
	tcase_add_test(tc, test_sasl_cram_md5);
	tcase_add_test(tc, test_sasl_cancel);
	tcase_add_test(tc, test_auth_list);
	tcase_add_test(tc, test_apop);
	tcase_add_test(tc, test_user_pass_failure_then_success);
	tcase_add_test(tc, test_rset_undoes_dele);
	tcase_add_test(tc, test_quit_error);
	tcase_add_test(tc, test_pipelining);
	tcase_add_test(tc, test_pipelining_wrong_state);
	tcase_add_test(tc, test_stls_tls);
	tcase_add_test(tc, test_stls_clear_text);
	tcase_add_test(tc, test_stls_refused);
	tcase_add_test(tc, test_anomalies);
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_long_message_line);
	tcase_add_test(tc, test_gap_in_body);
	tcase_add_test(tc, test_gap_swallows_end);
	tcase_add_test(tc, test_gap_ends_at_reply);
	tcase_add_test(tc, test_gap_outside_message);
	tcase_add_test(tc, test_gap_in_listing);
	tcase_add_test(tc, test_end_pending);
	tcase_add_test(tc, test_end_pending_sasl);
	tcase_add_test(tc, test_midstream);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pop3_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
