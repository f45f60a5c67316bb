// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench.c - `p2psim bench`: runs the registered benchmarks and prints their
 * figures as an aligned table or JSON (json-c).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "p2psim/bench.h"
#include "sim/bench/bench.h"

extern const struct bench_case bench_topology_load_10k;
extern const struct bench_case bench_dma_route_iotlb_hit;
extern const struct bench_case bench_p2p_all_pairs_4096;
extern const struct bench_case bench_dma_direct_4k;
extern const struct bench_case bench_swiotlb_bounce_4k;
extern const struct bench_case bench_dma_iommu_strict_4k;
extern const struct bench_case bench_dma_iommu_lazy_4k;
extern const struct bench_case bench_dma_iommu_iova_link_4k;
extern const struct bench_case bench_two_step_link_unlink_4k;
extern const struct bench_case bench_fuzz_steps;
/* sim/bench/bench_twostep.c: the scatterlist vs two-step table of --compare-apis */
int bench_compare_apis(FILE *out, const struct p2psim_bench_opts *opts);

/* Benchmarks, in the order they run. Add yours here (one line). */
static const struct bench_case *const bench_cases[] = {
	&bench_topology_load_10k,
	&bench_dma_route_iotlb_hit,
	&bench_p2p_all_pairs_4096,
	&bench_dma_direct_4k,
	&bench_swiotlb_bounce_4k,
	&bench_dma_iommu_strict_4k,
	&bench_dma_iommu_lazy_4k,
	&bench_dma_iommu_iova_link_4k,
	&bench_two_step_link_unlink_4k,
	&bench_fuzz_steps,
	NULL, /* keeps the array non-empty; skipped */
};

struct bench_ctx {
	FILE *out;
	const struct p2psim_bench_opts *opts;
	const struct bench_case *current;
	json_object *results; /* JSON array of result objects */
	json_object *notes;   /* notes of the current case */
};

static volatile uint64_t bench_sink;

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool bench_quick(const struct bench_ctx *ctx)
{
	return ctx->opts->quick;
}

void bench_consume(uint64_t value)
{
	bench_sink += value;
}

static void print_value(FILE *out, double v)
{
	if (isnan(v))
		fprintf(out, "%12s", "-");
	else if (fabs(v) >= 1e6)
		fprintf(out, "%12.3e", v);
	else
		fprintf(out, "%12.3f", v);
}

void bench_report(struct bench_ctx *ctx, const char *metric, double value, const char *unit,
		  double baseline, const char *baseline_what, double target, bool higher_is_better)
{
	if (ctx->opts->format == P2PSIM_FORMAT_JSON) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "bench", json_object_new_string(ctx->current->name));
		json_object_object_add(o, "metric", json_object_new_string(metric));
		json_object_object_add(o, "value", json_object_new_double(value));
		json_object_object_add(o, "unit", json_object_new_string(unit));
		if (!isnan(baseline)) {
			json_object_object_add(o, "baseline", json_object_new_double(baseline));
			json_object_object_add(o, "baseline_what",
					       json_object_new_string(baseline_what ? baseline_what : ""));
		}
		if (!isnan(target)) {
			bool met = higher_is_better ? value >= target : value <= target;

			json_object_object_add(o, "target", json_object_new_double(target));
			json_object_object_add(o, "target_met", json_object_new_boolean(met));
		}
		json_object_array_add(ctx->results, o);
		return;
	}
	fprintf(ctx->out, "  %-44s", metric);
	print_value(ctx->out, value);
	fprintf(ctx->out, " %-10s", unit);
	if (!isnan(target)) {
		bool met = higher_is_better ? value >= target : value <= target;

		fprintf(ctx->out, " target %s", higher_is_better ? ">=" : "<=");
		print_value(ctx->out, target);
		fprintf(ctx->out, " %s", met ? "[met]" : "[MISSED]");
	}
	if (!isnan(baseline)) {
		fprintf(ctx->out, "  (baseline: ");
		fprintf(ctx->out, "%.3g %s", baseline, baseline_what ? baseline_what : "");
		fprintf(ctx->out, ")");
	}
	fputc('\n', ctx->out);
}

void bench_note(struct bench_ctx *ctx, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (ctx->opts->format == P2PSIM_FORMAT_JSON)
		json_object_array_add(ctx->notes, json_object_new_string(buf));
	else
		fprintf(ctx->out, "    note: %s\n", buf);
}

int p2psim_bench(FILE *out, const struct p2psim_bench_opts *opts)
{
	struct bench_ctx ctx = { .out = out, .opts = opts };
	json_object *doc = NULL, *cases = NULL;
	size_t matched = 0;
	int status = P2PSIM_OK;

	if (opts->compare_apis && !opts->list)
		return bench_compare_apis(out, opts);
	if (opts->format == P2PSIM_FORMAT_JSON) {
		doc = json_object_new_object();
		cases = json_object_new_array();
		ctx.results = json_object_new_array();
		json_object_object_add(doc, "quick", json_object_new_boolean(opts->quick));
	}
	for (size_t i = 0; i < sizeof(bench_cases) / sizeof(bench_cases[0]); i++) {
		const struct bench_case *bc = bench_cases[i];
		int ret;

		if (!bc || (opts->filter && !strstr(bc->name, opts->filter)))
			continue;
		matched++;
		if (opts->list) {
			fprintf(out, "%-32s %s\n", bc->name, bc->summary);
			continue;
		}
		ctx.current = bc;
		if (doc) {
			ctx.notes = json_object_new_array();
		} else {
			fprintf(out, "%s: %s\n", bc->name, bc->summary);
			fflush(out);
		}
		ret = bc->run(&ctx);
		if (doc) {
			json_object *c = json_object_new_object();

			json_object_object_add(c, "name", json_object_new_string(bc->name));
			json_object_object_add(c, "ok", json_object_new_boolean(ret == 0));
			json_object_object_add(c, "notes", ctx.notes);
			json_object_array_add(cases, c);
		} else if (ret) {
			fprintf(out, "  failed: %s\n", strerror(-ret));
		}
		if (ret)
			status = P2PSIM_EINTERNAL;
	}
	if (opts->filter && !matched) {
		json_object_put(doc);
		json_object_put(ctx.results);
		json_object_put(cases);
		return P2PSIM_EINPUT;
	}
	if (doc) {
		json_object_object_add(doc, "benchmarks", cases);
		json_object_object_add(doc, "results", ctx.results);
		fprintf(out, "%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY));
		json_object_put(doc);
	}
	return status;
}
