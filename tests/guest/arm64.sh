#!/usr/bin/env bash
# Inside the qemu-system-aarch64 guest (scripts/guest.sh --arch arm64): pvtrace's arm64 build
# (make ARCH=arm64 tests): its unit tests, the latency BATS suite once per attach mode, the
# exits suite's architecture-independent tests, and bench regs (tests/guest/regs-arm64.bats).
# bash, jq, bpftool and setpriv are arm64 builds scripts/guest.sh staged; the rest of the host
# root is x86 and does not run here. TAP on stdout; non-zero exit if anything failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
rc=0
echo "# guest kernel $(uname -r) ($(uname -m)); /dev/kvm: $([ -c /dev/kvm ] && echo yes || echo no)"
[ "$(uname -m)" = aarch64 ] || { echo "not ok - not an arm64 guest: $(uname -m)"; exit 1; }
[ -c /dev/kvm ] || { echo "not ok - /dev/kvm missing in the arm64 guest (virtualization=on?)"; rc=1; }
echo "# --- unit tests (arm64 build)"
n=0
for t in build-arm64/tests/test_*; do
	[ -x "$t" ] || continue
	n=$((n + 1))
	if [ "${t##*/}" = test_patches ]; then
		# its fixtures are x86 kernel images assembled at run time by the host's x86 as(1)
		echo "ok $n [arm64] unit ${t##*/} # skip x86 code-patch fixtures need an x86 assembler"
		continue
	fi
	# not in the JSON log the json suite validates: unit tests print documents of no schema
	if out=$(unset PVTRACE_JSON_LOG; CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1); then
		echo "ok $n [arm64] unit ${t##*/}"
	else
		echo "not ok $n [arm64] unit ${t##*/}"
		printf '%s\n' "$out" | grep -E '^not ok|error|Failure' | head -n 5 | sed 's/^/# /'
		rc=1
	fi
done
[ "$n" -gt 0 ] || { echo "not ok - no arm64 unit tests in build-arm64/tests (make ARCH=arm64 tests)"; rc=1; }
# the latency suite once per attach mode (PVTRACE_CORE_MODES: the mode-dependent tests only)
tests/guest/latency-modes.sh --only arm64 || rc=1
# exits on arm64: hardware exits are decoded on x86 only; every KVM_RUN is one return, the
# programs load and leave nothing behind, in every mode
if [ -z "${PVTRACE_BATS_FILTER:-}" ]; then
	PVTRACE_EXITS_MODES="fentry kprobe tracepoint" PVTRACE_EXITS_FILTER='any architecture|remains' \
		tests/guest/exits.sh | sed 's/^\(\(not \)\?ok [0-9]* \)\[/\1[arm64 /' || rc=1
fi
# bench regs: a vCPU saved and restored as a VMM does, every register of KVM_GET_REG_LIST
if [ -z "${PVTRACE_BATS_FILTER:-}" ]; then
	echo "# --- bench regs"
	bats --tap tests/guest/regs-arm64.bats | sed "s/^\(\(not \)\?ok [0-9]* \)/\1[arm64 regs] /" || rc=1
fi
exit $rc
