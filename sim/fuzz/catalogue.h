/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * catalogue.h - what `p2psim bugs` and `--inject ID` know about each
 * historic bug of src/bugs.h beyond its catalogue row: the kernel area, and
 * whether (and how) it can be injected today.
 *
 * The injection mechanism is src/bugs.h (struct bug_set, bug_injected()).
 * Some bugs are already kernel-profile switches (src/kernel_profile.h); for
 * those, bug_set_apply_profile() flips the switch on a private copy of the
 * profile the world runs with. A bug is *injectable* only when its injection
 * point exists and a test shows `p2psim fuzz --inject ID` catches it
 * (tests/sim/test_fuzz_inject.c); the others are listed, not accepted.
 *
 * Owned here: the per-bug area / injectable table and the parsing of
 * `--inject` lists.
 */
#ifndef P2PSIM_SIM_FUZZ_CATALOGUE_H
#define P2PSIM_SIM_FUZZ_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>

#include "src/bugs.h"

struct kernel_profile;

/* The kernel area of @id ("dma-direct", "vfio-pci dma-buf", ...). */
const char *bug_area(enum bug_id id);
/* Can @id be injected today? If not, *@why (may be NULL) says what is missing. */
bool bug_injectable(enum bug_id id, const char **why);

/*
 * The fuzz campaign that proves @id (tests/sim/test_fuzz_inject.c, and the
 * `proof:` line of `p2psim bugs`): a topology file of topologies/, the step
 * weights (NULL: the defaults) and the number of sequences, seed 0.
 */
struct bug_proof {
	const char *topology;
	const char *weights;
	unsigned int runs;
};

void bug_proof(enum bug_id id, struct bug_proof *out);

/*
 * Parse "ID[,ID...]" into @set (cleared first). 0, or -EINVAL with a message
 * in @msg (unknown id, or one that cannot be injected yet).
 */
int bug_set_parse(const char *list, struct bug_set *set, char *msg, size_t len);

/*
 * `p2psim run --inject`: like bug_set_parse(), but accepts every bug of the
 * catalogue (each has its injection point in the model), whether or not a
 * fuzz test proves it injectable: a scenario re-enables it on purpose.
 */
int bug_set_parse_run(const char *list, struct bug_set *set, char *msg, size_t len);

/* Flip the kernel-profile switches of the bugs in @set on @profile. */
void bug_set_apply_profile(const struct bug_set *set, struct kernel_profile *profile);

#endif /* P2PSIM_SIM_FUZZ_CATALOGUE_H */
