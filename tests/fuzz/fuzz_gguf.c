/* libFuzzer target for the GGUF reader (src/engine/gguf.c).
 *
 * Each input is tried twice:
 *   1. as a whole file (eng_gguf_open_memory on an exact-size copy);
 *   2. as edits to a small valid GGUF built here (KVs of every type, string
 *      and numeric arrays, tensors of several types): the input is read as
 *      (offset u16, byte) pairs written into the template, which reaches the
 *      deep parts of the format that random bytes never get past the magic.
 * Whatever opens is walked completely (every KV formatted, every string
 * array element, every tensor's data touched), so ASan sees any read the
 * validation let through. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"
#include "engine/quant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char tmpl[2048];
static size_t tmpl_len;

static void put(const void *p, size_t n)
{
	memcpy(tmpl + tmpl_len, p, n);
	tmpl_len += n;
}
static void put32(uint32_t v) { put(&v, 4); }
static void put64(uint64_t v) { put(&v, 8); }
static void putstr(const char *s)
{
	put64(strlen(s));
	put(s, strlen(s));
}

static void build_template(void)
{
	tmpl_len = 0;
	put("GGUF", 4);
	put32(3);
	put64(3);   /* tensors */
	put64(6);   /* KVs */
	putstr("general.architecture");
	put32(ENG_GGUF_STRING);
	putstr("llama");
	putstr("general.alignment");
	put32(ENG_GGUF_UINT32);
	put32(32);
	putstr("llama.rope.freq_base");
	put32(ENG_GGUF_FLOAT32);
	float f = 10000.0f;
	put(&f, 4);
	putstr("tokenizer.ggml.tokens");
	put32(ENG_GGUF_ARRAY);
	put32(ENG_GGUF_STRING);
	put64(3);
	putstr("<s>");
	putstr("");
	putstr("abc");
	putstr("tokenizer.ggml.scores");
	put32(ENG_GGUF_ARRAY);
	put32(ENG_GGUF_FLOAT32);
	put64(3);
	put(&f, 4);
	put(&f, 4);
	put(&f, 4);
	putstr("general.flag");
	put32(ENG_GGUF_BOOL);
	put("\1", 1);
	/* tensors: F32 [32], Q8_0 [32 x 2], Q4_K [256] */
	putstr("a");
	put32(1);
	put64(32);
	put32(ENG_TYPE_F32);
	put64(0);
	putstr("b");
	put32(2);
	put64(32);
	put64(2);
	put32(ENG_TYPE_Q8_0);
	put64(128);
	putstr("c");
	put32(1);
	put64(256);
	put32(ENG_TYPE_Q4_K);
	put64(224);
	while (tmpl_len % 32)
		tmpl[tmpl_len++] = 0;
	memset(tmpl + tmpl_len, 0x11, 224 + 144);
	tmpl_len += 224 + 144;
}

static void walk(const unsigned char *buf, size_t len)
{
	struct eng_gguf *g;
	char err[256];
	if (eng_gguf_open_memory(buf, len, &g, err, sizeof err) != ENG_OK) {
		if (g || strlen(err) == 0)
			abort();
		return;
	}
	volatile unsigned sink = 0;
	for (size_t i = 0; i < eng_gguf_n_kv(g); i++) {
		char line[128];
		eng_gguf_kv_format(g, i, line, sizeof line);
		const char *key = eng_gguf_kv_key(g, i);
		if (eng_gguf_find(g, key) < 0)
			abort();
		uint64_t n = eng_gguf_kv_arr_n(g, i);
		for (uint64_t j = 0; j < n && j < 4096; j++) {
			size_t sl;
			const char *s = eng_gguf_arr_str(g, i, j, &sl);
			if (s && sl)
				sink += (unsigned char)s[sl - 1];
		}
		size_t rl;
		const unsigned char *raw = eng_gguf_kv_raw(g, i, &rl);
		if (raw && rl)
			sink += raw[rl - 1];
		uint32_t u;
		float fv;
		const char *sv;
		int b;
		(void)eng_gguf_get_u32(g, key, &u);
		(void)eng_gguf_get_f32(g, key, &fv);
		(void)eng_gguf_get_bool(g, key, &b);
		(void)eng_gguf_get_str(g, key, &sv, NULL);
	}
	for (size_t i = 0; i < eng_gguf_n_tensors(g); i++) {
		const struct eng_gguf_tensor *t = eng_gguf_tensor(g, i);
		if (eng_gguf_tensor_find(g, t->name) != t)
			abort();
		if (t->nbytes) {
			const unsigned char *d = t->data;
			sink += d[0] + d[t->nbytes - 1];
		}
		/* dequantise the first row when small */
		const struct eng_quant_traits *tr = eng_quant_traits(t->type);
		if (!tr)
			abort();
		if (t->ne[0] && t->ne[0] <= 4096 && t->nbytes >= t->row_bytes) {
			float row[4096];
			tr->dequantize(t->data, row, (int64_t)t->ne[0]);
		}
	}
	(void)sink;
	eng_gguf_close(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	walk(copy, size);
	free(copy);

	if (!tmpl_len)
		build_template();
	unsigned char edited[sizeof tmpl];
	memcpy(edited, tmpl, tmpl_len);
	size_t len = tmpl_len;
	for (size_t i = 0; i + 3 <= size; i += 3) {
		size_t at = ((size_t)data[i] | (size_t)data[i + 1] << 8) % tmpl_len;
		edited[at] = data[i + 2];
	}
	if (size % 3 == 1)   /* odd tails truncate */
		len = data[size - 1] * tmpl_len / 256;
	/* exact-size heap copy so ASan sees reads past the end */
	unsigned char *t = malloc(len ? len : 1);
	if (!t)
		return 0;
	memcpy(t, edited, len);
	walk(t, len);
	free(t);
	return 0;
}
