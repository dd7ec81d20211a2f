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

#define CONF_MAX (1u << 20)   /* a user's file larger than this is refused */
#define BUILTIN_NAME "feeds/sections.conf (built in)"

const char *brief_sections_builtin(size_t *len)
{
	if (len)
		*len = (size_t)(brief_sections_conf_end - brief_sections_conf) - 1;
	return brief_sections_conf;
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
	} else {
		return fail(r, "unknown key '%s' (expected name, emoji, order, max_stories, "
			    "feed_weight or feeds; keywords go in a [section.<id>.keywords] block)", k);
	}
	return 0;
}

static int keyword_line(struct reader *r, struct brief_section *x, char *line)
{
	char *eq = strchr(line, '=');
	double w = 1.0;
	if (eq) {
		*eq = 0;
		char *v = clean_value(eq + 1);
		if (parse_double(v, -1000, 1000, &w) < 0)
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
	struct brief_keyword *kw = realloc(x->kw, (x->n_kw + 1) * sizeof *kw);
	if (!kw)
		return fail(r, "out of memory");
	x->kw = kw;
	if (!(x->kw[x->n_kw].phrase = util_strdup(p)))
		return fail(r, "out of memory");
	x->kw[x->n_kw].weight = w;
	x->n_kw++;
	return 0;
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

int brief_sections_load(const char *path, struct brief_sections *out, char **err)
{
	if (!path) {
		size_t len;
		const char *t = brief_sections_builtin(&len);
		return brief_sections_parse(t, len, BUILTIN_NAME, out, err);
	}
	char *text = NULL;
	size_t len = 0;
	memset(out, 0, sizeof *out);
	if (util_file_read_regular(path, CONF_MAX, &text, &len) < 0) {
		if (err)
			*err = util_strfmt("%s: %s", path, util_file_strerror(errno));
		return BRIEF_ERR_CONFIG;
	}
	int rc = brief_sections_parse(text, len, path, out, err);
	free(text);
	return rc;
}

int brief_sections_load_dir(const char *config_dir, struct brief_sections *out, char **err)
{
	if (!config_dir || !*config_dir)
		return brief_sections_load(NULL, out, err);
	char *path = util_strfmt("%s/sections.conf", config_dir);
	if (!path)
		return BRIEF_ERR_NOMEM;
	int rc;
	if (access(path, F_OK) == 0)
		rc = brief_sections_load(path, out, err);
	else
		rc = brief_sections_load(NULL, out, err);
	free(path);
	return rc;
}
