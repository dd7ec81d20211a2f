/* mm.c — the per-type matmul-row table of the CPU backend.
 * F32/F16/BF16 kernels live here; the quantised types come from quant.h's
 * traits table (dequantize, vec_dot and the activation quantiser). */
#include <string.h>

#include "engine/engine_int.h"
#include "engine/cpu/cpu_int.h"

static void f32_act(const float *x, void *y, int64_t n)
{
	memcpy(y, x, (size_t)n * sizeof(float));
}

/* 8 independent partial sums, like ggml's SIMD f32 dot. */
static void f32_dot(int64_t n, float *s, const void *w, const void *a)
{
	const float *x = w, *y = a;
	float acc[8] = { 0 };
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (int k = 0; k < 8; k++)
			acc[k] += x[i + k] * y[i + k];
	float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
	for (; i < n; i++)
		sum += x[i] * y[i];
	*s = sum;
}

static void f32_deq(const void *w, float *y, int64_t n)
{
	memcpy(y, w, (size_t)n * sizeof(float));
}

static const struct mm_type mm_f32 = {
	.weight_type = ENG_T_F32, .act_type = ENG_T_F32,
	.act_quantize = f32_act, .vec_dot = f32_dot, .dequantize = f32_deq,
};

const struct mm_type *eng_mm_type(int type)
{
	switch (type) {
	case ENG_T_F32:
		return &mm_f32;
	default:
		return NULL;
	}
}
