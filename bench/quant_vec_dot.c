/* quant_vec_dot.c — throughput of the quant.h kernels, one thread: the
 * scalar reference, the fastest this CPU runs, and (given llama.cpp's
 * libggml-cpu.so, built outside this repository) ggml's own kernels on the
 * same bytes, with a check that every result has the same bits.
 *
 *   cc -O2 -march=x86-64-v2 -std=c11 -D_GNU_SOURCE -Isrc bench/quant_vec_dot.c \
 *      src/engine/cpu/quant.c src/engine/cpu/quant_avx2.c src/engine/cpu/quant_avx512.c \
 *      -lm -lpthread -ldl -o /tmp/qvd
 *   /tmp/qvd [--ggml PATH/libggml-cpu.so] [--rows N] [--type NAME]
 *
 * Row length 4096; default 512 rows (about L2-sized: the kernel, not the
 * memory, is measured). Rows:
 *   decode   one activation row against every weight row (vec_dot), as a
 *            decode step does; ggml: its vec_dot;
 *   rows x T T activation rows through vec_dot_rows (batched decode,
 *            prompts); ggml: llamafile_sgemm where it takes the type
 *            (Q8_0, Q4_0, Q5_0: tinyBLAS), else its vec_dot per pair.
 * GF/s counts 2 flops per weight per token; GB/s is weight bytes read. */
#include <dlfcn.h>
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

/* ggml's CPU type traits and tinyBLAS entry point (llama.cpp c392e50) */
typedef void (*ggml_vec_dot_t)(int n, float *s, size_t bs, const void *x, size_t bx, const void *y, size_t by,
			       int nrc);
struct ggml_type_traits_cpu {
	void (*from_float)(const float *x, void *y, int64_t k);
	ggml_vec_dot_t vec_dot;
	int vec_dot_type;
	int64_t nrows;
};
struct ggml_compute_params {
	int ith, nth;
	size_t wsize;
	void *wdata;
	void *threadpool;
};
static const struct ggml_type_traits_cpu *(*g_traits)(int type);
static int (*g_sgemm)(const struct ggml_compute_params *p, int64_t m, int64_t n, int64_t k, const void *A,
		      int64_t lda, const void *B, int64_t ldb, void *C, int64_t ldc, int Atype, int Btype, int Ctype);

enum { K_REF, K_FAST, K_GGML };

struct job {
	const struct eng_quant_traits *t;
	int kind, n_tok, rows;
	int64_t n;
	const char *w, *a;     /* weights, n_tok activation rows */
	size_t rb, ab;
	float *out;            /* out[k * rows + r] */
};

static void run_once(const struct job *j)
{
	const struct eng_quant_traits *t = j->t;
	if (j->kind == K_GGML) {
		const struct ggml_type_traits_cpu *g = g_traits((int)t->type);
		const int64_t bs = eng_quant_traits(t->type)->blck_size;
		struct ggml_compute_params p = { 0, 1, 0, NULL, NULL };
		/* tinyBLAS's float kernels need ggml's thread pool; its Q0 ones do not */
		const int q0 = t->type == ENG_TYPE_Q8_0 || t->type == ENG_TYPE_Q4_0 || t->type == ENG_TYPE_Q5_0;
		if (j->n_tok > 1 && g_sgemm && q0 &&
		    g_sgemm(&p, j->rows, j->n_tok, j->n / bs, j->w, (int64_t)(j->rb / t->type_size), j->a,
			    (int64_t)(j->ab / eng_quant_traits(t->vec_dot_type)->type_size), j->out, j->rows,
			    (int)t->type, (int)t->vec_dot_type, 0))
			return;
		for (int r = 0; r < j->rows; r++)
			for (int k = 0; k < j->n_tok; k++)
				g->vec_dot((int)j->n, &j->out[k * j->rows + r], 0, j->w + (size_t)r * j->rb, 0,
					   j->a + (size_t)k * j->ab, 0, 1);
		return;
	}
	if (j->n_tok > 1 && t->vec_dot_rows_prompt) {
		t->vec_dot_rows_prompt(j->n, j->w, j->rb, 0, j->rows, j->a, j->ab, j->n_tok, j->out, j->rows);
		return;
	}
	for (int r = 0; r < j->rows; r++)
		for (int k = 0; k < j->n_tok; k++)
			t->vec_dot(j->n, &j->out[k * j->rows + r], j->w + (size_t)r * j->rb, j->a + (size_t)k * j->ab);
}

/* seconds per call: best of 7 trials of >= 50 ms (the minimum is the signal) */
static double timed(const struct job *j)
{
	double best = 1e30;
	for (int trial = 0; trial < 7; trial++) {
		int reps = 0;
		double t0 = now(), t1;
		do {
			run_once(j);
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
	int rows = 512;
	const char *lib = NULL, *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ggml") && i + 1 < argc)
			lib = argv[++i];
		else if (!strcmp(argv[i], "--rows") && i + 1 < argc)
			rows = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--type") && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--ggml libggml-cpu.so] [--rows N] [--type NAME]\n", argv[0]);
			return 2;
		}
	}
	if (rows < 4)
		rows = 4;
	if (lib) {
		void *h = dlopen(lib, RTLD_NOW);
		if (!h) {
			fprintf(stderr, "quant_vec_dot: %s\n", dlerror());
			return 1;
		}
		void (*init)(void) = (void (*)(void))dlsym(h, "ggml_cpu_init");
		g_traits = (const struct ggml_type_traits_cpu *(*)(int))dlsym(h, "ggml_get_type_traits_cpu");
		*(void **)&g_sgemm = dlsym(h, "llamafile_sgemm");
		if (!init || !g_traits) {
			fprintf(stderr, "quant_vec_dot: %s lacks ggml_cpu_init/ggml_get_type_traits_cpu\n", lib);
			return 1;
		}
		init();
	}
	const uint32_t types[] = { ENG_TYPE_F32, ENG_TYPE_F16, ENG_TYPE_BF16, ENG_TYPE_Q8_0, ENG_TYPE_Q4_0,
				   ENG_TYPE_Q4_1, ENG_TYPE_Q5_0, ENG_TYPE_Q5_1, ENG_TYPE_Q4_K, ENG_TYPE_Q5_K,
				   ENG_TYPE_Q6_K };
	const int toks[] = { 1, 4, 16, 128 };
	enum { MAXTOK = 128 };
	float *x = malloc(sizeof(float) * n * rows), *a = malloc(sizeof(float) * n * MAXTOK);
	float *out[3];
	for (int k = 0; k < 3; k++)
		out[k] = malloc(sizeof(float) * rows * MAXTOK);
	srand(1);
	for (int64_t i = 0; i < n * rows; i++)
		x[i] = (rand() / (float)RAND_MAX - 0.5f) * 0.1f;
	for (int64_t i = 0; i < n * MAXTOK; i++)
		a[i] = rand() / (float)RAND_MAX - 0.5f;
	printf("row length %lld, %d rows, fast kernels: %s%s\n", (long long)n, rows, eng_quant_simd_name(),
	       lib ? ", ggml: llama.cpp's libggml-cpu" : "");
	printf("%-5s %-8s %9s %9s %9s %8s %8s %9s  %s\n", "type", "test", "ref GF/s", "fast GF/s", "ggml GF/s",
	       "fast/ref", "fast/ggml", "fast GB/s", lib ? "same bits as ggml" : "");
	for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
		const struct eng_quant_traits *f = eng_quant_traits(types[ti]), *r = eng_quant_traits_ref(types[ti]);
		if (only && strcmp(only, f->name))
			continue;
		const size_t rb = eng_type_row_bytes(types[ti], n), ab = eng_type_row_bytes(f->vec_dot_type, n);
		char *w = malloc(rb * rows), *aq = malloc(ab * MAXTOK);
		for (int i = 0; i < rows; i++)
			r->quantize(x + (size_t)i * n, w + (size_t)i * rb, n);
		for (int k = 0; k < MAXTOK; k++)
			eng_quant_traits(f->vec_dot_type)->from_float(a + (size_t)k * n, aq + (size_t)k * ab, n);
		for (size_t ki = 0; ki < sizeof toks / sizeof toks[0]; ki++) {
			const int nt = toks[ki];
			if (nt > 1 && !f->vec_dot_rows_prompt)
				continue;
			double sec[3] = { 0, 0, 0 };
			for (int kind = K_REF; kind <= K_GGML; kind++) {
				if (kind == K_GGML && (!lib || (nt > 1 && !f->is_quantized)))
					continue;   /* ggml's float tinyBLAS needs its thread pool */
				if (kind == K_REF && nt > 16)
					continue;   /* the scalar loop is slow and says nothing new */
				struct job j = { kind == K_REF ? r : f, kind, nt, rows, n, w, aq, rb, ab, out[kind] };
				sec[kind] = timed(&j);
			}
			const double fl = 2.0 * (double)n * rows * nt;
			char test[16];
			snprintf(test, sizeof test, nt == 1 ? "decode" : "rows x%d", nt);
			printf("%-5s %-8s", f->name, test);
			for (int kind = K_REF; kind <= K_GGML; kind++)
				sec[kind] > 0 ? printf(" %9.2f", fl / sec[kind] * 1e-9) : printf(" %9s", "-");
			sec[K_REF] > 0 ? printf(" %7.2fx", sec[K_REF] / sec[K_FAST]) : printf(" %8s", "-");
			sec[K_GGML] > 0 ? printf(" %7.2fx", sec[K_GGML] / sec[K_FAST]) : printf(" %8s", "-");
			printf(" %9.2f", (double)rb * rows / sec[K_FAST] * 1e-9);
			if (sec[K_GGML] > 0) {
				size_t diff = 0;
				for (size_t i = 0; i < (size_t)rows * nt; i++)
					diff += memcmp(&out[K_FAST][i], &out[K_GGML][i], sizeof(float)) != 0;
				diff ? printf("  no (%zu of %zu differ)", diff, (size_t)rows * nt) : printf("  yes");
			}
			printf("\n");
			fflush(stdout);
		}
		free(w);
		free(aq);
	}
	free(x);
	free(a);
	for (int k = 0; k < 3; k++)
		free(out[k]);
	return 0;
}
