/* libFuzzer target: the feed parser (feed_parse_buffer, which runs the
 * encoding detection, the entity pre-pass, libxml2 and the HTML to text
 * conversion), and the URL functions on pieces of the input. Every output
 * string must be valid UTF-8 without control characters, and all of them
 * together no longer than FEED_PARSE_OUT_MAX(size) (feed.h's bound; run.sh's
 * -timeout and -rss_limit_mb hold the time and memory to it). Seeds:
 * the corpus and tests/fuzz/seeds/feed/ (hostile sizes). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed/feed.h"
#include "util/util.h"

static size_t out_bytes;

static void check_text(const char *s)
{
	if (!s)
		return;
	size_t n = strlen(s);
	out_bytes += n;
	if (!util_utf8_valid(s, n))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	/* the first byte picks an HTTP charset now and then */
	static const char *const charsets[] = { NULL, "utf-8", "iso-8859-1", "windows-1252", "utf-16", "koi8-r", "bogus" };
	const char *cs = size ? charsets[data[0] % (sizeof(charsets) / sizeof(charsets[0]))] : NULL;

	struct feed_doc *d = NULL;
	if (feed_parse_buffer(buf, size, "http://example.com/a/feed.xml", cs, &d) == FEED_OK) {
		out_bytes = 0;
		check_text(d->title);
		check_text(d->link);
		check_text(d->encoding);
		check_text(d->error);
		check_text(d->description);
		for (size_t i = 0; i < d->n_entries; i++) {
			const struct feed_entry *e = &d->entries[i];
			check_text(e->title);
			check_text(e->summary);
			check_text(e->content);
			check_text(e->author);
			check_text(e->guid);
			check_text(e->link);
		}
		if (out_bytes > FEED_PARSE_OUT_MAX(size))
			abort();
		feed_doc_free(d);
	}

	char *t = feed_html_to_text(buf, size);
	check_text(t);
	free(t);

	/* URLs: split the input at the first newline into base and ref */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	char *nl = strchr(s, '\n');
	const char *base = s, *ref = nl ? nl + 1 : s;
	if (nl)
		*nl = 0;
	char *r = feed_url_resolve(base, ref);
	char *n = feed_url_normalize(r ? r : ref);
	char host[256];
	(void)feed_url_host(n ? n : base, host, sizeof(host));
	(void)feed_html_looks_like(s);
	free(r);
	free(n);
	free(s);
	return 0;
}
