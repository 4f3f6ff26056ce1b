#!/bin/sh
# make demo: a door agent on a temporary directory, with a file: camera
# replaying the demo photos at 15 frames a second, the sim: door and WAV
# voice, watched through the console. One person is enrolled from a photo
# with one face; the replay then shows that person (let in), nobody (the
# track ends), and a group photo (everyone else waits for a guard). On a
# terminal the interactive console opens on it, and quitting it (q) stops
# the agent; elsewhere the console's batch mode shows what happened.
#
#	tests/demo.sh AGENT CONSOLE MODELS_DIR
set -eu
agent=$(realpath "$1"); console=$(realpath "$2"); models=$(realpath "$3")
demo=$models/demo

dir=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-demo.XXXXXX")
# The vision worker drops to an unprivileged user when run as root.
chmod 755 "$dir"
mkdir "$dir/frames" "$dir/voice"
cd "$dir"

# A grey frame without a face, as a PPM.
python3 -c 'import sys
w, h = 640, 480
open(sys.argv[1], "wb").write(b"P6\n%d %d\n255\n" % (w, h) + bytes([128]) * (w * h * 3))' blank.ppm
n=0
add() {	# add PHOTO COUNT
	k=0
	while [ "$k" -lt "$2" ]; do
		case $1 in
		*.ppm)	cp "$1" "frames/$(printf %04d $n).ppm" ;;
		*)	ln -s "$1" "frames/$(printf %04d $n).jpg" ;;
		esac
		n=$((n + 1)); k=$((k + 1))
	done
}
# The group comes well after the door closed behind the person let in:
# faces during an entry are tailgating.
add blank.ppm 45
add "$demo/sample2.jpg" 20
add blank.ppm 120
add "$demo/sample1.jpg" 20
add blank.ppm 30

cat > gatehouse.conf <<EOF
data_dir $dir/data
control_socket $dir/agent.sock
models_dir $models
camera file:$dir/frames
camera_fps 15
door sim:$dir/door
door_name demo
voice wav:$dir/voice
# The camera replays still photos, which liveness would rightly take for
# pictures held up to it.
liveness off
EOF
# On a terminal the replay goes round until the console is left.
[ -t 0 ] && [ -t 1 ] && echo "camera_loop yes" >> gatehouse.conf

echo "gatehouse demo in $dir"
"$agent" -f gatehouse.conf 2> agent.log &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM
gh() { "$console" -S "$dir/agent.sock" "$@"; }

i=0
until gh status > /dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -gt 300 ] || ! kill -0 $pid 2>/dev/null; then
		echo "the agent did not start:"; cat agent.log; exit 1
	fi
	sleep 0.1
done
echo
echo "\$ gatehouse people add demo-person $demo/sample2.jpg"
gh --text people add demo-person "$demo/sample2.jpg"
if [ -t 0 ] && [ -t 1 ]; then
	gh
	kill $pid
	wait $pid || true
	trap - EXIT INT TERM
	echo "The demo's door, prompts, store and log are in $dir"
	exit 0
fi
echo
echo "\$ gatehouse events --follow   (the camera replays $n frames)"
gh --text events --follow &
follow=$!
until gh status | grep -q '"camera":"ended"'; do
	sleep 0.5
done
sleep 2
kill $follow 2>/dev/null || true
wait $follow 2>/dev/null || true
echo
echo "\$ gatehouse pending"
gh --text pending
echo
echo "\$ gatehouse status"
gh --text status
kill $pid
wait $pid || true
trap - EXIT INT TERM
echo
echo "The door:  $dir/door"
echo "The voice: $dir/voice ($(ls voice | wc -l) prompts)"
echo "The store: $dir/data (check it: $agent verify-log -d $dir/data)"
echo "The log:   $dir/agent.log"
