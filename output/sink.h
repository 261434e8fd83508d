/* sink.h: where events go. One file per sink (json.c, transcript.c),
 * all behind this interface; the CLI attaches several at once. Sinks do
 * all formatting and I/O, the core none. */
#ifndef MS_SINK_H
#define MS_SINK_H

#include <stdbool.h>
#include <stdio.h>

#include "dissectors/analyzer.h"
#include "dissectors/event.h"

typedef struct ms_sink_options {
	bool show_credentials; /* passwords and SASL responses in clear */
	bool pretty;           /* JSON: indented */
	bool timestamps;       /* transcript: time on every line */
	bool full;             /* transcript: whole message bodies */
	bool color;            /* transcript: ANSI colours */
} ms_sink_options;

/* A named counter, e.g. packets skipped by reason. */
typedef struct ms_counter {
	const char *name;
	uint64_t value;
} ms_counter;

/* What the run counted, for the closing stats event. */
typedef struct ms_run_stats {
	ms_time ts;
	uint64_t packets, bytes;
	const ms_counter *skipped; /* non-zero reasons only */
	size_t skipped_count;
	const ms_analyzer_stats *analyzer;
	bool live;
	uint64_t pcap_received, pcap_dropped, pcap_if_dropped;
} ms_run_stats;

typedef struct ms_sink ms_sink;

typedef struct ms_sink_ops {
	void (*event)(ms_sink *s, const ms_event *ev);
	void (*stats)(ms_sink *s, const ms_run_stats *st);
	void (*flush)(ms_sink *s);
	/* Returns 0, or -1 when writing failed (errno set). */
	int (*close)(ms_sink *s);
} ms_sink_ops;

struct ms_sink {
	const ms_sink_ops *ops;
	FILE *out;
	ms_sink_options opt;
};

/* Each writes to out, which the caller keeps owning. */
ms_sink *ms_json_sink_new(FILE *out, const ms_sink_options *opt);
ms_sink *ms_transcript_sink_new(FILE *out, const ms_sink_options *opt);
/* Prints its table when the run's stats arrive. */
ms_sink *ms_summary_sink_new(FILE *out, const ms_sink_options *opt);
/* Writes each message into dir (created if missing) as a .eml file, and
 * manifest.json at close. NULL with a one-line reason in err. */
ms_sink *ms_extract_sink_new(const char *dir, const ms_sink_options *opt,
                             char *err, size_t errlen);

#endif
