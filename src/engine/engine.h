/* engine — the in-process inference engine's whole public API (prefix eng_).
 *
 * Uses nothing but libc, libm and pthreads. Lifetimes:
 *   eng_model  : the mmap'd GGUF file, hyperparameters, tokenizer. Read-only
 *                once loaded; may be shared by several contexts.
 *   eng_ctx    : per-run state: KV cache for up to n_seq sequences, scratch
 *                buffers, thread pool. One thread drives a context at a time.
 *   sequence   : a slot in a context (0 .. n_seq-1) with its own KV history.
 *
 * Flow: eng_model_load -> eng_ctx_new -> eng_seq_new -> eng_prefill ->
 *       eng_decode (many sequences per step) -> eng_seq_free -> eng_ctx_free ->
 *       eng_model_free.  eng_generate / eng_generate_batch wrap that loop with
 *       the tokenizer and a sampler.
 *
 * Errors: every function that can fail returns enum eng_err (ENG_OK == 0) and
 * fills out-params; eng_strerror names the code. The engine never prints or
 * exits. Loading writes a human-readable reason into the caller's buffer; a
 * context keeps the detail of its last error (eng_ctx_errmsg).
 */
#ifndef BRIEFING_ENGINE_H
#define BRIEFING_ENGINE_H

#include <stddef.h>
#include <stdint.h>

/* New codes are only ever appended. */
enum eng_err {
	ENG_OK = 0,
	ENG_ERR_NOMEM,             /* allocation failed */
	ENG_ERR_IO,                /* open/read/mmap failed (see errno) */
	ENG_ERR_FORMAT,            /* not a GGUF file, bad magic, corrupt structure */
	ENG_ERR_TRUNCATED,         /* an offset or size points past the end of the file */
	ENG_ERR_VERSION,           /* GGUF version not 2 or 3 */
	ENG_ERR_UNSUPPORTED_ARCH,  /* general.architecture not llama/qwen2 */
	ENG_ERR_UNSUPPORTED_TYPE,  /* tensor type not F32/F16/BF16/Q8_0/Q4_0/Q4_1/Q5_0/Q5_1/Q4_K/Q5_K/Q6_K */
	ENG_ERR_MISSING_KEY,       /* a required metadata key is absent */
	ENG_ERR_MISSING_TENSOR,    /* a required tensor is absent */
	ENG_ERR_SHAPE,             /* a tensor or key has the wrong shape/type/value */
	ENG_ERR_CONTEXT_FULL,      /* sequence would exceed the context length */
	ENG_ERR_INVALID_ARG,       /* bad argument (NULL, out of range, unknown seq) */
	ENG_ERR_NO_SEQ,            /* all sequence slots of the context are in use */
	ENG_ERR_TOKENIZER,         /* tokenizer metadata missing/invalid or text not encodable */
	ENG_ERR_TEMPLATE,          /* chat template unknown / not recognised */
	ENG_ERR_THREAD,            /* thread creation failed */
	ENG_ERR_CANCELLED,         /* a callback asked to stop */
	ENG_ERR_NOT_FOUND,         /* key/tensor lookup failed (non-fatal queries) */
	ENG_ERR_WRITE,             /* writing a file failed */
	ENG_ERR_DEVICE,            /* the asked-for device is not built in or not usable */
	ENG_ERR_BUDGET,            /* a memory budget is below what the model needs at least */
	ENG_ERR__COUNT
};

const char *eng_strerror(enum eng_err e);

typedef struct eng_model eng_model;
typedef struct eng_ctx eng_ctx;

/* ---- model ------------------------------------------------------------- */

/* Load progress: called with 0..1 while mapping/validating tensors. */
typedef void (*eng_progress_fn)(void *ud, float fraction);

struct eng_model_params {
	eng_progress_fn progress;   /* may be NULL */
	void *progress_ud;
	int prefault;               /* 1: read every weight page at load (progress follows the bytes) */
};

/* Opens and validates PATH. On success *out owns the mapping; free with
 * eng_model_free. On failure *out is NULL; if errbuf is not NULL a
 * human-readable reason (naming what is supported) is written there. */
enum eng_err eng_model_load(const char *path, const struct eng_model_params *p,
			    eng_model **out, char *errbuf, size_t errlen);
void eng_model_free(eng_model *m);

enum eng_arch { ENG_ARCH_LLAMA = 0, ENG_ARCH_QWEN2 = 1 };

/* Hyperparameters as read from the file (borrowed strings live as long as m). */
struct eng_model_info {
	enum eng_arch arch;
	const char *arch_name;       /* "llama" / "qwen2" */
	const char *name;            /* general.name or "" */
	int n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff;
	int n_ctx_train;
	float rms_eps, rope_base;
	int rope_neox;               /* 1: NeoX pairing (x[i], x[i+d/2]) */
	int has_rope_freqs;          /* rope_freqs tensor (Llama 3.1 scaling) present */
	int tied_output;             /* output head = token_embd */
	int file_type;               /* general.file_type or -1 */
	uint64_t file_size;          /* bytes */
	uint64_t n_params;           /* number of weights */
	uint64_t weight_bytes;       /* bytes of tensor data */
	const char *chat_template;   /* tokenizer.chat_template or NULL */
	int32_t bos, eos, eot;       /* -1 when absent */
};
void eng_model_get_info(const eng_model *m, struct eng_model_info *out);

/* Bytes of KV cache for n_ctx positions x n_seq sequences (kv_f32: 4-byte cells). */
uint64_t eng_model_kv_bytes(const eng_model *m, int n_ctx, int n_seq, int kv_f32);

/* ---- context and sequences ---------------------------------------------- */

/* Where a context computes. AUTO: CUDA when built in and a GPU is usable,
 * else the CPU (eng_ctx_device_note says why). */
enum eng_device { ENG_DEVICE_AUTO = 0, ENG_DEVICE_CPU = 1, ENG_DEVICE_CUDA = 2 };

/* "auto", "cpu", "cuda" -> *out; -1 on anything else. */
int eng_device_parse(const char *s, enum eng_device *out);
/* Parses a size: "2G", "512M", "1.5g", "4096", "100K", "2GiB", "2GB", "2 GiB"
 * (K/M/G/T = powers of 1024, case-insensitive, optional "i" and "B"; "B" or
 * a bare number = bytes; a fraction needs a unit and is rounded down to a
 * byte). Returns 0 and *out on success, -1 on junk/negative/overflow/empty
 * (*out untouched). */
int eng_size_parse(const char *s, uint64_t *out);

/* Measured host->device bandwidth of the device AUTO/CUDA picks, in GB/s
 * (pinned host RAM to VRAM); 0 for the CPU or when none is usable. */
double eng_device_h2d_gbps(enum eng_device d);

struct eng_ctx_params {
	int n_ctx;        /* positions per sequence; 0 -> min(n_ctx_train, 4096) */
	int n_seq;        /* sequence slots; 0 -> 1 */
	int n_threads;    /* 0 -> all cores */
	int n_batch;      /* prefill chunk size in tokens; 0 -> 256 */
	int kv_f32;       /* 0: F16 KV cache (llama.cpp default), 1: F32 */
	enum eng_device device;   /* 0 (AUTO) by default */
	uint64_t vram_budget;     /* bytes of GPU memory to use; 0 -> free memory minus a margin */
	uint64_t ram_budget;      /* 0 -> no limit. CPU: the whole context (resident weights,
				   * staging slots, KV cache, scratch, 8 MiB overhead); the rest
				   * of the weights is read from the file each pass. CUDA: pinned
				   * host RAM for streamed weights and host staging. */
};

/* Creates a context on m (m must outlive it). Free with eng_ctx_free. */
enum eng_err eng_ctx_new(eng_model *m, const struct eng_ctx_params *p, eng_ctx **out);
/* Same; on failure err (if not NULL) receives the reason in words
 * ("no usable GPU: ...", "a VRAM budget of ... is below the minimum ..."). */
enum eng_err eng_ctx_new_err(eng_model *m, const struct eng_ctx_params *p, eng_ctx **out,
			     char *err, size_t errlen);
void eng_ctx_free(eng_ctx *c);
/* Detail for the last error returned on c (static buffer inside c). */
const char *eng_ctx_errmsg(const eng_ctx *c);
int eng_ctx_n_ctx(const eng_ctx *c);
int eng_ctx_n_vocab(const eng_ctx *c);
/* The backend the context runs on ("cpu", "cuda") and a line describing
 * it and, for AUTO, why it was chosen ("auto: no usable GPU (...); using
 * the CPU"). Borrowed strings, valid while c lives. */
const char *eng_ctx_device(const eng_ctx *c);
const char *eng_ctx_device_note(const eng_ctx *c);

/* Counters of the weight passes a context has run (one pass = one trip of
 * every layer's weights through the compute device, however many tokens
 * it carries). */
struct eng_pass_stats {
	uint64_t passes;          /* forward passes */
	uint64_t tokens;          /* tokens carried by them (prompt + decode) */
	uint64_t prefill_tokens;  /* of which prompt tokens */
	uint64_t bytes[3];        /* weight bytes read per tier: resident, host RAM, file */
	double seconds;           /* wall time inside passes */
	double wait_seconds;      /* time the compute waited for streamed weights */
	double prefill_seconds;   /* of seconds, in passes holding prompt tokens */
	/* the plan (constant for the context) */
	int n_layer, layers_streamed;
	uint64_t plan_bytes[3];   /* weight bytes placed per tier */
};
void eng_ctx_stats(const eng_ctx *c, struct eng_pass_stats *out);
void eng_ctx_stats_reset(eng_ctx *c);

/* Takes a free sequence slot (empty history). ENG_ERR_NO_SEQ when full. */
enum eng_err eng_seq_new(eng_ctx *c, int *seq_out);
/* Releases the slot; its KV cells become free for a new sequence. */
void eng_seq_free(eng_ctx *c, int seq);
/* Number of positions already in the sequence's KV cache. */
int eng_seq_pos(const eng_ctx *c, int seq);

/* Feeds n tokens to sequence seq (in chunks of n_batch, matrix-matrix).
 * logits: NULL, or n_vocab floats receiving the logits after the last token
 * (caller owns). ENG_ERR_CONTEXT_FULL if pos + n > n_ctx (nothing is fed). */
enum eng_err eng_prefill(eng_ctx *c, int seq, const int32_t *tokens, int n, float *logits);

/* Feeds several prompts in shared weight passes: sequence seqs[i] (all
 * distinct) gets counts[i] tokens tokens[i]. The tokens are packed into
 * passes of up to n_batch tokens from as many sequences as fit, so ten
 * prompts of 100 tokens cost 4 passes instead of 10. logits: NULL or
 * n * n_vocab floats, row i after sequence i's last token (a sequence
 * given 0 tokens leaves its row untouched). Each sequence's results are
 * the same as feeding it alone with eng_prefill. Nothing is fed when an
 * argument is invalid or a prompt does not fit (ENG_ERR_CONTEXT_FULL). */
enum eng_err eng_prefill_batch(eng_ctx *c, int n, const int *seqs, const int32_t *const *tokens,
			       const int *counts, float *logits);

/* One decode step of running sequences (dseqs[i] advances by dtoks[i],
 * dlogits row i, as eng_decode) and the prompts of new sequences (as
 * eng_prefill_batch: seqs, tokens, counts, logits) in shared weight passes:
 * the first pass carries every decode token and as many prompt tokens as
 * fit, so a new prompt rides with the running sequences instead of costing
 * passes of its own. Each token's results are the same as in eng_decode /
 * eng_prefill alone. A sequence may not both decode and take a prompt. */
enum eng_err eng_step(eng_ctx *c, int nd, const int *dseqs, const int32_t *dtoks, float *dlogits, int n,
		      const int *seqs, const int32_t *const *tokens, const int *counts, float *logits);

/* One batched decode step: sequence seqs[i] advances by tokens[i] for
 * i < n (distinct seqs). Each weight row is read once for all n.
 * logits: NULL or n * n_vocab floats, row i for seqs[i] (caller owns). */
enum eng_err eng_decode(eng_ctx *c, int n, const int *seqs, const int32_t *tokens, float *logits);

/* Several tokens of each of several sequences in shared weight passes, all
 * as decode tokens: sequence seqs[i] (distinct) takes counts[i] tokens
 * tokens[i] at its next positions, each attending to those before it, and
 * every row is what eng_decode would give that token fed alone (bit for
 * bit): the verify step of speculative decoding. logits: NULL or
 * sum(counts) * n_vocab floats, the rows in order (sequence 0's tokens,
 * then sequence 1's, ...). As many passes as max(n_batch, n_seq) tokens
 * take (one for k + 1 tokens of a few sequences). */
enum eng_err eng_decode_multi(eng_ctx *c, int n, const int *seqs, const int32_t *const *tokens,
			      const int *counts, float *logits);
/* Rolls sequence seq back to pos positions (0 <= pos <= its length): the
 * KV cells of the rejected draft tokens are dropped. */
enum eng_err eng_seq_truncate(eng_ctx *c, int seq, int pos);

/* ---- sampling ------------------------------------------------------------ */

struct eng_sampling {
	float temperature;       /* <= 0: greedy (ties -> lowest id) */
	int top_k;               /* <= 0: off */
	float top_p;             /* >= 1: off */
	float min_p;             /* <= 0: off */
	float repeat_penalty;    /* 1: off (llama.cpp style: divide positive logits, multiply negative) */
	float presence_penalty;  /* 0: off (subtract once per seen token) */
	int penalty_last_n;      /* window of recent tokens for penalties; 0 -> 64 */
	uint64_t seed;
};
/* Sensible defaults: greedy, penalties off, seed 0. */
void eng_sampling_default(struct eng_sampling *s);

typedef struct eng_sampler eng_sampler;
/* Caller frees with eng_sampler_free. NULL on allocation failure. */
eng_sampler *eng_sampler_new(const struct eng_sampling *s, int n_vocab);
void eng_sampler_free(eng_sampler *s);
/* Remembers tok for the penalties. */
void eng_sampler_accept(eng_sampler *s, int32_t tok);
/* Picks a token from logits (n_vocab floats; not modified). */
int32_t eng_sampler_sample(eng_sampler *s, const float *logits);
/* For speculative sampling: is the choice greedy (temperature <= 0)? The
 * distribution the sampler draws from for logits (penalties, filters and
 * temperature applied; one-hot at the pick when greedy) into probs
 * (n_vocab floats); a uniform draw in [0, 1) from its generator; a draw
 * from a distribution (weights, not necessarily normalised). */
int eng_sampler_greedy(const eng_sampler *s);
void eng_sampler_dist(eng_sampler *s, const float *logits, float *probs);
double eng_sampler_uniform(eng_sampler *s);
int32_t eng_sampler_draw(eng_sampler *s, const float *probs);
/* Greedy argmax, lowest id on ties. */
int32_t eng_argmax(const float *logits, int n);

/* ---- text and generation -------------------------------------------------- */

/* Tokenizes text with the model's tokenizer (add_bos per metadata when
 * add_special; special-token text parsed when parse_special). *ids_out is
 * malloc'd (caller frees). */
enum eng_err eng_tokenize(const eng_model *m, const char *text, size_t len, int add_special,
			  int parse_special, int32_t **ids_out, int *n_out);
/* True for end-of-generation tokens (eos, eot, im_end, ...). */
int eng_token_is_eog(const eng_model *m, int32_t tok);

/* Streaming callback: piece is the newly completed UTF-8 text (never half a
 * character, may be empty), for sequence index i of the batch. Return
 * nonzero to stop that sequence. */
typedef int (*eng_token_fn)(void *ud, int i, int32_t tok, const char *piece, size_t len);

struct eng_gen_params {
	struct eng_sampling sampling;
	int max_tokens;              /* <= 0: until context is full or EOG */
	const char *const *stop;     /* stop strings (not included in the output) */
	int n_stop;
	int chat;                    /* 1: wrap the prompt with the model's chat template */
	const char *system;          /* system message for chat (may be NULL) */
	const char *chat_template;   /* override: family name ("chatml", "llama3", ...) or NULL */
	/* per prompt, for a batch of different requests (NULL: the fields
	 * above for all): prompt i samples with seq_sampling[i], its seed as
	 * given (with sampling, prompt i gets sampling.seed + i), and chat wraps
	 * it with seq_system[i] (may be NULL: none). Each prompt's tokens are
	 * then those it gets alone with the same settings. */
	const struct eng_sampling *seq_sampling;
	const char *const *seq_system;
	/* speculative decoding (may be NULL): a context on a draft model with
	 * the same vocabulary (eng_vocab_same) and at least as many sequence
	 * slots; it proposes draft_k tokens a round (<= 0: chosen from the
	 * measured acceptance and pass costs, 1..8), the model checks them all
	 * in one pass (eng_decode_multi). Greedy output is token for token the
	 * same as without a draft; with sampling, the accept/reject rule keeps
	 * the model's distribution. spec (may be NULL) gets what it saved. */
	eng_ctx *draft;
	int draft_k;
	struct eng_spec_stats *spec;
	eng_token_fn on_token;       /* may be NULL */
	/* sequence i has ended (end of generation, a limit, a stop, an error
	 * or cancellation), once per prepared sequence; may be NULL */
	void (*on_done)(void *ud, int i);
	void *ud;
};
void eng_gen_default(struct eng_gen_params *g);

/* What speculative decoding did in one generation. */
struct eng_spec_stats {
	uint64_t rounds;             /* draft-then-verify rounds (each one target pass) */
	uint64_t drafted, accepted;  /* draft tokens proposed, and kept */
	uint64_t tokens;             /* tokens the rounds produced (accepted + one each) */
	uint64_t target_passes;      /* weight passes of the model in the rounds */
	uint64_t draft_passes;       /* weight passes of the draft model */
	int k_last;                  /* the draft length of the last round */
};

/* Do two models share a vocabulary: the same token count and the same
 * text for every token? 0 when they do; else 1 with why (a message). */
int eng_vocab_differs(const eng_model *a, const eng_model *b, char *why, size_t len);

/* Generates for n prompts at once (batched decode; each prompt gets its own
 * sequence slot, the context must have >= n free slots or generation runs in
 * waves). texts_out: NULL, or n pointers receiving malloc'd NUL-terminated
 * outputs (caller frees each). */
enum eng_err eng_generate_batch(eng_ctx *c, int n, const char *const *prompts,
				const struct eng_gen_params *g, char **texts_out);
/* Single prompt convenience wrapper. *text_out malloc'd (may pass NULL). */
enum eng_err eng_generate(eng_ctx *c, const char *prompt, const struct eng_gen_params *g,
			  char **text_out);

/* ---- requantising a model file (requant.c) --------------------------------
 * What llama-quantize does for the types the engine reads, without an
 * importance matrix: every 2-D weight (not the norms) dequantised and
 * quantised again with the reference quantisers (bit-exact with ggml's),
 * the other tensors and all metadata copied; general.file_type and
 * general.quantization_version set. Unless pure, the K-quant mixes follow
 * llama.cpp's rules (Q4_K_M: output Q6_K, attn_v and ffn_down Q6_K in the
 * layers use_more_bits picks, ...), and a tensor whose rows do not split
 * into the type's blocks falls back as llama.cpp's does (Q4_K -> Q5_0,
 * Q5_K -> Q5_1, Q6_K -> Q8_0, else F16). */
struct eng_requant_opts {
	const char *type;     /* F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q4_K(_S|_M) Q5_K(_S|_M) Q6_K */
	int pure;             /* every 2-D weight in the type itself */
	int token_embd_type;  /* ENG_TYPE_* for token_embd.weight, -1: by the rules */
	int output_type;      /* ENG_TYPE_* for output.weight, -1: by the rules */
	int threads;          /* <= 0: all cores */
};
struct eng_requant_report {
	int n_tensors, n_requantized, n_fallback;
	uint64_t bytes_in, bytes_out; /* tensor data */
};
/* IN to OUT (written to OUT.tmp, then renamed). err as in eng_gguf_open. */
enum eng_err eng_requantize(const char *in, const char *out, const struct eng_requant_opts *o,
			    struct eng_requant_report *rep, char *err, size_t errsz);
/* The ENG_TYPE_* of a tensor type name ("q6_k", "Q8_0", ...), -1 if none. */
int eng_type_from_name(const char *name);

/* ---- command-line tool (tool.c) ------------------------------------------ */

/* The `model` command: argv[0] is the program/command name, argv[1] the
 * subcommand (info, run, bench, synth). Prints to stdout/stderr (the one
 * part of the engine that does); returns a process exit status. */
int eng_tool_main(int argc, char **argv);

#endif
