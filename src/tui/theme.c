/* Colours and attributes per screen element, from [theme] in the config:
 *   [theme]
 *   selected = black/cyan bold
 *   unread   = yellow
 * NO_COLOR (https://no-color.org) turns colours off; attributes stay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui_int.h"
#include "util/util.h"

const char *const tui_elem_names[TUI_E_COUNT] = {
	[TUI_E_NORMAL] = "normal",
	[TUI_E_HEADER] = "header",
	[TUI_E_STATUS] = "status",
	[TUI_E_SELECTED] = "selected",
	[TUI_E_UNREAD] = "unread",
	[TUI_E_DIM] = "dim",
	[TUI_E_ERROR] = "error",
	[TUI_E_HEADING] = "heading",
	[TUI_E_LINK] = "link",
};

static const char *const theme_defaults[TUI_E_COUNT] = {
	[TUI_E_NORMAL] = "default/default",
	[TUI_E_HEADER] = "white/blue bold",
	[TUI_E_STATUS] = "white/blue",
	[TUI_E_SELECTED] = "reverse",
	[TUI_E_UNREAD] = "default/default bold",
	[TUI_E_DIM] = "cyan/default",
	[TUI_E_ERROR] = "red/default bold",
	[TUI_E_HEADING] = "yellow/default bold",
	[TUI_E_LINK] = "blue/default underline",
};

static const char *const colour_names[] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
};

static int parse_colour(const char *s, short *out)
{
	long n;

	if (!strcmp(s, "default") || !*s) {
		*out = -1;
		return 0;
	}
	for (short i = 0; i < 8; i++)
		if (!strcmp(s, colour_names[i])) {
			*out = i;
			return 0;
		}
	if (util_parse_long(s, 0, 255, &n) == 0) {
		*out = (short)n;
		return 0;
	}
	return -1;
}

int tui_style_parse(const char *spec, struct tui_style *out)
{
	char *copy = util_strdup(spec ? spec : ""), *save = NULL;
	struct tui_style s = { -2, -2, 0 };
	int rc = 0;

	if (!copy)
		return -1;
	for (char *t = strtok_r(copy, " \t,", &save); t; t = strtok_r(NULL, " \t,", &save)) {
		if (!strcmp(t, "bold"))
			s.attrs |= TUI_A_BOLD;
		else if (!strcmp(t, "reverse"))
			s.attrs |= TUI_A_REVERSE;
		else if (!strcmp(t, "underline"))
			s.attrs |= TUI_A_UNDERLINE;
		else if (!strcmp(t, "dim"))
			s.attrs |= TUI_A_DIM;
		else if (!strcmp(t, "normal"))
			s.attrs = 0;
		else {
			char *slash = strchr(t, '/');
			if (slash)
				*slash = '\0';
			if (parse_colour(t, &s.fg) || (slash && parse_colour(slash + 1, &s.bg))) {
				rc = -1;
				break;
			}
			if (!slash)
				s.bg = -1;
		}
	}
	free(copy);
	if (rc == 0)
		*out = s;
	return rc;
}

int tui_theme_load(struct tui_style theme[TUI_E_COUNT], const struct util_config *cfg, char **err)
{
	if (err)
		*err = NULL;
	for (int e = 0; e < TUI_E_COUNT; e++) {
		if (tui_style_parse(theme_defaults[e], &theme[e]))
			return -1;
		if (!cfg)
			continue;
		char key[64];
		snprintf(key, sizeof key, "theme.%s", tui_elem_names[e]);
		const char *v = util_config_get(cfg, key);
		if (v && tui_style_parse(v, &theme[e]) && err && !*err)
			*err = util_strfmt("%s = '%s': not a style (e.g. \"yellow/blue bold\")", key, v);
	}
	return 0;
}
