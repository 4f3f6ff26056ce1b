# The outbox against a real mail server (tests/tools/sink.py on 127.0.0.1,
# Debian's python3-aiosmtpd) and one that never answers
# (tests/tools/stall.py): unknown visitors (real face photos on a file:
# camera) wait for a guard, and each "pending" event mails every
# notify_email address with the visitor's photo.
#
# (a) The mail server down, then up: two visitors and two addresses are
#     four rows, tried and retried (outbox_backoff 1s: each wait between
#     half and all of 1 s, 2 s, ...) while nothing listens, all "queued"
#     with attempts and a last_error, none "failed" or "sent"; once the
#     sink listens, all four are "sent" and the sink has exactly four
#     mails, one per row: the row's Message-ID, to the row's address, with
#     the visitor's JPEG.
# (b) The agent killed between commit and send: two more visitors while the
#     mail server accepts and never answers, so all four tries are in
#     flight; SIGKILL; the sink takes the port; after a restart every row
#     is delivered once, with the Message-ID it would have had.
# (c) A permanent failure: a recipient the sink refuses (550) is "failed"
#     at once with the 550 in last_error and never delivered; "outbox
#     retry" (admin) queues it again with its attempts reset, and it fails
#     again; retrying a row that is not failed is not-found (exit 3), an
#     unknown --state bad-request (exit 2).
set -eu
. "$ROOT/tests/regress/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }
need_smtp_sink

# Kills the process $1 (started here) and waits for it.
reap() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
# The number of outbox rows in state $1.
rows() { gh outbox --state "$1" | json 'len(d["rows"])'; }
# The number of rows among the outbox's in file $1 for which the Python
# expression $2 (on r) is true.
rows_where() {
	python3 -c 'import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
print(sum(1 for r in rows if eval(sys.argv[2], {"r": r})))' "$1" "$2"
}
# The number of saved mails in sink directory $1.
mails() { ls "$1" | grep -c '\.eml$' || true; }
# The number of "pending" events.
pending_events() {
	gh events --since 1h | json 'sum(1 for e in d["events"] if e["type"] == "pending")'
}

# Checks that sink directory $1 holds exactly one mail for each row of
# outbox listing $2 whose event is in the list $3 (comma-separated ids):
# its Message-ID (distinct for every row), to the row's address on the
# envelope and in To, from mail_from, with the visitor's photo as a JPEG.
check_mails() {
	$PY - "$1" "$2" "$3" <<'EOF' || fail "mails in $1: $(ls "$1")"
import email, email.policy, glob, json, sys
d, listing, events = sys.argv[1], sys.argv[2], sys.argv[3]
events = {int(e) for e in events.split(",")}
rows = [r for r in json.load(open(listing))["rows"] if r["event"] in events]
want = {"<gatehouse.%d.%d@example.org>" % (r["event"], r["row"]): r
    for r in rows}
assert len(want) == len(rows), rows
files = sorted(glob.glob(d + "/*.eml"))
assert len(files) == len(rows), (len(files), len(rows))
seen = set()
for f in files:
    m = email.message_from_bytes(open(f, "rb").read(),
        policy=email.policy.default)
    mid = str(m["message-id"])
    assert mid in want, (f, mid, sorted(want))
    assert mid not in seen, (f, "a second mail with", mid)
    seen.add(mid)
    r = want[mid]
    assert r["kind"] == "email" and r["state"] == "sent", r
    assert m["x-envelope-to"] == r["destination"], (f, m["x-envelope-to"], r)
    assert m["to"].addresses[0].addr_spec == r["destination"], (f, m["to"])
    assert m["x-envelope-from"] == "door@example.org", f
    assert m["from"].addresses[0].addr_spec == "door@example.org", f
    assert str(m["subject"]) == "Visitor waiting at front", m["subject"]
    assert "gatehouse pending" in m.get_body(("plain",)).get_content(), f
    jpegs = [p for p in m.walk() if p.get_content_type() == "image/jpeg"]
    assert len(jpegs) == 1, (f, [p.get_content_type() for p in m.walk()])
    data = jpegs[0].get_payload(decode=True)
    assert data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9", f
    assert len(data) > 1000, (f, len(data))
assert seen == set(want), (seen, set(want))
EOF
}

# The worker runs as nobody: it must read the frames.
chmod 755 .
mkdir voice
frame_blank blank.ppm
# Frames of two unknown people, apart: two pending visits.
frames_two() {
	rm -rf frames
	mkdir frames
	frames_add frames "$FACES/$1" 20
	frames_add frames blank.ppm 30
	frames_add frames "$FACES/$2" 20
	frames_add frames blank.ppm 30
}
trap 'for p in ${SINK:-} ${STALL:-}; do kill $p 2>/dev/null || true; done' EXIT

# (a) The mail server down, then up.
port=$(free_port)
frames_two kit_harington_1.jpg rose_leslie_1.jpg
# The photos are still pictures: liveness would add "spoof-suspected"
# alarms, which mail notify_email too. Without it each visitor is one
# "pending" event, one mail to each address.
write_conf <<EOF
liveness off
smtp_url smtp://127.0.0.1:$port
mail_from door@example.org
notify_email ann@example.org,bob@example.org
outbox_backoff 1s
EOF
start_agent
wait_for '[ "$(gh status | json "d[\"camera\"]")" = ended ]'
wait_for '[ "$(gh pending | json "len(d[\"visits\"])")" = 2 ]'
[ "$(pending_events)" = 2 ] || fail "pending events: $(gh events)"
# Every row tried, the first ones again after their backoff.
wait_for '[ "$(gh outbox | json "len(d[\"rows\"]) == 4 and min(r[\"attempts\"] for r in d[\"rows\"]) >= 1 and max(r[\"attempts\"] for r in d[\"rows\"]) >= 2")" = True ]'
gh outbox > down.json
[ "$(rows_where down.json 'True')" = 4 ] || fail "rows: $(cat down.json)"
gh outbox --state queued > queued.json
python3 - queued.json <<'EOF' || fail "queued rows: $(cat queued.json)"
import json, sys, collections
rows = json.load(open(sys.argv[1]))["rows"]
assert len(rows) == 4, rows
for r in rows:
    assert r["kind"] == "email" and r["state"] == "queued", r
    assert r["attempts"] >= 1, r
    assert r["last_error"] and r["last_error"].startswith("SMTP"), r
    assert "connect" in r["last_error"].lower(), r
    assert r["last_try"] is not None, r
    # The wait after N failed tries: between half and all of 2^(N-1) s
    # (the row's next_try is set just before last_try is stamped).
    full = 1000 * 2 ** (r["attempts"] - 1)
    wait = r["next_try"] - r["last_try"]
    assert full // 2 - 100 <= wait <= full, (r, wait)
# Two visits, each to both addresses.
by = collections.Counter(r["destination"] for r in rows)
assert by == {"ann@example.org": 2, "bob@example.org": 2}, by
assert len({r["event"] for r in rows}) == 2, rows
assert max(r["attempts"] for r in rows) >= 2, rows
EOF
[ "$(rows failed)" = 0 ] || fail "failed rows: $(gh outbox --state failed)"
[ "$(rows sent)" = 0 ] || fail "sent rows: $(gh outbox --state sent)"
events_a=$(python3 -c 'import json, sys
print(",".join(sorted({str(r["event"]) for r in json.load(open(sys.argv[1]))["rows"]})))' queued.json)

# The mail server comes up on that port: everything goes out once.
smtp_sink mail-a "$port"
wait_for '[ "$(rows sent)" = 4 ]'
gh outbox > sent-a.json
[ "$(rows_where sent-a.json 'r["state"] == "sent"')" = 4 ] ||
    fail "rows: $(cat sent-a.json)"
[ "$(rows_where sent-a.json 'r["last_error"] is None')" = 4 ] ||
    fail "a sent row keeps its error: $(cat sent-a.json)"
check_mails mail-a sent-a.json "$events_a"
stop_agent
reap "$SINK"
SINK=

# (b) Killed with every try in flight: a server that takes the connection
# and never says a word.
port=$(free_port)
mkdir stall
$PY "$ROOT/tests/tools/stall.py" "$PWD/stall" "$port" &
STALL=$!
wait_for '[ -f stall/.ready ]'
conf_set smtp_url "smtp://127.0.0.1:$port"
frames_two obama_1.jpg biden_1.jpg
start_agent
wait_for '[ "$(gh status | json "d[\"camera\"]")" = ended ]'
wait_for '[ "$(pending_events)" = 4 ]'
wait_for '[ "$(rows queued)" = 4 ]'
# Four rows, four connections held: every row in flight (the sender tries
# four at once), none finished.
wait_for '[ "$(json "d[\"held\"]" < stall/stall.json)" = 4 ]'
gh outbox --state queued > inflight.json
[ "$(rows_where inflight.json 'r["attempts"] == 0 and r["last_try"] is None')" = 4 ] ||
    fail "rows in flight: $(cat inflight.json)"
[ "$(rows sent)" = 4 ] || fail "sent rows: $(gh outbox --state sent)"
events_b=$(python3 -c 'import json, sys
print(",".join(sorted({str(r["event"]) for r in json.load(open(sys.argv[1]))["rows"]})))' inflight.json)
kill -KILL "$AGENT_PID"
{ wait "$AGENT_PID"; } 2>/dev/null || true
AGENT_PID=
reap "$STALL"
STALL=
[ "$(json 'd["accepted"]' < stall/stall.json)" = 4 ] ||
    fail "connections: $(cat stall/stall.json)"
smtp_sink mail-b "$port"
# Only the rows the dead agent left queued are tried: the camera shows
# nothing new.
rm -rf frames
mkdir frames
frames_add frames blank.ppm 5
start_agent
wait_for '[ "$(rows sent)" = 8 ]'
[ "$(rows queued)" = 0 ] || fail "queued: $(gh outbox --state queued)"
gh outbox > sent-b.json
check_mails mail-b sent-b.json "$events_b"
# One try each after the restart: the try the kill cut short did not count.
[ "$(rows_where sent-b.json "r['event'] in ($events_b,) and r['attempts'] == 1")" = 4 ] ||
    fail "attempts: $(cat sent-b.json)"
[ "$(mails mail-a)" = 4 ] || fail "mail-a: $(ls mail-a)"

# (c) A recipient the mail server refuses for good.
conf_set notify_email reject@example.org
stop_agent
rm -rf frames
mkdir frames
frames_add frames "$FACES/alex_lacamoire_1.jpg" 20
frames_add frames blank.ppm 30
start_agent
wait_for '[ "$(gh status | json "d[\"camera\"]")" = ended ]'
wait_for '[ "$(rows failed)" = 1 ]'
gh outbox --state failed > failed.json
row=$(json 'd["rows"][0]["row"]' < failed.json)
python3 - failed.json <<'EOF' || fail "failed row: $(cat failed.json)"
import json, sys
r = json.load(open(sys.argv[1]))["rows"][0]
assert r["destination"] == "reject@example.org", r
assert r["state"] == "failed" and r["attempts"] == 1, r
assert "550" in r["last_error"], r
EOF
[ "$(rows queued)" = 0 ] || fail "queued: $(gh outbox --state queued)"
[ "$(rows sent)" = 8 ] || fail "sent: $(gh outbox --state sent)"
last=$(json 'd["rows"][0]["last_try"]' < failed.json)
gh outbox retry "$row" > retry.json || fail "outbox retry: $(cat retry.json)"
[ "$(json 'd["row"]' < retry.json)" = "$row" ] || fail "retry: $(cat retry.json)"
# Tried again (attempts start over) and refused again.
wait_for '[ "$(gh outbox --state failed | json "d[\"rows\"][0][\"last_try\"] > $last")" = True ]'
gh outbox --state failed > failed2.json
python3 - failed2.json "$row" <<'EOF' || fail "failed row: $(cat failed2.json)"
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
assert len(rows) == 1 and rows[0]["row"] == int(sys.argv[2]), rows
assert rows[0]["attempts"] == 1 and "550" in rows[0]["last_error"], rows
EOF
# Never delivered: no mail for it, and nothing else either.
[ "$(mails mail-b)" = 4 ] || fail "mail-b: $(ls mail-b)"
! grep -l "reject@" mail-a/*.eml mail-b/*.eml >/dev/null ||
    fail "a mail to the refused address"
grep -q "row $row queued again by" agent.log || fail "the retry is not logged"

# A row that is not failed, and an unknown state.
sent=$(gh outbox --state sent | json 'd["rows"][0]["row"]')
rc=0
gh outbox retry "$sent" > err.json 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "retry of a sent row: exit $rc, $(cat err.json)"
rc=0
gh outbox --state bogus > err.json 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--state bogus: exit $rc, $(cat err.json)"
[ "$(rows sent)" = 8 ] || fail "sent: $(gh outbox --state sent)"
stop_agent
"$AGENT" verify-log -d data > verify.txt || fail "verify-log: $(cat verify.txt)"
echo "outbox: ok"
