/* libFuzzer target: what the writing half does with untrusted text — the
 * faithfulness check (model output against feed text), fencing (feed text
 * can never close the fence), template expansion (a user's template), the
 * reply parsers through the renderers. The input is split at the first NUL
 * byte: text before, "sources" after. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "brief/brief_write.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 2);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	const char *text = buf;
	const char *src = buf + strlen(buf) + 1;
	if (src > buf + size)
		src = "";
	char *why = NULL;
	for (int h = 0; h < 2; h++) {
		if (brief_check_text(text, src, h, &why) == 1 && !why)
			abort();
		free(why);
		why = NULL;
	}
	/* as generate runs it: the sources as shown, headline and body */
	char *shown = brief_check_sources(src);
	if (shown) {
		if (brief_check_entry(NULL, text, src, shown, &why) == 1 && !why)
			abort();
		free(why);
		why = NULL;
		free(shown);
	}
	/* the fence holds: exactly one opening and one closing marker */
	char *f = brief_fence(text);
	if (f) {
		const char *a = strstr(f, BRIEF_FENCE_OPEN), *z = strstr(f, BRIEF_FENCE_CLOSE);
		if (!a || !z || strstr(a + 1, BRIEF_FENCE_OPEN) || strstr(z + 1, BRIEF_FENCE_CLOSE) ||
		    strstr(f + strlen(BRIEF_FENCE_OPEN), ">>>") != z + strlen("SOURCES"))
			abort();
		free(f);
	}
	struct brief_var v[] = { { "a", "x" }, { "sources", src } };
	char *out = NULL;
	if (brief_template_expand(text, "fuzz", v, 2, &out, &why) == BRIEF_OK) {
		free(out);
	} else {
		free(why);
	}
	/* a stored briefing made of the input renders in every format */
	struct store_briefing_source s0 = { 1, (char *)src, NULL, (char *)text, (char *)src, 0 };
	struct store_briefing_story st = { .rank = 1, .kind = "story", .section = (char *)src,
		.headline = (char *)text, .body = (char *)text, .flagged = 1,
		.flag_reason = (char *)src, .src = &s0, .n_src = 1 };
	struct store_briefing b = { .id = 1, .edition = "evening", .edition_date = (char *)text,
		.style = size & 1 ? "digest" : "secretary", .tagline = (char *)text,
		.assessment = (char *)text, .bottom_line = (char *)src, .backend = "extractive",
		.stories = &st, .n_stories = 1 };
	for (int fm = BRIEF_FMT_MD; fm <= BRIEF_FMT_JSON; fm++)
		if (brief_render_briefing(&b, (enum brief_format)fm, &out) == BRIEF_OK)
			free(out);
	free(buf);
	return 0;
}
