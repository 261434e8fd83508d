/* test_community_id.c: ms_community_id_tcp against the Community ID v1
 * vectors of ../shared/docs/anchors.md §4 (corelight/community-id-spec
 * baseline, cross-checked there with a Python implementation and with
 * tshark's communityid dissector).
 *
 * Every vector is checked with the endpoints in both orders, since the
 * hash must not depend on which side is passed first, and with seeds 0
 * and 1. The output buffer is filled with a marker first so that a
 * missing terminator or a short write shows.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "dissectors/community_id.h"

typedef struct vector {
	const char *name;
	int ip_version;
	uint8_t a[16];
	uint16_t aport;
	uint8_t b[16];
	uint16_t bport;
	const char *seed0, *seed1;
} vector;

static const vector vectors[] = {
        /* Published table (baseline/README.md). */
        {"tcp4 1.2.3.4:1122 -> 5.6.7.8:3344",
         4,
         {1, 2, 3, 4},
         1122,
         {5, 6, 7, 8},
         3344,
         "1:wCb3OG7yAFWelaUydu0D+125CLM=",
         "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
        /* Published JSON; the hash input has 66.x first (66 < 128). */
        {"tcp4 128.232.110.120:34855 -> 66.35.250.204:80",
         4,
         {128, 232, 110, 120},
         34855,
         {66, 35, 250, 204},
         80,
         "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
         "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
        /* Published JSON: SMTP over IPv6. */
        {"tcp6 [2001:470:e5bf:dead:4957:2174:e82c:4887]:63943 -> "
         "[2607:f8b0:400c:c03::1a]:25",
         6,
         {0x20, 0x01, 0x04, 0x70, 0xe5, 0xbf, 0xde, 0xad, 0x49, 0x57, 0x21,
          0x74, 0xe8, 0x2c, 0x48, 0x87},
         63943,
         {0x26, 0x07, 0xf8, 0xb0, 0x40, 0x0c, 0x0c, 0x03, 0, 0, 0, 0, 0, 0, 0,
          0x1a},
         25,
         "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
         "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
        /* Cross-checked (not published): an SMTP flow, the client's
         * address lower than the server's. */
        {"tcp4 192.168.1.10:50000 -> 192.168.1.20:25",
         4,
         {192, 168, 1, 10},
         50000,
         {192, 168, 1, 20},
         25,
         "1:TcrgUdEUVu5g9xT53ptJcKn31b0=",
         "1:f6uk1XXosyWsSXCpJGZLu3EppdU="},
        /* Cross-checked: equal addresses, so the ports decide the order
         * (25 first) -- the tie-break Arkime #3583 got wrong. */
        {"tcp4 10.0.0.1:1025 -> 10.0.0.1:25 (equal addresses)",
         4,
         {10, 0, 0, 1},
         1025,
         {10, 0, 0, 1},
         25,
         "1:hZ1j4XZCDXeumlKnC2AluIeOpIc=",
         "1:nIPBp8WGWWffoEEdGIRnQ9AkACY="},
};

#define NVECTORS (sizeof(vectors) / sizeof(vectors[0]))

static void check_id(const vector *v, uint16_t seed, int reverse,
                     const char *want)
{
	char out[MS_COMMUNITY_ID_LEN + 8];

	memset(out, 'Z', sizeof(out));
	if (reverse)
		ms_community_id_tcp(seed, v->ip_version, v->b, v->bport, v->a,
		                    v->aport, out);
	else
		ms_community_id_tcp(seed, v->ip_version, v->a, v->aport, v->b,
		                    v->bport, out);
	ck_assert_msg(memchr(out, '\0', MS_COMMUNITY_ID_LEN) != NULL,
	              "%s: no terminator within %d bytes", v->name,
	              MS_COMMUNITY_ID_LEN);
	ck_assert_msg(strcmp(out, want) == 0, "%s seed %u%s: got %s, want %s",
	              v->name, (unsigned)seed, reverse ? " (reversed)" : "",
	              out, want);
	ck_assert_uint_eq(strlen(out), MS_COMMUNITY_ID_LEN - 1);
	/* Nothing written past the documented length. */
	ck_assert_int_eq(out[MS_COMMUNITY_ID_LEN], 'Z');
}

START_TEST(seed0)
{
	check_id(&vectors[_i], 0, 0, vectors[_i].seed0);
}
END_TEST

START_TEST(seed0_reversed)
{
	check_id(&vectors[_i], 0, 1, vectors[_i].seed0);
}
END_TEST

START_TEST(seed1)
{
	check_id(&vectors[_i], 1, 0, vectors[_i].seed1);
}
END_TEST

START_TEST(seed1_reversed)
{
	check_id(&vectors[_i], 1, 1, vectors[_i].seed1);
}
END_TEST

/* Seeds differ, directions do not: the 1.2.3.4 flow under seed 0 and 1
 * must give different IDs, and a port swap between the two endpoints
 * (1.2.3.4:3344 -> 5.6.7.8:1122) is a different flow. */
START_TEST(distinct_flows)
{
	static const uint8_t a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
	char x[MS_COMMUNITY_ID_LEN], y[MS_COMMUNITY_ID_LEN];

	ms_community_id_tcp(0, 4, a, 3344, b, 1122, x);
	ms_community_id_tcp(0, 4, a, 1122, b, 3344, y);
	ck_assert_str_ne(x, y);
	ms_community_id_tcp(2, 4, a, 1122, b, 3344, x);
	ck_assert_str_ne(x, y);
	ck_assert_str_ne(x, vectors[0].seed1);
}
END_TEST

static Suite *community_id_suite(void)
{
	Suite *s = suite_create("community_id");
	TCase *tc = tcase_create("vectors");

	tcase_add_loop_test(tc, seed0, 0, (int)NVECTORS);
	tcase_add_loop_test(tc, seed0_reversed, 0, (int)NVECTORS);
	tcase_add_loop_test(tc, seed1, 0, (int)NVECTORS);
	tcase_add_loop_test(tc, seed1_reversed, 0, (int)NVECTORS);
	tcase_add_test(tc, distinct_flows);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(community_id_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
