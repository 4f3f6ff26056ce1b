# The outbox page: O on the main screen lists the failed and queued
# notifications of an agent that has none as an empty list that says so;
# retrying with nothing selected says so too; help lists the page's keys;
# q goes back, and from the help back to the page.
#
# What depends on the agent's "outbox" (doc/PROTOCOL 4.24) is marked
# AGENT below: an agent without it answers "unknown-command", and the page
# says it could not be read.
set -eu
. "$ROOT/tests/tui/lib.sh"

chmod 755 .
mkdir frames voice
frame_blank blank.ppm
frames_add frames blank.ppm 30
write_conf </dev/null
start_agent
tui_start
wait_for 'row 3 | grep -q "^ front  *connected  *admin"'

keys O
wait_screen "^ Outbox (0 failed, 0 queued) "
wait_screen "^ DOOR  *ROW  *STATE  *KIND  *TRIES  *LAST TRY  *DESTINATION"
# AGENT: the list is read, and empty.
wait_screen "(no notification is queued or failed: nothing waits to be sent)"
! screen | grep -q "could not be read" || fail "AGENT: the outbox was not read"
keys r
wait_screen "no notification is selected"
keys O
wait_screen "^ Outbox (0 failed, 0 queued) "

# Help from the page lists its keys, and goes back to it.
keys "?"
wait_screen "^ Help "
wait_screen "^  O  *main, outbox  *show the outbox, or read it again"
keys NPage
wait_screen "^  Enter, r  *outbox  *queue a failed notification again (admin)"
keys q
wait_screen "^ Outbox (0 failed, 0 queued) "
keys q
wait_screen "Pending visitors (0)"
echo ok
