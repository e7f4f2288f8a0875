#!/usr/bin/env bash
# Inside the qemu-system-aarch64 guest (scripts/guest.sh --arch arm64 --with-qemu): what share
# of a real VMM's vCPU state save is the register save? Debian's arm64 QEMU runs a paused VM
# under KVM (-accel kvm -M virt -cpu host -smp N -m 64M -S), QMP `migrate` saves the whole VM
# to a file on tmpfs, and pvtrace's `latency --ioctl -p QEMU --per-vcpu` times every vCPU
# ioctl of the save. QEMU saves an arm64 vCPU by KVM_GET_ONE_REG, one register at a time
# (kvm_arch_get_registers: core and FP/SVE registers by hand, then write_kvmstate_to_list over
# the cpreg list built from KVM_GET_REG_LIST; cpu_pre_save reads that list once more).
#
# For each N (PVTRACE_VMM_SAVE_SMP, default "1 2 4"): one run with QEMU's own trace of its
# kvm_vcpu_ioctl() calls (-trace kvm_vcpu_ioctl, the second reader: pvtrace's counts must
# equal it per vCPU and command), then PVTRACE_VMM_SAVE_REPS (default 3) timed runs without
# it. Expected KVM_GET_ONE_REG per vCPU per save, from build-arm64/tests/reglist (the vCPU
# QEMU -cpu host makes): core + SVE - SVE_VLS + 2 * cpreg.
# Times are those of an emulated machine (TCG, KVM nested in it): the share is the figure.
# TAP on stdout, the figures as comments, one JSON document on the line "# json: {...}" (and
# in PVTRACE_VMM_SAVE_JSON if set). Non-zero exit if anything failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
PV=build-arm64/pvtrace
RL=build-arm64/tests/reglist
SMPS=${PVTRACE_VMM_SAVE_SMP:-1 2 4}
REPS=${PVTRACE_VMM_SAVE_REPS:-3}
W=$(mktemp -d /tmp/vmm-save.XXXXXX)
n=0 rc=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; rc=1; }
check() { # DESC CMD...: ok if CMD succeeds
	local d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
bail() { nok "$*"; echo "1..$n"; exit 1; }

echo "# guest kernel $(uname -r) ($(uname -m)); /dev/kvm: $([ -c /dev/kvm ] && echo yes || echo no)"
[ "$(uname -m)" = aarch64 ] || bail "not an arm64 guest: $(uname -m)"
[ -c /dev/kvm ] || bail "/dev/kvm missing in the arm64 guest (virtualization=on?)"
{ [ -x "$PV" ] && [ -x "$RL" ]; } || bail "no $PV or $RL (make ARCH=arm64 tests)"
Q=$(command -v qemu-system-aarch64) || bail "no qemu-system-aarch64 in PATH (scripts/guest.sh --with-qemu)"
qv=$("$Q" --version 2>&1 | head -n 1) || bail "qemu-system-aarch64 does not run: $qv"
ok "Debian's arm64 QEMU runs: $qv ($(readlink -f "$Q"))"
ip link set lo up 2>/dev/null

# --- the register list of the vCPU QEMU makes ---------------------------------------------------
rl=$("$RL") || bail "reglist failed"
echo "# KVM_GET_REG_LIST of a -cpu host vCPU: $rl"
rget() { jq -r ".$1" <<<"$rl"; }
RL_N=$(rget n) RL_CORE=$(rget core) RL_SVE=$(rget sve) RL_VLS=$(rget sve_vls) RL_CP=$(rget cpreg)
EXP=$((RL_CORE + RL_SVE - RL_VLS + 2 * RL_CP))
echo "# QEMU reads by hand: $RL_CORE core + $((RL_SVE - RL_VLS)) SVE (skips $RL_VLS SVE_VLS);" \
	"its cpreg list: n $RL_N - $RL_CORE core - $RL_SVE SVE = $RL_CP, read twice per save" \
	"(kvm_arch_get_registers, cpu_pre_save): expected KVM_GET_ONE_REG per vCPU = $EXP"

# --- one save -------------------------------------------------------------------------------------
# qmp_cmd JSON: send, read until its reply (events on the way go to $R/events); reply in QREPLY
qmp_cmd() {
	local line
	printf '%s\n' "$1" >&"${QM[1]}"
	while IFS= read -r -t 300 line <&"${QM[0]}"; do
		case $line in
		*'"event"'*) printf '%s\n' "$line" >>"$R/events" ;;
		*'"return"'* | *'"error"'*) QREPLY=$line; return 0 ;;
		esac
	done
	QREPLY=""
	return 1
}
# qmp_event STATUS: read events until MIGRATION with that status (or failed/cancelled)
qmp_event() {
	local line
	while IFS= read -r -t 600 line <&"${QM[0]}"; do
		printf '%s\n' "$line" >>"$R/events"
		case $line in
		*'"MIGRATION"'*'"status": "'"$1"'"'*) return 0 ;;
		*'"MIGRATION"'*'"status": "failed"'* | *'"MIGRATION"'*'"status": "cancelled"'*) return 1 ;;
		esac
	done
	return 1
}
# event time (µs since the epoch) of MIGRATION status S
evt_us() { jq -rs --arg s "$1" '[.[] | select(.event == "MIGRATION" and .data.status == $s)][0].timestamp |
	(.seconds * 1000000 + .microseconds)' "$R/events"; }

# save_once SMP TRACE(0|1) DIR: a whole-VM save under pvtrace; leaves in DIR: pv.json (pvtrace's
# report), events, migrate.json (query-migrate), trace.log (TRACE=1), qemu.err; status 0 if saved
save_once() {
	local smp=$1 tr=$2 pv qa=()
	R=$3
	mkdir -p "$R"
	: >"$R/events"
	# shellcheck disable=SC2054 # commas belong to qemu option values
	qa=(-name guest=vmmsave,debug-threads=on -accel kvm -M virt,gic-version=host -cpu host
		-smp "$smp" -m 64M -display none -nodefaults -S -qmp stdio)
	# the savevm sections (a few lines a save) always, every vCPU ioctl only when asked; with
	# -msg timestamp=on the log backend prefixes each line with TID@SECONDS.MICROSECONDS:
	qa+=(-trace enable=savevm_state_complete_precopy -trace enable=savevm_section_start
		-trace enable=savevm_section_end -msg timestamp=on -D "$R/trace.log")
	((tr == 0)) || qa+=(-trace enable=kvm_vcpu_ioctl)
	coproc QM { exec "$Q" "${qa[@]}" 2>"$R/qemu.err"; }
	QPID=$QM_PID
	IFS= read -r -t 300 QREPLY <&"${QM[0]}" || { echo "# no QMP greeting: $(head -c 300 "$R/qemu.err")"; return 1; }
	qmp_cmd '{"execute":"qmp_capabilities"}' || return 1
	qmp_cmd '{"execute":"query-kvm"}' && printf '%s\n' "$QREPLY" >"$R/kvm.json"
	qmp_cmd '{"execute":"query-cpus-fast"}' && printf '%s\n' "$QREPLY" >"$R/cpus.json"
	qmp_cmd '{"execute":"migrate-set-capabilities","arguments":{"capabilities":[{"capability":"events","state":true},{"capability":"pause-before-switchover","state":true}]}}' ||
		return 1
	# paused (-S): no vCPU ioctl until the save; pvtrace attaches first
	"$PV" latency --ioctl -p "$QPID" --per-vcpu --json >"$R/pv.json" 2>"$R/pv.err" &
	pv=$!
	for _ in $(seq 600); do
		grep -q '^Tracing' "$R/pv.err" 2>/dev/null && break
		kill -0 "$pv" 2>/dev/null || break
		sleep 0.2
	done
	grep -q '^Tracing' "$R/pv.err" || { echo "# pvtrace did not attach: $(head -c 300 "$R/pv.err")"; return 1; }
	wc -l <"$R/trace.log" >"$R/trace.before"
	qmp_cmd '{"execute":"migrate","arguments":{"uri":"exec:cat >'"$R"'/state.bin"}}' || return 1
	qmp_event pre-switchover || return 1
	# the RAM is sent; what follows is the stop-and-copy of all device state, vCPUs included
	qmp_cmd '{"execute":"migrate-continue","arguments":{"state":"pre-switchover"}}' || return 1
	qmp_event completed || return 1
	qmp_cmd '{"execute":"query-migrate"}' && printf '%s\n' "$QREPLY" >"$R/migrate.json"
	for t in /proc/"$QPID"/task/*; do echo "${t##*/} $(cat "$t/comm")"; done >"$R/threads" 2>/dev/null
	kill -INT "$pv"
	wait "$pv" || echo "# pvtrace exit status $?"
	qmp_cmd '{"execute":"quit"}'
	wait "$QPID" 2>/dev/null
	stat -c %s "$R/state.bin" >"$R/state.size" 2>/dev/null
	rm -f "$R/state.bin"
	return 0
}

# the device phase from QEMU's savevm trace: "SYNC_US CPU_SECTIONS_US NCPU OTHER_SECTIONS_US TOP"
# SYNC: savevm_state_complete_precopy to the first section (cpu_synchronize_all_states: every
# vCPU's kvm_arch_get_registers on its thread); CPU_SECTIONS: the "cpu" sections (cpu_pre_save's
# second pass and the cpreg arrays); TOP: the largest other sections, "name:us,..."
sections() {
	awk '{ split($1, a, "@"); split(a[2], b, ":"); t = b[1] * 1e6; ev = b[2] }
		ev == "savevm_state_complete_precopy" { t0 = t; first = 0; next }
		ev == "savevm_section_start" && t0 { name = $2; sub(/,$/, "", name); if (!first) first = t; st = t; next }
		ev == "savevm_section_end" && t0 && st { d = t - st; if (name == "cpu") { c += d; nc++ } else { o += d; s[name] += d }; st = 0 }
		END { top = ""; for (k in s) top = top sprintf("%s:%.0f,", k, s[k]);
			printf "%.0f %.0f %d %.0f %s\n", first - t0, c, nc, o, top }' "$1/trace.log"
}

# per-vCPU sums of pvtrace's series: lines "VCPU COMMAND COUNT SUM_NS"
pv_table() {
	jq -r '[.ioctls[] | select(.vcpu != null)] | group_by([.vcpu, .command])[] |
		"\(.[0].vcpu) \(.[0].command) \(map(.histogram.count) | add) \(map(.histogram.sum) | add)"' \
		"$1/pv.json" | sort
}
# the same from QEMU's trace after the save began: "VCPU COMMAND COUNT"
trace_table() {
	local before
	before=$(cat "$1/trace.before")
	tail -n +"$((before + 1))" "$1/trace.log" |
		sed -n 's/.*kvm_vcpu_ioctl cpu_index \([0-9]*\), type \(0x[0-9a-f]*\),.*/\1 \2/p' |
		sort | uniq -c | while read -r c v t; do
			name=$(jq -r --arg t "$t" '[.ioctls[] | select(.cmd == $t) | .command][0] // $t' "$1/pv.json")
			echo "$v $name $c"
		done | sort
}


JRUNS=()
for smp in $SMPS; do
	echo "# --- $smp vCPU(s), 64M, paused (-S)"
	# the cross-checked run
	d=$W/smp$smp-trace
	if ! save_once "$smp" 1 "$d"; then
		nok "smp $smp: save with QEMU's trace did not complete"
		tail -n 3 "$d/qemu.err" 2>/dev/null | sed 's/^/# qemu: /'
		continue
	fi
	check "smp $smp: QEMU ran the VM under KVM (query-kvm)" \
		grep -q '"enabled": true, "present": true' "$d/kvm.json"
	check "smp $smp: the save completed ($(cat "$d/state.size" 2>/dev/null) bytes)" \
		grep -q '"status": "completed"' "$d/migrate.json"
	pv_table "$d" >"$d/pv.tab"
	trace_table "$d" >"$d/trace.tab"
	sed 's/^/#   pvtrace: vcpu /' "$d/pv.tab"
	# which thread issued them (the log trace backend prints the thread id): the vCPU's own
	# (kvm_arch_get_registers, which cpu_synchronize_all_states runs on it) or another, the
	# migration thread (cpu_pre_save's second pass over the cpreg list)
	jq -r '.return[] | "\(.["cpu-index"]) \(.["thread-id"])"' "$d/cpus.json" >"$d/tids"
	tail -n +"$(($(cat "$d/trace.before") + 1))" "$d/trace.log" |
		sed -n 's/^\([0-9]*\)@.*kvm_vcpu_ioctl cpu_index \([0-9]*\), type \(0x[0-9a-f]*\),.*/\2 \1 \3/p' |
		awk 'FILENAME == ARGV[1] { tid[$1] = $2; next } FILENAME == ARGV[2] { n = $1; $1 = ""; comm[n] = substr($0, 2); next }
			FILENAME == ARGV[3] { name[$1] = $2; next }
			{ who = $2 == tid[$1] ? "its vCPU thread" : comm[$2] != "" ? "thread \"" comm[$2] "\"" : "thread " $2 " (gone at the end: the migration thread)"
			  k = $1 " " who " " ($3 in name ? name[$3] : $3); c[k]++ }
			END { for (k in c) print "#   QEMU trace: vcpu " k " " c[k] }' "$d/tids" "$d/threads" \
			<(jq -r '.ioctls[] | "\(.cmd) \(.command)"' "$d/pv.json") - | sort
	if cut -d' ' -f1-3 "$d/pv.tab" | diff - "$d/trace.tab" >"$d/diff"; then
		ok "smp $smp: pvtrace's count of every vCPU ioctl command per vCPU equals QEMU's own trace ($(wc -l <"$d/pv.tab") series)"
	else
		nok "smp $smp: pvtrace's counts differ from QEMU's trace"
		sed 's/^/# /' "$d/diff"
	fi
	bad=$(awk -v e="$EXP" -v s="$smp" '$2 == "KVM_GET_ONE_REG" {n++; if ($3 != e) b = b " vcpu" $1 "=" $3} END {if (n != s) b = b " vcpus=" n; print b}' "$d/pv.tab")
	check "smp $smp: KVM_GET_ONE_REG exactly $EXP per vCPU (core + SVE - VLS + 2 x cpreg)${bad:+; got$bad}" \
		test -z "$bad"
	# the timed runs
	for r in $(seq "$REPS"); do
		d=$W/smp$smp-$r
		if ! save_once "$smp" 0 "$d"; then
			nok "smp $smp run $r: save did not complete"
			continue
		fi
		pv_table "$d" >"$d/pv.tab"
		grep -q '"status": "completed"' "$d/migrate.json" || { nok "smp $smp run $r: not completed"; continue; }
		dev_us=$(($(evt_us completed) - $(evt_us device)))
		read -r sync_us cpusec_us ncpu other_us top < <(sections "$d")
		tot_ms=$(jq -r '.return["total-time"]' "$d/migrate.json")
		down_ms=$(jq -r '.return.downtime' "$d/migrate.json")
		# vCPU ioctl time per vCPU, register ioctls (GET_ONE_REG, GET_VCPU_EVENTS, GET_MP_STATE)
		read -r one_n one_ns reg_ns all_ns < <(awk '$2 == "KVM_GET_ONE_REG" {n += $3; s += $4}
			$2 ~ /^KVM_GET_(ONE_REG|VCPU_EVENTS|MP_STATE)$/ {r += $4} {a += $4}
			END {printf "%d %d %d %d\n", n, s, r, a}' "$d/pv.tab")
		bad=$(awk -v e="$EXP" '$2 == "KVM_GET_ONE_REG" && $3 != e {b = b " vcpu" $1 "=" $3} END {print b}' "$d/pv.tab")
		check "smp $smp run $r: saved; KVM_GET_ONE_REG $EXP per vCPU${bad:+; got$bad}" test -z "$bad"
		awk -v smp="$smp" -v r="$r" -v on="$one_n" -v os="$one_ns" -v rg="$reg_ns" -v al="$all_ns" \
			-v dev="$dev_us" -v tot="$tot_ms" -v dn="$down_ms" 'BEGIN {
			printf "#   run %d: GET_ONE_REG %d calls %.3f ms (%.2f us each); all vCPU ioctls %.3f ms;", r, on, os / 1e6, os / on / 1e3, al / 1e6
			printf " device phase %.3f ms, downtime %d ms, total %d ms; share of device phase: registers %.1f%%, all vCPU ioctls %.1f%%\n",
				dev / 1e3, dn, tot, 100 * rg / (dev * 1e3), 100 * al / (dev * 1e3) }'
		echo "#     QEMU's savevm trace: cpu_synchronize_all_states $((sync_us / 1000)).$(printf %03d $((sync_us % 1000))) ms;" \
			"$ncpu cpu sections $cpusec_us us; other sections $other_us us (${top%,})"
		sed 's/^/#     vcpu /' "$d/pv.tab"
		JRUNS+=("$(jq -c -n --argjson smp "$smp" --argjson run "$r" --argjson dev "$dev_us" \
			--argjson sync "$sync_us" --argjson cpusec "$cpusec_us" --argjson other "$other_us" \
			--argjson tot "$tot_ms" --argjson down "$down_ms" --arg tab "$(cat "$d/pv.tab")" '
			{smp: $smp, run: $run, device_phase_us: $dev, total_time_ms: $tot, downtime_ms: $down,
			 sync_all_states_us: $sync, cpu_sections_us: $cpusec, other_sections_us: $other,
			 vcpus: ($tab | split("\n") | map(select(length > 0) | split(" ") |
				{vcpu: (.[0] | tonumber), command: .[1], count: (.[2] | tonumber), sum_ns: (.[3] | tonumber)}))}')")
	done
done

# --- medians ------------------------------------------------------------------------------------
J=$(printf '%s\n' "${JRUNS[@]}" | jq -cs --argjson rl "$rl" --argjson exp "$EXP" --arg qemu "$qv" --arg k "$(uname -r)" '
	def med: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def regs: [.vcpus[] | select(.command | test("^KVM_GET_(ONE_REG|VCPU_EVENTS|MP_STATE)$")) | .sum_ns] | add;
	{schema: "pvtrace.vmm-save/1", qemu: $qemu, kernel: $k, emulated: true, reglist: $rl,
	 expected_get_one_reg_per_vcpu: $exp, runs: .,
	 summary: (group_by(.smp) | map({smp: .[0].smp, runs: length,
		get_one_reg_per_vcpu: ([.[].vcpus[] | select(.command == "KVM_GET_ONE_REG") | .count] | unique),
		get_one_reg_ms: ([.[] | [.vcpus[] | select(.command == "KVM_GET_ONE_REG") | .sum_ns] | add / 1e6] | med),
		register_ioctls_ms: ([.[] | regs / 1e6] | med),
		all_vcpu_ioctls_ms: ([.[] | [.vcpus[].sum_ns] | add / 1e6] | med),
		device_phase_ms: ([.[].device_phase_us / 1e3] | med),
		sync_all_states_ms: ([.[].sync_all_states_us / 1e3] | med),
		cpu_sections_ms: ([.[].cpu_sections_us / 1e3] | med),
		other_sections_ms: ([.[].other_sections_us / 1e3] | med),
		downtime_ms: ([.[].downtime_ms] | med), total_time_ms: ([.[].total_time_ms] | med),
		share_of_device_phase: ([.[] | regs / (.device_phase_us * 1e3)] | med),
		share_of_total_time: ([.[] | regs / (.total_time_ms * 1e6)] | med)}))}')
echo "# --- medians (emulated times: TCG, KVM nested)"
jq -r '.summary[] | "#   smp \(.smp) (\(.runs) runs): GET_ONE_REG \(.get_one_reg_per_vcpu) per vCPU, \(.get_one_reg_ms) ms;" +
	" register ioctls \(.register_ioctls_ms) ms of a \(.device_phase_ms) ms device phase (total \(.total_time_ms) ms;" +
	" in it cpu_synchronize_all_states \(.sync_all_states_ms) ms, cpu sections \(.cpu_sections_ms) ms, other sections \(.other_sections_ms) ms):" +
	" share \((.share_of_device_phase // 0) * 1000 | round / 10)% of the device phase, \((.share_of_total_time // 0) * 1000 | round / 10)% of the total"' <<<"$J"
nsum=$(jq '[.summary[] | select(.share_of_device_phase != null)] | length' <<<"$J")
check "the share is measured for every vCPU count ($nsum of $(wc -w <<<"$SMPS"))" test "$nsum" = "$(wc -w <<<"$SMPS")"
echo "# json: $J"
[ -z "${PVTRACE_VMM_SAVE_JSON:-}" ] || printf '%s\n' "$J" >"$PVTRACE_VMM_SAVE_JSON"
rm -rf "$W"
echo "1..$n"
exit $rc
