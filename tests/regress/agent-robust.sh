# The door agent when things go wrong: a real agent on a file: camera that
# loops over blank frames, the sim: door and the wav: voice.
#
# 1. Main killed (SIGKILL) in the middle of a 5 s pulse: the keeper drops
#    the relay on main's EOF, no child is left, and a new agent starts over
#    the stale socket.
# 2. The vision worker killed: main restarts it and says how it died.
# 3. Door inputs through the sim door's FIFO: a forced door, a door held
#    open after a pulse, the exit button.
# 4. SIGHUP: a good reload, a broken file and a restart-only keyword (both
#    refused, the running configuration kept).
# 5. Permissions: a user the socket's mode keeps out, then one with no
#    role, then a viewer who may look but not open the door.
# 6. Bad peers through dial-stdio: garbage, unknown commands, a 2 MiB
#    line, a peer that only sends garbage, a follower killed mid-stream.
# 7. SIGTERM: exit 0, the socket removed, no child left.
set -eu
. "$ROOT/tests/regress/lib.sh"

HELLO='{"id":1,"cmd":"hello","args":{"version":1,"client":"regress"}}'

# Whether process $1 is gone: no such pid, or a zombie (an init that does
# not reap, as in some containers, leaves orphans so).
gone() {
	[ ! -e "/proc/$1" ] ||
	    [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" = Z ]
}

# Waits until every pid given is gone.
wait_gone() {
	for _p in "$@"; do
		wait_for "gone $_p"
	done
}

# The pid of the door keeper the agent started last (from its log).
keeper_pid() {
	sed -n 's/.*door keeper: started (pid \([0-9]*\)).*/\1/p' agent.log |
	    tail -n 1
}

# Counts the (last 100) events for which the Python condition $1 on e holds.
ev_count() {
	gh events | json "len([e for e in d['events'] if $1])"
}
alarms() { ev_count "e['type'] == 'alarm' and e.get('kind') == '$1'"; }
door_events() { ev_count "e['type'] == 'door' and e.get('state') == '$1'"; }
config_events() { ev_count "e['type'] == 'config' and e.get('result') == '$1'"; }
# The worker's state and restarts, "ok 1".
worker_state() {
	gh status | json 'd["worker"] + " " + str(d["worker_restarts"])'
}

# Whether the Python condition $2 holds on L, the JSON lines of file $1.
lines_ok() {
	python3 -c 'import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if eval("(" + sys.argv[2] + ")", {"L": L}) else 1)' "$1" "$2"
}

# An error reply with code $1 and no id, as a Python expression on r.
noid_error() { echo "'id' not in r and not r['ok'] and r['error']['code'] == '$1'"; }

# The worker runs as nobody: it must read the frames; so must the console
# run as nobody (section 5) reach the socket.
chmod 755 .
mkdir frames voice
frame_blank blank.ppm
frames_add frames blank.ppm 3
write_conf <<EOF
camera_loop yes
door_max_pulse 10s
held_open_after 1s
EOF
conf_set camera_fps 5
conf_set door_pulse 5s

# 1. SIGKILL of main during a pulse.
start_agent
keeper=$(keeper_pid)
worker=$(pgrep -P "$AGENT_PID" -u nobody) || fail "no worker running as nobody"
children=$(pgrep -P "$AGENT_PID" | tr '\n' ' ')
case " $children " in
*" $keeper "*)	;;
*)		fail "keeper $keeper is not among the children: $children" ;;
esac
gh door open --reason test > open.json || fail "door open: $(cat open.json)"
[ "$(json 'd["pulse"]' < open.json)" = 5000 ] || fail "pulse: $(cat open.json)"
wait_for '[ "$(door_count pulse)" = 1 ]'
kill -KILL "$AGENT_PID"
wait "$AGENT_PID" || true
AGENT_PID=
wait_for '[ "$(door_count release)" = 1 ]'
# The file's own clock: the relay dropped when main died, not at the end of
# the 5 s pulse.
python3 - door <<'EOF' || fail "the pulse outlived main: $(cat door)"
import datetime, sys
t = {}
for line in open(sys.argv[1]):
    stamp, word = line.split()[:2]
    t[word] = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
ms = (t["release"] - t["pulse"]).total_seconds() * 1000
assert 0 <= ms < 4000, ms
EOF
wait_gone $children
[ -S agent.sock ] || fail "no socket left by the killed agent"

# A new agent over the stale socket; shorter pulses from now on.
conf_set door_pulse 2s
start_agent
[ "$(gh status | json 'd["door_state"]')" = closed ] || fail "door: $(gh status)"

# 2. The worker killed: restarted after its backoff, and logged.
worker=$(pgrep -P "$AGENT_PID" -u nobody) || fail "no worker running as nobody"
kill -KILL "$worker"
wait_for '[ "$(worker_state)" = "ok 1" ]'
grep -q "worker (pid $worker) killed by signal 9" agent.log ||
    fail "the worker's death is not logged"
new=$(pgrep -P "$AGENT_PID" -u nobody) || fail "no new worker as nobody"
[ "$new" != "$worker" ] || fail "the worker has the old pid"

# 3. Door inputs. A contact opening with no pulse is a forced door.
echo 'contact open' > door.in
wait_for '[ "$(alarms forced)" = 1 ]'
[ "$(door_events open)" = 1 ] || fail "no door event open"
echo 'contact closed' > door.in
wait_for '[ "$(door_events closed)" = 1 ]'
# The held-open timer may have fired already (held_open_after 1s): count.
held=$(alarms held-open)
# Opened during a pulse: not forced, but held open past 1 s is an alarm.
gh door open --reason held > open.json || fail "door open: $(cat open.json)"
wait_for '[ "$(door_count pulse)" = 2 ]'
echo 'contact open' > door.in
wait_for '[ "$(alarms held-open)" = $((held + 1)) ]'
gh events > events.json
python3 - events.json <<'EOF' || fail "door events: $(cat events.json)"
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
opens = [e for e in ev if e["type"] == "door" and e["state"] == "open"]
held = [e for e in ev if e["type"] == "alarm" and e["kind"] == "held-open"]
forced = [e for e in ev if e["type"] == "alarm" and e["kind"] == "forced"]
assert len(opens) == 2, opens
assert held[-1]["event"] > opens[-1]["event"], (held, opens)
assert held[-1]["after_ms"] == 1000, held
assert len(forced) == 1, forced
EOF
echo 'contact closed' > door.in
wait_for '[ "$(door_events closed)" = 2 ]'
wait_for '[ "$(door_count release)" = 2 ]'
# The exit button opens the door.
echo 'exit pressed' > door.in
wait_for '[ "$(door_count pulse)" = 3 ]'
wait_for '[ "$(door_events exit)" = 1 ]'
wait_for '[ "$(door_count release)" = 3 ]'

# 4. Reload. A good one takes effect and says so.
reloaded=$(config_events reloaded)
conf_set match_threshold 0.42
kill -HUP "$AGENT_PID"
wait_for '[ "$(config_events reloaded)" = $((reloaded + 1)) ]'
[ "$(gh config | json 'd["config"]["match_threshold"]')" = 0.42 ] ||
    fail "match_threshold: $(gh config)"
cp gatehouse.conf good.conf
# A broken line: refused with its place, the running values kept.
conf_set match_threshold 0.3
echo "match_treshold 0.3" >> gatehouse.conf
bad=$(wc -l < gatehouse.conf)
kill -HUP "$AGENT_PID"
wait_for '[ "$(config_events refused)" = 1 ]'
kill -0 "$AGENT_PID" || fail "the agent died of a broken file"
[ "$(gh config | json 'd["config"]["match_threshold"]')" = 0.42 ] ||
    fail "a refused reload changed match_threshold: $(gh config)"
grep -q "gatehouse.conf:$bad: .*keeping the running configuration" agent.log ||
    fail "the broken line is not logged with its place"
# A keyword only a restart may change: refused too.
cp good.conf gatehouse.conf
conf_set data_dir "$PWD/data2"
kill -HUP "$AGENT_PID"
wait_for '[ "$(config_events refused)" = 2 ]'
gh events | json '[e for e in d["events"] if e["type"] == "config"][-1]["reason"]' |
    grep -q data_dir || fail "the refusal does not name data_dir"
[ "$(gh config | json 'd["config"]["data_dir"]')" = "$PWD/data" ] ||
    fail "data_dir changed on reload: $(gh config)"
[ ! -e data2 ] || fail "a refused reload made data2"
cp good.conf gatehouse.conf

# 5. Permissions, for a console run as nobody (a copy it can surely run).
cp "$CONSOLE" ./gatehouse-nobody
chmod 755 gatehouse-nobody
nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    ./gatehouse-nobody -S "$PWD/agent.sock" "$@"
}
# The socket is mode 0660, root's: nobody cannot even connect.
[ "$(stat -c %a agent.sock)" = 660 ] || fail "socket mode $(stat -c %a agent.sock)"
rc=0; nobody status > nobody.out 2> nobody.err || rc=$?
[ "$rc" = 5 ] || fail "nobody through a 0660 socket: exit $rc: $(cat nobody.err)"
# Let the socket be reached: nobody is still no one to the agent.
chmod 666 agent.sock
rc=0; nobody status > nobody.out 2> nobody.err || rc=$?
[ "$rc" = 4 ] && grep -q permission-denied nobody.err ||
    fail "nobody without a role: exit $rc: $(cat nobody.out nobody.err)"
# A viewer may look, not open the door.
conf_set viewer_users nobody
reloaded=$(config_events reloaded)
kill -HUP "$AGENT_PID"
wait_for '[ "$(config_events reloaded)" = $((reloaded + 1)) ]'
rc=0; nobody status > nobody.out 2> nobody.err || rc=$?
[ "$rc" = 0 ] || fail "viewer status: exit $rc: $(cat nobody.err)"
[ "$(json 'd["door"]' < nobody.out)" = front ] || fail "status: $(cat nobody.out)"
granted=$(ev_count "e['type'] == 'granted'")
rc=0; nobody door open --reason x > nobody.out 2> nobody.err || rc=$?
[ "$rc" = 4 ] || fail "viewer door open: exit $rc: $(cat nobody.out nobody.err)"
grep -q permission-denied nobody.err || fail "viewer door open: $(cat nobody.err)"
[ "$(ev_count "e['type'] == 'granted'")" = "$granted" ] ||
    fail "a refused door open was logged as granted"
[ "$(door_count pulse)" = 3 ] || fail "a viewer pulsed the door: $(cat door)"

# 6. Bad lines through dial-stdio. Garbage, hello, an unknown command and
# a good one: each gets its reply, with the id when it could be read.
printf '%s\n' 'not json at all' "$HELLO" '{"id":7,"cmd":"fly"}' \
    '{"id":2,"cmd":"status"}' |
    timeout 20 "$AGENT" dial-stdio -S agent.sock > replies.out ||
    fail "dial-stdio: exit $?"
lines_ok replies.out "len(L) == 4 and
    (lambda r: $(noid_error bad-request))(L[0]) and
    L[1]['id'] == 1 and L[1]['ok'] and L[1]['result']['role'] == 'admin' and
    L[2]['id'] == 7 and not L[2]['ok'] and
    L[2]['error']['code'] == 'unknown-command' and
    L[3]['id'] == 2 and L[3]['ok'] and L[3]['result']['door'] == 'front'" ||
    fail "replies: $(cat replies.out)"
# A 2 MiB line is refused by the framing; the session goes on.
python3 -c 'import sys
sys.stdout.write("x" * (2 * 1024 * 1024) + "\n" + sys.argv[1] + "\n")' \
    "$HELLO" > huge.in
timeout 20 "$AGENT" dial-stdio -S agent.sock < huge.in > replies.out ||
    fail "dial-stdio: exit $?"
lines_ok replies.out "len(L) == 2 and
    (lambda r: $(noid_error too-large))(L[0]) and
    L[1]['id'] == 1 and L[1]['ok']" || fail "replies: $(cat replies.out)"
# Twenty garbage lines, stdin left open: the agent drops the peer after
# CONTROL_BAD_MAX (16) of them, which ends dial-stdio (timeout would be 124).
mkfifo bad.in
timeout 20 "$AGENT" dial-stdio -S agent.sock < bad.in > replies.out &
dial=$!
exec 3> bad.in
i=0
while [ "$i" -lt 20 ]; do
	echo "garbage $i" >&3
	i=$((i + 1))
done
rc=0; wait "$dial" || rc=$?
exec 3>&-
[ "$rc" != 124 ] || fail "the agent kept a peer that sends only garbage"
lines_ok replies.out "len(L) == 16 and
    all((lambda r: $(noid_error bad-request))(r) for r in L)" ||
    fail "replies to garbage: $(cat replies.out)"
grep -q "dropped: too many bad requests" agent.log || fail "no drop logged"
gh status > status.json || fail "status after a dropped peer: $(cat status.json)"
# A follower killed mid-stream.
mkfifo follow.in
"$AGENT" dial-stdio -S agent.sock < follow.in > follow.out &
dial=$!
exec 3> follow.in
printf '%s\n' "$HELLO" '{"id":2,"cmd":"events","args":{"follow":true}}' >&3
wait_for '[ "$(wc -l < follow.out)" -ge 2 ]'
gh door open --reason follow > open.json || fail "door open: $(cat open.json)"
wait_for 'grep -q "\"note\":\"follow\"" follow.out'
kill -KILL "$dial"
wait "$dial" || true
exec 3>&-
gh door open --reason after > open.json ||
    fail "door open after a dead follower: $(cat open.json)"
gh status > status.json || fail "status after a dead follower"
[ "$(json 'd["worker"]' < status.json)" = ok ] || fail "status: $(cat status.json)"
[ "$(ev_count "e['type'] == 'granted' and e.get('note') == 'after'")" = 1 ] ||
    fail "events after a dead follower: $(gh events)"
# The second pulse may only have extended the first (no line of its own).
[ "$(door_count pulse)" -ge 4 ] || fail "pulses: $(cat door)"

# 7. SIGTERM: exit 0 (stop_agent checks), the socket gone, no child left.
children=$(pgrep -P "$AGENT_PID" | tr '\n' ' ')
[ -n "$children" ] || fail "no children before SIGTERM"
stop_agent
AGENT_PID=
[ ! -e agent.sock ] || fail "the socket file is left"
wait_gone $children
wait_for '[ "$(door_count release)" = "$(door_count pulse)" ]'
! grep -q "Sanitizer\|runtime error" agent.log || fail "sanitizer reports"
echo "ok"
