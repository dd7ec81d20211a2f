/* util — strings and buffers, time parsing, text sanitising, hashing, XDG
 * paths, INI config. Everything but the engine may use it. Nothing here
 * prints or exits. */
#ifndef BRIEFING_UTIL_H
#define BRIEFING_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* ---- growable byte buffer (buf.c) ---------------------------------------
 * data is always NUL-terminated once anything was appended (or after
 * util_buf_cstr). The buffer owns data; util_buf_steal hands it over. */
struct util_buf {
	char *data;
	size_t len;
	size_t cap;
};

void util_buf_init(struct util_buf *b);
void util_buf_free(struct util_buf *b);
void util_buf_reset(struct util_buf *b);             /* len = 0, keeps memory */
int util_buf_reserve(struct util_buf *b, size_t extra); /* 0 ok, -1 ENOMEM */
int util_buf_append(struct util_buf *b, const void *p, size_t n);
int util_buf_puts(struct util_buf *b, const char *s);
int util_buf_putc(struct util_buf *b, int c);
int util_buf_printf(struct util_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int util_buf_put_utf8(struct util_buf *b, uint32_t cp); /* encode one code point */
/* Append s as a JSON string literal ("null" for NULL): quotes, backslashes,
 * \n \r \t escaped, other C0 controls and DEL as \u00XX; other bytes as
 * they are (s should be valid UTF-8). 0 ok, -1 ENOMEM. */
int util_buf_put_json(struct util_buf *b, const char *s);
const char *util_buf_cstr(struct util_buf *b);       /* never NULL ("" when empty) */
char *util_buf_steal(struct util_buf *b);            /* caller frees; b is reset */

/* ---- strings (str.c) ---------------------------------------------------- */
char *util_strdup(const char *s);                    /* NULL-safe: NULL -> NULL */
char *util_strndup(const char *s, size_t n);
char *util_strfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int util_str_empty(const char *s);                   /* NULL or only whitespace */
char *util_str_trim(char *s);                        /* in place; returns s */
int util_str_casecmp_prefix(const char *s, const char *prefix); /* 1 if s starts with prefix, ASCII case-insensitive */
/* Collapse runs of ASCII whitespace to one space, trim ends. In place. */
char *util_str_squeeze(char *s);
/* Parse a non-negative integer with bounds; 0 ok, -1 bad. */
int util_parse_long(const char *s, long min, long max, long *out);

/* ---- UTF-8 and sanitising (text.c) -------------------------------------- */
/* Decode one code point at s (n bytes available). Returns bytes consumed
 * (>=1 when n > 0, 0 when n == 0); on an invalid sequence (overlong,
 * surrogate, > U+10FFFF, truncated) sets *cp = 0xFFFD and consumes 1 byte. */
size_t util_utf8_decode(const char *s, size_t n, uint32_t *cp);
int util_utf8_valid(const char *s, size_t n);
/* Copy with every invalid UTF-8 sequence replaced by U+FFFD. Caller frees. */
char *util_utf8_repair(const char *s, size_t n);
/* Text safe for a terminal: valid UTF-8 (invalid bytes -> U+FFFD); no C0/C1
 * controls or DEL (tab and newline kept when keep_newlines, else turned into
 * spaces; \r\n and lone \r become \n, as do U+2028/2029); no escape
 * sequences (CSI, OSC, DCS/SOS/PM/APC, nF and two-byte ESC x, and their
 * 8-bit C1 forms, all dropped whole); no bidi controls (U+202A-202E,
 * U+2066-2069, U+200E/200F, U+061C) and no U+FEFF. s may be NULL when n is 0.
 * Returns a NUL-terminated string the caller frees; NULL only on ENOMEM. */
char *util_text_sanitize(const char *s, size_t n, int keep_newlines);
/* Display width of a UTF-8 string in terminal columns, locale-independent
 * (wcwidth rules from a built-in Unicode 14 table): combining marks and
 * format characters 0, East Asian Wide/Fullwidth and emoji-presentation
 * characters 2, controls 0, everything else 1. NULL -> 0. */
size_t util_text_width(const char *s);

/* ---- time (time.c) ------------------------------------------------------ */
/* Parse the dates feeds carry: RFC 822/1123/2822 (named, numeric and
 * military zones, 2-digit years, missing seconds/weekday), RFC 3339/ISO 8601
 * /W3C-DTF (date only, reduced precision, basic format, fractions), asctime,
 * and the common broken forms. Out: seconds since the epoch, UTC.
 * Returns 0 on success, -1 if s is not a date. */
int util_time_parse(const char *s, int64_t *out);
/* "2026-02-21T19:00:00Z" into buf (at least 21 bytes). Returns buf. */
char *util_time_iso(int64_t t, char *buf, size_t size);
/* Parse a user's --since: relative "<n><unit>" (s, m, h, d, w, also spelt
 * out: "12 hours"), "now", "today"/"yesterday" (local midnight), or any
 * date util_time_parse accepts. now is the reference time. 0 ok, -1 bad. */
int util_time_parse_since(const char *s, int64_t now, int64_t *out);
int64_t util_time_now(void);                         /* time(NULL), or BRIEFING_NOW env for tests */
/* days from civil date (proleptic Gregorian) — shared by parsers */
int64_t util_time_from_civil(int y, int mon, int d, int h, int mi, int s);

/* ---- hashing (hash.c) --------------------------------------------------- */
uint64_t util_hash64(const void *p, size_t n);       /* FNV-1a 64 */
uint64_t util_hash64_more(uint64_t h, const void *p, size_t n);
void util_hash_hex(uint64_t h, char out[17]);

/* ---- paths (path.c) ----------------------------------------------------- */
/* $XDG_DATA_HOME/briefing/<name> (default ~/.local/share). Caller frees. */
char *util_path_data(const char *name);
/* $XDG_CONFIG_HOME/briefing/<name> (default ~/.config). Caller frees. */
char *util_path_config(const char *name);
int util_mkdir_p(const char *dir);                   /* 0 ok, -1 errno set */
int util_mkdir_parent(const char *file);             /* mkdir -p dirname(file) */
/* Read a whole file; caller frees *out (NUL-terminated; len excludes the
 * NUL; len may be NULL). 0 ok, -1 errno set (EFBIG when larger than max).
 * max = 0: no cap. */
int util_file_read(const char *path, size_t max, char **out, size_t *len);
/* The same for files the user names as configuration (config, prompts,
 * styles, sections.conf): anything but a regular file is refused without
 * blocking (a FIFO or a device would hang or never end): errno EISDIR for a
 * directory, UTIL_ENOTREG for the rest. */
int util_file_read_regular(const char *path, size_t max, char **out, size_t *len);
/* errno value util_file_read_regular sets for a FIFO, device or socket. */
#define UTIL_ENOTREG ENODEV
/* What util_file_read* failing with errno e means, in words (UTIL_ENOTREG
 * and EFBIG read as such, the rest as strerror). Static string. */
const char *util_file_strerror(int e);
/* Write atomically (temp file in the same directory, fsync, rename). Keeps
 * an existing file's permissions, else 0644. 0 ok, -1 errno set. */
int util_file_write(const char *path, const void *data, size_t len);

/* ---- config (config.c) -------------------------------------------------- *
 * INI: [section], key = value, # and ; comments (whole-line, or inline after
 * whitespace), values optionally in "..." (\" \\ \n \t escapes) or '...'.
 * Keys and section names: [A-Za-z0-9_.-]. A repeated key: the last wins.
 * Keys are looked up as "section.key" (top-level keys have no section).
 * Strings returned by util_config_get belong to the config. */
struct util_config;
/* Missing file -> empty config (returns 0). Syntax error -> -1 with *err
 * ("path:line: message", caller frees). */
int util_config_load(const char *path, struct util_config **out, char **err);
struct util_config *util_config_new(void);
void util_config_free(struct util_config *c);
const char *util_config_get(const struct util_config *c, const char *key);
long util_config_get_long(const struct util_config *c, const char *key, long def);
int util_config_set(struct util_config *c, const char *key, const char *value);

/* ---- logging (log.c) ---------------------------------------------------- *
 * For the CLI and UI only: libraries return errors instead. Writes
 * "briefing: error: ...", "briefing: warning: ...", "briefing: ..." (info),
 * "briefing: debug: ..." to stderr for levels up to the one set (default
 * UTIL_LOG_WARN). A trailing newline in fmt is not doubled. */
enum util_log_level { UTIL_LOG_ERROR, UTIL_LOG_WARN, UTIL_LOG_INFO, UTIL_LOG_DEBUG };
void util_log_set_level(enum util_log_level lvl);
void util_log(enum util_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
