/* Tests for capture/source.c and the own pcapng reader behind it. Every
 * capture is built byte by byte here, so each field the readers look at
 * is known; the corpus is only read when present. */
#define _DEFAULT_SOURCE /* libpcap's headers need u_int and u_char */

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "capture/pcapng.h"
#include "capture/source.h"

static char tmpdir[] = "/tmp/ms-test-source-XXXXXX";

/* ---- building captures ---- */

typedef struct bytes {
	uint8_t *p;
	size_t n, cap;
	int big; /* multi-byte fields are written big-endian */
} bytes;

static void put(bytes *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	if (n > 0)
		memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void set32(bytes *b, size_t at, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		b->p[at + (size_t)i] =
		        (uint8_t)(v >> (b->big ? 24 - 8 * i : 8 * i));
}

static void u16(bytes *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	if (b->big) {
		x[0] = (uint8_t)(v >> 8);
		x[1] = (uint8_t)v;
	}
	put(b, x, 2);
}

static void u32(bytes *b, uint32_t v)
{
	uint8_t x[4] = {0};

	put(b, x, 4);
	set32(b, b->n - 4, v);
}

static void u64(bytes *b, uint64_t v)
{
	u32(b, (uint32_t)(b->big ? v >> 32 : v));
	u32(b, (uint32_t)(b->big ? v : v >> 32));
}

static void pad4(bytes *b)
{
	static const uint8_t z[3] = {0};

	put(b, z, (4 - b->n % 4) % 4);
}

/* An IPv4/TCP packet, behind an Ethernet header when eth is set. The
 * marker byte in the payload tells frames apart. */
static uint32_t make_frame(uint8_t *out, int eth, uint16_t sport,
                           uint16_t dport, uint8_t marker)
{
	static const uint8_t ether[14] = {2, 0, 0, 0, 0, 1,    2,
	                                  0, 0, 0, 0, 2, 0x08, 0x00};
	uint8_t *ip = out + (eth ? 14 : 0), *tcp = ip + 20;
	uint16_t total = 20 + 20 + 8;

	if (eth)
		memcpy(out, ether, sizeof(ether));
	memset(ip, 0, total);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(total >> 8);
	ip[3] = (uint8_t)total;
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	tcp[0] = (uint8_t)(sport >> 8);
	tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8);
	tcp[3] = (uint8_t)dport;
	tcp[12] = 0x50;
	tcp[13] = 0x18;
	memset(tcp + 20, marker, 8);
	return (uint32_t)(eth ? 14 : 0) + total;
}

static void pcap_header(bytes *b, uint32_t magic, uint32_t linktype)
{
	u32(b, magic);
	u16(b, 2);
	u16(b, 4);
	u32(b, 0);
	u32(b, 0);
	u32(b, 65535);
	u32(b, linktype);
}

static void pcap_record(bytes *b, uint32_t sec, uint32_t frac, const uint8_t *d,
                        uint32_t caplen, uint32_t wirelen)
{
	u32(b, sec);
	u32(b, frac);
	u32(b, caplen);
	u32(b, wirelen);
	put(b, d, caplen);
}

static size_t block_begin(bytes *b, uint32_t type)
{
	size_t at = b->n;

	u32(b, type);
	u32(b, 0);
	return at;
}

static void block_end(bytes *b, size_t at)
{
	uint32_t len;

	pad4(b);
	len = (uint32_t)(b->n - at + 4);
	set32(b, at + 4, len);
	u32(b, len);
}

static void ng_shb(bytes *b)
{
	size_t at = block_begin(b, 0x0A0D0D0A);

	u32(b, 0x1A2B3C4D);
	u16(b, 1);
	u16(b, 0);
	u64(b, UINT64_MAX);
	block_end(b, at);
}

/* tsresol < 0: no if_tsresol option. */
static void ng_idb(bytes *b, uint16_t linktype, uint32_t snaplen, int tsresol,
                   int64_t tsoffset)
{
	size_t at = block_begin(b, 1);

	u16(b, linktype);
	u16(b, 0);
	u32(b, snaplen);
	if (tsresol >= 0) {
		uint8_t v = (uint8_t)tsresol;

		u16(b, 9);
		u16(b, 1);
		put(b, &v, 1);
		pad4(b);
	}
	if (tsoffset != 0) {
		u16(b, 14);
		u16(b, 8);
		u64(b, (uint64_t)tsoffset);
	}
	u16(b, 0);
	u16(b, 0);
	block_end(b, at);
}

static void ng_epb(bytes *b, uint32_t ifid, uint64_t ts, const uint8_t *d,
                   uint32_t caplen, uint32_t wirelen)
{
	size_t at = block_begin(b, 6);

	u32(b, ifid);
	u32(b, (uint32_t)(ts >> 32));
	u32(b, (uint32_t)ts);
	u32(b, caplen);
	u32(b, wirelen);
	put(b, d, caplen);
	block_end(b, at);
}

static void ng_pb(bytes *b, uint16_t ifid, uint64_t ts, const uint8_t *d,
                  uint32_t len)
{
	size_t at = block_begin(b, 2);

	u16(b, ifid);
	u16(b, 0);
	u32(b, (uint32_t)(ts >> 32));
	u32(b, (uint32_t)ts);
	u32(b, len);
	u32(b, len);
	put(b, d, len);
	block_end(b, at);
}

static void ng_spb(bytes *b, const uint8_t *d, uint32_t len)
{
	size_t at = block_begin(b, 3);

	u32(b, len);
	put(b, d, len);
	block_end(b, at);
}

/* A Name Resolution Block, which the readers must skip. */
static void ng_nrb(bytes *b)
{
	size_t at = block_begin(b, 4);

	u16(b, 1);
	u16(b, 8);
	put(b, "\x0a\x00\x00\x01host", 8);
	u32(b, 0);
	block_end(b, at);
}

static const char *write_file(const char *name, const void *d, size_t n)
{
	static char path[4][512];
	static int turn;
	char *p = path[turn++ % 4];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	f = fopen(p, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(d, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
	return p;
}

/* ---- reading them back ---- */

typedef struct got {
	ms_time ts;
	int linktype;
	uint32_t caplen, wirelen;
	uint8_t marker; /* first payload byte, see make_frame */
	uint16_t dport;
} got;

typedef struct result {
	got f[32];
	int n;
	ms_source_status last;
	char err[512];
	uint64_t done, total;
} result;

static uint8_t marker_of(const ms_frame *f)
{
	uint32_t off = (f->linktype == 1 ? 14 : 0) + 40;

	return f->caplen > off ? f->data[off] : 0;
}

static uint16_t dport_of(const ms_frame *f)
{
	uint32_t off = (f->linktype == 1 ? 14 : 0) + 22;

	return f->caplen > off + 1
	               ? (uint16_t)(f->data[off] << 8 | f->data[off + 1])
	               : 0;
}

/* Reads the whole source; returns 0 when it could not be opened, with
 * the reason in r->err. */
static int read_all(const char *file, const char *filter, result *r)
{
	ms_source_options o = {.file = file, .filter = filter};
	ms_source *s = ms_source_open(&o, r->err, sizeof(r->err));
	ms_frame fr;

	r->n = 0;
	if (s == NULL)
		return 0;
	ck_assert_int_eq(ms_source_is_live(s), 0);
	while ((r->last = ms_source_next(s, &fr)) == MS_SOURCE_FRAME) {
		got *g = &r->f[r->n++];

		ck_assert_int_le(r->n, 32);
		g->ts = fr.ts;
		g->linktype = fr.linktype;
		g->caplen = fr.caplen;
		g->wirelen = fr.wirelen;
		g->marker = marker_of(&fr);
		g->dport = dport_of(&fr);
	}
	snprintf(r->err, sizeof(r->err), "%s", ms_source_error(s));
	ms_source_progress(s, &r->done, &r->total);
	ms_source_close(s);
	return 1;
}

static void check_frame(const got *g, int64_t sec, int32_t usec, int lt,
                        uint32_t caplen, uint32_t wirelen, uint8_t marker)
{
	ck_assert_int_eq(g->ts.sec, sec);
	ck_assert_int_eq(g->ts.usec, usec);
	ck_assert_int_eq(g->linktype, lt);
	ck_assert_uint_eq(g->caplen, caplen);
	ck_assert_uint_eq(g->wirelen, wirelen);
	ck_assert_uint_eq(g->marker, marker);
}

/* Three Ethernet frames, ports 110, 25, 110; the second one cut short. */
static void three_pcap_records(bytes *b, int nsec)
{
	uint8_t fr[128];
	uint32_t n;

	n = make_frame(fr, 1, 40000, 110, 0xA1);
	pcap_record(b, 1700000000, nsec ? 123456789 : 123456, fr, n, n);
	n = make_frame(fr, 1, 40001, 25, 0xA2);
	pcap_record(b, 1700000001, nsec ? 999 : 0, fr, n - 4, n);
	n = make_frame(fr, 1, 40000, 110, 0xA3);
	pcap_record(b, 1700000002, nsec ? 500000000 : 500000, fr, n, n + 100);
}

static void check_three(const result *r)
{
	ck_assert_int_eq(r->n, 3);
	ck_assert_int_eq(r->last, MS_SOURCE_END);
	check_frame(&r->f[0], 1700000000, 123456, 1, 62, 62, 0xA1);
	check_frame(&r->f[1], 1700000001, 0, 1, 58, 62, 0xA2);
	check_frame(&r->f[2], 1700000002, 500000, 1, 62, 162, 0xA3);
}

START_TEST(pcap_three_frames)
{
	bytes b = {0};
	result r;
	const char *p;
	uint8_t fr[128];
	ms_source_options o = {0};
	ms_source *s;
	ms_frame f;
	char err[256];
	uint32_t n = make_frame(fr, 1, 40000, 110, 0xA1);

	pcap_header(&b, 0xa1b2c3d4, 1);
	three_pcap_records(&b, 0);
	p = write_file("three.pcap", b.p, b.n);
	ck_assert_int_eq(read_all(p, NULL, &r), 1);
	check_three(&r);
	ck_assert_str_eq(r.err, "");
	ck_assert_uint_eq(r.total, b.n);
	ck_assert_uint_eq(r.done, b.n);

	o.file = p;
	s = ms_source_open(&o, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(ms_source_next(s, &f), MS_SOURCE_FRAME);
	ck_assert_uint_eq(f.caplen, n);
	ck_assert_mem_eq(f.data, fr, n);
	ms_source_break(s);
	ck_assert_int_eq(ms_source_next(s, &f), MS_SOURCE_END);
	ms_source_close(s);
	free(b.p);
}
END_TEST

START_TEST(pcap_nanosecond)
{
	bytes b = {0};
	result r;

	pcap_header(&b, 0xa1b23c4d, 1);
	three_pcap_records(&b, 1);
	ck_assert_int_eq(read_all(write_file("ns.pcap", b.p, b.n), NULL, &r),
	                 1);
	check_three(&r);
	free(b.p);
}
END_TEST

START_TEST(pcap_big_endian)
{
	bytes b = {.big = 1};
	result r;

	pcap_header(&b, 0xa1b2c3d4, 1);
	three_pcap_records(&b, 0);
	ck_assert_uint_eq(b.p[0], 0xa1);
	ck_assert_int_eq(read_all(write_file("be.pcap", b.p, b.n), NULL, &r),
	                 1);
	check_three(&r);
	free(b.p);
}
END_TEST

START_TEST(pcap_truncated)
{
	bytes b = {0};
	result r;
	const char *p;

	pcap_header(&b, 0xa1b2c3d4, 1);
	three_pcap_records(&b, 0);
	p = write_file("cut.pcap", b.p, b.n - 30);
	ck_assert_int_eq(read_all(p, NULL, &r), 1);
	ck_assert_int_eq(r.n, 2);
	ck_assert_int_eq(r.last, MS_SOURCE_ERROR);
	ck_assert_ptr_eq(strstr(r.err, p), r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "truncated dump file"));
	ck_assert_ptr_null(strchr(r.err, '\n'));
	printf("truncated: %s\n", r.err);
	free(b.p);
}
END_TEST

START_TEST(missing_file)
{
	char err[256], want[600];
	ms_source_options o = {0};
	ms_source *s;

	snprintf(want, sizeof(want), "%s/missing.pcap", tmpdir);
	o.file = want;
	s = ms_source_open(&o, err, sizeof(err));
	ck_assert_ptr_null(s);
	strncat(want, ": No such file or directory",
	        sizeof(want) - strlen(want) - 1);
	ck_assert_str_eq(err, want);
	printf("missing: %s\n", err);
}
END_TEST

START_TEST(not_a_capture)
{
	static const char text[] = "From: someone\r\nSubject: not a pcap\r\n";
	char err[256];
	ms_source_options o = {0};

	o.file = write_file("mail.txt", text, sizeof(text) - 1);
	ck_assert_ptr_null(ms_source_open(&o, err, sizeof(err)));
	ck_assert_ptr_eq(strstr(err, o.file), err);
	ck_assert_ptr_nonnull(strstr(err, "unknown file format"));
	printf("not a capture: %s\n", err);

	o.file = write_file("empty.pcap", "", 0);
	ck_assert_ptr_null(ms_source_open(&o, err, sizeof(err)));
	ck_assert_ptr_eq(strstr(err, o.file), err);
	printf("empty: %s\n", err);
}
END_TEST

START_TEST(no_input)
{
	char err[256];
	ms_source_options o = {0};

	ck_assert_ptr_null(ms_source_open(&o, err, sizeof(err)));
	ck_assert_str_ne(err, "");
}
END_TEST

START_TEST(bad_filter)
{
	bytes b = {0};
	char err[256];
	ms_source_options o = {0};

	pcap_header(&b, 0xa1b2c3d4, 1);
	o.file = write_file("f.pcap", b.p, b.n);
	o.filter = "tcp port";
	ck_assert_ptr_null(ms_source_open(&o, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "tcp port"));
	free(b.p);
}
END_TEST

START_TEST(pcap_filter)
{
	bytes b = {0};
	result r;

	pcap_header(&b, 0xa1b2c3d4, 1);
	three_pcap_records(&b, 0);
	ck_assert_int_eq(
	        read_all(write_file("flt.pcap", b.p, b.n), "tcp port 110", &r),
	        1);
	ck_assert_int_eq(r.n, 2);
	ck_assert_uint_eq(r.f[0].marker, 0xA1);
	ck_assert_uint_eq(r.f[1].marker, 0xA3);
	free(b.p);
}
END_TEST

START_TEST(pcap_stdin)
{
	bytes b = {0};
	result r;

	pcap_header(&b, 0xa1b2c3d4, 1);
	three_pcap_records(&b, 0);
	/* Check forks each test, so replacing stdin stays in here. */
	ck_assert_ptr_nonnull(
	        freopen(write_file("in.pcap", b.p, b.n), "rb", stdin));
	ck_assert_int_eq(read_all("-", NULL, &r), 1);
	check_three(&r);
	free(b.p);
}
END_TEST

/* ---- pcapng ---- */

START_TEST(pcapng_one_interface)
{
	bytes b = {0};
	result r;
	uint8_t fr[128];
	uint32_t n;

	ng_shb(&b);
	ng_idb(&b, 1, 262144, -1, 0);
	ng_nrb(&b);
	n = make_frame(fr, 1, 40000, 110, 0xB1);
	ng_epb(&b, 0, UINT64_C(1700000000123456), fr, n, n);
	n = make_frame(fr, 1, 40000, 25, 0xB2);
	ng_epb(&b, 0, UINT64_C(1700000001000001), fr, n - 1, n);
	ck_assert_int_eq(read_all(write_file("one.pcapng", b.p, b.n), NULL, &r),
	                 1);
	ck_assert_int_eq(r.n, 2);
	ck_assert_int_eq(r.last, MS_SOURCE_END);
	check_frame(&r.f[0], 1700000000, 123456, 1, n, n, 0xB1);
	check_frame(&r.f[1], 1700000001, 1, 1, n - 1, n, 0xB2);
	ck_assert_uint_eq(r.done, b.n);
	free(b.p);
}
END_TEST

/* Ethernet on interface 0, raw IP on interface 1, interleaved: libpcap
 * delivers the first frame, then fails at the second IDB. */
static void two_linktypes(bytes *b, int early_idb)
{
	uint8_t fr[128];
	uint32_t n;

	ng_shb(b);
	ng_idb(b, 1, 262144, -1, 0);
	if (early_idb)
		ng_idb(b, 101, 262144, -1, 0);
	n = make_frame(fr, 1, 40000, 110, 0xC1);
	ng_epb(b, 0, UINT64_C(1700000000000001), fr, n, n);
	if (!early_idb)
		ng_idb(b, 101, 262144, -1, 0);
	n = make_frame(fr, 0, 40000, 110, 0xC2);
	ng_epb(b, 1, UINT64_C(1700000000000002), fr, n, n);
	n = make_frame(fr, 1, 40000, 25, 0xC3);
	ng_epb(b, 0, UINT64_C(1700000000000003), fr, n, n);
	n = make_frame(fr, 0, 40000, 25, 0xC4);
	ng_epb(b, 1, UINT64_C(1700000000000004), fr, n, n);
	n = make_frame(fr, 0, 40002, 110, 0xC5);
	ng_epb(b, 1, UINT64_C(1700000000000005), fr, n, n);
}

static void check_two_linktypes(const result *r)
{
	static const uint8_t want[5] = {0xC1, 0xC2, 0xC3, 0xC4, 0xC5};
	int i;

	ck_assert_int_eq(r->n, 5);
	ck_assert_int_eq(r->last, MS_SOURCE_END);
	for (i = 0; i < 5; i++) {
		ck_assert_uint_eq(r->f[i].marker, want[i]);
		ck_assert_int_eq(r->f[i].ts.sec, 1700000000);
		ck_assert_int_eq(r->f[i].ts.usec, i + 1);
		/* What pcap_datalink() says for LINKTYPE_RAW (101). */
		ck_assert_int_eq(r->f[i].linktype,
		                 i == 0 || i == 2 ? 1 : DLT_RAW);
	}
}

START_TEST(pcapng_two_linktypes)
{
	bytes b = {0};
	result r;

	two_linktypes(&b, 0);
	ck_assert_int_eq(read_all(write_file("two.pcapng", b.p, b.n), NULL, &r),
	                 1);
	check_two_linktypes(&r);
	ck_assert_str_eq(r.err, "");
	ck_assert_uint_eq(r.total, b.n);
	ck_assert_uint_eq(r.done, b.n);
	free(b.p);
	b = (bytes){0};
	two_linktypes(&b, 1);
	ck_assert_int_eq(
	        read_all(write_file("two-early.pcapng", b.p, b.n), NULL, &r),
	        1);
	check_two_linktypes(&r);
	free(b.p);
}
END_TEST

START_TEST(pcapng_two_linktypes_filter)
{
	bytes b = {0};
	result r;
	const char *p;

	two_linktypes(&b, 0);
	p = write_file("two-flt.pcapng", b.p, b.n);
	ck_assert_int_eq(read_all(p, "tcp port 110", &r), 1);
	ck_assert_int_eq(r.last, MS_SOURCE_END);
	ck_assert_int_eq(r.n, 3);
	ck_assert_uint_eq(r.f[0].marker, 0xC1);
	ck_assert_int_eq(r.f[0].linktype, 1);
	ck_assert_uint_eq(r.f[1].marker, 0xC2);
	ck_assert_int_eq(r.f[1].linktype, DLT_RAW);
	ck_assert_uint_eq(r.f[2].marker, 0xC5);
	ck_assert_int_eq(r.f[2].linktype, DLT_RAW);
	ck_assert_int_eq(read_all(p, "tcp port 25", &r), 1);
	ck_assert_int_eq(r.n, 2);
	ck_assert_uint_eq(r.f[0].marker, 0xC3);
	ck_assert_uint_eq(r.f[1].marker, 0xC4);
	free(b.p);
}
END_TEST

/* A filter that cannot apply to raw IP fails when the own reader first
 * meets that interface, after the Ethernet frame before it. */
START_TEST(pcapng_filter_per_linktype_error)
{
	bytes b = {0};
	result r;

	two_linktypes(&b, 0);
	ck_assert_int_eq(read_all(write_file("ether.pcapng", b.p, b.n),
	                          "ether host 02:00:00:00:00:01", &r),
	                 1);
	ck_assert_int_eq(r.n, 1);
	ck_assert_int_eq(r.last, MS_SOURCE_ERROR);
	ck_assert_ptr_nonnull(strstr(r.err, "link type 12"));
	printf("filter per link type: %s\n", r.err);
	free(b.p);
}
END_TEST

START_TEST(pcapng_progress_and_break)
{
	bytes b = {0};
	ms_source_options o = {0};
	ms_source *s;
	ms_frame f;
	char err[256];
	uint64_t done, total;

	two_linktypes(&b, 0);
	o.file = write_file("prog.pcapng", b.p, b.n);
	s = ms_source_open(&o, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(ms_source_next(s, &f), MS_SOURCE_FRAME);
	ck_assert_int_eq(ms_source_next(s, &f), MS_SOURCE_FRAME);
	ck_assert_int_eq(f.linktype, DLT_RAW);
	ms_source_progress(s, &done, &total);
	ck_assert_uint_eq(total, b.n);
	ck_assert_uint_gt(done, 0);
	ck_assert_uint_lt(done, total);
	ms_source_break(s);
	ck_assert_int_eq(ms_source_next(s, &f), MS_SOURCE_END);
	ms_source_close(s);
	free(b.p);
}
END_TEST

/* Same link type, other snapshot length: also refused by libpcap. */
START_TEST(pcapng_two_snaplens)
{
	bytes b = {0};
	result r;
	uint8_t fr[128];
	uint32_t n = make_frame(fr, 1, 1, 110, 0xD1);

	ng_shb(&b);
	ng_idb(&b, 1, 262144, -1, 0);
	ng_epb(&b, 0, 1000001, fr, n, n);
	ng_idb(&b, 1, 96, -1, 0);
	ng_epb(&b, 1, 2000002, fr, n, n);
	ng_epb(&b, 0, 3000003, fr, n, n);
	ck_assert_int_eq(
	        read_all(write_file("snap.pcapng", b.p, b.n), NULL, &r), 1);
	ck_assert_int_eq(r.last, MS_SOURCE_END);
	ck_assert_int_eq(r.n, 3);
	check_frame(&r.f[1], 2, 2, 1, n, n, 0xD1);
	check_frame(&r.f[2], 3, 3, 1, n, n, 0xD1);
	free(b.p);
}
END_TEST

/* SPB, obsolete PB, a big-endian second section with its own interface
 * list, all through the own reader. */
START_TEST(pcapng_blocks_and_sections)
{
	bytes b = {0}, be = {.big = 1};
	result r;
	uint8_t fr[128];
	uint32_t n;

	two_linktypes(&b, 0);
	n = make_frame(fr, 1, 1, 2, 0xE1);
	ng_spb(&b, fr, n);
	n = make_frame(fr, 0, 1, 2, 0xE2);
	ng_pb(&b, 1, UINT64_C(5000000), fr, n);
	ng_shb(&be);
	ng_idb(&be, 101, 0, -1, 0);
	ng_idb(&be, 1, 0, 3, 0);
	n = make_frame(fr, 1, 1, 2, 0xE3);
	ng_epb(&be, 1, 7500, fr, n, n);
	n = make_frame(fr, 0, 1, 2, 0xE4);
	ng_spb(&be, fr, n);
	put(&b, be.p, be.n);
	ck_assert_int_eq(read_all(write_file("blk.pcapng", b.p, b.n), NULL, &r),
	                 1);
	ck_assert_str_eq(r.err, "");
	ck_assert_int_eq(r.n, 9);
	check_frame(&r.f[5], 0, 0, 1, 62, 62, 0xE1);
	check_frame(&r.f[6], 5, 0, DLT_RAW, 48, 48, 0xE2);
	check_frame(&r.f[7], 7, 500000, 1, 62, 62, 0xE3);
	check_frame(&r.f[8], 0, 0, DLT_RAW, 48, 48, 0xE4);
	free(b.p);
	free(be.p);
}
END_TEST

static void tsresol_file(bytes *b, int tsresol, uint64_t ts, int other)
{
	uint8_t fr[128];
	uint32_t n = make_frame(fr, 1, 1, 2, 0xF1);

	ng_shb(b);
	ng_idb(b, 1, 0, tsresol, 0);
	ng_epb(b, 0, ts, fr, n, n);
	if (other) {
		ng_idb(b, 101, 0, tsresol, 0);
		ng_epb(b, 1, ts, fr, n, n);
	}
}

START_TEST(pcapng_tsresol)
{
	/* 1700000000.123456789 s in nanoseconds, then in 2^-20 s units. */
	static const uint64_t ns = UINT64_C(1700000000123456789);
	static const uint64_t bin = (UINT64_C(1700000000) << 20) | 0x80000;
	bytes b = {0};
	result r;
	int other;

	for (other = 0; other < 2; other++) {
		b.n = 0;
		tsresol_file(&b, 9, ns, other);
		ck_assert_int_eq(
		        read_all(write_file("ns.pcapng", b.p, b.n), NULL, &r),
		        1);
		ck_assert_int_eq(r.n, 1 + other);
		ck_assert_int_eq(r.f[0].ts.sec, 1700000000);
		ck_assert_int_eq(r.f[0].ts.usec, 123456);
		ck_assert_int_eq(r.f[other].ts.usec, 123456);
		b.n = 0;
		tsresol_file(&b, 0x80 | 20, bin, other);
		ck_assert_int_eq(
		        read_all(write_file("bin.pcapng", b.p, b.n), NULL, &r),
		        1);
		ck_assert_int_eq(r.n, 1 + other);
		ck_assert_int_eq(r.f[other].ts.sec, 1700000000);
		ck_assert_int_eq(r.f[other].ts.usec, 500000);
	}
	free(b.p);
}
END_TEST

START_TEST(pcapng_corrupt_length)
{
	bytes b = {0};
	result r;
	const char *p;
	size_t cut;

	/* Single interface: libpcap's own reader reports it. */
	tsresol_file(&b, -1, 1, 0);
	set32(&b, b.n - 4, 13);
	set32(&b, 28 + 24 + 4, 13);
	ck_assert_int_eq(
	        read_all(write_file("bad1.pcapng", b.p, b.n), NULL, &r), 1);
	ck_assert_int_eq(r.last, MS_SOURCE_ERROR);
	ck_assert_str_ne(r.err, "");
	printf("corrupt (libpcap): %s\n", r.err);

	/* Two link types: the own reader reports a huge last block. */
	b.n = 0;
	two_linktypes(&b, 0);
	cut = b.n;
	ng_epb(&b, 0, 9, (const uint8_t *)"x", 1, 1);
	set32(&b, cut + 4, 0x7ffffff0);
	p = write_file("bad2.pcapng", b.p, b.n);
	ck_assert_int_eq(read_all(p, NULL, &r), 1);
	ck_assert_int_eq(r.n, 5);
	ck_assert_int_eq(r.last, MS_SOURCE_ERROR);
	ck_assert_ptr_eq(strstr(r.err, p), r.err);
	printf("corrupt (own reader): %s\n", r.err);
	free(b.p);
}
END_TEST

START_TEST(pcapng_stdin_fallback)
{
	bytes b = {0};
	result r;
	int fd[2];

	two_linktypes(&b, 0);
	ck_assert_int_eq(pipe(fd), 0);
	ck_assert_int_eq(write(fd[1], b.p, b.n), (ssize_t)b.n);
	close(fd[1]);
	ck_assert_int_eq(dup2(fd[0], 0), 0);
	ck_assert_int_eq(read_all("-", NULL, &r), 1);
	ck_assert_int_eq(r.n, 1);
	ck_assert_int_eq(r.last, MS_SOURCE_ERROR);
	ck_assert_ptr_nonnull(strstr(r.err, "stdin: "));
	ck_assert_uint_eq(r.total, 0);
	printf("stdin fallback: %s\n", r.err);
	free(b.p);
}
END_TEST

/* ---- the own reader directly ---- */

static int ng_count(const bytes *b, ms_pcapng_status *last, char *err,
                    size_t errlen)
{
	FILE *f = fmemopen(b->p, b->n, "r");
	ms_pcapng *r;
	ms_pcapng_packet pk;
	int n = 0;

	ck_assert_ptr_nonnull(f);
	r = ms_pcapng_new(f, b->n);
	ck_assert_ptr_nonnull(r);
	while ((*last = ms_pcapng_next(r, &pk)) == MS_PCAPNG_PACKET) {
		ck_assert_uint_le(pk.caplen, b->n);
		ck_assert_ptr_nonnull(pk.data);
		n++;
	}
	snprintf(err, errlen, "%s", ms_pcapng_error(r));
	if (*last == MS_PCAPNG_ERROR)
		ck_assert_str_ne(err, "");
	ms_pcapng_free(r);
	fclose(f);
	return n;
}

START_TEST(own_reader_rejects)
{
	bytes b = {0};
	ms_pcapng_status st;
	char err[256];
	size_t at;

	two_linktypes(&b, 0);
	ck_assert_int_eq(ng_count(&b, &st, err, sizeof(err)), 5);
	ck_assert_int_eq(st, MS_PCAPNG_END);

	at = b.n;
	ng_epb(&b, 7, 1, (const uint8_t *)"abcd", 4, 4);
	ck_assert_int_eq(ng_count(&b, &st, err, sizeof(err)), 5);
	ck_assert_ptr_nonnull(strstr(err, "interface 7"));

	set32(&b, at + 8, 0);
	set32(&b, at + 20, 5);
	ck_assert_int_eq(ng_count(&b, &st, err, sizeof(err)), 5);
	ck_assert_ptr_nonnull(strstr(err, "captured length"));

	set32(&b, at + 4, 8);
	ck_assert_int_eq(ng_count(&b, &st, err, sizeof(err)), 5);
	ck_assert_ptr_nonnull(strstr(err, "invalid block length"));

	set32(&b, at + 4, 1u << 30);
	ck_assert_int_eq(ng_count(&b, &st, err, sizeof(err)), 5);
	ck_assert_int_eq(st, MS_PCAPNG_ERROR);

	b.n = at + 6;
	ck_assert_int_eq(ng_count(&b, &st, err, sizeof(err)), 5);
	ck_assert_ptr_nonnull(strstr(err, "truncated"));

	b.p[8] = 0;
	ck_assert_int_eq(ng_count(&b, &st, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "byte-order"));
	free(b.p);
}
END_TEST

/* Every single-byte corruption of a valid file must end in a packet
 * count, an end or an error; the sanitizers catch anything else. */
START_TEST(own_reader_survives_corruption)
{
	bytes b = {0}, c = {0};
	ms_pcapng_status st;
	char err[256];
	uint8_t fr[128];
	uint32_t n = make_frame(fr, 0, 1, 2, 0xAA);
	size_t i;
	int v;

	two_linktypes(&b, 0);
	ng_pb(&b, 1, 1, fr, n);
	ng_spb(&b, fr, n);
	ng_idb(&b, 1, 0, 0x80 | 63, -5);
	ng_epb(&b, 2, UINT64_MAX, fr, 16, 16);
	put(&c, b.p, b.n);
	for (i = 0; i < b.n; i++)
		for (v = 0; v < 256; v += 51) {
			memcpy(c.p, b.p, b.n);
			c.p[i] = (uint8_t)(c.p[i] ^ (v | 1));
			ng_count(&c, &st, err, sizeof(err));
		}
	free(b.p);
	free(c.p);
}
END_TEST

/* ---- live ---- */

START_TEST(live_no_such_device)
{
	char err[256];
	ms_source_options o = {.iface = "ms-nosuch0"};

	ck_assert_ptr_null(ms_source_open(&o, err, sizeof(err)));
	ck_assert_ptr_eq(strstr(err, "ms-nosuch0: "), err);
	ck_assert_ptr_null(strchr(err, '\n'));
	printf("no such device: %s\n", err);
}
END_TEST

static void send_udp(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(
	        sendto(fd, "ms", 2, 0, (struct sockaddr *)&a, sizeof(a)), 2);
	close(fd);
}

static ms_source *alarm_source;

static void on_alarm(int sig)
{
	(void)sig;
	ms_source_break(alarm_source);
}

/* A signal handler's break ends a live wait long before its timeout. */
static void check_signal_break(ms_source *s)
{
	struct sigaction sa;
	struct itimerval it = {.it_value = {.tv_usec = 100000}};
	struct timespec a, b;
	ms_frame f;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	alarm_source = s;
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(ms_source_next(s, &f), MS_SOURCE_END);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_int_lt(b.tv_sec - a.tv_sec, 2);
}

START_TEST(live_loopback)
{
	char err[256];
	ms_source_options o = {
	        .iface = "lo", .filter = "udp port 45999", .timeout_ms = 50};
	ms_source *s = ms_source_open(&o, err, sizeof(err));
	ms_source_stats st;
	ms_frame f;
	ms_source_status rc;
	int tries = 0;

	if (s == NULL) {
		printf("live_loopback skipped: %s\n", err);
		return;
	}
	ck_assert_int_eq(ms_source_is_live(s), 1);
	ck_assert_int_eq(ms_source_next(s, &f), MS_SOURCE_TIMEOUT);
	send_udp(45999);
	while ((rc = ms_source_next(s, &f)) == MS_SOURCE_TIMEOUT &&
	       ++tries < 40)
		;
	ck_assert_int_eq(rc, MS_SOURCE_FRAME);
	ck_assert_int_eq(f.linktype, DLT_EN10MB);
	ck_assert_int_eq(ms_source_stats_get(s, &st), 0);
	ck_assert_uint_ge(st.received, 1);
	ms_source_close(s);
	o.timeout_ms = 5000;
	s = ms_source_open(&o, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	check_signal_break(s);
	ms_source_close(s);
}
END_TEST

/* ---- the shared corpus, when present ---- */

static const char *corpus_path(const char *rel, char *buf, size_t len)
{
	const char *dir = getenv("MS_SHARED_DIR");
	struct stat st;

	snprintf(buf, len, "%s/corpus/%s", dir ? dir : "../shared", rel);
	return stat(buf, &st) == 0 ? buf : NULL;
}

/* A corrupt upstream file: 18 good packets, then a broken header. */
START_TEST(corpus_corrupt_pcap)
{
	char buf[1024];
	const char *p = corpus_path("suricata-verify/smtp-to-comma.pcap", buf,
	                            sizeof(buf));
	result r;

	if (p == NULL) {
		printf("corpus_corrupt_pcap skipped: no corpus\n");
		return;
	}
	ck_assert_int_eq(read_all(p, NULL, &r), 1);
	ck_assert_int_eq(r.n, 18);
	ck_assert_int_eq(r.last, MS_SOURCE_ERROR);
	printf("corpus corrupt: %s\n", r.err);
}
END_TEST

/* The corpus holds no multi-link-type pcapng, so the own reader is held
 * against libpcap on the real single-interface ones instead. */
static void compare_readers(const char *path)
{
	ms_source_options o = {.file = path};
	char err[256];
	ms_source *s = ms_source_open(&o, err, sizeof(err));
	FILE *f = fopen(path, "rb");
	struct stat st;
	ms_pcapng *ng;
	ms_pcapng_packet pk;
	ms_frame fr;
	int n = 0;

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fstat(fileno(f), &st), 0);
	ng = ms_pcapng_new(f, (uint64_t)st.st_size);
	while (ms_source_next(s, &fr) == MS_SOURCE_FRAME) {
		ck_assert_int_eq(ms_pcapng_next(ng, &pk), MS_PCAPNG_PACKET);
		ck_assert_int_eq(fr.ts.sec, pk.ts.sec);
		ck_assert_int_eq(fr.ts.usec, pk.ts.usec);
		ck_assert_int_eq(fr.linktype, (int)pk.linktype);
		ck_assert_uint_eq(fr.caplen, pk.caplen);
		ck_assert_uint_eq(fr.wirelen, pk.wirelen);
		ck_assert_mem_eq(fr.data, pk.data, fr.caplen);
		n++;
	}
	ck_assert_int_eq(ms_pcapng_next(ng, &pk), MS_PCAPNG_END);
	ck_assert_int_gt(n, 0);
	ms_pcapng_free(ng);
	fclose(f);
	ms_source_close(s);
}

START_TEST(corpus_pcapng_both_readers)
{
	static const char *files[] = {
	        "chrissanders-packets/mail_receiver_server_3.pcapng",
	        "ndpi/smtps.pcapng",
	        "peafowl/imap-ssl.pcapng",
	        "zeek/smtp-bdat-cmd-invalid.pcapng",
	};
	char buf[1024];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *p = corpus_path(files[i], buf, sizeof(buf));

		if (p == NULL)
			printf("%s skipped: not present\n", files[i]);
		else
			compare_readers(p);
	}
}
END_TEST

static Suite *source_suite(void)
{
	Suite *s = suite_create("source");
	TCase *t = tcase_create("pcap");
	TCase *ng = tcase_create("pcapng");
	TCase *live = tcase_create("live");
	TCase *corpus = tcase_create("corpus");

	tcase_add_test(t, pcap_three_frames);
	tcase_add_test(t, pcap_nanosecond);
	tcase_add_test(t, pcap_big_endian);
	tcase_add_test(t, pcap_truncated);
	tcase_add_test(t, missing_file);
	tcase_add_test(t, not_a_capture);
	tcase_add_test(t, no_input);
	tcase_add_test(t, bad_filter);
	tcase_add_test(t, pcap_filter);
	tcase_add_test(t, pcap_stdin);
	tcase_add_test(ng, pcapng_one_interface);
	tcase_add_test(ng, pcapng_two_linktypes);
	tcase_add_test(ng, pcapng_two_linktypes_filter);
	tcase_add_test(ng, pcapng_filter_per_linktype_error);
	tcase_add_test(ng, pcapng_progress_and_break);
	tcase_add_test(ng, pcapng_two_snaplens);
	tcase_add_test(ng, pcapng_blocks_and_sections);
	tcase_add_test(ng, pcapng_tsresol);
	tcase_add_test(ng, pcapng_corrupt_length);
	tcase_add_test(ng, pcapng_stdin_fallback);
	tcase_add_test(ng, own_reader_rejects);
	tcase_add_test(ng, own_reader_survives_corruption);
	tcase_set_timeout(ng, 60);
	tcase_add_test(live, live_no_such_device);
	tcase_add_test(live, live_loopback);
	tcase_add_test(corpus, corpus_corrupt_pcap);
	tcase_add_test(corpus, corpus_pcapng_both_readers);
	suite_add_tcase(s, t);
	suite_add_tcase(s, ng);
	suite_add_tcase(s, live);
	suite_add_tcase(s, corpus);
	return s;
}

static void remove_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char p[1024];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(tmpdir);
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	sr = srunner_create(source_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_tmpdir();
	return failed == 0 ? 0 : 1;
}
