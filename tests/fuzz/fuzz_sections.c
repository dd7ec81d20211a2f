/* libFuzzer target for the plan half of brief: the sections.conf reader on
 * arbitrary bytes, the lexicon reader, the word splitter, and clustering and ranking of items
 * whose titles and summaries are pieces of the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "brief/brief_int.h"
#include "brief/plan_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct brief_sections secs;
	char *err = NULL;
	if (brief_sections_parse((const char *)data, size, "fuzz", &secs, &err) == BRIEF_OK) {
		if (err || secs.n == 0)
			abort();
		brief_sections_free(&secs);
	} else if (!err) {
		abort();
	}
	free(err);
	err = NULL;

	/* the same bytes as a lexicon over the bundled sections */
	if (brief_sections_load(NULL, &secs, NULL) == BRIEF_OK) {
		if (brief_lexicon_parse((const char *)data, size, "fuzz", &secs, &err) != BRIEF_OK &&
		    !err)
			abort();
		brief_sections_free(&secs);
		free(err);
	}

	/* four NUL-terminated pieces: title and summary of two items */
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	char *piece[4] = { text, "", "", "" };
	for (size_t i = 0, k = 1; i < size && k < 4; i++)
		if (text[i] == '\n') {
			text[i] = 0;
			piece[k++] = text + i + 1;
		}
	struct plan_words w = {0};
	for (int f = 0; f < 2; f++)
		if (plan_words_add(&w, piece[0], f ? PLAN_WORDS_STOP : 0, 0) == 0)
			(void)plan_words_has(&w, w.h, w.n > 3 ? 3 : w.n);
	plan_words_free(&w);

	if (brief_sections_load(NULL, &secs, NULL) != BRIEF_OK)
		abort();
	struct brief_item it[3];
	memset(it, 0, sizeof it);
	for (int i = 0; i < 3; i++) {
		it[i].it.title = piece[i % 4];
		it[i].it.summary = piece[(i + 1) % 4];
		it[i].it.url = i == 2 ? piece[3] : "https://example.com/x";
		it[i].it.feed_id = i;
		it[i].it.published = (int64_t)i * 3600;
		it[i].section = (int)((size_t)i % secs.n);
		it[i].score = (double)(size % 7) + i;
	}
	struct brief_story *st = NULL;
	size_t n = 0;
	if (brief_cluster(it, 3, 0.25, &st, &n) == BRIEF_OK) {
		size_t seen = 0;
		for (size_t k = 0; k < n; k++)
			seen += st[k].n_items;
		if (seen != 3)
			abort();
		brief_rank(st, &n, it, &secs, 7200);
		brief_stories_free(st, n);
	}
	brief_sections_free(&secs);
	free(text);
	return 0;
}
