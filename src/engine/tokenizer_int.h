/* tokenizer_int.h — private to tokenizer.c / tok_decode.c: the tokenizer's
 * data layout and a growable byte buffer. Everyone else uses tokenizer.h. */
#ifndef BRIEFING_ENGINE_TOKENIZER_INT_H
#define BRIEFING_ENGINE_TOKENIZER_INT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/tokenizer.h"
#include "engine/unicode.h"

struct merge {
	uint32_t off;     /* into merge_arena: "left right" */
	uint16_t llen;    /* left part is [off, off+llen) */
	uint16_t rlen;    /* right part is [off+llen+1, ...+rlen) */
	int32_t rank;
};

struct eng_tok {
	enum eng_tok_type type;
	enum eng_pretok pre;
	const char *pre_name;
	int n_vocab;

	char *arena;            /* token texts and pieces */
	size_t arena_len, arena_cap;
	uint32_t *text_off;     /* (n_vocab) */
	uint32_t *text_len;     /* (n_vocab) */
	uint32_t *piece_off;    /* (n_vocab) rendered bytes, special=true */
	uint32_t *piece_len;    /* (n_vocab) */
	float *scores;          /* (n_vocab) */
	uint16_t *attr;         /* (n_vocab) ENG_TOK_ATTR_* */

	int32_t *vmap;          /* (vmask+1) token ids or -1 */
	uint32_t vmask;

	struct merge *merges;   /* (n_merges) */
	int n_merges;
	char *merge_arena;
	int32_t *mmap_;         /* (mmask+1) merge indexes or -1 */
	uint32_t mmask;

	int32_t bos, eos, eot, eom, unk, sep, pad, mask;
	int32_t fim_pad, fim_rep, fim_sep;
	int add_bos, add_eos, add_space_prefix, ignore_merges, clean_spaces;

	int32_t *special;       /* (n_special) CONTROL/USER_DEFINED/UNKNOWN ids, longest text first */
	int n_special;
	int32_t *eog;           /* (n_eog) */
	int n_eog;
	int32_t spm_byte[256];  /* SPM: token of byte b (<0xNN> or the 1-byte text), -1 if none */
};

/* Growable byte buffer, kept NUL-terminated by bytes_put. */
struct bytes {
	char *p;
	size_t n, cap;
};

static inline int bytes_reserve(struct bytes *b, size_t extra)
{
	if (b->n + extra <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->n + extra)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static inline int bytes_put(struct bytes *b, const void *s, size_t n)
{
	if (bytes_reserve(b, n + 1))
		return -1;
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
	return 0;
}

#endif
