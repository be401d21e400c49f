/* job.c - one long core call in a worker thread. The core's progress
 * callback only copies counters under a mutex; the main thread draws from
 * a snapshot of them, and asks for a stop through the core's cancel flag,
 * so the core always stops at one of its own safe points. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

static double since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static int on_progress(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
	struct job *j = ctx;
	pthread_mutex_lock(&j->mu);
	if (strcmp(j->stage, stage) != 0) {
		snprintf(j->stage, sizeof j->stage, "%s", stage);
		clock_gettime(CLOCK_MONOTONIC, &j->t_stage);
		if (j->nstages_seen < 8)
			snprintf(j->stages_seen[j->nstages_seen++], sizeof j->stages_seen[0], "%s", stage);
	}
	j->done = done;
	j->total = total;
	pthread_mutex_unlock(&j->mu);
	return 0;
}

void job_init(struct job *j, enum airlock_code (*run)(void *, const struct airlock_progress *,
    struct airlock_err *), void *arg)
{
	memset(j, 0, sizeof *j);
	j->run = run;
	j->arg = arg;
	pthread_mutex_init(&j->mu, NULL);
	airlock_err_init(&j->err);
	j->progress.fn = on_progress;
	j->progress.ctx = j;
	j->progress.cancel = &j->cancel;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct airlock_err err;
	airlock_err_init(&err);
	enum airlock_code rc = j->run(j->arg, &j->progress, &err);
	pthread_mutex_lock(&j->mu);
	j->rc = rc;
	j->err = err;
	j->finished = 1;
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

/* Signals must reach the main thread (which asks the operator), never the
 * worker in the middle of a core call: block them all while it starts so
 * it inherits a full mask. */
int job_start(struct job *j)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	clock_gettime(CLOCK_MONOTONIC, &j->t_start);
	j->t_stage = j->t_start;
	int rc = pthread_create(&j->thread, NULL, worker, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -1;
	j->started = 1;
	return 0;
}

void job_cancel(struct job *j)
{
	j->cancel = 1;
}

void job_snapshot(struct job *j, struct job_view *out)
{
	pthread_mutex_lock(&j->mu);
	memcpy(out->stage, j->stage, sizeof out->stage);
	out->done = j->done;
	out->total = j->total;
	out->finished = j->finished;
	out->elapsed = since(&j->t_start);
	out->stage_elapsed = since(&j->t_stage);
	memcpy(out->stages_seen, j->stages_seen, sizeof out->stages_seen);
	out->nstages_seen = j->nstages_seen;
	pthread_mutex_unlock(&j->mu);
}

int job_finished(struct job *j)
{
	pthread_mutex_lock(&j->mu);
	int f = j->finished;
	pthread_mutex_unlock(&j->mu);
	return f;
}

enum airlock_code job_join(struct job *j, struct airlock_err *err)
{
	if (!j->started)
		return AIRLOCK_OK;
	pthread_join(j->thread, NULL);
	j->started = 0;
	if (j->rc != AIRLOCK_OK && err != NULL)
		*err = j->err;
	return j->rc;
}

void job_destroy(struct job *j)
{
	if (j->started) {
		job_cancel(j);
		job_join(j, NULL);
	}
	pthread_mutex_destroy(&j->mu);
}
