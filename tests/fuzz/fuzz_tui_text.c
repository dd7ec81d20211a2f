/* libFuzzer target: the reader's text layout on untrusted bytes —
 * tui_text_clean (one line and paragraphs), tui_text_wrap at a width taken
 * from the input, tui_text_trunc and tui_text_fit, and a document laid out
 * from the cleaned text. Cleaned text must hold nothing a terminal acts on;
 * wrapped lines must fit (a lone wide character on a 1-column line aside),
 * stay in order inside the text, and never split a code point of valid
 * input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui_int.h"
#include "util/util.h"

static void check_clean(const char *s, int single_line)
{
	size_t n = strlen(s);
	if (!util_utf8_valid(s, n))
		abort();
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += util_utf8_decode(s + i, n - i, &cp);
		if (cp == '\n' && !single_line)
			continue;
		if (!tui_cp_drawable(cp))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int width = size ? 1 + data[0] % 120 : 40;
	char *raw = malloc(size + 1);
	if (!raw)
		return 0;
	memcpy(raw, data, size);
	raw[size] = '\0'; /* the text stops at the first NUL, as C strings do */

	char *one = tui_text_clean(raw, 1), *many = tui_text_clean(raw, 0);
	if (!one || !many)
		abort();
	check_clean(one, 1);
	check_clean(many, 0);

	/* wrap the raw bytes (the wrapper must cope with anything) and the text */
	const char *texts[] = { raw, many };
	for (int t = 0; t < 2; t++) {
		const char *s = texts[t];
		size_t len = strlen(s);
		struct tui_span *v = NULL;
		size_t n = 0;
		if (tui_text_wrap(s, width, &v, &n) != 0 || n == 0)
			abort();
		size_t prev_end = 0;
		for (size_t i = 0; i < n; i++) {
			if (v[i].off < prev_end || v[i].off + v[i].len > len)
				abort();
			prev_end = v[i].off + v[i].len;
			char *line = util_strndup(s + v[i].off, v[i].len);
			if (!line)
				abort();
			int w = (int)util_text_width(line);
			if (w != v[i].width || (w > width && !(width == 1 && w == 2)))
				abort();
			if (util_utf8_valid(s, len) && !util_utf8_valid(line, v[i].len))
				abort();
			free(line);
		}
		free(v);
	}

	char *tr = tui_text_trunc(one, width);
	if (!tr || util_text_width(tr) > (size_t)width)
		abort();
	int used = -1;
	size_t k = tui_text_fit(one, strlen(one), width, &used);
	if (k > strlen(one) || used > width)
		abort();

	struct tui_doc d = { 0 };
	if (tui_doc_add(&d, raw, TUI_E_NORMAL, 0, width % 5) || tui_doc_layout(&d, width) ||
	    (d.n == 0))
		abort();
	for (size_t i = 0; i < d.n; i++)
		if (memchr(d.lines[i].s, '\x1b', d.lines[i].len))
			abort();
	tui_doc_free(&d);
	free(tr);
	free(one);
	free(many);
	free(raw);
	return 0;
}
