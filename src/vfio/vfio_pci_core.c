// SPDX-License-Identifier: GPL-2.0-only
/*
 * Follows drivers/vfio/pci/vfio_pci_core.c + vfio_pci_config.c + drivers/vfio/vfio_main.c
 * (registration, device sets) at intel-lab-lkp @0c8db53a7809 / @1370e462a8f3 (7.0+ with
 * d97708701434 cleanup-before-disable), reference/dmabuf-vfio.md §2.2, §2.8.
 *
 * vfio_pci_core.c - the vfio-pci paths that revoke and un-revoke the
 * device's dma-bufs (vfio_pci_core.h), each in the kernel's order:
 * take memory_lock (zapping CPU BAR mappings first when memory goes
 * away), move(true) BEFORE the physical event, the event, then move(false)
 * only if memory is enabled again (D0 and MEM set), unlock.
 *
 * Injection points: H2 (FLR restore revokes), H4 (MEM clear without the
 * revoke), H8 (init_dev skips the list / lock set-up), H9 (hot-reset
 * un-revoke in a forward loop), H10 (undo reads a never-opened device's
 * vconfig), H19 (close disables before cleanup).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/vfio/vfio_pci_core.h"
#include "src/vfio/vfio_pci_dmabuf.h"

static const struct bug_set *vdev_bugs(const struct vfio_pci_core_device *vdev)
{
	return vdev->sys->bugs;
}

static void hw_event(struct vfio_pci_core_device *vdev, enum vfio_hw_event what)
{
	struct sim_event ev = { .kind = EV_VFIO_HW_EVENT,
				.dev = vdev->pdev,
				.flags = what,
				.count = vfio_pci_memory_enabled_quiet(vdev) &&
					 vdev->pdev->memory_decode };

	dmabuf_sys_emit(vdev->sys, &ev);
}

/* The function decodes memory: MEM set, enabled, and in D0..D2. */
static void vfio_pci_hw_update_decode(struct vfio_pci_core_device *vdev)
{
	vdev->pdev->memory_decode =
		vdev->hw_command_memory && vdev->enabled && vdev->current_state < PCI_D3hot;
}

/* --- set-up ------------------------------------------------------------------------- */

int vfio_device_set_init(struct vfio_device_set *dev_set, struct dmabuf_sys *sys)
{
	memset(dev_set, 0, sizeof(*dev_set));
	mutex_init(&dev_set->lock, sys, "dev_set->lock", LOCK_CLASS_DEV_SET);
	return 0;
}

void vfio_device_set_destroy(struct vfio_device_set *dev_set)
{
	free(dev_set->devs);
	dev_set->devs = NULL;
	dev_set->nr_devs = 0;
}

int vfio_pci_core_init_dev(struct vfio_pci_core_device *vdev, struct dmabuf_sys *sys,
			   struct pci_dev *pdev, struct p2pdma_ctx *p2pdma,
			   const struct vfio_pci_device_ops *pci_ops,
			   struct vfio_device_set *dev_set)
{
	struct vfio_pci_core_device **devs;
	int ret;

	memset(vdev, 0, sizeof(*vdev));
	vdev->sys = sys;
	vdev->pdev = pdev;
	vdev->name = pdev->id;
	vdev->p2pdma = p2pdma;
	vdev->pci_ops = pci_ops;
	vdev->dev_set = dev_set;
	vdev->current_state = PCI_D0;
	vdev->reset_works = true;
	vdev->owned_by_user = true;
	vdev->hw_command_memory = true; /* firmware left decode on */
	vdev->enabled = true;
	vdev->registrations = 1; /* vfio_register_group_dev() */
	/* uninitialised lock state until init_rwsem (bug H8 leaves it so) */
	vdev->memory_lock.dep_map.sys = sys;
	vdev->memory_lock.dep_map.name = "memory_lock";
	vdev->memory_lock.dep_map.cls = LOCK_CLASS_MEMORY;
	vdev->memory_lock.dep_map.writer = -1;
	vdev->memory_lock.dep_map.owner_dev = pdev;

	if (dev_set) {
		devs = realloc(dev_set->devs, (dev_set->nr_devs + 1) * sizeof(*devs));
		if (!devs)
			return -ENOMEM;
		dev_set->devs = devs;
		devs[dev_set->nr_devs++] = vdev;
	}

	ret = pcim_p2pdma_init(p2pdma, pdev);
	if (bug_injected(vdev_bugs(vdev), BUG_H8_P2PDMA_INIT_CHECK)) {
		/* H8: `if (ret != -EOPNOTSUPP) return ret;` - success returns early */
		if (ret != -EOPNOTSUPP)
			return ret;
	} else if (ret && ret != -EOPNOTSUPP) {
		return ret;
	}

	vdev->dmabufs = NULL;
	vdev->dmabufs_initialized = true;
	init_rwsem(&vdev->memory_lock, sys, "memory_lock");
	vdev->memory_lock.dep_map.owner_dev = pdev;
	vfio_pci_hw_update_decode(vdev);
	return 0;
}

/* --- registration ----------------------------------------------------------------- */

static void registration_emit(struct vfio_pci_core_device *vdev, bool get, int ret)
{
	struct sim_event ev = { .kind = EV_VFIO_REGISTRATION,
				.dev = vdev->pdev,
				.count = (unsigned int)vdev->registrations,
				.flags = get,
				.ret = ret };

	dmabuf_sys_emit(vdev->sys, &ev);
}

bool vfio_device_try_get_registration(struct vfio_pci_core_device *vdev)
{
	if (vdev->registrations <= 0) {
		registration_emit(vdev, true, -ENODEV);
		return false;
	}
	vdev->registrations++;
	registration_emit(vdev, true, 0);
	return true;
}

/* The end of vfio_unregister_group_dev() and the driver's remove(): devm actions run. */
static void vfio_pci_core_unregister_finish(struct vfio_pci_core_device *vdev)
{
	struct sim_event ev = { .kind = EV_P2PDMA_PROVIDER_RELEASE, .dev = vdev->pdev };

	vdev->unregistered = true;
	hw_event(vdev, VFIO_HW_UNPLUG);
	/* devm: pci_p2pdma_release() frees the provider array */
	pci_p2pdma_release(vdev->p2pdma, vdev->pdev);
	vdev->providers_released = true;
	dmabuf_sys_emit(vdev->sys, &ev);
}

void vfio_device_put_registration(struct vfio_pci_core_device *vdev)
{
	if (vdev->registrations <= 0) {
		/* refcount underflow: a registration dropped twice */
		registration_emit(vdev, false, -EOVERFLOW);
		dmabuf_warn(vdev->sys, DMABUF_WARN_GENERIC, 0);
		return;
	}
	vdev->registrations--;
	registration_emit(vdev, false, 0);
	if (!vdev->registrations && vdev->unregistering && !vdev->unregistered)
		vfio_pci_core_unregister_finish(vdev);
}

int vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev)
{
	if (vdev->unregistering)
		return -EINVAL;
	vdev->unregistering = true;
	/* drop the initial registration, then wait for device fds and dma-bufs */
	vfio_device_put_registration(vdev);
	if (vdev->unregistered)
		return 0;
	/* ops->request: signal userspace to give the device back */
	vdev->requests++;
	return -EAGAIN;
}

/* --- memory state ----------------------------------------------------------------- */

bool __vfio_pci_memory_enabled(struct vfio_pci_core_device *vdev)
{
	if (!vdev->vconfig_valid) {
		/* vdev->vconfig is NULL for a device never opened */
		dmabuf_warn(vdev->sys, DMABUF_WARN_OOPS, 0);
		return false;
	}
	return vfio_pci_memory_enabled_quiet(vdev);
}

bool vfio_pci_memory_enabled_quiet(const struct vfio_pci_core_device *vdev)
{
	return vdev->vconfig_valid && vdev->current_state < PCI_D3hot &&
	       (vdev->no_command_memory || (vdev->vconfig_command & PCI_COMMAND_MEMORY));
}

void vfio_pci_zap_bars(struct vfio_pci_core_device *vdev)
{
	/* unmap_mapping_range() of BAR0..ROM: CPU mmaps fault (SIGBUS while disabled) */
	hw_event(vdev, VFIO_HW_BARS_ZAPPED);
}

void vfio_pci_zap_and_down_write_memory_lock(struct vfio_pci_core_device *vdev)
{
	down_write(&vdev->memory_lock);
	vfio_pci_zap_bars(vdev);
}

int vfio_pci_set_power_state(struct vfio_pci_core_device *vdev, enum pci_power_state state)
{
	if (state == vdev->current_state)
		return 0;
	vdev->current_state = state;
	vfio_pci_hw_update_decode(vdev);
	hw_event(vdev, state >= PCI_D3hot ? VFIO_HW_D3HOT : VFIO_HW_D0);
	return 0;
}

int vfio_pci_core_setup_barmap(struct vfio_pci_core_device *vdev, int bar)
{
	const struct pci_bar *b;

	if (bar < 0 || bar >= PCI_NUM_BARS)
		return -EINVAL;
	b = &vdev->pdev->bars[bar];
	if (b->kind != PCI_BAR_MEM32 && b->kind != PCI_BAR_MEM64)
		return -EINVAL;
	vdev->bar_requested[bar] = true; /* pci_request_selected_regions() */
	return 0;
}

/* pci_try_reset_function(): the FLR itself. */
static int pci_try_reset_function(struct vfio_pci_core_device *vdev)
{
	hw_event(vdev, VFIO_HW_FLR);
	return vdev->reset_error;
}

/* --- triggers ------------------------------------------------------------------------ */

int vfio_pci_config_write_command(struct vfio_pci_core_device *vdev, u16 new_cmd)
{
	bool new_mem = new_cmd & PCI_COMMAND_MEMORY;
	bool old_mem;

	if (!vdev->vconfig_valid)
		return -EINVAL; /* config space is only reachable through an open device */

	if (!new_mem) {
		vfio_pci_zap_and_down_write_memory_lock(vdev);
		if (!bug_injected(vdev_bugs(vdev), BUG_H4_NO_REVOKE_ON_MEM_CLEAR))
			vfio_pci_dma_buf_move(vdev, true);
	} else {
		down_write(&vdev->memory_lock);
	}

	/* the virtual register, then the physical one */
	old_mem = vdev->hw_command_memory;
	vdev->vconfig_command = new_cmd;
	vdev->hw_command_memory = new_mem;
	vfio_pci_hw_update_decode(vdev);
	if (old_mem != new_mem)
		hw_event(vdev, new_mem ? VFIO_HW_MEM_ON : VFIO_HW_MEM_OFF);

	if (__vfio_pci_memory_enabled(vdev))
		vfio_pci_dma_buf_move(vdev, false);
	up_write(&vdev->memory_lock);
	return 0;
}

void vfio_lock_and_set_power_state(struct vfio_pci_core_device *vdev, enum pci_power_state state)
{
	if (state >= PCI_D3hot) {
		vfio_pci_zap_and_down_write_memory_lock(vdev);
		vfio_pci_dma_buf_move(vdev, true);
	} else {
		down_write(&vdev->memory_lock);
	}

	vfio_pci_set_power_state(vdev, state);

	if (__vfio_pci_memory_enabled(vdev))
		vfio_pci_dma_buf_move(vdev, false);
	up_write(&vdev->memory_lock);
}

/* The FLR branch shared by vfio_exp_config_write() and vfio_af_config_write(). */
static void vfio_pci_config_flr(struct vfio_pci_core_device *vdev)
{
	vfio_pci_zap_and_down_write_memory_lock(vdev);
	vfio_pci_dma_buf_move(vdev, true);
	pci_try_reset_function(vdev);
	if (__vfio_pci_memory_enabled(vdev))
		/* H2: the early fixup "restored" with another revoke */
		vfio_pci_dma_buf_move(vdev,
				      bug_injected(vdev_bugs(vdev), BUG_H2_FLR_RESTORE_REVOKES));
	up_write(&vdev->memory_lock);
}

void vfio_exp_config_write_flr(struct vfio_pci_core_device *vdev)
{
	vfio_pci_config_flr(vdev);
}

void vfio_af_config_write_flr(struct vfio_pci_core_device *vdev)
{
	vfio_pci_config_flr(vdev);
}

int vfio_pci_ioctl_reset(struct vfio_pci_core_device *vdev)
{
	int ret;

	if (!vdev->reset_works)
		return -EINVAL;

	vfio_pci_zap_and_down_write_memory_lock(vdev);
	/* the reset may be asked for in a low-power state: come back to D0 first */
	vfio_pci_set_power_state(vdev, PCI_D0);
	vfio_pci_dma_buf_move(vdev, true);
	ret = pci_try_reset_function(vdev);
	if (__vfio_pci_memory_enabled(vdev))
		vfio_pci_dma_buf_move(vdev, false);
	up_write(&vdev->memory_lock);
	return ret;
}

/* pci_reset_bus(): a secondary bus reset of every function of the set. */
static int pci_reset_bus(struct vfio_device_set *dev_set)
{
	for (size_t i = 0; i < dev_set->nr_devs; i++)
		hw_event(dev_set->devs[i], VFIO_HW_BUS_RESET);
	return dev_set->reset_error;
}

/* The undo of vfio_pci_dev_set_hot_reset(): entries [0, @locked) in reverse. */
static void hot_reset_undo(struct vfio_device_set *dev_set, size_t locked)
{
	for (size_t j = locked; j-- > 0;) {
		struct vfio_pci_core_device *vdev = dev_set->devs[j];
		bool gate = vdev->open_count ||
			    bug_injected(vdev_bugs(vdev), BUG_H10_UNDO_NEVER_OPENED);

		/* a never-opened device has no vconfig: only opened ones can be enabled */
		if (gate && __vfio_pci_memory_enabled(vdev))
			vfio_pci_dma_buf_move(vdev, false);
		up_write(&vdev->memory_lock);
	}
}

/* H9 (v6): un-revoke in a forward loop over every device, then unlock the locked ones. */
static void hot_reset_undo_h9(struct vfio_device_set *dev_set, size_t locked)
{
	for (size_t j = 0; j < dev_set->nr_devs; j++) {
		struct vfio_pci_core_device *vdev = dev_set->devs[j];

		if (vdev->open_count && __vfio_pci_memory_enabled(vdev))
			vfio_pci_dma_buf_move(vdev, false);
	}
	for (size_t j = 0; j < locked; j++)
		up_write(&dev_set->devs[j]->memory_lock);
}

int vfio_pci_dev_set_hot_reset(struct vfio_device_set *dev_set)
{
	size_t i, locked = 0;
	int ret = 0;

	if (!dev_set->nr_devs)
		return -EINVAL;
	mutex_lock(&dev_set->lock);

	for (i = 0; i < dev_set->nr_devs; i++) {
		struct vfio_pci_core_device *vdev = dev_set->devs[i];

		/* every device of the set must belong to the caller */
		if (!vdev->owned_by_user) {
			ret = -EINVAL;
			break;
		}
		/* someone is using the memory (e.g. a fault handler): give up */
		if (!down_write_trylock(&vdev->memory_lock)) {
			ret = -EBUSY;
			break;
		}
		locked = i + 1;
		vfio_pci_dma_buf_move(vdev, true);
		vfio_pci_zap_bars(vdev);
	}

	if (i == dev_set->nr_devs) {
		for (size_t j = 0; j < dev_set->nr_devs; j++)
			vfio_pci_set_power_state(dev_set->devs[j], PCI_D0);
		ret = pci_reset_bus(dev_set);
	}

	if (bug_injected(dev_set->nr_devs ? vdev_bugs(dev_set->devs[0]) : NULL,
			 BUG_H9_UNREVOKE_FORWARD_LOOP))
		hot_reset_undo_h9(dev_set, locked);
	else
		hot_reset_undo(dev_set, locked);

	mutex_unlock(&dev_set->lock);
	return ret;
}

int vfio_pci_runtime_pm_entry(struct vfio_pci_core_device *vdev)
{
	vfio_pci_zap_and_down_write_memory_lock(vdev);
	vfio_pci_dma_buf_move(vdev, true);
	if (vdev->pm_runtime_engaged) {
		up_write(&vdev->memory_lock);
		return -EINVAL;
	}
	vdev->pm_runtime_engaged = true;
	hw_event(vdev, VFIO_HW_LOWPOWER_ENTER);
	/* pm_runtime_put_noidle(): the PM core suspends it to D3hot */
	vfio_pci_set_power_state(vdev, PCI_D3hot);
	up_write(&vdev->memory_lock);
	return 0;
}

/* __vfio_pci_runtime_pm_exit(): memory_lock held. */
static void __vfio_pci_runtime_pm_exit(struct vfio_pci_core_device *vdev)
{
	if (!vdev->pm_runtime_engaged)
		return;
	vdev->pm_runtime_engaged = false;
	/* pm_runtime_get_noresume() + resume: back to D0 */
	vfio_pci_set_power_state(vdev, PCI_D0);
	hw_event(vdev, VFIO_HW_LOWPOWER_EXIT);
}

void vfio_pci_runtime_pm_exit(struct vfio_pci_core_device *vdev)
{
	down_write(&vdev->memory_lock);
	__vfio_pci_runtime_pm_exit(vdev);
	if (__vfio_pci_memory_enabled(vdev))
		vfio_pci_dma_buf_move(vdev, false);
	up_write(&vdev->memory_lock);
}

void vfio_pci_core_runtime_resume(struct vfio_pci_core_device *vdev)
{
	/* the wake-eventfd path: no move(false); buffers stay revoked */
	down_write(&vdev->memory_lock);
	__vfio_pci_runtime_pm_exit(vdev);
	up_write(&vdev->memory_lock);
}

int vfio_pci_core_open_device(struct vfio_pci_core_device *vdev)
{
	if (!vfio_device_try_get_registration(vdev))
		return -ENODEV;
	if (vdev->dev_set)
		mutex_lock(&vdev->dev_set->lock);
	if (!vdev->open_count++) {
		/* vfio_pci_core_enable(): pci_enable_device(), vfio_config_init() */
		vdev->enabled = true;
		vdev->hw_command_memory = true;
		vdev->vconfig_valid = true;
		vdev->vconfig_command = PCI_COMMAND_MEMORY;
		vfio_pci_hw_update_decode(vdev);
		hw_event(vdev, VFIO_HW_ENABLE);
	}
	if (vdev->dev_set)
		mutex_unlock(&vdev->dev_set->lock);
	return 0;
}

void vfio_pci_core_disable(struct vfio_pci_core_device *vdev)
{
	/* leave low power (un-revokes if memory is enabled!) */
	vfio_pci_runtime_pm_exit(vdev);
	vfio_pci_set_power_state(vdev, PCI_D0);
	/* irqs off, bus master off; then the BARs' resources go back */
	for (int bar = 0; bar < PCI_NUM_BARS; bar++) {
		if (!vdev->bar_requested[bar])
			continue;
		vdev->bar_requested[bar] = false;
		hw_event(vdev, VFIO_HW_REGION_RELEASE);
	}
	pci_try_reset_function(vdev);
	/* pci_disable_device(): no more memory decode */
	vdev->enabled = false;
	vdev->hw_command_memory = false;
	vfio_pci_hw_update_decode(vdev);
	hw_event(vdev, VFIO_HW_DISABLE);
	/* vfio_config_free(): vconfig back to NULL */
	vdev->vconfig_valid = false;
	vdev->vconfig_command = 0;
}

int vfio_pci_core_close_device(struct vfio_pci_core_device *vdev)
{
	if (!vdev->open_count)
		return -EINVAL;
	if (vdev->dev_set)
		mutex_lock(&vdev->dev_set->lock);
	if (!--vdev->open_count) {
		if (bug_injected(vdev_bugs(vdev), BUG_H19_DISABLE_BEFORE_CLEANUP)) {
			/* H19 (6.19 - 7.0): MSE cleared, BARs released with importers mapped */
			vfio_pci_core_disable(vdev);
			vfio_pci_dma_buf_cleanup(vdev);
		} else {
			/* d97708701434: revoke and drain before the function goes away */
			vfio_pci_dma_buf_cleanup(vdev);
			vfio_pci_core_disable(vdev);
		}
	}
	if (vdev->dev_set)
		mutex_unlock(&vdev->dev_set->lock);
	/* the device fd's registration */
	vfio_device_put_registration(vdev);
	return 0;
}
