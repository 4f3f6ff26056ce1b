# Alarms: a deny-listed face comes back to the camera and its alarm's
# banner, with the face, interrupts the page the guard is on; a door forced
# through the sim door's contact is a second alarm, the newest shown with
# the count; K and a note acknowledge it and the first shows again. A new
# console shows the waiting alarm as it connects, laid out at each size
# and without colour under NO_COLOR; a viewer sees it but cannot answer
# it, and an "ack" from another console (batch) takes it away. Batch mode
# lists the alarms (--all with who acknowledged them, --text one a line).
# The alarms page (!) lists them, follows a new one and acknowledges the
# selected one with Enter. The kiosk shows no alarm and is not disturbed.
set -eu
. "$ROOT/tests/tui/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }

# The id of the newest alarm of kind $1 ("alarms" $2: "" or --all).
alarm_id() {
	gh alarms ${2:-} | json "[a['alarm'] for a in d['alarms'] if a['kind'] == '$1'][0]"
}
waiting() { gh alarms | json 'len(d["alarms"])'; }

# A stranger, ten seconds of nothing, then the same face again. Liveness
# is off (a replayed still is a spoof to it) and a door waits an hour to
# be held open: the only alarms are those the test raises. The console
# run as nobody is a viewer.
chmod 755 .
mkdir frames voice
frame_blank blank.ppm
frames_add frames "$FACES/rose_leslie_1.jpg" 20
frames_add frames blank.ppm 150
frames_add frames "$FACES/rose_leslie_1.jpg" 20
frames_add frames blank.ppm 30
write_conf <<EOF
liveness off
held_open_after 1h
viewer_users nobody
EOF
start_agent
wait_for '[ "$(gh pending | json "len(d[\"visits\"])")" = 1 ]'
VISIT=$(gh pending | json 'd["visits"][0]["visit"]')
[ "$(waiting)" = 0 ] || fail "alarms at the start: $(gh alarms)"
# Deny-listed before the face comes back.
gh deny "$VISIT" --deny-list > deny.json || fail "deny: $(cat deny.json)"

# The guard reads the log when the face comes back: the banner, with the
# face drawn on its right (rows 15-22 at 80x24, 16 columns).
tui_start
wait_screen "^ front  *connected  *admin"
keys l
wait_screen "^ Event log"
wait_screen "^ ALARM at front: Deny-listed face"
wait_screen "Person: visit-1"
wait_screen "K acknowledge    ! all alarms"
row 1 | grep -q "^ Event log" || fail "the banner left the log page"
wait_for '[ "$(cells 15 22 64 79)" -gt 60 ]'
DL=$(alarm_id deny-list)

# A door forced while it shows: the newest, with the count.
echo 'contact open' > door.in
wait_screen "^ ALARM at front: Door forced  *newest of 2 alarms"
row 1 | grep -q "^ Event log" || fail "the banner left the log page"
wait_for '[ "$(waiting)" = 2 ]'
FORCED=$(alarm_id forced)
# The log is laid out above the banner: its last row is the banner's top.
wait_for '[ "$(screen | grep -n "^ ALARM at front" | cut -d: -f1)" = 15 ]'

# K asks for a note; the forced alarm is acknowledged, the other shows.
keys K
wait_screen "Acknowledge alarm #$FORCED at front: Door forced"
keys "checked the door" Enter
wait_screen "alarm #$FORCED at front acknowledged; 1 more waiting"
wait_screen "^ ALARM at front: Deny-listed face"
wait_screen_not "newest of"
[ "$(waiting)" = 1 ] || fail "waiting: $(gh alarms)"
[ "$(alarm_id deny-list)" = "$DL" ] || fail "waiting: $(gh alarms)"

# A console that connects now shows it at once, on the main screen too.
tui_start
wait_screen "^ Gatehouse   1 door   0 pending   1 ALARM "
wait_screen "^ ALARM at front: Deny-listed face"
wait_screen "^Recent decisions"
# Laid out again at 120x40 (a taller banner) and back.
tm resize-window -x 120 -y 40
wait_for '[ "$(screen | wc -l)" = 40 ]'
wait_for 'row 40 | grep -q "^ Enter view" && fits 120 &&
    [ "$(screen | grep -n "^ ALARM at front" | cut -d: -f1)" = 27 ]'
wait_screen "^Recent decisions"
tm resize-window -x 80 -y 24
wait_for '[ "$(screen | wc -l)" = 24 ]'
wait_for 'fits 80 && [ "$(screen | grep -n "^ ALARM at front" | cut -d: -f1)" = 15 ]'
[ "$(tm capture-pane -p -e | colours)" -gt 0 ] ||
    fail "no colours on the banner without NO_COLOR"

# NO_COLOR: the banner (and its face) without one colour.
tui_run "NO_COLOR=1 $CONSOLE -S $PWD/agent.sock"
wait_screen "^ ALARM at front: Deny-listed face"
wait_for '[ "$(cells 15 22 64 79)" -gt 60 ]'
[ "$(tm capture-pane -p -e | colours)" = 0 ] ||
    fail "NO_COLOR: colours on the banner"

# A viewer sees the alarm, and cannot acknowledge it.
chmod 666 agent.sock
cp "$CONSOLE" ./gatehouse-nobody
chmod 755 gatehouse-nobody
tui_run "setpriv --reuid=nobody --regid=nogroup --clear-groups ./gatehouse-nobody -S $PWD/agent.sock"
wait_screen "^ front  *connected  *viewer"
wait_screen "^ ALARM at front: Deny-listed face"
wait_screen "Only a guard can acknowledge it: you are viewer at front"
keys K
wait_screen "ack needs role guard; you are viewer at front"
! screen | grep -q "Acknowledge alarm" || fail "a viewer was asked for a note"
[ "$(waiting)" = 1 ] || fail "a viewer acknowledged: $(gh alarms)"
# Acknowledged from another console: the banner goes everywhere.
gh ack "$DL" --note delivery > ack.json || fail "ack: $(cat ack.json)"
[ "$(json 'd["alarm"]' < ack.json)" = "$DL" ] || fail "ack: $(cat ack.json)"
wait_screen_not "ALARM at front"
wait_screen "^ Gatehouse   1 door   0 pending *? help"
wait_screen "^Recent decisions"

# Batch: nothing waits; --all says who acknowledged each and why.
[ "$(waiting)" = 0 ] || fail "still waiting: $(gh alarms)"
rc=0; gh ack "$DL" > again.out 2> again.err || rc=$?
[ "$rc" = 1 ] && grep -q "conflict" again.err ||
    fail "ack twice: exit $rc: $(cat again.out again.err)"
rc=0; gh ack 999999 > none.out 2> none.err || rc=$?
[ "$rc" = 3 ] || fail "ack of no alarm: exit $rc: $(cat none.err)"
gh alarms --all > all.json
python3 - all.json "$DL" "$FORCED" <<'PY' || fail "alarms --all: $(cut -c1-400 all.json)"
import json, sys
al = {a["alarm"]: a for a in json.load(open(sys.argv[1]))["alarms"]}
dl, forced = al[int(sys.argv[2])], al[int(sys.argv[3])]
assert dl["kind"] == "deny-list" and dl["person"] == "visit-1", dl
assert forced["kind"] == "forced", forced
for a, note in ((dl, "delivery"), (forced, "checked the door")):
    assert a["acked_by"].startswith("uid 0"), a
    assert a["acked_at"] >= a["time"] and a["note"] == note, a
PY
gh --text alarms --all > all.txt
head -n 1 all.txt | grep -q "^ALARM  TIME  *DOOR  *KIND  *REASON  *PERSON  *ACKED_BY  *NOTE$" ||
    fail "alarms --text header: $(cat all.txt)"
grep -Eq "^$DL +[0-9-]+ [0-9:]+ +front +Deny-listed face +deny-list +visit-1 +uid 0 \(root\) +delivery$" all.txt ||
    fail "alarms --text: $(cat all.txt)"
grep -Eq "^$FORCED +[0-9-]+ [0-9:]+ +front +Door forced +- +- +uid 0 \(root\) +checked the door$" all.txt ||
    fail "alarms --text: $(cat all.txt)"
[ "$(gh --text alarms)" = "alarms: none" ] || fail "alarms --text: $(gh --text alarms)"

# The alarms page: both acknowledged; Enter on one says by whom.
tui_start
wait_screen "^ front  *connected  *admin"
# Help lists the keys.
keys "?"
wait_screen "^  K  *any  *acknowledge the alarm shown (guard)"
keys NPage
wait_screen "^  !  *any  *show the alarms, or read them again"
wait_screen "^  Enter  *alarms  *acknowledge the selected alarm (guard)"
keys q
wait_screen "^Recent decisions"
keys "!"
wait_screen "^ Alarms (0 waiting, 2 acknowledged)"
wait_screen "^ front  *#$DL  .*Deny-listed face  *acknowledged"
wait_screen "^ front  *#$FORCED  .*Door forced  *acknowledged"
keys Enter
wait_screen "was acknowledged by uid 0 (root)"
# A new alarm while the page shows: listed first, waiting; no banner here.
echo 'contact closed' > door.in
echo 'contact open' > door.in
wait_screen "^ Alarms (1 waiting, 2 acknowledged)"
wait_for '[ "$(waiting)" = 1 ]'
NEW=$(alarm_id forced)
wait_screen "^ front  *#$NEW  .*Door forced  *waiting"
! screen | grep -q "ALARM at front" || fail "a banner on the alarms page"
keys g Enter
wait_screen "Acknowledge alarm #$NEW at front: Door forced"
keys Enter
wait_screen "alarm #$NEW at front acknowledged"
wait_screen "^ Alarms (0 waiting, 3 acknowledged)"
[ "$(waiting)" = 0 ] || fail "still waiting: $(gh alarms)"
keys q
wait_screen "^Recent decisions"
! screen | grep -q "ALARM at front" || fail "a banner with nothing waiting"

# The kiosk: an alarm and its acknowledgement change nothing there.
tui_run "sh -c 'echo \$\$ > kiosk.pid; exec $CONSOLE -S $PWD/agent.sock kiosk'"
wait_screen "Welcome to front"
echo 'contact closed' > door.in
echo 'contact open' > door.in
wait_for '[ "$(waiting)" = 1 ]'
gh ack "$(alarm_id forced)" > ack.json || fail "ack: $(cat ack.json)"
sleep 1
wait_screen "Welcome to front"
! screen | grep -qi "alarm\|forced\|acknowledge" || fail "the kiosk shows an alarm"
kill -0 "$(cat kiosk.pid)" || fail "the kiosk died"
echo ok
