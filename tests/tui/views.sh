# The other pages and actions: "this is" a person (the picker, narrowed by
# typing), the people page, the event log with search (/, n), help with
# the keys and the commands of the role, opening the door by hand (a
# reason, a question, one pulse of the sim door), and approve and enrol.
set -eu
. "$ROOT/tests/tui/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }

agent_with_stranger kit_harington_1.jpg
gh people add obama "$FACES/obama_1.jpg" > add.json || fail "people add"
gh people add kit "$FACES/kit_harington_2.jpg" > add.json || fail "people add"
tui_start
wait_screen "^ #$VISIT  *front  "

# This is Kit: the picker lists both, typing narrows it; the face is added
# to Kit's templates (the visit is still to be decided).
keys e
wait_screen "Visit #$VISIT at front is"
wait_screen "obama (1 template)"
keys k i
wait_screen_not "obama (1 template)"
wait_screen "kit (1 template)"
keys Enter
wait_screen "visit #$VISIT at front is kit: 1 template added"
[ "$(gh people | json '[p["templates"] for p in d["people"] if p["name"] == "kit"]')" = "[2]" ] ||
    fail "people: $(gh people)"

keys p
wait_screen "^ People "
wait_screen "^  front  .* obama  "
wait_screen "^  front  .* kit  .*  2  "
keys q

# The log: / finds, n goes on to the next (older) match.
keys l
wait_screen "^ Event log"
wait_screen "person .*action=added"
keys / "action=added" Enter
wait_screen "search: action=added"
# The row of the selected entry (reverse video), if it matches.
selected() {
	tm capture-pane -p -e |
	    grep -n "$(printf '\033')\[[0-9;]*7m.*action=added" | cut -d: -f1
}
wait_for '[ -n "$(selected)" ]'
first=$(selected)
keys n
wait_for '[ -n "$(selected)" ] && [ "$(selected)" != "$first" ]'
keys / "no such thing" Enter
wait_screen "not found: no such thing"
keys q

keys "?"
wait_screen "^ Help "
wait_screen "^  a  *main, visit  *approve the visitor"
# The keys take two pages.
keys NPage NPage
wait_screen "^ Commands of role admin (at front)"
keys G
wait_screen "^  door open --reason R"
keys q
wait_screen "Recent decisions"

# The door by hand: a reason, then yes.
keys o
wait_screen "Open the door at front by hand"
keys "delivery" Enter
wait_screen "Open the door at front now?"
keys y
wait_screen "the door at front is open for 1000 ms"
wait_for '[ "$(door_count pulse)" = 1 ]'
gh events --since 1h | json '[e.get("note") for e in d["events"] if e["type"] == "granted"]' |
    grep -q delivery || fail "no manual grant: $(gh events --since 1h)"

# Approve and enrol: the visitor becomes a person with the visit's face.
keys A
wait_screen "Approve and enrol visit #$VISIT at front"
keys "Kit Visitor" Tab "kit@example.org" Enter Enter Enter
wait_screen "Face enrolled: 1 template"
keys Enter
wait_screen "(no one is waiting)"
[ "$(gh people | json '[p["templates"] for p in d["people"] if p["name"] == "Kit Visitor"]')" = "[1]" ] ||
    fail "people: $(gh people)"
echo ok
