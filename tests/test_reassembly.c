/* Tests for reassembly/reassembly.c. Every segment is built here, so the
 * bytes and gaps each flow must deliver are known exactly; a recording
 * ms_stream_ops keeps, per flow, what the reassembler handed over. */
#include <arpa/inet.h>
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reassembly/reassembly.h"

/* ---- recording callbacks ---- */

#define MAX_RECS  4096
#define MAX_EVENT 16384
#define MAX_GAPS  256
#define MAX_NOTES 256

typedef struct gap_rec {
	int dir;
	uint64_t n;
	size_t at; /* bytes delivered in dir before the gap */
} gap_rec;

typedef struct note_rec {
	int dir;
	ms_reasm_note note;
	uint64_t value;
} note_rec;

typedef struct rec {
	int id; /* 1-based, in order of open() */
	ms_flow_info info;
	uint8_t *buf[2];
	size_t n[2], cap[2];
	gap_rec gaps[MAX_GAPS];
	int ngaps;
	note_rec notes[MAX_NOTES];
	int nnotes;
	int ncloses;
	ms_close_reason why;
} rec;

static struct {
	rec *recs[MAX_RECS];
	int nrecs;
	int event[MAX_EVENT]; /* +id for open, -id for close */
	int nevents;
	int live, max_live;
	uint16_t swap_port;   /* open() swaps when the guessed client uses it */
	uint16_t ignore_port; /* open() returns NULL for this server port */
	ms_time now;
} H;

static void event(int e)
{
	ck_assert_int_lt(H.nevents, MAX_EVENT);
	H.event[H.nevents++] = e;
}

static void *rec_open(void *user, const ms_flow_info *info, bool *swap)
{
	rec *x;

	(void)user;
	if (H.ignore_port && info->server_port == H.ignore_port)
		return NULL;
	x = calloc(1, sizeof(*x));
	ck_assert_ptr_nonnull(x);
	ck_assert_int_lt(H.nrecs, MAX_RECS);
	x->id = H.nrecs + 1;
	x->info = *info;
	H.recs[H.nrecs++] = x;
	event(x->id);
	if (++H.live > H.max_live)
		H.max_live = H.live;
	if (H.swap_port && info->client_port == H.swap_port)
		*swap = true;
	return x;
}

static void rec_data(void *app, int dir, const uint8_t *p, size_t n, ms_time ts)
{
	rec *x = app;

	(void)ts;
	ck_assert(dir == 0 || dir == 1);
	ck_assert_int_eq(x->ncloses, 0);
	ck_assert_uint_gt(n, 0);
	if (x->n[dir] + n > x->cap[dir]) {
		x->cap[dir] = (x->n[dir] + n) * 2;
		x->buf[dir] = realloc(x->buf[dir], x->cap[dir]);
		ck_assert_ptr_nonnull(x->buf[dir]);
	}
	memcpy(x->buf[dir] + x->n[dir], p, n);
	x->n[dir] += n;
}

static void rec_gap(void *app, int dir, uint64_t n, ms_time ts)
{
	rec *x = app;

	(void)ts;
	ck_assert_int_eq(x->ncloses, 0);
	ck_assert_int_lt(x->ngaps, MAX_GAPS);
	x->gaps[x->ngaps++] = (gap_rec){dir, n, x->n[dir]};
}

static void rec_note(void *app, int dir, ms_reasm_note note, uint64_t value,
                     ms_time ts)
{
	rec *x = app;

	(void)ts;
	ck_assert_int_lt(x->nnotes, MAX_NOTES);
	x->notes[x->nnotes++] = (note_rec){dir, note, value};
}

static void rec_close(void *app, ms_close_reason why, ms_time ts)
{
	rec *x = app;

	(void)ts;
	x->ncloses++;
	x->why = why;
	event(-x->id);
	H.live--;
}

static const ms_stream_ops ops = {rec_open, rec_data, rec_gap, rec_note,
                                  rec_close};

static void setup(void)
{
	memset(&H, 0, sizeof(H));
	H.now.sec = 1000;
}

static void teardown(void)
{
	for (int i = 0; i < H.nrecs; i++) {
		free(H.recs[i]->buf[0]);
		free(H.recs[i]->buf[1]);
		free(H.recs[i]);
	}
	H.nrecs = 0;
}

static ms_reasm *reasm(const ms_reasm_limits *l)
{
	ms_reasm *r = ms_reasm_new(l, &ops, NULL);

	ck_assert_ptr_nonnull(r);
	return r;
}

/* ---- building segments ---- */

typedef struct conn {
	uint8_t v;
	uint8_t ip[2][16]; /* [0] client, [1] server */
	uint16_t port[2];
} conn;

static conn conn4(const char *c, uint16_t cport, const char *s, uint16_t sport)
{
	conn k;

	memset(&k, 0, sizeof(k));
	k.v = 4;
	ck_assert_int_eq(inet_pton(AF_INET, c, k.ip[0]), 1);
	ck_assert_int_eq(inet_pton(AF_INET, s, k.ip[1]), 1);
	k.port[0] = cport;
	k.port[1] = sport;
	return k;
}

static conn conn6(const char *c, uint16_t cport, const char *s, uint16_t sport)
{
	conn k;

	memset(&k, 0, sizeof(k));
	k.v = 6;
	ck_assert_int_eq(inet_pton(AF_INET6, c, k.ip[0]), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, s, k.ip[1]), 1);
	k.port[0] = cport;
	k.port[1] = sport;
	return k;
}

static ms_segment mkseg(const conn *c, int dir, uint32_t seq, uint32_t ack,
                        uint8_t flags, const void *p, uint32_t len)
{
	ms_segment s;

	memset(&s, 0, sizeof(s));
	s.ts = H.now;
	s.ip_version = c->v;
	memcpy(s.src, c->ip[dir], 16);
	memcpy(s.dst, c->ip[!dir], 16);
	s.sport = c->port[dir];
	s.dport = c->port[!dir];
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.window = 65535;
	s.payload = p;
	s.len = len;
	return s;
}

/* Sends one segment at the current time; time moves on by 1 ms. */
static void tx(ms_reasm *r, const conn *c, int dir, uint32_t seq, uint32_t ack,
               uint8_t flags, const void *p, uint32_t len)
{
	ms_segment s = mkseg(c, dir, seq, ack, flags, p, len);

	ms_reasm_add_segment(r, &s);
	H.now.usec += 1000;
	if (H.now.usec >= 1000000) {
		H.now.usec -= 1000000;
		H.now.sec++;
	}
}

#define A   MS_TCP_ACK
#define PA  (MS_TCP_PSH | MS_TCP_ACK)
#define FA  (MS_TCP_FIN | MS_TCP_ACK)
#define RA  (MS_TCP_RST | MS_TCP_ACK)
#define SYN MS_TCP_SYN
#define SA  (MS_TCP_SYN | MS_TCP_ACK)

/* Stream contents: client bytes are CP[offset], server bytes SP[offset]. */
static uint8_t CP[1 << 16], SP[1 << 16];

static void fill_patterns(void)
{
	uint32_t x = 0x12345678;

	for (size_t i = 0; i < sizeof(CP); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		CP[i] = (uint8_t)x;
		SP[i] = (uint8_t)(x >> 8);
	}
}

/* A connection in progress: ISNs, so that tests speak in stream offsets. */
typedef struct tcp {
	conn c;
	uint32_t isn[2];
} tcp;

static uint32_t SEQ(const tcp *t, int dir, uint32_t off)
{
	return t->isn[dir] + 1 + off;
}

/* Data from dir at stream offset off, taken from that side's pattern,
 * acknowledging the peer up to offset peer_off. */
static void txd(ms_reasm *r, const tcp *t, int dir, uint32_t off, uint32_t n,
                uint32_t peer_off)
{
	const uint8_t *p = dir ? SP : CP;

	tx(r, &t->c, dir, SEQ(t, dir, off), SEQ(t, !dir, peer_off), PA, p + off,
	   n);
}

static void handshake(ms_reasm *r, const tcp *t)
{
	tx(r, &t->c, 0, t->isn[0], 0, SYN, NULL, 0);
	tx(r, &t->c, 1, t->isn[1], t->isn[0] + 1, SA, NULL, 0);
	tx(r, &t->c, 0, t->isn[0] + 1, t->isn[1] + 1, A, NULL, 0);
}

static tcp tcp4(uint16_t cport, uint32_t isn0, uint32_t isn1)
{
	tcp t;

	t.c = conn4("10.0.0.1", cport, "10.0.0.2", 110);
	t.isn[0] = isn0;
	t.isn[1] = isn1;
	return t;
}

static rec *R(int i)
{
	ck_assert_int_lt(i, H.nrecs);
	return H.recs[i];
}

static void expect_bytes(const rec *x, int dir, const uint8_t *p, size_t n)
{
	ck_assert_uint_eq(x->n[dir], n);
	ck_assert(n == 0 || memcmp(x->buf[dir], p, n) == 0);
}

static void expect_gap(const rec *x, int i, int dir, uint64_t n, size_t at)
{
	ck_assert_int_lt(i, x->ngaps);
	ck_assert_int_eq(x->gaps[i].dir, dir);
	ck_assert_uint_eq(x->gaps[i].n, n);
	ck_assert_uint_eq(x->gaps[i].at, at);
}

/* A fixed-seed PRNG (xorshift64), so every run sends the same segments. */
static uint64_t rnd_state;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state >> 16);
}

/* ---- handshake, data, FIN ---- */

START_TEST(test_handshake_fin)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40000, 1000, 5000);
	rec *x;

	handshake(r, &t);
	txd(r, &t, 1, 0, 20, 0);
	txd(r, &t, 0, 0, 10, 20);
	txd(r, &t, 1, 20, 30, 10);
	txd(r, &t, 0, 10, 5, 50);
	tx(r, &t.c, 0, SEQ(&t, 0, 15), SEQ(&t, 1, 50), FA, NULL, 0);
	tx(r, &t.c, 1, SEQ(&t, 1, 50), SEQ(&t, 0, 16), FA, NULL, 0);
	ck_assert_int_eq(H.nrecs, 1);
	x = R(0);
	ck_assert_int_eq(x->ncloses, 1);
	ck_assert_int_eq(x->why, MS_CLOSE_FIN);
	tx(r, &t.c, 0, SEQ(&t, 0, 16), SEQ(&t, 1, 51), A, NULL, 0);
	ck_assert(!x->info.midstream);
	ck_assert_uint_eq(x->info.ip_version, 4);
	ck_assert_uint_eq(x->info.client_port, 40000);
	ck_assert_uint_eq(x->info.server_port, 110);
	ck_assert(memcmp(x->info.client_ip, t.c.ip[0], 16) == 0);
	ck_assert(memcmp(x->info.server_ip, t.c.ip[1], 16) == 0);
	expect_bytes(x, 0, CP, 15);
	expect_bytes(x, 1, SP, 50);
	ck_assert_int_eq(x->ngaps, 0);
	ck_assert_int_eq(x->nnotes, 0);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(H.nrecs, 1);
	ck_assert_int_eq(x->ncloses, 1);
	ck_assert_uint_eq(ms_reasm_stats_get(r)->flows, 1);
	ck_assert_uint_eq(ms_reasm_stats_get(r)->gaps, 0);
	ck_assert_uint_eq(ms_reasm_flow_count(r), 0);
	ms_reasm_free(r);
}
END_TEST

/* The first packet seen is the SYN-ACK: its receiver is the client. */
START_TEST(test_synack_first)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40001, 1000, 5000);
	rec *x;

	tx(r, &t.c, 1, t.isn[1], t.isn[0] + 1, SA, NULL, 0);
	tx(r, &t.c, 0, t.isn[0] + 1, t.isn[1] + 1, A, NULL, 0);
	txd(r, &t, 1, 0, 8, 0);
	txd(r, &t, 0, 0, 12, 8);
	x = R(0);
	ck_assert(!x->info.midstream);
	ck_assert_uint_eq(x->info.client_port, 40001);
	ck_assert(memcmp(x->info.client_ip, t.c.ip[0], 16) == 0);
	expect_bytes(x, 0, CP, 12);
	expect_bytes(x, 1, SP, 8);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->why, MS_CLOSE_END_OF_CAPTURE);
	ck_assert_int_eq(x->ngaps, 0);
	ms_reasm_free(r);
}
END_TEST

/* ---- sequence wrap-around ---- */

static void wrap_run(const int *order, int n)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40002, 0xFFFFFFF0u, 0xFFFFFFF8u);
	rec *x;

	handshake(r, &t);
	/* 64 bytes from 0xFFFFFFF1: the stream crosses 2^32 at offset 15. */
	for (int i = 0; i < n; i++)
		txd(r, &t, 0, (uint32_t)order[i] * 16, 16, 0);
	txd(r, &t, 1, 0, 64, 64);
	x = R(0);
	expect_bytes(x, 0, CP, 64);
	expect_bytes(x, 1, SP, 64);
	ck_assert_int_eq(x->ngaps, 0);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->ngaps, 0);
	ms_reasm_free(r);
}

START_TEST(test_wrap_in_order)
{
	static const int order[] = {0, 1, 2, 3};

	wrap_run(order, 4);
}
END_TEST

START_TEST(test_wrap_reordered)
{
	static const int o1[] = {3, 1, 2, 0};
	static const int o2[] = {1, 0, 3, 2};

	wrap_run(o1, 4);
	teardown();
	setup();
	wrap_run(o2, 4);
}
END_TEST

/* ---- out of order ---- */

static bool next_permutation(int *a, int n)
{
	int i = n - 2, j = n - 1;

	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return false;
	while (a[j] <= a[i])
		j--;
	int t = a[i];
	a[i] = a[j];
	a[j] = t;
	for (int lo = i + 1, hi = n - 1; lo < hi; lo++, hi--) {
		t = a[lo];
		a[lo] = a[hi];
		a[hi] = t;
	}
	return true;
}

/* Every order of five segments gives the same stream, with no gap; the
 * ISN puts the 2^32 wrap inside the third segment. */
START_TEST(test_permutations)
{
	static const uint32_t off[] = {0, 7, 20, 21, 41};
	static const uint32_t len[] = {7, 13, 1, 20, 9};
	int a[] = {0, 1, 2, 3, 4}, runs = 0;

	do {
		ms_reasm *r = reasm(NULL);
		tcp t = tcp4(40003, 0xFFFFFFEBu, 77);
		rec *x;

		setup();
		handshake(r, &t);
		for (int i = 0; i < 5; i++)
			txd(r, &t, 0, off[a[i]], len[a[i]], 0);
		x = R(0);
		expect_bytes(x, 0, CP, 50);
		ck_assert_uint_eq(ms_reasm_held_bytes(r), 0);
		ms_reasm_finish(r, H.now);
		ck_assert_int_eq(x->ngaps, 0);
		ck_assert_int_eq(x->nnotes, 0);
		expect_bytes(x, 0, CP, 50);
		ms_reasm_free(r);
		teardown();
		runs++;
	} while (next_permutation(a, 5));
	ck_assert_int_eq(runs, 120);
}
END_TEST

typedef struct piece {
	uint32_t off, len;
} piece;

/* Splits n bytes into 1-7 byte pieces, adds duplicates (exact copies and
 * re-cut ranges over several pieces) and shuffles within a window. */
static size_t random_pieces(piece *pc, size_t max, uint32_t n)
{
	size_t k = 0;

	for (uint32_t off = 0; off < n;) {
		uint32_t len = 1 + rnd() % 7;
		if (len > n - off)
			len = n - off;
		pc[k++] = (piece){off, len};
		off += len;
	}
	for (size_t orig = k, i = 0; i < orig / 6 && k < max; i++) {
		size_t at = rnd() % k;
		piece d = pc[rnd() % orig];
		if (rnd() % 2) {
			d.len = 1 + rnd() % 20;
			if (d.len > n - d.off)
				d.len = n - d.off;
		}
		memmove(pc + at + 1, pc + at, (k - at) * sizeof(*pc));
		pc[at] = d;
		k++;
	}
	for (size_t i = 0; i < k; i++) {
		size_t j = i + rnd() % 12;
		if (j < k) {
			piece tmp = pc[i];
			pc[i] = pc[j];
			pc[j] = tmp;
		}
	}
	return k;
}

START_TEST(test_random_splits)
{
	enum { N = 10000, MAXP = 20000 };
	piece *pc = malloc(MAXP * sizeof(*pc));

	ck_assert_ptr_nonnull(pc);
	for (uint64_t seed = 1; seed <= 25; seed++) {
		ms_reasm *r = reasm(NULL);
		tcp t;
		size_t k;
		rec *x;

		rnd_state = seed * 0x9E3779B97F4A7C15ull;
		t = tcp4(40004, seed == 1 ? 0xFFFFEC00u : rnd(), rnd());
		setup();
		k = random_pieces(pc, MAXP, N);
		handshake(r, &t);
		for (size_t i = 0; i < k; i++)
			txd(r, &t, 0, pc[i].off, pc[i].len, 0);
		x = R(0);
		expect_bytes(x, 0, CP, N);
		ck_assert_uint_eq(ms_reasm_held_bytes(r), 0);
		ck_assert_uint_gt(ms_reasm_stats_get(r)->out_of_order, 0);
		ck_assert_uint_gt(ms_reasm_stats_get(r)->retransmissions, 0);
		ms_reasm_finish(r, H.now);
		ck_assert_int_eq(x->ngaps, 0);
		ck_assert_int_eq(x->nnotes, 0);
		ck_assert_uint_eq(ms_reasm_stats_get(r)->overlap_conflicts, 0);
		ms_reasm_free(r);
		teardown();
	}
	free(pc);
}
END_TEST

/* ---- duplicates, overlaps ---- */

START_TEST(test_retransmissions)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40005, 100, 200);
	rec *x;

	handshake(r, &t);
	txd(r, &t, 0, 0, 10, 0);
	txd(r, &t, 0, 0, 10, 0);  /* exact duplicate */
	txd(r, &t, 0, 5, 10, 0);  /* half old, half new */
	txd(r, &t, 0, 3, 4, 0);   /* inside what was delivered */
	txd(r, &t, 0, 20, 5, 0);  /* held */
	txd(r, &t, 0, 20, 5, 0);  /* the held copy again */
	txd(r, &t, 0, 15, 10, 0); /* fills the hole, covers the held */
	x = R(0);
	expect_bytes(x, 0, CP, 25);
	ck_assert_uint_eq(ms_reasm_stats_get(r)->retransmissions, 3);
	ck_assert_uint_eq(ms_reasm_stats_get(r)->overlap_conflicts, 0);
	ck_assert_int_eq(x->nnotes, 0);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->ngaps, 0);
	ms_reasm_free(r);
}
END_TEST

/* Held [20,30), then [15,25) arrives out of order; b says what the
 * second copy carries over [20,25). */
static rec *overlap_held_held(const uint8_t *b)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40006, 100, 200);
	uint8_t second[10];
	rec *x;

	handshake(r, &t);
	tx(r, &t.c, 0, SEQ(&t, 0, 20), SEQ(&t, 1, 0), PA, "AAAAAAAAAA", 10);
	memcpy(second, "bbbbb", 5);
	memcpy(second + 5, b, 5);
	tx(r, &t.c, 0, SEQ(&t, 0, 15), SEQ(&t, 1, 0), PA, second, 10);
	txd(r, &t, 0, 0, 15, 0);
	x = R(0);
	ck_assert_uint_eq(x->n[0], 30);
	ck_assert(memcmp(x->buf[0], CP, 15) == 0);
	ck_assert(memcmp(x->buf[0] + 15, "bbbbbAAAAAAAAAA", 15) == 0);
	ck_assert_uint_ge(ms_reasm_stats_get(r)->overlaps, 1);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->ngaps, 0);
	ms_reasm_free(r);
	return x;
}

START_TEST(test_overlap_held_same)
{
	rec *x = overlap_held_held((const uint8_t *)"AAAAA");

	ck_assert_int_eq(x->nnotes, 0);
}
END_TEST

START_TEST(test_overlap_held_conflict)
{
	rec *x = overlap_held_held((const uint8_t *)"BBBBB");

	ck_assert_int_eq(x->nnotes, 1);
	ck_assert_int_eq(x->notes[0].note, MS_NOTE_OVERLAP_CONFLICT);
	ck_assert_int_eq(x->notes[0].dir, 0);
	ck_assert_uint_eq(x->notes[0].value, 5);
}
END_TEST

/* Held [20,30), then in-order [0,25) whose last five bytes are b. */
static rec *overlap_inorder_held(const uint8_t *b, uint32_t *conflicts)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40007, 100, 200);
	uint8_t first[25];
	rec *x;

	handshake(r, &t);
	tx(r, &t.c, 0, SEQ(&t, 0, 20), SEQ(&t, 1, 0), PA, "AAAAAAAAAA", 10);
	memcpy(first, CP, 20);
	memcpy(first + 20, b, 5);
	tx(r, &t.c, 0, SEQ(&t, 0, 0), SEQ(&t, 1, 0), PA, first, 25);
	x = R(0);
	ck_assert_uint_eq(x->n[0], 30);
	ck_assert(memcmp(x->buf[0], CP, 20) == 0);
	ck_assert(memcmp(x->buf[0] + 20, "AAAAAAAAAA", 10) == 0);
	*conflicts = (uint32_t)ms_reasm_stats_get(r)->overlap_conflicts;
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->ngaps, 0);
	ms_reasm_free(r);
	return x;
}

START_TEST(test_overlap_inorder_same)
{
	uint32_t conflicts;
	rec *x = overlap_inorder_held((const uint8_t *)"AAAAA", &conflicts);

	ck_assert_int_eq(x->nnotes, 0);
	ck_assert_uint_eq(conflicts, 0);
}
END_TEST

START_TEST(test_overlap_inorder_conflict)
{
	uint32_t conflicts;
	rec *x = overlap_inorder_held((const uint8_t *)"AAxAA", &conflicts);

	ck_assert_int_eq(x->nnotes, 1);
	ck_assert_int_eq(x->notes[0].note, MS_NOTE_OVERLAP_CONFLICT);
	ck_assert_uint_eq(x->notes[0].value, 5);
	ck_assert_uint_eq(conflicts, 1);
}
END_TEST

/* One new segment overlapping two held ones, differing from both. */
START_TEST(test_overlap_two_held)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40008, 100, 200);
	rec *x;

	handshake(r, &t);
	tx(r, &t.c, 0, SEQ(&t, 0, 10), SEQ(&t, 1, 0), PA, "11", 2);
	tx(r, &t.c, 0, SEQ(&t, 0, 14), SEQ(&t, 1, 0), PA, "22", 2);
	tx(r, &t.c, 0, SEQ(&t, 0, 8), SEQ(&t, 1, 0), PA, "xxxxxxxxxx", 10);
	txd(r, &t, 0, 0, 8, 0);
	x = R(0);
	ck_assert_uint_eq(x->n[0], 18);
	ck_assert(memcmp(x->buf[0], CP, 8) == 0);
	ck_assert(memcmp(x->buf[0] + 8, "xx11xx22xx", 10) == 0);
	ck_assert_int_eq(x->nnotes, 2);
	ck_assert_uint_eq(x->notes[0].value, 2);
	ck_assert_uint_eq(x->notes[1].value, 2);
	ms_reasm_finish(r, H.now);
	ms_reasm_free(r);
}
END_TEST

/* A retransmission of bytes already handed over: [0,20) delivered, then
 * [5,15) again with b in it; window is the overlap window (0: none). */
static rec *retransmit_delivered(const char *b, uint32_t window,
                                 uint32_t *conflicts)
{
	ms_reasm_limits l;
	ms_reasm *r;
	tcp t = tcp4(40040, 100, 200);
	rec *x;

	ms_reasm_limits_default(&l);
	l.overlap_window = window;
	r = reasm(&l);
	handshake(r, &t);
	txd(r, &t, 0, 0, 20, 0);
	tx(r, &t.c, 0, SEQ(&t, 0, 5), SEQ(&t, 1, 0), PA, b, 10);
	x = R(H.nrecs - 1);         /* this run's flow */
	expect_bytes(x, 0, CP, 20); /* the first copy stands */
	*conflicts = (uint32_t)ms_reasm_stats_get(r)->overlap_conflicts;
	ms_reasm_finish(r, H.now);
	ms_reasm_free(r);
	return x;
}

START_TEST(test_retransmit_delivered_same)
{
	uint32_t conflicts;
	char same[10];
	rec *x;

	memcpy(same, CP + 5, 10);
	x = retransmit_delivered(same, 4096, &conflicts);
	ck_assert_int_eq(x->nnotes, 0);
	ck_assert_uint_eq(conflicts, 0);
}
END_TEST

START_TEST(test_retransmit_delivered_conflict)
{
	uint32_t conflicts;
	char other[10];
	rec *x;

	memcpy(other, CP + 5, 10);
	other[7] ^= 0x20;
	x = retransmit_delivered(other, 4096, &conflicts);
	ck_assert_int_eq(x->nnotes, 1);
	ck_assert_int_eq(x->notes[0].note, MS_NOTE_OVERLAP_CONFLICT);
	ck_assert_uint_eq(x->notes[0].value, 10);
	ck_assert_uint_eq(conflicts, 1);
}
END_TEST

/* Only the last 8 bytes, [12,20), are kept: a rewrite at 12 is seen, one
 * before the window is not, and with no window nothing is compared. */
START_TEST(test_retransmit_delivered_window)
{
	uint32_t conflicts;
	char other[10];
	rec *x;

	memcpy(other, CP + 5, 10);
	other[7] ^= 0x20; /* byte 12 */
	x = retransmit_delivered(other, 8, &conflicts);
	ck_assert_int_eq(x->nnotes, 1);
	ck_assert_uint_eq(x->notes[0].value, 3); /* [12,15) compared */
	memcpy(other, CP + 5, 10);
	other[2] ^= 0x20; /* byte 7 */
	x = retransmit_delivered(other, 8, &conflicts);
	ck_assert_int_eq(x->nnotes, 0);
	other[7] ^= 0x20;
	x = retransmit_delivered(other, 0, &conflicts);
	ck_assert_int_eq(x->nnotes, 0);
	ck_assert_uint_eq(conflicts, 0);
}
END_TEST

/* ---- holes declared lost ---- */

/* [10,20) never arrives; [20,30) is held; the server acknowledges 30. */
START_TEST(test_ack_past_hole)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40010, 100, 200);
	rec *x;

	handshake(r, &t);
	txd(r, &t, 0, 0, 10, 0);
	txd(r, &t, 0, 20, 10, 0);
	x = R(0);
	expect_bytes(x, 0, CP, 10);
	tx(r, &t.c, 1, SEQ(&t, 1, 0), SEQ(&t, 0, 15), A, NULL, 0);
	ck_assert_int_eq(x->ngaps, 0); /* the ACK is not past the hole */
	tx(r, &t.c, 1, SEQ(&t, 1, 0), SEQ(&t, 0, 30), A, NULL, 0);
	ck_assert_int_eq(x->ngaps, 1);
	expect_gap(x, 0, 0, 10, 10);
	ck_assert_uint_eq(x->n[0], 20);
	ck_assert(memcmp(x->buf[0] + 10, CP + 20, 10) == 0);
	txd(r, &t, 0, 30, 10, 0);
	ck_assert_uint_eq(x->n[0], 30);
	ck_assert(memcmp(x->buf[0] + 20, CP + 30, 10) == 0);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->ngaps, 1);
	ck_assert_uint_eq(ms_reasm_stats_get(r)->gap_bytes, 10);
	ms_reasm_free(r);
}
END_TEST

/* The ACK past the hole comes first, the data beyond it after: the hole
 * is a gap as soon as data is held beyond it. */
START_TEST(test_ack_before_held)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40011, 100, 200);
	rec *x;

	handshake(r, &t);
	txd(r, &t, 0, 0, 10, 0);
	tx(r, &t.c, 1, SEQ(&t, 1, 0), SEQ(&t, 0, 20), A, NULL, 0);
	txd(r, &t, 0, 20, 10, 0);
	x = R(0);
	ck_assert_int_eq(x->ngaps, 1);
	expect_gap(x, 0, 0, 10, 10);
	ck_assert_uint_eq(x->n[0], 20);
	ck_assert(memcmp(x->buf[0] + 10, CP + 20, 10) == 0);
	ck_assert_uint_eq(ms_reasm_held_bytes(r), 0);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->ngaps, 1);
	ms_reasm_free(r);
}
END_TEST

/* The last segment before the FIN is lost; nothing acknowledges it. */
START_TEST(test_lost_tail_fin_eoc)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40012, 100, 200);
	rec *x;

	handshake(r, &t);
	txd(r, &t, 0, 0, 10, 0);
	tx(r, &t.c, 0, SEQ(&t, 0, 20), SEQ(&t, 1, 0), FA, NULL, 0);
	x = R(0);
	ck_assert_int_eq(x->ngaps, 0);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->why, MS_CLOSE_END_OF_CAPTURE);
	ck_assert_int_eq(x->ngaps, 1);
	expect_gap(x, 0, 0, 10, 10);
	expect_bytes(x, 0, CP, 10);
	ms_reasm_free(r);
}
END_TEST

/* The same, and the peer acknowledges the FIN and closes too: the bytes
 * cannot come any more, the connection is over by FIN. */
START_TEST(test_lost_tail_fin_acked)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40013, 100, 200);
	rec *x;

	handshake(r, &t);
	txd(r, &t, 0, 0, 10, 0);
	txd(r, &t, 1, 0, 5, 10);
	tx(r, &t.c, 0, SEQ(&t, 0, 20), SEQ(&t, 1, 5), FA, NULL, 0);
	tx(r, &t.c, 1, SEQ(&t, 1, 5), SEQ(&t, 0, 21), FA, NULL, 0);
	tx(r, &t.c, 0, SEQ(&t, 0, 21), SEQ(&t, 1, 6), A, NULL, 0);
	x = R(0);
	ck_assert_int_eq(x->ncloses, 1);
	ck_assert_int_eq(x->why, MS_CLOSE_FIN);
	ck_assert_int_eq(x->ngaps, 1);
	expect_gap(x, 0, 0, 10, 10);
	expect_bytes(x, 0, CP, 10);
	expect_bytes(x, 1, SP, 5);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->ncloses, 1);
	ms_reasm_free(r);
}
END_TEST

/* The last segment is lost; only the peer's ACK tells its length. */
static rec *lost_tail_acked(bool rst)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40014, 100, 200);
	rec *x;

	handshake(r, &t);
	txd(r, &t, 0, 0, 10, 0);
	tx(r, &t.c, 1, SEQ(&t, 1, 0), SEQ(&t, 0, 23), A, NULL, 0);
	if (rst)
		tx(r, &t.c, 1, SEQ(&t, 1, 0), SEQ(&t, 0, 23), RA, NULL, 0);
	x = R(0);
	if (!rst)
		ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->ncloses, 1);
	ck_assert_int_eq(x->ngaps, 1);
	expect_gap(x, 0, 0, 13, 10);
	expect_bytes(x, 0, CP, 10);
	ms_reasm_finish(r, H.now);
	ms_reasm_free(r);
	return x;
}

START_TEST(test_lost_tail_ack_rst)
{
	ck_assert_int_eq(lost_tail_acked(true)->why, MS_CLOSE_RST);
}
END_TEST

START_TEST(test_lost_tail_ack_eoc)
{
	ck_assert_int_eq(lost_tail_acked(false)->why, MS_CLOSE_END_OF_CAPTURE);
}
END_TEST

/* ---- RST, port reuse ---- */

START_TEST(test_rst_then_reuse)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40020, 100, 200), t2 = tcp4(40020, 90000, 7000);
	rec *x, *y;

	handshake(r, &t);
	txd(r, &t, 0, 0, 10, 0);
	txd(r, &t, 1, 0, 10, 10);
	tx(r, &t.c, 0, SEQ(&t, 0, 10), SEQ(&t, 1, 10), RA, NULL, 0);
	x = R(0);
	ck_assert_int_eq(x->ncloses, 1);
	ck_assert_int_eq(x->why, MS_CLOSE_RST);
	txd(r, &t, 0, 10, 10, 10);
	txd(r, &t, 1, 10, 10, 20);
	tx(r, &t.c, 1, SEQ(&t, 1, 20), SEQ(&t, 0, 20), SA, NULL, 0);
	ck_assert_uint_eq(ms_reasm_stats_get(r)->ignored_after_close, 3);
	ck_assert_int_eq(H.nrecs, 1);
	expect_bytes(x, 0, CP, 10);
	expect_bytes(x, 1, SP, 10);

	handshake(r, &t2);
	ck_assert_int_eq(H.nrecs, 2);
	y = R(1);
	ck_assert(!y->info.midstream);
	ck_assert_uint_eq(y->info.client_port, 40020);
	txd(r, &t2, 0, 0, 7, 0);
	txd(r, &t2, 1, 0, 9, 7);
	expect_bytes(y, 0, CP, 7);
	expect_bytes(y, 1, SP, 9);
	expect_bytes(x, 0, CP, 10);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(y->why, MS_CLOSE_END_OF_CAPTURE);
	ck_assert_int_eq(x->ncloses, 1);
	ck_assert_int_eq(H.nevents, 4);
	ck_assert_int_eq(H.event[0], 1);
	ck_assert_int_eq(H.event[1], -1);
	ck_assert_int_eq(H.event[2], 2);
	ck_assert_int_eq(H.event[3], -2);
	ms_reasm_free(r);
}
END_TEST

START_TEST(test_fin_then_reuse)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40021, 100, 200), t2 = tcp4(40021, 5000, 6000);

	handshake(r, &t);
	txd(r, &t, 0, 0, 4, 0);
	tx(r, &t.c, 0, SEQ(&t, 0, 4), SEQ(&t, 1, 0), FA, NULL, 0);
	tx(r, &t.c, 1, SEQ(&t, 1, 0), SEQ(&t, 0, 5), FA, NULL, 0);
	tx(r, &t.c, 0, SEQ(&t, 0, 5), SEQ(&t, 1, 1), A, NULL, 0);
	ck_assert_int_eq(R(0)->why, MS_CLOSE_FIN);
	handshake(r, &t2);
	txd(r, &t2, 0, 0, 6, 0);
	ck_assert_int_eq(H.nrecs, 2);
	expect_bytes(R(1), 0, CP, 6);
	expect_bytes(R(0), 0, CP, 4);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(R(1)->why, MS_CLOSE_END_OF_CAPTURE);
	ms_reasm_free(r);
}
END_TEST

/* ---- FIN retransmissions, keep-alives, window probes, SYN data ---- */

START_TEST(test_fin_duplicates)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40030, 100, 200);
	rec *x;

	handshake(r, &t);
	txd(r, &t, 0, 0, 6, 0);
	tx(r, &t.c, 0, SEQ(&t, 0, 6), SEQ(&t, 1, 0), FA, NULL, 0);
	tx(r, &t.c, 0, SEQ(&t, 0, 6), SEQ(&t, 1, 0), FA, NULL, 0);
	/* A FIN carrying data, retransmitted whole. */
	tx(r, &t.c, 1, SEQ(&t, 1, 0), SEQ(&t, 0, 7), FA, SP, 8);
	tx(r, &t.c, 1, SEQ(&t, 1, 0), SEQ(&t, 0, 7), FA, SP, 8);
	x = R(0);
	ck_assert_int_eq(x->ncloses, 1);
	ck_assert_int_eq(x->why, MS_CLOSE_FIN);
	tx(r, &t.c, 0, SEQ(&t, 0, 7), SEQ(&t, 1, 9), A, NULL, 0);
	tx(r, &t.c, 0, SEQ(&t, 0, 6), SEQ(&t, 1, 9), FA, NULL, 0);
	expect_bytes(x, 0, CP, 6);
	expect_bytes(x, 1, SP, 8);
	ck_assert_int_eq(x->ngaps, 0);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->ncloses, 1);
	ck_assert_int_eq(H.nrecs, 1);
	ms_reasm_free(r);
}
END_TEST

START_TEST(test_keepalive_and_probe)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40031, 100, 200);
	uint8_t zero = 0;
	rec *x;

	handshake(r, &t);
	txd(r, &t, 0, 0, 10, 0);
	/* Keep-alives: seq = next-1, no byte or one garbage byte. */
	tx(r, &t.c, 0, SEQ(&t, 0, 9), SEQ(&t, 1, 0), A, NULL, 0);
	tx(r, &t.c, 0, SEQ(&t, 0, 9), SEQ(&t, 1, 0), A, &zero, 1);
	tx(r, &t.c, 1, SEQ(&t, 1, 0), SEQ(&t, 0, 10), A, NULL, 0);
	x = R(0);
	expect_bytes(x, 0, CP, 10);
	/* Zero-window probe: one new byte, then the segment that holds it
	 * again once the window opens. */
	txd(r, &t, 0, 10, 1, 0);
	txd(r, &t, 0, 10, 1, 0);
	txd(r, &t, 0, 10, 10, 0);
	expect_bytes(x, 0, CP, 20);
	txd(r, &t, 1, 0, 3, 20);
	tx(r, &t.c, 1, SEQ(&t, 1, 2), SEQ(&t, 0, 20), A, SP + 2, 1);
	expect_bytes(x, 1, SP, 3);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->ngaps, 0);
	ck_assert_int_eq(x->nnotes, 0);
	expect_bytes(x, 0, CP, 20);
	ms_reasm_free(r);
}
END_TEST

/* Data on a SYN follows its sequence number; the SYN is retransmitted
 * before the SYN-ACK comes, with its data. */
START_TEST(test_syn_data)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40032, 100, 200);
	rec *x;

	tx(r, &t.c, 0, t.isn[0], 0, SYN, CP, 5);
	tx(r, &t.c, 0, t.isn[0], 0, SYN, CP, 5);
	tx(r, &t.c, 1, t.isn[1], SEQ(&t, 0, 5), SA, NULL, 0);
	tx(r, &t.c, 0, SEQ(&t, 0, 5), SEQ(&t, 1, 0), A, NULL, 0);
	txd(r, &t, 0, 5, 5, 0);
	txd(r, &t, 1, 0, 4, 10);
	x = R(0);
	ck_assert_int_eq(H.nrecs, 1);
	ck_assert(!x->info.midstream);
	expect_bytes(x, 0, CP, 10);
	expect_bytes(x, 1, SP, 4);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->ngaps, 0);
	ms_reasm_free(r);
}
END_TEST

/* A SYN retried with a new ISN before any answer starts over. */
START_TEST(test_syn_new_isn)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(40033, 100, 200);
	rec *x;

	tx(r, &t.c, 0, 5000, 0, SYN, NULL, 0);
	handshake(r, &t);
	txd(r, &t, 0, 0, 5, 0);
	x = R(0);
	ck_assert_int_eq(H.nrecs, 1);
	expect_bytes(x, 0, CP, 5);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->ngaps, 0);
	ms_reasm_free(r);
}
END_TEST

/* ---- mid-stream ---- */

static rec *midstream(uint16_t swap_port)
{
	ms_reasm *r = reasm(NULL);
	conn c = conn4("10.0.0.1", 40040, "10.0.0.2", 110);
	rec *x;

	H.swap_port = swap_port;
	tx(r, &c, 1, 7000, 3000, PA, "+OK hi\r\n", 8);
	tx(r, &c, 0, 3000, 7008, PA, "USER x\r\n", 8);
	tx(r, &c, 1, 7008, 3008, PA, "+OK\r\n", 5);
	x = R(0);
	ck_assert(x->info.midstream);
	/* The guess: the first packet's sender is the client. */
	ck_assert_uint_eq(x->info.client_port, 110);
	ck_assert(memcmp(x->info.client_ip, c.ip[1], 16) == 0);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->ngaps, 0);
	ms_reasm_free(r);
	return x;
}

START_TEST(test_midstream_guess)
{
	rec *x = midstream(0);

	expect_bytes(x, 0, (const uint8_t *)"+OK hi\r\n+OK\r\n", 13);
	expect_bytes(x, 1, (const uint8_t *)"USER x\r\n", 8);
}
END_TEST

START_TEST(test_midstream_swap)
{
	rec *x = midstream(110);

	expect_bytes(x, 0, (const uint8_t *)"USER x\r\n", 8);
	expect_bytes(x, 1, (const uint8_t *)"+OK hi\r\n+OK\r\n", 13);
}
END_TEST

/* A mid-stream flow where one side only acknowledges, then both close. */
START_TEST(test_midstream_fin_no_data)
{
	ms_reasm *r = reasm(NULL);
	conn c = conn4("10.0.0.1", 40041, "10.0.0.2", 110);
	rec *x;

	tx(r, &c, 1, 7000, 3000, PA, "+OK hi\r\n", 8);
	tx(r, &c, 0, 3000, 7008, A, NULL, 0);
	tx(r, &c, 1, 7008, 3000, FA, NULL, 0);
	tx(r, &c, 0, 3000, 7009, FA, NULL, 0);
	x = R(0);
	ck_assert_int_eq(x->ncloses, 1);
	ck_assert_int_eq(x->why, MS_CLOSE_FIN);
	ck_assert_int_eq(x->ngaps, 0);
	expect_bytes(x, 0, (const uint8_t *)"+OK hi\r\n", 8);
	ms_reasm_finish(r, H.now);
	ms_reasm_free(r);
}
END_TEST

/* ---- timeouts ---- */

START_TEST(test_idle_timeouts)
{
	ms_reasm_limits l;
	ms_reasm *r;
	tcp est = tcp4(40050, 100, 200), half = tcp4(40051, 300, 0);
	tcp fin = tcp4(40052, 400, 500);
	conn other = conn4("10.9.9.9", 1, "10.9.9.8", 2);

	ms_reasm_limits_default(&l);
	l.idle_timeout_s = 100;
	l.half_open_timeout_s = 10;
	r = reasm(&l);
	handshake(r, &est);
	txd(r, &est, 0, 0, 10, 0);
	tx(r, &half.c, 0, half.isn[0], 0, SYN, NULL, 0);
	handshake(r, &fin);
	txd(r, &fin, 0, 0, 3, 0);
	tx(r, &fin.c, 0, SEQ(&fin, 0, 3), SEQ(&fin, 1, 0), FA, NULL, 0);
	ck_assert_int_eq(H.nrecs, 3);

	/* Unrelated packets (pure ACKs of unknown flows) move time on. */
	H.now.sec += 10;
	tx(r, &other, 0, 1, 1, A, NULL, 0);
	ck_assert_int_eq(R(1)->ncloses, 0);
	H.now.sec += 1;
	tx(r, &other, 0, 1, 1, A, NULL, 0);
	ck_assert_int_eq(R(1)->ncloses, 1);
	ck_assert_int_eq(R(1)->why, MS_CLOSE_TIMEOUT);
	ck_assert_int_eq(R(0)->ncloses, 0);
	ck_assert_int_eq(R(2)->ncloses, 0);
	ck_assert_uint_eq(ms_reasm_flow_count(r), 2);

	H.now.sec += 60;
	txd(r, &est, 1, 0, 4, 10); /* keeps est alive */
	H.now.sec += 40;
	tx(r, &other, 0, 1, 1, A, NULL, 0);
	ck_assert_int_eq(R(2)->ncloses, 1);
	ck_assert_int_eq(R(2)->why, MS_CLOSE_FIN);
	ck_assert_int_eq(R(0)->ncloses, 0);
	H.now.sec += 61;
	tx(r, &other, 0, 1, 1, A, NULL, 0);
	ck_assert_int_eq(R(0)->ncloses, 1);
	ck_assert_int_eq(R(0)->why, MS_CLOSE_TIMEOUT);
	expect_bytes(R(0), 0, CP, 10);
	expect_bytes(R(0), 1, SP, 4);
	expect_bytes(R(2), 0, CP, 3);
	ck_assert_uint_eq(ms_reasm_stats_get(r)->timeouts, 3);
	ck_assert_uint_eq(ms_reasm_flow_count(r), 0);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(H.nevents, 6);
	ms_reasm_free(r);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_syn_flood)
{
	ms_reasm_limits l;
	ms_reasm *r;
	tcp est = tcp4(40060, 100, 200);

	ms_reasm_limits_default(&l);
	l.max_flows = 100;
	r = reasm(&l);
	handshake(r, &est);
	txd(r, &est, 0, 0, 10, 0);
	txd(r, &est, 1, 0, 10, 10);
	for (uint32_t i = 0; i < 1000; i++) {
		char ip[32];
		conn c;

		snprintf(ip, sizeof(ip), "172.16.%u.%u", i / 250, i % 250 + 1);
		c = conn4(ip, (uint16_t)(1024 + i), "10.0.0.2", 110);
		tx(r, &c, 0, i * 7919u, 0, SYN, NULL, 0);
		ck_assert_uint_le(ms_reasm_flow_count(r), 100);
	}
	ck_assert_int_eq(H.nrecs, 1001);
	ck_assert_int_le(H.max_live, 100);
	ck_assert_uint_eq(ms_reasm_stats_get(r)->evictions, 901);
	ck_assert_int_eq(R(0)->ncloses, 0);
	for (int i = 1; i < 902; i++) {
		ck_assert_int_eq(R(i)->ncloses, 1);
		ck_assert_int_eq(R(i)->why, MS_CLOSE_EVICTED);
	}
	txd(r, &est, 0, 10, 5, 10);
	ck_assert_int_eq(H.nrecs, 1001);
	expect_bytes(R(0), 0, CP, 15);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(R(0)->why, MS_CLOSE_END_OF_CAPTURE);
	ck_assert_int_eq(H.live, 0);
	ms_reasm_free(r);
}
END_TEST

/* 100 bytes, a lost 100, then 5000 in order past the hole. */
START_TEST(test_per_flow_limit)
{
	ms_reasm_limits l;
	ms_reasm *r;
	tcp t = tcp4(40070, 100, 200);
	rec *x;

	ms_reasm_limits_default(&l);
	l.per_flow_bytes = 1000;
	r = reasm(&l);
	handshake(r, &t);
	txd(r, &t, 0, 0, 100, 0);
	for (uint32_t off = 200; off < 5200; off += 100) {
		txd(r, &t, 0, off, 100, 0);
		ck_assert_uint_le(ms_reasm_held_bytes(r), 1000);
	}
	x = R(0);
	ck_assert_int_eq(x->nnotes, 1);
	ck_assert_int_eq(x->notes[0].note, MS_NOTE_LIMIT_PER_FLOW);
	ck_assert_int_eq(x->notes[0].dir, 0);
	ck_assert_int_eq(x->ngaps, 1);
	expect_gap(x, 0, 0, 100, 100);
	ck_assert_uint_eq(x->n[0], 5100);
	ck_assert(memcmp(x->buf[0], CP, 100) == 0);
	ck_assert(memcmp(x->buf[0] + 100, CP + 200, 5000) == 0);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(x->ngaps, 1);
	ms_reasm_free(r);
}
END_TEST

/* Delivered bytes and gaps of dir, laid end to end, are the stream: every
 * delivered byte sits at its own offset. */
static void expect_consistent(const rec *x, int dir, const uint8_t *p,
                              size_t total)
{
	size_t off = 0, got = 0;

	for (int i = 0; i <= x->ngaps; i++) {
		size_t upto = i < x->ngaps ? x->gaps[i].at : x->n[dir];
		if (i < x->ngaps && x->gaps[i].dir != dir)
			continue;
		ck_assert(memcmp(x->buf[dir] + got, p + off, upto - got) == 0);
		off += upto - got;
		got = upto;
		if (i < x->ngaps)
			off += x->gaps[i].n;
	}
	ck_assert_uint_eq(off, total);
}

/* Past the hole the data comes backwards: memory stays bounded and what
 * is delivered is in the right place. */
START_TEST(test_per_flow_limit_reverse)
{
	ms_reasm_limits l;
	ms_reasm *r;
	tcp t = tcp4(40071, 100, 200);
	rec *x;

	ms_reasm_limits_default(&l);
	l.per_flow_bytes = 1000;
	r = reasm(&l);
	handshake(r, &t);
	txd(r, &t, 0, 0, 100, 0);
	for (uint32_t off = 5100; off >= 200; off -= 100) {
		txd(r, &t, 0, off, 100, 0);
		ck_assert_uint_le(ms_reasm_held_bytes(r), 1000);
	}
	x = R(0);
	ck_assert_int_ge(x->nnotes, 1);
	ms_reasm_finish(r, H.now);
	ck_assert_uint_eq(ms_reasm_held_bytes(r), 0);
	expect_consistent(x, 0, CP, 5200);
	ms_reasm_free(r);
}
END_TEST

/* The bound is per flow: both directions' held bytes count. */
START_TEST(test_per_flow_limit_both_dirs)
{
	ms_reasm_limits l;
	ms_reasm *r;
	tcp t = tcp4(40072, 100, 200);
	rec *x;

	ms_reasm_limits_default(&l);
	l.per_flow_bytes = 1000;
	r = reasm(&l);
	handshake(r, &t);
	txd(r, &t, 0, 100, 600, 0);
	txd(r, &t, 1, 100, 600, 0);
	ck_assert_uint_le(ms_reasm_held_bytes(r), 1000);
	x = R(0);
	ck_assert_int_eq(x->nnotes, 1);
	ck_assert_int_eq(x->notes[0].note, MS_NOTE_LIMIT_PER_FLOW);
	ck_assert_int_eq(x->ngaps, 1);
	ms_reasm_finish(r, H.now);
	expect_consistent(x, 0, CP, 700);
	expect_consistent(x, 1, SP, 700);
	ms_reasm_free(r);
}
END_TEST

START_TEST(test_global_limit)
{
	ms_reasm_limits l;
	ms_reasm *r;
	tcp a = tcp4(40080, 100, 200), b = tcp4(40081, 300, 400);

	ms_reasm_limits_default(&l);
	l.global_bytes = 1500;
	r = reasm(&l);
	handshake(r, &a);
	handshake(r, &b);
	txd(r, &a, 0, 0, 10, 0);
	txd(r, &b, 0, 0, 10, 0);
	for (uint32_t off = 20; off < 1020; off += 100)
		txd(r, &a, 0, off, 100, 0);
	ck_assert_uint_eq(ms_reasm_held_bytes(r), 1000);
	for (uint32_t off = 20; off < 620; off += 100) {
		txd(r, &b, 0, off, 100, 0);
		ck_assert_uint_le(ms_reasm_held_bytes(r), 1500);
	}
	ck_assert_int_eq(R(0)->ngaps, 0);
	ck_assert_int_eq(R(1)->nnotes, 1);
	ck_assert_int_eq(R(1)->notes[0].note, MS_NOTE_LIMIT_GLOBAL);
	ck_assert_int_eq(R(1)->ngaps, 1);
	expect_gap(R(1), 0, 0, 10, 10);
	ck_assert_uint_eq(R(1)->n[0], 610);
	ck_assert(memcmp(R(1)->buf[0] + 10, CP + 20, 600) == 0);
	ck_assert_uint_eq(ms_reasm_held_bytes(r), 1000);
	ms_reasm_finish(r, H.now);
	expect_gap(R(0), 0, 0, 10, 10);
	ck_assert_uint_eq(R(0)->n[0], 1010);
	ck_assert_uint_eq(ms_reasm_held_bytes(r), 0);
	ms_reasm_free(r);
}
END_TEST

/* ---- end of capture ---- */

START_TEST(test_finish_order)
{
	enum { NF = 40 };
	ms_reasm *r = reasm(NULL);
	tcp t[NF];

	for (int i = 0; i < NF; i++) {
		t[i] = tcp4((uint16_t)(20000 + 37 * i), 1000u * (uint32_t)i,
		            77);
		handshake(r, &t[i]);
	}
	for (int i = NF - 1; i >= 0; i--)
		txd(r, &t[i], 0, 0, 10, 0);
	/* Flow 5: a hole with data held past it; flow 7: a FIN vouches for
	 * bytes never seen; flow 9: closed already by RST. */
	txd(r, &t[5], 0, 20, 10, 0);
	tx(r, &t[7].c, 0, SEQ(&t[7], 0, 25), SEQ(&t[7], 1, 0), FA, NULL, 0);
	tx(r, &t[9].c, 1, SEQ(&t[9], 1, 0), SEQ(&t[9], 0, 10), RA, NULL, 0);
	ck_assert_int_eq(H.nevents, NF + 1);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(H.nevents, 2 * NF);
	for (int i = 0, k = NF + 1; i < NF; i++) {
		if (i == 9)
			continue;
		ck_assert_int_eq(H.event[k++], -(i + 1));
		ck_assert_int_eq(R(i)->why, MS_CLOSE_END_OF_CAPTURE);
	}
	ck_assert_int_eq(R(9)->why, MS_CLOSE_RST);
	expect_gap(R(5), 0, 0, 10, 10);
	ck_assert_uint_eq(R(5)->n[0], 20);
	ck_assert(memcmp(R(5)->buf[0] + 10, CP + 20, 10) == 0);
	expect_gap(R(7), 0, 0, 15, 10);
	ck_assert_int_eq(R(0)->ngaps, 0);
	ck_assert_uint_eq(ms_reasm_flow_count(r), 0);
	ms_reasm_free(r);
}
END_TEST

/* Thousands of flows (the table grows), every other one expires: the
 * backward-shift deletions must leave the others reachable. */
START_TEST(test_table_churn)
{
	enum { NF = 3000 };
	ms_reasm_limits l;
	ms_reasm *r;
	tcp *t = malloc(NF * sizeof(*t));

	ck_assert_ptr_nonnull(t);
	ms_reasm_limits_default(&l);
	l.idle_timeout_s = 100;
	r = reasm(&l);
	for (int i = 0; i < NF; i++) {
		t[i] = tcp4((uint16_t)(10000 + i), 1000u * (uint32_t)i, 5);
		t[i].c.ip[0][2] = (uint8_t)(i % 7);
		handshake(r, &t[i]);
	}
	ck_assert_uint_eq(ms_reasm_flow_count(r), NF);
	H.now.sec += 50;
	for (int i = 1; i < NF; i += 2)
		txd(r, &t[i], 0, 0, 4, 0);
	H.now.sec += 60;
	for (int i = 1; i < NF; i += 2)
		txd(r, &t[i], 0, 4, 4, 0);
	ck_assert_uint_eq(ms_reasm_flow_count(r), NF / 2);
	ck_assert_int_eq(H.nrecs, NF);
	for (int i = 0; i < NF; i++) {
		ck_assert_int_eq(R(i)->ncloses, i % 2 ? 0 : 1);
		if (i % 2)
			expect_bytes(R(i), 0, CP, 8);
		else
			ck_assert_int_eq(R(i)->why, MS_CLOSE_TIMEOUT);
	}
	ms_reasm_finish(r, H.now);
	ck_assert_uint_eq(ms_reasm_flow_count(r), 0);
	ms_reasm_free(r);
	free(t);
}
END_TEST

/* No half-open flow to give up: the least recently used established
 * one is evicted. */
START_TEST(test_evict_established)
{
	ms_reasm_limits l;
	ms_reasm *r;
	tcp t[3];

	ms_reasm_limits_default(&l);
	l.max_flows = 2;
	r = reasm(&l);
	for (int i = 0; i < 3; i++) {
		t[i] = tcp4((uint16_t)(41000 + i), 100, 200);
		handshake(r, &t[i]);
		txd(r, &t[i], 0, 0, 5, 0);
		if (i == 1)
			txd(r, &t[0], 0, 5, 5, 0); /* 0 is used after 1 */
	}
	ck_assert_int_eq(R(0)->ncloses, 0);
	ck_assert_int_eq(R(1)->ncloses, 1);
	ck_assert_int_eq(R(1)->why, MS_CLOSE_EVICTED);
	ck_assert_uint_eq(ms_reasm_stats_get(r)->evictions, 1);
	expect_bytes(R(0), 0, CP, 10);
	expect_bytes(R(2), 0, CP, 5);
	ms_reasm_finish(r, H.now);
	ms_reasm_free(r);
}
END_TEST

/* open() may decline a flow: nothing is called for it, and it is still
 * tracked so that its packets do not open it again. */
START_TEST(test_open_declined)
{
	ms_reasm *r = reasm(NULL);
	tcp t = tcp4(41010, 100, 200), u = tcp4(41011, 300, 400);

	H.ignore_port = 25;
	t.c.port[1] = 25;
	handshake(r, &t);
	handshake(r, &u);
	txd(r, &t, 0, 0, 5, 0);
	txd(r, &t, 0, 10, 5, 0);
	txd(r, &u, 0, 0, 5, 0);
	tx(r, &t.c, 1, SEQ(&t, 1, 0), SEQ(&t, 0, 15), A, NULL, 0);
	ck_assert_int_eq(H.nrecs, 1);
	ck_assert_uint_eq(ms_reasm_stats_get(r)->flows, 2);
	ck_assert_uint_eq(ms_reasm_flow_count(r), 2);
	expect_bytes(R(0), 0, CP, 5);
	ms_reasm_finish(r, H.now);
	ck_assert_int_eq(H.nevents, 2);
	ms_reasm_free(r);
}
END_TEST

/* ---- IPv6 ---- */

START_TEST(test_ipv6)
{
	ms_reasm *r = reasm(NULL);
	tcp t6, t4;
	rec *x;

	t6.c = conn6("2001:db8::1", 40090, "2001:db8::2", 143);
	t6.isn[0] = 0xFFFFFFFEu;
	t6.isn[1] = 12345;
	/* The same ports over IPv4: a flow of its own. */
	t4 = tcp4(40090, 1, 2);
	t4.c.port[1] = 143;
	handshake(r, &t6);
	handshake(r, &t4);
	txd(r, &t6, 1, 0, 30, 0);
	txd(r, &t4, 1, 0, 3, 0);
	txd(r, &t6, 0, 20, 20, 30);
	txd(r, &t6, 0, 0, 20, 30);
	tx(r, &t6.c, 0, SEQ(&t6, 0, 40), SEQ(&t6, 1, 30), FA, NULL, 0);
	tx(r, &t6.c, 1, SEQ(&t6, 1, 30), SEQ(&t6, 0, 41), FA, NULL, 0);
	ck_assert_int_eq(H.nrecs, 2);
	x = R(0);
	ck_assert_uint_eq(x->info.ip_version, 6);
	ck_assert(memcmp(x->info.client_ip, t6.c.ip[0], 16) == 0);
	ck_assert(memcmp(x->info.server_ip, t6.c.ip[1], 16) == 0);
	ck_assert_uint_eq(x->info.server_port, 143);
	ck_assert_int_eq(x->why, MS_CLOSE_FIN);
	expect_bytes(x, 0, CP, 40);
	expect_bytes(x, 1, SP, 30);
	ck_assert_int_eq(x->ngaps, 0);
	ck_assert_uint_eq(R(1)->info.ip_version, 4);
	expect_bytes(R(1), 1, SP, 3);
	ck_assert_int_eq(R(1)->ncloses, 0);
	ms_reasm_finish(r, H.now);
	ms_reasm_free(r);
}
END_TEST

static Suite *reassembly_suite(void)
{
	Suite *s = suite_create("reassembly");
	TCase *basic = tcase_create("basic");
	TCase *order = tcase_create("order");
	TCase *loss = tcase_create("loss");
	TCase *flows = tcase_create("flows");

	tcase_add_checked_fixture(basic, setup, teardown);
	tcase_add_checked_fixture(order, setup, teardown);
	tcase_add_checked_fixture(loss, setup, teardown);
	tcase_add_checked_fixture(flows, setup, teardown);
	tcase_set_timeout(order, 60);
	tcase_set_timeout(flows, 60);

	tcase_add_test(basic, test_handshake_fin);
	tcase_add_test(basic, test_synack_first);
	tcase_add_test(basic, test_fin_duplicates);
	tcase_add_test(basic, test_keepalive_and_probe);
	tcase_add_test(basic, test_syn_data);
	tcase_add_test(basic, test_syn_new_isn);
	tcase_add_test(basic, test_ipv6);

	tcase_add_test(order, test_wrap_in_order);
	tcase_add_test(order, test_wrap_reordered);
	tcase_add_test(order, test_permutations);
	tcase_add_test(order, test_random_splits);
	tcase_add_test(order, test_retransmissions);
	tcase_add_test(order, test_overlap_held_same);
	tcase_add_test(order, test_overlap_held_conflict);
	tcase_add_test(order, test_overlap_inorder_same);
	tcase_add_test(order, test_overlap_inorder_conflict);
	tcase_add_test(order, test_overlap_two_held);
	tcase_add_test(order, test_retransmit_delivered_same);
	tcase_add_test(order, test_retransmit_delivered_conflict);
	tcase_add_test(order, test_retransmit_delivered_window);

	tcase_add_test(loss, test_ack_past_hole);
	tcase_add_test(loss, test_ack_before_held);
	tcase_add_test(loss, test_lost_tail_fin_eoc);
	tcase_add_test(loss, test_lost_tail_fin_acked);
	tcase_add_test(loss, test_lost_tail_ack_rst);
	tcase_add_test(loss, test_lost_tail_ack_eoc);
	tcase_add_test(loss, test_per_flow_limit);
	tcase_add_test(loss, test_per_flow_limit_reverse);
	tcase_add_test(loss, test_per_flow_limit_both_dirs);
	tcase_add_test(loss, test_global_limit);

	tcase_add_test(flows, test_rst_then_reuse);
	tcase_add_test(flows, test_fin_then_reuse);
	tcase_add_test(flows, test_midstream_guess);
	tcase_add_test(flows, test_midstream_swap);
	tcase_add_test(flows, test_midstream_fin_no_data);
	tcase_add_test(flows, test_idle_timeouts);
	tcase_add_test(flows, test_syn_flood);
	tcase_add_test(flows, test_finish_order);
	tcase_add_test(flows, test_table_churn);
	tcase_add_test(flows, test_evict_established);
	tcase_add_test(flows, test_open_declined);
	suite_add_tcase(s, basic);
	suite_add_tcase(s, order);
	suite_add_tcase(s, loss);
	suite_add_tcase(s, flows);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	fill_patterns();
	sr = srunner_create(reassembly_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
