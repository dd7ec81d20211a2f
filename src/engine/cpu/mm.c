/* mm.c — the per-type matmul-row table of the CPU backend, built from
 * quant.h's traits: for a weight type W, the activation is converted with
 * the quantiser of W's vec_dot_type (F32 -> f32, F16 -> f16, BF16 -> bf16,
 * Q4_0/Q5_0/Q8_0 -> Q8_0, Q4_1/Q5_1 -> Q8_1, K-quants -> Q8_K, as ggml's
 * CPU backend does) and each output is vec_dot(weight row, activation row).
 *
 * F32 and F16 weights get dot products here that sum in ggml's order on
 * AVX-512 machines (where the corpus references were made):
 *   one token:   ggml_vec_dot_f32/_f16 — 4 accumulators of 16 lanes over
 *                whole 64-value steps, reduced (a0+a2)+(a1+a3) then across
 *                lanes; the rest added one by one (f32: fused, as gcc
 *                contracts ggml's loop; f16: in double);
 *   prompt rows: llamafile's tinyBLAS — 16 lanes over the row, then
 *                _mm512_reduce_add_ps. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "engine/quant.h"
#include "engine/cpu/cpu_int.h"

/* _mm512_reduce_add_ps order */
static float reduce16(const float *v)
{
	float t3[8], t6[4];
	for (int i = 0; i < 8; i++)
		t3[i] = v[8 + i] + v[i];
	for (int i = 0; i < 4; i++)
		t6[i] = t3[4 + i] + t3[i];
	return (t6[0] + t6[2]) + (t6[1] + t6[3]);
}

static inline float h2f(uint16_t h)
{
	return eng_fp16_to_f32(h);
}

#define VEC_BODY(LOADW, LOADA, FMA, TAIL) \
	const int64_t np = n & ~(int64_t)63; \
	float acc[4][16] = { { 0 } }; \
	for (int64_t i = 0; i < np; i += 64) \
		for (int j = 0; j < 4; j++) \
			for (int l = 0; l < 16; l++) \
				acc[j][l] = FMA(LOADW(i + 16 * j + l), LOADA(i + 16 * j + l), acc[j][l]); \
	for (int l = 0; l < 16; l++) \
		acc[0][l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]); \
	TAIL

#define TINY_BODY(LOADW, LOADA, FMA) \
	float acc[16] = { 0 }; \
	for (int64_t i = 0; i < n; i += 16) \
		for (int l = 0; l < 16; l++) \
			acc[l] = FMA(LOADW(i + l), LOADA(i + l), acc[l]); \
	*s = reduce16(acc);

#define F32W(i) (((const float *)w)[i])
#define F32A(i) (((const float *)a)[i])
#define F16W(i) h2f(((const uint16_t *)w)[i])
#define F16A(i) h2f(((const uint16_t *)a)[i])
#define TAIL_F32 \
	float sum = reduce16(acc[0]); \
	for (int64_t i = np; i < n; i++) \
		sum = FMA_(F32W(i), F32A(i), sum); \
	*s = sum;
#define TAIL_F16 \
	double sum = (double)reduce16(acc[0]); \
	for (int64_t i = np; i < n; i++) \
		sum += (double)(F16W(i) * F16A(i)); \
	*s = (float)sum;

#define FMA_ fmaf
static void f32_vec_ref(int64_t n, float *s, const void *w, const void *a) { VEC_BODY(F32W, F32A, fmaf, TAIL_F32) }
static void f32_tiny_ref(int64_t n, float *s, const void *w, const void *a) { TINY_BODY(F32W, F32A, fmaf) }
static void f16_vec_ref(int64_t n, float *s, const void *w, const void *a) { VEC_BODY(F16W, F16A, fmaf, TAIL_F16) }
static void f16_tiny_ref(int64_t n, float *s, const void *w, const void *a) { TINY_BODY(F16W, F16A, fmaf) }
#undef FMA_

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define FMA_ __builtin_fmaf

AVX2 static inline float reduce16_avx2(__m256 lo, __m256 hi)
{
	__m256 t3 = _mm256_add_ps(hi, lo);
	__m128 t6 = _mm_add_ps(_mm256_extractf128_ps(t3, 1), _mm256_castps256_ps128(t3));
	__m128 t8 = _mm_add_ps(t6, _mm_shuffle_ps(t6, t6, _MM_SHUFFLE(1, 0, 3, 2)));
	return _mm_cvtss_f32(t8) + _mm_cvtss_f32(_mm_shuffle_ps(t8, t8, 1));
}

#define LD32(p) _mm256_loadu_ps(p)
#define LD16(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))

#define VEC_AVX2(T, LD, TAIL) \
	const T *x = w, *y = a; \
	const int64_t np = n & ~(int64_t)63; \
	__m256 v[8]; \
	for (int j = 0; j < 8; j++) \
		v[j] = _mm256_setzero_ps(); \
	for (int64_t i = 0; i < np; i += 64) \
		for (int j = 0; j < 8; j++) \
			v[j] = _mm256_fmadd_ps(LD(x + i + 8 * j), LD(y + i + 8 * j), v[j]); \
	/* accumulator j = lanes v[2j] (0-7) and v[2j+1] (8-15) */ \
	__m256 lo = _mm256_add_ps(_mm256_add_ps(v[0], v[4]), _mm256_add_ps(v[2], v[6])); \
	__m256 hi = _mm256_add_ps(_mm256_add_ps(v[1], v[5]), _mm256_add_ps(v[3], v[7])); \
	TAIL

#define TINY_AVX2(T, LD) \
	const T *x = w, *y = a; \
	__m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps(); \
	for (int64_t i = 0; i < n; i += 16) { \
		lo = _mm256_fmadd_ps(LD(x + i), LD(y + i), lo); \
		hi = _mm256_fmadd_ps(LD(x + i + 8), LD(y + i + 8), hi); \
	} \
	*s = reduce16_avx2(lo, hi);

AVX2 static void f32_vec_avx2(int64_t n, float *s, const void *w, const void *a)
{
	VEC_AVX2(float, LD32, float sum = reduce16_avx2(lo, hi);
		 for (int64_t i = np; i < n; i++) sum = FMA_(x[i], y[i], sum);
		 *s = sum;)
}

AVX2 static void f32_tiny_avx2(int64_t n, float *s, const void *w, const void *a)
{
	TINY_AVX2(float, LD32)
}

AVX2 static void f16_vec_avx2(int64_t n, float *s, const void *w, const void *a)
{
	VEC_AVX2(uint16_t, LD16, double sum = (double)reduce16_avx2(lo, hi);
		 for (int64_t i = np; i < n; i++) sum += (double)(h2f(x[i]) * h2f(y[i]));
		 *s = (float)sum;)
}

AVX2 static void f16_tiny_avx2(int64_t n, float *s, const void *w, const void *a)
{
	TINY_AVX2(uint16_t, LD16)
}
#undef FMA_
#endif

#if defined(__x86_64__)
#include <cpuid.h>
#endif

int eng_cpu_simd(void)
{
#if defined(__x86_64__)
	unsigned a, b, c, d;
	if (getenv("BRIEFING_ENGINE_NO_SIMD"))
		return 0;
	/* F16C by CPUID: clang's __builtin_cpu_supports does not know it */
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 29)))
		return 0;
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
	return 0;
#endif
}

static struct mm_type table[ENG_TYPE_COUNT];
static int have[ENG_TYPE_COUNT];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	static const uint32_t weight_types[] = {
		ENG_TYPE_F32, ENG_TYPE_F16, ENG_TYPE_BF16, ENG_TYPE_Q8_0, ENG_TYPE_Q4_0, ENG_TYPE_Q4_1,
		ENG_TYPE_Q5_0, ENG_TYPE_Q5_1, ENG_TYPE_Q4_K, ENG_TYPE_Q5_K, ENG_TYPE_Q6_K,
	};
	for (size_t i = 0; i < sizeof weight_types / sizeof weight_types[0]; i++) {
		uint32_t t = weight_types[i];
		const struct eng_quant_traits *tr = eng_quant_traits(t);
		if (!tr || !tr->vec_dot || !tr->dequantize)
			continue;
		const struct eng_quant_traits *at = eng_quant_traits(tr->vec_dot_type);
		if (!at || !at->from_float)
			continue;
		table[t] = (struct mm_type){
			.weight_type = (int)t,
			.act_type = (int)tr->vec_dot_type,
			.act_quantize = at->from_float,
			.vec_dot = tr->vec_dot,
			.vec_dot_rows = getenv("BRIEFING_ENGINE_NO_ROWS") ? NULL : tr->vec_dot_rows,
			.vec_dot_tiny = NULL,
			.dequantize = tr->dequantize,
		};
		have[t] = 1;
	}
	/* F32/F16: ggml's summation order (see the top of the file) */
	int simd = eng_cpu_simd();
	if (have[ENG_TYPE_F32]) {
		table[ENG_TYPE_F32].vec_dot = f32_vec_ref;
		table[ENG_TYPE_F32].vec_dot_tiny = f32_tiny_ref;
		table[ENG_TYPE_F32].vec_dot_rows = NULL;
	}
	if (have[ENG_TYPE_F16]) {
		table[ENG_TYPE_F16].vec_dot = f16_vec_ref;
		table[ENG_TYPE_F16].vec_dot_tiny = f16_tiny_ref;
		table[ENG_TYPE_F16].vec_dot_rows = NULL;
	}
#if defined(__x86_64__)
	if (simd && have[ENG_TYPE_F32]) {
		table[ENG_TYPE_F32].vec_dot = f32_vec_avx2;
		table[ENG_TYPE_F32].vec_dot_tiny = f32_tiny_avx2;
	}
	if (simd && have[ENG_TYPE_F16]) {
		table[ENG_TYPE_F16].vec_dot = f16_vec_avx2;
		table[ENG_TYPE_F16].vec_dot_tiny = f16_tiny_avx2;
	}
#endif
}

const struct mm_type *eng_mm_type(int type)
{
	pthread_once(&once, init);
	if (type < 0 || type >= ENG_TYPE_COUNT || !have[type])
		return NULL;
	return &table[type];
}
