/* test_engine_gguf.c — the GGUF reader and writer (src/engine/gguf.h):
 *   - every corpus GGUF (engine/ and tokenizer/) opens, with the counts,
 *     keys and shapes the corpus READMEs give;
 *   - typed getters coerce integers and refuse wrong types;
 *   - v2 opens, v1 and unknown versions are refused with a clear message;
 *   - every prefix of a real file up to the end of its header (then
 *     sampled) fails cleanly until the file is complete; random bit flips
 *     in the header never crash (ASan checks the reads);
 *   - hand-built hostile files: huge string/array lengths, n_dims > 4,
 *     element-count overflow, duplicate keys/tensors, misaligned or
 *     out-of-range offsets, nested arrays, unsupported tensor types;
 *   - the writer round-trips every KV type, copied KVs, borrowed and
 *     filled tensor data.
 * Corpus: $BRIEFING_SHARED/corpus (default ../shared). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/gguf.h"
#include "engine/quant.h"

static char corpus[1024];

static struct eng_gguf *open_corpus(const char *rel)
{
	char path[1200], err[300];
	struct eng_gguf *g = NULL;
	snprintf(path, sizeof path, "%s/%s", corpus, rel);
	enum eng_err e = eng_gguf_open(path, &g, err, sizeof err);
	if (e != ENG_OK)
		fail_msg("%s: %s (%d)", path, err, e);
	return g;
}

static unsigned char *slurp(const char *rel, size_t *len)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/%s", corpus, rel);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc((size_t)n);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static uint64_t data_end(const struct eng_gguf *g)
{
	uint64_t end = eng_gguf_n_tensors(g) ? eng_gguf_data_offset(g) : 0;
	for (size_t i = 0; i < eng_gguf_n_tensors(g); i++) {
		const struct eng_gguf_tensor *t = eng_gguf_tensor(g, i);
		uint64_t e = eng_gguf_data_offset(g) + t->offset + t->nbytes;
		if (e > end)
			end = e;
	}
	return end;
}

/* ---- corpus ---- */

static void check_str(const struct eng_gguf *g, const char *key, const char *want)
{
	const char *s;
	size_t len;
	assert_int_equal(eng_gguf_get_str(g, key, &s, &len), ENG_OK);
	assert_string_equal(s, want);
	assert_int_equal(len, strlen(want));
}

static void check_u32(const struct eng_gguf *g, const char *key, uint32_t want)
{
	uint32_t v = 0;
	assert_int_equal(eng_gguf_get_u32(g, key, &v), ENG_OK);
	assert_int_equal(v, want);
}

static void check_shape(const struct eng_gguf *g, const char *name, uint32_t type, int nd, uint64_t ne0, uint64_t ne1)
{
	const struct eng_gguf_tensor *t = eng_gguf_tensor_find(g, name);
	if (!t)
		fail_msg("tensor %s missing", name);
	assert_string_equal(t->name, name);
	assert_int_equal(t->type, type);
	assert_int_equal(t->n_dims, nd);
	assert_int_equal(t->ne[0], ne0);
	assert_int_equal(t->ne[1], ne1);
	assert_int_equal(t->n_elements, ne0 * ne1);
	assert_int_equal(t->nbytes, eng_type_row_bytes(type, (int64_t)ne0) * ne1);
	assert_true((uintptr_t)t->data % eng_gguf_alignment(g) == 0 ||
		    ((const char *)t->data - (const char *)eng_gguf_base(g)) % eng_gguf_alignment(g) == 0);
}

static void test_corpus_engine(void **state)
{
	(void)state;
	static const struct { const char *file; size_t nt, nkv; uint32_t ftype, wtype; } files[] = {
		{ "micro-llama-f32.gguf", 40, 23, 0, ENG_TYPE_F32 },
		{ "micro-llama-f16.gguf", 40, 24, 1, ENG_TYPE_F16 },
		{ "micro-llama-q8_0.gguf", 40, 24, 7, ENG_TYPE_Q8_0 },
		{ "micro-llama-q4_0.gguf", 40, 24, 2, ENG_TYPE_Q4_0 },
		{ "micro-llama-q4_1.gguf", 40, 24, 3, ENG_TYPE_Q4_1 },
		{ "micro-llama-q5_0.gguf", 40, 24, 8, ENG_TYPE_Q5_0 },
		{ "micro-llama-q5_1.gguf", 40, 24, 9, ENG_TYPE_Q5_1 },
		{ "micro-llama-q4_k.gguf", 40, 24, 15, ENG_TYPE_Q4_K },
		{ "micro-llama-q5_k.gguf", 40, 24, 17, ENG_TYPE_Q5_K },
		{ "micro-llama-q6_k.gguf", 40, 24, 18, ENG_TYPE_Q6_K },
		{ "micro-llama-q4_k_m.gguf", 40, 24, 15, ENG_TYPE_Q4_K },
	};
	for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
		char rel[256];
		snprintf(rel, sizeof rel, "engine/%s", files[k].file);
		struct eng_gguf *g = open_corpus(rel);
		assert_int_equal(eng_gguf_version(g), 3);
		assert_int_equal(eng_gguf_n_tensors(g), files[k].nt);
		assert_int_equal(eng_gguf_n_kv(g), files[k].nkv);
		assert_int_equal(eng_gguf_alignment(g), 32);
		check_str(g, "general.architecture", "llama");
		check_u32(g, "general.file_type", files[k].ftype);
		check_u32(g, "llama.embedding_length", 256);
		check_u32(g, "llama.block_count", 4);
		check_u32(g, "llama.attention.head_count", 8);
		check_u32(g, "llama.attention.head_count_kv", 2);
		check_u32(g, "llama.feed_forward_length", 768);
		check_u32(g, "llama.context_length", 1024);
		check_u32(g, "tokenizer.ggml.bos_token_id", 1);
		float base = 0;
		assert_int_equal(eng_gguf_get_f32(g, "llama.rope.freq_base", &base), ENG_OK);
		assert_true(base == 500000.0f);
		check_shape(g, "token_embd.weight", files[k].wtype, 2, 256, 512);
		check_shape(g, "blk.3.ffn_gate.weight", files[k].wtype, 2, 256, 768);
		check_shape(g, "blk.1.attn_k.weight", files[k].wtype, 2, 256, 64);
		check_shape(g, "blk.0.attn_norm.weight", ENG_TYPE_F32, 1, 256, 1);
		check_shape(g, "rope_freqs.weight", ENG_TYPE_F32, 1, 16, 1);
		assert_null(eng_gguf_tensor_find(g, "blk.4.ffn_gate.weight"));
		/* the token array: "<s>" is id 1 */
		int64_t ti = eng_gguf_find(g, "tokenizer.ggml.tokens");
		assert_true(ti >= 0);
		assert_int_equal(eng_gguf_kv_type(g, (size_t)ti), ENG_GGUF_ARRAY);
		assert_int_equal(eng_gguf_kv_arr_type(g, (size_t)ti), ENG_GGUF_STRING);
		assert_int_equal(eng_gguf_kv_arr_n(g, (size_t)ti), 512);
		size_t len;
		const char *s = eng_gguf_arr_str(g, (size_t)ti, 1, &len);
		assert_int_equal(len, 3);
		assert_memory_equal(s, "<s>", 3);
		assert_null(eng_gguf_arr_str(g, (size_t)ti, 512, &len));
		/* file size is the end of the data */
		assert_true(data_end(g) <= eng_gguf_file_size(g));
		assert_true(eng_gguf_file_size(g) - data_end(g) < 32);
		eng_gguf_close(g);
	}
}

static void test_corpus_others(void **state)
{
	(void)state;
	struct eng_gguf *g = open_corpus("engine/micro-qwen2-q8_0.gguf");
	check_str(g, "general.architecture", "qwen2");
	assert_int_equal(eng_gguf_n_tensors(g), 15);
	check_u32(g, "qwen2.block_count", 1);
	check_shape(g, "blk.0.attn_q.bias", ENG_TYPE_F32, 1, 256, 1);
	check_shape(g, "blk.0.attn_q.weight", ENG_TYPE_Q8_0, 2, 256, 256);
	float eps = 0;
	assert_int_equal(eng_gguf_get_f32(g, "qwen2.attention.layer_norm_rms_epsilon", &eps), ENG_OK);
	assert_true(eps == 1e-6f);
	eng_gguf_close(g);

	g = open_corpus("engine/stories260K.gguf");
	assert_int_equal(eng_gguf_n_tensors(g), 48);
	check_u32(g, "llama.embedding_length", 64);
	check_u32(g, "llama.block_count", 5);
	check_u32(g, "llama.context_length", 512);
	float f;
	assert_int_equal(eng_gguf_get_f32(g, "llama.rope.freq_base", &f), ENG_ERR_NOT_FOUND);
	assert_int_equal(eng_gguf_find(g, "llama.rope.freq_base"), -1);
	check_shape(g, "blk.4.ffn_down.weight", ENG_TYPE_F32, 2, 172, 64);
	check_shape(g, "output.weight", ENG_TYPE_F32, 2, 64, 512);
	eng_gguf_close(g);

	g = open_corpus("engine/tiny-llama3-tied-q4_k_m.gguf");
	assert_int_equal(eng_gguf_n_tensors(g), 21);
	assert_null(eng_gguf_tensor_find(g, "output.weight"));
	check_shape(g, "token_embd.weight", ENG_TYPE_Q4_K, 2, 256, 128256);
	check_shape(g, "blk.1.ffn_down.weight", ENG_TYPE_Q6_K, 2, 768, 256);
	check_shape(g, "blk.0.attn_v.weight", ENG_TYPE_Q4_K, 2, 256, 64);
	check_u32(g, "general.file_type", 15);
	eng_gguf_close(g);

	static const struct { const char *file; uint64_t n_vocab; uint64_t n_merges; uint32_t bos; const char *model; } voc[] = {
		{ "tokenizer/ggml-vocab-llama-spm.gguf", 32000, 0, 1, "llama" },
		{ "tokenizer/ggml-vocab-phi-3.gguf", 32064, 0, 1, "llama" },
		{ "tokenizer/ggml-vocab-gpt-2.gguf", 50257, 50000, 50256, "gpt2" },
		{ "tokenizer/ggml-vocab-llama-bpe.gguf", 128256, 280147, 128000, "gpt2" },
	};
	for (size_t k = 0; k < 4; k++) {
		g = open_corpus(voc[k].file);
		assert_int_equal(eng_gguf_n_tensors(g), 0);
		check_str(g, "tokenizer.ggml.model", voc[k].model);
		check_u32(g, "tokenizer.ggml.bos_token_id", voc[k].bos);
		uint32_t et;
		uint64_t n;
		const void *raw;
		assert_int_equal(eng_gguf_get_arr(g, "tokenizer.ggml.tokens", &et, &n, &raw), ENG_OK);
		assert_int_equal(et, ENG_GGUF_STRING);
		assert_int_equal(n, voc[k].n_vocab);
		assert_null(raw);
		enum eng_err e = eng_gguf_get_arr(g, "tokenizer.ggml.merges", &et, &n, NULL);
		if (voc[k].n_merges) {
			assert_int_equal(e, ENG_OK);
			assert_int_equal(n, voc[k].n_merges);
		} else {
			assert_int_equal(e, ENG_ERR_NOT_FOUND);
		}
		if (voc[k].bos == 128000) {
			size_t len;
			int64_t i = eng_gguf_find(g, "tokenizer.ggml.tokens");
			const char *s = eng_gguf_arr_str(g, (size_t)i, 128000, &len);
			assert_int_equal(len, strlen("<|begin_of_text|>"));
			assert_memory_equal(s, "<|begin_of_text|>", len);
		}
		/* every key formats without overflowing a small buffer */
		for (size_t i = 0; i < eng_gguf_n_kv(g); i++) {
			char buf[40];
			eng_gguf_kv_format(g, i, buf, sizeof buf);
			assert_true(strlen(buf) < sizeof buf);
			assert_non_null(eng_gguf_kv_key(g, i));
		}
		eng_gguf_close(g);
	}
}

static void test_getters(void **state)
{
	(void)state;
	struct eng_gguf *g = open_corpus("engine/micro-llama-f32.gguf");
	uint32_t u32;
	int32_t i32;
	uint64_t u64;
	int64_t i64;
	float f;
	int b;
	const char *s;
	assert_int_equal(eng_gguf_get_i32(g, "llama.block_count", &i32), ENG_OK);
	assert_int_equal(i32, 4);
	assert_int_equal(eng_gguf_get_u64(g, "llama.block_count", &u64), ENG_OK);
	assert_int_equal(u64, 4);
	assert_int_equal(eng_gguf_get_i64(g, "llama.block_count", &i64), ENG_OK);
	assert_int_equal(eng_gguf_get_f32(g, "llama.block_count", &f), ENG_OK);   /* ints convert */
	assert_true(f == 4.0f);
	assert_int_equal(eng_gguf_get_u32(g, "llama.rope.freq_base", &u32), ENG_ERR_SHAPE);   /* float */
	assert_int_equal(eng_gguf_get_str(g, "llama.block_count", &s, NULL), ENG_ERR_SHAPE);
	assert_int_equal(eng_gguf_get_u32(g, "general.architecture", &u32), ENG_ERR_SHAPE);
	assert_int_equal(eng_gguf_get_bool(g, "tokenizer.ggml.add_bos_token", &b), ENG_OK);
	assert_int_equal(b, 1);
	assert_int_equal(eng_gguf_get_bool(g, "tokenizer.ggml.add_eos_token", &b), ENG_OK);
	assert_int_equal(b, 0);
	assert_int_equal(eng_gguf_get_u32(g, "no.such.key", &u32), ENG_ERR_NOT_FOUND);
	assert_int_equal(eng_gguf_get_arr(g, "llama.block_count", NULL, NULL, NULL), ENG_ERR_SHAPE);
	uint32_t et;
	uint64_t n;
	const void *raw;
	assert_int_equal(eng_gguf_get_arr(g, "tokenizer.ggml.token_type", &et, &n, &raw), ENG_OK);
	assert_int_equal(et, ENG_GGUF_INT32);
	assert_int_equal(n, 512);
	int32_t tt[2];
	memcpy(tt, raw, sizeof tt);
	assert_int_equal(tt[0], 2);   /* <unk>: UNKNOWN */
	assert_int_equal(tt[1], 3);   /* <s>: CONTROL */
	char buf[128];
	int64_t i = eng_gguf_find(g, "llama.block_count");
	assert_string_equal(eng_gguf_kv_format(g, (size_t)i, buf, sizeof buf), "4");
	i = eng_gguf_find(g, "general.architecture");
	assert_string_equal(eng_gguf_kv_format(g, (size_t)i, buf, sizeof buf), "\"llama\"");
	assert_null(eng_gguf_kv_key(g, 1000));
	assert_null(eng_gguf_tensor(g, 1000));
	assert_string_equal(eng_gguf_type_name(ENG_GGUF_FLOAT32), "float32");
	eng_gguf_close(g);
}

/* ---- versions, truncation, bit flips ---- */

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void test_versions(void **state)
{
	(void)state;
	size_t len;
	unsigned char *buf = slurp("engine/stories260K.gguf", &len);
	struct eng_gguf *g;
	char err[300];
	put32(buf + 4, 2);
	assert_int_equal(eng_gguf_open_memory(buf, len, &g, err, sizeof err), ENG_OK);
	assert_int_equal(eng_gguf_version(g), 2);
	assert_int_equal(eng_gguf_n_tensors(g), 48);
	eng_gguf_close(g);
	put32(buf + 4, 1);
	assert_int_equal(eng_gguf_open_memory(buf, len, &g, err, sizeof err), ENG_ERR_VERSION);
	assert_null(g);
	assert_non_null(strstr(err, "version 1"));
	put32(buf + 4, 4);
	assert_int_equal(eng_gguf_open_memory(buf, len, &g, err, sizeof err), ENG_ERR_VERSION);
	put32(buf + 4, 0x03000000);   /* a big-endian file */
	assert_int_equal(eng_gguf_open_memory(buf, len, &g, err, sizeof err), ENG_ERR_VERSION);
	assert_non_null(strstr(err, "endian"));
	put32(buf + 4, 3);
	buf[0] = 'X';
	assert_int_equal(eng_gguf_open_memory(buf, len, &g, err, sizeof err), ENG_ERR_FORMAT);
	assert_non_null(strstr(err, "magic"));
	assert_int_equal(eng_gguf_open_memory(buf, 0, &g, err, sizeof err), ENG_ERR_FORMAT);
	assert_int_equal(eng_gguf_open_memory(buf + 1, len - 1, &g, err, sizeof err), ENG_ERR_INVALID_ARG);
	free(buf);
	/* missing file, directory */
	assert_int_equal(eng_gguf_open("/nonexistent/x.gguf", &g, err, sizeof err), ENG_ERR_IO);
	assert_non_null(strstr(err, "/nonexistent/x.gguf"));
	assert_int_equal(eng_gguf_open("/", &g, err, sizeof err), ENG_ERR_IO);
}

static void test_truncated_prefixes(void **state)
{
	(void)state;
	size_t len;
	unsigned char *buf = slurp("engine/stories260K.gguf", &len);
	struct eng_gguf *g;
	char err[300];
	assert_int_equal(eng_gguf_open_memory(buf, len, &g, err, sizeof err), ENG_OK);
	const uint64_t need = data_end(g), hdr = eng_gguf_data_offset(g);
	eng_gguf_close(g);
	assert_true(hdr > 1000 && hdr < need);
	/* every prefix through the header, then sampled; each copy is exactly
	 * the prefix length so ASan sees any read past it */
	size_t step = 1;
	for (size_t n = 0; n < len; n += step) {
		if (n > hdr + 64)
			step = 4093;
		unsigned char *p = malloc(n ? n : 1);
		memcpy(p, buf, n);
		err[0] = 0;
		enum eng_err e = eng_gguf_open_memory(p, n, &g, err, sizeof err);
		if (n < need) {
			if (e == ENG_OK)
				fail_msg("prefix of %zu bytes (need %llu) opened", n, (unsigned long long)need);
			assert_null(g);
			assert_true(strlen(err) > 0);
			assert_true(e == ENG_ERR_TRUNCATED || e == ENG_ERR_FORMAT);
		} else {
			assert_int_equal(e, ENG_OK);
			eng_gguf_close(g);
		}
		free(p);
	}
	free(buf);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_bit_flips(void **state)
{
	(void)state;
	size_t len;
	unsigned char *buf = slurp("engine/micro-qwen2-q8_0.gguf", &len);
	struct eng_gguf *g;
	char err[300];
	assert_int_equal(eng_gguf_open_memory(buf, len, &g, err, sizeof err), ENG_OK);
	const size_t hdr = (size_t)eng_gguf_data_offset(g);
	eng_gguf_close(g);
	unsigned char *p = malloc(len);
	int n_ok = 0, n_err = 0;
	memcpy(p, buf, len);
	for (int iter = 0; iter < 3000; iter++) {
		size_t at[3];
		unsigned char mask[3];
		int flips = 1 + (int)(next_rand() % 3);
		for (int k = 0; k < flips; k++) {
			at[k] = next_rand() % hdr;
			mask[k] = (unsigned char)(1u << (next_rand() % 8));
			p[at[k]] ^= mask[k];
		}
		err[0] = 0;
		enum eng_err e = eng_gguf_open_memory(p, len, &g, err, sizeof err);
		if (e == ENG_OK) {
			n_ok++;
			/* whatever opened must be self-consistent */
			for (size_t i = 0; i < eng_gguf_n_tensors(g); i++) {
				const struct eng_gguf_tensor *t = eng_gguf_tensor(g, i);
				assert_true((const unsigned char *)t->data >= p + hdr);
				assert_true((const unsigned char *)t->data + t->nbytes <= p + len);
			}
			for (size_t i = 0; i < eng_gguf_n_kv(g); i++) {
				char b[64];
				eng_gguf_kv_format(g, i, b, sizeof b);
			}
			eng_gguf_close(g);
		} else {
			n_err++;
			assert_null(g);
			assert_true(strlen(err) > 0);
		}
		for (int k = flips - 1; k >= 0; k--)
			p[at[k]] ^= mask[k];
	}
	assert_memory_equal(p, buf, len);
	assert_true(n_err > 100);
	assert_true(n_ok > 10);   /* flips inside string bytes are harmless */
	free(p);
	free(buf);
}

/* ---- hand-built hostile files ---- */

struct bb {
	unsigned char b[4096];
	size_t n;
};

static void bb_raw(struct bb *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof b->b);
	memcpy(b->b + b->n, p, n);
	b->n += n;
}
static void bb_u32(struct bb *b, uint32_t v) { bb_raw(b, &v, 4); }
static void bb_u64(struct bb *b, uint64_t v) { bb_raw(b, &v, 8); }
static void bb_str(struct bb *b, const char *s)
{
	bb_u64(b, strlen(s));
	bb_raw(b, s, strlen(s));
}
static void bb_head(struct bb *b, uint64_t nt, uint64_t nkv)
{
	b->n = 0;
	bb_raw(b, "GGUF", 4);
	bb_u32(b, 3);
	bb_u64(b, nt);
	bb_u64(b, nkv);
}
static void bb_tensor(struct bb *b, const char *name, uint32_t nd, const uint64_t *ne, uint32_t type, uint64_t off)
{
	bb_str(b, name);
	bb_u32(b, nd);
	for (uint32_t i = 0; i < nd; i++)
		bb_u64(b, ne[i]);
	bb_u32(b, type);
	bb_u64(b, off);
}
static void bb_pad(struct bb *b, size_t extra)
{
	while (b->n % 32)
		b->b[b->n++] = 0;
	memset(b->b + b->n, 0, extra);
	b->n += extra;
}

static enum eng_err bb_open(struct bb *b, char *err, size_t errsz)
{
	struct eng_gguf *g;
	/* an exact-size heap copy so ASan catches over-reads */
	unsigned char *p = malloc(b->n);
	memcpy(p, b->b, b->n);
	enum eng_err e = eng_gguf_open_memory(p, b->n, &g, err, errsz);
	if (e == ENG_OK)
		eng_gguf_close(g);
	else
		assert_null(g);
	free(p);
	return e;
}

static void test_hostile(void **state)
{
	(void)state;
	struct bb b;
	char err[300];
	const uint64_t ne2[2] = { 32, 2 };

	/* a valid baseline: one KV, one Q8_0 tensor */
	bb_head(&b, 1, 1);
	bb_str(&b, "k");
	bb_u32(&b, ENG_GGUF_UINT32);
	bb_u32(&b, 7);
	bb_tensor(&b, "t", 2, ne2, ENG_TYPE_Q8_0, 0);
	bb_pad(&b, 68);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_OK);
	b.n -= 1;   /* one byte short of the data */
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_TRUNCATED);
	assert_non_null(strstr(err, "'t'"));

	/* string length near 2^64 */
	bb_head(&b, 0, 1);
	bb_u64(&b, UINT64_MAX - 3);
	bb_raw(&b, "abcd", 4);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_TRUNCATED);

	/* KV count larger than the file can hold */
	bb_head(&b, 0, UINT64_MAX / 2);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_TRUNCATED);
	bb_head(&b, UINT64_MAX, 0);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_TRUNCATED);

	/* array counts whose byte size overflows */
	bb_head(&b, 0, 1);
	bb_str(&b, "arr");
	bb_u32(&b, ENG_GGUF_ARRAY);
	bb_u32(&b, ENG_GGUF_UINT64);
	bb_u64(&b, (UINT64_MAX / 8) + 2);
	bb_u64(&b, 1);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_TRUNCATED);
	bb_head(&b, 0, 1);
	bb_str(&b, "arr");
	bb_u32(&b, ENG_GGUF_ARRAY);
	bb_u32(&b, ENG_GGUF_STRING);
	bb_u64(&b, UINT64_MAX);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_TRUNCATED);

	/* nested arrays, unknown value types */
	bb_head(&b, 0, 1);
	bb_str(&b, "arr");
	bb_u32(&b, ENG_GGUF_ARRAY);
	bb_u32(&b, ENG_GGUF_ARRAY);
	bb_u64(&b, 0);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_FORMAT);
	bb_head(&b, 0, 1);
	bb_str(&b, "x");
	bb_u32(&b, 13);
	bb_u32(&b, 0);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_FORMAT);

	/* duplicate keys */
	bb_head(&b, 0, 2);
	for (int i = 0; i < 2; i++) {
		bb_str(&b, "dup");
		bb_u32(&b, ENG_GGUF_UINT8);
		bb_raw(&b, "x", 1);
	}
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_FORMAT);
	assert_non_null(strstr(err, "duplicate"));

	/* bad alignment: not a power of two, and not uint32 */
	bb_head(&b, 0, 1);
	bb_str(&b, "general.alignment");
	bb_u32(&b, ENG_GGUF_UINT32);
	bb_u32(&b, 48);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_FORMAT);
	bb_head(&b, 0, 1);
	bb_str(&b, "general.alignment");
	bb_u32(&b, ENG_GGUF_UINT32);
	bb_u32(&b, 4);   /* power of two, but floats would end up misaligned */
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_FORMAT);
	bb_head(&b, 0, 1);
	bb_str(&b, "general.alignment");
	bb_u32(&b, ENG_GGUF_UINT64);
	bb_u64(&b, 64);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_FORMAT);

	/* n_dims 0 and 5 */
	const uint64_t ne5[5] = { 32, 1, 1, 1, 1 };
	bb_head(&b, 1, 0);
	bb_tensor(&b, "t", 5, ne5, ENG_TYPE_F32, 0);
	bb_pad(&b, 128);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_FORMAT);
	bb_head(&b, 1, 0);
	bb_tensor(&b, "t", 0, ne5, ENG_TYPE_F32, 0);
	bb_pad(&b, 128);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_FORMAT);

	/* element count overflow */
	const uint64_t big[3] = { 1ull << 32, 1ull << 32, 4 };
	bb_head(&b, 1, 0);
	bb_tensor(&b, "t", 3, big, ENG_TYPE_F32, 0);
	bb_pad(&b, 64);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_FORMAT);
	/* nbytes beyond the data (product fits, bytes do not) */
	const uint64_t big2[2] = { 1ull << 30, 1ull << 30 };
	bb_head(&b, 1, 0);
	bb_tensor(&b, "t", 2, big2, ENG_TYPE_F32, 0);
	bb_pad(&b, 64);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_TRUNCATED);

	/* row length not a multiple of the block size */
	const uint64_t ne_odd[2] = { 48, 1 };
	bb_head(&b, 1, 0);
	bb_tensor(&b, "t", 2, ne_odd, ENG_TYPE_Q4_K, 0);
	bb_pad(&b, 512);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_SHAPE);

	/* misaligned and out-of-range offsets */
	bb_head(&b, 1, 0);
	bb_tensor(&b, "t", 2, ne2, ENG_TYPE_Q8_0, 4);
	bb_pad(&b, 128);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_FORMAT);
	assert_non_null(strstr(err, "aligned"));
	bb_head(&b, 1, 0);
	bb_tensor(&b, "t", 2, ne2, ENG_TYPE_Q8_0, UINT64_MAX - 31);
	bb_pad(&b, 128);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_TRUNCATED);

	/* duplicate tensor names */
	bb_head(&b, 2, 0);
	bb_tensor(&b, "t", 2, ne2, ENG_TYPE_Q8_0, 0);
	bb_tensor(&b, "t", 2, ne2, ENG_TYPE_Q8_0, 96);
	bb_pad(&b, 192);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_FORMAT);
	assert_non_null(strstr(err, "duplicate"));

	/* names of 64+ bytes (ggml's limit) and with NUL bytes */
	char longname[80];
	memset(longname, 'a', 70);
	longname[70] = 0;
	bb_head(&b, 1, 0);
	bb_tensor(&b, longname, 2, ne2, ENG_TYPE_Q8_0, 0);
	bb_pad(&b, 96);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_FORMAT);

	/* unsupported tensor types: the message names it and what we support */
	bb_head(&b, 1, 0);
	bb_tensor(&b, "blk.0.ffn_up.weight", 2, ne2, 10, 0);
	bb_pad(&b, 256);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_UNSUPPORTED_TYPE);
	assert_non_null(strstr(err, "Q2_K"));
	assert_non_null(strstr(err, "Q4_K"));
	assert_non_null(strstr(err, "blk.0.ffn_up.weight"));
	bb_head(&b, 1, 0);
	bb_tensor(&b, "t", 2, ne2, 999, 0);
	bb_pad(&b, 256);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_UNSUPPORTED_TYPE);
	assert_non_null(strstr(err, "999"));
	bb_head(&b, 1, 0);
	bb_tensor(&b, "t", 2, ne2, ENG_TYPE_Q8_K, 0);   /* activation-only type */
	bb_pad(&b, 1024);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_ERR_UNSUPPORTED_TYPE);

	/* zero-sized dims are legal (empty tensor) */
	const uint64_t ne0[2] = { 32, 0 };
	bb_head(&b, 1, 0);
	bb_tensor(&b, "empty", 2, ne0, ENG_TYPE_F32, 0);
	bb_pad(&b, 0);
	assert_int_equal(bb_open(&b, err, sizeof err), ENG_OK);
}

/* ---- writer ---- */

struct fill_ud {
	int calls;
	uint64_t rows;
};

static enum eng_err fill_rows(void *ud, size_t ti, uint64_t row0, uint64_t n_rows, void *buf)
{
	struct fill_ud *f = ud;
	f->calls++;
	f->rows += n_rows;
	float *p = buf;
	for (uint64_t r = 0; r < n_rows; r++)
		for (int j = 0; j < 64; j++)
			p[r * 64 + j] = (float)(ti * 100000 + (row0 + r) * 64 + (uint64_t)j);
	return ENG_OK;
}

static void test_writer_round_trip(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_engine_gguf.XXXXXX", path[256], err[300];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/out.gguf", dir);
	struct eng_gguf *src = open_corpus("engine/micro-llama-f32.gguf");
	struct eng_gguf_writer *w;
	assert_int_equal(eng_gguf_writer_new(&w), ENG_OK);
	assert_int_equal(eng_gguf_writer_add_str(w, "general.architecture", "llama"), ENG_OK);
	assert_int_equal(eng_gguf_writer_add_u32(w, "llama.block_count", 3), ENG_OK);
	assert_int_equal(eng_gguf_writer_add_i32(w, "i32", -5), ENG_OK);
	assert_int_equal(eng_gguf_writer_add_u64(w, "u64", 1ull << 40), ENG_OK);
	assert_int_equal(eng_gguf_writer_add_f32(w, "f32", 0.25f), ENG_OK);
	assert_int_equal(eng_gguf_writer_add_bool(w, "flag", 1), ENG_OK);
	const float arr[3] = { 1, 2, 3 };
	assert_int_equal(eng_gguf_writer_add_arr(w, "farr", ENG_GGUF_FLOAT32, 3, arr), ENG_OK);
	const char *strs[3] = { "a", "", "ccc" };
	assert_int_equal(eng_gguf_writer_add_arr_str(w, "sarr", 3, strs, NULL), ENG_OK);
	assert_int_equal(eng_gguf_writer_add_u32(w, "llama.block_count", 4), ENG_ERR_INVALID_ARG);   /* dup */
	for (size_t i = 0; i < eng_gguf_n_kv(src); i++)
		if (strncmp(eng_gguf_kv_key(src, i), "tokenizer.", 10) == 0)
			assert_int_equal(eng_gguf_writer_copy_kv(w, src, i), ENG_OK);
	/* tensors: F32 borrowed, Q4_K borrowed, F32 filled by callback */
	const struct eng_gguf_tensor *emb = eng_gguf_tensor_find(src, "token_embd.weight");
	void *q4 = malloc(eng_type_row_bytes(ENG_TYPE_Q4_K, 256) * 512);
	eng_quant_traits(ENG_TYPE_Q4_K)->quantize(emb->data, q4, 256 * 512);
	const uint64_t ne_emb[2] = { 256, 512 }, ne_norm[1] = { 256 }, ne_fill[2] = { 64, 40000 };
	assert_int_equal(eng_gguf_writer_add_tensor(w, "token_embd.weight", ENG_TYPE_Q4_K, 2, ne_emb, q4), ENG_OK);
	assert_int_equal(eng_gguf_writer_add_tensor(w, "norm", ENG_TYPE_F32, 1, ne_norm,
						    eng_gguf_tensor_find(src, "output_norm.weight")->data), ENG_OK);
	assert_int_equal(eng_gguf_writer_add_tensor(w, "filled", ENG_TYPE_F32, 2, ne_fill, NULL), ENG_OK);
	const uint64_t ne_bad[2] = { 100, 1 };
	assert_int_equal(eng_gguf_writer_add_tensor(w, "bad", ENG_TYPE_Q4_K, 2, ne_bad, q4), ENG_ERR_SHAPE);
	assert_int_equal(eng_gguf_writer_add_tensor(w, "bad", 10, 2, ne_emb, q4), ENG_ERR_UNSUPPORTED_TYPE);
	assert_int_equal(eng_gguf_writer_add_tensor(w, "norm", ENG_TYPE_F32, 1, ne_norm, q4), ENG_ERR_INVALID_ARG);
	/* no fill callback for a NULL-data tensor */
	assert_int_equal(eng_gguf_writer_write(w, path, NULL, NULL, err, sizeof err), ENG_ERR_INVALID_ARG);
	assert_int_equal(access(path, F_OK), -1);
	struct fill_ud fu = { 0, 0 };
	assert_int_equal(eng_gguf_writer_write(w, path, fill_rows, &fu, err, sizeof err), ENG_OK);
	assert_true(fu.calls >= 2);   /* 10 MB in chunks of whole rows, at most 8 MiB */
	assert_int_equal(fu.rows, 40000);
	eng_gguf_writer_free(w);

	struct eng_gguf *g;
	if (eng_gguf_open(path, &g, err, sizeof err))
		fail_msg("%s", err);
	check_str(g, "general.architecture", "llama");
	check_u32(g, "llama.block_count", 3);
	int32_t i32;
	uint64_t u64;
	float f;
	int b;
	assert_int_equal(eng_gguf_get_i32(g, "i32", &i32), ENG_OK);
	assert_int_equal(i32, -5);
	assert_int_equal(eng_gguf_get_u64(g, "u64", &u64), ENG_OK);
	assert_int_equal(u64, 1ull << 40);
	assert_int_equal(eng_gguf_get_f32(g, "f32", &f), ENG_OK);
	assert_true(f == 0.25f);
	assert_int_equal(eng_gguf_get_bool(g, "flag", &b), ENG_OK);
	assert_int_equal(b, 1);
	uint32_t et;
	uint64_t n;
	const void *raw;
	assert_int_equal(eng_gguf_get_arr(g, "farr", &et, &n, &raw), ENG_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(raw, arr, sizeof arr);
	int64_t si = eng_gguf_find(g, "sarr");
	size_t len;
	assert_non_null(eng_gguf_arr_str(g, (size_t)si, 1, &len));
	assert_int_equal(len, 0);
	assert_memory_equal(eng_gguf_arr_str(g, (size_t)si, 2, &len), "ccc", 3);
	/* copied tokenizer KVs are byte-identical */
	for (size_t i = 0; i < eng_gguf_n_kv(src); i++) {
		const char *key = eng_gguf_kv_key(src, i);
		if (strncmp(key, "tokenizer.", 10))
			continue;
		int64_t j = eng_gguf_find(g, key);
		assert_true(j >= 0);
		size_t l1, l2;
		const void *r1 = eng_gguf_kv_raw(src, i, &l1), *r2 = eng_gguf_kv_raw(g, (size_t)j, &l2);
		assert_int_equal(l1, l2);
		assert_memory_equal(r1, r2, l1);
	}
	const struct eng_gguf_tensor *t = eng_gguf_tensor_find(g, "token_embd.weight");
	assert_int_equal(t->type, ENG_TYPE_Q4_K);
	assert_memory_equal(t->data, q4, t->nbytes);
	t = eng_gguf_tensor_find(g, "norm");
	assert_memory_equal(t->data, eng_gguf_tensor_find(src, "output_norm.weight")->data, 1024);
	t = eng_gguf_tensor_find(g, "filled");
	const float *fd = t->data;
	assert_true(fd[0] == 200000.0f);
	assert_true(fd[64 * 39999 + 63] == (float)(200000 + 39999 * 64 + 63));
	eng_gguf_close(g);
	eng_gguf_close(src);
	free(q4);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const char *shared = getenv("BRIEFING_SHARED");
	snprintf(corpus, sizeof corpus, "%s/corpus", shared && *shared ? shared : "../shared");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_engine),
		cmocka_unit_test(test_corpus_others),
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_truncated_prefixes),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_writer_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
