/* Small string helpers. */
#include "util/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *util_strdup(const char *s)
{
	if (!s)
		return NULL;
	return util_strndup(s, strlen(s));
}

char *util_strndup(const char *s, size_t n)
{
	if (!s)
		return NULL;
	size_t len = strnlen(s, n);
	char *p = malloc(len + 1);
	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *util_strfmt(const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = NULL;
	if (n >= 0 && (p = malloc((size_t)n + 1)) != NULL)
		vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int util_str_empty(const char *s)
{
	if (!s)
		return 1;
	for (; *s; s++)
		if (!is_space((unsigned char)*s))
			return 0;
	return 1;
}

char *util_str_trim(char *s)
{
	if (!s)
		return s;
	size_t start = 0, len = strlen(s);
	while (start < len && is_space((unsigned char)s[start]))
		start++;
	while (len > start && is_space((unsigned char)s[len - 1]))
		len--;
	memmove(s, s + start, len - start);
	s[len - start] = '\0';
	return s;
}

int util_str_casecmp_prefix(const char *s, const char *prefix)
{
	if (!s || !prefix)
		return 0;
	for (; *prefix; s++, prefix++) {
		if (!*s || tolower((unsigned char)*s) != tolower((unsigned char)*prefix))
			return 0;
	}
	return 1;
}

char *util_str_squeeze(char *s)
{
	if (!s)
		return s;
	char *w = s;
	int pending = 0;
	for (const char *r = s; *r; r++) {
		if (is_space((unsigned char)*r)) {
			pending = w != s;
			continue;
		}
		if (pending)
			*w++ = ' ';
		pending = 0;
		*w++ = *r;
	}
	*w = '\0';
	return s;
}

int util_parse_long(const char *s, long min, long max, long *out)
{
	if (!s)
		return -1;
	while (is_space((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s) && !((*s == '-' || *s == '+') && isdigit((unsigned char)s[1])))
		return -1;
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (errno)
		return -1;
	while (is_space((unsigned char)*end))
		end++;
	if (*end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
