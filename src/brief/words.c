/* Words for the plan: the tokenizer shared by keyword scoring (select.c)
 * and near-duplicate detection (cluster.c). Words become 64-bit hashes so
 * phrases and word sets compare as integers. */
#include <stdlib.h>
#include <string.h>

#include "brief/plan_int.h"
#include "util/util.h"

#define WORD_MAX 64           /* longer runs are cut (and still hashed) */

/* Common English words and news filler that say nothing about the story. */
static const char *const stop_words[] = {
	"a", "about", "above", "after", "again", "against", "all", "also", "am", "an",
	"and", "any", "are", "as", "at", "be", "because", "been", "before", "being",
	"below", "between", "both", "but", "by", "can", "could", "did", "do", "does",
	"doing", "down", "during", "each", "few", "for", "from", "further", "had",
	"has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
	"i", "if", "in", "into", "is", "it", "its", "just", "may", "me", "might",
	"more", "most", "much", "must", "my", "new", "no", "nor", "not", "now", "of",
	"off", "on", "once", "one", "only", "or", "other", "our", "ours", "out",
	"over", "own", "per", "s", "said", "same", "say", "says", "she", "should",
	"since", "so", "some", "such", "than", "that", "the", "their", "theirs",
	"them", "then", "there", "these", "they", "this", "those", "through", "to",
	"too", "under", "until", "up", "update", "us", "very", "via", "was", "we",
	"were", "what", "when", "where", "which", "while", "who", "whom", "why",
	"will", "with", "would", "you", "your", "yours", "week", "today", "yesterday",
	"according", "report", "reports", "reported", "news", "latest", "now",
	"announced", "announces", "announce", "amid", "onto", "across", "around",
	"another", "still", "yet", "way", "ways", "get", "gets", "got", "make",
	"makes", "made", "like", "first", "two", "three", "its", "it's", "set",
};

static int is_stop(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof stop_words / sizeof *stop_words; i++)
		if (strlen(stop_words[i]) == n && memcmp(stop_words[i], w, n) == 0)
			return 1;
	return 0;
}

/* Letters and digits make words; punctuation, symbols, spaces and emoji
 * split them. Non-ASCII code points count as letters outside the blocks of
 * punctuation and symbols. */
static int is_word_cp(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
	if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7)
		return 0;                       /* Latin-1 punctuation and signs */
	if (cp >= 0x2000 && cp <= 0x2BFF)
		return 0;                       /* general punctuation .. arrows, symbols */
	if (cp >= 0x3000 && cp <= 0x303F)
		return 0;                       /* CJK punctuation */
	if (cp >= 0xFE00 && cp <= 0xFE0F)
		return 0;                       /* variation selectors */
	if (cp >= 0xFF00 && cp <= 0xFF0F)
		return 0;                       /* fullwidth punctuation */
	if (cp >= 0x1F000)
		return 0;                       /* emoji and pictographs */
	return 1;
}

static int is_digit(uint32_t cp) { return cp >= '0' && cp <= '9'; }
static int is_apostrophe(uint32_t cp) { return cp == '\'' || cp == 0x2019; }

static uint32_t lower_cp(uint32_t cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + 32;
	if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
		return cp + 32;                 /* Latin-1 capitals */
	return cp;
}

static int all_letters(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] < 'a' || w[i] > 'z')
			return 0;
	return 1;
}

static int ends(const char *w, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n >= k && memcmp(w + n - k, suf, k) == 0;
}

/* Light stemming of an all-ASCII-letter word; returns the new length (the
 * word may be rewritten in place: "ies" -> "y"). */
static size_t stem(char *w, size_t n)
{
	if (n <= 3 || !all_letters(w, n))
		return n;
	if (ends(w, n, "ies") && n > 4) {
		w[n - 3] = 'y';
		n -= 2;
	} else if (ends(w, n, "sses")) {
		n -= 2;
	} else if (ends(w, n, "s") && !ends(w, n, "ss") && !ends(w, n, "us") && !ends(w, n, "is")) {
		n -= 1;
	}
	if (ends(w, n, "ing") && n - 3 >= 4)
		n -= 3;
	else if (ends(w, n, "ed") && n - 2 >= 4)
		n -= 2;
	if (n > 4 && w[n - 1] == 'e')
		n -= 1;
	return n;
}

/* Encode cp (a valid scalar value, >= 0x80) at p; returns the bytes. */
static size_t put_utf8(char *p, uint32_t cp)
{
	if (cp < 0x800) {
		p[0] = (char)(0xC0 | (cp >> 6));
		p[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = (char)(0xE0 | (cp >> 12));
		p[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		p[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	p[0] = (char)(0xF0 | (cp >> 18));
	p[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	p[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	p[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static int words_push(struct plan_words *w, uint64_t h)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		uint64_t *p = realloc(w->h, cap * sizeof *p);
		if (!p)
			return -1;
		w->h = p;
		w->cap = cap;
	}
	w->h[w->n++] = h;
	return 0;
}

/* One finished word in buf[0..n): filter, stem, hash, push. */
static int word_end(struct plan_words *w, char *buf, size_t n, int flags)
{
	if (n == 0)
		return 0;
	if ((flags & PLAN_WORDS_STOP) && is_stop(buf, n))
		return 0;
	n = stem(buf, n);
	return words_push(w, util_hash64(buf, n));
}

int plan_words_add(struct plan_words *w, const char *text, int flags, size_t max)
{
	if (!text)
		return 0;
	size_t len = strlen(text), i = 0, n = 0;
	size_t start = w->n;
	char buf[WORD_MAX + 8];
	uint32_t prev = 0;              /* last code point of the current word */

	while (i < len) {
		if (max && w->n - start >= max)
			return 0;
		uint32_t cp;
		size_t k = util_utf8_decode(text + i, len - i, &cp);
		if (is_word_cp(cp)) {
			cp = lower_cp(cp);
			if (n + 4 <= WORD_MAX) {
				if (cp < 0x80) {
					buf[n++] = (char)cp;
				} else {
					n += put_utf8(buf + n, cp);
				}
			}
			prev = cp;
			i += k;
			continue;
		}
		/* Joiners: an apostrophe between letters, a comma or point
		 * between digits ("1,200" -> "1200", "5.3"). */
		if (n > 0 && i + k < len) {
			uint32_t next;
			util_utf8_decode(text + i + k, len - i - k, &next);
			if (is_apostrophe(cp) && (next == 's' || next == 'S')) {
				/* possessive 's: dropped ("Xi's" -> "xi") */
				uint32_t after = 0;
				if (i + k + 1 < len)
					util_utf8_decode(text + i + k + 1, len - i - k - 1, &after);
				if (!is_word_cp(after)) {
					i += k + 1;
					continue;
				}
			}
			if (is_apostrophe(cp) && !is_digit(prev) && is_word_cp(next) && !is_digit(next)) {
				i += k;
				continue;
			}
			if ((cp == ',' || cp == '.') && is_digit(prev) && is_digit(next)) {
				if (cp == '.' && n + 1 <= WORD_MAX)
					buf[n++] = '.';
				i += k;
				continue;
			}
		}
		if (word_end(w, buf, n, flags) < 0)
			return -1;
		n = 0;
		i += k;
	}
	if (max && w->n - start >= max)
		return 0;
	return word_end(w, buf, n, flags);
}

void plan_words_free(struct plan_words *w)
{
	free(w->h);
	w->h = NULL;
	w->n = w->cap = 0;
}

int plan_words_has(const struct plan_words *w, const uint64_t *p, size_t np)
{
	if (np == 0 || np > w->n)
		return 0;
	for (size_t i = 0; i + np <= w->n; i++) {
		if (w->h[i] != p[0])
			continue;
		size_t j = 1;
		while (j < np && w->h[i + j] == p[j])
			j++;
		if (j == np)
			return 1;
	}
	return 0;
}
