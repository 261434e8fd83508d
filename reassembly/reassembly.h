/* reassembly.h: TCP segments in, two ordered byte streams per connection
 * out, with explicit gaps. Knows nothing of mail.
 *
 * Flows live in an open-addressing table keyed by the 4-tuple, with an
 * LRU list for idle timeouts and eviction. Per direction, in-order
 * payload is passed straight from the packet buffer; only out-of-order
 * data is copied and held, within per-flow and global bounds. Overlaps:
 * the first copy wins (what most stacks deliver), and an overlapping
 * retransmission with different bytes is reported. A hole that can no
 * longer be filled (the receiver acknowledged past it, the flow ends, a
 * bound is hit) is declared as a gap and the stream moves on.
 */
#ifndef MS_REASSEMBLY_H
#define MS_REASSEMBLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reassembly/segment.h"

typedef struct ms_reasm_limits {
	uint32_t max_flows;
	uint32_t per_flow_bytes;      /* out-of-order bytes held per flow */
	uint64_t global_bytes;        /* out-of-order bytes held in all */
	uint32_t idle_timeout_s;      /* established flows, packet time */
	uint32_t half_open_timeout_s; /* before the handshake completes,
	                         and after a close */
	uint32_t overlap_window;      /* delivered bytes kept per direction, to
	                                 check retransmissions against; 0: none */
} ms_reasm_limits;

#define MS_MAX_FLOWS_DEFAULT         262144
#define MS_PER_FLOW_BYTES_DEFAULT    (4u << 20)
#define MS_GLOBAL_BYTES_DEFAULT      (512ull << 20)
#define MS_IDLE_TIMEOUT_DEFAULT      600
#define MS_HALF_OPEN_TIMEOUT_DEFAULT 30
#define MS_OVERLAP_WINDOW_DEFAULT    4096

typedef enum ms_close_reason {
	MS_CLOSE_FIN,
	MS_CLOSE_RST,
	MS_CLOSE_TIMEOUT,
	MS_CLOSE_EVICTED,
	MS_CLOSE_END_OF_CAPTURE,
} ms_close_reason;

/* Direction 0 is client to server, 1 server to client (ms_dir). */
typedef struct ms_flow_info {
	uint8_t ip_version;
	uint8_t client_ip[16], server_ip[16];
	uint16_t client_port, server_port;
	bool midstream; /* no handshake seen: the app chose the sides */
	uint8_t vlan_count;
	uint16_t vlan[MS_MAX_VLAN];
	ms_time ts;
} ms_flow_info;

typedef enum ms_reasm_note {
	MS_NOTE_OVERLAP_CONFLICT, /* retransmission with different bytes */
	MS_NOTE_LIMIT_PER_FLOW,
	MS_NOTE_LIMIT_GLOBAL,
} ms_reasm_note;

/* What reassembly calls. open() returns the app's handle for the flow,
 * or NULL to ignore it. For a flow without a handshake, info->client_* is
 * a guess (the first packet's sender); open() may set *swap to make the
 * other endpoint the client (the app knows which port is a server's). */
typedef struct ms_stream_ops {
	void *(*open)(void *user, const ms_flow_info *info, bool *swap);
	void (*data)(void *app, int dir, const uint8_t *p, size_t n,
	             ms_time ts);
	void (*gap)(void *app, int dir, uint64_t n, ms_time ts);
	void (*note)(void *app, int dir, ms_reasm_note note, uint64_t value,
	             ms_time ts);
	void (*close)(void *app, ms_close_reason reason, ms_time ts);
} ms_stream_ops;

typedef struct ms_reasm_stats {
	uint64_t packets, bytes, flows, retransmissions, out_of_order, overlaps,
	        overlap_conflicts, gaps, gap_bytes, evictions, timeouts,
	        ignored_after_close;
} ms_reasm_stats;

typedef struct ms_reasm ms_reasm;

void ms_reasm_limits_default(ms_reasm_limits *l);
/* NULL when out of memory. */
ms_reasm *ms_reasm_new(const ms_reasm_limits *l, const ms_stream_ops *ops,
                       void *user);
void ms_reasm_free(ms_reasm *r);
void ms_reasm_add_segment(ms_reasm *r, const ms_segment *seg);
/* Packet time has reached now without a packet (live capture, idle
 * link): flows idle past their timeout are closed. */
void ms_reasm_advance(ms_reasm *r, ms_time now);
/* End of input: every open flow is flushed and closed with reason
 * MS_CLOSE_END_OF_CAPTURE, in order of first packet. */
void ms_reasm_finish(ms_reasm *r, ms_time ts);
const ms_reasm_stats *ms_reasm_stats_get(const ms_reasm *r);
/* Flows in the table (open, and closed ones kept to absorb late packets)
 * and out-of-order bytes held in all: what the limits bound. */
size_t ms_reasm_flow_count(const ms_reasm *r);
uint64_t ms_reasm_held_bytes(const ms_reasm *r);

#endif
