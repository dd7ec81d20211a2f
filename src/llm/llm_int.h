/* llm_int.h — what the backends share inside src/llm (not public). */
#ifndef BRIEFING_LLM_INT_H
#define BRIEFING_LLM_INT_H

#include <stdarg.h>

#include "llm/llm.h"

struct llm_ops {
	int (*complete)(struct llm *l, const struct llm_request *reqs, size_t n,
			struct llm_response *out, llm_progress_cb cb, void *ctx,
			volatile int *cancel);
	void (*close)(struct llm *l);
	/* may be NULL: no passes to report (llm_stats gives zeros) */
	void (*stats)(const struct llm *l, enum llm_stats_scope scope, struct llm_stats *out);
};

struct llm {
	const char *backend;      /* static string */
	char *model_name;         /* owned */
	char model_hash[65];      /* hex or "" */
	const struct llm_ops *ops;
	void *impl;               /* backend state, freed by ops->close */
};

/* Backend constructors: fill l->ops, l->impl, l->model_name, l->model_hash.
 * On failure return an llm_err and set *err (malloc'd message). */
int llm_extractive_open(struct llm *l, const struct llm_config *cfg, char **err);
int llm_openai_open(struct llm *l, const struct llm_config *cfg, char **err);
int llm_engine_open(struct llm *l, const struct llm_config *cfg, char **err);
/* The engine backend's process-wide model cache (engine.c). */
void llm_engine_cache_clear(void);
/* For tests: how many times the engine backend has loaded a model file in
 * this process (a cached model is not counted again). */
unsigned long llm_engine_loads(void);

/* Sets r->err and r->error (formatted); frees any text. */
void llm_response_fail(struct llm_response *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The extractive tasks on their own (used by the extractive backend and
 * by tests). Return a malloc'd reply, NULL on allocation failure. */
char *llm_extract_story(const char *data);
char *llm_extract_assessment(const char *data);
char *llm_extract_tagline(const char *data);

/* ---- json.c: a small, bounded JSON reader ---------------------------------
 * Parses a whole document into a tree (nesting limited to 64 levels).
 * Strings are unescaped (\uXXXX incl. surrogate pairs; lone surrogates
 * become U+FFFD) into malloc'd NUL-terminated UTF-8 (embedded NULs become
 * U+FFFD too). */
enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json {
	enum json_type type;
	double num;           /* JSON_NUM, JSON_BOOL (0/1) */
	char *str;            /* JSON_STR */
	size_t len;           /* JSON_STR bytes; JSON_ARR/OBJ number of children */
	struct json *kids;    /* JSON_ARR/OBJ children (array of len) */
	char **keys;          /* JSON_OBJ keys (array of len) */
};

/* Returns NULL on malformed input or allocation failure. Free with json_free. */
struct json *json_parse(const char *s, size_t n);
void json_free(struct json *j);
/* Object member by key (first match), NULL if absent or j not an object. */
const struct json *json_get(const struct json *j, const char *key);
/* Array element, NULL if out of range or j not an array. */
const struct json *json_at(const struct json *j, size_t i);
/* The string of a JSON_STR, else NULL. */
const char *json_str(const struct json *j);

#endif
