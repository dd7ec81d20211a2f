/* gguf.c — GGUF v2/v3 reader (mmap, fully validated at open).
 *
 * File layout (little-endian):
 *   "GGUF" u32 version, u64 n_tensors, u64 n_kv,
 *   n_kv x { string key, u32 type, value },
 *   n_tensors x { string name, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset },
 *   padding to the alignment, data section (tensor offsets relative to it).
 * string = u64 length + bytes; array value = u32 elem type, u64 n, elements.
 *
 * Every read goes through struct cur, which checks the remaining length
 * before touching a byte. Counts read from the file are bounded by the file
 * size before anything is allocated for them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/gguf.h"
#include "engine/quant.h"

#define MAX_NAME 64            /* ggml's GGML_MAX_NAME: tensor names are shorter */
#define MAX_KEY 65535

struct kv {
	char *key;                 /* NUL-terminated copy */
	uint32_t type;             /* ENG_GGUF_* */
	uint32_t arr_type;         /* arrays: element type */
	uint64_t arr_n;            /* arrays: element count */
	size_t val;                /* offset of the value (arrays: of the first element) */
	size_t raw_start, raw_end; /* the whole KV record, for copying */
	char *str;                 /* STRING: NUL-terminated copy */
	size_t str_len;
	uint64_t *str_off;         /* string arrays: offset of each element's bytes
				      (its validated u64 length sits just before) */
};

struct eng_gguf {
	const uint8_t *base;
	size_t size;
	int mapped;
	uint32_t version;
	uint32_t alignment;
	uint64_t n_kv, n_tensors;
	uint64_t data_off;
	struct kv *kv;
	struct eng_gguf_tensor *t;
	/* open-addressing hash of tensor names -> index + 1 (0 = empty) */
	uint32_t *thash;
	size_t thash_cap;
	uint32_t *khash;
	size_t khash_cap;
};

static const char *const type_names[ENG_GGUF_TYPE_COUNT] = {
	"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
	"bool", "string", "array", "uint64", "int64", "float64",
};

static const size_t type_sizes[ENG_GGUF_TYPE_COUNT] = {
	1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8,
};

const char *eng_gguf_type_name(uint32_t t)
{
	return t < ENG_GGUF_TYPE_COUNT ? type_names[t] : "?";
}

void eng_errbuf(char *err, size_t errsz, const char *fmt, ...)
{
	if (!err || errsz == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

/* ---- bounded cursor ----------------------------------------------------- */

struct cur {
	const uint8_t *p;
	size_t size, off;
	char *err;
	size_t errsz;
};

static enum eng_err need(struct cur *c, uint64_t n, const char *what)
{
	if (n > c->size - c->off) {
		eng_errbuf(c->err, c->errsz, "truncated: %s at offset %zu needs %" PRIu64
			" bytes, file has %zu", what, c->off, n, c->size - c->off);
		return ENG_ERR_TRUNCATED;
	}
	return ENG_OK;
}

static uint32_t ld32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t ld64(const uint8_t *p)
{
	return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32;
}

static enum eng_err rd_u32(struct cur *c, uint32_t *v, const char *what)
{
	enum eng_err e = need(c, 4, what);
	if (e)
		return e;
	*v = ld32(c->p + c->off);
	c->off += 4;
	return ENG_OK;
}

static enum eng_err rd_u64(struct cur *c, uint64_t *v, const char *what)
{
	enum eng_err e = need(c, 8, what);
	if (e)
		return e;
	*v = ld64(c->p + c->off);
	c->off += 8;
	return ENG_OK;
}

/* string: returns offset of the bytes and the length */
static enum eng_err rd_str(struct cur *c, size_t *at, uint64_t *len, const char *what)
{
	enum eng_err e = rd_u64(c, len, what);
	if (e)
		return e;
	if ((e = need(c, *len, what)))
		return e;
	*at = c->off;
	c->off += (size_t)*len;
	return ENG_OK;
}

static char *dup_n(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		return NULL;
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

/* ---- parse -------------------------------------------------------------- */

static void free_parsed(struct eng_gguf *g)
{
	if (g->kv) {
		for (uint64_t i = 0; i < g->n_kv; i++) {
			free(g->kv[i].key);
			free(g->kv[i].str);
			free(g->kv[i].str_off);
		}
		free(g->kv);
	}
	if (g->t) {
		for (uint64_t i = 0; i < g->n_tensors; i++)
			free((char *)g->t[i].name);
		free(g->t);
	}
	free(g->thash);
	free(g->khash);
}

static size_t pow2_cap(uint64_t n)
{
	size_t cap = 16;
	while (cap < n * 2)
		cap <<= 1;
	return cap;
}

static enum eng_err parse_value(struct cur *c, struct kv *kv, uint64_t ki)
{
	enum eng_err e;
	char what[64];
	snprintf(what, sizeof what, "value of KV %" PRIu64, ki);
	if (kv->type == ENG_GGUF_STRING) {
		size_t at;
		uint64_t len;
		if ((e = rd_str(c, &at, &len, what)))
			return e;
		kv->val = at;
		kv->str = dup_n(c->p + at, (size_t)len);
		kv->str_len = (size_t)len;
		return kv->str ? ENG_OK : ENG_ERR_NOMEM;
	}
	if (kv->type != ENG_GGUF_ARRAY) {
		if ((e = need(c, type_sizes[kv->type], what)))
			return e;
		kv->val = c->off;
		c->off += type_sizes[kv->type];
		return ENG_OK;
	}
	if ((e = rd_u32(c, &kv->arr_type, what)) || (e = rd_u64(c, &kv->arr_n, what)))
		return e;
	if (kv->arr_type >= ENG_GGUF_TYPE_COUNT || kv->arr_type == ENG_GGUF_ARRAY) {
		eng_errbuf(c->err, c->errsz, "KV '%s': bad array element type %" PRIu32, kv->key, kv->arr_type);
		return ENG_ERR_FORMAT;
	}
	kv->val = c->off;
	if (kv->arr_type != ENG_GGUF_STRING) {
		uint64_t esz = type_sizes[kv->arr_type];
		if (kv->arr_n > (c->size - c->off) / esz) {
			eng_errbuf(c->err, c->errsz, "truncated: array '%s' of %" PRIu64 " %s at offset %zu",
				kv->key, kv->arr_n, type_names[kv->arr_type], c->off);
			return ENG_ERR_TRUNCATED;
		}
		c->off += (size_t)(kv->arr_n * esz);
		return ENG_OK;
	}
	/* string array: each element needs at least its 8-byte length */
	if (kv->arr_n > (c->size - c->off) / 8) {
		eng_errbuf(c->err, c->errsz, "truncated: string array '%s' of %" PRIu64 " at offset %zu",
			kv->key, kv->arr_n, c->off);
		return ENG_ERR_TRUNCATED;
	}
	kv->str_off = malloc((size_t)(kv->arr_n ? kv->arr_n : 1) * sizeof(uint64_t));
	if (!kv->str_off)
		return ENG_ERR_NOMEM;
	for (uint64_t j = 0; j < kv->arr_n; j++) {
		size_t at;
		uint64_t len;
		if ((e = rd_str(c, &at, &len, what)))
			return e;
		kv->str_off[j] = at;
	}
	return ENG_OK;
}

static enum eng_err parse_tensor(struct eng_gguf *g, struct cur *c, uint64_t ti)
{
	struct eng_gguf_tensor *t = &g->t[ti];
	enum eng_err e;
	size_t at;
	uint64_t len;
	uint32_t nd, type;
	char what[64];
	snprintf(what, sizeof what, "tensor record %" PRIu64, ti);
	if ((e = rd_str(c, &at, &len, what)))
		return e;
	if (len >= MAX_NAME) {
		eng_errbuf(c->err, c->errsz, "tensor %" PRIu64 ": name of %" PRIu64 " bytes (limit %d)",
			ti, len, MAX_NAME - 1);
		return ENG_ERR_FORMAT;
	}
	if (!(t->name = dup_n(c->p + at, (size_t)len)))
		return ENG_ERR_NOMEM;
	if (strlen(t->name) != len) {
		eng_errbuf(c->err, c->errsz, "tensor %" PRIu64 ": name contains a NUL byte", ti);
		return ENG_ERR_FORMAT;
	}
	if ((e = rd_u32(c, &nd, what)))
		return e;
	if (nd < 1 || nd > ENG_GGUF_MAX_DIMS) {
		eng_errbuf(c->err, c->errsz, "tensor '%s': %" PRIu32 " dimensions (1..%d supported)",
			t->name, nd, ENG_GGUF_MAX_DIMS);
		return ENG_ERR_FORMAT;
	}
	t->n_dims = (int)nd;
	uint64_t nel = 1;
	for (int d = 0; d < 4; d++) {
		t->ne[d] = 1;
		if (d < (int)nd && (e = rd_u64(c, &t->ne[d], what)))
			return e;
		if (t->ne[d] > (uint64_t)INT64_MAX || (t->ne[d] && nel > (uint64_t)INT64_MAX / t->ne[d])) {
			eng_errbuf(c->err, c->errsz, "tensor '%s': element count overflows", t->name);
			return ENG_ERR_FORMAT;
		}
		nel *= t->ne[d];
	}
	t->n_elements = nel;
	if ((e = rd_u32(c, &type, what)) || (e = rd_u64(c, &t->offset, what)))
		return e;
	t->type = type;
	const struct eng_quant_traits *tr = eng_type_supported(type) ? eng_quant_traits_ref(type) : NULL;
	if (!tr) {
		const char *nm = eng_type_name(type);
		eng_errbuf(c->err, c->errsz, "tensor '%s': unsupported type %s (%" PRIu32 "); supported: %s",
			t->name, nm ? nm : "unknown", type, eng_type_supported_list());
		return ENG_ERR_UNSUPPORTED_TYPE;
	}
	if (t->ne[0] % (uint64_t)tr->blck_size) {
		eng_errbuf(c->err, c->errsz, "tensor '%s': row length %" PRIu64 " is not a multiple of %s's block size %" PRId64,
			t->name, t->ne[0], tr->name, tr->blck_size);
		return ENG_ERR_SHAPE;
	}
	t->row_bytes = t->ne[0] / (uint64_t)tr->blck_size * tr->type_size;
	uint64_t rows = nel / (t->ne[0] ? t->ne[0] : 1);
	if (t->ne[0] == 0)
		rows = 0;
	if (rows && t->row_bytes > UINT64_MAX / rows) {
		eng_errbuf(c->err, c->errsz, "tensor '%s': size overflows", t->name);
		return ENG_ERR_FORMAT;
	}
	t->nbytes = t->row_bytes * rows;
	return ENG_OK;
}

static enum eng_err hash_insert(uint32_t *tab, size_t cap, const char *name, uint32_t idx,
				const char *(*get)(const struct eng_gguf *, uint32_t),
				const struct eng_gguf *g)
{
	size_t m = cap - 1, h = (size_t)hash_str(name) & m;
	while (tab[h]) {
		if (strcmp(get(g, tab[h] - 1), name) == 0)
			return ENG_ERR_FORMAT;
		h = (h + 1) & m;
	}
	tab[h] = idx + 1;
	return ENG_OK;
}

static const char *tname_at(const struct eng_gguf *g, uint32_t i) { return g->t[i].name; }
static const char *kname_at(const struct eng_gguf *g, uint32_t i) { return g->kv[i].key; }

static enum eng_err parse(struct eng_gguf *g, char *err, size_t errsz)
{
	struct cur c = { g->base, g->size, 0, err, errsz };
	enum eng_err e;
	uint32_t magic;
	if (g->size < 4 || memcmp(g->base, "GGUF", 4) != 0) {
		eng_errbuf(err, errsz, "not a GGUF file (bad magic)");
		return ENG_ERR_FORMAT;
	}
	c.off = 4;
	(void)magic;
	if ((e = rd_u32(&c, &g->version, "version")))
		return e;
	if (g->version == 1) {
		eng_errbuf(err, errsz, "GGUF version 1 is not supported (only versions 2 and 3); "
			"re-convert the model with a current llama.cpp");
		return ENG_ERR_VERSION;
	}
	if (g->version != 2 && g->version != 3) {
		if ((g->version & 0xffff) == 0 && g->version != 0)
			eng_errbuf(err, errsz, "GGUF version %" PRIu32 ": a big-endian file? only little-endian "
				"GGUF v2/v3 is supported", g->version);
		else
			eng_errbuf(err, errsz, "GGUF version %" PRIu32 " is not supported (only 2 and 3)", g->version);
		return ENG_ERR_VERSION;
	}
	if ((e = rd_u64(&c, &g->n_tensors, "tensor count")) || (e = rd_u64(&c, &g->n_kv, "KV count")))
		return e;
	/* each KV takes >= 13 bytes, each tensor record >= 32 */
	if (g->n_kv > (g->size - c.off) / 13 || g->n_tensors > (g->size - c.off) / 32 ||
	    g->n_tensors >= UINT32_MAX || g->n_kv >= UINT32_MAX) {
		eng_errbuf(err, errsz, "truncated: header claims %" PRIu64 " KVs and %" PRIu64
			" tensors, more than a %zu-byte file can hold", g->n_kv, g->n_tensors, g->size);
		return ENG_ERR_TRUNCATED;
	}
	g->kv = calloc(g->n_kv ? g->n_kv : 1, sizeof *g->kv);
	g->t = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *g->t);
	g->khash_cap = pow2_cap(g->n_kv);
	g->thash_cap = pow2_cap(g->n_tensors);
	g->khash = calloc(g->khash_cap, sizeof *g->khash);
	g->thash = calloc(g->thash_cap, sizeof *g->thash);
	if (!g->kv || !g->t || !g->khash || !g->thash)
		return ENG_ERR_NOMEM;

	g->alignment = ENG_GGUF_DEFAULT_ALIGNMENT;
	for (uint64_t i = 0; i < g->n_kv; i++) {
		struct kv *kv = &g->kv[i];
		size_t at;
		uint64_t len;
		char what[48];
		snprintf(what, sizeof what, "key of KV %" PRIu64, i);
		kv->raw_start = c.off;
		if ((e = rd_str(&c, &at, &len, what)))
			return e;
		if (len > MAX_KEY) {
			eng_errbuf(err, errsz, "KV %" PRIu64 ": key of %" PRIu64 " bytes", i, len);
			return ENG_ERR_FORMAT;
		}
		if (!(kv->key = dup_n(c.p + at, (size_t)len)))
			return ENG_ERR_NOMEM;
		if ((e = rd_u32(&c, &kv->type, what)))
			return e;
		if (kv->type >= ENG_GGUF_TYPE_COUNT) {
			eng_errbuf(err, errsz, "KV '%s': unknown value type %" PRIu32, kv->key, kv->type);
			return ENG_ERR_FORMAT;
		}
		if ((e = parse_value(&c, kv, i)))
			return e;
		kv->raw_end = c.off;
		if (hash_insert(g->khash, g->khash_cap, kv->key, (uint32_t)i, kname_at, g)) {
			eng_errbuf(err, errsz, "duplicate key '%s'", kv->key);
			return ENG_ERR_FORMAT;
		}
		if (strcmp(kv->key, "general.alignment") == 0) {
			uint32_t a;
			if (kv->type != ENG_GGUF_UINT32) {
				eng_errbuf(err, errsz, "general.alignment has type %s, expected uint32",
					type_names[kv->type]);
				return ENG_ERR_FORMAT;
			}
			a = ld32(g->base + kv->val);
			/* tensor data is used in place, as floats and fp16: the GGUF
			 * spec's "multiple of 8" keeps every element aligned */
			if (a < 8 || (a & (a - 1)) || a > (1u << 24)) {
				eng_errbuf(err, errsz, "general.alignment %" PRIu32 " is not a power of two "
					"from 8 to 2^24", a);
				return ENG_ERR_FORMAT;
			}
			g->alignment = a;
		}
	}
	for (uint64_t i = 0; i < g->n_tensors; i++) {
		if ((e = parse_tensor(g, &c, i)))
			return e;
		if (hash_insert(g->thash, g->thash_cap, g->t[i].name, (uint32_t)i, tname_at, g)) {
			eng_errbuf(err, errsz, "duplicate tensor name '%s'", g->t[i].name);
			return ENG_ERR_FORMAT;
		}
	}
	/* data section */
	uint64_t a = g->alignment;
	uint64_t doff = ((uint64_t)c.off + a - 1) / a * a;
	if (g->n_tensors == 0) {
		g->data_off = doff < g->size ? doff : g->size;
		return ENG_OK;
	}
	if (doff > g->size) {
		eng_errbuf(err, errsz, "truncated: data section would start at %" PRIu64 ", file has %zu bytes",
			doff, g->size);
		return ENG_ERR_TRUNCATED;
	}
	g->data_off = doff;
	uint64_t dsize = g->size - doff;
	for (uint64_t i = 0; i < g->n_tensors; i++) {
		struct eng_gguf_tensor *t = &g->t[i];
		if (t->offset % a) {
			eng_errbuf(err, errsz, "tensor '%s': data offset %" PRIu64 " not aligned to %" PRIu64,
				t->name, t->offset, a);
			return ENG_ERR_FORMAT;
		}
		if (t->offset > dsize || t->nbytes > dsize - t->offset) {
			eng_errbuf(err, errsz, "truncated: tensor '%s' data [%" PRIu64 ", +%" PRIu64
				") lies outside the %" PRIu64 "-byte data section", t->name, t->offset,
				t->nbytes, dsize);
			return ENG_ERR_TRUNCATED;
		}
		t->data = g->base + doff + t->offset;
	}
	return ENG_OK;
}

static enum eng_err open_common(struct eng_gguf *g, struct eng_gguf **out, char *err, size_t errsz)
{
	enum eng_err e = parse(g, err, errsz);
	if (e) {
		if (e == ENG_ERR_NOMEM)
			eng_errbuf(err, errsz, "out of memory while reading the GGUF header");
		eng_gguf_close(g);
		return e;
	}
	*out = g;
	return ENG_OK;
}

enum eng_err eng_gguf_open_memory(const void *buf, size_t len, struct eng_gguf **out,
				  char *err, size_t errsz)
{
	if (!out)
		return ENG_ERR_INVALID_ARG;
	*out = NULL;
	if (err && errsz)
		err[0] = 0;
	if (!buf && len) {
		eng_errbuf(err, errsz, "NULL buffer");
		return ENG_ERR_INVALID_ARG;
	}
	if ((uintptr_t)buf % 8) {
		eng_errbuf(err, errsz, "buffer not 8-byte aligned (tensor data is read in place)");
		return ENG_ERR_INVALID_ARG;
	}
	struct eng_gguf *g = calloc(1, sizeof *g);
	if (!g) {
		eng_errbuf(err, errsz, "out of memory");
		return ENG_ERR_NOMEM;
	}
	g->base = buf;
	g->size = len;
	return open_common(g, out, err, errsz);
}

enum eng_err eng_gguf_open(const char *path, struct eng_gguf **out, char *err, size_t errsz)
{
	if (!out || !path)
		return ENG_ERR_INVALID_ARG;
	*out = NULL;
	if (err && errsz)
		err[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		eng_errbuf(err, errsz, "%s: %s", path, strerror(errno));
		return ENG_ERR_IO;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		eng_errbuf(err, errsz, "%s: not a regular file", path);
		close(fd);
		return ENG_ERR_IO;
	}
	if (st.st_size < 4) {
		eng_errbuf(err, errsz, "%s: file of %lld bytes is too short for GGUF", path, (long long)st.st_size);
		close(fd);
		return ENG_ERR_FORMAT;
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		eng_errbuf(err, errsz, "%s: too large to map", path);
		close(fd);
		return ENG_ERR_IO;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	int saved = errno;
	close(fd);
	if (p == MAP_FAILED) {
		eng_errbuf(err, errsz, "%s: mmap: %s", path, strerror(saved));
		return ENG_ERR_IO;
	}
	struct eng_gguf *g = calloc(1, sizeof *g);
	if (!g) {
		munmap(p, (size_t)st.st_size);
		eng_errbuf(err, errsz, "out of memory");
		return ENG_ERR_NOMEM;
	}
	g->base = p;
	g->size = (size_t)st.st_size;
	g->mapped = 1;
	enum eng_err e = open_common(g, out, err, errsz);
	if (e && err && errsz) {
		/* prefix the path */
		char tmp[512];
		snprintf(tmp, sizeof tmp, "%s", err);
		eng_errbuf(err, errsz, "%s: %s", path, tmp);
	}
	return e;
}

void eng_gguf_close(struct eng_gguf *g)
{
	if (!g)
		return;
	free_parsed(g);
	if (g->mapped)
		munmap((void *)g->base, g->size);
	free(g);
}

uint32_t eng_gguf_version(const struct eng_gguf *g) { return g->version; }
size_t eng_gguf_n_kv(const struct eng_gguf *g) { return (size_t)g->n_kv; }
size_t eng_gguf_n_tensors(const struct eng_gguf *g) { return (size_t)g->n_tensors; }
uint32_t eng_gguf_alignment(const struct eng_gguf *g) { return g->alignment; }
uint64_t eng_gguf_data_offset(const struct eng_gguf *g) { return g->data_off; }
uint64_t eng_gguf_file_size(const struct eng_gguf *g) { return g->size; }
const void *eng_gguf_base(const struct eng_gguf *g) { return g->base; }

/* ---- metadata ------------------------------------------------------------ */

int64_t eng_gguf_find(const struct eng_gguf *g, const char *key)
{
	if (!g || !key || !g->khash)
		return -1;
	size_t m = g->khash_cap - 1, h = (size_t)hash_str(key) & m;
	while (g->khash[h]) {
		uint32_t i = g->khash[h] - 1;
		if (strcmp(g->kv[i].key, key) == 0)
			return i;
		h = (h + 1) & m;
	}
	return -1;
}

const char *eng_gguf_kv_key(const struct eng_gguf *g, size_t i)
{
	return i < g->n_kv ? g->kv[i].key : NULL;
}

uint32_t eng_gguf_kv_type(const struct eng_gguf *g, size_t i)
{
	return i < g->n_kv ? g->kv[i].type : ENG_GGUF_TYPE_COUNT;
}

uint32_t eng_gguf_kv_arr_type(const struct eng_gguf *g, size_t i)
{
	return i < g->n_kv && g->kv[i].type == ENG_GGUF_ARRAY ? g->kv[i].arr_type : 0;
}

uint64_t eng_gguf_kv_arr_n(const struct eng_gguf *g, size_t i)
{
	return i < g->n_kv && g->kv[i].type == ENG_GGUF_ARRAY ? g->kv[i].arr_n : 0;
}

const void *eng_gguf_kv_arr_data(const struct eng_gguf *g, size_t i)
{
	if (i >= g->n_kv || g->kv[i].type != ENG_GGUF_ARRAY || g->kv[i].arr_type == ENG_GGUF_STRING)
		return NULL;
	return g->base + g->kv[i].val;
}

const char *eng_gguf_arr_str(const struct eng_gguf *g, size_t i, uint64_t j, size_t *len)
{
	if (i >= g->n_kv || g->kv[i].type != ENG_GGUF_ARRAY || g->kv[i].arr_type != ENG_GGUF_STRING ||
	    j >= g->kv[i].arr_n)
		return NULL;
	if (len)
		*len = (size_t)ld64(g->base + g->kv[i].str_off[j] - 8);
	return (const char *)g->base + g->kv[i].str_off[j];
}

/* Scalar of type t at p as int64/uint64/double. */
struct num {
	int is_int, is_neg;
	uint64_t u;   /* magnitude if int */
	double d;
};

static int read_num(uint32_t t, const uint8_t *p, struct num *n)
{
	memset(n, 0, sizeof *n);
	n->is_int = 1;
	switch (t) {
	case ENG_GGUF_UINT8: n->u = p[0]; break;
	case ENG_GGUF_INT8: { int8_t v = (int8_t)p[0]; n->is_neg = v < 0; n->u = (uint64_t)(v < 0 ? -(int64_t)v : v); break; }
	case ENG_GGUF_UINT16: n->u = (uint64_t)p[0] | (uint64_t)p[1] << 8; break;
	case ENG_GGUF_INT16: { int16_t v = (int16_t)((uint16_t)p[0] | (uint16_t)p[1] << 8); n->is_neg = v < 0; n->u = (uint64_t)(v < 0 ? -(int64_t)v : v); break; }
	case ENG_GGUF_UINT32: n->u = ld32(p); break;
	case ENG_GGUF_INT32: { int32_t v = (int32_t)ld32(p); n->is_neg = v < 0; n->u = v < 0 ? (uint64_t)(-(int64_t)v) : (uint64_t)v; break; }
	case ENG_GGUF_UINT64: n->u = ld64(p); break;
	case ENG_GGUF_INT64: { int64_t v = (int64_t)ld64(p); n->is_neg = v < 0; n->u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v; break; }
	case ENG_GGUF_FLOAT32: { uint32_t b = ld32(p); float f; memcpy(&f, &b, 4); n->is_int = 0; n->d = f; break; }
	case ENG_GGUF_FLOAT64: { uint64_t b = ld64(p); double d; memcpy(&d, &b, 8); n->is_int = 0; n->d = d; break; }
	default: return 0;
	}
	if (n->is_int)
		n->d = n->is_neg ? -(double)n->u : (double)n->u;
	return 1;
}

static enum eng_err get_num(const struct eng_gguf *g, const char *key, struct num *n)
{
	int64_t i = eng_gguf_find(g, key);
	if (i < 0)
		return ENG_ERR_NOT_FOUND;
	if (!read_num(g->kv[i].type, g->base + g->kv[i].val, n))
		return ENG_ERR_SHAPE;
	return ENG_OK;
}

static enum eng_err get_int(const struct eng_gguf *g, const char *key, struct num *n)
{
	enum eng_err e = get_num(g, key, n);
	if (e)
		return e;
	return n->is_int ? ENG_OK : ENG_ERR_SHAPE;
}

enum eng_err eng_gguf_get_u32(const struct eng_gguf *g, const char *key, uint32_t *out)
{
	struct num n;
	enum eng_err e = get_int(g, key, &n);
	if (e)
		return e;
	if (n.is_neg || n.u > UINT32_MAX)
		return ENG_ERR_SHAPE;
	*out = (uint32_t)n.u;
	return ENG_OK;
}

enum eng_err eng_gguf_get_i32(const struct eng_gguf *g, const char *key, int32_t *out)
{
	struct num n;
	enum eng_err e = get_int(g, key, &n);
	if (e)
		return e;
	if (n.is_neg ? n.u > (uint64_t)INT32_MAX + 1 : n.u > INT32_MAX)
		return ENG_ERR_SHAPE;
	*out = n.is_neg ? (int32_t)(-(int64_t)n.u) : (int32_t)n.u;
	return ENG_OK;
}

enum eng_err eng_gguf_get_u64(const struct eng_gguf *g, const char *key, uint64_t *out)
{
	struct num n;
	enum eng_err e = get_int(g, key, &n);
	if (e)
		return e;
	if (n.is_neg)
		return ENG_ERR_SHAPE;
	*out = n.u;
	return ENG_OK;
}

enum eng_err eng_gguf_get_i64(const struct eng_gguf *g, const char *key, int64_t *out)
{
	struct num n;
	enum eng_err e = get_int(g, key, &n);
	if (e)
		return e;
	if (n.is_neg ? n.u > (uint64_t)INT64_MAX + 1 : n.u > INT64_MAX)
		return ENG_ERR_SHAPE;
	*out = n.is_neg ? (int64_t)(0 - n.u) : (int64_t)n.u;
	return ENG_OK;
}

enum eng_err eng_gguf_get_f32(const struct eng_gguf *g, const char *key, float *out)
{
	struct num n;
	enum eng_err e = get_num(g, key, &n);
	if (e)
		return e;
	*out = (float)n.d;
	return ENG_OK;
}

enum eng_err eng_gguf_get_bool(const struct eng_gguf *g, const char *key, int *out)
{
	int64_t i = eng_gguf_find(g, key);
	if (i < 0)
		return ENG_ERR_NOT_FOUND;
	if (g->kv[i].type == ENG_GGUF_BOOL) {
		*out = g->base[g->kv[i].val] != 0;
		return ENG_OK;
	}
	struct num n;
	if (!read_num(g->kv[i].type, g->base + g->kv[i].val, &n) || !n.is_int)
		return ENG_ERR_SHAPE;
	*out = n.u != 0;
	return ENG_OK;
}

enum eng_err eng_gguf_get_str(const struct eng_gguf *g, const char *key, const char **out, size_t *len)
{
	int64_t i = eng_gguf_find(g, key);
	if (i < 0)
		return ENG_ERR_NOT_FOUND;
	if (g->kv[i].type != ENG_GGUF_STRING)
		return ENG_ERR_SHAPE;
	*out = g->kv[i].str;
	if (len)
		*len = g->kv[i].str_len;
	return ENG_OK;
}

enum eng_err eng_gguf_get_arr(const struct eng_gguf *g, const char *key, uint32_t *elem_type,
			      uint64_t *n, const void **raw)
{
	int64_t i = eng_gguf_find(g, key);
	if (i < 0)
		return ENG_ERR_NOT_FOUND;
	if (g->kv[i].type != ENG_GGUF_ARRAY)
		return ENG_ERR_SHAPE;
	if (elem_type)
		*elem_type = g->kv[i].arr_type;
	if (n)
		*n = g->kv[i].arr_n;
	if (raw)
		*raw = eng_gguf_kv_arr_data(g, (size_t)i);
	return ENG_OK;
}

/* ---- formatting ---------------------------------------------------------- */

struct out {
	char *buf;
	size_t sz, len;
};

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(struct out *o, const char *fmt, ...)
{
	if (o->len + 1 >= o->sz)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, o->sz - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len = o->len + (size_t)n < o->sz ? o->len + (size_t)n : o->sz - 1;
}

static void out_str(struct out *o, const char *s, size_t len, size_t max)
{
	out_printf(o, "\"");
	for (size_t k = 0; k < len && k < max; k++) {
		unsigned char ch = (unsigned char)s[k];
		if (ch == '\n')
			out_printf(o, "\\n");
		else if (ch == '"' || ch == '\\')
			out_printf(o, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			out_printf(o, "\\x%02x", ch);
		else
			out_printf(o, "%c", ch);
	}
	out_printf(o, len > max ? "\"..." : "\"");
}

static void out_num(struct out *o, uint32_t t, const uint8_t *p)
{
	struct num n;
	if (t == ENG_GGUF_BOOL) {
		out_printf(o, "%s", p[0] ? "true" : "false");
		return;
	}
	if (!read_num(t, p, &n))
		return;
	if (n.is_int)
		out_printf(o, "%s%" PRIu64, n.is_neg ? "-" : "", n.u);
	else
		out_printf(o, "%g", n.d);
}

char *eng_gguf_kv_format(const struct eng_gguf *g, size_t i, char *buf, size_t bufsz)
{
	struct out o = { buf, bufsz, 0 };
	if (!buf || !bufsz)
		return buf;
	buf[0] = 0;
	if (i >= g->n_kv)
		return buf;
	const struct kv *kv = &g->kv[i];
	if (kv->type == ENG_GGUF_STRING) {
		out_str(&o, kv->str, kv->str_len, 60);
	} else if (kv->type != ENG_GGUF_ARRAY) {
		out_num(&o, kv->type, g->base + kv->val);
	} else {
		out_printf(&o, "[%s x %" PRIu64 "]", type_names[kv->arr_type], kv->arr_n);
		uint64_t show = kv->arr_n < 5 ? kv->arr_n : 5;
		for (uint64_t j = 0; j < show; j++) {
			out_printf(&o, " ");
			if (kv->arr_type == ENG_GGUF_STRING)
				out_str(&o, (const char *)g->base + kv->str_off[j],
					(size_t)ld64(g->base + kv->str_off[j] - 8), 24);
			else
				out_num(&o, kv->arr_type, g->base + kv->val + j * type_sizes[kv->arr_type]);
		}
		if (show < kv->arr_n)
			out_printf(&o, " ...");
	}
	return buf;
}

/* ---- tensors -------------------------------------------------------------- */

const struct eng_gguf_tensor *eng_gguf_tensor(const struct eng_gguf *g, size_t i)
{
	return i < g->n_tensors ? &g->t[i] : NULL;
}

const struct eng_gguf_tensor *eng_gguf_tensor_find(const struct eng_gguf *g, const char *name)
{
	if (!g || !name || !g->thash)
		return NULL;
	size_t m = g->thash_cap - 1, h = (size_t)hash_str(name) & m;
	while (g->thash[h]) {
		uint32_t i = g->thash[h] - 1;
		if (strcmp(g->t[i].name, name) == 0)
			return &g->t[i];
		h = (h + 1) & m;
	}
	return NULL;
}

const void *eng_gguf_kv_raw(const struct eng_gguf *g, size_t i, size_t *len)
{
	if (i >= g->n_kv)
		return NULL;
	*len = g->kv[i].raw_end - g->kv[i].raw_start;
	return g->base + g->kv[i].raw_start;
}
