// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - the p2psim command line: dispatch to subcommands, --help, --version.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

/* In the order `p2psim --help` lists them. */
static const struct command *const commands[] = {
	&cmd_demo,
	&cmd_check,
	&cmd_run,
	&cmd_show,
	&cmd_matrix,
	&cmd_path,
	&cmd_dot,
	&cmd_bench,
	&cmd_import,
	&cmd_fuzz,
	&cmd_bugs,
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static void print_main_help(FILE *out)
{
	fputs("usage: p2psim COMMAND [ARGS...]\n"
	      "       p2psim help COMMAND | --help | --version\n"
	      "\n"
	      "p2psim simulates the Linux DMA / IOMMU / PCI peer-to-peer path on a machine\n"
	      "described in XML: which map type the kernel picks for a device pair, how a\n"
	      "mapping lands in the IOMMU, and whether every DMA reaches the right bytes.\n"
	      "\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s  %s\n", commands[i]->name, commands[i]->summary);
	fputs("\n"
	      "TOPO is a topology file (docs/topology.md); the shipped ones are in topologies/.\n"
	      "Devices are named by id (gpu0) or BDF (0000:03:00.0).\n"
	      "Exit status: 0 success, 1 a check failed, 2 bad usage or input, 3 internal error.\n"
	      "Run 'p2psim help COMMAND' for the options of a command.\n",
	      out);
}

static void print_command_help(FILE *out, const struct command *cmd)
{
	fprintf(out, "usage: %s\n\n%s", cmd->usage, cmd->help);
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		print_main_help(stderr);
		return EXIT_INPUT;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_main_help(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("p2psim %s\n", p2psim_version());
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			print_main_help(stdout);
			return EXIT_OK;
		}
		cmd = find_command(argv[2]);
		if (!cmd) {
			fprintf(stderr, "p2psim: unknown command '%s'\n\n", argv[2]);
			print_main_help(stderr);
			return EXIT_INPUT;
		}
		print_command_help(stdout, cmd);
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "p2psim: unknown command '%s'\n\n", argv[1]);
		print_main_help(stderr);
		return EXIT_INPUT;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			print_command_help(stdout, cmd);
			return EXIT_OK;
		}
	}
	return cmd->run(argc - 1, argv + 1);
}
