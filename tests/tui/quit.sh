# Every way out gives the terminal back as it was: q, SIGTERM, SIGINT
# (Ctrl-C) and SIGHUP; the exit status is 0 and the settings stty reports
# are those from before.
set -eu
. "$ROOT/tests/tui/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }

agent_with_stranger kit_harington_1.jpg

# Runs the console under a shell that notes the terminal's settings
# before and after, and the console's pid and status.
run_console() {
	rm -f before.txt after.txt pid.txt rc.txt
	tui_run "stty -a > before.txt; sh -c 'echo \$\$ > pid.txt; exec $CONSOLE -S $PWD/agent.sock'; echo \$? > rc.txt; stty -a > after.txt; exec sleep 600"
	wait_screen "^ #$VISIT  *front  "
}

# Checks that the console ended with status 0 and the terminal restored.
check_restored() {
	wait_for '[ -s after.txt ]'
	[ "$(cat rc.txt)" = 0 ] || fail "$1: exit status $(cat rc.txt)"
	diff before.txt after.txt || fail "$1: the terminal settings changed"
	# The shell's screen is back: the console's is gone.
	! screen | grep -q "Pending visitors" || fail "$1: the screen stayed"
	tm kill-server
}

run_console
keys q
check_restored q

run_console
# In a dialog too.
keys a
wait_screen "Approve visit"
kill -TERM "$(cat pid.txt)"
check_restored SIGTERM

run_console
keys C-c
check_restored SIGINT

run_console
kill -HUP "$(cat pid.txt)"
check_restored SIGHUP

# The pane closed under it: the console ends and does not spin.
tui_run "sh -c 'echo \$\$ > pid.txt; exec $CONSOLE -S $PWD/agent.sock'"
wait_screen "^ #$VISIT  *front  "
pid=$(cat pid.txt)
tm kill-server
wait_for '! kill -0 $pid'
echo ok
