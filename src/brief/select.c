/* Selection: the items of the window, each scored against every section
 * (weighted keywords in the title and the text, the feed's lean), placed
 * in its best section; off-topic items are left out. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "brief/brief_int.h"
#include "brief/plan_int.h"
#include "util/util.h"

#define TITLE_FACTOR 2.0      /* a keyword in the title counts double */
#define BODY_WORDS 4000       /* words of summary + text looked at */

struct phrase {
	uint64_t *h;
	size_t n;
};

void brief_items_free(struct brief_item *it, size_t n)
{
	if (!it)
		return;
	for (size_t i = 0; i < n; i++)
		store_item_clear(&it[i].it);
	free(it);
}

static int contains_ci(const char *hay, const char *needle)
{
	if (!hay || !needle || !*needle)
		return 0;
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

/* Does the feed lean to the section: an entry is part of its URL or
 * equals its category. */
static int feed_leans(const struct brief_section *s, const struct store_feed *f)
{
	for (size_t i = 0; i < s->n_feeds; i++) {
		const char *e = s->feeds[i];
		if (f->category && strcasecmp(f->category, e) == 0)
			return 1;
		if (contains_ci(f->url, e))
			return 1;
	}
	return 0;
}

static const struct store_feed *find_feed(const struct store_feed *f, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;    /* store_feed_list is by id */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f[mid].id == id)
			return &f[mid];
		if (f[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = 0; i < n; i++)  /* in case the order ever changes */
		if (f[i].id == id)
			return &f[i];
	return NULL;
}

/* A field's words in order, and the same sorted, so that a keyword whose
 * first word is absent costs a binary search rather than a scan. */
struct field {
	struct plan_words w;
	uint64_t *sorted;
	size_t cap;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int field_index(struct field *f)
{
	if (f->w.n > f->cap) {
		uint64_t *p = realloc(f->sorted, f->w.n * sizeof *p);
		if (!p)
			return -1;
		f->sorted = p;
		f->cap = f->w.n;
	}
	if (f->w.n) {
		memcpy(f->sorted, f->w.h, f->w.n * sizeof *f->sorted);
		qsort(f->sorted, f->w.n, sizeof *f->sorted, cmp_u64);
	}
	return 0;
}

static int field_has(const struct field *f, const struct phrase *p)
{
	if (p->n == 0 || !f->w.n || !bsearch(&p->h[0], f->sorted, f->w.n, sizeof *f->sorted, cmp_u64))
		return 0;
	return plan_words_has(&f->w, p->h, p->n);
}

static void field_free(struct field *f)
{
	plan_words_free(&f->w);
	free(f->sorted);
}

/* Score one item against one keyword list: *pos gets the positive part,
 * *neg is set when a negative keyword occurs. */
static double score_list(const struct brief_keyword *kw, size_t n, const struct phrase *ph,
			 const struct field *title, const struct field *body, double *pos, int *neg)
{
	double sc = 0;
	for (size_t k = 0; k < n; k++) {
		double x = 0;
		if (field_has(title, &ph[k]))
			x += TITLE_FACTOR * kw[k].weight;
		if (field_has(body, &ph[k]))
			x += kw[k].weight;
		if (x > 0)
			*pos += x;
		else if (x < 0)
			*neg = 1;
		sc += x;
	}
	return sc;
}

/* ph[i] for section i, ph[secs->n] for the lexicon's off-topic words. */
static void phrases_free(struct phrase **ph, const struct brief_sections *secs)
{
	if (!ph)
		return;
	for (size_t i = 0; i <= secs->n; i++) {
		if (!ph[i])
			continue;
		size_t n = i < secs->n ? secs->s[i].n_kw : secs->n_off;
		for (size_t k = 0; k < n; k++)
			free(ph[i][k].h);
		free(ph[i]);
	}
	free(ph);
}

static struct phrase **phrases_new(const struct brief_sections *secs)
{
	struct phrase **ph = calloc(secs->n + 1, sizeof *ph);
	if (!ph)
		return NULL;
	for (size_t i = 0; i <= secs->n; i++) {
		const struct brief_keyword *kw = i < secs->n ? secs->s[i].kw : secs->off;
		size_t n = i < secs->n ? secs->s[i].n_kw : secs->n_off;
		ph[i] = calloc(n ? n : 1, sizeof **ph);
		if (!ph[i])
			goto nomem;
		for (size_t k = 0; k < n; k++) {
			struct plan_words w = {0};
			if (plan_words_add(&w, kw[k].phrase, 0, 0) < 0) {
				plan_words_free(&w);
				goto nomem;
			}
			ph[i][k].h = w.h;
			ph[i][k].n = w.n;
		}
	}
	return ph;
nomem:
	phrases_free(ph, secs);
	return NULL;
}

static int by_time(const void *a, const void *b)
{
	const struct brief_item *x = a, *y = b;
	if (x->it.published != y->it.published)
		return x->it.published < y->it.published ? -1 : 1;
	return (x->it.id > y->it.id) - (x->it.id < y->it.id);
}

/* The terms of keyword list kw that title or body hold: "cxmt (title),
 * dram (entity)"; with a prefix ("off-topic: ") before the first, and no
 * entity marks. */
static void terms_list(struct util_buf *b, const char *prefix, const struct brief_keyword *kw,
		       size_t n, const struct phrase *ph, const struct field *title,
		       const struct field *body)
{
	int first = 1;
	for (size_t k = 0; k < n; k++) {
		int t = field_has(title, &ph[k]), x = field_has(body, &ph[k]);
		if (!t && !x)
			continue;
		util_buf_printf(b, "%s%s%s%s%s", b->len ? ", " : "", first ? prefix : "",
				kw[k].phrase, t ? " (title)" : "",
				kw[k].entity && !*prefix ? " (entity)" : "");
		first = 0;
	}
}

/* What one item scores. */
struct item_score {
	int best;                 /* best section, -1 when none scores above 0 */
	double score, feed;       /* its score, and the feed's part of it */
	int evidence;             /* a keyword or entity of some section occurs */
	int negative;             /* an off-topic word or a negative keyword occurs */
};

static int score_item(const struct brief_sections *secs, struct phrase **ph,
		      const struct store_item *it, const int *lean, struct field *title,
		      struct field *body, struct item_score *r)
{
	title->w.n = body->w.n = 0;
	if (plan_words_add(&title->w, it->title, 0, 0) < 0 ||
	    plan_words_add(&body->w, it->summary, 0, BODY_WORDS) < 0 ||
	    plan_words_add(&body->w, it->content, 0, BODY_WORDS) < 0 ||
	    field_index(title) < 0 || field_index(body) < 0)
		return -1;
	double pos = 0;
	int neg = 0;
	double off = score_list(secs->off, secs->n_off, ph[secs->n], title, body, &pos, &neg);
	memset(r, 0, sizeof *r);
	r->best = -1;
	r->negative = off > 0 || neg;
	/* the catch-all's own words (the big companies of the field, data
	 * centres) count only when no other section fits */
	double catch = 0;
	for (size_t s = 0; s < secs->n; s++) {
		double p = 0;
		int ng = 0;
		double sc = score_list(secs->s[s].kw, secs->s[s].n_kw, ph[s], title, body, &p, &ng);
		double fsc = lean && lean[s] ? secs->s[s].feed_weight : 0;
		r->evidence |= p > 0;
		r->negative |= ng;
		if ((int)s == secs->catch_all) {
			catch = sc;
			continue;
		}
		sc -= off;
		/* the feed's lean counts only for an item with something
		 * on topic, so it steers rather than admits */
		if (sc <= 0)
			continue;
		sc += fsc;
		if (r->best < 0 || sc > r->score) {
			r->best = (int)s;
			r->score = sc;
			r->feed = fsc;
		}
	}
	if (r->best < 0 && catch - off > 0) {
		int c = secs->catch_all;
		r->best = c;
		r->feed = lean && lean[c] ? secs->s[c].feed_weight : 0;
		r->score = catch - off + r->feed;
	}
	return 0;
}

/* The feed prior (see brief_why): per feed, its items of the last
 * BRIEF_PRIOR_DAYS and those of them on topic, by section. */
struct feed_prior {
	size_t n, on;             /* items seen, items at or above min_score */
	size_t *by_sec;           /* on-topic items by section */
	int declared;             /* its category names a section: that one + 1 */
	int level;                /* 0 none, 1 lifts items with evidence, 2 any */
	int home;                 /* the section its news goes to */
};

static void prior_count(struct feed_prior *p, const struct item_score *r, double min_score)
{
	p->n++;
	if (r->best >= 0 && r->score >= min_score) {
		p->on++;
		p->by_sec[r->best]++;
	}
}

/* Does the feed's category name section s (its id, its name, or one of
 * its feeds entries)? */
static int category_names(const struct brief_section *s, const char *cat)
{
	if (!cat || !*cat)
		return 0;
	if (!strcasecmp(cat, s->id) || (s->name && !strcasecmp(cat, s->name)))
		return 1;
	for (size_t i = 0; i < s->n_feeds; i++)
		if (!strcasecmp(cat, s->feeds[i]))
			return 1;
	return 0;
}

static void prior_decide(struct feed_prior *p, const struct brief_sections *secs)
{
	double share = p->n ? (double)p->on / (double)p->n : 0;
	if (p->n >= BRIEF_PRIOR_STRONG_ITEMS && share >= BRIEF_PRIOR_STRONG)
		p->level = 2;
	else if (p->declared || (p->n >= BRIEF_PRIOR_MIN_ITEMS && share >= BRIEF_PRIOR_SHARE))
		p->level = 1;
	if (p->declared) {
		p->home = p->declared - 1;
		return;
	}
	p->home = secs->catch_all;
	size_t most = 0;
	for (size_t s = 0; s < secs->n; s++)
		if (p->by_sec[s] > most) {
			most = p->by_sec[s];
			p->home = (int)s;
		}
}

/* Every item published in [since, until), scored against every section:
 * its best one, or -1 when nothing of any section occurs in it (or off-
 * topic words outweigh it); then the feed prior. With want_terms, what
 * counted (brief_why.terms). */
static int scan(struct store *st, const struct brief_sections *secs, int64_t since, int64_t until,
		int want_terms, struct brief_why **out, size_t *n)
{
	struct store_item_query q = { .since = since, .until = until };
	struct store_item *items = NULL, *hist = NULL;
	struct store_feed *feeds = NULL;
	size_t n_items = 0, n_feeds = 0, n_hist = 0;
	struct brief_why *w = NULL;
	struct phrase **ph = NULL;
	int *lean = NULL;
	struct feed_prior *pr = NULL;
	size_t *by_sec = NULL;
	int *fidx = NULL;
	uint8_t *evidence = NULL, *negative = NULL;
	struct field title = {0}, body = {0};
	struct item_score r;
	int rc = BRIEF_ERR_NOMEM;

	*out = NULL;
	*n = 0;
	if (!st || !secs)
		return BRIEF_ERR_ARG;
	if (store_item_query(st, &q, &items, &n_items) != STORE_OK)
		return BRIEF_ERR_STORE;
	if (store_feed_list(st, &feeds, &n_feeds) != STORE_OK) {
		store_items_free(items, n_items);
		return BRIEF_ERR_STORE;
	}
	/* lean[f * n_sections + s]: does feed f lean to section s */
	lean = calloc(n_feeds * secs->n + 1, sizeof *lean);
	pr = calloc(n_feeds + 1, sizeof *pr);
	by_sec = calloc(n_feeds * secs->n + 1, sizeof *by_sec);
	fidx = calloc(n_items + 1, sizeof *fidx);
	evidence = calloc(n_items + 1, 1);
	negative = calloc(n_items + 1, 1);
	ph = phrases_new(secs);
	w = calloc(n_items + 1, sizeof *w);
	if (!lean || !pr || !by_sec || !fidx || !evidence || !negative || !ph || !w)
		goto done;
	for (size_t f = 0; f < n_feeds; f++) {
		pr[f].by_sec = by_sec + f * secs->n;
		for (size_t s = 0; s < secs->n; s++) {
			lean[f * secs->n + s] = feed_leans(&secs->s[s], &feeds[f]);
			if (!pr[f].declared && category_names(&secs->s[s], feeds[f].category))
				pr[f].declared = (int)s + 1;
		}
	}

	/* the feeds' recent items before the window, for their prior (a
	 * window open at the start has none before it) */
	struct store_item_query hq = { .since = since - BRIEF_PRIOR_DAYS * 86400, .until = since,
				       .limit = 4000 };
	if (since > 0 && store_item_query(st, &hq, &hist, &n_hist) != STORE_OK) {
		rc = BRIEF_ERR_STORE;
		goto done;
	}
	for (size_t i = 0; i < n_hist; i++) {
		const struct store_feed *fd = find_feed(feeds, n_feeds, hist[i].feed_id);
		if (!fd)
			continue;
		size_t fi = (size_t)(fd - feeds);
		if (score_item(secs, ph, &hist[i], lean + fi * secs->n, &title, &body, &r) < 0)
			goto done;
		prior_count(&pr[fi], &r, secs->min_score);
	}
	store_items_free(hist, n_hist);
	hist = NULL;

	for (size_t i = 0; i < n_items; i++) {
		struct store_item *it = &items[i];
		const struct store_feed *fd = find_feed(feeds, n_feeds, it->feed_id);
		fidx[i] = fd ? (int)(fd - feeds) : -1;
		if (score_item(secs, ph, it, fd ? lean + (size_t)fidx[i] * secs->n : NULL, &title,
			       &body, &r) < 0)
			goto done;
		if (fd)
			prior_count(&pr[fidx[i]], &r, secs->min_score);
		w[i].section = r.best;
		w[i].score = r.score;
		w[i].feed_score = r.feed;
		/* what the prior needs once every feed's share is known */
		evidence[i] = (uint8_t)r.evidence;
		negative[i] = (uint8_t)r.negative;
		if (want_terms) {
			struct util_buf b;
			util_buf_init(&b);
			if (r.best >= 0) {
				const struct brief_section *sec = &secs->s[r.best];
				terms_list(&b, "", sec->kw, sec->n_kw, ph[r.best], &title, &body);
				if (r.feed > 0)
					util_buf_printf(&b, "%sthe feed leans here (+%.1f)",
							b.len ? ", " : "", r.feed);
			}
			terms_list(&b, "off-topic: ", secs->off, secs->n_off, ph[secs->n], &title, &body);
			if (!b.len && util_buf_puts(&b, ""))
				goto done;
			if (!(w[i].terms = util_buf_steal(&b)))
				goto done;
		}
	}
	for (size_t f = 0; f < n_feeds; f++)
		prior_decide(&pr[f], secs);
	for (size_t i = 0; i < n_items; i++) {
		if (fidx[i] < 0 || negative[i] || w[i].score >= secs->min_score)
			continue;
		const struct feed_prior *p = &pr[fidx[i]];
		if (p->level == 0 || (p->level == 1 && !evidence[i]))
			continue;
		w[i].prior = 1;
		if (w[i].section < 0)
			w[i].section = p->home;
		w[i].score = secs->min_score;
		if (want_terms) {
			char *t = p->declared
				? util_strfmt("%s%sthe feed is filed under '%s'", w[i].terms,
					      *w[i].terms ? ", " : "", feeds[fidx[i]].category)
				: util_strfmt("%s%sthe feed is on topic (%zu of its %zu items)",
					      w[i].terms, *w[i].terms ? ", " : "", p->on, p->n);
			if (!t)
				goto done;
			free(w[i].terms);
			w[i].terms = t;
		}
	}
	for (size_t i = 0; i < n_items; i++) {
		w[i].it = items[i];
		memset(&items[i], 0, sizeof items[i]);       /* ownership moves to w */
	}
	*out = w;
	*n = n_items;
	w = NULL;
	rc = BRIEF_OK;
done:
	field_free(&title);
	field_free(&body);
	phrases_free(ph, secs);
	free(lean);
	free(pr);
	free(by_sec);
	free(fidx);
	free(evidence);
	free(negative);
	brief_why_free(w, n_items);
	store_items_free(hist, n_hist);
	store_items_free(items, n_items);
	store_feeds_free(feeds, n_feeds);
	return rc;
}

void brief_why_free(struct brief_why *w, size_t n)
{
	if (!w)
		return;
	for (size_t i = 0; i < n; i++) {
		store_item_clear(&w[i].it);
		free(w[i].terms);
	}
	free(w);
}

int brief_select_explain(struct store *st, const struct brief_sections *secs, int64_t since,
			 int64_t until, struct brief_why **out, size_t *n)
{
	return scan(st, secs, since, until, 1, out, n);
}

static int select_items(struct store *st, const struct brief_sections *secs, int64_t since,
			int64_t until, int with_weak, struct brief_item **out, size_t *n)
{
	struct brief_why *w = NULL;
	size_t nw = 0, kept = 0;

	*out = NULL;
	*n = 0;
	int rc = scan(st, secs, since, until, 0, &w, &nw);
	if (rc != BRIEF_OK)
		return rc;
	struct brief_item *sel = calloc(nw + 1, sizeof *sel);
	if (!sel) {
		brief_why_free(w, nw);
		return BRIEF_ERR_NOMEM;
	}
	for (size_t i = 0; i < nw; i++) {
		int weak = w[i].score < secs->min_score;
		if (w[i].section < 0 || (weak && !with_weak))
			continue;
		sel[kept].weak = weak;
		sel[kept].it = w[i].it;
		memset(&w[i].it, 0, sizeof w[i].it);   /* ownership moves to sel */
		sel[kept].section = w[i].section;
		sel[kept].score = w[i].score;
		sel[kept].feed_score = w[i].feed_score;
		kept++;
	}
	brief_why_free(w, nw);
	/* oldest first (then by id): a deterministic order for clustering */
	qsort(sel, kept, sizeof *sel, by_time);
	*out = sel;
	*n = kept;
	return BRIEF_OK;
}

int brief_select(struct store *st, const struct brief_sections *secs, int64_t since,
		 int64_t until, struct brief_item **out, size_t *n)
{
	return select_items(st, secs, since, until, 0, out, n);
}

int brief_select_weak(struct store *st, const struct brief_sections *secs, int64_t since,
		      int64_t until, struct brief_item **out, size_t *n)
{
	return select_items(st, secs, since, until, 1, out, n);
}

size_t brief_drop_weak(struct brief_story *s, size_t *n, const struct brief_item *it)
{
	size_t kept = 0, gone = 0;
	for (size_t k = 0; k < *n; k++) {
		int strong = 0;
		for (size_t i = 0; i < s[k].n_items; i++)
			strong |= !it[s[k].items[i]].weak;
		if (strong || brief_story_feeds(&s[k], it) >= 2) {
			s[kept++] = s[k];
		} else {
			free(s[k].items);
			gone++;
		}
	}
	*n = kept;
	return gone;
}

static int newest_first(const void *a, const void *b)
{
	return -by_time(a, b);
}

void brief_groups_free(struct brief_group *g, size_t n)
{
	for (size_t i = 0; g && i < n; i++) {
		free(g[i].name);
		free(g[i].emoji);
		store_items_free(g[i].items, g[i].n);
	}
	free(g);
}

int brief_group_by_section(struct store *st, const char *config_dir, int64_t since,
			   int64_t until, struct brief_group **out, size_t *n, char **err)
{
	struct brief_sections secs = { 0 };
	struct brief_item *it = NULL;
	struct brief_group *g = NULL;
	size_t n_it = 0, n_g = 0;
	int rc;

	*out = NULL;
	*n = 0;
	*err = NULL;
	if ((rc = brief_sections_load_dir(config_dir, &secs, err)) != BRIEF_OK)
		return rc;
	if ((rc = brief_select(st, &secs, since, until, &it, &n_it)) != BRIEF_OK) {
		*err = util_strdup(rc == BRIEF_ERR_STORE ? "cannot read the archive" : brief_strerror(rc));
		brief_sections_free(&secs);
		return rc;
	}
	qsort(it, n_it, sizeof *it, newest_first);
	rc = BRIEF_ERR_NOMEM;
	g = calloc(secs.n + 1, sizeof *g);
	if (!g)
		goto done;
	for (size_t s = 0; s < secs.n; s++) {
		size_t cnt = 0, k = 0;
		for (size_t i = 0; i < n_it; i++)
			cnt += it[i].section == (int)s;
		if (!cnt)
			continue;
		struct brief_group *x = &g[n_g++];
		x->name = util_strdup(secs.s[s].name);
		x->emoji = util_strdup(secs.s[s].emoji ? secs.s[s].emoji : "");
		x->items = calloc(cnt, sizeof *x->items);
		if (!x->name || !x->emoji || !x->items)
			goto done;
		for (size_t i = 0; i < n_it; i++)
			if (it[i].section == (int)s) {
				x->items[k++] = it[i].it;   /* ownership moves */
				memset(&it[i].it, 0, sizeof it[i].it);
			}
		x->n = cnt;
	}
	*out = g;
	*n = n_g;
	g = NULL;
	rc = BRIEF_OK;
done:
	if (rc != BRIEF_OK && !*err)
		*err = util_strdup("out of memory");
	brief_groups_free(g, n_g);
	brief_items_free(it, n_it);
	brief_sections_free(&secs);
	return rc;
}
