// SPDX-License-Identifier: GPL-2.0-only
/*
 * sysfs.c - `p2psim import sysfs`: read a Linux sysfs PCI tree.
 *
 * INPUT is a directory holding sys/bus/pci/devices and sys/devices/pci*
 * (an extracted `hwloc-gather-topology --io` tarball, or `/`), or the sys
 * directory itself (`/sys`). Every entry of bus/pci/devices is a link into
 * devices/; the link target's path gives the tree: the last `pciDDDD:BB`
 * component is the host bridge (root bus), the BDF components after it are
 * the bridges above the function. Per function it reads class, vendor,
 * device, secondary_bus_number/subordinate_bus_number (bridges; else bytes
 * 0x19/0x1a of config), resource (BARs 0-5: start, end, flags), physfn (a
 * VF), driver (a label), and config: when the file is longer than 256 bytes
 * the extended capability list is walked for ACS (ID 0x000d: capability at
 * +4, control at +6); a 64- or 256-byte config (what hwloc-gather-topology
 * saves, or an unprivileged read) says nothing about ACS. The CPU comes from
 * proc/cpuinfo next to sys/ when it is there.
 *
 * Errors name the offending sysfs file.
 */
#define _GNU_SOURCE /* asprintf */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import.h"

#define IORESOURCE_IO 0x00000100
#define IORESOURCE_MEM 0x00000200
#define PCI_BASE_ADDRESS_MEM_TYPE_MASK 0x06
#define PCI_BASE_ADDRESS_MEM_TYPE_64 0x04
#define PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define IORESOURCE_MEM_64 0x00100000

#define PCI_EXT_CAP_ID_ACS 0x000d

struct sysfs_entry {
	char bdf[32];
	char *dir; /* resolved directory of the function */
	char parent_bdf[32]; /* "" when on a root bus */
	struct imp_fn *fn;
	bool attached; /* fn is owned by the tree */
	bool unconfigured; /* a bridge the firmware left without bus numbers */
	struct imp_hostbridge *hb;
};

struct sysfs_ctx {
	const char *input;
	struct imp_machine *m;
	struct p2psim_error *err;
	struct sysfs_entry *entries;
	size_t nr_entries, cap_entries;
	int acs_read, vfs, skipped_bars, unconfigured;
};

/* @a/@b into @out; false if it does not fit. */
static bool join(char *out, size_t size, const char *a, const char *b)
{
	int n = snprintf(out, size, "%s/%s", a, b);

	return n >= 0 && (size_t)n < size;
}

static int nomem(struct sysfs_ctx *c)
{
	p2psim_error_set(c->err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
	return P2PSIM_EINTERNAL;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* Read a small text file into @buf; -errno on failure. */
static int read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* A number file (class, vendor, ...): hex with 0x, or decimal. -ENOENT if absent. */
static int read_number(struct sysfs_ctx *c, const char *dir, const char *name, long max, long *out,
		       bool required)
{
	char path[PATH_MAX], buf[64], *end;
	long x;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ret = read_text(path, buf, sizeof(buf));
	if (ret) {
		if (!required)
			return -ENOENT;
		p2psim_error_set(c->err, P2PSIM_EINPUT, path, 0, 0, "cannot read: %s",
				 strerror(-ret));
		return P2PSIM_EINPUT;
	}
	errno = 0;
	x = strtol(buf, &end, 0);
	if (errno || end == buf || *end || x < 0 || x > max) {
		p2psim_error_set(c->err, P2PSIM_EINPUT, path, 1, 0,
				 "'%s' is not a number in [0, 0x%lx]", buf, max);
		return P2PSIM_EINPUT;
	}
	*out = x;
	return 0;
}

static int read_resources(struct sysfs_ctx *c, const char *dir, struct imp_fn *f)
{
	char path[PATH_MAX], line[256];
	FILE *file;
	int index = 0;

	snprintf(path, sizeof(path), "%s/resource", dir);
	file = fopen(path, "r");
	if (!file)
		return P2PSIM_OK; /* no BAR information */
	while (index < 6 && fgets(line, sizeof(line), file)) {
		unsigned long long start, end, flags;
		struct imp_bar *bar = &f->bars[index];
		int n = 0;

		if (sscanf(line, "%llx %llx %llx%n", &start, &end, &flags, &n) != 3 ||
		    (line[n] && line[n] != '\n') || end < start) {
			p2psim_error_set(c->err, P2PSIM_EINPUT, path, index + 1, 0,
					 "expected 'START END FLAGS' in hex");
			fclose(file);
			return P2PSIM_EINPUT;
		}
		index++;
		if (!(flags & (IORESOURCE_MEM | IORESOURCE_IO)) || (!start && !end))
			continue;
		if (!start) {
			c->skipped_bars++; /* not assigned: the kernel found no room */
			continue;
		}
		bar->present = true;
		bar->size_bytes = end - start + 1;
		bar->has_address = true;
		bar->address = start;
		/*
		 * The low bits are the BAR register's own type bits (IORESOURCE_BITS),
		 * stable across kernels, unlike IORESOURCE_PREFETCH (0x1000 before
		 * Linux 2.6.31, 0x2000 since).
		 */
		if (flags & IORESOURCE_IO) {
			bar->kind = IMP_BAR_IO;
		} else {
			bar->kind = (flags & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
							    PCI_BASE_ADDRESS_MEM_TYPE_64 ||
						    (flags & IORESOURCE_MEM_64) ?
					    IMP_BAR_MEM64 :
					    IMP_BAR_MEM32;
			bar->prefetchable = flags & PCI_BASE_ADDRESS_MEM_PREFETCH;
		}
	}
	fclose(file);
	return P2PSIM_OK;
}

static unsigned int le16(const unsigned char *p)
{
	return p[0] | (unsigned int)p[1] << 8;
}

static unsigned int le32(const unsigned char *p)
{
	return le16(p) | (unsigned int)le16(p + 2) << 16;
}

/* config: bus numbers for bridges without the sysfs files; ACS from extended space. */
static int read_config(struct sysfs_ctx *c, const char *dir, struct imp_fn *f)
{
	unsigned char cfg[4096];
	char path[PATH_MAX];
	unsigned int off = 0x100;
	size_t len;
	FILE *file;

	snprintf(path, sizeof(path), "%s/config", dir);
	file = fopen(path, "rb");
	if (!file)
		return P2PSIM_OK;
	len = fread(cfg, 1, sizeof(cfg), file);
	fclose(file);
	if (f->kind == IMP_BRIDGE && f->secondary == IMP_UNKNOWN && len >= 0x1b) {
		f->secondary = cfg[0x19];
		f->subordinate = cfg[0x1a];
	}
	if (len <= 256)
		return P2PSIM_OK; /* no extended space: ACS unknown */
	f->acs_known = true;
	for (int guard = 0; guard < 1024 && off >= 0x100 && off + 8 <= len; guard++) {
		unsigned int hdr = le32(cfg + off);

		if (!hdr || hdr == 0xffffffff)
			break;
		if ((hdr & 0xffff) == PCI_EXT_CAP_ID_ACS) {
			f->acs_present = true;
			f->acs_cap = le16(cfg + off + 4) & 0x7f;
			f->acs_ctrl = le16(cfg + off + 6) & 0x7f;
			c->acs_read++;
			break;
		}
		if ((hdr >> 20) <= off && (hdr >> 20))
			break; /* a loop: stop */
		off = hdr >> 20;
	}
	return P2PSIM_OK;
}

static int read_function(struct sysfs_ctx *c, struct sysfs_entry *e)
{
	long cls, vendor, device, sec, sub;
	int domain, bus, dev, fn, ret;
	char path[PATH_MAX], link[PATH_MAX];
	enum imp_kind kind;
	ssize_t n;

	if (imp_parse_bdf(e->bdf, &domain, &bus, &dev, &fn)) {
		p2psim_error_set(c->err, P2PSIM_EINPUT, e->dir, 0, 0, "'%s' is not a PCI address",
				 e->bdf);
		return P2PSIM_EINPUT;
	}
	ret = read_number(c, e->dir, "class", 0xffffff, &cls, true);
	if (!ret)
		ret = read_number(c, e->dir, "vendor", 0xffff, &vendor, true);
	if (!ret)
		ret = read_number(c, e->dir, "device", 0xffff, &device, true);
	if (ret)
		return ret;
	if ((cls >> 8) == 0x0604 || (cls >> 8) == 0x0609)
		kind = IMP_BRIDGE;
	else if (!e->parent_bdf[0] && (cls >> 8) == 0x0600)
		kind = IMP_HOSTFN;
	else
		kind = IMP_ENDPOINT;
	e->fn = imp_fn_new(kind, domain, bus, dev, fn, 0);
	if (!e->fn)
		return nomem(c);
	e->fn->class_code = cls;
	e->fn->vendor = (int)vendor;
	e->fn->device = (int)device;
	if (imp_strset(&e->fn->source, "%s", e->dir))
		return nomem(c);
	if (kind == IMP_BRIDGE) {
		ret = read_number(c, e->dir, "secondary_bus_number", 0xff, &sec, false);
		if (ret > 0)
			return ret;
		if (!ret) {
			ret = read_number(c, e->dir, "subordinate_bus_number", 0xff, &sub, true);
			if (ret)
				return ret;
			e->fn->secondary = (int)sec;
			e->fn->subordinate = (int)sub;
		}
	} else {
		ret = read_resources(c, e->dir, e->fn);
		if (ret)
			return ret;
	}
	ret = read_config(c, e->dir, e->fn);
	if (ret)
		return ret;
	if (kind == IMP_BRIDGE && (e->fn->secondary <= 0 || e->fn->secondary <= bus))
		e->unconfigured = true;

	snprintf(path, sizeof(path), "%s/physfn", e->dir);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		e->fn->is_vf = true;
		c->vfs++;
		if (imp_strset(&e->fn->note, "SR-IOV VF of %s (physfn link)",
			       strrchr(link, '/') ? strrchr(link, '/') + 1 : link))
			return nomem(c);
	}
	snprintf(path, sizeof(path), "%s/driver", e->dir);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0)
		link[n] = '\0';
	if (n > 0 && strcmp(strrchr(link, '/') ? strrchr(link, '/') + 1 : link, "pcieport")) {
		if (imp_strset(&e->fn->label, "driver=%s",
			       strrchr(link, '/') ? strrchr(link, '/') + 1 : link))
			return nomem(c);
	}
	return P2PSIM_OK;
}

static int add_entry(struct sysfs_ctx *c, const char *dir, const char *bdf, const char *parent,
		     struct imp_hostbridge *hb)
{
	struct sysfs_entry *e;

	if (c->nr_entries == c->cap_entries) {
		size_t cap = c->cap_entries ? 2 * c->cap_entries : 64;
		struct sysfs_entry *arr = realloc(c->entries, cap * sizeof(*arr));

		if (!arr)
			return nomem(c);
		c->entries = arr;
		c->cap_entries = cap;
	}
	e = &c->entries[c->nr_entries];
	memset(e, 0, sizeof(*e));
	/* both are BDF directory names (is_bdf_name: 12 characters) */
	if (strlen(bdf) >= sizeof(e->bdf) || (parent && strlen(parent) >= sizeof(e->parent_bdf)))
		return P2PSIM_OK;
	memcpy(e->bdf, bdf, strlen(bdf) + 1);
	if (parent)
		memcpy(e->parent_bdf, parent, strlen(parent) + 1);
	e->hb = hb;
	e->dir = strdup(dir);
	if (!e->dir)
		return nomem(c);
	c->nr_entries++;
	return read_function(c, e);
}

static bool is_bdf_name(const char *name)
{
	int d, b, v, f;

	return strlen(name) < 32 && !imp_parse_bdf(name, &d, &b, &v, &f) && strchr(name, '.') &&
	       strlen(name) == 12;
}

/* The functions below @dir (a host bridge or bridge directory), depth first. */
static int walk_dir(struct sysfs_ctx *c, const char *dir, const char *parent,
		    struct imp_hostbridge *hb, int depth)
{
	struct dirent **names = NULL;
	int n, ret = P2PSIM_OK;

	if (depth > 64)
		return P2PSIM_OK;
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		p2psim_error_set(c->err, P2PSIM_EINPUT, dir, 0, 0, "cannot list: %s",
				 strerror(errno));
		return P2PSIM_EINPUT;
	}
	for (int i = 0; i < n && !ret; i++) {
		char path[PATH_MAX];
		struct stat st;

		if (!is_bdf_name(names[i]->d_name))
			continue;
		if (!join(path, sizeof(path), dir, names[i]->d_name) || lstat(path, &st) ||
		    !S_ISDIR(st.st_mode))
			continue; /* symlinks (e.g. a VF's virtfn links) are not the tree */
		ret = add_entry(c, path, names[i]->d_name, parent, hb);
		if (!ret)
			ret = walk_dir(c, path, names[i]->d_name, hb, depth + 1);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

/* A host-bridge directory pciDDDD:BB: its root bus and everything below. */
static int walk_host_bridge(struct sysfs_ctx *c, const char *dir)
{
	const char *name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	unsigned int domain, bus;
	struct imp_hostbridge *hb;
	int n = 0;

	if (sscanf(name, "pci%x:%x%n", &domain, &bus, &n) != 2 || name[n])
		return P2PSIM_OK;
	if (domain > 0xffff || bus > 0xff)
		return imp_note(c->m,
				"%s left out: PCI domain %x (e.g. an Intel VMD domain) does not "
				"fit p2psim's 16-bit domains",
				dir, domain) ?
			       nomem(c) :
			       P2PSIM_OK;
	if (imp_find_hostbridge(c->m, (int)domain, (int)bus))
		return P2PSIM_OK; /* reached twice */
	hb = imp_add_hostbridge(c->m, (int)domain, (int)bus, 0);
	if (!hb || imp_strset(&hb->source, "%s", dir))
		return nomem(c);
	return walk_dir(c, dir, NULL, hb, 0);
}

/*
 * Host-bridge directories: devices/pci* and, for host bridges that live
 * deeper (Hyper-V vPCI, VMD), the pciDDDD:BB component of every
 * bus/pci/devices link.
 */
static int find_host_bridges(struct sysfs_ctx *c, const char *sysdir, const char *devdir)
{
	char path[PATH_MAX], resolved[PATH_MAX];
	struct dirent **names = NULL;
	int n, ret = P2PSIM_OK;

	if (join(path, sizeof(path), sysdir, "devices")) {
		n = scandir(path, &names, NULL, alphasort);
		for (int i = 0; i < n && !ret; i++) {
			char hbdir[PATH_MAX];

			if (!strncmp(names[i]->d_name, "pci", 3) &&
			    join(hbdir, sizeof(hbdir), path, names[i]->d_name))
				ret = walk_host_bridge(c, hbdir);
		}
		for (int i = 0; i < n; i++)
			free(names[i]);
		free(names);
		names = NULL;
		if (ret)
			return ret;
	}
	n = scandir(devdir, &names, NULL, alphasort);
	if (n < 0) {
		p2psim_error_set(c->err, P2PSIM_EINPUT, devdir, 0, 0, "cannot list: %s",
				 strerror(errno));
		return P2PSIM_EINPUT;
	}
	for (int i = 0; i < n && !ret; i++) {
		char *slash;

		if (names[i]->d_name[0] == '.')
			continue;
		if (!join(path, sizeof(path), devdir, names[i]->d_name) ||
		    !realpath(path, resolved)) {
			p2psim_error_set(c->err, P2PSIM_EINPUT, path, 0, 0, "cannot follow: %s",
					 strerror(errno));
			ret = P2PSIM_EINPUT;
			break;
		}
		/* Cut after the last pciDDDD:BB component. */
		for (slash = strrchr(resolved, '/'); slash; slash = strrchr(resolved, '/')) {
			unsigned int d, b;
			int k = 0;

			if (sscanf(slash + 1, "pci%x:%x%n", &d, &b, &k) == 2 && !slash[1 + k])
				break;
			*slash = '\0';
		}
		if (!slash) {
			p2psim_error_set(c->err, P2PSIM_EINPUT, path, 0, 0,
					 "does not lead below a pciDDDD:BB host bridge directory");
			ret = P2PSIM_EINPUT;
			break;
		}
		ret = walk_host_bridge(c, resolved);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

static void read_cpuinfo(struct sysfs_ctx *c, const char *sysdir)
{
	char path[PATH_MAX], line[512], vendor[64] = "";
	long family = -1;
	bool arm = false;
	FILE *f;

	if (!join(path, sizeof(path), sysdir, "../proc/cpuinfo"))
		return;
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		if (!vendor[0] && !strncmp(line, "vendor_id", 9))
			sscanf(colon + 1, " %63s", vendor);
		else if (family < 0 && !strncmp(line, "cpu family", 10))
			family = strtol(colon + 1, NULL, 0);
		else if (!strncmp(line, "CPU implementer", 15))
			arm = true;
	}
	fclose(f);
	if (vendor[0] && family >= 0) {
		c->m->cpu_known = true;
		snprintf(c->m->cpu_vendor, sizeof(c->m->cpu_vendor), "%s",
			 imp_cpu_vendor_from_id(vendor));
		c->m->cpu_family = family;
		if (imp_strset(&c->m->cpu_source, "proc/cpuinfo vendor_id=%s cpu family=%ld",
			       vendor, family))
			c->m->cpu_known = false;
	} else if (arm) {
		c->m->cpu_known = true;
		snprintf(c->m->cpu_vendor, sizeof(c->m->cpu_vendor), "arm");
		c->m->cpu_family = 0;
	}
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sysfs_entry *)a)->bdf, ((const struct sysfs_entry *)b)->bdf);
}

static struct sysfs_entry *find_entry(struct sysfs_ctx *c, const char *bdf)
{
	struct sysfs_entry key;

	snprintf(key.bdf, sizeof(key.bdf), "%s", bdf);
	return bsearch(&key, c->entries, c->nr_entries, sizeof(key), entry_cmp);
}

int imp_read_sysfs(const char *input, struct imp_machine *m, struct p2psim_error *err)
{
	struct sysfs_ctx c = { .input = input, .m = m, .err = err };
	char sysdir[PATH_MAX], devdir[PATH_MAX];
	int ret = P2PSIM_OK;

	if (!join(sysdir, sizeof(sysdir), input, "sys") ||
	    !join(devdir, sizeof(devdir), sysdir, "bus/pci/devices") || !is_dir(devdir)) {
		snprintf(sysdir, sizeof(sysdir), "%s", input);
		if (!join(devdir, sizeof(devdir), sysdir, "bus/pci/devices"))
			devdir[0] = '\0';
	}
	if (!devdir[0] || !is_dir(devdir)) {
		p2psim_error_set(err, P2PSIM_EINPUT, input, 0, 0,
				 "not a sysfs tree: neither %s/sys/bus/pci/devices nor "
				 "%s/bus/pci/devices is a directory",
				 input, input);
		return P2PSIM_EINPUT;
	}
	ret = find_host_bridges(&c, sysdir, devdir);
	if (ret)
		goto out;
	qsort(c.entries, c.nr_entries, sizeof(*c.entries), entry_cmp);
	for (size_t i = 0; i < c.nr_entries; i++) {
		struct sysfs_entry *e = &c.entries[i], *p = NULL;

		if (e->unconfigured) {
			c.unconfigured++;
			if (imp_note(m, "bridge %s left out: no bus numbers assigned (%s)", e->bdf,
				     e->dir)) {
				ret = nomem(&c);
				goto out;
			}
			continue;
		}
		if (e->parent_bdf[0]) {
			p = find_entry(&c, e->parent_bdf);
			if (!p || !p->fn || p->fn->kind != IMP_BRIDGE) {
				p2psim_error_set(err, P2PSIM_EINPUT, e->dir, 0, 0,
						 "its parent %s is %s", e->parent_bdf,
						 p ? "not a PCI bridge" : "not in bus/pci/devices");
				ret = P2PSIM_EINPUT;
				goto out;
			}
		}
		imp_fn_attach(e->hb, p ? p->fn : NULL, e->fn);
		e->attached = true;
		if (e->hb->numa_node == IMP_UNKNOWN) {
			long node;

			if (!read_number(&c, e->dir, "numa_node", 0xffff, &node, false))
				e->hb->numa_node = (int)node;
			p2psim_error_clear(err);
		}
	}
	read_cpuinfo(&c, sysdir);
	if (!m->name) {
		char resolved[PATH_MAX];
		const char *b;

		if (!realpath(input, resolved))
			snprintf(resolved, sizeof(resolved), "%s", input);
		b = strrchr(resolved, '/') ? strrchr(resolved, '/') + 1 : resolved;
		if (!strcmp(b, "sys") || !b[0])
			b = "this-machine";
		if (imp_strset(&m->name, "%s", b)) {
			ret = nomem(&c);
			goto out;
		}
	}
	if (imp_note(
		    m,
		    "Source: sysfs (%zu PCI functions): bus numbers, BAR addresses and sizes "
		    "from resource, ACS from config extended space for %d function(s)%s; %d SR-IOV "
		    "VF(s) (written as ordinary functions next to their PF).",
		    c.nr_entries, c.acs_read,
		    c.acs_read ? "" : " (config files of 256 bytes or less carry no ACS)", c.vfs) ||
	    (c.skipped_bars &&
	     imp_note(m, "%d BAR(s) without an assigned address were left out", c.skipped_bars)))
		ret = nomem(&c);
out:
	for (size_t i = 0; i < c.nr_entries; i++) {
		if (!c.entries[i].attached)
			imp_fn_free(c.entries[i].fn);
		free(c.entries[i].dir);
	}
	free(c.entries);
	return ret;
}
