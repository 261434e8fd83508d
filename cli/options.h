/* options.h: the command line, parsed into one struct. */
#ifndef MS_CLI_OPTIONS_H
#define MS_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "capture/decode.h"
#include "capture/source.h"
#include "dissectors/config.h"
#include "output/sink.h"

typedef enum ms_color_mode {
	MS_COLOR_AUTO,
	MS_COLOR_ALWAYS,
	MS_COLOR_NEVER
} ms_color_mode;

typedef enum ms_summary_to {
	MS_SUMMARY_NONE,
	MS_SUMMARY_AUTO, /* stdout, unless JSON events go there */
	MS_SUMMARY_STDOUT,
	MS_SUMMARY_STDERR,
} ms_summary_to;

#define MS_MAX_FILES 1024

typedef struct ms_cli {
	ms_source_options source;
	const char *files[MS_MAX_FILES]; /* -r, read one after the other */
	size_t nfiles;
	char *filter;          /* owned: the trailing words joined */
	const char *json_path; /* -o; NULL: stdout unless --transcript */
	bool transcript;
	const char *extract_dir; /* --extract */
	ms_summary_to summary;
	bool stats;
	bool quiet;
	ms_color_mode color;
	ms_sink_options sink;
	ms_config core;
	ms_decoder_limits frag;
} ms_cli;

typedef enum ms_cli_result {
	MS_CLI_RUN,
	MS_CLI_EXIT_OK,    /* --help, --version */
	MS_CLI_EXIT_USAGE, /* a message was printed to err */
} ms_cli_result;

ms_cli_result ms_cli_parse(ms_cli *cli, int argc, char **argv, FILE *err);
void ms_cli_free(ms_cli *cli);

#endif
