/* briefing — the subcommand table. main reads as: parse global options,
 * find the subcommand, run it, return its exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/util.h"

#ifndef BRIEFING_VERSION
#define BRIEFING_VERSION "0.1.0"
#endif

struct command {
	const char *name;
	int (*run)(const struct cli_global *g, int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "tui",    cli_tui_main,    "the full-screen reader (the default)" },
	{ "fetch",  cli_fetch_main,  "fetch feeds into the archive" },
	{ "feeds",  cli_feeds_main,  "list, add, remove, import, export, parse feeds" },
	{ "items",  cli_items_main,  "list archived items" },
	{ "search", cli_search_main, "full-text search over the archive" },
	{ "generate", cli_generate_main, "write a briefing (morning or evening edition)" },
	{ "export", cli_export_main, "print a stored briefing (markdown, text, JSON)" },
	{ "schedule", cli_schedule_main, "print crontab lines for the morning and evening editions" },
	{ "model", cli_model_main, "inspect, run and benchmark GGUF models" },
	{ "doctor", cli_doctor_main, "check the database, config and feeds" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: briefing [--db PATH] [--config PATH] [-q] [-v] COMMAND [ARGS]\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'briefing COMMAND --help' for a command's options; 'man briefing' for more.\n");
}

int main(int argc, char **argv)
{
	struct cli_global g = { 0 };
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--db") || !strcmp(a, "--config")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "briefing: %s needs a path\n", a);
				return CLI_EXIT_USAGE;
			}
			if (a[2] == 'd')
				g.db_path = argv[++i];
			else
				g.config_path = argv[++i];
		} else if (!strncmp(a, "--db=", 5)) {
			g.db_path = a + 5;
		} else if (!strncmp(a, "--config=", 9)) {
			g.config_path = a + 9;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			g.quiet = 1;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			g.verbose = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return CLI_EXIT_OK;
		} else if (!strcmp(a, "--version")) {
			printf("briefing %s\n", BRIEFING_VERSION);
			return CLI_EXIT_OK;
		} else {
			fprintf(stderr, "briefing: unknown option '%s'\n", a);
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	util_log_set_level(g.verbose ? UTIL_LOG_DEBUG : g.quiet ? UTIL_LOG_ERROR : UTIL_LOG_WARN);
	if (i >= argc) { /* no command: the reader */
		char *tui_argv[] = { "tui", NULL };
		return cli_tui_main(&g, 1, tui_argv);
	}
	for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++)
		if (!strcmp(argv[i], commands[c].name))
			return commands[c].run(&g, argc - i, argv + i);
	fprintf(stderr, "briefing: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
