/* fetch — many feeds at once with libcurl multi.
 *
 * Our own scheduler sits in front of the multi handle: at most opts->jobs
 * transfers run at once and at most opts->per_host to one host (host:port);
 * the rest wait in a queue, so no transfer's timeout starts while it waits.
 * Redirects are followed here, not by libcurl, one hop at a time through the
 * same queue: that lets us check every hop's scheme (http/https only), keep
 * the per-host limit for the new host, and tell a permanent move (every hop
 * 301/308) from a temporary one. A hop's timeout is what is left of the
 * transfer's total. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "feed/feed.h"
#include "util/util.h"

#define DEFAULT_UA "briefing/0.1 (+https://github.com/briefing/briefing)"
#define POLL_MS 100 /* how often the cancel flags are looked at while idle */

struct xfer {
	const struct feed_fetch_req *req;
	CURL *h;
	struct curl_slist *hdrs;
	char *url;            /* this hop's URL */
	char host[300];       /* "host:port" of this hop; "" for file:// */
	int is_file;
	int hops;             /* redirects followed so far */
	int permanent;        /* every hop so far was 301/308 */
	int too_big;          /* the write callback refused the body */
	int slot;             /* index in fetcher.running while running */
	size_t max_body;
	struct util_buf body;
	double t0;            /* monotonic start of the first hop, 0 = not started */
	char errbuf[CURL_ERROR_SIZE];
	struct xfer *next;    /* queue link */
};

struct host_slot {
	char host[300];
	int active;
};

struct fetcher {
	const struct feed_fetch_opts *o;
	CURLM *multi;
	struct xfer *queue_head, *queue_tail;
	struct host_slot *hosts;
	size_t n_hosts, cap_hosts;
	struct xfer **running;  /* the transfers in the multi handle (jobs slots) */
	int active;
	feed_fetch_cb cb;
	void *ctx;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void feed_fetch_opts_default(struct feed_fetch_opts *o)
{
	memset(o, 0, sizeof *o);
	o->jobs = 8;
	o->per_host = 2;
	o->connect_timeout = 10;
	o->total_timeout = 30;
	o->max_body = (size_t)8 << 20;
	o->max_redirects = 5;
	o->user_agent = DEFAULT_UA;
	o->cancel = NULL;
	o->stop = NULL;
}

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cancelled(const struct feed_fetch_opts *o)
{
	return (o->cancel && *o->cancel) || (o->stop && *o->stop);
}

/* ---- per-host accounting ------------------------------------------------ */

static struct host_slot *host_find(struct fetcher *f, const char *host, int create)
{
	for (size_t i = 0; i < f->n_hosts; i++)
		if (!strcmp(f->hosts[i].host, host))
			return &f->hosts[i];
	if (!create)
		return NULL;
	if (f->n_hosts == f->cap_hosts) {
		size_t cap = f->cap_hosts ? f->cap_hosts * 2 : 16;
		struct host_slot *n = realloc(f->hosts, cap * sizeof *n);
		if (!n)
			return NULL;
		f->hosts = n;
		f->cap_hosts = cap;
	}
	struct host_slot *s = &f->hosts[f->n_hosts++];
	snprintf(s->host, sizeof s->host, "%s", host);
	s->active = 0;
	return s;
}

/* "host:port" (lower-cased, default port filled in) of url into x->host;
 * file:// gets "". Returns 0, -1 if the URL does not parse. */
static int url_hostkey(const char *url, char *out, size_t size, int *is_file)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;

	if (!u)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto done;
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		goto done;
	*is_file = !strcasecmp(scheme, "file");
	if (*is_file) {
		out[0] = 0;
		rc = 0;
		goto done;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto done;
	snprintf(out, size, "%s:%s", host, port);
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	rc = 0;
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

static int scheme_is_http(const char *url)
{
	return !strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8);
}

/* ---- callbacks from libcurl --------------------------------------------- */

/* Body bytes (already decoded from gzip/deflate). The cap is checked here,
 * while writing: returning short aborts the transfer. */
static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nmemb;

	if (n > x->max_body || x->body.len > x->max_body - n) {
		x->too_big = 1;
		return 0;
	}
	if (util_buf_append(&x->body, data, n) != 0)
		return 0;
	return n;
}

/* ---- queue -------------------------------------------------------------- */

static void queue_push(struct fetcher *f, struct xfer *x, int front)
{
	x->next = NULL;
	if (!f->queue_head) {
		f->queue_head = f->queue_tail = x;
	} else if (front) {
		x->next = f->queue_head;
		f->queue_head = x;
	} else {
		f->queue_tail->next = x;
		f->queue_tail = x;
	}
}

/* ---- results ------------------------------------------------------------ */

static char *header_value(CURL *h, const char *name)
{
	struct curl_header *hd = NULL;
	if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK || !hd || !hd->value)
		return NULL;
	char *v = util_strdup(hd->value);
	if (v && !*util_str_trim(v)) {
		free(v);
		return NULL;
	}
	return v;
}

/* charset parameter of a Content-Type, unquoted; NULL if none. */
static char *content_charset(const char *ct)
{
	const char *p = ct;
	while (p && (p = strchr(p, ';'))) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!strncasecmp(p, "charset", 7)) {
			const char *v = p + 7;
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v != '=')
				continue;
			v++;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t n;
			if (*v == '"') {
				v++;
				n = strcspn(v, "\"");
			} else {
				n = strcspn(v, " \t;");
			}
			return n ? util_strndup(v, n) : NULL;
		}
	}
	return NULL;
}

/* Retry-After: delta-seconds or an HTTP date. -1 if absent or unreadable. */
static int64_t retry_after(CURL *h)
{
	char *v = header_value(h, "Retry-After");
	int64_t out = -1;
	long secs;

	if (!v)
		return -1;
	if (util_parse_long(v, 0, 0x7fffffffL, &secs) == 0) {
		out = secs;
	} else {
		int64_t t;
		if (util_time_parse(v, &t) == 0) {
			int64_t now = util_time_now();
			out = t > now ? t - now : 0;
		}
	}
	free(v);
	return out;
}

static void result_free(struct feed_fetch_result *r)
{
	free(r->body);
	free(r->error);
	free(r->etag);
	free(r->last_modified);
	free(r->content_type);
	free(r->charset);
	free(r->final_url);
	free(r->permanent_url);
}

static void xfer_free(struct xfer *x)
{
	if (!x)
		return;
	if (x->h)
		curl_easy_cleanup(x->h);
	curl_slist_free_all(x->hdrs);
	free(x->url);
	util_buf_free(&x->body);
	free(x);
}

/* Hand one finished transfer to the caller, then free it. */
static void deliver(struct fetcher *f, struct xfer *x, struct feed_fetch_result *r)
{
	if (!r->final_url)
		r->final_url = util_strdup(x->url);
	if (r->err == FEED_OK && x->hops > 0 && x->permanent)
		r->permanent_url = util_strdup(x->url);
	r->seconds = x->t0 > 0 ? now_mono() - x->t0 : 0;
	f->cb(f->ctx, x->req, r);
	result_free(r);
	xfer_free(x);
}

static void deliver_error(struct fetcher *f, struct xfer *x, int err, long status, char *msg)
{
	struct feed_fetch_result r = { .err = err, .status = status, .retry_after = -1 };
	r.error = msg ? msg : util_strdup(feed_strerror(err));
	deliver(f, x, &r);
}

/* ---- starting a hop ----------------------------------------------------- */

/* Configure x->h for x->url. Returns 0, or -1 with *msg set. */
static int hop_setup(struct fetcher *f, struct xfer *x, char **msg)
{
	const struct feed_fetch_opts *o = f->o;
	double left = (double)o->total_timeout;

	if (x->t0 > 0)
		left -= now_mono() - x->t0;
	if (left <= 0.001) {
		*msg = util_strfmt("timed out after %ld s (following redirects)", o->total_timeout);
		return -1;
	}
	if (!x->h) {
		x->h = curl_easy_init();
		if (!x->h) {
			*msg = util_strdup("cannot start a transfer (out of memory)");
			return -1;
		}
		curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
		curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_write);
		curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
		curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
		curl_easy_setopt(x->h, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(x->h, CURLOPT_ACCEPT_ENCODING, "");
		curl_easy_setopt(x->h, CURLOPT_USERAGENT, o->user_agent ? o->user_agent : DEFAULT_UA);
		curl_easy_setopt(x->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_body);
		curl_easy_setopt(x->h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(x->h, CURLOPT_TCP_KEEPALIVE, 1L);
		/* Conditional GET, sent on every hop: the stored validators belong
		 * to the response we got at the end of the chain last time. */
		if (!x->is_file) {
			struct curl_slist *l = NULL, *t;
			char *line;
			if (x->req->etag && *x->req->etag) {
				line = util_strfmt("If-None-Match: %s", x->req->etag);
				if (line && (t = curl_slist_append(l, line)))
					l = t;
				free(line);
			}
			if (x->req->last_modified && *x->req->last_modified) {
				line = util_strfmt("If-Modified-Since: %s", x->req->last_modified);
				if (line && (t = curl_slist_append(l, line)))
					l = t;
				free(line);
			}
			x->hdrs = l;
			curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, l);
		}
	}
	/* file:// only for a feed that is a file:// URL; redirects never
	 * reach here with anything but http/https. */
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, x->is_file ? "file" : "http,https");
	curl_easy_setopt(x->h, CURLOPT_URL, x->url);
	long total_ms = (long)(left * 1000.0);
	long conn_ms = o->connect_timeout * 1000L;
	if (total_ms < 1)
		total_ms = 1;
	if (conn_ms <= 0 || conn_ms > total_ms)
		conn_ms = total_ms;
	curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, total_ms);
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS, conn_ms);
	util_buf_reset(&x->body);
	x->too_big = 0;
	x->errbuf[0] = 0;
	return 0;
}

/* Start queued transfers while there is room: jobs in all, per_host per
 * host. The queue is scanned in order, skipping hosts that are full. */
static void fill_slots(struct fetcher *f)
{
	struct xfer *prev = NULL, *x = f->queue_head;
	int jobs = f->o->jobs > 0 ? f->o->jobs : 8;
	int per_host = f->o->per_host > 0 ? f->o->per_host : 2;

	while (x && f->active < jobs) {
		struct host_slot *hs = NULL;
		struct xfer *next = x->next;
		if (x->host[0]) {
			hs = host_find(f, x->host, 1);
			if (hs && hs->active >= per_host) {
				prev = x;
				x = next;
				continue;
			}
		}
		/* unlink */
		if (prev)
			prev->next = next;
		else
			f->queue_head = next;
		if (f->queue_tail == x)
			f->queue_tail = prev;
		x->next = NULL;

		char *msg = NULL;
		if (hop_setup(f, x, &msg) != 0) {
			deliver_error(f, x, FEED_ERR_IO, 0, msg);
		} else {
			if (x->t0 <= 0)
				x->t0 = now_mono();
			CURLMcode mc = curl_multi_add_handle(f->multi, x->h);
			if (mc != CURLM_OK) {
				deliver_error(f, x, FEED_ERR_IO, 0,
					      util_strfmt("cannot start transfer: %s", curl_multi_strerror(mc)));
			} else {
				for (int i = 0; i < jobs; i++)
					if (!f->running[i]) {
						f->running[i] = x;
						x->slot = i;
						break;
					}
				f->active++;
				if (hs)
					hs->active++;
			}
		}
		x = next;
	}
}

/* ---- finishing a hop ---------------------------------------------------- */

static void hop_done(struct fetcher *f, struct xfer *x, CURLcode code)
{
	const struct feed_fetch_opts *o = f->o;
	long status = 0;

	curl_multi_remove_handle(f->multi, x->h);
	f->running[x->slot] = NULL;
	f->active--;
	if (x->host[0]) {
		struct host_slot *hs = host_find(f, x->host, 0);
		if (hs && hs->active > 0)
			hs->active--;
	}
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);

	if (x->too_big || code == CURLE_FILESIZE_EXCEEDED) {
		deliver_error(f, x, FEED_ERR_TOO_BIG, status,
			      util_strfmt("response larger than %zu bytes; transfer aborted", x->max_body));
		return;
	}
	if (code != CURLE_OK) {
		char *msg;
		if (code == CURLE_OPERATION_TIMEDOUT)
			msg = util_strfmt("timed out (%s)", x->errbuf[0] ? x->errbuf : curl_easy_strerror(code));
		else
			msg = util_strdup(x->errbuf[0] ? x->errbuf : curl_easy_strerror(code));
		deliver_error(f, x, FEED_ERR_IO, status, msg);
		return;
	}
	if (x->is_file)
		status = 0;

	if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
		char *loc = NULL;
		curl_easy_getinfo(x->h, CURLINFO_REDIRECT_URL, &loc);
		if (!loc || !*loc) {
			deliver_error(f, x, FEED_ERR_HTTP, status,
				      util_strfmt("HTTP %ld without a Location", status));
			return;
		}
		if (x->hops >= o->max_redirects) {
			deliver_error(f, x, FEED_ERR_HTTP, status,
				      util_strfmt("too many redirects (more than %d); last to %s",
						  o->max_redirects, loc));
			return;
		}
		if (!scheme_is_http(loc)) {
			deliver_error(f, x, FEED_ERR_HTTP, status,
				      util_strfmt("redirect to a URL that is not http or https: %s", loc));
			return;
		}
		char *nu = util_strdup(loc);
		int is_file = 0;
		if (!nu || url_hostkey(nu, x->host, sizeof x->host, &is_file) != 0) {
			free(nu);
			deliver_error(f, x, FEED_ERR_HTTP, status,
				      util_strfmt("redirect to a URL that does not parse: %s", loc));
			return;
		}
		free(x->url);
		x->url = nu;
		x->hops++;
		if (status != 301 && status != 308)
			x->permanent = 0;
		queue_push(f, x, 1);
		return;
	}

	struct feed_fetch_result r = { .err = FEED_OK, .status = status, .retry_after = -1 };
	char *eff = NULL;
	curl_easy_getinfo(x->h, CURLINFO_EFFECTIVE_URL, &eff);
	r.final_url = util_strdup(eff ? eff : x->url);
	if (!x->is_file) {
		char *ct = NULL;
		r.etag = header_value(x->h, "ETag");
		r.last_modified = header_value(x->h, "Last-Modified");
		curl_easy_getinfo(x->h, CURLINFO_CONTENT_TYPE, &ct);
		r.content_type = util_strdup(ct);
		r.charset = content_charset(ct);
	}
	if (status == 429 || status == 503)
		r.retry_after = retry_after(x->h);

	if (status == 304) {
		/* not modified: no body */
	} else if (x->is_file || (status >= 200 && status < 300)) {
		if (util_buf_putc(&x->body, 0) != 0) {
			result_free(&r);
			deliver_error(f, x, FEED_ERR_NOMEM, status, NULL);
			return;
		}
		r.body_len = x->body.len - 1;
		r.body = util_buf_steal(&x->body);
	} else {
		r.err = FEED_ERR_HTTP;
		r.error = util_strfmt("HTTP %ld", status);
	}
	deliver(f, x, &r);
}

/* Every transfer still queued or running is reported as cancelled. */
static void cancel_all(struct fetcher *f)
{
	int jobs = f->o->jobs > 0 ? f->o->jobs : 8;
	for (int i = 0; i < jobs; i++) {
		struct xfer *x = f->running[i];
		if (!x)
			continue;
		f->running[i] = NULL;
		curl_multi_remove_handle(f->multi, x->h);
		f->active--;
		deliver_error(f, x, FEED_ERR_CANCELLED, 0, NULL);
	}
	while (f->queue_head) {
		struct xfer *x = f->queue_head;
		f->queue_head = x->next;
		deliver_error(f, x, FEED_ERR_CANCELLED, 0, NULL);
	}
	f->queue_tail = NULL;
}

int feed_fetch_run(const struct feed_fetch_req *reqs, size_t n,
		   const struct feed_fetch_opts *opts, feed_fetch_cb cb, void *ctx)
{
	struct feed_fetch_opts defaults;
	struct fetcher f = { 0 };
	int rc = FEED_OK;

	if ((!reqs && n) || !cb)
		return FEED_ERR_ARG;
	if (!opts) {
		feed_fetch_opts_default(&defaults);
		opts = &defaults;
	}
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return FEED_ERR_IO;

	int jobs = opts->jobs > 0 ? opts->jobs : 8;
	f.o = opts;
	f.cb = cb;
	f.ctx = ctx;
	f.multi = curl_multi_init();
	f.running = calloc((size_t)jobs, sizeof *f.running);
	if (!f.multi || !f.running) {
		rc = FEED_ERR_NOMEM;
		goto out;
	}
	curl_multi_setopt(f.multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			  (long)(opts->per_host > 0 ? opts->per_host : 2));
	curl_multi_setopt(f.multi, CURLMOPT_MAXCONNECTS, (long)jobs * 2);

	/* Queue everything; a request that cannot even be parsed is reported
	 * at once. */
	for (size_t i = 0; i < n; i++) {
		struct xfer *x = calloc(1, sizeof *x);
		if (!x) {
			struct feed_fetch_result r = { .err = FEED_ERR_NOMEM, .retry_after = -1 };
			cb(ctx, &reqs[i], &r);
			continue;
		}
		x->req = &reqs[i];
		x->permanent = 1;
		x->max_body = opts->max_body ? opts->max_body : (size_t)8 << 20;
		util_buf_init(&x->body);
		x->url = util_strdup(reqs[i].url ? reqs[i].url : "");
		if (!x->url) {
			deliver_error(&f, x, FEED_ERR_NOMEM, 0, NULL);
			continue;
		}
		if (url_hostkey(x->url, x->host, sizeof x->host, &x->is_file) != 0) {
			deliver_error(&f, x, FEED_ERR_IO, 0, util_strfmt("not a valid URL: %s", x->url));
			continue;
		}
		if (!x->is_file && !scheme_is_http(x->url)) {
			deliver_error(&f, x, FEED_ERR_IO, 0,
				      util_strfmt("unsupported URL scheme (http, https and file only): %s", x->url));
			continue;
		}
		queue_push(&f, x, 0);
	}

	while (f.active > 0 || f.queue_head) {
		if (cancelled(opts)) {
			cancel_all(&f);
			rc = FEED_ERR_CANCELLED;
			break;
		}
		fill_slots(&f);
		int still = 0;
		CURLMcode mc = curl_multi_perform(f.multi, &still);
		if (mc != CURLM_OK && mc != CURLM_CALL_MULTI_PERFORM) {
			cancel_all(&f);
			rc = FEED_ERR_IO;
			break;
		}
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(f.multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct xfer *x = NULL;
			CURL *h = m->easy_handle;
			CURLcode code = m->data.result;
			curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&x);
			if (x)
				hop_done(&f, x, code);
			if (cancelled(opts))
				break;
		}
		if (!cancelled(opts))
			fill_slots(&f);
		if (f.active > 0 && !cancelled(opts)) {
			/* A transfer queued behind a full host starts at the next
			 * turn; poll returns early when any socket moves. */
			curl_multi_poll(f.multi, NULL, 0, POLL_MS, NULL);
		}
	}
out:
	if (f.multi)
		curl_multi_cleanup(f.multi);
	free(f.running);
	free(f.hosts);
	return rc;
}
