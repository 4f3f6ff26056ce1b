# A pass from the guard's approval to the door, through a real mail server:
# an unknown visitor (a real face photo) waits; the guard approves with the
# visitor's address; the mail reaches an SMTP sink on 127.0.0.1 (Debian's
# python3-aiosmtpd) with the QR code as an inline PNG, which zbar decodes to
# exactly the token the guard was shown, and the PIN, window and door in the
# text. The signing key is rotated: the pass signed by the old one still
# opens. Then the agent restarts on a camera that shows that PNG twice, more
# than the repeat window apart: the door opens once ("granted", reason
# "pass"), the second showing is refused as a replay, the pass is no longer
# listed, the sent mail no longer holds the PIN, and the log verifies.
# Last, at a qr+face door, a pass issued to the now enrolled visitor and
# shown before any face waits for it: another person's face does not use
# it (a guard is asked), the holder's own face does ("granted", reason
# "match", the pass used).
set -eu
. "$ROOT/tests/regress/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }
need_smtp_sink
command -v zbarimg >/dev/null || { echo "zbarimg is not installed"; exit 77; }

# The worker runs as nobody: it must read the frames.
chmod 755 .
mkdir frames voice
port=$(free_port)
trap 'kill $SINK 2>/dev/null || true' EXIT
smtp_sink mail "$port"

frame_blank blank.ppm
frames_add frames "$FACES/kit_harington_1.jpg" 20
frames_add frames blank.ppm 10
write_conf <<EOF
smtp_url smtp://127.0.0.1:$port
mail_from door@example.org
EOF
start_agent
wait_for '[ "$(gh status | json "d[\"camera\"]")" = ended ]'
wait_for '[ "$(gh pending | json "len(d[\"visits\"])")" = 1 ]'
visit=$(gh pending | json 'd["visits"][0]["visit"]')

gh approve "$visit" --name "Ann Lee" --email ann@example.org --enroll \
    > approve.json ||
    fail "approve: $(cat approve.json)"
token=$(json 'd["token"]' < approve.json)
pin=$(json 'd["pin"]' < approve.json)
pass=$(json 'd["id"]' < approve.json)
[ "$(json 'd["pass"]' < approve.json)" = "$pass" ] || fail "id and pass differ"

# The mail: to the visitor, the PNG decodes to the token, the PIN in the text.
wait_for '[ -f mail/0001.eml ]'
$PY "$ROOT/tests/tools/mail-parse.py" mail/0001.eml qr.png > mail.json
python3 - mail.json "$pin" <<'EOF' || fail "mail: $(cat mail.json)"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["to_addr"] == "ann@example.org", m["to_addr"]
assert m["to_name"] == "Ann Lee", m["to_name"]
assert m["x-envelope-to"] == "ann@example.org", m
assert sys.argv[2] in m["text"], m["text"]
assert "front" in m["text"], m["text"]
assert m["png_cid"], m
EOF
[ "$(zbarimg --nodbus -q --raw qr.png)" = "$token" ] ||
    fail "the mailed QR code is not the token"
wait_for '[ "$(gh outbox --state sent | json "len(d[\"rows\"])")" = 1 ]'
gh outbox > outbox.json
[ "$(json 'd["rows"][0]["destination"]' < outbox.json)" = ann@example.org ] ||
    fail "outbox: $(cat outbox.json)"
# A new signing key: the mailed pass, signed by the old one, still opens.
gh keys rotate > rotate.json || fail "keys rotate: $(cat rotate.json)"
gh keys > keys.json
python3 - keys.json rotate.json <<'EOF' || fail "keys: $(cat keys.json)"
import json, sys
keys = json.load(open(sys.argv[1]))["keys"]
r = json.load(open(sys.argv[2]))
assert len(keys) == 2, keys
cur = [k for k in keys if k["current"]]
old = [k for k in keys if not k["current"]]
assert cur[0]["key"] == r["key"] and old[0]["key"] == r["previous"], (keys, r)
assert cur[0]["last_expiry"] is None and old[0]["last_expiry"] > 0, keys
EOF
sqlite3 data/gatehouse.db "SELECT payload FROM outbox" > payloads
grep -q "$pin" payloads && fail "a sent mail's payload still holds the PIN"
grep -q "$token" payloads && fail "a sent mail's payload still holds the pass"
stop_agent

# The door: the mailed PNG shown, then shown again after the repeat window.
rm -rf frames
mkdir frames
frames_add frames blank.ppm 5
frames_add frames "$PWD/qr.png" 10
frames_add frames blank.ppm 100
frames_add frames "$PWD/qr.png" 10
frames_add frames blank.ppm 5
pulses=$(door_count pulse)
start_agent
wait_for '[ "$(gh status | json "d[\"camera\"]")" = ended ]'
gh events --since 1h > events.json
python3 - events.json "$pass" <<'EOF' || fail "events: $(cat events.json)"
import json, sys
evs = json.load(open(sys.argv[1]))["events"]
granted = [e for e in evs if e["type"] == "granted"]
denied = [e for e in evs if e["type"] == "denied"]
assert len(granted) == 1, granted
assert granted[0]["reason"] == "pass" and granted[0]["pass"] == sys.argv[2], granted
assert granted[0]["via"] == "qr", granted
assert len(denied) == 1, denied
assert denied[0]["reason"] == "replay" and denied[0]["pass"] == sys.argv[2], denied
assert denied[0]["via"] == "qr", denied
EOF
[ "$(door_count pulse)" = $((pulses + 1)) ] || fail "door: $(cat door)"
[ "$(gh passes | json 'len(d["passes"])')" = 0 ] || fail "the used pass is listed"

# qr+face: a pass for Ann, mailed; shown with Rose's face, then with Ann's.
gh pass issue "Ann Lee" > issue.json || fail "pass issue: $(cat issue.json)"
pass2=$(json 'd["id"]' < issue.json)
wait_for '[ -f mail/0002.eml ]'
$PY "$ROOT/tests/tools/mail-parse.py" mail/0002.eml qr2.png > mail2.json
stop_agent
rm -rf frames
mkdir frames
frames_add frames blank.ppm 5
frames_add frames "$PWD/qr2.png" 10
frames_add frames blank.ppm 3
frames_add frames "$FACES/rose_leslie_1.jpg" 20
frames_add frames blank.ppm 100
frames_add frames "$PWD/qr2.png" 10
frames_add frames blank.ppm 3
frames_add frames "$FACES/kit_harington_2.jpg" 20
frames_add frames blank.ppm 5
conf_set policy qr+face
pulses=$(door_count pulse)
start_agent
wait_for '[ "$(gh status | json "d[\"camera\"]")" = ended ]'
gh events --since 1h > events2.json
python3 - events2.json "$pass2" <<'EOF' || fail "events: $(cat events2.json)"
import json, sys
evs = json.load(open(sys.argv[1]))["events"]
evs = evs[[i for i, e in enumerate(evs) if e.get("action") == "issued"][-1]:]
granted = [e for e in evs if e["type"] == "granted"]
assert len(granted) == 1, granted
g = granted[0]
assert g["reason"] == "match" and g["person"] == "Ann Lee", g
assert g["pass"] == sys.argv[2] and g["via"] == "qr", g
assert any(e["type"] == "uncertain" and e["reason"] == "policy"
           for e in evs), evs
assert not [e for e in evs if e["type"] == "denied"], evs
EOF
[ "$(door_count pulse)" = $((pulses + 1)) ] || fail "door: $(cat door)"
stop_agent
"$AGENT" verify-log -d data > verify.txt || fail "verify-log: $(cat verify.txt)"
echo "pass-door: ok"
