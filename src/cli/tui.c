/* briefing [tui]: the full-screen reader. Opens the database and the
 * config, hands both to tui_run, and reports what it could not do.
 * Exit: 0 quit, 2 usage or not a terminal, 3 database or config unusable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_int.h"
#include "feed/feed.h"
#include "llm/llm.h"
#include "store/store.h"
#include "tui/tui.h"
#include "util/util.h"

static void tui_usage(FILE *f)
{
	fprintf(f,
		"usage: briefing [tui]\n"
		"  The full-screen reader: briefings, items, feeds and search over the\n"
		"  archive; r fetches, g writes a briefing, ? lists the keys.\n"
		"  Keys and colours: [keys] and [theme] in briefing.conf(5).\n");
}

int cli_tui_main(const struct cli_global *g, int argc, char **argv)
{
	struct store *st = NULL;
	struct util_config *cfg = NULL;
	struct tui_opts o;
	char *err = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			tui_usage(stdout);
			return CLI_EXIT_OK;
		}
		fprintf(stderr, "briefing: tui: unexpected argument '%s'\n", argv[i]);
		tui_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "briefing: the reader needs a terminal (see 'briefing --help' for the commands)\n");
		return CLI_EXIT_USAGE;
	}
	char *cfg_path = g->config_path ? util_strdup(g->config_path) : util_path_config("config");
	if (cfg_path && util_config_load(cfg_path, &cfg, &err) != 0) {
		fprintf(stderr, "briefing: %s\n", err ? err : cfg_path);
		free(err);
		free(cfg_path);
		return CLI_EXIT_IO;
	}
	char *cfg_dir = cfg_path ? cli_config_dir(cfg_path) : NULL;
	free(cfg_path);
	char *db_path = g->db_path ? util_strdup(g->db_path) : util_path_data("briefing.db");
	rc = cli_store_open(g, &st);
	if (rc != CLI_EXIT_OK) {
		free(cfg_dir);
		free(db_path);
		util_config_free(cfg);
		return rc;
	}
	memset(&o, 0, sizeof o);
	o.db_path = db_path;
	o.cfg = cfg;
	feed_fetch_opts_default(&o.fetch.fetch);
	/* [fetch] as fetch reads it; `g`: what 'briefing generate' with no
	 * arguments would do */
	if (cli_fetch_config(cfg, &o.fetch.fetch, &err) != 0 ||
	    !cli_generate_opts(cfg, NULL, NULL, NULL, &o.generate, &err)) {
		fprintf(stderr, "briefing: %s\n", err ? err : "unusable configuration");
		free(err);
		store_close(st);
		free(cfg_dir);
		util_config_free(cfg);
		free(db_path);
		return CLI_EXIT_IO;
	}
	o.generate.config_dir = cfg_dir;
	rc = tui_run(st, &o, &err);
	llm_cache_clear();
	store_close(st);
	free(cfg_dir);
	util_config_free(cfg);
	free(db_path);
	if (rc != TUI_OK) {
		fprintf(stderr, "briefing: %s\n", err ? err : tui_strerror(rc));
		free(err);
		return rc == TUI_ERR_TERM ? CLI_EXIT_USAGE : CLI_EXIT_IO;
	}
	return CLI_EXIT_OK;
}
