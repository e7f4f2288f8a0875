#!/usr/bin/env bash
# Inside the qemu guest: the vhost suite (latency --vhost, pvtrace vhost) once per attach mode
# (PVTRACE_VHOST_MODES, default all three); the modes of PVTRACE_VHOST_CORE_MODES run only the
# tests that depend on the mode (exact counts, cleanup). pvtrace vhost has no tracepoint mode:
# there only latency --vhost runs. TAP of each run; non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
rc=0
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
for mode in ${PVTRACE_VHOST_MODES:-fentry kprobe tracepoint}; do
	echo "# --- vhost, mode $mode"
	filter=
	if [[ " ${PVTRACE_VHOST_CORE_MODES:-} " == *" $mode "* ]]; then
		filter='(counts|equal|remains)'
	fi
	if [ "$mode" = tracepoint ]; then
		filter="^latency --vhost: .*${filter:-}"
	fi
	[ -z "$filter" ] || echo "# mode $mode: only /$filter/ (the rest does not depend on the mode)"
	PVTRACE_MODE=$mode bats --tap ${filter:+--filter "$filter"} tests/bats/vhost.bats |
		sed "s/^\(\(not \)\?ok [0-9]* \)/\1[vhost $mode] /" || rc=1
done
exit $rc
