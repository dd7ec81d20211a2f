/* test_cuda.c — the CUDA backend against the CPU backend, on the corpus
 * models. A plain C program on the engine alone: the GPU machines have
 * none of our other libraries (no cmocka). Run by `make check-gpu`.
 *
 *   test_cuda [CORPUS_DIR]   (default $BRIEFING_SHARED/corpus/engine)
 *
 * Without a usable GPU it prints why and exits 0 (skipped). Checks:
 *   1. parity: every corpus model, prompt "The chip war" and the 952-token
 *      long prompt: logits within the corpus tolerance of the CPU backend
 *      at every step, and the same greedy token at every step (32 steps,
 *      the two backends in lockstep) except at near-ties, which are
 *      listed: the backends add block sums in different orders, and a
 *      last-bit difference that moves an activation across a rounding
 *      boundary of its 8-bit quantisation grows to ~1e-2 in the logits;
 *   2. per layer: the residual stream after each layer, CPU vs CUDA,
 *      normalised error (NMSE);
 *   3. batched decode on the GPU is bitwise equal to each sequence alone;
 *   4. tier mixes: all resident, part streamed from pinned RAM, everything
 *      streamed, and read from the file: bitwise the same logits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/engine_int.h"

static int failures;
static int near_ties;   /* greedy differences at near-ties, reported in the summary */

#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL: "); printf(__VA_ARGS__); printf("\n"); } } while (0)

static const char *models[] = {
	"micro-llama-f32", "micro-llama-f16", "micro-llama-q8_0", "micro-llama-q4_0",
	"micro-llama-q4_1", "micro-llama-q5_0", "micro-llama-q5_1", "micro-llama-q4_k",
	"micro-llama-q5_k", "micro-llama-q6_k", "micro-llama-q4_k_m", "micro-qwen2-f32",
	"micro-qwen2-q8_0", "tiny-llama3-tied-q4_k_m", "stories260K",
};

/* prompt_ids of a .ref.txt; malloc'd */
static int32_t *read_ids(const char *path, int *n)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int32_t *ids = NULL;
	*n = 0;
	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "prompt_ids:", 11))
			continue;
		int c = 0;
		for (char *p = line + 11; *p; p++)
			if (*p == ' ')
				c++;
		ids = malloc((size_t)(c + 1) * sizeof *ids);
		char *p = line + 11, *e;
		for (;;) {
			long v = strtol(p, &e, 10);
			if (e == p)
				break;
			ids[(*n)++] = (int32_t)v;
			p = e;
		}
		break;
	}
	free(line);
	fclose(f);
	return ids;
}

static double tol_for(int file_type, const float *ref, int nv)
{
	float mx = 1.0f;
	for (int i = 0; i < nv; i++)
		if (fabsf(ref[i]) > mx)
			mx = fabsf(ref[i]);
	switch (file_type) {
	case 0: case -1: return 1e-3 * mx;   /* F32 (stories260K has no file_type) */
	case 1: return 2e-3;
	case 32: return 1e-2;
	default: return 5e-2;
	}
}

static double maxdiff(const float *a, const float *b, int n)
{
	double d = 0;
	for (int i = 0; i < n; i++) {
		double x = fabs((double)a[i] - b[i]);
		if (!(x <= d))
			d = x;   /* NaN propagates */
	}
	return d;
}

static eng_ctx *ctx(eng_model *m, enum eng_device dev, int n_seq, uint64_t vram, uint64_t ram,
		    enum eng_err *e_out)
{
	struct eng_ctx_params p = { .n_ctx = 1024, .n_seq = n_seq, .n_batch = 256, .device = dev,
				    .vram_budget = vram, .ram_budget = ram };
	eng_ctx *c = NULL;
	char err[256];
	enum eng_err e = eng_ctx_new_err(m, &p, &c, err, sizeof err);
	if (e_out)
		*e_out = e;
	else if (e != ENG_OK)
		printf("context (%s): %s: %s\n", dev == ENG_DEVICE_CUDA ? "cuda" : "cpu", eng_strerror(e), err);
	return c;
}

/* the CPU's margin between its best and second-best token */
static double margin(const float *l, int n)
{
	float a = -INFINITY, b = -INFINITY;
	for (int i = 0; i < n; i++) {
		if (l[i] > a) {
			b = a;
			a = l[i];
		} else if (l[i] > b) {
			b = l[i];
		}
	}
	return (double)a - b;
}

/* CPU and CUDA in lockstep: prefill ids, then steps greedy tokens chosen
 * by the CPU. Returns the largest logit difference; counts argmax
 * mismatches (*mism), and of those the ones at a near-tie (*ties): a step
 * whose CPU top-2 margin is within twice that step's largest logit
 * difference, where two backends within tolerance of each other may
 * rightly pick different tokens. A mismatch anywhere else is a bug. */
static double lockstep(eng_model *m, eng_ctx *cc, eng_ctx *gc, const int32_t *ids, int n, int steps,
		       int *mism, int *ties, double *tol_used)
{
	const int nv = eng_ctx_n_vocab(cc);
	float *a = malloc((size_t)nv * 4), *b = malloc((size_t)nv * 4);
	int sa, sb;
	double worst = 0;
	struct eng_model_info in;
	eng_model_get_info(m, &in);
	*mism = 0;
	*ties = 0;
	*tol_used = 0;
	eng_seq_new(cc, &sa);
	eng_seq_new(gc, &sb);
	enum eng_err e1 = eng_prefill(cc, sa, ids, n, a), e2 = eng_prefill(gc, sb, ids, n, b);
	CHECK(e1 == ENG_OK && e2 == ENG_OK, "prefill: cpu %s, cuda %s (%s)", eng_strerror(e1),
	      eng_strerror(e2), eng_ctx_errmsg(gc));
	for (int s = 0; s <= steps && e1 == ENG_OK && e2 == ENG_OK; s++) {
		double d = maxdiff(a, b, nv), tol = tol_for(in.file_type, a, nv);
		if (tol > *tol_used)
			*tol_used = tol;
		if (!(d <= worst))
			worst = d;
		int32_t ta = eng_argmax(a, nv), tb = eng_argmax(b, nv);
		if (ta != tb) {
			const double mg = margin(a, nv);
			(*mism)++;
			if (mg <= 2 * d)
				(*ties)++;
			printf("      step %d: cpu token %d, cuda token %d; cpu top-2 margin %.3g, max |dlogit| %.3g%s\n",
			       s, (int)ta, (int)tb, mg, d, mg <= 2 * d ? " (near-tie)" : "");
		}
		if (s == steps)
			break;
		e1 = eng_decode(cc, 1, &sa, &ta, a);
		e2 = eng_decode(gc, 1, &sb, &ta, b);
		CHECK(e1 == ENG_OK && e2 == ENG_OK, "decode: cpu %s, cuda %s (%s)", eng_strerror(e1),
		      eng_strerror(e2), eng_ctx_errmsg(gc));
	}
	eng_seq_free(cc, sa);
	eng_seq_free(gc, sb);
	free(a);
	free(b);
	return worst;
}

static void parity(const char *dir, const char *name)
{
	char path[2048], ref[2048];
	snprintf(path, sizeof path, "%s/%s.gguf", dir, name);
	eng_model *m = NULL;
	char err[512];
	if (eng_model_load(path, NULL, &m, err, sizeof err) != ENG_OK) {
		printf("skip  %-26s (%s)\n", name, err);
		return;
	}
	eng_ctx *cc = ctx(m, ENG_DEVICE_CPU, 4, 0, 0, NULL), *gc = ctx(m, ENG_DEVICE_CUDA, 4, 0, 0, NULL);
	CHECK(cc && gc, "%s: contexts", name);
	if (!cc || !gc)
		goto out;
	int n = 0, mism = 0, mism_l = 0, ties = 0, ties_l = 0;
	double tol = 0, tol_l = 0, dl = 0;
	snprintf(ref, sizeof ref, "%s/%s.ref.txt", dir, name);
	int32_t *ids = read_ids(ref, &n);
	CHECK(ids && n > 0, "%s: no prompt_ids in %s", name, ref);
	if (!ids)
		goto out;
	double d = lockstep(m, cc, gc, ids, n, 32, &mism, &ties, &tol);
	free(ids);
	snprintf(ref, sizeof ref, "%s/%s.long.ref.txt", dir, name);
	ids = read_ids(ref, &n);
	if (ids) {
		dl = lockstep(m, cc, gc, ids, n, 8, &mism_l, &ties_l, &tol_l);
		free(ids);
	}
	/* within tolerance everywhere; the same greedy token at every step
	 * but near-ties (reported, and counted in the summary) */
	int ok = d <= tol && mism == ties && dl <= (tol_l > 0 ? tol_l : 1) && mism_l == ties_l;
	printf("%s  %-26s max |dlogit| %.3g (tol %.3g), greedy mismatches %d/33 (%d near-tie); "
	       "long prompt %.3g, %d/9 (%d near-tie)\n",
	       ok ? "ok  " : "FAIL", name, d, tol, mism, ties, dl, mism_l, ties_l);
	if (!ok)
		failures++;
	near_ties += ties + ties_l;

	/* per layer: the residual stream after 1..n_layer layers */
	{
		struct eng_model_info in;
		eng_model_get_info(m, &in);
		const int T = 8;
		int32_t toks[8] = { 1, 291, 280, 415, 417, 427, 273, 420 };
		float *xa = malloc((size_t)T * in.n_embd * 4), *xb = malloc((size_t)T * in.n_embd * 4);
		double worst = 0;
		for (int i = 0; i < T; i++)
			toks[i] %= in.n_vocab;
		for (int L = 1; L <= in.n_layer; L++) {
			int sa, sb;
			eng_seq_new(cc, &sa);
			eng_seq_new(gc, &sb);
			enum eng_err e1 = eng_forward_layers(cc, sa, toks, T, L, xa);
			enum eng_err e2 = eng_forward_layers(gc, sb, toks, T, L, xb);
			eng_seq_free(cc, sa);
			eng_seq_free(gc, sb);
			CHECK(e1 == ENG_OK && e2 == ENG_OK, "%s: layer %d forward", name, L);
			double num = 0, den = 0;
			for (int i = 0; i < T * in.n_embd; i++) {
				num += ((double)xa[i] - xb[i]) * ((double)xa[i] - xb[i]);
				den += (double)xa[i] * xa[i];
			}
			double nmse = den > 0 ? num / den : num;
			if (!(nmse <= worst))
				worst = nmse;
		}
		printf("%s  %-26s per-layer NMSE (CPU vs CUDA, worst of %d layers) %.3g\n",
		       worst <= 1e-4 ? "ok  " : "FAIL", name, in.n_layer, worst);
		if (!(worst <= 1e-4))
			failures++;
		free(xa);
		free(xb);
	}
out:
	eng_ctx_free(cc);
	eng_ctx_free(gc);
	eng_model_free(m);
}

/* greedy tokens and every step's logits of n_seq prompts decoded together */
static int run_batch(eng_ctx *c, int B, int32_t **prompts, const int *lens, int steps, float *logits_out)
{
	const int nv = eng_ctx_n_vocab(c);
	int seqs[8];
	int32_t tok[8];
	float *lg = malloc((size_t)B * nv * 4);
	for (int i = 0; i < B; i++) {
		eng_seq_new(c, &seqs[i]);
		if (eng_prefill(c, seqs[i], prompts[i], lens[i], lg + (size_t)i * nv) != ENG_OK)
			return -1;
		tok[i] = eng_argmax(lg + (size_t)i * nv, nv);
	}
	for (int s = 0; s < steps; s++) {
		if (eng_decode(c, B, seqs, tok, lg) != ENG_OK)
			return -1;
		memcpy(logits_out + (size_t)s * B * nv, lg, (size_t)B * nv * 4);
		for (int i = 0; i < B; i++)
			tok[i] = eng_argmax(lg + (size_t)i * nv, nv);
	}
	for (int i = 0; i < B; i++)
		eng_seq_free(c, seqs[i]);
	free(lg);
	return 0;
}

static void batched_and_tiers(const char *dir, const char *name, int tiers)
{
	char path[2048], ref[2048];
	snprintf(path, sizeof path, "%s/%s.gguf", dir, name);
	snprintf(ref, sizeof ref, "%s/%s.long.ref.txt", dir, name);
	eng_model *m = NULL;
	char err[512];
	int n = 0;
	if (eng_model_load(path, NULL, &m, err, sizeof err) != ENG_OK) {
		printf("skip  %-26s (%s)\n", name, err);
		return;
	}
	int32_t *ids = read_ids(ref, &n);
	if (!ids || n < 120) {
		printf("skip  %-26s (no long prompt)\n", name);
		free(ids);
		eng_model_free(m);
		return;
	}
	const int B = 4, steps = 12, nv = m->hp.n_vocab;
	int lens[4] = { 5, 17, 40, 100 };
	int32_t *pr[4];
	for (int i = 0; i < B; i++)
		pr[i] = ids + i * 3;   /* different prompts */
	const size_t per = (size_t)steps * B * nv;
	float *ref_l = malloc(per * 4), *alone = malloc(per * 4), *tmp = malloc((size_t)steps * nv * 4);

	/* all resident, batched */
	eng_ctx *g = ctx(m, ENG_DEVICE_CUDA, 4, 0, 0, NULL);
	CHECK(g && run_batch(g, B, pr, lens, steps, ref_l) == 0, "%s: batched run", name);
	eng_ctx_free(g);
	/* each alone */
	for (int i = 0; i < B; i++) {
		g = ctx(m, ENG_DEVICE_CUDA, 1, 0, 0, NULL);
		CHECK(g && run_batch(g, 1, &pr[i], &lens[i], steps, tmp) == 0, "%s: alone run", name);
		for (int s = 0; s < steps; s++)
			memcpy(alone + ((size_t)s * B + i) * nv, tmp + (size_t)s * nv, (size_t)nv * 4);
		eng_ctx_free(g);
	}
	int same = !memcmp(ref_l, alone, per * 4);
	printf("%s  %-26s batched decode of %d sequences == each alone (bitwise)\n", same ? "ok  " : "FAIL",
	       name, B);
	if (!same)
		failures++;
	/* packed prefill: the four prompts in shared passes of 16 tokens give
	 * the same logits as each prompt alone (bitwise), in fewer passes */
	{
		float *pk = malloc((size_t)B * nv * 4), *al = malloc((size_t)B * nv * 4);
		int seqs[4], passes_alone = 0;
		const int32_t *tp[4];
		struct eng_pass_stats st;
		for (int i = 0; i < B; i++) {
			struct eng_ctx_params cp = { .n_ctx = 256, .n_seq = 1, .n_batch = 16,
						     .device = ENG_DEVICE_CUDA };
			eng_ctx *c1 = NULL;
			int s1;
			CHECK(eng_ctx_new(m, &cp, &c1) == ENG_OK, "%s: context", name);
			if (!c1)
				continue;
			eng_seq_new(c1, &s1);
			CHECK(eng_prefill(c1, s1, pr[i], lens[i], al + (size_t)i * nv) == ENG_OK, "%s: prefill", name);
			eng_ctx_stats(c1, &st);
			passes_alone += (int)st.passes;
			eng_ctx_free(c1);
		}
		struct eng_ctx_params cp = { .n_ctx = 256, .n_seq = 4, .n_batch = 16, .device = ENG_DEVICE_CUDA };
		eng_ctx *c4 = NULL;
		CHECK(eng_ctx_new(m, &cp, &c4) == ENG_OK, "%s: context", name);
		if (c4) {
			for (int i = 0; i < B; i++) {
				eng_seq_new(c4, &seqs[i]);
				tp[i] = pr[i];
			}
			CHECK(eng_prefill_batch(c4, B, seqs, tp, lens, pk) == ENG_OK, "%s: packed prefill", name);
			eng_ctx_stats(c4, &st);
			int eq = !memcmp(pk, al, (size_t)B * nv * 4);
			printf("%s  %-26s packed prefill of %d prompts == each alone (bitwise): %llu passes "
			       "instead of %d\n", eq ? "ok  " : "FAIL", name, B, (unsigned long long)st.passes,
			       passes_alone);
			if (!eq)
				failures++;
			eng_ctx_free(c4);
		}
		free(pk);
		free(al);
	}
	if (!tiers)
		goto done;

	/* the smallest VRAM budget that works (everything streams) */
	uint64_t lo = 1, hi = (uint64_t)64 << 30;
	enum eng_err e;
	while (hi - lo > 4096) {
		uint64_t mid = lo + (hi - lo) / 2;
		g = ctx(m, ENG_DEVICE_CUDA, 4, mid, 0, &e);
		if (g)
			hi = mid;
		else
			lo = mid;
		CHECK(g || e == ENG_ERR_BUDGET, "%s: budget %llu: %s", name, (unsigned long long)mid,
		      eng_strerror(e));
		eng_ctx_free(g);
	}
	const uint64_t vmin = hi;
	struct { const char *what; uint64_t vram, ram; } mixes[3] = {
		{ "VRAM at its minimum, the rest from pinned RAM", vmin, 0 },
		{ "part of the layers streamed", 0, 0 },
		{ "VRAM at its minimum, RAM small: read from the file", vmin, 0 },
	};
	/* part streamed: the first budget above the minimum that keeps some
	 * layers resident and streams others */
	{
		g = ctx(m, ENG_DEVICE_CUDA, 4, 0, 0, NULL);
		struct eng_pass_stats st;
		eng_ctx_stats(g, &st);
		const uint64_t total = st.plan_bytes[0];
		eng_ctx_free(g);
		mixes[1].vram = vmin;
		for (int k = 1; k <= 32; k++) {
			g = ctx(m, ENG_DEVICE_CUDA, 4, vmin + total * k / 32, 0, &e);
			if (!g)
				continue;
			eng_ctx_stats(g, &st);
			eng_ctx_free(g);
			if (st.layers_streamed > 0 && st.layers_streamed < st.n_layer) {
				mixes[1].vram = vmin + total * k / 32;
				break;
			}
		}
	}
	/* file: the smallest RAM budget at the VRAM minimum */
	lo = 1;
	hi = (uint64_t)64 << 30;
	while (hi - lo > 4096) {
		uint64_t mid = lo + (hi - lo) / 2;
		g = ctx(m, ENG_DEVICE_CUDA, 4, vmin, mid, &e);
		if (g)
			hi = mid;
		else
			lo = mid;
		eng_ctx_free(g);
	}
	mixes[2].ram = hi;
	for (int k = 0; k < 3; k++) {
		g = ctx(m, ENG_DEVICE_CUDA, 4, mixes[k].vram, mixes[k].ram, NULL);
		if (!g) {
			CHECK(0, "%s: %s: no context", name, mixes[k].what);
			continue;
		}
		struct eng_pass_stats st;
		eng_ctx_stats(g, &st);
		int r = run_batch(g, B, pr, lens, steps, alone);
		eng_ctx_stats(g, &st);
		int eq = r == 0 && !memcmp(ref_l, alone, per * 4);
		int shape_ok = k == 1 ? st.layers_streamed > 0 && st.layers_streamed < st.n_layer
				      : st.layers_streamed == st.n_layer;
		if (k == 2)
			shape_ok = shape_ok && st.plan_bytes[2] > 0;
		printf("%s  %-26s %s: %d/%d layers streamed, %.1f/%.1f/%.1f KiB resident/RAM/file, "
		       "%llu passes, waited %.2f ms; logits %s\n",
		       eq && shape_ok ? "ok  " : "FAIL", name, mixes[k].what, st.layers_streamed, st.n_layer,
		       st.plan_bytes[0] / 1024.0, st.plan_bytes[1] / 1024.0, st.plan_bytes[2] / 1024.0,
		       (unsigned long long)st.passes, st.wait_seconds * 1e3, eq ? "identical" : "DIFFER");
		if (!eq || !shape_ok)
			failures++;
		eng_ctx_free(g);
	}
done:
	free(ref_l);
	free(alone);
	free(tmp);
	free(ids);
	eng_model_free(m);
}

int main(int argc, char **argv)
{
	char dir[1024];
	const char *sh = getenv("BRIEFING_SHARED");
	if (argc > 1)
		snprintf(dir, sizeof dir, "%s", argv[1]);
	else
		snprintf(dir, sizeof dir, "%s/corpus/engine", sh ? sh : "../shared");
	char note[256];
	if (!eng_backend_pick(ENG_DEVICE_CUDA, note, sizeof note)) {
		printf("SKIP: the CUDA tests need a GPU: %s\n", note);
		return 0;
	}
	printf("device: %s\ncorpus: %s\n", note, dir);
	for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
		parity(dir, models[i]);
	/* tier mixes need more layers than staging slots (2): the micro-llama
	 * models have 4 */
	batched_and_tiers(dir, "micro-llama-q4_k_m", 1);
	batched_and_tiers(dir, "micro-llama-q8_0", 1);
	batched_and_tiers(dir, "micro-qwen2-q8_0", 0);
	batched_and_tiers(dir, "tiny-llama3-tied-q4_k_m", 0);
	printf("%s: %d failure%s; %d greedy difference%s at near-ties (CPU top-2 margin within twice the "
	       "logit difference)\n", failures ? "FAIL" : "PASS", failures, failures == 1 ? "" : "s", near_ties,
	       near_ties == 1 ? "" : "s");
	return failures ? 1 : 0;
}
