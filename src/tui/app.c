/* The reader's loop: read keys (and the worker's wake-ups), turn keys
 * into commands through the key table, let the view on top react, and
 * paint once per turn. Handlers never paint. The terminal is given back on
 * every way out: quit, error, SIGINT/SIGTERM/SIGHUP (a flag the loop
 * checks) and exit (atexit). */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "tui/tui_int.h"
#include "util/util.h"

#define MIN_COLS 80
#define MIN_ROWS 24

static volatile sig_atomic_t got_signal;
static int curses_active; /* endwin owed */

const char *tui_strerror(int err)
{
	switch (err) {
	case TUI_OK: return "ok";
	case TUI_ERR_NOMEM: return "out of memory";
	case TUI_ERR_TERM: return "cannot use the terminal";
	case TUI_ERR_STORE: return "database error";
	case TUI_ERR_ARG: return "bad argument";
	}
	return "unknown error";
}

static void on_signal(int sig)
{
	got_signal = sig;
}

static void restore_terminal(void)
{
	if (curses_active) {
		curses_active = 0;
		endwin();
	}
}

static FILE *trace_file;

void tui_trace(const char *event)
{
	struct timespec ts;

	if (!trace_file)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(trace_file, "%s %lld.%09ld\n", event, (long long)ts.tv_sec, ts.tv_nsec);
	fflush(trace_file);
}

static const struct tui_view *const views[TUI_V_COUNT] = {
	[TUI_V_BRIEFINGS] = &tui_view_briefings,
	[TUI_V_READER] = &tui_view_reader,
	[TUI_V_STORY] = &tui_view_story,
	[TUI_V_ITEMS] = &tui_view_items,
	[TUI_V_FEEDS] = &tui_view_feeds,
	[TUI_V_SEARCH] = &tui_view_search,
	[TUI_V_PAGER] = &tui_view_pager,
	[TUI_V_HELP] = &tui_view_help,
	[TUI_V_SECTIONS] = &tui_view_sections,
};

const struct tui_view *tui_view_get(enum tui_view_id id)
{
	return views[id];
}

static const struct tui_view *top_view(struct tui_app *a)
{
	return a->depth ? views[a->stack[a->depth - 1]] : NULL;
}

void tui_status(struct tui_app *a, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->status, sizeof a->status, fmt, ap);
	va_end(ap);
	a->status_error = error;
}

void tui_prompt_start(struct tui_app *a, const char *label, const char *init, tui_prompt_fn fn)
{
	a->prompting = 1;
	snprintf(a->prompt_label, sizeof a->prompt_label, "%s", label);
	tui_input_set(&a->prompt, init);
	a->prompt_fn = fn;
}

int tui_view_push(struct tui_app *a, enum tui_view_id id, int64_t arg)
{
	char ev[48];
	snprintf(ev, sizeof ev, "view:%s", views[id]->name);
	tui_trace(ev);
	/* A view has one state: already on the stack, it comes back to the
	 * top (what was above it is left). */
	for (int i = 0; i < a->depth; i++)
		if (a->stack[i] == id) {
			while (a->depth > i + 1) {
				const struct tui_view *v = top_view(a);
				if (v->leave)
					v->leave(a);
				a->depth--;
			}
			return views[id]->enter(a, arg) | TUI_R_REDRAW;
		}
	if (a->depth >= (int)(sizeof a->stack / sizeof a->stack[0]))
		return TUI_R_NONE;
	a->stack[a->depth++] = id;
	return views[id]->enter(a, arg) | TUI_R_REDRAW;
}

int tui_view_pop(struct tui_app *a)
{
	if (a->depth <= 1)
		return TUI_R_QUIT;
	const struct tui_view *v = top_view(a);
	if (v->leave)
		v->leave(a);
	a->depth--;
	return top_view(a)->enter(a, TUI_ENTER_AGAIN) | TUI_R_REDRAW;
}

int tui_view_switch(struct tui_app *a, enum tui_view_id id, int64_t arg)
{
	while (a->depth > 0) {
		const struct tui_view *v = top_view(a);
		if (v->leave)
			v->leave(a);
		a->depth--;
	}
	return tui_view_push(a, id, arg);
}

void tui_item_read_changed(struct tui_app *a, int64_t id, int read)
{
	for (int i = 0; i < TUI_V_COUNT; i++)
		if (a->vstate[i] && views[i]->item_read)
			views[i]->item_read(a, id, read);
}

int tui_item_cmd(struct tui_app *a, struct store_item *it, enum tui_cmd cmd)
{
	switch (cmd) {
	case TUI_CMD_OPEN:
		return it ? tui_view_push(a, TUI_V_PAGER, it->id) : TUI_R_NONE;
	case TUI_CMD_TOGGLE_READ:
		if (!it)
			return TUI_R_NONE;
		if (store_item_set_read(a->st, it->id, !it->read) == STORE_OK)
			tui_item_read_changed(a, it->id, !it->read); /* the caller's row too */
		else
			tui_status(a, 1, "cannot mark the item: %s", store_errmsg(a->st));
		return TUI_R_REDRAW;
	case TUI_CMD_OPEN_LINK:
		return it ? tui_open_url(a, it->url) : TUI_R_NONE;
	default:
		return TUI_R_UNHANDLED;
	}
}

/* ---- fetch -------------------------------------------------------------- */

static int job_busy(struct tui_app *a)
{
	if (!a->job.running)
		return 0;
	tui_status(a, 0, "%s is already running",
		   a->job.kind == TUI_JOB_GENERATE ? "a briefing" : "a fetch");
	return 1;
}

int tui_fetch_start(struct tui_app *a, int64_t one_id)
{
	if (job_busy(a))
		return TUI_R_REDRAW;
	a->job.kind = TUI_JOB_FETCH;
	a->job.opts = a->opts->fetch;
	a->job.one_id = one_id;
	a->job.wake_fd = a->wake[1];
	if (tui_job_start(&a->job) != 0) {
		tui_status(a, 1, "cannot start the fetch: out of threads?");
		return TUI_R_REDRAW;
	}
	a->status[0] = '\0'; /* the progress takes the line; later messages follow it */
	a->status_error = 0;
	return TUI_R_REDRAW;
}

int tui_generate_start(struct tui_app *a)
{
	if (job_busy(a))
		return TUI_R_REDRAW;
	a->job.kind = TUI_JOB_GENERATE;
	a->job.gen_opts = a->opts->generate;
	a->job.wake_fd = a->wake[1];
	if (tui_job_start(&a->job) != 0) {
		tui_status(a, 1, "cannot start the briefing: out of threads?");
		return TUI_R_REDRAW;
	}
	a->status[0] = '\0';
	a->status_error = 0;
	return TUI_R_REDRAW;
}

/* The running job's progress line. */
static void job_status(struct tui_app *a, char *buf, size_t size)
{
	struct feed_update_progress p;
	struct brief_progress gp;
	char cancel[64], stage[sizeof a->job.stage];

	pthread_mutex_lock(&a->job.mu);
	p = a->job.p;
	gp = a->job.gp;
	memcpy(stage, a->job.stage, sizeof stage);
	pthread_mutex_unlock(&a->job.mu);
	tui_keymap_describe(&a->keys, TUI_CMD_CANCEL, cancel, sizeof cancel);
	char *sp = strchr(cancel, ' ');
	if (sp)
		*sp = '\0';
	if (a->job.kind == TUI_JOB_GENERATE) {
		int k = snprintf(buf, size, "generating (%s): %s", a->opts->generate.llm.backend
				 ? a->opts->generate.llm.backend : "?", stage[0] ? stage : "start");
		if (k >= 0 && (size_t)k < size && gp.total)
			snprintf(buf + k, size - (size_t)k, " %zu/%zu stories, %zu tokens, %.1f tok/s",
				 gp.done, gp.total, gp.tokens, gp.tok_per_s);
		k = (int)strlen(buf);
		snprintf(buf + k, size - (size_t)k, "%s  (%s: cancel)",
			 a->job.cancel ? ", cancelling" : "", cancel);
		return;
	}
	snprintf(buf, size, "fetching: %zu/%zu feeds, %zu new, %zu error%s%s  (%s: cancel)",
		 p.done, p.total, p.new_items, p.errors, p.errors == 1 ? "" : "s",
		 a->job.cancel ? ", cancelling" : "", cancel);
}

/* The briefing worker finished (joined): say how it went; a stored one
 * shows in the Briefings view (reloaded through data_gen). */
static void generate_done(struct tui_app *a, const char *err)
{
	int rc = a->job.result;
	struct store_briefing b;

	switch (rc) {
	case BRIEF_OK:
		a->data_gen++;
		memset(&b, 0, sizeof b);
		if (store_briefing_get(a->st, a->job.gen_id, &b) == STORE_OK) {
			tui_status(a, 0, "briefing %lld stored: %s, %zu stor%s%s",
				   (long long)a->job.gen_id,
				   b.edition_date && *b.edition_date ? b.edition_date
				   : b.edition ? b.edition : "",
				   b.n_stories, b.n_stories == 1 ? "y" : "ies",
				   top_view(a) == views[TUI_V_BRIEFINGS] ? "" : " (1: the briefings)");
			store_briefing_clear(&b);
		} else {
			tui_status(a, 0, "stored briefing %lld", (long long)a->job.gen_id);
		}
		break;
	case BRIEF_ERR_CANCELLED:
		tui_status(a, 0, "briefing cancelled; nothing was stored");
		break;
	case BRIEF_ERR_EMPTY:
		tui_status(a, 1, "nothing to write: %s", err[0] ? err : brief_strerror(rc));
		break;
	default:
		tui_status(a, 1, "briefing failed (nothing stored): %s",
			   err[0] ? err : brief_strerror(rc));
	}
}

/* The worker said something: refresh what is shown; when it is done, join
 * it and leave a summary (its last error included) in the status line. */
static int job_wake(struct tui_app *a, size_t *seen_new)
{
	char drain[64];
	int r = TUI_R_REDRAW;

	while (read(a->wake[0], drain, sizeof drain) > 0)
		;
	pthread_mutex_lock(&a->job.mu);
	struct feed_update_progress p = a->job.p;
	char err[sizeof a->job.last_error];
	memcpy(err, a->job.last_error, sizeof err);
	pthread_mutex_unlock(&a->job.mu);

	if (p.new_items + p.updated_items != *seen_new) {
		*seen_new = p.new_items + p.updated_items;
		a->data_gen++;
	}
	if (a->job.kind == TUI_JOB_GENERATE) {
		if (tui_job_reap(&a->job))
			generate_done(a, err);
		return r;
	}
	if (tui_job_reap(&a->job)) {
		int rc = a->job.result;
		a->data_gen++;
		*seen_new = 0;
		if (rc == FEED_ERR_CANCELLED)
			tui_status(a, 0, "fetch cancelled after %zu/%zu feeds (%zu new)",
				   p.done, p.total, p.new_items);
		else if (rc != FEED_OK)
			tui_status(a, 1, "fetch failed: %s", err[0] ? err : feed_strerror(rc));
		else if (p.errors)
			tui_status(a, 1, "fetched %zu feeds: %zu new, %zu error%s; last: %s",
				   p.done, p.new_items, p.errors, p.errors == 1 ? "" : "s", err);
		else
			tui_status(a, 0, "fetched %zu feed%s: %zu new, %zu not modified",
				   p.done, p.done == 1 ? "" : "s", p.new_items, p.not_modified);
	}
	return r;
}

/* ---- links -------------------------------------------------------------- */

static int in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (!path)
		return 0;
	for (const char *p = path; *p;) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n && snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, prog) < (int)sizeof buf &&
		    access(buf, X_OK) == 0)
			return 1;
		p += n + (e ? 1 : 0);
	}
	return 0;
}

int tui_open_url(struct tui_app *a, const char *url)
{
	char *u = tui_text_clean(url, 1);
	const char *browser = getenv("BROWSER");

	if (!u)
		return TUI_R_NONE;
	if (!*u) {
		tui_status(a, 1, "this entry has no link");
		free(u);
		return TUI_R_REDRAW;
	}
	if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8)) {
		tui_status(a, 0, "link (not opened: not http): %s", u);
		free(u);
		return TUI_R_REDRAW;
	}
	if (browser && *browser) {
		/* $BROWSER may be a terminal program: give it the screen, wait.
		 * The URL is an argument, never part of the shell text. */
		def_prog_mode();
		endwin();
		pid_t pid = fork();
		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", "$BROWSER \"$1\"", "sh", u, (char *)NULL);
			_exit(127);
		}
		int status = 0;
		if (pid > 0)
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
		reset_prog_mode();
		clearok(curscr, TRUE);
		if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			tui_status(a, 0, "opened %s", u);
		else
			tui_status(a, 1, "$BROWSER failed; the link: %s", u);
	} else if (in_path("xdg-open")) {
		pid_t pid = fork();
		if (pid == 0) {
			int fd = open("/dev/null", O_RDWR);
			if (fd >= 0) {
				dup2(fd, 0);
				dup2(fd, 1);
				dup2(fd, 2);
			}
			setsid();
			execlp("xdg-open", "xdg-open", u, (char *)NULL);
			_exit(127);
		}
		tui_status(a, pid > 0 ? 0 : 1, "%s %s", pid > 0 ? "opening" : "cannot run xdg-open;", u);
	} else {
		tui_status(a, 0, "link: %s", u);
	}
	free(u);
	return TUI_R_REDRAW;
}

/* ---- painting ----------------------------------------------------------- */

static void paint(struct tui_app *a)
{
	const struct tui_view *v = top_view(a);
	char title[256] = "";

	getmaxyx(stdscr, a->rows, a->cols);
	a->too_small = a->rows < MIN_ROWS || a->cols < MIN_COLS;
	erase();
	curs_set(0);
	if (a->too_small) {
		char msg[96];
		tui_attr(a, TUI_E_NORMAL);
		snprintf(msg, sizeof msg, "terminal too small: %dx%d, need %dx%d", a->cols,
			 a->rows, MIN_COLS, MIN_ROWS);
		int y = a->rows / 2, x = (a->cols - (int)strlen(msg)) / 2;
		tui_draw_text(y > 0 ? y : 0, x > 0 ? x : 0, msg, a->cols);
		if (a->rows > 1)
			tui_draw_text(y + 1 < a->rows ? y + 1 : 0, 0, "q: quit", a->cols);
		refresh();
		return;
	}
	/* header */
	tui_attr(a, TUI_E_HEADER);
	tui_draw_fill(0, 0, a->cols);
	if (v->title)
		v->title(a, title, sizeof title);
	char left[320];
	snprintf(left, sizeof left, " briefing | %s%s%s", v->name, title[0] ? " | " : "", title);
	char help[64], hint[96];
	tui_keymap_describe(&a->keys, TUI_CMD_HELP, help, sizeof help);
	char *sp = strchr(help, ' ');
	if (sp)
		*sp = '\0';
	snprintf(hint, sizeof hint, "%s:help ", help);
	int hw = (int)util_text_width(hint);
	tui_draw_text(0, 0, left, a->cols - hw - 1);
	tui_draw_text(0, a->cols - hw, hint, hw);
	/* status (the body draws after it and may place the cursor; a prompt
	 * draws last and owns the cursor) */
	int sy = a->rows - 1;
	tui_attr(a, a->status_error && !a->prompting && !a->job.running ? TUI_E_ERROR : TUI_E_STATUS);
	tui_draw_fill(sy, 0, a->cols);
	if (!a->prompting) {
		char buf[1200];
		if (a->job.running) {
			job_status(a, buf, sizeof buf);
			if (a->status[0]) {
				size_t k = strlen(buf);
				snprintf(buf + k, sizeof buf - k, " | %s", a->status);
			}
		} else
			snprintf(buf, sizeof buf, "%s", a->status);
		char *clean = tui_text_clean(buf, 1);
		tui_draw_text(sy, 1, clean ? clean : "", a->cols - 2);
		free(clean);
	}
	/* body */
	tui_attr(a, TUI_E_NORMAL);
	v->draw(a, 1, a->rows - 2);
	if (a->prompting) {
		tui_attr(a, TUI_E_STATUS);
		int lw = tui_draw_text(sy, 0, a->prompt_label, a->cols / 2);
		int room = a->cols - lw - 1;
		const char *t = a->prompt.buf;
		/* show the end of a long input */
		while ((int)util_text_width(t) > room && *t) {
			uint32_t cp;
			t += util_utf8_decode(t, strlen(t), &cp);
		}
		int w = tui_draw_text(sy, lw, t, room);
		move(sy, lw + w);
		curs_set(1);
	}
	refresh();
	tui_trace("paint");
}

/* ---- keys --------------------------------------------------------------- */

static int global_cmd(struct tui_app *a, enum tui_cmd cmd, int key)
{
	switch (cmd) {
	case TUI_CMD_QUIT:
		return tui_view_pop(a);
	case TUI_CMD_QUIT_ALL:
		return TUI_R_QUIT;
	case TUI_CMD_HELP:
		return tui_view_push(a, TUI_V_HELP, 0);
	case TUI_CMD_REDRAW:
		clearok(curscr, TRUE);
		return TUI_R_REDRAW;
	case TUI_CMD_BRIEFINGS:
		return tui_view_switch(a, TUI_V_BRIEFINGS, 0);
	case TUI_CMD_ITEMS:
		return tui_view_switch(a, TUI_V_ITEMS, 0);
	case TUI_CMD_FEEDS:
		return tui_view_switch(a, TUI_V_FEEDS, 0);
	case TUI_CMD_SEARCH:
		return tui_view_switch(a, TUI_V_SEARCH, 0);
	case TUI_CMD_SECTIONS:
		return tui_view_switch(a, TUI_V_SECTIONS, 0);
	case TUI_CMD_FETCH:
		return tui_fetch_start(a, 0);
	case TUI_CMD_GENERATE:
		return tui_generate_start(a);
	case TUI_CMD_CANCEL:
		if (a->job.running) {
			tui_job_cancel(&a->job);
			tui_status(a, 0, "cancelling the %s...",
				   a->job.kind == TUI_JOB_GENERATE ? "briefing" : "fetch");
		}
		return TUI_R_REDRAW;
	case TUI_CMD_NONE: {
		char name[32], help[32];
		tui_key_name(key, name, sizeof name);
		tui_keymap_describe(&a->keys, TUI_CMD_HELP, help, sizeof help);
		tui_status(a, 0, "%s: not bound here (%s for help)", name, help);
		return TUI_R_REDRAW;
	}
	default:
		return TUI_R_NONE;
	}
}

static int handle_key(struct tui_app *a, int key)
{
	const struct tui_view *v = top_view(a);

	if (key == (TUI_KEY_FN | KEY_RESIZE)) {
		getmaxyx(stdscr, a->rows, a->cols);
		for (int i = 0; i < a->depth; i++)
			if (views[a->stack[i]]->resize)
				views[a->stack[i]]->resize(a);
		return TUI_R_REDRAW;
	}
	if (a->prompting) {
		int r = tui_input_key(&a->prompt, key);
		if (r == 1) {
			a->prompting = 0;
			return a->prompt_fn(a, a->prompt.buf) | TUI_R_REDRAW;
		}
		if (r == -1) {
			a->prompting = 0;
			a->status[0] = '\0';
		}
		return TUI_R_REDRAW;
	}
	if (key == (TUI_KEY_FN | KEY_MOUSE)) {
		MEVENT ev;
		int r = TUI_R_NONE;
		if (getmouse(&ev) != OK || a->too_small)
			return TUI_R_NONE;
		enum tui_cmd c = TUI_CMD_NONE;
		if (ev.bstate & BUTTON4_PRESSED)
			c = TUI_CMD_UP;
#ifdef BUTTON5_PRESSED
		else if (ev.bstate & BUTTON5_PRESSED)
			c = TUI_CMD_DOWN;
#endif
		for (int i = 0; c != TUI_CMD_NONE && i < 3; i++)
			r |= v->key(a, c, TUI_KEY_NONE) & ~TUI_R_UNHANDLED;
		return r;
	}
	enum tui_cmd cmd = tui_keymap_lookup(&a->keys, key, v->mask);
	if (a->too_small)
		return (cmd == TUI_CMD_QUIT || cmd == TUI_CMD_QUIT_ALL) ? TUI_R_QUIT : TUI_R_NONE;
	int r = v->key(a, cmd, key);
	if (!(r & TUI_R_UNHANDLED))
		return r;
	return (r & ~TUI_R_UNHANDLED) | global_cmd(a, cmd, key);
}

/* ---- setup -------------------------------------------------------------- */

static void setup_colours(struct tui_app *a)
{
	const char *nc = getenv("NO_COLOR");

	a->color = 0;
	if ((nc && *nc) || !has_colors() || start_color() != OK)
		return;
	use_default_colors();
	a->color = 1;
	for (int e = 0; e < TUI_E_COUNT; e++) {
		const struct tui_style *s = &a->theme[e];
		if (s->fg == -2)
			continue;
		short fg = s->fg, bg = s->bg == -2 ? -1 : s->bg;
		if (fg >= COLORS)
			fg = -1;
		if (bg >= COLORS)
			bg = -1;
		init_pair((short)(e + 1), fg, bg);
	}
}

static void install_signals(struct sigaction old[3])
{
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
}

static void restore_signals(const struct sigaction old[3])
{
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
}

static int read_key(int *key)
{
	wint_t wch;
	int rc = get_wch(&wch);

	if (rc == ERR)
		return 0;
	*key = rc == KEY_CODE_YES ? (int)(TUI_KEY_FN | (int)wch) : (int)wch;
	return 1;
}

int tui_run(struct store *st, const struct tui_opts *o, char **err)
{
	struct tui_app app;
	struct tui_app *a = &app;
	struct sigaction old_sig[3];
	char *cfg_err = NULL;
	int rc = TUI_OK;
	static int atexit_done;

	if (err)
		*err = NULL;
	if (!st || !o || !o->db_path)
		return TUI_ERR_ARG;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		if (err)
			*err = util_strdup("the reader needs a terminal");
		return TUI_ERR_TERM;
	}
	memset(a, 0, sizeof *a);
	a->st = st;
	a->opts = o;
	if (tui_keymap_load(&a->keys, o->cfg, &cfg_err) || tui_theme_load(a->theme, o->cfg,
									   cfg_err ? NULL : &cfg_err))
		return TUI_ERR_NOMEM;
	if (cfg_err) {
		tui_status(a, 1, "config: %s", cfg_err);
		free(cfg_err);
	}
	a->job.db_path = (char *)o->db_path;
	pthread_mutex_init(&a->job.mu, NULL);
	if (pipe2(a->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
		pthread_mutex_destroy(&a->job.mu);
		return TUI_ERR_TERM;
	}

	setlocale(LC_ALL, "");
	const char *cs = nl_langinfo(CODESET);
	tui_draw_set_ascii(!(cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"))));
	const char *tp = getenv("BRIEFING_TUI_TRACE");
	trace_file = tp && *tp ? fopen(tp, "a") : NULL;
	tui_trace("start");
	if (!atexit_done) {
		atexit(restore_terminal);
		atexit_done = 1;
	}
	got_signal = 0;
	SCREEN *scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		if (err)
			*err = util_strfmt("cannot start curses on TERM=%s", getenv("TERM") ? getenv("TERM") : "");
		if (trace_file) {
			fclose(trace_file);
			trace_file = NULL;
		}
		close(a->wake[0]);
		close(a->wake[1]);
		pthread_mutex_destroy(&a->job.mu);
		return TUI_ERR_TERM;
	}
	curses_active = 1;
	install_signals(old_sig);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	setup_colours(a);
	a->mouse = util_config_get_long(o->cfg, "ui.mouse", 1) != 0;
	if (a->mouse) {
		mmask_t m = BUTTON4_PRESSED;
#ifdef BUTTON5_PRESSED
		m |= BUTTON5_PRESSED;
#endif
		mousemask(m, NULL);
		mouseinterval(0);
	}
	getmaxyx(stdscr, a->rows, a->cols);

	/* Briefings first when there are any, else the archive. */
	struct store_briefing *bl = NULL;
	size_t nb = 0;
	if (store_briefing_list(st, 1, &bl, &nb) != STORE_OK)
		nb = 0;
	store_briefings_free(bl, nb);
	int r = tui_view_push(a, nb ? TUI_V_BRIEFINGS : TUI_V_ITEMS, 0);
	unsigned gen_seen = a->data_gen;
	size_t seen_new = 0;
	while (!(r & TUI_R_QUIT) && !got_signal) {
		int key;
		while (!(r & TUI_R_QUIT) && read_key(&key))
			r |= handle_key(a, key);
		if (r & TUI_R_QUIT)
			break;
		if (a->data_gen != gen_seen) {
			gen_seen = a->data_gen;
			r |= top_view(a)->enter(a, TUI_ENTER_AGAIN);
		}
		if (r & TUI_R_REDRAW)
			paint(a);
		r = TUI_R_NONE;
		while (waitpid(-1, NULL, WNOHANG) > 0) /* xdg-open children */
			;
		/* Keys first; then the view's deferred work, one piece a turn. */
		struct pollfd pf[2] = { { STDIN_FILENO, POLLIN, 0 }, { a->wake[0], POLLIN, 0 } };
		int n = poll(pf, 2, 0);
		if (n == 0 && top_view(a)->idle && !a->too_small) {
			r = top_view(a)->idle(a);
			if (r != TUI_R_NONE)
				continue;
		}
		if (n == 0)
			n = poll(pf, 2, a->job.running ? 1000 : -1);
		if (n < 0 && errno != EINTR) {
			if (err)
				*err = util_strfmt("poll: %s", strerror(errno));
			rc = TUI_ERR_TERM;
			break;
		}
		if (n > 0 && (pf[0].revents & (POLLHUP | POLLERR | POLLNVAL)) &&
		    !(pf[0].revents & POLLIN)) {
			rc = TUI_ERR_TERM; /* the terminal went away */
			break;
		}
		if ((n > 0 && pf[1].revents & POLLIN) || a->job.running)
			r |= job_wake(a, &seen_new);
		if (n < 0) /* a signal: maybe SIGWINCH, which get_wch turns into KEY_RESIZE */
			r |= TUI_R_REDRAW;
	}

	if (a->job.running) {
		tui_job_cancel(&a->job);
		pthread_join(a->job.thread, NULL);
		a->job.running = 0;
	}
	for (int i = 0; i < TUI_V_COUNT; i++)
		if (views[i]->destroy)
			views[i]->destroy(a);
	restore_terminal();
	delscreen(scr);
	restore_signals(old_sig);
	close(a->wake[0]);
	close(a->wake[1]);
	pthread_mutex_destroy(&a->job.mu);
	if (trace_file) {
		fclose(trace_file);
		trace_file = NULL;
	}
	return rc;
}
