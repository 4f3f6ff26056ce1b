# The console over SSH (gatehouse -H): a real OpenSSH sshd on 127.0.0.1
# with its own host key, config and authorized_keys, a real agent, and the
# console with HOME here (so ~/.ssh/config and known_hosts are the test's).
# sshd runs the agent under test through --remote-command or
# GATEHOUSE_REMOTE_COMMAND, as "$AGENT dial-stdio -S SOCKET".
#
# 1. An unknown host key in batch mode: refused (exit 5) with its
#    fingerprint; known_hosts is not written.
# 2. --accept-new: the command runs and known_hosts has the key.
# 3. Then without --accept-new; --text; an admin's command (root's role).
# 4. Batch mode over one connection: -b with several commands, a failing
#    one in the middle; 200 commands in a row; two photos sent as bytes (a
#    600 KB request); events --follow, with an event, ended by SIGTERM.
# 5. A remote command that fails: exit 5 with what it said.
# 6. A user key the server does not know: authentication fails, exit 5.
# 7. The host key changes: refused with "changed" and the new fingerprint,
#    also with --accept-new; known_hosts unchanged.
# 8. Nothing listening: exit 5.
#
# The interactive console over SSH too, in tmux on a private server: with
# the host key unknown (after 1) the door's line says why it is refused;
# once the key is known (after 3) the door shows as connected with the
# agent's status; q ends it with status 0 both times.
set -eu
. "$ROOT/tests/regress/lib.sh"

[ -x /usr/sbin/sshd ] || { echo "no /usr/sbin/sshd (openssh-server)"; exit 77; }
command -v ssh-keygen >/dev/null || { echo "no ssh-keygen"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "sshd and its root login need root"; exit 77; }

SSHD_PID=
# The interactive console runs in tmux, on a server of its own.
export LANG=C.UTF-8 LC_ALL=C.UTF-8
TMUX_SERVER=gh-ssh-$$
tm() { tmux -u -L "$TMUX_SERVER" "$@"; }
# What the console shows now, one line per row.
screen() { tm capture-pane -p 2>/dev/null; }

# Shows sshd's log and the console's screen too; stops the daemons.
fail() {
	echo "FAIL: $*"
	if tm has-session 2>/dev/null; then
		echo "  screen:"
		screen | sed 's/^/  |/'
	fi
	cleanup
	[ -f sshd.log ] && sed 's/^/  sshd: /' sshd.log | tail -n 30
	[ -f agent.log ] && sed 's/^/  agent: /' agent.log | tail -n 30
	exit 1
}
cleanup() {
	tm kill-server 2>/dev/null || true
	# A server that ended leaves its socket file.
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TMUX_SERVER"
	[ -z "$SSHD_PID" ] || kill "$SSHD_PID" 2>/dev/null || true
	[ -z "${AGENT_PID:-}" ] || kill -KILL "$AGENT_PID" 2>/dev/null || true
	SSHD_PID=''
	AGENT_PID=''
}
trap cleanup EXIT

# A free port on 127.0.0.1 (the kernel's choice; free again when read).
PORT=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# Starts sshd on host key $1 and waits until it listens.
start_sshd() {
	cat > sshd_config <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $PWD/$1
PidFile $PWD/sshd.pid
AuthorizedKeysFile $PWD/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
StrictModes no
LogLevel VERBOSE
EOF
	touch sshd.log
	/usr/sbin/sshd -t -f "$PWD/sshd_config" 2>>sshd.log ||
	    fail "sshd -t refused the config"
	_up=$(grep -c "Server listening on 127.0.0.1 port $PORT" sshd.log || true)
	/usr/sbin/sshd -D -e -f "$PWD/sshd_config" 2>>sshd.log &
	SSHD_PID=$!
	wait_for '[ "$(grep -c "Server listening on 127.0.0.1 port $PORT" sshd.log)" -gt "$_up" ] || ! kill -0 $SSHD_PID'
	kill -0 "$SSHD_PID" 2>/dev/null || fail "sshd did not start"
}

# Stops sshd.
stop_sshd() {
	kill "$SSHD_PID"
	wait "$SSHD_PID" 2>/dev/null || true
	SSHD_PID=
}

# The SHA256 fingerprint of public key file $1.
fingerprint() { ssh-keygen -lf "$1" | awk '{ print $2 }'; }

# The console on the agent behind sshd: ghs [gatehouse options] command.
ghs() {
	"$CONSOLE" -H doorbox --remote-command "$AGENT dial-stdio" \
	    -S "$PWD/agent.sock" "$@"
}

# Runs the console, keeping stdout, stderr and the exit status:
# run NAME command... -> NAME.out, NAME.err, $rc.
run() {
	_name=$1; shift
	rc=0
	"$@" > "$_name.out" 2> "$_name.err" || rc=$?
}

# Starts the interactive console on the door box, 100x30, in a new tmux
# session; its exit status goes to tui.rc. The remote command names the
# socket (-S is not passed on to dial-stdio by the interactive console:
# see below).
tui_start() {
	rm -f tui.rc
	tm -f /dev/null new-session -d -x 100 -y 30 \
	    "HOME='$HOME' GATEHOUSE_REMOTE_COMMAND='$AGENT dial-stdio -S $PWD/agent.sock' $CONSOLE -H doorbox; echo \$? > '$PWD/tui.rc'" ||
	    fail "tmux new-session"
}

# Waits up to 30 s for the screen to show the grep pattern $1.
wait_screen() {
	_i=0
	while ! screen | grep -q -- "$1"; do
		_i=$((_i + 1))
		[ "$_i" -le 300 ] || fail "timed out waiting for the screen to show: $1"
		sleep 0.1
	done
}

# Quits the console with q; it must exit 0.
tui_quit() {
	tm send-keys q
	wait_for '[ -s tui.rc ]'
	[ "$(cat tui.rc)" = 0 ] || fail "the console exited $(cat tui.rc)"
	wait_for '! tm has-session'
}

# The agent, as in agent-robust.sh: blank frames on a loop.
chmod 755 .
mkdir frames voice
frame_blank blank.ppm
frames_add frames blank.ppm 3
write_conf <<EOF
camera_loop yes
EOF
conf_set camera_fps 5
start_agent

# sshd's privilege separation directory (Debian's sshd needs it).
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -C hostkey -f hostkey
ssh-keygen -q -t ed25519 -N '' -C userkey -f userkey
ssh-keygen -q -t ed25519 -N '' -C otherkey -f otherkey
cp userkey.pub authorized_keys
start_sshd hostkey

# The console's home: its ssh config names the door box; no ssh-agent.
export HOME="$PWD/home"
unset SSH_AUTH_SOCK
mkdir -p home/.ssh
chmod 700 home/.ssh
cat > home/.ssh/config <<EOF
Host doorbox
	HostName 127.0.0.1
	Port $PORT
	User root
	IdentityFile $PWD/userkey

Host wrongkey
	HostName 127.0.0.1
	Port $PORT
	User root
	IdentityFile $PWD/otherkey
EOF
known=home/.ssh/known_hosts
fp=$(fingerprint hostkey.pub)

# 1. Unknown host key, batch mode: refused with the fingerprint.
run unknown ghs status
[ "$rc" = 5 ] || fail "unknown host key: exit $rc: $(cat unknown.err)"
grep -q "host key for doorbox (127.0.0.1 port $PORT) is not known: refusing" \
    unknown.err || fail "unknown host key: $(cat unknown.err)"
grep -qF "ED25519 $fp" unknown.err ||
    fail "the refusal does not show $fp: $(cat unknown.err)"
grep -q -- --accept-new unknown.err || fail "no hint of --accept-new: $(cat unknown.err)"
[ ! -s unknown.out ] || fail "output from a refused host: $(cat unknown.out)"
[ ! -e "$known" ] || fail "known_hosts written: $(cat "$known")"

# The interactive console asks about an unknown host key, showing its
# fingerprint: refused, the door is not connected (the reason on its line)
# and known_hosts is not written; trusted (below, once the key is known
# from --accept-new, the question does not come).
if command -v tmux >/dev/null; then
	tui_start
	wait_screen "SSH host key is not known"
	screen | grep -qF "$fp" || fail "no fingerprint in the question"
	tm send-keys n
	wait_screen "^ agent  *reconnecting in [0-9]*s  *host key for doorbox (127.0.0.1 port $PORT) is not known"
	[ ! -e "$known" ] || fail "the TUI wrote known_hosts: $(cat "$known")"
	tui_quit
else
	echo "no tmux: the interactive console over SSH is not tried"
fi

# 2. --accept-new: the agent's status, and the key is known now.
run accept ghs --accept-new status
[ "$rc" = 0 ] || fail "--accept-new: exit $rc: $(cat accept.err)"
[ "$(json 'd["worker"]' < accept.out)" = ok ] || fail "status: $(cat accept.out)"
grep -qF "$fp" accept.err || fail "the addition is not reported: $(cat accept.err)"
[ -f "$known" ] || fail "no known_hosts"
key=$(awk '{ print $1, $2 }' hostkey.pub)
grep -qF "[127.0.0.1]:$PORT $key" "$known" ||
    fail "known_hosts lacks the host key: $(cat "$known")"
[ "$(wc -l < "$known")" = 1 ] || fail "known_hosts: $(cat "$known")"
cp "$known" known.saved

# 3. Known now: no --accept-new needed; --text; root is an admin there.
run again ghs status
[ "$rc" = 0 ] || fail "second run: exit $rc: $(cat again.err)"
[ "$(json 'd["door_state"]' < again.out)" = closed ] || fail "status: $(cat again.out)"
[ ! -s again.err ] || fail "second run said: $(cat again.err)"
run text ghs --text status
[ "$rc" = 0 ] && grep -q "^worker: *ok" text.out ||
    fail "--text: exit $rc: $(cat text.out text.err)"
run config ghs config
[ "$rc" = 0 ] || fail "config (admin): exit $rc: $(cat config.err)"
[ "$(json 'd["config"]["control_socket"]' < config.out)" = "$PWD/agent.sock" ] ||
    fail "config: $(cat config.out)"
cmp -s "$known" known.saved || fail "known_hosts changed: $(cat "$known")"

# The interactive console over SSH: connected, with root's role, the
# door's and the camera's state, and the agent's version; the doors are
# named by the agent once connected.
if command -v tmux >/dev/null; then
	tui_start
	wait_screen "^ front  *connected  *admin  *door closed  *camera ok  *gatehouse-agent "
	wait_screen "(no one is waiting)"
	tui_quit
	cmp -s "$known" known.saved || fail "known_hosts changed: $(cat "$known")"
	# With -H, -S names the socket on the door box (gatehouse.1, REMOTE
	# AGENTS): the interactive console passes it on to dial-stdio too.
	rm -f tui.rc
	tm -f /dev/null new-session -d -x 100 -y 30 \
	    "HOME='$HOME' $CONSOLE -H doorbox --remote-command '$AGENT dial-stdio' -S '$PWD/agent.sock'; echo \$? > '$PWD/tui.rc'" ||
	    fail "tmux new-session"
	wait_screen "^ front  *connected  *admin  *door closed"
	tui_quit
fi

# 4. Batch mode over SSH, the remote command from the environment: every
# line runs (the failing one too) over one connection.
rc=0
GATEHOUSE_REMOTE_COMMAND="$AGENT dial-stdio" "$CONSOLE" -H doorbox \
    -S "$PWD/agent.sock" -b > batch.out 2> batch.err <<'EOF' || rc=$?
status
# a comment, then a person who is not there
people remove nobody-such
people
deny-list
EOF
[ "$rc" = 3 ] || fail "-b: exit $rc (want 3, the not-found): $(cat batch.err)"
[ "$(wc -l < batch.out)" = 3 ] || fail "-b output: $(cat batch.out)"
python3 - batch.out <<'EOF' || fail "-b output: $(cat batch.out)"
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
assert L[0]["worker"] == "ok", L[0]
assert L[1] == {"people": []}, L[1]
assert L[2] == {"entries": []}, L[2]
EOF
grep -q "people remove: not-found" batch.err || fail "-b errors: $(cat batch.err)"

# Many commands in a row: 200 replies, in order.
i=0
while [ "$i" -lt 200 ]; do echo "people"; i=$((i + 1)); done > many.in
rc=0
ghs -b < many.in > many.out 2> many.err || rc=$?
[ "$rc" = 0 ] || fail "200 commands: exit $rc: $(cat many.err)"
[ "$(grep -c '^{"people":\[\]}$' many.out)" = 200 ] ||
    fail "200 commands: $(sort many.out | uniq -c | head)"

# Photos go as their bytes (the agent may be elsewhere): a request line of
# some 600 KB, beyond the SSH window, through the pump.
if [ -n "$FACES" ]; then
	run photo ghs people add obama "$FACES/obama_1.jpg" "$FACES/obama_2.jpg"
	[ "$rc" = 0 ] || fail "people add over SSH: exit $rc: $(cat photo.err)"
	[ "$(json 'd["templates"]' < photo.out)" = 2 ] || fail "people add: $(cat photo.out)"
fi

# events --follow: the result line, then the events of a door opened
# meanwhile; SIGTERM (a background job of sh ignores SIGINT) ends it with
# status 0.
"$CONSOLE" -H doorbox --remote-command "$AGENT dial-stdio" \
    -S "$PWD/agent.sock" events --follow > follow.out 2> follow.err &
follow=$!
wait_for '[ -s follow.out ]'
ghs door open --reason follow > open.json || fail "door open: $(cat open.json)"
wait_for 'grep -q "\"type\":\"granted\"" follow.out'
kill -TERM "$follow"
rc=0; wait "$follow" || rc=$?
[ "$rc" = 0 ] || fail "events --follow over SSH: exit $rc: $(cat follow.err)"
json '"events" in d' < follow.out | grep -q True ||
    fail "events: $(head -c 300 follow.out)"

# 5. The remote command fails (no agent at that socket): what it said is
# in the message.
run nosock "$CONSOLE" -H doorbox --remote-command "$AGENT dial-stdio" \
    -S "$PWD/no-such.sock" status
[ "$rc" = 5 ] || fail "no socket: exit $rc: $(cat nosock.err)"
grep -q "no-such.sock: No such file or directory (exit status 1)" nosock.err ||
    fail "no socket: $(cat nosock.err)"

# 6. A key the server does not know: authentication fails.
run wrongkey "$CONSOLE" -H wrongkey --remote-command "$AGENT dial-stdio" \
    -S "$PWD/agent.sock" status
[ "$rc" = 5 ] || fail "wrong key: exit $rc: $(cat wrongkey.err)"
grep -q "authentication failed for user root" wrongkey.err ||
    fail "wrong key: $(cat wrongkey.err)"
grep -q "server accepts: publickey" wrongkey.err ||
    fail "wrong key: $(cat wrongkey.err)"
[ ! -s wrongkey.out ] || fail "output with a wrong key: $(cat wrongkey.out)"

# 7. The door box's host key changes: refused, even with --accept-new.
stop_sshd
ssh-keygen -q -t ed25519 -N '' -C newhostkey -f newhostkey
newfp=$(fingerprint newhostkey.pub)
start_sshd newhostkey
for accept in "" --accept-new; do
	run changed ghs $accept status
	[ "$rc" = 5 ] || fail "changed host key $accept: exit $rc: $(cat changed.err)"
	grep -q "^gatehouse: host key for doorbox (127.0.0.1 port $PORT) changed: refusing" \
	    changed.err || fail "changed host key $accept: $(cat changed.err)"
	grep -qF "ED25519 $newfp" changed.err ||
	    fail "the refusal does not show $newfp: $(cat changed.err)"
	grep -q "man in the middle" changed.err || fail "no warning: $(cat changed.err)"
	[ ! -s changed.out ] || fail "output from a changed host: $(cat changed.out)"
	cmp -s "$known" known.saved || fail "known_hosts changed: $(cat "$known")"
done

# 8. Nothing listening there.
stop_sshd
run down ghs status
[ "$rc" = 5 ] || fail "sshd down: exit $rc: $(cat down.err)"
grep -q "cannot connect to doorbox (127.0.0.1 port $PORT)" down.err ||
    fail "sshd down: $(cat down.err)"

# The agent saw only clean sessions and stops cleanly.
stop_agent
