/* batch.c — contexts, sequence slots, prefill and batched decode.
 *
 * A forward pass runs a micro-batch of tokens through every layer; the
 * weights of a layer are fetched once (eng_model_layer, the weight-access
 * seam) and each weight row is multiplied against all tokens of the batch
 * while it is in cache. Prefill feeds one sequence's prompt in chunks of
 * n_batch tokens; a decode step feeds one token of each of several
 * sequences, which may be at different positions, finish at different
 * times, and be replaced by new ones. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine_int.h"
#include "engine/quant.h"

void eng_ctx_set_err(struct eng_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof c->errmsg, fmt, ap);
	va_end(ap);
}

const char *eng_ctx_errmsg(const eng_ctx *c)
{
	return c ? c->errmsg : "";
}

int eng_ctx_n_ctx(const eng_ctx *c)
{
	return c->p.n_ctx;
}

int eng_ctx_n_vocab(const eng_ctx *c)
{
	return c->m->hp.n_vocab;
}

const char *eng_ctx_device(const eng_ctx *c)
{
	return c && c->be ? c->be->name : "";
}

const char *eng_ctx_device_note(const eng_ctx *c)
{
	return c ? c->device_note : "";
}

void eng_ctx_stats(const eng_ctx *c, struct eng_pass_stats *out)
{
	*out = c->stats;
}

void eng_ctx_stats_reset(eng_ctx *c)
{
	struct eng_pass_stats s = c->stats;
	memset(&c->stats, 0, sizeof c->stats);
	/* the plan stays */
	c->stats.n_layer = s.n_layer;
	c->stats.layers_streamed = s.layers_streamed;
	memcpy(c->stats.plan_bytes, s.plan_bytes, sizeof s.plan_bytes);
}

/* Every weight type of the model, asked of the chosen backend. */
static enum eng_err check_types(struct eng_ctx *c)
{
	const struct eng_model *m = c->m;
	const struct eng_tensor *ts[16];
	for (int il = -1; il < m->hp.n_layer; il++) {
		int n = 0;
		if (il < 0) {
			ts[n++] = &m->w.token_embd;
			ts[n++] = &m->w.output;
		} else {
			const struct eng_layer_w *w = &m->w.layers[il];
			ts[n++] = &w->wq;
			ts[n++] = &w->wk;
			ts[n++] = &w->wv;
			ts[n++] = &w->wo;
			ts[n++] = &w->w_gate;
			ts[n++] = &w->w_up;
			ts[n++] = &w->w_down;
		}
		for (int i = 0; i < n; i++) {
			if (!ts[i]->data || c->be->supports(ts[i]->type))
				continue;
			const char *tn = eng_type_name((uint32_t)ts[i]->type);
			eng_ctx_set_err(c, "the %s backend cannot multiply %s weights", c->be->name,
					tn ? tn : "unknown");
			return ENG_ERR_UNSUPPORTED_TYPE;
		}
	}
	return ENG_OK;
}

/* Creates the context; on failure *out may hold a context whose errmsg
 * says why (eng_ctx_new_err); eng_ctx_new frees it. */
static enum eng_err ctx_new(eng_model *m, const struct eng_ctx_params *p, eng_ctx **out)
{
	struct eng_ctx *c;
	enum eng_err e;

	*out = NULL;
	if (!m)
		return ENG_ERR_INVALID_ARG;
	c = calloc(1, sizeof *c);
	if (!c)
		return ENG_ERR_NOMEM;
	c->m = m;
	if (p)
		c->p = *p;
	if (c->p.n_ctx <= 0)
		c->p.n_ctx = m->hp.n_ctx_train < 4096 ? m->hp.n_ctx_train : 4096;
	if (c->p.n_ctx <= 0)
		c->p.n_ctx = 2048;
	if (c->p.n_seq <= 0)
		c->p.n_seq = 1;
	if (c->p.n_batch <= 0)
		c->p.n_batch = 256;
	if (c->p.n_threads <= 0)
		c->p.n_threads = eng_pool_default_threads();
	if (c->p.n_seq > 4096 || c->p.n_ctx > (1 << 24) || c->p.n_batch > 65536) {
		free(c);
		return ENG_ERR_INVALID_ARG;
	}
	c->max_ubatch = c->p.n_batch > c->p.n_seq ? c->p.n_batch : c->p.n_seq;
	*out = c;
	c->be = eng_backend_pick(c->p.device, c->device_note, sizeof c->device_note);
	if (!c->be) {
		eng_ctx_set_err(c, "%s", c->device_note);
		return ENG_ERR_DEVICE;
	}
	c->seq_used = calloc((size_t)c->p.n_seq, 1);
	c->seq_pos = calloc((size_t)c->p.n_seq, sizeof(int));
	if (!c->seq_used || !c->seq_pos)
		return ENG_ERR_NOMEM;
	if ((e = check_types(c)) != ENG_OK)
		return e;
	e = eng_pool_new(c->p.n_threads, &c->pool);
	if (e == ENG_OK)
		e = c->be->alloc(c);
	return e;
}

enum eng_err eng_ctx_new_err(eng_model *m, const struct eng_ctx_params *p, eng_ctx **out,
			     char *err, size_t errlen)
{
	eng_ctx *c = NULL;
	enum eng_err e = ctx_new(m, p, &c);
	if (err && errlen)
		err[0] = 0;
	if (e != ENG_OK) {
		if (c && err && errlen)
			snprintf(err, errlen, "%s", c->errmsg);
		eng_ctx_free(c);
		c = NULL;
	}
	*out = c;
	return e;
}

enum eng_err eng_ctx_new(eng_model *m, const struct eng_ctx_params *p, eng_ctx **out)
{
	return eng_ctx_new_err(m, p, out, NULL, 0);
}

void eng_ctx_free(eng_ctx *c)
{
	if (!c)
		return;
	if (c->be && c->be_state)
		c->be->free(c);
	eng_pool_free(c->pool);
	free(c->seq_used);
	free(c->seq_pos);
	free(c);
}

enum eng_err eng_seq_new(eng_ctx *c, int *seq_out)
{
	for (int i = 0; i < c->p.n_seq; i++) {
		if (!c->seq_used[i]) {
			c->seq_used[i] = 1;
			c->seq_pos[i] = 0;
			*seq_out = i;
			return ENG_OK;
		}
	}
	eng_ctx_set_err(c, "all %d sequence slots are in use", c->p.n_seq);
	return ENG_ERR_NO_SEQ;
}

void eng_seq_free(eng_ctx *c, int seq)
{
	if (!c || seq < 0 || seq >= c->p.n_seq)
		return;
	c->seq_used[seq] = 0;
	c->seq_pos[seq] = 0;
	if (c->be->seq_clear)
		c->be->seq_clear(c, seq);
}

int eng_seq_pos(const eng_ctx *c, int seq)
{
	if (!c || seq < 0 || seq >= c->p.n_seq)
		return -1;
	return c->seq_pos[seq];
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One weight pass: every layer's weights once, for all n tokens of ub. */
enum eng_err eng_forward(struct eng_ctx *c, const struct eng_ubatch *ub, float *logits)
{
	struct eng_model *m = c->m;
	const struct eng_backend *be = c->be;
	enum eng_err e = ENG_OK;
	double t0 = mono_s();

	be->pass_begin(c, ub);
	be->embed(c, ub);
	for (int il = 0; il < m->hp.n_layer && e == ENG_OK; il++) {
		const struct eng_layer_w *w = eng_model_layer(m, il);
		if ((e = be->wait(c, il)) != ENG_OK)
			break;
		be->layer(c, w, il, ub);
		be->release(c, il);
	}
	if (e == ENG_OK)
		be->output(c, ub, logits);
	enum eng_err e2 = be->pass_end(c);
	if (e == ENG_OK)
		e = e2;
	double dt = mono_s() - t0;
	c->stats.passes++;
	c->stats.tokens += (uint64_t)ub->n;
	c->stats.seconds += dt;
	if (ub->prefill) {
		/* a mixed pass: its time split by tokens */
		const int np = ub->n - ub->n_dec;
		c->stats.prefill_tokens += (uint64_t)np;
		c->stats.prefill_seconds += dt * np / ub->n;
	}
	return e;
}

enum eng_err eng_forward_layers(struct eng_ctx *c, int seq, const int32_t *tok, int n, int n_layers,
				float *x)
{
	struct eng_model *m = c->m;
	const struct eng_backend *be = c->be;
	enum eng_err e = ENG_OK;
	if (n <= 0 || n > c->max_ubatch || n > c->p.n_ctx || seq < 0 || seq >= c->p.n_seq ||
	    n_layers < 0 || n_layers > m->hp.n_layer || !be->read_x)
		return ENG_ERR_INVALID_ARG;
	int *seqv = malloc((size_t)n * sizeof *seqv), *posv = malloc((size_t)n * sizeof *posv);
	uint8_t *want = calloc((size_t)n, 1);
	if (!seqv || !posv || !want) {
		e = ENG_ERR_NOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		seqv[i] = seq;
		posv[i] = i;
	}
	struct eng_ubatch ub = { n, tok, seqv, posv, want, n > 1, 0 };
	be->pass_begin(c, &ub);
	be->embed(c, &ub);
	for (int il = 0; il < m->hp.n_layer && e == ENG_OK; il++) {
		/* every layer waits and releases so streamed slots stay in order */
		if ((e = be->wait(c, il)) != ENG_OK)
			break;
		if (il < n_layers)
			be->layer(c, eng_model_layer(m, il), il, &ub);
		be->release(c, il);
	}
	enum eng_err e2 = be->pass_end(c);
	if (e == ENG_OK)
		e = e2;
	if (e == ENG_OK)
		e = be->read_x(c, x, n);
out:
	free(seqv);
	free(posv);
	free(want);
	return e;
}

static int check_tokens(struct eng_ctx *c, const int32_t *tok, int n)
{
	for (int i = 0; i < n; i++) {
		if (tok[i] < 0 || tok[i] >= c->m->hp.n_vocab) {
			eng_ctx_set_err(c, "token id %d out of range (vocabulary has %d)", (int)tok[i],
					c->m->hp.n_vocab);
			return 0;
		}
	}
	return 1;
}

/* Validates a decode list (nd tokens, one per distinct active sequence,
 * each with room for one more position). */
static enum eng_err check_decode(struct eng_ctx *c, int nd, const int *seqs, const int32_t *toks)
{
	if (nd < 0 || (nd > 0 && (!seqs || !toks)))
		return ENG_ERR_INVALID_ARG;
	if (!check_tokens(c, toks, nd))
		return ENG_ERR_INVALID_ARG;
	for (int i = 0; i < nd; i++) {
		int s = seqs[i];
		if (s < 0 || s >= c->p.n_seq || !c->seq_used[s]) {
			eng_ctx_set_err(c, "decode: sequence %d is not active", s);
			return ENG_ERR_INVALID_ARG;
		}
		for (int j = 0; j < i; j++) {
			if (seqs[j] == s) {
				eng_ctx_set_err(c, "decode: sequence %d appears twice in one step", s);
				return ENG_ERR_INVALID_ARG;
			}
		}
		if (c->seq_pos[s] >= c->p.n_ctx) {
			eng_ctx_set_err(c, "context full: sequence %d has reached the context length %d",
					s, c->p.n_ctx);
			return ENG_ERR_CONTEXT_FULL;
		}
	}
	return ENG_OK;
}

/* Decode tokens of running sequences (nd) and prompts of others (n) in
 * shared passes of up to max_ubatch tokens: the first pass carries every
 * decode token and as many prompt tokens as fit, later ones the rest of
 * the prompts. Each token is computed as in a pass of its own kind. */
static enum eng_err feed(eng_ctx *c, int nd, const int *dseqs, const int32_t *dtoks, float *dlogits,
			 int n, const int *seqs, const int32_t *const *tokens, const int *counts,
			 float *logits)
{
	enum eng_err e = ENG_OK;

	if (!c || n < 0 || (n > 0 && (!seqs || !tokens || !counts)))
		return ENG_ERR_INVALID_ARG;
	if ((e = check_decode(c, nd, dseqs, dtoks)) != ENG_OK)
		return e;
	for (int i = 0; i < n; i++) {
		const int s = seqs[i];
		if (s < 0 || s >= c->p.n_seq || !c->seq_used[s] || counts[i] < 0 ||
		    (counts[i] > 0 && !tokens[i])) {
			eng_ctx_set_err(c, "prefill: invalid sequence %d or tokens", s);
			return ENG_ERR_INVALID_ARG;
		}
		for (int j = 0; j < i; j++) {
			if (seqs[j] == s) {
				eng_ctx_set_err(c, "prefill: sequence %d appears twice", s);
				return ENG_ERR_INVALID_ARG;
			}
		}
		for (int j = 0; j < nd; j++) {
			if (dseqs[j] == s) {
				eng_ctx_set_err(c, "step: sequence %d both decodes and takes a prompt", s);
				return ENG_ERR_INVALID_ARG;
			}
		}
		if (counts[i] > c->p.n_ctx - c->seq_pos[s]) {
			eng_ctx_set_err(c, "context full: %d tokens already in sequence %d, %d more do not "
					"fit in a context of %d", c->seq_pos[s], s, counts[i], c->p.n_ctx);
			return ENG_ERR_CONTEXT_FULL;
		}
		if (!check_tokens(c, tokens[i], counts[i]))
			return ENG_ERR_INVALID_ARG;
	}
	/* prompt tokens a pass: n_batch, plus room for the decode tokens */
	const int B = nd + c->p.n_batch <= c->max_ubatch ? nd + c->p.n_batch : c->max_ubatch;
	const int V = c->m->hp.n_vocab;
	int32_t *tok = malloc((size_t)B * sizeof *tok);
	int *seqv = malloc((size_t)B * sizeof *seqv), *posv = malloc((size_t)B * sizeof *posv);
	int *owner = malloc((size_t)B * sizeof *owner);
	uint8_t *want = malloc((size_t)B);
	float *rows = logits || dlogits ? malloc((size_t)B * V * sizeof *rows) : NULL;
	int *base = malloc((size_t)(n > 0 ? n : 1) * sizeof *base);
	if (!tok || !seqv || !posv || !owner || !want || !base || ((logits || dlogits) && !rows)) {
		e = ENG_ERR_NOMEM;
		goto out;
	}
	/* pack: decode tokens first (first pass only), then the prompts' tokens
	 * in order, as many sequences per pass as fit; a prompt longer than
	 * what is left continues in the next pass */
	for (int i = 0; i < n; i++)
		base[i] = c->seq_pos[seqs[i]];
	int item = 0, done = 0, first = 1;   /* next prompt token: item's done-th */
	while (e == ENG_OK && (first ? nd > 0 || item < n : item < n)) {
		int nb = 0, ndec = 0;
		if (first) {
			for (; ndec < nd; ndec++) {
				tok[nb] = dtoks[ndec];
				seqv[nb] = dseqs[ndec];
				posv[nb] = c->seq_pos[dseqs[ndec]];
				owner[nb] = -1 - ndec;
				want[nb] = dlogits != NULL;
				nb++;
			}
		}
		while (nb < B && item < n) {
			if (done >= counts[item]) {
				item++;
				done = 0;
				continue;
			}
			const int s = seqs[item];
			tok[nb] = tokens[item][done];
			seqv[nb] = s;
			posv[nb] = base[item] + done;
			owner[nb] = item;
			want[nb] = logits && done == counts[item] - 1;
			nb++;
			done++;
		}
		if (nb == 0)
			break;
		struct eng_ubatch ub = { nb, tok, seqv, posv, want, nb > ndec, nb > ndec ? ndec : 0 };
		e = eng_forward(c, &ub, rows);
		if (e != ENG_OK)
			break;
		/* positions advance by what this pass took of each sequence */
		for (int t = 0, k = 0; t < nb; t++) {
			c->seq_pos[seqv[t]]++;
			if (!want[t])
				continue;
			float *dst = owner[t] >= 0 ? logits + (size_t)owner[t] * V : dlogits + (size_t)(-1 - owner[t]) * V;
			memcpy(dst, rows + (size_t)k++ * V, (size_t)V * sizeof *rows);
		}
		first = 0;
	}
out:
	free(tok);
	free(seqv);
	free(posv);
	free(owner);
	free(want);
	free(rows);
	free(base);
	return e;
}

enum eng_err eng_prefill_batch(eng_ctx *c, int n, const int *seqs, const int32_t *const *tokens,
			       const int *counts, float *logits)
{
	return feed(c, 0, NULL, NULL, NULL, n, seqs, tokens, counts, logits);
}

enum eng_err eng_step(eng_ctx *c, int nd, const int *dseqs, const int32_t *dtoks, float *dlogits, int n,
		      const int *seqs, const int32_t *const *tokens, const int *counts, float *logits)
{
	return feed(c, nd, dseqs, dtoks, dlogits, n, seqs, tokens, counts, logits);
}

enum eng_err eng_prefill(eng_ctx *c, int seq, const int32_t *tokens, int n, float *logits)
{
	return eng_prefill_batch(c, 1, &seq, &tokens, &n, logits);
}

enum eng_err eng_decode(eng_ctx *c, int n, const int *seqs, const int32_t *tokens, float *logits)
{
	enum eng_err e = ENG_OK;
	int *posv;
	uint8_t *want;

	if (!c || n < 0 || (n > 0 && (!seqs || !tokens)))
		return ENG_ERR_INVALID_ARG;
	if (n == 0)
		return ENG_OK;
	if ((e = check_decode(c, n, seqs, tokens)) != ENG_OK)
		return e;
	posv = malloc((size_t)c->max_ubatch * sizeof *posv);
	want = malloc((size_t)c->max_ubatch);
	if (!posv || !want) {
		free(posv);
		free(want);
		return ENG_ERR_NOMEM;
	}
	for (int i0 = 0; i0 < n && e == ENG_OK; i0 += c->max_ubatch) {
		int nb = n - i0 < c->max_ubatch ? n - i0 : c->max_ubatch;
		for (int i = 0; i < nb; i++) {
			posv[i] = c->seq_pos[seqs[i0 + i]];
			want[i] = logits != NULL;
		}
		struct eng_ubatch ub = { nb, tokens + i0, seqs + i0, posv, want, 0, 0 };
		e = eng_forward(c, &ub, logits ? logits + (size_t)i0 * c->m->hp.n_vocab : NULL);
		if (e == ENG_OK)
			for (int i = 0; i < nb; i++)
				c->seq_pos[seqs[i0 + i]]++;
	}
	free(posv);
	free(want);
	return e;
}

enum eng_err eng_seq_truncate(eng_ctx *c, int seq, int pos)
{
	if (!c || seq < 0 || seq >= c->p.n_seq || !c->seq_used[seq] || pos < 0 ||
	    pos > c->seq_pos[seq])
		return ENG_ERR_INVALID_ARG;
	/* the cells past pos are never read again: attention reads 0..pos */
	c->seq_pos[seq] = pos;
	return ENG_OK;
}

enum eng_err eng_decode_multi(eng_ctx *c, int n, const int *seqs, const int32_t *const *tokens,
			      const int *counts, float *logits)
{
	enum eng_err e = ENG_OK;
	if (!c || n < 0 || (n > 0 && (!seqs || !tokens || !counts)))
		return ENG_ERR_INVALID_ARG;
	int total = 0;
	for (int i = 0; i < n; i++) {
		const int s = seqs[i];
		if (s < 0 || s >= c->p.n_seq || !c->seq_used[s] || counts[i] < 0 ||
		    (counts[i] > 0 && !tokens[i])) {
			eng_ctx_set_err(c, "decode: invalid sequence %d or tokens", s);
			return ENG_ERR_INVALID_ARG;
		}
		for (int j = 0; j < i; j++)
			if (seqs[j] == s) {
				eng_ctx_set_err(c, "decode: sequence %d appears twice in one step", s);
				return ENG_ERR_INVALID_ARG;
			}
		if (counts[i] > c->p.n_ctx - c->seq_pos[s]) {
			eng_ctx_set_err(c, "context full: sequence %d has %d positions, %d more do not fit "
					"in a context of %d", s, c->seq_pos[s], counts[i], c->p.n_ctx);
			return ENG_ERR_CONTEXT_FULL;
		}
		if (!check_tokens(c, tokens[i], counts[i]))
			return ENG_ERR_INVALID_ARG;
		total += counts[i];
	}
	if (total == 0)
		return ENG_OK;
	const int B = c->max_ubatch, V = c->m->hp.n_vocab;
	int32_t *tok = malloc((size_t)B * sizeof *tok);
	int *seqv = malloc((size_t)B * sizeof *seqv), *posv = malloc((size_t)B * sizeof *posv);
	int *base = malloc((size_t)n * sizeof *base);
	uint8_t *want = malloc((size_t)B);
	if (!tok || !seqv || !posv || !want || !base) {
		e = ENG_ERR_NOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++)
		base[i] = c->seq_pos[seqs[i]];
	/* every token as a decode token (decode kernels: each row exactly what
	 * eng_decode gives it), a sequence's tokens at consecutive positions,
	 * each attending to those before it in the same pass */
	int item = 0, done = 0, row = 0;
	while (e == ENG_OK && item < n) {
		int nb = 0;
		while (nb < B && item < n) {
			if (done >= counts[item]) {
				item++;
				done = 0;
				continue;
			}
			tok[nb] = tokens[item][done];
			seqv[nb] = seqs[item];
			posv[nb] = base[item] + done;
			want[nb] = logits != NULL;
			nb++;
			done++;
		}
		if (nb == 0)
			break;
		struct eng_ubatch ub = { nb, tok, seqv, posv, want, 0, 0 };
		e = eng_forward(c, &ub, logits ? logits + (size_t)row * V : NULL);
		if (e != ENG_OK)
			break;
		for (int t = 0; t < nb; t++)
			c->seq_pos[seqv[t]]++;
		row += nb;
	}
out:
	free(tok);
	free(seqv);
	free(posv);
	free(want);
	free(base);
	return e;
}
