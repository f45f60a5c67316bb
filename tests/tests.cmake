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
