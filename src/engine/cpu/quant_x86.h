/* quant_x86.h — small AVX2 helpers shared by the x86 kernel files
 * (quant_avx2.c, quant_avx512.c). Each carries the AVX2 target attribute;
 * GCC and clang inline them into callers whose target is a superset. */
#ifndef BRIEFING_ENGINE_CPU_QUANT_X86_H
#define BRIEFING_ENGINE_CPU_QUANT_X86_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "engine/quant.h"

#define AVX2 __attribute__((target("avx2,fma,f16c")))

/* sum of 8 floats in ggml's hsum_float_8 order */
AVX2 static inline float hsum_f8(__m256 x)
{
	__m128 r = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
	r = _mm_add_ps(r, _mm_movehl_ps(r, r));
	r = _mm_add_ss(r, _mm_movehdup_ps(r));
	return _mm_cvtss_f32(r);
}

AVX2 static inline float hsum_f4(__m128 a)
{
	a = _mm_add_ps(a, _mm_movehl_ps(a, a));
	a = _mm_add_ss(a, _mm_movehdup_ps(a));
	return _mm_cvtss_f32(a);
}

AVX2 static inline float h2f(eng_fp16 h)
{
	return _cvtsh_ss(h);
}

/* Q4_K/Q5_K 12-byte scales -> utmp: bytes 0..7 scales, 8..15 mins (ggml) */
static inline void k4_scales(const uint8_t *src, uint32_t utmp[4])
{
	const uint32_t kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
	memcpy(utmp, src, 12);
	utmp[3] = ((utmp[2] >> 4) & kmask2) | (((utmp[1] >> 6) & kmask3) << 4);
	const uint32_t uaux = utmp[1] & kmask1;
	utmp[1] = (utmp[2] & kmask2) | (((utmp[0] >> 6) & kmask3) << 4);
	utmp[2] = uaux;
	utmp[0] &= kmask1;
}

#endif
