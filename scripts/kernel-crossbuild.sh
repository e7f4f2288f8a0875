#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build-check the KVM objects of the non-x86 architectures that implement
# KVM_{GET,SET}_ONE_REG (arm64, riscv, s390, powerpc in all its KVM flavours,
# mips 64 and 32 bit, loongarch) with Debian's cross compilers (loongarch,
# for which Debian 12 has no gcc cross compiler, with clang-19/lld-19), on a
# kernel tree with the kernel-patches/ series applied (by default the one
# scripts/kernel-build.sh maintains).
#
# Usage: scripts/kernel-crossbuild.sh [-t TREE] [-o OUTDIR] [ARCH...]
#   ARCH: arm64 riscv s390 powerpc powerpc-pr powerpc-e500mc powerpc-e500v2
#         powerpc-book3s32 mips mips32r6 loongarch (default: all)
#
# For each configuration: <defconfig> with KVM enabled (=y or =m), then
# `make arch/<arch>/kvm/`, which also compiles virt/kvm/*.c for that
# architecture.  Warnings are counted; any error fails the run.  Prints
# one result line per configuration; logs are in OUTDIR/<config>.log.

set -uo pipefail

KB=$("$(dirname "$0")/kbuild-dir.sh")
TREE=$KB/linux-6.12
OUTDIR=$KB/cross
JOBS=${PVTRACE_KERNEL_JOBS:-2}

while getopts "t:o:j:h" opt; do
	case $opt in
	t) TREE=$OPTARG ;;
	o) OUTDIR=$OPTARG ;;
	j) JOBS=$OPTARG ;;
	*) sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- arm64 riscv s390 powerpc powerpc-pr powerpc-e500mc powerpc-e500v2 \
	powerpc-book3s32 mips mips32r6 loongarch

# config -> "ARCH CROSS_COMPILE defconfig apt-packages config-options..."
# (CROSS_COMPILE "llvm": LLVM=-19 with clang-19/lld-19, no gcc; apt-packages are
# comma-separated; an option written !FOO is disabled, the others are enabled and checked)
spec() {
	case $1 in
	arm64)	echo "arm64 aarch64-linux-gnu- defconfig gcc-aarch64-linux-gnu" \
		     "VIRTUALIZATION KVM" ;;
	riscv)	echo "riscv riscv64-linux-gnu- defconfig gcc-riscv64-linux-gnu" \
		     "VIRTUALIZATION KVM" ;;
	s390)	echo "s390 s390x-linux-gnu- defconfig gcc-s390x-linux-gnu" \
		     "VIRTUALIZATION KVM" ;;
	powerpc) echo "powerpc powerpc64le-linux-gnu- ppc64le_defconfig gcc-powerpc64le-linux-gnu" \
		     "VIRTUALIZATION KVM_BOOK3S_64 KVM_BOOK3S_64_HV" ;;
	# PR needs !CONTEXT_TRACKING_USER: no NO_HZ_FULL, no VIRT_CPU_ACCOUNTING_GEN
	powerpc-pr) echo "powerpc powerpc64le-linux-gnu- ppc64le_defconfig gcc-powerpc64le-linux-gnu" \
		     "VIRTUALIZATION KVM_BOOK3S_64 KVM_BOOK3S_64_PR !NO_HZ_FULL NO_HZ_IDLE" \
		     "!VIRT_CPU_ACCOUNTING_GEN VIRT_CPU_ACCOUNTING_NATIVE" ;;
	# booke, 32 bit: e500mc (booke HV) and e500v2
	powerpc-e500mc) echo "powerpc powerpc-linux-gnu- corenet32_smp_defconfig gcc-powerpc-linux-gnu" \
		     "VIRTUALIZATION KVM_E500MC" ;;
	powerpc-e500v2) echo "powerpc powerpc-linux-gnu- mpc85xx_smp_defconfig gcc-powerpc-linux-gnu" \
		     "VIRTUALIZATION KVM_E500V2" ;;
	# book3s_32 PR needs a UP kernel without 64-bit PTEs
	powerpc-book3s32) echo "powerpc powerpc-linux-gnu- pmac32_defconfig gcc-powerpc-linux-gnu" \
		     "VIRTUALIZATION !SMP KVM_BOOK3S_32" ;;
	mips)	echo "mips mips64el-linux-gnuabi64- loongson3_defconfig gcc-mips64el-linux-gnuabi64" \
		     "VIRTUALIZATION KVM" ;;
	mips32r6) echo "mips mipsisa32r6el-linux-gnu- 32r6el_defconfig gcc-mipsisa32r6el-linux-gnu" \
		     "VIRTUALIZATION KVM" ;;
	loongarch) echo "loongarch llvm defconfig clang-19,lld-19,llvm-19" \
		     "VIRTUALIZATION KVM" ;;
	*) return 1 ;;
	esac
}

[ -d "$TREE" ] || { echo "no tree at $TREE (run scripts/kernel-build.sh)" >&2; exit 2; }
mkdir -p "$OUTDIR"
fail=0
for a in "$@"; do
	s=$(spec "$a") || { echo "unknown arch $a" >&2; exit 2; }
	# shellcheck disable=SC2086 # the spec's four words
	set -- $s
	arch=$1 cross=$2 defcfg=$3 pkg=$4
	shift 4
	if [ "$cross" = llvm ]; then
		cc=clang-19
		tc=(LLVM=-19)
	else
		cc=${cross}gcc
		tc=(CROSS_COMPILE="$cross")
	fi
	if ! command -v "$cc" >/dev/null; then
		# shellcheck disable=SC2086 # comma-separated package list
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkg//,/ } >&2 ||
			{ echo "$a: cannot install $pkg"; fail=1; continue; }
	fi
	o=$OUTDIR/$a
	log=$OUTDIR/$a.log
	mk=(nice -n 19 make -C "$TREE" -s O="$o" ARCH="$arch" "${tc[@]}" -j"$JOBS")
	t0=$(date +%s)
	(
		if [ ! -f "$o/.config" ]; then
			"${mk[@]}" "$defcfg" || exit 1
			args=()
			for c in "$@"; do
				case $c in
				!*) args+=(--disable "${c#!}") ;;
				*) args+=(--enable "$c") ;;
				esac
			done
			"$TREE/scripts/config" --file "$o/.config" "${args[@]}" --disable WERROR
			"${mk[@]}" olddefconfig || exit 1
		fi
		for c in "$@"; do
			case $c in !*) continue ;; esac
			grep -Eq "^CONFIG_$c=(y|m)" "$o/.config" ||
				{ echo "CONFIG_$c not enabled"; exit 1; }
		done
		"${mk[@]}" "arch/$arch/kvm/"
	) >"$log" 2>&1
	rc=$?
	t1=$(date +%s)
	objs=$(find "$o/arch/$arch/kvm" "$o/virt/kvm" -name '*.o' 2>/dev/null | wc -l)
	warns=$(grep -c 'warning:' "$log")
	if [ $rc -eq 0 ]; then
		echo "$a: OK ($objs objects in arch/$arch/kvm + virt/kvm, $warns warnings, $((t1 - t0)) s)"
	else
		echo "$a: FAILED (see $log)"
		grep -E 'error|Error' "$log" | head -n 20
		fail=1
	fi
done
exit $fail
