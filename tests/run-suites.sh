#!/bin/sh
# Runs test binaries, each ending with "NAME: N passed, N failed[, N skipped]",
# and prints the total as the closing line. Exits non-zero if any failed.
passed=0 failed=0 skipped=0 status=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v '^SKIP ' | grep -v ': [0-9]* passed, [0-9]* failed' || true
	printf '%s\n' "$out" | grep '^SKIP ' || true
	line=$(printf '%s\n' "$out" | grep ': [0-9]* passed, [0-9]* failed' | tail -n 1)
	if [ -z "$line" ]; then
		echo "$t: no result line (exit $rc)"
		failed=$((failed + 1)); status=1; continue
	fi
	echo "$line"
	p=$(echo "$line" | sed 's/.*: \([0-9]*\) passed.*/\1/')
	f=$(echo "$line" | sed 's/.* \([0-9]*\) failed.*/\1/')
	s=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
	[ "$rc" -eq 0 ] || { status=1; [ "$f" -gt 0 ] || failed=$((failed + 1)); }
done
if [ "$skipped" -gt 0 ]; then
	echo "total: $passed passed, $failed failed, $skipped skipped"
else
	echo "total: $passed passed, $failed failed"
fi
exit $status
