/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * p2p_cli.h - what `p2psim matrix`, `path` and `dot` share: the what-if
 * options (--acs, --cpu, --kernel, --seed), opening a view, comma lists.
 */
#ifndef P2PSIM_TOOLS_P2P_CLI_H
#define P2PSIM_TOOLS_P2P_CLI_H

#include "commands.h"

/* getopt_long entries of the what-if options (values are returned as these codes). */
#define P2P_CLI_OPT_ACS 0x100
#define P2P_CLI_OPT_CPU 0x101
#define P2P_CLI_OPT_KERNEL 0x102
#define P2P_CLI_OPT_SEED 0x103
#define P2P_CLI_WHATIF_OPTIONS                                          \
	{ "acs", required_argument, NULL, P2P_CLI_OPT_ACS },            \
	{ "cpu", required_argument, NULL, P2P_CLI_OPT_CPU },            \
	{ "kernel", required_argument, NULL, P2P_CLI_OPT_KERNEL },      \
	{ "seed", required_argument, NULL, P2P_CLI_OPT_SEED }

/* The help lines of those options. */
#define P2P_CLI_WHATIF_HELP                                                                   \
	"  --acs as-is|iommu-default|off\n"                                                       \
	"                  ACS Control as in the file (default); as Linux sets it when an\n"     \
	"                  IOMMU is on (SV RR CR UF where the capability allows); or with\n"     \
	"                  RR CR EC cleared everywhere (pci=disable_acs_redir)\n"                \
	"  --cpu CPU       intel, amd-zen (family 0x19), amd-pre-zen (0x15), hygon (0x18),\n"   \
	"                  arm, other, or VENDOR:FAMILY such as amd:0x17 (default: the file's)\n" \
	"  --kernel NAME   kernel profile: upstream (default), leon-acs-v5, v7.2, v7.1,\n"       \
	"                  v6.19, v5.10 (allowlist rows and log details; docs/p2p.md)\n"         \
	"  --seed N        seed of the random choice among equally close providers\n"

/*
 * Handle a what-if option code @c with @arg into @opts. Returns EXIT_OK, or
 * prints a usage error and returns EXIT_INPUT.
 */
int p2p_cli_whatif(const struct command *cmd, int c, const char *arg, struct p2psim_p2p_opts *opts);

/* Load @path and make a view. NULL (and *status set, message printed) on failure. */
p2psim_p2p *p2p_cli_open(const struct command *cmd, const char *path,
			 const struct p2psim_p2p_opts *opts, p2psim_topology **topo, int *status);

/* Print "p2psim CMD: message" for @err and return its exit status. */
int p2p_cli_fail(const struct command *cmd, const struct p2psim_error *err, int status);

/* Split "a,b,c" into a NULL-terminated malloc'ed array (free with p2p_cli_free_list). */
char **p2p_cli_split(const char *list, size_t *n);
void p2p_cli_free_list(char **list);

#endif /* P2PSIM_TOOLS_P2P_CLI_H */
