/* main.c: the mailscope command. Wires capture -> decoder -> analyzer ->
 * sinks, and owns everything the core must not: files, signals, the
 * terminal, exit codes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/decode.h"
#include "capture/source.h"
#include "cli/options.h"
#include "dissectors/analyzer.h"
#include "output/sink.h"

#define MAX_SINKS 5

typedef struct run {
	ms_cli cli;
	ms_source *src;
	ms_decoder *dec;
	ms_analyzer *an;
	ms_sink *sinks[MAX_SINKS];
	size_t nsinks;
	FILE *json_file;
	bool live;
	uint64_t packets, bytes;
	uint64_t skipped[MS_DECODE_RESULT_COUNT];
	ms_time last_ts;
	size_t file_index;
	bool failed; /* a later -r file could not be opened */
	uint64_t messages;
	bool progress; /* a terminal is watching: show progress */
	struct timespec started, shown;
	uint64_t done_before; /* bytes of the -r files already read */
	uint64_t total_all;   /* bytes of all the -r files */
} run;

#define PROGRESS_MIN_BYTES (4u << 20)

/* Signal handlers can reach nothing else. */
static ms_source *volatile g_source;
static volatile sig_atomic_t g_stats_wanted;
static volatile sig_atomic_t g_stopped;

static void on_stop(int sig)
{
	(void)sig;
	g_stopped = 1;
	if (g_source)
		ms_source_break(g_source);
}

static void on_usr1(int sig)
{
	(void)sig;
	g_stats_wanted = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
}

static void emit(void *user, const ms_event *ev)
{
	run *r = user;

	r->messages += ev->type == MS_EV_MESSAGE;
	for (size_t i = 0; i < r->nsinks; i++) {
		r->sinks[i]->ops->event(r->sinks[i], ev);
		if (r->live)
			r->sinks[i]->ops->flush(r->sinks[i]);
	}
}

static bool want_color(const ms_cli *cli)
{
	const char *no = getenv("NO_COLOR");

	if (cli->color != MS_COLOR_AUTO)
		return cli->color == MS_COLOR_ALWAYS;
	return !(no && *no) && isatty(STDOUT_FILENO);
}

static bool add_sink(run *r, ms_sink *s)
{
	if (!s) {
		fprintf(stderr, "mailscope: out of memory\n");
		return false;
	}
	r->sinks[r->nsinks++] = s;
	return true;
}

static bool open_sinks(run *r)
{
	ms_cli *c = &r->cli;
	const char *path = c->json_path;

	c->sink.color = want_color(c);
	if (path && strcmp(path, "-") != 0) {
		r->json_file = fopen(path, "w");
		if (!r->json_file) {
			fprintf(stderr, "mailscope: %s: %s\n", path,
			        strerror(errno));
			return false;
		}
	}
	if ((path || !c->transcript) &&
	    !add_sink(r, ms_json_sink_new(r->json_file ? r->json_file : stdout,
	                                  &c->sink)))
		return false;
	if (c->transcript &&
	    !add_sink(r, ms_transcript_sink_new(stdout, &c->sink)))
		return false;
	if (c->extract_dir) {
		char err[512];
		ms_sink *x = ms_extract_sink_new(c->extract_dir, &c->sink, err,
		                                 sizeof(err));
		if (!x) {
			fprintf(stderr, "mailscope: --extract %s\n", err);
			return false;
		}
		add_sink(r, x);
	}
	if (c->summary != MS_SUMMARY_NONE) {
		bool json_on_stdout = (!path && !c->transcript) ||
		                      (path && strcmp(path, "-") == 0);
		FILE *to = c->summary == MS_SUMMARY_STDERR ||
		                           (c->summary == MS_SUMMARY_AUTO &&
		                            json_on_stdout)
		                   ? stderr
		                   : stdout;
		if (!add_sink(r, ms_summary_sink_new(to, &c->sink)))
			return false;
	}
	return true;
}

static void fill_stats(run *r, ms_run_stats *st, ms_counter *skipped)
{
	memset(st, 0, sizeof(*st));
	st->ts = r->last_ts;
	st->packets = r->packets;
	st->bytes = r->bytes;
	for (int i = 1; i < MS_DECODE_RESULT_COUNT; i++)
		if (r->skipped[i])
			skipped[st->skipped_count++] = (ms_counter){
			        ms_decode_result_name((ms_decode_result)i),
			        r->skipped[i]};
	st->skipped = skipped;
	st->analyzer = ms_analyzer_stats_get(r->an);
	st->live = r->live;
	if (r->live) {
		ms_source_stats ss;
		if (ms_source_stats_get(r->src, &ss) == 0) {
			st->pcap_received = ss.received;
			st->pcap_dropped = ss.dropped;
			st->pcap_if_dropped = ss.if_dropped;
		}
	}
}

/* The stats event: last line of the JSON output, and on stderr for
 * --stats or SIGUSR1. */
static void write_stats(run *r, bool to_sinks, bool to_stderr)
{
	ms_counter skipped[MS_DECODE_RESULT_COUNT];
	ms_run_stats st;
	ms_sink_options opt = {.pretty = true};

	fill_stats(r, &st, skipped);
	if (to_sinks)
		for (size_t i = 0; i < r->nsinks; i++)
			r->sinks[i]->ops->stats(r->sinks[i], &st);
	if (to_stderr) {
		ms_sink *s = ms_json_sink_new(stderr, &opt);
		if (s) {
			s->ops->stats(s, &st);
			s->ops->close(s);
		}
	}
}

static void handle_frame(run *r, const ms_frame *f)
{
	ms_segment seg;
	ms_decode_result res;

	r->packets++;
	r->bytes += f->caplen;
	r->last_ts = f->ts;
	res = ms_decoder_decode(r->dec, f->linktype, f->data, f->caplen, f->ts,
	                        &seg);
	if (res == MS_DECODE_OK)
		ms_analyzer_add_segment(r->an, &seg);
	else if (res != MS_DECODE_FRAG_HELD)
		r->skipped[res]++;
}

/* Live and idle: let sessions time out by the wall clock, which in live
 * mode is packet time too. */
static void tick(run *r)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	r->last_ts = (ms_time){now.tv_sec, (int32_t)(now.tv_nsec / 1000)};
	ms_analyzer_tick(r->an, r->last_ts);
	for (size_t i = 0; i < r->nsinks; i++)
		r->sinks[i]->ops->flush(r->sinks[i]);
}

static double seconds_between(struct timespec a, struct timespec b)
{
	return (double)(b.tv_sec - a.tv_sec) +
	       (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/* "[#####.....]  48%  12.3/25.6 MB  41.0 MB/s  3 sessions  7 messages
 * ETA 0:01" on stderr, at most four times a second. */
static void show_progress(run *r, bool last)
{
	struct timespec now;
	uint64_t done, total, sessions = 0;
	double secs, rate, frac;
	char bar[21];

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!last && seconds_between(r->shown, now) < 0.25)
		return;
	r->shown = now;
	ms_source_progress(r->src, &done, &total);
	done += r->done_before;
	total = r->total_all > done ? r->total_all : done;
	for (int p = MS_PROTO_SMTP; p <= MS_PROTO_IMAP; p++)
		sessions += ms_analyzer_stats_get(r->an)->sessions[p];
	secs = seconds_between(r->started, now);
	rate = secs > 0 ? (double)done / secs : 0;
	frac = total ? (double)done / (double)total : 0;
	for (int i = 0; i < 20; i++)
		bar[i] = i < (int)(frac * 20) ? '#' : '.';
	bar[20] = '\0';
	fprintf(stderr,
	        "\r[%s] %3.0f%%  %.1f/%.1f MB  %.1f MB/s  %llu sessions  "
	        "%llu messages  ETA %d:%02d \033[K%s",
	        bar, frac * 100, (double)done / 1e6, (double)total / 1e6,
	        rate / 1e6, (unsigned long long)sessions,
	        (unsigned long long)r->messages,
	        rate > 0 ? (int)((double)(total - done) / rate) / 60 : 0,
	        rate > 0 ? (int)((double)(total - done) / rate) % 60 : 0,
	        last ? "\n" : "");
}

/* Progress only for a person watching a file big enough to wait for. */
static void progress_start(run *r)
{
	for (size_t i = 0; i < r->cli.nfiles; i++) {
		struct stat st;
		if (stat(r->cli.files[i], &st) == 0 && S_ISREG(st.st_mode))
			r->total_all += (uint64_t)st.st_size;
	}
	r->progress = !r->cli.quiet && !r->live && isatty(STDERR_FILENO) &&
	              r->total_all >= PROGRESS_MIN_BYTES;
	clock_gettime(CLOCK_MONOTONIC, &r->started);
}

/* The next -r file, after the current one ended. */
static bool open_next_file(run *r)
{
	char errbuf[512] = "";

	if (++r->file_index >= r->cli.nfiles)
		return false;
	if (r->progress) {
		uint64_t done, total;
		ms_source_progress(r->src, &done, &total);
		r->done_before += total;
	}
	g_source = NULL;
	ms_source_close(r->src);
	r->cli.source.file = r->cli.files[r->file_index];
	r->src = ms_source_open(&r->cli.source, errbuf, sizeof(errbuf));
	g_source = r->src;
	if (!r->src) {
		fprintf(stderr, "mailscope: %s\n", errbuf);
		r->failed = true;
		return false;
	}
	return true;
}

/* Returns false when the input ended in an error (already reported). */
static bool read_all(run *r)
{
	for (;;) {
		ms_frame f;
		ms_source_status st = ms_source_next(r->src, &f);

		if (g_stats_wanted) {
			g_stats_wanted = 0;
			write_stats(r, false, true);
		}
		if (st == MS_SOURCE_FRAME) {
			handle_frame(r, &f);
			if (r->progress && (r->packets & 1023) == 0)
				show_progress(r, false);
		} else if (st == MS_SOURCE_TIMEOUT)
			tick(r);
		else if (st == MS_SOURCE_END && !g_stopped && open_next_file(r))
			continue;
		else if (st == MS_SOURCE_END)
			return !r->failed;
		else if (st == MS_SOURCE_ERROR) {
			if (!r->cli.quiet)
				fprintf(stderr,
				        "mailscope: warning: %s; analysed what "
				        "was read before it\n",
				        ms_source_error(r->src));
			if (r->live)
				return false;
			if (!open_next_file(r))
				return !r->failed;
		}
	}
}

static int close_all(run *r, int rc)
{
	for (size_t i = 0; i < r->nsinks; i++)
		if (r->sinks[i]->ops->close(r->sinks[i]) != 0 && rc == 0) {
			fprintf(stderr, "mailscope: writing output: %s\n",
			        strerror(errno));
			rc = 1;
		}
	if (r->json_file && fclose(r->json_file) != 0 && rc == 0) {
		fprintf(stderr, "mailscope: %s: %s\n", r->cli.json_path,
		        strerror(errno));
		rc = 1;
	}
	ms_analyzer_free(r->an);
	ms_decoder_free(r->dec);
	g_source = NULL;
	if (r->src)
		ms_source_close(r->src);
	ms_cli_free(&r->cli);
	return rc;
}

static int start(run *r)
{
	char errbuf[512] = "";

	r->src = ms_source_open(&r->cli.source, errbuf, sizeof(errbuf));
	if (!r->src) {
		fprintf(stderr, "mailscope: %s\n", errbuf);
		return 1;
	}
	if (*errbuf && !r->cli.quiet)
		fprintf(stderr, "mailscope: warning: %s\n", errbuf);
	r->live = ms_source_is_live(r->src);
	if (r->live && !r->cli.quiet)
		fprintf(stderr, "mailscope: listening on %s%s%s\n",
		        r->cli.source.iface,
		        r->cli.filter && *r->cli.filter ? ", filter: " : "",
		        r->cli.filter ? r->cli.filter : "");
	g_source = r->src;
	r->dec = ms_decoder_new(&r->cli.frag);
	r->cli.core.emit_lines = r->cli.transcript;
	r->cli.core.emit_message_data = r->cli.extract_dir != NULL;
	r->an = ms_analyzer_new(&r->cli.core, emit, r);
	if (!r->dec || !r->an) {
		fprintf(stderr, "mailscope: out of memory\n");
		return 1;
	}
	return open_sinks(r) ? 0 : 1;
}

int main(int argc, char **argv)
{
	static run r; /* large (the port table): not on the stack */
	int rc;

	switch (ms_cli_parse(&r.cli, argc, argv, stderr)) {
	case MS_CLI_EXIT_OK:
		return 0;
	case MS_CLI_EXIT_USAGE:
		ms_cli_free(&r.cli);
		return 2;
	case MS_CLI_RUN:
		break;
	}
	rc = start(&r);
	if (rc == 0) {
		install_signals();
		progress_start(&r);
		if (!read_all(&r))
			rc = 1;
		if (r.progress)
			show_progress(&r, true);
		ms_analyzer_finish(r.an, r.last_ts);
		write_stats(&r, true, r.cli.stats);
	}
	return close_all(&r, rc);
}
