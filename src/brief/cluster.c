/* Clustering: the same news from several feeds becomes one story. Two items
 * are one story when they share a (normalised, non-trivial) link, or when
 * the cosine similarity of their word vectors reaches the threshold. Words
 * are stop-worded and lightly stemmed (words.c); a title word weighs twice a
 * summary word; each word is weighted by its smoothed inverse document
 * frequency over the window, so shared rare names ("CXMT", "DDR4") count for
 * more than shared common ones ("AI", "model"). Union-find makes A~B~C one
 * story. Two items of the same feed need a clearly higher similarity: a
 * feed rarely reports the same news twice under different links. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "brief/brief_int.h"
#include "brief/plan_int.h"
#include "util/util.h"

#define TITLE_W 2.0
#define BODY_W 1.0
#define BODY_WORDS 60         /* the lead of the summary is what overlaps */
#define SAME_FEED_MARGIN BRIEF_SAME_FEED_MARGIN

struct term {
	uint64_t h;
	double w;
};

struct vec {
	struct term *t;
	size_t n;
	double norm;
};

void brief_stories_free(struct brief_story *s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n; i++)
		free(s[i].items);
	free(s);
}

static int by_hash(const void *a, const void *b)
{
	const struct term *x = a, *y = b;
	return (x->h > y->h) - (x->h < y->h);
}

/* Sorted, unique terms of an item; a word in both fields keeps the larger
 * weight. */
static int vec_build(const struct store_item *it, struct vec *v)
{
	struct plan_words tw = {0}, bw = {0};
	const char *body = !util_str_empty(it->summary) ? it->summary : it->content;
	v->t = NULL;
	v->n = 0;
	if (plan_words_add(&tw, it->title, PLAN_WORDS_STOP, 0) < 0 ||
	    plan_words_add(&bw, body, PLAN_WORDS_STOP, BODY_WORDS) < 0)
		goto nomem;
	size_t n = tw.n + bw.n;
	v->t = malloc((n ? n : 1) * sizeof *v->t);
	if (!v->t)
		goto nomem;
	for (size_t i = 0; i < tw.n; i++)
		v->t[v->n++] = (struct term){ tw.h[i], TITLE_W };
	for (size_t i = 0; i < bw.n; i++)
		v->t[v->n++] = (struct term){ bw.h[i], BODY_W };
	qsort(v->t, v->n, sizeof *v->t, by_hash);
	size_t k = 0;
	for (size_t i = 0; i < v->n; i++) {
		if (k > 0 && v->t[k - 1].h == v->t[i].h) {
			if (v->t[i].w > v->t[k - 1].w)
				v->t[k - 1].w = v->t[i].w;
			continue;
		}
		v->t[k++] = v->t[i];
	}
	v->n = k;
	plan_words_free(&tw);
	plan_words_free(&bw);
	return 0;
nomem:
	plan_words_free(&tw);
	plan_words_free(&bw);
	free(v->t);
	v->t = NULL;
	return -1;
}

/* Document frequency of h among all vectors: looked up in the sorted
 * union (hashes, counts). */
struct df {
	uint64_t *h;
	size_t *c;
	size_t n;
};

static size_t df_get(const struct df *d, uint64_t h)
{
	size_t lo = 0, hi = d->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->h[mid] == h)
			return d->c[mid];
		if (d->h[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int df_build(const struct vec *v, size_t n, struct df *d)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += v[i].n;
	d->h = malloc((total ? total : 1) * sizeof *d->h);
	d->c = malloc((total ? total : 1) * sizeof *d->c);
	d->n = 0;
	if (!d->h || !d->c)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].n; j++)
			d->h[k++] = v[i].t[j].h;     /* each vector's terms are unique */
	qsort(d->h, k, sizeof *d->h, cmp_u64);
	for (size_t i = 0; i < k; i++) {
		if (d->n > 0 && d->h[d->n - 1] == d->h[i]) {
			d->c[d->n - 1]++;
			continue;
		}
		d->h[d->n] = d->h[i];
		d->c[d->n++] = 1;
	}
	return 0;
}

static double vec_cos(const struct vec *a, const struct vec *b)
{
	if (a->norm <= 0 || b->norm <= 0)
		return 0;
	double dot = 0;
	size_t i = 0, j = 0;
	while (i < a->n && j < b->n) {
		if (a->t[i].h == b->t[j].h)
			dot += a->t[i++].w * b->t[j++].w;
		else if (a->t[i].h < b->t[j].h)
			i++;
		else
			j++;
	}
	return dot / (a->norm * b->norm);
}

/* The link key of an item: its normalised URL when it names more than a
 * site's front page (those are shared by unrelated items); else NULL. */
static const char *link_key(const struct store_item *it)
{
	const char *u = it->url_norm && *it->url_norm ? it->url_norm : it->url;
	if (!u)
		return NULL;
	const char *p = strstr(u, "://");
	if (!p)
		return NULL;
	p = strchr(p + 3, '/');
	if (!p || !p[1] || p[1] == '?' || p[1] == '#')
		return NULL;
	return u;
}

static size_t uf_find(size_t *parent, size_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

static void uf_union(size_t *parent, size_t a, size_t b)
{
	a = uf_find(parent, a);
	b = uf_find(parent, b);
	if (a == b)
		return;
	if (a < b)
		parent[b] = a;  /* the root is the smallest index: deterministic */
	else
		parent[a] = b;
}

/* Does item x lead before item y: higher score, then earlier, then the
 * smaller index. */
static int leads(const struct brief_item *it, size_t x, size_t y)
{
	const struct brief_item *p = &it[x], *q = &it[y];
	if (p->score != q->score)
		return p->score > q->score;
	if (p->it.published != q->it.published)
		return p->it.published < q->it.published;
	return x < y;
}

static void sort_members(size_t *m, size_t n, const struct brief_item *it)
{
	/* insertion sort: stories are small */
	for (size_t i = 1; i < n; i++) {
		size_t t = m[i], j = i;
		while (j > 0 && leads(it, t, m[j - 1])) {
			m[j] = m[j - 1];
			j--;
		}
		m[j] = t;
	}
}

static void vecs_free(struct vec *v, size_t n)
{
	if (v)
		for (size_t i = 0; i < n; i++)
			free(v[i].t);
	free(v);
}

/* The items' idf-weighted vectors; NULL when out of memory. */
static struct vec *vecs_new(const struct brief_item *it, size_t n)
{
	struct vec *v = calloc(n ? n : 1, sizeof *v);
	struct df d = {0};
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (vec_build(&it[i].it, &v[i]) < 0)
			goto nomem;
	if (df_build(v, n, &d) < 0)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		double s2 = 0;
		for (size_t j = 0; j < v[i].n; j++) {
			double idf = log((1.0 + (double)n) / (1.0 + (double)df_get(&d, v[i].t[j].h))) + 1.0;
			v[i].t[j].w *= idf;
			s2 += v[i].t[j].w * v[i].t[j].w;
		}
		v[i].norm = sqrt(s2);
	}
	free(d.h);
	free(d.c);
	return v;
nomem:
	free(d.h);
	free(d.c);
	vecs_free(v, n);
	return NULL;
}

int brief_cluster_similarity(const struct brief_item *it, size_t n, double **out)
{
	*out = NULL;
	struct vec *v = vecs_new(it, n);
	double *m = malloc((n ? n * n : 1) * sizeof *m);
	if (!v || !m) {
		vecs_free(v, n);
		free(m);
		return BRIEF_ERR_NOMEM;
	}
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < n; b++)
			m[a * n + b] = a == b ? 1.0 : vec_cos(&v[a], &v[b]);
	vecs_free(v, n);
	*out = m;
	return BRIEF_OK;
}

int brief_cluster(const struct brief_item *it, size_t n, double threshold,
		  struct brief_story **out, size_t *n_out)
{
	struct vec *v = NULL;
	size_t *parent = NULL, *count = NULL, *slot = NULL;
	struct brief_story *st = NULL;
	size_t n_st = 0;
	int rc = BRIEF_ERR_NOMEM;

	*out = NULL;
	*n_out = 0;
	if (n == 0)
		return BRIEF_OK;
	v = vecs_new(it, n);
	parent = malloc(n * sizeof *parent);
	count = calloc(n, sizeof *count);
	slot = malloc(n * sizeof *slot);
	if (!v || !parent || !count || !slot)
		goto done;
	for (size_t i = 0; i < n; i++)
		parent[i] = i;

	for (size_t a = 0; a < n; a++) {
		const char *la = link_key(&it[a].it);
		for (size_t b = a + 1; b < n; b++) {
			const char *lb = link_key(&it[b].it);
			if (la && lb && strcmp(la, lb) == 0) {
				uf_union(parent, a, b);
				continue;
			}
			double need = threshold;
			if (it[a].it.feed_id == it[b].it.feed_id)
				need += SAME_FEED_MARGIN;
			if (need <= 1.0 + 1e-9 && vec_cos(&v[a], &v[b]) >= need - 1e-12)
				uf_union(parent, a, b);
		}
	}

	/* stories in order of their first (oldest) item */
	for (size_t i = 0; i < n; i++)
		count[uf_find(parent, i)]++;
	for (size_t i = 0; i < n; i++)
		if (count[i])
			slot[i] = n_st++;
	st = calloc(n_st, sizeof *st);
	if (!st)
		goto done;
	for (size_t i = 0; i < n; i++) {
		if (!count[i])
			continue;
		struct brief_story *s = &st[slot[i]];
		if (!(s->items = malloc(count[i] * sizeof *s->items)))
			goto done;
	}
	for (size_t i = 0; i < n; i++) {
		struct brief_story *s = &st[slot[uf_find(parent, i)]];
		s->items[s->n_items++] = i;
	}
	for (size_t k = 0; k < n_st; k++) {
		struct brief_story *s = &st[k];
		sort_members(s->items, s->n_items, it);
		s->section = it[s->items[0]].section;
		s->score = it[s->items[0]].score;
	}
	*out = st;
	*n_out = n_st;
	st = NULL;
	rc = BRIEF_OK;
done:
	brief_stories_free(st, n_st);
	vecs_free(v, n);
	free(parent);
	free(count);
	free(slot);
	return rc;
}
