/* engine_int.h — engine internals shared by model.c, batch.c, sampler.c,
 * tool.c and the backends (cpu/ now, cuda/ in part 2). Not a public API.
 *
 * State is split by lifetime:
 *   struct eng_hparams  : file hyperparameters (immutable after load)
 *   struct eng_weights  : read-only tensors pointing into the mmap'd file
 *   backend state       : per-context scratch and KV cache (cpu/forward.c)
 *
 * Two seams for part 2:
 *   - weight access: the forward pass obtains layer weights only through
 *     eng_model_layer(m, il) (so a streaming implementation can page them in);
 *   - backend: struct eng_backend, a small vtable (alloc, upload, per-layer
 *     ops, sync, supports).
 */
#ifndef BRIEFING_ENGINE_INT_H
#define BRIEFING_ENGINE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* ---- hyperparameters ---------------------------------------------------- */

struct eng_hparams {
	enum eng_arch arch;
	int n_vocab;
	int n_embd;        /* model width */
	int n_layer;
	int n_head;
	int n_head_kv;
	int head_dim;      /* n_embd / n_head unless key_length says otherwise */
	int n_ff;
	int n_ctx_train;
	int n_rot;         /* rotary dims (rope.dimension_count, default head_dim) */
	float rms_eps;
	float rope_base;   /* default 10000 */
	int rope_neox;     /* qwen2: 1 */
};

/* A 2-D weight matrix in ggml orientation: ne0 = row length (input
 * features), ne1 = number of rows (output features). data points into the
 * mapping (row r at data + r * row_bytes). */
struct eng_tensor {
	const void *data;
	int type;            /* ENG_TYPE_* (quant.h) */
	int64_t ne0, ne1;
	size_t row_bytes;
};

struct eng_layer_w {
	const float *attn_norm;        /* (n_embd) */
	struct eng_tensor wq;          /* (n_head*head_dim rows, n_embd) */
	struct eng_tensor wk;          /* (n_head_kv*head_dim rows, n_embd) */
	struct eng_tensor wv;          /* (n_head_kv*head_dim rows, n_embd) */
	const float *bq, *bk, *bv;     /* qwen2 biases (rows) or NULL */
	struct eng_tensor wo;          /* (n_embd rows, n_head*head_dim) */
	const float *ffn_norm;         /* (n_embd) */
	struct eng_tensor w_gate;      /* (n_ff rows, n_embd) */
	struct eng_tensor w_up;        /* (n_ff rows, n_embd) */
	struct eng_tensor w_down;      /* (n_embd rows, n_ff) */
};

struct eng_weights {
	struct eng_tensor token_embd;  /* (n_vocab rows, n_embd) */
	const float *output_norm;      /* (n_embd) */
	struct eng_tensor output;      /* (n_vocab rows, n_embd); == token_embd when tied */
	const float *rope_freqs;       /* (n_rot/2) frequency divisors or NULL */
	struct eng_layer_w *layers;    /* (n_layer) */
};

struct eng_gguf;   /* gguf.h */
struct eng_tok;    /* tokenizer.h */

struct eng_model {
	struct eng_hparams hp;
	struct eng_weights w;
	struct eng_gguf *gguf;           /* owns the mapping */
	char *path;                      /* the file (streamed tiers reopen it) */
	struct eng_tok *tok;             /* NULL if the file has no usable tokenizer */
	char arch_name[16];
	char name[128];
	int file_type;
	uint64_t file_size, n_params, weight_bytes;
	const char *chat_template;       /* into gguf metadata, or NULL */
	int32_t bos, eos, eot;
	/* weight-access seam: layer il's weights, valid until the next call */
	const struct eng_layer_w *(*layer)(struct eng_model *m, int il);
};

static inline const struct eng_layer_w *eng_model_layer(struct eng_model *m, int il)
{
	return m->layer(m, il);
}

/* ---- thread pool (cpu/pool.c) ------------------------------------------ */

struct eng_pool;
typedef void (*eng_pool_fn)(void *arg, int item, int tid);
int eng_pool_default_threads(void);
enum eng_err eng_pool_new(int n_threads, struct eng_pool **out);
void eng_pool_free(struct eng_pool *p);
int eng_pool_size(const struct eng_pool *p);
/* Runs fn(arg, i, tid) for i in [0, n_items); returns when all are done. */
void eng_pool_run(struct eng_pool *p, eng_pool_fn fn, void *arg, int n_items);

/* ---- backends ------------------------------------------------------------ */

/* A micro-batch: n tokens, each belonging to a sequence at a position.
 * Prefill chunks are one sequence at consecutive positions; decode steps
 * are one token of each of several sequences. Row i of the output logits
 * is written for tokens with want[i] != 0, in order. */
struct eng_ubatch {
	int n;
	const int32_t *tok;   /* (n) */
	const int *seq;       /* (n) slot ids */
	const int *pos;       /* (n) positions */
	const uint8_t *want;  /* (n) 1: produce logits for this token */
	int prefill;          /* 1: holds prompt tokens (ggml's prompt kernels' order for them) */
	int n_dec;            /* with prefill: the first n_dec tokens are decode tokens of
			       * running sequences (computed as in a decode step), the rest
			       * prompt tokens; 0 for a pure prompt chunk */
};

/* 1 when token t of ub is a prompt token (prompt kernels' order) */
static inline int eng_ub_prompt(const struct eng_ubatch *ub, int t)
{
	return ub->prefill && t >= ub->n_dec;
}

struct eng_ctx;

/* A backend: one implementation of the per-layer forward pass and of the
 * fast memory it runs in (cpu/forward.c, cuda/backend.cu). Chosen per
 * context by eng_backend_pick (backend.c). A pass, as eng_forward drives it:
 *   pass_begin (start prefetching streamed weights) -> embed ->
 *   for each layer: wait (its weights are usable) -> layer -> release (its
 *   staging slot may be reused; the next prefetch starts) ->
 *   output -> pass_end (wait for queued work, account the pass).
 * Per-pass weight bytes and waiting time go into c->stats. */
struct eng_backend {
	const char *name;
	/* 1 when the device can be used now; desc gets a one-line description
	 * of it, or of why not */
	int (*probe)(char *desc, size_t n);
	/* 1 if the backend can multiply by weights of this type */
	int (*supports)(int type);
	/* plan the weight tiers under the context's budgets, allocate KV cache,
	 * scratch and resident weights; on failure set c->errmsg */
	enum eng_err (*alloc)(struct eng_ctx *c);
	void (*free)(struct eng_ctx *c);
	void (*pass_begin)(struct eng_ctx *c, const struct eng_ubatch *ub);
	void (*embed)(struct eng_ctx *c, const struct eng_ubatch *ub);
	enum eng_err (*wait)(struct eng_ctx *c, int il);
	/* w: the layer as mapped (types, shapes, and data pointers into the
	 * file); a backend that places weights itself (VRAM, its own RAM copy,
	 * a staging slot) uses its per-context copy of the data instead */
	void (*layer)(struct eng_ctx *c, const struct eng_layer_w *w, int il,
		      const struct eng_ubatch *ub);
	void (*release)(struct eng_ctx *c, int il);
	void (*output)(struct eng_ctx *c, const struct eng_ubatch *ub, float *logits);
	enum eng_err (*pass_end)(struct eng_ctx *c);
	/* forget the KV cells of a slot (optional) */
	void (*seq_clear)(struct eng_ctx *c, int seq);
	/* copy the residual stream of the last pass, n rows of n_embd floats
	 * (tests compare backends layer by layer) */
	enum eng_err (*read_x)(struct eng_ctx *c, float *out, int n);
	/* measured host->device bandwidth in GB/s, or 0 where there is no
	 * transfer (CPU); may be NULL */
	double (*measure_gbps)(void);
};

extern const struct eng_backend eng_backend_cpu;
#ifdef ENG_HAVE_CUDA
extern const struct eng_backend eng_backend_cuda;
#endif

/* Picks the backend for a device request (backend.c). note receives what
 * was chosen and, for AUTO, why. NULL with note explaining when the
 * device asked for cannot be used. */
const struct eng_backend *eng_backend_pick(enum eng_device d, char *note, size_t n);

struct eng_ctx {
	struct eng_model *m;
	struct eng_ctx_params p;      /* resolved (no zeros) */
	const struct eng_backend *be;
	void *be_state;
	struct eng_pool *pool;
	int max_ubatch;               /* max tokens per forward: max(n_batch, n_seq) */
	uint8_t *seq_used;            /* (n_seq) */
	int *seq_pos;                 /* (n_seq) tokens in KV */
	struct eng_pass_stats stats;  /* backends add bytes and waits; eng_forward the rest */
	char device_note[256];
	char errmsg[256];
};

/* ggml_rope_cache_init with freq_scale 1, ext_factor 0, mscale 1: the
 * cos/sin pairs of one position (n_rot floats). cpu/forward.c; the CUDA
 * backend uploads the same table. */
void eng_rope_cache(float *cache, int pos, int n_rot, float base, const float *freqs);

/* Weight bytes of layer il (all its tensors) and of the output head
 * (output_norm + output, counted even when tied). model.c. */
uint64_t eng_model_layer_bytes(const struct eng_model *m, int il);
uint64_t eng_model_output_bytes(const struct eng_model *m);

/* Runs the forward pass for one micro-batch (n <= max_ubatch); the caller
 * has checked positions. batch.c. */
enum eng_err eng_forward(struct eng_ctx *c, const struct eng_ubatch *ub, float *logits);
/* Tests: embed and the first n_layers layers only, for tokens at positions
 * 0..n-1 of sequence seq (its KV cells are written), then the residual
 * stream into x (n rows of n_embd floats). */
enum eng_err eng_forward_layers(struct eng_ctx *c, int seq, const int32_t *tok, int n, int n_layers,
				float *x);

/* tokenizer glue (text.c): set up / release m->tok after the weights load */
enum eng_err eng_model_tok_init(struct eng_model *m);
void eng_model_tok_free(struct eng_model *m);

/* errmsg helper (printf-like) */
void eng_ctx_set_err(struct eng_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
