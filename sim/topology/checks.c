// SPDX-License-Identifier: GPL-2.0-only
/*
 * checks.c - the topology checks that look at the whole machine rather than
 * one element: unique ids, RAM and apertures not overlapping, root bus
 * ranges of host bridges not overlapping, unique BDFs (VFs included).
 *
 * Each check sorts what it compares (O(n log n)) and reports the first
 * conflict at the later of the two source lines, naming the earlier one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "models/pci/enumerate.h"
#include "sim/topology/loader.h"

/* --- ids --------------------------------------------------------------- */

struct id_entry {
	const char *id;
	int line;
	const char *what; /* "<iommu>", "<hostbridge>", "<switch>", "function" */
	const struct pci_dev *vf; /* a VF: named after its PF */
};

static int cmp_id_entry(const void *a, const void *b)
{
	const struct id_entry *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c)
		return c;
	return x->line - y->line;
}

static void id_owner(const struct id_entry *e, char *buf, size_t len)
{
	if (e->vf)
		snprintf(buf, len, "VF %u of '%s' (line %d)", e->vf->vf_index, e->vf->physfn->id,
			 e->line);
	else
		snprintf(buf, len, "the %s at line %d", e->what, e->line);
}

int topology_check_ids(struct load_ctx *ctx)
{
	const struct topology *topo = ctx->topo;
	const struct pci_fabric *fab = topo->fabric;
	size_t n = 0, total = topo->nr_iommus + fab->nr_hosts + ctx->nr_switches + fab->nr_devs;
	struct id_entry *ids = malloc((total ? total : 1) * sizeof(*ids));
	int ret = 0;

	if (!ids)
		return load_oom(ctx);
	for (size_t i = 0; i < topo->nr_iommus; i++)
		ids[n++] = (struct id_entry){ topo->iommus[i].id, topo->iommus[i].line, "<iommu>",
					      NULL };
	for (size_t i = 0; i < fab->nr_hosts; i++)
		ids[n++] = (struct id_entry){ fab->hosts[i]->id, fab->hosts[i]->line,
					      "<hostbridge>", NULL };
	for (size_t i = 0; i < ctx->nr_switches; i++)
		ids[n++] = (struct id_entry){ ctx->switches[i].id, ctx->switches[i].line,
					      "<switch>", NULL };
	for (size_t i = 0; i < fab->nr_devs; i++) {
		const struct pci_dev *dev = fab->devs[i];

		ids[n++] = (struct id_entry){ dev->id, dev->line, pci_dev_type_name(dev->type),
					      dev->is_virtfn ? dev : NULL };
	}
	qsort(ids, n, sizeof(*ids), cmp_id_entry);
	for (size_t i = 1; i < n; i++) {
		if (!strcmp(ids[i].id, ids[i - 1].id)) {
			char owner[160];

			id_owner(&ids[i - 1], owner, sizeof(owner));
			ret = load_error_line(ctx, ids[i].line,
					      "duplicate id '%s': already used by %s", ids[i].id,
					      owner);
			break;
		}
	}
	free(ids);
	return ret;
}

/* --- RAM and apertures ----------------------------------------------------- */

struct range_entry {
	u64 lo, hi; /* inclusive */
	int line;
	const struct pci_host_bridge *host; /* NULL: RAM */
	enum pci_aperture_kind kind;
};

static int cmp_range(const void *a, const void *b)
{
	const struct range_entry *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->line - y->line;
}

static void range_name(const struct range_entry *r, char *buf, size_t len)
{
	if (r->host)
		snprintf(buf, len, "the %s aperture of '%s' [%#llx-%#llx]",
			 r->kind == PCI_APERTURE_MEM64 ? "mem64" : "mem32", r->host->id,
			 (unsigned long long)r->lo, (unsigned long long)r->hi);
	else
		snprintf(buf, len, "RAM [%#llx-%#llx]", (unsigned long long)r->lo,
			 (unsigned long long)r->hi);
}

int topology_check_memory_map(struct load_ctx *ctx)
{
	const struct topology *topo = ctx->topo;
	const struct pci_fabric *fab = topo->fabric;
	size_t n = 0, total = topo->nr_ram, widest = 0;
	struct range_entry *r;
	int ret = 0;

	for (size_t h = 0; h < fab->nr_hosts; h++)
		total += fab->hosts[h]->nr_apertures;
	r = malloc((total ? total : 1) * sizeof(*r));
	if (!r)
		return load_oom(ctx);
	for (size_t i = 0; i < topo->nr_ram; i++)
		r[n++] = (struct range_entry){ topo->ram[i].base,
					       topo->ram[i].base + topo->ram[i].size_bytes - 1,
					       topo->ram[i].line, NULL, 0 };
	for (size_t h = 0; h < fab->nr_hosts; h++) {
		const struct pci_host_bridge *host = fab->hosts[h];

		for (size_t a = 0; a < host->nr_apertures; a++) {
			const struct pci_aperture *ap = &host->apertures[a];

			r[n++] = (struct range_entry){ ap->cpu_base,
						       ap->cpu_base + ap->size_bytes - 1, ap->line,
						       host, ap->kind };
		}
	}
	qsort(r, n, sizeof(*r), cmp_range);
	for (size_t i = 1; i < n; i++) {
		const struct range_entry *p = &r[widest], *q = &r[i];

		if (q->lo <= p->hi) {
			const struct range_entry *later = q->line >= p->line ? q : p;
			const struct range_entry *other = later == q ? p : q;
			char a[160], b[160];

			range_name(later, a, sizeof(a));
			range_name(other, b, sizeof(b));
			ret = load_error_line(ctx, later->line, "%s overlaps %s%s", a, b,
					      other->line ? "" :
							    " (the default RAM layout: give "
							    "<memory> to change it)");
			break;
		}
		if (q->hi > p->hi)
			widest = i;
	}
	free(r);
	return ret;
}

/* --- bus numbers ----------------------------------------------------------- */

static int cmp_host(const void *a, const void *b)
{
	const struct pci_host_bridge *x = *(struct pci_host_bridge *const *)a;
	const struct pci_host_bridge *y = *(struct pci_host_bridge *const *)b;

	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	if (x->bus->number != y->bus->number)
		return (int)x->bus->number - (int)y->bus->number;
	return x->line - y->line;
}

int topology_check_root_bus_ranges(struct load_ctx *ctx)
{
	const struct pci_fabric *fab = ctx->topo->fabric;
	struct pci_host_bridge **hosts = malloc((fab->nr_hosts + 1) * sizeof(*hosts));
	int ret = 0;

	if (!hosts)
		return load_oom(ctx);
	memcpy(hosts, fab->hosts, fab->nr_hosts * sizeof(*hosts));
	qsort(hosts, fab->nr_hosts, sizeof(*hosts), cmp_host);
	for (size_t i = 1; i < fab->nr_hosts; i++) {
		const struct pci_host_bridge *p = hosts[i - 1], *q = hosts[i];

		if (p->domain == q->domain && q->bus->number <= p->bus->subordinate_number) {
			const struct pci_host_bridge *later = q->line >= p->line ? q : p;
			const struct pci_host_bridge *other = later == q ? p : q;

			ret = load_error_line(ctx, later->line,
					      "bus range [%02x-%02x] of host bridge '%s' overlaps "
					      "[%02x-%02x] of host bridge '%s' (line %d) in domain "
					      "%04x",
					      later->bus->number, later->bus->subordinate_number,
					      later->id, other->bus->number,
					      other->bus->subordinate_number, other->id,
					      other->line, later->domain);
			break;
		}
	}
	free(hosts);
	return ret;
}

/* --- BDFs ---------------------------------------------------------------------- */

struct bdf_entry {
	u64 key; /* domain << 16 | routing ID */
	const struct pci_dev *dev;
	int vf; /* VF index, or -1 */
};

static int cmp_bdf(const void *a, const void *b)
{
	const struct bdf_entry *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->dev->line - y->dev->line;
}

static void bdf_owner(const struct bdf_entry *e, char *buf, size_t len)
{
	if (e->vf >= 0)
		snprintf(buf, len, "VF %d of '%s' (line %d)", e->vf, e->dev->id, e->dev->line);
	else
		snprintf(buf, len, "'%s' (line %d)", e->dev->id, e->dev->line);
}

/*
 * No two functions (VFs at their routing IDs included) share a BDF, and every
 * VF's bus is inside the bus range of the bridge above its PF.
 */
int topology_check_bdfs(struct load_ctx *ctx)
{
	const struct pci_fabric *fab = ctx->topo->fabric;
	struct bdf_entry *e = malloc((fab->nr_devs + 1) * sizeof(*e));
	size_t n = 0;
	int ret = 0;

	if (!e)
		return load_oom(ctx);
	for (size_t i = 0; i < fab->nr_devs && !ret; i++) {
		const struct pci_dev *dev = fab->devs[i];
		u64 dom = (u64)dev->host->domain << 16;

		if (dev->is_virtfn)
			continue;
		e[n++] = (struct bdf_entry){ dom | pci_dev_id(dev), dev, -1 };
		for (unsigned int v = 0; v < dev->num_vfs; v++) {
			u32 rid = pci_vf_routing_id(dev, v);

			if ((rid >> 8) > dev->bus->subordinate_number) {
				ret = load_error_line(
					ctx, dev->line,
					"VF %u of '%s' needs bus %#04x, outside the bus "
					"range [%02x-%02x] of the bus it sits on",
					v, dev->id, rid >> 8, dev->bus->number,
					dev->bus->subordinate_number);
				break;
			}
			e[n++] = (struct bdf_entry){ dom | rid, dev, (int)v };
		}
	}
	if (!ret) {
		qsort(e, n, sizeof(*e), cmp_bdf);
		for (size_t i = 1; i < n; i++) {
			if (e[i].key == e[i - 1].key) {
				const struct bdf_entry *later =
					e[i].dev->line >= e[i - 1].dev->line ? &e[i] : &e[i - 1];
				const struct bdf_entry *other = later == &e[i] ? &e[i - 1] : &e[i];
				char a[160], b[160];
				u64 k = later->key;

				bdf_owner(later, a, sizeof(a));
				bdf_owner(other, b, sizeof(b));
				ret = load_error_line(ctx, later->dev->line,
						      "%s is at %04llx:%02llx:%02llx.%llu, already "
						      "taken by %s",
						      a, (unsigned long long)(k >> 16),
						      (unsigned long long)((k >> 8) & 0xff),
						      (unsigned long long)((k >> 3) & 0x1f),
						      (unsigned long long)(k & 7), b);
				break;
			}
		}
	}
	free(e);
	return ret;
}
