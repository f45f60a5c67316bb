/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * types.h - the kernel-style scalar types the models and algorithms share.
 *
 * Three address spaces (DESIGN.md §3): CPU physical (phys_addr_t), PCI bus
 * (pci_bus_addr_t) and what a device is programmed with (dma_addr_t).
 */
#ifndef P2PSIM_MODELS_TYPES_H
#define P2PSIM_MODELS_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

typedef u64 phys_addr_t;
typedef u64 dma_addr_t;
typedef u64 pci_bus_addr_t;

#define SZ_4K 0x1000ULL
#define SZ_2M 0x200000ULL
#define SZ_1G 0x40000000ULL

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* P2PSIM_MODELS_TYPES_H */
