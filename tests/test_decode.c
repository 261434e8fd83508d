/* test_decode.c: capture/decode.c against hand-built frames.
 *
 * Frames are built field by field here rather than taken from captures,
 * so that every test states exactly which bytes it feeds the decoder.
 * Frames are decoded from heap copies of exactly caplen bytes, so that
 * AddressSanitizer catches any read past the captured data.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/decode.h"

enum {
	LT_NULL = 0,
	LT_ETH = 1,
	LT_RAW = 12,
	LT_RAW14 = 14,
	LT_RAW101 = 101,
	LT_LOOP = 108,
	LT_SLL = 113,
	LT_IPV4 = 228,
	LT_IPV6 = 229,
	LT_SLL2 = 276,
};

enum { SPORT = 40000, DPORT = 25, WIN = 0x7210 };
#define SEQ 0x01020304u
#define ACK 0xa0b0c0d0u

static const uint8_t SRC4[4] = {192, 0, 2, 1};
static const uint8_t DST4[4] = {198, 51, 100, 2};
static const uint8_t SRC6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t DST6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const char PAYLOAD[] = "EHLO mail.example.org\r\n";
#define PLEN ((uint32_t)sizeof(PAYLOAD) - 1)

typedef struct frame {
	uint8_t b[2048];
	uint32_t len;
} frame;

static ms_decoder *dec;

static void setup(void)
{
	dec = ms_decoder_new(NULL);
	ck_assert_ptr_nonnull(dec);
}

static void teardown(void)
{
	ms_decoder_free(dec);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint8_t *grow(frame *f, uint32_t n)
{
	uint8_t *p = f->b + f->len;

	ck_assert_uint_le(f->len + n, sizeof(f->b));
	memset(p, 0, n);
	f->len += n;
	return p;
}

static void put(frame *f, const void *data, uint32_t n)
{
	memcpy(grow(f, n), data, n);
}

static uint16_t csum(const uint8_t *p, uint32_t n)
{
	uint32_t sum = 0, i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A TCP header with optwords NOP option words, then n bytes of data.
 * CWR and ECE are set too: the decoder keeps only the low six flags. */
static uint32_t tcp(uint8_t *out, const void *data, uint32_t n,
                    unsigned optwords)
{
	uint32_t hl = 20 + 4 * optwords;

	memset(out, 0, hl);
	put16(out, SPORT);
	put16(out + 2, DPORT);
	put32(out + 4, SEQ);
	put32(out + 8, ACK);
	out[12] = (uint8_t)(hl / 4 << 4);
	out[13] = 0xc0 | MS_TCP_PSH | MS_TCP_ACK;
	put16(out + 14, WIN);
	memset(out + 20, 1, 4 * optwords);
	memcpy(out + hl, data, n);
	return hl + n;
}

/* An IPv4 header with optwords NOP option words; frag is the flags and
 * fragment offset field. */
static void ip4(frame *f, uint8_t proto, const uint8_t *body, uint32_t n,
                uint16_t id, uint16_t frag, unsigned optwords)
{
	uint32_t hl = 20 + 4 * optwords;
	uint8_t *h = grow(f, hl);

	h[0] = (uint8_t)(0x40 | hl / 4);
	put16(h + 2, hl + n);
	put16(h + 4, id);
	put16(h + 6, frag);
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, SRC4, 4);
	memcpy(h + 16, DST4, 4);
	memset(h + 20, 1, 4 * optwords);
	put16(h + 10, csum(h, hl));
	put(f, body, n);
}

static void ip6(frame *f, uint8_t nxt, const uint8_t *body, uint32_t n)
{
	uint8_t *h = grow(f, 40);

	h[0] = 0x60;
	put16(h + 4, n);
	h[6] = nxt;
	h[7] = 64;
	memcpy(h + 8, SRC6, 16);
	memcpy(h + 24, DST6, 16);
	put(f, body, n);
}

static void eth(frame *f, uint16_t type)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	uint8_t *h = grow(f, 14);

	memcpy(h, macs, 12);
	put16(h + 12, type);
}

/* A VLAN tag; PCP 5 and DEI are set to check that only the VID is kept. */
static void vlan(frame *f, uint16_t vid, uint16_t type)
{
	uint8_t *h = grow(f, 4);

	put16(h, 0xb000u | vid);
	put16(h + 2, type);
}

static void tcp4(frame *f)
{
	uint8_t seg[256];
	uint32_t n = tcp(seg, PAYLOAD, PLEN, 0);

	ip4(f, 6, seg, n, 0x1234, 0x4000, 0);
}

static void tcp6(frame *f)
{
	uint8_t seg[256];
	uint32_t n = tcp(seg, PAYLOAD, PLEN, 0);

	ip6(f, 6, seg, n);
}

static ms_decode_result decode_at(ms_decoder *d, int lt, const uint8_t *b,
                                  uint32_t caplen, int64_t sec, ms_segment *s)
{
	uint8_t *copy = malloc(caplen ? caplen : 1);
	ms_time ts = {sec, 250};
	ms_decode_result r;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, b, caplen);
	r = ms_decoder_decode(d, lt, copy, caplen, ts, s);
	ck_assert_int_eq(s->ts.sec, sec);
	ck_assert_int_eq(s->ts.usec, 250);
	/* A payload inside the frame must end within caplen; it is moved
	 * out before the frame is freed, for the caller to compare. */
	if (r == MS_DECODE_OK && s->payload >= copy &&
	    s->payload <= copy + caplen) {
		static uint8_t keep[2048];

		ck_assert_uint_le(s->payload + s->len - copy, caplen);
		memcpy(keep, s->payload, s->len);
		s->payload = keep;
	}
	free(copy);
	return r;
}

static ms_decode_result decode(int lt, const frame *f, ms_segment *s)
{
	return decode_at(dec, lt, f->b, f->len, 0, s);
}

static void expect_tcp(const ms_segment *s, int v, const void *data, uint32_t n)
{
	static const uint8_t zero[16];

	ck_assert_uint_eq(s->ip_version, v);
	if (v == 4) {
		ck_assert_mem_eq(s->src, SRC4, 4);
		ck_assert_mem_eq(s->dst, DST4, 4);
		ck_assert_mem_eq(s->src + 4, zero, 12);
		ck_assert_mem_eq(s->dst + 4, zero, 12);
	} else {
		ck_assert_mem_eq(s->src, SRC6, 16);
		ck_assert_mem_eq(s->dst, DST6, 16);
	}
	ck_assert_uint_eq(s->sport, SPORT);
	ck_assert_uint_eq(s->dport, DPORT);
	ck_assert_uint_eq(s->seq, SEQ);
	ck_assert_uint_eq(s->ack, ACK);
	ck_assert_uint_eq(s->flags, MS_TCP_PSH | MS_TCP_ACK);
	ck_assert_uint_eq(s->window, WIN);
	ck_assert_uint_eq(s->len, n);
	if (n)
		ck_assert_mem_eq(s->payload, data, n);
}

static void expect_ok(int lt, const frame *f, int v)
{
	ms_segment s;

	ck_assert_int_eq(decode(lt, f, &s), MS_DECODE_OK);
	expect_tcp(&s, v, PAYLOAD, PLEN);
	ck_assert_uint_eq(s.vlan_count, 0);
}

/* ---- link types ---- */

START_TEST(ethernet_ipv4)
{
	frame f = {0};

	eth(&f, 0x0800);
	tcp4(&f);
	expect_ok(LT_ETH, &f, 4);
}
END_TEST

START_TEST(ethernet_ipv6)
{
	frame f = {0};

	eth(&f, 0x86dd);
	tcp6(&f);
	expect_ok(LT_ETH, &f, 6);
}
END_TEST

static void expect_vlans(const frame *f, int v, unsigned n, uint16_t v0,
                         uint16_t v1)
{
	ms_segment s;

	ck_assert_int_eq(decode(LT_ETH, f, &s), MS_DECODE_OK);
	expect_tcp(&s, v, PAYLOAD, PLEN);
	ck_assert_uint_eq(s.vlan_count, n);
	ck_assert_uint_eq(s.vlan[0], v0);
	if (n > 1)
		ck_assert_uint_eq(s.vlan[1], v1);
}

START_TEST(vlan_8021q)
{
	frame f = {0};

	eth(&f, 0x8100);
	vlan(&f, 100, 0x0800);
	tcp4(&f);
	expect_vlans(&f, 4, 1, 100, 0);
}
END_TEST

START_TEST(vlan_qinq_two)
{
	frame f = {0};

	eth(&f, 0x88a8);
	vlan(&f, 10, 0x8100);
	vlan(&f, 4095, 0x86dd);
	tcp6(&f);
	expect_vlans(&f, 6, 2, 10, 4095);
}
END_TEST

START_TEST(vlan_qinq_three)
{
	frame f = {0};

	eth(&f, 0x9100);
	vlan(&f, 5, 0x88a8);
	vlan(&f, 6, 0x8100);
	vlan(&f, 7, 0x0800);
	tcp4(&f);
	expect_vlans(&f, 4, 2, 5, 6);
}
END_TEST

START_TEST(sll)
{
	frame f = {0};
	uint8_t *h = grow(&f, 16);

	put16(h, 0);     /* packet type: to us */
	put16(h + 2, 1); /* ARPHRD_ETHER */
	put16(h + 4, 6);
	put16(h + 14, 0x0800);
	tcp4(&f);
	expect_ok(LT_SLL, &f, 4);
}
END_TEST

START_TEST(sll_vlan)
{
	frame f = {0};
	ms_segment s;
	uint8_t *h = grow(&f, 16);

	put16(h + 14, 0x8100);
	vlan(&f, 42, 0x86dd);
	tcp6(&f);
	ck_assert_int_eq(decode(LT_SLL, &f, &s), MS_DECODE_OK);
	expect_tcp(&s, 6, PAYLOAD, PLEN);
	ck_assert_uint_eq(s.vlan_count, 1);
	ck_assert_uint_eq(s.vlan[0], 42);
}
END_TEST

START_TEST(sll2)
{
	frame f = {0};
	uint8_t *h = grow(&f, 20);

	put16(h, 0x86dd);
	put32(h + 4, 3); /* interface index */
	put16(h + 8, 1); /* ARPHRD_ETHER */
	h[11] = 6;       /* address length */
	tcp6(&f);
	expect_ok(LT_SLL2, &f, 6);
}
END_TEST

static void family(frame *f, uint32_t af, int net_order)
{
	uint8_t *h = grow(f, 4);

	if (net_order)
		put32(h, af);
	else
		memcpy(h, &af, 4);
}

START_TEST(null_host_order)
{
	frame f = {0};

	family(&f, 2, 0);
	tcp4(&f);
	expect_ok(LT_NULL, &f, 4);
}
END_TEST

START_TEST(null_both_orders)
{
	static const uint32_t v6[] = {24, 28, 30};
	unsigned i;

	for (i = 0; i < 3; i++) {
		frame a = {0}, b = {0};
		uint8_t *h = grow(&a, 4);

		h[0] = (uint8_t)v6[i]; /* little-endian writer */
		tcp6(&a);
		expect_ok(LT_NULL, &a, 6);
		h = grow(&b, 4);
		h[3] = (uint8_t)v6[i]; /* big-endian writer */
		tcp6(&b);
		expect_ok(LT_NULL, &b, 6);
	}
}
END_TEST

START_TEST(loop_network_order)
{
	static const uint32_t v6[] = {24, 28, 30};
	frame f = {0};
	unsigned i;

	family(&f, 2, 1);
	tcp4(&f);
	expect_ok(LT_LOOP, &f, 4);
	for (i = 0; i < 3; i++) {
		frame g = {0};

		family(&g, v6[i], 1);
		tcp6(&g);
		expect_ok(LT_LOOP, &g, 6);
	}
}
END_TEST

START_TEST(null_other_family)
{
	frame f = {0};
	ms_segment s;

	family(&f, 7, 0);
	tcp4(&f);
	ck_assert_int_eq(decode(LT_NULL, &f, &s), MS_DECODE_NOT_IP);
}
END_TEST

START_TEST(raw_links)
{
	static const int raw[] = {LT_RAW, LT_RAW14, LT_RAW101};
	unsigned i;

	for (i = 0; i < 3; i++) {
		frame a = {0}, b = {0};

		tcp4(&a);
		expect_ok(raw[i], &a, 4);
		tcp6(&b);
		expect_ok(raw[i], &b, 6);
	}
}
END_TEST

START_TEST(ipv4_ipv6_links)
{
	frame a = {0}, b = {0};
	ms_segment s;

	tcp4(&a);
	expect_ok(LT_IPV4, &a, 4);
	tcp6(&b);
	expect_ok(LT_IPV6, &b, 6);
	ck_assert_int_eq(decode(LT_IPV4, &b, &s), MS_DECODE_MALFORMED);
	ck_assert_int_eq(decode(LT_IPV6, &a, &s), MS_DECODE_MALFORMED);
}
END_TEST

START_TEST(bad_link)
{
	frame f = {0};
	ms_segment s;

	tcp4(&f);
	ck_assert_int_eq(decode(9999, &f, &s), MS_DECODE_BAD_LINK);
	ck_assert_int_eq(decode(-1, &f, &s), MS_DECODE_BAD_LINK);
}
END_TEST

/* ---- IPv4 and TCP ---- */

START_TEST(ipv4_options)
{
	unsigned words;

	for (words = 1; words <= 10; words++) {
		frame f = {0};
		uint8_t seg[256];
		uint32_t n = tcp(seg, PAYLOAD, PLEN, 0);

		eth(&f, 0x0800);
		ip4(&f, 6, seg, n, 1, 0, words);
		expect_ok(LT_ETH, &f, 4);
	}
}
END_TEST

START_TEST(tcp_options)
{
	frame f = {0};
	uint8_t seg[256];
	uint32_t n = tcp(seg, PAYLOAD, PLEN, 10);

	ip4(&f, 6, seg, n, 1, 0, 0);
	expect_ok(LT_RAW, &f, 4);
}
END_TEST

START_TEST(ethernet_padding)
{
	frame f = {0};
	ms_segment s;
	uint8_t seg[64];
	uint32_t n = tcp(seg, "OK", 2, 0);

	eth(&f, 0x0800);
	ip4(&f, 6, seg, n, 1, 0, 0);
	ck_assert_uint_eq(f.len, 56);
	memset(grow(&f, 4), 0xee, 4); /* padded to the 60-byte minimum */
	ck_assert_int_eq(decode(LT_ETH, &f, &s), MS_DECODE_OK);
	expect_tcp(&s, 4, "OK", 2);
}
END_TEST

START_TEST(ipv6_trailing_bytes)
{
	frame f = {0};
	ms_segment s;

	eth(&f, 0x86dd);
	tcp6(&f);
	memset(grow(&f, 4), 0xee, 4);
	ck_assert_int_eq(decode(LT_ETH, &f, &s), MS_DECODE_OK);
	expect_tcp(&s, 6, PAYLOAD, PLEN);
}
END_TEST

START_TEST(tcp_no_payload)
{
	frame f = {0};
	ms_segment s;
	uint8_t seg[64];
	uint32_t n = tcp(seg, "", 0, 0);

	ip4(&f, 6, seg, n, 1, 0, 0);
	ck_assert_int_eq(decode(LT_RAW, &f, &s), MS_DECODE_OK);
	expect_tcp(&s, 4, "", 0);
}
END_TEST

/* Every caplen of a frame: TRUNCATED until the headers (hdr bytes) fit,
 * then OK with what is left of the payload. */
static void truncate_all(int lt, const frame *f, uint32_t hdr, int v)
{
	uint32_t cap;

	for (cap = 0; cap <= f->len; cap++) {
		ms_segment s;
		ms_decode_result r = decode_at(dec, lt, f->b, cap, 0, &s);

		if (cap < hdr) {
			ck_assert_msg(r == MS_DECODE_TRUNCATED, "caplen %u: %s",
			              cap, ms_decode_result_name(r));
			continue;
		}
		ck_assert_msg(r == MS_DECODE_OK, "caplen %u: %s", cap,
		              ms_decode_result_name(r));
		expect_tcp(&s, v, PAYLOAD, cap - hdr);
	}
}

START_TEST(truncate_ethernet_ipv4)
{
	frame f = {0};

	eth(&f, 0x0800);
	tcp4(&f);
	truncate_all(LT_ETH, &f, 14 + 20 + 20, 4);
}
END_TEST

START_TEST(truncate_options)
{
	frame f = {0};
	uint8_t seg[256];
	uint32_t n = tcp(seg, PAYLOAD, PLEN, 3);

	eth(&f, 0x8100);
	vlan(&f, 1, 0x0800);
	ip4(&f, 6, seg, n, 1, 0, 2);
	truncate_all(LT_ETH, &f, 18 + 28 + 32, 4);
}
END_TEST

static uint32_t ext(uint8_t *p, uint8_t nxt, uint32_t len)
{
	memset(p, 0, len);
	p[0] = nxt;
	p[1] = (uint8_t)(len / 8 - 1);
	if (len > 2) {
		p[2] = 1; /* PadN option covering the rest */
		p[3] = (uint8_t)(len - 4);
	}
	return len;
}

/* Hop-by-Hop (8), Destination Options (16), Routing (24), then TCP. */
static void tcp6_ext(frame *f)
{
	uint8_t body[512];
	uint32_t n = 0;

	n += ext(body + n, 60, 8);
	n += ext(body + n, 43, 16);
	n += ext(body + n, 6, 24);
	body[n - 24 + 2] = 0; /* routing type 0, segments left 0 */
	body[n - 24 + 3] = 0;
	n += tcp(body + n, PAYLOAD, PLEN, 0);
	ip6(f, 0, body, n);
}

START_TEST(truncate_sll2_ipv6_ext)
{
	frame f = {0};
	uint8_t *h = grow(&f, 20);

	put16(h, 0x86dd);
	tcp6_ext(&f);
	truncate_all(LT_SLL2, &f, 20 + 40 + 48 + 20, 6);
}
END_TEST

START_TEST(truncate_qinq_ipv6)
{
	frame f = {0};

	eth(&f, 0x88a8);
	vlan(&f, 3, 0x8100);
	vlan(&f, 4, 0x86dd);
	tcp6(&f);
	truncate_all(LT_ETH, &f, 22 + 40 + 20, 6);
}
END_TEST

START_TEST(truncate_null_and_sll)
{
	frame a = {0}, b = {0};
	uint8_t *h;

	family(&a, 2, 0);
	tcp4(&a);
	truncate_all(LT_NULL, &a, 4 + 40, 4);
	h = grow(&b, 16);
	put16(h + 14, 0x0800);
	tcp4(&b);
	truncate_all(LT_SLL, &b, 16 + 40, 4);
}
END_TEST

static void ip4_malformed(void (*edit)(uint8_t *ip), ms_decode_result want)
{
	frame f = {0};
	ms_segment s;

	eth(&f, 0x0800);
	tcp4(&f);
	edit(f.b + 14);
	ck_assert_int_eq(decode(LT_ETH, &f, &s), want);
}

static void set_ihl4(uint8_t *ip)
{
	ip[0] = 0x44;
}

static void set_version5(uint8_t *ip)
{
	ip[0] = 0x55;
}

static void set_total19(uint8_t *ip)
{
	put16(ip + 2, 19);
}

static void set_doff4(uint8_t *ip)
{
	ip[20 + 12] = 0x40;
}

/* 60-byte TCP header in a datagram that has only 20 + 23 bytes. */
static void set_doff15(uint8_t *ip)
{
	ip[20 + 12] = 0xf0;
}

/* Total length leaves only 10 bytes of TCP. */
static void set_total30(uint8_t *ip)
{
	put16(ip + 2, 30);
}

START_TEST(malformed)
{
	ip4_malformed(set_ihl4, MS_DECODE_MALFORMED);
	ip4_malformed(set_version5, MS_DECODE_MALFORMED);
	ip4_malformed(set_total19, MS_DECODE_MALFORMED);
	ip4_malformed(set_doff4, MS_DECODE_MALFORMED);
	ip4_malformed(set_doff15, MS_DECODE_MALFORMED);
	ip4_malformed(set_total30, MS_DECODE_MALFORMED);
}
END_TEST

START_TEST(raw_bad_version)
{
	frame f = {0};
	ms_segment s;

	tcp4(&f);
	f.b[0] = 0x25;
	ck_assert_int_eq(decode(LT_RAW, &f, &s), MS_DECODE_MALFORMED);
	ck_assert_int_eq(decode_at(dec, LT_RAW, f.b, 0, 0, &s),
	                 MS_DECODE_TRUNCATED);
}
END_TEST

START_TEST(not_tcp)
{
	frame a = {0}, b = {0};
	ms_segment s;
	uint8_t udp[16] = {0x9c, 0x40, 0, 53, 0, 16};

	eth(&a, 0x0800);
	ip4(&a, 17, udp, sizeof(udp), 1, 0, 0);
	ck_assert_int_eq(decode(LT_ETH, &a, &s), MS_DECODE_NOT_TCP);
	ip6(&b, 17, udp, sizeof(udp));
	ck_assert_int_eq(decode(LT_IPV6, &b, &s), MS_DECODE_NOT_TCP);
}
END_TEST

START_TEST(not_ip)
{
	frame a = {0}, b = {0};
	ms_segment s;

	eth(&a, 0x0806); /* ARP */
	memset(grow(&a, 28), 0, 28);
	ck_assert_int_eq(decode(LT_ETH, &a, &s), MS_DECODE_NOT_IP);
	eth(&b, 46); /* an 802.3 length, LLC follows */
	memset(grow(&b, 46), 0x42, 46);
	ck_assert_int_eq(decode(LT_ETH, &b, &s), MS_DECODE_NOT_IP);
}
END_TEST

START_TEST(result_names)
{
	static const char *const want[] = {
	        "ok",        "frag_held", "non_ip",     "non_tcp",  "truncated",
	        "malformed", "bad_link",  "frag_limit", "frag_bad",
	};
	int i;

	ck_assert_int_eq(MS_DECODE_RESULT_COUNT, 9);
	for (i = 0; i < MS_DECODE_RESULT_COUNT; i++)
		ck_assert_str_eq(ms_decode_result_name((ms_decode_result)i),
		                 want[i]);
}
END_TEST

/* ---- IPv6 extension headers ---- */

START_TEST(ipv6_extensions)
{
	frame f = {0};

	eth(&f, 0x86dd);
	tcp6_ext(&f);
	expect_ok(LT_ETH, &f, 6);
}
END_TEST

START_TEST(ipv6_ah)
{
	frame f = {0};
	uint8_t body[256];
	uint32_t n = 24;

	memset(body, 0, n);
	body[0] = 6;
	body[1] = 4; /* (4 + 2) * 4 = 24 bytes */
	n += tcp(body + n, PAYLOAD, PLEN, 0);
	ip6(&f, 51, body, n);
	expect_ok(LT_IPV6, &f, 6);
}
END_TEST

START_TEST(ipv6_no_next_header)
{
	frame f = {0};
	ms_segment s;
	uint8_t body[8];

	ext(body, 59, 8);
	ip6(&f, 0, body, 8);
	ck_assert_int_eq(decode(LT_IPV6, &f, &s), MS_DECODE_NOT_TCP);
	f.b[6] = 59;
	ck_assert_int_eq(decode(LT_IPV6, &f, &s), MS_DECODE_NOT_TCP);
}
END_TEST

START_TEST(ipv6_jumbogram)
{
	frame f = {0};
	ms_segment s;

	tcp6(&f);
	put16(f.b + 4, 0);
	ck_assert_int_eq(decode(LT_IPV6, &f, &s), MS_DECODE_MALFORMED);
}
END_TEST

START_TEST(ipv6_ext_past_payload)
{
	frame f = {0};
	ms_segment s;
	uint8_t body[64];

	ext(body, 6, 8);
	body[1] = 5; /* 48 bytes, but only 28 in the payload */
	tcp(body + 8, "", 0, 0);
	ip6(&f, 60, body, 28);
	ck_assert_int_eq(decode(LT_IPV6, &f, &s), MS_DECODE_MALFORMED);
}
END_TEST

/* ---- IPv4 fragments ---- */

/* A TCP segment of 64 bytes, sent in pieces of 24, 24 and 16. */
static uint8_t fseg[64];
static const uint32_t FOFF[] = {0, 24, 48}, FLEN[] = {24, 24, 16};
#define FPLEN 44

static void fseg_init(void)
{
	uint8_t data[FPLEN];
	unsigned i;

	for (i = 0; i < FPLEN; i++)
		data[i] = (uint8_t)('a' + i % 26);
	ck_assert_uint_eq(tcp(fseg, data, FPLEN, 0), sizeof(fseg));
}

static ms_decode_result frag4(ms_decoder *d, const uint8_t *seg, uint32_t off,
                              uint32_t n, int more, uint16_t id, int64_t sec,
                              ms_segment *s)
{
	frame f = {0};

	ip4(&f, 6, seg + off, n, id, (uint16_t)((more ? 0x2000 : 0) | off / 8),
	    0);
	return decode_at(d, LT_RAW, f.b, f.len, sec, s);
}

/* Piece i of datagram id. */
static ms_decode_result piece(ms_decoder *d, unsigned i, uint16_t id,
                              int64_t sec, ms_segment *s)
{
	return frag4(d, fseg, FOFF[i], FLEN[i], i < 2, id, sec, s);
}

static void expect_fseg(const ms_segment *s)
{
	expect_tcp(s, 4, fseg + 20, FPLEN);
}

START_TEST(frag_in_order)
{
	ms_segment s;

	fseg_init();
	ck_assert_int_eq(piece(dec, 0, 7, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 1, 7, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 2, 7, 0, &s), MS_DECODE_OK);
	expect_fseg(&s);
	/* The datagram is gone: the same pieces start a new one. */
	ck_assert_int_eq(piece(dec, 2, 7, 0, &s), MS_DECODE_FRAG_HELD);
}
END_TEST

START_TEST(frag_out_of_order)
{
	ms_segment s;

	fseg_init();
	ck_assert_int_eq(piece(dec, 2, 7, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 0, 7, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 1, 7, 0, &s), MS_DECODE_OK);
	expect_fseg(&s);
}
END_TEST

START_TEST(frag_interleaved)
{
	ms_segment s;

	fseg_init();
	ck_assert_int_eq(piece(dec, 1, 1, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 0, 2, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 2, 1, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 2, 2, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 0, 1, 0, &s), MS_DECODE_OK);
	expect_fseg(&s);
	ck_assert_int_eq(piece(dec, 1, 2, 0, &s), MS_DECODE_OK);
	expect_fseg(&s);
}
END_TEST

START_TEST(frag_duplicate)
{
	ms_segment s;

	fseg_init();
	ck_assert_int_eq(piece(dec, 0, 7, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 0, 7, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 2, 7, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 2, 7, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 1, 7, 0, &s), MS_DECODE_OK);
	expect_fseg(&s);
}
END_TEST

START_TEST(frag_overlap_first_wins)
{
	uint8_t other[64];
	ms_segment s;

	fseg_init();
	memcpy(other, fseg, sizeof(other));
	memset(other + 16, 'X', 8); /* differs from piece 0 in 16..23 */
	ck_assert_int_eq(piece(dec, 0, 7, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(frag4(dec, other, 16, 24, 1, 7, 0, &s),
	                 MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 1, 7, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 2, 7, 0, &s), MS_DECODE_OK);
	expect_fseg(&s);
}
END_TEST

START_TEST(frag_overlap_fills_hole)
{
	ms_segment s;

	fseg_init();
	ck_assert_int_eq(piece(dec, 0, 7, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 2, 7, 0, &s), MS_DECODE_FRAG_HELD);
	/* One fragment across the hole and both neighbours. */
	ck_assert_int_eq(frag4(dec, fseg, 8, 48, 1, 7, 0, &s), MS_DECODE_OK);
	expect_fseg(&s);
}
END_TEST

START_TEST(frag_options_first)
{
	frame f = {0};
	ms_segment s;

	fseg_init();
	ip4(&f, 6, fseg, 24, 9, 0x2000, 3);
	ck_assert_int_eq(decode(LT_RAW, &f, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 1, 9, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 2, 9, 0, &s), MS_DECODE_OK);
	expect_fseg(&s);
}
END_TEST

START_TEST(frag_timeout)
{
	ms_segment s;

	fseg_init();
	/* 30 s after the first fragment is still within the timeout. */
	ck_assert_int_eq(piece(dec, 0, 7, 100, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 1, 7, 130, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 2, 7, 130, &s), MS_DECODE_OK);
	/* 31 s is not: piece 0 is forgotten and the rest never completes. */
	ck_assert_int_eq(piece(dec, 0, 7, 200, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 1, 7, 231, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 2, 7, 231, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 0, 7, 232, &s), MS_DECODE_OK);
	expect_fseg(&s);
}
END_TEST

START_TEST(frag_timeout_by_other_traffic)
{
	frame f = {0};
	ms_segment s;

	fseg_init();
	ck_assert_int_eq(piece(dec, 0, 7, 100, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 1, 7, 100, &s), MS_DECODE_FRAG_HELD);
	/* Any later frame expires the datagram, fragment or not. */
	tcp4(&f);
	ck_assert_int_eq(decode_at(dec, LT_RAW, f.b, f.len, 500, &s),
	                 MS_DECODE_OK);
	ck_assert_int_eq(piece(dec, 2, 7, 500, &s), MS_DECODE_FRAG_HELD);
}
END_TEST

START_TEST(frag_datagram_limit)
{
	ms_decoder_limits lim = {2, 1u << 20, 30};
	ms_decoder *d = ms_decoder_new(&lim);
	ms_segment s;

	fseg_init();
	ck_assert_int_eq(piece(d, 0, 1, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(d, 0, 2, 1, &s), MS_DECODE_FRAG_HELD);
	/* A third datagram evicts the oldest, datagram 1. */
	ck_assert_int_eq(piece(d, 0, 3, 2, &s), MS_DECODE_FRAG_LIMIT);
	ck_assert_int_eq(piece(d, 1, 2, 2, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(d, 2, 2, 2, &s), MS_DECODE_OK);
	expect_fseg(&s);
	ck_assert_int_eq(piece(d, 1, 3, 2, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(d, 2, 3, 2, &s), MS_DECODE_OK);
	expect_fseg(&s);
	/* Datagram 1 lost its first piece. */
	ck_assert_int_eq(piece(d, 1, 1, 3, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(d, 2, 1, 3, &s), MS_DECODE_FRAG_HELD);
	ms_decoder_free(d);
}
END_TEST

START_TEST(frag_zero_datagrams)
{
	ms_decoder_limits lim = {0, 1u << 20, 30};
	ms_decoder *d = ms_decoder_new(&lim);
	ms_segment s;

	fseg_init();
	ck_assert_int_eq(piece(d, 0, 1, 0, &s), MS_DECODE_FRAG_LIMIT);
	ms_decoder_free(d);
}
END_TEST

START_TEST(frag_byte_limit)
{
	ms_decoder_limits lim = {16, 100, 30};
	ms_decoder *d = ms_decoder_new(&lim);
	ms_segment s;

	fseg_init();
	/* Datagram 1 holds 48 bytes; datagram 2 would need 64 more. */
	ck_assert_int_eq(piece(d, 0, 1, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(d, 1, 1, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(d, 2, 2, 0, &s), MS_DECODE_FRAG_LIMIT);
	ck_assert_int_eq(piece(d, 0, 2, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(d, 1, 2, 0, &s), MS_DECODE_OK);
	expect_fseg(&s);
	/* Datagram 1 was evicted. */
	ck_assert_int_eq(piece(d, 2, 1, 0, &s), MS_DECODE_FRAG_HELD);
	/* A fragment that cannot fit even alone is dropped with its datagram,
	 * and leaves the others alone. */
	ck_assert_int_eq(frag4(d, fseg, 96, 8, 1, 1, 0, &s),
	                 MS_DECODE_FRAG_LIMIT);
	ck_assert_int_eq(frag4(d, fseg, 96, 8, 1, 5, 0, &s),
	                 MS_DECODE_FRAG_LIMIT);
	ck_assert_int_eq(piece(d, 0, 6, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(d, 1, 6, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(d, 2, 6, 0, &s), MS_DECODE_OK);
	ms_decoder_free(d);
}
END_TEST

START_TEST(frag_byte_limit_oldest_grows)
{
	ms_decoder_limits lim = {16, 100, 30};
	ms_decoder *d = ms_decoder_new(&lim);
	ms_segment s;

	fseg_init();
	ck_assert_int_eq(piece(d, 0, 1, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(d, 1, 2, 0, &s), MS_DECODE_FRAG_HELD);
	/* Datagram 1, the oldest, grows to 64: datagram 2 makes room. */
	ck_assert_int_eq(piece(d, 2, 1, 0, &s), MS_DECODE_FRAG_LIMIT);
	ck_assert_int_eq(piece(d, 1, 1, 0, &s), MS_DECODE_OK);
	expect_fseg(&s);
	ck_assert_int_eq(piece(d, 0, 2, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(d, 2, 2, 0, &s), MS_DECODE_FRAG_HELD);
	ms_decoder_free(d);
}
END_TEST

START_TEST(frag_too_long)
{
	uint8_t big[64] = {0};
	frame a = {0}, b = {0};
	ms_segment s;

	/* RFC 791: 20 bytes of header + 65512 + 3 is the largest datagram. */
	ip4(&a, 6, big, 3, 7, 8189, 0);
	ck_assert_int_eq(decode(LT_RAW, &a, &s), MS_DECODE_FRAG_HELD);
	ip4(&b, 6, big, 8, 8, 8189, 0);
	ck_assert_int_eq(decode(LT_RAW, &b, &s), MS_DECODE_FRAG_BAD);
}
END_TEST

START_TEST(frag_conflicting_end)
{
	ms_segment s;

	fseg_init();
	ck_assert_int_eq(piece(dec, 0, 7, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 2, 7, 0, &s), MS_DECODE_FRAG_HELD);
	/* A second last fragment with a different end drops the datagram. */
	ck_assert_int_eq(frag4(dec, fseg, 48, 8, 0, 7, 0, &s),
	                 MS_DECODE_FRAG_BAD);
	ck_assert_int_eq(piece(dec, 1, 7, 0, &s), MS_DECODE_FRAG_HELD);
}
END_TEST

START_TEST(frag_past_end)
{
	uint8_t big[128] = {0};
	ms_segment s;

	fseg_init();
	ck_assert_int_eq(piece(dec, 2, 7, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(frag4(dec, big, 64, 8, 1, 7, 0, &s),
	                 MS_DECODE_FRAG_BAD);
	/* And a last fragment ending before data already held. */
	ck_assert_int_eq(frag4(dec, big, 64, 8, 1, 8, 0, &s),
	                 MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(piece(dec, 2, 8, 0, &s), MS_DECODE_FRAG_BAD);
}
END_TEST

START_TEST(frag_odd_length)
{
	ms_segment s;

	fseg_init();
	ck_assert_int_eq(piece(dec, 0, 7, 0, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(frag4(dec, fseg, 24, 20, 1, 7, 0, &s),
	                 MS_DECODE_FRAG_BAD);
}
END_TEST

START_TEST(frag_truncated_and_not_tcp)
{
	frame f = {0};
	ms_segment s;

	fseg_init();
	ip4(&f, 6, fseg, 24, 7, 0x2000, 0);
	ck_assert_int_eq(decode_at(dec, LT_RAW, f.b, f.len - 1, 0, &s),
	                 MS_DECODE_TRUNCATED);
	f.len = 0;
	ip4(&f, 17, fseg, 24, 7, 0x2000, 0);
	ck_assert_int_eq(decode(LT_RAW, &f, &s), MS_DECODE_NOT_TCP);
}
END_TEST

START_TEST(frag_short_tcp)
{
	ms_segment s;

	fseg_init();
	/* A reassembled datagram of 16 bytes cannot hold a TCP header. */
	ck_assert_int_eq(frag4(dec, fseg, 0, 8, 1, 7, 0, &s),
	                 MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(frag4(dec, fseg, 8, 8, 0, 7, 0, &s),
	                 MS_DECODE_MALFORMED);
}
END_TEST

/* ---- IPv6 fragments ---- */

/* The fragmentable part: Destination Options (8) then the TCP segment. */
static uint8_t f6[8 + 20 + FPLEN];

static void f6_init(void)
{
	fseg_init();
	ext(f6, 6, 8);
	memcpy(f6 + 8, fseg, sizeof(fseg));
}

static ms_decode_result frag6(ms_decoder *d, uint32_t off, uint32_t n, int more,
                              uint32_t id, int hbh, ms_segment *s)
{
	uint8_t body[256];
	uint32_t b = 0;
	frame f = {0};

	if (hbh)
		b += ext(body, 44, 8);
	body[b] = 60;
	body[b + 1] = 0;
	put16(body + b + 2, off | (more ? 1 : 0));
	put32(body + b + 4, id);
	memcpy(body + b + 8, f6 + off, n);
	ip6(&f, hbh ? 0 : 44, body, b + 8 + n);
	return decode_at(d, LT_IPV6, f.b, f.len, 0, s);
}

START_TEST(frag6_reassembly)
{
	ms_segment s;

	f6_init();
	ck_assert_int_eq(frag6(dec, 48, 24, 0, 0xdeadbeef, 0, &s),
	                 MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(frag6(dec, 0, 24, 1, 0xdeadbeef, 0, &s),
	                 MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(frag6(dec, 24, 24, 1, 0xdeadbeef, 0, &s),
	                 MS_DECODE_OK);
	expect_tcp(&s, 6, fseg + 20, FPLEN);
}
END_TEST

START_TEST(frag6_after_hop_by_hop)
{
	ms_segment s;

	f6_init();
	ck_assert_int_eq(frag6(dec, 0, 40, 1, 5, 1, &s), MS_DECODE_FRAG_HELD);
	ck_assert_int_eq(frag6(dec, 40, 32, 0, 5, 1, &s), MS_DECODE_OK);
	expect_tcp(&s, 6, fseg + 20, FPLEN);
}
END_TEST

START_TEST(frag6_overlap_and_duplicate)
{
	ms_segment s;

	f6_init();
	ck_assert_int_eq(frag6(dec, 0, 24, 1, 1, 0, &s), MS_DECODE_FRAG_HELD);
	/* RFC 5722: an exact duplicate is ignored... */
	ck_assert_int_eq(frag6(dec, 0, 24, 1, 1, 0, &s), MS_DECODE_FRAG_HELD);
	/* ...an overlap discards the datagram. */
	ck_assert_int_eq(frag6(dec, 16, 24, 1, 1, 0, &s), MS_DECODE_FRAG_BAD);
	ck_assert_int_eq(frag6(dec, 24, 48, 0, 1, 0, &s), MS_DECODE_FRAG_HELD);
}
END_TEST

START_TEST(frag6_not_tcp_and_truncated)
{
	frame f = {0};
	ms_segment s;
	uint8_t body[64] = {17, 0, 0, 1, 0, 0, 0, 9};

	ip6(&f, 44, body, 32);
	ck_assert_int_eq(decode(LT_IPV6, &f, &s), MS_DECODE_NOT_TCP);
	f.b[40] = 6;
	ck_assert_int_eq(decode_at(dec, LT_IPV6, f.b, f.len - 1, 0, &s),
	                 MS_DECODE_TRUNCATED);
	ck_assert_int_eq(decode(LT_IPV6, &f, &s), MS_DECODE_FRAG_HELD);
}
END_TEST

START_TEST(frag6_atomic)
{
	frame f = {0};
	uint8_t body[256] = {6};
	uint32_t n = 8 + tcp(body + 8, PAYLOAD, PLEN, 0);

	ip6(&f, 44, body, n);
	expect_ok(LT_IPV6, &f, 6);
}
END_TEST

/* ---- robustness ---- */

static uint32_t rnd(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

/* Mutated valid frames and random bytes for every link type; the
 * decoder must not read out of bounds nor leak (ASan checks both). */
START_TEST(fuzz)
{
	static const int lts[] = {LT_NULL, LT_ETH, LT_RAW,  LT_RAW14, LT_RAW101,
	                          LT_LOOP, LT_SLL, LT_IPV4, LT_IPV6,  LT_SLL2};
	uint32_t st = 12345, i;
	frame base[3] = {{{0}, 0}};

	eth(&base[0], 0x0800);
	tcp4(&base[0]);
	eth(&base[1], 0x86dd);
	tcp6_ext(&base[1]);
	eth(&base[2], 0x0800);
	fseg_init();
	ip4(&base[2], 6, fseg, 24, 3, 0x2000, 0);
	for (i = 0; i < 200000; i++) {
		frame f = base[i % 3];
		ms_segment s;
		unsigned k, flips = 1 + rnd(&st) % 4;
		int lt = i % 4 ? LT_ETH : lts[rnd(&st) % 10];
		ms_decode_result r;

		for (k = 0; k < flips; k++)
			f.b[rnd(&st) % f.len] = (uint8_t)rnd(&st);
		f.len = i % 7 ? f.len : rnd(&st) % f.len;
		r = decode_at(dec, lt, f.b, f.len, i / 1000, &s);
		ck_assert_int_lt(r, MS_DECODE_RESULT_COUNT);
	}
}
END_TEST

static Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *link = tcase_create("link");
	TCase *ip = tcase_create("ip");
	TCase *frag = tcase_create("frag");
	TCase *rob = tcase_create("robustness");

	tcase_add_checked_fixture(link, setup, teardown);
	tcase_add_test(link, ethernet_ipv4);
	tcase_add_test(link, ethernet_ipv6);
	tcase_add_test(link, vlan_8021q);
	tcase_add_test(link, vlan_qinq_two);
	tcase_add_test(link, vlan_qinq_three);
	tcase_add_test(link, sll);
	tcase_add_test(link, sll_vlan);
	tcase_add_test(link, sll2);
	tcase_add_test(link, null_host_order);
	tcase_add_test(link, null_both_orders);
	tcase_add_test(link, loop_network_order);
	tcase_add_test(link, null_other_family);
	tcase_add_test(link, raw_links);
	tcase_add_test(link, ipv4_ipv6_links);
	tcase_add_test(link, bad_link);
	tcase_add_test(link, not_ip);
	suite_add_tcase(s, link);

	tcase_add_checked_fixture(ip, setup, teardown);
	tcase_add_test(ip, ipv4_options);
	tcase_add_test(ip, tcp_options);
	tcase_add_test(ip, ethernet_padding);
	tcase_add_test(ip, ipv6_trailing_bytes);
	tcase_add_test(ip, tcp_no_payload);
	tcase_add_test(ip, truncate_ethernet_ipv4);
	tcase_add_test(ip, truncate_options);
	tcase_add_test(ip, truncate_sll2_ipv6_ext);
	tcase_add_test(ip, truncate_qinq_ipv6);
	tcase_add_test(ip, truncate_null_and_sll);
	tcase_add_test(ip, malformed);
	tcase_add_test(ip, raw_bad_version);
	tcase_add_test(ip, not_tcp);
	tcase_add_test(ip, result_names);
	tcase_add_test(ip, ipv6_extensions);
	tcase_add_test(ip, ipv6_ah);
	tcase_add_test(ip, ipv6_no_next_header);
	tcase_add_test(ip, ipv6_jumbogram);
	tcase_add_test(ip, ipv6_ext_past_payload);
	suite_add_tcase(s, ip);

	tcase_add_checked_fixture(frag, setup, teardown);
	tcase_add_test(frag, frag_in_order);
	tcase_add_test(frag, frag_out_of_order);
	tcase_add_test(frag, frag_interleaved);
	tcase_add_test(frag, frag_duplicate);
	tcase_add_test(frag, frag_overlap_first_wins);
	tcase_add_test(frag, frag_overlap_fills_hole);
	tcase_add_test(frag, frag_options_first);
	tcase_add_test(frag, frag_timeout);
	tcase_add_test(frag, frag_timeout_by_other_traffic);
	tcase_add_test(frag, frag_datagram_limit);
	tcase_add_test(frag, frag_zero_datagrams);
	tcase_add_test(frag, frag_byte_limit);
	tcase_add_test(frag, frag_byte_limit_oldest_grows);
	tcase_add_test(frag, frag_too_long);
	tcase_add_test(frag, frag_conflicting_end);
	tcase_add_test(frag, frag_past_end);
	tcase_add_test(frag, frag_odd_length);
	tcase_add_test(frag, frag_truncated_and_not_tcp);
	tcase_add_test(frag, frag_short_tcp);
	tcase_add_test(frag, frag6_reassembly);
	tcase_add_test(frag, frag6_after_hop_by_hop);
	tcase_add_test(frag, frag6_overlap_and_duplicate);
	tcase_add_test(frag, frag6_not_tcp_and_truncated);
	tcase_add_test(frag, frag6_atomic);
	suite_add_tcase(s, frag);

	tcase_add_checked_fixture(rob, setup, teardown);
	tcase_set_timeout(rob, 60);
	tcase_add_test(rob, fuzz);
	suite_add_tcase(s, rob);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(decode_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
