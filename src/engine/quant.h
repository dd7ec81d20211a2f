/* quant.h — ggml tensor types: block layouts, per-type traits, fp16/bf16.
 *
 * Block layouts are bit-exact with ggml (ggml-common.h) and shared with the
 * CUDA code of part 2, so this header is plain C with fixed-size fields
 * and _Static_assert on every block size. All data is little-endian.
 *
 * Per-type behaviour goes through one table (eng_quant_traits): block size,
 * bytes per block, dequantize row, quantize row, and vec_dot of a weight row
 * with an activation row of the type's vec_dot_type — the pairing and the
 * activation quantisers follow ggml's CPU backend, which is what the corpus
 * references were made with:
 *   F32  x F32;  F16 x F16;  BF16 x BF16;
 *   Q4_0, Q5_0, Q8_0 x Q8_0 (d = amax/127 as fp16, q = rne(x * 127/amax));
 *   Q4_1, Q5_1 x Q8_1 (as Q8_0 plus s = fp16(d * sum(q)));
 *   Q4_K, Q5_K, Q6_K x Q8_K (per 256: iscale = -127/x[argmax|x|],
 *                            q = min(127, rne(x * iscale)), d = 1/iscale, bsums).
 * Every vec_dot and dequantize has a scalar reference (eng_quant_traits_ref);
 * eng_kernels(level) gives the whole table with the SIMD kernels of a level
 * (AVX2/FMA, VNNI, AVX-512), and eng_quant_traits the fastest this CPU
 * supports; tests compare them against the reference. The fast kernels keep ggml's lane layout and rounding order
 * so their results are bit-identical to llama.cpp c392e50 on an AVX-512
 * machine (the corpus references): ggml's vec_dot kernels for Q8_0, Q4_1,
 * Q5_0, Q5_1 and the K-quants, the repacked q4_0_8x8 gemv for Q4_0,
 * ggml_vec_dot_f32, _f16 and _bf16
 * and, for prompts, llamafile's tinyBLAS (vec_dot_rows_prompt).
 */
#ifndef BRIEFING_ENGINE_QUANT_H
#define BRIEFING_ENGINE_QUANT_H

#include <stddef.h>
#include <stdint.h>

/* The block layouts are compiled as C (the CPU backend) and as CUDA C++
 * (src/engine/cuda/): one spelling of the static assertion for both. */
#ifdef __cplusplus
#define ENG_STATIC_ASSERT(c, msg) static_assert(c, msg)
#else
#define ENG_STATIC_ASSERT(c, msg) _Static_assert(c, msg)
#endif

/* ggml type ids (as stored in GGUF tensor records). */
enum eng_type {
	ENG_TYPE_F32 = 0,
	ENG_TYPE_F16 = 1,
	ENG_TYPE_Q4_0 = 2,
	ENG_TYPE_Q4_1 = 3,
	ENG_TYPE_Q5_0 = 6,
	ENG_TYPE_Q5_1 = 7,
	ENG_TYPE_Q8_0 = 8,
	ENG_TYPE_Q8_1 = 9,
	ENG_TYPE_Q4_K = 12,
	ENG_TYPE_Q5_K = 13,
	ENG_TYPE_Q6_K = 14,
	ENG_TYPE_Q8_K = 15,
	ENG_TYPE_BF16 = 30,
	ENG_TYPE_COUNT = 40          /* table size (ggml ids go up to 39) */
};

/* ---- block layouts (ggml-common.h) --------------------------------------- */

#define ENG_QK4_0 32
#define ENG_QK4_1 32
#define ENG_QK5_0 32
#define ENG_QK5_1 32
#define ENG_QK8_0 32
#define ENG_QK8_1 32
#define ENG_QK_K 256
#define ENG_K_SCALE_SIZE 12

typedef uint16_t eng_fp16;   /* IEEE binary16 bits */
typedef uint16_t eng_bf16;   /* bfloat16 bits */

struct eng_block_q4_0 {
	eng_fp16 d;                    /* delta */
	uint8_t qs[ENG_QK4_0 / 2];     /* nibbles: low = elements 0..15, high = 16..31 */
};
ENG_STATIC_ASSERT(sizeof(struct eng_block_q4_0) == 2 + 16, "q4_0 block size");

struct eng_block_q4_1 {
	eng_fp16 d;                    /* delta */
	eng_fp16 m;                    /* min */
	uint8_t qs[ENG_QK4_1 / 2];
};
ENG_STATIC_ASSERT(sizeof(struct eng_block_q4_1) == 4 + 16, "q4_1 block size");

struct eng_block_q5_0 {
	eng_fp16 d;
	uint8_t qh[4];                 /* 5th bits, bit j = element j */
	uint8_t qs[ENG_QK5_0 / 2];
};
ENG_STATIC_ASSERT(sizeof(struct eng_block_q5_0) == 2 + 4 + 16, "q5_0 block size");

struct eng_block_q5_1 {
	eng_fp16 d;
	eng_fp16 m;
	uint8_t qh[4];
	uint8_t qs[ENG_QK5_1 / 2];
};
ENG_STATIC_ASSERT(sizeof(struct eng_block_q5_1) == 4 + 4 + 16, "q5_1 block size");

struct eng_block_q8_0 {
	eng_fp16 d;
	int8_t qs[ENG_QK8_0];
};
ENG_STATIC_ASSERT(sizeof(struct eng_block_q8_0) == 2 + 32, "q8_0 block size");

struct eng_block_q8_1 {
	eng_fp16 d;                    /* delta */
	eng_fp16 s;                    /* d * sum(qs) */
	int8_t qs[ENG_QK8_1];
};
ENG_STATIC_ASSERT(sizeof(struct eng_block_q8_1) == 4 + 32, "q8_1 block size");

/* 8 sub-blocks of 32: scales/mins 6-bit packed in scales[12]; x = d*sc*q - dmin*m */
struct eng_block_q4_K {
	eng_fp16 d;                    /* super-block scale for quantized scales */
	eng_fp16 dmin;                 /* super-block scale for quantized mins */
	uint8_t scales[ENG_K_SCALE_SIZE];
	uint8_t qs[ENG_QK_K / 2];      /* 4-bit quants */
};
ENG_STATIC_ASSERT(sizeof(struct eng_block_q4_K) == 4 + 12 + 128, "q4_K block size");

struct eng_block_q5_K {
	eng_fp16 d;
	eng_fp16 dmin;
	uint8_t scales[ENG_K_SCALE_SIZE];
	uint8_t qh[ENG_QK_K / 8];      /* high bits */
	uint8_t qs[ENG_QK_K / 2];      /* low 4 bits */
};
ENG_STATIC_ASSERT(sizeof(struct eng_block_q5_K) == 4 + 12 + 32 + 128, "q5_K block size");

/* 16 sub-blocks of 16, 8-bit signed scales; x = d * scale * (q - 32) */
struct eng_block_q6_K {
	uint8_t ql[ENG_QK_K / 2];      /* low 4 bits */
	uint8_t qh[ENG_QK_K / 4];      /* high 2 bits */
	int8_t scales[ENG_QK_K / 16];
	eng_fp16 d;
};
ENG_STATIC_ASSERT(sizeof(struct eng_block_q6_K) == 128 + 64 + 16 + 2, "q6_K block size");

/* Activation type of the K-quants (never stored in files). */
struct eng_block_q8_K {
	float d;
	int8_t qs[ENG_QK_K];
	int16_t bsums[ENG_QK_K / 16];  /* sums of groups of 16 */
};
ENG_STATIC_ASSERT(sizeof(struct eng_block_q8_K) == 4 + 256 + 32, "q8_K block size");

/* ---- traits -------------------------------------------------------------- */

/* y[0..n) = values of row x (n a multiple of blck_size). */
typedef void (*eng_dequantize_fn)(const void *x, float *y, int64_t n);
/* x[0..n) -> row y of this type (n a multiple of blck_size). */
typedef void (*eng_quantize_fn)(const float *x, void *y, int64_t n);
/* *s = dot(row w of this type, row a of vec_dot_type), n values. */
typedef void (*eng_vec_dot_fn)(int64_t n, float *s, const void *w, const void *a);
/* Rows [r0, r1) of weight matrix w (row r at w + r * w_row_bytes) against
 * n_tok activation rows (token t at act + t * act_stride, of vec_dot_type):
 * out[t * ldo + r] = vec_dot(row r, token t), bit-identical to calling
 * vec_dot for each pair, but each weight block is unpacked once per few
 * tokens (prefill, batched decode). Same signature as cpu_int.h's
 * mm_type.vec_dot_rows. */
typedef void (*eng_vec_dot_rows_fn)(int64_t n, const void *w, size_t w_row_bytes, int64_t r0, int64_t r1,
				    const void *act, size_t act_stride, int n_tok, float *out, int ldo);

struct eng_quant_traits {
	const char *name;            /* "Q4_K" ... */
	uint32_t type;               /* ENG_TYPE_* */
	int64_t blck_size;           /* elements per block */
	size_t type_size;            /* bytes per block */
	int is_quantized;
	uint32_t vec_dot_type;       /* activation type vec_dot pairs with */
	eng_dequantize_fn dequantize;
	/* weight quantiser, bit-exact with llama.cpp's quantize_row_*_ref
	 * (what llama-quantize does without an imatrix); F16/BF16: RNE.
	 * NOT for activations: Q8_0's differs from ggml's CPU activation
	 * quantiser (roundf and 1/d vs rne and 127/amax) — use from_float. */
	eng_quantize_fn quantize;
	/* activation quantiser used when this type is a vec_dot_type (ggml's
	 * CPU from_float: Q8_0/Q8_1 with rne(x*127/amax), Q8_K ref, F16, BF16,
	 * F32 copy); NULL where ggml has none */
	eng_quantize_fn from_float;
	eng_vec_dot_fn vec_dot;      /* NULL for pure activation types */
	eng_vec_dot_rows_fn vec_dot_rows;  /* optional (NULL: loop over vec_dot) */
	/* optional: what llama.cpp computes for a prompt chunk of n_tok >= 2
	 * tokens. F32/F16: llamafile's tinyBLAS (one 16-lane FMA chain per
	 * output), which differs from vec_dot (ggml_vec_dot_*) in the last
	 * bits; use it for prefill only, so batched decode stays identical to
	 * decoding alone. Filled with vec_dot_rows where there is no difference
	 * (NULL when both are: loop over vec_dot). */
	eng_vec_dot_rows_fn vec_dot_rows_prompt;
};

/* Quantises a row like traits->quantize, but for the K-quants without
 * llama.cpp's scale search (about 10x faster, somewhat larger error; valid
 * blocks either way): for synthetic models where speed matters more than
 * matching llama-quantize. Other types: same as traits->quantize. */
void eng_quantize_row_fast(uint32_t type, const float *x, void *y, int64_t n);

/* SIMD levels of the CPU kernels. Each level adds to the one below:
 *   SCALAR     the reference kernels (eng_quant_traits_ref);
 *   AVX2       AVX2/FMA/F16C (quant_avx2.c);
 *   AVX2_VNNI  the same with VPDPBUSD for the 32-element block dots
 *              (AVX-VNNI or AVX512-VNNI+VL);
 *   AVX512     AVX-512 F/BW/VL/DQ + VNNI for the K-quant dots and the
 *              tiled Q8_0 product (quant_avx512.c).
 * Every level gives the same bits for the quantised types (the SIMD
 * kernels keep ggml's lanes and float order); the scalar BF16 dot differs
 * from the SIMD one in the last bits. */
enum eng_simd {
	ENG_SIMD_SCALAR, ENG_SIMD_AVX2, ENG_SIMD_AVX2_VNNI, ENG_SIMD_AVX512,
	ENG_SIMD_COUNT,
	ENG_SIMD_BEST = ENG_SIMD_AVX512
};

/* The one type-traits table of the CPU backend at one SIMD level: indexed
 * by ENG_TYPE_*, entries with name == NULL are unsupported. */
struct eng_kernels {
	const char *name;            /* "avx512vnni", "avx2+avxvnni", "avx2", "scalar": what runs */
	enum eng_simd level;         /* the level actually built (<= the one asked for) */
	struct eng_quant_traits t[ENG_TYPE_COUNT];
};

/* The kernel set of LEVEL, capped at what this CPU runs; built once,
 * shared, never freed. Reads no environment. */
const struct eng_kernels *eng_kernels(enum eng_simd level);
/* The level the environment asks for: BRIEFING_ENGINE_SIMD =
 * scalar|avx2|avx2+vnni|avx512 caps it, BRIEFING_ENGINE_NO_SIMD=1 is
 * scalar; unset (or unknown): ENG_SIMD_BEST. Read by eng_ctx_new, once per
 * context, and by tools; never by kernels. */
enum eng_simd eng_simd_from_env(void);
/* 0 when BRIEFING_ENGINE_SIMD is set to something that is not a level
 * name (*bad = its value), for a warning. */
int eng_simd_env_valid(const char **bad);

/* Traits of TYPE with the fastest kernels this CPU runs (ENG_SIMD_BEST);
 * NULL when the type is unknown or not supported (not one of the types
 * listed above). */
const struct eng_quant_traits *eng_quant_traits(uint32_t type);
/* Same with the scalar reference kernels only. */
const struct eng_quant_traits *eng_quant_traits_ref(uint32_t type);
/* "F32", ..., or NULL for ids without a name we know. */
const char *eng_type_name(uint32_t type);
/* 1 if TYPE may appear as a weight tensor in a model file we load. */
int eng_type_supported(uint32_t type);
/* "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K" */
const char *eng_type_supported_list(void);
/* Bytes of a row of n elements of TYPE (0 if n is not a multiple of the
 * block size or the type is unsupported). */
size_t eng_type_row_bytes(uint32_t type, int64_t n);
/* The name of the kernel set the environment selects (for messages). */
const char *eng_quant_simd_name(void);

/* ---- fp16 / bf16 (exact: subnormals, inf, nan preserved) ---------------- */

float eng_fp16_to_f32(eng_fp16 h);
eng_fp16 eng_f32_to_fp16(float f);          /* round to nearest even */
float eng_bf16_to_f32(eng_bf16 h);
eng_bf16 eng_f32_to_bf16(float f);          /* RNE, nan kept quiet (as ggml) */

void eng_fp16_to_f32_row(const eng_fp16 *x, float *y, int64_t n);
void eng_f32_to_fp16_row(const float *x, eng_fp16 *y, int64_t n);
void eng_bf16_to_f32_row(const eng_bf16 *x, float *y, int64_t n);
void eng_f32_to_bf16_row(const float *x, eng_bf16 *y, int64_t n);

#endif
