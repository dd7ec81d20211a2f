/* Text layout by display width: fitting, truncating, wrapping, cleaning.
 * Pure functions (no curses), so the unit tests hold them exactly. */
#include <stdlib.h>
#include <string.h>

#include "tui/tui_int.h"
#include "util/util.h"

int tui_cp_drawable(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 0;
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x200e || cp == 0x200f || cp == 0x061c || cp == 0xfeff)
		return 0;
	return 1;
}

int tui_cp_width(uint32_t cp)
{
	char tmp[8];
	struct util_buf b = { tmp, 0, sizeof tmp };

	if (!tui_cp_drawable(cp))
		return 0;
	if (cp < 0x300) /* Latin, no marks below U+0300 */
		return 1;
	/* util_text_width holds the Unicode table; ask it about one code
	 * point (encoded into a stack buffer: b never grows past 4 bytes). */
	if (util_buf_put_utf8(&b, cp) != 0 || b.len >= sizeof tmp)
		return 1;
	tmp[b.len] = '\0';
	return (int)util_text_width(tmp);
}

size_t tui_text_fit(const char *s, size_t n, int cols, int *used)
{
	size_t i = 0, fit = 0;
	int w = 0;

	while (i < n) {
		uint32_t cp;
		size_t k = util_utf8_decode(s + i, n - i, &cp);
		int cw = tui_cp_width(cp);
		if (w + cw > cols)
			break;
		w += cw;
		i += k;
		fit = i;
	}
	if (used)
		*used = w;
	return fit;
}

char *tui_text_trunc(const char *s, int cols)
{
	int used;
	size_t n = s ? strlen(s) : 0;

	if (cols < 0)
		cols = 0;
	if (util_text_width(s) <= (size_t)cols)
		return util_strndup(s ? s : "", n);
	if (cols == 0)
		return util_strdup("");
	size_t k = tui_text_fit(s, n, cols - 1, &used);
	char *out = malloc(k + 4);
	if (!out)
		return NULL;
	memcpy(out, s, k);
	memcpy(out + k, "\xe2\x80\xa6", 4); /* U+2026, with the NUL */
	return out;
}

static int push_span(struct tui_span **v, size_t *n, size_t *cap, size_t off, size_t len, int w)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct tui_span *p = realloc(*v, c * sizeof *p);
		if (!p)
			return -1;
		*v = p;
		*cap = c;
	}
	(*v)[(*n)++] = (struct tui_span){ off, len, w };
	return 0;
}

static int text_width_n(const char *s, size_t n)
{
	int w = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += util_utf8_decode(s + i, n - i, &cp);
		w += tui_cp_width(cp);
	}
	return w;
}

/* Greedy wrap of one paragraph s[start, end): words are runs of non-space,
 * placed on the line while they fit; a word wider than a line is cut. */
static int wrap_para(const char *s, size_t start, size_t end, int width,
		     struct tui_span **v, size_t *n, size_t *cap)
{
	size_t i = start, line = 0, line_end = 0;
	int line_w = 0, have = 0, emitted = 0;

	while (i < end) {
		size_t sp = i;
		while (i < end && (s[i] == ' ' || s[i] == '\t'))
			i++;
		int spw = text_width_n(s + sp, i - sp); /* a tab is not drawn: 0 */
		if (i >= end)
			break;
		size_t ws = i;
		while (i < end && s[i] != ' ' && s[i] != '\t')
			i++;
		int ww = text_width_n(s + ws, i - ws);
		if (have && line_w + spw + ww <= width) {
			line_end = i;
			line_w += spw + ww;
			continue;
		}
		if (have) {
			if (push_span(v, n, cap, line, line_end - line, line_w))
				return -1;
			emitted = 1;
		}
		/* the word starts a line; cut it while it is too wide */
		size_t p = ws;
		while (ww > width) {
			int used;
			size_t k = tui_text_fit(s + p, i - p, width, &used);
			if (k == 0) { /* a wide character on a 1-column line: alone */
				uint32_t cp;
				k = util_utf8_decode(s + p, i - p, &cp);
				used = tui_cp_width(cp);
			}
			if (push_span(v, n, cap, p, k, used))
				return -1;
			emitted = 1;
			p += k;
			ww -= used;
		}
		line = p;
		line_end = i;
		line_w = ww;
		have = i > p;
	}
	if (have)
		return push_span(v, n, cap, line, line_end - line, line_w);
	if (!emitted)
		return push_span(v, n, cap, start, 0, 0);
	return 0;
}

int tui_text_wrap(const char *s, int width, struct tui_span **out, size_t *n)
{
	struct tui_span *v = NULL;
	size_t cnt = 0, cap = 0;
	size_t len = s ? strlen(s) : 0;
	size_t p = 0;

	if (width < 1)
		width = 1;
	do {
		const char *nl = memchr(s + p, '\n', len - p);
		size_t e = nl ? (size_t)(nl - s) : len;
		if (wrap_para(s, p, e, width, &v, &cnt, &cap)) {
			free(v);
			return -1;
		}
		p = nl ? e + 1 : len;
		if (!nl)
			break;
	} while (1);
	*out = v;
	*n = cnt;
	return 0;
}

char *tui_text_clean(const char *s, int single_line)
{
	char *t = util_text_sanitize(s ? s : "", s ? strlen(s) : 0, !single_line);
	if (!t)
		return NULL;
	for (char *p = t; *p; p++)
		if (*p == '\t')
			*p = ' ';
	if (single_line)
		util_str_squeeze(t);
	return t;
}
