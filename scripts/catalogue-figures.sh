#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Run the proof campaign of every injectable catalogue entry (`p2psim bugs`)
# and print the docs/fuzz.md §8 figures: where it was found, how long the
# campaign took, the reproducer's length, and the median length.
# Usage: scripts/catalogue-figures.sh [BUILD_DIR]   (default: build)
set -euo pipefail

build=${1:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$build/p2psim" bugs --format json |
	jq -r '.[] | select(.injectable) | [.id, .proof.topology, .proof.runs, (.proof.weights // "")] | @tsv' |
	while IFS=$'\t' read -r id topo runs weights; do
		args=(topologies/"$topo" --seed 0 --runs "$runs" --inject "$id" --out "$out")
		[[ -n "$weights" ]] && args+=(--weights "$weights")
		start=$(date +%s.%N)
		summary=$("$build/p2psim" fuzz "${args[@]}" || true)
		end=$(date +%s.%N)
		want=$("$build/p2psim" bugs --format json | jq -r --arg id "$id" '.[] | select(.id == $id) | .checker')
		jq -r --arg id "$id" --arg want "$want" --arg s "$(echo "$end - $start" | bc)" \
			'.violations[] | select(.checker + " " + .kind == $want) |
			 "\($id)\t\(.checker) \(.kind)\t\(.sequence)\t\(.steps_generated)\t\(.steps)\t\($s)"' \
			<<<"$summary"
	done | tee "$out/table" |
	awk -F'\t' 'BEGIN { print "id\tfound by\tsequence\tgenerated\treproducer\tseconds" } { print }'
sort -n -t$'\t' -k5 "$out/table" | awk -F'\t' '{ a[NR] = $5 } END {
	if (NR) printf "median reproducer: %s steps over %d entries\n",
		(NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), NR }'
