// SPDX-License-Identifier: GPL-2.0-only
/*
 * oracle.c - the "route" checker: the route oracle of DESIGN.md §3.
 *
 * The runner declares, before a device DMA, what it means to do
 * (checkers_dma_begin(): requester, device address, length, the state of the
 * mapping it goes through and the CPU address byte 0 should reach). Between
 * begin and end the oracle classifies every EV_TLP_DELIVERED /
 * EV_TLP_FAULTED chunk of that requester:
 *
 *   LIVE mapping      delivered at expected + offset (or into the swiotlb
 *                     slot that bounces exactly that byte) -> fine;
 *                     delivered anywhere else -> "misdirected";
 *                     faulted -> "lost";
 *   UNMAPPED mapping  faulted -> fine (the IOMMU stopped it; counted);
 *                     delivered through an IOTLB entry inside a lazy
 *                     unmap->flush window -> exposure (counted, legal by
 *                     design of lazy mode); delivered otherwise ->
 *                     "use-after-unmap" (strict mode, dma-direct, or an
 *                     IOVA already reused for someone else's buffer);
 *   REVOKED mapping   delivered -> "use-after-revoke";
 *   RAW               nothing to check.
 * One violation per DMA (the first offending chunk, with byte counts).
 *
 * Owns no state beyond the intent fields of struct checkers.
 */
#include "models/pci/route.h"
#include "src/dma/dma.h"
#include "sim/check/check_internal.h"

#define RULE_MISDIRECTED                                                         \
	"Documentation/core-api/dma-api.rst: the dma_addr_t returned by "        \
	"dma_map_*() makes the device reach exactly the mapped buffer (through " \
	"the IOMMU, the bus offset, or the swiotlb slot that bounces it)"
#define RULE_LOST                                                           \
	"a DMA through a live mapping must complete: every byte of a live " \
	"mapping is translated by the IOMMU page table and routed by the fabric"
#define RULE_UNMAP                                                               \
	"Documentation/core-api/dma-api.rst: after dma_unmap_*() returns the "   \
	"buffer belongs to the CPU again; the device must not reach it (strict " \
	"mode: iommu_iotlb_sync() before the unmap returns)"
#define RULE_REVOKE                                                                \
	"drivers/dma-buf/dma-buf.c, drivers/vfio/pci/vfio_pci_dmabuf.c: once the " \
	"exporter revoked a dma-buf (invalidate + wait), no importer DMA may "     \
	"reach its memory"

void oracle_begin(struct checkers *cs)
{
	const struct dma_intent *in = &cs->intent;

	cs->intent_ok_bytes = cs->intent_bad_bytes = 0;
	cs->intent_lost_bytes = cs->intent_exposed_bytes = 0;
	cs->intent_reached_rc = false;
	cs->intent_no_forwarding = false;
	cs->intent_has_bad = false;
	cs->intent_faulted = false;
	cs->intent_bad_kind = BAD_NONE;
	cs->chunk_lazy_hit = cs->chunk_stale_hit = false;
	cs->intent_phys_known = false;
	if (in->state != DMA_INTENT_LIVE)
		return;
	if (in->nr_extents) {
		cs->intent_phys_known = in->extents != NULL;
		cs->intent_phys = in->extents ? in->extents[0].phys : 0;
	} else if (in->expect_phys == DMA_INTENT_PHYS_FROM_MAPPING) {
		const struct dd_entry *e = dma_debug_find_containing(cs, in->dev, in->dma_addr, 1);

		if (e && e->type == DD_TYPE_PHY) {
			cs->intent_phys = e->phys + (in->dma_addr - e->addr);
			cs->intent_phys_known = true;
		}
	} else {
		cs->intent_phys = in->expect_phys;
		cs->intent_phys_known = true;
	}
}

static void first_bad(struct checkers *cs, const struct sim_event *ev, int kind, phys_addr_t exp)
{
	if (cs->intent_has_bad)
		return;
	cs->intent_has_bad = true;
	cs->intent_bad_ev = *ev;
	cs->intent_bad_kind = kind;
	cs->intent_bad_expected = exp;
}

/* The CPU address byte @off of the intent should reach. false: beyond the extents. */
static bool expected_phys(const struct dma_intent *in, phys_addr_t base, u64 off,
			  phys_addr_t *out)
{
	if (!in->nr_extents) {
		*out = base + off;
		return true;
	}
	for (unsigned int i = 0; i < in->nr_extents; i++) {
		if (off < in->extents[i].len) {
			*out = in->extents[i].phys + off;
			return true;
		}
		off -= in->extents[i].len;
	}
	return false;
}

void oracle_event(struct checkers *cs, const struct sim_event *ev)
{
	const struct dma_intent *in = &cs->intent;
	bool lazy = cs->chunk_lazy_hit, stale = cs->chunk_stale_hit;

	if (ev->kind != EV_TLP_DELIVERED && ev->kind != EV_TLP_FAULTED)
		return;
	cs->chunk_lazy_hit = cs->chunk_stale_hit = false;
	if (!cs->intent_open || ev->dev != in->dev)
		return;
	if (ev->flags & ROUTE_EVF_ROOT_COMPLEX)
		cs->intent_reached_rc = true;
	if (ev->kind == EV_TLP_FAULTED) {
		cs->intent_faulted = true;
		if (ev->aux == ROUTE_NO_P2P_FORWARDING)
			cs->intent_no_forwarding = true;
		if (in->state == DMA_INTENT_LIVE) {
			cs->intent_lost_bytes += ev->len;
			first_bad(cs, ev, BAD_LOST, 0);
		}
		return;
	}
	switch (in->state) {
	case DMA_INTENT_RAW:
		break;
	case DMA_INTENT_LIVE: {
		phys_addr_t expected;

		if (!cs->intent_phys_known)
			break;
		if (!expected_phys(in, cs->intent_phys, ev->addr - in->dma_addr, &expected)) {
			/* past the declared extents: bytes the intent never claimed */
			cs->intent_bad_bytes += ev->len;
			first_bad(cs, ev, BAD_MISDIRECTED, 0);
			break;
		}
		if (ev->phys == expected || leaks_slot_bounces(cs, ev->phys, expected)) {
			cs->intent_ok_bytes += ev->len;
		} else {
			cs->intent_bad_bytes += ev->len;
			first_bad(cs, ev, BAD_MISDIRECTED, expected);
		}
		break;
	}
	case DMA_INTENT_UNMAPPED:
		if (lazy && !stale) {
			cs->intent_exposed_bytes += ev->len;
			break;
		}
		/* fall through */
	case DMA_INTENT_REVOKED:
		cs->intent_bad_bytes += ev->len;
		first_bad(cs, ev, BAD_USE_AFTER, 0);
		break;
	}
}

void oracle_end(struct checkers *cs, const struct route_result *result)
{
	const struct dma_intent *in = &cs->intent;
	const struct sim_event *ev = &cs->intent_bad_ev;
	const char *handle = in->handle ? in->handle : "?";
	const char *rw = in->write ? "write" : "read";

	cs->stats.dmas_checked++;
	if ((in->state == DMA_INTENT_UNMAPPED || in->state == DMA_INTENT_REVOKED) &&
	    cs->intent_faulted && !cs->intent_has_bad && !cs->intent_exposed_bytes)
		cs->stats.blocked_after_unmap++;
	if (!cs->intent_has_bad)
		return;
	switch (cs->intent_bad_kind) {
	case BAD_MISDIRECTED:
		check_report(cs, CHECK_ROUTE, "misdirected", RULE_MISDIRECTED, ev, ev->line,
			     in->dev, NULL,
			     "%s DMA %s of %llu bytes at %#llx through mapping %s landed at %#llx, "
			     "expected %#llx (%llu of %llu bytes elsewhere)",
			     in->dev->id, rw, (unsigned long long)in->len,
			     (unsigned long long)in->dma_addr, handle, (unsigned long long)ev->phys,
			     (unsigned long long)cs->intent_bad_expected,
			     (unsigned long long)cs->intent_bad_bytes, (unsigned long long)in->len);
		break;
	case BAD_LOST:
		check_report(cs, CHECK_ROUTE, "lost", RULE_LOST, ev, ev->line, in->dev, NULL,
			     "%s DMA %s at %#llx through live mapping %s failed: %s (%llu of %llu "
			     "bytes lost%s)",
			     in->dev->id, rw, (unsigned long long)ev->addr, handle,
			     route_status_name((enum route_status)ev->aux),
			     (unsigned long long)cs->intent_lost_bytes, (unsigned long long)in->len,
			     in->write ? "" : ", read returned all-ones");
		break;
	case BAD_USE_AFTER:
		if (in->state == DMA_INTENT_REVOKED)
			check_report(cs, CHECK_ROUTE, "use-after-revoke", RULE_REVOKE, ev, ev->line,
				     in->dev, NULL,
				     "%s DMA %s at %#llx through revoked mapping %s reached %#llx "
				     "(%llu bytes)",
				     in->dev->id, rw, (unsigned long long)ev->addr, handle,
				     (unsigned long long)ev->phys,
				     (unsigned long long)cs->intent_bad_bytes);
		else
			check_report(cs, CHECK_ROUTE, "use-after-unmap", RULE_UNMAP, ev, ev->line,
				     in->dev, NULL,
				     "%s DMA %s at %#llx through unmapped mapping %s reached %#llx "
				     "(%llu bytes)%s",
				     in->dev->id, rw, (unsigned long long)ev->addr, handle,
				     (unsigned long long)ev->phys,
				     (unsigned long long)cs->intent_bad_bytes,
				     (ev->flags & ROUTE_EVF_TRANSLATED) ?
					     ": the IOMMU still translated it" :
					     ": no IOMMU stood in the way");
		break;
	default:
		break;
	}
	(void)result;
}
