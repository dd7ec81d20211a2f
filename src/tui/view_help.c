/* Help: generated from the key table and the live bindings, for the view
 * it was opened over. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui_int.h"
#include "util/util.h"

struct help_state {
	unsigned mask;        /* the view beneath */
	const char *under;
	enum tui_cmd rows[TUI_CMD_COUNT];
	size_t n;
	size_t top;
};

static struct help_state *S(struct tui_app *a)
{
	return a->vstate[TUI_V_HELP];
}

static int help_enter(struct tui_app *a, int64_t arg)
{
	struct help_state *s = S(a);

	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return TUI_R_QUIT;
		a->vstate[TUI_V_HELP] = s;
	}
	if (arg == TUI_ENTER_AGAIN)
		return TUI_R_REDRAW;
	const struct tui_view *under = a->depth >= 2 ? tui_view_get(a->stack[a->depth - 2]) : NULL;
	s->mask = under ? under->mask : TUI_VM_ALL;
	s->under = under ? under->name : "";
	s->n = 0;
	s->top = 0;
	for (int c = 1; c < TUI_CMD_COUNT; c++)
		if (tui_cmds[c].views & s->mask)
			s->rows[s->n++] = (enum tui_cmd)c;
	return TUI_R_REDRAW;
}

static void help_draw(struct tui_app *a, int top, int rows)
{
	struct help_state *s = S(a);
	char line[128];

	tui_attr(a, TUI_E_HEADING);
	snprintf(line, sizeof line, "Keys in %s (change them under [keys] in the config: "
				    "name = key key ...)", s->under);
	tui_draw_text(top, 2, line, a->cols - 4);
	for (int r = 0; r + 2 < rows && s->top + (size_t)r < s->n; r++) {
		enum tui_cmd c = s->rows[s->top + (size_t)r];
		char keys[96];
		int y = top + 2 + r;
		tui_keymap_describe_in(&a->keys, c, s->mask, keys, sizeof keys);
		tui_attr(a, TUI_E_UNREAD);
		tui_draw_text(y, 2, keys[0] ? keys : "(unbound)", 20);
		tui_attr(a, TUI_E_DIM);
		tui_draw_text(y, 24, tui_cmds[c].name, 14);
		tui_attr(a, TUI_E_NORMAL);
		tui_draw_text(y, 39, tui_cmds[c].help, a->cols - 41);
	}
}

static int help_key(struct tui_app *a, enum tui_cmd cmd, int key)
{
	struct help_state *s = S(a);
	size_t page = a->rows > 6 ? (size_t)(a->rows - 4) : 1;
	size_t max = s->n > page ? s->n - page : 0, old = s->top;

	switch (cmd) {
	case TUI_CMD_UP:
	case TUI_CMD_PAGE_UP:
	case TUI_CMD_HALF_UP:
		s->top = s->top > (cmd == TUI_CMD_UP ? 1 : page) ? s->top - (cmd == TUI_CMD_UP ? 1 : page) : 0;
		break;
	case TUI_CMD_DOWN:
	case TUI_CMD_PAGE_DOWN:
	case TUI_CMD_HALF_DOWN:
		s->top += cmd == TUI_CMD_DOWN ? 1 : page;
		if (s->top > max)
			s->top = max;
		break;
	case TUI_CMD_TOP:
		s->top = 0;
		break;
	case TUI_CMD_BOTTOM:
		s->top = max;
		break;
	default:
		if (cmd == TUI_CMD_NONE && key == 27) /* Esc closes help too */
			return tui_view_pop(a);
		return TUI_R_UNHANDLED;
	}
	return s->top != old ? TUI_R_REDRAW : TUI_R_NONE;
}

static void help_destroy(struct tui_app *a)
{
	free(S(a));
	a->vstate[TUI_V_HELP] = NULL;
}

const struct tui_view tui_view_help = {
	.name = "Help",
	.mask = TUI_VM_HELP,
	.enter = help_enter,
	.draw = help_draw,
	.key = help_key,
	.destroy = help_destroy,
};
