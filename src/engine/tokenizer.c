/* tokenizer.c — BPE and SentencePiece tokenizers from GGUF metadata:
 * loading, queries and encoding (tok_decode.c turns ids back into text).
 * See tokenizer.h for the behaviour; the comments name the llama.cpp rule
 * each part follows.
 *
 * Data layout: every token text and every rendered piece lives in one arena
 * (offsets + lengths per id). Text -> id and merge pair -> rank are open
 * addressing hash tables of int32 indexes (power-of-two sized, load <= 1/2),
 * so encoding never scans the vocabulary.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"
#include "engine/tokenizer_int.h"

/* GGUF token types (tokenizer.ggml.token_type). */
enum { TT_UNDEFINED = 0, TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_USER_DEFINED = 4,
       TT_UNUSED = 5, TT_BYTE = 6 };

/* ---- small helpers -------------------------------------------------------- */

static uint64_t hash_bytes(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define HASH_SEED 0xcbf29ce484222325ULL

static uint32_t table_size_for(size_t n)
{
	uint32_t sz = 16;
	while (sz < 2 * n)
		sz <<= 1;
	return sz;
}

static const char *tok_text(const struct eng_tok *t, int32_t id, size_t *len)
{
	*len = t->text_len[id];
	return t->arena + t->text_off[id];
}

int32_t eng_tok_find(const struct eng_tok *t, const char *s, size_t n)
{
	if (!t || (!s && n))
		return -1;
	uint32_t i = (uint32_t)hash_bytes(HASH_SEED, s, n) & t->vmask;
	for (;; i = (i + 1) & t->vmask) {
		int32_t id = t->vmap[i];
		if (id < 0)
			return -1;
		if (t->text_len[id] == n && memcmp(t->arena + t->text_off[id], s, n) == 0)
			return id;
	}
}

/* Rank of merging left+right, or -1. */
static int32_t merge_rank(const struct eng_tok *t, const char *l, size_t ln, const char *r, size_t rn)
{
	if (!t->n_merges)
		return -1;
	uint64_t h = hash_bytes(HASH_SEED, l, ln);
	h = hash_bytes(h, " ", 1);
	h = hash_bytes(h, r, rn);
	for (uint32_t i = (uint32_t)h & t->mmask;; i = (i + 1) & t->mmask) {
		int32_t k = t->mmap_[i];
		if (k < 0)
			return -1;
		const struct merge *m = &t->merges[k];
		const char *ms = t->merge_arena + m->off;
		if (m->llen == ln && m->rlen == rn && memcmp(ms, l, ln) == 0 &&
		    memcmp(ms + ln + 1, r, rn) == 0)
			return m->rank; /* every stored merge has its space, so ms + ln + 1 is in bounds */
	}
}

/* Growable byte/int buffers used while encoding. */
struct ids {
	int32_t *p;
	size_t n, cap;
};

static int ids_push(struct ids *v, int32_t id)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		int32_t *p = realloc(v->p, cap * sizeof *p);
		if (!p)
			return -1;
		v->p = p;
		v->cap = cap;
	}
	v->p[v->n++] = id;
	return 0;
}

/* ---- loading ---------------------------------------------------------------- */

static int arena_put(struct eng_tok *t, const char *s, size_t n, uint32_t *off)
{
	if (t->arena_len + n > UINT32_MAX)
		return -1;
	if (t->arena_len + n > t->arena_cap) {
		size_t cap = t->arena_cap ? t->arena_cap : 4096;
		while (cap < t->arena_len + n)
			cap *= 2;
		char *p = realloc(t->arena, cap);
		if (!p)
			return -1;
		t->arena = p;
		t->arena_cap = cap;
	}
	if (n)
		memcpy(t->arena + t->arena_len, s, n);
	*off = (uint32_t)t->arena_len;
	t->arena_len += n;
	return 0;
}

struct pre_alias {
	const char *name;
	enum eng_pretok pre;
	const char *canon;
	signed char ignore_merges, clean_spaces, add_bos; /* add_bos: -1 keep default */
};

/* tokenizer.ggml.pre values llama.cpp maps onto the four splitting rules
 * implemented here (and their flags). */
static const struct pre_alias pre_aliases[] = {
	{ "llama3", ENG_PRETOK_LLAMA3, "llama3", 1, 1, 1 },
	{ "llama-v3", ENG_PRETOK_LLAMA3, "llama3", 1, 1, 1 },
	{ "llama-bpe", ENG_PRETOK_LLAMA3, "llama3", 1, 1, 1 },
	{ "falcon3", ENG_PRETOK_LLAMA3, "llama3", 1, 1, 1 },
	{ "dbrx", ENG_PRETOK_LLAMA3, "llama3", 0, 1, -1 },
	{ "smaug-bpe", ENG_PRETOK_LLAMA3, "llama3", 0, 1, -1 },
	{ "qwen2", ENG_PRETOK_QWEN2, "qwen2", 0, 0, -1 },
	{ "deepseek-r1-qwen", ENG_PRETOK_QWEN2, "qwen2", 0, 0, -1 },
	{ "megrez", ENG_PRETOK_QWEN2, "qwen2", 0, 1, -1 },
	{ "stablelm2", ENG_PRETOK_QWEN2, "qwen2", 0, 1, -1 },
	{ "smollm", ENG_PRETOK_SMOLLM, "smollm", 0, 0, -1 },
	{ "starcoder", ENG_PRETOK_SMOLLM, "smollm", 0, 1, -1 },
	{ "refact", ENG_PRETOK_SMOLLM, "smollm", 0, 1, -1 },
	{ "command-r", ENG_PRETOK_SMOLLM, "smollm", 0, 0, -1 },
	{ "codeshell", ENG_PRETOK_SMOLLM, "smollm", 0, 1, -1 },
	{ "exaone", ENG_PRETOK_SMOLLM, "smollm", 0, 1, -1 },
	{ "minerva-7b", ENG_PRETOK_SMOLLM, "smollm", 0, 1, -1 },
	{ "gpt-2", ENG_PRETOK_GPT2, "gpt2", 0, 1, -1 },
	{ "gpt2", ENG_PRETOK_GPT2, "gpt2", 0, 1, -1 },
	{ "phi-2", ENG_PRETOK_GPT2, "gpt2", 0, 1, -1 },
	{ "jina-es", ENG_PRETOK_GPT2, "gpt2", 0, 1, -1 },
	{ "jina-de", ENG_PRETOK_GPT2, "gpt2", 0, 1, -1 },
	{ "jina-v1-en", ENG_PRETOK_GPT2, "gpt2", 0, 1, -1 },
	{ "jina-v2-es", ENG_PRETOK_GPT2, "gpt2", 0, 1, -1 },
	{ "jina-v2-de", ENG_PRETOK_GPT2, "gpt2", 0, 1, -1 },
	{ "jina-v2-code", ENG_PRETOK_GPT2, "gpt2", 0, 1, -1 },
	{ "roberta-bpe", ENG_PRETOK_GPT2, "gpt2", 0, 1, -1 },
	{ "gigachat", ENG_PRETOK_GPT2, "gpt2", 0, 1, -1 },
	{ "mpt", ENG_PRETOK_GPT2, "gpt2", 0, 1, -1 },
	{ "olmo", ENG_PRETOK_GPT2, "gpt2", 0, 1, -1 },
	{ "jais", ENG_PRETOK_GPT2, "gpt2", 0, 1, -1 },
	{ "default", ENG_PRETOK_DEFAULT, "default", 0, 1, -1 },
};

static int read_token_id(const struct eng_gguf *g, const char *key, int n_vocab, int32_t *id)
{
	uint32_t v;
	if (eng_gguf_get_u32(g, key, &v) != ENG_OK)
		return 0;
	if (v < (uint32_t)n_vocab) /* out-of-range ids (e.g. 0xFFFFFFFF) keep the default */
		*id = (int32_t)v;
	return 1;
}

static void read_bool(const struct eng_gguf *g, const char *key, int *v)
{
	int b;
	if (eng_gguf_get_bool(g, key, &b) == ENG_OK)
		*v = b != 0;
}

static int contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

static void set_attr_by_text(struct eng_tok *t, const char *text, unsigned bit, int on)
{
	int32_t id = eng_tok_find(t, text, strlen(text));
	if (id < 0)
		return;
	if (on)
		t->attr[id] |= (uint16_t)bit;
	else
		t->attr[id] &= (uint16_t)~bit;
}

static int eog_add(struct eng_tok *t, int32_t id)
{
	if (id < 0)
		return 0;
	for (int i = 0; i < t->n_eog; i++)
		if (t->eog[i] == id)
			return 0;
	int32_t *p = realloc(t->eog, (size_t)(t->n_eog + 1) * sizeof *p);
	if (!p)
		return -1;
	t->eog = p;
	t->eog[t->n_eog++] = id;
	return 0;
}

/* Renders token id as llama_token_to_piece(special=true) does. */
static int render_piece(struct eng_tok *t, int32_t id)
{
	size_t n;
	const char *s = tok_text(t, id, &n);
	unsigned a = t->attr[id];
	struct bytes out = { 0 };
	int rc = 0;
	if (a & (ENG_TOK_ATTR_UNKNOWN | ENG_TOK_ATTR_CONTROL | ENG_TOK_ATTR_USER_DEFINED)) {
		rc = bytes_put(&out, s, n);
	} else if (t->type == ENG_TOK_SPM) {
		if (a & ENG_TOK_ATTR_NORMAL) {
			for (size_t i = 0; i < n && !rc;) {
				if (i + 3 <= n && memcmp(s + i, "\xE2\x96\x81", 3) == 0) {
					rc = bytes_put(&out, " ", 1);
					i += 3;
				} else {
					rc = bytes_put(&out, s + i, 1);
					i++;
				}
			}
		} else if ((a & ENG_TOK_ATTR_BYTE) && n >= 5) {
			char hex[3] = { s[3], s[4], 0 };
			unsigned char b = (unsigned char)strtol(hex, NULL, 16);
			rc = bytes_put(&out, &b, 1);
		}
	} else if (a & ENG_TOK_ATTR_NORMAL) {
		/* BPE: every code point of the text maps back to one byte */
		uint32_t *cps = malloc((n ? n : 1) * sizeof *cps);
		if (!cps)
			return -1;
		size_t nc = eng_utf8_decode(s, n, cps);
		for (size_t i = 0; i < nc && !rc; i++) {
			int b = eng_cp_to_byte(cps[i]);
			if (b >= 0) {
				unsigned char c = (unsigned char)b;
				rc = bytes_put(&out, &c, 1);
			} else {
				char u[4], hx[8];
				size_t k = eng_utf8_encode(cps[i], u);
				rc = bytes_put(&out, "[UNK_BYTE_0x", 12);
				for (size_t j = 0; j < k && !rc; j++) {
					snprintf(hx, sizeof hx, "%02x", (unsigned char)u[j]);
					rc = bytes_put(&out, hx, 2);
				}
				if (!rc)
					rc = bytes_put(&out, s, n);
				if (!rc)
					rc = bytes_put(&out, "]", 1);
			}
		}
		free(cps);
	}
	if (!rc)
		rc = arena_put(t, out.p, out.n, &t->piece_off[id]);
	t->piece_len[id] = (uint32_t)out.n;
	free(out.p);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static enum eng_err load_merges(struct eng_tok *t, const struct eng_gguf *g, char *err, size_t errsz)
{
	int64_t mi = eng_gguf_find(g, "tokenizer.ggml.merges");
	if (mi < 0) {
		eng_errbuf(err, errsz, "BPE tokenizer without tokenizer.ggml.merges");
		return ENG_ERR_MISSING_KEY;
	}
	if (eng_gguf_kv_type(g, (size_t)mi) != ENG_GGUF_ARRAY ||
	    eng_gguf_kv_arr_type(g, (size_t)mi) != ENG_GGUF_STRING) {
		eng_errbuf(err, errsz, "tokenizer.ggml.merges is not a string array");
		return ENG_ERR_SHAPE;
	}
	uint64_t n = eng_gguf_kv_arr_n(g, (size_t)mi);
	if (n > INT32_MAX / 4) {
		eng_errbuf(err, errsz, "too many merges");
		return ENG_ERR_SHAPE;
	}
	size_t total = 0;
	for (uint64_t j = 0; j < n; j++) {
		size_t len;
		if (!eng_gguf_arr_str(g, (size_t)mi, j, &len)) {
			eng_errbuf(err, errsz, "tokenizer.ggml.merges: element %llu unreadable", (unsigned long long)j);
			return ENG_ERR_FORMAT;
		}
		total += len;
	}
	if (total > UINT32_MAX) {
		eng_errbuf(err, errsz, "merges too large");
		return ENG_ERR_SHAPE;
	}
	t->merge_arena = malloc(total ? total : 1);
	t->merges = malloc((n ? n : 1) * sizeof *t->merges);
	t->mmask = table_size_for(n) - 1;
	t->mmap_ = malloc(((size_t)t->mmask + 1) * sizeof *t->mmap_);
	if (!t->merge_arena || !t->merges || !t->mmap_)
		return ENG_ERR_NOMEM;
	memset(t->mmap_, 0xFF, ((size_t)t->mmask + 1) * sizeof *t->mmap_);
	size_t off = 0;
	for (uint64_t j = 0; j < n; j++) {
		size_t len;
		const char *s = eng_gguf_arr_str(g, (size_t)mi, j, &len);
		memcpy(t->merge_arena + off, s, len);
		/* "left right", split at the first space after position 0 (a
		 * string without one would be the pair ("", ""), which no
		 * symbol pair ever asks for: skip it) */
		const char *sp = len > 1 ? memchr(s + 1, ' ', len - 1) : NULL;
		size_t ll = sp ? (size_t)(sp - s) : 0, rl = sp ? len - ll - 1 : 0;
		uint32_t moff = (uint32_t)off;
		off += len;
		if (!sp || ll > UINT16_MAX || rl > UINT16_MAX)
			continue;
		struct merge m = { moff, (uint16_t)ll, (uint16_t)rl, (int32_t)j };
		const char *l = t->merge_arena + m.off, *r = l + ll + 1;
		uint64_t h = hash_bytes(HASH_SEED, l, ll);
		h = hash_bytes(h, " ", 1);
		h = hash_bytes(h, r, rl);
		uint32_t i = (uint32_t)h & t->mmask;
		int dup = 0;
		for (;; i = (i + 1) & t->mmask) {
			int32_t k = t->mmap_[i];
			if (k < 0)
				break;
			const struct merge *o = &t->merges[k];
			const char *os = t->merge_arena + o->off;
			if (o->llen == ll && o->rlen == rl && memcmp(os, l, ll) == 0 &&
			    memcmp(os + ll + 1, r, rl) == 0) {
				dup = 1; /* the first rank wins (llama.cpp's emplace) */
				break;
			}
		}
		if (dup)
			continue;
		t->merges[t->n_merges] = m;
		t->mmap_[i] = t->n_merges++;
	}
	return ENG_OK;
}

enum eng_err eng_tok_load(const struct eng_gguf *g, struct eng_tok **out, char *err, size_t errsz)
{
	if (out)
		*out = NULL;
	if (!g || !out)
		return ENG_ERR_INVALID_ARG;
	if (err && errsz)
		err[0] = 0;

	const char *model = NULL;
	if (eng_gguf_get_str(g, "tokenizer.ggml.model", &model, NULL) != ENG_OK) {
		eng_errbuf(err, errsz, "no tokenizer.ggml.model in the file");
		return ENG_ERR_MISSING_KEY;
	}
	struct eng_tok *t = calloc(1, sizeof *t);
	if (!t)
		return ENG_ERR_NOMEM;
	enum eng_err rc = ENG_OK;
	t->bos = t->eos = t->eot = t->eom = t->unk = t->sep = t->pad = t->mask = -1;
	t->fim_pad = t->fim_rep = t->fim_sep = -1;
	for (int i = 0; i < 256; i++)
		t->spm_byte[i] = -1;

	const char *pre = NULL;
	eng_gguf_get_str(g, "tokenizer.ggml.pre", &pre, NULL);
	if (strcmp(model, "llama") == 0) {
		t->type = ENG_TOK_SPM;
		t->pre_name = "spm";
		t->bos = 1;
		t->eos = 2;
		t->unk = 0;
		t->add_space_prefix = 1;
		t->add_bos = 1;
	} else if (strcmp(model, "gpt2") == 0) {
		t->type = ENG_TOK_BPE;
		t->bos = t->eos = 11; /* llama.cpp's defaults for BPE */
		t->clean_spaces = 1;
		if (!pre || !*pre) {
			t->pre = ENG_PRETOK_DEFAULT;
			t->pre_name = "default";
		} else {
			size_t k;
			for (k = 0; k < sizeof pre_aliases / sizeof pre_aliases[0]; k++)
				if (strcmp(pre, pre_aliases[k].name) == 0)
					break;
			if (k == sizeof pre_aliases / sizeof pre_aliases[0]) {
				eng_errbuf(err, errsz,
					"unsupported pre-tokenizer '%s' (supported: llama3/llama-bpe, qwen2, "
					"smollm, gpt-2 and their aliases, default)", pre);
				rc = ENG_ERR_TOKENIZER;
				goto fail;
			}
			t->pre = pre_aliases[k].pre;
			t->pre_name = pre_aliases[k].canon;
			t->ignore_merges = pre_aliases[k].ignore_merges;
			t->clean_spaces = pre_aliases[k].clean_spaces;
			if (pre_aliases[k].add_bos >= 0)
				t->add_bos = pre_aliases[k].add_bos;
		}
	} else {
		eng_errbuf(err, errsz,
			"unsupported tokenizer model '%s' (supported: 'llama' = SentencePiece, 'gpt2' = BPE)",
			model);
		rc = ENG_ERR_TOKENIZER;
		goto fail;
	}
	read_bool(g, "tokenizer.ggml.add_space_prefix", &t->add_space_prefix);

	/* vocabulary */
	int64_t ti = eng_gguf_find(g, "tokenizer.ggml.tokens");
	if (ti < 0) {
		eng_errbuf(err, errsz, "no tokenizer.ggml.tokens in the file");
		rc = ENG_ERR_MISSING_KEY;
		goto fail;
	}
	if (eng_gguf_kv_type(g, (size_t)ti) != ENG_GGUF_ARRAY ||
	    eng_gguf_kv_arr_type(g, (size_t)ti) != ENG_GGUF_STRING) {
		eng_errbuf(err, errsz, "tokenizer.ggml.tokens is not a string array");
		rc = ENG_ERR_SHAPE;
		goto fail;
	}
	uint64_t nv = eng_gguf_kv_arr_n(g, (size_t)ti);
	if (nv == 0 || nv > (1u << 24)) {
		eng_errbuf(err, errsz, "tokenizer.ggml.tokens has an unusable size");
		rc = ENG_ERR_SHAPE;
		goto fail;
	}
	t->n_vocab = (int)nv;
	t->text_off = malloc(nv * sizeof *t->text_off);
	t->text_len = malloc(nv * sizeof *t->text_len);
	t->piece_off = malloc(nv * sizeof *t->piece_off);
	t->piece_len = malloc(nv * sizeof *t->piece_len);
	t->scores = calloc(nv, sizeof *t->scores);
	t->attr = malloc(nv * sizeof *t->attr);
	t->vmask = table_size_for(nv) - 1;
	t->vmap = malloc(((size_t)t->vmask + 1) * sizeof *t->vmap);
	if (!t->text_off || !t->text_len || !t->piece_off || !t->piece_len || !t->scores || !t->attr ||
	    !t->vmap) {
		rc = ENG_ERR_NOMEM;
		goto fail;
	}
	memset(t->vmap, 0xFF, ((size_t)t->vmask + 1) * sizeof *t->vmap);

	uint32_t st, tt;
	uint64_t sn, tn;
	const void *sraw = NULL, *traw = NULL;
	if (eng_gguf_get_arr(g, "tokenizer.ggml.scores", &st, &sn, &sraw) == ENG_OK) {
		if (st != ENG_GGUF_FLOAT32 || sn != nv || !sraw) {
			eng_errbuf(err, errsz, "tokenizer.ggml.scores: not one float32 per token");
			rc = ENG_ERR_SHAPE;
			goto fail;
		}
		memcpy(t->scores, sraw, nv * sizeof(float));
	}
	if (eng_gguf_get_arr(g, "tokenizer.ggml.token_type", &tt, &tn, &traw) == ENG_OK) {
		if ((tt != ENG_GGUF_INT32 && tt != ENG_GGUF_UINT32) || tn != nv || !traw) {
			eng_errbuf(err, errsz, "tokenizer.ggml.token_type: not one int32 per token");
			rc = ENG_ERR_SHAPE;
			goto fail;
		}
	}
	for (uint64_t i = 0; i < nv; i++) {
		size_t len;
		const char *s = eng_gguf_arr_str(g, (size_t)ti, i, &len);
		char empty[32];
		if (!s) {
			eng_errbuf(err, errsz, "tokenizer.ggml.tokens: element %llu unreadable", (unsigned long long)i);
			rc = ENG_ERR_FORMAT;
			goto fail;
		}
		if (len == 0) { /* llama.cpp renames empty tokens */
			len = (size_t)snprintf(empty, sizeof empty, "[EMPTY_%u]", (unsigned)i);
			s = empty;
		}
		if (arena_put(t, s, len, &t->text_off[i])) {
			rc = ENG_ERR_NOMEM;
			goto fail;
		}
		t->text_len[i] = (uint32_t)len;
		unsigned a = ENG_TOK_ATTR_NORMAL;
		if (traw) {
			int32_t ty;
			memcpy(&ty, (const char *)traw + i * 4, 4);
			switch (ty) {
			case TT_UNKNOWN: a = ENG_TOK_ATTR_UNKNOWN; break;
			case TT_UNUSED: a = ENG_TOK_ATTR_UNUSED; break;
			case TT_NORMAL: a = ENG_TOK_ATTR_NORMAL; break;
			case TT_CONTROL: a = ENG_TOK_ATTR_CONTROL; break;
			case TT_USER_DEFINED: a = ENG_TOK_ATTR_USER_DEFINED; break;
			case TT_BYTE: a = ENG_TOK_ATTR_BYTE; break;
			default: a = 0; break;
			}
		}
		t->attr[i] = (uint16_t)a;
	}
	/* text -> id; a duplicate text maps to its last id (as llama.cpp) */
	for (int32_t id = 0; id < t->n_vocab; id++) {
		size_t len;
		const char *s = tok_text(t, id, &len);
		uint32_t i = (uint32_t)hash_bytes(HASH_SEED, s, len) & t->vmask;
		for (;; i = (i + 1) & t->vmask) {
			int32_t o = t->vmap[i];
			if (o < 0 || (t->text_len[o] == len && memcmp(t->arena + t->text_off[o], s, len) == 0))
				break;
		}
		t->vmap[i] = id;
	}

	if (t->type == ENG_TOK_BPE) {
		rc = load_merges(t, g, err, errsz);
		if (rc != ENG_OK)
			goto fail;
	} else {
		static const char hex[] = "0123456789ABCDEF";
		for (int b = 0; b < 256; b++) {
			char name[7] = { '<', '0', 'x', hex[b >> 4], hex[b & 15], '>', 0 };
			int32_t id = eng_tok_find(t, name, 6);
			if (id < 0) {
				char c = (char)b;
				id = eng_tok_find(t, &c, 1);
			}
			t->spm_byte[b] = id;
		}
	}

	/* special ids and flags from metadata */
	read_token_id(g, "tokenizer.ggml.bos_token_id", t->n_vocab, &t->bos);
	read_token_id(g, "tokenizer.ggml.eos_token_id", t->n_vocab, &t->eos);
	read_token_id(g, "tokenizer.ggml.eot_token_id", t->n_vocab, &t->eot);
	read_token_id(g, "tokenizer.ggml.eom_token_id", t->n_vocab, &t->eom);
	read_token_id(g, "tokenizer.ggml.unknown_token_id", t->n_vocab, &t->unk);
	read_token_id(g, "tokenizer.ggml.seperator_token_id", t->n_vocab, &t->sep);
	read_token_id(g, "tokenizer.ggml.padding_token_id", t->n_vocab, &t->pad);
	read_token_id(g, "tokenizer.ggml.mask_token_id", t->n_vocab, &t->mask);
	read_token_id(g, "tokenizer.ggml.fim_pad_token_id", t->n_vocab, &t->fim_pad);
	read_token_id(g, "tokenizer.ggml.fim_rep_token_id", t->n_vocab, &t->fim_rep);
	read_token_id(g, "tokenizer.ggml.fim_sep_token_id", t->n_vocab, &t->fim_sep);
	read_bool(g, "tokenizer.ggml.add_bos_token", &t->add_bos);
	read_bool(g, "tokenizer.ggml.add_eos_token", &t->add_eos);
	if (t->bos >= t->n_vocab)
		t->bos = -1;
	if (t->eos >= t->n_vocab)
		t->eos = -1;
	if (t->unk >= t->n_vocab)
		t->unk = -1;

	/* end-of-turn tokens recognised by their text; they become CONTROL */
	static const char *const eot_texts[] = { "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
						 "<|endoftext|>", "<EOT>",
						 "<\xEF\xBD\x9C" "end\xE2\x96\x81" "of\xE2\x96\x81" "sentence\xEF\xBD\x9C>" };
	static const char *const eog_texts[] = { "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
						 "<|endoftext|>", "<|eom_id|>", "<EOT>" };
	/* (llama.cpp takes whichever candidate its hash map yields first; here
	 * the first text of the list that the vocabulary has wins) */
	for (size_t k = 0; k < sizeof eot_texts / sizeof eot_texts[0] && t->eot < 0; k++) {
		int32_t id = eng_tok_find(t, eot_texts[k], strlen(eot_texts[k]));
		if (id >= 0) {
			t->eot = id;
			t->attr[id] |= ENG_TOK_ATTR_CONTROL;
		}
	}
	if (t->eom < 0) {
		t->eom = eng_tok_find(t, "<|eom_id|>", 10);
		if (t->eom >= 0)
			t->attr[t->eom] |= ENG_TOK_ATTR_CONTROL;
	}
	if (eog_add(t, t->fim_pad) || eog_add(t, t->fim_rep) || eog_add(t, t->fim_sep)) {
		rc = ENG_ERR_NOMEM;
		goto fail;
	}
	for (size_t k = 0; k < sizeof eog_texts / sizeof eog_texts[0]; k++) {
		int32_t id = eng_tok_find(t, eog_texts[k], strlen(eog_texts[k]));
		if (id < 0)
			continue;
		if (eog_add(t, id)) {
			rc = ENG_ERR_NOMEM;
			goto fail;
		}
		t->attr[id] |= ENG_TOK_ATTR_CONTROL;
	}
	if (eog_add(t, t->eos) || eog_add(t, t->eot) || eog_add(t, t->eom)) {
		rc = ENG_ERR_NOMEM;
		goto fail;
	}

	/* special-token cache: longest text first (ties: lower id first) */
	for (int32_t id = 0; id < t->n_vocab; id++)
		if (t->attr[id] & (ENG_TOK_ATTR_CONTROL | ENG_TOK_ATTR_USER_DEFINED | ENG_TOK_ATTR_UNKNOWN))
			t->n_special++;
	t->special = malloc((size_t)(t->n_special ? t->n_special : 1) * sizeof *t->special);
	uint64_t *keys = malloc((size_t)(t->n_special ? t->n_special : 1) * sizeof *keys);
	if (!t->special || !keys) {
		free(keys);
		rc = ENG_ERR_NOMEM;
		goto fail;
	}
	t->n_special = 0;
	for (int32_t id = 0; id < t->n_vocab; id++)
		if (t->attr[id] & (ENG_TOK_ATTR_CONTROL | ENG_TOK_ATTR_USER_DEFINED | ENG_TOK_ATTR_UNKNOWN))
			keys[t->n_special++] = ((uint64_t)(UINT32_MAX - t->text_len[id]) << 32) | (uint32_t)id;
	qsort(keys, (size_t)t->n_special, sizeof *keys, cmp_u64);
	for (int i = 0; i < t->n_special; i++)
		t->special[i] = (int32_t)(keys[i] & 0xFFFFFFFFu);
	free(keys);

	/* rendered pieces */
	for (int32_t id = 0; id < t->n_vocab; id++) {
		if (render_piece(t, id)) {
			rc = ENG_ERR_NOMEM;
			goto fail;
		}
	}

	/* per-model token attributes llama.cpp sets by name */
	{
		const char *name = NULL;
		char lname[128] = "";
		if (eng_gguf_get_str(g, "general.name", &name, NULL) == ENG_OK && name) {
			size_t i;
			for (i = 0; name[i] && i + 1 < sizeof lname; i++)
				lname[i] = (char)tolower((unsigned char)name[i]);
			lname[i] = 0;
		}
		if (contains(pre, "jina-v2-de") || contains(pre, "jina-v2-es") ||
		    contains(pre, "jina-v2-code")) {
			set_attr_by_text(t, "<mask>", ENG_TOK_ATTR_LSTRIP, 1);
		} else if (contains(lname, "phi-3") || contains(lname, "phi3")) {
			for (int i = 0; i < t->n_special; i++)
				t->attr[t->special[i]] |= ENG_TOK_ATTR_RSTRIP;
			set_attr_by_text(t, "</s>", ENG_TOK_ATTR_RSTRIP, 1);
			set_attr_by_text(t, "<unk>", ENG_TOK_ATTR_RSTRIP, 0);
			set_attr_by_text(t, "<s>", ENG_TOK_ATTR_RSTRIP, 0);
			set_attr_by_text(t, "<|endoftext|>", ENG_TOK_ATTR_RSTRIP, 0);
		}
	}

	if (t->add_bos && t->bos < 0) {
		eng_errbuf(err, errsz, "the vocabulary asks for BOS but has no BOS token");
		rc = ENG_ERR_TOKENIZER;
		goto fail;
	}
	if (t->add_eos && t->eos < 0) {
		eng_errbuf(err, errsz, "the vocabulary asks for EOS but has no EOS token");
		rc = ENG_ERR_TOKENIZER;
		goto fail;
	}
	*out = t;
	return ENG_OK;
fail:
	if (rc == ENG_ERR_NOMEM)
		eng_errbuf(err, errsz, "out of memory loading the tokenizer");
	eng_tok_free(t);
	return rc;
}

void eng_tok_free(struct eng_tok *t)
{
	if (!t)
		return;
	free(t->arena);
	free(t->text_off);
	free(t->text_len);
	free(t->piece_off);
	free(t->piece_len);
	free(t->scores);
	free(t->attr);
	free(t->vmap);
	free(t->merges);
	free(t->merge_arena);
	free(t->mmap_);
	free(t->special);
	free(t->eog);
	free(t);
}

/* ---- queries ---------------------------------------------------------------------- */

enum eng_tok_type eng_tok_type(const struct eng_tok *t) { return t->type; }
const char *eng_tok_pre_name(const struct eng_tok *t) { return t->pre_name; }
int eng_tok_n_vocab(const struct eng_tok *t) { return t->n_vocab; }
int32_t eng_tok_bos(const struct eng_tok *t) { return t->bos; }
int32_t eng_tok_eos(const struct eng_tok *t) { return t->eos; }
int32_t eng_tok_eot(const struct eng_tok *t) { return t->eot; }
int32_t eng_tok_unk(const struct eng_tok *t) { return t->unk; }
int32_t eng_tok_pad(const struct eng_tok *t) { return t->pad; }
int eng_tok_add_bos(const struct eng_tok *t) { return t->add_bos; }
int eng_tok_add_eos(const struct eng_tok *t) { return t->add_eos; }

int eng_tok_is_eog(const struct eng_tok *t, int32_t id)
{
	if (!t || id < 0)
		return 0;
	for (int i = 0; i < t->n_eog; i++)
		if (t->eog[i] == id)
			return 1;
	return 0;
}

unsigned eng_tok_attr(const struct eng_tok *t, int32_t id)
{
	if (!t || id < 0 || id >= t->n_vocab)
		return 0;
	return t->attr[id];
}

const char *eng_tok_text(const struct eng_tok *t, int32_t id, size_t *len)
{
	if (!t || id < 0 || id >= t->n_vocab) {
		if (len)
			*len = 0;
		return NULL;
	}
	size_t n;
	const char *s = tok_text(t, id, &n);
	if (len)
		*len = n;
	return s;
}

const char *eng_tok_piece(const struct eng_tok *t, int32_t id, size_t *len)
{
	if (!t || id < 0 || id >= t->n_vocab) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = t->piece_len[id];
	return t->arena + t->piece_off[id];
}

/* ---- encoding: merge machinery ------------------------------------------------------ */

struct sym {
	int prev, next;
	uint32_t off;   /* into the word being merged */
	uint32_t n;     /* bytes; 0 once merged away */
};

struct bigram {
	int left, right;
	float score;    /* SPM: higher first */
	int32_t rank;   /* BPE: lower first */
	uint32_t size;
};

struct work {
	struct sym *sym;
	size_t nsym, capsym;
	struct bigram *heap;
	size_t nheap, capheap;
	uint32_t *cps;
	size_t capcps;
	size_t *lens;
	struct bytes word;
	struct bytes text;
	int spm;        /* heap order: SPM by score, BPE by rank */
};

/* a before b? SPM: higher score, then lower left; BPE: lower rank, then lower left */
static int bigram_before(const struct work *w, const struct bigram *a, const struct bigram *b)
{
	if (w->spm) {
		if (a->score != b->score)
			return a->score > b->score;
	} else if (a->rank != b->rank) {
		return a->rank < b->rank;
	}
	return a->left < b->left;
}

static int heap_push(struct work *w, struct bigram b)
{
	if (w->nheap == w->capheap) {
		size_t cap = w->capheap ? w->capheap * 2 : 64;
		struct bigram *p = realloc(w->heap, cap * sizeof *p);
		if (!p)
			return -1;
		w->heap = p;
		w->capheap = cap;
	}
	size_t i = w->nheap++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!bigram_before(w, &b, &w->heap[up]))
			break;
		w->heap[i] = w->heap[up];
		i = up;
	}
	w->heap[i] = b;
	return 0;
}

static struct bigram heap_pop(struct work *w)
{
	struct bigram top = w->heap[0];
	struct bigram last = w->heap[--w->nheap];
	size_t i = 0, n = w->nheap;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && bigram_before(w, &w->heap[c + 1], &w->heap[c]))
			c++;
		if (!bigram_before(w, &w->heap[c], &last))
			break;
		w->heap[i] = w->heap[c];
		i = c;
	}
	if (n)
		w->heap[i] = last;
	return top;
}

/* Splits s[0..n) into one symbol per UTF-8 character (lead-byte length,
 * clamped to the end). */
static int make_symbols(struct work *w, size_t n, const char *s)
{
	w->nsym = 0;
	if (w->capsym < n + 1) {
		struct sym *p = realloc(w->sym, (n + 1) * sizeof *p);
		if (!p)
			return -1;
		w->sym = p;
		w->capsym = n + 1;
	}
	size_t off = 0;
	while (off < n) {
		size_t len = eng_utf8_len((unsigned char)s[off]);
		if (len > n - off)
			len = n - off;
		struct sym *y = &w->sym[w->nsym];
		y->off = (uint32_t)off;
		y->n = (uint32_t)len;
		y->prev = (int)w->nsym - 1;
		off += len;
		y->next = off == n ? -1 : (int)w->nsym + 1;
		w->nsym++;
	}
	return 0;
}

static int spm_try_bigram(const struct eng_tok *t, struct work *w, const char *s, int left, int right)
{
	if (left < 0 || right < 0)
		return 0;
	const struct sym *a = &w->sym[left], *b = &w->sym[right];
	int32_t id = eng_tok_find(t, s + a->off, a->n + b->n);
	if (id < 0)
		return 0;
	struct bigram bg = { left, right, t->scores[id], 0, a->n + b->n };
	return heap_push(w, bg);
}

static int bpe_try_bigram(const struct eng_tok *t, struct work *w, const char *s, int left, int right)
{
	if (left < 0 || right < 0)
		return 0;
	const struct sym *a = &w->sym[left], *b = &w->sym[right];
	int32_t rank = merge_rank(t, s + a->off, a->n, s + b->off, b->n);
	if (rank < 0)
		return 0;
	struct bigram bg = { left, right, 0.0f, rank, a->n + b->n };
	return heap_push(w, bg);
}

/* Runs the merge loop over w->sym (text s). */
static int merge_symbols(const struct eng_tok *t, struct work *w, const char *s)
{
	int (*try_bigram)(const struct eng_tok *, struct work *, const char *, int, int) =
		w->spm ? spm_try_bigram : bpe_try_bigram;
	w->nheap = 0;
	for (size_t i = 1; i < w->nsym; i++)
		if (try_bigram(t, w, s, (int)i - 1, (int)i))
			return -1;
	while (w->nheap) {
		struct bigram bg = heap_pop(w);
		struct sym *l = &w->sym[bg.left], *r = &w->sym[bg.right];
		/* stale: one side already merged away or grown since */
		if (l->n == 0 || r->n == 0 || l->n + r->n != bg.size)
			continue;
		l->n += r->n;
		r->n = 0;
		l->next = r->next;
		if (r->next >= 0)
			w->sym[r->next].prev = bg.left;
		if (try_bigram(t, w, s, l->prev, bg.left) || try_bigram(t, w, s, bg.left, l->next))
			return -1;
	}
	return 0;
}

/* SentencePiece on one raw fragment (already space-prefixed as needed). */
static int spm_encode(const struct eng_tok *t, struct work *w, const char *frag, size_t n, int prefix,
		      struct ids *out)
{
	struct bytes *x = &w->text;
	x->n = 0;
	if (bytes_reserve(x, 3 * (n + 1) + 1))
		return -1;
	if (prefix)
		bytes_put(x, "\xE2\x96\x81", 3);
	for (size_t i = 0; i < n; i++) {
		if (frag[i] == ' ')
			bytes_put(x, "\xE2\x96\x81", 3);
		else
			bytes_put(x, frag + i, 1);
	}
	if (x->n == 0)
		return 0;
	w->spm = 1;
	if (make_symbols(w, x->n, x->p) || merge_symbols(t, w, x->p))
		return -1;
	for (int i = 0; i != -1; i = w->sym[i].next) {
		const struct sym *y = &w->sym[i];
		int32_t id = eng_tok_find(t, x->p + y->off, y->n);
		if (id >= 0) {
			if (ids_push(out, id))
				return -1;
			continue;
		}
		/* byte fallback: <0xNN> tokens, else unk */
		for (uint32_t j = 0; j < y->n; j++) {
			int32_t b = t->spm_byte[(unsigned char)x->p[y->off + j]];
			if (b < 0)
				b = t->unk;
			if (b >= 0 && ids_push(out, b))
				return -1;
		}
	}
	return 0;
}

/* Byte-level BPE on one raw fragment. */
static int bpe_encode(const struct eng_tok *t, struct work *w, const char *frag, size_t n,
		      struct ids *out)
{
	if (n == 0)
		return 0;
	if (w->capcps < n) {
		uint32_t *c = realloc(w->cps, n * sizeof *c);
		size_t *l = realloc(w->lens, n * sizeof *l);
		if (c)
			w->cps = c;
		if (l)
			w->lens = l;
		if (!c || !l)
			return -1;
		w->capcps = n;
	}
	size_t ncp = eng_utf8_decode(frag, n, w->cps);
	size_t npieces = eng_pretok_split(t->pre, w->cps, ncp, w->lens);
	w->spm = 0;
	size_t at = 0;
	for (size_t p = 0; p < npieces; p++) {
		/* piece -> UTF-8 -> each byte through the GPT-2 byte map */
		struct bytes *x = &w->word;
		x->n = 0;
		for (size_t k = at; k < at + w->lens[p]; k++) {
			char u[4];
			size_t ul = eng_utf8_encode(w->cps[k], u);
			for (size_t j = 0; j < ul; j++) {
				char m[4];
				size_t ml = eng_utf8_encode(eng_byte_to_cp((uint8_t)u[j]), m);
				if (bytes_put(x, m, ml))
					return -1;
			}
		}
		at += w->lens[p];
		if (t->ignore_merges) {
			int32_t id = eng_tok_find(t, x->p, x->n);
			if (id >= 0) {
				if (ids_push(out, id))
					return -1;
				continue;
			}
		}
		if (make_symbols(w, x->n, x->p) || merge_symbols(t, w, x->p))
			return -1;
		for (int i = 0; i != -1 && w->nsym; i = w->sym[i].next) {
			const struct sym *y = &w->sym[i];
			if (y->n == 0)
				continue;
			int32_t id = eng_tok_find(t, x->p + y->off, y->n);
			if (id >= 0) {
				if (ids_push(out, id))
					return -1;
				continue;
			}
			/* not a token: each byte on its own if that is one */
			for (uint32_t j = 0; j < y->n; j++) {
				int32_t b = eng_tok_find(t, x->p + y->off + j, 1);
				if (b >= 0 && ids_push(out, b))
					return -1;
			}
		}
	}
	return 0;
}

/* A fragment of the input: raw text [off, off+len) or a special token. */
struct frag {
	int32_t tok;  /* -1: raw text */
	size_t off, len;
};

struct frags {
	struct frag *p;
	size_t n, cap;
};

static int frags_push(struct frags *f, int32_t tok, size_t off, size_t len)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct frag *p = realloc(f->p, cap * sizeof *p);
		if (!p)
			return -1;
		f->p = p;
		f->cap = cap;
	}
	f->p[f->n++] = (struct frag){ tok, off, len };
	return 0;
}

/* Splits special-token text out of the raw fragments, longest token first
 * (llama.cpp's tokenizer_st_partition), with LSTRIP/RSTRIP. */
static int partition_special(const struct eng_tok *t, const char *text, size_t len, int parse_special,
			     struct frags *f)
{
	struct frags next = { 0 };
	if (len && frags_push(f, -1, 0, len))
		return -1;
	for (int si = 0; si < t->n_special; si++) {
		int32_t id = t->special[si];
		unsigned a = t->attr[id];
		if (!parse_special && (a & (ENG_TOK_ATTR_CONTROL | ENG_TOK_ATTR_UNKNOWN)))
			continue;
		size_t tl;
		const char *ts = tok_text(t, id, &tl);
		int found = 0;
		for (size_t i = 0; i < f->n && !found; i++)
			if (f->p[i].tok < 0 && f->p[i].len >= tl &&
			    memmem(text + f->p[i].off, f->p[i].len, ts, tl))
				found = 1;
		if (!found)
			continue;
		next.n = 0;
		for (size_t i = 0; i < f->n; i++) {
			struct frag fr = f->p[i];
			if (fr.tok >= 0) {
				if (frags_push(&next, fr.tok, 0, 0))
					goto oom;
				continue;
			}
			size_t base = fr.off, blen = fr.len;
			for (;;) {
				const char *m = blen >= tl ? memmem(text + base, blen, ts, tl) : NULL;
				if (!m) {
					if (blen > 0 && frags_push(&next, -1, base, blen))
						goto oom;
					break;
				}
				size_t mo = (size_t)(m - text);
				size_t llen = mo - base;
				if (a & ENG_TOK_ATTR_LSTRIP)
					while (llen > 0 && isspace((unsigned char)text[base + llen - 1]))
						llen--;
				if (llen > 0 && frags_push(&next, -1, base, llen))
					goto oom;
				if (frags_push(&next, id, 0, 0))
					goto oom;
				size_t roff = mo + tl, rlen = base + blen - roff;
				if (a & ENG_TOK_ATTR_RSTRIP)
					while (rlen > 0 && isspace((unsigned char)text[roff])) {
						roff++;
						rlen--;
					}
				base = roff;
				blen = rlen;
			}
		}
		struct frags tmp = *f;
		*f = next;
		next = tmp;
	}
	free(next.p);
	return 0;
oom:
	free(next.p);
	return -1;
}

static int encode_into(const struct eng_tok *t, const char *text, size_t len, int add_special,
		       int parse_special, struct ids *out)
{
	struct frags f = { 0 };
	struct work w = { 0 };
	int rc = -1;
	if (partition_special(t, text, len, parse_special, &f))
		goto done;
	if (add_special && t->add_bos && ids_push(out, t->bos))
		goto done;
	int prev_special = 1; /* SPM: a space prefix at the start and after specials */
	for (size_t i = 0; i < f.n; i++) {
		const struct frag *fr = &f.p[i];
		if (fr->tok >= 0) {
			if (ids_push(out, fr->tok))
				goto done;
			prev_special = 1;
			continue;
		}
		if (t->type == ENG_TOK_SPM) {
			if (spm_encode(t, &w, text + fr->off, fr->len, t->add_space_prefix && prev_special, out))
				goto done;
		} else if (bpe_encode(t, &w, text + fr->off, fr->len, out)) {
			goto done;
		}
		prev_special = 0;
	}
	if (add_special && t->add_eos && ids_push(out, t->eos))
		goto done;
	rc = 0;
done:
	free(f.p);
	free(w.sym);
	free(w.heap);
	free(w.cps);
	free(w.lens);
	free(w.word.p);
	free(w.text.p);
	return rc;
}

enum eng_err eng_tok_encode(const struct eng_tok *t, const char *text, size_t len, int add_special,
			    int parse_special, int32_t *ids, int max, int *n_out)
{
	int32_t *all = NULL;
	int n = 0;
	if (n_out)
		*n_out = 0;
	if (!ids && max > 0)
		return ENG_ERR_INVALID_ARG;
	enum eng_err rc = eng_tok_encode_alloc(t, text, len, add_special, parse_special, &all, &n);
	if (rc != ENG_OK)
		return rc;
	if (n_out)
		*n_out = n;
	int k = n < max ? n : (max > 0 ? max : 0);
	if (k > 0)
		memcpy(ids, all, (size_t)k * sizeof *ids);
	free(all);
	return n > max ? ENG_ERR_INVALID_ARG : ENG_OK;
}

enum eng_err eng_tok_encode_alloc(const struct eng_tok *t, const char *text, size_t len,
				  int add_special, int parse_special, int32_t **ids_out, int *n_out)
{
	if (ids_out)
		*ids_out = NULL;
	if (n_out)
		*n_out = 0;
	if (!t || !ids_out || !n_out || (!text && len))
		return ENG_ERR_INVALID_ARG;
	if (len > INT32_MAX / 4)
		return ENG_ERR_INVALID_ARG;
	struct ids v = { 0 };
	if (encode_into(t, text ? text : "", len, add_special, parse_special, &v)) {
		free(v.p);
		return ENG_ERR_NOMEM;
	}
	if (!v.p) {
		v.p = malloc(sizeof *v.p);
		if (!v.p)
			return ENG_ERR_NOMEM;
	}
	*ids_out = v.p;
	*n_out = (int)v.n;
	return ENG_OK;
}
