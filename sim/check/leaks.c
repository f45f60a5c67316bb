// SPDX-License-Identifier: GPL-2.0-only
/*
 * leaks.c - the "leaks" checker: what is still held when a device is
 * released (EV_DEVICE_RELEASE: driver unbind, or the world's teardown) and
 * at the end of the run (checkers_finish()).
 *
 * Owns the IOVA and swiotlb-slot tracking (cs->iovas, cs->slots), built from
 * EV_IOVA_ALLOC / EV_IOVA_FREE / EV_IOVA_QUEUED and EV_SWIOTLB_MAP /
 * EV_SWIOTLB_UNMAP; reads the streaming mappings of dma_debug.c.
 *
 * Reports:
 *   swiotlb-slots-at-release  slots a released device still holds;
 *   iova-at-release           IOVA ranges a released device allocated and still
 *                             holds (not freed, not queued, not behind a live
 *                             mapping: those are reported as mappings);
 *   mappings-at-release       live mappings of a released device (only when
 *                             the dma-debug checker is off: it reports the
 *                             same thing in the kernel's words);
 *   mapping-leak              a mapping never unmapped by the end of the run;
 *   swiotlb-leak              a bounce slot never released;
 *   iova-leak                 an IOVA range allocated, neither freed nor queued
 *                             for freeing, and not behind any live mapping.
 *   hmm-pfns-mapped-at-free   EV_HMM_MAP_FREE with pfns still DMA_MAPPED;
 *   pgtable-leak              at the end of the run, with no unmap waiting for
 *                             its IOTLB flush: page-table pages counted live by
 *                             the IOMMU statistics but attached to no live
 *                             domain's table (detached by an unmap, never
 *                             freed). Intermediate tables still attached are
 *                             not leaks: drivers keep them until the domain
 *                             is freed.
 * Objects that existed before the checkers subscribed are unknown to them
 * and never reported.
 */
#include "models/iommu/iommu_hw.h"
#include "sim/check/check_internal.h"

#define RULE_MAP_LEAK                                                         \
	"Documentation/core-api/dma-api.rst: every dma_map_* must be paired " \
	"with the matching dma_unmap_* before the buffer is reused or the "   \
	"driver unbinds"
#define RULE_SWIOTLB                                                          \
	"kernel/dma/swiotlb.c swiotlb_tbl_unmap_single(): every bounce slot " \
	"taken by a mapping is released by its unmap; the pool is finite"
#define RULE_PGTABLE                                                                  \
	"drivers/iommu: page-table pages an unmap detached are freed after the IOTLB sync "   \
	"(strict) or when the flush queue frees the entry (lazy, fq_ring_free())"
#define RULE_HMM                                                                       \
	"mm/hmm.c hmm_dma_map_free(): every pfn is unmapped with hmm_dma_unmap_pfn() first; "  \
	"with an IOVA, dma_iova_free() releases the range without unlinking it"
#define RULE_IOVA                                                                    \
	"drivers/iommu/dma-iommu.c: every IOVA allocated by iommu_dma_alloc_iova() " \
	"(or dma_iova_try_alloc()) is freed by the unmap (or dma_iova_free())"

/* track_entry.state bits */
enum { IOVA_QUEUED = 1, REPORTED = 2 };

static bool iova_in_use(struct checkers *cs, const struct track_entry *e);

static void release_slots(struct checkers *cs, const struct sim_event *ev)
{
	const struct track_entry *first = NULL;
	unsigned int slots = 0;
	struct track_entry *e;

	RB_FOREACH(e, track_tree, &cs->slots) {
		if (e->dev != ev->dev || (e->state & REPORTED))
			continue;
		e->state |= REPORTED;
		if (!first)
			first = e;
		slots++;
	}
	if (slots)
		check_report(cs, CHECK_LEAKS, "swiotlb-slots-at-release", RULE_SWIOTLB, ev,
			     ev->line, ev->dev, NULL,
			     "%s released holding %u swiotlb bounce buffer(s); first: tlb %#llx "
			     "(+%llu) for %#llx, mapped at line %d",
			     ev->dev->id, slots, (unsigned long long)first->addr,
			     (unsigned long long)first->len, (unsigned long long)first->aux,
			     first->line);
}

static void release_iovas(struct checkers *cs, const struct sim_event *ev)
{
	struct track_entry *e;

	RB_FOREACH(e, track_tree, &cs->iovas) {
		if (e->dev != ev->dev || e->state || iova_in_use(cs, e))
			continue;
		e->state |= REPORTED;
		check_report(cs, CHECK_LEAKS, "iova-at-release", RULE_IOVA, ev, ev->line, ev->dev,
			     NULL,
			     "%s released while IOVA range %#llx (+%llu) allocated at line %d is "
			     "neither freed nor behind a live mapping",
			     ev->dev->id, (unsigned long long)e->addr, (unsigned long long)e->len,
			     e->line);
	}
}

static void release_mappings(struct checkers *cs, const struct sim_event *ev)
{
	const struct dd_entry *first = NULL;
	unsigned int maps = 0;

	/* dma-debug reports these in the kernel's words when it is on */
	if (check_on(cs, CHECK_DMA_DEBUG))
		return;
	for (struct dd_entry *d = dma_debug_first(cs); d; d = dma_debug_next(cs, d)) {
		if (d->dev != ev->dev)
			continue;
		if (!first)
			first = d;
		maps++;
	}
	if (maps)
		check_report(cs, CHECK_LEAKS, "mappings-at-release", RULE_MAP_LEAK, ev, ev->line,
			     ev->dev, NULL,
			     "%s released with %u live mapping(s); first: %#llx (+%llu) mapped at "
			     "line %d",
			     ev->dev->id, maps, (unsigned long long)first->addr,
			     (unsigned long long)first->len, first->line);
}

static void on_release(struct checkers *cs, const struct sim_event *ev)
{
	release_slots(cs, ev);
	release_iovas(cs, ev);
	release_mappings(cs, ev);
}

void leaks_event(struct checkers *cs, const struct sim_event *ev)
{
	struct track_entry *e;

	switch (ev->kind) {
	case EV_IOVA_ALLOC:
		if (ev->ret < 0 || !ev->len)
			break;
		e = track_add(cs, &cs->iovas, ev->aux, ev->addr, ev->len);
		if (e) {
			e->line = ev->line;
			e->dev = ev->dev;
		}
		break;
	case EV_IOVA_FREE:
		e = track_find(&cs->iovas, ev->aux, ev->addr);
		if (!e)
			e = track_find_containing(&cs->iovas, ev->aux, ev->addr);
		if (e)
			track_del(&cs->iovas, e);
		break;
	case EV_IOVA_QUEUED:
		e = track_find(&cs->iovas, ev->aux, ev->addr);
		if (!e)
			e = track_find_containing(&cs->iovas, ev->aux, ev->addr);
		if (e)
			e->state |= IOVA_QUEUED;
		break;
	case EV_SWIOTLB_MAP:
		e = track_add(cs, &cs->slots, 0, ev->addr, ev->len);
		if (e) {
			e->aux = ev->phys;
			e->dev = ev->dev;
			e->line = ev->line;
		}
		break;
	case EV_SWIOTLB_UNMAP:
		e = track_find(&cs->slots, 0, ev->addr);
		if (e)
			track_del(&cs->slots, e);
		break;
	case EV_DEVICE_RELEASE:
		if (ev->dev)
			on_release(cs, ev);
		break;
	case EV_HMM_MAP_FREE:
		if (ev->count)
			check_report(cs, CHECK_LEAKS, "hmm-pfns-mapped-at-free", RULE_HMM, ev, ev->line,
				     ev->dev, NULL,
				     "%s: hmm_dma_map_free() with %u of %llu pfns still DMA-mapped%s",
				     check_dev_name(ev->dev), ev->count, (unsigned long long)ev->len,
				     ev->addr ? ": dma_iova_free() drops the IOVA without unlinking "
						"them"
					      : ": their mappings are never unmapped");
		break;
	default:
		break;
	}
}

bool leaks_slot_bounces(struct checkers *cs, phys_addr_t tlb, phys_addr_t orig)
{
	const struct track_entry *e = track_find_containing(&cs->slots, 0, tlb);

	return e && e->aux + (tlb - e->addr) == orig;
}

/* Is IOVA range @e behind a live streaming mapping? */
static bool iova_in_use(struct checkers *cs, const struct track_entry *e)
{
	for (struct dd_entry *d = dma_debug_first(cs); d; d = dma_debug_next(cs, d))
		if (d->addr < e->addr + e->len && e->addr < d->addr + (d->len ? d->len : 1))
			return true;
	return false;
}

/*
 * Page-table pages: the IOMMU statistics count every page not yet freed;
 * the live domains' tables hold the attached ones. With no unmap waiting
 * for its IOTLB flush, the difference is pages detached and never freed.
 */
static void pgtable_finish(struct checkers *cs)
{
	if (cs->nr_open_unmaps)
		return;
	for (size_t i = 0; i < cs->m->nr_iommus; i++) {
		const struct iommu_hw *hw = cs->m->iommus[i];
		u64 live = iommu_hw_stats(hw)->pgtable_pages_live, attached = 0;

		for (const struct iommu_domain *d = iommu_hw_domains(hw); d; d = d->next)
			if (d->pgtable)
				attached += io_pgtable_pages(d->pgtable);
		if (live > attached)
			check_report(cs, CHECK_LEAKS, "pgtable-leak", RULE_PGTABLE, NULL, 0, NULL,
				     NULL,
				     "%s: %llu page-table page(s) detached from every domain's table "
				     "were never freed (no IOTLB flush is pending)",
				     iommu_hw_desc(hw)->id, (unsigned long long)(live - attached));
	}
}

void leaks_finish(struct checkers *cs)
{
	struct track_entry *e;

	pgtable_finish(cs);

	for (struct dd_entry *d = dma_debug_first(cs); d; d = dma_debug_next(cs, d)) {
		if (d->released)
			continue;
		check_report(cs, CHECK_LEAKS, "mapping-leak", RULE_MAP_LEAK, NULL, d->line, d->dev,
			     NULL,
			     "%s: mapping %#llx (+%llu, %s) made at line %d was never unmapped",
			     d->dev->id, (unsigned long long)d->addr, (unsigned long long)d->len,
			     check_dir_name(d->dir), d->line);
	}
	RB_FOREACH(e, track_tree, &cs->slots) {
		if (e->state & REPORTED)
			continue;
		check_report(cs, CHECK_LEAKS, "swiotlb-leak", RULE_SWIOTLB, NULL, e->line, e->dev,
			     NULL,
			     "%s: swiotlb bounce buffer tlb %#llx (+%llu) for %#llx, taken at line "
			     "%d, was never released",
			     check_dev_name(e->dev), (unsigned long long)e->addr,
			     (unsigned long long)e->len, (unsigned long long)e->aux, e->line);
	}
	RB_FOREACH(e, track_tree, &cs->iovas) {
		if (e->state || iova_in_use(cs, e))
			continue;
		check_report(cs, CHECK_LEAKS, "iova-leak", RULE_IOVA, NULL, e->line, e->dev, NULL,
			     "IOVA range %#llx (+%llu) allocated at line %d was never freed",
			     (unsigned long long)e->addr, (unsigned long long)e->len, e->line);
	}
}
