/* test_tui — the reader's pure parts: wrapping and truncating by display
 * width (ASCII, CJK, emoji, combining marks), sanitising hostile text,
 * key names and the key table with [keys] overrides, theme styles, the
 * list and the line editor. No terminal needed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui_int.h"
#include "util/util.h"

/* ---- helpers ------------------------------------------------------------- */

static char *span_str(const char *s, const struct tui_span *sp)
{
	return util_strndup(s + sp->off, sp->len);
}

/* Wrap and compare with the expected lines (NULL-terminated). */
static void expect_wrap(const char *s, int width, const char *const *want)
{
	struct tui_span *v = NULL;
	size_t n = 0, k = 0;

	assert_int_equal(tui_text_wrap(s, width, &v, &n), 0);
	for (; want[k]; k++) {
		if (k >= n)
			fail_msg("wrap(%d) of '%s': %zu lines, wanted more ('%s')", width, s, n, want[k]);
		char *line = span_str(s, &v[k]);
		if (strcmp(line, want[k]))
			fail_msg("wrap(%d) of '%s': line %zu is '%s', wanted '%s'", width, s, k, line,
				 want[k]);
		assert_int_equal(v[k].width, (int)util_text_width(line));
		free(line);
	}
	if (k != n)
		fail_msg("wrap(%d) of '%s': %zu lines, wanted %zu", width, s, n, k);
	free(v);
}

/* Every line fits, widths are right, and no non-space byte is lost. */
static void check_wrap_invariants(const char *s, int width)
{
	struct tui_span *v = NULL;
	size_t n = 0;
	struct util_buf a, b;

	assert_int_equal(tui_text_wrap(s, width, &v, &n), 0);
	assert_true(n >= 1);
	util_buf_init(&a);
	util_buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		char *line = span_str(s, &v[i]);
		int w = (int)util_text_width(line);
		assert_int_equal(w, v[i].width);
		/* a single wide character may stand alone on a 1-column line */
		if (w > width)
			assert_true(width == 1 && w == 2);
		if (util_utf8_valid(s, strlen(s))) /* never splits a code point */
			assert_true(util_utf8_valid(line, strlen(line)));
		if (i > 0)
			assert_true(v[i].off >= v[i - 1].off + v[i - 1].len);
		for (char *p = line; *p; p++)
			if (*p != ' ' && *p != '\n')
				util_buf_putc(&a, *p);
		free(line);
	}
	for (const char *p = s; *p; p++)
		if (*p != ' ' && *p != '\n')
			util_buf_putc(&b, *p);
	assert_string_equal(util_buf_cstr(&a), util_buf_cstr(&b));
	util_buf_free(&a);
	util_buf_free(&b);
	free(v);
}

/* ---- wrapping ------------------------------------------------------------ */

static void test_wrap_ascii(void **state)
{
	(void)state;
	expect_wrap("the quick brown fox jumps", 10,
		    (const char *const[]){ "the quick", "brown fox", "jumps", NULL });
	expect_wrap("exactly10c", 10, (const char *const[]){ "exactly10c", NULL });
	expect_wrap("exactly10c more", 10, (const char *const[]){ "exactly10c", "more", NULL });
	/* a word longer than the line is cut */
	expect_wrap("abcdefghijklmnop xy", 5,
		    (const char *const[]){ "abcde", "fghij", "klmno", "p xy", NULL });
	/* runs of spaces inside a line stay; at a break they go */
	expect_wrap("a  b      c", 4, (const char *const[]){ "a  b", "c", NULL });
	expect_wrap("   lead", 10, (const char *const[]){ "lead", NULL });
	expect_wrap("trail   ", 10, (const char *const[]){ "trail", NULL });
	/* paragraphs and empty lines */
	expect_wrap("one\n\ntwo three", 5, (const char *const[]){ "one", "", "two", "three", NULL });
	expect_wrap("", 10, (const char *const[]){ "", NULL });
	expect_wrap("\n", 10, (const char *const[]){ "", "", NULL });
	/* width below 1 is treated as 1 */
	expect_wrap("ab", 0, (const char *const[]){ "a", "b", NULL });
}

static void test_wrap_wide_and_combining(void **state)
{
	(void)state;
	/* CJK: two columns each, never across the edge */
	expect_wrap("漢字漢字", 5, (const char *const[]){ "漢字", "漢字", NULL });
	expect_wrap("漢字漢字", 4, (const char *const[]){ "漢字", "漢字", NULL });
	expect_wrap("中文 字", 4, (const char *const[]){ "中文", "字", NULL });
	/* a wide character alone on a one-column line */
	expect_wrap("漢字", 1, (const char *const[]){ "漢", "字", NULL });
	/* emoji headers are two columns */
	expect_wrap("🤖 Foundation Models", 12,
		    (const char *const[]){ "🤖", "Foundation", "Models", NULL });
	expect_wrap("🤖 Foundation", 13, (const char *const[]){ "🤖 Foundation", NULL });
	/* combining marks ride with their base: "é" as e + U+0301 */
	expect_wrap("cafe\xcc\x81 cafe\xcc\x81", 5,
		    (const char *const[]){ "cafe\xcc\x81", "cafe\xcc\x81", NULL });
	expect_wrap("e\xcc\x81" "e\xcc\x81" "e\xcc\x81", 2,
		    (const char *const[]){ "e\xcc\x81" "e\xcc\x81", "e\xcc\x81", NULL });
	/* invalid UTF-8 is one column per byte and never split further */
	check_wrap_invariants("ab\xff\xfe cd", 2);
}

static void test_wrap_invariants(void **state)
{
	static const char *const pieces[] = {
		"a", "bc", "def ", " ", "  ", "漢", "字 ", "🤖", "e\xcc\x81", "\n", "longwordlongword",
		"Ж", "ü", "🇺🇸", "x\xe2\x80\x8by",
	};
	const size_t np = sizeof pieces / sizeof pieces[0];
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	(void)state;

	for (int round = 0; round < 400; round++) {
		struct util_buf b;
		util_buf_init(&b);
		int len = 1 + (int)(seed % 30);
		for (int i = 0; i < len; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			util_buf_puts(&b, pieces[(seed >> 33) % np]);
		}
		for (int w = 1; w <= 12; w++)
			check_wrap_invariants(util_buf_cstr(&b), w);
		util_buf_free(&b);
	}
}

/* ---- fitting and truncating ------------------------------------------------ */

static void test_fit_and_trunc(void **state)
{
	int used = -1;
	(void)state;

	assert_int_equal(tui_text_fit("hello", 5, 3, &used), 3);
	assert_int_equal(used, 3);
	assert_int_equal(tui_text_fit("漢字", 6, 3, &used), 3);
	assert_int_equal(used, 2);
	assert_int_equal(tui_text_fit("漢字", 6, 1, &used), 0);
	assert_int_equal(used, 0);
	/* the combining mark after the last base is kept */
	assert_int_equal(tui_text_fit("e\xcc\x81x", 4, 1, &used), 3);
	assert_int_equal(used, 1);

	struct {
		const char *in;
		int cols;
		const char *want;
	} cases[] = {
		{ "short", 10, "short" },
		{ "exact", 5, "exact" },
		{ "héllo wörld", 5, "héll…" },
		{ "漢字漢字", 5, "漢字…" },
		{ "漢字漢字", 4, "漢…" },
		{ "🤖🤖🤖", 4, "🤖…" },
		{ "abc", 1, "…" },
		{ "abc", 0, "" },
		{ "", 3, "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *t = tui_text_trunc(cases[i].in, cases[i].cols);
		assert_non_null(t);
		if (strcmp(t, cases[i].want))
			fail_msg("trunc('%s', %d) = '%s', wanted '%s'", cases[i].in, cases[i].cols, t,
				 cases[i].want);
		assert_true(util_text_width(t) <= (size_t)cases[i].cols);
		free(t);
	}
	char *t = tui_text_trunc(NULL, 4);
	assert_string_equal(t, "");
	free(t);
}

static void test_cp_width(void **state)
{
	(void)state;
	assert_int_equal(tui_cp_width('a'), 1);
	assert_int_equal(tui_cp_width(0x6f22), 2);  /* 漢 */
	assert_int_equal(tui_cp_width(0x1f916), 2); /* 🤖 */
	assert_int_equal(tui_cp_width(0x0301), 0);  /* combining acute */
	assert_int_equal(tui_cp_width(0x1b), 0);
	assert_int_equal(tui_cp_width(0x9b), 0);
	assert_int_equal(tui_cp_width(0x202e), 0);
	assert_false(tui_cp_drawable(0x1b));
	assert_false(tui_cp_drawable(0x7f));
	assert_false(tui_cp_drawable(0x85));
	assert_false(tui_cp_drawable(0x202e));
	assert_false(tui_cp_drawable(0x2066));
	assert_false(tui_cp_drawable(0xfeff));
	assert_true(tui_cp_drawable(0xe9));
}

/* ---- sanitising ---------------------------------------------------------- */

static void assert_terminal_safe(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = util_utf8_decode(s + i, n - i, &cp);
		if (cp != '\n' && !tui_cp_drawable(cp))
			fail_msg("U+%04X left in '%s'", (unsigned)cp, s);
		i += k;
	}
	assert_null(strchr(s, '\x1b'));
	assert_null(strchr(s, '\t'));
}

static void test_clean_hostile(void **state)
{
	static const struct {
		const char *in;
		const char *one_line;
	} cases[] = {
		{ "Evil\x1b]0;PWNED\x07 title", "Evil title" },
		{ "clear\x1b[2J\x1b[H screen", "clear screen" },
		{ "red \x1b[31mtext\x1b[0m", "red text" },
		{ "dcs\x1bP+q544e\x1b\\ end", "dcs end" },
		{ "c1 \xc2\x9b" "31m csi", "c1 csi" },
		{ "bidi \xe2\x80\xae" "exe.txt\xe2\x81\xa6", "bidi exe.txt" },
		{ "bell\x07 back\x08 del\x7f", "bell back del" },
		{ "tab\there", "tab here" },
		{ "multi\nline\r\ntext", "multi line text" },
		{ "bad \xff utf8", "bad \xef\xbf\xbd utf8" },
		{ "alt screen\x1b[?1049l!", "alt screen!" },
		{ "osc8 \x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\", "osc8 link" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *a = tui_text_clean(cases[i].in, 1);
		char *b = tui_text_clean(cases[i].in, 0);
		assert_non_null(a);
		assert_non_null(b);
		if (strcmp(a, cases[i].one_line))
			fail_msg("clean('%s') = '%s', wanted '%s'", cases[i].in, a, cases[i].one_line);
		assert_null(strchr(a, '\n'));
		assert_terminal_safe(a);
		assert_terminal_safe(b);
		free(a);
		free(b);
	}
	char *p = tui_text_clean("para one\n\npara two", 0);
	assert_string_equal(p, "para one\n\npara two");
	free(p);
	p = tui_text_clean(NULL, 1);
	assert_string_equal(p, "");
	free(p);
}

/* ---- keys ---------------------------------------------------------------- */

static void test_key_names(void **state)
{
	int k;
	char buf[32];
	(void)state;

	static const char *const round[] = {
		"j", "G", "?", "/", "Space", "Enter", "Tab", "Esc", "Up", "Down", "Left", "Right",
		"PgUp", "PgDn", "Home", "End", "Backspace", "Delete", "C-a", "C-r", "F1", "F12", "é", "漢",
	};
	for (size_t i = 0; i < sizeof round / sizeof round[0]; i++) {
		if (tui_key_parse(round[i], &k) != 0)
			fail_msg("'%s' not parsed", round[i]);
		tui_key_name(k, buf, sizeof buf);
		assert_string_equal(buf, round[i]);
	}
	assert_int_equal(tui_key_parse("C-r", &k), 0);
	assert_int_equal(k, 18);
	assert_int_equal(tui_key_parse("C-R", &k), 0);
	assert_int_equal(k, 18);
	assert_int_equal(tui_key_parse("Down", &k), 0);
	assert_int_equal(k, TUI_KEY_FN | KEY_DOWN);
	assert_int_equal(tui_key_parse("F3", &k), 0);
	assert_int_equal(k, TUI_KEY_FN | KEY_F(3));
	static const char *const bad[] = { "", "Bogus", "C-1", "F13", "F0", "ab", "\x1b", "\xe2\x80\xae",
					   "\xff" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (tui_key_parse(bad[i], &k) == 0)
			fail_msg("'%s' parsed as %d", bad[i], k);
	assert_int_equal(tui_key_parse(NULL, &k), -1);
}

static void test_keymap_defaults(void **state)
{
	struct tui_keymap km;
	char *err = (char *)1;
	(void)state;

	assert_int_equal(tui_keymap_load(&km, NULL, &err), 0);
	assert_null(err);
	/* every default binding leads back to its command in each of its
	 * views, but for one shared on purpose: g is generate in Briefings
	 * and Items (the narrower command), top elsewhere */
	int shadowed = 0;
	for (int c = 1; c < TUI_CMD_COUNT; c++) {
		assert_non_null(tui_cmds[c].name);
		assert_int_equal(tui_cmds[c].cmd, c);
		assert_non_null(km.keys[c][0] ? "bound" : NULL);
		for (int j = 0; km.keys[c][j]; j++)
			for (unsigned v = 1; v <= TUI_VM_STORY; v <<= 1) {
				if (!(tui_cmds[c].views & v))
					continue;
				enum tui_cmd got = tui_keymap_lookup(&km, km.keys[c][j], v);
				if (c == TUI_CMD_TOP && km.keys[c][j] == 'g' &&
				    (v == TUI_VM_BRIEFINGS || v == TUI_VM_ITEMS)) {
					assert_int_equal(got, TUI_CMD_GENERATE);
					shadowed++;
				} else {
					assert_int_equal(got, c);
				}
			}
	}
	assert_int_equal(shadowed, 2);
	assert_int_equal(tui_keymap_lookup(&km, 'g', TUI_VM_FEEDS), TUI_CMD_TOP);
	assert_int_equal(tui_keymap_lookup(&km, 'g', TUI_VM_READER), TUI_CMD_TOP);
	assert_int_equal(tui_keymap_lookup(&km, 'g', TUI_VM_BRIEFINGS), TUI_CMD_GENERATE);
	{
		char d[64];
		tui_keymap_describe_in(&km, TUI_CMD_TOP, TUI_VM_BRIEFINGS, d, sizeof d);
		assert_string_equal(d, "Home");
		tui_keymap_describe_in(&km, TUI_CMD_TOP, TUI_VM_READER, d, sizeof d);
		assert_string_equal(d, "g Home");
		tui_keymap_describe(&km, TUI_CMD_TOP, d, sizeof d);
		assert_string_equal(d, "g Home");
	}
	assert_int_equal(tui_keymap_lookup(&km, 'j', TUI_VM_ITEMS), TUI_CMD_DOWN);
	assert_int_equal(tui_keymap_lookup(&km, '\n', TUI_VM_ITEMS), TUI_CMD_OPEN);
	assert_int_equal(tui_keymap_lookup(&km, '\r', TUI_VM_ITEMS), TUI_CMD_OPEN);
	assert_int_equal(tui_keymap_lookup(&km, 'a', TUI_VM_FEEDS), TUI_CMD_FEED_ADD);
	assert_int_equal(tui_keymap_lookup(&km, 'a', TUI_VM_ITEMS), TUI_CMD_NONE);
	assert_int_equal(tui_keymap_lookup(&km, 'n', TUI_VM_PAGER), TUI_CMD_NEXT);
	assert_int_equal(tui_keymap_lookup(&km, 'n', TUI_VM_READER), TUI_CMD_NEXT);
	assert_int_equal(tui_keymap_lookup(&km, 'e', TUI_VM_READER), TUI_CMD_EXPORT);
	assert_int_equal(tui_keymap_lookup(&km, 'e', TUI_VM_ITEMS), TUI_CMD_NONE);
	assert_int_equal(tui_keymap_lookup(&km, '1', TUI_VM_ITEMS), TUI_CMD_BRIEFINGS);
	char buf[64];
	tui_keymap_describe(&km, TUI_CMD_PAGE_DOWN, buf, sizeof buf);
	assert_string_equal(buf, "Space PgDn C-f");
	/* names are unique (they are config keys) */
	for (int a = 1; a < TUI_CMD_COUNT; a++)
		for (int b = a + 1; b < TUI_CMD_COUNT; b++)
			assert_string_not_equal(tui_cmds[a].name, tui_cmds[b].name);
}

static void test_keymap_config(void **state)
{
	struct tui_keymap km;
	struct util_config *cfg = util_config_new();
	char *err = NULL;
	char buf[64];
	(void)state;

	assert_non_null(cfg);
	util_config_set(cfg, "keys.down", "J Down");
	util_config_set(cfg, "keys.quit", "x");
	util_config_set(cfg, "keys.help", "h, F1");
	util_config_set(cfg, "keys.top", "k");      /* taken from up */
	util_config_set(cfg, "keys.open", "Nope Enter");
	util_config_set(cfg, "keys.generate", "C-w"); /* and top has only k: g is free */
	assert_int_equal(tui_keymap_load(&km, cfg, &err), 0);
	assert_non_null(err);
	assert_string_equal(err, "keys.open: unknown key 'Nope'");
	free(err);
	assert_int_equal(tui_keymap_lookup(&km, 23, TUI_VM_ITEMS), TUI_CMD_GENERATE);
	assert_int_equal(tui_keymap_lookup(&km, 'g', TUI_VM_ITEMS), TUI_CMD_NONE);
	assert_int_equal(tui_keymap_lookup(&km, 'J', TUI_VM_ITEMS), TUI_CMD_DOWN);
	assert_int_equal(tui_keymap_lookup(&km, 'j', TUI_VM_ITEMS), TUI_CMD_NONE);
	assert_int_equal(tui_keymap_lookup(&km, 'x', TUI_VM_PAGER), TUI_CMD_QUIT);
	assert_int_equal(tui_keymap_lookup(&km, 'q', TUI_VM_PAGER), TUI_CMD_NONE);
	assert_int_equal(tui_keymap_lookup(&km, 'h', TUI_VM_FEEDS), TUI_CMD_HELP);
	assert_int_equal(tui_keymap_lookup(&km, 'k', TUI_VM_ITEMS), TUI_CMD_TOP);
	assert_int_equal(tui_keymap_lookup(&km, TUI_KEY_FN | KEY_UP, TUI_VM_ITEMS), TUI_CMD_UP);
	assert_int_equal(tui_keymap_lookup(&km, '\n', TUI_VM_ITEMS), TUI_CMD_OPEN);
	tui_keymap_describe(&km, TUI_CMD_UP, buf, sizeof buf);
	assert_string_equal(buf, "Up");
	tui_keymap_describe(&km, TUI_CMD_HELP, buf, sizeof buf);
	assert_string_equal(buf, "h F1");
	util_config_free(cfg);

	/* unknown command names under [keys] are not looked up: no effect */
	cfg = util_config_new();
	util_config_set(cfg, "keys.nonsense", "z");
	assert_int_equal(tui_keymap_load(&km, cfg, &err), 0);
	assert_null(err);
	assert_int_equal(tui_keymap_lookup(&km, 'z', TUI_VM_ALL), TUI_CMD_NONE);
	util_config_free(cfg);
}

/* ---- theme --------------------------------------------------------------- */

static void test_theme(void **state)
{
	struct tui_style s, th[TUI_E_COUNT];
	char *err = NULL;
	(void)state;

	assert_int_equal(tui_style_parse("yellow/blue bold", &s), 0);
	assert_int_equal(s.fg, 3);
	assert_int_equal(s.bg, 4);
	assert_int_equal(s.attrs, TUI_A_BOLD);
	assert_int_equal(tui_style_parse("reverse underline", &s), 0);
	assert_int_equal(s.fg, -2);
	assert_int_equal(s.attrs, TUI_A_REVERSE | TUI_A_UNDERLINE);
	assert_int_equal(tui_style_parse("200/default dim", &s), 0);
	assert_int_equal(s.fg, 200);
	assert_int_equal(s.bg, -1);
	assert_int_equal(tui_style_parse("green", &s), 0);
	assert_int_equal(s.fg, 2);
	assert_int_equal(s.bg, -1);
	assert_int_equal(tui_style_parse("purple", &s), -1);
	assert_int_equal(tui_style_parse("red/256", &s), -1);

	struct util_config *cfg = util_config_new();
	util_config_set(cfg, "theme.unread", "magenta bold");
	util_config_set(cfg, "theme.header", "bogus");
	assert_int_equal(tui_theme_load(th, cfg, &err), 0);
	assert_non_null(err);
	assert_non_null(strstr(err, "theme.header"));
	free(err);
	assert_int_equal(th[TUI_E_UNREAD].fg, 5);
	assert_int_equal(th[TUI_E_HEADER].fg, 7); /* the default kept */
	assert_int_equal(th[TUI_E_HEADER].bg, 4);
	util_config_free(cfg);
}

/* ---- list and line editor ---------------------------------------------------- */

static void test_list(void **state)
{
	struct tui_list l = { .n = 100 };
	(void)state;

	assert_int_equal(tui_list_cmd(&l, TUI_CMD_UP, 10), TUI_R_NONE);
	assert_int_equal(tui_list_cmd(&l, TUI_CMD_DOWN, 10), TUI_R_REDRAW);
	assert_int_equal(l.sel, 1);
	tui_list_cmd(&l, TUI_CMD_PAGE_DOWN, 10);
	assert_int_equal(l.sel, 11);
	assert_true(l.sel >= l.top && l.sel < l.top + 10);
	tui_list_cmd(&l, TUI_CMD_BOTTOM, 10);
	assert_int_equal(l.sel, 99);
	assert_int_equal(l.top, 90);
	tui_list_cmd(&l, TUI_CMD_PAGE_DOWN, 10);
	assert_int_equal(l.sel, 99);
	tui_list_cmd(&l, TUI_CMD_HALF_UP, 10);
	assert_int_equal(l.sel, 94);
	tui_list_cmd(&l, TUI_CMD_TOP, 10);
	assert_int_equal(l.sel, 0);
	assert_int_equal(l.top, 0);
	assert_int_equal(tui_list_cmd(&l, TUI_CMD_OPEN, 10), TUI_R_UNHANDLED);
	/* shrinking keeps the selection visible */
	l.sel = 50;
	l.top = 45;
	tui_list_clamp(&l, 3);
	assert_true(l.sel >= l.top && l.sel < l.top + 3);
	l.n = 10;
	tui_list_clamp(&l, 20);
	assert_int_equal(l.sel, 9);
	assert_int_equal(l.top, 0);
	struct tui_list e = { 0 };
	assert_int_equal(tui_list_cmd(&e, TUI_CMD_DOWN, 10), TUI_R_NONE);
}

static void test_input(void **state)
{
	struct tui_input in;
	(void)state;

	tui_input_set(&in, "");
	assert_int_equal(tui_input_key(&in, 'a'), 0);
	assert_int_equal(tui_input_key(&in, 0x6f22), 0); /* 漢 */
	assert_int_equal(tui_input_key(&in, 0xe9), 0);
	assert_string_equal(in.buf, "a漢é");
	tui_input_key(&in, 127);
	assert_string_equal(in.buf, "a漢");
	tui_input_key(&in, TUI_KEY_FN | KEY_BACKSPACE);
	assert_string_equal(in.buf, "a");
	tui_input_key(&in, 0x1b5b); /* not a control, but check controls next */
	tui_input_key(&in, 0x9b);
	tui_input_key(&in, 0x202e);
	tui_input_key(&in, TUI_KEY_FN | KEY_UP);
	assert_int_equal(strchr(in.buf, '\x1b') == NULL, 1);
	assert_null(strstr(in.buf, "\xe2\x80\xae"));
	tui_input_set(&in, "one two  ");
	tui_input_key(&in, 23); /* C-w */
	assert_string_equal(in.buf, "one ");
	tui_input_key(&in, 21); /* C-u */
	assert_string_equal(in.buf, "");
	assert_int_equal(tui_input_key(&in, '\r'), 1);
	assert_int_equal(tui_input_key(&in, 27), -1);
	/* full: further keys are refused, never overflow */
	for (int i = 0; i < 2000; i++)
		tui_input_key(&in, 0x6f22);
	assert_true(in.len < sizeof in.buf);
	assert_true(util_utf8_valid(in.buf, in.len));
}

/* ---- documents ------------------------------------------------------------ */

static void test_doc(void **state)
{
	struct tui_doc d = { 0 };
	(void)state;

	assert_int_equal(tui_doc_add(&d, "Title\x1b[31m here", TUI_E_HEADING, -1, 0), 0);
	assert_int_equal(tui_doc_add(&d, "", TUI_E_NORMAL, -1, 0), 0);
	assert_int_equal(tui_doc_addf(&d, TUI_E_NORMAL, 7, 4, "%s %d", "one two three four", 5), 0);
	assert_int_equal(tui_doc_add(&d, "para\n\nafter \xe2\x80\xae", TUI_E_DIM, 8, 0), 0);
	assert_int_equal(tui_doc_layout(&d, 14), 0);
	/* "Title here" | "" | 4 + "one two" / "three four" / "5" | "para" "" "after" */
	const char *want[] = { "Title here", "", "one two", "three four", "5", "para", "", "after" };
	const int tags[] = { -1, -1, 7, 7, 7, 8, 8, 8 };
	assert_int_equal(d.n, 8);
	for (size_t i = 0; i < d.n; i++) {
		char *l = util_strndup(d.lines[i].s, d.lines[i].len);
		assert_string_equal(l, want[i]);
		assert_int_equal(d.lines[i].tag, tags[i]);
		assert_true((int)util_text_width(l) + d.lines[i].indent <= 14);
		free(l);
	}
	assert_int_equal(d.lines[2].indent, 4);
	assert_int_equal(d.lines[0].style, TUI_E_HEADING);
	/* scrolling stops at the last page */
	assert_int_equal(tui_doc_scroll(&d, TUI_CMD_BOTTOM, 3), TUI_R_REDRAW);
	assert_int_equal(d.top, 5);
	assert_int_equal(tui_doc_scroll(&d, TUI_CMD_DOWN, 3), TUI_R_NONE);
	assert_int_equal(tui_doc_scroll(&d, TUI_CMD_PAGE_UP, 3), TUI_R_REDRAW);
	assert_int_equal(d.top, 3);
	assert_int_equal(tui_doc_scroll(&d, TUI_CMD_OPEN, 3), TUI_R_UNHANDLED);
	char pos[64];
	tui_doc_position(&d, 3, pos, sizeof pos);
	assert_string_equal(pos, "lines 4-6 of 8 (75%)");
	/* a new width keeps the top paragraph on top */
	assert_int_equal(tui_doc_layout(&d, 80), 0);
	assert_int_equal(d.lines[d.top].para, 2);
	assert_int_equal(d.n, 6);
	tui_doc_free(&d);
	assert_null(d.paras);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap_ascii),
		cmocka_unit_test(test_wrap_wide_and_combining),
		cmocka_unit_test(test_wrap_invariants),
		cmocka_unit_test(test_fit_and_trunc),
		cmocka_unit_test(test_cp_width),
		cmocka_unit_test(test_clean_hostile),
		cmocka_unit_test(test_key_names),
		cmocka_unit_test(test_keymap_defaults),
		cmocka_unit_test(test_keymap_config),
		cmocka_unit_test(test_theme),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_input),
		cmocka_unit_test(test_doc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
