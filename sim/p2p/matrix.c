// SPDX-License-Identifier: GPL-2.0-only
/*
 * matrix.c - `p2psim matrix`: the kernel's verdict for every provider x
 * client pair, as a grid in the spirit of `nvidia-smi topo -m` (text), or
 * one record per pair (JSON through json-c, CSV).
 *
 * The grid is computed by p2p_matrix_compute(), the hot loop the
 * p2p-all-pairs-4096 benchmark measures: no strings, no logging, one
 * calc_map_type_and_dist() per pair with the provider's cache filled as the
 * kernel fills it. JSON and CSV need the ACS list per pair and re-run the
 * decision with a walk recorder.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sim/p2p/p2p_internal.h"

int p2p_matrix_compute(struct p2psim_p2p *view, const struct pci_dev *const *providers,
		       size_t nr_providers, const struct pci_dev *const *clients, size_t nr_clients,
		       struct p2p_pair *pairs)
{
	struct p2pdma_ctx *ctx = &view->ctx;

	for (size_t i = 0; i < nr_providers; i++) {
		const struct pci_dev *provider = providers[i];
		bool transient = !ctx->p2pdma[provider->index];
		struct p2p_pair *row = pairs + i * nr_clients;

		/* a provider's driver binds (pcim_p2pdma_init) and unbinds around its row */
		if (transient && pcim_p2pdma_init(ctx, provider))
			return -ENOMEM;
		p2pdma_ctx_reserve_cache(ctx, provider, nr_clients); /* failure: it just grows */
		for (size_t j = 0; j < nr_clients; j++)
			row[j].map = calc_map_type_and_dist(ctx, provider, clients[j], &row[j].dist,
							    false);
		if (transient)
			pci_p2pdma_release(ctx, provider);
	}
	return 0;
}

static bool has_p2pmem(const struct pci_dev *dev)
{
	for (int i = 0; i < PCI_NUM_BARS; i++)
		if (dev->bars[i].kind != PCI_BAR_NONE && dev->bars[i].p2pmem)
			return true;
	return false;
}

/* Resolve the named functions, or select the defaults. */
static int select_functions(const struct p2psim_p2p *view, const char *const *names, size_t nr,
			    bool providers, const struct pci_dev ***out, size_t *nr_out,
			    struct p2psim_error *err)
{
	const struct pci_fabric *fab = view->topo->fabric;
	const struct pci_dev **devs;
	size_t n = 0;

	devs = malloc((names ? nr : fab->nr_devs) * sizeof(*devs) + sizeof(*devs));
	if (!devs) {
		p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
		return P2PSIM_EINTERNAL;
	}
	if (names) {
		for (size_t i = 0; i < nr; i++) {
			devs[n] = p2p_lookup(view, names[i], err);
			if (!devs[n]) {
				free(devs);
				return P2PSIM_EINPUT;
			}
			n++;
		}
	} else {
		for (size_t i = 0; i < fab->nr_devs; i++) {
			const struct pci_dev *dev = fab->devs[i];

			if (providers ? has_p2pmem(dev) : pci_is_dma_capable(dev))
				devs[n++] = dev;
		}
	}
	if (!n) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "%s",
				 providers ?
					 "no providers: no function has a p2pmem=\"yes\" BAR "
					 "(name some with --providers)" :
					 "no clients: the topology has no DMA-capable function");
		free(devs);
		return P2PSIM_EINPUT;
	}
	*out = devs;
	*nr_out = n;
	return P2PSIM_OK;
}

static const char *map_short(enum pci_p2pdma_map_type map)
{
	switch (map) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		return "BUS";
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		return "HB";
	default:
		return "--";
	}
}

static void print_header(const struct p2psim_p2p *view, FILE *out)
{
	char cpu[64];

	p2p_cpu_describe(&view->ctx.cpu, cpu, sizeof(cpu));
	fprintf(out, "P2PDMA verdicts for topology '%s' (kernel %s, CPU %s, ACS %s)\n",
		view->topo->name ? view->topo->name : "", view->ctx.profile->name, cpu,
		p2psim_acs_mode_name(view->acs));
}

/* Above this many pairs the closest-provider section is left out (its caches cost memory). */
#define P2P_CLOSEST_MAX_PAIRS (1u << 20)

/*
 * Which provider pci_p2pmem_find() would hand each client if every listed
 * provider published its memory BAR (as nvmet does with p2pmem): each one
 * gets transient state, the choice among equally close ones comes from the
 * view's seeded random source. Providers without a memory BAR cannot publish.
 */
static int print_closest(struct p2psim_p2p *view, const struct pci_dev *const *providers,
			 size_t np, const struct pci_dev *const *clients, size_t nc,
			 const struct p2p_pair *pairs, size_t width, FILE *out)
{
	struct p2pdma_ctx *ctx = &view->ctx;
	bool *transient = calloc(np ? np : 1, sizeof(*transient));
	int status = P2PSIM_OK;

	if (!transient)
		return P2PSIM_EINTERNAL;
	if (np * nc > P2P_CLOSEST_MAX_PAIRS) {
		/* every published provider caches a verdict per client: keep memory bounded */
		fprintf(out, "\n(Closest provider per client left out for %zu pairs; name fewer with "
			     "--providers / --clients.)\n",
			np * nc);
		goto out;
	}
	for (size_t i = 0; i < np; i++) {
		const struct pci_dev *p = providers[i];
		int bar = p2p_provider_bar(p);

		if (bar < 0 || ctx->p2pdma[p->index])
			continue;
		if (pci_p2pdma_add_resource(ctx, p, bar, 0, 0)) {
			status = P2PSIM_EINTERNAL;
			goto out;
		}
		pci_p2pmem_publish(ctx, p, true);
		transient[i] = true;
	}

	fprintf(out, "\nClosest provider for each client (pci_p2pmem_find, the providers above "
		     "published;\nties broken by the seeded random source, --seed):\n");
	for (size_t j = 0; j < nc; j++) {
		const struct pci_dev *chosen = pci_p2pmem_find(ctx, clients[j]);
		int best = -1, tied = 0;

		for (size_t i = 0; i < np; i++) {
			const struct p2p_pair *pair = &pairs[i * nc + j];

			if (pair->map == PCI_P2PDMA_MAP_NOT_SUPPORTED || p2p_provider_bar(providers[i]) < 0)
				continue;
			if (best < 0 || pair->dist < best) {
				best = pair->dist;
				tied = 0;
			}
			if (pair->dist == best)
				tied++;
		}
		fprintf(out, "  %-*s  ", (int)width, clients[j]->id);
		if (!chosen)
			fprintf(out, "none: no provider is reachable\n");
		else if (tied > 1)
			fprintf(out, "%s (distance %d; %d providers tied)\n", chosen->id, best, tied);
		else
			fprintf(out, "%s (distance %d)\n", chosen->id, best);
	}
out:
	for (size_t i = 0; i < np; i++)
		if (transient[i])
			pci_p2pdma_release(ctx, providers[i]);
	free(transient);
	return status;
}

static int print_text(struct p2psim_p2p *view, const struct pci_dev *const *providers,
		      size_t np, const struct pci_dev *const *clients, size_t nc,
		      const struct p2p_pair *pairs, FILE *out)
{
	size_t label = strlen("provider \\ client"), width = 0;
	const struct pci_fabric *fab = view->topo->fabric;
	char cell[48];

	for (size_t i = 0; i < np; i++)
		if (strlen(providers[i]->id) > label)
			label = strlen(providers[i]->id);
	for (size_t j = 0; j < nc; j++)
		if (strlen(clients[j]->id) > width)
			width = strlen(clients[j]->id);
	if (width < strlen("BUS 00 NODE"))
		width = strlen("BUS 00 NODE");

	print_header(view, out);
	fprintf(out,
		"Rows are providers (whose BAR memory is the target), columns are clients (the\n"
		"device that DMAs). Each cell: map type, distance, path class.\n\n");
	fprintf(out, "%-*s", (int)label, "provider \\ client");
	for (size_t j = 0; j < nc; j++)
		fprintf(out, "  %-*s", j + 1 < nc ? (int)width : 0, clients[j]->id);
	fputc('\n', out);
	for (size_t i = 0; i < np; i++) {
		fprintf(out, "%-*s", (int)label, providers[i]->id);
		for (size_t j = 0; j < nc; j++) {
			const struct p2p_pair *pair = &pairs[i * nc + j];

			snprintf(cell, sizeof(cell), "%s %d %s", map_short(pair->map), pair->dist,
				 p2p_path_class_name(p2p_path_class(providers[i], clients[j])));
			if (j + 1 < nc)
				fprintf(out, "  %-*s", (int)width, cell);
			else
				fprintf(out, "  %s", cell);
		}
		fputc('\n', out);
	}

	fprintf(out, "\nFunctions:\n");
	for (size_t d = 0; d < fab->nr_devs; d++) {
		const struct pci_dev *dev = fab->devs[d];
		bool is_p = false, is_c = false;
		int bar;

		for (size_t i = 0; i < np; i++)
			is_p |= providers[i] == dev;
		for (size_t j = 0; j < nc; j++)
			is_c |= clients[j] == dev;
		if (!is_p && !is_c)
			continue;
		fprintf(out, "  %-*s  %s  %04x:%04x  %s", (int)(label > width ? label : width),
			dev->id, dev->name, dev->vendor, dev->device,
			dev->is_virtfn ? "VF" : pci_dev_type_name(dev->type));
		bar = p2p_provider_bar(dev);
		if (is_p && bar >= 0)
			fprintf(out, ", provider (BAR %d%s)", bar,
				dev->bars[bar].p2pmem ? " p2pmem" : "");
		else if (is_p)
			fprintf(out, ", provider (no memory BAR)");
		if (is_c)
			fprintf(out, ", client");
		fputc('\n', out);
	}

	if (print_closest(view, providers, np, clients, nc, pairs, label > width ? label : width,
			  out))
		return P2PSIM_EINTERNAL;

	fputs("\nLegend:\n"
	      "  BUS n  PCI_P2PDMA_MAP_BUS_ADDR: a common upstream bridge and no ACS redirect on the\n"
	      "         path; the client is programmed with the PCI bus address of the BAR\n"
	      "  HB n   PCI_P2PDMA_MAP_THRU_HOST_BRIDGE: through the host bridge (no common bridge,\n"
	      "         or ACS redirect), allowed by the CPU (AMD Zen) or the host-bridge allowlist;\n"
	      "         the client gets a normal DMA mapping of the CPU physical address\n"
	      "  -- n   PCI_P2PDMA_MAP_NOT_SUPPORTED: would need a host bridge the kernel does not\n"
	      "         allow; mapping fails (-EREMOTEIO) and pci_p2pdma_distance() returns -1\n"
	      "  n      the distance calc_map_type_and_dist() computes: hops from each device up to\n"
	      "         the common upstream bridge (0 same function, 2 sibling functions, 4 one\n"
	      "         switch), or the sum of both depths when there is none\n"
	      "  class  the path as nvidia-smi topo -m / NCCL name it: X same function, PIX at\n"
	      "         most one PCIe bridge (switch or root port), PXB several bridges, PHB through\n"
	      "         a host bridge, NODE between host bridges of one NUMA node, SYS between\n"
	      "         NUMA nodes\n"
	      "Run 'p2psim path TOPO PROVIDER CLIENT' for the reasoning behind one cell.\n",
	      out);
	return P2PSIM_OK;
}

/* The BDFs whose redirect bits the kernel counted, in its order. */
static json_object *acs_list_json(const struct p2pdma_walk *walk)
{
	json_object *arr = json_object_new_array();

	for (int k = 0; k < walk->nr_checks; k++)
		if (walk->checks[k].redirect)
			json_object_array_add(arr,
					      json_object_new_string(walk->checks[k].dev->name));
	return arr;
}

static void csv_acs_list(const struct p2pdma_walk *walk, FILE *out)
{
	bool first = true;

	for (int k = 0; k < walk->nr_checks; k++) {
		if (!walk->checks[k].redirect)
			continue;
		fprintf(out, "%s%s", first ? "" : ";", walk->checks[k].dev->name);
		first = false;
	}
}

static int print_records(struct p2psim_p2p *view, const struct pci_dev *const *providers, size_t np,
			 const struct pci_dev *const *clients, size_t nc, enum p2psim_format format,
			 FILE *out, struct p2psim_error *err)
{
	struct p2pdma_walk *walk = malloc(sizeof(*walk));
	json_object *doc = NULL, *arr = NULL;
	int status = P2PSIM_OK;

	if (!walk)
		goto nomem;
	if (format == P2PSIM_FORMAT_JSON) {
		doc = json_object_new_object();
		arr = json_object_new_array();
		if (!doc || !arr)
			goto nomem;
		json_object_object_add(
			doc, "topology",
			json_object_new_string(view->topo->name ? view->topo->name : ""));
		json_object_object_add(doc, "kernel",
				       json_object_new_string(view->ctx.profile->name));
		json_object_object_add(doc, "pairs", arr);
	} else {
		fputs("provider,provider_bdf,client,client_bdf,map_type,distance,acs_redirect,"
		      "path_class\n",
		      out);
	}
	view->ctx.walk = walk;
	for (size_t i = 0; i < np; i++) {
		for (size_t j = 0; j < nc; j++) {
			const struct pci_dev *p = providers[i], *c = clients[j];
			const char *cls = p2p_path_class_name(p2p_path_class(p, c));
			enum pci_p2pdma_map_type map;
			int dist;

			map = calc_map_type_and_dist(&view->ctx, p, c, &dist, false);
			if (doc) {
				json_object *o = json_object_new_object();

				if (!o)
					goto nomem;
				json_object_object_add(o, "provider",
						       json_object_new_string(p->id));
				json_object_object_add(o, "provider_bdf",
						       json_object_new_string(p->name));
				json_object_object_add(o, "client", json_object_new_string(c->id));
				json_object_object_add(o, "client_bdf",
						       json_object_new_string(c->name));
				json_object_object_add(
					o, "map_type",
					json_object_new_string(pci_p2pdma_map_type_name(map)));
				json_object_object_add(o, "distance", json_object_new_int(dist));
				json_object_object_add(o, "acs_redirect", acs_list_json(walk));
				json_object_object_add(o, "path_class",
						       json_object_new_string(cls));
				json_object_array_add(arr, o);
			} else {
				fprintf(out, "%s,%s,%s,%s,%s,%d,", p->id, p->name, c->id, c->name,
					pci_p2pdma_map_type_name(map), dist);
				csv_acs_list(walk, out);
				fprintf(out, ",%s\n", cls);
			}
		}
	}
	view->ctx.walk = NULL;
	if (doc) {
		fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_SPACED |
								  JSON_C_TO_STRING_NOSLASHESCAPE),
		      out);
		fputc('\n', out);
	}
	goto out;

nomem:
	view->ctx.walk = NULL;
	p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
	status = P2PSIM_EINTERNAL;
out:
	json_object_put(doc);
	free(walk);
	return status;
}

int p2psim_p2p_matrix(p2psim_p2p *view, const struct p2psim_matrix_opts *opts, FILE *out,
		      struct p2psim_error *err)
{
	const struct pci_dev **providers = NULL, **clients = NULL;
	size_t np = 0, nc = 0;
	struct p2p_pair *pairs = NULL;
	int status;

	if (opts->format != P2PSIM_FORMAT_TEXT && opts->format != P2PSIM_FORMAT_JSON &&
	    opts->format != P2PSIM_FORMAT_CSV) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "matrix prints text, json or csv");
		return P2PSIM_EINPUT;
	}
	status = select_functions(view, opts->nr_providers ? opts->providers : NULL,
				  opts->nr_providers, true, &providers, &np, err);
	if (status)
		return status;
	status = select_functions(view, opts->nr_clients ? opts->clients : NULL, opts->nr_clients,
				  false, &clients, &nc, err);
	if (status)
		goto out_providers;

	if (opts->format == P2PSIM_FORMAT_TEXT) {
		pairs = malloc(np * nc * sizeof(*pairs));
		if (!pairs || p2p_matrix_compute(view, providers, np, clients, nc, pairs)) {
			p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
			status = P2PSIM_EINTERNAL;
			goto out_pairs;
		}
		status = print_text(view, providers, np, clients, nc, pairs, out);
	} else {
		status = print_records(view, providers, np, clients, nc, opts->format, out, err);
	}

out_pairs:
	free(pairs);
	free(clients);
out_providers:
	free(providers);
	return status;
}
