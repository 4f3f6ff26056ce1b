# NO_COLOR: not one colour escape on the main screen, a dialog or a
# visitor's page (capture-pane -e), where the same screens have colours
# without it.
set -eu
. "$ROOT/tests/tui/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }

# The screens in turn, each counted; $1 is the environment.
count_screens() {
	tui_run "$1 $CONSOLE -S $PWD/agent.sock"
	wait_screen "^ #$VISIT  *front  "
	main=$(tm capture-pane -p -e | colours)
	keys a
	wait_screen "Approve visit"
	dialog=$(tm capture-pane -p -e | colours)
	keys Escape
	wait_screen_not "Approve visit"
	keys Enter
	wait_screen "photo 1 of"
	page=$(tm capture-pane -p -e | colours)
	tm kill-server
	wait_for '! tm has-session 2>/dev/null'
}

agent_with_stranger kit_harington_1.jpg
count_screens "env -u NO_COLOR"
[ "$main" -gt 0 ] && [ "$page" -gt 0 ] ||
    fail "no colours to begin with: main $main, page $page"
count_screens "NO_COLOR=1"
[ "$main" = 0 ] || fail "NO_COLOR: $main colours on the main screen"
[ "$dialog" = 0 ] || fail "NO_COLOR: $dialog colours in a dialog"
[ "$page" = 0 ] || fail "NO_COLOR: $page colours on a visitor's page"
echo ok
