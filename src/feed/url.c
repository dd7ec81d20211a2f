/* url.c — RFC 3986 reference resolution (section 5.2) and a normalised form
 * of URLs for dedupe. Works on the string form only; nothing is fetched. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feed/feed.h"
#include "util/util.h"

/* The five components of a URI reference; each is a slice of the input,
 * and has_* says whether the component is present (an empty query "?" is
 * present but empty). */
struct uri {
	const char *scheme; size_t scheme_len; int has_scheme;
	const char *auth; size_t auth_len; int has_auth;
	const char *path; size_t path_len;
	const char *query; size_t query_len; int has_query;
	const char *frag; size_t frag_len; int has_frag;
};

static void uri_split(const char *s, struct uri *u)
{
	memset(u, 0, sizeof(*u));
	const char *p = s;
	/* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (isalpha((unsigned char)*p)) {
		const char *q = p + 1;
		while (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.')
			q++;
		if (*q == ':') {
			u->scheme = p; u->scheme_len = (size_t)(q - p); u->has_scheme = 1;
			p = q + 1;
		}
	}
	if (p[0] == '/' && p[1] == '/') {
		p += 2;
		u->auth = p;
		while (*p && *p != '/' && *p != '?' && *p != '#')
			p++;
		u->auth_len = (size_t)(p - u->auth); u->has_auth = 1;
	}
	u->path = p;
	while (*p && *p != '?' && *p != '#')
		p++;
	u->path_len = (size_t)(p - u->path);
	if (*p == '?') {
		u->query = ++p;
		while (*p && *p != '#')
			p++;
		u->query_len = (size_t)(p - u->query); u->has_query = 1;
	}
	if (*p == '#') {
		u->frag = ++p;
		u->frag_len = strlen(p); u->has_frag = 1;
	}
}

/* RFC 3986 5.2.4: remove dot segments from in[0..n) into out. */
static int remove_dots(const char *in, size_t n, struct util_buf *out)
{
	struct util_buf b;
	util_buf_init(&b);
	size_t i = 0;
	while (i < n) {
		const char *s = in + i;
		size_t left = n - i;
		if (left >= 3 && !strncmp(s, "../", 3)) { i += 3; continue; }
		if (left >= 2 && !strncmp(s, "./", 2)) { i += 2; continue; }
		if (left >= 3 && !strncmp(s, "/./", 3)) { i += 2; continue; }
		if (left == 2 && !strncmp(s, "/.", 2)) {
			/* replace with "/" */
			if (util_buf_putc(&b, '/') < 0) goto fail;
			break;
		}
		if ((left >= 4 && !strncmp(s, "/../", 4)) || (left == 3 && !strncmp(s, "/..", 3))) {
			/* drop the last output segment */
			while (b.len > 0 && b.data[b.len - 1] != '/')
				b.len--;
			if (b.len > 0)
				b.len--;
			if (left == 3) {
				if (util_buf_putc(&b, '/') < 0) goto fail;
				break;
			}
			i += 3;
			continue;
		}
		if ((left == 1 && s[0] == '.') || (left == 2 && !strncmp(s, "..", 2)))
			break;
		/* move the first segment (with its leading '/', if any) */
		size_t j = (s[0] == '/') ? 1 : 0;
		while (j < left && s[j] != '/')
			j++;
		if (util_buf_append(&b, s, j) < 0) goto fail;
		i += j;
	}
	if (util_buf_append(out, b.data ? b.data : "", b.len) < 0) goto fail;
	util_buf_free(&b);
	return 0;
fail:
	util_buf_free(&b);
	return -1;
}

static int put_slice(struct util_buf *b, const char *s, size_t n)
{
	return util_buf_append(b, s ? s : "", n);
}

char *feed_url_resolve(const char *base, const char *ref)
{
	if (!ref)
		return util_strdup(base);
	/* Leading/trailing whitespace in feeds is common and never meaningful. */
	while (*ref == ' ' || *ref == '\t' || *ref == '\n' || *ref == '\r')
		ref++;
	size_t rl = strlen(ref);
	while (rl > 0 && (ref[rl - 1] == ' ' || ref[rl - 1] == '\t' ||
			  ref[rl - 1] == '\n' || ref[rl - 1] == '\r'))
		rl--;
	char *r = util_strndup(ref, rl);
	if (!r)
		return NULL;
	if (!base || !*base)
		return r;

	struct uri R, B;
	uri_split(r, &R);
	uri_split(base, &B);
	if (!B.has_scheme) /* a base must be absolute; nothing sensible to do */
		return r;

	struct util_buf out, path;
	util_buf_init(&out);
	util_buf_init(&path);
	int bad = 0;
	const char *q = NULL; size_t ql = 0; int has_q = 0;

	if (R.has_scheme) {
		bad |= put_slice(&out, R.scheme, R.scheme_len) | util_buf_putc(&out, ':');
		if (R.has_auth)
			bad |= util_buf_puts(&out, "//") | put_slice(&out, R.auth, R.auth_len);
		bad |= remove_dots(R.path, R.path_len, &out);
		q = R.query; ql = R.query_len; has_q = R.has_query;
	} else {
		bad |= put_slice(&out, B.scheme, B.scheme_len) | util_buf_putc(&out, ':');
		if (R.has_auth) {
			bad |= util_buf_puts(&out, "//") | put_slice(&out, R.auth, R.auth_len);
			bad |= remove_dots(R.path, R.path_len, &out);
			q = R.query; ql = R.query_len; has_q = R.has_query;
		} else {
			if (B.has_auth)
				bad |= util_buf_puts(&out, "//") | put_slice(&out, B.auth, B.auth_len);
			if (R.path_len == 0) {
				bad |= put_slice(&out, B.path, B.path_len);
				if (R.has_query) {
					q = R.query; ql = R.query_len; has_q = 1;
				} else {
					q = B.query; ql = B.query_len; has_q = B.has_query;
				}
			} else {
				if (R.path[0] == '/') {
					bad |= remove_dots(R.path, R.path_len, &out);
				} else {
					/* merge (5.2.3) */
					if (B.has_auth && B.path_len == 0) {
						bad |= util_buf_putc(&path, '/');
					} else {
						size_t k = B.path_len;
						while (k > 0 && B.path[k - 1] != '/')
							k--;
						bad |= put_slice(&path, B.path, k);
					}
					bad |= put_slice(&path, R.path, R.path_len);
					bad |= remove_dots(path.data ? path.data : "", path.len, &out);
				}
				q = R.query; ql = R.query_len; has_q = R.has_query;
			}
		}
	}
	if (has_q)
		bad |= util_buf_putc(&out, '?') | put_slice(&out, q, ql);
	if (R.has_frag)
		bad |= util_buf_putc(&out, '#') | put_slice(&out, R.frag, R.frag_len);
	util_buf_free(&path);
	free(r);
	if (bad) {
		util_buf_free(&out);
		return NULL;
	}
	util_buf_cstr(&out);
	return util_buf_steal(&out);
}

static int is_tracking_param(const char *p, size_t n)
{
	size_t k = 0;
	while (k < n && p[k] != '=')
		k++;
	if (k > 4 && !strncasecmp(p, "utm_", 4))
		return 1;
	static const char *const names[] = { "fbclid", "gclid", "mc_cid", "mc_eid", "yclid", "dclid" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == k && !strncasecmp(p, names[i], k))
			return 1;
	return 0;
}

/* Split an authority into userinfo@, host and :port. */
static void auth_split(const char *a, size_t n, size_t *host_off, size_t *host_len,
		       const char **port, size_t *port_len)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++)
		if (a[i] == '@')
			start = i + 1;
	size_t end = n;
	*port = NULL; *port_len = 0;
	/* port: after the last ':' that is not inside an IPv6 literal */
	for (size_t i = n; i > start; i--) {
		if (a[i - 1] == ']')
			break;
		if (a[i - 1] == ':') {
			end = i - 1;
			*port = a + i;
			*port_len = n - i;
			break;
		}
	}
	*host_off = start;
	*host_len = end - start;
}

char *feed_url_normalize(const char *url)
{
	if (!url)
		return NULL;
	while (*url == ' ' || *url == '\t' || *url == '\n' || *url == '\r')
		url++;
	char *copy = util_strdup(url);
	if (!copy)
		return NULL;
	util_str_trim(copy);
	struct uri u;
	uri_split(copy, &u);
	if (!u.has_scheme || !u.has_auth) {
		/* Not a hierarchical absolute URL: only drop the fragment. */
		char *h = strchr(copy, '#');
		if (h)
			*h = 0;
		return copy;
	}
	struct util_buf b;
	util_buf_init(&b);
	int bad = 0;
	for (size_t i = 0; i < u.scheme_len; i++)
		bad |= util_buf_putc(&b, tolower((unsigned char)u.scheme[i]));
	bad |= util_buf_puts(&b, "://");
	size_t ho, hl, pl;
	const char *port;
	auth_split(u.auth, u.auth_len, &ho, &hl, &port, &pl);
	bad |= put_slice(&b, u.auth, ho); /* userinfo as is */
	for (size_t i = 0; i < hl; i++)
		bad |= util_buf_putc(&b, tolower((unsigned char)u.auth[ho + i]));
	if (hl > 0 && u.auth[ho + hl - 1] == '.')
		b.len--; /* trailing dot of an FQDN */
	int default_port = 0;
	if (port) {
		if (pl == 0)
			default_port = 1;
		else if (pl == 2 && !strncmp(port, "80", 2) && u.scheme_len == 4 && !strncasecmp(u.scheme, "http", 4))
			default_port = 1;
		else if (pl == 3 && !strncmp(port, "443", 3) && u.scheme_len == 5 && !strncasecmp(u.scheme, "https", 5))
			default_port = 1;
		if (!default_port)
			bad |= util_buf_putc(&b, ':') | put_slice(&b, port, pl);
	}
	if (u.path_len == 0)
		bad |= util_buf_putc(&b, '/');
	else
		bad |= remove_dots(u.path, u.path_len, &b);
	if (u.has_query) {
		int first = 1;
		const char *p = u.query, *end = u.query + u.query_len;
		while (p < end) {
			const char *amp = memchr(p, '&', (size_t)(end - p));
			size_t n = amp ? (size_t)(amp - p) : (size_t)(end - p);
			if (n > 0 && !is_tracking_param(p, n)) {
				bad |= util_buf_putc(&b, first ? '?' : '&') | put_slice(&b, p, n);
				first = 0;
			}
			p += n + (amp ? 1 : 0);
		}
	}
	free(copy);
	if (bad) {
		util_buf_free(&b);
		return NULL;
	}
	util_buf_cstr(&b);
	return util_buf_steal(&b);
}

int feed_url_host(const char *url, char *out, size_t size)
{
	if (!url || !out || size == 0)
		return -1;
	struct uri u;
	uri_split(url, &u);
	if (!u.has_auth)
		return -1;
	size_t ho, hl, pl;
	const char *port;
	auth_split(u.auth, u.auth_len, &ho, &hl, &port, &pl);
	if (hl == 0 || hl >= size)
		return -1;
	for (size_t i = 0; i < hl; i++)
		out[i] = (char)tolower((unsigned char)u.auth[ho + i]);
	out[hl] = 0;
	return 0;
}

const char *feed_url_refusal(const char *url, int allow_file)
{
	char host[256];
	if (!url || !*url)
		return "the URL is empty";
	size_t n = strlen(url);
	if (n > 4096)
		return "the URL is longer than 4096 bytes";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			return "the URL holds a space or a control character";
	if (!strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8))
		return feed_url_host(url, host, sizeof host) == 0 ? NULL : "the URL has no host";
	if (!strncasecmp(url, "file://", 7)) {
		if (!allow_file)
			return "file:// URLs are only taken from the command line, not from a file "
			       "someone else may have written";
		return url[7] == '/' ? NULL : "a file:// URL needs an absolute path";
	}
	return "only http://, https:// and file:// feeds are read";
}

char *feed_url_from_user(const char *arg)
{
	if (!arg || !*arg)
		return NULL;
	char *abs = realpath(arg, NULL);
	if (!abs) {
		/* not a file: a URL if it has a scheme (the policy judges it) */
		size_t k = 0;
		while (isalnum((unsigned char)arg[k]) || arg[k] == '+' || arg[k] == '-' || arg[k] == '.')
			k++;
		return k && isalpha((unsigned char)arg[0]) && arg[k] == ':' ? util_strdup(arg) : NULL;
	}
	/* percent-encoded: a path may hold spaces, '%', '?', '#' */
	struct util_buf b;
	util_buf_init(&b);
	util_buf_puts(&b, "file://");
	for (const unsigned char *p = (const unsigned char *)abs; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '%' || *p == '?' || *p == '#')
			util_buf_printf(&b, "%%%02X", *p);
		else
			util_buf_putc(&b, (char)*p);
	}
	free(abs);
	return util_buf_steal(&b);
}
