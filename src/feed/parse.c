/* parse.c — RSS 0.90/0.91/0.92/0.94/1.0/2.0 and Atom 0.3/1.0 into the
 * format-neutral struct feed_doc.
 *
 * decode.c first turns the bytes into valid UTF-8 with the entities libxml2
 * would lose rewritten; then xml.c has libxml2 build a tree (no network, no
 * entity substitution or DTD loading, errors collected, never printed) and
 * reads values back from it within the document's budgets. The tree walk
 * maps elements by namespace and local name onto our fields; whatever it
 * derives beyond what xml.c reads (resolved URLs, copies of the feed's
 * author) it pays for from the same budget, so a document of N bytes costs
 * O(N) time and memory and yields at most FEED_PARSE_OUT_MAX(N) bytes. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "feed/feed.h"
#include "feed/feed_int.h"
#include "util/util.h"

const char *feed_strerror(int err)
{
	switch (err) {
	case FEED_OK: return "success";
	case FEED_ERR_NOMEM: return "out of memory";
	case FEED_ERR_NOT_FEED: return "not a feed (no rss, rdf:RDF, feed or Atom entry element)";
	case FEED_ERR_PARSE: return "cannot parse (not XML, or required elements missing)";
	case FEED_ERR_IO: return "input/output error";
	case FEED_ERR_HTTP: return "HTTP error";
	case FEED_ERR_TOO_BIG: return "response too big";
	case FEED_ERR_ARG: return "bad argument";
	case FEED_ERR_STORE: return "store error";
	case FEED_ERR_CANCELLED: return "cancelled";
	}
	return "unknown error";
}

const char *feed_format_name(enum feed_format f)
{
	switch (f) {
	case FEED_FMT_RSS090: return "rss090";
	case FEED_FMT_RSS091: return "rss091";
	case FEED_FMT_RSS092: return "rss092";
	case FEED_FMT_RSS094: return "rss094";
	case FEED_FMT_RSS20: return "rss20";
	case FEED_FMT_RSS10: return "rss10";
	case FEED_FMT_ATOM03: return "atom03";
	case FEED_FMT_ATOM10: return "atom10";
	case FEED_FMT_UNKNOWN: break;
	}
	return "unknown";
}

/* ---- parse state --------------------------------------------------------- */

/* The xml:base in scope at the elements most recently asked about, so that
 * a base is resolved once per element, not once per link below it. */
#define BASE_CACHE 8

struct base_slot {
	const xmlNode *node;
	char *base;           /* resolved, absolute; NULL = none */
	int inherit;          /* its own xml:base could not be paid for: look above it */
	unsigned long used;
};

struct ctx {
	struct feed_doc *doc;
	const char *base_url;
	xmlDocPtr xdoc;
	int atom;             /* the feed is Atom (core elements in the Atom namespaces) */
	int entry_doc;        /* an Atom Entry Document: the root is one <entry> */
	const char *root_ns;  /* the root element's namespace: its children are core too */
	struct feed_note note; /* the first error, and whether memory ran out */
	struct feed_xml x;    /* budgets and the libxml2 guards */
	struct base_slot bases[BASE_CACHE];
	unsigned long tick;
};

/* Stop reading: memory ran out, or a cancel flag is set. */
static int stopped(struct ctx *c)
{
	return c->note.nomem || c->x.nomem || feed_xml_cancelled(&c->x);
}

/* ---- namespaces and nodes ------------------------------------------------ */

enum ns {
	NS_NONE, NS_RSS, NS_RSS090, NS_ATOM10, NS_ATOM03, NS_DC, NS_DCTERMS,
	NS_CONTENT, NS_XHTML, NS_RDF, NS_ITUNES, NS_MEDIA, NS_OTHER,
};

static const struct {
	const char *uri;
	enum ns ns;
} known_ns[] = {
	{ "http://purl.org/rss/1.0/", NS_RSS },
	{ "http://my.netscape.com/rdf/simple/0.9/", NS_RSS090 },
	{ "http://backend.userland.com/rss2", NS_RSS },
	{ "http://backend.userland.com/rss", NS_RSS },
	{ "http://blogs.law.harvard.edu/tech/rss", NS_RSS },
	{ "http://purl.org/net/rss1.1#", NS_RSS },
	{ "http://www.w3.org/2005/Atom", NS_ATOM10 },
	{ "http://purl.org/atom/ns#", NS_ATOM03 },
	{ "http://purl.org/dc/elements/1.1/", NS_DC },
	{ "http://purl.org/dc/elements/1.0/", NS_DC },
	{ "http://purl.org/dc/terms/", NS_DCTERMS },
	{ "http://purl.org/rss/1.0/modules/content/", NS_CONTENT },
	{ "http://www.w3.org/1999/xhtml", NS_XHTML },
	{ "http://www.w3.org/1999/02/22-rdf-syntax-ns#", NS_RDF },
	{ "http://www.itunes.com/dtds/podcast-1.0.dtd", NS_ITUNES },
	{ "http://search.yahoo.com/mrss/", NS_MEDIA },
};

/* Undeclared prefixes (recovered documents) keep "prefix:local" as the
 * name; the usual prefixes are taken at their word. */
static const struct {
	const char *prefix;
	enum ns ns;
} known_prefix[] = {
	{ "atom", NS_ATOM10 }, { "dc", NS_DC }, { "dcterms", NS_DCTERMS },
	{ "content", NS_CONTENT }, { "xhtml", NS_XHTML }, { "rdf", NS_RDF },
	{ "itunes", NS_ITUNES },
};

static enum ns node_ns(xmlNodePtr n, const char **local)
{
	const char *name = (const char *)n->name;
	*local = name ? name : "";
	if (n->ns && n->ns->href) {
		const char *h = (const char *)n->ns->href;
		for (size_t i = 0; i < sizeof(known_ns) / sizeof(known_ns[0]); i++)
			if (!strcasecmp(h, known_ns[i].uri))
				return known_ns[i].ns;
		return NS_OTHER;
	}
	const char *colon = name ? strchr(name, ':') : NULL;
	if (colon) {
		*local = colon + 1;
		size_t pl = (size_t)(colon - name);
		for (size_t i = 0; i < sizeof(known_prefix) / sizeof(known_prefix[0]); i++)
			if (strlen(known_prefix[i].prefix) == pl && !strncmp(name, known_prefix[i].prefix, pl))
				return known_prefix[i].ns;
		return NS_OTHER;
	}
	return NS_NONE;
}

/* Is n a "core" element of the feed's own vocabulary named name? */
static int is_core(const struct ctx *c, xmlNodePtr n, const char *name)
{
	if (n->type != XML_ELEMENT_NODE)
		return 0;
	const char *local;
	enum ns ns = node_ns(n, &local);
	/* RSS readers (and feedparser) take element names case-insensitively */
	if (c->atom ? strcmp(local, name) != 0 : strcasecmp(local, name) != 0)
		return 0;
	if (c->atom ? (ns == NS_NONE || ns == NS_ATOM10 || ns == NS_ATOM03)
		    : (ns == NS_NONE || ns == NS_RSS || ns == NS_RSS090))
		return 1;
	/* an unknown namespace on the root (an Atom draft, a private RSS
	 * namespace) is the feed's own vocabulary */
	return ns == NS_OTHER && c->root_ns && n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, c->root_ns);
}

static int is_el(xmlNodePtr n, enum ns want, const char *name)
{
	if (n->type != XML_ELEMENT_NODE)
		return 0;
	const char *local;
	enum ns ns = node_ns(n, &local);
	if (want == NS_ATOM10 && ns == NS_ATOM03)
		ns = NS_ATOM10;
	return ns == want && !strcmp(local, name);
}

/* An attribute's value (in no namespace, else the first in any namespace
 * with that local name), entities expanded within the budgets; caller
 * frees. DTD defaults never apply. */
static char *get_attr(struct ctx *c, xmlNodePtr n, const char *name)
{
	return feed_xml_attr(&c->x, n, name, NULL, 1);
}

/* ---- text collection ------------------------------------------------------ */

/* All character data below n (internal entities expanded within the
 * budgets). 0, or -1 when it cannot be paid for (the value is dropped). */
static int collect_text(struct ctx *c, xmlNodePtr n, struct util_buf *b)
{
	return feed_xml_text(&c->x, b, n->children, 1) == 0 ? 0 : -1;
}

static void put_escaped(struct ctx *c, struct util_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': c->note.nomem |= util_buf_puts(b, "&lt;") < 0; break;
		case '>': c->note.nomem |= util_buf_puts(b, "&gt;") < 0; break;
		case '&': c->note.nomem |= util_buf_puts(b, "&amp;") < 0; break;
		default: c->note.nomem |= util_buf_putc(b, *s) < 0; break;
		}
	}
}

/* Serialise the children of n as HTML: element names only (attributes
 * would be dropped by the text conversion anyway), text escaped. */
static void serialize_children(struct ctx *c, xmlNodePtr n, struct util_buf *b, int depth)
{
	for (xmlNodePtr k = n->children; k; k = k->next) {
		switch (k->type) {
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
		case XML_ENTITY_REF_NODE: {
			/* the text, paid for, then escaped (markup inside an
			 * entity is read as its text) */
			struct util_buf t;
			util_buf_init(&t);
			if (feed_xml_text(&c->x, &t, k, 0) == 0 && t.len)
				put_escaped(c, b, util_buf_cstr(&t));
			util_buf_free(&t);
			break;
		}
		case XML_ELEMENT_NODE: {
			static const char *const voids[] = {
				"area", "base", "br", "col", "embed", "hr", "img", "input",
				"link", "meta", "param", "source", "track", "wbr",
			};
			const char *local;
			(void)node_ns(k, &local);
			c->note.nomem |= util_buf_printf(b, "<%s>", local) < 0;
			int is_void = 0;
			for (size_t i = 0; i < sizeof(voids) / sizeof(voids[0]); i++)
				if (!strcasecmp(local, voids[i]))
					is_void = 1;
			if (is_void)
				break; /* no end tag: HTML reads </br> as another <br> */
			if (depth < 200)
				serialize_children(c, k, b, depth + 1);
			c->note.nomem |= util_buf_printf(b, "</%s>", local) < 0;
			break;
		}
		default:
			break;
		}
	}
}

static int has_element_child(xmlNodePtr n)
{
	for (xmlNodePtr k = n->children; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE)
			return 1;
	return 0;
}

/* The raw text of n, trimmed; NULL when empty or over budget. */
static char *node_text(struct ctx *c, xmlNodePtr n)
{
	struct util_buf b;
	util_buf_init(&b);
	if (collect_text(c, n, &b) < 0) {
		util_buf_free(&b);
		return NULL;
	}
	char *s = util_buf_steal(&b);
	if (!s)
		return NULL;
	util_str_trim(s);
	if (!*s) {
		free(s);
		return NULL;
	}
	return s;
}

/* The text of n as one tidy line (ids, guids); NULL when empty. */
static char *text_line(struct ctx *c, xmlNodePtr n)
{
	char *t = node_text(c, n);
	if (!t)
		return NULL;
	char *r = feed_text_tidy(t, strlen(t), 1);
	free(t);
	return r;
}

static char *finish_text(char *t, int single_line)
{
	if (t && single_line) {
		char *one = feed_text_tidy(t, strlen(t), 1);
		free(t);
		return one;
	}
	if (t && !*t) {
		free(t);
		return NULL;
	}
	return t;
}

static char *html_text(const char *html, int single_line)
{
	return finish_text(feed_html_to_text(html, strlen(html)), single_line);
}

/* How to read an element's content. */
enum ctype { CT_TEXT, CT_HTML, CT_XHTML, CT_GUESS };

static char *base64_decode(const char *s, size_t *out_len)
{
	size_t n = strlen(s);
	char *out = malloc(n / 4 * 3 + 4);
	if (!out)
		return NULL;
	uint32_t acc = 0;
	int bits = 0;
	size_t k = 0;
	for (; *s; s++) {
		int v;
		char ch = *s;
		if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
		else if (ch == '+' || ch == '-') v = 62;
		else if (ch == '/' || ch == '_') v = 63;
		else continue;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (char)((acc >> bits) & 0xFF);
		}
	}
	out[k] = 0;
	*out_len = k;
	return out;
}

/* Text of an element read as ct; plain text, sanitised; NULL if empty. */
static char *content_of(struct ctx *c, xmlNodePtr n, enum ctype ct, int single_line, int b64)
{
	if (ct == CT_XHTML || ((ct == CT_GUESS || ct == CT_HTML) && has_element_child(n))) {
		struct util_buf b;
		util_buf_init(&b);
		serialize_children(c, n, &b, 0);
		char *html = util_buf_steal(&b);
		if (!html)
			return NULL;
		char *t = html_text(html, single_line);
		free(html);
		return t;
	}
	char *raw = node_text(c, n);
	if (!raw)
		return NULL;
	if (b64) {
		size_t dl;
		char *d = base64_decode(raw, &dl);
		free(raw);
		if (!d)
			return NULL;
		/* binary (an image) is not text; only keep what is UTF-8 */
		if (memchr(d, 0, dl) || !util_utf8_valid(d, dl)) {
			free(d);
			return NULL;
		}
		raw = d;
	}
	char *t;
	if (ct == CT_HTML || (ct == CT_GUESS && feed_html_looks_like(raw))) {
		t = html_text(raw, single_line);
		/* "&lt;/example&gt;": when stripping tags leaves nothing,
		 * the decoded text was the content, not markup (titles only,
		 * and never with attributes: no event handler may survive) */
		if (!t && single_line && !strchr(raw, '='))
			t = feed_text_tidy(raw, strlen(raw), single_line);
	} else
		t = feed_text_tidy(raw, strlen(raw), single_line);
	free(raw);
	return t;
}

/* Atom's type (and Atom 0.3's mode) attributes. */
static enum ctype atom_ctype(struct ctx *c, xmlNodePtr n, int *b64)
{
	char *type = get_attr(c, n, "type");
	char *mode = get_attr(c, n, "mode");
	enum ctype ct = CT_TEXT;
	*b64 = 0;
	if (type) {
		util_str_trim(type);
		char *semi = strchr(type, ';');
		if (semi)
			*semi = 0;
		if (!strcasecmp(type, "html") || !strcasecmp(type, "text/html"))
			ct = CT_HTML;
		else if (!strcasecmp(type, "xhtml") || !strcasecmp(type, "application/xhtml+xml"))
			ct = CT_XHTML;
		else if (!strcasecmp(type, "text") || !strncasecmp(type, "text/", 5) || !*type)
			ct = CT_TEXT;
		else if (strstr(type, "xml"))
			ct = CT_XHTML;
		else
			*b64 = 2; /* any other type is base64 (RFC 4287 4.1.3.3) */
	}
	if (mode && *b64 != 2) {
		if (!strcasecmp(mode, "escaped"))
			ct = ct == CT_TEXT && !type ? CT_HTML : ct == CT_XHTML ? CT_HTML : ct;
		else if (!strcasecmp(mode, "base64"))
			*b64 = 1;
		else if (!strcasecmp(mode, "xml") && ct == CT_TEXT && type && strcasecmp(type, "text/plain"))
			ct = CT_XHTML;
	}
	if (ct == CT_TEXT && has_element_child(n))
		ct = CT_XHTML; /* markup where text was promised: read it anyway */
	free(type);
	free(mode);
	return ct;
}

/* ---- links and dates --------------------------------------------------- */

/* Resolve ref against base, paying for the result (at most the two
 * lengths and a few separators). NULL when over budget; caller frees. */
static char *resolve_paid(struct ctx *c, const char *base, const char *ref, xmlNodePtr at)
{
	size_t n = (base ? strlen(base) : 0) + strlen(ref) + 8;
	if (feed_xml_charge(&c->x, n, (int)xmlGetLineNo(at)) < 0)
		return NULL;
	return feed_url_resolve(base, ref);
}

static struct base_slot *base_cached(struct ctx *c, const xmlNode *n)
{
	for (int i = 0; i < BASE_CACHE; i++)
		if (c->bases[i].node == n) {
			c->bases[i].used = ++c->tick;
			return &c->bases[i];
		}
	return NULL;
}

/* Remember base (owned) as the base in scope at n, in the least recently
 * used slot other than the one holding in_use (a base still being used). */
static void base_remember(struct ctx *c, const xmlNode *n, char *base, int inherit,
			  const char *in_use)
{
	struct base_slot *s = NULL;
	for (int i = 0; i < BASE_CACHE; i++)
		if ((!in_use || c->bases[i].base != in_use) && (!s || c->bases[i].used < s->used))
			s = &c->bases[i];
	free(s->base);
	s->node = n;
	s->base = base;
	s->inherit = inherit;
	s->used = ++c->tick;
}

/* The xml:base in scope at n: every xml:base from the root down, resolved
 * against the feed URL; NULL if none. Borrowed (the feed URL or a cache
 * slot, valid until the next call) unless *own is set, which the caller
 * frees. Only elements with an xml:base of their own are cached, so a
 * channel's base is resolved once for all its items, and an item without
 * one costs nothing to look through. */
static const char *node_base(struct ctx *c, xmlNodePtr n, char **own)
{
	const xmlNode *chain[64];
	int k = 0;
	const char *cur = c->base_url;
	*own = NULL;
	for (const xmlNode *p = n; p && p->type == XML_ELEMENT_NODE && k < 64; p = p->parent) {
		struct base_slot *s = base_cached(c, p);
		if (s && s->inherit)
			continue;
		if (s) {
			cur = s->base;
			break;
		}
		chain[k++] = p;
	}
	/* top down; the slot cur is in is never the one evicted */
	for (int i = k - 1; i >= 0; i--) {
		char *b = feed_xml_attr(&c->x, chain[i], "base", (const char *)XML_XML_NAMESPACE, 0);
		if (!b)
			continue;
		char *next = resolve_paid(c, cur, b, (xmlNodePtr)chain[i]);
		free(b);
		if (!next) {
			/* over budget: the base around it stays, and it is not
			 * read again */
			if (chain[i] != n)
				base_remember(c, chain[i], NULL, 1, cur);
			continue;
		}
		if (chain[i] == n)
			*own = next;
		else
			base_remember(c, chain[i], next, 0, cur);
		cur = next;
	}
	return cur;
}

static char *resolve_at(struct ctx *c, xmlNodePtr n, const char *ref)
{
	if (!ref)
		return NULL;
	char *own;
	const char *base = node_base(c, n, &own);
	char *r = resolve_paid(c, base, ref, n);
	free(own);
	if (r) {
		char *t = feed_text_tidy(r, strlen(r), 1);
		free(r);
		r = t;
	}
	return r;
}

static char *link_text(struct ctx *c, xmlNodePtr n)
{
	char *t = node_text(c, n);
	if (!t)
		return NULL;
	char *r = resolve_at(c, n, t);
	free(t);
	return r;
}

static int64_t node_date(struct ctx *c, xmlNodePtr n)
{
	char *t = node_text(c, n);
	int64_t v = 0;
	if (t && util_time_parse(t, &v) != 0)
		v = 0;
	free(t);
	return v;
}

/* Score an Atom link as the "alternate" one: -1 not an alternate. */
static int link_score(struct ctx *c, xmlNodePtr n)
{
	char *rel = get_attr(c, n, "rel");
	char *type = get_attr(c, n, "type");
	int score = -1;
	if (!rel || !strcasecmp(rel, "alternate") ||
	    !strcasecmp(rel, "http://www.iana.org/assignments/relation/alternate")) {
		score = 1;
		if (!type || !strncasecmp(type, "text/html", 9) || !strncasecmp(type, "application/xhtml+xml", 21))
			score = 2;
	}
	free(rel);
	free(type);
	return score;
}

/* Best Atom alternate link among the children of parent. */
static char *atom_link(struct ctx *c, xmlNodePtr parent)
{
	xmlNodePtr best = NULL;
	int best_score = -1;
	for (xmlNodePtr k = parent->children; k; k = k->next) {
		if (!is_el(k, NS_ATOM10, "link") && !(c->atom && is_core(c, k, "link")))
			continue;
		int s = link_score(c, k);
		if (s > best_score) {
			char *href = get_attr(c, k, "href");
			if (href && !util_str_empty(href)) {
				best = k;
				best_score = s;
			}
			free(href);
		}
	}
	if (!best)
		return NULL;
	char *href = get_attr(c, best, "href");
	char *r = resolve_at(c, best, href);
	free(href);
	return r;
}

/* Repeated date elements: the last one that parses wins. */
static void set_date(int64_t *field, int64_t value)
{
	if (value)
		*field = value;
}

static void set_once(char **field, char *value)
{
	if (!*field)
		*field = value;
	else
		free(value);
}

/* Atom person: name, else email. */
static char *atom_person(struct ctx *c, xmlNodePtr n)
{
	char *name = NULL, *email = NULL;
	for (xmlNodePtr k = n->children; k; k = k->next) {
		if (is_el(k, NS_ATOM10, "name") || is_el(k, NS_NONE, "name"))
			set_once(&name, content_of(c, k, CT_TEXT, 1, 0));
		else if (is_el(k, NS_ATOM10, "email") || is_el(k, NS_NONE, "email"))
			set_once(&email, content_of(c, k, CT_TEXT, 1, 0));
	}
	if (!name && !email && !has_element_child(n))
		name = content_of(c, n, CT_TEXT, 1, 0); /* <author>Name</author> */
	if (name) {
		free(email);
		return name;
	}
	return email;
}

/* RSS authors are often "email (Name)" or "Name <email>": keep the name.
 * Anything else ("Author (name)", "Name)") is left as written. In place. */
static void author_name(char *a)
{
	size_t n = strlen(a);
	char *open = NULL;
	if (n > 2 && a[n - 1] == ')')
		open = strrchr(a, '(');
	else if (n > 2 && a[n - 1] == '>')
		open = strrchr(a, '<');
	if (!open || open == a)
		return;
	size_t in_len = (size_t)(a + n - 1 - (open + 1));
	int in_email = memchr(open + 1, '@', in_len) != NULL;
	int out_email = memchr(a, '@', (size_t)(open - a)) != NULL;
	if (in_email == out_email)
		return;
	if (in_email) { /* "Name <email>" or "Name (email)" */
		*open = 0;
	} else {        /* "email (Name)" */
		memmove(a, open + 1, in_len);
		a[in_len] = 0;
	}
	util_str_trim(a);
}

/* ---- entries ------------------------------------------------------------- */

static int grow_entries(struct ctx *c, size_t *cap)
{
	struct feed_doc *d = c->doc;
	if (d->n_entries < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 16;
	struct feed_entry *e = realloc(d->entries, nc * sizeof(*e));
	if (!e)
		return -1;
	d->entries = e;
	*cap = nc;
	return 0;
}

static void entry_atom(struct ctx *c, xmlNodePtr item, struct feed_entry *e, const char *feed_author)
{
	int64_t created = 0;
	for (xmlNodePtr k = item->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		int b64;
		if (is_core(c, k, "title")) {
			enum ctype ct = atom_ctype(c, k, &b64);
			set_once(&e->title, content_of(c, k, ct, 1, b64));
		} else if (is_core(c, k, "id")) {
			set_once(&e->guid, text_line(c, k));
		} else if (is_core(c, k, "author")) {
			set_once(&e->author, atom_person(c, k));
		} else if (is_core(c, k, "summary")) {
			enum ctype ct = atom_ctype(c, k, &b64);
			set_once(&e->summary, content_of(c, k, ct, 0, b64));
		} else if (is_core(c, k, "content")) {
			char *src = get_attr(c, k, "src");
			enum ctype ct = atom_ctype(c, k, &b64);
			if (!src)
				set_once(&e->content, content_of(c, k, ct, 0, b64));
			free(src);
		} else if (is_core(c, k, "published") || is_core(c, k, "issued") ||
			   is_el(k, NS_DCTERMS, "issued") || is_el(k, NS_DC, "date")) {
			set_date(&e->published, node_date(c, k));
		} else if (is_core(c, k, "created") || is_el(k, NS_DCTERMS, "created")) {
			set_date(&created, node_date(c, k));
		} else if (is_core(c, k, "updated") || is_core(c, k, "modified") ||
			   is_el(k, NS_DCTERMS, "modified")) {
			set_date(&e->updated, node_date(c, k));
		} else if (is_el(k, NS_DC, "creator")) {
			set_once(&e->author, content_of(c, k, CT_GUESS, 1, 0));
		}
	}
	if (!e->published)
		e->published = created;
	e->link = atom_link(c, item);
	/* the feed's author, copied to each entry without one, is paid for
	 * each time: a long one over many entries runs out */
	if (!e->author && feed_author &&
	    feed_xml_charge(&c->x, strlen(feed_author), (int)xmlGetLineNo(item)) == 0)
		e->author = util_strdup(feed_author);
}

static void entry_rss(struct ctx *c, xmlNodePtr item, struct feed_entry *e)
{
	int permalink = 1;
	char *creator = NULL, *alt_summary = NULL, *alt_title = NULL;
	int64_t dc_date = 0;
	for (xmlNodePtr k = item->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (is_core(c, k, "title")) {
			set_once(&e->title, content_of(c, k, CT_GUESS, 1, 0));
		} else if (is_core(c, k, "link")) {
			set_once(&e->link, link_text(c, k));
		} else if (is_core(c, k, "guid")) {
			char *pl = get_attr(c, k, "isPermaLink");
			if (pl && !strcasecmp(util_str_trim(pl), "false"))
				permalink = 0;
			free(pl);
			set_once(&e->guid, text_line(c, k));
		} else if (is_core(c, k, "description")) {
			set_once(&e->summary, content_of(c, k, CT_GUESS, 0, 0));
		} else if (is_el(k, NS_CONTENT, "encoded")) {
			set_once(&e->content, content_of(c, k, CT_HTML, 0, 0));
		} else if (is_core(c, k, "fullitem")) {
			set_once(&e->content, content_of(c, k, CT_GUESS, 0, 0));
		} else if (is_el(k, NS_DC, "description") || is_el(k, NS_ITUNES, "summary")) {
			set_once(&alt_summary, content_of(c, k, CT_GUESS, 0, 0));
		} else if (is_el(k, NS_XHTML, "body") || is_el(k, NS_XHTML, "div") || is_core(c, k, "body")) {
			struct util_buf b;
			util_buf_init(&b);
			serialize_children(c, k, &b, 0);
			char *html = util_buf_steal(&b);
			if (html)
				set_once(&e->content, html_text(html, 0));
			free(html);
		} else if (is_core(c, k, "author")) {
			set_once(&e->author, content_of(c, k, CT_GUESS, 1, 0));
		} else if (is_el(k, NS_DC, "creator") || is_el(k, NS_DC, "author") ||
			   is_el(k, NS_ITUNES, "author")) {
			set_once(&creator, content_of(c, k, CT_GUESS, 1, 0));
		} else if (is_el(k, NS_ATOM10, "author")) {
			set_once(&creator, atom_person(c, k));
		} else if (is_core(c, k, "pubDate")) {
			set_date(&e->published, node_date(c, k));
		} else if (is_el(k, NS_DC, "date") || is_el(k, NS_DCTERMS, "issued") ||
			   is_el(k, NS_DCTERMS, "created") || is_el(k, NS_ATOM10, "published")) {
			set_date(&dc_date, node_date(c, k));
		} else if (is_el(k, NS_DCTERMS, "modified") || is_el(k, NS_ATOM10, "updated")) {
			set_date(&e->updated, node_date(c, k));
		} else if (is_el(k, NS_ATOM10, "summary")) {
			int b64;
			enum ctype ct = atom_ctype(c, k, &b64);
			set_once(&e->summary, content_of(c, k, ct, 0, b64));
		} else if (is_el(k, NS_ATOM10, "content")) {
			int b64;
			enum ctype ct = atom_ctype(c, k, &b64);
			set_once(&e->content, content_of(c, k, ct, 0, b64));
		} else if (is_el(k, NS_DC, "title") || is_el(k, NS_MEDIA, "title")) {
			set_once(&alt_title, content_of(c, k, CT_GUESS, 1, 0));
		}
	}
	if (!e->published)
		e->published = dc_date;
	if (!e->summary)
		e->summary = alt_summary;
	else
		free(alt_summary);
	if (!e->title)
		e->title = alt_title;
	else
		free(alt_title);
	if (!e->author)
		e->author = creator;
	else
		free(creator);
	if (e->author)
		author_name(e->author);
	if (!e->link)
		e->link = atom_link(c, item);
	if (!e->guid) {
		/* RSS 1.0 / 0.90 items are named by rdf:about */
		char *about = get_attr(c, item, "about");
		if (about && !util_str_empty(about)) {
			e->guid = feed_text_tidy(about, strlen(about), 1);
			permalink = 0;
		}
		free(about);
	}
	if (!e->link && e->guid && permalink)
		e->link = resolve_at(c, item, e->guid);
}

/* ---- the feed ------------------------------------------------------------ */

/* An Atom Entry Document: one entry, no feed-level title or link. */
static void feed_atom_entry(struct ctx *c, xmlNodePtr entry)
{
	size_t cap = 0;
	if (grow_entries(c, &cap) < 0) {
		c->note.nomem = 1;
		return;
	}
	struct feed_entry *e = &c->doc->entries[c->doc->n_entries++];
	memset(e, 0, sizeof(*e));
	entry_atom(c, entry, e, NULL);
}

static void feed_atom(struct ctx *c, xmlNodePtr feed)
{
	struct feed_doc *d = c->doc;
	size_t cap = 0;
	char *author = NULL;
	for (xmlNodePtr k = feed->children; k; k = k->next)
		if (is_core(c, k, "author"))
			set_once(&author, atom_person(c, k));
	for (xmlNodePtr k = feed->children; k && !stopped(c); k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		int b64;
		if (is_core(c, k, "title")) {
			enum ctype ct = atom_ctype(c, k, &b64);
			set_once(&d->title, content_of(c, k, ct, 1, b64));
		} else if (is_core(c, k, "subtitle") || is_core(c, k, "tagline")) {
			enum ctype ct = atom_ctype(c, k, &b64);
			set_once(&d->description, content_of(c, k, ct, 0, b64));
		} else if (is_core(c, k, "entry")) {
			if (grow_entries(c, &cap) < 0) {
				c->note.nomem = 1;
				break;
			}
			struct feed_entry *e = &d->entries[d->n_entries++];
			memset(e, 0, sizeof(*e));
			entry_atom(c, k, e, author);
		}
	}
	d->link = atom_link(c, feed);
	free(author);
}

static void add_rss_items(struct ctx *c, xmlNodePtr parent, size_t *cap)
{
	struct feed_doc *d = c->doc;
	for (xmlNodePtr k = parent->children; k && !stopped(c); k = k->next) {
		if (!is_core(c, k, "item"))
			continue;
		if (grow_entries(c, cap) < 0) {
			c->note.nomem = 1;
			return;
		}
		struct feed_entry *e = &d->entries[d->n_entries++];
		memset(e, 0, sizeof(*e));
		entry_rss(c, k, e);
	}
}

static void feed_rss(struct ctx *c, xmlNodePtr root)
{
	struct feed_doc *d = c->doc;
	size_t cap = 0;
	xmlNodePtr channel = NULL;
	if (is_core(c, root, "channel"))
		channel = root;
	else
		for (xmlNodePtr k = root->children; k; k = k->next)
			if (is_core(c, k, "channel")) {
				channel = k;
				break;
			}
	if (channel) {
		for (xmlNodePtr k = channel->children; k; k = k->next) {
			if (k->type != XML_ELEMENT_NODE)
				continue;
			if (is_core(c, k, "title"))
				set_once(&d->title, content_of(c, k, CT_GUESS, 1, 0));
			else if (is_core(c, k, "link"))
				set_once(&d->link, link_text(c, k));
			else if (is_core(c, k, "description"))
				set_once(&d->description, content_of(c, k, CT_GUESS, 0, 0));
			else if (is_el(k, NS_DC, "title") && !d->title)
				d->title = content_of(c, k, CT_GUESS, 1, 0);
		}
		if (!d->link)
			d->link = atom_link(c, channel);
		add_rss_items(c, channel, &cap);
	}
	if (channel != root)
		add_rss_items(c, root, &cap); /* RDF: items are the channel's siblings */
}

/* ---- entry point ------------------------------------------------------------ */

static enum feed_format detect_format(struct ctx *c, xmlNodePtr root)
{
	const char *local;
	enum ns ns = node_ns(root, &local);
	if (!strcmp(local, "feed")) {
		c->atom = 1;
		return ns == NS_ATOM03 ? FEED_FMT_ATOM03 : FEED_FMT_ATOM10;
	}
	/* RFC 4287 4.1.2: an Atom Entry Document, a feed of one entry (only
	 * in an Atom namespace: <entry> alone is too common a word) */
	if (!strcmp(local, "entry") && (ns == NS_ATOM10 || ns == NS_ATOM03)) {
		c->atom = 1;
		c->entry_doc = 1;
		return ns == NS_ATOM03 ? FEED_FMT_ATOM03 : FEED_FMT_ATOM10;
	}
	if (!strcmp(local, "RDF") || !strcmp(local, "rdf")) {
		for (xmlNodePtr k = root->children; k; k = k->next) {
			const char *kl;
			if (k->type == XML_ELEMENT_NODE && node_ns(k, &kl) == NS_RSS090)
				return FEED_FMT_RSS090;
		}
		return FEED_FMT_RSS10;
	}
	if (!strcmp(local, "rss") || !strcmp(local, "channel")) {
		char *v = get_attr(c, root, "version");
		enum feed_format f = FEED_FMT_RSS20;
		if (v) {
			util_str_trim(v);
			if (!strcmp(v, "0.91"))
				f = FEED_FMT_RSS091;
			else if (!strcmp(v, "0.92") || !strcmp(v, "0.93"))
				f = FEED_FMT_RSS092;
			else if (!strcmp(v, "0.94"))
				f = FEED_FMT_RSS094;
			else if (!strcmp(v, "0.90"))
				f = FEED_FMT_RSS090;
		}
		free(v);
		return f;
	}
	return FEED_FMT_UNKNOWN;
}

void feed_doc_free(struct feed_doc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_entries; i++) {
		struct feed_entry *e = &d->entries[i];
		free(e->guid);
		free(e->link);
		free(e->title);
		free(e->author);
		free(e->summary);
		free(e->content);
	}
	free(d->entries);
	free(d->title);
	free(d->link);
	free(d->description);
	free(d->encoding);
	free(d->error);
	free(d);
}

int feed_parse_buffer_cancellable(const char *buf, size_t len, const char *base_url,
				  const char *http_charset, volatile int *cancel, volatile int *stop,
				  struct feed_doc **out, char **errmsg)
{
	if (out)
		*out = NULL;
	if (errmsg)
		*errmsg = NULL;
	if ((!buf && len) || !out || len > (size_t)INT32_MAX)
		return FEED_ERR_ARG;
	if (!buf)
		buf = "";
	struct ctx c;
	memset(&c, 0, sizeof(c));
	c.base_url = base_url && *base_url ? base_url : NULL;
	feed_xml_begin(&c.x, len, &c.note);
	c.x.cancel = cancel;
	c.x.stop = stop;
	if (feed_xml_cancelled(&c.x))
		return FEED_ERR_CANCELLED;
	c.doc = calloc(1, sizeof(*c.doc));
	if (!c.doc)
		return FEED_ERR_NOMEM;

	int rc = FEED_OK;
	size_t ulen = 0, flen = 0;
	char *utf8 = feed_decode_input(buf, len, http_charset, &ulen, &c.doc->encoding, &c.note);
	char *fixed = NULL;
	if (!utf8) {
		rc = FEED_ERR_NOMEM;
		goto out;
	}
	if (feed_xml_cancelled(&c.x)) {
		rc = FEED_ERR_CANCELLED;
		goto out;
	}
	fixed = feed_fix_entities(utf8, ulen, &flen, &c.note);
	if (c.note.nomem) {
		rc = FEED_ERR_NOMEM;
		goto out;
	}
	const char *text = fixed ? fixed : utf8;
	size_t tlen = fixed ? flen : ulen;

	c.xdoc = feed_xml_read(&c.x, text, tlen, XML_PARSE_NOCDATA);
	if (feed_xml_cancelled(&c.x)) {
		rc = FEED_ERR_CANCELLED;
		goto out;
	}
	if (c.x.nomem) {
		rc = FEED_ERR_NOMEM;
		goto out;
	}
	xmlNodePtr root = c.xdoc ? xmlDocGetRootElement(c.xdoc) : NULL;
	if (!root) {
		rc = FEED_ERR_PARSE;
		if (errmsg)
			*errmsg = util_strdup(c.note.msg ? c.note.msg : "empty document");
		goto out;
	}
	if (root->ns && root->ns->href)
		c.root_ns = (const char *)root->ns->href;
	c.doc->format = detect_format(&c, root);
	if (c.doc->format == FEED_FMT_UNKNOWN) {
		rc = FEED_ERR_NOT_FEED;
		if (errmsg)
			*errmsg = util_strfmt("root element <%.60s> is not rss, rdf:RDF, feed or an Atom entry",
					      (const char *)root->name);
		goto out;
	}
	if (c.entry_doc)
		feed_atom_entry(&c, root);
	else if (c.atom)
		feed_atom(&c, root);
	else
		feed_rss(&c, root);
	feed_xml_end(&c.x);
	if (feed_xml_cancelled(&c.x)) {
		rc = FEED_ERR_CANCELLED;
		goto out;
	}
	if (c.note.nomem) {
		rc = FEED_ERR_NOMEM;
		goto out;
	}
	c.doc->well_formed = c.note.msg == NULL;
	c.doc->error = c.note.msg;
	c.note.msg = NULL;
	*out = c.doc;
	c.doc = NULL;
out:
	for (int i = 0; i < BASE_CACHE; i++)
		free(c.bases[i].base);
	if (c.xdoc)
		xmlFreeDoc(c.xdoc);
	free(fixed);
	free(utf8);
	free(c.note.msg);
	feed_doc_free(c.doc);
	return rc;
}

int feed_parse_buffer_ex(const char *buf, size_t len, const char *base_url,
			 const char *http_charset, struct feed_doc **out, char **errmsg)
{
	return feed_parse_buffer_cancellable(buf, len, base_url, http_charset, NULL, NULL, out, errmsg);
}

int feed_parse_buffer(const char *buf, size_t len, const char *base_url,
		      const char *http_charset, struct feed_doc **out)
{
	return feed_parse_buffer_ex(buf, len, base_url, http_charset, out, NULL);
}
