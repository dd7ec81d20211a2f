/* Documents: paragraphs of cleaned text with a style and a tag, wrapped to
 * the window by display width and scrolled like less. The reader, the
 * story view (and any later pager-like view) are built on it. */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui_int.h"
#include "util/util.h"

int tui_doc_add(struct tui_doc *d, const char *text, enum tui_elem style, int tag, int indent)
{
	if (d->n_paras == d->cap_paras) {
		size_t c = d->cap_paras ? d->cap_paras * 2 : 32;
		struct tui_doc_para *p = realloc(d->paras, c * sizeof *p);
		if (!p)
			return -1;
		d->paras = p;
		d->cap_paras = c;
	}
	char *t = tui_text_clean(text, 0);
	if (!t)
		return -1;
	d->paras[d->n_paras++] = (struct tui_doc_para){ t, style, tag, indent };
	d->width = 0;
	return 0;
}

int tui_doc_addf(struct tui_doc *d, enum tui_elem style, int tag, int indent, const char *fmt, ...)
{
	va_list ap;
	struct util_buf b;
	int rc = 0;

	util_buf_init(&b);
	va_start(ap, fmt);
	char tmp[1];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap2);
	va_end(ap2);
	if (n < 0 || util_buf_reserve(&b, (size_t)n + 1) != 0)
		rc = -1;
	else {
		vsnprintf(b.data, (size_t)n + 1, fmt, ap);
		b.len = (size_t)n;
	}
	va_end(ap);
	if (rc == 0)
		rc = tui_doc_add(d, b.data, style, tag, indent);
	util_buf_free(&b);
	return rc;
}

int tui_doc_layout(struct tui_doc *d, int width)
{
	struct tui_doc_line *v = NULL;
	size_t n = 0, cap = 0;
	int old_para = d->n && d->top < d->n ? d->lines[d->top].para : 0;

	if (width < 4)
		width = 4;
	for (size_t p = 0; p < d->n_paras; p++) {
		const struct tui_doc_para *pp = &d->paras[p];
		struct tui_span *sp = NULL;
		size_t k = 0;
		int w = width - pp->indent > 4 ? width - pp->indent : 4;
		if (tui_text_wrap(pp->text, w, &sp, &k)) {
			free(v);
			return -1;
		}
		if (n + k > cap) {
			size_t c = (n + k) * 2 + 16;
			struct tui_doc_line *nv = realloc(v, c * sizeof *nv);
			if (!nv) {
				free(sp);
				free(v);
				return -1;
			}
			v = nv;
			cap = c;
		}
		for (size_t i = 0; i < k; i++)
			v[n++] = (struct tui_doc_line){ pp->text + sp[i].off, sp[i].len, pp->style,
							pp->tag, pp->indent, (int)p };
		free(sp);
	}
	free(d->lines);
	d->lines = v;
	d->n = n;
	d->width = width;
	/* keep the paragraph that was at the top there */
	d->top = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].para == old_para) {
			d->top = i;
			break;
		}
	return 0;
}

void tui_doc_free(struct tui_doc *d)
{
	for (size_t p = 0; p < d->n_paras; p++)
		free(d->paras[p].text);
	free(d->paras);
	free(d->lines);
	memset(d, 0, sizeof *d);
}

int tui_doc_scroll(struct tui_doc *d, enum tui_cmd cmd, int rows)
{
	size_t page = rows > 1 ? (size_t)rows : 1;
	size_t mt = d->n > page ? d->n - page : 0, old = d->top;

	switch (cmd) {
	case TUI_CMD_UP:
		if (d->top > 0)
			d->top--;
		break;
	case TUI_CMD_DOWN:
		if (d->top < mt)
			d->top++;
		break;
	case TUI_CMD_PAGE_UP:
		d->top = d->top > page - 1 ? d->top - (page - 1) : 0;
		break;
	case TUI_CMD_PAGE_DOWN:
		d->top = d->top + page - 1 < mt ? d->top + page - 1 : mt;
		break;
	case TUI_CMD_HALF_UP:
		d->top = d->top > page / 2 ? d->top - page / 2 : 0;
		break;
	case TUI_CMD_HALF_DOWN:
		d->top = d->top + page / 2 < mt ? d->top + page / 2 : mt;
		break;
	case TUI_CMD_TOP:
		d->top = 0;
		break;
	case TUI_CMD_BOTTOM:
		d->top = mt;
		break;
	default:
		return TUI_R_UNHANDLED;
	}
	if (d->top > mt)
		d->top = mt;
	return d->top != old ? TUI_R_REDRAW : TUI_R_NONE;
}

void tui_doc_draw(struct tui_app *a, const struct tui_doc *d, int y0, int x0, int rows,
		  int hl_tag, enum tui_elem hl_style)
{
	for (int r = 0; r < rows && d->top + (size_t)r < d->n; r++) {
		const struct tui_doc_line *l = &d->lines[d->top + (size_t)r];
		int hl = hl_tag >= 0 && l->tag == hl_tag;
		tui_attr(a, hl ? hl_style : l->style);
		int x = x0 + l->indent;
		tui_draw_textn(y0 + r, x, l->s, l->len, a->cols - x - 1);
	}
}

void tui_doc_position(const struct tui_doc *d, int rows, char *buf, size_t size)
{
	size_t r = rows > 0 ? (size_t)rows : 1;
	size_t end = d->top + r < d->n ? d->top + r : d->n;
	snprintf(buf, size, "lines %zu-%zu of %zu (%d%%)", d->n ? d->top + 1 : 0, end, d->n,
		 d->n ? (int)(100 * end / d->n) : 100);
}
