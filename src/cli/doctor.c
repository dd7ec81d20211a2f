/* briefing doctor: check the config, the database and the feeds, and say
 * what is wrong in words a user can act on. Exit 0 when all is well. */
#include <curl/curl.h>
#include <libxml/xmlversion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brief/brief.h"
#include "brief/brief_write.h"
#include "cli/cli_int.h"
#include "feed/feed.h"
#include "llm/llm.h"
#include "store/store.h"
#include "util/util.h"

/* What fetch, generate, schedule and the reader would refuse in cfg, by the
 * same checks they run: NULL when nothing, else a message (caller frees). */
static char *config_problem(const struct util_config *cfg)
{
	struct feed_fetch_opts fo;
	struct brief_opts bo = { 0 };
	char *err = NULL;

	feed_fetch_opts_default(&fo);
	if (cli_fetch_config(cfg, &fo, &err) != 0 || cli_schedule_check(cfg, &err) != 0)
		return err ? err : util_strdup("out of memory");
	if (!cli_generate_opts(cfg, NULL, NULL, NULL, &bo, &err))
		return err ? err : util_strdup("out of memory");
	if (llm_config_check(&bo.llm, &err) != LLM_OK)
		return err ? err : util_strdup("out of memory");
	return NULL;
}

int cli_doctor_main(const struct cli_global *g, int argc, char **argv)
{
	char *cfg_path = g->config_path ? util_strdup(g->config_path) : util_path_config("config");
	char *db_path = g->db_path ? util_strdup(g->db_path) : util_path_data("briefing.db");
	struct util_config *cfg = NULL;
	struct store_feed *f = NULL;
	struct store *st = NULL;
	char *err = NULL;
	size_t n = 0, failing = 0;
	int problems = 0;

	if (argc > 1) {
		int help = !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help");
		if (!help)
			fprintf(stderr, "briefing: doctor: %s '%s'\n",
				argv[1][0] == '-' ? "unknown option" : "unexpected argument", argv[1]);
		fprintf(help ? stdout : stderr, "usage: briefing doctor\n");
		free(cfg_path);
		free(db_path);
		return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	printf("briefing doctor\n");
	printf("  libraries: libcurl %s, libxml2 %s, sqlite %s%s\n",
	       curl_version_info(CURLVERSION_NOW)->version, LIBXML_DOTTED_VERSION,
	       sqlite3_libversion(), sqlite3_compileoption_used("ENABLE_FTS5") ? " (FTS5)" : " (no FTS5!)");
	if (!sqlite3_compileoption_used("ENABLE_FTS5"))
		problems++;

	printf("  config:    %s: ", cfg_path ? cfg_path : "(no path: HOME unset?)");
	if (cfg_path && util_config_load(cfg_path, &cfg, &err) == 0) {
		char *why = config_problem(cfg);
		printf("%s\n", why ? why : "ok");
		if (why)
			problems++;
		free(why);
	} else {
		printf("%s\n", err ? err : "cannot be read");
		problems++;
	}
	{
		/* what generate would refuse in sections.conf and lexicon.conf */
		char *summary = NULL, *why = NULL;
		char *dir = cfg_path ? cli_config_dir(cfg_path) : NULL;
		brief_sections_check(dir, &summary, &why);
		printf("  sections:  %s\n", summary ? summary : why ? why : "out of memory");
		problems += !summary;
		/* the faithfulness check's aliases.conf */
		struct brief_check_data *cd = NULL;
		char *cerr = NULL;
		if (brief_check_data_load(dir, &cd, &cerr) != BRIEF_OK) {
			printf("  check:     %s\n", cerr ? cerr : "out of memory");
			problems++;
		}
		brief_check_data_free(cd);
		free(cerr);
		free(dir);
		free(summary);
		free(why);
	}
	printf("  database:  %s: ", db_path ? db_path : "(no path: HOME unset?)");
	if (cli_store_open(g, &st) != CLI_EXIT_OK) {
		printf("cannot be opened\n");
		problems++;
	} else {
		printf("ok, schema version %d\n", store_schema_version(st));
		if (store_feed_list(st, &f, &n) == STORE_OK) {
			for (size_t i = 0; i < n; i++)
				if (f[i].last_error)
					failing++;
			printf("  feeds:     %zu, %zu failing at their last fetch\n", n, failing);
			for (size_t i = 0; i < n; i++) {
				if (!f[i].last_error)
					continue;
				printf("    %lld ", (long long)f[i].id);
				cli_print_safe(stdout, f[i].url);
				fputs(": ", stdout);
				cli_print_safe(stdout, f[i].last_error);
				putchar('\n');
			}
			if (n == 0) {
				printf("    no feeds: add some with 'briefing feeds add URL'\n");
				problems++;
			}
			store_feeds_free(f, n);
		}
		store_close(st);
	}
	printf("%s\n", problems ? "Problems found." : "All good.");
	util_config_free(cfg);
	free(err);
	free(cfg_path);
	free(db_path);
	return problems ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
