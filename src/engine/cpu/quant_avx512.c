/* quant_avx512.c — AVX-512 (F, BW, VL, DQ) + AVX512-VNNI kernels, installed
 * over the AVX2 ones (quant_avx2.c) when the CPU has them.
 *
 * Exactness: each kernel leaves every float operation of the AVX2 kernel it
 * replaces (and so of ggml's) as it was: the same 8-lane float accumulator,
 * fed per block with the same 8 int32 lanes. Only the integer work is
 * wider: two 32-byte groups go through one 64-byte register, and the two
 * halves of the integer result are added at the end of the block, which is
 * exact. So the results keep their bits (tests/unit/test_engine_quant.c
 * compares them with the scalar reference and the AVX2 kernels).
 *
 * The K-quant dots (decode): Q4_K, Q5_K and Q6_K with VPDPWSSD fusing the
 * scale multiply and the add; Q5_K unpacks two groups per 512-bit register
 * (its high bits through mask registers), Q4_K and Q6_K stay in 256-bit
 * registers, which measured faster on Zen 4 (its 512-bit operations take
 * two 256-bit slots, and the cross-lane shuffles cost more than they save).
 *
 * The Q8_0 product of many tokens (prompts, batched decode) is a tiled
 * kernel: a tile of 4 weight rows x 8 tokens keeps its 16 accumulators
 * (each two outputs: a token pair in the register's halves) in registers,
 * and each weight block and activation block loaded is used 4 or 8 times.
 * The signed x signed byte product runs on VPDPBUSD (unsigned x signed)
 * with the activation offset by 128: sum (y + 128) x - 128 sum x, the
 * correction computed once per weight block; integers are exact, so each
 * block's 8 lanes are those of ggml's kernel. */
#include <string.h>

#include "engine/quant.h"
#include "engine/cpu/quant_int.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "engine/cpu/quant_x86.h"

#define A512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

/* the 16 int32 lanes of a two-group product folded to ggml's 8 */
A512 static inline __m256i fold(__m512i v)
{
	return _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
}

/* ---- K-quants -------------------------------------------------------------- */

/* Q4_K/Q5_K 12-byte scales -> 8 scales then 8 mins as 16 int16 (ggml's
 * unpacking; done in vector registers it measured no faster) */
A512 static inline __m256i k4_scales_mins(const uint8_t *src)
{
	uint32_t u[4];
	k4_scales(src, u);
	return _mm256_cvtepu8_epi16(_mm_setr_epi32((int)u[0], (int)u[1], (int)u[2], (int)u[3]));
}

/* bsums (16 int16) . mins, as ggml: pairs of bsums added, then 4 int32
 * lanes m_2k (b_4k + b_4k+1) + m_2k+1 (b_4k+2 + b_4k+3) */
A512 static inline __m128i k4_mins_prod(const int16_t *bsums, __m256i mins_and_scales)
{
	const __m256i q8sums = _mm256_loadu_si256((const __m256i *)bsums);
	const __m128i q8s = _mm_hadd_epi16(_mm256_castsi256_si128(q8sums), _mm256_extracti128_si256(q8sums, 1));
	return _mm_madd_epi16(_mm256_extracti128_si256(mins_and_scales, 1), q8s);
}

/* Q5_K's mins term as ggml sums it: summs + dmin * (the sum of the 4
 * lanes of k4_mins_prod), contracted to one FMA */
A512 static inline float k5_summs(float summs, float dmin, const int16_t *bsums, __m256i ms)
{
	__m128i p = k4_mins_prod(bsums, ms);
	p = _mm_add_epi32(p, _mm_unpackhi_epi64(p, p));
	p = _mm_add_epi32(p, _mm_shuffle_epi32(p, _MM_SHUFFLE(2, 3, 0, 1)));
	return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(dmin), _mm_set_ss((float)_mm_cvtsi128_si32(p)), _mm_set_ss(summs)));
}

/* 64 nibbles at q (two 32-byte groups j, j+1) -> [lo_j | hi_j], [lo_j+1 | hi_j+1]:
 * each a 64-weight register matching 64 consecutive activation bytes */
#define NIB_SPLIT(q, A, B) do { \
		const __m512i bits_ = _mm512_loadu_si512((const void *)(q)); \
		const __m512i lo_ = _mm512_and_si512(bits_, m4); \
		const __m512i hi_ = _mm512_and_si512(_mm512_srli_epi16(bits_, 4), m4); \
		A = _mm512_shuffle_i64x2(lo_, hi_, 0x44); \
		B = _mm512_shuffle_i64x2(lo_, hi_, 0xee); \
	} while (0)

/* scale vectors of groups (2j, 2j+1) for j = 0..3 from the 8 int16 scales
 * (ms's low half): 16 lanes of sc[2j], then 16 of sc[2j+1] (VPSHUFB within
 * 128-bit lanes of the scales broadcast to each) */
#define SCSHUF(j) _mm512_inserti64x4(_mm512_set1_epi16((short)((4 * (j) + 1) << 8 | 4 * (j))), \
				      _mm256_set1_epi16((short)((4 * (j) + 3) << 8 | (4 * (j) + 2))), 1)

struct k4_consts {
	__m512i m4, c0, c1, c2, c3;
};

A512 static inline struct k4_consts k4_consts(void)
{
	return (struct k4_consts){ _mm512_set1_epi8(0xf), SCSHUF(0), SCSHUF(1), SCSHUF(2), SCSHUF(3) };
}

/* sum over the 256 weights (a0..a3, 64 each, matching q8[0..256)) of
 * scale * (weight . activation) in ggml's 8 int32 lanes */
A512 static inline __m256i k4_sumi(const struct k4_consts *k, __m256i ms, __m512i a0, __m512i a1, __m512i a2,
				   __m512i a3, const int8_t *q8)
{
	const __m512i sc = _mm512_broadcast_i32x4(_mm256_castsi256_si128(ms));
	__m512i s0 = _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_shuffle_epi8(sc, k->c0),
					 _mm512_maddubs_epi16(a0, _mm512_loadu_si512((const void *)q8)));
	__m512i s1 = _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_shuffle_epi8(sc, k->c1),
					 _mm512_maddubs_epi16(a1, _mm512_loadu_si512((const void *)(q8 + 64))));
	s0 = _mm512_dpwssd_epi32(s0, _mm512_shuffle_epi8(sc, k->c2),
				 _mm512_maddubs_epi16(a2, _mm512_loadu_si512((const void *)(q8 + 128))));
	s1 = _mm512_dpwssd_epi32(s1, _mm512_shuffle_epi8(sc, k->c3),
				 _mm512_maddubs_epi16(a3, _mm512_loadu_si512((const void *)(q8 + 192))));
	return fold(_mm512_add_epi32(s0, s1));
}

A512 static void dot_q5_K(int64_t n, float *s, const void *vx, const void *vy)
{
	const struct eng_block_q5_K *x = vx;
	const struct eng_block_q8_K *y = vy;
	const struct k4_consts k = k4_consts();
	const __m512i m4 = k.m4, sixteen = _mm512_set1_epi8(16);
	/* bit 2j of qh[l] lifts low nibble l of group j, bit 2j+1 its high one */
#define SEL(j) _mm512_inserti64x4(_mm512_set1_epi8(1 << (2 * (j))), _mm256_set1_epi8((char)(1 << (2 * (j) + 1))), 1)
	const __m512i s0 = SEL(0), s1 = SEL(1), s2 = SEL(2), s3 = SEL(3);
#undef SEL
	__m256 acc = _mm256_setzero_ps();
	float summs = 0;
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		const float d = y[i].d * h2f(x[i].d);
		const float dmin = -y[i].d * h2f(x[i].dmin);
		const __m256i ms = k4_scales_mins(x[i].scales);
		summs = k5_summs(summs, dmin, y[i].bsums, ms);
		const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)x[i].qh));
		__m512i a0, a1, a2, a3;
		NIB_SPLIT(x[i].qs, a0, a1);
		NIB_SPLIT(x[i].qs + 64, a2, a3);
		a0 = _mm512_mask_add_epi8(a0, _mm512_test_epi8_mask(qh, s0), a0, sixteen);
		a1 = _mm512_mask_add_epi8(a1, _mm512_test_epi8_mask(qh, s1), a1, sixteen);
		a2 = _mm512_mask_add_epi8(a2, _mm512_test_epi8_mask(qh, s2), a2, sixteen);
		a3 = _mm512_mask_add_epi8(a3, _mm512_test_epi8_mask(qh, s3), a3, sixteen);
		const __m256i sumi = k4_sumi(&k, ms, a0, a1, a2, a3, y[i].qs);
		acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
	}
	*s = hsum_f8(acc) + summs;
}

/* half a Q6_K block (64 bytes of ql, 32 of qh) -> its 4 groups of 32
 * 6-bit quants (0..63), one per register */
A512 static inline void q6_unpack(const uint8_t *ql, const uint8_t *qh, __m256i q[4])
{
	const __m256i m4 = _mm256_set1_epi8(0xf), m3 = _mm256_set1_epi8(3), m30 = _mm256_set1_epi8(0x30);
	const __m256i l0 = _mm256_loadu_si256((const __m256i *)ql), l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
	const __m256i h = _mm256_loadu_si256((const __m256i *)qh);
	q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(h, m3), 4));
	q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m3), 4));
	q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(h, m30));
	q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), _mm256_and_si256(_mm256_srli_epi16(h, 2), m30));
}

/* Q6_K in 256-bit registers: 32 weights of one group per register,
 * (q - 32) . y per int16 pair as maddubs(q, y) - maddubs(32, y), the
 * scales (one per 16 weights) fused in with VPDPWSSD */
A512 static void dot_q6_K(int64_t n, float *s, const void *vx, const void *vy)
{
	const struct eng_block_q6_K *x = vx;
	const struct eng_block_q8_K *y = vy;
	const __m256i m32 = _mm256_set1_epi8(32);
	__m256 acc = _mm256_setzero_ps();
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		const float d = y[i].d * h2f(x[i].d);
		__m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
		_Pragma("GCC unroll 2")
		for (int j = 0; j < 2; j++) {
			const uint8_t *ql = x[i].ql + 64 * j, *qh = x[i].qh + 32 * j;
			const int8_t *q8 = y[i].qs + 128 * j;
			const __m256i sc = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(x[i].scales + 8 * j))));
			__m256i q[4];
			q6_unpack(ql, qh, q);
			_Pragma("GCC unroll 4")
			for (int g = 0; g < 4; g++) {
				const __m256i yg = _mm256_loadu_si256((const __m256i *)(q8 + 32 * g));
				const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(q[g], yg), _mm256_maddubs_epi16(m32, yg));
				const __m256i scg = _mm256_shuffle_epi8(sc, _mm256_set_m128i(_mm_set1_epi16((short)((4 * g + 3) << 8 | (4 * g + 2))),
											     _mm_set1_epi16((short)((4 * g + 1) << 8 | 4 * g))));
				if (g & 1)
					s1 = _mm256_dpwssd_epi32(s1, scg, p);
				else
					s0 = _mm256_dpwssd_epi32(s0, scg, p);
			}
		}
		acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(_mm256_add_epi32(s0, s1)), acc);
	}
	*s = hsum_f8(acc);
}

/* ---- K-quants, many tokens ------------------------------------------------- */

/* Q4_K / Q5_K group pair j of block i (lo: group 2j, hi: group 2j+1, bytes
 * 0..31 or 0..63 with the fifth bit; sc: the 8 scales as int16, twice)
 * against T tokens: s0/s1 += scale * (weights . y), in ggml's lanes */
__attribute__((always_inline)) A512 static inline void k4_group_tokens(__m256i lo, __m256i hi, __m256i sc, int j,
									 const struct eng_block_q8_K *const *y, int64_t i,
									 const int T, __m256i *s0, __m256i *s1)
{
	const __m256i sl = _mm256_shuffle_epi8(sc, _mm256_set1_epi16((short)((4 * j + 1) << 8 | 4 * j)));
	const __m256i sh = _mm256_shuffle_epi8(sc, _mm256_set1_epi16((short)((4 * j + 3) << 8 | (4 * j + 2))));
	_Pragma("GCC unroll 8")
	for (int k = 0; k < T; k++) {
		const int8_t *q8 = y[k][i].qs + 64 * j;
		const __m256i p0 = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)q8));
		const __m256i p1 = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(q8 + 32)));
		if (j == 0) {
			s0[k] = _mm256_dpwssd_epi32(_mm256_setzero_si256(), sl, p0);
			s1[k] = _mm256_dpwssd_epi32(_mm256_setzero_si256(), sh, p1);
		} else {
			s0[k] = _mm256_dpwssd_epi32(s0[k], sl, p0);
			s1[k] = _mm256_dpwssd_epi32(s1[k], sh, p1);
		}
	}
}

/* the end of block i for T tokens: acc += (dy * dx) * float(s0 + s1) */
__attribute__((always_inline)) A512 static inline void k4_tokens_acc(float xd, const struct eng_block_q8_K *const *y,
								       int64_t i, const int T, const __m256i *s0,
								       const __m256i *s1, __m256 *acc)
{
	_Pragma("GCC unroll 8")
	for (int k = 0; k < T; k++) {
		const float d = y[k][i].d * xd;
		acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(_mm256_add_epi32(s0[k], s1[k])), acc[k]);
	}
}

/* Q4_K against T tokens (T <= 8): each block's nibbles and scale vectors
 * are unpacked once for the T tokens, and the 32 vector registers hold
 * every token's accumulators. Per token the float operations are ggml's;
 * the int32 lanes are the same integers (VPDPWSSD adds each
 * scaled product in a different order, which integers do not notice). */
__attribute__((always_inline)) A512 static inline void q4_K_tile(int64_t nb, const struct eng_block_q4_K *x,
								   const struct eng_block_q8_K *const *y, const int T,
								   float *out, size_t ldo)
{
	const __m256i m4 = _mm256_set1_epi8(0xf);
	__m256 acc[8];
	__m128 acc_m[8];
	_Pragma("GCC unroll 8")
	for (int k = 0; k < T; k++) {
		acc[k] = _mm256_setzero_ps();
		acc_m[k] = _mm_setzero_ps();
	}
	for (int64_t i = 0; i < nb; i++) {
		const float xd = h2f(x[i].d), xdmin = h2f(x[i].dmin);
		const __m256i ms = k4_scales_mins(x[i].scales);
		_Pragma("GCC unroll 8")
		for (int k = 0; k < T; k++) {
			const float dmin = -y[k][i].d * xdmin;
			acc_m[k] = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(k4_mins_prod(y[k][i].bsums, ms)), acc_m[k]);
		}
		const __m256i sc = _mm256_broadcastsi128_si256(_mm256_castsi256_si128(ms));
		__m256i s0[8], s1[8];
		_Pragma("GCC unroll 4")
		for (int j = 0; j < 4; j++) {
			const __m256i bits = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * j));
			const __m256i lo = _mm256_and_si256(bits, m4);
			const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
			k4_group_tokens(lo, hi, sc, j, y, i, T, s0, s1);
		}
		k4_tokens_acc(xd, y, i, T, s0, s1, acc);
	}
	_Pragma("GCC unroll 8")
	for (int k = 0; k < T; k++)
		out[(size_t)k * ldo] = hsum_f8(acc[k]) + hsum_f4(acc_m[k]);
}

/* Q4_K, one token: the tile for one (256-bit registers, no cross-lane
 * shuffles, VPDPWSSD fusing ggml's scale multiply and add) */
A512 static void dot_q4_K(int64_t n, float *s, const void *vx, const void *vy)
{
	const struct eng_block_q8_K *y = vy;
	q4_K_tile(n / ENG_QK_K, vx, &y, 1, s, 1);
}

/* Q5_K against T tokens (T <= 8): as q4_K_tile with each group's fifth
 * bits added once per block; the mins go into a scalar per token as in
 * dot_q5_K. */
__attribute__((always_inline)) A512 static inline void q5_K_tile(int64_t nb, const struct eng_block_q5_K *x,
								   const struct eng_block_q8_K *const *y, const int T,
								   float *out, size_t ldo)
{
	const __m256i m4 = _mm256_set1_epi8(0xf), one = _mm256_set1_epi8(1);
	__m256 acc[8];
	float summs[8];
	_Pragma("GCC unroll 8")
	for (int k = 0; k < T; k++) {
		acc[k] = _mm256_setzero_ps();
		summs[k] = 0;
	}
	for (int64_t i = 0; i < nb; i++) {
		const float xd = h2f(x[i].d), xdmin = h2f(x[i].dmin);
		const __m256i ms = k4_scales_mins(x[i].scales);
		_Pragma("GCC unroll 8")
		for (int k = 0; k < T; k++) {
			summs[k] = k5_summs(summs[k], -y[k][i].d * xdmin, y[k][i].bsums, ms);
		}
		const __m256i sc = _mm256_broadcastsi128_si256(_mm256_castsi256_si128(ms));
		const __m256i hbits = _mm256_loadu_si256((const __m256i *)x[i].qh);
		__m256i s0[8], s1[8];
		_Pragma("GCC unroll 4")
		for (int j = 0; j < 4; j++) {
			const __m256i bits = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * j));
			const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j), one), 4);
			const __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j + 1), one), 4);
			const __m256i lo = _mm256_or_si256(_mm256_and_si256(bits, m4), h0);
			const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), m4), h1);
			k4_group_tokens(lo, hi, sc, j, y, i, T, s0, s1);
		}
		k4_tokens_acc(xd, y, i, T, s0, s1, acc);
	}
	_Pragma("GCC unroll 8")
	for (int k = 0; k < T; k++)
		out[(size_t)k * ldo] = hsum_f8(acc[k]) + summs[k];
}

/* Q6_K against T tokens (T <= 8): the block's 6-bit quants are unpacked
 * once as (q - 32) and |q - 32| (the AVX2 kernel's sign trick: one maddubs
 * of |q - 32| by y carrying the sign of q - 32), the scales fused in with
 * VPDPWSSD; each int32 lane holds the same integer as in dot_q6_K. */
__attribute__((always_inline)) A512 static inline void q6_K_tile(int64_t nb, const struct eng_block_q6_K *x,
								   const struct eng_block_q8_K *const *y, const int T,
								   float *out, size_t ldo)
{
	const __m256i m32 = _mm256_set1_epi8(32);
	__m256 acc[8];
	_Pragma("GCC unroll 8")
	for (int k = 0; k < T; k++)
		acc[k] = _mm256_setzero_ps();
	for (int64_t i = 0; i < nb; i++) {
		const float xd = h2f(x[i].d);
		__m256i s[8];
		_Pragma("GCC unroll 2")
		for (int j = 0; j < 2; j++) {
			const uint8_t *ql = x[i].ql + 64 * j, *qh = x[i].qh + 32 * j;
			const __m256i sc = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(x[i].scales + 8 * j))));
			__m256i q[4];
			q6_unpack(ql, qh, q);
			_Pragma("GCC unroll 4")
			for (int g = 0; g < 4; g++) {
				const __m256i qs = _mm256_sub_epi8(q[g], m32);
				const __m256i qa = _mm256_abs_epi8(qs);
				const __m256i scg = _mm256_shuffle_epi8(sc, _mm256_set_m128i(_mm_set1_epi16((short)((4 * g + 3) << 8 | (4 * g + 2))),
											     _mm_set1_epi16((short)((4 * g + 1) << 8 | 4 * g))));
				_Pragma("GCC unroll 8")
				for (int k = 0; k < T; k++) {
					const __m256i yg = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(y[k][i].qs + 128 * j + 32 * g)), qs);
					const __m256i p = _mm256_maddubs_epi16(qa, yg);
					if (j == 0 && g == 0)
						s[k] = _mm256_dpwssd_epi32(_mm256_setzero_si256(), scg, p);
					else
						s[k] = _mm256_dpwssd_epi32(s[k], scg, p);
				}
			}
		}
		_Pragma("GCC unroll 8")
		for (int k = 0; k < T; k++) {
			const float d = y[k][i].d * xd;
			acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(s[k]), acc[k]);
		}
	}
	_Pragma("GCC unroll 8")
	for (int k = 0; k < T; k++)
		out[(size_t)k * ldo] = hsum_f8(acc[k]);
}

#define KT 4   /* tokens per K-quant tile */

/* rows [r0, r1) of a K-quant weight against n_tok tokens, KT at a time,
 * the tile function specialised for each tile size */
#define K_ROWS(name, block, tile) \
	A512 static void name(int64_t n, const void *w, size_t wrb, int64_t r0, int64_t r1, const void *act, \
			      size_t as, int n_tok, float *out, int ldo) \
	{ \
		const int64_t nb = n / ENG_QK_K; \
		for (int64_t r = r0; r < r1; r++) { \
			const struct block *x = (const void *)((const char *)w + r * wrb); \
			for (int t = 0; t < n_tok; t += KT) { \
				const struct eng_block_q8_K *y[KT]; \
				const int nt = n_tok - t < KT ? n_tok - t : KT; \
				for (int k = 0; k < nt; k++) \
					y[k] = (const void *)((const char *)act + (size_t)(t + k) * as); \
				float *o = &out[(size_t)t * (size_t)ldo + (size_t)r]; \
				switch (nt) { \
				case 1: tile(nb, x, y, 1, o, (size_t)ldo); break; \
				case 2: tile(nb, x, y, 2, o, (size_t)ldo); break; \
				case 3: tile(nb, x, y, 3, o, (size_t)ldo); break; \
				default: tile(nb, x, y, KT, o, (size_t)ldo); break; \
				} \
			} \
		} \
	}

K_ROWS(rows_q4_K, eng_block_q4_K, q4_K_tile)
K_ROWS(rows_q5_K, eng_block_q5_K, q5_K_tile)
K_ROWS(rows_q6_K, eng_block_q6_K, q6_K_tile)
#undef K_ROWS

/* ---- Q8_0 x Q8_0, many tokens: the tiled kernel ---------------------------- */

A512 static void dot_q8_0(int64_t n, float *s, const void *vx, const void *vy)
{
	const struct eng_block_q8_0 *x = vx, *y = vy;
	const __m256i off = _mm256_set1_epi8((char)0x80);
	__m256 acc = _mm256_setzero_ps();
	for (int64_t i = 0; i < n / 32; i++) {
		const __m256i qx = _mm256_loadu_si256((const __m256i *)x[i].qs);
		const __m256i corr = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_dpbusd_epi32(_mm256_setzero_si256(), off, qx));
		const __m256i yu = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)y[i].qs), off);
		const __m256 d = _mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d));
		acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(corr, yu, qx)), acc);
	}
	*s = hsum_f8(acc);
}

/* The tiled kernel. ggml's order per output is, for each block in turn,
 * acc += fl(dx * dy) * float(x . y) in 8 float lanes; the work is the
 * integer dot product (VPDPBUSD), its conversion, the scale product and the
 * FMA. Here a tile is Q8R weight rows x up to Q8T tokens, one 256-bit
 * accumulator per (row, token):
 * - x . y as VPDPBUSD of (x + 128) (one XOR per weight block, shared by
 *   the tile's tokens) by y, the accumulator starting at -128 * (the sum of
 *   each 4 bytes of y), prepared once per token and block for all rows;
 * - the scale products dx * dy for a row and Q8T tokens in one multiply
 *   (the same IEEE products), stored, and read back by the FMA as a
 *   broadcast memory operand;
 * so per (row, token, block) two multiply-pipe operations (VPDPBUSD, FMA)
 * and a conversion, where a pair-per-register layout needs three. The
 * activations of a token tile are laid out once per chunk of CH blocks for
 * every row tile of the call; the accumulators of MAXRT row tiles are kept
 * between chunks. */
#define Q8R 3     /* weight rows per tile */
#define Q8T 8     /* tokens per tile */
#define CH 16     /* blocks per chunk: 17 KiB of prepared activations */
#define MAXRT 64  /* row tiles whose accumulators are kept at once */
#define Q8_GROUP_BYTES (512 << 10)  /* weight bytes of a row group */

struct q8_chunk {
	__m256i y[CH][Q8T];     /* the activation bytes */
	__m256i corr[CH][Q8T];  /* -128 * each 4-byte sum of y */
	__m256 dy[CH];          /* the tokens' scales (8 lanes, Q8T used) */
};

__attribute__((always_inline)) A512 static inline void q8_0_tile(const struct eng_block_q8_0 *const x[Q8R],
								   int64_t b0, int nbc, const struct q8_chunk *ck,
								   __m256 *accm, int first, const int T)
{
	const __m256i off = _mm256_set1_epi8((char)0x80);
	float dd[CH][Q8R][8] __attribute__((aligned(32)));
	for (int b = 0; b < nbc; b++)
		_Pragma("GCC unroll 8")
		for (int r = 0; r < Q8R; r++)
			_mm256_store_ps(dd[b][r], _mm256_mul_ps(_mm256_set1_ps(h2f(x[r][b0 + b].d)), ck->dy[b]));
	__m256 acc[Q8R][Q8T];
	_Pragma("GCC unroll 8")
	for (int r = 0; r < Q8R; r++)
		_Pragma("GCC unroll 8")
		for (int t = 0; t < T; t++)
			acc[r][t] = first ? _mm256_setzero_ps() : accm[r * Q8T + t];
	for (int b = 0; b < nbc; b++) {
		__m256i xu[Q8R];
		_Pragma("GCC unroll 8")
		for (int r = 0; r < Q8R; r++)
			xu[r] = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)x[r][b0 + b].qs), off);
		_Pragma("GCC unroll 8")
		for (int t = 0; t < T; t++) {
			const __m256i c = ck->corr[b][t], yv = ck->y[b][t];
			_Pragma("GCC unroll 8")
			for (int r = 0; r < Q8R; r++) {
				const __m256 f = _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(c, xu[r], yv));
				acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(dd[b][r][t]), f, acc[r][t]);
			}
		}
	}
	_Pragma("GCC unroll 8")
	for (int r = 0; r < Q8R; r++)
		_Pragma("GCC unroll 8")
		for (int t = 0; t < T; t++)
			accm[r * Q8T + t] = acc[r][t];
}

A512 static void rows_q8_0(int64_t n, const void *w, size_t wrb, int64_t r0, int64_t r1, const void *act,
			   size_t as, int n_tok, float *out, int ldo)
{
	const int64_t nb = n / 32;
	if (n_tok < 2) {
		for (int64_t r = r0; r < r1; r++)
			for (int t = 0; t < n_tok; t++)
				dot_q8_0(n, &out[(size_t)t * (size_t)ldo + (size_t)r], (const char *)w + r * wrb,
					 (const char *)act + (size_t)t * as);
		return;
	}
	const __m256i off = _mm256_set1_epi8((char)0x80);
	struct q8_chunk ck __attribute__((aligned(64)));
	static __thread __m256 accm[MAXRT * Q8R * Q8T];
	/* a row group's weights stay in L2 while every token tile runs over them */
	int64_t gr = (int64_t)(Q8_GROUP_BYTES / wrb) / Q8R * Q8R;
	if (gr < Q8R)
		gr = Q8R;
	if (gr > (int64_t)MAXRT * Q8R)
		gr = (int64_t)MAXRT * Q8R;
	for (int64_t rg = r0; rg < r1; rg += gr) {
		const int64_t rge = r1 - rg < gr ? r1 : rg + gr;
		for (int t0 = 0; t0 < n_tok; t0 += Q8T) {
			const int nt = n_tok - t0 < Q8T ? n_tok - t0 : Q8T;
			const struct eng_block_q8_0 *y[Q8T];
			for (int t = 0; t < nt; t++)
				y[t] = (const void *)((const char *)act + (size_t)(t0 + t) * as);
			for (int64_t b0 = 0; b0 < nb; b0 += CH) {
				const int nbc = nb - b0 < CH ? (int)(nb - b0) : CH;
				for (int b = 0; b < nbc; b++) {
					float dy[8] = { 0 };
					for (int t = 0; t < nt; t++) {
						const __m256i v = _mm256_loadu_si256((const __m256i *)y[t][b0 + b].qs);
						ck.y[b][t] = v;
						ck.corr[b][t] = _mm256_sub_epi32(_mm256_setzero_si256(),
										 _mm256_dpbusd_epi32(_mm256_setzero_si256(), off, v));
						dy[t] = h2f(y[t][b0 + b].d);
					}
					ck.dy[b] = _mm256_loadu_ps(dy);
				}
				for (int64_t r = rg; r < rge; r += Q8R) {
					const struct eng_block_q8_0 *x[Q8R];
					for (int k = 0; k < Q8R; k++)
						x[k] = (const void *)((const char *)w + (size_t)(r + k < rge ? r + k : r) * wrb);
					__m256 *am = &accm[(r - rg) / Q8R * Q8R * Q8T];
					const int first = b0 == 0;
					switch (nt) {
					case 2: q8_0_tile(x, b0, nbc, &ck, am, first, 2 < Q8T ? 2 : Q8T); break;
					case 3: q8_0_tile(x, b0, nbc, &ck, am, first, 3 < Q8T ? 3 : Q8T); break;
					case 4: q8_0_tile(x, b0, nbc, &ck, am, first, 4 < Q8T ? 4 : Q8T); break;
					case 5: q8_0_tile(x, b0, nbc, &ck, am, first, 5 < Q8T ? 5 : Q8T); break;
					case 6: q8_0_tile(x, b0, nbc, &ck, am, first, 6 < Q8T ? 6 : Q8T); break;
					case 7: q8_0_tile(x, b0, nbc, &ck, am, first, 7 < Q8T ? 7 : Q8T); break;
					case 8: q8_0_tile(x, b0, nbc, &ck, am, first, 8 < Q8T ? 8 : Q8T); break;
					default: q8_0_tile(x, b0, nbc, &ck, am, first, 1); break;
					}
				}
			}
			for (int64_t r = rg; r < rge; r++) {
				const __m256 *am = &accm[(r - rg) / Q8R * Q8R * Q8T + (r - rg) % Q8R * Q8T];
				for (int t = 0; t < nt; t++)
					out[(size_t)(t0 + t) * (size_t)ldo + (size_t)r] = hsum_f8(am[t]);
			}
		}
	}
}

/* ---- install ---------------------------------------------------------------- */

int eng_quant_avx512_usable(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
	       __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx2") &&
	       __builtin_cpu_supports("fma");
}

const char *eng_quant_avx512_install(struct eng_quant_traits *t)
{
	if (!eng_quant_avx512_usable())
		return NULL;
	t[ENG_TYPE_Q4_K].vec_dot = dot_q4_K;
	t[ENG_TYPE_Q5_K].vec_dot = dot_q5_K;
	t[ENG_TYPE_Q6_K].vec_dot = dot_q6_K;
	t[ENG_TYPE_Q8_0].vec_dot = dot_q8_0;
	t[ENG_TYPE_Q8_0].vec_dot_rows = rows_q8_0;
	t[ENG_TYPE_Q4_K].vec_dot_rows = rows_q4_K;
	t[ENG_TYPE_Q6_K].vec_dot_rows = rows_q6_K;
	t[ENG_TYPE_Q5_K].vec_dot_rows = rows_q5_K;
	return "avx512vnni";
}

#else

int eng_quant_avx512_usable(void)
{
	return 0;
}

const char *eng_quant_avx512_install(struct eng_quant_traits *t)
{
	(void)t;
	return NULL;
}

#endif
