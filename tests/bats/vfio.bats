#!/usr/bin/env bats
# pvtrace vfio: device requests during an unbind, release latency, blocked task, holder.
# The device tests need vfio-pci and QEMU's edu device (1234:11e8): scripts/guest-tests.sh
# runs this file in Debian's 6.12 kernel under qemu (scripts/guest.sh --vfio) once per
# attach mode (PVTRACE_MODE). On other kernels they skip, and the "cannot trace" test runs.
#
# Timing. pvtrace's timestamps (bpf_ktime_get_ns) and vfioreq's (CLOCK_MONOTONIC) are the
# same clock, so causal order is checked exactly: the kernel sends a request before vfioreq
# sees it, the release lies between the start and the end of vfioreq's close(), the
# unregistering task is unblocked after the release. Tolerances (qemu TCG: an emulated
# CPU, one vCPU shared by pvtrace, vfioreq and bash, on a host busy with other builds):
# - TOL_MS (50 ms): the wake-up lag from the kernel's request to vfioreq's eventfd read;
#   measured 1-25 ms.
# - DELAY_SLACK_MS (150 ms): request-to-release minus vfioreq's delay = wake-up lag +
#   nanosleep overshoot + close() (vfio-pci resets the device and tears down its IOMMU
#   mapping): measured 13-57 ms.
# - UNBIND_SLACK_MS (500 ms), loose: (a) release -> the unregistering task's return: on
#   one vCPU vfioreq usually runs on first, finishing close() and closing its group and
#   container (emulated-IOMMU teardown); measured 5-144 ms. (b) the unbind write's own
#   duration minus the blocked time (driver core and IOMMU work around
#   vfio_unregister_group_dev, bash): measured 28-187 ms.
# - The kernel re-sends a request after HZ * 10 jiffies; the timer wheel rounds a
#   2500-jiffy timeout up to its 64-jiffy granularity (256 ms at Debian's HZ=250), and it
#   may start one jiffy (4 ms) into the current tick.

bats_require_minimum_version 1.5.0

load helpers

VFIOREQ=${VFIOREQ:-$REPO/build/tests/vfioreq}
# our vfio BPF program names, added to those helpers.bash looks for (its leading '^' is
# dropped: our_bpf_objects puts the pattern after "^prog N ", where it cannot match)
VFIO_PROGS='vfio_(unreg|unreg_ret|unreg_kp|unreg_krp|put_reg|put_reg_kp|req[0-7]|req[0-7]_kp)$'
PVTRACE_PROGS="${PVTRACE_PROGS#^}"
PVTRACE_PROGS="${PVTRACE_PROGS%)}|$VFIO_PROGS)"
TOL_MS=${PVTRACE_VFIO_TOL_MS:-50}
TOL=$((TOL_MS * 1000000))
DELAY_SLACK=$((${PVTRACE_VFIO_DELAY_SLACK_MS:-150} * 1000000))
UNBIND_SLACK=$((${PVTRACE_VFIO_UNBIND_SLACK_MS:-500} * 1000000))
JIFFY=4000000
REREQ_MIN=$((10000000000 - JIFFY))
REREQ_MAX=$((10000000000 + 64 * JIFFY + TOL))
DELAY_MS=300
DELAY=$((DELAY_MS * 1000000))
DRV=/sys/bus/pci/drivers/vfio-pci

setup() {
	need_root
}

teardown() {
	if [ -n "${VR_PID:-}" ]; then kill -KILL "$VR_PID" 2>/dev/null || true; fi
	if [ -n "${UNB_PID:-}" ]; then wait "$UNB_PID" 2>/dev/null || true; fi
	if [ -n "${PV_PID:-}" ]; then
		kill -KILL "$PV_PID" 2>/dev/null || true
		wait "$PV_PID" 2>/dev/null || true
	fi
	if [ -n "${BDF:-}" ]; then bind_edu || true; fi
	if [ -n "${NE_PID:-}" ]; then kill "$NE_PID" 2>/dev/null || true; fi
	if [ -n "${LAT_PID:-}" ]; then kill -KILL "$LAT_PID" 2>/dev/null || true; fi
}

# figures for the log: TAP comment lines
note() {
	echo "# $*" >&3
}

edu_bdf() {
	local d
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ]; then
			basename "$d"
			return
		fi
	done
}

# (Re)bind the edu device to vfio-pci and wait for its group node.
bind_edu() {
	local group
	echo 1234 11e8 >"$DRV/new_id" 2>/dev/null || true
	[ -e "/sys/bus/pci/devices/$BDF/driver" ] || echo "$BDF" >"$DRV/bind"
	[ "$(basename "$(readlink "/sys/bus/pci/devices/$BDF/driver")")" = vfio-pci ]
	group=$(basename "$(readlink "/sys/bus/pci/devices/$BDF/iommu_group")")
	for _ in $(seq 1 50); do
		[ -c "/dev/vfio/$group" ] && return 0
		sleep 0.1
	done
	return 1
}

need_vfio() {
	[ -d "$DRV" ] || skip "no vfio-pci on this kernel ($(uname -r)); these run in the qemu guest (scripts/guest.sh --vfio)"
	BDF=$(edu_bdf)
	[ -n "$BDF" ] || skip "no QEMU edu device (1234:11e8) to bind to vfio-pci"
	bind_edu
}

# start_vfioreq ARGS...: hold the device; sets VR_PID, VR_OUT.
start_vfioreq() {
	VR_OUT=$BATS_TEST_TMPDIR/vfioreq.out
	"$VFIOREQ" --bdf "$BDF" --timeout 60 "$@" >"$VR_OUT" 2>"$VR_OUT.err" &
	VR_PID=$!
	for _ in $(seq 1 100); do
		grep -q '^ready' "$VR_OUT" && return 0
		kill -0 "$VR_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$VR_OUT.err" >&2
	return 1
}

# start_unbind: unbind in the background (it blocks while the device is held);
# the subshell is the unbinding task. Sets UNB_PID, UNB_OUT ("start end" in us).
start_unbind() {
	UNB_OUT=$BATS_TEST_TMPDIR/unbind.out
	(
		s=$EPOCHREALTIME
		echo "$BDF" >"$DRV/unbind"
		e=$EPOCHREALTIME
		echo "${s/./} ${e/./}" >"$UNB_OUT"
	) &
	UNB_PID=$!
}

wait_unbind() {
	wait "$UNB_PID"
	UNB_PID=
	read -r UNB_START UNB_END <"$UNB_OUT"
	UNB_NS=$(((UNB_END - UNB_START) * 1000))
}

# vr EVENT [N]: vfioreq's timestamp of its Nth (from 1) EVENT line
vr() {
	awk -v e="$1" -v n="${2:-1}" '$1 == e && ++k == n { print $2 }' "$VR_OUT"
}

# pv_events EVENT: pvtrace's JSON events of that kind, one per line
pv_events() {
	jq -c --arg e "$1" 'select(.kind == "event" and .event == $e)' "$PV_OUT"
}

# pv_dev: the device's entry in pvtrace's last report
pv_dev() {
	jq -c 'select(.kind == "report")' "$PV_OUT" | tail -n 1 |
		jq -c --arg d "$BDF" '.devices[] | select(.device == $d)'
}

# within NAME VALUE LOW HIGH
within() {
	echo "$1 = $2, expected in [$3, $4]"
	[ "$2" -ge "$3" ] && [ "$2" -le "$4" ]
}

# check_release REQ_TS SEEN_N: request at REQ_TS (pvtrace), seen by vfioreq as its request
# number SEEN_N; checks the release against vfioreq's clock, sets REL, LAT, VR_LAT.
check_release() {
	local t_req=$1 seen
	seen=$(vr request "$2")
	within "vfioreq's read of the request - pvtrace's request (ns)" $((seen - t_req)) 0 "$TOL"
	REL=$(pv_events release)
	[ "$(grep -c . <<<"$REL")" -eq 1 ]
	t_rel=$(jq .ts_ns <<<"$REL")
	within "release (ns) within vfioreq's close()" "$t_rel" "$(vr close_begin)" "$(vr close_end)"
	LAT=$((t_rel - t_req))
	VR_LAT=$(($(vr close_end) - seen))
	within "pvtrace request-to-release (ns) vs vfioreq's read..close" "$LAT" \
		$(($(vr close_begin) - seen)) $((VR_LAT + TOL))
	within "pvtrace request-to-release - delay (ns)" $((LAT - DELAY)) 0 "$DELAY_SLACK"
}

# check_blocked UNB_PID: the unblocked event against the release and the unbind's duration;
# sets BLOCKED.
check_blocked() {
	local un t_un t_unreg t_rel
	un=$(pv_events unblocked)
	[ "$(grep -c . <<<"$un")" -eq 1 ]
	[ "$(jq .task.pid <<<"$un")" -eq "$1" ]
	[ "$(jq .task.pid <<<"$(pv_events unregister)")" -eq "$1" ]
	BLOCKED=$(jq .blocked_ns <<<"$un")
	t_un=$(jq .ts_ns <<<"$un")
	t_unreg=$(jq .ts_ns <<<"$(pv_events unregister)")
	t_rel=$(jq .ts_ns <<<"$(pv_events release)")
	[ "$BLOCKED" -eq $((t_un - t_unreg)) ]
	within "unblocked - release (ns)" $((t_un - t_rel)) 0 "$UNBIND_SLACK"
	within "unbind duration - blocked (ns)" $((UNB_NS - BLOCKED)) 0 "$UNBIND_SLACK"
}

ms() {
	awk -v n="$1" 'BEGIN { printf "%.3f ms", n / 1e6 }'
}

@test "vfio --help describes the command with examples" {
	run "$PVTRACE" vfio --help
	[ "$status" -eq 0 ]
	[[ $output == *"Usage: pvtrace vfio"* ]]
	[[ $output == *"Examples:"* ]]
	[[ $output == *"--events"* ]]
}

@test "vfio usage errors: one line, exit 2" {
	for args in "--bogus" "--mode tracepoint" "-d 0" "--unit s" "1 2 3" "0" "-D" "--prom /nonexistent/dir/x.prom" "--json 5x"; do
		# shellcheck disable=SC2086
		run "$PVTRACE" vfio $args
		echo "args '$args': status $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
	done
	run "$PVTRACE" vfio -d 1 --json 1 2 3
	[ "$status" -eq 2 ]
}

@test "vfio where it cannot attach: one line saying what is missing, exit 1" {
	if [ -d /sys/module/vfio ] && { [ -e /sys/bus/event_source/devices/kprobe/type ] || [ -e /sys/kernel/tracing/kprobe_events ]; }; then
		skip "vfio is loaded and kprobes exist: traceable here"
	fi
	run "$PVTRACE" vfio -d 1
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == "pvtrace: cannot "* ]]
	if [ ! -d /sys/module/vfio ]; then
		[[ ${lines[0]} == *"no vfio"* || ${lines[0]} == *"vfio is not loaded"* ]]
		[[ ${lines[0]} == *"fentry"* ]]
		[[ ${lines[0]} == *"kprobe"* ]]
	fi
	left=$(our_bpf_objects_settled)
	echo "left: ${left:-nothing}"
	[ -z "$left" ]
}

@test "case 1: release on the first request after ${DELAY_MS} ms: one request, latency = delay" {
	need_vfio
	local prom=$BATS_TEST_TMPDIR/vfio.prom
	start_pvtrace vfio --events --json --prom "$prom" --prom-keep $(mode_args)
	[ -z "${PVTRACE_MODE:-}" ] || grep -q "mode: $PVTRACE_MODE;" "$PV_ERR"
	grep -q 'request hooks: .*vfio_pci_core_request \[vfio_pci_core\]' "$PV_ERR"
	start_vfioreq --delay "$DELAY_MS"
	vrpid=$VR_PID
	start_unbind
	unb=$UNB_PID
	wait "$VR_PID"
	VR_PID=
	wait_unbind
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	cat "$VR_OUT" "$PV_OUT"
	# exactly one request, index 0, with a listener, from the unbinding task
	[ "$(grep -c '^request' "$VR_OUT")" -eq 1 ]
	[ "$(pv_events request | wc -l)" -eq 1 ]
	req=$(pv_events request)
	[ "$(jq .index <<<"$req")" -eq 0 ]
	[ "$(jq -r .listener <<<"$req")" = yes ]
	[ "$(jq -r .hook <<<"$req")" = vfio_pci_core_request ]
	[ "$(jq .task.pid <<<"$req")" -eq "$unb" ]
	[ "$(jq .task.pid <<<"$(pv_events unregister)")" -eq "$unb" ]
	# against vfioreq's clock
	check_release "$(jq .ts_ns <<<"$req")" 1
	[ "$(jq .holder.pid <<<"$REL")" -eq "$vrpid" ]
	[ "$(jq -r .holder.comm <<<"$REL")" = vfioreq ]
	[ "$(jq .requests <<<"$REL")" -eq 1 ]
	[ "$(jq .since_first_request_ns <<<"$REL")" -eq "$LAT" ]
	[ "$(jq .since_last_request_ns <<<"$REL")" -eq "$LAT" ]
	check_blocked "$unb"
	# the summary agrees
	dev=$(pv_dev)
	echo "$dev"
	[ "$(jq .requests <<<"$dev")" -eq 1 ]
	[ "$(jq .requests_listener <<<"$dev")" -eq 1 ]
	[ "$(jq .requests_no_listener <<<"$dev")" -eq 0 ]
	[ "$(jq .last_request_index <<<"$dev")" -eq 0 ]
	[ "$(jq .unregisters <<<"$dev")" -eq 1 ]
	[ "$(jq .releases <<<"$dev")" -eq 1 ]
	[ "$(jq -r .driver <<<"$dev")" = vfio-pci ]
	[ "$(jq .request_to_release.count <<<"$dev")" -eq 1 ]
	[ "$(jq .request_to_release.sum <<<"$dev")" -eq "$LAT" ]
	[ "$(jq .blocked.sum <<<"$dev")" -eq "$BLOCKED" ]
	[ "$(jq .last_unregister.holder.pid <<<"$dev")" -eq "$vrpid" ]
	[ "$(jq .last_unregister.task.pid <<<"$dev")" -eq "$unb" ]
	[ "$(jq .in_progress <<<"$dev")" -eq 0 ]
	# Prometheus textfile
	grep -qx "pvtrace_vfio_requests_total{device=\"$BDF\",driver=\"vfio-pci\",listener=\"yes\"} 1" "$prom"
	grep -qx "pvtrace_vfio_request_to_release_seconds_count{device=\"$BDF\",driver=\"vfio-pci\"} 1" "$prom"
	grep -qx "pvtrace_vfio_unregisters_total{device=\"$BDF\",driver=\"vfio-pci\"} 1" "$prom"
	if command -v promtool >/dev/null; then promtool check metrics <"$prom"; fi
	note "case 1 [${PVTRACE_MODE:-auto}]: requests 1 (index 0, listener yes); request-to-release $(ms "$LAT") (vfioreq read->close end $(ms "$VR_LAT"), delay ${DELAY_MS} ms); blocked $(ms "$BLOCKED") (unbind write took $(ms "$UNB_NS"))"
}

@test "case 2: first request ignored, release on the second: two requests 10 s apart" {
	need_vfio
	start_pvtrace vfio --events --json $(mode_args)
	start_vfioreq --ignore 1 --delay "$DELAY_MS"
	start_unbind
	unb=$UNB_PID
	wait "$VR_PID"
	VR_PID=
	wait_unbind
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	cat "$VR_OUT" "$PV_OUT"
	[ "$(grep -c '^request' "$VR_OUT")" -eq 2 ]
	[ "$(pv_events request | wc -l)" -eq 2 ]
	[ "$(pv_events request | jq -s -c '[.[].index]')" = "[0,1]" ]
	[ "$(pv_events request | jq -s -c '[.[].listener] | unique')" = '["yes"]' ]
	[ "$(pv_events request | jq -s -c '[.[].task.pid] | unique')" = "[$unb]" ]
	t0=$(pv_events request | jq -s '.[0].ts_ns')
	t1=$(pv_events request | jq -s '.[1].ts_ns')
	within "request #1 - request #0 (ns)" $((t1 - t0)) "$REREQ_MIN" "$REREQ_MAX"
	within "vfioreq's read of request #0 - pvtrace's (ns)" $(($(vr request 1) - t0)) 0 "$TOL"
	check_release "$t1" 2
	[ "$(jq .requests <<<"$REL")" -eq 2 ]
	[ "$(jq -r .holder.comm <<<"$REL")" = vfioreq ]
	[ "$(jq .since_last_request_ns <<<"$REL")" -eq "$LAT" ]
	first=$(jq .since_first_request_ns <<<"$REL")
	[ "$first" -eq $((LAT + t1 - t0)) ]
	check_blocked "$unb"
	within "blocked (ns): 10 s + delay" "$BLOCKED" $((REREQ_MIN + DELAY)) \
		$((REREQ_MAX + DELAY + DELAY_SLACK + 2 * TOL))
	dev=$(pv_dev)
	echo "$dev"
	[ "$(jq .requests <<<"$dev")" -eq 2 ]
	[ "$(jq .last_request_index <<<"$dev")" -eq 1 ]
	[ "$(jq .last_unregister.requests <<<"$dev")" -eq 2 ]
	[ "$(jq .last_unregister.task.pid <<<"$dev")" -eq "$unb" ]
	[ "$(jq .last_unregister.blocked_ns <<<"$dev")" -eq "$BLOCKED" ]
	[ "$(jq .last_unregister.release_after_first_request_ns <<<"$dev")" -eq "$first" ]
	[ "$(jq .last_unregister.release_after_last_request_ns <<<"$dev")" -eq "$LAT" ]
	[ "$(jq .request_to_release.count <<<"$dev")" -eq 1 ]
	note "case 2 [${PVTRACE_MODE:-auto}]: requests 2 (index 0, 1), $(ms $((t1 - t0))) apart; release $(ms "$LAT") after request #1 (vfioreq read->close end $(ms "$VR_LAT")), $(ms "$first") after request #0; blocked $(ms "$BLOCKED") (unbind write took $(ms "$UNB_NS"))"
}

@test "case 3: no request eventfd: requests without a listener, release after a delay" {
	need_vfio
	local delay_ms=1000
	start_pvtrace vfio --events --json $(mode_args)
	before=$(dmesg | grep -c "No device request channel registered" || true)
	start_vfioreq --no-eventfd --delay "$delay_ms"
	vrpid=$VR_PID
	start_unbind
	unb=$UNB_PID
	# vfioreq cannot see the request: start its delay once pvtrace has shown it
	for _ in $(seq 1 500); do
		grep -q '"event":"request"' "$PV_OUT" && break
		sleep 0.02
	done
	kill -USR1 "$VR_PID"
	wait "$VR_PID"
	VR_PID=
	wait_unbind
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	cat "$VR_OUT" "$PV_OUT"
	[ "$(pv_events request | wc -l)" -eq 1 ]
	req=$(pv_events request)
	[ "$(jq -r .listener <<<"$req")" = no ]
	[ "$(jq .index <<<"$req")" -eq 0 ]
	[ "$(jq .task.pid <<<"$req")" -eq "$unb" ]
	# the kernel's own words for it
	after=$(dmesg | grep -c "No device request channel registered" || true)
	[ "$after" -eq $((before + 1)) ]
	t_req=$(jq .ts_ns <<<"$req")
	rel=$(pv_events release)
	t_rel=$(jq .ts_ns <<<"$rel")
	within "vfioreq's signal - request (ns)" $(($(vr signal) - t_req)) 0 $((5 * 1000000000))
	within "release (ns) within vfioreq's close()" "$t_rel" "$(vr close_begin)" "$(vr close_end)"
	lat=$(jq .since_first_request_ns <<<"$rel")
	[ "$lat" -eq $((t_rel - t_req)) ]
	# vfioreq closes delay_ms after its signal: compare with its clock
	vr_lat=$(($(vr signal) + delay_ms * 1000000 - t_req))
	within "request-to-release - (vfioreq's signal + delay - request) (ns)" \
		$((lat - vr_lat)) 0 "$DELAY_SLACK"
	[ "$(jq -r .holder.comm <<<"$rel")" = vfioreq ]
	[ "$(jq .holder.pid <<<"$rel")" -eq "$vrpid" ]
	check_blocked "$unb"
	within "blocked - vfioreq's delay (ns)" $((BLOCKED - delay_ms * 1000000)) 0 $((5 * 1000000000))
	dev=$(pv_dev)
	echo "$dev"
	[ "$(jq .requests <<<"$dev")" -eq 1 ]
	[ "$(jq .requests_no_listener <<<"$dev")" -eq 1 ]
	[ "$(jq .requests_listener <<<"$dev")" -eq 0 ]
	[ "$(jq .last_unregister.blocked_ns <<<"$dev")" -eq "$BLOCKED" ]
	note "case 3 [${PVTRACE_MODE:-auto}]: requests 1 (listener no; kernel logged 'No device request channel registered'); release $(ms "$lat") after the request (vfioreq: request->signal+delay $(ms "$vr_lat"), signal->close end $(ms $(($(vr close_end) - $(vr signal))))); blocked $(ms "$BLOCKED") (unbind write took $(ms "$UNB_NS"))"
}

@test "unbind of an unheld device: no request, released by the unbinding task; text events" {
	need_vfio
	start_pvtrace vfio --events --unit us $(mode_args)
	start_unbind
	unb=$UNB_PID
	wait_unbind
	sleep 0.3
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	cat "$PV_OUT"
	grep -Eq "^[0-9]+\.[0-9]{9} $BDF \(vfio-pci\): unregister by .* \(pid $unb tid $unb\)$" "$PV_OUT"
	grep -Eq "^[0-9]+\.[0-9]{9} $BDF \(vfio-pci\): released by .* \(pid $unb tid $unb\), no request needed$" "$PV_OUT"
	grep -Eq "^[0-9]+\.[0-9]{9} $BDF \(vfio-pci\): unblocked .* \(pid $unb\) after [0-9.]+ us, 0 requests$" "$PV_OUT"
	run ! grep -q "request #" "$PV_OUT"
	grep -q "unregisters 1 (0 in progress), requests 0 " "$PV_OUT"
}

@test "--device keeps only that device" {
	need_vfio
	start_pvtrace vfio --json --device 0000:ff:1f.7 $(mode_args)
	start_unbind
	wait_unbind
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	cat "$PV_OUT"
	[ "$(tail -n 1 "$PV_OUT" | jq '.devices | length')" -eq 0 ]
}

@test "blocked unregister shown while in progress; no BPF objects left after SIGINT, SIGTERM, SIGKILL" {
	need_vfio
	for sig in INT TERM KILL; do
		start_pvtrace vfio --json $(mode_args)
		# the checks below can see our objects while they are loaded
		our_bpf_objects | grep -q "^prog [0-9]* vfio_put_reg"
		bpftool -j map show | jq -r '.[].name // empty' | grep -q '^vfio_inflight$'
		start_vfioreq --delay 2000
		start_unbind
		# wait for the request, then stop pvtrace while the unbind is blocked
		for _ in $(seq 1 100); do grep -q '^request' "$VR_OUT" && break; sleep 0.05; done
		stop_pvtrace "$sig"
		echo "SIG$sig: status $PV_RC"
		if [ "$sig" = KILL ]; then
			[ "$PV_RC" -eq 137 ]
		else
			[ "$PV_RC" -eq 0 ]
			dev=$(pv_dev)
			echo "$dev"
			[ "$(jq .in_progress <<<"$dev")" -eq 1 ]
			[ "$(jq .blocked_now.requests <<<"$dev")" -eq 1 ]
			[ "$(jq .unblocked <<<"$dev")" -eq 0 ]
		fi
		PV_PID=
		wait "$VR_PID"
		VR_PID=
		wait_unbind
		bind_edu
		left=$(our_bpf_objects_settled)
		echo "left after SIG$sig: $left"
		[ -z "$left" ]
		maps=$(bpftool -j map show)
		names=$(jq -r '.[].name // empty' <<<"$maps")
		run ! grep -E '^vfio_' <<<"$names"
	done
}

@test "vfio, latency and hooks textfiles in one directory: node_exporter collects all, no error" {
	need_vfio
	dir=$BATS_TEST_TMPDIR/textfiles
	mkdir -p "$dir"
	start_node_exporter "$dir"
	"$PVTRACE" latency --ioctl --prom "$dir/latency.prom" 1 >/dev/null 2>&1 &
	LAT_PID=$!
	"$PVTRACE" hooks --prom "$dir/hooks.prom" >/dev/null
	start_pvtrace vfio --prom "$dir/vfio.prom" 1 $(mode_args)
	start_vfioreq --delay 50
	start_unbind
	wait "$VR_PID"
	VR_PID=
	wait_unbind
	sleep 2.5 # a report of each exporter after the release
	m=$BATS_TEST_TMPDIR/metrics
	curl -sf "$NE_URL" >"$m"
	grep '^pvtrace_' "$m" | cut -c1-160
	node_exporter_errors
	[ -z "$(node_exporter_errors)" ]
	grep -qx 'node_textfile_scrape_error 0' "$m"
	grep -q "^pvtrace_vfio_requests_total{device=\"$BDF\",driver=\"vfio-pci\",listener=\"yes\"} 1$" "$m"
	for f in pvtrace_vfio_dropped_events_total pvtrace_latency_dropped_events_total \
		pvtrace_paravirt_hook_target_info pvtrace_vfio_request_to_release_seconds_count; do
		grep -q "^$f[{ ]" "$m" || { echo "missing family $f"; return 1; }
	done
	for file in latency.prom hooks.prom vfio.prom; do
		[ "$(grep -c "^pvtrace_build_info{.*file=\"$file\"" "$m")" -eq 1 ]
	done
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	kill -INT "$LAT_PID"
	wait "$LAT_PID"
	LAT_PID=
	[ ! -e "$dir/vfio.prom" ]
	[ ! -e "$dir/latency.prom" ]
}
