/* check.c — the faithfulness check: the numbers, names and dates a written
 * entry uses must be ones its sources give.
 *
 *  - Numbers are compared by value and by what they count: 1,200 = 1200,
 *    $50B = $50 billion, 30% = 30 percent, 1.5 GW = 1,500 MW, 28 cents =
 *    $0.28; but 30 times is not 30%, 70 GB is not 70B, 700 km is not 700
 *    miles, 120 customers is not 120 employees, tokens a second are not
 *    tokens a day. A number without a unit matches the same value anywhere.
 *  - Spelled quantities are numbers: "three" = 3, "half" = 50%, "a third" =
 *    33%, "doubled" = 2x or +100%, "a dozen" = 12, "one-gigawatt" = 1 GW.
 *  - Names: a capitalised word, unless it opens a sentence and is a common
 *    English word (data/check/common-words.txt); in a title-case headline
 *    every word that is not a common word; words with an inner capital or a
 *    digit (vLLM, iPad, H100) and dotted names (llama.cpp) whatever their
 *    case; a first letter outside ASCII (Özdemir) counts. A name passes when
 *    the sources give it, its singular or plural, an alias of it
 *    (data/check/aliases.conf: TSMC = Taiwan Semiconductor Manufacturing,
 *    U.S. = United States), or, for an acronym, the capitalised words it
 *    abbreviates ("FERC" from "Federal Energy Regulatory Commission").
 *  - Dates: months, weekdays, quarters (Q2 = second quarter), halves and
 *    years must agree with the sources' text or publish dates; relative
 *    dates ("last month", "next year", "later this year") are resolved
 *    against the publish dates and must agree with what the sources say.
 *  - A line of the sources marked as a date line (a publish time) vouches
 *    only for dates.
 *
 * What fails is said in words: 'the sources do not give "30 times" (a
 * number), Micron (a name) or Tuesday (a date)'. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "brief/brief_write.h"
#include "util/util.h"

/* ---- data: common words and aliases, built in ------------------------------------ */

__asm__(".section .rodata\n"
	".global brief_common_words\n"
	".type brief_common_words, @object\n"
	".balign 16\n"
	"brief_common_words:\n"
	".incbin \"data/check/common-words.txt\"\n"
	".byte 0\n"
	".global brief_aliases_conf\n"
	".type brief_aliases_conf, @object\n"
	"brief_aliases_conf:\n"
	".incbin \"data/check/aliases.conf\"\n"
	".byte 0\n"
	".previous\n");
extern const char brief_common_words[];
extern const char brief_aliases_conf[];

#define ALIASES_MAX (1u << 20)

struct brief_check_data {
	const char **common;      /* sorted lower-case common words (into brief_common_words) */
	size_t n_common;
	char **name;              /* alias names, lower-case, each with its group */
	size_t *group;
	size_t n_name, n_groups;
};

void brief_check_data_free(struct brief_check_data *d)
{
	if (!d)
		return;
	free(d->common);
	for (size_t i = 0; i < d->n_name; i++)
		free(d->name[i]);
	free(d->name);
	free(d->group);
	free(d);
}

static int load_common(struct brief_check_data *d)
{
	size_t n = 0;
	for (const char *p = brief_common_words; *p; p++)
		n += *p == '\n';
	d->common = malloc((n + 1) * sizeof *d->common);
	if (!d->common)
		return -1;
	for (const char *p = brief_common_words; *p;) {
		d->common[d->n_common++] = p;
		p += strcspn(p, "\n");
		if (*p)
			p++;
	}
	return 0;
}

static int add_name(struct brief_check_data *d, const char *s, size_t n, size_t group)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	if (!n)
		return 0;
	char **nn = realloc(d->name, (d->n_name + 1) * sizeof *nn);
	if (!nn)
		return -1;
	d->name = nn;
	size_t *ng = realloc(d->group, (d->n_name + 1) * sizeof *ng);
	if (!ng)
		return -1;
	d->group = ng;
	char *v = util_strndup(s, n);
	if (!v)
		return -1;
	for (char *c = v; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	d->name[d->n_name] = v;
	d->group[d->n_name++] = group;
	return 0;
}

/* "name = alias, alias" lines into groups. */
static int parse_aliases(struct brief_check_data *d, const char *text, const char *file,
			 char **err)
{
	int line = 0;
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		line++;
		const char *e = p + len;
		const char *q = p;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (q < e && *q != '#' && *q != ';' && *q != '\r') {
			const char *eq = memchr(q, '=', (size_t)(e - q));
			if (!eq) {
				*err = util_strfmt("%s:%d: expected 'name = other name, ...'", file, line);
				return -1;
			}
			if (!util_utf8_valid(q, (size_t)(e - q))) {
				*err = util_strfmt("%s:%d: not valid UTF-8", file, line);
				return -1;
			}
			size_t g = d->n_groups++;
			if (add_name(d, q, (size_t)(eq - q), g))
				goto nomem;
			for (const char *a = eq + 1; a < e;) {
				const char *c = memchr(a, ',', (size_t)(e - a));
				const char *z = c ? c : e;
				if (add_name(d, a, (size_t)(z - a), g))
					goto nomem;
				a = c ? c + 1 : e;
			}
		}
		p = *e ? e + 1 : e;
	}
	return 0;
nomem:
	*err = util_strdup("out of memory");
	return -1;
}

int brief_check_data_load(const char *config_dir, struct brief_check_data **out, char **err)
{
	struct brief_check_data *d = calloc(1, sizeof *d);
	*out = NULL;
	*err = NULL;
	if (!d || load_common(d)) {
		brief_check_data_free(d);
		return BRIEF_ERR_NOMEM;
	}
	if (parse_aliases(d, brief_aliases_conf, "data/check/aliases.conf (built in)", err))
		goto bad;
	if (config_dir && *config_dir) {
		char *path = util_strfmt("%s/aliases.conf", config_dir);
		if (!path)
			goto bad;
		if (access(path, F_OK) == 0) {
			char *text = NULL;
			if (util_file_read_regular(path, ALIASES_MAX, &text, NULL) < 0) {
				*err = util_strfmt("%s: %s", path, util_file_strerror(errno));
				free(path);
				goto bad;
			}
			int rc = parse_aliases(d, text, path, err);
			free(text);
			if (rc) {
				free(path);
				goto bad;
			}
		}
		free(path);
	}
	*out = d;
	return BRIEF_OK;
bad:
	brief_check_data_free(d);
	if (!*err)
		return BRIEF_ERR_NOMEM;
	return BRIEF_ERR_CONFIG;
}

static struct brief_check_data *builtin;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void builtin_load(void)
{
	char *err = NULL;
	if (brief_check_data_load(NULL, &builtin, &err) != BRIEF_OK)
		builtin = NULL;
	free(err);
}

static int is_common_lower(const struct brief_check_data *d, const char *w, size_t n)
{
	char buf[64];
	if (n == 0 || n >= sizeof buf)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];
		if (!isalpha(c))
			return 0;
		buf[i] = (char)tolower(c);
	}
	buf[n] = '\0';
	size_t lo = 0, hi = d->n_common;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *m = d->common[mid];
		size_t ml = strcspn(m, "\n");
		int c = strncmp(buf, m, ml < n ? ml : n);
		if (c == 0)
			c = (n > ml) - (n < ml);
		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* ---- text helpers ------------------------------------------------------------------ */

/* The bytes of the letter or digit at s: ASCII, a two-byte UTF-8 letter
 * (Latin, Greek, Cyrillic...), a three-byte one (CJK); 0 for anything
 * else (spaces, punctuation, curly quotes, dashes, currency signs). */
static size_t wlen(const char *s)
{
	unsigned char c = (unsigned char)s[0];
	if (c < 0x80)
		return isalnum(c) ? 1 : 0;
	if (c >= 0xC3 && c <= 0xDF && ((unsigned char)s[1] & 0xC0) == 0x80)
		return 2;
	if (c >= 0xE3 && c <= 0xED && ((unsigned char)s[1] & 0xC0) == 0x80 &&
	    ((unsigned char)s[2] & 0xC0) == 0x80)
		return 3;
	return 0;
}

/* Is there a letter or digit just before p (base: the text's start)? */
static int wbefore(const char *base, const char *p)
{
	if (p == base)
		return 0;
	const char *q = p - 1;
	while (q > base && ((unsigned char)*q & 0xC0) == 0x80 && p - q < 3)
		q--;
	size_t n = wlen(q);
	return n > 0 && q + n == p;
}

/* Does the lower-case word w (n bytes) occur in lower-case hay on word
 * boundaries? */
static int word_in(const char *hay, const char *w, size_t n)
{
	if (n == 0)
		return 1;
	size_t hl = strlen(hay);
	for (const char *p = hay; (p = memmem(p, hl - (size_t)(p - hay), w, n)); p++) {
		int before = !wbefore(hay, p);
		int after = !(wlen(p + (n)) > 0);
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

static int word_is(const char *p, const char *w)
{
	size_t n = strlen(w);
	return !strncasecmp(p, w, n) && !(wlen(p + (n)) > 0);
}

/* Is the character at s an upper-case letter (ASCII, Latin-1 or Latin
 * Extended-A)? */
static int upper_at(const char *s)
{
	unsigned char c = (unsigned char)s[0];
	if (c < 0x80)
		return isupper(c);
	if ((c & 0xE0) != 0xC0 || ((unsigned char)s[1] & 0xC0) != 0x80)
		return 0;
	unsigned cp = ((unsigned)(c & 0x1F) << 6) | ((unsigned char)s[1] & 0x3F);
	if (cp >= 0xC0 && cp <= 0xDE)
		return cp != 0xD7;
	if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
		return cp % 2 == 0;
	if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
		return cp % 2 == 1;
	return cp == 0x178;
}

/* ---- what failed ------------------------------------------------------------------ */

enum kind { K_NUMBER, K_NAME, K_DATE };

struct miss {
	struct util_buf list;     /* "text\tkind\n" per failure, each once */
	size_t n;
};

static int add_miss(struct miss *m, const char *w, size_t n, enum kind k)
{
	char key[160];
	int kl = snprintf(key, sizeof key, "%.*s\t%d\n", (int)(n < 120 ? n : 120), w, (int)k);
	if (kl < 0)
		return -1;
	if (m->list.data && strstr(m->list.data, key) &&
	    (strstr(m->list.data, key) == m->list.data || strstr(m->list.data, key)[-1] == '\n'))
		return 0;
	m->n++;
	return util_buf_puts(&m->list, key);
}

/* 'the sources do not give "30 times" (a number), Micron (a name) or
 * Tuesday (a date)' */
static char *miss_text(const struct miss *m)
{
	static const char *const kinds[] = { "a number", "a name", "a date" };
	struct util_buf b;
	util_buf_init(&b);
	util_buf_puts(&b, "the sources do not give ");
	size_t i = 0;
	for (const char *p = m->list.data; p && *p; i++) {
		const char *tab = strchr(p, '\t');
		const char *nl = strchr(tab, '\n');
		int k = atoi(tab + 1);
		if (i)
			util_buf_puts(&b, i + 1 == m->n ? " or " : ", ");
		int quote = memchr(p, ' ', (size_t)(tab - p)) != NULL;
		util_buf_printf(&b, "%s%.*s%s (%s)", quote ? "\"" : "", (int)(tab - p), p,
				quote ? "\"" : "", kinds[k]);
		p = nl + 1;
	}
	return util_buf_steal(&b);
}

/* ---- numbers and what they count ------------------------------------------------- */

enum unit {
	U_NONE, U_NOUN, U_PCT, U_TIMES, U_USD, U_EUR, U_GBP, U_YEN, U_KRW, U_CNY, U_INR, U_XD,
	U_BYTE, U_BIT_S, U_BYTE_S, U_WATT, U_WH, U_NM, U_KM, U_MILE, U_HZ, U_SEC,
};

enum rate { R_NONE, R_SEC, R_MIN, R_HOUR, R_DAY, R_WEEK, R_MONTH, R_YEAR };

struct qty {
	double raw, scaled;       /* 1.5 and 1.5e9 for "1.5 billion" */
	double factor;            /* of the unit: GW 1e9 (watts), cents 0.01 (dollars) */
	enum unit unit;
	enum rate rate;
	char noun[24];            /* U_NOUN: what it counts, singular, lower-case */
	char noun2[24];           /* the word after it ("construction jobs": job) */
	int date_line;            /* from a publish time: vouches for dates only */
	int word;                 /* spelled ("three"): also passes when the same word is there */
};

struct qtys {
	struct qty *v;
	size_t n, cap;
};

static int qty_push(struct qtys *q, const struct qty *x)
{
	if (q->n == q->cap) {
		size_t nc = q->cap ? q->cap * 2 : 32;
		struct qty *nv = realloc(q->v, nc * sizeof *nv);
		if (!nv)
			return -1;
		q->v = nv;
		q->cap = nc;
	}
	q->v[q->n++] = *x;
	return 0;
}

static const struct {
	const char *w;
	enum unit u;
	double f;
} units[] = {
	{ "%", U_PCT, 1 }, { "percent", U_PCT, 1 }, { "per cent", U_PCT, 1 }, { "pct", U_PCT, 1 },
	{ "percentage points", U_PCT, 1 }, { "points", U_PCT, 1 },
	{ "times", U_TIMES, 1 }, { "x", U_TIMES, 1 }, { "fold", U_TIMES, 1 },
	{ "dollars", U_USD, 1 }, { "dollar", U_USD, 1 }, { "usd", U_USD, 1 }, { "cents", U_USD, 0.01 },
	{ "euros", U_EUR, 1 }, { "euro", U_EUR, 1 }, { "eur", U_EUR, 1 },
	{ "pounds sterling", U_GBP, 1 }, { "yen", U_YEN, 1 }, { "won", U_KRW, 1 },
	{ "yuan", U_CNY, 1 }, { "renminbi", U_CNY, 1 }, { "rmb", U_CNY, 1 },
	{ "rupees", U_INR, 1 }, { "rupee", U_INR, 1 },
	{ "bytes", U_BYTE, 1 }, { "kb", U_BYTE, 1e3 }, { "mb", U_BYTE, 1e6 }, { "gb", U_BYTE, 1e9 },
	{ "tb", U_BYTE, 1e12 }, { "pb", U_BYTE, 1e15 }, { "kilobytes", U_BYTE, 1e3 },
	{ "megabytes", U_BYTE, 1e6 }, { "gigabytes", U_BYTE, 1e9 }, { "terabytes", U_BYTE, 1e12 },
	{ "petabytes", U_BYTE, 1e15 },
	{ "gb/s", U_BYTE_S, 1e9 }, { "tb/s", U_BYTE_S, 1e12 }, { "mb/s", U_BYTE_S, 1e6 },
	{ "gbps", U_BIT_S, 1e9 }, { "mbps", U_BIT_S, 1e6 }, { "tbps", U_BIT_S, 1e12 },
	{ "gbit/s", U_BIT_S, 1e9 }, { "gigabits per second", U_BIT_S, 1e9 },
	{ "w", U_WATT, 1 }, { "watts", U_WATT, 1 }, { "watt", U_WATT, 1 }, { "kw", U_WATT, 1e3 },
	{ "kilowatts", U_WATT, 1e3 }, { "kilowatt", U_WATT, 1e3 }, { "mw", U_WATT, 1e6 },
	{ "megawatts", U_WATT, 1e6 }, { "megawatt", U_WATT, 1e6 }, { "gw", U_WATT, 1e9 },
	{ "gigawatts", U_WATT, 1e9 }, { "gigawatt", U_WATT, 1e9 },
	{ "kwh", U_WH, 1e3 }, { "mwh", U_WH, 1e6 }, { "gwh", U_WH, 1e9 }, { "twh", U_WH, 1e12 },
	{ "nm", U_NM, 1 }, { "nanometre", U_NM, 1 }, { "nanometer", U_NM, 1 },
	{ "nanometres", U_NM, 1 }, { "nanometers", U_NM, 1 },
	{ "km", U_KM, 1 }, { "kilometres", U_KM, 1 }, { "kilometers", U_KM, 1 },
	{ "kilometre", U_KM, 1 }, { "kilometer", U_KM, 1 }, { "miles", U_MILE, 1 }, { "mile", U_MILE, 1 },
	{ "ghz", U_HZ, 1e9 }, { "mhz", U_HZ, 1e6 }, { "gigahertz", U_HZ, 1e9 },
	{ "ms", U_SEC, 1e-3 }, { "milliseconds", U_SEC, 1e-3 }, { "millisecond", U_SEC, 1e-3 },
	{ "microseconds", U_SEC, 1e-6 }, { "seconds", U_SEC, 1 }, { "second", U_SEC, 1 },
	{ "secs", U_SEC, 1 }, { "minutes", U_SEC, 60 }, { "minute", U_SEC, 60 },
	{ "mins", U_SEC, 60 },
};

static const struct {
	const char *w;
	double f;
} scales[] = {
	{ "thousand", 1e3 }, { "million", 1e6 }, { "billion", 1e9 }, { "trillion", 1e12 },
	{ "bn", 1e9 }, { "mn", 1e6 }, { "tn", 1e12 },
};

/* Words after a count that are not what it counts. */
static const char *const not_nouns[] = {
	"a", "an", "and", "are", "as", "at", "by", "for", "from", "in", "is", "it", "its", "of",
	"on", "or", "per", "than", "that", "the", "their", "this", "to", "up", "was", "were",
	"with", "year", "years", "month", "months", "day", "days", "week", "weeks", "hour",
	"hours", "quarter", "quarters", "more", "less", "fewer", "new", "other", "over", "about",
	"after", "before", "into", "under", "while", "which", "who", "so", "but", "if", "has",
	"had", "have", "will", "would", "can", "could", "said", "says", "says", "last", "next",
	"largest", "biggest", "top", "first", "second", "third", "most", "each", "all", "s",
	"high", "layer", "inch", "bit", "core", "million", "billion",
};

static int is_not_noun(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof not_nouns / sizeof *not_nouns; i++)
		if (strlen(not_nouns[i]) == n && !strncasecmp(not_nouns[i], w, n))
			return 1;
	return 0;
}

static size_t word_len(const char *p)
{
	size_t n = 0;
	while (isalpha((unsigned char)p[n]))
		n++;
	return n;
}

/* The singular, lower-case form of the word s (n bytes < 24) into out. */
static void singular(const char *s, size_t n, char *out)
{
	size_t m = n;
	if (m > 4 && !strncasecmp(s + m - 3, "ies", 3)) {
		memcpy(out, s, m - 3);
		strcpy(out + m - 3, "y");
	} else {
		if (m > 3 && (s[m - 1] == 's' || s[m - 1] == 'S') && s[m - 2] != 's')
			m--;
		memcpy(out, s, m);
		out[m] = '\0';
	}
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
}

/* The unit (or counted noun) and rate after a number, starting at p (just
 * after the number and its scale); returns the bytes used. */
static size_t parse_unit(const char *p, struct qty *q)
{
	size_t used = 0;
	if (*p == '%') {
		q->unit = U_PCT;
		used = 1;
	} else {
		const char *s = p;
		if (*s == ' ' || *s == '-')
			s++;
		size_t best = 0;
		for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
			size_t n = strlen(units[i].w);
			if (n <= best || units[i].w[0] == '%' || strncasecmp(s, units[i].w, n) ||
			    wlen(s + n))
				continue;
			/* a lone "x" or "w" only right after the digits */
			if (n == 1 && s != p)
				continue;
			/* the longest unit ("GB/s", not "GB") */
			best = n;
			q->unit = units[i].u;
			q->factor = units[i].f;
			used = (size_t)(s - p) + n;
		}
		/* what a count counts: one or two lower-case words ("10,000
		 * Blackwell GPUs" is not a count of Blackwells; "2,000
		 * construction jobs" counts jobs) */
		if (q->unit == U_NONE && s > p && islower((unsigned char)*s)) {
			size_t n = word_len(s);
			if (n >= 2 && n < sizeof q->noun && !is_not_noun(s, n) && !wlen(s + n)) {
				singular(s, n, q->noun);
				q->unit = U_NOUN;
				used = (size_t)(s - p) + n;
				const char *t = s + n;
				if (*t == ' ' && islower((unsigned char)t[1])) {
					size_t m = word_len(t + 1);
					if (m >= 2 && m < sizeof q->noun2 && !is_not_noun(t + 1, m) &&
					    !wlen(t + 1 + m)) {
						singular(t + 1, m, q->noun2);
						used += 1 + m;
					}
				}
			}
		}
	}
	if (q->unit == U_NONE)
		return used;
	/* a rate: "a second", "per day", "/s" */
	static const struct {
		const char *w;
		enum rate r;
	} rates[] = {
		{ "/s", R_SEC }, { "/sec", R_SEC }, { "/day", R_DAY }, { "/hr", R_HOUR },
		{ " a second", R_SEC }, { " per second", R_SEC }, { " each second", R_SEC },
		{ " a minute", R_MIN }, { " per minute", R_MIN }, { " an hour", R_HOUR },
		{ " per hour", R_HOUR }, { " a day", R_DAY }, { " per day", R_DAY },
		{ " each day", R_DAY }, { " a week", R_WEEK }, { " per week", R_WEEK },
		{ " a month", R_MONTH }, { " per month", R_MONTH }, { " a year", R_YEAR },
		{ " per year", R_YEAR }, { " annually", R_YEAR }, { " a year", R_YEAR },
	};
	const char *r = p + used;
	for (size_t i = 0; i < sizeof rates / sizeof *rates; i++) {
		size_t n = strlen(rates[i].w);
		if (!strncasecmp(r, rates[i].w, n) && !(wlen(r + (n)) > 0)) {
			q->rate = rates[i].r;
			used += n;
			break;
		}
	}
	return used;
}

/* Parse a number starting at s[i] (a digit not preceded by a letter or
 * digit), its scale, its unit and its currency sign before it. Returns the
 * index after what was used. */
static size_t parse_num(const char *s, size_t i, struct qty *q)
{
	char buf[64];
	size_t k = 0, j = i;
	int dot = 0;

	memset(q, 0, sizeof *q);
	q->factor = 1;
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
	q->raw = strtod(buf, NULL);
	double scale = 1;
	const char *p = s + j;
	if ((*p == 'K' || *p == 'k') && !(wlen(p + (1)) > 0)) {
		scale = 1e3; j++;
	} else if (*p == 'M' && !(wlen(p + (1)) > 0)) {
		scale = 1e6; j++;
	} else if ((*p == 'B' || *p == 'b') && !(wlen(p + (1)) > 0)) {
		scale = 1e9; j++;
	} else if ((*p == 'T' || *p == 't') && p[1] == 'n' && !(wlen(p + (2)) > 0)) {
		scale = 1e12; j += 2;
	} else if (*p == 'T' && !(wlen(p + (1)) > 0)) {
		scale = 1e12; j++;
	} else {
		const char *w = p;
		if (*w == ' ' || *w == '-')
			w++;
		for (size_t x = 0; x < sizeof scales / sizeof *scales; x++)
			if (word_is(w, scales[x].w) && (w > p || x >= 4)) {
				scale = scales[x].f;
				j = (size_t)(w - s) + strlen(scales[x].w);
				break;
			}
	}
	q->scaled = q->raw * scale;
	j += parse_unit(s + j, q);
	/* currency before: $, US$, €, £, ¥; S$, A$, HK$, NT$ are other dollars */
	if (i > 0 && s[i - 1] == '$')
		q->unit = i >= 2 && isupper((unsigned char)s[i - 2]) &&
			  !(i >= 3 && s[i - 2] == 'S' && s[i - 3] == 'U') ? U_XD : U_USD,
		q->factor = 1;
	else if (i >= 3 && !strncmp(s + i - 3, "\xe2\x82\xac", 3))
		q->unit = U_EUR, q->factor = 1;
	else if (i >= 2 && !strncmp(s + i - 2, "\xc2\xa3", 2))
		q->unit = U_GBP, q->factor = 1;
	else if (i >= 2 && !strncmp(s + i - 2, "\xc2\xa5", 2))
		q->unit = U_YEN, q->factor = 1;
	return j;
}

static int is_num_start(const char *s, size_t i)
{
	if (!isdigit((unsigned char)s[i]))
		return 0;
	if (i == 0)
		return 1;
	unsigned char pc = (unsigned char)s[i - 1];
	if (wbefore(s, s + i))
		return 0;
	/* "5.3" inside "GPT-5.3" is a number; ".3" after a digit is not a start */
	if (pc == '.' && i >= 2 && isdigit((unsigned char)s[i - 2]))
		return 0;
	if (pc == ',' && i >= 2 && isdigit((unsigned char)s[i - 2]))
		return 0;
	return 1;
}

/* A token of digits and letters ("910C", "H100", "5090s", "3nm"): a model
 * number or a name rather than a count, unless the letters are a unit. */
static size_t alnum_token(const char *s, size_t i)
{
	size_t j = i;
	while (wlen(s + j))
		j += wlen(s + j);
	return j;
}

/* ---- spelled quantities ------------------------------------------------------------ */

static const struct {
	const char *w;
	double v;
	enum unit u;       /* U_TIMES for multipliers, U_PCT for fractions (v in %) */
} number_words[] = {
	{ "two", 2, U_NONE }, { "three", 3, U_NONE }, { "four", 4, U_NONE }, { "five", 5, U_NONE },
	{ "six", 6, U_NONE }, { "seven", 7, U_NONE }, { "eight", 8, U_NONE }, { "nine", 9, U_NONE },
	{ "ten", 10, U_NONE }, { "eleven", 11, U_NONE }, { "twelve", 12, U_NONE },
	{ "thirteen", 13, U_NONE }, { "fourteen", 14, U_NONE }, { "fifteen", 15, U_NONE },
	{ "sixteen", 16, U_NONE }, { "seventeen", 17, U_NONE }, { "eighteen", 18, U_NONE },
	{ "nineteen", 19, U_NONE }, { "twenty", 20, U_NONE }, { "thirty", 30, U_NONE },
	{ "forty", 40, U_NONE }, { "fifty", 50, U_NONE }, { "sixty", 60, U_NONE },
	{ "seventy", 70, U_NONE }, { "eighty", 80, U_NONE }, { "ninety", 90, U_NONE },
	{ "hundred", 100, U_NONE }, { "dozen", 12, U_NONE }, { "half a dozen", 6, U_NONE },
	{ "two dozen", 24, U_NONE }, { "a dozen", 12, U_NONE }, { "three dozen", 36, U_NONE },
	{ "one", 1, U_NONE },
	{ "half", 50, U_PCT }, { "a third", 100.0 / 3, U_PCT }, { "one third", 100.0 / 3, U_PCT },
	{ "one-third", 100.0 / 3, U_PCT }, { "two thirds", 200.0 / 3, U_PCT },
	{ "two-thirds", 200.0 / 3, U_PCT }, { "a quarter of", 25, U_PCT },
	{ "one quarter of", 25, U_PCT }, { "three quarters", 75, U_PCT },
	{ "three-quarters", 75, U_PCT }, { "a fifth", 20, U_PCT }, { "one fifth", 20, U_PCT },
	{ "one-fifth", 20, U_PCT }, { "a tenth", 10, U_PCT }, { "one tenth", 10, U_PCT },
	{ "double", 2, U_TIMES }, { "doubled", 2, U_TIMES }, { "doubles", 2, U_TIMES },
	{ "doubling", 2, U_TIMES }, { "twice", 2, U_TIMES }, { "twofold", 2, U_TIMES },
	{ "two-fold", 2, U_TIMES }, { "triple", 3, U_TIMES }, { "tripled", 3, U_TIMES },
	{ "triples", 3, U_TIMES }, { "tripling", 3, U_TIMES }, { "threefold", 3, U_TIMES },
	{ "three-fold", 3, U_TIMES }, { "quadruple", 4, U_TIMES }, { "quadrupled", 4, U_TIMES },
	{ "fourfold", 4, U_TIMES }, { "halved", 0.5, U_TIMES }, { "halving", 0.5, U_TIMES },
	{ "halves", 0.5, U_TIMES },
};

/* The spelled quantity at s (a word start): its table index, *len its
 * bytes; -1 when none. The longest match wins ("half a dozen" over
 * "half"). */
static int number_word(const char *s, size_t *len)
{
	int best = -1;
	size_t bl = 0;
	for (size_t i = 0; i < sizeof number_words / sizeof *number_words; i++) {
		size_t n = strlen(number_words[i].w);
		if (n > bl && !strncasecmp(s, number_words[i].w, n) && !wlen(s + n)) {
			best = (int)i;
			bl = n;
		}
	}
	*len = bl;
	return best;
}

/* ---- dates ----------------------------------------------------------------------- */

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

static const char *const weekdays[] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
};

static int weekday_of(const char *w, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (strlen(weekdays[i]) == n && !strncasecmp(weekdays[i], w, n))
			return i;
	return -1;
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
	if (q < p && month_of(text + q, p - q) >= 0)
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
	return t > r && month_of(text + r, t - r) >= 0;
}

/* Periods named in a text: years, quarters and halves (with their year
 * when one is beside them), months. */
struct period {
	char kind;                /* 'y' year, 'q' quarter, 'h' half, 'm' month */
	int n;                    /* quarter 1..4, half 1..2, month 0..11 */
	int year;                 /* 0: not said */
};

struct periods {
	struct period v[256];
	size_t n;
};

static void period_add(struct periods *ps, char kind, int n, int year)
{
	if (ps->n < sizeof ps->v / sizeof *ps->v)
		ps->v[ps->n++] = (struct period){ kind, n, year };
}

static const char *const ordinals[] = { "first", "second", "third", "fourth" };

/* A year right after p ("2026", " 2026", " of 2026", "'26"); 0 if none. */
static int year_after(const char *p)
{
	while (*p == ' ' || *p == ',')
		p++;
	if (word_is(p, "of"))
		p += 3;
	while (*p == ' ')
		p++;
	if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3]) &&
	    !(wlen(p + (4)) > 0)) {
		int y = atoi(p);
		return y >= 1900 && y <= 2100 ? y : 0;
	}
	return 0;
}

/* The quarter or half at word w (n bytes) of text: 'q'/'h' into *kind,
 * its number, and *used bytes; 0 when none. "Q2", "H1", "second quarter",
 * "second-quarter", "first half". */
static int quarter_at(const char *w, size_t n, char *kind, size_t *used)
{
	if (n == 2 && (w[0] == 'Q' || w[0] == 'q') && w[1] >= '1' && w[1] <= '4') {
		*kind = 'q';
		*used = 2;
		return w[1] - '0';
	}
	if (n == 2 && (w[0] == 'H' || w[0] == 'h') && (w[1] == '1' || w[1] == '2')) {
		*kind = 'h';
		*used = 2;
		return w[1] - '0';
	}
	for (int i = 0; i < 4; i++) {
		size_t l = strlen(ordinals[i]);
		if (n != l || strncasecmp(w, ordinals[i], l) || (w[l] != ' ' && w[l] != '-'))
			continue;
		if (word_is(w + l + 1, "quarter")) {
			*kind = 'q';
			*used = l + 8;
			return i + 1;
		}
		if (i < 2 && word_is(w + l + 1, "half")) {
			*kind = 'h';
			*used = l + 5;
			return i + 1;
		}
	}
	return 0;
}

/* The periods of text (date lines left out): what the sources say. */
static void collect_periods(const char *text, struct periods *ps)
{
	int date_line = *text == BRIEF_CHECK_DATE_LINE;
	for (size_t i = 0; text[i];) {
		if (text[i] == '\n') {
			date_line = text[i + 1] == BRIEF_CHECK_DATE_LINE;
			i++;
			continue;
		}
		if (date_line || !(wlen(text + (i)) > 0) ||
		    wbefore(text, text + i)) {
			i++;
			continue;
		}
		size_t n = 0;
		while (wlen(text + i + n))
			n += wlen(text + i + n);
		char kind;
		size_t used;
		int q = quarter_at(text + i, n, &kind, &used);
		int m;
		if (q) {
			period_add(ps, kind, q, year_after(text + i + used));
		} else if ((m = month_of(text + i, n)) >= 0 && isupper((unsigned char)text[i])) {
			const char *p = text + i + n;
			if (*p == '.')
				p++;
			while (*p == ' ' || isdigit((unsigned char)*p) || *p == ',')
				if (isdigit((unsigned char)*p) && year_after(p))
					break;
				else
					p++;
			period_add(ps, 'm', m, year_after(p));
		} else if (n == 4 && isdigit((unsigned char)text[i])) {
			int y = atoi(text + i);
			if (y >= 1900 && y <= 2100)
				period_add(ps, 'y', 0, y);
		}
		i += n;
	}
}

/* The publish dates of the sources (the first YYYY-MM-DD of each date
 * line), as year, month (0..11) and day. */
struct refdate {
	int y, m, d;
};

static size_t collect_refs(const char *s, struct refdate *r, size_t cap)
{
	size_t n = 0;
	for (const char *p = s; p && *p && n < cap; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (*p != BRIEF_CHECK_DATE_LINE)
			continue;
		int y, m, d;
		if (sscanf(p + 1, "%4d-%2d-%2d", &y, &m, &d) == 3 && m >= 1 && m <= 12) {
			size_t k = 0;
			while (k < n && !(r[k].y == y && r[k].m == m - 1 && r[k].d == d))
				k++;
			if (k == n)
				r[n++] = (struct refdate){ y, m - 1, d };
		}
	}
	return n;
}

/* ---- the check ------------------------------------------------------------------- */

struct ctx {
	const struct brief_check_data *d;
	const char *src;          /* as given */
	char *lsrc;               /* lower-case */
	struct qtys q;            /* the sources' quantities */
	struct periods per;       /* the sources' periods */
	struct refdate ref[32];
	size_t n_ref;
	int wd_named[7];          /* weekdays the sources' text names */
	struct {
		int m, d;
	} days[64];               /* days of a month the sources' text names */
	size_t n_days;
	char **acro;              /* acronyms the sources' capitalised words make */
	size_t n_acro;
	struct miss miss;
};

static int same(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static int same_group(const struct brief_check_data *d, const char *a, const char *b)
{
	for (size_t i = 0; i < d->n_name; i++) {
		if (strcmp(d->name[i], a))
			continue;
		for (size_t j = 0; j < d->n_name; j++)
			if (d->group[j] == d->group[i] && !strcmp(d->name[j], b))
				return 1;
	}
	return 0;
}

/* Nouns that are sums of money: "a 1.5 trillion valuation" is a sum in
 * some currency. */
static int money_noun(const char *n)
{
	static const char *const w[] = {
		"valuation", "revenue", "sale", "profit", "loss", "investment", "funding", "round",
		"deal", "capex", "spending", "income", "cost", "price", "budget", "fund", "grant",
		"subsidy", "fine", "award", "contract", "raise", "order", "market",
	};
	for (size_t i = 0; i < sizeof w / sizeof *w; i++)
		if (!strcmp(n, w[i]))
			return 1;
	return 0;
}

static int is_currency(enum unit u)
{
	return u >= U_USD && u <= U_XD;
}

/* Do the units of entry quantity e and source quantity s allow the same
 * value to be the same fact? */
static int units_agree(const struct ctx *c, const struct qty *e, const struct qty *s)
{
	if (e->unit == U_NONE)
		return 1;
	/* tokens a second are not tokens a day */
	if (e->rate != R_NONE && s->rate != R_NONE && e->rate != s->rate)
		return 0;
	if ((e->unit == U_NOUN && money_noun(e->noun) && is_currency(s->unit)) ||
	    (s->unit == U_NOUN && money_noun(s->noun) && is_currency(e->unit)))
		return 1;
	if (e->unit == U_NOUN) {
		if (s->unit == U_NONE)
			return 1;
		if (s->unit != U_NOUN)
			return 0;
		const char *en[2] = { e->noun, e->noun2 }, *sn[2] = { s->noun, s->noun2 };
		for (int i = 0; i < 2; i++)
			for (int j = 0; j < 2; j++)
				if (*en[i] && *sn[j] &&
				    (!strcmp(en[i], sn[j]) || same_group(c->d, en[i], sn[j])))
					return 1;
		return 0;
	}
	return s->unit == e->unit;
}

static int values_agree(const struct qty *e, const struct qty *s)
{
	if (e->unit != U_NONE && e->unit != U_NOUN && e->unit == s->unit) {
		double a[2] = { e->raw * e->factor, e->scaled * e->factor };
		double b[2] = { s->raw * s->factor, s->scaled * s->factor };
		for (int i = 0; i < 2; i++)
			for (int j = 0; j < 2; j++)
				if (same(a[i], b[j]))
					return 1;
		return 0;
	}
	return same(e->raw, s->raw) || same(e->raw, s->scaled) || same(e->scaled, s->raw) ||
	       same(e->scaled, s->scaled);
}

static int qty_known(const struct ctx *c, const struct qty *e)
{
	for (size_t i = 0; i < c->q.n; i++) {
		const struct qty *s = &c->q.v[i];
		if (s->date_line)
			continue;
		if (values_agree(e, s) && units_agree(c, e, s))
			return 1;
		/* a fraction or multiplier in words: "half" for 50%, "doubled"
		 * for 2x or +100% */
		if (e->word && e->unit == U_PCT && s->unit == U_PCT && fabs(e->raw - s->raw) <= 2)
			return 1;
		if (e->word && e->unit == U_PCT && s->unit == U_NONE && same(e->raw / 100, s->raw))
			return 1;
		/* "1.5 times" is "50% more"; "halved" is 50% */
		if (e->unit == U_TIMES &&
		    ((s->unit == U_PCT && e->raw > 1 && same((e->raw - 1) * 100, s->raw)) ||
		     (e->word && s->unit == U_PCT && e->raw < 1 && same(e->raw * 100, s->raw))))
			return 1;
		if (e->unit == U_PCT && s->unit == U_TIMES && s->raw > 1 &&
		    same((s->raw - 1) * 100, e->raw))
			return 1;
	}
	return 0;
}

/* The sources' numbers; a number without a unit just before one with a
 * unit ("between 3 and 5 nm", "10 to 20%") takes that unit too. */
static int collect_qtys(struct ctx *c)
{
	const char *s = c->src;
	int date_line = *s == BRIEF_CHECK_DATE_LINE;
	size_t last_end = 0;
	for (size_t i = 0; s[i];) {
		if (s[i] == '\n') {
			date_line = s[i + 1] == BRIEF_CHECK_DATE_LINE;
			i++;
			continue;
		}
		struct qty q;
		size_t len;
		int w;
		if (is_num_start(s, i)) {
			size_t e = parse_num(s, i, &q);
			q.date_line = date_line;
			if (c->q.n && q.unit != U_NONE && c->q.v[c->q.n - 1].unit == U_NONE &&
			    i - last_end <= 6 && i > last_end) {
				struct qty *prev = &c->q.v[c->q.n - 1];
				char gap[8];
				snprintf(gap, sizeof gap, "%.*s", (int)(i - last_end), s + last_end);
				if (strstr(gap, "to") || strstr(gap, "and") || strstr(gap, "or") ||
				    strchr(gap, '-') || strstr(gap, "\xe2\x80\x93")) {
					prev->unit = q.unit;
					prev->factor = q.factor;
					prev->rate = q.rate;
					memcpy(prev->noun, q.noun, sizeof prev->noun);
					memcpy(prev->noun2, q.noun2, sizeof prev->noun2);
				}
			}
			if (qty_push(&c->q, &q))
				return -1;
			last_end = e;
			i = e > i ? e : i + 1;
		} else if (isalpha((unsigned char)s[i]) && !wbefore(s, s + i) &&
			   (w = number_word(s + i, &len)) >= 0) {
			memset(&q, 0, sizeof q);
			q.raw = q.scaled = number_words[w].v;
			q.factor = 1;
			q.unit = number_words[w].u;
			q.word = 1;
			if (q.unit == U_NONE)
				len += parse_unit(s + i + len, &q);
			q.date_line = date_line;
			if (qty_push(&c->q, &q))
				return -1;
			i += len;
		} else {
			i++;
		}
	}
	return 0;
}

/* Acronyms the sources' runs of capitalised words make: "Federal Energy
 * Regulatory Commission" gives FERC (and FE, ERC, ...); "Department of
 * Commerce" gives DC and DOC. */
static int collect_acronyms(struct ctx *c)
{
	const char *s = c->src;
	char run[16], runall[16];
	size_t n = 0, na = 0;
	for (size_t i = 0;; i++) {
		int boundary = !s[i] || !(wlen(s + (i)) > 0);
		int start = s[i] && (wlen(s + (i)) > 0) &&
			    !wbefore(s, s + i);
		if (start) {
			size_t wl = 0;
			while (wlen(s + i + wl))
				wl += wlen(s + i + wl);
			int small = (wl == 2 && !strncmp(s + i, "of", 2)) ||
				    (wl == 3 && (!strncmp(s + i, "and", 3) || !strncmp(s + i, "for", 3) ||
						 !strncmp(s + i, "the", 3)));
			if (isupper((unsigned char)s[i]) && n < sizeof run - 1) {
				run[n++] = s[i];
				runall[na++] = s[i];
				/* an acronym word inside the run: its letters */
				i += wl - 1;
				continue;
			}
			if (small && n && na < sizeof runall - 1) {
				runall[na++] = (char)toupper((unsigned char)s[i]);
				i += wl - 1;
				continue;
			}
			boundary = 1;
		}
		/* a run goes on over spaces, dots, hyphens, '&' and a comma
		 * before a capitalised word ("Ministry of Investment, Trade and
		 * Industry") */
		int goes_on = s[i] == ' ' || s[i] == '.' || s[i] == '-' || s[i] == '&' ||
			      (s[i] == ',' && s[i + 1] == ' ' && isupper((unsigned char)s[i + 2]));
		if (boundary && (!s[i] || !goes_on || start)) {
			for (int pass = 0; pass < 2 && n >= 2; pass++) {
				const char *r = pass ? runall : run;
				size_t rl = pass ? na : n;
				for (size_t a = 0; a < rl; a++)
					for (size_t b = a + 2; b <= rl; b++) {
						char **nv = realloc(c->acro, (c->n_acro + 1) * sizeof *nv);
						if (!nv)
							return -1;
						c->acro = nv;
						if (!(c->acro[c->n_acro] = util_strndup(r + a, b - a)))
							return -1;
						c->n_acro++;
					}
			}
			n = na = 0;
			if (!s[i])
				break;
		}
	}
	return 0;
}

/* The weekdays and the days of a month ("February 17", "17 February") the
 * sources' text names (date lines left out). */
static void collect_days(struct ctx *c)
{
	const char *s = c->src;
	int date_line = *s == BRIEF_CHECK_DATE_LINE;
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '\n') {
			date_line = s[i + 1] == BRIEF_CHECK_DATE_LINE;
			continue;
		}
		if (date_line || !isalpha((unsigned char)s[i]) || wbefore(s, s + i))
			continue;
		size_t n = word_len(s + i);
		int k = weekday_of(s + i, n), m = month_of(s + i, n);
		if (k >= 0)
			c->wd_named[k] = 1;
		if (m >= 0 && isupper((unsigned char)s[i])) {
			const char *p = s + i + n;
			if (*p == '.')
				p++;
			if (*p == ' ' && isdigit((unsigned char)p[1]) && c->n_days < 64) {
				int d = atoi(p + 1);
				if (d >= 1 && d <= 31)
					c->days[c->n_days].m = m, c->days[c->n_days++].d = d;
			}
		}
		i += n ? n - 1 : 0;
	}
}

/* Is the name w (n bytes, as written) in the sources: itself, singular or
 * plural, an alias, or an acronym of their capitalised words? */
static int name_known(const struct ctx *c, const char *w, size_t n)
{
	char *l = lower_dup(w, n);
	if (!l)
		return -1;
	int ok = word_in(c->lsrc, l, n);
	if (!ok && n > 2 && l[n - 1] == 's')
		ok = word_in(c->lsrc, l, n - 1);                 /* GPUs: GPU */
	if (!ok) {
		char *pl = util_strfmt("%ss", l);                /* GPU: GPUs */
		ok = pl && word_in(c->lsrc, pl, n + 1);
		free(pl);
	}
	/* an alias of it, or of its singular */
	for (size_t i = 0; !ok && i < c->d->n_name; i++) {
		const char *a = c->d->name[i];
		if (strcmp(a, l) && !(n > 2 && l[n - 1] == 's' && strlen(a) == n - 1 && !strncmp(a, l, n - 1)))
			continue;
		for (size_t j = 0; !ok && j < c->d->n_name; j++)
			if (c->d->group[j] == c->d->group[i] && j != i)
				ok = word_in(c->lsrc, c->d->name[j], strlen(c->d->name[j]));
	}
	/* an acronym: its capitals (an "s" plural dropped) */
	if (!ok && n >= 2 && n <= 8) {
		size_t m = n;
		if (w[m - 1] == 's')
			m--;
		int caps = m >= 2;
		for (size_t k = 0; k < m; k++)
			caps &= isupper((unsigned char)w[k]) != 0;
		for (size_t a = 0; caps && !ok && a < c->n_acro; a++)
			ok = strlen(c->acro[a]) == m && !strncmp(c->acro[a], w, m);
	}
	if (!ok && memchr(l, '-', n)) {
		/* each name-like part of a hyphenated word */
		ok = 1;
		for (size_t a = 0; a < n && ok;) {
			size_t b = a;
			while (b < n && l[b] != '-')
				b++;
			int name_like = upper_at(w + a) && !is_common_lower(c->d, w + a, b - a);
			for (size_t k = a; k < b; k++)
				if (isdigit((unsigned char)w[k]))
					name_like = 1;
			if (name_like && b > a && !word_in(c->lsrc, l + a, b - a))
				ok = 0;
			a = b + 1;
		}
	}
	free(l);
	return ok;
}

/* At s, a name of several words that an alias line holds, and that line
 * has a name the sources give: its bytes; 0 otherwise. */
static size_t alias_phrase(const struct ctx *c, const char *s)
{
	size_t best = 0;
	for (size_t i = 0; i < c->d->n_name; i++) {
		const char *a = c->d->name[i];
		size_t n = strlen(a);
		if (n <= best || !strchr(a, ' ') || strncasecmp(s, a, n) || wlen(s + n))
			continue;
		for (size_t j = 0; j < c->d->n_name; j++)
			if (c->d->group[j] == c->d->group[i] &&
			    word_in(c->lsrc, c->d->name[j], strlen(c->d->name[j]))) {
				best = n;
				break;
			}
	}
	return best;
}

/* Does the word look like a name whatever its case: an inner capital or a
 * digit after a letter (vLLM, iPad, H100), or a dotted name (llama.cpp)? */
static int marked_name(const char *w, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (isupper((unsigned char)w[i]) && w[i - 1] != '-')
			return 1;
		if (isdigit((unsigned char)w[i]) && isalpha((unsigned char)w[0]))
			return 1;
		if (w[i] == '.' && i >= 2 && i + 2 < n && isalpha((unsigned char)w[i + 1]))
			return 1;
	}
	return 0;
}

static int period_supported(const struct ctx *c, char kind, int num, int year)
{
	/* a quarter the sources give without its year may be of the year
	 * the entry says, unless they date that year's quarters otherwise */
	int dated = 0;
	for (size_t i = 0; year && i < c->per.n; i++)
		dated |= c->per.v[i].kind == kind && c->per.v[i].year == year;
	for (size_t i = 0; i < c->per.n; i++) {
		const struct period *p = &c->per.v[i];
		if (kind == 'y') {
			if (p->year == year)
				return 1;
			continue;
		}
		if (p->kind == kind && p->n == num &&
		    (!year || p->year == year || (!p->year && !dated)))
			return 1;
	}
	return 0;
}

/* Days since 1970-01-01 of a date (month 0..11). */
static long day_number(int y, int m, int d)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m, .tm_mday = d, .tm_hour = 12 };
	return (long)(timegm(&tm) / 86400);
}

/* The Monday-based week of a day number. */
static long week_of(long day)
{
	return (day + 3) / 7;      /* 1970-01-01 was a Thursday */
}

/* Relative dates: "last year", "this month", "next week", "earlier this
 * year", "later this year", "by the end of next year". Returns the bytes
 * used at s (0: none) and sets *ok to whether the sources agree. */
static size_t relative_date(const struct ctx *c, const char *s, int *ok)
{
	static const struct {
		const char *w;
		int off;      /* -1 last, 0 this, 1 next */
		char unit;    /* y, m, w */
		int dir;      /* -1 earlier, 1 later */
	} rel[] = {
		{ "earlier this year", 0, 'y', -1 }, { "later this year", 0, 'y', 1 },
		{ "later in the year", 0, 'y', 1 }, { "earlier in the year", 0, 'y', -1 },
		{ "last year", -1, 'y', 0 }, { "this year", 0, 'y', 0 }, { "next year", 1, 'y', 0 },
		{ "previous year", -1, 'y', 0 }, { "last month", -1, 'm', 0 },
		{ "this month", 0, 'm', 0 }, { "next month", 1, 'm', 0 },
		{ "last week", -1, 'w', 0 }, { "this week", 0, 'w', 0 }, { "next week", 1, 'w', 0 },
	};
	for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
		size_t n = strlen(rel[i].w);
		if (strncasecmp(s, rel[i].w, n) || (wlen(s + (n)) > 0))
			continue;
		*ok = 0;
		/* the same words in the sources */
		if (word_in(c->lsrc, rel[i].w, n))
			*ok = 1;
		for (size_t r = 0; !*ok && r < c->n_ref; r++) {
			const struct refdate *d = &c->ref[r];
			if (rel[i].unit == 'y') {
				int y = d->y + rel[i].off;
				if (rel[i].dir == 0) {
					*ok = period_supported(c, 'y', 0, y);
					for (size_t k = 0; !*ok && k < c->per.n; k++)
						*ok = c->per.v[k].year == y;
					continue;
				}
				/* earlier/later this year: a month, quarter or half of
				 * the year before/after the publish date, or the year
				 * itself when nothing says otherwise */
				int any = 0;
				for (size_t k = 0; k < c->per.n; k++) {
					const struct period *p = &c->per.v[k];
					if (p->kind == 'y' || (p->year && p->year != y))
						continue;
					int first = p->kind == 'm' ? p->n : p->kind == 'q' ? (p->n - 1) * 3
						    : (p->n - 1) * 6;
					int last = p->kind == 'm' ? p->n : p->kind == 'q' ? first + 2 : first + 5;
					any = 1;
					if ((rel[i].dir < 0 && first < d->m) || (rel[i].dir > 0 && last > d->m))
						*ok = 1;
				}
				if (!any)
					*ok = period_supported(c, 'y', 0, y) ||
					      word_in(c->lsrc, "this year", 9);
			} else if (rel[i].unit == 'm') {
				int m = d->m + rel[i].off, y = d->y;
				if (m < 0)
					m += 12, y--;
				if (m > 11)
					m -= 12, y++;
				*ok = period_supported(c, 'm', m, y);
			} else {
				/* a week: a weekday the sources name (the last one on
				 * or before the publish date, as news reports use
				 * them) or a day of a month, in that week */
				long today = day_number(d->y, d->m, d->d);
				long want = week_of(today) + rel[i].off;
				int wd_today = (int)((today + 4) % 7);    /* 0 Sunday */
				for (int k = 0; k < 7 && !*ok; k++)
					if (c->wd_named[k]) {
						long day = today - (wd_today - k + 7) % 7;
						*ok = week_of(day) == want;
					}
				for (size_t k = 0; k < c->n_days && !*ok; k++)
					*ok = week_of(day_number(d->y, c->days[k].m, c->days[k].d)) == want;
			}
		}
		/* "by the end of next year" and the like are the same periods */
		return n;
	}
	return 0;
}

static int check_one(struct ctx *c, const char *text, int headline)
{
	int start = 1;
	for (size_t i = 0; text[i];) {
		unsigned char ch = (unsigned char)text[i];
		if (is_num_start(text, i)) {
			size_t b = i, tok = alnum_token(text, i);
			struct qty q;
			if (b > 0 && text[b - 1] == '$')
				b--;
			size_t e = parse_num(text, i, &q);
			/* "910C", "H20" (a model number), not a count of something */
			int letters_after = tok > i && isalpha((unsigned char)text[tok - 1]) &&
					    e < tok && q.unit == U_NONE;
			/* "21st", "3rd": an ordinal, a day of the month */
			if (letters_after && tok - e == 2 &&
			    (!strncasecmp(text + e, "st", 2) || !strncasecmp(text + e, "nd", 2) ||
			     !strncasecmp(text + e, "rd", 2) || !strncasecmp(text + e, "th", 2)))
				letters_after = 0;
			if (letters_after) {
				int k = name_known(c, text + i, tok - i);
				if (k < 0 || (!k && add_miss(&c->miss, text + i, tok - i, K_NAME)))
					return -1;
				i = tok;
				start = 0;
				continue;
			}
			/* a date: a year, a day beside a month, a time of day; the
			 * publish times vouch for it */
			size_t ne = i;
			while (isdigit((unsigned char)text[ne]))
				ne++;
			int date_ok = 0;
			if (in_date(text, i, ne, q.raw))
				for (size_t k = 0; k < c->q.n && !date_ok; k++)
					date_ok = c->q.v[k].date_line && same(c->q.v[k].raw, q.raw);
			if (!qty_known(c, &q) && !date_ok) {
				size_t end = e;
				while (end > i && text[end - 1] == ' ')
					end--;
				if (add_miss(&c->miss, text + b, end - b, K_NUMBER))
					return -1;
			}
			i = e > i ? e : i + 1;
			start = 0;
			continue;
		}
		if (wlen(text + i) && !wbefore(text, text + i)) {
			size_t b = i;
			/* a relative date */
			int ok;
			size_t rl = relative_date(c, text + i, &ok);
			if (rl) {
				if (!ok && add_miss(&c->miss, text + i, rl, K_DATE))
					return -1;
				i += rl;
				start = 0;
				continue;
			}
			/* a quarter or half */
			size_t wl = 0;
			while (wlen(text + i + wl))
				wl += wlen(text + i + wl);
			char kind;
			size_t used;
			int qn = quarter_at(text + i, wl, &kind, &used);
			if (qn) {
				int y = year_after(text + i + used);
				if (!period_supported(c, kind, qn, y)) {
					size_t end = i + used;
					if (y) {
						while (text[end] && !isdigit((unsigned char)text[end]))
							end++;
						end += 4;
					}
					if (add_miss(&c->miss, text + i, end - i, K_DATE))
						return -1;
				}
				i += used;
				start = 0;
				continue;
			}
			/* a spelled quantity (not "one" alone: a pronoun as often) */
			size_t nl;
			int nw = isalpha(ch) ? number_word(text + i, &nl) : -1;
			if (nw >= 0 && strcmp(number_words[nw].w, "one")) {
				struct qty q;
				memset(&q, 0, sizeof q);
				q.raw = q.scaled = number_words[nw].v;
				q.factor = 1;
				q.unit = number_words[nw].u;
				q.word = 1;
				size_t ul = q.unit == U_NONE ? parse_unit(text + i + nl, &q) : 0;
				char *lw = lower_dup(text + i, nl);
				if (!lw)
					return -1;
				/* the same word in the sources, unless it counts
				 * something else there ("three buyers", not "three
				 * parts") */
				int known = qty_known(c, &q) || (q.unit == U_NONE && word_in(c->lsrc, lw, nl));
				free(lw);
				if (!known && add_miss(&c->miss, text + i, nl + ul, K_NUMBER))
					return -1;
				i += nl + ul;
				start = 0;
				continue;
			}
			if (nw >= 0 && text[i + nl] == '-') {
				/* "one-gigawatt": a count with its unit */
				struct qty q;
				memset(&q, 0, sizeof q);
				q.raw = q.scaled = 1;
				q.factor = 1;
				q.word = 1;
				size_t ul = parse_unit(text + i + nl, &q);
				if (q.unit != U_NONE && q.unit != U_NOUN) {
					if (!qty_known(c, &q) &&
					    add_miss(&c->miss, text + i, nl + ul, K_NUMBER))
						return -1;
					i += nl + ul;
					start = 0;
					continue;
				}
			}
			/* a name of several words that is an alias ("Knowledge
			 * Atlas" for "Zhipu AI"): passes whole when its line does */
			if (upper_at(text + i)) {
				size_t al = alias_phrase(c, text + i);
				if (al) {
					i += al;
					start = 0;
					continue;
				}
			}
			/* a word or name */
			while (text[i] && (wlen(text + i) ||
					   ((text[i] == '-' || text[i] == '.' || text[i] == '&') &&
					    wlen(text + i + 1))))
				i += wlen(text + i) ? wlen(text + i) : 1;
			size_t n = i - b;
			const char *w = text + b;
			/* possessive 's, or a contraction ("Isn't", "They're"): ASCII
			 * or U+2019 */
			int contraction = 0;
			size_t ap = text[i] == '\'' ? 1 : !strncmp(text + i, "\xe2\x80\x99", 3) ? 3 : 0;
			if (ap && text[i + ap] == 's' && !wlen(text + i + ap + 1)) {
				i += ap + 1;
			} else if (ap) {
				static const char *const tails[] = { "t", "re", "ll", "ve", "d", "m" };
				for (size_t k = 0; k < 6 && !contraction; k++) {
					size_t tl = strlen(tails[k]);
					if (!strncmp(text + i + ap, tails[k], tl) && !wlen(text + i + ap + tl)) {
						contraction = 1;
						i += ap + tl;
					}
				}
			}
			/* "U.S." keeps its last dot */
			if (text[i] == '.' && n >= 3 && w[n - 2] == '.' && isupper((unsigned char)w[n - 1]))
				n++, i++;
			int upper = upper_at(w);
			int m = upper && !start ? month_of(w, n) : -1;
			int wd = upper ? weekday_of(w, n) : -1;
			int check;
			if (m >= 0 || (n > 1 && w[n - 1] == '.' && (m = month_of(w, n - 1)) >= 0 && !start)) {
				/* a month must be one the sources name, in any spelling */
				int named = 0;
				for (size_t k = 0; k < sizeof months / sizeof *months && !named; k++)
					named = month_of(months[k], strlen(months[k])) == m &&
						word_in(c->lsrc, months[k], strlen(months[k]));
				if (!named && add_miss(&c->miss, w, n, K_DATE))
					return -1;
				check = 0;
			} else if (wd >= 0) {
				if (!word_in(c->lsrc, weekdays[wd], strlen(weekdays[wd])) &&
				    add_miss(&c->miss, w, n, K_DATE))
					return -1;
				check = 0;
			} else if (marked_name(w, n)) {
				check = 1;
			} else if (headline) {
				check = upper && !is_common_lower(c->d, w, n) && n > 1;
				if (!check && memchr(w, '-', n)) {
					/* "MIT-Licensed": a name-like part */
					for (size_t a = 0; a < n && !check;) {
						size_t e = a;
						while (e < n && w[e] != '-')
							e++;
						check = upper_at(w + a) && !is_common_lower(c->d, w + a, e - a);
						a = e + 1;
					}
				}
			} else {
				check = upper && !(n == 1 && (ch == 'I' || ch == 'A'));
				if (check && start) {
					/* a sentence's first word: a name unless a common word */
					size_t part = strcspn(w, "-");
					check = !is_common_lower(c->d, w, part < n ? part : n);
				}
			}
			if (check && !contraction) {
				int k = name_known(c, w, n);
				if (k < 0)
					return -1;
				if (!k && add_miss(&c->miss, w, n, K_NAME))
					return -1;
			}
			start = 0;
			continue;
		}
		if (ch == '.' || ch == '!' || ch == '?' || ch == ':' || ch == '\n' || ch == ';')
			start = 1;
		/* spaces, quotes, dashes, bullets keep the current state */
		i++;
	}
	return 0;
}

int brief_check_entry(const struct brief_check_data *d, const char *headline, const char *body,
		      const char *sources, char **why)
{
	struct ctx c = { 0 };
	int rc = -1;

	*why = NULL;
	if (!headline && !body)
		return 0;
	if (!d) {
		pthread_once(&builtin_once, builtin_load);
		d = builtin;
		if (!d)
			return -1;
	}
	c.d = d;
	c.src = sources ? sources : "";
	util_buf_init(&c.miss.list);
	c.lsrc = lower_dup(c.src, strlen(c.src));
	if (!c.lsrc || collect_qtys(&c) || collect_acronyms(&c))
		goto out;
	collect_periods(c.src, &c.per);
	collect_days(&c);
	c.n_ref = collect_refs(c.src, c.ref, sizeof c.ref / sizeof *c.ref);
	if ((headline && check_one(&c, headline, 1)) || (body && check_one(&c, body, 0)))
		goto out;
	if (c.miss.n) {
		*why = miss_text(&c.miss);
		rc = *why ? 1 : -1;
	} else {
		rc = 0;
	}
out:
	free(c.lsrc);
	free(c.q.v);
	for (size_t i = 0; i < c.n_acro; i++)
		free(c.acro[i]);
	free(c.acro);
	util_buf_free(&c.miss.list);
	return rc;
}

int brief_check_text(const char *text, const char *sources, int headline, char **why)
{
	*why = NULL;
	if (!text)
		return 0;
	return brief_check_entry(NULL, headline ? text : NULL, headline ? NULL : text, sources, why);
}

/* ---- the sources text the check reads -------------------------------------------- */

/* The date line for time t: the date spelt the ways an entry may write it. */
int brief_check_date_line(struct util_buf *b, int64_t t)
{
	char day[96];
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	day[0] = BRIEF_CHECK_DATE_LINE;
	strftime(day + 1, sizeof day - 1, "%Y-%m-%d %A %B %d %Y %H:%M\n", &tm);
	return util_buf_puts(b, day);
}

char *brief_check_sources(const char *shown)
{
	struct util_buf b;
	util_buf_init(&b);
	if (!shown)
		shown = "";
	for (const char *p = shown; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) + 1 : strlen(p);
		/* a publish time, and the numbers in a link (/2026/02/...),
		 * vouch for dates only */
		int dates_only = !strncmp(p, "Published: ", 11) || !strncmp(p, "Link: ", 6);
		if ((dates_only && util_buf_putc(&b, BRIEF_CHECK_DATE_LINE)) ||
		    util_buf_append(&b, p, len) || (!e && util_buf_putc(&b, '\n')))
			goto nomem;
		p += len;
	}
	/* each publish time spelt out, on a date line of its own */
	for (const char *p = shown; (p = strstr(p, "Published: "));) {
		int64_t t;
		char iso[40];
		size_t n = strcspn(p + 11, "\n");
		if (n < sizeof iso) {
			memcpy(iso, p + 11, n);
			iso[n] = '\0';
			if (util_time_parse(iso, &t) == 0 && brief_check_date_line(&b, t))
				goto nomem;
		}
		p += 11;
	}
	if (!b.data && util_buf_puts(&b, ""))
		goto nomem;
	return util_buf_steal(&b);
nomem:
	util_buf_free(&b);
	return NULL;
}
