#!/bin/sh
#
# Writes seeds for build/fuzz/fuzz-weights into OUTDIR: a manifest, a NUL
# byte, then the shards. Two real models (the small ones) when MODELS_DIR
# has them, and hand-made manifests covering every encoding, two groups and
# a truncated shard.
#
#   tests/fuzz/seed-weights.sh OUTDIR MODELS_DIR

set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 OUTDIR MODELS_DIR" >&2
	exit 1
fi
out=$1
models=$2
mkdir -p "$out"

# seed NAME MANIFEST-FILE SHARD-FILE...: writes OUTDIR/NAME.
seed() {
	name=$1
	manifest=$2
	shift 2
	{
		cat "$manifest"
		printf '\0'
		[ $# -eq 0 ] || cat "$@"
	} >"$out/$name"
}

for m in tiny_face_detector_model face_landmark_68_tiny_model; do
	if [ -f "$models/$m-weights_manifest.json" ] &&
	    [ -f "$models/$m.bin" ]; then
		seed "$m" "$models/$m-weights_manifest.json" "$models/$m.bin"
	else
		echo "$0: no $m in $models, skipped" >&2
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every encoding: float32, uint8 to float32, int32, uint8 to int32 (with a
# -2.5 to round), a scalar and an empty tensor. 8 + 4 + 4 + 4 + 0 bytes.
cat >"$tmp/all.json" <<'EOF'
[{"paths": ["all.bin"], "weights": [
 {"name": "f", "shape": [2], "dtype": "float32"},
 {"name": "q", "shape": [2, 2], "dtype": "float32",
  "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1}},
 {"name": "i", "shape": [], "dtype": "int32"},
 {"name": "qi", "shape": [1, 1, 1, 4], "dtype": "int32",
  "quantization": {"dtype": "uint8", "scale": 0.5, "min": -3}},
 {"name": "z", "shape": [0, 3], "dtype": "float32"}
]}]
EOF
printf '\000\000\300\077\000\000\040\301\000\001\002\377' >"$tmp/all.bin"
printf '\376\377\377\377\000\001\007\011' >>"$tmp/all.bin"
seed all "$tmp/all.json" "$tmp/all.bin"
# The same with the last byte missing.
head -c 19 "$tmp/all.bin" >"$tmp/short.bin"
seed all-short "$tmp/all.json" "$tmp/short.bin"

# Two groups, the first with two shards; the shards are simply concatenated.
cat >"$tmp/groups.json" <<'EOF'
[{"paths": ["a.bin", "b.bin"], "weights": [
  {"name": "a", "shape": [1, 3], "dtype": "float32"},
  {"name": "b", "shape": [5], "dtype": "float32",
   "quantization": {"dtype": "uint8", "scale": 2, "min": 1}}]},
 {"paths": ["c.bin"], "weights": [
  {"name": "c", "shape": [2], "dtype": "int32"},
  {"name": "d", "shape": [], "dtype": "int32",
   "quantization": {"dtype": "uint8", "scale": 1, "min": 5118}}]}]
EOF
printf '\000\000\200\077\000\000\000\100\000\000\100\100\000\001' \
    >"$tmp/a.bin"
printf '\002\003\377' >"$tmp/b.bin"
printf '\007\000\000\000\000\000\000\200\000' >"$tmp/c.bin"
seed groups "$tmp/groups.json" "$tmp/a.bin" "$tmp/b.bin" "$tmp/c.bin"

# A manifest alone (no NUL): empty shards, so only empty tensors fit.
printf '[{"paths": [], "weights": [{"name": "e", "shape": [0],
 "dtype": "float32"}]}]' >"$out/no-bin"
