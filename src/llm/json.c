/* json.c — a small, bounded JSON reader for the openai backend's streamed
 * chunks and error bodies. Recursive descent with a depth limit; every read
 * is checked against the end of the input; strings are unescaped into valid
 * UTF-8 (\uXXXX with surrogate pairs; lone surrogates, NUL and invalid
 * UTF-8 bytes become U+FFFD). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_int.h"
#include "util/util.h"

#define JSON_DEPTH_MAX 64

struct jp {
	const char *s;
	size_t n, i;
};

static void skip_ws(struct jp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
			       p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static void jfree(struct json *j)
{
	if (!j)
		return;
	free(j->str);
	if (j->kids)
		for (size_t i = 0; i < j->len; i++)
			jfree(&j->kids[i]);
	if (j->keys)
		for (size_t i = 0; i < j->len; i++)
			free(j->keys[i]);
	free(j->kids);
	free(j->keys);
}

void json_free(struct json *j)
{
	jfree(j);
	free(j);
}

static int hex4(struct jp *p, uint32_t *v)
{
	if (p->n - p->i < 4)
		return -1;
	*v = 0;
	for (int k = 0; k < 4; k++) {
		char c = p->s[p->i++];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static int parse_string(struct jp *p, char **out, size_t *len)
{
	struct util_buf b;

	if (p->i >= p->n || p->s[p->i] != '"')
		return -1;
	p->i++;
	util_buf_init(&b);
	for (;;) {
		if (p->i >= p->n)
			goto fail;
		unsigned char c = (unsigned char)p->s[p->i];
		if (c == '"') {
			p->i++;
			break;
		}
		if (c < 0x20)
			goto fail;
		if (c == '\\') {
			p->i++;
			if (p->i >= p->n)
				goto fail;
			char e = p->s[p->i++];
			uint32_t cp;
			switch (e) {
			case '"': cp = '"'; break;
			case '\\': cp = '\\'; break;
			case '/': cp = '/'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				if (hex4(p, &cp))
					goto fail;
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					uint32_t lo;
					if (p->n - p->i >= 6 && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
						size_t save = p->i;
						p->i += 2;
						if (hex4(p, &lo))
							goto fail;
						if (lo >= 0xDC00 && lo <= 0xDFFF) {
							cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
						} else {
							cp = 0xFFFD;
							p->i = save;
						}
					} else {
						cp = 0xFFFD;
					}
				} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
					cp = 0xFFFD;
				}
				if (cp == 0)
					cp = 0xFFFD;
				break;
			default:
				goto fail;
			}
			if (util_buf_put_utf8(&b, cp))
				goto fail;
			continue;
		}
		/* raw bytes: copy a valid UTF-8 sequence, or U+FFFD for a bad byte */
		uint32_t cp;
		size_t k = util_utf8_decode(p->s + p->i, p->n - p->i, &cp);
		if (k == 0 || cp == 0xFFFD) {
			if (k == 0)
				k = 1;
			if (util_buf_put_utf8(&b, 0xFFFD))
				goto fail;
		} else if (util_buf_append(&b, p->s + p->i, k)) {
			goto fail;
		}
		p->i += k;
	}
	*len = b.len;
	if (util_buf_puts(&b, ""))
		goto fail;
	*out = util_buf_steal(&b);
	return *out ? 0 : -1;
fail:
	util_buf_free(&b);
	return -1;
}

static int parse_value(struct jp *p, struct json *j, int depth);

static int push(struct json *j, size_t *cap, int obj)
{
	if (j->len < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 4;
	struct json *k = realloc(j->kids, nc * sizeof *k);
	if (!k)
		return -1;
	j->kids = k;
	if (obj) {
		char **ks = realloc(j->keys, nc * sizeof *ks);
		if (!ks)
			return -1;
		j->keys = ks;
	}
	*cap = nc;
	return 0;
}

static int parse_container(struct jp *p, struct json *j, int depth, int obj)
{
	size_t cap = 0;
	char close = obj ? '}' : ']';

	j->type = obj ? JSON_OBJ : JSON_ARR;
	p->i++;
	skip_ws(p);
	if (p->i < p->n && p->s[p->i] == close) {
		p->i++;
		return 0;
	}
	for (;;) {
		if (push(j, &cap, obj))
			return -1;
		struct json *kid = &j->kids[j->len];
		memset(kid, 0, sizeof *kid);
		if (obj) {
			size_t kl;
			j->keys[j->len] = NULL;
			skip_ws(p);
			if (parse_string(p, &j->keys[j->len], &kl)) {
				return -1;
			}
			skip_ws(p);
			if (p->i >= p->n || p->s[p->i] != ':') {
				free(j->keys[j->len]);
				return -1;
			}
			p->i++;
		}
		if (parse_value(p, kid, depth + 1)) {
			jfree(kid);
			if (obj)
				free(j->keys[j->len]);
			return -1;
		}
		j->len++;
		skip_ws(p);
		if (p->i >= p->n)
			return -1;
		if (p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->s[p->i] == close) {
			p->i++;
			return 0;
		}
		return -1;
	}
}

static int parse_value(struct jp *p, struct json *j, int depth)
{
	memset(j, 0, sizeof *j);
	if (depth > JSON_DEPTH_MAX)
		return -1;
	skip_ws(p);
	if (p->i >= p->n)
		return -1;
	char c = p->s[p->i];
	if (c == '{' || c == '[')
		return parse_container(p, j, depth, c == '{');
	if (c == '"') {
		j->type = JSON_STR;
		return parse_string(p, &j->str, &j->len);
	}
	static const struct { const char *w; enum json_type t; double v; } lits[] = {
		{ "true", JSON_BOOL, 1 }, { "false", JSON_BOOL, 0 }, { "null", JSON_NULL, 0 },
	};
	for (size_t k = 0; k < 3; k++) {
		size_t wl = strlen(lits[k].w);
		if (p->n - p->i >= wl && !memcmp(p->s + p->i, lits[k].w, wl)) {
			p->i += wl;
			j->type = lits[k].t;
			j->num = lits[k].v;
			return 0;
		}
	}
	/* number: -?digits(.digits)?([eE][+-]?digits)? */
	size_t a = p->i;
	if (p->i < p->n && p->s[p->i] == '-')
		p->i++;
	size_t d = p->i;
	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++;
	if (p->i == d)
		return -1;
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		size_t f = p->i;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
		if (p->i == f)
			return -1;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		size_t f = p->i;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
		if (p->i == f)
			return -1;
	}
	char buf[64];
	size_t l = p->i - a;
	if (l >= sizeof buf)
		l = sizeof buf - 1;     /* absurdly long numbers lose precision only */
	memcpy(buf, p->s + a, l);
	buf[l] = 0;
	j->type = JSON_NUM;
	j->num = strtod(buf, NULL);
	if (!isfinite(j->num))
		j->num = 0;
	return 0;
}

struct json *json_parse(const char *s, size_t n)
{
	struct jp p = { s ? s : "", s ? n : 0, 0 };
	struct json *j = malloc(sizeof *j);
	if (!j)
		return NULL;
	if (parse_value(&p, j, 0)) {
		jfree(j);
		free(j);
		return NULL;
	}
	skip_ws(&p);
	if (p.i != p.n) {
		json_free(j);
		return NULL;
	}
	return j;
}

const struct json *json_get(const struct json *j, const char *key)
{
	if (!j || j->type != JSON_OBJ)
		return NULL;
	for (size_t i = 0; i < j->len; i++)
		if (!strcmp(j->keys[i], key))
			return &j->kids[i];
	return NULL;
}

const struct json *json_at(const struct json *j, size_t i)
{
	if (!j || j->type != JSON_ARR || i >= j->len)
		return NULL;
	return &j->kids[i];
}

const char *json_str(const struct json *j)
{
	return j && j->type == JSON_STR ? j->str : NULL;
}
