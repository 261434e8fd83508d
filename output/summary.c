/* summary.c: the run in a table a person reads in ten seconds.
 *
 * Counts per protocol (sessions, encrypted share, messages, bytes), logins
 * by user and mechanism, top senders and recipients, refused recipients
 * and anomalies by code. Tables of names are bounded (MAX_NAMES); past
 * that, names are counted as "(others)".
 */
#include <stdlib.h>
#include <string.h>

#include "output/format.h"
#include "output/sink.h"

#define MAX_NAMES 10000
#define TOP       10

typedef struct name_count {
	char *name;
	uint64_t count, failed;
} name_count;

/* A bounded table of names with counts; linear probing on a hash. */
typedef struct names {
	name_count *slot;
	size_t cap, used;
	uint64_t others;
} names;

typedef struct summary {
	ms_sink base;
	ms_text text;
	uint64_t sessions[MS_PROTO_IMAP + 1], tls[MS_PROTO_IMAP + 1];
	uint64_t messages[MS_PROTO_IMAP + 1], msg_bytes[MS_PROTO_IMAP + 1];
	uint64_t incomplete;
	names logins, senders, recipients, refused;
} summary;

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* Counts name once more (failed: as a failure); returns false when the
 * table is full and it went to "(others)". */
static void names_add(names *t, const char *name, bool failed)
{
	size_t i;

	if (!t->slot) {
		t->cap = 64;
		t->slot = calloc(t->cap, sizeof(*t->slot));
		if (!t->slot)
			return;
	}
	if ((t->used + 1) * 2 > t->cap && t->used < MAX_NAMES) {
		names grown = {calloc(t->cap * 2, sizeof(*t->slot)), t->cap * 2,
		               t->used, t->others};
		if (grown.slot) {
			for (size_t k = 0; k < t->cap; k++) {
				name_count *s = &t->slot[k];
				if (!s->name)
					continue;
				i = name_hash(s->name) & (grown.cap - 1);
				while (grown.slot[i].name)
					i = (i + 1) & (grown.cap - 1);
				grown.slot[i] = *s;
			}
			free(t->slot);
			*t = grown;
		}
	}
	for (i = name_hash(name) & (t->cap - 1); t->slot[i].name;
	     i = (i + 1) & (t->cap - 1))
		if (strcmp(t->slot[i].name, name) == 0)
			break;
	if (!t->slot[i].name) {
		if (t->used >= MAX_NAMES || (t->used + 1) * 2 > t->cap ||
		    !(t->slot[i].name = strdup(name))) {
			t->others++;
			return;
		}
		t->used++;
	}
	t->slot[i].count++;
	t->slot[i].failed += failed;
}

static void names_free(names *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slot[i].name);
	free(t->slot);
}

static int by_count(const void *a, const void *b)
{
	const name_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* The names, most counted first (ties by name, for stable output). */
static name_count *names_sorted(const names *t, size_t *n)
{
	name_count *v = malloc((t->used ? t->used : 1) * sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i].name)
			v[(*n)++] = t->slot[i];
	qsort(v, *n, sizeof(*v), by_count);
	return v;
}

static const char *text_of(summary *s, ms_str v)
{
	ms_text_set_utf8(&s->text, v, true);
	return s->text.p ? s->text.p : "";
}

static void on_message(summary *s, const ms_event *ev)
{
	const ms_ev_message *m = &ev->u.message;

	s->messages[ev->proto]++;
	s->msg_bytes[ev->proto] += m->size;
	s->incomplete += !m->complete;
	if (!m->has_envelope)
		return;
	names_add(&s->senders,
	          m->mail_from.len ? text_of(s, m->mail_from) : "<>", false);
	for (size_t i = 0; i < m->rcpt_count; i++) {
		const ms_rcpt *r = &m->rcpt[i];
		char key[600];

		if (r->accepted || !r->answered) {
			names_add(&s->recipients, text_of(s, r->addr), false);
			continue;
		}
		/* text_of reuses one buffer: one call per snprintf */
		snprintf(key, sizeof(key), "%s  %d", text_of(s, r->addr),
		         r->code);
		if (r->enhanced.len)
			snprintf(key + strlen(key), sizeof(key) - strlen(key),
			         " %s", text_of(s, r->enhanced));
		names_add(&s->refused, key, false);
	}
}

static void on_auth(summary *s, const ms_event *ev)
{
	char key[600];

	snprintf(key, sizeof(key), "%-6s %s", ms_proto_name(ev->proto),
	         ev->u.auth.user.len ? text_of(s, ev->u.auth.user) : "?");
	snprintf(key + strlen(key), sizeof(key) - strlen(key), "  (%s)",
	         ev->u.auth.mechanism);
	names_add(&s->logins, key, !ev->u.auth.success);
}

static void summary_event(ms_sink *sk, const ms_event *ev)
{
	summary *s = (summary *)sk;

	switch (ev->type) {
	case MS_EV_SESSION_START:
		s->sessions[ev->proto]++;
		break;
	case MS_EV_TLS:
		s->tls[ev->proto]++;
		break;
	case MS_EV_MESSAGE:
		on_message(s, ev);
		break;
	case MS_EV_AUTH:
		on_auth(s, ev);
		break;
	default:
		break;
	}
}

static void human_bytes(uint64_t n, char out[16])
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)n;
	size_t u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(out, 16, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void print_protocols(summary *s, FILE *o)
{
	fprintf(o, "  %-6s %9s %9s %9s %9s %11s\n", "proto", "sessions", "TLS",
	        "clear", "messages", "bytes");
	for (int p = MS_PROTO_SMTP; p <= MS_PROTO_IMAP; p++) {
		char b[16];
		if (!s->sessions[p])
			continue;
		human_bytes(s->msg_bytes[p], b);
		fprintf(o, "  %-6s %9llu %9llu %9llu %9llu %11s\n",
		        ms_proto_name((ms_proto)p),
		        (unsigned long long)s->sessions[p],
		        (unsigned long long)s->tls[p],
		        (unsigned long long)(s->sessions[p] - s->tls[p]),
		        (unsigned long long)s->messages[p], b);
	}
}

static void print_names(const names *t, const char *title, bool failures,
                        FILE *o)
{
	size_t n;
	name_count *v = names_sorted(t, &n);

	if (!v)
		return;
	if (n > 0) {
		fprintf(o, "\n%s\n", title);
		for (size_t i = 0; i < n && i < TOP; i++) {
			if (failures)
				fprintf(o, "  %6llu ok %6llu failed  %s\n",
				        (unsigned long long)(v[i].count -
				                             v[i].failed),
				        (unsigned long long)v[i].failed,
				        v[i].name);
			else
				fprintf(o, "  %6llu  %s\n",
				        (unsigned long long)v[i].count,
				        v[i].name);
		}
		if (n > TOP || t->others)
			fprintf(o, "  (%zu more)\n",
			        (n > TOP ? n - TOP : 0) + (size_t)t->others);
	}
	free(v);
}

static void summary_stats(ms_sink *sk, const ms_run_stats *st)
{
	summary *s = (summary *)sk;
	const ms_analyzer_stats *an = st->analyzer;
	FILE *o = sk->out;
	uint64_t sessions = 0, messages = 0;
	char b[16];

	for (int p = MS_PROTO_SMTP; p <= MS_PROTO_IMAP; p++) {
		sessions += s->sessions[p];
		messages += s->messages[p];
	}
	human_bytes(st->bytes, b);
	fprintf(o,
	        "\nmailscope summary: %llu packet%s (%s), %llu session%s, "
	        "%llu message%s",
	        (unsigned long long)st->packets, st->packets == 1 ? "" : "s", b,
	        (unsigned long long)sessions, sessions == 1 ? "" : "s",
	        (unsigned long long)messages, messages == 1 ? "" : "s");
	if (s->incomplete)
		fprintf(o, " (%llu incomplete)",
		        (unsigned long long)s->incomplete);
	fputs("\n\n", o);
	print_protocols(s, o);
	print_names(&s->logins, "Logins (user, mechanism)", true, o);
	print_names(&s->senders, "Top senders (MAIL FROM)", false, o);
	print_names(&s->recipients, "Top recipients (RCPT TO)", false, o);
	print_names(&s->refused, "Refused recipients", false, o);
	if (an->anomaly_codes)
		fputs("\nAnomalies\n", o);
	for (size_t i = 0; i < an->anomaly_codes; i++)
		fprintf(o, "  %6llu  %s\n",
		        (unsigned long long)an->anomaly_count[i],
		        an->anomaly_code[i]);
	if (an->reasm->gaps)
		fprintf(o,
		        "\nData missing from the capture: %llu gaps, "
		        "%llu bytes\n",
		        (unsigned long long)an->reasm->gaps,
		        (unsigned long long)an->reasm->gap_bytes);
}

static void summary_flush(ms_sink *sk)
{
	fflush(sk->out);
}

static int summary_close(ms_sink *sk)
{
	summary *s = (summary *)sk;
	int rc = fflush(sk->out) == 0 && !ferror(sk->out) ? 0 : -1;

	names_free(&s->logins);
	names_free(&s->senders);
	names_free(&s->recipients);
	names_free(&s->refused);
	ms_text_free(&s->text);
	free(s);
	return rc;
}

static const ms_sink_ops summary_ops = {
        .event = summary_event,
        .stats = summary_stats,
        .flush = summary_flush,
        .close = summary_close,
};

ms_sink *ms_summary_sink_new(FILE *out, const ms_sink_options *opt)
{
	summary *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = &summary_ops;
	s->base.out = out;
	s->base.opt = *opt;
	return &s->base;
}
