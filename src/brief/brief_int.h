/* brief internals: sections, selected items, stories. Shared by select.c,
 * cluster.c, rank.c (the "plan" half) and prompt.c, generate.c, check.c,
 * render.c (the "writing" half). */
#ifndef BRIEFING_BRIEF_INT_H
#define BRIEFING_BRIEF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "brief/brief.h"
#include "store/store.h"

struct brief_keyword {
	char *phrase;             /* lower-case word or phrase */
	double weight;
	int entity;               /* from the lexicon, not sections.conf */
};

struct brief_section {
	char *id;                 /* "chips" */
	char *name;               /* "Geopolitics & Chips" */
	char *emoji;              /* UTF-8, e.g. the globe */
	int order;
	struct brief_keyword *kw;
	size_t n_kw;
	char **feeds;             /* feed URL substrings or categories that lean here */
	size_t n_feeds;
	double feed_weight;
	size_t max_stories;       /* per-section cap */
	int catch_all;            /* where relevant news no section fits goes */
};

struct brief_sections {
	struct brief_section *s;
	size_t n;
	double min_score;         /* items below this are off-topic */
	size_t max_total;         /* total story cap (default 10) */
	double cluster_threshold; /* similarity above which two items are one story */
	double half_life_h;       /* recency half-life for ranking, hours (default 12) */
	double source_weight;     /* ranking bonus per extra source (default 0.5) */
	int catch_all;            /* index of the catch-all section (always one) */
	struct brief_keyword *off; /* lexicon [off-topic]: weight subtracted per hit */
	size_t n_off;
};

/* Load sections.conf (path NULL = the bundled feeds/sections.conf) and
 * apply the bundled lexicon to it. The sections come sorted by order (then
 * by position in the file). On error *err (caller frees) is "path:line:
 * message" and *out is left empty. The format is described at the top of
 * feeds/sections.conf. */
int brief_sections_load(const char *path, struct brief_sections *out, char **err);
/* Parse sections.conf text held in memory; name is used in messages. No
 * lexicon. When no section is marked catch_all, one is added ("Also in
 * the News", after the others). */
int brief_sections_parse(const char *text, size_t len, const char *name,
			 struct brief_sections *out, char **err);
/* config_dir/sections.conf when it exists (it replaces the bundled file
 * whole), else the bundled one; then the bundled lexicon and
 * config_dir/lexicon.conf when it exists (it adds to the bundled one).
 * config_dir may be NULL. */
int brief_sections_load_dir(const char *config_dir, struct brief_sections *out, char **err);
/* Add a lexicon (feeds/lexicon.conf's format) to loaded sections: each
 * entity becomes a keyword of the section its block names (the catch-all
 * when no section has that id), marked entity; [off-topic] phrases go to
 * secs->off. A phrase given again takes the new weight; weight 0 removes
 * it; a phrase already a sections.conf keyword of that section is left as
 * it is. On error *err is "name:line: message" and secs is unchanged in
 * its sections but may hold part of the lexicon. */
int brief_lexicon_parse(const char *text, size_t len, const char *name,
			struct brief_sections *secs, char **err);
/* The bundled feeds/lexicon.conf (NUL-terminated). Static storage. */
const char *brief_lexicon_builtin(size_t *len);
/* The bundled feeds/sections.conf, embedded at build time (NUL-terminated;
 * *len, if non-NULL, gets its length). Static storage. */
const char *brief_sections_builtin(size_t *len);
void brief_sections_free(struct brief_sections *s);

struct brief_item {
	struct store_item it;     /* owned */
	int section;              /* index into sections, -1 = off-topic */
	double score;             /* keyword + feed relevance */
	double feed_score;        /* the part of score that came from the feed's lean */
	int weak;                 /* below min_score (brief_select_weak): kept only in a
				   * story that two or more feeds carry */
};

struct brief_story {
	size_t *items;            /* indexes into the selected item array: its sources, lead first */
	size_t n_items;
	int section;
	double score;             /* ranking score */
};

/* Items published in [since, until), scored, off-topic ones dropped. */
int brief_select(struct store *st, const struct brief_sections *secs, int64_t since,
		 int64_t until, struct brief_item **out, size_t *n);
void brief_items_free(struct brief_item *it, size_t n);
/* brief_select, and also the items some section's keyword occurs in but
 * whose score is below min_score, marked weak: a story two feeds carry is
 * not dropped for relevance (brief_drop_weak after clustering). */
int brief_select_weak(struct store *st, const struct brief_sections *secs, int64_t since,
		      int64_t until, struct brief_item **out, size_t *n);
/* How many distinct feeds carry story s (its sources' feeds, each once). */
size_t brief_story_feeds(const struct brief_story *s, const struct brief_item *it);
/* Frees and removes the stories made only of weak items that fewer than
 * two feeds carry; returns how many went. */
size_t brief_drop_weak(struct brief_story *s, size_t *n, const struct brief_item *it);
/* Every item published in [since, until), kept or not (generate --explain):
 * its best section (-1: nothing of any section in it, or off-topic words
 * outweigh it), its score and the terms that made it ("cxmt (title), dram
 * (entity), the feed leans here (+1.0)", "off-topic: recipe (title)").
 *
 * The feed prior: a feed the user filed under a section (its OPML category
 * is a section's name, id or one of its feeds entries), or whose items of
 * the last BRIEF_PRIOR_DAYS were mostly on topic, is a feed the user reads
 * for this news. Its items with something of the field in them (a keyword
 * or an entity) count as relevant (score min_score) though they score
 * below it; a feed whose items were nearly all on topic (BRIEF_PRIOR_STRONG)
 * lifts even an item with nothing of the field in it, into the section the
 * feed's news goes to. An item with an off-topic word is never lifted. */
#define BRIEF_PRIOR_DAYS 14
#define BRIEF_PRIOR_MIN_ITEMS 5     /* fewer: the feed's share says nothing */
#define BRIEF_PRIOR_SHARE 0.5       /* on-topic share from which a feed leans */
#define BRIEF_PRIOR_STRONG 0.8      /* ... and from which it lifts anything */
#define BRIEF_PRIOR_STRONG_ITEMS 8
struct brief_why {
	struct store_item it;     /* owned */
	int section;
	double score, feed_score;
	int prior;                /* lifted to min_score by the feed prior */
	char *terms;              /* owned (with want_terms); may be "" */
};
int brief_select_explain(struct store *st, const struct brief_sections *secs, int64_t since,
			 int64_t until, struct brief_why **out, size_t *n);
void brief_why_free(struct brief_why *w, size_t n);
/* Group near-duplicates (titles, summaries, shared links) into stories. */
int brief_cluster(const struct brief_item *it, size_t n, double threshold,
		  struct brief_story **out, size_t *n_out);
/* The similarity brief_cluster compares with the threshold, for every
 * pair: *m is n*n, row-major (caller frees). Items of the same feed need
 * BRIEF_SAME_FEED_MARGIN more; a shared link merges whatever this says. */
#define BRIEF_SAME_FEED_MARGIN 0.25
int brief_cluster_similarity(const struct brief_item *it, size_t n, double **m);
/* Score, sort (section order, then score) and cap. Stories cut by the caps
 * are freed and *n lowered. Score: the lead's relevance (keywords + feed
 * lean) x (1 + source_weight x each extra distinct feed) x recency, where
 * recency = 0.5 + 0.5 x 2^(-age / half_life_h) and age is the hours from
 * the story's newest item to now. The caps keep the best stories overall:
 * by score, each taken while its section and the total have room. */
void brief_rank(struct brief_story *s, size_t *n, const struct brief_item *it,
		const struct brief_sections *secs, int64_t now);
void brief_stories_free(struct brief_story *s, size_t n);
/* The ranked plan as text (what --dry-run prints): per section its emoji
 * and name, then each story's lead title, score and sources (feed title,
 * item title, link). Caller frees; NULL when out of memory. */
char *brief_plan_text(const struct brief_item *it, size_t n_it, const struct brief_story *s,
		      size_t n, const struct brief_sections *secs);

#endif
