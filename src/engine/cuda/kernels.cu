/* kernels.cu — the CUDA backend's kernels: activation quantisers, the
 * quantised matrix products (one warp per weight row, one lane per
 * 32-value chunk, integer dot products with __dp4a), dequantisation
 * (embedding rows), RMSNorm, RoPE, the KV cache, split-K attention with an
 * online softmax, SwiGLU and residual adds.
 *
 * Numerics follow the CPU backend (cpu/forward.c) wherever it costs
 * nothing: activation formats and rounding (RNE), each block's integer sum
 * and its float combination, RMSNorm's sum in double, RoPE with the CPU's
 * cos/sin table and fused products, Q rounded to f16 before K.Q. What
 * differs: the order in which block sums and attention terms are added,
 * expf for ggml's polynomial exp, and attention probabilities kept in f32
 * (the CPU rounds them to f16). No fast-math: divisions and square roots
 * are IEEE. */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <math.h>

#include "engine/cuda/cuda_int.h"

#define FULL 0xffffffffu

static __device__ __forceinline__ float h2f(const uint8_t *p)
{
	return __half2float(*(const __half *)p);
}

static __device__ __forceinline__ float warp_sum(float v)
{
	for (int o = 16; o > 0; o >>= 1)
		v += __shfl_xor_sync(FULL, v, o);
	return v;
}

static __device__ __forceinline__ float warp_max(float v)
{
	for (int o = 16; o > 0; o >>= 1)
		v = fmaxf(v, __shfl_xor_sync(FULL, v, o));
	return v;
}

/* nbytes (multiple of 4) from a 2-byte aligned pointer into words */
static __device__ __forceinline__ void ld2(const uint8_t *p, uint32_t *w, int nwords)
{
	const uint16_t *h = (const uint16_t *)p;
	for (int i = 0; i < nwords; i++)
		w[i] = (uint32_t)h[2 * i] | ((uint32_t)h[2 * i + 1] << 16);
}

/* 32 bytes from a 16-byte aligned pointer */
static __device__ __forceinline__ void ld16x2(const uint8_t *p, uint32_t *w)
{
	const uint4 a = *(const uint4 *)p, b = *(const uint4 *)(p + 16);
	w[0] = a.x; w[1] = a.y; w[2] = a.z; w[3] = a.w;
	w[4] = b.x; w[5] = b.y; w[6] = b.z; w[7] = b.w;
}

/* 4 bits (b0..b3) to bit 4 of each byte */
static __device__ __forceinline__ uint32_t spread4(uint32_t b)
{
	return ((b & 1u) << 4) | ((b & 2u) << 11) | ((b & 4u) << 18) | ((b & 8u) << 25);
}

static __device__ __forceinline__ void scale_min_k4(int j, const uint8_t *q, int *sc, int *m)
{
	if (j < 4) {
		*sc = q[j] & 63;
		*m = q[j + 4] & 63;
	} else {
		*sc = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
		*m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
	}
}

/* ---- one 32-value chunk of a quantised row ---------------------------------
 *
 * dec<T>(row, c, w, ci): the chunk's 32 values as signed bytes packed
 * little-endian into w[8] (value 4k+i in byte i of w[k]), and what its
 * block needs to scale them. Chunk c of a 32-value block type is block c;
 * of a K-quant, sub-block c % 8 of super-block c / 8. */
struct chunk {
	float d, dm;       /* block scale; min (Q4_1/Q5_1: m; K-quants: dmin) */
	int sa, sb, m;     /* K-quants: sub-block scale(s) and min; Q6_K: scale of values 0-15, 16-31 */
};

template <int T> struct qt;

template <> struct qt<ENG_TYPE_Q4_0> {
	static constexpr int BS = 32, TS = 18;
	static __device__ __forceinline__ void dec(const uint8_t *r, int c, uint32_t *w, chunk &ci)
	{
		const uint8_t *b = r + (size_t)c * TS;
		uint32_t q[4];
		ci.d = h2f(b);
		ld2(b + 2, q, 4);
		for (int k = 0; k < 4; k++) {
			w[k] = __vsub4(q[k] & 0x0f0f0f0fu, 0x08080808u);
			w[k + 4] = __vsub4((q[k] >> 4) & 0x0f0f0f0fu, 0x08080808u);
		}
	}
};

template <> struct qt<ENG_TYPE_Q4_1> {
	static constexpr int BS = 32, TS = 20;
	static __device__ __forceinline__ void dec(const uint8_t *r, int c, uint32_t *w, chunk &ci)
	{
		const uint8_t *b = r + (size_t)c * TS;
		uint32_t q[4];
		ci.d = h2f(b);
		ci.dm = h2f(b + 2);
		ld2(b + 4, q, 4);
		for (int k = 0; k < 4; k++) {
			w[k] = q[k] & 0x0f0f0f0fu;
			w[k + 4] = (q[k] >> 4) & 0x0f0f0f0fu;
		}
	}
};

template <> struct qt<ENG_TYPE_Q5_0> {
	static constexpr int BS = 32, TS = 22;
	static __device__ __forceinline__ void dec(const uint8_t *r, int c, uint32_t *w, chunk &ci)
	{
		const uint8_t *b = r + (size_t)c * TS;
		uint32_t q[4], qh[1];
		ci.d = h2f(b);
		ld2(b + 2, qh, 1);
		ld2(b + 6, q, 4);
		for (int k = 0; k < 4; k++) {
			w[k] = __vsub4((q[k] & 0x0f0f0f0fu) | spread4((qh[0] >> (4 * k)) & 15u), 0x10101010u);
			w[k + 4] = __vsub4(((q[k] >> 4) & 0x0f0f0f0fu) | spread4((qh[0] >> (16 + 4 * k)) & 15u),
					   0x10101010u);
		}
	}
};

template <> struct qt<ENG_TYPE_Q5_1> {
	static constexpr int BS = 32, TS = 24;
	static __device__ __forceinline__ void dec(const uint8_t *r, int c, uint32_t *w, chunk &ci)
	{
		const uint8_t *b = r + (size_t)c * TS;
		uint32_t q[4], qh[1];
		ci.d = h2f(b);
		ci.dm = h2f(b + 2);
		ld2(b + 4, qh, 1);
		ld2(b + 8, q, 4);
		for (int k = 0; k < 4; k++) {
			w[k] = (q[k] & 0x0f0f0f0fu) | spread4((qh[0] >> (4 * k)) & 15u);
			w[k + 4] = ((q[k] >> 4) & 0x0f0f0f0fu) | spread4((qh[0] >> (16 + 4 * k)) & 15u);
		}
	}
};

template <> struct qt<ENG_TYPE_Q8_0> {
	static constexpr int BS = 32, TS = 34;
	static __device__ __forceinline__ void dec(const uint8_t *r, int c, uint32_t *w, chunk &ci)
	{
		const uint8_t *b = r + (size_t)c * TS;
		ci.d = h2f(b);
		ld2(b + 2, w, 8);
	}
};

template <> struct qt<ENG_TYPE_Q4_K> {
	static constexpr int BS = 256, TS = 144;
	static __device__ __forceinline__ void dec(const uint8_t *r, int c, uint32_t *w, chunk &ci)
	{
		const uint8_t *b = r + (size_t)(c >> 3) * TS;
		const int j = c & 7, g = j >> 1, sh = (j & 1) * 4;
		uint32_t q[8];
		ci.d = h2f(b);
		ci.dm = h2f(b + 2);
		scale_min_k4(j, b + 4, &ci.sa, &ci.m);
		ci.sb = ci.sa;
		ld16x2(b + 16 + 32 * g, q);
		for (int k = 0; k < 8; k++)
			w[k] = (q[k] >> sh) & 0x0f0f0f0fu;
	}
};

template <> struct qt<ENG_TYPE_Q5_K> {
	static constexpr int BS = 256, TS = 176;
	static __device__ __forceinline__ void dec(const uint8_t *r, int c, uint32_t *w, chunk &ci)
	{
		const uint8_t *b = r + (size_t)(c >> 3) * TS;
		const int j = c & 7, g = j >> 1, sh = (j & 1) * 4;
		uint32_t q[8], h[8];
		ci.d = h2f(b);
		ci.dm = h2f(b + 2);
		scale_min_k4(j, b + 4, &ci.sa, &ci.m);
		ci.sb = ci.sa;
		ld16x2(b + 16, h);
		ld16x2(b + 48 + 32 * g, q);
		for (int k = 0; k < 8; k++)
			w[k] = ((q[k] >> sh) & 0x0f0f0f0fu) | (((h[k] >> j) & 0x01010101u) << 4);
	}
};

template <> struct qt<ENG_TYPE_Q6_K> {
	static constexpr int BS = 256, TS = 210;
	static __device__ __forceinline__ void dec(const uint8_t *r, int c, uint32_t *w, chunk &ci)
	{
		const uint8_t *b = r + (size_t)(c >> 3) * TS;
		const int j = c & 7, k = j >> 2, rr = j & 3;
		const int ns = (rr >> 1) * 4, hs = 2 * rr;
		uint32_t ql[8], qh[8];
		ld2(b + 64 * k + 32 * (rr & 1), ql, 8);
		ld2(b + 128 + 32 * k, qh, 8);
		const int8_t *sc = (const int8_t *)(b + 192);
		ci.sa = sc[8 * k + 2 * rr];
		ci.sb = sc[8 * k + 2 * rr + 1];
		ci.d = h2f(b + 208);
		for (int i = 0; i < 8; i++)
			w[i] = __vsub4(((ql[i] >> ns) & 0x0f0f0f0fu) | (((qh[i] >> hs) & 0x03030303u) << 4),
				       0x20202020u);
	}
};

/* ---- activation quantisers ------------------------------------------------- */

/* Q8_0 / Q8_1: one warp per 32-value chunk, lane = value. grid (n, K/32 / 8), block 256 */
__global__ void k_act_q8(const float *x, int K, int ldx, int8_t *q, float *d, float *s, int kmax,
			 int with_sum)
{
	const int t = blockIdx.x, c = blockIdx.y * 8 + threadIdx.x / 32, lane = threadIdx.x & 31;
	if (c * 32 >= K)
		return;
	const float v = x[(size_t)t * ldx + c * 32 + lane];
	const float amax = warp_max(fabsf(v));
	const float dd = amax / 127.f;
	const float id = amax != 0.0f ? 127.f / amax : 0.0f;
	const int qi = __float2int_rn(__fmul_rn(v, id));
	q[(size_t)t * kmax + c * 32 + lane] = (int8_t)qi;
	int sum = qi;
	for (int o = 16; o > 0; o >>= 1)
		sum += __shfl_xor_sync(FULL, sum, o);
	if (lane == 0) {
		d[(size_t)t * (kmax / 32) + c] = __half2float(__float2half_rn(dd));
		if (with_sum)
			s[(size_t)t * (kmax / 32) + c] = __half2float(__float2half_rn(__fmul_rn(dd, (float)sum)));
	}
}

/* Q8_K: one warp per 256-value block, 8 values a lane. grid (n, K/256 / 8), block 256 */
__global__ void k_act_q8k(const float *x, int K, int ldx, int8_t *q, float *d, float *s, int kmax)
{
	const int t = blockIdx.x, b = blockIdx.y * 8 + threadIdx.x / 32, lane = threadIdx.x & 31;
	if (b * 256 >= K)
		return;
	const float *xb = x + (size_t)t * ldx + b * 256;
	/* the first value of the largest magnitude, as the CPU's loop finds it */
	float amax = 0.0f;
	int imax = 1 << 30;
	for (int i = 0; i < 8; i++) {
		const int idx = lane * 8 + i;
		const float ax = fabsf(xb[idx]);
		if (ax > amax) {
			amax = ax;
			imax = idx;
		}
	}
	for (int o = 16; o > 0; o >>= 1) {
		const float oa = __shfl_xor_sync(FULL, amax, o);
		const int oi = __shfl_xor_sync(FULL, imax, o);
		if (oa > amax || (oa == amax && oi < imax)) {
			amax = oa;
			imax = oi;
		}
	}
	int8_t *qb = q + (size_t)t * kmax + b * 256;
	float *db = d + (size_t)t * (kmax / 32) + b * 8;
	float *sb = s + (size_t)t * (kmax / 32) + b * 8;
	if (amax == 0.0f) {
		for (int i = 0; i < 8; i++)
			qb[lane * 8 + i] = 0;
		if (lane < 8) {
			db[lane] = 0.0f;
			sb[lane] = 0.0f;
		}
		return;
	}
	const float iscale = -127.f / xb[imax];
	int sum = 0;
	for (int i = 0; i < 8; i++) {
		int v = __float2int_rn(__fmul_rn(iscale, xb[lane * 8 + i]));
		v = v < 127 ? v : 127;
		qb[lane * 8 + i] = (int8_t)v;
		sum += v;
	}
	/* the sum of each 32-value chunk (4 lanes), for the K-quants' mins */
	sum += __shfl_xor_sync(FULL, sum, 1);
	sum += __shfl_xor_sync(FULL, sum, 2);
	if ((lane & 3) == 0)
		sb[lane / 4] = (float)sum;
	if (lane < 8)
		db[lane] = 1.0f / iscale;
}

/* F32 / F16 / BF16 weights: the activation rounded to the weight's float type */
__global__ void k_act_f(const float *x, int K, int ldx, float *f, int kmax, int type)
{
	const int t = blockIdx.y;
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < K; i += gridDim.x * blockDim.x) {
		float v = x[(size_t)t * ldx + i];
		if (type == ENG_TYPE_F16)
			v = __half2float(__float2half_rn(v));
		else if (type == ENG_TYPE_BF16)
			v = __bfloat162float(__float2bfloat16_rn(v));
		f[(size_t)t * kmax + i] = v;
	}
}

static int act_kind(int wtype)
{
	switch (wtype) {
	case ENG_TYPE_Q4_0: case ENG_TYPE_Q5_0: case ENG_TYPE_Q8_0:
		return ENG_TYPE_Q8_0;
	case ENG_TYPE_Q4_1: case ENG_TYPE_Q5_1:
		return ENG_TYPE_Q8_1;
	case ENG_TYPE_Q4_K: case ENG_TYPE_Q5_K: case ENG_TYPE_Q6_K:
		return ENG_TYPE_Q8_K;
	default:
		return wtype;   /* F32, F16, BF16: floats */
	}
}

void cu_act_quant(struct cu_act *a, int wtype, const float *x, int n, int K, int ldx, cudaStream_t st)
{
	const int kind = act_kind(wtype);
	/* the same source in the same format is reused (Q, K and V share one) */
	if (a->src == x && a->rows == n && a->type >= 0 && act_kind(a->type) == kind &&
	    (kind != wtype ? 1 : a->type == wtype))
		return;
	if (kind == ENG_TYPE_Q8_0 || kind == ENG_TYPE_Q8_1) {
		dim3 g(n, (K / 32 + 7) / 8);
		k_act_q8<<<g, 256, 0, st>>>(x, K, ldx, a->q, a->d, a->s, a->kmax, kind == ENG_TYPE_Q8_1);
	} else if (kind == ENG_TYPE_Q8_K) {
		dim3 g(n, (K / 256 + 7) / 8);
		k_act_q8k<<<g, 256, 0, st>>>(x, K, ldx, a->q, a->d, a->s, a->kmax);
	} else {
		dim3 g((K + 255) / 256, n);
		k_act_f<<<g, 256, 0, st>>>(x, K, ldx, a->f, a->kmax, wtype);
	}
	a->src = x;
	a->rows = n;
	a->type = wtype;
}

/* ---- matrix products -------------------------------------------------------
 *
 * The hot loop. One warp per weight row; lane l takes chunks l, l + 32, ...
 * of the row, unpacks each once and runs it against NT tokens. The rows
 * are read once per NT tokens (grid.y covers the rest). */

struct mm_args {
	const uint8_t *w;
	size_t row_bytes;
	int K, R;
	const int8_t *aq;
	const float *ad, *as, *af;
	int kmax;
	int n;
	float *out;
	int ldo;
};

template <int T, int NT>
__global__ void __launch_bounds__(256) k_mm_q(mm_args p)
{
	const int row = blockIdx.x * 8 + threadIdx.x / 32, lane = threadIdx.x & 31;
	const int t0 = blockIdx.y * NT;
	if (row >= p.R)
		return;   /* the whole warp */
	const uint8_t *wr = p.w + (size_t)row * p.row_bytes;
	const int nc = p.K / 32, kc = p.kmax / 32;
	float acc[NT];
	for (int t = 0; t < NT; t++)
		acc[t] = 0.0f;
	for (int c0 = 0; c0 < nc; c0 += 32) {
		const int c = c0 + lane;
		const bool ok = c < nc;
		uint32_t w[8];
		chunk ci = { 0.0f, 0.0f, 0, 0, 0 };
		if (ok)
			qt<T>::dec(wr, c, w, ci);
		if (!ok)
			continue;   /* no shuffles below: lanes may leave early */
		/* K-quants: each chunk's integers in float on its own lane (the CPU
		 * adds a super-block's integers first; the difference is the order
		 * of float additions, as between blocks) */
		const float dw = ci.d, dm = ci.dm;
		const float fsa = (float)ci.sa, fsb = (float)ci.sb, fm = (float)ci.m;
#pragma unroll
		for (int t = 0; t < NT; t++) {
			const int tt = t0 + t < p.n ? t0 + t : p.n - 1;
			const int4 *ap = (const int4 *)(p.aq + (size_t)tt * p.kmax + (size_t)c * 32);
			const int4 a0 = ap[0], a1 = ap[1];
			int lo = 0, hi = 0;
			lo = __dp4a((int)w[0], a0.x, lo);
			lo = __dp4a((int)w[1], a0.y, lo);
			lo = __dp4a((int)w[2], a0.z, lo);
			lo = __dp4a((int)w[3], a0.w, lo);
			hi = __dp4a((int)w[4], a1.x, hi);
			hi = __dp4a((int)w[5], a1.y, hi);
			hi = __dp4a((int)w[6], a1.z, hi);
			hi = __dp4a((int)w[7], a1.w, hi);
			const float ad = p.ad[(size_t)tt * kc + c];
			if (T == ENG_TYPE_Q4_K || T == ENG_TYPE_Q5_K) {
				const float qs = p.as[(size_t)tt * kc + c];
				acc[t] += (ad * dw) * (fsa * (float)(lo + hi)) - (ad * dm) * (fm * qs);
			} else if (T == ENG_TYPE_Q6_K) {
				acc[t] += (ad * dw) * (fsa * (float)lo + fsb * (float)hi);
			} else if (T == ENG_TYPE_Q4_1 || T == ENG_TYPE_Q5_1) {
				acc[t] += (dw * ad) * (float)(lo + hi) + dm * p.as[(size_t)tt * kc + c];
			} else {
				acc[t] += (float)(lo + hi) * (dw * ad);
			}
		}
	}
	for (int t = 0; t < NT; t++) {
		const float v = warp_sum(acc[t]);
		if (lane == 0 && t0 + t < p.n)
			p.out[(size_t)(t0 + t) * p.ldo + row] = v;
	}
}

/* Prompts (16 or more tokens): each warp takes RB rows, so every
 * activation chunk it loads serves RB rows. Each (row, token) is summed
 * exactly as in k_mm_q (the same chunks per lane, in the same order, then
 * the same warp sum), so results do not depend on which kernel ran. */
#define RB 4
template <int T, int NT>
__global__ void __launch_bounds__(128) k_mm_q_rows(mm_args p)
{
	const int row0 = (blockIdx.x * 4 + threadIdx.x / 32) * RB, lane = threadIdx.x & 31;
	const int t0 = blockIdx.y * NT;
	if (row0 >= p.R)
		return;   /* the whole warp */
	const int nc = p.K / 32, kc = p.kmax / 32;
	float acc[RB][NT];
#pragma unroll
	for (int r = 0; r < RB; r++)
#pragma unroll
		for (int t = 0; t < NT; t++)
			acc[r][t] = 0.0f;
	for (int c0 = 0; c0 < nc; c0 += 32) {
		const int c = c0 + lane;
		if (c >= nc)
			continue;
		uint32_t w[RB][8];
		float dw[RB], dm[RB], fsa[RB], fsb[RB], fm[RB];
#pragma unroll
		for (int r = 0; r < RB; r++) {
			const int row = row0 + r < p.R ? row0 + r : p.R - 1;
			chunk ci = { 0.0f, 0.0f, 0, 0, 0 };
			qt<T>::dec(p.w + (size_t)row * p.row_bytes, c, w[r], ci);
			dw[r] = ci.d;
			dm[r] = ci.dm;
			fsa[r] = (float)ci.sa;
			fsb[r] = (float)ci.sb;
			fm[r] = (float)ci.m;
		}
#pragma unroll
		for (int t = 0; t < NT; t++) {
			const int tt = t0 + t < p.n ? t0 + t : p.n - 1;
			const int4 *ap = (const int4 *)(p.aq + (size_t)tt * p.kmax + (size_t)c * 32);
			const int4 a0 = ap[0], a1 = ap[1];
			const float ad = p.ad[(size_t)tt * kc + c];
			const float as = (T == ENG_TYPE_Q4_K || T == ENG_TYPE_Q5_K || T == ENG_TYPE_Q4_1 ||
					  T == ENG_TYPE_Q5_1) ? p.as[(size_t)tt * kc + c] : 0.0f;
#pragma unroll
			for (int r = 0; r < RB; r++) {
				int lo = 0, hi = 0;
				lo = __dp4a((int)w[r][0], a0.x, lo);
				lo = __dp4a((int)w[r][1], a0.y, lo);
				lo = __dp4a((int)w[r][2], a0.z, lo);
				lo = __dp4a((int)w[r][3], a0.w, lo);
				hi = __dp4a((int)w[r][4], a1.x, hi);
				hi = __dp4a((int)w[r][5], a1.y, hi);
				hi = __dp4a((int)w[r][6], a1.z, hi);
				hi = __dp4a((int)w[r][7], a1.w, hi);
				if (T == ENG_TYPE_Q4_K || T == ENG_TYPE_Q5_K)
					acc[r][t] += (ad * dw[r]) * (fsa[r] * (float)(lo + hi)) - (ad * dm[r]) * (fm[r] * as);
				else if (T == ENG_TYPE_Q6_K)
					acc[r][t] += (ad * dw[r]) * (fsa[r] * (float)lo + fsb[r] * (float)hi);
				else if (T == ENG_TYPE_Q4_1 || T == ENG_TYPE_Q5_1)
					acc[r][t] += (dw[r] * ad) * (float)(lo + hi) + dm[r] * as;
				else
					acc[r][t] += (float)(lo + hi) * (dw[r] * ad);
			}
		}
	}
#pragma unroll
	for (int r = 0; r < RB; r++)
#pragma unroll
		for (int t = 0; t < NT; t++) {
			const float v = warp_sum(acc[r][t]);
			if (lane == 0 && t0 + t < p.n && row0 + r < p.R)
				p.out[(size_t)(t0 + t) * p.ldo + row0 + r] = v;
		}
}

template <int T>
static __device__ __forceinline__ float ldw(const uint8_t *r, int i)
{
	if (T == ENG_TYPE_F32)
		return ((const float *)r)[i];
	if (T == ENG_TYPE_F16)
		return __half2float(((const __half *)r)[i]);
	return __bfloat162float(((const __nv_bfloat16 *)r)[i]);
}

template <int T, int NT>
__global__ void __launch_bounds__(256) k_mm_f(mm_args p)
{
	const int row = blockIdx.x * 8 + threadIdx.x / 32, lane = threadIdx.x & 31;
	const int t0 = blockIdx.y * NT;
	if (row >= p.R)
		return;
	const uint8_t *wr = p.w + (size_t)row * p.row_bytes;
	float acc[NT];
	for (int t = 0; t < NT; t++)
		acc[t] = 0.0f;
	for (int i = lane; i < p.K; i += 32) {
		const float wv = ldw<T>(wr, i);
		for (int t = 0; t < NT; t++) {
			const int tt = t0 + t < p.n ? t0 + t : p.n - 1;
			acc[t] = fmaf(wv, p.af[(size_t)tt * p.kmax + i], acc[t]);
		}
	}
	for (int t = 0; t < NT; t++) {
		const float v = warp_sum(acc[t]);
		if (lane == 0 && t0 + t < p.n)
			p.out[(size_t)(t0 + t) * p.ldo + row] = v;
	}
}

template <int NT>
static void mm_launch(int type, const mm_args &p, cudaStream_t st)
{
	dim3 g((p.R + 7) / 8, (p.n + NT - 1) / NT);
	switch (type) {
	case ENG_TYPE_Q4_0: k_mm_q<ENG_TYPE_Q4_0, NT><<<g, 256, 0, st>>>(p); break;
	case ENG_TYPE_Q4_1: k_mm_q<ENG_TYPE_Q4_1, NT><<<g, 256, 0, st>>>(p); break;
	case ENG_TYPE_Q5_0: k_mm_q<ENG_TYPE_Q5_0, NT><<<g, 256, 0, st>>>(p); break;
	case ENG_TYPE_Q5_1: k_mm_q<ENG_TYPE_Q5_1, NT><<<g, 256, 0, st>>>(p); break;
	case ENG_TYPE_Q8_0: k_mm_q<ENG_TYPE_Q8_0, NT><<<g, 256, 0, st>>>(p); break;
	case ENG_TYPE_Q4_K: k_mm_q<ENG_TYPE_Q4_K, NT><<<g, 256, 0, st>>>(p); break;
	case ENG_TYPE_Q5_K: k_mm_q<ENG_TYPE_Q5_K, NT><<<g, 256, 0, st>>>(p); break;
	case ENG_TYPE_Q6_K: k_mm_q<ENG_TYPE_Q6_K, NT><<<g, 256, 0, st>>>(p); break;
	case ENG_TYPE_F32: k_mm_f<ENG_TYPE_F32, NT><<<g, 256, 0, st>>>(p); break;
	case ENG_TYPE_F16: k_mm_f<ENG_TYPE_F16, NT><<<g, 256, 0, st>>>(p); break;
	case ENG_TYPE_BF16: k_mm_f<ENG_TYPE_BF16, NT><<<g, 256, 0, st>>>(p); break;
	default: break;
	}
}

template <int NT>
static void mm_rows_launch(int type, const mm_args &p, cudaStream_t st)
{
	dim3 g((p.R + 4 * RB - 1) / (4 * RB), (p.n + NT - 1) / NT);
	switch (type) {
	case ENG_TYPE_Q4_0: k_mm_q_rows<ENG_TYPE_Q4_0, NT><<<g, 128, 0, st>>>(p); break;
	case ENG_TYPE_Q4_1: k_mm_q_rows<ENG_TYPE_Q4_1, NT><<<g, 128, 0, st>>>(p); break;
	case ENG_TYPE_Q5_0: k_mm_q_rows<ENG_TYPE_Q5_0, NT><<<g, 128, 0, st>>>(p); break;
	case ENG_TYPE_Q5_1: k_mm_q_rows<ENG_TYPE_Q5_1, NT><<<g, 128, 0, st>>>(p); break;
	case ENG_TYPE_Q8_0: k_mm_q_rows<ENG_TYPE_Q8_0, NT><<<g, 128, 0, st>>>(p); break;
	case ENG_TYPE_Q4_K: k_mm_q_rows<ENG_TYPE_Q4_K, NT><<<g, 128, 0, st>>>(p); break;
	case ENG_TYPE_Q5_K: k_mm_q_rows<ENG_TYPE_Q5_K, NT><<<g, 128, 0, st>>>(p); break;
	case ENG_TYPE_Q6_K: k_mm_q_rows<ENG_TYPE_Q6_K, NT><<<g, 128, 0, st>>>(p); break;
	default: break;
	}
}

void cu_matmul(const struct cu_mat *w, const struct cu_act *a, int n, float *out, int ldo, int mode,
	       cudaStream_t st)
{
	mm_args p;
	p.w = w->data;
	p.row_bytes = w->row_bytes;
	p.K = (int)w->ne0;
	p.R = (int)w->ne1;
	p.aq = a->q;
	p.ad = a->d;
	p.as = a->s;
	p.af = a->f;
	p.kmax = a->kmax;
	p.n = n;
	p.out = out;
	p.ldo = ldo;
	if (n <= 1)
		mm_launch<1>(w->type, p, st);
	else if (n <= 2)
		mm_launch<2>(w->type, p, st);
	else if (n <= 4)
		mm_launch<4>(w->type, p, st);
	else if (n <= 8)
		mm_launch<8>(w->type, p, st);
	else if (w->type == ENG_TYPE_F32 || w->type == ENG_TYPE_F16 || w->type == ENG_TYPE_BF16 ||
		 mode == CU_MM_WARP)
		mm_launch<16>(w->type, p, st);
	else if (mode == CU_MM_ROWS16)
		mm_rows_launch<16>(w->type, p, st);
	else
		mm_rows_launch<8>(w->type, p, st);
}

/* ---- dequantisation (embedding rows) --------------------------------------- */

template <int T>
__global__ void k_deq_q(const uint8_t *rows, size_t row_bytes, int K, float *x)
{
	const int t = blockIdx.y;
	const int c = blockIdx.x * blockDim.x + threadIdx.x;
	if (c >= K / 32)
		return;
	uint32_t w[8];
	chunk ci = { 0.0f, 0.0f, 0, 0, 0 };
	qt<T>::dec(rows + (size_t)t * row_bytes, c, w, ci);
	float *y = x + (size_t)t * K + (size_t)c * 32;
	for (int i = 0; i < 32; i++) {
		const int q = (int)(int8_t)(w[i / 4] >> (8 * (i % 4)));
		float v;
		if (T == ENG_TYPE_Q4_K || T == ENG_TYPE_Q5_K)
			v = __fsub_rn(__fmul_rn(__fmul_rn(ci.d, (float)ci.sa), (float)q),
				      __fmul_rn(ci.dm, (float)ci.m));
		else if (T == ENG_TYPE_Q6_K)
			v = __fmul_rn(__fmul_rn(ci.d, (float)(i < 16 ? ci.sa : ci.sb)), (float)q);
		else if (T == ENG_TYPE_Q4_1 || T == ENG_TYPE_Q5_1)
			v = __fadd_rn(__fmul_rn((float)q, ci.d), ci.dm);
		else
			v = __fmul_rn((float)q, ci.d);
		y[i] = v;
	}
}

template <int T>
__global__ void k_deq_f(const uint8_t *rows, size_t row_bytes, int K, float *x)
{
	const int t = blockIdx.y;
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < K; i += gridDim.x * blockDim.x)
		x[(size_t)t * K + i] = ldw<T>(rows + (size_t)t * row_bytes, i);
}

void cu_dequant_rows(int type, const uint8_t *rows, size_t row_bytes, int n, int K, float *x,
		     cudaStream_t st)
{
	dim3 gq((K / 32 + 63) / 64, n), gf((K + 255) / 256, n);
	switch (type) {
	case ENG_TYPE_Q4_0: k_deq_q<ENG_TYPE_Q4_0><<<gq, 64, 0, st>>>(rows, row_bytes, K, x); break;
	case ENG_TYPE_Q4_1: k_deq_q<ENG_TYPE_Q4_1><<<gq, 64, 0, st>>>(rows, row_bytes, K, x); break;
	case ENG_TYPE_Q5_0: k_deq_q<ENG_TYPE_Q5_0><<<gq, 64, 0, st>>>(rows, row_bytes, K, x); break;
	case ENG_TYPE_Q5_1: k_deq_q<ENG_TYPE_Q5_1><<<gq, 64, 0, st>>>(rows, row_bytes, K, x); break;
	case ENG_TYPE_Q8_0: k_deq_q<ENG_TYPE_Q8_0><<<gq, 64, 0, st>>>(rows, row_bytes, K, x); break;
	case ENG_TYPE_Q4_K: k_deq_q<ENG_TYPE_Q4_K><<<gq, 64, 0, st>>>(rows, row_bytes, K, x); break;
	case ENG_TYPE_Q5_K: k_deq_q<ENG_TYPE_Q5_K><<<gq, 64, 0, st>>>(rows, row_bytes, K, x); break;
	case ENG_TYPE_Q6_K: k_deq_q<ENG_TYPE_Q6_K><<<gq, 64, 0, st>>>(rows, row_bytes, K, x); break;
	case ENG_TYPE_F32: k_deq_f<ENG_TYPE_F32><<<gf, 256, 0, st>>>(rows, row_bytes, K, x); break;
	case ENG_TYPE_F16: k_deq_f<ENG_TYPE_F16><<<gf, 256, 0, st>>>(rows, row_bytes, K, x); break;
	case ENG_TYPE_BF16: k_deq_f<ENG_TYPE_BF16><<<gf, 256, 0, st>>>(rows, row_bytes, K, x); break;
	default: break;
	}
}

/* ---- RMSNorm ---------------------------------------------------------------- */

__global__ void k_rmsnorm(float *y, const float *x, const float *w, const int *idx, int E, float eps)
{
	__shared__ double part[32];
	const int t = blockIdx.x;
	const float *xr = x + (size_t)(idx ? idx[t] : t) * E;
	double sum = 0.0;
	for (int i = threadIdx.x; i < E; i += blockDim.x)
		sum += (double)__fmul_rn(xr[i], xr[i]);
	for (int o = 16; o > 0; o >>= 1)
		sum += __shfl_xor_sync(FULL, sum, o);
	if ((threadIdx.x & 31) == 0)
		part[threadIdx.x / 32] = sum;
	__syncthreads();
	if (threadIdx.x < 32) {
		sum = threadIdx.x < blockDim.x / 32 ? part[threadIdx.x] : 0.0;
		for (int o = 16; o > 0; o >>= 1)
			sum += __shfl_xor_sync(FULL, sum, o);
		if (threadIdx.x == 0)
			part[0] = sum;
	}
	__syncthreads();
	const float mean = (float)(part[0] / E);
	const float scale = 1.0f / sqrtf(__fadd_rn(mean, eps));
	for (int i = threadIdx.x; i < E; i += blockDim.x)
		y[(size_t)t * E + i] = __fmul_rn(__fmul_rn(xr[i], scale), w[i]);
}

void cu_rmsnorm(float *y, const float *x, const float *w, const int *idx, int n, int E, float eps,
		cudaStream_t st)
{
	if (n > 0)
		k_rmsnorm<<<n, 256, 0, st>>>(y, x, w, idx, E, eps);
}

/* ---- RoPE ------------------------------------------------------------------- */

__global__ void k_rope(float *q, float *k, const float *rope, int n_head, int n_kv, int hd, int n_rot,
		       int neox)
{
	const int t = blockIdx.x, half = n_rot / 2;
	const float *rc = rope + (size_t)t * n_rot;
	for (int i = threadIdx.x; i < (n_head + n_kv) * half; i += blockDim.x) {
		const int h = i / half, p = i % half;
		float *x = h < n_head ? q + ((size_t)t * n_head + h) * hd
				      : k + ((size_t)t * n_kv + (h - n_head)) * hd;
		const float c0 = rc[2 * p], s0 = rc[2 * p + 1];
		const int a = neox ? p : 2 * p, b = neox ? p + half : 2 * p + 1;
		const float x0 = x[a], x1 = x[b];
		x[a] = __fmaf_rn(x0, c0, -__fmul_rn(x1, s0));
		x[b] = __fmaf_rn(x0, s0, __fmul_rn(x1, c0));
	}
}

void cu_rope(float *q, float *k, const float *rope, int n, int n_head, int n_kv, int hd, int n_rot,
	     int neox, cudaStream_t st)
{
	if (n > 0)
		k_rope<<<n, 256, 0, st>>>(q, k, rope, n_head, n_kv, hd, n_rot, neox);
}

/* ---- KV cache: [layer][seq][pos][kvd] --------------------------------------- */

__global__ void k_kv_store(void *kc, void *vc, const float *k, const float *v, const int *seq,
			   const int *pos, int kvd, int n_ctx, int n_seq, int il, int kv_f32)
{
	const int t = blockIdx.y;
	const size_t off = (((size_t)il * n_seq + seq[t]) * n_ctx + pos[t]) * kvd;
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < kvd; i += gridDim.x * blockDim.x) {
		const float kv = k[(size_t)t * kvd + i], vv = v[(size_t)t * kvd + i];
		if (kv_f32) {
			((float *)kc)[off + i] = kv;
			((float *)vc)[off + i] = vv;
		} else {
			((__half *)kc)[off + i] = __float2half_rn(kv);
			((__half *)vc)[off + i] = __float2half_rn(vv);
		}
	}
}

void cu_kv_store(void *kc, void *vc, const float *k, const float *v, const int *seq, const int *pos,
		 int n, int kvd, int n_ctx, int n_seq, int il, int kv_f32, cudaStream_t st)
{
	if (n <= 0)
		return;
	dim3 g((kvd + 255) / 256, n);
	k_kv_store<<<g, 256, 0, st>>>(kc, vc, k, v, seq, pos, kvd, n_ctx, n_seq, il, kv_f32);
}

#define ATT_WARPS 4
#define ATT_MAXE 8   /* head_dim / 32 */

/* ---- ggml's exp ---------------------------------------------------------------
 *
 * The CPU backend computes softmax and SiLU with ggml's polynomial exp
 * (cpu/forward.c, EXP_BODY); the same operations here, each rounded once,
 * give the same bits. */
static __device__ __forceinline__ float ggml_expf(float x)
{
	const float r = 0x1.8p23f;
	const float z = __fmaf_rn(x, 0x1.715476p+0f, r);
	const float n = __fsub_rn(z, r);
	if (!(fabsf(n) <= 192.0f))
		return n <= 0.0f ? 0.0f : INFINITY;
	const float b = __fmaf_rn(-n, 0x1.7f7d1cp-20f, __fmaf_rn(-n, 0x1.62e4p-1f, x));
	const float u = __fmul_rn(b, b);
	const float j = __fmaf_rn(__fmaf_rn(__fmaf_rn(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
					   __fmaf_rn(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
				 u, __fmaf_rn(0x1.ffffecp-1f, b, 1.0f));
	const int ni = (int)n;
	if (ni >= -126 && ni <= 127)
		return __fmul_rn(j, __int_as_float((ni + 127) << 23));
	return ldexpf(j, ni);
}

/* _mm512_reduce_add_ps order, as the CPU sums each 16-value chunk */
static __device__ __forceinline__ float reduce16(const float *v)
{
	float t3[8], t6[4];
	for (int i = 0; i < 8; i++)
		t3[i] = __fadd_rn(v[8 + i], v[i]);
	for (int i = 0; i < 4; i++)
		t6[i] = __fadd_rn(t3[4 + i], t3[i]);
	return __fadd_rn(__fadd_rn(t6[0], t6[2]), __fadd_rn(t6[1], t6[3]));
}

/* ---- attention ----------------------------------------------------------------
 *
 * Four steps, each over the KV cache in splits of CU_ATT_SPLIT positions so
 * long contexts fill the GPU (split-K):
 *   1. scores: sc[p] = (q . k_p) / sqrt(hd), q rounded to f16 for an f16
 *      cache; one warp per position;
 *   2. softmax, per (token, head), as the CPU does it: the maximum, ggml's
 *      exp of each score less it, the 16-value chunk sums added in double,
 *      probabilities times (float)(1 / sum), rounded to f16 for an f16 V
 *      cache;
 *   3. P.V per split (one thread per element of the head);
 *   4. the splits' partial sums added. */

template <int KVF32>
__global__ void __launch_bounds__(128) k_att_scores(const float *q, const void *kc, const int *seq,
						    const int *pos, int n_head, int n_kv, int hd, int n_ctx,
						    int n_seq, int il, float *sc)
{
	const int h = blockIdx.x, t = blockIdx.y, sp = blockIdx.z;
	const int wi = threadIdx.x / 32, lane = threadIdx.x & 31;
	const int npos = pos[t] + 1, p0 = sp * CU_ATT_SPLIT;
	if (p0 >= npos)
		return;
	const int p1 = min(npos, p0 + CU_ATT_SPLIT);
	const int kvh = h / (n_head / n_kv), kvd = n_kv * hd, ne = (hd + 31) / 32;
	const float scale = 1.0f / sqrtf((float)hd);
	const size_t base = (((size_t)il * n_seq + seq[t]) * n_ctx) * kvd + (size_t)kvh * hd;
	float qv[ATT_MAXE];
#pragma unroll
	for (int e = 0; e < ATT_MAXE; e++) {
		const int d = lane + 32 * e;
		float v = e < ne && d < hd ? q[((size_t)t * n_head + h) * hd + d] : 0.0f;
		if (!KVF32)
			v = __half2float(__float2half_rn(v));   /* Q meets the f16 K cache as f16 */
		qv[e] = v;
	}
	float *out = sc + ((size_t)t * n_head + h) * n_ctx;
	for (int p = p0 + wi; p < p1; p += ATT_WARPS) {
		const size_t off = base + (size_t)p * kvd;
		float s = 0.0f;
#pragma unroll
		for (int e = 0; e < ATT_MAXE; e++) {
			const int d = lane + 32 * e;
			if (e < ne && d < hd)
				s = __fmaf_rn(qv[e], KVF32 ? ((const float *)kc)[off + d]
							   : __half2float(((const __half *)kc)[off + d]), s);
		}
		s = warp_sum(s);
		if (lane == 0)
			out[p] = __fmul_rn(s, scale);
	}
}

__global__ void __launch_bounds__(256) k_att_softmax(float *sc, const int *pos, int n_head, int n_ctx,
						     int kv_f32)
{
	__shared__ float smax[8];
	__shared__ double ssum[8];
	const int h = blockIdx.x, t = blockIdx.y, tid = threadIdx.x, lane = tid & 31, wi = tid / 32;
	const int npos = pos[t] + 1;
	float *x = sc + ((size_t)t * n_head + h) * n_ctx;
	float mx = -INFINITY;
	for (int p = tid; p < npos; p += blockDim.x)
		mx = fmaxf(mx, x[p]);
	mx = warp_max(mx);
	if (lane == 0)
		smax[wi] = mx;
	__syncthreads();
	mx = smax[0];
	for (int w = 1; w < (int)blockDim.x / 32; w++)
		mx = fmaxf(mx, smax[w]);
	/* chunks of 16 positions, one a thread at a time */
	double sum = 0.0;
	for (int c = tid; c * 16 < npos; c += blockDim.x) {
		float v[16];
		for (int i = 0; i < 16; i++) {
			const int p = c * 16 + i;
			v[i] = p < npos ? ggml_expf(__fsub_rn(x[p], mx)) : 0.0f;
			if (p < npos)
				x[p] = v[i];
		}
		sum += (double)reduce16(v);
	}
	for (int o = 16; o > 0; o >>= 1)
		sum += __shfl_xor_sync(FULL, sum, o);
	if (lane == 0)
		ssum[wi] = sum;
	__syncthreads();
	sum = 0.0;
	for (int w = 0; w < (int)blockDim.x / 32; w++)
		sum += ssum[w];
	const float inv = (float)(1.0 / sum);
	for (int p = tid; p < npos; p += blockDim.x) {
		float pr = __fmul_rn(x[p], inv);
		if (!kv_f32)
			pr = __half2float(__float2half_rn(pr));   /* as the CPU before P.V */
		x[p] = pr;
	}
}

template <int KVF32>
__global__ void k_att_pv(const float *sc, const void *vc, const int *seq, const int *pos, int n_head,
			 int n_kv, int hd, int n_ctx, int n_seq, int il, float *part, int nsplit_max)
{
	const int h = blockIdx.x, t = blockIdx.y, sp = blockIdx.z, d = threadIdx.x;
	const int npos = pos[t] + 1, p0 = sp * CU_ATT_SPLIT;
	if (p0 >= npos || d >= hd)
		return;
	const int p1 = min(npos, p0 + CU_ATT_SPLIT);
	const int kvh = h / (n_head / n_kv), kvd = n_kv * hd;
	const size_t base = (((size_t)il * n_seq + seq[t]) * n_ctx) * kvd + (size_t)kvh * hd + d;
	const float *pr = sc + ((size_t)t * n_head + h) * n_ctx;
	float acc = 0.0f;
	for (int p = p0; p < p1; p++) {
		const float v = KVF32 ? ((const float *)vc)[base + (size_t)p * kvd]
				      : __half2float(((const __half *)vc)[base + (size_t)p * kvd]);
		acc = __fmaf_rn(pr[p], v, acc);
	}
	part[(((size_t)t * n_head + h) * nsplit_max + sp) * hd + d] = acc;
}

__global__ void k_att_sum(float *att, const float *part, const int *pos, int n_head, int hd, int nsplit_max)
{
	const int h = blockIdx.x, t = blockIdx.y, d = threadIdx.x;
	if (d >= hd)
		return;
	const int ns = (pos[t] + 1 + CU_ATT_SPLIT - 1) / CU_ATT_SPLIT;
	const float *pp = part + ((size_t)t * n_head + h) * nsplit_max * hd + d;
	float acc = 0.0f;
	for (int s = 0; s < ns; s++)
		acc = __fadd_rn(acc, pp[(size_t)s * hd]);
	att[((size_t)t * n_head + h) * hd + d] = acc;
}

void cu_attention(float *att, const float *q, const void *kc, const void *vc, const int *seq,
		  const int *pos, int n, int n_head, int n_kv, int hd, int n_ctx, int n_seq, int il,
		  int kv_f32, int max_pos, float *sc, float *part, int nsplit_max, cudaStream_t st)
{
	if (n <= 0)
		return;
	const int ns = (max_pos + 1 + CU_ATT_SPLIT - 1) / CU_ATT_SPLIT;
	const int hb = (hd + 31) / 32 * 32;
	dim3 g(n_head, n, ns), g2(n_head, n);
	if (kv_f32) {
		k_att_scores<1><<<g, 32 * ATT_WARPS, 0, st>>>(q, kc, seq, pos, n_head, n_kv, hd, n_ctx, n_seq,
							      il, sc);
		k_att_softmax<<<g2, 256, 0, st>>>(sc, pos, n_head, n_ctx, 1);
		k_att_pv<1><<<g, hb, 0, st>>>(sc, vc, seq, pos, n_head, n_kv, hd, n_ctx, n_seq, il, part,
					      nsplit_max);
	} else {
		k_att_scores<0><<<g, 32 * ATT_WARPS, 0, st>>>(q, kc, seq, pos, n_head, n_kv, hd, n_ctx, n_seq,
							      il, sc);
		k_att_softmax<<<g2, 256, 0, st>>>(sc, pos, n_head, n_ctx, 0);
		k_att_pv<0><<<g, hb, 0, st>>>(sc, vc, seq, pos, n_head, n_kv, hd, n_ctx, n_seq, il, part,
					      nsplit_max);
	}
	k_att_sum<<<g2, hb, 0, st>>>(att, part, pos, n_head, hd, nsplit_max);
}

/* ---- elementwise -------------------------------------------------------------- */

__global__ void k_swiglu(float *g, const float *u, size_t count, int F)
{
	const int f16 = F & ~15;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
	     i += (size_t)gridDim.x * blockDim.x) {
		const float x = g[i];
		const float e = (int)(i % F) < f16 ? ggml_expf(-x) : expf(-x);
		g[i] = __fmul_rn(__fdiv_rn(x, __fadd_rn(1.0f, e)), u[i]);
	}
}

__global__ void k_add(float *x, const float *y, size_t count)
{
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
	     i += (size_t)gridDim.x * blockDim.x)
		x[i] = __fadd_rn(x[i], y[i]);
}

__global__ void k_add_bias(float *y, const float *b, int dim)
{
	const int t = blockIdx.y;
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < dim; i += gridDim.x * blockDim.x)
		y[(size_t)t * dim + i] = __fadd_rn(y[(size_t)t * dim + i], b[i]);
}

static unsigned blocks_for(size_t count)
{
	size_t b = (count + 255) / 256;
	return (unsigned)(b > 65535 ? 65535 : b ? b : 1);
}

void cu_swiglu(float *g, const float *u, size_t count, int F, cudaStream_t st)
{
	k_swiglu<<<blocks_for(count), 256, 0, st>>>(g, u, count, F);
}

void cu_add(float *x, const float *y, size_t count, cudaStream_t st)
{
	k_add<<<blocks_for(count), 256, 0, st>>>(x, y, count);
}

void cu_add_bias(float *y, const float *b, int n, int dim, cudaStream_t st)
{
	if (n <= 0 || !b)
		return;
	dim3 g((dim + 255) / 256, n);
	k_add_bias<<<g, 256, 0, st>>>(y, b, dim);
}
