#!/usr/bin/env bats
# pvtrace latency --vhost and pvtrace vhost against a vhost driver whose every call is known
# (vhostdrv: vhost-net with a tap backend, and vhost-vdpa on vdpa_sim_net where the kernel has
# the simulator): ioctls per command exactly, and equal to strace's count of the same calls;
# kicks and calls per vq equal to the driver's own writes and its call eventfds' counters;
# filters, outputs, cleanup, errors. scripts/guest-tests.sh runs it in Debian's 6.12 once
# per attach mode (PVTRACE_MODE) and in the project's kernel, which has vdpa_sim_net.

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

# --- pvtrace vhost: kicks and calls per vq

# pvtrace vhost attaches with fentry or kprobes only
need_vq_mode() {
	if [ "${PVTRACE_MODE:-}" = tracepoint ]; then
		skip "pvtrace vhost has no tracepoint mode (no tracepoints on vhost kicks and calls; its error is tested below)"
	fi
}

# pvtrace vhost's FIELD for vq V of DEVICE in its last JSON document
vq_field() {
	tail -n 1 "$1" | jq --arg d "$2" --argjson v "$3" -r \
		'[.vqs[] | select(.device == $d and .vq == $v)] | if length == 1 then .[0]'"$4"' else "missing" end'
}

# check_vqs DEV DEVICE PACKETS: vhostdrv's kicks and calls per vq are pvtrace's, exactly
check_vqs() {
	local drv=$BATS_TEST_TMPDIR/drv.out vq kicks calls k2c
	start_pvtrace vhost --json $(mode_args)
	"$VHOSTDRV" --dev "$1" --packets "$3" >"$drv"
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	cat "$drv"
	tail -n 1 "$PV_OUT" | jq -c '.vqs[]'
	while read -r _ vq _ kicks _ calls _; do
		echo "vq $vq: vhostdrv kicks $kicks calls $calls; pvtrace $(vq_field "$PV_OUT" "$2" "$vq" .kicks) $(vq_field "$PV_OUT" "$2" "$vq" .calls)"
		[ "$(vq_field "$PV_OUT" "$2" "$vq" .kicks)" = "$kicks" ]
		[ "$(vq_field "$PV_OUT" "$2" "$vq" .calls)" = "$calls" ]
		[ "$(vq_field "$PV_OUT" "$2" "$vq" .comm)" = vhostdrv ]
		# a kick-to-call time for at most every call, at least one where both happened
		k2c=$(vq_field "$PV_OUT" "$2" "$vq" .kick_to_call.count)
		[ "$k2c" -le "$calls" ]
		if [ "$kicks" -gt 0 ] && [ "$calls" -gt 0 ]; then [ "$k2c" -ge 1 ]; fi
	done < <(grep '^vq ' "$drv")
	# the TX vq: one kick and one call per frame
	grep -q "^vq 1 kicks $3 calls $3 used $3$" "$drv"
}

@test "vhost: vhost-net kicks and calls per vq equal vhostdrv's writes and call eventfd counts" {
	need_vq_mode
	need_vhost_net
	check_vqs /dev/vhost-net vhost-net 7
	[ "$(vq_field "$PV_OUT" vhost-net 1 .role)" = tx ]
	[ "$(vq_field "$PV_OUT" vhost-net 1 .handler)" = handle_tx_kick ]
	[ "$(vq_field "$PV_OUT" vhost-net 0 .role)" = rx ]
}

@test "vhost: vhost-vdpa kicks and calls per vq on vdpa_sim_net equal vhostdrv's" {
	need_vq_mode
	need_vdpa_sim
	check_vqs "$VDPA_DEV" "${VDPA_DEV#/dev/}" 9
	# RX: one kick for every buffer, a call for each frame looped back
	grep -q "^vq 0 kicks 1 calls 9 used 9$" "$BATS_TEST_TMPDIR/drv.out"
	[ "$(vq_field "$PV_OUT" "${VDPA_DEV#/dev/}" 0 .kind)" = vdpa ]
}

# check_guest DEV DEVICE: vhostdrv --guest direct, then --guest relay (a KVM guest's port
# writes through a KVM ioeventfd are TX's kicks; every vq's calls go to a KVM irqfd); pvtrace's
# direct and relayed kicks and calls per vq equal what vhostdrv's guest and relay thread did
check_guest() {
	local drv=$BATS_TEST_TMPDIR/guest.out prom=$BATS_TEST_TMPDIR/guest.prom n=7 mode v k c s
	for mode in direct relay; do
		start_pvtrace vhost --json --prom "$prom" --prom-keep $(mode_args)
		"$VHOSTDRV" --dev "$1" --packets $n --guest $mode >"$drv"
		stop_pvtrace INT
		[ "$PV_RC" -eq 0 ]
		cat "$drv"
		tail -n 1 "$PV_OUT" | jq -c '.vqs[] | {device, vq, kicks, calls, g: .guest | {direct_kicks, relayed_kicks, kr: .kick_relay.count, direct_calls, relayed_calls, cr: .call_relay.count}}'
		[ "$(tail -n 1 "$PV_OUT" | jq .relay_followed)" = true ]
		# the guest wrote its notify port once per frame, and the ioeventfd signalled each
		grep -qx "guest $mode notifies $n" "$drv"
		while read -r _ _ _ v _ k _ c _ s; do
			if [ "$mode" = direct ]; then
				# the ioeventfd is the kick eventfd, the irqfds are the call eventfds
				[ "$(vq_field "$PV_OUT" "$2" "$v" .guest.direct_kicks)" = "$k" ]
				[ "$(vq_field "$PV_OUT" "$2" "$v" .guest.relayed_kicks)" = 0 ]
				[ "$(vq_field "$PV_OUT" "$2" "$v" .guest.relayed_calls)" = 0 ]
				c=$(vq_field "$PV_OUT" "$2" "$v" .calls)
				[ "$(vq_field "$PV_OUT" "$2" "$v" .guest.direct_calls)" = "$c" ]
			else
				# each relayed kick and call is one of the relay thread's writes; the
				# calls vhost signalled are the counts the relay read
				[ "$(vq_field "$PV_OUT" "$2" "$v" .guest.relayed_kicks)" = "$k" ]
				[ "$(vq_field "$PV_OUT" "$2" "$v" .guest.kick_relay.count)" = "$k" ]
				[ "$(vq_field "$PV_OUT" "$2" "$v" .guest.direct_kicks)" = 0 ]
				[ "$(vq_field "$PV_OUT" "$2" "$v" .guest.relayed_calls)" = "$c" ]
				[ "$(vq_field "$PV_OUT" "$2" "$v" .guest.call_relay.count)" = "$c" ]
				[ "$(vq_field "$PV_OUT" "$2" "$v" .guest.direct_calls)" = 0 ]
				[ "$(vq_field "$PV_OUT" "$2" "$v" .calls)" = "$s" ]
				grep -qE '^pvtrace_vhost_guest_relayed_calls_total\{device="'"$2"'",vq="'"$v"'",.*\} '"$c"'$' "$prom"
			fi
		done < <(grep "^guest $mode vq " "$drv")
		# TX: every frame's kick came from the guest, and its call went back to it
		[ "$(vq_field "$PV_OUT" "$2" 1 .kicks)" = $n ]
		[ "$(vq_field "$PV_OUT" "$2" 1 .calls)" = $n ]
		if [ "$mode" = direct ]; then
			[ "$(vq_field "$PV_OUT" "$2" 1 .guest.direct_calls)" = $n ]
		else
			grep -qx "guest relay vq 1 kicks $n calls $n signals $n" "$drv"
			# a relay takes time: the relayed kicks' and calls' times are > 0 and < 1 s
			[ "$(vq_field "$PV_OUT" "$2" 1 .guest.kick_relay.min)" -gt 0 ]
			[ "$(vq_field "$PV_OUT" "$2" 1 .guest.kick_relay.max)" -lt 1000000000 ]
			[ "$(vq_field "$PV_OUT" "$2" 1 .guest.call_relay.min)" -gt 0 ]
			[ "$(vq_field "$PV_OUT" "$2" 1 .guest.call_relay.max)" -lt 1000000000 ]
			grep -qE '^pvtrace_vhost_guest_relayed_kicks_total\{device="'"$2"'",vq="1",.*\} '"$n"'$' "$prom"
			grep -qE '^pvtrace_vhost_kick_relay_seconds_count\{device="'"$2"'",vq="1",.*\} '"$n"'$' "$prom"
		fi
		if have_tool promtool; then promtool check metrics <"$prom"; fi
	done
	# the text report's guest table, relayed
	start_pvtrace vhost $(mode_args)
	"$VHOSTDRV" --dev "$1" --packets $n --guest relay >"$drv"
	stop_pvtrace INT
	cat "$PV_OUT"
	grep -qE "^$2 +1 +0 +$n +[0-9.]+ [mun]?s +[0-9.]+ [mun]?s +0 +$n " "$PV_OUT"
}

@test "vhost: vhost-net guest kicks and calls, direct and relayed, equal vhostdrv's guest" {
	need_vq_mode
	need_vhost_net
	need_kvm
	check_guest /dev/vhost-net vhost-net
}

@test "vhost: vhost-vdpa guest kicks and calls, direct and relayed, equal vhostdrv's guest" {
	need_vq_mode
	need_vdpa_sim
	need_kvm
	check_guest "$VDPA_DEV" "${VDPA_DEV#/dev/}"
}

@test "vhost: vhost-net dirty logging: writes, bytes and pages equal vhostdrv's received buffers" {
	need_vq_mode
	need_vhost_net
	gmodprobe af_packet || true # vhostdrv sends into the tap through AF_PACKET
	local drv=$BATS_TEST_TMPDIR/drv.out prom=$BATS_TEST_TMPDIR/log.prom w b p bits
	start_pvtrace vhost --json --prom "$prom" --prom-keep $(mode_args)
	"$VHOSTDRV" --dev /dev/vhost-net --packets 8 --log >"$drv"
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	cat "$drv"
	tail -n 1 "$PV_OUT" | jq -c '.vqs[] | {device, vq, role, dirty_log}'
	read -r _ _ w _ b _ p _ bits < <(grep '^log writes ' "$drv")
	grep -q '^ioctl VHOST_SET_LOG_BASE 1$' "$drv"
	# every frame sent was received (a frame of the guest kernel's own may come too)
	[ "$w" -ge 8 ]
	[ "$(vq_field "$PV_OUT" vhost-net 0 .dirty_log.writes)" = "$w" ]
	[ "$(vq_field "$PV_OUT" vhost-net 0 .dirty_log.bytes)" = "$b" ]
	[ "$(vq_field "$PV_OUT" vhost-net 0 .dirty_log.pages)" = "$p" ]
	# TX writes no guest memory: nothing logged there
	[ "$(vq_field "$PV_OUT" vhost-net 1 .dirty_log.writes)" = 0 ]
	# the kernel's own bitmap: the pages pvtrace counted, each set once
	[ "$bits" -ge 1 ]
	[ "$bits" -le "$p" ]
	if [ "$w" -eq 8 ]; then
		# 64-byte frames after tap's 10-byte header, in 2 KiB buffers: 4 pages
		[ "$b" -eq $((8 * 74)) ]
		[ "$p" -eq 8 ]
		[ "$bits" -eq 4 ]
	fi
	[ "$(tail -n 1 "$PV_OUT" | jq .dropped.log_pages_undercounted)" -eq 0 ]
	grep -qE '^pvtrace_vhost_log_bytes_total\{device="vhost-net",vq="0",role="rx",.*\} '"$b"'$' "$prom"
	grep -qE '^pvtrace_vhost_log_pages_total\{device="vhost-net",vq="0",.*\} '"$p"'$' "$prom"
	if have_tool promtool; then promtool check metrics <"$prom"; fi
	# the text report's table, from a second run of the same job
	start_pvtrace vhost $(mode_args)
	"$VHOSTDRV" --dev /dev/vhost-net --packets 8 --log >"$drv"
	stop_pvtrace INT
	cat "$PV_OUT"
	read -r _ _ w _ b _ p _ < <(grep '^log writes ' "$drv")
	grep -qE "^vhost-net +0 +$w +$b +$p " "$PV_OUT"
}

@test "vhost: -p and --device keep their own; interval reports add up to the run" {
	need_vq_mode
	need_vhost_net
	start_pvtrace vhost -p $$ --json $(mode_args)
	"$VHOSTDRV" --dev /dev/vhost-net --packets 3 >/dev/null
	stop_pvtrace TERM
	[ "$PV_RC" -eq 0 ]
	[ "$(tail -n 1 "$PV_OUT" | jq '.vqs | length')" -eq 0 ]
	start_pvtrace vhost --device vhost-vsock --json $(mode_args)
	"$VHOSTDRV" --dev /dev/vhost-net --packets 3 >/dev/null
	stop_pvtrace TERM
	[ "$(tail -n 1 "$PV_OUT" | jq '.vqs | length')" -eq 0 ]
	start_pvtrace vhost --device vhost-net --json 1 $(mode_args)
	for _ in 1 2 3; do "$VHOSTDRV" --dev /dev/vhost-net --packets 4 >/dev/null; sleep 1.1; done
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	# three drivers, three devices (the process exits: its vqs leave after their report)
	[ "$(jq -s '[.[].vqs[] | select(.vq == 1) | .kicks] | add' "$PV_OUT")" -eq 12 ]
	[ "$(jq -s '[.[].vqs[] | select(.vq == 1) | .calls] | add' "$PV_OUT")" -eq 12 ]
	[ "$(jq -s '[.[] | select(.cumulative)] | length' "$PV_OUT")" -eq 0 ]
}

@test "vhost: text table and the textfile (promtool) show the same counts" {
	need_vq_mode
	need_vhost_net
	prom=$BATS_TEST_TMPDIR/vhost.prom
	start_pvtrace vhost --hist --prom "$prom" --prom-keep $(mode_args)
	"$VHOSTDRV" --dev /dev/vhost-net --packets 5 >/dev/null
	stop_pvtrace TERM
	[ "$PV_RC" -eq 0 ]
	cat "$PV_OUT"
	grep -qE '^vhost-net +1 tx +[0-9]+ vhostdrv +vhostdrv/[0-9]+ +5 +5 ' "$PV_OUT"
	grep -q '^  kick to call, vhost-net vq 1:' "$PV_OUT"
	if have_tool promtool; then promtool check metrics <"$prom"; fi
	grep -qE '^pvtrace_vhost_kicks_total\{device="vhost-net",vq="1",role="tx",pid="[0-9]+",comm="vhostdrv",vm="vhostdrv/[0-9]+"\} 5$' "$prom"
	grep -qE '^pvtrace_vhost_calls_total\{device="vhost-net",vq="1",.*\} 5$' "$prom"
	grep -q '^pvtrace_vhost_kick_to_call_seconds_count{device="vhost-net",vq="1"' "$prom"
}

@test "vhost: no BPF program, link or map remains after SIGINT, SIGTERM, SIGHUP, SIGKILL" {
	need_vq_mode
	need_vhost_net
	[ -z "$(our_bpf_objects)" ] || skip "pvtrace objects already loaded by someone else"
	for sig in INT TERM HUP KILL; do
		start_pvtrace vhost $(mode_args)
		our_bpf_objects | grep -qE '^prog [0-9]+ (fentry_vhost_w|kprobe_vhost_w)'
		stop_pvtrace $sig
		left=$(our_bpf_objects_settled)
		echo "after SIG$sig: ${left:-nothing left}"
		[ -z "$left" ]
		if [ $sig != KILL ]; then [ "$PV_RC" -eq 0 ]; fi
	done
}

@test "vhost: no vhost module, or tracepoint mode, is a one-line error saying why" {
	run "$PVTRACE" vhost --mode tracepoint -d 1
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	if grep -qE ' vhost_poll_wakeup([[:space:]]|$)' /proc/kallsyms; then
		[[ ${lines[0]} == *"mode tracepoint is not available here: tracepoint: no tracepoint"* ]]
	else
		[[ ${lines[0]} == *"vhost is not loaded (no vhost_poll_wakeup in /proc/kallsyms)"* ]]
	fi
}

@test "vhost: bad input is a one-line error and exit status 2" {
	for args in "--max-vqs 0" "--max-vqs x" "--device" "--device ''" "--vm" "-p 0" "-p abc" \
		"1 0" "1 2 3" "--bogus" "-d 10q" "--mode bogus" "-p 999999999"; do
		# shellcheck disable=SC2086
		eval run "$PVTRACE" vhost $args
		echo "args '$args': status $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ ${lines[0]} == pvtrace* ]]
	done
}
