/* test_engine_requant.c — eng_requantize against llama-quantize's own
 * files in the corpus: micro-llama-f32 requantised --pure to every type
 * gives the tensors of micro-llama-<type>.gguf byte for byte; without
 * --pure, Q4_K_M gives its mix (Q6_K output, attn_v and ffn_down where
 * use_more_bits says) byte for byte; the tied tiny Llama 3 keeps its type
 * plan; metadata is copied with the new file type; bad input is refused
 * with a reason.
 * Corpus: $BRIEFING_SHARED/corpus (default ../shared). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/gguf.h"
#include "engine/quant.h"

static char corpus[1024];
static char tmpdir[64];

static void corpus_path(char *buf, size_t n, const char *rel)
{
	snprintf(buf, n, "%s/engine/%s", corpus, rel);
}

static struct eng_gguf *open_path(const char *path)
{
	struct eng_gguf *g = NULL;
	char err[256];
	if (eng_gguf_open(path, &g, err, sizeof err) != ENG_OK)
		fail_msg("%s: %s", path, err);
	return g;
}

/* Every tensor of a and b: same name, type, shape and bytes. */
static void assert_same_tensors(const char *pa, const char *pb)
{
	struct eng_gguf *a = open_path(pa), *b = open_path(pb);
	assert_int_equal(eng_gguf_n_tensors(a), eng_gguf_n_tensors(b));
	for (size_t i = 0; i < eng_gguf_n_tensors(a); i++) {
		const struct eng_gguf_tensor *x = eng_gguf_tensor(a, i);
		const struct eng_gguf_tensor *y = eng_gguf_tensor_find(b, x->name);
		if (!y)
			fail_msg("%s: no %s", pb, x->name);
		if (x->type != y->type)
			fail_msg("%s: %s is %s, want %s", pa, x->name, eng_type_name(x->type),
				 eng_type_name(y->type));
		assert_int_equal(x->n_dims, y->n_dims);
		assert_memory_equal(x->ne, y->ne, sizeof x->ne);
		assert_int_equal(x->nbytes, y->nbytes);
		if (memcmp(x->data, y->data, x->nbytes))
			fail_msg("%s: %s differs from llama-quantize's", pa, x->name);
	}
	eng_gguf_close(a);
	eng_gguf_close(b);
}

static void requant(const char *in_rel, const char *out, const char *type, int pure, int embd_type)
{
	char in[1200], err[512] = "";
	struct eng_requant_opts o = { .type = type, .pure = pure, .token_embd_type = embd_type,
				      .output_type = -1, .threads = 2 };
	struct eng_requant_report rep;
	corpus_path(in, sizeof in, in_rel);
	enum eng_err e = eng_requantize(in, out, &o, &rep, err, sizeof err);
	if (e != ENG_OK)
		fail_msg("%s -> %s: %s: %s", in_rel, type, eng_strerror(e), err);
	assert_true(rep.n_tensors > 0);
	assert_true(rep.bytes_out > 0);
}

static void test_pure_types_match_llama_quantize(void **state)
{
	(void)state;
	static const struct { const char *type, *file; int ftype; } t[] = {
		{ "F16", "micro-llama-f16.gguf", 1 },   { "Q8_0", "micro-llama-q8_0.gguf", 7 },
		{ "Q4_0", "micro-llama-q4_0.gguf", 2 }, { "Q4_1", "micro-llama-q4_1.gguf", 3 },
		{ "Q5_0", "micro-llama-q5_0.gguf", 8 }, { "Q5_1", "micro-llama-q5_1.gguf", 9 },
		{ "Q4_K", "micro-llama-q4_k.gguf", 15 }, { "Q5_K", "micro-llama-q5_k.gguf", 17 },
		{ "Q6_K", "micro-llama-q6_k.gguf", 18 },
	};
	char out[128], ref[1200];
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(out, sizeof out, "%s/%s", tmpdir, t[i].file);
		requant("micro-llama-f32.gguf", out, t[i].type, 1, -1);
		corpus_path(ref, sizeof ref, t[i].file);
		assert_same_tensors(out, ref);
		struct eng_gguf *g = open_path(out);
		uint32_t ft = 99, qv = 0;
		assert_int_equal(eng_gguf_get_u32(g, "general.file_type", &ft), ENG_OK);
		assert_int_equal(ft, (uint32_t)t[i].ftype);
		assert_int_equal(eng_gguf_get_u32(g, "general.quantization_version", &qv), ENG_OK);
		assert_int_equal(qv, 2);
		/* the rest of the metadata is the input's */
		const char *arch;
		size_t len;
		assert_int_equal(eng_gguf_get_str(g, "general.architecture", &arch, &len), ENG_OK);
		assert_int_equal(len, 5);
		assert_memory_equal(arch, "llama", 5);
		eng_gguf_close(g);
		unlink(out);
	}
	/* Qwen2 with its biases (1-D: stay F32) */
	snprintf(out, sizeof out, "%s/qwen2-q8_0.gguf", tmpdir);
	requant("micro-qwen2-f32.gguf", out, "Q8_0", 1, -1);
	corpus_path(ref, sizeof ref, "micro-qwen2-q8_0.gguf");
	assert_same_tensors(out, ref);
	unlink(out);
}

static void test_q4_k_m_mix(void **state)
{
	(void)state;
	char out[128], ref[1200];
	snprintf(out, sizeof out, "%s/q4_k_m.gguf", tmpdir);
	requant("micro-llama-f32.gguf", out, "Q4_K_M", 0, -1);
	corpus_path(ref, sizeof ref, "micro-llama-q4_k_m.gguf");
	assert_same_tensors(out, ref);
	unlink(out);

	/* tied embeddings, with the embedding type given: the plan of the
	 * corpus file (requantised from its own Q4_K_M data, so only the types
	 * can be compared) */
	snprintf(out, sizeof out, "%s/tied.gguf", tmpdir);
	requant("tiny-llama3-tied-q4_k_m.gguf", out, "Q4_K_M", 0, ENG_TYPE_Q4_K);
	corpus_path(ref, sizeof ref, "tiny-llama3-tied-q4_k_m.gguf");
	struct eng_gguf *a = open_path(out), *b = open_path(ref);
	for (size_t i = 0; i < eng_gguf_n_tensors(b); i++) {
		const struct eng_gguf_tensor *y = eng_gguf_tensor(b, i);
		const struct eng_gguf_tensor *x = eng_gguf_tensor_find(a, y->name);
		assert_non_null(x);
		if (x->type != y->type)
			fail_msg("%s is %s, want %s", y->name, eng_type_name(x->type), eng_type_name(y->type));
	}
	eng_gguf_close(a);
	eng_gguf_close(b);
	/* without the override, the tied embedding is the output: Q6_K */
	requant("tiny-llama3-tied-q4_k_m.gguf", out, "Q4_K_M", 0, -1);
	a = open_path(out);
	assert_int_equal(eng_gguf_tensor_find(a, "token_embd.weight")->type, ENG_TYPE_Q6_K);
	eng_gguf_close(a);
	unlink(out);
}

/* A requantised copy is a model the engine runs: the same greedy tokens
 * from a Q8_0 copy of the F32 master as from llama-quantize's Q8_0. */
static void test_requantised_model_runs(void **state)
{
	(void)state;
	char out[128], ref[1200];
	snprintf(out, sizeof out, "%s/run-q8_0.gguf", tmpdir);
	requant("micro-llama-f32.gguf", out, "Q8_0", 1, -1);
	corpus_path(ref, sizeof ref, "micro-llama-q8_0.gguf");
	char *texts[2] = { NULL, NULL };
	const char *paths[2] = { out, ref };
	for (int k = 0; k < 2; k++) {
		eng_model *m = NULL;
		eng_ctx *c = NULL;
		char err[256];
		assert_int_equal(eng_model_load(paths[k], NULL, &m, err, sizeof err), ENG_OK);
		struct eng_ctx_params p = { .n_ctx = 128, .n_seq = 1, .n_threads = 2, .n_batch = 64 };
		assert_int_equal(eng_ctx_new(m, &p, &c), ENG_OK);
		struct eng_gen_params g;
		eng_gen_default(&g);
		g.max_tokens = 12;
		assert_int_equal(eng_generate(c, "Once upon a time", &g, &texts[k]), ENG_OK);
		eng_ctx_free(c);
		eng_model_free(m);
	}
	assert_string_equal(texts[0], texts[1]);
	free(texts[0]);
	free(texts[1]);
	unlink(out);
}

static void test_bad_input(void **state)
{
	(void)state;
	char in[1200], out[128], err[512];
	struct eng_requant_opts o = { .type = "Q3_K_M", .token_embd_type = -1, .output_type = -1 };
	corpus_path(in, sizeof in, "micro-llama-f32.gguf");
	snprintf(out, sizeof out, "%s/bad.gguf", tmpdir);
	assert_int_equal(eng_requantize(in, out, &o, NULL, err, sizeof err), ENG_ERR_INVALID_ARG);
	assert_non_null(strstr(err, "Q3_K_M"));
	o.type = "Q8_0";
	assert_int_equal(eng_requantize("/nonexistent.gguf", out, &o, NULL, err, sizeof err), ENG_ERR_IO);
	assert_non_null(strstr(err, "nonexistent"));
	/* not a GGUF file */
	char junk[128];
	snprintf(junk, sizeof junk, "%s/junk.gguf", tmpdir);
	FILE *f = fopen(junk, "w");
	fputs("not a model", f);
	fclose(f);
	assert_int_not_equal(eng_requantize(junk, out, &o, NULL, err, sizeof err), ENG_OK);
	assert_true(access(out, F_OK) != 0);   /* nothing written */
	unlink(junk);
	/* the output directory does not exist: a write error, no partial file */
	snprintf(out, sizeof out, "%s/no/such/dir/x.gguf", tmpdir);
	assert_int_equal(eng_requantize(in, out, &o, NULL, err, sizeof err), ENG_ERR_WRITE);
	assert_int_equal(eng_type_from_name("q6_k"), ENG_TYPE_Q6_K);
	assert_int_equal(eng_type_from_name("Q3_K"), -1);
}

int main(void)
{
	const char *shared = getenv("BRIEFING_SHARED");
	snprintf(corpus, sizeof corpus, "%s/corpus", shared && *shared ? shared : "../shared");
	snprintf(tmpdir, sizeof tmpdir, "/tmp/briefing-requant-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pure_types_match_llama_quantize),
		cmocka_unit_test(test_q4_k_m_mix),
		cmocka_unit_test(test_requantised_model_runs),
		cmocka_unit_test(test_bad_input),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
