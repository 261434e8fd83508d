/* config.h: every limit and switch of the core, with its default.
 * The CLI maps options onto these fields; the core never reads globals. */
#ifndef MS_CONFIG_H
#define MS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissectors/event.h"
#include "reassembly/reassembly.h"

/* Port table entries: the protocol, plus a flag for implicit TLS. */
#define MS_PORT_PROTO_MASK 0x0f
#define MS_PORT_TLS        0x80

typedef struct ms_config {
	ms_reasm_limits reasm;
	size_t max_line;      /* bytes in one protocol line */
	size_t max_header;    /* bytes of a message's header block kept */
	uint32_t max_pending; /* commands awaiting a reply */
	/* IMAP: bytes in one literal, and messages of the selected mailbox
	 * whose UID and flags are kept */
	uint64_t max_literal;
	uint32_t max_imap_messages;
	uint16_t community_id_seed;
	bool emit_lines;        /* MS_EV_LINE events, for the transcript */
	bool emit_message_data; /* MS_EV_MESSAGE_DATA, for extraction */
	uint8_t ports[65536];   /* server port -> ms_proto | MS_PORT_TLS */
} ms_config;

#define MS_MAX_LINE_DEFAULT    8192
#define MS_MAX_HEADER_DEFAULT  (64u << 10)
#define MS_MAX_PENDING_DEFAULT 128

#define MS_MAX_LITERAL_DEFAULT       (1ull << 30)
#define MS_MAX_IMAP_MESSAGES_DEFAULT 100000

/* Defaults: 25, 587 SMTP; 465 SMTP over TLS; 24 LMTP; 110 POP3 and 995
 * over TLS; 143 IMAP and 993 over TLS. */
void ms_config_default(ms_config *cfg);

#endif
