#!/bin/sh
# Makes a small seed corpus for fuzz-image in OUTDIR: a crop of the first
# demo image (or, without MODELS_DIR, a made-up picture) as PPM, PNG, JPEG
# and JPEG with an EXIF orientation, plus PNGs of other colour types and a
# 16-bit PPM. Every seed is a few kilobytes, so the fuzzer stays fast.
#
#	seed-image.sh OUTDIR MODELS_DIR
set -eu

[ $# -eq 2 ] || { echo "usage: seed-image.sh OUTDIR MODELS_DIR" >&2; exit 2; }
out=$1
models=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
tool=$root/build/tests/tools/ppm-from

if [ ! -x "$tool" ]; then
	echo "seed-image: building $tool" >&2
	${MAKE:-make} -s -C "$root" build/tests/tools/ppm-from >&2
fi
mkdir -p "$out"

if [ -f "$models/demo/sample1.jpg" ]; then
	"$tool" "$models/demo/sample1.jpg" "$out/crop.ppm" 880 360 48 32
else
	echo "seed-image: no $models/demo/sample1.jpg;" \
	    "using a made-up image" >&2
	python3 -c '
import sys
w, h = 48, 32
px = bytes(v for y in range(h) for x in range(w)
           for v in (x * 5, y * 8, (x * y) & 255))
sys.stdout.buffer.write(b"P6\n%d %d\n255\n" % (w, h) + px)' >"$out/crop.ppm"
fi
"$tool" "$out/crop.ppm" "$out/crop.png"
"$tool" "$out/crop.ppm" "$out/crop.jpg"

# The other seeds are built byte by byte (stdlib only).
python3 - "$out" <<'PY'
import struct, sys, zlib
out = sys.argv[1]

def chunk(t, d):
    crc = struct.pack(">I", zlib.crc32(t + d))
    return struct.pack(">I", len(d)) + t + d + crc

def png(name, w, h, depth, ctype, rows, extra=b""):
    raw = b"".join(b"\0" + r for r in rows)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0)
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    open(f"{out}/{name}", "wb").write(data)

png("grey.png", 8, 4, 8, 0, [bytes(range(y * 8, y * 8 + 8)) for y in range(4)])
png("palette-trns.png", 4, 2, 8, 3, [b"\0\1\2\1", b"\2\1\0\0"],
    chunk(b"PLTE", b"\xff\0\0\0\xff\0\0\0\xff") + chunk(b"tRNS", b"\xff\x80"))
png("rgba16.png", 2, 2, 16, 6, [bytes(range(16)), bytes(range(16, 32))])

ppm = b"P6\n# 16-bit\n2 2\n1000\n" + b"".join(
    struct.pack(">H", v * 80) for v in range(12))
open(f"{out}/maxval1000.ppm", "wb").write(ppm)

# The JPEG with an APP1 "Exif" segment (big-endian TIFF, orientation 6).
jpeg = open(f"{out}/crop.jpg", "rb").read()
tiff = (b"MM\0\x2a\0\0\0\x08" + b"\0\x01" +
        struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0) + b"\0\0\0\0")
app1 = b"\xff\xe1" + struct.pack(">H", 2 + 6 + len(tiff)) + b"Exif\0\0" + tiff
open(f"{out}/exif6.jpg", "wb").write(jpeg[:2] + app1 + jpeg[2:])
PY
