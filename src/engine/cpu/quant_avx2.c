/* quant_avx2.c — AVX2/FMA/F16C kernels for the ggml types, installed into
 * the traits table at run time (the engine is built for x86-64-v2, so each
 * function carries its own target attribute). Each mirrors the scalar
 * reference in quant.c: integer sums are exact, only the order of float
 * accumulation differs (8 lanes, like ggml's AVX2 kernels). Tested against
 * the reference in tests/unit/test_engine_quant.c. */
#include <string.h>

#include "engine/quant.h"
#include "engine/cpu/quant_int.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

#include "engine/cpu/quant_x86.h"

/* AVX-VNNI (CPUID.(EAX=7,ECX=1):EAX[4]); not every compiler's
 * __builtin_cpu_supports knows its name. AVX2 support already implies the
 * OS saves YMM state. */
static int has_avxvnni(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid_count(7, 1, &a, &b, &c, &d))
		return 0;
	return (a >> 4) & 1;
}

AVX2 static inline int hsum_i8(__m256i a)
{
	__m128i s = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
	s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
	s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
	return _mm_cvtsi128_si32(s);
}

/* 16 bytes of nibbles -> 32 bytes: low nibbles (elements 0..15) then high */
AVX2 static inline __m256i nibbles32(const uint8_t *p)
{
	const __m128i t = _mm_loadu_si128((const __m128i *)p);
	const __m256i b = _mm256_set_m128i(_mm_srli_epi16(t, 4), t);
	return _mm256_and_si256(b, _mm256_set1_epi8(0x0f));
}

/* 32 bits -> 32 bytes of 0x00/0xff */
AVX2 static inline __m256i bits32(const uint8_t *p)
{
	uint32_t x32;
	memcpy(&x32, p, 4);
	const __m256i shuf = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
					       0x0101010101010101, 0x0000000000000000);
	__m256i b = _mm256_shuffle_epi8(_mm256_set1_epi32((int)x32), shuf);
	b = _mm256_or_si256(b, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
	return _mm256_cmpeq_epi8(b, _mm256_set1_epi64x(-1));
}

/* ---- float types ----------------------------------------------------------
 * The F32 and F16 dots reproduce llama.cpp's CPU numerics as built for the
 * corpus references (AVX-512 build), using 256-bit registers in pairs:
 *   vec_dot (one token, decode): ggml_vec_dot_f32/_f16 — 4 accumulators of
 *     16 lanes over steps of 64, reduced x0+x2, x1+x3, x0+x1, then
 *     _mm512_reduce_add_ps; leftovers one by one (F32: multiply, then add;
 *     F16: in double).
 *   vec_dot_rows_prompt (prompt tokens, one or more; ggml would use vec_dot
 *     for a single token, we keep one order so a prompt alone and in a
 *     batch agree): llamafile's
 *     tinyBLAS — one 16-lane accumulator per output over steps of 16, then
 *     _mm512_reduce_add_ps; when the row length is not a multiple of 16,
 *     tinyBLAS declines and ggml uses vec_dot, and so do we. (llama.cpp
 *     also uses tinyBLAS for batched decode; we keep vec_dot there so a
 *     batch gives the same results as each sequence alone.) */

/* _mm512_reduce_add_ps of the 16 lanes (lo = 0..7, hi = 8..15) */
AVX2 static inline float reduce16(__m256 lo, __m256 hi)
{
	return hsum_f8(_mm256_add_ps(hi, lo));
}

#define LDH(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))

AVX2 static void dot_f32(int64_t n, float *s, const void *w, const void *a)
{
	const float *x = w, *y = a;
	__m256 acc[8];
	for (int j = 0; j < 8; j++)
		acc[j] = _mm256_setzero_ps();
	const int64_t np = n & ~(int64_t)63;
	for (int64_t i = 0; i < np; i += 64)
		_Pragma("GCC unroll 8")
		for (int j = 0; j < 8; j++)
			acc[j] = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8 * j), _mm256_loadu_ps(y + i + 8 * j), acc[j]);
	/* acc[2j], acc[2j+1] are 16-lane accumulator j */
	for (int h = 0; h < 2; h++) {
		acc[h] = _mm256_add_ps(acc[h], acc[4 + h]);
		acc[2 + h] = _mm256_add_ps(acc[2 + h], acc[6 + h]);
		acc[h] = _mm256_add_ps(acc[h], acc[2 + h]);
	}
	float sum = reduce16(acc[0], acc[1]);
	for (int64_t i = np; i < n; i++)   /* not fused: ggml's bits (test_ggml_float_bit_exact) */
		sum += x[i] * y[i];
	*s = sum;
}

AVX2 static void dot_f16(int64_t n, float *s, const void *w, const void *a)
{
	const eng_fp16 *x = w, *y = a;
	__m256 acc[8];
	for (int j = 0; j < 8; j++)
		acc[j] = _mm256_setzero_ps();
	const int64_t np = n & ~(int64_t)63;
	for (int64_t i = 0; i < np; i += 64)
		_Pragma("GCC unroll 8")
		for (int j = 0; j < 8; j++)
			acc[j] = _mm256_fmadd_ps(LDH(x + i + 8 * j), LDH(y + i + 8 * j), acc[j]);
	for (int h = 0; h < 2; h++) {
		acc[h] = _mm256_add_ps(acc[h], acc[4 + h]);
		acc[2 + h] = _mm256_add_ps(acc[2 + h], acc[6 + h]);
		acc[h] = _mm256_add_ps(acc[h], acc[2 + h]);
	}
	double sum = reduce16(acc[0], acc[1]);
	for (int64_t i = np; i < n; i++)
		sum += (double)(h2f(x[i]) * h2f(y[i]));
	*s = (float)sum;
}

/* tinyBLAS: out = reduce16 of one 16-lane FMA chain over the row */
#define TB_ROWS(NAME, T, LOAD, DOT)                                                                     \
AVX2 static void NAME(int64_t n, const void *w, size_t wrb, int64_t r0, int64_t r1, const void *act,   \
		      size_t as, int n_tok, float *out, int ldo)                                         \
{                                                                                                       \
	if (n % 16) {                                                                      \
		for (int t = 0; t < n_tok; t++)                                                         \
			for (int64_t r = r0; r < r1; r++)                                               \
				DOT(n, &out[(size_t)t * (size_t)ldo + (size_t)r],                        \
				    (const char *)w + r * wrb, (const char *)act + (size_t)t * as);      \
		return;                                                                                 \
	}                                                                                               \
	for (int64_t r = r0; r < r1; r++) {                                                             \
		const T *x = (const void *)((const char *)w + r * wrb);                                  \
		int t = 0;                                                                              \
		for (; t < n_tok; t += 4) {                                                             \
			const int nt = n_tok - t < 4 ? n_tok - t : 4;                                   \
			const T *y[4];                                                                  \
			__m256 lo[4], hi[4];                                                            \
			for (int k = 0; k < 4; k++) {                                                   \
				y[k] = (const void *)((const char *)act + (size_t)(t + (k < nt ? k : 0)) * as); \
				lo[k] = hi[k] = _mm256_setzero_ps();                                    \
			}                                                                               \
			for (int64_t l = 0; l < n; l += 16) {                                           \
				const __m256 xl = LOAD(x + l), xh = LOAD(x + l + 8);                    \
				_Pragma("GCC unroll 4")                                                 \
				for (int k = 0; k < 4; k++) {                                           \
					lo[k] = _mm256_fmadd_ps(xl, LOAD(y[k] + l), lo[k]);             \
					hi[k] = _mm256_fmadd_ps(xh, LOAD(y[k] + l + 8), hi[k]);         \
				}                                                                       \
			}                                                                               \
			for (int k = 0; k < nt; k++)                                                    \
				out[(size_t)(t + k) * (size_t)ldo + (size_t)r] = reduce16(lo[k], hi[k]);  \
		}                                                                                       \
	}                                                                                               \
}

TB_ROWS(rows_f32, float, _mm256_loadu_ps, dot_f32)
TB_ROWS(rows_f16, eng_fp16, LDH, dot_f16)

/* BF16 reproduces llama.cpp's AVX512-BF16 build: VDPBF16PS accumulates,
 * per 32-bit lane j, the odd pair product then the even one, each as an
 * FMA (bf16 products are exact in f32). vec_dot = ggml_vec_dot_bf16 (two
 * 16-lane accumulators over 64-element steps, each reduced and summed in
 * double, leftovers in double); vec_dot_rows_prompt = tinyBLAS (one
 * accumulator per output over 32-element steps). Denormal inputs and
 * results, which the instruction flushes to zero, are not emulated; they
 * do not occur in model weights and activations. */
#define BF_ODD(v) _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int)0xffff0000u)))
#define BF_EVEN(v) _mm256_castsi256_ps(_mm256_slli_epi32(v, 16))

/* acc lanes 0..7 += dpbf16 of 16 bf16 at x and y */
AVX2 static inline __m256 dpbf16_8(__m256 acc, const eng_bf16 *x, const eng_bf16 *y)
{
	const __m256i vx = _mm256_loadu_si256((const __m256i *)x), vy = _mm256_loadu_si256((const __m256i *)y);
	acc = _mm256_fmadd_ps(BF_ODD(vx), BF_ODD(vy), acc);
	return _mm256_fmadd_ps(BF_EVEN(vx), BF_EVEN(vy), acc);
}

AVX2 static void dot_bf16(int64_t n, float *s, const void *w, const void *a)
{
	const eng_bf16 *x = w, *y = a;
	__m256 c1l = _mm256_setzero_ps(), c1h = c1l, c2l = c1l, c2h = c1l;
	int64_t i = 0;
	for (; i + 64 <= n; i += 64) {
		c1l = dpbf16_8(c1l, x + i, y + i);
		c1h = dpbf16_8(c1h, x + i + 16, y + i + 16);
		c2l = dpbf16_8(c2l, x + i + 32, y + i + 32);
		c2h = dpbf16_8(c2h, x + i + 48, y + i + 48);
	}
	double sum = 0;
	sum += (double)reduce16(c1l, c1h);
	sum += (double)reduce16(c2l, c2h);
	for (; i < n; i++)
		sum += (double)(eng_bf16_to_f32(x[i]) * eng_bf16_to_f32(y[i]));
	*s = (float)sum;
}

AVX2 static void rows_bf16(int64_t n, const void *w, size_t wrb, int64_t r0, int64_t r1, const void *act,
			   size_t as, int n_tok, float *out, int ldo)
{
	if (n % 32) {
		for (int t = 0; t < n_tok; t++)
			for (int64_t r = r0; r < r1; r++)
				dot_bf16(n, &out[(size_t)t * (size_t)ldo + (size_t)r], (const char *)w + r * wrb,
					 (const char *)act + (size_t)t * as);
		return;
	}
	for (int64_t r = r0; r < r1; r++) {
		const eng_bf16 *x = (const void *)((const char *)w + r * wrb);
		for (int t = 0; t < n_tok; t++) {
			const eng_bf16 *y = (const void *)((const char *)act + (size_t)t * as);
			__m256 lo = _mm256_setzero_ps(), hi = lo;
			for (int64_t l = 0; l < n; l += 32) {
				lo = dpbf16_8(lo, x + l, y + l);
				hi = dpbf16_8(hi, x + l + 16, y + l + 16);
			}
			out[(size_t)t * (size_t)ldo + (size_t)r] = reduce16(lo, hi);
		}
	}
}

AVX2 static void deq_f16(const void *vx, float *y, int64_t n)
{
	const eng_fp16 *x = vx;
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
	for (; i < n; i++)
		y[i] = h2f(x[i]);
}

/* f32 -> f16 (RNE, the F16 activation type) */
AVX2 static void q_f16(const float *x, void *vy, int64_t n)
{
	eng_fp16 *y = vy;
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		_mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
	for (; i < n; i++)
		y[i] = eng_f32_to_fp16(x[i]);
}

/* ---- activation quantisers: Q8_0 / Q8_1 (ggml's AVX2 quantize_row_q8_0/1) ---- */

AVX2 static inline __m256i q8_block(const float *x, float *d_out)
{
	__m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
	__m256 v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
	const __m256 sign = _mm256_set1_ps(-0.0f);
	__m256 m = _mm256_andnot_ps(sign, v0);
	m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v1));
	m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v2));
	m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v3));
	__m128 m4 = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
	m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
	m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
	const float amax = _mm_cvtss_f32(m4);
	*d_out = amax / 127.f;
	const __m256 mul = _mm256_set1_ps(amax != 0.0f ? 127.f / amax : 0.0f);
	__m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
	__m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
	__m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
	__m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
	i0 = _mm256_packs_epi32(i0, i1);
	i2 = _mm256_packs_epi32(i2, i3);
	i0 = _mm256_packs_epi16(i0, i2);
	return _mm256_permutevar8x32_epi32(i0, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

AVX2 static void act_q8_0(const float *x, void *vy, int64_t n)
{
	struct eng_block_q8_0 *y = vy;
	for (int64_t i = 0; i < n / 32; i++) {
		float d;
		__m256i q = q8_block(x + i * 32, &d);
		y[i].d = eng_f32_to_fp16(d);
		_mm256_storeu_si256((__m256i *)y[i].qs, q);
	}
}

AVX2 static void act_q8_1(const float *x, void *vy, int64_t n)
{
	struct eng_block_q8_1 *y = vy;
	for (int64_t i = 0; i < n / 32; i++) {
		float d;
		__m256i q = q8_block(x + i * 32, &d);
		y[i].d = eng_f32_to_fp16(d);
		_mm256_storeu_si256((__m256i *)y[i].qs, q);
		/* sum of the 32 int8 */
		__m256i s16 = _mm256_maddubs_epi16(_mm256_set1_epi8(1), q);
		int sum = hsum_i8(_mm256_madd_epi16(s16, _mm256_set1_epi16(1)));
		y[i].s = eng_f32_to_fp16(d * (float)sum);
	}
}

/* ---- 32-element block dots: plain AVX2, and with VNNI (dpbusd) ---- */

#define SFX _avx2
#define ATTR AVX2
#define DPBUSD(acc, ax, sy) _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sy), _mm256_set1_epi16(1)))
#include "engine/cpu/quant_q32.inc"
#undef SFX
#undef ATTR
#undef DPBUSD

#define SFX _avxvnni
#define ATTR __attribute__((target("avx2,fma,f16c,avxvnni")))
#define DPBUSD(acc, ax, sy) _mm256_dpbusd_avx_epi32(acc, ax, sy)
#include "engine/cpu/quant_q32.inc"
#undef SFX
#undef ATTR
#undef DPBUSD

#define SFX _avx512vnni
#define ATTR __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512vnni")))
#define DPBUSD(acc, ax, sy) _mm256_dpbusd_epi32(acc, ax, sy)
#include "engine/cpu/quant_q32.inc"
#undef SFX
#undef ATTR
#undef DPBUSD

/* ---- K-quants ---- */

/* sum_j bsums[j] * mins[j/2] with the mins as 8 u8 */
AVX2 static inline int k4_summ(const int16_t *bsums, const uint8_t *mins)
{
	const __m256i q8sums = _mm256_loadu_si256((const __m256i *)bsums);
	const __m128i q8s = _mm_hadd_epi16(_mm256_castsi256_si128(q8sums), _mm256_extracti128_si256(q8sums, 1));
	const __m128i mn = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mins));
	__m128i p = _mm_madd_epi16(mn, q8s);
	p = _mm_add_epi32(p, _mm_unpackhi_epi64(p, p));
	p = _mm_add_epi32(p, _mm_shuffle_epi32(p, _MM_SHUFFLE(2, 3, 0, 1)));
	return _mm_cvtsi128_si32(p);
}

/* ggml's Q4_K mins term: 4 int32 lanes m_2k*(b_4k+b_4k+1) + m_2k+1*(b_4k+2+b_4k+3),
 * accumulated in 4 float lanes; kept lane for lane so results are
 * bit-identical with ggml_vec_dot_q4_K_q8_K (AVX2). */
AVX2 static inline __m128 k4_mins_acc(const int16_t *bsums, const uint8_t *mins, float dmin_neg, __m128 acc_m)
{
	const __m256i q8sums = _mm256_loadu_si256((const __m256i *)bsums);
	const __m128i q8s = _mm_hadd_epi16(_mm256_castsi256_si128(q8sums), _mm256_extracti128_si256(q8sums, 1));
	const __m128i mn = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mins));
	return _mm_fmadd_ps(_mm_set1_ps(dmin_neg), _mm_cvtepi32_ps(_mm_madd_epi16(mn, q8s)), acc_m);
}

AVX2 static void dot_q4_K(int64_t n, float *s, const void *vx, const void *vy)
{
	const struct eng_block_q4_K *x = vx;
	const struct eng_block_q8_K *y = vy;
	const __m256i m4 = _mm256_set1_epi8(0xf);
	__m256 acc = _mm256_setzero_ps();
	__m128 acc_m = _mm_setzero_ps();
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		uint32_t utmp[4];
		k4_scales(x[i].scales, utmp);
		const uint8_t *sc = (const uint8_t *)utmp, *mn = sc + 8;
		const float d = y[i].d * h2f(x[i].d);
		const float dmin = -y[i].d * h2f(x[i].dmin);
		acc_m = k4_mins_acc(y[i].bsums, mn, dmin, acc_m);
		const uint8_t *q4 = x[i].qs;
		const int8_t *q8 = y[i].qs;
		__m256i sumi = _mm256_setzero_si256();
		for (int j = 0; j < 4; j++) {
			const __m256i bits = _mm256_loadu_si256((const __m256i *)q4);
			const __m256i lo = _mm256_and_si256(bits, m4);
			const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
			const __m256i y0 = _mm256_loadu_si256((const __m256i *)q8);
			const __m256i y1 = _mm256_loadu_si256((const __m256i *)(q8 + 32));
			__m256i p0 = _mm256_madd_epi16(_mm256_set1_epi16(sc[2 * j]), _mm256_maddubs_epi16(lo, y0));
			__m256i p1 = _mm256_madd_epi16(_mm256_set1_epi16(sc[2 * j + 1]), _mm256_maddubs_epi16(hi, y1));
			sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p0, p1));
			q4 += 32;
			q8 += 64;
		}
		acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
	}
	*s = hsum_f8(acc) + hsum_f4(acc_m);
}

AVX2 static void dot_q5_K(int64_t n, float *s, const void *vx, const void *vy)
{
	const struct eng_block_q5_K *x = vx;
	const struct eng_block_q8_K *y = vy;
	const __m256i m4 = _mm256_set1_epi8(0xf);
	const __m256i one = _mm256_set1_epi8(1);
	__m256 acc = _mm256_setzero_ps();
	float summs = 0;
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		uint32_t utmp[4];
		k4_scales(x[i].scales, utmp);
		const uint8_t *sc = (const uint8_t *)utmp, *mn = sc + 8;
		const float d = y[i].d * h2f(x[i].d);
		const float dmin = -y[i].d * h2f(x[i].dmin);
		/* ggml's summs += dmin * isum, which compilers contract to an FMA */
		summs = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(dmin), _mm_set_ss((float)k4_summ(y[i].bsums, mn)),
						   _mm_set_ss(summs)));
		const uint8_t *q5 = x[i].qs;
		const int8_t *q8 = y[i].qs;
		const __m256i hbits = _mm256_loadu_si256((const __m256i *)x[i].qh);
		__m256i sumi = _mm256_setzero_si256();
		for (int j = 0; j < 4; j++) {
			const __m256i bits = _mm256_loadu_si256((const __m256i *)q5);
			/* bit 2j of qh -> +16 for the low nibbles, bit 2j+1 for the high */
			const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j), one), 4);
			const __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j + 1), one), 4);
			const __m256i lo = _mm256_add_epi8(_mm256_and_si256(bits, m4), h0);
			const __m256i hi = _mm256_add_epi8(_mm256_and_si256(_mm256_srli_epi16(bits, 4), m4), h1);
			const __m256i y0 = _mm256_loadu_si256((const __m256i *)q8);
			const __m256i y1 = _mm256_loadu_si256((const __m256i *)(q8 + 32));
			__m256i p0 = _mm256_madd_epi16(_mm256_set1_epi16(sc[2 * j]), _mm256_maddubs_epi16(lo, y0));
			__m256i p1 = _mm256_madd_epi16(_mm256_set1_epi16(sc[2 * j + 1]), _mm256_maddubs_epi16(hi, y1));
			sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p0, p1));
			q5 += 32;
			q8 += 64;
		}
		acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
	}
	*s = hsum_f8(acc) + summs;
}

/* Q6_K: quants are 0..63 with an offset of 32. ggml subtracts 32*q8 with
 * a second maddubs per group; here the offset is applied to the weights
 * once (q - 32, signed) and the signed product uses the abs/sign trick.
 * Every int16 and int32 lane holds the same value as in ggml's kernel, so
 * the float result is bit-identical to ggml_vec_dot_q6_K_q8_K (AVX2). */

/* 16-bit scale vector for group g of a 128-element half: [sc[2g] x8 | sc[2g+1] x8] */
AVX2 static inline __m256i q6_scale(__m256i s16, int g)
{
	const __m256i shuf = _mm256_set_m128i(_mm_set1_epi16((short)(((4 * g + 3) << 8) | (4 * g + 2))),
					      _mm_set1_epi16((short)(((4 * g + 1) << 8) | (4 * g))));
	return _mm256_shuffle_epi8(s16, shuf);
}

struct q6_half {
	__m256i q[4];   /* 4 groups of 32 quants minus 32 (-32..31) */
	__m256i a[4];   /* their absolute values */
};

AVX2 static inline void q6_unpack(const uint8_t *ql, const uint8_t *qh, struct q6_half *h)
{
	const __m256i m4 = _mm256_set1_epi8(0xf), m2 = _mm256_set1_epi8(3), m32 = _mm256_set1_epi8(32);
	const __m256i b1 = _mm256_loadu_si256((const __m256i *)ql);
	const __m256i b2 = _mm256_loadu_si256((const __m256i *)(ql + 32));
	const __m256i bh = _mm256_loadu_si256((const __m256i *)qh);
	h->q[0] = _mm256_or_si256(_mm256_and_si256(b1, m4), _mm256_slli_epi16(_mm256_and_si256(bh, m2), 4));
	h->q[1] = _mm256_or_si256(_mm256_and_si256(b2, m4),
				  _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bh, 2), m2), 4));
	h->q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b1, 4), m4),
				  _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bh, 4), m2), 4));
	h->q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b2, 4), m4),
				  _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bh, 6), m2), 4));
	_Pragma("GCC unroll 4")
	for (int g = 0; g < 4; g++) {
		h->q[g] = _mm256_sub_epi8(h->q[g], m32);
		h->a[g] = _mm256_sign_epi8(h->q[g], h->q[g]);
	}
}

/* sum over the half's 4 groups of scale * ((q6 - 32) . q8), in 8 int32 lanes */
AVX2 static inline __m256i q6_half_dot(const struct q6_half *h, __m256i s16, const int8_t *q8, __m256i sumi)
{
	_Pragma("GCC unroll 4")
	for (int g = 0; g < 4; g++) {
		const __m256i y = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(q8 + 32 * g)), h->q[g]);
		sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(q6_scale(s16, g), _mm256_maddubs_epi16(h->a[g], y)));
	}
	return sumi;
}

AVX2 static inline __m256i q6_scales(const int8_t *sc)
{
	return _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)sc)));
}

AVX2 static void dot_q6_K(int64_t n, float *s, const void *vx, const void *vy)
{
	const struct eng_block_q6_K *x = vx;
	const struct eng_block_q8_K *y = vy;
	__m256 acc = _mm256_setzero_ps();
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		const float d = y[i].d * h2f(x[i].d);
		__m256i sumi = _mm256_setzero_si256();
		_Pragma("GCC unroll 4")
		for (int j = 0; j < 2; j++) {
			struct q6_half h;
			q6_unpack(x[i].ql + 64 * j, x[i].qh + 32 * j, &h);
			sumi = q6_half_dot(&h, q6_scales(x[i].scales + 8 * j), y[i].qs + 128 * j, sumi);
		}
		acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
	}
	*s = hsum_f8(acc);
}

/* ---- several activation rows per weight row ------------------------------
 * eng_vec_dot_rows_fn: rows [r0, r1) of w against n_tok activation rows.
 * Each weight block is unpacked once and used for up to 4 tokens. Every
 * token's arithmetic is the same sequence of operations as the single
 * vec_dot above, so results are bit-identical to it (batched decode gives
 * the same logits as decoding each sequence alone). */

#define TILE 4

AVX2 static void rows_q4_K(int64_t n, const void *w, size_t wrb, int64_t r0, int64_t r1, const void *act,
			   size_t as, int n_tok, float *out, int ldo)
{
	const __m256i m4 = _mm256_set1_epi8(0xf);
	const int64_t nb = n / ENG_QK_K;
	for (int64_t r = r0; r < r1; r++) {
		const struct eng_block_q4_K *x = (const void *)((const char *)w + r * wrb);
		int t = 0;
		for (; t + TILE <= n_tok; t += TILE) {
			const struct eng_block_q8_K *y[TILE];
			__m256 acc[TILE];
			__m128 acc_m[TILE];
			_Pragma("GCC unroll 4")
			for (int k = 0; k < TILE; k++) {
				y[k] = (const void *)((const char *)act + (size_t)(t + k) * as);
				acc[k] = _mm256_setzero_ps();
				acc_m[k] = _mm_setzero_ps();
			}
			for (int64_t i = 0; i < nb; i++) {
				uint32_t utmp[4];
				k4_scales(x[i].scales, utmp);
				const uint8_t *sc = (const uint8_t *)utmp, *mn = sc + 8;
				const float xd = h2f(x[i].d), xdmin = h2f(x[i].dmin);
				__m256i sumi[TILE];
				_Pragma("GCC unroll 4")
				for (int k = 0; k < TILE; k++) {
					const float dmin = -y[k][i].d * xdmin;
					acc_m[k] = k4_mins_acc(y[k][i].bsums, mn, dmin, acc_m[k]);
					sumi[k] = _mm256_setzero_si256();
				}
				_Pragma("GCC unroll 4")
				for (int j = 0; j < 4; j++) {
					const __m256i bits = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * j));
					const __m256i lo = _mm256_and_si256(bits, m4);
					const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
					const __m256i sl = _mm256_set1_epi16(sc[2 * j]), sh = _mm256_set1_epi16(sc[2 * j + 1]);
					_Pragma("GCC unroll 4")
					for (int k = 0; k < TILE; k++) {
						const int8_t *q8 = y[k][i].qs + 64 * j;
						const __m256i p0 = _mm256_madd_epi16(sl, _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)q8)));
						const __m256i p1 = _mm256_madd_epi16(sh, _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(q8 + 32))));
						sumi[k] = _mm256_add_epi32(sumi[k], _mm256_add_epi32(p0, p1));
					}
				}
				_Pragma("GCC unroll 4")
				for (int k = 0; k < TILE; k++) {
					const float d = y[k][i].d * xd;
					acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi[k]), acc[k]);
				}
			}
			_Pragma("GCC unroll 4")
			for (int k = 0; k < TILE; k++)
				out[(size_t)(t + k) * (size_t)ldo + (size_t)r] = hsum_f8(acc[k]) + hsum_f4(acc_m[k]);
		}
		for (; t < n_tok; t++)
			dot_q4_K(n, &out[(size_t)t * (size_t)ldo + (size_t)r], x, (const char *)act + (size_t)t * as);
	}
}

AVX2 static void rows_q5_K(int64_t n, const void *w, size_t wrb, int64_t r0, int64_t r1, const void *act,
			   size_t as, int n_tok, float *out, int ldo)
{
	const __m256i m4 = _mm256_set1_epi8(0xf), one = _mm256_set1_epi8(1);
	const int64_t nb = n / ENG_QK_K;
	for (int64_t r = r0; r < r1; r++) {
		const struct eng_block_q5_K *x = (const void *)((const char *)w + r * wrb);
		int t = 0;
		for (; t + TILE <= n_tok; t += TILE) {
			const struct eng_block_q8_K *y[TILE];
			__m256 acc[TILE];
			float summs[TILE];
			_Pragma("GCC unroll 4")
			for (int k = 0; k < TILE; k++) {
				y[k] = (const void *)((const char *)act + (size_t)(t + k) * as);
				acc[k] = _mm256_setzero_ps();
				summs[k] = 0;
			}
			for (int64_t i = 0; i < nb; i++) {
				uint32_t utmp[4];
				k4_scales(x[i].scales, utmp);
				const uint8_t *sc = (const uint8_t *)utmp, *mn = sc + 8;
				const float xd = h2f(x[i].d), xdmin = h2f(x[i].dmin);
				const __m256i hbits = _mm256_loadu_si256((const __m256i *)x[i].qh);
				__m256i sumi[TILE];
				_Pragma("GCC unroll 4")
				for (int k = 0; k < TILE; k++) {
					const float dmin = -y[k][i].d * xdmin;
					summs[k] = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(dmin),
						_mm_set_ss((float)k4_summ(y[k][i].bsums, mn)), _mm_set_ss(summs[k])));
					sumi[k] = _mm256_setzero_si256();
				}
				for (int j = 0; j < 4; j++) {
					const __m256i bits = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * j));
					const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j), one), 4);
					const __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j + 1), one), 4);
					const __m256i lo = _mm256_add_epi8(_mm256_and_si256(bits, m4), h0);
					const __m256i hi = _mm256_add_epi8(_mm256_and_si256(_mm256_srli_epi16(bits, 4), m4), h1);
					const __m256i sl = _mm256_set1_epi16(sc[2 * j]), sh = _mm256_set1_epi16(sc[2 * j + 1]);
					_Pragma("GCC unroll 4")
					for (int k = 0; k < TILE; k++) {
						const int8_t *q8 = y[k][i].qs + 64 * j;
						const __m256i p0 = _mm256_madd_epi16(sl, _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)q8)));
						const __m256i p1 = _mm256_madd_epi16(sh, _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(q8 + 32))));
						sumi[k] = _mm256_add_epi32(sumi[k], _mm256_add_epi32(p0, p1));
					}
				}
				_Pragma("GCC unroll 4")
				for (int k = 0; k < TILE; k++) {
					const float d = y[k][i].d * xd;
					acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi[k]), acc[k]);
				}
			}
			_Pragma("GCC unroll 4")
			for (int k = 0; k < TILE; k++)
				out[(size_t)(t + k) * (size_t)ldo + (size_t)r] = hsum_f8(acc[k]) + summs[k];
		}
		for (; t < n_tok; t++)
			dot_q5_K(n, &out[(size_t)t * (size_t)ldo + (size_t)r], x, (const char *)act + (size_t)t * as);
	}
}

AVX2 static void rows_q6_K(int64_t n, const void *w, size_t wrb, int64_t r0, int64_t r1, const void *act,
			   size_t as, int n_tok, float *out, int ldo)
{
	const int64_t nb = n / ENG_QK_K;
	for (int64_t r = r0; r < r1; r++) {
		const struct eng_block_q6_K *x = (const void *)((const char *)w + r * wrb);
		int t = 0;
		for (; t + TILE <= n_tok; t += TILE) {
			const struct eng_block_q8_K *y[TILE];
			__m256 acc[TILE];
			_Pragma("GCC unroll 4")
			for (int k = 0; k < TILE; k++) {
				y[k] = (const void *)((const char *)act + (size_t)(t + k) * as);
				acc[k] = _mm256_setzero_ps();
			}
			for (int64_t i = 0; i < nb; i++) {
				const float xd = h2f(x[i].d);
				__m256i sumi[TILE];
				_Pragma("GCC unroll 4")
				for (int k = 0; k < TILE; k++)
					sumi[k] = _mm256_setzero_si256();
				_Pragma("GCC unroll 4")
				for (int j = 0; j < 2; j++) {
					struct q6_half h;
					q6_unpack(x[i].ql + 64 * j, x[i].qh + 32 * j, &h);
					const __m256i s16 = q6_scales(x[i].scales + 8 * j);
					_Pragma("GCC unroll 4")
					for (int k = 0; k < TILE; k++)
						sumi[k] = q6_half_dot(&h, s16, y[k][i].qs + 128 * j, sumi[k]);
				}
				_Pragma("GCC unroll 4")
				for (int k = 0; k < TILE; k++) {
					const float d = y[k][i].d * xd;
					acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi[k]), acc[k]);
				}
			}
			_Pragma("GCC unroll 4")
			for (int k = 0; k < TILE; k++)
				out[(size_t)(t + k) * (size_t)ldo + (size_t)r] = hsum_f8(acc[k]);
		}
		for (; t < n_tok; t++)
			dot_q6_K(n, &out[(size_t)t * (size_t)ldo + (size_t)r], x, (const char *)act + (size_t)t * as);
	}
}

const char *eng_quant_avx2_install(struct eng_quant_traits *t, int allow_vnni)
{
	const char *name = "avx2";
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		return NULL;
	/* F16C has no __builtin_cpu_supports name in older gcc; every AVX2 CPU has it */
	t[ENG_TYPE_F32].vec_dot = dot_f32;
	t[ENG_TYPE_F16].vec_dot = dot_f16;
	t[ENG_TYPE_F32].vec_dot_rows_prompt = rows_f32;
	t[ENG_TYPE_F16].vec_dot_rows_prompt = rows_f16;
	t[ENG_TYPE_BF16].vec_dot_rows_prompt = rows_bf16;
	t[ENG_TYPE_F16].dequantize = deq_f16;
	t[ENG_TYPE_F16].from_float = q_f16;
	t[ENG_TYPE_BF16].vec_dot = dot_bf16;
	t[ENG_TYPE_Q8_0].from_float = act_q8_0;
	t[ENG_TYPE_Q8_1].from_float = act_q8_1;
	t[ENG_TYPE_Q8_0].vec_dot = dot_q8_0_avx2;
	t[ENG_TYPE_Q4_0].vec_dot = dot_q4_0_avx2;
	t[ENG_TYPE_Q4_1].vec_dot = dot_q4_1_avx2;
	t[ENG_TYPE_Q5_0].vec_dot = dot_q5_0_avx2;
	t[ENG_TYPE_Q5_1].vec_dot = dot_q5_1_avx2;
	t[ENG_TYPE_Q8_0].vec_dot_rows = rows_q8_0_avx2;
	t[ENG_TYPE_Q4_0].vec_dot_rows = rows_q4_0_avx2;
	if (allow_vnni) {
		if (has_avxvnni()) {
			name = "avx2+avxvnni";
			t[ENG_TYPE_Q8_0].vec_dot = dot_q8_0_avxvnni;
			t[ENG_TYPE_Q4_0].vec_dot = dot_q4_0_avxvnni;
			t[ENG_TYPE_Q4_1].vec_dot = dot_q4_1_avxvnni;
			t[ENG_TYPE_Q5_0].vec_dot = dot_q5_0_avxvnni;
			t[ENG_TYPE_Q5_1].vec_dot = dot_q5_1_avxvnni;
			t[ENG_TYPE_Q8_0].vec_dot_rows = rows_q8_0_avxvnni;
			t[ENG_TYPE_Q4_0].vec_dot_rows = rows_q4_0_avxvnni;
		} else if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl")) {
			name = "avx2+avx512vnni";
			t[ENG_TYPE_Q8_0].vec_dot = dot_q8_0_avx512vnni;
			t[ENG_TYPE_Q4_0].vec_dot = dot_q4_0_avx512vnni;
			t[ENG_TYPE_Q4_1].vec_dot = dot_q4_1_avx512vnni;
			t[ENG_TYPE_Q5_0].vec_dot = dot_q5_0_avx512vnni;
			t[ENG_TYPE_Q5_1].vec_dot = dot_q5_1_avx512vnni;
			t[ENG_TYPE_Q8_0].vec_dot_rows = rows_q8_0_avx512vnni;
			t[ENG_TYPE_Q4_0].vec_dot_rows = rows_q4_0_avx512vnni;
		}
	}
	t[ENG_TYPE_Q4_K].vec_dot = dot_q4_K;
	t[ENG_TYPE_Q5_K].vec_dot = dot_q5_K;
	t[ENG_TYPE_Q6_K].vec_dot = dot_q6_K;
	t[ENG_TYPE_Q4_K].vec_dot_rows = rows_q4_K;
	t[ENG_TYPE_Q6_K].vec_dot_rows = rows_q6_K;
	t[ENG_TYPE_Q5_K].vec_dot_rows = rows_q5_K;
	return name;
}

#else

const char *eng_quant_avx2_install(struct eng_quant_traits *t, int allow_vnni)
{
	(void)t;
	(void)allow_vnni;
	return NULL;
}

#endif
