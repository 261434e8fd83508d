/* analyzer.h: the core's front door. TCP segments in, events out.
 *
 * Ties reassembly (which knows nothing of mail) to the dissectors (which
 * know nothing of packets): a flow whose server port is a mail port gets
 * a session and that protocol's dissector. Holds no globals and does no
 * I/O, so the CLI, the Wireshark plugin and a fuzzer drive it alike.
 */
#ifndef MS_ANALYZER_H
#define MS_ANALYZER_H

#include "dissectors/config.h"
#include "dissectors/event.h"
#include "reassembly/reassembly.h"

#define MS_ANOMALY_CODES_MAX 64

typedef struct ms_analyzer_stats {
	const ms_reasm_stats *reasm;
	uint64_t sessions[MS_PROTO_IMAP + 1]; /* by ms_proto */
	/* anomaly counts by code, in order of first occurrence */
	const char *anomaly_code[MS_ANOMALY_CODES_MAX];
	uint64_t anomaly_count[MS_ANOMALY_CODES_MAX];
	size_t anomaly_codes;
	uint64_t anomalies_uncounted; /* codes past MS_ANOMALY_CODES_MAX */
} ms_analyzer_stats;

typedef struct ms_analyzer ms_analyzer;

/* cfg must outlive the analyzer. NULL when out of memory. */
ms_analyzer *ms_analyzer_new(const ms_config *cfg, ms_emit_fn emit, void *user);
void ms_analyzer_add_segment(ms_analyzer *a, const ms_segment *seg);
/* Time passes without packets (live capture): idle sessions time out.
 * The caller reads the clock; the core never does. */
void ms_analyzer_tick(ms_analyzer *a, ms_time now);
/* End of input: every open session ends with reason end_of_capture. */
void ms_analyzer_finish(ms_analyzer *a, ms_time ts);
const ms_analyzer_stats *ms_analyzer_stats_get(const ms_analyzer *a);
void ms_analyzer_free(ms_analyzer *a);

#endif
