#!/usr/bin/env bats
# pvtrace latency --ioctl: exact counts, filters, intervals, outputs, cleanup, errors.
# KVM-dependent tests need /dev/kvm; scripts/guest-tests.sh runs this file inside
# Debian's 6.12 kernel under qemu once per attach mode (PVTRACE_MODE).

load helpers

setup() {
	need_root
	GO=$BATS_TEST_TMPDIR/go
}

teardown() {
	reap_pvtrace
	touch "$GO" # a kvmload still waiting for it runs its ioctls and exits
}

# run kvmload in the background, waiting for $GO; sets KL_PID, KL_OUT
start_kvmload() {
	KL_OUT=$BATS_TEST_TMPDIR/kl.$RANDOM
	"$KVMLOAD" --wait-file "$GO" "$@" >"$KL_OUT" &
	KL_PID=$!
}

@test "counts per command equal what the test issued; non-vCPU ioctls never appear" {
	need_kvm
	start_pvtrace latency --ioctl --json $(mode_args)
	[ -z "${PVTRACE_MODE:-}" ] || grep -q "mode: $PVTRACE_MODE)" "$PV_ERR"
	# shellcheck disable=SC2086 # ALL_OPS is a list of arguments
	start_kvmload --vcpus 2 $ALL_OPS --noise 500
	touch "$GO"
	wait "$KL_PID"
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	jq -e . "$PV_OUT" >/dev/null
	# every command kvmload issued, exactly
	while read -r name _ _ _; do
		[ "$name" = vcpus ] && continue
		want=$(issued "$KL_OUT" "$name")
		got=$(traced "$PV_OUT" "$name")
		echo "$name issued $want traced $got"
		[ "$want" -eq "$got" ]
	done <"$KL_OUT"
	# nothing else: the noise (FIONREAD, KVMIO on /dev/null, VM and system fds) is absent
	total_issued=$(awk 'NR > 1 { s += $3 } END { print s }' "$KL_OUT")
	total_traced=$(tail -n 1 "$PV_OUT" | jq '[.ioctls[].histogram.count] | add')
	echo "total issued $total_issued traced $total_traced"
	[ "$total_issued" -eq "$total_traced" ]
	[ "$(tail -n 1 "$PV_OUT" | jq '.dropped | add')" -eq 0 ]
	# a command no uapi defines: shown in hex with its decoded fields
	tail -n 1 "$PV_OUT" | jq -e --argjson n "$(issued "$KL_OUT" 0x0000aeff)" \
		'.ioctls[] | select(.cmd == "0x0000aeff") | .known == false and
		.command == "0x0000aeff" and .dir == "none" and .nr == 255 and .type == 174 and
		.histogram.count == $n and $n == 18' >/dev/null
}

@test "--pid excludes another process's ioctls" {
	need_kvm
	start_kvmload --op $OP_A=111 --op RUN=7
	a_pid=$KL_PID a_out=$KL_OUT
	start_kvmload --op $OP_A=222 --op $OP_B=5
	b_pid=$KL_PID
	start_pvtrace latency --ioctl --json -p "$a_pid" $(mode_args)
	touch "$GO"
	wait "$a_pid"
	wait "$b_pid"
	stop_pvtrace INT
	[ "$(traced "$PV_OUT" KVM_$OP_A)" -eq "$(issued "$a_out" KVM_$OP_A)" ]
	[ "$(traced "$PV_OUT" KVM_RUN)" -eq "$(issued "$a_out" KVM_RUN)" ]
	[ "$(traced "$PV_OUT" KVM_$OP_B)" -eq "$(issued "$a_out" KVM_$OP_B)" ]
}

@test "--comm keeps only tasks with that name" {
	need_kvm
	cp "$KVMLOAD" "$BATS_TEST_TMPDIR/otherload"
	start_kvmload --op $OP_A=33
	a_pid=$KL_PID a_out=$KL_OUT
	"$BATS_TEST_TMPDIR/otherload" --wait-file "$GO" --op $OP_A=44 >/dev/null &
	b_pid=$!
	start_pvtrace latency --ioctl --json --comm kvmload $(mode_args)
	touch "$GO"
	wait "$a_pid" "$b_pid"
	stop_pvtrace INT
	[ "$(traced "$PV_OUT" KVM_$OP_A)" -eq "$(issued "$a_out" KVM_$OP_A)" ]
}

@test "--per-vcpu keys histograms by process and vCPU id" {
	need_kvm
	start_kvmload --vcpus 3 --skew --op $OP_A=10 --op $OP_C=4
	start_pvtrace latency --ioctl --json --per-vcpu $(mode_args)
	touch "$GO"
	wait "$KL_PID"
	stop_pvtrace INT
	for v in 0 1 2; do
		for n in KVM_$OP_A KVM_$OP_C KVM_$OP_SETUP; do
			[ "$(traced "$PV_OUT" $n $v)" -eq "$(issued "$KL_OUT" $n $v)" ]
		done
	done
	# each series names the process
	[ "$(tail -n 1 "$PV_OUT" | jq -r '[.ioctls[].pid] | unique | .[]')" = "$KL_PID" ]
	[ "$(tail -n 1 "$PV_OUT" | jq -r '[.ioctls[].comm] | unique | .[]')" = kvmload ]
}

@test "interval reports add up to the whole run, none lost or counted twice" {
	need_kvm
	start_pvtrace latency --ioctl --json 1 $(mode_args)
	: >"$BATS_TEST_TMPDIR/all"
	for i in 1 2 3 4 5 6; do
		"$KVMLOAD" --op $OP_A=$((i * 50)) --op RUN=$i >>"$BATS_TEST_TMPDIR/all"
		sleep 0.4
	done
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	want=$(awk -v n="KVM_$OP_A" '$1 == n { s += $3 } END { print s }' "$BATS_TEST_TMPDIR/all")
	got=$(jq -s --arg n "KVM_$OP_A" '[.[].ioctls[] | select(.command == $n) | .histogram.count] | add' "$PV_OUT")
	docs=$(wc -l <"$PV_OUT")
	echo "issued $want traced $got over $docs interval documents"
	[ "$docs" -ge 2 ]
	[ "$want" -eq "$got" ]
	want=$(awk '$1 == "KVM_RUN" { s += $3 } END { print s }' "$BATS_TEST_TMPDIR/all")
	got=$(jq -s '[.[].ioctls[] | select(.command == "KVM_RUN") | .histogram.count] | add' "$PV_OUT")
	[ "$want" -eq "$got" ]
	# only the last document is final; interval indexes count up from 1
	[ "$(jq -s '[.[].final] | map(select(.)) | length' "$PV_OUT")" -eq 1 ]
	[ "$(jq -s '[.[].interval_index] == [range(1; length + 1)]' "$PV_OUT")" = true ]
}

@test "INTERVAL COUNT stops by itself after COUNT reports" {
	start_pvtrace latency --ioctl --json 1 2 $(mode_args)
	PV_RC=0
	wait "$PV_PID" || PV_RC=$?
	[ "$PV_RC" -eq 0 ]
	[ "$(wc -l <"$PV_OUT")" -eq 2 ]
	jq -e 'select(.schema == "pvtrace.latency.ioctl/2")' "$PV_OUT" >/dev/null
}

@test "Prometheus textfile passes promtool and counts match" {
	need_kvm
	have_tool promtool || skip "promtool not installed, or not runnable on $(uname -m)"
	prom=$BATS_TEST_TMPDIR/pvtrace.prom
	start_pvtrace latency --ioctl --per-vcpu --prom "$prom" --prom-keep $(mode_args)
	start_kvmload --vcpus 2 --op $OP_A=64 --op RUN=3
	touch "$GO"
	wait "$KL_PID"
	stop_pvtrace TERM
	[ "$PV_RC" -eq 0 ]
	promtool check metrics <"$prom"
	got=$(awk '/^pvtrace_kvm_vcpu_ioctl_duration_seconds_count\{command="KVM_'"$OP_A"'"/ { s += $NF } END { print s }' "$prom")
	[ "$got" -eq "$(issued "$KL_OUT" KVM_$OP_A)" ]
	# +Inf bucket equals _count for every series
	# (label values may hold spaces: the value is the last field)
	awk '{ v = $NF; k = $0; sub(/ [^ ]*$/, "", k) }
	     /_bucket\{.*le="\+Inf"/ { sub(/,le="\+Inf"/, "", k); sub(/_bucket/, "_count", k); inf[k] = v }
	     /_count\{/ { cnt[k] = v }
	     END { for (k in cnt) if (inf[k] != cnt[k]) { print "mismatch " k; exit 1 } }' "$prom"
	# no temporary files left next to it
	[ "$(ls -A "$BATS_TEST_TMPDIR" | grep -c '^\.pvtrace')" -eq 0 ]
	[ "$(ls -A "$BATS_TEST_TMPDIR" | grep -c '^\.')" -eq 0 ]
}

@test "--workload runs the built-in workload and its counts match" {
	need_kvm
	run "$PVTRACE" latency --ioctl --workload $(mode_args)
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"all counts match"* ]]
	[[ "$output" == *"KVM_$OP_A"* ]]
}

@test "Ctrl-C prints the final report and exits 0" {
	start_pvtrace latency --ioctl $(mode_args)
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	grep -qE 'no KVM vCPU ioctls traced|count [0-9]+' "$PV_OUT"
}

@test "no pvtrace BPF program, link or map remains after SIGINT, SIGTERM, SIGHUP, SIGKILL" {
	[ -z "$(our_bpf_objects)" ] || skip "pvtrace objects already loaded by someone else"
	for sig in INT TERM HUP KILL; do
		start_pvtrace latency --ioctl $(mode_args)
		# attached: our programs and maps are visible
		our_bpf_objects | grep -q '^prog '
		our_bpf_objects | grep -q '^map '
		stop_pvtrace $sig
		left=$(our_bpf_objects_settled)
		echo "after SIG$sig: ${left:-nothing left}"
		[ -z "$left" ]
		if [ $sig != KILL ]; then [ "$PV_RC" -eq 0 ]; fi
	done
}

@test "bad input: one-line error and exit status 2" {
	for args in "--ioctl --unit xs" "--ioctl --mode bogus" "--ioctl -p abc" "--ioctl -p 0" \
		"--ioctl --bogus" "--ioctl 0" "--ioctl 1 0" "--ioctl 1 2 3" "--ioctl -d -5" \
		"--ioctl --comm 1234567890123456" "" "--ioctl 5x" "--ioctl -d 10q" \
		"--ioctl --prom /nonexistent-dir/x.prom" "--ioctl --workload -p 1"; do
		# shellcheck disable=SC2086
		run "$PVTRACE" latency $args
		echo "args '$args': status $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "${lines[0]}" == pvtrace* ]]
	done
	run "$PVTRACE" nosuchcommand
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "unknown pid: one-line error, exit 2" {
	run "$PVTRACE" latency --ioctl -p 2147483646
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"no such process: 2147483646"* ]]
}

@test "--prom refuses a symlink" {
	ln -s /tmp/pvtrace-elsewhere "$BATS_TEST_TMPDIR/link.prom"
	run "$PVTRACE" latency --ioctl --prom "$BATS_TEST_TMPDIR/link.prom"
	[ "$status" -eq 2 ]
	[[ "$output" == *"symbolic link"* ]]
	[ ! -e /tmp/pvtrace-elsewhere ]
}

@test "without privileges: one-line error, exit 1" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	run setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$PVTRACE" latency --ioctl -d 1
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"needs root or CAP_BPF and CAP_PERFMON"* ]]
}

@test "a forced mode the kernel lacks is a one-line error, not a fallback" {
	for m in fentry kprobe tracepoint; do
		run "$PVTRACE" latency --ioctl --mode $m -d 1
		echo "$m: $status: $output"
		if [ "$status" -ne 0 ]; then
			[ "$status" -eq 1 ]
			[ "${#lines[@]}" -eq 1 ]
			[[ "$output" == *"mode $m is not available here"* ]]
		else
			[[ "$output" == *"mode: $m)"* ]]
		fi
	done
}

@test "where tracefs is not mounted, tracepoint mode still attaches and mounts nothing" {
	# in a mount namespace of its own, so the host's tracefs is never touched
	run in_mntns bash -c '"$0" latency --ioctl --mode tracepoint -d 1 && ! mountpoint -q /sys/kernel/tracing' "$PVTRACE"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"mode: tracepoint)"* ]]
}

@test "the exit program is attached before the entry program (no ioctl starts without its end)" {
	start_pvtrace latency --ioctl $(mode_args)
	# link ids grow in creation order: each link's id and program from pvtrace's fdinfo,
	# the program's name from bpftool while pvtrace still holds it
	order=$(for f in /proc/"$PV_PID"/fdinfo/*; do
		awk '$1 == "link_id:" { l = $2 } $1 == "prog_id:" { p = $2 } END { if (l) print l, p }' "$f"
	done | sort -n | while read -r _ prog; do bpftool -j prog show id "$prog" | jq -r .name; done)
	stop_pvtrace INT
	echo "$order"
	[ "$PV_RC" -eq 0 ]
	[ "$(wc -l <<<"$order")" -eq 2 ]
	[[ "$(head -n 1 <<<"$order")" =~ ^(fexit_vcpu|kretprobe_vcpu|tp_exit_ioctl) ]]
	[[ "$(tail -n 1 <<<"$order")" =~ ^(fentry_vcpu|kprobe_vcpu|tp_enter_ioctl) ]]
}
