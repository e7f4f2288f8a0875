#!/usr/bin/env bats
# One textfile directory for every command, collected by Debian's prometheus-node-exporter;
# the textfile writer's failure modes (permissions after dropping capabilities, a full disk,
# kills during a write, a clean exit).

load helpers
bats_require_minimum_version 1.5.0

setup() {
	need_root
	DIR=$BATS_TEST_TMPDIR/textfiles
	mkdir -p "$DIR"
	GO=$BATS_TEST_TMPDIR/go
}

teardown() {
	[ -z "${NE_PID:-}" ] || kill "$NE_PID" 2>/dev/null || true
	[ -z "${PV_PID:-}" ] || kill -9 "$PV_PID" 2>/dev/null || true
	if [ -n "${SMALL:-}" ] && mountpoint -q "$SMALL"; then umount "$SMALL"; fi
}

@test "latency, hooks --steal and hooks share one node_exporter directory without errors" {
	need_kvm
	start_node_exporter "$DIR"
	start_pvtrace latency --ioctl --per-vcpu --prom "$DIR/latency.prom" 1 $(mode_args)
	lat_pid=$PV_PID lat_err=$PV_ERR
	"$PVTRACE" hooks --steal --prom "$DIR/steal.prom" 1 >/dev/null 2>"$BATS_TEST_TMPDIR/steal.err" &
	steal_pid=$!
	"$PVTRACE" hooks --prom "$DIR/hooks.prom" >/dev/null
	# a VM that lives while it is scraped (an exited one's series leave after one report)
	"$REPO/build/tests/vmident" --vcpus 2 --count 123 --hold-file "$BATS_TEST_TMPDIR/hold" \
		-- -name guest=scraped >"$BATS_TEST_TMPDIR/vm.out" &
	vm=$!
	for _ in $(seq 1 100); do [ -s "$BATS_TEST_TMPDIR/vm.out" ] && break; sleep 0.1; done
	sleep 2.5 # a report of each running exporter after the workload
	m=$BATS_TEST_TMPDIR/metrics
	for _ in 1 2 3; do curl -sf "$NE_URL" >"$m"; sleep 0.3; done
	grep '^pvtrace_' "$m" | cut -c1-160
	# node_exporter merged every file: no error in its log, no scrape error
	[ -z "$(node_exporter_errors)" ]
	grep -qx 'node_textfile_scrape_error 0' "$m"
	# every family of every command is there, and one build_info per file
	for f in pvtrace_build_info pvtrace_last_report_timestamp_seconds \
		pvtrace_textfile_write_errors_total pvtrace_kvm_vcpu_ioctl_duration_seconds_bucket \
		pvtrace_latency_dropped_events_total pvtrace_latency_series \
		pvtrace_cpu_steal_seconds_total pvtrace_steal_ratio pvtrace_paravirt_hook_target_info; do
		grep -q "^$f[{ ]" "$m" || { echo "missing family $f"; return 1; }
	done
	for file in latency.prom steal.prom hooks.prom; do
		[ "$(grep -c "^pvtrace_build_info{.*file=\"$file\"" "$m")" -eq 1 ]
	done
	# the scraped counts are the ioctls issued, per vCPU, under the VM's name
	for v in 0 1; do
		# (node_exporter sorts the labels)
		got=$(awk -v v="vcpu=\"$v\"" 'index($0, "pvtrace_kvm_vcpu_ioctl_duration_seconds_count{") == 1 && index($0, "command=\"KVM_GET_REGS\"") && index($0, "vm=\"scraped\"") && index($0, v) { s += $NF } END { print s + 0 }' "$m")
		want=$(awk -v v="$v" '$1 == "pid" && $6 == v { s += $8 } END { print s + 0 }' "$BATS_TEST_TMPDIR/vm.out")
		echo "vcpu $v issued $want scraped $got"
		[ "$want" -eq 123 ]
		[ "$got" -eq "$want" ]
	done
	touch "$BATS_TEST_TMPDIR/hold"
	wait "$vm"
	# fresh: the last report is at most a few seconds old
	now=$(date +%s)
	awk -v now="$now" '/^pvtrace_last_report_timestamp_seconds\{command="latency"/ { if (now - $NF > 5) exit 1; n++ } END { exit n != 1 }' "$m"
	kill -INT "$lat_pid" "$steal_pid"
	wait "$lat_pid" "$steal_pid"
	PV_PID=
	# clean exits take their files along: no frozen counters; the one-shot listing stays
	[ ! -e "$DIR/latency.prom" ]
	[ ! -e "$DIR/steal.prom" ]
	[ -e "$DIR/hooks.prom" ]
	[ "$(ls -A "$DIR" | grep -c '^\.')" -eq 0 ]
	cat "$lat_err"
}

@test "--prom without INTERVAL writes every 15 s, not only at exit" {
	start_pvtrace latency --ioctl --prom "$DIR/p.prom" $(mode_args)
	[ ! -e "$DIR/p.prom" ]
	for _ in $(seq 1 180); do [ -e "$DIR/p.prom" ] && break; sleep 0.1; done
	[ -e "$DIR/p.prom" ]
	# and stdout stays one cumulative report at the end
	[ ! -s "$PV_OUT" ]
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	grep -q '^no KVM vCPU ioctls traced\|^KVM_' "$PV_OUT"
}

@test "a directory pvtrace cannot write once capabilities are dropped: exit 2 at start" {
	chown nobody "$DIR"
	chmod 755 "$DIR"
	run -2 "$PVTRACE" latency --ioctl --prom "$DIR/x.prom" -d 5
	echo "$output"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"cannot create files there without capabilities"* ]]
	left=$(our_bpf_objects_settled)
	echo "$left"
	[ -z "$left" ]
	# a trailing slash and an over-long name fail at once, too
	chown root "$DIR"
	run -2 "$PVTRACE" latency --ioctl --prom "$DIR/" -d 5
	[[ "$output" == *"names a directory"* ]]
	run -2 "$PVTRACE" latency --ioctl --prom "$DIR/$(printf 'a%.0s' $(seq 1 250)).prom" -d 5
	[[ "$output" == *"at most 247 bytes"* ]]
}

@test "a full disk: the write fails, is counted, retried, and the exporter goes on" {
	SMALL=$BATS_TEST_TMPDIR/small
	mkdir -p "$SMALL"
	mount -t tmpfs -o size=64k tmpfs "$SMALL"
	start_pvtrace latency --ioctl --comm pvtrace-none --prom "$SMALL/p.prom" 1 $(mode_args)
	sleep 1.5
	[ -s "$SMALL/p.prom" ]
	# fill the filesystem: the next reports cannot be written
	dd if=/dev/zero of="$SMALL/fill" bs=4k 2>/dev/null || true
	sleep 2.5
	grep -q 'write failed: No space left on device; retrying at each report' "$PV_ERR"
	kill -0 "$PV_PID"
	rm -f "$SMALL/fill"
	sleep 2
	grep -q 'written again after [0-9]* failed report' "$PV_ERR"
	awk '/^pvtrace_textfile_write_errors_total/ { if ($NF < 1) exit 1; n++ } END { exit n != 1 }' "$SMALL/p.prom"
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	[ "$(ls -A "$SMALL" | wc -l)" -eq 0 ]
}

@test "SIGKILL or SIGQUIT during reports leaves no temporary file; a new start cleans old ones" {
	for sig in KILL QUIT; do
		start_pvtrace latency --ioctl --per-pid --prom "$DIR/k.prom" 1 $(mode_args)
		sleep 2.2
		kill -"$sig" "$PV_PID"
		wait "$PV_PID" || true
		ls -A "$DIR"
		[ "$(ls -A "$DIR" | grep -c '^\.')" -eq 0 ]
	done
	# a hidden file of the same textfile left by an older pvtrace is removed at start
	touch "$DIR/.k.prom.a1b2c3"
	start_pvtrace latency --ioctl --prom "$DIR/k.prom" 1 $(mode_args)
	[ ! -e "$DIR/.k.prom.a1b2c3" ]
	stop_pvtrace INT
	PV_PID=
}
