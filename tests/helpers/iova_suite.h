/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iova_suite.h - the fixture of the dma-iommu IOVA suites (header-only,
 * static, one copy per suite that includes it): tb_standard() in strict mode
 * on a fresh machine, up to two devices probed into their IOMMU with
 * iova_mkdev(), an optional swiotlb pool. The teardown releases the devices
 * and asserts that no page-table page outlived them.
 *
 * Use: TestSuite(name, .init = iova_suite_setup, .fini = iova_suite_teardown);
 */
#ifndef P2PSIM_TESTS_HELPERS_IOVA_SUITE_H
#define P2PSIM_TESTS_HELPERS_IOVA_SUITE_H

#include <criterion/criterion.h>

#include "helpers/topo_builder.h"
#include "models/mem/physmem.h"
#include "src/dma/swiotlb.h"
#include "src/iommu/dma-iommu.h"

static struct topology *topo;
static struct machine *m;
static struct device devs[2];
static unsigned int nr_devs;
static struct io_tlb_mem *pool;

static void iova_suite_setup(void)
{
	topo = tb_standard(IOMMU_MODE_STRICT);
	m = machine_new(topo);
	cr_assert_not_null(m);
	nr_devs = 0;
	pool = NULL;
}

static void iova_suite_teardown(void)
{
	for (unsigned int i = 0; i < nr_devs; i++)
		iommu_release_device_dma(&devs[i]);
	cr_assert_eq(iommu_hw_stats(m->iommus[0])->pgtable_pages_live, 0);
	swiotlb_mem_free(pool);
	machine_free(m);
	topology_free(topo);
}

/* Topology function @id probed into its IOMMU in @mode with a 64-bit mask. */
static inline struct device *iova_mkdev(const char *id, enum iommu_mode mode)
{
	cr_assert_lt(nr_devs, sizeof(devs) / sizeof(devs[0]));
	return tb_probe_iommu_device(&devs[nr_devs++], m, topo, id, mode, 64);
}

static inline const struct iommu_hw_stats *hwstats(void)
{
	return iommu_hw_stats(m->iommus[0]);
}

#endif /* P2PSIM_TESTS_HELPERS_IOVA_SUITE_H */
