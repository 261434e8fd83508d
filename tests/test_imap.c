/* Tests for dissectors/imap.c, driven at the session level through
 * tests/harness.h as in test_pop3.c: a session is built by hand and fed
 * client/server chunks in wire order, whole, byte by byte and split at
 * every offset of every chunk, which must not change a single event.
 * This file keeps what is IMAP's own: how its events read (traffic text
 * with its backslashes kept, flags being \Seen and the like), the
 * tokenizer's tests and the dialogues. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dissectors/config.h"
#include "dissectors/imap.h"
#include "dissectors/session.h"
#include "harness.h"

/* ---- rendering ---- */

static void put_list(FILE *f, const char *name, const ms_str *v, size_t n)
{
	fprintf(f, " %s=[", name);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(' ', f);
		put_str_raw(f, v[i]);
	}
	fputc(']', f);
}

static void render_command(FILE *f, const ms_ev_command *c)
{
	fputs("command ", f);
	put_str_raw(f, c->tag);
	fputc(' ', f);
	put_str_raw(f, c->verb);
	if (!put_command_args(f, c, put_str_raw))
		return;
	fputs(" status=", f);
	put_str_raw(f, c->reply.status);
	if (c->reply.resp_code.len) {
		fputs(" code=", f);
		put_str_raw(f, c->reply.resp_code);
	}
	fprintf(f, " lines=%u", (unsigned)c->reply.line_count);
}

static void render_message(FILE *f, const ms_ev_message *m)
{
	fprintf(f, "message %s %s", m->via,
	        m->direction == MS_DIR_TO_SERVER ? "C" : "S");
	if (m->mailbox.p) {
		fputs(" box=", f);
		put_str_raw(f, m->mailbox);
	}
	if (m->uid)
		fprintf(f, " uid=%u", (unsigned)m->uid);
	if (m->seq)
		fprintf(f, " seq=%u", (unsigned)m->seq);
	if (m->has_section) {
		fputs(" section=\"", f);
		put_str_raw(f, m->section);
		fputc('"', f);
	}
	if (m->partial)
		fputs(" partial", f);
	if (m->flags)
		put_list(f, "flags", m->flags, m->flag_count);
	fprintf(f, " size=%llu sha256=%s complete=%d",
	        (unsigned long long)m->size, m->sha256, m->complete);
	if (m->missing_bytes)
		fprintf(f, " missing=%llu",
		        (unsigned long long)m->missing_bytes);
	if (m->headers && m->headers->subject.p) {
		fputs(" subject=", f);
		put_str_raw(f, m->headers->subject);
	}
}

static void render_mailbox(FILE *f, const ms_ev_mailbox *m)
{
	fputs("mailbox ", f);
	put_str_raw(f, m->mailbox);
	if (m->has_exists)
		fprintf(f, " exists=%u", (unsigned)m->exists);
	if (m->has_recent)
		fprintf(f, " recent=%u", (unsigned)m->recent);
	if (m->uidvalidity)
		fprintf(f, " uidvalidity=%u", (unsigned)m->uidvalidity);
	if (m->uidnext)
		fprintf(f, " uidnext=%u", (unsigned)m->uidnext);
	if (m->has_flags)
		put_list(f, "flags", m->flags, m->flag_count);
	if (m->has_read_only)
		fprintf(f, " ro=%d", m->read_only);
}

static void render_flags(FILE *f, const ms_ev_flags *e)
{
	fputs("flags ", f);
	put_str_raw(f, e->mailbox);
	fprintf(f, " seq=%u uid=%u", (unsigned)e->seq, (unsigned)e->uid);
	put_list(f, "flags", e->flags, e->flag_count);
	if (e->has_change) {
		put_list(f, "added", e->added, e->added_count);
		put_list(f, "removed", e->removed, e->removed_count);
	}
}

static void render(FILE *f, const ms_event *ev)
{
	switch (ev->type) {
	case MS_EV_GREETING:
		fputs("greeting ", f);
		put_str_raw(f, ev->u.greeting.reply.status);
		fputs(" text=", f);
		put_str_raw(f, ev->u.greeting.reply.text);
		break;
	case MS_EV_COMMAND:
		render_command(f, &ev->u.command);
		break;
	case MS_EV_MESSAGE:
		render_message(f, &ev->u.message);
		break;
	case MS_EV_MAILBOX:
		render_mailbox(f, &ev->u.mailbox);
		break;
	case MS_EV_FLAGS:
		render_flags(f, &ev->u.flags);
		break;
	case MS_EV_EXPUNGE:
		fputs("expunge ", f);
		put_str_raw(f, ev->u.expunge.mailbox);
		fprintf(f, " seq=%u uid=%u", (unsigned)ev->u.expunge.seq,
		        (unsigned)ev->u.expunge.uid);
		break;
	case MS_EV_ANOMALY:
		fprintf(f, "anomaly %s", ev->u.anomaly.code);
		break;
	case MS_EV_LINE: {
		const ms_ev_line *l = &ev->u.line;
		size_t n = l->redact_from < l->text.len ? l->redact_from
		                                        : l->text.len;
		fprintf(f, "line %c %s |",
		        l->dir == MS_DIR_TO_SERVER ? 'C' : 'S',
		        line_kind_name(l->kind));
		/* what a sink shows without --show-credentials */
		put_str_raw(f, (ms_str){l->text.p, n});
		if (n < l->text.len)
			fputs("***", f);
		break;
	}
	default:
		render_common(f, ev, put_str_raw);
		break;
	}
}

static void render_end(FILE *f, const ms_session *s,
                       const ms_ev_session_end *end)
{
	fprintf(f, "end state=%s reason=%s%s", end->state,
	        s->end_reason ? s->end_reason : "-", s->tls ? " tls" : "");
}

/* ---- driving a session ---- */

static ms_config *config(void)
{
	static ms_config cfg;

	ms_config_default(&cfg);
	return &cfg;
}

/* Runs the script whole, byte by byte and split at every offset of every
 * chunk; all must give the same events as want, which is freed. */
static void check_mode(const ms_config *cfg, const step *script, evlist *want,
                       bool midstream)
{
	const harness h = {.ops = &ms_imap_ops,
	                   .proto = MS_PROTO_IMAP,
	                   .cfg = cfg,
	                   .midstream = midstream,
	                   .render = render,
	                   .render_end = render_end};

	h_check(&h, script, want, NULL);
}

static void check(const step *script, evlist *want)
{
	check_mode(config(), script, want, false);
}

#define GREETING    "* OK IMAP4rev1 ready\r\n"
#define GREETING_EV "greeting OK text=IMAP4rev1 ready"
#define LOGIN_C     "a1 LOGIN bob pw\r\n"
#define LOGIN_S     "a1 OK done\r\n"
#define LOGIN_EV                                                               \
	"command a1 LOGIN args=bob pw redact=4 status=OK lines=1",             \
	        "auth LOGIN user=bob pass=pw success=1",                       \
	        "state NOT_AUTHENTICATED->AUTHENTICATED cause=LOGIN"
#define SELECT_C "a2 SELECT INBOX\r\n"
#define SELECT_S                                                               \
	"* 3 EXISTS\r\n* 1 RECENT\r\n* OK [UIDVALIDITY 77] ok\r\n"             \
	"* OK [UIDNEXT 9] next\r\n* FLAGS (\\Seen \\Deleted)\r\n"              \
	"a2 OK [READ-WRITE] done\r\n"
#define SELECT_EV                                                              \
	"command a2 SELECT args=INBOX status=OK code=READ-WRITE lines=6",      \
	        "mailbox INBOX exists=3 recent=1 uidvalidity=77 uidnext=9 "    \
	        "flags=[\\Seen \\Deleted] ro=0",                               \
	        "state AUTHENTICATED->SELECTED cause=SELECT"

#define MSG1                                                                   \
	"From: a@example.org\r\nSubject: hi\r\n\r\nHello {5}\r\n"              \
	"* 2 FETCH (BODY[] {3}\r\n"

/* ---- the tokenizer ---- */

START_TEST(test_tokenizer)
{
	static const char line[] =
	        "a1 FETCH 1:* (FLAGS BODY[HEADER.FIELDS (FROM TO)]<0> "
	        "\"q \\\"x\\\" \\\\y\" NIL (a (b c)) nil)";
	ms_imap_token t[32];
	char buf[64];
	size_t n = ms_imap_tokenize(line, sizeof(line) - 1, NULL, 0, t, 32);

	ck_assert_uint_eq(n, 17);
	ck_assert(ms_imap_is(&t[0], "a1"));
	ck_assert(ms_imap_is(&t[1], "fetch"));
	ck_assert(ms_imap_is(&t[2], "1:*"));
	ck_assert_int_eq(t[3].type, MS_IMAP_LIST_OPEN);
	ck_assert_int_eq(t[4].depth, 1);
	ck_assert(ms_imap_is(&t[5], "BODY[HEADER.FIELDS (FROM TO)]<0>"));
	ck_assert_int_eq(t[6].type, MS_IMAP_QUOTED);
	ck_assert_uint_eq(ms_imap_string(&t[6], buf, sizeof(buf)), 8);
	ck_assert(memcmp(buf, "q \"x\" \\y", 8) == 0);
	ck_assert_int_eq(t[7].type, MS_IMAP_NIL);
	ck_assert_int_eq(t[9].type, MS_IMAP_ATOM);
	ck_assert_int_eq(t[10].type, MS_IMAP_LIST_OPEN);
	ck_assert_int_eq(t[11].depth, 3);
	ck_assert_int_eq(t[13].type, MS_IMAP_LIST_CLOSE);
	ck_assert_int_eq(t[13].depth, 2);
	ck_assert_int_eq(t[15].type, MS_IMAP_NIL);
	ck_assert_int_eq(t[15].depth, 1);
	ck_assert_int_eq(t[16].type, MS_IMAP_LIST_CLOSE);
	ck_assert_int_eq(t[16].depth, 0);
	ck_assert_uint_eq(ms_imap_string(&t[7], buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(test_tokenizer_literals)
{
	/* "a LOGIN {3}" + "bob" + " ~{4}" + "x y)" + " (" */
	static const char line[] = "a LOGIN {3}bob ~{4}x y) (";
	ms_imap_lit lits[2] = {{8, 11, 3, 3, false}, {15, 19, 4, 4, false}};
	ms_imap_token t[8];
	ms_imap_marker m;
	size_t n = ms_imap_tokenize(line, sizeof(line) - 1, lits, 2, t, 8);

	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(t[2].type, MS_IMAP_LITERAL);
	ck_assert_uint_eq(t[2].len, 3);
	ck_assert(memcmp(t[2].p, "bob", 3) == 0);
	/* the literal's ')' and ' ' are bytes, not syntax */
	ck_assert_int_eq(t[3].type, MS_IMAP_LITERAL);
	ck_assert(memcmp(t[3].p, "x y)", 4) == 0);
	ck_assert_int_eq(t[4].type, MS_IMAP_LIST_OPEN);
	ck_assert_int_eq(ms_imap_marker_parse("a {12}", 6, &m), 1);
	ck_assert_uint_eq(m.size, 12);
	ck_assert_uint_eq(m.at, 2);
	ck_assert(!m.nonsync && !m.binary);
	ck_assert_int_eq(ms_imap_marker_parse("a {0+}", 6, &m), 1);
	ck_assert(m.nonsync);
	ck_assert_uint_eq(m.size, 0);
	ck_assert_int_eq(ms_imap_marker_parse("a ~{7}", 6, &m), 1);
	ck_assert(m.binary);
	ck_assert_uint_eq(m.at, 2);
	ck_assert_int_eq(ms_imap_marker_parse("a {}", 4, &m), 0);
	ck_assert_int_eq(ms_imap_marker_parse("a 12}", 5, &m), 0);
	ck_assert_int_eq(ms_imap_marker_parse("{99999999999999999999}", 22, &m),
	                 -1);
	ck_assert_int_eq(ms_imap_marker_parse("{18446744073709551615}", 22, &m),
	                 1);
}
END_TEST

/* ---- dialogues ---- */

START_TEST(test_login_quoted_logout)
{
	static const step script[] = {
	        S(GREETING),
	        C("a0 CAPABILITY\r\n"),
	        S("* CAPABILITY IMAP4rev1 LITERAL+\r\na0 OK done\r\n"),
	        C("a1 LOGIN \"b\\\"ob\" \"p\\\\w\"\r\n"),
	        S("a1 OK [CAPABILITY IMAP4rev1] done\r\n"),
	        C("a2 LOGOUT\r\n"),
	        S("* BYE bye\r\na2 OK done\r\n"),
	        END};
	static const char *const ev[] = {
	        GREETING_EV,
	        "command a0 CAPABILITY status=OK lines=2",
	        "command a1 LOGIN args=\"b\\\"ob\" \"p\\\\w\" redact=8 "
	        "status=OK code=CAPABILITY IMAP4rev1 lines=1",
	        "auth LOGIN user=b\"ob pass=p\\w success=1",
	        "state NOT_AUTHENTICATED->AUTHENTICATED cause=LOGIN",
	        "state AUTHENTICATED->LOGOUT cause=BYE",
	        "command a2 LOGOUT status=OK lines=2",
	        "end state=LOGOUT reason=quit",
	        NULL};
	evlist want = {0};

	expect_all(&want, ev);
	check(script, &want);
}
END_TEST

/* A synchronising literal waits for "+"; neither the literal password
 * nor a quoted one shows in a line or the arguments. */
START_TEST(test_login_literal_redacted)
{
	static const step script[] = {
	        S(GREETING),         C("a1 LOGIN {3}\r\n"),
	        S("+ go\r\n"),       C("bob {6}\r\n"),
	        S("+ go\r\n"),       C("secret\r\n"),
	        S("a1 NO bad\r\n"),  C("a2 LOGIN bob \"secret\"\r\n"),
	        S("a2 OK done\r\n"), END};
	static const char *const ev[] = {
	        "line S reply |* OK IMAP4rev1 ready",
	        GREETING_EV,
	        "line C command |a1 LOGIN {3}",
	        "line S reply |+ go",
	        "line C command | ***",
	        "line S reply |+ go",
	        "line C command |",
	        "line S reply |a1 NO bad",
	        "command a1 LOGIN args={3}bob {6}secret redact=7 status=NO "
	        "lines=1",
	        "auth LOGIN user=bob pass=secret success=0",
	        "line C command |a2 LOGIN bob ***",
	        "line S reply |a2 OK done",
	        "command a2 LOGIN args=bob \"secret\" redact=4 status=OK "
	        "lines=1",
	        "auth LOGIN user=bob pass=secret success=1",
	        "state NOT_AUTHENTICATED->AUTHENTICATED cause=LOGIN",
	        "end state=AUTHENTICATED reason=-",
	        NULL};
	ms_config cfg;
	evlist want = {0};

	ms_config_default(&cfg);
	cfg.emit_lines = true;
	expect_all(&want, ev);
	check_mode(&cfg, script, &want, false);
}
END_TEST

START_TEST(test_tags_out_of_order)
{
	static const step script[] = {
	        S(GREETING),
	        C(LOGIN_C),
	        S(LOGIN_S),
	        C("b1 NOOP\r\nb2 LIST \"\" *\r\nb3 STATUS INBOX (MESSAGES "
	          "UIDNEXT)\r\n"),
	        S("* STATUS INBOX (MESSAGES 4 UIDNEXT 12)\r\nb3 OK s\r\n"
	          "* LIST () \"/\" INBOX\r\nb2 OK l\r\nb1 OK n\r\n"
	          "zz OK what\r\n"),
	        END};
	static const char *const ev[] = {
	        GREETING_EV,
	        LOGIN_EV,
	        "mailbox INBOX exists=4 uidnext=12",
	        "command b3 STATUS args=INBOX (MESSAGES UIDNEXT) pipelined "
	        "status=OK lines=1",
	        "command b2 LIST args=\"\" * pipelined status=OK lines=1",
	        "command b1 NOOP status=OK lines=3",
	        "anomaly reply_without_command",
	        "end state=AUTHENTICATED reason=-",
	        NULL};
	evlist want = {0};

	expect_all(&want, ev);
	check(script, &want);
}
END_TEST

START_TEST(test_states)
{
	static const step script[] = {
	        S("* PREAUTH welcome\r\n"),
	        C("c1 SELECT nope\r\n"),
	        S("c1 NO no such mailbox\r\n"),
	        C(SELECT_C),
	        S(SELECT_S),
	        C("c2 SELECT nope\r\n"),
	        S("c2 NO no such mailbox\r\n"),
	        C("c3 EXAMINE INBOX\r\n"),
	        S("* 2 EXISTS\r\nc3 OK [READ-ONLY] done\r\n"),
	        C("c4 CLOSE\r\n"),
	        S("c4 OK closed\r\n"),
	        C("c5 SELECT INBOX\r\n"),
	        S("c5 OK done\r\n"),
	        C("c6 UNSELECT\r\n"),
	        S("c6 OK done\r\n"),
	        C("c7 FETCH 1 FLAGS\r\n"),
	        S("c7 BAD no mailbox\r\n* BYE shutting down\r\n"),
	        END};
	static const char *const ev[] = {
	        "greeting PREAUTH text=welcome",
	        "state NOT_AUTHENTICATED->AUTHENTICATED cause=greeting",
	        "command c1 SELECT args=nope status=NO lines=1",
	        SELECT_EV,
	        "command c2 SELECT args=nope status=NO lines=1",
	        "state SELECTED->AUTHENTICATED cause=SELECT",
	        "command c3 EXAMINE args=INBOX status=OK code=READ-ONLY "
	        "lines=2",
	        "mailbox INBOX exists=2 ro=1",
	        "state AUTHENTICATED->SELECTED cause=EXAMINE",
	        "command c4 CLOSE status=OK lines=1",
	        "state SELECTED->AUTHENTICATED cause=CLOSE",
	        "command c5 SELECT args=INBOX status=OK lines=1",
	        "mailbox INBOX ro=0",
	        "state AUTHENTICATED->SELECTED cause=SELECT",
	        "command c6 UNSELECT status=OK lines=1",
	        "state SELECTED->AUTHENTICATED cause=UNSELECT",
	        "anomaly command_in_wrong_state",
	        "command c7 FETCH args=1 FLAGS status=BAD lines=1",
	        "state AUTHENTICATED->LOGOUT cause=BYE",
	        "end state=LOGOUT reason=quit",
	        NULL};
	evlist want = {0};

	expect_all(&want, ev);
	check(script, &want);
}
END_TEST

/* UID FETCH of whole messages: the UID before or after the body; the
 * literal holds a "{5}" and a FETCH-like line, never scanned. */
START_TEST(test_fetch_body)
{
	static const char body[] = MSG1;
	static const step script[] = {
	        S(GREETING),
	        C(LOGIN_C),
	        S(LOGIN_S),
	        C(SELECT_C),
	        S(SELECT_S),
	        C("a3 UID FETCH 5:6 (BODY.PEEK[] FLAGS)\r\n"),
	        S("* 1 FETCH (UID 5 BODY[] {"
	          "70"
	          "}\r\n" MSG1 " FLAGS (\\Seen))\r\n"
	          "* 2 FETCH (RFC822 {"
	          "70"
	          "}\r\n" MSG1 " UID 6)\r\n"
	          "a3 OK done\r\n"),
	        END};
	char sha[65];
	evlist want = {0};

	ck_assert_uint_eq(sizeof(body) - 1, 70);
	sha256_hex(body, sizeof(body) - 1, sha);
	expect_all(&want, (const char *const[]){GREETING_EV, LOGIN_EV,
	                                        SELECT_EV, NULL});
	expect(&want,
	       "message FETCH S box=INBOX uid=5 seq=1 section=\"\" size=70 "
	       "sha256=%s complete=1 subject=hi",
	       sha);
	expect(&want, "flags INBOX seq=1 uid=5 flags=[\\Seen]");
	expect(&want,
	       "message FETCH S box=INBOX uid=6 seq=2 section=\"\" size=70 "
	       "sha256=%s complete=1 subject=hi",
	       sha);
	expect(&want, "command a3 UID FETCH args=5:6 (BODY.PEEK[] FLAGS) "
	              "status=OK lines=3");
	expect(&want, "end state=SELECTED reason=-");
	check(script, &want);
}
END_TEST

START_TEST(test_fetch_partial)
{
	static const step script[] = {
	        S(GREETING),
	        C(LOGIN_C),
	        S(LOGIN_S),
	        C(SELECT_C),
	        S(SELECT_S),
	        C("a3 FETCH 1 (BODY[]<0.4> BODY[HEADER] RFC822.HEADER "
	          "BINARY[1] ENVELOPE)\r\n"),
	        S("* 1 FETCH (BODY[]<0> {4}\r\nFrom BODY[HEADER] {2}\r\n\r\n"
	          " RFC822.HEADER {0}\r\n BINARY[1] ~{3}\r\n\x00\x01\x02"
	          " ENVELOPE (NIL {2}\r\n() NIL))\r\n"
	          "a3 OK done\r\n"),
	        END};
	char sha[4][65];
	evlist want = {0};

	sha256_hex("From", 4, sha[0]);
	sha256_hex("\r\n", 2, sha[1]);
	sha256_hex("", 0, sha[2]);
	sha256_hex("\x00\x01\x02", 3, sha[3]);
	expect_all(&want, (const char *const[]){GREETING_EV, LOGIN_EV,
	                                        SELECT_EV, NULL});
	expect(&want,
	       "message FETCH S box=INBOX seq=1 section=\"\" partial size=4 "
	       "sha256=%s complete=1",
	       sha[0]);
	expect(&want,
	       "message FETCH S box=INBOX seq=1 section=\"HEADER\" partial "
	       "size=2 sha256=%s complete=1",
	       sha[1]);
	expect(&want,
	       "message FETCH S box=INBOX seq=1 section=\"HEADER\" partial "
	       "size=0 sha256=%s complete=1",
	       sha[2]);
	expect(&want,
	       "message FETCH S box=INBOX seq=1 section=\"1\" partial size=3 "
	       "sha256=%s complete=1",
	       sha[3]);
	expect(&want, "command a3 FETCH args=1 (BODY[]<0.4> BODY[HEADER] "
	              "RFC822.HEADER BINARY[1] ENVELOPE) status=OK lines=2");
	expect(&want, "end state=SELECTED reason=-");
	check(script, &want);
}
END_TEST

/* APPEND: "{n}" waits for "+", "{n+}" does not (RFC 7888); MULTIAPPEND
 * (RFC 3502) sends a second message on the same line. The first goes out
 * when the second starts, before the APPENDUID that names it; the second
 * waits for it and takes the second UID of the set. */
START_TEST(test_append)
{
	static const step script[] = {
	        S(GREETING),
	        C(LOGIN_C),
	        S(LOGIN_S),
	        C("a3 APPEND Sent (\\Seen) {11}\r\n"),
	        S("+ Ready\r\n"),
	        C("Subject: x\n (\\Draft $Work) {3+}\r\nabc\r\n"),
	        S("a3 OK [APPENDUID 38505 3955:3956] done\r\n"),
	        C("a4 APPEND \"My Box\" {2+}\r\nhi\r\n"),
	        S("a4 NO [TRYCREATE] no such mailbox\r\n"),
	        END};
	char sha[3][65];
	evlist want = {0};

	sha256_hex("Subject: x\n", 11, sha[0]);
	sha256_hex("abc", 3, sha[1]);
	sha256_hex("hi", 2, sha[2]);
	expect_all(&want, (const char *const[]){GREETING_EV, LOGIN_EV, NULL});
	expect(&want,
	       "message APPEND C box=Sent flags=[\\Seen] size=11 sha256=%s "
	       "complete=1 subject=x",
	       sha[0]);
	expect(&want,
	       "message APPEND C box=Sent uid=3956 flags=[\\Draft $Work] "
	       "size=3 sha256=%s complete=1",
	       sha[1]);
	expect(&want, "command a3 APPEND args=Sent (\\Seen) {11} (\\Draft "
	              "$Work) {3+} status=OK code=APPENDUID 38505 3955:3956 "
	              "lines=1");
	expect(&want, "message APPEND C box=My Box size=2 sha256=%s complete=1",
	       sha[2]);
	expect(&want, "command a4 APPEND args=\"My Box\" {2+} status=NO "
	              "code=TRYCREATE lines=1");
	expect(&want, "end state=AUTHENTICATED reason=-");
	check(script, &want);
}
END_TEST

/* UIDPLUS (RFC 4315 §3): the tagged OK's APPENDUID gives the message
 * its UID. It waits for its own command's reply, through another's
 * (RFC 3501 §2.2.1: any order) and untagged data naming other UIDs. */
START_TEST(test_append_uid)
{
	static const step script[] = {
	        S(GREETING),
	        C(LOGIN_C),
	        S(LOGIN_S),
	        C("a3 APPEND INBOX (\\Seen) \"15-Jan-2025 10:00:00 +0000\" "
	          "{11}\r\n"),
	        S("+ OK\r\n"),
	        C("Subject: x\n\r\na4 NOOP\r\n"),
	        S("* 1 FETCH (UID 99 FLAGS (\\Seen))\r\na4 OK done\r\n"),
	        S("a3 OK [APPENDUID 1735689700 136] Append completed.\r\n"),
	        END};
	char sha[65];
	evlist want = {0};

	sha256_hex("Subject: x\n", 11, sha);
	expect_all(&want, (const char *const[]){GREETING_EV, LOGIN_EV, NULL});
	expect(&want, "flags  seq=1 uid=99 flags=[\\Seen]");
	expect(&want, "command a4 NOOP pipelined status=OK lines=1");
	expect(&want,
	       "message APPEND C box=INBOX uid=136 flags=[\\Seen] size=11 "
	       "sha256=%s complete=1 subject=x",
	       sha);
	expect(&want, "command a3 APPEND args=INBOX (\\Seen) \"15-Jan-2025 "
	              "10:00:00 +0000\" {11} status=OK code=APPENDUID "
	              "1735689700 136 lines=2");
	expect(&want, "end state=AUTHENTICATED reason=-");
	check(script, &want);
}
END_TEST

/* MULTIAPPEND (RFC 3502) with UIDPLUS: one UID per message, in order.
 * The stage is shared, so only the last message can wait for the
 * reply; it takes its own place in the set, and none when the set has
 * another size than the command's messages. */
START_TEST(test_multiappend_uid)
{
	static const step script[] = {
	        S(GREETING),
	        C(LOGIN_C),
	        S(LOGIN_S),
	        C("a3 APPEND Work (\\Seen) {11+}\r\nSubject: x\n "
	          "{3+}\r\nabc\r\n"),
	        S("a3 OK [APPENDUID 1735689700 136:137] done\r\n"),
	        C("a4 APPEND Work {1+}\r\nx {1+}\r\ny\r\n"),
	        S("a4 OK [APPENDUID 1735689700 140,139] done\r\n"),
	        C("a5 APPEND Work {1+}\r\nx {1+}\r\ny\r\n"),
	        S("a5 OK [APPENDUID 1735689700 141] done\r\n"),
	        END};
	char sha[4][65];
	evlist want = {0};

	sha256_hex("Subject: x\n", 11, sha[0]);
	sha256_hex("abc", 3, sha[1]);
	sha256_hex("x", 1, sha[2]);
	sha256_hex("y", 1, sha[3]);
	expect_all(&want, (const char *const[]){GREETING_EV, LOGIN_EV, NULL});
	expect(&want,
	       "message APPEND C box=Work flags=[\\Seen] size=11 sha256=%s "
	       "complete=1 subject=x",
	       sha[0]);
	expect(&want,
	       "message APPEND C box=Work uid=137 size=3 sha256=%s complete=1",
	       sha[1]);
	expect(&want, "command a3 APPEND args=Work (\\Seen) {11+} {3+} "
	              "status=OK code=APPENDUID 1735689700 136:137 lines=1");
	expect(&want, "message APPEND C box=Work size=1 sha256=%s complete=1",
	       sha[2]);
	expect(&want,
	       "message APPEND C box=Work uid=139 size=1 sha256=%s complete=1",
	       sha[3]);
	expect(&want, "command a4 APPEND args=Work {1+} {1+} status=OK "
	              "code=APPENDUID 1735689700 140,139 lines=1");
	expect(&want, "message APPEND C box=Work size=1 sha256=%s complete=1",
	       sha[2]);
	expect(&want, "message APPEND C box=Work size=1 sha256=%s complete=1",
	       sha[3]);
	expect(&want, "command a5 APPEND args=Work {1+} {1+} status=OK "
	              "code=APPENDUID 1735689700 141 lines=1");
	expect(&want, "end state=AUTHENTICATED reason=-");
	check(script, &want);
}
END_TEST

/* A NO or BAD stores nothing (RFC 3501 §6.3.11): no UID, even from a
 * code that looks like one. */
START_TEST(test_append_refused)
{
	static const step script[] = {
	        S(GREETING),
	        C(LOGIN_C),
	        S(LOGIN_S),
	        C("a3 APPEND Sent {2+}\r\nhi\r\n"),
	        S("a3 NO [OVERQUOTA] Quota exceeded\r\n"),
	        C("a4 APPEND Sent {2+}\r\nhi\r\n"),
	        S("a4 BAD [APPENDUID 1735689700 136] no\r\n"),
	        END};
	char sha[65];
	evlist want = {0};

	sha256_hex("hi", 2, sha);
	expect_all(&want, (const char *const[]){GREETING_EV, LOGIN_EV, NULL});
	expect(&want, "message APPEND C box=Sent size=2 sha256=%s complete=1",
	       sha);
	expect(&want, "command a3 APPEND args=Sent {2+} status=NO "
	              "code=OVERQUOTA lines=1");
	expect(&want, "message APPEND C box=Sent size=2 sha256=%s complete=1",
	       sha);
	expect(&want, "command a4 APPEND args=Sent {2+} status=BAD "
	              "code=APPENDUID 1735689700 136 lines=1");
	expect(&want, "end state=AUTHENTICATED reason=-");
	check(script, &want);
}
END_TEST

/* No reply comes: the session's end sends the message out without a
 * UID, before its command ends unanswered. */
START_TEST(test_append_end_before_reply)
{
	static const step script[] = {S(GREETING), C(LOGIN_C), S(LOGIN_S),
	                              C("a3 APPEND Sent {2+}\r\nhi\r\n"), END};
	char sha[65];
	evlist want = {0};

	sha256_hex("hi", 2, sha);
	expect_all(&want, (const char *const[]){GREETING_EV, LOGIN_EV, NULL});
	expect(&want, "message APPEND C box=Sent size=2 sha256=%s complete=1",
	       sha);
	expect(&want, "command a3 APPEND args=Sent {2+} unanswered");
	expect(&want, "end state=AUTHENTICATED reason=-");
	check(script, &want);
}
END_TEST

/* The reply may be in bytes the capture lost: the message goes out at
 * the server's gap, and does not wait for a reply that may never come;
 * the command still takes the reply read after the gap (once the line
 * the gap cut has ended). */
START_TEST(test_append_gap_before_reply)
{
	static const step script[] = {
	        S(GREETING),
	        C(LOGIN_C),
	        S(LOGIN_S),
	        C("a3 APPEND Sent {2+}\r\nhi\r\n"),
	        GS(40),
	        S("lost\r\na3 OK [APPENDUID 1735689700 136] done\r\n"),
	        END};
	char sha[65];
	evlist want = {0};

	sha256_hex("hi", 2, sha);
	expect_all(&want, (const char *const[]){GREETING_EV, LOGIN_EV, NULL});
	expect(&want, "message APPEND C box=Sent size=2 sha256=%s complete=1",
	       sha);
	expect(&want, "command a3 APPEND args=Sent {2+} status=OK "
	              "code=APPENDUID 1735689700 136 lines=1");
	expect(&want, "end state=AUTHENTICATED reason=-");
	check(script, &want);
}
END_TEST

/* A "{n}" refused before "+" (RFC 3501 §7.5): no literal follows. */
START_TEST(test_literal_refused)
{
	static const step script[] = {S(GREETING),
	                              C(LOGIN_C),
	                              S(LOGIN_S),
	                              C("a3 APPEND Sent {99999}\r\n"),
	                              S("a3 NO too big\r\n"),
	                              C("a4 NOOP\r\n"),
	                              S("a4 OK done\r\n"),
	                              END};
	static const char *const ev[] = {
	        GREETING_EV,
	        LOGIN_EV,
	        "command a3 APPEND args=Sent status=NO lines=1",
	        "command a4 NOOP status=OK lines=1",
	        "end state=AUTHENTICATED reason=-",
	        NULL};
	evlist want = {0};

	expect_all(&want, ev);
	check(script, &want);
}
END_TEST

START_TEST(test_idle)
{
	static const step script[] = {S(GREETING),
	                              C(LOGIN_C),
	                              S(LOGIN_S),
	                              C(SELECT_C),
	                              S(SELECT_S),
	                              C("a3 IDLE\r\n"),
	                              S("+ idling\r\n* 4 EXISTS\r\n"),
	                              C("DONE\r\n"),
	                              S("a3 OK IDLE terminated\r\n"),
	                              C("a4 NOOP\r\n"),
	                              S("a4 OK done\r\n"),
	                              END};
	static const char *const ev[] = {GREETING_EV,
	                                 LOGIN_EV,
	                                 SELECT_EV,
	                                 "command a3 IDLE status=OK lines=3",
	                                 "command a4 NOOP status=OK lines=1",
	                                 "end state=SELECTED reason=-",
	                                 NULL};
	evlist want = {0};

	expect_all(&want, ev);
	check(script, &want);
}
END_TEST

START_TEST(test_flags_and_expunge)
{
	static const step script[] = {
	        S(GREETING),
	        C(LOGIN_C),
	        S(LOGIN_S),
	        C(SELECT_C),
	        S(SELECT_S),
	        C("a3 FETCH 1:3 (UID FLAGS)\r\n"),
	        S("* 1 FETCH (UID 10 FLAGS ())\r\n* 2 FETCH (UID 11 FLAGS "
	          "(\\Seen))\r\n* 3 FETCH (FLAGS (\\Seen) UID 12)\r\n"
	          "a3 OK done\r\n"),
	        C("a4 STORE 2 +FLAGS (\\Deleted)\r\n"),
	        S("* 2 FETCH (FLAGS (\\Seen \\Deleted))\r\na4 OK done\r\n"),
	        C("a5 UID STORE 12 -FLAGS.SILENT (\\Seen)\r\n"),
	        S("a5 OK done\r\n"),
	        C("a6 EXPUNGE\r\n"),
	        S("* 2 EXPUNGE\r\n* 2 EXPUNGE\r\na6 OK done\r\n"),
	        C("a7 UID FETCH 12 FLAGS\r\n"),
	        S("* 1 FETCH (UID 10 FLAGS (\\Flagged))\r\na7 OK done\r\n"
	          "* VANISHED 10\r\n"),
	        END};
	static const char *const ev[] = {
	        GREETING_EV,
	        LOGIN_EV,
	        SELECT_EV,
	        "flags INBOX seq=1 uid=10 flags=[]",
	        "flags INBOX seq=2 uid=11 flags=[\\Seen]",
	        "flags INBOX seq=3 uid=12 flags=[\\Seen]",
	        "command a3 FETCH args=1:3 (UID FLAGS) status=OK lines=4",
	        "flags INBOX seq=2 uid=11 flags=[\\Seen \\Deleted] "
	        "added=[\\Deleted] removed=[]",
	        "command a4 STORE args=2 +FLAGS (\\Deleted) status=OK lines=2",
	        "command a5 UID STORE args=12 -FLAGS.SILENT (\\Seen) status=OK "
	        "lines=1",
	        "flags INBOX seq=3 uid=12 flags=[] added=[] removed=[\\Seen]",
	        "expunge INBOX seq=2 uid=11",
	        "expunge INBOX seq=2 uid=12",
	        "command a6 EXPUNGE status=OK lines=3",
	        "flags INBOX seq=1 uid=10 flags=[\\Flagged] added=[\\Flagged] "
	        "removed=[]",
	        "command a7 UID FETCH args=12 FLAGS status=OK lines=2",
	        "expunge INBOX seq=1 uid=10",
	        "end state=SELECTED reason=-",
	        NULL};
	evlist want = {0};

	expect_all(&want, ev);
	check(script, &want);
}
END_TEST

/* AUTHENTICATE PLAIN with SASL-IR (RFC 4959) and with a continuation. */
START_TEST(test_authenticate)
{
	/* "\0bob\0pw" and "\0alice\0pw2" */
	static const step script[] = {
	        S(GREETING),
	        C("a1 AUTHENTICATE PLAIN AGJvYgBwdw==\r\n"),
	        S("a1 NO [AUTHENTICATIONFAILED] no\r\n"),
	        C("a2 AUTHENTICATE PLAIN\r\n"),
	        S("+ \r\n"),
	        C("AGFsaWNlAHB3Mg==\r\n"),
	        S("a2 OK done\r\n"),
	        END};
	static const char *const ev[] = {
	        GREETING_EV,
	        "command a1 AUTHENTICATE args=PLAIN AGJvYgBwdw== redact=6 "
	        "status=NO code=AUTHENTICATIONFAILED lines=1",
	        "auth PLAIN user=bob pass=pw success=0",
	        "command a2 AUTHENTICATE args=PLAIN status=OK lines=2",
	        "auth PLAIN user=alice pass=pw2 success=1",
	        "state NOT_AUTHENTICATED->AUTHENTICATED cause=AUTHENTICATE",
	        "end state=AUTHENTICATED reason=-",
	        NULL};
	evlist want = {0};

	expect_all(&want, ev);
	check(script, &want);
}
END_TEST

START_TEST(test_starttls)
{
	static const step script[] = {S(GREETING),
	                              C("a1 STARTTLS\r\n"),
	                              S("a1 OK begin TLS\r\n"),
	                              C("\x16\x03\x01\x00\x05hello"),
	                              S("\x16\x03\x03\x00\x02hi"),
	                              END};
	static const char *const ev[] = {
	        GREETING_EV, "command a1 STARTTLS status=OK lines=1",
	        "tls STARTTLS", "end state=NOT_AUTHENTICATED reason=- tls",
	        NULL};
	evlist want = {0};

	expect_all(&want, ev);
	check(script, &want);
}
END_TEST

/* Raw deflate (RFC 4978) of s, flushed at the end as an IMAP peer does
 * after each command or response. */
static size_t deflate_into(z_stream *z, const char *s, uint8_t *out, size_t cap)
{
	z->next_in = (Bytef *)(uintptr_t)s;
	z->avail_in = (uInt)strlen(s);
	z->next_out = out;
	z->avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(z, Z_SYNC_FLUSH), Z_OK);
	return cap - z->avail_out;
}

START_TEST(test_compress)
{
	static uint8_t c1[256], s1[512], s0[512];
	z_stream zc, zs;
	size_t n0, n1, n2;
	step script[10];
	char sha[65];
	evlist want = {0};

	memset(&zc, 0, sizeof(zc));
	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(
	        deflateInit2(&zc, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY),
	        Z_OK);
	ck_assert_int_eq(
	        deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY),
	        Z_OK);
	n1 = deflate_into(&zc, "a3 FETCH 1 BODY[]\r\n", c1, sizeof(c1));
	/* the OK and the first compressed bytes in one segment */
	memcpy(s0, "a2 OK DEFLATE active\r\n", 22);
	n0 = 22 + deflate_into(&zs, "* 2 EXISTS\r\n", s0 + 22, sizeof(s0) - 22);
	n2 = deflate_into(&zs,
	                  "* 1 FETCH (BODY[] {4}\r\nabcd)\r\na3 OK done\r\n",
	                  s1, sizeof(s1));
	deflateEnd(&zc);
	deflateEnd(&zs);
	script[0] = (step)S(GREETING);
	script[1] = (step)C(LOGIN_C);
	script[2] = (step)S(LOGIN_S);
	script[3] = (step)C(SELECT_C);
	script[4] = (step)S(SELECT_S);
	script[5] = (step)C("a2 COMPRESS DEFLATE\r\n");
	script[6] = (step){'S', (const char *)s0, n0};
	script[7] = (step){'C', (const char *)c1, n1};
	script[8] = (step){'S', (const char *)s1, n2};
	script[9] = (step)END;
	sha256_hex("abcd", 4, sha);
	expect_all(&want, (const char *const[]){GREETING_EV, LOGIN_EV,
	                                        SELECT_EV, NULL});
	expect(&want, "command a2 COMPRESS args=DEFLATE status=OK lines=1");
	expect(&want,
	       "message FETCH S box=INBOX seq=1 section=\"\" size=4 "
	       "sha256=%s complete=1",
	       sha);
	expect(&want, "command a3 FETCH args=1 BODY[] status=OK lines=2");
	expect(&want, "end state=SELECTED reason=-");
	check(script, &want);
}
END_TEST

START_TEST(test_compress_garbage)
{
	static const step script[] = {S(GREETING),
	                              C(LOGIN_C),
	                              S(LOGIN_S),
	                              C("a2 COMPRESS DEFLATE\r\n"),
	                              S("a2 OK DEFLATE active\r\n"),
	                              C("\xff\xff\xff\xff not deflate"),
	                              S("\xff\xff\xff"),
	                              END};
	static const char *const ev[] = {
	        GREETING_EV,
	        LOGIN_EV,
	        "command a2 COMPRESS args=DEFLATE status=OK lines=1",
	        "anomaly inflate_error",
	        "anomaly inflate_error",
	        "end state=AUTHENTICATED reason=-",
	        NULL};
	evlist want = {0};

	expect_all(&want, ev);
	check(script, &want);
}
END_TEST

/* Lost bytes inside a literal: the count still frames it. */
START_TEST(test_gap_in_literal)
{
	static const step script[] = {S(GREETING),
	                              C(LOGIN_C),
	                              S(LOGIN_S),
	                              C(SELECT_C),
	                              S(SELECT_S),
	                              C("a3 FETCH 1 BODY[]\r\n"),
	                              S("* 1 FETCH (BODY[] {20}\r\nabcde"),
	                              GS(10),
	                              S("vwxyz UID 4)\r\na3 OK done\r\n"),
	                              END};
	char sha[65];
	evlist want = {0};

	sha256_hex("abcdevwxyz", 10, sha);
	expect_all(&want, (const char *const[]){GREETING_EV, LOGIN_EV,
	                                        SELECT_EV, NULL});
	expect(&want,
	       "message FETCH S box=INBOX uid=4 seq=1 section=\"\" size=10 "
	       "sha256=%s complete=0 missing=10",
	       sha);
	expect(&want, "command a3 FETCH args=1 BODY[] status=OK lines=2");
	expect(&want, "end state=SELECTED reason=-");
	check(script, &want);
}
END_TEST

/* Lost bytes outside a literal: parsing resumes at a line that reads as
 * a response; a command whose reply may have been lost stays open. */
START_TEST(test_gap_outside_literal)
{
	static const step script[] = {S(GREETING),
	                              C(LOGIN_C),
	                              S(LOGIN_S),
	                              C("a2 LIST \"\" *\r\na3 NOOP\r\n"),
	                              S("* LIST () \"/\" INB"),
	                              GS(40),
	                              S("junk)\r\nmore {5}\r\na3 OK done\r\n"),
	                              END};
	static const char *const ev[] = {
	        GREETING_EV,
	        LOGIN_EV,
	        "command a3 NOOP pipelined status=OK lines=1",
	        "command a2 LIST args=\"\" * unanswered",
	        "end state=AUTHENTICATED reason=-",
	        NULL};
	evlist want = {0};

	expect_all(&want, ev);
	check(script, &want);
}
END_TEST

START_TEST(test_literal_too_large)
{
	static const step script[] = {
	        S(GREETING),
	        C(LOGIN_C),
	        S(LOGIN_S),
	        C("a2 APPEND x {20}\r\n0123456789abcdefghij\r\n"),
	        S("a2 OK done\r\n"),
	        END};
	static const char *const ev[] = {
	        GREETING_EV,
	        LOGIN_EV,
	        "anomaly literal_too_large",
	        "command a2 APPEND args=x {20} status=OK lines=1",
	        "end state=AUTHENTICATED reason=-",
	        NULL};
	ms_config cfg;
	evlist want = {0};

	ms_config_default(&cfg);
	cfg.max_literal = 10;
	expect_all(&want, ev);
	check_mode(&cfg, script, &want, false);
}
END_TEST

/* In mid-stream the first bytes may be inside a literal: lines count
 * from one that reads as a response. */
START_TEST(test_midstream)
{
	static const step script[] = {
	        S("ody text)\r\n* 5 FETCH (UID 9 BODY[] {2}\r\nhi)\r\n"
	          "z9 OK done\r\n"),
	        C("a1 NOOP\r\n"), S("a1 OK done\r\n"), END};
	char sha[65];
	evlist want = {0};

	sha256_hex("hi", 2, sha);
	expect(&want,
	       "message FETCH S uid=9 seq=5 section=\"\" size=2 sha256=%s "
	       "complete=1",
	       sha);
	expect(&want, "command a1 NOOP status=OK lines=1");
	expect(&want, "end state=UNKNOWN reason=-");
	check_mode(config(), script, &want, true);
}
END_TEST

START_TEST(test_end_in_literal)
{
	static const step script[] = {S(GREETING), C(LOGIN_C), S(LOGIN_S),
	                              C("a2 APPEND x {10}\r\n01234"), END};
	char sha[65];
	evlist want = {0};

	sha256_hex("01234", 5, sha);
	expect_all(&want, (const char *const[]){GREETING_EV, LOGIN_EV, NULL});
	expect(&want,
	       "message APPEND C box=x size=5 sha256=%s complete=0 missing=5",
	       sha);
	expect(&want, "end state=AUTHENTICATED reason=-");
	check(script, &want);
}
END_TEST

static Suite *imap_suite(void)
{
	Suite *s = suite_create("imap");
	TCase *tc = tcase_create("dialogues");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_tokenizer);
	tcase_add_test(tc, test_tokenizer_literals);
	tcase_add_test(tc, test_login_quoted_logout);
	tcase_add_test(tc, test_login_literal_redacted);
	tcase_add_test(tc, test_tags_out_of_order);
	tcase_add_test(tc, test_states);
	tcase_add_test(tc, test_fetch_body);
	tcase_add_test(tc, test_fetch_partial);
	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_append_uid);
	tcase_add_test(tc, test_multiappend_uid);
	tcase_add_test(tc, test_append_refused);
	tcase_add_test(tc, test_append_end_before_reply);
	tcase_add_test(tc, test_append_gap_before_reply);
	tcase_add_test(tc, test_literal_refused);
	tcase_add_test(tc, test_idle);
	tcase_add_test(tc, test_flags_and_expunge);
	tcase_add_test(tc, test_authenticate);
	tcase_add_test(tc, test_starttls);
	tcase_add_test(tc, test_compress);
	tcase_add_test(tc, test_compress_garbage);
	tcase_add_test(tc, test_gap_in_literal);
	tcase_add_test(tc, test_gap_outside_literal);
	tcase_add_test(tc, test_literal_too_large);
	tcase_add_test(tc, test_midstream);
	tcase_add_test(tc, test_end_in_literal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(imap_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
