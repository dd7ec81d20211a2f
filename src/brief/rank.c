/* Ranking: score each story (relevance, sources, recency), keep the
 * stories several feeds carry first and then the best of the rest within
 * the per-section and total caps, and order them for the briefing: by
 * section order, then score. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "brief/brief_int.h"

size_t brief_story_feeds(const struct brief_story *s, const struct brief_item *it)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_items; i++) {
		int64_t f = it[s->items[i]].it.feed_id;
		size_t j = 0;
		while (j < i && it[s->items[j]].it.feed_id != f)
			j++;
		n += j == i;
	}
	return n;
}

static double story_score(const struct brief_story *s, const struct brief_item *it,
			  const struct brief_sections *secs, int64_t now)
{
	double rel = 0;
	int64_t newest = 0;
	for (size_t i = 0; i < s->n_items; i++) {
		const struct brief_item *x = &it[s->items[i]];
		if (x->score > rel)
			rel = x->score;
		if (x->it.published > newest)
			newest = x->it.published;
	}
	size_t src = brief_story_feeds(s, it);
	double age_h = now > newest ? (double)(now - newest) / 3600.0 : 0.0;
	double hl = secs->half_life_h > 0 ? secs->half_life_h : 12.0;
	double recency = 0.5 + 0.5 * pow(0.5, age_h / hl);
	return rel * (1.0 + secs->source_weight * (double)(src > 0 ? src - 1 : 0)) * recency;
}

struct rank_ctx {
	const struct brief_story *s;
	const struct brief_item *it;
	const struct brief_sections *secs;
};

/* Best first: score, then the earlier lead, then the original position. */
static int better(const struct rank_ctx *c, size_t a, size_t b)
{
	const struct brief_story *x = &c->s[a], *y = &c->s[b];
	if (x->score != y->score)
		return x->score > y->score;
	int64_t px = c->it[x->items[0]].it.published, py = c->it[y->items[0]].it.published;
	if (px != py)
		return px < py;
	return a < b;
}

/* Briefing order: section order, then best first. */
static int before(const struct rank_ctx *c, size_t a, size_t b)
{
	int sa = c->s[a].section, sb = c->s[b].section;
	int oa = c->secs->s[sa].order, ob = c->secs->s[sb].order;
	if (oa != ob)
		return oa < ob;
	if (sa != sb)
		return sa < sb;
	return better(c, a, b);
}

static void sort_idx(size_t *idx, size_t n, const struct rank_ctx *c,
		     int (*lt)(const struct rank_ctx *, size_t, size_t))
{
	for (size_t i = 1; i < n; i++) {
		size_t t = idx[i], j = i;
		while (j > 0 && lt(c, t, idx[j - 1])) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = t;
	}
}

void brief_rank(struct brief_story *s, size_t *n, const struct brief_item *it,
		const struct brief_sections *secs, int64_t now)
{
	size_t total = *n, kept = 0;
	if (!s || total == 0)
		return;
	size_t *idx = malloc(total * sizeof *idx);
	size_t *per = calloc(secs->n ? secs->n : 1, sizeof *per);
	struct brief_story *tmp = malloc(total * sizeof *tmp);
	if (!idx || !per || !tmp) {
		/* out of memory: keep the order, still honour the total cap */
		free(idx);
		free(per);
		free(tmp);
		for (size_t i = secs->max_total; i < total; i++)
			free(s[i].items);
		if (*n > secs->max_total)
			*n = secs->max_total;
		return;
	}
	struct rank_ctx c = { s, it, secs };
	for (size_t i = 0; i < total; i++) {
		idx[i] = i;
		s[i].score = s[i].n_items ? story_score(&s[i], it, secs, now) : 0;
	}
	sort_idx(idx, total, &c, better);
	size_t cap = secs->max_total ? secs->max_total : 10;
	/* Coverage first: the stories two or more feeds carry are taken first,
	 * best first, and no section cap drops one (the total cap can, once
	 * they fill the briefing alone); then the single-source stories, best
	 * first, within both caps. */
	char *taken = calloc(total, 1);
	if (!taken) {
		free(idx);
		free(per);
		free(tmp);
		return;     /* out of memory: unranked but whole */
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < total && kept < cap; k++) {
			struct brief_story *x = &s[idx[k]];
			int sec = x->section, multi = brief_story_feeds(x, it) >= 2;
			if (taken[idx[k]] || multi != (pass == 0) || sec < 0 || (size_t)sec >= secs->n ||
			    x->n_items == 0)
				continue;
			if (!multi && secs->s[sec].max_stories && per[sec] >= secs->s[sec].max_stories)
				continue;
			per[sec]++;
			taken[idx[k]] = 1;
			kept++;
		}
	}
	for (size_t i = 0; i < total; i++)
		if (!taken[i]) {
			free(s[i].items);
			s[i].items = NULL;
		}
	size_t m = 0;
	for (size_t i = 0; i < total; i++)
		if (taken[i])
			idx[m++] = i;
	free(taken);
	sort_idx(idx, kept, &c, before);
	for (size_t k = 0; k < kept; k++)
		tmp[k] = s[idx[k]];
	memcpy(s, tmp, kept * sizeof *s);
	*n = kept;
	free(idx);
	free(per);
	free(tmp);
}
