/* Feeds: each feed's status, title, item counts and last fetch, with the
 * selected feed's URL and last error below; add, remove, fetch one. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed/feed.h"
#include "store/store.h"
#include "tui/tui_int.h"
#include "util/util.h"

#define DETAIL_ROWS 3

struct feeds_state {
	struct store_feed *v;
	struct tui_list list;
	unsigned gen;
	int loaded;
	int64_t remove_id;    /* asked about */
};

static struct feeds_state *S(struct tui_app *a)
{
	return a->vstate[TUI_V_FEEDS];
}

static int list_rows(struct tui_app *a)
{
	int r = a->rows - 2 - DETAIL_ROWS - 1;
	return r > 1 ? r : 1;
}

static int reload(struct tui_app *a, struct feeds_state *s)
{
	store_feeds_free(s->v, s->list.n);
	s->v = NULL;
	s->list.n = 0;
	if (store_feed_list(a->st, &s->v, &s->list.n) != STORE_OK) {
		tui_status(a, 1, "feeds: %s", store_errmsg(a->st));
		s->v = NULL;
		s->list.n = 0;
	}
	for (size_t i = 0; i < s->list.n; i++) {
		char **f[] = { &s->v[i].title, &s->v[i].url, &s->v[i].last_error };
		for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
			if (!*f[k])
				continue;
			char *c = tui_text_clean(*f[k], 1);
			if (c) {
				free(*f[k]);
				*f[k] = c;
			}
		}
	}
	tui_list_clamp(&s->list, list_rows(a));
	s->gen = a->data_gen;
	s->loaded = 1;
	return TUI_R_REDRAW;
}

static int feeds_enter(struct tui_app *a, int64_t arg)
{
	struct feeds_state *s = S(a);

	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return TUI_R_QUIT;
		a->vstate[TUI_V_FEEDS] = s;
	}
	if (!s->loaded || s->gen != a->data_gen)
		reload(a, s);
	return TUI_R_REDRAW;
}

static const char *feed_state(const struct store_feed *f, enum tui_elem *e)
{
	*e = TUI_E_NORMAL;
	if (f->last_fetch == 0)
		return "new";
	if (f->last_error && f->failures > 0) {
		*e = TUI_E_ERROR;
		return "ERR";
	}
	if (f->last_error) {
		*e = TUI_E_DIM;
		return "warn";
	}
	return "ok";
}

static void feeds_draw(struct tui_app *a, int top, int rows)
{
	struct feeds_state *s = S(a);
	int lr = list_rows(a);

	if (s->list.n == 0) {
		char add[32];
		tui_keymap_describe(&a->keys, TUI_CMD_FEED_ADD, add, sizeof add);
		char msg[128];
		snprintf(msg, sizeof msg, "No feeds. Press %s to add one by URL.", add);
		tui_attr(a, TUI_E_DIM);
		tui_draw_text(top + 1, 2, msg, a->cols - 4);
		return;
	}
	tui_attr(a, TUI_E_DIM);
	char head[160];
	snprintf(head, sizeof head, " %-5s %-*s %15s  %-16s", "state", a->cols - 43, "feed",
		 "items (unread)", "last fetch");
	tui_draw_text(top, 0, head, a->cols);
	for (int r = 0; r < lr && s->list.top + (size_t)r < s->list.n; r++) {
		size_t i = s->list.top + (size_t)r;
		const struct store_feed *f = &s->v[i];
		int y = top + 1 + r, sel = i == s->list.sel;
		enum tui_elem e;
		const char *st = feed_state(f, &e);
		char counts[40], when[32];

		tui_attr(a, sel ? TUI_E_SELECTED : TUI_E_NORMAL);
		tui_draw_fill(y, 0, a->cols);
		if (!sel)
			tui_attr(a, e);
		tui_draw_text(y, 1, st, 5);
		if (!sel)
			tui_attr(a, f->unread_count ? TUI_E_UNREAD : TUI_E_NORMAL);
		char *t = tui_text_trunc(f->title && *f->title ? f->title : f->url, a->cols - 43);
		tui_draw_text(y, 7, t ? t : "", a->cols - 43);
		free(t);
		snprintf(counts, sizeof counts, "%lld (%lld)", (long long)f->item_count,
			 (long long)f->unread_count);
		tui_draw_text(y, a->cols - 20 - (int)strlen(counts), counts, 15);
		tui_fmt_time(f->last_fetch, when, sizeof when);
		if (!sel)
			tui_attr(a, TUI_E_DIM);
		tui_draw_text(y, a->cols - 18, when, 17);
	}
	/* details of the selected feed */
	if (s->list.sel < s->list.n && rows > lr + DETAIL_ROWS) {
		const struct store_feed *f = &s->v[s->list.sel];
		int y = top + rows - DETAIL_ROWS;
		char line[256], next[32], ok[32];
		tui_attr(a, TUI_E_DIM);
		mvhline(y - 1, 0, ACS_HLINE, a->cols);
		tui_attr(a, TUI_E_LINK);
		tui_draw_text(y, 1, f->url, a->cols - 2);
		tui_fmt_time(f->last_success, ok, sizeof ok);
		tui_fmt_time(f->next_fetch, next, sizeof next);
		snprintf(line, sizeof line, "HTTP %d | failures %d | last success %s | next fetch %s",
			 f->last_status, f->failures, ok, f->next_fetch ? next : "any time");
		tui_attr(a, TUI_E_DIM);
		tui_draw_text(y + 1, 1, line, a->cols - 2);
		if (f->last_error) {
			tui_attr(a, f->failures ? TUI_E_ERROR : TUI_E_DIM);
			tui_draw_text(y + 2, 1, f->failures ? "error: " : "warning: ", 9);
			tui_draw_text(y + 2, f->failures ? 8 : 10, f->last_error, a->cols - 11);
		}
	}
}

static int add_done(struct tui_app *a, const char *text)
{
	char *url = tui_text_clean(text, 1);
	int64_t id = 0;

	if (!url)
		return TUI_R_REDRAW;
	util_str_trim(url);
	if (!*url) {
		free(url);
		return TUI_R_REDRAW;
	}
	/* as 'briefing feeds add' takes it: a path becomes its file:// URL */
	char *u = feed_url_from_user(url);
	const char *no = u ? feed_url_refusal(u, 1) : "neither a feed URL nor a readable file";
	if (no) {
		tui_status(a, 1, "cannot add %s: %s", url, no);
		free(url);
		free(u);
		return TUI_R_REDRAW;
	}
	free(url);
	url = u;
	int rc = store_feed_add(a->st, url, NULL, NULL, NULL, &id);
	if (rc == STORE_ERR_EXISTS) {
		tui_status(a, 1, "already a feed (%lld): %s", (long long)id, url);
	} else if (rc != STORE_OK) {
		tui_status(a, 1, "cannot add %s: %s", url, store_errmsg(a->st));
	} else {
		a->data_gen++;
		struct feeds_state *s = S(a);
		reload(a, s);
		for (size_t i = 0; i < s->list.n; i++)
			if (s->v[i].id == id)
				s->list.sel = i;
		tui_list_clamp(&s->list, list_rows(a));
		tui_fetch_start(a, id);
		tui_status(a, 0, "added feed %lld; fetching it", (long long)id);
	}
	free(url);
	return TUI_R_REDRAW;
}

static int remove_done(struct tui_app *a, const char *text)
{
	struct feeds_state *s = S(a);

	if (!(text[0] == 'y' || text[0] == 'Y')) {
		tui_status(a, 0, "kept");
		return TUI_R_REDRAW;
	}
	if (a->job.running) {
		tui_status(a, 1, "a fetch is running; remove the feed when it is done");
		return TUI_R_REDRAW;
	}
	if (store_feed_remove(a->st, s->remove_id) != STORE_OK) {
		tui_status(a, 1, "cannot remove the feed: %s", store_errmsg(a->st));
		return TUI_R_REDRAW;
	}
	tui_status(a, 0, "removed feed %lld and its items", (long long)s->remove_id);
	a->data_gen++;
	return reload(a, s);
}

static int feeds_key(struct tui_app *a, enum tui_cmd cmd, int key)
{
	struct feeds_state *s = S(a);
	struct store_feed *f = s->list.sel < s->list.n ? &s->v[s->list.sel] : NULL;

	switch (cmd) {
	case TUI_CMD_UP: case TUI_CMD_DOWN: case TUI_CMD_PAGE_UP: case TUI_CMD_PAGE_DOWN:
	case TUI_CMD_HALF_UP: case TUI_CMD_HALF_DOWN: case TUI_CMD_TOP: case TUI_CMD_BOTTOM:
		return tui_list_cmd(&s->list, cmd, list_rows(a));
	case TUI_CMD_OPEN:
		return f ? tui_view_push(a, TUI_V_ITEMS, f->id) : TUI_R_NONE;
	case TUI_CMD_FETCH_ONE:
		return f ? tui_fetch_start(a, f->id) : TUI_R_NONE;
	case TUI_CMD_FEED_ADD:
		tui_prompt_start(a, "add feed (URL): ", "", add_done);
		return TUI_R_REDRAW;
	case TUI_CMD_FEED_REMOVE: {
		if (!f)
			return TUI_R_NONE;
		char label[128];
		char *t = tui_text_trunc(f->title && *f->title ? f->title : f->url, 60);
		snprintf(label, sizeof label, "remove '%s' and its items? (y/N) ", t ? t : "");
		free(t);
		s->remove_id = f->id;
		tui_prompt_start(a, label, "", remove_done);
		return TUI_R_REDRAW;
	}
	default:
		return TUI_R_UNHANDLED;
	}
}

static void feeds_resize(struct tui_app *a)
{
	struct feeds_state *s = S(a);
	if (s)
		tui_list_clamp(&s->list, list_rows(a));
}

static void feeds_title(struct tui_app *a, char *buf, size_t size)
{
	struct feeds_state *s = S(a);
	size_t errs = 0;
	for (size_t i = 0; i < s->list.n; i++)
		errs += s->v[i].last_error && s->v[i].failures > 0;
	snprintf(buf, size, "%zu feeds, %zu failing", s->list.n, errs);
}

static void feeds_destroy(struct tui_app *a)
{
	struct feeds_state *s = S(a);
	if (!s)
		return;
	store_feeds_free(s->v, s->list.n);
	free(s);
	a->vstate[TUI_V_FEEDS] = NULL;
}

const struct tui_view tui_view_feeds = {
	.name = "Feeds",
	.mask = TUI_VM_FEEDS,
	.enter = feeds_enter,
	.draw = feeds_draw,
	.key = feeds_key,
	.resize = feeds_resize,
	.destroy = feeds_destroy,
	.title = feeds_title,
};
