/* quant_int.h — private seam between the scalar kernels (quant.c) and the
 * SIMD ones (quant_avx2.c). */
#ifndef BRIEFING_ENGINE_CPU_QUANT_INT_H
#define BRIEFING_ENGINE_CPU_QUANT_INT_H

#include <stdint.h>

#include "engine/quant.h"

/* Replaces entries of table (indexed by ENG_TYPE_*, a copy of the
 * reference table) with AVX2/FMA/F16C kernels when the CPU has them, and
 * with the VNNI (dpbusd) variants of the 32-element block dots when
 * allow_vnni and the CPU has AVX-VNNI or AVX512-VNNI+VL. Returns the name
 * of what it installed ("avx2", "avx2+avxvnni", ...) or NULL (nothing). */
const char *eng_quant_avx2_install(struct eng_quant_traits *table, int allow_vnni);

/* Replaces the K-quant dots (Q4_K, Q5_K, Q6_K) and the Q8_0 dot and
 * many-token product of table with AVX-512 (F, BW, VL, DQ) + AVX512-VNNI
 * kernels when the CPU has all of them (eng_quant_avx512_usable). They
 * give the same bits as the AVX2 kernels they replace. Returns the name
 * ("avx512vnni") or NULL. */
const char *eng_quant_avx512_install(struct eng_quant_traits *table);
int eng_quant_avx512_usable(void);

/* Activation quantisers with ggml's x86 numerics (scalar versions). */
void eng_quant_act_q8_0_ref(const float *x, void *y, int64_t n);
void eng_quant_act_q8_1_ref(const float *x, void *y, int64_t n);

/* sum of 16 floats in _mm512_reduce_add_ps order (ggml's float dots and
 * softmax sums on AVX-512 machines, written out for every CPU) */
static inline float eng_reduce16(const float *v)
{
	float t3[8], t6[4];
	for (int i = 0; i < 8; i++)
		t3[i] = v[8 + i] + v[i];
	for (int i = 0; i < 4; i++)
		t6[i] = t3[4 + i] + t3[i];
	return (t6[0] + t6[2]) + (t6[1] + t6[3]);
}

#endif
