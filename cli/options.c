#include "cli/options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MS_VERSION "0.1.0"

static const char usage[] =
        "Usage: mailscope [OPTIONS] (-r FILE | -i IFACE) [FILTER...]\n"
        "Analyse SMTP, LMTP, POP3 and IMAP sessions in captured or live "
        "traffic.\n"
        "\n"
        "Input:\n"
        "  -r, --read FILE         read a pcap or pcapng file (- for stdin);\n"
        "                          repeat -r to read several files in turn\n"
        "  -i, --interface IFACE   capture live on IFACE\n"
        "  FILTER...               a BPF filter, as tcpdump takes it\n"
        "      --snaplen N         live: bytes kept per packet (262144)\n"
        "      --promisc           live: put IFACE in promiscuous mode\n"
        "\n"
        "Output (JSON events on stdout unless --transcript is given):\n"
        "  -o, --output FILE       write JSON events (NDJSON) to FILE "
        "(- for stdout)\n"
        "      --json-pretty       indent the JSON\n"
        "  -t, --transcript        print each session as a C:/S: dialogue "
        "on stdout\n"
        "      --timestamps        transcript: time of day on every line\n"
        "      --full              transcript: whole message bodies\n"
        "      --show-credentials  show passwords and SASL secrets (default "
        "***)\n"
        "      --color WHEN        transcript colours: auto, always, never "
        "(auto;\n"
        "                          NO_COLOR in the environment means never)\n"
        "      --extract DIR       write every message to DIR as a .eml file "
        "(its\n"
        "                          SHA-256 is the event's), with "
        "manifest.json\n"
        "      --summary[=WHERE]   a summary table at the end, on stdout or "
        "stderr\n"
        "                          (default: stdout, or stderr when JSON "
        "goes to stdout)\n"
        "      --stats             print the run's counters to stderr at the "
        "end\n"
        "  -q, --quiet             no warnings on stderr\n"
        "\n"
        "Protocols:\n"
        "      --port PROTO:N      also dissect PROTO (smtp, lmtp, pop3, "
        "imap,\n"
        "                          smtps, pop3s, imaps) on server port N\n"
        "      --community-id-seed N   Community ID seed (0)\n"
        "\n"
        "Limits (each hit is an anomaly event and a counter):\n"
        "      --max-flows N            connections tracked at once "
        "(262144)\n"
        "      --flow-memcap BYTES      out-of-order bytes held per flow "
        "(4194304)\n"
        "      --memcap BYTES           out-of-order bytes held in all "
        "(536870912)\n"
        "      --idle-timeout S         established flow idle timeout (600)\n"
        "      --half-open-timeout S    half-open/closed flow timeout (30)\n"
        "      --overlap-window BYTES   delivered bytes kept per direction to "
        "catch\n"
        "                               retransmissions that rewrite them "
        "(4096)\n"
        "      --max-line BYTES         longest protocol line (8192)\n"
        "      --max-header BYTES       message header block kept (65536)\n"
        "      --max-pending N          commands awaiting a reply (128)\n"
        "      --max-literal BYTES      largest IMAP literal taken "
        "(1073741824)\n"
        "      --max-imap-messages N    IMAP messages whose UID and flags "
        "are kept\n"
        "                               (100000)\n"
        "      --frag-max-datagrams N   IP datagrams being reassembled "
        "(1024)\n"
        "      --frag-memcap BYTES      bytes held for IP fragments "
        "(16777216)\n"
        "      --frag-timeout S         IP fragment timeout (30)\n"
        "\n"
        "  -h, --help              this help\n"
        "  -V, --version           the version\n"
        "\n"
        "Exit status: 0 success (also when a capture file ends in the middle\n"
        "of a packet: what was read is analysed and a warning printed),\n"
        "1 a runtime failure, 2 a usage error.\n";

enum {
	O_SNAPLEN = 256,
	O_PROMISC,
	O_PRETTY,
	O_TIMESTAMPS,
	O_FULL,
	O_CREDENTIALS,
	O_COLOR,
	O_STATS,
	O_SUMMARY,
	O_EXTRACT,
	O_PORT,
	O_SEED,
	O_MAX_FLOWS,
	O_FLOW_MEMCAP,
	O_MEMCAP,
	O_IDLE,
	O_HALF_OPEN,
	O_OVERLAP_WINDOW,
	O_MAX_LINE,
	O_MAX_HEADER,
	O_MAX_PENDING,
	O_MAX_LITERAL,
	O_MAX_IMAP_MESSAGES,
	O_FRAG_DATAGRAMS,
	O_FRAG_MEMCAP,
	O_FRAG_TIMEOUT,
};

static const struct option longopts[] = {
        {"read", required_argument, NULL, 'r'},
        {"interface", required_argument, NULL, 'i'},
        {"snaplen", required_argument, NULL, O_SNAPLEN},
        {"promisc", no_argument, NULL, O_PROMISC},
        {"output", required_argument, NULL, 'o'},
        {"json-pretty", no_argument, NULL, O_PRETTY},
        {"transcript", no_argument, NULL, 't'},
        {"timestamps", no_argument, NULL, O_TIMESTAMPS},
        {"full", no_argument, NULL, O_FULL},
        {"show-credentials", no_argument, NULL, O_CREDENTIALS},
        {"color", required_argument, NULL, O_COLOR},
        {"stats", no_argument, NULL, O_STATS},
        {"summary", optional_argument, NULL, O_SUMMARY},
        {"extract", required_argument, NULL, O_EXTRACT},
        {"quiet", no_argument, NULL, 'q'},
        {"port", required_argument, NULL, O_PORT},
        {"community-id-seed", required_argument, NULL, O_SEED},
        {"max-flows", required_argument, NULL, O_MAX_FLOWS},
        {"flow-memcap", required_argument, NULL, O_FLOW_MEMCAP},
        {"memcap", required_argument, NULL, O_MEMCAP},
        {"idle-timeout", required_argument, NULL, O_IDLE},
        {"half-open-timeout", required_argument, NULL, O_HALF_OPEN},
        {"overlap-window", required_argument, NULL, O_OVERLAP_WINDOW},
        {"max-line", required_argument, NULL, O_MAX_LINE},
        {"max-header", required_argument, NULL, O_MAX_HEADER},
        {"max-pending", required_argument, NULL, O_MAX_PENDING},
        {"max-literal", required_argument, NULL, O_MAX_LITERAL},
        {"max-imap-messages", required_argument, NULL, O_MAX_IMAP_MESSAGES},
        {"frag-max-datagrams", required_argument, NULL, O_FRAG_DATAGRAMS},
        {"frag-memcap", required_argument, NULL, O_FRAG_MEMCAP},
        {"frag-timeout", required_argument, NULL, O_FRAG_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
};

/* A whole number in [min, max], or a usage error naming the option. */
static bool parse_number(const char *opt, const char *s, uint64_t min,
                         uint64_t max, uint64_t *out, FILE *err)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(err,
		        "mailscope: --%s takes a whole number from %llu to "
		        "%llu, not '%s'\n",
		        opt, (unsigned long long)min, (unsigned long long)max,
		        s);
		return false;
	}
	*out = v;
	return true;
}

static bool parse_port(ms_cli *cli, const char *s, FILE *err)
{
	static const struct {
		const char *name;
		uint8_t entry;
	} protos[] = {
	        {"smtp", MS_PROTO_SMTP},
	        {"lmtp", MS_PROTO_LMTP},
	        {"pop3", MS_PROTO_POP3},
	        {"imap", MS_PROTO_IMAP},
	        {"smtps", MS_PROTO_SMTP | MS_PORT_TLS},
	        {"pop3s", MS_PROTO_POP3 | MS_PORT_TLS},
	        {"imaps", MS_PROTO_IMAP | MS_PORT_TLS},
	};
	const char *colon = strchr(s, ':');
	uint64_t port;

	if (!colon) {
		fprintf(err, "mailscope: --port takes PROTO:N, not '%s'\n", s);
		return false;
	}
	if (!parse_number("port", colon + 1, 1, 65535, &port, err))
		return false;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strlen(protos[i].name) == (size_t)(colon - s) &&
		    strncasecmp(protos[i].name, s, (size_t)(colon - s)) == 0) {
			cli->core.ports[port] = protos[i].entry;
			return true;
		}
	fprintf(err, "mailscope: --port: unknown protocol '%.*s'\n",
	        (int)(colon - s), s);
	return false;
}

/* Options that set a number: where it goes and its range. */
static bool parse_limit(ms_cli *cli, int c, const char *arg, FILE *err)
{
	ms_reasm_limits *r = &cli->core.reasm;
	uint64_t v;
	const char *name = NULL;

	for (const struct option *o = longopts; o->name; o++)
		if (o->val == c)
			name = o->name;
	switch (c) {
#define LIMIT(code, lo, hi, dst)                                               \
	case code:                                                             \
		if (!parse_number(name, arg, lo, hi, &v, err))                 \
			return false;                                          \
		dst = v;                                                       \
		return true;
		LIMIT(O_SNAPLEN, 64, 262144, cli->source.snaplen)
		LIMIT(O_SEED, 0, 65535, cli->core.community_id_seed)
		LIMIT(O_MAX_FLOWS, 1, 1u << 26, r->max_flows)
		LIMIT(O_FLOW_MEMCAP, 0, UINT32_MAX, r->per_flow_bytes)
		LIMIT(O_MEMCAP, 0, UINT64_MAX, r->global_bytes)
		LIMIT(O_IDLE, 1, 86400 * 7, r->idle_timeout_s)
		LIMIT(O_HALF_OPEN, 1, 86400 * 7, r->half_open_timeout_s)
		LIMIT(O_OVERLAP_WINDOW, 0, 1u << 20, r->overlap_window)
		LIMIT(O_MAX_LINE, 64, 1u << 24, cli->core.max_line)
		LIMIT(O_MAX_HEADER, 256, 1u << 26, cli->core.max_header)
		LIMIT(O_MAX_PENDING, 1, 1u << 16, cli->core.max_pending)
		LIMIT(O_MAX_LITERAL, 0, UINT64_MAX, cli->core.max_literal)
		LIMIT(O_MAX_IMAP_MESSAGES, 0, 1u << 26,
		      cli->core.max_imap_messages)
		LIMIT(O_FRAG_DATAGRAMS, 0, 1u << 20,
		      cli->frag.frag_max_datagrams)
		LIMIT(O_FRAG_MEMCAP, 0, UINT32_MAX, cli->frag.frag_max_bytes)
		LIMIT(O_FRAG_TIMEOUT, 1, 3600, cli->frag.frag_timeout_s)
#undef LIMIT
	}
	return false;
}

static bool parse_summary(ms_cli *cli, const char *arg, FILE *err)
{
	if (!arg)
		cli->summary = MS_SUMMARY_AUTO;
	else if (strcmp(arg, "stdout") == 0)
		cli->summary = MS_SUMMARY_STDOUT;
	else if (strcmp(arg, "stderr") == 0)
		cli->summary = MS_SUMMARY_STDERR;
	else {
		fprintf(err,
		        "mailscope: --summary takes stdout or stderr, not "
		        "'%s'\n",
		        arg);
		return false;
	}
	return true;
}

static bool parse_color(ms_cli *cli, const char *arg, FILE *err)
{
	if (strcmp(arg, "auto") == 0)
		cli->color = MS_COLOR_AUTO;
	else if (strcmp(arg, "always") == 0)
		cli->color = MS_COLOR_ALWAYS;
	else if (strcmp(arg, "never") == 0)
		cli->color = MS_COLOR_NEVER;
	else {
		fprintf(err,
		        "mailscope: --color takes auto, always or never, not "
		        "'%s'\n",
		        arg);
		return false;
	}
	return true;
}

/* Joins the trailing words into one BPF expression, as tcpdump does. */
static bool join_filter(ms_cli *cli, int argc, char **argv, FILE *err)
{
	size_t len = 1;

	for (int i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	cli->filter = calloc(1, len);
	if (!cli->filter) {
		fprintf(err, "mailscope: out of memory\n");
		return false;
	}
	for (int i = optind; i < argc; i++) {
		if (i > optind)
			strcat(cli->filter, " ");
		strcat(cli->filter, argv[i]);
	}
	cli->source.filter = *cli->filter ? cli->filter : NULL;
	return true;
}

static bool parse_one(ms_cli *cli, int c, FILE *err)
{
	switch (c) {
	case 'r':
		if (cli->nfiles == MS_MAX_FILES) {
			fprintf(err, "mailscope: at most %d files\n",
			        MS_MAX_FILES);
			return false;
		}
		cli->files[cli->nfiles++] = optarg;
		cli->source.file = cli->files[0];
		return true;
	case O_SUMMARY:
		return parse_summary(cli, optarg, err);
	case O_EXTRACT:
		cli->extract_dir = optarg;
		return true;
	case 'i':
		cli->source.iface = optarg;
		return true;
	case O_PROMISC:
		cli->source.promisc = 1;
		return true;
	case 'o':
		cli->json_path = optarg;
		return true;
	case O_PRETTY:
		cli->sink.pretty = true;
		return true;
	case 't':
		cli->transcript = true;
		return true;
	case O_TIMESTAMPS:
		cli->sink.timestamps = true;
		return true;
	case O_FULL:
		cli->sink.full = true;
		return true;
	case O_CREDENTIALS:
		cli->sink.show_credentials = true;
		return true;
	case O_COLOR:
		return parse_color(cli, optarg, err);
	case O_STATS:
		cli->stats = true;
		return true;
	case 'q':
		cli->quiet = true;
		return true;
	case O_PORT:
		return parse_port(cli, optarg, err);
	default:
		return parse_limit(cli, c, optarg, err);
	}
}

static bool check_inputs(const ms_cli *cli, FILE *err)
{
	if (!cli->nfiles == !cli->source.iface) {
		fprintf(err, "mailscope: give one input, -r FILE or -i IFACE "
		             "(see --help)\n");
		return false;
	}
	if (cli->transcript && cli->json_path &&
	    strcmp(cli->json_path, "-") == 0) {
		fprintf(err, "mailscope: --transcript and -o - both want "
		             "stdout; give -o a file\n");
		return false;
	}
	return true;
}

ms_cli_result ms_cli_parse(ms_cli *cli, int argc, char **argv, FILE *err)
{
	int c;

	memset(cli, 0, sizeof(*cli));
	ms_config_default(&cli->core);
	cli->frag = (ms_decoder_limits){MS_FRAG_MAX_DATAGRAMS_DEFAULT,
	                                MS_FRAG_MAX_BYTES_DEFAULT,
	                                MS_FRAG_TIMEOUT_DEFAULT};
	optind = 1;
	opterr = 0;
	/* '+': stop at the first non-option, the start of the filter */
	while ((c = getopt_long(argc, argv, "+r:i:o:tqhV", longopts, NULL)) !=
	       -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return MS_CLI_EXIT_OK;
		}
		if (c == 'V') {
			printf("mailscope %s\n", MS_VERSION);
			return MS_CLI_EXIT_OK;
		}
		if (c == '?' || c == ':') {
			fprintf(err,
			        "mailscope: bad option '%s' (see --help)\n",
			        argv[optind - 1]);
			return MS_CLI_EXIT_USAGE;
		}
		if (!parse_one(cli, c, err))
			return MS_CLI_EXIT_USAGE;
	}
	if (!check_inputs(cli, err) || !join_filter(cli, argc, argv, err))
		return MS_CLI_EXIT_USAGE;
	return MS_CLI_RUN;
}

void ms_cli_free(ms_cli *cli)
{
	free(cli->filter);
	cli->filter = NULL;
}
