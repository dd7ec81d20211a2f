/* tui — the full-screen reader (ncursesw): items, feeds, search, an item
 * pager and a help overlay generated from the key table; fetches feeds and
 * generates briefings in a worker thread with live progress. The only caller is cli/tui.c.
 * Everything drawn from a feed is sanitised (util_text_sanitize) and passes
 * through one drawing primitive that drops any control character left. */
#ifndef BRIEFING_TUI_H
#define BRIEFING_TUI_H

#include "brief/brief.h"
#include "feed/feed.h"

struct store;
struct util_config;

enum tui_err {
	TUI_OK = 0,
	TUI_ERR_NOMEM,
	TUI_ERR_TERM,         /* not a terminal, or curses could not start */
	TUI_ERR_STORE,
	TUI_ERR_ARG,
};
const char *tui_strerror(int err);

struct tui_opts {
	const char *db_path;          /* the database st was opened from: the
				       * fetch worker opens its own connection */
	const struct util_config *cfg; /* may be NULL; [keys], [theme], [ui] read */
	struct feed_update_opts fetch; /* template for `r` (ids ignored) */
	struct brief_opts generate;   /* template for `g`: model, style, config
				       * (now, since and cancel set per run) */
};

/* Run the reader until the user quits or a signal (SIGINT, SIGTERM, SIGHUP)
 * asks it to. The terminal is restored on every way out (atexit too).
 * Borrows st and o. Returns TUI_OK, or an error with *err (caller frees;
 * may be NULL) saying why. Configuration problems are not errors: they are
 * shown in the status line and the defaults kept. */
int tui_run(struct store *st, const struct tui_opts *o, char **err);

#endif
