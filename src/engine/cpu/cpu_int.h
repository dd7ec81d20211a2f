/* cpu_int.h — CPU backend internals: the per-type "matmul row" seam, and
 * the CPU backend's weight-tier plan (for `model info`). */
#ifndef BRIEFING_ENGINE_CPU_INT_H
#define BRIEFING_ENGINE_CPU_INT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

struct eng_model;
struct eng_plan;

/* How to multiply by a weight row of one type: the activation is first
 * converted to act_type (ggml's vec_dot_type), then vec_dot computes one
 * dot product of a weight row (n values) with an activation row. */
struct mm_type {
	int weight_type;     /* ENG_T_* */
	int act_type;        /* ENG_T_* of the converted activation */
	/* x (n floats) -> y (activation row of act_type) */
	void (*act_quantize)(const float *x, void *y, int64_t n);
	/* *s = dot(weight row w, activation row a), n values */
	void (*vec_dot)(int64_t n, float *s, const void *w, const void *a);
	/* optional: rows [r0, r1) of w against n_tok activation rows;
	 * out[t * ldo + r]. NULL: vec_dot per (row, token). */
	void (*vec_dot_rows)(int64_t n, const void *w, size_t w_row_bytes, int64_t r0, int64_t r1,
			     const void *act, size_t act_stride, int n_tok, float *out, int ldo);
	/* optional: the dot product in the order ggml uses for matrix products
	 * of two or more tokens (llamafile's tinyBLAS: 16 lanes, then a
	 * tree sum); used for prompt chunks when n is a multiple of 16 */
	void (*vec_dot_tiny)(int64_t n, float *s, const void *w, const void *a);
	/* weight row -> floats (token embedding lookup) */
	void (*dequantize)(const void *w, float *y, int64_t n);
};

/* 1 when the CPU runs AVX2, FMA and F16C (and BRIEFING_ENGINE_NO_SIMD is
 * not set): the condition for the SIMD kernels of forward.c and mm.c. */
int eng_cpu_simd(void);

/* NULL when the CPU backend cannot multiply by that type. */
const struct mm_type *eng_mm_type(int type);

/* The weight tiers a CPU context on m with parameters p would get (zeros in
 * p resolved as eng_ctx_new does), without allocating it: under
 * p->ram_budget, or everything resident when it is 0 (min_fast still says
 * the smallest budget that works). *fixed (may be NULL) receives the bytes
 * counted besides weights: KV cache, scratch and CPU_STREAM_OVERHEAD.
 * *out is filled on success (free with eng_plan_free). ENG_ERR_BUDGET with
 * err naming the minimum when the budget is below it; ENG_ERR_NOMEM. */
enum eng_err eng_cpu_plan(const struct eng_model *m, const struct eng_ctx_params *p,
			  struct eng_plan *out, uint64_t *fixed, char *err, size_t errlen);

#endif
