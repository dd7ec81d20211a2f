/* brief — from archived items to a written briefing: select the window,
 * score items against sections, cluster them into stories, rank, write
 * through the llm interface, check faithfulness, store with provenance,
 * render (markdown, text, JSON). The CLI and the UI call only this header.
 * Nothing here prints or exits. */
#ifndef BRIEFING_BRIEF_H
#define BRIEFING_BRIEF_H

#include <stddef.h>
#include <stdint.h>

#include "llm/llm.h"

struct store;
struct util_config;

enum brief_err {
	BRIEF_OK = 0,
	BRIEF_ERR_NOMEM,
	BRIEF_ERR_CONFIG,     /* sections.conf, a prompt template or a style is unusable */
	BRIEF_ERR_STORE,
	BRIEF_ERR_LLM,        /* the backend could not be opened or the whole batch failed */
	BRIEF_ERR_EMPTY,      /* no relevant items in the window */
	BRIEF_ERR_LOCKED,     /* another generate is running */
	BRIEF_ERR_NOT_FOUND,  /* no such briefing */
	BRIEF_ERR_CANCELLED,
	BRIEF_ERR_ARG,
};
const char *brief_strerror(int err);

struct brief_opts {
	const char *edition;      /* "morning", "evening", "auto" (NULL = auto: local time) */
	int64_t now;              /* 0 = util_time_now() */
	int64_t since;            /* 0 = since the previous briefing (either edition), else 12 h */
	const char *style;        /* "secretary" (NULL = default), "digest", "insights", or a user style */
	struct llm_config llm;    /* backend, model, server */
	int dry_run;              /* select, cluster, rank: fill the plan, write nothing, run no model */
	const struct util_config *cfg; /* may be NULL */
	const char *config_dir;   /* user overrides (prompts/, styles/, sections.conf); NULL = none */
	const char *data_dir;     /* where bundled prompts/ and feeds/sections.conf live; NULL = built in */
	volatile int *cancel;
};

struct brief_progress {
	const char *stage;        /* "select", "cluster", "write", "assess", "check", "store" */
	size_t done, total;       /* stories written / to write */
	size_t tokens;            /* generated so far */
	double tok_per_s;
};
typedef void (*brief_progress_cb)(void *ctx, const struct brief_progress *p);

/* Generate one briefing and store it. *id gets its id (0 with dry_run).
 * On error *err (caller frees) says what went wrong; nothing half-written
 * remains in the store. plan (may be NULL) receives a human-readable plan
 * (sections, stories, sources) the caller frees — what --dry-run prints. */
int brief_generate(struct store *st, const struct brief_opts *o, brief_progress_cb cb,
		   void *ctx, int64_t *id, char **plan, char **err);

enum brief_format { BRIEF_FMT_MD, BRIEF_FMT_TXT, BRIEF_FMT_JSON };
/* Render stored briefing id (0 = the latest). *out caller frees. */
int brief_render(struct store *st, int64_t id, enum brief_format f, char **out, char **err);

#endif
