/* render.c — a stored briefing as markdown (CommonMark/pandoc: every piece
 * of feed or model text escaped, links percent-encoded), plain text for
 * mail(1) (wrapped at 72 columns), or JSON for scripts. Each entry lists
 * its references; flagged entries are marked in every format. */
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

static const char *assessment_title(const struct store_briefing *b)
{
	if (b->style && !strcmp(b->style, "digest"))
		return "The Big Picture";
	if (b->style && !strcmp(b->style, "insights"))
		return "The Pattern";
	return "Secretary's Assessment";
}

static int layout_of(const struct store_briefing *b)
{
	if (b->style && !strcmp(b->style, "digest"))
		return BRIEF_LAYOUT_DIGEST;
	if (b->style && !strcmp(b->style, "insights"))
		return BRIEF_LAYOUT_INSIGHTS;
	/* a user style: sections when its stories carry them */
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

static int linkable(const char *u)
{
	return u && (util_str_casecmp_prefix(u, "http://") || util_str_casecmp_prefix(u, "https://"));
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

static void md_sources(struct util_buf *o, const struct store_briefing_story *s)
{
	if (s->n_src == 0)
		return;
	util_buf_puts(o, s->n_src == 1 ? "Source: " : "Sources: ");
	for (size_t j = 0; j < s->n_src; j++) {
		const struct store_briefing_source *r = &s->src[j];
		char *t = util_strfmt("%s \xe2\x80\x94 %s", r->feed_title ? r->feed_title : "?",
				      r->title ? r->title : "(untitled)");
		if (j)
			util_buf_puts(o, "; ");
		md_link(o, t ? t : "", r->link);
		free(t);
	}
	util_buf_puts(o, "\n\n");
}

static void md_flag(struct util_buf *o, const char *why)
{
	util_buf_puts(o, "> \xe2\x9a\xa0 **Unverified:** ");
	md_inline(o, why ? why : "failed the faithfulness check");
	util_buf_puts(o, "\n\n");
}

static void md_entry(struct util_buf *o, const struct store_briefing_story *s, const char *hdr)
{
	util_buf_puts(o, hdr);
	md_inline(o, s->headline);
	if (s->flagged)
		util_buf_puts(o, " \xe2\x9a\xa0");
	util_buf_puts(o, "\n\n");
	if (s->flagged)
		md_flag(o, s->flag_reason);
	md_body(o, s->body);
	if (s->n_src && linkable(s->src[0].link)) {
		md_link(o, "Read more \xe2\x86\x92", s->src[0].link);
		util_buf_puts(o, "\n\n");
	}
	md_sources(o, s);
}

static void md_assessment(struct util_buf *o, const struct store_briefing *b, const char *emoji)
{
	if (util_str_empty(b->assessment) && util_str_empty(b->bottom_line))
		return;
	util_buf_printf(o, "## %s%s%s\n\n", emoji ? emoji : "", emoji ? " " : "",
			assessment_title(b));
	if (b->assessment_flag)
		md_flag(o, b->assessment_flag);
	md_body(o, b->assessment);
	if (!util_str_empty(b->bottom_line)) {
		util_buf_puts(o, "**Bottom line:** ");
		md_line(o, b->bottom_line, strlen(b->bottom_line));
		util_buf_puts(o, "\n\n");
	}
}

static void md_footer(struct util_buf *o, const struct store_briefing *b)
{
	util_buf_puts(o, "---\n\n*");
	util_buf_printf(o, "Briefing %lld, %s edition, style %s; written by the ", (long long)b->id,
			b->edition ? b->edition : "?", b->style ? b->style : "?");
	md_inline(o, b->backend);
	util_buf_puts(o, " backend");
	if (b->model && !is_extractive(b)) {
		util_buf_puts(o, " (");
		md_inline(o, b->model);
		util_buf_puts(o, ")");
	}
	util_buf_puts(o, ".");
	if (b->status && !strcmp(b->status, "flagged"))
		util_buf_puts(o, " Entries marked \xe2\x9a\xa0 name something their sources do not.");
	util_buf_puts(o, "*\n");
}

static void render_md(struct util_buf *o, const struct store_briefing *b)
{
	int layout = layout_of(b);
	const char *last_sec = NULL;
	int first = 1;

	if (layout == BRIEF_LAYOUT_INSIGHTS)
		util_buf_printf(o, "# Top %zu Insights\n\n", b->n_stories);
	else if (layout == BRIEF_LAYOUT_DIGEST)
		util_buf_puts(o, "# The Digest\n\n");
	else
		util_buf_puts(o, "# Briefings\n\n");
	util_buf_puts(o, "**");
	md_inline(o, b->edition_date);
	util_buf_puts(o, "**\n\n");
	if (!util_str_empty(b->tagline)) {
		util_buf_puts(o, "*");
		md_inline(o, b->tagline);
		util_buf_puts(o, "*\n\n");
	}
	if (is_extractive(b))
		util_buf_printf(o, "> %s\n\n", label_extractive);

	if (layout == BRIEF_LAYOUT_DIGEST) {
		md_body(o, b->assessment);
		util_buf_puts(o, "In today's digest:\n\n");
		for (size_t i = 0; i < b->n_stories; i++)
			if (!is_short(&b->stories[i])) {
				util_buf_puts(o, "- ");
				md_inline(o, b->stories[i].headline);
				util_buf_puts(o, "\n");
			}
		util_buf_puts(o, "\n");
		for (size_t i = 0; i < b->n_stories; i++)
			if (!is_short(&b->stories[i]))
				md_entry(o, &b->stories[i], "## ");
		for (size_t i = 0; i < b->n_stories; i++) {
			const struct store_briefing_story *s = &b->stories[i];
			if (!is_short(s))
				continue;
			if (first)
				util_buf_puts(o, "## The Shortlist\n\n");
			first = 0;
			util_buf_puts(o, "- **");
			md_inline(o, s->headline);
			util_buf_puts(o, "** \xe2\x80\x94 ");
			md_inline(o, s->body);
			if (s->flagged) {
				util_buf_puts(o, " \xe2\x9a\xa0 *Unverified: ");
				md_inline(o, s->flag_reason);
				util_buf_puts(o, "*");
			}
			util_buf_puts(o, "\n");
		}
		if (!first)
			util_buf_puts(o, "\n");
		if (b->assessment_flag)
			md_flag(o, b->assessment_flag);
		if (!util_str_empty(b->bottom_line)) {
			util_buf_puts(o, "**Bottom line:** ");
			md_line(o, b->bottom_line, strlen(b->bottom_line));
			util_buf_puts(o, "\n\n");
		}
		util_buf_puts(o, "## References\n\n");
		for (size_t i = 0; i < b->n_stories; i++)
			for (size_t j = 0; j < b->stories[i].n_src; j++) {
				const struct store_briefing_source *r = &b->stories[i].src[j];
				char *t = util_strfmt("%s \xe2\x80\x94 %s",
						      r->feed_title ? r->feed_title : "?",
						      r->title ? r->title : "(untitled)");
				util_buf_puts(o, "- ");
				md_link(o, t ? t : "", r->link);
				util_buf_puts(o, "\n");
				free(t);
			}
		util_buf_puts(o, "\n");
	} else if (layout == BRIEF_LAYOUT_INSIGHTS) {
		for (size_t i = 0; i < b->n_stories; i++) {
			char hdr[32];
			snprintf(hdr, sizeof hdr, "## %zu. ", i + 1);
			md_entry(o, &b->stories[i], hdr);
		}
		md_assessment(o, b, NULL);
	} else {
		for (size_t i = 0; i < b->n_stories; i++) {
			const struct store_briefing_story *s = &b->stories[i];
			if (s->section && (!last_sec || strcmp(last_sec, s->section))) {
				util_buf_puts(o, "## ");
				if (s->emoji && *s->emoji) {
					util_buf_puts(o, s->emoji);
					util_buf_putc(o, ' ');
				}
				md_inline(o, s->section);
				util_buf_puts(o, "\n\n");
				last_sec = s->section;
			}
			md_entry(o, s, "### ");
		}
		md_assessment(o, b, "\xf0\x9f\x94\xad");
	}
	md_footer(o, b);
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

static void txt_entry(struct util_buf *o, const struct store_briefing_story *s, const char *num)
{
	if (num)
		util_buf_puts(o, num);
	util_buf_puts(o, s->headline ? s->headline : "");
	util_buf_puts(o, "\n");
	if (s->flagged) {
		char *t = util_strfmt("[!] Unverified: %s", s->flag_reason ? s->flag_reason : "");
		txt_wrap(o, t, 0);
		free(t);
	}
	txt_wrap(o, s->body, 0);
	if (s->n_src && s->src[0].link)
		util_buf_printf(o, "Read more \xe2\x86\x92 %s\n", s->src[0].link);
	if (s->n_src) {
		util_buf_puts(o, s->n_src == 1 ? "Source:\n" : "Sources:\n");
		for (size_t j = 0; j < s->n_src; j++) {
			char *t = util_strfmt("- %s \xe2\x80\x94 %s",
					      s->src[j].feed_title ? s->src[j].feed_title : "?",
					      s->src[j].title ? s->src[j].title : "(untitled)");
			txt_indent(o, t, 2);
			free(t);
			if (s->src[j].link)
				util_buf_printf(o, "    <%s>\n", s->src[j].link);
		}
	}
	util_buf_puts(o, "\n");
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

static void render_txt(struct util_buf *o, const struct store_briefing *b)
{
	int layout = layout_of(b);
	const char *last_sec = NULL;

	util_buf_printf(o, "%s\n%s\n\n", layout == BRIEF_LAYOUT_DIGEST ? "The Digest"
			: layout == BRIEF_LAYOUT_INSIGHTS ? "Top Insights" : "Briefings",
			b->edition_date ? b->edition_date : "");
	if (!util_str_empty(b->tagline)) {
		txt_wrap(o, b->tagline, 0);
		util_buf_puts(o, "\n");
	}
	if (is_extractive(b)) {
		txt_wrap(o, label_extractive, 0);
		util_buf_puts(o, "\n");
	}
	if (layout == BRIEF_LAYOUT_DIGEST && !util_str_empty(b->assessment)) {
		txt_wrap(o, b->assessment, 0);
		util_buf_puts(o, "\n");
	}
	for (size_t i = 0; i < b->n_stories; i++) {
		const struct store_briefing_story *s = &b->stories[i];
		if (layout == BRIEF_LAYOUT_SECTIONS && s->section &&
		    (!last_sec || strcmp(last_sec, s->section))) {
			txt_heading(o, s->emoji, s->section);
			last_sec = s->section;
		}
		if (is_short(s))
			continue;
		char num[24];
		snprintf(num, sizeof num, "%zu. ", i + 1);
		txt_entry(o, s, layout == BRIEF_LAYOUT_INSIGHTS ? num : NULL);
	}
	int any_short = 0;
	for (size_t i = 0; i < b->n_stories; i++) {
		const struct store_briefing_story *s = &b->stories[i];
		if (!is_short(s))
			continue;
		if (!any_short)
			txt_heading(o, NULL, "The Shortlist");
		any_short = 1;
		char *t = util_strfmt("- %s \xe2\x80\x94 %s%s%s", s->headline ? s->headline : "",
				      s->body ? s->body : "", s->flagged ? " [!] Unverified: " : "",
				      s->flagged && s->flag_reason ? s->flag_reason : "");
		txt_wrap(o, t, 2);
		free(t);
		if (s->n_src && s->src[0].link)
			util_buf_printf(o, "  <%s>\n", s->src[0].link);
	}
	if (any_short)
		util_buf_puts(o, "\n");
	if (layout != BRIEF_LAYOUT_DIGEST && !util_str_empty(b->assessment)) {
		txt_heading(o, layout == BRIEF_LAYOUT_SECTIONS ? "\xf0\x9f\x94\xad" : NULL,
			    assessment_title(b));
		if (b->assessment_flag) {
			char *t = util_strfmt("[!] Unverified: %s", b->assessment_flag);
			txt_wrap(o, t, 0);
			free(t);
		}
		txt_wrap(o, b->assessment, 0);
		util_buf_puts(o, "\n");
	} else if (b->assessment_flag) {
		char *t = util_strfmt("[!] Unverified: %s", b->assessment_flag);
		txt_wrap(o, t, 0);
		free(t);
	}
	if (!util_str_empty(b->bottom_line)) {
		char *t = util_strfmt("Bottom line: %s", b->bottom_line);
		txt_wrap(o, t, 0);
		free(t);
		util_buf_puts(o, "\n");
	}
	char *foot = util_strfmt("Briefing %lld, %s edition, style %s; written by the %s backend%s%s%s.",
				 (long long)b->id, b->edition ? b->edition : "?",
				 b->style ? b->style : "?", b->backend ? b->backend : "?",
				 b->model && !is_extractive(b) ? " (" : "",
				 b->model && !is_extractive(b) ? b->model : "",
				 b->model && !is_extractive(b) ? ")" : "");
	util_buf_puts(o, "-- \n");
	txt_wrap(o, foot, 0);
	free(foot);
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
	switch (f) {
	case BRIEF_FMT_MD: render_md(&o, b); break;
	case BRIEF_FMT_TXT: render_txt(&o, b); break;
	case BRIEF_FMT_JSON: render_json(&o, b); break;
	default:
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
