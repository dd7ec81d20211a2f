/* cli — one file per subcommand: argument parsing, progress output, exit
 * codes. Each entry point takes the arguments after the subcommand name
 * (argv[0] is the subcommand) and the global options, and returns the
 * process exit status. */
#ifndef BRIEFING_CLI_H
#define BRIEFING_CLI_H

/* Exit codes shared by every subcommand. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,      /* the job ran but something failed (e.g. a feed) */
	CLI_EXIT_USAGE = 2,     /* bad arguments */
	CLI_EXIT_IO = 3,        /* database, file or config unusable */
	CLI_EXIT_EMPTY = 4,     /* generate: nothing relevant in the window */
	CLI_EXIT_LOCKED = 5,    /* generate: another generate is running */
	CLI_EXIT_INTERRUPTED = 130, /* SIGINT/SIGTERM: stopped, nothing stored */
};

struct cli_global {
	const char *db_path;     /* --db, else NULL (XDG default) */
	const char *config_path; /* --config, else NULL (XDG default) */
	int quiet;
	int verbose;
};

int cli_fetch_main(const struct cli_global *g, int argc, char **argv);
int cli_feeds_main(const struct cli_global *g, int argc, char **argv);
int cli_feeds_parse_main(const struct cli_global *g, int argc, char **argv); /* feeds parse */
int cli_items_main(const struct cli_global *g, int argc, char **argv);
int cli_search_main(const struct cli_global *g, int argc, char **argv);
int cli_model_main(const struct cli_global *g, int argc, char **argv);
int cli_generate_main(const struct cli_global *g, int argc, char **argv);
int cli_export_main(const struct cli_global *g, int argc, char **argv);
int cli_schedule_main(const struct cli_global *g, int argc, char **argv);
int cli_doctor_main(const struct cli_global *g, int argc, char **argv);
int cli_tui_main(const struct cli_global *g, int argc, char **argv); /* also: no command */

#endif
