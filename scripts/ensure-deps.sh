#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Make sure the Debian packages p2psim builds and tests with are installed.
# As root with apt-get: install what is missing. Otherwise print the exact command and fail.
set -euo pipefail

packages=(build-essential cmake pkg-config libxml2-dev libcriterion-dev libgraphviz-dev graphviz
          libjson-c-dev libbsd-dev)

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "p2psim: not a Debian-like system; please install the equivalents of: ${packages[*]}" >&2
	# Let the build try anyway: CMake will say precisely what it cannot find.
	exit 0
fi

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
	echo "p2psim: installing missing packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
	exit 0
fi

echo "p2psim: missing build dependencies. Install them with:" >&2
echo "    sudo apt-get install -y ${missing[*]}" >&2
exit 1
