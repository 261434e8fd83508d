#include "reassembly/reassembly.h"

#include <stdlib.h>
#include <string.h>

/* Sequence arithmetic modulo 2^32 (RFC 9293 §3.4). */
#define SEQ_DIFF(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)))
#define SEQ_LT(a, b)   (SEQ_DIFF(a, b) < 0)
#define SEQ_LEQ(a, b)  (SEQ_DIFF(a, b) <= 0)
#define SEQ_GT(a, b)   (SEQ_DIFF(a, b) > 0)

/* Out-of-order data, copied: the only bytes reassembly ever copies. */
typedef struct held {
	struct held *next;
	uint32_t seq, len;
	uint8_t data[];
} held;

typedef struct stream {
	bool isn_known; /* next_seq is meaningful */
	bool syn_seen;  /* isn is meaningful */
	bool fin_seen;
	bool ack_seen; /* max_acked is meaningful */
	uint32_t isn, next_seq, fin_seq, max_acked;
	held *held; /* sorted by seq, never overlapping */
	uint32_t held_bytes;
	/* The last bytes handed over, ending at next_seq, so that a
	 * retransmission that rewrites them is noticed: recent_fill bytes
	 * of a ring of lim.overlap_window, written at recent_pos. */
	uint8_t *recent;
	uint32_t recent_fill, recent_pos;
} stream;

typedef enum flow_state {
	FLOW_HALF_OPEN, /* no completed handshake yet, or midstream */
	FLOW_ESTABLISHED,
	FLOW_CLOSED, /* the app was told; late packets are absorbed */
} flow_state;

typedef struct flow {
	ms_flow_info info; /* client is direction 0 */
	stream dir[2];
	void *app;
	flow_state state;
	ms_time last;
	uint64_t order;
	uint64_t hash;
	struct flow *prev, *next; /* in lru[state != ESTABLISHED] */
} flow;

typedef struct lru {
	flow *head, *tail; /* head is the most recent */
} lru;

struct ms_reasm {
	ms_reasm_limits lim;
	const ms_stream_ops *ops;
	void *user;
	flow **slots; /* open addressing, linear probing */
	size_t cap, count;
	lru lists[2]; /* 0 established, 1 half-open and closed */
	uint64_t held_total, next_order;
	ms_reasm_stats stats;
};

void ms_reasm_limits_default(ms_reasm_limits *l)
{
	l->max_flows = MS_MAX_FLOWS_DEFAULT;
	l->per_flow_bytes = MS_PER_FLOW_BYTES_DEFAULT;
	l->global_bytes = MS_GLOBAL_BYTES_DEFAULT;
	l->idle_timeout_s = MS_IDLE_TIMEOUT_DEFAULT;
	l->half_open_timeout_s = MS_HALF_OPEN_TIMEOUT_DEFAULT;
	l->overlap_window = MS_OVERLAP_WINDOW_DEFAULT;
}

/* ---- the flow table ------------------------------------------------- */

/* The key is the unordered pair of endpoints, so both directions of a
 * connection find the same flow. */
typedef struct flow_key {
	uint8_t ip_version;
	uint8_t ip[2][16];
	uint16_t port[2];
} flow_key;

static void key_from_segment(flow_key *k, const ms_segment *s)
{
	int c = memcmp(s->src, s->dst, 16);
	int lo = c < 0 || (c == 0 && s->sport <= s->dport) ? 0 : 1;

	memset(k, 0, sizeof(*k));
	k->ip_version = s->ip_version;
	memcpy(k->ip[lo], s->src, 16);
	memcpy(k->ip[!lo], s->dst, 16);
	k->port[lo] = s->sport;
	k->port[!lo] = s->dport;
}

static void key_from_flow(flow_key *k, const flow *f)
{
	ms_segment s;

	memset(&s, 0, sizeof(s));
	s.ip_version = f->info.ip_version;
	memcpy(s.src, f->info.client_ip, 16);
	memcpy(s.dst, f->info.server_ip, 16);
	s.sport = f->info.client_port;
	s.dport = f->info.server_port;
	key_from_segment(k, &s);
}

/* FNV-1a over the key, then a 64-bit finaliser (splitmix64) so that
 * nearby addresses and ports spread over the table. */
static uint64_t key_hash(const flow_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

static bool key_matches(const flow *f, const flow_key *k)
{
	flow_key fk;

	key_from_flow(&fk, f);
	return memcmp(&fk, k, sizeof(fk)) == 0;
}

static flow *table_find(ms_reasm *r, const flow_key *k, uint64_t h)
{
	for (size_t i = h & (r->cap - 1);; i = (i + 1) & (r->cap - 1)) {
		flow *f = r->slots[i];
		if (!f)
			return NULL;
		if (f->hash == h && key_matches(f, k))
			return f;
	}
}

static void table_put(flow **slots, size_t cap, flow *f)
{
	size_t i = f->hash & (cap - 1);

	while (slots[i])
		i = (i + 1) & (cap - 1);
	slots[i] = f;
}

static bool table_grow(ms_reasm *r)
{
	size_t cap = r->cap * 2;
	flow **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return false;
	for (size_t i = 0; i < r->cap; i++)
		if (r->slots[i])
			table_put(slots, cap, r->slots[i]);
	free(r->slots);
	r->slots = slots;
	r->cap = cap;
	return true;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void table_remove(ms_reasm *r, const flow *f)
{
	size_t i = f->hash & (r->cap - 1);

	while (r->slots[i] != f)
		i = (i + 1) & (r->cap - 1);
	for (size_t j = (i + 1) & (r->cap - 1); r->slots[j];
	     j = (j + 1) & (r->cap - 1)) {
		size_t home = r->slots[j]->hash & (r->cap - 1);
		/* Move j into the hole unless its home lies in (i, j]. */
		if (((j - home) & (r->cap - 1)) >= ((j - i) & (r->cap - 1))) {
			r->slots[i] = r->slots[j];
			i = j;
		}
	}
	r->slots[i] = NULL;
	r->count--;
}

/* ---- LRU lists ------------------------------------------------------ */

static lru *list_of(ms_reasm *r, const flow *f)
{
	return &r->lists[f->state != FLOW_ESTABLISHED];
}

static void lru_unlink(lru *l, flow *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		l->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = NULL;
}

static void lru_push(lru *l, flow *f)
{
	f->prev = NULL;
	f->next = l->head;
	if (l->head)
		l->head->prev = f;
	l->head = f;
	if (!l->tail)
		l->tail = f;
}

static void flow_touch(ms_reasm *r, flow *f, ms_time ts)
{
	lru *l = list_of(r, f);

	f->last = ts;
	if (l->head != f) {
		lru_unlink(l, f);
		lru_push(l, f);
	}
}

static void flow_set_state(ms_reasm *r, flow *f, flow_state st)
{
	lru_unlink(list_of(r, f), f);
	f->state = st;
	lru_push(list_of(r, f), f);
}

/* ---- streams -------------------------------------------------------- */

static void stream_free_held(ms_reasm *r, stream *st)
{
	while (st->held) {
		held *h = st->held;
		st->held = h->next;
		r->held_total -= h->len;
		free(h);
	}
	st->held_bytes = 0;
	free(st->recent);
	st->recent = NULL;
	st->recent_fill = st->recent_pos = 0;
}

static void note(ms_reasm *r, flow *f, int d, ms_reasm_note n, uint64_t v,
                 ms_time ts)
{
	if (f->app)
		r->ops->note(f->app, d, n, v, ts);
}

/* Keeps the tail of what is handed over (at most the window). */
static void recent_keep(ms_reasm *r, stream *st, const uint8_t *p, uint32_t n)
{
	uint32_t w = r->lim.overlap_window;

	if (w == 0 || (!st->recent && !(st->recent = malloc(w))))
		return;
	if (n > w) {
		p += n - w;
		n = w;
	}
	while (n > 0) {
		uint32_t k = w - st->recent_pos < n ? w - st->recent_pos : n;
		memcpy(st->recent + st->recent_pos, p, k);
		st->recent_pos = (st->recent_pos + k) % w;
		p += k;
		n -= k;
		st->recent_fill += k;
	}
	if (st->recent_fill > w)
		st->recent_fill = w;
}

/* A retransmission of bytes already handed over: where it overlaps the
 * window, its bytes must be the ones delivered (first copy wins). */
static void recent_check(ms_reasm *r, flow *f, int d, uint32_t seq,
                         const uint8_t *p, uint32_t len, ms_time ts)
{
	stream *st = &f->dir[d];
	uint32_t w = r->lim.overlap_window,
	         start = st->next_seq - st->recent_fill;
	uint32_t from = SEQ_LT(seq, start) ? start : seq;
	uint32_t to =
	        SEQ_LT(seq + len, st->next_seq) ? seq + len : st->next_seq;

	/* A keep-alive may carry one garbage octet at next - 1 (RFC 9293
	 * §3.8.4): not a rewrite. */
	if (!st->recent || !SEQ_LT(from, to) ||
	    (len == 1 && seq + 1 == st->next_seq))
		return;
	r->stats.overlaps++;
	for (uint32_t x = from; x != to;) {
		uint32_t back = st->next_seq - x; /* 1..fill bytes back */
		uint32_t at = (st->recent_pos + w - back % w) % w;
		uint32_t k = w - at < to - x ? w - at : to - x;
		if (memcmp(st->recent + at, p + (x - seq), k) != 0) {
			r->stats.overlap_conflicts++;
			note(r, f, d, MS_NOTE_OVERLAP_CONFLICT, to - from, ts);
			return;
		}
		x += k;
	}
}

static void deliver(ms_reasm *r, flow *f, int d, const uint8_t *p, uint32_t n,
                    ms_time ts)
{
	recent_keep(r, &f->dir[d], p, n);
	f->dir[d].next_seq += n;
	if (f->app && n > 0)
		r->ops->data(f->app, d, p, n, ts);
}

static void declare_gap(ms_reasm *r, flow *f, int d, uint32_t n, ms_time ts)
{
	f->dir[d].next_seq += n;
	f->dir[d].recent_fill = 0; /* the window is contiguous bytes only */
	r->stats.gaps++;
	r->stats.gap_bytes += n;
	if (f->app && n > 0)
		r->ops->gap(f->app, d, n, ts);
}

/* Hands over every held segment that the stream has reached. */
static void stream_drain(ms_reasm *r, flow *f, int d, ms_time ts)
{
	stream *st = &f->dir[d];

	while (st->held && SEQ_LEQ(st->held->seq, st->next_seq)) {
		held *h = st->held;
		uint32_t skip = (uint32_t)SEQ_DIFF(st->next_seq, h->seq);

		st->held = h->next;
		st->held_bytes -= h->len;
		r->held_total -= h->len;
		if (skip < h->len)
			deliver(r, f, d, h->data + skip, h->len - skip, ts);
		free(h);
	}
}

/* Compares bytes two copies of the same sequence range carry. */
static void check_overlap(ms_reasm *r, flow *f, int d, const uint8_t *a,
                          const uint8_t *b, uint32_t n, ms_time ts)
{
	r->stats.overlaps++;
	if (memcmp(a, b, n) != 0) {
		r->stats.overlap_conflicts++;
		note(r, f, d, MS_NOTE_OVERLAP_CONFLICT, n, ts);
	}
}

/* In-order data: [seq, seq+len) with seq at or before next_seq. Held
 * segments arrived first, so where they overlap the new data they win. */
static void stream_advance(ms_reasm *r, flow *f, int d, uint32_t seq,
                           const uint8_t *p, uint32_t len, ms_time ts)
{
	stream *st = &f->dir[d];
	uint32_t end = seq + len;

	while (SEQ_LT(st->next_seq, end)) {
		uint32_t from = st->next_seq, to = end;
		const uint8_t *src = p + (uint32_t)SEQ_DIFF(from, seq);

		if (st->held && SEQ_LT(st->held->seq, to)) {
			uint32_t ov = (uint32_t)SEQ_DIFF(to, st->held->seq);
			if (ov > st->held->len)
				ov = st->held->len;
			to = st->held->seq;
			check_overlap(r, f, d, st->held->data,
			              p + (uint32_t)SEQ_DIFF(to, seq), ov, ts);
		}
		deliver(r, f, d, src, (uint32_t)SEQ_DIFF(to, from), ts);
		stream_drain(r, f, d, ts);
	}
}

static bool hold_piece(ms_reasm *r, stream *st, held **at, uint32_t seq,
                       const uint8_t *p, uint32_t n)
{
	held *h = malloc(sizeof(*h) + n);

	if (!h)
		return false;
	h->seq = seq;
	h->len = n;
	memcpy(h->data, p, n);
	h->next = *at;
	*at = h;
	st->held_bytes += n;
	r->held_total += n;
	return true;
}

/* Out-of-order data is copied into the sorted held list, cut around what
 * is already held (first copy wins). */
static void stream_hold(ms_reasm *r, flow *f, int d, uint32_t seq,
                        const uint8_t *p, uint32_t len, ms_time ts)
{
	stream *st = &f->dir[d];
	held **at = &st->held;
	uint32_t cur = seq, end = seq + len;

	r->stats.out_of_order++;
	while (SEQ_LT(cur, end)) {
		held *h = *at;
		uint32_t hend = h ? h->seq + h->len : 0;

		if (h && SEQ_LEQ(hend, cur)) {
			at = &h->next;
			continue;
		}
		if (!h || SEQ_LT(cur, h->seq)) {
			uint32_t to = h && SEQ_LT(h->seq, end) ? h->seq : end;
			if (!hold_piece(r, st, at, cur, p + (cur - seq),
			                to - cur))
				return;
			at = &(*at)->next;
			cur = to;
			continue;
		}
		/* h covers cur: compare what both copies say. */
		{
			uint32_t to = SEQ_LT(hend, end) ? hend : end;
			check_overlap(r, f, d, h->data + (cur - h->seq),
			              p + (cur - seq), to - cur, ts);
			cur = to;
			at = &h->next;
		}
	}
}

/* Skips the first hole: the bytes in it are gone for good. */
static void stream_skip_hole(ms_reasm *r, flow *f, int d, ms_time ts)
{
	stream *st = &f->dir[d];

	if (!st->held)
		return;
	declare_gap(r, f, d, (uint32_t)SEQ_DIFF(st->held->seq, st->next_seq),
	            ts);
	stream_drain(r, f, d, ts);
}

static uint64_t flow_held(const flow *f)
{
	return (uint64_t)f->dir[0].held_bytes + f->dir[1].held_bytes;
}

/* The per-flow bound counts both directions. The direction that went
 * over gives up its holes first; the other's only if that is not enough. */
static void enforce_memory(ms_reasm *r, flow *f, int d, ms_time ts)
{
	stream *st = &f->dir[d];

	if (flow_held(f) > r->lim.per_flow_bytes) {
		note(r, f, d, MS_NOTE_LIMIT_PER_FLOW, flow_held(f), ts);
		while (flow_held(f) > r->lim.per_flow_bytes)
			stream_skip_hole(r, f, st->held ? d : !d, ts);
	}
	if (r->held_total > r->lim.global_bytes) {
		note(r, f, d, MS_NOTE_LIMIT_GLOBAL, r->held_total, ts);
		while (st->held && r->held_total > r->lim.global_bytes)
			stream_skip_hole(r, f, d, ts);
	}
}

static void stream_data(ms_reasm *r, flow *f, int d, uint32_t seq,
                        const uint8_t *p, uint32_t len, ms_time ts)
{
	stream *st = &f->dir[d];

	if (!st->isn_known) { /* midstream: the first byte seen starts it */
		st->isn_known = true;
		st->next_seq = seq;
	}
	if (SEQ_LEQ(seq + len, st->next_seq)) {
		r->stats.retransmissions++;
		recent_check(r, f, d, seq, p, len, ts);
		return;
	}
	if (SEQ_LEQ(seq, st->next_seq)) {
		if (SEQ_LT(seq, st->next_seq)) {
			r->stats.retransmissions++;
			recent_check(r, f, d, seq, p, len, ts);
		}
		stream_advance(r, f, d, seq, p, len, ts);
		return;
	}
	stream_hold(r, f, d, seq, p, len, ts);
	enforce_memory(r, f, d, ts);
}

/* An ACK is cumulative (RFC 9293 §3.4): the peer holds every byte below
 * it, so none of them will be sent again. A hole it acknowledged past,
 * with data held beyond it, is a gap now, whichever of the ACK and the
 * held data was seen first. So are the bytes missing before a FIN the
 * peer acknowledged (the FIN takes the sequence number after the last
 * byte, RFC 9293 §3.4): without this the stream would never reach its
 * FIN and the flow would not close until it timed out. */
static void stream_declare_lost(ms_reasm *r, flow *f, int d, ms_time ts)
{
	stream *st = &f->dir[d];

	if (!st->isn_known || !st->ack_seen)
		return;
	while (st->held && SEQ_LEQ(st->held->seq, st->max_acked) &&
	       SEQ_LT(st->next_seq, st->held->seq))
		stream_skip_hole(r, f, d, ts);
	if (!st->held && st->fin_seen && SEQ_GT(st->max_acked, st->fin_seq) &&
	    SEQ_LT(st->next_seq, st->fin_seq))
		declare_gap(r, f, d,
		            (uint32_t)SEQ_DIFF(st->fin_seq, st->next_seq), ts);
}

static void stream_acked(ms_reasm *r, flow *f, int d, uint32_t ack, ms_time ts)
{
	stream *st = &f->dir[d];

	if (!st->ack_seen || SEQ_GT(ack, st->max_acked))
		st->max_acked = ack;
	st->ack_seen = true;
	stream_declare_lost(r, f, d, ts);
}

/* All that is known of the stream is handed over before it closes: held
 * data behind holes, and the bytes the peer acknowledged or a FIN
 * vouches for that never showed up. */
static void stream_flush(ms_reasm *r, flow *f, int d, ms_time ts)
{
	stream *st = &f->dir[d];
	uint32_t known_end;

	while (st->held)
		stream_skip_hole(r, f, d, ts);
	if (!st->isn_known)
		return;
	known_end = st->next_seq;
	if (st->ack_seen && SEQ_GT(st->max_acked, known_end))
		known_end = st->max_acked;
	if (st->fin_seen && SEQ_GT(known_end, st->fin_seq))
		known_end = st->fin_seq;
	if (st->fin_seen && SEQ_GT(st->fin_seq, known_end))
		known_end = st->fin_seq;
	if (SEQ_GT(known_end, st->next_seq))
		declare_gap(r, f, d,
		            (uint32_t)SEQ_DIFF(known_end, st->next_seq), ts);
}

/* ---- flows ---------------------------------------------------------- */

static void flow_close(ms_reasm *r, flow *f, ms_close_reason why, ms_time ts)
{
	if (f->state == FLOW_CLOSED)
		return;
	stream_flush(r, f, 0, ts);
	stream_flush(r, f, 1, ts);
	stream_free_held(r, &f->dir[0]);
	stream_free_held(r, &f->dir[1]);
	if (f->app)
		r->ops->close(f->app, why, ts);
	f->app = NULL;
	flow_set_state(r, f, FLOW_CLOSED);
}

static void flow_destroy(ms_reasm *r, flow *f)
{
	lru_unlink(list_of(r, f), f);
	table_remove(r, f);
	stream_free_held(r, &f->dir[0]);
	stream_free_held(r, &f->dir[1]);
	free(f);
}

static ms_close_reason timeout_reason(const flow *f)
{
	return f->dir[0].fin_seen || f->dir[1].fin_seen ? MS_CLOSE_FIN
	                                                : MS_CLOSE_TIMEOUT;
}

static void expire(ms_reasm *r, ms_time now)
{
	static const int which[] = {0, 1};

	for (size_t i = 0; i < 2; i++) {
		lru *l = &r->lists[which[i]];
		int64_t limit = which[i] ? r->lim.half_open_timeout_s
		                         : r->lim.idle_timeout_s;

		while (l->tail && now.sec - l->tail->last.sec > limit) {
			flow *f = l->tail;
			if (f->state != FLOW_CLOSED)
				r->stats.timeouts++;
			flow_close(r, f, timeout_reason(f), now);
			flow_destroy(r, f);
		}
	}
}

/* Makes room for one more flow: half-open ones go first, as a SYN flood
 * is made of them. */
static void evict_one(ms_reasm *r, ms_time ts)
{
	flow *f = r->lists[1].tail ? r->lists[1].tail : r->lists[0].tail;

	if (!f)
		return;
	if (f->state != FLOW_CLOSED)
		r->stats.evictions++;
	flow_close(r, f, MS_CLOSE_EVICTED, ts);
	flow_destroy(r, f);
}

static void info_from_segment(ms_flow_info *fi, const ms_segment *s,
                              bool client_is_src)
{
	memset(fi, 0, sizeof(*fi));
	fi->ip_version = s->ip_version;
	memcpy(fi->client_ip, client_is_src ? s->src : s->dst, 16);
	memcpy(fi->server_ip, client_is_src ? s->dst : s->src, 16);
	fi->client_port = client_is_src ? s->sport : s->dport;
	fi->server_port = client_is_src ? s->dport : s->sport;
	fi->vlan_count = s->vlan_count;
	memcpy(fi->vlan, s->vlan, sizeof(fi->vlan));
	fi->ts = s->ts;
}

static void info_swap(ms_flow_info *fi)
{
	uint8_t ip[16];
	uint16_t port = fi->client_port;

	memcpy(ip, fi->client_ip, 16);
	memcpy(fi->client_ip, fi->server_ip, 16);
	memcpy(fi->server_ip, ip, 16);
	fi->client_port = fi->server_port;
	fi->server_port = port;
}

static flow *flow_create(ms_reasm *r, const ms_segment *s, uint64_t h)
{
	bool syn = s->flags & MS_TCP_SYN, ack = s->flags & MS_TCP_ACK;
	bool swap = false;
	flow *f;

	if (r->count >= r->lim.max_flows)
		evict_one(r, s->ts);
	if ((r->count + 1) * 2 > r->cap && !table_grow(r))
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	/* The SYN sender is the client; a SYN-ACK's receiver is. */
	info_from_segment(&f->info, s, !(syn && ack));
	f->info.midstream = !syn;
	f->hash = h;
	f->order = r->next_order++;
	f->last = s->ts;
	f->state = FLOW_HALF_OPEN;
	table_put(r->slots, r->cap, f);
	r->count++;
	lru_push(&r->lists[1], f);
	r->stats.flows++;
	f->app = r->ops->open(r->user, &f->info, &swap);
	if (swap && f->info.midstream)
		info_swap(&f->info);
	return f;
}

static int direction_of(const flow *f, const ms_segment *s)
{
	return !(s->sport == f->info.client_port &&
	         memcmp(s->src, f->info.client_ip, 16) == 0);
}

/* SYN and SYN-ACK fix the initial sequence numbers (RFC 9293 §3.5).
 * Before the handshake completes, a SYN with another ISN is a new attempt
 * and starts the stream over; a retransmitted SYN (same ISN) is not, as
 * the data it may carry was delivered already. */
static void flow_syn(ms_reasm *r, flow *f, int d, const ms_segment *s)
{
	stream *st = &f->dir[d];
	bool again = st->syn_seen && st->isn == s->seq;

	if (!st->isn_known || (f->state == FLOW_HALF_OPEN && !again)) {
		st->isn_known = true;
		st->next_seq = s->seq + 1;
	}
	st->syn_seen = true;
	st->isn = s->seq;
	if ((s->flags & MS_TCP_ACK) && !f->dir[!d].isn_known) {
		f->dir[!d].isn_known = true;
		f->dir[!d].next_seq = s->ack;
	}
	if ((s->flags & MS_TCP_ACK) && f->state == FLOW_HALF_OPEN)
		flow_set_state(r, f, FLOW_ESTABLISHED);
}

static void flow_segment(ms_reasm *r, flow *f, const ms_segment *s)
{
	int d = direction_of(f, s);
	stream *st = &f->dir[d];
	uint32_t seq = s->seq;

	if (s->flags & MS_TCP_SYN) {
		flow_syn(r, f, d, s);
		seq++; /* data on a SYN follows the SYN's sequence number */
	}
	/* The ACK tells what the sender had received before it sent this
	 * payload: a hole it reveals in the other direction comes first,
	 * or a command would reach the dissector before the gap in the
	 * reply stream that preceded it. */
	if (s->flags & MS_TCP_ACK)
		stream_acked(r, f, !d, s->ack, s->ts);
	if (s->len > 0)
		stream_data(r, f, d, seq, s->payload, s->len, s->ts);
	if (s->flags & MS_TCP_FIN) {
		st->fin_seen = true;
		st->fin_seq = seq + s->len;
		/* Mid-stream, a side that never sent data starts at its FIN;
		 * else it would never reach it and the flow not close. */
		if (!st->isn_known) {
			st->isn_known = true;
			st->next_seq = st->fin_seq;
		}
	}
	/* The peer's ACK may have come before this data or FIN. */
	if (s->len > 0 || (s->flags & MS_TCP_FIN))
		stream_declare_lost(r, f, d, s->ts);
	if (f->state == FLOW_HALF_OPEN && f->dir[0].isn_known &&
	    f->dir[1].isn_known && (s->len > 0 || !(s->flags & MS_TCP_SYN)))
		flow_set_state(r, f, FLOW_ESTABLISHED);
	if (s->flags & MS_TCP_RST)
		flow_close(r, f, MS_CLOSE_RST, s->ts);
	else if (f->dir[0].fin_seen && f->dir[1].fin_seen &&
	         f->dir[0].next_seq == f->dir[0].fin_seq &&
	         f->dir[1].next_seq == f->dir[1].fin_seq)
		flow_close(r, f, MS_CLOSE_FIN, s->ts);
}

void ms_reasm_add_segment(ms_reasm *r, const ms_segment *s)
{
	flow_key k;
	uint64_t h;
	flow *f;

	r->stats.packets++;
	r->stats.bytes += s->len;
	expire(r, s->ts);
	key_from_segment(&k, s);
	h = key_hash(&k);
	f = table_find(r, &k, h);
	if (f && f->state == FLOW_CLOSED) {
		/* A new SYN on a finished connection's ports is a new
		 * connection; anything else is a late packet of the old. */
		if (!((s->flags & MS_TCP_SYN) && !(s->flags & MS_TCP_ACK))) {
			r->stats.ignored_after_close++;
			flow_touch(r, f, s->ts);
			return;
		}
		flow_destroy(r, f);
		f = NULL;
	}
	if (!f) {
		/* Pure ACKs and lone FIN/RST open nothing worth tracking. */
		if (!(s->flags & MS_TCP_SYN) && s->len == 0)
			return;
		f = flow_create(r, s, h);
		if (!f)
			return;
	}
	flow_touch(r, f, s->ts);
	flow_segment(r, f, s);
}

void ms_reasm_advance(ms_reasm *r, ms_time now)
{
	expire(r, now);
}

ms_reasm *ms_reasm_new(const ms_reasm_limits *l, const ms_stream_ops *ops,
                       void *user)
{
	ms_reasm *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (l)
		r->lim = *l;
	else
		ms_reasm_limits_default(&r->lim);
	if (r->lim.max_flows == 0)
		r->lim.max_flows = 1;
	r->ops = ops;
	r->user = user;
	r->cap = 1024;
	r->slots = calloc(r->cap, sizeof(*r->slots));
	if (!r->slots) {
		free(r);
		return NULL;
	}
	return r;
}

static int by_order(const void *a, const void *b)
{
	const flow *fa = *(flow *const *)a, *fb = *(flow *const *)b;

	return fa->order < fb->order ? -1 : fa->order > fb->order;
}

void ms_reasm_finish(ms_reasm *r, ms_time ts)
{
	flow **all = malloc((r->count ? r->count : 1) * sizeof(*all));
	size_t n = 0;

	if (!all)
		return;
	for (size_t i = 0; i < r->cap; i++)
		if (r->slots[i])
			all[n++] = r->slots[i];
	qsort(all, n, sizeof(*all), by_order);
	for (size_t i = 0; i < n; i++) {
		flow_close(r, all[i], MS_CLOSE_END_OF_CAPTURE, ts);
		flow_destroy(r, all[i]);
	}
	free(all);
}

const ms_reasm_stats *ms_reasm_stats_get(const ms_reasm *r)
{
	return &r->stats;
}

size_t ms_reasm_flow_count(const ms_reasm *r)
{
	return r->count;
}

uint64_t ms_reasm_held_bytes(const ms_reasm *r)
{
	return r->held_total;
}

void ms_reasm_free(ms_reasm *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->cap; i++) {
		flow *f = r->slots[i];
		if (f) {
			if (f->app)
				r->ops->close(f->app, MS_CLOSE_END_OF_CAPTURE,
				              f->last);
			stream_free_held(r, &f->dir[0]);
			stream_free_held(r, &f->dir[1]);
			free(f);
		}
	}
	free(r->slots);
	free(r);
}
