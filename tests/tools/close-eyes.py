#!/usr/bin/env python3
# Paints a face's eyes shut: close-eyes.py IN.ppm LANDMARKS.json OUT.ppm.
# LANDMARKS.json is "gatehouse-agent analyze --json" of IN.ppm; the first
# face's eyes (landmarks 36-41 and 42-47) are covered with skin sampled
# below each eye, blended at the edge, with a dark lash line where the lids
# meet: a frame of a blink, for the liveness tests.
import json
import sys

src, lj, out = sys.argv[1:4]
data = open(src, "rb").read()
magic, size, maxval, px = data.split(b"\n", 3)
assert magic == b"P6" and maxval == b"255", "a binary PPM with maxval 255"
w, h = map(int, size.split())
px = bytearray(px)
marks = json.loads(open(lj).readline())["faces"][0]["landmarks"]


def get(x, y):
    i = (y * w + x) * 3
    return px[i:i + 3]


def put(x, y, c):
    if 0 <= x < w and 0 <= y < h:
        i = (y * w + x) * 3
        px[i:i + 3] = bytes(c)


for eye in (marks[36:42], marks[42:48]):
    xs = [p[0] for p in eye]
    ys = [p[1] for p in eye]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    ew, cx, cy = x1 - x0, (x0 + x1) / 2, (y0 + y1) / 2
    # The skin: the mean of a strip a third of an eye's width below it.
    sy = int(y1 + ew * 0.35)
    strip = [get(x, y) for y in range(sy, sy + int(ew * 0.15) + 1)
             for x in range(int(x0), int(x1) + 1)]
    skin = [sum(c[k] for c in strip) // len(strip) for k in range(3)]
    rx, ry = ew / 2 + ew * 0.15, (y1 - y0) * 0.9 + ew * 0.1
    for y in range(int(cy - ry), int(cy + ry) + 1):
        for x in range(int(cx - rx), int(cx + rx) + 1):
            r = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2
            if r <= 1 and 0 <= x < w and 0 <= y < h:
                a = min(1.0, (1 - r) * 3)
                put(x, y, [int(a * s + (1 - a) * o)
                           for s, o in zip(skin, get(x, y))])
    # The lash line, a little below the middle.
    for x in range(int(x0), int(x1) + 1):
        y = int(cy + 0.6 * (y1 - cy))
        for k in (-1, 0, 1):
            if 0 <= y + k < h:
                put(x, y + k, [v * 35 // 100 for v in get(x, y + k)])

with open(out, "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (w, h) + bytes(px))
