/* Items: the archive newest first, every feed or one, with unread marks.
 * Rows are read from the store in a window around what is on screen, so a
 * hundred thousand items open as fast as a hundred. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "tui/tui_int.h"
#include "util/util.h"

#define WIN_MARGIN 200

/* where scripts/demo.sh leaves its archive, relative to the checkout */
#define DEMO_DB "build/demo/briefing.db"

struct items_state {
	int demo_hint;            /* the archive is empty and DEMO_DB is here */
	int64_t feed_id;          /* 0 = every feed */
	char *feed_title;         /* cleaned; NULL for every feed */
	struct tui_list list;     /* n = items in the store */
	int64_t unread;
	struct store_item *win;   /* rows [win_off, win_off + win_n) */
	size_t win_off, win_n;
	unsigned gen;
	int loaded;
};

static struct items_state *S(struct tui_app *a)
{
	return a->vstate[TUI_V_ITEMS];
}

static int body_rows(struct tui_app *a)
{
	return a->rows - 2 > 1 ? a->rows - 2 : 1;
}

static void drop_window(struct items_state *s)
{
	store_items_free(s->win, s->win_n);
	s->win = NULL;
	s->win_n = 0;
	s->win_off = 0;
}

/* Make sure the rows on screen are in the window. */
static void ensure_window(struct tui_app *a, struct items_state *s)
{
	size_t rows = (size_t)body_rows(a);
	size_t want_end = s->list.top + rows;

	if (want_end > s->list.n)
		want_end = s->list.n;
	if (s->win && s->list.top >= s->win_off && want_end <= s->win_off + s->win_n)
		return;
	drop_window(s);
	struct store_item_query q = { 0 };
	q.feed_id = s->feed_id;
	q.offset = s->list.top > WIN_MARGIN ? s->list.top - WIN_MARGIN : 0;
	q.limit = rows + 2 * WIN_MARGIN;
	struct store_item *v = NULL;
	size_t n = 0;
	int rc = store_item_query(a->st, &q, &v, &n);
	if (rc != STORE_OK) {
		tui_status(a, 1, "items: %s", store_errmsg(a->st));
		return;
	}
	if (tui_items_clean(v, n)) {
		store_items_free(v, n);
		tui_status(a, 1, "items: out of memory");
		return;
	}
	s->win = v;
	s->win_n = n;
	s->win_off = q.offset;
}

static void count_unread(struct tui_app *a, struct items_state *s)
{
	tui_trace("unread_start");
	struct store_feed *f = NULL;
	size_t n = 0;

	s->unread = 0;
	if (store_feed_list(a->st, &f, &n) != STORE_OK) {
		tui_status(a, 1, "items: %s", store_errmsg(a->st));
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!s->feed_id || f[i].id == s->feed_id)
			s->unread += f[i].unread_count;
	store_feeds_free(f, n);
	tui_trace("unread_done");
}

static void items_item_read(struct tui_app *a, int64_t id, int read)
{
	struct items_state *s = S(a);

	for (size_t i = 0; i < s->win_n; i++)
		if (s->win[i].id == id) {
			if (s->win[i].read != read && s->unread >= 0)
				s->unread += read ? -1 : 1;
			s->win[i].read = read;
			return;
		}
	s->unread = -1; /* not in the window: count again when idle */
}

static int items_idle(struct tui_app *a)
{
	struct items_state *s = S(a);

	if (!s || s->unread >= 0)
		return TUI_R_NONE;
	count_unread(a, s);
	return TUI_R_REDRAW;
}

static void reload(struct tui_app *a, struct items_state *s)
{
	int64_t total = 0;

	drop_window(s);
	if (store_item_count(a->st, s->feed_id, &total) != STORE_OK) {
		tui_status(a, 1, "items: %s", store_errmsg(a->st));
		total = 0;
	}
	s->list.n = total > 0 ? (size_t)total : 0;
	size_t dl = strlen(a->opts->db_path), ml = strlen(DEMO_DB);
	s->demo_hint = !total && !s->feed_id && access(DEMO_DB, R_OK) == 0 &&
		       !(dl >= ml && !strcmp(a->opts->db_path + dl - ml, DEMO_DB));
	tui_list_clamp(&s->list, body_rows(a));
	s->unread = -1; /* counted when idle: it takes a scan of the archive */
	ensure_window(a, s);
	s->gen = a->data_gen;
	s->loaded = 1;
}

static int items_enter(struct tui_app *a, int64_t arg)
{
	struct items_state *s = S(a);

	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return TUI_R_QUIT;
		a->vstate[TUI_V_ITEMS] = s;
	}
	if (arg != TUI_ENTER_AGAIN && (arg != s->feed_id || !s->loaded)) {
		s->feed_id = arg;
		free(s->feed_title);
		s->feed_title = NULL;
		if (arg) {
			struct store_feed f;
			if (store_feed_get(a->st, arg, &f) == STORE_OK) {
				s->feed_title = tui_text_clean(f.title && *f.title ? f.title : f.url, 1);
				store_feed_clear(&f);
			}
		}
		s->list.sel = s->list.top = 0;
		reload(a, s);
	} else if (!s->loaded || s->gen != a->data_gen) {
		reload(a, s);
	}
	return TUI_R_REDRAW;
}

static struct store_item *item_at(struct items_state *s, size_t i)
{
	if (!s->win || i < s->win_off || i >= s->win_off + s->win_n)
		return NULL;
	return &s->win[i - s->win_off];
}

static void items_draw(struct tui_app *a, int top, int rows)
{
	struct items_state *s = S(a);

	if (s->list.n == 0) {
		tui_attr(a, TUI_E_DIM);
		tui_draw_text(top + 1, 2, s->feed_id ? "No items in this feed yet."
						    : "No items yet: press r to fetch the feeds.",
			      a->cols - 4);
		/* after make demo in this directory: where its briefing is */
		if (!s->feed_id && s->demo_hint)
			tui_draw_text(top + 3, 2, "make demo's archive is here: quit (Q) and run "
						  "./briefing --db " DEMO_DB, a->cols - 4);
		return;
	}
	for (int r = 0; r < rows && s->list.top + (size_t)r < s->list.n; r++) {
		size_t i = s->list.top + (size_t)r;
		struct store_item *it = item_at(s, i);
		if (it)
			tui_draw_item_row(a, top + r, it, i == s->list.sel);
	}
}

static int items_key(struct tui_app *a, enum tui_cmd cmd, int key)
{
	struct items_state *s = S(a);
	struct store_item *it = item_at(s, s->list.sel);

	switch (cmd) {
	case TUI_CMD_UP: case TUI_CMD_DOWN: case TUI_CMD_PAGE_UP: case TUI_CMD_PAGE_DOWN:
	case TUI_CMD_HALF_UP: case TUI_CMD_HALF_DOWN: case TUI_CMD_TOP: case TUI_CMD_BOTTOM: {
		int r = tui_list_cmd(&s->list, cmd, body_rows(a));
		ensure_window(a, s);
		return r;
	}
	default:
		return tui_item_cmd(a, it, cmd);
	}
}

static void items_resize(struct tui_app *a)
{
	struct items_state *s = S(a);
	if (!s)
		return;
	tui_list_clamp(&s->list, body_rows(a));
	ensure_window(a, s);
}

static void items_title(struct tui_app *a, char *buf, size_t size)
{
	struct items_state *s = S(a);
	int k = snprintf(buf, size, "%s | %zu items", s->feed_title ? s->feed_title : "every feed",
			 s->list.n);
	if (s->unread >= 0 && k > 0 && (size_t)k < size)
		snprintf(buf + k, size - (size_t)k, ", %lld unread", (long long)s->unread);
}

static int64_t items_selected(struct tui_app *a)
{
	struct items_state *s = S(a);
	struct store_item *it = s ? item_at(s, s->list.sel) : NULL;
	return it ? it->id : 0;
}

static void items_destroy(struct tui_app *a)
{
	struct items_state *s = S(a);
	if (!s)
		return;
	drop_window(s);
	free(s->feed_title);
	free(s);
	a->vstate[TUI_V_ITEMS] = NULL;
}

const struct tui_view tui_view_items = {
	.name = "Items",
	.mask = TUI_VM_ITEMS,
	.enter = items_enter,
	.draw = items_draw,
	.key = items_key,
	.resize = items_resize,
	.destroy = items_destroy,
	.title = items_title,
	.selected = items_selected,
	.idle = items_idle,
	.item_read = items_item_read,
};
