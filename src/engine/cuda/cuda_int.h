/* cuda_int.h — CUDA backend internals shared by kernels.cu and backend.cu.
 *
 * The weights are used as they are in the file (the ggml block layouts of
 * quant.h, no repacking): a matrix is (rows, row_bytes) of raw blocks.
 * Activations are converted first to the weight type's activation format,
 * as the CPU backend does (ggml's vec_dot_type): Q8_0 for Q4_0/Q5_0/Q8_0,
 * Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants, f16/bf16-rounded floats for
 * F16/BF16, floats for F32. The integer part of every block's dot product
 * is then exact, and each block's float combination is the CPU's, so the
 * two backends differ only in the order the block sums are added. */
#ifndef BRIEFING_ENGINE_CUDA_INT_H
#define BRIEFING_ENGINE_CUDA_INT_H

#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {
#include "engine/engine_int.h"
#include "engine/quant.h"
}

/* Activation buffers for M rows of up to kmax values. */
struct cu_act {
	int8_t *q;      /* (M, kmax) quantised values */
	float *d;       /* (M, kmax / 32) scale of each 32-value chunk (Q8_K: its block's d) */
	float *s;       /* (M, kmax / 32) Q8_1: d * sum(q) rounded through fp16 */
	float *f;       /* (M, kmax) F32/F16/BF16 weights: the (rounded) floats */
	int kmax;
	int type;       /* ENG_TYPE_* of the weights it was made for (-1: none) */
	const float *src;   /* what it was made from (cache) */
	int rows;
};

/* A weight matrix on the device. */
struct cu_mat {
	const uint8_t *data;
	int type;
	int64_t ne0, ne1;
	size_t row_bytes;
};

/* Launchers (kernels.cu); all asynchronous on stream st. */
/* x (n, K) floats (row stride ldx) -> act for weights of type wtype */
void cu_act_quant(struct cu_act *a, int wtype, const float *x, int n, int K, int ldx, cudaStream_t st);
/* Kernel choice for products of more than 8 tokens (prompts, big
 * batches); every choice gives the same bits. BRIEFING_CUDA_MM=warp|rows8|
 * rows16 (the default), read once when a context is created (for
 * benchmarks). */
enum { CU_MM_ROWS8 = 0, CU_MM_ROWS16 = 1, CU_MM_WARP = 2 };
/* out[t * ldo + r] = W[r] . act[t] for t < n, r < W.ne1 */
void cu_matmul(const struct cu_mat *w, const struct cu_act *a, int n, float *out, int ldo, int mode,
	       cudaStream_t st);
/* x[t, :] = dequantised row rows[t] (raw rows of type, row_bytes each, K values) */
void cu_dequant_rows(int type, const uint8_t *rows, size_t row_bytes, int n, int K, float *x,
		     cudaStream_t st);
/* y[t] = rmsnorm(x[idx ? idx[t] : t]) * w, for t < n */
void cu_rmsnorm(float *y, const float *x, const float *w, const int *idx, int n, int E, float eps,
		cudaStream_t st);
/* rotate q (n, n_head*hd) and k (n, n_kv*hd) by rope (n, n_rot) cos/sin pairs */
void cu_rope(float *q, float *k, const float *rope, int n, int n_head, int n_kv, int hd, int n_rot,
	     int neox, cudaStream_t st);
/* K/V rows of the batch into the cache of layer il */
void cu_kv_store(void *kc, void *vc, const float *k, const float *v, const int *seq, const int *pos,
		 int n, int kvd, int n_ctx, int n_seq, int il, int kv_f32, cudaStream_t st);
/* att (n, n_head*hd) = softmax(q K^T / sqrt(hd)) V over each token's positions 0..pos;
 * sc: (n, n_head, n_ctx) scores, part: (n, n_head, nsplit_max, hd) scratch */
void cu_attention(float *att, const float *q, const void *kc, const void *vc, const int *seq,
		  const int *pos, int n, int n_head, int n_kv, int hd, int n_ctx, int n_seq, int il,
		  int kv_f32, int max_pos, float *sc, float *part, int nsplit_max, cudaStream_t st);
/* g = silu(g) * u over count values, rows of F */
void cu_swiglu(float *g, const float *u, size_t count, int F, cudaStream_t st);
/* x += y */
void cu_add(float *x, const float *y, size_t count, cudaStream_t st);
/* y[t, :] += b for t < n (row length dim) */
void cu_add_bias(float *y, const float *b, int n, int dim, cudaStream_t st);

/* positions per attention split */
#define CU_ATT_SPLIT 256

#endif
