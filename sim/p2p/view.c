// SPDX-License-Identifier: GPL-2.0-only
/*
 * view.c - the p2psim_p2p what-if view (p2psim/p2p.h): a p2pdma context over
 * a loaded topology with the ACS mode, CPU and kernel profile the caller
 * asked for, plus the small helpers the outputs share (look-ups, path
 * classes, CPU and ACS descriptions, one-pair verdicts).
 *
 * The ACS modes are applied to the context's copy of ACS Control; the
 * topology is never written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/p2p/p2p_internal.h"
#include "sim/topology/topology_internal.h"

int p2psim_acs_mode_parse(const char *name, enum p2psim_acs_mode *out)
{
	if (!strcmp(name, "as-is"))
		*out = P2PSIM_ACS_AS_IS;
	else if (!strcmp(name, "iommu-default"))
		*out = P2PSIM_ACS_IOMMU_DEFAULT;
	else if (!strcmp(name, "off"))
		*out = P2PSIM_ACS_OFF;
	else
		return -1;
	return 0;
}

const char *p2psim_acs_mode_name(enum p2psim_acs_mode mode)
{
	switch (mode) {
	case P2PSIM_ACS_AS_IS:
		return "as-is";
	case P2PSIM_ACS_IOMMU_DEFAULT:
		return "iommu-default";
	case P2PSIM_ACS_OFF:
		return "off";
	}
	return "?";
}

const char *p2psim_kernel_profile_name(size_t index)
{
	const struct kernel_profile *kp = kernel_profile_at(index);

	return kp ? kp->name : NULL;
}

const char *p2psim_kernel_profile_summary(size_t index)
{
	const struct kernel_profile *kp = kernel_profile_at(index);

	return kp ? kp->summary : NULL;
}

int p2p_parse_cpu(const char *name, struct cpu_desc *out)
{
	static const struct {
		const char *name;
		enum cpu_vendor vendor;
		unsigned int family;
	} presets[] = {
		{ "intel", CPU_VENDOR_INTEL, 6 },    { "amd-zen", CPU_VENDOR_AMD, 0x19 },
		{ "amd", CPU_VENDOR_AMD, 0x19 },     { "amd-pre-zen", CPU_VENDOR_AMD, 0x15 },
		{ "hygon", CPU_VENDOR_HYGON, 0x18 }, { "arm", CPU_VENDOR_ARM, 0 },
		{ "other", CPU_VENDOR_OTHER, 0 },
	};
	const char *colon = strchr(name, ':');
	char vendor[32], *end;
	unsigned long family;
	int v;

	for (size_t i = 0; i < ARRAY_SIZE(presets); i++) {
		if (!strcmp(name, presets[i].name)) {
			out->vendor = presets[i].vendor;
			out->family = presets[i].family;
			return 0;
		}
	}
	if (!colon || (size_t)(colon - name) >= sizeof(vendor) || !colon[1])
		return -EINVAL;
	memcpy(vendor, name, (size_t)(colon - name));
	vendor[colon - name] = '\0';
	v = cpu_vendor_parse(vendor);
	if (v < 0)
		return -EINVAL;
	errno = 0;
	family = strtoul(colon + 1, &end, 0);
	if (errno || *end || family > 0xff)
		return -EINVAL;
	out->vendor = (enum cpu_vendor)v;
	out->family = (unsigned int)family;
	return 0;
}

void p2p_cpu_describe(const struct cpu_desc *cpu, char *buf, size_t len)
{
	if (cpu_is_x86(cpu))
		snprintf(buf, len, "%s family %#x", cpu_vendor_name(cpu->vendor), cpu->family);
	else
		snprintf(buf, len, "%s", cpu_vendor_name(cpu->vendor));
}

void p2p_acs_bits(u16 ctrl, char *buf, size_t len)
{
	static const char *const names[] = { "SV", "TB", "RR", "CR", "UF", "EC", "DT" };
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < 7; i++) {
		if (!(ctrl & (1u << i)))
			continue;
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? " " : "",
				      names[i]);
	}
	if (!n)
		snprintf(buf, len, "-");
}

int p2p_provider_bar(const struct pci_dev *dev)
{
	int first_mem = -1;

	for (int i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *bar = &dev->bars[i];

		if (bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64)
			continue;
		if (bar->p2pmem)
			return i;
		if (first_mem < 0)
			first_mem = i;
	}
	return first_mem;
}

const struct pci_dev *p2p_lookup(const struct p2psim_p2p *view, const char *id_or_bdf,
				 struct p2psim_error *err)
{
	const struct pci_dev *dev = pci_fabric_find(view->topo->fabric, id_or_bdf);

	if (!dev)
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
				 "no function '%s' in topology '%s'", id_or_bdf,
				 view->topo->name ? view->topo->name : "");
	return dev;
}

/* --- path classes ---------------------------------------------------------- */

const char *p2p_path_class_name(enum p2p_path_class cls)
{
	static const char *const names[] = { "X", "PIX", "PXB", "PHB", "NODE", "SYS" };

	return names[cls];
}

const struct pci_dev *p2p_common_upstream(const struct pci_dev *a, const struct pci_dev *b)
{
	/* equalise depths, then climb together: the same answer as the kernel's nested walk */
	int da = a->depth, db = b->depth;

	while (da > db) {
		a = pci_upstream_bridge(a);
		da--;
	}
	while (db > da) {
		b = pci_upstream_bridge(b);
		db--;
	}
	while (a && b && a != b) {
		a = pci_upstream_bridge(a);
		b = pci_upstream_bridge(b);
	}
	return a == b ? a : NULL;
}

/* The switch (its upstream port) or root port a bridge function belongs to. */
static const struct pci_dev *bridge_unit(const struct pci_dev *dev)
{
	if (dev->type == PCI_TYPE_DOWNSTREAM && dev->bus->self)
		return dev->bus->self;
	return dev;
}

/*
 * nvidia-smi's classes: a path below a common bridge that crosses at most one
 * switch or root port is PIX, more is PXB; through the host bridge PHB; two
 * host bridges NODE (same NUMA node, unknown counts as same) or SYS.
 */
enum p2p_path_class p2p_path_class(const struct pci_dev *provider, const struct pci_dev *client)
{
	const struct pci_dev *common, *units[2 * 258];
	size_t nr_units = 0;

	if (provider == client)
		return P2P_CLASS_X;
	common = p2p_common_upstream(provider, client);
	if (!common) {
		if (provider->host == client->host)
			return P2P_CLASS_PHB;
		return provider->host->numa_node == client->host->numa_node ? P2P_CLASS_NODE :
									      P2P_CLASS_SYS;
	}
	for (int side = 0; side < 2; side++) {
		const struct pci_dev *dev = side ? client : provider;

		for (; dev; dev = dev == common ? NULL : pci_upstream_bridge(dev)) {
			const struct pci_dev *unit;
			size_t i;

			if (!pci_is_bridge(dev))
				continue;
			unit = bridge_unit(dev);

			for (i = 0; i < nr_units && units[i] != unit; i++)
				;
			if (i == nr_units && nr_units < ARRAY_SIZE(units))
				units[nr_units++] = unit;
		}
	}
	return nr_units <= 1 ? P2P_CLASS_PIX : P2P_CLASS_PXB;
}

/* --- the view -------------------------------------------------------------- */

static void apply_acs_mode(struct p2psim_p2p *view)
{
	const struct pci_fabric *fab = view->topo->fabric;

	for (size_t i = 0; i < fab->nr_devs; i++) {
		const struct pci_dev *dev = fab->devs[i];
		u16 ctrl = dev->acs_ctrl;

		if (!dev->has_acs)
			continue;
		switch (view->acs) {
		case P2PSIM_ACS_AS_IS:
			break;
		case P2PSIM_ACS_IOMMU_DEFAULT:
			/* pci_std_enable_acs(): OR in what the capability offers */
			ctrl |= dev->acs_cap & (PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF);
			if (dev->untrusted)
				ctrl |= dev->acs_cap & PCI_ACS_TB;
			break;
		case P2PSIM_ACS_OFF:
			/* pci=disable_acs_redir= on every device */
			ctrl &= (u16) ~(PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC);
			break;
		}
		p2pdma_ctx_set_acs_ctrl(&view->ctx, dev, ctrl);
	}
}

int p2psim_p2p_new(const p2psim_topology *topo, const struct p2psim_p2p_opts *opts,
		   p2psim_p2p **out, struct p2psim_error *err)
{
	const struct topology *t = topology_from_public(topo);
	const struct kernel_profile *profile = kernel_profile_default();
	struct cpu_desc cpu = t->cpu;
	struct p2psim_p2p *view;

	*out = NULL;
	if (opts && opts->kernel) {
		profile = kernel_profile_find(opts->kernel);
		if (!profile) {
			char names[256];
			size_t n = 0;

			names[0] = '\0';
			for (size_t i = 0; kernel_profile_at(i) && n < sizeof(names); i++)
				n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
						      i ? ", " : "", kernel_profile_at(i)->name);
			p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
					 "unknown kernel profile '%s' (known: %s)", opts->kernel,
					 names);
			return P2PSIM_EINPUT;
		}
	}
	if (opts && opts->cpu && p2p_parse_cpu(opts->cpu, &cpu)) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
				 "unknown CPU '%s' (intel, amd-zen, amd-pre-zen, hygon, arm, other "
				 "or VENDOR:FAMILY)",
				 opts->cpu);
		return P2PSIM_EINPUT;
	}
	view = calloc(1, sizeof(*view));
	if (!view)
		goto nomem;
	view->topo = t;
	view->acs = opts ? opts->acs : P2PSIM_ACS_AS_IS;
	if (p2pdma_ctx_init(&view->ctx, t->fabric, &cpu, profile, opts ? opts->seed : 0))
		goto nomem_free;
	apply_acs_mode(view);
	*out = view;
	return P2PSIM_OK;

nomem_free:
	free(view);
nomem:
	p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
	return P2PSIM_EINTERNAL;
}

void p2psim_p2p_free(p2psim_p2p *view)
{
	if (!view)
		return;
	p2pdma_ctx_destroy(&view->ctx);
	free(view);
}

int p2psim_p2p_verdict(p2psim_p2p *view, const p2psim_function *provider,
		       const p2psim_function *client, struct p2psim_verdict *out)
{
	const struct pci_dev *p = function_from_public(provider);
	const struct pci_dev *c = function_from_public(client);
	struct p2pdma_walk *walk = malloc(sizeof(*walk));
	enum pci_p2pdma_map_type map;

	if (!walk)
		return P2PSIM_EINTERNAL;
	view->ctx.walk = walk;
	map = calc_map_type_and_dist(&view->ctx, p, c, &out->distance, false);
	view->ctx.walk = NULL;
	out->map_type = pci_p2pdma_map_type_name(map);
	out->distance_many = map == PCI_P2PDMA_MAP_NOT_SUPPORTED ? -1 : out->distance;
	out->path_class = p2p_path_class_name(p2p_path_class(p, c));
	out->acs_redirects = walk->acs_cnt;
	free(walk);
	return P2PSIM_OK;
}
