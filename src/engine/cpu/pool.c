/* pool.c — a small persistent thread pool for the CPU backend.
 *
 * eng_pool_run(p, fn, arg, n) calls fn(arg, i, tid) for every i in [0, n),
 * spread over the pool's threads (the caller's thread takes part as tid 0).
 * Work items are claimed with an atomic counter; every item is computed
 * entirely by one thread, so results never depend on the thread count
 * (rows are split between threads, never a dot product).
 *
 * A decode step is hundreds of small jobs: a worker that has finished one
 * spins briefly on the job counter before it sleeps on the condition
 * variable, and so does the caller waiting for the last worker, so that
 * back-to-back jobs are handed over without a sleep and a wake-up each
 * (BRIEFING_POOL_SPIN in the environment sets the pause iterations, 0
 * turns spinning off; read once when the pool is made). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine/engine_int.h"

#define POOL_SPIN_DEFAULT 20000

struct eng_pool {
	int n_threads;
	pthread_t *threads;
	pthread_mutex_t mu;
	pthread_cond_t cv_start;
	pthread_cond_t cv_done;
	atomic_ulong generation;    /* bumped per job (written under mu) */
	atomic_int n_busy;          /* workers still in the current job */
	atomic_int quit;
	int spin;                   /* pause iterations before sleeping */
	eng_pool_fn fn;
	void *arg;
	int n_items;
	atomic_int next;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

struct worker_arg {
	struct eng_pool *p;
	int tid;
};

static void drain(struct eng_pool *p, int tid)
{
	for (;;) {
		int i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
		if (i >= p->n_items)
			break;
		p->fn(p->arg, i, tid);
	}
}

static void *worker(void *v)
{
	struct worker_arg wa = *(struct worker_arg *)v;
	struct eng_pool *p = wa.p;
	unsigned long seen = 0;

	free(v);
	for (;;) {
		/* spin a little for the next job, then sleep for it */
		for (int k = 0; k < p->spin && !atomic_load_explicit(&p->quit, memory_order_relaxed) &&
		     atomic_load_explicit(&p->generation, memory_order_acquire) == seen; k++)
			cpu_relax();
		pthread_mutex_lock(&p->mu);
		while (!atomic_load(&p->quit) && atomic_load(&p->generation) == seen)
			pthread_cond_wait(&p->cv_start, &p->mu);
		pthread_mutex_unlock(&p->mu);
		if (atomic_load(&p->quit))
			break;
		seen = atomic_load(&p->generation);
		drain(p, wa.tid);
		if (atomic_fetch_sub(&p->n_busy, 1) == 1) {
			/* the last one: wake the caller if it sleeps */
			pthread_mutex_lock(&p->mu);
			pthread_cond_signal(&p->cv_done);
			pthread_mutex_unlock(&p->mu);
		}
	}
	return NULL;
}

int eng_pool_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

enum eng_err eng_pool_new(int n_threads, struct eng_pool **out)
{
	struct eng_pool *p;

	*out = NULL;
	if (n_threads <= 0)
		n_threads = eng_pool_default_threads();
	if (n_threads > 512)
		n_threads = 512;
	p = calloc(1, sizeof *p);
	if (!p)
		return ENG_ERR_NOMEM;
	p->n_threads = n_threads;
	const char *sp = getenv("BRIEFING_POOL_SPIN");
	p->spin = sp && *sp ? atoi(sp) : POOL_SPIN_DEFAULT;
	if (p->spin < 0)
		p->spin = 0;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_start, NULL);
	pthread_cond_init(&p->cv_done, NULL);
	if (n_threads > 1) {
		p->threads = calloc((size_t)n_threads - 1, sizeof *p->threads);
		if (!p->threads) {
			eng_pool_free(p);
			return ENG_ERR_NOMEM;
		}
	}
	for (int t = 1; t < n_threads; t++) {
		struct worker_arg *wa = malloc(sizeof *wa);
		if (wa) {
			wa->p = p;
			wa->tid = t;
		}
		if (!wa || pthread_create(&p->threads[t - 1], NULL, worker, wa) != 0) {
			int nomem = !wa;
			free(wa);
			p->n_threads = t; /* only t-1 workers exist */
			eng_pool_free(p);
			return nomem ? ENG_ERR_NOMEM : ENG_ERR_THREAD;
		}
	}
	*out = p;
	return ENG_OK;
}

int eng_pool_size(const struct eng_pool *p)
{
	return p ? p->n_threads : 1;
}

void eng_pool_run(struct eng_pool *p, eng_pool_fn fn, void *arg, int n_items)
{
	if (n_items <= 0)
		return;
	if (!p || p->n_threads == 1 || n_items == 1) {
		for (int i = 0; i < n_items; i++)
			fn(arg, i, 0);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->arg = arg;
	p->n_items = n_items;
	atomic_store(&p->next, 0);
	atomic_store(&p->n_busy, p->n_threads - 1);
	/* the job's fields are published by this release (a spinning worker
	 * acquires it) and by the mutex (a sleeping one) */
	atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
	pthread_cond_broadcast(&p->cv_start);
	pthread_mutex_unlock(&p->mu);

	drain(p, 0);

	for (int k = 0; k < p->spin && atomic_load_explicit(&p->n_busy, memory_order_acquire) > 0; k++)
		cpu_relax();
	if (atomic_load_explicit(&p->n_busy, memory_order_acquire) > 0) {
		pthread_mutex_lock(&p->mu);
		while (atomic_load(&p->n_busy) > 0)
			pthread_cond_wait(&p->cv_done, &p->mu);
		pthread_mutex_unlock(&p->mu);
	}
}

void eng_pool_free(struct eng_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	atomic_store(&p->quit, 1);
	pthread_cond_broadcast(&p->cv_start);
	pthread_mutex_unlock(&p->mu);
	for (int t = 1; t < p->n_threads; t++)
		pthread_join(p->threads[t - 1], NULL);
	free(p->threads);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv_start);
	pthread_cond_destroy(&p->cv_done);
	free(p);
}
