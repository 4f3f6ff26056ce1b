#!/bin/sh
#
# Writes seeds for build/fuzz/fuzz-pass into OUTDIR: passes built from the
# layout in doc/PASSES with python3 and signed with the openssl command by
# the fuzz target's published test key (id 0f1e2d3c), so they authenticate
# there: valid, expired, not yet valid, for another door, for every door,
# with eight doors; then broken texts, kiosk PIN inputs and stored PIN hash
# strings. MODELS_DIR is not used; the argument is there for smoke.sh.
#
#   tests/fuzz/seed-pass.sh OUTDIR MODELS_DIR

set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 OUTDIR MODELS_DIR" >&2
	exit 1
fi
out=$1
mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/seed-pass.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
umask 077
cat >"$tmp/key.pem" <<'EOF'
-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIC5NV+JgWOQ9PBLbzxWN6Qc10PDq575MGEDhLxTRz9JX
-----END PRIVATE KEY-----
EOF

python3 - "$out" "$tmp" <<'PY'
import base64, hashlib, os, struct, subprocess, sys

out, tmp = sys.argv[1], sys.argv[2]
KEY_ID = 0x0f1e2d3c
NOW = 1800000000
n = 0

def seed(data):
    global n
    n += 1
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(out, "seed-%d" % n), "wb") as f:
        f.write(data)

def sign(body):
    msg = os.path.join(tmp, "msg")
    with open(msg, "wb") as f:
        f.write(b"gatehouse-pass-v1\0" + body)
    return subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin",
        "-inkey", os.path.join(tmp, "key.pem"), "-in", msg],
        check=True, stdout=subprocess.PIPE).stdout

def token(nb, exp, doors, visit=17, person=4, uses=1, pid=bytes(range(16))):
    body = struct.pack(">BI16sqqqqHB", 1, KEY_ID, pid, visit, person, nb,
        exp, uses, len(doors))
    for d in doors:
        body += bytes([len(d)]) + d.encode()
    sig = sign(body)
    assert len(sig) == 64
    return "GH1:" + base64.b32encode(body + sig).decode().rstrip("=")

good = token(NOW - 3600, NOW + 3600, ["front"])
seed(good)
seed(token(NOW - 7200, NOW - 3600, ["front"]))		# expired
seed(token(NOW + 3600, NOW + 7200, ["front"]))		# not yet valid
seed(token(NOW - 3600, NOW + 3600, ["back", "side"]))	# wrong door
seed(token(NOW - 3600, NOW + 3600, []))			# every door
seed(token(0, 2**63 - 1, [c for c in "abcdefgh"], visit=2**63 - 1,
    person=0, uses=65535))
seed(token(NOW - 60, NOW + 60, ["front", "x" * 64]))

# Broken texts.
seed(good[:-1])
seed(good + "A")
seed(good.lower())
seed(good[:4] + good[4:].lower())
seed("GH2:" + good[4:])
seed(good + "\n")
seed(good[:40])
seed("GH1:")
seed("GH1:AAAAAAAA")
seed("")

# PIN input at the kiosk.
for s in ["1234", "482913", " 482913\n", "1234567890", "12345678901",
          "12a4", "12 34", "\t0000\r\n"]:
    seed(s)

# Stored PIN hashes (cheap parameters, so each run stays fast).
salt = bytes(16)
h = hashlib.scrypt(b"1234", salt=salt, n=1024, r=1, p=1, dklen=32)
seed("scrypt$1024$1$1$%s$%s" % (salt.hex(), h.hex()))
seed("scrypt$1024$1$1$%s$%s" % (salt.hex(), bytes(32).hex()))
seed("scrypt$16384$8$1$%s$" % salt.hex())
PY
