/* extractive.c — the backend without a model. Story entries are built from
 * the sources' own lead sentences; the assessment is assembled from counts
 * over the written entries (sections, sources, recurring names) and says on
 * its first line that no language model wrote it. Deterministic: the same
 * data always gives the same text.
 *
 * Input (llm_request.data) is the record format of src/brief/prompt.c:
 * blank-line separated records, each a header line ("Source 1", "Story 2")
 * followed by "Key: value" lines (Feed, Title, Text, ... / Section,
 * Headline, Text, Sources, Feeds). Unknown keys are ignored; a line that is
 * not "Key: value" continues the previous value. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llm/llm_int.h"
#include "util/util.h"

#define REC_FIELDS 8
#define PARA_MAX 700       /* bytes of a story paragraph */
#define PARA_SENTENCES 3
#define SENT_MIN 25        /* shorter "sentences" are fragments */
#define SENT_MAX 420

struct rec {
	char *key[REC_FIELDS];
	char *val[REC_FIELDS];
	int n;
};

static const char *rec_get(const struct rec *r, const char *key)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->key[i], key))
			return r->val[i];
	return "";
}

static void recs_free(struct rec *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < r[i].n; k++) {
			free(r[i].key[k]);
			free(r[i].val[k]);
		}
	free(r);
}

static int is_header(const char *s, size_t n)
{
	/* "Word N" */
	size_t i = 0;
	while (i < n && isalpha((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= n || s[i] != ' ')
		return 0;
	i++;
	if (i >= n)
		return 0;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	return i == n;
}

/* Parses data into records; NULL (and *nr 0) on allocation failure. */
static struct rec *recs_parse(const char *data, size_t *nr)
{
	struct rec *r = NULL;
	size_t n = 0, cap = 0;
	const char *p = data ? data : "";

	*nr = 0;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *next = e ? e + 1 : p + len;
		while (len && (p[len - 1] == '\r' || p[len - 1] == ' '))
			len--;
		if (len == 0) {
			p = next;
			continue;
		}
		if (is_header(p, len) || n == 0) {
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct rec *t = realloc(r, nc * sizeof *t);
				if (!t)
					goto fail;
				r = t;
				cap = nc;
			}
			memset(&r[n], 0, sizeof r[n]);
			n++;
			if (is_header(p, len)) {
				p = next;
				continue;
			}
		}
		struct rec *cur = &r[n - 1];
		const char *colon = memchr(p, ':', len);
		int keyish = colon && colon > p && colon - p < 24 && colon + 1 < p + len + 1;
		for (const char *q = p; keyish && q < colon; q++)
			if (!isalpha((unsigned char)*q) && *q != '_')
				keyish = 0;
		if (keyish && cur->n < REC_FIELDS) {
			const char *v = colon + 1;
			while (v < p + len && *v == ' ')
				v++;
			cur->key[cur->n] = util_strndup(p, (size_t)(colon - p));
			cur->val[cur->n] = util_strndup(v, (size_t)(p + len - v));
			if (!cur->key[cur->n] || !cur->val[cur->n]) {
				free(cur->key[cur->n]);
				free(cur->val[cur->n]);
				goto fail;
			}
			cur->n++;
		} else if (cur->n > 0) {
			char *old = cur->val[cur->n - 1];
			char *nv = util_strfmt("%s %.*s", old, (int)len, p);
			if (!nv)
				goto fail;
			free(old);
			cur->val[cur->n - 1] = nv;
		}
		p = next;
	}
	*nr = n;
	if (!r)
		r = calloc(1, sizeof *r);
	return r;
fail:
	recs_free(r, n);
	return NULL;
}

/* ---- sentences ----------------------------------------------------------- */

static const char *const abbrevs[] = {
	"mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "inc", "corp", "co", "ltd", "llc",
	"vs", "etc", "eg", "ie", "no", "fig", "gen", "gov", "sen", "rep", "dept", "est",
	"approx", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
	"nov", "dec", "u.s", "u.k", "e.u", "u.n", "e.g", "i.e", "a.m", "p.m", "ph.d",
};

/* Is the word ending just before text[i] (a '.') an abbreviation? */
static int abbrev_before(const char *text, size_t i)
{
	size_t b = i;
	while (b > 0 && (isalpha((unsigned char)text[b - 1]) || text[b - 1] == '.'))
		b--;
	size_t wl = i - b;
	if (wl == 0)
		return 0;
	if (wl == 1 && isupper((unsigned char)text[b]))
		return 1;                       /* an initial: "J. Smith" */
	if (wl > 7)
		return 0;
	char w[8];
	for (size_t k = 0; k < wl; k++)
		w[k] = (char)tolower((unsigned char)text[b + k]);
	w[wl] = 0;
	for (size_t k = 0; k < sizeof abbrevs / sizeof abbrevs[0]; k++)
		if (!strcmp(w, abbrevs[k]))
			return 1;
	/* dotted acronyms of any kind: "N.Y", "U.S.A" */
	if (memchr(w, '.', wl))
		return 1;
	return 0;
}

/* Splits text into sentences: spans [start, end) appended to *spans.
 * A sentence ends at . ! ? (plus closing quotes/brackets) followed by a
 * space and a capital, digit or quote, unless the word before the '.' is an
 * abbreviation. Numbers (1,200 / 3.5) never split: no space follows. Text
 * cut short (ending in "..." or without final punctuation) marks its last
 * span incomplete. Returns the count, or -1 on allocation failure. */
struct span {
	size_t a, b;
	int complete;
};

static int sentences(const char *t, struct span **out)
{
	size_t n = strlen(t), start = 0, cnt = 0, cap = 0;
	struct span *s = NULL;

	*out = NULL;
	for (size_t i = 0; i <= n; i++) {
		int end = 0;
		size_t j = i;
		if (i == n) {
			end = 1;
		} else if (t[i] == '.' || t[i] == '!' || t[i] == '?') {
			j = i + 1;
			while (j < n && strchr("\"')]", t[j]))
				j++;
			/* UTF-8 right double/single quote */
			while (j + 2 < n && (unsigned char)t[j] == 0xE2 && (unsigned char)t[j + 1] == 0x80 &&
			       ((unsigned char)t[j + 2] == 0x9D || (unsigned char)t[j + 2] == 0x99))
				j += 3;
			if (j < n && t[j] == ' ') {
				size_t k = j;
				while (k < n && t[k] == ' ')
					k++;
				unsigned char c = k < n ? (unsigned char)t[k] : 0;
				if ((isupper(c) || isdigit(c) || c == '"' || c == '\'' || c >= 0x80) &&
				    !(t[i] == '.' && abbrev_before(t, i)) &&
				    !(t[i] == '.' && i >= 2 && t[i - 1] == '.' && t[i - 2] == '.'))
					end = 1;
			}
		}
		if (!end)
			continue;
		size_t a = start, b = (i == n) ? n : j;
		while (a < b && isspace((unsigned char)t[a]))
			a++;
		while (b > a && isspace((unsigned char)t[b - 1]))
			b--;
		if (b > a) {
			if (cnt == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct span *x = realloc(s, nc * sizeof *x);
				if (!x) {
					free(s);
					return -1;
				}
				s = x;
				cap = nc;
			}
			int complete = 1;
			if (i == n) {
				size_t e = b;
				while (e > a && strchr("\"')]", t[e - 1]))
					e--;
				complete = e > a && strchr(".!?", t[e - 1]) &&
					!(e - a >= 3 && !memcmp(t + e - 3, "...", 3));
			}
			s[cnt++] = (struct span){ a, b, complete };
		}
		if (i == n)
			break;
		start = j;
		i = j - 1;      /* the loop's i++ moves on to j */
	}
	*out = s;
	return (int)cnt;
}

/* ---- near-duplicate detection ---------------------------------------------- */

#define WORDS_MAX 96

struct wordset {
	uint64_t h[WORDS_MAX];
	int n;
};

static void words_of(const char *s, size_t n, struct wordset *w)
{
	w->n = 0;
	size_t i = 0;
	while (i < n && w->n < WORDS_MAX) {
		while (i < n && !isalnum((unsigned char)s[i]))
			i++;
		size_t a = i;
		while (i < n && isalnum((unsigned char)s[i]))
			i++;
		if (i - a < 3)
			continue;
		char buf[64];
		size_t l = i - a < sizeof buf ? i - a : sizeof buf - 1;
		for (size_t k = 0; k < l; k++)
			buf[k] = (char)tolower((unsigned char)s[a + k]);
		uint64_t h = util_hash64(buf, l);
		int dup = 0;
		for (int k = 0; k < w->n; k++)
			if (w->h[k] == h)
				dup = 1;
		if (!dup)
			w->h[w->n++] = h;
	}
}

/* Overlap coefficient >= 0.6: the shorter one is mostly inside the other. */
static int near_dup(const struct wordset *x, const struct wordset *y)
{
	int common = 0, m = x->n < y->n ? x->n : y->n;
	if (m == 0)
		return 1;
	for (int i = 0; i < x->n; i++)
		for (int k = 0; k < y->n; k++)
			if (x->h[i] == y->h[k]) {
				common++;
				break;
			}
	return common * 10 >= m * 6;
}

/* ---- story ------------------------------------------------------------------ */

static void strip_trailing_period(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '.' || s[n - 1] == ' '))
		s[--n] = 0;
}

char *llm_extract_story(const char *data)
{
	size_t nr;
	struct rec *r = recs_parse(data, &nr);
	struct util_buf b;
	struct wordset chosen[PARA_SENTENCES + 1];
	int nchosen = 0;
	size_t para_len = 0;

	if (!r)
		return NULL;
	util_buf_init(&b);
	/* headline: the first source's own title */
	const char *title = "";
	for (size_t i = 0; i < nr && !*title; i++)
		title = rec_get(&r[i], "Title");
	char *head = util_strdup(*title ? title : "Untitled story");
	if (!head)
		goto fail;
	util_str_squeeze(head);
	strip_trailing_period(head);
	if (util_buf_puts(&b, *head ? head : "Untitled story") || util_buf_putc(&b, '\n')) {
		free(head);
		goto fail;
	}
	words_of(head, strlen(head), &chosen[nchosen]);
	free(head);
	/* the title's words count as said: a lead sentence that only repeats the
	 * headline is skipped (slot 0 is the headline, never counted as a sentence) */
	int sentences_taken = 0;
	for (int pass = 0; pass < 2 && sentences_taken < PARA_SENTENCES; pass++) {
		/* pass 0: each source's lead sentence; pass 1: second sentences */
		for (size_t i = 0; i < nr && sentences_taken < PARA_SENTENCES; i++) {
			const char *text = rec_get(&r[i], "Text");
			struct span *sp;
			int ns = sentences(text, &sp);
			if (ns < 0)
				goto fail;
			int seen = 0;
			for (int k = 0; k < ns; k++) {
				size_t len = sp[k].b - sp[k].a;
				if (!sp[k].complete || len < SENT_MIN || len > SENT_MAX)
					continue;
				if (seen++ != pass)
					continue;
				struct wordset w;
				words_of(text + sp[k].a, len, &w);
				int dup = 0;
				for (int c = 0; c < nchosen + 1 && !dup; c++)
					dup = near_dup(&w, &chosen[c]) && (c > 0 || w.n <= chosen[0].n + 2);
				if (dup)
					break;
				if (para_len && para_len + len + 1 > PARA_MAX)
					break;
				if ((para_len && util_buf_putc(&b, ' ')) ||
				    util_buf_append(&b, text + sp[k].a, len)) {
					free(sp);
					goto fail;
				}
				para_len += len + (para_len ? 1 : 0);
				chosen[++nchosen] = w;
				sentences_taken++;
				break;
			}
			free(sp);
		}
	}
	if (sentences_taken == 0) {
		/* no usable sentence: the sources' titles, as they are */
		for (size_t i = 0; i < nr && para_len < PARA_MAX; i++) {
			const char *t = rec_get(&r[i], "Title");
			if (!*t)
				continue;
			char *x = util_strdup(t);
			if (!x)
				goto fail;
			strip_trailing_period(x);
			int rc = util_buf_printf(&b, "%s%s.", para_len ? " " : "", x);
			para_len += strlen(x) + 2;
			free(x);
			if (rc)
				goto fail;
		}
		if (para_len == 0 && util_buf_puts(&b, "The sources carry no text."))
			goto fail;
	}
	recs_free(r, nr);
	return util_buf_steal(&b);
fail:
	recs_free(r, nr);
	util_buf_free(&b);
	return NULL;
}

/* ---- assessment ---------------------------------------------------------------- */

static const char *num_word(long n, char *buf, size_t sz)
{
	static const char *const w[] = { "no", "one", "two", "three", "four", "five", "six",
		"seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen",
		"fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty" };
	if (n >= 0 && n <= 20)
		return w[n];
	snprintf(buf, sz, "%ld", n);
	return buf;
}

struct name {
	char *s;
	unsigned long stories;  /* bit per story (first 64) */
	int count;              /* distinct stories */
	size_t first;           /* first story index, for stable order */
};

static const char *const name_stop[] = {
	"The", "A", "An", "In", "On", "At", "For", "With", "And", "But", "Or", "Its", "It",
	"This", "That", "These", "Those", "Their", "His", "Her", "As", "By", "From", "To", "Of",
	"After", "Before", "While", "When", "What", "Why", "How", "Who", "New", "Read", "More",
	"Source", "Sources", "Story", "Bottom", "Line", "Here", "There", "We", "They", "He", "She",
	"I", "If", "Is", "Are", "Was", "Will", "Can", "Not", "No", "Yes", "Now", "Today",
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
	/* units and the beat itself: everywhere in an AI briefing, so they
	 * connect nothing */
	"AI", "KB", "MB", "GB", "TB", "PB", "GHz", "MHz", "W", "kW", "MW", "GW", "nm",
};

static int is_stop(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof name_stop / sizeof name_stop[0]; i++)
		if (strlen(name_stop[i]) == n && !memcmp(name_stop[i], w, n))
			return 1;
	return 0;
}

/* Collects capitalised words from s into names for story idx. Mode 0 takes
 * words inside sentences (and all-caps words anywhere); mode 1 takes the
 * sentence-initial words already known as names from mode 0 ("Micron said"
 * at a sentence start). Returns -1 on allocation failure. */
static int collect_names(const char *s, size_t idx, struct name **names, size_t *nn, size_t *cap,
			 int mode)
{
	size_t n = strlen(s), i = 0;
	while (i < n) {
		while (i < n && !isalnum((unsigned char)s[i]))
			i++;
		size_t a = i;
		while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '\''))
			i++;
		size_t wl = i - a;
		if (wl < 2 || !isupper((unsigned char)s[a]) || is_stop(s + a, wl))
			continue;
		/* sentence-initial words are not names unless all caps ("TSMC") */
		size_t k = a;
		while (k > 0 && s[k - 1] == ' ')
			k--;
		int initial = k == 0 || strchr(".!?:\"", s[k - 1]);
		int allcaps = 1;
		for (size_t q = a; q < i; q++)
			if (islower((unsigned char)s[q]))
				allcaps = 0;
		if (mode == 0 && initial && !allcaps)
			continue;
		if (mode == 1 && (!initial || allcaps))
			continue;
		char w[64];
		size_t l = wl < sizeof w ? wl : sizeof w - 1;
		memcpy(w, s + a, l);
		w[l] = 0;
		if (l > 2 && w[l - 2] == '\'' && w[l - 1] == 's')
			w[l - 2] = 0;  /* possessive */
		size_t f;
		for (f = 0; f < *nn; f++)
			if (!strcmp((*names)[f].s, w))
				break;
		if (f == *nn && mode == 1)
			continue;
		if (f == *nn) {
			if (*nn == *cap) {
				size_t nc = *cap ? *cap * 2 : 64;
				struct name *t = realloc(*names, nc * sizeof *t);
				if (!t)
					return -1;
				*names = t;
				*cap = nc;
			}
			(*names)[f] = (struct name){ util_strdup(w), 0, 0, idx };
			if (!(*names)[f].s)
				return -1;
			(*nn)++;
		}
		unsigned long bit = idx < 64 ? 1UL << idx : 0;
		if (bit && !((*names)[f].stories & bit)) {
			(*names)[f].stories |= bit;
			(*names)[f].count++;
		}
	}
	return 0;
}

static int name_cmp(const void *x, const void *y)
{
	const struct name *a = x, *b = y;
	if (a->count != b->count)
		return b->count - a->count;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return strcmp(a->s, b->s);
}

static long srcs(const struct rec *r)
{
	long n = strtol(rec_get(r, "Sources"), NULL, 10);
	return n < 1 ? 1 : n;
}

struct sect {
	const char *name;
	int stories;
	long sources;
	size_t first;
};

char *llm_extract_assessment(const char *data)
{
	size_t nr, nn = 0, ncap = 0, nsec = 0;
	struct rec *r = recs_parse(data, &nr);
	struct name *names = NULL;
	struct sect *secs = NULL;
	struct util_buf b;
	char nb1[24], nb2[24];

	if (!r)
		return NULL;
	util_buf_init(&b);
	secs = calloc(nr + 1, sizeof *secs);
	if (!secs)
		goto fail;
	long total_src = 0;
	size_t top = 0, second = (size_t)-1, nstories = 0;
	for (size_t i = 0; i < nr; i++) {
		if (!*rec_get(&r[i], "Headline"))
			continue;
		nstories++;
		long ns = srcs(&r[i]);
		total_src += ns;
		const char *sn = rec_get(&r[i], "Section");
		size_t k;
		for (k = 0; k < nsec; k++)
			if (!strcmp(secs[k].name, sn))
				break;
		if (k == nsec)
			secs[nsec++] = (struct sect){ sn, 0, 0, i };
		secs[k].stories++;
		secs[k].sources += ns;
		if (collect_names(rec_get(&r[i], "Headline"), i, &names, &nn, &ncap, 0) ||
		    collect_names(rec_get(&r[i], "Text"), i, &names, &nn, &ncap, 0))
			goto fail;
	}
	for (size_t i = 0; i < nr; i++)
		if (*rec_get(&r[i], "Headline") &&
		    (collect_names(rec_get(&r[i], "Headline"), i, &names, &nn, &ncap, 1) ||
		     collect_names(rec_get(&r[i], "Text"), i, &names, &nn, &ncap, 1)))
			goto fail;
	for (size_t i = 0, have = 0; i < nr; i++) {
		if (!*rec_get(&r[i], "Headline"))
			continue;
		if (!have++ || srcs(&r[i]) > srcs(&r[top]))
			top = i;
	}
	for (size_t i = 0; i < nr; i++) {
		if (i == top || !*rec_get(&r[i], "Headline"))
			continue;
		if (second == (size_t)-1 || srcs(&r[i]) > srcs(&r[second]))
			second = i;
	}
	if (util_buf_puts(&b, "Assembled without a language model: this assessment is extractive, "
			  "built from counts over the entries above.\n\n"))
		goto fail;
	if (nstories == 0) {
		if (util_buf_puts(&b, "There are no stories in this edition to connect.\n\n"
				  "Bottom line: a quiet edition, with nothing to report."))
			goto fail;
		goto done;
	}
	/* sections by sources (stable: first appearance breaks ties) */
	for (size_t i = 1; i < nsec; i++)
		for (size_t k = i; k > 0 && (secs[k].sources > secs[k - 1].sources ||
			(secs[k].sources == secs[k - 1].sources && secs[k].first < secs[k - 1].first)); k--) {
			struct sect t = secs[k];
			secs[k] = secs[k - 1];
			secs[k - 1] = t;
		}
	if (util_buf_printf(&b, "The edition carries %s stor%s drawn from %s source%s",
			    num_word((long)nstories, nb1, sizeof nb1), nstories == 1 ? "y" : "ies",
			    num_word(total_src, nb2, sizeof nb2), total_src == 1 ? "" : "s"))
		goto fail;
	if (nsec > 1 || (nsec == 1 && *secs[0].name)) {
		for (size_t k = 0; k < nsec && k < 4; k++) {
			const char *nm = *secs[k].name ? secs[k].name : "the unsectioned stories";
			if (util_buf_printf(&b, "%s%s (%s stor%s, %s source%s)",
					    k == 0 ? ". The weight of coverage is in " :
					    k == 1 ? ", followed by " : ", then ", nm,
					    num_word(secs[k].stories, nb1, sizeof nb1),
					    secs[k].stories == 1 ? "y" : "ies",
					    num_word(secs[k].sources, nb2, sizeof nb2),
					    secs[k].sources == 1 ? "" : "s"))
				goto fail;
		}
	}
	if (util_buf_puts(&b, ".\n\n"))
		goto fail;
	{
		long ns = srcs(&r[top]);
		const char *feeds = rec_get(&r[top], "Feeds");
		if (ns > 1) {
			if (util_buf_printf(&b, "The most widely reported story is \"%s\", carried by %s sources%s%s%s.",
					    rec_get(&r[top], "Headline"), num_word(ns, nb1, sizeof nb1),
					    *feeds ? " (" : "", feeds, *feeds ? ")" : ""))
				goto fail;
		} else if (util_buf_printf(&b, "Every story rests on a single source; none was picked up "
					    "by a second feed, so \"%s\" leads by position alone.",
					    rec_get(&r[top], "Headline"))) {
			goto fail;
		}
		if (second != (size_t)-1 && ns > 1) {
			long n2 = srcs(&r[second]);
			if (n2 > 1 && util_buf_printf(&b, " Next is \"%s\" with %s.",
						      rec_get(&r[second], "Headline"),
						      num_word(n2, nb1, sizeof nb1)))
				goto fail;
		}
		if (util_buf_puts(&b, "\n\n"))
			goto fail;
	}
	qsort(names, nn, sizeof *names, name_cmp);
	{
		size_t shown = 0;
		for (size_t i = 0; i < nn && shown < 6; i++) {
			if (names[i].count < 2)
				break;
			if (util_buf_printf(&b, "%s%s (%s stories)",
					    shown == 0 ? "Names that recur across stories: " : ", ",
					    names[i].s, num_word(names[i].count, nb1, sizeof nb1)))
				goto fail;
			shown++;
		}
		if (shown == 0) {
			if (util_buf_puts(&b, "No name recurs across stories; the entries stand apart "
					  "rather than forming one thread."))
				goto fail;
		} else if (util_buf_puts(&b, ". Where a name turns up in more than one entry, "
					 "those stories are worth reading together.")) {
			goto fail;
		}
		if (util_buf_puts(&b, "\n\n"))
			goto fail;
	}
	{
		const char *lead = nsec && *secs[0].name ? secs[0].name : NULL;
		if (lead) {
			if (util_buf_printf(&b, "Bottom line: %s carries the most coverage in this edition, "
					    "and the most widely sourced story overall is \"%s\".",
					    lead, rec_get(&r[top], "Headline")))
				goto fail;
		} else if (util_buf_printf(&b, "Bottom line: \"%s\" is the most widely sourced story "
					   "in this edition.", rec_get(&r[top], "Headline"))) {
			goto fail;
		}
	}
done:
	for (size_t i = 0; i < nn; i++)
		free(names[i].s);
	free(names);
	free(secs);
	recs_free(r, nr);
	return util_buf_steal(&b);
fail:
	for (size_t i = 0; i < nn; i++)
		free(names[i].s);
	free(names);
	free(secs);
	recs_free(r, nr);
	util_buf_free(&b);
	return NULL;
}

char *llm_extract_tagline(const char *data)
{
	size_t nr;
	struct rec *r = recs_parse(data, &nr);
	struct util_buf b;
	int shown = 0;

	if (!r)
		return NULL;
	util_buf_init(&b);
	for (size_t i = 0; i < nr && shown < 3; i++) {
		const char *h = rec_get(&r[i], "Headline");
		if (!*h)
			h = rec_get(&r[i], "Title");
		if (!*h)
			continue;
		char *x = util_strdup(h);
		if (!x)
			goto fail;
		util_str_squeeze(x);
		strip_trailing_period(x);
		int rc = util_buf_printf(&b, "%s%s", shown ? " · " : "", x);
		free(x);
		if (rc)
			goto fail;
		shown++;
	}
	if (!shown && util_buf_puts(&b, "A quiet edition"))
		goto fail;
	recs_free(r, nr);
	return util_buf_steal(&b);
fail:
	recs_free(r, nr);
	util_buf_free(&b);
	return NULL;
}

/* ---- backend ------------------------------------------------------------------- */

static int ex_complete(struct llm *l, const struct llm_request *reqs, size_t n,
		       struct llm_response *out, llm_progress_cb cb, void *ctx,
		       volatile int *cancel)
{
	(void)l;
	for (size_t i = 0; i < n; i++) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (cancel && *cancel) {
			llm_response_fail(&out[i], LLM_ERR_CANCELLED, "cancelled");
			continue;
		}
		char *text = NULL;
		switch (reqs[i].task) {
		case LLM_TASK_STORY: text = llm_extract_story(reqs[i].data); break;
		case LLM_TASK_ASSESSMENT: text = llm_extract_assessment(reqs[i].data); break;
		case LLM_TASK_TAGLINE: text = llm_extract_tagline(reqs[i].data); break;
		default:
			llm_response_fail(&out[i], LLM_ERR_CONFIG,
					  "the extractive backend writes stories, assessments and "
					  "taglines only; free-form requests need a model");
			continue;
		}
		if (!text) {
			llm_response_fail(&out[i], LLM_ERR_NOMEM, "out of memory");
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		out[i].text = text;
		out[i].err = LLM_OK;
		out[i].prompt_tokens = 0;
		out[i].completion_tokens = 0;
		out[i].seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (cb) {
			cb(ctx, i, text, 0);
			cb(ctx, i, NULL, 0);   /* and it has ended */
		}
	}
	return LLM_OK;
}

static void ex_close(struct llm *l)
{
	(void)l;
}

static const struct llm_ops ex_ops = { ex_complete, ex_close, NULL };   /* no weight passes */

int llm_extractive_open(struct llm *l, const struct llm_config *cfg, char **err)
{
	(void)cfg;
	(void)err;
	l->ops = &ex_ops;
	l->model_name = util_strdup("extractive");
	l->model_hash[0] = 0;
	return l->model_name ? LLM_OK : LLM_ERR_NOMEM;
}
