# SPDX-License-Identifier: GPL-2.0-only
# Run one scenario of the corpus and compare the exit status with the one its
# header declares. Called by tests/tests.cmake (scenario/* tests) as
#   cmake -DP2PSIM=... -DTOPO=... -DSCENARIO=... -DEXPECT_EXIT=N [-DARGS="--inject H3"] -P run-scenario.cmake
# ARGS: the scenario's "# args:" header, extra options for `p2psim run` (split at spaces).
separate_arguments(run_args UNIX_COMMAND "${ARGS}")
execute_process(COMMAND ${P2PSIM} run ${TOPO} ${SCENARIO} ${run_args}
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT "${status}" STREQUAL "${EXPECT_EXIT}")
  message(FATAL_ERROR "p2psim run ${TOPO} ${SCENARIO} ${ARGS}: exit status ${status}, expected ${EXPECT_EXIT}\n${out}${err}")
endif()
# A run that must fail must say why: a violation or a failed expectation.
if(EXPECT_EXIT STREQUAL "1" AND NOT out MATCHES "(violation \\[|expect failed)")
  message(FATAL_ERROR "exit status 1 but no violation or failed expectation printed\n${out}${err}")
endif()
message("${out}")
