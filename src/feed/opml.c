/* opml.c — read OPML 1.0/2.0 subscription lists (nested outlines flattened,
 * the enclosing outline naming the category) and write OPML 2.0. Read
 * through xml.c like feeds: no network, internal entities expanded within
 * the document's budget, and each copy of a folder's name into the feeds
 * below it paid for from that budget, so a list of N bytes costs O(N) time
 * and memory and yields at most FEED_PARSE_OUT_MAX(N) bytes of strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "feed/feed.h"
#include "feed/feed_int.h"
#include "util/util.h"

struct list {
	struct feed_opml_entry *e;
	size_t n, cap;
	int nomem;
	struct feed_xml *x;
};

/* An attribute in no namespace, tidied to one line; NULL when absent,
 * empty or over budget. */
static char *attr(struct list *l, xmlNodePtr n, const char *name)
{
	char *v = feed_xml_attr(l->x, n, name, NULL, 0);
	if (!v)
		return NULL;
	char *t = feed_text_tidy(v, strlen(v), 1);
	free(v);
	return t;
}

/* A copy of a folder's name for a feed inside it, paid for. */
static char *copy_paid(struct list *l, const char *s, xmlNodePtr at)
{
	if (!s || feed_xml_charge(l->x, strlen(s), (int)xmlGetLineNo(at)) < 0)
		return NULL;
	char *t = util_strdup(s);
	if (!t)
		l->nomem = 1;
	return t;
}

static int is_named(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name && !strcasecmp((const char *)n->name, name);
}

/* Every outline at any depth: the recursion is as deep as the document,
 * which libxml2 caps (256 levels without XML_PARSE_HUGE; past that the
 * parse stops with an error, which the caller reports). */
static void walk(struct list *l, xmlNodePtr parent, const char *category)
{
	for (xmlNodePtr k = parent->children; k && !l->nomem; k = k->next) {
		if (!is_named(k, "outline"))
			continue;
		char *url = attr(l, k, "xmlUrl");
		if (!url)
			url = attr(l, k, "xmlurl");
		if (url) {
			if (l->n == l->cap) {
				size_t nc = l->cap ? l->cap * 2 : 16;
				struct feed_opml_entry *ne = realloc(l->e, nc * sizeof(*ne));
				if (!ne) {
					free(url);
					l->nomem = 1;
					return;
				}
				l->e = ne;
				l->cap = nc;
			}
			struct feed_opml_entry *e = &l->e[l->n++];
			memset(e, 0, sizeof(*e));
			e->url = url;
			e->title = attr(l, k, "title");
			if (!e->title)
				e->title = attr(l, k, "text");
			e->site = attr(l, k, "htmlUrl");
			if (category) {
				e->category = copy_paid(l, category, k);
			} else {
				/* OPML 2.0 category attribute: "a,b" or "/a/b" */
				char *cat = attr(l, k, "category");
				if (cat) {
					char *comma = strchr(cat, ',');
					if (comma)
						*comma = 0;
					char *p = cat;
					while (*p == '/')
						p++;
					e->category = *p ? copy_paid(l, p, k) : NULL;
					free(cat);
				}
			}
			/* a feed outline may still hold outlines (rare): they
			 * belong to the same category */
			walk(l, k, category);
			continue;
		}
		/* a folder: newsboat and most readers name it by text first */
		char *name = attr(l, k, "text");
		if (!name)
			name = attr(l, k, "title");
		walk(l, k, name ? name : category);
		free(name);
	}
}

int feed_opml_parse(const char *buf, size_t len, struct feed_opml_entry **out, size_t *n)
{
	return feed_opml_parse_ex(buf, len, out, n, NULL);
}

int feed_opml_parse_ex(const char *buf, size_t len, struct feed_opml_entry **out, size_t *n,
		       char **errmsg)
{
	if (out)
		*out = NULL;
	if (n)
		*n = 0;
	if (errmsg)
		*errmsg = NULL;
	if (!out || !n || (!buf && len) || len > (size_t)INT32_MAX)
		return FEED_ERR_ARG;
	char *text = util_utf8_repair(buf ? buf : "", len);
	if (!text)
		return FEED_ERR_NOMEM;
	/* blank lines or a BOM before the declaration */
	const char *start = text;
	for (;;) {
		if (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n')
			start++;
		else if (!strncmp(start, "\xEF\xBB\xBF", 3))
			start += 3;
		else
			break;
	}
	struct feed_note note = { 0 };
	struct feed_xml x;
	feed_xml_begin(&x, len, &note);
	xmlDocPtr doc = feed_xml_read(&x, start, strlen(start), 0);
	free(text);
	if (x.nomem) {
		if (doc)
			xmlFreeDoc(doc);
		free(note.msg);
		return FEED_ERR_NOMEM;
	}

	int rc = FEED_OK;
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	xmlNodePtr body = NULL;
	if (root && is_named(root, "opml"))
		for (xmlNodePtr k = root->children; k; k = k->next)
			if (is_named(k, "body")) {
				body = k;
				break;
			}
	struct list l = { .x = &x };
	if (!body) {
		rc = FEED_ERR_PARSE;
		if (errmsg) {
			if (!root)
				*errmsg = util_strdup(note.msg ? note.msg : "empty document");
			else if (!is_named(root, "opml"))
				*errmsg = util_strfmt("root element <%.60s> is not opml", (const char *)root->name);
			else
				*errmsg = util_strdup("no <body> in <opml>");
		}
	} else {
		walk(&l, body, NULL);
		/* read, but not all of it: say so (the caller warns) */
		if (errmsg && note.msg)
			*errmsg = util_strdup(note.msg);
		if (l.nomem || x.nomem) {
			feed_opml_free(l.e, l.n);
			rc = FEED_ERR_NOMEM;
		} else {
			*out = l.e;
			*n = l.n;
		}
	}
	if (doc)
		xmlFreeDoc(doc);
	free(note.msg);
	return rc;
}

void feed_opml_free(struct feed_opml_entry *e, size_t n)
{
	if (!e)
		return;
	for (size_t i = 0; i < n; i++) {
		free(e[i].url);
		free(e[i].title);
		free(e[i].site);
		free(e[i].category);
	}
	free(e);
}

/* An XML attribute value: markup characters escaped, characters XML 1.0
 * cannot hold dropped, invalid UTF-8 repaired first. */
static void put_attr(struct util_buf *b, const char *s, int *bad)
{
	char *t = util_utf8_repair(s ? s : "", s ? strlen(s) : 0);
	if (!t) {
		*bad = 1;
		return;
	}
	for (const char *p = t; *p; p++) {
		unsigned char c = (unsigned char)*p;
		int r;
		switch (c) {
		case '&': r = util_buf_puts(b, "&amp;"); break;
		case '<': r = util_buf_puts(b, "&lt;"); break;
		case '>': r = util_buf_puts(b, "&gt;"); break;
		case '"': r = util_buf_puts(b, "&quot;"); break;
		case '\n': r = util_buf_puts(b, "&#10;"); break;
		case '\t': r = util_buf_puts(b, "&#9;"); break;
		case '\r': r = util_buf_puts(b, "&#13;"); break;
		default:
			r = c < 0x20 ? 0 : util_buf_putc(b, (char)c);
			break;
		}
		if (r < 0)
			*bad = 1;
	}
	free(t);
}

static void put_entry(struct util_buf *b, const struct feed_opml_entry *e, const char *indent, int *bad)
{
	const char *title = e->title && *e->title ? e->title : e->url;
	*bad |= util_buf_printf(b, "%s<outline type=\"rss\" text=\"", indent) < 0;
	put_attr(b, title, bad);
	*bad |= util_buf_puts(b, "\" title=\"") < 0;
	put_attr(b, title, bad);
	*bad |= util_buf_puts(b, "\" xmlUrl=\"") < 0;
	put_attr(b, e->url, bad);
	*bad |= util_buf_puts(b, "\"") < 0;
	if (e->site && *e->site) {
		*bad |= util_buf_puts(b, " htmlUrl=\"") < 0;
		put_attr(b, e->site, bad);
		*bad |= util_buf_puts(b, "\"") < 0;
	}
	*bad |= util_buf_puts(b, "/>\n") < 0;
}

static int same_cat(const char *a, const char *b)
{
	if (!a || !*a)
		return !b || !*b;
	return b && !strcmp(a, b);
}

char *feed_opml_write(const struct feed_opml_entry *e, size_t n, const char *title)
{
	struct util_buf b;
	util_buf_init(&b);
	int bad = 0;
	bad |= util_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			     "<opml version=\"2.0\">\n  <head>\n    <title>") < 0;
	/* element content: the same escaping serves */
	put_attr(&b, title ? title : "briefing feeds", &bad);
	bad |= util_buf_puts(&b, "</title>\n  </head>\n  <body>\n") < 0;
	/* uncategorised first, then each category in order of first use */
	for (size_t i = 0; i < n; i++)
		if (e[i].url && (!e[i].category || !*e[i].category))
			put_entry(&b, &e[i], "    ", &bad);
	for (size_t i = 0; i < n; i++) {
		if (!e[i].url || !e[i].category || !*e[i].category)
			continue;
		size_t j;
		for (j = 0; j < i; j++)
			if (e[j].url && same_cat(e[j].category, e[i].category))
				break;
		if (j < i)
			continue; /* category already written */
		bad |= util_buf_puts(&b, "    <outline text=\"") < 0;
		put_attr(&b, e[i].category, &bad);
		bad |= util_buf_puts(&b, "\" title=\"") < 0;
		put_attr(&b, e[i].category, &bad);
		bad |= util_buf_puts(&b, "\">\n") < 0;
		for (size_t k = i; k < n; k++)
			if (e[k].url && same_cat(e[k].category, e[i].category))
				put_entry(&b, &e[k], "      ", &bad);
		bad |= util_buf_puts(&b, "    </outline>\n") < 0;
	}
	bad |= util_buf_puts(&b, "  </body>\n</opml>\n") < 0;
	if (bad) {
		util_buf_free(&b);
		return NULL;
	}
	return util_buf_steal(&b);
}
