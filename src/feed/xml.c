/* xml.c — libxml2 under guard: the one place where feeds and OPML lists are
 * handed to libxml2 and where values are read back from its tree.
 *
 * The guarantee: reading a document of N bytes costs O(N) time and memory,
 * whatever its DTD, and yields at most FEED_PARSE_OUT_MAX(N) bytes of
 * strings. libxml2 bounds entity expansion only while it parses, and only
 * relative to what it has read so far; values read from the tree after the
 * parse (xmlGetProp, xmlNodeGetContent) expand entity references with no
 * bound at all, and some markup costs libxml2 the square of its length.
 * So, while libxml2 parses:
 *
 *   - every start tag is checked before the parse: one with more than
 *     FEED_ATTRS_MAX attributes (libxml2 compares each with every other)
 *     cuts the document there;
 *   - an element whose namespace declarations in scope pass FEED_NS_MAX
 *     (each prefix lookup scans all of them) stops the parse;
 *   - internal entities are declared through a hook that prices each one
 *     (its text plus the price of every entity it refers to): one that
 *     would take the DTD's entities past FEED_DTD_COST_MAX in all, that
 *     refers to an entity declared after it, or that holds a start tag
 *     with too many attributes is declared empty; one whose text holds
 *     markup is kept only if short (libxml2 searches it for '<' at every
 *     use in an attribute). Parameter entities are declared empty: feeds
 *     need no declarations built from them;
 *   - attribute declarations are dropped, with the defaults they would add
 *     to every element (no attribute, ID or namespace comes from the DTD);
 *   - the cancel flags stop the parse (checked at every element and text).
 *
 * And when values are read back (feed_xml_text, feed_xml_attr), entity
 * references are expanded by a walk that pays for what it produces: every
 * byte, and every node visited inside an entity, from ent_left (FEED_ENTITY_
 * READ_MAX for the whole document, so an entity bomb yields at most that
 * much), and every byte from read_left. What the callers derive from the
 * values (resolved URLs, a feed's author or a folder's name copied to each
 * entry) they pay for from copy_left (feed_xml_charge), so a value that
 * multiplies runs out on its own without starving the rest of the
 * document. read_left and copy_left start at half of FEED_PARSE_OUT_MAX(N)
 * each. A value that cannot be paid for is dropped, and the document notes
 * what happened. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/entities.h>
#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "feed/feed.h"
#include "feed/feed_int.h"
#include "util/util.h"

#define FEED_ATTRS_MAX 256            /* attributes (xmlns included) on one start tag */
#define FEED_NS_MAX 256               /* namespace declarations in scope */
#define FEED_DTD_COST_MAX (1u << 20)  /* all internal entities together, fully expanded */
#define FEED_MARKUP_ENTITY_MAX 1024   /* the text of an entity whose expansion holds '<' */
#define FEED_ENTITY_READ_MAX (64u * 1024) /* entity text the readers expand, per document */
#define FEED_ATTR_MAX (64u * 1024)    /* one attribute value */
#define FEED_ENT_DEPTH 16             /* entities within entities, when reading */
#define FEED_WALK_DEPTH 512           /* elements within elements, when reading */
#define FEED_NOTES_MAX (64u * 1024)   /* room kept for encoding and error strings */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

void feed_xml_init(void)
{
	pthread_once(&xml_once, xml_init);
}

/* ---- budgets ------------------------------------------------------------- */

void feed_xml_begin(struct feed_xml *x, size_t input_len, struct feed_note *note)
{
	memset(x, 0, sizeof(*x));
	x->note = note;
	x->read_left = FEED_PARSE_OUT_MAX(input_len) / 2 - FEED_NOTES_MAX;
	x->copy_left = FEED_PARSE_OUT_MAX(input_len) / 2;
	x->ent_left = FEED_ENTITY_READ_MAX;
}

int feed_xml_cancelled(struct feed_xml *x)
{
	if ((x->cancel && *x->cancel) || (x->stop && *x->stop))
		x->cancelled = 1;
	return x->cancelled;
}

static void hit(struct feed_xml *x, int *flag, int line)
{
	if (!*flag) {
		*flag = 1;
		if (line > 0 && (!x->hit_line || line < x->hit_line))
			x->hit_line = line;
	}
}

int feed_xml_charge(struct feed_xml *x, size_t n, int line)
{
	if (n > x->copy_left) {
		hit(x, &x->copy_hit, line);
		return -1;
	}
	x->copy_left -= n;
	return 0;
}

static int node_line(const xmlNode *n)
{
	for (; n; n = n->parent)
		if (n->type == XML_ELEMENT_NODE)
			return (int)xmlGetLineNo((xmlNodePtr)n);
	return 0;
}

/* ---- before the parse: start tags with too many attributes -------------- */

static int name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

static int name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static int blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Where s[0..n) holds a start tag with more than FEED_ATTRS_MAX
 * attributes: its offset, or n if none. Comments, CDATA sections and PIs
 * are skipped as libxml2 skips them; elsewhere every '<' followed by a name
 * is a tag, in the DTD too (entity text). A tag is read as libxml2 reads
 * it: a value is quoted right after '=' and ends at its quote or at a '<'
 * (libxml2's error), and anything else ends the tag, so no '<' that
 * libxml2 would take as a tag is ever skipped. */
static size_t crowded_tag(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		const char *lt = memchr(s + i, '<', n - i);
		if (!lt)
			break;
		size_t at = (size_t)(lt - s);
		const char *end = NULL;
		if (n - at >= 4 && !memcmp(lt, "<!--", 4))
			end = memmem(lt + 4, n - at - 4, "-->", 3);
		else if (n - at >= 9 && !memcmp(lt, "<![CDATA[", 9))
			end = memmem(lt + 9, n - at - 9, "]]>", 3);
		else if (n - at >= 2 && lt[1] == '?')
			end = memmem(lt + 2, n - at - 2, "?>", 2);
		else
			end = lt;
		if (end != lt) {
			if (!end)
				break;
			i = (size_t)(end - s) + 2;
			continue;
		}
		i = at + 1;
		if (i >= n || !name_start((unsigned char)s[i]))
			continue;
		while (i < n && name_char((unsigned char)s[i]))
			i++;
		size_t attrs = 0;
		for (;;) {
			while (i < n && blank((unsigned char)s[i]))
				i++;
			if (i >= n || !name_start((unsigned char)s[i]))
				break; /* '>', "/>", '<', junk: the tag ends here */
			if (++attrs > FEED_ATTRS_MAX)
				return at;
			while (i < n && name_char((unsigned char)s[i]))
				i++;
			while (i < n && blank((unsigned char)s[i]))
				i++;
			if (i >= n || s[i] != '=')
				break;
			i++;
			while (i < n && blank((unsigned char)s[i]))
				i++;
			if (i >= n || (s[i] != '"' && s[i] != '\''))
				break;
			char q = s[i++];
			while (i < n && s[i] != q && s[i] != '<')
				i++;
			if (i >= n || s[i] == '<')
				break;
			i++;
		}
	}
	return n;
}

static int line_at(const char *s, size_t off)
{
	int line = 1;
	for (const char *p = s; (p = memchr(p, '\n', off - (size_t)(p - s))) != NULL; p++)
		line++;
	return line;
}

/* ---- while libxml2 parses: the hooks ------------------------------------- */

static struct feed_xml *state_of(void *ctx)
{
	xmlParserCtxtPtr pc = ctx;
	return pc ? pc->_private : NULL;
}

static void on_error(void *user, xmlErrorPtr e)
{
	struct feed_xml *x = state_of(user);
	if (x && e && e->level >= XML_ERR_ERROR)
		feed_note(x->note, e->line, e->message ? e->message : "XML error");
}

static void silent_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void stop_parse(xmlParserCtxtPtr pc, struct feed_xml *x, const char *why)
{
	if (why)
		feed_note(x->note, pc->input ? pc->input->line : 0, why);
	xmlStopParser(pc);
}

static void guard_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
			const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
			int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	xmlParserCtxtPtr pc = ctx;
	struct feed_xml *x = state_of(ctx);
	xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces,
			      nb_attributes, nb_defaulted, attributes);
	if (!x)
		return;
	if (feed_xml_cancelled(x))
		stop_parse(pc, x, NULL);
	else if (pc->nsNr / 2 > FEED_NS_MAX)
		stop_parse(pc, x, "more than 256 namespace declarations in scope; the rest of the document is not read");
}

static void guard_characters(void *ctx, const xmlChar *ch, int len)
{
	struct feed_xml *x = state_of(ctx);
	xmlSAX2Characters(ctx, ch, len);
	if (x && feed_xml_cancelled(x))
		stop_parse(ctx, x, NULL);
}

/* No attribute defaults from the DTD: libxml2 would add each to every
 * element it applies to, checking it against the element's attributes one
 * by one (xmlns defaults become namespace declarations, the same way). */
static void guard_external_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
				  const xmlChar *system_id)
{
	xmlParserCtxtPtr pc = ctx;
	if (pc->attsDefault) {
		xmlHashFree(pc->attsDefault, xmlHashDefaultDeallocator);
		pc->attsDefault = NULL;
	}
	xmlSAX2ExternalSubset(ctx, name, external_id, system_id);
}

static int predefined(const char *name, size_t n)
{
	static const char *const names[] = { "amp", "lt", "gt", "quot", "apos" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !memcmp(names[i], name, n))
			return 1;
	return 0;
}

/* What fully expanding text costs: its bytes, plus the price of each entity
 * it refers to (all internal ones are declared through guard_entity_decl,
 * which keeps their prices in x->ent_cost as price << 2 | 2 | markup).
 * *markup: the expansion holds a '<'. Names not declared yet are kept in
 * x->ent_early. Stops counting past limit. */
static size_t price(struct feed_xml *x, const char *text, size_t limit, int *markup)
{
	size_t cost = 0;
	*markup = 0;
	for (const char *p = text; *p && cost <= limit; p++) {
		cost++;
		if (*p == '<')
			*markup = 1;
		if (*p != '&' || !name_start((unsigned char)p[1]))
			continue;
		const char *q = p + 1;
		while (name_char((unsigned char)*q))
			q++;
		if (*q != ';')
			continue;
		size_t nl = (size_t)(q - p - 1);
		cost += nl + 1;
		if (!predefined(p + 1, nl)) {
			char *name = util_strndup(p + 1, nl);
			void *v = name && x->ent_cost ? xmlHashLookup(x->ent_cost, (xmlChar *)name) : NULL;
			if (v) {
				uintptr_t c = (uintptr_t)v;
				cost += (size_t)(c >> 2);
				*markup |= (int)(c & 1);
			} else if (name && x->ent_early) {
				xmlHashAddEntry(x->ent_early, (xmlChar *)name, (void *)1);
			}
			free(name);
		}
		p = q;
	}
	return cost;
}

static void guard_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
			      const xmlChar *system_id, xmlChar *content)
{
	xmlParserCtxtPtr pc = ctx;
	struct feed_xml *x = state_of(ctx);
	static xmlChar empty[] = "";
	if (!x || !name) {
		xmlSAX2EntityDecl(ctx, name, type, public_id, system_id, content);
		return;
	}
	if (type == XML_INTERNAL_PARAMETER_ENTITY) {
		xmlSAX2EntityDecl(ctx, name, type, public_id, system_id, empty);
		return;
	}
	if (type != XML_INTERNAL_GENERAL_ENTITY || !content ||
	    (x->ent_cost && xmlHashLookup(x->ent_cost, name))) {
		/* external ones are never read; a second declaration is ignored */
		xmlSAX2EntityDecl(ctx, name, type, public_id, system_id, content);
		return;
	}
	if (!x->ent_cost)
		x->ent_cost = xmlHashCreate(16);
	if (!x->ent_early)
		x->ent_early = xmlHashCreate(16);
	if (!x->ent_cost || !x->ent_early) {
		x->nomem = 1;
		stop_parse(pc, x, NULL);
		return;
	}
	size_t left = FEED_DTD_COST_MAX - x->dtd_cost;
	int markup = 0;
	size_t cost = price(x, (const char *)content, left, &markup);
	size_t len = strlen((const char *)content);
	const char *why = NULL;
	if (xmlHashLookup(x->ent_early, name))
		why = "is used in an entity declared before it";
	else if (cost > left)
		why = "would take the document's entities past 1 MiB";
	else if (markup && len > FEED_MARKUP_ENTITY_MAX)
		why = "holds markup and is longer than 1 KiB";
	else if (crowded_tag((const char *)content, len) < len)
		why = "holds a start tag with more than 256 attributes";
	if (why) {
		char msg[160];
		snprintf(msg, sizeof(msg), "entity '%.40s' %s: declared empty", (const char *)name, why);
		feed_note(x->note, pc->input ? pc->input->line : 0, msg);
		cost = 0;
		markup = 0;
		content = empty;
	}
	x->dtd_cost += cost;
	if (xmlHashAddEntry(x->ent_cost, name, (void *)(((uintptr_t)cost << 2) | 2 | (uintptr_t)markup)) < 0) {
		x->nomem = 1;
		stop_parse(pc, x, NULL);
	}
	xmlSAX2EntityDecl(ctx, name, type, public_id, system_id, content);
}

struct _xmlDoc *feed_xml_read(struct feed_xml *x, const char *text, size_t len, int options)
{
	if (len > (size_t)INT32_MAX)
		return NULL;
	size_t cut = crowded_tag(text, len);
	if (cut < len) {
		feed_note(x->note, line_at(text, cut),
			  "a start tag with more than 256 attributes; the document is read up to it");
		len = cut;
	}
	if (feed_xml_cancelled(x))
		return NULL;
	feed_xml_init();
	xmlParserCtxtPtr pc = xmlNewParserCtxt();
	if (!pc || !pc->sax) {
		x->nomem = 1;
		if (pc)
			xmlFreeParserCtxt(pc);
		return NULL;
	}
	pc->_private = x;
	pc->sax->initialized = XML_SAX2_MAGIC;
	pc->sax->serror = on_error;
	pc->sax->startElementNs = guard_start;
	pc->sax->characters = guard_characters;
	pc->sax->entityDecl = guard_entity_decl;
	pc->sax->externalSubset = guard_external_subset;
	pc->sax->attributeDecl = NULL;
	xmlGenericErrorFunc old_generic = xmlGenericError;
	void *old_generic_ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, silent_generic);
	xmlDocPtr doc = xmlCtxtReadMemory(pc, text, (int)len, NULL, "UTF-8",
					  options | XML_PARSE_NONET | XML_PARSE_RECOVER | XML_PARSE_IGNORE_ENC |
					  XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
	xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
	if (!pc->wellFormed && !x->note->msg)
		feed_note(x->note, pc->input ? pc->input->line : 1, "not well-formed");
	xmlFreeParserCtxt(pc);
	if (x->ent_cost)
		xmlHashFree(x->ent_cost, NULL);
	if (x->ent_early)
		xmlHashFree(x->ent_early, NULL);
	x->ent_cost = x->ent_early = NULL;
	x->doc = doc;
	return doc;
}

void feed_xml_end(struct feed_xml *x)
{
	if (x->ent_hit)
		feed_note(x->note, x->hit_line,
			  "internal entities expand past 64 KiB in all; the rest of their text is dropped");
	if (x->copy_hit)
		feed_note(x->note, x->hit_line,
			  "values copied or resolved pass 4 times the document's size; the rest are dropped");
	if (x->read_hit)
		feed_note(x->note, x->hit_line,
			  "values read pass 4 times the document's size; the rest are dropped");
	if (x->attr_hit)
		feed_note(x->note, x->hit_line, "an attribute value longer than 64 KiB is dropped");
	if (x->nomem)
		x->note->nomem = 1;
}

/* ---- reading values back ------------------------------------------------- */

enum { WALK_OK, WALK_OVER, WALK_ENTITY, WALK_NOMEM };

struct walk {
	struct feed_xml *x;
	struct util_buf *b;
	size_t max;           /* the value may not pass this many bytes */
	int depth;            /* elements entered */
	int ent_depth;        /* entities entered */
};

/* Append s, paid for from the value's room, the document's budget and,
 * inside an entity, the entity budget. */
static int put(struct walk *w, const xmlNode *at, const char *s)
{
	struct feed_xml *x = w->x;
	size_t room = w->max - w->b->len;
	size_t lim = room < x->read_left ? room : x->read_left;
	if (w->ent_depth && x->ent_left < lim)
		lim = x->ent_left;
	size_t n = strnlen(s, lim + 1);
	if (n > lim) {
		if (w->ent_depth && x->ent_left < n) {
			hit(x, &x->ent_hit, node_line(at));
			return WALK_ENTITY;
		}
		hit(x, x->read_left < n ? &x->read_hit : &x->attr_hit, node_line(at));
		return WALK_OVER;
	}
	if (util_buf_append(w->b, s, n) < 0)
		return WALK_NOMEM;
	x->read_left -= n;
	if (w->ent_depth)
		x->ent_left -= n;
	return WALK_OK;
}

static int walk(struct walk *w, const xmlNode *list);

/* An entity reference: an internal entity's text (its parsed children, or
 * its literal text when it has none), paid for from the entity budget;
 * once that is spent no entity is expanded again in this document. */
static int walk_entity(struct walk *w, const xmlNode *ref)
{
	struct feed_xml *x = w->x;
	if (x->ent_hit || !ref->name)
		return WALK_OK;
	xmlEntityPtr ent = xmlGetDocEntity(x->doc ? x->doc : ref->doc, ref->name);
	if (!ent)
		return WALK_OK;
	if (ent->etype == XML_INTERNAL_PREDEFINED_ENTITY)
		return ent->content ? put(w, ref, (const char *)ent->content) : WALK_OK;
	if (ent->etype != XML_INTERNAL_GENERAL_ENTITY)
		return WALK_OK; /* external entities are never read */
	if (w->ent_depth >= FEED_ENT_DEPTH || x->ent_left == 0) {
		hit(x, &x->ent_hit, node_line(ref));
		return w->ent_depth ? WALK_ENTITY : WALK_OK;
	}
	x->ent_left--;
	size_t mark = w->b->len;
	w->ent_depth++;
	int rc;
	if (ent->children)
		rc = walk(w, ent->children);
	else
		rc = ent->content ? put(w, ref, (const char *)ent->content) : WALK_OK;
	w->ent_depth--;
	if (rc == WALK_ENTITY && w->ent_depth == 0) {
		/* the outermost entity that could not be paid for is left out whole */
		x->read_left += w->b->len - mark;
		w->b->len = mark;
		rc = WALK_OK;
	}
	return rc;
}

/* One node: inside an entity every node costs a byte of the entity
 * budget, so entities of empty entities cannot multiply work for free. */
static int walk_node(struct walk *w, const xmlNode *k)
{
	struct feed_xml *x = w->x;
	if (w->ent_depth) {
		if (x->ent_left == 0) {
			hit(x, &x->ent_hit, node_line(k));
			return WALK_ENTITY;
		}
		x->ent_left--;
	}
	int rc = WALK_OK;
	switch (k->type) {
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		if (k->content)
			rc = put(w, k, (const char *)k->content);
		break;
	case XML_ENTITY_REF_NODE:
		rc = walk_entity(w, k);
		break;
	case XML_ELEMENT_NODE:
		if (w->depth < FEED_WALK_DEPTH) {
			w->depth++;
			rc = walk(w, k->children);
			w->depth--;
		}
		break;
	default:
		break;
	}
	return rc;
}

static int walk(struct walk *w, const xmlNode *list)
{
	for (const xmlNode *k = list; k; k = k->next) {
		int rc = walk_node(w, k);
		if (rc != WALK_OK)
			return rc;
	}
	return WALK_OK;
}

int feed_xml_text(struct feed_xml *x, struct util_buf *b, const struct _xmlNode *node, int siblings)
{
	struct walk w = { .x = x, .b = b, .max = SIZE_MAX };
	int rc = siblings ? walk(&w, node) : node ? walk_node(&w, node) : WALK_OK;
	if (rc == WALK_NOMEM)
		x->nomem = 1;
	return rc == WALK_OK ? 0 : rc == WALK_NOMEM ? -1 : 1;
}

char *feed_xml_attr(struct feed_xml *x, const struct _xmlNode *n, const char *name,
		    const char *ns_href, int any_ns)
{
	if (!n || n->type != XML_ELEMENT_NODE)
		return NULL;
	const xmlAttr *a;
	for (a = n->properties; a; a = a->next) {
		if (!a->name || strcmp((const char *)a->name, name))
			continue;
		if (ns_href ? a->ns && a->ns->href && !strcmp((const char *)a->ns->href, ns_href) : !a->ns)
			break;
	}
	if (!a && any_ns) {
		/* attributes in a namespace (rdf:about) or an undeclared prefix */
		for (a = n->properties; a; a = a->next) {
			const char *an = (const char *)a->name;
			const char *colon = an ? strchr(an, ':') : NULL;
			if (an && (!strcmp(an, name) || (colon && !strcmp(colon + 1, name))))
				break;
		}
	}
	if (!a)
		return NULL;
	struct util_buf b;
	util_buf_init(&b);
	struct walk w = { .x = x, .b = &b, .max = FEED_ATTR_MAX };
	int rc = walk(&w, a->children);
	if (rc == WALK_OK && util_buf_reserve(&b, 1) < 0)
		rc = WALK_NOMEM;
	if (rc != WALK_OK) {
		if (rc == WALK_NOMEM)
			x->nomem = 1;
		util_buf_free(&b);
		return NULL;
	}
	util_buf_cstr(&b);
	return util_buf_steal(&b);
}
