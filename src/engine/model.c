/* model.c — loading llama/qwen2 GGUF models; error strings. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "engine/engine_int.h"
#include "engine/gguf.h"
#include "engine/quant.h"

static const char *const err_names[ENG_ERR__COUNT] = {
	[ENG_OK] = "ok",
	[ENG_ERR_NOMEM] = "out of memory",
	[ENG_ERR_IO] = "I/O error",
	[ENG_ERR_FORMAT] = "not a valid GGUF file",
	[ENG_ERR_TRUNCATED] = "file is truncated or an offset points past its end",
	[ENG_ERR_VERSION] = "unsupported GGUF version (supported: 2, 3)",
	[ENG_ERR_UNSUPPORTED_ARCH] = "unsupported architecture (supported: llama, qwen2)",
	[ENG_ERR_UNSUPPORTED_TYPE] = "unsupported tensor type (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)",
	[ENG_ERR_MISSING_KEY] = "required metadata key missing",
	[ENG_ERR_MISSING_TENSOR] = "required tensor missing",
	[ENG_ERR_SHAPE] = "tensor or metadata has an unexpected shape or value",
	[ENG_ERR_CONTEXT_FULL] = "context is full (prompt plus generation exceed the context length)",
	[ENG_ERR_INVALID_ARG] = "invalid argument",
	[ENG_ERR_NO_SEQ] = "no free sequence slot in the context",
	[ENG_ERR_TOKENIZER] = "tokenizer error",
	[ENG_ERR_TEMPLATE] = "chat template not recognised",
	[ENG_ERR_THREAD] = "could not create threads",
	[ENG_ERR_CANCELLED] = "cancelled",
	[ENG_ERR_NOT_FOUND] = "not found",
	[ENG_ERR_WRITE] = "write error",
	[ENG_ERR_DEVICE] = "device not available",
	[ENG_ERR_BUDGET] = "memory budget too small for this model",
};

const char *eng_strerror(enum eng_err e)
{
	if ((int)e < 0 || e >= ENG_ERR__COUNT || !err_names[e])
		return "unknown engine error";
	return err_names[e];
}

/* ---- loading ---------------------------------------------------------------- */


struct loader {
	struct eng_model *m;
	char *err;
	size_t errlen;
	char arch[16];
};

static enum eng_err fail(struct loader *L, enum eng_err e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum eng_err fail(struct loader *L, enum eng_err e, const char *fmt, ...)
{
	va_list ap;
	if (L->err && L->errlen) {
		va_start(ap, fmt);
		vsnprintf(L->err, L->errlen, fmt, ap);
		va_end(ap);
	}
	return e;
}

static enum eng_err key_u32(struct loader *L, const char *suffix, int required, uint32_t def,
			    uint32_t *out)
{
	char key[128];
	snprintf(key, sizeof key, "%s.%s", L->arch, suffix);
	enum eng_err e = eng_gguf_get_u32(L->m->gguf, key, out);
	if (e == ENG_ERR_NOT_FOUND && !required) {
		*out = def;
		return ENG_OK;
	}
	if (e == ENG_ERR_NOT_FOUND)
		return fail(L, ENG_ERR_MISSING_KEY, "metadata key %s is missing", key);
	if (e != ENG_OK)
		return fail(L, ENG_ERR_SHAPE, "metadata key %s has the wrong type or value", key);
	return ENG_OK;
}

static enum eng_err key_f32(struct loader *L, const char *suffix, int required, float def,
			    float *out)
{
	char key[128];
	snprintf(key, sizeof key, "%s.%s", L->arch, suffix);
	enum eng_err e = eng_gguf_get_f32(L->m->gguf, key, out);
	if (e == ENG_ERR_NOT_FOUND && !required) {
		*out = def;
		return ENG_OK;
	}
	if (e == ENG_ERR_NOT_FOUND)
		return fail(L, ENG_ERR_MISSING_KEY, "metadata key %s is missing", key);
	if (e != ENG_OK)
		return fail(L, ENG_ERR_SHAPE, "metadata key %s has the wrong type or value", key);
	return ENG_OK;
}

/* A 2-D weight: ne0 = row length, ne1 = rows. ne1 == 0: any row count. */
static enum eng_err get_matrix(struct loader *L, const char *name, int64_t ne0, int64_t ne1,
			       int optional, struct eng_tensor *out)
{
	const struct eng_gguf_tensor *t = eng_gguf_tensor_find(L->m->gguf, name);
	memset(out, 0, sizeof *out);
	if (!t) {
		if (optional)
			return ENG_OK;
		return fail(L, ENG_ERR_MISSING_TENSOR, "tensor %s is missing", name);
	}
	if (t->n_dims != 2 || (int64_t)t->ne[0] != ne0 || (ne1 && (int64_t)t->ne[1] != ne1))
		return fail(L, ENG_ERR_SHAPE, "tensor %s has shape [%llu, %llu], expected [%lld, %lld]",
			    name, (unsigned long long)t->ne[0], (unsigned long long)t->ne[1],
			    (long long)ne0, (long long)ne1);
	/* the chosen backend is asked again when a context is created */
	if (!eng_type_supported(t->type))
		return fail(L, ENG_ERR_UNSUPPORTED_TYPE,
			    "tensor %s has type %s (%u), which this engine cannot multiply "
			    "(supported: %s)", name,
			    eng_type_name(t->type) ? eng_type_name(t->type) : "unknown",
			    (unsigned)t->type, eng_type_supported_list());
	out->data = t->data;
	out->type = (int)t->type;
	out->ne0 = (int64_t)t->ne[0];
	out->ne1 = (int64_t)t->ne[1];
	out->row_bytes = (size_t)t->row_bytes;
	return ENG_OK;
}

/* A 1-D F32 vector of n values (norms, biases, rope_freqs). */
static enum eng_err get_vector(struct loader *L, const char *name, int64_t n, int optional,
			       const float **out)
{
	const struct eng_gguf_tensor *t = eng_gguf_tensor_find(L->m->gguf, name);
	*out = NULL;
	if (!t) {
		if (optional)
			return ENG_OK;
		return fail(L, ENG_ERR_MISSING_TENSOR, "tensor %s is missing", name);
	}
	if (t->type != ENG_TYPE_F32)
		return fail(L, ENG_ERR_UNSUPPORTED_TYPE, "tensor %s must be F32 (type %u)", name,
			    (unsigned)t->type);
	if ((int64_t)t->n_elements != n || t->ne[0] != t->n_elements)
		return fail(L, ENG_ERR_SHAPE, "tensor %s has %llu values, expected %lld", name,
			    (unsigned long long)t->n_elements, (long long)n);
	if (((uintptr_t)t->data & 3) != 0)
		return fail(L, ENG_ERR_FORMAT, "tensor %s is misaligned", name);
	*out = t->data;
	return ENG_OK;
}

static const struct eng_layer_w *layer_in_place(struct eng_model *m, int il)
{
	return &m->w.layers[il];
}

static uint64_t mat_bytes(const struct eng_tensor *t)
{
	return t->data ? (uint64_t)t->row_bytes * (uint64_t)t->ne1 : 0;
}

uint64_t eng_model_layer_bytes(const struct eng_model *m, int il)
{
	const struct eng_layer_w *w = &m->w.layers[il];
	const uint64_t E = (uint64_t)m->hp.n_embd * 4;
	uint64_t b = 2 * E;   /* attn_norm, ffn_norm */
	b += mat_bytes(&w->wq) + mat_bytes(&w->wk) + mat_bytes(&w->wv) + mat_bytes(&w->wo);
	b += mat_bytes(&w->w_gate) + mat_bytes(&w->w_up) + mat_bytes(&w->w_down);
	if (w->bq)
		b += (uint64_t)w->wq.ne1 * 4;
	if (w->bk)
		b += (uint64_t)w->wk.ne1 * 4;
	if (w->bv)
		b += (uint64_t)w->wv.ne1 * 4;
	return b;
}

uint64_t eng_model_output_bytes(const struct eng_model *m)
{
	return (uint64_t)m->hp.n_embd * 4 + mat_bytes(&m->w.output);
}

static enum eng_err load_hparams(struct loader *L)
{
	struct eng_model *m = L->m;
	struct eng_hparams *hp = &m->hp;
	const char *s;
	uint32_t v;
	enum eng_err e;

	if (eng_gguf_get_str(m->gguf, "general.architecture", &s, NULL) != ENG_OK)
		return fail(L, ENG_ERR_MISSING_KEY, "general.architecture is missing");
	if (!strcmp(s, "llama")) {
		hp->arch = ENG_ARCH_LLAMA;
	} else if (!strcmp(s, "qwen2")) {
		hp->arch = ENG_ARCH_QWEN2;
		hp->rope_neox = 1;
	} else {
		return fail(L, ENG_ERR_UNSUPPORTED_ARCH,
			    "architecture '%.40s' is not supported (supported: llama, qwen2)", s);
	}
	snprintf(L->arch, sizeof L->arch, "%s", s);
	snprintf(m->arch_name, sizeof m->arch_name, "%s", s);
	if (eng_gguf_get_str(m->gguf, "general.name", &s, NULL) == ENG_OK)
		snprintf(m->name, sizeof m->name, "%s", s);

#define U32(suffix, req, def, field) \
	do { if ((e = key_u32(L, suffix, req, def, &v)) != ENG_OK) return e; \
	     if (v > (1u << 30)) return fail(L, ENG_ERR_SHAPE, "%s.%s is out of range", L->arch, suffix); \
	     field = (int)v; } while (0)
	U32("embedding_length", 1, 0, hp->n_embd);
	U32("block_count", 1, 0, hp->n_layer);
	U32("feed_forward_length", 1, 0, hp->n_ff);
	U32("attention.head_count", 1, 0, hp->n_head);
	U32("attention.head_count_kv", 0, (uint32_t)hp->n_head, hp->n_head_kv);
	U32("context_length", 0, 2048, hp->n_ctx_train);
	if (hp->n_head <= 0 || hp->n_embd <= 0 || hp->n_layer <= 0 || hp->n_ff <= 0 ||
	    hp->n_head_kv <= 0 || hp->n_head % hp->n_head_kv != 0 || hp->n_embd % hp->n_head != 0)
		return fail(L, ENG_ERR_SHAPE, "inconsistent hyperparameters (embd %d, heads %d/%d)",
			    hp->n_embd, hp->n_head, hp->n_head_kv);
	U32("attention.key_length", 0, (uint32_t)(hp->n_embd / hp->n_head), hp->head_dim);
	U32("rope.dimension_count", 0, (uint32_t)hp->head_dim, hp->n_rot);
	if (hp->head_dim <= 0 || hp->head_dim > 1024 || hp->n_rot <= 0 || hp->n_rot > hp->head_dim ||
	    hp->n_rot % 2 || (hp->rope_neox && hp->n_rot != hp->head_dim))
		return fail(L, ENG_ERR_SHAPE, "unsupported head/rope dimensions (%d/%d)", hp->head_dim,
			    hp->n_rot);
#undef U32
	if ((e = key_f32(L, "attention.layer_norm_rms_epsilon", 0, 1e-5f, &hp->rms_eps)) != ENG_OK)
		return e;
	if ((e = key_f32(L, "rope.freq_base", 0, 10000.0f, &hp->rope_base)) != ENG_OK)
		return e;
	{
		char key[128];
		snprintf(key, sizeof key, "%s.rope.scaling.type", L->arch);
		if (eng_gguf_get_str(m->gguf, key, &s, NULL) == ENG_OK && strcmp(s, "none") &&
		    strcmp(s, "llama3"))
			return fail(L, ENG_ERR_SHAPE,
				    "rope scaling '%.20s' is not supported (supported: none, llama3 via rope_freqs)",
				    s);
	}
	int32_t ft;
	m->file_type = eng_gguf_get_i32(m->gguf, "general.file_type", &ft) == ENG_OK ? ft : -1;
	return ENG_OK;
}

static enum eng_err load_weights(struct loader *L, eng_progress_fn progress, void *ud)
{
	struct eng_model *m = L->m;
	struct eng_hparams *hp = &m->hp;
	const int64_t E = hp->n_embd, qd = (int64_t)hp->n_head * hp->head_dim;
	const int64_t kvd = (int64_t)hp->n_head_kv * hp->head_dim, F = hp->n_ff;
	const int bias = hp->arch == ENG_ARCH_QWEN2;
	char nm[96];
	enum eng_err e;

	if ((e = get_matrix(L, "token_embd.weight", E, 0, 0, &m->w.token_embd)) != ENG_OK)
		return e;
	hp->n_vocab = (int)m->w.token_embd.ne1;
	if (hp->n_vocab <= 0 || m->w.token_embd.ne1 > (1 << 24))
		return fail(L, ENG_ERR_SHAPE, "vocabulary size out of range");
	if ((e = get_vector(L, "output_norm.weight", E, 0, &m->w.output_norm)) != ENG_OK)
		return e;
	if ((e = get_matrix(L, "output.weight", E, hp->n_vocab, 1, &m->w.output)) != ENG_OK)
		return e;
	if (!m->w.output.data)
		m->w.output = m->w.token_embd;   /* tied */
	if ((e = get_vector(L, "rope_freqs.weight", hp->n_rot / 2, 1, &m->w.rope_freqs)) != ENG_OK)
		return e;
	m->w.layers = calloc((size_t)hp->n_layer, sizeof *m->w.layers);
	if (!m->w.layers)
		return ENG_ERR_NOMEM;
	for (int il = 0; il < hp->n_layer; il++) {
		struct eng_layer_w *l = &m->w.layers[il];
#define NAME(x) (snprintf(nm, sizeof nm, "blk.%d.%s", il, x), nm)
		if ((e = get_vector(L, NAME("attn_norm.weight"), E, 0, &l->attn_norm)) ||
		    (e = get_matrix(L, NAME("attn_q.weight"), E, qd, 0, &l->wq)) ||
		    (e = get_matrix(L, NAME("attn_k.weight"), E, kvd, 0, &l->wk)) ||
		    (e = get_matrix(L, NAME("attn_v.weight"), E, kvd, 0, &l->wv)) ||
		    (e = get_vector(L, NAME("attn_q.bias"), qd, !bias, &l->bq)) ||
		    (e = get_vector(L, NAME("attn_k.bias"), kvd, !bias, &l->bk)) ||
		    (e = get_vector(L, NAME("attn_v.bias"), kvd, !bias, &l->bv)) ||
		    (e = get_matrix(L, NAME("attn_output.weight"), qd, E, 0, &l->wo)) ||
		    (e = get_vector(L, NAME("ffn_norm.weight"), E, 0, &l->ffn_norm)) ||
		    (e = get_matrix(L, NAME("ffn_gate.weight"), E, F, 0, &l->w_gate)) ||
		    (e = get_matrix(L, NAME("ffn_up.weight"), E, F, 0, &l->w_up)) ||
		    (e = get_matrix(L, NAME("ffn_down.weight"), F, E, 0, &l->w_down)))
			return e;
#undef NAME
		if (progress)
			progress(ud, (float)(il + 1) / (float)hp->n_layer);
	}
	m->layer = layer_in_place;
	return ENG_OK;
}

/* Reads one byte per page of the tensor data (after asking the kernel to
 * read ahead), reporting progress: the first tokens then do not wait on
 * page faults, and a terminal sees the file being loaded. */
static void prefault(struct eng_model *m, eng_progress_fn progress, void *ud)
{
	const unsigned char *base = eng_gguf_base(m->gguf);
	uint64_t size = eng_gguf_file_size(m->gguf), off = eng_gguf_data_offset(m->gguf);
	const uint64_t page = 4096, step = 64ull << 20;
	volatile unsigned char sink = 0;

	if (!base || off >= size)
		return;
	madvise((void *)((uintptr_t)base & ~(uintptr_t)(page - 1)), (size_t)size, MADV_WILLNEED);
	for (uint64_t o = off; o < size; o += page) {
		sink ^= base[o];
		if (progress && ((o - off) % step) < page)
			progress(ud, (float)(o - off) / (float)(size - off));
	}
	(void)sink;
	if (progress)
		progress(ud, 1.0f);
}

static void count_params(struct eng_model *m)
{
	size_t n = eng_gguf_n_tensors(m->gguf);
	for (size_t i = 0; i < n; i++) {
		const struct eng_gguf_tensor *t = eng_gguf_tensor(m->gguf, i);
		m->n_params += t->n_elements;
		m->weight_bytes += t->nbytes;
	}
	m->file_size = eng_gguf_file_size(m->gguf);
}

static void load_special(struct eng_model *m)
{
	uint32_t v;
	const char *s;
	m->bos = m->eos = m->eot = -1;
	if (eng_gguf_get_u32(m->gguf, "tokenizer.ggml.bos_token_id", &v) == ENG_OK)
		m->bos = (int32_t)v;
	if (eng_gguf_get_u32(m->gguf, "tokenizer.ggml.eos_token_id", &v) == ENG_OK)
		m->eos = (int32_t)v;
	if (eng_gguf_get_u32(m->gguf, "tokenizer.ggml.eot_token_id", &v) == ENG_OK)
		m->eot = (int32_t)v;
	if (eng_gguf_get_str(m->gguf, "tokenizer.chat_template", &s, NULL) == ENG_OK)
		m->chat_template = s;
}

enum eng_err eng_model_load(const char *path, const struct eng_model_params *p,
			    eng_model **out, char *errbuf, size_t errlen)
{
	struct eng_model *m;
	struct loader L = { 0 };
	enum eng_err e;

	if (errbuf && errlen)
		errbuf[0] = 0;
	if (!out)
		return ENG_ERR_INVALID_ARG;
	*out = NULL;
	if (!path)
		return ENG_ERR_INVALID_ARG;
	m = calloc(1, sizeof *m);
	if (!m)
		return ENG_ERR_NOMEM;
	L.m = m;
	L.err = errbuf;
	L.errlen = errlen;
	m->path = strdup(path);
	if (!m->path) {
		free(m);
		return ENG_ERR_NOMEM;
	}
	e = eng_gguf_open(path, &m->gguf, errbuf, errlen);
	if (e == ENG_OK)
		e = load_hparams(&L);
	if (e == ENG_OK)
		e = load_weights(&L, p && !p->prefault ? p->progress : NULL, p ? p->progress_ud : NULL);
	if (e == ENG_OK && p && p->prefault)
		prefault(m, p->progress, p->progress_ud);
	if (e == ENG_OK) {
		count_params(m);
		load_special(m);
		e = eng_model_tok_init(m);
		if (e != ENG_OK)
			fail(&L, e, "tokenizer metadata is unusable");
	}
	if (e != ENG_OK) {
		eng_model_free(m);
		return e;
	}
	*out = m;
	return ENG_OK;
}

void eng_model_free(eng_model *m)
{
	if (!m)
		return;
	eng_model_tok_free(m);
	free(m->w.layers);
	eng_gguf_close(m->gguf);
	free(m->path);
	free(m);
}

void eng_model_get_info(const eng_model *m, struct eng_model_info *o)
{
	const struct eng_hparams *hp = &m->hp;
	memset(o, 0, sizeof *o);
	o->arch = hp->arch;
	o->arch_name = m->arch_name;
	o->name = m->name;
	o->n_vocab = hp->n_vocab;
	o->n_embd = hp->n_embd;
	o->n_layer = hp->n_layer;
	o->n_head = hp->n_head;
	o->n_head_kv = hp->n_head_kv;
	o->head_dim = hp->head_dim;
	o->n_ff = hp->n_ff;
	o->n_ctx_train = hp->n_ctx_train;
	o->rms_eps = hp->rms_eps;
	o->rope_base = hp->rope_base;
	o->rope_neox = hp->rope_neox;
	o->has_rope_freqs = m->w.rope_freqs != NULL;
	o->tied_output = m->w.output.data == m->w.token_embd.data;
	o->file_type = m->file_type;
	o->file_size = m->file_size;
	o->n_params = m->n_params;
	o->weight_bytes = m->weight_bytes;
	o->chat_template = m->chat_template;
	o->bos = m->bos;
	o->eos = m->eos;
	o->eot = m->eot;
}

uint64_t eng_model_kv_bytes(const eng_model *m, int n_ctx, int n_seq, int kv_f32)
{
	return 2ull * (uint64_t)m->hp.n_layer * (uint64_t)n_ctx * (uint64_t)n_seq *
	       (uint64_t)m->hp.n_head_kv * (uint64_t)m->hp.head_dim * (kv_f32 ? 4u : 2u);
}
