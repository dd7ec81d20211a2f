/* stream.h — the CPU backend's weight tiers under a RAM budget (private to
 * cpu/; see stream.c for how a pass streams).
 *
 * Items of a pass: layers 0 .. n_layer-1, then the output head (item
 * n_layer). Each is FAST (a copy in a heap arena, read from the file when
 * the context is created) or FILE (read from the file each pass into one
 * of the staging slots by a prefetch thread). The mapping is never used
 * for weights: the layer function gets per-context struct eng_layer_w
 * copies whose pointers lead into the arena or into the slot of the pass.
 *
 * One thread drives a context (the compute thread); the prefetch thread
 * only reads into slots. Functions taking c report errors in c->errmsg. */
#ifndef BRIEFING_ENGINE_CPU_STREAM_H
#define BRIEFING_ENGINE_CPU_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine_int.h"
#include "engine/tiers.h"

/* Staging slots, and the bytes the context holds besides KV cache, scratch
 * and weights (pool and prefetch thread stacks as touched, per-context
 * arrays, allocator slack), counted in the budget. */
#define CPU_STREAM_SLOTS 2
#define CPU_STREAM_OVERHEAD ((uint64_t)8 << 20)

struct cpu_stream;

/* The plan for m with fixed bytes of KV cache, scratch and overhead under
 * budget (ENG_BUDGET_UNLIMITED: everything resident). *out is filled (free
 * with eng_plan_free). ENG_ERR_BUDGET when budget is below the minimum;
 * err then names the minimum ("a RAM budget of ... is below the minimum of
 * ..."). ENG_ERR_NOMEM. */
enum eng_err cpu_stream_plan(const struct eng_model *m, uint64_t fixed, uint64_t budget,
			     struct eng_plan *out, char *err, size_t errlen);

/* Plans under c->p.ram_budget, reads the FAST items, opens the file and
 * starts the prefetch thread; sets c->stats' plan fields. *out owned by
 * the caller (cpu_stream_free). On failure *out is NULL and c->errmsg
 * says why (ENG_ERR_BUDGET, ENG_ERR_IO, ENG_ERR_NOMEM, ENG_ERR_THREAD). */
enum eng_err cpu_stream_new(struct eng_ctx *c, uint64_t fixed, struct cpu_stream **out);
/* Stops and joins the prefetch thread, frees everything; st may be NULL. */
void cpu_stream_free(struct cpu_stream *st);

/* A pass: begin (want_head: the pass computes logits, so a streamed output
 * head is read) -> for each item in order: wait (its weights are usable
 * through cpu_stream_layer / cpu_stream_output) -> release -> end.
 * wait adds the item's bytes to c->stats.bytes[tier] and the time it
 * blocked to c->stats.wait_seconds; a read error is ENG_ERR_IO with the
 * reason in c->errmsg (and pass_end returns it too). pass_end drops what
 * was read ahead when the pass stopped early. */
void cpu_stream_pass_begin(struct cpu_stream *st, int want_head);
enum eng_err cpu_stream_wait(struct eng_ctx *c, struct cpu_stream *st, int item);
void cpu_stream_release(struct cpu_stream *st, int item);
enum eng_err cpu_stream_pass_end(struct cpu_stream *st);

/* Layer il's weights / the output head's (valid after its wait until its
 * release for a streamed item; always for a resident one). */
const struct eng_layer_w *cpu_stream_layer(const struct cpu_stream *st, int il);
const struct eng_tensor *cpu_stream_output(const struct cpu_stream *st);
const float *cpu_stream_output_norm(const struct cpu_stream *st);
/* A copy of rope_freqs (NULL when the model has none). */
const float *cpu_stream_rope_freqs(const struct cpu_stream *st);

/* Reads row tok of token_embd (row_bytes) into row with pread, so the
 * embedding table is never mapped. On failure the row is zeroed and the
 * pass's next wait returns ENG_ERR_IO. */
void cpu_stream_embd_row(struct eng_ctx *c, struct cpu_stream *st, int32_t tok, void *row);

#endif
