// SPDX-License-Identifier: GPL-2.0-only
/*
 * iotlb.c - the "iotlb" checker: what the IOTLB may still translate after an
 * unmap (reference/dma-iommu.md §2.4-§2.6).
 *
 * Owns the unmapped-range state (check_internal.h: cs->unmapped, key =
 * domain id) and its life cycle, driven by events:
 *
 *   EV_IOMMU_UNMAP      range enters UNMAP_IN_PROGRESS (PTEs cleared; the
 *                       unmap call has not returned yet: a hit now is legal)
 *   EV_IOTLB_SYNC / EV_IOTLB_INVALIDATE covering it, or EV_DMA_UNMAP of it
 *                       (the unmap returned)      -> UNMAP_FLUSHED (strict)
 *   EV_IOVA_QUEUED      the IOVA went on the flush queue -> UNMAP_LAZY: the
 *                       exposure window of lazy mode opens
 *   EV_FQ_FLUSH / domain-wide EV_IOTLB_INVALIDATE -> UNMAP_FLUSHED (window closes)
 *   EV_IOMMU_MAP        the IOVA is mapped again: the range is forgotten
 *
 * Reports:
 *   stale-iotlb-hit     EV_IOTLB_HIT on an UNMAP_FLUSHED range: a translation
 *                       used after a strict unmap returned (or after the
 *                       lazy flush) - the device reached freed memory; also
 *                       a hit the IOTLB model flags stale (flags bit 0: the
 *                       page table no longer maps it so) outside any range
 *                       we track, e.g. an IOVA remapped without invalidation;
 *   stale-pte           EV_IOTLB_FILL for an unmapped range: the page walk
 *                       still found a PTE after unmap;
 *   iova-reused-before-flush  EV_IOMMU_MAP over a range whose lazy window is
 *                       still open (the IOVA was recycled before its flush);
 *   iova-freed-while-mapped  EV_IOVA_FREE of a range the domain still maps
 *                       (EV_IOMMU_MAP not undone by EV_IOMMU_UNMAP): e.g. the
 *                       two-step API's dma_iova_free() without unlinking;
 *   pgtable-freed-before-flush  EV_PGTABLE_PAGE_FREE of a page of a domain
 *                       that still has an unflushed unmap: the IOTLB / walk
 *                       caches may still point into the freed table.
 * Counts (not violations): IOTLB hits inside a lazy window
 * (stats.lazy_exposures), windows opened and the longest one.
 */
#include <stdlib.h>

#include "src/dma/dma.h"
#include "sim/check/check_internal.h"

#define RULE_STRICT                                                             \
	"drivers/iommu/dma-iommu.c __iommu_dma_unmap(): in strict mode "        \
	"iommu_iotlb_sync() completes before the unmap returns; afterwards no " \
	"device access may be translated through the old IOVA"
#define RULE_FREE                                                                     \
	"drivers/iommu/dma-iommu.c: an IOVA range is freed (free_iova_fast, dma_iova_free) "  \
	"only once nothing in it is mapped: dma_iova_free() requires every link unlinked "    \
	"(dma_iova_destroy() unlinks first)"
#define RULE_PTE                                                                    \
	"drivers/iommu/iommu.c iommu_unmap(): after unmap the page table holds no " \
	"translation for the range"
#define RULE_FQ                                                                        \
	"drivers/iommu/dma-iommu.c queue_iova()/fq_ring_free(): a lazily unmapped "    \
	"IOVA (and its page-table pages) may be reused only after a full IOTLB flush " \
	"that started after it was queued has completed"

static bool overlaps(const struct track_entry *e, u64 addr, u64 len)
{
	u64 end = addr + (len ? len : 1);

	return e->addr < end && addr < e->addr + (e->len ? e->len : 1);
}

static void open_add(struct checkers *cs, struct track_entry *e)
{
	if (cs->nr_open_unmaps == cs->cap_open_unmaps) {
		size_t cap = cs->cap_open_unmaps ? cs->cap_open_unmaps * 2 : 16;
		struct track_entry **n = realloc(cs->open_unmaps, cap * sizeof(*n));

		if (!n)
			return;
		cs->open_unmaps = n;
		cs->cap_open_unmaps = cap;
	}
	cs->open_unmaps[cs->nr_open_unmaps++] = e;
}

static void open_remove_at(struct checkers *cs, size_t i)
{
	cs->open_unmaps[i] = cs->open_unmaps[--cs->nr_open_unmaps];
}

static void open_remove(struct checkers *cs, const struct track_entry *e)
{
	for (size_t i = 0; i < cs->nr_open_unmaps; i++) {
		if (cs->open_unmaps[i] == e) {
			open_remove_at(cs, i);
			return;
		}
	}
}

/* Close a range's window: it is flushed from now on. */
static void set_flushed(struct checkers *cs, struct track_entry *e, u64 now)
{
	if (e->state == UNMAP_LAZY && now - e->time_ns > cs->stats.lazy_window_ns_max)
		cs->stats.lazy_window_ns_max = now - e->time_ns;
	e->state = UNMAP_FLUSHED;
}

/* Flush every open range of @domain (all domains when @any) overlapping [addr, +len) (len 0: all). */
static void flush_open(struct checkers *cs, u64 domain, bool any, u64 addr, u64 len,
		       unsigned int from_states, u64 now)
{
	for (size_t i = 0; i < cs->nr_open_unmaps;) {
		struct track_entry *e = cs->open_unmaps[i];

		if ((any || e->key == domain) && ((1u << e->state) & from_states) &&
		    (!len || overlaps(e, addr, len))) {
			set_flushed(cs, e, now);
			open_remove_at(cs, i);
			continue;
		}
		i++;
	}
}

/* Forget every range of @domain overlapping [addr, +len); report reuse inside a lazy window. */
static void forget_overlapping(struct checkers *cs, const struct sim_event *ev, bool remap)
{
	struct track_entry probe = { .key = ev->aux, .addr = 0, .seq = 0 };
	struct track_entry *e, *next;

	/* ranges are few per domain start; walk the domain's part of the tree */
	for (e = RB_NFIND(track_tree, &cs->unmapped, &probe); e && e->key == ev->aux; e = next) {
		next = RB_NEXT(track_tree, &cs->unmapped, e);
		if (e->addr >= ev->addr + (ev->len ? ev->len : 1))
			break;
		if (!overlaps(e, ev->addr, ev->len))
			continue;
		if (remap && e->state == UNMAP_LAZY)
			check_report(
				cs, CHECK_IOTLB, "iova-reused-before-flush", RULE_FQ, ev, ev->line,
				e->dev, NULL,
				"domain %llu maps IOVA %#llx again while its lazy unmap (line %d) "
				"is still waiting for the flush-queue IOTLB flush",
				(unsigned long long)ev->aux, (unsigned long long)ev->addr, e->line);
		if (e->state != UNMAP_FLUSHED)
			open_remove(cs, e);
		track_del(&cs->unmapped, e);
	}
}

/* The first mapped range of @domain overlapping [addr, addr + len), or NULL. */
static struct track_entry *mapped_overlap(struct checkers *cs, u64 domain, u64 addr, u64 len)
{
	struct track_entry *e = track_find_containing(&cs->mapped, domain, addr);
	struct track_entry probe = { .key = domain, .addr = addr, .seq = 0 };

	if (e)
		return e;
	e = RB_NFIND(track_tree, &cs->mapped, &probe);
	if (e && e->key == domain && e->addr < addr + (len ? len : 1))
		return e;
	return NULL;
}

/* EV_IOMMU_UNMAP: cut [addr, addr + len) out of @domain's mapped ranges. */
static void mapped_remove(struct checkers *cs, u64 domain, u64 addr, u64 len)
{
	struct track_entry *e;

	if (!len)
		return;
	while ((e = mapped_overlap(cs, domain, addr, len))) {
		u64 start = e->addr, end = e->addr + e->len;
		int line = e->line;
		struct track_entry *piece;

		track_del(&cs->mapped, e);
		if (start < addr) {
			piece = track_add(cs, &cs->mapped, domain, start, addr - start);
			if (piece)
				piece->line = line;
		}
		if (end > addr + len) {
			piece = track_add(cs, &cs->mapped, domain, addr + len, end - (addr + len));
			if (piece)
				piece->line = line;
		}
	}
}

/* EV_IOVA_FREE: no translation may remain inside a freed IOVA range. */
static void on_iova_free(struct checkers *cs, const struct sim_event *ev)
{
	const struct track_entry *e = mapped_overlap(cs, ev->aux, ev->addr, ev->len);

	if (!e)
		return;
	check_report(cs, CHECK_IOTLB, "iova-freed-while-mapped", RULE_FREE, ev, ev->line, ev->dev,
		     NULL,
		     "domain %llu frees IOVA range %#llx (+%llu) while %#llx (+%llu), mapped at line "
		     "%d, still translates: the next owner of the IOVA inherits it",
		     (unsigned long long)ev->aux, (unsigned long long)ev->addr,
		     (unsigned long long)ev->len, (unsigned long long)e->addr,
		     (unsigned long long)e->len, e->line);
}

static void on_hit(struct checkers *cs, const struct sim_event *ev, bool fill)
{
	struct track_entry *e = track_find_containing(&cs->unmapped, ev->aux, ev->addr);

	if (!e) {
		/*
		 * The IOTLB model flags a hit whose page-table entry is gone or
		 * now says something else (flags bit 0): an entry that outlived
		 * an unmap we did not see, or a remap done without invalidating.
		 */
		if (!fill && (ev->flags & 1)) {
			cs->chunk_stale_hit = true;
			check_report(cs, CHECK_IOTLB, "stale-iotlb-hit", RULE_STRICT, ev, ev->line,
				     NULL, NULL,
				     "domain %llu: IOTLB hit for IOVA %#llx returns %#llx, which the "
				     "page table no longer maps there (an invalidation was missed)",
				     (unsigned long long)ev->aux, (unsigned long long)ev->addr,
				     (unsigned long long)ev->phys);
		}
		return;
	}
	if (fill) {
		/* the walk found a PTE for an unmapped IOVA */
		check_report(cs, CHECK_IOTLB, "stale-pte", RULE_PTE, ev, ev->line, e->dev, NULL,
			     "domain %llu: page walk found a translation for IOVA %#llx (-> %#llx) "
			     "after it was unmapped at line %d",
			     (unsigned long long)ev->aux, (unsigned long long)ev->addr,
			     (unsigned long long)ev->phys, e->line);
		cs->chunk_stale_hit = true;
		return;
	}
	switch (e->state) {
	case UNMAP_IN_PROGRESS:
		break;
	case UNMAP_LAZY:
		cs->stats.lazy_exposures++;
		cs->chunk_lazy_hit = true;
		break;
	case UNMAP_FLUSHED:
		cs->chunk_stale_hit = true;
		check_report(cs, CHECK_IOTLB, "stale-iotlb-hit", RULE_STRICT, ev, ev->line, e->dev,
			     NULL,
			     "domain %llu: IOTLB hit for IOVA %#llx (-> %#llx) after its unmap at "
			     "line %d returned and the IOTLB was flushed",
			     (unsigned long long)ev->aux, (unsigned long long)ev->addr,
			     (unsigned long long)ev->phys, e->line);
		break;
	}
}

static void on_pgtable_free(struct checkers *cs, const struct sim_event *ev)
{
	struct track_entry *page = track_find(&cs->pgpages, 0, ev->addr);
	u64 domain;

	if (!page)
		return; /* allocated before the checkers started: unknown domain */
	domain = page->aux;
	track_del(&cs->pgpages, page);
	for (size_t i = 0; i < cs->nr_open_unmaps; i++) {
		const struct track_entry *e = cs->open_unmaps[i];

		if (e->key == domain) {
			check_report(
				cs, CHECK_IOTLB, "pgtable-freed-before-flush", RULE_FQ, ev,
				ev->line, e->dev, NULL,
				"domain %llu frees page-table page %llu while the unmap of IOVA "
				"%#llx (+%llu, line %d) has not been flushed from the IOTLB",
				(unsigned long long)domain, (unsigned long long)ev->addr,
				(unsigned long long)e->addr, (unsigned long long)e->len, e->line);
			return;
		}
	}
}

void iotlb_check_event(struct checkers *cs, const struct sim_event *ev)
{
	struct track_entry *e;

	switch (ev->kind) {
	case EV_IOMMU_UNMAP:
		if (!ev->len)
			break; /* removed nothing (a failed map's empty unroll): no unmapped range */
		mapped_remove(cs, ev->aux, ev->addr, ev->len);
		forget_overlapping(cs, ev, false);
		e = track_add(cs, &cs->unmapped, ev->aux, ev->addr, ev->len);
		if (!e)
			return;
		e->state = UNMAP_IN_PROGRESS;
		e->line = ev->line;
		e->time_ns = ev->time_ns;
		open_add(cs, e);
		break;
	case EV_IOMMU_MAP:
		forget_overlapping(cs, ev, true);
		e = track_add(cs, &cs->mapped, ev->aux, ev->addr, ev->len);
		if (e)
			e->line = ev->line;
		break;
	case EV_IOVA_FREE:
		on_iova_free(cs, ev);
		break;
	case EV_IOTLB_SYNC:
		if (ev->flags == 1 || !ev->len)
			break; /* iotlb_sync_map, or an empty gather */
		flush_open(cs, ev->aux, false, ev->addr, ev->len, 1u << UNMAP_IN_PROGRESS,
			   ev->time_ns);
		break;
	case EV_IOTLB_INVALIDATE:
		flush_open(cs, ev->aux, false, ev->addr, ev->len,
			   (1u << UNMAP_IN_PROGRESS) | (1u << UNMAP_LAZY), ev->time_ns);
		break;
	case EV_FQ_FLUSH:
		flush_open(cs, ev->aux, false, 0, 0, 1u << UNMAP_LAZY, ev->time_ns);
		break;
	case EV_IOVA_QUEUED:
		for (size_t i = 0; i < cs->nr_open_unmaps; i++) {
			e = cs->open_unmaps[i];
			if (e->state == UNMAP_IN_PROGRESS && (!ev->aux || e->key == ev->aux) &&
			    overlaps(e, ev->addr, ev->len)) {
				e->state = UNMAP_LAZY;
				e->time_ns = ev->time_ns;
				cs->stats.lazy_windows++;
			}
		}
		break;
	case EV_DMA_UNMAP: {
		/* the unmap returned: whatever was not queued is strict from now on */
		u64 dom = ev->dev && ev->dev->index < cs->nr_devs ? cs->dev_domain[ev->dev->index] : 0;

		flush_open(cs, dom, !dom, ev->addr, ev->len, 1u << UNMAP_IN_PROGRESS, ev->time_ns);
		break;
	}
	case EV_IOVA_ALLOC:
	case EV_IOMMU_FAULT:
		/* learn which domain translates for the device (0: not yet known) */
		if (ev->dev && ev->dev->index < cs->nr_devs && ev->aux)
			cs->dev_domain[ev->dev->index] = ev->aux;
		break;
	case EV_IOTLB_HIT:
		on_hit(cs, ev, false);
		break;
	case EV_IOTLB_FILL:
		on_hit(cs, ev, true);
		break;
	case EV_PGTABLE_PAGE_ALLOC:
		e = track_add(cs, &cs->pgpages, 0, ev->addr, 1);
		if (e) {
			e->aux = ev->aux;
			e->line = ev->line;
		}
		break;
	case EV_PGTABLE_PAGE_FREE:
		on_pgtable_free(cs, ev);
		break;
	default:
		break;
	}
}

void iotlb_check_finish(struct checkers *cs)
{
	/* windows still open at the end stay open: their exposure is already counted */
	(void)cs;
}
