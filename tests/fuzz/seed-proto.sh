#!/bin/sh
#
# Writes seeds for build/fuzz/fuzz-proto into OUTDIR: one line each (no
# newline), requests for several commands, replies, events, and broken
# lines. No models are needed; MODELS_DIR is accepted like the other seed
# scripts.
#
#   tests/fuzz/seed-proto.sh OUTDIR MODELS_DIR

set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 OUTDIR MODELS_DIR" >&2
	exit 1
fi
out=$1
mkdir -p "$out"
n=0

seed() {
	n=$((n + 1))
	printf '%s' "$1" >"$out/seed-$n"
}

# Requests.
seed '{"id":0,"cmd":"hello","args":{"version":1,"client":"gatehouse 0.1"}}'
seed '{"id":1,"cmd":"status"}'
seed '{"id":2,"cmd":"approve","args":{"visit":17,"name":"Ann","email":"a@b.c","valid_for":"2h","enroll":true}}'
seed '{"id":3,"cmd":"deny","args":{"visit":4,"deny_list":true}}'
seed '{"id":4,"cmd":"people add","args":{"name":"B\u00e9","photos":["/srv/a.jpg","base64:/9j/4AAQ"]}}'
seed '{"id":5,"cmd":"events","args":{"follow":true,"since":"1h"}}'
seed '{"id":6,"cmd":"pass revoke","args":{"pass":"9f86d081884c7d659a2feaa0c55ad015"}}'
seed '{"id":7,"cmd":"door open","args":{"reason":"delivery"}}'
seed '{"id":8,"cmd":"people forget","args":{"person":"12"}}'
# Replies and events.
seed '{"id":0,"ok":true,"result":{"version":1,"agent":"gatehouse-agent 0.1","role":"guard","door":"front"}}'
seed '{"id":2,"ok":false,"error":{"code":"not-found","message":"no visit 17"}}'
seed '{"ok":false,"error":{"code":"bad-request","message":"not JSON"}}'
seed '{"type":"granted","time":1714554000123,"door":"front","person":"Ann","score":0.31}'
seed '{"type":"pending","time":1,"door":"front","person":null,"visit":9,"photo":"/9j/"}'
# Broken.
seed '{"id":9,"cmd":"status","cmd":"status"}'
seed '{"id":9,"cmd":"status"} trailing'
seed '{"id":1.5,"cmd":"fly","args":[]}'
seed '{"id":9,"cmd":"status","args":{"a":[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}}'
seed '{"id":9,"cmd":"people add","args":{"name":"\ud800","photos":[]}}'
printf '{"id":9,"cmd":"people add","args":{"name":"\377","photos":["/a"]}}' \
    >"$out/utf8"
seed ''
