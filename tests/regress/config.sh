# -t and -T: the sample configuration checks, a broken line is reported as
# FILE:LINE with status 1, and -T prints a configuration that reads back
# to itself.
set -eu
fail() { echo "FAIL: $*"; exit 1; }
sample=$ROOT/etc/gatehouse.conf

"$AGENT" -f "$sample" -t > out.txt || fail "sample: $(cat out.txt)"
grep -q ': OK$' out.txt || fail "sample: no OK"

printf 'camera_fps 15\ndoor_pulse 90s\n' > bad.conf
set +e
"$AGENT" -f bad.conf -t > /dev/null 2> err.txt
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "broken config: status $rc"
grep -q 'bad.conf:2: ' err.txt || fail "broken config: $(cat err.txt)"

printf 'policy qr+face\nmatch_threshold 0.45\ndoor_pulse 4500ms\nadmin_users root,@wheel\n' > mine.conf
"$AGENT" -f mine.conf -T > effective.conf
grep -q '^policy qr+face$' effective.conf || fail "-T policy"
grep -q '^door_pulse 4500ms$' effective.conf || fail "-T duration: $(grep door_pulse effective.conf)"
"$AGENT" -f effective.conf -T > again.conf
cmp -s effective.conf again.conf || fail "-T does not read back to itself"

set +e
"$AGENT" -f mine.conf -t -T > /dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "-t and -T together: status $rc"

# Without -t or -T the agent runs, and a broken file stops it at once.
set +e
"$AGENT" -f bad.conf > /dev/null 2> err.txt
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "running on a broken config: status $rc"
grep -q 'bad.conf:2: ' err.txt || fail "running on a broken config: $(cat err.txt)"
