/* briefing schedule [--morning HH:MM] [--evening HH:MM] [--fetch-before MIN]
 *
 * Prints crontab lines that fetch and then generate the morning and the
 * evening edition, with comments that explain them; nothing is installed.
 * Times come from [schedule] morning / evening / fetch_before in the config
 * (defaults 07:00, 19:00, 0: the fetch runs right before generate).
 * Exit: 0, 2 usage, 3 config unusable. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_int.h"
#include "util/util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: briefing schedule [--morning HH:MM] [--evening HH:MM]\n"
		"Prints crontab lines (fetch, then generate) for the morning and evening\n"
		"editions. Install them with:  briefing schedule | crontab -   (replaces your\n"
		"crontab!) or paste them into 'crontab -e'. Times: [schedule] in the config.\n");
}

static int parse_hhmm(const char *s, int *h, int *m)
{
	char extra;
	if (!s || sscanf(s, "%d:%d%c", h, m, &extra) != 2 || *h < 0 || *h > 23 || *m < 0 || *m > 59)
		return -1;
	return 0;
}

int cli_schedule_check(const struct util_config *cfg, char **err)
{
	static const char *const keys[] = { "schedule.morning", "schedule.evening" };
	int h, m;

	*err = NULL;
	for (size_t i = 0; i < 2; i++) {
		const char *v = util_config_get(cfg, keys[i]);
		if (v && parse_hhmm(v, &h, &m)) {
			*err = util_strfmt("config: %s = '%s': must be a time HH:MM (24-hour)", keys[i], v);
			return -1;
		}
	}
	return 0;
}

/* Quote a path for a crontab line (sh -c): single quotes; '%' is special
 * to cron and must be escaped. */
static void put_quoted(const char *s)
{
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", stdout);
		else if (*s == '%')
			fputs("\\%", stdout);
		else
			putchar(*s);
	}
	putchar('\'');
}

static void put_cmd(const char *self, const struct cli_global *g, const char *args)
{
	put_quoted(self);
	if (g->db_path) {
		fputs(" --db ", stdout);
		char *abs = realpath(g->db_path, NULL);
		put_quoted(abs ? abs : g->db_path);
		free(abs);
	}
	if (g->config_path) {
		fputs(" --config ", stdout);
		char *abs = realpath(g->config_path, NULL);
		put_quoted(abs ? abs : g->config_path);
		free(abs);
	}
	printf(" %s", args);
}

int cli_schedule_main(const struct cli_global *g, int argc, char **argv)
{
	const char *mo = NULL, *ev = NULL;
	struct util_config *cfg = NULL;
	char *path = NULL, *err = NULL;
	int bad = 0, mh, mm, eh, em;

	for (int i = 1; i < argc; i++) {
		const char *v;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return CLI_EXIT_OK;
		} else if ((v = cli_opt_value(argc, argv, &i, "--morning", &bad))) {
			mo = v;
		} else if ((v = cli_opt_value(argc, argv, &i, "--evening", &bad))) {
			ev = v;
		} else if (!bad) {
			fprintf(stderr, "briefing: schedule: unknown argument '%s'\n", argv[i]);
			bad = 1;
		}
		if (bad) {
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	path = g->config_path ? util_strdup(g->config_path) : util_path_config("config");
	if (path && util_config_load(path, &cfg, &err) != 0) {
		fprintf(stderr, "briefing: %s\n", err ? err : path);
		free(err);
		free(path);
		return CLI_EXIT_IO;
	}
	if (cli_schedule_check(cfg, &err) != 0) {   /* the file's fault: 3, not 2 */
		fprintf(stderr, "briefing: %s\n", err ? err : "out of memory");
		free(err);
		util_config_free(cfg);
		free(path);
		return CLI_EXIT_IO;
	}
	if (!mo)
		mo = util_config_get(cfg, "schedule.morning");
	if (!ev)
		ev = util_config_get(cfg, "schedule.evening");
	if (!mo)
		mo = "07:00";
	if (!ev)
		ev = "19:00";
	if (parse_hhmm(mo, &mh, &mm) || parse_hhmm(ev, &eh, &em)) {
		fprintf(stderr, "briefing: schedule: times are HH:MM (24-hour), got '%s' and '%s'\n",
			mo, ev);
		util_config_free(cfg);
		free(path);
		return CLI_EXIT_USAGE;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		snprintf(self, sizeof self, "briefing");
	else
		self[n] = '\0';

	printf("# briefing: the morning and evening editions (from 'briefing schedule').\n"
	       "# Each line first fetches every feed, then writes the edition from what is\n"
	       "# new since the previous briefing; generate runs even if a feed failed\n"
	       "# (;). Both are quiet unless something fails, so cron mails you only\n"
	       "# errors. Exit status of generate: 4 = nothing new to write, 5 = another\n"
	       "# generate was still running (the lock keeps the two from both writing).\n"
	       "# Read the result with 'briefing export latest' (or --format txt | mail).\n"
	       "# Times are the machine's local time; change them with [schedule] morning\n"
	       "# and evening in %s.\n"
	       "# Install: run 'crontab -e' and paste the two lines below, or\n"
	       "# 'briefing schedule | crontab -' (which replaces your whole crontab).\n",
	       path ? path : "the config file");
	printf("%d %d * * * ", mm, mh);
	put_cmd(self, g, "fetch --quiet; ");
	put_cmd(self, g, "generate --edition morning --quiet\n");
	printf("%d %d * * * ", em, eh);
	put_cmd(self, g, "fetch --quiet; ");
	put_cmd(self, g, "generate --edition evening --quiet\n");
	util_config_free(cfg);
	free(path);
	return CLI_EXIT_OK;
}
