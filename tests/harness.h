/* harness.h: the session-level harness the dissector suites share
 * (test_pop3.c, test_smtp.c, test_imap.c).
 *
 * A session is built by hand and fed client/server chunks in wire order,
 * gated exactly as dissectors/analyzer.c's on_data/on_gap gate them (the
 * STARTTLS/STLS check of the session layer included). Every event is
 * rendered to a canonical line at callback time, because event memory
 * lives only that long; so a test compares lists of strings. Every
 * script is also fed one byte at a time and split at every offset of
 * every chunk, which must not change a single event.
 *
 * What a line looks like is each suite's own business: it passes its
 * renderers in a harness. The helpers below render only what reads the
 * same in every suite.
 */
#ifndef MS_TEST_HARNESS_H
#define MS_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dissectors/config.h"
#include "dissectors/session.h"

/* ---- event lists ---- */

typedef struct evlist {
	char **v;
	size_t n, cap;
} evlist;

/* Takes ownership of s, a malloc'd string. */
void evlist_push(evlist *l, char *s);
void evlist_free(evlist *l);
/* Appends one formatted line. */
void expect(evlist *l, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Appends each of a NULL-terminated list of lines. */
void expect_all(evlist *l, const char *const *lines);
/* Fails the test, both lists on stderr, unless got equals want; `what`
 * names the way the script was fed. */
void assert_same(const evlist *got, const evlist *want, const char *what);

/* ---- expected events ---- */

void sha256_hex(const char *p, size_t n, char out[65]);
/* The number of '\n' in p: a reply's line count. */
unsigned count_lines(const char *p);
/* "command VERB[ args=A]EXTRA unanswered", as a suite renders a command
 * with put_command_args after its verb; `extra` is what goes after the
 * arguments (" redact=0", " pipelined"). */
void exp_unanswered(evlist *e, const char *verb, const char *args,
                    const char *extra);

/* ---- rendering ---- */

typedef void (*put_fn)(FILE *f, ms_str s);

/* Traffic text, with anything unprintable as \xNN, and a backslash too so
 * that traffic cannot pass for an escape. */
void put_str(FILE *f, ms_str s);
/* The same, backslashes kept: IMAP flags are \Seen and the like. */
void put_str_raw(FILE *f, ms_str s);
/* " args=A[ redact=N][ pipelined]", then " unanswered" and false for a
 * command that never got its reply; the suite renders the reply. */
bool put_command_args(FILE *f, const ms_ev_command *c, put_fn put);
/* A transcript line's kind as the suites write it ("command", "sasl"..). */
const char *line_kind_name(ms_line_kind kind);
/* The events every protocol reports alike (state, auth, tls) and
 * transcript lines as "line C|S KIND[ redact=N][ bare] |TEXT" (IMAP shows
 * them otherwise, and renders its own); any other as "event N", so that
 * an unexpected one fails the comparison readably. */
void render_common(FILE *f, const ms_event *ev, put_fn put);

/* ---- a script ---- */

typedef struct step {
	char kind; /* 'C' client bytes, 'S' server bytes, 'c'/'s' a gap */
	const char *p;
	size_t n;
} step;

/* clang-format off */
#define C(s)  {'C', (s), sizeof(s) - 1}
#define S(s)  {'S', (s), sizeof(s) - 1}
#define GC(n) {'c', NULL, (n)}
#define GS(n) {'s', NULL, (n)}
#define END   {0, NULL, 0}
/* clang-format on */

/* ---- driving a session ---- */

/* The dissector under test and how its suite renders it. */
typedef struct harness {
	const ms_dissector_ops *ops;
	ms_proto proto;
	const ms_config *cfg;
	/* the capture began mid-session */
	bool midstream;
	/* A gap also reports the analyzer's "gap" anomaly. Only the SMTP
	 * suite's expectations include it; POP3's and IMAP's were written
	 * for the dissector's own reaction alone. */
	bool gap_anomaly;
	void (*render)(FILE *f, const ms_event *ev);
	/* The list's last line, after the dissector's end. */
	void (*render_end)(FILE *f, const ms_session *s,
	                   const ms_ev_session_end *end);
} harness;

/* The session's counters after a run, for the tests that check them. */
typedef struct outcome {
	bool tls;
	uint64_t tls_bytes, commands, messages, anomalies;
} outcome;

/* A session being fed; its events are recorded into `events`. It must
 * not move while open: the session's emit_user points into it. */
typedef struct h_session {
	ms_session s;
	const harness *h;
	evlist events;
} h_session;

/* Builds the session (id 7) and the dissector's state. */
void h_open(h_session *hs, const harness *h);
/* One chunk, as the analyzer's on_data: while a STARTTLS is pending the
 * client's bytes decide whether TLS starts; encrypted bytes are counted,
 * not parsed. */
void h_feed(h_session *hs, ms_dir dir, const char *p, size_t n, ms_time ts);
/* A hole, as the analyzer's on_gap. */
void h_gap(h_session *hs, ms_dir dir, uint64_t n, ms_time ts);
/* The dissector's end, at time 2000. */
void h_end(h_session *hs, ms_ev_session_end *end);
/* Frees the dissector's state and the message stage, not the events. */
void h_close(h_session *hs);

typedef enum h_mode {
	H_WHOLE, /* each chunk at once */
	H_BYTES, /* one byte at a time */
	H_SPLIT  /* every chunk longer than k cut at offset k */
} h_mode;

/* Runs a script in one mode; the session end (render_end) is the list's
 * last line. oc may be NULL. */
void h_run(const harness *h, const step *script, h_mode mode, size_t k,
           evlist *out, outcome *oc);
/* Runs the script whole, byte by byte and split at every offset of every
 * chunk; all must give the same events, which are returned. */
void h_run_all(const harness *h, const step *script, evlist *out, outcome *oc);
/* Runs a script every way and compares with the expected events, which
 * it frees. */
void h_check(const harness *h, const step *script, evlist *want, outcome *oc);

#endif
