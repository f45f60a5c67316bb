// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2p.c - the "p2p" checker: a P2PDMA map type (reference/p2pdma.md §2, §6)
 * that contradicts what the hardware path does.
 *
 * The kernel decides the map type from the topology it believes in (common
 * upstream bridge, ACS redirect bits, host-bridge allowlist); the fabric
 * model decides where the TLP really goes (models/pci/route.c). Reports:
 *
 *   bus-addr-through-root-complex  a BUS_ADDR mapping whose TLP reaches the
 *        root complex (ACS RR at an ingress port, or no common switch): the
 *        IOMMU / host bridge sees a bus address that was never mapped;
 *   bus-addr-misrouted             a BUS_ADDR mapping whose bus address does
 *        not reach the provider's BAR at all;
 *   not-supported-mapped           a NOT_SUPPORTED pair mapped anyway (the
 *        kernel must fail such a mapping: -EREMOTEIO / DMA_MAPPING_ERROR);
 *   thru-host-bridge-no-forwarding a THRU_HOST_BRIDGE mapping between host
 *        bridges (or through one) whose hardware does not forward P2P: reads
 *        return all-ones, writes vanish.
 * Two sources: EV_P2P_MAP (at map time, judged on the hardware path
 * computed by pci_route_path() when the checkers have a router) and the map
 * type the runner declares in a DMA intent (at DMA time, judged on what the
 * TLPs did).
 */
#include "models/pci/route.h"
#include "src/pci/p2pdma.h"
#include "sim/check/check_internal.h"

#define RULE_BUS_ADDR                                                                \
	"drivers/pci/p2pdma.c calc_map_type_and_dist(): BUS_ADDR only when the "     \
	"devices share an upstream bridge with no ACS redirect on the path, so the " \
	"TLP is routed by the switch and never meets the IOMMU"
#define RULE_NOT_SUPPORTED                                                   \
	"drivers/pci/p2pdma.c / kernel/dma: a PCI_P2PDMA_MAP_NOT_SUPPORTED " \
	"pair must not be mapped (map_sg returns -EREMOTEIO)"
#define RULE_THB                                                                        \
	"reference/p2pdma.md §4: THRU_HOST_BRIDGE assumes the host bridge(s) forward " \
	"peer-to-peer TLPs; the allowlist / CPU test is the kernel's belief, not the "  \
	"hardware's property"

static void check_thru_host_bridge(struct checkers *cs, const struct sim_event *ev,
				   const struct pci_dev *client, phys_addr_t phys, int line)
{
	const struct pci_dev *provider =
		pci_fabric_find_bar_by_cpu(cs->m->topo->fabric, phys, NULL);

	if (!provider)
		return;
	if (client->host->p2p_forwarding && provider->host->p2p_forwarding)
		return;
	check_report(cs, CHECK_P2P, "thru-host-bridge-no-forwarding", RULE_THB, ev, line, client,
		     NULL,
		     "%s -> %s mapped THRU_HOST_BRIDGE but host bridge %s does not forward "
		     "peer-to-peer: reads return all-ones, writes are dropped",
		     client->id, provider->id,
		     !client->host->p2p_forwarding ? client->host->id : provider->host->id);
}

static void on_p2p_map(struct checkers *cs, const struct sim_event *ev)
{
	struct route_result res;

	if (ev->ret < 0 || !ev->dev)
		return; /* refused: nothing mapped */
	switch (ev->flags) {
	case PCI_P2PDMA_MAP_NOT_SUPPORTED:
		check_report(cs, CHECK_P2P, "not-supported-mapped", RULE_NOT_SUPPORTED, ev,
			     ev->line, ev->dev, NULL,
			     "%s maps provider memory %#llx although the pair is NOT_SUPPORTED",
			     ev->dev->id, (unsigned long long)ev->phys);
		break;
	case PCI_P2PDMA_MAP_BUS_ADDR:
		if (!cs->router || !pci_is_dma_capable(ev->dev))
			break;
		pci_route_path(cs->router, ev->dev, ev->addr, true, &res);
		if (res.flags & ROUTE_EVF_ROOT_COMPLEX)
			check_report(
				cs, CHECK_P2P, "bus-addr-through-root-complex", RULE_BUS_ADDR, ev,
				ev->line, ev->dev, NULL,
				"%s maps %#llx as BUS_ADDR (bus address %#llx) but the TLP goes "
				"to the root complex%s%s%s: the IOMMU sees a bus address it never "
				"mapped",
				ev->dev->id, (unsigned long long)ev->phys,
				(unsigned long long)ev->addr,
				res.acs_port ? " (ACS redirect at " : "",
				res.acs_port ? res.acs_port->name : "", res.acs_port ? ")" : "");
		else if (res.status != ROUTE_OK || res.phys != ev->phys)
			check_report(
				cs, CHECK_P2P, "bus-addr-misrouted", RULE_BUS_ADDR, ev, ev->line,
				ev->dev, NULL,
				"%s maps %#llx as BUS_ADDR %#llx but the switch routes that bus "
				"address to %#llx (%s)",
				ev->dev->id, (unsigned long long)ev->phys,
				(unsigned long long)ev->addr, (unsigned long long)res.phys,
				route_status_name(res.status));
		break;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		check_thru_host_bridge(cs, ev, ev->dev, ev->phys, ev->line);
		break;
	default:
		break;
	}
}

void p2p_check_event(struct checkers *cs, const struct sim_event *ev)
{
	if (ev->kind == EV_P2P_MAP)
		on_p2p_map(cs, ev);
}

void p2p_check_intent_end(struct checkers *cs, const struct route_result *result)
{
	const struct dma_intent *in = &cs->intent;
	const struct sim_event *ev = cs->intent_has_bad ? &cs->intent_bad_ev : NULL;
	int line = ev ? ev->line : cs->m->events.current_line;

	switch (in->p2p_map_type) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		if (cs->intent_reached_rc)
			check_report(
				cs, CHECK_P2P, "bus-addr-through-root-complex", RULE_BUS_ADDR, ev,
				line, in->dev, NULL,
				"%s DMA at bus address %#llx (BUS_ADDR mapping %s) went to the "
				"root complex%s%s: the IOMMU sees a bus address it never mapped",
				in->dev->id, (unsigned long long)in->dma_addr,
				in->handle ? in->handle : "?",
				result && result->acs_port ? ", redirected by ACS at " : "",
				result && result->acs_port ? result->acs_port->name : "");
		break;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		if (cs->intent_no_forwarding)
			check_report(cs, CHECK_P2P, "thru-host-bridge-no-forwarding", RULE_THB, ev,
				     line, in->dev, NULL,
				     "%s DMA at %#llx (THRU_HOST_BRIDGE mapping %s) reached a host "
				     "bridge that does not forward peer-to-peer",
				     in->dev->id, (unsigned long long)in->dma_addr,
				     in->handle ? in->handle : "?");
		break;
	case PCI_P2PDMA_MAP_NOT_SUPPORTED:
		if (in->state == DMA_INTENT_LIVE)
			check_report(cs, CHECK_P2P, "not-supported-mapped", RULE_NOT_SUPPORTED, ev,
				     line, in->dev, NULL,
				     "%s DMA through mapping %s whose P2P map type is %s",
				     in->dev->id, in->handle ? in->handle : "?",
				     pci_p2pdma_map_type_name(
					     (enum pci_p2pdma_map_type)in->p2p_map_type));
		break;
	default:
		break;
	}
}
