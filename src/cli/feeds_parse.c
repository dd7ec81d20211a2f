/* briefing feeds parse FILE|URL [--json] — parse one feed and show what the
 * parser made of it: a debugging aid, and the way tests hold the parser to
 * the corpus. Needs no database. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli_int.h"
#include "feed/feed.h"
#include "util/util.h"

#define MAX_FEED_FILE (64u * 1024 * 1024)

static void parse_usage(FILE *f)
{
	fprintf(f, "usage: briefing feeds parse FILE|URL [--url BASE] [--json]\n"
		   "  --url BASE  resolve relative links against BASE, as fetch does against\n"
		   "              the feed's URL (default: the URL given, none for a file)\n");
}

/* A hard error: said on stderr, and with --json also as a JSON object on
 * stdout so a script reading it gets an answer. Returns rc. */
static int fail(int json, const char *src, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(int json, const char *src, int rc, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fputs("briefing: ", stderr);
	cli_print_safe(stderr, msg);
	fputc('\n', stderr);
	if (json) {
		fputs("{\"source\": ", stdout);
		cli_json_string(stdout, src);
		fputs(", \"error\": ", stdout);
		cli_json_string(stdout, msg);
		fputs("}\n", stdout);
		fflush(stdout);
	}
	return rc;
}


static void json_time(FILE *f, int64_t t)
{
	char buf[40];
	if (!t) {
		fputs("null", f);
		return;
	}
	cli_json_string(f, util_time_iso(t, buf, sizeof(buf)));
}

static void print_json(FILE *f, const struct feed_doc *d)
{
	fputs("{\"title\": ", f);
	cli_json_string(f, d->title);
	fputs(", \"link\": ", f);
	cli_json_string(f, d->link);
	fputs(", \"format\": ", f);
	cli_json_string(f, feed_format_name(d->format));
	fputs(", \"encoding\": ", f);
	cli_json_string(f, d->encoding);
	fprintf(f, ", \"well_formed\": %s, \"error\": ", d->well_formed ? "true" : "false");
	cli_json_string(f, d->error);
	fputs(", \"entries\": [", f);
	for (size_t i = 0; i < d->n_entries; i++) {
		const struct feed_entry *e = &d->entries[i];
		fputs(i ? ",\n  {\"guid\": " : "\n  {\"guid\": ", f);
		cli_json_string(f, e->guid);
		fputs(", \"link\": ", f);
		cli_json_string(f, e->link);
		fputs(", \"title\": ", f);
		cli_json_string(f, e->title);
		fputs(", \"author\": ", f);
		cli_json_string(f, e->author);
		fputs(", \"published\": ", f);
		json_time(f, e->published);
		fputs(", \"updated\": ", f);
		json_time(f, e->updated);
		fputs(", \"summary\": ", f);
		cli_json_string(f, e->summary);
		fputs(", \"content\": ", f);
		cli_json_string(f, e->content);
		fputc('}', f);
	}
	fputs(d->n_entries ? "\n]}\n" : "]}\n", f);
}

static void field(FILE *f, const char *indent, const char *name, const char *v)
{
	fprintf(f, "%s%-12s ", indent, name);
	if (v)
		cli_print_safe(f, v);
	else
		fputs("-", f);
	fputc('\n', f);
}

static void time_field(FILE *f, const char *indent, const char *name, int64_t t)
{
	char buf[40];
	field(f, indent, name, t ? util_time_iso(t, buf, sizeof(buf)) : NULL);
}

/* Multi-line text, each line indented. */
static void block(FILE *f, const char *name, const char *v)
{
	if (!v)
		return;
	fprintf(f, "    %s:\n", name);
	char *clean = util_text_sanitize(v, strlen(v), 1);
	if (!clean)
		return;
	for (char *line = clean, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		fprintf(f, "%s%s\n", *line ? "      " : "", line);
	}
	free(clean);
}

static void print_text(FILE *f, const struct feed_doc *d)
{
	field(f, "", "title:", d->title);
	field(f, "", "link:", d->link);
	field(f, "", "format:", feed_format_name(d->format));
	field(f, "", "encoding:", d->encoding);
	field(f, "", "well_formed:", d->well_formed ? "yes" : "no");
	field(f, "", "error:", d->error);
	fprintf(f, "%-12s %zu\n", "entries:", d->n_entries);
	for (size_t i = 0; i < d->n_entries; i++) {
		const struct feed_entry *e = &d->entries[i];
		fprintf(f, "\n[%zu] ", i + 1);
		cli_print_safe(f, e->title ? e->title : "(no title)");
		fputc('\n', f);
		field(f, "    ", "guid:", e->guid);
		field(f, "    ", "link:", e->link);
		field(f, "    ", "author:", e->author);
		time_field(f, "    ", "published:", e->published);
		time_field(f, "    ", "updated:", e->updated);
		block(f, "summary", e->summary);
		block(f, "content", e->content);
	}
}

/* ---- getting the bytes ------------------------------------------------- */

struct fetched {
	int done;
	int err;
	char *error;
	char *body;
	size_t len;
	char *charset;
	char *final_url;
};

static void on_fetched(void *ctx, const struct feed_fetch_req *req,
		       const struct feed_fetch_result *res)
{
	struct fetched *f = ctx;
	(void)req;
	f->done = 1;
	f->err = res->err;
	f->error = util_strdup(res->error);
	if (res->body) {
		f->body = malloc(res->body_len + 1);
		if (f->body) {
			memcpy(f->body, res->body, res->body_len);
			f->body[res->body_len] = 0;
			f->len = res->body_len;
		}
	}
	f->charset = util_strdup(res->charset);
	f->final_url = util_strdup(res->final_url);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* file:///path or file://localhost/path -> /path (percent-decoded). */
static char *file_url_path(const char *url)
{
	const char *p = url + 7;
	if (!strncasecmp(p, "localhost", 9))
		p += 9;
	if (*p != '/')
		return NULL;
	char *out = malloc(strlen(p) + 1);
	if (!out)
		return NULL;
	size_t k = 0;
	for (; *p && *p != '?' && *p != '#'; p++) {
		int a, b;
		if (*p == '%' && (a = hexval(p[1])) >= 0 && (b = hexval(p[2])) >= 0) {
			out[k++] = (char)(a * 16 + b);
			p += 2;
		} else {
			out[k++] = *p;
		}
	}
	out[k] = 0;
	return out;
}

int cli_feeds_parse_main(const struct cli_global *g, int argc, char **argv)
{
	(void)g;
	const char *src = NULL, *base_arg = NULL;
	int json = 0, bad = 0;
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if ((v = cli_opt_value(argc, argv, &i, "--url", &bad))) {
			if (feed_url_refusal(v, 1)) {
				fprintf(stderr, "briefing: feeds parse: --url wants an http(s) or file URL, "
					"not '%s'\n", v);
				return CLI_EXIT_USAGE;
			}
			base_arg = v;
		} else if (bad) {
			return CLI_EXIT_USAGE;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			parse_usage(stdout);
			return CLI_EXIT_OK;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "briefing: feeds parse: unknown option '%s'\n", argv[i]);
			parse_usage(stderr);
			return CLI_EXIT_USAGE;
		} else if (src) {
			fprintf(stderr, "briefing: feeds parse: one FILE or URL only\n");
			parse_usage(stderr);
			return CLI_EXIT_USAGE;
		} else {
			src = argv[i];
		}
	}
	if (!src) {
		parse_usage(stderr);
		return CLI_EXIT_USAGE;
	}

	char *body = NULL, *charset = NULL, *base = NULL, *path = NULL;
	size_t len = 0;
	int rc = CLI_EXIT_OK;
	if (!strncasecmp(src, "http://", 7) || !strncasecmp(src, "https://", 8)) {
		struct feed_fetch_req req = { .id = 1, .url = src };
		struct feed_fetch_opts opts;
		struct fetched f = { 0 };
		feed_fetch_opts_default(&opts);
		int frc = feed_fetch_run(&req, 1, &opts, on_fetched, &f);
		if (frc != FEED_OK || !f.done || f.err != FEED_OK || !f.body) {
			rc = fail(json, src, CLI_EXIT_FAIL, "cannot fetch %s: %s", src,
				  f.error ? f.error : feed_strerror(frc != FEED_OK ? frc : f.done ? f.err : FEED_ERR_IO));
			free(f.error);
			free(f.body);
			free(f.charset);
			free(f.final_url);
			return rc;
		}
		free(f.error);
		body = f.body;
		len = f.len;
		charset = f.charset;
		base = f.final_url ? f.final_url : util_strdup(src);
	} else {
		if (!strncasecmp(src, "file://", 7)) {
			path = file_url_path(src);
			if (!path)
				return fail(json, src, CLI_EXIT_IO, "cannot read %s: not a local file URL", src);
		}
		if (util_file_read(path ? path : src, MAX_FEED_FILE, &body, &len) != 0) {
			rc = fail(json, src, CLI_EXIT_IO, "cannot read %s: %s", src, strerror(errno));
			free(path);
			return rc;
		}
		/* links resolve against the feed's URL as fetch would see it:
		 * the file:// URL feeds add stores for this file */
		base = path ? util_strdup(src) : feed_url_from_user(src);
	}

	if (base_arg) {
		free(base);
		base = util_strdup(base_arg);
	}
	struct feed_doc *doc = NULL;
	char *why = NULL;
	int prc = feed_parse_buffer_ex(body, len, base, charset, &doc, &why);
	if (prc == FEED_ERR_PARSE || prc == FEED_ERR_NOT_FEED) {
		rc = fail(json, src, CLI_EXIT_FAIL, "%s: not a feed: %s", src,
			  why ? why : feed_strerror(prc));
	} else if (prc != FEED_OK) {
		rc = fail(json, src, CLI_EXIT_FAIL, "%s: %s", src, feed_strerror(prc));
	} else {
		if (json)
			print_json(stdout, doc);
		else
			print_text(stdout, doc);
		if (!doc->well_formed && doc->error && !json) {
			fprintf(stderr, "briefing: %s: not well-formed, recovered %zu entries: ", src, doc->n_entries);
			cli_print_safe(stderr, doc->error);
			fputc('\n', stderr);
		}
		if (fflush(stdout) != 0)
			rc = CLI_EXIT_IO;
	}
	feed_doc_free(doc);
	free(why);
	free(body);
	free(charset);
	free(base);
	free(path);
	return rc;
}
