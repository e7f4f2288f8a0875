#!/usr/bin/env bash
# Install the Debian packages pvtrace needs to build, test and run its guests.
# Idempotent: installs only what is missing. Usage: scripts/deps.sh [--no-guest]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

BUILD_PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libjson-c-dev libcap-dev pkg-config linux-libc-dev"
TEST_PKGS="bats jq libcmocka-dev prometheus prometheus-node-exporter bpftrace util-linux procps curl"
GUEST_PKGS=$(sed -n 's/^GUEST_DEB_PACKAGES="\(.*\)"/\1/p' "$here/guest.sh")

pkgs="$BUILD_PKGS $TEST_PKGS"
[ "${1:-}" = --no-guest ] || pkgs="$pkgs $GUEST_PKGS"

missing=()
for p in $pkgs; do
	dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	sudo_cmd=()
	[ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
	"${sudo_cmd[@]}" apt-get update -qq
	"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "deps: all present"
