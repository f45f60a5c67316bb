// SPDX-License-Identifier: GPL-2.0-only
/*
 * twostep.c - rules of the two-step IOVA API (reference/dma-iommu.md §3.5)
 * that upstream DMA-API debug does not check, reported by the dma-debug and
 * leaks checkers; docs/two-step.md §3, docs/checkers.md.
 *
 * Built from events: the IOMMU and IOVA events, and the API's own EV_IOVA_LINK
 * (after the work, with its outcome) and EV_IOVA_UNLINK (before the work;
 * flags=1 for dma_iova_destroy()) from src/iommu/dma-iommu.c:
 *   dma-debug / iova-dma-before-sync
 *       EV_IOTLB_FILL of a page that EV_IOMMU_MAP wrote and no
 *       iotlb_sync_map (EV_IOTLB_SYNC flags=1) has covered since, on a unit
 *       whose driver has iotlb_sync_map (VT-d, AMD-Vi): the device used a
 *       dma_iova_link() before dma_iova_sync(). The model translates it
 *       (no caching mode); a virtualised IOMMU might not.
 *   dma-debug / iova-link-outside-reservation
 *       EV_IOMMU_MAP in a DMA domain that has IOVA allocations, of a range
 *       no live allocation contains: dma_iova_link() past the end of its
 *       dma_iova_try_alloc() reservation, which upstream never checks.
 *   dma-debug / iova-link-overlap
 *       EV_IOVA_LINK of a range part of which is linked already (in the
 *       same domain, not unlinked or freed since). Reported whether or not
 *       the link failed: the IOMMU drivers refuse a map over a present entry
 *       (-EEXIST), but the rule broken is the caller's.
 *   dma-debug / iova-unlink-not-linked
 *       EV_IOVA_UNLINK (dma_iova_unlink(), or dma_iova_destroy() with its
 *       mapped_len) covering bytes that no link covers: never linked, or
 *       unlinked already. Upstream only WARNs when the page table had less
 *       to unmap than asked (a whole granule linked by a shorter link hides
 *       it there); here the bytes count.
 *   iotlb / iova-link-lost
 *       EV_IOMMU_UNMAP of IOVA that a live link covers, outside any
 *       dma_iova_unlink() / dma_iova_destroy() of it (those cut the link
 *       before their unmap): the kernel took away a translation the caller
 *       still owns (6ec91df8aff7: a swiotlb link's error unwind from offset
 *       0 unmapped an earlier link). Once per link.
 *   iotlb / hang
 *       EV_KERNEL_HANG: a kernel loop that would never end (the v5 unlink
 *       slow path spinning on a granule with no translation).
 *   leaks / iova-destroy-left-linked
 *       EV_IOVA_FREE / EV_IOVA_QUEUED of the start of an allocation with a
 *       shorter length (dma_iova_destroy(mapped_len) of part of it) while
 *       the rest of the allocation still maps pages: mapped_len was not the
 *       only linked range, and those links now outlive their IOVA. (A
 *       streaming mapping freed short is a wrong-size unmap: dma-debug's.)
 *
 * Owns cs->unsynced (key = domain, ranges mapped and not yet synced) and
 * cs->linked (key = domain, disjoint ranges successfully linked and neither
 * unlinked nor freed: an EV_IOVA_FREE / EV_IOVA_QUEUED forgets every link
 * inside the allocation it frees, so a destroy or free that left links
 * behind is reported once, by iotlb / leaks, and not again as an overlap
 * when the IOVA is reserved anew).
 * Runs after the iotlb hook (cs->mapped current) and before the leaks hook
 * (the allocation is still in cs->iovas when its free arrives).
 */
#include <stdio.h>

#include "models/iommu/iommu_hw.h"
#include "sim/check/check_internal.h"

#define RULE_SYNC                                                                           \
	"include/linux/dma-mapping.h dma_iova_sync(): links are not visible to the device " \
	"until the IOTLB is synced; the device must not use them before"
#define RULE_BOUNDS                                                                           \
	"drivers/iommu/dma-iommu.c dma_iova_link(): offset + size must stay inside the size " \
	"given to dma_iova_try_alloc() (not checked upstream)"
#define RULE_OVERLAP                                                                             \
	"drivers/iommu/dma-iommu.c dma_iova_link(): each range of a reservation is linked once " \
	"and unlinked before it is linked again (not checked upstream; the IOMMU driver "        \
	"refuses a map over a present entry)"
#define RULE_UNLINK                                                                        \
	"drivers/iommu/dma-iommu.c dma_iova_unlink() / dma_iova_destroy(): only a linked " \
	"range may be unlinked, [0, mapped_len) for destroy (upstream only WARNs when "    \
	"iommu_unmap() removed less than the granule-aligned size)"
#define RULE_LOST                                                                         \
	"drivers/iommu/dma-iommu.c dma_iova_link(): a failing link undoes only what it "  \
	"linked itself, from its own offset (6ec91df8aff7); a linked range stays mapped " \
	"until its caller unlinks it"
#define RULE_HANG                                                                          \
	"drivers/iommu/dma-iommu.c iommu_dma_iova_unlink_range_slow(): a granule with no " \
	"translation is a WARN and the end of the walk, never a retry of the same lookup"
#define RULE_DESTROY                                                                      \
	"drivers/iommu/dma-iommu.c dma_iova_destroy(): [0, mapped_len) must be the only " \
	"linked range of the reservation; unlink the others first"

/* Does the unit behind domain @id have an iotlb_sync_map op (drivers.c table)? */
static bool domain_has_sync_map(const struct checkers *cs, u64 id)
{
	for (size_t i = 0; cs->m && i < cs->m->nr_iommus; i++) {
		struct iommu_hw *hw = cs->m->iommus[i];

		for (struct iommu_domain *d = iommu_hw_domains(hw); d; d = d->next) {
			if (d->id != id)
				continue;
			return iommu_hw_desc(hw)->type == IOMMU_TYPE_INTEL_VTD ||
			       iommu_hw_desc(hw)->type == IOMMU_TYPE_AMD_VI;
		}
	}
	return false;
}

/* The first range of @key in @t overlapping [addr, addr + len), or NULL. */
static struct track_entry *overlap(struct track_tree *t, u64 key, u64 addr, u64 len)
{
	struct track_entry *e = track_find_containing(t, key, addr);
	struct track_entry probe = { .key = key, .addr = addr, .seq = 0 };

	if (e && e->addr + e->len > addr)
		return e;
	e = RB_NFIND(track_tree, t, &probe);
	if (e && e->key == key && e->addr < addr + len)
		return e;
	return NULL;
}

/* Cut [addr, addr + len) out of @key's ranges in @t. */
static void cut(struct checkers *cs, struct track_tree *t, u64 key, u64 addr, u64 len)
{
	struct track_entry *e;

	if (!len)
		return; /* an unmap of nothing (e.g. a failed map's empty unroll) cuts nothing */
	while ((e = overlap(t, key, addr, len))) {
		u64 start = e->addr, end = e->addr + e->len;
		int line = e->line;
		struct track_entry *piece;

		track_del(t, e);
		if (start < addr && (piece = track_add(cs, t, key, start, addr - start)))
			piece->line = line;
		if (end > addr + len &&
		    (piece = track_add(cs, t, key, addr + len, end - (addr + len))))
			piece->line = line;
	}
}

static bool domain_has_iovas(struct checkers *cs, u64 key)
{
	struct track_entry probe = { .key = key, .addr = 0, .seq = 0 };
	struct track_entry *e = RB_NFIND(track_tree, &cs->iovas, &probe);

	return e && e->key == key;
}

static void on_map(struct checkers *cs, const struct sim_event *ev)
{
	struct track_entry *e;

	if (ev->ret || !ev->len)
		return;
	if (domain_has_sync_map(cs, ev->aux) &&
	    (e = track_add(cs, &cs->unsynced, ev->aux, ev->addr, ev->len)))
		e->line = ev->line;
	if (!check_on(cs, CHECK_DMA_DEBUG) || !domain_has_iovas(cs, ev->aux))
		return;
	e = track_find_containing(&cs->iovas, ev->aux, ev->addr);
	if (e && ev->addr + ev->len <= e->addr + e->len)
		return;
	check_report(cs, CHECK_DMA_DEBUG, "iova-link-outside-reservation", RULE_BOUNDS, ev,
		     ev->line, ev->dev, NULL,
		     "domain %llu maps IOVA %#llx (+%llu) outside every IOVA range it allocated%s",
		     (unsigned long long)ev->aux, (unsigned long long)ev->addr,
		     (unsigned long long)ev->len,
		     e ? " (it runs past the end of the reservation it starts in)" : "");
}

static void on_fill(struct checkers *cs, const struct sim_event *ev)
{
	struct track_entry *e = track_find_containing(&cs->unsynced, ev->aux, ev->addr);

	if (!e || ev->addr >= e->addr + e->len || !check_on(cs, CHECK_DMA_DEBUG))
		return;
	check_report(cs, CHECK_DMA_DEBUG, "iova-dma-before-sync", RULE_SYNC, ev, ev->line, ev->dev,
		     NULL,
		     "a device translated IOVA %#llx of domain %llu, linked at line %d, before any "
		     "dma_iova_sync() covered it",
		     (unsigned long long)ev->addr, (unsigned long long)ev->aux, e->line);
	track_del(&cs->unsynced, e); /* once per link */
}

/*
 * Is @a a streaming mapping's IOVA (a live dma-debug entry of its device
 * inside it)? Then a short free is a wrong-size unmap, which dma-debug
 * reports already (EV_DMA_UNMAP comes after the free). Only walked when a
 * short free left pages mapped, which is rare.
 */
static bool streaming_map_in(struct checkers *cs, const struct track_entry *a)
{
	for (struct dd_entry *d = dma_debug_first(cs); d; d = dma_debug_next(cs, d))
		if (d->dev == a->dev && d->addr < a->addr + a->len && d->addr + d->len > a->addr)
			return true;
	return false;
}

static void on_free(struct checkers *cs, const struct sim_event *ev)
{
	struct track_entry *a = track_find_containing(&cs->iovas, ev->aux, ev->addr);
	struct track_entry *m;
	u64 end;

	if (!a || a->addr != ev->addr || a->len <= ev->len || !check_on(cs, CHECK_LEAKS))
		return;
	end = a->addr + a->len;
	m = overlap(&cs->mapped, ev->aux, ev->addr + ev->len, end - (ev->addr + ev->len));
	if (!m || streaming_map_in(cs, a))
		return;
	check_report(
		cs, CHECK_LEAKS, "iova-destroy-left-linked", RULE_DESTROY, ev, ev->line, ev->dev,
		NULL,
		"domain %llu frees %llu bytes at IOVA %#llx of a %llu-byte allocation (line %d) "
		"while %#llx (+%llu), mapped at line %d, is still linked in it",
		(unsigned long long)ev->aux, (unsigned long long)ev->len,
		(unsigned long long)ev->addr, (unsigned long long)a->len, a->line,
		(unsigned long long)m->addr, (unsigned long long)m->len, m->line);
}

static void on_link(struct checkers *cs, const struct sim_event *ev)
{
	struct track_entry *e;

	if (!ev->len)
		return;
	e = overlap(&cs->linked, ev->aux, ev->addr, ev->len);
	if (e && check_on(cs, CHECK_DMA_DEBUG)) {
		char outcome[64] = "";

		if (ev->ret)
			snprintf(outcome, sizeof(outcome), "; the link failed (%d)", ev->ret);
		check_report(
			cs, CHECK_DMA_DEBUG, "iova-link-overlap", RULE_OVERLAP, ev, ev->line,
			ev->dev, NULL,
			"%s links IOVA %#llx (+%llu) of domain %llu over %#llx (+%llu), linked "
			"at line %d and not unlinked since%s",
			check_dev_name(ev->dev), (unsigned long long)ev->addr,
			(unsigned long long)ev->len, (unsigned long long)ev->aux,
			(unsigned long long)e->addr, (unsigned long long)e->len, e->line, outcome);
	}
	if (ev->ret)
		return; /* nothing stays linked: the IOMMU map or the swiotlb split undid it */
	cut(cs, &cs->linked, ev->aux, ev->addr, ev->len);
	e = track_add(cs, &cs->linked, ev->aux, ev->addr, ev->len);
	if (e) {
		e->line = ev->line;
		e->dev = ev->dev;
	}
}

static void on_unlink(struct checkers *cs, const struct sim_event *ev)
{
	u64 pos = ev->addr, end = ev->addr + ev->len;
	struct track_entry *e;

	if (!ev->len)
		return; /* dma_iova_destroy(0): the first link failed, nothing to unlink */
	/* the linked ranges are disjoint: walk them from the start while they touch */
	while (pos < end && (e = track_find_containing(&cs->linked, ev->aux, pos)))
		pos = e->addr + e->len;
	if (pos < end && check_on(cs, CHECK_DMA_DEBUG)) {
		u64 gap_end = end;

		e = overlap(&cs->linked, ev->aux, pos, end - pos);
		if (e && e->addr < gap_end)
			gap_end = e->addr;
		check_report(cs, CHECK_DMA_DEBUG, "iova-unlink-not-linked", RULE_UNLINK, ev,
			     ev->line, ev->dev, NULL,
			     "%s: %s of IOVA %#llx (+%llu) in domain %llu: %#llx (+%llu) is not "
			     "linked (never linked, or unlinked already)",
			     check_dev_name(ev->dev),
			     ev->flags == 1 ? "dma_iova_destroy() with mapped_len" :
					      "dma_iova_unlink()",
			     (unsigned long long)ev->addr, (unsigned long long)ev->len,
			     (unsigned long long)ev->aux, (unsigned long long)pos,
			     (unsigned long long)(gap_end - pos));
	}
	cut(cs, &cs->linked, ev->aux, ev->addr, ev->len);
}

/* Unmapped outside an unlink of it: a link lost its translation under its caller. */
static void on_unmap(struct checkers *cs, const struct sim_event *ev)
{
	struct track_entry *e;

	if (!ev->len || !check_on(cs, CHECK_IOTLB))
		return;
	e = overlap(&cs->linked, ev->aux, ev->addr, ev->len);
	if (!e || e->state)
		return;
	e->state = 1; /* once per link */
	check_report(cs, CHECK_IOTLB, "iova-link-lost", RULE_LOST, ev, ev->line, ev->dev, NULL,
		     "IOVA %#llx (+%llu) of domain %llu is unmapped, but %#llx (+%llu), linked "
		     "at line %d, is in it and was not unlinked: its caller still uses it",
		     (unsigned long long)ev->addr, (unsigned long long)ev->len,
		     (unsigned long long)ev->aux, (unsigned long long)e->addr,
		     (unsigned long long)e->len, e->line);
}

static void on_hang(struct checkers *cs, const struct sim_event *ev)
{
	if (!check_on(cs, CHECK_IOTLB))
		return;
	check_report(cs, CHECK_IOTLB, "hang", RULE_HANG, ev, ev->line, ev->dev, NULL,
		     "%s: the dma_iova_unlink() slow path finds no translation at IOVA %#llx of "
		     "domain %llu and looks it up again forever",
		     check_dev_name(ev->dev), (unsigned long long)ev->addr,
		     (unsigned long long)ev->aux);
}

/* An allocation goes back (or onto the flush queue): forget the links inside it. */
static void forget_links(struct checkers *cs, const struct sim_event *ev)
{
	struct track_entry *a = track_find_containing(&cs->iovas, ev->aux, ev->addr);
	u64 start = ev->addr, len = ev->len;

	if (a && a->addr + a->len > start + len) {
		start = a->addr;
		len = a->len;
	} else if (a) {
		len += start - a->addr;
		start = a->addr;
	}
	if (len)
		cut(cs, &cs->linked, ev->aux, start, len);
}

void twostep_check_event(struct checkers *cs, const struct sim_event *ev)
{
	switch (ev->kind) {
	case EV_IOMMU_MAP:
		on_map(cs, ev);
		break;
	case EV_IOTLB_SYNC:
		if (ev->flags == 1)
			cut(cs, &cs->unsynced, ev->aux, ev->addr, ev->len);
		break;
	case EV_IOMMU_UNMAP:
		cut(cs, &cs->unsynced, ev->aux, ev->addr, ev->len);
		on_unmap(cs, ev);
		break;
	case EV_KERNEL_HANG:
		on_hang(cs, ev);
		break;
	case EV_IOTLB_FILL:
		on_fill(cs, ev);
		break;
	case EV_IOVA_FREE:
	case EV_IOVA_QUEUED:
		on_free(cs, ev);
		forget_links(cs, ev);
		break;
	case EV_IOVA_LINK:
		on_link(cs, ev);
		break;
	case EV_IOVA_UNLINK:
		on_unlink(cs, ev);
		break;
	default:
		break;
	}
}
