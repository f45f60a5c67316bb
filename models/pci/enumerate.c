// SPDX-License-Identifier: GPL-2.0-only
/*
 * enumerate.c - firmware-like resource assignment: bus numbers, BAR addresses,
 * bridge windows (enumerate.h).
 *
 * Works on a fabric built by the topology loader and not yet finalized; owns
 * no memory of its own beyond scratch arrays freed before returning.
 *
 * Address classes. Every memory BAR belongs to one of three classes that
 * decide which bridge window carries it, as Linux's pbus_size_mem() does:
 *  - CLS_NP: non-prefetchable window, in a mem32 aperture;
 *  - CLS_PREF_H: 64-bit prefetchable window, in a mem64 aperture (64-bit
 *    prefetchable BARs when the host bridge has a mem64 aperture);
 *  - CLS_PREF_L: 32-bit prefetchable window, in a mem32 aperture (prefetchable
 *    BARs when the host bridge has no mem64 aperture: the fallback).
 * With a 64-bit prefetchable window, 32-bit prefetchable BARs go in the
 * non-prefetchable window (CLS_NP), as in Linux. A BAR with a given address
 * takes its class from the aperture it sits in.
 *
 * Placement. Bottom-up, each bridge packs the unplaced BARs of its class
 * below it (its own bus's BARs and VF BAR regions, and its child bridges'
 * blocks) largest alignment first into a block rounded to 1 MiB. Top-down,
 * each host bridge places its root-bus BARs and root ports' blocks in its
 * apertures, largest first, skipping what given addresses already occupy;
 * each block then hands out the addresses inside it. Finally every bridge's
 * windows are the minimal 1 MiB-aligned cover of all BARs below it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/pci/enumerate.h"

#define SZ_4G 0x100000000ULL
#define VF_REGION PCI_NUM_BARS /* slot index of a PF's VF BAR region in per-BAR arrays */
#define NR_SLOTS (PCI_NUM_BARS + 1)

enum bar_class {
	CLS_NP,
	CLS_PREF_L,
	CLS_PREF_H,
	NR_CLS,
	CLS_NONE = NR_CLS, /* io BAR or empty slot */
};

static const char *const class_window_name[NR_CLS] = {
	"non-prefetchable window",
	"prefetchable window",
	"64-bit prefetchable window",
};

static void enum_fail(struct pci_enum_error *err, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void enum_fail(struct pci_enum_error *err, int line, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

const char *pci_format_size(u64 size_bytes, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int u = 0;
	u64 v = size_bytes;

	while (v && !(v & 1023) && u < ARRAY_SIZE(units) - 1) {
		v >>= 10;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)v, units[u]);
	return buf;
}

static u64 align_up_sat(u64 v, u64 align)
{
	u64 r;

	if (__builtin_add_overflow(v, align - 1, &r))
		return UINT64_MAX;
	return r & ~(align - 1);
}

static u64 add_sat(u64 a, u64 b)
{
	u64 r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

u32 pci_vf_routing_id(const struct pci_dev *pf, unsigned int vf_index)
{
	u64 rid = (u64)pci_dev_id(pf) + pf->vf_offset + (u64)vf_index * pf->vf_stride;

	return rid > UINT32_MAX ? UINT32_MAX : (u32)rid;
}

/* --- bus numbers --------------------------------------------------------- */

static int cmp_devfn_line(const void *a, const void *b)
{
	const struct pci_dev *da = *(struct pci_dev *const *)a, *db = *(struct pci_dev *const *)b;

	if (da->devfn != db->devfn)
		return (int)da->devfn - (int)db->devfn;
	return da->line - db->line;
}

/* A bridge's bus range, for the sibling overlap check. */
struct bus_range {
	unsigned int first, last;
	const struct pci_dev *bridge; /* NULL: the bus numbers reserved for VFs */
};

static int cmp_bus_range(const void *a, const void *b)
{
	const struct bus_range *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->last < y->last ? -1 : x->last > y->last;
}

/* Recurse into @bridge's bus, then apply and check a given subordinate. */
static int number_bridge(struct pci_dev *bridge, unsigned int *max_out, struct pci_enum_error *err);

static int number_bus(struct pci_bus *bus, unsigned int *max_out, struct pci_enum_error *err);

/*
 * Given ranges of the bridges on one bus must not overlap each other or the
 * buses reserved for VFs; report the later element of the first overlap.
 */
static int check_sibling_ranges(const struct pci_bus *bus, unsigned int iov_last,
				struct pci_enum_error *err)
{
	struct bus_range *r = malloc((bus->nr_devs + 1) * sizeof(*r));
	size_t n = 0, widest = 0;
	int ret = 0;

	if (!r)
		return -ENOMEM;
	if (iov_last > bus->number)
		r[n++] = (struct bus_range){ bus->number + 1, iov_last, NULL };
	for (size_t i = 0; i < bus->nr_devs; i++) {
		const struct pci_dev *b = bus->devs[i];

		if (b->subordinate)
			r[n++] = (struct bus_range){ b->subordinate->number,
						     b->subordinate->subordinate_number, b };
	}
	if (n > 1)
		qsort(r, n, sizeof(*r), cmp_bus_range);
	for (size_t i = 1; i < n && !ret; i++) {
		const struct bus_range *p = &r[widest], *q = &r[i];

		if (q->first <= p->last) {
			const struct bus_range *later =
				!p->bridge || (q->bridge && q->bridge->line >= p->bridge->line) ?
					q :
					p;
			const struct bus_range *other = later == q ? p : q;
			char what[160];

			if (other->bridge)
				snprintf(what, sizeof(what), "[%02x-%02x] of '%s'", other->first,
					 other->last, other->bridge->id);
			else
				snprintf(what, sizeof(what),
					 "[%02x-%02x], the buses the SR-IOV VFs on bus %02x need",
					 other->first, other->last, bus->number);
			enum_fail(err, later->bridge->line,
				  "bus range [%02x-%02x] of '%s' overlaps %s", later->first,
				  later->last, later->bridge->id, what);
			ret = -EINVAL;
		}
		if (q->last > p->last)
			widest = i;
	}
	free(r);
	return ret;
}

static int number_bridge(struct pci_dev *bridge, unsigned int *max_out, struct pci_enum_error *err)
{
	struct pci_bus *child = bridge->subordinate;
	unsigned int child_max;
	int ret = number_bus(child, &child_max, err);

	if (ret)
		return ret;
	if (child->subordinate_given) {
		if (child->subordinate_number < child_max) {
			enum_fail(err, bridge->line,
				  "subordinate bus %#04x of '%s' is below bus %#04x used behind it",
				  child->subordinate_number, bridge->id, child_max);
			return -EINVAL;
		}
		child_max = child->subordinate_number;
	}
	child->subordinate_number = (u8)child_max;
	*max_out = child_max;
	return 0;
}

/*
 * Number the buses behind @bus (whose own number is known); *@max_out =
 * highest used. Bridges with a given secondary bus keep it (real machines
 * number in any order); the others get, in devfn order, the next number after
 * what was used before them, skipping the ranges of given siblings.
 */
static int number_bus(struct pci_bus *bus, unsigned int *max_out, struct pci_enum_error *err)
{
	unsigned int max, iov_last = bus->number, next;
	int ret;

	if (bus->nr_devs > 1)
		qsort(bus->devs, bus->nr_devs, sizeof(*bus->devs), cmp_devfn_line);

	/* pci_iov_bus_range(): buses the VFs of PFs on this bus spill into */
	for (size_t i = 0; i < bus->nr_devs; i++) {
		const struct pci_dev *pf = bus->devs[i];
		u32 last;

		if (!pf->num_vfs)
			continue;
		last = pci_vf_routing_id(pf, pf->num_vfs - 1);
		if (last > 0xffff) {
			enum_fail(err, pf->line,
				  "the %u VFs of '%s' need routing IDs up to %#x, past bus 0xff "
				  "(First VF Offset %u, VF Stride %u)",
				  pf->num_vfs, pf->id, last, pf->vf_offset, pf->vf_stride);
			return -EINVAL;
		}
		if ((last >> 8) > iov_last)
			iov_last = last >> 8;
	}
	max = iov_last;

	/* given secondary buses first: their ranges are fixed */
	for (size_t i = 0; i < bus->nr_devs; i++) {
		struct pci_dev *bridge = bus->devs[i];
		unsigned int child_max;

		if (!bridge->subordinate || !bridge->subordinate->number_given)
			continue;
		if (bridge->subordinate->number <= bus->number) {
			enum_fail(err, bridge->line,
				  "secondary bus %#04x of '%s' is not above its parent bus %#04x",
				  bridge->subordinate->number, bridge->id, bus->number);
			return -EINVAL;
		}
		ret = number_bridge(bridge, &child_max, err);
		if (ret)
			return ret;
		if (child_max > max)
			max = child_max;
	}

	/* then depth-first numbering of the others */
	next = iov_last + 1;
	for (size_t i = 0; i < bus->nr_devs; i++) {
		struct pci_dev *bridge = bus->devs[i];
		unsigned int child_max;
		bool moved = true;

		if (!bridge->subordinate || bridge->subordinate->number_given)
			continue;
		while (moved) {
			moved = false;
			for (size_t j = 0; j < bus->nr_devs; j++) {
				const struct pci_bus *g = bus->devs[j]->subordinate;

				if (g && g->number_given && next >= g->number &&
				    next <= g->subordinate_number) {
					next = g->subordinate_number + 1u;
					moved = true;
				}
			}
		}
		if (next > 0xff) {
			enum_fail(
				err, bridge->line,
				"out of bus numbers: no number left for the secondary bus of '%s'",
				bridge->id);
			return -EINVAL;
		}
		bridge->subordinate->number = (u8)next;
		ret = number_bridge(bridge, &child_max, err);
		if (ret)
			return ret;
		next = child_max + 1;
		if (child_max > max)
			max = child_max;
	}

	ret = check_sibling_ranges(bus, iov_last, err);
	if (ret)
		return ret;
	if (!bus->subordinate_given) /* a given one is checked by the caller */
		bus->subordinate_number = (u8)max;
	*max_out = max;
	return 0;
}

int pci_assign_bus_numbers(struct pci_fabric *fab, struct pci_enum_error *err)
{
	for (size_t i = 0; i < fab->nr_devs; i++)
		fab->devs[i]->index = i;
	for (size_t h = 0; h < fab->nr_hosts; h++) {
		unsigned int max;
		int ret = number_bus(fab->hosts[h]->bus, &max, err);

		if (ret)
			return ret;
	}
	return 0;
}

/* --- resources ----------------------------------------------------------- */

/* The unplaced BARs of one class behind a bridge, packed. */
struct block {
	u64 size; /* 0: nothing of this class to place */
	u64 align;
	u64 offset; /* inside the parent bridge's block */
	/* the largest BAR inside, to name in messages */
	const struct pci_dev *big_dev;
	int big_slot;
	u64 big_size;
	int big_line;
};

/* Bus-address extent of the BARs of one class behind a bridge (lo > hi: none). */
struct extent {
	u64 lo, hi;
};

/* Something to place: a BAR, a PF's VF BAR region, or a bridge's block. */
struct item {
	u64 size, align;
	struct pci_dev *dev;
	int slot; /* 0..5 BAR, VF_REGION, or -1: the block of bridge @dev */
	int cls; /* enum bar_class */
	size_t seq;
};

struct assign_ctx {
	struct pci_fabric *fab;
	struct pci_enum_error *err;
	size_t nr;
	u8 (*cls)[NR_SLOTS]; /* class of each BAR slot, by dev->index */
	u64 (*slot_off)[NR_SLOTS]; /* offset of an unplaced BAR in its bridge's block */
	struct block (*blk)[NR_CLS]; /* by bridge dev->index */
	struct extent (*given)[NR_CLS]; /* given BARs behind a bridge, CPU addresses */
	struct extent (*all)[NR_CLS]; /* every BAR behind a bridge, bus addresses */
	struct item *scratch;
	size_t cap_scratch;
};

static bool host_has_kind(const struct pci_host_bridge *host, enum pci_aperture_kind kind)
{
	for (size_t i = 0; i < host->nr_apertures; i++)
		if (host->apertures[i].kind == kind)
			return true;
	return false;
}

/* The aperture of @host holding [cpu, cpu + size), or NULL. */
static const struct pci_aperture *find_aperture(const struct pci_host_bridge *host, u64 cpu,
						u64 size)
{
	for (size_t i = 0; i < host->nr_apertures; i++) {
		const struct pci_aperture *ap = &host->apertures[i];

		if (cpu >= ap->cpu_base && size <= ap->size_bytes &&
		    cpu - ap->cpu_base <= ap->size_bytes - size)
			return ap;
	}
	return NULL;
}

static const char *aperture_kind_name(enum pci_aperture_kind kind)
{
	return kind == PCI_APERTURE_MEM64 ? "mem64" : "mem32";
}

static bool is_mem(const struct pci_bar *bar)
{
	return bar->kind == PCI_BAR_MEM32 || bar->kind == PCI_BAR_MEM64;
}

/* Class of a BAR (or VF region: 64-bit prefetchable) the loader must place. */
static enum bar_class unplaced_class(const struct pci_host_bridge *host, enum pci_bar_kind kind,
				     bool prefetchable)
{
	bool has64 = host_has_kind(host, PCI_APERTURE_MEM64);

	if (!prefetchable)
		return CLS_NP;
	if (has64)
		return kind == PCI_BAR_MEM64 ? CLS_PREF_H : CLS_NP;
	return CLS_PREF_L;
}

static u64 vf_region_size(const struct pci_dev *pf)
{
	u64 total;

	if (!pf->num_vfs || !pf->vf_bar_size)
		return 0;
	if (__builtin_mul_overflow(pf->vf_bar_size, (u64)pf->num_vfs, &total))
		return UINT64_MAX;
	return total;
}

static int bar_line(const struct pci_dev *dev, int slot)
{
	if (slot >= 0 && slot < PCI_NUM_BARS && dev->bars[slot].line)
		return dev->bars[slot].line;
	return dev->line;
}

/* Check the given addresses and decide each BAR's class. */
static int classify(struct assign_ctx *ctx)
{
	char sz[32];

	for (size_t i = 0; i < ctx->nr; i++) {
		struct pci_dev *dev = ctx->fab->devs[i];

		for (int s = 0; s < NR_SLOTS; s++)
			ctx->cls[i][s] = CLS_NONE;
		if (dev->is_virtfn)
			continue;
		for (int b = 0; b < PCI_NUM_BARS; b++) {
			struct pci_bar *bar = &dev->bars[b];
			const struct pci_aperture *ap;

			if (bar->kind == PCI_BAR_IO && bar->address_given)
				bar->bus_addr = bar->cpu_addr;
			if (!is_mem(bar))
				continue;
			if (!bar->address_given) {
				ctx->cls[i][b] =
					unplaced_class(dev->host, bar->kind, bar->prefetchable);
				continue;
			}
			pci_format_size(bar->size_bytes, sz, sizeof(sz));
			if (bar->cpu_addr & (bar->size_bytes - 1)) {
				enum_fail(
					ctx->err, bar_line(dev, b),
					"BAR %d of '%s': address %#llx is not aligned to its size "
					"(%s)",
					b, dev->id, (unsigned long long)bar->cpu_addr, sz);
				return -EINVAL;
			}
			ap = find_aperture(dev->host, bar->cpu_addr, bar->size_bytes);
			if (!ap) {
				enum_fail(
					ctx->err, bar_line(dev, b),
					"BAR %d of '%s' at %#llx (%s) is not inside an aperture of "
					"host bridge '%s'",
					b, dev->id, (unsigned long long)bar->cpu_addr, sz,
					dev->host->id);
				return -EINVAL;
			}
			if (bar->kind == PCI_BAR_MEM32 && ap->kind != PCI_APERTURE_MEM32) {
				enum_fail(
					ctx->err, bar_line(dev, b),
					"BAR %d of '%s' is a 32-bit BAR but %#llx is in the mem64 "
					"aperture of '%s'",
					b, dev->id, (unsigned long long)bar->cpu_addr,
					dev->host->id);
				return -EINVAL;
			}
			bar->bus_addr = bar->cpu_addr - ap->bus_offset;
			if (bar->kind == PCI_BAR_MEM32 && bar->bus_addr + bar->size_bytes > SZ_4G) {
				enum_fail(
					ctx->err, bar_line(dev, b),
					"BAR %d of '%s' is a 32-bit BAR but its bus address %#llx "
					"is not below 4 GiB",
					b, dev->id, (unsigned long long)bar->bus_addr);
				return -EINVAL;
			}
			if (!bar->prefetchable)
				ctx->cls[i][b] = CLS_NP;
			else
				ctx->cls[i][b] =
					ap->kind == PCI_APERTURE_MEM64 ? CLS_PREF_H : CLS_PREF_L;
		}
		if (vf_region_size(dev))
			ctx->cls[i][VF_REGION] = unplaced_class(dev->host, PCI_BAR_MEM64, true);
	}
	return 0;
}

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->align != y->align)
		return x->align > y->align ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int scratch_push(struct assign_ctx *ctx, size_t *n, struct item it)
{
	if (*n == ctx->cap_scratch) {
		size_t ncap = ctx->cap_scratch ? ctx->cap_scratch * 2 : 64;
		struct item *s = realloc(ctx->scratch, ncap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		ctx->scratch = s;
		ctx->cap_scratch = ncap;
	}
	it.seq = *n;
	ctx->scratch[(*n)++] = it;
	return 0;
}

/*
 * Gather the unplaced items of class @c on @bus into ctx->scratch[0..*n):
 * BARs and VF regions of its devices, and the blocks of the bridges on it.
 */
static int gather(struct assign_ctx *ctx, const struct pci_bus *bus, int c, size_t *n)
{
	int ret;

	*n = 0;
	for (size_t i = 0; i < bus->nr_devs; i++) {
		struct pci_dev *dev = bus->devs[i];
		size_t di = dev->index;

		for (int s = 0; s < NR_SLOTS; s++) {
			u64 size, align;

			if (ctx->cls[di][s] != c)
				continue;
			if (s == VF_REGION) {
				size = vf_region_size(dev);
				align = dev->vf_bar_size;
			} else {
				if (dev->bars[s].address_given)
					continue;
				size = align = dev->bars[s].size_bytes;
			}
			ret = scratch_push(ctx, n, (struct item){ size, align, dev, s, c, 0 });
			if (ret)
				return ret;
		}
		if (dev->subordinate && ctx->blk[di][c].size) {
			const struct block *b = &ctx->blk[di][c];

			ret = scratch_push(ctx, n,
					   (struct item){ b->size, b->align, dev, -1, c, 0 });
			if (ret)
				return ret;
		}
	}
	if (*n > 1)
		qsort(ctx->scratch, *n, sizeof(*ctx->scratch), cmp_item);
	return 0;
}

static void note_big(struct block *blk, const struct item *it, const struct block *child)
{
	const struct pci_dev *dev = it->dev;
	int slot = it->slot;
	u64 size = it->size;
	int line;

	if (child) {
		dev = child->big_dev;
		slot = child->big_slot;
		size = child->big_size;
		line = child->big_line;
	} else {
		line = bar_line(dev, slot);
	}
	if (!blk->big_dev || size > blk->big_size) {
		blk->big_dev = dev;
		blk->big_slot = slot;
		blk->big_size = size;
		blk->big_line = line;
	}
}

static void extent_add(struct extent *e, u64 lo, u64 hi)
{
	if (lo < e->lo)
		e->lo = lo;
	if (hi > e->hi)
		e->hi = hi;
}

static bool extent_empty(const struct extent *e)
{
	return e->lo > e->hi;
}

/* Bottom-up: the block of every class behind @bridge, and its given-address extent. */
static int size_bridge(struct assign_ctx *ctx, struct pci_dev *bridge)
{
	const struct pci_bus *bus = bridge->subordinate;
	size_t bi = bridge->index;
	int ret;

	for (size_t i = 0; i < bus->nr_devs; i++) {
		if (bus->devs[i]->subordinate) {
			ret = size_bridge(ctx, bus->devs[i]);
			if (ret)
				return ret;
		}
	}
	for (int c = 0; c < NR_CLS; c++) {
		struct block *blk = &ctx->blk[bi][c];
		u64 end = 0, align = PCI_WINDOW_ALIGN;
		size_t n;

		ctx->given[bi][c] = (struct extent){ UINT64_MAX, 0 };
		for (size_t i = 0; i < bus->nr_devs; i++) {
			const struct pci_dev *dev = bus->devs[i];

			for (int b = 0; b < PCI_NUM_BARS; b++)
				if (dev->bars[b].address_given && ctx->cls[dev->index][b] == c)
					extent_add(&ctx->given[bi][c], dev->bars[b].cpu_addr,
						   dev->bars[b].cpu_addr + dev->bars[b].size_bytes -
							   1);
			if (dev->subordinate && !extent_empty(&ctx->given[dev->index][c]))
				extent_add(&ctx->given[bi][c], ctx->given[dev->index][c].lo,
					   ctx->given[dev->index][c].hi);
		}

		ret = gather(ctx, bus, c, &n);
		if (ret)
			return ret;
		for (size_t k = 0; k < n; k++) {
			const struct item *it = &ctx->scratch[k];
			u64 off = align_up_sat(end, it->align);

			if (it->slot < 0) {
				ctx->blk[it->dev->index][c].offset = off;
				note_big(blk, it, &ctx->blk[it->dev->index][c]);
			} else {
				ctx->slot_off[it->dev->index][it->slot] = off;
				note_big(blk, it, NULL);
			}
			end = add_sat(off, it->size);
			if (it->align > align)
				align = it->align;
		}
		blk->size = n ? align_up_sat(end, PCI_WINDOW_ALIGN) : 0;
		blk->align = align;
	}
	return 0;
}

static void set_bar_addr(struct pci_dev *dev, int slot, u64 bus_addr, u64 bus_offset)
{
	if (slot == VF_REGION) {
		for (unsigned int v = 0; v < dev->num_vfs; v++) {
			struct pci_bar *bar = &dev->virtfn[v]->bars[0];

			bar->bus_addr = bus_addr + (u64)v * dev->vf_bar_size;
			bar->cpu_addr = bar->bus_addr + bus_offset;
		}
		return;
	}
	dev->bars[slot].bus_addr = bus_addr;
	dev->bars[slot].cpu_addr = bus_addr + bus_offset;
}

/* Top-down: hand out addresses inside the block of class @c of @bridge placed at @base. */
static void place_block(struct assign_ctx *ctx, struct pci_dev *bridge, int c, u64 base,
			u64 bus_offset)
{
	const struct pci_bus *bus = bridge->subordinate;

	for (size_t i = 0; i < bus->nr_devs; i++) {
		struct pci_dev *dev = bus->devs[i];
		size_t di = dev->index;

		for (int s = 0; s < NR_SLOTS; s++) {
			if (ctx->cls[di][s] != c)
				continue;
			if (s < PCI_NUM_BARS && dev->bars[s].address_given)
				continue;
			set_bar_addr(dev, s, base + ctx->slot_off[di][s], bus_offset);
		}
		if (dev->subordinate && ctx->blk[di][c].size)
			place_block(ctx, dev, c, base + ctx->blk[di][c].offset, bus_offset);
	}
}

/* A CPU range the allocator must not use. */
struct busy {
	u64 lo, hi; /* inclusive */
};

static int cmp_busy(const void *a, const void *b)
{
	const struct busy *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

static void fit_error(struct assign_ctx *ctx, const struct pci_host_bridge *host,
		      const struct item *it, enum pci_aperture_kind kind)
{
	int c = it->cls;
	const struct pci_dev *dev = it->dev;
	int slot = it->slot;
	u64 size = it->size;
	char sz[32], what[64], blksz[32];

	if (it->slot < 0) {
		const struct block *blk = &ctx->blk[dev->index][c];

		dev = blk->big_dev;
		slot = blk->big_slot;
		size = blk->big_size;
	}
	pci_format_size(size, sz, sizeof(sz));
	if (slot == VF_REGION)
		snprintf(what, sizeof(what), "the VF BARs of '%s'", dev->id);
	else
		snprintf(what, sizeof(what), "BAR %d of '%s'", slot, dev->id);
	if (!host_has_kind(host, kind)) {
		enum_fail(ctx->err,
			  it->slot < 0 ? ctx->blk[it->dev->index][c].big_line : bar_line(dev, slot),
			  "%s (%s) needs a %s aperture but host bridge '%s' has none", what, sz,
			  aperture_kind_name(kind), host->id);
		return;
	}
	if (it->slot < 0 && it->size > size) {
		pci_format_size(it->size, blksz, sizeof(blksz));
		enum_fail(ctx->err, ctx->blk[it->dev->index][c].big_line,
			  "the BARs behind '%s' (%s of %s; largest: %s, %s) do not fit in the %s "
			  "aperture of '%s'",
			  it->dev->id, class_window_name[c], blksz, what, sz,
			  aperture_kind_name(kind), host->id);
		return;
	}
	enum_fail(ctx->err,
		  it->slot < 0 ? ctx->blk[it->dev->index][c].big_line : bar_line(dev, slot),
		  "%s (%s) %s not fit in the %s aperture of '%s'", what, sz,
		  slot == VF_REGION ? "do" : "does", aperture_kind_name(kind), host->id);
}

/*
 * Place the root-level items of @host (root-bus BARs and VF regions, root
 * ports' blocks) of the classes that live in apertures of @kind, largest
 * first, in the first aperture of @kind where they fit, skipping the CPU
 * ranges in @busy (sorted by start).
 */
static int place_root(struct assign_ctx *ctx, struct pci_host_bridge *host,
		      enum pci_aperture_kind kind, const struct busy *busy, size_t nr_busy)
{
	size_t nap = host->nr_apertures, n_all = 0;
	u64 *cursor = calloc(nap ? nap : 1, sizeof(*cursor)); /* next free bus address */
	size_t *skip = calloc(nap ? nap : 1, sizeof(*skip)); /* busy[] before it: behind cursor */
	struct item *items = NULL;
	int ret = 0;

	if (!cursor || !skip) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t a = 0; a < nap; a++)
		cursor[a] = host->apertures[a].cpu_base - host->apertures[a].bus_offset;

	for (int c = 0; c < NR_CLS; c++) {
		struct item *grown;
		size_t n;

		if ((c == CLS_PREF_H) != (kind == PCI_APERTURE_MEM64))
			continue;
		ret = gather(ctx, host->bus, c, &n);
		if (ret)
			goto out;
		grown = realloc(items, (n_all + n + 1) * sizeof(*items));
		if (!grown) {
			ret = -ENOMEM;
			goto out;
		}
		items = grown;
		for (size_t k = 0; k < n; k++) {
			items[n_all] = ctx->scratch[k];
			items[n_all].seq = n_all;
			n_all++;
		}
	}
	if (n_all > 1)
		qsort(items, n_all, sizeof(*items), cmp_item);

	for (size_t k = 0; k < n_all; k++) {
		const struct item *it = &items[k];
		bool placed = false;

		for (size_t a = 0; a < nap && !placed; a++) {
			const struct pci_aperture *ap = &host->apertures[a];
			u64 ap_bus_end =
				ap->cpu_base - ap->bus_offset + ap->size_bytes; /* exclusive */
			u64 cand = align_up_sat(cursor[a], it->align);

			if (ap->kind != kind)
				continue;
			while (skip[a] < nr_busy && busy[skip[a]].hi < cursor[a] + ap->bus_offset)
				skip[a]++;
			while (cand != UINT64_MAX && it->size <= ap_bus_end &&
			       cand <= ap_bus_end - it->size) {
				u64 cand_cpu = cand + ap->bus_offset;
				u64 cand_last = cand_cpu + it->size - 1;
				bool moved = false;

				for (size_t j = skip[a]; j < nr_busy && busy[j].lo <= cand_last;
				     j++) {
					if (busy[j].hi >= cand_cpu) {
						cand = align_up_sat(busy[j].hi - ap->bus_offset + 1,
								    it->align);
						moved = true;
						break;
					}
				}
				if (moved)
					continue;
				placed = true;
				cursor[a] = cand + it->size;
				if (it->slot < 0)
					place_block(ctx, it->dev, it->cls, cand, ap->bus_offset);
				else
					set_bar_addr(it->dev, it->slot, cand, ap->bus_offset);
				break;
			}
		}
		if (!placed) {
			fit_error(ctx, host, it, kind);
			ret = -EINVAL;
			goto out;
		}
	}
out:
	free(items);
	free(cursor);
	free(skip);
	return ret;
}

static int push_busy(struct busy **arr, size_t *n, size_t *cap, u64 lo, u64 hi)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct busy *b = realloc(*arr, ncap * sizeof(*b));

		if (!b)
			return -ENOMEM;
		*arr = b;
		*cap = ncap;
	}
	(*arr)[(*n)++] = (struct busy){ lo, hi };
	return 0;
}

/* Size every bridge of @host, then place its root-level items in its apertures. */
static int assign_host(struct assign_ctx *ctx, struct pci_host_bridge *host)
{
	const struct pci_bus *root = host->bus;
	struct busy *busy = NULL;
	size_t nr_busy = 0, cap_busy = 0;
	int ret = 0;

	for (size_t i = 0; i < root->nr_devs; i++) {
		struct pci_dev *dev = root->devs[i];

		if (dev->subordinate) {
			ret = size_bridge(ctx, dev);
			if (ret)
				goto out;
			/* what given addresses occupy behind this root port, 1 MiB-granular */
			for (int c = 0; c < NR_CLS; c++) {
				const struct extent *e = &ctx->given[dev->index][c];

				if (extent_empty(e))
					continue;
				ret = push_busy(&busy, &nr_busy, &cap_busy,
						e->lo & ~(PCI_WINDOW_ALIGN - 1),
						e->hi | (PCI_WINDOW_ALIGN - 1));
				if (ret)
					goto out;
			}
		}
		for (int b = 0; b < PCI_NUM_BARS; b++) {
			const struct pci_bar *bar = &dev->bars[b];

			if (is_mem(bar) && bar->address_given) {
				ret = push_busy(&busy, &nr_busy, &cap_busy, bar->cpu_addr,
						bar->cpu_addr + bar->size_bytes - 1);
				if (ret)
					goto out;
			}
		}
	}
	if (nr_busy > 1)
		qsort(busy, nr_busy, sizeof(*busy), cmp_busy);
	ret = place_root(ctx, host, PCI_APERTURE_MEM64, busy, nr_busy);
	if (!ret)
		ret = place_root(ctx, host, PCI_APERTURE_MEM32, busy, nr_busy);
out:
	free(busy);
	return ret;
}

/* --- windows ------------------------------------------------------------- */

static void extent_add_bar(struct extent *all, int c, u64 bus_addr, u64 size)
{
	extent_add(&all[c], bus_addr, bus_addr + size - 1);
}

static struct pci_window cover(const struct extent *e)
{
	if (extent_empty(e))
		return (struct pci_window){ PCI_WINDOW_ALIGN, PCI_WINDOW_ALIGN - 1 };
	return (struct pci_window){ e->lo & ~(PCI_WINDOW_ALIGN - 1),
				    e->hi | (PCI_WINDOW_ALIGN - 1) };
}

/*
 * Bottom-up: the extent of every class behind @bridge and its windows. The
 * prefetchable window is 64-bit when anything 64-bit prefetchable is behind
 * the bridge; 32-bit prefetchable BARs then share the non-prefetchable window.
 */
static void compute_windows(struct assign_ctx *ctx, struct pci_dev *bridge)
{
	const struct pci_bus *bus = bridge->subordinate;
	struct extent *all = ctx->all[bridge->index];
	struct extent np, pref;

	for (int c = 0; c < NR_CLS; c++)
		all[c] = (struct extent){ UINT64_MAX, 0 };
	for (size_t i = 0; i < bus->nr_devs; i++) {
		struct pci_dev *dev = bus->devs[i];
		size_t di = dev->index;

		for (int b = 0; b < PCI_NUM_BARS; b++)
			if (ctx->cls[di][b] < NR_CLS)
				extent_add_bar(all, ctx->cls[di][b], dev->bars[b].bus_addr,
					       dev->bars[b].size_bytes);
		if (ctx->cls[di][VF_REGION] < NR_CLS)
			extent_add_bar(all, ctx->cls[di][VF_REGION],
				       dev->virtfn[0]->bars[0].bus_addr, vf_region_size(dev));
		if (dev->subordinate) {
			compute_windows(ctx, dev);
			for (int c = 0; c < NR_CLS; c++)
				if (!extent_empty(&ctx->all[di][c]))
					extent_add(&all[c], ctx->all[di][c].lo, ctx->all[di][c].hi);
		}
	}
	np = all[CLS_NP];
	if (!extent_empty(&all[CLS_PREF_H])) {
		pref = all[CLS_PREF_H];
		if (!extent_empty(&all[CLS_PREF_L]))
			extent_add(&np, all[CLS_PREF_L].lo, all[CLS_PREF_L].hi);
	} else {
		pref = all[CLS_PREF_L];
	}
	bridge->mem_window = cover(&np);
	bridge->pref_window = cover(&pref);
}

/* --- checks -------------------------------------------------------------- */

/* A range for the overlap checks, with what to call it. */
struct span {
	u64 lo, hi; /* inclusive */
	const struct pci_dev *dev;
	int what; /* 0..5 BAR, VF_REGION, WHAT_MEM_WINDOW, WHAT_PREF_WINDOW */
};

#define WHAT_MEM_WINDOW (-1)
#define WHAT_PREF_WINDOW (-2)

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return x->dev->line - y->dev->line;
}

static const char *span_name(const struct span *s, char *buf, size_t len)
{
	switch (s->what) {
	case WHAT_MEM_WINDOW:
		snprintf(buf, len, "the non-prefetchable window of '%s'", s->dev->id);
		break;
	case WHAT_PREF_WINDOW:
		snprintf(buf, len, "the prefetchable window of '%s'", s->dev->id);
		break;
	case VF_REGION:
		snprintf(buf, len, "the VF BARs of '%s'", s->dev->id);
		break;
	default:
		snprintf(buf, len, "BAR %d of '%s'", s->what, s->dev->id);
	}
	return buf;
}

static int span_line(const struct span *s)
{
	if (s->what >= 0 && s->what < PCI_NUM_BARS)
		return bar_line(s->dev, s->what);
	return s->dev->line;
}

/* Sort @spans and report the first two that overlap (at the later source line). */
static int check_overlaps(struct assign_ctx *ctx, struct span *spans, size_t n, const char *space)
{
	char a[128], b[128];
	size_t widest = 0;

	if (n > 1)
		qsort(spans, n, sizeof(*spans), cmp_span);
	for (size_t i = 1; i < n; i++) {
		const struct span *p = &spans[widest], *q = &spans[i];

		if (q->lo <= p->hi) {
			const struct span *later = span_line(q) >= span_line(p) ? q : p;
			const struct span *other = later == q ? p : q;

			span_name(later, a, sizeof(a));
			span_name(other, b, sizeof(b));
			enum_fail(ctx->err, span_line(later),
				  "%s [%s %#llx-%#llx] overlaps %s [%#llx-%#llx]", a, space,
				  (unsigned long long)later->lo, (unsigned long long)later->hi, b,
				  (unsigned long long)other->lo, (unsigned long long)other->hi);
			return -EINVAL;
		}
		if (q->hi > p->hi)
			widest = i;
	}
	return 0;
}

static bool window_empty(const struct pci_window *w)
{
	return w->limit < w->base;
}

/* Every memory BAR (and VF BAR region) in the machine, in CPU addresses: none may overlap. */
static int check_bar_overlaps(struct assign_ctx *ctx)
{
	struct span *spans = malloc((ctx->nr * NR_SLOTS + 1) * sizeof(*spans));
	size_t n = 0;
	int ret;

	if (!spans)
		return -ENOMEM;
	for (size_t i = 0; i < ctx->nr; i++) {
		const struct pci_dev *dev = ctx->fab->devs[i];

		if (dev->is_virtfn)
			continue;
		for (int b = 0; b < PCI_NUM_BARS; b++)
			if (is_mem(&dev->bars[b]))
				spans[n++] = (struct span){ dev->bars[b].cpu_addr,
							    dev->bars[b].cpu_addr +
								    dev->bars[b].size_bytes - 1,
							    dev, b };
		if (vf_region_size(dev))
			spans[n++] = (struct span){ dev->virtfn[0]->bars[0].cpu_addr,
						    dev->virtfn[0]->bars[0].cpu_addr +
							    vf_region_size(dev) - 1,
						    dev, VF_REGION };
	}
	ret = check_overlaps(ctx, spans, n, "cpu");
	free(spans);
	return ret;
}

static bool window_in_aperture(const struct pci_host_bridge *host, const struct pci_window *w,
			       bool need_mem32)
{
	for (size_t i = 0; i < host->nr_apertures; i++) {
		const struct pci_aperture *ap = &host->apertures[i];
		u64 lo = ap->cpu_base - ap->bus_offset;

		if (need_mem32 && ap->kind != PCI_APERTURE_MEM32)
			continue;
		if (w->base >= lo && w->limit - lo <= ap->size_bytes - 1)
			return true;
	}
	return false;
}

/*
 * Windows inside apertures (the non-prefetchable one in a mem32 aperture,
 * below 4 GiB), and on every bus no two windows or BARs of its devices
 * overlapping (bus addresses).
 */
static int check_windows(struct assign_ctx *ctx)
{
	struct span *spans = NULL;
	size_t cap = 0;
	int ret = 0;

	for (size_t i = 0; i < ctx->nr; i++) {
		const struct pci_dev *dev = ctx->fab->devs[i];

		if (!dev->subordinate)
			continue;
		if (!window_empty(&dev->mem_window) &&
		    (dev->mem_window.limit >= SZ_4G ||
		     !window_in_aperture(dev->host, &dev->mem_window, true))) {
			enum_fail(
				ctx->err, dev->line,
				"the non-prefetchable window of '%s' [bus %#llx-%#llx] is not inside "
				"a mem32 aperture of '%s' (non-prefetchable windows are 32-bit)",
				dev->id, (unsigned long long)dev->mem_window.base,
				(unsigned long long)dev->mem_window.limit, dev->host->id);
			return -EINVAL;
		}
		if (!window_empty(&dev->pref_window) &&
		    !window_in_aperture(dev->host, &dev->pref_window, false)) {
			enum_fail(
				ctx->err, dev->line,
				"the prefetchable window of '%s' [bus %#llx-%#llx] is not inside an "
				"aperture of '%s'",
				dev->id, (unsigned long long)dev->pref_window.base,
				(unsigned long long)dev->pref_window.limit, dev->host->id);
			return -EINVAL;
		}
	}

	for (size_t bi = 0; bi < ctx->fab->nr_buses && !ret; bi++) {
		const struct pci_bus *bus = ctx->fab->buses[bi];
		size_t n = 0;

		if (bus->nr_devs * (NR_SLOTS + 2) > cap) {
			struct span *s;

			cap = bus->nr_devs * (NR_SLOTS + 2);
			s = realloc(spans, cap * sizeof(*s));
			if (!s) {
				ret = -ENOMEM;
				break;
			}
			spans = s;
		}
		for (size_t i = 0; i < bus->nr_devs; i++) {
			const struct pci_dev *dev = bus->devs[i];

			for (int b = 0; b < PCI_NUM_BARS; b++)
				if (is_mem(&dev->bars[b]))
					spans[n++] =
						(struct span){ dev->bars[b].bus_addr,
							       dev->bars[b].bus_addr +
								       dev->bars[b].size_bytes - 1,
							       dev, b };
			if (vf_region_size(dev))
				spans[n++] = (struct span){ dev->virtfn[0]->bars[0].bus_addr,
							    dev->virtfn[0]->bars[0].bus_addr +
								    vf_region_size(dev) - 1,
							    dev, VF_REGION };
			if (dev->subordinate && !window_empty(&dev->mem_window))
				spans[n++] =
					(struct span){ dev->mem_window.base, dev->mem_window.limit,
						       dev, WHAT_MEM_WINDOW };
			if (dev->subordinate && !window_empty(&dev->pref_window))
				spans[n++] = (struct span){ dev->pref_window.base,
							    dev->pref_window.limit, dev,
							    WHAT_PREF_WINDOW };
		}
		ret = check_overlaps(ctx, spans, n, "bus");
	}
	free(spans);
	return ret;
}

int pci_assign_resources(struct pci_fabric *fab, struct pci_enum_error *err)
{
	struct assign_ctx ctx = { .fab = fab, .err = err, .nr = fab->nr_devs };
	size_t nr = ctx.nr ? ctx.nr : 1;
	int ret;

	for (size_t i = 0; i < fab->nr_devs; i++)
		fab->devs[i]->index = i;
	ctx.cls = calloc(nr, sizeof(*ctx.cls));
	ctx.slot_off = calloc(nr, sizeof(*ctx.slot_off));
	ctx.blk = calloc(nr, sizeof(*ctx.blk));
	ctx.given = calloc(nr, sizeof(*ctx.given));
	ctx.all = calloc(nr, sizeof(*ctx.all));
	if (!ctx.cls || !ctx.slot_off || !ctx.blk || !ctx.given || !ctx.all) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < fab->nr_devs; i++) {
		struct pci_dev *dev = fab->devs[i];

		/* the loader normally gave VFs their BAR 0 already (with a source line) */
		if (dev->is_virtfn && dev->physfn->vf_bar_size &&
		    dev->bars[0].kind == PCI_BAR_NONE) {
			dev->bars[0] = (struct pci_bar){
				.kind = PCI_BAR_MEM64,
				.prefetchable = true,
				.size_bytes = dev->physfn->vf_bar_size,
			};
		}
		if (pci_is_bridge(dev)) {
			dev->mem_window = cover(&(struct extent){ UINT64_MAX, 0 });
			dev->pref_window = dev->mem_window;
		}
	}

	ret = classify(&ctx);
	for (size_t h = 0; h < fab->nr_hosts && !ret; h++)
		ret = assign_host(&ctx, fab->hosts[h]);
	for (size_t h = 0; h < fab->nr_hosts && !ret; h++) {
		const struct pci_bus *root = fab->hosts[h]->bus;

		for (size_t i = 0; i < root->nr_devs; i++)
			if (root->devs[i]->subordinate)
				compute_windows(&ctx, root->devs[i]);
	}
	if (!ret)
		ret = check_bar_overlaps(&ctx);
	if (!ret)
		ret = check_windows(&ctx);
out:
	free(ctx.cls);
	free(ctx.slot_off);
	free(ctx.blk);
	free(ctx.given);
	free(ctx.all);
	free(ctx.scratch);
	return ret;
}
