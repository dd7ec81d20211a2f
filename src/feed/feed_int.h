/* feed internals shared by parse.c, html.c and opml.c. */
#ifndef BRIEFING_FEED_INT_H
#define BRIEFING_FEED_INT_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Look up an HTML5 named character reference by name (no '&', no ';').
 * Returns 1 and the code point(s) (*cp2 = 0 if just one), 0 if unknown. */
int feed_html_entity(const char *name, size_t len, uint32_t *cp1, uint32_t *cp2);

/* Append the code point of a numeric reference as HTML5 maps it: 0,
 * surrogates and values past U+10FFFF become U+FFFD, 0x80-0x9F are read as
 * windows-1252. Returns 0, -1 on allocation failure. */
int feed_html_put_numeric(struct util_buf *b, uint32_t cp);

/* Plain text (already entity-decoded) made safe and tidy: sanitised, and
 * when single_line, newlines turned into spaces and whitespace squeezed;
 * otherwise runs of spaces collapsed and ends trimmed. Returns a new
 * string (caller frees) or NULL; "" becomes NULL. */
char *feed_text_tidy(const char *s, size_t len, int single_line);

/* The first problem found while reading a document, and whether memory
 * ran out. */
struct feed_note {
	int line;             /* of msg; 0 = none */
	char *msg;            /* "line N: message", owned; NULL = none */
	int nomem;
};
/* Record msg at line unless an earlier one is already recorded. */
void feed_note(struct feed_note *n, int line, const char *msg);

/* decode.c: buf in whatever encoding (http_charset wins, then a BOM, then
 * the XML declaration; undeclared non-UTF-8 is read as windows-1252) to
 * valid UTF-8 without NULs, blank lines before the declaration dropped.
 * *encoding names what was used (caller frees). Returns a new string
 * (caller frees), NULL on allocation failure. */
char *feed_decode_input(const char *buf, size_t len, const char *http_charset,
			size_t *out_len, char **encoding, struct feed_note *note);
/* decode.c: rewrite what libxml2 would lose (HTML named references, &#X..;,
 * &#128;-&#159;, bare '&'), noting the first problem. Returns a new buffer,
 * or NULL when nothing needed changing or memory ran out (note->nomem). */
char *feed_fix_entities(const char *s, size_t n, size_t *out_len, struct feed_note *note);

/* Initialise libxml2 once per process (thread-safe). */
void feed_xml_init(void);

#endif
