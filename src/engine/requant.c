/* requant.c — a model file quantised to another type, as llama-quantize
 * does it for the types the engine reads (see engine.h). The tensor data is
 * produced while the file is written (eng_gguf_writer's fill callback), a
 * few rows at a time on the thread pool, so a 70B model never sits in
 * memory twice. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/engine_int.h"
#include "engine/gguf.h"
#include "engine/quant.h"

/* llama.cpp's file types (general.file_type) and their default tensor type */
struct ftype {
	const char *name;
	int code;
	uint32_t type;
};

static const struct ftype ftypes[] = {
	{ "F32", 0, ENG_TYPE_F32 },     { "F16", 1, ENG_TYPE_F16 },     { "BF16", 32, ENG_TYPE_BF16 },
	{ "Q4_0", 2, ENG_TYPE_Q4_0 },   { "Q4_1", 3, ENG_TYPE_Q4_1 },   { "Q8_0", 7, ENG_TYPE_Q8_0 },
	{ "Q5_0", 8, ENG_TYPE_Q5_0 },   { "Q5_1", 9, ENG_TYPE_Q5_1 },   { "Q4_K_S", 14, ENG_TYPE_Q4_K },
	{ "Q4_K_M", 15, ENG_TYPE_Q4_K }, { "Q4_K", 15, ENG_TYPE_Q4_K }, { "Q5_K_S", 16, ENG_TYPE_Q5_K },
	{ "Q5_K_M", 17, ENG_TYPE_Q5_K }, { "Q5_K", 17, ENG_TYPE_Q5_K }, { "Q6_K", 18, ENG_TYPE_Q6_K },
};
enum { FT_Q4_K_S = 14, FT_Q4_K_M = 15, FT_Q5_K_M = 17 };

int eng_type_from_name(const char *name)
{
	for (uint32_t t = 0; name && t < ENG_TYPE_COUNT; t++) {
		const char *n = eng_type_name(t);
		if (n && !strcasecmp(n, name) && eng_type_supported(t))
			return (int)t;
	}
	return -1;
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcmp(s + n - m, suf);
}

/* llama.cpp's use_more_bits: the first and last eighth of the layers and
 * every third one between */
static int more_bits(int i, int n)
{
	return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

/* What llama-quantize would quantise at all: 2-D (and 3-D) weights, not
 * the norms. */
static int quantizable(const struct eng_gguf_tensor *t)
{
	return ends_with(t->name, "weight") && t->n_dims >= 2 && !strstr(t->name, "_norm.weight") &&
	       !strstr(t->name, "ffn_gate_inp.weight");
}

struct plan {
	const struct ftype *ft;
	int pure, n_layer, has_output;
	int i_attn_v, n_attn_v, i_ffn_down;
	int n_fallback;
};

static int divides(uint32_t type, uint64_t ne0)
{
	return eng_type_row_bytes(type, (int64_t)ne0) != 0;
}

/* llama.cpp's llama_tensor_get_type, for the types we have. */
static uint32_t mix_type(struct plan *p, const struct eng_gguf_tensor *t, uint32_t type)
{
	const int ft = p->ft->code;
	if (!strcmp(t->name, "output.weight") ||
	    (!p->has_output && !strcmp(t->name, "token_embd.weight"))) {
		if (!divides(type, t->ne[0]))
			type = ENG_TYPE_Q8_0;
		else if (type != ENG_TYPE_Q8_0)
			type = ENG_TYPE_Q6_K;
	} else if (strstr(t->name, "attn_v.weight")) {
		if ((ft == FT_Q4_K_M || ft == FT_Q5_K_M) && more_bits(p->i_attn_v, p->n_attn_v))
			type = ENG_TYPE_Q6_K;
		else if (ft == FT_Q4_K_S && p->i_attn_v < 4)
			type = ENG_TYPE_Q5_K;
		/* llama.cpp's LLM_TYPE_70B (80 layers): 8 heads share attn_v,
		 * a small tensor worth more bits */
		if (p->n_layer == 80 && type == ENG_TYPE_Q4_K)
			type = ENG_TYPE_Q5_K;
		p->i_attn_v++;
	} else if (strstr(t->name, "ffn_down")) {
		int il = p->i_ffn_down, nl = p->n_layer;
		if ((ft == FT_Q4_K_M || ft == FT_Q5_K_M) && more_bits(il, nl))
			type = ENG_TYPE_Q6_K;
		else if (ft == FT_Q4_K_S && il < nl / 8)
			type = ENG_TYPE_Q5_K;
		p->i_ffn_down++;
	}
	if (!divides(type, t->ne[0])) {
		type = type == ENG_TYPE_Q4_K ? ENG_TYPE_Q5_0 : type == ENG_TYPE_Q5_K ? ENG_TYPE_Q5_1
		     : type == ENG_TYPE_Q6_K ? ENG_TYPE_Q8_0 : ENG_TYPE_F16;
		if (!divides(type, t->ne[0]))
			type = ENG_TYPE_F16;
		p->n_fallback++;
	}
	return type;
}

struct job {
	const struct eng_gguf *g;
	const struct eng_gguf_tensor **src; /* per output tensor */
	uint32_t *type;
	struct eng_pool *pool;
	float **scratch;                    /* per thread, max_ne0 floats */
	/* per fill call */
	const struct eng_gguf_tensor *t;
	uint32_t to;
	uint64_t row0, n_rows;
	void *buf;
};

static void row_task(void *arg, int item, int tid)
{
	struct job *J = arg;
	const struct eng_gguf_tensor *t = J->t;
	const int64_t n = (int64_t)t->ne[0];
	const uint64_t r = J->row0 + (uint64_t)item;
	const uint8_t *x = (const uint8_t *)t->data + r * t->row_bytes;
	float *f = J->scratch[tid];
	const struct eng_quant_traits *from = eng_quant_traits_ref(t->type);
	const struct eng_quant_traits *to = eng_quant_traits_ref(J->to);
	if (t->type == ENG_TYPE_F32)
		memcpy(f, x, (size_t)n * sizeof *f);
	else
		from->dequantize(x, f, n);
	uint8_t *y = (uint8_t *)J->buf + (size_t)item * eng_type_row_bytes(J->to, n);
	if (J->to == ENG_TYPE_F32)
		memcpy(y, f, (size_t)n * sizeof *f);
	else
		to->quantize(f, y, n);
}

static enum eng_err fill(void *ud, size_t ti, uint64_t row0, uint64_t n_rows, void *buf)
{
	struct job *J = ud;
	J->t = J->src[ti];
	J->to = J->type[ti];
	J->row0 = row0;
	J->n_rows = n_rows;
	J->buf = buf;
	eng_pool_run(J->pool, row_task, J, (int)n_rows);
	return ENG_OK;
}

enum eng_err eng_requantize(const char *in, const char *out, const struct eng_requant_opts *o,
			    struct eng_requant_report *rep, char *err, size_t errsz)
{
	struct eng_gguf *g = NULL;
	struct eng_gguf_writer *w = NULL;
	struct job J = { 0 };
	struct plan P = { 0 };
	enum eng_err e;

	if (rep)
		memset(rep, 0, sizeof *rep);
	if (!in || !out || !o || !o->type) {
		eng_errbuf(err, errsz, "input, output and type are required");
		return ENG_ERR_INVALID_ARG;
	}
	for (size_t i = 0; i < sizeof ftypes / sizeof ftypes[0]; i++)
		if (!strcasecmp(o->type, ftypes[i].name))
			P.ft = &ftypes[i];
	if (!P.ft) {
		eng_errbuf(err, errsz, "unknown type '%s' (F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q4_K_S "
			"Q4_K_M Q5_K_S Q5_K_M Q6_K)", o->type);
		return ENG_ERR_INVALID_ARG;
	}
	if ((o->token_embd_type >= 0 && !eng_type_supported((uint32_t)o->token_embd_type)) ||
	    (o->output_type >= 0 && !eng_type_supported((uint32_t)o->output_type))) {
		eng_errbuf(err, errsz, "unsupported tensor type for token_embd or output");
		return ENG_ERR_INVALID_ARG;
	}
	if ((e = eng_gguf_open(in, &g, err, errsz)) != ENG_OK)
		return e;
	P.pure = o->pure;
	const size_t nt = eng_gguf_n_tensors(g);
	const char *arch = NULL;
	size_t alen = 0;
	uint32_t nl = 0;
	if (eng_gguf_get_str(g, "general.architecture", &arch, &alen) == ENG_OK && alen < 64) {
		char key[96];
		snprintf(key, sizeof key, "%.*s.block_count", (int)alen, arch);
		eng_gguf_get_u32(g, key, &nl);
	}
	P.n_layer = (int)nl;
	for (size_t i = 0; i < nt; i++) {
		const struct eng_gguf_tensor *t = eng_gguf_tensor(g, i);
		if (strstr(t->name, "attn_v.weight"))
			P.n_attn_v++;
		if (!strcmp(t->name, "output.weight"))
			P.has_output = 1;
	}

	J.g = g;
	J.src = calloc(nt + 1, sizeof *J.src);
	J.type = calloc(nt + 1, sizeof *J.type);
	if (!J.src || !J.type || eng_gguf_writer_new(&w) != ENG_OK) {
		e = ENG_ERR_NOMEM;
		goto out;
	}
	/* metadata: everything copied, the file type and quantisation version
	 * set where they were (or added at the end) */
	int have_ft = 0, have_qv = 0;
	for (size_t i = 0; i < eng_gguf_n_kv(g) && e == ENG_OK; i++) {
		const char *k = eng_gguf_kv_key(g, i);
		if (k && !strcmp(k, "general.file_type")) {
			e = eng_gguf_writer_add_u32(w, k, (uint32_t)P.ft->code);
			have_ft = 1;
		} else if (k && !strcmp(k, "general.quantization_version")) {
			e = eng_gguf_writer_add_u32(w, k, 2);
			have_qv = 1;
		} else {
			e = eng_gguf_writer_copy_kv(w, g, i);
		}
	}
	if (e == ENG_OK && !have_qv)
		e = eng_gguf_writer_add_u32(w, "general.quantization_version", 2);
	if (e == ENG_OK && !have_ft)
		e = eng_gguf_writer_add_u32(w, "general.file_type", (uint32_t)P.ft->code);
	if (e != ENG_OK) {
		eng_errbuf(err, errsz, "copying the metadata: %s", eng_strerror(e));
		goto out;
	}

	uint64_t max_ne0 = 1;
	for (size_t i = 0; i < nt; i++) {
		const struct eng_gguf_tensor *t = eng_gguf_tensor(g, i);
		uint32_t to = t->type;
		if (quantizable(t)) {
			const struct eng_quant_traits *q = eng_quant_traits_ref(P.ft->type);
			to = P.ft->type;
			if (!P.pure && q && q->is_quantized)
				to = mix_type(&P, t, to);
			if (o->token_embd_type >= 0 && !strcmp(t->name, "token_embd.weight"))
				to = (uint32_t)o->token_embd_type;
			if (o->output_type >= 0 && !strcmp(t->name, "output.weight"))
				to = (uint32_t)o->output_type;
			if (!divides(to, t->ne[0])) {
				eng_errbuf(err, errsz, "%s: rows of %llu values do not split into %s blocks",
					t->name, (unsigned long long)t->ne[0], eng_type_name(to));
				e = ENG_ERR_SHAPE;
				goto out;
			}
		}
		if (to != t->type && !eng_quant_traits_ref(t->type)) {
			eng_errbuf(err, errsz, "%s: cannot read type %u", t->name, t->type);
			e = ENG_ERR_UNSUPPORTED_TYPE;
			goto out;
		}
		J.src[i] = t;
		J.type[i] = to;
		if (to != t->type && t->ne[0] > max_ne0)
			max_ne0 = t->ne[0];
		e = eng_gguf_writer_add_tensor(w, t->name, to, t->n_dims, t->ne,
					       to == t->type ? t->data : NULL);
		if (e != ENG_OK) {
			eng_errbuf(err, errsz, "%s: %s", t->name, eng_strerror(e));
			goto out;
		}
		if (rep) {
			rep->n_tensors++;
			rep->n_requantized += to != t->type;
			rep->bytes_in += t->nbytes;
			rep->bytes_out += eng_type_row_bytes(to, (int64_t)t->ne[0]) *
					  (t->n_elements / t->ne[0]);
		}
	}
	if (rep)
		rep->n_fallback = P.n_fallback;
	if ((e = eng_pool_new(o->threads > 0 ? o->threads : eng_pool_default_threads(), &J.pool)) != ENG_OK)
		goto out;
	int nth = eng_pool_size(J.pool);
	J.scratch = calloc((size_t)nth, sizeof *J.scratch);
	for (int i = 0; J.scratch && i < nth; i++)
		if (!(J.scratch[i] = malloc(max_ne0 * sizeof(float))))
			goto nomem;
	if (!J.scratch)
		goto nomem;
	e = eng_gguf_writer_write(w, out, fill, &J, err, errsz);
	goto out;
nomem:
	e = ENG_ERR_NOMEM;
	eng_errbuf(err, errsz, "out of memory");
out:
	if (J.scratch)
		for (int i = 0; J.pool && i < eng_pool_size(J.pool); i++)
			free(J.scratch[i]);
	free(J.scratch);
	eng_pool_free(J.pool);
	free(J.src);
	free(J.type);
	eng_gguf_writer_free(w);
	eng_gguf_close(g);
	return e;
}
