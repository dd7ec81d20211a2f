/* briefing export [ID|latest] [--format md|txt|json] [-o FILE] [--list]
 *
 * Prints a stored briefing: markdown (default), plain text for mail(1), or
 * JSON for scripts. -o writes the file atomically instead. --list shows
 * the stored briefings, newest first.
 * Exit: 0 ok, 1 no such briefing, 2 usage, 3 database or file unusable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "brief/brief.h"
#include "cli/cli_int.h"
#include "store/store.h"
#include "util/util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: briefing export [ID|latest] [--format md|txt|json] [-o FILE]\n"
		"       briefing export --list [--limit N]\n"
		"Formats: md (CommonMark/pandoc, the default), txt (plain text for mail),\n"
		"json (everything, with provenance).\n");
}

static int list(struct store *st, long limit)
{
	struct store_briefing *b = NULL;
	size_t n = 0;
	if (store_briefing_list(st, (size_t)limit, &b, &n) != STORE_OK) {
		fprintf(stderr, "briefing: cannot list briefings: %s\n", store_errmsg(st));
		return CLI_EXIT_IO;
	}
	if (n == 0)
		fprintf(stderr, "briefing: no briefings yet (run 'briefing generate')\n");
	for (size_t i = 0; i < n; i++) {
		printf("%5lld  ", (long long)b[i].id);
		cli_print_safe(stdout, b[i].edition_date);
		printf("  %-9s %zu stories  %s%s\n", b[i].style ? b[i].style : "?", b[i].n_stories,
		       b[i].backend ? b[i].backend : "?",
		       b[i].status && !strcmp(b[i].status, "flagged") ? "  (flagged)" : "");
	}
	store_briefings_free(b, n);
	return CLI_EXIT_OK;
}

int cli_export_main(const struct cli_global *g, int argc, char **argv)
{
	const char *which = NULL, *fmt = "md", *outp = NULL;
	enum brief_format f = BRIEF_FMT_MD;
	struct store *st = NULL;
	int bad = 0, do_list = 0, rc;
	long limit = 20;
	int64_t id = 0;

	for (int i = 1; i < argc; i++) {
		const char *v;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return CLI_EXIT_OK;
		} else if (!strcmp(argv[i], "--list")) {
			do_list = 1;
		} else if ((v = cli_opt_value(argc, argv, &i, "--format", &bad))) {
			fmt = v;
		} else if ((v = cli_opt_value(argc, argv, &i, "-o", &bad)) ||
			   (!bad && (v = cli_opt_value(argc, argv, &i, "--output", &bad)))) {
			outp = v;
		} else if ((v = cli_opt_value(argc, argv, &i, "--limit", &bad))) {
			if (util_parse_long(v, 1, 100000, &limit) != 0) {
				fprintf(stderr, "briefing: --limit: '%s' is not a number\n", v);
				bad = 1;
			}
		} else if (!bad && argv[i][0] != '-' && !which) {
			which = argv[i];
		} else if (!bad) {
			fprintf(stderr, "briefing: export: unknown argument '%s'\n", argv[i]);
			bad = 1;
		}
		if (bad) {
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (!strcmp(fmt, "md") || !strcmp(fmt, "markdown"))
		f = BRIEF_FMT_MD;
	else if (!strcmp(fmt, "txt") || !strcmp(fmt, "text"))
		f = BRIEF_FMT_TXT;
	else if (!strcmp(fmt, "json"))
		f = BRIEF_FMT_JSON;
	else {
		fprintf(stderr, "briefing: --format must be md, txt or json\n");
		return CLI_EXIT_USAGE;
	}
	if (which && strcmp(which, "latest")) {
		long v;
		if (util_parse_long(which, 1, 0x7fffffffL, &v) != 0) {
			fprintf(stderr, "briefing: export: '%s' is not a briefing id (a number or 'latest')\n",
				which);
			return CLI_EXIT_USAGE;
		}
		id = v;
	}
	if ((rc = cli_store_open(g, &st)) != CLI_EXIT_OK)
		return rc;
	if (do_list) {
		rc = list(st, limit);
		store_close(st);
		return rc;
	}
	char *out = NULL, *err = NULL;
	int brc = brief_render(st, id, f, &out, &err);
	store_close(st);
	if (brc != BRIEF_OK) {
		fprintf(stderr, "briefing: %s\n", err ? err : brief_strerror(brc));
		free(err);
		return brc == BRIEF_ERR_NOT_FOUND ? CLI_EXIT_FAIL : CLI_EXIT_IO;
	}
	/* feed text inside is untrusted: no control characters or escape
	 * sequences reach a terminal or a mail (emoji and layout survive) */
	char *clean = util_text_sanitize(out, strlen(out), 1);
	free(out);
	if (!clean) {
		fprintf(stderr, "briefing: out of memory\n");
		return CLI_EXIT_IO;
	}
	out = clean;
	rc = CLI_EXIT_OK;
	if (outp && strcmp(outp, "-")) {
		if (util_file_write(outp, out, strlen(out)) != 0) {
			fprintf(stderr, "briefing: cannot write %s: %s\n", outp, strerror(errno));
			rc = CLI_EXIT_IO;
		}
	} else {
		fputs(out, stdout);
		if (fflush(stdout) != 0)
			rc = CLI_EXIT_IO;
	}
	free(out);
	return rc;
}
