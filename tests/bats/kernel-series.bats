#!/usr/bin/env bats
# The carried KVM series (kernel-patches/) in a booted patched kernel: the KVM
# selftest, pvtrace bench regs, and pvtrace latency --ioctl counting MANY_REGS by
# name exactly. scripts/guest-tests.sh runs this file inside the patched kernel;
# elsewhere the MANY_REGS checks are replaced by the "unsupported" check.

bats_require_minimum_version 1.5.0

load helpers

patched() {
	[ "${PVTRACE_PATCHED_KERNEL:-0}" = 1 ]
}

setup() {
	need_root
	need_kvm
}

@test "KVM selftest many_regs_test passes in the patched kernel" {
	patched || skip "needs the patched kernel (scripts/guest-tests.sh boots it)"
	[ -x "${PVTRACE_SELFTEST:-}" ]
	run "$PVTRACE_SELFTEST"
	echo "$output"
	[ "$status" -eq 0 ]
	# kselftest TAP: a plan, no failures
	grep -qE '^1\.\.[0-9]+' <<<"$output"
	run ! grep -qE '^not ok' <<<"$output"
}

@test "bench regs: MANY_REGS supported and values verified across methods" {
	patched || skip "needs the patched kernel"
	run "$PVTRACE" bench regs --reps 30 --runs 2 --json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.details.supported.many_regs' <<<"$output")" = true ]
	[ "$(jq -r '.details.supported.one_reg' <<<"$output")" = true ]
	[ "$(jq -r '.details.verified' <<<"$output")" = true ]
	[ "$(jq -r '.details.registers' <<<"$output")" -gt 10 ]
	# one value per run; MANY_REGS saves in one call what ONE_REG does in one per register
	for m in many_regs.get.p50 many_regs.set.p50 ratio.get_one_over_many ratio.set_one_over_many; do
		[ "$(jq --arg m $m '[.metrics[] | select(.name == $m) | .values | length] | .[0]' <<<"$output")" -eq 2 ]
	done
	jq -e '[.metrics[] | select(.name == "ratio.get_one_over_many") | .values | min > 1] | .[0]' <<<"$output" >/dev/null
}

@test "latency --ioctl counts KVM_GET/SET_MANY_REGS by name, equal to what bench regs issued" {
	patched || skip "needs the patched kernel"
	start_pvtrace latency --ioctl --json $(mode_args)
	"$PVTRACE" bench regs --reps 40 --vcpus 2 --runs 2 --json >"$BATS_TEST_TMPDIR/bench.json"
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	local names="KVM_GET_MANY_REGS KVM_SET_MANY_REGS KVM_GET_ONE_REG KVM_SET_ONE_REG"
	# x86 also times the legacy bulk API, KVM_GET/SET_MSRS; arm64 has none
	[ "$(uname -m)" = aarch64 ] || names+=" KVM_GET_MSRS KVM_SET_MSRS"
	for n in $names; do
		want=$(jq -r --arg n $n '.details.issued[$n]' "$BATS_TEST_TMPDIR/bench.json")
		got=$(traced "$PV_OUT" $n)
		echo "$n issued $want traced $got"
		[ "$want" -eq "$got" ]
	done
	[ "$(traced "$PV_OUT" KVM_GET_MANY_REGS)" -gt 0 ]
	# named, not shown as an unknown command
	tail -n 1 "$PV_OUT" | jq -e '[.ioctls[] | select(.command == "KVM_GET_MANY_REGS") | .known] | all' >/dev/null
}

@test "without the series, bench regs reports MANY_REGS as unsupported, not as an error" {
	patched && skip "this kernel has the series"
	run "$PVTRACE" bench regs --reps 5 --runs 2 --json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.details.supported.many_regs' <<<"$output")" = false ]
	# no MANY_REGS metric, no ratio to it
	[ "$(jq '[.metrics[] | select(.name | test("many"))] | length' <<<"$output")" -eq 0 ]
	run "$PVTRACE" bench regs --reps 5 --runs 2
	[ "$status" -eq 0 ]
	[[ "$output" == *"MANY_REGS: unsupported by this kernel"* ]]
}
