/* tiers.h — where each layer's weights live during a pass (per context).
 *
 * A model may not fit the fast memory it runs in. The planner is a pure
 * function from the sizes of the items of a pass (layer 0, 1, ..., n_layer-1,
 * then the output head) and the budgets to a tier for each item:
 *
 *   FAST  resident in the backend's fast memory (CUDA: VRAM; CPU: RAM);
 *   HOST  (CUDA only) staged in pinned host RAM, copied to VRAM each pass;
 *   FILE  read from the model file each pass into a staging slot.
 *
 * Items that are not FAST stream through n_slots staging slots in fast
 * memory, each as large as the largest streamed item. With a HOST tier,
 * items read from the FILE also pass through n_slots pinned host staging
 * slots, each as large as the largest FILE item.
 *
 * Placement (one rule per level, the same code for both):
 *   1. FAST. If fixed_fast + all weights fit fast_budget, everything is
 *      resident and no slots are reserved. Otherwise, for each possible
 *      slot size s (the size of some item), the items larger than s are made
 *      resident, n_slots * s is reserved, and the remaining room is filled
 *      first-fit in pass order; when the items left streaming turn out
 *      smaller than s the slots shrink and the freed room is filled again.
 *      The slot size that leaves the most bytes resident wins (ties: the
 *      smaller fast_used). With equal layers this is "a prefix of layers
 *      resident, the rest streamed, slots = one layer each"; with a large
 *      output head it keeps the head resident so the slots can be a layer.
 *   2. HOST (has_host_tier only): the streamed items, by the same rule,
 *      under host_budget, with the host staging slots for the FILE items.
 *   3. FILE: the rest.
 * The cost of a pass is at least the bytes streamed from HOST and FILE over
 * their bandwidths (eng_plan_pass_seconds), so the planner maximises the
 * bytes kept in the faster tier.
 *
 * Errors: ENG_ERR_INVALID_ARG for bad input or a budget below the minimum
 * that works; the message (err) names the minimum in human units.
 */
#ifndef BRIEFING_ENGINE_TIERS_H
#define BRIEFING_ENGINE_TIERS_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"   /* enum eng_err */

enum eng_tier {
	ENG_TIER_FAST = 0,   /* resident in the backend's fast memory (VRAM; CPU: RAM) */
	ENG_TIER_HOST = 1,   /* staged in host RAM (pinned for CUDA); copied to fast memory each pass */
	ENG_TIER_FILE = 2,   /* read from the model file each pass into a staging slot */
};
#define ENG_TIER_COUNT 3
#define ENG_BUDGET_UNLIMITED UINT64_MAX

struct eng_plan_in {
	int n_layer;
	const uint64_t *layer_bytes;  /* (n_layer) weight bytes of each layer (all its tensors) */
	uint64_t out_bytes;           /* output head weights (+ output_norm); counted even when tied */
	uint64_t fixed_fast;          /* KV cache + scratch + activations in fast memory */
	uint64_t fast_budget;         /* bytes of fast memory allowed, ENG_BUDGET_UNLIMITED: no limit */
	uint64_t host_budget;         /* bytes of host RAM allowed for HOST-tier weights and host staging,
	                               * ENG_BUDGET_UNLIMITED: no limit; ignored without a HOST tier */
	int has_host_tier;            /* 1: backend has a HOST tier distinct from FAST (CUDA); 0 (CPU): layers are FAST or FILE */
	int n_slots;                  /* staging slots per streaming level (>= 2: double buffering; 1 allowed) */
	const char *fast_name;        /* label of fast memory in messages: "VRAM", "RAM"; NULL: "fast memory" */
	const char *host_name;        /* label of host memory in messages: "RAM"; NULL: "host memory" */
};

struct eng_plan {
	int n_layer;
	uint8_t *layer_tier;          /* (n_layer) enum eng_tier; malloc'd (NULL when n_layer is 0), free with eng_plan_free */
	uint8_t out_tier;             /* the output head is placed like a layer (it is the last item of a pass) */
	uint64_t tier_bytes[ENG_TIER_COUNT];  /* weight bytes per tier */
	uint64_t slot_bytes;          /* size of one fast staging slot = the largest streamed item (0 if nothing streams) */
	uint64_t host_slot_bytes;     /* size of one host staging slot = the largest FILE item (has_host_tier; else 0) */
	uint64_t fast_used;           /* fixed_fast + FAST weights + n_slots * slot_bytes */
	uint64_t host_used;           /* HOST weights + n_slots * host_slot_bytes (0 without a HOST tier) */
	uint64_t min_fast;            /* the smallest fast budget that works (see eng_plan_make) */
	uint64_t min_host;            /* the smallest host budget that works given this FAST placement (0 without a HOST tier) */
	int n_streamed;               /* layers (+ output head) not in FAST */
};

/* Fills *out (zeroed first, so eng_plan_free is safe after a failure).
 * Placement as in the comment at the top of this file. All sums saturate at
 * UINT64_MAX, so huge sizes never wrap (they only fail to fit).
 *
 * min_fast is the smallest fast_budget that works: the least over the slot
 * sizes s of fixed_fast + (items larger than s, resident) + n_slots * s, or
 * fixed_fast + all weights when that is less. With equal layers and a head
 * no larger than a layer it is fixed_fast + n_slots * largest item.
 * fast_budget < min_fast (or, with a HOST tier, host_budget < min_host)
 * returns ENG_ERR_INVALID_ARG and err says, e.g., "a RAM budget of 64.0 MiB
 * is below the minimum of 210.3 MiB (staging for the largest item x2 =
 * 200.0 MiB + KV cache and scratch 10.3 MiB)". Also ENG_ERR_INVALID_ARG for
 * NULL in/out, n_layer < 0, n_layer > 0 with NULL layer_bytes, n_slots < 1;
 * ENG_ERR_NOMEM if an allocation fails. err may be NULL. */
enum eng_err eng_plan_make(const struct eng_plan_in *in, struct eng_plan *out, char *err, size_t errlen);
/* Frees p->layer_tier and zeroes *p; p may be NULL. */
void eng_plan_free(struct eng_plan *p);

/* "4.00 GiB", "512.0 MiB", "10.0 KiB", "12 B" into buf (always terminated
 * when n > 0). */
void eng_bytes_human(char *buf, size_t n, uint64_t b);

/* Predicted seconds per pass: bytes from HOST over host_gbps + bytes from
 * FILE over file_gbps (GB = 1e9 bytes; a rate <= 0 skips that term), as the
 * lower bound of a pass. 0 for a NULL plan. */
double eng_plan_pass_seconds(const struct eng_plan *p, double host_gbps, double file_gbps);

/* Measured sequential read bandwidth of a file in GB/s: reads up to
 * max_bytes (0: the whole file) from offset 0 in 8 MiB preads (page cache as
 * it is; pass drop_cache=1 to posix_fadvise(POSIX_FADV_DONTNEED) first).
 * Returns < 0 on error (cannot open or read, empty file). */
double eng_measure_read_gbps(const char *path, uint64_t max_bytes, int drop_cache);

#endif
