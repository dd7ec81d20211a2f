/* The faithfulness check as a measured instrument: the labelled set of
 * tests/fixtures/faithfulness/ (sources plus hand-written entries, each
 * faithful or with one injected wrong fact of a stated class) run through
 * brief_check_sources + brief_check_text exactly as generate runs them.
 * Prints precision, recall and the per-class figures; fails when they fall
 * below the floors. FAITHFULNESS_REPORT=1 also lists every false alarm and
 * every miss with the check's reason (bench/faithfulness.sh). */
#include <ctype.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "brief/brief_write.h"
#include "util/util.h"

struct setdef {
	const char *dir;          /* the set's files: DIR/\*.txt */
	double floor_precision, floor_recall;
};

/* The sets and their floors for make check, so that a change to the rules
 * that loses ground fails. The development set (the rules were written
 * against it): issue 12's aims, measured 0.989 and 0.929. The held-out
 * set (written apart, measured once the rules were done: 0.872 and
 * 0.791; 0.923 and 0.837 after fixing the bugs it showed): below both
 * (bench/results/faithfulness-2026-12-05.md). */
static const struct setdef sets[] = {
	{ "tests/fixtures/faithfulness", 0.97, 0.90 },
	{ "tests/fixtures/faithfulness-heldout", 0.85, 0.75 },
};

struct story {
	char id[64];
	char *text;
};

struct entry {
	char id[64], story[64], label[16], cls[32], fact[200];
	char *headline, *body;
	const char *file;
};

struct set {
	struct story *st;
	size_t n_st;
	struct entry *en;
	size_t n_en;
	char **files;
	size_t n_files;
};

static char *dup_line(const char *p, const char *key)
{
	size_t k = strlen(key);
	if (strncmp(p, key, k))
		fail_msg("expected '%s' at '%.40s'", key, p);
	return util_strndup(p + k, strcspn(p + k, "\n"));
}

static void copy_field(char *dst, size_t cap, const char *p, const char *key)
{
	char *v = dup_line(p, key);
	snprintf(dst, cap, "%s", v);
	free(v);
}

static const char *next_line(const char *p)
{
	const char *e = strchr(p, '\n');
	return e ? e + 1 : p + strlen(p);
}

static void load_file(struct set *s, const char *path)
{
	char *text = NULL;
	assert_int_equal(util_file_read(path, 0, &text, NULL), 0);
	char *name = util_strdup(path);
	s->files = realloc(s->files, (s->n_files + 1) * sizeof *s->files);
	s->files[s->n_files++] = name;
	const char *p = text;
	while (*p) {
		if (!strncmp(p, "[story ", 7)) {
			s->st = realloc(s->st, (s->n_st + 1) * sizeof *s->st);
			struct story *x = &s->st[s->n_st++];
			size_t n = strcspn(p + 7, "]");
			snprintf(x->id, sizeof x->id, "%.*s", (int)n, p + 7);
			p = next_line(p);
			const char *b = p;
			while (*p && *p != '[')
				p = next_line(p);
			/* the story text, without the blank lines and comments
			 * between blocks */
			size_t len = (size_t)(p - b);
			while (len && (b[len - 1] == '\n' || b[len - 1] == ' '))
				len--;
			x->text = util_strndup(b, len);
		} else if (!strncmp(p, "[entry ", 7)) {
			s->en = realloc(s->en, (s->n_en + 1) * sizeof *s->en);
			struct entry *e = &s->en[s->n_en++];
			memset(e, 0, sizeof *e);
			e->file = name;
			size_t n = strcspn(p + 7, "]");
			snprintf(e->id, sizeof e->id, "%.*s", (int)n, p + 7);
			p = next_line(p);
			copy_field(e->story, sizeof e->story, p, "story: ");
			p = next_line(p);
			copy_field(e->label, sizeof e->label, p, "label: ");
			p = next_line(p);
			copy_field(e->cls, sizeof e->cls, p, "class: ");
			p = next_line(p);
			copy_field(e->fact, sizeof e->fact, p, "fact: ");
			p = next_line(p);
			e->headline = dup_line(p, "headline: ");
			p = next_line(p);
			e->body = dup_line(p, "body: ");
			p = next_line(p);
		} else {
			p = next_line(p);     /* comments, blank lines */
		}
	}
	free(text);
}

static const struct story *story_of(const struct set *s, const struct entry *e)
{
	for (size_t i = 0; i < s->n_st; i++)
		if (!strcmp(s->st[i].id, e->story))
			return &s->st[i];
	fail_msg("%s: entry %s names story %s, which is not there", e->file, e->id, e->story);
	return NULL;
}

/* Does the check's reason name the injected fact (any word of it)? */
static int names_fact(const char *why, const char *fact)
{
	if (!why)
		return 0;
	char *lw = util_strdup(why);
	for (char *c = lw; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	int hit = 0;
	for (const char *p = fact; *p && !hit;) {
		while (*p && !isalnum((unsigned char)*p) && (unsigned char)*p < 0x80)
			p++;
		const char *b = p;
		while (*p && (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80))
			p++;
		size_t n = (size_t)(p - b);
		if (n == 0)
			continue;
		char w[128];
		snprintf(w, sizeof w, "%.*s", (int)(n < 127 ? n : 127), b);
		for (char *c = w; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		/* a whole word of the fact in the reason */
		for (const char *q = lw; (q = strstr(q, w)); q++) {
			int before = q == lw || !isalnum((unsigned char)q[-1]);
			int after = !isalnum((unsigned char)q[strlen(w)]);
			if (before && after) {
				hit = 1;
				break;
			}
		}
	}
	free(lw);
	return hit;
}

struct tally {
	char cls[32];
	int faithful;
	size_t n, flagged, caught;
};

static void test_faithfulness_set(void **state)
{
	const struct setdef *def = *state;
	struct set s = { 0 };
	glob_t g;
	char pat[256];
	snprintf(pat, sizeof pat, "%s/*.txt", def->dir);
	assert_int_equal(glob(pat, 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++)
		load_file(&s, g.gl_pathv[i]);
	globfree(&g);
	assert_true(s.n_en >= 80);

	int report = getenv("FAITHFULNESS_REPORT") != NULL;
	struct tally t[16];
	size_t nt = 0, tp = 0, fp = 0, fn = 0, tn = 0;
	for (size_t i = 0; i < s.n_en; i++) {
		const struct entry *e = &s.en[i];
		int faithful = !strcmp(e->label, "faithful");
		assert_true(faithful || !strcmp(e->label, "unfaithful"));
		char *src = brief_check_sources(story_of(&s, e)->text);
		assert_non_null(src);
		char *w1 = NULL, *w2 = NULL;
		int c1 = brief_check_text(e->headline, src, 1, &w1);
		int c2 = brief_check_text(e->body, src, 0, &w2);
		assert_true(c1 >= 0 && c2 >= 0);
		int flagged = c1 == 1 || c2 == 1;
		/* a miss unless the reason names the injected fact */
		int caught = flagged && (names_fact(w1, e->fact) || names_fact(w2, e->fact));
		size_t k = 0;
		while (k < nt && (strcmp(t[k].cls, e->cls) || t[k].faithful != faithful))
			k++;
		if (k == nt) {
			assert_true(nt < 16);
			memset(&t[nt], 0, sizeof t[nt]);
			snprintf(t[nt].cls, sizeof t[nt].cls, "%s", e->cls);
			t[nt].faithful = faithful;
			nt++;
		}
		t[k].n++;
		t[k].flagged += flagged;
		t[k].caught += caught;
		if (faithful) {
			fp += flagged;
			tn += !flagged;
		} else {
			tp += caught;
			fn += !caught;
		}
		const char *only = getenv("FAITHFULNESS_ONLY");
		if (only && !strcmp(only, e->id))
			print_message("  %s: headline %d '%s'\n  body %d '%s'\n  sources:\n%s\n", e->id,
				      c1, w1 ? w1 : "", c2, w2 ? w2 : "", src);
		if (report && faithful && flagged)
			print_message("  false alarm %-22s %-8s %s%s%s\n", e->id, e->cls,
				      w1 ? w1 : "", w1 && w2 ? " | " : "", w2 ? w2 : "");
		if (report && !faithful && !caught)
			print_message("  missed      %-22s %-14s fact '%s'%s%s\n", e->id, e->cls,
				      e->fact, flagged ? "; flagged for: " : "",
				      flagged ? (w1 ? w1 : w2) : "");
		free(w1);
		free(w2);
		free(src);
	}
	double precision = tp + fp ? (double)tp / (double)(tp + fp) : 1.0;
	double recall = tp + fn ? (double)tp / (double)(tp + fn) : 1.0;
	print_message("  %s: %zu entries (%zu faithful, %zu unfaithful)\n", def->dir, s.n_en,
		      fp + tn, tp + fn);
	for (size_t k = 0; k < nt; k++) {
		if (t[k].faithful)
			print_message("    faithful   %-14s %3zu  false alarms %3zu\n", t[k].cls, t[k].n,
				      t[k].flagged);
		else
			print_message("    unfaithful %-14s %3zu  caught %3zu  recall %.2f\n", t[k].cls,
				      t[k].n, t[k].caught, (double)t[k].caught / (double)t[k].n);
	}
	print_message("  precision %.3f  recall %.3f  (caught %zu, false alarms %zu, missed %zu)\n",
		      precision, recall, tp, fp, fn);
	for (size_t i = 0; i < s.n_st; i++)
		free(s.st[i].text);
	for (size_t i = 0; i < s.n_en; i++) {
		free(s.en[i].headline);
		free(s.en[i].body);
	}
	for (size_t i = 0; i < s.n_files; i++)
		free(s.files[i]);
	free(s.st);
	free(s.en);
	free(s.files);
	assert_true(precision >= def->floor_precision);
	assert_true(recall >= def->floor_recall);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_faithfulness_set, (void *)&sets[0]),
		cmocka_unit_test_prestate(test_faithfulness_set, (void *)&sets[1]),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
