// SPDX-License-Identifier: GPL-2.0-only
/*
 * libfuzzer_entry.c - the p2psim fuzz harness for coverage-guided engines
 * (libFuzzer, AFL++ in libFuzzer mode, OSS-Fuzz / ClusterFuzz). Built only
 * with -DP2PSIM_LIBFUZZER=ON and clang (docs/fuzz.md).
 *
 * The input bytes are the generator's choices, two bytes per decision
 * (p2psim_fuzz_one_input()): every input decodes to a valid scenario, which
 * runs with every checker on. An unexpected violation (one that is not the
 * checkers' report of a deliberate driver mistake) aborts, so the engine
 * keeps the input; `p2psim fuzz` is the tool that minimises and writes
 * scenario files.
 *
 * Environment: P2PSIM_FUZZ_TOPO (default: the shipped default.xml),
 * P2PSIM_FUZZ_INJECT (bug ids, `p2psim bugs`).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "p2psim/p2psim.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static p2psim_topology *topo;
static const char *inject;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("P2PSIM_FUZZ_TOPO");
	struct p2psim_error err;
	char def[1024];

	(void)argc;
	(void)argv;
	if (!path) {
		snprintf(def, sizeof(def), "%s/default.xml", p2psim_data_dir());
		path = def;
	}
	p2psim_error_clear(&err);
	if (p2psim_topology_load_file(path, &topo, &err) != P2PSIM_OK) {
		p2psim_error_print(stderr, &err);
		exit(2);
	}
	inject = getenv("P2PSIM_FUZZ_INJECT");
	if (inject && p2psim_inject_check(inject, &err) != P2PSIM_OK) {
		fprintf(stderr, "P2PSIM_FUZZ_INJECT: %s\n", err.message);
		exit(2);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (p2psim_fuzz_one_input(topo, data, size, inject)) {
		fprintf(stderr, "p2psim: unexpected checker violation (replay with p2psim fuzz)\n");
		abort();
	}
	return 0;
}
