/* db.c — open, pragmas, migrations, transactions, metadata, errors, and the
 * prepared-statement cache the other store files use. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/util.h"

/* ---- schema ---------------------------------------------------------------
 * migrations[i] takes user_version i to i + 1. Append only: never edit a
 * migration that has shipped. Each runs in its own transaction together with
 * the user_version bump. */
static const char *const migrations[] = {
	/* 0 -> 1: feeds, items (+ FTS5 index kept in step by triggers), meta */
	"CREATE TABLE feeds ("
	"  id            INTEGER PRIMARY KEY,"
	"  url           TEXT NOT NULL UNIQUE,"
	"  title         TEXT,"
	"  site_url      TEXT,"
	"  category      TEXT,"
	"  etag          TEXT,"
	"  last_modified TEXT,"
	"  last_status   INTEGER NOT NULL DEFAULT 0,"
	"  last_error    TEXT,"
	"  failures      INTEGER NOT NULL DEFAULT 0,"
	"  next_fetch    INTEGER NOT NULL DEFAULT 0,"
	"  last_fetch    INTEGER NOT NULL DEFAULT 0,"
	"  last_success  INTEGER NOT NULL DEFAULT 0,"
	"  added         INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE items ("
	"  id        INTEGER PRIMARY KEY,"
	"  feed_id   INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
	"  guid      TEXT,"
	"  url       TEXT,"
	"  url_norm  TEXT,"
	"  title     TEXT,"
	"  author    TEXT,"
	"  published INTEGER NOT NULL DEFAULT 0,"
	"  fetched   INTEGER NOT NULL DEFAULT 0,"
	"  updated   INTEGER NOT NULL DEFAULT 0,"
	"  summary   TEXT,"
	"  content   TEXT,"
	"  hash      TEXT NOT NULL,"
	"  read      INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX items_feed_guid ON items(feed_id, guid);"
	"CREATE INDEX items_feed_url ON items(feed_id, url_norm);"
	"CREATE INDEX items_feed_hash ON items(feed_id, hash);"
	"CREATE INDEX items_published ON items(published DESC);"
	"CREATE INDEX items_feed_published ON items(feed_id, published DESC);"
	"CREATE VIRTUAL TABLE items_fts USING fts5("
	"  title, summary, content,"
	"  content='items', content_rowid='id',"
	"  tokenize='porter unicode61 remove_diacritics 2'"
	");"
	"CREATE TRIGGER items_fts_ai AFTER INSERT ON items BEGIN"
	"  INSERT INTO items_fts(rowid, title, summary, content)"
	"    VALUES (new.id, new.title, new.summary, new.content);"
	"END;"
	"CREATE TRIGGER items_fts_ad AFTER DELETE ON items BEGIN"
	"  INSERT INTO items_fts(items_fts, rowid, title, summary, content)"
	"    VALUES ('delete', old.id, old.title, old.summary, old.content);"
	"END;"
	"CREATE TRIGGER items_fts_au AFTER UPDATE OF title, summary, content ON items"
	"  WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary"
	"    OR old.content IS NOT new.content BEGIN"
	"  INSERT INTO items_fts(items_fts, rowid, title, summary, content)"
	"    VALUES ('delete', old.id, old.title, old.summary, old.content);"
	"  INSERT INTO items_fts(rowid, title, summary, content)"
	"    VALUES (new.id, new.title, new.summary, new.content);"
	"END;"
	"CREATE TABLE meta ("
	"  key   TEXT PRIMARY KEY,"
	"  value TEXT"
	");",
	/* 1 -> 2: briefings with their provenance (briefings.c). A story's
	 * sources keep a snapshot of the feed and item, so a briefing still
	 * renders after its feed was removed (item_id then becomes NULL). */
	"CREATE TABLE briefings ("
	"  id                INTEGER PRIMARY KEY,"
	"  created           INTEGER NOT NULL,"
	"  edition           TEXT NOT NULL,"
	"  edition_date      TEXT NOT NULL,"
	"  style             TEXT NOT NULL,"
	"  tagline           TEXT,"
	"  assessment        TEXT,"
	"  bottom_line       TEXT,"
	"  assessment_flag   TEXT,"
	"  backend           TEXT NOT NULL,"
	"  model             TEXT,"
	"  model_hash        TEXT,"
	"  window_start      INTEGER NOT NULL DEFAULT 0,"
	"  window_end        INTEGER NOT NULL DEFAULT 0,"
	"  prompt_hashes     TEXT,"
	"  prompt_tokens     INTEGER NOT NULL DEFAULT 0,"
	"  completion_tokens INTEGER NOT NULL DEFAULT 0,"
	"  seconds_plan      REAL NOT NULL DEFAULT 0,"
	"  seconds_write     REAL NOT NULL DEFAULT 0,"
	"  seconds_total     REAL NOT NULL DEFAULT 0,"
	"  status            TEXT NOT NULL DEFAULT 'ok'"
	");"
	"CREATE INDEX briefings_created ON briefings(created DESC, id DESC);"
	"CREATE TABLE briefing_stories ("
	"  id            INTEGER PRIMARY KEY,"
	"  briefing_id   INTEGER NOT NULL REFERENCES briefings(id) ON DELETE CASCADE,"
	"  rank          INTEGER NOT NULL,"
	"  kind          TEXT NOT NULL DEFAULT 'story',"
	"  section       TEXT,"
	"  section_emoji TEXT,"
	"  headline      TEXT,"
	"  body          TEXT,"
	"  score         REAL NOT NULL DEFAULT 0,"
	"  flagged       INTEGER NOT NULL DEFAULT 0,"
	"  flag_reason   TEXT"
	");"
	"CREATE INDEX briefing_stories_briefing ON briefing_stories(briefing_id, rank);"
	"CREATE TABLE story_sources ("
	"  story_id   INTEGER NOT NULL REFERENCES briefing_stories(id) ON DELETE CASCADE,"
	"  pos        INTEGER NOT NULL,"
	"  item_id    INTEGER REFERENCES items(id) ON DELETE SET NULL,"
	"  feed_title TEXT,"
	"  feed_url   TEXT,"
	"  title      TEXT,"
	"  link       TEXT,"
	"  published  INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (story_id, pos)"
	");"
	"CREATE INDEX story_sources_item ON story_sources(item_id);",
	/* 3: per-feed item and unread counts (the Feeds and Items views) read
	 * this index alone instead of every row of the feed */
	"CREATE INDEX items_feed_read ON items(feed_id, read);",
	/* 4: the engine's weight passes per briefing (0 / NULL for briefings
	 * written before, or by another backend) */
	"ALTER TABLE briefings ADD COLUMN passes INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE briefings ADD COLUMN pass_tokens INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE briefings ADD COLUMN prefill_tokens INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE briefings ADD COLUMN bytes_streamed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE briefings ADD COLUMN seconds_prefill REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE briefings ADD COLUMN seconds_decode REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE briefings ADD COLUMN seconds_wait REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE briefings ADD COLUMN device TEXT;",
	/* 5: the layout a briefing was written in ("sections", "digest",
	 * "insights"), so the exporter and the reader draw it the same way
	 * whatever its style is called (NULL for briefings stored before) */
	"ALTER TABLE briefings ADD COLUMN layout TEXT;",
	/* 6: speculative decoding per briefing: the draft model, and what the
	 * draft-then-verify rounds did (0 / NULL without a draft) */
	"ALTER TABLE briefings ADD COLUMN draft_model TEXT;"
	"ALTER TABLE briefings ADD COLUMN spec_rounds INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE briefings ADD COLUMN spec_drafted INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE briefings ADD COLUMN spec_accepted INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE briefings ADD COLUMN spec_tokens INTEGER NOT NULL DEFAULT 0;",
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int store_schema_latest(void)
{
	return N_MIGRATIONS;
}

const char *store_strerror(int err)
{
	switch (err) {
	case STORE_OK: return "success";
	case STORE_ERR_NOMEM: return "out of memory";
	case STORE_ERR_OPEN: return "cannot open the database";
	case STORE_ERR_SQL: return "database error";
	case STORE_ERR_NOT_FOUND: return "not found";
	case STORE_ERR_EXISTS: return "already exists";
	case STORE_ERR_TOO_NEW: return "database was written by a newer version of briefing";
	case STORE_ERR_ARG: return "invalid argument";
	case STORE_ERR_BUSY: return "database is busy";
	}
	return "unknown store error";
}

const char *store_errmsg(struct store *st)
{
	if (!st || !st->db)
		return "no database";
	return st->kept ? st->kept_msg : sqlite3_errmsg(st->db);
}

int store_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return STORE_OK;
	case SQLITE_NOMEM:
		return STORE_ERR_NOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_ERR_BUSY;
	case SQLITE_CANTOPEN:
	case SQLITE_NOTADB:
		return STORE_ERR_OPEN;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return STORE_ERR_EXISTS;
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return STORE_ERR_NOT_FOUND;
		return STORE_ERR_SQL;
	}
	return STORE_ERR_SQL;
}

/* ---- statement cache ------------------------------------------------------ */

sqlite3_stmt *store_stmt(struct store *st, const char *sql, int *err)
{
	st->kept = 0;
	for (size_t i = 0; i < st->nstmts; i++) {
		if (strcmp(st->stmts[i].sql, sql) == 0) {
			sqlite3_stmt *s = st->stmts[i].stmt;
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			return s;
		}
	}
	if (st->nstmts == st->capstmts) {
		size_t cap = st->capstmts ? st->capstmts * 2 : 32;
		struct store_stmt_slot *n = realloc(st->stmts, cap * sizeof *n);
		if (!n) {
			*err = STORE_ERR_NOMEM;
			return NULL;
		}
		st->stmts = n;
		st->capstmts = cap;
	}
	char *copy = util_strdup(sql);
	if (!copy) {
		*err = STORE_ERR_NOMEM;
		return NULL;
	}
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
	if (rc != SQLITE_OK) {
		free(copy);
		sqlite3_finalize(s);
		*err = store_rc(rc);
		if (*err == STORE_OK)
			*err = STORE_ERR_SQL;
		return NULL;
	}
	st->stmts[st->nstmts].sql = copy;
	st->stmts[st->nstmts].stmt = s;
	st->nstmts++;
	return s;
}

void store_stmt_done(sqlite3_stmt *s)
{
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

int store_exec(struct store *st, const char *sql)
{
	const char *p = sql;
	while (p && *p) {
		sqlite3_stmt *s = NULL;
		const char *tail = NULL;
		int rc = sqlite3_prepare_v2(st->db, p, -1, &s, &tail);
		if (rc != SQLITE_OK)
			return store_rc(rc);
		if (s) {
			do
				rc = sqlite3_step(s);
			while (rc == SQLITE_ROW);
			sqlite3_finalize(s);
			if (rc != SQLITE_DONE)
				return store_rc(rc);
		}
		p = tail;
	}
	return STORE_OK;
}

int store_bind_text(sqlite3_stmt *s, int idx, const char *v)
{
	int rc = v ? sqlite3_bind_text(s, idx, v, -1, SQLITE_TRANSIENT)
		   : sqlite3_bind_null(s, idx);
	return rc == SQLITE_OK ? STORE_OK : store_rc(rc);
}

char *store_col_dup(sqlite3_stmt *s, int col, int *nomem)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	if (!t) {
		if (sqlite3_column_type(s, col) != SQLITE_NULL)
			*nomem = 1;
		return NULL;
	}
	int len = sqlite3_column_bytes(s, col);
	char *r = malloc((size_t)len + 1);
	if (!r) {
		*nomem = 1;
		return NULL;
	}
	memcpy(r, t, (size_t)len);
	r[len] = '\0';
	return r;
}

/* ---- open / close ----------------------------------------------------------- */

static char *fmt_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *fmt_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *r = NULL;
	if (vasprintf(&r, fmt, ap) < 0)
		r = NULL;
	va_end(ap);
	return r;
}

/* The one place connection settings are made. */
static int apply_pragmas(struct store *st, int memory)
{
	int err;
	sqlite3_busy_timeout(st->db, 5000);
	err = store_exec(st, "PRAGMA busy_timeout = 5000;"
			     "PRAGMA foreign_keys = ON;"
			     "PRAGMA synchronous = NORMAL;");
	if (err)
		return err;
	if (!memory) {
		/* WAL may be refused (e.g. some network filesystems); the
		 * database still works in rollback-journal mode then. */
		/* Switching a fresh file to WAL needs an exclusive lock, and
		 * SQLite answers BUSY at once (no busy handler) while another
		 * process is creating the same file: retry for up to 5 s. */
		for (int tries = 0; tries < 500; tries++) {
			err = store_exec(st, "PRAGMA journal_mode = WAL;");
			if (err != STORE_ERR_BUSY)
				break;
			usleep(10000);
		}
		if (err)
			return err;
	}
	return STORE_OK;
}

static int user_version(struct store *st, int *v)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*v = sqlite3_column_int(s, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? STORE_OK : (store_rc(rc));
}

/* Bring the schema up to date, one migration per transaction. A current
 * schema is seen without a write transaction, so opening a database never
 * waits for a writer (a long fetch) unless there is a migration to run.
 * When there is, the version is read again inside the write transaction so
 * two processes opening a fresh database at once do not both run it. */
static int migrate(struct store *st, char **msg)
{
	int cur = -1;
	if (user_version(st, &cur) == STORE_OK && cur == N_MIGRATIONS)
		return STORE_OK;
	for (;;) {
		int err = store_exec(st, "BEGIN IMMEDIATE");
		if (err) {
			*msg = fmt_msg("cannot start migration: %s", sqlite3_errmsg(st->db));
			return err;
		}
		int v = 0;
		err = user_version(st, &v);
		if (err) {
			*msg = fmt_msg("cannot read schema version: %s", sqlite3_errmsg(st->db));
			store_exec(st, "ROLLBACK");
			return err;
		}
		if (v > N_MIGRATIONS) {
			*msg = fmt_msg("database schema version %d is newer than this briefing "
				       "understands (%d); upgrade briefing to open it", v, N_MIGRATIONS);
			store_exec(st, "ROLLBACK");
			return STORE_ERR_TOO_NEW;
		}
		if (v < 0) {
			*msg = fmt_msg("database has an invalid schema version %d", v);
			store_exec(st, "ROLLBACK");
			return STORE_ERR_SQL;
		}
		if (v == N_MIGRATIONS)
			return store_exec(st, "COMMIT");

		char bump[64];
		snprintf(bump, sizeof bump, "PRAGMA user_version = %d;", v + 1);
		err = store_exec(st, migrations[v]);
		if (!err)
			err = store_exec(st, bump);
		if (err) {
			*msg = fmt_msg("schema migration %d -> %d failed: %s", v, v + 1,
				       sqlite3_errmsg(st->db));
			store_exec(st, "ROLLBACK");
			return err;
		}
		err = store_exec(st, "COMMIT");
		if (err) {
			*msg = fmt_msg("schema migration %d -> %d: commit failed: %s", v, v + 1,
				       sqlite3_errmsg(st->db));
			store_exec(st, "ROLLBACK");
			return err;
		}
	}
}

int store_open(const char *path, struct store **out, char **errmsg)
{
	char *msg = NULL;
	int err = STORE_OK;
	struct store *st = NULL;

	if (out)
		*out = NULL;
	if (errmsg)
		*errmsg = NULL;
	if (!path || !*path || !out) {
		err = STORE_ERR_ARG;
		msg = fmt_msg("no database path given");
		goto fail;
	}
	int memory = strcmp(path, ":memory:") == 0;
	if (!memory && strchr(path, '/') && util_mkdir_parent(path) != 0) {
		err = STORE_ERR_OPEN;
		msg = fmt_msg("cannot create the directory for %s: %s", path, strerror(errno));
		goto fail;
	}
	st = calloc(1, sizeof *st);
	if (!st) {
		err = STORE_ERR_NOMEM;
		goto fail;
	}
	int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		err = rc == SQLITE_NOMEM ? STORE_ERR_NOMEM : STORE_ERR_OPEN;
		msg = fmt_msg("cannot open %s: %s", path,
			      st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	err = apply_pragmas(st, memory);
	if (err) {
		msg = fmt_msg("cannot open %s: %s", path, sqlite3_errmsg(st->db));
		if (err == STORE_ERR_SQL)
			err = STORE_ERR_OPEN;
		goto fail;
	}
	err = migrate(st, &msg);
	if (err)
		goto fail;
	*out = st;
	return STORE_OK;

fail:
	store_close(st);
	if (errmsg)
		*errmsg = msg ? msg : util_strdup(store_strerror(err));
	else
		free(msg);
	return err;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nstmts; i++) {
		sqlite3_finalize(st->stmts[i].stmt);
		free(st->stmts[i].sql);
	}
	free(st->stmts);
	if (st->db)
		sqlite3_close(st->db);
	free(st);
}

int store_schema_version(struct store *st)
{
	int v = -1;
	if (!st || user_version(st, &v))
		return -1;
	return v;
}

/* ---- transactions ------------------------------------------------------------ */

static int run_simple(struct store *st, const char *sql)
{
	int err = STORE_OK;
	if (!st)
		return STORE_ERR_ARG;
	sqlite3_stmt *s = store_stmt(st, sql, &err);
	if (!s)
		return err;
	int rc = sqlite3_step(s);
	store_stmt_done(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_rc(rc);
	return STORE_OK;
}

int store_begin(struct store *st)
{
	return run_simple(st, "BEGIN IMMEDIATE");
}

int store_commit(struct store *st)
{
	return run_simple(st, "COMMIT");
}

int store_rollback(struct store *st)
{
	return run_simple(st, "ROLLBACK");
}

int store_unit_begin(struct store *st, int *outer)
{
	*outer = !sqlite3_get_autocommit(st->db);
	return run_simple(st, *outer ? "SAVEPOINT store_unit" : "BEGIN IMMEDIATE");
}

int store_unit_end(struct store *st, int outer, int ok)
{
	char msg[sizeof st->kept_msg];
	int err = STORE_OK;
	if (ok) {
		err = run_simple(st, outer ? "RELEASE store_unit" : "COMMIT");
		if (!err)
			return STORE_OK;
	}
	snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(st->db));
	if (outer) {
		run_simple(st, "ROLLBACK TO store_unit");
		run_simple(st, "RELEASE store_unit");
	} else if (!sqlite3_get_autocommit(st->db)) {
		/* (a failed statement may already have ended the transaction) */
		run_simple(st, "ROLLBACK");
	}
	memcpy(st->kept_msg, msg, sizeof msg);
	st->kept = 1;
	return err;
}

/* ---- meta ------------------------------------------------------------------ */

int store_meta_get(struct store *st, const char *key, char **out)
{
	int err = STORE_OK;
	if (out)
		*out = NULL;
	if (!st || !key || !out)
		return STORE_ERR_ARG;
	sqlite3_stmt *s = store_stmt(st, "SELECT value FROM meta WHERE key = ?1", &err);
	if (!s)
		return err;
	if ((err = store_bind_text(s, 1, key)))
		goto done;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int nomem = 0;
		*out = store_col_dup(s, 0, &nomem);
		if (nomem)
			err = STORE_ERR_NOMEM;
	} else if (rc != SQLITE_DONE) {
		err = store_rc(rc);
	}
done:
	store_stmt_done(s);
	return err;
}

int store_meta_set(struct store *st, const char *key, const char *value)
{
	int err = STORE_OK;
	if (!st || !key)
		return STORE_ERR_ARG;
	sqlite3_stmt *s = value
		? store_stmt(st, "INSERT INTO meta(key, value) VALUES (?1, ?2)"
				 " ON CONFLICT(key) DO UPDATE SET value = excluded.value", &err)
		: store_stmt(st, "DELETE FROM meta WHERE key = ?1", &err);
	if (!s)
		return err;
	if (!(err = store_bind_text(s, 1, key)) && value)
		err = store_bind_text(s, 2, value);
	if (!err) {
		int rc = sqlite3_step(s);
		if (rc != SQLITE_DONE)
			err = store_rc(rc);
	}
	store_stmt_done(s);
	return err;
}

int store_rows_collect(sqlite3_stmt *s, size_t elem, int (*read)(sqlite3_stmt *s, void *row),
		       void (*free_rows)(void *rows, size_t n), void **out, size_t *n)
{
	char *v = NULL;
	size_t len = 0, cap = 0;
	int err = STORE_OK, rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char *nv = realloc(v, ncap * elem);
			if (!nv) {
				err = STORE_ERR_NOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		if ((err = read(s, v + len * elem)))
			break;
		len++;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_rc(rc);
	store_stmt_done(s);
	if (err) {
		free_rows(v, len);
		return err;
	}
	*out = v;
	*n = len;
	return STORE_OK;
}
