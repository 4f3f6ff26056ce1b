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
# (detectors: tiny, the default, and ssd); VISITS=N (30) in the environment.
#
# What is measured, without help from the agent:
# - latency_ms of each "granted" event: the agent's own, CLOCK_MONOTONIC
#   from the track's first frame to the grant, taken before the event is
#   committed and the pulse sent to the door keeper;
# - the event's time: the decisive frame's time (a file camera stamps frame
#   K with its open time + K intervals, and the worker analyses a frame at
#   that time, or drops it when it is already late);
# - the sim door's pulse line: when the keeper energised the relay.
# Frame times lie on one grid of 67 ms (llround(1000 / 15)), so latency_ms
# = J intervals (from the first frame to the decisive one: the wait for the
# votes) + the time from the decisive frame to the grant, and the pulse
# line is that plus the commit and the keeper's hop. J is the multiple of
# 67 ms nearest to latency_ms - (pulse - decisive frame). The grid's origin
# is the earliest decisive frame less the J + 25 + 40 * visit frames before
# it, which assumes one visit's first face frame was analysed, not dropped
# (all frames of a visit are one photo, so a face is found in the first
# frame or in none); from it, each grant's time from the first frame its
# face was on camera to the pulse line: the target's measure.
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
trap 'rm -rf "$tmp"' EXIT
# The worker runs as nobody: it reads the frames through the symlinks.
chmod 755 "$tmp"

# The wall clock in ms.
now_ms() { date +%s%3N; }

# VmHWM (peak RSS, kB) of process $1.
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
# Pss now (kB) of process $1: shared pages counted once over all.
pss() { sed -n 's/^Pss:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/smaps_rollup"; }

# Writes rss.txt: "main HWM PSS", "worker HWM PSS" and "other HWM PSS"
# (door keeper and speaker) for the agent's children. The worker is the
# child that runs as worker_user (nobody).
sample_rss() {
	nobody=$(id -u nobody)
	echo "main $(hwm "$AGENT_PID") $(pss "$AGENT_PID")" > rss.txt
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$(sed -n 's/^PPid:[[:space:]]*//p' "$p/status" 2>/dev/null)" = \
		    "$AGENT_PID" ] || continue
		uid=$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "$p/status")
		if [ "$uid" = "$nobody" ]; then
			echo "worker $(hwm "$pid") $(pss "$pid")" >> rss.txt
		else
			echo "other $(hwm "$pid") $(pss "$pid")" >> rss.txt
		fi
	done
}

# One run with detector $1, in its own directory.
run_detector() {
	det=$1
	mkdir "$tmp/$det"
	cd "$tmp/$det"
	chmod 755 .
	mkdir frames voice
	# A grey 640x480 frame: a door camera's size, no face.
	python3 -c 'import sys
w, h = 640, 240 * 2
open(sys.argv[1], "wb").write(b"P6\n%d %d\n255\n" % (w, h) +
    bytes([128]) * (w * h * 3))' blank.ppm

	# Enrolment, with the same detector, on a camera that shows nothing.
	cp blank.ppm frames/0000.ppm
	write_conf <<EOF
detector $det
camera_loop yes
EOF
	start_agent
	gh people add obama "$FACES/obama_1.jpg" "$FACES/obama_2.jpg" \
	    > add.json || fail "people add obama: $(cat add.json)"
	gh people add biden "$FACES/biden_1.jpg" > add.json ||
	    fail "people add biden: $(cat add.json)"
	gh people add kit_harington "$FACES/kit_harington_1.jpg" > add.json ||
	    fail "people add kit_harington: $(cat add.json)"
	stop_agent

	# The visits, each a photo not enrolled: plan.txt has one line per
	# visit, "INDEX PERSON FIRST_FACE_FRAME".
	rm frames/*
	python3 - "$FACES" "$visits" <<'EOF'
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
            add(os.path.abspath("blank.ppm"))
        person, photo = photos[i % len(photos)]
        plan.write("%d %s %d\n" % (i, person, k))
        for _ in range(15):
            add(os.path.join(faces, photo))
    # The last track ends with the camera's end; nothing after it.
EOF
	write_conf <<EOF
detector $det
EOF
	: > door
	wall_start=$(now_ms)
	start_agent
	wall_ready=$(now_ms)
	frames=$(ls frames | wc -l)
	# The replay's length and a minute more.
	limit=$((wall_ready + frames * 67 + 60000))
	: > status.jsonl
	while :; do
		gh status > status.json
		cat status.json >> status.jsonl
		[ "$(json 'd["camera"]' < status.json)" != ended ] || break
		[ "$(now_ms)" -lt "$limit" ] || fail "the replay did not end"
		sleep 1
	done
	end=$(now_ms)
	gh status > status.json
	sample_rss
	gh events --since 1h > events.json
	stop_agent
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
	tiny|ssd) ;;
	*) echo "bench-agent: unknown detector $det" >&2; exit 1 ;;
	esac
	run_detector "$det"
done
