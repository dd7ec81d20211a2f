/* briefing feeds list|add|remove|import|export|parse */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"
#include "feed/feed.h"
#include "store/store.h"
#include "util/util.h"

static void feeds_usage(FILE *f)
{
	fprintf(f,
		"usage: briefing feeds list [--json]\n"
		"       briefing feeds add URL [--title TITLE] [--category NAME]\n"
		"       briefing feeds remove ID|URL...\n"
		"       briefing feeds import FILE.opml\n"
		"       briefing feeds export [-o FILE]\n"
		"       briefing feeds parse FILE|URL [--json]\n");
}

static const char *ago(int64_t t, int64_t now, char *buf, size_t size)
{
	int64_t d = now - t;

	if (!t)
		return "never";
	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(buf, size, "%llds ago", (long long)d);
	else if (d < 7200)
		snprintf(buf, size, "%lldm ago", (long long)(d / 60));
	else if (d < 172800)
		snprintf(buf, size, "%lldh ago", (long long)(d / 3600));
	else
		snprintf(buf, size, "%lldd ago", (long long)(d / 86400));
	return buf;
}

static const char *feed_status(const struct store_feed *f)
{
	return !f->last_fetch ? "new" : !f->last_error ? "ok" : f->failures ? "error" : "warn";
}

/* A JSON array, one object per feed and line. */
static void feeds_json(const struct store_feed *f, size_t n)
{
	char t1[32], t2[32];
	putchar('[');
	for (size_t i = 0; i < n; i++) {
		printf("%s{\"id\":%lld,\"url\":", i ? ",\n" : "", (long long)f[i].id);
		cli_json_string(stdout, f[i].url);
		fputs(",\"title\":", stdout);
		cli_json_string(stdout, f[i].title);
		fputs(",\"site_url\":", stdout);
		cli_json_string(stdout, f[i].site_url);
		fputs(",\"category\":", stdout);
		cli_json_string(stdout, f[i].category);
		printf(",\"status\":\"%s\",\"items\":%lld,\"unread\":%lld,\"last_fetch\":",
		       feed_status(&f[i]), (long long)f[i].item_count, (long long)f[i].unread_count);
		cli_json_string(stdout, f[i].last_fetch ? util_time_iso(f[i].last_fetch, t1, sizeof t1) : NULL);
		printf(",\"last_status\":%d,\"failures\":%d,\"next_fetch\":", f[i].last_status,
		       f[i].failures);
		cli_json_string(stdout, f[i].next_fetch ? util_time_iso(f[i].next_fetch, t2, sizeof t2) : NULL);
		fputs(",\"last_error\":", stdout);
		cli_json_string(stdout, f[i].last_error);
		putchar('}');
	}
	puts("]");
}

static int feeds_list(struct store *st, int json)
{
	struct store_feed *f = NULL;
	size_t n = 0;
	int64_t now = util_time_now();

	if (store_feed_list(st, &f, &n) != STORE_OK) {
		fprintf(stderr, "briefing: listing feeds: %s\n", store_errmsg(st));
		return CLI_EXIT_IO;
	}
	if (json) {
		feeds_json(f, n);
		store_feeds_free(f, n);
		return CLI_EXIT_OK;
	}
	if (n == 0) {
		printf("No feeds. Add one with 'briefing feeds add URL' or 'briefing feeds import FILE.opml'.\n");
		store_feeds_free(f, n);
		return CLI_EXIT_OK;
	}
	printf("%4s  %-6s %6s  %-9s  %s\n", "ID", "STATUS", "ITEMS", "FETCHED", "TITLE / URL");
	for (size_t i = 0; i < n; i++) {
		char when[32];
		const char *status = feed_status(&f[i]);

		printf("%4lld  %-6s %6lld  %-9s  ", (long long)f[i].id, status,
		       (long long)f[i].item_count, ago(f[i].last_fetch, now, when, sizeof when));
		cli_print_safe(stdout, f[i].title ? f[i].title : "(untitled)");
		printf("\n%35s", "");
		cli_print_safe(stdout, f[i].url);
		putchar('\n');
		if (f[i].last_error) {
			printf("%35s", "");
			fputs("error: ", stdout);
			cli_print_safe(stdout, f[i].last_error);
			if (f[i].failures > 1)
				printf(" (%d failures in a row)", f[i].failures);
			putchar('\n');
		}
	}
	store_feeds_free(f, n);
	return CLI_EXIT_OK;
}

static int feeds_add(struct store *st, int argc, char **argv)
{
	const char *url = NULL, *title = NULL, *category = NULL;
	int bad = 0;
	int64_t id;
	char *u;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *v;
		if ((v = cli_opt_value(argc, argv, &i, "--title", &bad)))
			title = v;
		else if ((v = cli_opt_value(argc, argv, &i, "--category", &bad)))
			category = v;
		else if (bad)
			return CLI_EXIT_USAGE;
		else if (argv[i][0] == '-') {
			fprintf(stderr, "briefing: feeds add: unknown option '%s'\n", argv[i]);
			return CLI_EXIT_USAGE;
		} else if (!url)
			url = argv[i];
		else {
			fprintf(stderr, "briefing: feeds add takes one URL\n");
			return CLI_EXIT_USAGE;
		}
	}
	if (bad)
		return CLI_EXIT_USAGE;
	if (!url) {
		feeds_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	u = feed_url_from_user(url);
	if (!u) {
		fprintf(stderr, "briefing: '%s' is neither a feed URL (http://, https://, file://) nor a readable file\n", url);
		return CLI_EXIT_USAGE;
	}
	const char *no = feed_url_refusal(u, 1);
	if (no) {
		fputs("briefing: cannot add '", stderr);
		cli_print_safe(stderr, u);
		fprintf(stderr, "': %s\n", no);
		free(u);
		return CLI_EXIT_USAGE;
	}
	rc = store_feed_add(st, u, title, NULL, category, &id);
	if (rc == STORE_ERR_EXISTS) {
		fprintf(stderr, "briefing: feed already present as id %lld: %s\n", (long long)id, u);
		free(u);
		return CLI_EXIT_FAIL;
	}
	if (rc != STORE_OK) {
		fprintf(stderr, "briefing: adding feed: %s\n", store_errmsg(st));
		free(u);
		return CLI_EXIT_IO;
	}
	printf("added feed %lld: %s\n", (long long)id, u);
	free(u);
	return CLI_EXIT_OK;
}

static int feeds_remove(struct store *st, int argc, char **argv)
{
	int64_t *ids;
	int rc = CLI_EXIT_OK;

	int first = argc > 1 && !strcmp(argv[1], "--") ? 2 : 1;   /* (checked by check_args) */
	if (argc <= first) {
		feeds_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	/* Resolve everything first: a typo removes nothing. */
	ids = calloc((size_t)argc, sizeof *ids);
	if (!ids)
		return CLI_EXIT_IO;
	for (int i = first; i < argc; i++) {
		rc = cli_feed_resolve(st, argv[i], &ids[i]);
		if (rc != CLI_EXIT_OK) {
			free(ids);
			return rc;
		}
	}
	for (int i = first; i < argc; i++) {
		if (store_feed_remove(st, ids[i]) != STORE_OK) {
			fprintf(stderr, "briefing: removing feed %lld: %s\n", (long long)ids[i],
				store_errmsg(st));
			rc = CLI_EXIT_IO;
			break;
		}
		printf("removed feed %lld\n", (long long)ids[i]);
	}
	free(ids);
	return rc;
}

static int feeds_import(struct store *st, int argc, char **argv)
{
	char *buf = NULL, *err = NULL;
	size_t len = 0, added = 0, existing = 0, skipped = 0;

	if (argc != 2) {
		feeds_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (util_file_read(argv[1], 16u << 20, &buf, &len) != 0) {
		fprintf(stderr, "briefing: cannot read %s: %s\n", argv[1], strerror(errno));
		return CLI_EXIT_IO;
	}
	if (cli_import_opml(st, buf, len, &added, &existing, &skipped, &err) != 0) {
		fprintf(stderr, "briefing: %s: %s\n", argv[1], err);
		free(err);
		free(buf);
		return CLI_EXIT_FAIL;
	}
	free(buf);
	printf("imported %zu feeds (%zu already present, %zu skipped)\n", added, existing, skipped);
	return CLI_EXIT_OK;
}

static int feeds_export(struct store *st, int argc, char **argv)
{
	const char *out = NULL;
	struct store_feed *f = NULL;
	struct feed_opml_entry *e;
	size_t n = 0;
	char *xml;
	int bad = 0, rc = CLI_EXIT_OK;

	for (int i = 1; i < argc; i++) {
		const char *v;
		if ((v = cli_opt_value(argc, argv, &i, "-o", &bad)) ||
		    (v = cli_opt_value(argc, argv, &i, "--output", &bad)))
			out = v;
		else {
			if (!bad)
				fprintf(stderr, "briefing: feeds export: unexpected '%s'\n", argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	if (store_feed_list(st, &f, &n) != STORE_OK) {
		fprintf(stderr, "briefing: listing feeds: %s\n", store_errmsg(st));
		return CLI_EXIT_IO;
	}
	e = calloc(n ? n : 1, sizeof *e);
	if (!e) {
		store_feeds_free(f, n);
		return CLI_EXIT_IO;
	}
	for (size_t i = 0; i < n; i++) {
		e[i].url = f[i].url;
		e[i].title = f[i].title;
		e[i].site = f[i].site_url;
		e[i].category = f[i].category;
	}
	xml = feed_opml_write(e, n, "briefing feeds");
	free(e);
	store_feeds_free(f, n);
	if (!xml) {
		fprintf(stderr, "briefing: out of memory\n");
		return CLI_EXIT_IO;
	}
	if (out) {
		if (util_file_write(out, xml, strlen(xml)) != 0) {
			fprintf(stderr, "briefing: cannot write %s: %s\n", out, strerror(errno));
			rc = CLI_EXIT_IO;
		}
	} else {
		fputs(xml, stdout);
	}
	free(xml);
	return rc;
}

/* The options of list, remove and import, refused before the database is
 * opened (which on a first run imports the default feeds). argv[0] is the
 * subcommand. */
static int check_args(const char *sub, int argc, char **argv, int *json)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(sub, "list") && !strcmp(a, "--json")) {
			*json = 1;
			continue;
		}
		/* options with a value (their values are checked where used) */
		if ((!strcmp(sub, "add") && (!strcmp(a, "--title") || !strcmp(a, "--category"))) ||
		    (!strcmp(sub, "export") && (!strcmp(a, "-o") || !strcmp(a, "--output")))) {
			i++;
			continue;
		}
		if ((!strcmp(sub, "remove") || !strcmp(sub, "rm")) && i == 1 && !strcmp(a, "--"))
			return CLI_EXIT_OK;   /* feeds follow, whatever they look like */
		if (a[0] == '-' && a[1]) {
			fprintf(stderr, "briefing: feeds %s: unknown option '%s'\n", sub, a);
		} else if (!strcmp(sub, "list")) {
			fprintf(stderr, "briefing: feeds list: unexpected argument '%s'\n", a);
		} else {
			continue;
		}
		feeds_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

int cli_feeds_main(const struct cli_global *g, int argc, char **argv)
{
	int json = 0;
	struct store *st;
	const char *sub = argc > 1 ? argv[1] : "list";
	int rc;

	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
		feeds_usage(stdout);
		return CLI_EXIT_OK;
	}
	/* help for a subcommand, before any database is opened */
	for (int i = 2; i < argc && strcmp(sub, "parse"); i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			feeds_usage(stdout);
			return CLI_EXIT_OK;
		}
	}
	if (!strcmp(sub, "parse")) /* needs no database */
		return cli_feeds_parse_main(g, argc - 1, argv + 1);
	if (strcmp(sub, "list") && strcmp(sub, "add") && strcmp(sub, "remove") &&
	    strcmp(sub, "rm") && strcmp(sub, "import") && strcmp(sub, "export")) {
		fprintf(stderr, "briefing: feeds: unknown subcommand '%s'\n", sub);
		feeds_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if ((rc = check_args(sub, argc - 1, argv + 1, &json)) != CLI_EXIT_OK)
		return rc;
	rc = cli_store_open(g, &st);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (!strcmp(sub, "list"))
		rc = feeds_list(st, json);
	else if (!strcmp(sub, "add"))
		rc = feeds_add(st, argc - 1, argv + 1);
	else if (!strcmp(sub, "remove") || !strcmp(sub, "rm"))
		rc = feeds_remove(st, argc - 1, argv + 1);
	else if (!strcmp(sub, "import"))
		rc = feeds_import(st, argc - 1, argv + 1);
	else
		rc = feeds_export(st, argc - 1, argv + 1);
	store_close(st);
	return rc;
}
