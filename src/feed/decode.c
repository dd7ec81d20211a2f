/* decode.c — bytes into text libxml2 can parse without losing anything:
 * the encoding found (HTTP charset, BOM, XML declaration, a windows-1252
 * guess) and converted to UTF-8 with invalid sequences repaired, blank
 * lines before the declaration dropped; then HTML named references the XML
 * cannot know rewritten as numeric ones and bare '&' escaped. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/encoding.h>
#include <libxml/tree.h>

#include "feed/feed.h"
#include "feed/feed_int.h"
#include "util/util.h"

void feed_note(struct feed_note *c, int line, const char *msg)
{
	if (c->msg && (line <= 0 || c->line <= line))
		return;
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	char *m = util_strndup(msg, n);
	char *e = m ? util_strfmt("line %d: %s", line > 0 ? line : 1, m) : NULL;
	free(m);
	if (!e) {
		c->nomem = 1;
		return;
	}
	free(c->msg);
	c->msg = e;
	c->line = line > 0 ? line : 1;
}

/* ---- encoding: everything becomes UTF-8 before libxml2 sees it ---------- */

static int label_is(const char *label, const char *const *names)
{
	for (; *names; names++)
		if (!strcasecmp(label, *names))
			return 1;
	return 0;
}

static const char *const utf8_labels[] = { "utf-8", "utf8", "unicode-1-1-utf-8", NULL };
/* WHATWG: these labels all mean windows-1252, a superset of Latin-1 whose
 * 0x80-0x9F are printable (curly quotes, dashes) rather than controls. */
static const char *const cp1252_labels[] = {
	"iso-8859-1", "iso8859-1", "latin1", "l1", "iso_8859-1", "cp1252",
	"windows-1252", "x-cp1252", "ascii", "us-ascii", "iso-ir-100", "cp819",
	"ibm819", "ansi_x3.4-1968", NULL,
};

/* Encoding label from the XML declaration at the start of s; "" if none. */
static void declared_encoding(const char *s, size_t n, char *out, size_t size)
{
	out[0] = 0;
	size_t lim = n < 512 ? n : 512;
	if (lim < 6 || memcmp(s, "<?xml", 5) != 0)
		return;
	const char *end = NULL;
	for (size_t i = 5; i + 1 < lim; i++)
		if (s[i] == '?' && s[i + 1] == '>') {
			end = s + i;
			break;
		}
	if (!end)
		return;
	const char *p = s + 5;
	while (p + 8 <= end && memcmp(p, "encoding", 8) != 0)
		p++;
	if (p + 8 > end)
		return;
	p += 8;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p >= end || *p != '=')
		return;
	p++;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p >= end || (*p != '"' && *p != '\''))
		return;
	char q = *p++;
	size_t k = 0;
	while (p < end && *p != q && k + 1 < size) {
		if (!isalnum((unsigned char)*p) && !strchr("-_.:()", *p))
			break;
		out[k++] = *p++;
	}
	out[k] = 0;
}

/* Strip quotes and blanks from an HTTP charset parameter. */
static void clean_label(const char *in, char *out, size_t size)
{
	size_t k = 0;
	for (; in && *in && k + 1 < size; in++)
		if (!strchr("\"' \t", *in))
			out[k++] = *in;
	out[k] = 0;
}

static const uint16_t cp1252_hi[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static char *from_cp1252(const char *s, size_t n, size_t *out_len)
{
	struct util_buf b;
	util_buf_init(&b);
	if (util_buf_reserve(&b, n + n / 2 + 1) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		uint32_t cp = ch >= 0x80 && ch < 0xA0 ? cp1252_hi[ch - 0x80] : ch;
		if (util_buf_put_utf8(&b, cp) < 0) {
			util_buf_free(&b);
			return NULL;
		}
	}
	*out_len = b.len;
	util_buf_cstr(&b);
	return util_buf_steal(&b);
}

/* Convert with a libxml2 encoding handler; bytes it cannot convert become
 * U+FFFD. Returns NULL on allocation failure. */
static char *from_handler(xmlCharEncodingHandlerPtr h, const char *s, size_t n, size_t *out_len)
{
	if (n > (size_t)INT32_MAX / 4)
		return NULL;
	xmlBufferPtr in = xmlBufferCreateSize(n + 1);
	xmlBufferPtr out = xmlBufferCreateSize(n * 2 + 16);
	char *res = NULL;
	if (!in || !out || xmlBufferAdd(in, (const xmlChar *)s, (int)n) != 0)
		goto done;
	while (xmlBufferLength(in) > 0) {
		int before = xmlBufferLength(in);
		int r = xmlCharEncInFunc(h, out, in);
		if (xmlBufferLength(in) == 0)
			break;
		if (r < 0 || xmlBufferLength(in) == before) {
			/* undecodable byte: skip it */
			xmlBufferShrink(in, 1);
			if (xmlBufferAdd(out, (const xmlChar *)"\xEF\xBF\xBD", 3) != 0)
				goto done;
		}
	}
	*out_len = (size_t)xmlBufferLength(out);
	res = malloc(*out_len + 1);
	if (res) {
		memcpy(res, xmlBufferContent(out), *out_len);
		res[*out_len] = 0;
	}
done:
	if (in)
		xmlBufferFree(in);
	if (out)
		xmlBufferFree(out);
	return res;
}

/* What the bytes past ASCII are: *bad bytes that start no valid UTF-8
 * sequence, *multi valid multi-byte sequences; *bad_line is the line of
 * the first bad byte. */
struct utf8_census {
	size_t bad, multi;
	int bad_line;
};

static struct utf8_census utf8_census(const char *s, size_t n)
{
	struct utf8_census c = { 0, 0, 0 };
	int line = 1;
	for (size_t i = 0; i < n;) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x80) {
			line += ch == '\n';
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = util_utf8_decode(s + i, n - i, &cp);
		if (cp == 0xFFFD && k == 1) {
			if (!c.bad++)
				c.bad_line = line;
		} else {
			c.multi++;
		}
		i += k;
	}
	return c;
}

/* Not valid UTF-8 and not one valid multi-byte sequence in it: a
 * single-byte encoding, most likely windows-1252 (what feeds that declare
 * nothing and use curly quotes mean). */
static int looks_cp1252(struct utf8_census c)
{
	return c.bad > 0 && c.multi == 0;
}

/* Valid UTF-8 with characters past ASCII: what a single-byte label on it
 * gets wrong ("CafÃ©"); the bytes win. */
static int is_utf8_not_ascii(struct utf8_census c)
{
	return c.bad == 0 && c.multi > 0;
}

/* util_utf8_repair, but NUL bytes (which would cut C strings short) become
 * spaces first. */
static char *repair_utf8(const char *s, size_t n, size_t *out_len)
{
	char *res;
	if (memchr(s, 0, n)) {
		char *copy = malloc(n + 1);
		if (!copy)
			return NULL;
		for (size_t i = 0; i < n; i++)
			copy[i] = s[i] ? s[i] : ' ';
		copy[n] = 0;
		res = util_utf8_repair(copy, n);
		free(copy);
	} else {
		res = util_utf8_repair(s, n);
	}
	if (res)
		*out_len = strlen(res);
	return res;
}

/* C1 controls (U+0080-U+009F) never mean themselves in a feed: they are
 * windows-1252 bytes that went through a Latin-1 decoder. Map them back
 * (U+0092 -> U+2019). Takes s (valid UTF-8, *len bytes) and returns it or
 * a new buffer (s freed); NULL on allocation failure (s freed). */
static char *demoronize(char *s, size_t *len)
{
	size_t n = *len, count = 0;
	for (size_t i = 0; i + 1 < n; i++)
		if ((unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9F)
			count++;
	if (!count)
		return s;
	struct util_buf b;
	util_buf_init(&b);
	int bad = util_buf_reserve(&b, n + count + 1) < 0;
	for (size_t i = 0; i < n && !bad; i++) {
		unsigned char c2 = i + 1 < n ? (unsigned char)s[i + 1] : 0;
		if ((unsigned char)s[i] == 0xC2 && c2 >= 0x80 && c2 <= 0x9F) {
			uint32_t cp = cp1252_hi[c2 - 0x80];
			bad |= util_buf_put_utf8(&b, cp >= 0xA0 ? cp : 0xFFFD) < 0;
			i++;
		} else {
			bad |= util_buf_putc(&b, s[i]) < 0;
		}
	}
	free(s);
	if (bad) {
		util_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return util_buf_steal(&b);
}

/* Decode buf into valid UTF-8 (caller frees) and name the encoding used. */
static char *to_utf8(struct feed_note *c, const char *buf, size_t len, const char *http_charset,
		     size_t *out_len, char **encoding)
{
	const unsigned char *u = (const unsigned char *)buf;
	char label[64] = "";
	char used[64] = "UTF-8";
	size_t skip = 0;

	if (http_charset && *http_charset)
		clean_label(http_charset, label, sizeof(label));
	if (!label[0]) {
		if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
			snprintf(label, sizeof(label), "UTF-8");
			skip = 3;
		} else if (len >= 4 && u[0] == 0xFF && u[1] == 0xFE && u[2] == 0 && u[3] == 0) {
			snprintf(label, sizeof(label), "UTF-32LE");
		} else if (len >= 4 && u[0] == 0 && u[1] == 0 && u[2] == 0xFE && u[3] == 0xFF) {
			snprintf(label, sizeof(label), "UTF-32BE");
		} else if (len >= 4 && u[0] == '<' && u[1] == 0 && u[2] == 0 && u[3] == 0) {
			snprintf(label, sizeof(label), "UTF-32LE");
		} else if (len >= 4 && u[0] == 0 && u[1] == 0 && u[2] == 0 && u[3] == '<') {
			snprintf(label, sizeof(label), "UTF-32BE");
		} else if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
			snprintf(label, sizeof(label), "UTF-16LE");
		} else if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
			snprintf(label, sizeof(label), "UTF-16BE");
		} else if (len >= 4 && u[0] == '<' && u[1] == 0 && u[2] == '?' && u[3] == 0) {
			snprintf(label, sizeof(label), "UTF-16LE");
		} else if (len >= 4 && u[0] == 0 && u[1] == '<' && u[2] == 0 && u[3] == '?') {
			snprintf(label, sizeof(label), "UTF-16BE");
		} else {
			size_t i = 0;
			while (i < len && i < 4096 && strchr(" \t\r\n", buf[i]) && buf[i])
				i++;
			declared_encoding(buf + i, len - i, label, sizeof(label));
			/* a UTF-16 label on 8-bit bytes is a lie; read as UTF-8 */
			if (!strncasecmp(label, "utf-16", 6) || !strncasecmp(label, "utf-32", 6) ||
			    !strcasecmp(label, "ucs-2") || !strcasecmp(label, "ucs-4"))
				label[0] = 0;
		}
	}
	char *res = NULL;
	int utf8ish = !label[0] || label_is(label, utf8_labels);
	struct utf8_census cen = { 0, 0, 0 };
	if (utf8ish || label_is(label, cp1252_labels))
		cen = utf8_census(buf + skip, len - skip);
	if (utf8ish && looks_cp1252(cen)) {
		res = from_cp1252(buf + skip, len - skip, out_len);
		snprintf(used, sizeof(used), "windows-1252");
	} else if (utf8ish || is_utf8_not_ascii(cen)) {
		/* UTF-8 as labelled, or as the bytes say despite a single-byte
		 * label; bytes that are not UTF-8 become U+FFFD and the document
		 * is not well-formed */
		res = repair_utf8(buf + skip, len - skip, out_len);
		if (cen.bad)
			feed_note(c, cen.bad_line, "bytes that are not UTF-8 (replaced with U+FFFD)");
	} else if (label_is(label, cp1252_labels)) {
		res = from_cp1252(buf, len, out_len);
		snprintf(used, sizeof(used), "%s", !strcasecmp(label, "us-ascii") || !strcasecmp(label, "ascii")
			 ? "US-ASCII" : (!strncasecmp(label, "iso", 3) || !strncasecmp(label, "latin", 5) ||
					 !strcasecmp(label, "l1")) ? "ISO-8859-1" : "windows-1252");
	} else {
		xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(label);
		if (!h) {
			char msg[128];
			snprintf(msg, sizeof(msg), "unknown encoding '%s', read as UTF-8", label);
			feed_note(c, 1, msg);
			res = repair_utf8(buf, len, out_len);
		} else {
			res = from_handler(h, buf, len, out_len);
			xmlCharEncCloseFunc(h);
			snprintf(used, sizeof(used), "%s", label);
			for (char *p = used; *p; p++)
				*p = (char)toupper((unsigned char)*p);
		}
	}
	if (res)
		res = demoronize(res, out_len);
	if (res && *out_len != strlen(res)) {
		/* an embedded NUL would cut the document short in C strings below */
		for (size_t i = 0; i < *out_len; i++)
			if (!res[i])
				res[i] = ' ';
	}
	if (res) {
		*encoding = util_strdup(used);
		if (!*encoding) {
			free(res);
			res = NULL;
		}
	}
	return res;
}

/* ---- entity pre-pass ----------------------------------------------------- */

static int is_xml_name_start(unsigned char ch)
{
	return isalpha(ch) || ch == '_' || ch == ':' || ch >= 0x80;
}

static int is_xml_name_char(unsigned char ch)
{
	return is_xml_name_start(ch) || isdigit(ch) || ch == '-' || ch == '.';
}

/* General entity names declared with <!ENTITY name ...> in the internal
 * subset s[0..n), sorted for bsearch. */
struct names {
	char **v;
	size_t n;
	int overflow;         /* too many to keep: treat every name as declared */
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect_declared(const char *s, size_t n, struct names *out)
{
	const char *p = s, *end = s + n;
	size_t cap = 0;
	while (p < end) {
		const char *q = memmem(p, (size_t)(end - p), "<!ENTITY", 8);
		if (!q)
			break;
		q += 8;
		while (q < end && isspace((unsigned char)*q))
			q++;
		const char *st = q;
		while (q < end && is_xml_name_char((unsigned char)*q))
			q++;
		p = q;
		if (q == st) /* "%" parameter entity, or junk */
			continue;
		if (out->n == 4096) {
			out->overflow = 1;
			break;
		}
		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nv = realloc(out->v, nc * sizeof(*nv));
			if (!nv)
				return -1;
			out->v = nv;
			cap = nc;
		}
		if (!(out->v[out->n] = util_strndup(st, (size_t)(q - st))))
			return -1;
		out->n++;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_name);
	return 0;
}

static int is_declared(const struct names *d, const char *name, size_t nl)
{
	if (d->overflow)
		return 1;
	if (!d->n || nl >= 64)
		return 0;
	char key[64];
	memcpy(key, name, nl);
	key[nl] = 0;
	const char *k = key;
	return bsearch(&k, d->v, d->n, sizeof(*d->v), cmp_name) != NULL;
}

static void names_free(struct names *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
}

/* Where a DOCTYPE can be: after the XML declaration, comments, PIs and
 * blanks, before the root element. Returns its offset or -1. */
static long find_doctype(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (isspace((unsigned char)s[i])) {
			i++;
		} else if (i + 4 <= n && !memcmp(s + i, "<!--", 4)) {
			const char *e = memmem(s + i + 4, n - i - 4, "-->", 3);
			if (!e)
				return -1;
			i = (size_t)(e - s) + 3;
		} else if (i + 2 <= n && !memcmp(s + i, "<?", 2)) {
			const char *e = memmem(s + i + 2, n - i - 2, "?>", 2);
			if (!e)
				return -1;
			i = (size_t)(e - s) + 2;
		} else if (i + 9 <= n && !memcmp(s + i, "<!DOCTYPE", 9)) {
			return (long)i;
		} else {
			return -1;
		}
	}
	return -1;
}

/* Rewrite what libxml2 would lose: HTML named references (&nbsp; &eacute;)
 * become numeric references, and a bare '&' becomes &amp;. CDATA sections
 * and comments are copied untouched. Records the first problem (unless the
 * document has an external DTD that could declare the names). Returns a
 * new buffer, or NULL when nothing needed changing or on ENOMEM (then
 * c->nomem is set). */
char *feed_fix_entities(const char *s, size_t n, size_t *out_len, struct feed_note *c)
{
	if (!memchr(s, '&', n))
		return NULL;
	/* the prolog: an internal subset may declare names; an external DTD
	 * or parameter entity makes undeclared names legal (a warning) */
	size_t prolog = n;
	long dt_at = find_doctype(s, n);
	const char *dt = dt_at >= 0 ? s + dt_at : NULL;
	int external = 0;
	struct names declared = { 0 };
	if (dt) {
		const char *close = memchr(dt, '[', (size_t)(s + n - dt));
		const char *gt = memchr(dt, '>', (size_t)(s + n - dt));
		if (close && gt && close < gt) {
			/* the internal subset ends at "]" blanks ">" */
			const char *e = close, *end = s + n;
			prolog = n;
			while ((e = memchr(e + 1, ']', (size_t)(end - e - 1))) != NULL) {
				const char *q = e + 1;
				while (q < end && isspace((unsigned char)*q))
					q++;
				if (q < end && *q == '>') {
					prolog = (size_t)(q - s);
					break;
				}
			}
		} else {
			prolog = gt ? (size_t)(gt - s) : n;
		}
		size_t dl = prolog - (size_t)(dt - s);
		if (memmem(dt, dl, "PUBLIC", 6) || memmem(dt, dl, "SYSTEM", 6) || memchr(dt, '%', dl))
			external = 1;
		if (collect_declared(dt, dl, &declared) < 0) {
			names_free(&declared);
			c->nomem = 1;
			return NULL;
		}
	} else {
		prolog = 0;
	}
	struct util_buf b;
	util_buf_init(&b);
	int changed = 0, line = 1;
	size_t i = 0, copied = 0;
	while (i < n) {
		char ch = s[i];
		if (ch == '\n') {
			line++;
			i++;
			continue;
		}
		if (ch == '<' && i + 9 <= n && !memcmp(s + i, "<![CDATA[", 9)) {
			const char *e = memmem(s + i, n - i, "]]>", 3);
			size_t to = e ? (size_t)(e - s) + 3 : n;
			for (; i < to; i++)
				line += s[i] == '\n';
			continue;
		}
		if (ch == '<' && i + 4 <= n && !memcmp(s + i, "<!--", 4)) {
			const char *e = memmem(s + i + 4, n - i - 4, "-->", 3);
			size_t to = e ? (size_t)(e - s) + 3 : n;
			for (; i < to; i++)
				line += s[i] == '\n';
			continue;
		}
		if (ch != '&') {
			i++;
			continue;
		}
		size_t j = i + 1;
		if (j < n && s[j] == '#') {
			j++;
			int hex = j < n && (s[j] == 'x' || s[j] == 'X');
			int upper = hex && s[j] == 'X';
			j += hex;
			size_t st = j;
			while (j < n && (hex ? isxdigit((unsigned char)s[j]) : isdigit((unsigned char)s[j])))
				j++;
			uint32_t v = 0;
			for (size_t q = st; q < j && v <= 0x10FFFF; q++) {
				int d = isdigit((unsigned char)s[q]) ? s[q] - '0' : (tolower((unsigned char)s[q]) - 'a' + 10);
				v = v * (hex ? 16u : 10u) + (uint32_t)d;
			}
			if (j > st && j < n && s[j] == ';' && v >= 0x80 && v <= 0x9F && i >= prolog) {
				/* &#146; means windows-1252's 0x92 (U+2019), as in HTML */
				uint32_t cp = cp1252_hi[v - 0x80];
				changed = 1;
				c->nomem |= util_buf_append(&b, s + copied, i - copied) < 0;
				c->nomem |= util_buf_printf(&b, "&#x%X;", (unsigned)(cp >= 0xA0 ? cp : 0xFFFD)) < 0;
				copied = i = j + 1;
				continue;
			}
			if (j > st && j < n && s[j] == ';') {
				if (upper && i >= prolog) {
					/* &#X41; is HTML, not XML: make it &#x41; */
					changed = 1;
					c->nomem |= util_buf_append(&b, s + copied, st - 1 - copied) < 0;
					c->nomem |= util_buf_putc(&b, 'x') < 0;
					copied = st;
				}
				i = j + 1;
				continue;
			}
		} else if (j < n && is_xml_name_start((unsigned char)s[j])) {
			while (j < n && j - i < 64 && is_xml_name_char((unsigned char)s[j]))
				j++;
			if (j < n && s[j] == ';') {
				const char *name = s + i + 1;
				size_t nl = j - i - 1;
				static const char *const predefined[] = { "amp", "lt", "gt", "quot", "apos" };
				int known = 0;
				for (size_t k = 0; k < 5; k++)
					if (strlen(predefined[k]) == nl && !memcmp(name, predefined[k], nl))
						known = 1;
				uint32_t a = 0, bb = 0;
				if (known || i < prolog || is_declared(&declared, name, nl)) {
					i = j + 1;
					continue;
				}
				int html = feed_html_entity(name, nl, &a, &bb);
				if (!html && external) {
					i = j + 1; /* the external DTD may know it */
					continue;
				}
				changed = 1;
				if (!external && !c->msg) {
					char msg[128];
					snprintf(msg, sizeof(msg), "Entity '%.*s' not defined", (int)(nl > 40 ? 40 : nl), name);
					feed_note(c, line, msg);
				}
				c->nomem |= util_buf_append(&b, s + copied, i - copied) < 0;
				if (html) {
					c->nomem |= util_buf_printf(&b, "&#x%X;", (unsigned)a) < 0;
					if (bb)
						c->nomem |= util_buf_printf(&b, "&#x%X;", (unsigned)bb) < 0;
					copied = i = j + 1;
				} else {
					/* unknown: keep it as text */
					c->nomem |= util_buf_puts(&b, "&amp;") < 0;
					copied = i = i + 1;
				}
				continue;
			}
		}
		/* a bare '&' */
		if (i < prolog) {
			i++;
			continue;
		}
		changed = 1;
		if (!c->msg)
			feed_note(c, line, "unescaped '&' (xmlParseEntityRef: no name)");
		c->nomem |= util_buf_append(&b, s + copied, i - copied) < 0;
		c->nomem |= util_buf_puts(&b, "&amp;") < 0;
		copied = ++i;
	}
	names_free(&declared);
	if (!changed || c->nomem) {
		util_buf_free(&b);
		return NULL;
	}
	c->nomem |= util_buf_append(&b, s + copied, n - copied) < 0;
	if (c->nomem) {
		util_buf_free(&b);
		return NULL;
	}
	*out_len = b.len;
	return util_buf_steal(&b);
}

char *feed_decode_input(const char *buf, size_t len, const char *http_charset,
			size_t *out_len, char **encoding, struct feed_note *note)
{
	size_t ulen = 0;
	*encoding = NULL;
	char *utf8 = to_utf8(note, buf, len, http_charset, &ulen, encoding);
	if (!utf8)
		return NULL;
	/* a blank line (or a BOM) before the declaration is an error libxml2
	 * will not recover from; drop it */
	size_t start = 0;
	for (;;) {
		if (start < ulen && utf8[start] && strchr(" \t\r\n", utf8[start]))
			start++;
		else if (start + 3 <= ulen && !memcmp(utf8 + start, "\xEF\xBB\xBF", 3))
			start += 3;
		else
			break;
	}
	memmove(utf8, utf8 + start, ulen - start + 1);
	*out_len = ulen - start;
	return utf8;
}
