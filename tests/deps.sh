#!/bin/sh
# Installs the Debian packages that building, testing and benchmarking
# Gatehouse need; skips what is installed. Uses sudo when not root.
set -eu

pkgs="make gcc clang pkg-config libclang-rt-14-dev ca-certificates python3
libturbojpeg0-dev libpng-dev libcjson-dev libssl-dev libsqlite3-dev sqlite3
libespeak-ng-dev espeak-ng-data portaudio19-dev libasound2-dev
libgpiod-dev libcurl4-openssl-dev libxnnpack-dev libpthreadpool-dev
libcpuinfo-dev libzbar-dev libncurses-dev libcaca-dev libqrencode-dev
libssh-dev tmux zbar-tools openssh-server openssh-client python3-aiosmtpd"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
	    missing="$missing $p"
done
# Node and npm fetch the models; a machine may carry its own Node build.
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
echo "deps: installing$missing" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
