// SPDX-License-Identifier: GPL-2.0-only
/*
 * catalogue.c - the kernel area and the injectability of each historic bug
 * (catalogue.h), and `--inject` parsing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/fuzz/catalogue.h"
#include "src/kernel_profile.h"

struct bug_extra {
	const char *area;
	const char *not_yet; /* NULL: injectable; else what is missing */
};

#define DMABUF_LATER "needs the dma-buf / VFIO scenario steps (not in the scenario language yet)"
/*
 * Both need dma_iova_link()'s swiotlb path (an untrusted or non-coherent
 * device; the fuzzed default.xml has neither) and more than the model has.
 */
#define IOVA_LINK_SWIOTLB_WHY                                                                 \
	"cannot fail in this model yet: its iommu_map_nosync() follows the legacy path that " \
	"accepts a 0-length map (only iommupt, 7.0, rejects the empty middle), and the "       \
	"wrong-offset unwind needs a tail bounce that fails after a linked middle (swiotlb "   \
	"exhausted), which no scenario step provokes"
#define IOVA_UNLINK_ZERO_WHY                                                                 \
	"cannot fail in this model yet: a translation hole in the unlink slow path only "    \
	"happens after a misuse (unlinking what was never linked), and going on past it "    \
	"releases the later bounce slots rather than leaking anything a checker could see; " \
	"the old behaviour needs to be pinned down from the kernel history first"

static const struct bug_extra extras[BUG__COUNT] = {
	[BUG_H1_INVERTED_REVOKE] = { "vfio-pci dma-buf", DMABUF_LATER },
	[BUG_H2_FLR_RESTORE_REVOKES] = { "vfio-pci dma-buf", DMABUF_LATER },
	[BUG_H3_REVOKED_INIT_UNLOCKED] = { "vfio-pci dma-buf", DMABUF_LATER },
	[BUG_H4_NO_REVOKE_ON_MEM_CLEAR] = { "vfio-pci dma-buf", DMABUF_LATER },
	[BUG_H5_NO_UINT_MAX_SPLIT] = { "dma-buf mapping", DMABUF_LATER },
	[BUG_H6_VARIANT_USES_PCI_BAR] = { "vfio-pci variant", DMABUF_LATER },
	[BUG_H7_FD_FAIL_LEAK] = { "vfio-pci dma-buf", DMABUF_LATER },
	[BUG_H7_FD_FAIL_DOUBLE_FREE] = { "vfio-pci dma-buf", DMABUF_LATER },
	[BUG_H8_P2PDMA_INIT_CHECK] = { "vfio-pci core", DMABUF_LATER },
	[BUG_H9_UNREVOKE_FORWARD_LOOP] = { "vfio-pci hot reset", DMABUF_LATER },
	[BUG_H10_UNDO_NEVER_OPENED] = { "vfio-pci hot reset", DMABUF_LATER },
	[BUG_H11_NO_PCI_OPS_CHECK] = { "vfio-pci dma-buf", DMABUF_LATER },
	[BUG_H14_SG_ADDR_32BIT] = { "dma-buf mapping", DMABUF_LATER },
	[BUG_H15_MAPPED_LEN_32BIT] = { "dma-buf mapping", DMABUF_LATER },
	[BUG_H16_ACCEPT_PINNED] = { "vfio-pci dma-buf", DMABUF_LATER },
	[BUG_H17_NO_REVOKE_WAITS] = { "vfio-pci dma-buf", DMABUF_LATER },
	[BUG_H18_CLEANUP_REDRAIN] = { "vfio-pci dma-buf", DMABUF_LATER },
	[BUG_H19_DISABLE_BEFORE_CLEANUP] = { "vfio-pci core", DMABUF_LATER },
	[BUG_H20_UNREQUESTED_BAR] = { "vfio-pci dma-buf", DMABUF_LATER },
	[BUG_H21_NON_MAPPABLE_BARS] = { "vfio-pci dma-buf", DMABUF_LATER },
	[BUG_H22_IOMMUFD_FREE_BEFORE_DETACH] = { "iommufd", DMABUF_LATER },
	[BUG_H23_IOMMUFD_UNPIN_NO_RESV] = { "iommufd", DMABUF_LATER },
	[BUG_H24_IOMMUFD_ACCESS_PIN] = { "iommufd", DMABUF_LATER },
	[BUG_H25_MLX5_DEREG_RACE] = { "mlx5 importer", DMABUF_LATER },
	[BUG_DMA_DIRECT_SG_BREAK] = { "dma-direct", NULL },
	[BUG_IOMMU_SG_HEAD_LEN] = { "dma-iommu", NULL },
	[BUG_IOVA_LINK_SWIOTLB_UNWIND] = { "dma-iommu two-step", IOVA_LINK_SWIOTLB_WHY },
	[BUG_IOVA_UNLINK_ZERO_PHYS] = { "dma-iommu two-step", IOVA_UNLINK_ZERO_WHY },
	[BUG_HMM_SYNC_FAIL_NO_UNLINK] = { "HMM", NULL },
};

const char *bug_area(enum bug_id id)
{
	if (id <= BUG_NONE || id >= BUG__COUNT || !extras[id].area)
		return "";
	return extras[id].area;
}

bool bug_injectable(enum bug_id id, const char **why)
{
	const char *missing = "unknown bug";

	if (id > BUG_NONE && id < BUG__COUNT)
		missing = extras[id].area ? extras[id].not_yet : "not described";
	if (why)
		*why = missing;
	return !missing;
}

int bug_set_parse(const char *list, struct bug_set *set, char *msg, size_t len)
{
	const char *p = list;

	set->mask = 0;
	if (!*list) {
		snprintf(msg, len, "empty --inject list ('p2psim bugs' lists the ids)");
		return -EINVAL;
	}
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char name[64];
		const char *why;
		enum bug_id id;

		if (!n || n >= sizeof(name)) {
			snprintf(msg, len, "bad --inject list '%s'", list);
			return -EINVAL;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		id = bug_find(name);
		if (id == BUG_NONE) {
			snprintf(msg, len, "unknown bug '%s' ('p2psim bugs' lists the ids)", name);
			return -EINVAL;
		}
		if (!bug_injectable(id, &why)) {
			snprintf(msg, len, "bug '%s' cannot be injected yet: %s", name, why);
			return -EINVAL;
		}
		bug_set_inject(set, id);
		p += n;
		if (*p == ',' && !*++p) {
			snprintf(msg, len, "bad --inject list '%s'", list);
			return -EINVAL;
		}
	}
	return 0;
}

void bug_set_apply_profile(const struct bug_set *set, struct kernel_profile *profile)
{
	/* kernel/dma/direct.c: the injection point is the profile switch (src/dma/direct.c). */
	if (bug_injected(set, BUG_DMA_DIRECT_SG_BREAK))
		profile->dma_direct_sg_thru_hb_break = true;
	/* drivers/iommu/dma-iommu.c: iommu_dma_map_sg() bus-address segment length */
	if (bug_injected(set, BUG_IOMMU_SG_HEAD_LEN))
		profile->iommu_dma_sg_bus_len_from_head = true;
	/* mm/hmm.c: hmm_dma_map_pfn() does not unlink when dma_iova_sync() fails */
	if (bug_injected(set, BUG_HMM_SYNC_FAIL_NO_UNLINK))
		profile->hmm_sync_fail_no_unlink = true;
}
