/* mime_dump.c: prints ms_mime's leaf parts of each .eml file named on the
 * command line, one line per part: type/subtype, filename, decoded size,
 * SHA-256, tab-separated; the same lines tests/gmime_oracle.c prints.
 * Anomalies go to stderr. */
#include <stdio.h>
#include <stdlib.h>

#include "dissectors/mime.h"

static void on_anomaly(void *user, const char *code, const char *detail)
{
	fprintf(stderr, "%s: %s: %s\n", (const char *)user, code, detail);
}

static int dump(ms_mime *m, const char *path)
{
	ms_mime_callbacks cb = {.anomaly = on_anomaly};
	uint8_t buf[65536];
	size_t n, count;
	const ms_mime_part *pt;
	FILE *f = fopen(path, "rb");

	if (!f) {
		perror(path);
		return -1;
	}
	ms_mime_begin(m, &cb, (void *)path);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		ms_mime_feed(m, buf, n);
	fclose(f);
	ms_mime_end(m);
	pt = ms_mime_parts(m, &count);
	for (size_t i = 0; i < count; i++)
		printf("%.*s\t%.*s\t%llu\t%s\n", (int)pt[i].content_type.len,
		       pt[i].content_type.p, (int)pt[i].filename.len,
		       pt[i].filename.p, (unsigned long long)pt[i].size,
		       pt[i].sha256);
	return 0;
}

int main(int argc, char **argv)
{
	ms_mime *m = ms_mime_new(NULL);
	int rc = 0;

	if (!m)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (argc > 2)
			printf("== %s\n", argv[i]);
		if (dump(m, argv[i]) < 0)
			rc = 1;
	}
	ms_mime_free(m);
	return rc;
}
