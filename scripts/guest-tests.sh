#!/usr/bin/env bash
# Run the in-guest test suites under Debian's stock 6.12 kernel (qemu TCG, nested SVM).
# Fails if the guest does not boot or any test inside fails.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/guest.sh --smp 1 --timeout "${PVTRACE_GUEST_TIMEOUT:-1800}" -- tests/guest/latency-modes.sh
rc=$?
case $rc in
0) ;;
124) echo "not ok - guest timed out" ;;
125) echo "not ok - guest did not boot" ;;
*) echo "# guest reported failures (status $rc)" ;;
esac
exit $rc
