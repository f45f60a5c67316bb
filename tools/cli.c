// SPDX-License-Identifier: GPL-2.0-only
/*
 * cli.c - helpers the subcommands share: usage errors, --format, loading.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

int cli_usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "p2psim %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\nTry 'p2psim help %s' for more.\n", cmd->usage, cmd->name);
	return EXIT_INPUT;
}

bool cli_parse_u64(const char *s, unsigned long long *out)
{
	char *end;

	if (!s[0] || s[0] == '-' || s[0] == '+')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return !errno && !*end;
}

bool cli_parse_format(const char *arg, unsigned int allowed, enum p2psim_format *out)
{
	static const struct {
		const char *name;
		enum p2psim_format format;
	} names[] = {
		{ "text", P2PSIM_FORMAT_TEXT },
		{ "json", P2PSIM_FORMAT_JSON },
		{ "csv", P2PSIM_FORMAT_CSV },
		{ "dot", P2PSIM_FORMAT_DOT },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(arg, names[i].name) && (allowed & FORMAT_BIT(names[i].format))) {
			*out = names[i].format;
			return true;
		}
	}
	return false;
}

int cli_exit_status(int p2psim_status)
{
	switch (p2psim_status) {
	case P2PSIM_OK:
		return EXIT_OK;
	case P2PSIM_ECHECK:
		return EXIT_CHECK;
	case P2PSIM_EINPUT:
		return EXIT_INPUT;
	default:
		return EXIT_INTERNAL;
	}
}

p2psim_topology *cli_load_topology(const char *path, int *status)
{
	struct p2psim_error err;
	p2psim_topology *topo = NULL;
	int ret;

	p2psim_error_clear(&err);
	ret = p2psim_topology_load_file(path, &topo, &err);
	if (ret != P2PSIM_OK) {
		p2psim_error_print(stderr, &err);
		*status = cli_exit_status(ret);
		return NULL;
	}
	return topo;
}

const char *cli_shipped_topology(const char *file)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", p2psim_data_dir(), file);
	return path;
}
