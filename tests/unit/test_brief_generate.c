/* test_brief_generate — brief_generate end to end on a real database file
 * with the extractive backend: a stored briefing with provenance, the
 * window, dry run, the lock, cancellation and a failing backend (nothing
 * stored), the check flagging an entry, rendering what was stored; and
 * with the engine backend and the corpus's tiny model: the weight passes
 * in the provenance, and the engine's reason when its device is unusable. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brief/brief_write.h"
#include "util/util.h"

#define NOW 1771700400   /* 2026-02-21T19:00:00Z */

struct fx {
	char dir[256];
	char path[512];
	struct store *st;
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

static void add_item(struct store *st, int64_t feed, const char *guid, const char *title,
		     const char *summary, int64_t published)
{
	struct store_item it = { .feed_id = feed, .guid = (char *)guid, .title = (char *)title,
				 .summary = (char *)summary, .published = published,
				 .fetched = published };
	char *url = util_strfmt("https://example.com/%s", guid);
	it.url = url;
	assert_int_equal(store_item_upsert(st, &it, NULL, NULL), STORE_OK);
	free(url);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	int64_t a, b;
	assert_non_null(f);
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof f->dir, "%s/test_brief_generate.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/b.db", f->dir);
	assert_int_equal(store_open(f->path, &f->st, NULL), STORE_OK);
	assert_int_equal(store_feed_add(f->st, "https://chipwire.example/feed", "Chip Wire", NULL,
					NULL, &a), STORE_OK);
	assert_int_equal(store_feed_add(f->st, "https://policy.example/feed", "Policy Desk", NULL,
					NULL, &b), STORE_OK);
	add_item(f->st, a, "cxmt", "CXMT sells DDR4 memory chips at half the market rate",
		 "Chinese chipmaker CXMT is selling DDR4 memory chips at about half the market "
		 "rate, undercutting Samsung and SK Hynix on semiconductor prices.", NOW - 3600);
	add_item(f->st, b, "cxmt2", "CXMT undercuts Samsung with half-price DDR4 memory chips",
		 "Memory chipmaker CXMT offers DDR4 chips at half the market rate; Samsung and "
		 "SK Hynix face semiconductor price pressure.", NOW - 7200);
	add_item(f->st, b, "export", "US widens chip export controls on China",
		 "The Commerce Department added 12 Chinese companies to the entity list, widening "
		 "semiconductor export controls on chip equipment.", NOW - 5400);
	add_item(f->st, a, "old", "Old chip export controls story",
		 "An older semiconductor export controls story about sanctions.", NOW - 86400 * 3);
	add_item(f->st, a, "cooking", "A recipe for bread", "Flour, water and salt.", NOW - 600);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct brief_opts opts(void)
{
	struct brief_opts o = { 0 };
	o.edition = "evening";
	o.now = NOW;
	o.llm.backend = "extractive";
	return o;
}

static int count_rows(struct fx *f)
{
	struct store_briefing *l = NULL;
	size_t n = 0;
	assert_int_equal(store_briefing_list(f->st, 0, &l, &n), STORE_OK);
	store_briefings_free(l, n);
	return (int)n;
}

struct seen {
	int write, store;
	size_t total;
};

static void on_progress(void *ctx, const struct brief_progress *p)
{
	struct seen *s = ctx;
	if (!strcmp(p->stage, "write")) {
		s->write = 1;
		s->total = p->total;
	}
	if (!strcmp(p->stage, "store"))
		s->store = 1;
}

static void test_generate_and_render(void **state)
{
	struct fx *f = *state;
	struct brief_opts o = opts();
	struct seen seen = { 0 };
	int64_t id = 0;
	char *plan = NULL, *err = NULL, *md = NULL;

	int rc = brief_generate(f->st, &o, on_progress, &seen, &id, &plan, &err);
	if (rc)
		fail_msg("brief_generate: %s", err ? err : "?");
	assert_true(id > 0);
	assert_true(seen.write && seen.store);
	/* the two CXMT items are one story; the export-controls item another;
	 * the old one is outside the 12 h window, the recipe off-topic */
	assert_int_equal(seen.total, 2);
	assert_non_null(strstr(plan, "2 stories"));
	assert_null(strstr(plan, "bread"));
	assert_null(strstr(plan, "Old chip"));

	struct store_briefing b;
	assert_int_equal(store_briefing_get(f->st, id, &b), STORE_OK);
	assert_string_equal(b.edition, "evening");
	assert_string_equal(b.edition_date, "2026.02.21 \xe2\x80\x94 Evening (7:00 PM)");
	assert_string_equal(b.backend, "extractive");
	assert_int_equal(b.window_start, NOW - 12 * 3600);
	assert_int_equal(b.window_end, NOW + 1);   /* [start, end): this second is in */
	assert_non_null(strstr(b.prompt_hashes, "story="));
	assert_int_equal(b.n_stories, 2);
	size_t srcs = b.stories[0].n_src + b.stories[1].n_src;
	assert_int_equal(srcs, 3);
	for (size_t i = 0; i < b.n_stories; i++) {
		assert_false(util_str_empty(b.stories[i].headline));
		assert_false(util_str_empty(b.stories[i].body));
		assert_string_equal(b.stories[i].section, "Geopolitics & Chips");
	}
	assert_false(util_str_empty(b.assessment));
	/* no model, no weight passes */
	assert_int_equal(b.passes, 0);
	assert_int_equal(b.pass_tokens, 0);
	assert_true(b.seconds_prefill == 0 && b.seconds_decode == 0);
	assert_null(b.device);
	store_briefing_clear(&b);

	char *js = NULL;
	assert_int_equal(brief_render(f->st, 0, BRIEF_FMT_JSON, &js, &err), BRIEF_OK);
	assert_non_null(strstr(js, "\"passes\": 0, \"pass_tokens\": 0"));
	assert_non_null(strstr(js, "\"device\": null"));
	assert_non_null(strstr(js, "\"prefill\": 0.000, \"decode\": 0.000"));
	free(js);

	assert_int_equal(brief_render(f->st, 0, BRIEF_FMT_MD, &md, &err), BRIEF_OK);
	assert_non_null(strstr(md, "## \xf0\x9f\x8c\x90 Geopolitics & Chips"));
	assert_non_null(strstr(md, "CXMT"));
	free(md);
	free(plan);

	/* the next run starts where this one ended: nothing new */
	o.now = NOW + 60;
	assert_int_equal(brief_generate(f->st, &o, NULL, NULL, &id, NULL, &err), BRIEF_ERR_EMPTY);
	assert_non_null(err);
	free(err);
	assert_int_equal(count_rows(f), 1);
}

static void test_dry_run_and_since(void **state)
{
	struct fx *f = *state;
	struct brief_opts o = opts();
	int64_t id = 5;
	char *plan = NULL, *err = NULL;

	o.dry_run = 1;
	o.since = NOW - 86400 * 7;
	assert_int_equal(brief_generate(f->st, &o, NULL, NULL, &id, &plan, &err), BRIEF_OK);
	assert_int_equal(id, 0);
	assert_non_null(strstr(plan, "https://example.com/old"));
	assert_non_null(strstr(plan, "https://example.com/cxmt"));
	free(plan);
	assert_int_equal(count_rows(f), 0);
}

static void test_lock(void **state)
{
	struct fx *f = *state;
	struct brief_opts o = opts();
	int64_t id;
	char *err = NULL;
	char *lp = util_strfmt("%s.generate.lock", f->path);
	int fd = open(lp, O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(brief_generate(f->st, &o, NULL, NULL, &id, NULL, &err), BRIEF_ERR_LOCKED);
	assert_non_null(strstr(err, "another"));
	free(err);
	assert_int_equal(count_rows(f), 0);
	close(fd);
	assert_int_equal(brief_generate(f->st, &o, NULL, NULL, &id, NULL, &err), BRIEF_OK);
	assert_int_equal(count_rows(f), 1);
	free(lp);
}

static void test_cancel_and_failures(void **state)
{
	struct fx *f = *state;
	struct brief_opts o = opts();
	volatile int cancel = 1;
	int64_t id;
	char *err = NULL;

	o.cancel = &cancel;
	assert_int_equal(brief_generate(f->st, &o, NULL, NULL, &id, NULL, &err),
			 BRIEF_ERR_CANCELLED);
	free(err);
	o.cancel = NULL;
	o.llm.backend = "engine";
	o.llm.model_path = "/nonexistent/model.gguf";
	/* a model that cannot be opened is a configuration error (exit 3) */
	assert_int_equal(brief_generate(f->st, &o, NULL, NULL, &id, NULL, &err), BRIEF_ERR_CONFIG);
	assert_non_null(err);
	assert_non_null(strstr(err, "/nonexistent/model.gguf"));
	free(err);
	o = opts();
	o.style = "nosuch";
	assert_int_equal(brief_generate(f->st, &o, NULL, NULL, &id, NULL, &err), BRIEF_ERR_CONFIG);
	free(err);
	o = opts();
	o.edition = "noon";
	assert_int_equal(brief_generate(f->st, &o, NULL, NULL, &id, NULL, &err), BRIEF_ERR_ARG);
	free(err);
	assert_int_equal(count_rows(f), 0);
}

static void test_styles(void **state)
{
	struct fx *f = *state;
	const char *styles[] = { "digest", "insights" };
	for (size_t i = 0; i < 2; i++) {
		struct brief_opts o = opts();
		int64_t id;
		char *err = NULL, *out = NULL;
		o.style = styles[i];
		o.since = NOW - 86400 * 7;
		int rc = brief_generate(f->st, &o, NULL, NULL, &id, NULL, &err);
		if (rc)
			fail_msg("%s: %s", styles[i], err ? err : "?");
		for (int fmt = BRIEF_FMT_MD; fmt <= BRIEF_FMT_JSON; fmt++) {
			assert_int_equal(brief_render(f->st, id, (enum brief_format)fmt, &out, &err),
					 BRIEF_OK);
			assert_true(strlen(out) > 100);
			free(out);
		}
	}
	assert_int_equal(count_rows(f), 2);
}

static char model[1200];

/* The engine backend: the briefing's provenance holds its weight passes. */
static void test_engine_passes(void **state)
{
	struct fx *f = *state;
	struct brief_opts o = opts();
	int64_t id = 0;
	char *err = NULL, *js = NULL;

	if (access(model, R_OK))
		fail_msg("missing %s", model);
	o.llm.backend = "engine";
	o.llm.model_path = model;
	o.llm.threads = 2;
	int rc = brief_generate(f->st, &o, NULL, NULL, &id, NULL, &err);
	if (rc)
		fail_msg("brief_generate: %s", err ? err : "?");
	struct store_briefing b;
	assert_int_equal(store_briefing_get(f->st, id, &b), STORE_OK);
	assert_string_equal(b.backend, "engine");
	assert_true(b.passes > 0);
	/* every prompt token and every token decoded after the first went through a pass */
	assert_true(b.prefill_tokens >= b.prompt_tokens && b.prompt_tokens > 0);
	assert_true(b.pass_tokens > b.prefill_tokens);
	assert_true(b.pass_tokens - b.prefill_tokens <= b.completion_tokens);
	assert_true(b.passes <= b.pass_tokens);
	assert_true(b.seconds_decode > 0 && b.seconds_prefill >= 0);
	assert_true(b.seconds_prefill + b.seconds_decode <= b.seconds_total + 0.01);
	assert_int_equal(b.bytes_streamed, 0);
	assert_string_equal(b.device, "cpu");
	char want[64];
	snprintf(want, sizeof want, "\"passes\": %lld, ", (long long)b.passes);
	store_briefing_clear(&b);
	assert_int_equal(brief_render(f->st, id, BRIEF_FMT_JSON, &js, &err), BRIEF_OK);
	assert_non_null(strstr(js, want));
	assert_non_null(strstr(js, "\"device\": \"cpu\""));
	free(js);

	/* a device it cannot use: the engine's reason, nothing stored */
	o.now = NOW + 3600;
	o.since = NOW - 86400;
	o.llm.device = "cuda";
	rc = brief_generate(f->st, &o, NULL, NULL, &id, NULL, &err);
	if (rc == BRIEF_OK) {             /* a CUDA build on a GPU machine */
		assert_int_equal(store_briefing_get(f->st, id, &b), STORE_OK);
		assert_string_equal(b.device, "cuda");
		store_briefing_clear(&b);
		assert_int_equal(count_rows(f), 2);
	} else {
		assert_int_equal(rc, BRIEF_ERR_LLM);
		if (!strstr(err, "no CUDA backend") && !strstr(err, "no usable GPU"))
			fail_msg("unexpected: %s", err);
		free(err);
		assert_int_equal(count_rows(f), 1);
	}
	llm_cache_clear();
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	const char *sh = getenv("BRIEFING_SHARED");
	snprintf(model, sizeof model, "%s/corpus/engine/tiny-llama3-tied-q4_k_m.gguf",
		 sh && *sh ? sh : "../shared");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_generate_and_render, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_and_since, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_and_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_styles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_passes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
