/* test_fetch — feed_fetch_run and feed_update_run against real files
 * (file:// URLs in a mkdtemp directory), a real loopback HTTP server (a
 * small thread below, 127.0.0.1, ephemeral port, canned answers) and a real
 * SQLite store in that directory. The CLI-level behaviour is covered by
 * tests/integration/test_fetch.py; this one runs the library under
 * ASan+UBSan. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feed/feed.h"
#include "store/store.h"
#include "util/util.h"

/* ---- a loopback HTTP server ------------------------------------------------ */

struct route {
	const char *path;
	const char *answer;       /* full response, "%d" replaced by nothing */
	const char *if_etag;      /* when the request carries this If-None-Match ... */
	const char *answer_304;   /* ... send this instead */
};

struct server {
	int fd;
	int port;
	pthread_t thread;
	volatile int stop;
	const struct route *routes;
	size_t n_routes;
	int hits;
	char last_request[2048];
};

static void *serve(void *arg)
{
	struct server *s = arg;
	while (!s->stop) {
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		char req[2048] = "";
		size_t n = 0;
		while (n < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
			struct pollfd pc = { .fd = c, .events = POLLIN };
			if (poll(&pc, 1, 2000) <= 0)
				break;
			ssize_t r = read(c, req + n, sizeof req - 1 - n);
			if (r <= 0)
				break;
			n += (size_t)r;
			req[n] = 0;
		}
		req[n] = 0;
		s->hits++;
		snprintf(s->last_request, sizeof s->last_request, "%s", req);
		const char *answer = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		char path[256] = "";
		sscanf(req, "GET %255s", path);
		for (size_t i = 0; i < s->n_routes; i++) {
			if (strcmp(s->routes[i].path, path))
				continue;
			answer = s->routes[i].answer;
			if (s->routes[i].if_etag) {
				char h[300];
				snprintf(h, sizeof h, "If-None-Match: %s\r\n", s->routes[i].if_etag);
				if (strstr(req, h))
					answer = s->routes[i].answer_304;
			}
		}
		size_t len = strlen(answer), off = 0;
		while (off < len) {
			ssize_t w = write(c, answer + off, len - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		close(c);
	}
	return NULL;
}

static void server_start(struct server *s, const struct route *routes, size_t n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	memset(s, 0, sizeof *s);
	s->routes = routes;
	s->n_routes = n;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->fd, 16), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	s->stop = 1;
	pthread_join(s->thread, NULL);
	close(s->fd);
}

/* ---- fixtures --------------------------------------------------------------- */

struct fx {
	char dir[256];
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	const char *tmp = getenv("TMPDIR");
	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/test_fetch.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	unsetenv("BRIEFING_NOW");
	return 0;
}

static char *write_file(struct fx *f, const char *name, const char *text)
{
	char *path = util_strfmt("%s/%s", f->dir, name);
	assert_non_null(path);
	assert_int_equal(util_file_write(path, text, strlen(text)), 0);
	char *url = util_strfmt("file://%s", path);
	free(path);
	return url;
}

static const char *RSS2 =
	"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Two</title>"
	"<link>http://example.org/</link>"
	"<item><guid>a</guid><title>A</title><link>http://example.org/a?utm_source=x</link>"
	"<pubDate>Mon, 02 Feb 2026 10:00:00 GMT</pubDate></item>"
	"<item><guid>b</guid><title>B</title><link>http://example.org/b</link></item>"
	"</channel></rss>";

/* ---- collecting results ----------------------------------------------------- */

struct got {
	int calls[16];
	int err[16];
	long status[16];
	char *body[16];
	char *error[16];
	char *charset[16];
	char *final_url[16];
	char *permanent[16];
	char *etag[16];
	int64_t retry_after[16];
	const struct feed_fetch_req *base;
};

static void on_result(void *ctx, const struct feed_fetch_req *req, const struct feed_fetch_result *r)
{
	struct got *g = ctx;
	size_t i = (size_t)(req - g->base);
	assert_true(i < 16);
	g->calls[i]++;
	g->err[i] = r->err;
	g->status[i] = r->status;
	g->body[i] = util_strdup(r->body);
	g->error[i] = util_strdup(r->error);
	g->charset[i] = util_strdup(r->charset);
	g->final_url[i] = util_strdup(r->final_url);
	g->permanent[i] = util_strdup(r->permanent_url);
	g->etag[i] = util_strdup(r->etag);
	g->retry_after[i] = r->retry_after;
	if (r->body)
		assert_int_equal(strlen(r->body), r->body_len);
}

static void got_free(struct got *g)
{
	for (int i = 0; i < 16; i++) {
		free(g->body[i]);
		free(g->error[i]);
		free(g->charset[i]);
		free(g->final_url[i]);
		free(g->permanent[i]);
		free(g->etag[i]);
	}
}

/* ---- fetch ------------------------------------------------------------------ */

static void test_defaults(void **state)
{
	(void)state;
	struct feed_fetch_opts o;
	feed_fetch_opts_default(&o);
	assert_int_equal(o.jobs, 8);
	assert_int_equal(o.per_host, 2);
	assert_int_equal(o.connect_timeout, 10);
	assert_int_equal(o.total_timeout, 30);
	assert_int_equal(o.max_body, 8u << 20);
	assert_int_equal(o.max_redirects, 5);
	assert_string_equal(o.user_agent, "briefing/0.1 (+https://github.com/briefing/briefing)");
	assert_null(o.cancel);
}

static void test_files(void **state)
{
	struct fx *f = *state;
	char *u1 = write_file(f, "one.xml", RSS2);
	char *u2 = write_file(f, "big.xml", RSS2);
	char *missing = util_strfmt("file://%s/missing.xml", f->dir);
	struct feed_fetch_req reqs[5] = {
		{ .id = 1, .url = u1 }, { .id = 2, .url = missing }, { .id = 3, .url = "ftp://example.org/x" },
		{ .id = 4, .url = u2 }, { .id = 5, .url = "not a url" },
	};
	struct feed_fetch_opts o;
	struct got g = { .base = reqs };

	feed_fetch_opts_default(&o);
	o.jobs = 2;
	o.max_body = 1024;
	/* big.xml over the cap */
	char *big = malloc(4096);
	memset(big, 'x', 4095);
	big[4095] = 0;
	free(u2);
	u2 = write_file(f, "big.xml", big);
	reqs[3].url = u2;
	free(big);

	assert_int_equal(feed_fetch_run(reqs, 5, &o, on_result, &g), FEED_OK);
	for (int i = 0; i < 5; i++)
		assert_int_equal(g.calls[i], 1);
	assert_int_equal(g.err[0], FEED_OK);
	assert_int_equal(g.status[0], 0);
	assert_string_equal(g.body[0], RSS2);
	assert_string_equal(g.final_url[0], u1);
	assert_null(g.permanent[0]);
	assert_int_equal(g.err[1], FEED_ERR_IO);
	assert_non_null(g.error[1]);
	assert_int_equal(g.err[2], FEED_ERR_IO);
	assert_non_null(strstr(g.error[2], "unsupported URL scheme"));
	assert_int_equal(g.err[3], FEED_ERR_TOO_BIG);
	assert_null(g.body[3]);
	assert_int_equal(g.err[4], FEED_ERR_IO);
	got_free(&g);
	free(u1);
	free(u2);
	free(missing);
}

static void test_cancel(void **state)
{
	struct fx *f = *state;
	char *u = write_file(f, "c.xml", RSS2);
	struct feed_fetch_req reqs[3] = { { .url = u }, { .url = u }, { .url = u } };
	struct feed_fetch_opts o;
	struct got g = { .base = reqs };
	volatile int cancel = 1;

	feed_fetch_opts_default(&o);
	o.cancel = &cancel;
	assert_int_equal(feed_fetch_run(reqs, 3, &o, on_result, &g), FEED_ERR_CANCELLED);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(g.calls[i], 1);
		assert_int_equal(g.err[i], FEED_ERR_CANCELLED);
	}
	got_free(&g);
	free(u);
	assert_int_equal(feed_fetch_run(NULL, 1, NULL, on_result, &g), FEED_ERR_ARG);
}

#define FEED_200 "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=\"ISO-8859-1\"\r\n" \
	"ETag: \"v1\"\r\nConnection: close\r\n\r\n<rss version=\"2.0\"><channel><title>T</title></channel></rss>"

static void test_http(void **state)
{
	(void)state;
	static const struct route routes[] = {
		{ "/feed", FEED_200, "\"v1\"", "HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n" },
		{ "/p1", "HTTP/1.1 301 Moved\r\nLocation: /p2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 0, 0 },
		{ "/p2", "HTTP/1.1 308 Moved\r\nLocation: /feed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 0, 0 },
		{ "/t1", "HTTP/1.1 301 Moved\r\nLocation: /t2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 0, 0 },
		{ "/t2", "HTTP/1.1 307 Moved\r\nLocation: /feed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 0, 0 },
		{ "/loop", "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 0, 0 },
		{ "/busy", "HTTP/1.1 429 Too Many\r\nRetry-After: 120\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 0, 0 },
		{ "/down", "HTTP/1.1 503 Down\r\nRetry-After: Wed, 21 Oct 2026 07:28:00 GMT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 0, 0 },
	};
	struct server s;
	char url[8][64];
	const char *paths[8] = { "/feed", "/p1", "/t1", "/loop", "/busy", "/down", "/nothere", "/feed" };
	struct feed_fetch_req reqs[8];
	struct feed_fetch_opts o;
	struct got g = { .base = reqs };

	server_start(&s, routes, sizeof routes / sizeof routes[0]);
	setenv("BRIEFING_NOW", "1792480000", 1); /* 2026-10-20 07:06:40 UTC */
	for (int i = 0; i < 8; i++) {
		snprintf(url[i], sizeof url[i], "http://127.0.0.1:%d%s", s.port, paths[i]);
		reqs[i] = (struct feed_fetch_req){ .id = i, .url = url[i] };
	}
	reqs[7].etag = "\"v1\"";
	feed_fetch_opts_default(&o);
	o.total_timeout = 10;
	assert_int_equal(feed_fetch_run(reqs, 8, &o, on_result, &g), FEED_OK);
	server_stop(&s);

	for (int i = 0; i < 8; i++)
		assert_int_equal(g.calls[i], 1);
	assert_int_equal(g.err[0], FEED_OK);
	assert_int_equal(g.status[0], 200);
	assert_string_equal(g.charset[0], "ISO-8859-1");
	assert_string_equal(g.etag[0], "\"v1\"");
	assert_non_null(strstr(g.body[0], "<title>T</title>"));
	/* 301 + 308: permanent */
	assert_int_equal(g.err[1], FEED_OK);
	assert_string_equal(g.final_url[1], url[0]);
	assert_string_equal(g.permanent[1], url[0]);
	/* 301 + 307: not */
	assert_int_equal(g.err[2], FEED_OK);
	assert_string_equal(g.final_url[2], url[0]);
	assert_null(g.permanent[2]);
	/* loop */
	assert_int_equal(g.err[3], FEED_ERR_HTTP);
	assert_non_null(strstr(g.error[3], "too many redirects"));
	assert_null(g.permanent[3]);
	/* Retry-After, seconds and date */
	assert_int_equal(g.err[4], FEED_ERR_HTTP);
	assert_int_equal(g.status[4], 429);
	assert_int_equal(g.retry_after[4], 120);
	assert_int_equal(g.status[5], 503);
	assert_int_equal(g.retry_after[5], 1792567680 - 1792480000);
	assert_int_equal(g.status[6], 404);
	assert_string_equal(g.error[6], "HTTP 404");
	assert_int_equal(g.retry_after[6], -1);
	/* conditional GET */
	assert_int_equal(g.err[7], FEED_OK);
	assert_int_equal(g.status[7], 304);
	assert_null(g.body[7]);
	got_free(&g);
}

/* ---- update ----------------------------------------------------------------- */

struct progress_log {
	int calls;
	size_t last_done;
	int errors_seen;
};

static void on_progress(void *ctx, const struct feed_update_progress *p)
{
	struct progress_log *l = ctx;
	l->calls++;
	assert_int_equal(p->done, l->last_done + 1);
	l->last_done = p->done;
	if (p->error)
		l->errors_seen++;
	assert_non_null(p->feed_url);
}

static void test_update(void **state)
{
	struct fx *f = *state;
	char *dbp = util_strfmt("%s/b.db", f->dir);
	struct store *st = NULL;
	char *u1 = write_file(f, "one.xml", RSS2);
	char *u2 = util_strfmt("file://%s/missing.xml", f->dir);
	char *u3 = write_file(f, "html.xml", "<html><body>no</body></html>");
	int64_t id1, id2, id3;
	struct feed_update_opts uo;
	struct feed_update_progress sum;
	struct progress_log log = { 0 };
	const int64_t now = 1790000000;
	char nowbuf[32];

	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	setenv("BRIEFING_NOW", nowbuf, 1);
	assert_int_equal(store_open(dbp, &st, NULL), STORE_OK);
	assert_int_equal(store_feed_add(st, u1, NULL, NULL, NULL, &id1), STORE_OK);
	assert_int_equal(store_feed_add(st, u2, "Missing", NULL, NULL, &id2), STORE_OK);
	assert_int_equal(store_feed_add(st, u3, NULL, NULL, NULL, &id3), STORE_OK);

	memset(&uo, 0, sizeof uo);
	feed_fetch_opts_default(&uo.fetch);
	assert_int_equal(feed_update_run(st, &uo, on_progress, &log, &sum), FEED_OK);
	assert_int_equal(log.calls, 3);
	assert_int_equal(sum.total, 3);
	assert_int_equal(sum.done, 3);
	assert_int_equal(sum.new_items, 2);
	assert_int_equal(sum.errors, 2);
	assert_int_equal(log.errors_seen, 2);

	struct store_feed fd = { 0 };
	assert_int_equal(store_feed_get(st, id1, &fd), STORE_OK);
	assert_string_equal(fd.title, "Two");
	assert_string_equal(fd.site_url, "http://example.org/");
	assert_int_equal(fd.failures, 0);
	assert_null(fd.last_error);
	assert_int_equal(fd.item_count, 2);
	store_feed_clear(&fd);

	struct store_item_query q = { .feed_id = id1 };
	struct store_item *its = NULL;
	size_t n = 0;
	assert_int_equal(store_item_query(st, &q, &its, &n), STORE_OK);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(its[i].guid, "a")) {
			assert_string_equal(its[i].url_norm, "http://example.org/a");
			assert_int_equal(its[i].published, 1770026400); /* pubDate */
		} else {
			assert_int_equal(its[i].published, now); /* no date: fetch time */
		}
	}
	store_items_free(its, n);

	assert_int_equal(store_feed_get(st, id2, &fd), STORE_OK);
	assert_string_equal(fd.title, "Missing");
	assert_int_equal(fd.failures, 1);
	assert_int_equal(fd.next_fetch, now + 900);
	assert_non_null(fd.last_error);
	store_feed_clear(&fd);
	assert_int_equal(store_feed_get(st, id3, &fd), STORE_OK);
	assert_non_null(strstr(fd.last_error, "not a feed"));
	assert_int_equal(fd.item_count, 0);
	store_feed_clear(&fd);

	/* Again: the two failing feeds back off and are skipped; feed 1 is
	 * unchanged. */
	memset(&log, 0, sizeof log);
	assert_int_equal(feed_update_run(st, &uo, on_progress, &log, &sum), FEED_OK);
	assert_int_equal(sum.total, 1);
	assert_int_equal(sum.skipped, 2);
	assert_int_equal(sum.new_items, 0);
	assert_int_equal(sum.updated_items, 0);
	assert_int_equal(sum.errors, 0);

	/* Named: fetched anyway, second failure doubles the wait. */
	memset(&log, 0, sizeof log);
	uo.ids = &id2;
	uo.n_ids = 1;
	assert_int_equal(feed_update_run(st, &uo, on_progress, &log, &sum), FEED_OK);
	assert_int_equal(sum.total, 1);
	assert_int_equal(sum.errors, 1);
	assert_int_equal(store_feed_get(st, id2, &fd), STORE_OK);
	assert_int_equal(fd.failures, 2);
	assert_int_equal(fd.next_fetch, now + 1800);
	store_feed_clear(&fd);

	/* An id that is not a feed. */
	int64_t bogus = 999;
	uo.ids = &bogus;
	assert_int_equal(feed_update_run(st, &uo, NULL, NULL, &sum), FEED_ERR_ARG);
	assert_int_equal(feed_update_run(st, NULL, NULL, NULL, &sum), FEED_ERR_ARG);

	store_close(st);
	free(dbp);
	free(u1);
	free(u2);
	free(u3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
