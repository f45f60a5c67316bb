// SPDX-License-Identifier: GPL-2.0-only
/*
 * sched.c - the deterministic scheduler (sched.h).
 *
 * Mechanism: one host pthread per simulated thread and a baton. s->running
 * is the slot allowed to execute; every other thread of the run sleeps on
 * its own condition variable until the baton comes to it, and the thread
 * that calls sched_run() sleeps until every thread finished. The baton only
 * moves inside decide(), called with s->mu held by the thread that holds it,
 * so the simulation state is touched by one thread at a time and the mutex
 * hand-over orders every access (no data race, also for TSan). Plain
 * pthreads keep ASan, UBSan and LSan working without fiber annotations.
 *
 * Invariant: while a run is active exactly one of {a thread of the run,
 * nobody (all finished)} holds the baton, and decide() is a pure function of
 * the recorded history, the script and the policy.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sched/sched.h"

struct sched_thread {
	struct sched *s;
	int slot;
	pthread_t tid;
	pthread_cond_t cv;
	bool created;
	bool finished;
	bool blocked; /* waiting for cond(cond_arg) */
	bool deadlocked; /* told -EDEADLK when it wakes */
	bool (*cond)(const void *arg);
	const void *cond_arg;
	void *arg;
};

struct sched {
	enum sched_policy policy;
	struct sched_ops ops;
	pthread_mutex_t mu;
	pthread_cond_t done_cv; /* the caller of sched_run() waits here */
	bool active;
	bool cancel; /* sched_run() failed to start: threads exit at once */
	int running; /* slot holding the baton, -1 none */
	int base;
	size_t nr_threads;
	struct sched_thread *threads;
	sched_thread_fn fn;

	struct sched_choice *choices;
	size_t nr_choices, cap_choices;
	size_t nr_index; /* choice points met (== nr_choices unless lost) */
	unsigned int deadlocks;
	long mismatch;
	bool lost; /* a choice could not be recorded (out of memory) */
};

struct sched *sched_new(enum sched_policy policy, const struct sched_ops *ops)
{
	struct sched *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->policy = policy;
	if (ops)
		s->ops = *ops;
	s->running = -1;
	s->mismatch = -1;
	if (pthread_mutex_init(&s->mu, NULL)) {
		free(s);
		return NULL;
	}
	if (pthread_cond_init(&s->done_cv, NULL)) {
		pthread_mutex_destroy(&s->mu);
		free(s);
		return NULL;
	}
	return s;
}

void sched_free(struct sched *s)
{
	if (!s)
		return;
	pthread_cond_destroy(&s->done_cv);
	pthread_mutex_destroy(&s->mu);
	free(s->choices);
	free(s);
}

/* --- policy -------------------------------------------------------------------- */

/* The first runnable slot after @from, cyclically (@from -1: from slot 0). */
static int next_after(u64 runnable, int from)
{
	for (int k = 1; k <= SCHED_MAX_THREADS; k++) {
		int i = (from + k) % SCHED_MAX_THREADS;

		if (i >= 0 && (runnable & (1ULL << i)))
			return i;
	}
	return -1;
}

int sched_policy_pick(enum sched_policy policy, const struct sched_choice *c)
{
	bool can_go_on = c->current >= 0 && (c->runnable & (1ULL << c->current));

	if (policy == SCHED_ROUND_ROBIN && c->kind == SCHED_POINT_STEP)
		return next_after(c->runnable, c->current);
	if (can_go_on)
		return c->current;
	return next_after(c->runnable, c->current);
}

/* --- the baton ------------------------------------------------------------------ */

static void record(struct sched *s, const struct sched_choice *c)
{
	if (s->nr_choices == s->cap_choices) {
		size_t cap = s->cap_choices ? s->cap_choices * 2 : 64;
		struct sched_choice *n = realloc(s->choices, cap * sizeof(*n));

		if (!n) {
			s->lost = true; /* numbering goes on; the record is incomplete */
			return;
		}
		s->choices = n;
		s->cap_choices = cap;
	}
	s->choices[s->nr_choices++] = *c;
}

/*
 * Slot @cur reached a point of @kind: pick who runs next and hand the baton
 * over (s->mu held). Returns the slot chosen (-1: every thread finished).
 */
static int decide(struct sched *s, int cur, enum sched_point_kind kind, const char *point, int line)
{
	struct sched_choice c = {
		.base = s->base, .current = cur, .kind = kind, .point = point, .line = line
	};
	int next = -1, blocked = -1;

	for (size_t i = 0; i < s->nr_threads; i++) {
		struct sched_thread *t = &s->threads[i];

		if (t->finished)
			continue;
		if ((int)i == cur && kind == SCHED_POINT_BLOCK) {
			blocked = blocked < 0 ? (int)i : blocked;
			continue; /* its condition was just found false */
		}
		if (t->blocked && !t->cond(t->cond_arg)) {
			blocked = blocked < 0 || (int)i < blocked ? (int)i : blocked;
			continue;
		}
		c.runnable |= 1ULL << i;
	}
	if (!c.runnable && blocked >= 0) {
		/* nobody can make progress: one waiter gives up (the would-be hang) */
		next = kind == SCHED_POINT_BLOCK ? cur : blocked;
		s->threads[next].deadlocked = true;
		s->deadlocks++;
	} else if (c.runnable && !(c.runnable & (c.runnable - 1))) {
		next = __builtin_ctzll(c.runnable);
	} else if (c.runnable) {
		int want = s->ops.script ? s->ops.script(s->ops.ctx, s->nr_index, &c) : -1;

		if (want >= 0 && (want >= SCHED_MAX_THREADS || !(c.runnable & (1ULL << want)))) {
			if (s->mismatch < 0)
				s->mismatch = (long)s->nr_index;
			want = -1;
		}
		next = want >= 0 ? want : sched_policy_pick(s->policy, &c);
		c.chosen = next;
		record(s, &c);
		s->nr_index++;
	}
	if (next >= 0)
		s->threads[next].blocked = false;
	if (next >= 0 && next != cur && s->ops.switch_to)
		s->ops.switch_to(s->ops.ctx, cur >= 0 ? s->base + cur : -1, s->base + next);
	s->running = next;
	if (next >= 0)
		pthread_cond_signal(&s->threads[next].cv);
	else
		pthread_cond_signal(&s->done_cv);
	return next;
}

static void wait_baton(struct sched *s, struct sched_thread *t)
{
	while (s->running != t->slot && !s->cancel)
		pthread_cond_wait(&t->cv, &s->mu);
}

static void *thread_main(void *p)
{
	struct sched_thread *t = p;
	struct sched *s = t->s;

	pthread_mutex_lock(&s->mu);
	wait_baton(s, t);
	pthread_mutex_unlock(&s->mu);
	if (!s->cancel)
		s->fn(s, s->base + t->slot, t->arg);
	pthread_mutex_lock(&s->mu);
	t->finished = true;
	if (!s->cancel)
		decide(s, t->slot, SCHED_POINT_EXIT, "exit", 0);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static bool all_finished(const struct sched *s)
{
	for (size_t i = 0; i < s->nr_threads; i++)
		if (!s->threads[i].finished)
			return false;
	return true;
}

int sched_run(struct sched *s, int base, size_t n, sched_thread_fn fn, void *const *args)
{
	int ret = 0;

	if (!n || n > SCHED_MAX_THREADS || s->active)
		return -EINVAL;
	s->threads = calloc(n, sizeof(*s->threads));
	if (!s->threads)
		return -ENOMEM;
	s->nr_threads = n;
	s->base = base;
	s->fn = fn;
	s->cancel = false;
	s->running = -1;
	for (size_t i = 0; i < n; i++) {
		struct sched_thread *t = &s->threads[i];

		t->s = s;
		t->slot = (int)i;
		t->arg = args[i];
		ret = -pthread_cond_init(&t->cv, NULL);
		if (ret)
			break;
		ret = -pthread_create(&t->tid, NULL, thread_main, t);
		if (ret) {
			pthread_cond_destroy(&t->cv);
			break;
		}
		t->created = true;
	}
	pthread_mutex_lock(&s->mu);
	if (ret) {
		s->cancel = true;
		for (size_t i = 0; i < n; i++)
			if (s->threads[i].created)
				pthread_cond_signal(&s->threads[i].cv);
	} else {
		s->active = true;
		decide(s, -1, SCHED_POINT_START, "start", 0);
		while (!all_finished(s))
			pthread_cond_wait(&s->done_cv, &s->mu);
		s->active = false;
	}
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < n; i++) {
		if (!s->threads[i].created)
			continue;
		pthread_join(s->threads[i].tid, NULL);
		pthread_cond_destroy(&s->threads[i].cv);
	}
	free(s->threads);
	s->threads = NULL;
	s->nr_threads = 0;
	s->running = -1;
	return ret;
}

int sched_current(const struct sched *s)
{
	return s->active && s->running >= 0 ? s->base + s->running : -1;
}

void sched_point(struct sched *s, enum sched_point_kind kind, const char *point, int line)
{
	struct sched_thread *t;

	if (!s->active || s->running < 0)
		return;
	pthread_mutex_lock(&s->mu);
	t = &s->threads[s->running];
	decide(s, t->slot, kind, point, line);
	wait_baton(s, t);
	pthread_mutex_unlock(&s->mu);
}

int sched_block(struct sched *s, bool (*cond)(const void *arg), const void *arg, const char *what,
		int line)
{
	struct sched_thread *t;
	int ret;

	if (cond(arg))
		return 0;
	if (!s->active || s->running < 0)
		return -EDEADLK;
	pthread_mutex_lock(&s->mu);
	t = &s->threads[s->running];
	t->blocked = true;
	t->cond = cond;
	t->cond_arg = arg;
	decide(s, t->slot, SCHED_POINT_BLOCK, what, line);
	wait_baton(s, t);
	ret = t->deadlocked ? -EDEADLK : 0;
	t->deadlocked = false;
	t->blocked = false;
	pthread_mutex_unlock(&s->mu);
	return ret;
}

size_t sched_nr_choices(const struct sched *s)
{
	return s->nr_choices;
}

const struct sched_choice *sched_choice(const struct sched *s, size_t i)
{
	return i < s->nr_choices ? &s->choices[i] : NULL;
}

unsigned int sched_deadlocks(const struct sched *s)
{
	return s->deadlocks;
}

long sched_mismatch(const struct sched *s)
{
	return s->mismatch;
}

bool sched_lost_choices(const struct sched *s)
{
	return s->lost;
}
