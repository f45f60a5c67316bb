// SPDX-License-Identifier: GPL-2.0-only
/*
 * check.c - the checker framework (check.h): names and enable/disable lists,
 * the event-bus subscription that feeds every checker module, the trace
 * tail ring, violation records and the text / JSON reports.
 *
 * Owns struct checkers (declared in check_internal.h) and the shared
 * track_tree helpers. The checker modules are dma_debug.c, iotlb.c,
 * leaks.c, oracle.c and p2p.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "models/pci/route.h"
#include "sim/check/check_internal.h"

static const char *const checker_names[CHECK__COUNT + 1] = {
	[CHECK_DMA_DEBUG] = "dma-debug", [CHECK_IOTLB] = "iotlb", [CHECK_LEAKS] = "leaks",
	[CHECK_ROUTE] = "route",	 [CHECK_P2P] = "p2p",	  [CHECK_DMABUF] = "dmabuf",
	[CHECK__COUNT] = NULL,
};

static const char *const checker_descriptions[CHECK__COUNT] = {
	[CHECK_DMA_DEBUG] = "DMA-API debug (kernel/dma/debug.c): bad unmap/sync, unchecked "
			    "dma_mapping_error, overlapping mappings, leaks at release",
	[CHECK_IOTLB] = "IOTLB: translation used after a strict unmap returned; lazy exposure "
			"windows counted; page-table pages freed before the flush",
	[CHECK_LEAKS] = "leaks at device release / end of run: mappings, IOVA ranges, swiotlb "
			"slots",
	[CHECK_ROUTE] = "route oracle: each DMA through a live mapping reaches exactly its bytes; "
			"misdirected, lost, use-after-unmap, use-after-revoke",
	[CHECK_P2P] = "P2P map type vs hardware path: BUS_ADDR redirected by ACS, NOT_SUPPORTED "
		      "mapped, THRU_HOST_BRIDGE without forwarding",
	[CHECK_DMABUF] = "dma-buf / VFIO revoke (reference/dmabuf-vfio.md §4): locking and lock "
			 "order, attach policy, revoke correctness, lifecycle, sg shape; hangs, "
			 "oopses, use after free, DMA into a revoked BAR",
};

const char *const *checkers_names(void)
{
	return checker_names;
}

const char *checkers_describe(const char *name)
{
	for (int i = 0; i < CHECK__COUNT; i++)
		if (name && !strcmp(name, checker_names[i]))
			return checker_descriptions[i];
	return NULL;
}

bool checkers_enabled(const struct checkers *cs, const char *name)
{
	for (int i = 0; i < CHECK__COUNT; i++)
		if (name && !strcmp(name, checker_names[i]))
			return cs->enabled[i];
	return false;
}

/* --- track_tree ------------------------------------------------------------ */

int track_cmp(const struct track_entry *a, const struct track_entry *b)
{
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

RB_GENERATE(track_tree, track_entry, node, track_cmp);

struct track_entry *track_add(struct checkers *cs, struct track_tree *t, u64 key, u64 addr, u64 len)
{
	struct track_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->key = key;
	e->addr = addr;
	e->len = len;
	e->seq = ++cs->seq;
	RB_INSERT(track_tree, t, e);
	return e;
}

struct track_entry *track_find(struct track_tree *t, u64 key, u64 addr)
{
	struct track_entry probe = { .key = key, .addr = addr, .seq = 0 };
	struct track_entry *e = RB_NFIND(track_tree, t, &probe);

	if (e && e->key == key && e->addr == addr)
		return e;
	return NULL;
}

struct track_entry *track_find_containing(struct track_tree *t, u64 key, u64 addr)
{
	struct track_entry probe = { .key = key, .addr = addr, .seq = ~0ULL };
	struct track_entry *e = RB_NFIND(track_tree, t, &probe);
	int scanned = 0;

	e = e ? RB_PREV(track_tree, t, e) : RB_MAX(track_tree, t);
	/* overlapping entries are rare: look back a few starts */
	for (; e && e->key == key && scanned < 16; e = RB_PREV(track_tree, t, e), scanned++)
		if (addr >= e->addr && addr - e->addr < (e->len ? e->len : 1))
			return e;
	return NULL;
}

void track_del(struct track_tree *t, struct track_entry *e)
{
	RB_REMOVE(track_tree, t, e);
	free(e);
}

void track_clear(struct track_tree *t)
{
	struct track_entry *e, *next;

	RB_FOREACH_SAFE(e, track_tree, t, next)
		track_del(t, e);
}

/* --- helpers ---------------------------------------------------------------- */

const char *check_dir_name(int dir)
{
	static const char *const names[] = { "DMA_BIDIRECTIONAL", "DMA_TO_DEVICE",
					     "DMA_FROM_DEVICE", "DMA_NONE" };

	return dir >= 0 && dir < 4 ? names[dir] : "DMA_INVALID";
}

const char *check_dev_name(const struct pci_dev *dev)
{
	return dev ? dev->id : "-";
}

void check_report(struct checkers *cs, enum checker_id id, const char *kind, const char *rule,
		  const struct sim_event *ev, int line, const struct pci_dev *dev,
		  const char *kernel_msg, const char *fmt, ...)
{
	struct check_violation *v;
	char buf[1024];
	va_list ap;

	if (!cs->enabled[id])
		return;
	cs->stats.violations++;
	if (cs->nr_viol == cs->cap_viol) {
		size_t cap = cs->cap_viol ? cs->cap_viol * 2 : 8;
		struct check_violation *nv = realloc(cs->viol, cap * sizeof(*nv));

		if (!nv)
			return; /* out of memory: the violation is counted, not kept */
		cs->viol = nv;
		cs->cap_viol = cap;
	}
	v = &cs->viol[cs->nr_viol];
	memset(v, 0, sizeof(*v));
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	v->message = strdup(buf);
	v->kernel_msg = kernel_msg ? strdup(kernel_msg) : NULL;
	if (!v->message || (kernel_msg && !v->kernel_msg)) {
		free(v->message);
		free(v->kernel_msg);
		return;
	}
	v->line = line;
	v->checker = checker_names[id];
	v->kind = kind;
	v->rule = rule;
	v->dev = dev;
	if (ev)
		v->event = *ev;
	else
		v->event.kind = EV__COUNT;
	for (unsigned int i = 0; i < cs->ring_len; i++) {
		unsigned int idx =
			(cs->ring_head + CHECK_TRACE_TAIL - cs->ring_len + i) % CHECK_TRACE_TAIL;

		v->trace[i] = cs->ring[idx];
	}
	v->nr_trace = cs->ring_len;
	cs->nr_viol++;
}

/* --- the subscriber --------------------------------------------------------- */

static void checkers_on_event(void *ctx, const struct sim_event *ev)
{
	struct checkers *cs = ctx;

	cs->stats.events++;
	cs->ring[cs->ring_head] = *ev;
	cs->ring_head = (cs->ring_head + 1) % CHECK_TRACE_TAIL;
	if (cs->ring_len < CHECK_TRACE_TAIL)
		cs->ring_len++;

	/* order matters: the iotlb state must be current before the oracle reads it */
	iotlb_check_event(cs, ev);
	dma_debug_event(cs, ev);
	twostep_check_event(cs, ev);
	leaks_event(cs, ev);
	p2p_check_event(cs, ev);
	oracle_event(cs, ev);
	dmabuf_check_event(cs, ev);
}

/* Apply a comma-separated list: set enabled[] to @value for each name. */
static int apply_list(bool *enabled, const char *list, bool value, char *msg, size_t msglen)
{
	const char *p = list;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		bool found = false;

		if (n == 3 && !strncmp(p, "all", 3)) {
			for (int i = 0; i < CHECK__COUNT; i++)
				enabled[i] = value;
			found = true;
		}
		for (int i = 0; i < CHECK__COUNT && !found; i++) {
			if (strlen(checker_names[i]) == n && !strncmp(p, checker_names[i], n)) {
				enabled[i] = value;
				found = true;
			}
		}
		if (!found && n) {
			size_t off = (size_t)snprintf(msg, msglen, "unknown checker '%.*s' (known:",
						      (int)n, p);

			for (int i = 0; i < CHECK__COUNT && off < msglen; i++)
				off += (size_t)snprintf(msg + off, msglen - off, " %s,",
							checker_names[i]);
			if (off < msglen)
				snprintf(msg + off, msglen - off, " all)");
			return -EINVAL;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

int checkers_new(struct machine *m, struct pci_router *router, const char *enable,
		 const char *disable, struct checkers **out, char *msg, size_t msglen)
{
	bool enabled[CHECK__COUNT];
	struct checkers *cs;
	int ret;

	*out = NULL;
	if (msglen)
		msg[0] = '\0';
	for (int i = 0; i < CHECK__COUNT; i++)
		enabled[i] = enable == NULL;
	ret = apply_list(enabled, enable, true, msg, msglen);
	if (!ret)
		ret = apply_list(enabled, disable, false, msg, msglen);
	if (ret)
		return ret;
	cs = calloc(1, sizeof(*cs));
	if (!cs) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	cs->m = m;
	cs->router = router;
	memcpy(cs->enabled, enabled, sizeof(enabled));
	RB_INIT(&cs->maps);
	RB_INIT(&cs->cachelines);
	RB_INIT(&cs->iovas);
	RB_INIT(&cs->slots);
	RB_INIT(&cs->pgpages);
	RB_INIT(&cs->unmapped);
	RB_INIT(&cs->mapped);
	RB_INIT(&cs->unsynced);
	RB_INIT(&cs->linked);
	cs->nr_devs = m->topo && m->topo->fabric ? m->topo->fabric->nr_devs : 0;
	cs->dev_domain = calloc(cs->nr_devs ? cs->nr_devs : 1, sizeof(*cs->dev_domain));
	if (!cs->dev_domain) {
		snprintf(msg, msglen, "out of memory");
		free(cs);
		return -ENOMEM;
	}
	ret = event_bus_subscribe(&m->events, checkers_on_event, cs);
	if (ret) {
		snprintf(msg, msglen, "event bus full (%d subscribers)", EVENT_BUS_MAX_SUBSCRIBERS);
		free(cs->dev_domain);
		free(cs);
		return ret;
	}
	*out = cs;
	return 0;
}

void checkers_free(struct checkers *cs)
{
	if (!cs)
		return;
	event_bus_unsubscribe(&cs->m->events, checkers_on_event, cs);
	dma_debug_free(cs);
	track_clear(&cs->iovas);
	track_clear(&cs->slots);
	track_clear(&cs->pgpages);
	track_clear(&cs->unmapped);
	track_clear(&cs->mapped);
	track_clear(&cs->unsynced);
	track_clear(&cs->linked);
	dmabuf_check_free(cs);
	free(cs->open_unmaps);
	free(cs->dev_domain);
	for (size_t i = 0; i < cs->nr_viol; i++) {
		free(cs->viol[i].message);
		free(cs->viol[i].kernel_msg);
	}
	free(cs->viol);
	free(cs);
}

void checkers_dma_begin(struct checkers *cs, const struct dma_intent *intent)
{
	cs->intent = *intent;
	cs->intent_open = true;
	oracle_begin(cs);
}

void checkers_dma_end(struct checkers *cs, const struct route_result *result)
{
	if (!cs->intent_open)
		return;
	oracle_end(cs, result);
	p2p_check_intent_end(cs, result);
	cs->intent_open = false;
}

void checkers_finish(struct checkers *cs)
{
	if (cs->finished)
		return;
	cs->finished = true;
	iotlb_check_finish(cs);
	leaks_finish(cs);
}

size_t checkers_nr_violations(const struct checkers *cs)
{
	return cs->nr_viol;
}

const struct check_violation *checkers_violation(const struct checkers *cs, size_t i)
{
	return i < cs->nr_viol ? &cs->viol[i] : NULL;
}

void checkers_get_stats(const struct checkers *cs, struct check_stats *out)
{
	*out = cs->stats;
	out->live_mappings = dma_debug_count((struct checkers *)cs);
}

/* --- reports ---------------------------------------------------------------- */

static void print_event(FILE *out, const struct sim_event *ev)
{
	fprintf(out, "%s", sim_event_kind_name(ev->kind));
	if (ev->line)
		fprintf(out, " line=%d", ev->line);
	fprintf(out, " t=%llu", (unsigned long long)ev->time_ns);
	if (ev->dev)
		fprintf(out, " dev=%s", ev->dev->id);
	fprintf(out, " addr=%#llx", (unsigned long long)ev->addr);
	if (ev->phys)
		fprintf(out, " phys=%#llx", (unsigned long long)ev->phys);
	if (ev->len)
		fprintf(out, " len=%llu", (unsigned long long)ev->len);
	if (ev->aux)
		fprintf(out, " aux=%llu", (unsigned long long)ev->aux);
	if (ev->ret)
		fprintf(out, " ret=%d", ev->ret);
	fputc('\n', out);
}

size_t checkers_print(const struct checkers *cs, FILE *out, const char *source)
{
	for (size_t i = 0; i < cs->nr_viol; i++) {
		const struct check_violation *v = &cs->viol[i];

		if (v->line)
			fprintf(out, "%s:%d: ", source ? source : "scenario", v->line);
		else
			fprintf(out, "%s: ", source ? source : "scenario");
		fprintf(out, "violation [%s/%s]: %s\n", v->checker, v->kind, v->message);
		if (v->kernel_msg)
			fprintf(out, "  kernel says: \"%s\"\n", v->kernel_msg);
		fprintf(out, "  rule: %s\n", v->rule);
		if (v->nr_trace) {
			fprintf(out, "  trace tail (oldest first):\n");
			for (unsigned int t = 0; t < v->nr_trace; t++) {
				fprintf(out, "    ");
				print_event(out, &v->trace[t]);
			}
		}
	}
	return cs->nr_viol;
}

static json_object *event_json(const struct sim_event *ev)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string(sim_event_kind_name(ev->kind)));
	json_object_object_add(o, "line", json_object_new_int(ev->line));
	json_object_object_add(o, "time_ns", json_object_new_uint64(ev->time_ns));
	if (ev->dev)
		json_object_object_add(o, "dev", json_object_new_string(ev->dev->id));
	json_object_object_add(o, "addr", json_object_new_uint64(ev->addr));
	json_object_object_add(o, "phys", json_object_new_uint64(ev->phys));
	json_object_object_add(o, "len", json_object_new_uint64(ev->len));
	json_object_object_add(o, "aux", json_object_new_uint64(ev->aux));
	json_object_object_add(o, "ret", json_object_new_int(ev->ret));
	return o;
}

struct json_object *check_violation_to_json(const struct check_violation *v)
{
	json_object *o = json_object_new_object();
	json_object *trace = json_object_new_array();

	json_object_object_add(o, "line", json_object_new_int(v->line));
	json_object_object_add(o, "checker", json_object_new_string(v->checker));
	json_object_object_add(o, "kind", json_object_new_string(v->kind));
	json_object_object_add(o, "message", json_object_new_string(v->message));
	if (v->kernel_msg)
		json_object_object_add(o, "kernel_message", json_object_new_string(v->kernel_msg));
	json_object_object_add(o, "rule", json_object_new_string(v->rule));
	if (v->dev)
		json_object_object_add(o, "dev", json_object_new_string(v->dev->id));
	if (v->event.kind != EV__COUNT)
		json_object_object_add(o, "event", event_json(&v->event));
	for (unsigned int t = 0; t < v->nr_trace; t++)
		json_object_array_add(trace, event_json(&v->trace[t]));
	json_object_object_add(o, "trace_tail", trace);
	return o;
}

struct json_object *checkers_to_json(const struct checkers *cs)
{
	json_object *o = json_object_new_object();
	json_object *arr = json_object_new_array();
	json_object *st = json_object_new_object();
	json_object *en = json_object_new_array();
	struct check_stats s;

	for (int i = 0; i < CHECK__COUNT; i++)
		if (cs->enabled[i])
			json_object_array_add(en, json_object_new_string(checker_names[i]));
	for (size_t i = 0; i < cs->nr_viol; i++)
		json_object_array_add(arr, check_violation_to_json(&cs->viol[i]));
	checkers_get_stats(cs, &s);
	json_object_object_add(st, "events", json_object_new_uint64(s.events));
	json_object_object_add(st, "dmas_checked", json_object_new_uint64(s.dmas_checked));
	json_object_object_add(st, "lazy_exposures", json_object_new_uint64(s.lazy_exposures));
	json_object_object_add(st, "lazy_windows", json_object_new_uint64(s.lazy_windows));
	json_object_object_add(st, "lazy_window_ns_max",
			       json_object_new_uint64(s.lazy_window_ns_max));
	json_object_object_add(st, "blocked_after_unmap",
			       json_object_new_uint64(s.blocked_after_unmap));
	json_object_object_add(st, "live_mappings", json_object_new_uint64(s.live_mappings));
	json_object_object_add(st, "violations", json_object_new_uint64(s.violations));
	json_object_object_add(o, "checkers", en);
	json_object_object_add(o, "violations", arr);
	json_object_object_add(o, "stats", st);
	return o;
}
