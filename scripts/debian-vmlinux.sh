#!/usr/bin/env bash
# Print the path of the vmlinux of a Debian kernel, from its -dbg package, downloading
# and extracting it once into a cache. Only the vmlinux is kept: the .deb is removed
# after extraction.
#
#   scripts/debian-vmlinux.sh RELEASE|PACKAGE
#
# RELEASE is a kernel series such as 6.1 or 6.12: the newest linux-image-RELEASE*-FLAVOUR-dbg
# package apt knows (FLAVOUR from PVTRACE_DEBIAN_FLAVOUR, default cloud-amd64, the smallest
# download). PACKAGE is a full name such as linux-image-6.1.0-57-cloud-amd64-dbg; apt's
# candidate version is used. The file is
#   ${PVTRACE_VMLINUX_CACHE:-/var/cache/pvtrace/vmlinux}/PACKAGE_VERSION/vmlinux-KERNELRELEASE
# and is reused when present. Progress and timings go to stderr, the path to stdout.
# Exit status: 0 path printed, 1 download or extraction failed, 2 usage.
set -euo pipefail

cache=${PVTRACE_VMLINUX_CACHE:-/var/cache/pvtrace/vmlinux}
flavour=${PVTRACE_DEBIAN_FLAVOUR:-cloud-amd64}

die() {
	echo "debian-vmlinux: $*" >&2
	exit "${rc:-1}"
}

if [ $# -ne 1 ] || [ -z "$1" ]; then
	rc=2 die "usage: $0 RELEASE|PACKAGE (6.1, 6.12, linux-image-6.1.0-57-cloud-amd64-dbg)"
fi
for c in apt-get apt-cache dpkg-deb flock; do
	command -v "$c" >/dev/null || die "needs $c (a Debian system)"
done

# apt's lists may be missing (a fresh container) or stale (the mirror drops superseded
# versions): refresh them once, as root
refreshed=0
refresh() {
	[ "$refreshed" = 0 ] && [ "$(id -u)" = 0 ] || return 1
	refreshed=1
	echo "debian-vmlinux: apt-get update" >&2
	apt-get update -qq >/dev/null 2>&1
}

# newest package of a series: 6.1 -> linux-image-6.1.0-NN-FLAVOUR-dbg,
# 6.12 -> linux-image-6.12.NN+debNN-FLAVOUR-dbg
resolve() {
	local re=${1//./\\.}
	apt-cache pkgnames "linux-image-$1" |
		grep -E "^linux-image-${re}[.-][0-9][^-]*(-[0-9]+)?-${flavour}-dbg\$" | sort -V | tail -n 1 || true
}

case $1 in
linux-image-*-dbg) pkg=$1 ;;
[0-9]*.[0-9]*)
	[[ $1 =~ ^[0-9]+\.[0-9]+$ ]] || rc=2 die "bad release '$1' (want MAJOR.MINOR such as 6.1)"
	pkg=$(resolve "$1")
	[ -n "$pkg" ] || ! refresh || pkg=$(resolve "$1")
	[ -n "$pkg" ] || die "apt knows no linux-image-$1*-$flavour-dbg package (apt-get update? bookworm-backports for newer series)"
	;;
*) rc=2 die "bad argument '$1' (want a release such as 6.12 or a linux-image-*-dbg package)" ;;
esac
[[ $pkg =~ ^[a-z0-9][a-z0-9.+-]*$ ]] || rc=2 die "bad package name '$pkg'"
candidate() { apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n "s/^$1: //p" | head -n 1 || true; }
version=$(candidate Version)
[ -n "$version" ] || ! refresh || version=$(candidate Version)
[ -n "$version" ] || die "apt has no candidate version of $pkg (apt-get update?)"
krel=${pkg#linux-image-}
krel=${krel%-dbg}
member=./usr/lib/debug/boot/vmlinux-$krel
dir=$cache/${pkg}_$version
out=$dir/vmlinux-$krel

if [ -s "$out" ]; then
	echo "debian-vmlinux: cached $out" >&2
	echo "$out"
	exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # one download at a time; another caller may have finished it meanwhile
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi
size=$(candidate Size)
tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# apt's sandbox user must be able to write the download directory
chown _apt "$tmp" 2>/dev/null || true
echo "debian-vmlinux: downloading $pkg $version ($((${size:-0} / 1000000)) MB)" >&2
t0=$(date +%s.%N)
download() { (cd "$tmp" && apt-get download -q "$pkg=$version" >"$tmp/apt.log" 2>&1); }
if ! download; then
	if refresh; then
		version=$(candidate Version)
		dir=$cache/${pkg}_$version
		out=$dir/vmlinux-$krel
	fi
	download || die "apt-get download $pkg=$version failed: $(grep -E '^(E|Err|W):' "$tmp/apt.log" | head -n 1)"
fi
deb=$(find "$tmp" -maxdepth 1 -name '*.deb' | head -n 1)
[ -n "$deb" ] || die "apt-get download $pkg left no .deb"
t1=$(date +%s.%N)
# GNU tar stops reading at the first match with --occurrence (dpkg-deb then gets
# SIGPIPE: only tar's status counts)
set +o pipefail
dpkg-deb --fsys-tarfile "$deb" 2>/dev/null | tar -x -O --occurrence=1 -f - "$member" >"$tmp/vmlinux" ||
	die "$deb: no $member in the package"
set -o pipefail
[ "$(head -c 4 "$tmp/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] ||
	die "$deb: $member is not an ELF file"
t2=$(date +%s.%N)
mkdir -p "$dir"
mv "$tmp/vmlinux" "$out"
awk -v f="$out" -v a="$t0" -v b="$t1" -v c="$t2" -v n="$(stat -c %s "$out")" 'BEGIN {
	printf "debian-vmlinux: %s: download %.1f s, extract %.1f s, %d MB vmlinux\n", f, b - a, c - b, n / 1e6 }' >&2
echo "$out"
