/* test_store_briefings — briefings with stories and provenance, on a real
 * database file: whole-or-nothing insert, get by id / latest, list, the
 * previous window, snapshots that outlive a removed feed, the engine's pass
 * counts, migration from a version-1 and a version-3 database. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "util/util.h"

struct fx {
	char dir[256];
	char path[512];
	struct store *st;
	int64_t feed, item1, item2;
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof f->dir, "%s/test_store_briefings.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/b.db", f->dir);
	assert_int_equal(store_open(f->path, &f->st, NULL), STORE_OK);
	assert_int_equal(store_feed_add(f->st, "http://a.example/feed", "Chip Wire", NULL, NULL,
					&f->feed), STORE_OK);
	struct store_item it = { .feed_id = f->feed, .guid = "g1", .url = "http://a.example/1",
				 .title = "CXMT sells DDR4 at half price", .published = 1000 };
	assert_int_equal(store_item_upsert(f->st, &it, &f->item1, NULL), STORE_OK);
	it.guid = "g2";
	it.url = "http://a.example/2";
	it.title = "Samsung answers";
	it.published = 2000;
	assert_int_equal(store_item_upsert(f->st, &it, &f->item2, NULL), STORE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* A two-story briefing; sources point at the fixture's items. */
static void make(struct fx *f, struct store_briefing *b, struct store_briefing_story *s,
		 struct store_briefing_source *src, int64_t created, int64_t wend)
{
	memset(b, 0, sizeof *b);
	memset(s, 0, 2 * sizeof *s);
	memset(src, 0, 3 * sizeof *src);
	src[0] = (struct store_briefing_source){ f->item1, "Chip Wire", "http://a.example/feed",
		"CXMT sells DDR4 at half price", "http://a.example/1", 1000 };
	src[1] = (struct store_briefing_source){ f->item2, "Chip Wire", "http://a.example/feed",
		"Samsung answers", "http://a.example/2", 2000 };
	src[2] = (struct store_briefing_source){ f->item2, "Other", "http://b.example/feed",
		"Samsung answers again", "http://b.example/2", 2100 };
	s[0] = (struct store_briefing_story){ .rank = 1, .kind = "story",
		.section = "Geopolitics & Chips", .emoji = "\xf0\x9f\x8c\x90",
		.headline = "CXMT undercuts", .body = "CXMT sells DDR4 at half the rate.",
		.score = 2.5, .src = src, .n_src = 1 };
	s[1] = (struct store_briefing_story){ .rank = 2, .kind = "story",
		.section = "Geopolitics & Chips", .headline = "Samsung answers",
		.body = "Samsung says 7 things.", .flagged = 1, .flag_reason = "not in the sources: 7",
		.src = src + 1, .n_src = 2 };
	b->created = created;
	b->edition = "evening";
	b->edition_date = "2026.02.21 \xe2\x80\x94 Evening (7:00 PM)";
	b->style = "secretary";
	b->tagline = "Memory gets cheap.";
	b->assessment = "CXMT matters.\n\nSamsung too.";
	b->bottom_line = "Watch memory.";
	b->backend = "extractive";
	b->model = "extractive";
	b->model_hash = "";
	b->window_start = wend - 43200;
	b->window_end = wend;
	b->prompt_hashes = "system=0011 story=2233";
	b->prompt_tokens = 120;
	b->completion_tokens = 80;
	b->seconds_total = 1.5;
	b->status = "flagged";
	b->stories = s;
	b->n_stories = 2;
}

static void test_insert_get(void **state)
{
	struct fx *f = *state;
	struct store_briefing b, got;
	struct store_briefing_story s[2];
	struct store_briefing_source src[3];
	int64_t id = 0;

	make(f, &b, s, src, 5000, 4000);
	assert_int_equal(store_briefing_insert(f->st, &b, &id), STORE_OK);
	assert_true(id > 0);
	assert_int_equal(store_briefing_get(f->st, id, &got), STORE_OK);
	assert_int_equal(got.id, id);
	assert_int_equal(got.created, 5000);
	assert_string_equal(got.edition, "evening");
	assert_string_equal(got.edition_date, b.edition_date);
	assert_string_equal(got.assessment, b.assessment);
	assert_string_equal(got.bottom_line, "Watch memory.");
	assert_null(got.assessment_flag);
	assert_string_equal(got.prompt_hashes, b.prompt_hashes);
	assert_int_equal(got.prompt_tokens, 120);
	assert_int_equal(got.completion_tokens, 80);
	assert_int_equal(got.window_end, 4000);
	assert_string_equal(got.status, "flagged");
	assert_int_equal(got.n_stories, 2);
	assert_string_equal(got.stories[0].headline, "CXMT undercuts");
	assert_string_equal(got.stories[0].emoji, "\xf0\x9f\x8c\x90");
	assert_int_equal(got.stories[0].n_src, 1);
	assert_int_equal(got.stories[0].src[0].item_id, f->item1);
	assert_int_equal(got.stories[1].flagged, 1);
	assert_string_equal(got.stories[1].flag_reason, "not in the sources: 7");
	assert_null(got.stories[1].emoji);
	assert_int_equal(got.stories[1].n_src, 2);
	assert_string_equal(got.stories[1].src[1].feed_title, "Other");
	assert_string_equal(got.stories[1].src[1].link, "http://b.example/2");
	assert_int_equal(got.stories[1].src[1].published, 2100);
	store_briefing_clear(&got);

	assert_int_equal(store_briefing_get(f->st, id + 100, &got), STORE_ERR_NOT_FOUND);
}

/* The engine's weight passes go in and come back; other backends store
 * zeros and no device. */
static void test_passes(void **state)
{
	struct fx *f = *state;
	struct store_briefing b, got;
	struct store_briefing_story s[2];
	struct store_briefing_source src[3];
	int64_t id = 0, id0 = 0;

	make(f, &b, s, src, 5000, 4000);
	assert_int_equal(store_briefing_insert(f->st, &b, &id0), STORE_OK);
	b.backend = "engine";
	b.model = "SmolLM2-135M-Instruct.Q4_1.gguf";
	b.passes = 42;
	b.pass_tokens = 5123;
	b.prefill_tokens = 4100;
	b.bytes_streamed = (int64_t)3 << 40;   /* beyond 32 bits */
	b.seconds_prefill = 3.125;
	b.seconds_decode = 40.25;
	b.seconds_wait = 0.5;
	b.device = "cuda";
	b.draft_model = "SmolLM2-135M-Instruct.Q4_0.gguf";
	b.spec_rounds = 30;
	b.spec_drafted = 120;
	b.spec_accepted = 90;
	b.spec_tokens = 120;
	assert_int_equal(store_briefing_insert(f->st, &b, &id), STORE_OK);
	assert_int_equal(store_briefing_get(f->st, id, &got), STORE_OK);
	assert_string_equal(got.backend, "engine");
	/* speculative decoding (migration 6) */
	assert_string_equal(got.draft_model, "SmolLM2-135M-Instruct.Q4_0.gguf");
	assert_int_equal(got.spec_rounds, 30);
	assert_int_equal(got.spec_drafted, 120);
	assert_int_equal(got.spec_accepted, 90);
	assert_int_equal(got.spec_tokens, 120);
	assert_int_equal(got.passes, 42);
	assert_int_equal(got.pass_tokens, 5123);
	assert_int_equal(got.prefill_tokens, 4100);
	assert_true(got.bytes_streamed == (int64_t)3 << 40);
	assert_true(got.seconds_prefill == 3.125);
	assert_true(got.seconds_decode == 40.25);
	assert_true(got.seconds_wait == 0.5);
	assert_string_equal(got.device, "cuda");
	store_briefing_clear(&got);

	assert_int_equal(store_briefing_get(f->st, id0, &got), STORE_OK);
	assert_int_equal(got.passes, 0);
	assert_int_equal(got.pass_tokens, 0);
	assert_true(got.seconds_decode == 0);
	assert_null(got.device);
	assert_null(got.layout);
	assert_null(got.draft_model);
	assert_int_equal(got.spec_rounds, 0);
	store_briefing_clear(&got);

	/* an empty device is no device; the list rows carry the counts too */
	b.device = "";
	assert_int_equal(store_briefing_insert(f->st, &b, &id), STORE_OK);
	struct store_briefing *list = NULL;
	size_t n = 0;
	assert_int_equal(store_briefing_list(f->st, 0, &list, &n), STORE_OK);
	assert_int_equal(n, 3);
	int seen = 0;
	for (size_t i = 0; i < n; i++)
		if (list[i].id == id) {
			assert_int_equal(list[i].passes, 42);
			assert_null(list[i].device);
			seen = 1;
		}
	assert_true(seen);
	store_briefings_free(list, n);
}

static void test_latest_list_window(void **state)
{
	struct fx *f = *state;
	struct store_briefing b, got, *list = NULL;
	struct store_briefing_story s[2];
	struct store_briefing_source src[3];
	int64_t id1, id2, id3, t = -1;
	size_t n = 0;

	assert_int_equal(store_briefing_get(f->st, 0, &got), STORE_ERR_NOT_FOUND);
	assert_int_equal(store_briefing_last_window(f->st, &t), STORE_OK);
	assert_int_equal(t, 0);

	make(f, &b, s, src, 5000, 4000);
	assert_int_equal(store_briefing_insert(f->st, &b, &id1), STORE_OK);
	make(f, &b, s, src, 9000, 8000);
	b.edition = "morning";
	assert_int_equal(store_briefing_insert(f->st, &b, &id2), STORE_OK);
	make(f, &b, s, src, 7000, 6000);
	assert_int_equal(store_briefing_insert(f->st, &b, &id3), STORE_OK);

	/* latest = newest created, whatever the insertion order */
	assert_int_equal(store_briefing_get(f->st, 0, &got), STORE_OK);
	assert_int_equal(got.id, id2);
	assert_string_equal(got.edition, "morning");
	store_briefing_clear(&got);

	assert_int_equal(store_briefing_last_window(f->st, &t), STORE_OK);
	assert_int_equal(t, 8000);

	assert_int_equal(store_briefing_list(f->st, 0, &list, &n), STORE_OK);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].id, id2);
	assert_int_equal(list[1].id, id3);
	assert_int_equal(list[2].id, id1);
	assert_null(list[0].stories);
	assert_int_equal(list[0].n_stories, 2);
	store_briefings_free(list, n);

	assert_int_equal(store_briefing_list(f->st, 1, &list, &n), STORE_OK);
	assert_int_equal(n, 1);
	store_briefings_free(list, n);

	assert_int_equal(store_briefing_delete(f->st, id2), STORE_OK);
	assert_int_equal(store_briefing_delete(f->st, id2), STORE_ERR_NOT_FOUND);
	assert_int_equal(store_briefing_get(f->st, 0, &got), STORE_OK);
	assert_int_equal(got.id, id3);
	store_briefing_clear(&got);
}

/* A story whose insert fails (NULL edition is refused up front; a story
 * row that breaks a constraint midway) leaves nothing behind. */
static void test_all_or_nothing(void **state)
{
	struct fx *f = *state;
	struct store_briefing b, *list = NULL;
	struct store_briefing_story s[2];
	struct store_briefing_source src[3];
	size_t n = 9;
	int64_t id = 7;

	make(f, &b, s, src, 5000, 4000);
	b.edition = NULL;
	assert_int_equal(store_briefing_insert(f->st, &b, &id), STORE_ERR_ARG);
	assert_int_equal(id, 0);

	/* Make the second story's insert fail inside the transaction: a
	 * trigger refuses a headline, as a full disk or a crash would stop the
	 * write midway. */
	sqlite3 *raw = NULL;
	assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw,
		"CREATE TRIGGER refuse BEFORE INSERT ON briefing_stories"
		" WHEN new.headline = 'Samsung answers' BEGIN SELECT RAISE(ABORT, 'refused'); END;",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	make(f, &b, s, src, 5000, 4000);
	assert_int_not_equal(store_briefing_insert(f->st, &b, &id), STORE_OK);
	assert_int_equal(store_briefing_list(f->st, 0, &list, &n), STORE_OK);
	assert_int_equal(n, 0);
	store_briefings_free(list, n);

	raw = NULL;
	assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT (SELECT count(*) FROM briefing_stories)"
					    " + (SELECT count(*) FROM story_sources)", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 0);
	sqlite3_finalize(q);
	sqlite3_close(raw);
}

/* Removing a feed removes its items; the briefing keeps its snapshot. */
static void test_snapshot_outlives_feed(void **state)
{
	struct fx *f = *state;
	struct store_briefing b, got;
	struct store_briefing_story s[2];
	struct store_briefing_source src[3];
	int64_t id;

	make(f, &b, s, src, 5000, 4000);
	assert_int_equal(store_briefing_insert(f->st, &b, &id), STORE_OK);
	assert_int_equal(store_feed_remove(f->st, f->feed), STORE_OK);
	assert_int_equal(store_briefing_get(f->st, id, &got), STORE_OK);
	assert_int_equal(got.stories[0].src[0].item_id, 0);
	assert_string_equal(got.stories[0].src[0].title, "CXMT sells DDR4 at half price");
	assert_string_equal(got.stories[0].src[0].link, "http://a.example/1");
	store_briefing_clear(&got);
	/* an item id that never existed is stored as NULL, not refused */
	src[0].item_id = 999999;
	assert_int_equal(store_briefing_insert(f->st, &b, &id), STORE_OK);
}

/* A database made by schema version 1 gains the tables on open. */
static void test_migrate_from_v1(void **state)
{
	struct fx *f = *state;
	char path[600];
	sqlite3 *raw = NULL;
	struct store *st = NULL;
	struct store_briefing *list = NULL;
	size_t n = 5;

	snprintf(path, sizeof path, "%s/v1.db", f->dir);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "CREATE TABLE feeds (id INTEGER PRIMARY KEY, url TEXT);"
				      "CREATE TABLE items (id INTEGER PRIMARY KEY, feed_id INTEGER, read INTEGER);"
				      "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
				      "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	assert_int_equal(store_open(path, &st, NULL), STORE_OK);
	assert_int_equal(store_schema_version(st), store_schema_latest());
	assert_int_equal(store_briefing_list(st, 0, &list, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_true(strstr(store_path(st), "v1.db") != NULL);
	store_close(st);
}

static sqlite3_int64 raw_int(sqlite3 *raw, const char *sql)
{
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_prepare_v2(raw, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	sqlite3_int64 v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

/* A database of schema version 3 (briefings without pass counts, one
 * stored) gains the columns on open; the old briefing reads with zeros. */
static void test_migrate_from_v3(void **state)
{
	struct fx *f = *state;
	char path[600];
	sqlite3 *raw = NULL;
	struct store *st = NULL;
	struct store_briefing b, got;
	struct store_briefing_story s[2];
	struct store_briefing_source src[3];
	int64_t id = 0;

	/* today's schema with the version-4 to -6 columns taken out is version 3 */
	snprintf(path, sizeof path, "%s/v3.db", f->dir);
	assert_int_equal(store_open(path, &st, NULL), STORE_OK);
	store_close(st);
	st = NULL;
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw,
		"ALTER TABLE briefings DROP COLUMN passes;"
		"ALTER TABLE briefings DROP COLUMN pass_tokens;"
		"ALTER TABLE briefings DROP COLUMN prefill_tokens;"
		"ALTER TABLE briefings DROP COLUMN bytes_streamed;"
		"ALTER TABLE briefings DROP COLUMN seconds_prefill;"
		"ALTER TABLE briefings DROP COLUMN seconds_decode;"
		"ALTER TABLE briefings DROP COLUMN seconds_wait;"
		"ALTER TABLE briefings DROP COLUMN device;"
		"ALTER TABLE briefings DROP COLUMN layout;"
		"ALTER TABLE briefings DROP COLUMN draft_model;"
		"ALTER TABLE briefings DROP COLUMN spec_rounds;"
		"ALTER TABLE briefings DROP COLUMN spec_drafted;"
		"ALTER TABLE briefings DROP COLUMN spec_accepted;"
		"ALTER TABLE briefings DROP COLUMN spec_tokens;"
		"INSERT INTO briefings(created, edition, edition_date, style, backend, model,"
		" prompt_tokens, completion_tokens, seconds_write, seconds_total)"
		" VALUES (3000, 'morning', '2026.02.20', 'secretary', 'engine', 'old.gguf',"
		" 900, 300, 12.5, 13.0);"
		"PRAGMA user_version = 3;", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM pragma_table_info('briefings')"
				 " WHERE name = 'passes'"), 0);
	sqlite3_close(raw);

	assert_int_equal(store_open(path, &st, NULL), STORE_OK);
	assert_int_equal(store_schema_version(st), store_schema_latest());
	assert_true(store_schema_latest() >= 4);
	assert_int_equal(store_briefing_get(st, 0, &got), STORE_OK);
	assert_string_equal(got.model, "old.gguf");
	assert_int_equal(got.prompt_tokens, 900);
	assert_true(got.seconds_write == 12.5);
	assert_int_equal(got.passes, 0);
	assert_int_equal(got.pass_tokens, 0);
	assert_int_equal(got.prefill_tokens, 0);
	assert_true(got.seconds_prefill == 0 && got.seconds_decode == 0);
	assert_null(got.device);
	store_briefing_clear(&got);

	/* and a new one keeps its counts next to it */
	make(f, &b, s, src, 5000, 4000);
	for (size_t i = 0; i < 3; i++)
		src[i].item_id = 0;       /* this database has no items */
	b.backend = "engine";
	b.passes = 7;
	b.pass_tokens = 700;
	b.device = "cpu";
	assert_int_equal(store_briefing_insert(st, &b, &id), STORE_OK);
	assert_int_equal(store_briefing_get(st, id, &got), STORE_OK);
	assert_int_equal(got.passes, 7);
	assert_int_equal(got.pass_tokens, 700);
	assert_string_equal(got.device, "cpu");
	store_briefing_clear(&got);
	store_close(st);

	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(raw_int(raw, "PRAGMA user_version"), store_schema_latest());
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM briefings WHERE passes = 0"
				 " AND device IS NULL"), 1);
	sqlite3_close(raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_insert_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_latest_list_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_outlives_feed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v3, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
