#!/usr/bin/env bats
# pvtrace latency --vhost: the ioctls of a vhost driver whose every call is known (vhostdrv:
# vhost-net with a tap backend, and vhost-vdpa on vdpa_sim_net where the kernel has the
# simulator), per command exactly, and equal to strace's count of the same calls; --device,
# outputs, cleanup, errors. scripts/guest-tests.sh runs it in Debian's 6.12 once per attach
# mode (PVTRACE_MODE) and in the project's kernel, which has vdpa_sim_net.

bats_require_minimum_version 1.5.0
load helpers

VHOSTDRV=$BUILD/tests/vhostdrv

setup() {
	need_root
}

teardown() {
	reap_pvtrace
}

# modprobe inside a guest whose modules are not under /lib/modules (scripts/guest-init.sh)
gmodprobe() {
	modprobe ${PVTRACE_GUEST_MODROOT:+-d "$PVTRACE_GUEST_MODROOT"} "$@" 2>/dev/null
}

need_vhost_net() {
	[ -c /dev/vhost-net ] || gmodprobe vhost_net || true
	[ -c /dev/net/tun ] || gmodprobe tun || true
	if [ ! -c /dev/vhost-net ] || [ ! -c /dev/net/tun ]; then
		skip "no vhost_net or tun in $(uname -r); these checks run in the qemu guests (scripts/guest-tests.sh)"
	fi
}

# /dev/vhost-vdpa-N of a vdpa_sim_net device made here (iproute2's vdpa); sets VDPA_DEV
need_vdpa_sim() {
	gmodprobe vhost_vdpa || true
	gmodprobe vdpa_sim_net || true
	have_tool vdpa || skip "no vdpa tool (iproute2)"
	vdpa mgmtdev show 2>/dev/null | grep -q vdpasim_net ||
		skip "no vdpa_sim_net in $(uname -r) (Debian's 6.12 has no VDPA_SIM): runs in the project kernel's guest"
	vdpa dev show pvt0 >/dev/null 2>&1 || vdpa dev add name pvt0 mgmtdev vdpasim_net
	VDPA_DEV=
	for _ in $(seq 1 50); do
		VDPA_DEV=$(find /sys/bus/vdpa/devices/pvt0/ -maxdepth 1 -name 'vhost-vdpa-*' -printf '/dev/%f\n' | head -n 1)
		[ -n "$VDPA_DEV" ] && [ -c "$VDPA_DEV" ] && return 0
		sleep 0.1
	done
	echo "pvt0 has no vhost-vdpa device node" >&2
	return 1
}

# strace's count of the ioctls named NAME in FILE (strace decodes the VHOST_* names)
strace_count() {
	grep -c "ioctl([0-9]*, $2[,)]" "$1" || true
}

# vhostdrv's own count of NAME
drv_count() {
	awk -v n="$2" '$1 == "ioctl" && $2 == n { print $3 }' "$1"
}

# pvtrace's count for NAME on DEVICE in its last JSON document
pv_count() {
	tail -n 1 "$1" | jq --arg n "$2" --arg d "$3" \
		'[.ioctls[] | select(.command == $n and .device == $d) | .histogram.count] | add // 0'
}

# check_counts DEV DEVICE: vhostdrv on DEV under strace while pvtrace traces; every command's
# count equals vhostdrv's and strace's, and nothing else of vhostdrv's is in the report
check_counts() {
	local drv=$BATS_TEST_TMPDIR/drv.out st=$BATS_TEST_TMPDIR/strace.out n name want got sc
	start_pvtrace latency --vhost --per-pid --json $(mode_args)
	strace -f -qq -e trace=ioctl -o "$st" "$VHOSTDRV" --dev "$1" --packets 6 --repeat 9 >"$drv"
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	cat "$drv"
	n=0
	while read -r _ name want; do
		got=$(pv_count "$PV_OUT" "$name" "$2")
		sc=$(strace_count "$st" "$name")
		echo "$name: vhostdrv $want, pvtrace $got, strace $sc"
		[ "$got" -eq "$want" ]
		[ "$sc" -eq "$want" ]
		n=$((n + 1))
	done < <(grep '^ioctl ' "$drv")
	[ "$n" -ge 9 ]
	# GET_FEATURES: the 9 of --repeat and the driver's own
	[ "$(pv_count "$PV_OUT" VHOST_GET_FEATURES "$2")" -eq 10 ]
	# every series of vhostdrv's process is one of its commands
	tail -n 1 "$PV_OUT" | jq -e --arg d "$2" '[.ioctls[] | select(.comm == "vhostdrv")] | length > 0 and all(.device == $d and .subsystem == "vhost" and .known)'
	grep -q "^vq 1 kicks 6 calls 6 used 6$" "$drv"
}

@test "latency --vhost: vhost-net ioctls per command equal vhostdrv's and strace's counts" {
	need_vhost_net
	check_counts /dev/vhost-net vhost-net
}

@test "latency --vhost: vhost-vdpa ioctls on vdpa_sim_net equal vhostdrv's and strace's counts" {
	need_vdpa_sim
	check_counts "$VDPA_DEV" "${VDPA_DEV#/dev/}"
	grep -q "^vq 0 kicks 1 calls 6 used 6$" "$BATS_TEST_TMPDIR/drv.out"
}

@test "latency --vhost: --device keeps one device; text names it; the textfile passes promtool" {
	need_vhost_net
	prom=$BATS_TEST_TMPDIR/vhost.prom
	start_pvtrace latency --vhost --device vhost-vsock --json $(mode_args)
	"$VHOSTDRV" --dev /dev/vhost-net --packets 2 --repeat 3 >/dev/null
	stop_pvtrace TERM
	[ "$PV_RC" -eq 0 ]
	[ "$(tail -n 1 "$PV_OUT" | jq '.ioctls | length')" -eq 0 ]
	start_pvtrace latency --vhost --device vhost-net --prom "$prom" --prom-keep $(mode_args)
	"$VHOSTDRV" --dev /dev/vhost-net --packets 2 --repeat 3 >/dev/null
	stop_pvtrace TERM
	[ "$PV_RC" -eq 0 ]
	grep -q '^VHOST_GET_FEATURES (0x8008af00)  device vhost-net$' "$PV_OUT"
	grep -A1 '^VHOST_GET_FEATURES' "$PV_OUT" | grep -q '^  count 4 '
	if have_tool promtool; then promtool check metrics <"$prom"; fi
	grep -q '^pvtrace_vhost_ioctl_duration_seconds_count{command="VHOST_SET_OWNER",cmd="0x0000af01",device="vhost-net"} 1$' "$prom"
	run ! grep -q pvtrace_kvm_vcpu_ioctl_duration_seconds "$prom"
}

@test "latency --vhost: no BPF program, link or map remains after SIGINT, SIGTERM, SIGHUP, SIGKILL" {
	need_vhost_net
	[ -z "$(our_bpf_objects)" ] || skip "pvtrace objects already loaded by someone else"
	for sig in INT TERM HUP KILL; do
		start_pvtrace latency --vhost $(mode_args)
		our_bpf_objects | grep -qE '^prog [0-9]+ (fentry_vhost_|kprobe_vhost_io|tp_enter_ioctl)'
		stop_pvtrace $sig
		left=$(our_bpf_objects_settled)
		echo "after SIG$sig: ${left:-nothing left}"
		[ -z "$left" ]
		if [ $sig != KILL ]; then [ "$PV_RC" -eq 0 ]; fi
	done
}

@test "latency --vhost: a kernel without vhost drivers is a one-line error naming them" {
	grep -qE ' (vhost_net_ioctl|vhost_vdpa_unlocked_ioctl|vhost_vsock_dev_ioctl|vhost_scsi_ioctl)([[:space:]]|$)' /proc/kallsyms &&
		skip "this kernel has a vhost driver loaded"
	run "$PVTRACE" latency --vhost -d 1
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == *"no vhost driver in this kernel (none of vhost_net, vhost_vdpa, vhost_vsock, vhost_scsi is loaded)"* ]]
}

@test "latency --vhost: bad input is a one-line error and exit status 2" {
	for args in "--device vhost-net --ioctl" "--vhost --per-vcpu" "--vhost --workload" \
		"--vhost --device" "--vhost --device ''" "--vhost -p 0" "--vhost 1 0"; do
		# shellcheck disable=SC2086
		eval run "$PVTRACE" latency $args
		echo "args '$args': status $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ ${lines[0]} == pvtrace* ]]
	done
}
