/* libFuzzer target: OPML parsing, and the writer's output must parse back
 * to the same number of entries (so escaping is complete). The entries'
 * strings together stay within FEED_PARSE_OUT_MAX(size) (feed.h's bound).
 * Seeds: the corpus's OPML files and tests/fuzz/seeds/opml/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed/feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed_opml_entry *e = NULL;
	size_t n = 0;
	if (feed_opml_parse((const char *)data, size, &e, &n) != FEED_OK)
		return 0;
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s[] = { e[i].url, e[i].title, e[i].site, e[i].category };
		for (size_t k = 0; k < 4; k++)
			out += s[k] ? strlen(s[k]) : 0;
	}
	if (out > FEED_PARSE_OUT_MAX(size))
		abort();
	char *xml = feed_opml_write(e, n, "fuzz");
	if (xml) {
		struct feed_opml_entry *e2 = NULL;
		size_t n2 = 0;
		if (feed_opml_parse(xml, strlen(xml), &e2, &n2) != FEED_OK || n2 != n)
			abort();
		for (size_t i = 0; i < n2; i++)
			if (!e2[i].url)
				abort();
		feed_opml_free(e2, n2);
		free(xml);
	}
	feed_opml_free(e, n);
	return 0;
}
