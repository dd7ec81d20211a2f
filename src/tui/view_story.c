/* Story: one entry of the briefing in the reader with its sources — feed,
 * time, title, link and the archived text of each. n/p select a source;
 * o opens its link ($BROWSER, xdg-open, or shown to copy); Enter reads its
 * archived item in the pager. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tui/tui_int.h"
#include "util/util.h"

/* Tags: 2i for source i's header line, 2i+1 for the rest of it. */
struct story_state {
	int idx;              /* story index in the reader's briefing */
	size_t sel;           /* selected source */
	struct tui_doc doc;
};

static struct story_state *S(struct tui_app *a)
{
	return a->vstate[TUI_V_STORY];
}

static int body_rows(struct tui_app *a)
{
	return a->rows - 2 > 1 ? a->rows - 2 : 1;
}

static int text_width(struct tui_app *a)
{
	int w = a->cols - 4;
	return w > 100 ? 100 : w;
}

static const struct store_briefing_story *story(struct tui_app *a)
{
	const struct store_briefing *b = tui_reader_briefing(a);
	struct story_state *s = S(a);
	if (!b || !s || s->idx < 0 || (size_t)s->idx >= b->n_stories)
		return NULL;
	return &b->stories[s->idx];
}

static int build(struct tui_app *a, struct story_state *s, const struct store_briefing_story *st)
{
	struct tui_doc *d = &s->doc;
	int rc = 0;

	if (st->section)
		rc |= tui_doc_addf(d, TUI_E_DIM, -1, 0, "%s%s%s", st->emoji ? st->emoji : "",
				   st->emoji && *st->emoji ? " " : "", st->section);
	rc |= tui_doc_add(d, st->headline && *st->headline ? st->headline : "(no headline)",
			  TUI_E_HEADING, -1, 0);
	if (st->flagged)
		rc |= tui_doc_addf(d, TUI_E_ERROR, -1, 0, "[flagged: %s]",
				   st->flag_reason ? st->flag_reason : "failed its check");
	rc |= tui_doc_add(d, "", TUI_E_NORMAL, -1, 0);
	rc |= tui_doc_add(d, st->body, TUI_E_NORMAL, -1, 0);
	rc |= tui_doc_add(d, "", TUI_E_NORMAL, -1, 0);
	rc |= tui_doc_addf(d, TUI_E_HEADING, -1, 0, "Sources (%zu)", st->n_src);
	for (size_t i = 0; i < st->n_src && rc == 0; i++) {
		const struct store_briefing_source *src = &st->src[i];
		char when[32];
		tui_fmt_time(src->published, when, sizeof when);
		rc |= tui_doc_add(d, "", TUI_E_NORMAL, -1, 0);
		rc |= tui_doc_addf(d, TUI_E_UNREAD, (int)i * 2, 0, "[%zu] %s | %s", i + 1,
				   src->feed_title && *src->feed_title ? src->feed_title
								       : src->feed_url ? src->feed_url : "-",
				   when);
		rc |= tui_doc_add(d, src->title && *src->title ? src->title : "(no title)",
				  TUI_E_NORMAL, (int)i * 2 + 1, 4);
		if (src->link && *src->link)
			rc |= tui_doc_add(d, src->link, TUI_E_LINK, (int)i * 2 + 1, 4);
		/* the archived text, when the item is still there */
		struct store_item it;
		if (src->item_id > 0 && store_item_get(a->st, src->item_id, &it) == STORE_OK) {
			const char *t = it.content && *it.content ? it.content : it.summary;
			if (t && *t)
				rc |= tui_doc_add(d, t, TUI_E_NORMAL, (int)i * 2 + 1, 4);
			store_item_clear(&it);
		} else {
			rc |= tui_doc_add(d, "(the item is no longer in the archive)", TUI_E_DIM,
					  (int)i * 2 + 1, 4);
		}
	}
	return rc ? -1 : 0;
}

static int story_enter(struct tui_app *a, int64_t arg)
{
	struct story_state *s = S(a);

	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return TUI_R_QUIT;
		a->vstate[TUI_V_STORY] = s;
	}
	if (arg == TUI_ENTER_AGAIN)
		return TUI_R_REDRAW;
	tui_doc_free(&s->doc);
	s->idx = (int)arg;
	s->sel = 0;
	const struct store_briefing_story *st = story(a);
	if (!st) {
		tui_status(a, 1, "no such story");
		return tui_view_pop(a);
	}
	if (build(a, s, st) || tui_doc_layout(&s->doc, text_width(a))) {
		tui_status(a, 1, "out of memory");
		return tui_view_pop(a);
	}
	return TUI_R_REDRAW;
}

static void story_draw(struct tui_app *a, int top, int rows)
{
	struct story_state *s = S(a);
	int x0 = (a->cols - text_width(a)) / 2;
	tui_doc_draw(a, &s->doc, top, x0 > 2 ? x0 : 2, rows, (int)s->sel * 2, TUI_E_SELECTED);
}

/* Select source i and bring its header on screen. */
static int select_source(struct tui_app *a, struct story_state *s, size_t i)
{
	size_t rows = (size_t)body_rows(a);
	s->sel = i;
	for (size_t l = 0; l < s->doc.n; l++)
		if (s->doc.lines[l].tag == (int)i * 2) {
			if (l < s->doc.top || l >= s->doc.top + rows)
				s->doc.top = l > 1 ? l - 1 : 0;
			break;
		}
	size_t mt = s->doc.n > rows ? s->doc.n - rows : 0;
	if (s->doc.top > mt)
		s->doc.top = mt;
	return TUI_R_REDRAW;
}

static int story_key(struct tui_app *a, enum tui_cmd cmd, int key)
{
	struct story_state *s = S(a);
	const struct store_briefing_story *st = story(a);
	const struct store_briefing_source *src = st && s->sel < st->n_src ? &st->src[s->sel] : NULL;

	switch (cmd) {
	case TUI_CMD_NEXT:
		if (st && s->sel + 1 < st->n_src)
			return select_source(a, s, s->sel + 1);
		tui_status(a, 0, "no next source");
		return TUI_R_REDRAW;
	case TUI_CMD_PREV:
		if (s->sel > 0)
			return select_source(a, s, s->sel - 1);
		tui_status(a, 0, "no previous source");
		return TUI_R_REDRAW;
	case TUI_CMD_OPEN_LINK:
		return src ? tui_open_url(a, src->link) : TUI_R_NONE;
	case TUI_CMD_OPEN:
		if (!src || src->item_id <= 0) {
			tui_status(a, 0, "that source is no longer in the archive");
			return TUI_R_REDRAW;
		}
		return tui_view_push(a, TUI_V_PAGER, src->item_id);
	case TUI_CMD_EXPORT: {
		const struct store_briefing *b = tui_reader_briefing(a);
		return b ? tui_briefing_export(a, b->id) : TUI_R_NONE;
	}
	default:
		return tui_doc_scroll(&s->doc, cmd, body_rows(a));
	}
}

static void story_resize(struct tui_app *a)
{
	struct story_state *s = S(a);
	if (s && s->doc.n_paras && s->doc.width != text_width(a))
		tui_doc_layout(&s->doc, text_width(a));
}

static void story_title(struct tui_app *a, char *buf, size_t size)
{
	struct story_state *s = S(a);
	const struct store_briefing_story *st = story(a);
	char pos[64];
	tui_doc_position(&s->doc, body_rows(a), pos, sizeof pos);
	snprintf(buf, size, "story %d, source %zu of %zu | %s", s->idx + 1,
		 st && st->n_src ? s->sel + 1 : 0, st ? st->n_src : 0, pos);
}

static int64_t story_selected(struct tui_app *a)
{
	struct story_state *s = S(a);
	const struct store_briefing_story *st = story(a);
	return st && s->sel < st->n_src ? st->src[s->sel].item_id : 0;
}

static void story_destroy(struct tui_app *a)
{
	struct story_state *s = S(a);
	if (!s)
		return;
	tui_doc_free(&s->doc);
	free(s);
	a->vstate[TUI_V_STORY] = NULL;
}

const struct tui_view tui_view_story = {
	.name = "Story",
	.mask = TUI_VM_STORY,
	.enter = story_enter,
	.draw = story_draw,
	.key = story_key,
	.resize = story_resize,
	.destroy = story_destroy,
	.title = story_title,
	.selected = story_selected,
};
