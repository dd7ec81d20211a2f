/* cpu_int.h — CPU backend internals: the CPU backend's weight-tier plan
 * (for `model info`). Its kernels come from one table per SIMD level,
 * eng_kernels() in quant.h. */
#ifndef BRIEFING_ENGINE_CPU_INT_H
#define BRIEFING_ENGINE_CPU_INT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

struct eng_model;
struct eng_plan;

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
