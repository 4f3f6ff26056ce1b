# Helpers for the tmux tests of the interactive console: a real agent in
# the current (temporary) directory (tests/regress/lib.sh) and the console
# in a tmux session on a private server, driven with send-keys and read
# with capture-pane. Sourced, not run.
. "$ROOT/tests/regress/lib.sh"

# tmux on a private server, in UTF-8 whatever the caller's locale.
export LANG=C.UTF-8 LC_ALL=C.UTF-8
TMUX_SERVER=gh-test-$$
TMUX_RUNS=0
tm() { tmux -u -L "$TMUX_SERVER" "$@"; }

# What the console shows now, one line per row.
screen() { tm capture-pane -p 2>/dev/null; }

# Reports a failure with the screen and the agent's log, and stops all.
fail() {
	echo "FAIL: $*"
	echo "  screen:"
	screen | sed 's/^/  |/'
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	[ -f agent.log ] && sed 's/^/  agent: /' agent.log | tail -n 20
	exit 1
}

cleanup() {
	tm kill-server 2>/dev/null || true
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null || true
}
trap cleanup EXIT

# Runs the shell command $1 in a new 80x24 session (TERM=screen), each on
# a server of its own: a server just killed may still hold its socket.
tui_run() {
	tm kill-server 2>/dev/null || true
	TMUX_RUNS=$((TMUX_RUNS + 1))
	TMUX_SERVER=gh-test-$$-$TMUX_RUNS
	tm -f /dev/null new-session -d -x 80 -y 24 "$1" ||
	    fail "tmux new-session"
}

# The console on this directory's agent, in a new session.
tui_start() { tui_run "$CONSOLE -S $PWD/agent.sock"; }

# Waits up to 30 s for the screen to show the grep pattern $1.
wait_screen() {
	_i=0
	while ! screen | grep -q -- "$1"; do
		_i=$((_i + 1))
		[ "$_i" -le 300 ] || fail "timed out waiting for the screen to show: $1"
		sleep 0.1
	done
}

# Waits up to 30 s for the screen not to show the grep pattern $1.
wait_screen_not() {
	_i=0
	while screen | grep -q -- "$1"; do
		_i=$((_i + 1))
		[ "$_i" -le 300 ] || fail "timed out waiting for the screen to lose: $1"
		sleep 0.1
	done
}

keys() { tm send-keys "$@"; }

# Whether no row of the screen is wider than $1 characters.
fits() {
	screen | python3 -c 'import sys
sys.exit(any(len(l.rstrip("\n")) > int(sys.argv[1]) for l in sys.stdin))' "$1"
}

# The characters other than blanks in rows $1 to $2 and columns $3 to $4
# (from 1) of the screen.
cells() {
	screen | python3 -c 'import sys
r1, r2, c1, c2 = (int(a) for a in sys.argv[1:])
rows = sys.stdin.read().split("\n")[r1 - 1:r2]
print(sum(len(r[c1 - 1:c2].replace(" ", "")) for r in rows))' "$@"
}

# Row $1 (from 1) of the screen.
row() { screen | sed -n "$1p"; }

# An agent replaying one stranger ($1, a photo of $FACES), who becomes a
# pending visitor; the agent is started and the visitor waited for. A
# still photo replayed is what liveness calls a spoof: liveness is off, so
# that no alarm's banner comes into tests about something else (alarm.sh
# tests the banner).
agent_with_stranger() {
	chmod 755 .
	mkdir frames voice
	frame_blank blank.ppm
	frames_add frames "$FACES/$1" 20
	frames_add frames blank.ppm 30
	echo "liveness off" | write_conf
	start_agent
	wait_for '[ "$(gh pending | json "len(d[\"visits\"])")" = 1 ]'
	VISIT=$(gh pending | json 'd["visits"][0]["visit"]')
}

# Counts the SGR colour parameters in stdin: 30-38, 40-48, 90-97 and
# 100-107; 39 and 49 (the default colours) are what tmux writes between
# cells whatever the program did.
colours() {
	python3 -c 'import re, sys
n = 0
for m in re.finditer(r"\x1b\[([0-9;:]*)m", sys.stdin.read()):
    for p in re.split("[;:]", m.group(1)):
        if p and int(p) not in (39, 49) and \
            (30 <= int(p) <= 49 or 90 <= int(p) <= 107):
            n += 1
print(n)'
}
