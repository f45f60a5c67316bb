// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_route.c - device DMA through the fabric (models/pci/route.c), on the
 * hand-built switch machine of tests/helpers/switch_machine.h.
 *
 * Expected values come from DESIGN.md §3 and reference/p2pdma.md §1, §6:
 * windows are bus addresses; ACS RR at the ingress downstream port redirects
 * a peer-bound request upstream; EC alone blocks it; RC P2P needs
 * p2p_forwarding on every host bridge involved; failed reads are all-ones.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers/switch_machine.h"
#include "models/iommu/iommu_hw.h"
#include "models/machine.h"
#include "models/mem/physmem.h"
#include "models/pci/route.h"
#include "src/iommu/iommu.h"

#define A_BAR SM_A_BAR
#define A1_BAR SM_A1_BAR
#define B_BAR SM_B_BAR
#define C_BAR SM_C_BAR
#define D_CPU SM_D_CPU
#define D_BUS SM_D_BUS
#define E_CPU SM_E_CPU
#define E_BUS SM_E_BUS

static struct switch_machine sm;
static struct machine *m;
static struct pci_router *r;
static struct pci_dev *a, *a1, *b, *c, *d, *e, *dsp0, *dsp1, *usp, *rp0, *rp1;
static struct pci_host_bridge *hb0, *hb1;
static unsigned int delivered, faulted;

static void count_events(void *ctx, const struct sim_event *ev)
{
	(void)ctx;
	if (ev->kind == EV_TLP_DELIVERED)
		delivered++;
	if (ev->kind == EV_TLP_FAULTED)
		faulted++;
}

static void setup(void)
{
	sm_init(&sm, IOMMU_MODE_STRICT);
	m = sm.m;
	r = sm.router;
	a = sm.a;
	a1 = sm.a1;
	b = sm.b;
	c = sm.c;
	d = sm.d;
	e = sm.e;
	dsp0 = sm.dsp0;
	dsp1 = sm.dsp1;
	usp = sm.usp;
	rp0 = sm.rp0;
	rp1 = sm.rp1;
	hb0 = sm.hb0;
	hb1 = sm.hb1;
	cr_assert_eq(d->bars[0].bus_addr, D_BUS);
	delivered = faulted = 0;
	cr_assert_eq(event_bus_subscribe(&m->events, count_events, NULL), 0);
}

static void teardown(void)
{
	sm_fini(&sm);
}

TestSuite(route, .init = setup, .fini = teardown);

static struct iommu_domain *paging_domain(void)
{
	struct iommu_domain *dom = iommu_hw_domain_alloc(m->iommus[0], IOMMU_DOMAIN_DMA);

	cr_assert_not_null(dom);
	return dom;
}

static u64 translations(void)
{
	return iommu_hw_stats(m->iommus[0])->translations;
}

Test(route, same_switch_p2p_reaches_peer_bar_without_the_iommu)
{
	struct iommu_domain *dom = paging_domain(); /* empty: any translation would fault */
	struct route_result res;
	char out[8] = { 0 };

	cr_assert_eq(pci_route_dma(r, a, dom, B_BAR + 0x10, "peer-bar", 8, true, &res), 0);
	cr_assert_eq(res.status, ROUTE_OK);
	cr_assert_eq(res.target, ROUTE_TARGET_BAR);
	cr_assert_eq(res.target_dev, b);
	cr_assert_eq(res.target_bar, 0);
	cr_assert_eq(res.phys, B_BAR + 0x10);
	cr_assert(res.flags & ROUTE_EVF_P2P_SWITCH);
	cr_assert_not(res.flags & ROUTE_EVF_ROOT_COMPLEX);
	cr_assert_not(res.flags & ROUTE_EVF_TRANSLATED);
	/* a -> dsp0 -> across the switch -> dsp1 -> b; usp and rp0 never see it */
	cr_assert_eq(res.nr_hops, 3);
	cr_assert_eq(res.hops[0].kind, ROUTE_HOP_ACROSS);
	cr_assert_eq(res.hops[0].port, dsp0);
	cr_assert_eq(res.hops[1].kind, ROUTE_HOP_DOWN);
	cr_assert_eq(res.hops[1].port, dsp1);
	cr_assert_eq(res.hops[2].kind, ROUTE_HOP_TARGET);
	cr_assert_eq(res.hops[2].port, b);
	cr_assert_eq(translations(), 0);
	cr_assert_eq(phys_mem_read(m->mem, B_BAR + 0x10, out, 8), 0);
	cr_assert_arr_eq(out, "peer-bar", 8);
	cr_assert_eq(delivered, 1);
	iommu_hw_domain_free(dom);
}

Test(route, acs_rr_redirects_to_root_complex_and_faults_when_unmapped)
{
	struct iommu_domain *dom = paging_domain();
	struct route_result res;
	u8 buf[16];

	dsp0->has_acs = true;
	dsp0->acs_ctrl = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF;
	memset(buf, 0x5a, sizeof(buf));
	cr_assert_eq(pci_route_dma(r, a, dom, B_BAR, buf, sizeof(buf), false, &res), -EIO);
	cr_assert_eq(res.status, ROUTE_IOMMU_FAULT);
	cr_assert(res.flags & ROUTE_EVF_ACS_REDIRECT);
	cr_assert(res.flags & ROUTE_EVF_ROOT_COMPLEX);
	cr_assert_eq(res.acs_port, dsp0);
	cr_assert_eq(res.hops[0].kind, ROUTE_HOP_REDIRECT);
	cr_assert_eq(res.hops[0].port, dsp0);
	cr_assert_eq(res.hops[1].kind, ROUTE_HOP_UP);
	cr_assert_eq(res.hops[1].port, usp);
	cr_assert_eq(res.hops[2].port, rp0);
	cr_assert_eq(res.hops[3].kind, ROUTE_HOP_ROOT_COMPLEX);
	cr_assert_eq(res.hops[4].kind, ROUTE_HOP_IOMMU);
	for (size_t i = 0; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], 0xff, "failed read must return all-ones");
	cr_assert_eq(iommu_hw_fault_count(m->iommus[0]), 1);
	cr_assert_eq(faulted, 1);
	iommu_hw_domain_free(dom);
}

Test(route, acs_rr_redirected_request_is_translated_as_mapped)
{
	struct iommu_domain *dom = paging_domain();
	struct route_result res;
	char out[4];

	dsp0->has_acs = true;
	dsp0->acs_ctrl = PCI_ACS_RR;
	/* the IOVA that equals b's bus address is mapped to RAM page 0x100000 */
	cr_assert_eq(iommu_map(dom, B_BAR, 0x100000, SZ_4K, IOMMU_READ | IOMMU_WRITE), 0);
	cr_assert_eq(pci_route_dma(r, a, dom, B_BAR + 4, "ram!", 4, true, &res), 0);
	cr_assert_eq(res.target, ROUTE_TARGET_RAM);
	cr_assert_eq(res.phys, 0x100004);
	cr_assert(res.flags & ROUTE_EVF_TRANSLATED);
	cr_assert_eq(phys_mem_read(m->mem, 0x100004, out, 4), 0);
	cr_assert_arr_eq(out, "ram!", 4);
	/* b's BAR was not touched: still the BAR reset pattern */
	cr_assert_eq(phys_mem_read(m->mem, B_BAR + 4, out, 1), 0);
	cr_assert_eq((u8)out[0], PHYS_MEM_BAR_RESET_BYTE);
	iommu_hw_domain_free(dom);
}

Test(route, acs_rr_then_rc_p2p_needs_forwarding)
{
	struct iommu_domain *dom = paging_domain();
	struct route_result res;
	u8 buf[4] = { 1, 2, 3, 4 };

	dsp0->has_acs = true;
	dsp0->acs_ctrl = PCI_ACS_RR;
	cr_assert_eq(iommu_map(dom, 0x10000, B_BAR, SZ_4K, IOMMU_READ | IOMMU_WRITE), 0);
	hb0->p2p_forwarding = false;
	cr_assert_eq(pci_route_dma(r, a, dom, 0x10000, buf, 4, false, &res), -EIO);
	cr_assert_eq(res.status, ROUTE_NO_P2P_FORWARDING);
	cr_assert_eq(res.target_dev, b);
	cr_assert_eq(buf[0], 0xff);
	hb0->p2p_forwarding = true;
	cr_assert_eq(pci_route_dma(r, a, dom, 0x10000, buf, 4, false, &res), 0);
	cr_assert_eq(res.target_dev, b);
	cr_assert(res.flags & ROUTE_EVF_RC_P2P);
	cr_assert_eq(buf[0], PHYS_MEM_BAR_RESET_BYTE);
	iommu_hw_domain_free(dom);
}

Test(route, acs_egress_control_blocks_peer_requests)
{
	struct route_result res;
	u8 buf[4];

	dsp0->has_acs = true;
	dsp0->acs_ctrl = PCI_ACS_EC;
	cr_assert_eq(pci_route_dma(r, a, NULL, B_BAR, buf, 4, false, &res), -EIO);
	cr_assert_eq(res.status, ROUTE_ACS_BLOCKED);
	cr_assert_eq(res.acs_port, dsp0);
	cr_assert_eq(res.nr_hops, 1);
	cr_assert_eq(res.hops[0].kind, ROUTE_HOP_BLOCKED);
	cr_assert_eq(buf[3], 0xff);
	cr_assert_not(res.flags & ROUTE_EVF_ROOT_COMPLEX);
	cr_assert_eq(translations(), 0);
	/* EC does not touch requests that are not peer-bound */
	cr_assert_eq(pci_route_dma(r, a, NULL, 0x2000, buf, 4, false, &res), 0);
	cr_assert_eq(res.target, ROUTE_TARGET_RAM);
	/* RR takes precedence over EC: redirected, not blocked */
	dsp0->acs_ctrl = PCI_ACS_EC | PCI_ACS_RR;
	hb0->p2p_forwarding = true;
	cr_assert_eq(pci_route_dma(r, a, NULL, B_BAR, buf, 4, false, &res), 0);
	cr_assert(res.flags & ROUTE_EVF_ACS_REDIRECT);
	cr_assert(res.flags & ROUTE_EVF_RC_P2P);
}

Test(route, rc_p2p_between_root_ports_only_with_forwarding)
{
	struct route_result res;
	u8 buf[4];

	hb0->p2p_forwarding = false;
	cr_assert_eq(pci_route_dma(r, a, NULL, C_BAR, buf, 4, false, &res), -EIO);
	cr_assert_eq(res.status, ROUTE_NO_P2P_FORWARDING);
	cr_assert_eq(buf[0], 0xff);
	cr_assert_eq(buf[1], 0xff);
	hb0->p2p_forwarding = true;
	cr_assert_eq(pci_route_dma(r, a, NULL, C_BAR, buf, 4, false, &res), 0);
	cr_assert_eq(res.target_dev, c);
	cr_assert(res.flags & ROUTE_EVF_RC_P2P);
	/* up dsp0, usp, rp0; root complex; down rp1; target c */
	cr_assert_eq(res.nr_hops, 6);
	cr_assert_eq(res.hops[0].kind, ROUTE_HOP_UP);
	cr_assert_eq(res.hops[2].port, rp0);
	cr_assert_eq(res.hops[3].kind, ROUTE_HOP_ROOT_COMPLEX);
	cr_assert_eq(res.hops[3].host, hb0);
	cr_assert_eq(res.hops[4].kind, ROUTE_HOP_DOWN);
	cr_assert_eq(res.hops[4].port, rp1);
	cr_assert_eq(res.hops[5].port, c);
}

Test(route, across_host_bridges_both_must_forward)
{
	struct route_result res;

	/* a (hb0, untranslated) writes CPU address D_CPU: hb0 decodes it as d's BAR on hb1 */
	hb0->p2p_forwarding = true;
	hb1->p2p_forwarding = false;
	cr_assert_eq(pci_route_dma(r, a, NULL, D_CPU, "x", 1, true, &res), -EIO);
	cr_assert_eq(res.status, ROUTE_NO_P2P_FORWARDING);
	hb1->p2p_forwarding = true;
	cr_assert_eq(pci_route_dma(r, a, NULL, D_CPU + 1, "y", 1, true, &res), 0);
	cr_assert_eq(res.target_dev, d);
	cr_assert_eq(res.phys, D_CPU + 1);
	cr_assert_eq(res.hops[res.nr_hops - 1].port, d);
}

Test(route, host_bridge_offset_turns_bus_into_cpu_address)
{
	struct route_result res;
	char out[2];

	/* d (hb1, no IOMMU) issues e's *bus* address; hb1 adds its 0x80000000 offset */
	hb1->p2p_forwarding = true;
	cr_assert_eq(pci_route_dma(r, d, NULL, E_BUS + 8, "ok", 2, true, &res), 0);
	cr_assert_eq(res.target_dev, e);
	cr_assert_eq(res.phys, E_CPU + 8);
	cr_assert_eq(phys_mem_read(m->mem, E_CPU + 8, out, 2), 0);
	cr_assert_arr_eq(out, "ok", 2);
}

Test(route, unclaimed_address_is_unsupported_request)
{
	struct route_result res;
	u8 buf[8];

	cr_assert_eq(pci_route_dma(r, c, NULL, 0x3000000000ULL, buf, 8, false, &res), -EIO);
	cr_assert_eq(res.status, ROUTE_UNSUPPORTED);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(buf[i], 0xff);
	cr_assert_eq(route_status_errno(ROUTE_UNSUPPORTED), -ENXIO);
	/* inside the switch's range but under no downstream port: the switch refuses it */
	cr_assert_eq(pci_route_dma(r, a, NULL, A_BAR + 0x300000, buf, 8, false, &res), -EIO);
	cr_assert_eq(res.status, ROUTE_UNSUPPORTED);
	cr_assert_not(res.flags & ROUTE_EVF_ROOT_COMPLEX);
}

Test(route, memory_decode_off_is_unsupported_request)
{
	struct route_result res;
	u8 buf[1];

	b->memory_decode = false;
	cr_assert_eq(pci_route_dma(r, a, NULL, B_BAR, buf, 1, false, &res), -EIO);
	cr_assert_eq(res.status, ROUTE_DECODE_OFF);
	cr_assert_eq(buf[0], 0xff);
}

Test(route, sibling_function_and_own_bar)
{
	struct route_result res;

	cr_assert_eq(pci_route_dma(r, a, NULL, A1_BAR, "f", 1, true, &res), 0);
	cr_assert_eq(res.target_dev, a1);
	cr_assert_eq(res.hops[0].kind, ROUTE_HOP_ACROSS);
	cr_assert_eq(res.hops[0].port, dsp0);
	cr_assert_eq(pci_route_dma(r, a, NULL, A_BAR, "s", 1, true, &res), 0);
	cr_assert_eq(res.target_dev, a);
	cr_assert_eq(res.nr_hops, 1);
	cr_assert_eq(res.hops[0].kind, ROUTE_HOP_TARGET);
}

Test(route, partial_fault_splits_at_pages)
{
	struct iommu_domain *dom = paging_domain();
	struct route_result res;
	u8 buf[0x1000];

	cr_assert_eq(phys_mem_fill(m->mem, 0x200800, 0xab, 0x800), 0);
	cr_assert_eq(iommu_map(dom, 0x10000, 0x200000, SZ_4K, IOMMU_READ | IOMMU_WRITE), 0);
	cr_assert_eq(pci_route_dma(r, c, dom, 0x10800, buf, sizeof(buf), false, &res), -EIO);
	cr_assert_eq(res.nr_chunks, 2);
	cr_assert_eq(res.nr_failed, 1);
	cr_assert_eq(res.bytes_ok, 0x800);
	cr_assert_eq(res.status, ROUTE_IOMMU_FAULT);
	cr_assert_eq(buf[0], 0xab);
	cr_assert_eq(buf[0x7ff], 0xab);
	cr_assert_eq(buf[0x800], 0xff);
	cr_assert_eq(delivered, 1);
	cr_assert_eq(faulted, 1);
	/* a write-only translation faults a read */
	cr_assert_eq(iommu_map(dom, 0x20000, 0x300000, SZ_4K, IOMMU_WRITE), 0);
	cr_assert_eq(pci_route_dma(r, c, dom, 0x20000, buf, 4, false, &res), -EIO);
	cr_assert_eq(res.status, ROUTE_IOMMU_FAULT);
	cr_assert_eq(pci_route_dma(r, c, dom, 0x20000, buf, 4, true, &res), 0);
	iommu_hw_domain_free(dom);
}

Test(route, second_access_hits_the_iotlb)
{
	struct iommu_domain *dom = paging_domain();
	u8 buf[64];

	cr_assert_eq(iommu_map(dom, 0x10000, 0x200000, SZ_4K, IOMMU_READ | IOMMU_WRITE), 0);
	cr_assert_eq(pci_route_dma(r, c, dom, 0x10000, buf, 64, false, NULL), 0);
	cr_assert_eq(pci_route_dma(r, c, dom, 0x10040, buf, 64, false, NULL), 0);
	cr_assert_eq(iommu_hw_stats(m->iommus[0])->iotlb_misses, 1);
	cr_assert_eq(iommu_hw_stats(m->iommus[0])->iotlb_hits, 1);
	iommu_hw_domain_free(dom);
}

Test(route, completion_redirect_on_read_only)
{
	struct route_result res;
	u8 buf[4];

	dsp1->has_acs = true;
	dsp1->acs_ctrl = PCI_ACS_CR;
	cr_assert_eq(pci_route_dma(r, a, NULL, B_BAR, buf, 4, false, &res), 0);
	cr_assert(res.flags & ROUTE_EVF_COMPLETION_REDIRECT);
	cr_assert_eq(res.hops[res.nr_hops - 2].kind, ROUTE_HOP_COMPLETION_REDIRECT);
	cr_assert_eq(res.hops[res.nr_hops - 2].port, dsp1);
	cr_assert_eq(pci_route_dma(r, a, NULL, B_BAR, buf, 4, true, &res), 0);
	cr_assert_not(res.flags & ROUTE_EVF_COMPLETION_REDIRECT);
}

Test(route, path_moves_no_bytes_and_touches_no_iommu)
{
	struct route_result res;

	cr_assert_eq(pci_route_path(r, a, B_BAR, true, &res), 0);
	cr_assert(res.flags & ROUTE_EVF_P2P_SWITCH);
	dsp0->has_acs = true;
	dsp0->acs_ctrl = PCI_ACS_RR;
	hb0->p2p_forwarding = false;
	cr_assert_eq(pci_route_path(r, a, B_BAR, true, &res), -EIO);
	cr_assert(res.flags & ROUTE_EVF_ROOT_COMPLEX);
	cr_assert(res.flags & ROUTE_EVF_TRANSLATED); /* hb0 has an IOMMU on the way */
	cr_assert_eq(res.status, ROUTE_NO_P2P_FORWARDING);
	cr_assert_eq(translations(), 0);
	cr_assert_eq(delivered + faulted, 0);
}

Test(route, bad_arguments)
{
	u8 buf[1];

	cr_assert_eq(pci_route_dma(r, rp0, NULL, 0, buf, 1, false, NULL), -EINVAL);
	cr_assert_eq(pci_route_dma(r, a, NULL, 0, buf, 0, false, NULL), -EINVAL);
	cr_assert_eq(pci_route_dma(r, NULL, NULL, 0, buf, 1, false, NULL), -EINVAL);
	cr_assert_str_eq(route_status_name(ROUTE_ACS_BLOCKED), "acs-blocked");
}

Test(route, identity_and_blocked_domains)
{
	struct iommu_domain *id = iommu_hw_domain_alloc(m->iommus[0], IOMMU_DOMAIN_IDENTITY);
	struct iommu_domain *blk = iommu_hw_domain_alloc(m->iommus[0], IOMMU_DOMAIN_BLOCKED);
	struct route_result res;
	u8 buf[4];

	cr_assert_not_null(id);
	cr_assert_not_null(blk);
	/* passthrough: the device address is the RAM address */
	cr_assert_eq(pci_route_dma(r, c, id, 0x5000, "idnt", 4, true, &res), 0);
	cr_assert_eq(res.target, ROUTE_TARGET_RAM);
	cr_assert_eq(res.phys, 0x5000);
	cr_assert(res.flags & ROUTE_EVF_TRANSLATED);
	/* blocked: every request faults, reads see all-ones */
	cr_assert_eq(pci_route_dma(r, c, blk, 0x5000, buf, 4, false, &res), -EIO);
	cr_assert_eq(res.status, ROUTE_IOMMU_FAULT);
	cr_assert_eq(buf[0], 0xff);
	iommu_hw_domain_free(id);
	iommu_hw_domain_free(blk);
}

Test(route, vf_routes_through_its_pf_port)
{
	struct route_result res;
	u8 buf[4];

	cr_assert_str_eq(sm.a_vf0->name, "0000:03:00.2");
	cr_assert_eq(pci_route_dma(r, sm.a_vf0, NULL, B_BAR, buf, 4, false, &res), 0);
	cr_assert_eq(res.target_dev, b);
	cr_assert_eq(res.hops[0].port, dsp0);
	/* the PF's downstream port's ACS applies to its VFs' requests too */
	dsp0->has_acs = true;
	dsp0->acs_ctrl = PCI_ACS_EC;
	cr_assert_eq(pci_route_dma(r, sm.a_vf0, NULL, B_BAR, buf, 4, false, &res), -EIO);
	cr_assert_eq(res.status, ROUTE_ACS_BLOCKED);
}

Test(route, hop_list_as_one_line)
{
	struct route_result res;
	char line[256], tiny[8];
	u8 buf[4];

	cr_assert_eq(pci_route_dma(r, a, NULL, B_BAR, buf, 4, false, &res), 0);
	route_result_format(&res, line, sizeof(line));
	cr_assert_str_eq(line, "dsp0[across] -> dsp1[down] -> b[target]");
	dsp0->has_acs = true;
	dsp0->acs_ctrl = PCI_ACS_RR;
	hb0->p2p_forwarding = true;
	cr_assert_eq(pci_route_path(r, a, B_BAR, false, &res), 0);
	route_result_format(&res, line, sizeof(line));
	cr_assert_str_eq(line, "dsp0[acs-redirect] -> usp[up] -> rp0[up] -> hb0[root-complex] -> "
			       "rp0[down] -> usp[down] -> dsp1[down] -> b[target]");
	/* truncates like snprintf and says how much it needed */
	cr_assert_eq(route_result_format(&res, tiny, sizeof(tiny)), (int)strlen(line));
	cr_assert_str_eq(tiny, "dsp0[ac");
}
