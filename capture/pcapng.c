#include "capture/pcapng.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum {
	BT_IDB = 0x00000001,
	BT_PB = 0x00000002, /* obsolete Packet Block */
	BT_SPB = 0x00000003,
	BT_EPB = 0x00000006,
	BT_SHB = 0x0A0D0D0A,
	OPT_END = 0,
	OPT_TSRESOL = 9,
	OPT_TSOFFSET = 14,
	BLOCK_MIN = 12, /* type, length, trailing length */
};

typedef struct iface {
	uint32_t linktype, snaplen;
	uint8_t tsres_bin; /* the resolution is 2^-exp instead of 10^-exp */
	uint8_t tsres_exp;
	int64_t tsoffset; /* seconds */
} iface;

struct ms_pcapng {
	FILE *f;
	uint64_t size;   /* 0 when unknown */
	uint64_t offset; /* of the next block */
	uint64_t block;  /* offset of the block being parsed, for messages */
	int big;         /* the section is big-endian */
	int in_section;
	iface *ifs;
	uint32_t nifs, cap_ifs;
	uint8_t *buf;
	uint32_t buf_cap;
	char err[256];
};

static uint16_t rd16(const ms_pcapng *r, const uint8_t *p)
{
	if (r->big)
		return (uint16_t)(p[0] << 8 | p[1]);
	return (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t rd32(const ms_pcapng *r, const uint8_t *p)
{
	if (r->big)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		       (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static uint64_t rd64(const ms_pcapng *r, const uint8_t *p)
{
	uint64_t a = rd32(r, p), b = rd32(r, p + 4);

	return r->big ? a << 32 | b : b << 32 | a;
}

static ms_pcapng_status fail(ms_pcapng *r, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof(r->err), "pcapng block at offset %llu: %s",
	         (unsigned long long)r->block, msg);
	return MS_PCAPNG_ERROR;
}

ms_pcapng *ms_pcapng_new(FILE *f, uint64_t size)
{
	ms_pcapng *r = calloc(1, sizeof(*r));
	long pos = ftell(f);

	if (r == NULL)
		return NULL;
	r->f = f;
	r->size = size;
	r->offset = pos > 0 ? (uint64_t)pos : 0;
	return r;
}

void ms_pcapng_free(ms_pcapng *r)
{
	if (r == NULL)
		return;
	free(r->ifs);
	free(r->buf);
	free(r);
}

const char *ms_pcapng_error(const ms_pcapng *r)
{
	return r->err;
}

static int reserve(ms_pcapng *r, uint32_t len)
{
	uint8_t *nb;

	if (len <= r->buf_cap)
		return 0;
	nb = realloc(r->buf, len);
	if (nb == NULL)
		return -1;
	r->buf = nb;
	r->buf_cap = len;
	return 0;
}

/* The length field of a Section Header Block is in the byte order its
 * magic announces, so the order is settled before the length is read. */
static int section_order(ms_pcapng *r, const uint8_t *hdr)
{
	static const uint8_t be[4] = {0x1A, 0x2B, 0x3C, 0x4D};
	static const uint8_t le[4] = {0x4D, 0x3C, 0x2B, 0x1A};

	if (memcmp(hdr + 8, be, 4) == 0)
		r->big = 1;
	else if (memcmp(hdr + 8, le, 4) == 0)
		r->big = 0;
	else
		return fail(r, "bad byte-order magic in section header");
	return 0;
}

static ms_pcapng_status check_length(ms_pcapng *r, uint32_t len)
{
	uint64_t left = r->size > r->offset ? r->size - r->offset : 0;

	if (len < BLOCK_MIN || len % 4 != 0)
		return fail(r, "invalid block length %lu", (unsigned long)len);
	if (len > MS_PCAPNG_MAX_BLOCK)
		return fail(r, "block length %lu over the %lu limit",
		            (unsigned long)len,
		            (unsigned long)MS_PCAPNG_MAX_BLOCK);
	if (r->size != 0 && len > left)
		return fail(r, "truncated: block of %lu bytes, %llu left",
		            (unsigned long)len, (unsigned long long)left);
	return MS_PCAPNG_PACKET;
}

/* Reads one whole block into r->buf. PACKET means a block is there. */
static ms_pcapng_status read_block(ms_pcapng *r, uint32_t *type, uint32_t *len)
{
	uint8_t hdr[BLOCK_MIN];
	size_t got = fread(hdr, 1, sizeof(hdr), r->f);
	ms_pcapng_status st;

	r->block = r->offset;
	if (got == 0 && !ferror(r->f))
		return MS_PCAPNG_END;
	if (ferror(r->f))
		return fail(r, "read error: %s", strerror(errno));
	if (got < sizeof(hdr))
		return fail(r, "truncated block header");
	*type = rd32(r, hdr);
	if (*type == BT_SHB && section_order(r, hdr) < 0)
		return MS_PCAPNG_ERROR;
	if (!r->in_section && *type != BT_SHB)
		return fail(r, "no section header block; not a pcapng file");
	*len = rd32(r, hdr + 4);
	st = check_length(r, *len);
	if (st != MS_PCAPNG_PACKET)
		return st;
	if (reserve(r, *len) < 0)
		return fail(r, "out of memory");
	memcpy(r->buf, hdr, sizeof(hdr));
	if (fread(r->buf + BLOCK_MIN, 1, *len - BLOCK_MIN, r->f) !=
	    *len - BLOCK_MIN)
		return fail(r, "truncated block of %lu bytes",
		            (unsigned long)*len);
	if (rd32(r, r->buf + *len - 4) != *len)
		return fail(r, "trailing length differs from leading length");
	r->offset += *len;
	return MS_PCAPNG_PACKET;
}

static ms_pcapng_status parse_shb(ms_pcapng *r, uint32_t body_len)
{
	const uint8_t *b = r->buf + 8;

	if (body_len < 16)
		return fail(r, "section header block too short");
	if (rd16(r, b + 4) != 1)
		return fail(r, "unsupported pcapng major version %u",
		            (unsigned)rd16(r, b + 4));
	r->in_section = 1;
	r->nifs = 0;
	return MS_PCAPNG_END;
}

static ms_pcapng_status set_tsresol(ms_pcapng *r, iface *ifc, uint8_t v)
{
	ifc->tsres_bin = (uint8_t)(v >> 7);
	ifc->tsres_exp = v & 0x7f;
	/* 10^-19 and 2^-63 are the finest units a 64-bit count can hold a
	 * whole second of. */
	if (ifc->tsres_exp > (ifc->tsres_bin ? 63 : 19))
		return fail(r, "unsupported if_tsresol 0x%02x", (unsigned)v);
	return MS_PCAPNG_END;
}

static ms_pcapng_status parse_idb_options(ms_pcapng *r, iface *ifc,
                                          const uint8_t *p, uint32_t len)
{
	uint32_t off = 0;

	while (len - off >= 4) {
		uint16_t code = rd16(r, p + off), olen = rd16(r, p + off + 2);

		off += 4;
		if (code == OPT_END)
			break;
		if (olen > len - off)
			return fail(r, "option %u runs past the block",
			            (unsigned)code);
		if (code == OPT_TSRESOL && olen >= 1 &&
		    set_tsresol(r, ifc, p[off]) < 0)
			return MS_PCAPNG_ERROR;
		if (code == OPT_TSOFFSET && olen >= 8)
			ifc->tsoffset = (int64_t)rd64(r, p + off);
		off += (olen + 3u) & ~3u;
		if (off > len)
			break;
	}
	return MS_PCAPNG_END;
}

static ms_pcapng_status parse_idb(ms_pcapng *r, uint32_t body_len)
{
	const uint8_t *b = r->buf + 8;
	iface ifc = {.tsres_exp = 6};

	if (body_len < 8)
		return fail(r, "interface description block too short");
	ifc.linktype = rd16(r, b);
	ifc.snaplen = rd32(r, b + 4);
	if (parse_idb_options(r, &ifc, b + 8, body_len - 8) < 0)
		return MS_PCAPNG_ERROR;
	if (r->nifs == r->cap_ifs) {
		uint32_t n = r->cap_ifs ? r->cap_ifs * 2 : 4;
		iface *ni = realloc(r->ifs, n * sizeof(*ni));

		if (ni == NULL)
			return fail(r, "out of memory");
		r->ifs = ni;
		r->cap_ifs = n;
	}
	r->ifs[r->nifs++] = ifc;
	return MS_PCAPNG_END;
}

static uint64_t pow10u(unsigned e)
{
	uint64_t v = 1;

	while (e-- > 0)
		v *= 10;
	return v;
}

static int64_t add_offset(uint64_t sec, int64_t off)
{
	int64_t s = sec > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)sec;

	if (off > 0 && s > INT64_MAX - off)
		return INT64_MAX;
	return s + off; /* s >= 0, so a negative off cannot overflow */
}

static ms_time convert_ts(const iface *ifc, uint64_t t)
{
	unsigned e = ifc->tsres_exp;
	uint64_t sec, frac, usec;
	ms_time ts;

	if (ifc->tsres_bin) {
		sec = e ? t >> e : t;
		frac = t & ((UINT64_C(1) << e) - 1);
		/* Pre-shift so frac * 10^6 stays within 64 bits. */
		if (e > 44)
			usec = ((frac >> (e - 44)) * 1000000) >> 44;
		else
			usec = (frac * 1000000) >> e;
	} else {
		uint64_t unit = pow10u(e);

		sec = t / unit;
		frac = t % unit;
		usec = e >= 6 ? frac / pow10u(e - 6) : frac * pow10u(6 - e);
	}
	ts.sec = add_offset(sec, ifc->tsoffset);
	ts.usec = (int32_t)usec;
	return ts;
}

static const iface *find_iface(ms_pcapng *r, uint32_t id)
{
	if (id >= r->nifs) {
		fail(r, "packet for interface %lu, only %lu defined",
		     (unsigned long)id, (unsigned long)r->nifs);
		return NULL;
	}
	return &r->ifs[id];
}

/* EPB and the obsolete PB share a layout after their interface id. */
static ms_pcapng_status parse_packet(ms_pcapng *r, uint32_t body_len,
                                     uint32_t id, ms_pcapng_packet *out)
{
	const uint8_t *b = r->buf + 8;
	const iface *ifc;
	uint64_t t;

	if (body_len < 20)
		return fail(r, "packet block too short");
	ifc = find_iface(r, id);
	if (ifc == NULL)
		return MS_PCAPNG_ERROR;
	t = (uint64_t)rd32(r, b + 4) << 32 | rd32(r, b + 8);
	out->caplen = rd32(r, b + 12);
	out->wirelen = rd32(r, b + 16);
	if (out->caplen > body_len - 20)
		return fail(r, "captured length %lu exceeds the block",
		            (unsigned long)out->caplen);
	out->ts = convert_ts(ifc, t);
	out->linktype = ifc->linktype;
	out->ifid = id;
	out->data = b + 20;
	return MS_PCAPNG_PACKET;
}

static ms_pcapng_status parse_spb(ms_pcapng *r, uint32_t body_len,
                                  ms_pcapng_packet *out)
{
	const iface *ifc;
	uint32_t cap;

	if (body_len < 4)
		return fail(r, "simple packet block too short");
	ifc = find_iface(r, 0);
	if (ifc == NULL)
		return MS_PCAPNG_ERROR;
	out->wirelen = rd32(r, r->buf + 8);
	/* The SPB has no captured length: it is what the block holds, up to
	 * the interface's snapshot length. */
	cap = body_len - 4;
	if (out->wirelen < cap)
		cap = out->wirelen;
	if (ifc->snaplen != 0 && ifc->snaplen < cap)
		cap = ifc->snaplen;
	out->caplen = cap;
	out->ts.sec = 0;
	out->ts.usec = 0;
	out->linktype = ifc->linktype;
	out->ifid = 0;
	out->data = r->buf + 12;
	return MS_PCAPNG_PACKET;
}

/* PACKET: *out is filled; END: a block without a packet; ERROR. */
static ms_pcapng_status parse_block(ms_pcapng *r, uint32_t type, uint32_t len,
                                    ms_pcapng_packet *out)
{
	uint32_t body_len = len - BLOCK_MIN;

	switch (type) {
	case BT_SHB:
		return parse_shb(r, body_len);
	case BT_IDB:
		return parse_idb(r, body_len);
	case BT_EPB:
		return parse_packet(r, body_len, rd32(r, r->buf + 8), out);
	case BT_PB:
		return parse_packet(r, body_len, rd16(r, r->buf + 8), out);
	case BT_SPB:
		return parse_spb(r, body_len, out);
	default:
		return MS_PCAPNG_END;
	}
}

ms_pcapng_status ms_pcapng_next(ms_pcapng *r, ms_pcapng_packet *out)
{
	/* Once lost in a file, stay there: the next block boundary is
	 * unknown. */
	if (r->err[0] != '\0')
		return MS_PCAPNG_ERROR;
	for (;;) {
		uint32_t type = 0, len = 0;
		ms_pcapng_status st = read_block(r, &type, &len);

		if (st != MS_PCAPNG_PACKET)
			return st;
		st = parse_block(r, type, len, out);
		if (st != MS_PCAPNG_END)
			return st;
	}
}
