# Liveness at a "liveness require" door, through the file: camera, with
# scenes made from real face photos of enrolled people (../shared/faces),
# two people a scene so that each event is known by its person:
#
#   still	Kit, Biden: the same frame again and again (a photo on a
#		screen): never let in; an alarm "spoof-suspected" ("frozen")
#   moved	Lin-Manuel, Obama: the photo moved by a few pixels each
#		frame (held up by hand): never let in; "spoof-suspected"
#		("rigid")
#   blink	Rose, Alex: moved as well, with two frames whose eyes are
#		painted shut (tests/tools/close-eyes.py) and open again:
#		let in
#
# Prints what each scene came to, the misses (a picture let in) and the
# false alarms (a blink not let in, or a spoof alarm on it); fails on any
# miss and on any false alarm.
set -eu
. "$ROOT/tests/regress/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }

chmod 755 .
mkdir frames voice scenes
frame_blank blank.ppm
still="kit_harington_1.jpg biden_1.jpg"
moved="lin_manuel_miranda_1.png obama_1.jpg"
blink="rose_leslie_1.jpg alex_lacamoire_1.jpg"
people="$still $moved $blink"
shifts="0 3 1 4 2 5 1 3 0 4 2 5 3 1 4 0"

# A person's frames, a window of about 2.5 face widths around the face as
# a door camera frames a visitor, moved by S pixels for S in 0 to 5, and
# with the eyes shut for S 1 and 3: frames NAME PHOTO.
frames() {
	"$AGENT" analyze --models "$MODELS" --json "$FACES/$2" > "scenes/$1.json"
	set -- "$1" "$2" $(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
x, y, w, h = d["faces"][0]["box"]
W, H = min(d["width"] - 8, int(2.5 * w)), min(d["height"] - 8, int(2.5 * h))
X = min(max(0, int(x + w / 2 - W / 2)), d["width"] - 8 - W)
Y = min(max(0, int(y + h / 2 - H / 2)), d["height"] - 8 - H)
print(X, Y, W, H)' "scenes/$1.json")
	for s in 0 1 2 3 4 5; do
		"$TOOLS/ppm-from" "$FACES/$2" "scenes/$1-$s.ppm" \
		    $(($3 + s)) $(($4 + s)) "$5" "$6"
	done
	for s in 1 3; do
		"$AGENT" analyze --models "$MODELS" --json \
		    "scenes/$1-$s.ppm" > "scenes/$1-$s.json"
		python3 "$ROOT/tests/tools/close-eyes.py" "scenes/$1-$s.ppm" \
		    "scenes/$1-$s.json" "scenes/$1-shut-$s.ppm"
	done
}

# Adds NAME's frames at 1-based shifts S... to DIR: show DIR NAME S...
show() {
	show_dir=$1 show_name=$2
	shift 2
	for s in "$@"; do
		frames_add "$show_dir" "$PWD/scenes/$show_name-$s.ppm" 1
	done
}

# The scene of KIND for NAME into DIR: scene DIR KIND NAME.
scene() {
	case $2 in
	still)	frames_add "$1" "$PWD/scenes/$3-0.ppm" 16 ;;
	moved)	show "$1" "$3" 0 3 1 4 2 5 1 3 0 4 2 5 3 1 4 0 ;;
	blink)	show "$1" "$3" 1 3 0 2 4 shut-3 shut-1 2 0 4 1 3 5 ;;
	esac
	frames_add "$1" blank.ppm 8
}

# People are enrolled while the camera shows nothing; then the scenes.
mkdir later
frames_add frames blank.ppm 3
frames_add later blank.ppm 3
for kind in still moved blink; do
	eval "list=\$$kind"
	for p in $list; do
		frames "${p%%_*}" "$p"
		scene later "$kind" "${p%%_*}"
	done
done
write_conf <<EOF
liveness require
EOF
conf_set camera_fps 5
start_agent
for p in $people; do
	gh people add "${p%%_*}" "$FACES/$p" > add.json ||
	    fail "people add: $(cat add.json)"
done
stop_agent
rm -rf frames
mv later frames
start_agent
wait_for '[ "$(gh status | json "d[\"camera\"]")" = ended ]'
gh events --since 1h > events.json
stop_agent
python3 - events.json $people <<'EOF' || fail "liveness: $(cat events.json)"
import json, sys
evs = json.load(open(sys.argv[1]))["events"]
names = [p.split("_")[0] for p in sys.argv[2:]]
kinds = ["still"] * 2 + ["moved"] * 2 + ["blink"] * 2
# The people's ids, then each person's events of the second run: theirs
# (granted) or about their face (nearest).
ids = {e["person"]: e["person_id"] for e in evs if e["type"] == "person"}
start = max(i for i, e in enumerate(evs) if e["type"] == "person")
misses = false_alarms = 0
for name, kind in zip(names, kinds):
    mine = [e for e in evs[start + 1:] if ids[name] in
            (e.get("person_id"), e.get("nearest"))]
    granted = any(e["type"] == "granted" for e in mine)
    spoof = [e["reason"] for e in mine if e.get("kind") == "spoof-suspected"]
    if kind == "blink":
        false_alarms += (not granted) + len(spoof)
    else:
        misses += granted
        want = "frozen" if kind == "still" else "rigid"
        assert spoof == [want], (name, kind, mine)
    print("liveness %-5s %-6s %-11s %s" % (kind, name,
          "granted" if granted else "not let in", spoof))
print("liveness: 4 pictures, %d misses; 2 blinks, %d false alarms" %
      (misses, false_alarms))
assert misses == 0 and false_alarms == 0
EOF
echo "liveness: ok"
