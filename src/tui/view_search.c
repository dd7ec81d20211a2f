/* Search: a query line over the archive's full-text index (FTS5 through
 * store_item_query), results as an item list, best match first. While the
 * query line has focus every key edits it; Enter searches, Esc leaves it. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tui/tui_int.h"
#include "util/util.h"

#define MAX_RESULTS 1000

struct search_state {
	struct tui_input in;
	int editing;
	char query[sizeof ((struct tui_input *)0)->buf]; /* last one run */
	struct store_item *v;
	struct tui_list list;
	int searched;
	unsigned gen;
};

static struct search_state *S(struct tui_app *a)
{
	return a->vstate[TUI_V_SEARCH];
}

static int list_rows(struct tui_app *a)
{
	int r = a->rows - 2 - 2;
	return r > 1 ? r : 1;
}

static void run_query(struct tui_app *a, struct search_state *s, int say)
{
	struct store_item_query q = { 0 };
	struct store_item *v = NULL;
	size_t n = 0;

	store_items_free(s->v, s->list.n);
	s->v = NULL;
	s->list.n = s->list.sel = s->list.top = 0;
	snprintf(s->query, sizeof s->query, "%s", s->in.buf);
	s->searched = 1;
	s->gen = a->data_gen;
	q.search = s->query;
	q.limit = MAX_RESULTS;
	if (store_item_query(a->st, &q, &v, &n) != STORE_OK) {
		tui_status(a, 1, "search: %s", store_errmsg(a->st));
		return;
	}
	if (tui_items_clean(v, n)) {
		store_items_free(v, n);
		tui_status(a, 1, "search: out of memory");
		return;
	}
	s->v = v;
	s->list.n = n;
	if (say)
		tui_status(a, 0, "%zu result%s%s", n, n == 1 ? "" : "s",
		   n == MAX_RESULTS ? " (the best 1000)" : "");
}

static int search_enter(struct tui_app *a, int64_t arg)
{
	struct search_state *s = S(a);

	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return TUI_R_QUIT;
		a->vstate[TUI_V_SEARCH] = s;
	}
	if (arg != TUI_ENTER_AGAIN)
		s->editing = 1;
	else if (s->searched && s->gen != a->data_gen) {
		size_t sel = s->list.sel;
		run_query(a, s, 0);
		s->list.sel = sel;
		tui_list_clamp(&s->list, list_rows(a));
	}
	return TUI_R_REDRAW;
}

static void search_draw(struct tui_app *a, int top, int rows)
{
	struct search_state *s = S(a);
	int lr = list_rows(a);

	for (int r = 0; r < lr && s->list.top + (size_t)r < s->list.n; r++) {
		size_t i = s->list.top + (size_t)r;
		tui_draw_item_row(a, top + 2 + r, &s->v[i], i == s->list.sel && !s->editing);
	}
	if (s->searched && s->list.n == 0) {
		tui_attr(a, TUI_E_DIM);
		tui_draw_text(top + 3, 2, "Nothing found.", a->cols - 4);
	} else if (!s->searched) {
		tui_attr(a, TUI_E_DIM);
		tui_draw_text(top + 3, 2,
			      "Words are ANDed; a trailing * searches by prefix. Enter searches, Esc leaves the line.",
			      a->cols - 4);
	}
	tui_attr(a, TUI_E_DIM);
	mvhline(top + 1, 0, ACS_HLINE, a->cols);
	tui_attr(a, TUI_E_HEADING);
	int lw = tui_draw_text(top, 1, "Search: ", 8);
	tui_attr(a, TUI_E_NORMAL);
	const char *t = s->in.buf;
	int room = a->cols - 2 - lw;
	while ((int)util_text_width(t) > room && *t) {
		uint32_t cp;
		t += util_utf8_decode(t, strlen(t), &cp);
	}
	int w = tui_draw_text(top, 1 + lw, t, room);
	if (s->editing) {
		move(top, 1 + lw + w);
		curs_set(1);
	}
}

static int search_key(struct tui_app *a, enum tui_cmd cmd, int key)
{
	struct search_state *s = S(a);

	if (s->editing && key != TUI_KEY_NONE) {
		int r = tui_input_key(&s->in, key);
		if (r == 1) {
			tui_trace("search");
			s->editing = 0;
			run_query(a, s, 1);
		} else if (r == -1) {
			s->editing = 0;
		}
		return TUI_R_REDRAW;
	}
	struct store_item *it = s->list.sel < s->list.n ? &s->v[s->list.sel] : NULL;
	switch (cmd) {
	case TUI_CMD_UP: case TUI_CMD_DOWN: case TUI_CMD_PAGE_UP: case TUI_CMD_PAGE_DOWN:
	case TUI_CMD_HALF_UP: case TUI_CMD_HALF_DOWN: case TUI_CMD_TOP: case TUI_CMD_BOTTOM:
		return tui_list_cmd(&s->list, cmd, list_rows(a));
	case TUI_CMD_SEARCH:
		s->editing = 1;
		return TUI_R_REDRAW;
	default:
		return tui_item_cmd(a, it, cmd);
	}
}

static void search_resize(struct tui_app *a)
{
	struct search_state *s = S(a);
	if (s)
		tui_list_clamp(&s->list, list_rows(a));
}

static void search_title(struct tui_app *a, char *buf, size_t size)
{
	struct search_state *s = S(a);
	if (s->searched)
		snprintf(buf, size, "%zu results", s->list.n);
	else
		buf[0] = '\0';
}

static void search_item_read(struct tui_app *a, int64_t id, int read)
{
	struct search_state *s = S(a);
	for (size_t i = 0; i < s->list.n; i++)
		if (s->v[i].id == id)
			s->v[i].read = read;
}

static int64_t search_selected(struct tui_app *a)
{
	struct search_state *s = S(a);
	return s && s->list.sel < s->list.n ? s->v[s->list.sel].id : 0;
}

static void search_destroy(struct tui_app *a)
{
	struct search_state *s = S(a);
	if (!s)
		return;
	store_items_free(s->v, s->list.n);
	free(s);
	a->vstate[TUI_V_SEARCH] = NULL;
}

const struct tui_view tui_view_search = {
	.name = "Search",
	.mask = TUI_VM_SEARCH,
	.enter = search_enter,
	.draw = search_draw,
	.key = search_key,
	.resize = search_resize,
	.destroy = search_destroy,
	.title = search_title,
	.selected = search_selected,
	.item_read = search_item_read,
};
