/* Growable byte buffer. */
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void util_buf_init(struct util_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void util_buf_free(struct util_buf *b)
{
	free(b->data);
	util_buf_init(b);
}

void util_buf_reset(struct util_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

int util_buf_reserve(struct util_buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1)
		return -1;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	char *p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';
	return 0;
}

int util_buf_append(struct util_buf *b, const void *p, size_t n)
{
	if (util_buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int util_buf_puts(struct util_buf *b, const char *s)
{
	return util_buf_append(b, s, strlen(s));
}

int util_buf_putc(struct util_buf *b, int c)
{
	char ch = (char)c;
	return util_buf_append(b, &ch, 1);
}

__attribute__((format(printf, 2, 0)))
static int buf_vprintf(struct util_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -1;
	if (util_buf_reserve(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int util_buf_printf(struct util_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

int util_buf_put_utf8(struct util_buf *b, uint32_t cp)
{
	unsigned char s[4];
	size_t n;
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		s[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		s[0] = (unsigned char)(0xC0 | (cp >> 6));
		s[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		s[0] = (unsigned char)(0xE0 | (cp >> 12));
		s[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		s[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		s[0] = (unsigned char)(0xF0 | (cp >> 18));
		s[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		s[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		s[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return util_buf_append(b, s, n);
}

const char *util_buf_cstr(struct util_buf *b)
{
	if (!b->data && util_buf_reserve(b, 0) < 0)
		return "";
	b->data[b->len] = '\0';
	return b->data;
}

char *util_buf_steal(struct util_buf *b)
{
	char *p = b->data;
	if (!p) {
		p = malloc(1);
		if (p)
			p[0] = '\0';
	}
	util_buf_init(b);
	return p;
}

int util_buf_put_json(struct util_buf *b, const char *s)
{
	int rc;

	if (!s)
		return util_buf_puts(b, "null");
	rc = util_buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; !rc && *p; p++) {
		switch (*p) {
		case '"': rc = util_buf_puts(b, "\\\""); break;
		case '\\': rc = util_buf_puts(b, "\\\\"); break;
		case '\n': rc = util_buf_puts(b, "\\n"); break;
		case '\r': rc = util_buf_puts(b, "\\r"); break;
		case '\t': rc = util_buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				rc = util_buf_printf(b, "\\u%04x", *p);
			else
				rc = util_buf_putc(b, *p);
		}
	}
	return rc ? rc : util_buf_putc(b, '"');
}
