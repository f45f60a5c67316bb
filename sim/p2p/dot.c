// SPDX-License-Identifier: GPL-2.0-only
/*
 * dot.c - `p2psim dot`: the fabric as a Graphviz graph, built with cgraph and,
 * for svg/png/pdf, laid out and rendered in-process with gvc.
 *
 * Host bridges and switches are clusters; every PCI function is a node named
 * by its topology id (so DOT, SVG <title>s and the command line agree);
 * endpoints show their BARs. With --path, the route the client's DMA takes to
 * the provider's memory is drawn red (edges carry id="p2p_path_N") and the
 * graph is labelled with the kernel's map type and distance.
 */
#include <stdlib.h>
#include <string.h>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include "sim/p2p/p2p_internal.h"

#if defined(__SANITIZE_ADDRESS__)
/*
 * LeakSanitizer: Graphviz 2.43 keeps memory from gvContext()'s plugin
 * configuration and from dot layout of clustered graphs (virtual edges) after
 * gvFreeLayout()/gvFreeContext(), and fontconfig keeps its caches for the life
 * of the process. Neither is ours to free; our own graph is agclose()d. Weak,
 * so a project-wide definition elsewhere takes precedence.
 */
__attribute__((weak)) const char *__lsan_default_suppressions(void);
__attribute__((weak)) const char *__lsan_default_suppressions(void)
{
	return "leak:libgvc.so\n"
	       "leak:libgvplugin_dot_layout.so\n"
	       "leak:libgvplugin_core.so\n"
	       "leak:libgvplugin_pango.so\n"
	       "leak:libgvplugin_gd.so\n"
	       "leak:libfontconfig.so\n"
	       "leak:libpango\n"
	       "leak:libcairo.so\n";
}
#endif

/* cgraph 2.43 takes char * for names and values it only reads. */
static void set_attr(void *obj, const char *name, const char *value)
{
	agsafeset(obj, (char *)name, (char *)value, (char *)"");
}

struct dot_builder {
	const struct p2psim_p2p *view;
	Agraph_t *root;
	Agraph_t **host_graphs; /* per host bridge: its cluster */
	Agnode_t **nodes; /* per fabric->devs index */
	Agnode_t **host_nodes; /* per host bridge */
	int edge_serial;
};

static void size_text(u64 size, char *buf, size_t len)
{
	static const char units[] = "KMGTP";
	int u = -1;

	while (size >= 1024 && !(size % 1024) && u < 4) {
		size /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%lluB", (unsigned long long)size);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)size, units[u]);
}

static void node_label(const struct p2psim_p2p *view, const struct pci_dev *dev, char *buf,
		       size_t len)
{
	size_t n;

	n = (size_t)snprintf(buf, len, "%s\\n%s %04x:%04x", dev->id, dev->name, dev->vendor,
			     dev->device);
	if (dev->has_acs && n < len)
		n += (size_t)snprintf(buf + n, len - n, "\\nACS ctrl 0x%04x",
				      p2pdma_ctx_acs_ctrl(&view->ctx, dev));
	for (int i = 0; i < PCI_NUM_BARS && n < len; i++) {
		const struct pci_bar *bar = &dev->bars[i];
		char size[32];

		if (bar->kind == PCI_BAR_NONE)
			continue;
		size_text(bar->size_bytes, size, sizeof(size));
		n += (size_t)snprintf(buf + n, len - n, "\\nBAR%d %s %s%s%s", i, size,
				      bar->kind == PCI_BAR_IO	 ? "io" :
				      bar->kind == PCI_BAR_MEM64 ? "mem64" :
								   "mem32",
				      bar->prefetchable ? " pf" : "", bar->p2pmem ? " p2pmem" : "");
	}
}

/* The graph a function is drawn in: its switch's cluster, else its host bridge's. */
static Agraph_t *graph_for(struct dot_builder *b, const struct pci_dev *dev)
{
	const struct pci_dev *usp = NULL;
	Agraph_t *hg = b->host_graphs[dev->host->index];
	char name[300];
	Agraph_t *sg;

	if (dev->type == PCI_TYPE_UPSTREAM)
		usp = dev;
	else if (dev->type == PCI_TYPE_DOWNSTREAM && dev->bus->self &&
		 dev->bus->self->type == PCI_TYPE_UPSTREAM)
		usp = dev->bus->self;
	if (!usp)
		return hg;
	snprintf(name, sizeof(name), "cluster_switch_%s", usp->id);
	sg = agsubg(hg, name, 1);
	if (sg) {
		char label[320];

		snprintf(label, sizeof(label), "switch %04x:%04x (%s)", usp->vendor, usp->device,
			 usp->id);
		set_attr(sg, "label", label);
		set_attr(sg, "style", "rounded");
		set_attr(sg, "color", "gray40");
	}
	return sg ? sg : hg;
}

static int add_nodes(struct dot_builder *b)
{
	const struct pci_fabric *fab = b->view->topo->fabric;
	char name[300], label[1024];

	for (size_t h = 0; h < fab->nr_hosts; h++) {
		const struct pci_host_bridge *host = fab->hosts[h];
		Agraph_t *hg;
		Agnode_t *n;

		snprintf(name, sizeof(name), "cluster_hostbridge_%s", host->id);
		hg = agsubg(b->root, name, 1);
		if (!hg)
			return -1;
		snprintf(label, sizeof(label), "host bridge %s (domain %04x, bus %02x)", host->id,
			 host->domain, host->bus->number);
		set_attr(hg, "label", label);
		set_attr(hg, "style", "rounded");
		b->host_graphs[h] = hg;
		snprintf(name, sizeof(name), "hostbridge:%s", host->id);
		n = agnode(hg, name, 1);
		if (!n)
			return -1;
		snprintf(label, sizeof(label), "host bridge %s\\nIOMMU %s\\nP2P forwarding %s",
			 host->id, host->iommu_id ? host->iommu_id : "none",
			 host->p2p_forwarding ? "yes" : "no");
		set_attr(n, "label", label);
		set_attr(n, "shape", "box3d");
		b->host_nodes[h] = n;
	}
	for (size_t i = 0; i < fab->nr_devs; i++) {
		const struct pci_dev *dev = fab->devs[i];
		Agnode_t *n = agnode(graph_for(b, dev), dev->id, 1);

		if (!n)
			return -1;
		node_label(b->view, dev, label, sizeof(label));
		set_attr(n, "label", label);
		if (pci_is_bridge(dev)) {
			set_attr(n, "shape", "box");
		} else if (dev->type == PCI_TYPE_ROOT_FUNCTION) {
			set_attr(n, "shape", "box");
			set_attr(n, "style", "dashed");
		} else {
			set_attr(n, "shape", "box");
			set_attr(n, "style", "rounded,filled");
			set_attr(n, "fillcolor", dev->is_virtfn ? "lightyellow" : "lightblue");
		}
		b->nodes[i] = n;
	}
	return 0;
}

static Agedge_t *add_edge(struct dot_builder *b, Agnode_t *from, Agnode_t *to)
{
	return agedge(b->root, from, to, NULL, 1);
}

static int add_tree_edges(struct dot_builder *b)
{
	const struct pci_fabric *fab = b->view->topo->fabric;

	for (size_t i = 0; i < fab->nr_devs; i++) {
		const struct pci_dev *dev = fab->devs[i];
		Agnode_t *parent;
		Agedge_t *e;

		if (dev->is_virtfn) {
			parent = b->nodes[dev->physfn->index];
		} else if (pci_is_root_bus(dev->bus)) {
			parent = b->host_nodes[dev->host->index];
		} else {
			parent = b->nodes[dev->bus->self->index];
		}
		e = add_edge(b, parent, b->nodes[i]);
		if (!e)
			return -1;
		if (dev->is_virtfn) {
			set_attr(e, "style", "dashed");
			set_attr(e, "label", "VF");
		}
	}
	return 0;
}

static void highlight_node(Agnode_t *n)
{
	set_attr(n, "color", "red");
	set_attr(n, "penwidth", "2.5");
}

/* Draw the edge x -- y (adding it if the tree has none) as part of the route; NULL on failure. */
static Agedge_t *highlight_edge(struct dot_builder *b, Agnode_t *x, Agnode_t *y)
{
	Agedge_t *e = agedge(b->root, x, y, NULL, 0);
	char id[32];

	if (!e)
		e = agedge(b->root, y, x, NULL, 0);
	if (!e) {
		e = add_edge(b, x, y);
		if (!e)
			return NULL;
		set_attr(e, "style", "dashed");
	}
	snprintf(id, sizeof(id), "p2p_path_%d", ++b->edge_serial);
	set_attr(e, "id", id);
	set_attr(e, "color", "red");
	set_attr(e, "penwidth", "3");
	highlight_node(x);
	highlight_node(y);
	return e;
}

/* A function's parent in the drawing: a VF hangs off its PF, a root-bus function off its host bridge (NULL). */
static const struct pci_dev *graph_parent(const struct pci_dev *dev)
{
	if (dev->is_virtfn)
		return dev->physfn;
	if (pci_is_root_bus(dev->bus))
		return NULL;
	return dev->bus->self;
}

static int highlight_path(struct dot_builder *b, const struct pci_dev *p, const struct pci_dev *c,
			  const struct p2pdma_walk *walk, char *label, size_t len)
{
	bool via_host = walk->map != PCI_P2PDMA_MAP_BUS_ADDR || !walk->common;
	const struct pci_dev *stop = via_host ? NULL : walk->common;

	snprintf(label, len, "DMA from %s to the memory of %s: %s, distance %d", c->id, p->id,
		 pci_p2pdma_map_type_name(walk->map), walk->dist);
	highlight_node(b->nodes[c->index]);
	highlight_node(b->nodes[p->index]);
	if (p == c)
		return 0;
	/* each side climbs to the turning point: the common bridge, or its host bridge */
	for (int side = 0; side < 2; side++) {
		const struct pci_dev *dev = side ? p : c;

		while (dev && dev != stop) {
			const struct pci_dev *parent = graph_parent(dev);
			Agnode_t *pn =
				parent ? b->nodes[parent->index] : b->host_nodes[dev->host->index];

			Agedge_t *e = highlight_edge(b, pn, b->nodes[dev->index]);

			if (!e)
				return -1;
			if (dev == c) {
				/* the client's own edge carries the verdict */
				char verdict[64];

				snprintf(verdict, sizeof(verdict), "%s, %d",
					 pci_p2pdma_map_type_name(walk->map), walk->dist);
				set_attr(e, "label", verdict);
				set_attr(e, "fontcolor", "red");
			}
			dev = parent;
		}
	}
	if (via_host && p->host != c->host &&
	    !highlight_edge(b, b->host_nodes[c->host->index], b->host_nodes[p->host->index]))
		return -1;
	return 0;
}

static int add_legend(struct dot_builder *b, bool with_path)
{
	Agraph_t *lg = agsubg(b->root, "cluster_legend", 1);
	Agnode_t *n;

	if (!lg)
		return -1;
	set_attr(lg, "label", "legend");
	set_attr(lg, "style", "dashed");
	n = agnode(lg, "_legend", 1);
	if (!n)
		return -1;
	set_attr(n, "shape", "note");
	set_attr(n, "label",
		 with_path ?
			 "blue: endpoint (yellow: VF)\\lplain box: root port / switch port\\l"
			 "dashed box: root-bus function\\lrounded frame: host bridge or switch\\l"
			 "red: the DMA's route (id p2p_path_N)\\l" :
			 "blue: endpoint (yellow: VF)\\lplain box: root port / switch port\\l"
			 "dashed box: root-bus function\\lrounded frame: host bridge or switch\\l"
			 "use --path PROVIDER,CLIENT to draw a DMA route\\l");
	return 0;
}

int p2psim_p2p_dot(p2psim_p2p *view, const struct p2psim_dot_opts *opts, FILE *out,
		   struct p2psim_error *err)
{
	const struct pci_fabric *fab = view->topo->fabric;
	const char *render = opts->render ? opts->render : "dot";
	const struct pci_dev *p = NULL, *c = NULL;
	struct dot_builder b = { .view = view };
	struct p2pdma_walk *walk = NULL;
	int status = P2PSIM_OK;
	char label[1024];

	if (strcmp(render, "dot") && strcmp(render, "svg") && strcmp(render, "png") &&
	    strcmp(render, "pdf")) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
				 "unknown output type '%s' (dot, svg, png or pdf)", render);
		return P2PSIM_EINPUT;
	}
	if (!opts->path_provider != !opts->path_client) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
				 "a path needs both a provider and a client");
		return P2PSIM_EINPUT;
	}
	if (opts->path_provider) {
		p = p2p_lookup(view, opts->path_provider, err);
		if (!p)
			return P2PSIM_EINPUT;
		c = p2p_lookup(view, opts->path_client, err);
		if (!c)
			return P2PSIM_EINPUT;
	}

	b.nodes = calloc(fab->nr_devs + 1, sizeof(*b.nodes));
	b.host_nodes = calloc(fab->nr_hosts + 1, sizeof(*b.host_nodes));
	b.host_graphs = calloc(fab->nr_hosts + 1, sizeof(*b.host_graphs));
	walk = malloc(sizeof(*walk));
	if (!b.nodes || !b.host_nodes || !b.host_graphs || !walk)
		goto nomem;
	b.root = agopen((char *)"p2psim", Agundirected, NULL);
	if (!b.root)
		goto nomem;
	agattr(b.root, AGRAPH, (char *)"compound", (char *)"true");
	set_attr(b.root, "rankdir", "TB");
	set_attr(b.root, "fontname", "Helvetica");
	agattr(b.root, AGNODE, (char *)"fontname", (char *)"Helvetica");
	agattr(b.root, AGNODE, (char *)"fontsize", (char *)"10");
	agattr(b.root, AGEDGE, (char *)"fontsize", (char *)"9");
	if (add_nodes(&b) || add_tree_edges(&b))
		goto nomem;
	snprintf(label, sizeof(label), "topology %s", view->topo->name ? view->topo->name : "");
	if (p) {
		char path_label[512];

		view->ctx.walk = walk;
		calc_map_type_and_dist(&view->ctx, p, c, &walk->dist, false);
		view->ctx.walk = NULL;
		if (highlight_path(&b, p, c, walk, path_label, sizeof(path_label)))
			goto nomem;
		snprintf(label, sizeof(label), "topology %s\\n%s (kernel %s)",
			 view->topo->name ? view->topo->name : "", path_label,
			 view->ctx.profile->name);
	}
	set_attr(b.root, "label", label);
	set_attr(b.root, "labelloc", "t");
	if (add_legend(&b, p != NULL))
		goto nomem;

	if (!strcmp(render, "dot")) {
		if (agwrite(b.root, out) != 0) {
			p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0,
					 "cannot write the graph");
			status = P2PSIM_EINTERNAL;
		}
	} else {
		GVC_t *gvc = gvContext();

		if (!gvc || gvLayout(gvc, b.root, "dot") != 0) {
			p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0,
					 "Graphviz could not lay out the graph");
			status = P2PSIM_EINTERNAL;
		} else {
			if (gvRender(gvc, b.root, render, out) != 0) {
				p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0,
						 "Graphviz could not render %s", render);
				status = P2PSIM_EINTERNAL;
			}
			gvFreeLayout(gvc, b.root);
		}
		if (gvc)
			gvFreeContext(gvc);
	}
	goto out;

nomem:
	p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory building the graph");
	status = P2PSIM_EINTERNAL;
out:
	if (b.root)
		agclose(b.root);
	free(walk);
	free(b.host_graphs);
	free(b.host_nodes);
	free(b.nodes);
	return status;
}
