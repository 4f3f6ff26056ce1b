# The kiosk on the door's screen, in tmux: a real agent replays an unknown
# face to a file: camera; "gatehouse kiosk" shows the idle screen, then the
# visitor's form, which is typed (a wrong e-mail first) and sent onto the
# pending request; keyboard mashers (random bytes, escape sequences,
# Ctrl-C) change nothing but what a digit opens, the PIN entry (its own
# test is kiosk-pin.sh); it is re-laid-out on a resize, shows "Out of
# order" while the agent is away and comes back with it; a guard's refusal,
# an enrolled person's welcome and a deny-listed face's refusal are shown
# and go back to idle; SIGINT is ignored, SIGTERM ends it with the terminal
# as it was. A second kiosk checks that NO_COLOR means no colour.
set -eu
. "$ROOT/tests/regress/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }
command -v tmux >/dev/null 2>&1 || { echo "no tmux"; exit 77; }

# tmux on a private server, in UTF-8 whatever the caller's locale.
export LANG=C.UTF-8 LC_ALL=C.UTF-8
TMUX_NAME=gh-kiosk-$$
tm() { tmux -u -L "$TMUX_NAME" -f /dev/null "$@"; }
pane() { tm capture-pane -p -t "$1"; }
cleanup() {
	tm kill-server 2>/dev/null || true
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null || true
}
trap cleanup EXIT

# fail, with what the kiosk shows.
kfail() {
	echo "screen:"
	pane kiosk 2>/dev/null | sed 's/^/  | /'
	[ -f kiosk.err ] && sed 's/^/  kiosk: /' kiosk.err
	fail "$@"
}

# Waits up to 60 s for the kiosk's screen to hold the fixed string $1.
wait_screen() {
	_i=0
	while ! pane kiosk | grep -qF -- "$1"; do
		_i=$((_i + 1))
		[ "$_i" -le 600 ] || kfail "timed out waiting for \"$1\""
		sleep 0.1
	done
}

# Waits up to 60 s for the shell condition $1 about the screen.
wait_until() {
	_i=0
	while ! eval "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -le 600 ] || kfail "timed out waiting for: $1"
		sleep 0.1
	done
}
# The rows of big letters on the screen.
big_rows() { pane kiosk | grep -c '[█▀▄]'; }

# Fails unless the kiosk still runs (its shell has not printed EXITED).
alive() {
	kill -0 "$(cat kiosk.pid)" 2>/dev/null || kfail "the kiosk died: $1"
	! grep -q EXITED exited 2>/dev/null || kfail "the kiosk exited: $1"
}

# Sends N random bytes (hex, seeded by $2) to the kiosk, with escape
# sequences, mouse reports, bad UTF-8 and the signal keys mixed in; $3 =
# "nolf" leaves out CR and LF (so the form is never sent by chance).
mash() {
	python3 - "$1" "$2" "$3" > mash.hex <<'EOF'
import random, sys
n, seed, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
r = random.Random(seed)
special = [b"\x1b[A", b"\x1b[B", b"\x1b[Z", b"\x1b[3~", b"\x1b[15~",
    b"\x1bOP", b"\x1bOM", b"\x1b[M !!", b"\x1b[<0;10;5M", b"\x1b]0;x\x07",
    b"\x1bP+q\x1b\\", b"\x1b[200~paste\x1b[201~", b"\x03", b"\x1a", b"\x1c",
    b"\x13", b"\x11", b"\x04", b"\x15", b"\x7f", b"\x08", b"\t", b"\xff",
    b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc3\xa9",
    b"\xe2\x80\xae", b"\x1b", b"\x1b\x1b[", b"\x9b1m"]
out = bytearray()
while len(out) < n:
    if r.random() < 0.1:
        out += r.choice(special)
    else:
        out.append(r.randrange(256))
if mode == "nolf":
    out = out.replace(b"\r", b"").replace(b"\n", b"")
    out = out.replace(b"\x1bOM", b"")
print(" ".join("%02x" % b for b in out))
EOF
	# In chunks: one tmux command line stays short.
	tr ' ' '\n' < mash.hex | split -l 200 - mash.part.
	for _p in mash.part.*; do
		# shellcheck disable=SC2046
		tm send-keys -t kiosk -H $(cat "$_p") || kfail "send-keys"
	done
	rm -f mash.part.*
}

# The worker runs as nobody: it must read the frames.
chmod 755 .
mkdir frames voice
frame_blank blank.ppm
# Four seconds of nothing (the kiosk starts meanwhile), then a stranger.
frames_add frames blank.ppm 60
frames_add frames "$FACES/kit_harington_1.jpg" 20
write_conf <<EOF
camera_loop no
EOF
start_agent

# The kiosk's pane: the terminal's settings before and after, its pid (the
# inner shell execs it) and its exit status.
cat > pane.sh <<EOF
stty -g > stty.before
sh -c 'echo \$\$ > kiosk.pid; exec "\$@"' sh \
    "$CONSOLE" -S "$PWD/agent.sock" kiosk 2> kiosk.err
echo "EXITED \$?" | tee exited
stty -g > stty.after
sleep 600
EOF
tm new-session -d -s kiosk -x 80 -y 24 -c "$PWD" "sh pane.sh"

# Idle, in big letters (half blocks) and words.
wait_screen "Welcome to front"
wait_screen "Please look at the camera"
pane kiosk | grep -q '█' || kfail "no big letters"
tm capture-pane -e -p -t kiosk | grep -q "$(printf '\033')\[[0-9;]*3[1-7]m" ||
    kfail "no colour without NO_COLOR"

# The stranger's face: a hint while it is judged (the worker's quality
# word: "ok" or what is wrong), then the verdict, a pending visit, and the
# form for it.
wait_until 'pane kiosk |
    grep -qE "One moment|closer|hold still|into the light|guard has been"'
wait_screen "Please wait, a guard has been called"
wait_screen "Your name:"
wait_screen "Your e-mail:"
wait_screen "Phone (optional):"
visit=$(gh pending | json 'd["visits"][0]["visit"]')
[ "$visit" -ge 1 ] 2>/dev/null || kfail "no pending visit: $(gh pending)"

# A keyboard masher at the form: nothing is sent, the form stays.
mash 3000 "$$" nolf
alive "after the first masher"
wait_screen "Your name:"
wait_screen "Please wait, a guard has been called"
[ "$(gh visit "$visit" | json 'd["name"]')" = None ] ||
    kfail "the masher sent the form"

# Empty the fields (Up to the first, Ctrl-U each), then a wrong e-mail.
tm send-keys -t kiosk Up Up C-u Down C-u Down C-u Up Up
tm send-keys -t kiosk -l "Zoë Kit"
tm send-keys -t kiosk Enter
tm send-keys -t kiosk -l "not-an-address"
tm send-keys -t kiosk Enter Enter
wait_screen "Please check your e-mail address"
wait_screen "Zoë Kit"
# The cursor is back in the e-mail field: mend it, add a phone, send.
tm send-keys -t kiosk C-u
tm send-keys -t kiosk -l "zoe@example.org"
tm send-keys -t kiosk Enter
tm send-keys -t kiosk -l "+44 20 7946 0000"
tm send-keys -t kiosk Enter
wait_screen "Thank you, a guard will be with you shortly"

gh visit "$visit" > visit.json || kfail "visit: $(cat visit.json)"
python3 - visit.json <<'EOF' || kfail "visit: $(cut -c1-300 visit.json)"
import json, sys
v = json.load(open(sys.argv[1]))
assert v["state"] == "pending", v["state"]
assert v["name"] == "Zoë Kit", v["name"]
assert v["email"] == "zoe@example.org", v["email"]
assert v["phone"] == "+44 20 7946 0000", v["phone"]
EOF

# Every byte now, Enter too: a result screen takes only a digit, which
# opens the PIN entry, where Enter sends what was typed (the agent refuses
# it: this door's policy takes no PIN).
mash 2000 "$(($$ + 1))" all
alive "after the second masher"
known="Thank you, a guard|Welcome to front|Please type your PIN"
known="$known|Code not recognised|not accepted|Too many attempts|cannot be"
pane kiosk | grep -qE "$known" || kfail "not a known screen after the masher"
# An entry the masher left open is given up.
sleep 0.5
tm send-keys -t kiosk Escape

# Ctrl-C and SIGINT do not stop a door's screen.
tm send-keys -t kiosk C-c C-c C-\\ q
kill -INT "$(cat kiosk.pid)"
alive "after SIGINT"

# Re-laid-out on a resize: bigger letters on a bigger screen, and back.
wait_screen "Welcome to front"
small=$(big_rows)
tm resize-window -t kiosk -x 132 -y 40
wait_until '[ "$(pane kiosk | wc -l)" -eq 40 ]'
wait_until '[ "$(big_rows)" -gt "$small" ]'
wait_screen "Please look at the camera"
tm resize-window -t kiosk -x 80 -y 24
wait_until '[ "$(big_rows)" -eq "$small" ]'
wait_screen "Please look at the camera"

# A guard refuses the visitor: the kiosk tells them, then is idle again.
gh people add obama "$FACES/obama_1.jpg" "$FACES/obama_2.jpg" > add.json ||
    kfail "people add: $(cat add.json)"
gh deny "$visit" --deny-list > deny.json || kfail "deny: $(cat deny.json)"
wait_screen "Sorry, you cannot come in"
wait_screen "Please look at the camera"

# The agent goes away: out of order; it comes back: the kiosk does too,
# and shows the enrolled person's welcome and the deny-listed face's
# refusal, each for a while.
stop_agent
wait_screen "Out of order — please call reception"
alive "without an agent"
rm frames/*
frames_add frames blank.ppm 120
frames_add frames "$FACES/obama_1.jpg" 40
frames_add frames blank.ppm 30
frames_add frames "$FACES/kit_harington_1.jpg" 20
start_agent
wait_screen "Welcome to front"
wait_screen "Welcome, obama"
wait_screen "Please come in"
wait_screen "Sorry, you cannot come in"
wait_screen "Please look at the camera"

# SIGTERM: the kiosk ends with 0 and the terminal is as it was.
kill -TERM "$(cat kiosk.pid)"
wait_for '[ -s stty.after ]'
[ "$(cat exited)" = "EXITED 0" ] || kfail "exit: $(cat exited)"
cmp -s stty.before stty.after ||
    kfail "terminal not restored: $(cat stty.before) / $(cat stty.after)"
pane kiosk | grep -q "EXITED 0" || kfail "no EXITED on the screen"

# NO_COLOR: the same screen without a colour.
rm -f exited
tm new-session -d -s plain -x 80 -y 24 -c "$PWD" \
    "NO_COLOR=1 '$CONSOLE' -S '$PWD/agent.sock' kiosk; sleep 600"
_i=0
while ! pane plain | grep -qF "Welcome to front"; do
	_i=$((_i + 1))
	[ "$_i" -le 600 ] || fail "NO_COLOR kiosk: $(pane plain)"
	sleep 0.1
done
tm capture-pane -e -p -t plain | grep -q "$(printf '\033')\[[0-9;]*3[0-7]m" &&
    fail "colour with NO_COLOR"

stop_agent
exit 0
