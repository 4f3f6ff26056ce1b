# calibrate on a real store: the gallery's measurements and suggestion.
#
# Part 1: five people are enrolled from the labelled photos (2 or 3 each)
# by a real agent, which is then stopped. calibrate lists every person with
# their template count; on these photos every person's own templates are
# nearer each other than to anybody else (genuine at most 0.44, impostors
# at least 0.69), so the suggested threshold lies between the two and there
# is no look-alike; a configuration with a looser threshold (-f) makes the
# closest pair one. A missing store is an error (1), a bad option a usage
# error (2).
#
# Part 2 (same store): Obama is enrolled again under another name from a
# smaller copy of one of his photos, and a stranger seen by the camera is
# deny-listed. calibrate names the pair as look-alikes, says the gallery
# cannot be separated (no suggestion) and marks the deny-list entry.
set -eu
. "$ROOT/tests/regress/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }

# The keys of the --json object, as gatehouse-agent(8) documents them.
KEYS="config current data_dir genuine_max impostor_min lookalikes \
no_suggestion people separable suggested templates"
PERSON_KEYS="deny_listed genuine_max genuine_median id name nearest templates"

# calibrate ARGS...: runs it into out.txt and err.txt, its status in $rc.
calibrate() {
	set +e
	"$AGENT" calibrate "$@" > out.txt 2> err.txt
	rc=$?
	set -e
}

# Errors: no store (nothing created), bad options and arguments.
calibrate -d ./nowhere -f /dev/null
[ "$rc" -eq 1 ] || fail "missing store: status $rc"
grep -q nowhere err.txt || fail "missing store: $(cat err.txt)"
[ ! -e nowhere ] || fail "calibrate created the data directory"
calibrate --bogus
[ "$rc" -eq 2 ] && [ -s err.txt ] || fail "bad option: status $rc"
calibrate -d ./nowhere extra
[ "$rc" -eq 2 ] && grep -q usage err.txt || fail "extra argument: status $rc"
calibrate -f ./no-such.conf -d ./nowhere
[ "$rc" -eq 1 ] && grep -q no-such.conf err.txt ||
    fail "missing config: status $rc: $(cat err.txt)"

# Part 1: enrol five people.
chmod 755 .
mkdir frames voice
frame_blank blank.ppm
frames_add frames blank.ppm 1
write_conf < /dev/null
start_agent
add() {
	_name=$1; shift
	gh people add "$_name" "$@" > add.json || fail "people add $_name"
	[ "$(json 'd["templates"]' < add.json)" = $# ] ||
	    fail "people add $_name: $(cat add.json)"
}
# Beside the running agent: an empty gallery is no error, nothing is
# suggested; with one person, face-api's 0.6 bounds the threshold.
calibrate -f gatehouse.conf -d data
[ "$rc" -eq 0 ] && grep -q 'empty: nothing to calibrate' out.txt ||
    fail "empty gallery: status $rc: $(cat out.txt err.txt)"
calibrate -f gatehouse.conf -d data --json
[ "$rc" -eq 0 ] || fail "empty gallery --json: status $rc"
[ "$(json 'd["people"], d["suggested"], d["no_suggestion"]' < out.txt)" = \
    "([], None, 'the gallery is empty')" ] || fail "empty: $(cat out.txt)"
add obama "$FACES/obama_1.jpg" "$FACES/obama_2.jpg" "$FACES/obama_3.jpg"
calibrate -f gatehouse.conf -d data --json
python3 - out.txt <<'EOF' || fail "one person: $(cat out.txt)"
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert d["impostor_min"] is None and d["people"][0]["nearest"] is None
assert d["genuine_max"] < d["suggested"]["match_threshold"] < 0.6, d
EOF
add biden "$FACES/biden_1.jpg" "$FACES/biden_2.jpg"
add kit "$FACES/kit_harington_1.jpg" "$FACES/kit_harington_2.jpg"
add rose "$FACES/rose_leslie_1.jpg" "$FACES/rose_leslie_2.jpg"
add alex "$FACES/alex_lacamoire_1.jpg" "$FACES/alex_lacamoire_2.jpg"
stop_agent

# The table: a row per person with the template count; nothing to warn.
calibrate -f gatehouse.conf -d data
[ "$rc" -eq 0 ] || fail "calibrate: status $rc: $(cat err.txt)"
cat out.txt
for p in obama:3 biden:2 kit:2 rose:2 alex:2; do
	awk -v n="${p%:*}" -v t="${p#*:}" '$1 == n && $3 == t { f = 1 }
	    END { exit !f }' out.txt || fail "no row $p: $(cat out.txt)"
done
grep -q '^suggested: match_threshold 0\.[0-9]* match_margin 0\.[0-9]*$' \
    out.txt || fail "no suggestion: $(cat out.txt)"
grep -q '^look-alikes: none$' out.txt || fail "look-alikes: $(cat out.txt)"
! grep -q warning out.txt || fail "warnings: $(cat out.txt)"

# The same as JSON, checked against the rule.
calibrate -f gatehouse.conf -d data --json
[ "$rc" -eq 0 ] || fail "calibrate --json: status $rc: $(cat err.txt)"
python3 - out.txt "$KEYS" "$PERSON_KEYS" <<'EOF' || fail "json: $(cat out.txt)"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, "one object on one line"
d = json.loads(lines[0])
assert sorted(d) == sorted(sys.argv[2].split()), sorted(d)
assert d["config"] == "gatehouse.conf" and d["data_dir"] == "data"
want = {"obama": 3, "biden": 2, "kit": 2, "rose": 2, "alex": 2}
got = {p["name"]: p["templates"] for p in d["people"]}
assert got == want, got
assert d["templates"] == 11
for p in d["people"]:
    assert sorted(p) == sorted(sys.argv[3].split()), sorted(p)
    assert p["deny_listed"] is False
    assert p["nearest"]["name"] in want and p["nearest"]["name"] != p["name"]
    assert 0 < p["genuine_median"] <= p["genuine_max"], p
    # Each person's own templates are nearer than anybody else's.
    assert p["genuine_max"] < p["nearest"]["distance"], p
G = max(p["genuine_max"] for p in d["people"])
I = min(p["nearest"]["distance"] for p in d["people"])
assert d["genuine_max"] == G and d["impostor_min"] == I, (G, I)
assert d["separable"] is True and d["no_suggestion"] is None
assert d["current"] == {"match_threshold": 0.5, "match_margin": 0.05,
    "unknown_threshold": 0.6}, d["current"]
t = d["suggested"]["match_threshold"]
m = d["suggested"]["match_margin"]
assert G < t < I, (G, t, I)
assert t <= 0.6 and 0.02 <= m <= 0.2, (t, m)
assert d["lookalikes"] == [], d["lookalikes"]
print("G %.3f I %.3f suggested %g + %g" % (G, I, t, m))
EOF

# Without -f: the default file, or the defaults when it is absent and -d
# is given.
if [ ! -e /etc/gatehouse/gatehouse.conf ]; then
	calibrate -d data --json
	[ "$rc" -eq 0 ] || fail "calibrate -d: status $rc: $(cat err.txt)"
	[ "$(json 'd["config"], d["current"]["match_threshold"]' < out.txt)" = \
	    "(None, 0.5)" ] || fail "calibrate -d: $(cat out.txt)"
fi

# A looser configuration: its threshold + margin (0.71) reaches the closest
# pair, which the suggestion does not.
conf_set match_threshold 0.66
conf_set unknown_threshold 0.7
calibrate -f gatehouse.conf -d data --json
[ "$rc" -eq 0 ] || fail "loose: status $rc: $(cat err.txt)"
python3 - out.txt <<'EOF' || fail "loose: $(cat out.txt)"
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert d["current"]["match_threshold"] == 0.66
I = d["impostor_min"]
assert I < 0.71, "the closest pair is no longer below 0.71"
near = [(p["name"], p["nearest"]["name"]) for p in d["people"]
    if p["nearest"]["distance"] == I][0]
la = d["lookalikes"]
assert len(la) >= 1 and {la[0]["a"], la[0]["b"]} == set(near), la
assert la[0]["distance"] == I and la[0]["current"] is True, la
assert la[0]["suggested"] is False, la
assert all(x["distance"] < 0.71 for x in la), la
EOF
calibrate -f gatehouse.conf -d data
grep -q '^warning: look-alike: .* below current 0\.71$' out.txt ||
    fail "loose: no warning: $(cat out.txt)"
conf_set match_threshold 0.5
conf_set unknown_threshold 0.6

# Part 2: Obama again as "barack", and a stranger deny-listed.
rm frames/*
frames_add frames "$FACES/lin_manuel_miranda_1.png" 20
frames_add frames blank.ppm 30
start_agent
gh people add barack "$FACES/obama_4_480p.jpg" > add.json ||
    fail "people add barack: $(cat add.json)"
wait_for '[ "$(gh status | json "d[\"camera\"]")" = ended ]'
wait_for '[ "$(gh pending | json "len(d[\"visits\"])")" = 1 ]'
visit=$(gh pending | json 'd["visits"][0]["visit"]')
gh deny "$visit" --deny-list > deny.json || fail "deny: $(cat deny.json)"
stop_agent

calibrate -f gatehouse.conf -d data --json
[ "$rc" -eq 0 ] || fail "part 2: status $rc: $(cat err.txt)"
python3 - out.txt <<'EOF' || fail "part 2: $(cat out.txt)"
import json, sys
d = json.loads(open(sys.argv[1]).read())
people = {p["name"]: p for p in d["people"]}
assert len(people) == 7, sorted(people)
assert people["barack"]["templates"] == 1
assert people["barack"]["genuine_max"] is None
assert people["barack"]["nearest"]["name"] == "obama"
deny = [p for p in d["people"] if p["deny_listed"]]
assert len(deny) == 1 and deny[0]["templates"] >= 1, deny
assert all(not p["deny_listed"] for p in d["people"] if p is not deny[0])
# Two photos of one man are nearer than his own photos are to each other.
assert d["separable"] is False and d["suggested"] is None, d
assert "obama" in d["no_suggestion"] and "barack" in d["no_suggestion"]
la = d["lookalikes"][0]
assert {la["a"], la["b"]} == {"obama", "barack"}, la
assert la["distance"] < 0.2 and la["current"] and not la["suggested"], la
EOF
calibrate -f gatehouse.conf -d data
cat out.txt
grep -q '^warning: look-alike: obama ~ barack 0\.[0-9]*, below current' \
    out.txt || fail "part 2: no look-alike warning: $(cat out.txt)"
grep -q '^suggested: none: no threshold separates' out.txt ||
    fail "part 2: a suggestion: $(cat out.txt)"
grep -q ' deny-listed$' out.txt || fail "part 2: no deny-list mark"
exit 0
