#!/bin/sh
# Runs every tests/regress/*.sh with AGENT, CONSOLE, MODELS, FACES, TOOLS and
# ROOT (the top of the source tree) set,
# each in its own temporary directory, and prints the closing line.
# A test exits 0 (passed), 77 (skipped, having said why) or else (failed).
AGENT=$(realpath "$1"); MODELS=$(realpath "$2"); TOOLS=$(realpath "$3")
FACES=${4:-../shared/faces}; CONSOLE=$(realpath "$5")
[ -d "$FACES" ] && FACES=$(realpath "$FACES") || FACES=
ROOT=$(pwd)
export AGENT CONSOLE MODELS FACES TOOLS ROOT
here=$(dirname "$0")
passed=0 failed=0 skipped=0
for t in "$here"/*.sh; do
	case $(basename "$t") in run.sh|lib.sh) continue ;; esac
	name=$(basename "$t" .sh)
	dir=$(mktemp -d)
	(cd "$dir" && sh "$ROOT/$t") >"$dir.log" 2>&1
	rc=$?
	case $rc in
	0)	passed=$((passed + 1)) ;;
	77)	skipped=$((skipped + 1)); echo "SKIP $name: $(tail -n 1 "$dir.log")" ;;
	*)	failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/  /' "$dir.log" ;;
	esac
	rm -rf "$dir" "$dir.log"
done
if [ "$skipped" -gt 0 ]; then
	echo "regress: $passed passed, $failed failed, $skipped skipped"
else
	echo "regress: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
