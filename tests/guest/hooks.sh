#!/usr/bin/env bash
# Inside the qemu guest: the hooks BATS suite (targets against the guest's own state, /proc/kcore
# read-back, exact call counts in fentry and kprobe mode). TAP on stdout; non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# bats needs /dev/fd (process substitution)
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
echo "# guest kernel $(uname -r): pvtrace hooks"
bats --tap --timing tests/bats/hooks.bats | sed "s/^\(\(not \)\?ok [0-9]* \)/\1[hooks $(uname -r)] /"
rc=${PIPESTATUS[0]}
# the kernel-CI benchmarks, when the run collects results (scripts/guest-tests.sh)
if [ -n "${PVTRACE_RESULTS_DIR:-}" ]; then
	tests/guest/bench.sh || rc=1
fi
exit "$rc"
