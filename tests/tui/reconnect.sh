# The agent goes away under the console: the door shows "reconnecting"
# with the time left and the reason, the waits grow (1 s, 2 s, 4 s ...),
# and when the agent is back the console connects again by itself, with
# the pending visitor and without the log twice.
set -eu
. "$ROOT/tests/tui/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }

agent_with_stranger kit_harington_1.jpg
tui_start
wait_screen "^ #$VISIT  *front  "
wait_screen "front  *connected  *admin"
wait_for '[ "$(screen | grep -c "pending   visit #$VISIT")" = 1 ]'

stop_agent
wait_screen "front  *reconnecting in [0-9]*s  *.*agent.sock"
# The third try in a row waits 4 s: the backoff shows.
wait_screen "front  *reconnecting in [34]s"
# The visitor stays listed (dimmed) while the door is away.
wait_screen "^ #$VISIT  *front  "

start_agent
wait_screen "front  *connected  *admin"
wait_screen "^ #$VISIT  *front  "
# The events of before are not listed again.
wait_for '[ "$(screen | grep -c "pending   visit #$VISIT")" = 1 ]'
echo ok
