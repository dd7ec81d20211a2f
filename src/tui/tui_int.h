/* tui internals: the app, the view vtable, the key table, widgets and the
 * text layout helpers (the last are pure and unit-tested). */
#ifndef BRIEFING_TUI_INT_H
#define BRIEFING_TUI_INT_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include "tui/tui.h"

/* ---- text layout (text.c): pure, no curses ------------------------------ */

/* Terminal columns of one code point (0, 1 or 2; controls 0), with the
 * same rules as util_text_width. */
int tui_cp_width(uint32_t cp);
/* Is cp drawable at all (not a C0/C1 control, DEL, bidi control or BOM)? */
int tui_cp_drawable(uint32_t cp);
/* The longest prefix of s[0..n) that fits in cols columns, never splitting
 * a code point and keeping zero-width marks with their base. Returns its
 * length in bytes; *used (may be NULL) gets its width. */
size_t tui_text_fit(const char *s, size_t n, int cols, int *used);
/* s cut to cols columns with "…" at the end when it did not fit; the result
 * is at most cols wide. Caller frees; NULL on ENOMEM. */
char *tui_text_trunc(const char *s, int cols);

/* One wrapped line: bytes [off, off+len) of the text, width columns wide. */
struct tui_span {
	size_t off, len;
	int width;
};
/* Wrap s to width columns (>= 1): at spaces where possible, hard breaks
 * inside words longer than a line; '\n' ends a paragraph (an empty line
 * stays an empty line); spaces at a soft break are dropped. A wide
 * character never straddles the edge. *out malloc'd (caller frees), *n
 * lines (at least one, possibly empty). 0 ok, -1 ENOMEM. */
int tui_text_wrap(const char *s, int width, struct tui_span **out, size_t *n);
/* Untrusted text made fit for the screen: util_text_sanitize, then tabs as
 * spaces; single_line: newlines too, and runs of spaces squeezed. Caller
 * frees; never NULL for s == NULL (""); NULL only on ENOMEM. */
char *tui_text_clean(const char *s, int single_line);

/* ---- keys (keys.c) ------------------------------------------------------ */

/* Key codes: a Unicode code point, or TUI_KEY_FN | a curses KEY_* code. */
#define TUI_KEY_FN 0x200000
#define TUI_KEY_NONE 0

/* View masks for the key table. */
enum {
	TUI_VM_ITEMS = 1 << 0,
	TUI_VM_FEEDS = 1 << 1,
	TUI_VM_SEARCH = 1 << 2,
	TUI_VM_PAGER = 1 << 3,
	TUI_VM_HELP = 1 << 4,
	TUI_VM_BRIEFINGS = 1 << 5,
	TUI_VM_READER = 1 << 6,
	TUI_VM_STORY = 1 << 7,
	TUI_VM_SECTIONS = 1 << 8,
	TUI_VM_LISTS = TUI_VM_ITEMS | TUI_VM_FEEDS | TUI_VM_SEARCH | TUI_VM_BRIEFINGS |
		       TUI_VM_SECTIONS,
	TUI_VM_ALL = 0xffff,
};

enum tui_cmd {
	TUI_CMD_NONE = 0,
	TUI_CMD_QUIT,         /* back to the previous view; quit from the first */
	TUI_CMD_QUIT_ALL,
	TUI_CMD_HELP,
	TUI_CMD_REDRAW,
	TUI_CMD_UP,
	TUI_CMD_DOWN,
	TUI_CMD_PAGE_UP,
	TUI_CMD_PAGE_DOWN,
	TUI_CMD_HALF_UP,
	TUI_CMD_HALF_DOWN,
	TUI_CMD_TOP,
	TUI_CMD_BOTTOM,
	TUI_CMD_OPEN,
	TUI_CMD_ITEMS,
	TUI_CMD_FEEDS,
	TUI_CMD_SEARCH,
	TUI_CMD_FETCH,
	TUI_CMD_FETCH_ONE,
	TUI_CMD_CANCEL,
	TUI_CMD_TOGGLE_READ,
	TUI_CMD_OPEN_LINK,
	TUI_CMD_FEED_ADD,
	TUI_CMD_FEED_REMOVE,
	TUI_CMD_NEXT,
	TUI_CMD_PREV,
	TUI_CMD_BRIEFINGS,
	TUI_CMD_EXPORT,
	TUI_CMD_GENERATE,
	TUI_CMD_SECTIONS,
	TUI_CMD_COUNT
};

struct tui_cmd_info {
	enum tui_cmd cmd;
	const char *name;     /* config key under [keys] */
	const char *help;
	unsigned views;       /* TUI_VM_* where it applies */
	const char *defaults; /* default bindings, space-separated key names */
};
extern const struct tui_cmd_info tui_cmds[TUI_CMD_COUNT];

#define TUI_MAX_BIND 8
struct tui_keymap {
	int keys[TUI_CMD_COUNT][TUI_MAX_BIND]; /* TUI_KEY_NONE-terminated */
};

/* Parse one key name ("j", "C-r", "Space", "Enter", "Down", "PgDn", "F1",
 * "?", "é"). 0 ok, -1 unknown. */
int tui_key_parse(const char *name, int *key);
/* The name tui_key_parse reads back. Writes at most size bytes. */
void tui_key_name(int key, char *buf, size_t size);
/* Defaults, then every [keys] entry of cfg (may be NULL): "keys.down =
 * j Down". An entry replaces that command's bindings; a key bound to
 * another command in an overlapping view is taken from it. Unknown command
 * or key names are reported in *err (caller frees; first problem only) and
 * skipped. 0 ok, -1 ENOMEM. */
int tui_keymap_load(struct tui_keymap *km, const struct util_config *cfg, char **err);
/* The command key is bound to in a view (mask), TUI_CMD_NONE if none; of
 * two commands with the key there, the one for fewer views. */
enum tui_cmd tui_keymap_lookup(const struct tui_keymap *km, int key, unsigned view);
/* "j Down" — the live bindings of cmd. */
void tui_keymap_describe(const struct tui_keymap *km, enum tui_cmd cmd, char *buf, size_t size);
/* The same, less the keys another command takes in view (a mask; TUI_VM_ALL:
 * every key). */
void tui_keymap_describe_in(const struct tui_keymap *km, enum tui_cmd cmd, unsigned view,
			    char *buf, size_t size);

/* ---- theme (theme.c) ---------------------------------------------------- */
enum tui_elem {
	TUI_E_NORMAL,
	TUI_E_HEADER,
	TUI_E_STATUS,
	TUI_E_SELECTED,
	TUI_E_UNREAD,
	TUI_E_DIM,
	TUI_E_ERROR,
	TUI_E_HEADING,
	TUI_E_LINK,
	TUI_E_COUNT
};
struct tui_style {
	short fg, bg;         /* -1 default; -2 unset (no colour) */
	unsigned attrs;       /* TUI_A_* */
};
enum { TUI_A_BOLD = 1, TUI_A_REVERSE = 2, TUI_A_UNDERLINE = 4, TUI_A_DIM = 8 };
extern const char *const tui_elem_names[TUI_E_COUNT];
/* Parse "yellow/blue bold" (colours: default black red green yellow blue
 * magenta cyan white or 0-255; attributes bold reverse underline dim
 * normal). 0 ok, -1 bad. */
int tui_style_parse(const char *spec, struct tui_style *out);
/* Defaults, then [theme] of cfg. Problems reported like tui_keymap_load. */
int tui_theme_load(struct tui_style theme[TUI_E_COUNT], const struct util_config *cfg, char **err);

/* ---- the app ------------------------------------------------------------ */
struct tui_app;

enum tui_view_id {
	TUI_V_BRIEFINGS,
	TUI_V_READER,
	TUI_V_STORY,
	TUI_V_ITEMS,
	TUI_V_FEEDS,
	TUI_V_SEARCH,
	TUI_V_PAGER,
	TUI_V_HELP,
	TUI_V_SECTIONS,
	TUI_V_COUNT
};

/* enter() arg when a view is shown again (uncovered, or the archive changed). */
#define TUI_ENTER_AGAIN (-1)

/* What a handler asks of the loop. */
enum {
	TUI_R_NONE = 0,
	TUI_R_REDRAW = 1,     /* repaint this turn */
	TUI_R_QUIT = 2,       /* leave the reader */
	TUI_R_UNHANDLED = 4,  /* the view did not take the key */
};

/* A view. State lives in app->vstate[id], owned by the view (made in
 * enter when NULL, freed in destroy). Handlers never paint; draw paints the
 * body rows [top, top + rows) and is called once per turn. */
struct tui_view {
	const char *name;     /* shown in the header */
	unsigned mask;        /* TUI_VM_* for the key table */
	int (*enter)(struct tui_app *a, int64_t arg); /* pushed or shown again: reaction */
	void (*leave)(struct tui_app *a);
	void (*draw)(struct tui_app *a, int top, int rows);
	int (*key)(struct tui_app *a, enum tui_cmd cmd, int key); /* reaction */
	void (*resize)(struct tui_app *a);
	void (*destroy)(struct tui_app *a);
	/* one line of header text: what is shown (may be NULL) */
	void (*title)(struct tui_app *a, char *buf, size_t size);
	/* the item id under the cursor, 0 none (may be NULL): the pager's
	 * next/prev moves the view beneath it and asks this */
	int64_t (*selected)(struct tui_app *a);
	/* slow work left for after the first paint (may be NULL): called when
	 * no key is waiting; returns TUI_R_NONE when there is nothing to do */
	int (*idle)(struct tui_app *a);
	/* item id was marked read (1) or unread (0) elsewhere (may be NULL):
	 * update what the view holds without reloading */
	void (*item_read)(struct tui_app *a, int64_t id, int read);
};

extern const struct tui_view tui_view_items, tui_view_feeds, tui_view_search,
	tui_view_pager, tui_view_help, tui_view_briefings, tui_view_reader, tui_view_story,
	tui_view_sections;

/* A line editor: UTF-8 text, cursor at the end. */
struct tui_input {
	char buf[1024];
	size_t len;
};
/* Feed it a key: returns 1 Enter, -1 Esc/cancel, 0 edited or ignored. */
int tui_input_key(struct tui_input *in, int key);
void tui_input_set(struct tui_input *in, const char *s);

/* A scrolling list: n rows, selection and first visible row. */
struct tui_list {
	size_t n, sel, top;
};
/* Apply a movement command for a body of rows lines; returns reaction. */
int tui_list_cmd(struct tui_list *l, enum tui_cmd cmd, int rows);
void tui_list_clamp(struct tui_list *l, int rows);

/* The worker (job.c): a fetch or a briefing, one at a time. */
enum tui_job_kind { TUI_JOB_FETCH, TUI_JOB_GENERATE };
struct tui_job {
	pthread_t thread;
	int running;          /* a thread exists (joined once finished) */
	volatile int cancel;
	pthread_mutex_t mu;
	/* guarded by mu */
	int finished;
	int result;           /* feed_update_run's or brief_generate's */
	struct feed_update_progress p; /* counts only; strings NULL */
	struct brief_progress gp;      /* stage NULL: see stage */
	char stage[32];       /* the briefing's stage */
	int64_t gen_id;       /* the briefing stored */
	char last_error[512]; /* fetch: "URL: message" of the newest failing
			       * feed; generate: why it failed */
	/* set before start */
	enum tui_job_kind kind;
	char *db_path;
	struct feed_update_opts opts;
	int64_t one_id;
	struct brief_opts gen_opts; /* cancel set by the worker */
	int wake_fd;          /* written a byte after each progress */
};

struct tui_prompt;
typedef int (*tui_prompt_fn)(struct tui_app *a, const char *text); /* reaction */

struct tui_app {
	struct store *st;
	const struct tui_opts *opts;
	struct tui_keymap keys;
	struct tui_style theme[TUI_E_COUNT];
	int color;            /* colours in use */
	int rows, cols;       /* screen size */
	int too_small;

	enum tui_view_id stack[8];
	int depth;
	void *vstate[TUI_V_COUNT];
	unsigned data_gen;    /* bumped when the archive changed (fetch, add, remove) */

	char status[512];     /* message for the status line */
	int status_error;

	/* a prompt in the status line: text input, or a y/n question */
	int prompting;
	char prompt_label[128];
	struct tui_input prompt;
	tui_prompt_fn prompt_fn;

	struct tui_job job;
	int wake[2];
	int mouse;
};

/* Status line message (printf-style; the text is cleaned before display). */
void tui_status(struct tui_app *a, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Ask for a line of text in the status line; fn gets it on Enter. */
void tui_prompt_start(struct tui_app *a, const char *label, const char *init, tui_prompt_fn fn);
/* Push a view (arg to its enter) / pop back / replace the whole stack. */
int tui_view_push(struct tui_app *a, enum tui_view_id id, int64_t arg);
int tui_view_pop(struct tui_app *a);
int tui_view_switch(struct tui_app *a, enum tui_view_id id, int64_t arg);
const struct tui_view *tui_view_get(enum tui_view_id id);
/* Tell every view that holds state that item id's read flag changed. */
void tui_item_read_changed(struct tui_app *a, int64_t id, int read);
/* The commands every list of items takes for the selected item it (may be
 * NULL): open (the pager), toggle_read, open_link. TUI_R_UNHANDLED for any
 * other command. */
int tui_item_cmd(struct tui_app *a, struct store_item *it, enum tui_cmd cmd);
/* Start a fetch (one_id 0 = every feed due; else that feed, forced). */
int tui_fetch_start(struct tui_app *a, int64_t one_id);
/* Start writing a briefing (the config's model, the window since the
 * previous one). Reaction. */
int tui_generate_start(struct tui_app *a);
/* Open a URL: $BROWSER, else xdg-open, else show it. Reaction. */
int tui_open_url(struct tui_app *a, const char *url);

/* With BRIEFING_TUI_TRACE=FILE set, append "event seconds" (CLOCK_REALTIME)
 * to FILE: bench/tui.sh times the first screen and a search with it. */
void tui_trace(const char *event);

/* Export briefing id as markdown (brief_render) to [ui] export_dir, else
 * $XDG_DATA_HOME/briefing/exports/; the path goes to the status line. */
int tui_briefing_export(struct tui_app *a, int64_t id);

struct store_briefing;
/* The briefing the reader holds (NULL when none): the story view shows
 * one of its stories. */
const struct store_briefing *tui_reader_briefing(struct tui_app *a);

/* job.c */
int tui_job_start(struct tui_job *j);
void tui_job_cancel(struct tui_job *j);
/* Joins a finished worker; returns 1 if it was finished (and joined). */
int tui_job_reap(struct tui_job *j);

/* ---- documents (doc.c): paragraphs laid out for the pager-like views --- */
struct tui_doc_para {
	char *text;           /* cleaned; may hold newlines */
	enum tui_elem style;
	int tag;              /* the caller's (a story index, a source index, -1) */
	int indent;
};
struct tui_doc_line {
	const char *s;        /* into a paragraph's text */
	size_t len;
	enum tui_elem style;
	int tag;
	int indent;
	int para;             /* index of its paragraph */
};
struct tui_doc {
	struct tui_doc_para *paras;
	size_t n_paras, cap_paras;
	struct tui_doc_line *lines;
	size_t n;
	int width;            /* laid out for this width, 0 = not yet */
	size_t top;           /* first line shown */
};
/* Append a paragraph: text is untrusted and cleaned here (NULL = ""). 0 ok,
 * -1 ENOMEM. The layout is invalidated. */
int tui_doc_add(struct tui_doc *d, const char *text, enum tui_elem style, int tag, int indent);
/* printf-style; the result is cleaned like tui_doc_add's text. */
int tui_doc_addf(struct tui_doc *d, enum tui_elem style, int tag, int indent, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Wrap every paragraph to width (keeps top near the same text). 0 ok. */
int tui_doc_layout(struct tui_doc *d, int width);
void tui_doc_free(struct tui_doc *d);
/* Scroll by a command for a body of rows lines: reaction. */
int tui_doc_scroll(struct tui_doc *d, enum tui_cmd cmd, int rows);
/* Draw lines [top, top + rows) at screen row y0, left margin x0; a line
 * whose tag equals hl_tag is drawn in hl_style instead (hl_tag < 0: none). */
void tui_doc_draw(struct tui_app *a, const struct tui_doc *d, int y0, int x0, int rows,
		  int hl_tag, enum tui_elem hl_style);
/* "lines 1-22 of 80 (27%)" */
void tui_doc_position(const struct tui_doc *d, int rows, char *buf, size_t size);

/* ---- drawing (widgets.c) ------------------------------------------------ */
/* Set the style of element e for the next draws. */
void tui_attr(struct tui_app *a, enum tui_elem e);
/* In a locale that is not UTF-8, draw every non-ASCII character as '?'
 * (one per column) rather than as bytes curses would spell out. */
void tui_draw_set_ascii(int on);
/* Draw UTF-8 s at (y, x), at most cols columns, dropping anything not
 * drawable. Returns the columns drawn. */
int tui_draw_text(int y, int x, const char *s, int cols);
/* Same, n bytes. */
int tui_draw_textn(int y, int x, const char *s, size_t n, int cols);
/* Fill from column x to x+cols with spaces in the current style. */
void tui_draw_fill(int y, int x, int cols);
struct store_item;
/* Replace title, feed_title and url of n items by their cleaned forms
 * (tui_text_clean, one line). 0 ok, -1 ENOMEM. */
int tui_items_clean(struct store_item *v, size_t n);
/* One item as a list row at y: unread mark, date, feed, title. */
void tui_draw_item_row(struct tui_app *a, int y, const struct store_item *it, int selected);
/* Time as "2026-11-23 07:10" (local) into buf (>= 17 bytes); "never" for 0. */
void tui_fmt_time(int64_t t, char *buf, size_t size);

#endif
