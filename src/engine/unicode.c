/* unicode.c — code point classes, lenient UTF-8, GPT-2 byte map and the BPE
 * pre-tokenizers.
 *
 * The pre-tokenizers are the splitting regexes llama.cpp applies per
 * `tokenizer.ggml.pre`, written as direct matchers over code points. Each
 * regex is tried as a leftmost-first alternation at the current position
 * (the way an ECMAScript/PCRE engine would), and text no alternative matches
 * becomes a piece of its own. A chain of regexes (smollm, default) splits
 * each piece of one stage again with the next stage.
 *
 * Class tests follow llama.cpp: \p{L}, \p{N} and \s come from the Unicode
 * category tables (unicode_tables.h, generated from Python 3.13's
 * unicodedata: Unicode 15.1, the version of llama.cpp's own tables, with
 * which they agree for every code point).
 */
#include "unicode.h"
#include "unicode_tables.h"

uint16_t eng_ucd_flags(uint32_t cp)
{
	if (cp >= 0x110000)
		return ENG_UCD_UNDEFINED;
	/* last range whose start is <= cp */
	size_t lo = 0, hi = UCD_N_RANGES;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ucd_range_start[mid] <= cp)
			lo = mid;
		else
			hi = mid;
	}
	return ucd_range_flags[lo];
}

const char *eng_ucd_version(void)
{
	return UCD_VERSION;
}

/* ---- UTF-8 ---------------------------------------------------------------- */

static int is_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

size_t eng_utf8_decode(const char *str, size_t len, uint32_t *out)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n = 0;
	while (i < len) {
		unsigned char c = s[i];
		if (c < 0x80) {
			out[n++] = c;
			i += 1;
		} else if ((c & 0xE0) == 0xC0 && c >= 0xC0 && i + 1 < len && is_cont(s[i + 1])) {
			out[n++] = ((uint32_t)(c & 0x1F) << 6) | (s[i + 1] & 0x3F);
			i += 2;
		} else if ((c & 0xF0) == 0xE0 && i + 2 < len && is_cont(s[i + 1]) && is_cont(s[i + 2])) {
			out[n++] = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) |
				   (s[i + 2] & 0x3F);
			i += 3;
		} else if ((c & 0xF8) == 0xF0 && i + 3 < len && is_cont(s[i + 1]) && is_cont(s[i + 2]) &&
			   is_cont(s[i + 3])) {
			out[n++] = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3F) << 12) |
				   ((uint32_t)(s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
			i += 4;
		} else {
			/* continuation byte as lead, bad/truncated sequence, 0xF8..0xFF */
			out[n++] = 0xFFFD;
			i += 1;
		}
	}
	return n;
}

size_t eng_utf8_encode(uint32_t cp, char *o)
{
	unsigned char *out = (unsigned char *)o;
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | ((cp >> 18) & 0x07));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* ---- GPT-2 byte map ---------------------------------------------------------- */

/* Printable bytes map to themselves; the other 68 bytes (controls, space,
 * DEL, NBSP, soft hyphen, ...) map in order to U+0100, U+0101, ... */
static int byte_is_printable(unsigned b)
{
	return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
}

uint32_t eng_byte_to_cp(uint8_t b)
{
	if (byte_is_printable(b))
		return b;
	unsigned n = 0;
	for (unsigned i = 0; i < b; i++)
		n += !byte_is_printable(i);
	return 256 + n;
}

int eng_cp_to_byte(uint32_t cp)
{
	if (cp < 256)
		return byte_is_printable(cp) ? (int)cp : -1;
	if (cp >= 256 + 68)
		return -1;
	unsigned k = cp - 256;
	for (unsigned b = 0; b < 256; b++) {
		if (!byte_is_printable(b)) {
			if (k == 0)
				return (int)b;
			k--;
		}
	}
	return -1;
}

/* ---- pre-tokenizers ------------------------------------------------------------ */

struct splitter {
	const uint32_t *cps;
	size_t *lens;
	size_t n_out;
};

static void emit(struct splitter *sp, size_t len)
{
	if (len > 0)
		sp->lens[sp->n_out++] = len;
}

/* One stage of a chain works on cps[beg, end) and hands each of its pieces
 * to the next stage (or to emit when it is the last). */
struct stage {
	void (*fn)(struct splitter *sp, const struct stage *next, size_t beg, size_t end);
};

static void pass_on(struct splitter *sp, const struct stage *next, size_t beg, size_t end)
{
	if (end <= beg)
		return;
	if (next->fn)
		next->fn(sp, next + 1, beg, end);
	else
		emit(sp, end - beg);
}

#define F_WS ENG_UCD_WHITESPACE
#define F_L ENG_UCD_LETTER
#define F_N ENG_UCD_NUMBER

static uint16_t flags_at(const uint32_t *cps, size_t pos, size_t end)
{
	if (pos >= end)
		return 0; /* out of the segment: no class at all */
	uint32_t c = cps[pos];
	if (c < 0x80) {
		/* ASCII fast path, same answers as the table */
		if (c == ' ' || (c >= 0x09 && c <= 0x0D))
			return ENG_UCD_SEPARATOR * (c == ' ') | ENG_UCD_CONTROL * (c != ' ') | F_WS;
		if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
			return F_L;
		if (c >= '0' && c <= '9')
			return F_N;
	}
	return eng_ucd_flags(c);
}

static uint32_t ascii_lower(uint32_t c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Contractions 's 't 're 've 'm 'll 'd at pos; returns match length or 0. */
static size_t match_contraction(const uint32_t *cps, size_t pos, size_t end, int fold_case)
{
	if (cps[pos] != '\'' || pos + 1 >= end)
		return 0;
	uint32_t a = cps[pos + 1];
	if (fold_case)
		a = ascii_lower(a);
	if (a == 's' || a == 't' || a == 'm' || a == 'd')
		return 2;
	if (pos + 2 < end) {
		uint32_t b = cps[pos + 2];
		if (fold_case)
			b = ascii_lower(b);
		if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
			return 3;
	}
	return 0;
}

/* Whitespace run at pos: returns its length; *last_nl gets the end of the
 * last \r or \n inside it (0 if none). */
static size_t ws_run(const uint32_t *cps, size_t pos, size_t end, size_t *last_nl)
{
	size_t k = 0;
	if (last_nl)
		*last_nl = 0;
	while (flags_at(cps, pos + k, end) & F_WS) {
		uint32_t c = cps[pos + k];
		if (last_nl && (c == '\r' || c == '\n'))
			*last_nl = pos + k + 1;
		k++;
	}
	return k;
}

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S) */
static void stage_gpt2(struct splitter *sp, const struct stage *next, size_t beg, size_t end)
{
	const uint32_t *cps = sp->cps;
	size_t pos = beg;
	while (pos < end) {
		size_t start = pos;
		uint32_t c = cps[pos];
		size_t k = match_contraction(cps, pos, end, 0);
		if (k) {
			pass_on(sp, next, start, pos + k);
			pos += k;
			continue;
		}
		/* optional leading space, then a run of one class */
		size_t p = pos + (c == ' ');
		uint16_t f = flags_at(cps, p, end);
		if (f & F_L) {
			while (flags_at(cps, p, end) & F_L)
				p++;
			pass_on(sp, next, start, p);
			pos = p;
			continue;
		}
		if (f & F_N) {
			while (flags_at(cps, p, end) & F_N)
				p++;
			pass_on(sp, next, start, p);
			pos = p;
			continue;
		}
		if (f && !(f & (F_WS | F_L | F_N))) {
			for (;;) {
				uint16_t g = flags_at(cps, p, end);
				if (!g || (g & (F_WS | F_L | F_N)))
					break;
				p++;
			}
			pass_on(sp, next, start, p);
			pos = p;
			continue;
		}
		size_t nws = ws_run(cps, pos, end, NULL);
		if (nws > 1 && pos + nws < end) {
			/* \s+(?!\S): leave the last space to prefix the next word */
			pass_on(sp, next, start, pos + nws - 1);
			pos += nws - 1;
			continue;
		}
		if (nws > 0) {
			pass_on(sp, next, start, pos + nws);
			pos += nws;
			continue;
		}
		pass_on(sp, next, start, pos + 1); /* no alternative matched */
		pos += 1;
	}
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,G}|
 * ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+   with G = digit_group */
static void split_llama3_like(struct splitter *sp, const struct stage *next, size_t beg, size_t end,
			      size_t digit_group)
{
	const uint32_t *cps = sp->cps;
	size_t pos = beg;
	while (pos < end) {
		size_t start = pos;
		uint32_t c = cps[pos];
		uint16_t f = flags_at(cps, pos, end);
		size_t k = match_contraction(cps, pos, end, 1);
		if (k) {
			pass_on(sp, next, start, pos + k);
			pos += k;
			continue;
		}
		/* [^\r\n\p{L}\p{N}]?\p{L}+ */
		if (!(c == '\r' || c == '\n' || (f & F_N))) {
			if ((f & F_L) || (flags_at(cps, pos + 1, end) & F_L)) {
				size_t p = pos + 1;
				while (flags_at(cps, p, end) & F_L)
					p++;
				pass_on(sp, next, start, p);
				pos = p;
				continue;
			}
		}
		/* \p{N}{1,G}, repeated */
		if (f & F_N) {
			size_t p = pos;
			while (flags_at(cps, p, end) & F_N) {
				size_t q = p;
				while (q - p < digit_group && (flags_at(cps, q, end) & F_N))
					q++;
				pass_on(sp, next, p, q);
				p = q;
			}
			pos = p;
			continue;
		}
		/* ' '?[^\s\p{L}\p{N}]+[\r\n]* */
		{
			size_t p = pos + (c == ' ');
			uint16_t g = flags_at(cps, p, end);
			if (g && !(g & (F_WS | F_L | F_N))) {
				for (;;) {
					uint16_t h = flags_at(cps, p, end);
					if (!h || (h & (F_WS | F_L | F_N)))
						break;
					p++;
				}
				while (p < end && (cps[p] == '\r' || cps[p] == '\n'))
					p++;
				pass_on(sp, next, start, p);
				pos = p;
				continue;
			}
		}
		size_t last_nl;
		size_t nws = ws_run(cps, pos, end, &last_nl);
		if (last_nl > 0) { /* \s*[\r\n]+ */
			pass_on(sp, next, start, last_nl);
			pos = last_nl;
			continue;
		}
		if (nws > 1 && pos + nws < end) { /* \s+(?!\S) */
			pass_on(sp, next, start, pos + nws - 1);
			pos += nws - 1;
			continue;
		}
		if (nws > 0) { /* \s+ */
			pass_on(sp, next, start, pos + nws);
			pos += nws;
			continue;
		}
		pass_on(sp, next, start, pos + 1);
		pos += 1;
	}
}

static void stage_llama3(struct splitter *sp, const struct stage *next, size_t beg, size_t end)
{
	split_llama3_like(sp, next, beg, end, 3);
}

static void stage_qwen2(struct splitter *sp, const struct stage *next, size_t beg, size_t end)
{
	split_llama3_like(sp, next, beg, end, 1);
}

/* Generic "regex matches and the gaps between them" stage for a character
 * class: single (each member alone) or runs ([class]+). */
static void split_by_class(struct splitter *sp, const struct stage *next, size_t beg, size_t end,
			   int (*member)(uint32_t), int runs)
{
	const uint32_t *cps = sp->cps;
	size_t gap = beg, pos = beg;
	while (pos < end) {
		if (!member(cps[pos])) {
			pos++;
			continue;
		}
		pass_on(sp, next, gap, pos);
		size_t p = pos + 1;
		if (runs)
			while (p < end && member(cps[p]))
				p++;
		pass_on(sp, next, pos, p);
		pos = gap = p;
	}
	pass_on(sp, next, gap, end);
}

/* \p{N} as llama.cpp's std::regex fallback sees it: ASCII digits, or a
 * non-ASCII, non-space code point of category N. */
static int is_number_cp(uint32_t c)
{
	if (c < 0x80)
		return c >= '0' && c <= '9';
	uint16_t f = eng_ucd_flags(c);
	return !(f & F_WS) && (f & F_N);
}

/* [\p{P}\$\+<=>\^~\|] in the same view: the ASCII punctuation set of
 * llama.cpp's collapsed \p{P} plus $+<=>^~| (so every ASCII symbol and
 * punctuation character except the backquote), or non-ASCII \p{P}. */
static int is_default_punct_cp(uint32_t c)
{
	if (c < 0x80)
		return c > 0x20 && c < 0x7F && c != '`' && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z') &&
		       !(c >= '0' && c <= '9');
	uint16_t f = eng_ucd_flags(c);
	return !(f & F_WS) && (f & ENG_UCD_PUNCT);
}

static void stage_digits_single(struct splitter *sp, const struct stage *next, size_t beg, size_t end)
{
	split_by_class(sp, next, beg, end, is_number_cp, 0);
}

static void stage_digits_runs(struct splitter *sp, const struct stage *next, size_t beg, size_t end)
{
	split_by_class(sp, next, beg, end, is_number_cp, 1);
}

static void stage_punct_runs(struct splitter *sp, const struct stage *next, size_t beg, size_t end)
{
	split_by_class(sp, next, beg, end, is_default_punct_cp, 1);
}

/* [0-9][0-9][0-9] */
static void stage_ascii_triples(struct splitter *sp, const struct stage *next, size_t beg, size_t end)
{
	const uint32_t *cps = sp->cps;
	size_t gap = beg, pos = beg;
	while (pos < end) {
		if (pos + 3 <= end && cps[pos] >= '0' && cps[pos] <= '9' && cps[pos + 1] >= '0' &&
		    cps[pos + 1] <= '9' && cps[pos + 2] >= '0' && cps[pos + 2] <= '9') {
			pass_on(sp, next, gap, pos);
			pass_on(sp, next, pos, pos + 3);
			pos = gap = pos + 3;
		} else {
			pos++;
		}
	}
	pass_on(sp, next, gap, end);
}

static const struct stage chain_gpt2[] = { { stage_gpt2 }, { NULL } };
static const struct stage chain_llama3[] = { { stage_llama3 }, { NULL } };
static const struct stage chain_qwen2[] = { { stage_qwen2 }, { NULL } };
static const struct stage chain_smollm[] = { { stage_digits_single }, { stage_gpt2 }, { NULL } };
static const struct stage chain_default[] = { { stage_punct_runs }, { stage_gpt2 },
					      { stage_digits_runs }, { stage_ascii_triples }, { NULL } };

size_t eng_pretok_split(enum eng_pretok kind, const uint32_t *cps, size_t n, size_t *lens)
{
	const struct stage *chain;
	switch (kind) {
	case ENG_PRETOK_LLAMA3: chain = chain_llama3; break;
	case ENG_PRETOK_QWEN2: chain = chain_qwen2; break;
	case ENG_PRETOK_SMOLLM: chain = chain_smollm; break;
	case ENG_PRETOK_DEFAULT: chain = chain_default; break;
	case ENG_PRETOK_GPT2:
	default: chain = chain_gpt2; break;
	}
	struct splitter sp = { cps, lens, 0 };
	pass_on(&sp, chain, 0, n);
	return sp.n_out;
}
