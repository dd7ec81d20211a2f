/* generate_bench.c — bench/generate.sh's driver: one real briefing (the
 * whole brief_generate pipeline: select, cluster, rank, write, check, store)
 * with the engine backend, its story entries decoded together (max_batch 0)
 * or one at a time (max_batch 1). Prints one line, with the weight passes
 * the stored briefing's provenance holds:
 *   batch=B seconds=S tokens=T stories=N id=ID passes=P pass_tokens=PT
 *   prefill_tokens=PP prefill_s=A decode_s=D device=DEV
 * Usage: generate_bench DB MODEL MAX_BATCH THREADS SINCE_EPOCH NOW_EPOCH */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "brief/brief.h"
#include "store/store.h"

static size_t tokens, stories;

static void on_progress(void *ctx, const struct brief_progress *p)
{
	(void)ctx;
	if (p->tokens > tokens)
		tokens = p->tokens;
	if (!strcmp(p->stage, "write") && p->total > stories)
		stories = p->total;
}

int main(int argc, char **argv)
{
	struct store *st = NULL;
	char *err = NULL, *plan = NULL;
	int64_t id = 0;

	if (argc != 7) {
		fprintf(stderr, "usage: %s DB MODEL MAX_BATCH THREADS SINCE NOW\n", argv[0]);
		return 2;
	}
	if (store_open(argv[1], &st, &err)) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct brief_opts o = { .edition = "evening", .since = atoll(argv[5]), .now = atoll(argv[6]) };
	o.llm.backend = "engine";
	o.llm.model_path = argv[2];
	o.llm.max_batch = atoi(argv[3]);
	o.llm.threads = atoi(argv[4]);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = brief_generate(st, &o, on_progress, NULL, &id, &plan, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (rc) {
		fprintf(stderr, "generate failed: %s\n", err ? err : brief_strerror(rc));
		return 1;
	}
	struct store_briefing b;
	if (store_briefing_get(st, id, &b) != STORE_OK) {
		fprintf(stderr, "cannot read briefing %lld back\n", (long long)id);
		return 1;
	}
	printf("batch=%d seconds=%.2f tokens=%zu stories=%zu id=%lld passes=%lld pass_tokens=%lld"
	       " prefill_tokens=%lld prefill_s=%.2f decode_s=%.2f device=%s\n", o.llm.max_batch, s,
	       tokens, stories, (long long)id, (long long)b.passes, (long long)b.pass_tokens,
	       (long long)b.prefill_tokens, b.seconds_prefill, b.seconds_decode,
	       b.device ? b.device : "-");
	store_briefing_clear(&b);
	free(plan);
	free(err);
	llm_cache_clear();
	store_close(st);
	return 0;
}
