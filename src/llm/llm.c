/* llm.c — backend dispatch, errors, responses, statistics, the size parser. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "llm/llm_int.h"
#include "util/util.h"

const char *llm_strerror(int err)
{
	switch (err) {
	case LLM_OK: return "success";
	case LLM_ERR_NOMEM: return "out of memory";
	case LLM_ERR_CONFIG: return "LLM configuration error";
	case LLM_ERR_MODEL: return "the model file cannot be loaded";
	case LLM_ERR_CONNECT: return "cannot reach the LLM server (or the connection dropped)";
	case LLM_ERR_HTTP: return "the LLM server returned an HTTP error";
	case LLM_ERR_PROTOCOL: return "the LLM server's reply cannot be read";
	case LLM_ERR_TIMEOUT: return "the LLM request timed out";
	case LLM_ERR_CONTEXT: return "the prompt does not fit the model's context";
	case LLM_ERR_CANCELLED: return "cancelled";
	case LLM_ERR_GENERATE: return "the engine failed during generation";
	}
	return "unknown LLM error";
}

void llm_response_clear(struct llm_response *r)
{
	if (!r)
		return;
	free(r->text);
	free(r->error);
	memset(r, 0, sizeof *r);
	r->prompt_tokens = r->completion_tokens = -1;
}

void llm_response_fail(struct llm_response *r, int err, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	free(r->text);
	r->text = NULL;
	free(r->error);
	r->error = util_strdup(msg);
	r->err = err;
}

int llm_open(const struct llm_config *cfg, struct llm **out, char **err)
{
	static const struct {
		const char *name;
		int (*open)(struct llm *, const struct llm_config *, char **);
	} backends[] = {
		{ "engine", llm_engine_open },
		{ "openai", llm_openai_open },
		{ "extractive", llm_extractive_open },
	};
	const char *name;

	*out = NULL;
	if (err)
		*err = NULL;
	if (!cfg) {
		if (err)
			*err = util_strdup("no LLM configuration given");
		return LLM_ERR_CONFIG;
	}
	int crc = llm_config_check(cfg, err);
	if (crc != LLM_OK)
		return crc;
	name = cfg->backend && *cfg->backend ? cfg->backend : "extractive";
	for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
		if (strcmp(name, backends[i].name))
			continue;
		struct llm *l = calloc(1, sizeof *l);
		char *msg = NULL;
		if (!l) {
			if (err)
				*err = util_strdup("out of memory");
			return LLM_ERR_NOMEM;
		}
		l->backend = backends[i].name;
		int rc = backends[i].open(l, cfg, &msg);
		if (rc != LLM_OK) {
			if (l->ops && l->ops->close)
				l->ops->close(l);
			free(l->model_name);
			free(l);
			if (err)
				*err = msg ? msg : util_strdup(llm_strerror(rc));
			else
				free(msg);
			return rc;
		}
		free(msg);
		*out = l;
		return LLM_OK;
	}
	return LLM_ERR_CONFIG;   /* llm_config_check knows every backend */
}

int llm_config_check(const struct llm_config *cfg, char **err)
{
	const char *name = cfg->backend && *cfg->backend ? cfg->backend : "extractive";
	char *msg = NULL;
	int rc = LLM_OK;

	if (!strcmp(name, "engine")) {
		struct stat sb;
		if (!cfg->model_path || !*cfg->model_path) {
			msg = util_strdup("engine backend needs a model file (config [llm] model or --model)");
			rc = LLM_ERR_CONFIG;
		} else if (cfg->device && *cfg->device && llm_device_check(cfg->device)) {
			msg = util_strfmt("device '%.32s' unknown: choose auto, cpu or cuda", cfg->device);
			rc = LLM_ERR_CONFIG;
		} else if (stat(cfg->model_path, &sb) != 0 || access(cfg->model_path, R_OK) != 0) {
			msg = util_strfmt("cannot load the model '%s': %s", cfg->model_path, strerror(errno));
			rc = LLM_ERR_MODEL;
		} else if (!S_ISREG(sb.st_mode)) {
			msg = util_strfmt("cannot load the model '%s': not a regular file", cfg->model_path);
			rc = LLM_ERR_MODEL;
		} else if (cfg->draft_path && *cfg->draft_path &&
			   (stat(cfg->draft_path, &sb) != 0 || access(cfg->draft_path, R_OK) != 0)) {
			msg = util_strfmt("cannot load the draft model '%s': %s", cfg->draft_path,
					  strerror(errno));
			rc = LLM_ERR_MODEL;
		} else if (cfg->draft_path && *cfg->draft_path && !S_ISREG(sb.st_mode)) {
			msg = util_strfmt("cannot load the draft model '%s': not a regular file",
					  cfg->draft_path);
			rc = LLM_ERR_MODEL;
		} else if (cfg->draft_k < 0 || cfg->draft_k > 8) {
			msg = util_strfmt("draft_k %d: choose 1 to 8, or 0 to have it chosen as it runs",
					  cfg->draft_k);
			rc = LLM_ERR_CONFIG;
		}
	} else if (!strcmp(name, "openai")) {
		if (!cfg->base_url || !*cfg->base_url) {
			msg = util_strdup("openai backend needs a base URL (config [llm] base_url or --base-url)");
			rc = LLM_ERR_CONFIG;
		} else if (strncmp(cfg->base_url, "http://", 7) && strncmp(cfg->base_url, "https://", 8)) {
			msg = util_strfmt("openai base URL '%.200s' must start with http:// or https://",
					  cfg->base_url);
			rc = LLM_ERR_CONFIG;
		}
	} else if (strcmp(name, "extractive")) {
		msg = util_strfmt("backend '%.64s' unknown: choose engine, openai or extractive", name);
		rc = LLM_ERR_CONFIG;
	}
	if (err)
		*err = msg;
	else
		free(msg);
	return rc;
}

void llm_close(struct llm *l)
{
	if (!l)
		return;
	if (l->ops && l->ops->close)
		l->ops->close(l);
	free(l->model_name);
	free(l);
}

const char *llm_backend(const struct llm *l)
{
	return l ? l->backend : "";
}

const char *llm_model_name(const struct llm *l)
{
	return l && l->model_name ? l->model_name : "";
}

const char *llm_model_hash(const struct llm *l)
{
	return l ? l->model_hash : "";
}

/* Between a backend and the caller's progress callback: every request's
 * end is passed on exactly once, also for requests the backend never
 * started (a prompt too long, a batch that failed). */
struct ends {
	llm_progress_cb cb;
	void *ctx;
	unsigned char *ended;
	size_t n, tokens;
};

static void ends_cb(void *ctx, size_t index, const char *piece, size_t tokens_total)
{
	struct ends *e = ctx;
	e->tokens = tokens_total;
	if (!piece) {
		if (index >= e->n || e->ended[index])
			return;
		e->ended[index] = 1;
	}
	e->cb(e->ctx, index, piece, tokens_total);
}

int llm_complete(struct llm *l, const struct llm_request *reqs, size_t n,
		 struct llm_response *out, llm_progress_cb cb, void *ctx,
		 volatile int *cancel)
{
	if (!l || (n && (!reqs || !out)))
		return LLM_ERR_CONFIG;
	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof out[i]);
		out[i].prompt_tokens = out[i].completion_tokens = -1;
	}
	if (n == 0)
		return LLM_OK;
	if (cancel && *cancel) {
		for (size_t i = 0; i < n; i++)
			llm_response_fail(&out[i], LLM_ERR_CANCELLED, "cancelled");
		return LLM_ERR_CANCELLED;
	}
	if (!cb)
		return l->ops->complete(l, reqs, n, out, NULL, NULL, cancel);
	struct ends e = { cb, ctx, calloc(n, 1), n, 0 };
	if (!e.ended) {
		for (size_t i = 0; i < n; i++)
			llm_response_fail(&out[i], LLM_ERR_NOMEM, "out of memory");
		return LLM_ERR_NOMEM;
	}
	int rc = l->ops->complete(l, reqs, n, out, ends_cb, &e, cancel);
	for (size_t i = 0; i < n; i++)
		if (!e.ended[i])
			ends_cb(&e, i, NULL, e.tokens);
	free(e.ended);
	return rc;
}

int llm_stats(const struct llm *l, enum llm_stats_scope scope, struct llm_stats *out)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (!l || !out || (scope != LLM_STATS_LAST && scope != LLM_STATS_TOTAL))
		return LLM_ERR_CONFIG;
	if (l->ops && l->ops->stats)
		l->ops->stats(l, scope, out);
	return LLM_OK;
}

void llm_cache_clear(void)
{
	llm_engine_cache_clear();
}

int llm_device_check(const char *s)
{
	return s && (!strcmp(s, "auto") || !strcmp(s, "cpu") || !strcmp(s, "cuda")) ? 0 : -1;
}

int llm_size_parse(const char *s, uint64_t *out)
{
	return eng_size_parse(s, out);   /* the engine's parser: one syntax for flags and config */
}
