// SPDX-License-Identifier: GPL-2.0-only
/*
 * version.c - library version and where the shipped data lives.
 */
#include <stdlib.h>

#include "p2psim/p2psim.h"

const char *p2psim_version(void)
{
	return P2PSIM_VERSION;
}

/* P2PSIM_DATA_DIR in the environment overrides the build-time location. */
const char *p2psim_data_dir(void)
{
	const char *env = getenv("P2PSIM_DATA_DIR");

	return env && *env ? env : P2PSIM_DATADIR;
}
