/* text.c — the model's tokenizer glue and text generation (eng_generate*).
 *
 * Generation runs every prompt as its own sequence of one context; all
 * running sequences advance together, one token each per batched decode
 * step. A sequence stops at an end-of-generation token, a stop string,
 * max_tokens, or when its callback says so; a waiting prompt then takes its
 * slot. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "engine/gguf.h"
#include "engine/tokenizer.h"
#include "engine/tokenizer_int.h"

enum eng_err eng_model_tok_init(struct eng_model *m)
{
	char err[256];
	m->tok = NULL;
	if (eng_gguf_find(m->gguf, "tokenizer.ggml.model") < 0)
		return ENG_OK;   /* no tokenizer: ids-only use */
	return eng_tok_load(m->gguf, &m->tok, err, sizeof err);
}

void eng_model_tok_free(struct eng_model *m)
{
	eng_tok_free(m->tok);
	m->tok = NULL;
}

enum eng_err eng_tokenize(const eng_model *m, const char *text, size_t len, int add_special,
			  int parse_special, int32_t **ids_out, int *n_out)
{
	if (!m || !m->tok)
		return ENG_ERR_TOKENIZER;
	return eng_tok_encode_alloc(m->tok, text, len, add_special, parse_special, ids_out, n_out);
}

int eng_token_is_eog(const eng_model *m, int32_t tok)
{
	if (m->tok)
		return eng_tok_is_eog(m->tok, tok);
	return tok >= 0 && (tok == m->eos || tok == m->eot);
}

void eng_gen_default(struct eng_gen_params *g)
{
	memset(g, 0, sizeof *g);
	eng_sampling_default(&g->sampling);
	g->max_tokens = 256;
}

/* Formats the prompt (chat template or plain) and tokenizes it. */
static enum eng_err prompt_ids(struct eng_ctx *c, const char *prompt, const struct eng_gen_params *g,
			       const char *system, int32_t **ids, int *n)
{
	struct eng_model *m = c->m;
	enum eng_err e;

	if (!m->tok) {
		eng_ctx_set_err(c, "the model file has no tokenizer");
		return ENG_ERR_TOKENIZER;
	}
	if (!g->chat)
		return eng_tok_encode_alloc(m->tok, prompt, strlen(prompt), 1, 0, ids, n);

	enum eng_chat_tmpl k = g->chat_template ? eng_chat_template_from_name(g->chat_template)
					       : eng_chat_template_detect(m->chat_template);
	if (k == ENG_CHAT_UNKNOWN) {
		if (g->chat_template)
			eng_ctx_set_err(c, "chat template '%s' is not one we know (known: %s)",
					g->chat_template, eng_chat_template_names());
		else if (!m->chat_template)
			eng_ctx_set_err(c, "the model file has no chat template "
					"(tokenizer.chat_template); name one (known: %s)",
					eng_chat_template_names());
		else
			eng_ctx_set_err(c, "the model's chat template is not one we recognise; "
					"name one (known: %s)", eng_chat_template_names());
		return ENG_ERR_TEMPLATE;
	}
	struct eng_chat_msg msgs[2];
	int nm = 0;
	char defsys[1024];
	const char *dsys = NULL;
	if (system)
		msgs[nm++] = (struct eng_chat_msg){ "system", system };
	else if (!g->chat_template && m->chat_template &&
		 eng_chat_template_default_system(m->chat_template, defsys, sizeof defsys))
		dsys = defsys;
	msgs[nm++] = (struct eng_chat_msg){ "user", prompt };
	char *text = NULL;
	e = eng_chat_render(k, msgs, nm, 1, dsys, &text);
	if (e != ENG_OK)
		return e;
	e = eng_tok_encode_alloc(m->tok, text, strlen(text), 1, 1, ids, n);
	free(text);
	return e;
}

struct gen_seq {
	int slot;              /* context sequence, -1 when idle */
	int idx;               /* prompt index */
	int32_t next;          /* token to feed */
	int n_gen;
	eng_sampler *smp;
	struct eng_tok_stream *st;
	char *text;            /* generated text so far */
	size_t len, cap, emitted;
};

static int text_append(struct gen_seq *q, const char *s, size_t n)
{
	if (q->len + n + 1 > q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256;
		while (cap < q->len + n + 1)
			cap *= 2;
		char *t = realloc(q->text, cap);
		if (!t)
			return -1;
		q->text = t;
		q->cap = cap;
	}
	memcpy(q->text + q->len, s, n);
	q->len += n;
	q->text[q->len] = 0;
	return 0;
}

/* Emits what can no longer become part of a stop string; returns 1 when a
 * stop string was found (text is cut before it) or the callback stopped. */
static int emit(struct gen_seq *q, const struct eng_gen_params *g, int32_t tok, int final)
{
	size_t upto = q->len;
	int stop = 0;

	for (int i = 0; i < g->n_stop; i++) {
		const char *sstr = g->stop[i];
		size_t sl = strlen(sstr);
		if (!sl)
			continue;
		/* a match can only start at or after emitted */
		const char *hit = strstr(q->text + q->emitted, sstr);
		if (hit && (size_t)(hit - q->text) < upto) {
			upto = (size_t)(hit - q->text);
			stop = 1;
		}
	}
	if (!stop && !final) {
		/* hold back the longest tail that is a prefix of a stop string */
		size_t hold = 0;
		for (int i = 0; i < g->n_stop; i++) {
			size_t sl = strlen(g->stop[i]);
			for (size_t k = sl > 1 ? sl - 1 : 0; k > hold; k--) {
				if (k <= q->len - q->emitted &&
				    !memcmp(q->text + q->len - k, g->stop[i], k)) {
					hold = k;
					break;
				}
			}
		}
		upto = q->len - hold;
	}
	int cb_stop = 0;
	if (upto > q->emitted || (g->on_token && tok >= 0)) {
		if (g->on_token)
			cb_stop = g->on_token(g->ud, q->idx, tok, q->text + q->emitted, upto - q->emitted);
		q->emitted = upto;
	}
	if (stop) {
		q->len = upto;
		q->text[upto] = 0;
	}
	return stop || cb_stop;
}

static void seq_release(struct eng_ctx *c, struct gen_seq *q, const struct eng_gen_params *g,
			char **texts_out)
{
	if (g->on_done && q->idx >= 0)
		g->on_done(g->ud, q->idx);
	if (q->slot >= 0)
		eng_seq_free(c, q->slot);
	q->slot = -1;
	eng_sampler_free(q->smp);
	q->smp = NULL;
	eng_tok_stream_free(q->st);
	q->st = NULL;
	if (texts_out && q->idx >= 0) {
		texts_out[q->idx] = q->text ? q->text : strdup("");
		q->text = NULL;
	}
	free(q->text);
	q->text = NULL;
	q->len = q->cap = q->emitted = 0;
}

/* Prepares prompt idx in q: tokens (*ids_out, caller frees), a sequence
 * slot, sampler and detokenizer. The prompt is fed by the caller. */
static enum eng_err seq_prepare(struct eng_ctx *c, struct gen_seq *q, int idx, const char *prompt,
				const struct eng_gen_params *g, int32_t **ids_out, int *n_out)
{
	int32_t *ids = NULL;
	int n = 0;
	enum eng_err e;

	memset(q, 0, sizeof *q);
	q->slot = -1;
	q->idx = idx;
	*ids_out = NULL;
	*n_out = 0;
	e = prompt_ids(c, prompt, g, g->seq_system ? g->seq_system[idx] : g->system, &ids, &n);
	if (e != ENG_OK)
		return e;
	if (n >= c->p.n_ctx) {
		eng_ctx_set_err(c, "prompt %d has %d tokens; the context holds %d", idx, n, c->p.n_ctx);
		free(ids);
		return ENG_ERR_CONTEXT_FULL;
	}
	e = eng_seq_new(c, &q->slot);
	if (e == ENG_OK) {
		struct eng_sampling sp = g->sampling;
		if (g->seq_sampling)
			sp = g->seq_sampling[idx];
		else
			sp.seed += (uint64_t)idx;
		q->smp = eng_sampler_new(&sp, c->m->hp.n_vocab);
		q->st = eng_tok_stream_new(c->m->tok, 0);
		if (!q->smp || !q->st || text_append(q, "", 0))
			e = ENG_ERR_NOMEM;
	}
	if (e != ENG_OK) {
		free(ids);
		return e;
	}
	for (int i = 0; i < n; i++)
		eng_sampler_accept(q->smp, ids[i]);
	*ids_out = ids;
	*n_out = n;
	return ENG_OK;
}

/* Handles q->next: ends the sequence (returns 1) or queues it for decode. */
static int seq_take(struct eng_ctx *c, struct gen_seq *q, const struct eng_gen_params *g,
		    enum eng_err *err)
{
	int32_t t = q->next;
	size_t pl = 0;
	const char *piece;

	if (eng_token_is_eog(c->m, t)) {
		piece = eng_tok_stream_flush(q->st, &pl);
		if (piece && pl)
			text_append(q, piece, pl);
		emit(q, g, -1, 1);
		return 1;
	}
	eng_sampler_accept(q->smp, t);
	q->n_gen++;
	piece = eng_tok_stream_push(q->st, t, &pl);
	if (!piece || text_append(q, piece, pl)) {
		*err = ENG_ERR_NOMEM;
		return 1;
	}
	if (emit(q, g, t, 0))
		return 1;
	if (g->max_tokens > 0 && q->n_gen >= g->max_tokens) {
		piece = eng_tok_stream_flush(q->st, &pl);
		if (piece && pl)
			text_append(q, piece, pl);
		emit(q, g, -1, 1);
		return 1;
	}
	if (eng_seq_pos(c, q->slot) >= c->p.n_ctx) {
		eng_ctx_set_err(c, "context full: generation for prompt %d reached the context "
				"length %d after %d tokens", q->idx, c->p.n_ctx, q->n_gen);
		*err = ENG_ERR_CONTEXT_FULL;
		emit(q, g, -1, 1);
		return 1;
	}
	return 0;
}

int eng_vocab_differs(const eng_model *a, const eng_model *b, char *why, size_t len)
{
	const struct eng_tok *x = a ? a->tok : NULL, *y = b ? b->tok : NULL;
	if (!x || !y) {
		snprintf(why, len, "a model without a tokenizer");
		return 1;
	}
	if (x->n_vocab != y->n_vocab || a->hp.n_vocab != b->hp.n_vocab) {
		snprintf(why, len, "the vocabularies differ in size (%d and %d tokens)", x->n_vocab,
			 y->n_vocab);
		return 1;
	}
	for (int i = 0; i < x->n_vocab; i++)
		if (x->text_len[i] != y->text_len[i] ||
		    memcmp(x->arena + x->text_off[i], y->arena + y->text_off[i], x->text_len[i])) {
			snprintf(why, len, "token %d differs ('%.*s' and '%.*s')", i,
				 (int)(x->text_len[i] < 40 ? x->text_len[i] : 40), x->arena + x->text_off[i],
				 (int)(y->text_len[i] < 40 ? y->text_len[i] : 40), y->arena + y->text_off[i]);
			return 1;
		}
	return 0;
}

#define SPEC_KMAX 8

/* A sequence's state in the draft model: the tokens it has not been fed
 * yet (the last accepted draft token and the pending one). */
struct spec_seq {
	int dslot;
	int32_t pend[SPEC_KMAX + 4];
	int npend;
	eng_sampler *smp;      /* the draft's sampler (no history: any proposal
				* distribution keeps the result exact) */
};

static double pass_seconds(const eng_ctx *c)
{
	struct eng_pass_stats st;
	eng_ctx_stats(c, &st);
	return st.passes ? st.seconds / (double)st.passes : 0.0;
}

/* The draft length that gives the most tokens per unit of cost: a round
 * yields (1 - a^(k+1)) / (1 - a) tokens for k draft passes (each r of a
 * target pass) and one target pass. */
static int spec_best_k(double a, double r)
{
	int best = 1;
	double bv = 0;
	if (a > 0.999)
		a = 0.999;
	for (int k = 1; k <= SPEC_KMAX; k++) {
		double v = (1.0 - pow(a, k + 1)) / (1.0 - a) / (k * r + 1.0);
		if (v > bv) {
			bv = v;
			best = k;
		}
	}
	return best;
}

/* eng_generate_batch with a draft model (g->draft): rounds of drafting k
 * tokens for every running sequence (k passes of the draft), one pass of
 * the model over all of them (eng_decode_multi), then the standard
 * accept/reject rule token by token; the KV cells of rejected tokens are
 * dropped (eng_seq_truncate). */
static enum eng_err gen_spec(eng_ctx *c, int n, const char *const *prompts,
			     const struct eng_gen_params *g, char **texts_out)
{
	eng_ctx *d = g->draft;
	enum eng_err err = ENG_OK;
	const int V = c->m->hp.n_vocab;
	int nslots = c->p.n_seq < d->p.n_seq ? c->p.n_seq : d->p.n_seq;
	struct eng_spec_stats st = { 0 };
	char why[160];

	if (eng_vocab_differs(c->m, d->m, why, sizeof why)) {
		eng_ctx_set_err(c, "the draft model's vocabulary is not the model's: %s", why);
		return ENG_ERR_INVALID_ARG;
	}
	const int K1 = SPEC_KMAX + 1;
	struct gen_seq *qs = calloc((size_t)nslots, sizeof *qs);
	struct spec_seq *ds = calloc((size_t)nslots, sizeof *ds);
	float *tlog = malloc((size_t)nslots * K1 * V * sizeof *tlog);
	float *dlog = malloc((size_t)nslots * (SPEC_KMAX + 4) * V * sizeof *dlog);
	float *qd = NULL;                 /* draft distributions, when sampling */
	float *pd = malloc((size_t)V * sizeof *pd), *res = malloc((size_t)V * sizeof *res);
	int32_t *drafts = malloc((size_t)nslots * SPEC_KMAX * sizeof *drafts);
	int32_t *vt = malloc((size_t)nslots * K1 * sizeof *vt);
	const int32_t **vp = calloc((size_t)nslots, sizeof *vp);
	int *vc = malloc((size_t)nslots * sizeof *vc), *slots = malloc((size_t)nslots * sizeof *slots);
	int *dslots = malloc((size_t)nslots * sizeof *dslots), *who = malloc((size_t)nslots * sizeof *who);
	int *base = malloc((size_t)nslots * sizeof *base);
	int32_t **pids = calloc((size_t)nslots, sizeof *pids);
	int *pn = calloc((size_t)nslots, sizeof *pn);
	int32_t *dtok = malloc((size_t)nslots * sizeof *dtok);
	if (!qs || !ds || !tlog || !dlog || !pd || !res || !drafts || !vt || !vp || !vc || !slots ||
	    !dslots || !who || !base || !pids || !pn || !dtok) {
		err = ENG_ERR_NOMEM;
		goto out;
	}
	for (int i = 0; i < nslots; i++) {
		qs[i].slot = -1;
		qs[i].idx = -1;
		ds[i].dslot = -1;
	}
	int k = g->draft_k > 0 ? (g->draft_k < SPEC_KMAX ? g->draft_k : SPEC_KMAX) : 4;
	double alpha = 0.6;
	int next_prompt = 0, running = 0;
	for (;;) {
		/* new prompts into free slots: the model and the draft take them */
		int nnew = 0;
		for (int i = 0; i < nslots && next_prompt < n && err == ENG_OK; i++) {
			if (qs[i].idx >= 0)
				continue;
			err = seq_prepare(c, &qs[i], next_prompt, prompts[next_prompt], g, &pids[nnew],
					  &pn[nnew]);
			next_prompt++;
			if (err == ENG_OK && (err = eng_seq_new(d, &ds[i].dslot)) != ENG_OK)
				eng_ctx_set_err(c, "draft: %s", eng_ctx_errmsg(d));
			if (err == ENG_OK) {
				struct eng_sampling sp = g->seq_sampling ? g->seq_sampling[qs[i].idx]
									: g->sampling;
				sp.seed += 0x5eed5eedull + (uint64_t)qs[i].idx;
				sp.repeat_penalty = 1.0f;
				sp.presence_penalty = 0.0f;
				eng_sampler_free(ds[i].smp);
				if (!(ds[i].smp = eng_sampler_new(&sp, V)))
					err = ENG_ERR_NOMEM;
				if (!eng_sampler_greedy(ds[i].smp) && !qd &&
				    !(qd = malloc((size_t)nslots * SPEC_KMAX * V * sizeof *qd)))
					err = ENG_ERR_NOMEM;
			}
			if (err != ENG_OK) {
				seq_release(c, &qs[i], g, texts_out);
				qs[i].idx = -1;
				if (ds[i].dslot >= 0)
					eng_seq_free(d, ds[i].dslot);
				ds[i].dslot = -1;
				break;
			}
			slots[nnew] = qs[i].slot;
			dslots[nnew] = ds[i].dslot;
			who[nnew] = i;
			nnew++;
		}
		if (nnew > 0 && err == ENG_OK) {
			err = eng_prefill_batch(c, nnew, slots, (const int32_t *const *)pids, pn, tlog);
			if (err == ENG_OK &&
			    (err = eng_prefill_batch(d, nnew, dslots, (const int32_t *const *)pids, pn,
						     NULL)) != ENG_OK)
				eng_ctx_set_err(c, "draft: %s", eng_ctx_errmsg(d));
		}
		for (int j = 0; j < nnew; j++) {
			struct gen_seq *q = &qs[who[j]];
			struct spec_seq *x = &ds[who[j]];
			free(pids[j]);
			pids[j] = NULL;
			int end = err != ENG_OK;
			if (!end) {
				running++;
				q->next = eng_sampler_sample(q->smp, tlog + (size_t)j * V);
				end = seq_take(c, q, g, &err);
				x->pend[0] = q->next;
				x->npend = 1;
			}
			if (end) {
				seq_release(c, q, g, texts_out);
				q->idx = -1;
				eng_seq_free(d, x->dslot);
				x->dslot = -1;
			}
		}
		if (err != ENG_OK)
			break;
		running = 0;
		for (int i = 0; i < nslots; i++)
			running += qs[i].idx >= 0;
		if (running == 0) {
			if (next_prompt < n)
				continue;
			break;
		}
		/* this round's draft length: what the contexts have room for */
		int nb = 0, kr = k;
		for (int i = 0; i < nslots; i++) {
			if (qs[i].idx < 0)
				continue;
			int room = c->p.n_ctx - eng_seq_pos(c, qs[i].slot) - 1;
			int droom = d->p.n_ctx - eng_seq_pos(d, ds[i].dslot) - ds[i].npend;
			if (g->max_tokens > 0 && g->max_tokens - qs[i].n_gen - 1 < room)
				room = g->max_tokens - qs[i].n_gen - 1;
			if (room < kr)
				kr = room;
			if (droom < kr)
				kr = droom;
			if (ds[i].npend + 1 > SPEC_KMAX + 4)
				kr = 0;
			who[nb] = i;
			slots[nb] = qs[i].slot;
			dslots[nb] = ds[i].dslot;
			base[nb] = eng_seq_pos(c, qs[i].slot);
			nb++;
		}
		if (kr < 0)
			kr = 0;
		/* draft kr tokens for every running sequence: kr passes */
		for (int step = 0; step < kr && err == ENG_OK; step++) {
			if (step == 0) {
				for (int j = 0; j < nb; j++) {
					vp[j] = ds[who[j]].pend;
					vc[j] = ds[who[j]].npend;
				}
				err = eng_decode_multi(d, nb, dslots, vp, vc, dlog);
			} else {
				for (int j = 0; j < nb; j++)
					dtok[j] = drafts[(size_t)j * SPEC_KMAX + step - 1];
				err = eng_decode(d, nb, dslots, dtok, dlog);
			}
			if (err != ENG_OK) {
				eng_ctx_set_err(c, "draft: %s", eng_ctx_errmsg(d));
				break;
			}
			st.draft_passes++;
			for (int j = 0, row = 0; j < nb; j++) {
				row += step == 0 ? vc[j] : 1;
				const float *l = dlog + (size_t)(row - 1) * V;
				struct spec_seq *x = &ds[who[j]];
				int32_t t;
				if (eng_sampler_greedy(x->smp)) {
					t = eng_sampler_sample(x->smp, l);
				} else {
					float *qj = qd + ((size_t)j * SPEC_KMAX + step) * V;
					eng_sampler_dist(x->smp, l, qj);
					t = eng_sampler_draw(x->smp, qj);
				}
				drafts[(size_t)j * SPEC_KMAX + step] = t;
			}
		}
		if (err != ENG_OK)
			break;
		/* the model checks them all: one pass */
		for (int j = 0; j < nb; j++) {
			int32_t *row = vt + (size_t)j * K1;
			row[0] = qs[who[j]].next;
			memcpy(row + 1, drafts + (size_t)j * SPEC_KMAX, (size_t)kr * sizeof *row);
			vp[j] = row;
			vc[j] = kr + 1;
		}
		struct eng_pass_stats before;
		eng_ctx_stats(c, &before);
		err = eng_decode_multi(c, nb, slots, vp, vc, tlog);
		if (err != ENG_OK)
			break;
		struct eng_pass_stats after;
		eng_ctx_stats(c, &after);
		st.target_passes += after.passes - before.passes;
		st.rounds++;
		st.k_last = kr;
		uint64_t round_drafted = 0, round_accepted = 0;
		for (int j = 0; j < nb && err == ENG_OK; j++) {
			struct gen_seq *q = &qs[who[j]];
			struct spec_seq *x = &ds[who[j]];
			const int32_t *dr = drafts + (size_t)j * SPEC_KMAX;
			const int P = base[j];
			int a = 0, end = 0;
			/* positions: the pending token is in; each accepted draft
			 * token adds one */
			c->seq_pos[q->slot] = P + 1;
			for (int t = 0; t <= kr && !end; t++) {
				const float *l = tlog + ((size_t)j * (kr + 1) + t) * V;
				int32_t pick;
				int accept = 0;
				if (eng_sampler_greedy(q->smp)) {
					pick = eng_sampler_sample(q->smp, l);
					accept = t < kr && pick == dr[t];
				} else {
					eng_sampler_dist(q->smp, l, pd);
					if (t < kr) {
						const float *qj = qd + ((size_t)j * SPEC_KMAX + t) * V;
						double u = eng_sampler_uniform(q->smp);
						accept = qj[dr[t]] > 0 && u * qj[dr[t]] < pd[dr[t]];
						if (!accept) {
							for (int v = 0; v < V; v++)
								res[v] = pd[v] > qj[v] ? pd[v] - qj[v] : 0.0f;
							pick = eng_sampler_draw(q->smp, res);
						} else {
							pick = dr[t];
						}
					} else {
						pick = eng_sampler_draw(q->smp, pd);
					}
				}
				if (accept)
					pick = dr[t];
				q->next = pick;
				st.tokens++;
				end = seq_take(c, q, g, &err);
				if (!accept)
					break;
				a++;
				c->seq_pos[q->slot] = P + 1 + a;
			}
			round_drafted += (uint64_t)kr;
			round_accepted += (uint64_t)a;
			if (end) {
				seq_release(c, q, g, texts_out);
				q->idx = -1;
				eng_seq_free(d, x->dslot);
				x->dslot = -1;
				continue;
			}
			/* the draft: keep what was accepted of what it was fed */
			if (kr == 0) {
				x->pend[x->npend++] = q->next;
			} else {
				int fed_end = P + kr;      /* it was fed up to position P + kr - 1 */
				int keep = P + 1 + (a < kr ? a : kr - 1);
				if (keep > fed_end)
					keep = fed_end;
				if ((err = eng_seq_truncate(d, x->dslot, keep)) != ENG_OK)
					break;
				x->npend = 0;
				if (a == kr)
					x->pend[x->npend++] = dr[kr - 1];
				x->pend[x->npend++] = q->next;
			}
		}
		st.drafted += round_drafted;
		st.accepted += round_accepted;
		if (err != ENG_OK)
			break;
		/* the next round's draft length, from the acceptance and the
		 * passes' costs measured so far */
		if (g->draft_k <= 0 && round_drafted > 0) {
			alpha = 0.7 * alpha + 0.3 * (double)round_accepted / (double)round_drafted;
			double tp = pass_seconds(c), dp = pass_seconds(d);
			k = spec_best_k(alpha, tp > 0 ? dp / tp : 0.1);
		}
	}
out:
	if (qs)
		for (int i = 0; i < nslots; i++) {
			if (qs[i].idx >= 0 || qs[i].slot >= 0)
				seq_release(c, &qs[i], g, texts_out);
			if (ds && ds[i].dslot >= 0)
				eng_seq_free(d, ds[i].dslot);
		}
	if (ds)
		for (int i = 0; i < nslots; i++)
			eng_sampler_free(ds[i].smp);
	if (pids)
		for (int i = 0; i < nslots; i++)
			free(pids[i]);
	if (g->spec)
		*g->spec = st;
	free(qs);
	free(ds);
	free(tlog);
	free(dlog);
	free(qd);
	free(pd);
	free(res);
	free(drafts);
	free(vt);
	free(vp);
	free(vc);
	free(slots);
	free(dslots);
	free(who);
	free(base);
	free(pids);
	free(pn);
	free(dtok);
	return err;
}

enum eng_err eng_generate_batch(eng_ctx *c, int n, const char *const *prompts,
				const struct eng_gen_params *g, char **texts_out)
{
	struct eng_gen_params gd;
	enum eng_err err = ENG_OK;
	const int V = c ? c->m->hp.n_vocab : 0;

	if (!c || n < 0 || (n > 0 && !prompts))
		return ENG_ERR_INVALID_ARG;
	if (!g) {
		eng_gen_default(&gd);
		g = &gd;
	}
	if (texts_out)
		for (int i = 0; i < n; i++)
			texts_out[i] = NULL;
	if (g->draft)
		return gen_spec(c, n, prompts, g, texts_out);
	int nslots = c->p.n_seq;
	struct gen_seq *qs = calloc((size_t)nslots, sizeof *qs);
	float *logits = malloc((size_t)nslots * V * sizeof *logits);
	int *slots = malloc((size_t)nslots * sizeof *slots);
	int32_t *toks = malloc((size_t)nslots * sizeof *toks);
	int *who = malloc((size_t)nslots * sizeof *who);
	int32_t **pids = calloc((size_t)nslots, sizeof *pids);
	int *pn = calloc((size_t)nslots, sizeof *pn);
	int *rslots = malloc((size_t)nslots * sizeof *rslots), *rwho = malloc((size_t)nslots * sizeof *rwho);
	if (!qs || !logits || !slots || !toks || !who || !pids || !pn || !rslots || !rwho) {
		err = ENG_ERR_NOMEM;
		goto out;
	}
	for (int i = 0; i < nslots; i++) {
		qs[i].slot = -1;
		qs[i].idx = -1;
	}
	int next_prompt = 0, running = 0;
	const int nopack = getenv("BRIEFING_ENGINE_NO_PACK") != NULL;
	for (;;) {
		/* fill free slots with waiting prompts; their prompts share
		 * weight passes (eng_prefill_batch), and with the running
		 * sequences' next step when there are any (eng_step) */
		int nnew = 0;
		for (int i = 0; i < nslots && next_prompt < n && err == ENG_OK; i++) {
			if (qs[i].idx >= 0)
				continue;
			err = seq_prepare(c, &qs[i], next_prompt, prompts[next_prompt], g, &pids[nnew],
					  &pn[nnew]);
			next_prompt++;
			if (err != ENG_OK) {
				seq_release(c, &qs[i], g, texts_out);
				qs[i].idx = -1;
				break;
			}
			slots[nnew] = qs[i].slot;
			who[nnew] = i;
			nnew++;
		}
		/* running sequences (not the new ones): their next token */
		int nrun = 0;
		for (int i = 0; i < nslots && nnew > 0; i++) {
			int is_new = 0;
			for (int k = 0; k < nnew; k++)
				is_new |= who[k] == i;
			if (qs[i].idx < 0 || is_new)
				continue;
			rslots[nrun] = qs[i].slot;
			toks[nrun] = qs[i].next;
			rwho[nrun] = i;
			nrun++;
		}
		float *nlog = logits + (size_t)nrun * V;   /* the new prompts' rows */
		/* BRIEFING_ENGINE_NO_PACK=1: one prompt per pass, apart from the
		 * decode steps, as before packing (to measure it; same tokens) */
		if (nnew > 0 && err == ENG_OK && nopack) {
			for (int k = 0; k < nnew && err == ENG_OK; k++)
				err = eng_prefill(c, slots[k], pids[k], pn[k], nlog + (size_t)k * V);
			nrun = 0;   /* they decode in the step below */
		} else if (nnew > 0 && err == ENG_OK && nrun > 0) {
			/* the new prompts ride with the running sequences' step */
			err = eng_step(c, nrun, rslots, toks, logits, nnew, slots, (const int32_t *const *)pids,
				       pn, nlog);
		} else if (nnew > 0 && err == ENG_OK) {
			err = eng_prefill_batch(c, nnew, slots, (const int32_t *const *)pids, pn, nlog);
		}
		for (int k = 0; k < nnew; k++) {
			struct gen_seq *q = &qs[who[k]];
			free(pids[k]);
			pids[k] = NULL;
			if (err != ENG_OK) {
				seq_release(c, q, g, texts_out);
				q->idx = -1;
				continue;
			}
			running++;
			q->next = eng_sampler_sample(q->smp, nlog + (size_t)k * V);
			if (seq_take(c, q, g, &err)) {
				seq_release(c, q, g, texts_out);
				q->idx = -1;
				running--;
			}
		}
		if (nnew > 0 && nrun > 0 && err == ENG_OK) {
			/* the running sequences took their step with the prompts */
			for (int k = 0; k < nrun; k++) {
				struct gen_seq *q = &qs[rwho[k]];
				q->next = eng_sampler_sample(q->smp, logits + (size_t)k * V);
				if (seq_take(c, q, g, &err)) {
					seq_release(c, q, g, texts_out);
					q->idx = -1;
					running--;
				}
			}
			if (err != ENG_OK || running == 0)
				break;
			continue;
		}
		if (err != ENG_OK || running == 0)
			break;
		int nb = 0;
		for (int i = 0; i < nslots; i++) {
			if (qs[i].idx < 0)
				continue;
			slots[nb] = qs[i].slot;
			toks[nb] = qs[i].next;
			who[nb] = i;
			nb++;
		}
		err = eng_decode(c, nb, slots, toks, logits);
		if (err != ENG_OK)
			break;
		for (int k = 0; k < nb; k++) {
			struct gen_seq *q = &qs[who[k]];
			q->next = eng_sampler_sample(q->smp, logits + (size_t)k * V);
			if (seq_take(c, q, g, &err)) {
				seq_release(c, q, g, texts_out);
				q->idx = -1;
				running--;
			}
		}
		if (err != ENG_OK)
			break;
	}
out:
	if (qs)
		for (int i = 0; i < nslots; i++)
			if (qs[i].idx >= 0 || qs[i].slot >= 0)
				seq_release(c, &qs[i], g, texts_out);
	free(qs);
	free(logits);
	free(slots);
	free(toks);
	free(who);
	if (pids)
		for (int i = 0; i < nslots; i++)
			free(pids[i]);
	free(pids);
	free(pn);
	free(rslots);
	free(rwho);
	return err;
}

enum eng_err eng_generate(eng_ctx *c, const char *prompt, const struct eng_gen_params *g,
			  char **text_out)
{
	return eng_generate_batch(c, 1, &prompt, g, text_out);
}
