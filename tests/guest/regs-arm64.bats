#!/usr/bin/env bats
# bench regs on arm64, inside the arm64 guest (tests/guest/arm64.sh): a vCPU saved the way a
# VMM saves it, every register of KVM_GET_REG_LIST through ONE_REG (stock 6.12 has no
# MANY_REGS): the counts add up to the list's n, values read twice agree but for the timer
# counters, set takes every register back but the refused ones (SVE's VLS with --sve). The
# documents go to PVTRACE_JSON_LOG, which the json suite validates on the host (no Python
# here).

bats_require_minimum_version 1.5.0

load ../bats/helpers

setup() {
	[ "$(uname -m)" = aarch64 ] || skip "arm64 only"
	need_root
	need_kvm
	OUT=$BATS_TEST_TMPDIR
}

# regs_ok DOCFILE: the counts of a bench regs document add up, ONE_REG path
regs_ok() {
	jq -e '.details as $d | .benchmark == "regs" and $d.verified == true and
		$d.registers == $d.registers_listed and ($d.classes | add) == $d.registers and
		$d.compared + $d.counters_not_compared == $d.registers and
		($d.excluded | length) == $d.counters_not_compared and
		$d.set_registers + $d.refused_set_count == $d.registers and
		($d.refused_set | length) == $d.refused_set_count and
		$d.supported.one_reg == true and ($d.supported | has("legacy_msrs") | not) and
		(.runs as $r | .metrics | all(.values | length == $r))' "$1" >/dev/null
}

@test "arm64 bench regs: every register of KVM_GET_REG_LIST, ONE_REG, values read twice agree" {
	run "$PVTRACE" bench regs --runs 2 --reps 10 --json
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$OUT/doc.json"
	jq -c '.details | del(.table1.seed)' "$OUT/doc.json"
	regs_ok "$OUT/doc.json"
	# a 6.12 vCPU without SVE: ~260 registers, the V registers and FPSR/FPCR as FP/SIMD
	jq -e '.details as $d | $d.registers > 200 and $d.classes.core >= 30 and
		$d.classes.fpsimd == 34 and $d.classes.system > 100 and $d.classes.firmware >= 1 and
		($d.classes | has("sve") | not)' "$OUT/doc.json" >/dev/null
	# KVM_GET_REG_LIST twice per run (n, then the list)
	[ "$(jq .details.issued.KVM_GET_REG_LIST "$OUT/doc.json")" -eq 4 ]
	# what changes by itself is the timer counters, nothing else; they are there
	jq -e '.details.excluded | length > 0 and all(. == "cntvct" or . == "cntpct")' \
		"$OUT/doc.json" >/dev/null
	# set takes back every register without SVE
	jq -e '.details.refused_set_count == 0 and .details.set_registers == .details.registers' \
		"$OUT/doc.json" >/dev/null
	# stock kernel: MANY_REGS unsupported, never sent
	jq -e '.details.supported.many_regs == false and .details.many_regs_probe.zero_call == null and
		.details.issued.KVM_GET_MANY_REGS == 0 and
		([.metrics[].name] | sort) == ["one_reg.get.p50", "one_reg.set.p50"]' \
		"$OUT/doc.json" >/dev/null
	# the timings say they are emulated where the MIDR implementer is QEMU's 0
	if grep -qE '^CPU implementer\s*: 0x00$' /proc/cpuinfo; then
		jq -e '.fingerprint.emulated == true and .details.table1.times == "emulated"' \
			"$OUT/doc.json" >/dev/null
	fi
}

@test "arm64 bench regs: the text report, Table 1 beside the seed, MANY_REGS unsupported" {
	run "$PVTRACE" bench regs --runs 1 --reps 5
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qE '^KVM register save/restore: [0-9]+ registers, ' <<<"$output"
	grep -qE '^registers by class: core [0-9]+, fpsimd 34, system [0-9]+' <<<"$output"
	grep -qE '^get all +[0-9.]+ \([0-9.]+-[0-9.]+\) +unsupported +-$' <<<"$output"
	grep -q '^seed (AWS Graviton2' <<<"$output"
	[[ "$output" == *"MANY_REGS: unsupported by this kernel"* ]]
	if grep -qE '^CPU implementer\s*: 0x00$' /proc/cpuinfo; then
		grep -q 'EMULATED CPU (QEMU TCG): not hardware figures' <<<"$output"
	fi
}

@test "arm64 bench regs --vcpus 2: both saved in parallel, the same registers" {
	"$PVTRACE" bench regs --runs 2 --reps 10 --json >"$OUT/one.json"
	run "$PVTRACE" bench regs --runs 2 --reps 10 --vcpus 2 --json
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$OUT/two.json"
	regs_ok "$OUT/two.json"
	[ "$(jq .params.vcpus "$OUT/two.json")" -eq 2 ]
	[ "$(jq -c .details.classes "$OUT/two.json")" = "$(jq -c .details.classes "$OUT/one.json")" ]
	# every timed call of both vCPUs counted: 10 warm-up and reps rounds of all registers
	n=$(jq .details.registers "$OUT/two.json")
	get=$(jq .details.issued.KVM_GET_ONE_REG "$OUT/two.json")
	[ "$get" -ge $((2 * 2 * (10 + 10) * n)) ]
}

@test "arm64 bench regs --sve: SVE registers saved, VLS refused by set (EPERM), not fatal" {
	run "$PVTRACE" bench regs --sve --runs 1 --reps 5 --json
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$OUT/sve.json"
	jq -c '.details | {registers, classes, refused_set, vcpu_features}' "$OUT/sve.json"
	jq -e '.details.vcpu_features.sve_asked' "$OUT/sve.json" >/dev/null
	jq -e '.details.vcpu_features.sve' "$OUT/sve.json" >/dev/null || skip "KVM offers no SVE here"
	regs_ok "$OUT/sve.json"
	# Z0-31, P0-15, FFR (slice 0 each) and VLS; V0-V31 are the Z registers' low bits now
	jq -e '.details.classes.sve >= 50 and .details.classes.fpsimd == 2' "$OUT/sve.json" >/dev/null
	jq -e '.details.refused_set | any(.name == "sve.vls" and .errno == "EPERM")' \
		"$OUT/sve.json" >/dev/null
	jq -e '.details.refused_set | all(.name | startswith("sve."))' "$OUT/sve.json" >/dev/null
}

@test "arm64 bench regs --pmu: PMUv3 registers join the system registers" {
	"$PVTRACE" bench regs --runs 1 --reps 5 --json >"$OUT/plain.json"
	run "$PVTRACE" bench regs --pmu --runs 1 --reps 5 --json
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$OUT/pmu.json"
	jq -e '.details.vcpu_features.pmu' "$OUT/pmu.json" >/dev/null || skip "KVM offers no PMUv3 here"
	regs_ok "$OUT/pmu.json"
	[ "$(jq .details.classes.system "$OUT/pmu.json")" -gt "$(jq .details.classes.system "$OUT/plain.json")" ]
}

@test "arm64 bench regs: the MANY_REGS path against the v2 uapi played in user space, --sve" {
	shim=$BUILD/tests/many_regs_shim.so
	[ -f "$shim" ] || skip "no $shim (make ARCH=arm64 tests)"
	# the shim does each entry as one ONE_REG call: this checks pvtrace, not the series
	run env LD_PRELOAD="$shim" "$PVTRACE" bench regs --sve --runs 2 --reps 5 --json
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$OUT/shim.json"
	jq -c '.details | {registers, classes, refused_set, many_regs_probe, table1: .table1.get}' \
		"$OUT/shim.json"
	regs_ok "$OUT/shim.json"
	jq -e '.details.supported.many_regs == true and .details.many_regs_probe.zero_call == 0 and
		.details.issued.KVM_GET_MANY_REGS > 0 and .details.issued.KVM_SET_MANY_REGS > 0 and
		([.metrics[].name] | sort) == ["many_regs.get.p50", "many_regs.set.p50",
			"one_reg.get.p50", "one_reg.set.p50", "ratio.get_one_over_many",
			"ratio.set_one_over_many"]' "$OUT/shim.json" >/dev/null
}
