#!/usr/bin/env bats
# latency --ioctl against a real QEMU: Debian's qemu-system-x86_64 boots Debian's stock kernel
# under KVM with 2 vCPUs and -name guest=pvt-nested,debug-threads=on to a busybox init, which
# powers off. Two pvtrace instances (--per-vcpu; --per-vcpu --comm qemu-system-x86) and bpftrace
# (kprobe:kvm_vcpu_ioctl, counts per thread, vCPU id and command) trace the same run; the
# counts must be equal, exactly. bpftrace also counts failed updates of per-CPU hash maps
# (pvtrace's series), to say why a series went missing.
#
# One nested boot for the whole file (setup_file); the tests check its files.
# Runs in the qemu-real guest (tests/guest/qemu-real.sh: stock 6.12, nested SVM, 2 vCPUs under
# multi-threaded TCG); elsewhere only with PVTRACE_QEMU_REAL=1, on a host whose KVM boots a
# stock kernel (this project's CI host cannot: its hypervisor's instruction emulator stops).
#
# PVTRACE_NESTED_KERNEL: the nested guest's kernel (default /boot/vmlinuz-$(uname -r)).
# PVTRACE_NESTED_TIMEOUT: seconds the nested guest may take (default 400).
# PVTRACE_QEMU_REAL_OUT: a directory to copy the run's files into (console, JSON, bpftrace).

bats_require_minimum_version 1.5.0

load helpers

QEMU_BIN=${QEMU_BIN:-/usr/bin/qemu-system-x86_64}
VM_NAME=pvt-nested

# why the tests cannot run here (empty: they can)
real_qemu_reason() {
	if [ "${PVTRACE_QEMU_REAL:-}" != 1 ] && [ "${PVTRACE_GUEST:-}" != 1 ]; then
		echo "needs a KVM that boots a stock kernel: runs in the qemu-real guest (scripts/guest-tests.sh), or set PVTRACE_QEMU_REAL=1"
	elif [ "$(id -u)" != 0 ]; then
		echo "needs root for BPF"
	elif [ ! -c /dev/kvm ]; then
		echo "no /dev/kvm on this kernel ($(uname -r))"
	elif [ ! -x "$QEMU_BIN" ]; then
		echo "no $QEMU_BIN (apt-get install qemu-system-x86)"
	elif ! command -v bpftrace >/dev/null; then
		echo "no bpftrace (apt-get install bpftrace)"
	fi
}

# note TEXT: a TAP comment, shown with the results
note() { echo "# $*" >&3; }

# the nested guest's initramfs: busybox, and an /init that shows it ran, then powers off
make_initramfs() { # DIR OUT
	local d=$1/root n
	mkdir -p "$d"/{bin,dev,proc}
	cp /bin/busybox "$d/bin/busybox"
	for n in sh mount cat grep cut poweroff; do ln -s busybox "$d/bin/$n"; done
	mknod -m 600 "$d/dev/console" c 5 1
	cat >"$d/init" <<-'EOF'
		#!/bin/sh
		mount -t proc proc /proc
		echo "pvt-nested: init reached"
		echo "pvt-nested: version $(cat /proc/version)"
		echo "pvt-nested: cpus $(grep -c ^processor /proc/cpuinfo)"
		echo "pvt-nested: uptime $(cut -d' ' -f1 /proc/uptime)"
		poweroff -f
	EOF
	chmod 755 "$d/init"
	(cd "$d" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$2"
	rm -rf "$1"
}

# wait_line FILE REGEX PID WHAT: until FILE has a line matching REGEX (60 s), while PID lives
wait_line() {
	local _
	for _ in $(seq 1 600); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		if ! kill -0 "$3" 2>/dev/null; then
			echo "$4 exited before it was ready:" >&2
			cat "$1" "$1.err" 2>/dev/null >&2
			return 1
		fi
		sleep 0.1
	done
	echo "$4 not ready in 60 s" >&2
	return 1
}

# run_nested KERNEL: one boot of the nested guest under QEMU, to its exit; its pid in
# $D/qemu.pid, status in $D/qemu.rc, seconds in $D/qemu.time, vCPU threads in $D/tids
run_nested() {
	local q deadline tids qrc=0 t=$EPOCHREALTIME
	"$QEMU_BIN" -accel kvm -smp 2 -m 256M -name "guest=$VM_NAME,debug-threads=on" \
		-nographic -nodefaults -serial stdio -no-reboot -bios qboot.rom \
		-kernel "$1" -initrd "$D/initrd.cpio" \
		-append 'console=ttyS0 panic=-1 quiet' </dev/null >"$D/console" 2>"$D/qemu.err" &
	q=$!
	echo "$q" >"$D/qemu.pid"
	echo "$q" >>"$D/pids"
	# the vCPU threads' names, read from /proc while QEMU runs
	deadline=$((SECONDS + ${PVTRACE_NESTED_TIMEOUT:-400}))
	tids=0
	: >"$D/tids"
	while kill -0 "$q" 2>/dev/null; do
		if [ "$tids" -lt 2 ]; then
			grep -H . /proc/"$q"/task/*/comm 2>/dev/null |
				sed -n 's|^/proc/[0-9]*/task/\([0-9]*\)/comm:\(CPU [0-9]*/KVM\)$|\1 \2|p' >"$D/tids"
			tids=$(wc -l <"$D/tids")
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "nested guest still running after ${PVTRACE_NESTED_TIMEOUT:-400} s: killed" >&2
			kill -9 "$q"
		fi
		sleep 0.2
	done
	wait "$q" || qrc=$?
	echo "$qrc" >"$D/qemu.rc"
	awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", b - a }' >"$D/qemu.time"
}

setup_file() {
	local reason kernel t0 t1 t2 t3 pv bt bv
	reason=$(real_qemu_reason)
	# bats 1.8 cannot skip from setup_file: setup() skips each test
	[ -z "$reason" ] || return 0
	D=$BATS_FILE_TMPDIR
	export D
	kernel=${PVTRACE_NESTED_KERNEL:-/boot/vmlinuz-$(uname -r)}
	[ -r "$kernel" ] || {
		echo "no nested guest kernel $kernel (set PVTRACE_NESTED_KERNEL)" >&2
		return 1
	}
	make_initramfs "$D/initrd" "$D/initrd.cpio"
	t0=$EPOCHREALTIME

	# Every tracer attaches before QEMU starts and detaches after it exited, so no vCPU
	# ioctl is in flight at either end, and no tracer patches kernel text while the nested
	# guest runs (under multi-threaded TCG a vCPU may run the old code: Oops: int3).
	local mode=${PVTRACE_MODE:-fentry}
	"$PVTRACE" latency --ioctl --per-vcpu --json --mode "$mode" >"$D/pv.json" 2>"$D/pv.json.err" &
	pv=$!
	echo "$pv" >>"$D/pids"
	wait_line "$D/pv.json.err" '^Tracing' "$pv" "pvtrace --per-vcpu" || return 1
	# this one reports every second, as an exporter would: names must hold in every report
	"$PVTRACE" latency --ioctl --per-vcpu --json --mode "$mode" --comm qemu-system-x86 1 \
		>"$D/pvc.json" 2>"$D/pvc.json.err" &
	bv=$!
	echo "$bv" >>"$D/pids"
	wait_line "$D/pvc.json.err" '^Tracing' "$bv" "pvtrace --comm" || return 1
	# bpftrace runs BEGIN once its probes are attached
	# (the vCPU id from the file, as KVM keeps it: vmlinux BTF has struct kvm_vcpu)
	bpftrace -f json -e 'BEGIN { printf("ready\n"); }
		kprobe:kvm_vcpu_ioctl {
			@calls[pid, tid, ((struct kvm_vcpu *)((struct file *)arg0)->private_data)->vcpu_id,
			       (uint32)arg1, comm] = count();
		}
		kretprobe:htab_percpu_map_update_elem /(int64)retval < 0/ { @update_err[(int64)retval] = count(); }' \
		>"$D/bt.json" 2>"$D/bt.json.err" &
	bt=$!
	echo "$bt" >>"$D/pids"
	wait_line "$D/bt.json" ready "$bt" bpftrace || return 1
	# pvtrace exits and perf kvm stat (Debian's linux-perf) on the same run: perf records
	# from the moment it acks "enable" on its control fifo
	local ex pk
	"$PVTRACE" exits --per-vcpu --json --mode "$mode" >"$D/ex.json" 2>"$D/ex.json.err" &
	ex=$!
	echo "$ex" >>"$D/pids"
	wait_line "$D/ex.json.err" '^Tracing' "$ex" "pvtrace exits" || return 1
	if command -v perf >/dev/null; then
		mkfifo "$D/perf.ctl" "$D/perf.ack"
		exec 8<>"$D/perf.ctl" 9<>"$D/perf.ack"
		perf kvm stat record -a -D -1 --control "fifo:$D/perf.ctl,$D/perf.ack" \
			-o "$D/perf.data" >"$D/perf.log" 2>&1 &
		pk=$!
		echo "$pk" >>"$D/pids"
		echo enable >&8
		timeout 60 head -c 4 <&9 >"$D/perf.acked" || return 1
	fi

	t1=$EPOCHREALTIME
	# Nested SVM under multi-threaded TCG is emulation of emulation: a clean-clone CI run saw
	# the nested guest reset 3 s into its boot, before its init (QEMU's status 0, as
	# -no-reboot makes a reset). A boot that resets before init is tried once more, and
	# the tests say so; the tracers see both QEMUs, and the tests count the last one's
	# ioctls by its pid.
	local attempt
	for attempt in 1 2; do
		run_nested "$kernel" || return 1
		grep -q '^pvt-nested: init reached' "$D/console" && break
		[ "$(cat "$D/qemu.rc")" -eq 0 ] || break
		{
			echo "attempt $attempt: the nested guest reset before its init after $(cat "$D/qemu.time") s; console's last lines:"
			tail -n 5 "$D/console" | tr -d '\r' | sed 's/^/    /'
		} >>"$D/attempts"
	done
	t2=$EPOCHREALTIME

	kill -INT "$bt"
	kill -TERM "$bv" "$pv" "$ex"
	if [ -n "${pk:-}" ]; then
		kill -INT "$pk"
		local prc=0
		wait "$pk" || prc=$?
		echo "$prc" >"$D/perf.rc"
		exec 8>&- 9>&-
	fi
	local rc=0
	wait "$ex" || rc=$?
	echo "$rc" >"$D/ex.rc"
	rc=0
	wait "$bt" || rc=$?
	echo "$rc" >"$D/bt.rc"
	rc=0
	wait "$pv" || rc=$?
	echo "$rc" >"$D/pv.rc"
	rc=0
	wait "$bv" || rc=$?
	echo "$rc" >"$D/pvc.rc"
	rm "$D/pids" # all waited for
	t3=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN {
		printf "%.1f s to attach the tracers, %.1f s from QEMU'"'"'s start to its exit, %.1f s to stop the tracers\n",
			b - a, c - b, d - c }' >"$D/timing"
	# bpftrace's map: "PID,TID,VCPU,CMD,COMM": N -> lines "PID TID VCPU CMD(hex) N COMM"
	jq -r 'select(.type == "map") | (.data["@calls"] // empty) | to_entries[] | (.key | split(",")) as $k |
		"\($k[0]) \($k[1]) \($k[2]) \($k[3]) \(.value) \($k[4:] | join(","))"' "$D/bt.json" |
		awk '{ $4 = sprintf("0x%08x", $4); print }' >"$D/bt.counts"
	# failed updates of per-CPU hash maps (pvtrace's series): "ERRNO N" lines
	jq -r 'select(.type == "map") | (.data["@update_err"] // empty) | to_entries[] | "\(.key) \(.value)"' \
		"$D/bt.json" >"$D/bt.update_err"
	# e.g. a --rw directory of guest.sh
	[ -z "${PVTRACE_QEMU_REAL_OUT:-}" ] || cp -r "$D/." "$PVTRACE_QEMU_REAL_OUT/"
}

# a setup_file that failed half-way leaves no tracer or QEMU behind
teardown_file() {
	[ -n "${D:-}" ] && [ -r "$D/pids" ] || return 0
	local p
	while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$D/pids"
}

setup() {
	reason=$(real_qemu_reason)
	[ -z "$reason" ] || skip "$reason"
	Q=$(cat "$D/qemu.pid")
}

# bpftrace's count of QEMU's ioctls where an awk condition on $2 (tid), $3 (vcpu), $4 (cmd) holds
bt_count() { # CONDITION
	awk -v q="$Q" "\$1 == q && ($1) { s += \$5 } END { print s + 0 }" "$D/bt.counts"
}

# tid of QEMU's thread named NAME
tid_of() { # NAME
	awk -v c="$1" '{ t = $1; $1 = ""; sub(/^ /, "") } $0 == c { print t }' "$D/tids"
}

# QEMU's series in FILE, summed over its reports: lines "VCPU CMD COUNT COMMAND"
pv_table() { # FILE
	jq -s -r --argjson q "$Q" '[.[].ioctls[] | select(.pid == $q)] | group_by([.vcpu, .cmd])[] |
		"\(.[0].vcpu) \(.[0].cmd) \(map(.histogram.count) | add) \(.[0].command)"' "$1"
}

# pvtrace's count per vCPU and command equals bpftrace's, for every pair either saw
same_table() { # FILE
	local pv bt
	pv=$(pv_table "$1" | awk '{ print $1, $2, $3 }' | sort)
	bt=$(awk -v q="$Q" '$1 == q { n[$3 " " $4] += $5 } END { for (k in n) print k, n[k] }' \
		"$D/bt.counts" | sort)
	diff <(echo "$pv") <(echo "$bt") && return 0
	echo "pvtrace (<) and bpftrace (>) differ; pvtrace's dropped and series:"
	jq -c '{dropped, series, overflow: [.ioctls[] | select(.overflow) | {command, count: .histogram.count}]}' "$1" |
		grep -v '"overflow":\[\]' | tail -n 3
	echo "failed per-CPU hash map updates in the kernel (errno count): $(tr '\n' ' ' <"$D/bt.update_err")"
	return 1
}

@test "real QEMU boots a real guest kernel with 2 vCPUs under KVM to its init" {
	note "$(cat "$D/timing") (QEMU's status $(cat "$D/qemu.rc"))"
	[ ! -s "$D/attempts" ] || sed 's/^/# /' "$D/attempts" >&3
	cat "$D/console" "$D/qemu.err"
	[ "$(cat "$D/qemu.rc")" -eq 0 ]
	grep -q '^pvt-nested: init reached' "$D/console"
	grep -q '^pvt-nested: version Linux version 6\.' "$D/console"
	grep -q '^pvt-nested: cpus 2' "$D/console"
	note "nested $(grep -a '^pvt-nested: uptime' "$D/console" | tr -d '\r')"
	# the vCPU threads as /proc named them while QEMU ran
	cat "$D/tids"
	[ "$(cut -d' ' -f2- "$D/tids" | sort | tr '\n' ,)" = "CPU 0/KVM,CPU 1/KVM," ]
}

@test "per vCPU and command: pvtrace's counts equal bpftrace's count of the same run" {
	cat "$D/bt.counts"
	[ "$(cat "$D/bt.rc")" -eq 0 ]
	[ "$(cat "$D/pv.rc")" -eq 0 ]
	same_table "$D/pv.json"
	local n want got
	for n in 0 1; do
		want=$(bt_count "\$3 == $n")
		got=$(pv_table "$D/pv.json" | awk -v n=$n '$1 == n { s += $3 } END { print s + 0 }')
		note "vCPU $n: bpftrace $want, pvtrace $got"
		[ "$want" -gt 0 ]
		[ "$got" -eq "$want" ]
	done
	tail -n 1 "$D/pv.json" | jq -e '[.dropped[]] | add == 0' >/dev/null
}

@test "per vCPU thread: CPU N/KVM's ioctls, all on vCPU N, and the others' add up" {
	local n tid mine other got
	for n in 0 1; do
		tid=$(tid_of "CPU $n/KVM")
		[ -n "$tid" ]
		mine=$(bt_count "\$2 == $tid")
		# the vCPU thread uses its own vCPU only
		[ "$(bt_count "\$2 == $tid && \$3 != $n")" -eq 0 ]
		# other threads' ioctls on this vCPU (QEMU's main thread issues a few)
		other=$(bt_count "\$2 != $tid && \$3 == $n")
		got=$(pv_table "$D/pv.json" | awk -v n=$n '$1 == n { s += $3 } END { print s + 0 }')
		note "vCPU $n: bpftrace: thread CPU $n/KVM (tid $tid) $mine, other threads $other; pvtrace $got"
		awk -v q="$Q" -v t="$tid" -v n=$n '$1 == q && $2 != t && $3 == n { printf "#   tid %s (%s): %s x %s\n", $2, $6, $5, $4 }' \
			"$D/bt.counts" >&3
		[ "$mine" -gt 0 ]
		[ "$got" -eq $((mine + other)) ]
	done
}

@test "every ioctl keeps its process, VM and vCPU while the series map has room" {
	local f
	for f in pv pvc; do
		tail -n 1 "$D/$f.json" | jq -c '{dropped, series}'
		# an ioctl counted per command only (overflow) lost its process, VM and vCPU
		jq -s -e 'all(.[]; .series.used >= .series.max or ([.ioctls[] | select(.overflow)] | length == 0))' \
			"$D/$f.json" >/dev/null || {
			jq -c '.ioctls[] | select(.overflow) | {command, count: .histogram.count}' "$D/$f.json"
			echo "per command only with the map not full; failed per-CPU hash map updates (errno count): $(tr '\n' ' ' <"$D/bt.update_err")"
			return 1
		}
	done
}

@test "identity: comm is the process name, vm the -name guest, thread the vCPU thread" {
	local doc
	# (an overflow entry has no identity: the test above)
	doc=$(tail -n 1 "$D/pv.json" | jq -c '.ioctls |= map(select(.overflow | not))')
	jq -r '.ioctls[] | [.pid, .comm, .vm, .vcpu, .thread, .command, .histogram.count] | @tsv' <<<"$doc"
	jq -e '.mode == "'"${PVTRACE_MODE:-fentry}"'" and .schema == "pvtrace.latency.ioctl/2"' <<<"$doc" >/dev/null
	# every series is QEMU's (nothing else runs a VM here)
	[ "$(jq -r '[.ioctls[].pid] | unique | map(tostring) | join(",")' <<<"$doc")" = "$Q" ]
	[ "$(jq -r '[.ioctls[].comm] | unique | join(",")' <<<"$doc")" = qemu-system-x86 ]
	[ "$(jq -r '[.ioctls[].vm] | unique | join(",")' <<<"$doc")" = "$VM_NAME" ]
	[ "$(jq -r '[.ioctls[].vcpu] | unique | map(tostring) | join(",")' <<<"$doc")" = "0,1" ]
	jq -e '[.ioctls[] | select(.thread != "CPU \(.vcpu)/KVM")] | length == 0' <<<"$doc" >/dev/null
	jq -e '.ioctls | all(.exited)' <<<"$doc" >/dev/null
	for n in 0 1; do
		jq -e --argjson n $n '[.ioctls[] | select(.vcpu == $n and .command == "KVM_RUN") | .histogram.count] | add > 0' \
			<<<"$doc" >/dev/null
	done
}

@test "--comm qemu-system-x86 keeps QEMU's vCPU threads: counts equal bpftrace's" {
	[ "$(cat "$D/pvc.rc")" -eq 0 ]
	same_table "$D/pvc.json"
	local want got
	want=$(bt_count 1)
	got=$(pv_table "$D/pvc.json" | awk '{ s += $3 } END { print s + 0 }')
	note "--comm qemu-system-x86: bpftrace $want, pvtrace $got"
	[ "$want" -gt 0 ]
	[ "$got" -eq "$want" ]
	[ "$(jq -s -r '[.[].ioctls[] | select(.overflow | not) | .comm] | unique | join(",")' "$D/pvc.json")" = qemu-system-x86 ]
}

@test "thread names the vCPU's thread in every report, not whichever thread came last" {
	jq -s -e 'length >= 2' "$D/pvc.json" >/dev/null
	# QEMU's main thread issues KVM_SET_VAPIC_ADDR on each vCPU's fd: the vCPU thread's name
	# must still label vCPU N's series, in each 1-second report
	jq -r '.interval_index as $i | .ioctls[] | select((.overflow | not) and .thread != "CPU \(.vcpu)/KVM") |
		"report \($i): vCPU \(.vcpu) \(.command) labelled thread \"\(.thread)\""' "$D/pvc.json" >"$BATS_TEST_TMPDIR/bad"
	cat "$BATS_TEST_TMPDIR/bad"
	note "$(jq -s 'length' "$D/pvc.json") reports, $(wc -l <"$BATS_TEST_TMPDIR/bad") series mislabelled"
	[ ! -s "$BATS_TEST_TMPDIR/bad" ]
}

# kvm_exit's reason names as the kernel prints them (perf kvm stat's), to codes: "NAME<TAB>CODE"
exit_reason_codes() { # ISA (1 VMX, 2 SVM)
	local f=/sys/kernel/tracing/events/kvm/kvm_exit/format
	[ -r $f ] || f=/sys/kernel/debug/tracing/events/kvm/kvm_exit/format
	# the __print_symbolic of the ISA's half: { 0x07b, "io" }, { 0x040 + 13, "GP excp" }
	sed -n 's/^print fmt: //p' "$f" | awk -v isa="$1" '
	function num(x,   i, c, v) { # decimal, or 0x hex (mawk has no strtonum)
		if (x !~ /^0x/) return x + 0
		v = 0
		for (i = 3; i <= length(x); i++) {
			c = index("0123456789abcdef", tolower(substr(x, i, 1))) - 1
			v = v * 16 + c
		}
		return v
	}
	{
		n = split($0, half, "__print_symbolic")
		s = half[isa == 1 ? 2 : 3]
		while (match(s, /\{ *[-0-9a-fx]+( *\+ *[0-9]+)?, *"[^"]*" *\}/)) {
			e = substr(s, RSTART + 1, RLENGTH - 2); s = substr(s, RSTART + RLENGTH)
			split(e, kv, ","); v = kv[1]; name = kv[2]
			gsub(/[ "]/, "", v); sub(/^ *"/, "", name); sub(/" *$/, "", name)
			split(v, parts, "+"); code = num(parts[1]) + (parts[2] == "" ? 0 : parts[2])
			printf "%s\t%.0f\n", name, code
		}
	}'
}

@test "exits: per reason, pvtrace's hardware exits equal perf kvm stat's for the same run" {
	command -v perf >/dev/null || skip "no perf (apt-get install linux-perf)"
	cat "$D/ex.json.err"
	[ "$(cat "$D/ex.rc")" -eq 0 ]
	cat "$D/perf.log"
	# perf record ends on SIGINT with its status or the signal's (130)
	note "perf record: status $(cat "$D/perf.rc"), $(grep -o 'Captured and wrote.*' "$D/perf.log")"
	grep -q 'Captured and wrote' "$D/perf.log"
	run ! grep -qi 'lost' "$D/perf.log"
	perf kvm -i "$D/perf.data" stat report --event=vmexit -p "$Q" >"$D/perf.report" 2>&1
	cat "$D/perf.report"
	# rows: NAME (right-aligned, may hold a space) SAMPLES SAMPLES% TIME% ...
	sed -nE 's/^ *([^ ].*[^ ]|[^ ]) +([0-9]+) +[0-9.]+% +[0-9.]+% .*/\1\t\2/p' "$D/perf.report" >"$D/perf.rows"
	[ -s "$D/perf.rows" ]
	isa=$(tail -n 1 "$D/ex.json" | jq -r '[.vms[] | select(.pid == '"$Q"') | .hardware[].isa] | unique | join(",")')
	[ "$isa" = SVM ] || [ "$isa" = VMX ]
	exit_reason_codes $([ "$isa" = VMX ] && echo 1 || echo 2) >"$D/reason.codes"
	local name n code pv extra=0 perf_total=0 pv_total rows=0
	while IFS=$'\t' read -r name n; do
		code=$(awk -F'\t' -v n="$name" '$1 == n { print $2; exit }' "$D/reason.codes")
		[ -n "$code" ] || { echo "perf's reason '$name' is not in kvm_exit's format"; return 1; }
		pv=$(tail -n 1 "$D/ex.json" | jq --argjson q "$Q" --argjson c "$code" \
			'[.vms[] | select(.pid == $q) | .hardware[] | select(.code == $c) | .count] | add // 0')
		note "$(printf '%-22s perf kvm stat %8d  pvtrace %8d' "$name" "$n" "$pv")"
		# perf counts an exit at the next kvm_entry; pvtrace at it or at the return to user
		# space: a vCPU's last exit before QEMU quits is pvtrace's alone
		[ "$pv" -ge "$n" ]
		extra=$((extra + pv - n))
		perf_total=$((perf_total + n))
		rows=$((rows + 1))
	done <"$D/perf.rows"
	pv_total=$(tail -n 1 "$D/ex.json" | jq --argjson q "$Q" '[.vms[] | select(.pid == $q) | .hardware[].count] | add')
	note "$rows reasons; perf kvm stat $perf_total exits, pvtrace $pv_total ($extra more: at most one per vCPU)"
	[ "$rows" -ge 3 ]
	[ "$extra" -le 2 ]
	[ "$pv_total" -eq $((perf_total + extra)) ]
	tail -n 1 "$D/ex.json" | jq -e '.dropped.hist_map_full == 0 and .dropped.unknown_vcpu == 0 and .dropped.no_state_slot == 0' >/dev/null
}

@test "exits: the real QEMU's returns to user space by reason, per vCPU thread named CPU N/KVM" {
	local doc
	doc=$(tail -n 1 "$D/ex.json" | jq -c --argjson q "$Q" '.vms |= map(select(.pid == $q))')
	jq -r '.vms[] | "\(.vcpu) \(.thread): " + ([.returns[] | "\(.reason) \(.count)"] | join(", "))' <<<"$doc" >&3
	jq -e '[.vms[].vm] | unique == ["'"$VM_NAME"'"]' <<<"$doc" >/dev/null
	jq -e '[.vms[] | .thread == "CPU \(.vcpu)/KVM"] | all' <<<"$doc" >/dev/null
	jq -e '[.vms[].vcpu] | unique == [0, 1]' <<<"$doc" >/dev/null
	# a booting Linux guest's PIO (serial console, PIC, PIT...) reaches QEMU
	jq -e '[.vms[].returns[] | select(.reason == "KVM_EXIT_IO") | .count] | add > 0' <<<"$doc" >/dev/null
	# every KVM_RUN return of QEMU's vCPU threads, by kvm_run->exit_reason, equals the
	# KVM_RUN calls bpftrace counted on those threads
	local tid n pvr bt
	for n in 0 1; do
		tid=$(tid_of "CPU $n/KVM")
		bt=$(bt_count "\$2 == $tid && \$4 == \"0x0000ae80\"")
		pvr=$(jq --argjson n $n '[.vms[] | select(.vcpu == $n) | .returns[].count] | add' <<<"$doc")
		note "vCPU $n: KVM_RUN calls (bpftrace) $bt, returns (pvtrace exits) $pvr"
		[ "$bt" -gt 0 ] && [ "$pvr" -eq "$bt" ]
	done
}
