/* update — fetch -> parse -> store, one transaction per feed.
 *
 * Each feed's outcome is written as one unit (BEGIN IMMEDIATE; every entry
 * upserted; the fetch recorded; COMMIT), so a run killed half way keeps every
 * feed it finished and never half of one. What a feed's outcome does:
 *
 *   200 (or file://) and a feed   entries upserted; success (failures = 0,
 *                                 next_fetch = 0, new validators stored)
 *   304                           success; validators kept (or replaced by
 *                                 the ones the 304 carries)
 *   ill-formed XML, entries       entries stored; the parse error goes to
 *     recovered                   last_error as "ill-formed XML (N entries
 *                                 recovered): ..." as a warning: failures
 *                                 reset as for a success, and no
 *                                 backoff: next_fetch = 0. Reported as a
 *                                 warning, not an error.
 *   anything else (network,       previous items untouched; last_status,
 *     HTTP error, not a feed,     last_error, failures + 1, next_fetch =
 *     ill-formed with nothing     now + min(15 min * 2^(failures-1), 24 h),
 *     recovered, too big)         or later if Retry-After says so (capped
 *                                 at 7 days)
 *
 * A feed's title is filled from the document only while the stored one is
 * empty (a title given by the user or the OPML wins); site_url follows the
 * document. A permanent redirect (every hop 301/308) moves the stored URL,
 * unless another feed already has that URL. */
#include <stdlib.h>
#include <string.h>

#include "feed/feed.h"
#include "store/store.h"
#include "util/util.h"

#define BACKOFF_BASE   (15 * 60)
#define BACKOFF_MAX    (24 * 60 * 60)
#define RETRY_AFTER_MAX (7 * 24 * 60 * 60)

struct update {
	struct store *st;
	struct store_feed *all;      /* every feed (store_feed_list) */
	size_t n_all;
	struct store_feed **sel;     /* the ones fetched, parallel to reqs */
	struct feed_fetch_req *reqs;
	size_t n_sel;
	struct feed_update_progress p;
	feed_update_cb cb;
	void *ctx;
	volatile int stop;           /* set when the store fails: stop the run */
	volatile int *cancel;        /* the caller's flag (opts->fetch.cancel), may be NULL */
	int store_failed;
};

/* next_fetch after the failures-th consecutive failure. */
static int64_t backoff_until(int64_t now, int failures, int64_t retry_after)
{
	int64_t delay = BACKOFF_BASE;
	for (int i = 1; i < failures && delay < BACKOFF_MAX; i++)
		delay *= 2;
	if (delay > BACKOFF_MAX)
		delay = BACKOFF_MAX;
	int64_t next = now + delay;
	if (retry_after >= 0) {
		if (retry_after > RETRY_AFTER_MAX)
			retry_after = RETRY_AFTER_MAX;
		if (now + retry_after > next)
			next = now + retry_after;
	}
	return next;
}

/* Record the fetch; on a URL clash (the permanent URL belongs to another
 * feed) record it again without moving the URL. */
static int record(struct update *u, struct store_feed *fd, struct store_feed_update *su)
{
	int rc = store_feed_record_fetch(u->st, fd->id, su);
	if (rc == STORE_ERR_EXISTS && su->url) {
		su->url = NULL;
		rc = store_feed_record_fetch(u->st, fd->id, su);
	}
	return rc;
}

static int record_failure(struct update *u, struct store_feed *fd, int64_t now, long status,
			  const char *msg, int64_t retry_after)
{
	struct store_feed_update su = {
		.keep_validators = 1,
		.status = (int)status,
		.error = msg && *msg ? msg : "failed",
		.failures = fd->failures + 1,
		.next_fetch = backoff_until(now, fd->failures + 1, retry_after),
		.fetched = now,
	};
	return record(u, fd, &su);
}

/* The store refused (rc): roll back, say so on the feed if it still can,
 * and stop the run: a database that refuses one write will refuse the next.
 * A feed deleted while it was being fetched (STORE_ERR_NOT_FOUND) only
 * fails that feed. Returns the message (caller frees). */
static char *store_failure(struct update *u, struct store_feed *fd, int64_t now, int in_txn, int rc)
{
	if (rc == STORE_ERR_NOT_FOUND) {
		if (in_txn)
			store_rollback(u->st);
		return util_strdup("the feed was removed while it was being fetched");
	}
	char *msg = util_strfmt("database: %s", store_errmsg(u->st));
	if (in_txn)
		store_rollback(u->st);
	record_failure(u, fd, now, 0, msg, -1);
	u->store_failed = 1;
	u->stop = 1;
	return msg;
}

static int64_t entry_time(const struct feed_entry *e, int64_t now)
{
	if (e->published > 0)
		return e->published;
	if (e->updated > 0)
		return e->updated;
	return now;
}

/* Store a parsed document in one transaction. Returns NULL on success, or
 * the error message (caller frees). *warning gets the ill-formed note. */
static char *store_doc(struct update *u, struct store_feed *fd, const struct feed_fetch_result *res,
		       const struct feed_doc *doc, int64_t now, char **warning)
{
	size_t n_new = 0, n_upd = 0;
	char *note = NULL;

	int rc = store_begin(u->st);
	if (rc != STORE_OK)
		return store_failure(u, fd, now, 0, rc);
	for (size_t i = 0; i < doc->n_entries; i++) {
		const struct feed_entry *e = &doc->entries[i];
		struct store_item it = {
			.feed_id = fd->id,
			.guid = e->guid,
			.url = e->link,
			.url_norm = e->link ? feed_url_normalize(e->link) : NULL,
			.title = e->title,
			.author = e->author,
			.summary = e->summary,
			.content = e->content,
			.published = entry_time(e, now),
			.undated = e->published <= 0 && e->updated <= 0,
			.fetched = now,
		};
		enum store_upsert outcome = STORE_ITEM_UNCHANGED;
		rc = store_item_upsert(u->st, &it, NULL, &outcome);
		free(it.url_norm);
		if (rc != STORE_OK)
			return store_failure(u, fd, now, 1, rc);
		if (outcome == STORE_ITEM_NEW)
			n_new++;
		else if (outcome == STORE_ITEM_UPDATED)
			n_upd++;
	}

	struct store_feed_update su = {
		.url = res->permanent_url,
		.title = util_str_empty(fd->title) && !util_str_empty(doc->title) ? doc->title : NULL,
		.site_url = util_str_empty(doc->link) ? NULL : doc->link,
		.etag = res->etag,
		.last_modified = res->last_modified,
		.status = (int)res->status,
		.fetched = now,
	};
	if (!doc->well_formed) {
		note = util_strfmt("ill-formed XML (%zu entries recovered): %s", doc->n_entries,
				   doc->error ? doc->error : "parse error");
		su.error = note;
		su.warning = 1;
		su.next_fetch = 0;
	}
	if ((rc = record(u, fd, &su)) != STORE_OK || (rc = store_commit(u->st)) != STORE_OK) {
		free(note);
		return store_failure(u, fd, now, 1, rc);
	}
	u->p.new_items += n_new;
	u->p.updated_items += n_upd;
	*warning = note;
	return NULL;
}

static void on_fetched(void *ctx, const struct feed_fetch_req *req, const struct feed_fetch_result *res)
{
	struct update *u = ctx;
	size_t i = (size_t)(req - u->reqs);
	struct store_feed *fd;
	char *error = NULL, *warning = NULL;
	int64_t now;

	if (i >= u->n_sel || res->err == FEED_ERR_CANCELLED || u->stop)
		return;
	fd = u->sel[i];
	now = util_time_now();

	if (res->err != FEED_OK) {
		error = util_strdup(res->error ? res->error : feed_strerror(res->err));
		int rc = record_failure(u, fd, now, res->status, error, res->retry_after);
		if (rc != STORE_OK) {
			free(error);
			error = store_failure(u, fd, now, 0, rc);
		}
	} else if (res->status == 304) {
		struct store_feed_update su = {
			.url = res->permanent_url,
			.etag = res->etag ? res->etag : fd->etag,
			.last_modified = res->last_modified ? res->last_modified : fd->last_modified,
			.status = 304,
			.fetched = now,
		};
		int rc = record(u, fd, &su);
		if (rc != STORE_OK)
			error = store_failure(u, fd, now, 0, rc);
		else
			u->p.not_modified++;
	} else {
		struct feed_doc *doc = NULL;
		char *why = NULL;
		/* bounded (O(body) whatever the document holds), and given up
		 * within milliseconds when the run is cancelled */
		int prc = feed_parse_buffer_cancellable(res->body ? res->body : "", res->body_len,
							res->final_url ? res->final_url : req->url,
							res->charset, u->cancel, &u->stop, &doc, &why);
		if (prc == FEED_ERR_CANCELLED) {
			/* as if the transfer had been cancelled: nothing recorded */
			free(why);
			return;
		}
		if (prc != FEED_OK) {
			error = util_strfmt("not a feed: %s", why ? why : feed_strerror(prc));
		} else if (!doc->well_formed && doc->n_entries == 0) {
			error = util_strfmt("ill-formed XML, no entries recovered: %s",
					    doc->error ? doc->error : "parse error");
		} else {
			error = store_doc(u, fd, res, doc, now, &warning);
			prc = -1; /* recorded */
		}
		int rc;
		if (error && prc != -1 &&
		    (rc = record_failure(u, fd, now, res->status, error, -1)) != STORE_OK) {
			free(error);
			error = store_failure(u, fd, now, 0, rc);
		}
		free(why);
		feed_doc_free(doc);
	}

	u->p.done++;
	if (error)
		u->p.errors++;
	if (warning)
		u->p.warnings++;
	u->p.feed_id = fd->id;
	u->p.feed_url = fd->url;
	u->p.error = error;
	u->p.warning = warning;
	if (u->cb)
		u->cb(u->ctx, &u->p);
	u->p.error = NULL;
	u->p.warning = NULL;
	free(error);
	free(warning);
}

int feed_update_run(struct store *st, const struct feed_update_opts *opts,
		    feed_update_cb cb, void *ctx, struct feed_update_progress *out)
{
	struct update u = { .st = st, .cb = cb, .ctx = ctx, .cancel = opts ? opts->fetch.cancel : NULL };
	struct feed_fetch_opts fo;
	int rc = FEED_OK;

	if (out)
		memset(out, 0, sizeof *out);
	if (!st || !opts || (opts->n_ids && !opts->ids))
		return FEED_ERR_ARG;
	if (store_feed_list(st, &u.all, &u.n_all) != STORE_OK)
		return FEED_ERR_STORE;
	u.sel = calloc(u.n_all ? u.n_all : 1, sizeof *u.sel);
	u.reqs = calloc(u.n_all ? u.n_all : 1, sizeof *u.reqs);
	if (!u.sel || !u.reqs) {
		rc = FEED_ERR_NOMEM;
		goto out;
	}

	int64_t now = util_time_now();
	if (opts->ids) {
		/* Named feeds: fetched whatever their schedule, each once. */
		for (size_t k = 0; k < opts->n_ids; k++) {
			struct store_feed *fd = NULL;
			for (size_t j = 0; j < u.n_all && !fd; j++)
				if (u.all[j].id == opts->ids[k])
					fd = &u.all[j];
			if (!fd) {
				rc = FEED_ERR_ARG;
				goto out;
			}
			int dup = 0;
			for (size_t j = 0; j < u.n_sel; j++)
				dup |= u.sel[j] == fd;
			if (!dup)
				u.sel[u.n_sel++] = fd;
		}
	} else {
		for (size_t j = 0; j < u.n_all; j++) {
			if (!opts->force && u.all[j].next_fetch > now)
				u.p.skipped++;
			else
				u.sel[u.n_sel++] = &u.all[j];
		}
	}
	for (size_t j = 0; j < u.n_sel; j++) {
		u.reqs[j].id = u.sel[j]->id;
		u.reqs[j].url = u.sel[j]->url;
		u.reqs[j].etag = u.sel[j]->etag;
		u.reqs[j].last_modified = u.sel[j]->last_modified;
	}
	u.p.total = u.n_sel;

	fo = opts->fetch;
	fo.stop = &u.stop;
	int frc = feed_fetch_run(u.reqs, u.n_sel, &fo, on_fetched, &u);
	if (u.store_failed)
		rc = FEED_ERR_STORE;
	else if (frc != FEED_OK)
		rc = frc;
out:
	if (out) {
		*out = u.p;
		out->feed_id = 0;
		out->feed_url = NULL;
		out->error = NULL;
		out->warning = NULL;
	}
	store_feeds_free(u.all, u.n_all);
	free(u.sel);
	free(u.reqs);
	return rc;
}
