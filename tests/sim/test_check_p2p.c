// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_check_p2p.c - the p2p checker: map types (reference/p2pdma.md §2,
 * §6) judged against the hardware path of models/pci/route.c, at map time
 * (EV_P2P_MAP) and at DMA time (the map type declared in the intent).
 *
 * Machine: tests/helpers/switch_machine.h (a, b under one switch; c on
 * another root port of hb0; d behind hb1).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers/switch_machine.h"
#include "models/iommu/iommu_hw.h"
#include "sim/check/check.h"
#include "src/pci/p2pdma.h"

static struct switch_machine sm;
static struct checkers *cs;

#define EMIT(...)                                       \
	do {                                            \
		struct sim_event ev_ = { __VA_ARGS__ }; \
		event_bus_emit(&sm.m->events, &ev_);    \
	} while (0)

static void setup(void)
{
	char msg[128];

	sm_init(&sm, IOMMU_MODE_STRICT);
	cr_assert_eq(checkers_new(sm.m, sm.router, "p2p", NULL, &cs, msg, sizeof(msg)), 0);
}

static void teardown(void)
{
	checkers_free(cs);
	sm_fini(&sm);
}

TestSuite(p2p_check, .init = setup, .fini = teardown);

static void p2p_map(const struct pci_dev *client, u64 dma, u64 phys, unsigned int type, int ret)
{
	EMIT(.kind = EV_P2P_MAP, .dev = client, .addr = dma, .phys = phys, .len = 4096,
	     .flags = type, .ret = ret);
}

Test(p2p_check, bus_addr_under_one_switch_is_consistent)
{
	p2p_map(sm.a, SM_B_BAR, SM_B_BAR, PCI_P2PDMA_MAP_BUS_ADDR, 0);
	cr_assert_eq(checkers_nr_violations(cs), 0);
}

Test(p2p_check, bus_addr_redirected_by_acs)
{
	const struct check_violation *v;

	sm.dsp0->has_acs = true;
	sm.dsp0->acs_ctrl = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF;
	p2p_map(sm.a, SM_B_BAR, SM_B_BAR, PCI_P2PDMA_MAP_BUS_ADDR, 0);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	v = checkers_violation(cs, 0);
	cr_assert_str_eq(v->kind, "bus-addr-through-root-complex");
	cr_assert(strstr(v->message, "ACS redirect at 0000:02:00.0"), "%s", v->message);
}

Test(p2p_check, bus_addr_between_root_ports_goes_through_the_root_complex)
{
	/* a and c share no switch: a bus address cannot stay in the fabric */
	p2p_map(sm.a, SM_C_BAR, SM_C_BAR, PCI_P2PDMA_MAP_BUS_ADDR, 0);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "bus-addr-through-root-complex");
}

Test(p2p_check, not_supported_mapped_anyway)
{
	p2p_map(sm.a, SM_C_BAR, SM_C_BAR, PCI_P2PDMA_MAP_NOT_SUPPORTED, -EREMOTEIO);
	cr_assert_eq(checkers_nr_violations(cs), 0); /* refused: correct */
	p2p_map(sm.a, SM_C_BAR, SM_C_BAR, PCI_P2PDMA_MAP_NOT_SUPPORTED, 0);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "not-supported-mapped");
}

Test(p2p_check, thru_host_bridge_needs_forwarding_hardware)
{
	p2p_map(sm.a, 0x10000, SM_C_BAR, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, 0);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "thru-host-bridge-no-forwarding");
	cr_assert(strstr(checkers_violation(cs, 0)->message, "host bridge hb0"));
	sm.hb0->p2p_forwarding = true;
	p2p_map(sm.a, 0x10000, SM_C_BAR, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, 0);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	/* across host bridges both must forward */
	p2p_map(sm.a, 0x20000, SM_D_CPU, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, 0);
	cr_assert_eq(checkers_nr_violations(cs), 2);
	cr_assert(strstr(checkers_violation(cs, 1)->message, "host bridge hb1"));
	sm.hb1->p2p_forwarding = true;
	p2p_map(sm.a, 0x20000, SM_D_CPU, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, 0);
	cr_assert_eq(checkers_nr_violations(cs), 2);
}

/* DMA-time: the map type travels with the intent */
static void dma(const struct pci_dev *dev, struct iommu_domain *dom, u64 addr, phys_addr_t expect,
		int map_type)
{
	struct dma_intent in = { .dev = dev,
				 .dma_addr = addr,
				 .len = 16,
				 .write = false,
				 .state = DMA_INTENT_LIVE,
				 .expect_phys = expect,
				 .p2p_map_type = map_type,
				 .handle = "p" };
	struct route_result res;
	u8 buf[16];

	checkers_dma_begin(cs, &in);
	pci_route_dma(sm.router, dev, dom, addr, buf, sizeof(buf), false, &res);
	checkers_dma_end(cs, &res);
}

Test(p2p_check, intent_bus_addr_redirected_at_dma_time)
{
	struct iommu_domain *dom = iommu_hw_domain_alloc(sm.m->iommus[0], IOMMU_DOMAIN_DMA);

	dma(sm.a, dom, SM_B_BAR, SM_B_BAR, PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	sm.dsp0->has_acs = true;
	sm.dsp0->acs_ctrl = PCI_ACS_RR;
	dma(sm.a, dom, SM_B_BAR, SM_B_BAR, PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "bus-addr-through-root-complex");
	cr_assert(strstr(checkers_violation(cs, 0)->message, "redirected by ACS at 0000:02:00.0"),
		  "%s", checkers_violation(cs, 0)->message);
	iommu_hw_domain_free(dom);
}

Test(p2p_check, intent_thru_host_bridge_without_forwarding)
{
	dma(sm.a, NULL, SM_C_BAR, SM_C_BAR, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "thru-host-bridge-no-forwarding");
	sm.hb0->p2p_forwarding = true;
	dma(sm.a, NULL, SM_C_BAR, SM_C_BAR, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(checkers_nr_violations(cs), 1);
}

Test(p2p_check, intent_not_supported_live)
{
	dma(sm.a, NULL, SM_C_BAR, SM_C_BAR, PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "not-supported-mapped");
}
