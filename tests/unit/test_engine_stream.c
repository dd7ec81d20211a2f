/* test_engine_stream.c — the CPU backend under a RAM budget (weight
 * streaming, src/engine/cpu/stream.c), on every model of
 * ../shared/corpus/engine:
 *   - greedy tokens and every logit bitwise the same whatever the plan: no
 *     budget (weights in place in the mapping), a budget that keeps all
 *     weights resident (copies), one that streams about half the layers,
 *     the minimum (every layer streams), and every item streamed, the
 *     output head too (BRIEFING_ENGINE_STREAM_ALL, which also covers the
 *     models whose plans never stream). The run covers prompt chunks
 *     (several passes per prompt), two prompts, and decode steps of both
 *     sequences at once;
 *   - the pass statistics: a pass with logits reads every item once, as
 *     planned; a pass without logits does not read the output head;
 *   - a budget one byte below the minimum fails with ENG_ERR_BUDGET and a
 *     message naming the minimum; the minimum itself works;
 *   - a model file truncated under a streaming context: ENG_ERR_IO with a
 *     message, no crash or hang; once the file is whole again the same
 *     context gives the reference logits again.
 * Two threads, like test_engine_model. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/engine_int.h"
#include "engine/tiers.h"
#include "engine/cpu/cpu_int.h"

#define N_THREADS 2
#define N_CTX 64
#define N_BATCH 5      /* a 12-token prompt takes three passes */
#define N_PROMPT_A 12
#define N_PROMPT_B 7
#define N_STEPS 6

static char corpus[1024];
static char tmpdir[512];

static struct eng_ctx_params ctx_params(uint64_t budget)
{
	struct eng_ctx_params p = { .n_ctx = N_CTX, .n_seq = 2, .n_threads = N_THREADS,
				    .n_batch = N_BATCH, .device = ENG_DEVICE_CPU, .ram_budget = budget };
	return p;
}

static eng_model *load(const char *path)
{
	char err[512];
	eng_model *m = NULL;
	enum eng_err e = eng_model_load(path, NULL, &m, err, sizeof err);
	if (e != ENG_OK)
		fail_msg("%s: %s: %s", path, eng_strerror(e), err);
	return m;
}

/* everything one run produces, compared bitwise between plans */
struct result {
	float *logits;        /* (2 + 2 * N_STEPS, n_vocab) */
	int32_t ids[2 * N_STEPS];
};

static void prompt(int32_t *tok, int n, int salt, int n_vocab)
{
	for (int i = 0; i < n; i++)
		tok[i] = (int32_t)(((uint64_t)i * 37u + (uint64_t)salt * 101u + 11u) % (uint64_t)n_vocab);
}

/* Two prompts, then N_STEPS greedy decode steps of both at once. */
static void run_plan(eng_model *m, uint64_t budget, struct result *r, struct eng_pass_stats *plan)
{
	struct eng_ctx_params p = ctx_params(budget);
	eng_ctx *c = NULL;
	char err[256];
	enum eng_err e = eng_ctx_new_err(m, &p, &c, err, sizeof err);
	if (e != ENG_OK)
		fail_msg("budget %llu: %s: %s", (unsigned long long)budget, eng_strerror(e), err);
	const int V = eng_ctx_n_vocab(c);
	int32_t a[N_PROMPT_A], b[N_PROMPT_B];
	int seq[2];
	prompt(a, N_PROMPT_A, 0, V);
	prompt(b, N_PROMPT_B, 1, V);
	r->logits = calloc((size_t)(2 + 2 * N_STEPS) * V, sizeof *r->logits);
	assert_non_null(r->logits);
	assert_int_equal(eng_seq_new(c, &seq[0]), ENG_OK);
	assert_int_equal(eng_seq_new(c, &seq[1]), ENG_OK);
	assert_int_equal(eng_prefill(c, seq[0], a, N_PROMPT_A, r->logits), ENG_OK);
	assert_int_equal(eng_prefill(c, seq[1], b, N_PROMPT_B, r->logits + V), ENG_OK);
	int32_t next[2] = { eng_argmax(r->logits, V), eng_argmax(r->logits + V, V) };
	for (int k = 0; k < N_STEPS; k++) {
		float *lg = r->logits + (size_t)(2 + 2 * k) * V;
		r->ids[2 * k] = next[0];
		r->ids[2 * k + 1] = next[1];
		e = eng_decode(c, 2, seq, next, lg);
		if (e != ENG_OK)
			fail_msg("decode: %s: %s", eng_strerror(e), eng_ctx_errmsg(c));
		next[0] = eng_argmax(lg, V);
		next[1] = eng_argmax(lg + V, V);
	}

	/* the statistics of one pass with logits and one without */
	struct eng_pass_stats st;
	eng_ctx_stats(c, plan);
	const uint64_t total = plan->plan_bytes[0] + plan->plan_bytes[1] + plan->plan_bytes[2];
	eng_ctx_stats_reset(c);
	assert_int_equal(eng_decode(c, 1, seq, next, r->logits), ENG_OK);
	eng_ctx_stats(c, &st);
	assert_int_equal(st.passes, 1);
	assert_int_equal(st.bytes[0] + st.bytes[1] + st.bytes[2], total);
	assert_int_equal(st.bytes[2], plan->plan_bytes[2]);
	eng_seq_free(c, seq[1]);
	assert_int_equal(eng_seq_new(c, &seq[1]), ENG_OK);
	eng_ctx_stats_reset(c);
	assert_int_equal(eng_prefill(c, seq[1], b, 3, NULL), ENG_OK);
	eng_ctx_stats(c, &st);
	assert_int_equal(st.passes, 1);
	if (budget) {
		/* the output head is not read */
		assert_true(st.bytes[0] + st.bytes[2] < total);
		assert_true(st.bytes[2] <= plan->plan_bytes[2]);
	} else {
		assert_int_equal(st.bytes[0], total);   /* today's accounting, unchanged */
	}
	assert_true(st.wait_seconds >= 0.0);
	eng_ctx_free(c);
}

static int plan_layers_streamed(const struct eng_plan *pl)
{
	int n = 0;
	for (int il = 0; il < pl->n_layer; il++)
		n += pl->layer_tier[il] != ENG_TIER_FAST;
	return n;
}

/* The minimum budget, the budget keeping everything, and one streaming
 * about half the layers (the closest a scan of budgets finds). */
static void budgets(eng_model *m, uint64_t *min, uint64_t *all, uint64_t *half)
{
	struct eng_ctx_params p = ctx_params(0);
	struct eng_plan pl;
	uint64_t fixed = 0;
	char err[256];
	assert_int_equal(eng_cpu_plan(m, &p, &pl, &fixed, err, sizeof err), ENG_OK);
	*min = pl.min_fast;
	*all = pl.fast_used;
	assert_true(*min <= *all);
	eng_plan_free(&pl);
	const int n = m->hp.n_layer;
	int best = -1;
	*half = *min;
	for (int i = 0; i <= 256; i++) {
		p.ram_budget = *min + (*all - *min) / 256 * (uint64_t)i;
		assert_int_equal(eng_cpu_plan(m, &p, &pl, NULL, err, sizeof err), ENG_OK);
		int d = plan_layers_streamed(&pl) - n / 2;
		d = d < 0 ? -d : d;
		if (best < 0 || d < best) {
			best = d;
			*half = p.ram_budget;
		}
		eng_plan_free(&pl);
	}
}

static void same(const struct result *a, const struct result *b, int V, const char *what)
{
	if (memcmp(a->ids, b->ids, sizeof a->ids))
		fail_msg("%s: greedy ids differ from the run without a budget", what);
	size_t n = (size_t)(2 + 2 * N_STEPS) * V;
	for (size_t i = 0; i < n; i++)
		if (memcmp(&a->logits[i], &b->logits[i], sizeof(float)))
			fail_msg("%s: logit %zu (row %zu) differs: %.9g vs %.9g", what, i, i / V,
				 (double)a->logits[i], (double)b->logits[i]);
}

static void test_tier_mixes(void **state)
{
	const char *name = *state;
	char path[2048];
	snprintf(path, sizeof path, "%s/%s", corpus, name);
	eng_model *m = load(path);
	const int V = m->hp.n_vocab, n = m->hp.n_layer;
	uint64_t min, all, half;
	budgets(m, &min, &all, &half);

	struct result ref, r;
	struct eng_pass_stats st;
	run_plan(m, 0, &ref, &st);
	assert_int_equal(st.layers_streamed, 0);

	run_plan(m, all, &r, &st);
	assert_int_equal(st.layers_streamed, 0);
	assert_int_equal(st.plan_bytes[2], 0);
	same(&ref, &r, V, "all resident (copied)");
	free(r.logits);

	/* Where the planner streams at all (not: one layer, or two small
	 * layers beside a large tied head, where keeping everything costs no
	 * more than the staging slots) it streams about half the layers in
	 * between and every layer at the minimum. */
	run_plan(m, min, &r, &st);
	const int streams = st.layers_streamed > 0;
	if (streams) {
		assert_int_equal(st.layers_streamed, n);
		assert_true(st.plan_bytes[2] > 0);
	}
	same(&ref, &r, V, "minimum budget");
	free(r.logits);

	run_plan(m, half, &r, &st);
	if (streams && n >= 2) {
		assert_true(st.layers_streamed > 0);
		assert_true(st.layers_streamed < n);
	}
	same(&ref, &r, V, "about half the layers streamed");
	free(r.logits);

	/* every item, the output head too, through the staging slots */
	setenv("BRIEFING_ENGINE_STREAM_ALL", "1", 1);
	run_plan(m, min, &r, &st);
	unsetenv("BRIEFING_ENGINE_STREAM_ALL");
	assert_int_equal(st.layers_streamed, n);
	assert_int_equal(st.plan_bytes[0], 0);
	same(&ref, &r, V, "everything streamed (BRIEFING_ENGINE_STREAM_ALL)");
	free(r.logits);

	free(ref.logits);
	eng_model_free(m);
}

static void test_budget_minimum(void **state)
{
	(void)state;
	char path[2048], want[128], hb[32];
	snprintf(path, sizeof path, "%s/stories260K.gguf", corpus);
	eng_model *m = load(path);
	uint64_t min, all, half;
	budgets(m, &min, &all, &half);

	struct eng_ctx_params p = ctx_params(min - 1);
	eng_ctx *c = NULL;
	char err[256];
	assert_int_equal(eng_ctx_new_err(m, &p, &c, err, sizeof err), ENG_ERR_BUDGET);
	assert_null(c);
	eng_bytes_human(hb, sizeof hb, min);
	snprintf(want, sizeof want, "below the minimum of %s", hb);
	if (!strstr(err, want))
		fail_msg("message '%s' does not say '%s'", err, want);
	assert_non_null(strstr(err, "RAM budget"));

	/* the tier planner's own error is the same */
	struct eng_plan pl;
	assert_int_equal(eng_cpu_plan(m, &p, &pl, NULL, err, sizeof err), ENG_ERR_BUDGET);
	assert_non_null(strstr(err, want));

	p.ram_budget = min;
	assert_int_equal(eng_ctx_new_err(m, &p, &c, err, sizeof err), ENG_OK);
	struct eng_pass_stats st;
	eng_ctx_stats(c, &st);
	assert_int_equal(st.layers_streamed, m->hp.n_layer);
	eng_ctx_free(c);
	eng_model_free(m);
}

static int copy_file(const char *from, const char *to, char **data, size_t *len)
{
	FILE *f = fopen(from, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	*data = malloc(*len);
	if (!*data || fread(*data, 1, *len, f) != *len) {
		fclose(f);
		return -1;
	}
	fclose(f);
	f = fopen(to, "wb");
	if (!f || fwrite(*data, 1, *len, f) != *len) {
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f);
}

/* Truncates a copy of a model under a context that streams every layer:
 * the next pass fails with ENG_ERR_IO (from the layer reads or the
 * embedding row), never a crash or hang; freeing the context then joins
 * its prefetch thread. Written back whole, the same context works again. */
static void test_truncated_file(void **state)
{
	const char *name = *state;
	char src[2048], dst[2048];
	char *data = NULL;
	size_t len = 0;
	snprintf(src, sizeof src, "%s/%s", corpus, name);
	snprintf(dst, sizeof dst, "%s/truncated-%s", tmpdir, name);
	assert_int_equal(copy_file(src, dst, &data, &len), 0);

	eng_model *m = load(dst);
	const int V = m->hp.n_vocab;
	uint64_t min, all, half;
	budgets(m, &min, &all, &half);
	struct eng_ctx_params p = ctx_params(min);
	eng_ctx *c = NULL, *c0 = NULL;
	assert_int_equal(eng_ctx_new(m, &p, &c), ENG_OK);

	/* the reference, before anything happens to the file */
	struct eng_ctx_params p0 = ctx_params(0);
	assert_int_equal(eng_ctx_new(m, &p0, &c0), ENG_OK);
	int32_t a[N_PROMPT_A];
	int s0, s;
	prompt(a, N_PROMPT_A, 0, V);
	float *ref = malloc((size_t)V * sizeof *ref), *lg = malloc((size_t)V * sizeof *lg);
	assert_non_null(ref);
	assert_non_null(lg);
	assert_int_equal(eng_seq_new(c0, &s0), ENG_OK);
	assert_int_equal(eng_prefill(c0, s0, a, N_PROMPT_A, ref), ENG_OK);
	eng_ctx_free(c0);

	/* cut: the streamed layers past the first quarter become unreadable */
	assert_int_equal(truncate(dst, (off_t)(len / 4)), 0);
	assert_int_equal(eng_seq_new(c, &s), ENG_OK);
	enum eng_err e = eng_prefill(c, s, a, N_PROMPT_A, lg);
	assert_int_equal(e, ENG_ERR_IO);
	print_message("(expected) %s\n", eng_ctx_errmsg(c));
	assert_non_null(strstr(eng_ctx_errmsg(c), "truncated-"));
	/* again: the error repeats, nothing hangs */
	eng_seq_free(c, s);
	assert_int_equal(eng_seq_new(c, &s), ENG_OK);
	assert_int_equal(eng_prefill(c, s, a, 3, NULL), ENG_ERR_IO);

	/* whole again */
	int fd = open(dst, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, len, 0), (ssize_t)len);
	close(fd);
	eng_seq_free(c, s);
	assert_int_equal(eng_seq_new(c, &s), ENG_OK);
	e = eng_prefill(c, s, a, N_PROMPT_A, lg);
	if (e != ENG_OK)
		fail_msg("after restoring the file: %s: %s", eng_strerror(e), eng_ctx_errmsg(c));
	assert_memory_equal(lg, ref, (size_t)V * sizeof *lg);

	/* truncated again, then freed while the prefetch thread is failing */
	assert_int_equal(truncate(dst, (off_t)(len / 4)), 0);
	eng_ctx_free(c);
	eng_model_free(m);
	unlink(dst);
	free(ref);
	free(lg);
	free(data);
}

static int is_gguf(const char *n)
{
	size_t l = strlen(n);
	return l > 5 && !strcmp(n + l - 5, ".gguf");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const char *sh = getenv("BRIEFING_SHARED");
	snprintf(corpus, sizeof corpus, "%s/corpus/engine", sh && *sh ? sh : "../shared");
	const char *td = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/briefing-stream-test-XXXXXX", td && *td ? td : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}

	/* every corpus model */
	static char *names[64];
	static char tnames[64][160];
	int nm = 0;
	DIR *d = opendir(corpus);
	if (!d) {
		fprintf(stderr, "%s: cannot open (set BRIEFING_SHARED)\n", corpus);
		return 1;
	}
	for (struct dirent *de; (de = readdir(d)) && nm < 64;)
		if (is_gguf(de->d_name))
			names[nm++] = strdup(de->d_name);
	closedir(d);
	qsort(names, (size_t)nm, sizeof *names, cmp_str);
	if (nm == 0) {
		fprintf(stderr, "%s: no models\n", corpus);
		return 1;
	}

	struct CMUnitTest tests[64 + 4];
	size_t n = 0;
	for (int i = 0; i < nm; i++) {
		snprintf(tnames[i], sizeof tnames[i], "tier_mixes/%s", names[i]);
		tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_tier_mixes, names[i]);
		tests[n++].name = tnames[i];
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_budget_minimum);
	static char trunc_a[] = "micro-llama-f32.gguf", trunc_b[] = "stories260K.gguf";
	tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_truncated_file, trunc_a);
	tests[n++].name = "truncated_file/micro-llama-f32";
	tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_truncated_file, trunc_b);
	tests[n++].name = "truncated_file/stories260K";
	int rc = _cmocka_run_group_tests("engine_stream", tests, n, NULL, NULL);
	for (int i = 0; i < nm; i++)
		free(names[i]);
	rmdir(tmpdir);
	return rc;
}
