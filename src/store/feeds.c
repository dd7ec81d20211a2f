/* feeds.c — the feeds table: add, remove, look up, list, record fetches. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/util.h"

#define FEED_COLS \
	"f.id, f.url, f.title, f.site_url, f.category, f.etag, f.last_modified," \
	" f.last_status, f.last_error, f.failures, f.next_fetch, f.last_fetch," \
	" f.last_success, f.added," \
	" (SELECT count(*) FROM items i WHERE i.feed_id = f.id)," \
	" (SELECT count(*) FROM items i WHERE i.feed_id = f.id AND i.read = 0)"

void store_feed_clear(struct store_feed *f)
{
	if (!f)
		return;
	free(f->url);
	free(f->title);
	free(f->site_url);
	free(f->category);
	free(f->etag);
	free(f->last_modified);
	free(f->last_error);
	memset(f, 0, sizeof *f);
}

void store_feeds_free(struct store_feed *f, size_t n)
{
	if (!f)
		return;
	for (size_t i = 0; i < n; i++)
		store_feed_clear(&f[i]);
	free(f);
}

/* Fill *f from a row of FEED_COLS. */
static int read_feed(sqlite3_stmt *s, struct store_feed *f);
static int read_feed_row(sqlite3_stmt *s, void *row)
{
	return read_feed(s, row);
}

static void free_feed_rows(void *rows, size_t n)
{
	store_feeds_free(rows, n);
}

static int read_feed(sqlite3_stmt *s, struct store_feed *f)
{
	int nomem = 0;
	memset(f, 0, sizeof *f);
	f->id = sqlite3_column_int64(s, 0);
	f->url = store_col_dup(s, 1, &nomem);
	f->title = store_col_dup(s, 2, &nomem);
	f->site_url = store_col_dup(s, 3, &nomem);
	f->category = store_col_dup(s, 4, &nomem);
	f->etag = store_col_dup(s, 5, &nomem);
	f->last_modified = store_col_dup(s, 6, &nomem);
	f->last_status = sqlite3_column_int(s, 7);
	f->last_error = store_col_dup(s, 8, &nomem);
	f->failures = sqlite3_column_int(s, 9);
	f->next_fetch = sqlite3_column_int64(s, 10);
	f->last_fetch = sqlite3_column_int64(s, 11);
	f->last_success = sqlite3_column_int64(s, 12);
	f->added = sqlite3_column_int64(s, 13);
	f->item_count = sqlite3_column_int64(s, 14);
	f->unread_count = sqlite3_column_int64(s, 15);
	if (nomem) {
		store_feed_clear(f);
		return STORE_ERR_NOMEM;
	}
	return STORE_OK;
}

static int find_id(struct store *st, const char *url, int64_t *id)
{
	int err = STORE_OK;
	sqlite3_stmt *s = store_stmt(st, "SELECT id FROM feeds WHERE url = ?1", &err);
	if (!s)
		return err;
	if (!(err = store_bind_text(s, 1, url))) {
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*id = sqlite3_column_int64(s, 0);
		else
			err = rc == SQLITE_DONE ? STORE_ERR_NOT_FOUND : store_rc(rc);
	}
	store_stmt_done(s);
	return err;
}

int store_feed_add(struct store *st, const char *url, const char *title,
		   const char *site_url, const char *category, int64_t *id)
{
	int err = STORE_OK;
	int64_t dummy;
	if (!id)
		id = &dummy;
	*id = 0;
	if (!st || util_str_empty(url))
		return STORE_ERR_ARG;
	sqlite3_stmt *s = store_stmt(st,
		"INSERT INTO feeds(url, title, site_url, category, added)"
		" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(url) DO NOTHING", &err);
	if (!s)
		return err;
	if ((err = store_bind_text(s, 1, url)) || (err = store_bind_text(s, 2, title)) ||
	    (err = store_bind_text(s, 3, site_url)) || (err = store_bind_text(s, 4, category)))
		goto done;
	sqlite3_bind_int64(s, 5, util_time_now());
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		err = store_rc(rc);
		goto done;
	}
	if (sqlite3_changes(st->db) == 0) {
		store_stmt_done(s);
		err = find_id(st, url, id);
		return err ? err : STORE_ERR_EXISTS;
	}
	*id = sqlite3_last_insert_rowid(st->db);
done:
	store_stmt_done(s);
	return err;
}

int store_feed_remove(struct store *st, int64_t id)
{
	int err = STORE_OK;
	if (!st || id <= 0)
		return STORE_ERR_ARG;
	sqlite3_stmt *s = store_stmt(st, "DELETE FROM feeds WHERE id = ?1", &err);
	if (!s)
		return err;
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		err = store_rc(rc);
	else if (sqlite3_changes(st->db) == 0)
		err = STORE_ERR_NOT_FOUND;
	store_stmt_done(s);
	return err;
}

/* Run a one-row feed query whose ?1 is already bound. */
static int fetch_one(sqlite3_stmt *s, struct store_feed *out)
{
	int rc = sqlite3_step(s);
	int err;
	if (rc == SQLITE_ROW)
		err = read_feed(s, out);
	else
		err = rc == SQLITE_DONE ? STORE_ERR_NOT_FOUND : store_rc(rc);
	store_stmt_done(s);
	return err;
}

int store_feed_get(struct store *st, int64_t id, struct store_feed *out)
{
	int err = STORE_OK;
	if (out)
		memset(out, 0, sizeof *out);
	if (!st || !out)
		return STORE_ERR_ARG;
	sqlite3_stmt *s = store_stmt(st, "SELECT " FEED_COLS " FROM feeds f WHERE f.id = ?1", &err);
	if (!s)
		return err;
	sqlite3_bind_int64(s, 1, id);
	return fetch_one(s, out);
}

int store_feed_find_url(struct store *st, const char *url, struct store_feed *out)
{
	int err = STORE_OK;
	if (out)
		memset(out, 0, sizeof *out);
	if (!st || !url || !out)
		return STORE_ERR_ARG;
	sqlite3_stmt *s = store_stmt(st, "SELECT " FEED_COLS " FROM feeds f WHERE f.url = ?1", &err);
	if (!s)
		return err;
	if ((err = store_bind_text(s, 1, url))) {
		store_stmt_done(s);
		return err;
	}
	return fetch_one(s, out);
}

int store_feed_list(struct store *st, struct store_feed **out, size_t *n)
{
	int err = STORE_OK;
	if (out)
		*out = NULL;
	if (n)
		*n = 0;
	if (!st || !out || !n)
		return STORE_ERR_ARG;
	sqlite3_stmt *s = store_stmt(st, "SELECT " FEED_COLS " FROM feeds f ORDER BY f.id", &err);
	if (!s)
		return err;
	return store_rows_collect(s, sizeof(struct store_feed), read_feed_row, free_feed_rows,
				  (void **)out, n);
}

int store_feed_record_fetch(struct store *st, int64_t id, const struct store_feed_update *u)
{
	int err = STORE_OK;
	if (!st || !u || id <= 0)
		return STORE_ERR_ARG;
	int64_t fetched = u->fetched ? u->fetched : util_time_now();
	sqlite3_stmt *s = store_stmt(st,
		"UPDATE feeds SET"
		"  url = coalesce(?2, url),"
		"  title = coalesce(?3, title),"
		"  site_url = coalesce(?4, site_url),"
		"  etag = CASE WHEN ?5 THEN etag ELSE ?6 END,"
		"  last_modified = CASE WHEN ?5 THEN last_modified ELSE ?7 END,"
		"  last_status = ?8,"
		"  last_error = ?9,"
		"  failures = CASE WHEN ?9 IS NULL OR ?13 THEN 0"
		"                  WHEN ?10 > 0 THEN ?10 ELSE failures + 1 END,"
		"  next_fetch = ?11,"
		"  last_fetch = ?12,"
		"  last_success = CASE WHEN ?9 IS NULL OR ?13 THEN ?12 ELSE last_success END"
		" WHERE id = ?1", &err);
	if (!s)
		return err;
	sqlite3_bind_int64(s, 1, id);
	if ((err = store_bind_text(s, 2, util_str_empty(u->url) ? NULL : u->url)) ||
	    (err = store_bind_text(s, 3, u->title)) ||
	    (err = store_bind_text(s, 4, u->site_url)) ||
	    (err = store_bind_text(s, 6, u->etag)) ||
	    (err = store_bind_text(s, 7, u->last_modified)) ||
	    (err = store_bind_text(s, 9, u->error)))
		goto done;
	sqlite3_bind_int(s, 5, u->keep_validators ? 1 : 0);
	sqlite3_bind_int(s, 8, u->status);
	sqlite3_bind_int(s, 10, u->failures);
	sqlite3_bind_int64(s, 11, u->next_fetch);
	sqlite3_bind_int64(s, 12, fetched);
	sqlite3_bind_int(s, 13, u->warning ? 1 : 0);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		err = store_rc(rc);
	else if (sqlite3_changes(st->db) == 0)
		err = STORE_ERR_NOT_FOUND;
done:
	store_stmt_done(s);
	return err;
}
