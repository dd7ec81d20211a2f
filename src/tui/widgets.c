/* Widgets: the one text-drawing primitive (nothing undrawable reaches the
 * terminal through it), styles, the list and the line editor. */
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "tui/tui_int.h"
#include "util/util.h"

void tui_attr(struct tui_app *a, enum tui_elem e)
{
	const struct tui_style *s = &a->theme[e];
	attr_t at = A_NORMAL;

	if (s->attrs & TUI_A_BOLD)
		at |= A_BOLD;
	if (s->attrs & TUI_A_REVERSE)
		at |= A_REVERSE;
	if (s->attrs & TUI_A_UNDERLINE)
		at |= A_UNDERLINE;
	if (s->attrs & TUI_A_DIM)
		at |= A_DIM;
	/* Without colours, bars and the selection stand out by reverse video. */
	if (!a->color && (e == TUI_E_HEADER || e == TUI_E_STATUS || e == TUI_E_SELECTED))
		at |= A_REVERSE;
	short pair = (a->color && s->fg != -2) ? (short)(e + 1) : 0;
	attr_set(at, pair, NULL);
}

static int ascii_only; /* set once at start from the locale */

void tui_draw_set_ascii(int on)
{
	ascii_only = on;
}

int tui_draw_textn(int y, int x, const char *s, size_t n, int cols)
{
	char out[1024];
	size_t o = 0;
	int w = 0;

	if (cols <= 0 || !s)
		return 0;
	move(y, x);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = util_utf8_decode(s + i, n - i, &cp);
		if (k == 0)
			break;
		if (!tui_cp_drawable(cp) || cp == 0xfffd) {
			/* drop controls; show invalid bytes as U+FFFD */
			if (cp != 0xfffd) {
				i += k;
				continue;
			}
		}
		int cw = tui_cp_width(cp);
		if (w + cw > cols)
			break;
		if (o + 4 >= sizeof out) {
			addnstr(out, (int)o);
			o = 0;
		}
		if (ascii_only && cp >= 0x80) {
			for (int q = 0; q < cw; q++)
				out[o++] = '?';
		} else if (cp == 0xfffd) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
		} else {
			memcpy(out + o, s + i, k);
			o += k;
		}
		w += cw;
		i += k;
	}
	if (o)
		addnstr(out, (int)o);
	return w;
}

int tui_draw_text(int y, int x, const char *s, int cols)
{
	return tui_draw_textn(y, x, s, s ? strlen(s) : 0, cols);
}

void tui_draw_fill(int y, int x, int cols)
{
	if (cols > 0)
		mvhline(y, x, ' ', cols);
}

void tui_fmt_time(int64_t t, char *buf, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || !localtime_r(&tt, &tm)) {
		snprintf(buf, size, "never");
		return;
	}
	strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
}

/* ---- list --------------------------------------------------------------- */

void tui_list_clamp(struct tui_list *l, int rows)
{
	size_t r = rows > 0 ? (size_t)rows : 1;

	if (l->n == 0) {
		l->sel = l->top = 0;
		return;
	}
	if (l->sel >= l->n)
		l->sel = l->n - 1;
	if (l->sel < l->top)
		l->top = l->sel;
	if (l->sel >= l->top + r)
		l->top = l->sel - r + 1;
	if (l->top + r > l->n)
		l->top = l->n > r ? l->n - r : 0;
}

int tui_list_cmd(struct tui_list *l, enum tui_cmd cmd, int rows)
{
	size_t r = rows > 1 ? (size_t)rows : 1;
	size_t old = l->sel, old_top = l->top;

	if (l->n == 0)
		return TUI_R_NONE;
	switch (cmd) {
	case TUI_CMD_UP:
		if (l->sel > 0)
			l->sel--;
		break;
	case TUI_CMD_DOWN:
		if (l->sel + 1 < l->n)
			l->sel++;
		break;
	case TUI_CMD_PAGE_UP:
	case TUI_CMD_HALF_UP: {
		size_t d = cmd == TUI_CMD_PAGE_UP ? r : (r + 1) / 2;
		l->sel = l->sel > d ? l->sel - d : 0;
		l->top = l->top > d ? l->top - d : 0;
		break;
	}
	case TUI_CMD_PAGE_DOWN:
	case TUI_CMD_HALF_DOWN: {
		size_t d = cmd == TUI_CMD_PAGE_DOWN ? r : (r + 1) / 2;
		l->sel = l->sel + d < l->n ? l->sel + d : l->n - 1;
		l->top += d;
		break;
	}
	case TUI_CMD_TOP:
		l->sel = 0;
		break;
	case TUI_CMD_BOTTOM:
		l->sel = l->n - 1;
		break;
	default:
		return TUI_R_UNHANDLED;
	}
	tui_list_clamp(l, rows);
	return (l->sel != old || l->top != old_top) ? TUI_R_REDRAW : TUI_R_NONE;
}

/* ---- line editor -------------------------------------------------------- */

void tui_input_set(struct tui_input *in, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n >= sizeof in->buf)
		n = tui_text_fit(s, sizeof in->buf - 1, (int)sizeof in->buf, NULL);
	memcpy(in->buf, s ? s : "", n);
	in->buf[n] = '\0';
	in->len = n;
}

int tui_input_key(struct tui_input *in, int key)
{
	if (key == '\n' || key == '\r' || key == (TUI_KEY_FN | KEY_ENTER))
		return 1;
	if (key == 27 || key == 7) /* Esc, C-g */
		return -1;
	if (key == 127 || key == 8 || key == (TUI_KEY_FN | KEY_BACKSPACE)) {
		while (in->len > 0) {
			in->len--;
			if (((unsigned char)in->buf[in->len] & 0xc0) != 0x80)
				break;
		}
		in->buf[in->len] = '\0';
		return 0;
	}
	if (key == 21) { /* C-u */
		in->len = 0;
		in->buf[0] = '\0';
		return 0;
	}
	if (key == 23) { /* C-w: the last word */
		while (in->len > 0 && in->buf[in->len - 1] == ' ')
			in->len--;
		while (in->len > 0 && in->buf[in->len - 1] != ' ')
			in->len--;
		in->buf[in->len] = '\0';
		return 0;
	}
	if (key & TUI_KEY_FN || key < 0x20 || !tui_cp_drawable((uint32_t)key) || key > 0x10ffff)
		return 0;
	struct util_buf b;
	util_buf_init(&b);
	if (util_buf_put_utf8(&b, (uint32_t)key) == 0 && in->len + b.len < sizeof in->buf) {
		memcpy(in->buf + in->len, b.data, b.len);
		in->len += b.len;
		in->buf[in->len] = '\0';
	}
	util_buf_free(&b);
	return 0;
}

/* ---- item rows ---------------------------------------------------------- */

static int replace_clean(char **p)
{
	char *c = tui_text_clean(*p, 1);
	if (!c)
		return -1;
	free(*p);
	*p = c;
	return 0;
}

int tui_items_clean(struct store_item *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (replace_clean(&v[i].title) || replace_clean(&v[i].feed_title) ||
		    replace_clean(&v[i].url))
			return -1;
	return 0;
}

void tui_draw_item_row(struct tui_app *a, int y, const struct store_item *it, int selected)
{
	char when[32];
	int x = 0, cols = a->cols;
	const int feed_w = cols >= 120 ? 24 : 16;

	tui_attr(a, selected ? TUI_E_SELECTED : it->read ? TUI_E_NORMAL : TUI_E_UNREAD);
	tui_draw_fill(y, 0, cols);
	tui_draw_text(y, 1, it->read ? " " : "N", 1);
	x = 3;
	tui_fmt_time(it->published, when, sizeof when);
	if (!selected)
		tui_attr(a, TUI_E_DIM);
	tui_draw_text(y, x, when, 16);
	x += 18;
	char *ft = tui_text_trunc(it->feed_title && *it->feed_title ? it->feed_title : "-", feed_w);
	tui_draw_text(y, x, ft ? ft : "", feed_w);
	free(ft);
	x += feed_w + 2;
	if (!selected)
		tui_attr(a, it->read ? TUI_E_NORMAL : TUI_E_UNREAD);
	const char *t = it->title && *it->title ? it->title : "(no title)";
	char *tr = tui_text_trunc(t, cols - x - 1);
	tui_draw_text(y, x, tr ? tr : t, cols - x - 1);
	free(tr);
}
