/* Private to the plan half of brief (sections.c, select.c, cluster.c,
 * rank.c, words.c): how text becomes words. */
#ifndef BRIEFING_BRIEF_PLAN_INT_H
#define BRIEFING_BRIEF_PLAN_INT_H

#include <stddef.h>
#include <stdint.h>

/* A growable array of word hashes. */
struct plan_words {
	uint64_t *h;
	size_t n, cap;
};

enum {
	PLAN_WORDS_STOP = 1,      /* leave out English stop words and news filler */
};

/* Split UTF-8 text into words and append one 64-bit hash per word. A word
 * is a run of letters and digits (ASCII alphanumerics and non-ASCII letters;
 * general punctuation, symbols and emoji split words), lower-cased, with a
 * possessive 's dropped ("Xi's" -> "xi") and any other apostrophe between
 * letters too ("don't" -> "dont"), digit
 * groups joined ("1,200" -> "1200", "5.3" stays), then lightly stemmed
 * (plural and -ing/-ed endings, a final e), so "export-controls" and
 * "Export Control" give the same two hashes. At most max words are appended
 * (0 = no limit). text may be NULL. 0 ok, -1 out of memory. */
int plan_words_add(struct plan_words *w, const char *text, int flags, size_t max);
void plan_words_free(struct plan_words *w);

/* Does the phrase (hashes p[0..np)) occur as consecutive words in w? */
int plan_words_has(const struct plan_words *w, const uint64_t *p, size_t np);

#endif
