/* Reader: one briefing in the exporter's layout (brief_doc_build: the
 * masthead, date line, tagline, headed sections of entries or the digest's
 * and insights' own shapes, the assessment and the Bottom line) wrapped to
 * the window and scrolled like less; n/p jump between headings. The story nearest the
 * top of the screen is the current one: Enter shows its sources, o opens
 * its lead link. e exports the briefing to markdown. */
#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "brief/brief.h"
#include "store/store.h"
#include "tui/tui_int.h"
#include "util/util.h"

/* Paragraph tags: 2i for story i's headline, 2i+1 for the rest of it. */
#define TAG_HEAD(i) ((int)(i) * 2)
#define TAG_REST(i) ((int)(i) * 2 + 1)

struct reader_state {
	struct store_briefing b;
	int have;
	struct tui_doc doc;
	int *sect_para;       /* paragraphs that start a section */
	size_t n_sect;
};

static struct reader_state *S(struct tui_app *a)
{
	return a->vstate[TUI_V_READER];
}

static int body_rows(struct tui_app *a)
{
	return a->rows - 2 > 1 ? a->rows - 2 : 1;
}

static int text_width(struct tui_app *a)
{
	int w = a->cols - 4;
	return w > 100 ? 100 : w; /* long lines read badly */
}

static int add_section(struct reader_state *s, const char *emoji, const char *name)
{
	int *p = realloc(s->sect_para, (s->n_sect + 1) * sizeof *p);
	if (!p)
		return -1;
	s->sect_para = p;
	const struct tui_doc *d = &s->doc;
	if (d->n_paras && d->paras[d->n_paras - 1].text[0] &&
	    tui_doc_add(&s->doc, "", TUI_E_NORMAL, -1, 0))
		return -1;
	s->sect_para[s->n_sect++] = (int)s->doc.n_paras;
	if (tui_doc_addf(&s->doc, TUI_E_HEADING, -1, 0, "%s%s%s", emoji ? emoji : "",
			 emoji && *emoji ? " " : "", name))
		return -1;
	return tui_doc_add(&s->doc, "", TUI_E_NORMAL, -1, 0);
}

/* The exporter's document (brief_doc_build), drawn for the screen. */
static int build(struct reader_state *s)
{
	const struct store_briefing *b = &s->b;
	struct tui_doc *d = &s->doc;
	struct brief_doc doc;
	int rc = brief_doc_build(b, &doc) == BRIEF_OK ? 0 : -1;

	for (size_t i = 0; i < doc.n && rc == 0; i++) {
		const struct brief_block *k = &doc.blk[i];
		int head = k->story >= 0 ? TAG_HEAD(k->story) : -1;
		int rest = k->story >= 0 ? TAG_REST(k->story) : -1;
		int last_in_run = i + 1 >= doc.n || doc.blk[i + 1].kind != k->kind;
		switch (k->kind) {
		case BRIEF_BLK_TITLE:
			rc |= tui_doc_add(d, k->text, TUI_E_HEADING, -1, 0);
			break;
		case BRIEF_BLK_DATE:
			rc |= tui_doc_add(d, k->text, TUI_E_DIM, -1, 0);
			break;
		case BRIEF_BLK_TAGLINE:
		case BRIEF_BLK_NOTE:
			rc |= tui_doc_add(d, "", TUI_E_NORMAL, -1, 0);
			rc |= tui_doc_add(d, k->text, k->kind == BRIEF_BLK_NOTE ? TUI_E_DIM : TUI_E_NORMAL,
					  -1, 0);
			break;
		case BRIEF_BLK_HEADING:
			rc |= add_section(s, k->emoji, k->text);
			break;
		case BRIEF_BLK_ENTRY:
			if (d->n_paras && d->paras[d->n_paras - 1].text[0])
				rc |= tui_doc_add(d, "", TUI_E_NORMAL, -1, 0);
			if (k->num)
				rc |= tui_doc_addf(d, TUI_E_UNREAD, head, 0, "%d. %s", k->num,
						   *k->text ? k->text : "(no headline)");
			else
				rc |= tui_doc_add(d, *k->text ? k->text : "(no headline)", TUI_E_UNREAD,
						  head, 0);
			break;
		case BRIEF_BLK_FLAG:
			rc |= tui_doc_addf(d, TUI_E_ERROR, rest, 0, "[!] Unverified: %s", k->text);
			break;
		case BRIEF_BLK_TEXT:
			rc |= tui_doc_add(d, "", TUI_E_NORMAL, rest, 0);
			rc |= tui_doc_add(d, k->text, TUI_E_NORMAL, rest, 0);
			rc |= tui_doc_add(d, "", TUI_E_NORMAL, rest, 0);
			break;
		case BRIEF_BLK_LIST:
			rc |= tui_doc_addf(d, TUI_E_NORMAL, head, 2, "\xe2\x80\xa2 %s", k->text);
			if (last_in_run)
				rc |= tui_doc_add(d, "", TUI_E_NORMAL, -1, 0);
			break;
		case BRIEF_BLK_READ_MORE:
			rc |= tui_doc_addf(d, TUI_E_LINK, rest, 0, "Read more \xe2\x86\x92 %s", k->url);
			break;
		case BRIEF_BLK_ALSO:
			rc |= tui_doc_addf(d, TUI_E_DIM, rest, 2, "also: %s", k->text);
			break;
		case BRIEF_BLK_SHORT:
			rc |= tui_doc_addf(d, TUI_E_NORMAL, head, 2, "\xe2\x80\xa2 %s%s%s%s%s", k->text,
					   *k->detail ? " \xe2\x80\x94 " : "", k->detail,
					   k->why ? " [!] Unverified: " : "", k->why ? k->why : "");
			break;
		case BRIEF_BLK_BOTTOM:
			rc |= tui_doc_add(d, "", TUI_E_NORMAL, -1, 0);
			rc |= tui_doc_addf(d, TUI_E_UNREAD, -1, 0, "Bottom line: %s", k->text);
			break;
		case BRIEF_BLK_REFERENCE:
			rc |= tui_doc_addf(d, TUI_E_DIM, rest, 2, "%s%s%s", k->text, k->url ? " " : "",
					   k->url ? k->url : "");
			break;
		case BRIEF_BLK_FOOTER: {
			char when[32];
			tui_fmt_time(b->created, when, sizeof when);
			rc |= tui_doc_add(d, "", TUI_E_NORMAL, -1, 0);
			rc |= tui_doc_addf(d, TUI_E_DIM, -1, 0, "%s Written %s.", k->text, when);
			break;
		}
		}
	}
	brief_doc_free(&doc);
	return rc ? -1 : 0;
}

static void drop(struct reader_state *s)
{
	if (s->have)
		store_briefing_clear(&s->b);
	s->have = 0;
	tui_doc_free(&s->doc);
	free(s->sect_para);
	s->sect_para = NULL;
	s->n_sect = 0;
}

static int reader_enter(struct tui_app *a, int64_t arg)
{
	struct reader_state *s = S(a);

	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return TUI_R_QUIT;
		a->vstate[TUI_V_READER] = s;
	}
	if (arg == TUI_ENTER_AGAIN)
		return TUI_R_REDRAW;
	drop(s);
	int rc = store_briefing_get(a->st, arg, &s->b);
	if (rc != STORE_OK) {
		tui_status(a, 1, "cannot read briefing %lld: %s", (long long)arg,
			   rc == STORE_ERR_NOT_FOUND ? "no such briefing" : store_errmsg(a->st));
		return tui_view_pop(a);
	}
	s->have = 1;
	if (build(s) || tui_doc_layout(&s->doc, text_width(a))) {
		tui_status(a, 1, "out of memory");
		return tui_view_pop(a);
	}
	return TUI_R_REDRAW;
}

/* The story at the top of the screen: the first story line on it. */
static int current_story(struct tui_app *a, struct reader_state *s)
{
	size_t rows = (size_t)body_rows(a);
	for (size_t i = s->doc.top; i < s->doc.n && i < s->doc.top + rows; i++)
		if (s->doc.lines[i].tag >= 0)
			return s->doc.lines[i].tag / 2;
	return -1;
}

static void reader_draw(struct tui_app *a, int top, int rows)
{
	struct reader_state *s = S(a);
	int cur = current_story(a, s);
	int x0 = (a->cols - text_width(a)) / 2;
	tui_doc_draw(a, &s->doc, top, x0 > 2 ? x0 : 2, rows, cur >= 0 ? TAG_HEAD(cur) : -1,
		     TUI_E_SELECTED);
}

static int jump_section(struct tui_app *a, struct reader_state *s, int dir)
{
	size_t rows = (size_t)body_rows(a);
	size_t mt = s->doc.n > rows ? s->doc.n - rows : 0;

	for (size_t k = 0; k < s->n_sect; k++) {
		size_t idx = dir > 0 ? k : s->n_sect - 1 - k;
		/* the section's first line */
		size_t line = 0;
		for (; line < s->doc.n; line++)
			if (s->doc.lines[line].para == s->sect_para[idx])
				break;
		if (line >= s->doc.n)
			continue;
		if ((dir > 0 && line > s->doc.top) || (dir < 0 && line < s->doc.top)) {
			if (dir > 0 && s->doc.top >= mt) {
				break; /* already at the end */
			}
			s->doc.top = line < mt ? line : mt;
			return TUI_R_REDRAW;
		}
	}
	tui_status(a, 0, dir > 0 ? "no next section" : "no previous section");
	return TUI_R_REDRAW;
}

static int reader_key(struct tui_app *a, enum tui_cmd cmd, int key)
{
	struct reader_state *s = S(a);
	int cur = current_story(a, s);

	switch (cmd) {
	case TUI_CMD_NEXT:
		return jump_section(a, s, 1);
	case TUI_CMD_PREV:
		return jump_section(a, s, -1);
	case TUI_CMD_OPEN:
		if (cur < 0)
			return TUI_R_NONE;
		return tui_view_push(a, TUI_V_STORY, cur);
	case TUI_CMD_OPEN_LINK:
		if (cur < 0 || !s->b.stories[cur].n_src) {
			tui_status(a, 0, "no link here");
			return TUI_R_REDRAW;
		}
		return tui_open_url(a, s->b.stories[cur].src[0].link);
	case TUI_CMD_EXPORT:
		return tui_briefing_export(a, s->b.id);
	default: {
		int r = tui_doc_scroll(&s->doc, cmd, body_rows(a));
		return r;
	}
	}
}

static void reader_resize(struct tui_app *a)
{
	struct reader_state *s = S(a);
	if (s && s->have && s->doc.width != text_width(a))
		tui_doc_layout(&s->doc, text_width(a));
}

static void reader_title(struct tui_app *a, char *buf, size_t size)
{
	struct reader_state *s = S(a);
	char pos[64];
	tui_doc_position(&s->doc, body_rows(a), pos, sizeof pos);
	char *d = tui_text_clean(s->b.edition_date ? s->b.edition_date : s->b.edition, 1);
	snprintf(buf, size, "%s | %s", d ? d : "", pos);
	free(d);
}

static void reader_destroy(struct tui_app *a)
{
	struct reader_state *s = S(a);
	if (!s)
		return;
	drop(s);
	free(s);
	a->vstate[TUI_V_READER] = NULL;
}

const struct tui_view tui_view_reader = {
	.name = "Briefing",
	.mask = TUI_VM_READER,
	.enter = reader_enter,
	.draw = reader_draw,
	.key = reader_key,
	.resize = reader_resize,
	.destroy = reader_destroy,
	.title = reader_title,
};

/* The loaded briefing, for the story view (NULL when none). */
const struct store_briefing *tui_reader_briefing(struct tui_app *a)
{
	struct reader_state *s = S(a);
	return s && s->have ? &s->b : NULL;
}

/* ---- export ------------------------------------------------------------- */

int tui_briefing_export(struct tui_app *a, int64_t id)
{
	char *md = NULL, *err = NULL, *dir = NULL, *path = NULL;
	struct store_briefing b;
	const char *cfg_dir = util_config_get(a->opts->cfg, "ui.export_dir");

	int rc = brief_render(a->st, id, BRIEF_FMT_MD, &md, &err);
	if (rc != BRIEF_OK) {
		tui_status(a, 1, "export: %s", err ? err : brief_strerror(rc));
		free(err);
		return TUI_R_REDRAW;
	}
	/* briefing-2026-02-21-evening-12.md */
	char stamp[16] = "undated";
	const char *edition = "briefing";
	memset(&b, 0, sizeof b);
	int have = store_briefing_get(a->st, id, &b) == STORE_OK;
	if (have) {
		time_t t = (time_t)b.created;
		struct tm tm;
		if (localtime_r(&t, &tm))
			strftime(stamp, sizeof stamp, "%Y-%m-%d", &tm);
		if (b.edition && (!strcmp(b.edition, "morning") || !strcmp(b.edition, "evening")))
			edition = b.edition;
	}
	dir = cfg_dir && *cfg_dir ? util_strdup(cfg_dir) : util_path_data("exports");
	if (dir)
		path = util_strfmt("%s/briefing-%s-%s-%lld.md", dir, stamp, edition, (long long)id);
	if (!path || util_mkdir_p(dir) != 0 || util_file_write(path, md, strlen(md)) != 0)
		tui_status(a, 1, "export: cannot write %s: %s", path ? path : "(no path)",
			   strerror(errno));
	else
		tui_status(a, 0, "exported to %s", path);
	if (have)
		store_briefing_clear(&b);
	free(md);
	free(dir);
	free(path);
	return TUI_R_REDRAW;
}
