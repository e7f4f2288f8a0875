#!/usr/bin/env bats
# pvtrace hooks and latency --steal-clock/--sched-clock: targets against the kernel's own
# state, steal time against /proc/stat, exact call counts, outputs, cleanup, errors.
# Runs on the host and inside qemu guests (tests/guest/hooks.sh); checks that need
# /proc/kcore, fentry or kprobes skip with the reason where the kernel lacks them.

bats_require_minimum_version 1.5.0

load helpers

HOOKS_PROGS='^(read_kmem|read_kmem_iter|steal_ksym|steal_rq|hook_fentry|hook_fexit|hook_kprobe|hook_kretprobe)$'
PY=/usr/bin/python3

setup_file() {
	# the vmlinux symbols used here, read once: /proc/kallsyms is slow under TCG
	KSYMS=$BATS_FILE_TMPDIR/kallsyms
	grep -E '^[0-9a-f]+ . ([A-Za-z_0-9]*(sched_clock|steal_clock|emulate_vsyscall)[A-Za-z_0-9]*|__noinstr_text_(start|end)|kernel_cpustat|paravirt_steal(_rq)?_enabled|__x64_sys_sched_rr_get_interval)$' \
		/proc/kallsyms >"$KSYMS"
	export KSYMS
}

setup() {
	need_root
	HJ=$BATS_TEST_TMPDIR/hooks.json
	TRACEFS_MOUNTED=
}

teardown() {
	reap_pvtrace
	[ -z "$TRACEFS_MOUNTED" ] || umount /sys/kernel/tracing
}

# hooks_objects: any pvtrace hooks BPF program or map still loaded.
hooks_objects() {
	local progs maps
	bpf_show progs prog || return
	bpf_show maps map || return
	jq -r '.[] | select(.name != null) | "\(.name) prog \(.id)"' <<<"$progs" |
		awk -v re="$HOOKS_PROGS" '$1 ~ re'
	jq -r '.[] | select(.name != null) | "\(.name) map \(.id)"' <<<"$maps" |
		grep -E '^(stacks|kmem_bpf\.[a-z]+|steal_bp\.[a-z]+|hooklat_\.[a-z]+) ' || true
}

# hookvars HOOK: one hook of $HJ in shell variables (jq is slow under TCG: one call)
hookvars() {
	IFS=$'\t' read -r T TA M NI AG TR TB SG KA KF KE < <(jq -r --arg h "$1" '.hooks[] |
		select(.hook == $h) | [.target, .target_addr, .method, .noinstr, .agree,
		.trampoline.addr, .trampoline.bytes, .trampoline.signature, .key.addr, .key.func,
		.key.error] | map(tostring) | @tsv' "$HJ")
}

# ksym NAME: "0x<addr>" of a vmlinux symbol in /proc/kallsyms (empty if absent)
ksym() {
	awk -v n="$1" '$3 == n { print "0x" $1; exit }' "$KSYMS"
}

# tramp_dest ADDR "e9 b1 b2 b3 b4 ...": destination of the jmp, as the CPU computes it
tramp_dest() {
	local a=$(($1)) b
	read -ra b <<<"$2"
	[ "${b[0]}" = e9 ] || return 1
	local r=$((0x${b[4]}${b[3]}${b[2]}${b[1]}))
	((r >= 0x80000000)) && r=$((r - 0x100000000))
	printf '0x%x\n' $((a + 5 + r))
}

# kread ADDR LEN: LEN bytes of kernel memory from /proc/kcore, as hex "aa bb ..."
kread() {
	"$PY" - "$1" "$2" <<'EOF'
import struct, sys
addr, n = int(sys.argv[1], 16), int(sys.argv[2])
with open("/proc/kcore", "rb") as f:
    h = f.read(64)
    phoff, = struct.unpack_from("<Q", h, 32)
    phentsize, phnum = struct.unpack_from("<HH", h, 54)
    f.seek(phoff)
    ph = f.read(phentsize * phnum)
    for i in range(phnum):
        t, _, off, va, _, filesz, _ = struct.unpack_from("<IIQQQQQ", ph, i * phentsize)
        if t == 1 and va <= addr and addr + n <= va + filesz:
            f.seek(off + addr - va)
            print(" ".join("%02x" % b for b in f.read(n)))
            sys.exit(0)
sys.exit(1)
EOF
}

# le64 "b0 b1 ... b7": little-endian u64 as 0x...
le64() {
	local b
	read -ra b <<<"$1"
	printf '0x%s\n' "$(echo "${b[7]}${b[6]}${b[5]}${b[4]}${b[3]}${b[2]}${b[1]}${b[0]}" | sed 's/^0*//;s/^$/0/')"
}

need_kcore() {
	[ -r /proc/kcore ] || skip "no /proc/kcore on this kernel ($(uname -r))"
	[ -x "$PY" ] || skip "no $PY"
}

# proc_stat COLUMN: per-CPU values of a /proc/stat column (2 = user, 9 = steal), one per line
proc_stat() {
	awk -v c="$1" '/^cpu[0-9]/ { print $c }' /proc/stat
}

@test "hooks: pv_sched_clock and pv_steal_clock, addresses and targets as in /proc/kallsyms" {
	"$PVTRACE" hooks --json >"$HJ"
	jq -e '.schema == "pvtrace.hooks/2" and .kind == "hooks"' "$HJ" >/dev/null
	s=$(($(ksym __noinstr_text_start))) e=$(($(ksym __noinstr_text_end)))
	run "$PVTRACE" hooks
	[ "$status" -eq 0 ]
	for h in pv_sched_clock pv_steal_clock; do
		hookvars $h
		echo "$h -> $T at $TA (method $M): trampoline $TR [$TB], key $KA func $KF ($KE)"
		[ -n "$T" ]
		[ "$T" != null ]
		# the target is a kallsyms symbol at exactly that address
		[ "$(ksym "$T")" = "$TA" ]
		# the trampoline is the __SCT__ text symbol, and its jmp lands on the target
		[ "$TR" = "$(ksym "__SCT__$h")" ]
		[ "$SG" = true ]
		[ "$(tramp_dest "$TR" "$TB")" = "$TA" ]
		# the key is read exactly where kallsyms lists data symbols, and must agree
		key=$(ksym "__SCK__$h")
		if [ -n "$key" ]; then
			[ "$KA" = "$key" ]
			[ "$KF" = "$TA" ]
			[ "$M" = key ]
			[ "$AG" = true ]
		else
			[ "$KA" = null ]
			[ "$M" = text ]
			[ "$AG" = null ]
			[[ "$KE" == *"not in /proc/kallsyms"* ]]
		fi
		# noinstr is the .noinstr.text range of kallsyms (unsigned compare: flip the sign bit)
		t=$((TA)) want=false
		if ((s != 0 && e != 0 && (t ^ (1 << 63)) >= (s ^ (1 << 63)) &&
			(t ^ (1 << 63)) < (e ^ (1 << 63)))); then want=true; fi
		[ "$NI" = "$want" ]
		# the text report says the same
		[[ "$output" == *"$h   -> $T"* ]]
	done
}

@test "hooks: pv_sched_clock's target is consistent with the clocksources" {
	"$PVTRACE" hooks --json >"$HJ"
	cs=/sys/devices/system/clocksource/clocksource0
	avail=$(cat $cs/available_clocksource) cur=$(cat $cs/current_clocksource)
	hookvars pv_sched_clock
	target=$T
	echo "available: $avail; current: $cur; pv_sched_clock -> $target"
	# kvmclock_init() registers kvm-clock and sets pv_sched_clock in the same step
	# (Xen, Hyper-V and VMware have their own clocksources and sched clocks)
	if [[ " $avail " == *" kvm-clock "* ]]; then
		[ "$target" = kvm_sched_clock_read ]
	elif [[ " $avail " == *" xen "* ]]; then
		[ "$target" = xen_sched_clock ]
	elif [[ " $avail " == *hyperv* ]]; then
		[ "$target" = read_hv_sched_clock_tsc ] || [ "$target" = read_hv_sched_clock_msr ]
	else
		[ "$target" = native_sched_clock ]
	fi
	if [ "$cur" = kvm-clock ]; then [ "$target" = kvm_sched_clock_read ]; fi
}

@test "hooks: pv_steal_clock's target is consistent with the steal time state" {
	"$PVTRACE" hooks --json >"$HJ"
	hookvars pv_steal_clock
	target=$T
	before=$(proc_stat 9 | awk '{ s += $1 } END { print s + 0 }')
	"$PVTRACE" hooks --steal --json -d 2 >"$BATS_TEST_TMPDIR/steal.json"
	after=$(proc_stat 9 | awk '{ s += $1 } END { print s + 0 }')
	kvm=$(jq -r .kvm_steal_time "$BATS_TEST_TMPDIR/steal.json")
	echo "pv_steal_clock -> $target; /proc/stat steal $before -> $after; kvm steal_time registered: $kvm"
	case $target in
	native_steal_clock)
		# returns 0: the kernel accounts no steal at all, and KVM's steal_time is unused
		[ "$before" -eq 0 ]
		[ "$after" -eq 0 ]
		[ "$kvm" = false ]
		;;
	kvm_steal_clock)
		[ "$kvm" = true ]
		;;
	*)
		[ "$kvm" = false ]
		;;
	esac
}

@test "hooks: targets, static keys and trampolines read back from /proc/kcore" {
	need_kcore
	"$PVTRACE" hooks --json >"$HJ"
	for h in pv_sched_clock pv_steal_clock; do
		t=$(ksym "__SCT__$h") k=$(ksym "__SCK__$h")
		[ -n "$t" ]
		[ -n "$k" ]
		bytes=$(kread "$t" 8)
		func=$(le64 "$(kread "$k" 8)")
		hookvars $h
		echo "$h: kcore trampoline $bytes, key.func $func; pvtrace $TB, $TA"
		[ "$bytes" = "$TB" ]
		[ "$func" = "$TA" ]
	done
}

@test "hooks --steal: per-CPU totals agree with /proc/stat within the sampling window" {
	tick=$((1000000000 / $(getconf CLK_TCK)))
	mapfile -t s0 < <(proc_stat 9)
	mapfile -t u0 < <(proc_stat 2)
	"$PVTRACE" hooks --steal --json -d 1 >"$BATS_TEST_TMPDIR/steal.json"
	mapfile -t s1 < <(proc_stat 9)
	mapfile -t u1 < <(proc_stat 2)
	j=$BATS_TEST_TMPDIR/steal.json
	cat "$j"
	[ "$(wc -l <"$j")" -eq 1 ]
	jq -e '.schema == "pvtrace.hooks/2" and .kind == "steal" and .cumulative and .final' "$j" >/dev/null
	[ "$(jq '.cpus | length' "$j")" -eq "${#s0[@]}" ]
	mapfile -t got < <(jq -r '.cpus[] | "\(.steal_total_ns) \(.user_total_ns)"' "$j")
	for c in "${!s0[@]}"; do
		read -r st us <<<"${got[$c]}"
		echo "cpu $c: steal ${s0[$c]}..${s1[$c]} ticks, pvtrace $st ns; user ${u0[$c]}..${u1[$c]}, pvtrace $us ns"
		# /proc/stat shows floor(ns / tick) of the same counters
		[ $((st / tick)) -ge "${s0[$c]}" ]
		[ $((st / tick)) -le "${s1[$c]}" ]
		[ $((us / tick)) -ge "${u0[$c]}" ]
		[ $((us / tick)) -le "${u1[$c]}" ]
	done
	# the total is the sum of the CPUs
	jq -e '.total.steal_total_ns == ([.cpus[].steal_total_ns] | add) and
		.total.steal_ns == ([.cpus[].steal_ns] | add)' "$j" >/dev/null
}

@test "hooks --steal INTERVAL COUNT: COUNT reports, rates are ns per second and percent" {
	run --separate-stderr "$PVTRACE" hooks --steal --json 1 3
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" >"$BATS_TEST_TMPDIR/s.json"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/s.json")" -eq 3 ]
	jq -s -e '[.[].interval_index] == [1, 2, 3] and ([.[].final] == [false, false, true])
		and all(.[]; .cumulative == false and .interval_ns > 900000000)' "$BATS_TEST_TMPDIR/s.json" >/dev/null
	# rate = steal_ns / interval; percent of one CPU, and of all CPUs for the total
	jq -s -e 'all(.[]; . as $d | all($d.cpus[];
		((.steal_ns_per_s - .steal_ns * 1e9 / $d.interval_ns) | fabs) < 1e-3 and
		((.steal_pct - .steal_ns * 100 / $d.interval_ns) | fabs) < 1e-9) and
		((.total.steal_pct - .total.steal_ns * 100 / (.interval_ns * .ncpus)) | fabs) < 1e-9)' \
		"$BATS_TEST_TMPDIR/s.json" >/dev/null
	[[ "$stderr" == *"Tracing steal time of"* ]]
}

@test "hooks --steal: every per-CPU method available here gives the same counters" {
	tick=$((1000000000 / $(getconf CLK_TCK)))
	mapfile -t u0 < <(proc_stat 2)
	n=0
	for m in ksym runqueue procfs; do
		if "$PVTRACE" hooks --steal --percpu $m --json -d 1 >"$BATS_TEST_TMPDIR/$m.json" 2>"$BATS_TEST_TMPDIR/$m.err"; then
			n=$((n + 1))
			[ "$(jq -r .percpu "$BATS_TEST_TMPDIR/$m.json")" = $m ]
		else
			echo "$m: $(cat "$BATS_TEST_TMPDIR/$m.err")"
			[ $m != procfs ]
			[ "$(wc -l <"$BATS_TEST_TMPDIR/$m.err")" -eq 1 ]
			grep -q "percpu $m is not available here" "$BATS_TEST_TMPDIR/$m.err"
			rm "$BATS_TEST_TMPDIR/$m.json"
		fi
	done
	mapfile -t u1 < <(proc_stat 2)
	mapfile -t s1 < <(proc_stat 9)
	[ "$n" -ge 1 ]
	for f in "$BATS_TEST_TMPDIR"/*.json; do
		mapfile -t got < <(jq -r '.cpus[] | "\(.user_total_ns) \(.steal_total_ns)"' "$f")
		for c in "${!u0[@]}"; do
			read -r us st <<<"${got[$c]}"
			echo "$(basename "$f"): cpu $c user $us ns (${u0[$c]}..${u1[$c]} ticks), steal $st ns"
			[ $((us / tick)) -ge "${u0[$c]}" ]
			[ $((us / tick)) -le "${u1[$c]}" ]
			[ $((st / tick)) -le "${s1[$c]}" ]
		done
	done
	# where data symbols are listed, the exact method is the default
	if [ -n "$(ksym kernel_cpustat)" ]; then
		"$PVTRACE" hooks --steal --json -d 1 >"$BATS_TEST_TMPDIR/default.out"
		jq -e '.percpu == "ksym"' "$BATS_TEST_TMPDIR/default.out" >/dev/null
	fi
}

@test "hooks --prom: listing and steal textfiles pass promtool" {
	have_tool promtool || skip "promtool not installed, or not runnable on $(uname -m)"
	p=$BATS_TEST_TMPDIR/hooks.prom
	"$PVTRACE" hooks --prom "$p" >/dev/null
	cat "$p"
	promtool check metrics <"$p"
	"$PVTRACE" hooks --json >"$HJ"
	t=$(jq -r '.hooks[] | select(.hook == "pv_steal_clock") | .target' "$HJ")
	[ -n "$t" ]
	grep -q "^pvtrace_paravirt_hook_target_info{hook=\"pv_steal_clock\",target=\"$t\",method=\"[a-z]*\"} 1$" "$p"
	"$PVTRACE" hooks --steal -d 1 --prom "$p" --prom-keep >/dev/null 2>&1
	cat "$p"
	promtool check metrics <"$p"
	[ "$(grep -c '^pvtrace_cpu_steal_seconds_total{cpu=' "$p")" -eq "$(proc_stat 9 | wc -l)" ]
	grep -q '^pvtrace_steal_ratio ' "$p"
	[ "$(ls -A "$BATS_TEST_TMPDIR" | grep -c '^\.')" -eq 0 ]
}

@test "hooks --watch: polls, reports no change when nothing changes, COUNT stops it" {
	run --separate-stderr "$PVTRACE" hooks --watch --json 1 2
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(echo "$output" | jq -r .kind)" = hooks ]
	n=$(echo "$output" | jq '.hooks | length')
	[[ "$stderr" == *"Watching $n static calls every 1.000 s"* ]]
}

@test "hooks --watch --call: a static call retargeted at run time is reported old -> new" {
	# enabling a trace event moves its tracepoint's static call from the iterator to the
	# event's probe, and disabling moves it back (kernel/tracepoint.c)
	call=tp_func_emulate_vsyscall ev=/sys/kernel/tracing/events/vsyscall/emulate_vsyscall/enable
	[ -n "$(ksym "__SCT__$call")" ] || skip "no $call static call here"
	if ! mountpoint -q /sys/kernel/tracing; then
		mount -t tracefs nodev /sys/kernel/tracing
		TRACEFS_MOUNTED=1
	fi
	[ -w "$ev" ] || skip "no $ev in tracefs"
	[ "$(cat "$ev")" = 0 ] || skip "the emulate_vsyscall event is already enabled"
	start_watch() {
		PV_OUT=$BATS_TEST_TMPDIR/w.out PV_ERR=$BATS_TEST_TMPDIR/w.err
		"$PVTRACE" hooks --watch --call $call --json 1 >"$PV_OUT" 2>"$PV_ERR" &
		PV_PID=$!
		for _ in $(seq 1 600); do grep -q '^Watching' "$PV_ERR" && return 0; sleep 0.1; done
		return 1
	}
	start_watch
	echo 1 >"$ev"
	sleep 2.5
	echo 0 >"$ev"
	sleep 2.5
	stop_pvtrace INT
	cat "$PV_OUT" "$PV_ERR"
	[ "$PV_RC" -eq 0 ]
	jq -e --arg c $call '.kind == "hooks" and ([.hooks[] | select(.hook == $c)] | length) == 1' \
		<(head -n 1 "$PV_OUT") >/dev/null
	it=__traceiter_emulate_vsyscall probe=trace_event_raw_event_emulate_vsyscall
	# per method read here (text; key too where kallsyms lists data symbols): exactly two
	methods=$(head -n 1 "$PV_OUT" | jq -r --arg c $call '.hooks[] | select(.hook == $c) |
		(if .key.addr then "key" else empty end), "text"')
	[ -n "$methods" ]
	for m in $methods; do
		got=$(jq -r --arg c $call --arg m "$m" 'select(.kind == "change" and .hook == $c and
			.method == $m) | "\(.old) \(.new) \(.new_addr)"' "$PV_OUT")
		echo "$m: $got"
		[ "$(echo "$got" | sed -n 1p)" = "$it $probe $(ksym $probe)" ]
		[ "$(echo "$got" | sed -n 2p)" = "$probe $it $(ksym $it)" ]
		[ "$(echo "$got" | wc -l)" -eq 2 ]
	done
	# only that call changed
	[ "$(jq -r 'select(.kind == "change") | .hook' "$PV_OUT" | sort -u)" = $call ]
}

@test "latency --steal-clock/--sched-clock: says per function what it cannot trace, documented status" {
	"$PVTRACE" hooks --json >"$HJ"
	run --separate-stderr "$PVTRACE" latency --steal-clock --sched-clock --json -d 1 $(mode_args)
	echo "status $status"
	echo "stdout: $output"
	echo "stderr: $stderr"
	doc=$BATS_TEST_TMPDIR/lat.json
	echo "$output" | tail -n 1 >"$doc"
	# per hook: the target pvtrace hooks reported, noinstr ones refused with that reason
	jq -e -s '.[0] as $h | .[1] | .schema == "pvtrace.latency.hooks/1" and
		(.hooks | length) == 2 and all(.hooks[]; . as $x |
			($h.hooks[] | select(.hook == $x.hook)) as $y |
			$x.target == $y.target and
			(if $y.noinstr then ($x.traced | not) and ($x.reason | test("noinstr")) else true end))' \
		"$HJ" "$doc" >/dev/null
	while read -r h t; do
		grep -q "cannot trace $h -> $t: .*noinstr" <<<"$stderr"
	done < <(jq -r '.hooks[] | select(.noinstr) | "\(.hook) \(.target)"' "$HJ")
	ntraced=$(jq '[.hooks[] | select(.traced)] | length' "$doc")
	# documented: 0 when at least one target was traced, else 1 with one line per function
	if [ "$ntraced" -eq 0 ]; then
		[ "$status" -eq 1 ]
		[ "$(grep -c '^pvtrace: cannot trace pv_' <<<"$stderr")" -eq 2 ]
		[ "$(wc -l <<<"$stderr")" -eq 2 ]
	else
		[ "$status" -eq 0 ]
		jq -e 'all(.hooks[] | select(.traced); .histogram.count >= 0)' "$doc" >/dev/null
	fi
	# a plain (not noinstr) target on a kernel without fentry and kprobes: both reasons, one line
	hookvars pv_steal_clock
	if [ "$NI" = false ] && [ "$(jq '.hooks[] | select(.hook == "pv_steal_clock") | .traced' "$doc")" = false ]; then
		run "$PVTRACE" latency --steal-clock -d 1
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"cannot trace pv_steal_clock -> $T: fentry: "*"kprobe: "* ]]
	fi
}

# can_trace FUNC MODE: an empty BPF program attaches to FUNC in MODE here (the
# kernel's answer, not pvtrace's: pvtrace failing where this succeeds is a failure)
can_trace() {
	[ -x "$CANATTACH" ] || { echo "no $CANATTACH: make tests builds it" >&2; exit 1; }
	"$CANATTACH" "$2" "$1"
}

@test "latency --steal-clock: the count equals the calls the kernel can make" {
	"$PVTRACE" hooks --json >"$HJ"
	hookvars pv_steal_clock
	target=$T
	[ "$NI" = false ] || skip "$target is noinstr"
	can_trace "$target" fentry || can_trace "$target" kprobe ||
		skip "$target cannot be traced here (no fentry or kprobes)"
	need_kcore
	# pv_steal_clock's only callers run when these static keys are on (steal accounting)
	on=0
	for k in paravirt_steal_enabled paravirt_steal_rq_enabled; do
		a=$(ksym $k)
		[ -n "$a" ] || skip "$k not in /proc/kallsyms"
		v=$(kread "$a" 4)
		echo "$k: $v"
		[ "$v" = "00 00 00 00" ] || on=1
	done
	[ "$on" -eq 0 ] || skip "steal accounting is on: calls happen every tick, no exact count to compare"
	for mode in ${PVTRACE_MODE:-fentry kprobe}; do
		start_pvtrace latency --steal-clock --json --mode $mode
		sleep 3
		stop_pvtrace INT
		cat "$PV_OUT" "$PV_ERR"
		[ "$PV_RC" -eq 0 ]
		jq -e --arg t "$target" '.hooks[0].target == $t and .hooks[0].traced and .hooks[0].histogram.count == 0' "$PV_OUT" >/dev/null
	done
}

@test "latency --function: the histogram counts exactly the calls made" {
	f=__x64_sys_sched_rr_get_interval
	[ -n "$(ksym $f)" ] || skip "no $f here"
	n=0
	for mode in ${PVTRACE_MODE:-fentry kprobe}; do
		if ! can_trace $f $mode; then
			echo "# $mode: not available here"
			continue
		fi
		n=$((n + 1))
		p=$BATS_TEST_TMPDIR/$mode.prom
		# 1-second interval reports: their counts must add up, none lost or counted twice
		start_pvtrace latency --steal-clock --function $f --json --mode $mode --prom "$p" --prom-keep 1
		for _ in 1 2 3; do
			"$PY" -c 'import os
for _ in range(259): os.sched_rr_get_interval(0)'
			sleep 0.7
		done
		stop_pvtrace INT
		cat "$PV_OUT"
		[ "$PV_RC" -eq 0 ]
		jq -s -e --arg f $f --arg m $mode 'length >= 2 and
			all(.[]; .hooks[0].target == $f and .hooks[0].mode == $m and (.dropped | add) == 0) and
			([.[].hooks[0].histogram.count] | add) == 777 and
			([.[].final] | map(select(.)) | length) == 1' "$PV_OUT" >/dev/null
		if command -v promtool >/dev/null; then
			promtool check metrics <"$p"
			grep -qx "pvtrace_paravirt_hook_duration_seconds_count{hook=\"pv_steal_clock\",target=\"$f\"} 777" "$p"
		fi
	done
	[ "$n" -gt 0 ] || skip "neither fentry nor kprobes on this kernel ($(uname -r))"
}

@test "hooks: no BPF program or map remains after SIGINT, SIGTERM, SIGKILL" {
	[ -z "$(hooks_objects)" ] || skip "pvtrace hooks objects already loaded by someone else"
	cmds=("hooks --watch 1" "hooks --steal 1")
	f=__x64_sys_sched_rr_get_interval
	if can_trace $f fentry; then cmds+=("latency --steal-clock --function $f"); fi
	for cmd in "${cmds[@]}"; do
		for sig in INT TERM KILL; do
			PV_ERR=$BATS_TEST_TMPDIR/err
			# shellcheck disable=SC2086
			"$PVTRACE" $cmd >/dev/null 2>"$PV_ERR" &
			PV_PID=$!
			for _ in $(seq 1 300); do
				grep -qE '^(Watching|Tracing)' "$PV_ERR" && break
				sleep 0.1
			done
			[ -n "$(hooks_objects)" ]
			stop_pvtrace $sig
			for _ in $(seq 1 50); do
				[ -z "$(hooks_objects)" ] && break
				sleep 0.1
			done
			left=$(hooks_objects)
			echo "$cmd after SIG$sig: status $PV_RC, ${left:-nothing left}"
			[ -z "$left" ]
			if [ $sig != KILL ]; then [ "$PV_RC" -eq 0 ]; fi
		done
	done
}

@test "hooks: bad input is a one-line error and exit status 2" {
	for args in "hooks --bogus" "hooks 0" "hooks 1" "hooks -d 1" "hooks --watch --steal" \
		"hooks --steal --percpu bogus" "hooks --percpu ksym" "hooks --steal 1 0" \
		"hooks --steal 1 2 3" "hooks --watch 5x" "hooks --prom /nonexistent-dir/x.prom" \
		"hooks --call no_such_static_call" "hooks --steal --call pv_sched_clock" \
		"latency --steal-clock --mode tracepoint" "latency --sched-clock --unit xs" \
		"latency --steal-clock --sched-clock --function f" "latency --steal-clock 1 0" \
		"latency --steal-clock --ioctl" "latency --steal-clock 2 2 2" \
		"latency --sched-clock --function a/b"; do
		# shellcheck disable=SC2086
		run "$PVTRACE" $args
		echo "args '$args': status $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "${lines[0]}" == pvtrace* ]]
	done
}

@test "hooks: without privileges, one-line error and exit 1" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	for args in "hooks" "hooks --steal -d 1" "latency --steal-clock -d 1"; do
		# shellcheck disable=SC2086
		run setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$PVTRACE" $args
		echo "$args: $status: $output"
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"needs root"* ]]
	done
}

@test "hooks --help and latency --steal-clock --help describe the commands" {
	run "$PVTRACE" hooks --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"pvtrace hooks --steal 1 5"* ]]
	[[ "$output" == *"Exit status"* ]]
	run "$PVTRACE" latency --steal-clock --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"noinstr"* ]]
	run "$PVTRACE" latency --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--steal-clock"* ]]
}
