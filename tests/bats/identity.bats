#!/usr/bin/env bats
# latency --ioctl on hosts like real ones: processes named like QEMU with named vCPU
# threads and several VMs, VMs that come and go, cgroups, a full series map, odd bytes
# in names. Counts are checked exactly against what vmident (tests/helpers) issued.

load helpers
bats_require_minimum_version 1.5.0

VMIDENT=${VMIDENT:-$REPO/build/tests/vmident}

setup() {
	need_root
	need_kvm
	GO=$BATS_TEST_TMPDIR/go
	HOLD=$BATS_TEST_TMPDIR/hold
	# a copy named like QEMU's binary: its comm is "qemu-system-x86" (15 bytes)
	QEMU=$BATS_TEST_TMPDIR/qemu-system-x86_64
	cp "$VMIDENT" "$QEMU"
}

teardown() {
	touch "$GO" "$HOLD"
	[ -z "${PV_PID:-}" ] || kill -9 "$PV_PID" 2>/dev/null || true
	if [ -n "${CG:-}" ] && [ -d "$CG" ]; then
		while read -r p; do echo "$p" >"$CGROOT/cgroup.procs"; done <"$CG/cgroup.procs"
		rmdir "$CG"
	fi
}

# sum of vmident's GET_REGS lines matching an awk condition on $2 (pid), $4 (vm), $6 (vcpu)
issued_where() { # FILE CONDITION
	awk "\$1 == \"pid\" && ($2) { s += \$8 } END { print s + 0 }" "$1"
}

@test "comm is the process name, vCPU threads and VMs apart; counts per VM and vCPU exact" {
	start_pvtrace latency --ioctl --per-vcpu --json $(mode_args)
	"$QEMU" --vms 2 --vcpus 2 --count 77 --wait-file "$GO" --hold-file "$HOLD" \
		-- -name guest=web,,1,debug-threads=on >"$BATS_TEST_TMPDIR/q.out" &
	qpid=$!
	"$VMIDENT" --vcpus 1 --count 5 --wait-file "$GO" >/dev/null &
	other=$!
	touch "$GO"
	sleep 1 # the VM name is read from /proc while the process lives
	touch "$HOLD"
	wait "$qpid" "$other"
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	doc=$(tail -n 1 "$PV_OUT")
	jq -c '.ioctls[] | [.pid, .comm, .vm, .vm_index, .vcpu, .thread, .histogram.count]' <<<"$doc"
	q=$(jq -c --argjson p "$qpid" '[.ioctls[] | select(.pid == $p)]' <<<"$doc")
	# one process name for all four series, whichever thread created them
	[ "$(jq -r '[.[].comm] | unique | join(",")' <<<"$q")" = qemu-system-x86 ]
	[ "$(jq -r '[.[].vm] | unique | join(";")' <<<"$q")" = "web,1;web,1#1" ]
	[ "$(jq -r '[.[].thread] | unique | join(",")' <<<"$q")" = "CPU 0/KVM,CPU 1/KVM" ]
	# equal vCPU ids of different VMs are separate series
	[ "$(jq 'length' <<<"$q")" -eq 4 ]
	for vm in 0 1; do
		for v in 0 1; do
			want=$(issued_where "$BATS_TEST_TMPDIR/q.out" "\$4 == $vm && \$6 == $v")
			got=$(jq --argjson m $vm --argjson v $v \
				'[.[] | select(.vm_index == $m and .vcpu == $v and .command == "KVM_GET_REGS") | .histogram.count] | add' <<<"$q")
			echo "vm $vm vcpu $v issued $want traced $got"
			[ "$want" -eq 77 ]
			[ "$got" -eq "$want" ]
		done
	done
	# and the other process keeps its own name
	[ "$(jq -r --argjson p "$other" '[.ioctls[] | select(.pid == $p) | .comm] | unique | .[]' <<<"$doc")" = vmident ]
	[ "$(jq -r --argjson p "$other" '[.ioctls[] | select(.pid == $p) | .vm] | unique | .[]' <<<"$doc")" = "vmident/$other" ]
}

@test "--comm matches the process name, so QEMU's named vCPU threads are kept" {
	start_pvtrace latency --ioctl --json --comm qemu-system-x86 $(mode_args)
	"$QEMU" --vms 1 --vcpus 2 --count 40 --wait-file "$GO" >/dev/null &
	q=$!
	"$VMIDENT" --vcpus 2 --count 9 --wait-file "$GO" >/dev/null &
	o=$!
	touch "$GO"
	wait "$q" "$o"
	stop_pvtrace INT
	[ "$(traced "$PV_OUT" KVM_GET_REGS)" -eq 80 ]
}

@test "--vm NAME keeps only that VM's process" {
	start_pvtrace latency --ioctl --json --vm alpha $(mode_args)
	"$QEMU" --count 31 --wait-file "$GO" --hold-file "$HOLD" -- -name alpha,debug-threads=on >/dev/null &
	a=$!
	"$QEMU" --count 45 --wait-file "$GO" --hold-file "$HOLD" -- -name guest=beta >/dev/null &
	b=$!
	touch "$GO"
	sleep 1
	touch "$HOLD"
	wait "$a" "$b"
	stop_pvtrace INT
	doc=$(tail -n 1 "$PV_OUT")
	[ "$(jq -r '[.ioctls[].pid] | unique | .[]' <<<"$doc")" = "$a" ]
	[ "$(jq -r '[.ioctls[].vm] | unique | .[]' <<<"$doc")" = alpha ]
	[ "$(traced "$PV_OUT" KVM_GET_REGS)" -eq 62 ]
}

@test "-p ends with a last report when its process exits" {
	"$QEMU" --count 25 --wait-file "$GO" --hold-file "$HOLD" >/dev/null &
	q=$!
	start_pvtrace latency --ioctl --json -p "$q" 1 $(mode_args)
	touch "$GO"
	sleep 1.2
	touch "$HOLD"
	wait "$q"
	for _ in $(seq 1 50); do kill -0 "$PV_PID" 2>/dev/null || break; sleep 0.1; done
	run ! kill -0 "$PV_PID"
	wait "$PV_PID"
	grep -q "process $q exited" "$PV_ERR"
	jq -s -e 'length >= 1 and .[-1].final' "$PV_OUT" >/dev/null
	[ "$(jq -s '[.[].ioctls[] | select(.command == "KVM_GET_REGS") | .histogram.count] | add' "$PV_OUT")" -eq 50 ]
}

@test "--cgroup traces the cgroup's processes and their children, nothing else" {
	CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$CGROOT" ] || skip "no cgroup v2 mount on this machine"
	CG=$CGROOT/pvtrace-test.$$
	mkdir "$CG"
	start_pvtrace latency --ioctl --json --per-pid --cgroup "$CG" $(mode_args)
	# a shell moves itself into the cgroup, then forks three VMMs one after another
	sh -c "echo \$\$ >'$CG/cgroup.procs' && exec '$VMIDENT' --children 3 --count 12 --wait-file '$GO'" \
		>"$BATS_TEST_TMPDIR/c.out" &
	c=$!
	"$VMIDENT" --count 50 --wait-file "$GO" >/dev/null &
	o=$!
	touch "$GO"
	wait "$c" "$o"
	stop_pvtrace INT
	doc=$(tail -n 1 "$PV_OUT")
	# three children, each exact; the process outside is absent
	[ "$(jq '[.ioctls[].pid] | unique | length' <<<"$doc")" -eq 3 ]
	jq -e --argjson o "$o" '[.ioctls[] | select(.pid == $o)] | length == 0' <<<"$doc" >/dev/null
	[ "$(traced "$PV_OUT" KVM_GET_REGS)" -eq "$(issued_where "$BATS_TEST_TMPDIR/c.out" 1)" ]
	[ "$(traced "$PV_OUT" KVM_GET_REGS)" -eq 72 ]
}

@test "exited processes: one last report, then gone from JSON and the textfile" {
	prom=$BATS_TEST_TMPDIR/lat.prom
	start_pvtrace latency --ioctl --json --per-pid --prom "$prom" 1 $(mode_args)
	"$VMIDENT" --children 6 --count 20 --wait-file "$GO" >"$BATS_TEST_TMPDIR/k.out" &
	k=$!
	"$QEMU" --count 10 --wait-file "$GO" --hold-file "$HOLD" -- -name guest=stays >/dev/null &
	q=$!
	touch "$GO"
	wait "$k"
	sleep 2.5 # two more reports: the last one with the children, then none
	# while pvtrace runs: the textfile has the live VM only
	grep 'pid=' "$prom"
	[ "$(grep -c "^pvtrace_kvm_vcpu_ioctl_duration_seconds_count{.*pid=" "$prom")" -eq 1 ]
	grep -q "pid=\"$q\",comm=\"qemu-system-x86\",vm=\"stays\"" "$prom"
	grep -qx 'pvtrace_latency_exited_series_removed_total 6' "$prom"
	touch "$HOLD"
	wait "$q"
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	# every child pid: counts over all reports exact; its last appearance says exited
	for pid in $(awk '$1 == "pid" { print $2 }' "$BATS_TEST_TMPDIR/k.out" | sort -u); do
		got=$(jq -s --argjson p "$pid" '[.[].ioctls[] | select(.pid == $p) | .histogram.count] | add' "$PV_OUT")
		[ "$got" -eq 40 ]
		jq -s -e --argjson p "$pid" '[.[].ioctls[] | select(.pid == $p)] | last | .exited' "$PV_OUT" >/dev/null
	done
	# the textfile is removed at a clean exit: no frozen counters
	[ ! -e "$prom" ]
}

@test "a full series map: no command disappears, counts add up, the overflow is visible" {
	prom=$BATS_TEST_TMPDIR/o.prom
	start_pvtrace latency --ioctl --json --per-vcpu --max-series 3 --prom "$prom" --prom-keep $(mode_args)
	"$QEMU" --vms 2 --vcpus 2 --count 50 --wait-file "$GO" >/dev/null &
	q=$!
	touch "$GO"
	wait "$q"
	stop_pvtrace INT
	[ "$PV_RC" -eq 0 ]
	doc=$(tail -n 1 "$PV_OUT")
	[ "$(jq '[.ioctls[] | select(.overflow | not)] | length' <<<"$doc")" -eq 3 ]
	[ "$(jq '[.ioctls[] | select(.overflow) | .histogram.count] | add' <<<"$doc")" -eq 50 ]
	[ "$(traced "$PV_OUT" KVM_GET_REGS)" -eq 200 ]
	[ "$(jq '.dropped.series_overflow' <<<"$doc")" -eq 50 ]
	[ "$(jq '.dropped.hist_map_full' <<<"$doc")" -eq 0 ]
	jq -e '.series.used == 3 and .series.max == 3' <<<"$doc" >/dev/null
	grep -q 'recorded per command only: series_overflow' "$PV_ERR"
	grep -q '^pvtrace_kvm_vcpu_ioctl_duration_seconds_count{command="KVM_GET_REGS",cmd="0x8090ae81",overflow="true"} 50$' "$prom"
	grep -qx 'pvtrace_latency_dropped_events_total{reason="series_overflow"} 50' "$prom"
	[ "$(awk '/^pvtrace_kvm_vcpu_ioctl_duration_seconds_count\{command="KVM_GET_REGS"/ { s += $NF } END { print s }' "$prom")" -eq 200 ]
}

@test "names with odd bytes: JSON stays valid, the textfile parses, U+FFFD marks them" {
	prom=$BATS_TEST_TMPDIR/u.prom
	start_pvtrace latency --ioctl --json --per-pid --prom "$prom" --prom-keep $(mode_args)
	# a 15-byte comm that ends in the middle of "é" (c3 a9), and one with a 0xff byte
	"$VMIDENT" --comm 'aaaaaaaaaaaaaa\xc3\xa9' --count 3 --wait-file "$GO" >/dev/null &
	a=$!
	"$VMIDENT" --comm 'vm\xffx' --count 4 --wait-file "$GO" >/dev/null &
	b=$!
	touch "$GO"
	wait "$a" "$b"
	stop_pvtrace INT
	tail -n 1 "$PV_OUT" | jq -e . >/dev/null
	tail -n 1 "$PV_OUT" | iconv -f UTF-8 -t UTF-8 >/dev/null
	iconv -f UTF-8 -t UTF-8 <"$prom" >/dev/null
	[ "$(tail -n 1 "$PV_OUT" | jq -r --argjson p "$a" '.ioctls[] | select(.pid == $p) | .comm')" = "aaaaaaaaaaaaaa�" ]
	[ "$(tail -n 1 "$PV_OUT" | jq -r --argjson p "$b" '.ioctls[] | select(.pid == $p) | .comm')" = "vm�x" ]
	if command -v promtool >/dev/null; then promtool check metrics <"$prom"; fi
	[ "$(traced "$PV_OUT" KVM_GET_REGS)" -eq 14 ]
}

@test "churn beside 1024 live series: no ioctl of an exiting VM is lost between read and reap" {
	# a large map makes each report's read long: a VM that exits during it once lost the
	# ioctls it issued after the read (its series were removed with the exited ones)
	start_pvtrace latency --ioctl --per-vcpu --comm pvchurn --json 1 $(mode_args)
	for i in $(seq 1 8); do
		"$VMIDENT" --comm pvchurn --vms 8 --vcpus 16 --count 1 --hold-file "$HOLD" >/dev/null &
		sleep 0.2
	done
	sleep 1.5
	"$VMIDENT" --comm pvchurn --children 300 --vcpus 2 --count 3000 >"$BATS_TEST_TMPDIR/c.out"
	sleep 2.5
	stop_pvtrace INT
	touch "$HOLD"
	wait
	[ "$PV_RC" -eq 0 ]
	issued=$(($(issued_where "$BATS_TEST_TMPDIR/c.out" 1) + 8 * 8 * 16))
	traced=$(jq -s '[.[].ioctls[] | select(.command == "KVM_GET_REGS") | .histogram.count] | add' "$PV_OUT")
	echo "issued $issued traced $traced; $(jq -s -c '.[-1].dropped' "$PV_OUT")"
	[ "$issued" -eq 1801024 ]
	[ "$traced" -eq "$issued" ]
	# every short-lived vCPU exact, in its own series
	jq -r '.ioctls[] | select(.command == "KVM_GET_REGS" and (.overflow | not)) | "\(.pid)_\(.vcpu) \(.histogram.count)"' "$PV_OUT" >"$BATS_TEST_TMPDIR/series"
	awk '{ t[$1] += $2 } END { for (k in t) print k, t[k] }' "$BATS_TEST_TMPDIR/series" | sort >"$BATS_TEST_TMPDIR/traced"
	[ -s "$BATS_TEST_TMPDIR/traced" ]
	awk '$1 == "pid" { print $2 "_" $6, $8 }' "$BATS_TEST_TMPDIR/c.out" | sort |
		join - "$BATS_TEST_TMPDIR/traced" | awk '$2 != $3 { print; bad++ } END { exit bad > 0 }'
	[ "$(awk '$1 == "pid"' "$BATS_TEST_TMPDIR/c.out" | wc -l)" -eq 600 ]
}
