/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pci.h - the PCI fabric model: host bridges, buses, functions, BARs, windows.
 *
 * This is the resolved, in-memory machine that every other layer reads. It is
 * built once (by the topology loader through the builder functions below, or
 * by tests directly), then frozen by pci_fabric_finalize(); after that it is
 * read-only except for the few run-time registers that device events change
 * (ACS Control, command register), which go through setters.
 *
 * Shapes follow the kernel: a pci_dev sits on a pci_bus; a bridge owns a
 * subordinate bus; a root bus has no parent bridge and belongs to a host
 * bridge; a VF sits on a bus too but is found from its PF through physfn.
 *
 * Invariants after finalize:
 *  - every device has bus != NULL, and bus->number/devfn form a BDF unique in
 *    its domain;
 *  - fabric->devs[] lists every function (VFs included) in depth-first scan
 *    order, the order of the kernel's global device list (for_each_pci_dev);
 *    dev->index is the position in that array;
 *  - each root bus lists its devices in ascending devfn order, so
 *    host_bridge->bus->devs[0] is the kernel's "first device on the root bus".
 */
#ifndef P2PSIM_MODELS_PCI_H
#define P2PSIM_MODELS_PCI_H

#include "models/types.h"

/* PCIe Device/Port Type (PCI_EXP_FLAGS_TYPE) plus the element it came from. */
enum pci_dev_type {
	PCI_TYPE_ENDPOINT,       /* PCI_EXP_TYPE_ENDPOINT: <endpoint> under a port */
	PCI_TYPE_RC_END,         /* PCI_EXP_TYPE_RC_END: <endpoint> on a root bus */
	PCI_TYPE_ROOT_FUNCTION,  /* <function>: a root-bus function that does no DMA */
	PCI_TYPE_ROOT_PORT,      /* PCI_EXP_TYPE_ROOT_PORT */
	PCI_TYPE_UPSTREAM,       /* PCI_EXP_TYPE_UPSTREAM: switch upstream port */
	PCI_TYPE_DOWNSTREAM,     /* PCI_EXP_TYPE_DOWNSTREAM: switch downstream port */
};

/* ACS Control / Capability bits (include/uapi/linux/pci_regs.h). */
#define PCI_ACS_SV 0x0001
#define PCI_ACS_TB 0x0002
#define PCI_ACS_RR 0x0004
#define PCI_ACS_CR 0x0008
#define PCI_ACS_UF 0x0010
#define PCI_ACS_EC 0x0020
#define PCI_ACS_DT 0x0040

#define PCI_NUM_BARS 6

enum pci_bar_kind {
	PCI_BAR_NONE = 0,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,
	PCI_BAR_IO,
};

struct pci_bar {
	enum pci_bar_kind kind; /* PCI_BAR_NONE: slot unused (or upper half of a 64-bit BAR) */
	bool prefetchable;
	bool p2pmem;          /* offered as P2P memory (p2pmem="yes") */
	bool address_given;   /* the topology gave the address; enumeration checks it */
	u64 size_bytes;       /* a power of two */
	phys_addr_t cpu_addr; /* pci_resource_start(): CPU physical address */
	pci_bus_addr_t bus_addr; /* pci_bus_address(): what the fabric routes */
	int line;             /* source line of the <bar> element, 0 if none */
};

/* A bridge's forwarding window, in bus addresses; empty when limit < base. */
struct pci_window {
	pci_bus_addr_t base;
	pci_bus_addr_t limit; /* inclusive */
};

struct pci_host_bridge;
struct pci_bus;

struct pci_dev {
	/* identity */
	char *id;               /* unique name from the topology, e.g. "gpu0", "nic0.vf3" */
	char *switch_id;        /* upstream/downstream ports: id of their <switch>, else NULL */
	char name[16];          /* pci_name(): "DDDD:BB:DD.F" ("DDDDD:..." for VMD domains), by finalize */
	enum pci_dev_type type;
	u16 vendor;
	u16 device;
	u32 class_code;         /* 24-bit class code, e.g. 0x030200 */
	u8 devfn;               /* (dev << 3) | fn */
	int line;               /* source line of the element, 0 if built in code */

	/* position in the tree */
	struct pci_bus *bus;          /* the bus this function sits on */
	struct pci_bus *subordinate;  /* bridges: the bus behind it */
	struct pci_host_bridge *host; /* pci_find_host_bridge() */
	size_t index;                 /* position in fabric->devs[] */
	int depth;                    /* nodes from here up to the root-bus device, inclusive */

	/* SR-IOV */
	bool is_virtfn;
	struct pci_dev *physfn;    /* VF: its PF */
	unsigned int vf_index;     /* VF: N in "PFID.vfN" */
	unsigned int num_vfs;      /* PF: VFs created */
	struct pci_dev **virtfn;   /* PF: its VFs, num_vfs of them */
	u16 vf_offset, vf_stride, vf_device;
	u64 vf_bar_size;

	/* ACS extended capability: has_acs is pdev->acs_cap != 0 */
	bool has_acs;
	u16 acs_cap;
	u16 acs_ctrl;

	/* memory */
	struct pci_bar bars[PCI_NUM_BARS];
	struct pci_window mem_window;  /* bridges: non-prefetchable (32-bit) window */
	struct pci_window pref_window; /* bridges: prefetchable window */

	/* DMA properties */
	unsigned int dma_mask_bits; /* 1..64 */
	bool coherent;
	bool untrusted;             /* external-facing: forces strict + bouncing */

	/* run-time state changed by device events */
	bool memory_decode;         /* command register Memory Space Enable */
};

struct pci_bus {
	u8 number;
	u8 subordinate_number;        /* highest bus number below (bridged buses) */
	bool number_given;            /* the topology gave it; enumeration checks it */
	bool subordinate_given;       /* the topology gave subordinate_number; enumeration checks it */
	struct pci_dev *self;         /* bridge leading to this bus; NULL for a root bus */
	struct pci_bus *parent;       /* NULL for a root bus */
	struct pci_host_bridge *host;
	struct pci_dev **devs;        /* functions on this bus (VFs included), devfn order */
	size_t nr_devs;
	size_t cap_devs;
};

enum pci_aperture_kind {
	PCI_APERTURE_MEM32,
	PCI_APERTURE_MEM64,
};

struct pci_aperture {
	enum pci_aperture_kind kind;
	phys_addr_t cpu_base;
	u64 size_bytes;
	u64 bus_offset; /* bus address = cpu address - bus_offset (host bridge window offset) */
	int line;
};

struct pci_host_bridge {
	char *id;
	u32 domain;             /* PCI segment; up to 0xffff (VMD-style domains 0x10000-0xfffff too) */
	struct pci_bus *bus;    /* the root bus */
	char *iommu_id;         /* NULL when the host bridge has no IOMMU */
	int iommu_index;        /* index into the topology's IOMMUs, -1 if none */
	bool p2p_forwarding;    /* hardware routes P2P between its root ports */
	int numa_node;          /* -1 when unknown */
	struct pci_aperture *apertures;
	size_t nr_apertures;
	size_t index;           /* position in fabric->hosts[] */
	int line;
};

struct pci_fabric {
	struct pci_host_bridge **hosts;
	size_t nr_hosts;
	struct pci_dev **devs; /* every function, depth-first scan order (see top of file) */
	size_t nr_devs;
	struct pci_bus **buses;
	size_t nr_buses;
	bool finalized;
	/* private look-up indexes built by finalize */
	struct pci_dev **by_id;   /* sorted by id */
	struct pci_dev **by_name; /* sorted by pci_name */
	size_t cap_hosts, cap_devs, cap_buses;
};

/* --- building (loader and tests) ---------------------------------------- */

struct pci_fabric *pci_fabric_new(void);
void pci_fabric_free(struct pci_fabric *fab);

/* A host bridge and its (empty) root bus. Returns NULL on allocation failure. */
struct pci_host_bridge *pci_fabric_add_host_bridge(struct pci_fabric *fab, const char *id,
						   u32 domain, u8 root_bus_number);

/* Add an aperture to @host. Returns 0 or -ENOMEM. */
int pci_host_bridge_add_aperture(struct pci_host_bridge *host, enum pci_aperture_kind kind,
				 phys_addr_t cpu_base, u64 size_bytes, u64 bus_offset, int line);

/*
 * Add a function on @bus at @devfn. Fields other than id/type/devfn/bus/host
 * are defaulted (dma_mask_bits 64, coherent, memory_decode on) and may be set
 * by the caller afterwards. Returns NULL on allocation failure.
 */
struct pci_dev *pci_fabric_add_dev(struct pci_fabric *fab, struct pci_bus *bus, const char *id,
				   enum pci_dev_type type, u8 devfn);

/*
 * Give bridge @bridge its subordinate bus. The bus number may be 0 and
 * "not given" (number_given false) when enumeration will assign it.
 */
struct pci_bus *pci_fabric_add_bus(struct pci_fabric *fab, struct pci_dev *bridge, u8 number,
				   bool number_given);

/*
 * Create @pf's VFs from its SR-IOV fields (num_vfs, vf_offset, vf_stride,
 * vf_device, vf_bar_size): ids "PFID.vfN", routing IDs per the First VF
 * Offset / VF Stride rule (computed at finalize, once bus numbers are known).
 * Returns 0 or -ENOMEM.
 */
int pci_fabric_add_vfs(struct pci_fabric *fab, struct pci_dev *pf);

/*
 * Freeze the fabric: place VFs at their routing IDs, sort buses, fill names,
 * depths, the scan-order device array and the look-up indexes.
 * Returns 0, or -EINVAL with a message in @msg (size @msglen) and the
 * offending device in *@bad_dev when a VF routing ID falls outside its bus
 * range or collides.
 */
int pci_fabric_finalize(struct pci_fabric *fab, char *msg, size_t msglen,
			struct pci_dev **bad_dev);

/* --- queries ------------------------------------------------------------ */

struct pci_dev *pci_fabric_find_id(const struct pci_fabric *fab, const char *id);
/* By "DDDD:BB:DD.F" (also accepts "BB:DD.F" for domain 0). */
struct pci_dev *pci_fabric_find_name(const struct pci_fabric *fab, const char *name);
/* By id, else by BDF. */
struct pci_dev *pci_fabric_find(const struct pci_fabric *fab, const char *id_or_bdf);

static inline bool pci_is_root_bus(const struct pci_bus *bus)
{
	return bus->parent == NULL;
}

static inline unsigned int PCI_SLOT(u8 devfn)
{
	return devfn >> 3;
}

static inline unsigned int PCI_FUNC(u8 devfn)
{
	return devfn & 7;
}

static inline u8 PCI_DEVFN(unsigned int slot, unsigned int fn)
{
	return (u8)(((slot & 0x1f) << 3) | (fn & 7));
}

static inline const struct pci_dev *pci_physfn(const struct pci_dev *dev)
{
	return dev->is_virtfn ? dev->physfn : dev;
}

/* pci_upstream_bridge(): the PF's parent bridge; NULL on a root bus. */
static inline struct pci_dev *pci_upstream_bridge(const struct pci_dev *dev)
{
	dev = pci_physfn(dev);
	if (pci_is_root_bus(dev->bus))
		return NULL;
	return dev->bus->self;
}

static inline u32 pci_domain_nr(const struct pci_dev *dev)
{
	return dev->host->domain;
}

/* pci_dev_id(): (bus << 8) | devfn */
static inline u16 pci_dev_id(const struct pci_dev *dev)
{
	return (u16)((dev->bus->number << 8) | dev->devfn);
}

static inline bool pci_is_bridge(const struct pci_dev *dev)
{
	return dev->type == PCI_TYPE_ROOT_PORT || dev->type == PCI_TYPE_UPSTREAM ||
	       dev->type == PCI_TYPE_DOWNSTREAM;
}

/* Does this function issue DMA (an endpoint, RCiEP or VF)? */
static inline bool pci_is_dma_capable(const struct pci_dev *dev)
{
	return dev->type == PCI_TYPE_ENDPOINT || dev->type == PCI_TYPE_RC_END;
}

/* The host bridge's first root-bus function (head of host->bus->devices), or NULL. */
struct pci_dev *pci_host_bridge_first_dev(const struct pci_host_bridge *host);

/* Which function has a memory BAR holding CPU physical address @addr? NULL if none. */
struct pci_dev *pci_fabric_find_bar_by_cpu(const struct pci_fabric *fab, phys_addr_t addr,
					   int *bar_out);

const char *pci_dev_type_name(enum pci_dev_type type);

#endif /* P2PSIM_MODELS_PCI_H */
