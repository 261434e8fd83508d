/* segment.h: what reassembly takes in, one decoded TCP segment.
 *
 * This is the boundary between capture/ and the core: capture fills it,
 * reassembly consumes it. The payload points into the caller's packet
 * buffer and is valid only for the duration of the call that passes it.
 */
#ifndef MS_SEGMENT_H
#define MS_SEGMENT_H

#include <stdint.h>

/* Packet time as libpcap gives it; the core never reads a clock. */
typedef struct ms_time {
	int64_t sec;
	int32_t usec;
} ms_time;

enum {
	MS_TCP_FIN = 0x01,
	MS_TCP_SYN = 0x02,
	MS_TCP_RST = 0x04,
	MS_TCP_PSH = 0x08,
	MS_TCP_ACK = 0x10,
	MS_TCP_URG = 0x20,
};

#define MS_MAX_VLAN 2

typedef struct ms_segment {
	ms_time ts;
	uint8_t ip_version; /* 4 or 6 */
	uint8_t src[16];    /* IPv4 uses the first 4 bytes, the rest are 0 */
	uint8_t dst[16];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags; /* MS_TCP_* */
	uint16_t window;
	uint8_t vlan_count;
	uint16_t vlan[MS_MAX_VLAN]; /* outermost first */
	const uint8_t *payload;
	uint32_t len;
} ms_segment;

/* Milliseconds from a to b; negative when b is earlier. */
static inline double ms_time_diff_ms(ms_time a, ms_time b)
{
	return (double)(b.sec - a.sec) * 1e3 + (double)(b.usec - a.usec) / 1e3;
}

#endif
