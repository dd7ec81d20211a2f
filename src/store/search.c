/* search.c — item queries (filters, FTS5 search ranked by bm25) and the
 * quoting that turns a user's words into a query FTS5 always accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/util.h"

/* Column weights for bm25: a hit in the title counts most. */
#define RANK "bm25(items_fts, 10.0, 4.0, 1.0)"

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Could this byte be part of a token for the unicode61 tokenizer? ASCII
 * punctuation never is; non-ASCII bytes may be (letters in any script). */
static int is_token_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c >= 0x80;
}

/* Build the quoted query into *out (caller frees); *out = NULL when the text
 * holds no searchable word. Every word becomes one "phrase" (internal
 * quotes doubled), so operators, parentheses, column filters and stray
 * quotes in user text are just characters. A word's trailing '*'s become
 * one prefix marker. */
static int fts_build(const char *user, char **out)
{
	struct util_buf b;
	util_buf_init(&b);
	*out = NULL;
	const unsigned char *p = (const unsigned char *)user;
	while (*p) {
		while (*p && is_space(*p))
			p++;
		const unsigned char *w = p;
		while (*p && !is_space(*p))
			p++;
		size_t len = (size_t)(p - w);
		int prefix = 0;
		while (len > 0 && w[len - 1] == '*') {
			len--;
			prefix = 1;
		}
		int useful = 0;
		for (size_t i = 0; i < len && !useful; i++)
			useful = is_token_byte(w[i]);
		if (!useful)
			continue;
		if (b.len && util_buf_putc(&b, ' '))
			goto nomem;
		if (util_buf_putc(&b, '"'))
			goto nomem;
		for (size_t i = 0; i < len; i++) {
			if (w[i] == '"' && util_buf_putc(&b, '"'))
				goto nomem;
			if (util_buf_putc(&b, w[i]))
				goto nomem;
		}
		if (util_buf_putc(&b, '"') || (prefix && util_buf_putc(&b, '*')))
			goto nomem;
	}
	if (b.len)
		*out = util_buf_steal(&b);
	util_buf_free(&b);
	return STORE_OK;
nomem:
	util_buf_free(&b);
	return STORE_ERR_NOMEM;
}

char *store_fts_query(const char *user)
{
	char *q = NULL;
	if (!user || fts_build(user, &q))
		return NULL;
	return q;
}

static int64_t clamp64(size_t v)
{
	return v > (size_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

static int read_item_row(sqlite3_stmt *s, void *row)
{
	return store_item_read_row(s, row);
}

static void free_item_rows(void *rows, size_t n)
{
	store_items_free(rows, n);
}

int store_item_query(struct store *st, const struct store_item_query *q,
		     struct store_item **out, size_t *n)
{
	if (out)
		*out = NULL;
	if (n)
		*n = 0;
	if (!st || !q || !out || !n)
		return STORE_ERR_ARG;

	char *match = NULL;
	int err;
	int searching = q->search && !util_str_empty(q->search);
	if (searching) {
		if ((err = fts_build(q->search, &match)))
			return err;
		if (!match)
			return STORE_OK; /* only punctuation: nothing can match */
	}

	/* Only fixed fragments go into the SQL; every value is bound. */
	char sql[1024] = "SELECT " STORE_ITEM_COLS " FROM items i JOIN feeds f ON f.id = i.feed_id";
	if (searching)
		strcat(sql, " JOIN items_fts ON items_fts.rowid = i.id");
	strcat(sql, " WHERE 1");
	if (searching)
		strcat(sql, " AND items_fts MATCH ?1");
	if (q->since)
		strcat(sql, " AND i.published >= ?2");
	if (q->until)
		strcat(sql, " AND i.published < ?3");
	if (q->feed_id)
		strcat(sql, " AND i.feed_id = ?4");
	if (q->unread_only)
		strcat(sql, " AND i.read = 0");
	strcat(sql, " ORDER BY ");
	if (searching)
		strcat(sql, RANK ", ");
	strcat(sql, "i.published DESC, i.id DESC LIMIT ?5 OFFSET ?6");

	err = STORE_OK;
	sqlite3_stmt *s = store_stmt(st, sql, &err);
	if (!s) {
		free(match);
		return err;
	}
	if (searching)
		err = store_bind_text(s, 1, match);
	free(match);
	if (err) {
		store_stmt_done(s);
		return err;
	}
	if (q->since)
		sqlite3_bind_int64(s, 2, q->since);
	if (q->until)
		sqlite3_bind_int64(s, 3, q->until);
	if (q->feed_id)
		sqlite3_bind_int64(s, 4, q->feed_id);
	sqlite3_bind_int64(s, 5, q->limit ? clamp64(q->limit) : -1);
	sqlite3_bind_int64(s, 6, clamp64(q->offset));

	return store_rows_collect(s, sizeof(struct store_item), read_item_row, free_item_rows,
				  (void **)out, n);
}
