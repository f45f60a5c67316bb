/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * trace.h - the JSON Lines trace of a run (`p2psim run --trace FILE`).
 *
 * One JSON object per line, one line per record: every event of the machine's
 * event bus, plus the runner's own records (a "step" before each scenario
 * step, "expect" failures, "violation" reports). Keys always come in the same
 * order; there are no pointers and no wall-clock times, so identical inputs
 * and seed give a byte-identical file (docs/scenario.md, "Trace").
 *
 * The writer also keeps the last TRACE_TAIL records in memory, formatted, so
 * a report can show what led up to a failed expectation even without a file.
 *
 * Owned here: struct trace_writer.
 */
#ifndef P2PSIM_SIM_SCENARIO_TRACE_H
#define P2PSIM_SIM_SCENARIO_TRACE_H

#include <stdio.h>

#include "models/event.h"

struct json_object;
struct trace_writer;

#define TRACE_TAIL 8

/* A writer to @out (may be NULL: tail only). Does not own @out. NULL on ENOMEM. */
struct trace_writer *trace_writer_new(FILE *out);
void trace_writer_free(struct trace_writer *tw);

/* The event-bus subscriber: pass it with the writer as ctx. */
void trace_writer_event(void *ctx, const struct sim_event *ev);

/*
 * A runner record: {"seq":N,"t":T,"line":L,"ev":KIND, ...@fields}. Takes
 * ownership of @fields (a json object, may be NULL). Returns 0 or -ENOMEM.
 */
int trace_writer_record(struct trace_writer *tw, u64 time_ns, int line, const char *kind,
			struct json_object *fields);

/* Records written so far. */
unsigned long long trace_writer_count(const struct trace_writer *tw);

/* Print the last records (oldest first), each line prefixed with @indent. */
void trace_writer_print_tail(const struct trace_writer *tw, FILE *out, const char *indent,
			     unsigned int max);

/* Did any write fail (disk full, ...)? */
bool trace_writer_failed(const struct trace_writer *tw);

/* The event as the trace writes it (a new json object, or NULL on ENOMEM). */
struct json_object *trace_event_to_json(const struct sim_event *ev, unsigned long long seq);

#endif /* P2PSIM_SIM_SCENARIO_TRACE_H */
