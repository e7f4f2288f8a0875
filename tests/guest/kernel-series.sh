#!/usr/bin/env bash
# Inside the qemu guest running the patched kernel (scripts/kernel-build.sh): the series' KVM
# selftest, pvtrace bench regs, and latency --ioctl counting MANY_REGS exactly, in fentry and
# kprobe mode. Then the benchmark tables (the figures in kernel-patches/README.md).
# TAP on stdout; non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
echo "# guest kernel $(uname -r) ($(uname -v), $(uname -m)): kernel series"
export PVTRACE_PATCHED_KERNEL=1
: "${PVTRACE_SELFTEST:?set PVTRACE_SELFTEST to the many_regs_test binary}"
rc=0
for mode in ${PVTRACE_GUEST_MODES:-fentry kprobe}; do
	PVTRACE_MODE=$mode bats --tap tests/bats/kernel-series.bats |
		sed "s/^\(\(not \)\?ok [0-9]* \)/\1[patched $mode] /"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
done
if [ "${PVTRACE_BENCH_TABLES:-1}" = 1 ]; then
	pv=${PVTRACE:-./pvtrace}
	[ "$(uname -m)" != aarch64 ] || pv=${PVTRACE:-build-arm64/pvtrace}
	for v in 1 4; do
		echo "# --- pvtrace bench regs --vcpus $v --runs ${PVTRACE_BENCH_RUNS:-3}"
		"$pv" bench regs --vcpus "$v" --reps "${PVTRACE_BENCH_REPS:-200}" \
			--runs "${PVTRACE_BENCH_RUNS:-3}" 2>&1 | sed 's/^/# /'
		st=${PIPESTATUS[0]}
		if [ "$st" -ne 0 ]; then
			echo "not ok - bench regs --vcpus $v exited with status $st"
			rc=1
		fi
	done
fi
# latency --vhost in the modes PVTRACE_VHOST_MODES names (scripts/guest-tests.sh); the
# project kernel has vdpa_sim_net, Debian's has vhost-net only
if [ -n "${PVTRACE_VHOST_MODES:-}" ]; then
	tests/guest/vhost.sh || rc=1
fi
# the kernel-CI benchmarks, when the run collects results (scripts/guest-tests.sh)
if [ -n "${PVTRACE_RESULTS_DIR:-}" ]; then
	tests/guest/bench.sh || rc=1
fi
exit $rc
