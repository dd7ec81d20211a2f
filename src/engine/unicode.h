/* unicode.h — private to the engine: code point classes, the lenient UTF-8
 * decoder the tokenizer uses, GPT-2's byte <-> code point map and the BPE
 * pre-tokenizers (the regex splits of llama3, qwen2, smollm, gpt2, default)
 * written as hand matchers over code points.
 *
 * Everything here is pure and allocation-free except eng_pretok_split,
 * which writes into caller-provided arrays.
 */
#ifndef BRIEFING_ENGINE_UNICODE_H
#define BRIEFING_ENGINE_UNICODE_H

#include <stddef.h>
#include <stdint.h>

/* Category flags of a code point (one category bit, plus WHITESPACE). */
enum {
	ENG_UCD_UNDEFINED = 0x0001,  /* Cn, and anything past U+10FFFF */
	ENG_UCD_NUMBER = 0x0002,     /* \p{N} */
	ENG_UCD_LETTER = 0x0004,     /* \p{L} */
	ENG_UCD_SEPARATOR = 0x0008,  /* \p{Z} */
	ENG_UCD_MARK = 0x0010,       /* \p{M} */
	ENG_UCD_PUNCT = 0x0020,      /* \p{P} */
	ENG_UCD_SYMBOL = 0x0040,     /* \p{S} */
	ENG_UCD_CONTROL = 0x0080,    /* \p{C} except Cn */
	ENG_UCD_WHITESPACE = 0x0100, /* White_Space property (\s) */
};

uint16_t eng_ucd_flags(uint32_t cp);
/* Unicode version of the generated tables, e.g. "14.0.0". */
const char *eng_ucd_version(void);

/* Length of the UTF-8 sequence a lead byte announces (1 for continuation
 * and invalid bytes, as llama.cpp's unicode_len_utf8). */
static inline size_t eng_utf8_len(unsigned char c)
{
	static const unsigned char lut[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4 };
	return lut[c >> 4];
}

/* Decodes len bytes into code points (out must hold len entries); an
 * invalid or truncated sequence yields U+FFFD and skips one byte. Returns
 * the number of code points. */
size_t eng_utf8_decode(const char *s, size_t len, uint32_t *out);
/* Encodes cp (<= 0x1FFFFF) into out (4 bytes); returns the byte count. */
size_t eng_utf8_encode(uint32_t cp, char *out);

/* GPT-2 byte-level map: byte -> code point (printable stand-in). */
uint32_t eng_byte_to_cp(uint8_t b);
/* Inverse: code point -> byte, or -1 if cp is not in the map. */
int eng_cp_to_byte(uint32_t cp);

/* BPE pre-tokenizers (the splitting regexes of llama.cpp's pre types). */
enum eng_pretok {
	ENG_PRETOK_GPT2 = 0,  /* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S) */
	ENG_PRETOK_LLAMA3,    /* (?i:'s|...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
	ENG_PRETOK_QWEN2,     /* as LLAMA3 with \p{N} (single digits) */
	ENG_PRETOK_SMOLLM,    /* \p{N} isolated, then GPT2 */
	ENG_PRETOK_DEFAULT,   /* llama.cpp's fallback chain for BPE without a known pre type */
};

/* Splits n code points into pieces; writes each piece's length (in code
 * points) to lens (room for n entries) and returns the number of pieces.
 * The pieces cover the input exactly, in order. */
size_t eng_pretok_split(enum eng_pretok kind, const uint32_t *cps, size_t n, size_t *lens);

#endif
