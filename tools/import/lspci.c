// SPDX-License-Identifier: GPL-2.0-only
/* lspci.c - placeholder */
#include "import.h"

int imp_read_lspci(const char *path, struct imp_machine *m, struct p2psim_error *err)
{
	p2psim_error_set(err, P2PSIM_EINTERNAL, path, 0, 0, "not yet");
	return P2PSIM_EINTERNAL;
}
