#!/bin/sh
# Fetches @vladmandic/face-api@1.7.15 with `npm pack`, checks the pinned
# SHA-256 of every file it keeps, and unpacks the five model files and the
# demo images into DIR (default: models). Idempotent: nothing is fetched
# when every kept file is present with the right sum.
set -eu

dir=${1:-models}
pkg=@vladmandic/face-api@1.7.15

sums() {
	cat <<'SUMS'
b7503ce7df31039b1c43316a9b865cab6a70dd748cc602d3fa28b551503c3871  tiny_face_detector_model.bin
5d1af4849ac48d5b985f4a9b16010c512353ddd6fcc63d50fd0bc9e9e64296e5  tiny_face_detector_model-weights_manifest.json
2835640602d53718aa6ae9a42896327eaa21beefed056c218d32ca7d79e1e2f8  ssd_mobilenetv1_model.bin
888f744dffbc84f5f060d1f8427d9742341943a2dfaaf9205d10029b7e7a2955  ssd_mobilenetv1_model-weights_manifest.json
4611ef65c87d836d03d684b30eec4d195d8b219fa1dd58fc58945831c6b9299b  face_landmark_68_model.bin
ca4886639f86e99b39fed0c155f81b63317225773bd9616716e887b0153389c9  face_landmark_68_model-weights_manifest.json
b98e9f2f7da76f8a6dda9741a36ed485b224b889d552de2b2c1bb16217f67bfc  face_landmark_68_tiny_model.bin
9a1a5dd19fd814fd5095c3cb58f8e0d3193b8c5b9a6715b30a69d559aea31ad4  face_landmark_68_tiny_model-weights_manifest.json
b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589  face_recognition_model.bin
cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b  face_recognition_model-weights_manifest.json
8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51  demo/sample1.jpg
7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691  demo/sample2.jpg
8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936  demo/sample3.jpg
729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc  demo/sample4.jpg
6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938  demo/sample5.jpg
9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87  demo/sample6.jpg
SUMS
}

if [ -d "$dir" ] && (cd "$dir" && sums | sha256sum --check --quiet --status -) 2>/dev/null; then
	exit 0
fi

command -v npm >/dev/null || { echo "models: npm not found (make deps)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "models: fetching $pkg" >&2
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
mkdir -p "$tmp/x"
tar -xzf "$tmp"/*.tgz -C "$tmp/x"
mkdir -p "$tmp/out/demo"
sums | while read -r sum name; do
	case $name in
	demo/*)	cp "$tmp/x/package/$name" "$tmp/out/$name" ;;
	*)	cp "$tmp/x/package/model/$name" "$tmp/out/$name" ;;
	esac
done
if ! (cd "$tmp/out" && sums | sha256sum --check --quiet -); then
	echo "models: SHA-256 mismatch in $pkg; nothing installed" >&2
	exit 1
fi
mkdir -p "$dir/demo"
cp "$tmp/out"/*.bin "$tmp/out"/*.json "$dir/"
cp "$tmp/out"/demo/*.jpg "$dir/demo/"
echo "models: installed into $dir" >&2
