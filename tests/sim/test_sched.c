// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_sched.c - the deterministic scheduler (sim/sched/sched.h): policies,
 * choice recording, replay by script, determinism, and the dma-buf model's
 * blocking waits (locks, completions, stuck fences) turned into scheduling,
 * with -EDEADLK when no thread can make progress.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/sched/sched.h"
#include "src/dma-buf/dma-buf.h"

#define MAX_LOG 64

struct world {
	struct sched *s;
	struct dmabuf_sys sys;
	int log[MAX_LOG];
	size_t nr_log;
	int switches;
	/* the script: per choice index, a slot (-1 policy) */
	const int *script;
	size_t nr_script;
};

static void note(struct world *w, int id)
{
	if (w->nr_log < MAX_LOG)
		w->log[w->nr_log++] = id;
}

static int script_cb(void *ctx, size_t index, const struct sched_choice *c)
{
	struct world *w = ctx;

	(void)c;
	return index < w->nr_script ? w->script[index] : -1;
}

static void switch_cb(void *ctx, int from, int to)
{
	struct world *w = ctx;

	(void)from;
	w->sys.current_thread = to;
	w->switches++;
}

/* The dma-buf model's hooks, as the scenario runner installs them. */
static void preempt_hook(void *arg, const char *point)
{
	struct world *w = arg;

	sched_point(w->s, SCHED_POINT_YIELD, point, 0);
}

static int block_hook(void *arg, bool (*cond)(const void *), const void *cond_arg, const char *what)
{
	struct world *w = arg;

	return sched_block(w->s, cond, cond_arg, what, 0);
}

static void world_init(struct world *w, enum sched_policy policy)
{
	struct sched_ops ops = { .ctx = w, .script = script_cb, .switch_to = switch_cb };

	memset(w, 0, sizeof(*w));
	cr_assert_eq(dmabuf_sys_init(&w->sys, NULL, NULL, NULL, 0), 0);
	w->s = sched_new(policy, &ops);
	cr_assert(w->s);
	w->sys.preempt = preempt_hook;
	w->sys.preempt_arg = w;
	w->sys.block = block_hook;
	w->sys.block_arg = w;
}

static void world_fini(struct world *w)
{
	sched_free(w->s);
	dmabuf_sys_destroy(&w->sys);
}

static int run(struct world *w, size_t n, sched_thread_fn fn)
{
	void *args[SCHED_MAX_THREADS];

	for (size_t i = 0; i < n; i++)
		args[i] = w;
	return sched_run(w->s, 1, n, fn, args);
}

/* Three steps, logging the thread id and checking it is the current thread. */
static void three_steps(struct sched *s, int id, void *arg)
{
	struct world *w = arg;

	for (int i = 0; i < 3; i++) {
		if (i)
			sched_point(s, SCHED_POINT_STEP, "step", 10 * id + i);
		cr_assert_eq(sched_current(s), id);
		cr_assert_eq(w->sys.current_thread, id);
		note(w, id);
	}
}

Test(sched, round_robin_alternates_at_step_boundaries)
{
	struct world w;
	const int want[] = { 1, 2, 1, 2, 1, 2 };

	world_init(&w, SCHED_ROUND_ROBIN);
	cr_assert_eq(run(&w, 2, three_steps), 0);
	cr_assert_eq(w.nr_log, 6);
	cr_assert_arr_eq(w.log, want, sizeof(want));
	cr_assert_eq(sched_current(w.s), -1);
	world_fini(&w);
}

Test(sched, serial_runs_each_thread_to_its_end)
{
	struct world w;
	const int want[] = { 1, 1, 1, 2, 2, 2 };

	world_init(&w, SCHED_SERIAL);
	cr_assert_eq(run(&w, 2, three_steps), 0);
	cr_assert_arr_eq(w.log, want, sizeof(want));
	world_fini(&w);
}

Test(sched, records_every_choice_point)
{
	struct world w;
	const struct sched_choice *c;

	world_init(&w, SCHED_SERIAL);
	cr_assert_eq(run(&w, 2, three_steps), 0);
	/* start (2 runnable), then thread 1's two step points: 3 choices; 2 runs alone after */
	cr_assert_eq(sched_nr_choices(w.s), 3);
	c = sched_choice(w.s, 0);
	cr_assert_eq(c->kind, SCHED_POINT_START);
	cr_assert_eq(c->current, -1);
	cr_assert_eq(c->runnable, 3);
	cr_assert_eq(c->chosen, 0);
	cr_assert_eq(c->base, 1);
	c = sched_choice(w.s, 2);
	cr_assert_eq(c->kind, SCHED_POINT_STEP);
	cr_assert_eq(c->current, 0);
	cr_assert_eq(c->chosen, 0);
	cr_assert_eq(c->line, 12);
	cr_assert_str_eq(c->point, "step");
	cr_assert_not(sched_choice_preempts(c, 0));
	cr_assert(sched_choice_preempts(c, 1));
	cr_assert_null(sched_choice(w.s, 3));
	world_fini(&w);
}

Test(sched, a_script_drives_the_choices_and_replays)
{
	struct world w, again;
	const int script[] = { 1, 0, 0 }; /* thread 2 first, then 1 preempts it once */
	int first[MAX_LOG];
	size_t n;

	world_init(&w, SCHED_SERIAL);
	w.script = script;
	w.nr_script = 3;
	cr_assert_eq(run(&w, 2, three_steps), 0);
	cr_assert_eq(w.log[0], 2);
	cr_assert_eq(w.log[1], 1);
	cr_assert_eq(sched_mismatch(w.s), -1);
	memcpy(first, w.log, sizeof(first));
	n = w.nr_log;

	/* the recorded choices, fed back as a script, give the same run */
	{
		int rec[MAX_LOG];
		size_t k = sched_nr_choices(w.s);

		for (size_t i = 0; i < k; i++)
			rec[i] = sched_choice(w.s, i)->chosen;
		world_init(&again, SCHED_ROUND_ROBIN);
		again.script = rec;
		again.nr_script = k;
		cr_assert_eq(run(&again, 2, three_steps), 0);
		cr_assert_eq(again.nr_log, n);
		cr_assert_arr_eq(again.log, first, n * sizeof(int));
		world_fini(&again);
	}
	world_fini(&w);
}

Test(sched, a_script_naming_a_thread_that_cannot_run_is_a_mismatch)
{
	struct world w;
	const int script[] = { 0, 5 };

	world_init(&w, SCHED_SERIAL);
	w.script = script;
	w.nr_script = 2;
	cr_assert_eq(run(&w, 2, three_steps), 0);
	cr_assert_eq(sched_mismatch(w.s), 1);
	cr_assert_eq(w.nr_log, 6); /* the policy decided instead */
	world_fini(&w);
}

Test(sched, the_same_script_gives_the_same_run)
{
	for (int policy = SCHED_ROUND_ROBIN; policy <= SCHED_SERIAL; policy++) {
		struct world a, b;

		world_init(&a, (enum sched_policy)policy);
		world_init(&b, (enum sched_policy)policy);
		cr_assert_eq(run(&a, 3, three_steps), 0);
		cr_assert_eq(run(&b, 3, three_steps), 0);
		cr_assert_eq(a.nr_log, b.nr_log);
		cr_assert_arr_eq(a.log, b.log, a.nr_log * sizeof(int));
		cr_assert_eq(sched_nr_choices(a.s), sched_nr_choices(b.s));
		for (size_t i = 0; i < sched_nr_choices(a.s); i++)
			cr_assert_eq(sched_choice(a.s, i)->chosen, sched_choice(b.s, i)->chosen);
		world_fini(&a);
		world_fini(&b);
	}
}

Test(sched, several_runs_continue_the_numbering)
{
	struct world w;

	world_init(&w, SCHED_ROUND_ROBIN);
	cr_assert_eq(run(&w, 2, three_steps), 0);
	cr_assert_eq(sched_nr_choices(w.s), 5);
	cr_assert_eq(run(&w, 2, three_steps), 0);
	cr_assert_eq(sched_nr_choices(w.s), 10);
	cr_assert_eq(w.nr_log, 12);
	world_fini(&w);
}

Test(sched, bad_runs_are_refused)
{
	struct world w;

	world_init(&w, SCHED_SERIAL);
	cr_assert_eq(sched_run(w.s, 1, 0, three_steps, NULL), -EINVAL);
	cr_assert_eq(sched_run(w.s, 1, SCHED_MAX_THREADS + 1, three_steps, NULL), -EINVAL);
	/* outside a run, points are no-ops and a block that cannot proceed is a deadlock */
	sched_point(w.s, SCHED_POINT_STEP, "step", 0);
	world_fini(&w);
}

/* --- the dma-buf model's waits ------------------------------------------------- */

static struct sim_lock lock_a, lock_b;

/* Takes lock_a, yields inside (a preemption point), releases. */
static void holder(struct sched *s, int id, void *arg)
{
	struct world *w = arg;

	(void)s;
	cr_assert_eq(sim_lock_acquire(&lock_a, true), 0);
	note(w, id);
	dmabuf_preempt(&w->sys, "inside");
	note(w, id);
	sim_lock_release(&lock_a, true);
}

Test(sched, a_held_lock_blocks_until_released)
{
	struct world w;
	/* start: thread 1; its lock point: go on; at "inside" thread 2 runs */
	const int script[] = { 0, 0, 1 };

	world_init(&w, SCHED_SERIAL);
	sim_lock_init(&lock_a, &w.sys, "a", LOCK_CLASS_RESV);
	w.script = script;
	w.nr_script = 3;
	cr_assert_eq(run(&w, 2, holder), 0);
	/* thread 2 reached the busy lock, blocked; thread 1 finished; then 2 */
	{
		const int want[] = { 1, 1, 2, 2 };

		cr_assert_arr_eq(w.log, want, sizeof(want));
	}
	cr_assert_eq(w.sys.hangs, 0);
	cr_assert_eq(w.sys.warns, 0);
	cr_assert_eq(sched_deadlocks(w.s), 0);
	cr_assert_eq(lock_a.writer, -1);
	world_fini(&w);
}

/* Thread 1 takes a then b, thread 2 b then a: the classic ABBA. */
static void abba(struct sched *s, int id, void *arg)
{
	struct world *w = arg;
	struct sim_lock *first = id == 1 ? &lock_a : &lock_b;
	struct sim_lock *second = id == 1 ? &lock_b : &lock_a;
	int r1, r2;

	(void)s;
	r1 = sim_lock_acquire(first, true);
	dmabuf_preempt(&w->sys, "between");
	r2 = sim_lock_acquire(second, true);
	note(w, r1);
	note(w, r2);
	if (!r2)
		sim_lock_release(second, true);
	if (!r1)
		sim_lock_release(first, true);
}

Test(sched, abba_deadlock_is_reported_not_hung)
{
	struct world w;

	/* start: thread 1; its lock point "a": go on; at "between": thread 2 takes b */
	const int script[] = { 0, 0, 1 };

	world_init(&w, SCHED_SERIAL);
	sim_lock_init(&lock_a, &w.sys, "a", LOCK_CLASS_RESV);
	sim_lock_init(&lock_b, &w.sys, "b", LOCK_CLASS_RESV);
	w.script = script;
	w.nr_script = 3;
	cr_assert_eq(run(&w, 2, abba), 0);
	cr_assert_eq(sched_deadlocks(w.s), 1);
	cr_assert_eq(w.sys.hangs, 1);
	world_fini(&w);
}

Test(sched, abba_without_interleaving_is_clean)
{
	struct world w;

	world_init(&w, SCHED_SERIAL);
	sim_lock_init(&lock_a, &w.sys, "a", LOCK_CLASS_RESV);
	sim_lock_init(&lock_b, &w.sys, "b", LOCK_CLASS_RESV);
	cr_assert_eq(run(&w, 2, abba), 0);
	cr_assert_eq(sched_deadlocks(w.s), 0);
	cr_assert_eq(w.sys.hangs, 0);
	world_fini(&w);
}

static struct completion comp;
static struct dma_resv resv;
static int fence;

static void waiter(struct sched *s, int id, void *arg)
{
	struct world *w = arg;

	(void)s;
	if (id == 1) {
		wait_for_completion(&comp);
		note(w, 1);
	} else {
		note(w, 2);
		complete(&comp);
	}
}

Test(sched, wait_for_completion_waits_for_another_thread)
{
	struct world w;
	const int want[] = { 2, 1 };

	world_init(&w, SCHED_SERIAL);
	comp.sys = &w.sys;
	init_completion(&comp);
	cr_assert_eq(run(&w, 2, waiter), 0);
	cr_assert_arr_eq(w.log, want, sizeof(want));
	cr_assert_eq(w.sys.hangs, 0);
	cr_assert_eq(comp.done, 0);
	world_fini(&w);
}

Test(sched, a_completion_nobody_completes_is_a_hang)
{
	struct world w;

	world_init(&w, SCHED_SERIAL);
	comp.sys = &w.sys;
	init_completion(&comp);
	cr_assert_eq(run(&w, 1, waiter), 0); /* only the waiter */
	cr_assert_eq(w.sys.hangs, 1);
	cr_assert_eq(sched_deadlocks(w.s), 1);
	world_fini(&w);
}

static void fence_user(struct sched *s, int id, void *arg)
{
	struct world *w = arg;

	(void)s;
	if (id == 1) {
		cr_assert_eq(dma_resv_wait_timeout(&resv, DMA_RESV_USAGE_BOOKKEEP, false,
						   MAX_SCHEDULE_TIMEOUT, 1),
			     (long)MAX_SCHEDULE_TIMEOUT);
		note(w, 1);
	} else {
		note(w, 2);
		dma_fence_signal(&resv, fence);
	}
}

Test(sched, a_stuck_fence_waits_for_its_signal)
{
	struct world w;
	const int want[] = { 2, 1 };

	world_init(&w, SCHED_SERIAL);
	memset(&resv, 0, sizeof(resv));
	sim_lock_init(&resv.lock, &w.sys, "resv", LOCK_CLASS_RESV);
	w.sys.current_thread = 0;
	dma_resv_lock(&resv);
	fence = dma_resv_add_fence(&resv, DMA_RESV_USAGE_WRITE, true);
	dma_resv_unlock(&resv);
	cr_assert_eq(run(&w, 2, fence_user), 0);
	cr_assert_arr_eq(w.log, want, sizeof(want));
	cr_assert_eq(w.sys.hangs, 0);
	free(resv.fences);
	world_fini(&w);
}

Test(sched, without_hooks_the_model_records_hangs_as_before)
{
	struct dmabuf_sys sys;
	struct sim_lock l;

	cr_assert_eq(dmabuf_sys_init(&sys, NULL, NULL, NULL, 0), 0);
	sim_lock_init(&l, &sys, "l", LOCK_CLASS_RESV);
	sys.current_thread = 1;
	cr_assert_eq(sim_lock_acquire(&l, true), 0);
	sys.current_thread = 2;
	cr_assert_eq(sim_lock_acquire(&l, true), -EDEADLK);
	cr_assert_eq(sys.hangs, 1);
	dmabuf_sys_destroy(&sys);
}
