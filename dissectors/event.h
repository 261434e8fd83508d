/* event.h: what the core tells the world, one plain struct per event.
 *
 * Dissectors fill an ms_event on the stack and pass it to the emit
 * callback; sinks (output/) format it. Every pointer in an event refers to
 * memory owned by the core and is valid only during the callback, which
 * is why the core needs no per-event allocation. Text from the traffic is
 * an ms_str: raw bytes, not NUL-terminated, not necessarily UTF-8.
 * The JSON rendering of each field is ../shared/docs/json-events.md.
 */
#ifndef MS_EVENT_H
#define MS_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reassembly/segment.h"

typedef struct ms_str {
	const char *p;
	size_t len;
} ms_str;

#define MS_STR_NULL   ((ms_str){NULL, 0})
#define MS_STR_LIT(s) ((ms_str){(s), sizeof(s) - 1})
/* No redaction: see ms_ev_command.redact_from. */
#define MS_NO_REDACT SIZE_MAX

typedef enum ms_proto {
	MS_PROTO_NONE,
	MS_PROTO_SMTP,
	MS_PROTO_LMTP,
	MS_PROTO_POP3,
	MS_PROTO_IMAP,
} ms_proto;

typedef enum ms_dir {
	MS_DIR_TO_SERVER = 0,
	MS_DIR_TO_CLIENT = 1,
} ms_dir;

typedef enum ms_event_type {
	MS_EV_SESSION_START,
	MS_EV_GREETING,
	MS_EV_COMMAND,
	MS_EV_STATE,
	MS_EV_AUTH,
	MS_EV_TLS,
	MS_EV_MESSAGE,
	MS_EV_ANOMALY,
	MS_EV_SESSION_END,
	MS_EV_MAILBOX, /* IMAP: SELECT/EXAMINE/STATUS result */
	MS_EV_FLAGS,   /* IMAP: a message's flags (FETCH FLAGS, STORE) */
	MS_EV_EXPUNGE, /* IMAP: a message removed (EXPUNGE, VANISHED) */
	/* One protocol line as seen on the wire, for the transcript; only
	 * emitted when ms_config.emit_lines is set, never part of JSON. */
	MS_EV_LINE,
	/* A chunk of the message in transfer, exactly the bytes hashed;
	 * only emitted when ms_config.emit_message_data is set. The message
	 * event that follows the last chunk closes it. */
	MS_EV_MESSAGE_DATA,
	/* A MIME leaf part of the message in transfer, decoded: its start,
	 * its bytes, its end; only with ms_config.emit_message_data. */
	MS_EV_PART,
} ms_event_type;

typedef struct ms_endpoint {
	uint8_t ip_version;
	uint8_t ip[16];
	uint16_t port;
} ms_endpoint;

typedef struct ms_ev_session_start {
	ms_endpoint client, server;
	bool midstream;
	uint8_t vlan_count;
	uint16_t vlan[MS_MAX_VLAN];
} ms_ev_session_start;

/* A server reply (POP3 status line, SMTP reply, IMAP tagged response). */
typedef struct ms_reply {
	ms_str status;    /* "+OK", "-ERR", "OK", "NO", "BAD"; empty for SMTP */
	int code;         /* SMTP reply code, 0 otherwise */
	ms_str enhanced;  /* SMTP enhanced status code, e.g. "2.1.0" */
	ms_str resp_code; /* POP3 [IN-USE] / IMAP [READ-WRITE], no brackets */
	ms_str text;      /* the status line's text */
	const ms_str *text_lines; /* SMTP multi-line: each line's text */
	size_t text_line_count;
	uint32_t line_count; /* every line, data lines included */
	uint64_t bytes;      /* on the wire */
	ms_time ts;          /* when the reply completed */
	double rtt_ms;       /* from the command's last byte */
} ms_reply;

typedef struct ms_ev_greeting {
	ms_reply reply;
} ms_ev_greeting;

typedef struct ms_ev_command {
	ms_str verb; /* upper-cased */
	ms_str args; /* as sent */
	/* args[redact_from..] is a secret (a password, a SASL response):
	 * sinks show it only when asked to. MS_NO_REDACT when none. */
	size_t redact_from;
	ms_str tag;      /* IMAP */
	uint64_t seq;    /* 1-based position among the session's commands */
	bool pipelined;  /* sent before the previous command's reply ended */
	bool unanswered; /* the session ended before a reply */
	/* EHLO/LHLO: the extensions the server announced (RFC 5321
	 * §4.1.1.1), one per reply line after the first */
	const ms_str *capabilities;
	size_t capability_count;
	ms_reply reply;
} ms_ev_command;

typedef struct ms_ev_state {
	const char *from, *to;
	ms_str cause; /* the verb, or "greeting", "close" */
} ms_ev_state;

typedef struct ms_ev_auth {
	const char *mechanism; /* "USER", "APOP", "PLAIN", "LOGIN", ... */
	ms_str user;
	ms_str password; /* secret; empty when not seen (APOP, CRAM-MD5) */
	bool success;
} ms_ev_auth;

typedef struct ms_ev_tls {
	const char *trigger; /* "STARTTLS", "STLS", "implicit" */
} ms_ev_tls;

typedef struct ms_headers {
	ms_str from, subject, date, message_id, in_reply_to, x_mailer,
	        user_agent, received_first, received_last;
	const ms_str *to, *cc;
	size_t to_count, cc_count;
	uint32_t received_count;
} ms_headers;

/* ESMTP parameters (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8,
 * RFC 3461 RET, ENVID, NOTIFY, ORCPT, RFC 4954 AUTH), as sent. */
typedef struct ms_smtp_params {
	ms_str size, body, ret, envid, auth, notify, orcpt;
	bool smtputf8;
	ms_str other; /* parameters not listed above, space-separated */
} ms_smtp_params;

/* One RCPT of an SMTP transaction with its own reply. */
typedef struct ms_rcpt {
	ms_str addr;
	ms_smtp_params params;
	bool answered, accepted;
	int code;
	ms_str enhanced, text;
	/* LMTP: this recipient's reply after the data (RFC 2033 §4.2) */
	bool has_delivery, delivered;
	int delivery_code;
	ms_str delivery_enhanced, delivery_text;
} ms_rcpt;

struct ms_mime_part; /* dissectors/mime.h */

typedef struct ms_ev_message {
	ms_dir direction;
	const char *via; /* "RETR", "TOP", "DATA", "BDAT", "FETCH", "APPEND" */
	uint32_t index;  /* 1-based among the session's messages */
	bool complete;
	bool partial; /* TOP, partial FETCH: not the whole message */
	uint64_t size;
	uint64_t missing_bytes;
	char sha256[65]; /* hex */
	uint32_t number; /* POP3 message number, 0 when not applicable */
	ms_str uidl;     /* POP3, when the session listed it */
	const ms_headers *headers; /* NULL when no header block was seen */
	/* the MIME leaf parts, in order (dissectors/mime.h) */
	const struct ms_mime_part *parts;
	size_t part_count;
	/* SMTP and LMTP: the envelope and the server's verdict */
	bool has_envelope;
	ms_str mail_from;
	ms_smtp_params mail_params;
	const ms_rcpt *rcpt;
	size_t rcpt_count;
	bool has_final; /* the final reply to DATA / BDAT LAST was seen */
	bool accepted;
	ms_reply final;
	ms_str queue_id;
	/* IMAP: the mailbox, the message's UID and sequence number (0 when
	 * unknown), the body section (has_section; "" for the whole
	 * message) and, for APPEND, the flags given */
	ms_str mailbox;
	uint32_t uid, seq;
	bool has_section;
	ms_str section;
	const ms_str *flags;
	size_t flag_count;
} ms_ev_message;

/* IMAP mailbox status (RFC 3501 §7.3.1, §7.1, §7.2.4); zero and false
 * fields are unknown. */
typedef struct ms_ev_mailbox {
	ms_str mailbox;
	bool has_exists, has_recent, has_flags, has_read_only;
	uint32_t exists, recent, uidvalidity, uidnext;
	bool read_only;
	const ms_str *flags;
	size_t flag_count;
} ms_ev_mailbox;

/* IMAP flags of one message (RFC 3501 §7.4.2 FLAGS); added and removed
 * only when the message's previous flags were known (has_change). */
typedef struct ms_ev_flags {
	ms_str mailbox;
	uint32_t seq, uid;
	const ms_str *flags, *added, *removed;
	size_t flag_count, added_count, removed_count;
	bool has_change;
} ms_ev_flags;

/* IMAP EXPUNGE (RFC 3501 §7.4.1) or VANISHED (RFC 7162 §3.2.10). */
typedef struct ms_ev_expunge {
	ms_str mailbox;
	uint32_t seq, uid; /* 0 when unknown */
} ms_ev_expunge;

typedef struct ms_ev_anomaly {
	const char *code; /* documented in docs/anomalies.md */
	ms_dir dir;
	ms_str detail;
} ms_ev_anomaly;

typedef struct ms_ev_session_end {
	const char *reason; /* quit, fin, rst, timeout, evicted,
	                       end_of_capture */
	const char *state;
	double duration_s;
	uint64_t bytes[2]; /* indexed by ms_dir */
	uint64_t tls_bytes;
	uint64_t commands, messages, gaps, gap_bytes, anomalies;
	/* Only one direction carried bytes (a mirror port or tap that saw
	 * one side): its name, else NULL. */
	const char *one_sided;
	ms_str user; /* the last user a login succeeded for */
	/* POP3 */
	bool has_update;
	bool update_applied;
	const uint32_t *deleted;
	size_t deleted_count;
} ms_ev_session_end;

typedef enum ms_line_kind {
	MS_LINE_COMMAND,     /* a client command line */
	MS_LINE_REPLY,       /* a server status/data line */
	MS_LINE_SASL,        /* a SASL exchange line, either side */
	MS_LINE_MESSAGE,     /* a line of message content */
	MS_LINE_MESSAGE_END, /* the line ending a message (".") */
} ms_line_kind;

typedef struct ms_ev_line {
	ms_dir dir;
	ms_line_kind kind;
	ms_str text; /* without the line ending */
	size_t redact_from;
	bool bare_lf;
} ms_ev_line;

typedef struct ms_ev_message_data {
	const uint8_t *p;
	size_t n;
} ms_ev_message_data;

typedef enum ms_part_phase {
	MS_PART_BEGIN,
	MS_PART_DATA,
	MS_PART_END,
} ms_part_phase;

typedef struct ms_ev_part {
	ms_part_phase phase;
	const struct ms_mime_part *part; /* at begin and end */
	const uint8_t *p;                /* decoded bytes, at data */
	size_t n;
} ms_ev_part;

typedef struct ms_event {
	ms_event_type type;
	ms_time ts;
	uint64_t session;
	ms_proto proto;
	const char *community_id;
	union {
		ms_ev_session_start start;
		ms_ev_greeting greeting;
		ms_ev_command command;
		ms_ev_state state;
		ms_ev_auth auth;
		ms_ev_tls tls;
		ms_ev_message message;
		ms_ev_anomaly anomaly;
		ms_ev_session_end end;
		ms_ev_mailbox mailbox;
		ms_ev_flags flags;
		ms_ev_expunge expunge;
		ms_ev_line line;
		ms_ev_message_data data;
		ms_ev_part part;
	} u;
} ms_event;

typedef void (*ms_emit_fn)(void *user, const ms_event *ev);

const char *ms_proto_name(ms_proto p);
const char *ms_dir_name(ms_dir d);

#endif
