/* engine.c — the "engine" backend: our in-process GGUF engine. All requests
 * of one llm_complete call that share a system prompt and sampling settings
 * are generated together through eng_generate_batch (one weight pass per
 * decode step for every story), in waves of up to llm_config.max_batch
 * sequences (default ENGINE_SEQ_MAX; 1 = one request at a time).
 *
 * Prompts: with a chat template in the file, each request is rendered with
 * it (system message + the request's other messages as the user turn);
 * without one (base models such as stories260K) the prompt is the system
 * text, a blank line and the user text.
 *
 * Token counts: completion tokens are counted as they are generated;
 * prompt tokens are the tokenizer's count of the prompt text (with a chat
 * template, its few marker tokens are not included).
 *
 * Model hash: FNV-1a 64 (util_hash64) over the first 1 MiB of the file (the
 * GGUF header, metadata and tensor table of any small model, the start of
 * the weights of a big one) continued with the file size as 8 little-endian
 * bytes, as 16 hex digits. Cheap on a multi-GB file; two different GGUF files
 * of the same size and the same first MiB would collide. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/engine.h"
#include "llm/llm_int.h"
#include "util/util.h"

#define ENGINE_SEQ_MAX 16
#define ENGINE_MAX_TOKENS 512     /* default per request */
#define ENGINE_MARGIN 40          /* tokens kept free for template markers */
#define HASH_HEAD (1u << 20)

struct eng_state {
	eng_model *m;
	eng_ctx *c;
	int c_seq;                /* n_seq of c */
	int threads;
	int n_ctx;                /* most positions per sequence (config, else model, max 4096) */
	int c_ctx;                /* n_ctx of c */
	int max_batch;            /* most sequences per wave */
	int has_template;
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int model_hash(const char *path, char out[65])
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	unsigned char *buf;
	size_t n;

	out[0] = 0;
	if (!f)
		return -1;
	if (fstat(fileno(f), &st) || !(buf = malloc(HASH_HEAD))) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, HASH_HEAD, f);
	fclose(f);
	uint64_t h = util_hash64(buf, n);
	unsigned char sz[8];
	for (int i = 0; i < 8; i++)
		sz[i] = (unsigned char)((uint64_t)st.st_size >> (8 * i));
	h = util_hash64_more(h, sz, sizeof sz);
	free(buf);
	char hex[17];
	util_hash_hex(h, hex);
	memcpy(out, hex, 17);
	return 0;
}

/* Per-call generation state shared with the token callback. */
struct run {
	const struct llm_request *reqs;
	struct llm_response *out;
	const size_t *map;        /* batch index -> request index */
	double *t_last;           /* per request: time of its last token */
	llm_progress_cb cb;
	void *ctx;
	volatile int *cancel;
	size_t tokens_total;
};

static int on_token(void *ud, int i, int32_t tok, const char *piece, size_t len)
{
	struct run *r = ud;
	size_t k = r->map[i];
	int stop = 0;
	if (tok >= 0) {
		r->out[k].completion_tokens++;
		r->tokens_total++;
		int lim = r->reqs[k].max_tokens > 0 ? r->reqs[k].max_tokens : ENGINE_MAX_TOKENS;
		stop = r->out[k].completion_tokens >= lim;
	}
	r->t_last[k] = now_s();
	if (r->cb) {
		char buf[256];
		size_t l = len < sizeof buf - 1 ? len : sizeof buf - 1;
		memcpy(buf, piece, l);
		buf[l] = 0;
		r->cb(r->ctx, k, buf, r->tokens_total);
	}
	return stop || (r->cancel && *r->cancel);
}

static const char *sys_of(const struct llm_request *q)
{
	for (size_t i = 0; i < q->n_msgs; i++)
		if (q->msgs[i].role && !strcmp(q->msgs[i].role, "system"))
			return q->msgs[i].content ? q->msgs[i].content : "";
	return NULL;
}

/* The user turn: every non-system message, blank-line separated. */
static char *user_of(const struct llm_request *q)
{
	struct util_buf b;
	util_buf_init(&b);
	int any = 0;
	for (size_t i = 0; i < q->n_msgs; i++) {
		if (q->msgs[i].role && !strcmp(q->msgs[i].role, "system"))
			continue;
		if ((any && util_buf_puts(&b, "\n\n")) ||
		    util_buf_puts(&b, q->msgs[i].content ? q->msgs[i].content : "")) {
			util_buf_free(&b);
			return NULL;
		}
		any = 1;
	}
	if (!any && util_buf_puts(&b, "")) {
		util_buf_free(&b);
		return NULL;
	}
	return util_buf_steal(&b);
}

static int same_group(const struct llm_request *a, const struct llm_request *b)
{
	const char *sa = sys_of(a), *sb = sys_of(b);
	if ((sa == NULL) != (sb == NULL) || (sa && strcmp(sa, sb)))
		return 0;
	/* max_tokens may differ: each request stops at its own (on_token) */
	return a->temperature == b->temperature && a->top_p == b->top_p;
}

/* A context with at least n_seq slots of at least n_ctx positions: sized to
 * the batch (prompts + replies), not to the model's whole context, so ten
 * stories do not reserve ten full-length KV caches. */
static int ensure_ctx(struct eng_state *s, int n_seq, int n_ctx, char **why)
{
	if (s->c && s->c_seq >= n_seq && s->c_ctx >= n_ctx)
		return LLM_OK;
	eng_ctx_free(s->c);
	s->c = NULL;
	struct eng_ctx_params p = { .n_ctx = n_ctx, .n_seq = n_seq, .n_threads = s->threads };
	enum eng_err e = eng_ctx_new(s->m, &p, &s->c);
	if (e != ENG_OK) {
		*why = util_strfmt("cannot create an engine context for %d sequences: %s",
				   n_seq, eng_strerror(e));
		return e == ENG_ERR_NOMEM ? LLM_ERR_NOMEM : LLM_ERR_MODEL;
	}
	s->c_seq = n_seq;
	s->c_ctx = eng_ctx_n_ctx(s->c);
	return LLM_OK;
}

/* Runs the requests idx[0..n) (one group) as one batch. */
static int run_group(struct eng_state *s, const struct llm_request *reqs, const size_t *idx,
		     size_t n, struct llm_response *out, struct run *run, char **why)
{
	const struct llm_request *q0 = &reqs[idx[0]];
	const char *sys = sys_of(q0);
	char **prompts = calloc(n, sizeof *prompts);
	char **texts = calloc(n, sizeof *texts);
	size_t *map = calloc(n, sizeof *map);
	int rc = LLM_OK, n_ctx = s->n_ctx, maxp = 0;
	size_t nb = 0;

	if (!prompts || !texts || !map) {
		rc = LLM_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k = idx[i];
		char *user = user_of(&reqs[k]);
		char *full = user ? (sys ? util_strfmt("%s\n\n%s", sys, user) : util_strdup(user)) : NULL;
		if (!full) {
			free(user);
			rc = LLM_ERR_NOMEM;
			goto out;
		}
		int32_t *ids = NULL;
		int nt = 0;
		enum eng_err e = eng_tokenize(s->m, full, strlen(full), 1, 0, &ids, &nt);
		free(ids);
		if (e != ENG_OK) {
			llm_response_fail(&out[k], LLM_ERR_GENERATE, "the prompt cannot be tokenized: %s",
					  eng_strerror(e));
			free(user);
			free(full);
			continue;
		}
		out[k].prompt_tokens = nt;
		if (nt + ENGINE_MARGIN + 16 > n_ctx) {
			llm_response_fail(&out[k], LLM_ERR_CONTEXT,
					  "the prompt has %d tokens; the model's context holds %d", nt, n_ctx);
			free(user);
			free(full);
			continue;
		}
		if (nt > maxp)
			maxp = nt;
		if (s->has_template) {
			prompts[nb] = user;
			free(full);
		} else {
			prompts[nb] = full;
			free(user);
		}
		map[nb++] = k;
	}
	if (nb == 0)
		goto out;

	struct eng_gen_params g;
	eng_gen_default(&g);
	int mt = 0;
	for (size_t i = 0; i < nb; i++) {
		int t = reqs[map[i]].max_tokens > 0 ? reqs[map[i]].max_tokens : ENGINE_MAX_TOKENS;
		if (t > mt)
			mt = t;
	}
	if (mt > n_ctx - maxp - ENGINE_MARGIN)
		mt = n_ctx - maxp - ENGINE_MARGIN;
	{
		int want_seq = nb < (size_t)s->max_batch ? (int)nb : s->max_batch;
		int want_ctx = (maxp + mt + ENGINE_MARGIN + 255) / 256 * 256;
		if (want_ctx > n_ctx)
			want_ctx = n_ctx;
		rc = ensure_ctx(s, want_seq, want_ctx, why);
		if (rc != LLM_OK) {
			for (size_t i = 0; i < nb; i++)
				llm_response_fail(&out[map[i]], rc, "%s", *why ? *why : llm_strerror(rc));
			goto out;
		}
	}
	g.max_tokens = mt;
	if (q0->temperature >= 0)
		g.sampling.temperature = q0->temperature;
	else
		g.sampling.temperature = 0;          /* default: greedy, reproducible */
	g.sampling.top_p = q0->top_p > 0 ? q0->top_p : 1.0f;
	g.sampling.seed = q0->seed;
	g.chat = s->has_template;
	g.system = s->has_template ? sys : NULL;
	g.on_token = on_token;
	run->map = map;
	g.ud = run;
	double t0 = now_s();
	for (size_t i = 0; i < nb; i++)
		run->t_last[map[i]] = t0;
	enum eng_err e = eng_generate_batch(s->c, (int)nb, (const char *const *)prompts, &g, texts);
	if (e != ENG_OK) {
		int le = e == ENG_ERR_CONTEXT_FULL ? LLM_ERR_CONTEXT
			: e == ENG_ERR_TEMPLATE ? LLM_ERR_CONFIG
			: e == ENG_ERR_NOMEM ? LLM_ERR_NOMEM
			: e == ENG_ERR_CANCELLED ? LLM_ERR_CANCELLED : LLM_ERR_GENERATE;
		const char *detail = eng_ctx_errmsg(s->c);
		for (size_t i = 0; i < nb; i++)
			llm_response_fail(&out[map[i]], le, "engine: %s%s%s", eng_strerror(e),
					  detail && *detail ? ": " : "", detail ? detail : "");
		goto out;
	}
	for (size_t i = 0; i < nb; i++) {
		size_t k = map[i];
		out[k].seconds = run->t_last[k] - t0;
		if (run->cancel && *run->cancel) {
			llm_response_fail(&out[k], LLM_ERR_CANCELLED, "cancelled");
			continue;
		}
		out[k].text = texts[i] ? texts[i] : util_strdup("");
		texts[i] = NULL;
		if (!out[k].text)
			llm_response_fail(&out[k], LLM_ERR_NOMEM, "out of memory");
		else
			out[k].err = LLM_OK;
	}
out:
	if (prompts)
		for (size_t i = 0; i < n; i++)
			free(prompts[i]);
	if (texts)
		for (size_t i = 0; i < n; i++)
			free(texts[i]);
	free(prompts);
	free(texts);
	free(map);
	return rc;
}

static int en_complete(struct llm *l, const struct llm_request *reqs, size_t n,
		       struct llm_response *out, llm_progress_cb cb, void *ctx,
		       volatile int *cancel)
{
	struct eng_state *s = l->impl;
	size_t *idx = malloc(n * sizeof *idx);
	char *done = calloc(n, 1);
	double *t_last = calloc(n, sizeof *t_last);
	char *why = NULL;
	int rc = LLM_OK;

	if (!idx || !done || !t_last) {
		rc = LLM_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		out[i].completion_tokens = 0;
	struct run run = { reqs, out, NULL, t_last, cb, ctx, cancel, 0 };
	for (size_t i = 0; i < n && rc == LLM_OK; i++) {
		if (done[i])
			continue;
		size_t ng = 0;
		for (size_t k = i; k < n; k++)
			if (!done[k] && same_group(&reqs[i], &reqs[k])) {
				idx[ng++] = k;
				done[k] = 1;
			}
		rc = run_group(s, reqs, idx, ng, out, &run, &why);
	}
	if (rc == LLM_OK && cancel && *cancel)
		rc = LLM_ERR_CANCELLED;
out:
	if (rc != LLM_OK)
		for (size_t i = 0; i < n; i++)
			if (!out[i].text && !out[i].err)
				llm_response_fail(&out[i], rc, "%s", why ? why : llm_strerror(rc));
	free(why);
	free(idx);
	free(done);
	free(t_last);
	return rc;
}

static void en_close(struct llm *l)
{
	struct eng_state *s = l->impl;
	if (!s)
		return;
	eng_ctx_free(s->c);
	eng_model_free(s->m);
	free(s);
	l->impl = NULL;
}

static const struct llm_ops en_ops = { en_complete, en_close };

int llm_engine_open(struct llm *l, const struct llm_config *cfg, char **err)
{
	char ebuf[512] = "";
	struct eng_state *s;

	l->ops = &en_ops;
	if (!cfg->model_path || !*cfg->model_path) {
		*err = util_strdup("engine backend needs a model file (config [llm] model or --model)");
		return LLM_ERR_CONFIG;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		*err = util_strdup("out of memory");
		return LLM_ERR_NOMEM;
	}
	l->impl = s;
	enum eng_err e = eng_model_load(cfg->model_path, NULL, &s->m, ebuf, sizeof ebuf);
	if (e != ENG_OK) {
		*err = util_strfmt("cannot load the model '%s': %s", cfg->model_path,
				   *ebuf ? ebuf : eng_strerror(e));
		return LLM_ERR_MODEL;
	}
	struct eng_model_info info;
	eng_model_get_info(s->m, &info);
	s->has_template = info.chat_template != NULL;
	s->threads = cfg->threads > 0 ? cfg->threads : 0;
	s->max_batch = cfg->max_batch > 0 ? cfg->max_batch : ENGINE_SEQ_MAX;
	if (s->max_batch > 64)
		s->max_batch = 64;
	s->n_ctx = cfg->n_ctx > 0 ? cfg->n_ctx : info.n_ctx_train > 0 ? info.n_ctx_train : 2048;
	if (cfg->n_ctx <= 0 && s->n_ctx > 4096)
		s->n_ctx = 4096;
	if (info.n_ctx_train > 0 && s->n_ctx > info.n_ctx_train)
		s->n_ctx = info.n_ctx_train;
	const char *base = strrchr(cfg->model_path, '/');
	l->model_name = util_strdup(base ? base + 1 : cfg->model_path);
	if (!l->model_name || model_hash(cfg->model_path, l->model_hash)) {
		*err = util_strfmt("cannot read the model '%s' to hash it: %s", cfg->model_path,
				   strerror(errno));
		return LLM_ERR_MODEL;
	}
	return LLM_OK;
}
