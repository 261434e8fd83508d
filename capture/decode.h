/* decode.h: link, IPv4/IPv6 and TCP decoding of one captured frame.
 *
 * Owns the IP fragment table, IPv4 and IPv6, bounded by ms_decoder_limits
 * (when full, the oldest datagrams are evicted). Performs no I/O: frames
 * come in as bytes, a TCP segment view comes out. Every frame that is not
 * a usable TCP segment gets a result saying why, which the caller counts;
 * nothing here is fatal.
 *
 * Link types are LINKTYPE_/DLT_ values as pcap_datalink() returns them:
 * Ethernet (1, with 802.1Q/802.1ad/QinQ tags), BSD null (0) and loopback
 * (108), raw IP (12, 14, 101), IPv4 (228), IPv6 (229), Linux SLL (113)
 * and SLL2 (276).
 */
#ifndef MS_DECODE_H
#define MS_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "reassembly/segment.h"

typedef enum ms_decode_result {
	MS_DECODE_OK = 0,     /* *out holds a TCP segment */
	MS_DECODE_FRAG_HELD,  /* an IP fragment was stored; nothing yet */
	MS_DECODE_NOT_IP,     /* ARP, LLDP, ... */
	MS_DECODE_NOT_TCP,    /* UDP, ICMP, ... */
	MS_DECODE_TRUNCATED,  /* caplen shorter than the headers need */
	MS_DECODE_MALFORMED,  /* bad version, header length, total length */
	MS_DECODE_BAD_LINK,   /* link type not supported */
	MS_DECODE_FRAG_LIMIT, /* limit hit: oldest evicted, or this dropped */
	MS_DECODE_FRAG_BAD,   /* overlapping/inconsistent fragments */
	MS_DECODE_RESULT_COUNT
} ms_decode_result;

typedef struct ms_decoder_limits {
	uint32_t frag_max_datagrams; /* datagrams being reassembled at once */
	uint32_t frag_max_bytes;     /* bytes held for all of them together */
	uint32_t frag_timeout_s;     /* in packet time */
} ms_decoder_limits;

#define MS_FRAG_MAX_DATAGRAMS_DEFAULT 1024
#define MS_FRAG_MAX_BYTES_DEFAULT     (16u << 20)
#define MS_FRAG_TIMEOUT_DEFAULT       30

typedef struct ms_decoder ms_decoder;

/* NULL limits means the defaults. Returns NULL only when out of memory. */
ms_decoder *ms_decoder_new(const ms_decoder_limits *limits);
void ms_decoder_free(ms_decoder *d);

/* Decodes one frame. On MS_DECODE_OK, out->payload points either into
 * pkt or, for a reassembled datagram, into the decoder's own buffer;
 * either way it is valid until the next call. */
ms_decode_result ms_decoder_decode(ms_decoder *d, int linktype,
                                   const uint8_t *pkt, uint32_t caplen,
                                   ms_time ts, ms_segment *out);

/* Stable snake_case names for counters and the stats event
 * ("truncated", "non_tcp", ...; contract v1 names). */
const char *ms_decode_result_name(ms_decode_result r);

#endif
