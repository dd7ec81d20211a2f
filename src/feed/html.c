/* html.c — HTML to plain text with a small tolerant tokenizer: entities
 * decoded, tags dropped, blocks become paragraph breaks, <br> a newline,
 * the content of script/style/head/... dropped, comments dropped,
 * whitespace collapsed. Attributes are parsed only to be skipped, so no
 * attribute value (on*, style, href) ever reaches the output. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feed/feed.h"
#include "feed/feed_int.h"
#include "util/util.h"

#include "feed/html_entities.h"

/* ---- entities ----------------------------------------------------------- */

static int entity_cmp(const void *key, const void *elem)
{
	const struct html_entity *e = elem;
	return strcmp(key, e->name);
}

int feed_html_entity(const char *name, size_t len, uint32_t *cp1, uint32_t *cp2)
{
	char key[40];
	if (len == 0 || len >= sizeof(key))
		return 0;
	memcpy(key, name, len);
	key[len] = 0;
	const struct html_entity *e = bsearch(key, html_entities,
		sizeof(html_entities) / sizeof(html_entities[0]), sizeof(html_entities[0]), entity_cmp);
	if (!e)
		return 0;
	*cp1 = e->cp1;
	*cp2 = e->cp2;
	return 1;
}

/* Longest legacy (semicolon-less) entity that prefixes name[0..len). */
static const struct html_entity *legacy_prefix(const char *name, size_t len)
{
	const struct html_entity *best = NULL;
	size_t best_len = 0;
	char key[40];
	/* legacy names are at most 6 characters long */
	for (size_t n = 2; n <= len && n <= 6; n++) {
		memcpy(key, name, n);
		key[n] = 0;
		const struct html_entity *e = bsearch(key, html_entities,
			sizeof(html_entities) / sizeof(html_entities[0]), sizeof(html_entities[0]), entity_cmp);
		if (e && e->legacy && n > best_len) {
			best = e;
			best_len = n;
		}
	}
	return best;
}

static const uint16_t cp1252[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

static uint32_t numeric_cp(uint32_t cp)
{
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0xFFFD;
	if (cp >= 0x80 && cp <= 0x9F)
		return cp1252[cp - 0x80];
	return cp;
}

int feed_html_put_numeric(struct util_buf *b, uint32_t cp)
{
	return util_buf_put_utf8(b, numeric_cp(cp));
}

/* Decode the reference at s[0] == '&' (n bytes available). Returns the
 * number of bytes consumed (0: not a reference, take '&' literally) and the
 * code points in cp[0..*ncp). */
static size_t decode_ref(const char *s, size_t n, uint32_t cp[2], int *ncp)
{
	size_t i = 1;
	if (i < n && s[i] == '#') {
		i++;
		int hex = 0;
		if (i < n && (s[i] == 'x' || s[i] == 'X')) {
			hex = 1;
			i++;
		}
		size_t start = i;
		uint32_t v = 0;
		while (i < n && (hex ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i]))) {
			unsigned d = isdigit((unsigned char)s[i]) ? (unsigned)(s[i] - '0')
				: (unsigned)(tolower((unsigned char)s[i]) - 'a' + 10);
			v = v > 0x10FFFF ? v : v * (hex ? 16u : 10u) + d;
			i++;
		}
		if (i == start)
			return 0;
		if (i < n && s[i] == ';')
			i++;
		cp[0] = numeric_cp(v);
		*ncp = 1;
		return i;
	}
	size_t start = i;
	while (i < n && i - start < 36 && isalnum((unsigned char)s[i]))
		i++;
	size_t len = i - start;
	if (len == 0)
		return 0;
	uint32_t a, b;
	if (i < n && s[i] == ';' && feed_html_entity(s + start, len, &a, &b)) {
		cp[0] = a;
		cp[1] = b;
		*ncp = b ? 2 : 1;
		return i + 1;
	}
	const struct html_entity *e = legacy_prefix(s + start, len);
	if (!e)
		return 0;
	cp[0] = e->cp1;
	cp[1] = e->cp2;
	*ncp = e->cp2 ? 2 : 1;
	return 1 + strlen(e->name);
}

/* ---- output with whitespace collapsing ---------------------------------- */

struct out {
	struct util_buf b;
	int nl;       /* pending newlines (0-2) */
	int sp;       /* pending space */
	int pre;      /* inside <pre>: keep line breaks */
	int bad;      /* allocation failed */
};

static void out_space(struct out *o)
{
	o->sp = 1;
}

static void out_break(struct out *o, int n)
{
	if (n > o->nl)
		o->nl = n;
}

static void out_newline(struct out *o)
{
	o->nl = o->nl < 2 ? o->nl + 1 : 2;
}

static void out_flush_pending(struct out *o)
{
	if (o->b.len > 0) {
		if (o->nl)
			o->bad |= util_buf_append(&o->b, "\n\n", (size_t)o->nl);
		else if (o->sp)
			o->bad |= util_buf_putc(&o->b, ' ');
	}
	o->nl = 0;
	o->sp = 0;
}

static void out_cp(struct out *o, uint32_t cp)
{
	if (cp == 0xA0) { /* no-break space collapses like any space */
		out_space(o);
		return;
	}
	out_flush_pending(o);
	o->bad |= util_buf_put_utf8(&o->b, cp);
}

/* Text bytes (not markup): whitespace collapsed, entities decoded. */
static void out_text(struct out *o, const char *s, size_t n, int decode)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			out_space(o);
			i++;
		} else if (c == '\n') {
			if (o->pre)
				out_newline(o);
			else
				out_space(o);
			i++;
		} else if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0) {
			out_space(o);
			i += 2;
		} else if (c == '&' && decode) {
			uint32_t cp[2];
			int ncp = 0;
			size_t k = decode_ref(s + i, n - i, cp, &ncp);
			if (k == 0) {
				out_cp(o, '&');
				i++;
			} else {
				for (int j = 0; j < ncp; j++)
					out_cp(o, cp[j]);
				i += k;
			}
		} else {
			/* copy one UTF-8 sequence as is (sanitised at the end) */
			size_t k = 1;
			if (c >= 0x80)
				while (i + k < n && k < 4 && ((unsigned char)s[i + k] & 0xC0) == 0x80)
					k++;
			out_flush_pending(o);
			o->bad |= util_buf_append(&o->b, s + i, k);
			i += k;
		}
	}
}

/* ---- element classes ---------------------------------------------------- */

enum el_kind { EL_INLINE, EL_BLOCK, EL_BR, EL_CELL, EL_RAW, EL_DROP, EL_PRE, EL_PLAINTEXT };

static const struct {
	const char *name;
	enum el_kind kind;
} elements[] = {
	{ "address", EL_BLOCK }, { "applet", EL_DROP }, { "article", EL_BLOCK },
	{ "aside", EL_BLOCK }, { "audio", EL_DROP }, { "blockquote", EL_BLOCK },
	{ "body", EL_BLOCK }, { "br", EL_BR }, { "canvas", EL_DROP },
	{ "caption", EL_BLOCK }, { "center", EL_BLOCK }, { "dd", EL_BLOCK },
	{ "details", EL_BLOCK }, { "dialog", EL_BLOCK }, { "dir", EL_BLOCK },
	{ "div", EL_BLOCK }, { "dl", EL_BLOCK }, { "dt", EL_BLOCK },
	{ "fieldset", EL_BLOCK }, { "figcaption", EL_BLOCK }, { "figure", EL_BLOCK },
	{ "footer", EL_BLOCK }, { "form", EL_BLOCK }, { "frameset", EL_DROP },
	{ "h1", EL_BLOCK }, { "h2", EL_BLOCK }, { "h3", EL_BLOCK },
	{ "h4", EL_BLOCK }, { "h5", EL_BLOCK }, { "h6", EL_BLOCK },
	{ "head", EL_DROP }, { "header", EL_BLOCK }, { "hgroup", EL_BLOCK },
	{ "hr", EL_BLOCK }, { "html", EL_BLOCK }, { "iframe", EL_RAW },
	{ "legend", EL_BLOCK }, { "li", EL_BLOCK }, { "main", EL_BLOCK },
	{ "map", EL_DROP }, { "math", EL_DROP }, { "menu", EL_BLOCK },
	{ "nav", EL_BLOCK }, { "noembed", EL_RAW }, { "noframes", EL_RAW },
	{ "noscript", EL_RAW }, { "object", EL_DROP }, { "ol", EL_BLOCK },
	{ "p", EL_BLOCK }, { "plaintext", EL_PLAINTEXT }, { "pre", EL_PRE },
	{ "script", EL_RAW }, { "section", EL_BLOCK }, { "select", EL_DROP },
	{ "style", EL_RAW }, { "summary", EL_BLOCK }, { "svg", EL_DROP },
	{ "table", EL_BLOCK }, { "tbody", EL_BLOCK }, { "td", EL_CELL },
	{ "template", EL_DROP }, { "textarea", EL_RAW }, { "tfoot", EL_BLOCK },
	{ "th", EL_CELL }, { "thead", EL_BLOCK }, { "title", EL_RAW },
	{ "tr", EL_BLOCK }, { "ul", EL_BLOCK }, { "video", EL_DROP },
	{ "xmp", EL_RAW },
};

static enum el_kind el_classify(const char *name)
{
	size_t lo = 0, hi = sizeof(elements) / sizeof(elements[0]);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, elements[mid].name);
		if (c == 0)
			return elements[mid].kind;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return EL_INLINE;
}

/* ---- tokenizer ---------------------------------------------------------- */

static int is_name_char(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == ':' || c == '.';
}

/* Parse a tag starting at s[i] == '<' with s[i+1] a letter or '/'. Fills
 * the lower-cased local name (truncated names are never known elements)
 * and *end_tag. Returns the index just past '>', or n if the tag runs off
 * the end (the rest is dropped, as browsers do). */
static size_t parse_tag(const char *s, size_t n, size_t i, char name[24], int *end_tag)
{
	i++;
	*end_tag = 0;
	if (i < n && s[i] == '/') {
		*end_tag = 1;
		i++;
	}
	size_t k = 0, start = i;
	while (i < n && is_name_char((unsigned char)s[i])) {
		if (s[i] == ':') { /* namespace prefix: keep the local part */
			k = 0;
		} else if (k < 23) {
			name[k++] = (char)tolower((unsigned char)s[i]);
		} else {
			k = 23;
			name[0] = '-'; /* too long: no element of ours */
		}
		i++;
	}
	name[k] = 0;
	(void)start;
	/* attributes, as HTML5 tokenises them, only to be skipped: a quote
	 * opens a value only right after '=' */
	for (;;) {
		while (i < n && (isspace((unsigned char)s[i]) || s[i] == '/'))
			i++;
		if (i >= n)
			return n;
		if (s[i] == '>')
			return i + 1;
		i++; /* the first character of a name may be anything, even '=' */
		while (i < n && !isspace((unsigned char)s[i]) && s[i] != '/' && s[i] != '>' && s[i] != '=')
			i++;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i >= n || s[i] != '=')
			continue;
		i++;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i < n && (s[i] == '"' || s[i] == '\'')) {
			char q = s[i++];
			const char *e = memchr(s + i, q, n - i);
			if (!e)
				return n;
			i = (size_t)(e - s) + 1;
		} else {
			while (i < n && !isspace((unsigned char)s[i]) && s[i] != '>')
				i++;
		}
	}
}

/* Find the end tag "</name" (case-insensitive) from i; returns the index
 * past its '>' or n. */
static size_t skip_raw(const char *s, size_t n, size_t i, const char *name)
{
	size_t nl = strlen(name);
	while (i < n) {
		const char *lt = memchr(s + i, '<', n - i);
		if (!lt)
			return n;
		i = (size_t)(lt - s);
		if (i + 2 + nl <= n && s[i + 1] == '/' && !strncasecmp(s + i + 2, name, nl) &&
		    (i + 2 + nl == n || !is_name_char((unsigned char)s[i + 2 + nl]))) {
			const char *gt = memchr(s + i, '>', n - i);
			return gt ? (size_t)(gt - s) + 1 : n;
		}
		i++;
	}
	return n;
}

static size_t find_str(const char *s, size_t n, size_t i, const char *needle)
{
	size_t k = strlen(needle);
	while (i + k <= n) {
		const char *p = memchr(s + i, needle[0], n - i);
		if (!p || (size_t)(p - s) + k > n)
			return n;
		if (!memcmp(p, needle, k))
			return (size_t)(p - s);
		i = (size_t)(p - s) + 1;
	}
	return n;
}

char *feed_html_to_text(const char *html, size_t len)
{
	struct out o;
	memset(&o, 0, sizeof(o));
	util_buf_init(&o.b);
	const char *s = html ? html : "";
	size_t n = html ? len : 0;
	size_t i = 0;
	char drop_name[24] = "";
	int drop_depth = 0;

	while (i < n && !o.bad) {
		const char *lt = memchr(s + i, '<', n - i);
		size_t stop = lt ? (size_t)(lt - s) : n;
		if (stop > i && drop_depth == 0)
			out_text(&o, s + i, stop - i, 1);
		i = stop;
		if (i >= n)
			break;
		/* s[i] == '<' */
		unsigned char c1 = i + 1 < n ? (unsigned char)s[i + 1] : 0;
		if (c1 == '!') {
			if (i + 4 <= n && !memcmp(s + i, "<!--", 4)) {
				size_t e = find_str(s, n, i + 4, "-->");
				i = e < n ? e + 3 : n;
			} else {
				/* <!DOCTYPE>, and "<![CDATA[" which outside SVG/MathML
				 * is a bogus comment too (HTML5) */
				const char *gt = memchr(s + i, '>', n - i);
				i = gt ? (size_t)(gt - s) + 1 : n;
			}
			continue;
		}
		if (c1 == '?') {
			const char *gt = memchr(s + i, '>', n - i);
			i = gt ? (size_t)(gt - s) + 1 : n;
			continue;
		}
		if (!(isalpha(c1) || (c1 == '/' && i + 2 < n && isalpha((unsigned char)s[i + 2])))) {
			if (drop_depth == 0)
				out_cp(&o, '<');
			i++;
			continue;
		}
		char name[24];
		int end_tag;
		i = parse_tag(s, n, i, name, &end_tag);
		enum el_kind kind = el_classify(name);
		if (drop_depth > 0) {
			if (!strcmp(name, drop_name))
				drop_depth += end_tag ? -1 : 1;
			else if (kind == EL_RAW && !end_tag)
				i = skip_raw(s, n, i, name);
			if (drop_depth == 0)
				out_space(&o);
			continue;
		}
		switch (kind) {
		case EL_INLINE:
			break;
		case EL_BLOCK:
			out_break(&o, 2);
			break;
		case EL_BR:
			out_newline(&o);
			break;
		case EL_CELL:
			out_space(&o);
			break;
		case EL_PRE:
			out_break(&o, 2);
			o.pre += end_tag ? (o.pre > 0 ? -1 : 0) : 1;
			break;
		case EL_RAW:
			if (!end_tag) {
				i = skip_raw(s, n, i, name);
				out_space(&o);
			}
			break;
		case EL_DROP:
			if (!end_tag) {
				memcpy(drop_name, name, sizeof(drop_name));
				drop_depth = 1;
			}
			break;
		case EL_PLAINTEXT:
			if (!end_tag) {
				out_break(&o, 2);
				out_text(&o, s + i, n - i, 0);
				i = n;
			}
			break;
		}
	}
	if (o.bad) {
		util_buf_free(&o.b);
		return NULL;
	}
	/* sanitising may remove escape sequences between spaces: tidy again */
	char *res = feed_text_tidy(o.b.data ? o.b.data : "", o.b.len, 0);
	util_buf_free(&o.b);
	return res ? res : util_strdup("");
}

int feed_html_looks_like(const char *s)
{
	if (!s)
		return 0;
	const char *last_gt = strrchr(s, '>');
	for (const char *p = s; *p; p++) {
		if (p[0] == '<') {
			if (isalpha((unsigned char)p[1]) && last_gt && last_gt > p)
				return 1;
			if (p[1] == '/' && isalpha((unsigned char)p[2]) && last_gt && last_gt > p)
				return 1;
			if (p[1] == '!' && p[2] == '-' && p[3] == '-')
				return 1;
		} else if (p[0] == '&') {
			const char *q = p + 1;
			if (*q == '#') {
				q++;
				if (*q == 'x' || *q == 'X')
					q++;
			}
			const char *st = q;
			while (isalnum((unsigned char)*q))
				q++;
			if (q > st && *q == ';')
				return 1;
		}
	}
	return 0;
}

/* ---- plain text tidying -------------------------------------------------- */

char *feed_text_tidy(const char *s, size_t len, int single_line)
{
	char *t = util_text_sanitize(s ? s : "", s ? len : 0, !single_line);
	if (!t)
		return NULL;
	if (single_line) {
		util_str_squeeze(t);
	} else {
		/* collapse blanks within lines, at most one empty line in a row,
		 * trim both ends */
		size_t w = 0;
		int sp = 0, nl = 0;
		for (size_t r = 0; t[r]; r++) {
			char c = t[r];
			if (c == '\r')
				continue;
			if (c == ' ' || c == '\t') {
				sp = 1;
			} else if (c == '\n') {
				nl = nl < 2 ? nl + 1 : 2;
				sp = 0;
			} else {
				if (w > 0) {
					if (nl)
						for (int k = 0; k < nl; k++)
							t[w++] = '\n';
					else if (sp)
						t[w++] = ' ';
				}
				nl = sp = 0;
				t[w++] = c;
			}
		}
		t[w] = 0;
	}
	if (!*t) {
		free(t);
		return NULL;
	}
	return t;
}
