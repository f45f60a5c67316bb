/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sched.h - the deterministic scheduler of simulated threads (`thread NAME:`
 * blocks of a scenario, `p2psim run --explore`; docs/scenario.md).
 *
 * A run of the scheduler executes a set of simulated threads one at a time:
 * each has its own host pthread (so a thread can be stopped in the middle of
 * kernel code, at a lock or a preemption point, and resumed later), and a
 * baton handed over under one mutex guarantees that exactly one of them
 * executes simulation code at any moment. Everything the simulation does is
 * therefore serialised and, since every decision below is a pure function of
 * what happened before, deterministic: the same script gives the same run.
 *
 * Scheduling points: a running thread calls sched_point() where another
 * thread could run (a step boundary, a dmabuf_preempt() point, a lock
 * acquisition) and sched_block() where it must wait for a condition. At
 * each point the scheduler computes the runnable threads (not finished; a
 * blocked one only once its condition holds). When two or more could run it
 * is a *choice point*: numbered from 0 over the life of the struct sched
 * (all thread sets it runs), recorded (runnable set, the thread that was
 * running, the one chosen, where), and decided by the script callback or,
 * when that has no opinion, by the policy. When no thread can run but some
 * are blocked, one blocked thread is told -EDEADLK (the caller of
 * sched_block() if it is the one blocking, else the lowest blocked slot) and
 * continues: the model records the hang as it does without a scheduler.
 *
 * Owned here: struct sched, its pthreads, the recorded choices.
 * Threads are named by the caller's ids: a run of n threads has the ids
 * base .. base + n - 1 and the slots 0 .. n - 1.
 */
#ifndef P2PSIM_SIM_SCHED_SCHED_H
#define P2PSIM_SIM_SCHED_SCHED_H

#include <stdbool.h>
#include <stddef.h>

#include "models/types.h"

#define SCHED_MAX_THREADS 64 /* threads in one run (a u64 mask) */

/* What to run when the script does not say. */
enum sched_policy {
	/* at every step boundary, the next runnable thread after the current one */
	SCHED_ROUND_ROBIN,
	/* a thread runs until it finishes or blocks (no preemption) */
	SCHED_SERIAL,
};

enum sched_point_kind {
	SCHED_POINT_START, /* a run starts: which thread goes first */
	SCHED_POINT_STEP, /* the current thread is between two steps */
	SCHED_POINT_YIELD, /* inside a step: a preemption point or a lock acquisition */
	SCHED_POINT_BLOCK, /* the current thread waits (not runnable) */
	SCHED_POINT_EXIT, /* the current thread finished */
};

/* One recorded choice point (two or more threads could run). */
struct sched_choice {
	u64 runnable; /* bit i: slot i could run */
	int base; /* id of slot 0 */
	int current; /* slot that reached the point, -1 at START */
	int chosen; /* slot that ran next */
	enum sched_point_kind kind;
	const char *point; /* static name of the point ("step", a lock, a preempt point) */
	int line; /* what the current thread was executing (caller-provided) */
};

/* Is @c a preemption: the current thread could have gone on, another was chosen? */
static inline bool sched_choice_preempts(const struct sched_choice *c, int chosen)
{
	return c->current >= 0 && (c->runnable & (1ULL << c->current)) && chosen != c->current;
}

struct sched;

struct sched_ops {
	void *ctx;
	/*
	 * The script: the slot to run at choice point @index, or -1 to let the
	 * policy decide. A slot that is not runnable is a mismatch (recorded,
	 * see sched_mismatch()); the policy decides instead. May be NULL.
	 */
	int (*script)(void *ctx, size_t index, const struct sched_choice *c);
	/*
	 * Called before thread @to (an id) runs, @from (an id, or -1 at the
	 * start of a run) having stopped; the simulation is paused while it
	 * runs. The place to set sys->current_thread. May be NULL.
	 */
	void (*switch_to)(void *ctx, int from, int to);
};

/* A thread body: runs on its own pthread, calls sched_point / sched_block. */
typedef void (*sched_thread_fn)(struct sched *s, int id, void *arg);

/* NULL on allocation failure. */
struct sched *sched_new(enum sched_policy policy, const struct sched_ops *ops);
void sched_free(struct sched *s);

/*
 * Run @n threads (ids @base ..), thread i running @fn(s, base + i, args[i]),
 * until every one finished. Returns 0, -EINVAL (n is 0 or too large, or
 * called from a thread of @s) or a negative errno when a pthread could not be
 * created (then nothing ran).
 */
int sched_run(struct sched *s, int base, size_t n, sched_thread_fn fn, void *const *args);

/* Inside a run: the id of the thread running now; -1 outside a run. */
int sched_current(const struct sched *s);

/* A scheduling point of the running thread (@kind STEP or YIELD). */
void sched_point(struct sched *s, enum sched_point_kind kind, const char *point, int line);

/*
 * The running thread waits until @cond(@arg) holds: 0 once it does (other
 * threads ran meanwhile), -EDEADLK when no thread can make progress. Returns
 * 0 at once when the condition already holds.
 */
int sched_block(struct sched *s, bool (*cond)(const void *arg), const void *arg, const char *what,
		int line);

/* The choice points recorded so far, in order. */
size_t sched_nr_choices(const struct sched *s);
const struct sched_choice *sched_choice(const struct sched *s, size_t i);
/* Times a blocked thread was told -EDEADLK. */
unsigned int sched_deadlocks(const struct sched *s);
/* The first choice point whose scripted slot was not runnable, or -1. */
long sched_mismatch(const struct sched *s);
/* True when a choice could not be recorded (out of memory): the record is incomplete. */
bool sched_lost_choices(const struct sched *s);

/* What @policy picks at @c (never -1 when @c->runnable is not empty). */
int sched_policy_pick(enum sched_policy policy, const struct sched_choice *c);

#endif /* P2PSIM_SIM_SCHED_SCHED_H */
