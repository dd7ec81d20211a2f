/* The key table: one row per command with its config name, help text,
 * the views it applies in and its default bindings. Bindings are data:
 * [keys] in the config replaces a command's keys; the help view is
 * generated from this table and the live map. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui_int.h"
#include "util/util.h"

const struct tui_cmd_info tui_cmds[TUI_CMD_COUNT] = {
	[TUI_CMD_NONE] = { TUI_CMD_NONE, "", "", 0, "" },
	[TUI_CMD_QUIT] = { TUI_CMD_QUIT, "quit", "back to the previous view; quit from the first",
			   TUI_VM_ALL, "q" },
	[TUI_CMD_QUIT_ALL] = { TUI_CMD_QUIT_ALL, "quit_all", "quit the reader", TUI_VM_ALL, "Q" },
	[TUI_CMD_HELP] = { TUI_CMD_HELP, "help", "this help", TUI_VM_ALL & ~TUI_VM_HELP, "? F1" },
	[TUI_CMD_REDRAW] = { TUI_CMD_REDRAW, "redraw", "repaint the screen", TUI_VM_ALL, "C-l" },
	[TUI_CMD_UP] = { TUI_CMD_UP, "up", "previous line", TUI_VM_ALL, "k Up" },
	[TUI_CMD_DOWN] = { TUI_CMD_DOWN, "down", "next line", TUI_VM_ALL, "j Down" },
	[TUI_CMD_PAGE_UP] = { TUI_CMD_PAGE_UP, "page_up", "previous page", TUI_VM_ALL, "b PgUp C-b" },
	[TUI_CMD_PAGE_DOWN] = { TUI_CMD_PAGE_DOWN, "page_down", "next page", TUI_VM_ALL,
				"Space PgDn C-f" },
	[TUI_CMD_HALF_UP] = { TUI_CMD_HALF_UP, "half_up", "half a page up", TUI_VM_ALL, "C-u" },
	[TUI_CMD_HALF_DOWN] = { TUI_CMD_HALF_DOWN, "half_down", "half a page down", TUI_VM_ALL, "C-d" },
	[TUI_CMD_TOP] = { TUI_CMD_TOP, "top", "first line", TUI_VM_ALL, "g Home" },
	[TUI_CMD_BOTTOM] = { TUI_CMD_BOTTOM, "bottom", "last line", TUI_VM_ALL, "G End" },
	[TUI_CMD_OPEN] = { TUI_CMD_OPEN, "open",
			   "open the selected entry (in a briefing: the story at the top; in a story: the selected source)",
			   TUI_VM_LISTS | TUI_VM_READER | TUI_VM_STORY, "Enter l Right" },
	[TUI_CMD_ITEMS] = { TUI_CMD_ITEMS, "items", "the archive: every item, newest first",
			    TUI_VM_ALL & ~TUI_VM_HELP, "2 i" },
	[TUI_CMD_FEEDS] = { TUI_CMD_FEEDS, "feeds", "the feeds and how their fetches went",
			    TUI_VM_ALL & ~TUI_VM_HELP, "3 F" },
	[TUI_CMD_SEARCH] = { TUI_CMD_SEARCH, "search", "full-text search over the archive",
			     TUI_VM_ALL & ~TUI_VM_HELP, "4 /" },
	[TUI_CMD_SECTIONS] = { TUI_CMD_SECTIONS, "sections",
			       "the last 7 days by section of sections.conf, as a briefing places them",
			       TUI_VM_ALL & ~TUI_VM_HELP, "5 S" },
	[TUI_CMD_FETCH] = { TUI_CMD_FETCH, "fetch", "fetch every feed that is due",
			    TUI_VM_ALL & ~TUI_VM_HELP, "r" },
	[TUI_CMD_FETCH_ONE] = { TUI_CMD_FETCH_ONE, "fetch_one", "fetch the selected feed now",
				TUI_VM_FEEDS, "R" },
	[TUI_CMD_CANCEL] = { TUI_CMD_CANCEL, "cancel", "stop a running fetch or briefing", TUI_VM_ALL, "c C-g" },
	[TUI_CMD_TOGGLE_READ] = { TUI_CMD_TOGGLE_READ, "toggle_read", "mark read / unread",
				  TUI_VM_ITEMS | TUI_VM_SEARCH | TUI_VM_SECTIONS | TUI_VM_PAGER, "N u" },
	[TUI_CMD_OPEN_LINK] = { TUI_CMD_OPEN_LINK, "open_link",
				"open the link in $BROWSER (else xdg-open), or show it",
				TUI_VM_ITEMS | TUI_VM_SEARCH | TUI_VM_SECTIONS | TUI_VM_PAGER |
				TUI_VM_READER | TUI_VM_STORY, "o" },
	[TUI_CMD_FEED_ADD] = { TUI_CMD_FEED_ADD, "feed_add", "add a feed by URL", TUI_VM_FEEDS, "a" },
	[TUI_CMD_FEED_REMOVE] = { TUI_CMD_FEED_REMOVE, "feed_remove",
				  "remove the selected feed and its items", TUI_VM_FEEDS, "d" },
	[TUI_CMD_NEXT] = { TUI_CMD_NEXT, "next", "next item / section / source",
			   TUI_VM_PAGER | TUI_VM_READER | TUI_VM_STORY, "n" },
	[TUI_CMD_PREV] = { TUI_CMD_PREV, "prev", "previous item / section / source",
			   TUI_VM_PAGER | TUI_VM_READER | TUI_VM_STORY, "p" },
	[TUI_CMD_BRIEFINGS] = { TUI_CMD_BRIEFINGS, "briefings", "the briefings, newest first",
				TUI_VM_ALL & ~TUI_VM_HELP, "1 B" },
	[TUI_CMD_EXPORT] = { TUI_CMD_EXPORT, "export", "export the briefing to markdown (the path is shown)",
			     TUI_VM_BRIEFINGS | TUI_VM_READER | TUI_VM_STORY, "e" },
	/* g is also top: in these two lists generate wins (fewer views), Home
	 * still goes to the top; elsewhere g stays less's g */
	[TUI_CMD_GENERATE] = { TUI_CMD_GENERATE, "generate",
			       "write a briefing from the items since the last one (the config's model)",
			       TUI_VM_BRIEFINGS | TUI_VM_ITEMS, "g" },
};

static const struct {
	const char *name;
	int key;
} named[] = {
	{ "Space", ' ' },
	{ "Enter", '\n' },
	{ "Tab", '\t' },
	{ "Esc", 27 },
	{ "Up", TUI_KEY_FN | KEY_UP },
	{ "Down", TUI_KEY_FN | KEY_DOWN },
	{ "Left", TUI_KEY_FN | KEY_LEFT },
	{ "Right", TUI_KEY_FN | KEY_RIGHT },
	{ "PgUp", TUI_KEY_FN | KEY_PPAGE },
	{ "PgDn", TUI_KEY_FN | KEY_NPAGE },
	{ "Home", TUI_KEY_FN | KEY_HOME },
	{ "End", TUI_KEY_FN | KEY_END },
	{ "Backspace", TUI_KEY_FN | KEY_BACKSPACE },
	{ "Delete", TUI_KEY_FN | KEY_DC },
	{ "Insert", TUI_KEY_FN | KEY_IC },
};

int tui_key_parse(const char *name, int *key)
{
	size_t len = name ? strlen(name) : 0;
	uint32_t cp;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (!strcmp(name, named[i].name)) {
			*key = named[i].key;
			return 0;
		}
	if (len == 3 && name[0] == 'C' && name[1] == '-' &&
	    ((name[2] >= 'a' && name[2] <= 'z') || (name[2] >= 'A' && name[2] <= 'Z'))) {
		*key = (name[2] | 0x20) - 'a' + 1;
		return 0;
	}
	if ((name[0] == 'F' || name[0] == 'f') && len >= 2 && len <= 3) {
		long n;
		if (util_parse_long(name + 1, 1, 12, &n) == 0) {
			*key = TUI_KEY_FN | KEY_F((int)n);
			return 0;
		}
	}
	/* one printable character */
	size_t k = util_utf8_decode(name, len, &cp);
	if (k == len && cp != 0xfffd && cp > ' ' && tui_cp_drawable(cp)) {
		*key = (int)cp;
		return 0;
	}
	return -1;
}

void tui_key_name(int key, char *buf, size_t size)
{
	if (!size)
		return;
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (named[i].key == key) {
			snprintf(buf, size, "%s", named[i].name);
			return;
		}
	if (key == '\r') {
		snprintf(buf, size, "Enter");
	} else if (key >= 1 && key <= 26) {
		snprintf(buf, size, "C-%c", 'a' + key - 1);
	} else if (key & TUI_KEY_FN) {
		int k = key & ~TUI_KEY_FN;
		if (k >= KEY_F(1) && k <= KEY_F(12))
			snprintf(buf, size, "F%d", k - KEY_F0);
		else
			snprintf(buf, size, "key%d", k);
	} else {
		struct util_buf b;
		util_buf_init(&b);
		if (util_buf_put_utf8(&b, (uint32_t)key) == 0)
			snprintf(buf, size, "%s", util_buf_cstr(&b));
		else
			buf[0] = '\0';
		util_buf_free(&b);
	}
}

/* Bind the space-separated names in spec to cmd, replacing its keys and
 * (steal) taking each key from any other command sharing a view. */
static int bind_spec(struct tui_keymap *km, enum tui_cmd cmd, const char *spec, int steal,
		     char **err)
{
	char *copy = util_strdup(spec), *save = NULL;
	int n = 0;

	if (!copy)
		return -1;
	memset(km->keys[cmd], 0, sizeof km->keys[cmd]);
	for (char *t = strtok_r(copy, " \t,", &save); t; t = strtok_r(NULL, " \t,", &save)) {
		int key;
		if (tui_key_parse(t, &key) != 0) {
			if (err && !*err)
				*err = util_strfmt("keys.%s: unknown key '%s'", tui_cmds[cmd].name, t);
			continue;
		}
		for (int c = 1; steal && c < TUI_CMD_COUNT; c++) {
			if (c == (int)cmd || !(tui_cmds[c].views & tui_cmds[cmd].views))
				continue;
			for (int j = 0; j < TUI_MAX_BIND && km->keys[c][j]; j++)
				if (km->keys[c][j] == key) {
					memmove(&km->keys[c][j], &km->keys[c][j + 1],
						(size_t)(TUI_MAX_BIND - j - 1) * sizeof(int));
					km->keys[c][TUI_MAX_BIND - 1] = 0;
					j--;
				}
		}
		if (n < TUI_MAX_BIND - 1)
			km->keys[cmd][n++] = key;
	}
	free(copy);
	return 0;
}

int tui_keymap_load(struct tui_keymap *km, const struct util_config *cfg, char **err)
{
	memset(km, 0, sizeof *km);
	if (err)
		*err = NULL;
	/* the defaults share keys on purpose (g: top, and generate in the
	 * lists): the lookup picks the narrower command */
	for (int c = 1; c < TUI_CMD_COUNT; c++)
		if (bind_spec(km, (enum tui_cmd)c, tui_cmds[c].defaults, 0, NULL))
			return -1;
	if (!cfg)
		return 0;
	for (int c = 1; c < TUI_CMD_COUNT; c++) {
		char key[64];
		snprintf(key, sizeof key, "keys.%s", tui_cmds[c].name);
		const char *v = util_config_get(cfg, key);
		if (v && bind_spec(km, (enum tui_cmd)c, v, 1, err))
			return -1;
	}
	return 0;
}

enum tui_cmd tui_keymap_lookup(const struct tui_keymap *km, int key, unsigned view)
{
	enum tui_cmd best = TUI_CMD_NONE;
	int best_n = 0;

	if (key == '\r')
		key = '\n';
	for (int c = 1; c < TUI_CMD_COUNT; c++) {
		if (!(tui_cmds[c].views & view))
			continue;
		int n = __builtin_popcount(tui_cmds[c].views);
		for (int j = 0; j < TUI_MAX_BIND && km->keys[c][j]; j++)
			if (km->keys[c][j] == key && (best == TUI_CMD_NONE || n < best_n)) {
				best = (enum tui_cmd)c;
				best_n = n;
			}
	}
	return best;
}

void tui_keymap_describe(const struct tui_keymap *km, enum tui_cmd cmd, char *buf, size_t size)
{
	tui_keymap_describe_in(km, cmd, TUI_VM_ALL, buf, size);
}

void tui_keymap_describe_in(const struct tui_keymap *km, enum tui_cmd cmd, unsigned view,
			    char *buf, size_t size)
{
	size_t used = 0;

	if (!size)
		return;
	buf[0] = '\0';
	for (int j = 0; j < TUI_MAX_BIND && km->keys[cmd][j]; j++) {
		char name[32];
		if (view != TUI_VM_ALL &&
		    tui_keymap_lookup(km, km->keys[cmd][j], view & tui_cmds[cmd].views) != cmd)
			continue; /* another command has it here */
		tui_key_name(km->keys[cmd][j], name, sizeof name);
		int w = snprintf(buf + used, size - used, "%s%s", used ? " " : "", name);
		if (w < 0 || (size_t)w >= size - used)
			break;
		used += (size_t)w;
	}
}
