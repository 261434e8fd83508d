/* test_mime.c: the streaming MIME decoder and RFC 2047 decoding.
 *
 * Messages are either built here, so the test states every byte, or read
 * from tests/mime (the fixtures the GMime oracle also checks). Every
 * message is also fed split at every offset and one byte at a time: the
 * part list must not depend on how the bytes arrive.
 */
#include <check.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/mime.h"
#include "dissectors/rfc2047.h"

#define MAX_PARTS 16
#define DATA_MAX  (64u << 10)

typedef struct result {
	size_t count;
	ms_mime_part part[MAX_PARTS];
	char names[MAX_PARTS][128], types[MAX_PARTS][64];
	char anomalies[1024];
	uint8_t data[DATA_MAX]; /* decoded bytes of every part, in order */
	size_t data_len;
} result;

static result res, other;

static void on_data(void *user, const uint8_t *p, size_t n)
{
	result *r = user;

	ck_assert_uint_le(r->data_len + n, DATA_MAX);
	memcpy(r->data + r->data_len, p, n);
	r->data_len += n;
}

static void on_anomaly(void *user, const char *code, const char *detail)
{
	result *r = user;
	size_t len = strlen(r->anomalies);

	(void)detail;
	snprintf(r->anomalies + len, sizeof(r->anomalies) - len, "%s ", code);
}

/* Feeds msg in chunks of step bytes, the first being first bytes. */
static void run_split(const ms_mime_limits *lim, result *r, const char *msg,
                      size_t len, size_t first, size_t step)
{
	ms_mime *m = ms_mime_new(lim);
	ms_mime_callbacks cb = {.part_data = on_data, .anomaly = on_anomaly};
	const ms_mime_part *pt;
	size_t off = first < len ? first : len;

	ck_assert_ptr_nonnull(m);
	memset(r, 0, sizeof(*r));
	ms_mime_begin(m, &cb, r);
	ms_mime_feed(m, (const uint8_t *)msg, off);
	for (; off < len; off += step)
		ms_mime_feed(m, (const uint8_t *)msg + off,
		             len - off < step ? len - off : step);
	ms_mime_end(m);
	pt = ms_mime_parts(m, &r->count);
	ck_assert_uint_le(r->count, MAX_PARTS);
	for (size_t i = 0; i < r->count; i++) {
		r->part[i] = pt[i];
		snprintf(r->names[i], sizeof(r->names[i]), "%.*s",
		         (int)pt[i].filename.len, pt[i].filename.p);
		snprintf(r->types[i], sizeof(r->types[i]), "%.*s",
		         (int)pt[i].content_type.len, pt[i].content_type.p);
	}
	ms_mime_free(m);
}

static void run(const ms_mime_limits *lim, const char *msg)
{
	run_split(lim, &res, msg, strlen(msg), strlen(msg), 1);
}

static void sha256_hex(const void *p, size_t n, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* Same parts, names, sizes, hashes, completeness and anomalies. */
static void assert_same(const result *a, const result *b, const char *what)
{
	ck_assert_msg(a->count == b->count, "%s: count", what);
	for (size_t i = 0; i < a->count; i++) {
		ck_assert_msg(strcmp(a->types[i], b->types[i]) == 0,
		              "%s: type %zu", what, i);
		ck_assert_msg(strcmp(a->names[i], b->names[i]) == 0,
		              "%s: name %zu", what, i);
		ck_assert_msg(a->part[i].size == b->part[i].size,
		              "%s: size %zu", what, i);
		ck_assert_msg(strcmp(a->part[i].sha256, b->part[i].sha256) == 0,
		              "%s: sha %zu", what, i);
		ck_assert_msg(a->part[i].complete == b->part[i].complete,
		              "%s: complete %zu", what, i);
	}
	ck_assert_msg(strcmp(a->anomalies, b->anomalies) == 0,
	              "%s: anomalies '%s' vs '%s'", what, a->anomalies,
	              b->anomalies);
}

static void assert_split_invariant(const char *msg, size_t len)
{
	static result whole;

	run_split(NULL, &whole, msg, len, len, 1);
	for (size_t cut = 0; cut < len; cut++) {
		run_split(NULL, &other, msg, len, cut, len);
		assert_same(&whole, &other, "split");
	}
	run_split(NULL, &other, msg, len, 0, 1);
	assert_same(&whole, &other, "bytewise");
}

static char *fixture(const char *name, size_t *len)
{
	const char *dir = getenv("MS_SOURCE_DIR");
	char path[512];
	char *buf = malloc(1 << 20);
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/mime/%s", dir ? dir : ".", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_ptr_nonnull(buf);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void run_fixture(const char *name)
{
	size_t len;
	char *msg = fixture(name, &len);

	run_split(NULL, &res, msg, len, len, 1);
	free(msg);
}

/* ---- single parts ----------------------------------------------------- */

START_TEST(single_text)
{
	run(NULL, "From: a@example.test\r\nSubject: x\r\n\r\nHello.\r\n"
	          "Line two.\r\n");
	ck_assert_uint_eq(res.count, 1);
	ck_assert_str_eq(res.types[0], "text/plain"); /* RFC 2045 §5.2 */
	ck_assert_uint_eq(res.part[0].depth, 0);
	ck_assert(res.part[0].complete);
	ck_assert(!res.part[0].is_attachment);
	ck_assert_uint_eq(res.data_len, 19);
	ck_assert_mem_eq(res.data, "Hello.\r\nLine two.\r\n", 19);
	ck_assert_str_eq(res.anomalies, "");
}
END_TEST

START_TEST(quoted_printable)
{
	static const char want[] = "A long line that is wrapped here, caf\xe9"
	                           " and = sign.\r\nBad escape =ZZ and =4 "
	                           "stays.\r\nLower hex \xe9 works.\r\nSoft "
	                           "break with bare equalsend.\r\n";

	run_fixture("qp-soft.eml");
	ck_assert_uint_eq(res.count, 1);
	ck_assert_uint_eq(res.data_len, sizeof(want) - 1);
	ck_assert_mem_eq(res.data, want, sizeof(want) - 1);
}
END_TEST

START_TEST(quoted_printable_padding)
{
	/* RFC 2045 §6.7 rule (3): transport padding goes, "= " is soft */
	run(NULL, "Content-Transfer-Encoding: quoted-printable\n\n"
	          "trailing   \nsoft=  \nx\n");
	ck_assert_uint_eq(res.data_len, 15);
	ck_assert_mem_eq(res.data, "trailing\nsoftx\n", 15);
}
END_TEST

/* ---- multiparts ------------------------------------------------------- */

START_TEST(mixed_base64)
{
	uint8_t orig[1000];
	unsigned char b64[1400];
	char msg[4096], want[65];
	int n;

	for (size_t i = 0; i < sizeof(orig); i++)
		orig[i] = (uint8_t)(i * 7 + 3);
	n = EVP_EncodeBlock(b64, orig, sizeof(orig));
	/* broken into 76-character lines, as RFC 2045 §6.8 requires */
	snprintf(msg, sizeof(msg),
	         "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	         "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n"
	         "Content-Type: application/pdf; name=\"r.pdf\"\r\n"
	         "Content-Transfer-Encoding: base64\r\n\r\n"
	         "%.76s\r\n%.76s\r\n%s\r\n--b--\r\n",
	         b64, b64 + 76, b64 + 152);
	ck_assert_int_gt(n, 152);
	run(NULL, msg);
	sha256_hex(orig, sizeof(orig), want);
	ck_assert_uint_eq(res.count, 2);
	ck_assert_str_eq(res.types[1], "application/pdf");
	ck_assert_str_eq(res.names[1], "r.pdf");
	ck_assert_uint_eq(res.part[1].size, sizeof(orig));
	ck_assert_str_eq(res.part[1].sha256, want);
	ck_assert(res.part[1].is_attachment);
	ck_assert_uint_eq(res.part[0].size,
	                  2); /* the CRLF is the delimiter's */
	assert_split_invariant(msg, strlen(msg));
}
END_TEST

START_TEST(nested_alternative)
{
	run_fixture("nested-alternative.eml");
	ck_assert_uint_eq(res.count, 3);
	ck_assert_str_eq(res.types[0], "text/plain");
	ck_assert_str_eq(res.types[1], "text/html");
	ck_assert_str_eq(res.types[2], "image/png");
	ck_assert_uint_eq(res.part[0].depth, 2);
	ck_assert_uint_eq(res.part[1].depth, 2);
	ck_assert_uint_eq(res.part[2].depth, 1);
	ck_assert_str_eq(res.names[2], "pic.png");
	ck_assert(res.part[2].is_attachment); /* named, not inline text */
	ck_assert_uint_eq(res.part[2].size, 300);
	ck_assert_mem_eq(res.data,
	                 "Gr\xc3\xbc\xc3\x9f"
	                 "e",
	                 7);
}
END_TEST

START_TEST(rfc822_attached)
{
	run_fixture("rfc822-attached.eml");
	ck_assert_uint_eq(res.count, 3);
	ck_assert_uint_eq(res.part[1].depth, 3); /* mixed, message, mixed */
	ck_assert_str_eq(res.types[2], "application/pdf");
	ck_assert_str_eq(res.names[2], "inner.pdf");
	ck_assert_uint_eq(res.part[2].size, 1500);
	ck_assert_str_eq(res.anomalies, "");
}
END_TEST

START_TEST(digest_default)
{
	/* RFC 2046 §5.1.5: a digest's parts default to message/rfc822 */
	run_fixture("digest.eml");
	ck_assert_uint_eq(res.count, 2);
	ck_assert_uint_eq(res.part[0].depth, 2);
	ck_assert_mem_eq(res.data, "first body", 10);
}
END_TEST

START_TEST(boundary_prefix)
{
	static const char want[] = "--prefix is not a delimiter\r\n--pre-- "
	                           "neither is this\r\n--pre x nor this\r\n"
	                           "-- pre";

	run_fixture("boundary-prefix.eml");
	ck_assert_uint_eq(res.count, 2);
	ck_assert_uint_eq(res.part[0].size, sizeof(want) - 1);
	ck_assert_mem_eq(res.data, want, sizeof(want) - 1);
	ck_assert_str_eq(res.anomalies, "");
}
END_TEST

START_TEST(bare_lf)
{
	run_fixture("bare-lf.eml");
	ck_assert_uint_eq(res.count, 2);
	ck_assert_mem_eq(res.data, "unix line one\nunix line two", 27);
	ck_assert_uint_eq(res.part[0].size, 27);
	ck_assert_uint_eq(res.part[1].size, 1500);
}
END_TEST

START_TEST(unterminated)
{
	run_fixture("unterminated.eml");
	ck_assert_uint_eq(res.count, 2);
	ck_assert(res.part[0].complete);
	ck_assert(!res.part[1].complete);
	ck_assert_uint_eq(res.part[1].size, 10);
	ck_assert_str_eq(res.anomalies, "mime_unterminated ");
}
END_TEST

START_TEST(outer_boundary_closes_inner)
{
	/* RFC 2046 §5.1.2: an outer delimiter ends the inner multipart */
	run(NULL, "Content-Type: multipart/mixed; boundary=o\n\n--o\n"
	          "Content-Type: multipart/mixed; boundary=i\n\n--i\n\nin\n"
	          "--o\n\nout\n--o--\n");
	ck_assert_uint_eq(res.count, 2);
	ck_assert_mem_eq(res.data, "inout", 5);
	ck_assert_str_eq(res.anomalies, "mime_unterminated ");
}
END_TEST

START_TEST(gap_incomplete)
{
	ms_mime *m = ms_mime_new(NULL);
	static const char a[] = "Content-Type: multipart/mixed; boundary=g\n\n"
	                        "--g\n\nbefore",
	                  b[] = "after\n--g\n\nnext\n--g--\n";
	const ms_mime_part *pt;
	size_t n;

	ms_mime_begin(m, NULL, NULL);
	ms_mime_feed(m, (const uint8_t *)a, sizeof(a) - 1);
	ms_mime_gap(m, 100);
	ms_mime_feed(m, (const uint8_t *)b, sizeof(b) - 1);
	ms_mime_end(m);
	pt = ms_mime_parts(m, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert(!pt[0].complete);
	ck_assert(pt[1].complete);
	ms_mime_free(m);
}
END_TEST

/* ---- names ------------------------------------------------------------ */

START_TEST(rfc2231_names)
{
	run_fixture("rfc2231.eml");
	ck_assert_uint_eq(res.count, 3);
	ck_assert_str_eq(res.names[0], "\xe2\x82\xac exchange rate.txt");
	ck_assert_str_eq(res.names[1], "Gr\xc3\xbc\xc3\x9f"
	                               "e.txt");
	ck_assert_str_eq(res.names[2], "\xe6\x97\xa5\xe6\x9c\xac.doc");
}
END_TEST

START_TEST(rfc2047_names)
{
	run_fixture("rfc2047-names.eml");
	ck_assert_uint_eq(res.count, 3);
	ck_assert_str_eq(res.names[0], "R\xc3\xa9sum\xc3\xa9.pdf");
	ck_assert_str_eq(res.names[1], "caf\xc3\xa9 menu.txt");
	ck_assert_str_eq(res.names[2], "\xe4\xb8\xad\xe6\x96\x87.txt");
	ck_assert(res.part[1].is_attachment);
	ck_assert(res.part[2].is_attachment); /* named text, not inline */
}
END_TEST

START_TEST(hostile_names)
{
	run_fixture("hostile-names.eml");
	ck_assert_uint_eq(res.count, 5);
	ck_assert_str_eq(res.names[0], "../../etc/passwd");
	ck_assert_str_eq(res.names[1], "invoice\xe2\x80\xae"
	                               "fdp.exe");
	ck_assert_str_eq(res.names[2], "quoted \"name\" \\ back.txt");
	ck_assert_str_eq(res.names[3], "plain-token.exe");
	ck_assert_str_eq(res.names[4], "Upper.TXT");
	ck_assert(res.part[4].is_attachment); /* "ATTACHMENT" (RFC 2183) */
}
END_TEST

/* ---- limits and malformed input --------------------------------------- */

START_TEST(depth_limit)
{
	ms_mime_limits lim;

	ms_mime_limits_default(&lim);
	lim.max_depth = 2;
	run(&lim, "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
	          "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	          "Content-Type: multipart/mixed; boundary=c\n\n--c\n\nx\n"
	          "--c--\n--b--\n--a--\n");
	ck_assert_str_eq(res.anomalies, "mime_depth ");
	ck_assert_uint_eq(res.count, 1);
	ck_assert_str_eq(res.types[0], "multipart/mixed"); /* opaque leaf */
	ck_assert_uint_eq(res.part[0].depth, 2);
}
END_TEST

START_TEST(parts_limit)
{
	ms_mime_limits lim;

	ms_mime_limits_default(&lim);
	lim.max_parts = 2;
	run(&lim, "Content-Type: multipart/mixed; boundary=p\n\n--p\n\n1\n"
	          "--p\n\n2\n--p\n\n3\n--p\n\n4\n--p--\n");
	ck_assert_uint_eq(res.count, 2);
	ck_assert_str_eq(res.anomalies, "mime_parts ");
	ck_assert_uint_eq(res.data_len, 2);
}
END_TEST

START_TEST(header_limit)
{
	ms_mime_limits lim;
	char msg[2048];

	ms_mime_limits_default(&lim);
	lim.max_header = 256;
	memset(msg, 'x', sizeof(msg));
	memcpy(msg, "X-Long: ", 8);
	memcpy(msg + 1000, "\n\nbody", 7);
	run(&lim, msg);
	ck_assert_str_eq(res.anomalies, "header_too_long ");
	ck_assert_uint_eq(res.count, 1);
	ck_assert_uint_eq(res.data_len, 4);
}
END_TEST

START_TEST(base64_junk)
{
	run_fixture("base64-junk.eml");
	ck_assert_uint_eq(res.count, 2);
	ck_assert_uint_eq(res.part[0].size, 16);
	ck_assert_mem_eq(res.data,
	                 "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"
	                 "\x0c\x0d\x0e\x0f",
	                 16);
	ck_assert_uint_eq(res.part[1].size, 5);
	ck_assert_str_eq(res.anomalies, "mime_bad_base64 mime_bad_base64 ");
}
END_TEST

START_TEST(no_boundary)
{
	run(NULL, "Content-Type: multipart/mixed\n\n--x\n\nbody\n");
	ck_assert_uint_eq(res.count, 1);
	ck_assert_str_eq(res.anomalies, "mime_no_boundary ");
}
END_TEST

/* Every fixture, at every split and byte by byte. */
static const char *const fixtures[] = {
        "single-text.eml",
        "mixed-base64.eml",
        "nested-alternative.eml",
        "rfc822-attached.eml",
        "qp-soft.eml",
        "qp-trailing-space.eml",
        "rfc2231.eml",
        "rfc2047-names.eml",
        "unterminated.eml",
        "bare-lf.eml",
        "boundary-prefix.eml",
        "digest.eml",
        "hostile-names.eml",
        "nested-same-prefix.eml",
        "empty-parts.eml",
        "base64-junk.eml",
        "real-pop3-report-pdf.eml",
};

START_TEST(split_invariance)
{
	size_t len;
	char *msg = fixture(fixtures[_i], &len);

	assert_split_invariant(msg, len);
	free(msg);
}
END_TEST

/* ---- RFC 2047 --------------------------------------------------------- */

static char out[512];
static size_t out_len;
static unsigned problems;

static void decode(const char *in)
{
	ms_rfc2047 *c = ms_rfc2047_new(1024);

	problems = 0;
	out_len = ms_rfc2047_decode(c, in, strlen(in), out, sizeof(out) - 1,
	                            &problems);
	out[out_len] = '\0';
	ms_rfc2047_free(c);
}

START_TEST(words_utf8)
{
	decode("=?UTF-8?B?R3LDvMOfZQ==?= and =?utf-8?q?caf=C3=A9_au_lait?=");
	ck_assert_str_eq(out, "Gr\xc3\xbc\xc3\x9f"
	                      "e and caf\xc3\xa9 au lait");
	ck_assert_uint_eq(problems, 0);
}
END_TEST

START_TEST(words_latin1_gb2312)
{
	decode("=?ISO-8859-1?Q?Andr=E9?= =?gb2312?B?1tDOxA==?=");
	ck_assert_str_eq(out, "Andr\xc3\xa9\xe4\xb8\xad\xe6\x96\x87");
	ck_assert_uint_eq(problems, 0);
}
END_TEST

START_TEST(words_adjacent)
{
	/* §6.2: space between words goes; a character split across two
	 * words in one charset still decodes */
	decode("=?utf-8?B?4oK=?=  \t =?utf-8?B?rA==?= x =?utf-8?q?y?=");
	ck_assert_str_eq(out, "\xe2\x82\xac x y");
}
END_TEST

START_TEST(words_bad_charset)
{
	decode("=?x-nonesuch?Q?abc?= =?utf-8?Q?d?=");
	ck_assert_str_eq(out, "=?x-nonesuch?Q?abc?= d");
	ck_assert_uint_eq(problems, MS_RFC2047_BAD_CHARSET);
}
END_TEST

START_TEST(words_malformed)
{
	static const char *const bad[] = {
	        "=?utf-8?X?abc?=", "=?utf-8?Q?a b?=",  "=?utf-8?Q?abc",
	        "=??Q?abc?=",      "=?utf-8?B?@@@@?=", "plain = ? text",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		decode(bad[i]);
		ck_assert_str_eq(out, bad[i]);
	}
}
END_TEST

START_TEST(words_language)
{
	/* RFC 2231 §5: charset*language */
	decode("=?US-ASCII*EN?Q?Keith_Moore?=");
	ck_assert_str_eq(out, "Keith Moore");
}
END_TEST

static Suite *mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *t = tcase_create("mime");

	tcase_set_timeout(t, 120);
	tcase_add_test(t, single_text);
	tcase_add_test(t, quoted_printable);
	tcase_add_test(t, quoted_printable_padding);
	tcase_add_test(t, mixed_base64);
	tcase_add_test(t, nested_alternative);
	tcase_add_test(t, rfc822_attached);
	tcase_add_test(t, digest_default);
	tcase_add_test(t, boundary_prefix);
	tcase_add_test(t, bare_lf);
	tcase_add_test(t, unterminated);
	tcase_add_test(t, outer_boundary_closes_inner);
	tcase_add_test(t, gap_incomplete);
	tcase_add_test(t, rfc2231_names);
	tcase_add_test(t, rfc2047_names);
	tcase_add_test(t, hostile_names);
	tcase_add_test(t, depth_limit);
	tcase_add_test(t, parts_limit);
	tcase_add_test(t, header_limit);
	tcase_add_test(t, base64_junk);
	tcase_add_test(t, no_boundary);
	tcase_add_loop_test(t, split_invariance, 0,
	                    sizeof(fixtures) / sizeof(fixtures[0]));
	tcase_add_test(t, words_utf8);
	tcase_add_test(t, words_latin1_gb2312);
	tcase_add_test(t, words_adjacent);
	tcase_add_test(t, words_bad_charset);
	tcase_add_test(t, words_malformed);
	tcase_add_test(t, words_language);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mime_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
