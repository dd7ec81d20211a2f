/* test_engine_tokenizer.c — the tokenizer against llama.cpp's vectors and
 * references, the pre-tokenizers, special tokens, detokenisation, the
 * streaming detokeniser and chat templates.
 *
 * Data-driven from the corpus (BRIEFING_SHARED, default ../shared):
 *   - corpus/tokenizer/ggml-vocab-NAME.gguf with their .inp/.out (llama.cpp's
 *     test-tokenizer-0 vectors: add_special = parse_special = false);
 *   - corpus/engine/RUN.ref.txt prompt_ids (add_special = parse_special = true);
 *   - tests/fixtures/tokenizer/smollm2.{inp,out} (Hugging Face tokenizers'
 *     output for SmolLM2, smollm pre) when the SmolLM2 GGUF is present
 *     (BRIEFING_SMOLLM2, else .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf);
 *     skipped with a message otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/gguf.h"
#include "engine/tokenizer.h"
#include "engine/unicode.h"

static char shared[1024];

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long sz;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)sz + 1);
		if (buf && fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[sz] = 0;
			if (len)
				*len = (size_t)sz;
		}
	}
	fclose(f);
	return buf;
}

/* A GGUF and its tokenizer, kept open for the whole run. */
struct vocab {
	struct eng_gguf *g;
	struct eng_tok *t;
};

static struct vocab open_vocab(const char *path)
{
	struct vocab v = { 0 };
	char err[256] = "";
	enum eng_err e = eng_gguf_open(path, &v.g, err, sizeof err);
	if (e != ENG_OK)
		fail_msg("open %s: %s", path, err);
	e = eng_tok_load(v.g, &v.t, err, sizeof err);
	if (e != ENG_OK)
		fail_msg("tokenizer of %s: %s", path, err);
	return v;
}

static void close_vocab(struct vocab *v)
{
	eng_tok_free(v->t);
	eng_gguf_close(v->g);
}

static struct vocab vocab_named(const char *name)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/corpus/tokenizer/ggml-vocab-%s.gguf", shared, name);
	return open_vocab(path);
}

static int32_t *enc(const struct eng_tok *t, const char *s, size_t len, int add, int parse, int *n)
{
	int32_t *ids = NULL;
	assert_int_equal(eng_tok_encode_alloc(t, s, len, add, parse, &ids, n), ENG_OK);
	assert_non_null(ids);
	return ids;
}

/* ids as " 1 2 3" (the .out format) */
static void fmt_ids(const int32_t *ids, int n, char *out, size_t cap)
{
	size_t k = 0;
	out[0] = 0;
	for (int i = 0; i < n && k + 16 < cap; i++)
		k += (size_t)snprintf(out + k, cap - k, " %d", ids[i]);
}

/* Runs every .inp/.out pair of a vocab; returns the number of inputs. */
static int run_vectors(const struct eng_tok *t, const char *inp_path, const char *out_path)
{
	size_t ni = 0, no = 0;
	char *in = slurp(inp_path, &ni), *out = slurp(out_path, &no);
	if (!in || !out)
		fail_msg("cannot read %s / %s", inp_path, out_path);
	static const char sep[] = "\n__ggml_vocab_test__\n";
	const size_t sl = sizeof sep - 1;
	char *p = in, *o = out;
	int count = 0;
	static char got[65536];
	for (;;) {
		char *q = memmem(p, (size_t)(in + ni - p), sep, sl);
		if (!q)
			break;
		char *eol = strchr(o, '\n');
		assert_non_null(eol);
		*eol = 0;
		/* test-tokenizer-0 strips the line */
		char *exp = o;
		while (*exp == ' ')
			exp++;
		int n;
		int32_t *ids = enc(t, p, (size_t)(q - p), 0, 0, &n);
		fmt_ids(ids, n, got, sizeof got);
		const char *g = got[0] == ' ' ? got + 1 : got;
		if (strcmp(g, exp) != 0)
			fail_msg("input %d [%.*s]\n got: %s\n exp: %s", count, (int)(q - p), p, g, exp);
		free(ids);
		count++;
		p = q + sl;
		o = eol + 1;
	}
	assert_true(p == in + ni); /* nothing after the last separator */
	assert_true(*o == 0);      /* as many output lines as inputs */
	free(in);
	free(out);
	return count;
}

static void check_corpus_vocab(const char *name, const int32_t *chip, int n_chip)
{
	struct vocab v = vocab_named(name);
	char ip[1200], op[1200];
	snprintf(ip, sizeof ip, "%s/corpus/tokenizer/ggml-vocab-%s.gguf.inp", shared, name);
	snprintf(op, sizeof op, "%s/corpus/tokenizer/ggml-vocab-%s.gguf.out", shared, name);
	assert_int_equal(run_vectors(v.t, ip, op), 46);
	int n;
	int32_t *ids = enc(v.t, "The chip war", 12, 1, 1, &n);
	assert_int_equal(n, n_chip);
	assert_memory_equal(ids, chip, (size_t)n * sizeof *ids);
	free(ids);
	close_vocab(&v);
}

static void test_vectors_llama_spm(void **state)
{
	(void)state;
	static const int32_t chip[] = { 1, 450, 29830, 1370 };
	check_corpus_vocab("llama-spm", chip, 4);
}

static void test_vectors_phi3(void **state)
{
	(void)state;
	static const int32_t chip[] = { 1, 450, 29830, 1370 };
	check_corpus_vocab("phi-3", chip, 4);
}

static void test_vectors_gpt2(void **state)
{
	(void)state;
	static const int32_t chip[] = { 464, 11594, 1175 }; /* gpt-2 pre: no BOS */
	check_corpus_vocab("gpt-2", chip, 3);
}

static void test_vectors_llama_bpe(void **state)
{
	(void)state;
	static const int32_t chip[] = { 128000, 791, 16797, 4208 };
	check_corpus_vocab("llama-bpe", chip, 4);
}

/* prompt_ids of every engine reference (BOS added, specials parsed). */
static void test_engine_ref_prompts(void **state)
{
	(void)state;
	char dir[1200], path[1600];
	snprintf(dir, sizeof dir, "%s/corpus/engine", shared);
	snprintf(path, sizeof path, "%s/long_prompt.txt", dir);
	size_t long_len = 0;
	char *long_prompt = slurp(path, &long_len);
	assert_non_null(long_prompt);
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	int checked = 0, long_checked = 0;
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		if (nl < 8 || strcmp(de->d_name + nl - 8, ".ref.txt") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		char *ref = slurp(path, NULL);
		assert_non_null(ref);
		char model[256] = "";
		char *m = strstr(ref, "model: ");
		assert_non_null(m);
		sscanf(m + 7, "%255s", model);
		snprintf(path, sizeof path, "%s/%s", dir, model);
		if (access(path, R_OK) != 0) /* micro-llama-bf16 is not shipped: same vocab */
			snprintf(path, sizeof path, "%s/micro-llama-f32.gguf", dir);
		const char *prompt;
		size_t plen;
		char *pbuf = NULL;
		if (strstr(de->d_name, ".long.")) {
			prompt = long_prompt;
			plen = long_len;
			long_checked++;
		} else {
			char *p = strstr(ref, "prompt: \"");
			assert_non_null(p);
			p += 9;
			char *e = strchr(p, '\n');
			assert_non_null(e);
			assert_true(e[-1] == '"');
			pbuf = strndup(p, (size_t)(e - 1 - p));
			prompt = pbuf;
			plen = strlen(pbuf);
		}
		int32_t exp[2048];
		int ne = 0;
		char *ids = strstr(ref, "prompt_ids:");
		assert_non_null(ids);
		ids += 11;
		while (*ids != '\n' && ne < 2048) {
			char *end;
			long x = strtol(ids, &end, 10);
			if (end == ids)
				break;
			exp[ne++] = (int32_t)x;
			ids = end;
		}
		struct vocab v = open_vocab(path);
		int n;
		int32_t *got = enc(v.t, prompt, plen, 1, 1, &n);
		if (n != ne || memcmp(got, exp, (size_t)n * sizeof *got) != 0)
			fail_msg("%s: prompt ids differ (%d vs %d tokens)", de->d_name, n, ne);
		free(got);
		close_vocab(&v);
		free(pbuf);
		free(ref);
		checked++;
	}
	closedir(d);
	free(long_prompt);
	assert_true(checked >= 30);
	assert_true(long_checked >= 10);
}

static void smollm2_path(char *out, size_t n)
{
	const char *e = getenv("BRIEFING_SMOLLM2");
	snprintf(out, n, "%s", e && *e ? e : ".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf");
}

static void test_smollm2(void **state)
{
	(void)state;
	char path[1024];
	smollm2_path(path, sizeof path);
	if (access(path, R_OK) != 0) {
		print_message("SmolLM2 GGUF not found at %s (set BRIEFING_SMOLLM2): skipped\n", path);
		skip();
	}
	struct vocab v = open_vocab(path);
	assert_string_equal(eng_tok_pre_name(v.t), "smollm");
	assert_int_equal(eng_tok_add_bos(v.t), 0);
	/* the fixture inputs contain ChatML special-token text: parse it, as the
	 * reference did, by encoding with parse_special through run_vectors'
	 * twin below */
	size_t ni = 0, no = 0;
	char *in = slurp("tests/fixtures/tokenizer/smollm2.inp", &ni);
	char *out = slurp("tests/fixtures/tokenizer/smollm2.out", &no);
	assert_non_null(in);
	assert_non_null(out);
	static const char sep[] = "\n__ggml_vocab_test__\n";
	char *p = in, *o = out, *q, *eol;
	int count = 0;
	static char got[65536];
	while ((q = memmem(p, (size_t)(in + ni - p), sep, sizeof sep - 1))) {
		eol = strchr(o, '\n');
		assert_non_null(eol);
		*eol = 0;
		int n;
		int32_t *ids = enc(v.t, p, (size_t)(q - p), 0, 1, &n);
		fmt_ids(ids, n, got, sizeof got);
		if (strcmp(got, o) != 0)
			fail_msg("smollm2 input %d [%.*s]\n got:%s\n exp:%s", count, (int)(q - p), p, got, o);
		/* smollm does not clean up spaces: decoding gives the text back */
		char back[8192];
		size_t bl = eng_tok_decode(v.t, ids, n, 0, 1, back, sizeof back);
		assert_true(bl == (size_t)(q - p) && memcmp(back, p, bl) == 0);
		free(ids);
		count++;
		p = q + sizeof sep - 1;
		o = eol + 1;
	}
	assert_true(count >= 100);
	int32_t im_end = eng_tok_find(v.t, "<|im_end|>", 10);
	assert_true(im_end >= 0);
	assert_true(eng_tok_is_eog(v.t, im_end));
	assert_true(eng_tok_is_eog(v.t, 0)); /* <|endoftext|> */
	assert_int_equal(eng_tok_eot(v.t), im_end);
	free(in);
	free(out);
	close_vocab(&v);
}

/* ---- pre-tokenizers: pieces the regexes define ---- */

static void expect_split(enum eng_pretok k, const char *text, const char *const *pieces)
{
	uint32_t cps[256];
	size_t lens[256];
	size_t n = eng_utf8_decode(text, strlen(text), cps);
	size_t np = eng_pretok_split(k, cps, n, lens);
	size_t at = 0, i;
	for (i = 0; pieces[i]; i++) {
		assert_true(i < np);
		uint32_t want[256];
		size_t wn = eng_utf8_decode(pieces[i], strlen(pieces[i]), want);
		if (lens[i] != wn || memcmp(cps + at, want, wn * sizeof *want) != 0)
			fail_msg("kind %d, '%s': piece %zu is not '%s'", (int)k, text, i, pieces[i]);
		at += lens[i];
	}
	assert_int_equal(np, i);
	assert_int_equal(at, n);
}

static void test_pretokenizers(void **state)
{
	(void)state;
	/* digits: llama3 groups of 3, qwen2 single, smollm single and no space */
	expect_split(ENG_PRETOK_LLAMA3, "a 1234567", (const char *const[]){ "a", " ", "123", "456", "7", NULL });
	expect_split(ENG_PRETOK_QWEN2, "a 123", (const char *const[]){ "a", " ", "1", "2", "3", NULL });
	expect_split(ENG_PRETOK_SMOLLM, "a 123x", (const char *const[]){ "a", " ", "1", "2", "3", "x", NULL });
	expect_split(ENG_PRETOK_GPT2, "a 123x", (const char *const[]){ "a", " 123", "x", NULL });
	/* contractions: llama3/qwen2 fold case, gpt2 does not */
	expect_split(ENG_PRETOK_LLAMA3, "I'VE", (const char *const[]){ "I", "'VE", NULL });
	expect_split(ENG_PRETOK_GPT2, "I'VE", (const char *const[]){ "I", "'", "VE", NULL });
	expect_split(ENG_PRETOK_GPT2, "I've", (const char *const[]){ "I", "'ve", NULL });
	/* whitespace: the last space before a word stays with it */
	expect_split(ENG_PRETOK_GPT2, "   Hello", (const char *const[]){ "  ", " Hello", NULL });
	expect_split(ENG_PRETOK_LLAMA3, "a\n\n  b", (const char *const[]){ "a", "\n\n", " ", " b", NULL });
	expect_split(ENG_PRETOK_LLAMA3, "x  ", (const char *const[]){ "x", "  ", NULL });
	/* non-letter prefix of a word, punctuation with trailing newlines */
	expect_split(ENG_PRETOK_LLAMA3, "(hi)!!\n\nok",
		     (const char *const[]){ "(hi", ")!!\n\n", "ok", NULL });
	/* Unicode classes: Cyrillic letters, Arabic-Indic digits, NBSP */
	expect_split(ENG_PRETOK_LLAMA3, "\xD0\xBD\xD0\xB0 \xD9\xA1\xD9\xA2",
		     (const char *const[]){ "\xD0\xBD\xD0\xB0", " ", "\xD9\xA1\xD9\xA2", NULL });
	expect_split(ENG_PRETOK_GPT2, "a\xC2\xA0" "b", (const char *const[]){ "a", "\xC2\xA0", "b", NULL });
	/* default chain: punctuation runs split off first, then digit triples */
	expect_split(ENG_PRETOK_DEFAULT, "x+=12345", (const char *const[]){ "x", "+=", "123", "45", NULL });
	assert_true(eng_ucd_flags(0x4E2D) & ENG_UCD_LETTER);
	assert_true(eng_ucd_flags(0x3000) & ENG_UCD_WHITESPACE);
	assert_true(eng_ucd_flags(0x110000) & ENG_UCD_UNDEFINED);
	/* the tables are Unicode 15.1, like llama.cpp's: CJK Extension H
	 * (15.0) and I (15.1) are letters, Garay (16.0) is not assigned yet */
	assert_string_equal(eng_ucd_version(), "15.1.0");
	assert_true(eng_ucd_flags(0x31350) & ENG_UCD_LETTER);
	assert_true(eng_ucd_flags(0x2EBF0) & ENG_UCD_LETTER);
	assert_true(eng_ucd_flags(0x10D40) & ENG_UCD_UNDEFINED);
	/* GPT-2 byte map: printable bytes map to themselves, space to U+0120 */
	assert_int_equal(eng_byte_to_cp('A'), 'A');
	assert_int_equal(eng_byte_to_cp(' '), 0x120);
	for (int b = 0; b < 256; b++)
		assert_int_equal(eng_cp_to_byte(eng_byte_to_cp((uint8_t)b)), b);
}

/* llama.cpp's own splits (scripts/gen-pretok-fixture.sh ran its
 * unicode_regex_split, commit c392e50, over corpus and random inputs with
 * invalid UTF-8, odd whitespace and Unicode 15 code points). */
static void test_pretok_vs_llamacpp(void **state)
{
	(void)state;
	size_t len;
	char *fx = slurp("tests/fixtures/tokenizer/pretok.txt", &len);
	assert_non_null(fx);
	int lines = 0, per_kind[5] = { 0 };
	for (char *line = fx, *next; *line; line = next) {
		next = strchr(line, '\n');
		assert_non_null(next);
		*next++ = 0;
		int kind = (int)strtol(line, &line, 10);
		assert_true(kind >= 0 && kind < 5);
		while (*line == ' ')
			line++;
		char *hex = line;
		while (*line && *line != ' ')
			line++;
		size_t hl = (size_t)(line - hex), n = 0;
		if (*line)
			*line++ = 0;
		static char bytes[4096];
		static uint32_t cps[4096];
		static size_t lens[4096];
		if (!(hl == 1 && hex[0] == '-')) {
			assert_true(hl % 2 == 0 && hl / 2 < sizeof bytes);
			for (size_t i = 0; i < hl; i += 2) {
				unsigned b;
				sscanf(hex + i, "%2x", &b);
				bytes[n++] = (char)b;
			}
		}
		size_t nc = eng_utf8_decode(bytes, n, cps);
		size_t np = eng_pretok_split((enum eng_pretok)kind, cps, nc, lens);
		size_t k = 0;
		char *end;
		for (long v; (v = strtol(line, &end, 10)), end != line; line = end, k++) {
			if (k >= np || lens[k] != (size_t)v)
				fail_msg("line %d (kind %d, input %s): piece %zu differs from llama.cpp", lines + 1,
					 kind, hex, k);
		}
		if (k != np)
			fail_msg("line %d: %zu pieces, llama.cpp has %zu", lines + 1, np, k);
		lines++;
		per_kind[kind]++;
	}
	assert_int_equal(lines, 980);
	for (int k = 0; k < 5; k++)
		assert_int_equal(per_kind[k], 196);
	free(fx);
}

/* ---- special tokens ---- */

static void concat3(int32_t *dst, int *n, const int32_t *a, int na, int32_t mid, const int32_t *b, int nb)
{
	memcpy(dst, a, (size_t)na * sizeof *a);
	dst[na] = mid;
	memcpy(dst + na + 1, b, (size_t)nb * sizeof *b);
	*n = na + 1 + nb;
}

static void test_special_tokens(void **state)
{
	(void)state;
	struct vocab l3 = vocab_named("llama-bpe");
	const char *chat = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>";
	int n, na, nb;
	int32_t *ids = enc(l3.t, chat, strlen(chat), 0, 1, &n);
	assert_true(n >= 5);
	assert_int_equal(ids[0], 128006);
	assert_int_equal(ids[2], 128007);
	assert_int_equal(ids[n - 1], 128009);
	free(ids);
	/* without parse_special the same text is plain text */
	ids = enc(l3.t, chat, strlen(chat), 0, 0, &n);
	for (int i = 0; i < n; i++)
		assert_true(ids[i] < 128000);
	free(ids);
	/* longest match first: ..._token_10|> is not ..._token_1|> + "0|>" */
	ids = enc(l3.t, "<|reserved_special_token_10|>", 29, 0, 1, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], eng_tok_find(l3.t, "<|reserved_special_token_10|>", 29));
	free(ids);
	/* eog: eos and <|eot_id|>, not BOS */
	assert_true(eng_tok_is_eog(l3.t, 128001));
	assert_true(eng_tok_is_eog(l3.t, 128009));
	assert_false(eng_tok_is_eog(l3.t, 128000));
	assert_int_equal(eng_tok_eot(l3.t), 128009);
	close_vocab(&l3);

	/* SPM: after a special token the next text gets the space prefix again */
	struct vocab spm = vocab_named("llama-spm");
	int32_t *a = enc(spm.t, "Hello", 5, 0, 0, &na);
	int32_t *b = enc(spm.t, "world", 5, 0, 0, &nb);
	int32_t want[64];
	int nw;
	concat3(want, &nw, a, na, 1, b, nb);
	ids = enc(spm.t, "Hello<s>world", 13, 0, 1, &n);
	assert_int_equal(n, nw);
	assert_memory_equal(ids, want, (size_t)n * sizeof *ids);
	free(ids);
	ids = enc(spm.t, "Hello<s>world", 13, 1, 0, &n); /* not parsed: "<s>" is text */
	assert_int_equal(ids[0], 1);
	for (int i = 1; i < n; i++)
		assert_true(ids[i] != 1);
	free(ids);
	free(a);
	free(b);
	assert_int_equal(eng_tok_bos(spm.t), 1);
	assert_int_equal(eng_tok_eos(spm.t), 2);
	assert_true(eng_tok_add_bos(spm.t));
	close_vocab(&spm);

	/* phi-3: "</s>" is USER_DEFINED (split even without parse_special) and
	 * strips the spaces after it */
	struct vocab phi = vocab_named("phi-3");
	a = enc(phi.t, "a", 1, 0, 0, &na);
	b = enc(phi.t, "b", 1, 0, 0, &nb);
	concat3(want, &nw, a, na, 2, b, nb);
	ids = enc(phi.t, "a</s>   b", 9, 0, 0, &n);
	assert_int_equal(n, nw);
	assert_memory_equal(ids, want, (size_t)n * sizeof *ids);
	free(ids);
	free(a);
	free(b);
	assert_true(eng_tok_is_eog(phi.t, 32007)); /* <|end|> */
	close_vocab(&phi);

	/* gpt-2: no BOS with add_special */
	struct vocab g2 = vocab_named("gpt-2");
	assert_false(eng_tok_add_bos(g2.t));
	ids = enc(g2.t, "<|endoftext|>", 13, 1, 1, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 50256);
	free(ids);
	close_vocab(&g2);
}

/* ---- detokenisation ---- */

static int valid_utf8(const char *s, size_t n)
{
	uint32_t cps[64];
	for (size_t i = 0; i < n;) {
		size_t k = eng_utf8_len((unsigned char)s[i]);
		if (k > n - i || k > 4)
			return 0;
		if (eng_utf8_decode(s + i, k, cps) != 1 || cps[0] == 0xFFFD) {
			/* U+FFFD itself is fine when it was written out as such */
			if (!(k == 3 && memcmp(s + i, "\xEF\xBF\xBD", 3) == 0))
				return 0;
		}
		i += k;
	}
	return 1;
}

static void test_detokenize(void **state)
{
	(void)state;
	struct vocab spm = vocab_named("llama-spm");
	size_t len;
	const char *p = eng_tok_piece(spm.t, 278, &len); /* "▁the" */
	assert_int_equal(len, 4);
	assert_memory_equal(p, " the", 4);
	p = eng_tok_piece(spm.t, 13, &len); /* <0x0A> */
	assert_int_equal(len, 1);
	assert_int_equal(p[0], '\n');
	assert_null(eng_tok_piece(spm.t, -1, &len));
	assert_null(eng_tok_piece(spm.t, 32000, &len));
	/* SPM round trip of every corpus input (leading space removed again) */
	char ip[1200];
	snprintf(ip, sizeof ip, "%s/corpus/tokenizer/ggml-vocab-llama-spm.gguf.inp", shared);
	size_t ni;
	char *in = slurp(ip, &ni);
	assert_non_null(in);
	static const char sep[] = "\n__ggml_vocab_test__\n";
	int count = 0;
	for (char *s = in, *q; (q = memmem(s, (size_t)(in + ni - s), sep, sizeof sep - 1)); s = q + sizeof sep - 1) {
		int n;
		int32_t *ids = enc(spm.t, s, (size_t)(q - s), 0, 0, &n);
		char back[4096];
		size_t bl = eng_tok_decode(spm.t, ids, n, 0, 0, back, sizeof back);
		if (bl != (size_t)(q - s) || memcmp(back, s, bl) != 0)
			fail_msg("round trip of [%.*s] gave [%.*s]", (int)(q - s), s, (int)bl, back);
		free(ids);
		/* with a BOS in front llama.cpp keeps the prefix space, whether the
		 * BOS is removed or just renders as nothing */
		ids = enc(spm.t, s, (size_t)(q - s), 1, 0, &n);
		for (int rs = 0; rs < 2; rs++) {
			bl = eng_tok_decode(spm.t, ids, n, rs, 0, back, sizeof back);
			if (q > s && (bl != (size_t)(q - s) + 1 || back[0] != ' ' || memcmp(back + 1, s, bl - 1) != 0))
				fail_msg("BOS round trip of [%.*s] gave [%.*s]", (int)(q - s), s, (int)bl, back);
		}
		free(ids);
		count++;
	}
	assert_int_equal(count, 46);
	free(in);
	/* decode reports the full length when the buffer is short */
	int32_t two[2] = { 278, 278 };
	char small[3];
	assert_int_equal(eng_tok_decode(spm.t, two, 2, 0, 0, small, sizeof small), 7);
	close_vocab(&spm);

	/* BPE: byte map reversed; clean-up of " ," for llama3 */
	struct vocab l3 = vocab_named("llama-bpe");
	int32_t the = eng_tok_find(l3.t, "\xC4\xA0the", 5); /* "Ġthe" */
	assert_true(the >= 0);
	p = eng_tok_piece(l3.t, the, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(p, " the", 4);
	int n;
	int32_t *ids = enc(l3.t, "Hello , world", 13, 0, 0, &n);
	char back[64];
	size_t bl = eng_tok_decode(l3.t, ids, n, 0, 0, back, sizeof back);
	assert_int_equal(bl, 12);
	assert_memory_equal(back, "Hello, world", 12);
	free(ids);
	/* control tokens vanish unless unparsed */
	int32_t ctl[3] = { 128000, the, 128009 };
	assert_int_equal(eng_tok_decode(l3.t, ctl, 3, 0, 0, back, sizeof back), 4);
	bl = eng_tok_decode(l3.t, ctl, 3, 0, 1, back, sizeof back);
	assert_int_equal(bl, strlen("<|begin_of_text|> the<|eot_id|>"));
	assert_memory_equal(back, "<|begin_of_text|> the<|eot_id|>", bl);
	close_vocab(&l3);
}

static void test_stream(void **state)
{
	(void)state;
	/* SPM byte fallback: 🦙 is four byte tokens; nothing comes out until
	 * the fourth completes the character */
	struct vocab spm = vocab_named("llama-spm");
	int n;
	int32_t *ids = enc(spm.t, "\xF0\x9F\xA6\x99!", 5, 0, 0, &n);
	assert_true(n >= 5);
	struct eng_tok_stream *s = eng_tok_stream_new(spm.t, ENG_TOK_STREAM_LSTRIP_FIRST);
	assert_non_null(s);
	size_t len;
	const char *o;
	int at = 0;
	if (ids[0] == eng_tok_find(spm.t, "\xE2\x96\x81", 3)) { /* the prefix space alone */
		o = eng_tok_stream_push(s, ids[at++], &len);
		assert_int_equal(len, 0);
	}
	for (int k = 0; k < 3; k++) {
		o = eng_tok_stream_push(s, ids[at++], &len);
		assert_non_null(o);
		assert_int_equal(len, 0);
	}
	o = eng_tok_stream_push(s, ids[at++], &len);
	assert_int_equal(len, 4);
	assert_memory_equal(o, "\xF0\x9F\xA6\x99", 4);
	o = eng_tok_stream_push(s, ids[at++], &len);
	assert_int_equal(len, 1);
	assert_int_equal(o[0], '!');
	o = eng_tok_stream_flush(s, &len);
	assert_int_equal(len, 0);
	/* a sequence cut short comes out as U+FFFD at flush, a byte that can
	 * never start a character at once */
	int32_t f0 = eng_tok_find(spm.t, "<0xF0>", 6), ff = eng_tok_find(spm.t, "<0xFF>", 6);
	o = eng_tok_stream_push(s, f0, &len);
	assert_int_equal(len, 0);
	o = eng_tok_stream_flush(s, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(o, "\xEF\xBF\xBD", 3);
	o = eng_tok_stream_push(s, ff, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(o, "\xEF\xBF\xBD", 3);
	/* a lead byte followed by ASCII: replacement, then the ASCII */
	o = eng_tok_stream_push(s, f0, &len);
	assert_int_equal(len, 0);
	o = eng_tok_stream_push(s, eng_tok_find(spm.t, "a", 1), &len);
	assert_int_equal(len, 4);
	assert_memory_equal(o, "\xEF\xBF\xBD" "a", 4);
	eng_tok_stream_free(s);
	free(ids);
	close_vocab(&spm);

	/* BPE: every prefix of a multilingual text streams as valid UTF-8 and
	 * the pieces add up to the text */
	struct vocab l3 = vocab_named("llama-bpe");
	const char *text = "Hello \xF0\x9F\xA6\x99\xF0\x9F\x98\xB6\xE2\x80\x8D\xF0\x9F\x8C\xAB\xEF\xB8\x8F "
			   "\xE1\x9E\x80\xE1\x9E\xB6\xE1\x9E\x93\xE1\x9F\x8B \xE6\x88\x91\xE6\x83\xB3 \xC3\xBC";
	ids = enc(l3.t, text, strlen(text), 1, 1, &n);
	s = eng_tok_stream_new(l3.t, 0);
	char all[512];
	size_t total = 0;
	int silent = 0;
	for (int i = 0; i < n; i++) {
		o = eng_tok_stream_push(s, ids[i], &len);
		assert_non_null(o);
		assert_true(valid_utf8(o, len));
		silent += len == 0;
		assert_true(total + len < sizeof all);
		memcpy(all + total, o, len);
		total += len;
	}
	o = eng_tok_stream_flush(s, &len);
	assert_int_equal(len, 0);
	assert_true(silent >= 2); /* some tokens held half a character (and BOS) */
	assert_int_equal(total, strlen(text));
	assert_memory_equal(all, text, total);
	/* with ENG_TOK_STREAM_SPECIAL control tokens show */
	eng_tok_stream_free(s);
	s = eng_tok_stream_new(l3.t, ENG_TOK_STREAM_SPECIAL);
	o = eng_tok_stream_push(s, 128009, &len);
	assert_int_equal(len, 10);
	assert_memory_equal(o, "<|eot_id|>", 10);
	eng_tok_stream_free(s);
	free(ids);
	close_vocab(&l3);
}

/* ---- chat templates ---- */

static const struct eng_chat_msg conv[] = {
	{ "system", "Be brief." },
	{ "user", "Hi" },
	{ "assistant", "Hello." },
	{ "user", "News?" },
};

static void expect_render(enum eng_chat_tmpl k, int add, const char *def_sys, const struct eng_chat_msg *m,
			  int n, const char *want)
{
	char *out = NULL;
	assert_int_equal(eng_chat_render(k, m, n, add, def_sys, &out), ENG_OK);
	assert_non_null(out);
	if (strcmp(out, want) != 0)
		fail_msg("%s rendered\n[%s]\nnot\n[%s]", eng_chat_template_name(k), out, want);
	free(out);
}

static void test_chat_templates(void **state)
{
	(void)state;
	/* detection from (shortened) real templates */
	static const char smol[] =
		"{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
		"{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
		"<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
		"'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
	static const char llama3[] =
		"{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
		"'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + "
		"'<|eot_id|>' %}{{ content }}{% endfor %}";
	static const char llama2[] =
		"{% if messages[0]['role'] == 'system' %}{% set system_message = '<<SYS>>\\n' + messages[0]['content'] "
		"| trim + '\\n<</SYS>>\\n\\n' %}{% endif %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}";
	static const char mistral[] =
		"{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
		"{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}";
	static const char mistral7[] = "{%- if messages[0]['role'] == 'system' %}[SYSTEM_PROMPT]...[INST]";
	assert_int_equal(eng_chat_template_detect(smol), ENG_CHAT_CHATML);
	assert_int_equal(eng_chat_template_detect(llama3), ENG_CHAT_LLAMA3);
	assert_int_equal(eng_chat_template_detect(llama2), ENG_CHAT_LLAMA2);
	assert_int_equal(eng_chat_template_detect(mistral), ENG_CHAT_MISTRAL);
	assert_int_equal(eng_chat_template_detect(mistral7), ENG_CHAT_MISTRAL_V7);
	assert_int_equal(eng_chat_template_detect("{{ messages }}"), ENG_CHAT_UNKNOWN);
	assert_int_equal(eng_chat_template_detect(NULL), ENG_CHAT_UNKNOWN);
	/* override by name */
	assert_int_equal(eng_chat_template_from_name("chatml"), ENG_CHAT_CHATML);
	assert_int_equal(eng_chat_template_detect("llama3"), ENG_CHAT_LLAMA3);
	assert_int_equal(eng_chat_template_from_name("jinja"), ENG_CHAT_UNKNOWN);
	for (int k = 1; k < ENG_CHAT__COUNT; k++)
		assert_int_equal(eng_chat_template_from_name(eng_chat_template_name((enum eng_chat_tmpl)k)), k);
	assert_non_null(strstr(eng_chat_template_names(), "llama3"));

	/* phi-3's template as shipped in the corpus vocab */
	struct vocab phi = vocab_named("phi-3");
	const char *pt = NULL;
	assert_int_equal(eng_gguf_get_str(phi.g, "tokenizer.chat_template", &pt, NULL), ENG_OK);
	assert_int_equal(eng_chat_template_detect(pt), ENG_CHAT_PHI3);
	close_vocab(&phi);

	/* SmolLM2's default system prompt */
	char sys[256];
	assert_true(eng_chat_template_default_system(smol, sys, sizeof sys));
	assert_string_equal(sys, "You are a helpful AI assistant named SmolLM, trained by Hugging Face");
	static const char qwen[] =
		"{%- if tools %}{{- '<|im_start|>system\\n' }}{%- if messages[0]['role'] == 'system' %}"
		"{{- messages[0]['content'] }}{%- endif %}{%- else %}{%- if messages[0]['role'] == 'system' %}"
		"{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- else %}"
		"{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
		"<|im_end|>\\n' }}{%- endif %}{%- endif %}";
	assert_int_equal(eng_chat_template_detect(qwen), ENG_CHAT_CHATML);
	char qs[128];
	assert_true(eng_chat_template_default_system(qwen, qs, sizeof qs));
	assert_string_equal(qs, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");
	char none[16];
	assert_false(eng_chat_template_default_system(llama3, none, sizeof none));

	expect_render(ENG_CHAT_CHATML, 1, NULL, conv, 4,
		      "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
		      "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nNews?<|im_end|>\n"
		      "<|im_start|>assistant\n");
	expect_render(ENG_CHAT_CHATML, 1, sys, conv + 1, 1,
		      "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
		      "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
	expect_render(ENG_CHAT_CHATML, 0, sys, conv, 2, /* a system message wins over the default */
		      "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
	expect_render(ENG_CHAT_LLAMA3, 1, NULL, conv, 4,
		      "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
		      "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
		      "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
		      "<|start_header_id|>user<|end_header_id|>\n\nNews?<|eot_id|>"
		      "<|start_header_id|>assistant<|end_header_id|>\n\n");
	expect_render(ENG_CHAT_LLAMA2, 1, NULL, conv, 4,
		      "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello. </s><s>[INST] News? [/INST]");
	expect_render(ENG_CHAT_LLAMA2, 1, NULL, conv + 1, 1, "[INST] Hi [/INST]");
	expect_render(ENG_CHAT_MISTRAL, 1, NULL, conv + 1, 3, "[INST] Hi [/INST]Hello.</s>[INST] News? [/INST]");
	expect_render(ENG_CHAT_MISTRAL, 1, NULL, conv, 2, "[INST] Be brief.\nHi [/INST]");
	expect_render(ENG_CHAT_MISTRAL_V1, 1, NULL, conv + 1, 3,
		      " [INST] Hi [/INST] Hello.</s> [INST] News? [/INST]");
	expect_render(ENG_CHAT_MISTRAL_V3, 1, NULL, conv + 1, 3, "[INST] Hi[/INST] Hello.</s>[INST] News?[/INST]");
	expect_render(ENG_CHAT_MISTRAL_V7, 1, NULL, conv, 4,
		      "[SYSTEM_PROMPT] Be brief.[/SYSTEM_PROMPT][INST] Hi[/INST] Hello.</s>[INST] News?[/INST]");
	expect_render(ENG_CHAT_PHI3, 1, NULL, conv + 1, 1, "<|user|>\nHi<|end|>\n<|assistant|>\n");

	char *out = (char *)1;
	assert_int_equal(eng_chat_render(ENG_CHAT_UNKNOWN, conv, 4, 1, NULL, &out), ENG_ERR_TEMPLATE);
	assert_null(out);
	struct eng_chat_msg bad = { NULL, "x" };
	assert_int_equal(eng_chat_render(ENG_CHAT_CHATML, &bad, 1, 1, NULL, &out), ENG_ERR_INVALID_ARG);

	/* a rendered Llama 3 prompt tokenizes into its header tokens */
	struct vocab l3 = vocab_named("llama-bpe");
	assert_int_equal(eng_chat_render(ENG_CHAT_LLAMA3, conv + 1, 1, 1, NULL, &out), ENG_OK);
	int n;
	int32_t *ids = enc(l3.t, out, strlen(out), 1, 1, &n);
	assert_int_equal(ids[0], 128000);
	assert_int_equal(ids[1], 128006);
	assert_int_equal(ids[n - 2], 128007);
	assert_int_equal(ids[n - 1], eng_tok_find(l3.t, "\xC4\x8A\xC4\x8A", 4)); /* "\n\n" */
	free(ids);
	free(out);
	close_vocab(&l3);
}

/* ---- errors, buffer contract, speed ---- */

static char *write_variant(const char *src, const char *key, const char *value)
{
	struct eng_gguf *g = NULL;
	struct eng_gguf_writer *w = NULL;
	char err[256];
	assert_int_equal(eng_gguf_open(src, &g, err, sizeof err), ENG_OK);
	assert_int_equal(eng_gguf_writer_new(&w), ENG_OK);
	for (size_t i = 0; i < eng_gguf_n_kv(g); i++)
		if (strcmp(eng_gguf_kv_key(g, i), key) != 0)
			assert_int_equal(eng_gguf_writer_copy_kv(w, g, i), ENG_OK);
	if (value)
		assert_int_equal(eng_gguf_writer_add_str(w, key, value), ENG_OK);
	char tmpl[] = "/tmp/test_tok_XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(eng_gguf_writer_write(w, tmpl, NULL, NULL, err, sizeof err), ENG_OK);
	eng_gguf_writer_free(w);
	eng_gguf_close(g);
	return strdup(tmpl);
}

static void test_errors(void **state)
{
	(void)state;
	char src[1200], err[256];
	snprintf(src, sizeof src, "%s/corpus/tokenizer/ggml-vocab-gpt-2.gguf", shared);
	struct { const char *key, *value; enum eng_err want; const char *msg; } cases[] = {
		{ "tokenizer.ggml.pre", "no-such-pre", ENG_ERR_TOKENIZER, "no-such-pre" },
		{ "tokenizer.ggml.model", "bert", ENG_ERR_TOKENIZER, "bert" },
		{ "tokenizer.ggml.merges", NULL, ENG_ERR_MISSING_KEY, "merges" },
		{ "tokenizer.ggml.tokens", NULL, ENG_ERR_MISSING_KEY, "tokens" },
		{ "tokenizer.ggml.pre", NULL, ENG_OK, NULL }, /* absent: llama.cpp's default chain */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *path = write_variant(src, cases[i].key, cases[i].value);
		struct eng_gguf *g;
		struct eng_tok *t = (struct eng_tok *)1;
		assert_int_equal(eng_gguf_open(path, &g, err, sizeof err), ENG_OK);
		err[0] = 0;
		assert_int_equal(eng_tok_load(g, &t, err, sizeof err), cases[i].want);
		if (cases[i].want != ENG_OK) {
			assert_null(t);
			if (!strstr(err, cases[i].msg))
				fail_msg("error '%s' does not name '%s'", err, cases[i].msg);
		} else {
			assert_string_equal(eng_tok_pre_name(t), "default");
			int n;
			int32_t *ids = enc(t, "Hello world", 11, 0, 0, &n);
			assert_int_equal(n, 2); /* "Hello", " world" */
			free(ids);
			eng_tok_free(t);
		}
		eng_gguf_close(g);
		unlink(path);
		free(path);
	}
}

static void test_encode_buffer_and_speed(void **state)
{
	(void)state;
	struct vocab l3 = vocab_named("llama-bpe");
	int32_t ids[8];
	int n = -1;
	assert_int_equal(eng_tok_encode(l3.t, "The chip war", 12, 1, 1, ids, 8, &n), ENG_OK);
	assert_int_equal(n, 4);
	assert_int_equal(eng_tok_encode(l3.t, "The chip war", 12, 1, 1, ids, 2, &n), ENG_ERR_INVALID_ARG);
	assert_int_equal(n, 4);
	assert_int_equal(ids[1], 791);
	assert_int_equal(eng_tok_encode(l3.t, "", 0, 0, 0, ids, 8, &n), ENG_OK);
	assert_int_equal(n, 0);
	/* invalid UTF-8 does not break anything */
	assert_int_equal(eng_tok_encode(l3.t, "\xFF\xC3(\xE2\x82", 5, 0, 0, ids, 8, &n), ENG_OK);
	assert_true(n > 0);

	/* a 2 KB prompt with the 128k vocab: milliseconds */
	char path[1200];
	snprintf(path, sizeof path, "%s/corpus/engine/long_prompt.txt", shared);
	size_t len;
	char *text = slurp(path, &len);
	assert_non_null(text);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int32_t *out = enc(l3.t, text, len, 1, 1, &n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("encode %zu bytes -> %d tokens (llama3 vocab): %.2f ms\n", len, n, ms);
	assert_int_equal(n, 621);
	assert_true(ms < 500.0); /* generous: sanitizer builds and a loaded machine */
	free(out);
	free(text);
	close_vocab(&l3);
}

int main(void)
{
	const char *sh = getenv("BRIEFING_SHARED");
	snprintf(shared, sizeof shared, "%s", sh && *sh ? sh : "../shared");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_llama_spm),
		cmocka_unit_test(test_vectors_phi3),
		cmocka_unit_test(test_vectors_gpt2),
		cmocka_unit_test(test_vectors_llama_bpe),
		cmocka_unit_test(test_engine_ref_prompts),
		cmocka_unit_test(test_smollm2),
		cmocka_unit_test(test_pretokenizers),
		cmocka_unit_test(test_pretok_vs_llamacpp),
		cmocka_unit_test(test_special_tokens),
		cmocka_unit_test(test_detokenize),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_chat_templates),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_encode_buffer_and_speed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
