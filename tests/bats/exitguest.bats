#!/usr/bin/env bats
# build/tests/exitguest: the guest whose exits are known, the ground truth of the exit
# counts (issue 13). Its own count of every KVM_RUN return by kvm_run->exit_reason must be
# what it was given, and equal to what the kernel's kvm:kvm_userspace_exit tracepoint saw,
# counted by bpftrace per vCPU thread.

bats_require_minimum_version 1.5.0
load helpers

EXITGUEST=$BUILD/tests/exitguest

teardown() {
	[ -z "${btpid:-}" ] || kill -TERM "$btpid" 2>/dev/null || true
}

setup() {
	need_root
	need_kvm
	[ "$(uname -m)" = x86_64 ] || skip "exitguest runs an x86 real-mode guest"
}

# the value after KEY on vCPU V's line of an exitguest output: field OUT V KEY
field() {
	awk -v v="$2" -v k="$3" '$1 == "vcpu" && $2 == v { for (i = 3; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"
}

@test "exitguest: every exit it was given, counted by kvm_run->exit_reason, per vCPU" {
	run "$EXITGUEST" --io 17 --mmio 9 --hlt 5 --cpuid 40 --rdmsr 3 --vcpus 3
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out"
	for v in 0 1 2; do
		# 17 port writes and the one that ends the run
		[ "$(field "$BATS_TEST_TMPDIR/out" $v KVM_EXIT_IO)" = 18 ]
		[ "$(field "$BATS_TEST_TMPDIR/out" $v KVM_EXIT_MMIO)" = 9 ]
		[ "$(field "$BATS_TEST_TMPDIR/out" $v KVM_EXIT_HLT)" = 5 ]
		[ "$(field "$BATS_TEST_TMPDIR/out" $v other)" = 0 ]
		[ "$(field "$BATS_TEST_TMPDIR/out" $v KVM_RUN)" = 32 ]
		[ "$(field "$BATS_TEST_TMPDIR/out" $v cpuid)" = 40 ]
	done
	# loops of 0 are skipped, not run 65536 times
	run "$EXITGUEST" --io 0 --mmio 0 --hlt 0 --cpuid 0 --rdmsr 0
	[ "$status" -eq 0 ]
	[[ $output == "vcpu 0 KVM_RUN 1 KVM_EXIT_IO 1 KVM_EXIT_MMIO 0 KVM_EXIT_HLT 0 other 0"* ]]
}

@test "exitguest: bad counts are a one-line error, exit 2" {
	for a in "--io x" "--mmio 65536" "--vcpus 0" "--vcpus 17" "--hlt -1"; do
		# shellcheck disable=SC2086 # option and value
		run "$EXITGUEST" $a
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ ${lines[0]} == "exitguest: invalid count"* ]]
	done
}

@test "exitguest: its counts equal kvm:kvm_userspace_exit's, counted by bpftrace per vCPU thread" {
	have_tool bpftrace || skip "bpftrace not installed"
	[ -d /sys/kernel/tracing/events/kvm ] || in_mntns --tracefs test -d /sys/kernel/tracing/events/kvm ||
		skip "no kvm tracepoints on this kernel"
	bt=$BATS_TEST_TMPDIR/bt
	# the threads are named "vcpu N"; reasons 2 KVM_EXIT_IO, 5 KVM_EXIT_HLT, 6 KVM_EXIT_MMIO
	in_mntns --tracefs bpftrace -e 'BEGIN { printf("ready\n"); } tracepoint:kvm:kvm_userspace_exit /comm == "vcpu 0" || comm == "vcpu 1"/ { @[comm, args->reason] = count(); }' \
		>"$bt" 2>&1 &
	# BEGIN runs once every probe is attached
	for _ in $(seq 300); do grep -q '^ready' "$bt" && break; sleep 0.1; done
	grep -q '^ready' "$bt"
	# $! is the shell that runs in_mntns; the signal goes to bpftrace itself
	btpid=$(pgrep -n -x bpftrace)
	[ -n "$btpid" ]
	run "$EXITGUEST" --io 23 --mmio 11 --hlt 7 --vcpus 2
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out"
	# SIGTERM: a background job ignores SIGINT; bpftrace prints its maps on either
	kill -TERM "$btpid"
	# it prints its maps at exit
	for _ in $(seq 100); do kill -0 "$btpid" 2>/dev/null || break; sleep 0.1; done
	run ! kill -0 "$btpid"
	for v in 0 1; do
		for r in "2 KVM_EXIT_IO" "5 KVM_EXIT_HLT" "6 KVM_EXIT_MMIO"; do
			want=$(field "$BATS_TEST_TMPDIR/out" $v "${r#* }")
			got=$(sed -n "s/^@\[vcpu $v, ${r%% *}\]: //p" "$bt")
			echo "# vcpu $v ${r#* }: exitguest $want, bpftrace $got" >&3
			[ -n "$want" ] && [ "$want" = "$got" ]
		done
	done
}
