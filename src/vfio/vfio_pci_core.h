/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Follows drivers/vfio/pci/vfio_pci_core.c, vfio_pci_config.c, vfio_pci_priv.h and the
 * vfio core's registration / device-set code (intel-lab-lkp @0c8db53a7809 / @1370e462a8f3,
 * v7.0+ with the cleanup-before-disable fix), reference/dmabuf-vfio.md §2.3, §2.8.
 *
 * vfio_pci_core.h - the part of a vfio-pci device that the dma-buf revoke
 * protocol depends on: memory_lock (an rwsem), the list of exported
 * dma-bufs, the virtual config space's PCI_COMMAND, the power state, the
 * open count, registrations, the device set, and every trigger that revokes
 * or un-revokes (§2.8): PCI_COMMAND memory off/on, PM_CTRL D3hot/D0, PCIe
 * and AF FLR, VFIO_DEVICE_RESET, hot reset of a device set (with the
 * reverse-order undo), low-power entry/exit, close (cleanup before
 * disable) and unplug (unregister waiting for registrations, then devm
 * frees the p2pdma providers).
 *
 * Hardware: the physical command register's Memory Space Enable is
 * pdev->memory_decode (models/pci/pci.h), which the router reads on every
 * TLP; here it is written as "MEM set && D0 && enabled" (a function in
 * D3hot or disabled decodes no memory). Physical events are emitted as
 * EV_VFIO_HW_EVENT so a checker can order revokes against them (R6).
 *
 * Owned here: struct vfio_pci_core_device, struct vfio_device_set.
 */
#ifndef P2PSIM_SRC_VFIO_VFIO_PCI_CORE_H
#define P2PSIM_SRC_VFIO_VFIO_PCI_CORE_H

#include "src/dma-buf/dma-buf.h"
#include "src/pci/p2pdma.h"

#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

/* pci_power_t */
enum pci_power_state {
	PCI_D0 = 0,
	PCI_D1,
	PCI_D2,
	PCI_D3hot,
	PCI_D3cold,
};

/* EV_VFIO_HW_EVENT flags: the physical events revokes are ordered against. */
enum vfio_hw_event {
	VFIO_HW_MEM_OFF = 1, /* PCI_COMMAND Memory Space Enable cleared */
	VFIO_HW_MEM_ON,
	VFIO_HW_D3HOT, /* entered D3hot (no memory decode) */
	VFIO_HW_D0,
	VFIO_HW_FLR, /* function level reset (pci_try_reset_function) */
	VFIO_HW_BUS_RESET, /* secondary bus reset of the device set */
	VFIO_HW_BARS_ZAPPED, /* CPU mappings of the BARs zapped (vfio_pci_zap_bars) */
	VFIO_HW_REGION_RELEASE, /* a BAR's resources released (another driver may claim them) */
	VFIO_HW_DISABLE, /* pci_disable_device() */
	VFIO_HW_LOWPOWER_ENTER,
	VFIO_HW_LOWPOWER_EXIT,
	VFIO_HW_UNPLUG, /* unregister finished; driver remove returns */
	VFIO_HW_ENABLE, /* first open: vfio_pci_core_enable() (pci_enable_device, vconfig init) */
};

/* EV_VFIO_EXPORT flags: what the exporter's checks should have looked at (F7) */
#define VFIO_EXPORTF_BAR_REQUESTED (1u << 0) /* the region's BAR resources are requested */
#define VFIO_EXPORTF_NON_MAPPABLE (1u << 1) /* the device has non_mappable_bars */
/* the region is device memory behind a virtual BAR (nvgrace): phys / len = that memory */
#define VFIO_EXPORTF_DEVICE_MEMORY (1u << 2)

struct vfio_pci_dma_buf;
struct vfio_pci_core_device;
struct vfio_pci_device_ops;

/* struct vfio_device_set: devices reset together; its lock is outermost (L4). */
struct vfio_device_set {
	struct mutex lock;
	struct vfio_pci_core_device **devs; /* device_list order */
	size_t nr_devs;
	int reset_error; /* what pci_reset_bus() returns (tests inject failures) */
};

struct vfio_pci_core_device {
	struct dmabuf_sys *sys;
	struct pci_dev *pdev;
	struct p2pdma_ctx *p2pdma;
	const struct vfio_pci_device_ops *pci_ops;
	struct vfio_device_set *dev_set;
	const char *name;

	struct rw_semaphore memory_lock;
	struct vfio_pci_dma_buf *dmabufs; /* list head (dmabufs_elm) */
	bool dmabufs_initialized; /* INIT_LIST_HEAD done (bug H8 skips it) */

	/* vdev->vconfig: NULL (vconfig_valid false) until the first open */
	bool vconfig_valid;
	u16 vconfig_command;
	/* the physical command register's MEM bit and enable state */
	bool hw_command_memory;
	bool enabled; /* pci_enable_device() done */
	enum pci_power_state current_state;
	bool no_command_memory;
	bool non_mappable_bars;
	bool reset_works;
	bool pm_runtime_engaged;
	bool owned_by_user; /* hot-reset ownership check */
	bool bar_requested[PCI_NUM_BARS]; /* pci_request_selected_regions() done (barmap) */
	int reset_error; /* what pci_try_reset_function() returns */

	unsigned int open_count;
	/* vfio_device registration refcount: the core's initial one, device fds, dma-bufs */
	int registrations;
	bool unregistering;
	bool unregistered;
	unsigned int requests; /* ops->request calls while unregistering */
	bool providers_released; /* devm: pci_p2pdma_release() ran */
};

/*
 * vfio_pci_core_init_dev() + vfio_pci_core_register_device(): pcim_p2pdma_init
 * (devm), dmabufs list, memory_lock, registration 1, D0, MEM on in hardware.
 * Adds @vdev to @dev_set. 0 or -ENOMEM.
 */
int vfio_pci_core_init_dev(struct vfio_pci_core_device *vdev, struct dmabuf_sys *sys,
			   struct pci_dev *pdev, struct p2pdma_ctx *p2pdma,
			   const struct vfio_pci_device_ops *pci_ops,
			   struct vfio_device_set *dev_set);
int vfio_device_set_init(struct vfio_device_set *dev_set, struct dmabuf_sys *sys);
void vfio_device_set_destroy(struct vfio_device_set *dev_set);

/* __vfio_pci_memory_enabled() (memory_lock held): D0-D2 and MEM set (or no_command_memory). */
bool __vfio_pci_memory_enabled(struct vfio_pci_core_device *vdev);
/* The same without touching vconfig (false for a never-opened device), for events. */
bool vfio_pci_memory_enabled_quiet(const struct vfio_pci_core_device *vdev);

bool vfio_device_try_get_registration(struct vfio_pci_core_device *vdev);
void vfio_device_put_registration(struct vfio_pci_core_device *vdev);

void vfio_pci_zap_bars(struct vfio_pci_core_device *vdev);
void vfio_pci_zap_and_down_write_memory_lock(struct vfio_pci_core_device *vdev);
/* vfio_pci_set_power_state() (no locking of its own) */
int vfio_pci_set_power_state(struct vfio_pci_core_device *vdev, enum pci_power_state state);
/* The BAR's resources requested (what mmap / read / write do lazily via vfio_pci_core_setup_barmap). */
int vfio_pci_core_setup_barmap(struct vfio_pci_core_device *vdev, int bar);

/* --- the triggers of reference §2.8 ---------------------------------------------- */

/* vfio_basic_config_write() of PCI_COMMAND with @new_cmd. */
int vfio_pci_config_write_command(struct vfio_pci_core_device *vdev, u16 new_cmd);
/* PM_CTRL write: vfio_lock_and_set_power_state(). */
void vfio_lock_and_set_power_state(struct vfio_pci_core_device *vdev, enum pci_power_state state);
/* PCIe DevCtl BCR_FLR (vfio_exp_config_write) / AF FLR (vfio_af_config_write). */
void vfio_exp_config_write_flr(struct vfio_pci_core_device *vdev);
void vfio_af_config_write_flr(struct vfio_pci_core_device *vdev);
/* VFIO_DEVICE_RESET: -EINVAL without reset_works, else pci_try_reset_function()'s result. */
int vfio_pci_ioctl_reset(struct vfio_pci_core_device *vdev);
/* VFIO_DEVICE_PCI_HOT_RESET: 0, -EINVAL (not owned), -EBUSY (trylock), or pci_reset_bus()'s error. */
int vfio_pci_dev_set_hot_reset(struct vfio_device_set *dev_set);
/* LOW_POWER_ENTRY[_WITH_WAKEUP]: 0 or -EINVAL (already engaged). */
int vfio_pci_runtime_pm_entry(struct vfio_pci_core_device *vdev);
/* LOW_POWER_EXIT / vfio_pci_runtime_pm_exit() */
void vfio_pci_runtime_pm_exit(struct vfio_pci_core_device *vdev);
/* The wake-eventfd path: leaves low power WITHOUT move(false) (reference observation). */
void vfio_pci_core_runtime_resume(struct vfio_pci_core_device *vdev);
/* Open the device fd: registration + open_count (+ vconfig, enable on the first open). */
int vfio_pci_core_open_device(struct vfio_pci_core_device *vdev);
/* Close the device fd: on the last close, dma-buf cleanup THEN vfio_pci_core_disable(). */
int vfio_pci_core_close_device(struct vfio_pci_core_device *vdev);
void vfio_pci_core_disable(struct vfio_pci_core_device *vdev);
/*
 * Unbind / hot-unplug: drop the initial registration and wait for the rest.
 * 0 when it finished (providers freed), -EAGAIN while registrations remain
 * (ops->request signalled; it finishes when the last one is put).
 */
int vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev);

#endif /* P2PSIM_SRC_VFIO_VFIO_PCI_CORE_H */
