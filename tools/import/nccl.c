// SPDX-License-Identifier: GPL-2.0-only
/*
 * nccl.c - `p2psim import nccl`: read an NCCL topology file (the
 * NCCL_TOPO_FILE format, version 1) with libxml2.
 *
 * Grammar read: <system version="1"> holding <cpu numaid vendor familyid
 * arch> elements, each holding nested <pci busid class vendor device
 * link_speed link_width> elements; <gpu>/<nic><net> children name devices.
 * NCCL's XML shows a PCIe switch by its upstream port only (class 0x060400)
 * and never shows root ports; cloud providers use fake switches with bus ids
 * ffff:ff:NN.0 to say "this GPU and this NIC share a switch". What it says is
 * kept: each <cpu> becomes a host bridge (domain = its index, numa-node =
 * numaid), each <pci> directly under a <cpu> hangs off a root port of its
 * own, a switch <pci> becomes a <switch> with one downstream port per child.
 * Root ports, downstream ports and all bus numbers are invented (the loader
 * numbers the buses), so devices get new BDFs: the NCCL bus ids are kept in
 * comments. NCCL records no ACS, BARs or IOMMU.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "import.h"

struct nccl_ctx {
	const char *path;
	struct imp_machine *m;
	struct p2psim_error *err;
	int virtual_switches, switches, devices;
};

static bool is_elem(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static char *prop(xmlNodePtr n, const char *name)
{
	return (char *)xmlGetProp(n, BAD_CAST name);
}

static int nomem(struct nccl_ctx *c)
{
	p2psim_error_set(c->err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
	return P2PSIM_EINTERNAL;
}

static int bad(struct nccl_ctx *c, xmlNodePtr n, const char *what, const char *value)
{
	p2psim_error_set(c->err, P2PSIM_EINPUT, c->path, (int)xmlGetLineNo(n), 0,
			 "NCCL %s '%s' is malformed", what, value ? value : "(missing)");
	return P2PSIM_EINPUT;
}

/* A hex attribute ("0x10de" or "10de"); IMP_UNKNOWN when absent. */
static int hex_attr(struct nccl_ctx *c, xmlNodePtr n, const char *name, long max, long *out)
{
	char *v = prop(n, name), *end;
	long x;

	*out = IMP_UNKNOWN;
	if (!v)
		return P2PSIM_OK;
	x = strtol(v, &end, 16);
	if (end == v || *end || x < 0 || x > max) {
		int ret = bad(c, n, name, v);

		xmlFree(v);
		return ret;
	}
	xmlFree(v);
	*out = x;
	return P2PSIM_OK;
}

/* "GPU (nvml dev 3)" / "NIC mlx5_0" from <gpu>/<nic><net> children. */
static void device_name(xmlNodePtr n, char *buf, size_t size)
{
	buf[0] = '\0';
	for (xmlNodePtr ch = n->children; ch; ch = ch->next) {
		if (is_elem(ch, "gpu")) {
			char *dev = prop(ch, "dev"), *sm = prop(ch, "sm");

			snprintf(buf, size, " gpu dev=%s sm=%s", dev ? dev : "?", sm ? sm : "?");
			xmlFree(dev);
			xmlFree(sm);
		} else if (is_elem(ch, "nic")) {
			for (xmlNodePtr net = ch->children; net; net = net->next) {
				char *name;

				if (!is_elem(net, "net"))
					continue;
				name = prop(net, "name");
				snprintf(buf, size, " net=%s", name ? name : "?");
				xmlFree(name);
				break;
			}
		}
	}
}

static int read_pci(struct nccl_ctx *c, xmlNodePtr n, struct imp_hostbridge *hb,
		    struct imp_fn *holder);

/* The children <pci> of switch @n, each behind a downstream port of @up. */
static int read_switch(struct nccl_ctx *c, xmlNodePtr n, struct imp_hostbridge *hb,
		       struct imp_fn *up)
{
	int dp = 0;

	for (xmlNodePtr ch = n->children; ch; ch = ch->next) {
		struct imp_fn *d;
		int ret;

		if (!is_elem(ch, "pci"))
			continue;
		if (dp > 31) {
			p2psim_error_set(c->err, P2PSIM_EINPUT, c->path, (int)xmlGetLineNo(ch), 0,
					 "more than 32 devices below one NCCL switch");
			return P2PSIM_EINPUT;
		}
		d = imp_fn_new(IMP_BRIDGE, hb->domain, IMP_UNKNOWN, dp++, 0, (int)xmlGetLineNo(ch));
		if (!d)
			return nomem(c);
		d->vendor = up->vendor;
		d->device = up->device;
		d->class_code = 0x060400;
		if (imp_strset(&d->note, "downstream port invented by the importer (NCCL does not "
					 "show downstream ports)")) {
			imp_fn_free(d);
			return nomem(c);
		}
		imp_fn_attach(hb, up, d);
		ret = read_pci(c, ch, hb, d);
		if (ret)
			return ret;
	}
	return P2PSIM_OK;
}

/* One <pci> element, the device on the link below @holder (a port). */
static int read_pci(struct nccl_ctx *c, xmlNodePtr n, struct imp_hostbridge *hb,
		    struct imp_fn *holder)
{
	int line = (int)xmlGetLineNo(n), domain, bus, dev, fn, ret;
	char *busid = prop(n, "busid"), *speed = prop(n, "link_speed"),
	     *width = prop(n, "link_width");
	long cls, vendor, device;
	char name[128];
	bool virtual_sw;
	struct imp_fn *f;

	ret = busid && !imp_parse_bdf(busid, &domain, &bus, &dev, &fn) ? P2PSIM_OK :
									 bad(c, n, "busid", busid);
	if (!ret)
		ret = hex_attr(c, n, "class", 0xffffff, &cls);
	if (!ret && cls == IMP_UNKNOWN)
		ret = bad(c, n, "class", NULL);
	if (!ret)
		ret = hex_attr(c, n, "vendor", 0xffff, &vendor);
	if (!ret)
		ret = hex_attr(c, n, "device", 0xffff, &device);
	if (ret)
		goto out;
	virtual_sw = domain == 0xffff && bus == 0xff;
	f = imp_fn_new((cls >> 8) == 0x0604 ? IMP_BRIDGE : IMP_ENDPOINT, hb->domain, IMP_UNKNOWN, 0,
		       (cls >> 8) == 0x0604 ? 0 : fn, line);
	if (!f) {
		ret = nomem(c);
		goto out;
	}
	f->class_code = cls;
	f->vendor = (int)vendor;
	f->device = (int)device;
	device_name(n, name, sizeof(name));
	if (imp_strset(&f->label, "NCCL busid %s%s%s%s%s%s", busid,
		       virtual_sw ? " (virtual switch)" : "", speed ? " link " : "",
		       speed ? speed : "", width ? " x" : "", width ? width : "") ||
	    (name[0] && imp_strset(&f->note, "%s", name + 1))) {
		imp_fn_free(f);
		ret = nomem(c);
		goto out;
	}
	imp_fn_attach(hb, holder, f);
	if (f->kind == IMP_BRIDGE) {
		c->switches++;
		c->virtual_switches += virtual_sw;
		ret = read_switch(c, n, hb, f);
	} else {
		c->devices++;
	}
out:
	xmlFree(busid);
	xmlFree(speed);
	xmlFree(width);
	return ret;
}

static int read_cpu(struct nccl_ctx *c, xmlNodePtr n, int index)
{
	char *numaid = prop(n, "numaid"), *vendor = prop(n, "vendor"),
	     *family = prop(n, "familyid");
	char *arch = prop(n, "arch");
	struct imp_hostbridge *hb = imp_add_hostbridge(c->m, index, 0, (int)xmlGetLineNo(n));
	int ret = P2PSIM_OK, rp = 1;

	if (!hb) {
		ret = nomem(c);
		goto out;
	}
	if (numaid)
		hb->numa_node = atoi(numaid);
	if (imp_strset(
		    &hb->note,
		    "NCCL <cpu numaid=%s> (line %d): a host bridge with invented domain %04x, root "
		    "ports and bus numbers",
		    numaid ? numaid : "?", hb->line, index)) {
		ret = nomem(c);
		goto out;
	}
	if (!c->m->cpu_known && (vendor || arch)) {
		const char *v = vendor			       ? imp_cpu_vendor_from_id(vendor) :
				arch && !strcmp(arch, "arm64") ? "arm" :
								 "other";
		char *end = NULL;
		long fam = family ? strtol(family, &end, 0) : 0;

		if (family && (end == family || *end)) {
			ret = bad(c, n, "familyid", family);
			goto out;
		}
		if (!family)
			fam = !strcmp(v, "amd")	  ? 0x19 :
			      !strcmp(v, "hygon") ? 0x18 :
			      !strcmp(v, "intel") ? 6 :
						    0;
		c->m->cpu_known = true;
		snprintf(c->m->cpu_vendor, sizeof(c->m->cpu_vendor), "%s", v);
		c->m->cpu_family = fam;
		if (imp_strset(&c->m->cpu_source, "NCCL cpu vendor=%s familyid=%s arch=%s",
			       vendor ? vendor : "-", family ? family : "-", arch ? arch : "-")) {
			ret = nomem(c);
			goto out;
		}
	}
	for (xmlNodePtr ch = n->children; ch && !ret; ch = ch->next) {
		struct imp_fn *port;

		if (is_elem(ch, "nic")) {
			ret = imp_note(c->m, "line %d: a <nic> with no PCI device is left out",
				       (int)xmlGetLineNo(ch)) ?
				      nomem(c) :
				      P2PSIM_OK;
			continue;
		}
		if (!is_elem(ch, "pci"))
			continue;
		if (rp > 31) {
			p2psim_error_set(c->err, P2PSIM_EINPUT, c->path, (int)xmlGetLineNo(ch), 0,
					 "more than 31 PCI trees below one NCCL <cpu>");
			ret = P2PSIM_EINPUT;
			break;
		}
		port = imp_fn_new(IMP_BRIDGE, index, 0, rp++, 0, (int)xmlGetLineNo(ch));
		if (!port) {
			ret = nomem(c);
			break;
		}
		port->vendor = 0;
		port->device = 0;
		port->class_code = 0x060400;
		if (imp_strset(&port->note,
			       "root port invented by the importer (NCCL does not show "
			       "root ports)")) {
			imp_fn_free(port);
			ret = nomem(c);
			break;
		}
		imp_fn_attach(hb, NULL, port);
		ret = read_pci(c, ch, hb, port);
	}
out:
	xmlFree(numaid);
	xmlFree(vendor);
	xmlFree(family);
	xmlFree(arch);
	return ret;
}

int imp_read_nccl(const char *path, struct imp_machine *m, struct p2psim_error *err)
{
	struct nccl_ctx c = { .path = path, .m = m, .err = err };
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	char *version = NULL, *name = NULL;
	int ret, cpus = 0;

	ret = imp_xml_read(path, &doc, err);
	if (ret)
		return ret;
	root = xmlDocGetRootElement(doc);
	if (!root || !is_elem(root, "system")) {
		p2psim_error_set(err, P2PSIM_EINPUT, path, root ? (int)xmlGetLineNo(root) : 1, 0,
				 "not an NCCL topology file: the root element is not <system>");
		ret = P2PSIM_EINPUT;
		goto out;
	}
	version = prop(root, "version");
	if (!version || strcmp(version, "1")) {
		p2psim_error_set(
			err, P2PSIM_EINPUT, path, (int)xmlGetLineNo(root), 0,
			"unsupported NCCL topology version '%s' (NCCL_TOPO_XML_VERSION 1 is "
			"read)",
			version ? version : "(missing)");
		ret = P2PSIM_EINPUT;
		goto out;
	}
	for (xmlNodePtr ch = root->children; ch && !ret; ch = ch->next)
		if (is_elem(ch, "cpu"))
			ret = read_cpu(&c, ch, cpus++);
	if (ret)
		goto out;
	name = prop(root, "name");
	if (!m->name) {
		const char *b = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		size_t len = strlen(b);

		if (len > 4 && !strcmp(b + len - 4, ".xml"))
			len -= 4;
		if (name ? imp_strset(&m->name, "%s", name) :
			   imp_strset(&m->name, "%.*s", (int)len, b)) {
			ret = nomem(&c);
			goto out;
		}
	}
	if (imp_note(
		    m,
		    "Source: NCCL topology version 1: %d <cpu>, %d switch(es) of which %d "
		    "virtual (bus id ffff:ff:..), %d device(s). Kept: which devices share a "
		    "switch, classes, IDs where given. Invented: host bridges (one per <cpu>), root "
		    "ports, downstream ports, every BDF (NCCL bus ids are in comments).",
		    cpus, c.switches, c.virtual_switches, c.devices) ||
	    imp_note(m,
		     "NCCL cannot say: whether a switch is real hardware (a virtual switch "
		     "only records the provider's grouping; the guest sees the devices on separate "
		     "host bridges), ACS, BARs, the host-bridge function, the IOMMU.") ||
	    imp_note(m,
		     "Functions without vendor/device in the NCCL file are written as 0000:0000."))
		ret = nomem(&c);
out:
	xmlFree(version);
	xmlFree(name);
	xmlFreeDoc(doc);
	return ret;
}
