// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_dmabuf_mapping.c - dma_buf_phys_vec_to_sgt() / dma_buf_free_sgt()
 * (src/dma-buf/dma-buf-mapping.c; reference/dmabuf-vfio.md §2.5, §4 S1-S2)
 * on the dma-buf fixture machine: provider = BAR 0 of "a" (1 MiB at
 * SM_A_BAR); importer "b" on the same switch (BUS_ADDR), "c" behind another
 * root port (THRU_HOST_BRIDGE when the host bridge is allowlisted,
 * NOT_SUPPORTED otherwise). Expected addresses are derived by hand from the
 * rules: bus address = paddr + bus_offset; entries of at most UINT_MAX bytes
 * at base + i * UINT_MAX in 64-bit arithmetic; one IOVA span for
 * THRU_HOST_BRIDGE.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers/dmabuf_fixture.h"
#include "src/dma-buf/dma-buf-mapping.h"
#include "src/iommu/dma-iommu.h"

#define GB (1ULL << 30)

static struct dmabuf_fixture fx;
static struct dma_buf *dmabuf;
static struct p2pdma_provider *provider;

static struct sg_table *stub_map(struct dma_buf_attachment *a, enum dma_data_direction d)
{
	return ERR_PTR(-ENOSYS);
}

static void stub_unmap(struct dma_buf_attachment *a, struct sg_table *s, enum dma_data_direction d)
{
}

static void stub_release(struct dma_buf *d)
{
}

static const struct dma_buf_ops stub_ops = {
	.map_dma_buf = stub_map,
	.unmap_dma_buf = stub_unmap,
	.release = stub_release,
};

static const struct dma_buf_attach_ops importer = {
	.allow_peer2peer = true,
};

static void setup_common(bool allow, u64 bugs)
{
	struct dma_buf_export_info info = { .ops = &stub_ops, .size = 16 * GB };

	dfx_init(&fx, allow, NULL, bugs, false);
	dmabuf = dma_buf_export(&fx.sys, &info);
	cr_assert(!IS_ERR(dmabuf));
	provider = pcim_p2pdma_provider(&fx.ctx, fx.sm.a, 0);
	cr_assert_not_null(provider);
	dma_resv_lock(&dmabuf->resv);
}

static void setup(void)
{
	setup_common(true, 0);
}

static void setup_denied(void)
{
	setup_common(false, 0);
}

static void teardown(void)
{
	dma_resv_unlock(&dmabuf->resv);
	while (dmabuf->attachments)
		dma_buf_detach(dmabuf, dmabuf->attachments);
	dma_buf_put(dmabuf);
	dfx_fini(&fx);
}

static struct dma_buf_attachment *attach(struct device *dev)
{
	struct dma_buf_attachment *a;

	dma_resv_unlock(&dmabuf->resv); /* attach runs without the resv */
	a = dma_buf_dynamic_attach(dmabuf, dev, &importer, NULL);
	dma_resv_lock(&dmabuf->resv);
	cr_assert(!IS_ERR(a));
	return a;
}

TestSuite(mapping, .init = setup, .fini = teardown);

Test(mapping, bus_addr_single_range)
{
	struct dma_buf_phys_vec v = { SM_A_BAR + 0x2000, 0x3000 };
	struct dma_buf_attachment *a = attach(&fx.devb);
	struct sg_table *sgt = dma_buf_phys_vec_to_sgt(a, provider, &v, 1, 0x3000, DMA_TO_DEVICE);
	long p2p;

	cr_assert(!IS_ERR(sgt));
	cr_assert_eq(dma_buf_sgt_map_type(sgt), PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert(!dma_buf_sgt_uses_iova(sgt));
	cr_assert_eq(sgt->nents, 1);
	cr_assert_eq(sgt->orig_nents, 0); /* no CPU list */
	cr_assert_eq(sgt->sgl[0].page_phys, 0);
	cr_assert_eq(sgt->sgl[0].dma_address, SM_A_BAR + 0x2000); /* bus offset 0 */
	cr_assert_eq(sgt->sgl[0].dma_length, 0x3000);
	p2p = dfx_find(&fx, 0, EV_P2P_MAP, PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert_geq(p2p, 0);
	cr_assert_eq(fx.evs[p2p].phys, SM_A_BAR + 0x2000);
	cr_assert_eq(dfx_count(&fx, EV_IOMMU_MAP, -1), 0); /* the IOMMU is never involved */
	dma_buf_free_sgt(a, sgt, DMA_TO_DEVICE);
}

Test(mapping, bus_addr_applies_the_provider_offset)
{
	struct p2pdma_provider shifted = { .owner = fx.sm.a, .bus_offset = 0x1000000000ULL };
	struct dma_buf_phys_vec v = { SM_A_BAR, 0x1000 };
	struct dma_buf_attachment *a = attach(&fx.devb);
	struct sg_table *sgt = dma_buf_phys_vec_to_sgt(a, &shifted, &v, 1, 0x1000, DMA_TO_DEVICE);

	cr_assert(!IS_ERR(sgt));
	cr_assert_eq(sgt->sgl[0].dma_address, SM_A_BAR + 0x1000000000ULL);
	dma_buf_free_sgt(a, sgt, DMA_TO_DEVICE);
}

Test(mapping, ranges_become_entries)
{
	struct dma_buf_phys_vec v[3] = { { SM_A_BAR, 0x1000 },
					 { SM_A_BAR + 0x10000, 0x2000 },
					 { SM_A_BAR + 0x4000, 0x1000 } };
	struct dma_buf_attachment *a = attach(&fx.devb);
	struct sg_table *sgt = dma_buf_phys_vec_to_sgt(a, provider, v, 3, 0x4000, DMA_FROM_DEVICE);

	cr_assert(!IS_ERR(sgt));
	cr_assert_eq(sgt->nents, 3);
	cr_assert_eq(sgt->sgl[1].dma_address, SM_A_BAR + 0x10000);
	cr_assert_eq(sgt->sgl[1].dma_length, 0x2000);
	cr_assert_eq(sgt->sgl[2].dma_address, SM_A_BAR + 0x4000);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_SG_ENTRY, -1), 3);
	dma_buf_free_sgt(a, sgt, DMA_FROM_DEVICE);
}

Test(mapping, nine_gib_range_splits_at_uint_max_in_64_bits)
{
	struct dma_buf_phys_vec v = { SM_A_BAR, 9 * GB };
	struct dma_buf_attachment *a = attach(&fx.devb);
	struct sg_table *sgt = dma_buf_phys_vec_to_sgt(a, provider, &v, 1, 9 * GB, DMA_TO_DEVICE);

	cr_assert(!IS_ERR(sgt));
	cr_assert_eq(sgt->nents, 3); /* ceil(9 GiB / (4 GiB - 1)) */
	cr_assert_eq(sgt->sgl[0].dma_address, SM_A_BAR);
	cr_assert_eq(sgt->sgl[0].dma_length, 0xffffffffU);
	cr_assert_eq(sgt->sgl[1].dma_address, SM_A_BAR + 0xffffffffULL);
	cr_assert_eq(sgt->sgl[1].dma_length, 0xffffffffU);
	cr_assert_eq(sgt->sgl[2].dma_address, SM_A_BAR + 0x1fffffffeULL);
	cr_assert_eq(sgt->sgl[2].dma_length, 0x40000002U); /* 9 GiB - 2 * UINT_MAX */
	dma_buf_free_sgt(a, sgt, DMA_TO_DEVICE);
}

Test(mapping, entry_count_overflow_is_einval)
{
	struct dma_buf_phys_vec v[2] = { { 0, 1ULL << 63 }, { 0, 1ULL << 63 } };
	struct dma_buf_attachment *a = attach(&fx.devb);

	/* 2 * (2^31 + 1) entries do not fit an unsigned int */
	cr_assert_eq(PTR_ERR(dma_buf_phys_vec_to_sgt(a, provider, v, 2, 0, DMA_TO_DEVICE)),
		     -EINVAL);
}

Test(mapping, no_provider_warns)
{
	struct dma_buf_phys_vec v = { SM_A_BAR, 0x1000 };
	struct dma_buf_attachment *a = attach(&fx.devb);

	cr_assert_eq(PTR_ERR(dma_buf_phys_vec_to_sgt(a, NULL, &v, 1, 0x1000, DMA_TO_DEVICE)),
		     -EINVAL);
	cr_assert_eq(fx.sys.warns, 1);
}

Test(mapping, resv_must_be_held)
{
	struct dma_buf_phys_vec v = { SM_A_BAR, 0x1000 };
	struct dma_buf_attachment *a = attach(&fx.devb);
	struct sg_table *sgt;
	long ev;

	dma_resv_unlock(&dmabuf->resv);
	dfx_clear(&fx);
	sgt = dma_buf_phys_vec_to_sgt(a, provider, &v, 1, 0x1000, DMA_TO_DEVICE);
	ev = dfx_find(&fx, 0, EV_DMABUF_LOCK_ASSERT, LOCK_CLASS_RESV);
	cr_assert_eq(fx.evs[ev].ret, -ENOLCK); /* L1 */
	dma_resv_lock(&dmabuf->resv);
	dma_buf_free_sgt(a, sgt, DMA_TO_DEVICE);
}

Test(mapping, thru_host_bridge_links_one_iova_span)
{
	struct dma_buf_phys_vec v[2] = { { SM_A_BAR + 0x1000, 0x3000 },
					 { SM_A_BAR + 0x8000, 0x1000 } };
	struct dma_buf_attachment *a = attach(&fx.devc);
	struct sg_table *sgt =
		dma_buf_phys_vec_to_sgt(a, provider, v, 2, 0x4000, DMA_BIDIRECTIONAL);
	dma_addr_t iova;

	cr_assert(!IS_ERR(sgt));
	cr_assert_eq(dma_buf_sgt_map_type(sgt), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert(dma_buf_sgt_uses_iova(sgt));
	cr_assert_eq(sgt->nents, 1);
	iova = sgt->sgl[0].dma_address;
	cr_assert_eq(sgt->sgl[0].dma_length, 0x4000);
	cr_assert_eq(iommu_iova_to_phys(fx.devc.domain, iova), SM_A_BAR + 0x1000);
	cr_assert_eq(iommu_iova_to_phys(fx.devc.domain, iova + 0x3000), SM_A_BAR + 0x8000);
	cr_assert_eq(dfx_count(&fx, EV_P2P_MAP, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE), 2);
	dma_buf_free_sgt(a, sgt, DMA_BIDIRECTIONAL);
	cr_assert_eq(iommu_iova_to_phys(fx.devc.domain, iova), 0);
}

Test(mapping, thru_host_bridge_without_iommu_maps_each_range)
{
	struct dma_buf_phys_vec v[2] = { { SM_A_BAR, 0x1000 }, { SM_A_BAR + 0x5000, 0x2000 } };
	struct device direct = { .name = "c",
				 .pdev = fx.sm.c,
				 .machine = fx.sm.m,
				 .dma_mask = DMA_BIT_MASK(64),
				 .coherent_dma_mask = DMA_BIT_MASK(64),
				 .dma_coherent = true,
				 .p2pdma = &fx.ctx };
	struct dma_buf_attachment *a = attach(&direct);
	struct sg_table *sgt = dma_buf_phys_vec_to_sgt(a, provider, v, 2, 0x3000, DMA_TO_DEVICE);

	cr_assert(!IS_ERR(sgt));
	cr_assert(!dma_buf_sgt_uses_iova(sgt)); /* dma_iova_try_alloc() failed: dma-direct */
	cr_assert_eq(sgt->nents, 2);
	cr_assert_eq(sgt->sgl[0].dma_address, SM_A_BAR);
	cr_assert_eq(sgt->sgl[1].dma_address, SM_A_BAR + 0x5000);
	cr_assert_eq(sgt->sgl[1].dma_length, 0x2000);
	dma_buf_free_sgt(a, sgt, DMA_TO_DEVICE);
	dma_buf_detach(dmabuf, a); /* before `direct` goes out of scope */
}

TestSuite(mapping_denied, .init = setup_denied, .fini = teardown);

Test(mapping_denied, not_supported_maps_nothing)
{
	struct dma_buf_phys_vec v = { SM_A_BAR, 0x1000 };
	struct dma_buf_attachment *a = attach(&fx.devc);
	long p2p;

	cr_assert_eq(PTR_ERR(dma_buf_phys_vec_to_sgt(a, provider, &v, 1, 0x1000, DMA_TO_DEVICE)),
		     -EINVAL); /* S2 */
	cr_assert_eq(dfx_count(&fx, EV_IOMMU_MAP, -1), 0);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_SG_ENTRY, -1), 0);
	p2p = dfx_find(&fx, 0, EV_P2P_MAP, PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_eq(fx.evs[p2p].ret, -EINVAL);
}

/* --- historic bugs ------------------------------------------------------------------------ */

static void setup_h14(void)
{
	setup_common(true, 1ULL << BUG_H14_SG_ADDR_32BIT);
}

static void setup_h5(void)
{
	setup_common(true, 1ULL << BUG_H5_NO_UINT_MAX_SPLIT);
}

Test(mapping, h14_fixed_entries_are_contiguous)
{
	struct dma_buf_phys_vec v = { SM_A_BAR, 9 * GB };
	struct dma_buf_attachment *a = attach(&fx.devb);
	struct sg_table *sgt = dma_buf_phys_vec_to_sgt(a, provider, &v, 1, 9 * GB, DMA_TO_DEVICE);

	for (unsigned int i = 1; i < sgt->nents; i++)
		cr_assert_eq(sgt->sgl[i].dma_address,
			     sgt->sgl[i - 1].dma_address + sgt->sgl[i - 1].dma_length);
	dma_buf_free_sgt(a, sgt, DMA_TO_DEVICE);
}

Test(mapping_bugs, h14_third_entry_address_wraps, .init = setup_h14, .fini = teardown)
{
	struct dma_buf_phys_vec v = { SM_A_BAR, 9 * GB };
	struct dma_buf_attachment *a = attach(&fx.devb);
	struct sg_table *sgt = dma_buf_phys_vec_to_sgt(a, provider, &v, 1, 9 * GB, DMA_TO_DEVICE);

	/* 2 * UINT_MAX in 32 bits is 0xfffffffe: the third entry overlaps the second (S1) */
	cr_assert_eq(sgt->sgl[2].dma_address, SM_A_BAR + 0xfffffffeULL);
	cr_assert_neq(sgt->sgl[2].dma_address, sgt->sgl[1].dma_address + sgt->sgl[1].dma_length);
	dma_buf_free_sgt(a, sgt, DMA_TO_DEVICE);
}

Test(mapping_bugs, h5_one_truncated_entry, .init = setup_h5, .fini = teardown)
{
	struct dma_buf_phys_vec v = { SM_A_BAR, 9 * GB };
	struct dma_buf_attachment *a = attach(&fx.devb);
	struct sg_table *sgt = dma_buf_phys_vec_to_sgt(a, provider, &v, 1, 9 * GB, DMA_TO_DEVICE);

	cr_assert_eq(sgt->nents, 1);
	cr_assert_eq(sgt->sgl[0].dma_length, 0x40000000U); /* 9 GiB mod 4 GiB: S1 sum != size */
	dma_buf_free_sgt(a, sgt, DMA_TO_DEVICE);
}

static void setup_h15(void)
{
	setup_common(true, 1ULL << BUG_H15_MAPPED_LEN_32BIT);
}

Test(mapping, h15_fixed_five_gib_iova_span)
{
	struct dma_buf_phys_vec v = { SM_A_BAR, 5 * GB };
	struct dma_buf_attachment *a = attach(&fx.devc);
	struct sg_table *sgt = dma_buf_phys_vec_to_sgt(a, provider, &v, 1, 5 * GB, DMA_TO_DEVICE);

	cr_assert(!IS_ERR(sgt));
	cr_assert(dma_buf_sgt_uses_iova(sgt));
	cr_assert_eq(sgt->nents, 2);
	cr_assert_eq(sgt->sgl[0].dma_length, 0xffffffffU);
	cr_assert_eq(sgt->sgl[1].dma_length, 0x40000001U); /* 5 GiB - UINT_MAX */
	cr_assert_eq(iommu_iova_to_phys(fx.devc.domain, sgt->sgl[1].dma_address),
		     SM_A_BAR + 0xffffffffULL);
	cr_assert_eq(fx.sys.warns, 0);
	dma_buf_free_sgt(a, sgt, DMA_TO_DEVICE);
}

Test(mapping_bugs, h15_mapped_len_wraps_past_4_gib, .init = setup_h15, .fini = teardown)
{
	struct dma_buf_phys_vec v = { SM_A_BAR, 5 * GB };
	struct dma_buf_attachment *a = attach(&fx.devc);
	struct sg_table *sgt = dma_buf_phys_vec_to_sgt(a, provider, &v, 1, 5 * GB, DMA_TO_DEVICE);
	u64 total = 0;

	cr_assert(!IS_ERR(sgt));
	/* mapped_len wrapped to 1 GiB: WARN(mapped_len != size), a short span (S1) */
	for (unsigned int i = 0; i < sgt->nents; i++)
		total += sgt->sgl[i].dma_length;
	cr_assert_eq(total, 1 * GB);
	cr_assert_geq(fx.sys.warns, 1);
	dma_buf_free_sgt(a, sgt, DMA_TO_DEVICE);
}
