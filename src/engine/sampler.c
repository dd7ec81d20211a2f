/* sampler.c — token selection: greedy, temperature, top-k, top-p, min-p,
 * repetition and presence penalties, seeded RNG.
 *
 * Order (as llama.cpp's common sampler chain): penalties -> top-k -> top-p
 * -> min-p -> temperature -> draw. With temperature <= 0 the choice is the
 * argmax of the penalised logits (ties -> lowest id). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

struct cand {
	float logit;
	int32_t id;
};

struct eng_sampler {
	struct eng_sampling p;
	int n_vocab;
	uint64_t rng;
	int32_t *recent;      /* ring of the last penalty_last_n tokens */
	int n_recent, head;
	float *work;          /* (n_vocab) penalised logits */
	double *prob;         /* (n_vocab) candidate weights */
	struct cand *cands;   /* (n_vocab) */
	uint16_t *count;      /* (n_vocab) occurrences in the window */
};

void eng_sampling_default(struct eng_sampling *s)
{
	memset(s, 0, sizeof *s);
	s->temperature = 0.0f;
	s->top_k = 0;
	s->top_p = 1.0f;
	s->min_p = 0.0f;
	s->repeat_penalty = 1.0f;
	s->presence_penalty = 0.0f;
	s->penalty_last_n = 64;
	s->seed = 0;
}

int32_t eng_argmax(const float *logits, int n)
{
	int32_t best = 0;
	for (int i = 1; i < n; i++)
		if (logits[i] > logits[best])
			best = i;
	return best;
}

eng_sampler *eng_sampler_new(const struct eng_sampling *p, int n_vocab)
{
	struct eng_sampler *s;

	if (n_vocab <= 0)
		return NULL;
	s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	if (p)
		s->p = *p;
	else
		eng_sampling_default(&s->p);
	if (s->p.penalty_last_n <= 0)
		s->p.penalty_last_n = 64;
	s->n_vocab = n_vocab;
	s->rng = s->p.seed ^ 0x9e3779b97f4a7c15ull;
	s->recent = calloc((size_t)s->p.penalty_last_n, sizeof *s->recent);
	s->work = malloc((size_t)n_vocab * sizeof *s->work);
	s->prob = malloc((size_t)n_vocab * sizeof *s->prob);
	s->cands = malloc((size_t)n_vocab * sizeof *s->cands);
	s->count = calloc((size_t)n_vocab, sizeof *s->count);
	if (!s->recent || !s->work || !s->prob || !s->cands || !s->count) {
		eng_sampler_free(s);
		return NULL;
	}
	return s;
}

void eng_sampler_free(eng_sampler *s)
{
	if (!s)
		return;
	free(s->recent);
	free(s->work);
	free(s->prob);
	free(s->cands);
	free(s->count);
	free(s);
}

void eng_sampler_accept(eng_sampler *s, int32_t tok)
{
	if (!s || tok < 0 || tok >= s->n_vocab)
		return;
	if (s->n_recent == s->p.penalty_last_n) {
		int32_t old = s->recent[s->head];
		if (s->count[old])
			s->count[old]--;
	} else {
		s->n_recent++;
	}
	s->recent[s->head] = tok;
	s->head = (s->head + 1) % s->p.penalty_last_n;
	if (s->count[tok] < UINT16_MAX)
		s->count[tok]++;
}

/* splitmix64 -> uniform [0, 1) */
static double rng_uniform(struct eng_sampler *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->logit > y->logit)
		return -1;
	if (x->logit < y->logit)
		return 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Moves the k best candidates (cand_cmp order) to the front. */
static void select_top(struct cand *c, int n, int k)
{
	int lo = 0, hi = n - 1;
	while (lo < hi) {
		struct cand pivot = c[lo + (hi - lo) / 2], t;
		int i = lo, j = hi;
		while (i <= j) {
			while (cand_cmp(&c[i], &pivot) < 0)
				i++;
			while (cand_cmp(&c[j], &pivot) > 0)
				j--;
			if (i <= j) {
				t = c[i];
				c[i] = c[j];
				c[j] = t;
				i++;
				j--;
			}
		}
		if (k - 1 <= j)
			hi = j;
		else if (k - 1 >= i)
			lo = i;
		else
			break;
	}
}

/* The candidates of logits after penalties and filters, with their
 * weights at the temperature in s->prob (unnormalised, *sum their sum):
 * their count; 0 when the choice is greedy (or every logit is NaN), with
 * *greedy the pick. */
static int candidates(eng_sampler *s, const float *logits, double *sum_out, int32_t *greedy)
{
	const int V = s->n_vocab;
	float *l = s->work;

	memcpy(l, logits, (size_t)V * sizeof *l);
	/* penalties over the recent window */
	if (s->p.repeat_penalty != 1.0f || s->p.presence_penalty != 0.0f) {
		for (int i = 0; i < s->n_recent; i++) {
			int32_t t = s->recent[i];
			if (s->count[t] == 0)
				continue;
			/* once per distinct token: the high bit marks it as done */
			if (s->p.repeat_penalty != 1.0f && s->p.repeat_penalty > 0.0f)
				l[t] = l[t] > 0 ? l[t] / s->p.repeat_penalty : l[t] * s->p.repeat_penalty;
			l[t] -= s->p.presence_penalty;
			s->count[t] |= 0x8000;   /* visited */
		}
		for (int i = 0; i < s->n_recent; i++)
			s->count[s->recent[i]] &= 0x7fff;
	}
	if (s->p.temperature <= 0.0f) {
		*greedy = eng_argmax(l, V);
		return 0;
	}

	/* candidates: the top_k best (quickselect), or every token within
	 * reach of the best (exp(-60) of its probability is nothing) */
	int n = 0;
	float maxl = l[0];
	for (int i = 1; i < V; i++)
		if (l[i] > maxl)
			maxl = l[i];
	int k = s->p.top_k > 0 && s->p.top_k < V ? s->p.top_k : V;
	const float floor_l = maxl - 60.0f * (s->p.temperature > 1.0f ? s->p.temperature : 1.0f);
	for (int i = 0; i < V; i++) {
		if (k == V && !(l[i] >= floor_l))
			continue;
		s->cands[n].logit = l[i];
		s->cands[n].id = i;
		n++;
	}
	if (k < n) {
		select_top(s->cands, n, k);
		n = k;
	}
	if (n == 0) {  /* every logit NaN */
		*greedy = eng_argmax(l, V);
		return 0;
	}
	qsort(s->cands, (size_t)n, sizeof *s->cands, cand_cmp);
	/* softmax over the candidates (at temperature 1 for the filters) */
	const double top = s->cands[0].logit;
	double sum = 0.0;
	double *pr = s->prob;
	for (int i = 0; i < n; i++) {
		pr[i] = exp((double)s->cands[i].logit - top);
		sum += pr[i];
	}
	if (s->p.top_p > 0.0f && s->p.top_p < 1.0f) {
		double cum = 0.0;
		for (int i = 0; i < n; i++) {
			cum += pr[i] / sum;
			if (cum >= s->p.top_p) {
				n = i + 1;
				break;
			}
		}
	}
	if (s->p.min_p > 0.0f) {
		double thr = (double)s->p.min_p * pr[0];
		int m = 1;
		while (m < n && pr[m] >= thr)
			m++;
		n = m;
	}
	/* temperature */
	sum = 0.0;
	for (int i = 0; i < n; i++) {
		pr[i] = exp(((double)s->cands[i].logit - top) / s->p.temperature);
		sum += pr[i];
	}
	*sum_out = sum;
	return n;
}

int32_t eng_sampler_sample(eng_sampler *s, const float *logits)
{
	double sum = 0.0;
	int32_t greedy = 0;
	int n = candidates(s, logits, &sum, &greedy);
	if (n == 0)
		return greedy;
	const double *pr = s->prob;
	double r = rng_uniform(s) * sum, acc = 0.0;
	int32_t pick = s->cands[n - 1].id;
	for (int i = 0; i < n; i++) {
		acc += pr[i];
		if (r < acc) {
			pick = s->cands[i].id;
			break;
		}
	}
	return pick;
}

int eng_sampler_greedy(const eng_sampler *s)
{
	return s->p.temperature <= 0.0f;
}

void eng_sampler_dist(eng_sampler *s, const float *logits, float *probs)
{
	double sum = 0.0;
	int32_t greedy = 0;
	int n = candidates(s, logits, &sum, &greedy);
	memset(probs, 0, (size_t)s->n_vocab * sizeof *probs);
	if (n == 0) {
		probs[greedy] = 1.0f;
		return;
	}
	for (int i = 0; i < n; i++)
		probs[s->cands[i].id] = (float)(s->prob[i] / sum);
}

double eng_sampler_uniform(eng_sampler *s)
{
	return rng_uniform(s);
}

int32_t eng_sampler_draw(eng_sampler *s, const float *probs)
{
	double sum = 0.0;
	for (int i = 0; i < s->n_vocab; i++)
		sum += probs[i];
	if (!(sum > 0.0))
		return eng_argmax(probs, s->n_vocab);
	double r = rng_uniform(s) * sum, acc = 0.0;
	int32_t last = 0;
	for (int i = 0; i < s->n_vocab; i++) {
		if (probs[i] <= 0.0f)
			continue;
		acc += probs[i];
		last = i;
		if (r < acc)
			return i;
	}
	return last;
}
