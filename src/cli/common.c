/* Shared pieces of the subcommands: opening the store (with the first-run
 * import of the bundled feeds), OPML import, feed lookup, safe printing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_int.h"
#include "feed/feed.h"
#include "store/store.h"
#include "util/util.h"

/* The bundled feeds/default.opml, embedded at build time. */
__asm__(".section .rodata\n"
	".global cli_default_opml\n"
	".type cli_default_opml, @object\n"
	".balign 16\n"
	"cli_default_opml:\n"
	".incbin \"feeds/default.opml\"\n"
	".byte 0\n"
	".global cli_default_opml_end\n"
	"cli_default_opml_end:\n"
	".previous\n");
extern const char cli_default_opml_end[];

size_t cli_default_opml_len(void)
{
	return (size_t)(cli_default_opml_end - cli_default_opml) - 1;
}

int cli_import_opml(struct store *st, const char *buf, size_t len,
		    size_t *added, size_t *existing, size_t *skipped, char **err)
{
	struct feed_opml_entry *e = NULL;
	size_t n = 0, nadd = 0, nexist = 0, nskip = 0;
	char *why = NULL;
	int rc = feed_opml_parse_ex(buf, len, &e, &n, &why);

	if (rc != FEED_OK) {
		*err = util_strfmt("not a usable OPML file: %s", why ? why : feed_strerror(rc));
		free(why);
		return -1;
	}
	if (why) {
		fputs("briefing: warning: the list is not well-formed (", stderr);
		cli_print_safe(stderr, why);
		fputs("); outlines after that point were not read\n", stderr);
		free(why);
	}
	if (store_begin(st) != STORE_OK) {
		*err = util_strfmt("database: %s", store_errmsg(st));
		feed_opml_free(e, n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t id;
		const char *no = feed_url_refusal(e[i].url, 0);
		if (no) {
			if (nskip++ < 20) {
				fputs("briefing: skipped ", stderr);
				cli_print_safe(stderr, e[i].title ? e[i].title : "(untitled)");
				fputs(" <", stderr);
				cli_print_safe(stderr, e[i].url ? e[i].url : "");
				fprintf(stderr, ">: %s\n", no);
			}
			continue;
		}
		rc = store_feed_add(st, e[i].url, e[i].title, e[i].site, e[i].category, &id);
		if (rc == STORE_OK) {
			nadd++;
		} else if (rc == STORE_ERR_EXISTS) {
			nexist++;
		} else {
			*err = util_strfmt("database: %s", store_errmsg(st));
			store_rollback(st);
			feed_opml_free(e, n);
			return -1;
		}
	}
	feed_opml_free(e, n);
	if (store_commit(st) != STORE_OK) {
		*err = util_strfmt("database: %s", store_errmsg(st));
		store_rollback(st);
		return -1;
	}
	if (nskip > 20)
		fprintf(stderr, "briefing: ... and %zu more skipped\n", nskip - 20);
	if (added)
		*added = nadd;
	if (existing)
		*existing = nexist;
	if (skipped)
		*skipped = nskip;
	return 0;
}

int cli_store_open(const struct cli_global *g, struct store **st)
{
	char *path = g->db_path ? util_strdup(g->db_path) : util_path_data("briefing.db");
	char *msg = NULL, *val = NULL;
	int rc;

	*st = NULL;
	if (!path) {
		fprintf(stderr, "briefing: cannot work out the database path (is HOME set?)\n");
		return CLI_EXIT_IO;
	}
	rc = store_open(path, st, &msg);
	if (rc != STORE_OK) {
		fprintf(stderr, "briefing: cannot open database %s: %s\n", path,
			msg ? msg : store_strerror(rc));
		free(msg);
		free(path);
		return CLI_EXIT_IO;
	}
	free(path);
	/* First run: import the bundled feed list once. BRIEFING_NO_DEFAULT_FEEDS
	 * (used by tests and the demo) starts with an empty list instead. */
	rc = store_meta_get(*st, "default_feeds_imported", &val);
	if (rc == STORE_OK && !val) {
		const char *skip = getenv("BRIEFING_NO_DEFAULT_FEEDS");
		size_t added = 0;
		char *err = NULL;

		if (!(skip && *skip && strcmp(skip, "0"))) {
			if (cli_import_opml(*st, cli_default_opml, cli_default_opml_len(),
					    &added, NULL, NULL, &err) != 0) {
				fprintf(stderr, "briefing: importing the default feeds: %s\n", err);
				free(err);
			} else if (!g->quiet && added) {
				fprintf(stderr, "briefing: first run: added %zu default feeds "
					"(see 'briefing feeds list')\n", added);
			}
		}
		store_meta_set(*st, "default_feeds_imported", "1");
	}
	free(val);
	return CLI_EXIT_OK;
}

int cli_feed_resolve(struct store *st, const char *arg, int64_t *id)
{
	struct store_feed f = { 0 };
	long v;

	if (util_parse_long(arg, 1, 0x7fffffffL, &v) == 0) {
		if (store_feed_get(st, v, &f) == STORE_OK) {
			*id = f.id;
			store_feed_clear(&f);
			return CLI_EXIT_OK;
		}
		fprintf(stderr, "briefing: no feed with id %ld (see 'briefing feeds list')\n", v);
		return CLI_EXIT_USAGE;
	}
	if (store_feed_find_url(st, arg, &f) == STORE_OK) {
		*id = f.id;
		store_feed_clear(&f);
		return CLI_EXIT_OK;
	}
	fprintf(stderr, "briefing: no feed with URL '%s' (see 'briefing feeds list')\n", arg);
	return CLI_EXIT_USAGE;
}

void cli_print_safe(FILE *f, const char *s)
{
	char *clean;

	if (!s)
		return;
	clean = util_text_sanitize(s, strlen(s), 1);
	if (clean) {
		fputs(clean, f);
		free(clean);
	}
}

const char *cli_opt_value(int argc, char **argv, int *i, const char *name, int *bad)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		fprintf(stderr, "briefing: %s needs a value\n", name);
		*bad = 1;
		return NULL;
	}
	(*i)++;
	return argv[*i];
}

/* [fetch] key as a number in [min, max]; absent = unchanged. */
static int fetch_long(const struct util_config *cfg, const char *key, long min, long max,
		      long *v, char **err)
{
	const char *s = util_config_get(cfg, key);
	if (!s)
		return 0;
	if (util_parse_long(s, min, max, v) != 0) {
		*err = util_strfmt("config: %s = '%s': must be a number from %ld to %ld", key, s, min, max);
		return -1;
	}
	return 0;
}

int cli_fetch_config(const struct util_config *cfg, struct feed_fetch_opts *fo, char **err)
{
	long jobs = fo->jobs, per_host = fo->per_host, total = fo->total_timeout;
	long connect = fo->connect_timeout, body = (long)fo->max_body;

	*err = NULL;
	if (fetch_long(cfg, "fetch.jobs", 1, 64, &jobs, err) ||
	    fetch_long(cfg, "fetch.per_host", 1, 64, &per_host, err) ||
	    fetch_long(cfg, "fetch.timeout", 1, 3600, &total, err) ||
	    fetch_long(cfg, "fetch.connect_timeout", 1, 3600, &connect, err) ||
	    fetch_long(cfg, "fetch.max_body", 1024, 1L << 30, &body, err))
		return -1;
	fo->jobs = (int)jobs;
	fo->per_host = (int)per_host;
	fo->total_timeout = total;
	fo->connect_timeout = connect;
	fo->max_body = (size_t)body;
	const char *ua = util_config_get(cfg, "fetch.user_agent");
	if (ua && *ua)
		fo->user_agent = ua; /* belongs to cfg */
	return 0;
}
