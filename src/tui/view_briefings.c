/* Briefings: the editions, newest first, with the date line, edition, style,
 * story count, tagline and a mark for flagged ones. Enter reads one; e
 * exports it. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tui/tui_int.h"
#include "util/util.h"

struct briefings_state {
	struct store_briefing *v;  /* without stories; strings cleaned */
	struct tui_list list;
	unsigned gen;
	int loaded;
};

static struct briefings_state *S(struct tui_app *a)
{
	return a->vstate[TUI_V_BRIEFINGS];
}

static int list_rows(struct tui_app *a)
{
	return a->rows - 2 > 1 ? a->rows - 2 : 1;
}

static void clean_field(char **p)
{
	if (!*p)
		return;
	char *c = tui_text_clean(*p, 1);
	if (c) {
		free(*p);
		*p = c;
	}
}

static void reload(struct tui_app *a, struct briefings_state *s)
{
	store_briefings_free(s->v, s->list.n);
	s->v = NULL;
	s->list.n = 0;
	if (store_briefing_list(a->st, 0, &s->v, &s->list.n) != STORE_OK) {
		tui_status(a, 1, "briefings: %s", store_errmsg(a->st));
		s->v = NULL;
		s->list.n = 0;
	}
	for (size_t i = 0; i < s->list.n; i++) {
		clean_field(&s->v[i].edition_date);
		clean_field(&s->v[i].edition);
		clean_field(&s->v[i].tagline);
		clean_field(&s->v[i].status);
		clean_field(&s->v[i].style);
	}
	tui_list_clamp(&s->list, list_rows(a));
	s->gen = a->data_gen;
	s->loaded = 1;
}

static int briefings_enter(struct tui_app *a, int64_t arg)
{
	struct briefings_state *s = S(a);

	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return TUI_R_QUIT;
		a->vstate[TUI_V_BRIEFINGS] = s;
	}
	if (!s->loaded || s->gen != a->data_gen)
		reload(a, s);
	return TUI_R_REDRAW;
}

static void briefings_draw(struct tui_app *a, int top, int rows)
{
	struct briefings_state *s = S(a);

	if (s->list.n == 0) {
		tui_attr(a, TUI_E_DIM);
		tui_draw_text(top + 1, 2, "No briefings yet: 'briefing generate' writes one "
					  "(press 2 for the archive, r to fetch).",
			      a->cols - 4);
		return;
	}
	for (int r = 0; r < rows && s->list.top + (size_t)r < s->list.n; r++) {
		size_t i = s->list.top + (size_t)r;
		const struct store_briefing *b = &s->v[i];
		int y = top + r, sel = i == s->list.sel;
		int flagged = b->status && !strcmp(b->status, "flagged");
		char count[32];

		tui_attr(a, sel ? TUI_E_SELECTED : TUI_E_NORMAL);
		tui_draw_fill(y, 0, a->cols);
		if (flagged) {
			if (!sel)
				tui_attr(a, TUI_E_ERROR);
			tui_draw_text(y, 1, "!", 1);
		}
		if (!sel)
			tui_attr(a, TUI_E_HEADING);
		char *d = tui_text_trunc(b->edition_date && *b->edition_date ? b->edition_date
									     : b->edition,
					 34);
		tui_draw_text(y, 3, d ? d : "", 34);
		free(d);
		snprintf(count, sizeof count, "%3zu %s", b->n_stories,
			 b->n_stories == 1 ? "story  " : "stories");
		if (!sel)
			tui_attr(a, TUI_E_DIM);
		tui_draw_text(y, 39, count, 11);
		char *st = tui_text_trunc(b->style ? b->style : "", 10);
		tui_draw_text(y, 51, st ? st : "", 10);
		free(st);
		if (!sel)
			tui_attr(a, TUI_E_NORMAL);
		char *t = tui_text_trunc(b->tagline ? b->tagline : "", a->cols - 64);
		tui_draw_text(y, 62, t ? t : "", a->cols - 64);
		free(t);
	}
}

static int briefings_key(struct tui_app *a, enum tui_cmd cmd, int key)
{
	struct briefings_state *s = S(a);
	const struct store_briefing *b = s->list.sel < s->list.n ? &s->v[s->list.sel] : NULL;

	switch (cmd) {
	case TUI_CMD_UP: case TUI_CMD_DOWN: case TUI_CMD_PAGE_UP: case TUI_CMD_PAGE_DOWN:
	case TUI_CMD_HALF_UP: case TUI_CMD_HALF_DOWN: case TUI_CMD_TOP: case TUI_CMD_BOTTOM:
		return tui_list_cmd(&s->list, cmd, list_rows(a));
	case TUI_CMD_OPEN:
		return b ? tui_view_push(a, TUI_V_READER, b->id) : TUI_R_NONE;
	case TUI_CMD_EXPORT:
		return b ? tui_briefing_export(a, b->id) : TUI_R_NONE;
	default:
		return TUI_R_UNHANDLED;
	}
}

static void briefings_resize(struct tui_app *a)
{
	struct briefings_state *s = S(a);
	if (s)
		tui_list_clamp(&s->list, list_rows(a));
}

static void briefings_title(struct tui_app *a, char *buf, size_t size)
{
	struct briefings_state *s = S(a);
	size_t flagged = 0;
	for (size_t i = 0; i < s->list.n; i++)
		flagged += s->v[i].status && !strcmp(s->v[i].status, "flagged");
	snprintf(buf, size, "%zu briefings, %zu flagged", s->list.n, flagged);
}

static void briefings_destroy(struct tui_app *a)
{
	struct briefings_state *s = S(a);
	if (!s)
		return;
	store_briefings_free(s->v, s->list.n);
	free(s);
	a->vstate[TUI_V_BRIEFINGS] = NULL;
}

const struct tui_view tui_view_briefings = {
	.name = "Briefings",
	.mask = TUI_VM_BRIEFINGS,
	.enter = briefings_enter,
	.draw = briefings_draw,
	.key = briefings_key,
	.resize = briefings_resize,
	.destroy = briefings_destroy,
	.title = briefings_title,
};
