/* INI configuration: [section], key = value, # and ; comments. */
#include "util/util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct config_entry {
	char *key;   /* "section.key", owned */
	char *value; /* owned */
};

struct util_config {
	struct config_entry *v;
	size_t n, cap;
};

struct util_config *util_config_new(void)
{
	return calloc(1, sizeof(struct util_config));
}

void util_config_free(struct util_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].key);
		free(c->v[i].value);
	}
	free(c->v);
	free(c);
}

static struct config_entry *config_find(const struct util_config *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].key, key) == 0)
			return &c->v[i];
	return NULL;
}

const char *util_config_get(const struct util_config *c, const char *key)
{
	if (!c || !key)
		return NULL;
	struct config_entry *e = config_find(c, key);
	return e ? e->value : NULL;
}

long util_config_get_long(const struct util_config *c, const char *key, long def)
{
	long v;
	const char *s = util_config_get(c, key);
	if (!s || util_parse_long(s, LONG_MIN, LONG_MAX, &v) < 0)
		return def;
	return v;
}

int util_config_set(struct util_config *c, const char *key, const char *value)
{
	if (!c || !key || !value)
		return -1;
	char *nv = util_strdup(value);
	if (!nv)
		return -1;
	struct config_entry *e = config_find(c, key);
	if (e) {
		free(e->value);
		e->value = nv;
		return 0;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct config_entry *v = realloc(c->v, cap * sizeof *v);
		if (!v) {
			free(nv);
			return -1;
		}
		c->v = v;
		c->cap = cap;
	}
	char *nk = util_strdup(key);
	if (!nk) {
		free(nv);
		return -1;
	}
	c->v[c->n].key = nk;
	c->v[c->n].value = nv;
	c->n++;
	return 0;
}

static int is_key_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || ch == '.';
}

/* Parse the value part of a line in place: optional "..." or '...' quotes
 * (with \" \\ \n \t escapes in double quotes), else up to an inline comment
 * that follows whitespace. Returns NULL with *msg on error. */
static char *parse_value(char *s, const char **msg)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '"' || *s == '\'') {
		char q = *s;
		char *r = s + 1, *w = s;
		for (;; r++) {
			if (*r == '\0') {
				*msg = "unterminated quoted value";
				return NULL;
			}
			if (*r == q)
				break;
			if (q == '"' && *r == '\\' && r[1]) {
				r++;
				switch (*r) {
				case 'n': *w++ = '\n'; break;
				case 't': *w++ = '\t'; break;
				default: *w++ = *r; break;
				}
				continue;
			}
			*w++ = *r;
		}
		char *tail = r + 1;
		*w = '\0';
		while (*tail == ' ' || *tail == '\t')
			tail++;
		if (*tail && *tail != '#' && *tail != ';') {
			*msg = "unexpected text after quoted value";
			return NULL;
		}
		return s;
	}
	for (char *p = s; *p; p++) {
		if ((*p == '#' || *p == ';') && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	}
	return util_str_trim(s);
}

static int config_parse(struct util_config *c, char *text, const char *path, char **err)
{
	char section[256] = "";
	int lineno = 0;
	char *line = text;
	const char *msg = NULL;
	/* Skip a UTF-8 byte order mark. */
	if ((unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB &&
	    (unsigned char)line[2] == 0xBF)
		line += 3;
	while (line) {
		lineno++;
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *s = util_str_trim(line);
		line = nl ? nl + 1 : NULL;
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (!end) {
				msg = "missing ']' in section header";
				goto fail;
			}
			char *rest = end + 1;
			while (*rest == ' ' || *rest == '\t')
				rest++;
			if (*rest && *rest != '#' && *rest != ';') {
				msg = "unexpected text after section header";
				goto fail;
			}
			*end = '\0';
			char *name = util_str_trim(s + 1);
			if (!*name) {
				msg = "empty section name";
				goto fail;
			}
			for (char *p = name; *p; p++)
				if (!is_key_char((unsigned char)*p)) {
					msg = "invalid character in section name";
					goto fail;
				}
			if (strlen(name) >= sizeof section) {
				msg = "section name too long";
				goto fail;
			}
			strcpy(section, name);
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			msg = "expected 'key = value'";
			goto fail;
		}
		*eq = '\0';
		char *key = util_str_trim(s);
		if (!*key) {
			msg = "missing key before '='";
			goto fail;
		}
		for (char *p = key; *p; p++)
			if (!is_key_char((unsigned char)*p)) {
				msg = "invalid character in key";
				goto fail;
			}
		char *value = parse_value(eq + 1, &msg);
		if (!value)
			goto fail;
		char *full = *section ? util_strfmt("%s.%s", section, key) : util_strdup(key);
		if (!full || util_config_set(c, full, value) < 0) {
			free(full);
			msg = "out of memory";
			goto fail;
		}
		free(full);
	}
	return 0;
fail:
	if (err)
		*err = util_strfmt("%s:%d: %s", path, lineno, msg);
	return -1;
}

int util_config_load(const char *path, struct util_config **out, char **err)
{
	*out = NULL;
	if (err)
		*err = NULL;
	struct util_config *c = util_config_new();
	if (!c) {
		if (err)
			*err = util_strfmt("%s: out of memory", path);
		return -1;
	}
	char *text = NULL;
	size_t len = 0;
	if (util_file_read_regular(path, 1 << 20, &text, &len) < 0) {
		if (errno == ENOENT) {
			*out = c;
			return 0;
		}
		if (err)
			*err = util_strfmt("%s: %s", path, util_file_strerror(errno));
		util_config_free(c);
		return -1;
	}
	if (memchr(text, '\0', len)) {
		if (err)
			*err = util_strfmt("%s: contains a NUL byte", path);
		free(text);
		util_config_free(c);
		return -1;
	}
	int r = config_parse(c, text, path, err);
	free(text);
	if (r < 0) {
		util_config_free(c);
		return -1;
	}
	*out = c;
	return 0;
}
