/* briefing generate [--edition morning|evening|auto] [--backend B] [--model FILE]
 *                   [--since WHEN] [--style S] [--dry-run] [--quiet] [--verbose]
 *
 * Writes one briefing from the items since the previous one and stores it.
 * The language model comes from --backend/--model, else [llm] in the config
 * (backend, model, base_url, model_name, api_key_env, threads, ctx,
 * timeout, parallel, batch, device, vram_budget, ram_budget), else the
 * extractive backend (no model). --verbose (or the global -v) ends with
 * what the engine's weight passes cost.
 * Exit: 0 stored (or the plan printed), 1 the model failed, 2 usage,
 * 3 database/config/prompt unusable, 4 nothing to write, 5 another
 * generate is running, 130 interrupted. Nothing is stored unless 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "brief/brief.h"
#include "cli/cli_int.h"
#include "store/store.h"
#include "util/util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: briefing generate [--edition morning|evening|auto] [--style S]\n"
		"                         [--backend engine|openai|extractive] [--model FILE|NAME]\n"
		"                         [--base-url URL] [--since WHEN] [--dry-run [--explain]]\n"
		"                         [--quiet] [--verbose]\n"
		"Writes a briefing from the items since the previous one (else the last 12 hours)\n"
		"and stores it; read it with 'briefing export latest'.\n"
		"Styles: secretary (default), digest, insights, or your own in\n"
		"  $XDG_CONFIG_HOME/briefing/styles/NAME/.\n"
		"WHEN: 30m, 6h, 2d, today, yesterday, or an ISO date/time.\n"
		"--explain (a dry run) also lists every item in the window: its section score,\n"
		"  the keywords that counted, and its story or why it was left out.\n"
		"--verbose ends with the engine's weight passes, tokens, prefill and decode\n"
		"  seconds and device.\n"
		"Exit status: 0 stored, 1 the model failed, 2 usage, 3 database/config/prompts,\n"
		"  4 nothing relevant in the window, 5 another generate is running, 130 interrupted.\n");
}

static volatile int cancel_flag;

static void on_signal(int sig)
{
	(void)sig;
	cancel_flag = 1;
}

struct progress {
	int tty, quiet, shown;
	double last;
};

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void clear_line(struct progress *pr)
{
	if (pr->shown) {
		fputs("\r\033[K", stderr);
		pr->shown = 0;
	}
}

static void on_progress(void *ctx, const struct brief_progress *p)
{
	struct progress *pr = ctx;
	double t = mono_now();

	if (!pr->tty || pr->quiet)
		return;
	if (pr->shown && t - pr->last < 0.1 && p->done != p->total)
		return;
	pr->last = t;
	if (p->total)
		fprintf(stderr, "\r\033[Kgenerate: %s %zu/%zu stories, %zu tokens, %.1f tok/s",
			p->stage, p->done, p->total, p->tokens, p->tok_per_s);
	else
		fprintf(stderr, "\r\033[Kgenerate: %s", p->stage);
	pr->shown = 1;
	fflush(stderr);
}

/* --verbose: what the stored briefing's weight passes cost (the engine
 * backend; other backends run none). */
static void print_passes(struct store *st, int64_t id)
{
	struct store_briefing b;
	if (store_briefing_get(st, id, &b) != STORE_OK)
		return;
	if (b.passes > 0) {
		fprintf(stderr, "engine: %lld weight passes for %lld tokens (%lld prompt + %lld decoded;"
			" %.2f a pass); prefill %.1f s, decode %.1f s",
			(long long)b.passes, (long long)b.pass_tokens, (long long)b.prefill_tokens,
			(long long)(b.pass_tokens - b.prefill_tokens),
			(double)b.pass_tokens / (double)b.passes, b.seconds_prefill, b.seconds_decode);
		if (b.bytes_streamed > 0)
			fprintf(stderr, "; streamed %.2f GiB, waited %.1f s",
				(double)b.bytes_streamed / (1024.0 * 1024 * 1024), b.seconds_wait);
		fprintf(stderr, "; device %s\n", b.device ? b.device : "?");
		if (b.draft_model && b.spec_rounds > 0)
			fprintf(stderr, "speculative: draft %s; %lld of %lld draft tokens accepted "
				"(%.0f%%), %lld tokens in %lld verify passes (%.2f a pass), %lld "
				"passes saved\n", b.draft_model, (long long)b.spec_accepted,
				(long long)b.spec_drafted,
				b.spec_drafted ? 100.0 * b.spec_accepted / b.spec_drafted : 0.0,
				(long long)b.spec_tokens, (long long)b.spec_rounds,
				(double)b.spec_tokens / (double)b.spec_rounds,
				(long long)(b.spec_tokens - b.spec_rounds));
	} else {
		fprintf(stderr, "%s backend: no weight passes (%lld prompt and %lld completion tokens)\n",
			b.backend ? b.backend : "?", (long long)b.prompt_tokens,
			(long long)b.completion_tokens);
	}
	store_briefing_clear(&b);
}

char *cli_config_dir(const char *path)
{
	char *d = util_strdup(path);
	if (!d)
		return NULL;
	char *s = strrchr(d, '/');
	if (s == d)
		s[1] = '\0';
	else if (s)
		*s = '\0';
	else
		strcpy(d, ".");
	return d;
}

/* A size key of [llm] ("22G", "512M"): 0 when absent, -1 with *err when
 * unusable. */
static int config_size(const struct util_config *cfg, const char *key, uint64_t *out, char **err)
{
	const char *v = util_config_get(cfg, key);
	*out = 0;
	if (!v)
		return 0;
	if (llm_size_parse(v, out) || *out == 0) {
		*err = util_strfmt("config [llm] %s: '%.64s' is not a size (e.g. 512M, 22G)",
				   strchr(key, '.') + 1, v);
		return -1;
	}
	return 0;
}

const char *cli_generate_opts(const struct util_config *cfg, const char *backend,
			      const char *model, const char *base_url, struct brief_opts *o,
			      char **err)
{
	*err = NULL;
	const char *c_backend = util_config_get(cfg, "llm.backend");
	const char *c_model = util_config_get(cfg, "llm.model");
	const char *c_url = util_config_get(cfg, "llm.base_url");
	if (!backend)
		backend = c_backend;
	if (!backend) /* a configured model wins, else no model at all */
		backend = model || c_model ? "engine" : base_url || c_url ? "openai" : "extractive";
	o->llm.backend = backend;
	if (!strcmp(backend, "engine")) {
		o->llm.model_path = model ? model : c_model;
		o->llm.draft_path = util_config_get(cfg, "llm.draft");
		o->llm.draft_k = (int)util_config_get_long(cfg, "llm.draft_k", 0);
	} else if (!strcmp(backend, "openai")) {
		o->llm.base_url = base_url ? base_url : c_url;
		o->llm.model = model ? model : util_config_get(cfg, "llm.model_name");
		if (!o->llm.model)
			o->llm.model = c_model;
		o->llm.api_key_env = util_config_get(cfg, "llm.api_key_env");
	}
	o->llm.threads = (int)util_config_get_long(cfg, "llm.threads", 0);
	o->llm.n_ctx = (int)util_config_get_long(cfg, "llm.ctx", 0);
	o->llm.timeout = util_config_get_long(cfg, "llm.timeout", 0);
	o->llm.parallel = (int)util_config_get_long(cfg, "llm.parallel", 0);
	o->llm.max_batch = (int)util_config_get_long(cfg, "llm.batch", 0);
	o->llm.device = util_config_get(cfg, "llm.device");
	if (o->llm.device && llm_device_check(o->llm.device)) {
		*err = util_strfmt("config [llm] device: '%.64s' is not auto, cpu or cuda",
				   o->llm.device);
		return NULL;
	}
	if (config_size(cfg, "llm.vram_budget", &o->llm.vram_budget, err) ||
	    config_size(cfg, "llm.ram_budget", &o->llm.ram_budget, err))
		return NULL;
	if (!o->style)
		o->style = util_config_get(cfg, "briefing.style");
	o->cfg = cfg;
	return backend;
}

int cli_generate_main(const struct cli_global *g, int argc, char **argv)
{
	struct brief_opts o = { 0 };
	struct util_config *cfg = NULL;
	struct store *st = NULL;
	const char *since = NULL, *backend = NULL, *model = NULL, *base_url = NULL;
	char *cfg_path = NULL, *cfg_dir = NULL, *plan = NULL, *err = NULL;
	int quiet = g->quiet, verbose = g->verbose, bad = 0, rc;
	int64_t id = 0;

	for (int i = 1; i < argc; i++) {
		const char *v;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return CLI_EXIT_OK;
		} else if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n")) {
			o.dry_run = 1;
		} else if (!strcmp(argv[i], "--explain")) {
			o.explain = o.dry_run = 1;   /* a plan, nothing written */
		} else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
			quiet = 1;
		} else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
			verbose = 1;
		} else if ((v = cli_opt_value(argc, argv, &i, "--edition", &bad))) {
			o.edition = v;
		} else if ((v = cli_opt_value(argc, argv, &i, "--style", &bad))) {
			o.style = v;
		} else if ((v = cli_opt_value(argc, argv, &i, "--backend", &bad))) {
			backend = v;
		} else if ((v = cli_opt_value(argc, argv, &i, "--model", &bad))) {
			model = v;
		} else if ((v = cli_opt_value(argc, argv, &i, "--base-url", &bad))) {
			base_url = v;
		} else if ((v = cli_opt_value(argc, argv, &i, "--since", &bad))) {
			since = v;
		} else if (!bad) {
			fprintf(stderr, "briefing: generate: unknown argument '%s'\n", argv[i]);
			bad = 1;
		}
		if (bad) {
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (o.edition && strcmp(o.edition, "morning") && strcmp(o.edition, "evening") &&
	    strcmp(o.edition, "auto")) {
		fprintf(stderr, "briefing: --edition must be morning, evening or auto\n");
		return CLI_EXIT_USAGE;
	}
	if (backend && strcmp(backend, "engine") && strcmp(backend, "openai") &&
	    strcmp(backend, "extractive")) {
		fprintf(stderr, "briefing: --backend must be engine, openai or extractive\n");
		return CLI_EXIT_USAGE;
	}
	o.now = util_time_now();
	if (since && util_time_parse_since(since, o.now, &o.since) != 0) {
		fprintf(stderr, "briefing: --since: cannot read '%s' as a time\n", since);
		return CLI_EXIT_USAGE;
	}

	/* the config: [llm] and the directory for prompts/ and styles/ */
	cfg_path = g->config_path ? util_strdup(g->config_path) : util_path_config("config");
	if (cfg_path) {
		if (util_config_load(cfg_path, &cfg, &err) != 0) {
			fprintf(stderr, "briefing: %s\n", err ? err : cfg_path);
			free(err);
			free(cfg_path);
			return CLI_EXIT_IO;
		}
		cfg_dir = cli_config_dir(cfg_path);
	}
	backend = cli_generate_opts(cfg, backend, model, base_url, &o, &err);
	if (!backend) {
		fprintf(stderr, "briefing: %s\n", err ? err : "out of memory");
		rc = CLI_EXIT_IO;
		goto out;
	}
	/* a backend or model that cannot be used is said now, not after the
	 * stories are chosen (and not masked by "nothing to write") */
	if (!o.dry_run && llm_config_check(&o.llm, &err) != LLM_OK) {
		fprintf(stderr, "briefing: %s\n", err ? err : "unusable [llm] settings");
		rc = CLI_EXIT_IO;
		goto out;
	}
	o.config_dir = cfg_dir;
	o.cancel = &cancel_flag;

	if ((rc = cli_store_open(g, &st)) != CLI_EXIT_OK)
		goto out;

	struct sigaction sa = { 0 }, old_int, old_term;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	struct progress pr = { .tty = isatty(STDERR_FILENO), .quiet = quiet };
	int brc = brief_generate(st, &o, on_progress, &pr, &id, &plan, &err);
	clear_line(&pr);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);

	if (o.dry_run && plan)
		cli_print_safe(stdout, plan);
	switch (brc) {
	case BRIEF_OK:
		rc = CLI_EXIT_OK;
		if (!o.dry_run && !quiet) {
			fprintf(stderr, "briefing: stored briefing %lld (%s backend); read it with "
				"'briefing export %lld'\n", (long long)id, backend, (long long)id);
		}
		if (!o.dry_run && verbose)
			print_passes(st, id);
		break;
	case BRIEF_ERR_EMPTY:
		rc = CLI_EXIT_EMPTY;
		fprintf(stderr, "briefing: nothing to write: %s\n", err ? err : brief_strerror(brc));
		break;
	case BRIEF_ERR_LOCKED:
		rc = CLI_EXIT_LOCKED;
		fprintf(stderr, "briefing: %s\n", err ? err : brief_strerror(brc));
		break;
	case BRIEF_ERR_CANCELLED:
		rc = CLI_EXIT_INTERRUPTED;
		fprintf(stderr, "briefing: interrupted; nothing was stored\n");
		break;
	case BRIEF_ERR_LLM:
		rc = CLI_EXIT_FAIL;
		fprintf(stderr, "briefing: %s; nothing was stored\n", err ? err : brief_strerror(brc));
		break;
	case BRIEF_ERR_ARG:
		rc = CLI_EXIT_USAGE;
		fprintf(stderr, "briefing: %s\n", err ? err : brief_strerror(brc));
		break;
	default:
		rc = CLI_EXIT_IO;
		fprintf(stderr, "briefing: %s; nothing was stored\n", err ? err : brief_strerror(brc));
	}
out:
	llm_cache_clear();     /* the model stays loaded no longer than the command */
	free(plan);
	free(err);
	store_close(st);
	util_config_free(cfg);
	free(cfg_path);
	free(cfg_dir);
	return rc;
}
