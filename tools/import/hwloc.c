// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwloc.c - `p2psim import hwloc`: read an `lstopo --of xml` file (hwloc XML
 * v2 or v3) with libxml2, without the hwloc library.
 *
 * What it reads: host bridges (`Bridge` with bridge_type "0-1" and
 * bridge_pci "dddd:[ss-ee]"), PCI bridges ("1-1", pci_busid, pci_type,
 * bridge_pci), `PCIDev` objects (pci_busid, pci_type with 6 or 7 fields:
 * class, [vendor:device], [subvendor:subdevice], revision[, prog-if]), the
 * `<info>` children that name devices (PCIVendor, PCIDevice, GPUModel) and the
 * CPU (CPUVendor, CPUFamilyNumber), and the machine name (DMIProductName).
 * hwloc records no ACS, BARs or IOMMU, and does not mark SR-IOV VFs (they are
 * imported as ordinary functions, which have the same P2P distances). With
 * I/O filtering, PCI devices may hang off CPU objects with no bridge above
 * them: each such bus becomes a root bus of its own, noted in the output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "import.h"

struct hwloc_ctx {
	const char *path;
	struct imp_machine *m;
	struct p2psim_error *err;
	int orphans;
};

static bool is_elem(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static char *prop(xmlNodePtr n, const char *name)
{
	return (char *)xmlGetProp(n, BAD_CAST name);
}

static int bad(struct hwloc_ctx *c, xmlNodePtr n, const char *what, const char *value)
{
	p2psim_error_set(c->err, P2PSIM_EINPUT, c->path, (int)xmlGetLineNo(n), 0,
			 "hwloc %s '%s' is malformed", what, value ? value : "(missing)");
	return P2PSIM_EINPUT;
}

static int nomem(struct hwloc_ctx *c)
{
	p2psim_error_set(c->err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
	return P2PSIM_EINTERNAL;
}

/* The value of <info name="@name" value="..."/> among @n's children (xmlFree it). */
static char *info(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr ch = n->children; ch; ch = ch->next) {
		char *nm;

		if (!is_elem(ch, "info"))
			continue;
		nm = prop(ch, "name");
		if (nm && !strcmp(nm, name)) {
			xmlFree(nm);
			return prop(ch, "value");
		}
		xmlFree(nm);
	}
	return NULL;
}

/* "0604 [8086:2030] [8086:0000] 04 00" (v3, with prog-if) or without the prog-if (v2). */
static int parse_pci_type(const char *s, struct imp_fn *f)
{
	unsigned int cls, ven, dev, sven, sdev, rev, progif = 0;
	int n = 0;

	if (sscanf(s, "%x [%x:%x] [%x:%x] %x %x%n", &cls, &ven, &dev, &sven, &sdev, &rev, &progif,
		   &n) == 7 &&
	    !s[n]) {
		/* v3 */
	} else if (n = 0, progif = 0,
		   sscanf(s, "%x [%x:%x] [%x:%x] %x%n", &cls, &ven, &dev, &sven, &sdev, &rev, &n) ==
				   6 &&
			   !s[n]) {
		/* v2 */
	} else {
		return -EINVAL;
	}
	if (cls > 0xffff || ven > 0xffff || dev > 0xffff || progif > 0xff)
		return -EINVAL;
	f->class_code = (long)((cls << 8) | progif);
	f->vendor = (int)ven;
	f->device = (int)dev;
	return 0;
}

static int parse_bridge_pci(const char *s, int *domain, int *sec, int *sub)
{
	unsigned int d, a, b;
	int n = 0;

	if (!s || sscanf(s, "%x:[%x-%x]%n", &d, &a, &b, &n) != 3 || s[n] || d > 0xffff ||
	    a > 0xff || b > 0xff)
		return -EINVAL;
	*domain = (int)d;
	*sec = (int)a;
	*sub = (int)b;
	return 0;
}

/* "PCIVendor PCIDevice" or the GPU model, plus the OS device names below. */
static int make_label(struct hwloc_ctx *c, xmlNodePtr n, struct imp_fn *f)
{
	char *vendor = info(n, "PCIVendor"), *device = info(n, "PCIDevice");
	char names[256] = "", *model = NULL;
	int ret = 0;

	for (xmlNodePtr ch = n->children; ch; ch = ch->next) {
		char *type, *name;

		if (!is_elem(ch, "object"))
			continue;
		type = prop(ch, "type");
		if (type && !strcmp(type, "OSDev")) {
			name = prop(ch, "name");
			if (name && strlen(names) + strlen(name) + 2 < sizeof(names)) {
				if (names[0])
					strcat(names, ",");
				strcat(names, name);
			}
			xmlFree(name);
			if (!model)
				model = info(ch, "GPUModel");
		}
		xmlFree(type);
	}
	if (vendor || device || model || names[0])
		ret = imp_strset(&f->label, "%s%s%s%s%s%s", vendor ? vendor : "",
				 vendor && (device || model) ? " " : "",
				 device ? device :
				 model	? model :
					  "",
				 names[0] && (vendor || device || model) ? " " : "",
				 names[0] ? "osdev=" : "", names);
	xmlFree(vendor);
	xmlFree(device);
	xmlFree(model);
	return ret ? nomem(c) : P2PSIM_OK;
}

static int walk(struct hwloc_ctx *c, xmlNodePtr n, struct imp_hostbridge *hb,
		struct imp_fn *parent);

static int walk_children(struct hwloc_ctx *c, xmlNodePtr n, struct imp_hostbridge *hb,
			 struct imp_fn *parent)
{
	for (xmlNodePtr ch = n->children; ch; ch = ch->next) {
		int ret;

		if (!is_elem(ch, "object"))
			continue;
		ret = walk(c, ch, hb, parent);
		if (ret)
			return ret;
	}
	return P2PSIM_OK;
}

/* A PCI function (bridge or device) below @hb / @parent, or hanging off a CPU object. */
static int walk_pci(struct hwloc_ctx *c, xmlNodePtr n, bool bridge, struct imp_hostbridge *hb,
		    struct imp_fn *parent)
{
	int line = (int)xmlGetLineNo(n), domain, bus, dev, fn, ret;
	char *busid = prop(n, "pci_busid"), *type = prop(n, "pci_type");
	struct imp_fn *f = NULL;

	if (!busid || imp_parse_bdf(busid, &domain, &bus, &dev, &fn)) {
		ret = bad(c, n, "pci_busid", busid);
		goto out;
	}
	f = imp_fn_new(bridge ? IMP_BRIDGE : IMP_ENDPOINT, domain, bus, dev, fn, line);
	if (!f) {
		ret = nomem(c);
		goto out;
	}
	if (!type || parse_pci_type(type, f)) {
		ret = bad(c, n, "pci_type", type);
		goto out;
	}
	if (bridge) {
		char *range = prop(n, "bridge_pci");
		int d;

		ret = parse_bridge_pci(range, &d, &f->secondary, &f->subordinate);
		if (ret || d != domain) {
			ret = bad(c, n, "bridge_pci", range);
			xmlFree(range);
			goto out;
		}
		xmlFree(range);
	}
	ret = make_label(c, n, f);
	if (ret)
		goto out;
	if (!hb) {
		/* Filtered I/O: no host bridge above. Its bus becomes a root bus of its own. */
		hb = imp_find_hostbridge(c->m, domain, bus);
		if (!hb) {
			hb = imp_add_hostbridge(c->m, domain, bus, line);
			if (!hb ||
			    imp_strset(
				    &hb->note,
				    "root bus %04x:%02x is ASSUMED: the input has no host bridge "
				    "or bridge above %s (I/O filtered by hwloc)",
				    domain, bus, busid)) {
				ret = nomem(c);
				goto out;
			}
		}
		parent = NULL;
		c->orphans++;
	}
	if (!parent && !bridge && (f->class_code >> 8) == 0x0600)
		f->kind = IMP_HOSTFN;
	imp_fn_attach(hb, parent, f);
	ret = walk_children(c, n, hb, bridge ? f : parent);
	f = NULL;
out:
	imp_fn_free(f);
	xmlFree(busid);
	xmlFree(type);
	return ret;
}

static int walk(struct hwloc_ctx *c, xmlNodePtr n, struct imp_hostbridge *hb, struct imp_fn *parent)
{
	char *type = prop(n, "type");
	int ret = P2PSIM_OK;

	if (!type) {
		ret = bad(c, n, "object type", NULL);
		goto out;
	}
	if (!strcmp(type, "Machine") && !c->m->name) {
		char *product = info(n, "DMIProductName");

		if (product && imp_strset(&c->m->name, "%s", product))
			ret = nomem(c);
		xmlFree(product);
		if (ret)
			goto out;
	}
	if (!strcmp(type, "Package") && !c->m->cpu_known) {
		char *vendor = info(n, "CPUVendor"), *family = info(n, "CPUFamilyNumber");
		char *end = NULL;

		if (vendor && family) {
			long fam = strtol(family, &end, 0);

			if (end != family && !*end && fam >= 0) {
				c->m->cpu_known = true;
				snprintf(c->m->cpu_vendor, sizeof(c->m->cpu_vendor), "%s",
					 imp_cpu_vendor_from_id(vendor));
				c->m->cpu_family = fam;
				if (imp_strset(&c->m->cpu_source,
					       "hwloc CPUVendor=%s CPUFamilyNumber=%s", vendor,
					       family))
					ret = nomem(c);
			}
		}
		xmlFree(vendor);
		xmlFree(family);
		if (ret)
			goto out;
	}
	if (!strcmp(type, "Bridge")) {
		char *bt = prop(n, "bridge_type");

		if (bt && !strcmp(bt, "0-1")) {
			char *range = prop(n, "bridge_pci");
			int domain, sec, sub;

			if (parse_bridge_pci(range, &domain, &sec, &sub)) {
				ret = bad(c, n, "bridge_pci", range);
			} else if (imp_find_hostbridge(c->m, domain, sec)) {
				p2psim_error_set(
					c->err, P2PSIM_EINPUT, c->path, (int)xmlGetLineNo(n), 0,
					"inconsistent bus ranges: a second host bridge for root bus "
					"%04x:%02x",
					domain, sec);
				ret = P2PSIM_EINPUT;
			} else {
				struct imp_hostbridge *h =
					imp_add_hostbridge(c->m, domain, sec, (int)xmlGetLineNo(n));

				if (!h)
					ret = nomem(c);
				else {
					h->bus_end = sub;
					ret = walk_children(c, n, h, NULL);
				}
			}
			xmlFree(range);
		} else if (bt && !strcmp(bt, "1-1")) {
			ret = walk_pci(c, n, true, hb, parent);
		} else {
			ret = bad(c, n, "bridge_type", bt);
		}
		xmlFree(bt);
		goto out;
	}
	if (!strcmp(type, "PCIDev")) {
		ret = walk_pci(c, n, false, hb, parent);
		goto out;
	}
	if (!strcmp(type, "OSDev") || !strcmp(type, "Misc"))
		goto out;
	ret = walk_children(c, n, hb, parent);
out:
	xmlFree(type);
	return ret;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int imp_read_hwloc(const char *path, struct imp_machine *m, struct p2psim_error *err)
{
	struct hwloc_ctx c = { .path = path, .m = m, .err = err };
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	char *version = NULL;
	int ret;

	ret = imp_xml_read(path, &doc, err);
	if (ret)
		return ret;
	root = xmlDocGetRootElement(doc);
	if (!root || !is_elem(root, "topology")) {
		p2psim_error_set(err, P2PSIM_EINPUT, path, root ? (int)xmlGetLineNo(root) : 1, 0,
				 "not an hwloc XML file: the root element is not <topology>");
		ret = P2PSIM_EINPUT;
		goto out;
	}
	version = prop(root, "version");
	if (!version || (strncmp(version, "2.", 2) && strncmp(version, "3.", 2))) {
		p2psim_error_set(
			err, P2PSIM_EINPUT, path, (int)xmlGetLineNo(root), 0,
			"unsupported hwloc XML version '%s' (2.x and 3.x are read; re-export "
			"with lstopo from hwloc 2 or later)",
			version ? version : "1.x (no version attribute)");
		ret = P2PSIM_EINPUT;
		goto out;
	}
	if (imp_note(m,
		     "Source: hwloc XML version %s (%s). hwloc records no ACS, BARs, IOMMU or "
		     "SR-IOV VF marks; VFs appear as ordinary functions.",
		     version, base_name(path))) {
		ret = nomem(&c);
		goto out;
	}
	ret = walk_children(&c, root, NULL, NULL);
	if (!ret && c.orphans &&
	    imp_note(m,
		     "%d PCI function(s) had no bridge above them (hwloc I/O filtering): each "
		     "such bus is written as a root bus of its own, so P2P between them goes "
		     "through the host bridge",
		     c.orphans))
		ret = nomem(&c);
	if (!ret && !m->name) {
		const char *b = base_name(path);
		size_t len = strlen(b);

		if (len > 4 && !strcmp(b + len - 4, ".xml"))
			len -= 4;
		if (imp_strset(&m->name, "%.*s", (int)len, b))
			ret = nomem(&c);
	}
out:
	xmlFree(version);
	xmlFreeDoc(doc);
	return ret;
}
