#!/bin/sh
# The door agent end to end (issue 3): a real agent, its vision worker on a
# file: camera replayed at camera_fps 15, the sim: door. Three people are
# enrolled from one set of photos; then VISITS visits of theirs come to the
# door, each as 25 blank frames (the previous track ends, 1.5 s unseen)
# and 15 frames of another photo of the person. Per detector, one JSON line
# for table.py: the grants' latency, how much of it is waiting for votes,
# the visits granted, the frames dropped and the processes' peak RSS.
#
# Usage: bench-agent.sh AGENT CONSOLE MODELS FACES [DETECTOR...]
# (detectors: tiny, the default, and ssd; DETECTOR+stall is the same run
# with notifications stalled, below). Environment: VISITS=N (30);
# BENCH_AGENT_CONF, more gatehouse.conf lines ("inference_threads 1");
# BENCH_AGENT_KEEP=1 keeps the directories; BENCH_AGENT_ROWS=1 prints
# every grant on stderr.
#
# What is measured, without help from the agent:
# - latency_ms of each "granted" event: the agent's own, CLOCK_MONOTONIC
#   from the track's first frame to the grant, taken before the event is
#   committed and the pulse sent to the door keeper;
# - the event's time: its decisive frame's time (a file camera stamps
#   frame K with its open time + K intervals, and the worker analyses a
#   frame at that time, or drops it when it is already late);
# - the sim door's pulse line: when the keeper energised the relay.
# Frame times lie on one grid of 67 ms (llround(1000 / 15)), so latency_ms
# = J intervals (from the track's first frame to the decisive one: the
# wait for K of N votes) + the time from the decisive frame to the grant,
# and the pulse line comes after the grant by the commit and the keeper's
# hop. J is the whole number of intervals nearest to latency_ms - (pulse -
# decisive frame). The grid's origin is frame 0's access time (see
# bench-agent.py for a file system without one), and from it each grant's
# time from the first frame its face was on camera to the pulse line: the
# target's measure, which also counts face frames dropped before the track.
#
# DETECTOR+stall: the outbox's mail server and webhook receiver accept
# connections and never answer (tests/tools/stall.py), each connection
# held 30 s before it is closed; every decision queues a webhook
# (notify_webhook lists granted, denied, pending, uncertain and alarm), a
# waiting visitor or an alarm also a mail (notify_email), and four passes
# mailed before the replay keep the mail server's connections busy from
# its first frame.
# The sender tries four rows at once (OUTBOX_CONCURRENCY), each try
# stalled until the server hangs up, then retried after its backoff, so
# tries are in flight through the whole replay. Same visits, same
# measures, and what the outbox did: rows queued, the most in flight at
# once (connections open on the stalled servers, sampled with the
# status), connections made. The claim it tests: a 30 s stall of the
# mail server changes no decision's latency.
set -eu
AGENT=$(realpath "$1"); CONSOLE=$(realpath "$2"); MODELS=$(realpath "$3")
FACES=$4
shift 4
[ $# -gt 0 ] || set -- tiny
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export AGENT CONSOLE MODELS ROOT
visits=${VISITS:-30}
here=$ROOT/tests/bench

if [ ! -d "$FACES" ]; then
	echo "bench-agent: no labelled faces ($FACES): skipped" >&2
	exit 0
fi
FACES=$(realpath "$FACES")
export FACES
tmp=$(mktemp -d)
# The stalled servers (DETECTOR+stall) running now.
stall_pids=
if [ -n "${BENCH_AGENT_KEEP:-}" ]; then
	echo "bench-agent: in $tmp" >&2
	trap 'for p in $stall_pids; do kill $p 2>/dev/null || :; done' EXIT
else
	trap 'for p in $stall_pids; do kill $p 2>/dev/null || :; done; rm -rf "$tmp"' EXIT
fi
# The worker runs as nobody: it reads the frames through the symlinks.
chmod 755 "$tmp"

# The wall clock in ms.
now_ms() { date +%s%3N; }
# The access time of file $1, in ns.
atime() {
	/usr/bin/python3 -c 'import os, sys
print(os.stat(sys.argv[1]).st_atime_ns)' "$1"
}

# VmHWM (peak RSS, kB) of process $1.
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
# Pss now (kB) of process $1: shared pages counted once over all.
pss() { sed -n 's/^Pss:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/smaps_rollup"; }

# The agent's processes: main and its children.
agent_pids() {
	echo "$AGENT_PID"
	grep -l "^PPid:[[:space:]]*$AGENT_PID\$" /proc/[0-9]*/status 2>/dev/null |
	    sed 's,^/proc/\([0-9]*\)/status,\1,'
}

# Writes rss.txt: "main HWM PSS", "worker HWM PSS" and "other HWM PSS"
# (door keeper and speaker) for the agent's children. The worker is the
# child that runs as worker_user (nobody).
sample_rss() {
	_nobody=$(id -u nobody)
	for _p in $(agent_pids); do
		_uid=$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' \
		    "/proc/$_p/status")
		if [ "$_p" = "$AGENT_PID" ]; then
			_what=main
		elif [ "$_uid" = "$_nobody" ]; then
			_what=worker
		else
			_what=other
		fi
		echo "$_what $(hwm "$_p") $(pss "$_p")"
	done > rss.txt
}

# Appends "BUSY TOTAL AGENT" to cpu.txt: the machine's busy and total CPU
# ticks (/proc/stat) and the agent processes' (utime + stime), so the
# report can tell how busy the rest of the machine was meanwhile.
sample_cpu() {
	_agent=0
	for _p in $(agent_pids); do
		_t=$(sed 's/^.*) //' "/proc/$_p/stat" | awk '{print $12 + $13}')
		_agent=$((_agent + ${_t:-0}))
	done
	awk -v a="$_agent" '/^cpu / {
		total = $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9
		print total - $5 - $6, total, a }' /proc/stat >> cpu.txt
}

# How long a stalled server holds a connection, in s.
STALL_HOLD=30

# A TCP port on 127.0.0.1 nothing listens on.
free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Stops the stalled servers.
stall_stop() {
	for _p in $stall_pids; do
		kill "$_p" 2>/dev/null || true
		wait "$_p" 2>/dev/null || true
	done
	stall_pids=
}

# Starts the stalled mail server and webhook receiver afresh on ports
# $smtp_port and $http_port, their counts in stall-smtp/ and stall-http/.
stall_start() {
	stall_stop
	rm -rf stall-smtp stall-http
	/usr/bin/python3 "$ROOT/tests/tools/stall.py" "$PWD/stall-smtp" \
	    "$smtp_port" "$STALL_HOLD" &
	stall_pids="$stall_pids $!"
	/usr/bin/python3 "$ROOT/tests/tools/stall.py" "$PWD/stall-http" \
	    "$http_port" "$STALL_HOLD" &
	stall_pids="$stall_pids $!"
	wait_for '[ -f stall-smtp/.ready ] && [ -f stall-http/.ready ]'
}

# The connections the stalled servers hold now: "SMTP HTTP".
stall_held() {
	/usr/bin/python3 -c 'import json, sys
print(" ".join(str(json.load(open(f))["held"]) for f in sys.argv[1:]))' \
	    stall-smtp/stall.json stall-http/stall.json
}

# One run with detector $1, in its own directory; with $2 "stall", the
# outbox's servers stall.
run_detector() {
	det=$1
	stall=${2:-}
	name=$det${stall:++$stall}
	mkdir "$tmp/$name"
	cd "$tmp/$name"
	chmod 755 .
	mkdir frames voice
	# A grey 640x480 frame: a door camera's size, no face.
	/usr/bin/python3 -c 'import sys
w, h = 640, 480
open(sys.argv[1], "wb").write(b"P6\n%d %d\n255\n" % (w, h) +
    bytes([128]) * (w * h * 3))' blank.ppm
	# Frame 0, a file of its own nothing reads before the worker does.
	cp blank.ppm lead.ppm

	notify=
	if [ -n "$stall" ]; then
		smtp_port=$(free_port)
		http_port=$(free_port)
		echo bench-webhook-key > webhook.key
		chmod 600 webhook.key
		notify="smtp_url smtp://127.0.0.1:$smtp_port
mail_from door@example.org
notify_email guard@example.org
webhook_url http://127.0.0.1:$http_port/gatehouse
webhook_secret_file $PWD/webhook.key
notify_webhook granted,denied,pending,uncertain,alarm"
		stall_start
	fi

	# Enrolment, with the same detector, on a camera that shows nothing.
	cp blank.ppm frames/0000.ppm
	write_conf <<EOF
detector $det
camera_loop yes
$notify
${BENCH_AGENT_CONF:-}
EOF
	start_agent
	gh people add obama "$FACES/obama_1.jpg" "$FACES/obama_2.jpg" \
	    > add.json || fail "people add obama: $(cat add.json)"
	gh people add biden "$FACES/biden_1.jpg" > add.json ||
	    fail "people add biden: $(cat add.json)"
	gh people add kit_harington "$FACES/kit_harington_1.jpg" > add.json ||
	    fail "people add kit_harington: $(cat add.json)"
	if [ -n "$stall" ]; then
		for _i in 1 2 3 4; do
			gh pass issue --name "Visitor $_i" \
			    --email "visitor$_i@example.org" > pass.json ||
			    fail "pass issue: $(cat pass.json)"
		done
		gh outbox --state queued > outbox-before.json
	fi
	stop_agent
	# Servers that have seen nothing yet: the four mails wait queued.
	[ -z "$stall" ] || stall_start

	# The visits, each a photo not enrolled: plan.txt has one line per
	# visit, "INDEX PERSON FIRST_FACE_FRAME".
	rm frames/*
	/usr/bin/python3 - "$FACES" "$visits" <<'EOF'
import os, sys
faces, n = sys.argv[1], int(sys.argv[2])
photos = [("obama", "obama_3.jpg"), ("biden", "biden_2.jpg"),
    ("kit_harington", "kit_harington_2.jpg"), ("obama", "obama_4_480p.jpg")]
k = 0
def add(path):
    global k
    ext = os.path.splitext(path)[1]
    os.symlink(path, "frames/%05d%s" % (k, ext))
    k += 1
with open("plan.txt", "w") as plan:
    for i in range(n):
        for _ in range(25):
            add(os.path.abspath("lead.ppm" if k == 0 else "blank.ppm"))
        person, photo = photos[i % len(photos)]
        plan.write("%d %s %d\n" % (i, person, k))
        for _ in range(15):
            add(os.path.join(faces, photo))
    # The last track ends with the camera's end; nothing after it.
EOF
	write_conf <<EOF
detector $det
$notify
${BENCH_AGENT_CONF:-}
EOF
	: > door
	atime lead.ppm > origin.txt
	wall_start=$(now_ms)
	start_agent
	wall_ready=$(now_ms)
	: > cpu.txt
	sample_cpu
	frames=$(ls frames | wc -l)
	# The replay's length and a minute more.
	limit=$((wall_ready + frames * 67 + 60000))
	: > status.jsonl
	[ -z "$stall" ] || : > inflight.txt
	while :; do
		gh status > status.json
		cat status.json >> status.jsonl
		[ -z "$stall" ] || stall_held >> inflight.txt
		! grep -q '"camera": *"ended"' status.json || break
		[ "$(now_ms)" -lt "$limit" ] || fail "the replay did not end"
		sleep 1
	done
	end=$(now_ms)
	sample_cpu
	atime lead.ppm >> origin.txt
	gh status > status.json
	sample_rss
	gh events --since 1h > events.json
	[ -z "$stall" ] || gh outbox > outbox.json
	stop_agent
	stall_stop
	/usr/bin/python3 "$here/bench-agent.py" "$det" "$wall_start" \
	    "$wall_ready" "$end" "$(nproc)"
	cd "$tmp"
}

. "$ROOT/tests/regress/lib.sh"
# lib.sh's fail, on stderr: stdout is for the JSON lines.
fail() {
	echo "bench-agent: FAIL: $*" >&2
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	[ -f agent.log ] && sed 's/^/  agent: /' agent.log | tail -n 40 >&2
	exit 1
}
for det in "$@"; do
	case $det in
	tiny|ssd) run_detector "$det" ;;
	tiny+stall|ssd+stall) run_detector "${det%+stall}" stall ;;
	*) echo "bench-agent: unknown detector $det" >&2; exit 1 ;;
	esac
done
