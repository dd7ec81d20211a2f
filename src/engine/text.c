/* text.c — the model's tokenizer glue and text generation (eng_generate*).
 *
 * Generation runs every prompt as its own sequence of one context; all
 * running sequences advance together, one token each per batched decode
 * step. A sequence stops at an end-of-generation token, a stop string,
 * max_tokens, or when its callback says so; a waiting prompt then takes its
 * slot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "engine/gguf.h"
#include "engine/tokenizer.h"

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
