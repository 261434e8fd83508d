/* decode.c: link, IPv4/IPv6 and TCP decoding, and IP fragment reassembly.
 *
 * All reads from a frame go through view_at(), the one bounds check: it
 * hands out a pointer to n bytes only when those n bytes were captured,
 * and the callers then read fields at constant offsets below n.
 *
 * Fragment table policy: when a new datagram would exceed
 * frag_max_datagrams, or a datagram's buffer would exceed frag_max_bytes,
 * the oldest other datagrams are evicted to make room, the new fragment
 * is stored and the call returns MS_DECODE_FRAG_LIMIT. A fragment that
 * cannot fit even in an empty table is dropped with its datagram (also
 * FRAG_LIMIT). Evicting the oldest keeps current traffic reassembling when
 * the table fills up with datagrams that will never complete. IPv6
 * fragments use the same table.
 */
#include "capture/decode.h"

#include <stdlib.h>
#include <string.h>

enum {
	ETH_IPV4 = 0x0800,
	ETH_IPV6 = 0x86DD,
	ETH_8021Q = 0x8100,
	ETH_8021AD = 0x88A8,
	ETH_QINQ_OLD = 0x9100,
};

enum {
	IPPROTO_HOPOPTS_ = 0,
	IPPROTO_TCP_ = 6,
	IPPROTO_ROUTING_ = 43,
	IPPROTO_FRAGMENT_ = 44,
	IPPROTO_AH_ = 51,
	IPPROTO_NONE_ = 59,
	IPPROTO_DSTOPTS_ = 60,
};

#define IP_MAX_LEN     65535u
#define FRAG_BLOCKS    ((IP_MAX_LEN + 1) / 8)
#define FRAG_MAP_WORDS (FRAG_BLOCKS / 64)

/* A run of captured bytes. */
typedef struct view {
	const uint8_t *p;
	uint32_t len;
} view;

/* The single bounds check: n bytes at off, or NULL when not captured. */
static inline const uint8_t *view_at(view v, uint32_t off, uint32_t n)
{
	if (off > v.len || n > v.len - off)
		return NULL;
	return v.p + off;
}

static inline view view_from(view v, uint32_t off)
{
	view r = {NULL, 0};

	if (off <= v.len) {
		r.p = v.p + off;
		r.len = v.len - off;
	}
	return r;
}

/* Only for pointers from view_at(), within the bytes it checked. */
static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* Identifies a datagram: RFC 791 section 3.2 (src, dst, protocol, id)
 * for IPv4, RFC 8200 section 4.5 (src, dst, id) for IPv6. */
typedef struct frag_key {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t proto; /* IPv4 only; 0 for IPv6 */
	uint8_t ipv;
} frag_key;

typedef struct frag {
	struct frag *prev, *next; /* oldest first */
	frag_key key;
	ms_time created;
	uint32_t total;   /* payload length, known from the last fragment */
	int have_total;   /* the last fragment (MF/M clear) was seen */
	uint32_t max_end; /* highest end offset stored so far */
	uint32_t cap;     /* bytes allocated in buf, counted in d->bytes */
	uint32_t nset;    /* 8-byte blocks received */
	uint8_t nxt;      /* IPv6: first header of the fragmentable part */
	uint8_t *buf;
	uint64_t map[FRAG_MAP_WORDS]; /* received 8-byte blocks */
} frag;

/* One fragment as found in a packet; off and data are relative to the
 * fragmentable part (IPv6) or IP payload (IPv4). */
typedef struct frag_piece {
	view data;
	uint32_t off;
	int more;
	uint32_t max_total; /* the largest payload the datagram may have */
	uint8_t nxt;
} frag_piece;

struct ms_decoder {
	ms_decoder_limits lim;
	frag *oldest, *newest;
	uint32_t count;
	uint64_t bytes;
	uint8_t *done; /* last reassembled payload, freed on the next call */
};

typedef enum l3_kind { L3_NONE, L3_V4, L3_V6, L3_ANY } l3_kind;

ms_decoder *ms_decoder_new(const ms_decoder_limits *limits)
{
	static const ms_decoder_limits defaults = {
	        MS_FRAG_MAX_DATAGRAMS_DEFAULT,
	        MS_FRAG_MAX_BYTES_DEFAULT,
	        MS_FRAG_TIMEOUT_DEFAULT,
	};
	ms_decoder *d = calloc(1, sizeof(*d));

	if (d)
		d->lim = limits ? *limits : defaults;
	return d;
}

static void frag_drop(ms_decoder *d, frag *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		d->oldest = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		d->newest = f->prev;
	d->count--;
	d->bytes -= f->cap;
	free(f->buf);
	free(f);
}

void ms_decoder_free(ms_decoder *d)
{
	if (!d)
		return;
	while (d->oldest)
		frag_drop(d, d->oldest);
	free(d->done);
	free(d);
}

/* Ages count from a datagram's first fragment, like RFC 791's reassembly
 * timer; packet time going backwards expires nothing. */
static void frag_expire(ms_decoder *d, ms_time now)
{
	double limit_ms = (double)d->lim.frag_timeout_s * 1e3;

	while (d->oldest && ms_time_diff_ms(d->oldest->created, now) > limit_ms)
		frag_drop(d, d->oldest);
}

static frag *frag_find(ms_decoder *d, const frag_key *k)
{
	frag *f;

	/* Linear: the table is small, and TCP rarely fragments (RFC 1191). */
	for (f = d->newest; f; f = f->prev)
		if (memcmp(&f->key, k, sizeof(*k)) == 0)
			return f;
	return NULL;
}

/* Evicts the oldest datagram other than keep; 0 when there is none. */
static int frag_evict(ms_decoder *d, const frag *keep)
{
	frag *f = d->oldest;

	if (f && f == keep)
		f = f->next;
	if (!f)
		return 0;
	frag_drop(d, f);
	return 1;
}

static frag *frag_create(ms_decoder *d, const frag_key *k, ms_time ts,
                         int *limited)
{
	frag *f;

	if (d->lim.frag_max_datagrams == 0)
		return NULL;
	while (d->count >= d->lim.frag_max_datagrams && frag_evict(d, NULL))
		*limited = 1;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	memcpy(&f->key, k, sizeof(*k)); /* padding too: frag_find memcmp()s */
	f->created = ts;
	f->prev = d->newest;
	if (d->newest)
		d->newest->next = f;
	else
		d->oldest = f;
	d->newest = f;
	d->count++;
	return f;
}

/* Makes f->buf hold at least end bytes within frag_max_bytes. */
static int frag_grow(ms_decoder *d, frag *f, uint32_t end, int *limited)
{
	uint8_t *nb;

	if (end <= f->cap)
		return 1;
	if (end > d->lim.frag_max_bytes)
		return 0;
	while (d->bytes - f->cap + end > d->lim.frag_max_bytes &&
	       frag_evict(d, f))
		*limited = 1;
	nb = realloc(f->buf, end);
	if (!nb)
		return 0;
	d->bytes += end - f->cap;
	f->buf = nb;
	f->cap = end;
	return 1;
}

static inline int map_test(const frag *f, uint32_t b)
{
	return (int)(f->map[b / 64] >> (b % 64) & 1);
}

/* Counts blocks in [b0, b1) already received. */
static uint32_t frag_seen(const frag *f, uint32_t b0, uint32_t b1)
{
	uint32_t b, n = 0;

	for (b = b0; b < b1; b++)
		n += (uint32_t)map_test(f, b);
	return n;
}

/* Copies the blocks not yet received: the first copy wins (RFC 791
 * leaves overlaps to the implementation). Offsets are multiples of 8. */
static void frag_copy(frag *f, const frag_piece *pc)
{
	uint32_t end = pc->off + pc->data.len;
	uint32_t b = pc->off / 8, b1 = (end + 7) / 8;

	while (b < b1) {
		uint32_t run = b;

		while (run < b1 && !map_test(f, run)) {
			f->map[run / 64] |= (uint64_t)1 << (run % 64);
			run++;
		}
		if (run > b) {
			uint32_t from = b * 8, to = min32(run * 8, end);

			memcpy(f->buf + from, pc->data.p + (from - pc->off),
			       to - from);
			f->nset += run - b;
		}
		b = run + 1;
	}
}

/* Checks the piece against what the datagram already knows about its
 * length: a second, different end, or data past the end, is an error. */
static int frag_consistent(frag *f, const frag_piece *pc)
{
	uint32_t end = pc->off + pc->data.len;

	if (pc->more)
		return !f->have_total || end <= f->total;
	if (f->have_total)
		return end == f->total;
	if (f->max_end > end)
		return 0;
	f->have_total = 1;
	f->total = end;
	return 1;
}

/* RFC 8200 section 4.5 and RFC 5722: an overlapping IPv6 fragment
 * discards the datagram, an exact duplicate is ignored. */
static int frag_v6_overlap(const frag *f, const frag_piece *pc, int *dup)
{
	uint32_t b0 = pc->off / 8, b1 = (pc->off + pc->data.len + 7) / 8;
	uint32_t seen = frag_seen(f, b0, b1);

	*dup = seen == b1 - b0 && b1 > b0;
	return seen != 0 && !*dup;
}

/* Stores the piece; 0 when it contradicts the datagram. */
static int frag_store(frag *f, const frag_piece *pc, int *dup)
{
	uint32_t end = pc->off + pc->data.len;

	*dup = 0;
	if (!frag_consistent(f, pc))
		return 0;
	if (f->key.ipv == 6 && frag_v6_overlap(f, pc, dup))
		return 0;
	if (*dup)
		return 1;
	frag_copy(f, pc);
	if (end > f->max_end)
		f->max_end = end;
	if (pc->off == 0)
		f->nxt = pc->nxt;
	return 1;
}

/* Hands a complete datagram's buffer over to d->done. */
static view frag_finish(ms_decoder *d, frag *f, uint8_t *nxt)
{
	view v;

	free(d->done);
	d->done = f->buf;
	v.p = f->buf;
	v.len = f->total;
	*nxt = f->nxt;
	f->buf = NULL;
	frag_drop(d, f);
	return v;
}

/* RFC 791 section 3.2 and RFC 8200 section 4.5: non-last fragments carry
 * a multiple of 8 bytes and the datagram fits in 65535 bytes. */
static int frag_piece_valid(const frag_piece *pc)
{
	if (pc->more && pc->data.len % 8 != 0)
		return 0;
	return pc->off + pc->data.len <= pc->max_total;
}

/* Adds one fragment. Returns MS_DECODE_OK with *out set to the
 * reassembled payload (and *nxt, for IPv6) once the datagram completes. */
static ms_decode_result frag_add(ms_decoder *d, const frag_key *k,
                                 const frag_piece *pc, ms_time ts, view *out,
                                 uint8_t *nxt)
{
	int limited = 0, dup;
	frag *f = frag_find(d, k);

	if (!frag_piece_valid(pc)) {
		if (f)
			frag_drop(d, f);
		return MS_DECODE_FRAG_BAD;
	}
	if (!f)
		f = frag_create(d, k, ts, &limited);
	if (!f)
		return MS_DECODE_FRAG_LIMIT;
	if (!frag_grow(d, f, pc->off + pc->data.len, &limited)) {
		frag_drop(d, f);
		return MS_DECODE_FRAG_LIMIT;
	}
	if (!frag_store(f, pc, &dup)) {
		frag_drop(d, f);
		return MS_DECODE_FRAG_BAD;
	}
	if (f->have_total && f->nset == (f->total + 7) / 8) {
		*out = frag_finish(d, f, nxt);
		return MS_DECODE_OK;
	}
	return limited ? MS_DECODE_FRAG_LIMIT : MS_DECODE_FRAG_HELD;
}

/* Checksums are not verified: offloading leaves them wrong in captures
 * taken on the sending host.
 *
 * seg holds the captured part of the IP payload, claimed is its length
 * per the IP header: a header cut by the snap length is TRUNCATED, one
 * that would not fit even in the claimed length is MALFORMED. */
static ms_decode_result tcp_decode(view seg, uint32_t claimed, ms_segment *out)
{
	const uint8_t *t = view_at(seg, 0, 20);
	uint32_t doff;

	if (!t)
		return claimed < 20 ? MS_DECODE_MALFORMED : MS_DECODE_TRUNCATED;
	doff = (uint32_t)(t[12] >> 4) * 4;
	if (doff < 20 || doff > claimed)
		return MS_DECODE_MALFORMED;
	if (!view_at(seg, 0, doff))
		return MS_DECODE_TRUNCATED;
	out->sport = rd16(t);
	out->dport = rd16(t + 2);
	out->seq = rd32(t + 4);
	out->ack = rd32(t + 8);
	out->flags = t[13] & 0x3f;
	out->window = rd16(t + 14);
	out->payload = seg.p + doff;
	out->len = seg.len - doff;
	return MS_DECODE_OK;
}

static ms_decode_result ip4_frag(ms_decoder *d, const uint8_t *h, view body,
                                 uint32_t ihl, ms_time ts, ms_segment *out)
{
	uint16_t fo = rd16(h + 6);
	frag_key k;
	frag_piece pc;
	view whole;
	uint8_t nxt;
	ms_decode_result r;

	memset(&k, 0, sizeof(k));
	memcpy(k.src, h + 12, 4);
	memcpy(k.dst, h + 16, 4);
	k.id = rd16(h + 4);
	k.proto = h[9];
	k.ipv = 4;
	pc.data = body;
	pc.off = (uint32_t)(fo & 0x1fff) * 8;
	pc.more = (fo & 0x2000) != 0;
	pc.max_total = IP_MAX_LEN - ihl;
	pc.nxt = IPPROTO_TCP_;
	r = frag_add(d, &k, &pc, ts, &whole, &nxt);
	if (r != MS_DECODE_OK)
		return r;
	return tcp_decode(whole, whole.len, out);
}

/* RFC 791 section 3.1. */
static ms_decode_result ip4_decode(ms_decoder *d, view s, ms_time ts,
                                   ms_segment *out)
{
	const uint8_t *h = view_at(s, 0, 20);
	uint32_t ihl, tot, avail;
	view body;

	if (!h)
		return MS_DECODE_TRUNCATED;
	ihl = (uint32_t)(h[0] & 0x0f) * 4;
	tot = rd16(h + 2);
	if (h[0] >> 4 != 4 || ihl < 20 || tot < ihl)
		return MS_DECODE_MALFORMED;
	if (!view_at(s, 0, ihl))
		return MS_DECODE_TRUNCATED;
	out->ip_version = 4;
	memcpy(out->src, h + 12, 4);
	memcpy(out->dst, h + 16, 4);
	if (h[9] != IPPROTO_TCP_)
		return MS_DECODE_NOT_TCP;
	/* Total length, not caplen, ends the datagram: Ethernet pads short
	 * frames to 60 bytes. */
	avail = min32(tot, s.len);
	body.p = h + ihl;
	body.len = avail - ihl;
	if (rd16(h + 6) & 0x3fff) {
		if (avail < tot)
			return MS_DECODE_TRUNCATED;
		return ip4_frag(d, h, body, ihl, ts, out);
	}
	return tcp_decode(body, tot - ihl, out);
}

/* The IPv6 header walk, over the captured part of the payload. */
typedef struct ip6_walk {
	view body;
	uint32_t claimed; /* payload length per the header */
	uint8_t nxt;
	int reassembled;
} ip6_walk;

static ms_decode_result ip6_headers(ms_decoder *d, ip6_walk *w, ms_time ts,
                                    ms_segment *out);

static int ip6_is_ext(uint8_t nxt)
{
	return nxt == IPPROTO_HOPOPTS_ || nxt == IPPROTO_ROUTING_ ||
	       nxt == IPPROTO_DSTOPTS_ || nxt == IPPROTO_AH_ ||
	       nxt == IPPROTO_FRAGMENT_;
}

/* Length of the extension header nxt at e: RFC 8200 section 4 counts
 * 8-byte units beyond the first, AH (RFC 4302 section 2.2) 4-byte units
 * minus 2, and the Fragment header has none. */
static uint32_t ip6_ext_len(uint8_t nxt, const uint8_t *e)
{
	if (nxt == IPPROTO_AH_)
		return ((uint32_t)e[1] + 2) * 4;
	if (nxt == IPPROTO_FRAGMENT_)
		return 8;
	return ((uint32_t)e[1] + 1) * 8;
}

/* RFC 8200 section 4.5: the 8-byte fragment header e at off, which is
 * not an atomic fragment. Every fragment names the first header of the
 * fragmentable part, so those of other protocols are never held. */
static ms_decode_result ip6_frag(ms_decoder *d, const ip6_walk *w,
                                 const uint8_t *e, uint32_t off, ms_time ts,
                                 ms_segment *out)
{
	frag_key k;
	frag_piece pc;
	ip6_walk whole;
	ms_decode_result r;

	if (e[0] != IPPROTO_TCP_ && !ip6_is_ext(e[0]))
		return MS_DECODE_NOT_TCP;
	if (w->reassembled)
		return MS_DECODE_FRAG_BAD;
	if (w->body.len < w->claimed)
		return MS_DECODE_TRUNCATED;
	memset(&k, 0, sizeof(k));
	memcpy(k.src, out->src, 16);
	memcpy(k.dst, out->dst, 16);
	k.id = rd32(e + 4);
	k.ipv = 6;
	pc.data = view_from(w->body, off + 8);
	pc.off = rd16(e + 2) & 0xfff8u;
	pc.more = e[3] & 1;
	pc.max_total = IP_MAX_LEN - off;
	pc.nxt = e[0];
	r = frag_add(d, &k, &pc, ts, &whole.body, &whole.nxt);
	if (r != MS_DECODE_OK)
		return r;
	whole.claimed = whole.body.len;
	whole.reassembled = 1;
	return ip6_headers(d, &whole, ts, out);
}

static ms_decode_result ip6_headers(ms_decoder *d, ip6_walk *w, ms_time ts,
                                    ms_segment *out)
{
	uint32_t off = 0;

	/* Each header advances off by at least 8 bytes within claimed. */
	while (ip6_is_ext(w->nxt)) {
		const uint8_t *e = view_at(w->body, off, 8);
		uint32_t len;

		if (!e)
			return off + 8 > w->claimed ? MS_DECODE_MALFORMED
			                            : MS_DECODE_TRUNCATED;
		len = ip6_ext_len(w->nxt, e);
		if (len > w->claimed - off)
			return MS_DECODE_MALFORMED;
		/* An atomic fragment (offset 0, M clear) is processed as
		 * if unfragmented (RFC 6946). */
		if (w->nxt == IPPROTO_FRAGMENT_ && (rd16(e + 2) & 0xfff9u))
			return ip6_frag(d, w, e, off, ts, out);
		w->nxt = e[0];
		off += len;
	}
	if (w->nxt != IPPROTO_TCP_)
		return MS_DECODE_NOT_TCP;
	return tcp_decode(view_from(w->body, off), w->claimed - off, out);
}

/* RFC 8200 section 3. */
static ms_decode_result ip6_decode(ms_decoder *d, view s, ms_time ts,
                                   ms_segment *out)
{
	const uint8_t *h = view_at(s, 0, 40);
	ip6_walk w;

	if (!h)
		return MS_DECODE_TRUNCATED;
	if (h[0] >> 4 != 6)
		return MS_DECODE_MALFORMED;
	out->ip_version = 6;
	memcpy(out->src, h + 8, 16);
	memcpy(out->dst, h + 24, 16);
	w.claimed = rd16(h + 4);
	/* Zero means a jumbogram (RFC 2675), which no link here carries. */
	if (w.claimed == 0)
		return MS_DECODE_MALFORMED;
	w.body = view_from(s, 40);
	w.body.len = min32(w.body.len, w.claimed);
	w.nxt = h[6];
	w.reassembled = 0;
	return ip6_headers(d, &w, ts, out);
}

static int is_vlan_type(uint16_t type)
{
	return type == ETH_8021Q || type == ETH_8021AD || type == ETH_QINQ_OLD;
}

/* Reads the EtherType at type_off, skipping VLAN tags that start at
 * *off; on return *off is where the network header starts. */
static ms_decode_result ether_type(view s, uint32_t type_off, uint32_t *off,
                                   l3_kind *l3, ms_segment *out)
{
	const uint8_t *t = view_at(s, type_off, 2);
	uint16_t type;

	if (!t)
		return MS_DECODE_TRUNCATED;
	type = rd16(t);
	while (is_vlan_type(type)) {
		const uint8_t *tag = view_at(s, *off, 4);

		if (!tag)
			return MS_DECODE_TRUNCATED;
		if (out->vlan_count < MS_MAX_VLAN)
			out->vlan[out->vlan_count++] = rd16(tag) & 0x0fff;
		type = rd16(tag + 2);
		*off += 4;
	}
	if (type == ETH_IPV4)
		*l3 = L3_V4;
	else if (type == ETH_IPV6)
		*l3 = L3_V6;
	return *l3 == L3_NONE ? MS_DECODE_NOT_IP : MS_DECODE_OK;
}

/* BSD AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD), 28
 * (FreeBSD) or 30 (macOS). */
static l3_kind bsd_family(uint32_t af)
{
	if (af == 2)
		return L3_V4;
	if (af == 24 || af == 28 || af == 30)
		return L3_V6;
	return L3_NONE;
}

/* DLT_NULL stores the family in the writer's byte order, which need not
 * be ours; families are small, so the order with the high half clear is
 * the right one. DLT_LOOP always uses network order. */
static ms_decode_result null_decode(view s, int net_order, l3_kind *l3)
{
	const uint8_t *p = view_at(s, 0, 4);
	uint32_t af;

	if (!p)
		return MS_DECODE_TRUNCATED;
	af = rd32(p);
	if (!net_order && (af & 0xffff0000u))
		af = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
		     (uint32_t)p[1] << 8 | p[0];
	*l3 = bsd_family(af);
	return *l3 == L3_NONE ? MS_DECODE_NOT_IP : MS_DECODE_OK;
}

/* Finds the network header for a link type. */
static ms_decode_result link_decode(int linktype, view s, uint32_t *off,
                                    l3_kind *l3, ms_segment *out)
{
	*l3 = L3_NONE;
	switch (linktype) {
	case 1: /* Ethernet */
		*off = 14;
		return ether_type(s, 12, off, l3, out);
	case 113: /* Linux SLL */
		*off = 16;
		return ether_type(s, 14, off, l3, out);
	case 276: /* Linux SLL2 */
		*off = 20;
		return ether_type(s, 0, off, l3, out);
	case 0:   /* BSD null */
	case 108: /* OpenBSD loopback */
		*off = 4;
		return null_decode(s, linktype == 108, l3);
	case 12:
	case 14:
	case 101: /* raw IP */
		*l3 = L3_ANY;
		*off = 0;
		return MS_DECODE_OK;
	case 228:
	case 229:
		*l3 = linktype == 228 ? L3_V4 : L3_V6;
		*off = 0;
		return MS_DECODE_OK;
	default:
		return MS_DECODE_BAD_LINK;
	}
}

ms_decode_result ms_decoder_decode(ms_decoder *d, int linktype,
                                   const uint8_t *pkt, uint32_t caplen,
                                   ms_time ts, ms_segment *out)
{
	view s = {pkt, pkt ? caplen : 0}, ip;
	uint32_t off = 0;
	l3_kind l3;
	ms_decode_result r;

	memset(out, 0, sizeof(*out));
	out->ts = ts;
	free(d->done);
	d->done = NULL;
	frag_expire(d, ts);
	r = link_decode(linktype, s, &off, &l3, out);
	if (r != MS_DECODE_OK)
		return r;
	ip = view_from(s, off);
	if (l3 == L3_ANY) {
		const uint8_t *v = view_at(ip, 0, 1);
		if (!v)
			return MS_DECODE_TRUNCATED;
		l3 = *v >> 4 == 6 ? L3_V6 : L3_V4;
	}
	if (l3 == L3_V6)
		return ip6_decode(d, ip, ts, out);
	return ip4_decode(d, ip, ts, out);
}

const char *ms_decode_result_name(ms_decode_result r)
{
	static const char *const names[MS_DECODE_RESULT_COUNT] = {
	        [MS_DECODE_OK] = "ok",
	        [MS_DECODE_FRAG_HELD] = "frag_held",
	        [MS_DECODE_NOT_IP] = "non_ip",
	        [MS_DECODE_NOT_TCP] = "non_tcp",
	        [MS_DECODE_TRUNCATED] = "truncated",
	        [MS_DECODE_MALFORMED] = "malformed",
	        [MS_DECODE_BAD_LINK] = "bad_link",
	        [MS_DECODE_FRAG_LIMIT] = "frag_limit",
	        [MS_DECODE_FRAG_BAD] = "frag_bad",
	};

	if ((unsigned)r >= MS_DECODE_RESULT_COUNT)
		return "unknown";
	return names[r];
}
