// SPDX-License-Identifier: GPL-2.0-only
/*
 * bugs.c - the catalogue of injectable historic bugs (bugs.h), from
 * reference/dmabuf-vfio.md §5. Each row names the fix it reverts and the
 * checker rule (§4) that must catch it.
 */
#include <strings.h>

#include "src/bugs.h"

static const struct bug_info catalogue[BUG__COUNT] = {
	[BUG_H1_INVERTED_REVOKE] = { BUG_H1_INVERTED_REVOKE, "H1",
				     "revoke boolean inverted at the move() call sites",
				     "series v2", "dmabuf R6" },
	[BUG_H2_FLR_RESTORE_REVOKES] = { BUG_H2_FLR_RESTORE_REVOKES, "H2",
					 "config-space FLR restores with move(true)",
					 "Xu Yilun fixup", "dmabuf liveness" },
	[BUG_H3_REVOKED_INIT_UNLOCKED] = { BUG_H3_REVOKED_INIT_UNLOCKED, "H3",
					   "export initialises revoked outside memory_lock + resv",
					   "series v2", "dmabuf L5" },
	[BUG_H4_NO_REVOKE_ON_MEM_CLEAR] = { BUG_H4_NO_REVOKE_ON_MEM_CLEAR, "H4",
					    "PCI_COMMAND MEM clear without the dma-buf revoke",
					    "series v2", "dmabuf R6" },
	[BUG_H5_NO_UINT_MAX_SPLIT] = { BUG_H5_NO_UINT_MAX_SPLIT, "H5",
				       "one sg entry per range with a truncated length",
				       "series v5", "dmabuf S1" },
	[BUG_H6_VARIANT_USES_PCI_BAR] = { BUG_H6_VARIANT_USES_PCI_BAR, "H6",
					  "variant device exported from the PCI BAR, not its device memory",
					  "series v6", "dmabuf F7" },
	[BUG_H7_FD_FAIL_LEAK] = { BUG_H7_FD_FAIL_LEAK, "H7-leak",
				  "dma_buf_fd() failure leaks the dma-buf and its registration",
				  "series v6", "dmabuf F6" },
	[BUG_H7_FD_FAIL_DOUBLE_FREE] = { BUG_H7_FD_FAIL_DOUBLE_FREE, "H7-double-free",
					 "dma_buf_fd() failure: put + registration put + kfree (CVE-2026-31468)",
					 "e98137f0a874", "dmabuf F1" },
	[BUG_H8_P2PDMA_INIT_CHECK] = { BUG_H8_P2PDMA_INIT_CHECK, "H8",
				       "init_dev returns early when pcim_p2pdma_init succeeds",
				       "series v6", "dmabuf oops" },
	[BUG_H9_UNREVOKE_FORWARD_LOOP] = { BUG_H9_UNREVOKE_FORWARD_LOOP, "H9",
					   "hot-reset un-revoke in a forward loop over all devices",
					   "series v7", "dmabuf L3" },
	[BUG_H10_UNDO_NEVER_OPENED] = { BUG_H10_UNDO_NEVER_OPENED, "H10",
					"hot-reset undo reads vconfig of a never-opened device",
					"series v9 review", "dmabuf oops" },
	[BUG_H11_NO_PCI_OPS_CHECK] = { BUG_H11_NO_PCI_OPS_CHECK, "H11",
				       "missing NULL check of vdev->pci_ops", "series v8",
				       "dmabuf oops" },
	[BUG_H14_SG_ADDR_32BIT] = { BUG_H14_SG_ADDR_32BIT, "H14",
				    "sg entry address computed in 32 bits (ranges >= 8 GiB)",
				    "590d745680", "dmabuf S1" },
	[BUG_H15_MAPPED_LEN_32BIT] = { BUG_H15_MAPPED_LEN_32BIT, "H15",
				       "IOVA mapped_len kept in an unsigned int",
				       "dma-buf-mapping hardening", "dmabuf S1" },
	[BUG_H16_ACCEPT_PINNED] = { BUG_H16_ACCEPT_PINNED, "H16",
				    "pinned non-revocable importers accepted", "61ceaf236115",
				    "dmabuf A3" },
	[BUG_H17_NO_REVOKE_WAITS] = { BUG_H17_NO_REVOKE_WAITS, "H17",
				      "revoke returns without fence and unmap waits",
				      "1a8a5227f229", "dmabuf R2" },
	[BUG_H18_CLEANUP_REDRAIN] = { BUG_H18_CLEANUP_REDRAIN, "H18",
				      "cleanup re-drains an already revoked dma-buf (kref underflow, hang)",
				      "c64a647c84f3", "dmabuf R8" },
	[BUG_H19_DISABLE_BEFORE_CLEANUP] = { BUG_H19_DISABLE_BEFORE_CLEANUP, "H19",
					     "close_device disables the function before dma-buf cleanup",
					     "d97708701434", "dmabuf F4" },
	[BUG_H20_UNREQUESTED_BAR] = { BUG_H20_UNREQUESTED_BAR, "H20",
				      "export from a BAR whose resources were never requested (CVE-2026-64042)",
				      "702809dabdec", "dmabuf F7" },
	[BUG_H21_NON_MAPPABLE_BARS] = { BUG_H21_NON_MAPPABLE_BARS, "H21",
					"provider returned for devices with non_mappable_bars",
					"951ebc18d181", "dmabuf F7" },
	[BUG_H22_IOMMUFD_FREE_BEFORE_DETACH] = { BUG_H22_IOMMUFD_FREE_BEFORE_DETACH, "H22",
						 "iommufd destroys pages before dma_buf_detach (CVE-2026-74328)",
						 "f2d70dbd3dce", "dmabuf F11" },
	[BUG_H23_IOMMUFD_UNPIN_NO_RESV] = { BUG_H23_IOMMUFD_UNPIN_NO_RESV, "H23",
					    "iommufd dma_buf_unpin without the resv (CVE-2026-80633)",
					    "e745cd2c749e", "dmabuf L1" },
	[BUG_H24_IOMMUFD_ACCESS_PIN] = { BUG_H24_IOMMUFD_ACCESS_PIN, "H24",
					 "dmabuf iopt_pages reachable from the access-pin path",
					 "5f3fc0ad9a41", "dmabuf A3" },
	[BUG_H25_MLX5_DEREG_RACE] = { BUG_H25_MLX5_DEREG_RACE, "H25",
				      "mlx5 invalidate callback UMRs an mkey dereg already freed",
				      "mlx5 dereg race fix", "dmabuf uaf" },
	/* reference/dma-iommu.md: the fixed bugs the model implements the fix of */
	[BUG_DMA_DIRECT_SG_BREAK] = { BUG_DMA_DIRECT_SG_BREAK, "dma-direct-sg-break",
				      "dma_direct_map_sg leaves THRU_HOST_BRIDGE segments unmapped (break, not fallthrough)",
				      "June 2026 fix (Li RongQing): break -> fallthrough",
				      "route misdirected" },
	[BUG_IOMMU_SG_HEAD_LEN] = { BUG_IOMMU_SG_HEAD_LEN, "iommu-sg-head-len",
				    "iommu_dma_map_sg takes a bus-address segment's length from the list head",
				    "sg->length -> s->length in iommu_dma_map_sg()",
				    "route misdirected" },
	[BUG_IOVA_LINK_SWIOTLB_UNWIND] = { BUG_IOVA_LINK_SWIOTLB_UNWIND, "iova-link-swiotlb",
					   "two-step swiotlb link: empty middle mapped, unwind from the wrong offset",
					   "6ec91df8aff7 iommu/dma: Do not try to iommu_map a 0 length region in swiotlb",
					   "iotlb iova-link-lost" },
	[BUG_IOVA_UNLINK_ZERO_PHYS] = { BUG_IOVA_UNLINK_ZERO_PHYS, "iova-unlink-zero",
					"the unlink slow path retries a granule with no translation forever",
					"v5 -> v6 of 433a76207dcf dma-mapping: Implement link/unlink ranges API "
					"(WARN_ON(!phys): continue -> return, Robin Murphy's review)",
					"iotlb hang" },
	[BUG_HMM_SYNC_FAIL_NO_UNLINK] = { BUG_HMM_SYNC_FAIL_NO_UNLINK, "hmm-sync-no-unlink",
					  "hmm_dma_map_pfn does not unlink when dma_iova_sync fails",
					  "mm/hmm.c: \"If the sync fails, unlink\"",
					  "iotlb iova-freed-while-mapped" },
};

const struct bug_info *bug_info(enum bug_id id)
{
	if (id <= BUG_NONE || id >= BUG__COUNT)
		return NULL;
	return &catalogue[id];
}

enum bug_id bug_find(const char *name)
{
	for (int id = BUG_NONE + 1; id < BUG__COUNT; id++)
		if (catalogue[id].name && !strcasecmp(catalogue[id].name, name))
			return (enum bug_id)id;
	return BUG_NONE;
}
