# PINs, issued passes and one-time codes at a real agent, driven by the
# console in batch mode, with a real SMTP sink on 127.0.0.1.
#
# Checks: "pass issue" for a pre-registered visitor (the reply's fields,
# the mail with its QR code, bad arguments exit 2, an unknown person 3);
# at a pin door, a wrong PIN is refused ("bad-pin"), the right one opens
# the door once, and fail_limit failures lock the door out (an alarm
# "lockout", then even the right PIN is "locked-out"); input that is not a
# PIN exits 2; at a face door a PIN is refused as "policy". Then at a
# face+otp door, an enrolled person's face makes the agent mail them a
# one-time code (an event "otp"), and that code typed at the kiosk lets
# them in by name, once.
set -eu
. "$ROOT/tests/regress/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }
need_smtp_sink

chmod 755 .
mkdir frames voice
port=$(free_port)
trap 'kill $SINK 2>/dev/null || true' EXIT
smtp_sink mail "$port"
mails() { ls mail | grep -c '\.eml$' || true; }

frame_blank blank.ppm
frames_add frames "$FACES/kit_harington_1.jpg" 20
frames_add frames blank.ppm 10
write_conf <<EOF
smtp_url smtp://127.0.0.1:$port
mail_from door@example.org
policy pin
allow_pin_only yes
fail_limit 2
EOF
start_agent
wait_for '[ "$(gh status | json "d[\"camera\"]")" = ended ]'
wait_for '[ "$(gh pending | json "len(d[\"visits\"])")" = 1 ]'
visit=$(gh pending | json 'd["visits"][0]["visit"]')

# A pass for a visitor announced ahead, mailed with its QR code.
gh pass issue --name "Bob Ray" --email bob@example.org --valid-for 2h \
    --uses 1 > issue.json || fail "pass issue: $(cat issue.json)"
python3 - issue.json <<'EOF' || fail "pass issue: $(cat issue.json)"
import json, re, sys
r = json.load(open(sys.argv[1]))
assert re.fullmatch(r"[0-9a-f]{32}", r["id"]) and r["pass"] == r["id"], r
assert r["token"].startswith("GH1:"), r
assert re.fullmatch(r"[0-9]{6}", r["pin"]), r
assert r["expires"] - r["not_before"] == 2 * 3600 * 1000, r
assert r["doors"] == ["front"] and r["person"] is None, r
EOF
pin=$(json 'd["pin"]' < issue.json)
wait_for '[ "$(mails)" = 1 ]'
$PY "$ROOT/tests/tools/mail-parse.py" mail/0001.eml qr.png > mail.json
python3 - mail.json "$pin" <<'EOF' || fail "mail: $(cat mail.json)"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["to_addr"] == "bob@example.org" and m["to_name"] == "Bob Ray", m
assert sys.argv[2] in m["text"] and m["png_cid"], m
EOF
rc=0; gh pass issue > out.txt 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "pass issue without a holder: exit $rc"
rc=0; gh pass issue --name X --uses 0 > out.txt 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "pass issue --uses 0: exit $rc"
rc=0; gh pass issue --name X --email "a@b.org>" > out.txt 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "pass issue with a bad address: exit $rc"
rc=0; gh pass issue nobody > out.txt 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "pass issue for nobody: exit $rc"

# The PIN at a pin door: wrong, right (the door opens), right again.
wrong=$(python3 -c 'import sys; print("%06d" % ((int(sys.argv[1]) + 1) % 10**6))' "$pin")
gh pin "$wrong" > pin.json
[ "$(json 'd["result"], d["reason"]' < pin.json)" = "('refused', 'bad-pin')" ] ||
    fail "a wrong PIN: $(cat pin.json)"
sleep 1.1	# the first failure's backoff
pulses=$(door_count pulse)
gh pin " $pin " > pin.json
[ "$(json 'd["result"], d["reason"]' < pin.json)" = "('granted', 'pin')" ] ||
    fail "the right PIN: $(cat pin.json)"
wait_for '[ "$(door_count pulse)" = $((pulses + 1)) ]'
# A used PIN is unknown: the second failure (fail_limit 2) locks out.
gh pin "$pin" > pin.json
[ "$(json 'd["result"], d["reason"]' < pin.json)" = "('refused', 'bad-pin')" ] ||
    fail "a used PIN: $(cat pin.json)"
rc=0; gh pin 12a4 > out.txt 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "a PIN with a letter: exit $rc"
gh pass issue --name "Cy" --valid-for 1h > issue2.json
pin2=$(json 'd["pin"]' < issue2.json)
gh pin "$pin2" > pin.json
[ "$(json 'd["result"], d["reason"]' < pin.json)" = "('refused', 'locked-out')" ] ||
    fail "a PIN while locked out: $(cat pin.json)"
gh events --since 1h > events.json
python3 - events.json <<'EOF' || fail "events: $(cat events.json)"
import json, sys
evs = json.load(open(sys.argv[1]))["events"]
alarms = [e for e in evs if e["type"] == "alarm" and e["kind"] == "lockout"]
assert len(alarms) == 1 and alarms[0]["key"] == "door", alarms
granted = [e for e in evs if e["type"] == "granted"]
assert len(granted) == 1 and granted[0]["reason"] == "pin", granted
assert granted[0]["via"] == "pin", granted
reasons = [e["reason"] for e in evs if e["type"] == "denied"]
assert "bad-pin" in reasons and "locked-out" in reasons, reasons
EOF

# A face door takes no PIN.
conf_set policy face
kill -HUP "$AGENT_PID"
wait_for '[ "$(gh config | json "d[\"config\"][\"policy\"]")" = face ]'
gh pin "$pin2" > pin.json
[ "$(json 'd["result"], d["reason"]' < pin.json)" = "('refused', 'policy')" ] ||
    fail "a PIN at a face door: $(cat pin.json)"

# Enrol the visitor with an address, then make the door face+otp.
gh approve "$visit" --name Kit --email kit@example.org --enroll > a.json ||
    fail "approve: $(cat a.json)"
wait_for '[ "$(mails)" = 2 ]'
stop_agent
rm -rf frames
mkdir frames
frames_add frames blank.ppm 5
frames_add frames "$FACES/kit_harington_2.jpg" 30
frames_add frames blank.ppm 5
conf_set policy face+otp
start_agent
wait_for '[ "$(mails)" = 3 ]'
$PY "$ROOT/tests/tools/mail-parse.py" mail/0003.eml none.png > otp.json
code=$(python3 - otp.json <<'EOF'
import json, re, sys
m = json.load(open(sys.argv[1]))
assert m["to_addr"] == "kit@example.org", m
print(re.search(r"code for door front: ([0-9]{6})", m["text"]).group(1))
EOF
) || fail "one-time code mail: $(cat otp.json)"
wait_for '[ "$(gh status | json "d[\"camera\"]")" = ended ]'
pulses=$(door_count pulse)
gh pin "$code" > pin.json
[ "$(json 'd["result"], d["reason"], d["person"]' < pin.json)" = \
    "('granted', 'otp', 'Kit')" ] || fail "the one-time code: $(cat pin.json)"
wait_for '[ "$(door_count pulse)" = $((pulses + 1)) ]'
gh pin "$code" > pin.json
[ "$(json 'd["result"]' < pin.json)" = refused ] ||
    fail "a one-time code used twice: $(cat pin.json)"
gh events --since 1h > events.json
python3 - events.json <<'EOF' || fail "events: $(cat events.json)"
import json, sys
evs = json.load(open(sys.argv[1]))["events"]
otp = [e for e in evs if e["type"] == "otp"]
assert len(otp) == 1 and otp[0]["person"] == "Kit", otp
assert otp[0]["via"] == "email", otp
EOF
stop_agent
"$AGENT" verify-log -d data > verify.txt || fail "verify-log: $(cat verify.txt)"
echo "access: ok"
