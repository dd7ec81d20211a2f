/* test_engine_tiers.c — the weight-tier planner (src/engine/tiers.h):
 *   - everything fits: all FAST, no slots, fast_used = fixed + all weights;
 *   - a fast budget of exactly min_fast: every item streams, the plan is
 *     valid; one byte below: ENG_ERR_INVALID_ARG naming the minimum;
 *   - budgets in between: a prefix of (equal) layers resident, the rest
 *     streamed, fast_used <= budget, monotone in the budget;
 *   - the output head (tied or not) is an item of its own; a large head is
 *     kept resident so the slots can be one layer;
 *   - CUDA style: VRAM, then pinned RAM under its budget, then the file,
 *     with the host staging slots counted; a RAM budget below its minimum;
 *   - unlimited budgets, n_layer 0, zero-byte layers, sizes that would
 *     overflow, bad arguments;
 *   - uneven layer sizes: the largest streamed item decides slot_bytes;
 *     min_fast against a brute force over every resident set; random small
 *     cases always give a valid plan exactly when the budget is >= the
 *     brute-force minimum;
 *   - eng_size_parse, eng_bytes_human, eng_plan_pass_seconds,
 *     eng_measure_read_gbps on a temporary file and a missing path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/tiers.h"

#define MiB (1ull << 20)
#define KiB (1ull << 10)

static struct eng_plan_in cpu_in(int n_layer, const uint64_t *layers, uint64_t out,
				 uint64_t fixed, uint64_t budget)
{
	struct eng_plan_in in = {
		.n_layer = n_layer, .layer_bytes = layers, .out_bytes = out,
		.fixed_fast = fixed, .fast_budget = budget, .host_budget = ENG_BUDGET_UNLIMITED,
		.has_host_tier = 0, .n_slots = 2, .fast_name = "RAM", .host_name = "RAM",
	};
	return in;
}

static uint64_t item_size(const struct eng_plan_in *in, int i)
{
	return i < in->n_layer ? in->layer_bytes[i] : in->out_bytes;
}

static int item_tier(const struct eng_plan *p, int i)
{
	return i < p->n_layer ? p->layer_tier[i] : p->out_tier;
}

/* Every invariant a plan must hold (sizes small enough not to saturate). */
static void check_plan(const struct eng_plan_in *in, const struct eng_plan *p)
{
	uint64_t bytes[ENG_TIER_COUNT] = { 0 }, max_streamed = 0, max_file = 0;
	int streamed = 0;
	assert_int_equal(p->n_layer, in->n_layer);
	if (in->n_layer == 0)
		assert_null(p->layer_tier);
	for (int i = 0; i <= in->n_layer; i++) {
		int t = item_tier(p, i);
		uint64_t s = item_size(in, i);
		assert_true(t >= 0 && t < ENG_TIER_COUNT);
		if (!in->has_host_tier)
			assert_int_not_equal(t, ENG_TIER_HOST);
		bytes[t] += s;
		if (t != ENG_TIER_FAST) {
			streamed++;
			if (s > max_streamed)
				max_streamed = s;
		}
		if (t == ENG_TIER_FILE && s > max_file)
			max_file = s;
	}
	for (int t = 0; t < ENG_TIER_COUNT; t++)
		assert_int_equal(p->tier_bytes[t], bytes[t]);
	assert_int_equal(p->n_streamed, streamed);
	assert_int_equal(p->slot_bytes, max_streamed);
	assert_int_equal(p->fast_used, in->fixed_fast + bytes[ENG_TIER_FAST] +
			 (uint64_t)in->n_slots * max_streamed);
	assert_true(p->fast_used <= in->fast_budget);
	assert_true(p->min_fast <= in->fast_budget);
	if (in->has_host_tier) {
		assert_int_equal(p->host_slot_bytes, max_file);
		assert_int_equal(p->host_used, bytes[ENG_TIER_HOST] + (uint64_t)in->n_slots * max_file);
		assert_true(p->host_used <= in->host_budget);
		assert_true(p->min_host <= in->host_budget);
	} else {
		assert_int_equal(p->host_slot_bytes, 0);
		assert_int_equal(p->host_used, 0);
	}
}

static void make_ok(const struct eng_plan_in *in, struct eng_plan *p)
{
	char err[256];
	enum eng_err e = eng_plan_make(in, p, err, sizeof err);
	if (e != ENG_OK)
		fail_msg("eng_plan_make: %s (%d)", err, e);
	check_plan(in, p);
}

/* ---- placement ---- */

static void test_everything_fits(void **state)
{
	uint64_t layers[4] = { 100, 100, 100, 100 };
	struct eng_plan_in in = cpu_in(4, layers, 50, 30, 30 + 450);
	struct eng_plan p;
	make_ok(&in, &p);
	assert_int_equal(p.n_streamed, 0);
	assert_int_equal(p.slot_bytes, 0);
	assert_int_equal(p.fast_used, 30 + 450);
	assert_int_equal(p.tier_bytes[ENG_TIER_FAST], 450);
	assert_int_equal(p.out_tier, ENG_TIER_FAST);
	assert_int_equal(p.min_fast, 30 + 2 * 100);
	eng_plan_free(&p);
	assert_null(p.layer_tier);
	eng_plan_free(&p);   /* twice is fine */
	eng_plan_free(NULL);

	/* A model smaller than its own staging: everything resident is the minimum. */
	uint64_t one[1] = { 100 };
	in = cpu_in(1, one, 10, 5, 5 + 110);
	make_ok(&in, &p);
	assert_int_equal(p.n_streamed, 0);
	assert_int_equal(p.min_fast, 5 + 110);
	eng_plan_free(&p);
}

static void test_minimum_budget(void **state)
{
	uint64_t layers[8];
	for (int i = 0; i < 8; i++)
		layers[i] = 100;
	struct eng_plan_in in = cpu_in(8, layers, 80, 10, 10 + 2 * 100);
	struct eng_plan p;
	make_ok(&in, &p);
	assert_int_equal(p.min_fast, 210);
	assert_int_equal(p.n_streamed, 9);
	assert_int_equal(p.slot_bytes, 100);
	assert_int_equal(p.fast_used, 210);
	assert_int_equal(p.tier_bytes[ENG_TIER_FILE], 880);
	for (int i = 0; i < 8; i++)
		assert_int_equal(p.layer_tier[i], ENG_TIER_FILE);
	assert_int_equal(p.out_tier, ENG_TIER_FILE);
	eng_plan_free(&p);

	/* The same with a host tier and unlimited RAM: everything in RAM. */
	in.has_host_tier = 1;
	make_ok(&in, &p);
	assert_int_equal(p.tier_bytes[ENG_TIER_HOST], 880);
	assert_int_equal(p.host_slot_bytes, 0);
	assert_int_equal(p.host_used, 880);
	assert_int_equal(p.min_host, 2 * 100);
	eng_plan_free(&p);

	/* Three slots. */
	in.has_host_tier = 0;
	in.n_slots = 3;
	in.fast_budget = 10 + 300;
	make_ok(&in, &p);
	assert_int_equal(p.n_streamed, 9);
	assert_int_equal(p.fast_used, 310);
	eng_plan_free(&p);
}

static void test_below_minimum(void **state)
{
	uint64_t layers[8];
	for (int i = 0; i < 8; i++)
		layers[i] = 100 * MiB;
	uint64_t fixed = 10 * MiB + 300 * KiB;
	struct eng_plan_in in = cpu_in(8, layers, 80 * MiB, fixed, 64 * MiB);
	struct eng_plan p;
	char err[256];
	assert_int_equal(eng_plan_make(&in, &p, err, sizeof err), ENG_ERR_INVALID_ARG);
	assert_non_null(strstr(err, "a RAM budget of 64.0 MiB is below the minimum of 210.3 MiB"));
	assert_non_null(strstr(err, "one layer's staging x2 = 200.0 MiB"));
	assert_non_null(strstr(err, "KV cache and scratch 10.3 MiB"));
	assert_null(p.layer_tier);
	assert_int_equal(p.n_streamed, 0);
	eng_plan_free(&p);

	/* One byte below the minimum fails, the minimum itself works. */
	in.fast_budget = fixed + 200 * MiB - 1;
	in.fast_name = "VRAM";
	assert_int_equal(eng_plan_make(&in, &p, err, sizeof err), ENG_ERR_INVALID_ARG);
	assert_non_null(strstr(err, "a VRAM budget of"));
	assert_non_null(strstr(err, "below the minimum of 210.3 MiB"));
	in.fast_budget++;
	make_ok(&in, &p);
	assert_int_equal(p.min_fast, fixed + 200 * MiB);
	eng_plan_free(&p);

	/* The KV cache alone is over the budget; no label; a tiny buffer. */
	in.fast_name = NULL;
	in.fast_budget = fixed - 1;
	assert_int_equal(eng_plan_make(&in, &p, err, sizeof err), ENG_ERR_INVALID_ARG);
	assert_non_null(strstr(err, "fast memory budget"));
	char small[8];
	assert_int_equal(eng_plan_make(&in, &p, small, sizeof small), ENG_ERR_INVALID_ARG);
	assert_int_equal(strlen(small), sizeof small - 1);
	assert_int_equal(eng_plan_make(&in, &p, NULL, 0), ENG_ERR_INVALID_ARG);
}

static void test_between(void **state)
{
	uint64_t layers[10];
	for (int i = 0; i < 10; i++)
		layers[i] = 100;
	struct eng_plan_in in = cpu_in(10, layers, 100, 10, 10 + 2 * 100 + 350);
	struct eng_plan p;
	make_ok(&in, &p);
	for (int i = 0; i < 10; i++)
		assert_int_equal(p.layer_tier[i], i < 3 ? ENG_TIER_FAST : ENG_TIER_FILE);
	assert_int_equal(p.out_tier, ENG_TIER_FILE);
	assert_int_equal(p.n_streamed, 8);
	assert_int_equal(p.fast_used, 10 + 300 + 200);
	eng_plan_free(&p);

	/* Every budget from the minimum to "all fits": resident layers are a
	 * prefix, their number never falls as the budget grows. */
	int last = -1;
	for (uint64_t b = 210; b <= 10 + 1100; b += 7) {
		in.fast_budget = b;
		make_ok(&in, &p);
		int k = 0;
		while (k < 10 && p.layer_tier[k] == ENG_TIER_FAST)
			k++;
		for (int i = k; i < 10; i++)
			assert_int_equal(p.layer_tier[i], ENG_TIER_FILE);
		int resident = k + (p.out_tier == ENG_TIER_FAST);
		assert_true(resident >= last);
		last = resident;
		eng_plan_free(&p);
	}
	/* One byte short of everything: all but one item resident. */
	in.fast_budget = 10 + 1100 - 1;
	make_ok(&in, &p);
	assert_int_equal(p.n_streamed, 3);   /* 1099 - 10 - 200 = 889: 8 resident */
	eng_plan_free(&p);
}

static void test_output_head(void **state)
{
	uint64_t layers[4] = { 100, 100, 100, 100 };
	/* A tied head (the embedding) larger than a layer: its own item, kept
	 * resident at the minimum so the slots are one layer. */
	struct eng_plan_in in = cpu_in(4, layers, 300, 20, 20 + 300 + 2 * 100);
	struct eng_plan p;
	make_ok(&in, &p);
	assert_int_equal(p.min_fast, 20 + 300 + 200);
	assert_int_equal(p.out_tier, ENG_TIER_FAST);
	assert_int_equal(p.tier_bytes[ENG_TIER_FAST], 300);
	assert_int_equal(p.slot_bytes, 100);
	assert_int_equal(p.n_streamed, 4);
	eng_plan_free(&p);

	char err[256];
	in.fast_budget--;
	assert_int_equal(eng_plan_make(&in, &p, err, sizeof err), ENG_ERR_INVALID_ARG);
	assert_non_null(strstr(err, "the 1 largest item kept 300 B"));

	/* Everything resident counts the head. */
	in.fast_budget = 20 + 700;
	make_ok(&in, &p);
	assert_int_equal(p.n_streamed, 0);
	assert_int_equal(p.fast_used, 720);
	eng_plan_free(&p);

	/* A small head is placed like a layer, last in pass order: first fit
	 * skips the layers that do not fit and takes the head. */
	in.out_bytes = 60;
	in.fast_budget = 20 + 200 + 160;   /* all would need 20 + 460 */
	make_ok(&in, &p);
	assert_int_equal(p.tier_bytes[ENG_TIER_FAST], 160);   /* layer 0 and the head */
	assert_int_equal(p.layer_tier[0], ENG_TIER_FAST);
	for (int i = 1; i < 4; i++)
		assert_int_equal(p.layer_tier[i], ENG_TIER_FILE);
	assert_int_equal(p.out_tier, ENG_TIER_FAST);
	assert_int_equal(p.slot_bytes, 100);
	eng_plan_free(&p);
	in.fast_budget = 20 + 200;
	make_ok(&in, &p);
	assert_int_equal(p.out_tier, ENG_TIER_FILE);
	assert_int_equal(p.tier_bytes[ENG_TIER_FILE], 460);
	eng_plan_free(&p);
}

static void test_cuda_host_tier(void **state)
{
	uint64_t layers[10];
	for (int i = 0; i < 10; i++)
		layers[i] = 100;
	struct eng_plan_in in = cpu_in(10, layers, 100, 50, 50 + 2 * 100 + 200);
	in.has_host_tier = 1;
	in.fast_name = "VRAM";
	in.host_budget = 2 * 100 + 400;
	struct eng_plan p;
	make_ok(&in, &p);
	for (int i = 0; i < 10; i++)
		assert_int_equal(p.layer_tier[i], i < 2 ? ENG_TIER_FAST : i < 6 ? ENG_TIER_HOST : ENG_TIER_FILE);
	assert_int_equal(p.out_tier, ENG_TIER_FILE);
	assert_int_equal(p.tier_bytes[ENG_TIER_FAST], 200);
	assert_int_equal(p.tier_bytes[ENG_TIER_HOST], 400);
	assert_int_equal(p.tier_bytes[ENG_TIER_FILE], 500);
	assert_int_equal(p.slot_bytes, 100);
	assert_int_equal(p.host_slot_bytes, 100);
	assert_int_equal(p.host_used, 600);
	assert_int_equal(p.min_host, 200);
	assert_int_equal(p.fast_used, 450);
	assert_int_equal(p.n_streamed, 9);
	eng_plan_free(&p);

	/* Only the host staging: everything streamed comes from the file. */
	in.host_budget = 200;
	make_ok(&in, &p);
	assert_int_equal(p.tier_bytes[ENG_TIER_HOST], 0);
	assert_int_equal(p.tier_bytes[ENG_TIER_FILE], 900);
	assert_int_equal(p.host_used, 200);
	eng_plan_free(&p);

	/* Below it. */
	char err[256];
	in.host_budget = 199;
	assert_int_equal(eng_plan_make(&in, &p, err, sizeof err), ENG_ERR_INVALID_ARG);
	assert_non_null(strstr(err, "a RAM budget of 199 B is below the minimum of 200 B"));

	/* Unlimited RAM: no file reads, no host staging. */
	in.host_budget = ENG_BUDGET_UNLIMITED;
	make_ok(&in, &p);
	assert_int_equal(p.tier_bytes[ENG_TIER_HOST], 900);
	assert_int_equal(p.tier_bytes[ENG_TIER_FILE], 0);
	assert_int_equal(p.host_slot_bytes, 0);
	assert_int_equal(p.host_used, 900);
	eng_plan_free(&p);

	/* Everything in VRAM: the host budget does not matter, even 0. */
	in.fast_budget = 50 + 1100;
	in.host_budget = 0;
	make_ok(&in, &p);
	assert_int_equal(p.n_streamed, 0);
	assert_int_equal(p.host_used, 0);
	assert_int_equal(p.min_host, 0);
	eng_plan_free(&p);
}

static void test_unlimited(void **state)
{
	uint64_t layers[3] = { 1ull << 40, 1ull << 40, 1ull << 40 };
	struct eng_plan_in in = cpu_in(3, layers, 1ull << 39, 1ull << 30, ENG_BUDGET_UNLIMITED);
	in.has_host_tier = 1;
	struct eng_plan p;
	make_ok(&in, &p);
	assert_int_equal(p.n_streamed, 0);
	assert_int_equal(p.fast_used, (1ull << 30) + 3 * (1ull << 40) + (1ull << 39));
	assert_int_equal(p.host_used, 0);
	eng_plan_free(&p);

	/* Sizes that would overflow: saturate, never wrap. */
	uint64_t huge[3] = { UINT64_MAX, UINT64_MAX / 2, 7 };
	in = cpu_in(3, huge, UINT64_MAX, UINT64_MAX - 1, ENG_BUDGET_UNLIMITED);
	char err[256];
	assert_int_equal(eng_plan_make(&in, &p, err, sizeof err), ENG_OK);
	assert_int_equal(p.n_streamed, 0);
	assert_int_equal(p.fast_used, UINT64_MAX);
	assert_int_equal(p.tier_bytes[ENG_TIER_FAST], UINT64_MAX);
	eng_plan_free(&p);
	in.fast_budget = UINT64_MAX - 1;
	in.n_slots = 1000;
	assert_int_equal(eng_plan_make(&in, &p, err, sizeof err), ENG_ERR_INVALID_ARG);
	assert_non_null(strstr(err, "below the minimum"));
	in.has_host_tier = 1;
	in.fast_budget = ENG_BUDGET_UNLIMITED;
	in.host_budget = 5;
	assert_int_equal(eng_plan_make(&in, &p, err, sizeof err), ENG_OK);   /* nothing streams */
	eng_plan_free(&p);
}

static void test_no_layers(void **state)
{
	struct eng_plan_in in = cpu_in(0, NULL, 100, 10, 110);
	struct eng_plan p;
	make_ok(&in, &p);
	assert_null(p.layer_tier);
	assert_int_equal(p.out_tier, ENG_TIER_FAST);
	assert_int_equal(p.fast_used, 110);
	eng_plan_free(&p);

	in.fast_budget = 109;
	char err[256];
	assert_int_equal(eng_plan_make(&in, &p, err, sizeof err), ENG_ERR_INVALID_ARG);
	assert_non_null(strstr(err, "all weights 100 B"));

	in.out_bytes = 0;
	in.fast_budget = 10;
	make_ok(&in, &p);
	assert_int_equal(p.min_fast, 10);
	assert_int_equal(p.fast_used, 10);
	eng_plan_free(&p);

	/* Zero-byte layers cost nothing and are always resident. */
	uint64_t layers[5] = { 0, 100, 0, 100, 0 };
	in = cpu_in(5, layers, 100, 0, 200);
	make_ok(&in, &p);
	assert_int_equal(p.layer_tier[0], ENG_TIER_FAST);
	assert_int_equal(p.layer_tier[2], ENG_TIER_FAST);
	assert_int_equal(p.layer_tier[4], ENG_TIER_FAST);
	assert_int_equal(p.n_streamed, 3);
	eng_plan_free(&p);
	uint64_t zeros[3] = { 0, 0, 0 };
	in = cpu_in(3, zeros, 0, 0, 0);
	make_ok(&in, &p);
	assert_int_equal(p.n_streamed, 0);
	assert_int_equal(p.min_fast, 0);
	eng_plan_free(&p);
}

static void test_bad_args(void **state)
{
	uint64_t layers[2] = { 1, 2 };
	struct eng_plan_in in = cpu_in(2, layers, 1, 0, 100);
	struct eng_plan p;
	char err[256];
	assert_int_equal(eng_plan_make(NULL, &p, err, sizeof err), ENG_ERR_INVALID_ARG);
	assert_int_equal(eng_plan_make(&in, NULL, err, sizeof err), ENG_ERR_INVALID_ARG);
	in.n_slots = 0;
	assert_int_equal(eng_plan_make(&in, &p, err, sizeof err), ENG_ERR_INVALID_ARG);
	in.n_slots = 2;
	in.n_layer = -1;
	assert_int_equal(eng_plan_make(&in, &p, err, sizeof err), ENG_ERR_INVALID_ARG);
	in.n_layer = 2;
	in.layer_bytes = NULL;
	assert_int_equal(eng_plan_make(&in, &p, err, sizeof err), ENG_ERR_INVALID_ARG);
	in.layer_bytes = layers;
	in.n_slots = 1;
	make_ok(&in, &p);
	eng_plan_free(&p);
}

/* The smallest budget of any plan, over every resident set. */
static uint64_t brute_min(const struct eng_plan_in *in)
{
	int n = in->n_layer + 1;
	uint64_t best = UINT64_MAX;
	for (unsigned mask = 0; mask < (1u << n); mask++) {
		uint64_t res = 0, mx = 0;
		for (int i = 0; i < n; i++) {
			if (mask & (1u << i))
				res += item_size(in, i);
			else if (item_size(in, i) > mx)
				mx = item_size(in, i);
		}
		uint64_t need = in->fixed_fast + res + (uint64_t)in->n_slots * mx;
		if (need < best)
			best = need;
	}
	return best;
}

static void test_uneven(void **state)
{
	uint64_t layers[5] = { 100, 300, 100, 200, 100 };
	struct eng_plan_in in = cpu_in(5, layers, 50, 0, 600);
	struct eng_plan p;
	make_ok(&in, &p);
	assert_int_equal(p.min_fast, 600);
	assert_int_equal(brute_min(&in), 600);
	assert_int_equal(p.n_streamed, 6);
	assert_int_equal(p.slot_bytes, 300);
	eng_plan_free(&p);

	/* 700: keeping the 300 and 200 layers lets the slots be 100. */
	in.fast_budget = 700;
	make_ok(&in, &p);
	assert_int_equal(p.layer_tier[1], ENG_TIER_FAST);
	assert_int_equal(p.layer_tier[3], ENG_TIER_FAST);
	assert_int_equal(p.tier_bytes[ENG_TIER_FAST], 500);
	assert_int_equal(p.slot_bytes, 100);
	assert_int_equal(p.fast_used, 700);
	eng_plan_free(&p);

	/* Every budget: slot_bytes is the largest streamed item (check_plan). */
	for (uint64_t b = 600; b <= 900; b++) {
		in.fast_budget = b;
		make_ok(&in, &p);
		eng_plan_free(&p);
	}

	/* Random small cases, with and without a host tier: a valid plan
	 * exactly when the budget reaches the brute-force minimum. */
	srand(12345);
	for (int iter = 0; iter < 3000; iter++) {
		uint64_t ls[7];
		int nl = rand() % 7;
		for (int i = 0; i < nl; i++)
			ls[i] = (uint64_t)(rand() % 5) * 50;
		in = cpu_in(nl, ls, (uint64_t)(rand() % 6) * 40, (uint64_t)(rand() % 3) * 10, 0);
		in.n_slots = 1 + rand() % 3;
		uint64_t mn = brute_min(&in);
		in.fast_budget = mn + (uint64_t)(rand() % 400);
		in.has_host_tier = rand() % 2;
		in.host_budget = rand() % 4 ? (uint64_t)(rand() % 1200) : ENG_BUDGET_UNLIMITED;
		char err[256];
		enum eng_err e = eng_plan_make(&in, &p, err, sizeof err);
		if (e == ENG_OK) {
			check_plan(&in, &p);
			assert_int_equal(p.min_fast, mn);
			eng_plan_free(&p);
		} else {
			/* Only the host budget may refuse. */
			assert_true(in.has_host_tier);
			assert_non_null(strstr(err, "a RAM budget of"));
		}
		if (mn > 0) {
			in.fast_budget = mn - 1;
			assert_int_equal(eng_plan_make(&in, &p, err, sizeof err), ENG_ERR_INVALID_ARG);
			assert_non_null(strstr(err, "below the minimum"));
		}
	}
}

/* ---- sizes and costs ---- */

static void test_size_parse(void **state)
{
	static const struct {
		const char *s;
		uint64_t want;
	} ok[] = {
		{ "2G", 2ull << 30 }, { "512M", 512ull << 20 }, { "1.5g", 3ull << 29 },
		{ "4096", 4096 }, { "100K", 102400 }, { "2GiB", 2ull << 30 }, { "2GB", 2ull << 30 },
		{ "2gib", 2ull << 30 }, { "1T", 1ull << 40 }, { " 3 MiB ", 3ull << 20 },
		{ "0", 0 }, { "0.5K", 512 }, { ".25M", 1ull << 18 }, { "12B", 12 }, { "1.0", 1 },
		{ "0.1K", 102 }, { "18446744073709551615", UINT64_MAX },
		{ "16777215T", 16777215ull << 40 }, { "1.000000000000000000001K", 1024 },
	};
	static const char *const bad[] = {
		"", " ", "-1", "12Q", "1e400", "99999999999T", "18446744073709551616",
		"16777216T", "1.5", "G", ".", "1.", "+1", "1 2", "1GG", "1KiBs", "inf", "nan",
		"0x10", "1,5G", "2 G B x",
	};
	uint64_t v;
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		v = 0xdead;
		if (eng_size_parse(ok[i].s, &v) != 0)
			fail_msg("\"%s\" refused", ok[i].s);
		if (v != ok[i].want)
			fail_msg("\"%s\" = %llu, want %llu", ok[i].s, (unsigned long long)v,
				 (unsigned long long)ok[i].want);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		v = 0xdead;
		if (eng_size_parse(bad[i], &v) != -1)
			fail_msg("\"%s\" accepted (%llu)", bad[i], (unsigned long long)v);
		assert_int_equal(v, 0xdead);
	}
	assert_int_equal(eng_size_parse(NULL, &v), -1);
	assert_int_equal(eng_size_parse("1", NULL), -1);
}

static void test_bytes_human(void **state)
{
	static const struct {
		uint64_t b;
		const char *want;
	} cases[] = {
		{ 4ull << 30, "4.00 GiB" }, { 512ull << 20, "512.0 MiB" }, { 10240, "10.0 KiB" },
		{ 12, "12 B" }, { 0, "0 B" }, { 1023, "1023 B" }, { 1024, "1.0 KiB" },
		{ (1ull << 20) - 1, "1.0 MiB" }, { (1ull << 30) - 1, "1.00 GiB" },
		{ 210 * (1ull << 20) + 300 * 1024, "210.3 MiB" }, { 3ull << 39, "1.50 TiB" },
		{ UINT64_MAX, "16.00 EiB" },
	};
	char buf[32];
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		eng_bytes_human(buf, sizeof buf, cases[i].b);
		assert_string_equal(buf, cases[i].want);
	}
	char tiny[4];
	eng_bytes_human(tiny, sizeof tiny, 4ull << 30);
	assert_string_equal(tiny, "4.0");
	eng_bytes_human(NULL, 0, 1);
}

static void test_pass_seconds(void **state)
{
	struct eng_plan p = { 0 };
	p.tier_bytes[ENG_TIER_FAST] = 7000000000ull;
	p.tier_bytes[ENG_TIER_HOST] = 2000000000ull;
	p.tier_bytes[ENG_TIER_FILE] = 1000000000ull;
	assert_float_equal(eng_plan_pass_seconds(&p, 20.0, 2.0), 0.1 + 0.5, 1e-12);
	assert_float_equal(eng_plan_pass_seconds(&p, 0, 2.0), 0.5, 1e-12);
	assert_float_equal(eng_plan_pass_seconds(&p, 20.0, 0), 0.1, 1e-12);
	assert_float_equal(eng_plan_pass_seconds(&p, 0, 0), 0.0, 0);
	assert_float_equal(eng_plan_pass_seconds(&p, -1, -1), 0.0, 0);
	assert_float_equal(eng_plan_pass_seconds(NULL, 1, 1), 0.0, 0);

	/* From a real plan: CPU streams from the file only. */
	uint64_t layers[4] = { 1000000000ull, 1000000000ull, 1000000000ull, 1000000000ull };
	struct eng_plan_in in = cpu_in(4, layers, 0, 0, 3000000000ull);
	struct eng_plan q;
	make_ok(&in, &q);
	assert_int_equal(q.tier_bytes[ENG_TIER_FILE], 3000000000ull);
	assert_float_equal(eng_plan_pass_seconds(&q, 25.0, 3.0), 1.0, 1e-12);
	eng_plan_free(&q);
}

static void test_measure_read(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/test_engine_tiers.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t n = 3 * MiB + 12345;
	char *buf = malloc(n);
	assert_non_null(buf);
	memset(buf, 0x5a, n);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	free(buf);
	close(fd);

	assert_true(eng_measure_read_gbps(path, 0, 0) > 0);
	assert_true(eng_measure_read_gbps(path, MiB, 0) > 0);
	assert_true(eng_measure_read_gbps(path, 100 * MiB, 1) > 0);
	unlink(path);
	assert_true(eng_measure_read_gbps(path, 0, 0) < 0);
	assert_true(eng_measure_read_gbps("/nonexistent/briefing/model.gguf", MiB, 0) < 0);
	assert_true(eng_measure_read_gbps(NULL, MiB, 0) < 0);

	/* An empty file measures nothing. */
	snprintf(path, sizeof path, "%s/test_engine_tiers.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_true(eng_measure_read_gbps(path, 0, 0) < 0);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_everything_fits),
		cmocka_unit_test(test_minimum_budget),
		cmocka_unit_test(test_below_minimum),
		cmocka_unit_test(test_between),
		cmocka_unit_test(test_output_head),
		cmocka_unit_test(test_cuda_host_tier),
		cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_no_layers),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_uneven),
		cmocka_unit_test(test_size_parse),
		cmocka_unit_test(test_bytes_human),
		cmocka_unit_test(test_pass_seconds),
		cmocka_unit_test(test_measure_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
