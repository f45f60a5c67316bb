// SPDX-License-Identifier: GPL-2.0-only
/*
 * print.c - p2psim_topology_print(): the resolved machine as an indented tree
 * (in the spirit of `lspci -tv`) or as a JSON document (json-c).
 *
 * Reads a loaded topology only. The JSON shape is documented in
 * docs/topology.md ("show --format json"); change both together.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "models/topology.h"
#include "p2psim/topology.h"
#include "sim/topology/topology_internal.h"

static const char *const acs_names[] = { "SV", "TB", "RR", "CR", "UF", "EC", "DT" };

/* "16M", "512K", "4", "1536K": the largest K/M/G/T/P unit that divides exactly. */
static const char *human_size(u64 v, char *buf, size_t len)
{
	static const char units[] = " KMGTPE";
	unsigned int u = 0;

	while (v && !(v & 1023) && u < sizeof(units) - 2) {
		v >>= 10;
		u++;
	}
	if (u)
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

/* "RR|CR|UF|EC" or "-" */
static const char *acs_bits(u16 v, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned int b = 0; b < ARRAY_SIZE(acs_names); b++)
		if (v & (1u << b))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? "|" : "",
				 acs_names[b]);
	if (!buf[0])
		snprintf(buf, len, "-");
	return buf;
}

static const char *bar_kind_name(enum pci_bar_kind kind)
{
	switch (kind) {
	case PCI_BAR_MEM32:
		return "mem32";
	case PCI_BAR_MEM64:
		return "mem64";
	case PCI_BAR_IO:
		return "io";
	case PCI_BAR_NONE:
		break;
	}
	return "none";
}

static bool window_empty(const struct pci_window *w)
{
	return w->limit < w->base;
}

/* --- text ------------------------------------------------------------------- */

struct text_ctx {
	FILE *out;
	int name_width; /* indent + BDF */
	int id_width;
};

static void measure(const struct pci_bus *bus, int depth, struct text_ctx *t)
{
	for (size_t i = 0; i < bus->nr_devs; i++) {
		const struct pci_dev *dev = bus->devs[i];
		int w = 2 * depth + (int)strlen(dev->name), idw = (int)strlen(dev->id);

		if (dev->is_virtfn)
			continue;
		if (dev->num_vfs) {
			w += 2;
			for (unsigned int v = 0; v < dev->num_vfs; v++)
				if ((int)strlen(dev->virtfn[v]->id) > idw)
					idw = (int)strlen(dev->virtfn[v]->id);
		}
		if (w > t->name_width)
			t->name_width = w;
		if (idw > t->id_width)
			t->id_width = idw;
		if (dev->subordinate)
			measure(dev->subordinate, depth + 1, t);
	}
}

static void print_detail_indent(struct text_ctx *t)
{
	fprintf(t->out, "%*s", t->name_width + t->id_width + 4, "");
}

static void print_bars(struct text_ctx *t, const struct pci_dev *dev)
{
	char sz[32];

	for (int b = 0; b < PCI_NUM_BARS; b++) {
		const struct pci_bar *bar = &dev->bars[b];

		if (bar->kind == PCI_BAR_NONE)
			continue;
		print_detail_indent(t);
		fprintf(t->out, "BAR %d  %-5s %-6s %6s", b, bar_kind_name(bar->kind),
			bar->prefetchable ? "pref" : "",
			human_size(bar->size_bytes, sz, sizeof(sz)));
		if (bar->kind == PCI_BAR_IO && !bar->address_given)
			fprintf(t->out, "  port (unassigned)");
		else if (bar->kind == PCI_BAR_IO)
			fprintf(t->out, "  port %#llx", (unsigned long long)bar->cpu_addr);
		else
			fprintf(t->out, "  cpu 0x%012llx  bus 0x%012llx",
				(unsigned long long)bar->cpu_addr,
				(unsigned long long)bar->bus_addr);
		if (bar->p2pmem)
			fprintf(t->out, "  p2pmem");
		fputc('\n', t->out);
	}
}

static void print_window(struct text_ctx *t, const char *what, const struct pci_window *w)
{
	char sz[32];

	print_detail_indent(t);
	if (window_empty(w)) {
		fprintf(t->out, "%-19s %6s\n", what, "-");
		return;
	}
	fprintf(t->out, "%-19s %6s  bus 0x%012llx-0x%012llx\n", what,
		human_size(w->limit - w->base + 1, sz, sizeof(sz)), (unsigned long long)w->base,
		(unsigned long long)w->limit);
}

static void print_function_line(struct text_ctx *t, const struct pci_dev *dev, int indent)
{
	char bits[64];
	const char *kind = dev->is_virtfn ? "vf" : pci_dev_type_name(dev->type);

	fprintf(t->out, "%*s%-*s  %-*s  %-10s  %04x:%04x  class %06x", indent, "",
		t->name_width - indent, dev->name, t->id_width, dev->id, kind, dev->vendor,
		dev->device, dev->class_code);
	if (dev->has_acs)
		fprintf(t->out, "  acs 0x%04x (%s)", dev->acs_ctrl,
			acs_bits(dev->acs_ctrl, bits, sizeof(bits)));
	if (dev->subordinate)
		fprintf(t->out, "  bus [%02x-%02x]", dev->subordinate->number,
			dev->subordinate->subordinate_number);
	if (dev->switch_id)
		fprintf(t->out, "  switch %s", dev->switch_id);
	if (pci_is_dma_capable(dev) && !dev->is_virtfn &&
	    (dev->dma_mask_bits != 64 || !dev->coherent || dev->untrusted))
		fprintf(t->out, "  dma-mask %u%s%s", dev->dma_mask_bits,
			dev->coherent ? "" : " non-coherent", dev->untrusted ? " untrusted" : "");
	fputc('\n', t->out);
}

static void print_bus(struct text_ctx *t, const struct pci_bus *bus, int depth)
{
	for (size_t i = 0; i < bus->nr_devs; i++) {
		const struct pci_dev *dev = bus->devs[i];

		if (dev->is_virtfn)
			continue;
		print_function_line(t, dev, 2 * depth);
		if (dev->subordinate) {
			print_window(t, "window mem", &dev->mem_window);
			print_window(t, "window pref", &dev->pref_window);
		}
		print_bars(t, dev);
		if (dev->num_vfs) {
			char sz[32];

			print_detail_indent(t);
			fprintf(t->out,
				"sriov %u VFs  offset %u stride %u  device %04x  VF BAR %s\n",
				dev->num_vfs, dev->vf_offset, dev->vf_stride,
				dev->virtfn[0]->device,
				dev->vf_bar_size ? human_size(dev->vf_bar_size, sz, sizeof(sz)) :
						   "-");
		}
		for (unsigned int v = 0; v < dev->num_vfs; v++) {
			print_function_line(t, dev->virtfn[v], 2 * depth + 2);
			print_bars(t, dev->virtfn[v]);
		}
		if (dev->subordinate)
			print_bus(t, dev->subordinate, depth + 1);
	}
}

static void print_text(const struct topology *topo, FILE *out)
{
	const struct pci_fabric *fab = topo->fabric;
	struct text_ctx t = { .out = out, .name_width = 12, .id_width = 2 };
	char sz[32];

	fprintf(out, "topology %s: %zu functions, %zu host bridges\n", topo->name, fab->nr_devs,
		fab->nr_hosts);
	fprintf(out, "cpu %s family %#x\n", cpu_vendor_name(topo->cpu.vendor), topo->cpu.family);
	for (size_t i = 0; i < topo->nr_ram; i++) {
		const struct ram_range *r = &topo->ram[i];

		fprintf(out, "ram 0x%012llx-0x%012llx %6s", (unsigned long long)r->base,
			(unsigned long long)(r->base + r->size_bytes - 1),
			human_size(r->size_bytes, sz, sizeof(sz)));
		if (r->numa_node >= 0)
			fprintf(out, "  node %d", r->numa_node);
		fputc('\n', out);
	}
	for (size_t i = 0; i < topo->nr_iommus; i++) {
		const struct iommu_desc *io = &topo->iommus[i];
		char pg[64] = "";

		for (unsigned int b = 0; b < 64; b++)
			if (io->pgsize_bitmap & (1ULL << b))
				snprintf(pg + strlen(pg), sizeof(pg) - strlen(pg), "%s%s",
					 pg[0] ? "," : "", human_size(1ULL << b, sz, sizeof(sz)));
		fprintf(out,
			"iommu %s: %s, mode %s, pgsizes %s, iotlb %u entries %u ways, flush queue "
			"%u / %u ms\n",
			io->id, iommu_type_name(io->type), iommu_mode_name(io->mode), pg,
			io->iotlb_entries, io->iotlb_ways, io->fq_size, io->fq_timeout_ms);
	}
	for (size_t h = 0; h < fab->nr_hosts; h++)
		measure(fab->hosts[h]->bus, 1, &t);
	for (size_t h = 0; h < fab->nr_hosts; h++) {
		const struct pci_host_bridge *host = fab->hosts[h];

		fprintf(out, "\nhostbridge %s: domain %04x, buses [%02x-%02x], ", host->id,
			host->domain, host->bus->number, host->bus->subordinate_number);
		if (host->iommu_index >= 0) {
			const struct iommu_desc *io = &topo->iommus[host->iommu_index];

			fprintf(out, "iommu %s (%s, %s)", io->id, iommu_type_name(io->type),
				iommu_mode_name(io->mode));
		} else {
			fprintf(out, "no iommu");
		}
		fprintf(out, ", p2p-forwarding %s", host->p2p_forwarding ? "yes" : "no");
		if (host->numa_node >= 0)
			fprintf(out, ", numa node %d", host->numa_node);
		fputc('\n', out);
		for (size_t a = 0; a < host->nr_apertures; a++) {
			const struct pci_aperture *ap = &host->apertures[a];

			fprintf(out,
				"  aperture %s  cpu 0x%012llx-0x%012llx %6s  bus offset %#llx\n",
				ap->kind == PCI_APERTURE_MEM64 ? "mem64" : "mem32",
				(unsigned long long)ap->cpu_base,
				(unsigned long long)(ap->cpu_base + ap->size_bytes - 1),
				human_size(ap->size_bytes, sz, sizeof(sz)),
				(unsigned long long)ap->bus_offset);
		}
		print_bus(&t, host->bus, 1);
	}
}

/* --- JSON ------------------------------------------------------------------- */

static json_object *hex(u64 v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%#llx", (unsigned long long)v);
	if (v == 0)
		snprintf(buf, sizeof(buf), "0x0");
	return json_object_new_string(buf);
}

static json_object *hexw(u64 v, int width)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%0*llx", width, (unsigned long long)v);
	return json_object_new_string(buf);
}

static json_object *window_json(const struct pci_window *w)
{
	json_object *o;

	if (window_empty(w))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "base", hex(w->base));
	json_object_object_add(o, "limit", hex(w->limit));
	json_object_object_add(o, "size", hex(w->limit - w->base + 1));
	return o;
}

static json_object *bars_json(const struct pci_dev *dev)
{
	json_object *arr = json_object_new_array();
	char sz[32];

	for (int b = 0; b < PCI_NUM_BARS; b++) {
		const struct pci_bar *bar = &dev->bars[b];
		json_object *o;

		if (bar->kind == PCI_BAR_NONE)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "index", json_object_new_int(b));
		json_object_object_add(o, "kind", json_object_new_string(bar_kind_name(bar->kind)));
		json_object_object_add(o, "prefetchable",
				       json_object_new_boolean(bar->prefetchable));
		json_object_object_add(o, "p2pmem", json_object_new_boolean(bar->p2pmem));
		json_object_object_add(o, "size", hex(bar->size_bytes));
		json_object_object_add(
			o, "size_human",
			json_object_new_string(human_size(bar->size_bytes, sz, sizeof(sz))));
		if (bar->kind != PCI_BAR_IO || bar->address_given) {
			json_object_object_add(o, "cpu", hex(bar->cpu_addr));
			json_object_object_add(o, "bus", hex(bar->bus_addr));
		} else {
			json_object_object_add(o, "cpu", NULL);
			json_object_object_add(o, "bus", NULL);
		}
		json_object_object_add(o, "address_given",
				       json_object_new_boolean(bar->address_given));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *function_json(const struct pci_dev *dev)
{
	const struct pci_dev *up = pci_upstream_bridge(dev);
	json_object *o = json_object_new_object();
	char bits[64];

	json_object_object_add(o, "id", json_object_new_string(dev->id));
	json_object_object_add(o, "bdf", json_object_new_string(dev->name));
	json_object_object_add(o, "kind", json_object_new_string(pci_dev_type_name(dev->type)));
	json_object_object_add(o, "is_vf", json_object_new_boolean(dev->is_virtfn));
	json_object_object_add(o, "vendor", hexw(dev->vendor, 4));
	json_object_object_add(o, "device", hexw(dev->device, 4));
	json_object_object_add(o, "class", hexw(dev->class_code, 6));
	json_object_object_add(o, "depth", json_object_new_int(dev->depth));
	json_object_object_add(o, "parent", up ? json_object_new_string(up->id) : NULL);
	json_object_object_add(o, "switch",
			       dev->switch_id ? json_object_new_string(dev->switch_id) : NULL);
	json_object_object_add(o, "line", json_object_new_int(dev->line));
	if (dev->has_acs) {
		json_object *acs = json_object_new_object();

		json_object_object_add(acs, "cap", hexw(dev->acs_cap, 4));
		json_object_object_add(acs, "ctrl", hexw(dev->acs_ctrl, 4));
		json_object_object_add(
			acs, "ctrl_bits",
			json_object_new_string(acs_bits(dev->acs_ctrl, bits, sizeof(bits))));
		json_object_object_add(o, "acs", acs);
	} else {
		json_object_object_add(o, "acs", NULL);
	}
	if (pci_is_dma_capable(dev)) {
		json_object_object_add(o, "dma_mask_bits",
				       json_object_new_int((int)dev->dma_mask_bits));
		json_object_object_add(o, "coherent", json_object_new_boolean(dev->coherent));
		json_object_object_add(o, "untrusted", json_object_new_boolean(dev->untrusted));
	}
	if (dev->subordinate) {
		json_object_object_add(o, "secondary",
				       json_object_new_int(dev->subordinate->number));
		json_object_object_add(o, "subordinate",
				       json_object_new_int(dev->subordinate->subordinate_number));
		json_object_object_add(o, "mem_window", window_json(&dev->mem_window));
		json_object_object_add(o, "pref_window", window_json(&dev->pref_window));
	}
	json_object_object_add(o, "bars", bars_json(dev));
	if (dev->is_virtfn) {
		json_object_object_add(o, "physfn", json_object_new_string(dev->physfn->id));
		json_object_object_add(o, "vf_index", json_object_new_int((int)dev->vf_index));
	}
	if (!dev->is_virtfn && dev->num_vfs) {
		json_object *s = json_object_new_object();

		json_object_object_add(s, "vfs", json_object_new_int((int)dev->num_vfs));
		json_object_object_add(s, "vf_offset", json_object_new_int(dev->vf_offset));
		json_object_object_add(s, "vf_stride", json_object_new_int(dev->vf_stride));
		json_object_object_add(s, "vf_device", hexw(dev->virtfn[0]->device, 4));
		json_object_object_add(s, "vf_bar_size", hex(dev->vf_bar_size));
		json_object_object_add(o, "sriov", s);
	}
	return o;
}

static json_object *topology_json(const struct topology *topo)
{
	const struct pci_fabric *fab = topo->fabric;
	json_object *doc = json_object_new_object(), *cpu = json_object_new_object();
	json_object *ram = json_object_new_array(), *iommus = json_object_new_array();
	json_object *hosts = json_object_new_array();
	json_object **funcs = calloc(fab->nr_hosts ? fab->nr_hosts : 1, sizeof(*funcs));

	if (!funcs) {
		json_object_put(doc);
		json_object_put(cpu);
		json_object_put(ram);
		json_object_put(iommus);
		json_object_put(hosts);
		return NULL;
	}
	json_object_object_add(doc, "name", json_object_new_string(topo->name));
	json_object_object_add(doc, "version", json_object_new_int(topo->version));
	json_object_object_add(cpu, "vendor",
			       json_object_new_string(cpu_vendor_name(topo->cpu.vendor)));
	json_object_object_add(cpu, "family", json_object_new_int((int)topo->cpu.family));
	json_object_object_add(doc, "cpu", cpu);
	for (size_t i = 0; i < topo->nr_ram; i++) {
		json_object *r = json_object_new_object();

		json_object_object_add(r, "base", hex(topo->ram[i].base));
		json_object_object_add(r, "size", hex(topo->ram[i].size_bytes));
		json_object_object_add(r, "node",
				       topo->ram[i].numa_node >= 0 ?
					       json_object_new_int(topo->ram[i].numa_node) :
					       NULL);
		json_object_array_add(ram, r);
	}
	json_object_object_add(doc, "ram", ram);
	for (size_t i = 0; i < topo->nr_iommus; i++) {
		const struct iommu_desc *io = &topo->iommus[i];
		json_object *o = json_object_new_object(), *pg = json_object_new_array();
		char sz[32];

		for (unsigned int b = 0; b < 64; b++)
			if (io->pgsize_bitmap & (1ULL << b))
				json_object_array_add(pg, json_object_new_string(human_size(
								  1ULL << b, sz, sizeof(sz))));
		json_object_object_add(o, "id", json_object_new_string(io->id));
		json_object_object_add(o, "type",
				       json_object_new_string(iommu_type_name(io->type)));
		json_object_object_add(o, "mode",
				       json_object_new_string(iommu_mode_name(io->mode)));
		json_object_object_add(o, "pgsizes", pg);
		json_object_object_add(o, "pgsize_bitmap", hex(io->pgsize_bitmap));
		json_object_object_add(o, "iotlb_entries",
				       json_object_new_int((int)io->iotlb_entries));
		json_object_object_add(o, "iotlb_ways", json_object_new_int((int)io->iotlb_ways));
		json_object_object_add(o, "fq_size", json_object_new_int((int)io->fq_size));
		json_object_object_add(o, "fq_timeout_ms",
				       json_object_new_int((int)io->fq_timeout_ms));
		json_object_array_add(iommus, o);
	}
	json_object_object_add(doc, "iommus", iommus);
	for (size_t h = 0; h < fab->nr_hosts; h++) {
		const struct pci_host_bridge *host = fab->hosts[h];
		const struct pci_dev *first = pci_host_bridge_first_dev(host);
		json_object *o = json_object_new_object(), *aps = json_object_new_array();

		json_object_object_add(o, "id", json_object_new_string(host->id));
		json_object_object_add(o, "domain", hexw(host->domain, 4));
		json_object_object_add(o, "bus", json_object_new_int(host->bus->number));
		json_object_object_add(o, "subordinate",
				       json_object_new_int(host->bus->subordinate_number));
		json_object_object_add(
			o, "iommu", host->iommu_id ? json_object_new_string(host->iommu_id) : NULL);
		json_object_object_add(o, "p2p_forwarding",
				       json_object_new_boolean(host->p2p_forwarding));
		json_object_object_add(o, "numa_node",
				       host->numa_node >= 0 ? json_object_new_int(host->numa_node) :
							      NULL);
		json_object_object_add(o, "first_function",
				       first ? json_object_new_string(first->id) : NULL);
		for (size_t a = 0; a < host->nr_apertures; a++) {
			const struct pci_aperture *ap = &host->apertures[a];
			json_object *ao = json_object_new_object();

			json_object_object_add(
				ao, "kind",
				json_object_new_string(ap->kind == PCI_APERTURE_MEM64 ? "mem64" :
											"mem32"));
			json_object_object_add(ao, "cpu", hex(ap->cpu_base));
			json_object_object_add(ao, "size", hex(ap->size_bytes));
			json_object_object_add(ao, "bus_offset", hex(ap->bus_offset));
			json_object_object_add(ao, "bus", hex(ap->cpu_base - ap->bus_offset));
			json_object_array_add(aps, ao);
		}
		json_object_object_add(o, "apertures", aps);
		funcs[h] = json_object_new_array();
		json_object_object_add(o, "functions", funcs[h]);
		json_object_array_add(hosts, o);
	}
	/* functions in scan order (VFs last), each under its host bridge */
	for (size_t i = 0; i < fab->nr_devs; i++)
		json_object_array_add(funcs[fab->devs[i]->host->index],
				      function_json(fab->devs[i]));
	json_object_object_add(doc, "hostbridges", hosts);
	free(funcs);
	return doc;
}

int p2psim_topology_print(const p2psim_topology *topo, FILE *out, enum p2psim_format format)
{
	const struct topology *t = topology_from_public(topo);

	switch (format) {
	case P2PSIM_FORMAT_TEXT:
		print_text(t, out);
		break;
	case P2PSIM_FORMAT_JSON: {
		json_object *doc = topology_json(t);

		if (!doc)
			return P2PSIM_EINTERNAL;
		fprintf(out, "%s\n",
			json_object_to_json_string_ext(
				doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(doc);
		break;
	}
	default:
		return P2PSIM_EINTERNAL;
	}
	return ferror(out) ? P2PSIM_EINTERNAL : P2PSIM_OK;
}
