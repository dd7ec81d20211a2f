/* tok_decode.c — detokenisation: whole sequences (llama_detokenize's
 * rules, including its clean-up of spaces) and the streaming detokeniser
 * that only ever hands out complete UTF-8 characters. */
#include <string.h>

#include "engine/tokenizer_int.h"

/* ---- decoding ------------------------------------------------------------------------- */

size_t eng_tok_decode(const struct eng_tok *t, const int32_t *ids, int n, int remove_special,
		      int unparse_special, char *out, size_t cap)
{
	struct bytes b = { 0 };
	if (!t || (!ids && n > 0))
		return 0;
	int remove_space = t->add_space_prefix;
	if (remove_special && t->add_bos && n > 0 && ids[0] == t->bos) {
		remove_space = 0;
		ids++;
		n--;
	}
	if (remove_special && t->add_eos && n > 0 && ids[n - 1] == t->eos)
		n--;
	for (int i = 0; i < n; i++) {
		int32_t id = ids[i];
		if (id < 0 || id >= t->n_vocab)
			continue;
		if (!unparse_special && (t->attr[id] & (ENG_TOK_ATTR_CONTROL | ENG_TOK_ATTR_UNKNOWN))) {
			remove_space = 0;
			continue;
		}
		size_t pl;
		const char *p = eng_tok_piece(t, id, &pl);
		if (remove_space && pl > 0 && p[0] == ' ') {
			p++;
			pl--;
		}
		remove_space = 0;
		if (bytes_put(&b, p, pl))
			break;
	}
	size_t total = b.n;
	if (t->clean_spaces && total > 0) {
		char *s = b.p;
		/* " ?" " !" " ." " ," lose the space */
		size_t k = 1;
		for (size_t i = 1; i < total; i++) {
			char x = s[i];
			if (s[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ','))
				k--;
			s[k++] = x;
		}
		total = k;
		/* " ' " (a lone apostrophe between spaces) becomes "'" */
		k = 1;
		for (size_t i = 1; i < total; i++) {
			char x = s[i];
			if (x == '\'' && i + 1 < total && s[i - 1] == ' ' && s[i + 1] == ' ') {
				k--;
				s[++i] = 0;
			}
			s[k++] = x;
		}
		total = k;
		/* " 's" " 'm" " 're" " 've" lose the space */
		k = 1;
		for (size_t i = 1; i < total; i++) {
			char x = s[i];
			if (s[i - 1] == ' ' && x == '\'' && i + 1 < total) {
				char x1 = s[i + 1];
				if (x1 == 's' || x1 == 'm')
					k--;
				else if (i + 2 < total && ((x1 == 'r' && s[i + 2] == 'e') ||
							   (x1 == 'v' && s[i + 2] == 'e')))
					k--;
			}
			s[k++] = x;
		}
		total = k;
	}
	if (out && cap && total)
		memcpy(out, b.p, total < cap ? total : cap);
	free(b.p);
	return total;
}

/* ---- streaming detokeniser ------------------------------------------------------------- */

struct eng_tok_stream {
	const struct eng_tok *tok;
	unsigned flags;
	int started;          /* some text has been produced (LSTRIP_FIRST done) */
	unsigned char hold[4];
	size_t nhold;         /* incomplete sequence carried to the next token */
	struct bytes in;      /* hold + new piece */
	struct bytes out;
};

struct eng_tok_stream *eng_tok_stream_new(const struct eng_tok *t, unsigned flags)
{
	if (!t)
		return NULL;
	struct eng_tok_stream *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->tok = t;
	s->flags = flags;
	return s;
}

void eng_tok_stream_free(struct eng_tok_stream *s)
{
	if (!s)
		return;
	free(s->in.p);
	free(s->out.p);
	free(s);
}

/* Length of the valid UTF-8 sequence at p[0..n): >0 complete, 0 needs more
 * bytes (a valid prefix), -1 invalid lead/continuation. */
static int utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	int need;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;
		if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90;
		if (c == 0xF4)
			hi = 0x8F;
	} else {
		return -1;
	}
	for (int i = 1; i < need; i++) {
		if ((size_t)i >= n)
			return 0;
		unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
		if (p[i] < l || p[i] > h)
			return -1;
	}
	return need;
}

static const char *stream_emit(struct eng_tok_stream *s, int final, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s->in.p;
	size_t n = s->in.n, i = 0;
	s->out.n = 0;
	if (bytes_reserve(&s->out, 3 * n + 1))
		return NULL;
	while (i < n) {
		int k = utf8_seq(p + i, n - i);
		if (k > 0) {
			bytes_put(&s->out, p + i, (size_t)k);
			i += (size_t)k;
		} else if (k == 0 && !final) {
			break; /* incomplete: hold it back */
		} else {
			bytes_put(&s->out, "\xEF\xBF\xBD", 3);
			i += 1;
			if (k == 0) {
				/* final: the whole truncated sequence is one replacement */
				while (i < n && (p[i] & 0xC0) == 0x80)
					i++;
			}
		}
	}
	s->nhold = n - i;
	memcpy(s->hold, p + i, s->nhold);
	if (bytes_reserve(&s->out, 1))
		return NULL;
	s->out.p[s->out.n] = 0;
	*len = s->out.n;
	return s->out.p;
}

const char *eng_tok_stream_push(struct eng_tok_stream *s, int32_t id, size_t *len)
{
	size_t dummy;
	if (!len)
		len = &dummy;
	*len = 0;
	if (!s)
		return NULL;
	s->in.n = 0;
	if (bytes_reserve(&s->in, 8) || bytes_put(&s->in, s->hold, s->nhold))
		return NULL;
	size_t pl = 0;
	const char *p = eng_tok_piece(s->tok, id, &pl);
	unsigned a = eng_tok_attr(s->tok, id);
	if (!(s->flags & ENG_TOK_STREAM_SPECIAL) && (a & (ENG_TOK_ATTR_CONTROL | ENG_TOK_ATTR_UNKNOWN)))
		pl = 0;
	if (pl && (s->flags & ENG_TOK_STREAM_LSTRIP_FIRST) && !s->started && s->nhold == 0 && p[0] == ' ') {
		p++;
		pl--;
	}
	if (pl) {
		s->started = 1;
		if (bytes_put(&s->in, p, pl))
			return NULL;
	}
	return stream_emit(s, 0, len);
}

const char *eng_tok_stream_flush(struct eng_tok_stream *s, size_t *len)
{
	size_t dummy;
	if (!len)
		len = &dummy;
	*len = 0;
	if (!s)
		return NULL;
	s->in.n = 0;
	if (bytes_reserve(&s->in, 8) || bytes_put(&s->in, s->hold, s->nhold))
		return NULL;
	const char *r = stream_emit(s, 1, len);
	s->nhold = 0;
	s->started = 0;
	return r;
}
