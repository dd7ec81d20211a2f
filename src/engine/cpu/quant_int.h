/* quant_int.h — private seam between the scalar kernels (quant.c) and the
 * SIMD ones (quant_avx2.c). */
#ifndef BRIEFING_ENGINE_CPU_QUANT_INT_H
#define BRIEFING_ENGINE_CPU_QUANT_INT_H

#include <stdint.h>

#include "engine/quant.h"

/* Replaces entries of table (indexed by ENG_TYPE_*) with AVX2/FMA kernels
 * when the CPU has AVX2, FMA and F16C; returns 1 if it did. */
int eng_quant_avx2_install(struct eng_quant_traits *table);

/* Activation quantisers with ggml's x86 numerics (scalar versions). */
void eng_quant_act_q8_0_ref(const float *x, void *y, int64_t n);
void eng_quant_act_q8_1_ref(const float *x, void *y, int64_t n);

#endif
