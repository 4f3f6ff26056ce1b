#!/bin/sh
# A short smoke run of libFuzzer targets. For each build/fuzz/fuzz-NAME it
# makes a seed corpus in a temporary folder with tests/fuzz/seed-NAME.sh
# OUTDIR MODELS_DIR (when that script exists), runs the fuzzer over it for
# FUZZ_TIME seconds (default 15), and counts the target as passed when
# libFuzzer exits 0. Crash inputs are kept in build/fuzz/artifacts-NAME/.
# The closing line is "fuzz: N passed, N failed"; the exit status is
# non-zero if any target failed.
#
#	tests/fuzz/smoke.sh MODELS_DIR FUZZ_BIN...
set -u

if [ $# -lt 1 ]; then
	echo "usage: smoke.sh MODELS_DIR FUZZ_BIN..." >&2
	exit 2
fi
models=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
seconds=${FUZZ_TIME:-15}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
for bin in "$@"; do
	base=$(basename "$bin")
	name=${base#fuzz-}
	corpus=$tmp/$name/corpus
	log=$tmp/$name/log
	artifacts=$(dirname "$bin")/artifacts-$name
	mkdir -p "$corpus"

	if [ ! -x "$bin" ]; then
		echo "$base: FAILED (no such program)"
		failed=$((failed + 1))
		continue
	fi
	seed=$here/seed-$name.sh
	if [ -f "$seed" ] && ! sh "$seed" "$corpus" "$models" >"$log" 2>&1; then
		echo "$base: FAILED (seed-$name.sh failed)"
		tail -n 20 "$log"
		failed=$((failed + 1))
		continue
	fi
	seeds=$(find "$corpus" -type f | wc -l)
	mkdir -p "$artifacts"

	"$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
	    -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "$base: passed ($seeds seeds, ${runs:-?} runs)"
		passed=$((passed + 1))
	else
		echo "$base: FAILED (libFuzzer exit $rc); last lines:"
		tail -n 40 "$log"
		if [ -n "$(ls -A "$artifacts" 2>/dev/null)" ]; then
			echo "$base: crash inputs in $artifacts/"
		fi
		failed=$((failed + 1))
	fi
	rmdir "$artifacts" 2>/dev/null
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
