/* test_engine_quant.c — ggml tensor types (src/engine/quant.h):
 *   - the corpus' llama-quantize outputs (micro-llama-<type>.gguf) dequantise
 *     to the F32 master within each type's step, and our reference
 *     quantisers reproduce those files byte for byte (layouts + rounding);
 *   - SIMD kernels agree with the scalar references (activation quantisers
 *     bit-exact, vec_dot by NMSE), and the scalar vec_dot agrees with a
 *     float64 dot of the dequantised operands;
 *   - fp16 and bf16 conversions, exhaustively over all 65536 values,
 *     including ties, subnormals, inf and nan;
 *   - quantise -> dequantise round-trip error bounds on random data.
 * Corpus: $BRIEFING_SHARED/corpus/engine (default ../shared). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"
#include "engine/quant.h"
#include "engine/cpu/quant_int.h"

static char corpus[1024];

static const uint32_t wtypes[] = {
	ENG_TYPE_F32, ENG_TYPE_F16, ENG_TYPE_BF16, ENG_TYPE_Q8_0, ENG_TYPE_Q4_0, ENG_TYPE_Q4_1,
	ENG_TYPE_Q5_0, ENG_TYPE_Q5_1, ENG_TYPE_Q4_K, ENG_TYPE_Q5_K, ENG_TYPE_Q6_K,
};
#define N_WTYPES (sizeof wtypes / sizeof wtypes[0])

/* deterministic N(0,1) */
static uint64_t rng_state;
static double urand(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return ((rng_state >> 11) + 0.5) / 9007199254740992.0;
}
static float nrand(void)
{
	return (float)(sqrt(-2 * log(urand())) * cos(6.283185307179586 * urand()));
}

/* ---- layouts / traits ---- */

static void test_traits_table(void **state)
{
	(void)state;
	static const struct { uint32_t t; const char *name; int64_t bs; size_t ts; uint32_t vdt; } want[] = {
		{ ENG_TYPE_F32, "F32", 1, 4, ENG_TYPE_F32 },
		{ ENG_TYPE_F16, "F16", 1, 2, ENG_TYPE_F16 },
		{ ENG_TYPE_BF16, "BF16", 1, 2, ENG_TYPE_BF16 },
		{ ENG_TYPE_Q4_0, "Q4_0", 32, 18, ENG_TYPE_Q8_0 },
		{ ENG_TYPE_Q4_1, "Q4_1", 32, 20, ENG_TYPE_Q8_1 },
		{ ENG_TYPE_Q5_0, "Q5_0", 32, 22, ENG_TYPE_Q8_0 },
		{ ENG_TYPE_Q5_1, "Q5_1", 32, 24, ENG_TYPE_Q8_1 },
		{ ENG_TYPE_Q8_0, "Q8_0", 32, 34, ENG_TYPE_Q8_0 },
		{ ENG_TYPE_Q4_K, "Q4_K", 256, 144, ENG_TYPE_Q8_K },
		{ ENG_TYPE_Q5_K, "Q5_K", 256, 176, ENG_TYPE_Q8_K },
		{ ENG_TYPE_Q6_K, "Q6_K", 256, 210, ENG_TYPE_Q8_K },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct eng_quant_traits *t = eng_quant_traits(want[i].t), *r = eng_quant_traits_ref(want[i].t);
		assert_non_null(t);
		assert_non_null(r);
		assert_string_equal(t->name, want[i].name);
		assert_int_equal(t->blck_size, want[i].bs);
		assert_int_equal(t->type_size, want[i].ts);
		assert_int_equal(t->vec_dot_type, want[i].vdt);
		assert_non_null(t->dequantize);
		assert_non_null(t->quantize);
		assert_non_null(t->vec_dot);
		assert_non_null(eng_quant_traits(t->vec_dot_type)->from_float);
		assert_true(eng_type_supported(want[i].t));
	}
	assert_int_equal(eng_quant_traits(ENG_TYPE_Q8_K)->type_size, 292);
	assert_int_equal(eng_quant_traits(ENG_TYPE_Q8_1)->type_size, 36);
	/* ggml types we do not support */
	assert_null(eng_quant_traits(10));   /* Q2_K */
	assert_null(eng_quant_traits(11));   /* Q3_K */
	assert_null(eng_quant_traits(1000));
	assert_false(eng_type_supported(ENG_TYPE_Q8_K));
	assert_false(eng_type_supported(10));
	assert_string_equal(eng_type_name(10), "Q2_K");
	assert_null(eng_type_name(4000));
	assert_int_equal(eng_type_row_bytes(ENG_TYPE_Q4_K, 4096), 16 * 144);
	assert_int_equal(eng_type_row_bytes(ENG_TYPE_Q4_K, 100), 0);
	assert_int_equal(eng_type_row_bytes(ENG_TYPE_F16, 7), 14);
}

/* ---- corpus: llama-quantize outputs ---- */

struct corpus_case {
	const char *file;
	double max_err;      /* |dequant - master| bound */
	int min_quant;       /* at least one tensor must show an error this large (not a copy) */
};

static void check_corpus_file(const struct eng_gguf *master, const char *file, double max_err)
{
	char path[1200], err[256];
	struct eng_gguf *g;
	snprintf(path, sizeof path, "%s/%s", corpus, file);
	enum eng_err e = eng_gguf_open(path, &g, err, sizeof err);
	if (e)
		fail_msg("%s: %s", path, err);
	assert_int_equal(eng_gguf_n_tensors(g), eng_gguf_n_tensors(master));
	double worst = 0;
	size_t n_exact = 0, n_quant = 0;
	for (size_t i = 0; i < eng_gguf_n_tensors(g); i++) {
		const struct eng_gguf_tensor *t = eng_gguf_tensor(g, i);
		const struct eng_gguf_tensor *mt = eng_gguf_tensor_find(master, t->name);
		assert_non_null(mt);
		assert_int_equal(mt->type, ENG_TYPE_F32);
		assert_int_equal(t->n_elements, mt->n_elements);
		const struct eng_quant_traits *tr = eng_quant_traits(t->type);
		assert_non_null(tr);
		float *y = malloc(t->n_elements * sizeof(float));
		assert_non_null(y);
		/* dequantise row by row, as the engine does */
		for (uint64_t r = 0; r < t->n_elements / t->ne[0]; r++)
			tr->dequantize((const char *)t->data + r * t->row_bytes, y + r * t->ne[0], (int64_t)t->ne[0]);
		const float *x = mt->data;
		for (uint64_t j = 0; j < t->n_elements; j++) {
			double d = fabs((double)y[j] - x[j]);
			if (!(d <= max_err))
				fail_msg("%s %s[%llu]: %g vs master %g", file, t->name, (unsigned long long)j, y[j], x[j]);
			if (d > worst)
				worst = d;
		}
		free(y);
		if (t->type != ENG_TYPE_F32) {
			/* our reference quantiser must reproduce llama-quantize's bytes */
			void *q = malloc(t->nbytes);
			assert_non_null(q);
			eng_quant_traits_ref(t->type)->quantize(x, q, (int64_t)t->n_elements);
			n_quant++;
			if (memcmp(q, t->data, t->nbytes) == 0)
				n_exact++;
			else
				print_message("%s: %s (%s) differs from our quantiser\n", file, t->name, tr->name);
			free(q);
		}
	}
	assert_true(n_quant > 0);
	assert_int_equal(n_exact, n_quant);
	assert_true(worst > max_err / 20);   /* really quantised, bound not vacuous */
	eng_gguf_close(g);
}

static void test_corpus_quantized(void **state)
{
	(void)state;
	static const struct { const char *file; double max_err; } cases[] = {
		{ "micro-llama-f16.gguf", 1e-4 },
		{ "micro-llama-q8_0.gguf", 8e-4 },
		{ "micro-llama-q4_0.gguf", 1.6e-2 },
		{ "micro-llama-q4_1.gguf", 1e-2 },
		{ "micro-llama-q5_0.gguf", 8e-3 },
		{ "micro-llama-q5_1.gguf", 5e-3 },
		{ "micro-llama-q4_k.gguf", 1.2e-2 },
		{ "micro-llama-q5_k.gguf", 7e-3 },
		{ "micro-llama-q6_k.gguf", 3e-3 },
		{ "micro-llama-q4_k_m.gguf", 1.2e-2 },
		{ "micro-qwen2-q8_0.gguf", 8e-4 },
	};
	char path[1200], err[256];
	struct eng_gguf *m = NULL, *mq = NULL;
	snprintf(path, sizeof path, "%s/micro-llama-f32.gguf", corpus);
	if (eng_gguf_open(path, &m, err, sizeof err))
		fail_msg("%s", err);
	snprintf(path, sizeof path, "%s/micro-qwen2-f32.gguf", corpus);
	if (eng_gguf_open(path, &mq, err, sizeof err))
		fail_msg("%s", err);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check_corpus_file(strstr(cases[i].file, "qwen2") ? mq : m, cases[i].file, cases[i].max_err);
	eng_gguf_close(m);
	eng_gguf_close(mq);
}

/* The Q4_K_M mix: the README names which tensors are Q6_K. */
static void test_corpus_q4_k_m_mix(void **state)
{
	(void)state;
	char path[1200], err[256];
	struct eng_gguf *g;
	snprintf(path, sizeof path, "%s/micro-llama-q4_k_m.gguf", corpus);
	if (eng_gguf_open(path, &g, err, sizeof err))
		fail_msg("%s", err);
	static const char *q6[] = { "output.weight", "blk.2.attn_v.weight", "blk.3.attn_v.weight",
				    "blk.2.ffn_down.weight", "blk.3.ffn_down.weight" };
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(eng_gguf_tensor_find(g, q6[i])->type, ENG_TYPE_Q6_K);
	assert_int_equal(eng_gguf_tensor_find(g, "blk.0.attn_q.weight")->type, ENG_TYPE_Q4_K);
	assert_int_equal(eng_gguf_tensor_find(g, "token_embd.weight")->type, ENG_TYPE_Q4_K);
	assert_int_equal(eng_gguf_tensor_find(g, "blk.0.attn_norm.weight")->type, ENG_TYPE_F32);
	eng_gguf_close(g);
}

/* BF16 file is not shipped: README says it is the F32 master with RNE. */
static void test_bf16_from_master(void **state)
{
	(void)state;
	char path[1200], err[256];
	struct eng_gguf *m;
	snprintf(path, sizeof path, "%s/micro-llama-f32.gguf", corpus);
	if (eng_gguf_open(path, &m, err, sizeof err))
		fail_msg("%s", err);
	const struct eng_gguf_tensor *t = eng_gguf_tensor_find(m, "blk.0.ffn_up.weight");
	assert_non_null(t);
	const struct eng_quant_traits *tr = eng_quant_traits(ENG_TYPE_BF16);
	eng_bf16 *q = malloc(t->n_elements * 2);
	float *y = malloc(t->n_elements * 4);
	tr->quantize(t->data, q, (int64_t)t->n_elements);
	tr->dequantize(q, y, (int64_t)t->n_elements);
	const float *x = t->data;
	for (uint64_t j = 0; j < t->n_elements; j++)
		assert_true(fabsf(y[j] - x[j]) <= fabsf(x[j]) * (1.0f / 256));
	free(q);
	free(y);
	eng_gguf_close(m);
}

/* ---- fp16 / bf16 exhaustive ---- */

static double half_value(uint16_t h)   /* independent decoding */
{
	int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
	double v = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);
	return s ? -v : v;
}

static void test_fp16_exhaustive(void **state)
{
	(void)state;
	for (uint32_t h = 0; h < 65536; h++) {
		float f = eng_fp16_to_f32((eng_fp16)h);
		int e = (h >> 10) & 31, m = h & 1023;
		if (e == 31 && m) {
			assert_true(isnan(f));
			assert_true(isnan(eng_fp16_to_f32(eng_f32_to_fp16(f))));
			continue;
		}
		if (e == 31)
			assert_true(isinf(f) && (f < 0) == (h >> 15));
		else
			assert_true((double)f == half_value((uint16_t)h));
		assert_int_equal(eng_f32_to_fp16(f), h);   /* exact values round-trip */
		/* ties to even and just-off-tie between h and the next half up in magnitude */
		if (e < 30 || (e == 30 && m < 1023)) {
			uint16_t up = (uint16_t)(h + 1);
			float a = f, b = eng_fp16_to_f32(up);
			float mid = (float)(((double)a + (double)b) / 2);   /* exact in float */
			uint16_t even = (h & 1) ? up : (uint16_t)h;
			assert_int_equal(eng_f32_to_fp16(mid), even);
			assert_int_equal(eng_f32_to_fp16(nextafterf(mid, a)), h);
			assert_int_equal(eng_f32_to_fp16(nextafterf(mid, b)), up);
		}
	}
	/* overflow and underflow */
	assert_int_equal(eng_f32_to_fp16(65504.0f), 0x7bff);
	assert_int_equal(eng_f32_to_fp16(65519.99f), 0x7bff);
	assert_int_equal(eng_f32_to_fp16(65520.0f), 0x7c00);
	assert_int_equal(eng_f32_to_fp16(-1e10f), 0xfc00);
	assert_int_equal(eng_f32_to_fp16(ldexpf(1, -25)), 0);          /* tie to even 0 */
	assert_int_equal(eng_f32_to_fp16(nextafterf(ldexpf(1, -25), 1)), 1);
	assert_int_equal(eng_f32_to_fp16(-ldexpf(1, -30)), 0x8000);
	assert_int_equal(eng_f32_to_fp16(INFINITY), 0x7c00);
	/* the row versions (SIMD when available) agree with the scalar ones */
	float *x = malloc(65536 * sizeof(float)), *y = malloc(65536 * sizeof(float));
	eng_fp16 *h16 = malloc(65536 * 2), *h2 = malloc(65536 * 2);
	for (uint32_t h = 0; h < 65536; h++)
		h16[h] = (eng_fp16)h;
	eng_quant_traits(ENG_TYPE_F16)->dequantize(h16, x, 65536);
	for (uint32_t h = 0; h < 65536; h++) {
		float r = eng_fp16_to_f32((eng_fp16)h);
		assert_true(memcmp(&r, &x[h], 4) == 0 || (isnan(r) && isnan(x[h])));
	}
	rng_state = 77;
	for (int i = 0; i < 65536; i++) {
		uint32_t bits = (uint32_t)(urand() * 4294967296.0);
		memcpy(&y[i], &bits, 4);
		if (isnan(y[i]))
			y[i] = 1.0f;
	}
	eng_quant_traits(ENG_TYPE_F16)->from_float(y, h16, 65536);
	eng_f32_to_fp16_row(y, h2, 65536);
	assert_memory_equal(h16, h2, 65536 * 2);
	free(x);
	free(y);
	free(h16);
	free(h2);
}

static void test_bf16_exhaustive(void **state)
{
	(void)state;
	for (uint32_t h = 0; h < 65536; h++) {
		float f = eng_bf16_to_f32((eng_bf16)h);
		uint32_t bits;
		memcpy(&bits, &f, 4);
		assert_int_equal(bits, h << 16);
		if (isnan(f)) {
			assert_true(isnan(eng_bf16_to_f32(eng_f32_to_bf16(f))));
			continue;
		}
		assert_int_equal(eng_f32_to_bf16(f), h);
		if ((h & 0x7fff) < 0x7f7f) {   /* finite with a finite neighbour above */
			uint32_t mid = (h << 16) | 0x8000, up = h + 1;
			float fm, lo, hi;
			uint32_t b1 = mid - 1, b2 = mid + 1;
			memcpy(&fm, &mid, 4);
			memcpy(&lo, &b1, 4);
			memcpy(&hi, &b2, 4);
			assert_int_equal(eng_f32_to_bf16(fm), (h & 1) ? up : h);
			assert_int_equal(eng_f32_to_bf16(lo), h);
			assert_int_equal(eng_f32_to_bf16(hi), up);
		}
	}
	uint32_t snan = 0x7f800001;
	float f;
	memcpy(&f, &snan, 4);
	assert_int_equal(eng_f32_to_bf16(f) & 0x7fc0, 0x7fc0);   /* stays nan, quiet */
}

/* ---- kernels on random data ---- */

#define NROW 24
#define NCOL 1024

static double nmse(const float *a, const float *b, int n)
{
	double num = 0, den = 0;
	for (int i = 0; i < n; i++) {
		num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
		den += (double)b[i] * b[i];
	}
	return den > 0 ? num / den : num;
}

/* Every SIMD variant this CPU can run: the best (what eng_quant_traits
 * gives) and plain AVX2 without VNNI. */
static struct eng_quant_traits variant_tab[ENG_TYPE_COUNT];

static const struct eng_quant_traits *variant(int v, uint32_t type)
{
	return v == 0 ? eng_quant_traits(type) : &variant_tab[type];
}

static void check_kernels(int v)
{
	float *w = malloc(NROW * NCOL * sizeof(float)), *a = malloc(NCOL * sizeof(float));
	float *wd = malloc(NCOL * sizeof(float)), *ad = malloc(NCOL * sizeof(float));
	char *wq = malloc(NROW * NCOL * 4), *aq = malloc(NCOL * 4 + 1024), *aq2 = malloc(NCOL * 4 + 1024);
	for (size_t k = 0; k < N_WTYPES; k++) {
		const uint32_t t = wtypes[k];
		const struct eng_quant_traits *fast = variant(v, t), *ref = eng_quant_traits_ref(t);
		const struct eng_quant_traits *vf = variant(v, fast->vec_dot_type);
		const struct eng_quant_traits *vr = eng_quant_traits_ref(fast->vec_dot_type);
		rng_state = 1234 + t;
		for (int i = 0; i < NROW * NCOL; i++)
			w[i] = nrand() * 0.02f;
		for (int i = 0; i < NCOL; i++)
			a[i] = nrand() * (i % 97 == 0 ? 8.0f : 1.0f);   /* a few outliers */
		const size_t rb = eng_type_row_bytes(t, NCOL), ab = eng_type_row_bytes(fast->vec_dot_type, NCOL);
		if (t == ENG_TYPE_Q8_0 || t == ENG_TYPE_Q4_1 || t == ENG_TYPE_Q5_1 || t == ENG_TYPE_Q4_0)
			assert_true(ab > 0);
		for (int r = 0; r < NROW; r++)
			ref->quantize(w + r * NCOL, wq + r * rb, NCOL);
		/* activation quantisers: SIMD bit-exact with scalar */
		vr->from_float(a, aq, NCOL);
		vf->from_float(a, aq2, NCOL);
		if (memcmp(aq, aq2, ab) != 0)
			fail_msg("%s: activation quantiser %s differs from reference", ref->name, vr->name);
		float rs[NROW], fs[NROW], ds[NROW];
		vr->dequantize(aq, ad, NCOL);
		for (int r = 0; r < NROW; r++) {
			ref->vec_dot(NCOL, &rs[r], wq + r * rb, aq);
			fast->vec_dot(NCOL, &fs[r], wq + r * rb, aq);
			ref->dequantize(wq + r * rb, wd, NCOL);
			double s = 0;
			for (int i = 0; i < NCOL; i++)
				s += (double)wd[i] * ad[i];
			ds[r] = (float)s;
		}
		double e_fast = nmse(fs, rs, NROW), e_deq = nmse(rs, ds, NROW);
		/* Q4_1/Q5_1 use Q8_1's fp16 s = d*sum(q) for the min term, as ggml does */
		double deq_bound = (t == ENG_TYPE_Q4_1 || t == ENG_TYPE_Q5_1) ? 1e-5 : 1e-9;
		if (!(e_fast < 1e-10))
			fail_msg("%s: fast vs reference vec_dot NMSE %g", ref->name, e_fast);
		if (!(e_deq < deq_bound))
			fail_msg("%s: reference vec_dot vs dequantised float64 dot NMSE %g", ref->name, e_deq);
	}
	free(w);
	free(a);
	free(wd);
	free(ad);
	free(wq);
	free(aq);
	free(aq2);
}

static void test_vec_dot_fast_vs_ref(void **state)
{
	(void)state;
	print_message("vec_dot kernels: %s\n", eng_quant_simd_name());
	check_kernels(0);
	for (uint32_t t = 0; t < ENG_TYPE_COUNT; t++)
		if (eng_quant_traits_ref(t))
			variant_tab[t] = *eng_quant_traits_ref(t);
	const char *name = eng_quant_avx2_install(variant_tab, 0);
	if (name) {
		print_message("and: %s\n", name);
		check_kernels(1);
	}
}

/* Bit-exactness with llama.cpp's own kernels: the AVX2 vec_dot of 8 rows
 * of blk.1.ffn_down.weight (768 columns) of each corpus file against a
 * fixed activation, quantised by the type's from_float. The expected bits
 * were produced by ggml_vec_dot_*_q8_* and quantize_row_q8_* of llama.cpp
 * c392e50 (ggml-cpu-quants.c built with gcc 12 -O2 -mavx2 -mfma -mf16c,
 * the AVX2 code path the corpus references ran). Our AVX2 kernels keep
 * ggml's lanes and rounding order, which is what makes the corpus logits
 * match llama.cpp exactly; only checked when the AVX2 kernels are in use. */
static const struct {
	const char *file;
	uint32_t bits[8];
} ggml_golden[] = {
	{ "micro-llama-q4_k.gguf", { 0x3fe9bd40, 0x3fb90694, 0x3fb82762, 0xbf8604dc, 0x3f20e951, 0x3f634676, 0xbf6a0eae, 0xbfd14375, } },
	{ "micro-llama-q5_k.gguf", { 0x3ff02380, 0x3fba8aa6, 0x3fc9f3b4, 0xbf959825, 0x3ee0bda6, 0x3f631aa6, 0xbf4f20b7, 0xbfc8788c, } },
	{ "micro-llama-q6_k.gguf", { 0x3fe986a2, 0x3fb96d62, 0x3fc9061b, 0xbf95a3ba, 0x3ef216de, 0x3f5d07b2, 0xbf59aafe, 0xbfc4daec, } },
	{ "micro-llama-q8_0.gguf", { 0x3feac514, 0x3fb8576d, 0x3fca14d4, 0xbf9569a6, 0x3f00ae28, 0x3f56403c, 0xbf54e792, 0xbfc1285e, } },
	/* Q4_0: ggml_gemv_q4_0_8x8_q8_0 on the repacked rows (llama.cpp repacks
	 * Q4_0 weights at load time; its vec_dot is not what runs) */
	{ "micro-llama-q4_0.gguf", { 0x3fd6bd69, 0x3fba9144, 0x3fcbe105, 0xbfa52ecc, 0x3e861061, 0x3f80e337, 0xbf2fdca8, 0xbfc89a44, } },
	{ "micro-llama-q4_1.gguf", { 0x3ff43e2e, 0x3fa5a763, 0x3fcbe8ca, 0xbf86731f, 0x3f240c8e, 0x3f85cb7a, 0xbf4e82ad, 0xbfc2438e, } },
	{ "micro-llama-q5_0.gguf", { 0x3fe6a628, 0x3fb96e0c, 0x3fc7c267, 0xbf9429c8, 0x3ef9bdd7, 0x3f5ed0d1, 0xbf675656, 0xbfbca423, } },
	{ "micro-llama-q5_1.gguf", { 0x3feb3d26, 0x3fbcc9ed, 0x3fc6ba30, 0xbf9149da, 0x3f109c25, 0x3f5c006a, 0xbf5e9a18, 0xbfc22641, } },
};

static void test_ggml_bit_exact(void **state)
{
	(void)state;
	if (strcmp(eng_quant_simd_name(), "scalar") == 0) {
		print_message("skipped: kernels are %s\n", eng_quant_simd_name());
		return;
	}
	float a[768];
	for (int i = 0; i < 768; i++)
		a[i] = (float)((int)((i * 2654435761u) >> 20 & 0xfff) - 2048) / 512.0f;
	for (size_t k = 0; k < sizeof ggml_golden / sizeof ggml_golden[0]; k++) {
		char path[1200], err[256];
		struct eng_gguf *g;
		snprintf(path, sizeof path, "%s/%s", corpus, ggml_golden[k].file);
		if (eng_gguf_open(path, &g, err, sizeof err))
			fail_msg("%s", err);
		const struct eng_gguf_tensor *t = eng_gguf_tensor_find(g, "blk.1.ffn_down.weight");
		assert_non_null(t);
		assert_int_equal(t->ne[0], 768);
		const struct eng_quant_traits *tr = eng_quant_traits(t->type);
		char aq[4096];
		eng_quant_traits(tr->vec_dot_type)->from_float(a, aq, 768);
		for (int r = 0; r < 8; r++) {
			float s;
			uint32_t bits;
			tr->vec_dot(768, &s, (const char *)t->data + r * t->row_bytes, aq);
			memcpy(&bits, &s, 4);
			if (bits != ggml_golden[k].bits[r])
				fail_msg("%s row %d: %.9g (0x%08x), ggml gives 0x%08x", ggml_golden[k].file, r, s, bits,
					 ggml_golden[k].bits[r]);
		}
		eng_gguf_close(g);
	}
}

/* The float types against llama.cpp's own code (c392e50, ggml-cpu.c and
 * llamafile/sgemm.cpp built with gcc 12 -O2 -march=native on an AVX-512
 * machine, as the corpus references were): vec_dot = ggml_vec_dot_f32/_f16
 * (and _bf16, with VDPBF16PS) for one token; vec_dot_rows_prompt with two
 * tokens = llamafile_sgemm (tinyBLAS),
 * which declines rows not a multiple of 16 (stories260K's ffn_down, 172),
 * where ggml falls back to vec_dot. Activations: the same formula as above
 * (salt 0 and 7), converted by from_float, 4096 bytes apart. */
static const struct {
	const char *file, *tensor;
	int to_bf16;         /* convert the F32 rows to BF16 first (no BF16 file is shipped) */
	uint32_t dot[8];
	uint32_t rows[16];   /* [token][row] */
} float_golden[] = {
	{ "micro-llama-f32.gguf", "blk.1.ffn_down.weight", 0, { 0x3fe8600c, 0x3fb98530, 0x3fcb6387, 0xbf93b885, 0x3efe1e23, 0x3f56dc88, 0xbf575974, 0xbfc134f9, }, { 0x3fe8600c, 0x3fb98533, 0x3fcb6386, 0xbf93b885, 0x3efe1e21, 0x3f56dc86, 0xbf57596e, 0xbfc134fa, 0xbd771fa0, 0xbfc7bf14, 0x3fa72e8c, 0x402e0997, 0xbfd1dd55, 0xbfec336d, 0xc007b471, 0x3f821d8f, } }, /* tinyBLAS used */
	{ "micro-llama-f16.gguf", "blk.1.ffn_down.weight", 0, { 0x3fe8733c, 0x3fb99060, 0x3fcb5bd8, 0xbf93c8bb, 0x3efddd6c, 0x3f56d09e, 0xbf57463c, 0xbfc12e2e, }, { 0x3fe8733c, 0x3fb99060, 0x3fcb5bd6, 0xbf93c8ba, 0x3efddd71, 0x3f56d09b, 0xbf57463c, 0xbfc12e2c, 0xbd77fb50, 0xbfc7bbcc, 0x3fa72fe6, 0x402e0ef2, 0xbfd1cff8, 0xbfec3456, 0xc007b910, 0x3f8220da, } }, /* tinyBLAS used */
	{ "stories260K.gguf", "blk.0.ffn_down.weight", 0, { 0x3fb7251b, 0xbfa42a40, 0xc0a2c13d, 0x4090e26e, 0xbf6f4717, 0x3e26c4e8, 0xbf9ef251, 0x3f28da67, }, { 0x3fb7251b, 0xbfa42a40, 0xc0a2c13d, 0x4090e26e, 0xbf6f4717, 0x3e26c4e8, 0xbf9ef251, 0x3f28da67, 0xbfa9b2fd, 0x40963ad8, 0x3dac9cd4, 0xbf9201b7, 0xc0816ea6, 0x3f2cb1d4, 0x3edb3116, 0xc01bafef, } }, /* tinyBLAS declined: vec_dot */
	{ "micro-llama-f32.gguf", "blk.1.ffn_down.weight", 1, { 0x3fe86488, 0x3fb972a6, 0x3fcb9859, 0xbf936dfa, 0x3efdab51, 0x3f57bab8, 0xbf576096, 0xbfc0fc26, }, { 0x3fe86488, 0x3fb972a6, 0x3fcb9858, 0xbf936dfa, 0x3efdab52, 0x3f57bab7, 0xbf576096, 0xbfc0fc26, 0xbd731e20, 0xbfc80214, 0x3fa76446, 0x402e49e4, 0xbfd218e8, 0xbfebe962, 0xc007bfe0, 0x3f81daca, } }, /* rows 0..7 converted to BF16 (RNE), as llama-quantize BF16 does */
};

static void test_ggml_float_bit_exact(void **state)
{
	(void)state;
	if (strcmp(eng_quant_simd_name(), "scalar") == 0) {
		print_message("skipped: kernels are %s\n", eng_quant_simd_name());
		return;
	}
	for (size_t k = 0; k < sizeof float_golden / sizeof float_golden[0]; k++) {
		char path[1200], err[256];
		struct eng_gguf *g;
		snprintf(path, sizeof path, "%s/%s", corpus, float_golden[k].file);
		if (eng_gguf_open(path, &g, err, sizeof err))
			fail_msg("%s", err);
		const struct eng_gguf_tensor *t = eng_gguf_tensor_find(g, float_golden[k].tensor);
		assert_non_null(t);
		const int n = (int)t->ne[0];
		const struct eng_quant_traits *tr = eng_quant_traits(float_golden[k].to_bf16 ? ENG_TYPE_BF16 : t->type);
		const void *wdata = t->data;
		size_t wrb = t->row_bytes;
		static eng_bf16 wb[8][768];
		if (float_golden[k].to_bf16) {
			assert_int_equal(n, 768);
			for (int r = 0; r < 8; r++)
				tr->quantize((const float *)t->data + r * n, wb[r], n);
			wdata = wb;
			wrb = sizeof wb[0];
		}
		float a[1024];
		static char aq[2][4096];
		for (int tok = 0; tok < 2; tok++) {
			for (int i = 0; i < n; i++)
				a[i] = (float)((int)(((unsigned)(i + 7 * tok) * 2654435761u) >> 20 & 0xfff) - 2048) / 512.0f;
			tr->from_float(a, aq[tok], n);
		}
		float out[16];
		uint32_t bits;
		for (int r = 0; r < 8; r++) {
			tr->vec_dot(n, &out[r], (const char *)wdata + r * wrb, aq[0]);
			memcpy(&bits, &out[r], 4);
			if (bits != float_golden[k].dot[r])
				fail_msg("%s vec_dot row %d: 0x%08x, ggml 0x%08x", float_golden[k].file, r, bits,
					 float_golden[k].dot[r]);
		}
		assert_non_null(tr->vec_dot_rows_prompt);
		tr->vec_dot_rows_prompt(n, wdata, wrb, 0, 8, aq, 4096, 2, out, 8);
		for (int i = 0; i < 16; i++) {
			memcpy(&bits, &out[i], 4);
			if (bits != float_golden[k].rows[i])
				fail_msg("%s vec_dot_rows_prompt token %d row %d: 0x%08x, tinyBLAS 0x%08x", float_golden[k].file,
					 i / 8, i % 8, bits, float_golden[k].rows[i]);
		}
		eng_gguf_close(g);
	}
}

/* vec_dot_rows (several tokens per weight row) must be bit-identical to
 * vec_dot, so batched decode equals decoding alone. vec_dot_rows_prompt of
 * the float types follows llama.cpp's tinyBLAS instead (two or more
 * tokens; see test_ggml_float_bit_exact): close to vec_dot, not equal. */
static void test_vec_dot_rows(void **state)
{
	(void)state;
	enum { NT = 9, LDO = NROW + 3 };
	float *w = malloc(NROW * NCOL * sizeof(float)), *a = malloc(NT * NCOL * sizeof(float));
	char *wq = malloc(NROW * NCOL * 4), *aq = malloc(NT * (NCOL * 4 + 1024));
	float *o1 = malloc(NT * LDO * sizeof(float)), *o2 = malloc(NT * LDO * sizeof(float));
	int n_kernels = 0;
	for (size_t k = 0; k < N_WTYPES; k++) {
		const struct eng_quant_traits *t = eng_quant_traits(wtypes[k]);
		if (!t->vec_dot_rows && !t->vec_dot_rows_prompt)
			continue;
		n_kernels++;
		const struct eng_quant_traits *at = eng_quant_traits(t->vec_dot_type);
		const size_t rb = eng_type_row_bytes(t->type, NCOL), ab = eng_type_row_bytes(t->vec_dot_type, NCOL) + 8;
		rng_state = 555 + t->type;
		for (int i = 0; i < NROW * NCOL; i++)
			w[i] = nrand() * 0.02f;
		for (int i = 0; i < NT * NCOL; i++)
			a[i] = nrand();
		for (int r = 0; r < NROW; r++)
			t->quantize(w + r * NCOL, wq + r * rb, NCOL);
		for (int i = 0; i < NT; i++)
			at->from_float(a + i * NCOL, aq + i * ab, NCOL);
		for (int n_tok = 1; n_tok <= NT; n_tok++) {
			const int64_t r0 = n_tok % 3, r1 = NROW - (n_tok % 2);
			for (int i = 0; i < NT * LDO; i++)
				o1[i] = o2[i] = -1.0f;
			for (int tok = 0; tok < n_tok; tok++)
				for (int64_t r = r0; r < r1; r++)
					t->vec_dot(NCOL, &o2[tok * LDO + r], wq + r * rb, aq + tok * ab);
			if (t->vec_dot_rows) {
				t->vec_dot_rows(NCOL, wq, rb, r0, r1, aq, ab, n_tok, o1, LDO);
				if (memcmp(o1, o2, NT * LDO * sizeof(float)) != 0)
					fail_msg("%s: vec_dot_rows differs from vec_dot (n_tok %d)", t->name, n_tok);
			}
			for (int i = 0; i < NT * LDO; i++)
				o1[i] = -1.0f;
			t->vec_dot_rows_prompt(NCOL, wq, rb, r0, r1, aq, ab, n_tok, o1, LDO);
			if (t->vec_dot_rows_prompt == t->vec_dot_rows) {
				if (memcmp(o1, o2, NT * LDO * sizeof(float)) != 0)
					fail_msg("%s: vec_dot_rows_prompt differs from vec_dot (n_tok %d)", t->name, n_tok);
			} else if (!(nmse(o1, o2, NT * LDO) < 1e-12)) {
				fail_msg("%s: vec_dot_rows_prompt far from vec_dot (n_tok %d)", t->name, n_tok);
			}
		}
	}
	print_message("vec_dot_rows kernels: %d\n", n_kernels);
	free(w);
	free(a);
	free(wq);
	free(aq);
	free(o1);
	free(o2);
}

/* The AVX-512 kernels give the bits of the AVX2 kernels they replace (and
 * so of ggml's): decode dots and many-token products, on weights from the
 * quantiser and on raw random blocks (any scale, Q8_0 bytes of -128),
 * against activations from the activation quantiser. */
static void fill_raw_blocks(uint32_t type, char *q, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 7;
		rng_state ^= rng_state << 17;
		q[i] = (char)(rng_state >> 24);
	}
	const size_t bs = eng_quant_traits_ref(type)->type_size;
	for (size_t b = 0; b + bs <= bytes; b += bs) {   /* finite scales */
		eng_fp16 d = eng_f32_to_fp16(nrand() * 0.01f), m = eng_f32_to_fp16(nrand() * 0.01f);
		if (type == ENG_TYPE_Q6_K)
			memcpy(q + b + offsetof(struct eng_block_q6_K, d), &d, 2);
		else
			memcpy(q + b, &d, 2);
		if (type == ENG_TYPE_Q4_K || type == ENG_TYPE_Q5_K)
			memcpy(q + b + 2, &m, 2);
	}
}

static void test_avx512_same_bits_as_avx2(void **state)
{
	(void)state;
	static struct eng_quant_traits avx2[ENG_TYPE_COUNT], best[ENG_TYPE_COUNT];
	for (uint32_t t = 0; t < ENG_TYPE_COUNT; t++)
		if (eng_quant_traits_ref(t))
			avx2[t] = *eng_quant_traits_ref(t);
	if (!eng_quant_avx2_install(avx2, 1)) {
		print_message("skipped: no AVX2\n");
		return;
	}
	memcpy(best, avx2, sizeof best);
	if (!eng_quant_avx512_install(best)) {
		print_message("skipped: this CPU has no AVX-512 with VNNI\n");
		return;
	}
	static const uint32_t types[] = { ENG_TYPE_Q4_K, ENG_TYPE_Q5_K, ENG_TYPE_Q6_K, ENG_TYPE_Q8_0 };
	enum { NT = 19, NR = 13, N = 2048, LDO = NR + 2 };
	float *w = malloc(NR * N * sizeof(float)), *a = malloc(NT * N * sizeof(float));
	char *wq = malloc(NR * N * 2), *aq = malloc(NT * N * 2);
	float *o1 = malloc(NT * LDO * sizeof(float)), *o2 = malloc(NT * LDO * sizeof(float));
	for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
		const uint32_t t = types[k];
		const struct eng_quant_traits *old = &avx2[t], *neu = &best[t];
		const size_t rb = eng_type_row_bytes(t, N), ab = eng_type_row_bytes(old->vec_dot_type, N);
		assert_true(old->vec_dot != neu->vec_dot || old->vec_dot_rows != neu->vec_dot_rows);
		for (int raw = 0; raw < 2; raw++) {
			rng_state = 777 + t + 100 * (uint64_t)raw;
			for (int i = 0; i < NR * N; i++)
				w[i] = nrand() * 0.02f * (i % 301 == 0 ? 20.0f : 1.0f);
			for (int i = 0; i < NT * N; i++)
				a[i] = nrand() * (i % 97 == 0 ? 8.0f : 1.0f);
			if (raw)
				fill_raw_blocks(t, wq, NR * rb);
			else
				for (int r = 0; r < NR; r++)
					eng_quant_traits_ref(t)->quantize(w + r * N, wq + r * rb, N);
			for (int i = 0; i < NT; i++)
				avx2[old->vec_dot_type].from_float(a + i * N, aq + i * ab, N);
			for (int r = 0; r < NR; r++)
				for (int i = 0; i < NT; i++) {
					float x1, x2;
					old->vec_dot(N, &x1, wq + r * rb, aq + i * ab);
					neu->vec_dot(N, &x2, wq + r * rb, aq + i * ab);
					if (memcmp(&x1, &x2, sizeof x1) != 0)
						fail_msg("%s%s vec_dot row %d token %d: %.9g, AVX2 %.9g", old->name,
							 raw ? " (raw blocks)" : "", r, i, x2, x1);
				}
			for (int n_tok = 1; n_tok <= NT; n_tok++) {
				const int64_t r0 = n_tok % 3, r1 = NR - (n_tok % 4);
				for (int i = 0; i < NT * LDO; i++)
					o1[i] = o2[i] = -1.0f;
				for (int tok = 0; tok < n_tok; tok++)
					for (int64_t r = r0; r < r1; r++)
						old->vec_dot(N, &o2[tok * LDO + r], wq + r * rb, aq + tok * ab);
				neu->vec_dot_rows(N, wq, rb, r0, r1, aq, ab, n_tok, o1, LDO);
				if (memcmp(o1, o2, NT * LDO * sizeof(float)) != 0)
					fail_msg("%s%s vec_dot_rows differs from AVX2 vec_dot (%d tokens, rows %d..%d)",
						 old->name, raw ? " (raw blocks)" : "", n_tok, (int)r0, (int)r1);
			}
		}
	}
	/* Q8_0 over several row groups of the tiled kernel (a group: at most
	 * 512 KiB of weights and 64 tiles of 3 rows, here 192 rows), a row
	 * length of two chunks and a bit (33 blocks) and a token tile and a
	 * part (11 tokens) */
	{
		enum { R = 1000, K = 33 * 32, T = 11 };
		const struct eng_quant_traits *o = &avx2[ENG_TYPE_Q8_0], *nw = &best[ENG_TYPE_Q8_0];
		const size_t rb = eng_type_row_bytes(ENG_TYPE_Q8_0, K);
		char *bw = malloc(R * rb), *ba = malloc(T * rb);
		float *bx = malloc(K * sizeof(float)), *p1 = malloc(R * T * sizeof(float)), *p2 = malloc(R * T * sizeof(float));
		rng_state = 4321;
		fill_raw_blocks(ENG_TYPE_Q8_0, bw, R * rb);
		for (int t = 0; t < T; t++) {
			for (int i = 0; i < K; i++)
				bx[i] = nrand();
			avx2[ENG_TYPE_Q8_0].from_float(bx, ba + t * rb, K);
		}
		for (int t = 0; t < T; t++)
			for (int r = 0; r < R; r++)
				o->vec_dot(K, &p2[t * R + r], bw + r * rb, ba + t * rb);
		nw->vec_dot_rows(K, bw, rb, 0, R, ba, rb, T, p1, R);
		if (memcmp(p1, p2, R * T * sizeof(float)) != 0)
			fail_msg("Q8_0 vec_dot_rows over %d rows differs from AVX2 vec_dot", R);
		free(bw);
		free(ba);
		free(bx);
		free(p1);
		free(p2);
	}
	free(w);
	free(a);
	free(wq);
	free(aq);
	free(o1);
	free(o2);
}

/* The activation quantisers follow the corpus README's description. */
static void test_activation_quantisers(void **state)
{
	(void)state;
	float x[256];
	rng_state = 99;
	for (int i = 0; i < 256; i++)
		x[i] = nrand();
	struct eng_block_q8_0 q0[8];
	eng_quant_traits(ENG_TYPE_Q8_0)->from_float(x, q0, 256);
	for (int b = 0; b < 8; b++) {
		float amax = 0;
		for (int j = 0; j < 32; j++)
			amax = fmaxf(amax, fabsf(x[b * 32 + j]));
		assert_int_equal(q0[b].d, eng_f32_to_fp16(amax / 127));
		for (int j = 0; j < 32; j++)
			assert_int_equal(q0[b].qs[j], (int)nearbyintf(x[b * 32 + j] * (127.f / amax)));
	}
	struct eng_block_q8_1 q1[8];
	eng_quant_traits(ENG_TYPE_Q8_1)->from_float(x, q1, 256);
	for (int b = 0; b < 8; b++) {
		int sum = 0;
		float amax = 0;
		for (int j = 0; j < 32; j++) {
			assert_int_equal(q1[b].qs[j], q0[b].qs[j]);
			sum += q1[b].qs[j];
			amax = fmaxf(amax, fabsf(x[b * 32 + j]));
		}
		assert_int_equal(q1[b].d, q0[b].d);
		assert_int_equal(q1[b].s, eng_f32_to_fp16(amax / 127 * (float)sum));
	}
	struct eng_block_q8_K qk;
	eng_quant_traits(ENG_TYPE_Q8_K)->from_float(x, &qk, 256);
	int am = 0;
	for (int j = 1; j < 256; j++)
		if (fabsf(x[j]) > fabsf(x[am]))
			am = j;
	assert_int_equal(qk.qs[am], -127);   /* iscale = -127/x[argmax] */
	assert_true(fabsf(qk.d - x[am] / -127.f) <= 1e-7f * fabsf(x[am]));
	for (int g = 0; g < 16; g++) {
		int s = 0;
		for (int j = 0; j < 16; j++)
			s += qk.qs[g * 16 + j];
		assert_int_equal(qk.bsums[g], s);
	}
	/* all-zero input */
	memset(x, 0, sizeof x);
	eng_quant_traits(ENG_TYPE_Q8_K)->from_float(x, &qk, 256);
	assert_true(qk.d == 0);
	eng_quant_traits(ENG_TYPE_Q8_0)->from_float(x, q0, 256);
	for (int j = 0; j < 32; j++)
		assert_int_equal(q0[0].qs[j], 0);
}

static void test_round_trip(void **state)
{
	(void)state;
	static const struct { uint32_t t; double bound; } cases[] = {
		{ ENG_TYPE_F32, 0 }, { ENG_TYPE_F16, 3e-4 }, { ENG_TYPE_BF16, 3e-3 },
		{ ENG_TYPE_Q8_0, 8e-3 }, { ENG_TYPE_Q6_K, 2e-2 }, { ENG_TYPE_Q5_0, 4e-2 },
		{ ENG_TYPE_Q5_1, 4e-2 }, { ENG_TYPE_Q5_K, 4e-2 }, { ENG_TYPE_Q4_0, 8e-2 },
		{ ENG_TYPE_Q4_1, 8e-2 }, { ENG_TYPE_Q4_K, 8e-2 },
	};
	enum { N = 8192 };
	float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float));
	void *q = malloc(N * 4);
	rng_state = 4242;
	for (int i = 0; i < N; i++)
		x[i] = nrand() * 0.5f + (i % 512 < 32 ? 3.0f : 0.0f);   /* one offset block per 512 */
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		const struct eng_quant_traits *t = eng_quant_traits(cases[k].t);
		t->quantize(x, q, N);
		t->dequantize(q, y, N);
		double se = 0, sx = 0;
		for (int i = 0; i < N; i++) {
			assert_true(isfinite(y[i]));
			se += ((double)y[i] - x[i]) * ((double)y[i] - x[i]);
			sx += (double)x[i] * x[i];
		}
		double rel = sqrt(se / sx);
		if (!(rel <= cases[k].bound))
			fail_msg("%s: round-trip relative RMS error %g > %g", t->name, rel, cases[k].bound);
		if (cases[k].bound > 0 && !(rel > cases[k].bound / 30))
			fail_msg("%s: round-trip error %g suspiciously small", t->name, rel);
		/* the fast (no scale search) quantiser: valid, a little worse at most */
		void *q2 = malloc(N * 4);
		eng_quantize_row_fast(cases[k].t, x, q2, N);
		t->dequantize(q2, y, N);
		double se2 = 0;
		for (int i = 0; i < N; i++)
			se2 += ((double)y[i] - x[i]) * ((double)y[i] - x[i]);
		if (!(sqrt(se2 / sx) <= cases[k].bound * 1.3))
			fail_msg("%s: fast quantiser round-trip error %g", t->name, sqrt(se2 / sx));
		if (cases[k].t != ENG_TYPE_Q4_K && cases[k].t != ENG_TYPE_Q5_K && cases[k].t != ENG_TYPE_Q6_K)
			assert_memory_equal(q, q2, eng_type_row_bytes(cases[k].t, N));
		free(q2);
		/* zeros stay zeros */
		memset(x, 0, 256 * sizeof(float));
		t->quantize(x, q, 256);
		t->dequantize(q, y, 256);
		for (int i = 0; i < 256; i++)
			assert_true(y[i] == 0.0f);
		rng_state = 4242;
		for (int i = 0; i < N; i++)
			x[i] = nrand() * 0.5f + (i % 512 < 32 ? 3.0f : 0.0f);
	}
	free(x);
	free(y);
	free(q);
}

int main(void)
{
	const char *shared = getenv("BRIEFING_SHARED");
	snprintf(corpus, sizeof corpus, "%s/corpus/engine", shared && *shared ? shared : "../shared");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traits_table),
		cmocka_unit_test(test_corpus_quantized),
		cmocka_unit_test(test_corpus_q4_k_m_mix),
		cmocka_unit_test(test_bf16_from_master),
		cmocka_unit_test(test_fp16_exhaustive),
		cmocka_unit_test(test_bf16_exhaustive),
		cmocka_unit_test(test_vec_dot_fast_vs_ref),
		cmocka_unit_test(test_vec_dot_rows),
		cmocka_unit_test(test_avx512_same_bits_as_avx2),
		cmocka_unit_test(test_ggml_bit_exact),
		cmocka_unit_test(test_ggml_float_bit_exact),
		cmocka_unit_test(test_activation_quantisers),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
