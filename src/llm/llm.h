/* llm — the one interface the briefing pipeline sees. Three backends sit
 * behind it: "engine" (our in-process GGUF engine, batched), "openai" (any
 * OpenAI-compatible /v1/chat/completions server, streaming) and "extractive"
 * (no model: lead sentences and a data-driven assessment, labelled as such).
 * Backends are pure: text in, text out. Nothing here prints or exits. */
#ifndef BRIEFING_LLM_H
#define BRIEFING_LLM_H

#include <stddef.h>
#include <stdint.h>

enum llm_err {
	LLM_OK = 0,
	LLM_ERR_NOMEM,
	LLM_ERR_CONFIG,       /* unknown backend, missing model/base URL/key */
	LLM_ERR_MODEL,        /* the model file cannot be loaded */
	LLM_ERR_CONNECT,      /* server unreachable / connection dropped */
	LLM_ERR_HTTP,         /* non-2xx from the server */
	LLM_ERR_PROTOCOL,     /* a reply we cannot read */
	LLM_ERR_TIMEOUT,
	LLM_ERR_CONTEXT,      /* prompt does not fit the model's context */
	LLM_ERR_CANCELLED,
	LLM_ERR_GENERATE,     /* the engine failed mid-generation */
};
const char *llm_strerror(int err);

/* What a request is for. Real models only read the messages; the
 * extractive backend uses task and data to do its job without a model. */
enum llm_task {
	LLM_TASK_FREE = 0,    /* anything else */
	LLM_TASK_STORY,       /* one story entry (headline + paragraph) */
	LLM_TASK_ASSESSMENT,  /* connect the stories; ends with "Bottom line:" */
	LLM_TASK_TAGLINE,     /* one line for the whole edition */
};

struct llm_msg {
	const char *role;     /* "system", "user", "assistant" */
	const char *content;
};

struct llm_request {
	enum llm_task task;
	const struct llm_msg *msgs;
	size_t n_msgs;
	/* The untrusted material inside the prompt (the fenced sources, or the
	 * written entries for an assessment), as plain text: for extractive.
	 * Format (written by brief/prompt.c, read by llm/extractive.c):
	 * blank-line separated records, each a header line then "Key: value"
	 * lines (one line per value):
	 *   STORY:      "Source N" / Feed / Title / Link / Published / Text
	 *   ASSESSMENT, TAGLINE: "Story N" / Section / Headline / Text /
	 *               Sources (a count) / Feeds (comma separated) */
	const char *data;
	int max_tokens;       /* 0 = backend default */
	float temperature;    /* < 0 = backend default */
	float top_p;          /* 0 = backend default */
	uint64_t seed;
};

struct llm_response {
	int err;              /* LLM_OK or an llm_err for this request alone */
	char *text;           /* the reply (malloc'd), NULL on error */
	char *error;          /* message when err != LLM_OK (malloc'd) */
	int prompt_tokens;    /* as counted by the backend, -1 unknown */
	int completion_tokens;
	double seconds;       /* wall time spent on this request */
};
void llm_response_clear(struct llm_response *r);

struct llm_config {
	const char *backend;  /* "engine", "openai", "extractive" */
	/* engine */
	const char *model_path;
	int threads;          /* 0 = all cores */
	int n_ctx;            /* 0 = model default, capped */
	int max_batch;        /* sequences decoded together, 0 = 16; 1 = one request
			       * at a time (for comparison: bench/generate.sh) */
	const char *device;   /* "auto" (or NULL), "cpu", "cuda" */
	uint64_t vram_budget; /* bytes of GPU memory to use, 0 = free memory less a margin */
	uint64_t ram_budget;  /* bytes of host RAM for streamed weights, 0 = no limit */
	const char *draft_path; /* a draft model for speculative decoding (same
				 * vocabulary, resident), NULL = none */
	int draft_k;          /* its tokens a round, 1..8; 0 = chosen as it runs */
	/* openai */
	const char *base_url; /* e.g. http://127.0.0.1:8080/v1 */
	const char *model;    /* model name sent to the server */
	const char *api_key_env; /* name of the env var holding the key, may be NULL */
	long timeout;         /* seconds per request, 0 = default (300) */
	int parallel;         /* concurrent requests to the server, 0 = 4 */
};

/* A size as the config writes one: "22G", "512M", "1.5g", "4096", "100K",
 * "2GiB", "2GB" (K/M/G/T are powers of 1024, case-insensitive, an optional
 * "i" and "B"; a bare number or "B" is bytes; a fraction needs a unit and
 * is rounded down to a byte). 0 and *out on success; -1 on junk, a negative
 * number, overflow or an empty string (*out untouched). */
int llm_size_parse(const char *s, uint64_t *out);
/* 0 when s names a device of the engine backend ("auto", "cpu", "cuda"). */
int llm_device_check(const char *s);

/* The cheap checks a backend's open would fail on, without opening it:
 * the backend is engine, openai or extractive (NULL/"" = extractive);
 * engine: a model file is named and is a readable regular file, the device
 * is known; openai: a base URL that starts with http:// or https://.
 * LLM_OK, else LLM_ERR_CONFIG or LLM_ERR_MODEL (the file) and *err (caller
 * frees) says what is wrong in words. llm_open runs it first. */
int llm_config_check(const struct llm_config *cfg, char **err);

struct llm;

/* Open a backend. On failure *out is NULL and *err (caller frees) says
 * why in words a user can act on.
 *
 * The engine backend keeps each model it loads for the whole process: a
 * second llm_open of the same file (same path, size and modification time)
 * shares the loaded model, and the engine context a closed handle used is
 * kept for the next one when its sizes and settings fit. A replaced file
 * is loaded again. Safe to call from several threads. */
int llm_open(const struct llm_config *cfg, struct llm **out, char **err);
/* Closes the handle; the engine backend keeps its model (see llm_open)
 * until llm_cache_clear. */
void llm_close(struct llm *l);
/* Frees the models and contexts the engine backend keeps that no open
 * handle uses (call it before exit, or to give the memory back). */
void llm_cache_clear(void);
const char *llm_backend(const struct llm *l);      /* "engine", ... */
const char *llm_model_name(const struct llm *l);   /* file name / server model / "extractive" */
const char *llm_model_hash(const struct llm *l);   /* hex digest identifying the weights, or "" */

/* Progress while a batch runs: request index, the piece just produced
 * (may be ""), tokens generated so far in the batch. piece NULL: request
 * index has ended (done, failed or cancelled) — reported exactly once for
 * every request of the batch, last for that request. */
typedef void (*llm_progress_cb)(void *ctx, size_t index, const char *piece, size_t tokens_total);

/* Run n requests. The engine backend decodes them together (one weight pass
 * per step for all); openai runs up to `parallel` at once; extractive is
 * immediate. out[i] is filled for every i (per-request errors in out[i].err).
 * Returns LLM_OK when the batch ran (even if some requests failed), else
 * an error for the whole batch. cancel may be NULL. */
int llm_complete(struct llm *l, const struct llm_request *reqs, size_t n,
		 struct llm_response *out, llm_progress_cb cb, void *ctx,
		 volatile int *cancel);

/* What the work cost: the engine's weight passes (one pass = every layer's
 * weights once through the compute device, however many tokens it
 * carries). Zeros and "" for the openai and extractive backends, and
 * before anything ran. */
struct llm_stats {
	uint64_t passes;          /* weight passes */
	uint64_t tokens;          /* tokens carried by them: prompt tokens fed + tokens decoded */
	uint64_t prefill_tokens;  /* of which prompt tokens (chat template markers included) */
	double prefill_seconds;   /* wall time in passes holding prompt tokens */
	double decode_seconds;    /* wall time in the other passes */
	double wait_seconds;      /* of both, time the compute waited for streamed weights */
	uint64_t bytes_streamed;  /* weight bytes read from host RAM or the file (not resident) */
	char device[16];          /* where the passes ran: "cpu", "cuda"; "" when none did */
	/* speculative decoding (zeros without a draft model): the rounds (one
	 * pass of the model each, verifying every running sequence's draft
	 * tokens), draft tokens proposed and kept, tokens the rounds made */
	char draft[128];          /* the draft model's file name, "" without one */
	uint64_t spec_rounds, spec_drafted, spec_accepted, spec_tokens;
};
enum llm_stats_scope {
	LLM_STATS_LAST = 0,       /* the last llm_complete call that ran requests */
	LLM_STATS_TOTAL,          /* every call since llm_open */
};
/* Fills *out; LLM_ERR_CONFIG for a NULL argument or an unknown scope. */
int llm_stats(const struct llm *l, enum llm_stats_scope scope, struct llm_stats *out);

#endif
