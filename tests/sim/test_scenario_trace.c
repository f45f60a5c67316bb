// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_scenario_trace.c - the JSON Lines trace writer (sim/scenario/trace.c):
 * exact lines for hand-made events, key order, left-out zero fields, the
 * runner records and the in-memory tail.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/pci/pci.h"
#include "sim/scenario/trace.h"
#include "src/dma/dma.h"

static char *capture(void (*fn)(struct trace_writer *tw))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct trace_writer *tw;

	cr_assert_not_null(f);
	tw = trace_writer_new(f);
	cr_assert_not_null(tw);
	fn(tw);
	cr_expect_not(trace_writer_failed(tw));
	trace_writer_free(tw);
	fclose(f);
	return buf;
}

static struct pci_dev nic = { .id = "nic0" };

static void two_events(struct trace_writer *tw)
{
	struct sim_event map = {
		.kind = EV_DMA_MAP,
		.time_ns = 1500,
		.dev = &nic,
		.addr = 0xfffff000,
		.phys = 0x100000000ULL,
		.len = 4096,
		.dir = DMA_TO_DEVICE,
		.attrs = DMA_ATTR_SKIP_CPU_SYNC,
		.line = 9,
	};
	/* dir 0 is BIDIRECTIONAL and still written for a kind that has a direction. */
	struct sim_event sync = { .kind = EV_DMA_SYNC_FOR_CPU, .dev = &nic, .line = 10 };
	/* No direction for a fault; ret negative; fields 0 left out. */
	struct sim_event fault = { .kind = EV_IOMMU_FAULT, .addr = 0x1000, .ret = -14, .line = 11 };

	trace_writer_event(tw, &map);
	trace_writer_event(tw, &sync);
	trace_writer_event(tw, &fault);
}

Test(scenario_trace, exact_event_lines)
{
	char *out = capture(two_events);

	cr_expect_str_eq(
		out, "{\"seq\":1,\"t\":1500,\"line\":9,\"ev\":\"dma_map\",\"dev\":\"nic0\","
		     "\"addr\":\"0xfffff000\",\"phys\":\"0x100000000\",\"len\":4096,"
		     "\"dir\":\"to-device\",\"attrs\":\"0x20\"}\n"
		     "{\"seq\":2,\"t\":0,\"line\":10,\"ev\":\"dma_sync_for_cpu\",\"dev\":\"nic0\","
		     "\"dir\":\"bidirectional\"}\n"
		     "{\"seq\":3,\"t\":0,\"line\":11,\"ev\":\"iommu_fault\",\"addr\":\"0x1000\","
		     "\"ret\":-14}\n");
	free(out);
}

static void records(struct trace_writer *tw)
{
	struct json_object *f = json_object_new_object();
	struct sim_event adv = {
		.kind = EV_TIME_ADVANCE, .time_ns = 10000000, .len = 10000000, .line = 4
	};

	json_object_object_add(f, "src", json_object_new_string("advance 10ms \"q\" / x"));
	cr_expect_eq(trace_writer_record(tw, 0, 4, "step", f), 0);
	trace_writer_event(tw, &adv);
	cr_expect_eq(trace_writer_record(tw, 10000000, 0, "violation", NULL), 0);
	cr_expect_eq(trace_writer_count(tw), 3);
}

Test(scenario_trace, runner_records_share_the_sequence)
{
	char *out = capture(records);

	/* Quotes are escaped, slashes are not (JSON_C_TO_STRING_NOSLASHESCAPE). */
	cr_expect_str_eq(out, "{\"seq\":1,\"t\":0,\"line\":4,\"ev\":\"step\","
			      "\"src\":\"advance 10ms \\\"q\\\" / x\"}\n"
			      "{\"seq\":2,\"t\":10000000,\"line\":4,\"ev\":\"time_advance\","
			      "\"len\":10000000}\n"
			      "{\"seq\":3,\"t\":10000000,\"line\":0,\"ev\":\"violation\"}\n");
	free(out);
}

Test(scenario_trace, tail_keeps_the_last_records)
{
	struct trace_writer *tw = trace_writer_new(NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	cr_assert_not_null(tw);
	for (int i = 1; i <= TRACE_TAIL + 3; i++) {
		struct sim_event ev = { .kind = EV_TIME_ADVANCE, .len = (u64)i };

		trace_writer_event(tw, &ev);
	}
	f = open_memstream(&buf, &len);
	trace_writer_print_tail(tw, f, "> ", 2);
	fclose(f);
	/* TRACE_TAIL + 3 = 11 records: the last two are seq 10 and 11. */
	cr_expect_str_eq(buf,
			 "> {\"seq\":10,\"t\":0,\"line\":0,\"ev\":\"time_advance\",\"len\":10}\n"
			 "> {\"seq\":11,\"t\":0,\"line\":0,\"ev\":\"time_advance\",\"len\":11}\n");
	free(buf);
	trace_writer_free(tw);
}
