/* quant.c — scalar reference kernels for the ggml tensor types and the
 * per-type traits table (see quant.h).
 *
 * Formulas follow ggml (ggml-quants.c, ggml-cpu-quants.c at llama.cpp
 * c392e50) so dequantised values are bit-identical and the weight
 * quantisers reproduce llama-quantize's output (no imatrix). The SIMD
 * kernels (quant_avx2.c) are swapped into the table at first use when the
 * CPU has them; eng_quant_traits_ref always gives these scalar ones.
 */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant.h"
#include "engine/cpu/quant_int.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define GROUP_MAX_EPS 1e-15f

/* ---- fp16 / bf16 ----------------------------------------------------------- */

float eng_fp16_to_f32(eng_fp16 h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16;
	uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
	if (exp == 0) {
		if (man == 0) {
			bits = sign;
		} else {                 /* subnormal: normalise */
			uint32_t e = 113;    /* 127 - 15 + 1 */
			while (!(man & 0x400)) {
				man <<= 1;
				e--;
			}
			bits = sign | e << 23 | (man & 0x3ff) << 13;
		}
	} else if (exp == 31) {
		bits = sign | 0x7f800000u | man << 13;
	} else {
		bits = sign | (exp + 112) << 23 | man << 13;
	}
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

eng_fp16 eng_f32_to_fp16(float f)
{
	uint32_t x;
	memcpy(&x, &f, 4);
	uint32_t sign = (x >> 16) & 0x8000, ax = x & 0x7fffffffu;
	if (ax > 0x7f800000u)                        /* nan: keep payload top bits, quiet */
		return (eng_fp16)(sign | 0x7e00 | (ax >> 13 & 0x3ff));
	if (ax >= 0x477ff000u)                       /* rounds to >= 65520: inf */
		return (eng_fp16)(sign | 0x7c00);
	if (ax >= 0x38800000u) {                     /* normal half */
		uint32_t r = ax + 0xfff + ((ax >> 13) & 1);
		return (eng_fp16)(sign | ((r - 0x38000000u) >> 13));
	}
	if (ax < 0x33000000u)                        /* < 2^-25: rounds to 0 */
		return (eng_fp16)sign;
	/* subnormal half: value = m * 2^(e-150), unit 2^-24 */
	uint32_t e = ax >> 23, m = (ax & 0x7fffff) | 0x800000;
	uint32_t shift = 126 - e;                    /* 14..24 */
	uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
	if (rem > half || (rem == half && (q & 1)))
		q++;
	return (eng_fp16)(sign | q);
}

float eng_bf16_to_f32(eng_bf16 h)
{
	uint32_t bits = (uint32_t)h << 16;
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

eng_bf16 eng_f32_to_bf16(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	if ((u & 0x7fffffffu) > 0x7f800000u)         /* nan: force quiet (ggml) */
		return (eng_bf16)((u >> 16) | 64);
	return (eng_bf16)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
}

void eng_fp16_to_f32_row(const eng_fp16 *x, float *y, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		y[i] = eng_fp16_to_f32(x[i]);
}

void eng_f32_to_fp16_row(const float *x, eng_fp16 *y, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		y[i] = eng_f32_to_fp16(x[i]);
}

void eng_bf16_to_f32_row(const eng_bf16 *x, float *y, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		y[i] = eng_bf16_to_f32(x[i]);
}

void eng_f32_to_bf16_row(const float *x, eng_bf16 *y, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		y[i] = eng_f32_to_bf16(x[i]);
}

#define H2F(h) eng_fp16_to_f32(h)
#define F2H(f) eng_f32_to_fp16(f)

/* ggml's nearest_int: round half to even via the 1.5*2^23 trick. */
static inline int nearest_int(float fval)
{
	float val = fval + 12582912.f;
	int i;
	memcpy(&i, &val, sizeof(int));
	return (i & 0x007fffff) - 0x00400000;
}

/* ---- float types ------------------------------------------------------------ */

static void deq_f32(const void *x, float *y, int64_t n) { memcpy(y, x, (size_t)n * sizeof(float)); }
static void q_f32(const float *x, void *y, int64_t n) { memcpy(y, x, (size_t)n * sizeof(float)); }
static void deq_f16(const void *x, float *y, int64_t n) { eng_fp16_to_f32_row(x, y, n); }
static void q_f16(const float *x, void *y, int64_t n) { eng_f32_to_fp16_row(x, y, n); }
static void deq_bf16(const void *x, float *y, int64_t n) { eng_bf16_to_f32_row(x, y, n); }
static void q_bf16(const float *x, void *y, int64_t n) { eng_f32_to_bf16_row(x, y, n); }

/* Float dots in ggml's order on AVX-512 machines (where the corpus
 * references were made), so the scalar and SIMD kernels agree bit for bit:
 *   vec_dot (decode): ggml_vec_dot_f32/_f16 — 4 accumulators of 16 lanes
 *     over whole 64-value steps, reduced (a0+a2)+(a1+a3) then across lanes
 *     as _mm512_reduce_add_ps; the rest added one by one (F32: not fused;
 *     F16: in double);
 *   vec_dot_rows_prompt (prompt tokens): llamafile's tinyBLAS — 16 lanes
 *     over the row, then _mm512_reduce_add_ps; rows not a multiple of 16
 *     (which tinyBLAS declines) use vec_dot, as ggml does. A single prompt
 *     token gets tinyBLAS's order too (ggml would use vec_dot there), so
 *     that a prompt gives the same bits alone or batched with others. */
#define VEC_BODY(LOADW, LOADA, TAIL) \
	const int64_t np = n & ~(int64_t)63; \
	float acc[4][16] = { { 0 } }; \
	for (int64_t i = 0; i < np; i += 64) \
		for (int j = 0; j < 4; j++) \
			for (int l = 0; l < 16; l++) \
				acc[j][l] = fmaf(LOADW(i + 16 * j + l), LOADA(i + 16 * j + l), acc[j][l]); \
	for (int l = 0; l < 16; l++) \
		acc[0][l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]); \
	TAIL

#define F32W(i) (((const float *)w)[i])
#define F32A(i) (((const float *)a)[i])
#define F16W(i) H2F(((const eng_fp16 *)w)[i])
#define F16A(i) H2F(((const eng_fp16 *)a)[i])

static void dot_f32(int64_t n, float *s, const void *w, const void *a)
{
	VEC_BODY(F32W, F32A, float sum = eng_reduce16(acc[0]);
		 for (int64_t i = np; i < n; i++) sum += F32W(i) * F32A(i);
		 *s = sum;)
}

static void dot_f16(int64_t n, float *s, const void *w, const void *a)
{
	VEC_BODY(F16W, F16A, double sum = (double)eng_reduce16(acc[0]);
		 for (int64_t i = np; i < n; i++) sum += (double)(F16W(i) * F16A(i));
		 *s = (float)sum;)
}

#define TINY_ROWS(NAME, LOADW, LOADA, DOT) \
static void NAME(int64_t n, const void *wm, size_t wrb, int64_t r0, int64_t r1, const void *act, size_t as, \
		 int n_tok, float *out, int ldo) \
{ \
	for (int t = 0; t < n_tok; t++) \
		for (int64_t r = r0; r < r1; r++) { \
			const void *w = (const char *)wm + r * wrb, *a = (const char *)act + (size_t)t * as; \
			float *o = &out[(size_t)t * (size_t)ldo + (size_t)r]; \
			if (n % 16) { \
				DOT(n, o, w, a); \
				continue; \
			} \
			float acc[16] = { 0 }; \
			for (int64_t i = 0; i < n; i += 16) \
				for (int l = 0; l < 16; l++) \
					acc[l] = fmaf(LOADW(i + l), LOADA(i + l), acc[l]); \
			*o = eng_reduce16(acc); \
		} \
}

TINY_ROWS(rows_prompt_f32, F32W, F32A, dot_f32)
TINY_ROWS(rows_prompt_f16, F16W, F16A, dot_f16)

/* BF16: 8 partial sums, then a fixed tree (the SIMD kernels follow ggml's
 * VDPBF16PS order instead; they agree with this closely, not exactly) */
static float sum8(const float a[8])
{
	return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

static void dot_bf16(int64_t n, float *s, const void *w, const void *a)
{
	const eng_bf16 *x = w, *y = a;
	float acc[8] = { 0 };
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (int k = 0; k < 8; k++)
			acc[k] += eng_bf16_to_f32(x[i + k]) * eng_bf16_to_f32(y[i + k]);
	float sum = sum8(acc);
	for (; i < n; i++)
		sum += eng_bf16_to_f32(x[i]) * eng_bf16_to_f32(y[i]);
	*s = sum;
}

/* ---- 32-element block types: dequantize ----------------------------------- */

static void deq_q4_0(const void *vx, float *y, int64_t n)
{
	const struct eng_block_q4_0 *x = vx;
	for (int64_t i = 0; i < n / 32; i++) {
		const float d = H2F(x[i].d);
		for (int j = 0; j < 16; j++) {
			y[i * 32 + j] = ((x[i].qs[j] & 0x0f) - 8) * d;
			y[i * 32 + j + 16] = ((x[i].qs[j] >> 4) - 8) * d;
		}
	}
}

static void deq_q4_1(const void *vx, float *y, int64_t n)
{
	const struct eng_block_q4_1 *x = vx;
	for (int64_t i = 0; i < n / 32; i++) {
		const float d = H2F(x[i].d), m = H2F(x[i].m);
		for (int j = 0; j < 16; j++) {
			y[i * 32 + j] = (x[i].qs[j] & 0x0f) * d + m;
			y[i * 32 + j + 16] = (x[i].qs[j] >> 4) * d + m;
		}
	}
}

static void deq_q5_0(const void *vx, float *y, int64_t n)
{
	const struct eng_block_q5_0 *x = vx;
	for (int64_t i = 0; i < n / 32; i++) {
		const float d = H2F(x[i].d);
		uint32_t qh;
		memcpy(&qh, x[i].qh, 4);
		for (int j = 0; j < 16; j++) {
			const uint8_t h0 = ((qh >> j) << 4) & 0x10;
			const uint8_t h1 = (qh >> (j + 12)) & 0x10;
			y[i * 32 + j] = (((x[i].qs[j] & 0x0f) | h0) - 16) * d;
			y[i * 32 + j + 16] = (((x[i].qs[j] >> 4) | h1) - 16) * d;
		}
	}
}

static void deq_q5_1(const void *vx, float *y, int64_t n)
{
	const struct eng_block_q5_1 *x = vx;
	for (int64_t i = 0; i < n / 32; i++) {
		const float d = H2F(x[i].d), m = H2F(x[i].m);
		uint32_t qh;
		memcpy(&qh, x[i].qh, 4);
		for (int j = 0; j < 16; j++) {
			const uint8_t h0 = ((qh >> j) << 4) & 0x10;
			const uint8_t h1 = (qh >> (j + 12)) & 0x10;
			y[i * 32 + j] = ((x[i].qs[j] & 0x0f) | h0) * d + m;
			y[i * 32 + j + 16] = ((x[i].qs[j] >> 4) | h1) * d + m;
		}
	}
}

static void deq_q8_0(const void *vx, float *y, int64_t n)
{
	const struct eng_block_q8_0 *x = vx;
	for (int64_t i = 0; i < n / 32; i++) {
		const float d = H2F(x[i].d);
		for (int j = 0; j < 32; j++)
			y[i * 32 + j] = x[i].qs[j] * d;
	}
}

static void deq_q8_1(const void *vx, float *y, int64_t n)
{
	const struct eng_block_q8_1 *x = vx;
	for (int64_t i = 0; i < n / 32; i++) {
		const float d = H2F(x[i].d);
		for (int j = 0; j < 32; j++)
			y[i * 32 + j] = x[i].qs[j] * d;
	}
}

/* ---- 32-element block types: weight quantisers (quantize_row_*_ref) ------- */

static void q_q4_0(const float *x, void *vy, int64_t n)
{
	struct eng_block_q4_0 *y = vy;
	for (int64_t i = 0; i < n / 32; i++) {
		float amax = 0.0f, max = 0.0f;
		for (int j = 0; j < 32; j++) {
			const float v = x[i * 32 + j];
			if (amax < fabsf(v)) {
				amax = fabsf(v);
				max = v;
			}
		}
		const float d = max / -8;
		const float id = d ? 1.0f / d : 0.0f;
		y[i].d = F2H(d);
		for (int j = 0; j < 16; j++) {
			const float x0 = x[i * 32 + j] * id, x1 = x[i * 32 + 16 + j] * id;
			const uint8_t xi0 = (uint8_t)MIN(15, (int8_t)(x0 + 8.5f));
			const uint8_t xi1 = (uint8_t)MIN(15, (int8_t)(x1 + 8.5f));
			y[i].qs[j] = (uint8_t)(xi0 | xi1 << 4);
		}
	}
}

static void q_q4_1(const float *x, void *vy, int64_t n)
{
	struct eng_block_q4_1 *y = vy;
	for (int64_t i = 0; i < n / 32; i++) {
		float min = FLT_MAX, max = -FLT_MAX;
		for (int j = 0; j < 32; j++) {
			const float v = x[i * 32 + j];
			if (v < min) min = v;
			if (v > max) max = v;
		}
		const float d = (max - min) / 15;
		const float id = d ? 1.0f / d : 0.0f;
		y[i].d = F2H(d);
		y[i].m = F2H(min);
		for (int j = 0; j < 16; j++) {
			const float x0 = (x[i * 32 + j] - min) * id, x1 = (x[i * 32 + 16 + j] - min) * id;
			const uint8_t xi0 = (uint8_t)MIN(15, (int8_t)(x0 + 0.5f));
			const uint8_t xi1 = (uint8_t)MIN(15, (int8_t)(x1 + 0.5f));
			y[i].qs[j] = (uint8_t)(xi0 | xi1 << 4);
		}
	}
}

static void q_q5_0(const float *x, void *vy, int64_t n)
{
	struct eng_block_q5_0 *y = vy;
	for (int64_t i = 0; i < n / 32; i++) {
		float amax = 0.0f, max = 0.0f;
		for (int j = 0; j < 32; j++) {
			const float v = x[i * 32 + j];
			if (amax < fabsf(v)) {
				amax = fabsf(v);
				max = v;
			}
		}
		const float d = max / -16;
		const float id = d ? 1.0f / d : 0.0f;
		y[i].d = F2H(d);
		uint32_t qh = 0;
		for (int j = 0; j < 16; j++) {
			const float x0 = x[i * 32 + j] * id, x1 = x[i * 32 + 16 + j] * id;
			const uint8_t xi0 = (uint8_t)MIN(31, (int8_t)(x0 + 16.5f));
			const uint8_t xi1 = (uint8_t)MIN(31, (int8_t)(x1 + 16.5f));
			y[i].qs[j] = (uint8_t)((xi0 & 0x0f) | (xi1 & 0x0f) << 4);
			qh |= ((xi0 & 0x10u) >> 4) << j;
			qh |= ((xi1 & 0x10u) >> 4) << (j + 16);
		}
		memcpy(y[i].qh, &qh, 4);
	}
}

static void q_q5_1(const float *x, void *vy, int64_t n)
{
	struct eng_block_q5_1 *y = vy;
	for (int64_t i = 0; i < n / 32; i++) {
		float min = FLT_MAX, max = -FLT_MAX;
		for (int j = 0; j < 32; j++) {
			const float v = x[i * 32 + j];
			if (v < min) min = v;
			if (v > max) max = v;
		}
		const float d = (max - min) / 31;
		const float id = d ? 1.0f / d : 0.0f;
		y[i].d = F2H(d);
		y[i].m = F2H(min);
		uint32_t qh = 0;
		for (int j = 0; j < 16; j++) {
			const float x0 = (x[i * 32 + j] - min) * id, x1 = (x[i * 32 + 16 + j] - min) * id;
			const uint8_t xi0 = (uint8_t)(x0 + 0.5f), xi1 = (uint8_t)(x1 + 0.5f);
			y[i].qs[j] = (uint8_t)((xi0 & 0x0f) | (xi1 & 0x0f) << 4);
			qh |= ((xi0 & 0x10u) >> 4) << j;
			qh |= ((xi1 & 0x10u) >> 4) << (j + 16);
		}
		memcpy(y[i].qh, &qh, 4);
	}
}

static void q_q8_0(const float *x, void *vy, int64_t n)
{
	struct eng_block_q8_0 *y = vy;
	for (int64_t i = 0; i < n / 32; i++) {
		float amax = 0.0f;
		for (int j = 0; j < 32; j++)
			amax = MAX(amax, fabsf(x[i * 32 + j]));
		const float d = amax / 127;
		const float id = d ? 1.0f / d : 0.0f;
		y[i].d = F2H(d);
		for (int j = 0; j < 32; j++)
			y[i].qs[j] = (int8_t)roundf(x[i * 32 + j] * id);
	}
}

/* ---- activation quantisers (ggml CPU from_float, x86 AVX numerics) -------- */

void eng_quant_act_q8_0_ref(const float *x, void *vy, int64_t n)
{
	struct eng_block_q8_0 *y = vy;
	for (int64_t i = 0; i < n / 32; i++) {
		float amax = 0.0f;
		for (int j = 0; j < 32; j++)
			amax = MAX(amax, fabsf(x[i * 32 + j]));
		const float d = amax / 127.f;
		const float id = amax != 0.0f ? 127.f / amax : 0.0f;
		y[i].d = F2H(d);
		for (int j = 0; j < 32; j++)
			y[i].qs[j] = (int8_t)nearbyintf(x[i * 32 + j] * id);
	}
}

void eng_quant_act_q8_1_ref(const float *x, void *vy, int64_t n)
{
	struct eng_block_q8_1 *y = vy;
	for (int64_t i = 0; i < n / 32; i++) {
		float amax = 0.0f;
		for (int j = 0; j < 32; j++)
			amax = MAX(amax, fabsf(x[i * 32 + j]));
		const float d = amax / 127.f;
		const float id = amax != 0.0f ? 127.f / amax : 0.0f;
		y[i].d = F2H(d);
		int sum = 0;
		for (int j = 0; j < 32; j++) {
			y[i].qs[j] = (int8_t)nearbyintf(x[i * 32 + j] * id);
			sum += y[i].qs[j];
		}
		y[i].s = F2H(d * (float)sum);
	}
}

static void q_q8_K(const float *x, void *vy, int64_t n)
{
	struct eng_block_q8_K *y = vy;
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		float max = 0, amax = 0;
		for (int j = 0; j < ENG_QK_K; j++) {
			const float ax = fabsf(x[j]);
			if (ax > amax) {
				amax = ax;
				max = x[j];
			}
		}
		if (!amax) {
			y[i].d = 0;
			memset(y[i].qs, 0, ENG_QK_K);
			memset(y[i].bsums, 0, sizeof y[i].bsums);
			x += ENG_QK_K;
			continue;
		}
		const float iscale = -127.f / max;
		for (int j = 0; j < ENG_QK_K; j++) {
			int v = nearest_int(iscale * x[j]);
			y[i].qs[j] = (int8_t)MIN(127, v);
		}
		for (int j = 0; j < ENG_QK_K / 16; j++) {
			int sum = 0;
			for (int k = 0; k < 16; k++)
				sum += y[i].qs[j * 16 + k];
			y[i].bsums[j] = (int16_t)sum;
		}
		y[i].d = 1 / iscale;
		x += ENG_QK_K;
	}
}

static void deq_q8_K(const void *vx, float *y, int64_t n)
{
	const struct eng_block_q8_K *x = vx;
	for (int64_t i = 0; i < n / ENG_QK_K; i++)
		for (int j = 0; j < ENG_QK_K; j++)
			*y++ = x[i].d * x[i].qs[j];
}

/* ---- 32-element block types: vec_dot (scalar reference) ------------------- */

static void dot_q4_0(int64_t n, float *s, const void *vx, const void *vy)
{
	const struct eng_block_q4_0 *x = vx;
	const struct eng_block_q8_0 *y = vy;
	float sumf = 0;
	for (int64_t i = 0; i < n / 32; i++) {
		int sumi0 = 0, sumi1 = 0;
		for (int j = 0; j < 16; j++) {
			sumi0 += ((x[i].qs[j] & 0x0f) - 8) * y[i].qs[j];
			sumi1 += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + 16];
		}
		sumf += (float)(sumi0 + sumi1) * (H2F(x[i].d) * H2F(y[i].d));
	}
	*s = sumf;
}

static void dot_q4_1(int64_t n, float *s, const void *vx, const void *vy)
{
	const struct eng_block_q4_1 *x = vx;
	const struct eng_block_q8_1 *y = vy;
	float sumf = 0;
	for (int64_t i = 0; i < n / 32; i++) {
		int sumi0 = 0, sumi1 = 0;
		for (int j = 0; j < 16; j++) {
			sumi0 += (x[i].qs[j] & 0x0f) * y[i].qs[j];
			sumi1 += (x[i].qs[j] >> 4) * y[i].qs[j + 16];
		}
		sumf += (H2F(x[i].d) * H2F(y[i].d)) * (float)(sumi0 + sumi1) + H2F(x[i].m) * H2F(y[i].s);
	}
	*s = sumf;
}

static void dot_q5_0(int64_t n, float *s, const void *vx, const void *vy)
{
	const struct eng_block_q5_0 *x = vx;
	const struct eng_block_q8_0 *y = vy;
	float sumf = 0;
	for (int64_t i = 0; i < n / 32; i++) {
		uint32_t qh;
		memcpy(&qh, x[i].qh, 4);
		int sumi0 = 0, sumi1 = 0;
		for (int j = 0; j < 16; j++) {
			const uint8_t h0 = ((qh >> j) << 4) & 0x10;
			const uint8_t h1 = (qh >> (j + 12)) & 0x10;
			sumi0 += (((x[i].qs[j] & 0x0f) | h0) - 16) * y[i].qs[j];
			sumi1 += (((x[i].qs[j] >> 4) | h1) - 16) * y[i].qs[j + 16];
		}
		sumf += (H2F(x[i].d) * H2F(y[i].d)) * (float)(sumi0 + sumi1);
	}
	*s = sumf;
}

static void dot_q5_1(int64_t n, float *s, const void *vx, const void *vy)
{
	const struct eng_block_q5_1 *x = vx;
	const struct eng_block_q8_1 *y = vy;
	float sumf = 0;
	for (int64_t i = 0; i < n / 32; i++) {
		uint32_t qh;
		memcpy(&qh, x[i].qh, 4);
		int sumi0 = 0, sumi1 = 0;
		for (int j = 0; j < 16; j++) {
			const uint8_t h0 = ((qh >> j) << 4) & 0x10;
			const uint8_t h1 = (qh >> (j + 12)) & 0x10;
			sumi0 += ((x[i].qs[j] & 0x0f) | h0) * y[i].qs[j];
			sumi1 += ((x[i].qs[j] >> 4) | h1) * y[i].qs[j + 16];
		}
		sumf += (H2F(x[i].d) * H2F(y[i].d)) * (float)(sumi0 + sumi1) + H2F(x[i].m) * H2F(y[i].s);
	}
	*s = sumf;
}

static void dot_q8_0(int64_t n, float *s, const void *vx, const void *vy)
{
	const struct eng_block_q8_0 *x = vx;
	const struct eng_block_q8_0 *y = vy;
	float sumf = 0;
	for (int64_t i = 0; i < n / 32; i++) {
		int sumi = 0;
		for (int j = 0; j < 32; j++)
			sumi += x[i].qs[j] * y[i].qs[j];
		sumf += (float)sumi * (H2F(x[i].d) * H2F(y[i].d));
	}
	*s = sumf;
}

/* ---- K-quants -------------------------------------------------------------- */

static inline void get_scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m)
{
	if (j < 4) {
		*d = q[j] & 63;
		*m = q[j + 4] & 63;
	} else {
		*d = (uint8_t)((q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4));
		*m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
	}
}

static void deq_q4_K(const void *vx, float *y, int64_t n)
{
	const struct eng_block_q4_K *x = vx;
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		const uint8_t *q = x[i].qs;
		const float d = H2F(x[i].d), min = H2F(x[i].dmin);
		int is = 0;
		uint8_t sc, m;
		for (int j = 0; j < ENG_QK_K; j += 64) {
			get_scale_min_k4(is + 0, x[i].scales, &sc, &m);
			const float d1 = d * sc, m1 = min * m;
			get_scale_min_k4(is + 1, x[i].scales, &sc, &m);
			const float d2 = d * sc, m2 = min * m;
			for (int l = 0; l < 32; l++)
				*y++ = d1 * (q[l] & 0xf) - m1;
			for (int l = 0; l < 32; l++)
				*y++ = d2 * (q[l] >> 4) - m2;
			q += 32;
			is += 2;
		}
	}
}

static void deq_q5_K(const void *vx, float *y, int64_t n)
{
	const struct eng_block_q5_K *x = vx;
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		const uint8_t *ql = x[i].qs, *qh = x[i].qh;
		const float d = H2F(x[i].d), min = H2F(x[i].dmin);
		int is = 0;
		uint8_t sc, m, u1 = 1, u2 = 2;
		for (int j = 0; j < ENG_QK_K; j += 64) {
			get_scale_min_k4(is + 0, x[i].scales, &sc, &m);
			const float d1 = d * sc, m1 = min * m;
			get_scale_min_k4(is + 1, x[i].scales, &sc, &m);
			const float d2 = d * sc, m2 = min * m;
			for (int l = 0; l < 32; l++)
				*y++ = d1 * ((ql[l] & 0xf) + (qh[l] & u1 ? 16 : 0)) - m1;
			for (int l = 0; l < 32; l++)
				*y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
			ql += 32;
			is += 2;
			u1 = (uint8_t)(u1 << 2);
			u2 = (uint8_t)(u2 << 2);
		}
	}
}

static void deq_q6_K(const void *vx, float *y, int64_t n)
{
	const struct eng_block_q6_K *x = vx;
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		const float d = H2F(x[i].d);
		const uint8_t *ql = x[i].ql, *qh = x[i].qh;
		const int8_t *sc = x[i].scales;
		for (int k = 0; k < ENG_QK_K; k += 128) {
			for (int l = 0; l < 32; l++) {
				const int is = l / 16;
				const int8_t q1 = (int8_t)((ql[l] & 0xf) | ((qh[l] >> 0) & 3) << 4) - 32;
				const int8_t q2 = (int8_t)((ql[l + 32] & 0xf) | ((qh[l] >> 2) & 3) << 4) - 32;
				const int8_t q3 = (int8_t)((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
				const int8_t q4 = (int8_t)((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
				y[l] = d * sc[is + 0] * q1;
				y[l + 32] = d * sc[is + 2] * q2;
				y[l + 64] = d * sc[is + 4] * q3;
				y[l + 96] = d * sc[is + 6] * q4;
			}
			y += 128;
			ql += 64;
			qh += 32;
			sc += 8;
		}
	}
}

/* make_qkx2_quants (ggml): asymmetric n-level quantisation of one
 * sub-block with a weighted search over scales. */
static float make_qkx2_quants(int n, int nmax, const float *x, const float *weights, uint8_t *L,
			      float *the_min, uint8_t *Laux, float rmin, float rdelta, int nstep)
{
	float min = x[0], max = x[0];
	float sum_w = weights[0], sum_x = sum_w * x[0];
	for (int i = 1; i < n; i++) {
		if (x[i] < min) min = x[i];
		if (x[i] > max) max = x[i];
		float w = weights[i];
		sum_w += w;
		sum_x += w * x[i];
	}
	if (min > 0)
		min = 0;
	if (max == min) {
		for (int i = 0; i < n; i++)
			L[i] = 0;
		*the_min = -min;
		return 0.f;
	}
	float iscale = nmax / (max - min);
	float scale = 1 / iscale;
	float best_mad = 0;
	for (int i = 0; i < n; i++) {
		int l = nearest_int(iscale * (x[i] - min));
		L[i] = (uint8_t)MAX(0, MIN(nmax, l));
		float diff = scale * L[i] + min - x[i];
		diff = diff * diff;
		best_mad += weights[i] * diff;
	}
	if (nstep < 1) {
		*the_min = -min;
		return scale;
	}
	for (int is = 0; is <= nstep; is++) {
		iscale = (rmin + rdelta * is + nmax) / (max - min);
		float sum_l = 0, sum_l2 = 0, sum_xl = 0;
		for (int i = 0; i < n; i++) {
			int l = nearest_int(iscale * (x[i] - min));
			l = MAX(0, MIN(nmax, l));
			Laux[i] = (uint8_t)l;
			float w = weights[i];
			sum_l += w * l;
			sum_l2 += w * l * l;
			sum_xl += w * l * x[i];
		}
		float D = sum_w * sum_l2 - sum_l * sum_l;
		if (D > 0) {
			float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
			float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
			if (this_min > 0) {
				this_min = 0;
				this_scale = sum_xl / sum_l2;
			}
			float mad = 0;
			for (int i = 0; i < n; i++) {
				float diff = this_scale * Laux[i] + this_min - x[i];
				diff = diff * diff;
				mad += weights[i] * diff;
			}
			if (mad < best_mad) {
				for (int i = 0; i < n; i++)
					L[i] = Laux[i];
				best_mad = mad;
				scale = this_scale;
				min = this_min;
			}
		}
	}
	*the_min = -min;
	return scale;
}

/* make_qx_quants (ggml) with rmse_type 1 and no weights: symmetric.
 * search == 0: ggml's rmse_type 0 (plain rounding, no scale search). */
static float make_qx_quants(int n, int nmax, const float *x, int8_t *L, int search)
{
	float max = 0, amax = 0;
	for (int i = 0; i < n; i++) {
		float ax = fabsf(x[i]);
		if (ax > amax) {
			amax = ax;
			max = x[i];
		}
	}
	if (amax < GROUP_MAX_EPS) {
		for (int i = 0; i < n; i++)
			L[i] = 0;
		return 0.f;
	}
	float iscale = -nmax / max;
	if (!search) {
		for (int i = 0; i < n; i++) {
			int l = nearest_int(iscale * x[i]);
			L[i] = (int8_t)(nmax + MAX(-nmax, MIN(nmax - 1, l)));
		}
		return 1 / iscale;
	}
	float sumlx = 0, suml2 = 0;
	for (int i = 0; i < n; i++) {
		int l = nearest_int(iscale * x[i]);
		l = MAX(-nmax, MIN(nmax - 1, l));
		L[i] = (int8_t)(l + nmax);
		float w = x[i] * x[i];
		sumlx += w * x[i] * l;
		suml2 += w * l * l;
	}
	float scale = suml2 ? sumlx / suml2 : 0.0f;
	float best = scale * sumlx;
	for (int is = -9; is <= 9; is++) {
		if (is == 0)
			continue;
		iscale = -(nmax + 0.1f * is) / max;
		sumlx = suml2 = 0;
		for (int i = 0; i < n; i++) {
			int l = nearest_int(iscale * x[i]);
			l = MAX(-nmax, MIN(nmax - 1, l));
			float w = x[i] * x[i];
			sumlx += w * x[i] * l;
			suml2 += w * l * l;
		}
		if (suml2 > 0 && sumlx * sumlx > best * suml2) {
			for (int i = 0; i < n; i++) {
				int l = nearest_int(iscale * x[i]);
				L[i] = (int8_t)(nmax + MAX(-nmax, MIN(nmax - 1, l)));
			}
			scale = sumlx / suml2;
			best = scale * sumlx;
		}
	}
	return scale;
}

/* shared by Q4_K and Q5_K: 8 sub-blocks of 32 with 6-bit scales and mins */
static void quantize_k_scales(const float *x, uint8_t *L, uint8_t scales_out[12], eng_fp16 *d_out,
			      eng_fp16 *dmin_out, int nmax, float rmin, int nstep)
{
	uint8_t Laux[32];
	float weights[32], mins[8], scales[8];
	float max_scale = 0, max_min = 0;
	for (int j = 0; j < 8; j++) {
		float sum_x2 = 0;
		for (int l = 0; l < 32; l++)
			sum_x2 += x[32 * j + l] * x[32 * j + l];
		float av_x = sqrtf(sum_x2 / 32);
		for (int l = 0; l < 32; l++)
			weights[l] = av_x + fabsf(x[32 * j + l]);
		scales[j] = make_qkx2_quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux,
					     rmin, 0.1f, nstep);
		if (scales[j] > max_scale)
			max_scale = scales[j];
		if (mins[j] > max_min)
			max_min = mins[j];
	}
	float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
	float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
	memset(scales_out, 0, 12);
	for (int j = 0; j < 8; j++) {
		uint8_t ls = (uint8_t)nearest_int(inv_scale * scales[j]);
		uint8_t lm = (uint8_t)nearest_int(inv_min * mins[j]);
		ls = MIN(63, ls);
		lm = MIN(63, lm);
		if (j < 4) {
			scales_out[j] = ls;
			scales_out[j + 4] = lm;
		} else {
			scales_out[j + 4] = (uint8_t)((ls & 0xf) | ((lm & 0xf) << 4));
			scales_out[j - 4] |= (uint8_t)((ls >> 4) << 6);
			scales_out[j] |= (uint8_t)((lm >> 4) << 6);
		}
	}
	*d_out = F2H(max_scale / 63.f);
	*dmin_out = F2H(max_min / 63.f);
	uint8_t sc, m;
	for (int j = 0; j < 8; j++) {
		get_scale_min_k4(j, scales_out, &sc, &m);
		const float d = H2F(*d_out) * sc;
		if (!d)
			continue;
		const float dm = H2F(*dmin_out) * m;
		for (int ii = 0; ii < 32; ii++) {
			int l = nearest_int((x[32 * j + ii] + dm) / d);
			L[32 * j + ii] = (uint8_t)MAX(0, MIN(nmax, l));
		}
	}
}

static void q4_K_row(const float *x, void *vy, int64_t n, int nstep)
{
	struct eng_block_q4_K *y = vy;
	uint8_t L[ENG_QK_K];
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		quantize_k_scales(x, L, y[i].scales, &y[i].d, &y[i].dmin, 15, -1.f, nstep);
		uint8_t *q = y[i].qs;
		for (int j = 0; j < ENG_QK_K; j += 64) {
			for (int l = 0; l < 32; l++)
				q[l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 4));
			q += 32;
		}
		x += ENG_QK_K;
	}
}

static void q5_K_row(const float *x, void *vy, int64_t n, int nstep)
{
	struct eng_block_q5_K *y = vy;
	uint8_t L[ENG_QK_K];
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		quantize_k_scales(x, L, y[i].scales, &y[i].d, &y[i].dmin, 31, -0.5f, nstep);
		uint8_t *qh = y[i].qh, *ql = y[i].qs;
		memset(qh, 0, ENG_QK_K / 8);
		uint8_t m1 = 1, m2 = 2;
		for (int k = 0; k < ENG_QK_K; k += 64) {
			for (int j = 0; j < 32; j++) {
				int l1 = L[k + j], l2 = L[k + j + 32];
				if (l1 > 15) {
					l1 -= 16;
					qh[j] |= m1;
				}
				if (l2 > 15) {
					l2 -= 16;
					qh[j] |= m2;
				}
				ql[j] = (uint8_t)(l1 | (l2 << 4));
			}
			m1 = (uint8_t)(m1 << 2);
			m2 = (uint8_t)(m2 << 2);
			ql += 32;
		}
		x += ENG_QK_K;
	}
}

static void q6_K_row(const float *x, void *vy, int64_t n, int search)
{
	struct eng_block_q6_K *y = vy;
	int8_t L[ENG_QK_K];
	float scales[ENG_QK_K / 16];
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		float max_scale = 0, max_abs_scale = 0;
		for (int ib = 0; ib < ENG_QK_K / 16; ib++) {
			const float scale = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib, search);
			scales[ib] = scale;
			const float abs_scale = fabsf(scale);
			if (abs_scale > max_abs_scale) {
				max_abs_scale = abs_scale;
				max_scale = scale;
			}
		}
		if (max_abs_scale < GROUP_MAX_EPS) {
			memset(&y[i], 0, sizeof y[i]);
			x += ENG_QK_K;
			continue;
		}
		float iscale = -128.f / max_scale;
		y[i].d = F2H(1 / iscale);
		for (int ib = 0; ib < ENG_QK_K / 16; ib++)
			y[i].scales[ib] = (int8_t)MIN(127, nearest_int(iscale * scales[ib]));
		for (int j = 0; j < ENG_QK_K / 16; j++) {
			float d = H2F(y[i].d) * y[i].scales[j];
			if (!d)
				continue;
			for (int ii = 0; ii < 16; ii++) {
				int l = nearest_int(x[16 * j + ii] / d);
				l = MAX(-32, MIN(31, l));
				L[16 * j + ii] = (int8_t)(l + 32);
			}
		}
		uint8_t *ql = y[i].ql, *qh = y[i].qh;
		for (int j = 0; j < ENG_QK_K; j += 128) {
			for (int l = 0; l < 32; l++) {
				const uint8_t q1 = L[j + l] & 0xf, q2 = L[j + l + 32] & 0xf;
				const uint8_t q3 = L[j + l + 64] & 0xf, q4 = L[j + l + 96] & 0xf;
				ql[l] = (uint8_t)(q1 | (q3 << 4));
				ql[l + 32] = (uint8_t)(q2 | (q4 << 4));
				qh[l] = (uint8_t)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) |
						  ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
			}
			ql += 64;
			qh += 32;
		}
		x += ENG_QK_K;
	}
}

static void q_q4_K(const float *x, void *y, int64_t n) { q4_K_row(x, y, n, 20); }
static void q_q5_K(const float *x, void *y, int64_t n) { q5_K_row(x, y, n, 15); }
static void q_q6_K(const float *x, void *y, int64_t n) { q6_K_row(x, y, n, 1); }

void eng_quantize_row_fast(uint32_t type, const float *x, void *y, int64_t n)
{
	switch (type) {
	case ENG_TYPE_Q4_K: q4_K_row(x, y, n, 0); break;
	case ENG_TYPE_Q5_K: q5_K_row(x, y, n, 0); break;
	case ENG_TYPE_Q6_K: q6_K_row(x, y, n, 0); break;
	default: {
		const struct eng_quant_traits *t = eng_quant_traits(type);
		if (t && t->quantize)
			t->quantize(x, y, n);
	}
	}
}

/* unpack the 8 6-bit scales and 8 6-bit mins of a Q4_K/Q5_K block */
static inline void unpack_k_scales(const uint8_t s[12], uint8_t sc[8], uint8_t mn[8])
{
	for (int j = 0; j < 8; j++)
		get_scale_min_k4(j, s, &sc[j], &mn[j]);
}

/* K-quant dots: exact integer sums per super-block, then
 *   sum += d_w * d_a * sum_j(scale_j * dot_j) - dmin_w * d_a * sum_j(min_j * bsum_j). */
static void dot_q4_K(int64_t n, float *s, const void *vx, const void *vy)
{
	const struct eng_block_q4_K *x = vx;
	const struct eng_block_q8_K *y = vy;
	float sumf = 0;
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		uint8_t sc[8], mn[8];
		unpack_k_scales(x[i].scales, sc, mn);
		int summ = 0;
		for (int j = 0; j < 16; j++)
			summ += y[i].bsums[j] * mn[j / 2];
		const uint8_t *q4 = x[i].qs;
		const int8_t *q8 = y[i].qs;
		int sumi = 0;
		for (int j = 0; j < 4; j++) {
			int s0 = 0, s1 = 0;
			for (int l = 0; l < 32; l++) {
				s0 += (q4[l] & 0xf) * q8[l];
				s1 += (q4[l] >> 4) * q8[l + 32];
			}
			sumi += s0 * sc[2 * j] + s1 * sc[2 * j + 1];
			q4 += 32;
			q8 += 64;
		}
		const float d = y[i].d * H2F(x[i].d);
		const float dmin = y[i].d * H2F(x[i].dmin);
		sumf += d * (float)sumi - dmin * (float)summ;
	}
	*s = sumf;
}

static void dot_q5_K(int64_t n, float *s, const void *vx, const void *vy)
{
	const struct eng_block_q5_K *x = vx;
	const struct eng_block_q8_K *y = vy;
	float sumf = 0;
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		uint8_t sc[8], mn[8];
		unpack_k_scales(x[i].scales, sc, mn);
		int summ = 0;
		for (int j = 0; j < 16; j++)
			summ += y[i].bsums[j] * mn[j / 2];
		const uint8_t *q5 = x[i].qs, *qh = x[i].qh;
		const int8_t *q8 = y[i].qs;
		int sumi = 0;
		for (int j = 0; j < 4; j++) {
			const uint8_t u1 = (uint8_t)(1u << (2 * j)), u2 = (uint8_t)(2u << (2 * j));
			int s0 = 0, s1 = 0;
			for (int l = 0; l < 32; l++) {
				s0 += ((q5[l] & 0xf) + (qh[l] & u1 ? 16 : 0)) * q8[l];
				s1 += ((q5[l] >> 4) + (qh[l] & u2 ? 16 : 0)) * q8[l + 32];
			}
			sumi += s0 * sc[2 * j] + s1 * sc[2 * j + 1];
			q5 += 32;
			q8 += 64;
		}
		const float d = y[i].d * H2F(x[i].d);
		const float dmin = y[i].d * H2F(x[i].dmin);
		sumf += d * (float)sumi - dmin * (float)summ;
	}
	*s = sumf;
}

static void dot_q6_K(int64_t n, float *s, const void *vx, const void *vy)
{
	const struct eng_block_q6_K *x = vx;
	const struct eng_block_q8_K *y = vy;
	float sumf = 0;
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		const uint8_t *ql = x[i].ql, *qh = x[i].qh;
		const int8_t *sc = x[i].scales, *q8 = y[i].qs;
		int sumi = 0;
		for (int k = 0; k < 2; k++) {
			int sub[8] = { 0 };  /* 16-element groups: q1 l<16, l>=16, q2 ..., as scales index */
			for (int l = 0; l < 32; l++) {
				const int is = l / 16;
				const int q1 = ((ql[l] & 0xf) | ((qh[l] >> 0) & 3) << 4) - 32;
				const int q2 = ((ql[l + 32] & 0xf) | ((qh[l] >> 2) & 3) << 4) - 32;
				const int q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
				const int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
				sub[is + 0] += q1 * q8[l];
				sub[is + 2] += q2 * q8[l + 32];
				sub[is + 4] += q3 * q8[l + 64];
				sub[is + 6] += q4 * q8[l + 96];
			}
			for (int j = 0; j < 8; j++)
				sumi += sub[j] * sc[j];
			ql += 64;
			qh += 32;
			sc += 8;
			q8 += 128;
		}
		sumf += (y[i].d * H2F(x[i].d)) * (float)sumi;
	}
	*s = sumf;
}

/* ---- the table ------------------------------------------------------------- */

#define ROW(T, NAME, BS, TS, Q, VDT, DEQ, QW, FF, DOT) \
	[T] = { .name = NAME, .type = T, .blck_size = BS, .type_size = TS, .is_quantized = Q, \
		.vec_dot_type = VDT, .dequantize = DEQ, .quantize = QW, .from_float = FF, .vec_dot = DOT }

static const struct eng_quant_traits ref_table[ENG_TYPE_COUNT] = {
	ROW(ENG_TYPE_F32, "F32", 1, 4, 0, ENG_TYPE_F32, deq_f32, q_f32, q_f32, dot_f32),
	ROW(ENG_TYPE_F16, "F16", 1, 2, 0, ENG_TYPE_F16, deq_f16, q_f16, q_f16, dot_f16),
	ROW(ENG_TYPE_BF16, "BF16", 1, 2, 0, ENG_TYPE_BF16, deq_bf16, q_bf16, q_bf16, dot_bf16),
	ROW(ENG_TYPE_Q4_0, "Q4_0", 32, sizeof(struct eng_block_q4_0), 1, ENG_TYPE_Q8_0, deq_q4_0, q_q4_0, NULL, dot_q4_0),
	ROW(ENG_TYPE_Q4_1, "Q4_1", 32, sizeof(struct eng_block_q4_1), 1, ENG_TYPE_Q8_1, deq_q4_1, q_q4_1, NULL, dot_q4_1),
	ROW(ENG_TYPE_Q5_0, "Q5_0", 32, sizeof(struct eng_block_q5_0), 1, ENG_TYPE_Q8_0, deq_q5_0, q_q5_0, NULL, dot_q5_0),
	ROW(ENG_TYPE_Q5_1, "Q5_1", 32, sizeof(struct eng_block_q5_1), 1, ENG_TYPE_Q8_1, deq_q5_1, q_q5_1, NULL, dot_q5_1),
	ROW(ENG_TYPE_Q8_0, "Q8_0", 32, sizeof(struct eng_block_q8_0), 1, ENG_TYPE_Q8_0, deq_q8_0, q_q8_0,
	    eng_quant_act_q8_0_ref, dot_q8_0),
	ROW(ENG_TYPE_Q8_1, "Q8_1", 32, sizeof(struct eng_block_q8_1), 1, ENG_TYPE_Q8_1, deq_q8_1,
	    eng_quant_act_q8_1_ref, eng_quant_act_q8_1_ref, NULL),
	ROW(ENG_TYPE_Q4_K, "Q4_K", 256, sizeof(struct eng_block_q4_K), 1, ENG_TYPE_Q8_K, deq_q4_K, q_q4_K, NULL, dot_q4_K),
	ROW(ENG_TYPE_Q5_K, "Q5_K", 256, sizeof(struct eng_block_q5_K), 1, ENG_TYPE_Q8_K, deq_q5_K, q_q5_K, NULL, dot_q5_K),
	ROW(ENG_TYPE_Q6_K, "Q6_K", 256, sizeof(struct eng_block_q6_K), 1, ENG_TYPE_Q8_K, deq_q6_K, q_q6_K, NULL, dot_q6_K),
	ROW(ENG_TYPE_Q8_K, "Q8_K", 256, sizeof(struct eng_block_q8_K), 1, ENG_TYPE_Q8_K, deq_q8_K, q_q8_K, q_q8_K, NULL),
};

/* One kernel set per SIMD level, each built once on first use: the
 * reference table with the SIMD kernels of that level (and the levels
 * below) swapped in. A level this CPU does not run gives the best one
 * below it. */
static struct eng_kernels sets[ENG_SIMD_COUNT];
static pthread_once_t set_once[ENG_SIMD_COUNT] = { PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT,
						   PTHREAD_ONCE_INIT };
static const char *const level_names[ENG_SIMD_COUNT] = { "scalar", "avx2", "avx2+vnni", "avx512" };

static void build_set(enum eng_simd level)
{
	struct eng_kernels *k = &sets[level];
	memcpy(k->t, ref_table, sizeof k->t);
	k->t[ENG_TYPE_F32].vec_dot_rows_prompt = rows_prompt_f32;
	k->t[ENG_TYPE_F16].vec_dot_rows_prompt = rows_prompt_f16;
	k->name = "scalar";
	k->level = ENG_SIMD_SCALAR;
	const char *name;
	if (level >= ENG_SIMD_AVX2 && (name = eng_quant_avx2_install(k->t, level >= ENG_SIMD_AVX2_VNNI)) != NULL) {
		k->name = name;
		k->level = strchr(name, '+') ? ENG_SIMD_AVX2_VNNI : ENG_SIMD_AVX2;
		if (level >= ENG_SIMD_AVX512 && (name = eng_quant_avx512_install(k->t)) != NULL) {
			k->name = name;
			k->level = ENG_SIMD_AVX512;
		}
	}
	for (int t = 0; t < ENG_TYPE_COUNT; t++)
		if (!k->t[t].vec_dot_rows_prompt)
			k->t[t].vec_dot_rows_prompt = k->t[t].vec_dot_rows;
}

static void once0(void) { build_set(ENG_SIMD_SCALAR); }
static void once1(void) { build_set(ENG_SIMD_AVX2); }
static void once2(void) { build_set(ENG_SIMD_AVX2_VNNI); }
static void once3(void) { build_set(ENG_SIMD_AVX512); }

const struct eng_kernels *eng_kernels(enum eng_simd level)
{
	static void (*const init[ENG_SIMD_COUNT])(void) = { once0, once1, once2, once3 };
	if ((int)level < 0 || level >= ENG_SIMD_COUNT)
		level = ENG_SIMD_BEST;
	pthread_once(&set_once[level], init[level]);
	return &sets[level];
}

enum eng_simd eng_simd_from_env(void)
{
	const char *cap = getenv("BRIEFING_ENGINE_SIMD");
	const char *off = getenv("BRIEFING_ENGINE_NO_SIMD");
	if (off && *off && strcmp(off, "0") != 0)
		return ENG_SIMD_SCALAR;
	if (cap)
		for (int l = 0; l < ENG_SIMD_COUNT; l++)
			if (strcmp(cap, level_names[l]) == 0)
				return (enum eng_simd)l;
	return ENG_SIMD_BEST;
}

int eng_simd_env_valid(const char **bad)
{
	const char *cap = getenv("BRIEFING_ENGINE_SIMD");
	*bad = cap;
	if (!cap || !*cap)
		return 1;
	for (int l = 0; l < ENG_SIMD_COUNT; l++)
		if (strcmp(cap, level_names[l]) == 0)
			return 1;
	return 0;
}

const struct eng_quant_traits *eng_quant_traits_ref(uint32_t type)
{
	if (type >= ENG_TYPE_COUNT || !ref_table[type].name)
		return NULL;
	return &ref_table[type];
}

const struct eng_quant_traits *eng_quant_traits(uint32_t type)
{
	if (type >= ENG_TYPE_COUNT || !ref_table[type].name)
		return NULL;
	return &eng_kernels(ENG_SIMD_BEST)->t[type];
}

const char *eng_quant_simd_name(void)
{
	return eng_kernels(eng_simd_from_env())->name;
}

/* every ggml type id with its name, for messages about types we refuse */
static const char *const all_names[ENG_TYPE_COUNT] = {
	[0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [4] = "Q4_2 (removed)",
	[5] = "Q4_3 (removed)", [6] = "Q5_0", [7] = "Q5_1", [8] = "Q8_0", [9] = "Q8_1",
	[10] = "Q2_K", [11] = "Q3_K", [12] = "Q4_K", [13] = "Q5_K", [14] = "Q6_K", [15] = "Q8_K",
	[16] = "IQ2_XXS", [17] = "IQ2_XS", [18] = "IQ3_XXS", [19] = "IQ1_S", [20] = "IQ4_NL",
	[21] = "IQ3_S", [22] = "IQ2_S", [23] = "IQ4_XS", [24] = "I8", [25] = "I16", [26] = "I32",
	[27] = "I64", [28] = "F64", [29] = "IQ1_M", [30] = "BF16", [31] = "Q4_0_4_4",
	[32] = "Q4_0_4_8", [33] = "Q4_0_8_8", [34] = "TQ1_0", [35] = "TQ2_0",
	[36] = "IQ4_NL_4_4", [37] = "IQ4_NL_4_8", [38] = "IQ4_NL_8_8",
};

const char *eng_type_name(uint32_t type)
{
	return type < ENG_TYPE_COUNT ? all_names[type] : NULL;
}

int eng_type_supported(uint32_t type)
{
	switch (type) {
	case ENG_TYPE_F32: case ENG_TYPE_F16: case ENG_TYPE_BF16:
	case ENG_TYPE_Q8_0: case ENG_TYPE_Q4_0: case ENG_TYPE_Q4_1:
	case ENG_TYPE_Q5_0: case ENG_TYPE_Q5_1:
	case ENG_TYPE_Q4_K: case ENG_TYPE_Q5_K: case ENG_TYPE_Q6_K:
		return 1;
	default:
		return 0;
	}
}

const char *eng_type_supported_list(void)
{
	return "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K";
}

size_t eng_type_row_bytes(uint32_t type, int64_t n)
{
	const struct eng_quant_traits *t = eng_quant_traits_ref(type);
	if (!t || n < 0 || n % t->blck_size)
		return 0;
	return (size_t)(n / t->blck_size) * t->type_size;
}
