// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2p_cli.c - the what-if options and helpers of `p2psim matrix`, `path` and
 * `dot` (p2p_cli.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2p_cli.h"

int p2p_cli_whatif(const struct command *cmd, int c, const char *arg, struct p2psim_p2p_opts *opts)
{
	switch (c) {
	case P2P_CLI_OPT_ACS:
		if (p2psim_acs_mode_parse(arg, &opts->acs))
			return cli_usage_error(
				cmd, "unknown --acs '%s' (as-is, iommu-default, off)", arg);
		return EXIT_OK;
	case P2P_CLI_OPT_CPU:
		opts->cpu = arg; /* checked when the view is made */
		return EXIT_OK;
	case P2P_CLI_OPT_KERNEL:
		opts->kernel = arg; /* checked (aliases too) when the view is made */
		return EXIT_OK;
	case P2P_CLI_OPT_SEED: {
		unsigned long long seed;

		if (!cli_parse_u64(arg, &seed))
			return cli_usage_error(cmd, "--seed wants a number, not '%s'", arg);
		opts->seed = seed;
		return EXIT_OK;
	}
	}
	return cli_usage_error(cmd, "internal: unknown option code %d", c);
}

int p2p_cli_fail(const struct command *cmd, const struct p2psim_error *err, int status)
{
	fprintf(stderr, "p2psim %s: %s\n", cmd->name, err->message);
	return cli_exit_status(status);
}

p2psim_p2p *p2p_cli_open(const struct command *cmd, const char *path,
			 const struct p2psim_p2p_opts *opts, p2psim_topology **topo, int *status)
{
	struct p2psim_error err;
	p2psim_p2p *view = NULL;
	int ret;

	*topo = cli_load_topology(path, status);
	if (!*topo)
		return NULL;
	p2psim_error_clear(&err);
	ret = p2psim_p2p_new(*topo, opts, &view, &err);
	if (ret != P2PSIM_OK) {
		if (ret == P2PSIM_EINPUT)
			*status = cli_usage_error(cmd, "%s", err.message);
		else
			*status = p2p_cli_fail(cmd, &err, ret);
		p2psim_topology_free(*topo);
		*topo = NULL;
		return NULL;
	}
	return view;
}

char **p2p_cli_split(const char *list, size_t *n)
{
	size_t count = 1, i = 0;
	char **out, *copy, *tok, *save = NULL;

	for (const char *p = list; *p; p++)
		count += *p == ',';
	out = calloc(count + 2, sizeof(*out));
	copy = strdup(list);
	if (!out || !copy) {
		free(out);
		free(copy);
		return NULL;
	}
	/* out[0] owns the copy; the entries point into it */
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		out[1 + i++] = tok;
	out[0] = copy;
	*n = i;
	return out + 1;
}

void p2p_cli_free_list(char **list)
{
	if (!list)
		return;
	free(list[-1]);
	free(list - 1);
}
