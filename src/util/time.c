/* Date parsing for feeds (RFC 822 family, ISO 8601 family, asctime and the
 * broken forms found in the wild), ISO formatting and --since parsing. */
#include "util/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- civil calendar ------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * algorithm); exact for every year representable in int. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int64_t util_time_from_civil(int y, int mon, int d, int h, int mi, int s)
{
	return days_from_civil(y, mon, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + s;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

char *util_time_iso(int64_t t, char *buf, size_t size)
{
	int64_t days = t / 86400, rem = t % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d, (int)(rem / 3600),
		 (int)(rem / 60 % 60), (int)(rem % 60));
	return buf;
}

int64_t util_time_now(void)
{
	const char *e = getenv("BRIEFING_NOW");
	if (e && *e) {
		char *end;
		long long v = strtoll(e, &end, 10);
		if (*end == '\0')
			return v;
	}
	return (int64_t)time(NULL);
}

/* ---- parsed fields ------------------------------------------------------- */

struct tm_fields {
	int year, mon, day, hour, min, sec;
	int has_time;
	int off; /* zone offset east of UTC, seconds */
};

static int fields_to_epoch(const struct tm_fields *f, int64_t *out)
{
	if (f->mon < 1 || f->mon > 12 || f->day < 1 || f->day > days_in_month(f->year, f->mon))
		return -1;
	if (f->hour < 0 || f->min < 0 || f->min > 59 || f->sec < 0 || f->sec > 60)
		return -1;
	if (f->hour > 24 || (f->hour == 24 && (f->min || f->sec)))
		return -1;
	*out = util_time_from_civil(f->year, f->mon, f->day, f->hour, f->min, f->sec) - f->off;
	return 0;
}

/* ---- names --------------------------------------------------------------- */

static const struct {
	const char *name;
	int mon;
} month_names[] = {
	{"january", 1}, {"february", 2}, {"march", 3}, {"april", 4}, {"may", 5}, {"june", 6},
	{"july", 7}, {"august", 8}, {"september", 9}, {"october", 10}, {"november", 11},
	{"december", 12}, {"sept", 9},
	/* Hungarian */
	{"január", 1}, {"február", 2}, {"március", 3}, {"április", 4}, {"május", 5},
	{"június", 6}, {"július", 7}, {"augusztus", 8}, {"szeptember", 9}, {"október", 10},
	/* Greek abbreviations, as feedparser knows them */
	{"Ιαν", 1}, {"Φεβ", 2}, {"Μάώ", 3}, {"Μαώ", 3}, {"Μαρ", 3}, {"Απρ", 4}, {"Μάι", 5},
	{"Μαϊ", 5}, {"Μαι", 5}, {"Ιούν", 6}, {"Ιον", 6}, {"Ιούλ", 7}, {"Ιολ", 7}, {"Αύγ", 8},
	{"Αυγ", 8}, {"Σεπ", 9}, {"Οκτ", 10}, {"Νοέ", 11}, {"Νοε", 11}, {"Δεκ", 12},
};

static const char *const weekday_names[] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"tues", "wednes", "thur", "thurs",
	"Κυρ", "Δευ", "Τρι", "Τετ", "Πεμ", "Παρ", "Σαβ",
};

static int word_eq(const char *w, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(w, name, n) == 0;
}

/* English months match by full name or 3-letter prefix; others exactly. */
static int month_lookup(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof month_names / sizeof month_names[0]; i++) {
		const char *name = month_names[i].name;
		if (word_eq(w, n, name))
			return month_names[i].mon;
		if (i < 12 && n == 3 && strncasecmp(w, name, 3) == 0)
			return month_names[i].mon;
	}
	return 0;
}

static int weekday_lookup(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof weekday_names / sizeof weekday_names[0]; i++) {
		const char *name = weekday_names[i];
		if (word_eq(w, n, name))
			return 1;
		if (i < 7 && n == 3 && strncasecmp(w, name, 3) == 0)
			return 1;
	}
	return 0;
}

static const struct {
	const char *name;
	int minutes; /* east of UTC */
} zone_names[] = {
	{"ut", 0}, {"utc", 0}, {"gmt", 0}, {"z", 0}, {"etc/gmt", 0}, {"etc/utc", 0},
	{"est", -300}, {"edt", -240}, {"cst", -360}, {"cdt", -300}, {"mst", -420},
	{"mdt", -360}, {"pst", -480}, {"pdt", -420}, {"at", -240}, {"ast", -240},
	{"adt", -180}, {"et", -300}, {"ct", -360}, {"mt", -420}, {"pt", -480},
	{"akst", -540}, {"akdt", -480}, {"hst", -600}, {"nst", -210}, {"ndt", -150},
	{"wet", 0}, {"west", 60}, {"bst", 60}, {"met", 60}, {"mest", 120}, {"cet", 60},
	{"cest", 120}, {"eet", 120}, {"eest", 180}, {"msk", 180}, {"ist", 330},
	{"sgt", 480}, {"hkt", 480}, {"awst", 480}, {"jst", 540}, {"kst", 540},
	{"acst", 570}, {"acdt", 630}, {"aest", 600}, {"aedt", 660}, {"nzst", 720},
	{"nzdt", 780},
};

/* Named or military zone; 0 ok with *off in seconds, -1 unknown. */
static int zone_lookup(const char *w, size_t n, int *off)
{
	for (size_t i = 0; i < sizeof zone_names / sizeof zone_names[0]; i++)
		if (word_eq(w, n, zone_names[i].name)) {
			*off = zone_names[i].minutes * 60;
			return 0;
		}
	if (n == 1 && isalpha((unsigned char)w[0])) {
		int c = tolower((unsigned char)w[0]);
		if (c >= 'a' && c <= 'i')
			*off = (c - 'a' + 1) * 3600;
		else if (c >= 'k' && c <= 'm')
			*off = (c - 'k' + 10) * 3600;
		else if (c >= 'n' && c <= 'y')
			*off = -(c - 'n' + 1) * 3600;
		else if (c == 'z')
			*off = 0;
		else
			return -1;
		return 0;
	}
	return -1;
}

/* ---- scanning helpers ---------------------------------------------------- */

/* Read 1..max digits; returns the count read (0 if none) and the value. */
static int scan_digits(const char **p, int max, int *val)
{
	int n = 0, v = 0;
	while (n < max && isdigit((unsigned char)(*p)[n])) {
		v = v * 10 + ((*p)[n] - '0');
		n++;
	}
	*p += n;
	*val = v;
	return n;
}

static int count_digits(const char *p)
{
	int n = 0;
	while (isdigit((unsigned char)p[n]))
		n++;
	return n;
}

static void skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

/* Numeric zone "+hhmm" or "+hh:mm" at *p (sign included); with short_ok
 * also "+h" and "+hh". Strict: hours <= 23, minutes <= 59. Advances *p;
 * 0 ok, -1 bad. */
static int scan_numeric_zone(const char **p, int *off, int short_ok)
{
	const char *s = *p;
	int sign = *s == '-' ? -1 : 1;
	if (*s != '+' && *s != '-')
		return -1;
	s++;
	int nd = count_digits(s), h, m = 0;
	if (nd == 4) {
		scan_digits(&s, 2, &h);
		scan_digits(&s, 2, &m);
	} else if (nd == 1 || nd == 2) {
		scan_digits(&s, 2, &h);
		if (*s == ':') {
			s++;
			if ((nd != 2 && !short_ok) || scan_digits(&s, 2, &m) != 2 ||
			    isdigit((unsigned char)*s))
				return -1;
		} else if (!short_ok) {
			return -1;
		}
	} else {
		return -1;
	}
	if (h > 23 || m > 59)
		return -1;
	*off = sign * (h * 3600 + m * 60);
	*p = s;
	return 0;
}

/* Year of a two-digit year, RFC 2822 style: 00-49 -> 20xx, 50-99 -> 19xx. */
static int year2(int y)
{
	return y < 50 ? 2000 + y : 1900 + y;
}

/* ---- ISO 8601 / RFC 3339 / W3C-DTF --------------------------------------- */

/* Time part after 'T' or space: hh[:mm[:ss[.frac]]] or hhmm[ss[.frac]],
 * then an optional zone. Must consume the whole rest of the string. */
static int iso_time_zone(const char *p, struct tm_fields *f)
{
	int nd = count_digits(p);
	if (nd == 4 || nd == 6) {
		scan_digits(&p, 2, &f->hour);
		scan_digits(&p, 2, &f->min);
		if (nd == 6)
			scan_digits(&p, 2, &f->sec);
	} else if (nd == 1 || nd == 2) {
		scan_digits(&p, 2, &f->hour);
		if (*p != ':')
			return -1;
		p++;
		if (scan_digits(&p, 2, &f->min) != 2)
			return -1;
		if (*p == ':') {
			p++;
			if (scan_digits(&p, 2, &f->sec) != 2)
				return -1;
		}
	} else {
		return -1;
	}
	if (isdigit((unsigned char)*p))
		return -1;
	if (*p == '.' || *p == ',') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	f->has_time = 1;
	skip_ws(&p);
	if (*p == '\0')
		return 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		if (scan_numeric_zone(&p, &f->off, 1) < 0)
			return -1;
	} else {
		const char *w = p;
		while (isalpha((unsigned char)*p) || *p == '/')
			p++;
		if (p == w || zone_lookup(w, (size_t)(p - w), &f->off) < 0)
			return -1;
	}
	skip_ws(&p);
	return *p == '\0' ? 0 : -1;
}

/* Month field: 1-3 digits ("012" occurs) or a month name. */
static int iso_month(const char **p, int *mon)
{
	int nd = count_digits(*p);
	if (nd >= 1 && nd <= 3) {
		scan_digits(p, 3, mon);
		return 0;
	}
	if (nd)
		return -1;
	const char *w = *p;
	while (**p && **p != '-' && **p != 'T' && **p != ' ' && !isdigit((unsigned char)**p))
		(*p)++;
	*mon = month_lookup(w, (size_t)(*p - w));
	return *mon ? 0 : -1;
}

static int parse_iso(const char *s, int64_t *out)
{
	struct tm_fields f = {0, 1, 1, 0, 0, 0, 0, 0};
	const char *p = s;
	int nd;
	if (*p == '-') {
		/* ISO 8601:2000 truncated forms "-YYMM" and "-YY-MM" */
		p++;
		nd = count_digits(p);
		int y;
		if (nd == 4) {
			scan_digits(&p, 2, &y);
			scan_digits(&p, 2, &f.mon);
		} else if (nd == 2 && p[2] == '-' && count_digits(p + 3) == 2) {
			scan_digits(&p, 2, &y);
			p++;
			scan_digits(&p, 2, &f.mon);
		} else {
			return -1;
		}
		f.year = 2000 + y;
		if (*p)
			return -1;
		return fields_to_epoch(&f, out);
	}
	nd = count_digits(p);
	if (nd == 4 && p[4] == '-') {
		scan_digits(&p, 4, &f.year);
		p++;
		int md = count_digits(p);
		if (md == 3 && p[3] != '-') {
			/* ordinal date YYYY-DDD */
			int yd;
			scan_digits(&p, 3, &yd);
			if (yd < 1 || yd > (is_leap(f.year) ? 366 : 365))
				return -1;
			f.mon = 1;
			f.day = yd;
			while (f.day > days_in_month(f.year, f.mon)) {
				f.day -= days_in_month(f.year, f.mon);
				f.mon++;
			}
		} else {
			if (iso_month(&p, &f.mon) < 0)
				return -1;
			if (*p == '-') {
				p++;
				if (scan_digits(&p, 2, &f.day) < 1 || isdigit((unsigned char)*p))
					return -1;
			}
		}
	} else if (nd == 2 && p[2] == '-') {
		/* YY-MM-DD */
		scan_digits(&p, 2, &f.year);
		f.year += 2000;
		p++;
		if (scan_digits(&p, 2, &f.mon) != 2 || *p != '-')
			return -1;
		p++;
		if (scan_digits(&p, 2, &f.day) != 2)
			return -1;
	} else if (nd == 8) {
		scan_digits(&p, 4, &f.year);
		scan_digits(&p, 2, &f.mon);
		scan_digits(&p, 2, &f.day);
	} else if (nd == 6) {
		/* YYMMDD */
		scan_digits(&p, 2, &f.year);
		f.year += 2000;
		scan_digits(&p, 2, &f.mon);
		scan_digits(&p, 2, &f.day);
	} else if (nd == 4 && p[4] == '\0') {
		scan_digits(&p, 4, &f.year);
	} else {
		return -1;
	}
	if (*p == 'T' || *p == 't') {
		p++;
		if (iso_time_zone(p, &f) < 0)
			return -1;
	} else if (*p == ' ' && isdigit((unsigned char)p[strspn(p, " ")])) {
		p += strspn(p, " ");
		if (iso_time_zone(p, &f) < 0)
			return -1;
	} else if (*p != '\0') {
		return -1;
	}
	return fields_to_epoch(&f, out);
}

/* ---- Korean forms (feedparser's OnBlog and Nate) -------------------------- */

/* "2004년 05월 28일  01:31:15" and "2004-05-25 오후 11:23:17", both KST. */
static int parse_korean(const char *s, int64_t *out)
{
	struct tm_fields f = {0, 0, 0, 0, 0, 0, 1, 9 * 3600};
	const char *p = s;
	static const char YEAR[] = "\xeb\x85\x84", MONTH[] = "\xec\x9b\x94", DAY[] = "\xec\x9d\xbc";
	static const char AM[] = "\xec\x98\xa4\xec\xa0\x84", PM[] = "\xec\x98\xa4\xed\x9b\x84";
	if (scan_digits(&p, 4, &f.year) != 4)
		return -1;
	if (strncmp(p, YEAR, 3) == 0) {
		p += 3;
		skip_ws(&p);
		if (scan_digits(&p, 2, &f.mon) < 1 || strncmp(p, MONTH, 3) != 0)
			return -1;
		p += 3;
		skip_ws(&p);
		if (scan_digits(&p, 2, &f.day) < 1 || strncmp(p, DAY, 3) != 0)
			return -1;
		p += 3;
	} else if (*p == '-') {
		p++;
		if (scan_digits(&p, 2, &f.mon) != 2 || *p++ != '-' || scan_digits(&p, 2, &f.day) != 2)
			return -1;
	} else {
		return -1;
	}
	skip_ws(&p);
	int pm = -1;
	if (strncmp(p, AM, 6) == 0)
		pm = 0;
	else if (strncmp(p, PM, 6) == 0)
		pm = 1;
	if (pm >= 0) {
		p += 6;
		skip_ws(&p);
	}
	if (scan_digits(&p, 2, &f.hour) < 1 || *p++ != ':' || scan_digits(&p, 2, &f.min) != 2)
		return -1;
	if (*p == ':') {
		p++;
		if (scan_digits(&p, 2, &f.sec) != 2)
			return -1;
	}
	skip_ws(&p);
	if (*p)
		return -1;
	if (pm >= 0) {
		if (f.hour < 1 || f.hour > 12)
			return -1;
		f.hour = f.hour % 12 + (pm ? 12 : 0);
	}
	return fields_to_epoch(&f, out);
}

/* ---- RFC 822 family, asctime and loose forms ------------------------------ */

/* Time token "h:mm[:ss[.frac]]" optionally followed by a glued zone. */
static int rfc_time(const char *w, size_t n, struct tm_fields *f, int *have_zone)
{
	const char *p = w, *end = w + n;
	int parts[3] = {0, 0, 0}, np = 0;
	while (np < 3) {
		int nd = scan_digits(&p, 2, &parts[np]);
		if (nd < 1 || isdigit((unsigned char)*p))
			return -1;
		np++;
		if (p < end && *p == ':' && np < 3)
			p++;
		else
			break;
	}
	if (np < 2 || (p < end && *p == ':'))
		return -1;
	if (p < end && (*p == '.' || *p == ',') && np == 3) {
		p++;
		while (p < end && isdigit((unsigned char)*p))
			p++;
	}
	f->hour = parts[0];
	f->min = parts[1];
	f->sec = parts[2];
	f->has_time = 1;
	if (p == end)
		return 0;
	if (*p == '+' || *p == '-') {
		const char *q = p;
		if (scan_numeric_zone(&q, &f->off, 0) < 0 || q != end)
			return -1;
	} else if (zone_lookup(p, (size_t)(end - p), &f->off) < 0) {
		return -1;
	}
	*have_zone = 1;
	return 0;
}

static int is_word_byte(unsigned char c)
{
	return isalpha(c) || c >= 0x80 || c == '/';
}

static int parse_rfc(const char *s, int64_t *out)
{
	struct tm_fields f = {0, 0, 0, 0, 0, 0, 0, 0};
	int nums[4], ndig[4], nnum = 0;
	int have_zone = 0, have_ymd = 0, ampm = -1;
	const char *p = s;
	const char *first = s + strspn(s, " \t\r\n");
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		if (*p == '(') {
			/* RFC 822 comment, e.g. "+0000 (UTC)" */
			const char *close = strchr(p, ')');
			if (!close)
				return -1;
			p = close + 1;
			continue;
		}
		const char *w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != ',' && *p != '\n' && *p != '\r')
			p++;
		size_t n = (size_t)(p - w);
		unsigned char c0 = (unsigned char)w[0];
		if (isdigit(c0) && memchr(w, ':', n)) {
			if (f.has_time || rfc_time(w, n, &f, &have_zone) < 0)
				return -1;
			continue;
		}
		if (isdigit(c0) && memchr(w, '/', n)) {
			/* YYYY/MM/DD (Perforce) */
			const char *q = w;
			if (have_ymd || f.mon || count_digits(q) != 4)
				return -1;
			scan_digits(&q, 4, &f.year);
			if (*q++ != '/' || scan_digits(&q, 2, &f.mon) < 1 || *q++ != '/' ||
			    scan_digits(&q, 2, &f.day) < 1 || q != p)
				return -1;
			have_ymd = 1;
			continue;
		}
		if (isdigit(c0) && memchr(w, '.', n)) {
			/* DD.MM.YYYY (German and others) */
			const char *q = w;
			if (have_ymd || f.mon || scan_digits(&q, 2, &f.day) < 1 || *q++ != '.' ||
			    scan_digits(&q, 2, &f.mon) < 1 || *q++ != '.' || count_digits(q) != 4)
				return -1;
			scan_digits(&q, 4, &f.year);
			if (q != p)
				return -1;
			have_ymd = 1;
			continue;
		}
		if (isdigit(c0)) {
			const char *q = w;
			int nd = count_digits(q);
			/* "21st", "2nd", "3rd", "4th" */
			if (nd <= 2 && (size_t)nd + 2 == n &&
			    (word_eq(w + nd, 2, "st") || word_eq(w + nd, 2, "nd") ||
			     word_eq(w + nd, 2, "rd") || word_eq(w + nd, 2, "th")))
				n = (size_t)nd;
			if ((size_t)nd != n || nd > 4 || nnum == 4)
				return -1;
			scan_digits(&q, 4, &nums[nnum]);
			ndig[nnum++] = nd;
			continue;
		}
		if ((c0 == '+' || c0 == '-') && n > 1) {
			const char *q = w;
			if (have_zone || scan_numeric_zone(&q, &f.off, 0) < 0 || q != p)
				return -1;
			have_zone = 1;
			continue;
		}
		if (!f.has_time && (word_eq(w, n, "-") || word_eq(w, n, "@") || word_eq(w, n, "at")))
			continue; /* "February 21, 2026 at 7:00 PM", "21 Feb 2026 - 19:00" */
		if (!is_word_byte(c0))
			return -1;
		/* a word: strip a trailing '.' ("Jan.", "Tue.") */
		size_t wn = n;
		if (wn > 1 && w[wn - 1] == '.')
			wn--;
		int m;
		if (!f.mon && !have_ymd && (m = month_lookup(w, wn)) != 0) {
			f.mon = m;
			continue;
		}
		if (!f.has_time && !f.mon && nnum == 0 && weekday_lookup(w, wn))
			continue;
		/* Any leading "word," is a weekday in some language ("mer,",
		 * "Mi,"): it carries nothing, so it never makes the date fail. */
		if (w == first && *p == ',' && !f.has_time && !f.mon && nnum == 0 && !have_ymd)
			continue;
		if (f.has_time && (word_eq(w, wn, "am") || word_eq(w, wn, "pm"))) {
			ampm = tolower(c0) == 'p';
			continue;
		}
		int ignored;
		if (have_zone && zone_lookup(w, wn, &ignored) == 0)
			continue; /* "-0500 EST": the numeric zone wins */
		if (!have_zone) {
			/* "GMT-01:01", "UTC+2" */
			size_t zl = 0;
			while (zl < wn && (isalpha((unsigned char)w[zl]) || w[zl] == '/'))
				zl++;
			if (zone_lookup(w, zl, &f.off) == 0) {
				if (zl < wn) {
					const char *q = w + zl;
					if ((*q != '+' && *q != '-') || scan_numeric_zone(&q, &f.off, 1) < 0 ||
					    q != w + wn)
						return -1;
				}
				have_zone = 1;
				continue;
			}
		}
		return -1;
	}
	if (!have_ymd) {
		if (!f.mon || nnum != 2)
			return -1;
		/* day and year: the longer number (3-4 digits) is the year,
		 * else day comes first ("01 Jan 04", "Jan 4 2004"). */
		int yi = ndig[0] >= 3 ? 0 : 1;
		if (ndig[1 - yi] > 2)
			return -1;
		f.day = nums[1 - yi];
		f.year = ndig[yi] <= 2 ? year2(nums[yi]) : nums[yi];
	} else if (nnum != 0) {
		return -1;
	}
	if (ampm >= 0) {
		if (f.hour < 1 || f.hour > 12)
			return -1;
		f.hour = f.hour % 12 + (ampm ? 12 : 0);
	}
	return fields_to_epoch(&f, out);
}

int util_time_parse(const char *s, int64_t *out)
{
	if (!s)
		return -1;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t n = strnlen(s, 256);
	if (n == 0 || n >= 256)
		return -1;
	char buf[256];
	memcpy(buf, s, n + 1);
	while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	int64_t t;
	if (parse_iso(buf, &t) == 0 || parse_korean(buf, &t) == 0 || parse_rfc(buf, &t) == 0) {
		*out = t;
		return 0;
	}
	return -1;
}

/* ---- --since ------------------------------------------------------------- */

static int64_t local_midnight(int64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;
	if (!localtime_r(&t, &tm))
		return now - (now % 86400 + 86400) % 86400;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

int util_time_parse_since(const char *s, int64_t now, int64_t *out)
{
	if (!s)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	if (strcasecmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (strcasecmp(s, "today") == 0) {
		*out = local_midnight(now);
		return 0;
	}
	if (strcasecmp(s, "yesterday") == 0) {
		*out = local_midnight(local_midnight(now) - 12 * 3600);
		return 0;
	}
	const char *p = s;
	int nd = count_digits(p);
	if (nd >= 1 && nd <= 6) {
		long v = 0;
		for (int i = 0; i < nd; i++)
			v = v * 10 + (p[i] - '0');
		const char *u = p + nd;
		while (*u == ' ')
			u++;
		static const struct {
			const char *unit;
			int64_t secs;
		} units[] = {
			{"s", 1}, {"sec", 1}, {"secs", 1}, {"second", 1}, {"seconds", 1},
			{"m", 60}, {"min", 60}, {"mins", 60}, {"minute", 60}, {"minutes", 60},
			{"h", 3600}, {"hr", 3600}, {"hrs", 3600}, {"hour", 3600}, {"hours", 3600},
			{"d", 86400}, {"day", 86400}, {"days", 86400},
			{"w", 604800}, {"week", 604800}, {"weeks", 604800},
		};
		size_t ul = strlen(u);
		while (ul && isspace((unsigned char)u[ul - 1]))
			ul--;
		for (size_t i = 0; ul && i < sizeof units / sizeof units[0]; i++) {
			if (word_eq(u, ul, units[i].unit)) {
				if (units[i].secs * v > 100LL * 366 * 86400)
					return -1;
				*out = now - units[i].secs * v;
				return 0;
			}
		}
	}
	int64_t t;
	if (util_time_parse(s, &t) == 0) {
		*out = t;
		return 0;
	}
	return -1;
}
