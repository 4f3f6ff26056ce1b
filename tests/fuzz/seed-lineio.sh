#!/bin/sh
#
# Writes seeds for build/fuzz/fuzz-lineio into OUTDIR. Each seed is a limit
# byte (limit = 1 + byte % 64), a chunk-seed byte, then the stream. No
# models are needed; MODELS_DIR is accepted like the other seed scripts.
#
#   tests/fuzz/seed-lineio.sh OUTDIR MODELS_DIR

set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 OUTDIR MODELS_DIR" >&2
	exit 1
fi
out=$1
mkdir -p "$out"

# Control-protocol requests, limit 64 (byte 63), one oversized.
printf '\077\001{"id":1,"cmd":"hello","version":1}\n' >"$out/hello"
printf '{"id":2,"cmd":"status"}\r\n{"id":3,"cmd":"list",' >>"$out/hello"
printf '"args":["a very long argument that is over the limit"]}\n' \
    >>"$out/hello"
printf '{"id":4,"cmd":"open"}\n' >>"$out/hello"

# Limit 16 (byte 15): exactly 16, 16 with \r, 17, and a partial line.
printf '\017\007%s\n%s\r\n%s\nok\npartial' 0123456789abcdef \
    0123456789abcdef 0123456789abcdefg >"$out/limit"

# A NUL inside a line, empty lines, lone \r, limit 8 (byte 7).
printf '\007\100ab\000cd\n\n\r\n\r\rx\n\000\nlast\n' >"$out/nul"

# A long line with no newline at all, limit 4 (byte 3).
{
	printf '\003\377'
	i=0
	while [ $i -lt 200 ]; do
		printf 'xxxxxxxxxx'
		i=$((i + 1))
	done
	printf '\nend\n'
} >"$out/long"
