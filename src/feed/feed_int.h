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

/* ---- xml.c: libxml2 under guard ------------------------------------------
 * The one place documents go to libxml2 and values come back from its
 * tree. Reading a document of N bytes through these costs O(N) time and
 * memory whatever its DTD, and yields at most FEED_PARSE_OUT_MAX(N) bytes
 * of strings: see the comment at the top of xml.c for how. */

/* Initialise libxml2 once per process (thread-safe). */
void feed_xml_init(void);

struct _xmlDoc;
struct _xmlNode;

/* One document's read: its budgets and what happened to them. */
struct feed_xml {
	struct feed_note *note;   /* problems go here (not owned) */
	volatile int *cancel;     /* stop when either is set; may be NULL */
	volatile int *stop;
	struct _xmlDoc *doc;      /* the tree (owned by the caller, xmlFreeDoc) */
	size_t read_left;         /* bytes the readers may still produce */
	size_t copy_left;         /* bytes the callers may still derive from them */
	size_t ent_left;          /* entity text (and nodes) the readers may still expand */
	int read_hit, copy_hit, ent_hit, attr_hit; /* a budget ran out (a value was dropped) */
	int hit_line;             /* where one first did */
	int cancelled;
	int nomem;
	/* while parsing: the DTD's internal entities */
	void *ent_cost;           /* xmlHashTable: name -> price << 2 | 2 | markup */
	void *ent_early;          /* names used in an entity before being declared */
	size_t dtd_cost;          /* the prices so far */
};

/* Budgets for an input of input_len bytes; note receives the problems. */
void feed_xml_begin(struct feed_xml *x, size_t input_len, struct feed_note *note);
/* Parse text[0..len) (UTF-8) with libxml2 under the guards (options are
 * added to NONET | RECOVER | IGNORE_ENC | NOWARNING | NOERROR). Errors go
 * to x->note; returns the tree (caller frees with xmlFreeDoc; also in
 * x->doc) or NULL. */
struct _xmlDoc *feed_xml_read(struct feed_xml *x, const char *text, size_t len, int options);
/* Note the budgets that ran out (and x->nomem) in x->note. */
void feed_xml_end(struct feed_xml *x);
/* Has a cancel flag been set? (Remembered once seen.) */
int feed_xml_cancelled(struct feed_xml *x);
/* Pay n bytes from copy_left for something derived from what was read (a
 * resolved URL, a value copied to many entries). 0, or -1 (copy_hit set;
 * the caller drops it). */
int feed_xml_charge(struct feed_xml *x, size_t n, int line);
/* Append the character data of node (and, with siblings, of the nodes
 * after it): text, CDATA, the text of elements below, internal entities
 * expanded within the budgets. 0 ok; 1 a budget ran out (drop the value);
 * -1 out of memory (x->nomem). */
int feed_xml_text(struct feed_xml *x, struct util_buf *b, const struct _xmlNode *node, int siblings);
/* The value of n's attribute name, entities expanded within the budgets:
 * the one in namespace ns_href (NULL: in no namespace); failing that, with
 * any_ns, the first whose local name is name, or "prefix:name" with an
 * undeclared prefix. NULL when absent, longer than 64 KiB, over budget or
 * out of memory (x->nomem); "" when empty. Caller frees. DTD defaults are
 * never applied. */
char *feed_xml_attr(struct feed_xml *x, const struct _xmlNode *n, const char *name,
		    const char *ns_href, int any_ns);

#endif
