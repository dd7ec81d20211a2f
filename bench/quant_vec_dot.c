/* quant_vec_dot.c — throughput of the quant.h vec_dot kernels, reference
 * (scalar) vs the fastest this CPU runs, one thread.
 *
 *   cc -O2 -march=x86-64-v2 -std=c11 -D_GNU_SOURCE -Isrc bench/quant_vec_dot.c \
 *      src/engine/cpu/quant.c src/engine/cpu/quant_avx2.c -lm -lpthread -o /tmp/qvd
 *   /tmp/qvd [n_rows]        (row length 4096; default 512 rows, L2-resident)
 *
 * Prints GFLOP/s counting 2 flops per weight (multiply + add) and the
 * weight bandwidth it implies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/quant.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);   /* CPU time: the machine is shared */
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* best of 7 short trials: the machine is shared, the minimum is the signal */
/* n_tok > 0: rows x n_tok through vec_dot_rows (use_rows) or a vec_dot loop */
static double run_multi(const struct eng_quant_traits *t, int64_t n, int rows, const char *w, size_t rb,
			const char *a, size_t ab, int n_tok, float *out, int use_rows)
{
	double best = 1e30;
	for (int trial = 0; trial < 7; trial++) {
		int reps = 0;
		double t0 = now(), t1;
		do {
			if (use_rows) {
				t->vec_dot_rows(n, w, rb, 0, rows, a, ab, n_tok, out, rows);
			} else {
				for (int r = 0; r < rows; r++)
					for (int k = 0; k < n_tok; k++)
						t->vec_dot(n, &out[k * rows + r], w + (size_t)r * rb, a + k * ab);
			}
			reps++;
			t1 = now();
		} while (t1 - t0 < 0.05);
		if ((t1 - t0) / reps < best)
			best = (t1 - t0) / reps;
	}
	return best;
}

static double run(const struct eng_quant_traits *t, int64_t n, int rows, const char *w, size_t rb,
		  const void *a, float *out)
{
	double best = 1e30;
	for (int trial = 0; trial < 7; trial++) {
		int reps = 0;
		double t0 = now(), t1;
		do {
			for (int r = 0; r < rows; r++)
				t->vec_dot(n, &out[r], w + (size_t)r * rb, a);
			reps++;
			t1 = now();
		} while (t1 - t0 < 0.05);
		if ((t1 - t0) / reps < best)
			best = (t1 - t0) / reps;
	}
	return best;
}

int main(int argc, char **argv)
{
	const int64_t n = 4096;
	const int rows = argc > 1 ? atoi(argv[1]) : 512;
	const uint32_t types[] = { ENG_TYPE_F32, ENG_TYPE_F16, ENG_TYPE_BF16, ENG_TYPE_Q8_0, ENG_TYPE_Q4_0,
				   ENG_TYPE_Q4_1, ENG_TYPE_Q5_0, ENG_TYPE_Q5_1, ENG_TYPE_Q4_K, ENG_TYPE_Q5_K,
				   ENG_TYPE_Q6_K };
	float *x = malloc(sizeof(float) * n * rows), *a = malloc(sizeof(float) * n), *out = malloc(sizeof(float) * rows * 16);
	srand(1);
	for (int64_t i = 0; i < n * rows; i++)
		x[i] = (rand() / (float)RAND_MAX - 0.5f) * 0.1f;
	for (int64_t i = 0; i < n; i++)
		a[i] = rand() / (float)RAND_MAX - 0.5f;
	printf("row length %lld, %d rows, fast kernels: %s\n", (long long)n, rows, eng_quant_simd_name());
	printf("%-5s %10s %10s %8s %12s\n", "type", "ref GF/s", "fast GF/s", "speedup", "fast GB/s");
	for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
		const struct eng_quant_traits *f = eng_quant_traits(types[k]), *r = eng_quant_traits_ref(types[k]);
		const size_t rb = eng_type_row_bytes(types[k], n);
		char *w = malloc(rb * rows);
		void *aq = malloc(eng_type_row_bytes(f->vec_dot_type, n));
		for (int i = 0; i < rows; i++)
			r->quantize(x + (size_t)i * n, w + (size_t)i * rb, n);
		eng_quant_traits(f->vec_dot_type)->from_float(a, aq, n);
		double tr = run(r, n, rows, w, rb, aq, out), tf = run(f, n, rows, w, rb, aq, out);
		double fl = 2.0 * n * rows;
		printf("%-5s %10.2f %10.2f %7.1fx %12.2f\n", f->name, fl / tr * 1e-9, fl / tf * 1e-9, tr / tf,
		       rb * rows / tf * 1e-9);
		if (f->vec_dot_rows) {
			const size_t ab = eng_type_row_bytes(f->vec_dot_type, n);
			char *a16 = malloc(ab * 16);
			for (int k = 0; k < 16; k++)
				memcpy(a16 + k * ab, aq, ab);
			for (int nt = 4; nt <= 16; nt *= 4) {
				double tl = run_multi(f, n, rows, w, rb, a16, ab, nt, out, 0);
				double tm = run_multi(f, n, rows, w, rb, a16, ab, nt, out, 1);
				printf("      %2d tokens: vec_dot loop %6.2f GF/s, vec_dot_rows %6.2f GF/s (%.2fx)\n", nt,
				       fl * nt / tl * 1e-9, fl * nt / tm * 1e-9, tl / tm);
			}
			free(a16);
		}
		free(w);
		free(aq);
	}
	free(x);
	free(a);
	free(out);
	return 0;
}
