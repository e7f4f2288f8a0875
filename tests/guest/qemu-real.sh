#!/usr/bin/env bash
# Inside the qemu guest (stock 6.12, nested SVM, booted with --smp 2 and multi-threaded TCG by
# scripts/guest-tests.sh): the real-QEMU suite. Debian's qemu-system-x86_64 boots the same stock
# kernel under this guest's KVM with 2 vCPUs; pvtrace's counts are checked against bpftrace's.
# TAP on stdout; non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# bats needs /dev/fd (process substitution)
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
echo "# guest kernel $(uname -r), $(nproc) CPUs; /dev/kvm: $([ -c /dev/kvm ] && echo yes || echo no)"
bats --tap --timing tests/bats/qemu-real.bats | sed "s/^\(\(not \)\?ok [0-9]* \)/\1[qemu-real] /"
exit "${PIPESTATUS[0]}"
