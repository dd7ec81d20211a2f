/* Sections: the archive of the last days grouped by sections.conf, as a
 * briefing would place each item (brief_group_by_section): a heading per
 * section with its count, its items newest first beneath. Off-topic items
 * are not listed. Enter reads an item, N marks it, o opens its link. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brief/brief.h"
#include "store/store.h"
#include "tui/tui_int.h"
#include "util/util.h"

#define DAYS 7

struct row {
	size_t group;
	size_t item;          /* SIZE_MAX: the group's heading */
};

struct sections_state {
	struct brief_group *g;
	size_t n_g, n_items;
	struct row *rows;
	struct tui_list list; /* n = rows */
	unsigned gen;
	int loaded;
};

static struct sections_state *S(struct tui_app *a)
{
	return a->vstate[TUI_V_SECTIONS];
}

static int list_rows(struct tui_app *a)
{
	return a->rows - 2 > 1 ? a->rows - 2 : 1;
}

static void drop(struct sections_state *s)
{
	brief_groups_free(s->g, s->n_g);
	free(s->rows);
	s->g = NULL;
	s->rows = NULL;
	s->n_g = s->n_items = 0;
	s->list.n = 0;
}

static struct store_item *item_at(struct sections_state *s, size_t r)
{
	if (r >= s->list.n || s->rows[r].item == SIZE_MAX)
		return NULL;
	return &s->g[s->rows[r].group].items[s->rows[r].item];
}

static void reload(struct tui_app *a, struct sections_state *s)
{
	int64_t now = util_time_now();
	char *err = NULL;
	int64_t keep = 0;
	struct store_item *cur = item_at(s, s->list.sel);

	if (cur)
		keep = cur->id;
	drop(s);
	s->gen = a->data_gen;
	s->loaded = 1;
	int rc = brief_group_by_section(a->st, a->opts->generate.config_dir, now - DAYS * 86400,
					now + 1, &s->g, &s->n_g, &err);
	if (rc != BRIEF_OK) {
		tui_status(a, 1, "sections: %s", err ? err : brief_strerror(rc));
		free(err);
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < s->n_g; i++) {
		n += 1 + s->g[i].n;
		s->n_items += s->g[i].n;
		if (tui_items_clean(s->g[i].items, s->g[i].n)) {
			tui_status(a, 1, "sections: out of memory");
			drop(s);
			return;
		}
	}
	s->rows = calloc(n + 1, sizeof *s->rows);
	if (!s->rows) {
		tui_status(a, 1, "sections: out of memory");
		drop(s);
		return;
	}
	size_t r = 0;
	for (size_t i = 0; i < s->n_g; i++) {
		s->rows[r++] = (struct row){ i, SIZE_MAX };
		for (size_t k = 0; k < s->g[i].n; k++) {
			if (keep && s->g[i].items[k].id == keep)
				s->list.sel = r;
			s->rows[r++] = (struct row){ i, k };
		}
	}
	s->list.n = n;
	if (!keep)
		s->list.sel = n > 1 ? 1 : 0;   /* the first item, not its heading */
	tui_list_clamp(&s->list, list_rows(a));
}

static int sections_enter(struct tui_app *a, int64_t arg)
{
	struct sections_state *s = S(a);

	(void)arg;
	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return TUI_R_QUIT;
		a->vstate[TUI_V_SECTIONS] = s;
	}
	if (!s->loaded || s->gen != a->data_gen)
		reload(a, s);
	return TUI_R_REDRAW;
}

static void sections_draw(struct tui_app *a, int top, int rows)
{
	struct sections_state *s = S(a);

	if (s->list.n == 0) {
		tui_attr(a, TUI_E_DIM);
		tui_draw_text(top + 1, 2, "Nothing in the last 7 days falls in a section of sections.conf "
					  "(r fetches, 2 lists every item).", a->cols - 4);
		return;
	}
	for (int r = 0; r < rows && s->list.top + (size_t)r < s->list.n; r++) {
		size_t i = s->list.top + (size_t)r;
		const struct row *w = &s->rows[i];
		int y = top + r, sel = i == s->list.sel;
		if (w->item != SIZE_MAX) {
			tui_draw_item_row(a, y, &s->g[w->group].items[w->item], sel);
			continue;
		}
		const struct brief_group *g = &s->g[w->group];
		char *head = util_strfmt("%s%s%s (%zu)", g->emoji, *g->emoji ? " " : "", g->name, g->n);
		char *clean = head ? tui_text_clean(head, 1) : NULL;
		tui_attr(a, sel ? TUI_E_SELECTED : TUI_E_HEADING);
		tui_draw_fill(y, 0, a->cols);
		tui_draw_text(y, 1, clean ? clean : "", a->cols - 2);
		free(clean);
		free(head);
	}
}

static int sections_key(struct tui_app *a, enum tui_cmd cmd, int key)
{
	struct sections_state *s = S(a);
	struct store_item *it = item_at(s, s->list.sel);

	(void)key;
	switch (cmd) {
	case TUI_CMD_UP: case TUI_CMD_DOWN: {
		/* a line at a time steps over the headings (the pager's n/p too) */
		int r = tui_list_cmd(&s->list, cmd, list_rows(a));
		if (!item_at(s, s->list.sel)) {
			size_t at = s->list.sel;
			tui_list_cmd(&s->list, cmd, list_rows(a));
			if (!item_at(s, s->list.sel))
				s->list.sel = at;
		}
		return r | TUI_R_REDRAW;
	}
	case TUI_CMD_PAGE_UP: case TUI_CMD_PAGE_DOWN:
	case TUI_CMD_HALF_UP: case TUI_CMD_HALF_DOWN: case TUI_CMD_TOP: case TUI_CMD_BOTTOM:
		return tui_list_cmd(&s->list, cmd, list_rows(a));
	default:
		return tui_item_cmd(a, it, cmd);
	}
}

static void sections_resize(struct tui_app *a)
{
	struct sections_state *s = S(a);
	if (s)
		tui_list_clamp(&s->list, list_rows(a));
}

static void sections_title(struct tui_app *a, char *buf, size_t size)
{
	struct sections_state *s = S(a);
	snprintf(buf, size, "%zu items in %zu sections, last %d days", s->n_items, s->n_g, DAYS);
}

static void sections_item_read(struct tui_app *a, int64_t id, int read)
{
	struct sections_state *s = S(a);
	for (size_t i = 0; i < s->n_g; i++)
		for (size_t k = 0; k < s->g[i].n; k++)
			if (s->g[i].items[k].id == id)
				s->g[i].items[k].read = read;
}

static int64_t sections_selected(struct tui_app *a)
{
	struct sections_state *s = S(a);
	const struct store_item *it = s ? item_at(s, s->list.sel) : NULL;
	return it ? it->id : 0;
}

static void sections_destroy(struct tui_app *a)
{
	struct sections_state *s = S(a);
	if (!s)
		return;
	drop(s);
	free(s);
	a->vstate[TUI_V_SECTIONS] = NULL;
}

const struct tui_view tui_view_sections = {
	.name = "Sections",
	.mask = TUI_VM_SECTIONS,
	.enter = sections_enter,
	.draw = sections_draw,
	.key = sections_key,
	.resize = sections_resize,
	.destroy = sections_destroy,
	.title = sections_title,
	.selected = sections_selected,
	.item_read = sections_item_read,
};
