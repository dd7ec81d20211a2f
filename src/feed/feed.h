/* feed — parse RSS/Atom/OPML, turn HTML into text, resolve URLs, fetch with
 * libcurl multi, and update the store from the network. Never prints or
 * exits: results and errors come back in the structs below. */
#ifndef BRIEFING_FEED_H
#define BRIEFING_FEED_H

#include <stddef.h>
#include <stdint.h>

struct store;

enum feed_err {
	FEED_OK = 0,
	FEED_ERR_NOMEM,
	FEED_ERR_NOT_FEED,    /* parsed, but no rss/rdf/feed root */
	FEED_ERR_PARSE,       /* not XML at all / nothing recoverable */
	FEED_ERR_IO,          /* file or network */
	FEED_ERR_HTTP,        /* non-2xx status */
	FEED_ERR_TOO_BIG,     /* body over the cap */
	FEED_ERR_ARG,         /* bad argument */
	FEED_ERR_STORE,       /* the store refused */
	FEED_ERR_CANCELLED,
};
const char *feed_strerror(int err);

enum feed_format {
	FEED_FMT_UNKNOWN = 0,
	FEED_FMT_RSS090,      /* RDF with the 0.90 namespace */
	FEED_FMT_RSS091,
	FEED_FMT_RSS092,
	FEED_FMT_RSS094,
	FEED_FMT_RSS20,
	FEED_FMT_RSS10,       /* RDF */
	FEED_FMT_ATOM03,
	FEED_FMT_ATOM10,
};
const char *feed_format_name(enum feed_format f); /* "rss20", "atom10", ... */

/* ---- parse (parse.c) ----------------------------------------------------
 * All strings are owned by the doc, valid UTF-8, sanitised (no control
 * characters or escape sequences), NULL when absent. Text fields (title,
 * author, summary, content) are plain text: HTML already turned into text.
 * Links are absolute (resolved against xml:base and the feed URL). */
struct feed_entry {
	char *guid;           /* id/guid as written; NULL if the feed has none */
	char *link;
	char *title;
	char *author;
	char *summary;
	char *content;
	int64_t published;    /* UTC seconds; 0 = none (pubDate, dc:date, published, issued) */
	int64_t updated;      /* UTC seconds; 0 = none (atom updated/modified) */
};

struct feed_doc {
	enum feed_format format;
	char *title;
	char *link;           /* the site's link (alternate), absolute */
	char *description;    /* subtitle/tagline/description, as text */
	char *encoding;       /* the encoding the bytes were read as, e.g. "UTF-8" */
	int well_formed;      /* 1 if libxml2 reported no error */
	char *error;          /* first parse error ("line 3: ..."), NULL if none */
	struct feed_entry *entries;
	size_t n_entries;
};

/* Parse a feed from memory. base_url (may be NULL) resolves relative links;
 * http_charset (may be NULL) is the charset from Content-Type, which wins
 * over the XML declaration. No network access and no external entities;
 * internal ones are expanded within a budget (64 KiB of entity text per
 * document).
 * Ill-formed XML is recovered where possible (well_formed = 0, error set).
 * On success *out is a new doc (free with feed_doc_free).
 *
 * Bounded, whatever the bytes or their DTD: parsing N bytes takes O(N) time
 * and memory, and the doc's strings hold at most FEED_PARSE_OUT_MAX(N)
 * bytes in all. What would pass a bound (entity text past the budget, an
 * attribute value over 64 KiB, values read, or copied and resolved, past
 * 4 N bytes each, an entity that would expand past 1 MiB, a start tag with
 * more than 256 attributes, more than 256 namespaces in scope) is dropped,
 * and the doc says so (well_formed = 0, error set); attribute defaults
 * declared in the DTD are never applied. The same holds for
 * feed_opml_parse. */
#define FEED_PARSE_OUT_MAX(n) ((size_t)8 * (n) + ((size_t)1 << 20))
int feed_parse_buffer(const char *buf, size_t len, const char *base_url,
		      const char *http_charset, struct feed_doc **out);
/* The same, and when the result is FEED_ERR_PARSE or FEED_ERR_NOT_FEED,
 * *errmsg (if errmsg is non-NULL) gets a message saying why ("line 1:
 * Start tag expected, '<' not found", "root element <html> is not rss,
 * rdf:RDF or feed"); caller frees. */
int feed_parse_buffer_ex(const char *buf, size_t len, const char *base_url,
			 const char *http_charset, struct feed_doc **out, char **errmsg);
/* feed_parse_buffer_ex that gives up, returning FEED_ERR_CANCELLED with
 * *out NULL, once *cancel or *stop (either may be NULL) is non-zero: seen
 * between its stages, at every element and text libxml2 reads, and between
 * entries. feed_update_run parses this way with its cancel flags. */
int feed_parse_buffer_cancellable(const char *buf, size_t len, const char *base_url,
				  const char *http_charset, volatile int *cancel, volatile int *stop,
				  struct feed_doc **out, char **errmsg);
void feed_doc_free(struct feed_doc *doc);

/* ---- HTML to text (html.c) ----------------------------------------------
 * Entities decoded, tags dropped, block elements (p, div, br, li, h1-6,
 * blockquote, pre, tr...) become paragraph breaks ("\n\n", br a "\n"),
 * script/style/head/noscript/iframe/object content dropped, whitespace
 * collapsed, result sanitised. Returns a new string (caller frees), or NULL
 * on allocation failure. */
char *feed_html_to_text(const char *html, size_t len);
/* Heuristic: does s look like it holds markup or entities? */
int feed_html_looks_like(const char *s);

/* ---- URLs (url.c) ------------------------------------------------------- */
/* RFC 3986 reference resolution. base may be NULL (ref returned as is).
 * Returns a new string (caller frees). */
char *feed_url_resolve(const char *base, const char *ref);
/* Normalised form for dedupe: scheme/host lower-cased, default port,
 * fragment, and tracking parameters (utm_*, fbclid, gclid) dropped, empty
 * path -> "/". Caller frees. */
char *feed_url_normalize(const char *url);
/* Lower-cased host of url into out (NUL-terminated); 0 ok, -1 none. */
int feed_url_host(const char *url, char *out, size_t size);
/* The one policy for a feed's URL (feeds add, feeds import, the reader's
 * a): http:// or https:// with a host, or, when allow_file (the user
 * typed it), file:// with an absolute path; no spaces or control
 * characters, at most 4096 bytes. NULL when acceptable, else why (static). */
const char *feed_url_refusal(const char *url, int allow_file);
/* What a user typed as a feed: a URL as is, a path to an existing file as
 * its file:// URL; NULL when it is neither (or out of memory). */
char *feed_url_from_user(const char *arg);

/* ---- OPML (opml.c) ------------------------------------------------------ */
struct feed_opml_entry {
	char *url;            /* xmlUrl */
	char *title;          /* title or text */
	char *site;           /* htmlUrl, may be NULL */
	char *category;       /* enclosing outline's title, may be NULL */
};
/* Parse OPML 1.0/2.0; nested outlines flattened (category = parent title).
 * Entries without xmlUrl are skipped. *out (array, free with
 * feed_opml_free). FEED_ERR_PARSE if there is no opml/body. Bounded as
 * feed_parse_buffer is: O(len) time and memory, at most
 * FEED_PARSE_OUT_MAX(len) bytes of strings (a value past a budget is
 * dropped: an entry whose xmlUrl is dropped is skipped). */
int feed_opml_parse(const char *buf, size_t len, struct feed_opml_entry **out, size_t *n);
/* The same; on FEED_ERR_PARSE *errmsg (if errmsg is non-NULL) says why
 * ("no <body> in <opml>", "root element <x> is not opml", "line 3: ...");
 * on FEED_OK it is the first problem of a list read only in part (ill-formed
 * XML recovered), else NULL. Caller frees. */
int feed_opml_parse_ex(const char *buf, size_t len, struct feed_opml_entry **out, size_t *n,
		       char **errmsg);
void feed_opml_free(struct feed_opml_entry *e, size_t n);
/* Write OPML 2.0, grouped by category. Returns a new string (caller frees). */
char *feed_opml_write(const struct feed_opml_entry *e, size_t n, const char *title);

/* ---- fetch (fetch.c) ----------------------------------------------------
 * libcurl multi. Transfers run in parallel (jobs), at most per_host at
 * once per host (host:port; queued transfers wait outside libcurl, so their
 * timeouts have not started), redirects followed one hop at a time (max
 * max_redirects, http/https targets only; each hop gets what is left of
 * total_timeout), gzip/deflate accepted, conditional GET from
 * etag/last_modified (sent on every hop), bodies over max_body aborted while
 * they arrive. file:// URLs are read from disk (the file protocol is enabled
 * only for a request whose URL is file://). User-Agent: user_agent.
 * The callback runs on the calling thread as each transfer ends, exactly once
 * per request (FEED_ERR_CANCELLED for those not done when cancelled); req
 * points into the caller's reqs array. The result and its strings belong to
 * the fetcher and are freed after the callback returns. curl_global_init is
 * done once (thread-safe) by the first call. */
struct feed_fetch_req {
	int64_t id;           /* caller's tag (the feed id) */
	const char *url;
	const char *etag;           /* may be NULL */
	const char *last_modified;  /* may be NULL */
};

struct feed_fetch_result {
	int err;              /* FEED_OK, FEED_ERR_IO (network, timeout, file), FEED_ERR_HTTP
			       * (non-2xx/304, too many redirects), FEED_ERR_TOO_BIG,
			       * FEED_ERR_CANCELLED, FEED_ERR_NOMEM */
	long status;          /* HTTP status (200, 304, ...); 0 for file:// or no response */
	char *error;          /* human message when err != FEED_OK */
	char *body;           /* decoded body (NUL-terminated), NULL if none (304, errors) */
	size_t body_len;
	char *etag;           /* new validators, NULL if not sent */
	char *last_modified;
	char *content_type;
	char *charset;        /* from Content-Type, NULL if none */
	char *final_url;      /* after redirects (the request URL if none) */
	char *permanent_url;  /* set (= final_url) when err == FEED_OK, there was at
			       * least one redirect, and every hop was 301/308 */
	int64_t retry_after;  /* seconds from Retry-After (delta or HTTP date) on
			       * 429/503, -1 if none */
	double seconds;       /* wall time of the transfer */
};

struct feed_fetch_opts {
	int jobs;             /* parallel transfers (default 8) */
	int per_host;         /* default 2 */
	long connect_timeout; /* seconds, default 10 */
	long total_timeout;   /* seconds, default 30 (whole redirect chain) */
	size_t max_body;      /* bytes, default 8 MiB (decoded size) */
	int max_redirects;    /* default 5 */
	const char *user_agent; /* default "briefing/0.1 (+https://github.com/briefing/briefing)" */
	volatile int *cancel; /* if non-NULL and set, stop early */
	volatile int *stop;   /* a second flag with the same effect, for a caller
			       * (feed_update_run) that stops from its callback
			       * while the user's flag stays theirs */
};
void feed_fetch_opts_default(struct feed_fetch_opts *o);

typedef void (*feed_fetch_cb)(void *ctx, const struct feed_fetch_req *req,
			      const struct feed_fetch_result *res);
/* Returns FEED_OK when every request was reported (whatever its own
 * outcome), FEED_ERR_CANCELLED when a flag stopped the run, FEED_ERR_ARG,
 * FEED_ERR_NOMEM, or FEED_ERR_IO when libcurl cannot start. */
int feed_fetch_run(const struct feed_fetch_req *reqs, size_t n,
		   const struct feed_fetch_opts *opts, feed_fetch_cb cb, void *ctx);

/* ---- update (update.c): fetch -> parse -> store ------------------------
 * One transaction per feed (entries upserted with url_norm =
 * feed_url_normalize(link), published = published, else updated, else the
 * fetch time; then the fetch recorded), so an interrupted run keeps every
 * feed it finished and never half of one. A failing feed keeps its items and
 * gets last_status, last_error, failures + 1 and next_fetch = now +
 * min(15 min * 2^(failures-1), 24 h), or later if Retry-After says so; a
 * success (304 included) resets failures. Ill-formed XML with entries
 * recovered: entries stored, the parse error recorded in last_error (and
 * counted in failures) without backoff, reported as a warning, not an error.
 * The feed's title is filled from the document while unknown; site_url
 * follows it; a permanent redirect moves the stored URL. Feeds whose
 * next_fetch is in the future are skipped unless force or named in ids.
 * Progress is reported through the callback after every feed (its strings
 * are valid during the call only). */
struct feed_update_progress {
	size_t done, total;   /* total: feeds being fetched (skipped ones not counted) */
	size_t new_items, updated_items;
	size_t errors, not_modified, skipped;
	int64_t feed_id;      /* the feed just finished */
	const char *feed_url;
	const char *error;    /* that feed's error, NULL if it went well */
	size_t warnings;      /* feeds stored with a warning (ill-formed XML) */
	const char *warning;  /* that feed's warning, NULL if none */
};
typedef void (*feed_update_cb)(void *ctx, const struct feed_update_progress *p);

struct feed_update_opts {
	struct feed_fetch_opts fetch;
	const int64_t *ids;   /* only these feeds (NULL = all) */
	size_t n_ids;
	int force;            /* ignore next-allowed-fetch */
};
/* Returns FEED_OK when the run completed (individual feed errors are
 * counted in the final progress, *out if non-NULL), FEED_ERR_CANCELLED when
 * opts->fetch.cancel stopped it, even in the middle of a feed's parse
 * (feeds finished so far are stored),
 * FEED_ERR_STORE when the database refused a write (the run stops there),
 * FEED_ERR_ARG for an id that is not a feed. */
int feed_update_run(struct store *st, const struct feed_update_opts *opts,
		    feed_update_cb cb, void *ctx, struct feed_update_progress *out);

#endif
