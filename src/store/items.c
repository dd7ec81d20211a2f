/* items.c — the items table: dedupe-on-upsert, get, read flags, counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/util.h"

void store_item_clear(struct store_item *it)
{
	if (!it)
		return;
	free(it->guid);
	free(it->url);
	free(it->url_norm);
	free(it->title);
	free(it->author);
	free(it->summary);
	free(it->content);
	free(it->hash);
	free(it->feed_title);
	memset(it, 0, sizeof *it);
}

void store_items_free(struct store_item *it, size_t n)
{
	if (!it)
		return;
	for (size_t i = 0; i < n; i++)
		store_item_clear(&it[i]);
	free(it);
}

int store_item_read_row(sqlite3_stmt *s, struct store_item *it)
{
	int nomem = 0;
	memset(it, 0, sizeof *it);
	it->id = sqlite3_column_int64(s, 0);
	it->feed_id = sqlite3_column_int64(s, 1);
	it->guid = store_col_dup(s, 2, &nomem);
	it->url = store_col_dup(s, 3, &nomem);
	it->url_norm = store_col_dup(s, 4, &nomem);
	it->title = store_col_dup(s, 5, &nomem);
	it->author = store_col_dup(s, 6, &nomem);
	it->summary = store_col_dup(s, 7, &nomem);
	it->content = store_col_dup(s, 8, &nomem);
	it->hash = store_col_dup(s, 9, &nomem);
	it->published = sqlite3_column_int64(s, 10);
	it->fetched = sqlite3_column_int64(s, 11);
	it->updated = sqlite3_column_int64(s, 12);
	it->read = sqlite3_column_int(s, 13);
	it->feed_title = store_col_dup(s, 14, &nomem);
	if (nomem) {
		store_item_clear(it);
		return STORE_ERR_NOMEM;
	}
	return STORE_OK;
}

void store_item_hash(const char *title, int64_t published, char out[17])
{
	char num[32];
	int n = snprintf(num, sizeof num, "\n%lld", (long long)published);
	uint64_t h = util_hash64(title ? title : "", title ? strlen(title) : 0);
	h = util_hash64_more(h, num, (size_t)n);
	util_hash_hex(h, out);
}

/* Look for an existing row of the feed by one key. With a guid on the new
 * item, URL and hash matches are only taken from rows without a guid, so
 * two items the feed tells apart by guid are never merged. */
static int find_by(struct store *st, const char *sql, int64_t feed_id, const char *key,
		   const char *guid, int64_t *id)
{
	int err = STORE_OK;
	sqlite3_stmt *s = store_stmt(st, sql, &err);
	if (!s)
		return err;
	sqlite3_bind_int64(s, 1, feed_id);
	err = store_bind_text(s, 2, key);
	if (!err && sqlite3_bind_parameter_count(s) >= 3)
		err = store_bind_text(s, 3, guid ? guid : "");
	if (!err) {
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*id = sqlite3_column_int64(s, 0);
		else if (rc != SQLITE_DONE)
			err = store_rc(rc);
	}
	store_stmt_done(s);
	return err;
}

static const char SQL_FIND_GUID[] =
	"SELECT id FROM items WHERE feed_id = ?1 AND guid = ?2 ORDER BY id LIMIT 1";
static const char SQL_FIND_URL[] =
	"SELECT id FROM items WHERE feed_id = ?1 AND url_norm = ?2"
	" AND (?3 = '' OR coalesce(guid, '') = '') ORDER BY id LIMIT 1";
static const char SQL_FIND_HASH[] =
	"SELECT id FROM items WHERE feed_id = ?1 AND hash = ?2"
	" AND (?3 = '' OR coalesce(guid, '') = '') ORDER BY id LIMIT 1";

/* Update only when a stored field differs (NULL and "" count as equal). */
static const char SQL_UPDATE[] =
	"UPDATE items SET"
	"  guid = coalesce(nullif(guid, ''), ?2),"
	"  url = ?3, url_norm = ?4, title = ?5, author = ?6, summary = ?7,"
	"  content = ?8, hash = ?9, published = CASE WHEN ?12 THEN published ELSE ?10 END,"
	"  updated = ?11"
	" WHERE id = ?1 AND ("
	"  (coalesce(guid, '') = '' AND ?2 IS NOT NULL)"
	"  OR coalesce(url, '') <> coalesce(?3, '')"
	"  OR coalesce(title, '') <> coalesce(?5, '')"
	"  OR coalesce(author, '') <> coalesce(?6, '')"
	"  OR coalesce(summary, '') <> coalesce(?7, '')"
	"  OR coalesce(content, '') <> coalesce(?8, '')"
	"  OR (NOT ?12 AND published <> ?10))";

static const char SQL_INSERT[] =
	"INSERT INTO items(feed_id, guid, url, url_norm, title, author, summary, content,"
	"  hash, published, fetched, updated, read)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)";

static int bind_fields(sqlite3_stmt *s, const struct store_item *it, const char *guid,
		       const char *url_key, const char *hash)
{
	int err;
	if ((err = store_bind_text(s, 2, guid)) || (err = store_bind_text(s, 3, it->url)) ||
	    (err = store_bind_text(s, 4, url_key)) || (err = store_bind_text(s, 5, it->title)) ||
	    (err = store_bind_text(s, 6, it->author)) || (err = store_bind_text(s, 7, it->summary)) ||
	    (err = store_bind_text(s, 8, it->content)) || (err = store_bind_text(s, 9, hash)))
		return err;
	sqlite3_bind_int64(s, 10, it->published);
	return STORE_OK;
}

static int upsert(struct store *st, const struct store_item *it, const char *guid,
		  const char *url_key, const char *hash, int64_t now, int64_t *id,
		  enum store_upsert *outcome)
{
	int err;
	int64_t found = 0;
	if (guid && (err = find_by(st, SQL_FIND_GUID, it->feed_id, guid, guid, &found)))
		return err;
	if (!found && url_key && (err = find_by(st, SQL_FIND_URL, it->feed_id, url_key, guid, &found)))
		return err;
	if (!found && (err = find_by(st, SQL_FIND_HASH, it->feed_id, hash, guid, &found)))
		return err;

	sqlite3_stmt *s = store_stmt(st, found ? SQL_UPDATE : SQL_INSERT, &err);
	if (!s)
		return err;
	sqlite3_bind_int64(s, 1, found ? found : it->feed_id);
	if ((err = bind_fields(s, it, guid, url_key, hash)))
		goto done;
	sqlite3_bind_int64(s, 11, now);
	sqlite3_bind_int(s, 12, found ? it->undated != 0 : it->read != 0);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		err = store_rc(rc);
		goto done;
	}
	if (found) {
		*id = found;
		*outcome = sqlite3_changes(st->db) ? STORE_ITEM_UPDATED : STORE_ITEM_UNCHANGED;
	} else {
		*id = sqlite3_last_insert_rowid(st->db);
		*outcome = STORE_ITEM_NEW;
	}
done:
	store_stmt_done(s);
	return err;
}

int store_item_upsert(struct store *st, const struct store_item *it,
		      int64_t *id, enum store_upsert *outcome)
{
	int64_t id_local = 0;
	enum store_upsert oc_local = STORE_ITEM_UNCHANGED;
	if (!id)
		id = &id_local;
	if (!outcome)
		outcome = &oc_local;
	*id = 0;
	if (!st || !it || it->feed_id <= 0)
		return STORE_ERR_ARG;

	const char *guid = it->guid && *it->guid ? it->guid : NULL;
	const char *url_key = it->url_norm && *it->url_norm ? it->url_norm
			      : it->url && *it->url ? it->url : NULL;
	char hashbuf[17];
	const char *hash = it->hash;
	if (!hash || !*hash) {
		store_item_hash(it->title, it->undated ? 0 : it->published, hashbuf);
		hash = hashbuf;
	}
	int64_t now = it->fetched ? it->fetched : util_time_now();

	int outer;
	int err = store_unit_begin(st, &outer);
	if (err)
		return err;
	err = upsert(st, it, guid, url_key, hash, now, id, outcome);
	int err2 = store_unit_end(st, outer, err == STORE_OK);
	if (!err && err2) {
		*id = 0;
		err = err2;
	}
	return err;
}

int store_item_get(struct store *st, int64_t id, struct store_item *out)
{
	int err = STORE_OK;
	if (out)
		memset(out, 0, sizeof *out);
	if (!st || !out)
		return STORE_ERR_ARG;
	sqlite3_stmt *s = store_stmt(st, "SELECT " STORE_ITEM_COLS
		" FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.id = ?1", &err);
	if (!s)
		return err;
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		err = store_item_read_row(s, out);
	else
		err = rc == SQLITE_DONE ? STORE_ERR_NOT_FOUND : store_rc(rc);
	store_stmt_done(s);
	return err;
}

int store_item_set_read(struct store *st, int64_t id, int read)
{
	int err = STORE_OK;
	if (!st)
		return STORE_ERR_ARG;
	sqlite3_stmt *s = store_stmt(st, "UPDATE items SET read = ?2 WHERE id = ?1", &err);
	if (!s)
		return err;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, read ? 1 : 0);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		err = store_rc(rc);
	else if (sqlite3_changes(st->db) == 0)
		err = STORE_ERR_NOT_FOUND;
	store_stmt_done(s);
	return err;
}

int store_item_count(struct store *st, int64_t feed_id, int64_t *n)
{
	int err = STORE_OK;
	if (n)
		*n = 0;
	if (!st || !n)
		return STORE_ERR_ARG;
	sqlite3_stmt *s = feed_id
		? store_stmt(st, "SELECT count(*) FROM items WHERE feed_id = ?1", &err)
		: store_stmt(st, "SELECT count(*) FROM items", &err);
	if (!s)
		return err;
	if (feed_id)
		sqlite3_bind_int64(s, 1, feed_id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	else
		err = store_rc(rc);
	store_stmt_done(s);
	return err;
}
