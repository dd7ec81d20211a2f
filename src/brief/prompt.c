/* prompt.c — prompt templates with {{placeholders}}, styles (template sets
 * with a layout), user overrides from the config dir, and the fencing of
 * untrusted feed text as data. The bundled prompts/ are embedded at build
 * time so the binary works from anywhere.
 *
 * The records handed to the model (and to the extractive backend as
 * llm_request.data) are blank-line separated; each starts with a header
 * line ("Source 1", "Story 1") followed by "Key: value" lines:
 *   Source N / Feed / Title / Link / Published / Text
 *   Story N / Section / Headline / Text / Sources / Feeds */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "brief/brief_write.h"
#include "util/util.h"

/* ---- the bundled prompts ----------------------------------------------------- */

#define EMBED(sym, file)                                 \
	__asm__(".section .rodata\n"                     \
		".balign 16\n"                           \
		".type " #sym ", @object\n"              \
		#sym ":\n"                               \
		".incbin \"" file "\"\n"                 \
		".byte 0\n"                              \
		".previous\n");                          \
	extern const char sym[]

EMBED(p_system, "prompts/system.txt");
EMBED(p_story, "prompts/story.txt");
EMBED(p_shortlist, "prompts/shortlist.txt");
EMBED(p_assessment, "prompts/assessment.txt");
EMBED(p_tagline, "prompts/tagline.txt");
EMBED(p_dg_system, "prompts/digest/system.txt");
EMBED(p_dg_story, "prompts/digest/story.txt");
EMBED(p_dg_shortlist, "prompts/digest/shortlist.txt");
EMBED(p_dg_assessment, "prompts/digest/assessment.txt");
EMBED(p_dg_tagline, "prompts/digest/tagline.txt");
EMBED(p_in_system, "prompts/insights/system.txt");
EMBED(p_in_story, "prompts/insights/story.txt");
EMBED(p_in_assessment, "prompts/insights/assessment.txt");
EMBED(p_in_tagline, "prompts/insights/tagline.txt");

static const char *const tpl_files[BRIEF_TPL_N] = {
	"system.txt", "story.txt", "shortlist.txt", "assessment.txt", "tagline.txt",
};

struct bundled_style {
	const char *name;
	enum brief_layout layout;
	size_t max_stories, full;
	const char *tpl[BRIEF_TPL_N];  /* NULL = the default set's */
};

static const struct bundled_style bundled[] = {
	{ "secretary", BRIEF_LAYOUT_SECTIONS, 0, 0,
	  { p_system, p_story, p_shortlist, p_assessment, p_tagline } },
	{ "digest", BRIEF_LAYOUT_DIGEST, 0, 4,
	  { p_dg_system, p_dg_story, p_dg_shortlist, p_dg_assessment, p_dg_tagline } },
	{ "insights", BRIEF_LAYOUT_INSIGHTS, 5, 0,
	  { p_in_system, p_in_story, NULL, p_in_assessment, p_in_tagline } },
};
#define N_BUNDLED (sizeof bundled / sizeof bundled[0])

#define TPL_MAX (256u << 10)   /* a user's template larger than this is refused */

const char *brief_tpl_file(enum brief_tpl t)
{
	return (unsigned)t < BRIEF_TPL_N ? tpl_files[t] : "?";
}

/* ---- placeholders ------------------------------------------------------------ */

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

int brief_template_expand(const char *tpl, const char *tpl_name, const struct brief_var *vars,
			  size_t n_vars, char **out, char **err)
{
	struct util_buf b;
	const char *p = tpl;

	*out = NULL;
	if (err)
		*err = NULL;
	if (!tpl)
		return BRIEF_ERR_ARG;
	util_buf_init(&b);
	while (*p) {
		const char *open = strstr(p, "{{");
		if (!open) {
			if (util_buf_puts(&b, p))
				goto nomem;
			break;
		}
		if (util_buf_append(&b, p, (size_t)(open - p)))
			goto nomem;
		const char *q = open + 2;
		while (*q == ' ')
			q++;
		const char *name = q;
		while (is_name_char(*q))
			q++;
		size_t nlen = (size_t)(q - name);
		while (*q == ' ')
			q++;
		if (nlen == 0 || q[0] != '}' || q[1] != '}') {
			const char *nl = strchr(open, '\n');
			int show = nl ? (int)(nl - open) : (int)strlen(open);
			if (show > 40)
				show = 40;
			if (err)
				*err = util_strfmt("%s: unclosed or malformed placeholder '%.*s'",
						   tpl_name ? tpl_name : "template", show, open);
			util_buf_free(&b);
			return BRIEF_ERR_CONFIG;
		}
		size_t i;
		for (i = 0; i < n_vars; i++)
			if (strlen(vars[i].name) == nlen && !strncmp(vars[i].name, name, nlen))
				break;
		if (i == n_vars) {
			if (err)
				*err = util_strfmt("%s: unknown placeholder {{%.*s}}",
						   tpl_name ? tpl_name : "template", (int)nlen, name);
			util_buf_free(&b);
			return BRIEF_ERR_CONFIG;
		}
		if (vars[i].value && util_buf_puts(&b, vars[i].value))
			goto nomem;
		p = q + 2;
	}
	*out = util_buf_steal(&b);
	if (!*out)
		goto nomem;
	return BRIEF_OK;
nomem:
	util_buf_free(&b);
	return BRIEF_ERR_NOMEM;
}

/* ---- styles ------------------------------------------------------------------ */

static int is_dir(const char *p)
{
	struct stat sb;
	return p && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Read path if it exists: 1 found (*text set), 0 absent, -1 error (*err). */
static int try_read(const char *path, char **text, char **err)
{
	size_t len = 0;
	if (util_file_read_regular(path, TPL_MAX, text, &len) == 0) {
		if (!util_utf8_valid(*text, len)) {
			*err = util_strfmt("%s: not valid UTF-8", path);
			free(*text);
			*text = NULL;
			return -1;
		}
		return 1;
	}
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	*err = util_strfmt("cannot read %s: %s", path, util_file_strerror(errno));
	return -1;
}

static const struct bundled_style *find_bundled(const char *name)
{
	for (size_t i = 0; i < N_BUNDLED; i++)
		if (!strcmp(bundled[i].name, name))
			return &bundled[i];
	return NULL;
}

static int valid_style_name(const char *s)
{
	if (!*s || strlen(s) > 64 || s[0] == '.')
		return 0;
	for (; *s; s++)
		if (!is_name_char(*s) && *s != '-' && *s != '.')
			return 0;
	return 1;
}

static int load_one(struct brief_style *st, int t, const struct bundled_style *bs,
		    const char *config_dir, const char *data_dir, int user_style, char **err)
{
	const char *file = tpl_files[t];
	char *path = NULL, *text = NULL;
	int r;

	/* 1. the user's style directory */
	if (config_dir && (user_style || bs)) {
		path = util_strfmt("%s/styles/%s/%s", config_dir, st->name, file);
		if (!path)
			return BRIEF_ERR_NOMEM;
		if ((r = try_read(path, &text, err)) != 0)
			goto found;
		free(path);
		path = NULL;
	}
	/* 2. the bundled style's own template */
	if (bs && strcmp(bs->name, "secretary") != 0 && bs->tpl[t]) {
		if (data_dir) {
			path = util_strfmt("%s/prompts/%s/%s", data_dir, bs->name, file);
			if (!path)
				return BRIEF_ERR_NOMEM;
			if ((r = try_read(path, &text, err)) != 0)
				goto found;
			free(path);
			path = NULL;
		}
		text = util_strdup(bs->tpl[t]);
		path = util_strfmt("built in prompts/%s/%s", bs->name, file);
		r = text && path ? 1 : -2;
		goto found;
	}
	/* 3. the user's override of the default set */
	if (config_dir) {
		path = util_strfmt("%s/prompts/%s", config_dir, file);
		if (!path)
			return BRIEF_ERR_NOMEM;
		if ((r = try_read(path, &text, err)) != 0)
			goto found;
		free(path);
		path = NULL;
	}
	/* 4. the default set */
	if (data_dir) {
		path = util_strfmt("%s/prompts/%s", data_dir, file);
		if (!path)
			return BRIEF_ERR_NOMEM;
		if ((r = try_read(path, &text, err)) != 0)
			goto found;
		free(path);
		path = NULL;
	}
	text = util_strdup(bundled[0].tpl[t]);
	path = util_strfmt("built in prompts/%s", file);
	r = text && path ? 1 : -2;
found:
	if (r < 0) {
		free(text);
		free(path);
		return r == -2 ? BRIEF_ERR_NOMEM : BRIEF_ERR_CONFIG;
	}
	st->tpl[t] = text;
	st->origin[t] = path;
	util_hash_hex(util_hash64(text, strlen(text)), st->hash[t]);
	return BRIEF_OK;
}

static int read_style_conf(struct brief_style *st, const char *config_dir, char **err)
{
	struct util_config *c = NULL;
	char *path = util_strfmt("%s/styles/%s/style.conf", config_dir, st->name);
	if (!path)
		return BRIEF_ERR_NOMEM;
	if (util_config_load(path, &c, err) != 0) {
		free(path);
		return BRIEF_ERR_CONFIG;
	}
	int rc = BRIEF_OK;
	const char *layout = util_config_get(c, "layout");
	if (layout) {
		if (brief_layout_parse(layout, &st->layout)) {
			*err = util_strfmt("%s: layout must be sections, digest or insights, not '%s'",
					   path, layout);
			rc = BRIEF_ERR_CONFIG;
		}
	}
	long v = util_config_get_long(c, "max_stories", (long)st->max_stories);
	if (v < 0 || v > 100) {
		if (!*err)
			*err = util_strfmt("%s: max_stories must be 0..100", path);
		rc = BRIEF_ERR_CONFIG;
	} else {
		st->max_stories = (size_t)v;
	}
	v = util_config_get_long(c, "full", (long)st->full);
	if (v < 0 || v > 100) {
		if (!*err)
			*err = util_strfmt("%s: full must be 0..100", path);
		rc = BRIEF_ERR_CONFIG;
	} else {
		st->full = (size_t)v;
	}
	if (st->layout == BRIEF_LAYOUT_DIGEST && st->full == 0)
		st->full = 4;
	util_config_free(c);
	free(path);
	return rc;
}

int brief_style_load(const char *name, const char *config_dir, const char *data_dir,
		     struct brief_style *out, char **err)
{
	const struct bundled_style *bs;
	int user_style = 0, rc;
	char *dir = NULL;

	*err = NULL;
	memset(out, 0, sizeof *out);
	if (!name || !*name)
		name = "secretary";
	if (!valid_style_name(name)) {
		*err = util_strfmt("'%s' is not a style name (letters, digits, - _ .)", name);
		return BRIEF_ERR_CONFIG;
	}
	bs = find_bundled(name);
	if (config_dir) {
		dir = util_strfmt("%s/styles/%s", config_dir, name);
		if (!dir)
			return BRIEF_ERR_NOMEM;
		user_style = is_dir(dir);
		free(dir);
	}
	if (!bs && !user_style) {
		*err = util_strfmt("unknown style '%s' (built in: secretary, digest, insights;"
				   " add your own as %s/styles/%s/)", name,
				   config_dir ? config_dir : "<config dir>", name);
		return BRIEF_ERR_CONFIG;
	}
	out->name = util_strdup(name);
	if (!out->name)
		return BRIEF_ERR_NOMEM;
	if (bs) {
		out->layout = bs->layout;
		out->max_stories = bs->max_stories;
		out->full = bs->full;
	}
	for (int t = 0; t < BRIEF_TPL_N; t++) {
		if ((rc = load_one(out, t, bs, config_dir, data_dir, user_style, err))) {
			brief_style_free(out);
			return rc;
		}
	}
	if (user_style && (rc = read_style_conf(out, config_dir, err))) {
		brief_style_free(out);
		return rc;
	}
	return BRIEF_OK;
}

void brief_style_free(struct brief_style *s)
{
	if (!s)
		return;
	free(s->name);
	for (int t = 0; t < BRIEF_TPL_N; t++) {
		free(s->tpl[t]);
		free(s->origin[t]);
	}
	memset(s, 0, sizeof *s);
}

char *brief_style_hashes(const struct brief_style *s)
{
	struct util_buf b;
	util_buf_init(&b);
	for (int t = 0; t < BRIEF_TPL_N; t++) {
		const char *f = tpl_files[t];
		if (util_buf_printf(&b, "%s%.*s=%s", t ? " " : "", (int)(strlen(f) - 4), f,
				    s->hash[t])) {
			util_buf_free(&b);
			return NULL;
		}
	}
	return util_buf_steal(&b);
}

/* ---- fencing ----------------------------------------------------------------- */

char *brief_neutralize(const char *s)
{
	struct util_buf b;
	char *clean;

	if (!s)
		s = "";
	clean = util_text_sanitize(s, strlen(s), 1);
	if (!clean)
		return NULL;
	util_buf_init(&b);
	for (const char *p = clean; *p; p++) {
		/* a run of three or more angle brackets becomes spaced out, so
		 * neither marker can be formed from the data */
		if ((*p == '<' || *p == '>') && p[1] == *p && p[2] == *p) {
			char c = *p;
			while (*p == c) {
				if (util_buf_putc(&b, c) || util_buf_putc(&b, ' '))
					goto nomem;
				p++;
			}
			p--;
			continue;
		}
		if (util_buf_putc(&b, *p))
			goto nomem;
	}
	free(clean);
	if (!b.data && util_buf_puts(&b, ""))
		goto nomem2;
	return util_buf_steal(&b);
nomem:
	free(clean);
nomem2:
	util_buf_free(&b);
	return NULL;
}

char *brief_fence(const char *data)
{
	char *n = brief_neutralize(data);
	if (!n)
		return NULL;
	/* trailing newlines would leave blank lines before the closing marker */
	size_t len = strlen(n);
	while (len && n[len - 1] == '\n')
		n[--len] = '\0';
	char *r = util_strfmt(BRIEF_FENCE_OPEN "\n%s\n" BRIEF_FENCE_CLOSE, n);
	free(n);
	return r;
}

/* ---- records ------------------------------------------------------------------ */

#define SOURCE_TEXT_MAX 1500  /* characters of an item's text shown to the model */
#define SOURCES_MAX 6

/* One "Key: value" line: value squeezed to one line, cut at max bytes on a
 * UTF-8 boundary (max 0 = no cut). */
static int put_field(struct util_buf *b, const char *key, const char *value, size_t max)
{
	char *v = util_text_sanitize(value ? value : "", value ? strlen(value) : 0, 0);
	if (!v)
		return -1;
	util_str_squeeze(v);
	size_t len = strlen(v);
	int cut = 0;
	if (max && len > max) {
		len = max;
		while (len && ((unsigned char)v[len] & 0xC0) == 0x80)
			len--;
		/* cut at the last space so no word is broken */
		size_t sp = len;
		while (sp > max / 2 && v[sp] != ' ')
			sp--;
		if (sp > max / 2)
			len = sp;
		v[len] = '\0';
		cut = 1;
	}
	int r = util_buf_printf(b, "%s: %s%s\n", key, v, cut ? " ..." : "");
	free(v);
	return r;
}

char *brief_sources_text(const struct brief_item *items, const struct brief_story *s)
{
	struct util_buf b;
	char when[32];

	util_buf_init(&b);
	for (size_t k = 0; k < s->n_items && k < SOURCES_MAX; k++) {
		const struct store_item *it = &items[s->items[k]].it;
		const char *text = !util_str_empty(it->content) &&
			(util_str_empty(it->summary) || strlen(it->content) > strlen(it->summary))
			? it->content : it->summary;
		if (util_buf_printf(&b, "%sSource %zu\n", k ? "\n" : "", k + 1) ||
		    put_field(&b, "Feed", it->feed_title ? it->feed_title : "", 0) ||
		    put_field(&b, "Title", it->title ? it->title : "", 0) ||
		    put_field(&b, "Link", it->url ? it->url : "", 0) ||
		    put_field(&b, "Published", util_time_iso(it->published, when, sizeof when), 0) ||
		    put_field(&b, "Text", text ? text : "", SOURCE_TEXT_MAX)) {
			util_buf_free(&b);
			return NULL;
		}
	}
	if (!b.data && util_buf_puts(&b, "")) {
		util_buf_free(&b);
		return NULL;
	}
	return util_buf_steal(&b);
}

char *brief_entries_text(const struct brief_entry *e, size_t n)
{
	struct util_buf b;
	util_buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		if (util_buf_printf(&b, "%sStory %zu\n", i ? "\n" : "", i + 1) ||
		    (e[i].section && put_field(&b, "Section", e[i].section, 0)) ||
		    put_field(&b, "Headline", e[i].headline, 0) ||
		    put_field(&b, "Text", e[i].body, 0) ||
		    util_buf_printf(&b, "Sources: %zu\n", e[i].n_sources) ||
		    put_field(&b, "Feeds", e[i].feeds ? e[i].feeds : "", 0)) {
			util_buf_free(&b);
			return NULL;
		}
	}
	if (!b.data && util_buf_puts(&b, "")) {
		util_buf_free(&b);
		return NULL;
	}
	return util_buf_steal(&b);
}
