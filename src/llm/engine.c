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
 * The model cache: a loaded model stays in memory for the whole process
 * (the reader's `g` and every later edition reuse it), in a list keyed by
 * the file's path, size, modification time and inode, with a count of the
 * handles using it, behind one mutex (the reader generates in a worker
 * thread). A changed file is loaded again; the old model goes with its
 * last handle. At most one model nobody uses is kept (loading another
 * frees it), and each model keeps at most one idle engine context: the
 * last one a closed handle used, taken by the next handle whose sizes
 * and settings (threads, device, budgets) it fits. llm_cache_clear frees
 * what no handle uses. Only one context of a model is idle at a time, and
 * one that does not fit is freed before a new one is made, so a GPU never
 * holds two contexts' resident weights for one handle.
 *
 * Statistics: the context's pass counters (eng_ctx_stats) are read before
 * and after each eng_generate_batch and the differences summed, per call
 * and per handle, so a context shared over time never mixes handles.
 *
 * Model hash: FNV-1a 64 (util_hash64) over the first 1 MiB of the file (the
 * GGUF header, metadata and tensor table of any small model, the start of
 * the weights of a big one) continued with the file size as 8 little-endian
 * bytes, as 16 hex digits. Cheap on a multi-GB file; two different GGUF files
 * of the same size and the same first MiB would collide. */
#include <errno.h>
#include <pthread.h>
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
#ifndef ENGINE_N_BATCH            /* (-D for measurements: bench/results/generate-passes-*.md) */
#define ENGINE_N_BATCH 512        /* prompt tokens per weight pass (packed from several prompts) */
#endif
#define HASH_HEAD (1u << 20)

/* What a context is made with besides its sizes: a cached context is
 * reused only by a handle asking for the same. */
struct ctx_key {
	int threads;              /* 0 = all cores */
	enum eng_device device;
	uint64_t vram_budget, ram_budget;
};

/* One loaded model file, shared by every handle that opened it. */
struct cached_model {
	struct cached_model *next;
	char *path;
	off_t size;
	struct timespec mtime;
	dev_t dev;
	ino_t ino;
	eng_model *m;
	char hash[17];            /* model_hash() of the file */
	int refs;                 /* open handles */
	int stale;                /* the file changed: freed with its last handle */
	eng_ctx *idle;            /* a context no handle uses, or NULL */
	struct ctx_key idle_key;
	int idle_seq;             /* n_seq of idle */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cached_model *cache;      /* under cache_lock */
static unsigned long cache_loads;       /* under cache_lock */

struct eng_state {
	struct cached_model *cm;  /* the model (a reference held) */
	eng_model *m;             /* cm->m */
	eng_ctx *c;
	int c_seq;                /* n_seq of c */
	int c_ctx;                /* n_ctx of c */
	struct ctx_key key;
	int n_ctx;                /* most positions per sequence (config, else model, max 4096) */
	int max_batch;            /* most sequences per wave */
	int has_template;
	struct llm_stats last, total;
	/* speculative decoding: the draft model (a reference held) and its
	 * context, sized as c */
	struct cached_model *dcm;
	eng_ctx *dc;
	int dc_seq, dc_ctx, draft_k;
	char draft_name[128];
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

static void cached_free(struct cached_model *cm)
{
	eng_ctx_free(cm->idle);
	eng_model_free(cm->m);
	free(cm->path);
	free(cm);
}

static int same_file(const struct cached_model *cm, const struct stat *st)
{
	return cm->size == st->st_size && cm->dev == st->st_dev && cm->ino == st->st_ino &&
	       cm->mtime.tv_sec == st->st_mtim.tv_sec && cm->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Unlinks and frees every model no handle uses; with keep, not that one. */
static void drop_unused(const struct cached_model *keep)
{
	for (struct cached_model **p = &cache; *p;) {
		struct cached_model *cm = *p;
		if (cm->refs == 0 && cm != keep) {
			*p = cm->next;
			cached_free(cm);
		} else {
			p = &cm->next;
		}
	}
}

/* The cached model for path (st: its stat), loaded if need be, with a
 * reference taken. NULL with *err set (caller frees) and an llm_err in *rc. */
static struct cached_model *cache_get(const char *path, const struct stat *st, int *rc,
				      char **err)
{
	char ebuf[512] = "";
	struct cached_model *cm;

	pthread_mutex_lock(&cache_lock);
	for (cm = cache; cm; cm = cm->next) {
		if (cm->stale || strcmp(cm->path, path))
			continue;
		if (same_file(cm, st)) {
			cm->refs++;
			pthread_mutex_unlock(&cache_lock);
			return cm;
		}
		cm->stale = 1;    /* replaced on disk: load it again */
	}
	/* at most one model nobody uses: it goes before another is loaded */
	drop_unused(NULL);
	cm = calloc(1, sizeof *cm);
	if (!cm || !(cm->path = util_strdup(path))) {
		free(cm);
		pthread_mutex_unlock(&cache_lock);
		*err = util_strdup("out of memory");
		*rc = LLM_ERR_NOMEM;
		return NULL;
	}
	enum eng_err e = eng_model_load(path, NULL, &cm->m, ebuf, sizeof ebuf);
	if (e != ENG_OK) {
		pthread_mutex_unlock(&cache_lock);
		*err = util_strfmt("cannot load the model '%s': %s", path, *ebuf ? ebuf : eng_strerror(e));
		*rc = e == ENG_ERR_NOMEM ? LLM_ERR_NOMEM : LLM_ERR_MODEL;
		cached_free(cm);
		return NULL;
	}
	char hex[65];
	if (model_hash(path, hex)) {
		pthread_mutex_unlock(&cache_lock);
		*err = util_strfmt("cannot read the model '%s' to hash it: %s", path, strerror(errno));
		*rc = LLM_ERR_MODEL;
		cached_free(cm);
		return NULL;
	}
	memcpy(cm->hash, hex, sizeof cm->hash);
	cm->size = st->st_size;
	cm->mtime = st->st_mtim;
	cm->dev = st->st_dev;
	cm->ino = st->st_ino;
	cm->refs = 1;
	cm->next = cache;
	cache = cm;
	cache_loads++;
	pthread_mutex_unlock(&cache_lock);
	return cm;
}

/* Gives back a handle's reference and its context (kept idle when the
 * model has none idle and is still current). */
static void cache_put(struct cached_model *cm, eng_ctx *c, const struct ctx_key *key, int n_seq)
{
	pthread_mutex_lock(&cache_lock);
	if (c && !cm->stale && !cm->idle) {
		cm->idle = c;
		cm->idle_key = *key;
		cm->idle_seq = n_seq;
		c = NULL;
	}
	eng_ctx_free(c);
	if (--cm->refs == 0 && cm->stale) {
		for (struct cached_model **p = &cache; *p; p = &(*p)->next)
			if (*p == cm) {
				*p = cm->next;
				break;
			}
		cached_free(cm);
	}
	pthread_mutex_unlock(&cache_lock);
}

/* The model's idle context when it fits (n_seq slots of n_ctx positions,
 * made with key), taken; else NULL, and an idle one that does not fit is
 * freed (it would only hold memory a new context needs). */
static eng_ctx *cache_take_ctx(struct cached_model *cm, const struct ctx_key *key, int n_seq,
			       int n_ctx, int *c_seq)
{
	eng_ctx *c = NULL;
	pthread_mutex_lock(&cache_lock);
	if (cm->idle) {
		const struct ctx_key *k = &cm->idle_key;
		if (k->threads == key->threads && k->device == key->device &&
		    k->vram_budget == key->vram_budget && k->ram_budget == key->ram_budget &&
		    cm->idle_seq >= n_seq &&
		    eng_ctx_n_ctx(cm->idle) >= n_ctx) {
			c = cm->idle;
			*c_seq = cm->idle_seq;
		} else {
			eng_ctx_free(cm->idle);
		}
		cm->idle = NULL;
	}
	pthread_mutex_unlock(&cache_lock);
	return c;
}

void llm_engine_cache_clear(void)
{
	pthread_mutex_lock(&cache_lock);
	drop_unused(NULL);
	for (struct cached_model *cm = cache; cm; cm = cm->next) {
		eng_ctx_free(cm->idle);
		cm->idle = NULL;
	}
	pthread_mutex_unlock(&cache_lock);
}

unsigned long llm_engine_loads(void)
{
	pthread_mutex_lock(&cache_lock);
	unsigned long n = cache_loads;
	pthread_mutex_unlock(&cache_lock);
	return n;
}

/* Adds what the passes between a and b (one context's counters) cost. */
static void stats_add(struct llm_stats *d, const struct eng_pass_stats *a,
		      const struct eng_pass_stats *b, const char *device)
{
	if (b->passes <= a->passes)
		return;
	d->passes += b->passes - a->passes;
	d->tokens += b->tokens - a->tokens;
	d->prefill_tokens += b->prefill_tokens - a->prefill_tokens;
	d->prefill_seconds += b->prefill_seconds - a->prefill_seconds;
	d->decode_seconds += (b->seconds - b->prefill_seconds) - (a->seconds - a->prefill_seconds);
	d->wait_seconds += b->wait_seconds - a->wait_seconds;
	d->bytes_streamed += (b->bytes[1] + b->bytes[2]) - (a->bytes[1] + a->bytes[2]);
	snprintf(d->device, sizeof d->device, "%s", device ? device : "");
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

static void on_done(void *ud, int i)
{
	struct run *r = ud;
	if (r->cb)
		r->cb(r->ctx, r->map[i], NULL, r->tokens_total);
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

/* A context with at least n_seq slots of at least n_ctx positions: sized to
 * the batch (prompts + replies), not to the model's whole context, so ten
 * stories do not reserve ten full-length KV caches. The handle's own
 * context when it fits, else the model's idle one when that fits, else a
 * new one (the ones that do not fit are freed first). Prompt tokens go
 * ENGINE_N_BATCH to a pass, packed from several prompts (eng_prefill_batch),
 * whatever n_ctx is. */
static int ensure_ctx(struct eng_state *s, int n_seq, int n_ctx, char **why)
{
	if (s->c && s->c_seq >= n_seq && s->c_ctx >= n_ctx)
		return LLM_OK;
	eng_ctx_free(s->c);
	s->c = cache_take_ctx(s->cm, &s->key, n_seq, n_ctx, &s->c_seq);
	if (s->c) {
		s->c_ctx = eng_ctx_n_ctx(s->c);
		return LLM_OK;
	}
	struct eng_ctx_params p = { .n_ctx = n_ctx, .n_seq = n_seq, .n_threads = s->key.threads,
				    .n_batch = ENGINE_N_BATCH, .device = s->key.device,
				    .vram_budget = s->key.vram_budget,
				    .ram_budget = s->key.ram_budget };
	char ebuf[512] = "";
	enum eng_err e = eng_ctx_new_err(s->m, &p, &s->c, ebuf, sizeof ebuf);
	if (e != ENG_OK) {
		s->c = NULL;
		*why = util_strfmt("cannot create an engine context for %d sequences: %s", n_seq,
				   *ebuf ? ebuf : eng_strerror(e));
		return e == ENG_ERR_NOMEM ? LLM_ERR_NOMEM
			: e == ENG_ERR_DEVICE || e == ENG_ERR_BUDGET ? LLM_ERR_CONFIG : LLM_ERR_MODEL;
	}
	s->c_seq = n_seq;
	s->c_ctx = eng_ctx_n_ctx(s->c);
	return LLM_OK;
}

/* The draft model's context, as large as c (its KV cache holds the same
 * sequences). */
static int ensure_draft_ctx(struct eng_state *s, char **why)
{
	if (!s->dcm || (s->dc && s->dc_seq >= s->c_seq && s->dc_ctx >= s->c_ctx))
		return LLM_OK;
	eng_ctx_free(s->dc);
	s->dc = NULL;
	struct eng_ctx_params p = { .n_ctx = s->c_ctx, .n_seq = s->c_seq, .n_threads = s->key.threads,
				    .n_batch = ENGINE_N_BATCH, .device = s->key.device };
	char ebuf[512] = "";
	enum eng_err e = eng_ctx_new_err(s->dcm->m, &p, &s->dc, ebuf, sizeof ebuf);
	if (e != ENG_OK) {
		s->dc = NULL;
		*why = util_strfmt("cannot create a context for the draft model: %s",
				   *ebuf ? ebuf : eng_strerror(e));
		return e == ENG_ERR_NOMEM ? LLM_ERR_NOMEM : LLM_ERR_MODEL;
	}
	s->dc_seq = s->c_seq;
	s->dc_ctx = s->c_ctx;
	return LLM_OK;
}

/* Runs requests [0, n) as one batch: each with its own system message,
 * temperature, top_p and seed (the engine's per-sequence settings), so
 * different requests still share every weight pass. */
static int run_batch(struct eng_state *s, const struct llm_request *reqs, size_t n,
		     struct llm_response *out, struct run *run, char **why)
{
	char **prompts = calloc(n, sizeof *prompts);
	char **texts = calloc(n, sizeof *texts);
	size_t *map = calloc(n, sizeof *map);
	struct eng_sampling *samp = calloc(n, sizeof *samp);
	const char **systems = calloc(n, sizeof *systems);
	int rc = LLM_OK, n_ctx = s->n_ctx, maxp = 0;
	size_t nb = 0;

	if (!prompts || !texts || !map || !samp || !systems) {
		rc = LLM_ERR_NOMEM;
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		const char *sys = sys_of(&reqs[k]);
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
			systems[nb] = sys;
			free(full);
		} else {
			prompts[nb] = full;
			free(user);
		}
		const struct llm_request *q = &reqs[k];
		eng_sampling_default(&samp[nb]);
		/* default: greedy, reproducible */
		samp[nb].temperature = q->temperature >= 0 ? q->temperature : 0;
		samp[nb].top_p = q->top_p > 0 ? q->top_p : 1.0f;
		samp[nb].seed = q->seed;
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
		if (rc == LLM_OK)
			rc = ensure_draft_ctx(s, why);
		if (rc != LLM_OK) {
			for (size_t i = 0; i < nb; i++)
				llm_response_fail(&out[map[i]], rc, "%s", *why ? *why : llm_strerror(rc));
			goto out;
		}
	}
	g.max_tokens = mt;
	g.seq_sampling = samp;
	g.chat = s->has_template;
	g.seq_system = s->has_template ? systems : NULL;
	g.on_token = on_token;
	g.on_done = on_done;
	run->map = map;
	g.ud = run;
	double t0 = now_s();
	for (size_t i = 0; i < nb; i++)
		run->t_last[map[i]] = t0;
	struct eng_pass_stats before, after;
	struct eng_spec_stats spec = { 0 };
	g.draft = s->dc;
	g.draft_k = s->draft_k;
	g.spec = &spec;
	eng_ctx_stats(s->c, &before);
	enum eng_err e = eng_generate_batch(s->c, (int)nb, (const char *const *)prompts, &g, texts);
	eng_ctx_stats(s->c, &after);
	stats_add(&s->last, &before, &after, eng_ctx_device(s->c));
	stats_add(&s->total, &before, &after, eng_ctx_device(s->c));
	if (getenv("BRIEFING_ENGINE_TRACE")) {
		/* bench/speculative.sh: what each call cost */
		uint64_t dec = (after.tokens - after.prefill_tokens) - (before.tokens - before.prefill_tokens);
		fprintf(stderr, "engine call: %zu requests, %llu passes, %llu tokens decoded; "
			"speculative: %llu rounds, %llu drafted, %llu accepted, %llu tokens\n", nb,
			(unsigned long long)(after.passes - before.passes), (unsigned long long)dec,
			(unsigned long long)spec.rounds, (unsigned long long)spec.drafted,
			(unsigned long long)spec.accepted, (unsigned long long)spec.tokens);
	}
	if (s->dc) {
		struct llm_stats *ls[2] = { &s->last, &s->total };
		for (int k = 0; k < 2; k++) {
			snprintf(ls[k]->draft, sizeof ls[k]->draft, "%s", s->draft_name);
			ls[k]->spec_rounds += spec.rounds;
			ls[k]->spec_drafted += spec.drafted;
			ls[k]->spec_accepted += spec.accepted;
			ls[k]->spec_tokens += spec.tokens;
		}
	}
	if (e != ENG_OK) {
		int le = e == ENG_ERR_CONTEXT_FULL ? LLM_ERR_CONTEXT
			: e == ENG_ERR_TEMPLATE ? LLM_ERR_CONFIG
			: e == ENG_ERR_NOMEM ? LLM_ERR_NOMEM
			: e == ENG_ERR_CANCELLED ? LLM_ERR_CANCELLED : LLM_ERR_GENERATE;
		const char *detail = eng_ctx_errmsg(s->c);
		for (size_t i = 0; i < nb; i++)
			llm_response_fail(&out[map[i]], le, "engine: %s%s%s", eng_strerror(e),
					  detail && *detail ? ": " : "", detail ? detail : "");
		/* a context that failed mid-run is not handed on */
		eng_ctx_free(s->c);
		s->c = NULL;
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
	free(samp);
	free(systems);
	return rc;
}

static int en_complete(struct llm *l, const struct llm_request *reqs, size_t n,
		       struct llm_response *out, llm_progress_cb cb, void *ctx,
		       volatile int *cancel)
{
	struct eng_state *s = l->impl;
	double *t_last = calloc(n, sizeof *t_last);
	char *why = NULL;
	int rc = LLM_OK;

	if (!t_last) {
		rc = LLM_ERR_NOMEM;
		goto out;
	}
	memset(&s->last, 0, sizeof s->last);
	for (size_t i = 0; i < n; i++)
		out[i].completion_tokens = 0;
	struct run run = { reqs, out, NULL, t_last, cb, ctx, cancel, 0 };
	rc = run_batch(s, reqs, n, out, &run, &why);
	if (rc == LLM_OK && cancel && *cancel)
		rc = LLM_ERR_CANCELLED;
out:
	if (rc != LLM_OK)
		for (size_t i = 0; i < n; i++)
			if (!out[i].text && !out[i].err)
				llm_response_fail(&out[i], rc, "%s", why ? why : llm_strerror(rc));
	free(why);
	free(t_last);
	return rc;
}

static void en_close(struct llm *l)
{
	struct eng_state *s = l->impl;
	if (!s)
		return;
	if (s->cm)
		cache_put(s->cm, s->c, &s->key, s->c_seq);
	else
		eng_ctx_free(s->c);
	eng_ctx_free(s->dc);
	if (s->dcm)
		cache_put(s->dcm, NULL, &s->key, 0);
	free(s);
	l->impl = NULL;
}

static void en_stats(const struct llm *l, enum llm_stats_scope scope, struct llm_stats *out)
{
	const struct eng_state *s = l->impl;
	*out = scope == LLM_STATS_TOTAL ? s->total : s->last;
}

static const struct llm_ops en_ops = { en_complete, en_close, en_stats };

int llm_engine_open(struct llm *l, const struct llm_config *cfg, char **err)
{
	struct eng_state *s;
	struct stat st;
	enum eng_device dev = ENG_DEVICE_AUTO;
	int rc = LLM_OK;

	l->ops = &en_ops;
	/* llm_open ran llm_config_check: a model file and a known device */
	if (cfg->device && *cfg->device && eng_device_parse(cfg->device, &dev)) {
		*err = util_strfmt("device '%.32s' unknown: choose auto, cpu or cuda", cfg->device);
		return LLM_ERR_CONFIG;
	}
	if (stat(cfg->model_path, &st)) {
		*err = util_strfmt("cannot load the model '%s': %s", cfg->model_path, strerror(errno));
		return LLM_ERR_MODEL;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		*err = util_strdup("out of memory");
		return LLM_ERR_NOMEM;
	}
	l->impl = s;
	s->cm = cache_get(cfg->model_path, &st, &rc, err);
	if (!s->cm)
		return rc;
	s->m = s->cm->m;
	struct eng_model_info info;
	eng_model_get_info(s->m, &info);
	s->has_template = info.chat_template != NULL;
	s->key.threads = cfg->threads > 0 ? cfg->threads : 0;
	s->key.device = dev;
	s->key.vram_budget = cfg->vram_budget;
	s->key.ram_budget = cfg->ram_budget;
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
	if (!l->model_name) {
		*err = util_strdup("out of memory");
		return LLM_ERR_NOMEM;
	}
	memcpy(l->model_hash, s->cm->hash, sizeof s->cm->hash);
	if (cfg->draft_path && *cfg->draft_path) {
		struct stat dst;
		char why[256];
		if (stat(cfg->draft_path, &dst)) {
			*err = util_strfmt("cannot load the draft model '%s': %s", cfg->draft_path,
					   strerror(errno));
			return LLM_ERR_MODEL;
		}
		if (!(s->dcm = cache_get(cfg->draft_path, &dst, &rc, err)))
			return rc;
		if (eng_vocab_differs(s->m, s->dcm->m, why, sizeof why)) {
			*err = util_strfmt("the draft model '%s' cannot draft for '%s': %s",
					   cfg->draft_path, cfg->model_path, why);
			return LLM_ERR_CONFIG;
		}
		const char *db = strrchr(cfg->draft_path, '/');
		snprintf(s->draft_name, sizeof s->draft_name, "%s", db ? db + 1 : cfg->draft_path);
		s->draft_k = cfg->draft_k;
	}
	return LLM_OK;
}
