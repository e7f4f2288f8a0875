#!/usr/bin/env bats
# pvtrace exits: the returns to user space of a guest whose exits are known (exitguest), exact
# per reason, vCPU, port and address; hardware exits at least those the guest was given where
# the kernel reports them (the qemu guests: nested SVM), and equal to bpftrace's count of the
# same tracepoints; filters, intervals, outputs, cleanup, errors. scripts/guest-tests.sh runs
# it in Debian's 6.12 once per attach mode (PVTRACE_MODE).

bats_require_minimum_version 1.5.0
load helpers

EXITGUEST=$BUILD/tests/exitguest

setup() {
	need_root
	GO=$BATS_TEST_TMPDIR/go
}

teardown() {
	reap_pvtrace
	[ -z "${btpid:-}" ] || kill -TERM "$btpid" 2>/dev/null || true
	touch "$GO" # an exitguest still waiting for it runs and exits
}

need_exitguest() {
	need_kvm
	[ "$(uname -m)" = x86_64 ] || skip "exitguest runs an x86 real-mode guest"
}

# run exitguest in the background, waiting for $GO; sets EG_PID, EG_OUT
start_exitguest() {
	EG_OUT=$BATS_TEST_TMPDIR/eg.$RANDOM
	"$EXITGUEST" --wait-file "$GO" "$@" >"$EG_OUT" &
	EG_PID=$!
}

# the value after KEY on vCPU V's line of an exitguest output: field OUT V KEY
field() {
	awk -v v="$2" -v k="$3" '$1 == "vcpu" && $2 == v { for (i = 3; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"
}

# ret JSON REASON [VCPU] [FIELD]: returns with REASON (all vCPUs unless given) in the last
# document; FIELD count (default) or resumed
ret() {
	tail -n 1 "$1" | jq --arg r "$2" --arg v "${3:-}" --arg f "${4:-count}" \
		'[.vms[] | select($v == "" or (.vcpu | tostring) == $v) | .returns[] |
		  select(.reason == $r) | .[$f]] | add // 0'
}

# hw JSON REASON VCPU: hardware exits with REASON of vCPU VCPU in the last document
hw() {
	tail -n 1 "$1" | jq --arg r "$2" --arg v "$3" \
		'[.vms[] | select((.vcpu | tostring) == $v) | .hardware[] | select(.reason == $r) |
		  .count] | add // 0'
}

# addr JSON KIND ADDRESS FIELD
addr() {
	tail -n 1 "$1" | jq --arg k "$2" --arg a "$3" --arg f "$4" \
		'[.addresses[] | select(.kind == $k and .address == $a) | .[$f]] | add // 0'
}

@test "exits: returns per reason, vCPU, port and address equal what exitguest did" {
	need_exitguest
	start_pvtrace exits --per-vcpu --json $(mode_args)
	[ -z "${PVTRACE_MODE:-}" ] || grep -q "mode: $PVTRACE_MODE)" "$PV_ERR"
	start_exitguest --io 17 --mmio 9 --hlt 5 --cpuid 40 --rdmsr 3 --vcpus 2
	touch "$GO"
	wait "$EG_PID"
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	cat "$EG_OUT"
	tail -n 1 "$PV_OUT" | jq -c '.vms[] | {vcpu, thread, returns: [.returns[] | [.reason, .count, .resumed]]}'
	for v in 0 1; do
		for r in KVM_EXIT_IO KVM_EXIT_MMIO KVM_EXIT_HLT; do
			want=$(field "$EG_OUT" $v $r)
			got=$(ret "$PV_OUT" $r $v)
			echo "vcpu $v $r: exitguest $want, pvtrace $got"
			[ -n "$want" ] && [ "$want" -eq "$got" ]
		done
		# every return but the last (the write to 0x11 that ends the run) was resumed
		[ "$(ret "$PV_OUT" KVM_EXIT_IO $v resumed)" -eq 17 ]
		[ "$(ret "$PV_OUT" KVM_EXIT_MMIO $v resumed)" -eq 9 ]
		[ "$(ret "$PV_OUT" KVM_EXIT_HLT $v resumed)" -eq 5 ]
		# nothing else returned to user space
		[ "$(tail -n 1 "$PV_OUT" | jq --argjson v $v '[.vms[] | select(.vcpu == $v) | .returns[].count] | add')" -eq 32 ]
		# the vCPU's own thread, by name
		tail -n 1 "$PV_OUT" | jq -e --argjson v $v '[.vms[] | select(.vcpu == $v) | .thread] == ["vcpu \($v)"]'
	done
	# one VM, named as a non-QEMU process is: COMM/PID
	tail -n 1 "$PV_OUT" | jq -e --arg vm "exitguest/$EG_PID" '[.vms[].vm] | unique == [$vm]'
	# ports and addresses, from kvm_run: 0x10 out, 0x11 out (never resumed), 0x10000 write
	[ "$(addr "$PV_OUT" pio 0x10 count)" -eq 34 ]
	[ "$(addr "$PV_OUT" pio 0x10 resumed)" -eq 34 ]
	[ "$(addr "$PV_OUT" pio 0x11 count)" -eq 2 ]
	[ "$(addr "$PV_OUT" pio 0x11 resumed)" -eq 0 ]
	[ "$(addr "$PV_OUT" mmio 0x10000 count)" -eq 18 ]
	tail -n 1 "$PV_OUT" | jq -e '[.addresses[] | select(.kind == "pio") | .write and .size == 1] | all'
	tail -n 1 "$PV_OUT" | jq -e '[.addresses[] | select(.kind == "mmio") | .write and .size == 1] | all'
	[ "$(tail -n 1 "$PV_OUT" | jq '.addresses | length')" -eq 3 ]
	# nothing was lost or began before tracing
	[ "$(tail -n 1 "$PV_OUT" | jq '.dropped | add')" -eq 0 ]
	# hardware exits: at least those the guest was given, where the kernel reports them
	state=$(tail -n 1 "$PV_OUT" | jq -r .hardware_exits)
	echo "hardware exits: $state"
	if [ "$state" = not_reported ]; then
		# this host's hypervisor: vCPUs ran, no kvm_exit came
		[ "$(tail -n 1 "$PV_OUT" | jq '[.vms[].hardware[]] | length')" -eq 0 ]
		return
	fi
	[ "$state" = seen ]
	isa=$(tail -n 1 "$PV_OUT" | jq -r '[.vms[].hardware[].isa] | unique | join(",")')
	echo "isa $isa"
	tail -n 1 "$PV_OUT" | jq -c '.vms[] | {vcpu, hardware: [.hardware[] | [.reason, .count]]}'
	for v in 0 1; do
		if [ "$isa" = SVM ]; then
			set -- SVM_EXIT_CPUID 40 SVM_EXIT_MSR 3 SVM_EXIT_IOIO 18 SVM_EXIT_HLT 5 SVM_EXIT_NPF 9
		else
			[ "$isa" = VMX ]
			set -- EXIT_REASON_CPUID 40 EXIT_REASON_MSR_READ 3 EXIT_REASON_IO_INSTRUCTION 18 \
				EXIT_REASON_HLT 5
		fi
		while [ $# -gt 0 ]; do
			got=$(hw "$PV_OUT" "$1" $v)
			echo "vcpu $v $1: given $2, pvtrace $got"
			[ "$got" -ge "$2" ]
			shift 2
		done
	done
}

@test "exits: counts equal bpftrace's of the same tracepoints, per vCPU thread and reason" {
	need_exitguest
	have_tool bpftrace || skip "bpftrace not installed"
	bt=$BATS_TEST_TMPDIR/bt
	# userspace: reason per thread; hw: kvm_exit's reason per thread (where it fires)
	in_mntns --tracefs bpftrace -e 'BEGIN { printf("ready\n"); }
		tracepoint:kvm:kvm_userspace_exit /comm == "vcpu 0" || comm == "vcpu 1"/ { @u[comm, args->reason] = count(); }
		tracepoint:kvm:kvm_exit /comm == "vcpu 0" || comm == "vcpu 1"/ { @h[comm, args->exit_reason] = count(); }' \
		>"$bt" 2>&1 &
	for _ in $(seq 600); do grep -q '^ready' "$bt" && break; sleep 0.1; done
	grep -q '^ready' "$bt"
	btpid=$(pgrep -n -x bpftrace)
	start_pvtrace exits --per-vcpu --json $(mode_args)
	start_exitguest --io 23 --mmio 11 --hlt 7 --cpuid 13 --rdmsr 5 --vcpus 2
	touch "$GO"
	wait "$EG_PID"
	stop_pvtrace TERM
	[ "$PV_RC" -eq 0 ]
	kill -TERM "$btpid"
	# it prints its maps at exit (under TCG, detaching its probes takes seconds)
	for _ in $(seq 600); do kill -0 "$btpid" 2>/dev/null || break; sleep 0.1; done
	run ! kill -0 "$btpid"
	btpid=
	n=0
	for v in 0 1; do
		for r in "2 KVM_EXIT_IO" "5 KVM_EXIT_HLT" "6 KVM_EXIT_MMIO"; do
			b=$(sed -n "s/^@u\[vcpu $v, ${r%% *}\]: //p" "$bt")
			p=$(ret "$PV_OUT" "${r#* }" $v)
			echo "vcpu $v ${r#* }: bpftrace ${b:-0}, pvtrace $p"
			[ "${b:-0}" -eq "$p" ] && [ "$p" -gt 0 ]
		done
		# every hardware reason bpftrace saw, by its code
		while read -r code count; do
			p=$(tail -n 1 "$PV_OUT" | jq --argjson v $v --argjson c "$code" \
				'[.vms[] | select(.vcpu == $v) | .hardware[] | select(.code == $c) | .count] | add // 0')
			echo "vcpu $v hardware exit $code: bpftrace $count, pvtrace $p"
			[ "$count" -eq "$p" ]
			n=$((n + 1))
		done < <(sed -n "s/^@h\[vcpu $v, \([0-9]*\)\]: \([0-9]*\)$/\1 \2/p" "$bt")
	done
	# and nothing bpftrace did not see
	pv_hw=$(tail -n 1 "$PV_OUT" | jq '[.vms[].hardware[]] | length')
	echo "hardware reasons compared: $n, pvtrace's: $pv_hw"
	[ "$pv_hw" -eq "$n" ]
}

@test "exits: text output names reasons, the VM, its ports, and why hardware exits are missing" {
	need_exitguest
	start_pvtrace exits $(mode_args)
	start_exitguest --io 3 --mmio 2 --hlt 1 --vcpus 1
	touch "$GO"
	wait "$EG_PID"
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	cat "$PV_OUT"
	grep -q "^VM exitguest/$EG_PID  pid $EG_PID \[exitguest\]" "$PV_OUT"
	grep -qE '^    KVM_EXIT_IO +4 ' "$PV_OUT"
	grep -qE '^    KVM_EXIT_MMIO +2 ' "$PV_OUT"
	grep -qE '^    KVM_EXIT_HLT +1 ' "$PV_OUT"
	grep -qE "^  exitguest/$EG_PID +out +0x0010 +1 +3 " "$PV_OUT"
	grep -qE "^  exitguest/$EG_PID +write +0x10000 +1 +2 " "$PV_OUT"
	if grep -q 'hardware exits, handled in the kernel' "$PV_OUT"; then
		grep -qE '^    (SVM_EXIT_CPUID|EXIT_REASON_CPUID) ' "$PV_OUT" || true
		grep -qE '^    (SVM_EXIT_IOIO|EXIT_REASON_IO_INSTRUCTION) +[0-9]+ ' "$PV_OUT"
	else
		grep -q "^note: no kvm:kvm_exit events although vCPUs ran" "$PV_OUT"
	fi
}

@test "exits: -p and --vm keep one VMM; the other's exits never appear" {
	need_exitguest
	start_exitguest --io 5 --mmio 0 --hlt 0
	a_pid=$EG_PID a_out=$EG_OUT
	start_exitguest --io 8 --mmio 0 --hlt 0
	b_pid=$EG_PID
	start_pvtrace exits --json -p "$a_pid" $(mode_args)
	touch "$GO"
	wait "$a_pid"
	wait "$b_pid"
	# -p ends when the process does
	for _ in $(seq 100); do kill -0 "$PV_PID" 2>/dev/null || break; sleep 0.1; done
	PV_RC=0
	wait "$PV_PID" || PV_RC=$?
	[ "$PV_RC" -eq 0 ]
	grep -q "process $a_pid exited" "$PV_ERR"
	[ "$(ret "$PV_OUT" KVM_EXIT_IO)" -eq "$(field "$a_out" 0 KVM_EXIT_IO)" ]
	tail -n 1 "$PV_OUT" | jq -e --argjson p "$a_pid" '[.vms[].pid, .addresses[].pid] | unique == [$p]'
	# --vm: by the VM's label
	rm -f "$GO"
	start_exitguest --io 2 --mmio 0 --hlt 0
	a_pid=$EG_PID
	start_exitguest --io 4 --mmio 0 --hlt 0
	b_pid=$EG_PID
	start_pvtrace exits --json --vm "exitguest/$b_pid" $(mode_args)
	touch "$GO"
	wait "$a_pid"
	wait "$b_pid"
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	tail -n 1 "$PV_OUT" | jq -e --argjson p "$b_pid" '[.vms[].pid, .addresses[].pid] | unique == [$p]'
	[ "$(ret "$PV_OUT" KVM_EXIT_IO)" -eq 5 ]
}

@test "exits: interval reports add up to the whole run, none lost or counted twice" {
	need_exitguest
	start_pvtrace exits --json 1 $(mode_args)
	for i in 1 2 3; do
		"$EXITGUEST" --io $((i * 10)) --mmio $i --hlt 0 >/dev/null
		sleep 1.1
	done
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	[ "$(wc -l <"$PV_OUT")" -ge 3 ]
	# 10+20+30 port writes and one ending write each; 6 MMIO writes
	io=$(jq -s '[.[].vms[].returns[] | select(.reason == "KVM_EXIT_IO") | .count] | add' "$PV_OUT")
	mmio=$(jq -s '[.[].vms[].returns[] | select(.reason == "KVM_EXIT_MMIO") | .count] | add' "$PV_OUT")
	p10=$(jq -s '[.[].addresses[] | select(.address == "0x10") | .count] | add' "$PV_OUT")
	echo "io $io mmio $mmio port 0x10 $p10"
	[ "$io" -eq 63 ] && [ "$mmio" -eq 6 ] && [ "$p10" -eq 60 ]
	jq -s -e '[.[] | .cumulative] | all | not' "$PV_OUT"
}

@test "exits: a full series map keeps every return per reason (overflow), exactly" {
	need_exitguest
	start_pvtrace exits --json --per-vcpu --max-series 1 $(mode_args)
	start_exitguest --io 6 --mmio 4 --hlt 2 --vcpus 2
	touch "$GO"
	wait "$EG_PID"
	stop_pvtrace INT
	# events recorded per reason only are not lost: exit status 0
	[ "$PV_RC" -eq 0 ]
	[ "$(ret "$PV_OUT" KVM_EXIT_IO)" -eq 14 ]
	[ "$(ret "$PV_OUT" KVM_EXIT_MMIO)" -eq 8 ]
	[ "$(ret "$PV_OUT" KVM_EXIT_HLT)" -eq 4 ]
	tail -n 1 "$PV_OUT" | jq -e '[.vms[] | select(.overflow)] | length == 1'
	[ "$(tail -n 1 "$PV_OUT" | jq '.series.used')" -eq 1 ]
	[ "$(tail -n 1 "$PV_OUT" | jq '.dropped.series_overflow')" -gt 0 ]
	grep -q "recorded per reason only: series_overflow" "$PV_ERR"
}

@test "exits: Prometheus textfile passes promtool and counts match" {
	need_exitguest
	have_tool promtool || skip "promtool not installed"
	prom=$BATS_TEST_TMPDIR/exits.prom
	start_pvtrace exits --per-vcpu --prom "$prom" --prom-keep $(mode_args)
	start_exitguest --io 12 --mmio 3 --hlt 2 --vcpus 2
	touch "$GO"
	wait "$EG_PID"
	stop_pvtrace TERM
	[ "$PV_RC" -eq 0 ]
	promtool check metrics <"$prom"
	sum() { awk -v m="$1" -v r="$2" 'index($0, m "{") == 1 && index($0, "reason=\"" r "\"") { s += $NF } END { print s + 0 }' "$prom"; }
	[ "$(sum pvtrace_kvm_run_seconds_count KVM_EXIT_IO)" -eq 26 ]
	[ "$(sum pvtrace_kvm_run_seconds_count KVM_EXIT_MMIO)" -eq 6 ]
	[ "$(sum pvtrace_kvm_userspace_seconds_count KVM_EXIT_IO)" -eq 24 ]
	grep -E '^pvtrace_kvm_userspace_exit_address_total\{.*kind="pio",dir="write",address="0x10",size="1"\} 24$' "$prom"
	grep -q '^pvtrace_kvm_run_seconds_count{pid="'"$EG_PID"'",comm="exitguest",vm="exitguest/'"$EG_PID"'",vcpu="1",thread="vcpu 1",reason="KVM_EXIT_HLT"} 2$' "$prom"
	[ "$(ls -A "$BATS_TEST_TMPDIR" | grep -c '^\.')" -eq 0 ]
}

@test "exits: no BPF program, link or map remains after SIGINT, SIGTERM, SIGHUP, SIGKILL" {
	[ -z "$(our_bpf_objects)" ] || skip "pvtrace objects already loaded by someone else"
	for sig in INT TERM HUP KILL; do
		start_pvtrace exits $(mode_args)
		our_bpf_objects | grep -qE '^prog [0-9]+ (tp_kvm_|btf_kvm_|raw_kvm_)'
		our_bpf_objects | grep -qE '^map [0-9]+ state'
		stop_pvtrace $sig
		left=$(our_bpf_objects_settled)
		echo "after SIG$sig: ${left:-nothing left}"
		[ -z "$left" ]
		if [ $sig != KILL ]; then [ "$PV_RC" -eq 0 ]; fi
	done
}

@test "exits: bad input is a one-line error and exit status 2" {
	for args in "--top x" "--top 1001" "--max-series 0" "--max-addrs x" "--mode bogus" \
		"-p abc" "-p 0" "1 0" "1 2 3" "--bogus" "-d 10q" "--vm" "--unit xs" \
		"--prom /nonexistent-dir/x.prom" "-p 999999999"; do
		# shellcheck disable=SC2086
		run "$PVTRACE" exits $args
		echo "args '$args': status $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ ${lines[0]} == pvtrace* ]]
	done
}

@test "exits: a forced mode the kernel lacks is a one-line error, not a fallback" {
	for m in fentry kprobe tracepoint; do
		run "$PVTRACE" exits --mode $m -d 200ms
		echo "mode $m: status $status: $output"
		if [ "$status" -ne 0 ]; then
			[ "$status" -eq 1 ]
			[ "${#lines[@]}" -eq 1 ]
			[[ ${lines[0]} == "pvtrace: mode $m is not available here: "* ]]
		else
			[[ $output == *"(mode: $m)"* ]]
		fi
	done
}

@test "exits: every KVM_RUN a VMM issues is one return, per vCPU (any architecture)" {
	need_kvm
	start_pvtrace exits --per-vcpu --json $(mode_args)
	KL_OUT=$BATS_TEST_TMPDIR/kl
	"$KVMLOAD" --wait-file "$GO" --vcpus 2 --op RUN=25 --op "$OP_A"=40 >"$KL_OUT" &
	kl=$!
	touch "$GO"
	wait "$kl"
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	cat "$KL_OUT"
	tail -n 1 "$PV_OUT" | jq -c '.vms[] | {vcpu, returns: [.returns[] | [.reason, .count]]}'
	for v in 0 1; do
		want=$(issued "$KL_OUT" KVM_RUN $v)
		got=$(tail -n 1 "$PV_OUT" | jq --argjson v $v '[.vms[] | select(.vcpu == $v) | .returns[].count] | add // 0')
		echo "vcpu $v: KVM_RUN issued $want, returns $got"
		[ "$want" -eq 25 ] && [ "$got" -eq "$want" ]
	done
	[ "$(tail -n 1 "$PV_OUT" | jq '.dropped.early_run')" -eq 0 ]
}
