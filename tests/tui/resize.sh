# The screens are laid out again when the terminal changes size: 80x24,
# 120x40 and back, on the main screen and a visitor's page; the headers
# are where they belong and nothing is left of the old layout.
set -eu
. "$ROOT/tests/tui/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }

# Whether the main screen is laid out for W x H: the title on the first
# row, the key bar on the last, each section's header once, no row wider
# than the screen. Polled: a frame may be caught half sent.
main_ok() {
	_s=$(screen)
	[ "$(echo "$_s" | wc -l)" = "$2" ] || return 1
	echo "$_s" | sed -n 1p | grep -q "^ Gatehouse .* ? help *$" || return 1
	echo "$_s" | sed -n "$2p" | grep -q "^ Enter view  a approve" || return 1
	for h in "^Doors" "^Pending visitors (1)" "^ #$VISIT  *front  " \
	    "^Recent decisions" "^ VISIT   DOOR" "^ TIME        DOOR"; do
		[ "$(echo "$_s" | grep -c "$h")" = 1 ] || return 1
	done
	fits "$1"
}

check_main() {
	wait_for "main_ok $1 $2"
}

agent_with_stranger kit_harington_1.jpg
tui_start
wait_screen "^ #$VISIT  *front  "
check_main 80 24
tm resize-window -x 120 -y 40
wait_for '[ "$(screen | wc -l)" = 40 ]'
check_main 120 40
# The decisions section grew with the screen: it now starts lower.
[ "$(screen | grep -n '^Recent decisions' | cut -d: -f1)" -gt 14 ] ||
    fail "the layout did not follow the size"
tm resize-window -x 80 -y 24
wait_for '[ "$(screen | wc -l)" = 24 ]'
check_main 80 24

# A visitor's page at W x H: the title, the caption under the photo on
# row H-2, the key bar, the photo in the left pane (W-40 columns).
page_ok() {
	_s=$(screen)
	[ "$(echo "$_s" | wc -l)" = "$2" ] || return 1
	echo "$_s" | sed -n 1p |
	    grep -q "^ Visit #$VISIT at front: pending .* ? help *$" || return 1
	echo "$_s" | sed -n "$(($2 - 2))p" | grep -q "photo 1 of 1" || return 1
	echo "$_s" | sed -n "$2p" | grep -q "^ a approve  d deny" || return 1
	echo "$_s" | grep -q "State  *pending" || return 1
	# The photo's rows hold no more than its pane.
	echo "$_s" | sed -n "2,$(($2 - 3))p" | python3 -c 'import sys
w = int(sys.argv[1])
rows = [l.rstrip("\n") for l in sys.stdin]
sys.exit(not all(l[w:w + 1].strip() == "" for l in rows) or
    sum(len(l[:w].strip()) for l in rows) < w)' "$(($1 - 40))" || return 1
	fits "$1"
}

# A visitor's page: the photo fills its pane at each size.
keys Enter
wait_for 'page_ok 80 24'
tm resize-window -x 120 -y 40
wait_for 'page_ok 120 40'
tm resize-window -x 80 -y 24
wait_for 'page_ok 80 24'
keys q
check_main 80 24
echo ok
