// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma.c - names for the DMA vocabulary of dma.h (directions), for traces,
 * the public API and the CLI.
 */
#include <string.h>

#include "src/dma/mapping.h"

const char *dma_direction_name(enum dma_data_direction dir)
{
	switch (dir) {
	case DMA_BIDIRECTIONAL:
		return "bidirectional";
	case DMA_TO_DEVICE:
		return "to_device";
	case DMA_FROM_DEVICE:
		return "from_device";
	case DMA_NONE:
		return "none";
	}
	return "?";
}

int dma_direction_parse(const char *name)
{
	static const struct {
		const char *name;
		enum dma_data_direction dir;
	} names[] = {
		{ "bidirectional", DMA_BIDIRECTIONAL },
		{ "bidir", DMA_BIDIRECTIONAL },
		{ "to_device", DMA_TO_DEVICE },
		{ "to", DMA_TO_DEVICE },
		{ "from_device", DMA_FROM_DEVICE },
		{ "from", DMA_FROM_DEVICE },
		{ "none", DMA_NONE },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i].name))
			return (int)names[i].dir;
	return -1;
}
