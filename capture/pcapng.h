/* pcapng.h: a small pcapng block reader, internal to capture/.
 *
 * Exists because Debian 12's libpcap 1.10.3 refuses pcapng files whose
 * interfaces differ in link type or snapshot length; source.c falls back
 * to this reader for them. It knows the Section Header, Interface
 * Description, Enhanced Packet, Simple Packet and obsolete Packet blocks
 * and skips every other block type. Each block is bounds-checked before
 * anything is allocated, so a corrupt file ends in an error, not a crash.
 * No libpcap here: link types come out as the file's LINKTYPE_ values.
 */
#ifndef MS_PCAPNG_H
#define MS_PCAPNG_H

#include <stdint.h>
#include <stdio.h>

#include "reassembly/segment.h"

/* Larger blocks are rejected as corrupt rather than allocated. */
#define MS_PCAPNG_MAX_BLOCK (64u << 20)

typedef struct ms_pcapng ms_pcapng;

typedef struct ms_pcapng_packet {
	ms_time ts;        /* {0, 0} for a Simple Packet Block */
	uint32_t linktype; /* LINKTYPE_ value of the packet's interface */
	uint32_t ifid;     /* interface index within the current section */
	const uint8_t *data;
	uint32_t caplen, wirelen;
} ms_pcapng_packet;

typedef enum ms_pcapng_status {
	MS_PCAPNG_PACKET = 1,
	MS_PCAPNG_END = 0,
	MS_PCAPNG_ERROR = -1,
} ms_pcapng_status;

/* Reads from f's current position, which must be the start of a Section
 * Header Block. f stays the caller's. size is the file's size in bytes
 * (0 when unknown); blocks claiming more than what is left are rejected
 * before any allocation. Returns NULL only when out of memory. */
ms_pcapng *ms_pcapng_new(FILE *f, uint64_t size);
/* The packet's data stays valid until the next call. */
ms_pcapng_status ms_pcapng_next(ms_pcapng *r, ms_pcapng_packet *out);
/* One line, naming the byte offset of the offending block. */
const char *ms_pcapng_error(const ms_pcapng *r);
void ms_pcapng_free(ms_pcapng *r);

#endif
