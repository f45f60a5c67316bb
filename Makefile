# SPDX-License-Identifier: GPL-2.0-only
# Thin wrapper around CMake. See README.md.
#   make run       install deps if needed, build, run the guided demo on topologies/default.xml
#   make test      the same set-up, then the whole test suite, then again under ASan+UBSan
#   make bench     release build, then `p2psim bench`
#   make sanitize  ASan+UBSan build and test run only
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps build run test check sanitize bench clean

all: build

deps:
	@scripts/ensure-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/p2psim demo

check: build
	cd $(BUILD) && ctest -LE bench --output-on-failure -j $(JOBS)

test: check sanitize

$(ASAN_BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DP2PSIM_SANITIZE=ON $(CMAKE_ARGS)

sanitize: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest -LE bench --output-on-failure -j $(JOBS)

bench: build
	./$(BUILD)/p2psim bench

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
