# compare and match on the labelled photos: the same person matches,
# different people do not, and the exit status says which.
set -eu
fail() { echo "FAIL: $*"; exit 1; }
if [ -z "$FACES" ]; then
	echo "labelled photos (../shared/faces) absent"
	exit 77
fi

"$AGENT" compare --models "$MODELS" "$FACES/obama_1.jpg" "$FACES/obama_2.jpg" > same.txt ||
    fail "obama_1 vs obama_2: $(cat same.txt)"
grep -q ': match (threshold 0.60)$' same.txt || fail "match line"

set +e
"$AGENT" compare --models "$MODELS" "$FACES/obama_1.jpg" "$FACES/biden_1.jpg" > diff.txt
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "obama vs biden: status $rc"
grep -q ': different people' diff.txt || fail "different line"

# No face at all is an error (status 2), not a verdict.
"$TOOLS/ppm-from" "$FACES/obama_1.jpg" corner.ppm 0 0 40 40
set +e
"$AGENT" compare --models "$MODELS" corner.ppm "$FACES/obama_1.jpg" 2> noface.err
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q 'no face' noface.err || fail "no face: status $rc"

# match groups the people seen in several photos, never two people together.
"$AGENT" match --models "$MODELS" "$FACES"/obama_*.jpg "$FACES"/biden_*.jpg \
    "$FACES"/rose_leslie_*.jpg > match.txt
grep '^  person' match.txt > people.txt
[ "$(wc -l < people.txt)" -eq 3 ] || fail "people: $(cat people.txt)"
while read -r line; do
	names=$(echo "$line" | tr ' ' '\n' | grep '#' | sed 's|.*/||; s/_[0-9].*//' | sort -u)
	[ "$(echo "$names" | wc -l)" -eq 1 ] || fail "mixed group: $line"
done < people.txt
