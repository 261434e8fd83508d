/* source.h: where frames come from, through libpcap.
 *
 * Offline: a pcap or pcapng file, or "-" for stdin. Live: an interface
 * with an optional BPF filter. A pcapng file whose interfaces have
 * different link types (which Debian 12's libpcap 1.10.3 refuses) is read
 * by a small pcapng block reader of our own, per interface link type.
 * This is the only module that touches libpcap.
 */
#ifndef MS_SOURCE_H
#define MS_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "reassembly/segment.h"

typedef struct ms_source_options {
	const char *file;   /* offline: path or "-"; NULL for live */
	const char *iface;  /* live: interface name */
	const char *filter; /* BPF filter expression, or NULL */
	int snaplen;        /* live; 0 means 262144 */
	int promisc;        /* live */
	int timeout_ms;     /* live read timeout; 0 means 200 */
} ms_source_options;

typedef struct ms_frame {
	ms_time ts;
	int linktype; /* DLT_ value of the frame's interface, as
	                 pcap_datalink() gives it: LINKTYPE_RAW (101) in a
	                 file comes out as DLT_RAW (12 on Linux) */
	const uint8_t *data;
	uint32_t caplen, wirelen;
} ms_frame;

typedef enum ms_source_status {
	MS_SOURCE_FRAME = 1,    /* *out holds a frame */
	MS_SOURCE_END = 0,      /* end of file, or ms_source_break() */
	MS_SOURCE_TIMEOUT = -1, /* live: no frame within the read timeout */
	MS_SOURCE_ERROR = -2,   /* ms_source_error() says why, e.g. a file
	                           cut in the middle of a packet */
} ms_source_status;

typedef struct ms_source_stats {
	uint64_t received, dropped, if_dropped; /* live only (pcap_stats) */
} ms_source_stats;

typedef struct ms_source ms_source;

/* Returns NULL with a one-line reason in errbuf on failure, e.g.
 * "missing.pcap: No such file or directory". On success errbuf is empty
 * or holds a one-line warning from activating a live capture. */
ms_source *ms_source_open(const ms_source_options *opt, char *errbuf,
                          size_t errlen);
/* The frame's data stays valid until the next call. After an ERROR,
 * every further call returns ERROR again. */
ms_source_status ms_source_next(ms_source *s, ms_frame *out);
/* One line starting with the file or interface name ("stdin" for "-");
 * empty while there was no error. */
const char *ms_source_error(const ms_source *s);
int ms_source_is_live(const ms_source *s);
/* Offline: bytes of the file consumed so far and its total size (0 when
 * unknown: a pipe, e.g. stdin not redirected from a regular file), for
 * the progress display. */
void ms_source_progress(const ms_source *s, uint64_t *done, uint64_t *total);
/* Live: libpcap's counters. Returns 0 on success; offline, or when
 * pcap_stats() fails, -1 with *st zeroed. */
int ms_source_stats_get(ms_source *s, ms_source_stats *st);
/* Async-signal-safe: makes the next ms_source_next() return END. A live
 * wait in progress ends at once when called from a signal handler that
 * interrupted it, otherwise within the read timeout. */
void ms_source_break(ms_source *s);
void ms_source_close(ms_source *s);

#endif
