#!/bin/sh
#
# Writes seeds for build/fuzz/fuzz-decide into OUTDIR: the default
# parameters (face, 3/5, 0.5, 0.05, 0.6) with a granted, a deny-listed, an
# unknown and a gray track, and a track for each other policy with its pass
# or PIN. Layout in tests/fuzz/fuzz-decide.c. MODELS_DIR is not used; the
# argument is there for smoke.sh.
#
#   tests/fuzz/seed-decide.sh OUTDIR MODELS_DIR

set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 OUTDIR MODELS_DIR" >&2
	exit 1
fi
out=$1
mkdir -p "$out"

# Parameters: policy|flags, K, N, match 0.5 (64), margin 0.05 (13),
# unknown 0.6 (77). Inputs: op|quality(8)|deny(16)|liveness(32 passed,
# 64 failed), identities, distance, second distance (in 1/128).
face='\000\003\005\100\015\115'
vote_a='\010\011\046\131'		# gated, A 0.3, B 0.7
vote_b='\010\006\046\131'		# gated, B 0.3, A 0.7
gray='\010\011\106\146'			# A 0.55
unknown='\010\011\140\150'		# A 0.75
deny='\030\013\046\131'			# deny-listed 3 at 0.3
live_a='\050\011\046\131'		# vote A, liveness passed
dead_a='\110\011\046\131'		# vote A, liveness failed
end='\006\000\000\000'
pass_a='\004\001\000\000'
pass_v='\004\000\000\000'
pin_a='\005\001\000\000'

seed() {
	name=$1
	shift
	printf "$@" >"$out/$name"
}

seed granted "$face$vote_a$vote_a$vote_a$end"
seed deny-after-votes "$face$vote_a$vote_a$deny$vote_a$end"
seed unknown "$face$unknown$unknown$unknown$unknown$unknown$end"
seed gray "$face$gray$gray$gray$gray$gray$end"
seed conflict "$face$vote_a$vote_b$vote_a$vote_a$vote_a$end"
seed liveness "$face$vote_a$dead_a$vote_a$vote_a$end"
seed required '\020\003\005\100\015\115'"$vote_a$live_a$vote_a$end"
seed face-pin '\001\003\005\100\015\115'"$vote_a$vote_a$vote_a$pin_a$end"
seed qr '\002\003\005\100\015\115'"$pass_v$end"
seed qr-face '\003\003\005\100\015\115'"$pass_a$vote_a$vote_a$vote_a$end"
seed pin-refused '\004\003\005\100\015\115'"$pin_a$end"
seed pin-allowed '\014\003\005\100\015\115'"$pin_a$end"
