#!/usr/bin/env bats
# Faults and hostile conditions of issue 9, each reproduced here and checked fixed.

load helpers

setup() {
	need_root
}

# Commands that attach on this kernel without /dev/kvm guests: the tracepoint mode of
# latency --ioctl needs KVM loaded (kallsyms has kvm_vcpu_ioctl) and syscall tracepoints.
need_tracepoint() {
	[ -e /sys/module/kvm ] || skip "KVM not loaded: latency --ioctl cannot attach"
	[ -d /sys/kernel/btf ] || skip "no kernel BTF"
}

@test "SIGQUIT detaches like SIGTERM: final report, exit 0, nothing left loaded" {
	need_tracepoint
	start_pvtrace latency --ioctl --json $(mode_args)
	ids=$(bpf_ids_of "$PV_PID")
	echo "$ids"
	grep -q '^prog ' <<<"$ids"
	stop_pvtrace QUIT
	echo "status $PV_RC"
	[ "$PV_RC" -eq 0 ]
	jq -e '.final == true' "$PV_OUT" >/dev/null
	for _ in $(seq 1 50); do
		[ -z "$(bpf_ids_left "$ids")" ] && break
		sleep 0.1
	done
	[ -z "$(bpf_ids_left "$ids")" ]
}
