/* sections.conf: the briefing's sections (name, emoji, order, weighted
 * keywords, feeds that lean to them) and the plan's global knobs. Our own
 * reader rather than util_config, because keyword blocks are open-ended
 * lists whose keys are phrases. The format is documented at the top of
 * feeds/sections.conf. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "brief/brief_int.h"
#include "brief/plan_int.h"
#include "util/util.h"

/* The bundled feeds/sections.conf, embedded at build time. */
__asm__(".section .rodata\n"
	".global brief_sections_conf\n"
	".type brief_sections_conf, @object\n"
	".balign 16\n"
	"brief_sections_conf:\n"
	".incbin \"feeds/sections.conf\"\n"
	".byte 0\n"
	".global brief_sections_conf_end\n"
	"brief_sections_conf_end:\n"
	".previous\n");
extern const char brief_sections_conf[];
extern const char brief_sections_conf_end[];

/* The bundled feeds/lexicon.conf, embedded at build time. */
__asm__(".section .rodata\n"
	".global brief_lexicon_conf\n"
	".type brief_lexicon_conf, @object\n"
	".balign 16\n"
	"brief_lexicon_conf:\n"
	".incbin \"feeds/lexicon.conf\"\n"
	".byte 0\n"
	".global brief_lexicon_conf_end\n"
	"brief_lexicon_conf_end:\n"
	".previous\n");
extern const char brief_lexicon_conf[];
extern const char brief_lexicon_conf_end[];

#define CONF_MAX (1u << 20)   /* a user's file larger than this is refused */
#define BUILTIN_NAME "feeds/sections.conf (built in)"
#define LEXICON_NAME "feeds/lexicon.conf (built in)"

const char *brief_sections_builtin(size_t *len)
{
	if (len)
		*len = (size_t)(brief_sections_conf_end - brief_sections_conf) - 1;
	return brief_sections_conf;
}

const char *brief_lexicon_builtin(size_t *len)
{
	if (len)
		*len = (size_t)(brief_lexicon_conf_end - brief_lexicon_conf) - 1;
	return brief_lexicon_conf;
}

void brief_sections_free(struct brief_sections *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct brief_section *x = &s->s[i];
		free(x->id);
		free(x->name);
		free(x->emoji);
		for (size_t k = 0; k < x->n_kw; k++)
			free(x->kw[k].phrase);
		free(x->kw);
		for (size_t k = 0; k < x->n_feeds; k++)
			free(x->feeds[k]);
		free(x->feeds);
	}
	free(s->s);
	for (size_t k = 0; k < s->n_off; k++)
		free(s->off[k].phrase);
	free(s->off);
	memset(s, 0, sizeof *s);
}

/* Parser state. */
struct reader {
	const char *name;
	int line;
	char *err;
	struct brief_sections *out;
	int *declared;        /* per section: its [section.id] header was seen */
	int *decl_line;       /* line of the first mention, for messages */
	int *has_order;
};

static int fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct reader *r, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!r->err)
		r->err = util_strfmt("%s:%d: %s", r->name, r->line, msg ? msg : "out of memory");
	free(msg);
	return -1;
}

static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_size(const char *s, long min, long max, size_t *out)
{
	long v;
	if (util_parse_long(s, min, max, &v) < 0)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* Section index by id, creating it when absent. -1 out of memory. */
static int section_get(struct reader *r, const char *id)
{
	struct brief_sections *o = r->out;
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->s[i].id, id) == 0)
			return (int)i;
	size_t n = o->n + 1;
	struct brief_section *s = realloc(o->s, n * sizeof *s);
	if (!s)
		return -1;
	o->s = s;
	int *d = realloc(r->declared, n * sizeof *d);
	if (d)
		r->declared = d;
	int *dl = realloc(r->decl_line, n * sizeof *dl);
	if (dl)
		r->decl_line = dl;
	int *ho = realloc(r->has_order, n * sizeof *ho);
	if (ho)
		r->has_order = ho;
	if (!d || !dl || !ho)
		return -1;
	struct brief_section *x = &o->s[o->n];
	memset(x, 0, sizeof *x);
	x->id = util_strdup(id);
	if (!x->id)
		return -1;
	x->feed_weight = 1.0;
	r->declared[o->n] = 0;
	r->decl_line[o->n] = r->line;
	r->has_order[o->n] = 0;
	o->n = n;
	return (int)(n - 1);
}

static int valid_id(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* Strip a trailing comment (# or ; after whitespace) and surrounding
 * quotes. In place. */
static char *clean_value(char *v)
{
	v = util_str_trim(v);
	if (*v == '"' || *v == '\'') {
		char q = *v;
		char *end = strchr(v + 1, q);
		if (end) {
			*end = 0;
			return v + 1;
		}
	}
	if (!*v)
		return v;
	for (char *p = v + 1; *p; p++)
		if ((*p == '#' || *p == ';') && (p[-1] == ' ' || p[-1] == '\t')) {
			*p = 0;
			break;
		}
	return util_str_trim(v);
}

static int add_feeds(struct reader *r, struct brief_section *x, char *v)
{
	char *save = NULL;
	for (char *tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = util_str_trim(tok);
		if (!*tok)
			continue;
		char **f = realloc(x->feeds, (x->n_feeds + 1) * sizeof *f);
		if (!f)
			return fail(r, "out of memory");
		x->feeds = f;
		if (!(x->feeds[x->n_feeds] = util_strdup(tok)))
			return fail(r, "out of memory");
		x->n_feeds++;
	}
	return 0;
}

static int global_key(struct reader *r, const char *k, const char *v)
{
	struct brief_sections *o = r->out;
	if (strcmp(k, "min_score") == 0) {
		if (parse_double(v, -1000, 1000, &o->min_score) < 0)
			return fail(r, "min_score: '%s' is not a number", v);
	} else if (strcmp(k, "max_stories") == 0) {
		if (parse_size(v, 1, 1000, &o->max_total) < 0)
			return fail(r, "max_stories: '%s' is not a whole number from 1 to 1000", v);
	} else if (strcmp(k, "cluster_threshold") == 0) {
		if (parse_double(v, 0.01, 1.0, &o->cluster_threshold) < 0)
			return fail(r, "cluster_threshold: '%s' is not a number from 0.01 to 1", v);
	} else if (strcmp(k, "half_life_hours") == 0) {
		if (parse_double(v, 0.1, 100000, &o->half_life_h) < 0)
			return fail(r, "half_life_hours: '%s' is not a positive number of hours", v);
	} else if (strcmp(k, "source_weight") == 0) {
		if (parse_double(v, 0, 100, &o->source_weight) < 0)
			return fail(r, "source_weight: '%s' is not a number from 0 to 100", v);
	} else {
		return fail(r, "unknown setting '%s' (expected min_score, max_stories, "
			    "cluster_threshold, half_life_hours or source_weight)", k);
	}
	return 0;
}

/* A name or emoji as it will be shown in a terminal, stored and exported:
 * control characters and escape sequences removed, blanks trimmed. */
static char *display_text(const char *v)
{
	char *t = util_text_sanitize(v, strlen(v), 0);
	if (!t)
		return NULL;
	char *b = t;
	while (*b == ' ')
		b++;
	size_t n = strlen(b);
	while (n > 0 && b[n - 1] == ' ')
		n--;
	memmove(t, b, n);
	t[n] = '\0';
	return t;
}

static int section_key(struct reader *r, struct brief_section *x, int idx, const char *k, char *v)
{
	if (strcmp(k, "name") == 0) {
		free(x->name);
		if (!(x->name = display_text(v)))
			return fail(r, "out of memory");
		if (!*x->name)
			return fail(r, "name is empty");
	} else if (strcmp(k, "emoji") == 0) {
		free(x->emoji);
		if (!(x->emoji = display_text(v)))
			return fail(r, "out of memory");
	} else if (strcmp(k, "order") == 0) {
		long o;
		if (util_parse_long(v, 0, 99999, &o) < 0)
			return fail(r, "order: '%s' is not a whole number from 0 to 99999", v);
		x->order = (int)o;
		r->has_order[idx] = 1;
	} else if (strcmp(k, "max_stories") == 0) {
		if (parse_size(v, 0, 1000, &x->max_stories) < 0)
			return fail(r, "max_stories: '%s' is not a whole number from 0 to 1000", v);
	} else if (strcmp(k, "feed_weight") == 0) {
		if (parse_double(v, -1000, 1000, &x->feed_weight) < 0)
			return fail(r, "feed_weight: '%s' is not a number", v);
	} else if (strcmp(k, "feeds") == 0 || strcmp(k, "feed") == 0) {
		return add_feeds(r, x, v);
	} else if (strcmp(k, "catch_all") == 0) {
		int yes = !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1");
		if (!yes && strcasecmp(v, "no") && strcasecmp(v, "false") && strcmp(v, "0"))
			return fail(r, "catch_all: '%s' is not yes or no", v);
		x->catch_all = yes;
	} else {
		return fail(r, "unknown key '%s' (expected name, emoji, order, max_stories, "
			    "feed_weight, feeds or catch_all; keywords go in a [section.<id>.keywords] "
			    "block)", k);
	}
	return 0;
}

/* "phrase = weight" (weight 1 when absent): the phrase lower-cased, its
 * spaces squeezed, checked to hold a word. In place; *phrase points into
 * line. */
static int phrase_line(struct reader *r, char *line, char **phrase, double *weight)
{
	char *eq = strchr(line, '=');
	*weight = 1.0;
	if (eq) {
		*eq = 0;
		char *v = clean_value(eq + 1);
		if (parse_double(v, -1000, 1000, weight) < 0)
			return fail(r, "keyword weight '%s' is not a number", v);
	}
	char *p = clean_value(line);     /* quotes, a trailing comment */
	/* lower-case ASCII, squeeze spaces */
	for (char *c = p; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	util_str_squeeze(p);
	struct plan_words words = {0};
	if (plan_words_add(&words, p, 0, 0) < 0)
		return fail(r, "out of memory");
	size_t nw = words.n;
	plan_words_free(&words);
	if (nw == 0)
		return fail(r, "keyword '%s' has no letters or digits", p);
	*phrase = p;
	return 0;
}

static int kw_push(struct reader *r, struct brief_keyword **kw, size_t *n, const char *p,
		   double w, int entity)
{
	struct brief_keyword *nk = realloc(*kw, (*n + 1) * sizeof *nk);
	if (!nk)
		return fail(r, "out of memory");
	*kw = nk;
	if (!(nk[*n].phrase = util_strdup(p)))
		return fail(r, "out of memory");
	nk[*n].weight = w;
	nk[*n].entity = entity;
	(*n)++;
	return 0;
}

static int keyword_line(struct reader *r, struct brief_section *x, char *line)
{
	char *p;
	double w;
	if (phrase_line(r, line, &p, &w) < 0)
		return -1;
	return kw_push(r, &x->kw, &x->n_kw, p, w, 0);
}

/* Header "[...]": sets *cur (section index, -1 = global) and *kw. */
static int header(struct reader *r, char *line, int *cur, int *kw)
{
	char *end = strchr(line, ']');
	if (!end)
		return fail(r, "section header without ']'");
	char *rest = clean_value(end + 1);
	if (*rest)
		return fail(r, "text after the section header: '%s'", rest);
	*end = 0;
	char *h = util_str_trim(line + 1);
	if (strncmp(h, "section.", 8) != 0)
		return fail(r, "unknown block '[%s]' (expected [section.<id>] or "
			    "[section.<id>.keywords])", h);
	char *id = h + 8;
	*kw = 0;
	char *dot = strchr(id, '.');
	if (dot) {
		if (strcmp(dot, ".keywords") != 0)
			return fail(r, "unknown block '[%s]' (expected [section.<id>] or "
				    "[section.<id>.keywords])", h);
		*dot = 0;
		*kw = 1;
	}
	if (!valid_id(id))
		return fail(r, "section id '%s' must be lower-case letters, digits, '_' or '-'", id);
	int idx = section_get(r, id);
	if (idx < 0)
		return fail(r, "out of memory");
	if (!*kw) {
		if (r->declared[idx])
			return fail(r, "section '%s' is defined twice", id);
		r->declared[idx] = 1;
		r->decl_line[idx] = r->line;
	}
	*cur = idx;
	return 0;
}

static int parse_lines(struct reader *r, char *text)
{
	int cur = -1, kw = 0;
	char *line = text;
	while (line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		r->line++;
		size_t ll = strlen(line);
		if (ll && line[ll - 1] == '\r')
			line[ll - 1] = 0;
		if (r->line == 1 && (unsigned char)line[0] == 0xEF &&
		    (unsigned char)line[1] == 0xBB && (unsigned char)line[2] == 0xBF)
			line += 3;      /* byte order mark */
		if (!util_utf8_valid(line, strlen(line)))
			return fail(r, "not valid UTF-8");
		char *p = util_str_trim(line);
		if (!*p || *p == '#' || *p == ';') {
			/* blank or comment */
		} else if (*p == '[') {
			if (header(r, p, &cur, &kw) < 0)
				return -1;
		} else if (kw) {
			if (keyword_line(r, &r->out->s[cur], p) < 0)
				return -1;
		} else {
			char *eq = strchr(p, '=');
			if (!eq)
				return fail(r, "expected 'key = value', got '%s'", p);
			*eq = 0;
			char *k = util_str_trim(p);
			char *v = clean_value(eq + 1);
			if (!*k)
				return fail(r, "missing key before '='");
			if (cur < 0 ? global_key(r, k, v) < 0
				    : section_key(r, &r->out->s[cur], cur, k, v) < 0)
				return -1;
		}
		line = nl && nl[1] ? nl + 1 : NULL;
	}
	return 0;
}


/* The catch-all section a sections.conf without one gets: after every
 * other section, at most two stories. */
static int add_catch_all(struct brief_sections *o)
{
	const char *id = "other";
	int order = 0;
	for (size_t i = 0; i < o->n; i++) {
		if (!strcmp(o->s[i].id, "other"))
			id = "catch-all";
		if (o->s[i].order > order)
			order = o->s[i].order;
	}
	struct brief_section *s = realloc(o->s, (o->n + 1) * sizeof *s);
	if (!s)
		return -1;
	o->s = s;
	struct brief_section *x = &s[o->n];
	memset(x, 0, sizeof *x);
	x->id = util_strdup(id);
	x->name = util_strdup("Also in the News");
	x->emoji = util_strdup("\xf0\x9f\x93\xb0");   /* newspaper */
	x->order = order + 1;
	x->max_stories = o->max_total < 2 ? o->max_total : 2;
	x->feed_weight = 1.0;
	x->catch_all = 1;
	o->n++;
	return x->id && x->name && x->emoji ? 0 : -1;
}

int brief_sections_parse(const char *text, size_t len, const char *name,
			 struct brief_sections *out, char **err)
{
	struct reader r = { .name = name ? name : "sections.conf", .out = out };
	memset(out, 0, sizeof *out);
	out->min_score = 2.0;
	out->max_total = 10;
	out->cluster_threshold = 0.35;
	out->half_life_h = 12.0;
	out->source_weight = 0.5;
	if (err)
		*err = NULL;
	if (memchr(text, 0, len)) {
		r.line = 0;
		fail(&r, "contains a NUL byte");
		goto bad;
	}
	char *copy = util_strndup(text, len);
	if (!copy) {
		free(r.declared), free(r.decl_line), free(r.has_order);
		return BRIEF_ERR_NOMEM;
	}
	int rc = parse_lines(&r, copy);
	free(copy);
	if (rc < 0)
		goto bad;
	for (size_t i = 0; i < out->n; i++) {
		r.line = r.decl_line[i];
		if (!r.declared[i]) {
			r.err = util_strfmt("%s:%d: keywords for section '%s', which has no "
					    "[section.%s] block", r.name, r.line, out->s[i].id,
					    out->s[i].id);
			goto bad;
		}
		if (!out->s[i].name) {
			fail(&r, "section '%s' has no name", out->s[i].id);
			goto bad;
		}
		if (!out->s[i].emoji && !(out->s[i].emoji = util_strdup(""))) {
			fail(&r, "out of memory");
			goto bad;
		}
		if (!r.has_order[i])
			out->s[i].order = 100000 + (int)i;  /* after the ordered ones, in file order */
		if (out->s[i].max_stories == 0)
			out->s[i].max_stories = out->max_total;
	}
	if (out->n == 0) {
		r.line = r.line > 0 ? r.line : 1;
		fail(&r, "no sections defined (expected at least one [section.<id>] block)");
		goto bad;
	}
	size_t n_catch = 0;
	for (size_t i = 0; i < out->n; i++)
		if (out->s[i].catch_all && ++n_catch > 1) {
			r.line = r.decl_line[i];
			fail(&r, "section '%s' is a second catch_all section (one at most)",
			     out->s[i].id);
			goto bad;
		}
	if (!n_catch && add_catch_all(out) < 0) {
		fail(&r, "out of memory");
		goto bad;
	}
	/* By order, ties in file order (insertion sort: few sections, stable). */
	for (size_t i = 1; i < out->n; i++) {
		struct brief_section t = out->s[i];
		size_t j = i;
		while (j > 0 && out->s[j - 1].order > t.order) {
			out->s[j] = out->s[j - 1];
			j--;
		}
		out->s[j] = t;
	}
	for (size_t i = 0; i < out->n; i++)
		if (out->s[i].catch_all)
			out->catch_all = (int)i;
	free(r.declared), free(r.decl_line), free(r.has_order);
	return BRIEF_OK;
bad:
	free(r.declared), free(r.decl_line), free(r.has_order);
	brief_sections_free(out);
	if (err)
		*err = r.err;
	else
		free(r.err);
	return BRIEF_ERR_CONFIG;
}

/* ---- the lexicon ---------------------------------------------------------- */

/* Set phrase p to weight w in list kw (entity entries only; a keyword of
 * sections.conf stays as it is): weight 0 removes it. */
static int lexicon_put(struct reader *r, struct brief_keyword **kw, size_t *n, const char *p,
		       double w)
{
	for (size_t k = 0; k < *n; k++) {
		if (strcmp((*kw)[k].phrase, p))
			continue;
		if (!(*kw)[k].entity)
			return 0;
		if (w != 0) {
			(*kw)[k].weight = w;
			return 0;
		}
		free((*kw)[k].phrase);
		memmove(&(*kw)[k], &(*kw)[k + 1], (*n - k - 1) * sizeof **kw);
		(*n)--;
		return 0;
	}
	return w == 0 ? 0 : kw_push(r, kw, n, p, w, 1);
}

int brief_lexicon_parse(const char *text, size_t len, const char *name,
			struct brief_sections *secs, char **err)
{
	struct reader r = { .name = name ? name : "lexicon.conf", .out = secs };
	char *copy = NULL;
	int cur = -2;      /* -2: before any block; -1: [off-topic] */

	if (err)
		*err = NULL;
	if (memchr(text, 0, len)) {
		fail(&r, "contains a NUL byte");
		goto bad;
	}
	if (!(copy = util_strndup(text, len)))
		return BRIEF_ERR_NOMEM;
	for (char *line = copy; line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		r.line++;
		size_t ll = strlen(line);
		if (ll && line[ll - 1] == '\r')
			line[ll - 1] = 0;
		if (r.line == 1 && !strncmp(line, "\xef\xbb\xbf", 3))
			line += 3;
		if (!util_utf8_valid(line, strlen(line))) {
			fail(&r, "not valid UTF-8");
			goto bad;
		}
		char *p = util_str_trim(line);
		if (!*p || *p == '#' || *p == ';') {
			/* blank or comment */
		} else if (*p == '[') {
			char *end = strchr(p, ']');
			if (!end) {
				fail(&r, "block header without ']'");
				goto bad;
			}
			char *rest = clean_value(end + 1);
			if (*rest) {
				fail(&r, "text after the block header: '%s'", rest);
				goto bad;
			}
			*end = 0;
			char *id = util_str_trim(p + 1);
			if (!strcmp(id, "off-topic")) {
				cur = -1;
			} else if (valid_id(id)) {
				cur = secs->catch_all;
				for (size_t i = 0; i < secs->n; i++)
					if (!strcmp(secs->s[i].id, id))
						cur = (int)i;
			} else {
				fail(&r, "'[%s]': expected a section id (lower-case letters, digits, "
				     "'_' or '-') or [off-topic]", id);
				goto bad;
			}
		} else if (cur == -2) {
			fail(&r, "'%s' before any [<section id>] or [off-topic] block", p);
			goto bad;
		} else {
			char *ph;
			double w;
			if (phrase_line(&r, p, &ph, &w) < 0)
				goto bad;
			struct brief_section *x = cur >= 0 ? &secs->s[cur] : NULL;
			if (lexicon_put(&r, x ? &x->kw : &secs->off, x ? &x->n_kw : &secs->n_off,
					ph, w) < 0)
				goto bad;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(copy);
	return BRIEF_OK;
bad:
	free(copy);
	if (err)
		*err = r.err;
	else
		free(r.err);
	return BRIEF_ERR_CONFIG;
}

static int load_file(const char *path, char **text, size_t *len, char **err)
{
	if (util_file_read_regular(path, CONF_MAX, text, len) < 0) {
		if (err)
			*err = util_strfmt("%s: %s", path, util_file_strerror(errno));
		return BRIEF_ERR_CONFIG;
	}
	return BRIEF_OK;
}

/* The bundled lexicon, then user_path's when not NULL. */
static int apply_lexicons(struct brief_sections *out, const char *user_path, char **err)
{
	size_t len;
	const char *t = brief_lexicon_builtin(&len);
	int rc = brief_lexicon_parse(t, len, LEXICON_NAME, out, err);
	if (rc == BRIEF_OK && user_path) {
		char *text = NULL;
		if ((rc = load_file(user_path, &text, &len, err)) == BRIEF_OK)
			rc = brief_lexicon_parse(text, len, user_path, out, err);
		free(text);
	}
	if (rc != BRIEF_OK)
		brief_sections_free(out);
	return rc;
}

static int load_sections(const char *path, const char *lexicon, struct brief_sections *out,
			 char **err)
{
	int rc;
	if (!path) {
		size_t len;
		const char *t = brief_sections_builtin(&len);
		rc = brief_sections_parse(t, len, BUILTIN_NAME, out, err);
	} else {
		char *text = NULL;
		size_t len = 0;
		memset(out, 0, sizeof *out);
		if ((rc = load_file(path, &text, &len, err)) == BRIEF_OK)
			rc = brief_sections_parse(text, len, path, out, err);
		free(text);
	}
	return rc == BRIEF_OK ? apply_lexicons(out, lexicon, err) : rc;
}

int brief_sections_load(const char *path, struct brief_sections *out, char **err)
{
	return load_sections(path, NULL, out, err);
}

int brief_sections_load_dir(const char *config_dir, struct brief_sections *out, char **err)
{
	if (!config_dir || !*config_dir)
		return brief_sections_load(NULL, out, err);
	char *path = util_strfmt("%s/sections.conf", config_dir);
	char *lex = util_strfmt("%s/lexicon.conf", config_dir);
	int rc = BRIEF_ERR_NOMEM;
	if (path && lex)
		rc = load_sections(access(path, F_OK) == 0 ? path : NULL,
				   access(lex, F_OK) == 0 ? lex : NULL, out, err);
	free(path);
	free(lex);
	return rc;
}

int brief_sections_check(const char *config_dir, char **summary, char **err)
{
	struct brief_sections s;
	*summary = *err = NULL;
	int rc = brief_sections_load_dir(config_dir, &s, err);
	if (rc != BRIEF_OK) {
		if (!*err)
			*err = util_strdup(brief_strerror(rc));
		return rc;
	}
	size_t kw = 0, ent = 0;
	for (size_t i = 0; i < s.n; i++)
		for (size_t k = 0; k < s.s[i].n_kw; k++) {
			kw += !s.s[i].kw[k].entity;
			ent += s.s[i].kw[k].entity;
		}
	*summary = util_strfmt("%zu sections (catch-all '%s'), %zu keywords, %zu entities, "
			       "%zu off-topic words", s.n, s.s[s.catch_all].id, kw, ent, s.n_off);
	brief_sections_free(&s);
	return *summary ? BRIEF_OK : BRIEF_ERR_NOMEM;
}
