#!/usr/bin/env bash
# Run the in-guest test suites under qemu (TCG, -cpu max, nested SVM):
#   Debian's stock 6.12: latency and exits in fentry, kprobe and tracepoint mode, vhost-net's
#                        vhost suite in fentry and tracepoint mode, "MANY_REGS unsupported";
#                        vfio (q35, emulated IOMMU, edu device); hooks
#   Debian's stock 6.1:  latency and exits exactness in all three modes (an older verifier and BTF)
#   qemu-real:           stock 6.12 with 2 vCPUs under multi-threaded TCG, where Debian's QEMU boots
#                        the same kernel under KVM (2 vCPUs, -name guest=...): latency --ioctl's
#                        counts per vCPU against bpftrace's, process/VM/thread names; exits'
#                        hardware exits per reason against perf kvm stat's
#   arm64:               Debian's stock arm64 6.12 under qemu-system-aarch64 (virtualization=on:
#                        KVM inside): pvtrace's arm64 build, its unit tests and latency in
#                        fentry, kprobe and tracepoint mode (tests/guest/arm64.sh)
#   vmm-save:            (not by default) arm64 as above with Debian's arm64 QEMU inside: the
#                        register share of its vCPU save (tests/guest/vmm-save.sh)
#   arm64-patched:       the project kernel for arm64 (kernel-build.sh --arch arm64): the series'
#                        selftest, bench regs and MANY_REGS counted (tests/guest/kernel-series.sh)
#   base:                the series' base kernel (the same without kernel-patches/): kernel-CI
#                        benchmarks only (tests/guest/bench.sh)
#   the project kernel (scripts/kernel-build.sh, 6.12 + kernel-patches/): the series' selftest,
#                        bench regs, MANY_REGS counted by latency --ioctl; latency --vhost on
#                        vdpa_sim_net and vhost-net in all three modes; patches --live/--watch
#                        against its vmlinux; hooks
# Fails if a guest does not boot, times out, or reports a failure. TAP on stdout.
# PVTRACE_GUESTS selects boots (default: all but vmm-save, or --lane's); the project kernel is in
# scripts/kbuild-dir.sh's directory (PVTRACE_KBUILD).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
timeout=${PVTRACE_GUEST_TIMEOUT:-1800}
# the default boots in scripts/run-tests.sh's lanes: qemu-real alone on both CPUs, then the x86
# boots on one CPU beside the arm64 boots on the other (--lane NAME: one lane's)
# The x86 boots are listed longest first: --queue FILE takes them one at a time from a list
# that both lanes share (the arm64 lane after its own boots), so neither lane idles while the
# other still has several boots to go.
lane_alone="qemu-real"
lane_x86="stock patched stock-6.1 vfio hooks hooks-patched patches base"
lane_arm64="arm64 arm64-patched"
guests=${PVTRACE_GUESTS:-$lane_x86 $lane_alone $lane_arm64}
queue=
usage="usage: scripts/guest-tests.sh [--lane alone|x86|arm64 | --queue FILE | --list-x86]"
case ${1:-} in
--lane)
	case ${2:-} in
	alone) guests=$lane_alone ;;
	x86) guests=$lane_x86 ;;
	arm64) guests=$lane_arm64 ;;
	*) echo "guest-tests: --lane alone|x86|arm64, not '${2:-}'" >&2; exit 2 ;;
	esac
	;;
--queue)
	# FILE: one boot name per line, shared by the lanes; each takes the first line under flock
	queue=${2:-}
	if [ -z "$queue" ] || [ ! -w "$queue" ]; then
		echo "guest-tests: --queue needs a writable file of boot names, not '$queue'" >&2
		exit 2
	fi
	guests=
	;;
--list-x86)
	echo "$lane_x86"
	exit 0
	;;
"") ;;
*) echo "$usage" >&2; exit 2 ;;
esac
kb=$(scripts/kbuild-dir.sh)
kbz=$kb/build-x86/arch/x86/boot/bzImage
kvmlinux=$kb/build-x86/vmlinux
kselftest=$kb/selftests/many_regs_test
kbasebz=$kb/build-x86-base/arch/x86/boot/bzImage
# the project kernel for arm64 (scripts/kernel-build.sh --arch arm64) and its selftest
karm64=$kb/build-arm64/arch/arm64/boot/Image
karm64selftest=$kb/selftests-arm64/many_regs_test
rc=0
# the latency tests that depend on the attach mode: exact counts, per-vCPU keys, cleanup
# after signals (the rest runs once per kernel, in its first mode)
core='counts per command|--per-vcpu|no pvtrace BPF'

# guest_run NAME [VAR=VALUE...] [guest.sh options...] -- COMMAND
guest_run() {
	local name=$1 st envs=() t0=$SECONDS
	shift
	while [[ ${1:-} == PVTRACE_*=* ]]; do
		envs+=("$1")
		shift
	done
	echo "# === guest $name"
	# JSON documents for the json suite (scripts/run-tests.sh), one log per boot
	if [ -n "${PVTRACE_JSON_DIR:-}" ]; then
		envs+=("PVTRACE_JSON_LOG=$PVTRACE_JSON_DIR/guest-$name.log")
		set -- --rw "$PVTRACE_JSON_DIR" "$@"
	fi
	# kernel-CI result documents (tests/guest/bench.sh) of boots that give a PVTRACE_KCI_LABEL
	if [ -n "${PVTRACE_RESULTS_DIR:-}" ] && [[ " ${envs[*]} " == *" PVTRACE_KCI_LABEL="* ]]; then
		set -- --rw "$PVTRACE_RESULTS_DIR" "$@"
	else
		envs+=("PVTRACE_RESULTS_DIR=")
	fi
	env "${envs[@]}" scripts/guest.sh --smp 1 --timeout "$timeout" "$@"
	st=$?
	case $st in
	0) ;;
	124) echo "not ok - guest $name timed out after $timeout s" ;;
	125) echo "not ok - guest $name did not boot" ;;
	*) echo "# guest $name reported failures (status $st)" ;;
	esac
	echo "# guest $name: $((SECONDS - t0)) s"
	[ "$rc" -ne 0 ] || rc=$st
}

# guest_run, once more if the guest died of multi-threaded TCG running stale code after the
# kernel patched its text (qemu 7.2: "Oops: int3" at a patched site; 2 boots in 25, once
# while booting, once at a jump label in __schedule that KVM_CREATE_VM's
# preempt_notifier_inc() patches), or if the nested guest that Debian's QEMU runs under
# KVM on TCG's emulated SVM double-faulted (seen once in a clean-clone CI run: "traps:
# PANIC: double fault" in kmem_cache_alloc_noprof at a gs-prefixed cmpxchg16b, with a
# garbage EFLAGS 412f9ec2: emulated state lost, not a kernel or pvtrace bug). Only the
# second attempt's TAP counts; a second crash fails as usual.
guest_run_mttcg() { # NAME ARGS... (as guest_run)
	local log saved=$rc
	log=$(mktemp)
	guest_run "$@" >"$log"
	if grep -qE 'Oops: int3|traps: PANIC: double fault' "$log"; then
		grep -m 3 -E 'Oops: int3|traps: PANIC: double fault|RIP: ' "$log" |
			sed 's/^/# first attempt: /'
		echo "# guest $1: multi-threaded TCG lost state (stale code or a nested double fault), once more"
		rc=$saved
		guest_run "$@"
	else
		cat "$log"
	fi
	rm -f "$log"
}

# the project kernel is built by the kernel suite (tests/kernel/series.sh); a failed build is
# counted there, so here its absence is a skip with the reason
have_project_kernel() { # NAME
	if [ -r "$kbz" ] && [ -r "$kvmlinux" ] && [ -x "$kselftest" ]; then
		return 0
	fi
	echo "ok 1 - guest $1 # skip no project kernel in $kb (scripts/kernel-build.sh)"
	return 1
}

# next_guest: the next boot, from the list or, with --queue, the shared file's first line
next_guest() {
	if [ -z "$queue" ]; then
		local list
		read -ra list <<<"$guests"
		[ ${#list[@]} -gt 0 ] || return 1
		g=${list[0]}
		guests=${list[*]:1}
		return 0
	fi
	# shellcheck disable=SC2016 # the inner shell expands them
	g=$(flock "$queue" sh -c 'g=$(head -n 1 "$1"); [ -n "$g" ] || exit 1
		tail -n +2 "$1" >"$1.next" && cat "$1.next" >"$1" && rm -f "$1.next"; echo "$g"' sh "$queue")
}

while next_guest; do
	case $g in
	stock)
		# tracepoint mode in full is the host suite's (this host's kernel allows no other);
		# exits in all three, in full in tracepoint mode (hardware exits: guests only); vhost
		# in fentry on Debian's modules and latency --vhost's tracepoint filter (kprobe and
		# the three modes' core tests: the project kernel's boot, on vhost-net and vdpa)
		guest_run stock-6.12 PVTRACE_KCI_LABEL=stock-6.12 PVTRACE_CORE_MODES=tracepoint \
			PVTRACE_CORE_FILTER="$core" PVTRACE_EXITS_MODES="tracepoint fentry kprobe" \
			PVTRACE_EXITS_CORE_MODES="fentry kprobe" PVTRACE_EXITS_BENCH=1 \
			PVTRACE_VHOST_MODES="fentry tracepoint" PVTRACE_VHOST_CORE_MODES=tracepoint -- \
			tests/guest/latency-modes.sh
		;;
	vfio)
		guest_run vfio-6.12 --vfio -- tests/guest/vfio.sh
		;;
	stock-6.1)
		# exactness, per-vCPU keys and cleanup in every mode; the rest is mode-independent
		guest_run stock-6.1 PVTRACE_KCI_LABEL=stock-6.1 PVTRACE_BATS_FILTER="$core" \
			PVTRACE_EXITS_MODES="fentry kprobe tracepoint" \
			PVTRACE_EXITS_FILTER="exitguest did" --kernel stock-6.1 -- \
			tests/guest/latency-modes.sh
		;;
	qemu-real)
		# A nested 2-vCPU guest needs a vCPU per host thread: with single-threaded TCG it
		# stalled for minutes. The timing line goes to the log (boot times are the budget).
		guest_run_mttcg qemu-real-6.12 PVTRACE_GUEST_TCG=multi PVTRACE_GUEST_TIMING=1 --smp 2 -- \
			tests/guest/qemu-real.sh
		;;
	hooks)
		# a second boot of stock 6.12 with its own label: the A/A pair of kernel CI
		guest_run hooks-6.12 PVTRACE_KCI_LABEL=stock-6.12-again -- tests/guest/hooks.sh
		;;
	arm64)
		if [ -x build-arm64/pvtrace ]; then
			# every test in fentry mode; kprobe and tracepoint attach, count and clean up
			guest_run arm64-6.12 PVTRACE_CORE_MODES="kprobe tracepoint" \
				PVTRACE_CORE_FILTER="$core" --arch arm64 -- tests/guest/arm64.sh
		else
			echo "not ok - guest arm64: no build-arm64/pvtrace (make ARCH=arm64 tests)"
			rc=1
		fi
		;;
	vmm-save)
		# not in the default list: Debian's arm64 QEMU in the arm64 guest, the register share
		# of its vCPU save (2 vCPUs, one timed run after the cross-checked one: under 3 minutes)
		if [ -x build-arm64/pvtrace ] && [ -x build-arm64/tests/reglist ]; then
			guest_run vmm-save-arm64 PVTRACE_VMM_SAVE_SMP=2 PVTRACE_VMM_SAVE_REPS=1 \
				PVTRACE_GUEST_TIMING=1 --arch arm64 --with-qemu -- tests/guest/vmm-save.sh
		else
			echo "not ok - guest vmm-save: no build-arm64/pvtrace or tests/reglist (make ARCH=arm64 tests)"
			rc=1
		fi
		;;
	arm64-patched)
		# the series on arm64: its selftest, bench regs with MANY_REGS, latency counting it
		if [ ! -r "$karm64" ] || [ ! -x "$karm64selftest" ]; then
			echo "ok 1 - guest arm64-patched # skip no arm64 project kernel in $kb (scripts/kernel-build.sh --arch arm64)"
		elif [ ! -x build-arm64/pvtrace ]; then
			echo "not ok - guest arm64-patched: no build-arm64/pvtrace (make ARCH=arm64 tests)"
			rc=1
		else
			guest_run arm64-patched PVTRACE_SELFTEST="$karm64selftest" --arch arm64 \
				--kernel "$karm64" -- tests/guest/kernel-series.sh
		fi
		;;
	patched)
		have_project_kernel patched &&
			guest_run patched PVTRACE_KCI_LABEL=patched-6.12 PVTRACE_SELFTEST="$kselftest" \
				PVTRACE_VHOST_MODES="fentry kprobe tracepoint" \
				PVTRACE_VHOST_CORE_MODES="fentry kprobe tracepoint" --kernel "$kbz" -- \
				tests/guest/kernel-series.sh
		;;
	base)
		# the series' base (same source and configuration, no patches): the kernel-CI
		# benchmarks only, for scripts/kci.sh to compare the series against
		if [ -r "$kbasebz" ]; then
			guest_run base PVTRACE_KCI_LABEL=base-6.12 --kernel "$kbasebz" -- tests/guest/bench.sh
		else
			echo "ok 1 - guest base # skip no base kernel in $kb (scripts/kernel-build.sh --base)"
		fi
		;;
	patches)
		have_project_kernel patches &&
			guest_run patches-project PVTRACE_VMLINUX="$kvmlinux" --kernel "$kbz" -- \
				tests/guest/patches.sh
		# Debian's stock kernel when its vmlinux is at hand (linux-image-*-dbg, ~1 GB)
		if [ -n "${PVTRACE_STOCK_VMLINUX:-}" ]; then
			guest_run patches-stock PVTRACE_VMLINUX="$PVTRACE_STOCK_VMLINUX" -- \
				tests/guest/patches.sh
		fi
		;;
	hooks-patched)
		have_project_kernel hooks-patched &&
			guest_run hooks-project --kernel "$kbz" -- tests/guest/hooks.sh
		;;
	*)
		echo "not ok - unknown guest '$g' in PVTRACE_GUESTS"
		rc=2
		;;
	esac
done
exit $rc
