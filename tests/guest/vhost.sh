#!/usr/bin/env bash
# Inside the qemu guest: the latency --vhost suite once per attach mode (PVTRACE_VHOST_MODES,
# default all three); the modes of PVTRACE_VHOST_CORE_MODES run only the tests that depend on
# the mode (exact counts, cleanup). TAP of each run; non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
rc=0
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
for mode in ${PVTRACE_VHOST_MODES:-fentry kprobe tracepoint}; do
	echo "# --- vhost, mode $mode"
	filter=
	if [[ " ${PVTRACE_VHOST_CORE_MODES:-} " == *" $mode "* ]]; then
		filter='counts|remains'
		echo "# mode $mode: only /$filter/ (the rest does not depend on the mode)"
	fi
	PVTRACE_MODE=$mode bats --tap ${filter:+--filter "$filter"} tests/bats/vhost.bats |
		sed "s/^\(\(not \)\?ok [0-9]* \)/\1[vhost $mode] /" || rc=1
done
exit $rc
