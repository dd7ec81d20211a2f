/* gguf_write.c — GGUF v3 writer (see gguf.h). KV records are serialised
 * into one growing buffer as they are added; tensor data is streamed at
 * write time (borrowed pointers or the fill callback), so the writer never
 * holds the weights of a large synthetic model. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/gguf.h"
#include "engine/quant.h"

struct wtensor {
	char *name;
	uint32_t type;
	int n_dims;
	uint64_t ne[4];
	uint64_t row_bytes, n_rows, nbytes, offset;
	const void *data;
};

struct eng_gguf_writer {
	uint8_t *kv;                /* serialised KV records */
	size_t kv_len, kv_cap;
	uint64_t n_kv;
	char **keys;                /* for duplicate checks */
	size_t keys_cap;
	struct wtensor *t;
	size_t n_t, t_cap;
	uint32_t alignment;
};

enum eng_err eng_gguf_writer_new(struct eng_gguf_writer **out)
{
	if (!out)
		return ENG_ERR_INVALID_ARG;
	*out = calloc(1, sizeof **out);
	if (!*out)
		return ENG_ERR_NOMEM;
	(*out)->alignment = ENG_GGUF_DEFAULT_ALIGNMENT;
	return ENG_OK;
}

void eng_gguf_writer_free(struct eng_gguf_writer *w)
{
	if (!w)
		return;
	for (uint64_t i = 0; i < w->n_kv; i++)
		free(w->keys[i]);
	free(w->keys);
	for (size_t i = 0; i < w->n_t; i++)
		free(w->t[i].name);
	free(w->t);
	free(w->kv);
	free(w);
}

static enum eng_err put(struct eng_gguf_writer *w, const void *p, size_t n)
{
	if (n > SIZE_MAX / 2 - w->kv_len)
		return ENG_ERR_NOMEM;
	if (w->kv_len + n > w->kv_cap) {
		size_t cap = w->kv_cap ? w->kv_cap : 4096;
		while (cap < w->kv_len + n)
			cap *= 2;
		uint8_t *nb = realloc(w->kv, cap);
		if (!nb)
			return ENG_ERR_NOMEM;
		w->kv = nb;
		w->kv_cap = cap;
	}
	memcpy(w->kv + w->kv_len, p, n);
	w->kv_len += n;
	return ENG_OK;
}

static enum eng_err put_u32(struct eng_gguf_writer *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	return put(w, b, 4);
}

static enum eng_err put_u64(struct eng_gguf_writer *w, uint64_t v)
{
	enum eng_err e = put_u32(w, (uint32_t)v);
	return e ? e : put_u32(w, (uint32_t)(v >> 32));
}

static enum eng_err put_str(struct eng_gguf_writer *w, const char *s, size_t len)
{
	enum eng_err e = put_u64(w, len);
	return e ? e : put(w, s, len);
}

static int has_key(const struct eng_gguf_writer *w, const char *key)
{
	for (uint64_t i = 0; i < w->n_kv; i++)
		if (strcmp(w->keys[i], key) == 0)
			return 1;
	return 0;
}

/* Starts a KV: checks the key, records it, writes key + type. On failure
 * the buffer is rolled back by the caller via *mark. */
static enum eng_err begin_kv(struct eng_gguf_writer *w, const char *key, uint32_t type, size_t *mark)
{
	if (!w || !key || !*key || has_key(w, key))
		return ENG_ERR_INVALID_ARG;
	if (w->n_kv == w->keys_cap) {
		size_t cap = w->keys_cap ? w->keys_cap * 2 : 32;
		char **nk = realloc(w->keys, cap * sizeof *nk);
		if (!nk)
			return ENG_ERR_NOMEM;
		w->keys = nk;
		w->keys_cap = cap;
	}
	*mark = w->kv_len;
	enum eng_err e;
	if ((e = put_str(w, key, strlen(key))) || (e = put_u32(w, type))) {
		w->kv_len = *mark;
		return e;
	}
	return ENG_OK;
}

static enum eng_err end_kv(struct eng_gguf_writer *w, const char *key, size_t mark, enum eng_err e)
{
	if (!e && !(w->keys[w->n_kv] = strdup(key)))
		e = ENG_ERR_NOMEM;
	if (e) {
		w->kv_len = mark;
		return e;
	}
	w->n_kv++;
	return ENG_OK;
}

static enum eng_err add_scalar(struct eng_gguf_writer *w, const char *key, uint32_t type,
			       const void *le, size_t n)
{
	size_t mark;
	enum eng_err e = begin_kv(w, key, type, &mark);
	if (e)
		return e;
	return end_kv(w, key, mark, put(w, le, n));
}

enum eng_err eng_gguf_writer_add_u32(struct eng_gguf_writer *w, const char *key, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	if (w && key && strcmp(key, "general.alignment") == 0) {
		if (v < 8 || (v & (v - 1)) || v > (1u << 24))
			return ENG_ERR_INVALID_ARG;
		if (!has_key(w, key))
			w->alignment = v;
	}
	return add_scalar(w, key, ENG_GGUF_UINT32, b, 4);
}

enum eng_err eng_gguf_writer_add_i32(struct eng_gguf_writer *w, const char *key, int32_t v)
{
	uint32_t u = (uint32_t)v;
	uint8_t b[4] = { (uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24) };
	return add_scalar(w, key, ENG_GGUF_INT32, b, 4);
}

enum eng_err eng_gguf_writer_add_u64(struct eng_gguf_writer *w, const char *key, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return add_scalar(w, key, ENG_GGUF_UINT64, b, 8);
}

enum eng_err eng_gguf_writer_add_f32(struct eng_gguf_writer *w, const char *key, float v)
{
	uint32_t u;
	memcpy(&u, &v, 4);
	uint8_t b[4] = { (uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24) };
	return add_scalar(w, key, ENG_GGUF_FLOAT32, b, 4);
}

enum eng_err eng_gguf_writer_add_bool(struct eng_gguf_writer *w, const char *key, int v)
{
	uint8_t b = v ? 1 : 0;
	return add_scalar(w, key, ENG_GGUF_BOOL, &b, 1);
}

enum eng_err eng_gguf_writer_add_str(struct eng_gguf_writer *w, const char *key, const char *s)
{
	if (!s)
		return ENG_ERR_INVALID_ARG;
	size_t mark;
	enum eng_err e = begin_kv(w, key, ENG_GGUF_STRING, &mark);
	if (e)
		return e;
	return end_kv(w, key, mark, put_str(w, s, strlen(s)));
}

static size_t elem_size(uint32_t t)
{
	switch (t) {
	case ENG_GGUF_UINT8: case ENG_GGUF_INT8: case ENG_GGUF_BOOL: return 1;
	case ENG_GGUF_UINT16: case ENG_GGUF_INT16: return 2;
	case ENG_GGUF_UINT32: case ENG_GGUF_INT32: case ENG_GGUF_FLOAT32: return 4;
	case ENG_GGUF_UINT64: case ENG_GGUF_INT64: case ENG_GGUF_FLOAT64: return 8;
	default: return 0;
	}
}

enum eng_err eng_gguf_writer_add_arr(struct eng_gguf_writer *w, const char *key, uint32_t elem_type,
				     uint64_t n, const void *raw)
{
	size_t es = elem_size(elem_type);
	if (!es || (n && !raw) || n > SIZE_MAX / es)
		return ENG_ERR_INVALID_ARG;
	size_t mark;
	enum eng_err e = begin_kv(w, key, ENG_GGUF_ARRAY, &mark);
	if (e)
		return e;
	if (!(e = put_u32(w, elem_type)) && !(e = put_u64(w, n)))
		e = put(w, raw, (size_t)n * es);
	return end_kv(w, key, mark, e);
}

enum eng_err eng_gguf_writer_add_arr_str(struct eng_gguf_writer *w, const char *key, uint64_t n,
					 const char *const *strs, const size_t *lens)
{
	if (n && !strs)
		return ENG_ERR_INVALID_ARG;
	size_t mark;
	enum eng_err e = begin_kv(w, key, ENG_GGUF_ARRAY, &mark);
	if (e)
		return e;
	if (!(e = put_u32(w, ENG_GGUF_STRING)) && !(e = put_u64(w, n)))
		for (uint64_t i = 0; i < n && !e; i++)
			e = strs[i] ? put_str(w, strs[i], lens ? lens[i] : strlen(strs[i])) : ENG_ERR_INVALID_ARG;
	return end_kv(w, key, mark, e);
}

enum eng_err eng_gguf_writer_copy_kv(struct eng_gguf_writer *w, const struct eng_gguf *g, size_t i)
{
	size_t len;
	const void *raw = g ? eng_gguf_kv_raw(g, i, &len) : NULL;
	const char *key = g ? eng_gguf_kv_key(g, i) : NULL;
	if (!w || !raw || !key || !*key || has_key(w, key))
		return ENG_ERR_INVALID_ARG;
	if (strcmp(key, "general.alignment") == 0) {
		uint32_t a;
		if (eng_gguf_get_u32(g, key, &a) == ENG_OK)
			w->alignment = a;
	}
	if (w->n_kv == w->keys_cap) {
		size_t cap = w->keys_cap ? w->keys_cap * 2 : 32;
		char **nk = realloc(w->keys, cap * sizeof *nk);
		if (!nk)
			return ENG_ERR_NOMEM;
		w->keys = nk;
		w->keys_cap = cap;
	}
	size_t mark = w->kv_len;
	return end_kv(w, key, mark, put(w, raw, len));
}

enum eng_err eng_gguf_writer_add_tensor(struct eng_gguf_writer *w, const char *name, uint32_t type,
					int n_dims, const uint64_t *ne, const void *data)
{
	if (!w || !name || !*name || strlen(name) >= 64 || n_dims < 1 || n_dims > 4 || !ne)
		return ENG_ERR_INVALID_ARG;
	const struct eng_quant_traits *tr = eng_type_supported(type) ? eng_quant_traits_ref(type) : NULL;
	if (!tr)
		return ENG_ERR_UNSUPPORTED_TYPE;
	for (size_t i = 0; i < w->n_t; i++)
		if (strcmp(w->t[i].name, name) == 0)
			return ENG_ERR_INVALID_ARG;
	struct wtensor t = { 0 };
	t.type = type;
	t.n_dims = n_dims;
	uint64_t nel = 1;
	for (int d = 0; d < 4; d++) {
		t.ne[d] = d < n_dims ? ne[d] : 1;
		if (t.ne[d] == 0 || t.ne[d] > (uint64_t)INT64_MAX / nel)
			return ENG_ERR_SHAPE;
		nel *= t.ne[d];
	}
	if (t.ne[0] % (uint64_t)tr->blck_size)
		return ENG_ERR_SHAPE;
	t.row_bytes = t.ne[0] / (uint64_t)tr->blck_size * tr->type_size;
	t.n_rows = nel / t.ne[0];
	if (t.row_bytes > UINT64_MAX / t.n_rows)
		return ENG_ERR_SHAPE;
	t.nbytes = t.row_bytes * t.n_rows;
	t.data = data;
	if (w->n_t == w->t_cap) {
		size_t cap = w->t_cap ? w->t_cap * 2 : 64;
		struct wtensor *nt = realloc(w->t, cap * sizeof *nt);
		if (!nt)
			return ENG_ERR_NOMEM;
		w->t = nt;
		w->t_cap = cap;
	}
	if (!(t.name = strdup(name)))
		return ENG_ERR_NOMEM;
	w->t[w->n_t++] = t;
	return ENG_OK;
}

static int fput_u32(FILE *f, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	return fwrite(b, 1, 4, f) == 4;
}

static int fput_u64(FILE *f, uint64_t v)
{
	return fput_u32(f, (uint32_t)v) && fput_u32(f, (uint32_t)(v >> 32));
}

static int fput_pad(FILE *f, uint64_t pos, uint64_t align)
{
	static const uint8_t zeros[64];
	uint64_t pad = (align - pos % align) % align;
	while (pad) {
		size_t n = pad > sizeof zeros ? sizeof zeros : (size_t)pad;
		if (fwrite(zeros, 1, n, f) != n)
			return 0;
		pad -= n;
	}
	return 1;
}

enum eng_err eng_gguf_writer_write(struct eng_gguf_writer *w, const char *path,
				   eng_gguf_fill_fn fill, void *ud, char *err, size_t errsz)
{
	if (err && errsz)
		err[0] = 0;
	if (!w || !path)
		return ENG_ERR_INVALID_ARG;
	uint64_t a = w->alignment, off = 0;
	for (size_t i = 0; i < w->n_t; i++) {
		if (!w->t[i].data && !fill) {
			eng_errbuf(err, errsz, "tensor '%s' has no data and no fill callback", w->t[i].name);
			return ENG_ERR_INVALID_ARG;
		}
		w->t[i].offset = off;
		off += (w->t[i].nbytes + a - 1) / a * a;
	}
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 5);
	if (!tmp)
		return ENG_ERR_NOMEM;
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		eng_errbuf(err, errsz, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return ENG_ERR_WRITE;
	}
	enum eng_err e = ENG_OK;
	int ok = fwrite("GGUF", 1, 4, f) == 4 && fput_u32(f, 3) && fput_u64(f, w->n_t) &&
		 fput_u64(f, w->n_kv) && fwrite(w->kv, 1, w->kv_len, f) == w->kv_len;
	uint64_t pos = 24 + w->kv_len;
	for (size_t i = 0; ok && i < w->n_t; i++) {
		const struct wtensor *t = &w->t[i];
		size_t nl = strlen(t->name);
		ok = fput_u64(f, nl) && fwrite(t->name, 1, nl, f) == nl && fput_u32(f, (uint32_t)t->n_dims);
		for (int d = 0; ok && d < t->n_dims; d++)
			ok = fput_u64(f, t->ne[d]);
		ok = ok && fput_u32(f, t->type) && fput_u64(f, t->offset);
		pos += 8 + nl + 4 + 8 * (uint64_t)t->n_dims + 4 + 8;
	}
	ok = ok && (w->n_t == 0 || fput_pad(f, pos, a));
	void *buf = NULL;
	for (size_t i = 0; ok && !e && i < w->n_t; i++) {
		const struct wtensor *t = &w->t[i];
		if (t->data) {
			ok = fwrite(t->data, 1, (size_t)t->nbytes, f) == t->nbytes;
		} else {
			/* stream in chunks of whole rows, about 8 MiB */
			uint64_t rows_per = t->row_bytes >= (8u << 20) ? 1 : (8u << 20) / t->row_bytes;
			if (rows_per > t->n_rows)
				rows_per = t->n_rows;
			free(buf);
			buf = malloc((size_t)(rows_per * t->row_bytes));
			if (!buf) {
				e = ENG_ERR_NOMEM;
				break;
			}
			for (uint64_t r = 0; ok && !e && r < t->n_rows; r += rows_per) {
				uint64_t nr = t->n_rows - r < rows_per ? t->n_rows - r : rows_per;
				e = fill(ud, i, r, nr, buf);
				if (!e)
					ok = fwrite(buf, 1, (size_t)(nr * t->row_bytes), f) == nr * t->row_bytes;
			}
		}
		if (ok && !e)   /* every tensor padded, the last too (as ggml writes it) */
			ok = fput_pad(f, t->nbytes, a);
	}
	free(buf);
	if (fflush(f) != 0)
		ok = 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!e && !ok) {
		eng_errbuf(err, errsz, "%s: write failed: %s", tmp, strerror(errno));
		e = ENG_ERR_WRITE;
	} else if (e) {
		eng_errbuf(err, errsz, "%s: fill callback failed for a tensor: %s", path, eng_strerror(e));
	}
	if (!e && rename(tmp, path) != 0) {
		eng_errbuf(err, errsz, "rename %s -> %s: %s", tmp, path, strerror(errno));
		e = ENG_ERR_WRITE;
	}
	if (e)
		unlink(tmp);
	free(tmp);
	return e;
}
