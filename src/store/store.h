/* store — the SQLite archive: feeds, items (with FTS5), metadata.
 * Prepared statements only; schema versioned by PRAGMA user_version with
 * forward migrations (db.c). Never prints or exits. */
#ifndef BRIEFING_STORE_H
#define BRIEFING_STORE_H

#include <stddef.h>
#include <stdint.h>

enum store_err {
	STORE_OK = 0,
	STORE_ERR_NOMEM,
	STORE_ERR_OPEN,       /* cannot open/create the file */
	STORE_ERR_SQL,        /* sqlite said no; see store_errmsg */
	STORE_ERR_NOT_FOUND,
	STORE_ERR_EXISTS,     /* unique constraint (e.g. feed URL already present) */
	STORE_ERR_TOO_NEW,    /* database written by a newer briefing */
	STORE_ERR_ARG,
	STORE_ERR_BUSY,
};
const char *store_strerror(int err);

struct store;

/* Open (creating if needed, with parent directories) and migrate. path may
 * be ":memory:". On failure *out is NULL and *errmsg (if non-NULL) gets a
 * message the caller frees. */
int store_open(const char *path, struct store **out, char **errmsg);
void store_close(struct store *st);
const char *store_errmsg(struct store *st);          /* last sqlite message (store owns it) */
int store_schema_version(struct store *st);          /* PRAGMA user_version */
int store_schema_latest(void);

/* Transactions (BEGIN IMMEDIATE / COMMIT / ROLLBACK). */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);

/* Key/value metadata ("default_feeds_imported", ...). get: *out malloc'd or
 * NULL if absent. set: value NULL deletes the key. */
int store_meta_get(struct store *st, const char *key, char **out);
int store_meta_set(struct store *st, const char *key, const char *value);

/* ---- feeds (feeds.c) ---------------------------------------------------- */
struct store_feed {
	int64_t id;
	char *url;
	char *title;          /* NULL until known */
	char *site_url;
	char *category;
	char *etag;
	char *last_modified;
	int last_status;      /* HTTP status of the last fetch, 0 none */
	char *last_error;     /* NULL when the last fetch went well */
	int failures;         /* consecutive failures */
	int64_t next_fetch;   /* UTC seconds: not before this; 0 = any time */
	int64_t last_fetch;   /* UTC seconds of the last attempt, 0 never */
	int64_t last_success; /* UTC seconds, 0 never */
	int64_t added;
	int64_t item_count;   /* filled by store_feed_list/get */
	int64_t unread_count;
};
void store_feed_clear(struct store_feed *f);         /* frees the strings */
void store_feeds_free(struct store_feed *f, size_t n);

/* Add a feed. STORE_ERR_EXISTS (and *id = existing id) if the URL is there. */
int store_feed_add(struct store *st, const char *url, const char *title,
		   const char *site_url, const char *category, int64_t *id);
int store_feed_remove(struct store *st, int64_t id);  /* removes its items too */
/* get/find_url fill *out (caller frees with store_feed_clear); list gives a
 * malloc'd array (store_feeds_free). STORE_ERR_NOT_FOUND when absent. */
int store_feed_get(struct store *st, int64_t id, struct store_feed *out);
int store_feed_find_url(struct store *st, const char *url, struct store_feed *out);
int store_feed_list(struct store *st, struct store_feed **out, size_t *n); /* by id */

/* After a fetch attempt. Fields: url (new URL on permanent redirect, NULL =
 * unchanged; STORE_ERR_EXISTS if another feed has it), title/site_url (NULL =
 * unchanged), etag/last_modified (replaced, NULL clears, unless
 * keep_validators), status (-> last_status), error (NULL = success: failures
 * reset to 0, last_error cleared, last_success = fetched; else last_error =
 * error and failures = u->failures when > 0, else the stored count + 1),
 * next_fetch, fetched (-> last_fetch; 0 = now). STORE_ERR_NOT_FOUND if no
 * feed has the id. */
struct store_feed_update {
	const char *url;
	const char *title;
	const char *site_url;
	const char *etag;
	const char *last_modified;
	int keep_validators;  /* 1: leave etag/last_modified as they are */
	int status;
	const char *error;
	int failures;         /* new count on error; 0 = stored count + 1 */
	int warning;          /* 1: error is only a warning (e.g. ill-formed XML with
			       * entries recovered): kept in last_error, but the
			       * fetch counts as a success (failures reset) */
	int64_t next_fetch;
	int64_t fetched;
};
int store_feed_record_fetch(struct store *st, int64_t id, const struct store_feed_update *u);

/* ---- items (items.c) ---------------------------------------------------- */
struct store_item {
	int64_t id;
	int64_t feed_id;
	char *guid;
	char *url;
	char *url_norm;       /* normalised URL for dedupe (feed_url_normalize);
			       * NULL on upsert = use url as is */
	char *title;
	char *author;
	char *summary;        /* text */
	char *content;        /* text */
	char *hash;           /* hex of title+published (the last-resort dedupe key) */
	int64_t published;    /* UTC seconds (the fetch time if the feed gave none) */
	int undated;          /* upsert: the feed gave no date, published is "now":
			       * a row already stored keeps its date (first seen),
			       * and the hash leaves the date out */
	int64_t fetched;      /* first seen */
	int64_t updated;      /* last changed */
	int read;
	char *feed_title;     /* filled by queries */
};
void store_item_clear(struct store_item *it);
void store_items_free(struct store_item *it, size_t n);

enum store_upsert { STORE_ITEM_NEW = 1, STORE_ITEM_UPDATED, STORE_ITEM_UNCHANGED };
/* Insert or update: matched by (feed, guid); else (feed, normalised URL);
 * else (feed, hash of title+published). When the new item has a guid, the
 * URL and hash rules only match rows without one (two guids are never
 * merged; a row without a guid takes the new one). An item that reappears
 * with any of title, url, author, summary, content, published changed is
 * updated in place (FTS kept in step; fetched and read kept, updated set;
 * an undated item keeps the date it was first stored with, so fetching it
 * again changes nothing);
 * otherwise it is left alone. it->hash is computed if NULL. "Now" is
 * it->fetched, or util_time_now() when 0: a new row gets fetched = updated =
 * now; it->updated is ignored. Atomic (its own transaction, or a savepoint
 * inside the caller's). The item's id is written to *id (may be NULL).
 * Outcome in *outcome (may be NULL). STORE_ERR_NOT_FOUND: no such feed. */
int store_item_upsert(struct store *st, const struct store_item *it,
		      int64_t *id, enum store_upsert *outcome);
/* Fills *out (with feed_title); caller frees with store_item_clear. */
int store_item_get(struct store *st, int64_t id, struct store_item *out);
int store_item_set_read(struct store *st, int64_t id, int read);

struct store_item_query {
	int64_t since;        /* published >= since (0 = any) */
	int64_t until;        /* published < until (0 = any) */
	int64_t feed_id;      /* 0 = any */
	const char *search;   /* user words, quoted by store_fts_query; NULL or
			       * blank = none; no searchable word = no rows */
	int unread_only;
	size_t limit;         /* 0 = no limit */
	size_t offset;
};
/* Newest first (search: best match first). *out array, free with
 * store_items_free. */
int store_item_query(struct store *st, const struct store_item_query *q,
		     struct store_item **out, size_t *n);
int store_item_count(struct store *st, int64_t feed_id, int64_t *n); /* feed 0 = all */

/* Normalise a user's search words into a safe FTS5 query (each word quoted,
 * internal quotes doubled, implicit AND; a trailing * kept as prefix search;
 * words of ASCII punctuation only dropped). NULL when nothing searchable is
 * left (or out of memory). Caller frees. */
char *store_fts_query(const char *user);

/* ---- briefings (briefings.c) -------------------------------------------- *
 * A written briefing with its provenance. Every string is owned by the
 * struct (store_briefing_clear frees them); NULL where absent. */
struct store_briefing_source {
	int64_t item_id;      /* 0 once the item is gone */
	char *feed_title;     /* snapshot at generation time */
	char *feed_url;
	char *title;          /* the item's title */
	char *link;           /* the item's URL */
	int64_t published;
};

struct store_briefing_story {
	int64_t id;
	int rank;             /* 1-based, the order the briefing shows */
	char *kind;           /* "story" (full entry) or "shortlist" (one-liner) */
	char *section;        /* section name, NULL when the style has none */
	char *emoji;
	char *headline;
	char *body;
	double score;
	int flagged;          /* faithfulness check failed */
	char *flag_reason;
	struct store_briefing_source *src; /* (n_src) lead first */
	size_t n_src;
};

struct store_briefing {
	int64_t id;
	int64_t created;      /* UTC seconds */
	char *edition;        /* "morning", "evening" */
	char *edition_date;   /* the date line: "2026.02.21 — Evening (7:00 PM)" */
	char *style;          /* "secretary", "digest", "insights", a user style */
	char *layout;         /* "sections", "digest", "insights"; NULL when stored
			       * before the layout was kept (then derived) */
	char *tagline;
	char *assessment;     /* paragraphs separated by blank lines */
	char *bottom_line;
	char *assessment_flag;/* why the assessment failed its check, NULL = passed */
	char *backend;        /* "engine", "openai", "extractive" */
	char *model;
	char *model_hash;
	int64_t window_start, window_end; /* items published in [start, end) */
	char *prompt_hashes;  /* "system=HEX story=HEX ..." */
	int64_t prompt_tokens, completion_tokens;
	double seconds_plan, seconds_write, seconds_total;
	/* the engine's weight passes (one pass = every layer's weights once
	 * through the compute device); 0 and NULL for other backends */
	int64_t passes;
	int64_t pass_tokens;  /* tokens the passes carried: prompt tokens fed + tokens decoded */
	int64_t prefill_tokens; /* of which prompt tokens */
	int64_t bytes_streamed; /* weight bytes read from host RAM or the file, not resident */
	double seconds_prefill, seconds_decode; /* in passes with / without prompt tokens */
	double seconds_wait;  /* of both, waiting for streamed weights */
	char *device;         /* where the passes ran: "cpu", "cuda" */
	/* speculative decoding: the draft model (file name; NULL without one)
	 * and its rounds (each one weight pass of the model verifying the
	 * draft tokens of every running sequence), the draft tokens proposed
	 * and kept, and the tokens the rounds produced */
	char *draft_model;
	int64_t spec_rounds, spec_drafted, spec_accepted, spec_tokens;
	char *status;         /* "ok", or "flagged" when an entry or the assessment failed its check */
	struct store_briefing_story *stories; /* (n_stories) by rank */
	size_t n_stories;
};
void store_briefing_clear(struct store_briefing *b);
void store_briefings_free(struct store_briefing *b, size_t n);

/* Insert a whole briefing (stories and sources) in one transaction (or a
 * savepoint inside the caller's): all of it or nothing. b->id is ignored;
 * the new id goes to *id (may be NULL). b->created 0 = now. */
int store_briefing_insert(struct store *st, const struct store_briefing *b, int64_t *id);
/* Fill *out (caller frees with store_briefing_clear) with briefing id and
 * its stories and sources; id 0 = the latest. STORE_ERR_NOT_FOUND if none. */
int store_briefing_get(struct store *st, int64_t id, struct store_briefing *out);
/* Newest first, without stories (n_stories holds the count). limit 0 = all.
 * *out array, free with store_briefings_free. */
int store_briefing_list(struct store *st, size_t limit, struct store_briefing **out, size_t *n);
/* The end of the newest briefing's window (either edition); *t = 0 when
 * there is none. */
int store_briefing_last_window(struct store *st, int64_t *t);
int store_briefing_delete(struct store *st, int64_t id);
/* The database file's path ("" for :memory:). The store owns it. */
const char *store_path(struct store *st);

#endif
