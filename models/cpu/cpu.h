/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cpu.h - CPU identity: the only CPU facts the kernel's DMA paths look at
 * (x86 vendor and family for cpu_supports_p2pdma()).
 */
#ifndef P2PSIM_MODELS_CPU_H
#define P2PSIM_MODELS_CPU_H

#include <stdbool.h>

enum cpu_vendor {
	CPU_VENDOR_INTEL,
	CPU_VENDOR_AMD,
	CPU_VENDOR_HYGON,
	CPU_VENDOR_ARM,
	CPU_VENDOR_OTHER,
};

struct cpu_desc {
	enum cpu_vendor vendor;
	unsigned int family; /* x86 family (cpu_data(0).x86); 0 when unknown */
};

/* "intel", "amd", ... ; returns -1 for an unknown name. */
int cpu_vendor_parse(const char *name);
const char *cpu_vendor_name(enum cpu_vendor vendor);
/* x86 vendors only: Intel, AMD, Hygon. */
bool cpu_is_x86(const struct cpu_desc *cpu);

#endif /* P2PSIM_MODELS_CPU_H */
