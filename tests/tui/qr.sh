# The pass of an approved visitor shows as a QR code on the guard's
# screen, and that code, read back from tmux's copy of the screen, decodes
# (zbarimg) to the pass the agent issued: the visitor may scan it from the
# screen.
set -eu
. "$ROOT/tests/tui/lib.sh"
[ -n "$FACES" ] || { echo "no labelled faces (../shared/faces)"; exit 77; }
command -v zbarimg >/dev/null || { echo "no zbarimg (zbar-tools)"; exit 77; }

agent_with_stranger kit_harington_1.jpg
tm kill-server 2>/dev/null || true
TMUX_SERVER=gh-test-$$-qr
tm -f /dev/null new-session -d -x 140 -y 60 "$CONSOLE -S $PWD/agent.sock" ||
    fail "tmux new-session"
wait_screen "^ #$VISIT  *front  "

keys a
wait_screen "Approve visit #$VISIT at front"
keys "Ann Lee" Tab "ann@example.org" Enter Enter Enter
wait_screen "is approved for Ann Lee"
wait_screen "The pass [0-9a-f]*, for the door"
pass=$(gh passes | json 'd["passes"][0]["pass"]')

# Cells to pixels: the glyphs draw the light modules, two rows per cell.
screen | python3 -c 'import sys
rows = sys.stdin.read().split("\n")
glyph = {"\u2580": (1, 0), "\u2584": (0, 1), "\u2588": (1, 1)}
cells = [(y, x) for y, r in enumerate(rows) for x, c in enumerate(r) if c in glyph]
y0 = min(y for y, x in cells); y1 = max(y for y, x in cells)
x0 = min(x for y, x in cells); x1 = max(x for y, x in cells)
px = []
for y in range(y0, y1 + 1):
    r = rows[y].ljust(x1 + 1)
    top = [glyph.get(c, (0, 0))[0] for c in r[x0:x1 + 1]]
    bot = [glyph.get(c, (0, 0))[1] for c in r[x0:x1 + 1]]
    px += [top, bot]
s = 4
w, h = len(px[0]) * s, len(px) * s
out = bytearray()
for row in px:
    line = bytes(255 if v else 0 for v in row for _ in range(s))
    out += line * s
sys.stdout.buffer.write(b"P5\n%d %d\n255\n" % (w, h) + out)' > qr.pgm ||
    fail "no code on the screen"
zbarimg --quiet --raw qr.pgm > qr.txt 2>/dev/null || fail "the code does not decode"
python3 - qr.txt "$pass" <<'PY' || fail "decoded: $(cat qr.txt)"
import base64, sys
text = open(sys.argv[1]).read().strip()
assert text.startswith("GH1:"), text
raw = text[4:]
raw = base64.b32decode(raw + "=" * (-len(raw) % 8))
# doc/PASSES: version (1), key id (4), then the 16-byte pass id.
assert raw[0] == 1 and raw[5:21].hex() == sys.argv[2], (raw[:21].hex(), sys.argv[2])
PY
keys Enter q
wait_for '! tm has-session 2>/dev/null'
echo ok
