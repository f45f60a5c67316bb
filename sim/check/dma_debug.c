// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma_debug.c - the "dma-debug" checker: CONFIG_DMA_API_DEBUG
 * (kernel/dma/debug.c, v6.18 / v7.0) applied to the streaming API, from the
 * EV_DMA_* events only (reference/dma-iommu.md §6).
 *
 * Owns the dma-debug entries (struct dd_entry, one per successful
 * dma_map_* call, in a red-black tree keyed by (dev, dev_addr)) and the
 * active-cacheline overlap counters. The other checkers read the entries
 * (leaks at release / end of run, the route oracle's expected bytes).
 *
 * Classes of reference §6.2 implemented, with the kernel's wording:
 *   1 free invalid address          2 free not allocated (no / ambiguous match)
 *   3 different size                4 wrong function (type)
 *   6 sg entry count                7 different direction
 *   8 failed to check map error    13 cacheline EEXIST overlap
 *  14 exceeded 7 overlaps          17 sync not allocated
 *  18 sync outside allocated range 19 sync different direction
 *  20 sync read-only for cpu       21 sync write-only to device
 *  22 sync sg entry count (when the sync event carries count = nents)
 *  23 pending allocations at release
 * 15: as in the kernel, running out of memory for an entry or a cacheline
 * counter switches dma-debug off for the rest of the run.
 * Not applicable here: 5 (coherent free), 9-11 (stack / rodata / vmalloc:
 * the simulator has no virtual addresses), 12 (per-segment sg checks: the
 * sg events carry totals), 16 (dma_map_resource of RAM).
 * Like the kernel, the best-fit unmap lookup returns "not allocated" when
 * several entries share (dev, addr) and none fits perfectly; class 18 can
 * only fire when the containing lookup finds an entry smaller than the
 * sync, which the kernel's own containment test excludes - kept for
 * fidelity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/dma/dma.h"
#include "sim/check/check_internal.h"

#define L1_CACHE_SHIFT 6
#define ACTIVE_CACHELINE_MAX_OVERLAP 7

#define RULE_UNMAP                                                               \
	"kernel/dma/debug.c check_unmap(): every dma_unmap_* must match a live " \
	"mapping of the same device in address, size, type and direction"
#define RULE_MAPERR                                                        \
	"Documentation/core-api/dma-api.rst: dma_mapping_error() must be " \
	"called on every dma_map_single/page/phys result before it is used"
#define RULE_SYNC                                                              \
	"kernel/dma/debug.c check_sync(): dma_sync_* must stay inside a live " \
	"mapping and use its direction"
#define RULE_OVERLAP                                                           \
	"kernel/dma/debug.c add_dma_entry(): two live non-TO_DEVICE mappings " \
	"may not share a cacheline (CPU cache maintenance would corrupt one)"
#define RULE_LEAK                                                            \
	"kernel/dma/debug.c dma_debug_device_change(): a driver must unmap " \
	"everything before it is unbound (BUS_NOTIFY_UNBOUND_DRIVER)"

int dd_cmp(const struct dd_entry *a, const struct dd_entry *b)
{
	if (a->dev != b->dev)
		return (uintptr_t)a->dev < (uintptr_t)b->dev ? -1 : 1;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

RB_PROTOTYPE(dd_tree, dd_entry, node, dd_cmp);
RB_GENERATE(dd_tree, dd_entry, node, dd_cmp);

int cl_cmp(const struct dd_cacheline *a, const struct dd_cacheline *b)
{
	return a->cln < b->cln ? -1 : a->cln > b->cln;
}

RB_PROTOTYPE(dd_cl_tree, dd_cacheline, node, cl_cmp);
RB_GENERATE(dd_cl_tree, dd_cacheline, node, cl_cmp);

static const char *type_name(enum dd_type type)
{
	/* the kernel's type2name[] (its own spelling) */
	return type == DD_TYPE_SG ? "scather-gather" : "phy";
}

/* The "DMA-API: driver device: " prefix of err_printk(). */
static int kprefix(char *buf, size_t len, const struct pci_dev *dev)
{
	return snprintf(buf, len, "DMA-API: %s %s: ", dev ? dev->id : "?", dev ? dev->name : "?");
}

/* --- cacheline tracking ----------------------------------------------------- */

static bool cacheline_tracked(const struct dd_entry *e)
{
	return e->type == DD_TYPE_PHY && e->dir != DMA_TO_DEVICE;
}

static void cacheline_insert(struct checkers *cs, struct dd_entry *e, const struct sim_event *ev)
{
	struct dd_cacheline probe = { .cln = e->phys >> L1_CACHE_SHIFT }, *cl;
	char kmsg[512];
	int n;

	if (!cacheline_tracked(e))
		return;
	cl = RB_FIND(dd_cl_tree, &cs->cachelines, &probe);
	if (!cl) {
		cl = calloc(1, sizeof(*cl));
		if (!cl) {
			/* "cacheline tracking ENOMEM, dma-debug disabled" (class 15) */
			cs->enabled[CHECK_DMA_DEBUG] = false;
			return;
		}
		cl->cln = probe.cln;
		cl->count = 1;
		RB_INSERT(dd_cl_tree, &cs->cachelines, cl);
		e->tracks_cacheline = true;
		return;
	}
	/* -EEXIST: the cacheline already has a live mapping */
	if (cl->count > ACTIVE_CACHELINE_MAX_OVERLAP) {
		snprintf(kmsg, sizeof(kmsg),
			 "DMA-API: exceeded %d overlapping mappings of cacheline 0x%016llx",
			 ACTIVE_CACHELINE_MAX_OVERLAP, (unsigned long long)probe.cln);
		check_report(cs, CHECK_DMA_DEBUG, "cacheline-overlap-limit", RULE_OVERLAP, ev,
			     ev->line, e->dev, kmsg,
			     "%s maps phys %#llx: cacheline %#llx already has %u live mappings "
			     "(a leak?)",
			     e->dev->id, (unsigned long long)e->phys, (unsigned long long)probe.cln,
			     cl->count);
	} else {
		cl->count++;
		e->tracks_cacheline = true;
	}
	if (e->attrs & (DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_DEBUGGING_IGNORE_CACHELINES))
		return;
	n = kprefix(kmsg, sizeof(kmsg), e->dev);
	snprintf(kmsg + n, sizeof(kmsg) - n,
		 "cacheline tracking EEXIST, overlapping mappings aren't supported");
	check_report(cs, CHECK_DMA_DEBUG, "overlapping-mapping", RULE_OVERLAP, ev, ev->line, e->dev,
		     kmsg,
		     "%s maps phys %#llx (%s) while another live mapping starts in the same "
		     "cacheline %#llx",
		     e->dev->id, (unsigned long long)e->phys, check_dir_name(e->dir),
		     (unsigned long long)probe.cln);
}

static void cacheline_remove(struct checkers *cs, struct dd_entry *e)
{
	struct dd_cacheline probe = { .cln = e->phys >> L1_CACHE_SHIFT }, *cl;

	if (!e->tracks_cacheline)
		return;
	cl = RB_FIND(dd_cl_tree, &cs->cachelines, &probe);
	if (!cl)
		return;
	if (--cl->count == 0) {
		RB_REMOVE(dd_cl_tree, &cs->cachelines, cl);
		free(cl);
	}
}

/* --- look-ups ----------------------------------------------------------------- */

/* bucket_find_exact(): best fit among entries with the same (dev, addr). */
static struct dd_entry *find_exact(struct checkers *cs, const struct dd_entry *ref)
{
	struct dd_entry probe = { .dev = ref->dev, .addr = ref->addr, .seq = 0 };
	struct dd_entry *e = RB_NFIND(dd_tree, &cs->maps, &probe), *best = NULL;
	int matches = 0, best_lvl = -1;

	for (; e && e->dev == ref->dev && e->addr == ref->addr;
	     e = RB_NEXT(dd_tree, &cs->maps, e)) {
		int lvl = (e->len == ref->len) + (e->type == ref->type) + (e->dir == ref->dir) +
			  (e->sg_call_ents == ref->sg_call_ents);

		matches++;
		if (lvl == 4)
			return e;
		if (lvl > best_lvl) {
			best_lvl = lvl;
			best = e;
		}
	}
	return matches == 1 ? best : NULL;
}

struct dd_entry *dma_debug_find_containing(struct checkers *cs, const struct pci_dev *dev, u64 addr,
					   u64 len)
{
	struct dd_entry probe = { .dev = dev, .addr = addr, .seq = ~0ULL };
	struct dd_entry *e = RB_NFIND(dd_tree, &cs->maps, &probe);
	int scanned = 0;

	e = e ? RB_PREV(dd_tree, &cs->maps, e) : RB_MAX(dd_tree, &cs->maps);
	for (; e && e->dev == dev && scanned < 64; e = RB_PREV(dd_tree, &cs->maps, e), scanned++)
		if (e->addr <= addr && e->addr + e->len >= addr + len)
			return e;
	return NULL;
}

/*
 * bucket_find_contain() as check_sync() uses it: the kernel hashes entries by
 * dev_addr >> HASH_FN_SHIFT (13) and, starting at the sync address's bucket
 * and walking back through earlier ones, asks __hash_bucket_find() for an
 * entry containing the synced range. Within one bucket that is a best fit
 * (size, type, direction, sg_call_ents): a perfect fit wins at once, a single
 * match is taken, several matches without a perfect fit give nothing for that
 * bucket and the walk goes on. So a buffer mapped twice (same DMA address,
 * no IOMMU) is matched to the mapping whose shape the sync repeats.
 */
#define DD_HASH_FN_SHIFT 13

static struct dd_entry *find_sync_entry(struct checkers *cs, const struct dd_entry *ref)
{
	struct dd_entry probe = { .dev = ref->dev, .addr = ref->addr, .seq = ~0ULL };
	struct dd_entry *e = RB_NFIND(dd_tree, &cs->maps, &probe), *best = NULL;
	u64 bucket = ref->addr >> DD_HASH_FN_SHIFT;
	int matches = 0, best_lvl = -1, scanned = 0;

	e = e ? RB_PREV(dd_tree, &cs->maps, e) : RB_MAX(dd_tree, &cs->maps);
	for (; e && e->dev == ref->dev && scanned < 64; e = RB_PREV(dd_tree, &cs->maps, e)) {
		int lvl;

		if ((e->addr >> DD_HASH_FN_SHIFT) != bucket) {
			/* leaving a bucket: its verdict stands if it had one */
			if (matches == 1 || best_lvl == 4)
				return best;
			bucket = e->addr >> DD_HASH_FN_SHIFT;
			matches = 0;
			best_lvl = -1;
			best = NULL;
		}
		scanned++;
		if (!(e->addr <= ref->addr && e->addr + e->len >= ref->addr + ref->len))
			continue;
		lvl = (e->len == ref->len) + (e->type == ref->type) + (e->dir == ref->dir) +
		      (e->sg_call_ents == ref->sg_call_ents);
		if (lvl == 4)
			return e;
		matches++;
		if (lvl > best_lvl) {
			best_lvl = lvl;
			best = e;
		}
	}
	return matches == 1 ? best : NULL;
}

/* --- the checks ----------------------------------------------------------------- */

static void add_entry(struct checkers *cs, const struct sim_event *ev, enum dd_type type)
{
	struct dd_entry *e;

	if (ev->ret < 0 || ev->addr == DMA_MAPPING_ERROR)
		return; /* failed maps are not recorded */
	if (type == DD_TYPE_SG && ev->ret == 0)
		return;
	e = calloc(1, sizeof(*e));
	if (!e) {
		/* like the kernel when its entry pool cannot grow: dma-debug is off from here */
		cs->enabled[CHECK_DMA_DEBUG] = false;
		return;
	}
	e->dev = ev->dev;
	e->addr = ev->addr;
	e->seq = ++cs->seq;
	e->len = ev->len;
	e->dir = ev->dir;
	e->type = type;
	e->attrs = ev->attrs;
	e->line = ev->line;
	if (type == DD_TYPE_SG) {
		e->sg_call_ents = ev->count;
		e->sg_mapped_ents = (unsigned int)ev->ret;
		e->map_err = DD_MAP_ERR_NOT_APPLICABLE;
	} else {
		e->phys = ev->phys;
		e->map_err = DD_MAP_ERR_NOT_CHECKED;
	}
	RB_INSERT(dd_tree, &cs->maps, e);
	cacheline_insert(cs, e, ev);
}

static void remove_entry(struct checkers *cs, struct dd_entry *e)
{
	cacheline_remove(cs, e);
	RB_REMOVE(dd_tree, &cs->maps, e);
	free(e);
}

static void check_unmap(struct checkers *cs, const struct sim_event *ev, enum dd_type type)
{
	struct dd_entry ref = {
		.dev = ev->dev,
		.addr = ev->addr,
		.len = ev->len,
		.dir = ev->dir,
		.type = type,
		.sg_call_ents = type == DD_TYPE_SG ? ev->count : 0,
	};
	const char *dev = check_dev_name(ev->dev);
	struct dd_entry *e;
	char kmsg[512];
	int n = kprefix(kmsg, sizeof(kmsg), ev->dev);

	if (ev->addr == DMA_MAPPING_ERROR) {
		snprintf(kmsg + n, sizeof(kmsg) - n,
			 "device driver tries to free an invalid DMA memory address");
		check_report(cs, CHECK_DMA_DEBUG, "unmap-invalid-address", RULE_UNMAP, ev, ev->line,
			     ev->dev, kmsg, "%s unmaps DMA_MAPPING_ERROR (the failed map's result)",
			     dev);
		return;
	}
	e = find_exact(cs, &ref);
	if (!e) {
		snprintf(kmsg + n, sizeof(kmsg) - n,
			 "device driver tries to free DMA memory it has not allocated [device "
			 "address=0x%016llx] [size=%llu bytes]",
			 (unsigned long long)ref.addr, (unsigned long long)ref.len);
		check_report(cs, CHECK_DMA_DEBUG, "unmap-not-mapped", RULE_UNMAP, ev, ev->line,
			     ev->dev, kmsg,
			     "%s unmaps %#llx (+%llu) which is not a live mapping of this device",
			     dev, (unsigned long long)ref.addr, (unsigned long long)ref.len);
		return;
	}
	if (ref.len != e->len) {
		snprintf(kmsg + n, sizeof(kmsg) - n,
			 "device driver frees DMA memory with different size [device "
			 "address=0x%016llx] [map size=%llu bytes] [unmap size=%llu bytes]",
			 (unsigned long long)ref.addr, (unsigned long long)e->len,
			 (unsigned long long)ref.len);
		check_report(cs, CHECK_DMA_DEBUG, "unmap-wrong-size", RULE_UNMAP, ev, ev->line,
			     ev->dev, kmsg,
			     "%s unmaps %#llx with size %llu; mapped (line %d) with %llu", dev,
			     (unsigned long long)ref.addr, (unsigned long long)ref.len, e->line,
			     (unsigned long long)e->len);
	}
	if (ref.type != e->type) {
		snprintf(kmsg + n, sizeof(kmsg) - n,
			 "device driver frees DMA memory with wrong function [device "
			 "address=0x%016llx] [size=%llu bytes] [mapped as %s] [unmapped as %s]",
			 (unsigned long long)ref.addr, (unsigned long long)ref.len,
			 type_name(e->type), type_name(ref.type));
		check_report(cs, CHECK_DMA_DEBUG, "unmap-wrong-function", RULE_UNMAP, ev, ev->line,
			     ev->dev, kmsg, "%s unmaps %#llx as %s; it was mapped (line %d) as %s",
			     dev, (unsigned long long)ref.addr, type_name(ref.type), e->line,
			     type_name(e->type));
	}
	if (ref.sg_call_ents && ref.type == DD_TYPE_SG && ref.sg_call_ents != e->sg_call_ents) {
		snprintf(kmsg + n, sizeof(kmsg) - n,
			 "device driver frees DMA sg list with different entry count [map "
			 "count=%u] [unmap count=%u]",
			 e->sg_call_ents, ref.sg_call_ents);
		check_report(cs, CHECK_DMA_DEBUG, "unmap-sg-count", RULE_UNMAP, ev, ev->line,
			     ev->dev, kmsg,
			     "%s unmaps sg list %#llx with nents %u; dma_map_sg (line %d) got %u "
			     "(pass the nents given to map, not the count it returned)",
			     dev, (unsigned long long)ref.addr, ref.sg_call_ents, e->line,
			     e->sg_call_ents);
	}
	if (ref.dir != e->dir) {
		snprintf(kmsg + n, sizeof(kmsg) - n,
			 "device driver frees DMA memory with different direction [device "
			 "address=0x%016llx] [size=%llu bytes] [mapped with %s] [unmapped with %s]",
			 (unsigned long long)ref.addr, (unsigned long long)ref.len,
			 check_dir_name(e->dir), check_dir_name(ref.dir));
		check_report(cs, CHECK_DMA_DEBUG, "unmap-wrong-direction", RULE_UNMAP, ev, ev->line,
			     ev->dev, kmsg, "%s unmaps %#llx with %s; mapped (line %d) with %s",
			     dev, (unsigned long long)ref.addr, check_dir_name(ref.dir), e->line,
			     check_dir_name(e->dir));
	}
	if (e->map_err == DD_MAP_ERR_NOT_CHECKED) {
		snprintf(kmsg + n, sizeof(kmsg) - n,
			 "device driver failed to check map error[device address=0x%016llx] "
			 "[size=%llu bytes] [mapped as %s]",
			 (unsigned long long)ref.addr, (unsigned long long)ref.len,
			 type_name(e->type));
		check_report(cs, CHECK_DMA_DEBUG, "unchecked-mapping-error", RULE_MAPERR, ev,
			     ev->line, ev->dev, kmsg,
			     "%s unmaps %#llx but never called dma_mapping_error() on it after the "
			     "map at line %d",
			     dev, (unsigned long long)ref.addr, e->line);
	}
	remove_entry(cs, e);
}

static void check_sync(struct checkers *cs, const struct sim_event *ev, bool to_cpu)
{
	const char *dev = check_dev_name(ev->dev);
	const char *what = to_cpu ? "dma_sync_*_for_cpu" : "dma_sync_*_for_device";
	struct dd_entry *e, ref;
	char kmsg[512];
	int n = kprefix(kmsg, sizeof(kmsg), ev->dev);

	ref = (struct dd_entry){
		.dev = ev->dev,
		.addr = ev->addr,
		.len = ev->len,
		.dir = ev->dir,
		.type = ev->count ? DD_TYPE_SG : DD_TYPE_PHY,
		.sg_call_ents = ev->count,
	};
	e = find_sync_entry(cs, &ref);
	if (!e) {
		snprintf(kmsg + n, sizeof(kmsg) - n,
			 "device driver tries to sync DMA memory it has not allocated [device "
			 "address=0x%016llx] [size=%llu bytes]",
			 (unsigned long long)ev->addr, (unsigned long long)ev->len);
		check_report(cs, CHECK_DMA_DEBUG, "sync-not-mapped", RULE_SYNC, ev, ev->line,
			     ev->dev, kmsg, "%s: %s of %#llx (+%llu) is not inside a live mapping",
			     dev, what, (unsigned long long)ev->addr, (unsigned long long)ev->len);
		return;
	}
	if (ev->len > e->len) {
		snprintf(kmsg + n, sizeof(kmsg) - n,
			 "device driver syncs DMA memory outside allocated range [device "
			 "address=0x%016llx] [allocation size=%llu bytes] [sync offset+size=%llu]",
			 (unsigned long long)e->addr, (unsigned long long)e->len,
			 (unsigned long long)ev->len);
		check_report(cs, CHECK_DMA_DEBUG, "sync-outside-mapping", RULE_SYNC, ev, ev->line,
			     ev->dev, kmsg, "%s: %s of %llu bytes exceeds the %llu-byte mapping",
			     dev, what, (unsigned long long)ev->len, (unsigned long long)e->len);
	}
	if (e->dir == DMA_BIDIRECTIONAL)
		return;
	if (ev->dir != e->dir) {
		snprintf(kmsg + n, sizeof(kmsg) - n,
			 "device driver syncs DMA memory with different direction [device "
			 "address=0x%016llx] [size=%llu bytes] [mapped with %s] [synced with %s]",
			 (unsigned long long)ev->addr, (unsigned long long)ev->len,
			 check_dir_name(e->dir), check_dir_name(ev->dir));
		check_report(cs, CHECK_DMA_DEBUG, "sync-wrong-direction", RULE_SYNC, ev, ev->line,
			     ev->dev, kmsg, "%s: %s with %s; mapped (line %d) with %s", dev, what,
			     check_dir_name(ev->dir), e->line, check_dir_name(e->dir));
	}
	if (to_cpu && e->dir != DMA_FROM_DEVICE && ev->dir != DMA_TO_DEVICE) {
		snprintf(kmsg + n, sizeof(kmsg) - n,
			 "device driver syncs device read-only DMA memory for cpu [device "
			 "address=0x%016llx] [size=%llu bytes] [mapped with %s] [synced with %s]",
			 (unsigned long long)ev->addr, (unsigned long long)ev->len,
			 check_dir_name(e->dir), check_dir_name(ev->dir));
		check_report(cs, CHECK_DMA_DEBUG, "sync-read-only-for-cpu", RULE_SYNC, ev, ev->line,
			     ev->dev, kmsg,
			     "%s: sync for cpu of a %s mapping: the device never writes it", dev,
			     check_dir_name(e->dir));
	}
	if (!to_cpu && e->dir != DMA_TO_DEVICE && ev->dir != DMA_FROM_DEVICE) {
		snprintf(kmsg + n, sizeof(kmsg) - n,
			 "device driver syncs device write-only DMA memory to device [device "
			 "address=0x%016llx] [size=%llu bytes] [mapped with %s] [synced with %s]",
			 (unsigned long long)ev->addr, (unsigned long long)ev->len,
			 check_dir_name(e->dir), check_dir_name(ev->dir));
		check_report(cs, CHECK_DMA_DEBUG, "sync-write-only-to-device", RULE_SYNC, ev,
			     ev->line, ev->dev, kmsg,
			     "%s: sync for device of a %s mapping: the device never reads it", dev,
			     check_dir_name(e->dir));
	}
	if (ev->count && e->type == DD_TYPE_SG && ev->count != e->sg_call_ents) {
		snprintf(kmsg + n, sizeof(kmsg) - n,
			 "device driver syncs DMA sg list with different entry count [map "
			 "count=%u] [sync count=%u]",
			 e->sg_call_ents, ev->count);
		check_report(cs, CHECK_DMA_DEBUG, "sync-sg-count", RULE_SYNC, ev, ev->line, ev->dev,
			     kmsg, "%s: sg sync with nents %u; mapped (line %d) with %u", dev,
			     ev->count, e->line, e->sg_call_ents);
	}
}

static void mapping_error_checked(struct checkers *cs, const struct sim_event *ev)
{
	struct dd_entry probe = { .dev = ev->dev, .addr = ev->addr, .seq = 0 };
	struct dd_entry *e = RB_NFIND(dd_tree, &cs->maps, &probe);

	for (; e && e->dev == ev->dev && e->addr == ev->addr; e = RB_NEXT(dd_tree, &cs->maps, e)) {
		if (e->map_err == DD_MAP_ERR_NOT_CHECKED) {
			e->map_err = DD_MAP_ERR_CHECKED;
			return;
		}
	}
}

void dma_debug_release(struct checkers *cs, const struct sim_event *ev)
{
	struct dd_entry probe = { .dev = ev->dev, .addr = 0, .seq = 0 };
	struct dd_entry *e = RB_NFIND(dd_tree, &cs->maps, &probe), *first = NULL;
	unsigned int count = 0;
	char kmsg[768];
	int n;

	for (; e && e->dev == ev->dev; e = RB_NEXT(dd_tree, &cs->maps, e)) {
		if (e->released)
			continue;
		if (!first)
			first = e;
		e->released = true;
		count++;
	}
	if (!count)
		return;
	n = kprefix(kmsg, sizeof(kmsg), ev->dev);
	snprintf(kmsg + n, sizeof(kmsg) - n,
		 "device driver has pending DMA allocations while released from device "
		 "[count=%u] One of leaked entries details: [device address=0x%016llx] "
		 "[size=%llu bytes] [mapped with %s] [mapped as %s]",
		 count, (unsigned long long)first->addr, (unsigned long long)first->len,
		 check_dir_name(first->dir), type_name(first->type));
	check_report(cs, CHECK_DMA_DEBUG, "pending-at-release", RULE_LEAK, ev, ev->line, ev->dev,
		     kmsg,
		     "%s released with %u live mapping(s); first: %#llx (+%llu) mapped at line %d",
		     ev->dev->id, count, (unsigned long long)first->addr,
		     (unsigned long long)first->len, first->line);
}

void dma_debug_event(struct checkers *cs, const struct sim_event *ev)
{
	if (!ev->dev && ev->kind <= EV_DMA_MAPPING_ERROR_CHECKED)
		return;
	switch (ev->kind) {
	case EV_DMA_MAP:
		add_entry(cs, ev, DD_TYPE_PHY);
		break;
	case EV_DMA_MAP_SG:
		add_entry(cs, ev, DD_TYPE_SG);
		break;
	case EV_DMA_UNMAP:
		check_unmap(cs, ev, DD_TYPE_PHY);
		break;
	case EV_DMA_UNMAP_SG:
		check_unmap(cs, ev, DD_TYPE_SG);
		break;
	case EV_DMA_SYNC_FOR_CPU:
		check_sync(cs, ev, true);
		break;
	case EV_DMA_SYNC_FOR_DEVICE:
		check_sync(cs, ev, false);
		break;
	case EV_DMA_MAPPING_ERROR_CHECKED:
		mapping_error_checked(cs, ev);
		break;
	case EV_DEVICE_RELEASE:
		if (ev->dev)
			dma_debug_release(cs, ev);
		break;
	default:
		break;
	}
}

void dma_debug_free(struct checkers *cs)
{
	struct dd_entry *e, *next;
	struct dd_cacheline *cl, *cnext;

	RB_FOREACH_SAFE(e, dd_tree, &cs->maps, next) {
		RB_REMOVE(dd_tree, &cs->maps, e);
		free(e);
	}
	RB_FOREACH_SAFE(cl, dd_cl_tree, &cs->cachelines, cnext) {
		RB_REMOVE(dd_cl_tree, &cs->cachelines, cl);
		free(cl);
	}
}

struct dd_entry *dma_debug_first(struct checkers *cs)
{
	return RB_MIN(dd_tree, &cs->maps);
}

struct dd_entry *dma_debug_next(struct checkers *cs, struct dd_entry *e)
{
	return RB_NEXT(dd_tree, &cs->maps, e);
}

u64 dma_debug_count(struct checkers *cs)
{
	struct dd_entry *e;
	u64 n = 0;

	RB_FOREACH(e, dd_tree, &cs->maps)
		n++;
	return n;
}
