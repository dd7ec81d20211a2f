/* check.c — the faithfulness check: every number and every capitalised
 * name a written entry uses must occur in the story's sources. Numbers are
 * compared by value (1,200 = 1200; $50B = $50 billion = 50,000,000,000;
 * 30% = 30 percent); names case-insensitively on word boundaries, a
 * possessive 's dropped, a hyphenated name passing when each capitalised
 * part occurs. A sentence's first word is skipped when it is a common word
 * (This, The, It, ...). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "brief/brief_write.h"
#include "util/util.h"

/* Words that open sentences (or label lines) without being names. */
static const char *const common_words[] = {
	"according", "across", "amid", "among", "assembled", "based", "beyond", "during",
	"elsewhere", "finally", "first", "following", "note", "overall", "second", "third",
	"watch", "whatever", "worth",
	"a", "about", "after", "again", "against", "all", "also", "although", "an", "and",
	"another", "any", "as", "at", "because", "before", "behind", "both", "bottom", "but",
	"by", "can", "could", "despite", "each", "either", "even", "every", "everyone",
	"everything", "for", "from", "further", "given", "he", "her", "here", "his", "how",
	"however", "i", "if", "in", "instead", "into", "is", "it", "its", "just", "last",
	"later", "less", "like", "meanwhile", "more", "most", "much", "neither", "new", "next",
	"no", "none", "nor", "not", "now", "of", "on", "once", "one", "only", "or", "other",
	"others", "our", "over", "plus", "put", "read", "rather", "she", "since", "so", "some",
	"still", "such", "taken", "that", "the", "their", "then", "there", "these", "they",
	"this", "those", "though", "through", "thus", "to", "today", "together", "tomorrow",
	"two", "three", "under", "unpacked", "until", "update", "we", "what", "when", "where",
	"whether", "which", "while", "who", "whoever", "why", "will", "with", "within",
	"without", "yes", "yesterday", "yet", "you", "your",
};

static int is_common(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof common_words / sizeof common_words[0]; i++)
		if (strlen(common_words[i]) == n && !strncasecmp(common_words[i], w, n))
			return 1;
	return 0;
}

static int is_alnum_byte(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/* ---- numbers ------------------------------------------------------------------ */

struct num {
	double raw, scaled;
};

struct nums {
	struct num *v;
	size_t n, cap;
};

static int nums_push(struct nums *ns, double raw, double scaled)
{
	if (ns->n == ns->cap) {
		size_t nc = ns->cap ? ns->cap * 2 : 32;
		struct num *nv = realloc(ns->v, nc * sizeof *nv);
		if (!nv)
			return -1;
		ns->v = nv;
		ns->cap = nc;
	}
	ns->v[ns->n].raw = raw;
	ns->v[ns->n].scaled = scaled;
	ns->n++;
	return 0;
}

static int word_is(const char *p, const char *w)
{
	size_t n = strlen(w);
	return !strncasecmp(p, w, n) && !is_alnum_byte((unsigned char)p[n]);
}

/* Parse a number starting at s[i] (a digit not preceded by a letter or
 * digit). Returns the index after it (and its suffix), filling raw/scaled. */
static size_t parse_num(const char *s, size_t i, double *raw, double *scaled)
{
	char buf[64];
	size_t k = 0, j = i;
	int dot = 0;

	while (s[j] && k < sizeof buf - 1) {
		if (isdigit((unsigned char)s[j])) {
			buf[k++] = s[j++];
		} else if (s[j] == ',' && isdigit((unsigned char)s[j + 1]) &&
			   isdigit((unsigned char)s[j + 2]) && isdigit((unsigned char)s[j + 3]) &&
			   !isdigit((unsigned char)s[j + 4])) {
			j++;    /* thousands separator */
		} else if (s[j] == '.' && isdigit((unsigned char)s[j + 1]) && !dot) {
			dot = 1;
			buf[k++] = s[j++];
		} else {
			break;
		}
	}
	buf[k] = '\0';
	*raw = strtod(buf, NULL);
	double scale = 1;
	const char *p = s + j;
	if ((*p == 'K' || *p == 'k') && !is_alnum_byte((unsigned char)p[1])) {
		scale = 1e3; j++;
	} else if (*p == 'M' && !is_alnum_byte((unsigned char)p[1])) {
		scale = 1e6; j++;
	} else if ((*p == 'B' || *p == 'b') && !is_alnum_byte((unsigned char)p[1])) {
		scale = 1e9; j++;
	} else if (!strncmp(p, "bn", 2) && !is_alnum_byte((unsigned char)p[2])) {
		scale = 1e9; j += 2;
	} else if (*p == 'T' && !is_alnum_byte((unsigned char)p[1])) {
		scale = 1e12; j++;
	} else if (*p == ' ' || *p == '-') {
		const char *w = p + 1;
		if (word_is(w, "thousand"))
			scale = 1e3;
		else if (word_is(w, "million"))
			scale = 1e6;
		else if (word_is(w, "billion"))
			scale = 1e9;
		else if (word_is(w, "trillion"))
			scale = 1e12;
	}
	*scaled = *raw * scale;
	return j;
}

static int is_num_start(const char *s, size_t i)
{
	if (!isdigit((unsigned char)s[i]))
		return 0;
	if (i == 0)
		return 1;
	unsigned char pc = (unsigned char)s[i - 1];
	if (isdigit(pc) || isalpha(pc) || pc >= 0x80)
		return 0;
	/* "5.3" inside "GPT-5.3" is a number; ".3" after a digit is not a start */
	if (pc == '.' && i >= 2 && isdigit((unsigned char)s[i - 2]))
		return 0;
	if (pc == ',' && i >= 2 && isdigit((unsigned char)s[i - 2]))
		return 0;
	return 1;
}

/* The numbers of s into ns; those on a line that starts with
 * BRIEF_CHECK_DATE_LINE (a publish time, spelt out) into dates instead:
 * they vouch only for a date in the entry, not for any number. */
static int collect_nums(const char *s, struct nums *ns, struct nums *dates)
{
	int date_line = *s == BRIEF_CHECK_DATE_LINE;
	for (size_t i = 0; s[i];) {
		if (s[i] == '\n') {
			date_line = s[i + 1] == BRIEF_CHECK_DATE_LINE;
			i++;
		} else if (is_num_start(s, i)) {
			double raw, sc;
			i = parse_num(s, i, &raw, &sc);
			if (nums_push(date_line ? dates : ns, raw, sc))
				return -1;
		} else {
			i++;
		}
	}
	return 0;
}

static const char *const months[] = {
	"january", "february", "march", "april", "may", "june", "july", "august", "september",
	"october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
	"sep", "sept", "oct", "nov", "dec",
};

/* The month (0..11) w (n bytes) names, full or abbreviated; -1 if none. */
static int month_of(const char *w, size_t n)
{
	static const int which[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
				     0, 1, 2, 3, 5, 6, 7, 8, 8, 9, 10, 11 };
	for (size_t i = 0; i < sizeof months / sizeof months[0]; i++)
		if (strlen(months[i]) == n && !strncasecmp(months[i], w, n))
			return which[i];
	return -1;
}

static int is_month(const char *w, size_t n)
{
	return month_of(w, n) >= 0;
}

static int word_in(const char *hay, const char *w, size_t n);

/* Does lower-cased lsrc name month m in any spelling? */
static int month_named(const char *lsrc, int m)
{
	for (size_t i = 0; i < sizeof months / sizeof months[0]; i++)
		if (month_of(months[i], strlen(months[i])) == m &&
		    word_in(lsrc, months[i], strlen(months[i])))
			return 1;
	return 0;
}

/* Is the number text[b, e) (value v) written as a date: a year, a day
 * beside a month's name, or a part of a time of day (hh:mm)? */
static int in_date(const char *text, size_t b, size_t e, double v)
{
	if (v >= 1900 && v <= 2100 && v == floor(v) && e - b == 4)
		return 1;
	if ((text[e] == ':' && isdigit((unsigned char)text[e + 1])) ||
	    (b >= 2 && text[b - 1] == ':' && isdigit((unsigned char)text[b - 2])))
		return 1;
	/* the word before ("February 21", "Feb. 21") or after ("21 February") */
	size_t p = b;
	while (p > 0 && (text[p - 1] == ' ' || text[p - 1] == '.'))
		p--;
	size_t q = p;
	while (q > 0 && isalpha((unsigned char)text[q - 1]))
		q--;
	if (q < p && is_month(text + q, p - q))
		return 1;
	size_t r = e;
	if (!strncasecmp(text + r, "st", 2) || !strncasecmp(text + r, "nd", 2) ||
	    !strncasecmp(text + r, "rd", 2) || !strncasecmp(text + r, "th", 2))
		r += 2;   /* "21st February" */
	while (text[r] == ' ' || text[r] == ',')
		r++;
	size_t t = r;
	while (isalpha((unsigned char)text[t]))
		t++;
	return t > r && is_month(text + r, t - r);
}

static int same(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static int num_known(const struct nums *ns, double raw, double scaled)
{
	for (size_t i = 0; i < ns->n; i++)
		if (same(raw, ns->v[i].raw) || same(raw, ns->v[i].scaled) ||
		    same(scaled, ns->v[i].raw) || same(scaled, ns->v[i].scaled))
			return 1;
	return 0;
}

/* ---- names -------------------------------------------------------------------- */

/* Does the lower-cased word w (n bytes) occur in lower-cased hay on word
 * boundaries? */
static int word_in(const char *hay, const char *w, size_t n)
{
	if (n == 0)
		return 1;
	size_t hl = strlen(hay);
	for (const char *p = hay; (p = memmem(p, hl - (size_t)(p - hay), w, n)); p++) {
		int before = p == hay || !is_alnum_byte((unsigned char)p[-1]);
		int after = !is_alnum_byte((unsigned char)p[n]);
		if (before && after)
			return 1;
	}
	return 0;
}

static char *lower_dup(const char *s, size_t n)
{
	char *r = malloc(n + 1);
	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++)
		r[i] = (char)tolower((unsigned char)s[i]);
	r[n] = '\0';
	return r;
}

static int name_known(const char *lsrc, const char *w, size_t n)
{
	char *l = lower_dup(w, n);
	if (!l)
		return -1;
	int ok = word_in(lsrc, l, n);
	if (!ok && memchr(l, '-', n)) {
		/* each capitalised (or digit-bearing) part of a hyphenated name */
		ok = 1;
		size_t a = 0;
		while (a < n && ok) {
			size_t b = a;
			while (b < n && l[b] != '-')
				b++;
			int name_like = isupper((unsigned char)w[a]);
			for (size_t k = a; k < b; k++)
				if (isdigit((unsigned char)w[k]))
					name_like = 1;
			if (name_like && b > a && !word_in(lsrc, l + a, b - a))
				ok = 0;
			a = b + 1;
		}
	}
	free(l);
	return ok;
}

/* Does the word w of n bytes look like a name in a title-case headline:
 * a capital or a digit after its first character? */
static int headline_name(const char *w, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (isupper((unsigned char)w[i]) || isdigit((unsigned char)w[i]))
			return 1;
	return 0;
}

static int add_missing(struct util_buf *miss, const char *w, size_t n)
{
	/* each token once */
	const char *p = miss->data;
	while (p && *p) {
		const char *e = strstr(p, ", ");
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !strncmp(p, w, n))
			return 0;
		p = e ? e + 2 : p + len;
	}
	if (miss->len && util_buf_puts(miss, ", "))
		return -1;
	return util_buf_append(miss, w, n);
}

int brief_check_text(const char *text, const char *sources, int headline, char **why)
{
	struct nums ns = { 0 }, dates = { 0 };
	struct util_buf miss;
	char *lsrc = NULL;
	int rc = -1, start = 1;

	*why = NULL;
	if (!text)
		return 0;
	if (!sources)
		sources = "";
	util_buf_init(&miss);
	lsrc = lower_dup(sources, strlen(sources));
	if (!lsrc || collect_nums(sources, &ns, &dates))
		goto out;

	for (size_t i = 0; text[i];) {
		unsigned char c = (unsigned char)text[i];
		if (is_num_start(text, i)) {
			size_t b = i;
			double raw, sc;
			if (b > 0 && text[b - 1] == '$')
				b--;
			size_t nb = i;
			i = parse_num(text, i, &raw, &sc);
			if (!num_known(&ns, raw, sc) &&
			    !(num_known(&dates, raw, raw) && in_date(text, nb, i, raw))) {
				size_t e = i;
				if (text[e] == '%')
					e++;
				if (add_missing(&miss, text + b, e - b))
					goto out;
			}
			start = 0;
			continue;
		}
		if (isalpha(c)) {
			size_t b = i;
			while (text[i] && (is_alnum_byte((unsigned char)text[i]) ||
					   ((text[i] == '-' || text[i] == '.' || text[i] == '&') &&
					    is_alnum_byte((unsigned char)text[i + 1]) &&
					    text[i + 1] != ' ')))
				i++;
			size_t n = i - b;
			/* trailing '.' of an abbreviation stays with the sentence */
			const char *w = text + b;
			/* possessive 's (ASCII or U+2019) */
			if (text[i] == '\'' && text[i + 1] == 's' && !is_alnum_byte((unsigned char)text[i + 2]))
				i += 2;
			else if (!strncmp(text + i, "\xe2\x80\x99s", 4) &&
				 !is_alnum_byte((unsigned char)text[i + 4]))
				i += 4;
			/* a capitalised month, not a sentence's first word
			 * ("May prices fall" is a verb) */
			int check, m = isupper(c) && !start ? month_of(w, n) : -1;
			if (m >= 0) {
				/* a month must be one the sources name, in any of
				 * its spellings ("Feb." for February) */
				if (!month_named(lsrc, m) && add_missing(&miss, w, n))
					goto out;
				check = 0;
			} else if (headline)
				check = headline_name(w, n);
			else
				check = isupper(c) && !(start && is_common(w, n)) &&
					!(n == 1 && (c == 'I' || c == 'A'));
			if (check) {
				int k = name_known(lsrc, w, n);
				if (k < 0)
					goto out;
				if (!k && add_missing(&miss, w, n))
					goto out;
			}
			start = 0;
			continue;
		}
		if (c == '.' || c == '!' || c == '?' || c == ':' || c == '\n' || c == ';')
			start = 1;
		else if (c >= 0x80 || isalnum(c))
			start = 0;
		/* spaces, quotes, dashes, bullets keep the current state */
		i++;
	}
	if (miss.len) {
		*why = util_strfmt("not in the sources: %s", miss.data);
		rc = *why ? 1 : -1;
	} else {
		rc = 0;
	}
out:
	free(lsrc);
	free(ns.v);
	free(dates.v);
	util_buf_free(&miss);
	return rc;
}
