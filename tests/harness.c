/* harness.c: the session-level harness of the dissector suites; see
 * harness.h. */
#include "harness.h"

#include <check.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- event lists ---- */

void evlist_push(evlist *l, char *s)
{
	ck_assert_ptr_nonnull(s);
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		ck_assert_ptr_nonnull(l->v);
	}
	l->v[l->n++] = s;
}

void evlist_free(evlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void expect(evlist *l, const char *fmt, ...)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	va_list ap;

	ck_assert_ptr_nonnull(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	evlist_push(l, s);
}

void expect_all(evlist *l, const char *const *lines)
{
	for (size_t i = 0; lines[i]; i++)
		expect(l, "%s", lines[i]);
}

static void dump(const char *title, const evlist *l)
{
	fprintf(stderr, "--- %s (%zu)\n", title, l->n);
	for (size_t i = 0; i < l->n; i++)
		fprintf(stderr, "  %s\n", l->v[i]);
}

void assert_same(const evlist *got, const evlist *want, const char *what)
{
	size_t i;

	for (i = 0; i < got->n && i < want->n; i++)
		if (strcmp(got->v[i], want->v[i]) != 0)
			break;
	if (got->n == want->n && i == got->n)
		return;
	dump("got", got);
	dump("want", want);
	ck_abort_msg("%s: event %zu differs: got \"%s\", want \"%s\"", what, i,
	             i < got->n ? got->v[i] : "(none)",
	             i < want->n ? want->v[i] : "(none)");
}

/* ---- expected events ---- */

void sha256_hex(const char *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	ck_assert_int_eq(EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL), 1);
	ck_assert_uint_eq(mdlen, 32);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

unsigned count_lines(const char *p)
{
	unsigned n = 0;

	for (; *p; p++)
		n += *p == '\n';
	return n;
}

void exp_unanswered(evlist *e, const char *verb, const char *args,
                    const char *extra)
{
	expect(e, "command %s%s%s%s unanswered", verb, args ? " args=" : "",
	       args ? args : "", extra ? extra : "");
}

/* ---- rendering ---- */

static void put_escaped(FILE *f, ms_str s, bool backslash)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c < 0x20 || c >= 0x7f || (backslash && c == '\\'))
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

void put_str(FILE *f, ms_str s)
{
	put_escaped(f, s, true);
}

void put_str_raw(FILE *f, ms_str s)
{
	put_escaped(f, s, false);
}

bool put_command_args(FILE *f, const ms_ev_command *c, put_fn put)
{
	if (c->args.len) {
		fputs(" args=", f);
		put(f, c->args);
	}
	if (c->redact_from != MS_NO_REDACT)
		fprintf(f, " redact=%zu", c->redact_from);
	if (c->pipelined)
		fputs(" pipelined", f);
	if (c->unanswered) {
		fputs(" unanswered", f);
		return false;
	}
	return true;
}

static const char *const kind_names[] = {"command", "reply", "sasl", "message",
                                         "message_end"};

const char *line_kind_name(ms_line_kind kind)
{
	return kind_names[kind];
}

static void render_line(FILE *f, const ms_ev_line *l, put_fn put)
{
	fprintf(f, "line %c %s", l->dir == MS_DIR_TO_SERVER ? 'C' : 'S',
	        line_kind_name(l->kind));
	if (l->redact_from != MS_NO_REDACT)
		fprintf(f, " redact=%zu", l->redact_from);
	if (l->bare_lf)
		fputs(" bare", f);
	fputs(" |", f);
	put(f, l->text);
}

void render_common(FILE *f, const ms_event *ev, put_fn put)
{
	switch (ev->type) {
	case MS_EV_STATE:
		fprintf(f, "state %s->%s cause=", ev->u.state.from,
		        ev->u.state.to);
		put(f, ev->u.state.cause);
		break;
	case MS_EV_AUTH:
		fprintf(f, "auth %s user=", ev->u.auth.mechanism);
		put(f, ev->u.auth.user);
		fputs(" pass=", f);
		put(f, ev->u.auth.password);
		fprintf(f, " success=%d", ev->u.auth.success);
		break;
	case MS_EV_TLS:
		fprintf(f, "tls %s", ev->u.tls.trigger);
		break;
	case MS_EV_LINE:
		render_line(f, &ev->u.line, put);
		break;
	default:
		fprintf(f, "event %d", (int)ev->type);
		break;
	}
}

/* ---- driving a session ---- */

/* The session's sink: each event becomes its canonical line now, while
 * the event's memory is still valid. */
static void record(void *user, const ms_event *ev)
{
	h_session *hs = user;
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(ev->session, hs->s.id);
	ck_assert_int_eq(ev->proto, hs->h->proto);
	hs->h->render(f, ev);
	fclose(f);
	evlist_push(&hs->events, s);
}

void h_open(h_session *hs, const harness *h)
{
	memset(hs, 0, sizeof(*hs));
	hs->h = h;
	hs->s.id = 7;
	hs->s.proto = h->proto;
	hs->s.cfg = h->cfg;
	hs->s.emit = record;
	hs->s.emit_user = hs;
	hs->s.midstream = h->midstream;
	ck_assert_int_eq(ms_message_init(&hs->s.msg, h->cfg->max_header), 0);
	hs->s.state = h->ops->create(&hs->s);
	ck_assert_ptr_nonnull(hs->s.state);
}

void h_feed(h_session *hs, ms_dir dir, const char *p, size_t n, ms_time ts)
{
	ms_session *s = &hs->s;

	s->bytes[dir] += n;
	if (dir == MS_DIR_TO_SERVER && s->tls_pending)
		ms_session_check_tls(s, (const uint8_t *)p, n, ts);
	if (s->tls)
		s->tls_bytes += n;
	else
		hs->h->ops->data(s, s->state, dir, (const uint8_t *)p, n, ts);
}

void h_gap(h_session *hs, ms_dir dir, uint64_t n, ms_time ts)
{
	ms_session *s = &hs->s;

	s->gaps++;
	s->gap_bytes += n;
	if (hs->h->gap_anomaly)
		ms_session_anomaly(s, ts, dir, "gap", "%llu bytes missing",
		                   (unsigned long long)n);
	if (!s->tls)
		hs->h->ops->gap(s, s->state, dir, n, ts);
}

void h_end(h_session *hs, ms_ev_session_end *end)
{
	memset(end, 0, sizeof(*end));
	hs->h->ops->end(&hs->s, hs->s.state, end, (ms_time){2000, 0});
}

void h_close(h_session *hs)
{
	hs->s.ops = hs->h->ops;
	ms_session_release(&hs->s);
}

void h_run(const harness *h, const step *script, h_mode mode, size_t k,
           evlist *out, outcome *oc)
{
	h_session hs;
	ms_ev_session_end end;
	char *line = NULL;
	size_t len = 0;
	FILE *f;

	h_open(&hs, h);
	for (size_t i = 0; script[i].kind; i++) {
		const step *st = &script[i];
		ms_time ts = {1000 + (int64_t)i, 0};
		ms_dir dir = st->kind == 'C' || st->kind == 'c'
		                     ? MS_DIR_TO_SERVER
		                     : MS_DIR_TO_CLIENT;

		if (st->kind == 'c' || st->kind == 's') {
			h_gap(&hs, dir, st->n, ts);
		} else if (mode == H_WHOLE) {
			h_feed(&hs, dir, st->p, st->n, ts);
		} else if (mode == H_BYTES) {
			for (size_t j = 0; j < st->n; j++)
				h_feed(&hs, dir, st->p + j, 1, ts);
		} else if (k < st->n) {
			h_feed(&hs, dir, st->p, k, ts);
			h_feed(&hs, dir, st->p + k, st->n - k, ts);
		} else {
			h_feed(&hs, dir, st->p, st->n, ts);
		}
	}
	h_end(&hs, &end);
	f = open_memstream(&line, &len);
	ck_assert_ptr_nonnull(f);
	h->render_end(f, &hs.s, &end);
	fclose(f);
	evlist_push(&hs.events, line);
	if (oc) {
		oc->tls = hs.s.tls;
		oc->tls_bytes = hs.s.tls_bytes;
		oc->commands = hs.s.commands;
		oc->messages = hs.s.messages;
		oc->anomalies = hs.s.anomalies;
	}
	h_close(&hs);
	*out = hs.events;
}

void h_run_all(const harness *h, const step *script, evlist *out, outcome *oc)
{
	size_t maxlen = 0;
	evlist other;
	char what[64];

	for (size_t i = 0; script[i].kind; i++)
		if (script[i].p && script[i].n > maxlen)
			maxlen = script[i].n;
	h_run(h, script, H_WHOLE, 0, out, oc);
	h_run(h, script, H_BYTES, 0, &other, NULL);
	assert_same(&other, out, "fed byte by byte");
	evlist_free(&other);
	for (size_t k = 1; k < maxlen; k++) {
		h_run(h, script, H_SPLIT, k, &other, NULL);
		snprintf(what, sizeof(what), "chunks split at %zu", k);
		assert_same(&other, out, what);
		evlist_free(&other);
	}
}

void h_check(const harness *h, const step *script, evlist *want, outcome *oc)
{
	evlist got;

	h_run_all(h, script, &got, oc);
	assert_same(&got, want, "fed whole");
	evlist_free(&got);
	evlist_free(want);
}
