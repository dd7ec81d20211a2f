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
	int explain;              /* the plan also lists every item in the window: its score, the
				   * terms that counted, its story or why it was left out */
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

/* ---- a briefing as a document (render.c) ----------------------------------
 * The blocks of one stored briefing in reading order. The layout stored with
 * the briefing (sections, digest, insights) decides the masthead, headings,
 * numbering, the shortlist and the references; the exporter (markdown, text)
 * and the reader both draw these blocks, so every style looks the same in
 * both. Text points into the briefing or into the document: valid while
 * both live. */
enum brief_blk {
	BRIEF_BLK_TITLE,      /* the masthead */
	BRIEF_BLK_DATE,       /* the date line */
	BRIEF_BLK_TAGLINE,
	BRIEF_BLK_NOTE,       /* how it was written (the extractive edition) */
	BRIEF_BLK_HEADING,    /* a section: emoji (or NULL) and text */
	BRIEF_BLK_ENTRY,      /* an entry's headline: num > 0 numbers it; depth 2 or 3 */
	BRIEF_BLK_FLAG,       /* text: why the entry (or, story -1, the assessment) is unverified */
	BRIEF_BLK_TEXT,       /* paragraphs, "- " lists, "Unpacked:", "Bottom line:" */
	BRIEF_BLK_LIST,       /* one line of the digest's contents */
	BRIEF_BLK_READ_MORE,  /* url: the entry's lead source */
	BRIEF_BLK_ALSO,       /* one of the entry's other sources: text "Feed — title", url */
	BRIEF_BLK_SHORT,      /* a shortlist line: text headline, detail, url, why */
	BRIEF_BLK_BOTTOM,     /* the bottom line */
	BRIEF_BLK_REFERENCE,  /* one source of the whole briefing: text, url */
	BRIEF_BLK_FOOTER,     /* provenance */
};

struct brief_block {
	enum brief_blk kind;
	int story;            /* index into the briefing's stories, -1 = none */
	int num;              /* ENTRY: its number (insights), 0 = none */
	int depth;            /* HEADING 2; ENTRY 2, or 3 under a section heading */
	const char *emoji;    /* HEADING: NULL = none */
	const char *text;
	const char *detail;   /* SHORT: the one-line text */
	const char *url;      /* READ_MORE, ALSO, SHORT, REFERENCE; NULL = none */
	const char *why;      /* ENTRY, SHORT: why it is unverified, NULL = it passed */
};

struct brief_doc {
	struct brief_block *blk;
	size_t n, cap;
	char **owned;         /* strings made for the document */
	size_t n_owned, cap_owned;
};

/* ---- the archive by section (select.c) ---------------------------------- */
struct store_item;
struct brief_group {
	char *name;           /* the section's name and emoji (owned) */
	char *emoji;
	struct store_item *items; /* newest first (owned) */
	size_t n;
};
/* Load sections.conf and lexicon.conf the way generate does (config_dir's
 * own, else the bundled ones): BRIEF_OK with *summary ("5 sections, 250
 * keywords, 300 entities, 120 off-topic words"), else the error in *err
 * ("path:line: message"). Caller frees both. */
int brief_sections_check(const char *config_dir, char **summary, char **err);
/* Items published in [since, until) placed in their best section, as a
 * briefing would place them (sections.conf from config_dir, else the
 * bundled one): the sections in their order, each with its items newest
 * first, empty sections left out; off-topic items are not listed. On error
 * *err (caller frees) says why. Free with brief_groups_free. */
int brief_group_by_section(struct store *st, const char *config_dir, int64_t since,
			   int64_t until, struct brief_group **out, size_t *n, char **err);
void brief_groups_free(struct brief_group *g, size_t n);

struct store_briefing;
/* Lay out b (read with store_briefing_get) as blocks. BRIEF_OK or
 * BRIEF_ERR_NOMEM; free with brief_doc_free either way. */
int brief_doc_build(const struct store_briefing *b, struct brief_doc *d);
void brief_doc_free(struct brief_doc *d);
/* Render stored briefing id (0 = the latest). *out caller frees. */
int brief_render(struct store *st, int64_t id, enum brief_format f, char **out, char **err);

#endif
