/* generate.c — the pipeline: window, select, cluster, rank, write every
 * story entry in one batched llm_complete call, then the tagline and the
 * assessment, sanitise, check faithfulness, and store the whole briefing
 * with its provenance in one transaction. A lock file next to the database
 * keeps two runs from both writing. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "brief/brief_write.h"
#include "util/util.h"

#define DEFAULT_WINDOW (12 * 3600)

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- editions ------------------------------------------------------------------ */

/* "morning" before 14:00 local time, else "evening". */
static const char *edition_auto(int64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;
	localtime_r(&t, &tm);
	return tm.tm_hour < 14 ? "morning" : "evening";
}

/* "2026.02.21 — Evening (7:00 PM)" in local time. */
static char *edition_line(int64_t now, const char *edition)
{
	time_t t = (time_t)now;
	struct tm tm;
	localtime_r(&t, &tm);
	int h12 = tm.tm_hour % 12 ? tm.tm_hour % 12 : 12;
	char ed[32];
	snprintf(ed, sizeof ed, "%s", edition);
	ed[0] = (char)(ed[0] >= 'a' && ed[0] <= 'z' ? ed[0] - 32 : ed[0]);
	return util_strfmt("%04d.%02d.%02d \xe2\x80\x94 %s (%d:%02d %s)", tm.tm_year + 1900,
			   tm.tm_mon + 1, tm.tm_mday, ed, h12, tm.tm_min,
			   tm.tm_hour < 12 ? "AM" : "PM");
}

/* ---- the lock ------------------------------------------------------------------ */

/* flock on <db>.generate.lock: released by the kernel if we die. -1 with
 * BRIEF_ERR_LOCKED / BRIEF_ERR_STORE in *rc; no lock for :memory: (-2). */
static int lock_take(struct store *st, int *rc, char **err)
{
	const char *db = store_path(st);
	if (!*db)
		return -2;
	char *path = util_strfmt("%s.generate.lock", db);
	if (!path) {
		*rc = BRIEF_ERR_NOMEM;
		return -1;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		*err = util_strfmt("cannot open the lock file %s: %s", path, strerror(errno));
		*rc = BRIEF_ERR_STORE;
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char who[32] = "";
		ssize_t r = pread(fd, who, sizeof who - 1, 0);
		who[r > 0 ? r : 0] = '\0';
		util_str_trim(who);
		*err = util_strfmt("another 'briefing generate' is running%s%s (lock: %s)",
				   *who ? " as pid " : "", who, path);
		*rc = BRIEF_ERR_LOCKED;
		close(fd);
		free(path);
		return -1;
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0) {
		/* the pid is only a courtesy for the message above */
	}
	free(path);
	return fd;
}

static void lock_drop(int fd)
{
	if (fd >= 0) {
		if (ftruncate(fd, 0) != 0) {
			/* nothing to do: the lock goes with the descriptor */
		}
		close(fd);
	}
}

/* ---- replies ------------------------------------------------------------------- */

/* Strip markdown decoration and labels from a headline, in place. */
static char *clean_headline(char *h)
{
	util_str_trim(h);
	while (*h == '#' || *h == '*' || *h == '_' || *h == ' ')
		h++;
	static const char *const labels[] = { "headline:", "title:" };
	for (size_t i = 0; i < 2; i++)
		if (util_str_casecmp_prefix(h, labels[i]))
			h += strlen(labels[i]);
	util_str_trim(h);
	size_t n = strlen(h);
	while (n && (h[n - 1] == '*' || h[n - 1] == '_' || h[n - 1] == ' '))
		h[--n] = '\0';
	if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
		h[n - 1] = '\0';
		h++;
	}
	return h;
}

/* Squeeze blank-line runs to one blank line and trim each line's end. */
static char *tidy_body(const char *s)
{
	struct util_buf b;
	int blank = 0;
	util_buf_init(&b);
	while (*s == '\n' || *s == ' ')
		s++;
	while (*s) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n == 0) {
			blank = 1;
		} else {
			if (b.len && util_buf_puts(&b, blank ? "\n\n" : "\n"))
				goto nomem;
			if (util_buf_append(&b, s, n))
				goto nomem;
			blank = 0;
		}
		s = e ? e + 1 : s + strlen(s);
	}
	if (!b.data && util_buf_puts(&b, ""))
		goto nomem;
	return util_buf_steal(&b);
nomem:
	util_buf_free(&b);
	return NULL;
}

/* A story reply: first non-empty line the headline, the rest the body. */
static int parse_entry(const char *reply, const char *fallback_title, char **headline,
		       char **body)
{
	char *clean = util_text_sanitize(reply, strlen(reply), 1);
	if (!clean)
		return BRIEF_ERR_NOMEM;
	char *p = clean;
	while (*p == '\n' || *p == ' ')
		p++;
	char *nl = strchr(p, '\n');
	if (nl)
		*nl = '\0';
	char *rest = nl ? nl + 1 : NULL;
	if (util_str_empty(rest)) {
		/* one line only: that is the body */
		*headline = util_strdup(fallback_title ? fallback_title : "");
		*body = tidy_body(p);
	} else {
		*headline = util_strdup(clean_headline(p));
		*body = tidy_body(rest);
	}
	free(clean);
	if (!*headline || !*body) {
		free(*headline);
		free(*body);
		*headline = *body = NULL;
		return BRIEF_ERR_NOMEM;
	}
	return BRIEF_OK;
}

/* An assessment reply: paragraphs, then "Bottom line: ...". */
static int parse_assessment(const char *reply, char **assessment, char **bottom)
{
	char *clean = util_text_sanitize(reply, strlen(reply), 1);
	if (!clean)
		return BRIEF_ERR_NOMEM;
	char *bl = NULL;
	for (char *line = clean; line && *line;) {
		char *q = line;
		while (*q == '*' || *q == '_' || *q == ' ' || *q == '#')
			q++;
		if (util_str_casecmp_prefix(q, "bottom line")) {
			bl = q + strlen("bottom line");
			*line = '\0';
			break;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	*bottom = NULL;
	if (bl) {
		while (*bl == '*' || *bl == '_' || *bl == ':' || *bl == ' ')
			bl++;
		char *b2 = tidy_body(bl);
		if (!b2) {
			free(clean);
			return BRIEF_ERR_NOMEM;
		}
		size_t n = strlen(b2);
		while (n && (b2[n - 1] == '*' || b2[n - 1] == '_'))
			b2[--n] = '\0';
		if (*b2)
			*bottom = b2;
		else
			free(b2);
	}
	*assessment = tidy_body(clean);
	free(clean);
	return *assessment ? BRIEF_OK : BRIEF_ERR_NOMEM;
}

static char *first_line(const char *reply)
{
	char *clean = util_text_sanitize(reply, strlen(reply), 1);
	if (!clean)
		return NULL;
	char *p = clean;
	while (*p == '\n' || *p == ' ')
		p++;
	char *nl = strchr(p, '\n');
	if (nl)
		*nl = '\0';
	char *r = util_strdup(clean_headline(p));
	free(clean);
	return r;
}

/* ---- the run ------------------------------------------------------------------- */

struct run {
	struct store *st;
	struct brief_check_data *check;   /* common words, aliases */
	const struct brief_opts *o;
	brief_progress_cb cb;
	void *ctx;
	char **err;

	int64_t now, since, until;
	const char *edition;
	char *date_line;
	struct brief_sections secs;
	struct brief_style style;
	struct brief_item *items;
	size_t n_items;
	struct brief_story *stories;
	size_t n_stories;
	size_t *order;            /* stories in the briefing's order */
	int *shortlist;           /* (n_stories) 1 = a shortlist one-liner */
	char **src_text;          /* (n_stories, by story index) the sources text the model
				   * was given (at the budget level used), for the check */

	/* progress of the current batch */
	const char *stage;
	size_t done, total, tokens_before;
	double t_batch;
	unsigned char *seen;
	size_t n_seen;
};

static int cancelled(const struct run *r)
{
	return r->o->cancel && *r->o->cancel;
}

static void progress(struct run *r, const char *stage, size_t done, size_t total,
		     size_t tokens, double tps)
{
	if (!r->cb)
		return;
	struct brief_progress p = { stage, done, total, tokens, tps };
	r->cb(r->ctx, &p);
}

/* Stories count as done when their request ends (piece NULL), not when
 * their first token arrives. */
static void llm_progress(void *ctx, size_t index, const char *piece, size_t tokens_total)
{
	struct run *r = ctx;
	if (!piece && index < r->n_seen && !r->seen[index]) {
		r->seen[index] = 1;
		r->done++;
	}
	double dt = mono() - r->t_batch;
	progress(r, r->stage, r->done > r->total ? r->total : r->done, r->total,
		 r->tokens_before + tokens_total, dt > 0 ? (double)tokens_total / dt : 0);
}

static int fail(struct run *r, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct run *r, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (r->err && !*r->err) {
		char *m = NULL;
		if (vasprintf(&m, fmt, ap) >= 0)
			*r->err = m;
	}
	va_end(ap);
	return rc;
}

static const struct brief_section *section_of(const struct run *r, const struct brief_story *s)
{
	return s->section >= 0 && (size_t)s->section < r->secs.n ? &r->secs.s[s->section] : NULL;
}

static int by_score(const void *a, const void *b, void *arg)
{
	const struct brief_story *s = arg;
	double x = s[*(const size_t *)a].score, y = s[*(const size_t *)b].score;
	if (x != y)
		return x > y ? -1 : 1;
	return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

/* The briefing's order: section order (as ranked) for the sections layout;
 * by score for digest (full entries first) and insights. */
static int make_order(struct run *r)
{
	r->order = calloc(r->n_stories + 1, sizeof *r->order);
	r->shortlist = calloc(r->n_stories + 1, sizeof *r->shortlist);
	if (!r->order || !r->shortlist)
		return BRIEF_ERR_NOMEM;
	for (size_t i = 0; i < r->n_stories; i++)
		r->order[i] = i;
	if (r->style.layout != BRIEF_LAYOUT_SECTIONS)
		qsort_r(r->order, r->n_stories, sizeof *r->order, by_score, r->stories);
	if (r->style.layout == BRIEF_LAYOUT_DIGEST)
		for (size_t k = r->style.full; k < r->n_stories; k++)
			r->shortlist[r->order[k]] = 1;
	return BRIEF_OK;
}

static int explain_text(struct run *r, struct store *st, struct util_buf *b);

static char *plan_text(struct run *r, struct store *st)
{
	struct util_buf b;
	char a[32], z[32];
	int last_sec = -2;

	/* relevant: above min_score, or weak but in a story two feeds carry */
	size_t relevant = 0;
	for (size_t i = 0; i < r->n_items; i++)
		relevant += !r->items[i].weak;
	for (size_t k = 0; k < r->n_stories; k++)
		for (size_t j = 0; j < r->stories[k].n_items; j++)
			relevant += r->items[r->stories[k].items[j]].weak;
	util_buf_init(&b);
	util_buf_printf(&b, "%s edition, %s, style %s\n", r->edition, r->date_line, r->style.name);
	util_buf_printf(&b, "window %s .. %s: %zu relevant items, %zu stories\n",
			util_time_iso(r->since, a, sizeof a), util_time_iso(r->until, z, sizeof z),
			relevant, r->n_stories);
	for (size_t k = 0; k < r->n_stories; k++) {
		const struct brief_story *s = &r->stories[r->order[k]];
		const struct brief_section *sec = section_of(r, s);
		if (r->style.layout == BRIEF_LAYOUT_SECTIONS && s->section != last_sec) {
			util_buf_printf(&b, "\n%s %s\n", sec ? sec->emoji : "", sec ? sec->name : "?");
			last_sec = s->section;
		} else if (k == 0) {
			util_buf_puts(&b, "\n");
		}
		const struct store_item *lead = &r->items[s->items[0]].it;
		util_buf_printf(&b, "%3zu. %s [%s, score %.2f, %zu source%s]%s\n", k + 1,
				lead->title ? lead->title : "(untitled)", sec ? sec->id : "?",
				s->score, s->n_items, s->n_items == 1 ? "" : "s",
				r->shortlist[r->order[k]] ? " (shortlist)" : "");
		for (size_t j = 0; j < s->n_items; j++) {
			const struct store_item *it = &r->items[s->items[j]].it;
			util_buf_printf(&b, "       - %s: %s\n", it->feed_title ? it->feed_title : "?",
					it->url ? it->url : (it->title ? it->title : ""));
		}
	}
	if (r->o->explain && explain_text(r, st, &b) != BRIEF_OK) {
		util_buf_free(&b);
		return NULL;
	}
	char *raw = util_buf_steal(&b);
	if (!raw)
		return NULL;
	/* feed text in the plan goes to a terminal */
	char *clean = util_text_sanitize(raw, strlen(raw), 1);
	free(raw);
	return clean;
}

/* --explain: every item of the window, what its relevance was made of, and
 * where it went (a story, or why not), after the plan. */
static int explain_text(struct run *r, struct store *st, struct util_buf *b)
{
	struct brief_why *w = NULL;
	size_t nw = 0;
	int rc = brief_select_explain(st, &r->secs, r->since, r->until, &w, &nw);
	if (rc != BRIEF_OK)
		return rc;
	/* story_of[i]: the story (1-based, as the plan numbers them) of
	 * selected item i, 0 when the caps cut it; lead_of: that story's lead */
	size_t *story_of = calloc(r->n_items + 1, sizeof *story_of);
	size_t *lead_of = calloc(r->n_items + 1, sizeof *lead_of);
	if (!story_of || !lead_of) {
		free(story_of);
		free(lead_of);
		brief_why_free(w, nw);
		return BRIEF_ERR_NOMEM;
	}
	for (size_t k = 0; k < r->n_stories; k++) {
		const struct brief_story *s = &r->stories[r->order[k]];
		for (size_t j = 0; j < s->n_items; j++) {
			story_of[s->items[j]] = k + 1;
			lead_of[s->items[j]] = s->items[0];
		}
	}
	size_t relevant = 0;
	for (size_t i = 0; i < nw; i++)
		relevant += w[i].section >= 0 && w[i].score >= r->secs.min_score;
	util_buf_printf(b, "\nitems in the window: %zu (%zu relevant; off-topic below %.1f)\n", nw,
			relevant, r->secs.min_score);
	for (size_t i = 0; i < nw; i++) {
		const struct store_item *it = &w[i].it;
		char when[32];
		util_buf_printf(b, "\n  %.16s  %s: %s\n", util_time_iso(it->published, when, sizeof when),
				it->feed_title ? it->feed_title : "?", it->title ? it->title : "(untitled)");
		if (w[i].section < 0) {
			util_buf_printf(b, "      %s\n      -> left out: off-topic\n",
					*w[i].terms ? w[i].terms
						    : "no keyword or entity of any section");
			continue;
		}
		util_buf_printf(b, "      %s %.1f%s: %s\n", r->secs.s[w[i].section].id, w[i].score,
				w[i].prior ? " (the feed's prior)" : "", w[i].terms);
		size_t sel = r->n_items;
		for (size_t j = 0; j < r->n_items; j++)
			if (r->items[j].it.id == it->id) {
				sel = j;
				break;
			}
		if (sel == r->n_items || (r->items[sel].weak && !story_of[sel]))
			util_buf_printf(b, "      -> left out: score %.1f is below %.1f (and no other "
					"feed carries the story)\n", w[i].score, r->secs.min_score);
		else if (!story_of[sel])
			util_buf_printf(b, "      -> left out: its story ranked below the caps (%zu stories, "
					"%zu a section)\n", r->secs.max_total,
					r->secs.s[w[i].section].max_stories);
		else if (lead_of[sel] == sel)
			util_buf_printf(b, "      -> story %zu\n", story_of[sel]);
		else
			util_buf_printf(b, "      -> story %zu, a further source of \"%s\"\n", story_of[sel],
					r->items[lead_of[sel]].it.title ? r->items[lead_of[sel]].it.title : "");
	}
	free(story_of);
	free(lead_of);
	brief_why_free(w, nw);
	return BRIEF_OK;
}

/* Everything the check compares a story's entry with: the sources text the
 * model was given (brief_check_sources), else (a story no request was built
 * for) every field of its items and each item's date spelt out on a date
 * line. */
static char *story_source_text(const struct run *r, const struct brief_story *s)
{
	size_t si = (size_t)(s - r->stories);
	if (r->src_text && si < r->n_stories && r->src_text[si])
		return brief_check_sources(r->src_text[si]);
	struct util_buf b;
	util_buf_init(&b);
	for (size_t j = 0; j < s->n_items; j++) {
		const struct store_item *it = &r->items[s->items[j]].it;
		const char *parts[] = { it->feed_title, it->title, it->summary, it->content };
		for (size_t k = 0; k < 4; k++)
			if (parts[k] && (util_buf_puts(&b, parts[k]) || util_buf_puts(&b, "\n"))) {
				util_buf_free(&b);
				return NULL;
			}
		if (brief_check_date_line(&b, it->published)) {
			util_buf_free(&b);
			return NULL;
		}
	}
	if (!b.data && util_buf_puts(&b, "")) {
		util_buf_free(&b);
		return NULL;
	}
	return util_buf_steal(&b);
}

static int expand(struct run *r, enum brief_tpl t, const struct brief_var *v, size_t n, char **out)
{
	char *e = NULL;
	int rc = brief_template_expand(r->style.tpl[t], r->style.origin[t], v, n, out, &e);
	if (rc) {
		if (r->err && !*r->err)
			*r->err = e;
		else
			free(e);
	}
	return rc;
}

struct written {
	char *headline, *body;
	int ok;
	int flagged;
	char *why;
};

static void sum_tokens(const struct llm_response *res, size_t n, int64_t *pt, int64_t *ct)
{
	for (size_t i = 0; i < n; i++) {
		if (res[i].prompt_tokens > 0)
			*pt += res[i].prompt_tokens;
		if (res[i].completion_tokens > 0)
			*ct += res[i].completion_tokens;
	}
}

/* ---- context budgeting ---------------------------------------------------
 * When a prompt does not fit the model's context (LLM_ERR_CONTEXT), the
 * request is retried with less text: fewer and shorter sources for a story,
 * shorter entries (then headlines only) for the tagline and assessment.
 * Backends that never report LLM_ERR_CONTEXT see exactly one attempt. */

/* The first `sentences` sentences of s, at most cap bytes (cut at a word
 * boundary when a sentence runs longer). Caller frees. */
static char *short_text(const char *s, size_t sentences, size_t cap)
{
	if (!s)
		return util_strdup("");
	while (*s == ' ' || *s == '\n' || *s == '\t')
		s++;
	size_t len = strlen(s), end = len, seen = 0;
	for (size_t i = 0; i + 1 < len; i++)
		if ((s[i] == '.' || s[i] == '!' || s[i] == '?') &&
		    (s[i + 1] == ' ' || s[i + 1] == '\n') && i >= 12 && ++seen == sentences) {
			end = i + 1;
			break;
		}
	if (end > cap) {
		end = cap;
		while (end > cap / 2 && s[end] != ' ')
			end--;
		if (s[end] != ' ')
			end = cap;
		/* never split a UTF-8 sequence */
		while (end > 0 && ((unsigned char)s[end] & 0xC0) == 0x80)
			end--;
	}
	return util_strndup(s, end);
}

/* A story's sources at a budget level: 1 = the first three sources, two
 * sentences each; 2 = the lead source, its first sentence. Caller frees. */
static char *trimmed_sources(const struct run *r, const struct brief_story *s, int level)
{
	size_t keep = level == 1 ? 3 : 1;
	if (keep > s->n_items)
		keep = s->n_items;
	struct brief_item *copy = calloc(keep + 1, sizeof *copy);
	char **cut = calloc(keep + 1, sizeof *cut);
	size_t *idx = calloc(keep + 1, sizeof *idx);
	char *out = NULL;
	if (!copy || !cut || !idx)
		goto done;
	for (size_t j = 0; j < keep; j++) {
		copy[j] = r->items[s->items[j]];   /* shallow: only read below */
		const struct store_item *it = &copy[j].it;
		const char *text = !util_str_empty(it->summary) ? it->summary : it->content;
		if (!(cut[j] = short_text(text, level == 1 ? 2 : 1, level == 1 ? 400 : 200)))
			goto done;
		copy[j].it.summary = cut[j];
		copy[j].it.content = NULL;
		idx[j] = j;
	}
	struct brief_story t = *s;
	t.items = idx;
	t.n_items = keep;
	out = brief_sources_text(copy, &t);
done:
	for (size_t j = 0; cut && j < keep; j++)
		free(cut[j]);
	free(cut);
	free(copy);
	free(idx);
	return out;
}

/* The entries the tagline and assessment read, at a budget level: 0 = as
 * written, 1 = each body cut to its first sentence, 2 = headlines only. */
static char *entries_at(const struct brief_entry *ent, size_t ne, int level)
{
	if (level == 0)
		return brief_entries_text(ent, ne);
	struct brief_entry *e = calloc(ne + 1, sizeof *e);
	char **cut = calloc(ne + 1, sizeof *cut);
	char *out = NULL;
	if (!e || !cut)
		goto done;
	for (size_t i = 0; i < ne; i++) {
		e[i] = ent[i];
		if (level == 1) {
			if (!(cut[i] = short_text(ent[i].body, 1, 300)))
				goto done;
			e[i].body = cut[i];
		} else {
			e[i].body = "";
		}
	}
	out = brief_entries_text(e, ne);
done:
	for (size_t i = 0; cut && i < ne; i++)
		free(cut[i]);
	free(cut);
	free(e);
	return out;
}

/* Build request k (the k-th story in order) with its sources at a budget
 * level (0 = full); replaces user[k] and data[k]. */
static int story_request(struct run *r, size_t k, int level, const char *system, char **user,
			 char **data, struct llm_msg *msgs, struct llm_request *req)
{
	size_t i = r->order[k];
	const struct brief_story *s = &r->stories[i];
	const struct brief_section *sec = section_of(r, s);
	char ns[24];
	free(user[k]);
	free(data[k]);
	user[k] = NULL;
	data[k] = level ? trimmed_sources(r, s, level) : brief_sources_text(r->items, s);
	char *f = data[k] ? brief_fence(data[k]) : NULL;
	if (!f)
		return BRIEF_ERR_NOMEM;
	/* the check compares the entry with exactly this text */
	if (!r->src_text && !(r->src_text = calloc(r->n_stories + 1, sizeof *r->src_text))) {
		free(f);
		return BRIEF_ERR_NOMEM;
	}
	free(r->src_text[i]);
	if (!(r->src_text[i] = util_strdup(data[k]))) {
		free(f);
		return BRIEF_ERR_NOMEM;
	}
	snprintf(ns, sizeof ns, "%zu", s->n_items);
	struct brief_var v[] = {
		{ "date", r->date_line }, { "edition", r->edition },
		{ "section", sec ? sec->name : "" }, { "emoji", sec ? sec->emoji : "" },
		{ "n_sources", ns }, { "sources", f },
		{ "fence_open", BRIEF_FENCE_OPEN }, { "fence_close", BRIEF_FENCE_CLOSE },
	};
	int rc = expand(r, r->shortlist[i] ? BRIEF_TPL_SHORTLIST : BRIEF_TPL_STORY, v,
			sizeof v / sizeof v[0], &user[k]);
	free(f);
	if (rc)
		return rc;
	msgs[2 * k] = (struct llm_msg){ "system", system };
	msgs[2 * k + 1] = (struct llm_msg){ "user", user[k] };
	req[k] = (struct llm_request){ .task = LLM_TASK_STORY, .msgs = &msgs[2 * k],
		.n_msgs = 2, .data = data[k], .max_tokens = r->shortlist[i] ? 96 : 320,
		.temperature = -1, .seed = 42 + k };
	return BRIEF_OK;
}

/* Run again the requests in req[0..n) whose reply was LLM_ERR_CONTEXT, after
 * the caller has rebuilt them with less text; their replies replace the
 * old ones. Returns the llm_complete result (LLM_OK when nothing to do). */
static int rerun_context(struct run *r, struct llm *l, const struct llm_request *req,
			 struct llm_response *res, size_t n)
{
	size_t nr = 0;
	for (size_t k = 0; k < n; k++)
		nr += res[k].err == LLM_ERR_CONTEXT;
	if (nr == 0)
		return LLM_OK;
	struct llm_request *rq = calloc(nr, sizeof *rq);
	struct llm_response *rs = calloc(nr, sizeof *rs);
	size_t *at = calloc(nr, sizeof *at);
	int lrc = LLM_ERR_NOMEM;
	if (!rq || !rs || !at)
		goto done;
	nr = 0;
	for (size_t k = 0; k < n; k++)
		if (res[k].err == LLM_ERR_CONTEXT) {
			at[nr] = k;
			rq[nr++] = req[k];
		}
	lrc = llm_complete(l, rq, nr, rs, NULL, NULL, r->o->cancel);
	if (lrc == LLM_OK)
		for (size_t i = 0; i < nr; i++) {
			llm_response_clear(&res[at[i]]);
			res[at[i]] = rs[i];
			rs[i] = (struct llm_response){ 0 };
		}
done:
	for (size_t i = 0; rs && i < nr; i++)
		llm_response_clear(&rs[i]);
	free(rq);
	free(rs);
	free(at);
	return lrc;
}

/* Why a whole batch failed: the backend's message for its requests
 * (e.g. the engine's "no usable GPU: ..."), else the error's name. */
static const char *batch_why(const struct llm_response *res, size_t n, int lrc)
{
	for (size_t k = 0; k < n; k++)
		if (res[k].err == lrc && res[k].error)
			return res[k].error;
	return llm_strerror(lrc);
}

static int any_context(const struct llm_response *res, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (res[k].err == LLM_ERR_CONTEXT)
			return 1;
	return 0;
}

static int write_all(struct run *r, struct llm *l, struct store_briefing *out, struct written *w)
{
	const struct brief_opts *o = r->o;
	size_t n = r->n_stories;
	struct llm_request *req = calloc(n + 2, sizeof *req);
	struct llm_msg *msgs = calloc(2 * (n + 2), sizeof *msgs);
	char **user = calloc(n + 2, sizeof *user), **data = calloc(n + 2, sizeof *data);
	struct llm_response *res = calloc(n + 2, sizeof *res);
	char *system = NULL, *entries = NULL, *fenced = NULL;
	struct brief_entry *ent = calloc(n + 1, sizeof *ent);
	char **feeds = calloc(n + 1, sizeof *feeds);
	int rc = BRIEF_ERR_NOMEM;
	size_t n_ok = 0;
	double t_write = mono();

	r->seen = calloc(n + 2, 1);
	if (!req || !msgs || !user || !data || !res || !ent || !feeds || !r->seen)
		goto out;
	{
		struct brief_var v[] = {
			{ "fence_open", BRIEF_FENCE_OPEN }, { "fence_close", BRIEF_FENCE_CLOSE },
			{ "date", r->date_line }, { "edition", r->edition }, { "style", r->style.name },
		};
		if ((rc = expand(r, BRIEF_TPL_SYSTEM, v, sizeof v / sizeof v[0], &system)))
			goto out;
	}
	for (size_t k = 0; k < n; k++)
		if ((rc = story_request(r, k, 0, system, user, data, msgs, req)))
			goto out;
	if (cancelled(r)) {
		rc = BRIEF_ERR_CANCELLED;
		goto out;
	}

	/* all story entries in one batch */
	r->stage = "write";
	r->done = 0;
	r->total = n;
	r->n_seen = n;
	r->tokens_before = 0;
	r->t_batch = mono();
	progress(r, "write", 0, n, 0, 0);
	int lrc = llm_complete(l, req, n, res, llm_progress, r, o->cancel);
	if (lrc == LLM_ERR_CANCELLED || cancelled(r)) {
		rc = BRIEF_ERR_CANCELLED;
		goto out;
	}
	if (lrc != LLM_OK) {
		rc = fail(r, BRIEF_ERR_LLM, "writing the stories: %s", batch_why(res, n, lrc));
		goto out;
	}
	/* stories whose sources do not fit: fewer, shorter sources */
	for (int level = 1; level <= 2 && any_context(res, n); level++) {
		for (size_t k = 0; k < n; k++)
			if (res[k].err == LLM_ERR_CONTEXT &&
			    (rc = story_request(r, k, level, system, user, data, msgs, req)))
				goto out;
		lrc = rerun_context(r, l, req, res, n);
		if (lrc == LLM_ERR_CANCELLED || cancelled(r)) {
			rc = BRIEF_ERR_CANCELLED;
			goto out;
		}
		if (lrc != LLM_OK) {
			rc = fail(r, BRIEF_ERR_LLM, "writing the stories: %s", llm_strerror(lrc));
			goto out;
		}
	}
	sum_tokens(res, n, &out->prompt_tokens, &out->completion_tokens);
	for (size_t k = 0; k < n; k++) {
		const struct brief_story *s = &r->stories[r->order[k]];
		if (res[k].err != LLM_OK || !res[k].text)
			continue;
		const struct store_item *lead = &r->items[s->items[0]].it;
		if ((rc = parse_entry(res[k].text, lead->title, &w[k].headline, &w[k].body)))
			goto out;
		if (util_str_empty(w[k].body))
			continue;
		w[k].ok = 1;
		n_ok++;
	}
	if (n_ok == 0) {
		const char *why = NULL;
		for (size_t k = 0; k < n && !why; k++)
			why = res[k].error;
		rc = fail(r, BRIEF_ERR_LLM, "no story could be written: %s",
			  why ? why : res[0].err ? llm_strerror(res[0].err) : "empty replies");
		goto out;
	}
	out->seconds_write = mono() - t_write;
	progress(r, "write", n, n, (size_t)out->completion_tokens,
		 out->seconds_write > 0 ? (double)out->completion_tokens / out->seconds_write : 0);

	/* the tagline and the assessment, together */
	size_t ne = 0;
	rc = BRIEF_ERR_NOMEM;
	for (size_t k = 0; k < n; k++) {
		if (!w[k].ok)
			continue;
		const struct brief_story *s = &r->stories[r->order[k]];
		const struct brief_section *sec = section_of(r, s);
		struct util_buf fb;
		util_buf_init(&fb);
		for (size_t j = 0; j < s->n_items; j++) {
			const char *ft = r->items[s->items[j]].it.feed_title;
			if (ft && !strstr(util_buf_cstr(&fb), ft))
				util_buf_printf(&fb, "%s%s", fb.len ? ", " : "", ft);
		}
		feeds[ne] = util_buf_steal(&fb);
		ent[ne] = (struct brief_entry){ r->style.layout == BRIEF_LAYOUT_SECTIONS && sec
			? sec->name : NULL, w[k].headline, w[k].body, s->n_items, feeds[ne] };
		ne++;
	}
	entries = brief_entries_text(ent, ne);
	fenced = entries ? brief_fence(entries) : NULL;
	if (!fenced)
		goto out;
	{
		char nst[24];
		snprintf(nst, sizeof nst, "%zu", ne);
		struct brief_var v[] = {
			{ "date", r->date_line }, { "edition", r->edition }, { "entries", fenced },
			{ "n_stories", nst },
			{ "fence_open", BRIEF_FENCE_OPEN }, { "fence_close", BRIEF_FENCE_CLOSE },
		};
		if ((rc = expand(r, BRIEF_TPL_TAGLINE, v, sizeof v / sizeof v[0], &user[n])) ||
		    (rc = expand(r, BRIEF_TPL_ASSESSMENT, v, sizeof v / sizeof v[0], &user[n + 1])))
			goto out;
	}
	msgs[2 * n] = (struct llm_msg){ "system", system };
	msgs[2 * n + 1] = (struct llm_msg){ "user", user[n] };
	msgs[2 * n + 2] = (struct llm_msg){ "system", system };
	msgs[2 * n + 3] = (struct llm_msg){ "user", user[n + 1] };
	req[n] = (struct llm_request){ .task = LLM_TASK_TAGLINE, .msgs = &msgs[2 * n], .n_msgs = 2,
		.data = entries, .max_tokens = 64, .temperature = -1, .seed = 7 };
	req[n + 1] = (struct llm_request){ .task = LLM_TASK_ASSESSMENT, .msgs = &msgs[2 * n + 2],
		.n_msgs = 2, .data = entries, .max_tokens = 640, .temperature = -1, .seed = 8 };
	r->stage = "assess";
	r->done = 0;
	r->total = 2;
	r->n_seen = 2;
	memset(r->seen, 0, n + 2);
	r->tokens_before = (size_t)out->completion_tokens;
	r->t_batch = mono();
	progress(r, "assess", 0, 2, r->tokens_before, 0);
	lrc = llm_complete(l, req + n, 2, res + n, llm_progress, r, o->cancel);
	if (lrc == LLM_ERR_CANCELLED || cancelled(r)) {
		rc = BRIEF_ERR_CANCELLED;
		goto out;
	}
	/* too long for the context: shorter entries, then headlines only */
	for (int level = 1; level <= 2 && lrc == LLM_OK && any_context(res + n, 2); level++) {
		rc = BRIEF_ERR_NOMEM;
		free(entries);
		free(fenced);
		fenced = NULL;
		entries = entries_at(ent, ne, level);
		fenced = entries ? brief_fence(entries) : NULL;
		if (!fenced)
			goto out;
		char nst[24];
		snprintf(nst, sizeof nst, "%zu", ne);
		struct brief_var v[] = {
			{ "date", r->date_line }, { "edition", r->edition }, { "entries", fenced },
			{ "n_stories", nst },
			{ "fence_open", BRIEF_FENCE_OPEN }, { "fence_close", BRIEF_FENCE_CLOSE },
		};
		free(user[n]);
		free(user[n + 1]);
		user[n] = user[n + 1] = NULL;
		if ((rc = expand(r, BRIEF_TPL_TAGLINE, v, sizeof v / sizeof v[0], &user[n])) ||
		    (rc = expand(r, BRIEF_TPL_ASSESSMENT, v, sizeof v / sizeof v[0], &user[n + 1])))
			goto out;
		msgs[2 * n + 1].content = user[n];
		msgs[2 * n + 3].content = user[n + 1];
		req[n].data = req[n + 1].data = entries;
		lrc = rerun_context(r, l, req + n, res + n, 2);
		if (lrc == LLM_ERR_CANCELLED || cancelled(r)) {
			rc = BRIEF_ERR_CANCELLED;
			goto out;
		}
	}
	if (lrc != LLM_OK || res[n + 1].err != LLM_OK || !res[n + 1].text) {
		rc = fail(r, BRIEF_ERR_LLM, "writing the assessment: %s",
			  lrc != LLM_OK ? batch_why(res + n, 2, lrc)
			  : res[n + 1].error ? res[n + 1].error : llm_strerror(res[n + 1].err));
		goto out;
	}
	sum_tokens(res + n, 2, &out->prompt_tokens, &out->completion_tokens);
	rc = BRIEF_ERR_NOMEM;
	if (res[n].err == LLM_OK && res[n].text && !(out->tagline = first_line(res[n].text)))
		goto out;
	if ((rc = parse_assessment(res[n + 1].text, &out->assessment, &out->bottom_line)))
		goto out;
	rc = BRIEF_OK;
out:
	for (size_t k = 0; k < n + 2; k++) {
		if (user)
			free(user[k]);
		if (data)
			free(data[k]);
		if (res)
			llm_response_clear(&res[k]);
	}
	for (size_t k = 0; feeds && k < n + 1; k++)
		free(feeds[k]);
	free(feeds);
	free(ent);
	free(entries);
	free(fenced);
	free(system);
	free(req);
	free(msgs);
	free(user);
	free(data);
	free(res);
	free(r->seen);
	r->seen = NULL;
	return rc;
}

/* Check every entry against its sources, the assessment and tagline
 * against the whole briefing; fill the store's stories. */
static int check_and_fill(struct run *r, struct written *w, struct store_briefing *b)
{
	struct util_buf all;
	size_t n = r->n_stories, ns = 0;
	int flagged = 0;

	util_buf_init(&all);
	b->stories = calloc(n + 1, sizeof *b->stories);
	if (!b->stories)
		return BRIEF_ERR_NOMEM;
	for (size_t k = 0; k < n; k++) {
		if (!w[k].ok)
			continue;
		size_t i = r->order[k];
		const struct brief_story *s = &r->stories[i];
		const struct brief_section *sec = section_of(r, s);
		char *src = story_source_text(r, s);
		char *why1 = NULL;
		if (!src)
			goto nomem;
		int c1 = brief_check_entry(r->check, w[k].headline, w[k].body, src, &why1);
		if (util_buf_puts(&all, src) || util_buf_puts(&all, "\n") ||
		    util_buf_puts(&all, w[k].headline) || util_buf_puts(&all, "\n") ||
		    util_buf_puts(&all, w[k].body) || util_buf_puts(&all, "\n") ||
		    (sec && (util_buf_puts(&all, sec->name) || util_buf_puts(&all, "\n")))) {
			free(src);
			free(why1);
			goto nomem;
		}
		free(src);
		if (c1 < 0) {
			free(why1);
			goto nomem;
		}
		struct store_briefing_story *o = &b->stories[ns];
		b->n_stories = ns + 1;
		o->rank = (int)ns + 1;
		o->kind = util_strdup(r->shortlist[i] ? "shortlist" : "story");
		o->section = sec && r->style.layout == BRIEF_LAYOUT_SECTIONS ? util_strdup(sec->name) : NULL;
		o->emoji = sec && r->style.layout == BRIEF_LAYOUT_SECTIONS ? util_strdup(sec->emoji) : NULL;
		o->headline = w[k].headline;
		o->body = w[k].body;
		w[k].headline = w[k].body = NULL;
		o->score = s->score;
		if (c1) {
			flagged = 1;
			o->flagged = 1;
			o->flag_reason = why1;
			why1 = NULL;
		}
		free(why1);
		if (!o->kind)
			goto nomem;
		o->src = calloc(s->n_items, sizeof *o->src);
		if (!o->src)
			goto nomem;
		for (size_t j = 0; j < s->n_items; j++) {
			const struct store_item *it = &r->items[s->items[j]].it;
			struct store_briefing_source *d = &o->src[j];
			struct store_feed f = { 0 };
			o->n_src = j + 1;
			d->item_id = it->id;
			d->feed_title = util_strdup(it->feed_title);
			if (store_feed_get(r->st, it->feed_id, &f) == STORE_OK) {
				d->feed_url = f.url;
				f.url = NULL;
				store_feed_clear(&f);
			}
			d->title = util_strdup(it->title);
			d->link = util_strdup(it->url);
			d->published = it->published;
		}
		ns++;
	}
	/* the assessment and tagline may only name what the briefing holds
	 * (and the edition's own date), and may count it: its stories and
	 * sources, in all and by section */
	{
		size_t all_src = 0;
		for (size_t k = 0; k < ns; k++)
			all_src += b->stories[k].n_src;
		if (util_buf_printf(&all, "%zu stories, %zu sources\n", ns, all_src))
			goto nomem;
		for (size_t k = 0; k < ns; k++) {
			const char *sec = b->stories[k].section;
			size_t st = 0, so = 0, first = k;
			for (size_t j = 0; j < ns; j++) {
				const char *x = b->stories[j].section;
				if (!(sec && x && !strcmp(sec, x)))
					continue;
				if (j < first)
					first = j;
				st++;
				so += b->stories[j].n_src;
			}
			if (sec && first == k &&
			    util_buf_printf(&all, "%s: %zu stories, %zu sources\n", sec, st, so))
				goto nomem;
		}
	}
	{
		char day[128];
		time_t t = (time_t)r->now;
		struct tm tm;
		localtime_r(&t, &tm);
		day[0] = BRIEF_CHECK_DATE_LINE;
		strftime(day + 1, sizeof day - 1, "%A %B %d %Y, Morning Evening\n", &tm);
		if (util_buf_putc(&all, BRIEF_CHECK_DATE_LINE) || util_buf_puts(&all, r->date_line) ||
		    util_buf_puts(&all, "\n") || util_buf_puts(&all, day))
			goto nomem;
	}
	{
		char *why_a = NULL, *why_t = NULL, *why_b = NULL;
		const char *hay = util_buf_cstr(&all);
		int a = brief_check_entry(r->check, NULL, b->assessment, hay, &why_a);
		int bb = brief_check_entry(r->check, NULL, b->bottom_line, hay, &why_b);
		int t = brief_check_entry(r->check, NULL, b->tagline, hay, &why_t);
		if (a < 0 || bb < 0 || t < 0) {
			free(why_a);
			free(why_b);
			free(why_t);
			goto nomem;
		}
		if (a > 0 || bb > 0 || t > 0) {
			flagged = 1;
			b->assessment_flag = util_strfmt("%s%s%s%s%s%s%s%s",
				a > 0 ? "assessment: " : "", a > 0 ? why_a : "",
				a > 0 && (bb > 0 || t > 0) ? "; " : "",
				bb > 0 ? "bottom line: " : "", bb > 0 ? why_b : "",
				bb > 0 && t > 0 ? "; " : "",
				t > 0 ? "tagline: " : "", t > 0 ? why_t : "");
		}
		free(why_a);
		free(why_b);
		free(why_t);
	}
	util_buf_free(&all);
	b->status = util_strdup(flagged ? "flagged" : "ok");
	return b->status ? BRIEF_OK : BRIEF_ERR_NOMEM;
nomem:
	util_buf_free(&all);
	return BRIEF_ERR_NOMEM;
}

int brief_generate(struct store *st, const struct brief_opts *o, brief_progress_cb cb,
		   void *ctx, int64_t *id, char **plan, char **err)
{
	struct run r = { .st = st, .o = o, .cb = cb, .ctx = ctx, .err = err };
	struct store_briefing b = { 0 };
	struct written *w = NULL;
	struct llm *l = NULL;
	int rc, lock = -1;
	double t0 = mono();
	char *msg = NULL;

	if (id)
		*id = 0;
	if (plan)
		*plan = NULL;
	if (err)
		*err = NULL;
	if (!st || !o)
		return BRIEF_ERR_ARG;
	r.now = o->now ? o->now : util_time_now();
	r.edition = o->edition && strcmp(o->edition, "auto") ? o->edition : edition_auto(r.now);
	if (strcmp(r.edition, "morning") && strcmp(r.edition, "evening"))
		return fail(&r, BRIEF_ERR_ARG, "edition must be morning, evening or auto, not '%s'",
			    r.edition);
	if (!o->dry_run) {
		lock = lock_take(st, &rc, err);
		if (lock == -1)
			return rc;
	}
	r.date_line = edition_line(r.now, r.edition);
	if (!r.date_line) {
		rc = BRIEF_ERR_NOMEM;
		goto out;
	}
	if ((rc = brief_sections_load_dir(o->config_dir, &r.secs, &msg))) {
		rc = fail(&r, rc == BRIEF_ERR_NOMEM ? rc : BRIEF_ERR_CONFIG, "%s",
			  msg ? msg : brief_strerror(rc));
		goto out;
	}
	if ((rc = brief_check_data_load(o->config_dir, &r.check, &msg))) {
		rc = fail(&r, rc == BRIEF_ERR_NOMEM ? rc : BRIEF_ERR_CONFIG, "%s",
			  msg ? msg : brief_strerror(rc));
		goto out;
	}
	if ((rc = brief_style_load(o->style, o->config_dir, o->data_dir, &r.style, &msg))) {
		rc = fail(&r, rc, "%s", msg ? msg : brief_strerror(rc));
		goto out;
	}
	if (r.style.max_stories && r.style.max_stories < r.secs.max_total)
		r.secs.max_total = r.style.max_stories;

	/* the window */
	/* [since, now]: an item published (or, undated, fetched) at this very
	 * second is in, so a generate run in the second of the fetch before it
	 * finds what that fetch brought; the window ends at now + 1, where the
	 * next edition's begins */
	r.until = r.now + 1;
	if (o->since) {
		r.since = o->since;
	} else {
		int64_t last = 0;
		if (store_briefing_last_window(st, &last) != STORE_OK) {
			rc = fail(&r, BRIEF_ERR_STORE, "reading the previous briefing: %s",
				  store_errmsg(st));
			goto out;
		}
		r.since = last > 0 ? (last < r.until ? last : r.until) : r.now - DEFAULT_WINDOW;
	}

	progress(&r, "select", 0, 0, 0, 0);
	/* with the weak items: a story two feeds carry is kept whatever its
	 * score (coverage first); weak ones alone go after clustering */
	if ((rc = brief_select_weak(st, &r.secs, r.since, r.until, &r.items, &r.n_items))) {
		rc = fail(&r, rc, "selecting items: %s", rc == BRIEF_ERR_STORE ? store_errmsg(st)
			  : brief_strerror(rc));
		goto out;
	}
	if (cancelled(&r)) {
		rc = BRIEF_ERR_CANCELLED;
		goto out;
	}
	progress(&r, "cluster", 0, 0, 0, 0);
	if ((rc = brief_cluster(r.items, r.n_items, r.secs.cluster_threshold, &r.stories,
				&r.n_stories)))
		goto out;
	brief_drop_weak(r.stories, &r.n_stories, r.items);
	brief_rank(r.stories, &r.n_stories, r.items, &r.secs, r.now);
	if ((rc = make_order(&r)))
		goto out;
	b.seconds_plan = mono() - t0;
	if (plan && !(*plan = plan_text(&r, st))) {
		rc = BRIEF_ERR_NOMEM;
		goto out;
	}
	if (r.n_stories == 0) {
		char a[32], z[32];
		rc = fail(&r, BRIEF_ERR_EMPTY, "no relevant items published between %s and %s",
			  util_time_iso(r.since, a, sizeof a), util_time_iso(r.until, z, sizeof z));
		goto out;
	}
	if (o->dry_run) {
		rc = BRIEF_OK;
		goto out;
	}
	if (cancelled(&r)) {
		rc = BRIEF_ERR_CANCELLED;
		goto out;
	}

	/* write */
	struct llm_config lc = o->llm;
	if (!lc.backend || !*lc.backend)
		lc.backend = lc.model_path ? "engine" : lc.base_url ? "openai" : "extractive";
	int lrc = llm_open(&lc, &l, &msg);
	if (lrc != LLM_OK) {
		/* a backend, model file or URL that cannot be used is the config's fault */
		rc = fail(&r, lrc == LLM_ERR_CONFIG || lrc == LLM_ERR_MODEL ? BRIEF_ERR_CONFIG : BRIEF_ERR_LLM,
			  "%s", msg ? msg : "cannot open the language model");
		goto out;
	}
	w = calloc(r.n_stories + 1, sizeof *w);
	if (!w) {
		rc = BRIEF_ERR_NOMEM;
		goto out;
	}
	if ((rc = write_all(&r, l, &b, w)))
		goto out;

	progress(&r, "check", 0, 0, 0, 0);
	if ((rc = check_and_fill(&r, w, &b)))
		goto out;
	if (cancelled(&r)) {
		rc = BRIEF_ERR_CANCELLED;
		goto out;
	}

	/* store, with provenance */
	progress(&r, "store", 0, 0, 0, 0);
	b.created = r.now;
	b.edition = util_strdup(r.edition);
	b.edition_date = util_strdup(r.date_line);
	b.style = util_strdup(r.style.name);
	b.layout = util_strdup(brief_layout_name(r.style.layout));
	b.backend = util_strdup(llm_backend(l));
	b.model = util_strdup(llm_model_name(l));
	b.model_hash = util_strdup(llm_model_hash(l));
	{
		/* the handle is this briefing's alone: its lifetime is the run */
		struct llm_stats ls;
		llm_stats(l, LLM_STATS_TOTAL, &ls);
		b.passes = (int64_t)ls.passes;
		b.pass_tokens = (int64_t)ls.tokens;
		b.draft_model = ls.draft[0] ? util_strdup(ls.draft) : NULL;
		b.spec_rounds = (int64_t)ls.spec_rounds;
		b.spec_drafted = (int64_t)ls.spec_drafted;
		b.spec_accepted = (int64_t)ls.spec_accepted;
		b.spec_tokens = (int64_t)ls.spec_tokens;
		b.prefill_tokens = (int64_t)ls.prefill_tokens;
		b.bytes_streamed = (int64_t)ls.bytes_streamed;
		b.seconds_prefill = ls.prefill_seconds;
		b.seconds_decode = ls.decode_seconds;
		b.seconds_wait = ls.wait_seconds;
		if (*ls.device && !(b.device = util_strdup(ls.device))) {
			rc = BRIEF_ERR_NOMEM;
			goto out;
		}
	}
	b.prompt_hashes = brief_style_hashes(&r.style);
	b.window_start = r.since;
	b.window_end = r.until;
	b.seconds_total = mono() - t0;
	if (!b.edition || !b.edition_date || !b.style || !b.backend || !b.prompt_hashes) {
		rc = BRIEF_ERR_NOMEM;
		goto out;
	}
	int64_t bid = 0;
	if (store_briefing_insert(st, &b, &bid) != STORE_OK) {
		rc = fail(&r, BRIEF_ERR_STORE, "storing the briefing: %s", store_errmsg(st));
		goto out;
	}
	if (id)
		*id = bid;
	rc = BRIEF_OK;
out:
	if (rc == BRIEF_ERR_CANCELLED)
		fail(&r, rc, "cancelled; nothing was stored");
	else if (rc && err && !*err)
		*err = util_strdup(brief_strerror(rc));
	free(msg);
	if (w) {
		for (size_t k = 0; k < r.n_stories; k++) {
			free(w[k].headline);
			free(w[k].body);
			free(w[k].why);
		}
		free(w);
	}
	store_briefing_clear(&b);
	llm_close(l);
	free(r.order);
	free(r.shortlist);
	for (size_t i = 0; r.src_text && i < r.n_stories; i++)
		free(r.src_text[i]);
	free(r.src_text);
	brief_stories_free(r.stories, r.n_stories);
	brief_items_free(r.items, r.n_items);
	brief_style_free(&r.style);
	brief_sections_free(&r.secs);
	brief_check_data_free(r.check);
	free(r.date_line);
	lock_drop(lock);
	return rc;
}
