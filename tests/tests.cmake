# SPDX-License-Identifier: GPL-2.0-only
# Every tests/<area>/test_*.c is one Criterion suite, one executable, one CTest test.
# Suites whose file name starts with bench_ carry the "bench" label, which `make test` excludes.
if(NOT CRITERION_FOUND)
  message(WARNING "Criterion not found: tests are not built (apt-get install libcriterion-dev)")
  return()
endif()

file(GLOB_RECURSE P2PSIM_TEST_SOURCES CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/tests/*/test_*.c)
file(GLOB P2PSIM_TEST_HELPERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/helpers/*.c)

foreach(src ${P2PSIM_TEST_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  get_filename_component(dir ${src} DIRECTORY)
  get_filename_component(area ${dir} NAME)
  set(target ${area}_${name})
  add_executable(${target} ${src} ${P2PSIM_TEST_HELPERS})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(${target} PRIVATE
    P2PSIM_BIN="$<TARGET_FILE:p2psim>"
    P2PSIM_SRCDIR="${PROJECT_SOURCE_DIR}"
    P2PSIM_TESTDATA="${PROJECT_SOURCE_DIR}/tests/data")
  target_link_libraries(${target} PRIVATE p2psim_lib PkgConfig::CRITERION)
  add_dependencies(${target} p2psim)
  add_test(NAME ${area}/${name} COMMAND ${target} --jobs 1 -q)
  set_tests_properties(${area}/${name} PROPERTIES LABELS "${area}" TIMEOUT 300)
endforeach()

# Benchmarks: `p2psim bench` under the "bench" label, never part of `make test`.
add_test(NAME bench/p2psim-bench COMMAND p2psim bench --quick)
set_tests_properties(bench/p2psim-bench PROPERTIES LABELS "bench")

# --- Scenario corpus (tests/scenarios/*.scn; see docs/scenario.md §9) --------------------------
# Each scenario runs as `p2psim run TOPO SCENARIO`. Its header names the topology
# ("# topology: FILE", looked up next to the scenario, then in topologies/) and the exit
# status the run must end with ("# expect-exit: N", default 0); "# args: ..." adds options
# to `p2psim run` (e.g. "# args: --inject H16").
file(GLOB P2PSIM_SCENARIOS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/scenarios/*.scn)
foreach(scn ${P2PSIM_SCENARIOS})
  get_filename_component(name ${scn} NAME_WE)
  get_filename_component(scn_dir ${scn} DIRECTORY)
  file(STRINGS ${scn} topo_line REGEX "^# topology: " LIMIT_COUNT 1)
  file(STRINGS ${scn} exit_line REGEX "^# expect-exit: " LIMIT_COUNT 1)
  file(STRINGS ${scn} args_line REGEX "^# args: " LIMIT_COUNT 1)
  if(NOT topo_line)
    message(FATAL_ERROR "${scn}: no '# topology: FILE' header line")
  endif()
  string(REGEX REPLACE "^# topology: *([^ ]+).*$" "\\1" topo "${topo_line}")
  if(EXISTS ${scn_dir}/${topo})
    set(topo ${scn_dir}/${topo})
  else()
    set(topo ${PROJECT_SOURCE_DIR}/topologies/${topo})
  endif()
  set(expect_exit 0)
  if(exit_line)
    string(REGEX REPLACE "^# expect-exit: *([0-9]+).*$" "\\1" expect_exit "${exit_line}")
  endif()
  set(run_args "")
  if(args_line)
    string(REGEX REPLACE "^# args: *(.*[^ ]) *$" "\\1" run_args "${args_line}")
  endif()
  add_test(NAME scenario/${name}
           COMMAND ${CMAKE_COMMAND} -DP2PSIM=$<TARGET_FILE:p2psim> -DTOPO=${topo}
                   -DSCENARIO=${scn} -DEXPECT_EXIT=${expect_exit} "-DARGS=${run_args}"
                   -P ${PROJECT_SOURCE_DIR}/tests/scenarios/run-scenario.cmake)
  set_tests_properties(scenario/${name} PROPERTIES LABELS "scenario" TIMEOUT 120)
endforeach()
