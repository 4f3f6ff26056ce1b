# Passes end to end: a real agent over real face photos, two unknown
# visitors, each approved by the guard; each approval issues a signed pass
# and a PIN.
#
# Checks: the approve reply (pass id, "GH1:" token, 6-digit PIN, the window:
# pass_valid (8h) by default, 2h with --valid-for 2h, the doors); the token
# is QR alphanumeric, verifies with the public half of the key in
# data/keys (openssl) and says what the reply says; it makes a QR code that
# decodes to itself (qrencode and zbarimg, when installed); the key file is
# 0600 (and a world-writable keyring stops the agent); "passes" lists both,
# and again after a restart (the keyring is reopened, not remade);
# "pass revoke" takes one off the list, a second revoke is not-found
# (exit 3), a malformed id bad-request (exit 2); no event, log line or
# database byte holds a token or a PIN; the log verifies.
set -eu
. "$ROOT/tests/regress/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }

# The worker runs as nobody: it must read the frames.
chmod 755 .
mkdir frames voice
frame_blank blank.ppm
frames_add frames "$FACES/kit_harington_1.jpg" 20
frames_add frames blank.ppm 30
frames_add frames "$FACES/rose_leslie_1.jpg" 20
frames_add frames blank.ppm 30
write_conf </dev/null
start_agent

wait_for '[ "$(gh status | json "d[\"camera\"]")" = ended ]'
wait_for '[ "$(gh pending | json "len(d[\"visits\"])")" = 2 ]'
gh pending > pending.json
v1=$(json 'd["visits"][1]["visit"]' < pending.json)
v2=$(json 'd["visits"][0]["visit"]' < pending.json)

# The keyring: made at start, one key, 0600 in a 0700 directory.
[ "$(stat -c %a data/keys)" = 700 ] || fail "keys dir: $(stat -c %a data/keys)"
set -- data/keys/ed25519-*.pem
[ $# = 1 ] && [ -f "$1" ] || fail "key files: $(ls -la data/keys)"
key=$1
[ "$(stat -c %a "$key")" = 600 ] || fail "key mode: $(stat -c %a "$key")"
openssl pkey -in "$key" -pubout -out pub.pem || fail "public key"

# Approved with the default window.
gh approve "$v1" > a1.json || fail "approve: $(cat a1.json)"
python3 - a1.json "$v1" <<'EOF' || fail "approve: $(cat a1.json)"
import json, re, sys
r = json.load(open(sys.argv[1]))
assert r["visit"] == int(sys.argv[2]), r
assert re.fullmatch(r"[0-9a-f]{32}", r["pass"]), r["pass"]
assert r["token"].startswith("GH1:"), r["token"]
# QR alphanumeric: 0-9, A-Z, space and $%*+-./:
assert re.fullmatch(r"[0-9A-Z $%*+\-./:]+", r["token"]), r["token"]
assert re.fullmatch(r"[0-9]{6}", r["pin"]), r["pin"]
assert r["expires"] - r["not_before"] == 8 * 3600 * 1000, r
assert r["not_before"] % 1000 == 0, r
assert r["doors"] == ["front"], r["doors"]
assert r["person"] is None, r
EOF
pass1=$(json 'd["pass"]' < a1.json)
token1=$(json 'd["token"]' < a1.json)
pin1=$(json 'd["pin"]' < a1.json)

# The token verifies with the door's key and says what the reply says
# (doc/PASSES, sections 2 to 4).
python3 - "$token1" a1.json <<'EOF' || fail "token fields: $token1"
import base64, json, struct, sys
text, r = sys.argv[1], json.load(open(sys.argv[2]))
b32 = text[4:]
raw = base64.b32decode(b32 + "=" * (-len(b32) % 8))
ver, key_id = raw[0], struct.unpack(">I", raw[1:5])[0]
pid = raw[5:21].hex()
visit, person, nb, exp, uses, ndoors = struct.unpack(">qqqqHB", raw[21:56])
doors, off = [], 56
for _ in range(ndoors):
    n = raw[off]
    doors.append(raw[off + 1:off + 1 + n].decode())
    off += 1 + n
assert off + 64 == len(raw), (off, len(raw))
assert ver == 1 and key_id != 0
assert pid == r["pass"], (pid, r["pass"])
assert visit == r["visit"] and person == 0, (visit, person)
assert nb * 1000 == r["not_before"] and exp * 1000 == r["expires"]
assert uses == 1 and doors == ["front"], (uses, doors)
open("msg.bin", "wb").write(b"gatehouse-pass-v1\0" + raw[:off])
open("sig.bin", "wb").write(raw[off:])
EOF
openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg.bin \
    -sigfile sig.bin > verify-sig.txt 2>&1 ||
    fail "signature: $(cat verify-sig.txt)"

# The QR code of the token decodes to the token.
if command -v qrencode >/dev/null && command -v zbarimg >/dev/null; then
	qrencode -l M -o qr.png "$token1" || fail "qrencode"
	[ "$(zbarimg --raw -q qr.png 2>/dev/null)" = "$token1" ] ||
	    fail "QR decodes to: $(zbarimg --raw -q qr.png 2>/dev/null)"
else
	echo "no qrencode or zbarimg: the QR round trip is not checked"
fi

# Approved for 2h, as the console shows it to a person.
gh --text approve "$v2" --valid-for 2h --name "Rose L" > a2.txt ||
    fail "approve --text: $(cat a2.txt)"
grep -q '^pass: *[0-9a-f]\{32\}$' a2.txt || fail "text: $(cat a2.txt)"
grep -q '^token: *GH1:[A-Z2-7]*$' a2.txt || fail "text: $(cat a2.txt)"
grep -q '^pin: *[0-9]\{6\}$' a2.txt || fail "text: $(cat a2.txt)"
grep -q '^doors: *front$' a2.txt || fail "text: $(cat a2.txt)"
pass2=$(sed -n 's/^pass: *//p' a2.txt)
token2=$(sed -n 's/^token: *//p' a2.txt)
pin2=$(sed -n 's/^pin: *//p' a2.txt)
[ "$pass1" != "$pass2" ] && [ "$token1" != "$token2" ] ||
    fail "two approvals, one pass"

# Both listed, newest first; the 2h window.
gh passes > passes.json || fail "passes: $(cat passes.json)"
python3 - passes.json "$pass1" "$pass2" "$v1" "$v2" <<'EOF' ||
import json, sys
p = json.load(open(sys.argv[1]))["passes"]
assert [x["pass"] for x in p] == [sys.argv[3], sys.argv[2]], p
assert p[0]["visit"] == int(sys.argv[5]) and p[1]["visit"] == int(sys.argv[4])
assert p[0]["expires"] - p[0]["not_before"] == 2 * 3600 * 1000, p[0]
assert p[1]["expires"] - p[1]["not_before"] == 8 * 3600 * 1000, p[1]
for x in p:
    assert x["uses"] == 1 and x["doors"] == ["front"], x
    assert x["person"] is None, x
    assert "token" not in x and "pin" not in x, x
EOF
    fail "passes: $(cat passes.json)"

# The keyring is reopened, not remade: same key, same passes.
stop_agent
start_agent
[ "$(ls data/keys/ed25519-*.pem)" = "$key" ] || fail "keys: $(ls data/keys)"
[ "$(gh passes | json 'len(d["passes"])')" = 2 ] || fail "passes: $(gh passes)"

# Revoked: off the list, and only once.
gh pass revoke "$(echo "$pass1" | tr a-f A-F)" > revoke.json ||
    fail "revoke: $(cat revoke.json)"
[ "$(json 'd["pass"]' < revoke.json)" = "$pass1" ] ||
    fail "revoke: $(cat revoke.json)"
[ "$(gh passes | json '[p["pass"] for p in d["passes"]]')" = "['$pass2']" ] ||
    fail "passes after revoke: $(gh passes)"
rc=0; gh pass revoke "$pass1" > again.json 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "revoked twice: exit $rc: $(cat again.json)"
rc=0
gh pass revoke 00000000000000000000000000000000 > unknown.json 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "unknown pass: exit $rc: $(cat unknown.json)"
rc=0; gh pass revoke not-a-pass > bad.json 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "malformed id: exit $rc: $(cat bad.json)"

# Events name the passes and hold no token and no PIN.
gh events --since 1h > events.json
python3 - events.json "$pass1" "$pass2" "$pin1" "$pin2" <<'EOF' ||
import json, sys
text = open(sys.argv[1]).read()
ev = json.loads(text)["events"]
p1, p2, pins = sys.argv[2], sys.argv[3], sys.argv[4:]
approved = [e for e in ev if e["type"] == "visit"]
assert [e.get("pass") for e in approved] == [p1, p2], approved
for e in approved:
    assert e["state"] == "approved", e
    assert e["expires"] > e["not_before"], e
revoked = [e for e in ev if e["type"] == "pass"]
assert len(revoked) == 1, revoked
assert revoked[0]["pass"] == p1 and revoked[0]["action"] == "revoked"
assert revoked[0]["by"].startswith("uid "), revoked[0]
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            assert k not in ("pin", "token"), k
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
    else:
        assert str(v) not in pins, v
        assert "GH1:" not in str(v), v
walk(ev)
assert "GH1:" not in text
for pin in pins:
    assert '"%s"' % pin not in text, pin
EOF
    fail "events: $(cat events.json)"
stop_agent

# Nor the log, nor the database (which keeps only the PIN's scrypt hash).
for s in "$token1" "$token2" "GH1:" "\"$pin1\"" "\"$pin2\""; do
	if grep -a -q -F -e "$s" agent.log data/gatehouse.db*; then
		fail "found $s in the log or the database"
	fi
done
python3 - data/gatehouse.db "$pass2" <<'EOF' || fail "stored pass"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
(h,) = db.execute("SELECT pin_hash FROM passes WHERE id = ?",
    (sys.argv[2],)).fetchone()
assert h.startswith("scrypt$"), h
EOF
"$AGENT" verify-log -d data > verify.txt || fail "verify-log: $(cat verify.txt)"

# A keyring anyone can write to is not trusted: the agent does not start.
chmod 777 data/keys
if "$AGENT" -f gatehouse.conf > /dev/null 2> refused.log; then
	fail "the agent ran with a world-writable keyring"
fi
grep -q "keys" refused.log || fail "refused: $(cat refused.log)"
chmod 700 data/keys
echo "passes: ok"
