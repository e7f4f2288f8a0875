#!/usr/bin/env bash
# Inside the qemu guest booted with scripts/guest.sh --vfio (q35, intel-iommu, edu device):
# run the vfio BATS suite once per attach mode. Exit status is non-zero if any run failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
rc=0
# bats needs /dev/fd (process substitution)
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
echo "# guest kernel $(uname -r); vfio-pci: $([ -d /sys/bus/pci/drivers/vfio-pci ] && echo yes || echo no)"
[ -d /sys/bus/pci/drivers/vfio-pci ] || { echo "not ok - vfio-pci missing in the guest (booted without --vfio?)"; rc=1; }
for mode in ${PVTRACE_GUEST_MODES:-fentry kprobe}; do
	echo "# --- mode $mode"
	PVTRACE_MODE=$mode bats --tap tests/bats/vfio.bats | sed "s/^\(\(not \)\?ok [0-9]* \)/\1[$mode] /" || rc=1
done
exit $rc
