#!/bin/sh
# Regenerate tests/fixtures/reference.json by running face-api 1.7.15 itself
# (Node, pure-JS tfjs CPU backend) on libjpeg-turbo-decoded PPMs of the demo
# images, plus jpeg-js-decoded pixels for the cross-decoder report.
#
#   tests/reference/gen.sh [MODELS_DIR]      (run from the repository root)
#
# MODELS_DIR (default $MODELS or "models") holds the face-api weights
# (*-weights_manifest.json + *.bin) and demo/sample1..6.jpg (`make models`).
# PPM_FROM (default build/tests/tools/ppm-from, `make tools`) decodes a JPEG
# with libjpeg-turbo into a binary P6 PPM: ppm-from IN.jpg OUT.ppm.
# Takes about 10 minutes on 2 cores (the SSD runs on the JS CPU backend).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
models=${1:-${MODELS:-models}}
ppm_from=${PPM_FROM:-build/tests/tools/ppm-from}
out=$root/tests/fixtures/reference.json

die() { echo "gen.sh: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || die "node not found (Node >= 18 needed)"
command -v npm >/dev/null 2>&1 || die "npm not found"
[ -d "$models" ] || die "models dir '$models' missing (make models)"
models=$(cd "$models" && pwd)
for i in 1 2 3 4 5 6; do
	[ -f "$models/demo/sample$i.jpg" ] || die "$models/demo/sample$i.jpg missing (make models)"
done
[ -x "$ppm_from" ] || die "PPM_FROM '$ppm_from' is not executable (make tools)"

# Install the pinned packages (package-lock.json) unless already in place.
if [ ! -f "$here/node_modules/.package-lock.json" ] ||
   [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
	echo "gen.sh: npm ci in $here" >&2
	(cd "$here" && npm ci --no-audit --no-fund) >&2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-fixtures.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

for i in 1 2 3 4 5 6; do
	"$ppm_from" "$models/demo/sample$i.jpg" "$tmp/sample$i.ppm" ||
		die "$ppm_from failed on sample$i.jpg"
done

mkdir -p "$root/tests/fixtures"
node "$here/gen-fixtures.js" --models "$models" --ppm-dir "$tmp" \
	--demo-dir "$models/demo" --out "$out"
