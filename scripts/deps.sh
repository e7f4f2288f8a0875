#!/usr/bin/env bash
# Install the Debian packages pvtrace needs to build, test and run its guests.
# Idempotent: installs only what is missing.
# Usage: scripts/deps.sh [--build | --fast | --run-guest | --no-guest]
#   --build      only what building pvtrace needs (the demo on a host with /dev/kvm)
#   --fast       building plus the fast lane (scripts/fast-lane.sh): clang-format, cppcheck,
#                ShellCheck, libFuzzer's runtime
#   --run-guest  building plus booting the qemu guest (the demo without /dev/kvm)
#   --no-guest   everything but the guest packages; default: everything
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

BUILD_PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libjson-c-dev libcap-dev pkg-config linux-libc-dev help2man libsqlite3-dev libpq-dev"
# the fast lane: style, static analysis, the fuzz target (clang -fsanitize=fuzzer needs
# libclang-rt-14-dev, which clang only recommends); unit tests need cmocka
FAST_PKGS="clang-format cppcheck shellcheck libclang-rt-14-dev libcmocka-dev"
TEST_PKGS="$FAST_PKGS bats jq prometheus prometheus-node-exporter bpftrace util-linux procps curl bash-completion man-db systemd python3-jsonschema sqlite3 postgresql libnss-wrapper chromium chromium-driver python3-selenium"
GUEST_PKGS=$(sed -n 's/^GUEST_DEB_PACKAGES="\(.*\)"/\1/p' "$here/guest.sh")

case ${1:-} in
--build) pkgs=$BUILD_PKGS ;;
--fast) pkgs="$BUILD_PKGS $FAST_PKGS" ;;
--run-guest) pkgs="$BUILD_PKGS $GUEST_PKGS" ;;
--no-guest) pkgs="$BUILD_PKGS $TEST_PKGS" ;;
"") pkgs="$BUILD_PKGS $TEST_PKGS $GUEST_PKGS" ;;
*)
	echo "deps: unknown argument '$1' (--build, --fast, --run-guest, --no-guest)" >&2
	exit 2
	;;
esac

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
