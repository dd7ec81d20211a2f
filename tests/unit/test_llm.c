/* test_llm.c — the llm interface: the extractive backend on realistic
 * multi-source data, the JSON reader (with hostile input), the engine
 * backend end to end with a real GGUF file from the corpus, and the openai
 * backend against a loopback server (tests/integration/openai_server.py)
 * speaking the streaming protocol. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
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
	assert_int_equal(llm_complete(l, mix, 2, mr, NULL, NULL, NULL), LLM_OK);
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

	/* a prompt too long for the context fails alone */
	char *big = malloc(20000);
	for (int k = 0; k < 19990; k += 10)
		memcpy(big + k, "the cat s ", 10);
	big[19990] = 0;
	struct llm_msg bm[2] = { { "system", "x" }, { "user", big } };
	struct llm_request two[2] = { reqs[0], { .msgs = bm, .n_msgs = 2, .max_tokens = 24 } };
	struct llm_response tr[2];
	assert_int_equal(llm_complete(l, two, 2, tr, NULL, NULL, NULL), LLM_OK);
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
