/* gguf.h — GGUF v2/v3 reader and writer (engine-private, prefix eng_gguf_).
 *
 * Reader: the file is mmap'd read-only (or a caller's buffer is borrowed,
 * eng_gguf_open_memory) and the whole header — every KV, every string and
 * array, every tensor record — is validated at open: offsets and sizes are
 * bounds-checked against the file, counts use overflow-safe arithmetic,
 * tensor data must lie inside the data section, aligned, with n_dims <= 4,
 * no duplicate names and a supported type (quant.h). After a successful
 * open nothing reads outside the mapping.
 *
 * Strings: keys, tensor names and scalar string values are returned as
 * NUL-terminated copies owned by the reader (valid until eng_gguf_close).
 * Elements of string ARRAYS (tokens, merges) are pointers into the mapping
 * and are NOT NUL-terminated: always use the returned length.
 *
 * Errors: enum eng_err from engine.h. ENG_ERR_IO (open/mmap), ENG_ERR_FORMAT
 * (magic, structure), ENG_ERR_TRUNCATED (past end of file), ENG_ERR_VERSION
 * (v1 or > 3), ENG_ERR_UNSUPPORTED_TYPE (tensor type; the message lists the
 * supported ones), ENG_ERR_NOMEM. Getters return ENG_ERR_NOT_FOUND for an
 * absent key and ENG_ERR_SHAPE for a key of an incompatible type or a value
 * out of range for the requested C type.
 */
#ifndef BRIEFING_ENGINE_GGUF_H
#define BRIEFING_ENGINE_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* GGUF metadata value types (as stored in the file). */
enum eng_gguf_type {
	ENG_GGUF_UINT8 = 0,
	ENG_GGUF_INT8 = 1,
	ENG_GGUF_UINT16 = 2,
	ENG_GGUF_INT16 = 3,
	ENG_GGUF_UINT32 = 4,
	ENG_GGUF_INT32 = 5,
	ENG_GGUF_FLOAT32 = 6,
	ENG_GGUF_BOOL = 7,
	ENG_GGUF_STRING = 8,
	ENG_GGUF_ARRAY = 9,
	ENG_GGUF_UINT64 = 10,
	ENG_GGUF_INT64 = 11,
	ENG_GGUF_FLOAT64 = 12,
	ENG_GGUF_TYPE_COUNT
};

#define ENG_GGUF_DEFAULT_ALIGNMENT 32
#define ENG_GGUF_MAX_DIMS 4

/* "uint32", "string", "array", ... ("?" for unknown). */
const char *eng_gguf_type_name(uint32_t t);

/* Formats a reason into a caller's buffer (err NULL or errsz 0: nothing):
 * how the reader, the writer, the tokenizer and the requantiser say why. */
void eng_errbuf(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- reader -------------------------------------------------------------- */

struct eng_gguf;

struct eng_gguf_tensor {
	const char *name;     /* NUL-terminated, owned by the reader */
	uint32_t type;        /* ggml type id, ENG_TYPE_* (quant.h) */
	int n_dims;           /* 1..4 */
	uint64_t ne[4];       /* elements per dim, ne[0] = row length; unused dims = 1 */
	uint64_t n_elements;  /* ne[0]*ne[1]*ne[2]*ne[3] */
	uint64_t offset;      /* relative to the data section */
	const void *data;     /* into the mapping */
	uint64_t nbytes;      /* n_elements / block size * type size */
	uint64_t row_bytes;   /* bytes of one row of ne[0] elements */
};

/* Opens PATH (mmap, read-only). On success *out owns the mapping; free with
 * eng_gguf_close. On failure *out = NULL and err (if not NULL, errsz > 0)
 * holds a NUL-terminated reason naming the file position/field. */
enum eng_err eng_gguf_open(const char *path, struct eng_gguf **out, char *err, size_t errsz);
/* Same on a caller buffer: BUF (8-byte aligned, as malloc gives) is
 * borrowed and must outlive the reader. */
enum eng_err eng_gguf_open_memory(const void *buf, size_t len, struct eng_gguf **out,
				  char *err, size_t errsz);
void eng_gguf_close(struct eng_gguf *g);

uint32_t eng_gguf_version(const struct eng_gguf *g);
size_t eng_gguf_n_kv(const struct eng_gguf *g);
size_t eng_gguf_n_tensors(const struct eng_gguf *g);
uint32_t eng_gguf_alignment(const struct eng_gguf *g);     /* general.alignment or 32 */
uint64_t eng_gguf_data_offset(const struct eng_gguf *g);   /* start of the data section */
uint64_t eng_gguf_file_size(const struct eng_gguf *g);
const void *eng_gguf_base(const struct eng_gguf *g);       /* start of the mapping */

/* ---- metadata by index (0 .. n_kv-1, file order) ---- */

/* Index of KEY or -1. */
int64_t eng_gguf_find(const struct eng_gguf *g, const char *key);
const char *eng_gguf_kv_key(const struct eng_gguf *g, size_t i);      /* NULL if i out of range */
uint32_t eng_gguf_kv_type(const struct eng_gguf *g, size_t i);        /* ENG_GGUF_*; ARRAY for arrays */
/* For ARRAY KVs: element type and count (0/0 for non-arrays). */
uint32_t eng_gguf_kv_arr_type(const struct eng_gguf *g, size_t i);
uint64_t eng_gguf_kv_arr_n(const struct eng_gguf *g, size_t i);
/* Raw little-endian array elements (fixed-size element types only; NULL
 * for string arrays and non-arrays). Into the mapping, may be unaligned
 * for the element type: read with memcpy. */
const void *eng_gguf_kv_arr_data(const struct eng_gguf *g, size_t i);
/* Element j of a string array KV i: pointer into the mapping, NOT
 * NUL-terminated, *len its length. NULL if i is not a string array or j
 * out of range. O(1). */
const char *eng_gguf_arr_str(const struct eng_gguf *g, size_t i, uint64_t j, size_t *len);
/* The whole serialized record of KV i (key, type, value) inside the
 * mapping, *len bytes; NULL if out of range. Used to copy KVs verbatim. */
const void *eng_gguf_kv_raw(const struct eng_gguf *g, size_t i, size_t *len);
/* Writes a one-line human-readable rendering of KV i's value into buf
 * (scalars in full, strings quoted and cut with "...", arrays as
 * "[type x n] first elements ..."). Returns buf. */
char *eng_gguf_kv_format(const struct eng_gguf *g, size_t i, char *buf, size_t bufsz);

/* ---- typed getters by key (integer types coerce when the value fits) ---- */

enum eng_err eng_gguf_get_u32(const struct eng_gguf *g, const char *key, uint32_t *out);
enum eng_err eng_gguf_get_i32(const struct eng_gguf *g, const char *key, int32_t *out);
enum eng_err eng_gguf_get_u64(const struct eng_gguf *g, const char *key, uint64_t *out);
enum eng_err eng_gguf_get_i64(const struct eng_gguf *g, const char *key, int64_t *out);
/* FLOAT32 or FLOAT64 (converted); integers are accepted too. */
enum eng_err eng_gguf_get_f32(const struct eng_gguf *g, const char *key, float *out);
enum eng_err eng_gguf_get_bool(const struct eng_gguf *g, const char *key, int *out);
/* NUL-terminated copy owned by g; len (may be NULL) excludes the NUL. The
 * value itself may contain NUL bytes: trust len. */
enum eng_err eng_gguf_get_str(const struct eng_gguf *g, const char *key, const char **out, size_t *len);
/* Array KV: element type, count, raw data (NULL for string arrays: use
 * eng_gguf_arr_str with the index from eng_gguf_find). Any out may be NULL. */
enum eng_err eng_gguf_get_arr(const struct eng_gguf *g, const char *key, uint32_t *elem_type,
			      uint64_t *n, const void **raw);

/* ---- tensors ---- */

/* i in 0 .. n_tensors-1 (file order); NULL if out of range. */
const struct eng_gguf_tensor *eng_gguf_tensor(const struct eng_gguf *g, size_t i);
/* By name; NULL if absent. */
const struct eng_gguf_tensor *eng_gguf_tensor_find(const struct eng_gguf *g, const char *name);

/* ---- writer ---------------------------------------------------------------
 *
 * Collects KVs and tensor records in memory, then writes a GGUF v3 file in
 * one go (KVs and tensors in the order added, data aligned to the
 * alignment, 32 unless general.alignment is added as a uint32). Strings and
 * KV values are copied at add time. Tensor data is either borrowed (must
 * stay valid until eng_gguf_writer_write returns) or produced by a fill
 * callback at write time, so huge synthetic models never sit in memory.
 * Adding a key or tensor name twice is ENG_ERR_INVALID_ARG. */

struct eng_gguf_writer;

/* Fills rows [row0, row0 + n_rows) of tensor TENSOR_INDEX (rows of ne[0]
 * elements, row_bytes each, packed) into buf. Non-OK aborts the write. */
typedef enum eng_err (*eng_gguf_fill_fn)(void *ud, size_t tensor_index, uint64_t row0,
					 uint64_t n_rows, void *buf);

enum eng_err eng_gguf_writer_new(struct eng_gguf_writer **out);
void eng_gguf_writer_free(struct eng_gguf_writer *w);

enum eng_err eng_gguf_writer_add_u32(struct eng_gguf_writer *w, const char *key, uint32_t v);
enum eng_err eng_gguf_writer_add_i32(struct eng_gguf_writer *w, const char *key, int32_t v);
enum eng_err eng_gguf_writer_add_u64(struct eng_gguf_writer *w, const char *key, uint64_t v);
enum eng_err eng_gguf_writer_add_f32(struct eng_gguf_writer *w, const char *key, float v);
enum eng_err eng_gguf_writer_add_bool(struct eng_gguf_writer *w, const char *key, int v);
enum eng_err eng_gguf_writer_add_str(struct eng_gguf_writer *w, const char *key, const char *s);
/* Array of a fixed-size element type (not STRING/ARRAY), n elements in
 * little-endian at raw. */
enum eng_err eng_gguf_writer_add_arr(struct eng_gguf_writer *w, const char *key, uint32_t elem_type,
				     uint64_t n, const void *raw);
/* Array of n strings (lens may be NULL: strlen). */
enum eng_err eng_gguf_writer_add_arr_str(struct eng_gguf_writer *w, const char *key, uint64_t n,
					 const char *const *strs, const size_t *lens);
/* Copies KV i of reader g verbatim (any type, arrays included). */
enum eng_err eng_gguf_writer_copy_kv(struct eng_gguf_writer *w, const struct eng_gguf *g, size_t i);

/* Adds a tensor of ggml TYPE (ENG_TYPE_*), n_dims (1..4) dims in ne (ne[0]
 * must be a multiple of the type's block size). DATA (nbytes as the type
 * dictates) is borrowed until write; DATA == NULL: the fill callback given
 * to eng_gguf_writer_write produces it. */
enum eng_err eng_gguf_writer_add_tensor(struct eng_gguf_writer *w, const char *name, uint32_t type,
					int n_dims, const uint64_t *ne, const void *data);

/* Writes the file (to PATH.tmp, then rename). fill may be NULL when every
 * tensor has data. err as in eng_gguf_open. ENG_ERR_WRITE on I/O failure. */
enum eng_err eng_gguf_writer_write(struct eng_gguf_writer *w, const char *path,
				   eng_gguf_fill_fn fill, void *ud, char *err, size_t errsz);

#endif
