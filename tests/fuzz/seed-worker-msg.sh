#!/bin/sh
#
# Writes seeds for build/fuzz/fuzz-worker-msg into OUTDIR. Each seed is a
# limit byte (0xff: WORKER_MSG_MAX_ENROLL, 0xfe: WORKER_MSG_MAX, else
# 5 + byte * 37), a chunk-seed byte, then a stream of frames in the wire
# format of agent/worker.h, built with python3: every message type, a
# stream of all of them, and a few broken frames. No models are needed;
# MODELS_DIR is accepted like the other seed scripts.
#
#   tests/fuzz/seed-worker-msg.sh OUTDIR MODELS_DIR

set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 OUTDIR MODELS_DIR" >&2
	exit 1
fi
out=$1
mkdir -p "$out"

python3 - "$out" <<'EOF'
import math
import struct
import sys

out = sys.argv[1]
READY, FATAL, FACE, TRACK_END, CAMERA_END, STATS, ENROLL, RESULT, CODE = \
    range(1, 10)


def frame(mtype, body=b""):
    return struct.pack("<IB", len(body) + 1, mtype) + body


def s(text):
    b = text.encode()
    return struct.pack("<H", len(b)) + b


def blob(b):
    return struct.pack("<I", len(b)) + b


JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def face(track=1, t=1000, first=1000, jpeg=JPEG, reason="ok", ok=1):
    body = struct.pack("<Qqq", track, t, first)
    body += struct.pack("<5d", 120.5, 80.25, 96.0, 110.0, 0.93)
    body += struct.pack("<B", ok) + s(reason) + struct.pack("<d", 0.71)
    body += b"".join(struct.pack("<f", math.sin(i) / 3) for i in range(128))
    body += b"".join(struct.pack("<2d", 120 + i, 80 + i / 2)
                     for i in range(68))
    return frame(FACE, body + blob(jpeg))


def result(req, ok, reason, jpeg=b""):
    body = struct.pack("<QB", req, ok) + s(reason) + struct.pack("<d", 0.5)
    body += b"".join(struct.pack("<f", i / 128) for i in range(128))
    return frame(RESULT, body + blob(jpeg))


msgs = {
    "ready": frame(READY),
    "fatal": frame(FATAL, s("models: caf\u00e9: no such file")),
    "face": face(),
    "face-nojpeg": face(track=2, t=1033, jpeg=b"", reason="blurry", ok=0),
    "track-end": frame(TRACK_END, struct.pack("<QqqI", 1, 1000, 2500, 46)),
    "camera-end": frame(CAMERA_END),
    "stats": frame(STATS, struct.pack("<4Qd", 30, 12, 17, 1, 46.3)),
    "enroll": frame(ENROLL, struct.pack("<Q", 7) + blob(JPEG)),
    "result-ok": result(7, 1, "ok", JPEG),
    "result-no": result(8, 0, "3 faces: one face per photo"),
    "code": frame(CODE, struct.pack("<q", 1000) + s("GH1:AEHR4LJ4TESTTEXT")),
}


def seed(name, stream, limit=0xff, chunks=1):
    with open(f"{out}/{name}", "wb") as f:
        f.write(bytes([limit, chunks]) + stream)


for name, m in msgs.items():
    seed(name, m)
everything = b"".join(msgs.values())
seed("stream", everything, 0xff, 7)
seed("stream-main", everything, 0xfe, 200)
# A small limit (5 + 40 * 37 = 1485): the FACE frames are over it.
seed("stream-small", everything, 40, 3)

# Broken: a cut frame, a trailing byte, NaN, a bad type, a zero length,
# a flag of 2, an oversized length, a control byte in a string, a CODE
# that is UTF-8 rather than ASCII, an empty CODE.
f = msgs["stats"]
seed("cut", f[:-3])
seed("trailing", struct.pack("<I", len(f) - 3) + f[4:] + b"\0")
seed("nan", f[:-8] + struct.pack("<d", float("nan")))
seed("type", b"\x01\0\0\0\x63")
seed("zero", b"\0\0\0\0" + msgs["ready"])
g = bytearray(msgs["face"])
g[5 + 24 + 40] = 2
seed("flag", bytes(g))
seed("oversized", struct.pack("<I", 0x7fffffff) + b"\x03" * 64)
seed("control", frame(FATAL, s("line\nbreak")))
seed("code-utf8", frame(CODE, struct.pack("<q", 1000) + s("GH1:caf\u00e9")))
seed("code-empty", frame(CODE, struct.pack("<q", 1000) + s("")))
EOF
