#!/bin/sh
# Runs every tests/tui/*.sh (the interactive console in tmux) with AGENT,
# CONSOLE, MODELS, FACES and ROOT (the top of the source tree) set, each in
# its own temporary directory, and prints the closing line.
# A test exits 0 (passed), 77 (skipped, having said why) or else (failed).
#
#	tests/tui/run.sh AGENT MODELS FACES CONSOLE
AGENT=$(realpath "$1"); MODELS=$(realpath "$2")
FACES=${3:-../shared/faces}; CONSOLE=$(realpath "$4")
[ -d "$FACES" ] && FACES=$(realpath "$FACES") || FACES=
ROOT=$(pwd)
export AGENT CONSOLE MODELS FACES ROOT
here=$(dirname "$0")
passed=0 failed=0 skipped=0
for t in "$here"/*.sh; do
	case $(basename "$t") in run.sh|lib.sh) continue ;; esac
	name=$(basename "$t" .sh)
	if ! command -v tmux >/dev/null 2>&1; then
		skipped=$((skipped + 1)); echo "SKIP $name: no tmux"
		continue
	fi
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
	echo "tui: $passed passed, $failed failed, $skipped skipped"
else
	echo "tui: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
