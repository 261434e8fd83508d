/* imap.c: IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051), with LITERAL+
 * (RFC 7888), BINARY (RFC 3516), IDLE (RFC 2177), SASL-IR (RFC 4959),
 * UNSELECT (RFC 3691), MOVE (RFC 6851), QRESYNC's VANISHED (RFC 7162)
 * and COMPRESS=DEFLATE (RFC 4978).
 *
 * Each direction is framed into "logical lines": a command or response
 * is a line that may carry literals, after each of which it goes on
 * (RFC 3501 §4.3, §7.5). Physical lines come from the shared line framer;
 * a line ending in a literal marker switches the side to taking that
 * many bytes by count, straight into the message stage when they are a
 * message (APPEND, FETCH BODY[]), else kept in the logical line up to its
 * bound. Tagged replies find their command by tag (RFC 3501 §2.2.1: a
 * client may have several in flight, answered in any order); untagged
 * data applies to the session's selected mailbox.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "dissectors/command.h"
#include "dissectors/imap.h"
#include "dissectors/lines.h"
#include "dissectors/sasl.h"
#include "dissectors/session.h"

/* RFC 3501 §3 / RFC 9051 §3: the connection's states. UNKNOWN is ours: a
 * capture that began after the greeting cannot tell. */
typedef enum imap_state {
	IMAP_NOT_AUTHENTICATED,
	IMAP_AUTHENTICATED,
	IMAP_SELECTED,
	IMAP_LOGOUT,
	IMAP_UNKNOWN,
} imap_state;

static const char *const state_names[] = {"NOT_AUTHENTICATED", "AUTHENTICATED",
                                          "SELECTED", "LOGOUT", "UNKNOWN"};

typedef enum imap_verb {
	V_CAPABILITY,
	V_NOOP,
	V_LOGOUT,
	V_STARTTLS,
	V_AUTHENTICATE,
	V_LOGIN,
	V_ENABLE,
	V_SELECT,
	V_EXAMINE,
	V_CREATE,
	V_DELETE,
	V_RENAME,
	V_SUBSCRIBE,
	V_UNSUBSCRIBE,
	V_LIST,
	V_LSUB,
	V_NAMESPACE,
	V_STATUS,
	V_APPEND,
	V_IDLE,
	V_CHECK,
	V_CLOSE,
	V_UNSELECT,
	V_EXPUNGE,
	V_SEARCH,
	V_FETCH,
	V_STORE,
	V_COPY,
	V_MOVE,
	V_UID,
	V_ID,
	V_COMPRESS,
	V_UNKNOWN,
} imap_verb;

#define ANY                                                                    \
	(1u << IMAP_NOT_AUTHENTICATED | 1u << IMAP_AUTHENTICATED |             \
	 1u << IMAP_SELECTED)
#define NA (1u << IMAP_NOT_AUTHENTICATED)
#define AU (1u << IMAP_AUTHENTICATED | 1u << IMAP_SELECTED)
#define SE (1u << IMAP_SELECTED)

/* Where each command is valid: RFC 3501 §6.1 (any state), §6.2 (not
 * authenticated), §6.3 (authenticated, and so selected too), §6.4
 * (selected); RFC 5161 ENABLE, RFC 2177 IDLE, RFC 3691 UNSELECT, RFC 6851
 * MOVE, RFC 2971 ID, RFC 4978 COMPRESS. */
static const struct verb_info {
	const char *name;
	unsigned states;
} verbs[] = {
        [V_CAPABILITY] = {"CAPABILITY", ANY},
        [V_NOOP] = {"NOOP", ANY},
        [V_LOGOUT] = {"LOGOUT", ANY},
        [V_STARTTLS] = {"STARTTLS", NA},
        [V_AUTHENTICATE] = {"AUTHENTICATE", NA},
        [V_LOGIN] = {"LOGIN", NA},
        [V_ENABLE] = {"ENABLE", AU},
        [V_SELECT] = {"SELECT", AU},
        [V_EXAMINE] = {"EXAMINE", AU},
        [V_CREATE] = {"CREATE", AU},
        [V_DELETE] = {"DELETE", AU},
        [V_RENAME] = {"RENAME", AU},
        [V_SUBSCRIBE] = {"SUBSCRIBE", AU},
        [V_UNSUBSCRIBE] = {"UNSUBSCRIBE", AU},
        [V_LIST] = {"LIST", AU},
        [V_LSUB] = {"LSUB", AU},
        [V_NAMESPACE] = {"NAMESPACE", AU},
        [V_STATUS] = {"STATUS", AU},
        [V_APPEND] = {"APPEND", AU},
        [V_IDLE] = {"IDLE", AU},
        [V_CHECK] = {"CHECK", SE},
        [V_CLOSE] = {"CLOSE", SE},
        [V_UNSELECT] = {"UNSELECT", SE},
        [V_EXPUNGE] = {"EXPUNGE", SE},
        [V_SEARCH] = {"SEARCH", SE},
        [V_FETCH] = {"FETCH", SE},
        [V_STORE] = {"STORE", SE},
        [V_COPY] = {"COPY", SE},
        [V_MOVE] = {"MOVE", SE},
        [V_UID] = {"UID", SE},
        [V_ID] = {"ID", ANY},
        [V_COMPRESS] = {"COMPRESS", AU},
        [V_UNKNOWN] = {"", 0},
};

#define TAG_MAX    64
#define NAME_MAX_  256 /* a mailbox name, user, password kept */
#define LITS_MAX   64  /* literals in one logical line */
#define TOKS_MAX   1024
#define FLAGS_MAX  64 /* distinct flag names tracked per session */
#define FLAG_LEN   48
#define BOX_FLAGS  512
#define SASL_MAX   4
#define SASL_LEN   1024
#define ZOUT_SIZE  16384
#define VANISH_MAX 4096 /* UIDs expanded from one VANISHED */

/* What the bytes of the literal being read are for. */
typedef enum lit_kind {
	LIT_KEEP,    /* kept in the logical line, up to its bound */
	LIT_MESSAGE, /* a message: to the message stage (zero copy) */
} lit_kind;

/* How a direction's bytes are being read. */
typedef enum side_mode {
	MODE_LINE,    /* a physical line (RFC 3501 §2.2: ends in CRLF) */
	MODE_LITERAL, /* a literal's octets, by count (RFC 3501 §4.3) */
	MODE_RESYNC,  /* after a gap: dropping up to a line that parses */
	MODE_DEAD,    /* compressed bytes that cannot be inflated: counted */
} side_mode;

typedef struct imap_side {
	/* permanent for the session */
	ms_lines lines;
	char *buf; /* the logical line, cfg->max_line bytes */
	size_t cap;
	side_mode mode;
	bool resync_partial; /* MODE_RESYNC: the cut line has not ended */
	z_stream z;
	bool z_init, z_on;
	bool z_start; /* compression starts after the line just read */
	/* reset per logical line */
	size_t len;
	size_t piece; /* where the current physical line starts in buf */
	ms_imap_lit lits[LITS_MAX];
	size_t nlits;
	uint64_t lit_left; /* MODE_LITERAL: bytes still to come */
	lit_kind kind;
	ms_imap_lit *lit; /* the literal being read; NULL when unrecorded */
	uint64_t raw;     /* bytes of the logical line on the wire */
	bool overflow;    /* the line was cut at cap */
} imap_side;

typedef struct imap_cmd {
	ms_cmd c; /* verb, arguments, seq, ts */
	bool used;
	imap_verb verb;
	bool uid; /* UID FETCH, UID STORE, ... (RFC 3501 §6.4.8) */
	char tag[TAG_MAX];
	size_t tag_len;
	/* the mailbox (SELECT, EXAMINE), the user (LOGIN), the mechanism
	 * (AUTHENTICATE) */
	char arg[NAME_MAX_];
	size_t arg_len;
	char secret[NAME_MAX_]; /* LOGIN's password */
	size_t secret_len;
	/* untagged responses that came while it was the oldest in flight */
	uint32_t lines;
	uint64_t bytes;
} imap_cmd;

/* What is known of one message of the selected mailbox, by sequence
 * number (RFC 3501 §2.3.1). Flags are bits of the session's name table. */
typedef struct imap_msg {
	uint32_t uid;
	uint64_t flags;
	bool flags_known;
} imap_msg;

/* The SELECT/EXAMINE being answered (RFC 3501 §6.3.1). */
typedef struct imap_box {
	uint32_t exists, recent, uidvalidity, uidnext;
	bool has_exists, has_recent, has_flags;
	char flags[BOX_FLAGS]; /* names separated by spaces */
	size_t flags_len;
} imap_box;

typedef struct imap {
	/* permanent for the session */
	imap_side side[2];
	uint8_t *zout;  /* inflated bytes, ZOUT_SIZE */
	imap_cmd *cmds; /* cfg->max_pending slots */
	size_t ncmds;
	uint64_t seq;
	imap_state state;
	bool greeted;
	char mailbox[NAME_MAX_]; /* the selected one */
	size_t mailbox_len;
	imap_msg *msgs; /* by sequence number - 1 */
	size_t nmsgs, msgs_cap;
	bool msgs_full_reported;
	char flag_names[FLAGS_MAX][FLAG_LEN];
	size_t flag_len[FLAGS_MAX], nflags;
	bool idle;      /* IDLE sent: "DONE" ends it (RFC 2177 §3) */
	imap_cmd *sasl; /* the AUTHENTICATE in progress */
	char sasl_buf[SASL_MAX][SASL_LEN];
	size_t sasl_len[SASL_MAX], sasl_count;
	char sasl_out[2 * SASL_LEN]; /* the decoded responses */
	imap_box box;
	/* the message of the current or last message literal */
	ms_ev_message msg;
	char msg_box[NAME_MAX_], msg_section[NAME_MAX_];
	char msg_flags_buf[BOX_FLAGS];
	ms_str msg_flags[FLAGS_MAX];
	/* A message whose literal ended, kept until what gives its UID is
	 * read: a FETCH's at the end of its response, since the UID may
	 * follow the body (RFC 3501 §7.4.2); an APPEND's at its command's
	 * tagged reply, whose APPENDUID code names it (RFC 4315 §3). The
	 * stage is shared, so the next message literal sends it out as it
	 * is: at most one message ever waits. */
	bool msg_pending;
	/* The APPEND message waiting: its place among the literals of its
	 * command (RFC 3502 MULTIAPPEND sends several), and, once the
	 * command's line has ended, the command's seq and its number of
	 * messages. */
	uint32_t append_nth, append_count;
	uint64_t append_cmd;
	/* scratch, reused for every line and event */
	ms_imap_token toks[TOKS_MAX];
	ms_str fl[FLAGS_MAX], added[FLAGS_MAX], removed[FLAGS_MAX];
	ms_reply_acc reply;
} imap;

/* ---- small helpers -------------------------------------------------- */

static bool tok_u32(const ms_imap_token *t, uint32_t *out)
{
	uint64_t v = 0;

	if (t->type != MS_IMAP_ATOM || t->len == 0 || t->len > 10)
		return false;
	for (size_t i = 0; i < t->len; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(t->p[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static uint32_t num_at(const char *p, size_t n)
{
	ms_imap_token t = {.type = MS_IMAP_ATOM, .p = p, .len = n};
	uint32_t v = 0;

	return tok_u32(&t, &v) ? v : 0;
}

static size_t upper_copy(char *dst, size_t cap, const char *src, size_t n)
{
	n = ms_copy_bounded(dst, cap, src, n);
	for (size_t i = 0; i < n; i++)
		if (dst[i] >= 'a' && dst[i] <= 'z')
			dst[i] = (char)(dst[i] - 32);
	return n;
}

static void set_state(ms_session *s, imap *im, imap_state to, ms_time ts,
                      ms_str cause)
{
	if (im->state == to)
		return;
	ms_session_state(s, ts, state_names[im->state], state_names[to], cause);
	im->state = to;
}

static imap_side *side_of(imap *im, ms_dir dir)
{
	return &im->side[dir];
}

/* ---- flags ----------------------------------------------------------- */

/* A flag name's bit in the session's table; flags are case-insensitive
 * (RFC 3501 §2.3.2). -1 when the table is full. */
static int flag_bit(imap *im, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < im->nflags; i++)
		if (im->flag_len[i] == n &&
		    strncasecmp(im->flag_names[i], p, n) == 0)
			return (int)i;
	if (im->nflags == FLAGS_MAX || n == 0 || n > FLAG_LEN)
		return -1;
	memcpy(im->flag_names[i], p, n);
	im->flag_len[i] = n;
	im->nflags++;
	return (int)i;
}

static size_t mask_names(const imap *im, uint64_t mask, ms_str *out)
{
	size_t n = 0;

	for (size_t i = 0; i < im->nflags; i++)
		if (mask & (1ull << i))
			out[n++] = (ms_str){im->flag_names[i], im->flag_len[i]};
	return n;
}

/* The flags of a list that starts at toks[i] (a '('); *end is set past
 * its ')'. Returns the mask; names go to out (bounded). */
static uint64_t flag_list(imap *im, size_t i, size_t n, size_t *end,
                          ms_str *out, size_t *count)
{
	const ms_imap_token *t = im->toks;
	int depth = t[i].depth;
	uint64_t mask = 0;

	*count = 0;
	for (i++;
	     i < n && !(t[i].type == MS_IMAP_LIST_CLOSE && t[i].depth == depth);
	     i++) {
		int bit;
		if (t[i].type != MS_IMAP_ATOM)
			continue;
		if (*count < FLAGS_MAX)
			out[(*count)++] = (ms_str){t[i].p, t[i].len};
		if ((bit = flag_bit(im, t[i].p, t[i].len)) >= 0)
			mask |= 1ull << bit;
	}
	*end = i < n ? i + 1 : n;
	return mask;
}

/* ---- messages of the selected mailbox ------------------------------- */

static imap_msg *msg_at(ms_session *s, imap *im, uint32_t seq, bool grow,
                        ms_time ts)
{
	if (seq == 0)
		return NULL;
	if (seq > im->nmsgs && grow) {
		size_t want = seq;
		if (want > s->cfg->max_imap_messages) {
			if (!im->msgs_full_reported)
				ms_session_anomaly(
				        s, ts, MS_DIR_TO_CLIENT,
				        "limit_imap_messages",
				        "more than %u messages in the mailbox",
				        (unsigned)s->cfg->max_imap_messages);
			im->msgs_full_reported = true;
			return NULL;
		}
		if (want > im->msgs_cap) {
			size_t cap = im->msgs_cap ? im->msgs_cap : 64;
			imap_msg *nm;
			while (cap < want)
				cap *= 2;
			nm = realloc(im->msgs, cap * sizeof(*nm));
			if (!nm)
				return NULL;
			im->msgs = nm;
			im->msgs_cap = cap;
		}
		memset(im->msgs + im->nmsgs, 0,
		       (want - im->nmsgs) * sizeof(*im->msgs));
		im->nmsgs = want;
	}
	return seq <= im->nmsgs ? &im->msgs[seq - 1] : NULL;
}

static uint32_t seq_of_uid(const imap *im, uint32_t uid)
{
	for (size_t i = 0; i < im->nmsgs; i++)
		if (im->msgs[i].uid == uid)
			return (uint32_t)i + 1;
	return 0;
}

static void mailbox_forget(imap *im)
{
	im->nmsgs = 0;
	im->msgs_full_reported = false;
}

static ms_str mailbox_str(const imap *im)
{
	return im->mailbox_len ? (ms_str){im->mailbox, im->mailbox_len}
	                       : MS_STR_NULL;
}

/* ---- events ----------------------------------------------------------- */

static void emit_command(ms_session *s, imap_cmd *c, const ms_reply_acc *r,
                         ms_time ts)
{
	ms_event ev;
	ms_ev_command *e = &ev.u.command;

	memset(&ev, 0, sizeof(ev));
	e->tag = (ms_str){c->tag, c->tag_len};
	e->verb = (ms_str){c->c.verb, c->c.verb_len};
	e->args = (ms_str){c->c.args, c->c.args_len};
	e->redact_from = c->c.redact_from;
	e->seq = c->c.seq;
	e->pipelined = c->c.pipelined;
	e->unanswered = r == NULL;
	if (r)
		ms_reply_fill(r, &e->reply, c->c.ts, ts);
	s->commands++;
	ms_session_emit(s, &ev, MS_EV_COMMAND, r ? ts : c->c.ts);
}

static void emit_flags(ms_session *s, imap *im, uint32_t seq, uint32_t uid,
                       const ms_str *names, size_t count, const imap_msg *old,
                       uint64_t mask, ms_time ts)
{
	ms_event ev;
	ms_ev_flags *f = &ev.u.flags;

	memset(&ev, 0, sizeof(ev));
	f->mailbox = mailbox_str(im);
	f->seq = seq;
	f->uid = uid;
	f->flags = names;
	f->flag_count = count;
	if (old && old->flags_known) {
		f->has_change = true;
		f->added = im->added;
		f->added_count = mask_names(im, mask & ~old->flags, im->added);
		f->removed = im->removed;
		f->removed_count =
		        mask_names(im, old->flags & ~mask, im->removed);
	}
	ms_session_emit(s, &ev, MS_EV_FLAGS, ts);
}

static void emit_expunge(ms_session *s, imap *im, uint32_t seq, uint32_t uid,
                         ms_time ts)
{
	ms_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.u.expunge.mailbox = mailbox_str(im);
	ev.u.expunge.seq = seq;
	ev.u.expunge.uid = uid;
	ms_session_emit(s, &ev, MS_EV_EXPUNGE, ts);
}

/* Splits space-separated names (a box's FLAGS) into im->fl. */
static size_t split_names(imap *im, const char *p, size_t n)
{
	size_t count = 0, i = 0;

	while (i < n && count < FLAGS_MAX) {
		const char *sp = memchr(p + i, ' ', n - i);
		size_t e = sp ? (size_t)(sp - p) : n;
		if (e > i)
			im->fl[count++] = (ms_str){p + i, e - i};
		i = e + 1;
	}
	return count;
}

static void emit_mailbox(ms_session *s, imap *im, const imap_box *b,
                         ms_str name, bool has_ro, bool ro, ms_time ts)
{
	ms_event ev;
	ms_ev_mailbox *m = &ev.u.mailbox;

	memset(&ev, 0, sizeof(ev));
	m->mailbox = name;
	m->has_exists = b->has_exists;
	m->exists = b->exists;
	m->has_recent = b->has_recent;
	m->recent = b->recent;
	m->uidvalidity = b->uidvalidity;
	m->uidnext = b->uidnext;
	m->has_read_only = has_ro;
	m->read_only = ro;
	if (b->has_flags) {
		m->has_flags = true;
		m->flags = im->fl;
		m->flag_count = split_names(im, b->flags, b->flags_len);
	}
	ms_session_emit(s, &ev, MS_EV_MAILBOX, ts);
}

/* ---- the message stage -------------------------------------------- */

static void message_emit(ms_session *s, imap *im, ms_time ts)
{
	ms_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.u.message = im->msg;
	ev.u.message.index = (uint32_t)++s->messages;
	ms_session_emit(s, &ev, MS_EV_MESSAGE, ts);
	im->msg_pending = false;
}

static void message_finish(ms_session *s, imap *im, ms_dir dir, ms_time ts)
{
	if (ms_message_end(&s->msg, &im->msg))
		ms_session_anomaly(s, ts, dir, "header_too_long",
		                   "header block over %zu bytes",
		                   s->cfg->max_header);
}

/* The message waiting is an APPEND's (sent to the server) or a FETCH's. */
static bool append_waiting(const imap *im)
{
	return im->msg_pending && im->msg.direction == MS_DIR_TO_SERVER;
}

static bool fetch_waiting(const imap *im)
{
	return im->msg_pending && im->msg.direction == MS_DIR_TO_CLIENT;
}

/* A message literal starts; a message still waiting for its UID goes
 * out first, without it, since the stage is reused. */
static bool message_start(ms_session *s, imap *im, ms_time ts)
{
	if (s->msg.active)
		return false; /* the other direction's message is streaming */
	if (im->msg_pending)
		message_emit(s, im, ts);
	memset(&im->msg, 0, sizeof(im->msg));
	ms_message_begin(&s->msg);
	return true;
}

/* ---- command queue (by tag, RFC 3501 §2.2.1) ------------------------ */

static imap_cmd *cmd_oldest(imap *im)
{
	imap_cmd *best = NULL;

	for (size_t i = 0; i < im->ncmds; i++)
		if (im->cmds[i].used &&
		    (!best || im->cmds[i].c.seq < best->c.seq))
			best = &im->cmds[i];
	return best;
}

static imap_cmd *cmd_by_tag(imap *im, const char *tag, size_t n)
{
	imap_cmd *best = NULL;

	/* a client reusing a tag: the oldest such command is answered */
	for (size_t i = 0; i < im->ncmds; i++) {
		imap_cmd *c = &im->cmds[i];
		if (c->used && c->tag_len == n && memcmp(c->tag, tag, n) == 0 &&
		    (!best || c->c.seq < best->c.seq))
			best = c;
	}
	return best;
}

static void cmd_free(imap *im, imap_cmd *c)
{
	c->used = false;
	if (im->sasl == c)
		im->sasl = NULL;
}

/* A command whose reply will not be read: an APPEND message waiting
 * for it goes out first, without a UID, as it would before the reply. */
static void cmd_unanswered(ms_session *s, imap *im, imap_cmd *c, ms_time ts)
{
	if (append_waiting(im) && im->append_cmd == c->c.seq)
		message_emit(s, im, ts);
	emit_command(s, c, NULL, ts);
	cmd_free(im, c);
}

static size_t cmds_in_flight(const imap *im)
{
	size_t n = 0;

	for (size_t i = 0; i < im->ncmds; i++)
		n += im->cmds[i].used;
	return n;
}

static imap_cmd *cmd_new(ms_session *s, imap *im, ms_time ts)
{
	imap_cmd *c = NULL;

	for (size_t i = 0; i < im->ncmds && !c; i++)
		if (!im->cmds[i].used)
			c = &im->cmds[i];
	if (!c && im->ncmds < s->cfg->max_pending)
		c = &im->cmds[im->ncmds++];
	if (!c) {
		c = cmd_oldest(im);
		ms_session_anomaly(s, ts, MS_DIR_TO_SERVER,
		                   "limit_pending_commands",
		                   "more than %u commands await a reply",
		                   (unsigned)s->cfg->max_pending);
		cmd_unanswered(s, im, c, ts);
	}
	memset(c, 0, offsetof(imap_cmd, c.args));
	memset(&c->used, 0, sizeof(*c) - offsetof(imap_cmd, used));
	c->c.redact_from = MS_NO_REDACT;
	c->c.ts = ts;
	c->c.pipelined = cmds_in_flight(im) > 0;
	c->c.seq = ++im->seq;
	c->used = true;
	return c;
}

static void drain_commands(ms_session *s, imap *im, ms_time ts)
{
	imap_cmd *c;

	while ((c = cmd_oldest(im)))
		cmd_unanswered(s, im, c, ts);
}

/* ---- client commands ------------------------------------------------ */

static imap_verb verb_lookup(const ms_imap_token *t)
{
	for (int i = 0; i < V_UNKNOWN; i++)
		if (ms_imap_is(t, verbs[i].name))
			return (imap_verb)i;
	return V_UNKNOWN;
}

/* The command's verb token: after "UID", the next one. */
static size_t verb_index(const imap *im, size_t n)
{
	return n > 2 && ms_imap_is(&im->toks[1], "UID") ? 2 : 1;
}

static void cmd_fill(imap *im, imap_cmd *c, const imap_side *sd, size_t n)
{
	const ms_imap_token *t = im->toks;
	size_t vi = verb_index(im, n), vend = t[vi].off + t[vi].len;
	size_t from = vend < sd->len && sd->buf[vend] == ' ' ? vend + 1 : vend;

	c->tag_len = ms_copy_bounded(c->tag, TAG_MAX, t[0].p, t[0].len);
	c->uid = vi == 2;
	c->verb = verb_lookup(&t[vi]);
	c->c.kind = (int)c->verb;
	c->c.verb_len =
	        upper_copy(c->c.verb, MS_CMD_VERB_MAX, t[1].p, vend - t[1].off);
	c->c.args_len = ms_copy_bounded(c->c.args, MS_CMD_ARGS_MAX,
	                                sd->buf + from, sd->len - from);
	/* LOGIN's password (RFC 3501 §6.2.3) and AUTHENTICATE's initial
	 * response (RFC 4959) are secrets. */
	if ((c->verb == V_LOGIN || c->verb == V_AUTHENTICATE) && n > vi + 2 &&
	    t[vi + 2].off >= from)
		c->c.redact_from = t[vi + 2].off - from;
	if (n > vi + 1)
		c->arg_len = ms_imap_string(&t[vi + 1], c->arg, NAME_MAX_);
	if (c->verb == V_LOGIN && n > vi + 2)
		c->secret_len =
		        ms_imap_string(&t[vi + 2], c->secret, NAME_MAX_);
}

/* RFC 3501 §6.2.2: the mechanism's responses follow, one per line,
 * until the tagged reply; SASL-IR (RFC 4959 §3) gives the first with the
 * command, "=" standing for an empty one. */
static void sasl_begin(imap *im, imap_cmd *c, size_t n)
{
	size_t vi = verb_index(im, n);

	im->sasl = c;
	im->sasl_count = 0;
	if (n > vi + 2) {
		const ms_imap_token *ir = &im->toks[vi + 2];
		bool empty = ir->len == 1 && ir->p[0] == '=';
		im->sasl_len[0] =
		        empty ? 0
		              : ms_imap_string(ir, im->sasl_buf[0], SASL_LEN);
		im->sasl_count = 1;
	}
}

static void check_state(ms_session *s, const imap *im, const imap_cmd *c,
                        ms_time ts)
{
	if (c->verb == V_UNKNOWN) {
		ms_session_anomaly(s, ts, MS_DIR_TO_SERVER, "unknown_command",
		                   "%.*s", (int)c->c.verb_len, c->c.verb);
		return;
	}
	/* A pipelined command's state is the one the commands before it
	 * leave; only a command sent alone is judged. */
	if (c->c.pipelined || im->state == IMAP_UNKNOWN ||
	    (verbs[c->verb].states & (1u << im->state)))
		return;
	ms_session_anomaly(s, ts, MS_DIR_TO_SERVER, "command_in_wrong_state",
	                   "%.*s in %s", (int)c->c.verb_len, c->c.verb,
	                   state_names[im->state]);
}

/* The APPEND whose line just ended owns the message waiting from that
 * line; its messages are the literals at the line's top level
 * (RFC 3501 §6.3.11, RFC 3502 §6.3.11). */
static void append_link(imap *im, const imap_cmd *c, size_t n)
{
	uint32_t count = 0;

	if (!append_waiting(im) || im->append_cmd)
		return;
	for (size_t i = 0; i < n; i++)
		count += im->toks[i].type == MS_IMAP_LITERAL &&
		         im->toks[i].depth == 0;
	im->append_cmd = c->c.seq;
	im->append_count = count;
}

static void client_command(ms_session *s, imap *im, imap_side *sd, ms_time ts)
{
	size_t n = ms_imap_tokenize(sd->buf, sd->len, sd->lits, sd->nlits,
	                            im->toks, TOKS_MAX);
	imap_cmd *c;

	if (n < 2 || im->toks[0].type != MS_IMAP_ATOM ||
	    im->toks[1].type != MS_IMAP_ATOM) {
		ms_session_anomaly(s, ts, MS_DIR_TO_SERVER, "malformed_command",
		                   "not a tag and a command name");
		return;
	}
	c = cmd_new(s, im, ts);
	cmd_fill(im, c, sd, n);
	check_state(s, im, c, ts);
	switch (c->verb) {
	case V_AUTHENTICATE:
		sasl_begin(im, c, n);
		break;
	case V_IDLE:
		im->idle = true;
		break;
	case V_APPEND:
		append_link(im, c, n);
		break;
	case V_SELECT:
	case V_EXAMINE:
		memset(&im->box, 0, sizeof(im->box));
		break;
	default:
		break;
	}
}

static void client_sasl(imap *im, const imap_side *sd)
{
	if (im->sasl_count == SASL_MAX)
		return;
	im->sasl_len[im->sasl_count] = ms_copy_bounded(
	        im->sasl_buf[im->sasl_count], SASL_LEN, sd->buf, sd->len);
	im->sasl_count++;
}

static void client_line(ms_session *s, imap *im, imap_side *sd, ms_time ts)
{
	if (im->sasl) {
		client_sasl(im, sd);
		return;
	}
	if (im->idle && sd->len == 4 && strncasecmp(sd->buf, "DONE", 4) == 0) {
		im->idle = false;
		return;
	}
	client_command(s, im, sd, ts);
}

/* ---- server responses ------------------------------------------------ */

/* resp-text (RFC 3501 §9): an optional "[code]", then text. */
static void reply_text(imap *im, const char *p, size_t n)
{
	ms_reply_acc *r = &im->reply;

	if (n > 0 && *p == ' ') {
		p++;
		n--;
	}
	if (n > 0 && *p == '[') {
		const char *close = memchr(p, ']', n);
		if (close) {
			r->resp_code_len = ms_copy_bounded(
			        r->resp_code, sizeof(r->resp_code), p + 1,
			        (size_t)(close - p - 1));
			n -= (size_t)(close + 1 - p);
			p = close + 1;
			if (n > 0 && *p == ' ') {
				p++;
				n--;
			}
		}
	}
	ms_reply_set_text(r, p, n);
}

/* Reads "status [code] text" from toks[i] on into im->reply. */
static bool parse_status(imap *im, const imap_side *sd, size_t i, size_t n)
{
	static const char *const known[] = {"OK", "NO", "BAD", "PREAUTH",
	                                    "BYE"};
	const ms_imap_token *t = &im->toks[i];
	size_t end;

	ms_reply_reset(&im->reply);
	if (i >= n)
		return false;
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (ms_imap_is(t, known[k])) {
			im->reply.status_len = upper_copy(
			        im->reply.status, sizeof(im->reply.status),
			        t->p, t->len);
			end = t->off + t->len;
			reply_text(im, sd->buf + end, sd->len - end);
			return true;
		}
	return false;
}

/* A response code's number: "UIDNEXT 4392" -> 4392. */
static uint32_t code_number(const ms_reply_acc *r, const char *name)
{
	size_t n = strlen(name);

	if (r->resp_code_len <= n + 1 ||
	    strncasecmp(r->resp_code, name, n) != 0 || r->resp_code[n] != ' ')
		return 0;
	return num_at(r->resp_code + n + 1, r->resp_code_len - n - 1);
}

static bool code_is(const ms_reply_acc *r, const char *name)
{
	size_t n = strlen(name);

	return r->resp_code_len >= n &&
	       strncasecmp(r->resp_code, name, n) == 0 &&
	       (r->resp_code_len == n || r->resp_code[n] == ' ');
}

static void server_greeting(ms_session *s, imap *im, const imap_side *sd,
                            size_t n, ms_time ts)
{
	ms_event ev;
	ms_str cause = MS_STR_LIT("greeting");

	im->greeted = true;
	if (n < 2 || !ms_imap_is(&im->toks[0], "*") ||
	    !parse_status(im, sd, 1, n) || ms_imap_is(&im->toks[1], "NO") ||
	    ms_imap_is(&im->toks[1], "BAD")) {
		ms_session_anomaly(s, ts, MS_DIR_TO_CLIENT, "malformed_reply",
		                   "greeting is not * OK, PREAUTH or BYE");
		return;
	}
	memset(&ev, 0, sizeof(ev));
	im->reply.line_count = 1;
	im->reply.bytes = sd->raw;
	ms_reply_fill(&im->reply, &ev.u.greeting.reply, ts, ts);
	ms_session_emit(s, &ev, MS_EV_GREETING, ts);
	/* RFC 3501 §7.1.4, §7.1.5 */
	if (ms_imap_is(&im->toks[1], "PREAUTH"))
		set_state(s, im, IMAP_AUTHENTICATED, ts, cause);
	else if (ms_imap_is(&im->toks[1], "BYE"))
		set_state(s, im, IMAP_LOGOUT, ts, cause);
}

static void emit_auth(ms_session *s, imap *im, const imap_cmd *c, bool ok,
                      ms_time ts)
{
	ms_event ev;
	ms_ev_auth *a = &ev.u.auth;

	memset(&ev, 0, sizeof(ev));
	a->success = ok;
	if (c->verb == V_LOGIN) {
		a->mechanism = "LOGIN";
		a->user = (ms_str){c->arg, c->arg_len};
		a->password = (ms_str){c->secret, c->secret_len};
	} else {
		ms_str resp[SASL_MAX];
		ms_sasl_result r;

		for (size_t i = 0; i < im->sasl_count; i++)
			resp[i] = (ms_str){im->sasl_buf[i], im->sasl_len[i]};
		ms_sasl_decode((ms_str){c->arg, c->arg_len}, resp,
		               im->sasl_count, im->sasl_out,
		               sizeof(im->sasl_out), &r);
		a->mechanism = r.mechanism;
		a->user = r.user;
		a->password = r.password;
	}
	ms_session_emit(s, &ev, MS_EV_AUTH, ts);
}

/* One range "a:b" of a sequence set (RFC 3501 §9 sequence-set) at p,
 * "*" being star; returns the offset after it. */
static size_t seq_range(const char *p, size_t i, size_t n, uint32_t star,
                        uint32_t *a, uint32_t *b)
{
	const char *comma = memchr(p + i, ',', n - i);
	size_t e = comma ? (size_t)(comma - p) : n;
	const char *colon = memchr(p + i, ':', e - i);
	size_t e1 = colon ? (size_t)(colon - p) : e;

	*a = p[i] == '*' ? star : num_at(p + i, e1 - i);
	*b = *a;
	if (colon)
		*b = colon[1] == '*' ? star : num_at(colon + 1, e - e1 - 1);
	if (*a > *b) {
		uint32_t tmp = *a;
		*a = *b;
		*b = tmp;
	}
	return e + 1;
}

static bool seqset_has(const char *p, size_t n, uint32_t star, uint32_t v)
{
	for (size_t i = 0; i < n;) {
		uint32_t a, b;
		i = seq_range(p, i, n, star, &a, &b);
		if (a <= v && v <= b)
			return true;
	}
	return false;
}

typedef struct store_ctx {
	ms_session *s;
	imap *im;
	char op; /* '+', '-' or '=' */
	uint64_t mask;
	ms_time ts;
} store_ctx;

static void store_one(store_ctx *x, uint32_t seq)
{
	imap *im = x->im;
	imap_msg *m = seq ? msg_at(x->s, im, seq, false, x->ts) : NULL;
	imap_msg old;
	uint64_t mask;

	if (!m || (x->op != '=' && !m->flags_known))
		return;
	old = *m;
	mask = x->op == '+'   ? old.flags | x->mask
	       : x->op == '-' ? old.flags & ~x->mask
	                      : x->mask;
	if (old.flags_known && mask == old.flags)
		return; /* nothing changed */
	m->flags = mask;
	m->flags_known = true;
	emit_flags(x->s, im, seq, m->uid, im->fl, mask_names(im, mask, im->fl),
	           &old, mask, x->ts);
}

/* STORE with .SILENT (RFC 3501 §6.4.6) gets no FETCH responses: the new
 * flags follow from the old ones, when they are known. */
static void store_silent(ms_session *s, imap *im, const imap_cmd *c, ms_time ts)
{
	size_t n = ms_imap_tokenize(c->c.args, c->c.args_len, NULL, 0, im->toks,
	                            TOKS_MAX);
	const ms_imap_token *t = im->toks;
	store_ctx x = {s, im, '=', 0, ts};
	size_t end, count;

	if (n < 3 || t[1].type != MS_IMAP_ATOM || t[1].len < 12 ||
	    strncasecmp(t[1].p + t[1].len - 7, ".SILENT", 7) != 0)
		return;
	if (t[1].p[0] == '+' || t[1].p[0] == '-')
		x.op = t[1].p[0];
	if (t[2].type == MS_IMAP_LIST_OPEN) {
		x.mask = flag_list(im, 2, n, &end, im->fl, &count);
	} else {
		for (size_t i = 2; i < n; i++) {
			int bit = flag_bit(im, t[i].p, t[i].len);
			if (bit >= 0)
				x.mask |= 1ull << bit;
		}
	}
	/* the messages known, not the set, bound the work: "1:*" */
	for (uint32_t seq = 1; seq <= im->nmsgs; seq++) {
		uint32_t v = c->uid ? im->msgs[seq - 1].uid : seq;
		if (v &&
		    seqset_has(t[0].p, t[0].len,
		               c->uid ? UINT32_MAX : (uint32_t)im->nmsgs, v))
			store_one(&x, seq);
	}
}

static void select_reply(ms_session *s, imap *im, const imap_cmd *c, bool ok,
                         ms_time ts)
{
	const ms_reply_acc *r = &im->reply;
	bool ro = c->verb == V_EXAMINE || code_is(r, "READ-ONLY");

	if (!ok) {
		/* RFC 3501 §6.3.1: a failed SELECT leaves no mailbox
		 * selected. */
		im->mailbox_len = 0;
		mailbox_forget(im);
		if (im->state == IMAP_SELECTED || im->state == IMAP_UNKNOWN)
			set_state(s, im, IMAP_AUTHENTICATED, ts,
			          (ms_str){c->c.verb, c->c.verb_len});
		return;
	}
	im->mailbox_len =
	        ms_copy_bounded(im->mailbox, NAME_MAX_, c->arg, c->arg_len);
	emit_mailbox(s, im, &im->box, (ms_str){im->mailbox, im->mailbox_len},
	             true, ro, ts);
	set_state(s, im, IMAP_SELECTED, ts, (ms_str){c->c.verb, c->c.verb_len});
}

static void compress_start(ms_session *s, imap *im, ms_time ts);

/* What a tagged reply does to the session (RFC 3501 §6). */
static void reply_effects(ms_session *s, imap *im, imap_cmd *c, ms_time ts)
{
	bool ok = im->reply.status_len == 2 &&
	          memcmp(im->reply.status, "OK", 2) == 0;
	ms_str verb = {c->c.verb, c->c.verb_len};

	switch (c->verb) {
	case V_LOGIN:
	case V_AUTHENTICATE:
		emit_auth(s, im, c, ok, ts);
		if (ok)
			set_state(s, im, IMAP_AUTHENTICATED, ts, verb);
		break;
	case V_SELECT:
	case V_EXAMINE:
		select_reply(s, im, c, ok, ts);
		break;
	case V_CLOSE:
	case V_UNSELECT:
		if (ok) {
			im->mailbox_len = 0;
			mailbox_forget(im);
			set_state(s, im, IMAP_AUTHENTICATED, ts, verb);
		}
		break;
	case V_LOGOUT:
		s->end_reason = "quit";
		set_state(s, im, IMAP_LOGOUT, ts, verb);
		break;
	case V_STARTTLS:
		if (ok)
			ms_session_expect_tls(s, "STARTTLS");
		break;
	case V_COMPRESS:
		if (ok)
			compress_start(s, im, ts);
		break;
	case V_IDLE:
		im->idle = false;
		break;
	case V_STORE:
		if (ok)
			store_silent(s, im, c, ts);
		break;
	default:
		break;
	}
}

/* A client whose "{n}" command was refused before the server's "+"
 * never sends the literal (RFC 3501 §7.5): the command line is over. */
static imap_cmd *refused_literal(ms_session *s, imap *im, const char *tag,
                                 size_t n, ms_time ts)
{
	imap_side *cl = side_of(im, MS_DIR_TO_SERVER);
	size_t nt;

	if (cl->mode != MODE_LITERAL || !cl->lit ||
	    cl->lit_left != cl->lit->size || cl->len == 0)
		return NULL;
	nt = ms_imap_tokenize(cl->buf, cl->lit->mark, cl->lits, cl->nlits,
	                      im->toks, TOKS_MAX);
	if (nt < 2 || im->toks[0].len != n || memcmp(im->toks[0].p, tag, n))
		return NULL;
	if (cl->kind == LIT_MESSAGE)
		s->msg.active = false;
	cl->len = cl->lit->mark;
	while (cl->len > 0 && cl->buf[cl->len - 1] == ' ')
		cl->len--;
	cl->nlits--;
	client_command(s, im, cl, ts);
	cl->mode = MODE_LINE;
	cl->len = cl->nlits = 0;
	cl->raw = 0;
	cl->lit = NULL;
	cl->lit_left = 0;
	return cmd_by_tag(im, tag, n);
}

/* The nth UID of a uid-set (RFC 4315 §4), 0 unless the set holds
 * exactly count UIDs. A range holds its bounds and the values between,
 * whatever their order ("4:2" is "2:4", lowest first); "*" has no place
 * in it. */
static uint32_t uidset_nth(const char *p, size_t n, uint32_t nth,
                           uint32_t count)
{
	uint64_t seen = 0;
	uint32_t uid = 0;

	for (size_t i = 0; i < n;) {
		uint32_t a, b;
		i = seq_range(p, i, n, 0, &a, &b);
		if (a == 0)
			return 0;
		if (nth > seen && nth - seen <= (uint64_t)(b - a) + 1)
			uid = a + (uint32_t)(nth - seen - 1);
		seen += (uint64_t)(b - a) + 1;
	}
	return seen == count ? uid : 0;
}

/* "tag OK [APPENDUID uidvalidity uid-set] text" (RFC 4315 §3): the UID
 * of the APPEND message waiting. After a MULTIAPPEND the set has one UID
 * per message, in the order they were sent (RFC 3502's UIDPLUS
 * section); a set of another size does not say which is which, and
 * gives none. Read from the line: the reply's copy of the code is cut
 * at 64 bytes, a long set with it. */
static uint32_t append_uid(const imap *im, const imap_side *sd)
{
	const ms_imap_token *st = &im->toks[1];
	const char *p = sd->buf + st->off + st->len, *end = sd->buf + sd->len;
	const char *close, *sp;

	if (end - p < 2 || p[0] != ' ' || p[1] != '[')
		return 0;
	p += 2;
	close = memchr(p, ']', (size_t)(end - p));
	if (!close || close - p < 10 || strncasecmp(p, "APPENDUID ", 10) != 0)
		return 0;
	p += 10;
	sp = memchr(p, ' ', (size_t)(close - p));
	if (!sp || num_at(p, (size_t)(sp - p)) == 0) /* the uidvalidity */
		return 0;
	return uidset_nth(sp + 1, (size_t)(close - sp - 1), im->append_nth,
	                  im->append_count);
}

/* The tagged reply to the APPEND whose message waits: an OK may name
 * its UID; after NO or BAD nothing was stored (RFC 3501 §6.3.11, and
 * none of a MULTIAPPEND's messages, RFC 3502 §6.3.11), and it goes out
 * without one. Either way before the command, as when it was not kept. */
static void append_reply(ms_session *s, imap *im, const imap_side *sd,
                         const imap_cmd *c, ms_time ts)
{
	if (!append_waiting(im) || im->append_cmd != c->c.seq)
		return;
	if (im->reply.status_len == 2 && memcmp(im->reply.status, "OK", 2) == 0)
		im->msg.uid = append_uid(im, sd);
	message_emit(s, im, ts);
}

static void server_tagged(ms_session *s, imap *im, const imap_side *sd,
                          size_t n, ms_time ts)
{
	const ms_imap_token *t = im->toks;
	char tag[TAG_MAX];
	size_t tag_len = ms_copy_bounded(tag, TAG_MAX, t[0].p, t[0].len);
	imap_cmd *c = cmd_by_tag(im, tag, tag_len);

	if (!c && (c = refused_literal(s, im, tag, tag_len, ts)))
		n = ms_imap_tokenize(sd->buf, sd->len, sd->lits, sd->nlits,
		                     im->toks, TOKS_MAX);
	if (!c) {
		if (im->state != IMAP_UNKNOWN)
			ms_session_anomaly(s, ts, MS_DIR_TO_CLIENT,
			                   "reply_without_command", "%.*s",
			                   (int)(sd->len < 64 ? sd->len : 64),
			                   sd->buf);
		return;
	}
	if (!parse_status(im, sd, 1, n) || im->reply.status_len > 3) {
		ms_session_anomaly(s, ts, MS_DIR_TO_CLIENT, "malformed_reply",
		                   "tagged reply is not OK, NO or BAD");
		return;
	}
	im->reply.line_count = c->lines + 1;
	im->reply.bytes = c->bytes + sd->raw;
	append_reply(s, im, sd, c, ts);
	emit_command(s, c, &im->reply, ts);
	reply_effects(s, im, c, ts);
	cmd_free(im, c);
}

/* ---- untagged data (RFC 3501 §7) ------------------------------------ */

typedef struct fetch_items {
	uint32_t uid;
	bool has_flags;
	uint64_t mask;
	size_t flag_count;
} fetch_items;

/* Skips one value at toks[i] (a list with all it holds); returns the
 * index after it. */
static size_t skip_value(const imap *im, size_t i, size_t n)
{
	int depth;

	if (i >= n || im->toks[i].type != MS_IMAP_LIST_OPEN)
		return i + 1;
	depth = im->toks[i].depth;
	for (i++; i < n; i++)
		if (im->toks[i].type == MS_IMAP_LIST_CLOSE &&
		    im->toks[i].depth == depth)
			return i + 1;
	return n;
}

/* "* n FETCH (name value ...)" (RFC 3501 §7.4.2): UID and FLAGS. */
static void fetch_parse(imap *im, size_t n, fetch_items *f)
{
	size_t i = 4;

	memset(f, 0, sizeof(*f));
	while (i + 1 < n && im->toks[i].type != MS_IMAP_LIST_CLOSE) {
		const ms_imap_token *name = &im->toks[i];
		if (ms_imap_is(name, "UID")) {
			tok_u32(&im->toks[i + 1], &f->uid);
			i += 2;
		} else if (ms_imap_is(name, "FLAGS") &&
		           im->toks[i + 1].type == MS_IMAP_LIST_OPEN) {
			f->has_flags = true;
			f->mask = flag_list(im, i + 1, n, &i, im->fl,
			                    &f->flag_count);
		} else {
			i = skip_value(im, i + 1, n);
		}
	}
}

static void untagged_fetch(ms_session *s, imap *im, uint32_t seq, size_t n,
                           ms_time ts)
{
	fetch_items f;
	imap_msg *m, old;

	if (n < 4 || im->toks[3].type != MS_IMAP_LIST_OPEN)
		return;
	fetch_parse(im, n, &f);
	m = msg_at(s, im, seq, true, ts);
	if (m && f.uid)
		m->uid = f.uid;
	if (fetch_waiting(im)) {
		im->msg.uid = f.uid ? f.uid : m ? m->uid : 0;
		message_emit(s, im, ts);
	}
	if (!f.has_flags)
		return;
	memset(&old, 0, sizeof(old));
	if (m) {
		old = *m;
		m->flags = f.mask;
		m->flags_known = true;
	}
	emit_flags(s, im, seq, f.uid ? f.uid : old.uid, im->fl, f.flag_count,
	           &old, f.mask, ts);
}

static void untagged_expunge(ms_session *s, imap *im, uint32_t seq, ms_time ts)
{
	imap_msg *m = msg_at(s, im, seq, false, ts);

	emit_expunge(s, im, seq, m ? m->uid : 0, ts);
	/* RFC 3501 §7.4.1: later messages move down by one */
	if (m) {
		memmove(m, m + 1, (im->nmsgs - seq) * sizeof(*m));
		im->nmsgs--;
	}
}

/* "* VANISHED [(EARLIER)] uid-set" (RFC 7162 §3.2.10): with EARLIER the
 * messages were gone before this session knew them. */
static void untagged_vanished(ms_session *s, imap *im, size_t n, ms_time ts)
{
	const ms_imap_token *set;
	bool earlier = false;
	size_t i = 2, count = 0;

	if (i < n && im->toks[i].type == MS_IMAP_LIST_OPEN) {
		earlier = true;
		i = skip_value(im, i, n);
	}
	if (i >= n || im->toks[i].type != MS_IMAP_ATOM)
		return;
	set = &im->toks[i];
	for (size_t k = 0; k < set->len;) {
		uint32_t a, b;
		k = seq_range(set->p, k, set->len, UINT32_MAX, &a, &b);
		for (uint64_t uid = a ? a : 1; uid <= b && count < VANISH_MAX;
		     uid++, count++) {
			uint32_t seq =
			        earlier ? 0 : seq_of_uid(im, (uint32_t)uid);
			if (seq)
				untagged_expunge(s, im, seq, ts);
			else
				emit_expunge(s, im, 0, (uint32_t)uid, ts);
		}
	}
}

/* "* STATUS mailbox (MESSAGES n ...)" (RFC 3501 §7.2.4). */
static void untagged_status(ms_session *s, imap *im, size_t n, ms_time ts)
{
	char name[NAME_MAX_];
	size_t len;
	imap_box box, *b = &box;

	if (n < 4 || im->toks[3].type != MS_IMAP_LIST_OPEN)
		return;
	len = ms_imap_string(&im->toks[2], name, sizeof(name));
	memset(b, 0, offsetof(imap_box, flags));
	for (size_t i = 4; i + 1 < n; i += 2) {
		const ms_imap_token *k = &im->toks[i], *v = &im->toks[i + 1];
		if (ms_imap_is(k, "MESSAGES"))
			b->has_exists = tok_u32(v, &b->exists);
		else if (ms_imap_is(k, "RECENT"))
			b->has_recent = tok_u32(v, &b->recent);
		else if (ms_imap_is(k, "UIDNEXT"))
			tok_u32(v, &b->uidnext);
		else if (ms_imap_is(k, "UIDVALIDITY"))
			tok_u32(v, &b->uidvalidity);
	}
	emit_mailbox(s, im, b, (ms_str){name, len}, false, false, ts);
}

static void box_flags(imap *im, size_t n)
{
	imap_box *b = &im->box;
	size_t end, count;

	if (n < 3 || im->toks[2].type != MS_IMAP_LIST_OPEN)
		return;
	flag_list(im, 2, n, &end, im->fl, &count);
	b->has_flags = true;
	b->flags_len = 0;
	for (size_t i = 0; i < count; i++) {
		if (b->flags_len + im->fl[i].len + 1 > BOX_FLAGS)
			break;
		memcpy(b->flags + b->flags_len, im->fl[i].p, im->fl[i].len);
		b->flags_len += im->fl[i].len;
		b->flags[b->flags_len++] = ' ';
	}
}

/* "* n EXISTS", "* n RECENT", "* n EXPUNGE", "* n FETCH" (RFC 3501
 * §7.3, §7.4). */
static void untagged_numbered(ms_session *s, imap *im, uint32_t num, size_t n,
                              ms_time ts)
{
	const ms_imap_token *kw = &im->toks[2];

	if (ms_imap_is(kw, "EXISTS")) {
		im->box.exists = num;
		im->box.has_exists = true;
	} else if (ms_imap_is(kw, "RECENT")) {
		im->box.recent = num;
		im->box.has_recent = true;
	} else if (ms_imap_is(kw, "EXPUNGE")) {
		untagged_expunge(s, im, num, ts);
	} else if (ms_imap_is(kw, "FETCH")) {
		untagged_fetch(s, im, num, n, ts);
	}
}

static void untagged_status_code(imap *im)
{
	const ms_reply_acc *r = &im->reply;
	uint32_t v;

	if ((v = code_number(r, "UIDVALIDITY")))
		im->box.uidvalidity = v;
	else if ((v = code_number(r, "UIDNEXT")))
		im->box.uidnext = v;
}

static void server_untagged(ms_session *s, imap *im, const imap_side *sd,
                            size_t n, ms_time ts)
{
	const ms_imap_token *t = im->toks;
	uint32_t num;

	if (n < 2)
		return;
	if (n >= 3 && tok_u32(&t[1], &num)) {
		untagged_numbered(s, im, num, n, ts);
	} else if (ms_imap_is(&t[1], "BYE")) {
		/* RFC 3501 §7.1.5: the server closes the connection */
		s->end_reason = "quit";
		set_state(s, im, IMAP_LOGOUT, ts, MS_STR_LIT("BYE"));
	} else if (parse_status(im, sd, 1, n)) {
		untagged_status_code(im);
	} else if (ms_imap_is(&t[1], "FLAGS")) {
		box_flags(im, n);
	} else if (ms_imap_is(&t[1], "STATUS")) {
		untagged_status(s, im, n, ts);
	} else if (ms_imap_is(&t[1], "VANISHED")) {
		untagged_vanished(s, im, n, ts);
	}
}

/* Untagged data and continuations count towards the oldest command in
 * flight: with several in flight nothing says whose they are. */
static void count_for_oldest(imap *im, const imap_side *sd)
{
	imap_cmd *c = cmd_oldest(im);

	if (c) {
		c->lines++;
		c->bytes += sd->raw;
	}
}

static void server_line(ms_session *s, imap *im, imap_side *sd, ms_time ts)
{
	size_t n = ms_imap_tokenize(sd->buf, sd->len, sd->lits, sd->nlits,
	                            im->toks, TOKS_MAX);

	if (!im->greeted) {
		server_greeting(s, im, sd, n, ts);
	} else if (n == 0) {
		count_for_oldest(im, sd);
	} else if (sd->buf[0] == '+') {
		/* a continuation request (RFC 3501 §7.5) */
		count_for_oldest(im, sd);
	} else if (ms_imap_is(&im->toks[0], "*")) {
		count_for_oldest(im, sd);
		server_untagged(s, im, sd, n, ts);
	} else {
		server_tagged(s, im, sd, n, ts);
	}
	if (fetch_waiting(im)) /* a body outside a FETCH response */
		message_emit(s, im, ts);
}

/* ---- literals ------------------------------------------------------- */

/* The fetch-att a literal is the value of: "BODY[sect]<origin>",
 * "BINARY[sect]", "RFC822", "RFC822.HEADER", "RFC822.TEXT" (RFC 3501
 * §7.4.2, RFC 3516 §4.2). */
static bool body_item(imap *im, const ms_imap_token *t)
{
	const char *open = memchr(t->p, '[', t->len), *close;
	size_t nlen = open ? (size_t)(open - t->p) : t->len;
	ms_ev_message *m = &im->msg;

	m->has_section = true;
	m->section = (ms_str){im->msg_section, 0};
	if (!open) {
		if (ms_imap_is(t, "RFC822"))
			return true;
		if (!ms_imap_is(t, "RFC822.HEADER") &&
		    !ms_imap_is(t, "RFC822.TEXT"))
			return false;
		m->partial = true;
		m->section.len = upper_copy(im->msg_section, NAME_MAX_,
		                            t->p + 7, t->len - 7);
		return true;
	}
	if (!((nlen == 4 && strncasecmp(t->p, "BODY", 4) == 0) ||
	      (nlen == 6 && strncasecmp(t->p, "BINARY", 6) == 0)))
		return false;
	close = memchr(open, ']', (size_t)(t->p + t->len - open));
	if (!close)
		return false;
	m->section.len = ms_copy_bounded(im->msg_section, NAME_MAX_, open + 1,
	                                 (size_t)(close - open - 1));
	/* a section, or an origin "<n>": not the whole message */
	m->partial = m->section.len > 0 || close + 1 < t->p + t->len;
	return true;
}

/* A server literal is a message when it is the body of a FETCH data
 * item: "* n FETCH (... BODY[] {n}". */
static bool fetch_literal(ms_session *s, imap *im, const imap_side *sd,
                          size_t mark, ms_time ts)
{
	size_t n = ms_imap_tokenize(sd->buf, mark, sd->lits, sd->nlits,
	                            im->toks, TOKS_MAX);
	const ms_imap_token *t = im->toks;
	uint32_t seq = 0, uid = 0;

	if (n < 5 || !ms_imap_is(&t[0], "*") || !tok_u32(&t[1], &seq) ||
	    !ms_imap_is(&t[2], "FETCH") || t[n - 1].depth != 1 ||
	    t[n - 1].type != MS_IMAP_ATOM || !message_start(s, im, ts))
		return false;
	for (size_t i = 4; i + 1 < n; i++)
		if (t[i].depth == 1 && ms_imap_is(&t[i], "UID"))
			tok_u32(&t[i + 1], &uid);
	if (!body_item(im, &t[n - 1])) {
		s->msg.active = false;
		return false;
	}
	s->msg.cut = im->msg.partial;
	im->msg.direction = MS_DIR_TO_CLIENT;
	im->msg.via = "FETCH";
	im->msg.seq = seq;
	im->msg.uid = uid;
	im->msg.mailbox = mailbox_str(im);
	if (im->msg.mailbox.p) {
		memcpy(im->msg_box, im->mailbox, im->mailbox_len);
		im->msg.mailbox.p = im->msg_box;
	}
	return true;
}

/* The flags of an APPEND message: the list just before its literal
 * (RFC 3501 §6.3.11, RFC 3502 for the following messages). */
static void append_flags(imap *im, size_t n)
{
	ms_ev_message *m = &im->msg;
	size_t used = 0, i = n, end, count;

	while (i > 2 && im->toks[i - 1].type != MS_IMAP_LITERAL &&
	       im->toks[i - 1].type != MS_IMAP_LIST_OPEN)
		i--;
	if (i <= 2 || im->toks[i - 1].type != MS_IMAP_LIST_OPEN)
		return;
	flag_list(im, i - 1, n, &end, im->fl, &count);
	for (size_t k = 0; k < count && used + im->fl[k].len <= BOX_FLAGS;
	     k++) {
		memcpy(im->msg_flags_buf + used, im->fl[k].p, im->fl[k].len);
		im->msg_flags[k] =
		        (ms_str){im->msg_flags_buf + used, im->fl[k].len};
		used += im->fl[k].len;
		m->flag_count = k + 1;
	}
	m->flags = im->msg_flags;
}

/* A client literal is a message when it follows APPEND's mailbox at the
 * top level: "tag APPEND box [(flags)] [date] {n}". */
static bool append_literal(ms_session *s, imap *im, const imap_side *sd,
                           size_t mark, ms_time ts)
{
	size_t n = ms_imap_tokenize(sd->buf, mark, sd->lits, sd->nlits,
	                            im->toks, TOKS_MAX);
	const ms_imap_token *t = im->toks;

	if (im->sasl || n < 3 || !ms_imap_is(&t[1], "APPEND") ||
	    (t[n - 1].depth != 0 && t[n - 1].type != MS_IMAP_LIST_CLOSE) ||
	    !message_start(s, im, ts))
		return false;
	im->msg.direction = MS_DIR_TO_SERVER;
	im->msg.via = "APPEND";
	im->append_cmd = 0;
	im->append_nth = 1;
	for (size_t i = 0; i < n; i++)
		im->append_nth +=
		        t[i].type == MS_IMAP_LITERAL && t[i].depth == 0;
	im->msg.mailbox = (ms_str){
	        im->msg_box, ms_imap_string(&t[2], im->msg_box, NAME_MAX_)};
	append_flags(im, n);
	return true;
}

/* Response lines whose grammar holds no literal (resp-text, RFC 3501
 * §9): a marker-like text at their end is text. */
static bool literal_allowed(const imap *im, ms_dir dir, const imap_side *sd)
{
	ms_imap_token t[2];
	size_t n;

	if (dir == MS_DIR_TO_SERVER)
		return !im->sasl;
	if (sd->buf[0] == '+')
		return false;
	n = ms_imap_tokenize(sd->buf, sd->len, sd->lits, sd->nlits, t, 2);
	return n < 2 ||
	       !(ms_imap_is(&t[1], "OK") || ms_imap_is(&t[1], "NO") ||
	         ms_imap_is(&t[1], "BAD") || ms_imap_is(&t[1], "BYE") ||
	         ms_imap_is(&t[1], "PREAUTH"));
}

static void literal_end(ms_session *s, imap *im, ms_dir dir, ms_time ts)
{
	imap_side *sd = side_of(im, dir);

	sd->mode = MODE_LINE;
	if (sd->kind != LIT_MESSAGE)
		return;
	sd->kind = LIT_KEEP;
	message_finish(s, im, dir, ts);
	im->msg_pending = true;
}

static void literal_start(ms_session *s, imap *im, ms_dir dir,
                          const ms_imap_marker *m, int rc, ms_time ts)
{
	imap_side *sd = side_of(im, dir);
	size_t mark = sd->piece + m->at;
	bool too_large = false;

	sd->mode = MODE_LITERAL;
	sd->kind = LIT_KEEP;
	sd->lit_left = m->size;
	sd->lit = NULL;
	if (rc < 0 || m->size > s->cfg->max_literal) {
		too_large = true;
		/* skipped by count: what follows it is still framed */
		if (rc < 0)
			sd->lit_left = UINT64_MAX;
		ms_session_anomaly(s, ts, dir, "literal_too_large",
		                   "literal of %llu bytes, over %llu",
		                   (unsigned long long)sd->lit_left,
		                   (unsigned long long)s->cfg->max_literal);
	} else if (dir == MS_DIR_TO_CLIENT
	                   ? fetch_literal(s, im, sd, mark, ts)
	                   : append_literal(s, im, sd, mark, ts)) {
		sd->kind = LIT_MESSAGE;
	}
	if (!too_large && sd->nlits < LITS_MAX) {
		sd->lit = &sd->lits[sd->nlits++];
		*sd->lit = (ms_imap_lit){mark, sd->len, 0, m->size,
		                         sd->kind == LIT_MESSAGE};
	}
	if (sd->lit_left == 0)
		literal_end(s, im, dir, ts);
}

static size_t literal_take(ms_session *s, imap *im, ms_dir dir,
                           const uint8_t *p, size_t n, ms_time ts)
{
	imap_side *sd = side_of(im, dir);
	size_t take = n < sd->lit_left ? n : (size_t)sd->lit_left;

	if (sd->kind == LIT_MESSAGE) {
		ms_message_data(&s->msg, p, take);
	} else if (sd->lit && sd->len < sd->cap) {
		size_t keep =
		        ms_copy_bounded(sd->buf + sd->len, sd->cap - sd->len,
		                        (const char *)p, take);
		sd->len += keep;
		sd->lit->kept += keep;
	}
	sd->lit_left -= take;
	sd->raw += take;
	if (sd->lit_left == 0)
		literal_end(s, im, dir, ts);
	return take;
}

/* ---- lines ---------------------------------------------------------- */

static void line_reset(imap_side *sd)
{
	sd->len = sd->piece = sd->nlits = 0;
	sd->raw = 0;
	sd->overflow = false;
	sd->lit = NULL;
}

/* Where the secret starts in a client's physical line: LOGIN's password
 * or AUTHENTICATE's initial response, when it lies in this line. */
static size_t line_redaction(imap *im, const imap_side *sd)
{
	size_t n, vi;

	if (im->sasl)
		return 0;
	n = ms_imap_tokenize(sd->buf, sd->len, sd->lits, sd->nlits, im->toks,
	                     8);
	vi = verb_index(im, n);
	if (n > vi + 2 && (ms_imap_is(&im->toks[vi], "LOGIN") ||
	                   ms_imap_is(&im->toks[vi], "AUTHENTICATE"))) {
		size_t off = im->toks[vi + 2].off;
		return off >= sd->piece ? off - sd->piece : 0;
	}
	return MS_NO_REDACT;
}

static void piece_transcript(ms_session *s, imap *im, ms_dir dir,
                             const imap_side *sd, const ms_line *l, ms_time ts)
{
	ms_line_kind kind =
	        dir == MS_DIR_TO_SERVER ? MS_LINE_COMMAND : MS_LINE_REPLY;
	size_t redact = MS_NO_REDACT;

	if (!s->cfg->emit_lines)
		return;
	if (im->sasl &&
	    (dir == MS_DIR_TO_SERVER || (sd->len > 0 && sd->buf[0] == '+')))
		kind = MS_LINE_SASL;
	if (dir == MS_DIR_TO_SERVER)
		redact = line_redaction(im, sd);
	ms_session_line(s, ts, dir, kind, l->p, l->len, redact, l->bare_lf);
}

static void piece_append(ms_session *s, imap_side *sd, ms_dir dir,
                         const ms_line *l, ms_time ts)
{
	size_t keep;

	sd->piece = sd->len;
	keep = ms_copy_bounded(sd->buf + sd->len, sd->cap - sd->len, l->p,
	                       l->len);
	sd->len += keep;
	sd->raw += l->raw_len;
	if ((keep < l->len || l->too_long) && !sd->overflow) {
		sd->overflow = true;
		ms_session_anomaly(s, ts, dir, "line_too_long",
		                   "more than %zu bytes", s->cfg->max_line);
	}
	if (l->bare_lf)
		ms_session_anomaly(s, ts, dir, "bare_lf",
		                   "line ends in LF without CR");
}

/* After a gap a line is taken only when it reads as a response or a
 * command (RFC 3501 §2.2.1, §2.2.2): anything else may be the inside of
 * a literal whose count was lost. */
static bool line_resyncs(imap *im, ms_dir dir, const ms_line *l)
{
	ms_imap_token t[3];
	size_t n = ms_imap_tokenize(l->p, l->len, NULL, 0, t, 3);

	if (l->too_long || n == 0)
		return false;
	if (dir == MS_DIR_TO_CLIENT)
		return (ms_imap_is(&t[0], "*") && n >= 2) ||
		       (l->len >= 1 && l->p[0] == '+') ||
		       (n >= 2 &&
		        (ms_imap_is(&t[1], "OK") || ms_imap_is(&t[1], "NO") ||
		         ms_imap_is(&t[1], "BAD")));
	return n >= 2 && (im->sasl || verb_lookup(&t[1]) != V_UNKNOWN);
}

static void line_complete(ms_session *s, imap *im, ms_dir dir, ms_time ts)
{
	imap_side *sd = side_of(im, dir);

	if (dir == MS_DIR_TO_SERVER)
		client_line(s, im, sd, ts);
	else
		server_line(s, im, sd, ts);
	line_reset(sd);
}

static void side_line(ms_session *s, imap *im, ms_dir dir, const ms_line *l,
                      ms_time ts)
{
	imap_side *sd = side_of(im, dir);
	ms_imap_marker m;
	int rc;

	if (sd->mode == MODE_RESYNC) {
		if (sd->resync_partial || !line_resyncs(im, dir, l)) {
			sd->resync_partial = l->too_long;
			return;
		}
		sd->mode = MODE_LINE;
	}
	piece_append(s, sd, dir, l, ts);
	piece_transcript(s, im, dir, sd, l, ts);
	if (l->too_long)
		return;
	rc = ms_imap_marker_parse(l->p, l->len, &m);
	if (rc != 0 && literal_allowed(im, dir, sd)) {
		literal_start(s, im, dir, &m, rc, ts);
		return;
	}
	line_complete(s, im, dir, ts);
}

/* Parses clear (or inflated) bytes; returns how many were used, fewer
 * than n when compression starts in their middle. */
static size_t side_parse(ms_session *s, imap *im, ms_dir dir, const uint8_t *p,
                         size_t n, ms_time ts)
{
	imap_side *sd = side_of(im, dir);
	size_t done = 0;

	while (done < n && sd->mode != MODE_DEAD) {
		size_t used;
		ms_line l;

		if (sd->mode == MODE_LITERAL) {
			done += literal_take(s, im, dir, p + done, n - done,
			                     ts);
			continue;
		}
		if (!ms_lines_take(&sd->lines, p + done, n - done, &used, &l))
			return n;
		done += used;
		side_line(s, im, dir, &l, ts);
		if (sd->z_start) {
			sd->z_start = false;
			break;
		}
	}
	return sd->mode == MODE_DEAD ? n : done;
}

/* ---- COMPRESS=DEFLATE (RFC 4978) ------------------------------------- */

static bool inflate_side(ms_session *s, imap_side *sd, ms_dir dir, ms_time ts)
{
	memset(&sd->z, 0, sizeof(sd->z));
	/* raw deflate (RFC 1951), no zlib header: RFC 4978 §3 */
	if (inflateInit2(&sd->z, -15) != Z_OK) {
		ms_session_anomaly(s, ts, dir, "inflate_error",
		                   "cannot start inflating");
		sd->mode = MODE_DEAD;
		return false;
	}
	sd->z_init = true;
	sd->z_on = true;
	return true;
}

/* After the OK both sides compress: the server from the byte after the
 * OK line, the client from its next command (RFC 4978 §3). */
static void compress_start(ms_session *s, imap *im, ms_time ts)
{
	if (im->side[0].z_on)
		return;
	inflate_side(s, &im->side[MS_DIR_TO_SERVER], MS_DIR_TO_SERVER, ts);
	if (inflate_side(s, &im->side[MS_DIR_TO_CLIENT], MS_DIR_TO_CLIENT, ts))
		im->side[MS_DIR_TO_CLIENT].z_start = true;
}

static void side_inflate(ms_session *s, imap *im, ms_dir dir, const uint8_t *p,
                         size_t n, ms_time ts)
{
	imap_side *sd = side_of(im, dir);
	z_stream *z = &sd->z;
	int rc;

	z->next_in = (Bytef *)(uintptr_t)p;
	z->avail_in = (uInt)n;
	do {
		size_t out;
		z->next_out = im->zout;
		z->avail_out = ZOUT_SIZE;
		rc = inflate(z, Z_SYNC_FLUSH);
		out = ZOUT_SIZE - z->avail_out;
		if (out > 0)
			side_parse(s, im, dir, im->zout, out, ts);
		/* The sender may end its stream with the final block (Dovecot
		 * does at LOGOUT): only bytes after it are wrong. */
		if (rc == Z_STREAM_END && z->avail_in == 0) {
			sd->mode = MODE_DEAD;
			return;
		}
		if (rc == Z_STREAM_END) {
			ms_session_anomaly(
			        s, ts, dir, "inflate_error",
			        "data after the end of the compressed "
			        "stream");
			sd->mode = MODE_DEAD;
			return;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			ms_session_anomaly(s, ts, dir, "inflate_error", "%s",
			                   z->msg ? z->msg : "bad data");
			sd->mode = MODE_DEAD;
			return;
		}
	} while (sd->mode != MODE_DEAD &&
	         (z->avail_in > 0 || z->avail_out == 0) &&
	         !(rc == Z_BUF_ERROR && z->avail_out != 0));
}

/* ---- entry points --------------------------------------------------- */

static void imap_destroy(void *st)
{
	imap *im = st;

	for (int d = 0; d < 2; d++) {
		ms_lines_free(&im->side[d].lines);
		free(im->side[d].buf);
		if (im->side[d].z_init)
			inflateEnd(&im->side[d].z);
	}
	free(im->zout);
	ms_reply_free(&im->reply);
	free(im->cmds);
	free(im->msgs);
	free(im);
}

static void *imap_create(ms_session *s)
{
	imap *im = calloc(1, sizeof(*im));
	bool ok;

	if (!im)
		return NULL;
	im->zout = malloc(ZOUT_SIZE);
	im->cmds = calloc(s->cfg->max_pending ? s->cfg->max_pending : 1,
	                  sizeof(*im->cmds));
	ok = im->zout && im->cmds;
	for (int d = 0; d < 2; d++) {
		im->side[d].cap = s->cfg->max_line < 64 ? 64 : s->cfg->max_line;
		im->side[d].buf = malloc(im->side[d].cap);
		ok = ok && im->side[d].buf &&
		     ms_lines_init(&im->side[d].lines, s->cfg->max_line) == 0;
	}
	if (!ok) {
		imap_destroy(im);
		return NULL;
	}
	im->state = s->midstream ? IMAP_UNKNOWN : IMAP_NOT_AUTHENTICATED;
	im->greeted = s->midstream;
	/* in mid-stream, the first bytes may be inside a literal */
	if (s->midstream)
		im->side[0].mode = im->side[1].mode = MODE_RESYNC;
	return im;
}

static void imap_data(ms_session *s, void *st, ms_dir dir, const uint8_t *p,
                      size_t n, ms_time ts)
{
	imap *im = st;
	imap_side *sd = side_of(im, dir);
	size_t used;

	if (sd->mode == MODE_DEAD)
		return;
	if (sd->z_on) {
		side_inflate(s, im, dir, p, n, ts);
		return;
	}
	used = side_parse(s, im, dir, p, n, ts);
	if (used < n && sd->z_on)
		side_inflate(s, im, dir, p + used, n - used, ts);
}

/* Lost bytes. Inside a literal the count still frames it: the message
 * goes on, incomplete. Elsewhere the line they fell in is dropped and
 * parsing resumes at a line that reads as a command or response; the
 * commands whose replies may have been lost wait, and end unanswered
 * rather than take another's reply. */
static void imap_gap(ms_session *s, void *st, ms_dir dir, uint64_t n,
                     ms_time ts)
{
	imap *im = st;
	imap_side *sd = side_of(im, dir);

	if (sd->z_on || sd->mode == MODE_DEAD) {
		sd->mode = MODE_DEAD; /* the inflater lost its window */
		return;
	}
	if (sd->mode == MODE_LITERAL) {
		uint64_t take = n < sd->lit_left ? n : sd->lit_left;
		if (sd->kind == LIT_MESSAGE)
			ms_message_gap(&s->msg, take);
		sd->lit_left -= take;
		n -= take;
		if (sd->lit_left == 0)
			literal_end(s, im, dir, ts);
		if (n == 0)
			return;
	}
	/* The reply that would give the waiting message its UID may be in
	 * the lost bytes; and a lost end of an APPEND's line leaves its
	 * message to no command. */
	if ((dir == MS_DIR_TO_CLIENT && im->msg_pending) ||
	    (append_waiting(im) && im->append_cmd == 0))
		message_emit(s, im, ts);
	ms_lines_reset(&sd->lines);
	line_reset(sd);
	sd->mode = MODE_RESYNC;
	sd->resync_partial = true;
}

static void imap_end(ms_session *s, void *st, ms_ev_session_end *end,
                     ms_time ts)
{
	imap *im = st;

	for (int d = 0; d < 2; d++) {
		imap_side *sd = &im->side[d];
		if (sd->mode == MODE_LITERAL && sd->kind == LIT_MESSAGE) {
			/* cut by the end of the session */
			ms_message_gap(&s->msg, sd->lit_left);
			sd->lit_left = 0;
			literal_end(s, im, (ms_dir)d, ts);
		}
	}
	if (im->msg_pending)
		message_emit(s, im, ts);
	drain_commands(s, im, ts);
	end->state = state_names[im->state];
}

const ms_dissector_ops ms_imap_ops = {
        .create = imap_create,
        .data = imap_data,
        .gap = imap_gap,
        .end = imap_end,
        .destroy = imap_destroy,
};
