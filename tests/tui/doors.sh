# Several doors from console.conf (-F, and the default file under
# $XDG_CONFIG_HOME): two names for the same agent list its visitor under
# each, a socket that is not there is retried, an SSH door says what it
# can; a bad file is reported as FILE:LINE and the console exits 2.
set -eu
. "$ROOT/tests/tui/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }

agent_with_stranger kit_harington_1.jpg
cat > console.conf <<CONF
# The doors of the test.
door front $PWD/agent.sock
door back "$PWD/agent.sock"   # the same agent again
door gone $PWD/nowhere.sock
door far nobody@127.0.0.1:1
CONF

check_doors() {
	wait_screen "Gatehouse   4 doors   2 pending"
	wait_screen "^ front  *connected  *admin"
	wait_screen "^ back  *connected  *admin"
	wait_screen "^ gone  *reconnecting in [0-9]*s  .*nowhere.sock"
	wait_screen "^ far  *\(ssh: not supported by this build\|reconnecting in\)"
	wait_screen "^ #$VISIT  *front  "
	wait_screen "^ #$VISIT  *back  "
	tm kill-server
	wait_for '! tm has-session 2>/dev/null'
}

tui_run "$CONSOLE -F $PWD/console.conf"
check_doors

mkdir -p xdg/gatehouse
cp console.conf xdg/gatehouse/console.conf
tui_run "env -u GATEHOUSE_SOCKET XDG_CONFIG_HOME=$PWD/xdg $CONSOLE"
check_doors

printf 'door front %s\nwindow back /x.sock\n' "$PWD/agent.sock" > bad.conf
tui_run "$CONSOLE -F $PWD/bad.conf 2> err.txt; echo \$? > rc.txt; exec sleep 600"
wait_for '[ -s rc.txt ]'
[ "$(cat rc.txt)" = 2 ] || fail "bad file: exit status $(cat rc.txt)"
[ "$(cat err.txt)" = "gatehouse: $PWD/bad.conf:2: unknown keyword \"window\"" ] ||
    fail "bad file: $(cat err.txt)"
echo ok
