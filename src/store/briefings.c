/* briefings.c — written briefings, their stories and the sources each story
 * was written from (provenance). A briefing goes in whole or not at all. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/util.h"

void store_briefing_clear(struct store_briefing *b)
{
	if (!b)
		return;
	/* (a list row has no stories array, only their count) */
	for (size_t i = 0; b->stories && i < b->n_stories; i++) {
		struct store_briefing_story *s = &b->stories[i];
		for (size_t j = 0; j < s->n_src; j++) {
			free(s->src[j].feed_title);
			free(s->src[j].feed_url);
			free(s->src[j].title);
			free(s->src[j].link);
		}
		free(s->src);
		free(s->kind);
		free(s->section);
		free(s->emoji);
		free(s->headline);
		free(s->body);
		free(s->flag_reason);
	}
	free(b->stories);
	free(b->edition);
	free(b->edition_date);
	free(b->style);
	free(b->layout);
	free(b->draft_model);
	free(b->tagline);
	free(b->assessment);
	free(b->bottom_line);
	free(b->assessment_flag);
	free(b->backend);
	free(b->model);
	free(b->model_hash);
	free(b->prompt_hashes);
	free(b->device);
	free(b->status);
	memset(b, 0, sizeof *b);
}

void store_briefings_free(struct store_briefing *b, size_t n)
{
	if (!b)
		return;
	for (size_t i = 0; i < n; i++)
		store_briefing_clear(&b[i]);
	free(b);
}

const char *store_path(struct store *st)
{
	const char *p = st && st->db ? sqlite3_db_filename(st->db, "main") : NULL;
	return p ? p : "";
}

static int step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	return rc == SQLITE_DONE ? STORE_OK : store_rc(rc);
}

static int insert_story(struct store *st, int64_t bid, const struct store_briefing_story *s)
{
	int err = STORE_OK;
	sqlite3_stmt *q = store_stmt(st,
		"INSERT INTO briefing_stories(briefing_id, rank, kind, section, section_emoji,"
		" headline, body, score, flagged, flag_reason)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", &err);
	if (!q)
		return err;
	sqlite3_bind_int64(q, 1, bid);
	sqlite3_bind_int(q, 2, s->rank);
	if ((err = store_bind_text(q, 3, s->kind ? s->kind : "story")) ||
	    (err = store_bind_text(q, 4, s->section)) || (err = store_bind_text(q, 5, s->emoji)) ||
	    (err = store_bind_text(q, 6, s->headline)) || (err = store_bind_text(q, 7, s->body)))
		goto done;
	sqlite3_bind_double(q, 8, s->score);
	sqlite3_bind_int(q, 9, s->flagged != 0);
	if ((err = store_bind_text(q, 10, s->flag_reason)))
		goto done;
	err = step_done(q);
	int64_t sid = sqlite3_last_insert_rowid(st->db);
	store_stmt_done(q);
	if (err)
		return err;
	for (size_t j = 0; j < s->n_src && !err; j++) {
		const struct store_briefing_source *r = &s->src[j];
		q = store_stmt(st,
			"INSERT INTO story_sources(story_id, pos, item_id, feed_title, feed_url,"
			" title, link, published)"
			" VALUES (?1, ?2, (SELECT id FROM items WHERE id = ?3), ?4, ?5, ?6, ?7, ?8)", &err);
		if (!q)
			return err;
		sqlite3_bind_int64(q, 1, sid);
		sqlite3_bind_int64(q, 2, (int64_t)j);
		sqlite3_bind_int64(q, 3, r->item_id);
		if (!(err = store_bind_text(q, 4, r->feed_title)) &&
		    !(err = store_bind_text(q, 5, r->feed_url)) &&
		    !(err = store_bind_text(q, 6, r->title)) &&
		    !(err = store_bind_text(q, 7, r->link))) {
			sqlite3_bind_int64(q, 8, r->published);
			err = step_done(q);
		}
		store_stmt_done(q);
	}
	return err;
done:
	store_stmt_done(q);
	return err;
}

int store_briefing_insert(struct store *st, const struct store_briefing *b, int64_t *id)
{
	int err = STORE_OK, outer = 0;
	int64_t bid = 0;

	if (id)
		*id = 0;
	if (!st || !b || util_str_empty(b->edition) || util_str_empty(b->backend))
		return STORE_ERR_ARG;
	if ((err = store_unit_begin(st, &outer)))
		return err;
	sqlite3_stmt *q = store_stmt(st,
		"INSERT INTO briefings(created, edition, edition_date, style, tagline, assessment,"
		" bottom_line, assessment_flag, backend, model, model_hash, window_start, window_end,"
		" prompt_hashes, prompt_tokens, completion_tokens, seconds_plan, seconds_write,"
		" seconds_total, status, passes, pass_tokens, prefill_tokens, bytes_streamed,"
		" seconds_prefill, seconds_decode, seconds_wait, device, layout, draft_model,"
		" spec_rounds, spec_drafted, spec_accepted, spec_tokens)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		" ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32,"
		" ?33, ?34)", &err);
	if (!q)
		goto out;
	sqlite3_bind_int64(q, 1, b->created ? b->created : util_time_now());
	if ((err = store_bind_text(q, 2, b->edition)) ||
	    (err = store_bind_text(q, 3, b->edition_date ? b->edition_date : "")) ||
	    (err = store_bind_text(q, 4, b->style ? b->style : "secretary")) ||
	    (err = store_bind_text(q, 5, b->tagline)) || (err = store_bind_text(q, 6, b->assessment)) ||
	    (err = store_bind_text(q, 7, b->bottom_line)) ||
	    (err = store_bind_text(q, 8, b->assessment_flag)) ||
	    (err = store_bind_text(q, 9, b->backend)) || (err = store_bind_text(q, 10, b->model)) ||
	    (err = store_bind_text(q, 11, b->model_hash))) {
		store_stmt_done(q);
		goto out;
	}
	sqlite3_bind_int64(q, 12, b->window_start);
	sqlite3_bind_int64(q, 13, b->window_end);
	if ((err = store_bind_text(q, 14, b->prompt_hashes))) {
		store_stmt_done(q);
		goto out;
	}
	sqlite3_bind_int64(q, 15, b->prompt_tokens);
	sqlite3_bind_int64(q, 16, b->completion_tokens);
	sqlite3_bind_double(q, 17, b->seconds_plan);
	sqlite3_bind_double(q, 18, b->seconds_write);
	sqlite3_bind_double(q, 19, b->seconds_total);
	sqlite3_bind_int64(q, 21, b->passes);
	sqlite3_bind_int64(q, 22, b->pass_tokens);
	sqlite3_bind_int64(q, 23, b->prefill_tokens);
	sqlite3_bind_int64(q, 24, b->bytes_streamed);
	sqlite3_bind_double(q, 25, b->seconds_prefill);
	sqlite3_bind_double(q, 26, b->seconds_decode);
	sqlite3_bind_double(q, 27, b->seconds_wait);
	sqlite3_bind_int64(q, 31, b->spec_rounds);
	sqlite3_bind_int64(q, 32, b->spec_drafted);
	sqlite3_bind_int64(q, 33, b->spec_accepted);
	sqlite3_bind_int64(q, 34, b->spec_tokens);
	if ((err = store_bind_text(q, 20, b->status ? b->status : "ok")) ||
	    (err = store_bind_text(q, 28, util_str_empty(b->device) ? NULL : b->device)) ||
	    (err = store_bind_text(q, 29, util_str_empty(b->layout) ? NULL : b->layout)) ||
	    (err = store_bind_text(q, 30, util_str_empty(b->draft_model) ? NULL : b->draft_model))) {
		store_stmt_done(q);
		goto out;
	}
	err = step_done(q);
	bid = sqlite3_last_insert_rowid(st->db);
	store_stmt_done(q);
	for (size_t i = 0; i < b->n_stories && !err; i++)
		err = insert_story(st, bid, &b->stories[i]);
out:
	{
		int e2 = store_unit_end(st, outer, err == STORE_OK);
		if (!err)
			err = e2;
	}
	if (!err && id)
		*id = bid;
	return err;
}

#define BRIEFING_COLS \
	"id, created, edition, edition_date, style, tagline, assessment, bottom_line," \
	" assessment_flag, backend, model, model_hash, window_start, window_end," \
	" prompt_hashes, prompt_tokens, completion_tokens, seconds_plan, seconds_write," \
	" seconds_total, status," \
	" (SELECT count(*) FROM briefing_stories s WHERE s.briefing_id = briefings.id)," \
	" passes, pass_tokens, prefill_tokens, bytes_streamed, seconds_prefill, seconds_decode," \
	" seconds_wait, device, layout, draft_model, spec_rounds, spec_drafted, spec_accepted," \
	" spec_tokens"

static int read_briefing(sqlite3_stmt *q, struct store_briefing *b)
{
	int nomem = 0;
	memset(b, 0, sizeof *b);
	b->id = sqlite3_column_int64(q, 0);
	b->created = sqlite3_column_int64(q, 1);
	b->edition = store_col_dup(q, 2, &nomem);
	b->edition_date = store_col_dup(q, 3, &nomem);
	b->style = store_col_dup(q, 4, &nomem);
	b->tagline = store_col_dup(q, 5, &nomem);
	b->assessment = store_col_dup(q, 6, &nomem);
	b->bottom_line = store_col_dup(q, 7, &nomem);
	b->assessment_flag = store_col_dup(q, 8, &nomem);
	b->backend = store_col_dup(q, 9, &nomem);
	b->model = store_col_dup(q, 10, &nomem);
	b->model_hash = store_col_dup(q, 11, &nomem);
	b->window_start = sqlite3_column_int64(q, 12);
	b->window_end = sqlite3_column_int64(q, 13);
	b->prompt_hashes = store_col_dup(q, 14, &nomem);
	b->prompt_tokens = sqlite3_column_int64(q, 15);
	b->completion_tokens = sqlite3_column_int64(q, 16);
	b->seconds_plan = sqlite3_column_double(q, 17);
	b->seconds_write = sqlite3_column_double(q, 18);
	b->seconds_total = sqlite3_column_double(q, 19);
	b->status = store_col_dup(q, 20, &nomem);
	b->n_stories = (size_t)sqlite3_column_int64(q, 21);
	b->passes = sqlite3_column_int64(q, 22);
	b->pass_tokens = sqlite3_column_int64(q, 23);
	b->prefill_tokens = sqlite3_column_int64(q, 24);
	b->bytes_streamed = sqlite3_column_int64(q, 25);
	b->seconds_prefill = sqlite3_column_double(q, 26);
	b->seconds_decode = sqlite3_column_double(q, 27);
	b->seconds_wait = sqlite3_column_double(q, 28);
	b->device = store_col_dup(q, 29, &nomem);
	b->layout = store_col_dup(q, 30, &nomem);
	b->draft_model = store_col_dup(q, 31, &nomem);
	b->spec_rounds = sqlite3_column_int64(q, 32);
	b->spec_drafted = sqlite3_column_int64(q, 33);
	b->spec_accepted = sqlite3_column_int64(q, 34);
	b->spec_tokens = sqlite3_column_int64(q, 35);
	if (nomem) {
		b->n_stories = 0;
		store_briefing_clear(b);
		return STORE_ERR_NOMEM;
	}
	return STORE_OK;
}

static int read_sources(struct store *st, struct store_briefing_story *s)
{
	int err = STORE_OK, rc;
	size_t cap = 0;
	sqlite3_stmt *q = store_stmt(st,
		"SELECT coalesce(item_id, 0), feed_title, feed_url, title, link, published"
		" FROM story_sources WHERE story_id = ?1 ORDER BY pos", &err);
	if (!q)
		return err;
	sqlite3_bind_int64(q, 1, s->id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (s->n_src == cap) {
			size_t nc = cap ? cap * 2 : 4;
			struct store_briefing_source *n = realloc(s->src, nc * sizeof *n);
			if (!n) {
				err = STORE_ERR_NOMEM;
				break;
			}
			s->src = n;
			cap = nc;
		}
		struct store_briefing_source *r = &s->src[s->n_src];
		int nomem = 0;
		memset(r, 0, sizeof *r);
		s->n_src++;
		r->item_id = sqlite3_column_int64(q, 0);
		r->feed_title = store_col_dup(q, 1, &nomem);
		r->feed_url = store_col_dup(q, 2, &nomem);
		r->title = store_col_dup(q, 3, &nomem);
		r->link = store_col_dup(q, 4, &nomem);
		r->published = sqlite3_column_int64(q, 5);
		if (nomem) {
			err = STORE_ERR_NOMEM;
			break;
		}
	}
	if (!err && rc != SQLITE_DONE)
		err = store_rc(rc);
	store_stmt_done(q);
	return err;
}

static int read_stories(struct store *st, struct store_briefing *b)
{
	int err = STORE_OK, rc;
	size_t want = b->n_stories, n = 0;
	b->n_stories = 0;
	if (!want)
		return STORE_OK;
	b->stories = calloc(want, sizeof *b->stories);
	if (!b->stories)
		return STORE_ERR_NOMEM;
	sqlite3_stmt *q = store_stmt(st,
		"SELECT id, rank, kind, section, section_emoji, headline, body, score, flagged,"
		" flag_reason FROM briefing_stories WHERE briefing_id = ?1 ORDER BY rank, id", &err);
	if (!q)
		return err;
	sqlite3_bind_int64(q, 1, b->id);
	while (n < want && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_briefing_story *s = &b->stories[n++];
		int nomem = 0;
		b->n_stories = n;
		s->id = sqlite3_column_int64(q, 0);
		s->rank = sqlite3_column_int(q, 1);
		s->kind = store_col_dup(q, 2, &nomem);
		s->section = store_col_dup(q, 3, &nomem);
		s->emoji = store_col_dup(q, 4, &nomem);
		s->headline = store_col_dup(q, 5, &nomem);
		s->body = store_col_dup(q, 6, &nomem);
		s->score = sqlite3_column_double(q, 7);
		s->flagged = sqlite3_column_int(q, 8);
		s->flag_reason = store_col_dup(q, 9, &nomem);
		if (nomem) {
			err = STORE_ERR_NOMEM;
			break;
		}
	}
	if (!err && n < want && rc != SQLITE_DONE)
		err = store_rc(rc);
	store_stmt_done(q);
	for (size_t i = 0; i < b->n_stories && !err; i++)
		err = read_sources(st, &b->stories[i]);
	return err;
}

int store_briefing_get(struct store *st, int64_t id, struct store_briefing *out)
{
	int err = STORE_OK;
	if (!st || !out || id < 0)
		return STORE_ERR_ARG;
	memset(out, 0, sizeof *out);
	sqlite3_stmt *q = id
		? store_stmt(st, "SELECT " BRIEFING_COLS " FROM briefings WHERE id = ?1", &err)
		: store_stmt(st, "SELECT " BRIEFING_COLS " FROM briefings"
				 " ORDER BY created DESC, id DESC LIMIT 1", &err);
	if (!q)
		return err;
	if (id)
		sqlite3_bind_int64(q, 1, id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		err = read_briefing(q, out);
	else
		err = rc == SQLITE_DONE ? STORE_ERR_NOT_FOUND : store_rc(rc);
	store_stmt_done(q);
	if (!err)
		err = read_stories(st, out);
	if (err)
		store_briefing_clear(out);
	return err;
}

static int read_briefing_row(sqlite3_stmt *s, void *row)
{
	return read_briefing(s, row);
}

static void free_briefing_rows(void *rows, size_t n)
{
	store_briefings_free(rows, n);
}

int store_briefing_list(struct store *st, size_t limit, struct store_briefing **out, size_t *n)
{
	int err = STORE_OK;

	if (!st || !out || !n)
		return STORE_ERR_ARG;
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = store_stmt(st, "SELECT " BRIEFING_COLS " FROM briefings"
				     " ORDER BY created DESC, id DESC LIMIT ?1", &err);
	if (!q)
		return err;
	sqlite3_bind_int64(q, 1, limit ? (int64_t)limit : -1);
	return store_rows_collect(q, sizeof(struct store_briefing), read_briefing_row,
				  free_briefing_rows, (void **)out, n);
}

int store_briefing_last_window(struct store *st, int64_t *t)
{
	int err = STORE_OK;
	if (!st || !t)
		return STORE_ERR_ARG;
	*t = 0;
	sqlite3_stmt *q = store_stmt(st, "SELECT max(window_end) FROM briefings", &err);
	if (!q)
		return err;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*t = sqlite3_column_int64(q, 0);
	else
		err = store_rc(rc);
	store_stmt_done(q);
	return err;
}

int store_briefing_delete(struct store *st, int64_t id)
{
	int err = STORE_OK;
	if (!st || id <= 0)
		return STORE_ERR_ARG;
	sqlite3_stmt *q = store_stmt(st, "DELETE FROM briefings WHERE id = ?1", &err);
	if (!q)
		return err;
	sqlite3_bind_int64(q, 1, id);
	err = step_done(q);
	if (!err && sqlite3_changes(st->db) == 0)
		err = STORE_ERR_NOT_FOUND;
	store_stmt_done(q);
	return err;
}
