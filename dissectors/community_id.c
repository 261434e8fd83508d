#include "dissectors/community_id.h"

#include <openssl/evp.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void ms_community_id_tcp(uint16_t seed, int ip_version, const uint8_t *saddr,
                         uint16_t sport, const uint8_t *daddr, uint16_t dport,
                         char out[MS_COMMUNITY_ID_LEN])
{
	size_t alen = ip_version == 6 ? 16 : 4;
	uint8_t in[2 + 16 + 16 + 2 + 2 + 2], *p = in;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int cmp = memcmp(saddr, daddr, alen);

	/* The spec orders endpoints by address, and by port only when the
	 * addresses are equal (the tie Arkime #3583 got wrong). */
	if (cmp > 0 || (cmp == 0 && sport > dport)) {
		const uint8_t *ta = saddr;
		uint16_t tp = sport;
		saddr = daddr;
		sport = dport;
		daddr = ta;
		dport = tp;
	}
	put16(p, seed);
	p += 2;
	memcpy(p, saddr, alen);
	p += alen;
	memcpy(p, daddr, alen);
	p += alen;
	*p++ = 6; /* IPPROTO_TCP */
	*p++ = 0;
	put16(p, sport);
	p += 2;
	put16(p, dport);
	p += 2;
	EVP_Digest(in, (size_t)(p - in), md, &mdlen, EVP_sha1(), NULL);
	memcpy(out, "1:", 2);
	EVP_EncodeBlock((unsigned char *)out + 2, md, (int)mdlen);
}
