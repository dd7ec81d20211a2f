/* brief_write.h — the writing half's internals, shared by prompt.c,
 * generate.c, check.c and render.c (and their unit test). */
#ifndef BRIEFING_BRIEF_WRITE_H
#define BRIEFING_BRIEF_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "brief/brief_int.h"

struct util_buf;

/* ---- templates (prompt.c) ------------------------------------------------ */

/* The lines that fence untrusted feed text inside a prompt. */
#define BRIEF_FENCE_OPEN "<<<SOURCES"
#define BRIEF_FENCE_CLOSE "SOURCES>>>"

struct brief_var {
	const char *name;
	const char *value;
};

/* Expand {{name}} placeholders (spaces inside the braces allowed) in tpl
 * with vars, in one pass (values are never expanded again). A placeholder
 * not in vars, or an unclosed "{{", is BRIEF_ERR_CONFIG with *err (caller
 * frees) "<tpl_name>: unknown placeholder {{x}}". *out caller frees. */
int brief_template_expand(const char *tpl, const char *tpl_name, const struct brief_var *vars,
			  size_t n_vars, char **out, char **err);

enum brief_tpl { BRIEF_TPL_SYSTEM, BRIEF_TPL_STORY, BRIEF_TPL_SHORTLIST,
		 BRIEF_TPL_ASSESSMENT, BRIEF_TPL_TAGLINE, BRIEF_TPL_N };
const char *brief_tpl_file(enum brief_tpl t);        /* "system.txt", ... */

enum brief_layout {
	BRIEF_LAYOUT_SECTIONS,    /* secretary: entries under section headings */
	BRIEF_LAYOUT_DIGEST,      /* full entries, then a shortlist, then references */
	BRIEF_LAYOUT_INSIGHTS,    /* numbered insights, no sections */
};

/* "sections", "digest", "insights" (render.c) */
const char *brief_layout_name(enum brief_layout l);
/* 0 and *out set, or -1 when s names no layout */
int brief_layout_parse(const char *s, enum brief_layout *out);

/* A style: its template set and its layout. */
struct brief_style {
	char *name;
	enum brief_layout layout;
	size_t max_stories;       /* 0 = the sections.conf cap */
	size_t full;              /* digest: stories written in full, the rest go to the shortlist */
	char *tpl[BRIEF_TPL_N];   /* template text (owned) */
	char *origin[BRIEF_TPL_N];/* where it came from: a path or "built in" (owned) */
	char hash[BRIEF_TPL_N][17];
};

/* Load style name (NULL = "secretary"). Each template is looked up in
 *   <config_dir>/styles/<name>/<file>   (a user's style or override)
 *   <data_dir or built in>/prompts/<name>/<file>   (bundled digest, insights)
 *   <config_dir>/prompts/<file>          (a user's override of the default set)
 *   <data_dir or built in>/prompts/<file>
 * and the first found wins. A user style may hold style.conf (INI:
 * layout = sections|digest|insights, max_stories = N, full = N). An unknown
 * style (neither bundled nor in config_dir/styles/) is BRIEF_ERR_CONFIG. */
int brief_style_load(const char *name, const char *config_dir, const char *data_dir,
		     struct brief_style *out, char **err);
void brief_style_free(struct brief_style *s);
/* "system=HEX story=HEX ..." (caller frees). */
char *brief_style_hashes(const struct brief_style *s);

/* Copy s with every fence look-alike ("<<<", ">>>" and the fence words
 * after them) broken up so data can never close or reopen the fence, and
 * control characters removed. Caller frees. */
char *brief_neutralize(const char *s);
/* BRIEF_FENCE_OPEN "\n" neutralised data "\n" BRIEF_FENCE_CLOSE. Caller frees. */
char *brief_fence(const char *data);

/* The plain-text records handed to the model (see prompt.c for the
 * format): a story's sources, and the written entries. Caller frees. */
char *brief_sources_text(const struct brief_item *items, const struct brief_story *s);
struct brief_entry {
	const char *section;
	const char *headline;
	const char *body;
	size_t n_sources;
	const char *feeds;        /* "Chip Wire, Policy Desk" */
};
char *brief_entries_text(const struct brief_entry *e, size_t n);

/* ---- faithfulness (check.c) --------------------------------------------- */

/* The check's data: the common English words (data/check/common-words.txt)
 * and the aliases (data/check/aliases.conf, then config_dir/aliases.conf
 * when it exists, which adds groups). On error *err (caller frees) says
 * what and where; BRIEF_ERR_CONFIG or BRIEF_ERR_NOMEM. */
struct brief_check_data;
int brief_check_data_load(const char *config_dir, struct brief_check_data **out, char **err);
void brief_check_data_free(struct brief_check_data *d);

/* Check an entry (headline, body; either may be NULL) against the sources'
 * text (brief_check_sources): its numbers with what they count, its names,
 * its dates (see check.c for the rules). d NULL: the built-in data.
 * Returns 0 when it passes, 1 when it fails with *why (caller frees) in
 * words: 'the sources do not give "30 times" (a number) or Micron (a
 * name)'; -1 on ENOMEM. headline is checked as a title-case headline: its
 * words that are not common words are names. */
int brief_check_entry(const struct brief_check_data *d, const char *headline, const char *body,
		      const char *sources, char **why);
/* brief_check_entry of one text (headline: it is a headline), built-in
 * data. */
int brief_check_text(const char *text, const char *sources, int headline, char **why);
/* A line of sources that starts with this byte holds a publish time spelt
 * out: its numbers vouch only for a date in the text (a year, a day beside
 * a month's name, a time of day), never for a number ("cut output by 30%"
 * does not pass because an item was published at 02:30). */
#define BRIEF_CHECK_DATE_LINE '\x01'
/* What brief_check_text compares an entry with, from the sources text the
 * model was shown (brief_sources_text's format): its "Published:" and
 * "Link:" lines marked as date lines, and each publish time spelt out (the
 * weekday, the month's name) on a date line. Caller frees; NULL: ENOMEM. */
char *brief_check_sources(const char *shown);
/* Append the date line for t (UTC): "<mark>2026-02-21 Saturday February 21
 * 2026 14:30". Returns 0, or -1 when out of memory. */
int brief_check_date_line(struct util_buf *b, int64_t t);

/* ---- rendering (render.c) ----------------------------------------------- */

/* Render a briefing already read from the store. *out caller frees. */
int brief_render_briefing(const struct store_briefing *b, enum brief_format f, char **out);

#endif
