#!/usr/bin/env bash
# Inside the qemu guest: run the latency BATS suite once per attach mode.
# TAP output of each run is printed; exit status is non-zero if any run failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
rc=0
# --only TAG: the latency suite's modes alone, each test named "[TAG MODE]" (tests/guest/arm64.sh)
only=0 tag=
if [ "${1:-}" = --only ]; then
	only=1 tag="${2:?--only TAG} "
fi
# bats needs /dev/fd (process substitution)
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
if [ $only = 0 ]; then
	echo "# guest kernel $(uname -r); /dev/kvm: $([ -c /dev/kvm ] && echo yes || echo no)"
	[ -c /dev/kvm ] || { echo "not ok - /dev/kvm missing in the guest (kvm_amd did not load)"; rc=1; }
fi
for mode in ${PVTRACE_GUEST_MODES:-fentry kprobe tracepoint}; do
	echo "# --- mode $mode"
	filter=${PVTRACE_BATS_FILTER:-}
	# modes that only need to show they attach, count exactly and clean up
	# (PVTRACE_CORE_MODES): the tests of PVTRACE_CORE_FILTER
	if [ -z "$filter" ] && [[ " ${PVTRACE_CORE_MODES:-} " == *" $mode "* ]]; then
		filter=$PVTRACE_CORE_FILTER
		echo "# mode $mode: only /$filter/ (the rest does not depend on the mode)"
	fi
	PVTRACE_MODE=$mode bats --tap ${filter:+--filter "$filter"} tests/bats/latency.bats |
		sed "s/^\(\(not \)\?ok [0-9]* \)/\1[$tag$mode] /" || rc=1
done
[ $only = 0 ] || exit $rc
# the carried KVM series is absent from stock kernels: MANY_REGS must read as unsupported
if [ -z "${PVTRACE_BATS_FILTER:-}" ]; then
	echo "# --- kernel-series checks (stock kernel)"
	bats --tap tests/bats/kernel-series.bats | sed "s/^\(\(not \)\?ok [0-9]* \)/\1[stock] /" || rc=1
fi
# pvtrace exits in the modes PVTRACE_EXITS_MODES names (scripts/guest-tests.sh)
if [ -n "${PVTRACE_EXITS_MODES:-}" ]; then
	tests/guest/exits.sh || rc=1
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
