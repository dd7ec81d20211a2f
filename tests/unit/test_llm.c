/* test_llm.c — the llm interface: the extractive backend on realistic
 * multi-source data, the JSON reader (with hostile input), the engine
 * backend end to end with a real GGUF file from the corpus (its weight-pass
 * statistics and its process-wide model cache too), the size parser of
 * the engine settings, and the openai
 * backend against a loopback server (tests/integration/openai_server.py)
 * speaking the streaming protocol. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "llm/llm.h"
#include "llm/llm_int.h"

static char corpus[1024];

/* Three feeds reporting one story, in the record format of brief/prompt.c. */
static const char *STORY_DATA =
	"Source 1\n"
	"Feed: Chip Wire\n"
	"Title: Micron to build $24 billion memory fab in Singapore.\n"
	"Link: https://chipwire.example/micron-fab\n"
	"Published: 2026-02-19T08:10:00Z\n"
	"Text: Micron Technology said on Thursday it will spend $24 billion over ten years on a new "
	"NAND fab in Singapore, its largest investment outside the U.S. so far. The plant is "
	"expected to employ 1,200 people when output starts in 2028. Dr. Lee, who runs the "
	"project, said the first phase covers 700,000 square feet.\n"
	"\n"
	"Source 2\n"
	"Feed: Asia Tech Daily\n"
	"Title: Micron commits $24B to Singapore NAND expansion\n"
	"Link: https://atd.example/micron\n"
	"Published: 2026-02-19T09:00:00Z\n"
	"Text: Micron Technology said on Thursday it will spend $24 billion over ten years on a "
	"new NAND fab in Singapore. Analysts at Morgan Stanley called it a bet on AI storage "
	"demand. Shares rose 3.5% in early trading.\n"
	"\n"
	"Source 3\n"
	"Feed: Policy Brief\n"
	"Title: Singapore lands Micron megaproject\n"
	"Link: https://policy.example/sg\n"
	"Published: 2026-02-19T10:30:00Z\n"
	"Text: Singapore's Economic Development Board welcomed the decision, citing 1,200 new jobs. "
	"The board did not disclose incentives ...\n";

static const char *ENTRIES_DATA =
	"Story 1\n"
	"Section: Geopolitics & Chips\n"
	"Headline: Micron to build $24 billion memory fab in Singapore\n"
	"Text: Micron Technology will spend $24 billion on a NAND fab in Singapore. Nvidia is a "
	"major buyer of its memory.\n"
	"Sources: 3\n"
	"Feeds: Chip Wire, Asia Tech Daily, Policy Brief\n"
	"\n"
	"Story 2\n"
	"Section: Foundation Models\n"
	"Headline: Nvidia ships a new inference server\n"
	"Text: The new Nvidia system targets long-context models, and Micron supplies its HBM.\n"
	"Sources: 2\n"
	"Feeds: Model Watch, Chip Wire\n"
	"\n"
	"Story 3\n"
	"Section: Open Source & Hardware\n"
	"Headline: RISC-V board reaches mass production\n"
	"Text: A RISC-V single-board computer is now shipping in volume.\n"
	"Sources: 1\n"
	"Feeds: Open Source Weekly\n";

/* Every number and capitalised word of out must occur in in. */
static void assert_grounded(const char *out, const char *in, size_t skip_first_lines)
{
	const char *p = out;
	for (size_t l = 0; l < skip_first_lines && p; l++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	while (p && *p) {
		while (*p && !isalnum((unsigned char)*p))
			p++;
		const char *a = p;
		while (*p && (isalnum((unsigned char)*p) ||
			      ((*p == ',' || *p == '.') && isdigit((unsigned char)p[1]) && a < p &&
			       isdigit((unsigned char)p[-1]))))
			p++;
		if (p == a)
			break;
		int has_digit = 0;
		for (const char *q = a; q < p; q++)
			if (isdigit((unsigned char)*q))
				has_digit = 1;
		if (!has_digit && !isupper((unsigned char)*a))
			continue;
		char tok[128];
		size_t n = (size_t)(p - a) < sizeof tok - 1 ? (size_t)(p - a) : sizeof tok - 1;
		memcpy(tok, a, n);
		tok[n] = 0;
		if (!strstr(in, tok)) {
			fprintf(stderr, "invented token '%s' in:\n%s\n", tok, out);
			fail();
		}
	}
}

static struct llm *open_backend(const char *name)
{
	struct llm_config cfg = { .backend = name };
	struct llm *l = NULL;
	char *err = NULL;
	assert_int_equal(llm_open(&cfg, &l, &err), LLM_OK);
	assert_null(err);
	return l;
}

static void test_open_errors(void **st)
{
	(void)st;
	struct llm *l = (struct llm *)1;
	char *err = NULL;
	struct llm_config c1 = { .backend = "gpt9" };
	assert_int_equal(llm_open(&c1, &l, &err), LLM_ERR_CONFIG);
	assert_null(l);
	assert_non_null(strstr(err, "backend 'gpt9' unknown: choose engine, openai or extractive"));
	free(err);
	struct llm_config c2 = { .backend = "openai" };
	assert_int_equal(llm_open(&c2, &l, &err), LLM_ERR_CONFIG);
	assert_non_null(strstr(err, "needs a base URL"));
	free(err);
	struct llm_config c3 = { .backend = "engine" };
	assert_int_equal(llm_open(&c3, &l, &err), LLM_ERR_CONFIG);
	assert_non_null(strstr(err, "needs a model file"));
	free(err);
	struct llm_config c4 = { .backend = "engine", .model_path = "/nonexistent/model.gguf" };
	assert_int_equal(llm_open(&c4, &l, &err), LLM_ERR_MODEL);
	assert_non_null(strstr(err, "/nonexistent/model.gguf"));
	free(err);
	struct llm_config c5 = { .backend = "openai", .base_url = "http://127.0.0.1:9/v1",
				 .api_key_env = "BRIEFING_TEST_NO_SUCH_KEY_VAR" };
	unsetenv("BRIEFING_TEST_NO_SUCH_KEY_VAR");
	assert_int_equal(llm_open(&c5, &l, &err), LLM_ERR_CONFIG);
	assert_non_null(strstr(err, "BRIEFING_TEST_NO_SUCH_KEY_VAR"));
	free(err);
	for (int e = LLM_OK; e <= LLM_ERR_GENERATE; e++)
		assert_true(strlen(llm_strerror(e)) > 3);
}

static char *run_one(struct llm *l, enum llm_task task, const char *data)
{
	struct llm_request q = { .task = task, .data = data, .temperature = -1 };
	struct llm_response r;
	assert_int_equal(llm_complete(l, &q, 1, &r, NULL, NULL, NULL), LLM_OK);
	assert_int_equal(r.err, LLM_OK);
	assert_non_null(r.text);
	char *t = r.text;
	r.text = NULL;
	llm_response_clear(&r);
	return t;
}

static void test_extractive_story(void **st)
{
	(void)st;
	struct llm *l = open_backend("extractive");
	assert_string_equal(llm_backend(l), "extractive");
	assert_string_equal(llm_model_name(l), "extractive");
	char *a = run_one(l, LLM_TASK_STORY, STORY_DATA);
	char *b = run_one(l, LLM_TASK_STORY, STORY_DATA);
	assert_string_equal(a, b);                      /* deterministic */
	/* headline: the lead source's title without its trailing period */
	assert_true(!strncmp(a, "Micron to build $24 billion memory fab in Singapore\n", 52));
	const char *para = strchr(a, '\n') + 1;
	/* the lead sentence, whole: "U.S." and "1,200" do not split it */
	assert_true(!strncmp(para, "Micron Technology said on Thursday it will spend $24 billion over "
			     "ten years on a new NAND fab in Singapore, its largest investment "
			     "outside the U.S. so far.", 140));
	/* source 2's lead is a near-duplicate of source 1's: left out */
	assert_null(strstr(para, "new NAND fab in Singapore. Micron"));
	const char *dup = strstr(para, "spend $24 billion");
	assert_null(strstr(dup + 1, "spend $24 billion"));
	/* source 3's lead is there; its cut-off second sentence ("...") is not */
	assert_non_null(strstr(para, "Economic Development Board welcomed the decision"));
	assert_null(strstr(para, "..."));
	assert_null(strstr(para, "incentives"));
	assert_true(strlen(para) <= 700);
	assert_null(strchr(para, '\n'));
	assert_grounded(a, STORY_DATA, 0);
	free(a);
	free(b);

	/* abbreviations and initials: one sentence, not four */
	const char *d2 = "Source 1\nTitle: Fab news\nText: Dr. J. Smith of Acme Inc. told the U.K. "
			 "regulator on Feb. 3 that 2.5 million units shipped. Then a second "
			 "sentence follows here in full.\n";
	char *c = run_one(l, LLM_TASK_STORY, d2);
	assert_string_equal(c, "Fab news\nDr. J. Smith of Acme Inc. told the U.K. regulator on Feb. 3 "
			    "that 2.5 million units shipped. Then a second sentence follows here in full.");
	assert_grounded(c, d2, 0);
	free(c);

	/* no usable text: titles; no data at all: still an entry */
	char *e = run_one(l, LLM_TASK_STORY, "Source 1\nTitle: Only a title\nText: \n");
	assert_string_equal(e, "Only a title\nOnly a title.");
	free(e);
	char *f = run_one(l, LLM_TASK_STORY, "");
	assert_non_null(strchr(f, '\n'));
	free(f);
	llm_close(l);
}

static void test_extractive_assessment(void **st)
{
	(void)st;
	struct llm *l = open_backend("extractive");
	char *a = run_one(l, LLM_TASK_ASSESSMENT, ENTRIES_DATA);
	char *a2 = run_one(l, LLM_TASK_ASSESSMENT, ENTRIES_DATA);
	assert_string_equal(a, a2);
	/* labelled on its first line */
	assert_true(!strncmp(a, "Assembled without a language model", 34));
	/* what most sources cover, and the names that recur */
	assert_non_null(strstr(a, "Geopolitics & Chips (one story, three sources)"));
	assert_non_null(strstr(a, "\"Micron to build $24 billion memory fab in Singapore\", carried by "
			       "three sources (Chip Wire, Asia Tech Daily, Policy Brief)"));
	assert_non_null(strstr(a, "Micron (two stories)"));
	assert_non_null(strstr(a, "Nvidia (two stories)"));
	assert_null(strstr(a, "RISC-V (")); /* one story only */
	const char *bl = strstr(a, "\n\nBottom line: ");
	assert_non_null(bl);
	assert_null(strstr(bl + 2, "\n"));  /* the last paragraph */
	/* beyond its labels, every name and number comes from the entries */
	char both[4096];
	snprintf(both, sizeof both, "%s The Where No Next Every Bottom Names There", ENTRIES_DATA);
	assert_grounded(strstr(a, "\n\n") + 2, both, 0);
	free(a);
	free(a2);

	char *t = run_one(l, LLM_TASK_TAGLINE, ENTRIES_DATA);
	assert_string_equal(t, "Micron to build $24 billion memory fab in Singapore · Nvidia ships a "
			    "new inference server · RISC-V board reaches mass production");
	free(t);

	char *empty = run_one(l, LLM_TASK_ASSESSMENT, "");
	assert_non_null(strstr(empty, "Bottom line:"));
	free(empty);

	/* a free-form request needs a model */
	struct llm_request q = { .task = LLM_TASK_FREE };
	struct llm_response r;
	assert_int_equal(llm_complete(l, &q, 1, &r, NULL, NULL, NULL), LLM_OK);
	assert_int_equal(r.err, LLM_ERR_CONFIG);
	assert_null(r.text);
	assert_non_null(r.error);
	llm_response_clear(&r);
	llm_close(l);
}

/* ---- JSON reader ---------------------------------------------------------------- */

static void test_json(void **st)
{
	(void)st;
	const char *doc = "{\"choices\":[{\"delta\":{\"content\":\"a\\\"b\\n\\u00e9\\ud83c\\udf10\\/\"},"
			  "\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":12,\"x\":[1,-2.5e3,true,false]}}";
	struct json *j = json_parse(doc, strlen(doc));
	assert_non_null(j);
	const char *c = json_str(json_get(json_get(json_at(json_get(j, "choices"), 0), "delta"), "content"));
	assert_string_equal(c, "a\"b\n\xc3\xa9\xf0\x9f\x8c\x90/");
	assert_int_equal(json_get(json_at(json_get(j, "choices"), 0), "finish_reason")->type, JSON_NULL);
	const struct json *u = json_get(j, "usage");
	assert_true(json_get(u, "prompt_tokens")->num == 12);
	assert_true(json_at(json_get(u, "x"), 1)->num == -2500);
	assert_null(json_at(json_get(u, "x"), 4));
	assert_null(json_get(u, "nope"));
	assert_null(json_str(json_get(u, "prompt_tokens")));
	json_free(j);

	/* lone surrogates and \u0000 become U+FFFD; invalid raw UTF-8 too */
	const char *s2 = "[\"\\ud800x\\udc00\\u0000\xff\"]";
	j = json_parse(s2, strlen(s2));
	assert_non_null(j);
	assert_string_equal(json_str(json_at(j, 0)),
			    "\xef\xbf\xbdx\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	json_free(j);

	static const char *const bad[] = {
		"", "{", "[1,", "{\"a\" 1}", "{\"a\":}", "\"abc", "\"\\u12\"", "\"\\x\"", "01x",
		"[1] [2]", "tru", "-", "1.", "1e", "{\"a\":1,}", "\"a\nb\"", "nul", "[\"\\ud800\\u",
		"{1:2}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		j = json_parse(bad[i], strlen(bad[i]));
		if (j)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		assert_null(j);
	}
	/* deep nesting is refused, not a stack overflow */
	char deep[20001];
	memset(deep, '[', 10000);
	memset(deep + 10000, ']', 10000);
	deep[20000] = 0;
	assert_null(json_parse(deep, 20000));
	/* bounded by n: no read past the given length */
	char *cut = strndup("{\"a\":\"bcdef\"}", 13);
	assert_null(json_parse(cut, 8));
	free(cut);
	/* random bytes never crash */
	unsigned seed = 12345;
	char buf[64];
	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t)(round % 63) + 1;
		for (size_t k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			static const char alphabet[] = "{}[]\",:\\u0123456789abcdeftrnl -.eE\xff\xc3";
			buf[k] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		json_free(json_parse(buf, n));
	}
}

/* ---- engine backend ------------------------------------------------------------------ */

static void cancel_cb(void *ctx, size_t index, const char *piece, size_t tokens_total)
{
	(void)index;
	(void)piece;
	if (tokens_total >= 3)
		*(volatile int *)ctx = 1;
}

/* Records the ends the progress callback reports (piece NULL). */
struct ends_rec {
	int ended[8];         /* times each request's end was reported */
	int after[8];         /* pieces reported after that end */
	int order[16];
	int n;
};

static void ends_rec_cb(void *ctx, size_t index, const char *piece, size_t tokens_total)
{
	struct ends_rec *e = ctx;
	(void)tokens_total;
	if (index >= 8) {
		e->n = 99;
		return;
	}
	if (piece) {
		e->after[index] += e->ended[index] > 0;
		return;
	}
	e->ended[index]++;
	if (e->n < 16)
		e->order[e->n] = (int)index;
	e->n++;
}

static void engine_case(const char *file)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/%s", corpus, file);
	if (access(path, R_OK)) {
		fprintf(stderr, "missing %s\n", path);
		fail();
	}
	struct llm_config cfg = { .backend = "engine", .model_path = path, .threads = 2, .n_ctx = 256 };
	struct llm *l = NULL;
	char *err = NULL;
	assert_int_equal(llm_open(&cfg, &l, &err), LLM_OK);
	assert_string_equal(llm_backend(l), "engine");
	assert_string_equal(llm_model_name(l), file);
	assert_int_equal(strlen(llm_model_hash(l)), 16);

	enum { N = 4 };
	static const char *const users[N] = {
		"Once upon a time", "The little dog", "Lily wanted to", "One day, a big",
	};
	struct llm_msg msgs[N][2];
	struct llm_request reqs[N];
	for (int i = 0; i < N; i++) {
		msgs[i][0] = (struct llm_msg){ "system", "Tell a story." };
		msgs[i][1] = (struct llm_msg){ "user", users[i] };
		reqs[i] = (struct llm_request){ .task = LLM_TASK_STORY, .msgs = msgs[i], .n_msgs = 2,
			.max_tokens = 24, .temperature = 0 };
	}
	struct llm_response batch[N], one[N];
	assert_int_equal(llm_complete(l, reqs, N, batch, NULL, NULL, NULL), LLM_OK);
	for (int i = 0; i < N; i++) {
		assert_int_equal(batch[i].err, LLM_OK);
		assert_non_null(batch[i].text);
		assert_true(batch[i].prompt_tokens > 3);
		assert_true(batch[i].completion_tokens > 0 && batch[i].completion_tokens <= 24);
		assert_true(batch[i].seconds >= 0);
		assert_int_equal(llm_complete(l, &reqs[i], 1, &one[i], NULL, NULL, NULL), LLM_OK);
		assert_int_equal(one[i].err, LLM_OK);
		/* greedy: the batch gives what one request at a time gives */
		assert_string_equal(batch[i].text, one[i].text);
		assert_int_equal(batch[i].completion_tokens, one[i].completion_tokens);
		assert_int_equal(batch[i].prompt_tokens, one[i].prompt_tokens);
	}
	/* different prompts, different stories */
	assert_string_not_equal(batch[0].text, batch[1].text);

	/* one batch, different limits: each request stops at its own, and the
	 * short one is the start of the long one (greedy) */
	struct llm_request mix[2] = { reqs[0], reqs[0] };
	mix[1].max_tokens = 5;
	struct llm_response mr[2];
	struct ends_rec er = { 0 };
	assert_int_equal(llm_complete(l, mix, 2, mr, ends_rec_cb, &er, NULL), LLM_OK);
	/* each request's end is reported once, when it ends: the short one first */
	assert_int_equal(er.n, 2);
	assert_int_equal(er.ended[0], 1);
	assert_int_equal(er.ended[1], 1);
	assert_int_equal(er.order[0], 1);
	assert_int_equal(er.after[0] + er.after[1], 0);
	assert_int_equal(mr[0].completion_tokens, batch[0].completion_tokens);
	assert_true(mr[1].completion_tokens > 0 && mr[1].completion_tokens <= 5);
	assert_true(strlen(mr[1].text) < strlen(mr[0].text));
	assert_memory_equal(mr[1].text, mr[0].text, strlen(mr[1].text));
	llm_response_clear(&mr[0]);
	llm_response_clear(&mr[1]);
	for (int i = 0; i < N; i++) {
		llm_response_clear(&batch[i]);
		llm_response_clear(&one[i]);
	}

	/* requests with different settings (system, temperature, seed) share
	 * one batch: each gets what it gets alone, in fewer passes than apart */
	{
		struct llm_msg sm[2] = { { "system", "Be brief." }, { "user", users[2] } };
		struct llm_request diff[3] = { reqs[0], reqs[1], { .task = LLM_TASK_STORY, .msgs = sm,
			.n_msgs = 2, .max_tokens = 24, .temperature = 0 } };
		diff[1].temperature = 0.9f;
		diff[1].seed = 5;
		struct llm_response dr[3], d1;
		struct llm_stats ls;
		uint64_t apart = 0;
		assert_int_equal(llm_complete(l, diff, 3, dr, NULL, NULL, NULL), LLM_OK);
		assert_int_equal(llm_stats(l, LLM_STATS_LAST, &ls), LLM_OK);
		uint64_t together = ls.passes;
		for (int i = 0; i < 3; i++) {
			assert_int_equal(llm_complete(l, &diff[i], 1, &d1, NULL, NULL, NULL), LLM_OK);
			assert_int_equal(dr[i].err, LLM_OK);
			assert_string_equal(dr[i].text, d1.text);
			assert_int_equal(llm_stats(l, LLM_STATS_LAST, &ls), LLM_OK);
			apart += ls.passes;
			llm_response_clear(&d1);
			llm_response_clear(&dr[i]);
		}
		assert_true(together < apart);
	}

	/* a prompt too long for the context fails alone */
	char *big = malloc(20000);
	for (int k = 0; k < 19990; k += 10)
		memcpy(big + k, "the cat s ", 10);
	big[19990] = 0;
	struct llm_msg bm[2] = { { "system", "x" }, { "user", big } };
	struct llm_request two[2] = { reqs[0], { .msgs = bm, .n_msgs = 2, .max_tokens = 24 } };
	struct llm_response tr[2];
	memset(&er, 0, sizeof er);
	assert_int_equal(llm_complete(l, two, 2, tr, ends_rec_cb, &er, NULL), LLM_OK);
	/* the request that never started still ends, once */
	assert_int_equal(er.n, 2);
	assert_int_equal(er.ended[0], 1);
	assert_int_equal(er.ended[1], 1);
	assert_int_equal(tr[0].err, LLM_OK);
	assert_int_equal(tr[1].err, LLM_ERR_CONTEXT);
	assert_null(tr[1].text);
	llm_response_clear(&tr[0]);
	llm_response_clear(&tr[1]);
	free(big);

	/* cancel while generating: every request says so, and so does the call */
	volatile int stop = 0;
	assert_int_equal(llm_complete(l, reqs, N, batch, cancel_cb, (void *)&stop, &stop),
			 LLM_ERR_CANCELLED);
	for (int i = 0; i < N; i++) {
		assert_int_equal(batch[i].err, LLM_ERR_CANCELLED);
		assert_null(batch[i].text);
		llm_response_clear(&batch[i]);
	}

	/* cancel before the start */
	volatile int cancel = 1;
	assert_int_equal(llm_complete(l, reqs, 1, tr, NULL, NULL, &cancel), LLM_ERR_CANCELLED);
	assert_int_equal(tr[0].err, LLM_ERR_CANCELLED);
	llm_response_clear(&tr[0]);
	llm_close(l);
}

/* Four short greedy stories from the model at path (one llm_complete),
 * texts into out[4] (caller frees), the call's statistics into *ls. */
static void four_stories(struct llm *l, char **out, struct llm_stats *ls)
{
	static const char *const users[4] = {
		"Once upon a time", "The little dog", "Lily wanted to", "One day, a big",
	};
	struct llm_msg msgs[4][2];
	struct llm_request reqs[4];
	struct llm_response res[4];
	for (int i = 0; i < 4; i++) {
		msgs[i][0] = (struct llm_msg){ "system", "Tell a story." };
		msgs[i][1] = (struct llm_msg){ "user", users[i] };
		reqs[i] = (struct llm_request){ .task = LLM_TASK_STORY, .msgs = msgs[i], .n_msgs = 2,
			.max_tokens = 16, .temperature = 0 };
	}
	assert_int_equal(llm_complete(l, reqs, 4, res, NULL, NULL, NULL), LLM_OK);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(res[i].err, LLM_OK);
		out[i] = res[i].text;
		res[i].text = NULL;
		llm_response_clear(&res[i]);
	}
	assert_int_equal(llm_stats(l, LLM_STATS_LAST, ls), LLM_OK);
}

static struct llm *engine_open(const char *path)
{
	struct llm_config cfg = { .backend = "engine", .model_path = path, .threads = 2, .n_ctx = 256 };
	struct llm *l = NULL;
	char *err = NULL;
	if (llm_open(&cfg, &l, &err) != LLM_OK) {
		fprintf(stderr, "%s\n", err);
		fail();
	}
	return l;
}

static void free4(char **t)
{
	for (int i = 0; i < 4; i++)
		free(t[i]);
}

/* What the passes cost, per call and per handle; packed prompts share a
 * pass (BRIEFING_ENGINE_NO_PACK=1 feeds them one a pass, same text). */
static void test_engine_stats(void **st)
{
	(void)st;
	char path[1200];
	snprintf(path, sizeof path, "%s/stories260K.gguf", corpus);
	struct llm *l = engine_open(path);
	struct llm_stats ls, tot;
	char *a[4], *b[4];

	assert_int_equal(llm_stats(l, LLM_STATS_TOTAL, &tot), LLM_OK);
	assert_true(tot.passes == 0 && tot.tokens == 0 && !*tot.device);
	unsetenv("BRIEFING_ENGINE_NO_PACK");
	four_stories(l, a, &ls);
	assert_true(ls.passes > 1);
	assert_true(ls.prefill_tokens > 4 * 3);
	assert_true(ls.tokens > ls.prefill_tokens);
	/* every pass after the prompts' carries one token per live story */
	assert_true(ls.tokens - ls.prefill_tokens <= 4 * 16);
	assert_true(ls.tokens - ls.prefill_tokens >= ls.passes - 1);
	assert_true(ls.prefill_seconds >= 0 && ls.decode_seconds > 0);
	assert_true(ls.wait_seconds == 0 && ls.bytes_streamed == 0);   /* all resident on the CPU */
	assert_string_equal(ls.device, "cpu");
	assert_int_equal(llm_stats(l, LLM_STATS_TOTAL, &tot), LLM_OK);
	assert_true(tot.passes == ls.passes && tot.tokens == ls.tokens);

	setenv("BRIEFING_ENGINE_NO_PACK", "1", 1);
	struct llm_stats ls2;
	four_stories(l, b, &ls2);
	unsetenv("BRIEFING_ENGINE_NO_PACK");
	for (int i = 0; i < 4; i++)
		assert_string_equal(a[i], b[i]);
	/* the same tokens; the four short prompts took one pass packed, four alone */
	assert_true(ls2.tokens == ls.tokens && ls2.prefill_tokens == ls.prefill_tokens);
	assert_true(ls2.passes == ls.passes + 3);
	/* the handle's total is the sum of its calls */
	assert_int_equal(llm_stats(l, LLM_STATS_TOTAL, &tot), LLM_OK);
	assert_true(tot.passes == ls.passes + ls2.passes);
	assert_true(tot.tokens == ls.tokens + ls2.tokens);
	assert_true(tot.prefill_tokens == 2 * ls.prefill_tokens);
	free4(a);
	free4(b);

	assert_int_equal(llm_stats(NULL, LLM_STATS_LAST, &ls), LLM_ERR_CONFIG);
	assert_int_equal(llm_stats(l, (enum llm_stats_scope)7, &ls), LLM_ERR_CONFIG);
	llm_close(l);

	/* no passes for the other backends */
	l = open_backend("extractive");
	char *t = run_one(l, LLM_TASK_STORY, STORY_DATA);
	free(t);
	assert_int_equal(llm_stats(l, LLM_STATS_LAST, &ls), LLM_OK);
	assert_true(ls.passes == 0 && ls.tokens == 0 && ls.decode_seconds == 0 && !*ls.device);
	assert_int_equal(llm_stats(l, LLM_STATS_TOTAL, &ls), LLM_OK);
	assert_true(ls.passes == 0 && !*ls.device);
	llm_close(l);
}

/* The model is loaded once per process: open/close twice loads it once,
 * with the same replies; a second handle open at the same time shares it;
 * a file changed on disk is loaded again. */
static void test_engine_cache(void **st)
{
	(void)st;
	char path[1200], copy[1300];
	snprintf(path, sizeof path, "%s/stories260K.gguf", corpus);
	llm_cache_clear();
	unsigned long n0 = llm_engine_loads();
	struct llm_stats s1, s2, t1, t2;
	char *a[4], *b[4], *c[4];

	struct llm *l = engine_open(path);
	assert_int_equal(llm_engine_loads(), n0 + 1);
	four_stories(l, a, &s1);
	assert_int_equal(llm_stats(l, LLM_STATS_TOTAL, &t1), LLM_OK);
	char hash[65];
	snprintf(hash, sizeof hash, "%s", llm_model_hash(l));
	llm_close(l);

	l = engine_open(path);                 /* the cached model, its context kept */
	assert_int_equal(llm_engine_loads(), n0 + 1);
	assert_string_equal(llm_model_hash(l), hash);
	assert_string_equal(llm_model_name(l), "stories260K.gguf");
	assert_int_equal(llm_stats(l, LLM_STATS_TOTAL, &t2), LLM_OK);
	assert_true(t2.passes == 0);           /* a new handle starts at zero */
	four_stories(l, b, &s2);
	for (int i = 0; i < 4; i++)
		assert_string_equal(a[i], b[i]);
	assert_int_equal(llm_stats(l, LLM_STATS_TOTAL, &t2), LLM_OK);
	assert_true(t2.passes == t1.passes && t2.tokens == t1.tokens);

	/* two handles at once: one model, two contexts, the same replies */
	struct llm *l2 = engine_open(path);
	assert_int_equal(llm_engine_loads(), n0 + 1);
	four_stories(l2, c, &s2);
	for (int i = 0; i < 4; i++)
		assert_string_equal(a[i], c[i]);
	free4(c);
	llm_close(l2);
	free4(b);
	llm_close(l);

	/* other settings: the model is shared, the context is not */
	struct llm_config cfg = { .backend = "engine", .model_path = path, .threads = 1,
				  .n_ctx = 256, .device = "cpu", .ram_budget = 1u << 30 };
	char *err = NULL;
	assert_int_equal(llm_open(&cfg, &l, &err), LLM_OK);
	four_stories(l, b, &s2);
	for (int i = 0; i < 4; i++)
		assert_string_equal(a[i], b[i]);
	free4(b);
	llm_close(l);
	assert_int_equal(llm_engine_loads(), n0 + 1);

	/* a copy of the file, then the copy rewritten: loaded again */
	const char *td = getenv("TMPDIR");
	snprintf(copy, sizeof copy, "%s/briefing-llm-cache-%d.gguf", td && *td ? td : "/tmp",
		 (int)getpid());
	{
		FILE *in = fopen(path, "rb"), *out = fopen(copy, "wb");
		assert_non_null(in);
		assert_non_null(out);
		char buf[65536];
		size_t k;
		while ((k = fread(buf, 1, sizeof buf, in)) > 0)
			assert_int_equal(fwrite(buf, 1, k, out), k);
		fclose(in);
		assert_int_equal(fclose(out), 0);
	}
	l = engine_open(copy);
	assert_int_equal(llm_engine_loads(), n0 + 2);
	l2 = engine_open(copy);
	assert_int_equal(llm_engine_loads(), n0 + 2);
	llm_close(l2);
	/* a new modification time: the file may hold other weights now */
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, copy, ts, 0), 0);
	l2 = engine_open(copy);                /* l still holds the old one */
	assert_int_equal(llm_engine_loads(), n0 + 3);
	four_stories(l2, b, &s2);
	for (int i = 0; i < 4; i++)
		assert_string_equal(a[i], b[i]);
	free4(b);
	four_stories(l, b, &s2);               /* the old one still works */
	free4(b);
	llm_close(l);
	llm_close(l2);
	l = engine_open(copy);
	assert_int_equal(llm_engine_loads(), n0 + 3);
	llm_close(l);
	unlink(copy);
	free4(a);
	llm_cache_clear();
	l = engine_open(path);                 /* cleared: loaded again */
	assert_int_equal(llm_engine_loads(), n0 + 4);
	llm_close(l);
	llm_cache_clear();
}

/* The reader generates in a worker thread: handles opened, used and
 * closed in several threads at once share one load and agree. */
struct cache_job {
	const char *path;
	char *text[4];
};

static void *cache_thread(void *arg)
{
	struct cache_job *j = arg;
	for (int round = 0; round < 2; round++) {
		struct llm_config cfg = { .backend = "engine", .model_path = j->path, .threads = 1,
					  .n_ctx = 256 };
		struct llm *l = NULL;
		char *err = NULL;
		struct llm_stats ls;
		if (llm_open(&cfg, &l, &err) != LLM_OK)
			return "open";
		if (round)
			free4(j->text);
		four_stories(l, j->text, &ls);
		llm_close(l);
	}
	return NULL;
}

static void test_engine_cache_threads(void **st)
{
	(void)st;
	char path[1200];
	snprintf(path, sizeof path, "%s/stories260K.gguf", corpus);
	llm_cache_clear();
	unsigned long n0 = llm_engine_loads();
	struct cache_job jobs[3];
	pthread_t th[3];
	for (int i = 0; i < 3; i++) {
		jobs[i].path = path;
		assert_int_equal(pthread_create(&th[i], NULL, cache_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		void *rv = (void *)1;
		assert_int_equal(pthread_join(th[i], &rv), 0);
		assert_null(rv);
	}
	assert_int_equal(llm_engine_loads(), n0 + 1);
	for (int i = 1; i < 3; i++)
		for (int k = 0; k < 4; k++)
			assert_string_equal(jobs[0].text[k], jobs[i].text[k]);
	for (int i = 0; i < 3; i++)
		free4(jobs[i].text);
	llm_cache_clear();
}

/* [llm] device / vram_budget / ram_budget: the sizes the config may hold,
 * a device the engine does not know, and one it cannot use here. */
static void test_engine_settings(void **st)
{
	(void)st;
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "22G", 22ull << 30 }, { "512M", 512ull << 20 }, { "512m", 512ull << 20 },
		{ "1.5g", 3ull << 29 }, { "4096", 4096 }, { "100K", 102400 }, { "2GiB", 2ull << 30 },
		{ "2GB", 2ull << 30 }, { " 2 GiB ", 2ull << 30 }, { "1T", 1ull << 40 },
		{ "12B", 12 }, { "0.5K", 512 }, { "0", 0 },
	};
	static const char *const bad[] = {
		"", " ", "G", "-1G", "22X", "1.5", "1.G", "2 G B x", "22G extra", "99999999999T",
		"18446744073709551616", "1e9", "0x10", NULL,
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		uint64_t v = 7;
		if (llm_size_parse(ok[i].s, &v) || v != ok[i].v) {
			fprintf(stderr, "'%s' -> %llu\n", ok[i].s, (unsigned long long)v);
			fail();
		}
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t v = 7;
		if (!llm_size_parse(bad[i], &v) || v != 7) {
			fprintf(stderr, "'%s' accepted\n", bad[i] ? bad[i] : "(null)");
			fail();
		}
	}
	assert_int_equal(llm_device_check("auto"), 0);
	assert_int_equal(llm_device_check("cpu"), 0);
	assert_int_equal(llm_device_check("cuda"), 0);
	assert_int_equal(llm_device_check("gpu"), -1);
	assert_int_equal(llm_device_check(NULL), -1);

	char path[1200];
	snprintf(path, sizeof path, "%s/stories260K.gguf", corpus);
	struct llm_config cfg = { .backend = "engine", .model_path = path, .threads = 2,
				  .n_ctx = 256, .device = "tpu" };
	struct llm *l = (struct llm *)1;
	char *err = NULL;
	assert_int_equal(llm_open(&cfg, &l, &err), LLM_ERR_CONFIG);
	assert_null(l);
	assert_non_null(strstr(err, "device 'tpu' unknown: choose auto, cpu or cuda"));
	free(err);

	/* cuda: the engine's own reason when this build or machine has none */
	cfg.device = "cuda";
	assert_int_equal(llm_open(&cfg, &l, &err), LLM_OK);
	struct llm_msg m[2] = { { "system", "Tell a story." }, { "user", "Once" } };
	struct llm_request q = { .msgs = m, .n_msgs = 2, .max_tokens = 4, .temperature = 0 };
	struct llm_response r;
	int rc = llm_complete(l, &q, 1, &r, NULL, NULL, NULL);
	struct llm_stats ls;
	llm_stats(l, LLM_STATS_LAST, &ls);
	if (rc == LLM_OK) {
		assert_int_equal(r.err, LLM_OK);     /* a CUDA build on a GPU machine */
		assert_string_equal(ls.device, "cuda");
	} else {
		assert_int_equal(rc, LLM_ERR_CONFIG);
		assert_int_equal(r.err, LLM_ERR_CONFIG);
		assert_true(strstr(r.error, "no usable GPU") || strstr(r.error, "no CUDA backend"));
		assert_true(ls.passes == 0 && !*ls.device);
	}
	llm_response_clear(&r);
	llm_close(l);
	llm_cache_clear();
}

static void test_engine_stories(void **st)
{
	(void)st;
	engine_case("stories260K.gguf");
}

static void test_engine_qwen2(void **st)
{
	(void)st;
	engine_case("micro-qwen2-q8_0.gguf");  /* qwen2 architecture, 4 sequences */
}

/* ---- openai backend ---------------------------------------------------------------------- */

static pid_t server_pid;
static char server_url[128];
static char tmpdir[256];

static int server_up(void **st)
{
	(void)st;
	const char *td = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/briefing-llm-test-XXXXXX", td && *td ? td : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	char pf[512];
	snprintf(pf, sizeof pf, "%s/port", tmpdir);
	server_pid = fork();
	if (server_pid < 0)
		return -1;
	if (server_pid == 0) {
		execlp("python3", "python3", "tests/integration/openai_server.py", "--port-file", pf,
		       (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {        /* up to 10 s */
		FILE *f = fopen(pf, "r");
		if (f) {
			int port = 0;
			if (fscanf(f, "%d", &port) == 1 && port > 0) {
				fclose(f);
				snprintf(server_url, sizeof server_url, "http://127.0.0.1:%d/v1/", port);
				return 0;
			}
			fclose(f);
		}
		usleep(100000);
	}
	return -1;
}

static int server_down(void **st)
{
	(void)st;
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	char pf[512];
	snprintf(pf, sizeof pf, "%s/port", tmpdir);
	unlink(pf);
	rmdir(tmpdir);
	return 0;
}

static struct llm *oa_open(const char *model, long timeout, int parallel, const char *keyvar)
{
	struct llm_config cfg = { .backend = "openai", .base_url = server_url, .model = model,
				  .timeout = timeout, .parallel = parallel, .api_key_env = keyvar };
	struct llm *l = NULL;
	char *err = NULL;
	if (llm_open(&cfg, &l, &err) != LLM_OK) {
		fprintf(stderr, "%s\n", err);
		fail();
	}
	return l;
}

static size_t progress_calls;
static void progress(void *ctx, size_t index, const char *piece, size_t total)
{
	(void)ctx;
	(void)index;
	(void)piece;
	(void)total;
	progress_calls++;
}

static void oa_one(const char *model, const char *user, long timeout, const char *keyvar,
		   struct llm_response *r)
{
	struct llm *l = oa_open(model, timeout, 0, keyvar);
	struct llm_msg m[2] = { { "system", "Be brief." }, { "user", user } };
	struct llm_request q = { .task = LLM_TASK_STORY, .msgs = m, .n_msgs = 2, .max_tokens = 50,
				 .temperature = 0.2f, .seed = 3 };
	assert_int_equal(llm_complete(l, &q, 1, r, progress, NULL, NULL), LLM_OK);
	assert_string_equal(llm_backend(l), "openai");
	llm_close(l);
}

static void test_openai_stream(void **st)
{
	(void)st;
	struct llm_response r;
	progress_calls = 0;
	/* quotes, newlines, non-ASCII and control bytes survive the JSON both ways */
	oa_one("normal", "Chips \"and\" \xc3\xa9\nmore\ttabs", 10, NULL, &r);
	assert_int_equal(r.err, LLM_OK);
	assert_string_equal(r.text, "Echo: Chips \"and\" \xc3\xa9\nmore\ttabs");
	assert_true(progress_calls >= 3);
	assert_int_equal(r.prompt_tokens, -1);            /* not sent by this server mode */
	assert_true(r.completion_tokens > 0);
	llm_response_clear(&r);

	oa_one("usage", "hello", 10, NULL, &r);
	assert_int_equal(r.err, LLM_OK);
	assert_string_equal(r.text, "Echo: hello");
	assert_int_equal(r.prompt_tokens, 17);
	assert_int_equal(r.completion_tokens, 2);
	llm_response_clear(&r);

	oa_one("plain", "hi", 10, NULL, &r);
	assert_int_equal(r.err, LLM_OK);
	assert_string_equal(r.text, "Echo: hi");
	assert_int_equal(r.prompt_tokens, 5);
	llm_response_clear(&r);

	oa_one("hostile", "x", 10, NULL, &r);
	assert_int_equal(r.err, LLM_OK);
	/* not sanitised here (the writer does that), but a NUL-free C string */
	assert_non_null(strstr(r.text, "\x07\x1b[31m"));
	assert_true(strlen(r.text) > 5000);
	assert_non_null(strstr(r.text, "\xf0\x9f\x8c\x90"));
	assert_non_null(strstr(r.text, "a\xef\xbf\xbd" "b"));
	llm_response_clear(&r);
}

static void test_openai_errors(void **st)
{
	(void)st;
	struct llm_response r;
	oa_one("err500", "x", 10, NULL, &r);
	assert_int_equal(r.err, LLM_ERR_HTTP);
	assert_null(r.text);
	assert_non_null(strstr(r.error, "HTTP 500"));
	assert_non_null(strstr(r.error, "model exploded"));
	llm_response_clear(&r);

	unsetenv("BRIEFING_TEST_KEY");
	setenv("BRIEFING_TEST_KEY", "wrong", 1);
	oa_one("auth", "x", 10, "BRIEFING_TEST_KEY", &r);
	assert_int_equal(r.err, LLM_ERR_HTTP);
	assert_non_null(strstr(r.error, "HTTP 401"));
	assert_non_null(strstr(r.error, "invalid API key"));
	llm_response_clear(&r);
	setenv("BRIEFING_TEST_KEY", "sekrit", 1);
	oa_one("auth", "key ok", 10, "BRIEFING_TEST_KEY", &r);
	assert_int_equal(r.err, LLM_OK);
	assert_string_equal(r.text, "Echo: key ok");
	llm_response_clear(&r);

	oa_one("drop", "a long enough message to need several chunks", 10, NULL, &r);
	assert_int_equal(r.err, LLM_ERR_CONNECT);
	assert_null(r.text);                                /* partial text discarded */
	assert_non_null(strstr(r.error, "dropped"));
	llm_response_clear(&r);

	oa_one("malformed", "x", 10, NULL, &r);
	assert_int_equal(r.err, LLM_ERR_PROTOCOL);
	assert_null(r.text);
	llm_response_clear(&r);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	oa_one("slow", "x", 1, NULL, &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(r.err, LLM_ERR_TIMEOUT);
	assert_null(r.text);
	double dt = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(dt >= 0.9 && dt < 5);
	llm_response_clear(&r);

	/* nobody listening: a port the server just had, now closed, is unlikely;
	 * port 9 (discard) on loopback is closed on test machines */
	struct llm_config cfg = { .backend = "openai", .base_url = "http://127.0.0.1:9/v1", .timeout = 5 };
	struct llm *l = NULL;
	char *err = NULL;
	assert_int_equal(llm_open(&cfg, &l, &err), LLM_OK);
	struct llm_msg m = { "user", "x" };
	struct llm_request q = { .msgs = &m, .n_msgs = 1 };
	assert_int_equal(llm_complete(l, &q, 1, &r, NULL, NULL, NULL), LLM_OK);
	assert_int_equal(r.err, LLM_ERR_CONNECT);
	assert_non_null(strstr(r.error, "cannot connect"));
	llm_response_clear(&r);
	llm_close(l);
}

static void test_openai_parallel(void **st)
{
	(void)st;
	enum { N = 6 };
	struct llm *l = oa_open("parallel", 10, 3, NULL);
	struct llm_msg m = { "user", "x" };
	struct llm_request q[N];
	struct llm_response r[N];
	for (int i = 0; i < N; i++)
		q[i] = (struct llm_request){ .msgs = &m, .n_msgs = 1 };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(llm_complete(l, q, N, r, NULL, NULL, NULL), LLM_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double dt = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	int maxseen = 0;
	for (int i = 0; i < N; i++) {
		assert_int_equal(r[i].err, LLM_OK);
		int k = 0;
		assert_int_equal(sscanf(r[i].text, "inflight=%d", &k), 1);
		if (k > maxseen)
			maxseen = k;
		llm_response_clear(&r[i]);
	}
	/* three at a time, never more: two waves of 0.4 s, not six */
	assert_int_equal(maxseen, 3);
	assert_true(dt < 2.0);
	llm_close(l);
}

int main(void)
{
	const char *sh = getenv("BRIEFING_SHARED");
	snprintf(corpus, sizeof corpus, "%s/corpus/engine", sh && *sh ? sh : "../shared");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_extractive_story),
		cmocka_unit_test(test_extractive_assessment),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_engine_stories),
		cmocka_unit_test(test_engine_qwen2),
		cmocka_unit_test(test_engine_stats),
		cmocka_unit_test(test_engine_cache),
		cmocka_unit_test(test_engine_cache_threads),
		cmocka_unit_test(test_engine_settings),
	};
	const struct CMUnitTest net[] = {
		cmocka_unit_test(test_openai_stream),
		cmocka_unit_test(test_openai_errors),
		cmocka_unit_test(test_openai_parallel),
	};
	int rc = cmocka_run_group_tests_name("llm", tests, NULL, NULL);
	rc += cmocka_run_group_tests_name("llm_openai", net, server_up, server_down);
	return rc;
}
