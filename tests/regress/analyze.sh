# analyze: the JSON contract, a readable table, bad files among good ones,
# usage errors and a missing model directory.
set -eu
fail() { echo "FAIL: $*"; exit 1; }

"$TOOLS/ppm-from" "$MODELS/demo/sample1.jpg" s1.ppm
"$TOOLS/ppm-from" "$MODELS/demo/sample2.jpg" one.ppm 1221 65 640 480

# One JSON object per file per line, with the documented fields.
"$AGENT" analyze --models "$MODELS" --json s1.ppm one.ppm > out.json
/usr/bin/python3 - out.json <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 2, lines
a, b = (json.loads(l) for l in lines)
assert a["file"] == "s1.ppm" and a["width"] == 1920 and a["height"] == 1280, a
assert len(a["faces"]) == 3, len(a["faces"])
assert len(b["faces"]) == 1, len(b["faces"])
scores = [f["score"] for f in a["faces"]]
assert scores == sorted(scores, reverse=True), scores
for f in a["faces"] + b["faces"]:
    assert 0.5 < f["score"] <= 1
    assert len(f["box"]) == 4
    assert len(f["landmarks"]) == 68 and all(len(p) == 2 for p in f["landmarks"])
    assert len(f["descriptor"]) == 128
    norm = sum(v * v for v in f["descriptor"]) ** 0.5
    assert 1.0 < norm < 2.0, norm
PY

# The table for people names the file and counts the faces.
"$AGENT" analyze --models "$MODELS" s1.ppm | grep -q '^s1.ppm: 1920x1280, 3 faces$' ||
    fail "text output"

# A bad file is reported, the others are still analysed, the status is 1.
head -c 3000 "$MODELS/demo/sample1.jpg" > truncated.jpg
printf 'not an image' > junk.jpg
set +e
"$AGENT" analyze --models "$MODELS" --json truncated.jpg one.ppm junk.jpg missing.png \
    > mixed.json 2> mixed.err
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "exit status $rc with bad files"
[ "$(wc -l < mixed.json)" -eq 1 ] || fail "good file not analysed"
grep -q '"file":"one.ppm"' mixed.json || fail "wrong file analysed"
grep -q 'truncated.jpg' mixed.err || fail "no error for the truncated JPEG"
grep -q 'junk.jpg' mixed.err || fail "no error for junk"
grep -q 'missing.png' mixed.err || fail "no error for a missing file"

# Over the pixel limit: refused before decoding.
set +e
"$AGENT" analyze --models "$MODELS" --max-pixels 1000 one.ppm 2> big.err
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q one.ppm big.err || fail "pixel limit"

# Usage errors exit 2 with a message.
for args in "--input-size 100 one.ppm" "--detector yolo one.ppm" \
    "--min-score 2 one.ppm" ""; do
	set +e
	"$AGENT" analyze --models "$MODELS" $args > /dev/null 2> usage.err
	rc=$?
	set -e
	[ "$rc" -eq 2 ] || fail "usage error '$args' gave $rc"
	[ -s usage.err ] || fail "usage error '$args' said nothing"
done

# A missing or broken model directory is a clear error.
set +e
"$AGENT" analyze --models ./nowhere one.ppm 2> models.err
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q 'nowhere' models.err || fail "missing models"
mkdir broken
cp "$MODELS"/*.json broken/
for f in "$MODELS"/*.bin; do head -c 1000 "$f" > "broken/$(basename "$f")"; done
set +e
"$AGENT" analyze --models ./broken one.ppm 2> broken.err
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q 'truncated' broken.err || fail "truncated model: $(cat broken.err)"

# match never puts two faces of one photo in the same person.
"$AGENT" match --models "$MODELS" "$MODELS"/demo/sample*.jpg > match.txt
grep -q '^people seen in more than one photo:$' match.txt || fail "match output"
grep '^  person' match.txt | while read -r line; do
	files=$(echo "$line" | tr ' ' '\n' | grep '#' | sed 's/#.*//')
	[ "$(echo "$files" | sort | uniq -d)" = "" ] || fail "one photo twice: $line"
done
