/* test_store — the SQLite archive against real database files (in a mkdtemp
 * directory) and :memory:. A second, raw sqlite3 connection looks behind
 * the API where the API cannot show what happened (WAL, FTS index). */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "util/util.h"

/* ---- fixtures ---------------------------------------------------------------- */

struct fx {
	char dir[256];
	char path[512];
	struct store *st;
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

static int setup_file(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof f->dir, "%s/test_store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	/* nested: store_open must create the parents */
	snprintf(f->path, sizeof f->path, "%s/data/briefing/briefing.db", f->dir);
	char *msg = NULL;
	int err = store_open(f->path, &f->st, &msg);
	if (err)
		fail_msg("store_open: %s", msg ? msg : "?");
	free(msg);
	*state = f;
	return 0;
}

static int setup_mem(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	strcpy(f->path, ":memory:");
	assert_int_equal(store_open(f->path, &f->st, NULL), STORE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	if (f->dir[0])
		nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static int64_t add_feed(struct store *st, const char *url, const char *title)
{
	int64_t id = 0;
	assert_int_equal(store_feed_add(st, url, title, NULL, NULL, &id), STORE_OK);
	assert_true(id > 0);
	return id;
}

/* Upsert a simple item and return its id; *oc gets the outcome. */
static int64_t put(struct store *st, int64_t feed, const char *guid, const char *url,
		   const char *title, const char *summary, int64_t published,
		   enum store_upsert *oc)
{
	struct store_item it = {
		.feed_id = feed,
		.guid = (char *)guid,
		.url = (char *)url,
		.title = (char *)title,
		.summary = (char *)summary,
		.published = published,
		.fetched = 1000,
	};
	int64_t id = 0;
	enum store_upsert o = 0;
	int err = store_item_upsert(st, &it, &id, &o);
	if (err)
		fail_msg("upsert: %s (%s)", store_strerror(err), store_errmsg(st));
	assert_true(id > 0);
	if (oc)
		*oc = o;
	return id;
}

static int64_t count_items(struct store *st, int64_t feed)
{
	int64_t n = -1;
	assert_int_equal(store_item_count(st, feed, &n), STORE_OK);
	return n;
}

/* Number of items a search returns. */
static size_t search_n(struct store *st, const char *words)
{
	struct store_item_query q = { .search = words };
	struct store_item *v = NULL;
	size_t n = 0;
	int err = store_item_query(st, &q, &v, &n);
	if (err)
		fail_msg("search [%s]: %s (%s)", words, store_strerror(err), store_errmsg(st));
	store_items_free(v, n);
	return n;
}

/* Run one SQL statement on a separate raw connection; returns the first
 * column of the first row as text (static buffer), or "" when no row. */
static const char *raw1(const char *path, const char *sql)
{
	static char out[256];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	out[0] = '\0';
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		fail_msg("raw prepare %s: %s", sql, sqlite3_errmsg(db));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(s, 0));
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		fail_msg("raw step %s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out;
}

/* FTS5's own check of the index against the items table. */
static void assert_fts_consistent(const char *path)
{
	raw1(path, "INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)");
}

/* ---- open, schema, migrations ---------------------------------------------------- */

static void test_migrate_from_empty(void **state)
{
	struct fx *f = *state;
	assert_true(store_schema_latest() >= 1);
	assert_int_equal(store_schema_version(f->st), store_schema_latest());
	if (f->dir[0]) {
		char v[32];
		snprintf(v, sizeof v, "%d", store_schema_latest());
		assert_string_equal(raw1(f->path, "PRAGMA user_version"), v);
		assert_string_equal(raw1(f->path, "SELECT count(*) FROM sqlite_master WHERE"
					 " name IN ('feeds','items','items_fts','meta')"), "4");
	}
	/* the schema works: a feed, an item, a search */
	int64_t fid = add_feed(f->st, "https://a.example/feed", "A");
	put(f->st, fid, "g1", "https://a.example/1", "Chip export rules", "text", 100, NULL);
	assert_int_equal(search_n(f->st, "export"), 1);
}

static void test_reopen_keeps_data(void **state)
{
	struct fx *f = *state;
	int64_t fid = add_feed(f->st, "https://a.example/feed", "A");
	int64_t iid = put(f->st, fid, "g1", "https://a.example/1", "Fab capacity", "wafers", 100, NULL);
	assert_int_equal(store_meta_set(f->st, "k", "v1"), STORE_OK);
	store_close(f->st);
	f->st = NULL;

	/* reopen twice: the second open of an up-to-date database migrates nothing */
	for (int round = 0; round < 2; round++) {
		char *msg = NULL;
		assert_int_equal(store_open(f->path, &f->st, &msg), STORE_OK);
		assert_null(msg);
		assert_int_equal(store_schema_version(f->st), store_schema_latest());
		struct store_item it;
		assert_int_equal(store_item_get(f->st, iid, &it), STORE_OK);
		assert_string_equal(it.title, "Fab capacity");
		assert_string_equal(it.feed_title, "A");
		store_item_clear(&it);
		char *v = NULL;
		assert_int_equal(store_meta_get(f->st, "k", &v), STORE_OK);
		assert_string_equal(v, "v1");
		free(v);
		assert_int_equal(search_n(f->st, "wafers"), 1);
		store_close(f->st);
		f->st = NULL;
	}
	assert_int_equal(store_open(f->path, &f->st, NULL), STORE_OK);
}

static void test_too_new_refused(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	f->st = NULL;
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", store_schema_latest() + 1);
	raw1(f->path, sql);

	struct store *st = (struct store *)&st; /* must be reset to NULL */
	char *msg = NULL;
	assert_int_equal(store_open(f->path, &st, &msg), STORE_ERR_TOO_NEW);
	assert_null(st);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "newer"));
	free(msg);
	/* nothing was changed */
	char want[32];
	snprintf(want, sizeof want, "%d", store_schema_latest() + 1);
	assert_string_equal(raw1(f->path, "PRAGMA user_version"), want);
	assert_string_not_equal(store_strerror(STORE_ERR_TOO_NEW), store_strerror(STORE_ERR_SQL));

	/* put it back so teardown has a store to close */
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", store_schema_latest());
	raw1(f->path, sql);
	assert_int_equal(store_open(f->path, &f->st, NULL), STORE_OK);
}

static void test_open_errors(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char *msg = NULL;
	assert_int_equal(store_open(NULL, &st, &msg), STORE_ERR_ARG);
	assert_null(st);
	free(msg);
	msg = NULL;
	/* a directory is not a database */
	assert_int_not_equal(store_open(f->dir, &st, &msg), STORE_OK);
	assert_null(st);
	assert_non_null(msg);
	free(msg);
	msg = NULL;
	/* a file that is not SQLite */
	char path[600];
	snprintf(path, sizeof path, "%s/junk.db", f->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database file at all. ", fp);
	fclose(fp);
	assert_int_not_equal(store_open(path, &st, &msg), STORE_OK);
	assert_null(st);
	assert_non_null(msg);
	free(msg);
	msg = NULL;
	/* a parent that cannot be created (a file is in the way) */
	snprintf(path, sizeof path, "%s/junk.db/sub/x.db", f->dir);
	assert_int_equal(store_open(path, &st, &msg), STORE_ERR_OPEN);
	assert_null(st);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "directory"));
	free(msg);
}

static void test_wal_and_pragmas(void **state)
{
	struct fx *f = *state;
	assert_string_equal(raw1(f->path, "PRAGMA journal_mode"), "wal");
	char wal[600];
	snprintf(wal, sizeof wal, "%s-wal", f->path);
	add_feed(f->st, "https://a.example/feed", "A");
	assert_int_equal(access(wal, F_OK), 0);
}

/* ---- feeds ------------------------------------------------------------------------ */

static void test_feed_add_exists(void **state)
{
	struct fx *f = *state;
	int64_t id = add_feed(f->st, "https://a.example/feed", "A");
	int64_t id2 = add_feed(f->st, "https://b.example/feed", NULL);
	assert_true(id2 != id);
	int64_t again = 0;
	assert_int_equal(store_feed_add(f->st, "https://a.example/feed", "Other", NULL, NULL, &again),
			 STORE_ERR_EXISTS);
	assert_int_equal(again, id);
	assert_int_equal(store_feed_add(f->st, "", NULL, NULL, NULL, &again), STORE_ERR_ARG);

	struct store_feed fd;
	assert_int_equal(store_feed_get(f->st, id, &fd), STORE_OK);
	assert_string_equal(fd.title, "A"); /* not overwritten by the refused add */
	assert_null(fd.etag);
	assert_int_equal(fd.failures, 0);
	store_feed_clear(&fd);
	assert_int_equal(store_feed_find_url(f->st, "https://b.example/feed", &fd), STORE_OK);
	assert_int_equal(fd.id, id2);
	assert_null(fd.title);
	store_feed_clear(&fd);
	assert_int_equal(store_feed_find_url(f->st, "https://nope.example/", &fd), STORE_ERR_NOT_FOUND);
	assert_int_equal(store_feed_get(f->st, 9999, &fd), STORE_ERR_NOT_FOUND);
	assert_int_equal(store_feed_remove(f->st, 9999), STORE_ERR_NOT_FOUND);
}

static void test_feed_list_counts(void **state)
{
	struct fx *f = *state;
	int64_t a = add_feed(f->st, "https://a.example/feed", "A");
	int64_t b = add_feed(f->st, "https://b.example/feed", "B");
	add_feed(f->st, "https://c.example/feed", "C");
	int64_t i1 = put(f->st, a, "1", NULL, "one", NULL, 10, NULL);
	put(f->st, a, "2", NULL, "two", NULL, 20, NULL);
	put(f->st, a, "3", NULL, "three", NULL, 30, NULL);
	put(f->st, b, "1", NULL, "one", NULL, 10, NULL); /* same guid, other feed: new */
	assert_int_equal(store_item_set_read(f->st, i1, 1), STORE_OK);
	assert_int_equal(store_item_set_read(f->st, 424242, 1), STORE_ERR_NOT_FOUND);

	struct store_feed *v = NULL;
	size_t n = 0;
	assert_int_equal(store_feed_list(f->st, &v, &n), STORE_OK);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].title, "A");
	assert_int_equal(v[0].item_count, 3);
	assert_int_equal(v[0].unread_count, 2);
	assert_string_equal(v[1].title, "B");
	assert_int_equal(v[1].item_count, 1);
	assert_int_equal(v[1].unread_count, 1);
	assert_int_equal(v[2].item_count, 0);
	assert_true(v[0].id < v[1].id && v[1].id < v[2].id);
	store_feeds_free(v, n);

	struct store_feed fd;
	assert_int_equal(store_feed_get(f->st, a, &fd), STORE_OK);
	assert_int_equal(fd.item_count, 3);
	assert_int_equal(fd.unread_count, 2);
	store_feed_clear(&fd);
	assert_int_equal(count_items(f->st, 0), 4);
	assert_int_equal(count_items(f->st, b), 1);
}

static void test_feed_remove_cascades(void **state)
{
	struct fx *f = *state;
	int64_t a = add_feed(f->st, "https://a.example/feed", "A");
	int64_t b = add_feed(f->st, "https://b.example/feed", "B");
	int64_t ia = put(f->st, a, "x", NULL, "Lithography tools", "zebra", 10, NULL);
	put(f->st, a, "y", NULL, "Packaging", "zebra", 11, NULL);
	int64_t ib = put(f->st, b, "x", NULL, "Lithography elsewhere", "zebra", 12, NULL);
	assert_int_equal(search_n(f->st, "zebra"), 3);

	assert_int_equal(store_feed_remove(f->st, a), STORE_OK);
	assert_int_equal(count_items(f->st, a), 0);
	assert_int_equal(count_items(f->st, 0), 1);
	struct store_item it;
	assert_int_equal(store_item_get(f->st, ia, &it), STORE_ERR_NOT_FOUND);
	assert_int_equal(store_item_get(f->st, ib, &it), STORE_OK);
	store_item_clear(&it);
	assert_int_equal(search_n(f->st, "zebra"), 1);
	assert_int_equal(search_n(f->st, "lithography"), 1);
	if (f->dir[0]) {
		assert_string_equal(raw1(f->path, "SELECT count(*) FROM items_fts WHERE items_fts MATCH 'zebra'"), "1");
		assert_fts_consistent(f->path);
	}
	/* an item for a feed that is gone */
	struct store_item orphan = { .feed_id = a, .title = "t", .published = 1 };
	assert_int_equal(store_item_upsert(f->st, &orphan, NULL, NULL), STORE_ERR_NOT_FOUND);
	/* the message is sqlite's, not that of the rollback that followed */
	assert_non_null(strstr(store_errmsg(f->st), "FOREIGN KEY"));
	orphan.feed_id = 0;
	assert_int_equal(store_item_upsert(f->st, &orphan, NULL, NULL), STORE_ERR_ARG);
}

static void test_record_fetch(void **state)
{
	struct fx *f = *state;
	int64_t id = add_feed(f->st, "http://a.example/feed", NULL);
	int64_t other = add_feed(f->st, "https://taken.example/feed", NULL);
	struct store_feed fd;

	/* success with validators, a title and a permanent redirect */
	struct store_feed_update u = {
		.url = "https://a.example/feed", .title = "Alpha", .site_url = "https://a.example/",
		.etag = "\"e1\"", .last_modified = "Mon, 01 Jan 2026 00:00:00 GMT",
		.status = 200, .next_fetch = 5000, .fetched = 4000,
	};
	assert_int_equal(store_feed_record_fetch(f->st, id, &u), STORE_OK);
	assert_int_equal(store_feed_get(f->st, id, &fd), STORE_OK);
	assert_string_equal(fd.url, "https://a.example/feed");
	assert_string_equal(fd.title, "Alpha");
	assert_string_equal(fd.site_url, "https://a.example/");
	assert_string_equal(fd.etag, "\"e1\"");
	assert_string_equal(fd.last_modified, "Mon, 01 Jan 2026 00:00:00 GMT");
	assert_int_equal(fd.last_status, 200);
	assert_null(fd.last_error);
	assert_int_equal(fd.failures, 0);
	assert_int_equal(fd.next_fetch, 5000);
	assert_int_equal(fd.last_fetch, 4000);
	assert_int_equal(fd.last_success, 4000);
	store_feed_clear(&fd);

	/* two failures: counted up from the stored count, validators kept */
	struct store_feed_update e = {
		.keep_validators = 1, .status = 503, .error = "HTTP 503", .next_fetch = 7000, .fetched = 6000,
	};
	assert_int_equal(store_feed_record_fetch(f->st, id, &e), STORE_OK);
	e.fetched = 6500;
	e.error = "timeout";
	e.status = 0;
	assert_int_equal(store_feed_record_fetch(f->st, id, &e), STORE_OK);
	assert_int_equal(store_feed_get(f->st, id, &fd), STORE_OK);
	assert_int_equal(fd.failures, 2);
	assert_string_equal(fd.last_error, "timeout");
	assert_int_equal(fd.last_status, 0);
	assert_int_equal(fd.last_fetch, 6500);
	assert_int_equal(fd.last_success, 4000);
	assert_string_equal(fd.title, "Alpha");          /* NULL = unchanged */
	assert_string_equal(fd.url, "https://a.example/feed");
	assert_string_equal(fd.etag, "\"e1\"");
	store_feed_clear(&fd);

	/* an explicit failure count wins */
	e.failures = 7;
	assert_int_equal(store_feed_record_fetch(f->st, id, &e), STORE_OK);
	assert_int_equal(store_feed_get(f->st, id, &fd), STORE_OK);
	assert_int_equal(fd.failures, 7);
	store_feed_clear(&fd);

	/* a warning keeps its message but counts as a success */
	struct store_feed_update w = { .keep_validators = 1, .status = 200, .error = "ill-formed XML",
				       .warning = 1, .fetched = 7500 };
	assert_int_equal(store_feed_record_fetch(f->st, id, &w), STORE_OK);
	assert_int_equal(store_feed_get(f->st, id, &fd), STORE_OK);
	assert_int_equal(fd.failures, 0);
	assert_string_equal(fd.last_error, "ill-formed XML");
	assert_int_equal(fd.last_success, 7500);
	store_feed_clear(&fd);

	/* 304 is a success: failures reset; validators replaced, NULL clears */
	struct store_feed_update nm = { .etag = "\"e2\"", .status = 304, .next_fetch = 9000, .fetched = 8000 };
	assert_int_equal(store_feed_record_fetch(f->st, id, &nm), STORE_OK);
	assert_int_equal(store_feed_get(f->st, id, &fd), STORE_OK);
	assert_int_equal(fd.failures, 0);
	assert_null(fd.last_error);
	assert_string_equal(fd.etag, "\"e2\"");
	assert_null(fd.last_modified);
	assert_int_equal(fd.last_success, 8000);
	assert_int_equal(fd.last_status, 304);
	store_feed_clear(&fd);

	/* redirect onto another feed's URL */
	struct store_feed_update clash = { .url = "https://taken.example/feed", .keep_validators = 1, .status = 200 };
	assert_int_equal(store_feed_record_fetch(f->st, id, &clash), STORE_ERR_EXISTS);
	assert_int_equal(store_feed_get(f->st, id, &fd), STORE_OK);
	assert_string_equal(fd.url, "https://a.example/feed");
	store_feed_clear(&fd);
	assert_int_equal(store_feed_record_fetch(f->st, other + 100, &nm), STORE_ERR_NOT_FOUND);
}

/* ---- items: dedupe --------------------------------------------------------------- */

static void test_dedupe_guid(void **state)
{
	struct fx *f = *state;
	int64_t fid = add_feed(f->st, "https://a.example/feed", "A");
	enum store_upsert oc;
	int64_t id1 = put(f->st, fid, "tag:a,2026:1", "https://a.example/1", "Title", "s", 100, &oc);
	assert_int_equal(oc, STORE_ITEM_NEW);
	/* same guid, new URL and title: the same item, updated */
	int64_t id2 = put(f->st, fid, "tag:a,2026:1", "https://a.example/moved", "Title v2", "s", 100, &oc);
	assert_int_equal(oc, STORE_ITEM_UPDATED);
	assert_int_equal(id2, id1);
	assert_int_equal(count_items(f->st, fid), 1);
	/* a different guid with the same URL and title is another item */
	int64_t id3 = put(f->st, fid, "tag:a,2026:2", "https://a.example/moved", "Title v2", "s", 100, &oc);
	assert_int_equal(oc, STORE_ITEM_NEW);
	assert_true(id3 != id1);
	/* and neither is merged into the other on the next fetch */
	put(f->st, fid, "tag:a,2026:1", "https://a.example/moved", "Title v2", "s", 100, &oc);
	assert_int_equal(oc, STORE_ITEM_UNCHANGED);
	put(f->st, fid, "tag:a,2026:2", "https://a.example/moved", "Title v2", "s", 100, &oc);
	assert_int_equal(oc, STORE_ITEM_UNCHANGED);
	assert_int_equal(count_items(f->st, fid), 2);
}

static void test_dedupe_url_norm(void **state)
{
	struct fx *f = *state;
	int64_t fid = add_feed(f->st, "https://a.example/feed", "A");
	struct store_item it = {
		.feed_id = fid, .url = "https://A.example/p?utm_source=x", .url_norm = "https://a.example/p",
		.title = "First title", .published = 100, .fetched = 1000,
	};
	int64_t id1, id2;
	enum store_upsert oc;
	assert_int_equal(store_item_upsert(f->st, &it, &id1, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_NEW);
	/* no guid, other raw URL, same normalised URL, edited title */
	it.url = "https://a.example/p?utm_source=y";
	it.title = "Edited title";
	assert_int_equal(store_item_upsert(f->st, &it, &id2, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_UPDATED);
	assert_int_equal(id2, id1);
	struct store_item got;
	assert_int_equal(store_item_get(f->st, id1, &got), STORE_OK);
	assert_string_equal(got.url, "https://a.example/p?utm_source=y");
	assert_string_equal(got.title, "Edited title");
	store_item_clear(&got);

	/* url_norm NULL: the URL itself is the key */
	struct store_item raw = { .feed_id = fid, .url = "https://a.example/q", .title = "Q", .published = 5 };
	assert_int_equal(store_item_upsert(f->st, &raw, &id1, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_NEW);
	raw.title = "Q, corrected";
	raw.published = 6;
	assert_int_equal(store_item_upsert(f->st, &raw, &id2, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_UPDATED);
	assert_int_equal(id2, id1);
	/* a different URL (and title) is a different item */
	raw.url = "https://a.example/r";
	raw.title = "R";
	assert_int_equal(store_item_upsert(f->st, &raw, &id2, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_NEW);
	assert_int_equal(count_items(f->st, fid), 3);
	/* a moved link with the same title and date falls through to the hash */
	int64_t id3;
	raw.url = "https://a.example/r-moved";
	assert_int_equal(store_item_upsert(f->st, &raw, &id3, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_UPDATED);
	assert_int_equal(id3, id2);
	assert_int_equal(count_items(f->st, fid), 3);

	/* a guid-less row takes the guid of the item that matches it by URL */
	struct store_item g = { .feed_id = fid, .guid = "G", .url = "https://a.example/q",
				.title = "Q, corrected", .published = 6 };
	assert_int_equal(store_item_upsert(f->st, &g, &id2, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_UPDATED);
	assert_int_equal(id2, id1);
	assert_int_equal(store_item_get(f->st, id1, &got), STORE_OK);
	assert_string_equal(got.guid, "G");
	store_item_clear(&got);
	assert_int_equal(count_items(f->st, fid), 3);
}

static void test_dedupe_hash(void **state)
{
	struct fx *f = *state;
	int64_t fid = add_feed(f->st, "https://a.example/feed", "A");
	enum store_upsert oc;
	/* neither guid nor URL: title + published decide */
	int64_t id1 = put(f->st, fid, NULL, NULL, "Only a title", "first text", 1700000000, &oc);
	assert_int_equal(oc, STORE_ITEM_NEW);
	int64_t id2 = put(f->st, fid, "", "", "Only a title", "second text", 1700000000, &oc);
	assert_int_equal(oc, STORE_ITEM_UPDATED);
	assert_int_equal(id2, id1);
	put(f->st, fid, NULL, NULL, "Only a title", "second text", 1700000000, &oc);
	assert_int_equal(oc, STORE_ITEM_UNCHANGED);
	/* another date: another item */
	int64_t id3 = put(f->st, fid, NULL, NULL, "Only a title", "second text", 1700000001, &oc);
	assert_int_equal(oc, STORE_ITEM_NEW);
	assert_true(id3 != id1);

	/* the stored hash is FNV-1a 64 of title "\n" published, in hex */
	const char *key = "Only a title\n1700000000";
	char want[17];
	util_hash_hex(util_hash64(key, strlen(key)), want);
	struct store_item got;
	assert_int_equal(store_item_get(f->st, id1, &got), STORE_OK);
	assert_string_equal(got.hash, want);
	store_item_clear(&got);

	/* a caller-supplied hash is used as given */
	struct store_item h = { .feed_id = fid, .title = "x", .hash = "feedfacefeedface", .published = 1 };
	assert_int_equal(store_item_upsert(f->st, &h, &id1, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_NEW);
	h.title = "y"; /* different title, same supplied hash: same item */
	assert_int_equal(store_item_upsert(f->st, &h, &id2, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_UPDATED);
	assert_int_equal(id1, id2);
	assert_int_equal(count_items(f->st, fid), 3);
}

static void test_changed_item_updated(void **state)
{
	struct fx *f = *state;
	int64_t fid = add_feed(f->st, "https://a.example/feed", "A");
	struct store_item it = {
		.feed_id = fid, .guid = "g", .url = "https://a.example/1", .title = "Quarterly aardvark report",
		.author = "Ann", .summary = "about aardvarks", .content = "long aardvark body",
		.published = 500, .fetched = 1000,
	};
	int64_t id, id2;
	enum store_upsert oc;
	assert_int_equal(store_item_upsert(f->st, &it, &id, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_NEW);
	assert_int_equal(store_item_set_read(f->st, id, 1), STORE_OK);
	assert_int_equal(search_n(f->st, "aardvark"), 1);

	it.title = "Quarterly pangolin report";
	it.summary = "about pangolins";
	it.content = "long pangolin body";
	it.fetched = 2000;
	assert_int_equal(store_item_upsert(f->st, &it, &id2, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_UPDATED);
	assert_int_equal(id2, id);
	assert_int_equal(count_items(f->st, fid), 1);
	assert_int_equal(search_n(f->st, "aardvark"), 0);
	assert_int_equal(search_n(f->st, "pangolin"), 1);
	assert_int_equal(search_n(f->st, "quarterly"), 1);

	struct store_item got;
	assert_int_equal(store_item_get(f->st, id, &got), STORE_OK);
	assert_int_equal(got.fetched, 1000); /* first seen: kept */
	assert_int_equal(got.updated, 2000);
	assert_int_equal(got.read, 1);       /* kept */
	assert_string_equal(got.content, "long pangolin body");
	store_item_clear(&got);

	/* each compared field on its own triggers an update */
	it.fetched = 3000;
	it.author = "Bob";
	assert_int_equal(store_item_upsert(f->st, &it, &id2, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_UPDATED);
	it.published = 501;
	assert_int_equal(store_item_upsert(f->st, &it, &id2, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_UPDATED);
	it.url = "https://a.example/1b";
	assert_int_equal(store_item_upsert(f->st, &it, &id2, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_UPDATED);
	assert_int_equal(count_items(f->st, fid), 1);
	if (f->dir[0]) {
		assert_string_equal(raw1(f->path, "SELECT count(*) FROM items_fts WHERE items_fts MATCH 'aardvark'"), "0");
		assert_fts_consistent(f->path);
	}
}

/* An undated item (the fetch time stands in for its date) keeps the date
 * it was first stored with: seen again later it is unchanged, found by its
 * title when it has no guid or link, and a real change keeps the date. */
static void test_undated_keeps_first_seen(void **state)
{
	struct fx *f = *state;
	int64_t fid = add_feed(f->st, "https://a.example/feed", "A");
	struct store_item a = { .feed_id = fid, .guid = "g", .title = "T", .published = 1000,
				.fetched = 1000, .undated = 1 };
	struct store_item b = { .feed_id = fid, .title = "Only a title", .published = 1000,
				.fetched = 1000, .undated = 1 };
	int64_t ida, idb, id2;
	enum store_upsert oc;
	assert_int_equal(store_item_upsert(f->st, &a, &ida, &oc), STORE_OK);
	assert_int_equal(store_item_upsert(f->st, &b, &idb, &oc), STORE_OK);
	a.published = a.fetched = b.published = b.fetched = 5000;
	assert_int_equal(store_item_upsert(f->st, &a, &id2, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_UNCHANGED);
	assert_int_equal(id2, ida);
	assert_int_equal(store_item_upsert(f->st, &b, &id2, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_UNCHANGED);
	assert_int_equal(id2, idb);
	assert_int_equal(count_items(f->st, fid), 2);
	a.title = "T, revised";
	a.published = a.fetched = 9000;
	assert_int_equal(store_item_upsert(f->st, &a, &id2, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_UPDATED);
	struct store_item got;
	assert_int_equal(store_item_get(f->st, ida, &got), STORE_OK);
	assert_int_equal(got.published, 1000);
	assert_int_equal(got.updated, 9000);
	store_item_clear(&got);
	/* a date given later wins over the stand-in */
	a.undated = 0;
	a.published = 7000;
	assert_int_equal(store_item_upsert(f->st, &a, &id2, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_UPDATED);
	assert_int_equal(store_item_get(f->st, ida, &got), STORE_OK);
	assert_int_equal(got.published, 7000);
	store_item_clear(&got);
}

static void test_unchanged_reported(void **state)
{
	struct fx *f = *state;
	int64_t fid = add_feed(f->st, "https://a.example/feed", "A");
	struct store_item it = {
		.feed_id = fid, .guid = "g", .url = "https://a.example/1", .title = "T",
		.author = NULL, .summary = "S", .content = "C", .published = 500, .fetched = 1000,
	};
	int64_t id, id2;
	enum store_upsert oc;
	assert_int_equal(store_item_upsert(f->st, &it, &id, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_NEW);
	it.fetched = 9000;
	it.author = ""; /* empty and absent are the same */
	assert_int_equal(store_item_upsert(f->st, &it, &id2, &oc), STORE_OK);
	assert_int_equal(oc, STORE_ITEM_UNCHANGED);
	assert_int_equal(id2, id);
	struct store_item got;
	assert_int_equal(store_item_get(f->st, id, &got), STORE_OK);
	assert_int_equal(got.updated, 1000); /* untouched */
	store_item_clear(&got);
	/* NULL outputs are allowed */
	assert_int_equal(store_item_upsert(f->st, &it, NULL, NULL), STORE_OK);
	assert_int_equal(count_items(f->st, fid), 1);
}

/* ---- search -------------------------------------------------------------------- */

static void test_fts_query_quoting(void **state)
{
	(void)state;
	static const struct { const char *in, *want; } cases[] = {
		{ "chip export", "\"chip\" \"export\"" },
		{ "  semicon*  ", "\"semicon\"*" },
		{ "semicon**", "\"semicon\"*" },
		{ "say \"hi\"", "\"say\" \"\"\"hi\"\"\"" },
		{ "a\"b", "\"a\"\"b\"" },
		{ "AND OR NOT NEAR", "\"AND\" \"OR\" \"NOT\" \"NEAR\"" },
		{ "(x OR y)", "\"(x\" \"OR\" \"y)\"" },
		{ "title:foo", "\"title:foo\"" },
		{ "* ( ) \" - ^ :", NULL },
		{ "", NULL },
		{ "   \t\n", NULL },
		{ "café", "\"café\"" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *q = store_fts_query(cases[i].in);
		if (!cases[i].want) {
			if (q)
				fail_msg("[%s] -> [%s], want NULL", cases[i].in, q);
		} else {
			if (!q || strcmp(q, cases[i].want) != 0)
				fail_msg("[%s] -> [%s], want [%s]", cases[i].in, q ? q : "(null)", cases[i].want);
		}
		free(q);
	}
	assert_null(store_fts_query(NULL));
}

static void test_search_hostile(void **state)
{
	struct fx *f = *state;
	int64_t fid = add_feed(f->st, "https://a.example/feed", "A");
	put(f->st, fid, "1", NULL, "Export controls AND chips", "near the border (or not)", 100, NULL);
	put(f->st, fid, "2", NULL, "Semiconductor subsidies", "NEAR OR AND", 200, NULL);
	put(f->st, fid, "3", NULL, "Unrelated gardening", "tomatoes", 300, NULL);

	static const char *const hostile[] = {
		"\"", "\"\"", "\"unbalanced", "(", ")", "((chips", "chips)", "AND", "OR", "NOT", "NEAR",
		"NEAR(chips export)", "chips AND", "OR chips", "*", "**", "chips*", "*chips", "ch*ps",
		"title:chips", "{title}: chips", "^chips", "chips + export", "-chips", "'; DROP TABLE items; --",
		"\xff\xfe broken utf8 \xc3", "a\"b\"c", "\\", "%", "_", "chips NOT", "\"chips\" \"",
	};
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
		(void)search_n(f->st, hostile[i]); /* fails the test on any error */

	/* and they mean what the words say */
	assert_int_equal(search_n(f->st, "AND"), 2);      /* the word "and", twice */
	assert_int_equal(search_n(f->st, "NEAR OR"), 2);
	assert_int_equal(search_n(f->st, "(chips)"), 1);
	assert_int_equal(search_n(f->st, "semicond*"), 1);
	assert_int_equal(search_n(f->st, "chip"), 1);     /* stemming: chips */
	assert_int_equal(search_n(f->st, "export chips"), 1);
	assert_int_equal(search_n(f->st, "export gardening"), 0); /* implicit AND */
	assert_int_equal(search_n(f->st, "*"), 0);        /* nothing searchable */
	assert_int_equal(search_n(f->st, "'; DROP TABLE items; --"), 0);
	assert_int_equal(count_items(f->st, 0), 3);
	assert_int_equal(search_n(f->st, ""), 3);         /* blank: no filter */
}

static void test_search_ranking(void **state)
{
	struct fx *f = *state;
	int64_t fid = add_feed(f->st, "https://a.example/feed", "A");
	/* newest mentions the word once in passing; oldest is about it */
	int64_t about = put(f->st, fid, "1", NULL, "Gallium gallium supply", "gallium prices rise", 100, NULL);
	put(f->st, fid, "2", NULL, "Weekly roundup", "also: gallium", 300, NULL);
	struct store_item_query q = { .search = "gallium" };
	struct store_item *v = NULL;
	size_t n = 0;
	assert_int_equal(store_item_query(f->st, &q, &v, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, about);
	store_items_free(v, n);
}

/* ---- query filters ----------------------------------------------------------------- */

static void test_query_filters(void **state)
{
	struct fx *f = *state;
	int64_t a = add_feed(f->st, "https://a.example/feed", "Alpha");
	int64_t b = add_feed(f->st, "https://b.example/feed", "Beta");
	int64_t ids[6];
	for (int i = 0; i < 6; i++) {
		char g[16], t[32];
		snprintf(g, sizeof g, "%d", i);
		snprintf(t, sizeof t, "item %d", i);
		ids[i] = put(f->st, i % 2 ? b : a, g, NULL, t, i < 3 ? "copper" : "nickel", 1000 + 100 * i, NULL);
	}
	assert_int_equal(store_item_set_read(f->st, ids[5], 1), STORE_OK);
	assert_int_equal(store_item_set_read(f->st, ids[2], 1), STORE_OK);

	struct store_item *v = NULL;
	size_t n = 0;
	struct store_item_query q = { 0 };
	assert_int_equal(store_item_query(f->st, &q, &v, &n), STORE_OK);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i].id, ids[5 - i]); /* newest first */
	assert_string_equal(v[0].feed_title, "Beta");
	assert_string_equal(v[1].feed_title, "Alpha");
	store_items_free(v, n);

	q = (struct store_item_query){ .since = 1100, .until = 1400 };
	assert_int_equal(store_item_query(f->st, &q, &v, &n), STORE_OK);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].published, 1300);
	assert_int_equal(v[2].published, 1100);
	store_items_free(v, n);

	q = (struct store_item_query){ .feed_id = a, .unread_only = 1 };
	assert_int_equal(store_item_query(f->st, &q, &v, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, ids[4]);
	assert_int_equal(v[1].id, ids[0]);
	store_items_free(v, n);

	q = (struct store_item_query){ .limit = 2, .offset = 1 };
	assert_int_equal(store_item_query(f->st, &q, &v, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, ids[4]);
	assert_int_equal(v[1].id, ids[3]);
	store_items_free(v, n);

	q = (struct store_item_query){ .offset = 4 };
	assert_int_equal(store_item_query(f->st, &q, &v, &n), STORE_OK);
	assert_int_equal(n, 2);
	store_items_free(v, n);

	q = (struct store_item_query){ .search = "nickel", .feed_id = b, .unread_only = 1 };
	assert_int_equal(store_item_query(f->st, &q, &v, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, ids[3]);
	store_items_free(v, n);

	q = (struct store_item_query){ .search = "copper", .until = 1100 };
	assert_int_equal(store_item_query(f->st, &q, &v, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, ids[0]);
	store_items_free(v, n);

	q = (struct store_item_query){ .since = 99999 };
	assert_int_equal(store_item_query(f->st, &q, &v, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_null(v);
	assert_int_equal(store_item_query(f->st, NULL, &v, &n), STORE_ERR_ARG);
}

/* ---- transactions, meta ------------------------------------------------------------- */

static void test_transactions(void **state)
{
	struct fx *f = *state;
	assert_int_equal(store_begin(f->st), STORE_OK);
	int64_t fid = add_feed(f->st, "https://a.example/feed", "A");
	put(f->st, fid, "1", NULL, "Rolled back words", "marmot", 1, NULL);
	put(f->st, fid, "2", NULL, "More", "marmot", 2, NULL);
	assert_int_equal(store_meta_set(f->st, "k", "v"), STORE_OK);
	assert_int_equal(count_items(f->st, 0), 2);
	assert_int_equal(store_rollback(f->st), STORE_OK);

	assert_int_equal(count_items(f->st, 0), 0);
	assert_int_equal(search_n(f->st, "marmot"), 0);
	struct store_feed *v = NULL;
	size_t n = 9;
	assert_int_equal(store_feed_list(f->st, &v, &n), STORE_OK);
	assert_int_equal(n, 0);
	store_feeds_free(v, n);
	char *val = NULL;
	assert_int_equal(store_meta_get(f->st, "k", &val), STORE_OK);
	assert_null(val);
	if (f->dir[0])
		assert_fts_consistent(f->path);

	/* commit keeps; an upsert inside the caller's transaction nests */
	assert_int_equal(store_begin(f->st), STORE_OK);
	fid = add_feed(f->st, "https://a.example/feed", "A");
	put(f->st, fid, "1", NULL, "Kept", "marmot", 1, NULL);
	assert_int_equal(store_commit(f->st), STORE_OK);
	assert_int_equal(search_n(f->st, "marmot"), 1);
	/* a failing upsert inside a transaction leaves the transaction usable */
	assert_int_equal(store_begin(f->st), STORE_OK);
	put(f->st, fid, "2", NULL, "Also kept", "marmot", 2, NULL);
	struct store_item bad = { .feed_id = fid + 50, .title = "x" };
	assert_int_equal(store_item_upsert(f->st, &bad, NULL, NULL), STORE_ERR_NOT_FOUND);
	assert_int_equal(store_commit(f->st), STORE_OK);
	assert_int_equal(search_n(f->st, "marmot"), 2);
	/* commit without begin is an error, not a crash */
	assert_int_not_equal(store_commit(f->st), STORE_OK);
	assert_non_null(store_errmsg(f->st));
}

static void test_meta(void **state)
{
	struct fx *f = *state;
	char *v = (char *)"junk";
	assert_int_equal(store_meta_get(f->st, "default_feeds_imported", &v), STORE_OK);
	assert_null(v);
	assert_int_equal(store_meta_set(f->st, "default_feeds_imported", "1"), STORE_OK);
	assert_int_equal(store_meta_set(f->st, "other", "x'y\"z"), STORE_OK);
	assert_int_equal(store_meta_get(f->st, "default_feeds_imported", &v), STORE_OK);
	assert_string_equal(v, "1");
	free(v);
	assert_int_equal(store_meta_set(f->st, "default_feeds_imported", "2"), STORE_OK);
	assert_int_equal(store_meta_get(f->st, "default_feeds_imported", &v), STORE_OK);
	assert_string_equal(v, "2");
	free(v);
	assert_int_equal(store_meta_get(f->st, "other", &v), STORE_OK);
	assert_string_equal(v, "x'y\"z");
	free(v);
	assert_int_equal(store_meta_set(f->st, "other", NULL), STORE_OK);
	assert_int_equal(store_meta_get(f->st, "other", &v), STORE_OK);
	assert_null(v);
	assert_int_equal(store_meta_get(f->st, NULL, &v), STORE_ERR_ARG);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = STORE_OK; e <= STORE_ERR_BUSY; e++) {
		assert_non_null(store_strerror(e));
		for (int g = STORE_OK; g < e; g++)
			assert_string_not_equal(store_strerror(e), store_strerror(g));
	}
	assert_non_null(store_strerror(999));
}

/* Two handles on one file: both see each other's writes. */
static void test_two_handles(void **state)
{
	struct fx *f = *state;
	struct store *other = NULL;
	assert_int_equal(store_open(f->path, &other, NULL), STORE_OK);
	int64_t fid = add_feed(other, "https://a.example/feed", "A");
	put(other, fid, "1", NULL, "Shared", "okapi", 1, NULL);
	assert_int_equal(search_n(f->st, "okapi"), 1);
	store_close(other);
}

/* A reader opens a current database while another connection holds the
 * write lock (a long fetch): the open takes no write lock, so it neither
 * waits out the busy timeout nor fails, and reading works. */
static void test_open_while_writer_holds_lock(void **state)
{
	struct fx *f = *state;
	int64_t fid = add_feed(f->st, "https://a.example/feed", "A");
	put(f->st, fid, "1", NULL, "Held", "quokka", 1, NULL);

	sqlite3 *w = NULL;
	assert_int_equal(sqlite3_open_v2(f->path, &w, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(w, "BEGIN IMMEDIATE;"
				      "INSERT INTO meta(key, value) VALUES ('held', '1')",
				      NULL, NULL, NULL), SQLITE_OK);

	struct store *r = NULL;
	char *msg = NULL;
	time_t t0 = time(NULL);
	int err = store_open(f->path, &r, &msg);
	if (err)
		fail_msg("store_open under a writer: %s", msg ? msg : "?");
	free(msg);
	assert_true(time(NULL) - t0 < 3); /* not the 5 s busy timeout */
	assert_int_equal(store_schema_version(r), store_schema_latest());
	assert_int_equal(search_n(r, "quokka"), 1);
	char *v = NULL;
	assert_int_equal(store_meta_get(r, "held", &v), STORE_OK);
	assert_null(v); /* the writer's uncommitted row is not seen */
	store_close(r);

	assert_int_equal(sqlite3_exec(w, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(w);
}

/* Several processes open a fresh database at once (each racing to run the
 * migrations) and write to it: every one succeeds, nothing is lost. */
static void test_concurrent_processes(void **state)
{
	struct fx *f = *state;
	char path[600];
	snprintf(path, sizeof path, "%s/race/fresh.db", f->dir);
	enum { NPROC = 4, NITEMS = 25 };
	pid_t pids[NPROC];
	for (int p = 0; p < NPROC; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0) {
			struct store *st = NULL;
			int bad = store_open(path, &st, NULL) != STORE_OK;
			char url[64];
			snprintf(url, sizeof url, "https://p%d.example/feed", p);
			int64_t fid = 0;
			bad = bad || store_feed_add(st, url, NULL, NULL, NULL, &fid) != STORE_OK;
			for (int i = 0; i < NITEMS && !bad; i++) {
				char guid[32];
				snprintf(guid, sizeof guid, "%d-%d", p, i);
				struct store_item it = { .feed_id = fid, .guid = guid, .title = guid, .published = i };
				bad = store_item_upsert(st, &it, NULL, NULL) != STORE_OK;
			}
			store_close(st);
			_exit(bad);
		}
	}
	for (int p = 0; p < NPROC; p++) {
		int status = 0;
		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	struct store *st = NULL;
	assert_int_equal(store_open(path, &st, NULL), STORE_OK);
	assert_int_equal(store_schema_version(st), store_schema_latest());
	int64_t n = 0;
	assert_int_equal(store_item_count(st, 0, &n), STORE_OK);
	assert_int_equal(n, NPROC * NITEMS);
	store_close(st);
}

#define BOTH(t) cmocka_unit_test_setup_teardown(t, setup_file, teardown), \
		cmocka_unit_test_setup_teardown(t, setup_mem, teardown)
#define FILE_ONLY(t) cmocka_unit_test_setup_teardown(t, setup_file, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_migrate_from_empty),
		FILE_ONLY(test_reopen_keeps_data),
		FILE_ONLY(test_too_new_refused),
		FILE_ONLY(test_open_errors),
		FILE_ONLY(test_wal_and_pragmas),
		BOTH(test_feed_add_exists),
		BOTH(test_feed_list_counts),
		BOTH(test_feed_remove_cascades),
		BOTH(test_record_fetch),
		BOTH(test_dedupe_guid),
		BOTH(test_dedupe_url_norm),
		BOTH(test_dedupe_hash),
		BOTH(test_changed_item_updated),
		BOTH(test_unchanged_reported),
		BOTH(test_undated_keeps_first_seen),
		cmocka_unit_test(test_fts_query_quoting),
		BOTH(test_search_hostile),
		BOTH(test_search_ranking),
		BOTH(test_query_filters),
		BOTH(test_transactions),
		BOTH(test_meta),
		cmocka_unit_test(test_strerror),
		FILE_ONLY(test_two_handles),
		FILE_ONLY(test_open_while_writer_holds_lock),
		FILE_ONLY(test_concurrent_processes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
