/* The worker: feed_update_run or brief_generate in its own thread on its
 * own database connection (SQLite in WAL mode: the UI keeps reading
 * meanwhile). Progress
 * is copied under a mutex and announced by a byte on a pipe the UI loop
 * polls; the worker never touches curses. Signals stay with the UI thread. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "tui/tui_int.h"

static void wake(struct tui_job *j)
{
	char c = 'p';
	ssize_t r = write(j->wake_fd, &c, 1); /* non-blocking: a full pipe is awake enough */
	(void)r;
}

static void on_progress(void *ctx, const struct feed_update_progress *p)
{
	struct tui_job *j = ctx;

	pthread_mutex_lock(&j->mu);
	j->p = *p;
	j->p.feed_url = NULL;
	j->p.error = NULL;
	j->p.warning = NULL;
	if (p->error)
		snprintf(j->last_error, sizeof j->last_error, "%s: %s",
			 p->feed_url ? p->feed_url : "?", p->error);
	pthread_mutex_unlock(&j->mu);
	wake(j);
}

static void on_brief_progress(void *ctx, const struct brief_progress *p)
{
	struct tui_job *j = ctx;

	pthread_mutex_lock(&j->mu);
	j->gp = *p;
	j->gp.stage = NULL;
	snprintf(j->stage, sizeof j->stage, "%s", p->stage ? p->stage : "");
	pthread_mutex_unlock(&j->mu);
	wake(j);
}

static void generate(struct tui_job *j, struct store *st)
{
	struct brief_opts o = j->gen_opts;
	char *err = NULL;
	int64_t id = 0;

	o.cancel = &j->cancel;
	o.dry_run = 0;
	int rc = brief_generate(st, &o, on_brief_progress, j, &id, NULL, &err);
	pthread_mutex_lock(&j->mu);
	j->result = rc;
	j->gen_id = id;
	if (rc != BRIEF_OK)
		snprintf(j->last_error, sizeof j->last_error, "%s", err ? err : brief_strerror(rc));
	j->finished = 1;
	pthread_mutex_unlock(&j->mu);
	free(err);
}

static void *job_main(void *arg)
{
	struct tui_job *j = arg;
	struct store *st = NULL;
	char *msg = NULL;
	struct feed_update_progress sum;
	int rc;

	memset(&sum, 0, sizeof sum);
	rc = store_open(j->db_path, &st, &msg);
	if (rc != STORE_OK) {
		pthread_mutex_lock(&j->mu);
		snprintf(j->last_error, sizeof j->last_error, "cannot open the database: %s",
			 msg ? msg : store_strerror(rc));
		j->result = j->kind == TUI_JOB_GENERATE ? BRIEF_ERR_STORE : FEED_ERR_STORE;
		j->finished = 1;
		pthread_mutex_unlock(&j->mu);
		free(msg);
		wake(j);
		return NULL;
	}
	if (j->kind == TUI_JOB_GENERATE) {
		generate(j, st);
		store_close(st);
		wake(j);
		return NULL;
	}
	struct feed_update_opts o = j->opts;
	o.fetch.cancel = &j->cancel;
	if (j->one_id) {
		o.ids = &j->one_id;
		o.n_ids = 1;
		o.force = 1;
	} else {
		o.ids = NULL;
		o.n_ids = 0;
	}
	rc = feed_update_run(st, &o, on_progress, j, &sum);
	store_close(st);
	pthread_mutex_lock(&j->mu);
	j->p = sum;
	j->p.feed_url = j->p.error = j->p.warning = NULL;
	j->result = rc;
	j->finished = 1;
	pthread_mutex_unlock(&j->mu);
	wake(j);
	return NULL;
}

int tui_job_start(struct tui_job *j)
{
	sigset_t all, old;

	if (j->running)
		return -1;
	j->cancel = 0;
	j->finished = 0;
	j->result = 0;
	j->last_error[0] = '\0';
	j->stage[0] = '\0';
	j->gen_id = 0;
	memset(&j->p, 0, sizeof j->p);
	memset(&j->gp, 0, sizeof j->gp);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&j->thread, NULL, job_main, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -1;
	j->running = 1;
	return 0;
}

void tui_job_cancel(struct tui_job *j)
{
	j->cancel = 1;
}

int tui_job_reap(struct tui_job *j)
{
	int fin;

	if (!j->running)
		return 0;
	pthread_mutex_lock(&j->mu);
	fin = j->finished;
	pthread_mutex_unlock(&j->mu);
	if (!fin)
		return 0;
	pthread_join(j->thread, NULL);
	j->running = 0;
	return 1;
}
