/* stream.c — the CPU backend's weight tiers under --ram-budget.
 *
 * Without a budget the CPU backend multiplies by the weights in place in
 * the mmap and the kernel pages them (on a box with less RAM than the
 * model that thrashes). With c->p.ram_budget the planner (tiers.c, no HOST
 * tier) places each item of a pass — the layers, then the output head —
 * in RAM (FAST) or leaves it in the file (FILE), counting the KV cache,
 * scratch and the staging slots:
 *
 *   FAST items are read from the file into one heap arena when the context
 *   is created; FILE items are read each pass into a ring of
 *   CPU_STREAM_SLOTS staging slots by a prefetch thread. The mapping is not
 *   touched for weights (its pages would count in RSS; the whole weight
 *   range is madvise'd away in case an earlier user paged it in). Reads use
 *   O_DIRECT where the filesystem allows it, else buffered preads followed
 *   by POSIX_FADV_DONTNEED, so the page cache does not fill up either.
 *   Token embedding rows are pread one at a time.
 *
 * An item is held as one block: its tensors' file extents, each rounded
 * out to 4 KiB (O_DIRECT's alignment), tensors less than 64 KiB apart
 * merged into one extent. A tensor keeps its file offset modulo 4096 in
 * the block, so the kernels see the same alignment as in the mapping and
 * the same bytes: results are bitwise the same whatever the plan. The
 * block's size (a few KiB over eng_model_layer_bytes) is what the planner
 * places and what the pass statistics count.
 *
 * The ring: streamed reads are numbered in one sequence across passes;
 * position q goes to slot q % SLOTS and is read once position q - SLOTS
 * has been released. A pass covers positions [base, base + n_pass): the
 * streamed layers in order, then the head when the pass wants logits (a
 * pass without logits never reads it). Past the end of the pass the
 * thread goes on with the next pass's first streamed layers — every pass
 * reads every layer — so the slots are full when the next pass begins. A
 * pass that stops early (an error) drops what was read ahead, and a read
 * ahead that failed is tried again by the pass that needs it, so the error
 * a pass reports is one of its own reads and a file that became readable
 * again works again. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "engine/cpu/stream.h"
#include "engine/gguf.h"

#define SLOTS CPU_STREAM_SLOTS
#define ALIGN ((uint64_t)4096)
#define MERGE_GAP ((uint64_t)64 << 10)
#define CHUNK ((uint64_t)64 << 20)   /* bytes per pread */

enum { T_ATTN_NORM, T_WQ, T_WK, T_WV, T_BQ, T_BK, T_BV, T_WO, T_FFN_NORM, T_GATE, T_UP, T_DOWN, T_N };
/* the output head uses T_ATTN_NORM for output_norm and T_WQ for output */

/* A run of the file read as one: [file_off, file_off + len), both 4 KiB
 * aligned; bytes past need are padding (and may lie past the end of the
 * file). */
struct ext {
	uint64_t file_off, len, need;
	uint64_t blk_off;    /* where it lands in the item's block */
};

struct item {
	uint64_t fo[T_N];    /* file offset of each tensor */
	uint64_t size[T_N];  /* its bytes (0: absent) */
	uint64_t off[T_N];   /* its offset in the block */
	struct ext ext[T_N];
	int n_ext;
	uint64_t bytes;      /* the block: the extents back to back */
	int tier;            /* ENG_TIER_FAST or ENG_TIER_FILE */
	int sidx;            /* ordinal among the streamed items, -1 when resident */
};

struct cpu_stream {
	const struct eng_model *m;
	int n_layer;
	struct item *items;          /* (n_layer + 1) */
	struct eng_plan plan;
	struct eng_layer_w *lw;      /* (n_layer) per-context copies into the arena / the slots */
	struct eng_tensor out;       /* the output head, likewise */
	const float *out_norm;
	float *rope_freqs;           /* (n_rot/2) a copy, or NULL */
	uint8_t *arena;              /* the FAST blocks */
	uint8_t *slot[SLOTS];        /* plan.slot_bytes each */
	int *stream;                 /* (n_streamed) item indices in pass order */
	int n_streamed, n_stream_layers;
	int fd;                      /* buffered reads (embedding rows, fallback) */
	int fd_direct;               /* O_DIRECT, -1 when the filesystem refuses it */
	enum eng_err pass_err;       /* compute thread: this pass failed (embedding row, a wait) */

	/* the ring, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv_work;      /* to the prefetch thread: something changed */
	pthread_cond_t cv_done;      /* from it: a read finished */
	pthread_t thread;
	int sync_init, have_thread;
	int stop, hold, busy;
	uint64_t base;               /* first position of the current pass */
	int n_pass;                  /* streamed items of the current pass */
	uint64_t q_issue, q_read, q_released;   /* next to read; all below are read; all below are released */
	enum eng_err err;            /* a read failed at position err_q */
	uint64_t err_q;
	char errmsg[200];
};

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- items ------------------------------------------------------------------- */

static uint64_t mat(const struct eng_tensor *t)
{
	return t->data ? (uint64_t)t->row_bytes * (uint64_t)t->ne1 : 0;
}

static void put(struct item *it, int t, const uint8_t *base, const void *src, uint64_t size)
{
	if (!src)
		return;
	it->fo[t] = (uint64_t)((const uint8_t *)src - base);
	it->size[t] = size;
}

/* Extents of one item: its tensors in file order, merged when close. */
static void layout(struct item *it)
{
	int ord[T_N], n = 0;
	for (int t = 0; t < T_N; t++)
		if (it->size[t])
			ord[n++] = t;
	for (int i = 1; i < n; i++)   /* insertion sort by file offset */
		for (int j = i; j > 0 && it->fo[ord[j]] < it->fo[ord[j - 1]]; j--) {
			int x = ord[j];
			ord[j] = ord[j - 1];
			ord[j - 1] = x;
		}
	it->n_ext = 0;
	it->bytes = 0;
	for (int i = 0; i < n; i++) {
		const int t = ord[i];
		const uint64_t a0 = it->fo[t] / ALIGN * ALIGN;
		const uint64_t end = it->fo[t] + it->size[t];
		const uint64_t a1 = (end + ALIGN - 1) / ALIGN * ALIGN;
		struct ext *x = it->n_ext ? &it->ext[it->n_ext - 1] : NULL;
		if (!x || a0 > x->file_off + x->len + MERGE_GAP) {
			if (x)
				it->bytes += x->len;
			x = &it->ext[it->n_ext++];
			x->file_off = a0;
			x->len = 0;
			x->need = 0;
			x->blk_off = it->bytes;
		}
		if (a1 - x->file_off > x->len)
			x->len = a1 - x->file_off;
		if (end - x->file_off > x->need)
			x->need = end - x->file_off;
		it->off[t] = x->blk_off + (it->fo[t] - x->file_off);
	}
	if (it->n_ext)
		it->bytes += it->ext[it->n_ext - 1].len;
}

static void make_items(const struct eng_model *m, struct item *items)
{
	const uint8_t *base = eng_gguf_base(m->gguf);
	const uint64_t E4 = (uint64_t)m->hp.n_embd * 4;
	for (int il = 0; il <= m->hp.n_layer; il++) {
		struct item *it = &items[il];
		memset(it, 0, sizeof *it);
		it->sidx = -1;
		if (il < m->hp.n_layer) {
			const struct eng_layer_w *w = &m->w.layers[il];
			put(it, T_ATTN_NORM, base, w->attn_norm, E4);
			put(it, T_WQ, base, w->wq.data, mat(&w->wq));
			put(it, T_WK, base, w->wk.data, mat(&w->wk));
			put(it, T_WV, base, w->wv.data, mat(&w->wv));
			put(it, T_BQ, base, w->bq, (uint64_t)w->wq.ne1 * 4);
			put(it, T_BK, base, w->bk, (uint64_t)w->wk.ne1 * 4);
			put(it, T_BV, base, w->bv, (uint64_t)w->wv.ne1 * 4);
			put(it, T_WO, base, w->wo.data, mat(&w->wo));
			put(it, T_FFN_NORM, base, w->ffn_norm, E4);
			put(it, T_GATE, base, w->w_gate.data, mat(&w->w_gate));
			put(it, T_UP, base, w->w_up.data, mat(&w->w_up));
			put(it, T_DOWN, base, w->w_down.data, mat(&w->w_down));
		} else {
			put(it, T_ATTN_NORM, base, m->w.output_norm, E4);
			put(it, T_WQ, base, m->w.output.data, mat(&m->w.output));
		}
		layout(it);
	}
}

/* Points layer il's (or the head's) weights at its block. */
static void bind(struct cpu_stream *st, int i, const uint8_t *blk)
{
	const struct item *it = &st->items[i];
#define P(t) (it->size[t] ? (const void *)(blk + it->off[t]) : NULL)
	if (i < st->n_layer) {
		struct eng_layer_w *w = &st->lw[i];
		w->attn_norm = P(T_ATTN_NORM);
		w->wq.data = P(T_WQ);
		w->wk.data = P(T_WK);
		w->wv.data = P(T_WV);
		w->bq = P(T_BQ);
		w->bk = P(T_BK);
		w->bv = P(T_BV);
		w->wo.data = P(T_WO);
		w->ffn_norm = P(T_FFN_NORM);
		w->w_gate.data = P(T_GATE);
		w->w_up.data = P(T_UP);
		w->w_down.data = P(T_DOWN);
	} else {
		st->out_norm = P(T_ATTN_NORM);
		st->out.data = P(T_WQ);
	}
#undef P
}

/* ---- reading ----------------------------------------------------------------- */

/* Reads one extent into dst (4 KiB aligned). O_DIRECT while offsets stay
 * aligned; a filesystem that refuses it (EINVAL) gets buffered reads from
 * then on, each followed by POSIX_FADV_DONTNEED. Only one thread reads at
 * a time (the creating thread, then the prefetch thread), so switching
 * fd_direct off needs no lock. Returns 0, or -1 with err filled. */
static int read_ext(struct cpu_stream *st, const struct ext *x, uint8_t *dst, char *err, size_t errlen)
{
	uint64_t done = 0;
	while (done < x->need) {
		const int direct = st->fd_direct >= 0 && done % ALIGN == 0;
		uint64_t want = x->len - done < CHUNK ? x->len - done : CHUNK;
		if (!direct && want > x->need - done)
			want = x->need - done;
		ssize_t r = pread(direct ? st->fd_direct : st->fd, dst + done, (size_t)want,
				  (off_t)(x->file_off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && direct && errno == EINVAL) {
			close(st->fd_direct);
			st->fd_direct = -1;
			continue;
		}
		if (r <= 0) {
			snprintf(err, errlen, "reading weights from %s at offset %llu: %s", st->m->path,
				 (unsigned long long)(x->file_off + done),
				 r < 0 ? strerror(errno) : "unexpected end of file");
			return -1;
		}
		if (!direct)
			(void)posix_fadvise(st->fd, (off_t)(x->file_off + done), (off_t)r, POSIX_FADV_DONTNEED);
		done += (uint64_t)r;
	}
	return 0;
}

static int read_item(struct cpu_stream *st, const struct item *it, uint8_t *blk, char *err, size_t errlen)
{
	for (int k = 0; k < it->n_ext; k++)
		if (read_ext(st, &it->ext[k], blk + it->ext[k].blk_off, err, errlen))
			return -1;
	return 0;
}

/* ---- the prefetch thread ------------------------------------------------------ */

/* The item read at position q, or -1 when q is not known yet (past the
 * current pass and past the next pass's streamed layers). mu held. */
static int item_at(const struct cpu_stream *st, uint64_t q)
{
	const uint64_t end = st->base + (uint64_t)st->n_pass;
	if (q < st->base)
		return -1;
	if (q < end)
		return st->stream[q - st->base];
	return q - end < (uint64_t)st->n_stream_layers ? st->stream[q - end] : -1;
}

static int can_read(const struct cpu_stream *st)
{
	return !st->hold && st->err == ENG_OK && st->q_issue < st->q_released + SLOTS &&
	       item_at(st, st->q_issue) >= 0;
}

static void *prefetch_main(void *arg)
{
	struct cpu_stream *st = arg;
	char msg[sizeof st->errmsg];
	pthread_mutex_lock(&st->mu);
	for (;;) {
		while (!st->stop && !can_read(st))
			pthread_cond_wait(&st->cv_work, &st->mu);
		if (st->stop)
			break;
		const uint64_t q = st->q_issue++;
		const struct item *it = &st->items[item_at(st, q)];
		st->busy = 1;
		pthread_mutex_unlock(&st->mu);
		int bad = read_item(st, it, st->slot[q % SLOTS], msg, sizeof msg);
		pthread_mutex_lock(&st->mu);
		st->busy = 0;
		if (bad) {
			st->err = ENG_ERR_IO;
			st->err_q = q;
			st->q_issue = q;
			memcpy(st->errmsg, msg, sizeof msg);
		} else {
			st->q_read = q + 1;
		}
		pthread_cond_broadcast(&st->cv_done);
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

/* ---- the pass ------------------------------------------------------------------ */

void cpu_stream_pass_begin(struct cpu_stream *st, int want_head)
{
	st->pass_err = ENG_OK;
	if (!st->have_thread)
		return;
	pthread_mutex_lock(&st->mu);
	st->base += (uint64_t)st->n_pass;
	st->n_pass = st->n_stream_layers +
		     (want_head && st->items[st->n_layer].sidx >= 0 ? 1 : 0);
	/* a read ahead that failed is tried again now that the pass needs it
	 * (the error a pass reports is one of its own reads) */
	st->err = ENG_OK;
	pthread_cond_signal(&st->cv_work);
	pthread_mutex_unlock(&st->mu);
}

enum eng_err cpu_stream_wait(struct eng_ctx *c, struct cpu_stream *st, int i)
{
	const struct item *it = &st->items[i];
	if (st->pass_err != ENG_OK)
		return st->pass_err;
	if (it->sidx < 0) {
		c->stats.bytes[ENG_TIER_FAST] += it->bytes;
		return ENG_OK;
	}
	pthread_mutex_lock(&st->mu);
	if (it->sidx >= st->n_pass) {
		pthread_mutex_unlock(&st->mu);
		eng_ctx_set_err(c, "the output head was not scheduled for this pass");
		return st->pass_err = ENG_ERR_INVALID_ARG;
	}
	const uint64_t pos = st->base + (uint64_t)it->sidx;
	double t0 = 0.0;
	while (st->q_read <= pos && !(st->err != ENG_OK && st->err_q <= pos)) {
		if (t0 == 0.0)
			t0 = mono_s();
		pthread_cond_wait(&st->cv_done, &st->mu);
	}
	if (t0 != 0.0)
		c->stats.wait_seconds += mono_s() - t0;
	if (st->q_read <= pos) {
		eng_ctx_set_err(c, "%s", st->errmsg);
		st->pass_err = st->err;
		pthread_mutex_unlock(&st->mu);
		return st->pass_err;
	}
	pthread_mutex_unlock(&st->mu);
	bind(st, i, st->slot[pos % SLOTS]);
	c->stats.bytes[ENG_TIER_FILE] += it->bytes;
	return ENG_OK;
}

void cpu_stream_release(struct cpu_stream *st, int i)
{
	const struct item *it = &st->items[i];
	if (it->sidx < 0 || !st->have_thread)
		return;
	pthread_mutex_lock(&st->mu);
	const uint64_t pos = st->base + (uint64_t)it->sidx;
	if (it->sidx < st->n_pass && pos + 1 > st->q_released) {
		st->q_released = pos + 1;
		pthread_cond_signal(&st->cv_work);
	}
	pthread_mutex_unlock(&st->mu);
}

enum eng_err cpu_stream_pass_end(struct cpu_stream *st)
{
	enum eng_err e = st->pass_err;
	st->pass_err = ENG_OK;
	if (!st->have_thread)
		return e;
	pthread_mutex_lock(&st->mu);
	const uint64_t end = st->base + (uint64_t)st->n_pass;
	if (st->q_released != end || (st->err != ENG_OK && st->err_q < end)) {
		/* the pass stopped early: drop the read-ahead and the error, the
		 * next pass starts over from its first streamed item */
		st->hold = 1;
		while (st->busy)
			pthread_cond_wait(&st->cv_done, &st->mu);
		st->q_read = st->q_released = st->base = st->q_issue;
		st->n_pass = 0;
		st->err = ENG_OK;
		st->hold = 0;
		pthread_cond_signal(&st->cv_work);
	}
	pthread_mutex_unlock(&st->mu);
	return e;
}

const struct eng_layer_w *cpu_stream_layer(const struct cpu_stream *st, int il)
{
	return &st->lw[il];
}

const struct eng_tensor *cpu_stream_output(const struct cpu_stream *st)
{
	return &st->out;
}

const float *cpu_stream_output_norm(const struct cpu_stream *st)
{
	return st->out_norm;
}

const float *cpu_stream_rope_freqs(const struct cpu_stream *st)
{
	return st->rope_freqs;
}

void cpu_stream_embd_row(struct eng_ctx *c, struct cpu_stream *st, int32_t tok, void *row)
{
	const struct eng_tensor *te = &st->m->w.token_embd;
	const uint64_t fo = (uint64_t)((const uint8_t *)te->data - (const uint8_t *)eng_gguf_base(st->m->gguf)) +
			    (uint64_t)tok * te->row_bytes;
	size_t done = 0;
	while (done < te->row_bytes) {
		ssize_t r = pread(st->fd, (uint8_t *)row + done, te->row_bytes - done, (off_t)(fo + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (st->pass_err == ENG_OK) {
				eng_ctx_set_err(c, "reading the embedding of token %d from %s: %s", (int)tok,
						st->m->path, r < 0 ? strerror(errno) : "unexpected end of file");
				st->pass_err = ENG_ERR_IO;
			}
			memset(row, 0, te->row_bytes);
			return;
		}
		done += (size_t)r;
	}
}

/* ---- plan, create, free ------------------------------------------------------------ */

static enum eng_err plan_items(const struct eng_model *m, const struct item *items, uint64_t fixed,
			       uint64_t budget, struct eng_plan *out, char *err, size_t errlen)
{
	const int n = m->hp.n_layer;
	uint64_t *lb = malloc(((size_t)n + 1) * sizeof *lb);
	if (!lb) {
		memset(out, 0, sizeof *out);
		snprintf(err, errlen, "out of memory planning weight tiers");
		return ENG_ERR_NOMEM;
	}
	for (int il = 0; il < n; il++)
		lb[il] = items[il].bytes;
	struct eng_plan_in in;
	memset(&in, 0, sizeof in);
	in.n_layer = n;
	in.layer_bytes = lb;
	in.out_bytes = items[n].bytes;
	in.fixed_fast = fixed;
	in.fast_budget = budget;
	in.host_budget = ENG_BUDGET_UNLIMITED;
	in.has_host_tier = 0;
	in.n_slots = SLOTS;
	in.fast_name = "RAM";
	enum eng_err e = eng_plan_make(&in, out, err, errlen);
	free(lb);
	/* the input is valid, so INVALID_ARG means the budget is too small */
	return e == ENG_ERR_INVALID_ARG ? ENG_ERR_BUDGET : e;
}

enum eng_err cpu_stream_plan(const struct eng_model *m, uint64_t fixed, uint64_t budget,
			     struct eng_plan *out, char *err, size_t errlen)
{
	struct item *items = calloc((size_t)m->hp.n_layer + 1, sizeof *items);
	if (!items) {
		memset(out, 0, sizeof *out);
		snprintf(err, errlen, "out of memory planning weight tiers");
		return ENG_ERR_NOMEM;
	}
	make_items(m, items);
	enum eng_err e = plan_items(m, items, fixed, budget, out, err, errlen);
	free(items);
	return e;
}

/* BRIEFING_ENGINE_STREAM_ALL=1 (tests): every item streams, whatever the
 * budget allows, so the streaming path runs on models whose plan would
 * keep everything resident (one layer and a large head). */
static void stream_all(struct eng_plan *p, const struct item *items, uint64_t fixed)
{
	uint64_t sum = 0, big = 0;
	for (int i = 0; i <= p->n_layer; i++) {
		if (i < p->n_layer)
			p->layer_tier[i] = ENG_TIER_FILE;
		sum += items[i].bytes;
		if (items[i].bytes > big)
			big = items[i].bytes;
	}
	p->out_tier = ENG_TIER_FILE;
	p->tier_bytes[ENG_TIER_FAST] = 0;
	p->tier_bytes[ENG_TIER_FILE] = sum;
	p->slot_bytes = big;
	p->fast_used = fixed + SLOTS * big;
	p->n_streamed = p->n_layer + 1;
}

void cpu_stream_free(struct cpu_stream *st)
{
	if (!st)
		return;
	if (st->have_thread) {
		pthread_mutex_lock(&st->mu);
		st->stop = 1;
		pthread_cond_broadcast(&st->cv_work);
		pthread_mutex_unlock(&st->mu);
		pthread_join(st->thread, NULL);
	}
	if (st->sync_init) {
		pthread_cond_destroy(&st->cv_work);
		pthread_cond_destroy(&st->cv_done);
		pthread_mutex_destroy(&st->mu);
	}
	if (st->fd >= 0)
		close(st->fd);
	if (st->fd_direct >= 0)
		close(st->fd_direct);
	for (int i = 0; i < SLOTS; i++)
		free(st->slot[i]);
	free(st->arena);
	free(st->rope_freqs);
	free(st->stream);
	free(st->lw);
	free(st->items);
	eng_plan_free(&st->plan);
	free(st);
}

static void *alloc_aligned(uint64_t n)
{
	void *p = NULL;
	if (n > SIZE_MAX - ALIGN || posix_memalign(&p, (size_t)ALIGN, (size_t)(n ? n : ALIGN)))
		return NULL;
	return p;
}

/* The weights' pages of the mapping: never needed here; drop any that an
 * earlier user (a context without a budget, a prefault) paged in. The
 * mapping is read-only and file-backed, so a later access just reads the
 * file again. */
static void drop_mapping(const struct eng_model *m)
{
	const long pg = sysconf(_SC_PAGESIZE);
	const uint64_t page = pg > 0 ? (uint64_t)pg : 4096;
	const uint8_t *base = eng_gguf_base(m->gguf);
	const uint64_t size = eng_gguf_file_size(m->gguf);
	const uint64_t off = (eng_gguf_data_offset(m->gguf) + page - 1) / page * page;
	if (base && off < size && ((uintptr_t)base % page) == 0)
		(void)madvise((void *)(base + off), (size_t)(size - off), MADV_DONTNEED);
}

enum eng_err cpu_stream_new(struct eng_ctx *c, uint64_t fixed, struct cpu_stream **out)
{
	const struct eng_model *m = c->m;
	const int n = m->hp.n_layer;
	char msg[256];
	enum eng_err e = ENG_ERR_NOMEM;
	struct cpu_stream *st = calloc(1, sizeof *st);

	*out = NULL;
	if (!st)
		return ENG_ERR_NOMEM;
	st->m = m;
	st->n_layer = n;
	st->fd = st->fd_direct = -1;
	st->items = calloc((size_t)n + 1, sizeof *st->items);
	st->lw = malloc((size_t)n * sizeof *st->lw);
	st->stream = malloc(((size_t)n + 1) * sizeof *st->stream);
	if (!st->items || !st->lw || !st->stream)
		goto fail;
	make_items(m, st->items);
	e = plan_items(m, st->items, fixed, c->p.ram_budget, &st->plan, msg, sizeof msg);
	if (e != ENG_OK) {
		eng_ctx_set_err(c, "%s", msg);
		goto fail;
	}
	if (getenv("BRIEFING_ENGINE_STREAM_ALL"))
		stream_all(&st->plan, st->items, fixed);
	memcpy(st->lw, m->w.layers, (size_t)n * sizeof *st->lw);
	st->out = m->w.output;
	st->out_norm = m->w.output_norm;

	uint64_t fast = 0;
	for (int i = 0; i <= n; i++) {
		struct item *it = &st->items[i];
		it->tier = i < n ? st->plan.layer_tier[i] : st->plan.out_tier;
		if (it->tier == ENG_TIER_FAST) {
			fast += it->bytes;
		} else {
			it->sidx = st->n_streamed;
			st->stream[st->n_streamed++] = i;
			st->n_stream_layers += i < n;
		}
	}

	st->fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (st->fd < 0) {
		eng_ctx_set_err(c, "%s: %s", m->path, strerror(errno));
		e = ENG_ERR_IO;
		goto fail;
	}
	if (!getenv("BRIEFING_ENGINE_NO_DIRECT"))
		st->fd_direct = open(m->path, O_RDONLY | O_CLOEXEC | O_DIRECT);
	e = ENG_ERR_NOMEM;
	if (fast && !(st->arena = alloc_aligned(fast)))
		goto fail;
	if (st->n_streamed)
		for (int i = 0; i < SLOTS; i++)
			if (!(st->slot[i] = alloc_aligned(st->plan.slot_bytes)))
				goto fail;

	/* the resident blocks, read once */
	uint64_t fo = 0;
	for (int i = 0; i <= n; i++) {
		struct item *it = &st->items[i];
		if (it->tier != ENG_TIER_FAST)
			continue;
		if (read_item(st, it, st->arena + fo, msg, sizeof msg)) {
			eng_ctx_set_err(c, "%s", msg);
			e = ENG_ERR_IO;
			goto fail;
		}
		bind(st, i, st->arena + fo);
		fo += it->bytes;
	}
	if (m->w.rope_freqs) {
		/* a few hundred bytes, read like an extent so the mapping stays untouched */
		const uint64_t n4 = (uint64_t)(m->hp.n_rot / 2) * 4;
		const uint64_t ro = (uint64_t)((const uint8_t *)m->w.rope_freqs - (const uint8_t *)eng_gguf_base(m->gguf));
		struct ext x = { ro / ALIGN * ALIGN, 0, 0, 0 };
		x.need = ro + n4 - x.file_off;
		x.len = (x.need + ALIGN - 1) / ALIGN * ALIGN;
		uint8_t *buf = alloc_aligned(x.len);
		st->rope_freqs = malloc((size_t)n4);
		if (!buf || !st->rope_freqs) {
			free(buf);
			e = ENG_ERR_NOMEM;
			goto fail;
		}
		if (read_ext(st, &x, buf, msg, sizeof msg)) {
			free(buf);
			eng_ctx_set_err(c, "%s", msg);
			e = ENG_ERR_IO;
			goto fail;
		}
		memcpy(st->rope_freqs, buf + (ro - x.file_off), (size_t)n4);
		free(buf);
	}
	drop_mapping(m);

	c->stats.n_layer = n;
	c->stats.layers_streamed = st->n_stream_layers;
	memset(c->stats.plan_bytes, 0, sizeof c->stats.plan_bytes);
	for (int t = 0; t < ENG_TIER_COUNT; t++)
		c->stats.plan_bytes[t] = st->plan.tier_bytes[t];

	if (st->n_streamed) {
		if (pthread_mutex_init(&st->mu, NULL))
			goto fail_thread;
		if (pthread_cond_init(&st->cv_work, NULL)) {
			pthread_mutex_destroy(&st->mu);
			goto fail_thread;
		}
		if (pthread_cond_init(&st->cv_done, NULL)) {
			pthread_cond_destroy(&st->cv_work);
			pthread_mutex_destroy(&st->mu);
			goto fail_thread;
		}
		st->sync_init = 1;
		if (pthread_create(&st->thread, NULL, prefetch_main, st))
			goto fail_thread;
		st->have_thread = 1;
	}
	*out = st;
	return ENG_OK;
fail_thread:
	eng_ctx_set_err(c, "cannot start the weight prefetch thread");
	e = ENG_ERR_THREAD;
fail:
	if (e == ENG_ERR_NOMEM)
		eng_ctx_set_err(c, "out of memory for the resident weights or the staging slots");
	cpu_stream_free(st);
	return e;
}
