/* cli internals shared by the subcommand files. */
#ifndef BRIEFING_CLI_INT_H
#define BRIEFING_CLI_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"

struct store;

/* Open the database (--db, else $XDG_DATA_HOME/briefing/briefing.db). On the
 * very first open the bundled feeds/default.opml is imported. Prints its own
 * error; returns a CLI_EXIT_* code (CLI_EXIT_OK and *st set on success). */
int cli_store_open(const struct cli_global *g, struct store **st);

/* Import OPML text into the store. *added / *existing / *skipped counted
 * (may be NULL). Outlines whose URL feed_url_refusal refuses (file:// too:
 * the list may come from anyone) are skipped, each said on stderr with its
 * reason, as is a list read only in part. Returns 0, or -1 with *err set
 * (caller frees). */
int cli_import_opml(struct store *st, const char *buf, size_t len,
		    size_t *added, size_t *existing, size_t *skipped, char **err);

/* The bundled default feed list (feeds/default.opml), NUL-terminated. */
extern const char cli_default_opml[];
size_t cli_default_opml_len(void);

/* Resolve a FEED argument (numeric id or URL) to an id. Prints its own
 * error; returns CLI_EXIT_OK or CLI_EXIT_USAGE. */
int cli_feed_resolve(struct store *st, const char *arg, int64_t *id);

/* Print s to f with every control character and escape sequence removed
 * (untrusted text from feeds). */
void cli_print_safe(FILE *f, const char *s);

/* Write s as a JSON string literal (null for NULL). */
void cli_json_string(FILE *f, const char *s);

/* Simple option helpers: is arg "--name" or "--name=value"? Returns the
 * value (from argv[*i+1] or after '='), advancing *i; NULL if not this
 * option. Prints an error and sets *bad when the value is missing. */
const char *cli_opt_value(int argc, char **argv, int *i, const char *name, int *bad);

struct brief_opts;
struct util_config;
struct feed_fetch_opts;

/* [fetch] of cfg (jobs, per_host, timeout, connect_timeout, max_body,
 * user_agent) over the values already in *fo; cfg may be NULL. The one
 * validation fetch, the reader and doctor share: 0, or -1 with *err
 * (caller frees) naming the key, its value and the range. user_agent is
 * borrowed from cfg. */
/* [schedule] morning and evening of cfg, when set, are HH:MM times: 0, or
 * -1 with *err (caller frees). */
int cli_schedule_check(const struct util_config *cfg, char **err);

int cli_fetch_config(const struct util_config *cfg, struct feed_fetch_opts *fo, char **err);

/* The model and style parts of a briefing's options: backend, model (file
 * or name), base_url from the command line (each may be NULL), else [llm]
 * of cfg (backend, model, base_url, model_name, api_key_env, threads, ctx,
 * timeout, parallel, batch, device, vram_budget, ram_budget), else the
 * extractive backend; style from [briefing] style unless o->style is set;
 * o->cfg = cfg. Strings are borrowed from the arguments and cfg. Returns
 * the backend chosen, or NULL when a value in [llm] is unusable (*err,
 * caller frees, names the key). */
const char *cli_generate_opts(const struct util_config *cfg, const char *backend,
			      const char *model, const char *base_url, struct brief_opts *o,
			      char **err);

/* The directory of the config file at path (where prompts/, styles/ and
 * sections.conf may override the bundled ones). Caller frees; NULL ENOMEM. */
char *cli_config_dir(const char *path);

#endif
