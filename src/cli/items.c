/* briefing items [--since T] [--feed ID|URL] [--search QUERY] [--limit N] [--unread] [--json]
 * briefing search QUERY... [--limit N] [--json] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_int.h"
#include "store/store.h"
#include "util/util.h"

static void items_usage(FILE *f)
{
	fprintf(f,
		"usage: briefing items [--since WHEN] [--feed ID|URL] [--search QUERY]\n"
		"                      [--limit N] [--unread] [--json]\n"
		"       briefing search [--limit N] [--json] [--] QUERY...\n"
		"WHEN: 30m, 6h, 2d, 1w, today, yesterday, or an ISO date/time.\n");
}

void cli_json_string(FILE *f, const char *s)
{
	struct util_buf b;

	util_buf_init(&b);
	if (util_buf_put_json(&b, s) == 0)
		fwrite(b.data, 1, b.len, f);
	util_buf_free(&b);
}

static void print_item_text(const struct store_item *it)
{
	char when[32];
	struct tm tm;
	time_t t = (time_t)it->published;

	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
	printf("%s  ", when);
	if (it->feed_title) {
		putchar('[');
		cli_print_safe(stdout, it->feed_title);
		fputs("] ", stdout);
	}
	cli_print_safe(stdout, it->title ? it->title : "(untitled)");
	putchar('\n');
	if (it->url) {
		fputs("                  ", stdout);
		cli_print_safe(stdout, it->url);
		putchar('\n');
	}
}

static void print_item_json(const struct store_item *it, int first)
{
	char pub[32];

	printf("%s{\"id\":%lld,\"feed_id\":%lld,\"feed\":", first ? "" : ",\n",
	       (long long)it->id, (long long)it->feed_id);
	cli_json_string(stdout, it->feed_title);
	fputs(",\"guid\":", stdout);
	cli_json_string(stdout, it->guid);
	fputs(",\"url\":", stdout);
	cli_json_string(stdout, it->url);
	fputs(",\"title\":", stdout);
	cli_json_string(stdout, it->title);
	fputs(",\"author\":", stdout);
	cli_json_string(stdout, it->author);
	fputs(",\"published\":", stdout);
	cli_json_string(stdout, util_time_iso(it->published, pub, sizeof pub));
	fputs(",\"summary\":", stdout);
	cli_json_string(stdout, it->summary);
	fputs(",\"content\":", stdout);
	cli_json_string(stdout, it->content);
	printf(",\"read\":%s}", it->read ? "true" : "false");
}

static int items_run(const struct cli_global *g, int argc, char **argv, int search_cmd)
{
	struct store_item_query q = { 0 };
	struct store_item *it = NULL;
	struct store *st = NULL;
	struct util_buf words;
	const char *since = NULL, *feed = NULL, *search = NULL;
	int json = 0, bad = 0, rc, words_only = 0;
	size_t n = 0;
	long limit = search_cmd ? 20 : 50;

	util_buf_init(&words);
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (search_cmd && (words_only || argv[i][0] != '-' || !argv[i][1])) {
			/* a word to look for (after "--", anything is) */
			if (words.len)
				util_buf_putc(&words, ' ');
			util_buf_puts(&words, argv[i]);
			continue;
		}
		if (!strcmp(argv[i], "--")) {
			words_only = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			items_usage(stdout);
			util_buf_free(&words);
			return CLI_EXIT_OK;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--unread")) {
			q.unread_only = 1;
		} else if (!strcmp(argv[i], "--all")) {
			limit = 0;
		} else if ((v = cli_opt_value(argc, argv, &i, "--since", &bad))) {
			since = v;
		} else if (!search_cmd && (v = cli_opt_value(argc, argv, &i, "--feed", &bad))) {
			feed = v;
		} else if (!search_cmd && (v = cli_opt_value(argc, argv, &i, "--search", &bad))) {
			search = v;
		} else if ((v = cli_opt_value(argc, argv, &i, "--limit", &bad)) ||
			   (v = cli_opt_value(argc, argv, &i, "-n", &bad))) {
			if (util_parse_long(v, 0, 1000000000L, &limit) != 0) {
				fprintf(stderr, "briefing: --limit wants a number, not '%s'\n", v);
				bad = 1;
			}
		} else if (!bad) {
			fprintf(stderr, "briefing: %s: %s '%s'\n", argv[0],
				argv[i][0] == '-' ? "unknown option" : "unexpected argument", argv[i]);
			bad = 1;
		}
		if (bad)
			break;
	}
	if (search_cmd) {
		if (!words.len && !bad) {
			fprintf(stderr, "briefing: search needs words to look for\n");
			bad = 1;
		}
		search = util_buf_cstr(&words);
	}
	if (bad) {
		items_usage(stderr);
		util_buf_free(&words);
		return CLI_EXIT_USAGE;
	}
	if (since && util_time_parse_since(since, util_time_now(), &q.since) != 0) {
		fprintf(stderr, "briefing: cannot read --since '%s' (try 6h, 2d, 2026-02-21)\n", since);
		util_buf_free(&words);
		return CLI_EXIT_USAGE;
	}
	if (search && util_str_empty(search)) {
		fprintf(stderr, "briefing: empty search\n");
		util_buf_free(&words);
		return CLI_EXIT_USAGE;
	}
	rc = cli_store_open(g, &st);
	if (rc != CLI_EXIT_OK)
		goto out;
	if (feed && (rc = cli_feed_resolve(st, feed, &q.feed_id)) != CLI_EXIT_OK)
		goto out;
	q.search = search;
	q.limit = (size_t)limit;
	if (store_item_query(st, &q, &it, &n) != STORE_OK) {
		fprintf(stderr, "briefing: query failed: %s\n", store_errmsg(st));
		rc = CLI_EXIT_IO;
		goto out;
	}
	if (json)
		putchar('[');
	for (size_t i = 0; i < n; i++) {
		if (json)
			print_item_json(&it[i], i == 0);
		else
			print_item_text(&it[i]);
	}
	if (json)
		puts("]");
	else if (n == 0 && !g->quiet)
		fprintf(stderr, "briefing: no items match\n");
	store_items_free(it, n);
out:
	if (st)
		store_close(st);
	util_buf_free(&words);
	return rc;
}

int cli_items_main(const struct cli_global *g, int argc, char **argv)
{
	return items_run(g, argc, argv, 0);
}

int cli_search_main(const struct cli_global *g, int argc, char **argv)
{
	return items_run(g, argc, argv, 1);
}
