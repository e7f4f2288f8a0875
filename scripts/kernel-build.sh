#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the pvtrace test kernel: Debian's linux-source-6.12 plus the KVM
# ONE_REG/MANY_REGS series in kernel-patches/, configured for qemu TCG
# (tinyconfig + KVM/BPF/ftrace/9p, see shared notes "Building a test kernel"),
# and the series' KVM selftest.
#
# Usage: scripts/kernel-build.sh [--arch x86|arm64] [--base] [--no-selftest] [--force-config] [-j N]
#   --arch   x86 (default, native) or arm64: cross-compiled with Debian's
#            aarch64-linux-gnu toolchain from the same tree, an Image for
#            qemu-system-aarch64 -M virt (scripts/guest.sh --arch arm64)
#   --base   also the series' base (x86): the same source and configuration without
#            the patches, for kernel CI to compare the series against exactly what it
#            changes. Built in build-x86/ itself with the tree at pvtrace-base (only
#            what the series touches is rebuilt), its bzImage and .config kept in
#            build-x86-base/; then the tree goes back to the series and build-x86/ is
#            brought up to date again (incremental both ways, not a second full build)
#
# Environment:
#   PVTRACE_KBUILD       work directory (default ${XDG_CACHE_HOME:-~/.cache}/pvtrace/kbuild,
#                        scripts/kbuild-dir.sh)
#   PVTRACE_KERNEL_JOBS  parallel make jobs (default 2; the machine is shared)
#
# Layout under $PVTRACE_KBUILD:
#   linux-6.12/        git tree: one commit with the Debian source (tag
#                      pvtrace-base), then the series applied with git am
#   build-x86/         out-of-tree kernel build (O=), headers in usr/include
#   build-arm64/       --arch arm64: the same for arm64 (selftests-arm64/ its selftest)
#   selftests/         KVM selftest build output
#   build-x86-base/    --base: the base's bzImage and .config (stamp .pvtrace-base)
#
# Idempotent and incremental: when the series and the configuration are
# unchanged, nothing is re-applied and make only rebuilds what changed.
# A changed series is re-applied from the base commit; a changed base
# (different linux-source-6.12 version) re-imports the source and wipes the
# build directory.
#
# Prints the paths of bzImage, vmlinux and the selftest binary at the end
# (also as KEY=VALUE lines for scripts).

set -euo pipefail

PINNED_VERSION="6.12.117-1~deb12u1"
# the series' generic selftest (tools/testing/selftests/kvm/), for x86_64 and aarch64
SELFTEST=many_regs_test
GIT_NAME="pvtrace developers"
GIT_EMAIL="dev@pvtrace.example"

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PATCHDIR=$REPO/kernel-patches
KB=$("$REPO/scripts/kbuild-dir.sh")
JOBS=${PVTRACE_KERNEL_JOBS:-2}
SRC=$KB/linux-6.12
DO_SELFTEST=1
FORCE_CONFIG=0
BASE=0
ARCH=x86

log() { printf '[kernel-build] %s\n' "$*" >&2; }
warn() { printf '[kernel-build] WARNING: %s\n' "$*" >&2; }
die() { printf '[kernel-build] ERROR: %s\n' "$*" >&2; exit 1; }
# set -e never exits without saying where
# shellcheck disable=SC2317 # reached through the ERR trap
on_err() { # LINE: status of the failed command in $?
	local rc=$?
	printf "[kernel-build] ERROR: line %s: %s (status %s)\n" "$1" "$BASH_COMMAND" "$rc" >&2
}
trap 'on_err "$LINENO"' ERR

while [ $# -gt 0 ]; do
	case $1 in
	--no-selftest) DO_SELFTEST=0 ;;
	--base) BASE=1 ;;
	--force-config) FORCE_CONFIG=1 ;;
	--arch) shift; ARCH=${1:-} ;;
	--arch=*) ARCH=${1#--arch=} ;;
	-j) shift; JOBS=$1 ;;
	-j*) JOBS=${1#-j} ;;
	-h|--help) sed -n '3,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
# per architecture: make's ARCH and CROSS_COMPILE, the image, the selftest
case $ARCH in
x86)
	KMAKE=()
	IMAGE=bzImage
	IMAGE_PATH=arch/x86/boot/bzImage
	OUT=$KB/build-x86
	STOUT=$KB/selftests
	;;
arm64)
	KMAKE=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
	IMAGE=Image
	IMAGE_PATH=arch/arm64/boot/Image
	OUT=$KB/build-arm64
	STOUT=$KB/selftests-arm64
	;;
*) die "--arch: x86 or arm64, not '$ARCH'" ;;
esac
[ $BASE = 0 ] || [ "$ARCH" = x86 ] || die "--base: x86 only"

# BEGIN CONFIG (also sourced by developer helpers; keep self-contained)
# Options on top of tinyconfig.  "y" options must read back as =y after
# olddefconfig, otherwise the build stops (a dependency is missing).
PVTRACE_CONFIG_Y="
64BIT SMP PRINTK BUG TTY SERIAL_8250 SERIAL_8250_CONSOLE EARLY_PRINTK
BLK_DEV_INITRD RD_GZIP DEVTMPFS DEVTMPFS_MOUNT BINFMT_ELF BINFMT_SCRIPT
DEVMEM DEVPORT UNIX98_PTYS CGROUPS
PROC_FS PROC_KCORE PROC_SYSCTL SYSFS SHMEM TMPFS MULTIUSER FUTEX EPOLL SIGNALFD
TIMERFD EVENTFD POSIX_TIMERS FILE_LOCKING FHANDLE INOTIFY_USER SYSVIPC
ADVISE_SYSCALLS MEMBARRIER RSEQ AIO HIGH_RES_TIMERS
ACPI PCI PCI_MSI
NET UNIX INET PACKET
NETWORK_FILESYSTEMS NET_9P NET_9P_VIRTIO 9P_FS
VIRTIO_MENU VIRTIO VIRTIO_PCI
JUMP_LABEL DEBUG_FS HYPERVISOR_GUEST PARAVIRT KVM_GUEST
MODULES MODULE_UNLOAD
VIRTUALIZATION KVM KVM_AMD KVM_INTEL
BPF_SYSCALL BPF_JIT BPF_EVENTS
DEBUG_KERNEL DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT DEBUG_INFO_BTF
KALLSYMS KALLSYMS_ALL
FTRACE FUNCTION_TRACER DYNAMIC_FTRACE FTRACE_SYSCALLS KPROBES KPROBE_EVENTS
UPROBES UPROBE_EVENTS FPROBE PERF_EVENTS UNWINDER_ORC
CC_OPTIMIZE_FOR_PERFORMANCE
IOMMU_SUPPORT VFIO VFIO_PCI VFIO_NOIOMMU
NETDEVICES NET_CORE TUN VSOCKETS
VHOST_MENU VHOST_NET VHOST_VSOCK RUNTIME_TESTING_MENU VDPA VDPA_SIM VDPA_SIM_NET VHOST_VDPA
"
PVTRACE_CONFIG_N="
DEBUG_INFO_NONE CC_OPTIMIZE_FOR_SIZE DEBUG_INFO_REDUCED DEBUG_INFO_SPLIT
UNWINDER_FRAME_POINTER UNWINDER_GUESS MODULE_SIG WERROR
"
# arm64, for qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max: the
# PL011 console, PCIe (ECAM) with virtio-pci for 9p, a virtio console for the control
# lines, KVM with SVE and the PMU as Debian's arm64 kernel has them (no FPROBE: it needs
# DYNAMIC_FTRACE_WITH_REGS, which arm64 does not have)
PVTRACE_CONFIG_ARM64_Y="
SMP PRINTK BUG TTY SERIAL_AMBA_PL011 SERIAL_AMBA_PL011_CONSOLE
BLK_DEV_INITRD RD_GZIP DEVTMPFS DEVTMPFS_MOUNT BINFMT_ELF BINFMT_SCRIPT
DEVMEM UNIX98_PTYS CGROUPS
PROC_FS PROC_KCORE PROC_SYSCTL SYSFS SHMEM TMPFS MULTIUSER FUTEX EPOLL SIGNALFD
TIMERFD EVENTFD POSIX_TIMERS FILE_LOCKING FHANDLE INOTIFY_USER SYSVIPC
ADVISE_SYSCALLS MEMBARRIER RSEQ AIO HIGH_RES_TIMERS
PCI PCI_MSI PCI_HOST_GENERIC
NET UNIX INET
NETWORK_FILESYSTEMS NET_9P NET_9P_VIRTIO 9P_FS
VIRTIO_MENU VIRTIO VIRTIO_PCI VIRTIO_CONSOLE
JUMP_LABEL DEBUG_FS
MODULES MODULE_UNLOAD
VIRTUALIZATION KVM ARM64_SVE PERF_EVENTS HW_PERF_EVENTS ARM_PMU ARM_PMUV3
BPF_SYSCALL BPF_JIT BPF_EVENTS
DEBUG_KERNEL DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT DEBUG_INFO_BTF
KALLSYMS KALLSYMS_ALL
FTRACE FUNCTION_TRACER DYNAMIC_FTRACE FTRACE_SYSCALLS KPROBES KPROBE_EVENTS
UPROBES UPROBE_EVENTS
CC_OPTIMIZE_FOR_PERFORMANCE
"
PVTRACE_CONFIG_ARM64_N="
DEBUG_INFO_NONE CC_OPTIMIZE_FOR_SIZE DEBUG_INFO_REDUCED DEBUG_INFO_SPLIT
MODULE_SIG WERROR
"

# pvtrace_config_lists ARCH: sets PVTRACE_CONFIG_Y / _N to that architecture's lists
pvtrace_config_lists() {
	if [ "$1" = arm64 ]; then
		PVTRACE_CONFIG_Y=$PVTRACE_CONFIG_ARM64_Y
		PVTRACE_CONFIG_N=$PVTRACE_CONFIG_ARM64_N
	fi
}

pvtrace_apply_config() {
	local cfg=$1 o args=()

	for o in $PVTRACE_CONFIG_Y; do
		args+=(--enable "$o")
	done
	for o in $PVTRACE_CONFIG_N; do
		args+=(--disable "$o")
	done
	scripts/config --file "$cfg" "${args[@]}"
}

pvtrace_check_config() {
	local cfg=$1 o bad=0

	for o in $PVTRACE_CONFIG_Y; do
		if ! grep -qx "CONFIG_$o=y" "$cfg"; then
			printf 'config: CONFIG_%s is not =y\n' "$o" >&2
			bad=1
		fi
	done
	for o in $PVTRACE_CONFIG_N; do
		if grep -qx "CONFIG_$o=y" "$cfg"; then
			printf 'config: CONFIG_%s is still =y\n' "$o" >&2
			bad=1
		fi
	done
	return $bad
}
# END CONFIG

pvtrace_config_lists "$ARCH"

# --- 1. packages -----------------------------------------------------------
need_pkgs=(build-essential flex bison bc libssl-dev libelf-dev dwarves
	   python3 python3-ply python3-git rsync cpio xz-utils git kmod)
[ "$ARCH" != arm64 ] || need_pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)

missing=()
for p in "${need_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

# dpkg-query fails for a package it has never seen: not installed
src_installed=$( (dpkg-query -W -f='${Status} ${Version}' linux-source-6.12 2>/dev/null || :) |
		sed -n 's/^install ok installed //p')
if [ "$src_installed" != "$PINNED_VERSION" ]; then
	if [ ${#missing[@]} -gt 0 ] || [ -z "$src_installed" ]; then
		log "apt-get update"
		apt-get update -qq || warn "apt-get update failed, using cached lists"
	fi
	if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		"linux-source-6.12=$PINNED_VERSION" >&2; then
		src_installed=$PINNED_VERSION
	else
		warn "linux-source-6.12=$PINNED_VERSION is not installable;" \
		     "falling back to the current candidate (the series may not apply)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-source-6.12 >&2 ||
			die "cannot install linux-source-6.12"
		src_installed=$(dpkg-query -W -f='${Version}' linux-source-6.12)
		warn "using linux-source-6.12 $src_installed instead of $PINNED_VERSION"
	fi
fi
if [ ${#missing[@]} -gt 0 ]; then
	log "installing: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 ||
		die "apt-get install ${missing[*]} failed"
fi
# The test binary is linked statically: check the static libc is there.
if [ "$ARCH" = arm64 ]; then
	[ -e /usr/aarch64-linux-gnu/lib/libc.a ] || die "arm64 libc.a missing (libc6-dev-arm64-cross)"
else
	[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || die "libc.a missing (libc6-dev)"
fi

TARBALL=/usr/src/linux-source-6.12.tar.xz
[ -f "$TARBALL" ] || die "$TARBALL not found"

gitc() { git -C "$SRC" -c user.name="$GIT_NAME" -c user.email="$GIT_EMAIL" "$@"; }

# --- 2. base import ---------------------------------------------------------
mkdir -p "$KB"
base_stamp=$KB/.linux-6.12.base
if [ ! -d "$SRC/.git" ] || ! gitc rev-parse -q --verify pvtrace-base >/dev/null ||
   [ "$(cat "$base_stamp" 2>/dev/null)" != "$src_installed" ]; then
	log "importing linux-source-6.12 $src_installed into $SRC"
	rm -rf "$SRC" "$SRC.tmp" "$KB"/build-x86* "$KB"/build-arm64* "$KB"/selftests* \
		"$KB/linux-6.12-base"
	mkdir -p "$SRC.tmp"
	tar -C "$SRC.tmp" -xf "$TARBALL"
	mv "$SRC.tmp/linux-source-6.12" "$SRC"
	rmdir "$SRC.tmp"
	gitc init -q
	# Debian's top-level .gitignore ignores everything ("/*"): force-add.
	gitc add -f -A .
	gitc commit -q -m "Import Debian linux-source-6.12 $src_installed" \
		-m "Unmodified contents of /usr/src/linux-source-6.12.tar.xz."
	gitc tag -f pvtrace-base >/dev/null
	echo "$src_installed" > "$base_stamp"
fi

# --- 3. the series -----------------------------------------------------------
# (an earlier layout kept the base in a worktree with a full build of its own)
if [ -d "$KB/linux-6.12-base" ]; then
	rm -rf "$KB/linux-6.12-base"
	gitc worktree prune
fi
[ -f "$PATCHDIR/series" ] || die "$PATCHDIR/series not found"
mapfile -t patches < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$PATCHDIR/series")
[ ${#patches[@]} -gt 0 ] || die "empty series"
series_sum=$( (cd "$PATCHDIR" && cat series "${patches[@]}") | sha256sum | cut -d' ' -f1)
series_stamp=$KB/linux-6.12/.git/pvtrace-series
head=$(gitc rev-parse HEAD)
if [ "$(cat "$series_stamp" 2>/dev/null)" != "$series_sum $head" ]; then
	log "applying ${#patches[@]} patches from $PATCHDIR"
	if [ -d "$SRC/.git/rebase-apply" ]; then gitc am --abort || true; fi
	gitc reset -q --hard pvtrace-base
	for p in "${patches[@]}"; do
		if ! gitc am -q "$PATCHDIR/$p"; then
			gitc am --abort || true
			die "patch $p does not apply to linux-source-6.12 $src_installed"
		fi
		log "  applied $p"
	done
	echo "$series_sum $(gitc rev-parse HEAD)" > "$series_stamp"
else
	log "series unchanged (HEAD $(gitc log -1 --format=%h))"
fi

# --- 4. configuration ------------------------------------------------------
mkdir -p "$OUT"
cfg_sum=$( (echo "$ARCH"; sed -n '/^# BEGIN CONFIG/,/^# END CONFIG/p' "$0") | sha256sum |
	cut -d' ' -f1)
cfg_stamp=$OUT/.pvtrace-config
if [ $FORCE_CONFIG = 1 ] || [ ! -f "$OUT/.config" ] ||
   [ "$(cat "$cfg_stamp" 2>/dev/null)" != "$cfg_sum" ]; then
	log "configuring $OUT (tinyconfig + pvtrace options, $ARCH)"
	(
		cd "$SRC"
		make -s "${KMAKE[@]}" O="$OUT" tinyconfig >/dev/null
		pvtrace_apply_config "$OUT/.config"
		make -s "${KMAKE[@]}" O="$OUT" olddefconfig >/dev/null
		make -s "${KMAKE[@]}" O="$OUT" olddefconfig >/dev/null
	)
	pvtrace_check_config "$OUT/.config" || die "configuration incomplete"
	echo "$cfg_sum" > "$cfg_stamp"
else
	log "configuration unchanged"
fi

# --- 5. the base (--base) ------------------------------------------------------
# The tree goes to pvtrace-base and build-x86/ builds it incrementally (what the series
# touches, and what depends on it); the bzImage and .config are kept, then the tree goes
# back to the series, whose build step 6 brings up to date again. Any exit in between
# puts the tree and .config back first.
BOUT=$KB/build-x86-base
base_sum="$src_installed $cfg_sum $(gitc rev-parse pvtrace-base)"
branch=$(gitc symbolic-ref -q --short HEAD || gitc rev-parse HEAD)
restore_series() {
	gitc checkout -q "$branch"
	cp "$KB/.config.series" "$OUT/.config"
	rm -f "$KB/.config.series"
}
if [ $BASE = 1 ] && [ -s "$BOUT/$IMAGE_PATH" ] &&
   [ "$(cat "$BOUT/.pvtrace-base" 2>/dev/null)" = "$base_sum" ]; then
	log "base unchanged ($BOUT)"
elif [ $BASE = 1 ]; then
	log "base: $OUT at pvtrace-base, make -j$JOBS $IMAGE"
	rm -rf "$BOUT"
	cp "$OUT/.config" "$KB/.config.series"
	trap 'restore_series' EXIT
	gitc checkout -q --detach pvtrace-base
	t0=$(date +%s)
	make -C "$SRC" -s "${KMAKE[@]}" O="$OUT" olddefconfig >/dev/null
	make -C "$SRC" -s "${KMAKE[@]}" O="$OUT" -j"$JOBS" "$IMAGE" >&2
	mkdir -p "$BOUT/$(dirname "$IMAGE_PATH")"
	cp "$OUT/$IMAGE_PATH" "$BOUT/$IMAGE_PATH"
	cp "$OUT/.config" "$BOUT/.config"
	echo "$base_sum" > "$BOUT/.pvtrace-base"
	log "base $IMAGE built in $(($(date +%s) - t0)) s"
	trap - EXIT
	restore_series
fi

# --- 6. kernel ---------------------------------------------------------------
log "make -j$JOBS $IMAGE ($ARCH)"
t0=$(date +%s)
make -C "$SRC" -s "${KMAKE[@]}" O="$OUT" -j"$JOBS" "$IMAGE" >&2
t1=$(date +%s)
log "$IMAGE built in $((t1 - t0)) s"

# --- 7. selftest -----------------------------------------------------------
st_bin=
if [ $DO_SELFTEST = 1 ] && [ "$ARCH" = arm64 ] &&
   [ ! -f "$SRC/tools/testing/selftests/kvm/$SELFTEST.c" ]; then
	log "the series has no selftest that builds for arm64 ($SELFTEST.c): none built"
	DO_SELFTEST=0
fi
if [ $DO_SELFTEST = 1 ]; then
	log "headers_install + KVM selftest $SELFTEST (static, $ARCH)"
	make -C "$SRC" -s "${KMAKE[@]}" O="$OUT" headers_install >&2
	mkdir -p "$STOUT"
	make -C "$SRC/tools/testing/selftests/kvm" -s -j"$JOBS" "${KMAKE[@]}" \
		OUTPUT="$STOUT" \
		KHDR_INCLUDES="-isystem $OUT/usr/include" \
		LDFLAGS="-static -pthread -no-pie" \
		"$STOUT/$SELFTEST" >&2
	st_bin=$STOUT/$SELFTEST
	[ -x "$st_bin" ] || die "selftest $st_bin was not built"
	t2=$(date +%s)
	log "selftest built in $((t2 - t1)) s"
fi

if [ "$ARCH" = x86 ]; then echo "BZIMAGE=$OUT/$IMAGE_PATH"; else echo "IMAGE=$OUT/$IMAGE_PATH"; fi
[ $BASE = 0 ] || echo "BASE_BZIMAGE=$BOUT/$IMAGE_PATH"
echo "VMLINUX=$OUT/vmlinux"
[ -n "$st_bin" ] && echo "SELFTEST=$st_bin"
exit 0
