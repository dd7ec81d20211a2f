/* forward.c — the CPU backend: per-layer forward pass of llama/qwen2.
 *
 * Numerics follow ggml's CPU backend (llama.cpp c392e50) so logits match its
 * references closely:
 *   - RMSNorm: sum of squares in double, y = x * (1/sqrtf(mean + eps)) * w.
 *   - Matrix products: the activation (src1) of every product is first
 *     converted to the weight type's "vec_dot type", exactly as ggml does:
 *       F32 -> f32, F16 -> f16, BF16 -> bf16,
 *       Q4_0/Q5_0/Q8_0 -> Q8_0 (32 values, d = amax/127 in fp16, q = rne(x/d)),
 *       Q4_1/Q5_1 -> Q8_1 (as Q8_0 plus s = d * sum(q)),
 *       Q4_K/Q5_K/Q6_K -> Q8_K (256 values, d = 1/iscale f32, iscale = -127/x[argmax|x|]),
 *     and the dot product is then integer (or f16/bf16) against the raw
 *     weight blocks. The kernels come from one type-traits table
 *     (eng_kernels in quant.h), chosen when the context is made:
 *     vec_dot for one token, vec_dot_rows for several (batched decode,
 *     bit-identical to vec_dot), vec_dot_rows_prompt for a prompt chunk
 *     (F32/F16/BF16: tinyBLAS's order, as ggml; the others: vec_dot_rows).
 *   - RoPE: ggml's rope cache (theta multiplied by theta_scale per pair, then
 *     divided by rope_freqs[i] when present), NORM (adjacent pairs) or NEOX
 *     (i, i + n_rot/2) ordering; the rotation x0*c - x1*s, x0*s + x1*c is
 *     evaluated with the first product fused, as gcc contracts ggml's C
 *     (gnu11, -ffp-contract=fast) on FMA machines.
 *   - Attention with an F16 KV cache: K and V stored as f16; Q rounded to f16
 *     for K.Q; scores scaled by 1/sqrt(head_dim); softmax in f32 with the sum
 *     in double; probabilities rounded to f16 before the product with V.
 *     With an F32 cache everything stays f32.
 *   - SwiGLU: down(silu(gate x) * (up x)), silu(x) = x / (1 + exp(-x)).
 *   - exp in softmax and SiLU is ggml's own polynomial (see below).
 *
 * Work is split between threads by rows (matmuls) and by (token, head)
 * (attention); a dot product is never split, so results do not depend on
 * the thread count.
 *
 * Weights: without a RAM budget every weight is used in place from the
 * mapping. With one (c->p.ram_budget) stream.c plans the tiers and the
 * layer and output functions take their weights from its per-context
 * copies (resident arena or staging slot), and token embeddings are pread;
 * the arithmetic is the same, so the results are bitwise the same.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "engine/quant.h"
#include "engine/tiers.h"
#include "engine/cpu/cpu_int.h"
#include "engine/cpu/quant_int.h"
#include "engine/cpu/stream.h"

/* ---- fp16 table ----------------------------------------------------------- */

static float h2f_table[65536];
static pthread_once_t h2f_once = PTHREAD_ONCE_INIT;
static pthread_once_t attk_once = PTHREAD_ONCE_INIT;
static void attk_init(void);
struct att_kernels;
static struct att_kernels att_pick(int simd);

static void h2f_init(void)
{
	for (uint32_t i = 0; i < 65536; i++)
		h2f_table[i] = eng_fp16_to_f32((eng_fp16)i);
}

static inline float h2f(uint16_t h)
{
	return h2f_table[h];
}


/* ---- ggml's exp and silu ---------------------------------------------------
 *
 * ggml's CPU softmax and SiLU do not call libm's expf for whole 16-value
 * chunks: they use ggml_v_expf, a polynomial with its own rounding. The
 * corpus references come from the AVX-512 build, so that variant is
 * emulated here value by value (same constants, same fused multiply-adds,
 * scalef as an exact power-of-two scaling). Softmax sums each 16-value chunk
 * in the order of _mm512_reduce_add_ps and accumulates the chunks in double;
 * SiLU uses the polynomial for whole chunks of 16 and x/(1+expf(-x)) for
 * the rest of a row, as ggml_vec_silu_f32 does. */

/* j * 2^n with one rounding, like scalef/ldexpf (2^n built directly when
 * it is a normal float) */
static inline float scale2(float j, int n)
{
	if (n >= -126 && n <= 127) {
		union { uint32_t u; float f; } p = { (uint32_t)(n + 127) << 23 };
		return j * p.f;
	}
	return ldexpf(j, n);
}

#define EXP_BODY(FMA) \
	const float r = 0x1.8p23f; \
	const float z = FMA(x, 0x1.715476p+0f, r); \
	const float n = z - r; \
	if (!(fabsf(n) <= 192.0f)) \
		return n <= 0.0f ? 0.0f : INFINITY; \
	const float b = FMA(-n, 0x1.7f7d1cp-20f, FMA(-n, 0x1.62e4p-1f, x)); \
	const float u = b * b; \
	const float j = FMA(FMA(FMA(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, \
				FMA(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)), \
			    u, FMA(0x1.ffffecp-1f, b, 1.0f)); \
	return scale2(j, (int)n);

static float ggml_expf_ref(float x)
{
	EXP_BODY(fmaf)
}

#if defined(__x86_64__)
__attribute__((target("fma"))) static float ggml_expf_fma(float x)
{
	EXP_BODY(__builtin_fmaf)
}
#endif

static float (*ggml_expf)(float) = ggml_expf_ref;   /* same bits either way; FMA is faster */

/* x[p] = exp(x[p] - max) for p < n; returns the sum as ggml computes it
 * (positions past n are masked: they count as zeros in their chunk). */
static double softmax_exp(float *x, int n, float maxv)
{
	double sum = 0.0;
	for (int p0 = 0; p0 < n; p0 += 16) {
		float v[16];
		for (int i = 0; i < 16; i++) {
			int p = p0 + i;
			v[i] = p < n ? ggml_expf(x[p] - maxv) : 0.0f;
			if (p < n)
				x[p] = v[i];
		}
		sum += (double)eng_reduce16(v);
	}
	return sum;
}

/* ggml_vec_silu_f32 on a row of n values, times up: y = silu(g) * u */
static void swiglu_row(float *g, const float *u, int n)
{
	const int n16 = n & ~15;
	for (int i = 0; i < n16; i++)
		g[i] = (g[i] / (1.0f + ggml_expf(-g[i]))) * u[i];
	for (int i = n16; i < n; i++)
		g[i] = (g[i] / (1.0f + expf(-g[i]))) * u[i];
}

/* ---- CPU backend state (per context) ------------------------------------- */

/* attention kernels (below): modes and the per-context set */
enum { DOT_TINY = 0, DOT_VEC = 1 };

struct att_kernels {
	void (*kq_h)(const float *q, const uint16_t *K, size_t stride, int npos, int hd, float scale,
		     float *sc, int mode);
	void (*kq_f)(const float *q, const float *K, size_t stride, int npos, int hd, float scale,
		     float *sc);
	void (*pv_h)(float *out, const float *pr, const uint16_t *V, size_t stride, int npos, int hd,
		     int mode, float *acc);
	void (*pv_f)(float *out, const float *pr, const float *V, size_t stride, int npos, int hd);
	/* x[i] = f32(f16(x[i])) */
	void (*round_h)(float *x, int n);
};


struct cpu {
	int M;              /* max tokens per forward */
	int kv_f32;
	int n_ctx, n_seq;
	size_t kv_dim;      /* n_head_kv * head_dim */
	/* KV cache: [layer][seq][pos][kv_dim], f16 or f32 */
	void *k_cache, *v_cache;
	size_t kv_elt;      /* 2 or 4 */
	/* per-run scratch, M rows each */
	float *x;           /* (M, n_embd) residual stream */
	float *xn;          /* (M, n_embd) normed input of a block */
	float *q;           /* (M, n_head*head_dim) */
	float *k;           /* (M, kv_dim) */
	float *v;           /* (M, kv_dim) */
	float *att;         /* (M, n_head*head_dim) attention output */
	float *g;           /* (M, n_ff) gate */
	float *u;           /* (M, n_ff) up */
	float *rope;        /* (M, n_rot) cos/sin pairs per token */
	float *scores;      /* (n_threads, n_ctx) */
	float *qf;          /* (n_threads, head_dim) q rounded to f16 */
	float *pvacc;       /* (n_threads, 64, head_dim) partial sums of P.V */
	void *act;          /* (M, act row bytes) quantised activations */
	size_t act_stride;
	const float *act_src;   /* which buffer/type act holds (cache) */
	int act_type;
	int act_rows;
	uint64_t pass_bytes;    /* weight bytes one pass reads (no budget) */
	uint8_t *row;           /* (token_embd row bytes) an embedding row read from the file */
	/* kernels, chosen once when the context is made (eng_simd_from_env) */
	const struct eng_kernels *kern;
	int rows;               /* use vec_dot_rows for batches (not BRIEFING_ENGINE_NO_ROWS) */
	struct att_kernels attk;
	struct cpu_stream *st;  /* the weight tiers under a RAM budget, NULL without one */
};

static struct cpu *S(struct eng_ctx *c)
{
	return c->be_state;
}

static void cpu_free(struct eng_ctx *c)
{
	struct cpu *s = S(c);
	if (!s)
		return;
	cpu_stream_free(s->st);   /* stops the prefetch thread first */
	free(s->row);
	free(s->k_cache);
	free(s->v_cache);
	free(s->x);
	free(s->xn);
	free(s->q);
	free(s->k);
	free(s->v);
	free(s->att);
	free(s->g);
	free(s->u);
	free(s->rope);
	free(s->scores);
	free(s->qf);
	free(s->pvacc);
	free(s->act);
	free(s);
	c->be_state = NULL;
}

/* Everything the CPU backend allocates per context besides weights, in
 * one table so the tier planner counts exactly what is allocated. */
enum { B_KC, B_VC, B_X, B_XN, B_Q, B_K, B_V, B_ATT, B_G, B_U, B_ROPE, B_SCORES, B_QF, B_PVACC,
       B_ACT, B_ROW, B_N };

struct cpu_dims {
	size_t M, nt, n_ctx, n_seq, kv_elt;
};

static void buf_sizes(const struct eng_model *m, const struct cpu_dims *d, size_t sz[B_N])
{
	const struct eng_hparams *hp = &m->hp;
	const size_t M = d->M, nt = d->nt, qd = (size_t)hp->n_head * hp->head_dim;
	const size_t kvd = (size_t)hp->n_head_kv * hp->head_dim;
	size_t maxd = (size_t)hp->n_embd;
	if (qd > maxd)
		maxd = qd;
	if ((size_t)hp->n_ff > maxd)
		maxd = (size_t)hp->n_ff;
	const size_t kv_n = (size_t)hp->n_layer * d->n_seq * d->n_ctx * kvd;
	sz[B_KC] = sz[B_VC] = kv_n * d->kv_elt;
	sz[B_X] = sz[B_XN] = M * hp->n_embd * sizeof(float);
	sz[B_Q] = sz[B_ATT] = M * qd * sizeof(float);
	sz[B_K] = sz[B_V] = M * kvd * sizeof(float);
	sz[B_G] = sz[B_U] = M * hp->n_ff * sizeof(float);
	sz[B_ROPE] = M * (size_t)hp->n_rot * sizeof(float);
	sz[B_SCORES] = nt * d->n_ctx * sizeof(float);
	sz[B_QF] = nt * (size_t)hp->head_dim * sizeof(float);
	sz[B_PVACC] = nt * 64 * (size_t)hp->head_dim * sizeof(float);
	/* 4 bytes per value bounds every activation format (f32 is the largest) */
	sz[B_ACT] = M * ((maxd * 4 + 63) & ~(size_t)63);
	sz[B_ROW] = m->w.token_embd.row_bytes;
}

static uint64_t fixed_bytes(const size_t sz[B_N])
{
	uint64_t f = CPU_STREAM_OVERHEAD;
	for (int i = 0; i < B_N; i++)
		f += sz[i];
	return f;
}

enum eng_err eng_cpu_plan(const struct eng_model *m, const struct eng_ctx_params *p,
			  struct eng_plan *out, uint64_t *fixed, char *err, size_t errlen)
{
	/* the defaults of eng_ctx_new (batch.c) */
	int n_ctx = p->n_ctx, n_seq = p->n_seq > 0 ? p->n_seq : 1;
	int n_batch = p->n_batch > 0 ? p->n_batch : 256;
	int nt = p->n_threads > 0 ? p->n_threads : eng_pool_default_threads();
	if (n_ctx <= 0)
		n_ctx = m->hp.n_ctx_train < 4096 ? m->hp.n_ctx_train : 4096;
	if (n_ctx <= 0)
		n_ctx = 2048;
	if (nt > 512)
		nt = 512;
	struct cpu_dims d = { (size_t)(n_batch > n_seq ? n_batch : n_seq), (size_t)nt, (size_t)n_ctx,
			      (size_t)n_seq, p->kv_f32 ? 4 : 2 };
	size_t sz[B_N];
	buf_sizes(m, &d, sz);
	if (fixed)
		*fixed = fixed_bytes(sz);
	return cpu_stream_plan(m, fixed_bytes(sz), p->ram_budget ? p->ram_budget : ENG_BUDGET_UNLIMITED,
			       out, err, errlen);
}

static enum eng_err cpu_alloc(struct eng_ctx *c)
{
	const struct eng_hparams *hp = &c->m->hp;
	struct cpu *s;

	pthread_once(&h2f_once, h2f_init);
	pthread_once(&attk_once, attk_init);
	s = calloc(1, sizeof *s);
	if (!s)
		return ENG_ERR_NOMEM;
	c->be_state = s;
	s->M = c->max_ubatch;
	s->kv_f32 = c->p.kv_f32;
	s->n_ctx = c->p.n_ctx;
	s->n_seq = c->p.n_seq;
	s->kv_dim = (size_t)hp->n_head_kv * hp->head_dim;
	s->kv_elt = s->kv_f32 ? 4 : 2;
	/* the kernel choice: the environment is read here, once per context */
	const char *bad;
	if (!eng_simd_env_valid(&bad))
		fprintf(stderr, "briefing: BRIEFING_ENGINE_SIMD=%s is not scalar, avx2, avx2+vnni or avx512; "
			"using the best kernels this CPU runs\n", bad);
	s->kern = eng_kernels(eng_simd_from_env());
	s->rows = !getenv("BRIEFING_ENGINE_NO_ROWS");
	s->attk = att_pick(s->kern->level >= ENG_SIMD_AVX2);

	struct cpu_dims d = { (size_t)s->M, (size_t)eng_pool_size(c->pool), (size_t)s->n_ctx,
			      (size_t)s->n_seq, s->kv_elt };
	size_t sz[B_N];
	buf_sizes(c->m, &d, sz);
	void **dst[B_N] = {
		&s->k_cache, &s->v_cache, (void **)&s->x, (void **)&s->xn, (void **)&s->q,
		(void **)&s->k, (void **)&s->v, (void **)&s->att, (void **)&s->g, (void **)&s->u,
		(void **)&s->rope, (void **)&s->scores, (void **)&s->qf, (void **)&s->pvacc, &s->act,
		(void **)&s->row,
	};
	int ok = 1;
	for (int i = 0; i < B_N; i++) {
		/* the KV cache zeroed like llama.cpp's buffer clear; never read before written */
		*dst[i] = i == B_KC || i == B_VC ? calloc(sz[i] ? sz[i] : 1, 1) : malloc(sz[i] ? sz[i] : 1);
		ok &= *dst[i] != NULL;
	}
	s->act_stride = sz[B_ACT] / (size_t)s->M;
	if (!ok) {
		cpu_free(c);
		return ENG_ERR_NOMEM;
	}
	c->stats.n_layer = hp->n_layer;
	if (c->p.ram_budget) {
		enum eng_err e = cpu_stream_new(c, fixed_bytes(sz), &s->st);
		if (e != ENG_OK) {
			cpu_free(c);
			return e;
		}
		return ENG_OK;
	}
	for (int il = 0; il < hp->n_layer; il++)
		s->pass_bytes += eng_model_layer_bytes(c->m, il);
	s->pass_bytes += eng_model_output_bytes(c->m);
	c->stats.plan_bytes[0] = s->pass_bytes;
	return ENG_OK;
}

static int cpu_supports(int type)
{
	const struct eng_quant_traits *t = eng_quant_traits((uint32_t)type);
	return t && eng_type_supported((uint32_t)type) && t->vec_dot && t->dequantize &&
	       eng_quant_traits(t->vec_dot_type)->from_float;
}

static int cpu_probe(char *desc, size_t n)
{
	snprintf(desc, n, "%d threads, %s kernels", eng_pool_default_threads(), eng_quant_simd_name());
	return 1;
}

/* Without a budget the weights are used in place from the mapping (all
 * resident): nothing to prefetch, wait for or release; each pass reads
 * every layer once. With one, stream.c does the work: the pass reads the
 * output head only when some token wants logits. */
static void cpu_pass_begin(struct eng_ctx *c, const struct eng_ubatch *ub)
{
	struct cpu *s = S(c);
	if (s->st) {
		int want = 0;
		for (int t = 0; t < ub->n; t++)
			want |= ub->want[t] != 0;
		cpu_stream_pass_begin(s->st, want);
		return;
	}
	c->stats.bytes[0] += s->pass_bytes;
}

static enum eng_err cpu_wait(struct eng_ctx *c, int il)
{
	struct cpu *s = S(c);
	return s->st ? cpu_stream_wait(c, s->st, il) : ENG_OK;
}

static void cpu_release(struct eng_ctx *c, int il)
{
	struct cpu *s = S(c);
	if (s->st)
		cpu_stream_release(s->st, il);
}

static enum eng_err cpu_pass_end(struct eng_ctx *c)
{
	struct cpu *s = S(c);
	return s->st ? cpu_stream_pass_end(s->st) : ENG_OK;
}

static void cpu_seq_clear(struct eng_ctx *c, int seq)
{
	(void)c; (void)seq;   /* cells are overwritten before they are read */
}

/* ---- matmul ---------------------------------------------------------------- */

/* ---- per-token small ops over the pool ------------------------------------
 * A prompt's row-wise ops (norms, residual adds, SwiGLU, rotary, quantising
 * the activations) are independent per token; on one thread they are the
 * serial part of a prefill step. for_tokens runs fn(arg, t) for t in [0, n)
 * in token ranges across the pool when the batch is worth waking it for.
 * Each token's arithmetic is unchanged, so results have the same bits. */
typedef void (*tok_fn)(void *arg, int t);

struct tok_job {
	tok_fn fn;
	void *arg;
	int n, per;
};

static void tok_task(void *arg, int item, int tid)
{
	const struct tok_job *j = arg;
	const int t1 = (item + 1) * j->per < j->n ? (item + 1) * j->per : j->n;
	(void)tid;
	for (int t = item * j->per; t < t1; t++)
		j->fn(j->arg, t);
}

/* work: about how many elements fn touches per token */
static void for_tokens(struct eng_ctx *c, int n, int64_t work, tok_fn fn, void *arg)
{
	const int nt = eng_pool_size(c->pool);
	if (nt < 2 || n < 2 || (int64_t)n * work < (int64_t)1 << 15) {
		for (int t = 0; t < n; t++)
			fn(arg, t);
		return;
	}
	struct tok_job j = { fn, arg, n, (n + 4 * nt - 1) / (4 * nt) };
	eng_pool_run(c->pool, tok_task, &j, (n + j.per - 1) / j.per);
}

struct act_job {
	const struct eng_quant_traits *at;
	const float *x;
	char *out;
	size_t stride;
	int dim, ldx;
};

static void act_tok(void *arg, int t)
{
	const struct act_job *j = arg;
	j->at->from_float(j->x + (size_t)t * j->ldx, j->out + (size_t)t * j->stride, j->dim);
}

/* Quantises n rows of x (row length dim, stride ldx floats) to the
 * activation type act of traits at; cached while the source is unchanged. */
static const void *prep_act(struct eng_ctx *c, const struct eng_quant_traits *at, const float *x,
			    int n, int dim, int ldx)
{
	struct cpu *s = S(c);
	if (s->act_src == x && s->act_type == (int)at->type && s->act_rows == n)
		return s->act;
	struct act_job j = { at, x, s->act, s->act_stride, dim, ldx };
	for_tokens(c, n, dim, act_tok, &j);
	s->act_src = x;
	s->act_type = (int)at->type;
	s->act_rows = n;
	return s->act;
}

static void act_invalidate(struct eng_ctx *c)
{
	S(c)->act_src = NULL;
}

struct mm_job {
	eng_vec_dot_fn dot;        /* one (row, token) */
	eng_vec_dot_rows_fn rows;  /* rows x all tokens, or NULL: dot per pair */
	const struct eng_tensor *w;
	const void *act;
	size_t act_stride;
	int n;              /* tokens */
	float *out;         /* out[t * ldo + row] */
	int ldo;
	int rows_per_task;
};

/* The hot loop: each task owns a block of weight rows and runs every token
 * against each row while that row is in cache (each weight row is read once
 * per forward, however many tokens or sequences are in the batch). */
static void mm_task(void *arg, int item, int tid)
{
	const struct mm_job *j = arg;
	int64_t r0 = (int64_t)item * j->rows_per_task, r1 = r0 + j->rows_per_task;
	(void)tid;
	if (r1 > j->w->ne1)
		r1 = j->w->ne1;
	if (j->rows) {
		j->rows(j->w->ne0, j->w->data, j->w->row_bytes, r0, r1, j->act, j->act_stride, j->n, j->out, j->ldo);
		return;
	}
	for (int64_t r = r0; r < r1; r++) {
		const void *wr = (const char *)j->w->data + (size_t)r * j->w->row_bytes;
		for (int t = 0; t < j->n; t++)
			j->dot(j->w->ne0, &j->out[(size_t)t * j->ldo + r], wr, (const char *)j->act + (size_t)t * j->act_stride);
	}
}

/* out[t][r] = W[r] . x[t] for t < n, r < W.ne1. prompt: the product is
 * part of a prompt chunk (ggml sums the float types' such products in
 * tinyBLAS order). */
static void matmul(struct eng_ctx *c, const struct eng_tensor *w, const float *x, int ldx,
		   int n, float *out, int ldo, int prompt)
{
	struct cpu *s = S(c);
	const struct eng_quant_traits *tr = &s->kern->t[w->type];
	struct mm_job j;
	int nt = eng_pool_size(c->pool);
	int64_t tasks;

	j.dot = tr->vec_dot;
	j.rows = prompt ? tr->vec_dot_rows_prompt : n > 1 && s->rows ? tr->vec_dot_rows : NULL;
	if (prompt && !s->rows && tr->vec_dot_rows_prompt == tr->vec_dot_rows)
		j.rows = NULL;      /* BRIEFING_ENGINE_NO_ROWS: the same bits, one pair at a time */
	j.w = w;
	j.act = prep_act(c, &s->kern->t[tr->vec_dot_type], x, n, (int)w->ne0, ldx);
	j.act_stride = s->act_stride;
	j.n = n;
	j.out = out;
	j.ldo = ldo;
	/* enough tasks for load balance, each a few rows */
	j.rows_per_task = (int)(w->ne1 / ((int64_t)nt * 8));
	if (j.rows_per_task < 4)
		j.rows_per_task = 4;
	j.rows_per_task = (j.rows_per_task + 3) & ~3;
	tasks = (w->ne1 + j.rows_per_task - 1) / j.rows_per_task;
	/* small products are not worth waking the pool (same arithmetic) */
	if (w->ne0 * w->ne1 * (int64_t)n < (int64_t)1 << 18) {
		for (int64_t i = 0; i < tasks; i++)
			mm_task(&j, (int)i, 0);
		return;
	}
	eng_pool_run(c->pool, mm_task, &j, (int)tasks);
}

/* ---- small ops -------------------------------------------------------------- */

static void rmsnorm(float *y, const float *x, const float *w, int n, float eps)
{
	double sum = 0.0;
	for (int i = 0; i < n; i++)
		sum += (double)(x[i] * x[i]);
	const float mean = (float)(sum / n);
	const float scale = 1.0f / sqrtf(mean + eps);
	for (int i = 0; i < n; i++)
		y[i] = (x[i] * scale) * w[i];
}

void eng_rope_cache(float *cache, int pos, int n_rot, float base, const float *freqs)
{
	const float theta_scale = powf(base, -2.0f / n_rot);
	float theta = (float)pos;
	for (int i0 = 0; i0 < n_rot; i0 += 2) {
		const float ff = freqs ? freqs[i0 / 2] : 1.0f;
		const float th = theta / ff;
		cache[i0 + 0] = cosf(th);
		cache[i0 + 1] = sinf(th);
		theta *= theta_scale;
	}
}

static void rope_apply(float *x, const float *cache, int head_dim, int n_rot, int neox)
{
	if (!neox) {
		for (int i0 = 0; i0 < n_rot; i0 += 2) {
			const float c0 = cache[i0], s0 = cache[i0 + 1];
			const float x0 = x[i0], x1 = x[i0 + 1];
			x[i0] = fmaf(x0, c0, -(x1 * s0));
			x[i0 + 1] = fmaf(x0, s0, x1 * c0);
		}
	} else {
		const int h = n_rot / 2;
		for (int i0 = 0; i0 < n_rot; i0 += 2) {
			const float c0 = cache[i0], s0 = cache[i0 + 1];
			const int a = i0 / 2, b = i0 / 2 + h;
			const float x0 = x[a], x1 = x[b];
			x[a] = fmaf(x0, c0, -(x1 * s0));
			x[b] = fmaf(x0, s0, x1 * c0);
		}
	}
	(void)head_dim;   /* dims past n_rot pass through */
}

/* ---- attention ------------------------------------------------------------- */

struct att_job {
	struct eng_ctx *c;
	const struct eng_ubatch *ub;
	int il;
};

static size_t kv_off(const struct cpu *s, int il, int seq, int pos)
{
	return (((size_t)il * s->n_seq + seq) * s->n_ctx + pos) * s->kv_dim;
}

/* Attention inner kernels over all positions of one (token, head).
 *
 * With an F16 cache the two products follow ggml's operation order exactly
 * (every f16 x f16 product is exact in f32, so only the order of the sums
 * matters):
 *   - prompt ubatches (TINY): llamafile's tinyBLAS on AVX-512: 16 lanes,
 *     lane i accumulates elements i, i+16, ... with fused multiply-adds,
 *     then _mm512_reduce_add_ps (used when the dot length is a multiple
 *     of 16, else ggml_vec_dot_f16 as below);
 *   - single-token decode (VEC): ggml_vec_dot_f16 on AVX-512: 4 x 16 lanes
 *     over whole 64-element steps, reduced (s0+s2)+(s1+s3) and then across
 *     lanes, plus the remaining elements summed in double.
 * The KV view ggml multiplies has n_kv = positions rounded up to 32;
 * masked positions have probability 0 and add nothing, but they decide
 * which elements fall in the 64-element steps.
 * With an F32 cache plain f32 sums are used (within 1e-6 of llama.cpp).
 *   kq: sc[p] = (q . K[p]) * scale
 *   pv: out[d] = sum_p pr[p] * V[p][d]      (acc: scratch of 64 * hd floats) */
#define KQ_H_BODY(FMA) \
	float kf[1024]; \
	const int tiny = mode == DOT_TINY && hd % 16 == 0; \
	const int np = hd & ~63; \
	for (int p = 0; p < npos; p++) { \
		const uint16_t *k = K + (size_t)p * stride; \
		float a; \
		for (int d = 0; d < hd; d++) \
			kf[d] = h2f(k[d]); \
		if (tiny) { \
			float acc[16] = { 0 }; \
			for (int l = 0; l < hd; l += 16) \
				for (int i = 0; i < 16; i++) \
					acc[i] = FMA(q[l + i], kf[l + i], acc[i]); \
			a = eng_reduce16(acc); \
		} else { \
			float acc[4][16] = { { 0 } }; \
			for (int l = 0; l < np; l += 64) \
				for (int j = 0; j < 4; j++) \
					for (int i = 0; i < 16; i++) \
						acc[j][i] = FMA(q[l + 16 * j + i], kf[l + 16 * j + i], acc[j][i]); \
			for (int i = 0; i < 16; i++) \
				acc[0][i] = (acc[0][i] + acc[2][i]) + (acc[1][i] + acc[3][i]); \
			double sum = (double)eng_reduce16(acc[0]); \
			for (int d = np; d < hd; d++) \
				sum += (double)(q[d] * kf[d]); \
			a = (float)sum; \
		} \
		sc[p] = a * scale; \
	}

#define PV_H_BODY(FMA) \
	const int L = mode == DOT_TINY ? 16 : 64; \
	const int nkv = (npos + 31) & ~31; \
	const int np = mode == DOT_TINY ? npos : (nkv & ~63) < npos ? (nkv & ~63) : npos; \
	for (int i = 0; i < L * hd; i++) \
		acc[i] = 0.0f; \
	for (int p = 0; p < np; p++) { \
		const uint16_t *v = V + (size_t)p * stride; \
		float *a = acc + (size_t)(p % L) * hd; \
		const float w = pr[p]; \
		for (int d = 0; d < hd; d++) \
			a[d] = FMA(w, h2f(v[d]), a[d]); \
	} \
	for (int d = 0; d < hd; d++) { \
		float lane[16]; \
		if (L == 16) { \
			for (int i = 0; i < 16; i++) \
				lane[i] = acc[(size_t)i * hd + d]; \
			out[d] = eng_reduce16(lane); \
			continue; \
		} \
		for (int i = 0; i < 16; i++) \
			lane[i] = (acc[(size_t)i * hd + d] + acc[(size_t)(32 + i) * hd + d]) + \
				  (acc[(size_t)(16 + i) * hd + d] + acc[(size_t)(48 + i) * hd + d]); \
		double sum = (double)eng_reduce16(lane); \
		for (int p = np; p < npos; p++) \
			sum += (double)(pr[p] * h2f(V[(size_t)p * stride + d])); \
		out[d] = (float)sum; \
	}

static void kq_h_ref(const float *q, const uint16_t *K, size_t stride, int npos, int hd,
		     float scale, float *sc, int mode)
{
	KQ_H_BODY(fmaf)
}

static void pv_h_ref(float *out, const float *pr, const uint16_t *V, size_t stride, int npos, int hd,
		     int mode, float *acc)
{
	PV_H_BODY(fmaf)
}

static void kq_f_ref(const float *q, const float *K, size_t stride, int npos, int hd,
		     float scale, float *sc)
{
	for (int p = 0; p < npos; p++) {
		const float *k = K + (size_t)p * stride;
		float acc = 0.0f;
		for (int d = 0; d < hd; d++)
			acc += q[d] * k[d];
		sc[p] = acc * scale;
	}
}

static void pv_f_ref(float *out, const float *pr, const float *V, size_t stride, int npos, int hd)
{
	for (int p = 0; p < npos; p++) {
		const float *v = V + (size_t)p * stride;
		for (int d = 0; d < hd; d++)
			out[d] += pr[p] * v[d];
	}
}

static void round_h_ref(float *x, int n)
{
	for (int i = 0; i < n; i++)
		x[i] = h2f(eng_f32_to_fp16(x[i]));
}

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,fma,f16c")))

AVX2 static void kq_h_fma(const float *q, const uint16_t *K, size_t stride, int npos, int hd,
			  float scale, float *sc, int mode)
{
	KQ_H_BODY(__builtin_fmaf)
}

AVX2 static void pv_h_fma(float *out, const float *pr, const uint16_t *V, size_t stride, int npos,
			  int hd, int mode, float *acc)
{
	PV_H_BODY(__builtin_fmaf)
}

/* _mm512_reduce_add_ps of the 16 lanes (lo = lanes 0-7, hi = 8-15) */
AVX2 static inline float reduce16_avx2(__m256 lo, __m256 hi)
{
	__m256 t3 = _mm256_add_ps(hi, lo);
	__m128 t6 = _mm_add_ps(_mm256_extractf128_ps(t3, 1), _mm256_castps256_ps128(t3));
	__m128 t8 = _mm_add_ps(t6, _mm_shuffle_ps(t6, t6, _MM_SHUFFLE(1, 0, 3, 2)));
	return _mm_cvtss_f32(t8) + _mm_cvtss_f32(_mm_shuffle_ps(t8, t8, 1));
}

#define LDH(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))

AVX2 static void kq_h_avx2(const float *q, const uint16_t *K, size_t stride, int npos, int hd,
			   float scale, float *sc, int mode)
{
	if (hd % 16) {
		kq_h_fma(q, K, stride, npos, hd, scale, sc, mode);
		return;
	}
	const int np = hd & ~63;
	for (int p = 0; p < npos; p++) {
		const uint16_t *k = K + (size_t)p * stride;
		float a;
		if (mode == DOT_TINY) {
			__m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
			for (int l = 0; l < hd; l += 16) {
				lo = _mm256_fmadd_ps(_mm256_loadu_ps(q + l), LDH(k + l), lo);
				hi = _mm256_fmadd_ps(_mm256_loadu_ps(q + l + 8), LDH(k + l + 8), hi);
			}
			a = reduce16_avx2(lo, hi);
		} else {
			__m256 v[8];
			for (int j = 0; j < 8; j++)
				v[j] = _mm256_setzero_ps();
			for (int l = 0; l < np; l += 64)
				for (int j = 0; j < 8; j++)
					v[j] = _mm256_fmadd_ps(_mm256_loadu_ps(q + l + 8 * j), LDH(k + l + 8 * j), v[j]);
			/* accumulator j of ggml = lanes v[2j] (0-7), v[2j+1] (8-15) */
			__m256 lo = _mm256_add_ps(_mm256_add_ps(v[0], v[4]), _mm256_add_ps(v[2], v[6]));
			__m256 hi = _mm256_add_ps(_mm256_add_ps(v[1], v[5]), _mm256_add_ps(v[3], v[7]));
			double sum = (double)reduce16_avx2(lo, hi);
			if (np < hd) {
				float kf[1024];
				for (int d = np; d < hd; d += 8)
					_mm256_storeu_ps(kf + d, LDH(k + d));
				for (int d = np; d < hd; d++)
					sum += (double)(q[d] * kf[d]);
			}
			a = (float)sum;
		}
		sc[p] = a * scale;
	}
}

AVX2 static void pv_h_avx2(float *out, const float *pr, const uint16_t *V, size_t stride, int npos,
			   int hd, int mode, float *acc)
{
	if (hd % 8) {
		pv_h_fma(out, pr, V, stride, npos, hd, mode, acc);
		return;
	}
	const int L = mode == DOT_TINY ? 16 : 64;
	const int nkv = (npos + 31) & ~31;
	const int np = mode == DOT_TINY ? npos : (nkv & ~63) < npos ? (nkv & ~63) : npos;
	const int rows = np < L ? np : L;
	for (int i = 0; i < rows * hd; i++)
		acc[i] = 0.0f;
	for (int p = 0; p < np; p++) {
		const uint16_t *v = V + (size_t)p * stride;
		float *a = acc + (size_t)(p % L) * hd;
		const __m256 w = _mm256_set1_ps(pr[p]);
		for (int d = 0; d < hd; d += 8)
			_mm256_storeu_ps(a + d, _mm256_fmadd_ps(w, LDH(v + d), _mm256_loadu_ps(a + d)));
	}
	for (int i = rows * hd; i < L * hd; i++)
		acc[i] = 0.0f;
#define A(i) _mm256_loadu_ps(acc + (size_t)(i) * hd + d)
	for (int d = 0; d < hd; d += 8) {
		__m256 lane[16];
		for (int i = 0; i < 16; i++)
			lane[i] = L == 16 ? A(i) : _mm256_add_ps(_mm256_add_ps(A(i), A(32 + i)),
							       _mm256_add_ps(A(16 + i), A(48 + i)));
		/* reduce16 for 8 dims at once */
		__m256 t3[8], t6[4];
		for (int i = 0; i < 8; i++)
			t3[i] = _mm256_add_ps(lane[8 + i], lane[i]);
		for (int i = 0; i < 4; i++)
			t6[i] = _mm256_add_ps(t3[4 + i], t3[i]);
		__m256 r = _mm256_add_ps(_mm256_add_ps(t6[0], t6[2]), _mm256_add_ps(t6[1], t6[3]));
		if (L == 16 || np == npos) {
			if (L == 16) {
				_mm256_storeu_ps(out + d, r);
			} else {
				float rr[8];
				_mm256_storeu_ps(rr, r);
				for (int i = 0; i < 8; i++)
					out[d + i] = (float)(double)rr[i];
			}
			continue;
		}
		float rr[8];
		double sum[8];
		_mm256_storeu_ps(rr, r);
		for (int i = 0; i < 8; i++)
			sum[i] = (double)rr[i];
		for (int p = np; p < npos; p++) {
			float vf[8];
			_mm256_storeu_ps(vf, _mm256_mul_ps(_mm256_set1_ps(pr[p]),
							   LDH(V + (size_t)p * stride + d)));
			for (int i = 0; i < 8; i++)
				sum[i] += (double)vf[i];
		}
		for (int i = 0; i < 8; i++)
			out[d + i] = (float)sum[i];
	}
#undef A
}

AVX2 static float hsum8(__m256 v)
{
	__m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
	lo = _mm_add_ps(lo, hi);
	lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
	lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
	return _mm_cvtss_f32(lo);
}

AVX2 static void kq_f_avx2(const float *q, const float *K, size_t stride, int npos, int hd,
			   float scale, float *sc)
{
	const int h8 = hd & ~7;
	for (int p = 0; p < npos; p++) {
		const float *k = K + (size_t)p * stride;
		__m256 acc = _mm256_setzero_ps();
		for (int d = 0; d < h8; d += 8)
			acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(k + d), acc);
		float a = hsum8(acc);
		for (int d = h8; d < hd; d++)
			a += q[d] * k[d];
		sc[p] = a * scale;
	}
}

AVX2 static void pv_f_avx2(float *out, const float *pr, const float *V, size_t stride, int npos,
			   int hd)
{
	const int h8 = hd & ~7;
	for (int p = 0; p < npos; p++) {
		const float *v = V + (size_t)p * stride;
		__m256 pp = _mm256_set1_ps(pr[p]);
		for (int d = 0; d < h8; d += 8)
			_mm256_storeu_ps(out + d, _mm256_fmadd_ps(pp, _mm256_loadu_ps(v + d),
								  _mm256_loadu_ps(out + d)));
		for (int d = h8; d < hd; d++)
			out[d] += pr[p] * v[d];
	}
}

AVX2 static void round_h_avx2(float *x, int n)
{
	int i = 0;
	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(x + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(x + i),
									 _MM_FROUND_TO_NEAREST_INT)));
	for (; i < n; i++)
		x[i] = h2f(eng_f32_to_fp16(x[i]));
}
#endif

/* the attention kernels for SIMD (AVX2/FMA/F16C) or not: same results */
static struct att_kernels att_pick(int simd)
{
#if defined(__x86_64__)
	if (simd)
		return (struct att_kernels){ kq_h_avx2, kq_f_avx2, pv_h_avx2, pv_f_avx2, round_h_avx2 };
#endif
	(void)simd;
	return (struct att_kernels){ kq_h_ref, kq_f_ref, pv_h_ref, pv_f_ref, round_h_ref };
}

static void attk_init(void)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("fma"))
		ggml_expf = ggml_expf_fma;
#endif
}

/* One (token, query head): softmax(q.K^T * scale) . V over the sequence's
 * positions 0..pos. */
static void att_task(void *arg, int item, int tid)
{
	const struct att_job *j = arg;
	struct eng_ctx *c = j->c;
	struct cpu *s = S(c);
	const struct eng_hparams *hp = &c->m->hp;
	const int hd = hp->head_dim;
	const int t = item / hp->n_head, h = item % hp->n_head;
	const int kvh = h / (hp->n_head / hp->n_head_kv);
	const int seq = j->ub->seq[t], npos = j->ub->pos[t] + 1;
	const float scale = 1.0f / sqrtf((float)hd);
	const float *q = s->q + (size_t)t * hp->n_head * hd + (size_t)h * hd;
	float *out = s->att + (size_t)t * hp->n_head * hd + (size_t)h * hd;
	float *sc = s->scores + (size_t)tid * s->n_ctx;
	float *qf = s->qf + (size_t)tid * hd;
	const size_t base = kv_off(s, j->il, seq, 0) + (size_t)kvh * hd;
	float maxv = -INFINITY;

	if (s->kv_f32) {
		s->attk.kq_f(q, (const float *)s->k_cache + base, s->kv_dim, npos, hd, scale, sc);
	} else {
		/* ggml converts Q to the K cache type (f16) for K.Q */
		memcpy(qf, q, (size_t)hd * sizeof *qf);
		s->attk.round_h(qf, hd);
		s->attk.kq_h(qf, (const uint16_t *)s->k_cache + base, s->kv_dim, npos, hd, scale, sc,
			  eng_ub_prompt(j->ub, t) ? DOT_TINY : DOT_VEC);
	}
	for (int p = 0; p < npos; p++)
		if (sc[p] > maxv)
			maxv = sc[p];
	const double sum = softmax_exp(sc, npos, maxv);
	const float inv = (float)(1.0 / sum);
	for (int p = 0; p < npos; p++)
		sc[p] *= inv;
	for (int d = 0; d < hd; d++)
		out[d] = 0.0f;
	if (s->kv_f32) {
		s->attk.pv_f(out, sc, (const float *)s->v_cache + base, s->kv_dim, npos, hd);
	} else {
		/* ggml rounds the probabilities to f16 (the V cache type) */
		s->attk.round_h(sc, npos);
		s->attk.pv_h(out, sc, (const uint16_t *)s->v_cache + base, s->kv_dim, npos, hd,
			  eng_ub_prompt(j->ub, t) ? DOT_TINY : DOT_VEC, s->pvacc + (size_t)tid * 64 * hd);
	}
}

/* ---- layer ops --------------------------------------------------------------- */

static void cpu_embed(struct eng_ctx *c, const struct eng_ubatch *ub)
{
	struct cpu *s = S(c);
	const struct eng_model *m = c->m;
	const struct eng_hparams *hp = &m->hp;
	const struct eng_tensor *te = &m->w.token_embd;
	const struct eng_quant_traits *tr = &s->kern->t[te->type];

	for (int t = 0; t < ub->n; t++) {
		const void *row = (const char *)te->data + (size_t)ub->tok[t] * te->row_bytes;
		if (s->st) {
			cpu_stream_embd_row(c, s->st, ub->tok[t], s->row);
			row = s->row;
		}
		tr->dequantize(row, s->x + (size_t)t * hp->n_embd, hp->n_embd);
		eng_rope_cache(s->rope + (size_t)t * hp->n_rot, ub->pos[t], hp->n_rot, hp->rope_base,
			   s->st ? cpu_stream_rope_freqs(s->st) : m->w.rope_freqs);
	}
	act_invalidate(c);
}

static void add_bias(float *y, const float *b, int n, int dim, int ld)
{
	if (!b)
		return;
	for (int t = 0; t < n; t++)
		for (int i = 0; i < dim; i++)
			y[(size_t)t * ld + i] += b[i];
}

/* matmul over a ubatch whose first nd tokens are decode tokens (plain
 * products) and the rest prompt tokens (prompt order when pr): each token
 * is computed as it would be in a pass of its own kind */
static void matmul_ub(struct eng_ctx *c, const struct eng_tensor *w, const float *x, int ldx, int n,
		      int nd, float *out, int ldo, int pr)
{
	if (nd <= 0 || !pr || nd >= n) {
		matmul(c, w, x, ldx, n, out, ldo, nd >= n ? 0 : pr);
		return;
	}
	matmul(c, w, x, ldx, nd, out, ldo, 0);
	matmul(c, w, x + (size_t)nd * ldx, ldx, n - nd, out + (size_t)nd * ldo, ldo, pr);
}

/* cpu_layer's per-token ops (for_tokens) */
struct layer_tok {
	struct eng_ctx *c;
	const struct eng_layer_w *w;
	const struct eng_ubatch *ub;
	int il;
};

static void attn_norm_tok(void *arg, int t)
{
	const struct layer_tok *l = arg;
	struct cpu *s = S(l->c);
	const struct eng_hparams *hp = &l->c->m->hp;
	const int E = hp->n_embd;
	rmsnorm(s->xn + (size_t)t * E, s->x + (size_t)t * E, l->w->attn_norm, E, hp->rms_eps);
}

/* rotary on token t's q and k, then its K and V into the cache (before any
 * attention of the batch) */
static void rope_kv_tok(void *arg, int t)
{
	const struct layer_tok *l = arg;
	struct cpu *s = S(l->c);
	const struct eng_hparams *hp = &l->c->m->hp;
	const int hd = hp->head_dim, qd = hp->n_head * hd, kvd = (int)s->kv_dim;
	const float *rc = s->rope + (size_t)t * hp->n_rot;
	for (int h = 0; h < hp->n_head; h++)
		rope_apply(s->q + (size_t)t * qd + (size_t)h * hd, rc, hd, hp->n_rot, hp->rope_neox);
	for (int h = 0; h < hp->n_head_kv; h++)
		rope_apply(s->k + (size_t)t * kvd + (size_t)h * hd, rc, hd, hp->n_rot, hp->rope_neox);
	size_t off = kv_off(s, l->il, l->ub->seq[t], l->ub->pos[t]);
	if (s->kv_f32) {
		memcpy((float *)s->k_cache + off, s->k + (size_t)t * kvd, (size_t)kvd * 4);
		memcpy((float *)s->v_cache + off, s->v + (size_t)t * kvd, (size_t)kvd * 4);
	} else {
		uint16_t *kc = (uint16_t *)s->k_cache + off, *vc = (uint16_t *)s->v_cache + off;
		for (int i = 0; i < kvd; i++) {
			kc[i] = eng_f32_to_fp16(s->k[(size_t)t * kvd + i]);
			vc[i] = eng_f32_to_fp16(s->v[(size_t)t * kvd + i]);
		}
	}
}

/* the residual: x += xn for token t */
static void add_tok(void *arg, int t)
{
	const struct layer_tok *l = arg;
	struct cpu *s = S(l->c);
	const int E = l->c->m->hp.n_embd;
	float *x = s->x + (size_t)t * E;
	const float *xn = s->xn + (size_t)t * E;
	for (int i = 0; i < E; i++)
		x[i] += xn[i];
}

/* the attention block's residual, then the feed-forward norm */
static void add_ffn_norm_tok(void *arg, int t)
{
	const struct layer_tok *l = arg;
	struct cpu *s = S(l->c);
	const struct eng_hparams *hp = &l->c->m->hp;
	const int E = hp->n_embd;
	add_tok(arg, t);
	rmsnorm(s->xn + (size_t)t * E, s->x + (size_t)t * E, l->w->ffn_norm, E, hp->rms_eps);
}

static void swiglu_tok(void *arg, int t)
{
	const struct layer_tok *l = arg;
	struct cpu *s = S(l->c);
	const int F = l->c->m->hp.n_ff;
	swiglu_row(s->g + (size_t)t * F, s->u + (size_t)t * F, F);
}

static void cpu_layer(struct eng_ctx *c, const struct eng_layer_w *w, int il,
		      const struct eng_ubatch *ub)
{
	struct cpu *s = S(c);
	const struct eng_hparams *hp = &c->m->hp;
	const int n = ub->n, E = hp->n_embd, hd = hp->head_dim;
	const int qd = hp->n_head * hd, kvd = (int)s->kv_dim, F = hp->n_ff;

	if (s->st)
		w = cpu_stream_layer(s->st, il);   /* the resident copy or this pass's slot */
	/* attention block */
	struct layer_tok lt = { c, w, ub, il };
	for_tokens(c, n, E, attn_norm_tok, &lt);
	act_invalidate(c);
	/* ggml runs the prompt's products as matrix products, except that the
	 * last layer's feed-forward block and the output head only see the
	 * tokens whose logits are wanted (one): plain dot products there */
	const int pr = ub->prefill, pr_ffn = ub->prefill && il != hp->n_layer - 1;
	const int nd = ub->prefill ? ub->n_dec : 0;
	matmul_ub(c, &w->wq, s->xn, E, n, nd, s->q, qd, pr);
	matmul_ub(c, &w->wk, s->xn, E, n, nd, s->k, kvd, pr);
	matmul_ub(c, &w->wv, s->xn, E, n, nd, s->v, kvd, pr);
	add_bias(s->q, w->bq, n, qd, qd);
	add_bias(s->k, w->bk, n, kvd, kvd);
	add_bias(s->v, w->bv, n, kvd, kvd);
	for_tokens(c, n, qd + 2 * kvd, rope_kv_tok, &lt);
	struct att_job aj = { c, ub, il };
	int64_t work = 0;
	for (int t = 0; t < n; t++)
		work += (int64_t)(ub->pos[t] + 1) * hp->n_head * hd;
	if (work < (int64_t)1 << 16) {
		for (int i = 0; i < n * hp->n_head; i++)
			att_task(&aj, i, 0);
	} else {
		eng_pool_run(c->pool, att_task, &aj, n * hp->n_head);
	}
	act_invalidate(c);
	matmul_ub(c, &w->wo, s->att, qd, n, nd, s->xn, E, pr);
	/* feed-forward block */
	for_tokens(c, n, 2 * E, add_ffn_norm_tok, &lt);
	act_invalidate(c);
	matmul_ub(c, &w->w_up, s->xn, E, n, nd, s->u, F, pr_ffn);
	matmul_ub(c, &w->w_gate, s->xn, E, n, nd, s->g, F, pr_ffn);
	for_tokens(c, n, 8 * (int64_t)F, swiglu_tok, &lt);
	act_invalidate(c);
	matmul_ub(c, &w->w_down, s->g, F, n, nd, s->xn, E, pr_ffn);
	for_tokens(c, n, E, add_tok, &lt);
	act_invalidate(c);
}

static void cpu_output(struct eng_ctx *c, const struct eng_ubatch *ub, float *logits)
{
	struct cpu *s = S(c);
	const struct eng_model *m = c->m;
	const int E = m->hp.n_embd;
	const float *norm = m->w.output_norm;
	const struct eng_tensor *out = &m->w.output;
	int k = 0;

	for (int t = 0; t < ub->n; t++)
		k += ub->want[t] != 0;
	if (s->st) {
		/* the head is the last item of a pass that wants logits (an error
		 * is returned by pass_end) */
		if (k == 0 || cpu_stream_wait(c, s->st, m->hp.n_layer) != ENG_OK)
			return;
		norm = cpu_stream_output_norm(s->st);
		out = cpu_stream_output(s->st);
	}
	k = 0;
	for (int t = 0; t < ub->n; t++)
		if (ub->want[t])
			rmsnorm(s->xn + (size_t)k++ * E, s->x + (size_t)t * E, norm, E, m->hp.rms_eps);
	if (k > 0 && logits) {
		act_invalidate(c);
		matmul(c, out, s->xn, E, k, logits, m->hp.n_vocab, 0);
		act_invalidate(c);
	}
	if (s->st)
		cpu_stream_release(s->st, m->hp.n_layer);
}

static enum eng_err cpu_read_x(struct eng_ctx *c, float *out, int n)
{
	memcpy(out, S(c)->x, (size_t)n * c->m->hp.n_embd * sizeof(float));
	return ENG_OK;
}

const struct eng_backend eng_backend_cpu = {
	.name = "cpu",
	.probe = cpu_probe,
	.supports = cpu_supports,
	.alloc = cpu_alloc,
	.free = cpu_free,
	.pass_begin = cpu_pass_begin,
	.embed = cpu_embed,
	.wait = cpu_wait,
	.layer = cpu_layer,
	.release = cpu_release,
	.output = cpu_output,
	.pass_end = cpu_pass_end,
	.seq_clear = cpu_seq_clear,
	.read_x = cpu_read_x,
	.measure_gbps = NULL,
};
