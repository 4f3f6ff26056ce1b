# The kiosk's PIN entry, in tmux against a real agent whose camera sees no
# one. A digit on the idle screen opens it; what is typed shows as dots,
# never as digits; Backspace and Ctrl-U erase, at most 10 digits are taken,
# fewer than 4 are not sent, Escape gives up. Enter sends "pin" and the
# answer shows: at a door whose policy takes no PIN, "PINs are not accepted
# at this door"; with policy pin, a wrong PIN "Code not recognised", the
# PIN of a pass the welcome (and the door opens), the same PIN again a
# refusal (and the door stays shut). A digit on an answer opens it again;
# 30 s without a key gives it up. A masher typing digits, Enter and
# everything else leaves the kiosk running and never shows a digit; SIGTERM
# ends it with 0.
#
# What depends on the agent's "pin" and "pass issue" (doc/PROTOCOL 4.22,
# 4.23) is marked AGENT below: an agent without them answers
# "unknown-command", which the kiosk shows as a door that takes no PIN.
set -eu
. "$ROOT/tests/tui/lib.sh"

# The dots on the screen.
dots() { screen | grep -o '●' | wc -l; }
# Waits for the PIN entry to hold $1 dots.
wait_dots() {
	wait_screen "Please type your PIN"
	wait_for "[ \"\$(dots)\" -eq $1 ]"
}
# Fails if the screen shows a digit: no screen of this kiosk has one, so a
# digit would be one typed.
no_digits() {
	! screen | grep -q '[0-9]' || fail "a digit on the screen: $1"
}
# Fails unless the kiosk still runs.
alive() {
	kill -0 "$(cat kiosk.pid)" 2>/dev/null || fail "the kiosk died: $1"
	[ ! -s exited ] || fail "the kiosk exited: $1: $(cat exited)"
}
# Types the digits of $1 one key at a time (as a keypad does), then $2.
type_pin() {
	keys -l "$1"
	[ -z "${2:-}" ] || keys "$2"
}

chmod 755 .
mkdir frames voice
frame_blank blank.ppm
frames_add frames blank.ppm 30
write_conf </dev/null
start_agent

cat > pane.sh <<EOF
cd "$PWD"
sh -c 'echo \$\$ > kiosk.pid; exec "\$@"' sh \
    "$CONSOLE" -S "$PWD/agent.sock" kiosk 2> kiosk.err
echo "EXITED \$?" > exited
sleep 600
EOF
tui_run "sh $PWD/pane.sh"
wait_screen "Welcome to front"
wait_for '[ -s kiosk.pid ]'

# A digit opens the entry, typed into it: dots only.
keys -l 1
wait_dots 1
wait_screen "Enter: send    Backspace: erase    Esc: cancel"
keys -l 23456
wait_dots 6
no_digits "after 123456"
keys BSpace
wait_dots 5
keys C-u
wait_dots 0
# At most 10 digits; letters and other keys type nothing.
keys -l "12345678901234abc"
wait_dots 10
no_digits "after 14 digits"
# Escape gives up: idle again, and nothing is kept.
keys Escape
wait_screen "Welcome to front"
wait_screen_not "Please type your PIN"
keys -l 9
wait_dots 1
# Fewer than 4 digits are not sent.
type_pin 8 Enter
wait_screen "Please type all the digits of your code"
wait_dots 2

# A door whose policy (face) takes no PIN.
keys C-u
type_pin 123456 Enter
wait_screen "PINs are not accepted at this door"
wait_screen_not "Please type your PIN"
no_digits "after the refusal"
# AGENT: the refusal is a "denied" event with the reason "policy".
gh events --since 1h > events.json || fail "events: $(cat events.json)"
python3 - events.json <<'EOF' || fail "AGENT: no denied event for the PIN: $(cut -c1-600 events.json)"
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
assert any(e["type"] == "denied" and e.get("reason") == "policy" for e in ev), ev
EOF
# The answer stays, not replaced by its own "denied" event, then goes.
sleep 1
screen | grep -q "PINs are not accepted at this door" ||
    fail "the answer was replaced"
# A digit on an answer opens the entry again.
keys -l 7
wait_dots 1
keys Escape
wait_screen "Welcome to front"

# A door with policy pin: a wrong PIN, a pass's PIN, the same again.
conf_set policy pin
conf_set allow_pin_only yes
kill -HUP "$AGENT_PID"
wait_for '[ "$(gh config | json "d[\"config\"][\"policy\"]")" = pin ]'
# AGENT: "pass issue" for a visitor expected.
gh pass issue --name "Ann Lee" --valid-for 1h > issue.json ||
    fail "AGENT: pass issue: $(cat issue.json)"
pin=$(json 'd["pin"]' < issue.json)
printf '%s\n' "$pin" | grep -qE '^[0-9]{4,10}$' || fail "pass issue: pin $pin"
# The same length, another first digit: not the pass's PIN.
wrong=$(( (${pin%"${pin#?}"} + 1) % 10 ))${pin#?}
type_pin "$wrong" Enter
wait_screen "Code not recognised"			# AGENT
# A failure makes the door wait a while before the next try (doc/PROTOCOL
# 4.23): as a person would, wait for the answer to go.
wait_screen "Welcome to front"
pulses=$(door_count pulse)
type_pin "$pin" Enter
wait_screen "Please come in"				# AGENT
screen | grep -qE "Welcome, Ann Lee|^ *Welcome *$" || fail "the welcome"
wait_for '[ "$(door_count pulse)" -gt "$pulses" ]'	# AGENT
no_digits "after the welcome"
# The pass's one use is spent: the same PIN opens nothing. Whether the
# agent says "replay" or no longer knows the PIN ("bad-pin") is its own.
wait_screen "Welcome to front"
pulses=$(door_count pulse)
type_pin "$pin" Enter
wait_screen "This code has already been used\|Code not recognised" # AGENT
sleep 1
[ "$(door_count pulse)" = "$pulses" ] || fail "a spent PIN opened the door"

# 30 s without a key gives the entry up (a result goes after 5 s).
wait_screen "Welcome to front"
keys -l 5
wait_dots 1
start=$(date +%s)
wait_screen "Welcome to front"
[ $(($(date +%s) - start)) -ge 25 ] ||
    fail "the PIN entry went after $(($(date +%s) - start)) s"

# A masher: digits, Enter, Escape, Backspace and anything else.
python3 - "$$" > mash.hex <<'EOF'
import random, sys
r = random.Random(int(sys.argv[1]))
special = [b"\r", b"\x7f", b"\x15", b"\x1b", b"\x1b[A", b"\x1bOp", b"\x1bOM",
    b"\x1b[M !!", b"\x1b]0;x\x07", b"\x03", b"\xff", b"\xc3\xa9", b"\t"]
out = bytearray()
while len(out) < 3000:
    x = r.random()
    if x < 0.6:
        out += str(r.randrange(10)).encode()
    elif x < 0.8:
        out += r.choice(special)
    else:
        out.append(r.randrange(256))
print(" ".join("%02x" % b for b in out))
EOF
tr ' ' '\n' < mash.hex | split -l 200 - mash.part.
for p in mash.part.*; do
	# shellcheck disable=SC2046
	keys -H $(cat "$p") || fail "send-keys"
done
alive "after the masher"
no_digits "after the masher"
# An entry the masher left open is given up; an answer goes by itself.
sleep 0.5
keys Escape
wait_screen "Welcome to front"
alive "after the masher"
no_digits "after the masher"

kill -TERM "$(cat kiosk.pid)"
wait_for '[ -s exited ]'
[ "$(cat exited)" = "EXITED 0" ] || fail "exit: $(cat exited)"
stop_agent
echo ok
