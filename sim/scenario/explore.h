/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * explore.h - running a scenario under a given schedule, and `p2psim run
 * --explore`: the systematic exploration of its threads' interleavings
 * (docs/scenario.md, "Threads").
 *
 * scn_run() (run.c) is one run; struct run_sched carries what it needs from
 * the explorer (the schedule or the DFS prefix) and gives back what the run
 * chose at each choice point. scn_explore() (explore.c) is a stateless
 * depth-first search, CHESS style: each schedule re-runs the scenario from
 * scratch with a prefix of choices, the serial policy beyond it; schedules
 * with more than a bound of preemptions are not tried; a budget limits the
 * number of runs.
 */
#ifndef P2PSIM_SIM_SCENARIO_EXPLORE_H
#define P2PSIM_SIM_SCENARIO_EXPLORE_H

#include <json-c/json.h>

#include "p2psim/run.h"
#include "sim/scenario/scenario.h"
#include "sim/sched/sched.h"
#include "sim/topology/topology_internal.h"

#define SCN_EXPLORE_BUDGET 2000 /* schedules, when --budget is not given */
#define SCN_EXPLORE_PREEMPTIONS 2 /* preemption bound, when not given */

struct run_sched {
	/* in */
	const struct scn_schedule *spec; /* replaces the scenario's `schedule` (NULL: keep it) */
	bool explore; /* serial policy; @prefix decides the first choices */
	const int *prefix; /* slot per choice point */
	size_t nr_prefix;
	bool no_header; /* text: no "== p2psim run" line */
	bool want_report; /* JSON: hand the report document over instead of printing it */
	/* out */
	struct sched_choice *choices; /* every choice point of the run (free it) */
	size_t nr_choices;
	struct json_object *report; /* want_report: the document (put it) */
};

/* One run of @scn (run.c); P2PSIM_OK, _ECHECK, _EINPUT or _EINTERNAL. */
int scn_run(const struct topology *topo, const struct scenario *scn,
	    const struct p2psim_run_opts *opts, FILE *out, struct p2psim_run_summary *summary,
	    struct p2psim_error *err, struct run_sched *rs);

/* What p2psim_run() does with @opts: one run (with --schedule) or an exploration. */
int scn_run_with_opts(const struct topology *topo, const struct scenario *scn,
		      const struct p2psim_run_opts *opts, FILE *out,
		      struct p2psim_run_summary *summary, struct p2psim_error *err);

#endif /* P2PSIM_SIM_SCENARIO_EXPLORE_H */
