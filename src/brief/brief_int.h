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
};

struct brief_sections {
	struct brief_section *s;
	size_t n;
	double min_score;         /* items below this are off-topic */
	size_t max_total;         /* total story cap (default 10) */
	double cluster_threshold; /* similarity above which two items are one story */
};

/* Load sections.conf (path NULL = the bundled feeds/sections.conf). */
int brief_sections_load(const char *path, struct brief_sections *out, char **err);
void brief_sections_free(struct brief_sections *s);

struct brief_item {
	struct store_item it;     /* owned */
	int section;              /* index into sections, -1 = off-topic */
	double score;             /* keyword + feed relevance */
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
/* Group near-duplicates (titles, summaries, shared links) into stories. */
int brief_cluster(const struct brief_item *it, size_t n, double threshold,
		  struct brief_story **out, size_t *n_out);
/* Score, sort (section order, then score) and cap. */
void brief_rank(struct brief_story *s, size_t *n, const struct brief_item *it,
		const struct brief_sections *secs, int64_t now);
void brief_stories_free(struct brief_story *s, size_t n);

#endif
