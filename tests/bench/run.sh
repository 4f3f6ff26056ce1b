#!/bin/sh
# make bench: Gatehouse and face-api (tfjs-backend-wasm, SIMD, one thread
# under Node) on the same machine, in the same run, on the same image and
# weights; then the door agent end to end (bench-agent.sh), and again with
# its outbox stalled (tiny+stall); then a table with the ratios.
# Usage: run.sh MODELS BUILD_DIR [AGENT CONSOLE [FACES]]
set -eu
models=$1
b=$2
# The default build keeps its binaries beside their sources (Makefile).
if [ -x "$b/gatehouse-agent" ]; then
	agent=${3:-$b/gatehouse-agent}; console=${4:-$b/gatehouse}
else
	agent=${3:-agent/gatehouse-agent}; console=${4:-console/gatehouse}
fi
faces=${5:-../shared/faces}
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A 640x480 frame with one face, cut from a demo photo.
"$b/tests/tools/ppm-from" "$models/demo/sample2.jpg" "$tmp/frame.ppm" 1221 65 640 480

if [ ! -d "$here/../reference/node_modules" ]; then
	echo "bench: installing the face-api peer (npm ci)" >&2
	(cd "$here/../reference" && npm ci --silent --no-audit --no-fund)
fi

cores=$(nproc)
{
	"$b/tests/bench/bench-face" "$models" "$tmp/frame.ppm" 1 30
	"$b/tests/bench/bench-face" "$models" "$tmp/frame.ppm" "$cores" 30
	"$b/tests/bench/bench-gallery"
	node "$here/../reference/bench-peer.js" --models "$models" \
	    --image "$tmp/frame.ppm" --runs 30 2>/dev/null
	sh "$here/bench-agent.sh" "$agent" "$console" "$models" "$faces" \
	    tiny tiny+stall ssd || echo "bench: the door agent bench failed" >&2
} > "$tmp/results.jsonl"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
/usr/bin/python3 "$here/table.py" "$tmp/results.jsonl" "$cpu" "$cores"
