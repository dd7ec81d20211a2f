/* render.c — a stored briefing as a document of blocks (brief_doc_build:
 * the one layout, which the reader draws too), and that document as
 * markdown (CommonMark/pandoc: every piece of feed or model text escaped,
 * links percent-encoded) or plain text for mail(1) (wrapped at 72 columns);
 * or the briefing as JSON for scripts. Each entry links its lead source
 * ("Read more →") and lists the others; flagged entries are marked in every
 * format. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brief/brief_write.h"
#include "util/util.h"

#define WRAP 72

const char *brief_strerror(int err)
{
	switch (err) {
	case BRIEF_OK: return "success";
	case BRIEF_ERR_NOMEM: return "out of memory";
	case BRIEF_ERR_CONFIG: return "unusable configuration (sections, prompt template or style)";
	case BRIEF_ERR_STORE: return "database error";
	case BRIEF_ERR_LLM: return "the language model failed";
	case BRIEF_ERR_EMPTY: return "no relevant items in the window";
	case BRIEF_ERR_LOCKED: return "another briefing is being generated";
	case BRIEF_ERR_NOT_FOUND: return "no such briefing";
	case BRIEF_ERR_CANCELLED: return "cancelled";
	case BRIEF_ERR_ARG: return "invalid argument";
	}
	return "unknown brief error";
}

/* ---- shared ------------------------------------------------------------------ */

static int is_extractive(const struct store_briefing *b)
{
	return b->backend && !strcmp(b->backend, "extractive");
}

const char *brief_layout_name(enum brief_layout l)
{
	switch (l) {
	case BRIEF_LAYOUT_DIGEST: return "digest";
	case BRIEF_LAYOUT_INSIGHTS: return "insights";
	case BRIEF_LAYOUT_SECTIONS: break;
	}
	return "sections";
}

int brief_layout_parse(const char *s, enum brief_layout *out)
{
	static const enum brief_layout all[] = { BRIEF_LAYOUT_SECTIONS, BRIEF_LAYOUT_DIGEST,
						 BRIEF_LAYOUT_INSIGHTS };
	for (size_t i = 0; s && i < sizeof all / sizeof all[0]; i++)
		if (!strcmp(s, brief_layout_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	return -1;
}

/* The stored layout; for briefings stored before it was kept, what the
 * bundled style names and the stories' shape say. */
static enum brief_layout layout_of(const struct store_briefing *b)
{
	enum brief_layout l;
	if (brief_layout_parse(b->layout, &l) == 0)
		return l;
	if (b->style && !strcmp(b->style, "digest"))
		return BRIEF_LAYOUT_DIGEST;
	if (b->style && !strcmp(b->style, "insights"))
		return BRIEF_LAYOUT_INSIGHTS;
	for (size_t i = 0; i < b->n_stories; i++)
		if (b->stories[i].section)
			return BRIEF_LAYOUT_SECTIONS;
	for (size_t i = 0; i < b->n_stories; i++)
		if (b->stories[i].kind && !strcmp(b->stories[i].kind, "shortlist"))
			return BRIEF_LAYOUT_DIGEST;
	return BRIEF_LAYOUT_SECTIONS;
}

static int is_short(const struct store_briefing_story *s)
{
	return s->kind && !strcmp(s->kind, "shortlist");
}

static const char *label_extractive =
	"Extractive edition: written without a language model; each entry is built from its "
	"sources' own lead sentences.";

/* ---- the document ------------------------------------------------------------ */

/* Only http(s) links are ever linked or offered as "Read more". */
static int linkable(const char *u)
{
	return u && (util_str_casecmp_prefix(u, "http://") || util_str_casecmp_prefix(u, "https://"));
}


struct doc_ctx {
	struct brief_doc *d;
	const struct store_briefing *b;
	int nomem;
};

static struct brief_block *add(struct doc_ctx *c, enum brief_blk kind, int story, const char *text)
{
	struct brief_doc *d = c->d;
	if (c->nomem)
		return NULL;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		struct brief_block *v = realloc(d->blk, cap * sizeof *v);
		if (!v) {
			c->nomem = 1;
			return NULL;
		}
		d->blk = v;
		d->cap = cap;
	}
	struct brief_block *k = &d->blk[d->n++];
	*k = (struct brief_block){ .kind = kind, .story = story, .text = text };
	return k;
}

/* s (malloc'd, may be NULL) kept by the document */
static const char *own(struct doc_ctx *c, char *s)
{
	struct brief_doc *d = c->d;
	if (!s || c->nomem) {
		c->nomem = 1;
		free(s);
		return NULL;
	}
	if (d->n_owned == d->cap_owned) {
		size_t cap = d->cap_owned ? d->cap_owned * 2 : 16;
		char **v = realloc(d->owned, cap * sizeof *v);
		if (!v) {
			c->nomem = 1;
			free(s);
			return NULL;
		}
		d->owned = v;
		d->cap_owned = cap;
	}
	return d->owned[d->n_owned++] = s;
}

static const char *source_text(struct doc_ctx *c, const struct store_briefing_source *r)
{
	return own(c, util_strfmt("%s \xe2\x80\x94 %s", r->feed_title ? r->feed_title : "?",
				  r->title ? r->title : "(untitled)"));
}

/* Headline, flag, text, "Read more →" (the lead) and the other sources. */
static void doc_entry(struct doc_ctx *c, size_t i, int num, int depth)
{
	const struct store_briefing_story *s = &c->b->stories[i];
	int si = (int)i;
	struct brief_block *k = add(c, BRIEF_BLK_ENTRY, si, s->headline ? s->headline : "");
	if (!k)
		return;
	k->num = num;
	k->depth = depth;
	if (s->flagged) {
		k->why = s->flag_reason ? s->flag_reason : "failed the faithfulness check";
		add(c, BRIEF_BLK_FLAG, si, k->why);
	}
	add(c, BRIEF_BLK_TEXT, si, s->body ? s->body : "");
	size_t first = 0;
	if (s->n_src && linkable(s->src[0].link)) {
		struct brief_block *r = add(c, BRIEF_BLK_READ_MORE, si, NULL);
		if (r)
			r->url = s->src[0].link;
		first = 1;
	}
	for (size_t j = first; j < s->n_src; j++) {
		struct brief_block *r = add(c, BRIEF_BLK_ALSO, si, source_text(c, &s->src[j]));
		if (r)
			r->url = s->src[j].link;
	}
}

static void doc_heading(struct doc_ctx *c, const char *emoji, const char *text)
{
	struct brief_block *k = add(c, BRIEF_BLK_HEADING, -1, text);
	if (k) {
		k->emoji = emoji && *emoji ? emoji : NULL;
		k->depth = 2;
	}
}

/* links: each line links its lead, unless the references list them all */
static void doc_shortlist(struct doc_ctx *c, int links)
{
	const struct store_briefing *b = c->b;
	int first = 1;
	for (size_t i = 0; i < b->n_stories; i++) {
		const struct store_briefing_story *s = &b->stories[i];
		if (!is_short(s))
			continue;
		if (first)
			doc_heading(c, NULL, "The Shortlist");
		first = 0;
		struct brief_block *k = add(c, BRIEF_BLK_SHORT, (int)i, s->headline ? s->headline : "");
		if (!k)
			return;
		k->detail = s->body ? s->body : "";
		k->url = links && s->n_src && !util_str_empty(s->src[0].link) ? s->src[0].link : NULL;
		if (s->flagged)
			k->why = s->flag_reason ? s->flag_reason : "failed the faithfulness check";
	}
}

/* The assessment under its heading (none in the digest, where it leads),
 * then the bottom line. */
static void doc_assessment(struct doc_ctx *c, const char *emoji, const char *title)
{
	const struct store_briefing *b = c->b;
	if (title && (!util_str_empty(b->assessment) || !util_str_empty(b->bottom_line)))
		doc_heading(c, emoji, title);
	if (b->assessment_flag)
		add(c, BRIEF_BLK_FLAG, -1, b->assessment_flag);
	if (title && !util_str_empty(b->assessment))
		add(c, BRIEF_BLK_TEXT, -1, b->assessment);
	if (!util_str_empty(b->bottom_line))
		add(c, BRIEF_BLK_BOTTOM, -1, b->bottom_line);
}

static const char *masthead(struct doc_ctx *c, enum brief_layout l, size_t n_full)
{
	const char *e = c->b->edition;
	if (l == BRIEF_LAYOUT_DIGEST)
		return "The Digest";
	if (l == BRIEF_LAYOUT_INSIGHTS)
		return own(c, util_strfmt("Top %zu Insights", n_full));
	if (e && !strcmp(e, "morning"))
		return "Morning Briefing";
	if (e && !strcmp(e, "evening"))
		return "Evening Briefing";
	return "Briefing";
}

static const char *footer(struct doc_ctx *c)
{
	const struct store_briefing *b = c->b;
	int model = !util_str_empty(b->model) && !is_extractive(b) &&
		    (!b->backend || strcmp(b->model, b->backend));
	return own(c, util_strfmt("Briefing %lld, %s edition, style %s; written by the %s backend"
				  "%s%s%s.%s", (long long)b->id, b->edition ? b->edition : "?",
				  b->style ? b->style : "?", b->backend ? b->backend : "?",
				  model ? " (" : "", model ? b->model : "", model ? ")" : "",
				  b->status && !strcmp(b->status, "flagged")
				  ? " Entries marked \xe2\x9a\xa0 name something their sources do not." : ""));
}

int brief_doc_build(const struct store_briefing *b, struct brief_doc *d)
{
	struct doc_ctx c = { d, b, 0 };
	enum brief_layout l = layout_of(b);
	size_t n_full = 0;

	memset(d, 0, sizeof *d);
	for (size_t i = 0; i < b->n_stories; i++)
		n_full += !is_short(&b->stories[i]);
	add(&c, BRIEF_BLK_TITLE, -1, masthead(&c, l, n_full));
	if (!util_str_empty(b->edition_date))
		add(&c, BRIEF_BLK_DATE, -1, b->edition_date);
	if (!util_str_empty(b->tagline))
		add(&c, BRIEF_BLK_TAGLINE, -1, b->tagline);
	if (is_extractive(b))
		add(&c, BRIEF_BLK_NOTE, -1, label_extractive);

	if (l == BRIEF_LAYOUT_DIGEST) {
		if (!util_str_empty(b->assessment))
			add(&c, BRIEF_BLK_TEXT, -1, b->assessment);
		if (n_full)
			add(&c, BRIEF_BLK_TEXT, -1, "In today's digest:");
		for (size_t i = 0; i < b->n_stories; i++)
			if (!is_short(&b->stories[i]))
				add(&c, BRIEF_BLK_LIST, (int)i, b->stories[i].headline ? b->stories[i].headline : "");
		for (size_t i = 0; i < b->n_stories; i++)
			if (!is_short(&b->stories[i]))
				doc_entry(&c, i, 0, 2);
		doc_shortlist(&c, 0);
		doc_assessment(&c, NULL, NULL);
		int any = 0;
		for (size_t i = 0; i < b->n_stories; i++)
			for (size_t j = 0; j < b->stories[i].n_src; j++) {
				if (!any++)
					doc_heading(&c, NULL, "References");
				struct brief_block *k = add(&c, BRIEF_BLK_REFERENCE, (int)i,
							    source_text(&c, &b->stories[i].src[j]));
				if (k)
					k->url = b->stories[i].src[j].link;
			}
	} else if (l == BRIEF_LAYOUT_INSIGHTS) {
		int num = 0;
		for (size_t i = 0; i < b->n_stories; i++)
			if (!is_short(&b->stories[i]))
				doc_entry(&c, i, ++num, 2);
		doc_shortlist(&c, 1);
		doc_assessment(&c, NULL, "The Pattern");
	} else {
		const char *last = NULL;
		for (size_t i = 0; i < b->n_stories; i++) {
			const struct store_briefing_story *s = &b->stories[i];
			if (is_short(s))
				continue;
			if (s->section && (!last || strcmp(last, s->section))) {
				doc_heading(&c, s->emoji, s->section);
				last = s->section;
			}
			doc_entry(&c, i, 0, last ? 3 : 2);
		}
		doc_shortlist(&c, 1);
		doc_assessment(&c, "\xf0\x9f\x94\xad", "Secretary's Assessment");
	}
	add(&c, BRIEF_BLK_FOOTER, -1, footer(&c));
	return c.nomem ? BRIEF_ERR_NOMEM : BRIEF_OK;
}

void brief_doc_free(struct brief_doc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_owned; i++)
		free(d->owned[i]);
	free(d->owned);
	free(d->blk);
	memset(d, 0, sizeof *d);
}

/* ---- markdown ---------------------------------------------------------------- */

/* Inline text with every markdown metacharacter escaped. */
static void md_inline(struct util_buf *o, const char *s)
{
	for (; s && *s; s++) {
		if (strchr("\\`*_[]<>#|~", *s) ||
		    (*s == '&' && (isalpha((unsigned char)s[1]) || s[1] == '#')))
			util_buf_putc(o, '\\');  /* (an entity such as &amp; would be decoded) */
		if (*s == '\n') {
			util_buf_putc(o, ' ');
			continue;
		}
		util_buf_putc(o, *s);
	}
}

/* A line of a paragraph: escaped, and a line that would start a block
 * (list, heading, quote, numbered item) defused. */
static void md_line(struct util_buf *o, const char *s, size_t n)
{
	char *l = util_strndup(s, n);
	if (!l)
		return;
	const char *p = l;
	if ((p[0] == '-' || p[0] == '+' || p[0] == '=') && (p[1] == ' ' || p[1] == '\0'))
		util_buf_putc(o, '\\');
	else {
		size_t d = strspn(p, "0123456789");
		if (d && (p[d] == '.' || p[d] == ')')) {
			util_buf_append(o, p, d);
			util_buf_putc(o, '\\');
			p += d;
		}
	}
	md_inline(o, p);
	free(l);
}

/* Percent-encode what would break a markdown link destination. Only
 * http(s) links are linked at all. */
static int md_url(struct util_buf *o, const char *u)
{
	if (!linkable(u))
		return -1;
	for (const unsigned char *p = (const unsigned char *)u; *p; p++) {
		if (*p <= 0x20 || *p == '(' || *p == ')' || *p == '<' || *p == '>' || *p == '\\' ||
		    *p == '"' || *p >= 0x7f)
			util_buf_printf(o, "%%%02X", *p);
		else
			util_buf_putc(o, (char)*p);
	}
	return 0;
}

static void md_link(struct util_buf *o, const char *text, const char *url)
{
	struct util_buf u;
	util_buf_init(&u);
	if (md_url(&u, url) == 0) {
		util_buf_putc(o, '[');
		md_inline(o, text);
		util_buf_puts(o, "](");
		util_buf_puts(o, util_buf_cstr(&u));
		util_buf_putc(o, ')');
	} else {
		md_inline(o, text);
	}
	util_buf_free(&u);
}

/* A body: paragraphs (blank-line separated), "- " lines as a list,
 * "Unpacked:" and "Bottom line:" in bold. */
static void md_body(struct util_buf *o, const char *body)
{
	const char *s = body ? body : "";
	int in_list = 0, in_para = 0;
	while (*s) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 0) {
			if (in_para || in_list)
				util_buf_puts(o, "\n");
			in_para = in_list = 0;
		} else if ((n >= 2 && (s[0] == '-' || s[0] == '*') && s[1] == ' ') ||
			   (n >= 4 && !strncmp(s, "\xe2\x80\xa2 ", 4))) {
			size_t skip = s[0] == '\xe2' ? 4 : 2;
			if (in_para)
				util_buf_puts(o, "\n");
			in_para = 0;
			in_list = 1;
			util_buf_puts(o, "- ");
			char *item = util_strndup(s + skip, n - skip);
			md_inline(o, item);
			free(item);
			util_buf_puts(o, "\n");
		} else {
			if (in_list)
				util_buf_puts(o, "\n");
			in_list = 0;
			if (util_str_casecmp_prefix(s, "unpacked:") && n == 9) {
				if (in_para)
					util_buf_puts(o, "\n");
				util_buf_puts(o, "**Unpacked:**\n");
				in_para = 0;
				in_list = 0;
				s = e ? e + 1 : s + n;
				/* the list follows directly */
				continue;
			}
			if (util_str_casecmp_prefix(s, "bottom line:")) {
				if (in_para)
					util_buf_puts(o, "\n");
				util_buf_puts(o, "**Bottom line:** ");
				md_line(o, s + 12 + (s[12] == ' '), n - 12 - (s[12] == ' '));
				util_buf_puts(o, "\n");
				in_para = 1;
			} else {
				md_line(o, s, n);
				util_buf_puts(o, "\n");
				in_para = 1;
			}
		}
		s = e ? e + 1 : s + n;
	}
	if (in_para || in_list)
		util_buf_puts(o, "\n");
}

static void md_flag(struct util_buf *o, const char *why)
{
	util_buf_puts(o, "> \xe2\x9a\xa0 **Unverified:** ");
	md_inline(o, why ? why : "failed the faithfulness check");
	util_buf_puts(o, "\n\n");
}

/* 1 when block i + 1 is not of the same kind (a run of list lines ends) */
static int run_ends(const struct brief_doc *d, size_t i)
{
	return i + 1 >= d->n || d->blk[i + 1].kind != d->blk[i].kind;
}

static int run_starts(const struct brief_doc *d, size_t i)
{
	return i == 0 || d->blk[i - 1].kind != d->blk[i].kind;
}

static void render_md(struct util_buf *o, const struct brief_doc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct brief_block *k = &d->blk[i];
		switch (k->kind) {
		case BRIEF_BLK_TITLE:
			util_buf_puts(o, "# ");
			md_inline(o, k->text);
			util_buf_puts(o, "\n\n");
			break;
		case BRIEF_BLK_DATE:
			util_buf_puts(o, "**");
			md_inline(o, k->text);
			util_buf_puts(o, "**\n\n");
			break;
		case BRIEF_BLK_TAGLINE:
			util_buf_puts(o, "*");
			md_inline(o, k->text);
			util_buf_puts(o, "*\n\n");
			break;
		case BRIEF_BLK_NOTE:
			util_buf_puts(o, "> ");
			md_inline(o, k->text);
			util_buf_puts(o, "\n\n");
			break;
		case BRIEF_BLK_HEADING:
			util_buf_puts(o, "## ");
			if (k->emoji) {
				util_buf_puts(o, k->emoji);
				util_buf_putc(o, ' ');
			}
			md_inline(o, k->text);
			util_buf_puts(o, "\n\n");
			break;
		case BRIEF_BLK_ENTRY:
			util_buf_puts(o, k->depth == 3 ? "### " : "## ");
			if (k->num)
				util_buf_printf(o, "%d. ", k->num);
			md_inline(o, k->text);
			if (k->why)
				util_buf_puts(o, " \xe2\x9a\xa0");
			util_buf_puts(o, "\n\n");
			break;
		case BRIEF_BLK_FLAG:
			md_flag(o, k->text);
			break;
		case BRIEF_BLK_TEXT:
			md_body(o, k->text);
			break;
		case BRIEF_BLK_LIST:
			util_buf_puts(o, "- ");
			md_inline(o, k->text);
			util_buf_puts(o, run_ends(d, i) ? "\n\n" : "\n");
			break;
		case BRIEF_BLK_READ_MORE:
			if (linkable(k->url)) {
				md_link(o, "Read more \xe2\x86\x92", k->url);
				util_buf_puts(o, "\n\n");
			}
			break;
		case BRIEF_BLK_ALSO:
			util_buf_puts(o, run_starts(d, i) ? "Also: " : "; ");
			md_link(o, k->text, k->url);
			if (run_ends(d, i) || d->blk[i + 1].story != k->story)
				util_buf_puts(o, "\n\n");
			break;
		case BRIEF_BLK_SHORT:
			util_buf_puts(o, "- **");
			md_inline(o, k->text);
			util_buf_puts(o, "** \xe2\x80\x94 ");
			md_inline(o, k->detail);
			if (linkable(k->url)) {
				util_buf_putc(o, ' ');
				md_link(o, "Read more \xe2\x86\x92", k->url);
			}
			if (k->why) {
				util_buf_puts(o, " \xe2\x9a\xa0 *Unverified: ");
				md_inline(o, k->why);
				util_buf_puts(o, "*");
			}
			util_buf_puts(o, run_ends(d, i) ? "\n\n" : "\n");
			break;
		case BRIEF_BLK_BOTTOM:
			util_buf_puts(o, "**Bottom line:** ");
			md_line(o, k->text, strlen(k->text));
			util_buf_puts(o, "\n\n");
			break;
		case BRIEF_BLK_REFERENCE:
			util_buf_puts(o, "- ");
			md_link(o, k->text, k->url);
			util_buf_puts(o, run_ends(d, i) ? "\n\n" : "\n");
			break;
		case BRIEF_BLK_FOOTER:
			util_buf_puts(o, "---\n\n*");
			md_inline(o, k->text);
			util_buf_puts(o, "*\n");
			break;
		}
	}
}

/* ---- plain text ------------------------------------------------------------------ */

/* Word-wrap s at WRAP columns; lines after the first of a paragraph are
 * indented by hang spaces. */
static void txt_wrap_w(struct util_buf *o, const char *s, size_t hang, size_t width)
{
	size_t indent = 0;
	char *copy = util_strdup(s ? s : "");
	if (!copy)
		return;
	size_t col = 0;
	for (char *line = copy; line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!*line) {
			if (col)
				util_buf_putc(o, '\n');
			util_buf_putc(o, '\n');
			col = 0;
			indent = 0;
		} else {
			/* a list line starts on its own line */
			if (col && (line[0] == '-' || util_str_casecmp_prefix(line, "bottom line:") ||
				    util_str_casecmp_prefix(line, "unpacked:"))) {
				util_buf_putc(o, '\n');
				col = 0;
			}
			char *save = NULL;
			for (char *w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
				size_t wl = util_text_width(w);
				if (col && col + 1 + wl > width) {
					util_buf_putc(o, '\n');
					col = 0;
					indent = hang;
				}
				if (!col) {
					for (size_t k = 0; k < indent; k++)
						util_buf_putc(o, ' ');
					col = indent;
				} else {
					util_buf_putc(o, ' ');
					col++;
				}
				util_buf_puts(o, w);
				col += wl;
			}
		}
		line = nl ? nl + 1 : NULL;
		/* a single newline inside a paragraph ends a list line */
		if (line && *line == '-' && col) {
			util_buf_putc(o, '\n');
			col = 0;
		}
	}
	if (col)
		util_buf_putc(o, '\n');
	free(copy);
}

static void txt_wrap(struct util_buf *o, const char *s, size_t hang)
{
	txt_wrap_w(o, s, hang, WRAP);
}

/* One paragraph wrapped with every line indented by ind (continuations
 * by ind + 2). */
static void txt_indent(struct util_buf *o, const char *s, size_t ind)
{
	struct util_buf w;
	util_buf_init(&w);
	txt_wrap_w(&w, s, 2, WRAP - ind);
	for (const char *p = util_buf_cstr(&w); *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p + 1) : strlen(p);
		for (size_t k = 0; k < ind; k++)
			util_buf_putc(o, ' ');
		util_buf_append(o, p, n);
		p += n;
	}
	util_buf_free(&w);
}

static void txt_heading(struct util_buf *o, const char *emoji, const char *name)
{
	if (emoji && *emoji)
		util_buf_printf(o, "%s ", emoji);
	util_buf_printf(o, "%s\n", name ? name : "");
	size_t w = util_text_width(name) + (emoji && *emoji ? util_text_width(emoji) + 1 : 0);
	for (size_t k = 0; k < w; k++)
		util_buf_putc(o, '=');
	util_buf_puts(o, "\n\n");
}

static void txt_flag(struct util_buf *o, const char *why)
{
	char *t = util_strfmt("[!] Unverified: %s", why ? why : "");
	txt_wrap(o, t, 0);
	free(t);
}

/* An entry's text runs straight into its links; a blank line after. */
static int txt_entry_goes_on(const struct brief_doc *d, size_t i)
{
	return i + 1 < d->n && d->blk[i + 1].story == d->blk[i].story && d->blk[i].story >= 0 &&
	       (d->blk[i + 1].kind == BRIEF_BLK_READ_MORE || d->blk[i + 1].kind == BRIEF_BLK_ALSO);
}

static void render_txt(struct util_buf *o, const struct brief_doc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct brief_block *k = &d->blk[i];
		char *t = NULL;
		switch (k->kind) {
		case BRIEF_BLK_TITLE:
			util_buf_printf(o, "%s\n", k->text);
			if (i + 1 >= d->n || d->blk[i + 1].kind != BRIEF_BLK_DATE)
				util_buf_puts(o, "\n");
			break;
		case BRIEF_BLK_DATE:
			util_buf_printf(o, "%s\n\n", k->text);
			break;
		case BRIEF_BLK_TAGLINE:
		case BRIEF_BLK_NOTE:
			txt_wrap(o, k->text, 0);
			util_buf_puts(o, "\n");
			break;
		case BRIEF_BLK_HEADING:
			txt_heading(o, k->emoji, k->text);
			break;
		case BRIEF_BLK_ENTRY:
			if (k->num)
				util_buf_printf(o, "%d. ", k->num);
			util_buf_printf(o, "%s\n", k->text);
			break;
		case BRIEF_BLK_FLAG:
			txt_flag(o, k->text);
			break;
		case BRIEF_BLK_TEXT:
			txt_wrap(o, k->text, 0);
			if (!txt_entry_goes_on(d, i))
				util_buf_puts(o, "\n");
			break;
		case BRIEF_BLK_LIST:
			t = util_strfmt("- %s", k->text);
			txt_wrap(o, t, 2);
			if (run_ends(d, i))
				util_buf_puts(o, "\n");
			break;
		case BRIEF_BLK_READ_MORE:
			util_buf_printf(o, "Read more \xe2\x86\x92 %s\n", k->url);
			if (!txt_entry_goes_on(d, i))
				util_buf_puts(o, "\n");
			break;
		case BRIEF_BLK_ALSO:
			if (run_starts(d, i) || d->blk[i - 1].story != k->story)
				util_buf_puts(o, "Also:\n");
			t = util_strfmt("- %s", k->text);
			txt_indent(o, t, 2);
			if (k->url)
				util_buf_printf(o, "    <%s>\n", k->url);
			if (!txt_entry_goes_on(d, i))
				util_buf_puts(o, "\n");
			break;
		case BRIEF_BLK_SHORT:
			t = util_strfmt("- %s \xe2\x80\x94 %s%s%s", k->text, k->detail,
					k->why ? " [!] Unverified: " : "", k->why ? k->why : "");
			txt_wrap(o, t, 2);
			if (k->url)
				util_buf_printf(o, "  <%s>\n", k->url);
			if (run_ends(d, i))
				util_buf_puts(o, "\n");
			break;
		case BRIEF_BLK_BOTTOM:
			t = util_strfmt("Bottom line: %s", k->text);
			txt_wrap(o, t, 0);
			util_buf_puts(o, "\n");
			break;
		case BRIEF_BLK_REFERENCE:
			t = util_strfmt("- %s", k->text);
			txt_indent(o, t, 0);
			if (k->url)
				util_buf_printf(o, "  <%s>\n", k->url);
			if (run_ends(d, i))
				util_buf_puts(o, "\n");
			break;
		case BRIEF_BLK_FOOTER:
			util_buf_puts(o, "-- \n");
			txt_wrap(o, k->text, 0);
			break;
		}
		free(t);
	}
}

/* ---- JSON ------------------------------------------------------------------------ */

static void js_str(struct util_buf *o, const char *s)
{
	util_buf_put_json(o, s);
}

/* A number with a '.' whatever LC_NUMERIC says (the UI sets the locale). */
static void js_num(struct util_buf *o, double v, int prec)
{
	char buf[64];
	if (!(v == v) || v > 1e300 || v < -1e300)
		v = 0;
	snprintf(buf, sizeof buf, "%.*f", prec, v);
	for (char *p = buf; *p; p++)
		if (*p == ',')
			*p = '.';
	util_buf_puts(o, buf);
}

static void js_kv(struct util_buf *o, const char *k, const char *v, int comma)
{
	util_buf_printf(o, "%s\"%s\": ", comma ? ", " : "", k);
	js_str(o, v);
}

static void js_time(struct util_buf *o, const char *k, int64_t t)
{
	char buf[32];
	util_buf_printf(o, ", \"%s\": ", k);
	js_str(o, t ? util_time_iso(t, buf, sizeof buf) : NULL);
}

static void render_json(struct util_buf *o, const struct store_briefing *b)
{
	util_buf_printf(o, "{\"id\": %lld", (long long)b->id);
	js_time(o, "created", b->created);
	js_kv(o, "edition", b->edition, 1);
	js_kv(o, "date_line", b->edition_date, 1);
	js_kv(o, "style", b->style, 1);
	js_kv(o, "layout", brief_layout_name(layout_of(b)), 1);
	js_kv(o, "status", b->status, 1);
	js_kv(o, "tagline", b->tagline, 1);
	util_buf_puts(o, ",\n \"stories\": [");
	for (size_t i = 0; i < b->n_stories; i++) {
		const struct store_briefing_story *s = &b->stories[i];
		util_buf_printf(o, "%s\n  {\"rank\": %d", i ? "," : "", s->rank);
		js_kv(o, "kind", s->kind, 1);
		js_kv(o, "section", s->section, 1);
		js_kv(o, "emoji", s->emoji, 1);
		js_kv(o, "headline", s->headline, 1);
		js_kv(o, "body", s->body, 1);
		util_buf_puts(o, ", \"score\": ");
		js_num(o, s->score, 4);
		util_buf_printf(o, ", \"flagged\": %s", s->flagged ? "true" : "false");
		js_kv(o, "flag_reason", s->flag_reason, 1);
		util_buf_puts(o, ",\n   \"sources\": [");
		for (size_t j = 0; j < s->n_src; j++) {
			const struct store_briefing_source *r = &s->src[j];
			util_buf_printf(o, "%s{\"item_id\": ", j ? ", " : "");
			if (r->item_id)
				util_buf_printf(o, "%lld", (long long)r->item_id);
			else
				util_buf_puts(o, "null");
			js_kv(o, "feed", r->feed_title, 1);
			js_kv(o, "feed_url", r->feed_url, 1);
			js_kv(o, "title", r->title, 1);
			js_kv(o, "link", r->link, 1);
			js_time(o, "published", r->published);
			util_buf_puts(o, "}");
		}
		util_buf_puts(o, "]}");
	}
	util_buf_puts(o, "],\n");
	util_buf_puts(o, " \"assessment\": ");
	js_str(o, b->assessment);
	js_kv(o, "bottom_line", b->bottom_line, 1);
	js_kv(o, "assessment_flag", b->assessment_flag, 1);
	util_buf_puts(o, ",\n \"provenance\": {");
	js_kv(o, "backend", b->backend, 0);
	js_kv(o, "model", b->model, 1);
	js_kv(o, "model_hash", b->model_hash, 1);
	js_time(o, "window_start", b->window_start);
	js_time(o, "window_end", b->window_end);
	js_kv(o, "prompt_hashes", b->prompt_hashes, 1);
	util_buf_printf(o, ", \"prompt_tokens\": %lld, \"completion_tokens\": %lld",
			(long long)b->prompt_tokens, (long long)b->completion_tokens);
	/* the engine's weight passes (zeros and a null device otherwise) */
	util_buf_printf(o, ", \"passes\": %lld, \"pass_tokens\": %lld, \"prefill_tokens\": %lld,"
			" \"bytes_streamed\": %lld", (long long)b->passes, (long long)b->pass_tokens,
			(long long)b->prefill_tokens, (long long)b->bytes_streamed);
	js_kv(o, "device", b->device, 1);
	/* speculative decoding (null and zeros without a draft model) */
	js_kv(o, "draft_model", b->draft_model, 1);
	util_buf_printf(o, ", \"speculative\": {\"rounds\": %lld, \"drafted\": %lld, "
			"\"accepted\": %lld, \"tokens\": %lld}", (long long)b->spec_rounds,
			(long long)b->spec_drafted, (long long)b->spec_accepted,
			(long long)b->spec_tokens);
	util_buf_puts(o, ", \"seconds\": {\"plan\": ");
	js_num(o, b->seconds_plan, 3);
	util_buf_puts(o, ", \"write\": ");
	js_num(o, b->seconds_write, 3);
	util_buf_puts(o, ", \"total\": ");
	js_num(o, b->seconds_total, 3);
	util_buf_puts(o, ", \"prefill\": ");
	js_num(o, b->seconds_prefill, 3);
	util_buf_puts(o, ", \"decode\": ");
	js_num(o, b->seconds_decode, 3);
	util_buf_puts(o, ", \"wait\": ");
	js_num(o, b->seconds_wait, 3);
	util_buf_puts(o, "}}}\n");
}

/* ---- entry point ------------------------------------------------------------------ */

int brief_render_briefing(const struct store_briefing *b, enum brief_format f, char **out)
{
	struct util_buf o;
	util_buf_init(&o);
	if (util_buf_reserve(&o, 4096))
		return BRIEF_ERR_NOMEM;
	if (f == BRIEF_FMT_JSON) {
		render_json(&o, b);
	} else if (f == BRIEF_FMT_MD || f == BRIEF_FMT_TXT) {
		struct brief_doc d;
		if (brief_doc_build(b, &d) != BRIEF_OK) {
			brief_doc_free(&d);
			util_buf_free(&o);
			return BRIEF_ERR_NOMEM;
		}
		if (f == BRIEF_FMT_MD)
			render_md(&o, &d);
		else
			render_txt(&o, &d);
		brief_doc_free(&d);
	} else {
		util_buf_free(&o);
		return BRIEF_ERR_ARG;
	}
	*out = util_buf_steal(&o);
	return *out ? BRIEF_OK : BRIEF_ERR_NOMEM;
}

int brief_render(struct store *st, int64_t id, enum brief_format f, char **out, char **err)
{
	struct store_briefing b;
	*out = NULL;
	if (err)
		*err = NULL;
	if (!st || id < 0)
		return BRIEF_ERR_ARG;
	int rc = store_briefing_get(st, id, &b);
	if (rc == STORE_ERR_NOT_FOUND) {
		if (err)
			*err = id ? util_strfmt("no briefing with id %lld", (long long)id)
				  : util_strdup("no briefing yet (run 'briefing generate')");
		return BRIEF_ERR_NOT_FOUND;
	}
	if (rc != STORE_OK) {
		if (err)
			*err = util_strfmt("reading briefing: %s", store_errmsg(st));
		return rc == STORE_ERR_NOMEM ? BRIEF_ERR_NOMEM : BRIEF_ERR_STORE;
	}
	rc = brief_render_briefing(&b, f, out);
	store_briefing_clear(&b);
	return rc;
}
