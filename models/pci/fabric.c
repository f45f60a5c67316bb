// SPDX-License-Identifier: GPL-2.0-only
/*
 * fabric.c - building, freezing and querying the PCI fabric model (pci.h).
 *
 * Owns struct pci_fabric, pci_host_bridge, pci_bus and pci_dev memory. The
 * scan order of fabric->devs[] follows the kernel's device registration:
 * pci_bus_add_devices() registers every device on a bus, then recurses into
 * each bridge's subordinate bus; VFs are registered later, when SR-IOV is
 * enabled, so they come last, in PF order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/pci/pci.h"

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, ncap * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

struct pci_fabric *pci_fabric_new(void)
{
	return calloc(1, sizeof(struct pci_fabric));
}

static void pci_dev_free(struct pci_dev *dev)
{
	free(dev->id);
	free(dev->switch_id);
	free(dev->virtfn);
	free(dev);
}

void pci_fabric_free(struct pci_fabric *fab)
{
	if (!fab)
		return;
	for (size_t i = 0; i < fab->nr_devs; i++)
		pci_dev_free(fab->devs[i]);
	for (size_t i = 0; i < fab->nr_buses; i++) {
		free(fab->buses[i]->devs);
		free(fab->buses[i]);
	}
	for (size_t i = 0; i < fab->nr_hosts; i++) {
		free(fab->hosts[i]->id);
		free(fab->hosts[i]->iommu_id);
		free(fab->hosts[i]->apertures);
		free(fab->hosts[i]);
	}
	free(fab->devs);
	free(fab->buses);
	free(fab->hosts);
	free(fab->by_id);
	free(fab->by_name);
	free(fab);
}

static struct pci_bus *new_bus(struct pci_fabric *fab, struct pci_bus *parent,
			       struct pci_dev *self, struct pci_host_bridge *host, u8 number,
			       bool number_given)
{
	struct pci_bus *bus;

	if (grow((void **)&fab->buses, &fab->cap_buses, fab->nr_buses + 1, sizeof(*fab->buses)))
		return NULL;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return NULL;
	bus->number = number;
	bus->subordinate_number = number;
	bus->number_given = number_given;
	bus->parent = parent;
	bus->self = self;
	bus->host = host;
	fab->buses[fab->nr_buses++] = bus;
	return bus;
}

struct pci_host_bridge *pci_fabric_add_host_bridge(struct pci_fabric *fab, const char *id,
						   u32 domain, u8 root_bus_number)
{
	struct pci_host_bridge *host;

	if (grow((void **)&fab->hosts, &fab->cap_hosts, fab->nr_hosts + 1, sizeof(*fab->hosts)))
		return NULL;
	host = calloc(1, sizeof(*host));
	if (!host)
		return NULL;
	host->id = strdup(id);
	if (!host->id) {
		free(host);
		return NULL;
	}
	host->domain = domain;
	host->iommu_index = -1;
	host->p2p_forwarding = true;
	host->numa_node = -1;
	host->bus = new_bus(fab, NULL, NULL, host, root_bus_number, true);
	if (!host->bus) {
		free(host->id);
		free(host);
		return NULL;
	}
	host->index = fab->nr_hosts;
	fab->hosts[fab->nr_hosts++] = host;
	return host;
}

int pci_host_bridge_add_aperture(struct pci_host_bridge *host, enum pci_aperture_kind kind,
				 phys_addr_t cpu_base, u64 size_bytes, u64 bus_offset, int line)
{
	struct pci_aperture *n;

	n = realloc(host->apertures, (host->nr_apertures + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	host->apertures = n;
	n[host->nr_apertures++] = (struct pci_aperture){
		.kind = kind,
		.cpu_base = cpu_base,
		.size_bytes = size_bytes,
		.bus_offset = bus_offset,
		.line = line,
	};
	return 0;
}

static int bus_add_dev(struct pci_bus *bus, struct pci_dev *dev)
{
	if (grow((void **)&bus->devs, &bus->cap_devs, bus->nr_devs + 1, sizeof(*bus->devs)))
		return -ENOMEM;
	bus->devs[bus->nr_devs++] = dev;
	return 0;
}

static struct pci_dev *alloc_dev(struct pci_fabric *fab, const char *id, enum pci_dev_type type,
				 u8 devfn)
{
	struct pci_dev *dev;

	if (grow((void **)&fab->devs, &fab->cap_devs, fab->nr_devs + 1, sizeof(*fab->devs)))
		return NULL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->id = strdup(id);
	if (!dev->id) {
		free(dev);
		return NULL;
	}
	dev->type = type;
	dev->devfn = devfn;
	dev->dma_mask_bits = 64;
	dev->coherent = true;
	dev->memory_decode = true;
	dev->vf_offset = 1;
	dev->vf_stride = 1;
	fab->devs[fab->nr_devs++] = dev;
	return dev;
}

struct pci_dev *pci_fabric_add_dev(struct pci_fabric *fab, struct pci_bus *bus, const char *id,
				   enum pci_dev_type type, u8 devfn)
{
	struct pci_dev *dev = alloc_dev(fab, id, type, devfn);

	if (!dev)
		return NULL;
	dev->bus = bus;
	dev->host = bus->host;
	if (bus_add_dev(bus, dev)) {
		/* alloc_dev() appended it to fab->devs; take it back out */
		fab->nr_devs--;
		pci_dev_free(dev);
		return NULL;
	}
	return dev;
}

struct pci_bus *pci_fabric_add_bus(struct pci_fabric *fab, struct pci_dev *bridge, u8 number,
				   bool number_given)
{
	struct pci_bus *bus = new_bus(fab, bridge->bus, bridge, bridge->host, number, number_given);

	if (bus)
		bridge->subordinate = bus;
	return bus;
}

int pci_fabric_add_vfs(struct pci_fabric *fab, struct pci_dev *pf)
{
	char id[256];

	if (!pf->num_vfs)
		return 0;
	pf->virtfn = calloc(pf->num_vfs, sizeof(*pf->virtfn));
	if (!pf->virtfn)
		return -ENOMEM;
	for (unsigned int i = 0; i < pf->num_vfs; i++) {
		struct pci_dev *vf;

		snprintf(id, sizeof(id), "%s.vf%u", pf->id, i);
		vf = alloc_dev(fab, id, PCI_TYPE_ENDPOINT, 0);
		if (!vf)
			return -ENOMEM;
		vf->is_virtfn = true;
		vf->physfn = pf;
		vf->vf_index = i;
		vf->host = pf->host;
		vf->vendor = pf->vendor;
		vf->device = pf->vf_device ? pf->vf_device : pf->device;
		vf->class_code = pf->class_code;
		vf->dma_mask_bits = pf->dma_mask_bits;
		vf->coherent = pf->coherent;
		vf->untrusted = pf->untrusted;
		vf->line = pf->line;
		pf->virtfn[i] = vf;
	}
	return 0;
}

/* --- finalize ----------------------------------------------------------- */

static int cmp_devfn(const void *a, const void *b)
{
	const struct pci_dev *da = *(struct pci_dev *const *)a, *db = *(struct pci_dev *const *)b;

	return (int)da->devfn - (int)db->devfn;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp((*(struct pci_dev *const *)a)->id, (*(struct pci_dev *const *)b)->id);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp((*(struct pci_dev *const *)a)->name, (*(struct pci_dev *const *)b)->name);
}

static struct pci_bus *find_bus(struct pci_fabric *fab, const struct pci_host_bridge *host,
				u8 number)
{
	for (size_t i = 0; i < fab->nr_buses; i++)
		if (fab->buses[i]->host == host && fab->buses[i]->number == number &&
		    !pci_is_root_bus(fab->buses[i]))
			return fab->buses[i];
	return NULL;
}

/*
 * Place every VF at PF routing ID + First VF Offset + i * VF Stride. A VF
 * on the PF's own bus number shares the PF's bus; one beyond it gets a
 * bridgeless "virtual" bus like virtfn_add_bus() creates, which must still
 * be inside the range of the bridge above the PF.
 */
static int place_vfs(struct pci_fabric *fab, struct pci_dev *pf, char *msg, size_t msglen,
		     struct pci_dev **bad_dev)
{
	u32 pf_rid = pci_dev_id(pf);
	const struct pci_bus *pfbus = pf->bus;
	u8 max_bus = pfbus->self ? pfbus->self->subordinate->subordinate_number : 0xff;

	/* A PF on a root bus can use bus numbers up to the end of the root bus range. */
	if (!pfbus->self)
		max_bus = pfbus->subordinate_number > pfbus->number ? pfbus->subordinate_number : 0xff;
	for (unsigned int i = 0; i < pf->num_vfs; i++) {
		struct pci_dev *vf = pf->virtfn[i];
		u32 rid = pf_rid + pf->vf_offset + i * (u32)pf->vf_stride;
		u8 busnr = (u8)(rid >> 8);
		struct pci_bus *bus;

		if (rid > 0xffff || busnr > max_bus) {
			snprintf(msg, msglen,
				 "VF %u of '%s' would need bus %#x, outside the bus range of its "
				 "port (up to %#x)",
				 i, pf->id, rid >> 8, max_bus);
			*bad_dev = pf;
			return -EINVAL;
		}
		vf->devfn = (u8)rid;
		if (busnr == pfbus->number) {
			bus = (struct pci_bus *)pfbus;
		} else {
			bus = find_bus(fab, pf->host, busnr);
			if (!bus)
				bus = new_bus(fab, (struct pci_bus *)pfbus, NULL, pf->host, busnr,
					      true);
			if (!bus)
				return -ENOMEM;
		}
		vf->bus = bus;
		if (bus_add_dev(bus, vf))
			return -ENOMEM;
	}
	return 0;
}

/* Registration order: the bus's devices, then each bridge's subordinate bus. */
static void scan_order(struct pci_bus *bus, struct pci_dev **out, size_t *n, int depth)
{
	for (size_t i = 0; i < bus->nr_devs; i++) {
		struct pci_dev *dev = bus->devs[i];

		if (dev->is_virtfn)
			continue;
		dev->depth = depth;
		out[(*n)++] = dev;
	}
	for (size_t i = 0; i < bus->nr_devs; i++)
		if (!bus->devs[i]->is_virtfn && bus->devs[i]->subordinate)
			scan_order(bus->devs[i]->subordinate, out, n, depth + 1);
}

int pci_fabric_finalize(struct pci_fabric *fab, char *msg, size_t msglen,
			struct pci_dev **bad_dev)
{
	struct pci_dev **order;
	size_t n = 0;
	int ret;

	*bad_dev = NULL;
	for (size_t i = 0; i < fab->nr_devs; i++) {
		struct pci_dev *pf = fab->devs[i];

		if (!pf->is_virtfn && pf->num_vfs) {
			ret = place_vfs(fab, pf, msg, msglen, bad_dev);
			if (ret)
				return ret;
		}
	}
	for (size_t i = 0; i < fab->nr_buses; i++)
		if (fab->buses[i]->nr_devs > 1)
			qsort(fab->buses[i]->devs, fab->buses[i]->nr_devs,
			      sizeof(struct pci_dev *), cmp_devfn);

	order = malloc((fab->nr_devs ? fab->nr_devs : 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (size_t h = 0; h < fab->nr_hosts; h++)
		scan_order(fab->hosts[h]->bus, order, &n, 1);
	for (size_t i = 0; i < fab->nr_devs; i++) {
		struct pci_dev *dev = fab->devs[i];

		if (dev->is_virtfn)
			continue;
		for (unsigned int v = 0; v < dev->num_vfs; v++) {
			dev->virtfn[v]->depth = dev->depth;
			order[n++] = dev->virtfn[v];
		}
	}
	if (n != fab->nr_devs) {
		/* a device not reachable from any host bridge: a builder bug */
		free(order);
		snprintf(msg, msglen, "internal: %zu of %zu functions unreachable", fab->nr_devs - n,
			 fab->nr_devs);
		return -EINVAL;
	}
	free(fab->devs);
	fab->devs = order;
	fab->cap_devs = n;

	for (size_t i = 0; i < n; i++) {
		struct pci_dev *dev = fab->devs[i];

		dev->index = i;
		snprintf(dev->name, sizeof(dev->name), "%04x:%02x:%02x.%u",
			 pci_domain_nr(dev) & 0xfffff, dev->bus->number, PCI_SLOT(dev->devfn),
			 PCI_FUNC(dev->devfn));
	}

	free(fab->by_id);
	free(fab->by_name);
	fab->by_id = malloc((n ? n : 1) * sizeof(*fab->by_id));
	fab->by_name = malloc((n ? n : 1) * sizeof(*fab->by_name));
	if (!fab->by_id || !fab->by_name)
		return -ENOMEM;
	memcpy(fab->by_id, fab->devs, n * sizeof(*fab->by_id));
	memcpy(fab->by_name, fab->devs, n * sizeof(*fab->by_name));
	qsort(fab->by_id, n, sizeof(*fab->by_id), cmp_id);
	qsort(fab->by_name, n, sizeof(*fab->by_name), cmp_name);
	fab->finalized = true;
	return 0;
}

/* --- queries ------------------------------------------------------------ */

struct pci_dev *pci_fabric_find_id(const struct pci_fabric *fab, const char *id)
{
	size_t lo = 0, hi = fab->finalized ? fab->nr_devs : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, fab->by_id[mid]->id);

		if (c == 0)
			return fab->by_id[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

struct pci_dev *pci_fabric_find_name(const struct pci_fabric *fab, const char *name)
{
	char full[32];
	unsigned int d, b, s, f;
	size_t lo = 0, hi = fab->finalized ? fab->nr_devs : 0;
	int used = 0;

	if (sscanf(name, "%x:%x:%x.%u%n", &d, &b, &s, &f, &used) == 4 && name[used] == '\0') {
		/* full form */
	} else if (sscanf(name, "%x:%x.%u%n", &b, &s, &f, &used) == 3 && name[used] == '\0') {
		d = 0;
	} else {
		return NULL;
	}
	if (d > 0xfffff || b > 0xff || s > 0x1f || f > 7)
		return NULL;
	snprintf(full, sizeof(full), "%04x:%02x:%02x.%u", d, b, s, f);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(full, fab->by_name[mid]->name);

		if (c == 0)
			return fab->by_name[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

struct pci_dev *pci_fabric_find(const struct pci_fabric *fab, const char *id_or_bdf)
{
	struct pci_dev *dev = pci_fabric_find_id(fab, id_or_bdf);

	return dev ? dev : pci_fabric_find_name(fab, id_or_bdf);
}

struct pci_dev *pci_host_bridge_first_dev(const struct pci_host_bridge *host)
{
	return host->bus->nr_devs ? host->bus->devs[0] : NULL;
}

struct pci_dev *pci_fabric_find_bar_by_cpu(const struct pci_fabric *fab, phys_addr_t addr,
					   int *bar_out)
{
	for (size_t i = 0; i < fab->nr_devs; i++) {
		const struct pci_dev *dev = fab->devs[i];

		for (int b = 0; b < PCI_NUM_BARS; b++) {
			const struct pci_bar *bar = &dev->bars[b];

			if (bar->kind == PCI_BAR_MEM32 || bar->kind == PCI_BAR_MEM64) {
				if (addr >= bar->cpu_addr && addr - bar->cpu_addr < bar->size_bytes) {
					if (bar_out)
						*bar_out = b;
					return fab->devs[i];
				}
			}
		}
	}
	return NULL;
}

const char *pci_dev_type_name(enum pci_dev_type type)
{
	switch (type) {
	case PCI_TYPE_ENDPOINT:
		return "endpoint";
	case PCI_TYPE_RC_END:
		return "rciep";
	case PCI_TYPE_ROOT_FUNCTION:
		return "function";
	case PCI_TYPE_ROOT_PORT:
		return "rootport";
	case PCI_TYPE_UPSTREAM:
		return "upstream";
	case PCI_TYPE_DOWNSTREAM:
		return "downstream";
	}
	return "?";
}
