/* test_engine_spec.c — speculative decoding (issue 9):
 *   - eng_decode_multi: k tokens of a sequence in one pass give, row by row,
 *     bit for bit the logits eng_decode gives them one at a time, for
 *     several sequences at once; eng_seq_truncate drops rejected cells;
 *   - greedy generation with a draft is token for token the generation
 *     without one, on every corpus model (drafts of other types and
 *     architectures: they all share stories260K's vocabulary), for fixed
 *     and adaptive draft lengths, one sequence and a batch;
 *   - with sampling, the accept/reject rule keeps the model's distribution:
 *     token frequencies over many seeds with and without a draft agree
 *     within a stated bound;
 *   - a draft whose vocabulary differs (token lists compared) is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/engine_int.h"
#include "engine/tokenizer_int.h"

#define N_THREADS 2

#include "sanitized.h"

static char corpus[1024];

static eng_model *load(const char *stem)
{
	char path[1200], err[256] = "";
	eng_model *m = NULL;
	snprintf(path, sizeof path, "%s/%s.gguf", corpus, stem);
	enum eng_err e = eng_model_load(path, NULL, &m, err, sizeof err);
	if (e != ENG_OK)
		print_error("load %s: %s (%s)\n", path, eng_strerror(e), err);
	assert_int_equal(e, ENG_OK);
	return m;
}

static eng_ctx *ctx(eng_model *m, int n_ctx, int n_seq)
{
	struct eng_ctx_params p = { .n_ctx = n_ctx, .n_seq = n_seq, .n_threads = N_THREADS,
				    .n_batch = 32 };
	eng_ctx *c = NULL;
	assert_int_equal(eng_ctx_new(m, &p, &c), ENG_OK);
	return c;
}

/* eng_decode_multi against eng_decode, and truncation. */
static void test_decode_multi(void **state)
{
	(void)state;
	static const char *const models[] = { "micro-llama-f32", "micro-llama-q4_k_m",
					      "micro-qwen2-q8_0", "stories260K" };
	for (size_t mi = 0; mi < sizeof models / sizeof *models; mi++) {
		eng_model *m = load(models[mi]);
		eng_ctx *a = ctx(m, 64, 2), *b = ctx(m, 64, 2);
		const int n_vocab = eng_ctx_n_vocab(a);
		const int32_t p0[] = { 1, 100, 200, 300 }, p1[] = { 1, 50, 60 };
		const int32_t k0[] = { 7, 8, 9, 10, 11 }, k1[] = { 12, 13, 14 };
		int s[2], t[2];
		for (int i = 0; i < 2; i++) {
			assert_int_equal(eng_seq_new(a, &s[i]), ENG_OK);
			assert_int_equal(eng_seq_new(b, &t[i]), ENG_OK);
		}
		assert_int_equal(eng_prefill(a, s[0], p0, 4, NULL), ENG_OK);
		assert_int_equal(eng_prefill(a, s[1], p1, 3, NULL), ENG_OK);
		assert_int_equal(eng_prefill(b, t[0], p0, 4, NULL), ENG_OK);
		assert_int_equal(eng_prefill(b, t[1], p1, 3, NULL), ENG_OK);
		/* one pass: 5 tokens of one sequence, 3 of the other */
		float *multi = malloc((size_t)8 * n_vocab * sizeof *multi);
		float *one = malloc((size_t)2 * n_vocab * sizeof *one);
		const int32_t *toks[2] = { k0, k1 };
		int counts[2] = { 5, 3 };
		struct eng_pass_stats st0, st1;
		eng_ctx_stats(a, &st0);
		assert_int_equal(eng_decode_multi(a, 2, s, toks, counts, multi), ENG_OK);
		eng_ctx_stats(a, &st1);
		assert_int_equal(st1.passes - st0.passes, 1);
		assert_int_equal(eng_seq_pos(a, s[0]), 9);
		assert_int_equal(eng_seq_pos(a, s[1]), 6);
		/* the same tokens one step at a time */
		for (int j = 0; j < 5; j++) {
			int n = j < 3 ? 2 : 1;
			int32_t tk[2] = { k0[j], j < 3 ? k1[j] : 0 };
			assert_int_equal(eng_decode(b, n, t, tk, one), ENG_OK);
			assert_memory_equal(one, multi + (size_t)j * n_vocab, (size_t)n_vocab * sizeof *one);
			if (j < 3)
				assert_memory_equal(one + n_vocab, multi + (size_t)(5 + j) * n_vocab,
						    (size_t)n_vocab * sizeof *one);
		}
		/* roll sequence 0 back by 3 and feed other tokens: the same as
		 * feeding those after the first two */
		assert_int_equal(eng_seq_truncate(a, s[0], 6), ENG_OK);
		assert_int_equal(eng_seq_truncate(a, s[0], 7), ENG_ERR_INVALID_ARG);
		const int32_t alt[] = { 20, 21 };
		const int32_t *at[1] = { alt };
		int ac[1] = { 2 };
		assert_int_equal(eng_decode_multi(a, 1, s, at, ac, multi), ENG_OK);
		eng_ctx *r = ctx(m, 64, 1);
		int rs;
		assert_int_equal(eng_seq_new(r, &rs), ENG_OK);
		/* the reference feeds 7 and 8 as decode tokens too */
		assert_int_equal(eng_prefill(r, rs, p0, 4, NULL), ENG_OK);
		assert_int_equal(eng_decode(r, 1, &rs, &k0[0], NULL), ENG_OK);
		assert_int_equal(eng_decode(r, 1, &rs, &k0[1], NULL), ENG_OK);
		for (int j = 0; j < 2; j++) {
			assert_int_equal(eng_decode(r, 1, &rs, &alt[j], one), ENG_OK);
			assert_memory_equal(one, multi + (size_t)j * n_vocab, (size_t)n_vocab * sizeof *one);
		}
		/* a sequence that would not fit is refused whole */
		const int32_t many[64] = { 0 };
		const int32_t *mt[1] = { many };
		int mc[1] = { 64 };
		assert_int_equal(eng_decode_multi(a, 1, s, mt, mc, NULL), ENG_ERR_CONTEXT_FULL);
		free(multi);
		free(one);
		eng_ctx_free(r);
		eng_ctx_free(a);
		eng_ctx_free(b);
		eng_model_free(m);
	}
}

/* Greedy: with a draft the text is the text without one. */
static void test_greedy_identical(void **state)
{
	(void)state;
	static const char *const targets[] = {
		"stories260K", "micro-llama-f32", "micro-qwen2-f32", "micro-llama-f16",
		"micro-llama-q8_0", "micro-llama-q4_0", "micro-llama-q4_1", "micro-llama-q5_0",
		"micro-llama-q5_1", "micro-llama-q4_k", "micro-llama-q5_k", "micro-llama-q6_k",
		"micro-llama-q4_k_m", "micro-qwen2-q8_0", "tiny-llama3-tied-q4_k_m",
	};
	static const char *const drafts[] = { "stories260K", "micro-llama-q4_0", "micro-qwen2-q8_0" };
	const char *prompts[3] = { "Once upon a time", "The chip war", "Lily and Tom" };
	/* under the sanitizers every third model (the same code runs) */
	for (size_t ti = 0; ti < sizeof targets / sizeof *targets; ti += SANITIZED ? 3 : 1) {
		eng_model *m = load(targets[ti]);
		struct eng_gen_params g;
		eng_gen_default(&g);
		g.max_tokens = 20;
		char *want[3], *got[3];
		eng_ctx *c = ctx(m, 128, 2);
		assert_int_equal(eng_generate_batch(c, 3, prompts, &g, want), ENG_OK);
		for (size_t di = 0; di < sizeof drafts / sizeof *drafts; di++) {
			eng_model *dm = load(drafts[di]);
			eng_ctx *dc = ctx(dm, 128, 2);
			char why[256];
			if (eng_vocab_differs(m, dm, why, sizeof why)) {
				/* tiny-llama3's vocabulary is Llama 3's: refused */
				g.draft = dc;
				char *out[3];
				assert_int_equal(eng_generate_batch(c, 3, prompts, &g, out),
						 ENG_ERR_INVALID_ARG);
				assert_non_null(strstr(eng_ctx_errmsg(c), "differ in size"));
				g.draft = NULL;
				eng_ctx_free(dc);
				eng_model_free(dm);
				continue;
			}
			/* fixed draft lengths and the adaptive one; batch and alone */
			static const int ks[] = { 1, 3, 8, 0 };
			for (size_t ki = 0; ki < 4; ki++) {
				struct eng_spec_stats st;
				g.draft = dc;
				g.draft_k = ks[ki];
				g.spec = &st;
				enum eng_err e = eng_generate_batch(c, 3, prompts, &g, got);
				if (e != ENG_OK)
					fail_msg("%s with draft %s, k %d: %s: %s", targets[ti], drafts[di],
						 ks[ki], eng_strerror(e), eng_ctx_errmsg(c));
				for (int i = 0; i < 3; i++) {
					if (strcmp(got[i], want[i]))
						fail_msg("%s with draft %s, k %d, prompt %d: '%s' != '%s'",
							 targets[ti], drafts[di], ks[ki], i, got[i], want[i]);
					free(got[i]);
				}
				assert_true(st.rounds > 0);
				assert_true(st.accepted <= st.drafted);
				/* every token came from a round: accepted + one each */
				assert_true(st.tokens >= st.rounds);
				char *one = NULL;
				assert_int_equal(eng_generate(c, prompts[1], &g, &one), ENG_OK);
				assert_string_equal(one, want[1]);
				free(one);
			}
			g.draft = NULL;
			g.spec = NULL;
			eng_ctx_free(dc);
			eng_model_free(dm);
		}
		/* a draft that is the model itself is always right */
		eng_ctx *self = ctx(m, 128, 2);
		struct eng_spec_stats st;
		g.draft = self;
		g.draft_k = 4;
		g.spec = &st;
		assert_int_equal(eng_generate_batch(c, 3, prompts, &g, got), ENG_OK);
		for (int i = 0; i < 3; i++) {
			assert_string_equal(got[i], want[i]);
			free(got[i]);
			free(want[i]);
		}
		assert_int_equal(st.accepted, st.drafted);
		assert_true(st.tokens > 2 * st.target_passes);   /* fewer passes than tokens */
		eng_ctx_free(self);
		eng_ctx_free(c);
		eng_model_free(m);
	}
}

struct ids {
	int32_t v[8];
	int n;
};

static int keep_ids(void *ud, int i, int32_t tok, const char *piece, size_t len)
{
	struct ids *x = ud;
	(void)i;
	(void)piece;
	(void)len;
	if (tok >= 0 && x->n < 8)
		x->v[x->n++] = tok;
	return 0;
}

/* Sampling: the distribution of the generated tokens with a draft is the
 * model's. Over N seeds, the frequencies of the first three generated
 * tokens with and without a draft (another model: it is often wrong, so
 * the rejection path runs) differ by a total variation distance below 0.1
 * at each position (the sampling noise at N = 2000 is about 0.04 here). */
static void test_sampling_distribution(void **state)
{
	(void)state;
	/* fewer seeds under the sanitizers (the same code runs; the bound is
	 * for N = 2000) */
	enum { N = SANITIZED ? 400 : 2000, POS = 3 };
	const double bound = SANITIZED ? 0.2 : 0.1;
	eng_model *m = load("stories260K"), *dm = load("micro-llama-q4_k");
	eng_ctx *c = ctx(m, 64, 1), *dc = ctx(dm, 64, 1);
	const int V = eng_ctx_n_vocab(c);
	/* without a draft; with a poor draft (another model, seldom right);
	 * with a good one (the model itself: nearly always right) */
	eng_ctx *self = ctx(m, 64, 1);
	eng_ctx *drafts[3] = { NULL, dc, self };
	double *freq[3];
	for (int w = 0; w < 3; w++)
		freq[w] = calloc((size_t)POS * V, sizeof **freq);
	struct eng_gen_params g;
	eng_gen_default(&g);
	g.max_tokens = POS;
	g.sampling.temperature = 1.0f;
	g.on_token = keep_ids;
	uint64_t drafted[3] = { 0 }, accepted[3] = { 0 };
	for (int w = 0; w < 3; w++) {
		for (int seed = 0; seed < N; seed++) {
			struct eng_spec_stats st = { 0 };
			struct ids x = { { 0 }, 0 };
			g.sampling.seed = (uint64_t)seed * 7919u + 1;
			g.draft = drafts[w];
			g.draft_k = 2;
			g.spec = w ? &st : NULL;
			g.ud = &x;
			char *out = NULL;
			assert_int_equal(eng_generate(c, "Once upon a time", &g, &out), ENG_OK);
			free(out);
			for (int k = 0; k < x.n && k < POS; k++)
				freq[w][(size_t)k * V + x.v[k]] += 1.0 / N;
			drafted[w] += st.drafted;
			accepted[w] += st.accepted;
		}
	}
	for (int w = 1; w < 3; w++) {
		/* the poor draft runs both paths (accepted and rejected); the
		 * model drafting for itself is always accepted (p / q = 1) */
		print_message("  draft %d: tokens accepted %llu of %llu\n", w,
			      (unsigned long long)accepted[w], (unsigned long long)drafted[w]);
		assert_true(drafted[w] > 0 && accepted[w] > 0);
		if (w == 1)
			assert_true(accepted[w] < drafted[w]);
		else
			assert_true(accepted[w] == drafted[w]);
		for (int k = 0; k < POS; k++) {
			double tvd = 0;
			for (int v = 0; v < V; v++)
				tvd += fabs(freq[0][(size_t)k * V + v] - freq[w][(size_t)k * V + v]);
			tvd /= 2;
			print_message("  draft %d, position %d: total variation distance %.3f\n", w, k,
				      tvd);
			assert_true(tvd < bound);
		}
	}
	for (int w = 0; w < 3; w++)
		free(freq[w]);
	eng_ctx_free(self);
	eng_ctx_free(c);
	eng_ctx_free(dc);
	eng_model_free(m);
	eng_model_free(dm);
}

/* A draft whose token list differs is refused, with the token named. */
static void test_vocab_refused(void **state)
{
	(void)state;
	eng_model *m = load("stories260K"), *dm = load("stories260K");
	char why[256];
	assert_int_equal(eng_vocab_differs(m, dm, why, sizeof why), 0);
	/* the same size, one token's text changed */
	struct eng_tok *t = dm->tok;
	char *p = t->arena + t->text_off[300];
	assert_true(t->text_len[300] > 0);
	p[0] = p[0] == 'Q' ? 'R' : 'Q';
	assert_int_equal(eng_vocab_differs(m, dm, why, sizeof why), 1);
	assert_non_null(strstr(why, "token 300 differs"));
	eng_ctx *c = ctx(m, 64, 1), *dc = ctx(dm, 64, 1);
	struct eng_gen_params g;
	eng_gen_default(&g);
	g.max_tokens = 4;
	g.draft = dc;
	char *out = NULL;
	assert_int_equal(eng_generate(c, "Once", &g, &out), ENG_ERR_INVALID_ARG);
	assert_non_null(strstr(eng_ctx_errmsg(c), "vocabulary"));
	free(out);
	eng_ctx_free(c);
	eng_ctx_free(dc);
	eng_model_free(m);
	eng_model_free(dm);
}

int main(void)
{
	const char *sh = getenv("BRIEFING_SHARED");
	snprintf(corpus, sizeof corpus, "%s/corpus/engine", sh && *sh ? sh : "../shared");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_multi),
		cmocka_unit_test(test_greedy_identical),
		cmocka_unit_test(test_sampling_distribution),
		cmocka_unit_test(test_vocab_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
