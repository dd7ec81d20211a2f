/* openai.c — the "openai" backend: any OpenAI-compatible server (llama-server,
 * Ollama, vLLM, ...). POST {base_url}/chat/completions with "stream": true;
 * the reply is Server-Sent Events, one "data: {json}" line per chunk with
 * choices[0].delta.content, a usage object when the server sends one, and
 * "data: [DONE]" at the end. Up to `parallel` requests run at once (curl
 * multi). A stream that ends without [DONE] or a finish_reason counts as a
 * dropped connection and its partial text is discarded. Nothing is
 * sanitised here; every byte from the server is bounds-checked. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llm/llm_int.h"
#include "util/util.h"

#define OA_TIMEOUT_DEFAULT 300
#define OA_PARALLEL_DEFAULT 4
#define OA_LINE_MAX (1u << 20)      /* one SSE line */
#define OA_TEXT_MAX (4u << 20)      /* one reply */
#define OA_ERRBODY_MAX (64u << 10)

struct oa_state {
	char *url;          /* .../chat/completions */
	char *model;        /* may be NULL */
	char *auth;         /* "Authorization: Bearer ..." or NULL */
	long timeout;
	int parallel;
};

struct xfer {
	size_t idx;
	CURL *h;
	struct curl_slist *hdr;
	char *body;
	struct util_buf line;     /* incomplete SSE line */
	struct util_buf text;     /* content so far */
	struct util_buf raw;      /* non-SSE body (error JSON, or a non-streamed reply) */
	int saw_data, done, finished, proto, too_big;
	char *proto_why;
	char *stream_error;       /* an "error" object inside the stream */
	int prompt_tokens, completion_tokens, chunks;
	double t0;
	struct oa_call *call;
};

struct oa_call {
	llm_progress_cb cb;
	void *ctx;
	size_t tokens_total;
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* ---- request body ------------------------------------------------------------- */

static int put_json_str(struct util_buf *b, const char *s)
{
	char *v = util_utf8_repair(s ? s : "", s ? strlen(s) : 0);
	int rc;

	if (!v)
		return -1;
	rc = util_buf_put_json(b, v);
	free(v);
	return rc;
}

static char *build_body(const struct oa_state *s, const struct llm_request *q)
{
	struct util_buf b;
	int rc;

	util_buf_init(&b);
	rc = util_buf_puts(&b, "{");
	if (s->model)
		rc = rc || util_buf_puts(&b, "\"model\":") || put_json_str(&b, s->model) ||
		     util_buf_puts(&b, ",");
	rc = rc || util_buf_puts(&b, "\"messages\":[");
	for (size_t i = 0; i < q->n_msgs && !rc; i++)
		rc = util_buf_puts(&b, i ? ",{\"role\":" : "{\"role\":") ||
		     put_json_str(&b, q->msgs[i].role ? q->msgs[i].role : "user") ||
		     util_buf_puts(&b, ",\"content\":") || put_json_str(&b, q->msgs[i].content) ||
		     util_buf_puts(&b, "}");
	rc = rc || util_buf_puts(&b, "],\"stream\":true,\"stream_options\":{\"include_usage\":true}");
	if (q->max_tokens > 0)
		rc = rc || util_buf_printf(&b, ",\"max_tokens\":%d", q->max_tokens);
	if (q->temperature >= 0)
		rc = rc || util_buf_printf(&b, ",\"temperature\":%.3f", (double)q->temperature);
	if (q->top_p > 0)
		rc = rc || util_buf_printf(&b, ",\"top_p\":%.3f", (double)q->top_p);
	if (q->seed)
		rc = rc || util_buf_printf(&b, ",\"seed\":%llu", (unsigned long long)(q->seed & 0x7fffffffffffULL));
	rc = rc || util_buf_puts(&b, "}");
	if (rc) {
		util_buf_free(&b);
		return NULL;
	}
	return util_buf_steal(&b);
}

/* ---- the stream ------------------------------------------------------------------ */

static void set_proto(struct xfer *x, const char *why)
{
	if (!x->proto) {
		x->proto = 1;
		x->proto_why = util_strdup(why);
	}
}

/* The message of an {"error": ...} object ({"error":{"message":..}} or
 * {"error":"..."}), malloc'd, or NULL. */
static char *error_message(const struct json *j)
{
	const struct json *e = json_get(j, "error");
	if (!e)
		return NULL;
	if (json_str(e))
		return util_strdup(json_str(e));
	const char *m = json_str(json_get(e, "message"));
	return util_strdup(m ? m : "(no message)");
}

static void take_usage(struct xfer *x, const struct json *j)
{
	const struct json *u = json_get(j, "usage");
	const struct json *pt = json_get(u, "prompt_tokens"), *ct = json_get(u, "completion_tokens");
	if (pt && pt->type == JSON_NUM && pt->num >= 0 && pt->num < 1e9)
		x->prompt_tokens = (int)pt->num;
	if (ct && ct->type == JSON_NUM && ct->num >= 0 && ct->num < 1e9)
		x->completion_tokens = (int)ct->num;
}

static int add_text(struct xfer *x, const char *piece)
{
	size_t l = strlen(piece);
	if (x->text.len + l > OA_TEXT_MAX) {
		set_proto(x, "the reply is larger than 4 MiB");
		return -1;
	}
	if (util_buf_append(&x->text, piece, l))
		return -1;
	x->chunks++;
	x->call->tokens_total++;
	if (x->call->cb)
		x->call->cb(x->call->ctx, x->idx, piece, x->call->tokens_total);
	return 0;
}

/* One complete SSE line (without the newline). Returns -1 to abort. */
static int sse_line(struct xfer *x, const char *s, size_t n)
{
	if (n && s[n - 1] == '\r')
		n--;
	if (n < 5 || memcmp(s, "data:", 5))
		return 0;       /* comments (":"), event:, id:, blank lines */
	s += 5;
	n -= 5;
	while (n && *s == ' ') {
		s++;
		n--;
	}
	x->saw_data = 1;
	if (n == 6 && !memcmp(s, "[DONE]", 6)) {
		x->done = 1;
		return 0;
	}
	struct json *j = json_parse(s, n);
	if (!j) {
		set_proto(x, "a streamed chunk is not valid JSON");
		return -1;
	}
	int rc = 0;
	char *em = error_message(j);
	if (em) {
		free(x->stream_error);
		x->stream_error = em;
		x->done = 1;
		json_free(j);
		return 0;
	}
	const struct json *ch = json_at(json_get(j, "choices"), 0);
	const struct json *choices = json_get(j, "choices");
	if (choices && choices->type != JSON_ARR) {
		set_proto(x, "a streamed chunk has no choices array");
		rc = -1;
	}
	const char *piece = json_str(json_get(json_get(ch, "delta"), "content"));
	if (!piece)
		piece = json_str(json_get(json_get(ch, "message"), "content"));
	if (!rc && piece && *piece)
		rc = add_text(x, piece);
	const struct json *fr = json_get(ch, "finish_reason");
	if (fr && fr->type == JSON_STR)
		x->finished = 1;
	take_usage(x, j);
	json_free(j);
	return rc;
}

static size_t on_data(char *p, size_t sz, size_t nm, void *ud)
{
	struct xfer *x = ud;
	size_t n = sz * nm;
	long code = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 300 || (!x->saw_data && x->raw.len > 0) ||
	    (!x->saw_data && x->line.len == 0 && n && p[0] == '{')) {
		/* an error body or a plain JSON reply: keep it whole (bounded) */
		if (x->raw.len + n > OA_ERRBODY_MAX + OA_TEXT_MAX) {
			set_proto(x, "the reply is too large");
			return 0;
		}
		return util_buf_append(&x->raw, p, n) ? 0 : n;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n') {
			size_t e = i;
			while (e < n && p[e] != '\n')
				e++;
			if (x->line.len + (e - i) > OA_LINE_MAX) {
				set_proto(x, "a streamed line is longer than 1 MiB");
				return 0;
			}
			if (util_buf_append(&x->line, p + i, e - i))
				return 0;
			i = e - 1;
			continue;
		}
		if (sse_line(x, util_buf_cstr(&x->line), x->line.len))
			return 0;
		util_buf_reset(&x->line);
	}
	return n;
}

/* ---- running ---------------------------------------------------------------------- */

static void xfer_free(struct xfer *x)
{
	if (x->h)
		curl_easy_cleanup(x->h);
	curl_slist_free_all(x->hdr);
	free(x->body);
	util_buf_free(&x->line);
	util_buf_free(&x->text);
	util_buf_free(&x->raw);
	free(x->proto_why);
	free(x->stream_error);
	memset(x, 0, sizeof *x);
}

static int xfer_start(const struct oa_state *s, struct xfer *x, size_t idx,
		      const struct llm_request *q, struct oa_call *call)
{
	memset(x, 0, sizeof *x);
	x->idx = idx;
	x->call = call;
	x->prompt_tokens = x->completion_tokens = -1;
	util_buf_init(&x->line);
	util_buf_init(&x->text);
	util_buf_init(&x->raw);
	x->body = build_body(s, q);
	x->h = curl_easy_init();
	if (!x->body || !x->h)
		return -1;
	x->hdr = curl_slist_append(x->hdr, "Content-Type: application/json");
	x->hdr = x->hdr ? curl_slist_append(x->hdr, "Accept: text/event-stream") : NULL;
	if (x->hdr && s->auth)
		x->hdr = curl_slist_append(x->hdr, s->auth);
	if (!x->hdr)
		return -1;
	curl_easy_setopt(x->h, CURLOPT_URL, s->url);
	curl_easy_setopt(x->h, CURLOPT_POST, 1L);
	curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE, (long)strlen(x->body));
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdr);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_TIMEOUT, s->timeout);
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT, s->timeout < 30 ? s->timeout : 30L);
	curl_easy_setopt(x->h, CURLOPT_USERAGENT, "briefing");
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	x->t0 = now_s();
	return 0;
}

/* Fills out from a finished transfer. */
static void xfer_finish(const struct oa_state *s, struct xfer *x, CURLcode cc, struct llm_response *out)
{
	long code = 0;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	out->seconds = now_s() - x->t0;
	if (code >= 300) {
		struct json *j = json_parse(util_buf_cstr(&x->raw), x->raw.len);
		char *m = j ? error_message(j) : NULL;
		if (!m && x->raw.len) {
			m = util_strndup(util_buf_cstr(&x->raw), x->raw.len > 300 ? 300 : x->raw.len);
			if (m)
				util_str_squeeze(m);
		}
		llm_response_fail(out, LLM_ERR_HTTP, "HTTP %ld from %s%s%s%s", code, s->url,
				  m ? ": " : "", m ? m : "",
				  code == 401 || code == 403 ? " (check the API key variable)" : "");
		free(m);
		json_free(j);
		return;
	}
	if (x->proto) {
		llm_response_fail(out, LLM_ERR_PROTOCOL, "cannot read the reply from %s: %s", s->url,
				  x->proto_why ? x->proto_why : "malformed stream");
		return;
	}
	switch (cc) {
	case CURLE_OK:
		break;
	case CURLE_OPERATION_TIMEDOUT:
		llm_response_fail(out, LLM_ERR_TIMEOUT, "%s did not finish within %ld s (config [llm] timeout)",
				  s->url, s->timeout);
		return;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		llm_response_fail(out, LLM_ERR_CONNECT, "cannot connect to %s: %s", s->url,
				  curl_easy_strerror(cc));
		return;
	case CURLE_WRITE_ERROR:
	case CURLE_OUT_OF_MEMORY:
		llm_response_fail(out, LLM_ERR_NOMEM, "out of memory reading the reply");
		return;
	default:
		llm_response_fail(out, LLM_ERR_CONNECT, "the connection to %s dropped mid-reply: %s",
				  s->url, curl_easy_strerror(cc));
		return;
	}
	if (x->stream_error) {
		llm_response_fail(out, LLM_ERR_HTTP, "the server reported an error: %s", x->stream_error);
		return;
	}
	if (x->line.len && !x->done)   /* a last line without a newline */
		sse_line(x, util_buf_cstr(&x->line), x->line.len);
	if (x->proto) {
		llm_response_fail(out, LLM_ERR_PROTOCOL, "cannot read the reply from %s: %s", s->url,
				  x->proto_why ? x->proto_why : "malformed stream");
		return;
	}
	if (!x->saw_data && x->raw.len) {
		/* a server that answered without streaming */
		struct json *j = json_parse(util_buf_cstr(&x->raw), x->raw.len);
		const char *c = j ? json_str(json_get(json_get(json_at(json_get(j, "choices"), 0),
								  "message"), "content")) : NULL;
		if (!c) {
			llm_response_fail(out, LLM_ERR_PROTOCOL, "cannot read the reply from %s: "
					  "neither a stream nor a chat completion", s->url);
			json_free(j);
			return;
		}
		add_text(x, c);
		take_usage(x, j);
		json_free(j);
		x->done = 1;
	}
	if (!x->done && !x->finished) {
		llm_response_fail(out, x->saw_data ? LLM_ERR_CONNECT : LLM_ERR_PROTOCOL,
				  x->saw_data ? "the connection to %s dropped mid-stream (no [DONE]); "
				  "the partial reply was discarded" : "%s sent an empty reply", s->url);
		return;
	}
	out->text = util_buf_steal(&x->text);
	if (!out->text)
		out->text = util_strdup("");
	if (!out->text) {
		llm_response_fail(out, LLM_ERR_NOMEM, "out of memory");
		return;
	}
	out->err = LLM_OK;
	out->prompt_tokens = x->prompt_tokens;
	out->completion_tokens = x->completion_tokens >= 0 ? x->completion_tokens : x->chunks;
}

static int oa_complete(struct llm *l, const struct llm_request *reqs, size_t n,
		       struct llm_response *out, llm_progress_cb cb, void *ctx,
		       volatile int *cancel)
{
	struct oa_state *s = l->impl;
	size_t np = (size_t)s->parallel < n ? (size_t)s->parallel : n;
	struct xfer *xs = calloc(np, sizeof *xs);
	int *busy = calloc(np, sizeof *busy);
	CURLM *m = curl_multi_init();
	struct oa_call call = { cb, ctx, 0 };
	size_t next = 0, running = 0;
	int rc = LLM_OK;

	if (!xs || !busy || !m) {
		rc = LLM_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		for (size_t k = 0; k < np && next < n; k++) {
			if (busy[k])
				continue;
			if (cancel && *cancel)
				break;
			if (xfer_start(s, &xs[k], next, &reqs[next], &call) ||
			    curl_multi_add_handle(m, xs[k].h) != CURLM_OK) {
				llm_response_fail(&out[next], LLM_ERR_NOMEM, "out of memory");
				xfer_free(&xs[k]);
				next++;
				continue;
			}
			busy[k] = 1;
			running++;
			next++;
		}
		if (running == 0)
			break;
		int still = 0;
		curl_multi_perform(m, &still);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct xfer *x = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			CURLcode cc = msg->data.result;
			curl_multi_remove_handle(m, x->h);
			xfer_finish(s, x, cc, &out[x->idx]);
			if (x->call->cb)   /* this request has ended */
				x->call->cb(x->call->ctx, x->idx, NULL, x->call->tokens_total);
			busy[x - xs] = 0;
			xfer_free(x);
			running--;
		}
		if (cancel && *cancel) {
			for (size_t k = 0; k < np; k++)
				if (busy[k]) {
					curl_multi_remove_handle(m, xs[k].h);
					llm_response_fail(&out[xs[k].idx], LLM_ERR_CANCELLED, "cancelled");
					xfer_free(&xs[k]);
					busy[k] = 0;
				}
			for (; next < n; next++)
				llm_response_fail(&out[next], LLM_ERR_CANCELLED, "cancelled");
			running = 0;
			rc = LLM_ERR_CANCELLED;
			break;
		}
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
out:
	if (xs)
		for (size_t k = 0; k < np; k++)
			if (busy && busy[k]) {
				curl_multi_remove_handle(m, xs[k].h);
				xfer_free(&xs[k]);
			}
	if (rc != LLM_OK)
		for (size_t i = 0; i < n; i++)
			if (!out[i].err && !out[i].text)
				llm_response_fail(&out[i], rc, "%s", llm_strerror(rc));
	free(xs);
	free(busy);
	if (m)
		curl_multi_cleanup(m);
	return rc;
}

static void oa_close(struct llm *l)
{
	struct oa_state *s = l->impl;
	if (!s)
		return;
	free(s->url);
	free(s->model);
	if (s->auth) {
		memset(s->auth, 0, strlen(s->auth));
		free(s->auth);
	}
	free(s);
	l->impl = NULL;
	curl_global_cleanup();
}

static const struct llm_ops oa_ops = { oa_complete, oa_close, NULL };   /* passes are the server's */

int llm_openai_open(struct llm *l, const struct llm_config *cfg, char **err)
{
	struct oa_state *s;

	/* llm_open ran llm_config_check: base_url is an http(s) URL */
	const char *key = NULL;
	if (cfg->api_key_env && *cfg->api_key_env) {
		key = getenv(cfg->api_key_env);
		if (!key || !*key) {
			*err = util_strfmt("the API key variable %.100s (config [llm] api_key_env) is not set "
					   "in the environment", cfg->api_key_env);
			return LLM_ERR_CONFIG;
		}
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		*err = util_strdup("cannot initialise libcurl");
		return LLM_ERR_CONFIG;
	}
	s = calloc(1, sizeof *s);
	l->ops = &oa_ops;
	l->impl = s;
	if (!s) {
		curl_global_cleanup();
		*err = util_strdup("out of memory");
		return LLM_ERR_NOMEM;
	}
	size_t bl = strlen(cfg->base_url);
	while (bl && cfg->base_url[bl - 1] == '/')
		bl--;
	s->url = util_strfmt("%.*s/chat/completions", (int)bl, cfg->base_url);
	s->model = cfg->model && *cfg->model ? util_strdup(cfg->model) : NULL;
	s->auth = key ? util_strfmt("Authorization: Bearer %s", key) : NULL;
	s->timeout = cfg->timeout > 0 ? cfg->timeout : OA_TIMEOUT_DEFAULT;
	s->parallel = cfg->parallel > 0 ? cfg->parallel : OA_PARALLEL_DEFAULT;
	if (s->parallel > 64)
		s->parallel = 64;
	l->model_name = util_strdup(s->model ? s->model : "server default");
	if (!s->url || (cfg->model && *cfg->model && !s->model) || (key && !s->auth) || !l->model_name) {
		*err = util_strdup("out of memory");
		return LLM_ERR_NOMEM;
	}
	l->model_hash[0] = 0;
	return LLM_OK;
}
