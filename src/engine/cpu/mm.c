/* mm.c — the per-type matmul-row table of the CPU backend, built from
 * quant.h's traits: for a weight type W, the activation is converted with
 * the quantiser of W's vec_dot_type (F32 -> f32, F16 -> f16, BF16 -> bf16,
 * Q4_0/Q5_0/Q8_0 -> Q8_0, Q4_1/Q5_1 -> Q8_1, K-quants -> Q8_K, as ggml's
 * CPU backend does) and each output is vec_dot(weight row, activation row). */
#include <pthread.h>
#include <stdlib.h>

#include "engine/engine_int.h"
#include "engine/quant.h"
#include "engine/cpu/cpu_int.h"

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
			.dequantize = tr->dequantize,
		};
		have[t] = 1;
	}
}

const struct mm_type *eng_mm_type(int type)
{
	pthread_once(&once, init);
	if (type < 0 || type >= ENG_TYPE_COUNT || !have[type])
		return NULL;
	return &table[type];
}
