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
exit $rc
