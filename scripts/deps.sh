#!/usr/bin/env bash
# Install the Debian packages pvtrace needs to build, test and run its guests.
# Idempotent: installs only what is missing.
# Usage: scripts/deps.sh [--build | --fast | --run-guest | --no-guest | --cross ARCH]
#   --build      only what building pvtrace needs (the demo on a host with /dev/kvm)
#   --fast       building plus the fast lane (scripts/fast-lane.sh): clang-format, cppcheck,
#                ShellCheck, libFuzzer's runtime
#   --run-guest  building plus booting the qemu guest (the demo without /dev/kvm)
#   --no-guest   everything but the guest packages; default: everything
#   --cross arm64  building plus cross-building for arm64 (make ARCH=arm64) and booting it
#                under qemu-system-aarch64: Debian's cross compiler and the arm64 -dev
#                packages through multiarch (adds the dpkg architecture), and the shared
#                libraries of the arm64 QEMU that the vmm-save suite runs in the arm64 guest
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

BUILD_PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libjson-c-dev libcap-dev pkg-config linux-libc-dev help2man libsqlite3-dev libpq-dev"
# the fast lane: style, static analysis, the fuzz target (clang -fsanitize=fuzzer needs
# libclang-rt-14-dev, which clang only recommends); unit tests need cmocka
FAST_PKGS="clang-format cppcheck shellcheck libclang-rt-14-dev libcmocka-dev"
TEST_PKGS="$FAST_PKGS bats jq prometheus prometheus-node-exporter bpftrace util-linux procps curl bash-completion man-db systemd python3-jsonschema sqlite3 postgresql libnss-wrapper chromium chromium-driver python3-selenium python3-numpy python3-scipy python3-junitparser python3-pil"
# the shared libraries of the arm64 QEMU that guest.sh --with-qemu fetches (Multi-Arch: same)
QEMU_ARM64_LIBS=$(sed -n 's/^GUEST_ARM64_QEMU_LIBS="\(.*\)"/\1/p' "$here/guest.sh")
# libpq-dev cannot be installed beside the host's (not Multi-Arch: same): the Makefile takes
# libpq5's library and the host's headers
CROSS_ARM64_PKGS="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm libc6-dev:arm64 libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 libjson-c-dev:arm64 libcap-dev:arm64 libsqlite3-dev:arm64 libpq5:arm64 libcmocka-dev:arm64 libtinfo6:arm64 libjq1:arm64 libonig5:arm64 libcap-ng0:arm64"
GUEST_PKGS=$(sed -n 's/^GUEST_DEB_PACKAGES="\(.*\)"/\1/p' "$here/guest.sh")

case ${1:-} in
--build) pkgs=$BUILD_PKGS ;;
--fast) pkgs="$BUILD_PKGS $FAST_PKGS" ;;
--run-guest) pkgs="$BUILD_PKGS $GUEST_PKGS" ;;
--no-guest) pkgs="$BUILD_PKGS $TEST_PKGS" ;;
--cross)
	case ${2:-} in
	# and the arm64 QEMU's libraries (guest.sh --with-qemu, the vmm-save suite); not in the
	# default set: Multi-Arch: same makes apt upgrade their amd64 twins to the same version
	arm64) pkgs="$BUILD_PKGS $CROSS_ARM64_PKGS $QEMU_ARM64_LIBS" ;;
	*)
		echo "deps: --cross takes arm64" >&2
		exit 2
		;;
	esac
	;;
"") pkgs="$BUILD_PKGS $TEST_PKGS $GUEST_PKGS $CROSS_ARM64_PKGS" ;;
*)
	echo "deps: unknown argument '$1' (--build, --fast, --run-guest, --no-guest)" >&2
	exit 2
	;;
esac

native=$(dpkg --print-architecture)
missing=()
for p in $pkgs; do
	# a name without :ARCH is the native (or an all) package, whatever other architectures have
	case $p in
	*:*) want="${p##*:} installed" ;;
	*) want="($native|all) installed" ;;
	esac
	dpkg-query -W -f='${Architecture} ${db:Status-Status}\n' "$p" 2>/dev/null | grep -qxE "$want" ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	sudo_cmd=()
	[ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
	# foreign-architecture packages need their architecture in dpkg before apt's update
	for a in $(printf '%s\n' "${missing[@]}" | sed -n 's/.*:\([a-z0-9]*\)$/\1/p' | sort -u); do
		dpkg --print-foreign-architectures | grep -qx "$a" ||
			"${sudo_cmd[@]}" dpkg --add-architecture "$a"
	done
	"${sudo_cmd[@]}" apt-get update -qq
	"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "deps: all present"
