/* Memory read bandwidth as a decode step sees it: N threads each stream a
 * sum over their own slice of a buffer far larger than the caches.
 *
 *   cc -O2 -march=native -pthread -o membw bench/membw.c
 *   membw [-m MIB] [-r PASSES] THREADS      prints one number: GB/s (1e9 bytes/s)
 *
 * -m: buffer size in MiB (default 1024; keep it well above the last-level
 * cache). -r: timed passes (default 20); the best pass is printed. Each
 * thread first writes its slice (so every page is faulted in, by the thread
 * that will read it) and the sum of every pass is checked against the
 * expected value, so the reads cannot be optimised away. libc and pthreads
 * only; bench/engine-cpu.sh builds and runs it. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LANES 8 /* independent accumulators: the loop vectorises and pipelines */

struct shared {
	uint64_t *buf;			/* (n_words) */
	size_t n_words;
	int n_threads, passes;
	pthread_barrier_t bar;
	double best;			/* seconds of the fastest pass, written by thread 0 */
};

struct worker {
	struct shared *sh;
	int id;
	size_t lo, hi;			/* word range [lo, hi), a multiple of LANES long */
	uint64_t want;			/* the slice's expected sum */
	int bad;			/* a pass summed to something else */
	pthread_t th;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The hot loop: a streaming sum over [p, p + n), n a multiple of LANES. */
static uint64_t sum_words(const uint64_t *restrict p, size_t n)
{
	uint64_t acc[LANES] = { 0 };
	for (size_t i = 0; i < n; i += LANES)
		for (int l = 0; l < LANES; l++)
			acc[l] += p[i + l];
	uint64_t s = 0;
	for (int l = 0; l < LANES; l++)
		s += acc[l];
	return s;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	/* first touch: fault in every page of this thread's slice */
	for (size_t i = w->lo; i < w->hi; i++)
		sh->buf[i] = i;
	for (int r = 0; r < sh->passes; r++) {
		double t0 = 0;
		pthread_barrier_wait(&sh->bar);
		if (w->id == 0)
			t0 = now_s();
		uint64_t s = sum_words(sh->buf + w->lo, w->hi - w->lo);
		pthread_barrier_wait(&sh->bar);
		if (w->id == 0) {
			double dt = now_s() - t0;
			if (sh->best == 0 || dt < sh->best)
				sh->best = dt;
		}
		if (s != w->want)
			w->bad = 1;
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: membw [-m MIB] [-r PASSES] THREADS\n");
}

int main(int argc, char **argv)
{
	long mib = 1024, passes = 20, threads = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-m") && i + 1 < argc) {
			mib = strtol(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "-r") && i + 1 < argc) {
			passes = strtol(argv[++i], NULL, 10);
		} else if (argv[i][0] != '-' && !threads) {
			threads = strtol(argv[i], NULL, 10);
		} else {
			usage();
			return 2;
		}
	}
	if (threads < 1 || threads > 1024 || mib < 1 || passes < 1) {
		usage();
		return 2;
	}

	struct shared sh = { .n_threads = (int)threads, .passes = (int)passes };
	size_t bytes = (size_t)mib << 20;
	sh.n_words = bytes / sizeof(uint64_t);
	sh.buf = aligned_alloc(4096, bytes);
	struct worker *w = calloc((size_t)threads, sizeof *w);
	if (!sh.buf || !w) {
		fprintf(stderr, "membw: cannot allocate %ld MiB\n", mib);
		return 1;
	}
	pthread_barrier_init(&sh.bar, NULL, (unsigned)threads);

	/* slices of whole LANES groups; the last thread takes the remainder */
	size_t groups = sh.n_words / LANES, per = groups / (size_t)threads;
	for (int t = 0; t < threads; t++) {
		w[t].sh = &sh;
		w[t].id = t;
		w[t].lo = (size_t)t * per * LANES;
		w[t].hi = t == threads - 1 ? groups * LANES : w[t].lo + per * LANES;
		/* sum of lo .. hi-1, modulo 2^64 */
		uint64_t a = w[t].lo, b = w[t].hi;
		uint64_t x = b - a, y = a + b - 1;
		w[t].want = (x % 2 == 0) ? (x / 2) * y : x * (y / 2);
	}
	for (int t = 1; t < threads; t++) {
		int e = pthread_create(&w[t].th, NULL, work, &w[t]);
		if (e) {
			fprintf(stderr, "membw: pthread_create: %s\n", strerror(e));
			return 1;
		}
	}
	work(&w[0]);
	for (int t = 1; t < threads; t++)
		pthread_join(w[t].th, NULL);

	for (int t = 0; t < threads; t++) {
		if (w[t].bad) {
			fprintf(stderr, "membw: thread %d summed to the wrong value\n", t);
			return 1;
		}
	}
	double scanned = (double)(groups * LANES * sizeof(uint64_t));
	printf("%.2f\n", scanned / sh.best / 1e9);
	pthread_barrier_destroy(&sh.bar);
	free(w);
	free(sh.buf);
	return 0;
}
