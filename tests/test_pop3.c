/* Tests for dissectors/pop3.c, driven at the session level: a session is
 * built by hand and fed client/server chunks in wire order, as the
 * analyzer would after reassembly. Every event is rendered to a compact
 * canonical line at callback time (event memory lives only that long),
 * so a test compares lists of strings; and every dialogue is also fed one
 * byte at a time and split at every offset of every chunk, which must not
 * change a single event. */
#include <check.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/config.h"
#include "dissectors/session.h"

/* ---- event lists ---- */

typedef struct evlist {
	char **v;
	size_t n, cap;
} evlist;

static void push(evlist *l, char *s)
{
	ck_assert_ptr_nonnull(s);
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		ck_assert_ptr_nonnull(l->v);
	}
	l->v[l->n++] = s;
}

static void evlist_free(evlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void vexpect(evlist *l, const char *fmt, va_list ap)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	ck_assert_ptr_nonnull(f);
	vfprintf(f, fmt, ap);
	fclose(f);
	push(l, s);
}

static void expect(evlist *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void expect(evlist *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vexpect(l, fmt, ap);
	va_end(ap);
}

/* Traffic text, with anything unprintable as \xNN. */
static void put_str(FILE *f, ms_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c < 0x20 || c >= 0x7f || c == '\\')
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static const char *const kind_names[] = {"command", "reply", "sasl",
                                         "message", "message_end"};

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
		if (c->args.len) {
			fputs(" args=", f);
			put_str(f, c->args);
		}
		if (c->redact_from != MS_NO_REDACT)
			fprintf(f, " redact=%zu", c->redact_from);
		if (c->pipelined)
			fputs(" pipelined", f);
		if (c->unanswered) {
			fputs(" unanswered", f);
			break;
		}
		fputs(" status=", f);
		put_str(f, c->reply.status);
		if (c->reply.resp_code.len) {
			fputs(" code=", f);
			put_str(f, c->reply.resp_code);
		}
		fprintf(f, " lines=%u bytes=%llu", (unsigned)c->reply.line_count,
		        (unsigned long long)c->reply.bytes);
		break;
	}
	case MS_EV_STATE:
		fprintf(f, "state %s->%s cause=", ev->u.state.from,
		        ev->u.state.to);
		put_str(f, ev->u.state.cause);
		break;
	case MS_EV_AUTH:
		fprintf(f, "auth %s user=", ev->u.auth.mechanism);
		put_str(f, ev->u.auth.user);
		fputs(" pass=", f);
		put_str(f, ev->u.auth.password);
		fprintf(f, " success=%d", ev->u.auth.success);
		break;
	case MS_EV_TLS:
		fprintf(f, "tls %s", ev->u.tls.trigger);
		break;
	case MS_EV_MESSAGE: {
		const ms_ev_message *m = &ev->u.message;
		fprintf(f, "message %s number=%u size=%llu sha256=%s complete=%d",
		        m->via, (unsigned)m->number, (unsigned long long)m->size,
		        m->sha256, m->complete);
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
	case MS_EV_LINE: {
		const ms_ev_line *l = &ev->u.line;
		fprintf(f, "line %c %s", l->dir == MS_DIR_TO_SERVER ? 'C' : 'S',
		        kind_names[l->kind]);
		if (l->redact_from != MS_NO_REDACT)
			fprintf(f, " redact=%zu", l->redact_from);
		if (l->bare_lf)
			fputs(" bare", f);
		fputs(" |", f);
		put_str(f, l->text);
		break;
	}
	default:
		fprintf(f, "event %d", (int)ev->type);
		break;
	}
}

typedef struct recorder {
	evlist events;
	uint64_t session;
} recorder;

static void record(void *user, const ms_event *ev)
{
	recorder *r = user;
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(ev->session, r->session);
	ck_assert_int_eq(ev->proto, MS_PROTO_POP3);
	render(f, ev);
	fclose(f);
	push(&r->events, s);
}

/* ---- driving a session ---- */

typedef struct step {
	char kind; /* 'C' client bytes, 'S' server bytes, 'c'/'s' a gap */
	const char *p;
	size_t n;
} step;

#define C(s)   {'C', (s), sizeof(s) - 1}
#define S(s)   {'S', (s), sizeof(s) - 1}
#define GC(n)  {'c', NULL, (n)}
#define GS(n)  {'s', NULL, (n)}
#define END    {0, NULL, 0}

enum { WHOLE, BYTES, SPLIT };

typedef struct outcome {
	bool tls;
	uint64_t tls_bytes, commands, messages, anomalies;
} outcome;

static ms_config *config(void)
{
	static ms_config cfg;

	ms_config_default(&cfg);
	return &cfg;
}

/* Feeds one chunk, gated on TLS as the analyzer gates it. */
static void feed(ms_session *s, ms_dir dir, const char *p, size_t n,
                 ms_time ts)
{
	s->bytes[dir] += n;
	if (s->tls)
		s->tls_bytes += n;
	else
		ms_pop3_ops.data(s, s->state, dir, (const uint8_t *)p, n, ts);
}

/* Runs a script; mode WHOLE feeds each chunk at once, BYTES one byte at
 * a time, SPLIT cuts every chunk longer than k at offset k. The session
 * end is rendered as the list's last line. */
static void run(const ms_config *cfg, const step *script, int mode, size_t k,
                evlist *out, outcome *oc)
{
	recorder r = {.session = 7};
	ms_session s;
	ms_ev_session_end end;
	char *line = NULL;
	size_t len = 0;
	FILE *f;

	memset(&s, 0, sizeof(s));
	s.id = 7;
	s.proto = MS_PROTO_POP3;
	s.cfg = cfg;
	s.emit = record;
	s.emit_user = &r;
	ck_assert_int_eq(ms_message_init(&s.msg, cfg->max_header), 0);
	s.state = ms_pop3_ops.create(&s);
	ck_assert_ptr_nonnull(s.state);
	for (size_t i = 0; script[i].kind; i++) {
		const step *st = &script[i];
		ms_time ts = {1000 + (int64_t)i, 0};
		ms_dir dir = st->kind == 'C' || st->kind == 'c'
		                     ? MS_DIR_TO_SERVER
		                     : MS_DIR_TO_CLIENT;

		if (st->kind == 'c' || st->kind == 's') {
			s.gaps++;
			s.gap_bytes += st->n;
			if (!s.tls)
				ms_pop3_ops.gap(&s, s.state, dir, st->n, ts);
		} else if (mode == WHOLE) {
			feed(&s, dir, st->p, st->n, ts);
		} else if (mode == BYTES) {
			for (size_t j = 0; j < st->n; j++)
				feed(&s, dir, st->p + j, 1, ts);
		} else if (k < st->n) {
			feed(&s, dir, st->p, k, ts);
			feed(&s, dir, st->p + k, st->n - k, ts);
		} else {
			feed(&s, dir, st->p, st->n, ts);
		}
	}
	memset(&end, 0, sizeof(end));
	ms_pop3_ops.end(&s, s.state, &end, (ms_time){2000, 0});
	f = open_memstream(&line, &len);
	ck_assert_ptr_nonnull(f);
	fprintf(f, "end reason=%s state=%s update=%d applied=%d deleted=[",
	        s.end_reason ? s.end_reason : "-", end.state ? end.state : "-",
	        end.has_update, end.update_applied);
	for (size_t i = 0; i < end.deleted_count; i++)
		fprintf(f, "%s%u", i ? "," : "", (unsigned)end.deleted[i]);
	fputc(']', f);
	if (s.tls)
		fputs(" tls", f);
	fclose(f);
	push(&r.events, line);
	if (oc) {
		oc->tls = s.tls;
		oc->tls_bytes = s.tls_bytes;
		oc->commands = s.commands;
		oc->messages = s.messages;
		oc->anomalies = s.anomalies;
	}
	ms_pop3_ops.destroy(s.state);
	ms_message_free(&s.msg);
	*out = r.events;
}

static void dump(const char *title, const evlist *l)
{
	fprintf(stderr, "--- %s (%zu)\n", title, l->n);
	for (size_t i = 0; i < l->n; i++)
		fprintf(stderr, "  %s\n", l->v[i]);
}

static bool same(const evlist *a, const evlist *b, size_t *at)
{
	size_t i;

	for (i = 0; i < a->n && i < b->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			break;
	*at = i;
	return a->n == b->n && i == a->n;
}

static void assert_same(const evlist *got, const evlist *want,
                        const char *what)
{
	size_t at;

	if (same(got, want, &at))
		return;
	dump("got", got);
	dump("want", want);
	ck_abort_msg("%s: event %zu differs: got \"%s\", want \"%s\"", what, at,
	             at < got->n ? got->v[at] : "(none)",
	             at < want->n ? want->v[at] : "(none)");
}

/* Runs the script whole, byte by byte and split at every offset of every
 * chunk; all must give the same events, which are returned. */
static void run_all(const ms_config *cfg, const step *script, evlist *out,
                    outcome *oc)
{
	size_t maxlen = 0;
	evlist other;
	char what[64];

	for (size_t i = 0; script[i].kind; i++)
		if (script[i].p && script[i].n > maxlen)
			maxlen = script[i].n;
	run(cfg, script, WHOLE, 0, out, oc);
	run(cfg, script, BYTES, 0, &other, NULL);
	assert_same(&other, out, "fed byte by byte");
	evlist_free(&other);
	for (size_t k = 1; k < maxlen; k++) {
		run(cfg, script, SPLIT, k, &other, NULL);
		snprintf(what, sizeof(what), "chunks split at %zu", k);
		assert_same(&other, out, what);
		evlist_free(&other);
	}
}

/* Runs a script every way and compares with the expected events. */
static void check_script(const ms_config *cfg, const step *script,
                         evlist *want, outcome *oc)
{
	evlist got;

	run_all(cfg, script, &got, oc);
	assert_same(&got, want, "fed whole");
	evlist_free(&got);
	evlist_free(want);
}

/* ---- expected events ---- */

static void sha256_hex(const char *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	ck_assert_int_eq(EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL), 1);
	ck_assert_uint_eq(mdlen, 32);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static unsigned count_lines(const char *p)
{
	unsigned n = 0;

	for (; *p; p++)
		n += *p == '\n';
	return n;
}

/* A command answered by the whole server chunk `reply`: status, response
 * code, line count and bytes are read from it. `extra` goes after the
 * arguments (" redact=0", " pipelined"). */
static void exp_cmd(evlist *e, const char *verb, const char *args,
                    const char *extra, const char *reply)
{
	size_t sl = reply[0] == '+' ? 3 : 4;
	char code[64] = "";
	const char *t = reply + sl;

	if (*t == ' ')
		t++;
	if (*t == '[') {
		const char *close = strchr(t, ']');
		snprintf(code, sizeof(code), " code=%.*s", (int)(close - t - 1),
		         t + 1);
	}
	expect(e, "command %s%s%s%s status=%.*s%s lines=%u bytes=%zu", verb,
	       args ? " args=" : "", args ? args : "", extra ? extra : "",
	       (int)sl, reply, code, count_lines(reply), strlen(reply));
}

static void exp_unanswered(evlist *e, const char *verb, const char *args,
                           const char *extra)
{
	expect(e, "command %s%s%s%s unanswered", verb, args ? " args=" : "",
	       args ? args : "", extra ? extra : "");
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
#define R_USER "+OK\r\n"
#define R_PASS "+OK user successfully logged on\r\n"
#define R_LIST "+OK 2 messages\r\n1 498\r\n2 912\r\n.\r\n"
#define R_RETR1 "+OK 498 octets\r\n" MSG1 ".\r\n"
#define R_DELE1 "+OK message 1 deleted\r\n"
#define R_RETR2 "+OK 912 octets\r\n" MSG2 ".\r\n"
#define R_DELE2 "+OK message 2 deleted\r\n"
#define R_QUIT "+OK POP3 server signing off\r\n"

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
	static const step script[] = {S(GREET),
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
	expect(&e, "greeting +OK text=POP3 server ready");
	expect(&e, "line C command |user rob");
	expect(&e, "line S reply |+OK");
	exp_cmd(&e, "USER", "rob", NULL, R_USER);
	expect(&e, "line C command redact=5 |pass hungry");
	expect(&e, "line S reply |" "+OK user successfully logged on");
	exp_cmd(&e, "PASS", "hungry", " redact=0", R_PASS);
	expect(&e, "auth USER user=rob pass=hungry success=1");
	expect(&e, "state AUTHORIZATION->TRANSACTION cause=PASS");
	expect(&e, "line C command |retr 1");
	expect(&e, "line S reply |+OK");
	expect(&e, "line S message |Subject: x");
	expect(&e, "line S message |");
	expect(&e, "line S message |.dot");
	expect(&e, "line S message_end |.");
	exp_cmd(&e, "RETR", "1", NULL, "+OK\r\nSubject: x\r\n\r\n..dot\r\n.\r\n");
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

static Suite *pop3_suite(void)
{
	Suite *s = suite_create("pop3");
	TCase *tc = tcase_create("dialogues");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_seed);
	tcase_add_test(tc, test_seed_cut_before_quit);
	tcase_add_test(tc, test_seed_lines);
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
