/* gmime_oracle.c: the reference for mime_dump. Parses each .eml file with
 * GMime 3 and prints one line per leaf part, in document order:
 * type/subtype (lowercased), filename, decoded size, SHA-256 of the
 * decoded content, tab-separated. message/rfc822 parts are descended
 * into, as ms_mime does. */
#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdio.h>

static void leaf_print(GMimePart *part)
{
	GMimeContentType *ct =
	        g_mime_object_get_content_type(GMIME_OBJECT(part));
	char *type = g_mime_content_type_get_mime_type(ct);
	char *lower = g_ascii_strdown(type, -1);
	const char *name = g_mime_part_get_filename(part);
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *mem = g_mime_stream_mem_new();
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	GByteArray *bytes;

	if (w)
		g_mime_data_wrapper_write_to_stream(w, mem);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_checksum_update(sum, bytes->data, bytes->len);
	printf("%s\t%s\t%u\t%s\n", lower, name ? name : "", bytes->len,
	       g_checksum_get_string(sum));
	g_checksum_free(sum);
	g_object_unref(mem);
	g_free(lower);
	g_free(type);
}

static void visit(GMimeObject *parent, GMimeObject *part, gpointer user)
{
	(void)parent;
	if (GMIME_IS_MESSAGE_PART(part)) {
		GMimeMessage *inner = g_mime_message_part_get_message(
		        GMIME_MESSAGE_PART(part));
		if (inner)
			g_mime_message_foreach(inner, visit, user);
	} else if (GMIME_IS_PART(part))
		leaf_print(GMIME_PART(part));
}

static int dump(const char *path)
{
	GError *err = NULL;
	GMimeStream *stream = g_mime_stream_fs_open(path, O_RDONLY, 0, &err);
	GMimeParser *parser;
	GMimeMessage *msg;

	if (!stream) {
		fprintf(stderr, "%s: %s\n", path, err->message);
		g_error_free(err);
		return -1;
	}
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg) {
		g_mime_message_foreach(msg, visit, NULL);
		g_object_unref(msg);
	}
	g_object_unref(parser);
	g_object_unref(stream);
	return msg ? 0 : -1;
}

int main(int argc, char **argv)
{
	int rc = 0;

	g_mime_init();
	for (int i = 1; i < argc; i++) {
		if (argc > 2)
			printf("== %s\n", argv[i]);
		if (dump(argv[i]) < 0)
			rc = 1;
	}
	g_mime_shutdown();
	return rc;
}
