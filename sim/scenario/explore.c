// SPDX-License-Identifier: GPL-2.0-only
/*
 * explore.c - `p2psim run --schedule` and `p2psim run --explore` (explore.h,
 * docs/scenario.md "Threads").
 *
 * The exploration is a stateless depth-first search over the choice points
 * of the deterministic scheduler (sim/sched): run the scenario from scratch
 * with a prefix of choices and the serial policy beyond it, record every
 * choice point of the run, then backtrack to the deepest choice point with
 * an alternative not tried yet, and run again with the prefix up to it.
 * A choice is a preemption when the running thread could have gone on; a
 * schedule with more than the bound of preemptions is never run (CHESS:
 * most concurrency bugs need one or two). Every run starts from a fresh
 * world, so a schedule is exactly its list of choices, and the first failing
 * one is printed as a `schedule` line that replays it; the report shown is
 * the replay of that line, which proves that it does.
 *
 * Owned here: the DFS stack (struct level) of one exploration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario/explore.h"

/* --- --schedule ---------------------------------------------------------------- */

/* Split @spec into words and parse it; the thread names must be the scenario's. */
static int parse_spec(const struct scenario *scn, const char *spec, struct scn_schedule *out,
		      struct p2psim_error *err)
{
	char *copy = strdup(spec), *save = NULL, *w;
	const char **words = calloc(strlen(spec) / 2 + 2, sizeof(*words));
	size_t n = 0, bad;
	char msg[256];
	int ret;

	if (!copy || !words) {
		free(copy);
		free(words);
		p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
		return -ENOMEM;
	}
	for (w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	ret = scn_schedule_parse(words, n, out, msg, sizeof(msg), &bad);
	free(words);
	free(copy);
	if (ret == -ENOMEM) {
		p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
		return ret;
	}
	if (ret) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "--schedule: %s", msg);
		return ret;
	}
	for (size_t i = 0; i < out->nr_picks; i++) {
		bool found = false;

		for (size_t k = 0; k < scn->nr_threads && !found; k++)
			found = !strcmp(scn->threads[k].name, out->picks[i].name);
		if (!found) {
			p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
					 "--schedule names thread '%s', which %s does not define",
					 out->picks[i].name, scn->path);
			scn_schedule_free(out);
			return -EINVAL;
		}
	}
	return 0;
}

/* --- the search ------------------------------------------------------------------ */

/* One choice point of the current path. */
struct level {
	struct sched_choice c; /* c.chosen: the alternative being explored */
	u64 tried; /* alternatives run (or refused by the bound) at this point */
	unsigned int preempts_before; /* preemptions of the path before this point */
};

struct explorer {
	const struct topology *topo;
	const struct scenario *scn;
	const struct p2psim_run_opts *opts;
	FILE *out;
	struct p2psim_error *err;
	unsigned long long budget;
	unsigned int bound;

	struct level *levels;
	size_t nr_levels, cap_levels;
	int *prefix;

	unsigned long long schedules;
	bool complete;
	bool found;
	struct sched_choice *failing; /* the choices of the failing run */
	size_t nr_failing;
};

static int push_level(struct explorer *x, const struct sched_choice *c)
{
	struct level *l;

	if (x->nr_levels == x->cap_levels) {
		size_t cap = x->cap_levels ? x->cap_levels * 2 : 64;
		struct level *n = realloc(x->levels, cap * sizeof(*n));
		int *p = realloc(x->prefix, cap * sizeof(*p));

		if (n)
			x->levels = n;
		if (p)
			x->prefix = p;
		if (!n || !p)
			return -ENOMEM;
		x->cap_levels = cap;
	}
	l = &x->levels[x->nr_levels];
	l->c = *c;
	l->tried = 1ULL << c->chosen;
	l->preempts_before = 0;
	if (x->nr_levels) {
		const struct level *prev = &x->levels[x->nr_levels - 1];

		l->preempts_before =
			prev->preempts_before + sched_choice_preempts(&prev->c, prev->c.chosen);
	}
	x->nr_levels++;
	return 0;
}

/* The deepest point with an alternative within the bound: take it. False when none is left. */
static bool backtrack(struct explorer *x)
{
	while (x->nr_levels) {
		struct level *l = &x->levels[x->nr_levels - 1];
		u64 alt = l->c.runnable & ~l->tried;

		while (alt) {
			int a = __builtin_ctzll(alt);

			alt &= alt - 1;
			l->tried |= 1ULL << a;
			if (l->preempts_before + sched_choice_preempts(&l->c, a) <= x->bound) {
				l->c.chosen = a;
				return true;
			}
		}
		x->nr_levels--;
	}
	return false;
}

static int fail_internal(struct explorer *x, const char *what)
{
	p2psim_error_set(x->err, P2PSIM_EINTERNAL, NULL, 0, 0, "--explore: %s", what);
	return P2PSIM_EINTERNAL;
}

/* Run schedules until one fails, the bound is exhausted or the budget is spent. */
static int search(struct explorer *x)
{
	struct p2psim_run_opts quiet = *x->opts;

	quiet.silent = 1;
	quiet.trace_path = NULL;
	quiet.observer = NULL;
	for (;;) {
		struct run_sched rs = { .explore = true, .prefix = x->prefix };
		size_t nr_prefix = x->nr_levels;
		int status;

		for (size_t i = 0; i < nr_prefix; i++)
			x->prefix[i] = x->levels[i].c.chosen;
		rs.nr_prefix = nr_prefix;
		status = scn_run(x->topo, x->scn, &quiet, x->out, NULL, x->err, &rs);
		if (status == P2PSIM_EINPUT || status == P2PSIM_EINTERNAL) {
			free(rs.choices);
			return status;
		}
		x->schedules++;
		/* the prefix must have replayed exactly: the simulation is deterministic */
		for (size_t i = 0; i < nr_prefix; i++) {
			if (i >= rs.nr_choices ||
			    rs.choices[i].runnable != x->levels[i].c.runnable ||
			    rs.choices[i].chosen != x->levels[i].c.chosen) {
				free(rs.choices);
				return fail_internal(x, "a schedule did not replay the same way");
			}
		}
		for (size_t i = nr_prefix; i < rs.nr_choices; i++) {
			if (push_level(x, &rs.choices[i])) {
				free(rs.choices);
				return fail_internal(x, "out of memory");
			}
		}
		if (status == P2PSIM_ECHECK) {
			x->found = true;
			x->failing = rs.choices;
			x->nr_failing = rs.nr_choices;
			return P2PSIM_OK;
		}
		free(rs.choices);
		if (x->schedules >= x->budget)
			return P2PSIM_OK;
		if (!backtrack(x)) {
			x->complete = true;
			return P2PSIM_OK;
		}
	}
}

/* --- the report -------------------------------------------------------------------- */

static const char *thread_of(const struct scenario *scn, const struct sched_choice *c, int slot)
{
	return scn->threads[c->base - 1 + slot].name;
}

/* "serial 3:rev 7:exp": the choices that differ from what the serial policy picks. */
static char *schedule_line(const struct explorer *x)
{
	size_t cap = 16, len;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	len = (size_t)snprintf(buf, cap, "serial");
	for (size_t i = 0; i < x->nr_failing; i++) {
		const struct sched_choice *c = &x->failing[i];
		const char *name = thread_of(x->scn, c, c->chosen);
		size_t need;

		if (c->chosen == sched_policy_pick(SCHED_SERIAL, c))
			continue;
		need = len + strlen(name) + 32;
		if (need > cap) {
			char *n = realloc(buf, need * 2);

			if (!n) {
				free(buf);
				return NULL;
			}
			buf = n;
			cap = need * 2;
		}
		len += (size_t)snprintf(buf + len, cap - len, " %zu:%s", i, name);
	}
	return buf;
}

/* One line per choice the schedule makes: where it is and who runs. */
static void describe_choices(const struct explorer *x, FILE *out, struct json_object *arr)
{
	for (size_t i = 0; i < x->nr_failing; i++) {
		const struct sched_choice *c = &x->failing[i];
		const char *runs = thread_of(x->scn, c, c->chosen);
		const char *at = c->current >= 0 ? thread_of(x->scn, c, c->current) : NULL;

		if (c->chosen == sched_policy_pick(SCHED_SERIAL, c))
			continue;
		if (out && at)
			fprintf(out, "  choice %zu: line %d, thread %s %s %s: %s runs\n", i,
				c->line, at,
				c->kind == SCHED_POINT_STEP ? "before its next step" : "at",
				c->kind == SCHED_POINT_STEP ? "" : c->point, runs);
		else if (out)
			fprintf(out, "  choice %zu: the threads start: %s runs first\n", i, runs);
		if (arr) {
			struct json_object *o = json_object_new_object();

			if (!o)
				continue;
			json_object_object_add(o, "index", json_object_new_uint64(i));
			json_object_object_add(o, "line", json_object_new_int(c->line));
			json_object_object_add(o, "thread", at ? json_object_new_string(at) : NULL);
			json_object_object_add(o, "point", json_object_new_string(c->point));
			json_object_object_add(o, "runs", json_object_new_string(runs));
			json_object_array_add(arr, o);
		}
	}
}

/* Replay the failing schedule from its `schedule` line: the report the user sees. */
static int replay(struct explorer *x, const char *line, struct json_object **report,
		  struct p2psim_run_summary *summary)
{
	struct scn_schedule spec;
	struct run_sched rs = { .spec = &spec, .no_header = true, .want_report = true };
	int status = parse_spec(x->scn, line, &spec, x->err);

	if (status)
		return status == -ENOMEM ? P2PSIM_EINTERNAL : fail_internal(x, "bad schedule");
	status = scn_run(x->topo, x->scn, x->opts, x->out, summary, x->err, &rs);
	scn_schedule_free(&spec);
	free(rs.choices);
	*report = rs.report;
	if (status == P2PSIM_OK) {
		json_object_put(rs.report);
		*report = NULL;
		return fail_internal(x, "the failing schedule did not fail again when replayed");
	}
	return status;
}

static void print_outcome(const struct explorer *x, FILE *out)
{
	if (x->found)
		fprintf(out, "explore: violation in schedule %llu (preemption bound %u)\n",
			x->schedules, x->bound);
	else if (x->complete)
		fprintf(out,
			"explore: %llu schedules, complete (every interleaving with at most %u "
			"preemptions): no violation\n",
			x->schedules, x->bound);
	else
		fprintf(out,
			"explore: %llu schedules, budget exhausted (not complete): no violation "
			"found\n",
			x->schedules);
}

static int report_text(struct explorer *x, struct p2psim_run_summary *summary)
{
	const struct p2psim_run_opts *o = x->opts;
	struct json_object *unused = NULL;
	char *line;
	int status;

	if (!o->quiet)
		fprintf(x->out, "== p2psim run --explore: %s on %s (seed %llu)\n", x->scn->path,
			x->topo->name,
			(unsigned long long)(o->seed_given ? o->seed : x->scn->seed));
	print_outcome(x, x->out);
	if (!x->found)
		return P2PSIM_OK;
	line = schedule_line(x);
	if (!line)
		return fail_internal(x, "out of memory");
	status = replay(x, line, &unused, summary);
	json_object_put(unused);
	if (status == P2PSIM_ECHECK) {
		fprintf(x->out, "schedule %s\n", line);
		describe_choices(x, x->out, NULL);
		fprintf(x->out,
			"replay: put the `schedule` line above the first step of %s, or run with "
			"--schedule '%s'\n",
			x->scn->path, line);
	}
	free(line);
	return status;
}

static int report_json(struct explorer *x, struct p2psim_run_summary *summary)
{
	const struct p2psim_run_opts *o = x->opts;
	struct json_object *doc = json_object_new_object(), *ex = json_object_new_object();
	struct json_object *choices = NULL, *report = NULL;
	char *line = NULL;
	int status = P2PSIM_OK;

	if (!doc || !ex) {
		json_object_put(doc);
		json_object_put(ex);
		return fail_internal(x, "out of memory");
	}
	if (x->found) {
		line = schedule_line(x);
		if (!line) {
			status = fail_internal(x, "out of memory");
			goto out;
		}
		status = replay(x, line, &report, summary);
		if (status != P2PSIM_ECHECK)
			goto out;
		choices = json_object_new_array();
		describe_choices(x, NULL, choices);
	}
	json_object_object_add(doc, "scenario", json_object_new_string(x->scn->path));
	json_object_object_add(doc, "topology", json_object_new_string(x->topo->name));
	json_object_object_add(doc, "seed",
			       json_object_new_uint64(o->seed_given ? o->seed : x->scn->seed));
	json_object_object_add(ex, "schedules", json_object_new_uint64(x->schedules));
	json_object_object_add(ex, "complete", json_object_new_boolean(x->complete));
	json_object_object_add(ex, "budget_exhausted",
			       json_object_new_boolean(!x->found && !x->complete));
	json_object_object_add(ex, "budget", json_object_new_uint64(x->budget));
	json_object_object_add(ex, "preemption_bound", json_object_new_uint64(x->bound));
	json_object_object_add(ex, "violation", json_object_new_boolean(x->found));
	json_object_object_add(ex, "schedule", line ? json_object_new_string(line) : NULL);
	json_object_object_add(ex, "choices", choices);
	json_object_object_add(doc, "explore", ex);
	ex = NULL;
	json_object_object_add(doc, "result", json_object_new_string(x->found ? "fail" : "pass"));
	json_object_object_add(doc, "run", report);
	report = NULL;
	fprintf(x->out, "%s\n",
		json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
out:
	json_object_put(report);
	json_object_put(ex);
	json_object_put(doc);
	free(line);
	return status;
}

static int explore(const struct topology *topo, const struct scenario *scn,
		   const struct p2psim_run_opts *opts, FILE *out,
		   struct p2psim_run_summary *summary, struct p2psim_error *err)
{
	struct explorer x = {
		.topo = topo,
		.scn = scn,
		.opts = opts,
		.out = out,
		.err = err,
		.budget = opts->explore_budget ? opts->explore_budget : SCN_EXPLORE_BUDGET,
		.bound = opts->explore_preemptions_given ? opts->explore_preemptions :
							   SCN_EXPLORE_PREEMPTIONS,
	};
	struct p2psim_run_summary sum = { 0 };
	int status = search(&x);

	if (status == P2PSIM_OK && !opts->silent)
		status = opts->format == P2PSIM_FORMAT_JSON ? report_json(&x, &sum) :
							      report_text(&x, &sum);
	else if (status == P2PSIM_OK && x.found)
		status = P2PSIM_ECHECK;
	sum.schedules = x.schedules;
	sum.explore_complete = x.complete;
	if (summary)
		*summary = sum;
	free(x.levels);
	free(x.prefix);
	free(x.failing);
	return status;
}

int scn_run_with_opts(const struct topology *topo, const struct scenario *scn,
		      const struct p2psim_run_opts *opts, FILE *out,
		      struct p2psim_run_summary *summary, struct p2psim_error *err)
{
	struct scn_schedule spec;
	struct run_sched rs = { 0 };
	int ret;

	if (opts->explore && opts->schedule) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
				 "--schedule replays one schedule, --explore tries them all: "
				 "give one of them");
		return P2PSIM_EINPUT;
	}
	if (opts->explore)
		return explore(topo, scn, opts, out, summary, err);
	if (!opts->schedule)
		return scn_run(topo, scn, opts, out, summary, err, NULL);
	ret = parse_spec(scn, opts->schedule, &spec, err);
	if (ret)
		return ret == -ENOMEM ? P2PSIM_EINTERNAL : P2PSIM_EINPUT;
	rs.spec = &spec;
	ret = scn_run(topo, scn, opts, out, summary, err, &rs);
	free(rs.choices);
	scn_schedule_free(&spec);
	return ret;
}
