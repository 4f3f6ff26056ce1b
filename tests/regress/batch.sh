# Batch: every command against a real agent in a temporary directory, the
# console's JSON output checked with a real parser (python3's json) for the
# keys doc/PROTOCOL promises and the values the scenario implies, and the
# exit statuses of doc/gatehouse.1 (0 ok, 1 other, 2 usage, bad-request or
# unknown command, 3 not-found, 4 permission-denied, 5 unreachable).
#
# The camera replays three strangers (Kit Harington, Joe Biden, Rose
# Leslie) with blank frames between them: three pending visits A, B and C.
# Then Alex Lacamoire is enrolled with "people add" (a group photo refused;
# a name in use, a missing file, no usable photo).
#
# 1. status, pending, visit, visitor, watch, --text for a list and an
#    object.
# 2. enroll B to alex; approve A with --enroll and --valid-for, B with
#    --valid; deny C with --deny-list; the conflicts of decided visits.
# 3. deny-list, deny-list add, deny-list remove; -b with several commands,
#    failing ones in the middle (the first failure's status).
# 4. people remove, people forget.
# 5. passes, pass revoke (none issued by this agent version yet; the
#    checks take them when they come), door open, config, events with
#    --since and --follow (a live event, ended by SIGTERM; alone and in -b).
# 6. Usage errors, a viewer (nobody) refused a guard's and an admin's
#    commands, an agent that is not there.
#
# Where the agent or the console is found to differ from doc/PROTOCOL or
# the man page, the check asserts what it does now, marked "DEVIATION".
set -eu
. "$ROOT/tests/regress/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }
command -v setpriv >/dev/null || { echo "no setpriv (util-linux)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "running the console as nobody needs root"; exit 77; }

# run NAME [-n] ARGS...: the console (as nobody with -n) on this agent,
# keeping NAME.out, NAME.err and the exit status in $rc.
run() {
	_name=$1; shift
	rc=0
	if [ "${1:-}" = -n ]; then
		shift
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    ./gatehouse-nobody -S "$PWD/agent.sock" "$@" \
		    > "$_name.out" 2> "$_name.err" || rc=$?
	else
		gh "$@" > "$_name.out" 2> "$_name.err" || rc=$?
	fi
}

# ok NAME ARGS...: run, which must succeed with one line and no message.
ok() {
	run "$@"
	[ "$rc" = 0 ] || fail "$*: exit $rc: $(cat "$1.err")"
	[ ! -s "$1.err" ] || fail "$*: said: $(cat "$1.err")"
	[ "$(wc -l < "$1.out")" = 1 ] || fail "$*: output: $(cut -c1-300 "$1.out")"
}

# err STATUS CODE NAME ARGS...: run, which must fail with STATUS, print
# nothing on stdout and say "gatehouse: ...CODE" on stderr (CODE, a grep
# pattern, is the agent's code or the console's own message). The agent's
# refusal is one line, "gatehouse: COMMAND: CODE: MESSAGE".
err() {
	_st=$1 _code=$2; shift 2
	run "$@"
	[ "$rc" = "$_st" ] ||
	    fail "$*: exit $rc, not $_st: $(cat "$1.out" "$1.err")"
	[ ! -s "$1.out" ] || fail "$*: output on failure: $(cat "$1.out")"
	grep -q "^gatehouse: .*$_code" "$1.err" ||
	    fail "$*: message lacks \"$_code\": $(cat "$1.err")"
	case $_code in
	bad-request|conflict|not-found|permission-denied)
		[ "$(wc -l < "$1.err")" = 1 ] &&
		    grep -q "^gatehouse: [a-z -]*: $_code: ." "$1.err" ||
		    fail "$*: message: $(cat "$1.err")" ;;
	esac
}

# check NAME PYTHON: runs the Python statements on d, the one JSON object
# of NAME.out, parsed strictly; helpers: keys(o, "k1 k2 ...") asserts o
# has exactly those keys, jpeg(s) that base64 s is a JPEG, ms(v) that v
# is a time in ms (an integer), pass_ok(r) that r's pass and PIN are null
# or well-formed.
check() {
	python3 - "$1.out" "$2" <<'EOF' || fail "$1: $(cut -c1-600 "$1.out")"
import base64, json, re, sys
def strict(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), "a key twice: %r" % keys
    return dict(pairs)
def keys(o, want):
    assert isinstance(o, dict), o
    assert set(o) == set(want.split()), "keys %s, want %s" % (sorted(o), want)
def jpeg(s):
    assert base64.b64decode(s, validate=True)[:3] == b"\xff\xd8\xff"
def ms(v):
    assert type(v) is int and 1e12 < v < 1e14, v
def pass_ok(r):
    # An agent that issues no passes yet has the keys, null.
    assert r["pass"] is None or re.fullmatch("[0-9a-f]{32}", r["pass"]), r
    assert r["pin"] is None or re.fullmatch("[0-9]+", r["pin"]), r
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert len(lines) == 2 and lines[1] == "", "%d lines" % len(lines)
d = json.loads(lines[0], object_pairs_hook=strict)
assert isinstance(d, dict), d
exec(sys.argv[2])
EOF
}

# A field of the last output: field NAME PYTHON-EXPRESSION-ON-d.
field() { json "$2" < "$1.out"; }

# Whatever ends the script, no agent is left behind.
trap '[ -z "${AGENT_PID:-}" ] || kill -KILL "$AGENT_PID" 2>/dev/null || true' EXIT

# The agent: three strangers with gaps that end their tracks (1.5 s).
chmod 755 .
mkdir frames voice
frame_blank blank.ppm
for who in kit_harington_1 biden_1 rose_leslie_1; do
	frames_add frames "$FACES/$who.jpg" 20
	frames_add frames blank.ppm 30
done
write_conf <<EOF
viewer_users nobody
EOF
start_agent

# The three visits. Photos to enrol wait until the camera is done: the
# worker analyses them, and frames that come meanwhile are dropped (a
# stranger may then go unseen on a loaded machine).
wait_for '[ "$(gh status | json "d[\"camera\"]")" = ended ]'
wait_for '[ "$(gh pending | json "len(d[\"visits\"])")" = 3 ]'
# people add: a group photo is refused with its index and reason, the
# person is added with the others.
ok add people add alex "$FACES/alex_lacamoire_1.jpg" \
    "$FACES/group_two_people.jpg" "$FACES/alex_lacamoire_2.jpg"
check add 'keys(d, "person name templates refused warnings")
assert type(d["person"]) is int and d["name"] == "alex", d
assert d["templates"] == 2, d
assert len(d["refused"]) == 1, d["refused"]
keys(d["refused"][0], "photo reason")
assert d["refused"][0]["photo"] == 1 and "face" in d["refused"][0]["reason"]
assert d["warnings"] == [], d'
alex=$(field add 'd["person"]')
err 1 conflict addagain people add alex "$FACES/alex_lacamoire_3.png"
err 1 "No such file" addmissing people add bob "$PWD/no-such.jpg"
err 2 bad-request addbad people add bob "$FACES/README.md"
ok people people
check people 'keys(d, "people")
assert len(d["people"]) == 1, d
keys(d["people"][0], "id name templates added")
p = d["people"][0]
assert p["id"] == '"$alex"' and p["name"] == "alex" and p["templates"] == 2
ms(p["added"])'

# 1. status, pending, visit, visitor, watch; --text.
ok status status
check status 'keys(d, "door door_state camera worker worker_restarts frames "
    "dropped analyse_ms people templates pending uptime")
assert d["door"] == "front" and d["door_state"] == "closed", d
assert d["camera"] == "ended" and d["worker"] == "ok", d
assert d["worker_restarts"] == 0 and d["frames"] == 150, d
# analyse_ms is the mean of the worker'"'"'s last period of statistics: 0 when
# it analysed no frame in it (it did photos to enrol).
assert 0 <= d["dropped"] < d["frames"] and d["analyse_ms"] >= 0, d
assert d["people"] == 1 and d["templates"] == 2 and d["pending"] == 3, d
assert type(d["uptime"]) is int and d["uptime"] >= 0, d'
ok pending pending
check pending 'keys(d, "visits")
v = d["visits"]
assert len(v) == 3, v
for x in v:
    keys(x, "visit first_seen last_seen seen door name email photo")
    assert x["seen"] == 1 and x["door"] == "front", x
    assert x["name"] is None and x["email"] is None, x
    ms(x["first_seen"]); ms(x["last_seen"])
    assert x["first_seen"] <= x["last_seen"], x
    jpeg(x["photo"])
# Newest first.
assert v[0]["visit"] > v[1]["visit"] > v[2]["visit"], v
assert v[0]["last_seen"] > v[1]["last_seen"] > v[2]["last_seen"], v'
A=$(field pending 'd["visits"][2]["visit"]')
B=$(field pending 'd["visits"][1]["visit"]')
C=$(field pending 'd["visits"][0]["visit"]')

# A list as a table with a header line, the photo (data) left out.
run tpending --text pending
[ "$rc" = 0 ] || fail "--text pending: exit $rc: $(cat tpending.err)"
python3 - tpending.out "$A $B $C" <<'EOF' || fail "--text pending: $(cat tpending.out)"
import sys
rows = [r.split() for r in open(sys.argv[1]).read().splitlines()]
assert rows[0] == ["VISIT", "FIRST_SEEN", "LAST_SEEN", "SEEN", "DOOR",
    "NAME", "EMAIL"], rows[0]
assert len(rows) == 4, rows
assert [r[0] for r in rows[1:]] == sys.argv[2].split()[::-1], rows
for r in rows[1:]:
    # VISIT, two local times (date and time each), SEEN, DOOR, -, -.
    assert len(r) == 9 and r[5:] == ["1", "front", "-", "-"], r
EOF
# An object as "key: value" lines.
run tstatus --text status
[ "$rc" = 0 ] || fail "--text status: exit $rc: $(cat tstatus.err)"
grep -q "^door: *front$" tstatus.out && grep -q "^pending: *3$" tstatus.out &&
    grep -q "^camera: *ended$" tstatus.out ||
    fail "--text status: $(cat tstatus.out)"
[ "$(wc -l < tstatus.out)" = 12 ] || fail "--text status: $(cat tstatus.out)"

ok visit visit "$A"
check visit 'keys(d, "visit state door first_seen last_seen seen name email "
    "phone decided_by reason photos nearest distance")
assert d["visit"] == '"$A"' and d["state"] == "pending", d["state"]
assert d["door"] == "front" and d["seen"] == 1, d["door"]
for k in "name", "email", "phone", "decided_by", "reason":
    assert d[k] is None, k
assert len(d["photos"]) >= 1
for p in d["photos"]:
    jpeg(p)
assert d["nearest"] == "alex" and d["distance"] > 0.6, d["nearest"]'
err 3 not-found visitnf visit 99999

# The kiosk leaves the visitor's details; the guard sees them.
ok visitor visitor "$A" --name "Kit H" --email kit@example.org \
    --phone "+44 20 7946 0000"
check visitor 'keys(d, "visit"); assert d["visit"] == '"$A"
ok visit visit "$A"
check visit 'assert (d["name"], d["email"], d["phone"]) == ("Kit H",
    "kit@example.org", "+44 20 7946 0000"), d["name"]'
ok pending pending
check pending 'v = [x for x in d["visits"] if x["visit"] == '"$A"'][0]
assert (v["name"], v["email"]) == ("Kit H", "kit@example.org"), v["name"]'
err 3 not-found visitornf visitor 99999 --name X
err 2 bad-request visitorbad visitor "$A" --email not-an-address
ok watch watch
[ "$(cat watch.out)" = '{"door":"front"}' ] || fail "watch: $(cat watch.out)"

# 2. Decisions. B's face is added to alex (the visit stays pending).
ok enroll enroll "$B" alex
check enroll 'keys(d, "person templates warnings")
assert d["person"] == "alex" and d["templates"] == 1, d
assert d["warnings"] == [], d'
err 3 not-found enrollnf enroll "$B" nobody-such
err 3 not-found enrollnv enroll 99999 alex
ok people people
check people 'assert d["people"][0]["templates"] == 3, d'

# approve --enroll --valid-for: a person made from the visit's face.
ok approve approve "$A" --name "Kit H" --email kit@example.org \
    --valid-for 2h --enroll
check approve 'keys(d, "visit person templates id pass token pin not_before expires doors")
assert d["visit"] == '"$A"' and d["person"] == "Kit H", d
assert d["templates"] >= 1, d
pass_ok(d)
ms(d["not_before"]); ms(d["expires"])
assert d["expires"] - d["not_before"] == 2 * 3600 * 1000, d'
pass_a=$(field approve 'd["pass"] or ""')
ok people people
check people 'n = {p["name"]: p["templates"] for p in d["people"]}
assert set(n) == {"alex", "Kit H"} and n["Kit H"] >= 1, n'
# A decided visit cannot be decided again.
err 1 conflict again approve "$A"
err 1 conflict again deny "$A"
# A decided visit's face may be enrolled too (doc/PROTOCOL 4.6).
ok enroll enroll "$A" "Kit H"
check enroll 'assert d["person"] == "Kit H" and d["templates"] >= 1, d'
# --enroll with a name in use: refused, and B is still pending.
err 1 conflict approvename approve "$B" --name alex --enroll
err 2 bad-request approveboth approve "$B" \
    --valid 2030-01-01T09:00:00Z..2030-01-01T17:00:00Z --valid-for 2h
err 2 bad-request approveorder approve "$B" \
    --valid 2030-01-01T17:00:00Z..2030-01-01T09:00:00Z
err 2 bad-request approvenoname approve "$B" --enroll
err 3 not-found approvenf approve 99999
# approve --valid: from 09:00 UTC to 17:00 at +02:00, six hours.
ok approve approve "$B" --name Bob \
    --valid 2030-01-01T09:00:00Z..2030-01-01T17:00:00+02:00
check approve 'keys(d, "visit person id pass token pin not_before expires doors")
assert d["visit"] == '"$B"' and d["person"] == "Bob", d
pass_ok(d)
assert d["not_before"] == 1893488400000, d
assert d["expires"] == 1893510000000, d'
pass_b=$(field approve 'd["pass"] or ""')
ok people people
check people 'assert "Bob" not in [p["name"] for p in d["people"]], d'

# deny --deny-list: an entry made from C's face.
ok deny deny "$C" --deny-list
check deny 'keys(d, "visit entry")
assert d["visit"] == '"$C"' and type(d["entry"]) is int, d'
entry=$(field deny 'd["entry"]')
err 1 conflict again deny "$C"
err 3 not-found denynf deny 99999
ok pending pending
check pending 'assert d == {"visits": []}, d'
ok visit visit "$C"
check visit 'assert d["state"] == "denied", d["state"]
assert d["decided_by"].startswith("uid 0"), d["decided_by"]'

# 3. The deny list.
ok denylist deny-list
check denylist 'keys(d, "entries")
assert len(d["entries"]) == 1, d
e = d["entries"][0]
keys(e, "entry name templates added")
assert e["entry"] == '"$entry"' and e["name"] == "visit-'"$C"'", e
assert e["templates"] >= 1, e
ms(e["added"])'
# C's face is on the list already: a second entry of that name is refused.
err 1 conflict dladdagain deny-list add "$C"
err 3 not-found dladdnf deny-list add 99999

# Batch mode: every line runs over one connection, quotes hold, the first
# failure's status (3, not-found) is the exit status.
rc=0
gh -b > b.out 2> b.err <<EOF || rc=$?
status
# the morning round: B came back, tailgating
deny-list add $B --reason "tailgating at 9"
visit 99999
approve $A
fly
visit 'x y'
deny-list
EOF
[ "$rc" = 3 ] || fail "-b: exit $rc, not 3: $(cat b.err)"
python3 - b.out "$entry" <<'EOF' || fail "-b output: $(cut -c1-600 b.out)"
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
assert len(L) == 3, L
assert L[0]["door"] == "front" and L[0]["pending"] == 0, L[0]
assert list(L[1]) == ["entry"] and type(L[1]["entry"]) is int, L[1]
assert [e["entry"] for e in L[2]["entries"]] == [int(sys.argv[2]),
    L[1]["entry"]], L[2]
EOF
grep -q "^gatehouse: visit: not-found: " b.err &&
    grep -q "^gatehouse: approve: conflict: " b.err &&
    grep -q '^gatehouse: line 6: unknown command "fly"' b.err &&
    grep -q '^gatehouse: line 7: visit: visit must be an integer' b.err ||
    fail "-b messages: $(cat b.err)"
[ "$(grep -c '^gatehouse: ' b.err)" = 4 ] || fail "-b messages: $(cat b.err)"
entry2=$(sed -n 2p b.out | json 'd["entry"]')
# A usage error only: 2.
rc=0
printf 'status\nstatus --now\n' | gh -b > b.out 2> b.err || rc=$?
[ "$rc" = 2 ] && [ "$(wc -l < b.out)" = 1 ] ||
    fail "-b usage error: exit $rc: $(cat b.out b.err)"
# All good: 0.
rc=0
printf 'status\n\n  # nothing\npeople\n' | gh -b > b.out 2> b.err || rc=$?
[ "$rc" = 0 ] && [ "$(wc -l < b.out)" = 2 ] && [ ! -s b.err ] ||
    fail "-b: exit $rc: $(cat b.out b.err)"

ok events events --since 1h
check events 'p = [e for e in d["events"] if e["type"] == "person" and
    e["action"] == "deny-listed" and e.get("reason") == "tailgating at 9"]
assert len(p) == 1 and p[0]["person"] == "visit-'"$B"'", p'
ok dlremove deny-list remove "$entry2"
check dlremove 'keys(d, "entry"); assert d["entry"] == '"$entry2"
err 3 not-found dlremove deny-list remove "$entry2"
err 3 not-found dlremove deny-list remove 99999
ok denylist deny-list
check denylist 'assert [e["entry"] for e in d["entries"]] == ['"$entry"'], d'
# An entry off the deny list is a forgotten face, never an enrolled
# person (doc/PROTOCOL 4.13).
ok people people
check people 'assert "visit-'"$B"'" not in [p["name"] for p in d["people"]], d'

# 4. People: remove (history kept), forget (erased), each once.
ok remove people remove alex
check remove 'keys(d, "person"); assert d["person"] == '"$alex"
err 3 not-found remove people remove alex
ok people people
check people 'assert "alex" not in [p["name"] for p in d["people"]], d'
ok forget people forget alex
check forget 'keys(d, "person"); assert d["person"] == '"$alex"
err 3 not-found forget people forget alex
err 3 not-found forget people forget "$alex"
err 3 not-found remove people remove nobody-such
ok events events --since 1h
check events 'p = [e for e in d["events"] if e["type"] == "person" and
    e.get("person_id") == '"$alex"']
assert [e["action"] for e in p] == ["added", "enrolled", "removed",
    "forgotten"], p
# Forgotten: the name is gone from past events too.
assert all(e["person"] is None for e in p), p
assert all(e["by"].startswith("uid 0") for e in p), p'
ok people people
check people 'assert sorted(p["name"] for p in d["people"]) == ["Kit H"], d'
# status counts the people recognised now, as "people" lists them.
ok status status
check status 'assert d["people"] == 1 and d["pending"] == 0, d'

# 5. Passes: those of A and B (both valid or not yet valid), or none from
# an agent that issues none yet; a pass revoked is listed no more.
ok passes passes
check passes 'keys(d, "passes")
want = {x for x in "'"$pass_a $pass_b"'".split()}
assert {p["pass"] for p in d["passes"]} == want, d
for p in d["passes"]:
    keys(p, "pass person visit not_before expires uses doors")
    ms(p["not_before"]); ms(p["expires"])
    assert type(p["uses"]) is int and p["uses"] >= 0, p'
if [ -n "$pass_a" ]; then
	ok revoke pass revoke "$pass_a"
	check revoke 'assert d == {"pass": "'"$pass_a"'"}, d'
	ok passes passes
	check passes 'assert [p["pass"] for p in d["passes"]] == ["'"$pass_b"'"]'
fi
err 3 not-found revoke pass revoke 0123456789abcdef0123456789abcdef

# The door, the configuration.
ok open door open --reason "batch test"
check open 'keys(d, "pulse"); assert d["pulse"] == 1000, d'
wait_for '[ "$(door_count pulse)" = 1 ]'
# Released before the next opening, which is then a pulse of its own.
wait_for '[ "$(door_count release)" = 1 ]'
err 2 "--reason is required" open door open
err 2 bad-request open door open --reason ""
ok config config
check config 'keys(d, "config")
c = d["config"]
assert c["control_socket"] == "'"$PWD"'/agent.sock", c
assert c["door_name"] == "front" and c["door_pulse"] == "1s", c
assert c["viewer_users"] == "nobody", c'

# Events: since a time or a duration, oldest first.
ok events events --since 1h
check events 'ev = d["events"]
assert list(d) == ["events"] and len(ev) >= 10, d
for e in ev:
    for k in "type", "time", "door", "person", "event":
        assert k in e, (k, e)
    assert e["door"] == "front", e
ids = [e["event"] for e in ev]
assert ids == sorted(ids) and len(set(ids)) == len(ids), ids
kinds = [e["type"] for e in ev]
assert kinds.count("pending") == 3, kinds
v = {e["visit"]: e for e in ev if e["type"] == "visit"}
assert sorted(v) == sorted(['"$A, $B, $C"']), v
assert v['"$A"']["state"] == "approved" and v['"$C"']["state"] == "denied"
assert v['"$B"']["not_before"] == 1893488400000, v['"$B"']
assert all(x["by"].startswith("uid 0") for x in v.values()), v
g = [e for e in ev if e["type"] == "granted"]
assert len(g) == 1 and g[0]["reason"] == "manual", g
assert g[0]["note"] == "batch test" and g[0]["person"] is None, g'
ok events events --since 2020-01-01T00:00:00Z
all=$(field events 'len(d["events"])')
ok events events
check events 'assert len(d["events"]) == '"$all"
ok events events --since 2099-01-01T00:00:00+01:00
check events 'assert d == {"events": []}, d'
err 2 bad-request events events --since yesterday
err 2 "needs a value" events events --since

# events --follow, alone and as the last but one line of -b (the line
# after it is not run): the result line, then a door opened meanwhile;
# SIGTERM ends both with status 0 (a background job of sh ignores SIGINT).
# The console itself in the background, not gh (a subshell): $! is its pid.
"$CONSOLE" -S "$PWD/agent.sock" events --follow --since 1h \
    > follow.out 2> follow.err &
follow=$!
printf 'people\nevents --follow\nstatus\n' > bfollow.in
"$CONSOLE" -S "$PWD/agent.sock" -b < bfollow.in > bfollow.out 2> bfollow.err &
bfollow=$!
wait_for '[ -s follow.out ] && [ "$(wc -l < bfollow.out)" -ge 2 ]'
ok open door open --reason follow
wait_for 'grep -q "\"note\":\"follow\"" follow.out'
wait_for 'grep -q "\"note\":\"follow\"" bfollow.out'
kill -TERM "$follow" "$bfollow"
rc=0; wait "$follow" || rc=$?
[ "$rc" = 0 ] || fail "events --follow: exit $rc: $(cat follow.err)"
rc=0; wait "$bfollow" || rc=$?
[ "$rc" = 0 ] || fail "-b events --follow: exit $rc: $(cat bfollow.err)"
[ ! -s follow.err ] && [ ! -s bfollow.err ] ||
    fail "events --follow said: $(cat follow.err bfollow.err)"
python3 - follow.out bfollow.out "$all" <<'EOF' ||
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
assert list(L[0]) == ["events"] and len(L[0]["events"]) == int(sys.argv[3])
for e in L[1:]:
    for k in "type", "time", "door", "person":
        assert k in e, (k, e)
    assert "ok" not in e and "id" not in e, e
g = [e for e in L[1:] if e["type"] == "granted"]
assert len(g) == 1 and g[0]["note"] == "follow" and g[0]["by"].startswith("uid 0")
B = [json.loads(l) for l in open(sys.argv[2])]
assert list(B[0]) == ["people"] and list(B[1]) == ["events"], B[:2]
assert not [x for x in B if "door_state" in x], "status ran after --follow"
assert [e["note"] for e in B[2:] if e["type"] == "granted"] == ["follow"]
EOF
    fail "events --follow: $(cut -c1-300 follow.out bfollow.out)"
# A list as a table, its header first.
run tpeople --text people
[ "$rc" = 0 ] || fail "--text people: exit $rc"
head -n 1 tpeople.out | grep -q "^ID  *NAME  *TEMPLATES  *ADDED$" ||
    fail "--text people: $(cat tpeople.out)"
grep -q "^[0-9][0-9]*  *Kit H  *[0-9]  *[0-9-]* [0-9:]*$" tpeople.out ||
    fail "--text people: $(cat tpeople.out)"

# 6. Usage errors: not sent, exit 2.
err 2 'unknown command "fly"' usage fly
err 2 'unknown command "hello"' usage hello
err 2 'missing argument "visit"' usage visit
err 2 'missing argument "person"' usage enroll "$B"
err 2 'missing argument "photos"' usage people add carol
err 2 "must be an integer" usage visit 9007199254740992
err 2 'unexpected argument "2"' usage visit 1 2
err 2 "unknown option --now" usage status --now
grep -q "^usage: gatehouse status$" usage.err || fail "usage: $(cat usage.err)"
err 3 not-found usage visit 9007199254740991

# A viewer: nobody, through a socket it may reach (a copy of the console it
# can surely run). It may look, not decide nor administer.
cp "$CONSOLE" ./gatehouse-nobody
chmod 755 gatehouse-nobody
chmod 666 agent.sock
ok nstatus -n status
check nstatus 'assert d["door"] == "front", d'
ok npending -n pending
ok nwatch -n watch
err 4 permission-denied nobody -n approve "$A"
err 4 permission-denied nobody -n deny-list
err 4 permission-denied nobody -n door open --reason nobody
err 4 permission-denied nobody -n config
err 4 permission-denied nobody -n people add eve "$PWD/blank.ppm"
# Decided by -b too: the first failure's status.
rc=0
printf 'status\npasses\n' | setpriv --reuid=nobody --regid=nogroup \
    --clear-groups ./gatehouse-nobody -S "$PWD/agent.sock" -b \
    > nb.out 2> nb.err || rc=$?
[ "$rc" = 4 ] && [ "$(wc -l < nb.out)" = 1 ] ||
    fail "nobody -b: exit $rc: $(cat nb.out nb.err)"
[ "$(door_count pulse)" = 2 ] || fail "pulses: $(cat door)"

# An agent that is not there: exit 5, nothing on stdout.
rc=0
"$CONSOLE" -S "$PWD/no-such.sock" status > none.out 2> none.err || rc=$?
[ "$rc" = 5 ] && [ ! -s none.out ] &&
    grep -q "^gatehouse: cannot connect to the agent: .*no-such.sock" none.err ||
    fail "no agent: exit $rc: $(cat none.out none.err)"
rc=0
printf 'status\npeople\n' | "$CONSOLE" -S "$PWD/no-such.sock" -b \
    > none.out 2> none.err || rc=$?
[ "$rc" = 5 ] && [ ! -s none.out ] && [ "$(wc -l < none.err)" = 1 ] ||
    fail "no agent, -b: exit $rc: $(cat none.out none.err)"

stop_agent
AGENT_PID=
! grep -q "Sanitizer\|runtime error" agent.log || fail "sanitizer reports"
echo "ok"
