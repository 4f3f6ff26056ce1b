#!/bin/sh
#
# Writes seeds for build/fuzz/fuzz-config into OUTDIR: the sample
# etc/gatehouse.conf as it is (all comments) and uncommented, a file that
# sets every keyword to something other than its default, one per kind of
# camera and door, and a few broken files (each refused for one reason).
# MODELS_DIR is not used; the argument is there for smoke.sh.
#
#   tests/fuzz/seed-config.sh OUTDIR MODELS_DIR

set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 OUTDIR MODELS_DIR" >&2
	exit 1
fi
out=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
sample=$top/etc/gatehouse.conf
mkdir -p "$out"

cp "$sample" "$out/sample"
sed -n 's/^#\([a-z][a-z_]* \)/\1/p' "$sample" >"$out/sample-uncommented"

cat >"$out/everything" <<'CONF'
# every keyword, none at its default
data_dir "/srv/gate house"
control_socket /tmp/g.sock
models_dir /opt/models
camera v4l2:/dev/video2,1280x720@25
camera_fps 0.5
camera_loop yes
door gpiod:gpiochip0:17,active_low,contact=27,exit=22
door_pulse 1500ms
door_max_pulse 1m
voice wav:/tmp/voice
policy pin
allow_pin_only yes
match_threshold 0.45
match_margin 1e-2
unknown_threshold 0.65
match_votes 4/7
unknown_merge_window 0s
pending_expire 36h
detector ssd
detector_input_size 608
min_score 0.7
inference_threads 4
max_pixels 1000000
viewer_users "alice, @staff"
guard_users 1000,bob
admin_users ""
retain_events 3650d
retain_photos 7d
retain_pending 90d
log_level debug
CONF

printf 'camera https://cam.example/mjpg\r\ncamera_loop no\r\n' >"$out/crlf"
printf 'camera file:/var/lib/gatehouse/camera\ncamera_loop yes\n' \
    >"$out/file-camera"
printf 'door sim:/tmp/door\nvoice portaudio\npolicy qr+face' \
    >"$out/no-newline"
printf '\tdoor_pulse\t5s  \n  # indented\n\npolicy face+pin\n' \
    >"$out/blanks"

# Broken: one reason each.
printf 'door_pulse 20s\n' >"$out/bad-cross"
printf 'policy pin\n' >"$out/bad-pin"
printf 'door_pulse 3s\ndoor_pulse 4s\n' >"$out/bad-duplicate"
printf 'data_dir "/unterminated\n' >"$out/bad-quote"
printf 'retain_events 106751991167301d\n' >"$out/bad-overflow"
printf '# \377\n' >"$out/bad-utf8"
printf 'camera v4l2:/dev/video0,16384x16384@30\n' >"$out/bad-pixels"
