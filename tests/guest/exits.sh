#!/usr/bin/env bash
# Inside the qemu guest: the pvtrace exits suite once per attach mode (PVTRACE_EXITS_MODES,
# default all three). Nested SVM reports hardware exits here, which this host's kernel does
# not: the suite's hardware checks run only in guests. The modes of PVTRACE_EXITS_CORE_MODES
# run only the tests that depend on the mode (exact counts, bpftrace's, cleanup); the rest is
# the same code in every mode; PVTRACE_EXITS_FILTER, when set, selects the tests of every
# mode. TAP of each run; non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
rc=0
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
for mode in ${PVTRACE_EXITS_MODES:-fentry kprobe tracepoint}; do
	echo "# --- exits, mode $mode"
	filter=${PVTRACE_EXITS_FILTER:-}
	if [ -z "$filter" ] && [[ " ${PVTRACE_EXITS_CORE_MODES:-} " == *" $mode "* ]]; then
		filter='exitguest did|bpftrace|remains'
		echo "# mode $mode: only /$filter/ (the rest does not depend on the mode)"
	fi
	PVTRACE_MODE=$mode bats --tap ${filter:+--filter "$filter"} \
		tests/bats/exits.bats | sed "s/^\(\(not \)\?ok [0-9]* \)/\1[exits $mode] /" || rc=1
done
# the cost per exit against no tracer and bpftrace (PVTRACE_EXITS_BENCH=1): a short run whose
# figures go to the log; it fails when the measurement does (a tracer that did not attach, a
# guest that failed), not on the target, which TCG's timing noise can move
if [ "${PVTRACE_EXITS_BENCH:-}" = 1 ]; then
	echo "# --- bench-exits"
	out=$(scripts/bench-exits.py --samples 3 --cpuid 20000 --io 2000 2>&1)
	st=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	case $st in
	0 | 3) echo "ok 1 [exits] bench-exits: $(printf '%s\n' "$out" | grep -m1 'added pvtrace / bpftrace' | sed 's/^ *//'); $(printf '%s\n' "$out" | grep '^targets:')" ;;
	*) echo "not ok 1 [exits] bench-exits failed (status $st)"; rc=1 ;;
	esac
fi
exit $rc
