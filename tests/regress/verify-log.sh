# verify-log: a missing store and bad options are errors (status 2), never
# a verdict on the log.
set -eu
fail() { echo "FAIL: $*"; exit 1; }

set +e
"$AGENT" verify-log -d ./nowhere > out.txt 2> err.txt
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "missing store: status $rc"
grep -q nowhere err.txt || fail "missing store: $(cat err.txt)"
[ ! -e nowhere ] || fail "verify-log created the data directory"

set +e
"$AGENT" verify-log --bogus > /dev/null 2> err.txt
rc=$?
set -e
[ "$rc" -eq 2 ] && [ -s err.txt ] || fail "bad option: status $rc"
