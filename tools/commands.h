/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * commands.h - the p2psim subcommands and the helpers they share.
 *
 * Each subcommand lives in tools/cmd_NAME.c and defines one struct command;
 * tools/main.c lists them. tools/ uses only the public API (include/p2psim/).
 */
#ifndef P2PSIM_TOOLS_COMMANDS_H
#define P2PSIM_TOOLS_COMMANDS_H

#include <stdbool.h>

#include "p2psim/p2psim.h"

struct command {
	const char *name;
	const char *summary; /* one line for `p2psim --help` */
	const char *usage;   /* "p2psim NAME ARGS..." */
	const char *help;    /* the full text of `p2psim help NAME` (after usage) */
	int (*run)(int argc, char **argv); /* argv[0] is the command name; returns exit status */
};

extern const struct command cmd_check;
extern const struct command cmd_run;
extern const struct command cmd_show;
extern const struct command cmd_matrix;
extern const struct command cmd_path;
extern const struct command cmd_dot;
extern const struct command cmd_demo;
extern const struct command cmd_bench;
extern const struct command cmd_import;
extern const struct command cmd_fuzz;
extern const struct command cmd_bugs;

/* Exit statuses (DESIGN.md §8). */
enum {
	EXIT_OK = 0,
	EXIT_CHECK = 1,
	EXIT_INPUT = 2,
	EXIT_INTERNAL = 3,
};

/* The exit status of a library result (P2PSIM_OK / ECHECK / EINPUT / EINTERNAL; others internal). */
int cli_exit_status(int p2psim_status);

/* Print "p2psim CMD: message" and "usage: ..." to stderr; returns EXIT_INPUT. */
int cli_usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Parse an unsigned number, decimal or 0x hex, for --seed, --runs and the like.
 * Rejects an empty string, a sign, trailing garbage and overflow.
 */
bool cli_parse_u64(const char *s, unsigned long long *out);

/* Parse "text|json|csv|dot" against the formats @allowed (bit per enum p2psim_format). */
bool cli_parse_format(const char *arg, unsigned int allowed, enum p2psim_format *out);

/*
 * Load a topology, printing FILE:LINE:COL: error: ... on failure.
 * Returns NULL and sets *status (EXIT_INPUT or EXIT_INTERNAL) on failure.
 */
p2psim_topology *cli_load_topology(const char *path, int *status);

/* Path of a topology shipped in topologies/ (for the demo); static buffer. */
const char *cli_shipped_topology(const char *file);

#define FORMAT_BIT(f) (1u << (f))

#endif /* P2PSIM_TOOLS_COMMANDS_H */
