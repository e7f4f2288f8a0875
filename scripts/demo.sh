#!/usr/bin/env bash
# Set up and run pvtrace's main job on its built-in KVM workload:
#   pvtrace latency --ioctl --workload
# Uses this machine's /dev/kvm when it has one, else boots Debian's stock 6.12
# kernel under qemu (nested SVM) and runs it there. Extra arguments go to pvtrace.
set -euo pipefail
cd "$(dirname "$0")/.."
# only what this demo needs: the build packages, and qemu's without /dev/kvm
if [ -c /dev/kvm ] && [ "${PVTRACE_DEMO_GUEST:-0}" != 1 ]; then
	scripts/deps.sh --build >/dev/null
	make -s
	exec ./pvtrace latency --ioctl --workload "$@"
fi
scripts/deps.sh --run-guest >/dev/null
make -s
echo "demo: no /dev/kvm here; running inside Debian's 6.12 kernel under qemu (about 30 s)" >&2
exec scripts/guest.sh --smp 1 -- ./pvtrace latency --ioctl --workload "$@"
