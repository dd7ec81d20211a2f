/* UTF-8 decoding, repair, terminal sanitising and display width. */
#include "util/util.h"
#include "util/width_table.h"

#include <stdlib.h>
#include <string.h>

size_t util_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	if (n == 0) {
		*cp = 0xFFFD;
		return 0;
	}
	unsigned char c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		*cp = 0xFFFD;
		return 1;
	}
	if (n < len) {
		*cp = 0xFFFD;
		return 1;
	}
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		v = (v << 6) | (p[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
		*cp = 0xFFFD;
		return 1;
	}
	*cp = v;
	return len;
}

int util_utf8_valid(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = util_utf8_decode(s + i, n - i, &cp);
		if (cp == 0xFFFD && k == 1 && (unsigned char)s[i] >= 0x80)
			return 0;
		i += k;
	}
	return 1;
}

char *util_utf8_repair(const char *s, size_t n)
{
	struct util_buf b;
	util_buf_init(&b);
	if (util_buf_reserve(&b, n) < 0)
		return NULL;
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = util_utf8_decode(s + i, n - i, &cp);
		int r = cp == 0xFFFD && k == 1 && (unsigned char)s[i] >= 0x80
			? util_buf_put_utf8(&b, 0xFFFD)
			: util_buf_append(&b, s + i, k);
		if (r < 0) {
			util_buf_free(&b);
			return NULL;
		}
		i += k;
	}
	util_buf_cstr(&b);
	return util_buf_steal(&b);
}

/* ---- sanitising ---------------------------------------------------------- */

static int is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
	       cp == 0x200F || cp == 0x061C || cp == 0xFEFF;
}

struct cursor {
	const char *s;
	size_t n, i;
};

static uint32_t cur_peek(const struct cursor *c, size_t *len)
{
	uint32_t cp;
	*len = util_utf8_decode(c->s + c->i, c->n - c->i, &cp);
	return cp;
}

/* Skip a control sequence body after CSI (ESC [ or U+009B): parameter bytes
 * 0x30-0x3F, intermediates 0x20-0x2F, then one final byte 0x40-0x7E. Any
 * other character ends the sequence without being consumed. */
static void skip_csi(struct cursor *c)
{
	while (c->i < c->n) {
		unsigned char ch = (unsigned char)c->s[c->i];
		if (ch >= 0x20 && ch <= 0x3F) {
			c->i++;
			continue;
		}
		if (ch >= 0x40 && ch <= 0x7E)
			c->i++;
		return;
	}
}

/* Skip a control string (OSC, DCS, SOS, PM, APC) up to and including its
 * terminator: BEL, ST (ESC \ or U+009C), or CAN/SUB which cancel it. An ESC
 * followed by anything else ends the string and is left for the caller. */
static void skip_string(struct cursor *c)
{
	while (c->i < c->n) {
		size_t len;
		uint32_t cp = cur_peek(c, &len);
		if (cp == 0x07 || cp == 0x9C || cp == 0x18 || cp == 0x1A) {
			c->i += len;
			return;
		}
		if (cp == 0x1B) {
			if (c->i + 1 < c->n && c->s[c->i + 1] == '\\')
				c->i += 2;
			return;
		}
		c->i += len;
	}
}

/* Called after an ESC has been consumed. */
static void skip_escape(struct cursor *c)
{
	if (c->i >= c->n)
		return;
	unsigned char ch = (unsigned char)c->s[c->i];
	switch (ch) {
	case '[':
		c->i++;
		skip_csi(c);
		return;
	case ']':
	case 'P':
	case 'X':
	case '^':
	case '_':
		c->i++;
		skip_string(c);
		return;
	default:
		break;
	}
	if (ch >= 0x20 && ch <= 0x2F) {
		/* nF: intermediates then a final byte 0x30-0x7E */
		while (c->i < c->n && (unsigned char)c->s[c->i] >= 0x20 &&
		       (unsigned char)c->s[c->i] <= 0x2F)
			c->i++;
		if (c->i < c->n && (unsigned char)c->s[c->i] >= 0x30 &&
		    (unsigned char)c->s[c->i] <= 0x7E)
			c->i++;
		return;
	}
	if (ch >= 0x30 && ch <= 0x7E)
		c->i++; /* two-character escape: ESC 7, ESC c, ESC = ... */
	/* else a lone ESC: drop it, keep what follows */
}

char *util_text_sanitize(const char *s, size_t n, int keep_newlines)
{
	struct util_buf b;
	util_buf_init(&b);
	if (util_buf_reserve(&b, n) < 0)
		return NULL;
	struct cursor c = {s ? s : "", s ? n : 0, 0};
	int err = 0;
	while (c.i < c.n && !err) {
		size_t len;
		uint32_t cp = cur_peek(&c, &len);
		c.i += len;
		if (cp == 0x1B) {
			skip_escape(&c);
			continue;
		}
		if (cp == '\r' || cp == '\n' || cp == 0x2028 || cp == 0x2029) {
			if (cp == '\r' && c.i < c.n && c.s[c.i] == '\n')
				c.i++;
			err = util_buf_putc(&b, keep_newlines ? '\n' : ' ');
			continue;
		}
		if (cp == '\t') {
			err = util_buf_putc(&b, keep_newlines ? '\t' : ' ');
			continue;
		}
		if (cp < 0x20 || cp == 0x7F)
			continue;
		if (cp >= 0x80 && cp <= 0x9F) {
			if (cp == 0x9B)
				skip_csi(&c);
			else if (cp == 0x9D || cp == 0x90 || cp == 0x98 || cp == 0x9E || cp == 0x9F)
				skip_string(&c);
			continue;
		}
		if (is_bidi_control(cp))
			continue;
		err = util_buf_put_utf8(&b, cp);
	}
	if (err) {
		util_buf_free(&b);
		return NULL;
	}
	util_buf_cstr(&b);
	return util_buf_steal(&b);
}

/* ---- display width ------------------------------------------------------- */

static int in_table(uint32_t cp, const struct width_range *t, size_t n)
{
	if (n == 0 || cp < t[0].first || cp > t[n - 1].last)
		return 0;
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp > t[mid].last)
			lo = mid + 1;
		else if (cp < t[mid].first)
			hi = mid;
		else
			return 1;
	}
	return 0;
}

static int cp_width(uint32_t cp)
{
	if (cp == 0)
		return 0;
	if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
		return 0; /* controls: sanitised text has none */
	if (cp < 0x300)
		return 1;
	if (in_table(cp, zero_width, sizeof zero_width / sizeof zero_width[0]))
		return 0;
	if (in_table(cp, wide_width, sizeof wide_width / sizeof wide_width[0]))
		return 2;
	return 1;
}

size_t util_text_width(const char *s)
{
	if (!s)
		return 0;
	size_t n = strlen(s), i = 0, w = 0;
	while (i < n) {
		uint32_t cp;
		i += util_utf8_decode(s + i, n - i, &cp);
		w += (size_t)cp_width(cp);
	}
	return w;
}
