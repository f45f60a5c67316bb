// SPDX-License-Identifier: GPL-2.0-only
/*
 * cpu.c - CPU identity names.
 */
#include <string.h>

#include "models/cpu/cpu.h"

static const char *const cpu_vendor_names[] = {
	[CPU_VENDOR_INTEL] = "intel", [CPU_VENDOR_AMD] = "amd",     [CPU_VENDOR_HYGON] = "hygon",
	[CPU_VENDOR_ARM] = "arm",     [CPU_VENDOR_OTHER] = "other",
};

int cpu_vendor_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(cpu_vendor_names) / sizeof(cpu_vendor_names[0]); i++)
		if (strcmp(name, cpu_vendor_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *cpu_vendor_name(enum cpu_vendor vendor)
{
	if ((unsigned int)vendor >= sizeof(cpu_vendor_names) / sizeof(cpu_vendor_names[0]))
		return "?";
	return cpu_vendor_names[vendor];
}

bool cpu_is_x86(const struct cpu_desc *cpu)
{
	return cpu->vendor == CPU_VENDOR_INTEL || cpu->vendor == CPU_VENDOR_AMD ||
	       cpu->vendor == CPU_VENDOR_HYGON;
}
