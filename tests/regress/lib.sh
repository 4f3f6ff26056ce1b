# Helpers for regress scripts that run a real agent in the current (temporary)
# directory and drive it with the console. Sourced, not run.

fail() {
	echo "FAIL: $*"
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	[ -f agent.log ] && sed 's/^/  agent: /' agent.log | tail -n 40
	exit 1
}

# The console on this directory's agent.
gh() { "$CONSOLE" -S "$PWD/agent.sock" "$@"; }

# Evaluates the Python expression $1 on the JSON object read from stdin
# (as d) and prints the result.
json() {
	python3 -c 'import json, sys
d = json.loads(sys.stdin.readline())
print(eval(sys.argv[1], {"d": d}))' "$1"
}

# Waits up to 60 s for the shell condition $1.
wait_for() {
	_i=0
	while ! eval "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -le 600 ] || fail "timed out waiting for: $1"
		sleep 0.1
	done
}

# Writes a grey PPM without a face: frame_blank FILE.
frame_blank() {
	python3 -c 'import sys
w, h = 320, 240
with open(sys.argv[1], "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (w, h) + bytes([128]) * (w * h * 3))' "$1"
}

# Puts N copies (symlinks) of photo $2 into frames dir $1, numbered on from
# the frames already there: frames_add DIR PHOTO N.
frames_add() {
	_n=$(ls "$1" | wc -l)
	_k=0
	while [ "$_k" -lt "$3" ]; do
		case $2 in
		*.ppm)	cp "$2" "$1/$(printf %04d "$_n").ppm" ;;
		*)	ln -s "$2" "$1/$(printf %04d "$_n").${2##*.}" ;;
		esac
		_n=$((_n + 1)); _k=$((_k + 1))
	done
}

# Writes gatehouse.conf for this directory; extra lines come from stdin.
write_conf() {
	{
		echo "data_dir $PWD/data"
		echo "control_socket $PWD/agent.sock"
		echo "models_dir $MODELS"
		echo "camera file:$PWD/frames"
		echo "camera_fps 15"
		echo "door sim:$PWD/door"
		echo "door_name front"
		echo "door_pulse 1s"
		echo "voice wav:$PWD/voice"
		echo "log_level info"
		cat
	} > gatehouse.conf
}

# Sets keyword $1 to $2 in gatehouse.conf: replaces its line, or appends one
# (a keyword twice is an error, so write_conf's own lines cannot be
# overridden by appending).
conf_set() {
	if grep -q "^$1 " gatehouse.conf; then
		sed -i "s|^$1 .*|$1 $2|" gatehouse.conf
	else
		echo "$1 $2" >> gatehouse.conf
	fi
}

# Starts the agent and waits until its worker is ready.
start_agent() {
	"$AGENT" -f gatehouse.conf >/dev/null 2>>agent.log &
	AGENT_PID=$!
	wait_for '[ -S agent.sock ] || ! kill -0 $AGENT_PID'
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent did not start"
	wait_for '[ "$(gh status | json "d[\"worker\"]")" = ok ]'
}

# Stops the agent with SIGTERM and checks that it exits 0.
stop_agent() {
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID" || fail "agent exited with status $?"
}

# Counts lines of the sim door file holding the word $1.
door_count() { grep -c " $1\( \|\$\)" door 2>/dev/null || true; }

# Debian's python3, which has python3-aiosmtpd (another python3 may be
# first on PATH).
PY=/usr/bin/python3

# Skips the test (77) when the SMTP sink cannot run.
need_smtp_sink() {
	$PY -c 'import aiosmtpd' 2>/dev/null ||
	    { echo "python3-aiosmtpd is not installed"; exit 77; }
}

# Prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Starts the SMTP sink (tests/tools/sink.py) on port $2, saving mail to
# the new directory $1, and waits until it listens; its pid is SINK.
smtp_sink() {
	mkdir -p "$1"
	$PY "$ROOT/tests/tools/sink.py" smtp "$PWD/$1" "$2" &
	SINK=$!
	wait_for "[ -f $1/.ready ]"
}
