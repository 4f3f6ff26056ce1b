# The guard looks at a stranger's page (the photo drawn), says no to a
# first question, then denies and deny-lists the face: the visit leaves
# the list, the face is on the deny list and the log says who denied it.
set -eu
. "$ROOT/tests/tui/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }

agent_with_stranger rose_leslie_1.jpg
tui_start
wait_screen "^ #$VISIT  *front  "

# The visitor's page: the photo in half blocks or characters, the details.
keys Enter
wait_screen "Visit #$VISIT at front: pending"
wait_screen "Seen  *1 time"
wait_screen "photo 1 of"
# Drawn: the photo's pane (38 columns at 80) is mostly not blank.
wait_for '[ "$(cells 3 20 1 38)" -gt 300 ]'

# No: nothing happens.
keys d
wait_screen "Deny visit #$VISIT at front?"
keys n
wait_screen "cancelled"
[ "$(gh pending | json 'len(d["visits"])')" = 1 ] || fail "denied on no"

keys D
wait_screen "and deny-list the"
keys y
wait_screen "denied; the face is on the deny list"
wait_screen "(no one is waiting)"
wait_screen "denied  *visit #$VISIT  *by uid 0"

[ "$(gh pending | json 'len(d["visits"])')" = 0 ] || fail "still pending"
[ "$(gh deny-list | json 'len(d["entries"])')" = 1 ] ||
    fail "deny list: $(gh deny-list)"
gh events --since 1h > events.json
python3 - events.json <<'PY' || fail "events: $(cat events.json)"
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
v = [e for e in ev if e["type"] == "visit"]
assert len(v) == 1 and v[0]["state"] == "denied", v
assert v[0]["by"].startswith("uid 0"), v
p = [e for e in ev if e["type"] == "person"]
assert [e["action"] for e in p] == ["deny-listed"], p
PY
echo ok
