// SPDX-License-Identifier: GPL-2.0-only
/*
 * path.c - `p2psim path`: one verdict explained step by step, in the order
 * calc_map_type_and_dist() takes them: the two upstream chains, the common
 * bridge, every ACS Control value looked at, the CPU and allowlist decision,
 * the verdict and the log lines, then what it means for the DMA: the address
 * the client is programmed with and the route the request takes.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sim/p2p/p2p_internal.h"

struct log_capture {
	char text[8192];
	size_t len;
};

/* The log lines, one per '\n'-terminated line. */
static void capture_line(void *arg, const struct pci_dev *dev, const char *line)
{
	struct log_capture *cap = arg;
	int n = snprintf(cap->text + cap->len, sizeof(cap->text) - cap->len, "%s\n", line);

	if (n > 0 && cap->len + (size_t)n < sizeof(cap->text))
		cap->len += (size_t)n;
	else
		cap->text[cap->len] = '\0';
}

static void print_chain(FILE *out, const char *role, const struct pci_dev *dev)
{
	int depth = 0;

	fprintf(out, "  %-8s %s: %s", role, dev->id, dev->name);
	for (const struct pci_dev *d = pci_upstream_bridge(dev); d; d = pci_upstream_bridge(d)) {
		fprintf(out, " -> %s (%s)", d->name, d->id);
		depth++;
	}
	depth++;
	fprintf(out, "  [depth %d]\n", depth);
}

static const char *type_words(const struct pci_dev *dev)
{
	if (dev->is_virtfn)
		return "virtual function";
	switch (dev->type) {
	case PCI_TYPE_ENDPOINT:
		return "endpoint";
	case PCI_TYPE_RC_END:
		return "root-complex integrated endpoint";
	case PCI_TYPE_ROOT_FUNCTION:
		return "root-bus function";
	case PCI_TYPE_ROOT_PORT:
		return "root port";
	case PCI_TYPE_UPSTREAM:
		return "switch upstream port";
	case PCI_TYPE_DOWNSTREAM:
		return "switch downstream port";
	}
	return "function";
}

static void print_acs(FILE *out, const struct p2pdma_walk *walk)
{
	bool header_p = false, header_c = false;
	char bits[64];

	fprintf(out, "\n3. ACS Control examined (pci_bridge_has_acs_redir: RR|CR|EC = 0x002c is a "
		     "redirect; SV, TB, UF, DT are ignored)\n");
	for (int i = 0; i < walk->nr_checks; i++) {
		const struct p2pdma_acs_check *c = &walk->checks[i];
		const char *side = "";

		if (c->provider_side && !header_p) {
			side = "provider side";
			header_p = true;
		} else if (!c->provider_side && !header_c) {
			side = "client side";
			header_c = true;
		}
		fprintf(out, "  %-14s %s %-14s ", side, c->dev->name, c->dev->id);
		if (!c->has_acs) {
			fprintf(out, "no ACS capability\n");
			continue;
		}
		p2p_acs_bits(c->ctrl, bits, sizeof(bits));
		fprintf(out, "ctrl 0x%04x (%s)%s\n", c->ctrl, bits,
			c->redirect ? "  REDIRECT" : "");
	}
	if (walk->common)
		fprintf(out,
			"  (provider side: up to and including the common bridge; client side: "
			"up to it, excluding it)\n");
	if (!walk->acs_cnt)
		fprintf(out, "  => no redirect on the path\n");
	else if (walk->common)
		fprintf(out, "  => %d redirecting: %s%s\n", walk->acs_cnt, walk->acs_list,
			walk->acs_list_overflow ? " (truncated: the kernel's 128-byte buffer "
						  "overflowed)" :
						  "");
	else
		fprintf(out,
			"  => %d redirecting (%s), counted but ignored: without a common bridge "
			"the path crosses the host bridge anyway\n",
			walk->acs_cnt, walk->acs_list);
}

static void print_fallback(FILE *out, const struct p2psim_p2p *view, const struct p2pdma_walk *walk)
{
	char cpu[64];

	fprintf(out, "\n4. Host-bridge fallback\n");
	if (!walk->fallback) {
		fprintf(out, "  not taken: a common upstream bridge without ACS redirect is "
			     "BUS_ADDR\n");
		return;
	}
	p2p_cpu_describe(&view->ctx.cpu, cpu, sizeof(cpu));
	fprintf(out, "  taken because %s\n",
		walk->common ? "ACS redirect forces the traffic up through the host bridge" :
			       "the devices share no upstream bridge");
	fprintf(out, "  cpu_supports_p2pdma(): %s (%s; only AMD family >= 0x17 qualifies)\n",
		walk->cpu_supports ? "yes" : "no", cpu);
	if (walk->cpu_supports) {
		fprintf(out, "  the allowlist is not consulted\n");
		return;
	}
	fprintf(out, "  host_bridge_whitelist() (kernel profile '%s', %zu rows):\n",
		view->ctx.profile->name, kernel_profile_whitelist_len(view->ctx.profile));
	if (walk->nr_hb == 2 || (walk->nr_hb == 1 && !walk->hb[0].same_host_bridge))
		fprintf(out, "    different host bridges: both must match a row without "
			     "REQ_SAME_HOST_BRIDGE\n");
	else
		fprintf(out, "    same host bridge\n");
	for (int i = 0; i < walk->nr_hb; i++) {
		const struct p2pdma_hb_check *hb = &walk->hb[i];

		fprintf(out, "    %s: ", hb->host->id);
		if (!hb->first) {
			fprintf(out, "root bus is empty -> no host bridge device -> refused\n");
			continue;
		}
		if (!hb->root) {
			fprintf(out,
				"first root-bus function %s (%s) is neither 00.0 nor a root "
				"port -> refused silently\n",
				hb->first->name, hb->first->id);
			continue;
		}
		fprintf(out, "host bridge device %s %04x:%04x -> ", hb->root->name,
			hb->root->vendor, hb->root->device);
		if (!hb->entry)
			fprintf(out, "not in the allowlist -> refused%s\n",
				hb->warned ? " (warned)" : "");
		else if (!hb->allowed)
			fprintf(out, "row %u (%s) has REQ_SAME_HOST_BRIDGE -> refused\n",
				p2pdma_whitelist_row_number(hb->entry), hb->entry->comment);
		else
			fprintf(out, "row %u (%s) -> allowed\n",
				p2pdma_whitelist_row_number(hb->entry), hb->entry->comment);
	}
	if (walk->nr_hb == 1 && !walk->hb[0].same_host_bridge)
		fprintf(out,
			"    (the second host bridge is not evaluated once the first fails)\n");
}

static void print_dma_address(FILE *out, const struct p2psim_p2p *view,
			      const struct p2pdma_walk *walk)
{
	const struct pci_dev *p = walk->provider;
	int bar = p2p_provider_bar(p);
	const struct pci_bar *b = bar >= 0 ? &p->bars[bar] : NULL;

	fprintf(out, "\n7. DMA address the client is programmed with\n");
	if (walk->map == PCI_P2PDMA_MAP_NOT_SUPPORTED) {
		fprintf(out,
			"  none: dma_map_sg()/dma_map_phys() fail with -EREMOTEIO, the dma-buf "
			"helper with -EINVAL\n");
		return;
	}
	if (!b) {
		fprintf(out, "  the provider has no memory BAR: there is nothing to map\n");
		return;
	}
	if (walk->map == PCI_P2PDMA_MAP_BUS_ADDR) {
		u64 off = b->bus_addr - b->cpu_addr;

		fprintf(out,
			"  the PCI bus address (pci_p2pdma_bus_addr_map): BAR %d CPU 0x%llx + "
			"bus_offset 0x%llx = 0x%llx\n",
			bar, (unsigned long long)b->cpu_addr, (unsigned long long)off,
			(unsigned long long)(b->cpu_addr + off));
		fprintf(out, "  no IOMMU translation; the sg entry is marked as a bus address\n");
		return;
	}
	fprintf(out,
		"  a normal mapping of CPU physical 0x%llx (BAR %d): phys_to_dma() under "
		"dma-direct, an IOVA when the client is behind an IOMMU%s%s%s\n",
		(unsigned long long)b->cpu_addr, bar, walk->client->host->iommu_id ? " (" : "",
		walk->client->host->iommu_id ? walk->client->host->iommu_id : "",
		walk->client->host->iommu_id ? ")" : "");
}

/* One hop of the hardware route: a function, or a host bridge (dev NULL). */
struct route_hop {
	const struct pci_dev *dev;
	const struct pci_host_bridge *host;
};

/* Route of the client's request to the provider's BAR, as the hardware forwards it. */
struct route {
	struct route_hop hops[2 * 260 + 2];
	int nr_hops;
	bool internal; /* client == provider: no link crossed */
	bool same_link; /* functions of one device: routed inside the device */
	bool via_host; /* through the root complex */
	const struct pci_dev *redirect_at; /* first client-side port with RR or EC */
	bool forwarding_ok; /* every host bridge crossed forwards P2P */
};

static void route_add(struct route *r, const struct pci_dev *dev,
		      const struct pci_host_bridge *host)
{
	if (r->nr_hops < (int)ARRAY_SIZE(r->hops))
		r->hops[r->nr_hops++] = (struct route_hop){ .dev = dev, .host = host };
}

static void compute_route(const struct p2pdma_walk *walk, struct route *r)
{
	const struct pci_dev *c = walk->client, *p = walk->provider, *up_to;
	const struct pci_dev *down[260];
	int nr_down = 0;

	memset(r, 0, sizeof(*r));
	r->forwarding_ok = true;
	if (c == p) {
		r->internal = true;
		route_add(r, c, NULL);
		return;
	}
	r->via_host = walk->map != PCI_P2PDMA_MAP_BUS_ADDR;
	/* functions of one device (or its VFs) share the link below the common bridge */
	r->same_link = walk->common && walk->dist_a == 1 && walk->dist_b == 1 &&
		       pci_physfn(c)->bus == pci_physfn(p)->bus &&
		       PCI_SLOT(pci_physfn(c)->devfn) == PCI_SLOT(pci_physfn(p)->devfn);
	for (int i = 0; i < walk->nr_checks; i++) {
		const struct p2pdma_acs_check *chk = &walk->checks[i];

		if (!chk->provider_side && chk->has_acs &&
		    (chk->ctrl & (PCI_ACS_RR | PCI_ACS_EC)) && chk->dev != c) {
			r->redirect_at = chk->dev;
			break;
		}
	}
	if (!r->via_host && r->same_link) {
		route_add(r, c, NULL);
		route_add(r, p, NULL);
		return;
	}
	up_to = r->via_host ? NULL : walk->common;
	for (const struct pci_dev *d = c; d; d = pci_upstream_bridge(d)) {
		route_add(r, d, NULL);
		if (d == up_to)
			break;
	}
	if (r->via_host) {
		route_add(r, NULL, c->host);
		if (c->host != p->host)
			route_add(r, NULL, p->host);
		r->forwarding_ok = c->host->p2p_forwarding && p->host->p2p_forwarding;
	}
	for (const struct pci_dev *d = p; d && nr_down < 260; d = pci_upstream_bridge(d)) {
		if (!r->via_host && d == walk->common)
			break;
		down[nr_down++] = d;
	}
	for (int i = nr_down - 1; i >= 0; i--)
		route_add(r, down[i], NULL);
}

static void print_route(FILE *out, const struct p2pdma_walk *walk, const struct route *r)
{
	const struct pci_dev *c = walk->client, *p = walk->provider;

	fprintf(out, "\n8. Hardware route of the DMA (client -> provider memory)\n");
	if (r->internal) {
		fprintf(out, "  inside the function itself: no link is crossed\n");
		return;
	}
	fprintf(out, "  ");
	for (int i = 0; i < r->nr_hops; i++) {
		const struct route_hop *h = &r->hops[i];

		if (h->dev)
			fprintf(out, "%s%s %s", i ? " -> " : "", h->dev->id, h->dev->name);
		else
			fprintf(out, "%shost bridge %s", i ? " -> " : "", h->host->id);
	}
	fputc('\n', out);
	if (!r->via_host && r->same_link) {
		fprintf(out,
			"  both functions sit on the one link below %s (%s): the device routes "
			"the request internally; it never reaches the root complex\n",
			walk->common->name, walk->common->id);
		return;
	}
	if (!r->via_host) {
		fprintf(out,
			"  the request turns around at %s (%s) and never reaches the root "
			"complex\n",
			walk->common->name, walk->common->id);
		return;
	}
	if (walk->common && r->redirect_at)
		fprintf(out,
			"  ACS at %s (%s) redirects the request upstream although %s (%s) "
			"could route it directly\n",
			r->redirect_at->name, r->redirect_at->id, walk->common->name,
			walk->common->id);
	else if (walk->common)
		fprintf(out,
			"  no port on the client side redirects requests, but the kernel counted "
			"redirect bits on the path and maps through the host bridge: an IOVA or "
			"CPU address takes the request up to the root complex\n");
	fprintf(out, "  needs peer-to-peer forwarding in the root complex: %s forwards P2P: %s",
		c->host->id, c->host->p2p_forwarding ? "yes" : "no");
	if (c->host != p->host)
		fprintf(out, "; %s forwards P2P: %s", p->host->id,
			p->host->p2p_forwarding ? "yes" : "no");
	fputc('\n', out);
	if (walk->map == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE && !r->forwarding_ok)
		fprintf(out, "  WARNING: the kernel allows this path but the hardware does not "
			     "forward it: reads would return all-ones\n");
}

static json_object *json_dev(const struct pci_dev *dev)
{
	json_object *o;

	if (!dev)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(dev->id));
	json_object_object_add(o, "bdf", json_object_new_string(dev->name));
	return o;
}

static json_object *json_chain(const struct pci_dev *dev)
{
	json_object *arr = json_object_new_array();

	for (; dev; dev = pci_upstream_bridge(dev))
		json_object_array_add(arr, json_object_new_string(dev->name));
	return arr;
}

static json_object *json_hex(u64 v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_object_new_string(buf);
}

/* The same explanation as data (json-c), for scripts. */
static int print_json(const struct p2psim_p2p *view, const struct p2pdma_walk *walk,
		      const struct log_capture *cap, const struct route *r, FILE *out)
{
	const struct pci_dev *p = walk->provider, *c = walk->client;
	json_object *doc = json_object_new_object(), *arr, *o, *fb;
	int bar = p2p_provider_bar(p);
	const char *line;

	if (!doc)
		return P2PSIM_EINTERNAL;
	json_object_object_add(doc, "topology",
			       json_object_new_string(view->topo->name ? view->topo->name : ""));
	json_object_object_add(doc, "kernel", json_object_new_string(view->ctx.profile->name));
	o = json_object_new_object();
	json_object_object_add(o, "vendor",
			       json_object_new_string(cpu_vendor_name(view->ctx.cpu.vendor)));
	json_object_object_add(o, "family", json_object_new_int((int)view->ctx.cpu.family));
	json_object_object_add(doc, "cpu", o);
	json_object_object_add(doc, "acs", json_object_new_string(p2psim_acs_mode_name(view->acs)));
	json_object_object_add(doc, "provider", json_dev(p));
	json_object_object_add(doc, "client", json_dev(c));
	json_object_object_add(doc, "provider_chain", json_chain(p));
	json_object_object_add(doc, "client_chain", json_chain(c));
	json_object_object_add(doc, "common_bridge", json_dev(walk->common));
	json_object_object_add(doc, "provider_hops", json_object_new_int(walk->dist_a));
	json_object_object_add(doc, "client_hops", json_object_new_int(walk->dist_b));

	arr = json_object_new_array();
	for (int i = 0; i < walk->nr_checks; i++) {
		const struct p2pdma_acs_check *chk = &walk->checks[i];

		o = json_dev(chk->dev);
		json_object_object_add(
			o, "side",
			json_object_new_string(chk->provider_side ? "provider" : "client"));
		json_object_object_add(o, "acs_capability", json_object_new_boolean(chk->has_acs));
		if (chk->has_acs)
			json_object_object_add(o, "acs_ctrl", json_object_new_int(chk->ctrl));
		json_object_object_add(o, "redirect", json_object_new_boolean(chk->redirect));
		json_object_array_add(arr, o);
	}
	json_object_object_add(doc, "acs_checked", arr);
	arr = json_object_new_array();
	for (int i = 0; i < walk->nr_checks; i++)
		if (walk->checks[i].redirect)
			json_object_array_add(arr,
					      json_object_new_string(walk->checks[i].dev->name));
	json_object_object_add(doc, "acs_redirect", arr);
	json_object_object_add(doc, "disable_acs_redir", json_object_new_string(walk->acs_list));
	json_object_object_add(doc, "disable_acs_redir_truncated",
			       json_object_new_boolean(walk->acs_list_overflow));

	fb = json_object_new_object();
	json_object_object_add(fb, "taken", json_object_new_boolean(walk->fallback));
	if (walk->fallback) {
		json_object_object_add(fb, "cpu_supports_p2pdma",
				       json_object_new_boolean(walk->cpu_supports));
		arr = json_object_new_array();
		for (int i = 0; i < walk->nr_hb; i++) {
			const struct p2pdma_hb_check *hb = &walk->hb[i];
			char id[16];

			o = json_object_new_object();
			json_object_object_add(o, "host_bridge",
					       json_object_new_string(hb->host->id));
			json_object_object_add(o, "same_host_bridge",
					       json_object_new_boolean(hb->same_host_bridge));
			json_object_object_add(o, "device", json_dev(hb->root));
			if (hb->root) {
				snprintf(id, sizeof(id), "%04x:%04x", hb->root->vendor,
					 hb->root->device);
				json_object_object_add(o, "vendor_device",
						       json_object_new_string(id));
			}
			json_object_object_add(
				o, "allowlist_row",
				hb->entry ? json_object_new_int(
						    (int)p2pdma_whitelist_row_number(hb->entry)) :
					    NULL);
			json_object_object_add(o, "allowed", json_object_new_boolean(hb->allowed));
			json_object_object_add(o, "warned", json_object_new_boolean(hb->warned));
			json_object_array_add(arr, o);
		}
		json_object_object_add(fb, "host_bridges", arr);
	}
	json_object_object_add(doc, "fallback", fb);

	json_object_object_add(doc, "map_type",
			       json_object_new_string(pci_p2pdma_map_type_name(walk->map)));
	json_object_object_add(doc, "distance", json_object_new_int(walk->dist));
	json_object_object_add(
		doc, "distance_many",
		json_object_new_int(walk->map == PCI_P2PDMA_MAP_NOT_SUPPORTED ? -1 : walk->dist));
	json_object_object_add(doc, "path_class",
			       json_object_new_string(p2p_path_class_name(p2p_path_class(p, c))));

	arr = json_object_new_array();
	for (line = cap->text; *line;) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);

		json_object_array_add(arr, json_object_new_string_len(line, (int)n));
		line += n + (end ? 1 : 0);
	}
	json_object_object_add(doc, "log", arr);

	o = json_object_new_object();
	if (walk->map == PCI_P2PDMA_MAP_NOT_SUPPORTED || bar < 0) {
		json_object_object_add(o, "kind", json_object_new_string("none"));
	} else {
		const struct pci_bar *b = &p->bars[bar];
		bool bus = walk->map == PCI_P2PDMA_MAP_BUS_ADDR;

		json_object_object_add(o, "kind", json_object_new_string(bus ? "bus" : "normal"));
		json_object_object_add(o, "bar", json_object_new_int(bar));
		json_object_object_add(o, "cpu", json_hex(b->cpu_addr));
		if (bus) {
			json_object_object_add(o, "bus_offset",
					       json_hex(b->bus_addr - b->cpu_addr));
			json_object_object_add(o, "address", json_hex(b->bus_addr));
		}
	}
	json_object_object_add(doc, "dma_address", o);

	o = json_object_new_object();
	arr = json_object_new_array();
	for (int i = 0; i < r->nr_hops; i++) {
		const struct route_hop *h = &r->hops[i];
		json_object *hop = h->dev ? json_dev(h->dev) : json_object_new_object();

		if (!h->dev)
			json_object_object_add(hop, "host_bridge",
					       json_object_new_string(h->host->id));
		json_object_array_add(arr, hop);
	}
	json_object_object_add(o, "hops", arr);
	json_object_object_add(o, "through_root_complex", json_object_new_boolean(r->via_host));
	json_object_object_add(
		o, "inside_device",
		json_object_new_boolean(r->internal || (!r->via_host && r->same_link)));
	json_object_object_add(o, "redirected_at", json_dev(r->redirect_at));
	json_object_object_add(o, "forwarding_ok", json_object_new_boolean(r->forwarding_ok));
	json_object_object_add(doc, "route", o);

	fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE),
	      out);
	fputc('\n', out);
	json_object_put(doc);
	return P2PSIM_OK;
}

static void print_text(const struct p2psim_p2p *view, const struct p2pdma_walk *walk,
		       const struct log_capture *cap, const struct route *r, FILE *out)
{
	const struct pci_dev *p = walk->provider, *c = walk->client;
	int many = walk->map == PCI_P2PDMA_MAP_NOT_SUPPORTED ? -1 : walk->dist;
	char cpu[64];

	p2p_cpu_describe(&view->ctx.cpu, cpu, sizeof(cpu));
	fprintf(out, "Peer-to-peer DMA from client %s (%s) to the memory of provider %s (%s)\n",
		c->id, c->name, p->id, p->name);
	fprintf(out, "topology '%s'; kernel %s; CPU %s; ACS %s\n",
		view->topo->name ? view->topo->name : "", view->ctx.profile->name, cpu,
		p2psim_acs_mode_name(view->acs));

	fprintf(out,
		"\n1. Upstream chains (pci_upstream_bridge; a VF starts from its PF's parent)\n");
	print_chain(out, "provider", p);
	print_chain(out, "client", c);

	fprintf(out, "\n2. Common upstream bridge\n");
	if (p == c)
		fprintf(out, "  the same function: distance 0\n");
	else if (walk->common)
		fprintf(out, "  %s (%s, %s): provider %d hop(s) + client %d hop(s) = distance %d\n",
			walk->common->name, walk->common->id, type_words(walk->common),
			walk->dist_a, walk->dist_b, walk->dist);
	else
		fprintf(out,
			"  none (each chain ends at its own root-bus function): distance = "
			"depth %d + depth %d = %d\n",
			walk->dist_a, walk->dist_b, walk->dist);

	print_acs(out, walk);
	print_fallback(out, view, walk);

	fprintf(out, "\n5. Verdict: %s, distance %d (pci_p2pdma_distance() = %d); path class %s\n",
		pci_p2pdma_map_type_name(walk->map), walk->dist, many,
		p2p_path_class_name(p2p_path_class(p, c)));

	fprintf(out, "\n6. Kernel log (calc_map_type_and_dist with verbose, as on a "
		     "pci_p2pdma_map_type() cache miss)\n");
	if (!cap->len)
		fprintf(out, "    (nothing)\n");
	for (const char *line = cap->text; *line;) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);

		fprintf(out, "    %.*s\n", (int)n, line);
		line += n + (end ? 1 : 0);
	}

	print_dma_address(out, view, walk);
	print_route(out, walk, r);
}

int p2psim_p2p_path(p2psim_p2p *view, const char *provider, const char *client,
		    enum p2psim_format format, FILE *out, struct p2psim_error *err)
{
	const struct pci_dev *p, *c;
	struct log_capture *cap = NULL;
	struct p2pdma_walk *walk = NULL;
	struct route *route = NULL;
	int status = P2PSIM_OK;

	if (format != P2PSIM_FORMAT_TEXT && format != P2PSIM_FORMAT_JSON) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "path prints text or json");
		return P2PSIM_EINPUT;
	}
	p = p2p_lookup(view, provider, err);
	if (!p)
		return P2PSIM_EINPUT;
	c = p2p_lookup(view, client, err);
	if (!c)
		return P2PSIM_EINPUT;
	walk = malloc(sizeof(*walk));
	cap = calloc(1, sizeof(*cap));
	route = malloc(sizeof(*route));
	if (!walk || !cap || !route) {
		p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
		status = P2PSIM_EINTERNAL;
		goto out;
	}

	/* what pci_p2pdma_map_type() would do on a cache miss: verbose */
	view->ctx.walk = walk;
	view->ctx.log = capture_line;
	view->ctx.log_arg = cap;
	calc_map_type_and_dist(&view->ctx, p, c, &walk->dist, true);
	view->ctx.walk = NULL;
	view->ctx.log = NULL;
	view->ctx.log_arg = NULL;
	compute_route(walk, route);

	if (format == P2PSIM_FORMAT_JSON) {
		status = print_json(view, walk, cap, route, out);
		if (status)
			p2psim_error_set(err, status, NULL, 0, 0, "out of memory");
	} else {
		print_text(view, walk, cap, route, out);
	}
out:
	free(route);
	free(cap);
	free(walk);
	return status;
}
