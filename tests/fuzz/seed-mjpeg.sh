#!/bin/sh
# Makes a small seed corpus for fuzz-mjpeg in OUTDIR. Each seed is one
# byte (the piece size the body is fed in, minus one), a Content-Type line,
# then a multipart body: parts with and without Content-Length, extra
# dashes, a closing boundary, and a crop of the first demo image as JPEG
# (when MODELS_DIR has it) so the decoders see real parts too.
#
#	seed-mjpeg.sh OUTDIR MODELS_DIR
set -eu

[ $# -eq 2 ] || { echo "usage: seed-mjpeg.sh OUTDIR MODELS_DIR" >&2; exit 2; }
out=$1
models=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
tool=$root/build/tests/tools/ppm-from
mkdir -p "$out"

jpg=
if [ -f "$models/demo/sample1.jpg" ]; then
	if [ ! -x "$tool" ]; then
		${MAKE:-make} -s -C "$root" build/tests/tools/ppm-from >&2
	fi
	"$tool" "$models/demo/sample1.jpg" "$out/crop.ppm" 880 360 48 32
	"$tool" "$out/crop.ppm" "$out/crop.jpg"
	rm -f "$out/crop.ppm"
	jpg=$out/crop.jpg
fi

python3 - "$out" "$jpg" <<'PY'
import sys
out, jpg = sys.argv[1], sys.argv[2]
img = open(jpg, "rb").read() if jpg else b"\xff\xd8\xff\xe0 not a jpeg"
if jpg:
    import os
    os.remove(jpg)
mp = b"multipart/x-mixed-replace; boundary=gh\n"
seeds = {
    "len": b"\x07" + mp + b"--gh\r\nContent-Type: image/jpeg\r\n"
        b"Content-Length: %d\r\n\r\n" % len(img) + img + b"\r\n--gh--\r\n",
    "scan": b"\x40" + mp + b"preamble\r\n--gh\r\n\r\n" + img +
        b"\r\n----gh\r\n\r\n" + img + b"\r\n--gh\r\n",
    "quoted": b"\x00multipart/x-mixed-replace;boundary=\"--b\"\n"
        b"--b\r\ncontent-length:3\r\n\r\nxyz\r\n--b\r\n\r\nab\r\n--b--\r\n",
    "over": b"\xff" + mp + b"--gh\r\nContent-Length: 99999\r\n\r\nzz\r\n"
        b"--gh\r\n\r\n" + b"x" * 5000 + b"\r\n--gh\r\n",
    "plain": b"\x10image/jpeg\n" + img,
}
for name, data in seeds.items():
    open(f"{out}/{name}", "wb").write(data)
PY
