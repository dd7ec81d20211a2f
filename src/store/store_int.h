/* store_int.h — what the store's files share: the handle, the statement
 * cache and small binding/reading helpers. Not for use outside src/store. */
#ifndef BRIEFING_STORE_INT_H
#define BRIEFING_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

/* One cached prepared statement, keyed by its SQL text (owned copy). */
struct store_stmt_slot {
	char *sql;
	sqlite3_stmt *stmt;
};

struct store {
	sqlite3 *db;
	struct store_stmt_slot *stmts; /* (nstmts) */
	size_t nstmts;
	size_t capstmts;
	/* The message of an error that an internal rollback would otherwise
	 * overwrite; store_errmsg prefers it until the next statement runs. */
	char kept_msg[256];
	int kept;
};

/* A cached statement for sql, reset and with bindings cleared; NULL on error
 * (*err set). The store owns it: call store_stmt_done when finished with the
 * rows so no read transaction is left open. */
sqlite3_stmt *store_stmt(struct store *st, const char *sql, int *err);
void store_stmt_done(sqlite3_stmt *s);

/* Step s to the end, collecting one element of size elem per row into a
 * growing array filled by read(s, element); then store_stmt_done(s). On
 * success *out (caller frees with its array free) and *n are set; on error
 * the rows read so far are released with free_rows and the error returned. */
int store_rows_collect(sqlite3_stmt *s, size_t elem, int (*read)(sqlite3_stmt *s, void *row),
		       void (*free_rows)(void *rows, size_t n), void **out, size_t *n);

/* Map a sqlite result code (extended) to a store_err. */
int store_rc(int rc);

/* Run a script of constant SQL statements (no parameters). */
int store_exec(struct store *st, const char *sql);

/* Bind text; NULL binds NULL. Copies the text (SQLITE_TRANSIENT). */
int store_bind_text(sqlite3_stmt *s, int idx, const char *v);

/* Column text as a malloc'd copy (NULL when the column is NULL). Sets *nomem
 * when a non-NULL value could not be copied. */
char *store_col_dup(sqlite3_stmt *s, int col, int *nomem);

/* Begin/end an internal unit of work: BEGIN IMMEDIATE when the caller has
 * no transaction open, a SAVEPOINT inside one. *outer records which. */
int store_unit_begin(struct store *st, int *outer);
int store_unit_end(struct store *st, int outer, int ok);

/* items.c: read a row of ITEM_COLS (id, feed_id, guid, url, url_norm, title,
 * author, summary, content, hash, published, fetched, updated, read,
 * feed title) into *it (owned by the caller). */
int store_item_read_row(sqlite3_stmt *s, struct store_item *it);
#define STORE_ITEM_COLS \
	"i.id, i.feed_id, i.guid, i.url, i.url_norm, i.title, i.author, i.summary," \
	" i.content, i.hash, i.published, i.fetched, i.updated, i.read, f.title"

/* The last-resort dedupe key: hex FNV-1a 64 of title "\n" published
 * (decimal). */
void store_item_hash(const char *title, int64_t published, char out[17]);

#endif
