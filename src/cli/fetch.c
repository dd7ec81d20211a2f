/* briefing fetch [--jobs N] [--quiet] [--force] [FEED...]
 *
 * Fetches every feed (or the named ones) into the archive through
 * feed_update_run. Settings come from the [fetch] section of the config
 * (jobs, per_host, timeout, connect_timeout, max_body, user_agent; see
 * briefing.conf(5)); --jobs wins over the file. On a terminal a progress
 * line is redrawn in place on stderr; every failing feed gets a line
 * "briefing: URL: error" on stderr; a summary goes to stdout unless quiet.
 * Exit: 0 all fetched (304 counts), 1 some feed failed or interrupted,
 * 2 usage, 3 database or config unusable. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_int.h"
#include "feed/feed.h"
#include "store/store.h"
#include "util/util.h"

static volatile int fetch_cancel;

/* The first SIGINT or SIGTERM stops the run: transfers are dropped, a parse
 * under way gives up, feeds already stored stay stored. The handler is
 * installed with SA_RESETHAND, so a second one kills at once. */
static void on_signal(int sig)
{
	(void)sig;
	fetch_cancel = 1;
}

static void fetch_usage(FILE *f)
{
	fprintf(f,
		"usage: briefing fetch [--jobs N] [--quiet] [--force] [FEED...]\n"
		"  FEED      a feed id or URL (see 'briefing feeds list'); default: every feed\n"
		"            whose backoff has expired\n"
		"  --jobs N  transfers at once (1-64, default 8 or [fetch] jobs)\n"
		"  --quiet   print nothing but errors\n"
		"  --force   fetch feeds that are still backing off after errors\n"
		"Timeouts, body cap and User-Agent: [fetch] in briefing.conf(5).\n");
}

struct progress {
	int tty;
	int quiet;
	int line_shown;       /* a progress line is on the terminal */
	double last_draw;     /* monotonic seconds of the last redraw */
};

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void clear_line(struct progress *pr)
{
	if (pr->line_shown) {
		fputs("\r\033[K", stderr);
		pr->line_shown = 0;
	}
}

static void on_progress(void *ctx, const struct feed_update_progress *p)
{
	struct progress *pr = ctx;

	if (p->error || p->warning) {
		clear_line(pr);
		fputs("briefing: ", stderr);
		cli_print_safe(stderr, p->feed_url);
		fputs(p->error ? ": " : ": warning: ", stderr);
		cli_print_safe(stderr, p->error ? p->error : p->warning);
		fputc('\n', stderr);
	}
	/* Redrawn at most 20 times a second, and always for the last feed. */
	double t = mono_now();
	if (pr->tty && !pr->quiet &&
	    (t - pr->last_draw >= 0.05 || p->done == p->total || !pr->line_shown)) {
		pr->last_draw = t;
		fprintf(stderr, "\r\033[Kfetch: %zu/%zu feeds, %zu new, %zu error%s",
			p->done, p->total, p->new_items, p->errors, p->errors == 1 ? "" : "s");
		pr->line_shown = 1;
	}
	fflush(stderr);
}

static int load_config(const struct cli_global *g, struct util_config **cfg,
		       struct feed_fetch_opts *fo)
{
	char *path = g->config_path ? util_strdup(g->config_path) : util_path_config("config");
	char *err = NULL;

	*cfg = NULL;
	if (!path) /* no HOME: defaults */
		return 0;
	if (util_config_load(path, cfg, &err) != 0) {
		fprintf(stderr, "briefing: %s\n", err ? err : path);
		free(err);
		free(path);
		return -1;
	}
	free(path);
	if (cli_fetch_config(*cfg, fo, &err) != 0) {
		fprintf(stderr, "briefing: %s\n", err ? err : "out of memory");
		free(err);
		return -1;
	}
	return 0;
}

int cli_fetch_main(const struct cli_global *g, int argc, char **argv)
{
	struct feed_update_opts uo;
	struct feed_update_progress sum;
	struct util_config *cfg = NULL;
	struct store *st = NULL;
	int64_t *ids = NULL;
	size_t n_ids = 0;
	long jobs = 0;
	int quiet = g->quiet, force = 0, bad = 0;
	int rc;

	memset(&uo, 0, sizeof uo);
	feed_fetch_opts_default(&uo.fetch);
	ids = calloc((size_t)argc, sizeof *ids);
	if (!ids) {
		fprintf(stderr, "briefing: out of memory\n");
		return CLI_EXIT_IO;
	}
	/* First pass: options. FEED arguments are resolved once the store is open. */
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fetch_usage(stdout);
			free(ids);
			return CLI_EXIT_OK;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			quiet = 1;
		} else if (!strcmp(argv[i], "--force")) {
			force = 1;
		} else if ((v = cli_opt_value(argc, argv, &i, "--jobs", &bad))) {
			if (util_parse_long(v, 1, 64, &jobs) != 0) {
				fprintf(stderr, "briefing: fetch: --jobs must be a number from 1 to 64\n");
				bad = 1;
			}
		} else if (bad) {
			break;
		} else if (!strcmp(argv[i], "--")) {
			break;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "briefing: fetch: unknown option '%s'\n", argv[i]);
			bad = 1;
		}
		if (bad)
			break;
	}
	if (bad) {
		fetch_usage(stderr);
		free(ids);
		return CLI_EXIT_USAGE;
	}
	if (load_config(g, &cfg, &uo.fetch) != 0) {
		util_config_free(cfg);
		free(ids);
		return CLI_EXIT_IO;
	}
	if (jobs > 0)
		uo.fetch.jobs = (int)jobs;

	rc = cli_store_open(g, &st);
	if (rc != CLI_EXIT_OK)
		goto out;
	{
		int opts_done = 0;
		for (int i = 1; i < argc; i++) {
			const char *a = argv[i];
			if (!opts_done) {
				if (!strcmp(a, "--")) {
					opts_done = 1;
					continue;
				}
				if (!strcmp(a, "--jobs")) {
					i++;
					continue;
				}
				if (a[0] == '-' && a[1])
					continue;
			}
			rc = cli_feed_resolve(st, a, &ids[n_ids]);
			if (rc != CLI_EXIT_OK)
				goto out;
			n_ids++;
		}
	}
	uo.ids = n_ids ? ids : NULL;
	uo.n_ids = n_ids;
	uo.force = force;

	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	fetch_cancel = 0;
	uo.fetch.cancel = &fetch_cancel;

	struct progress pr = { .tty = isatty(STDERR_FILENO), .quiet = quiet };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int urc = feed_update_run(st, &uo, on_progress, &pr, &sum);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	clear_line(&pr);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	if (urc == FEED_ERR_STORE) {
		fprintf(stderr, "briefing: fetch stopped: the database refused a write: %s\n",
			store_errmsg(st));
		rc = CLI_EXIT_IO;
	} else if (urc == FEED_ERR_CANCELLED) {
		fprintf(stderr, "briefing: fetch interrupted after %zu of %zu feeds "
			"(those are stored)\n", sum.done, sum.total);
		rc = CLI_EXIT_FAIL;
	} else if (urc != FEED_OK) {
		fprintf(stderr, "briefing: fetch: %s\n", feed_strerror(urc));
		rc = urc == FEED_ERR_ARG ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
	} else {
		rc = sum.errors ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
	if (!quiet && (urc == FEED_OK || urc == FEED_ERR_CANCELLED)) {
		if (sum.total == 0 && sum.skipped == 0) {
			printf("fetch: no feeds (add one with 'briefing feeds add URL')\n");
		} else {
			printf("fetch: %zu feed%s, %zu new, %zu updated, %zu not modified, %zu error%s",
			       sum.done, sum.done == 1 ? "" : "s", sum.new_items, sum.updated_items,
			       sum.not_modified, sum.errors, sum.errors == 1 ? "" : "s");
			if (sum.warnings)
				printf(", %zu warning%s", sum.warnings, sum.warnings == 1 ? "" : "s");
			if (sum.skipped)
				printf(", %zu skipped (backing off; --force fetches them)", sum.skipped);
			printf(" in %.1f s\n", secs);
		}
	}
out:
	store_close(st);
	util_config_free(cfg);
	free(ids);
	return rc;
}
