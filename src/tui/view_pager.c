/* The pager: one item's text, wrapped to the window and scrolled like
 * less (j/k, space/b, g/G, PgUp/PgDn); n/p step through the list beneath.
 * Opening an item marks it read. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tui/tui_int.h"
#include "util/util.h"

enum { BLK_TITLE, BLK_META, BLK_LINK, BLK_BLANK, BLK_BODY, BLK_COUNT };
static const enum tui_elem blk_style[BLK_COUNT] = {
	[BLK_TITLE] = TUI_E_HEADING, [BLK_META] = TUI_E_DIM, [BLK_LINK] = TUI_E_LINK,
	[BLK_BLANK] = TUI_E_NORMAL, [BLK_BODY] = TUI_E_NORMAL,
};

struct pline {
	const char *s;        /* into blk[] */
	size_t len;
	enum tui_elem style;
};

struct pager_state {
	struct store_item it; /* cleaned title, feed_title, url */
	int have;
	char *blk[BLK_COUNT]; /* cleaned text of each block */
	struct pline *lines;
	size_t n;
	size_t top;
	int width;            /* wrapped for this width */
};

static struct pager_state *S(struct tui_app *a)
{
	return a->vstate[TUI_V_PAGER];
}

static int body_rows(struct tui_app *a)
{
	return a->rows - 2 > 1 ? a->rows - 2 : 1;
}

static int text_width(struct tui_app *a)
{
	int w = a->cols - 4;
	return w > 10 ? w : 10;
}

static void clear_text(struct pager_state *s)
{
	for (int b = 0; b < BLK_COUNT; b++) {
		free(s->blk[b]);
		s->blk[b] = NULL;
	}
	free(s->lines);
	s->lines = NULL;
	s->n = 0;
}

static int layout(struct pager_state *s, int width)
{
	size_t cap = 0;

	free(s->lines);
	s->lines = NULL;
	s->n = 0;
	s->width = width;
	for (int b = 0; b < BLK_COUNT; b++) {
		struct tui_span *sp = NULL;
		size_t n = 0;
		if (!s->blk[b])
			continue;
		if (tui_text_wrap(s->blk[b], width, &sp, &n))
			return -1;
		if (s->n + n > cap) {
			cap = (s->n + n) * 2;
			struct pline *p = realloc(s->lines, cap * sizeof *p);
			if (!p) {
				free(sp);
				return -1;
			}
			s->lines = p;
		}
		for (size_t i = 0; i < n; i++)
			s->lines[s->n++] = (struct pline){ s->blk[b] + sp[i].off, sp[i].len,
							   blk_style[b] };
		free(sp);
	}
	return 0;
}

static int load(struct tui_app *a, struct pager_state *s, int64_t id)
{
	struct store_item it;
	char when[32];

	if (store_item_get(a->st, id, &it) != STORE_OK) {
		tui_status(a, 1, "cannot read item %lld: %s", (long long)id, store_errmsg(a->st));
		return -1;
	}
	if (tui_items_clean(&it, 1)) {
		store_item_clear(&it);
		return -1;
	}
	if (s->have)
		store_item_clear(&s->it);
	clear_text(s);
	s->it = it;
	s->have = 1;
	s->top = 0;
	tui_fmt_time(it.published, when, sizeof when);
	char *author = tui_text_clean(it.author, 1);
	s->blk[BLK_TITLE] = util_strdup(it.title && *it.title ? it.title : "(no title)");
	s->blk[BLK_META] = util_strfmt("%s | %s%s%s", it.feed_title ? it.feed_title : "-", when,
				       author && *author ? " | " : "", author ? author : "");
	free(author);
	if (it.url && *it.url)
		s->blk[BLK_LINK] = util_strdup(it.url);
	s->blk[BLK_BLANK] = util_strdup("");
	const char *body = it.content && *it.content ? it.content : it.summary;
	s->blk[BLK_BODY] = tui_text_clean(body && *body ? body : "(this item has no text)", 0);
	for (int b = 0; b < BLK_COUNT; b++)
		if (!s->blk[b] && b != BLK_LINK)
			return -1;
	if (layout(s, text_width(a)))
		return -1;
	if (!it.read && store_item_set_read(a->st, it.id, 1) == STORE_OK) {
		s->it.read = 1;
		tui_item_read_changed(a, it.id, 1);
	}
	return 0;
}

static int pager_enter(struct tui_app *a, int64_t arg)
{
	struct pager_state *s = S(a);

	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return TUI_R_QUIT;
		a->vstate[TUI_V_PAGER] = s;
	}
	if (arg > 0 && load(a, s, arg) != 0)
		return tui_view_pop(a);
	return TUI_R_REDRAW;
}

static size_t max_top(struct tui_app *a, struct pager_state *s)
{
	size_t r = (size_t)body_rows(a);
	return s->n > r ? s->n - r : 0;
}

static void pager_draw(struct tui_app *a, int top, int rows)
{
	struct pager_state *s = S(a);

	for (int r = 0; r < rows && s->top + (size_t)r < s->n; r++) {
		const struct pline *l = &s->lines[s->top + (size_t)r];
		tui_attr(a, l->style);
		tui_draw_textn(top + r, 2, l->s, l->len, a->cols - 4);
	}
}

/* Step the list beneath (dir: TUI_CMD_DOWN / TUI_CMD_UP) and show its item. */
static int step(struct tui_app *a, enum tui_cmd dir)
{
	struct pager_state *s = S(a);

	if (a->depth < 2)
		return TUI_R_NONE;
	const struct tui_view *under = tui_view_get(a->stack[a->depth - 2]);
	if (!under->selected)
		return TUI_R_NONE;
	under->key(a, dir, TUI_KEY_NONE);
	int64_t id = under->selected(a);
	if (!id || id == s->it.id) {
		tui_status(a, 0, dir == TUI_CMD_DOWN ? "no next item" : "no previous item");
		return TUI_R_REDRAW;
	}
	if (load(a, s, id) != 0)
		return tui_view_pop(a);
	return TUI_R_REDRAW;
}

static int pager_key(struct tui_app *a, enum tui_cmd cmd, int key)
{
	struct pager_state *s = S(a);
	size_t page = (size_t)body_rows(a), mt = max_top(a, s), old = s->top;

	switch (cmd) {
	case TUI_CMD_UP:
		if (s->top > 0)
			s->top--;
		break;
	case TUI_CMD_DOWN:
		if (s->top < mt)
			s->top++;
		break;
	case TUI_CMD_PAGE_UP:
		s->top = s->top > page - 1 ? s->top - (page - 1) : 0;
		break;
	case TUI_CMD_PAGE_DOWN:
		s->top = s->top + page - 1 < mt ? s->top + page - 1 : mt;
		break;
	case TUI_CMD_HALF_UP:
		s->top = s->top > page / 2 ? s->top - page / 2 : 0;
		break;
	case TUI_CMD_HALF_DOWN:
		s->top = s->top + page / 2 < mt ? s->top + page / 2 : mt;
		break;
	case TUI_CMD_TOP:
		s->top = 0;
		break;
	case TUI_CMD_BOTTOM:
		s->top = mt;
		break;
	case TUI_CMD_OPEN_LINK:
		return tui_open_url(a, s->it.url);
	case TUI_CMD_TOGGLE_READ:
		if (store_item_set_read(a->st, s->it.id, !s->it.read) != STORE_OK) {
			tui_status(a, 1, "cannot mark the item: %s", store_errmsg(a->st));
		} else {
			s->it.read = !s->it.read;
			tui_item_read_changed(a, s->it.id, s->it.read);
			tui_status(a, 0, "marked %s", s->it.read ? "read" : "unread");
		}
		return TUI_R_REDRAW;
	case TUI_CMD_NEXT:
		return step(a, TUI_CMD_DOWN);
	case TUI_CMD_PREV:
		return step(a, TUI_CMD_UP);
	default:
		return TUI_R_UNHANDLED;
	}
	return s->top != old ? TUI_R_REDRAW : TUI_R_NONE;
}

static void pager_resize(struct tui_app *a)
{
	struct pager_state *s = S(a);

	if (!s || !s->have || s->width == text_width(a))
		return;
	/* keep the first line on screen roughly where it was */
	double frac = s->n ? (double)s->top / (double)s->n : 0;
	if (layout(s, text_width(a)) == 0)
		s->top = (size_t)(frac * (double)s->n);
	if (s->top > max_top(a, s))
		s->top = max_top(a, s);
}

static void pager_title(struct tui_app *a, char *buf, size_t size)
{
	struct pager_state *s = S(a);
	size_t r = (size_t)body_rows(a);
	size_t end = s->top + r < s->n ? s->top + r : s->n;
	snprintf(buf, size, "lines %zu-%zu of %zu (%d%%)", s->n ? s->top + 1 : 0, end, s->n,
		 s->n ? (int)(100 * end / s->n) : 100);
}

static void pager_destroy(struct tui_app *a)
{
	struct pager_state *s = S(a);
	if (!s)
		return;
	clear_text(s);
	if (s->have)
		store_item_clear(&s->it);
	free(s);
	a->vstate[TUI_V_PAGER] = NULL;
}

const struct tui_view tui_view_pager = {
	.name = "Item",
	.mask = TUI_VM_PAGER,
	.enter = pager_enter,
	.draw = pager_draw,
	.key = pager_key,
	.resize = pager_resize,
	.destroy = pager_destroy,
	.title = pager_title,
};
