# Threats at a real agent through the file: camera, with real face photos
# (../shared/faces), driven by the console in batch mode:
#
#   deny list	Alex, deny-listed from his pending visit, comes back
#		twice: two "deny-list" alarms, the alarm prompt spoken
#   failures	those two denials reach fail_limit 2: an alarm "lockout",
#		and the door's PIN reader refuses even a PIN ("locked-out")
#   tailgating	Kit (enrolled) is let in while Rose stands beside him
#		(one photo of both): an alarm "tailgating", once
#   loitering	Biden, unknown, stays in view past loiter_after 5s: an
#		alarm "loitering", once
#   ack		"alarms" lists what no guard answered; "ack" clears one
#		(with its note, in "alarms --all" and an "ack" event); a
#		second ack is a conflict, an event that is no alarm is
#		not found
#
# Liveness is off: the scenes are still photos, and tests/regress/
# liveness.sh covers it.
set -eu
. "$ROOT/tests/regress/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }

chmod 755 .
mkdir frames voice
frame_blank blank.ppm
frames_add frames "$FACES/alex_lacamoire_1.jpg" 20
frames_add frames blank.ppm 10
write_conf <<EOF
liveness off
loiter_after 5s
fail_limit 2
allow_pin_only yes
EOF
start_agent
wait_for '[ "$(gh status | json "d[\"camera\"]")" = ended ]'
wait_for '[ "$(gh pending | json "len(d[\"visits\"])")" = 1 ]'
visit=$(gh pending | json 'd["visits"][0]["visit"]')
gh deny "$visit" --deny-list > deny.json || fail "deny: $(cat deny.json)"
gh people add kit "$FACES/kit_harington_1.jpg" "$FACES/kit_harington_2.jpg" \
    > add.json || fail "people add: $(cat add.json)"
stop_agent

rm -rf frames
mkdir frames
frames_add frames blank.ppm 5
frames_add frames "$FACES/alex_lacamoire_2.jpg" 15
frames_add frames blank.ppm 30
frames_add frames "$FACES/alex_lacamoire_1.jpg" 15
frames_add frames blank.ppm 30
frames_add frames "$FACES/group_kit_harington_rose_leslie.jpg" 20
frames_add frames blank.ppm 30
frames_add frames "$FACES/biden_1.jpg" 110
frames_add frames blank.ppm 5
start_agent
wait_for '[ "$(gh status | json "d[\"camera\"]")" = ended ]'

gh alarms > alarms.json || fail "alarms: $(cat alarms.json)"
python3 - alarms.json <<'EOF' || fail "alarms: $(cat alarms.json)"
import base64, json, sys
alarms = json.load(open(sys.argv[1]))["alarms"]
kinds = sorted(a["kind"] for a in alarms)
assert kinds == ["deny-list", "deny-list", "lockout", "loitering",
                 "tailgating"], kinds
ids = [a["alarm"] for a in alarms]
assert ids == sorted(ids, reverse=True), ids
for a in alarms:
    assert a["acked_by"] is None and a["acked_at"] is None, a
    if a["kind"] != "lockout":
        assert base64.b64decode(a["photo"])[:3] == b"\xff\xd8\xff", a
deny = [a for a in alarms if a["kind"] == "deny-list"]
assert all(a["person"] == "visit-1" for a in deny), deny
EOF
ls voice | grep -q alarm || fail "no alarm prompt: $(ls voice)"

# The tailgating alarm names the entry it followed.
gh events --since 1h > events.json
python3 - events.json <<'EOF' || fail "events: $(cat events.json)"
import json, sys
evs = json.load(open(sys.argv[1]))["events"]
granted = [e for e in evs if e["type"] == "granted"]
assert len(granted) == 1 and granted[0]["person"] == "kit", granted
tail = [e for e in evs if e.get("kind") == "tailgating"]
assert len(tail) == 1 and tail[0]["entry_track"] == granted[0]["track"], tail
assert tail[0]["track"] != granted[0]["track"], tail
assert tail[0]["entry_photo"] == granted[0]["photo"], tail
lock = [e for e in evs if e.get("kind") == "lockout"]
assert lock[0]["key"] == "door", lock
EOF

# The door's reader is locked out after the two denials.
conf_set policy pin
kill -HUP "$AGENT_PID"
wait_for '[ "$(gh config | json "d[\"config\"][\"policy\"]")" = pin ]'
gh pin 123456 > pin.json
[ "$(json 'd["result"], d["reason"]' < pin.json)" = "('refused', 'locked-out')" ] ||
    fail "a PIN after the lockout: $(cat pin.json)"

# A guard acknowledges the first deny-list alarm.
first=$(gh alarms | json '[a["alarm"] for a in d["alarms"] if a["kind"] == "deny-list"][-1]')
gh ack "$first" --note "Alex walked away" > ack.json || fail "ack: $(cat ack.json)"
[ "$(json 'd["alarm"]' < ack.json)" = "$first" ] || fail "ack: $(cat ack.json)"
[ "$(gh alarms | json 'len(d["alarms"])')" = 4 ] || fail "alarms after ack: $(gh alarms)"
gh alarms --all > all.json
python3 - all.json "$first" <<'EOF' || fail "alarms --all: $(cat all.json)"
import json, sys
alarms = json.load(open(sys.argv[1]))["alarms"]
a = [a for a in alarms if a["alarm"] == int(sys.argv[2])][0]
assert a["acked_by"].startswith("uid ") and a["note"] == "Alex walked away", a
assert a["photo"] is None and a["acked_at"] > 0, a
EOF
rc=0; gh ack "$first" > out.txt 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "a second ack: exit $rc ($(cat out.txt))"
granted=$(gh events --since 1h | json '[e["event"] for e in d["events"] if e["type"] == "granted"][0]')
rc=0; gh ack "$granted" > out.txt 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "ack of a grant: exit $rc ($(cat out.txt))"
gh events --since 1h | json '[e for e in d["events"] if e["type"] == "ack"]' |
    grep -q "Alex walked away" || fail "no ack event"
stop_agent
"$AGENT" verify-log -d data > verify.txt || fail "verify-log: $(cat verify.txt)"
echo "threats: ok"
