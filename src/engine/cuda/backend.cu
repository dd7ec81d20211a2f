/* backend.cu — the CUDA backend: VRAM-resident and streamed layers.
 *
 * At context creation the tier planner (tiers.c) places each layer and the
 * output head in VRAM (resident), pinned host RAM, or the model file, under
 * --vram-budget (default: free memory minus a margin) and --ram-budget,
 * counting KV cache, activations and the staging slots. A layer's tensors
 * are packed into one block (offsets aligned to 256 bytes), so a streamed
 * layer is one host->device copy.
 *
 * A pass is pipelined on two streams and events, never a device-wide sync:
 *   copy stream:    item k of the streamed list into VRAM slot k % 2, after
 *                   the compute of item k - 2 (which used that slot) is done;
 *   compute stream: waits for item k's copy only when it reaches layer k.
 * FILE items are read by the driving thread into pinned host staging
 * (pread, two slots) right after it has queued the previous layer's
 * kernels, so the disk read of layer i+2 overlaps the copy of i+1 and the
 * compute of i. The time the compute stream stalls on copies is measured
 * with events around each wait.
 *
 * The token embedding never goes to the GPU whole: the rows a pass needs
 * are gathered from the mapping (raw blocks) and dequantised on the device. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/cuda/cuda_int.h"

extern "C" {
#include "engine/gguf.h"
#include "engine/tiers.h"
}

enum { T_ATTN_NORM, T_WQ, T_WK, T_WV, T_BQ, T_BK, T_BV, T_WO, T_FFN_NORM, T_GATE, T_UP, T_DOWN, T_N };
/* the output head uses T_ATTN_NORM for output_norm and T_WQ for output */

#define NSLOT 2
#define ALIGN 256

struct titem {
	uint64_t off[T_N];        /* offset of each tensor in the packed block */
	uint64_t size[T_N];       /* its bytes (0: absent) */
	const uint8_t *src[T_N];  /* in the mapping */
	uint64_t bytes;           /* packed size */
	int tier;
	int sidx;                 /* ordinal among the streamed items, -1 when resident */
	uint8_t *dev;             /* the block in VRAM (resident) or its slot (streamed) */
	uint8_t *host;            /* HOST tier: the pinned copy */
};

struct cuda {
	cudaStream_t cs, xs;          /* compute, copy */
	int M, n_ctx, n_seq, kv_f32, kvd, qd, nsplit;
	void *kc, *vc;                /* (n_layer, n_seq, n_ctx, kvd) */
	float *x, *xn, *q, *k, *v, *att, *g, *u, *part, *sc, *logits;
	float *rope;                  /* (M, n_rot) */
	int *info;                    /* seq (M), pos (M), want (M) */
	uint8_t *emb;                 /* (M, embd row bytes) */
	struct cu_act act;
	/* pinned host */
	float *rope_h;
	int *info_h;
	uint8_t *emb_h;
	float *logits_h;
	/* weights */
	struct titem *items;          /* (n_layer + 1) */
	int n_items;
	uint8_t *arena, *pinned;
	uint8_t *slot[NSLOT], *hslot[NSLOT];
	cudaEvent_t ready[NSLOT], freed[NSLOT], hfreed[NSLOT];
	cudaEvent_t *w0, *w1;         /* (n_streamed) around each wait */
	int *stream;                  /* (n_streamed) item indices in pass order */
	int n_streamed, next;
	int pass_streamed;            /* this pass: n_streamed, less a streamed output head when no logits are wanted */
	int fd;
	int mm_mode;                  /* CU_MM_*, from BRIEFING_CUDA_MM */
	uint64_t tier_bytes[3];
	struct eng_plan plan;
	/* per pass */
	float *user_logits;
	int n_logits, max_pos, n_tok;
	enum eng_err err;
};

static struct cuda *S(struct eng_ctx *c)
{
	return (struct cuda *)c->be_state;
}

static int ck(struct eng_ctx *c, cudaError_t e, const char *what)
{
	if (e == cudaSuccess)
		return 0;
	eng_ctx_set_err(c, "CUDA: %s: %s", what, cudaGetErrorString(e));
	if (c->be_state && S(c)->err == ENG_OK)
		S(c)->err = ENG_ERR_DEVICE;
	return -1;
}

/* ---- probe ------------------------------------------------------------------ */

static int cuda_probe(char *desc, size_t n)
{
	int count = 0;
	cudaError_t e = cudaGetDeviceCount(&count);
	if (e != cudaSuccess || count == 0) {
		snprintf(desc, n, "%s", e != cudaSuccess ? cudaGetErrorString(e) : "no CUDA device");
		return 0;
	}
	cudaDeviceProp pr;
	size_t fr = 0, tot = 0;
	if (cudaGetDeviceProperties(&pr, 0) != cudaSuccess || cudaSetDevice(0) != cudaSuccess ||
	    cudaMemGetInfo(&fr, &tot) != cudaSuccess) {
		snprintf(desc, n, "the CUDA device cannot be opened");
		return 0;
	}
	char f[32], t[32];
	eng_bytes_human(f, sizeof f, fr);
	eng_bytes_human(t, sizeof t, tot);
	snprintf(desc, n, "%s (compute %d.%d, %s free of %s)", pr.name, pr.major, pr.minor, f, t);
	return 1;
}

static int cuda_supports(int type)
{
	switch (type) {
	case ENG_TYPE_F32: case ENG_TYPE_F16: case ENG_TYPE_BF16:
	case ENG_TYPE_Q4_0: case ENG_TYPE_Q4_1: case ENG_TYPE_Q5_0: case ENG_TYPE_Q5_1:
	case ENG_TYPE_Q8_0: case ENG_TYPE_Q4_K: case ENG_TYPE_Q5_K: case ENG_TYPE_Q6_K:
		return 1;
	default:
		return 0;
	}
}

/* ---- items ------------------------------------------------------------------- */

static void put(struct titem *it, int i, const void *src, uint64_t size)
{
	it->src[i] = (const uint8_t *)src;
	it->size[i] = src ? size : 0;
}

static uint64_t mat(const struct eng_tensor *t)
{
	return t->data ? (uint64_t)t->row_bytes * (uint64_t)t->ne1 : 0;
}

static void make_items(struct eng_ctx *c, struct titem *items)
{
	const struct eng_model *m = c->m;
	const uint64_t E4 = (uint64_t)m->hp.n_embd * 4;
	for (int il = 0; il <= m->hp.n_layer; il++) {
		struct titem *it = &items[il];
		memset(it, 0, sizeof *it);
		if (il < m->hp.n_layer) {
			const struct eng_layer_w *w = &m->w.layers[il];
			put(it, T_ATTN_NORM, w->attn_norm, E4);
			put(it, T_WQ, w->wq.data, mat(&w->wq));
			put(it, T_WK, w->wk.data, mat(&w->wk));
			put(it, T_WV, w->wv.data, mat(&w->wv));
			put(it, T_BQ, w->bq, (uint64_t)w->wq.ne1 * 4);
			put(it, T_BK, w->bk, (uint64_t)w->wk.ne1 * 4);
			put(it, T_BV, w->bv, (uint64_t)w->wv.ne1 * 4);
			put(it, T_WO, w->wo.data, mat(&w->wo));
			put(it, T_FFN_NORM, w->ffn_norm, E4);
			put(it, T_GATE, w->w_gate.data, mat(&w->w_gate));
			put(it, T_UP, w->w_up.data, mat(&w->w_up));
			put(it, T_DOWN, w->w_down.data, mat(&w->w_down));
		} else {
			put(it, T_ATTN_NORM, m->w.output_norm, E4);
			put(it, T_WQ, m->w.output.data, mat(&m->w.output));
		}
		uint64_t off = 0;
		for (int i = 0; i < T_N; i++) {
			it->off[i] = off;
			off += (it->size[i] + ALIGN - 1) / ALIGN * ALIGN;
		}
		it->bytes = off;
		it->sidx = -1;
	}
}

static struct cu_mat dmat(const struct titem *it, int i, const struct eng_tensor *t)
{
	struct cu_mat r;
	r.data = it->dev + it->off[i];
	r.type = t->type;
	r.ne0 = t->ne0;
	r.ne1 = t->ne1;
	r.row_bytes = t->row_bytes;
	return r;
}

static const float *dvec(const struct titem *it, int i)
{
	return it->size[i] ? (const float *)(it->dev + it->off[i]) : NULL;
}

/* ---- copying big blocks with the thread pool -------------------------------- */

struct cp_job {
	uint8_t *dst;
	const uint8_t *src;
	uint64_t n, chunk;
};

static void cp_task(void *arg, int item, int tid)
{
	const struct cp_job *j = (const struct cp_job *)arg;
	(void)tid;
	uint64_t o = (uint64_t)item * j->chunk, e = o + j->chunk < j->n ? o + j->chunk : j->n;
	memcpy(j->dst + o, j->src + o, (size_t)(e - o));
}

static void pool_memcpy(struct eng_ctx *c, uint8_t *dst, const uint8_t *src, uint64_t n)
{
	struct cp_job j = { dst, src, n, (uint64_t)16 << 20 };
	if (n <= j.chunk) {
		memcpy(dst, src, (size_t)n);
		return;
	}
	eng_pool_run(c->pool, cp_task, &j, (int)((n + j.chunk - 1) / j.chunk));
}

/* the packed block of item it, read from the file into dst (host) */
static int read_item(struct eng_ctx *c, const struct titem *it, uint8_t *dst)
{
	struct cuda *s = S(c);
	const uint8_t *base = (const uint8_t *)eng_gguf_base(c->m->gguf);
	for (int i = 0; i < T_N; i++) {
		uint64_t done = 0, fo = (uint64_t)(it->src[i] - base);
		while (done < it->size[i]) {
			ssize_t r = pread(s->fd, dst + it->off[i] + done, (size_t)(it->size[i] - done),
					  (off_t)(fo + done));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				eng_ctx_set_err(c, "reading layer weights from %s: %s", c->m->path,
						r < 0 ? strerror(errno) : "unexpected end of file");
				return -1;
			}
			done += (uint64_t)r;
		}
	}
	return 0;
}

/* ---- alloc / free --------------------------------------------------------------- */

static void cuda_free(struct eng_ctx *c)
{
	struct cuda *s = S(c);
	if (!s)
		return;
	if (s->cs)
		cudaStreamSynchronize(s->cs);
	if (s->xs)
		cudaStreamSynchronize(s->xs);
	void *dev[] = { s->kc, s->vc, s->x, s->xn, s->q, s->k, s->v, s->att, s->g, s->u, s->part, s->sc,
			s->logits, s->rope, s->info, s->emb, s->act.q, s->act.d, s->act.s, s->act.f,
			s->arena, s->slot[0], s->slot[1] };
	for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++)
		if (dev[i])
			cudaFree(dev[i]);
	void *host[] = { s->rope_h, s->info_h, s->emb_h, s->logits_h, s->pinned, s->hslot[0], s->hslot[1] };
	for (size_t i = 0; i < sizeof host / sizeof host[0]; i++)
		if (host[i])
			cudaFreeHost(host[i]);
	for (int i = 0; i < NSLOT; i++) {
		if (s->ready[i]) cudaEventDestroy(s->ready[i]);
		if (s->freed[i]) cudaEventDestroy(s->freed[i]);
		if (s->hfreed[i]) cudaEventDestroy(s->hfreed[i]);
	}
	for (int i = 0; i < s->n_streamed; i++) {
		if (s->w0 && s->w0[i]) cudaEventDestroy(s->w0[i]);
		if (s->w1 && s->w1[i]) cudaEventDestroy(s->w1[i]);
	}
	if (s->cs)
		cudaStreamDestroy(s->cs);
	if (s->xs)
		cudaStreamDestroy(s->xs);
	if (s->fd >= 0)
		close(s->fd);
	eng_plan_free(&s->plan);
	free(s->items);
	free(s->w0);
	free(s->w1);
	free(s->stream);
	free(s);
	c->be_state = NULL;
}

/* device allocations of the context besides weights, in one list so the
 * planner counts exactly what is allocated */
struct dsz {
	void **p;
	uint64_t bytes;
};

static enum eng_err cuda_alloc(struct eng_ctx *c)
{
	const struct eng_hparams *hp = &c->m->hp;
	const struct eng_model *m = c->m;
	struct cuda *s = (struct cuda *)calloc(1, sizeof *s);
	char msg[256];

	if (!s)
		return ENG_ERR_NOMEM;
	c->be_state = s;
	s->fd = -1;
	s->err = ENG_OK;
	{
		const char *mm = getenv("BRIEFING_CUDA_MM");
		/* rows16 measured fastest on an H200 (bench/results/gpu-2026-12-04.md) */
		s->mm_mode = mm && !strcmp(mm, "warp") ? CU_MM_WARP : mm && !strcmp(mm, "rows8") ? CU_MM_ROWS8
												   : CU_MM_ROWS16;
	}
	if (hp->head_dim > 256) {
		eng_ctx_set_err(c, "CUDA backend: head dimension %d is above 256", hp->head_dim);
		return ENG_ERR_UNSUPPORTED_ARCH;
	}
	if (ck(c, cudaSetDevice(0), "select device 0"))
		return ENG_ERR_DEVICE;
	s->M = c->max_ubatch;
	s->n_ctx = c->p.n_ctx;
	s->n_seq = c->p.n_seq;
	s->kv_f32 = c->p.kv_f32;
	s->kvd = hp->n_head_kv * hp->head_dim;
	s->qd = hp->n_head * hp->head_dim;
	s->nsplit = (s->n_ctx + CU_ATT_SPLIT - 1) / CU_ATT_SPLIT;
	const uint64_t M = (uint64_t)s->M, E = (uint64_t)hp->n_embd, F = (uint64_t)hp->n_ff;
	uint64_t kmax = E > (uint64_t)s->qd ? E : (uint64_t)s->qd;
	if (F > kmax)
		kmax = F;
	kmax = (kmax + 255) / 256 * 256;
	s->act.kmax = (int)kmax;
	s->act.type = -1;
	const size_t erow = m->w.token_embd.row_bytes;
	const uint64_t kv = (uint64_t)hp->n_layer * s->n_seq * s->n_ctx * s->kvd * (s->kv_f32 ? 4 : 2);
	struct dsz list[] = {
		{ &s->kc, kv }, { &s->vc, kv },
		{ (void **)&s->x, M * E * 4 }, { (void **)&s->xn, M * E * 4 },
		{ (void **)&s->q, M * s->qd * 4 }, { (void **)&s->k, M * s->kvd * 4 },
		{ (void **)&s->v, M * s->kvd * 4 }, { (void **)&s->att, M * s->qd * 4 },
		{ (void **)&s->g, M * F * 4 }, { (void **)&s->u, M * F * 4 },
		{ (void **)&s->part, M * hp->n_head * (uint64_t)s->nsplit * hp->head_dim * 4 },
		{ (void **)&s->sc, M * hp->n_head * (uint64_t)s->n_ctx * 4 },
		{ (void **)&s->logits, M * (uint64_t)hp->n_vocab * 4 },
		{ (void **)&s->rope, M * hp->n_rot * 4 }, { (void **)&s->info, M * 3 * 4 },
		{ (void **)&s->emb, M * erow },
		{ (void **)&s->act.q, M * kmax }, { (void **)&s->act.d, M * kmax / 32 * 4 },
		{ (void **)&s->act.s, M * kmax / 32 * 4 }, { (void **)&s->act.f, M * kmax * 4 },
	};
	uint64_t fixed = 0;
	for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
		fixed += (list[i].bytes + ALIGN - 1) / ALIGN * ALIGN;

	/* the plan */
	s->n_items = hp->n_layer + 1;
	s->items = (struct titem *)calloc((size_t)s->n_items, sizeof *s->items);
	uint64_t *lb = (uint64_t *)calloc((size_t)hp->n_layer + 1, sizeof *lb);
	if (!s->items || !lb) {
		free(lb);
		return ENG_ERR_NOMEM;
	}
	make_items(c, s->items);
	for (int il = 0; il < hp->n_layer; il++)
		lb[il] = s->items[il].bytes;
	size_t fr = 0, tot = 0;
	if (ck(c, cudaMemGetInfo(&fr, &tot), "query free memory")) {
		free(lb);
		return ENG_ERR_DEVICE;
	}
	uint64_t budget = c->p.vram_budget;
	if (!budget) {
		/* free memory less a margin for the driver, the runtime and others */
		uint64_t margin = (uint64_t)tot / 20 > ((uint64_t)1 << 30) ? (uint64_t)tot / 20 : ((uint64_t)1 << 30);
		budget = fr > margin ? fr - margin : 0;
	}
	struct eng_plan_in pin;
	memset(&pin, 0, sizeof pin);
	pin.n_layer = hp->n_layer;
	pin.layer_bytes = lb;
	pin.out_bytes = s->items[hp->n_layer].bytes;
	pin.fixed_fast = fixed;
	pin.fast_budget = budget;
	pin.host_budget = c->p.ram_budget ? c->p.ram_budget : ENG_BUDGET_UNLIMITED;
	pin.has_host_tier = 1;
	pin.n_slots = NSLOT;
	pin.fast_name = "VRAM";
	pin.host_name = "RAM";
	enum eng_err e = eng_plan_make(&pin, &s->plan, msg, sizeof msg);
	free(lb);
	if (e != ENG_OK) {
		eng_ctx_set_err(c, "%s", msg);
		return ENG_ERR_BUDGET;
	}
	if (s->plan.fast_used > (uint64_t)fr) {
		char a[32], b[32];
		eng_bytes_human(a, sizeof a, s->plan.fast_used);
		eng_bytes_human(b, sizeof b, fr);
		eng_ctx_set_err(c, "the plan needs %s of VRAM but only %s is free (lower --vram-budget)", a, b);
		return ENG_ERR_BUDGET;
	}

	/* device buffers */
	for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
		if (ck(c, cudaMalloc(list[i].p, list[i].bytes ? list[i].bytes : 1), "allocate scratch"))
			return ENG_ERR_DEVICE;
	}
	if (ck(c, cudaMemset(s->kc, 0, kv), "clear KV") || ck(c, cudaMemset(s->vc, 0, kv), "clear KV"))
		return ENG_ERR_DEVICE;
	if (ck(c, cudaHostAlloc((void **)&s->rope_h, M * hp->n_rot * 4, 0), "pin host buffers") ||
	    ck(c, cudaHostAlloc((void **)&s->info_h, M * 3 * 4, 0), "pin host buffers") ||
	    ck(c, cudaHostAlloc((void **)&s->emb_h, M * erow, 0), "pin host buffers") ||
	    ck(c, cudaHostAlloc((void **)&s->logits_h, M * (uint64_t)hp->n_vocab * 4, 0), "pin host buffers"))
		return ENG_ERR_DEVICE;
	if (ck(c, cudaStreamCreateWithFlags(&s->cs, cudaStreamNonBlocking), "create streams") ||
	    ck(c, cudaStreamCreateWithFlags(&s->xs, cudaStreamNonBlocking), "create streams"))
		return ENG_ERR_DEVICE;
	for (int i = 0; i < NSLOT; i++) {
		if (ck(c, cudaEventCreateWithFlags(&s->ready[i], cudaEventDisableTiming), "create events") ||
		    ck(c, cudaEventCreateWithFlags(&s->freed[i], cudaEventDisableTiming), "create events") ||
		    ck(c, cudaEventCreateWithFlags(&s->hfreed[i], cudaEventDisableTiming), "create events"))
			return ENG_ERR_DEVICE;
	}

	/* weights: resident ones into one arena, HOST ones into pinned RAM */
	uint64_t fast = 0, host = 0;
	int need_fd = 0;
	s->stream = (int *)calloc((size_t)s->n_items, sizeof *s->stream);
	if (!s->stream)
		return ENG_ERR_NOMEM;
	for (int i = 0; i < s->n_items; i++) {
		struct titem *it = &s->items[i];
		it->tier = i < hp->n_layer ? s->plan.layer_tier[i] : s->plan.out_tier;
		s->tier_bytes[it->tier] += it->bytes;
		if (it->tier == ENG_TIER_FAST) {
			fast += it->bytes;
		} else {
			it->sidx = s->n_streamed;
			s->stream[s->n_streamed++] = i;
			if (it->tier == ENG_TIER_HOST)
				host += it->bytes;
			else
				need_fd = 1;
		}
	}
	if (fast && ck(c, cudaMalloc((void **)&s->arena, fast), "allocate resident weights"))
		return ENG_ERR_DEVICE;
	if (host && ck(c, cudaHostAlloc((void **)&s->pinned, host, 0), "pin host RAM for streamed weights"))
		return ENG_ERR_DEVICE;
	if (s->n_streamed) {
		for (int i = 0; i < NSLOT; i++)
			if (ck(c, cudaMalloc((void **)&s->slot[i], s->plan.slot_bytes), "allocate staging slots"))
				return ENG_ERR_DEVICE;
		s->w0 = (cudaEvent_t *)calloc((size_t)s->n_streamed, sizeof *s->w0);
		s->w1 = (cudaEvent_t *)calloc((size_t)s->n_streamed, sizeof *s->w1);
		if (!s->w0 || !s->w1)
			return ENG_ERR_NOMEM;
		for (int i = 0; i < s->n_streamed; i++)
			if (ck(c, cudaEventCreate(&s->w0[i]), "create events") ||
			    ck(c, cudaEventCreate(&s->w1[i]), "create events"))
				return ENG_ERR_DEVICE;
	}
	if (need_fd) {
		s->fd = open(m->path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0) {
			eng_ctx_set_err(c, "%s: %s", m->path, strerror(errno));
			return ENG_ERR_IO;
		}
		for (int i = 0; i < NSLOT; i++)
			if (ck(c, cudaHostAlloc((void **)&s->hslot[i], s->plan.host_slot_bytes, 0),
			       "pin host staging slots"))
				return ENG_ERR_DEVICE;
	}
	uint64_t fo = 0, ho = 0;
	for (int i = 0; i < s->n_items; i++) {
		struct titem *it = &s->items[i];
		if (it->tier == ENG_TIER_FAST) {
			it->dev = s->arena + fo;
			fo += it->bytes;
			for (int t = 0; t < T_N; t++)
				if (it->size[t] && ck(c, cudaMemcpy(it->dev + it->off[t], it->src[t], it->size[t],
								    cudaMemcpyHostToDevice), "upload weights"))
					return ENG_ERR_DEVICE;
		} else {
			it->dev = s->slot[it->sidx % NSLOT];
			if (it->tier == ENG_TIER_HOST) {
				it->host = s->pinned + ho;
				ho += it->bytes;
				for (int t = 0; t < T_N; t++)
					if (it->size[t])
						pool_memcpy(c, it->host + it->off[t], it->src[t], it->size[t]);
			}
		}
	}
	c->stats.n_layer = hp->n_layer;
	c->stats.layers_streamed = 0;
	for (int il = 0; il < hp->n_layer; il++)
		c->stats.layers_streamed += s->plan.layer_tier[il] != ENG_TIER_FAST;
	for (int t = 0; t < 3; t++)
		c->stats.plan_bytes[t] = s->tier_bytes[t];
	return ENG_OK;
}

/* ---- the streamed pass -------------------------------------------------------- */

static void prefetch(struct eng_ctx *c, int k)
{
	struct cuda *s = S(c);
	struct titem *it = &s->items[s->stream[k]];
	const int sl = k % NSLOT;
	if (s->err != ENG_OK)
		return;
	/* the slot's previous occupant (k - NSLOT) has been computed */
	ck(c, cudaStreamWaitEvent(s->xs, s->freed[sl], 0), "order a copy");
	if (it->tier == ENG_TIER_HOST) {
		ck(c, cudaMemcpyAsync(it->dev, it->host, it->bytes, cudaMemcpyHostToDevice, s->xs), "copy a layer");
	} else {
		/* the host slot's previous copy is done; then read, then copy */
		if (ck(c, cudaEventSynchronize(s->hfreed[sl]), "wait for a host slot"))
			return;
		if (read_item(c, it, s->hslot[sl])) {
			s->err = ENG_ERR_IO;
			return;
		}
		ck(c, cudaMemcpyAsync(it->dev, s->hslot[sl], it->bytes, cudaMemcpyHostToDevice, s->xs),
		   "copy a layer");
		ck(c, cudaEventRecord(s->hfreed[sl], s->xs), "record an event");
	}
	ck(c, cudaEventRecord(s->ready[sl], s->xs), "record an event");
}

static void cuda_pass_begin(struct eng_ctx *c, const struct eng_ubatch *ub)
{
	struct cuda *s = S(c);
	const struct eng_model *m = c->m;
	const struct eng_hparams *hp = &m->hp;
	const struct eng_tensor *te = &m->w.token_embd;

	s->err = ENG_OK;
	s->user_logits = NULL;
	s->n_logits = 0;
	s->n_tok = ub->n;
	s->max_pos = 0;
	for (int t = 0; t < ub->n; t++) {
		eng_rope_cache(s->rope_h + (size_t)t * hp->n_rot, ub->pos[t], hp->n_rot, hp->rope_base,
			       m->w.rope_freqs);
		s->info_h[t] = ub->seq[t];
		s->info_h[s->M + t] = ub->pos[t];
		if (ub->pos[t] > s->max_pos)
			s->max_pos = ub->pos[t];
		memcpy(s->emb_h + (size_t)t * te->row_bytes,
		       (const uint8_t *)te->data + (size_t)ub->tok[t] * te->row_bytes, te->row_bytes);
	}
	int k = 0;
	for (int t = 0; t < ub->n; t++)
		if (ub->want[t])
			s->info_h[2 * s->M + k++] = t;
	s->n_logits = k;
	const size_t n = (size_t)ub->n;
	ck(c, cudaMemcpyAsync(s->rope, s->rope_h, n * hp->n_rot * 4, cudaMemcpyHostToDevice, s->cs), "upload");
	ck(c, cudaMemcpyAsync(s->info, s->info_h, (size_t)s->M * 3 * 4, cudaMemcpyHostToDevice, s->cs), "upload");
	ck(c, cudaMemcpyAsync(s->emb, s->emb_h, n * te->row_bytes, cudaMemcpyHostToDevice, s->cs), "upload");
	s->act.src = NULL;
	s->pass_streamed = s->n_streamed;
	if (k == 0 && s->items[hp->n_layer].sidx >= 0)
		s->pass_streamed--;   /* the output head is the last streamed item */
	s->next = 0;
	for (; s->next < s->pass_streamed && s->next < NSLOT; s->next++)
		prefetch(c, s->next);
}

static void cuda_embed(struct eng_ctx *c, const struct eng_ubatch *ub)
{
	struct cuda *s = S(c);
	const struct eng_tensor *te = &c->m->w.token_embd;
	cu_dequant_rows(te->type, s->emb, te->row_bytes, ub->n, c->m->hp.n_embd, s->x, s->cs);
}

static enum eng_err item_wait(struct eng_ctx *c, int i)
{
	struct cuda *s = S(c);
	const struct titem *it = &s->items[i];
	if (s->err != ENG_OK)
		return s->err;
	c->stats.bytes[it->tier] += it->bytes;
	if (it->sidx < 0)
		return ENG_OK;
	ck(c, cudaEventRecord(s->w0[it->sidx], s->cs), "record an event");
	ck(c, cudaStreamWaitEvent(s->cs, s->ready[it->sidx % NSLOT], 0), "wait for a layer");
	ck(c, cudaEventRecord(s->w1[it->sidx], s->cs), "record an event");
	return s->err;
}

static void item_release(struct eng_ctx *c, int i)
{
	struct cuda *s = S(c);
	const struct titem *it = &s->items[i];
	if (it->sidx < 0)
		return;
	ck(c, cudaEventRecord(s->freed[it->sidx % NSLOT], s->cs), "record an event");
	if (s->next < s->pass_streamed)
		prefetch(c, s->next++);
}

static enum eng_err cuda_wait(struct eng_ctx *c, int il)
{
	return item_wait(c, il);
}

static void cuda_release(struct eng_ctx *c, int il)
{
	item_release(c, il);
}

static void matmul(struct cuda *s, const struct titem *it, int ti, const struct eng_tensor *t,
		   const float *x, int n, int K, int ldx, float *out, int ldo)
{
	struct cu_mat w = dmat(it, ti, t);
	cu_act_quant(&s->act, t->type, x, n, K, ldx, s->cs);
	cu_matmul(&w, &s->act, n, out, ldo, s->mm_mode, s->cs);
}

static void cuda_layer(struct eng_ctx *c, const struct eng_layer_w *w, int il,
		       const struct eng_ubatch *ub)
{
	struct cuda *s = S(c);
	const struct eng_hparams *hp = &c->m->hp;
	const struct titem *it = &s->items[il];
	const int n = ub->n, E = hp->n_embd, F = hp->n_ff, qd = s->qd, kvd = s->kvd;
	const int *seq = s->info, *pos = s->info + s->M;

	if (s->err != ENG_OK)
		return;
	cu_rmsnorm(s->xn, s->x, dvec(it, T_ATTN_NORM), NULL, n, E, hp->rms_eps, s->cs);
	s->act.src = NULL;
	matmul(s, it, T_WQ, &w->wq, s->xn, n, E, E, s->q, qd);
	matmul(s, it, T_WK, &w->wk, s->xn, n, E, E, s->k, kvd);
	matmul(s, it, T_WV, &w->wv, s->xn, n, E, E, s->v, kvd);
	cu_add_bias(s->q, dvec(it, T_BQ), n, qd, s->cs);
	cu_add_bias(s->k, dvec(it, T_BK), n, kvd, s->cs);
	cu_add_bias(s->v, dvec(it, T_BV), n, kvd, s->cs);
	cu_rope(s->q, s->k, s->rope, n, hp->n_head, hp->n_head_kv, hp->head_dim, hp->n_rot, hp->rope_neox,
		s->cs);
	cu_kv_store(s->kc, s->vc, s->k, s->v, seq, pos, n, kvd, s->n_ctx, s->n_seq, il, s->kv_f32, s->cs);
	cu_attention(s->att, s->q, s->kc, s->vc, seq, pos, n, hp->n_head, hp->n_head_kv, hp->head_dim,
		     s->n_ctx, s->n_seq, il, s->kv_f32, s->max_pos, s->sc, s->part, s->nsplit, s->cs);
	matmul(s, it, T_WO, &w->wo, s->att, n, qd, qd, s->xn, E);
	cu_add(s->x, s->xn, (size_t)n * E, s->cs);

	cu_rmsnorm(s->xn, s->x, dvec(it, T_FFN_NORM), NULL, n, E, hp->rms_eps, s->cs);
	s->act.src = NULL;
	matmul(s, it, T_UP, &w->w_up, s->xn, n, E, E, s->u, F);
	matmul(s, it, T_GATE, &w->w_gate, s->xn, n, E, E, s->g, F);
	cu_swiglu(s->g, s->u, (size_t)n * F, F, s->cs);
	s->act.src = NULL;
	matmul(s, it, T_DOWN, &w->w_down, s->g, n, F, F, s->xn, E);
	cu_add(s->x, s->xn, (size_t)n * E, s->cs);
	s->act.src = NULL;
	if (ck(c, cudaGetLastError(), "launch a kernel"))
		return;
}

static void cuda_output(struct eng_ctx *c, const struct eng_ubatch *ub, float *logits)
{
	struct cuda *s = S(c);
	const struct eng_model *m = c->m;
	const int E = m->hp.n_embd, V = m->hp.n_vocab, k = s->n_logits;
	const int io = m->hp.n_layer;
	(void)ub;
	if (k == 0 || !logits || s->err != ENG_OK)
		return;
	if (item_wait(c, io) != ENG_OK)
		return;
	const struct titem *it = &s->items[io];
	cu_rmsnorm(s->xn, s->x, dvec(it, T_ATTN_NORM), s->info + 2 * s->M, k, E, m->hp.rms_eps, s->cs);
	s->act.src = NULL;
	matmul(s, it, T_WQ, &m->w.output, s->xn, k, E, E, s->logits, V);
	s->act.src = NULL;
	item_release(c, io);
	ck(c, cudaMemcpyAsync(s->logits_h, s->logits, (size_t)k * V * 4, cudaMemcpyDeviceToHost, s->cs),
	   "copy logits");
	s->user_logits = logits;
}

static enum eng_err cuda_pass_end(struct eng_ctx *c)
{
	struct cuda *s = S(c);
	ck(c, cudaStreamSynchronize(s->cs), "run the pass");
	ck(c, cudaGetLastError(), "run the pass");
	if (s->err != ENG_OK)
		return s->err;
	if (s->user_logits)
		memcpy(s->user_logits, s->logits_h, (size_t)s->n_logits * c->m->hp.n_vocab * 4);
	float waited = 0.0f;
	for (int i = 0; i < s->pass_streamed; i++) {
		float ms = 0.0f;
		if (cudaEventElapsedTime(&ms, s->w0[i], s->w1[i]) == cudaSuccess)
			waited += ms;
	}
	c->stats.wait_seconds += waited / 1000.0;
	return ENG_OK;
}

static void cuda_seq_clear(struct eng_ctx *c, int seq)
{
	(void)c; (void)seq;   /* cells are overwritten before they are read */
}

static enum eng_err cuda_read_x(struct eng_ctx *c, float *out, int n)
{
	struct cuda *s = S(c);
	if (ck(c, cudaMemcpy(out, s->x, (size_t)n * c->m->hp.n_embd * 4, cudaMemcpyDeviceToHost),
	       "read the residual stream"))
		return ENG_ERR_DEVICE;
	return ENG_OK;
}

/* Pinned host -> device bandwidth: 256 MiB copied 8 times, best of them. */
static double cuda_measure_gbps(void)
{
	const size_t n = (size_t)256 << 20;
	void *h = NULL, *d = NULL;
	cudaEvent_t a, b;
	double best = 0.0;
	if (cudaHostAlloc(&h, n, 0) != cudaSuccess)
		return 0.0;
	if (cudaMalloc(&d, n) != cudaSuccess) {
		cudaFreeHost(h);
		return 0.0;
	}
	memset(h, 1, n);
	cudaEventCreate(&a);
	cudaEventCreate(&b);
	for (int i = 0; i < 8; i++) {
		float ms = 0.0f;
		cudaEventRecord(a, 0);
		cudaMemcpyAsync(d, h, n, cudaMemcpyHostToDevice, 0);
		cudaEventRecord(b, 0);
		if (cudaEventSynchronize(b) != cudaSuccess || cudaEventElapsedTime(&ms, a, b) != cudaSuccess)
			break;
		if (ms > 0.0f && n / (ms * 1e6) > best)
			best = n / (ms * 1e6);
	}
	cudaEventDestroy(a);
	cudaEventDestroy(b);
	cudaFree(d);
	cudaFreeHost(h);
	cudaGetLastError();
	return best;
}

extern "C" const struct eng_backend eng_backend_cuda = {
	"cuda",
	cuda_probe,
	cuda_supports,
	cuda_alloc,
	cuda_free,
	cuda_pass_begin,
	cuda_embed,
	cuda_wait,
	cuda_layer,
	cuda_release,
	cuda_output,
	cuda_pass_end,
	cuda_seq_clear,
	cuda_read_x,
	cuda_measure_gbps,
};
