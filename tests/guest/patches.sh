#!/usr/bin/env bash
# Inside a qemu guest running the project's kernel (scripts/kernel-build.sh), whose
# vmlinux is PVTRACE_VMLINUX: pvtrace patches --live and --watch, checked against the
# guest's own state (/proc/cpuinfo, the text itself). TAP output; non-zero on failure.
# shellcheck disable=SC2016 # jq programs in single quotes: their $names are jq's
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
PV=${PVTRACE:-./pvtrace}
VMLINUX=${PVTRACE_VMLINUX:-}
tmp=$(mktemp -d)
n=0 rc=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; rc=1; }
check() { # DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@"; then ok "$d"; else fail "$d"; fi
}
# shellcheck disable=SC2317 # called through check
jqe() { jq -e "$@" >/dev/null; } # a jq test: true, and some input
# process substitution needs /dev/fd
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd

echo "# guest kernel $(uname -r), vmlinux $VMLINUX"
if [ ! -r "$VMLINUX" ]; then
	echo "not ok 1 - PVTRACE_VMLINUX ($VMLINUX) is not readable in the guest"
	exit 1
fi

# --- --live --------------------------------------------------------------------------
"$PV" patches --vmlinux "$VMLINUX" --live --json >"$tmp/live.json" 2>"$tmp/live.err"
st=$?
check "--live exits 0 ($(head -c 300 "$tmp/live.err"))" [ "$st" -eq 0 ]
jq -c '.live.summary' "$tmp/live.json" | sed 's/^/# live summary: /'
jq -r '.live | "# method \(.method), kaslr \(.kaslr_offset), \(.feature_bits), uniprocessor locks \(.uniprocessor_locks)"' "$tmp/live.json"
jq -r '[.altinstructions.site_list[] | select(.resident) | .live |
	if .variant == "replacement" then "replacement(\(if .not then "!" else "" end)\(.feature))" else .variant end] |
	group_by(.) | map("# \(length) \(.[0])") | .[]' "$tmp/live.json" | sort -k2,2nr | head -n 12
check "--live: no site matches neither variant, none unreadable, none inconsistent" \
	jqe '.live.summary | .neither == 0 and .inconsistent == 0 and .resident > 0' "$tmp/live.json"
check "--live: every resident site resolves to one variant that its bytes match" \
	jqe '[.altinstructions.site_list[] | select(.resident) | .live |
		(.variant == "original" or .variant == "replacement") and
		((if .variant == "original" then 0 else .entry + 1 end) as $v | .matches | index($v) != null)
		and .consistent == true] | all' "$tmp/live.json"
check "--live: every resident static call site holds its key's current target" \
	jqe '.live.summary | .static_calls_ok > 0 and .static_calls_mismatch == 0 and .static_calls_unreadable == 0' "$tmp/live.json"

# the feature bits pvtrace read (boot_cpu_data) against /proc/cpuinfo, for named features
flags=$(sed -n 's/^flags[[:space:]]*: //p' /proc/cpuinfo | head -n 1 | jq -R 'split(" ")')
bugs=$(sed -n 's/^bugs[[:space:]]*: //p' /proc/cpuinfo | head -n 1 | jq -R 'split(" ") | map(select(. != ""))')
jq --argjson flags "$flags" --argjson bugs "$bugs" '
	def shown($e): if ($e.feature | startswith("X86_BUG_")) then ($bugs | index([$e.cpuinfo]) != null)
		else ($flags | index([$e.cpuinfo]) != null) end;
	.live.features as $live |
	[.altinstructions.site_list[].entries[] | select(.cpuinfo != null)] | unique_by(.feature) |
	map(.feature as $f | {feature, cpuinfo, cpu: shown(.), live: ($live | index([$f]) != null)})' \
	"$tmp/live.json" >"$tmp/feat.json"
echo "# features named in /proc/cpuinfo used by sites: $(jq length "$tmp/feat.json"), set: $(jq '[.[] | select(.cpu)] | length' "$tmp/feat.json")"
jq -r '.[] | select(.cpu != .live) | "# \(.feature) (\(.cpuinfo)): cpuinfo \(.cpu), boot_cpu_data \(.live)"' "$tmp/feat.json"
check "boot_cpu_data feature bits agree with /proc/cpuinfo for every named feature" \
	jqe 'length > 0 and (map(.cpu == .live) | all)' "$tmp/feat.json"

# the variant each site runs, predicted from /proc/cpuinfo alone where every entry's feature
# is shown there (or is X86_FEATURE_ALWAYS)
jq --argjson flags "$flags" --argjson bugs "$bugs" '
	def has($e): if $e.feature == "X86_FEATURE_ALWAYS" then true
		elif $e.cpuinfo == null then null
		elif ($e.feature | startswith("X86_BUG_")) then ($bugs | index([$e.cpuinfo]) != null)
		else ($flags | index([$e.cpuinfo]) != null) end;
	[.altinstructions.site_list[] | select(.resident) |
	 {addr, function, v: (if .live.variant == "original" then 0 else .live.entry + 1 end),
	  c: [.entries[] as $e | has($e) as $h | if $h == null then null else ($h != $e.not) end]} |
	 select(all(.c[]; . != null)) |
	 .c as $c | .e = (reduce range(0; $c | length) as $i (0; if $c[$i] then $i + 1 else . end))]' \
	"$tmp/live.json" >"$tmp/pred.json"
echo "# sites predictable from /proc/cpuinfo: $(jq length "$tmp/pred.json") of $(jq .live.summary.resident "$tmp/live.json")"
jq -r '.[] | select(.v != .e) | "# mismatch \(.addr) \(.function): runs \(.v), cpuinfo says \(.e)"' "$tmp/pred.json" | head
check "sites run the variant /proc/cpuinfo predicts" jqe 'length > 0 and (map(.v == .e) | all)' "$tmp/pred.json"

"$PV" patches --vmlinux "$VMLINUX" --live >"$tmp/live.txt" 2>&1
check "--live text report" grep -qE '^    NEITHER +0$' "$tmp/live.txt"
sed -n '/^Live:/,/static call sites/p' "$tmp/live.txt" | sed 's/^/# /'

if [ -r /proc/kcore ]; then
	"$PV" patches --vmlinux "$VMLINUX" --live --json --read kcore >"$tmp/kcore.json" 2>&1
	"$PV" patches --vmlinux "$VMLINUX" --live --json --read bpf >"$tmp/bpf.json" 2>&1
	check "--read kcore and --read bpf see the same bytes at every site" \
		diff <(jq -c '.live.method, [.altinstructions.site_list[].live.bytes]' "$tmp/kcore.json" | sed 1d) \
		<(jq -c '.live.method, [.altinstructions.site_list[].live.bytes]' "$tmp/bpf.json" | sed 1d)
	check "... one read with each method" \
		[ "$(jq -r .live.method "$tmp/kcore.json")$(jq -r .live.method "$tmp/bpf.json")" = kcorebpf ]
else
	ok "# skip no /proc/kcore in this kernel (CONFIG_PROC_KCORE): BPF reads only"
fi

# SIGKILL while the BPF reader is loaded: nothing stays behind
"$PV" patches --vmlinux "$VMLINUX" --live >/dev/null 2>&1 &
p=$!
sleep 0.5
kill -KILL $p 2>/dev/null
wait $p 2>/dev/null
check "no BPF program left after SIGKILL" \
	test -z "$(bpftool -j prog show | jq -r '.[] | select(.name == "read_kmem") | .id')"

# --- --watch ------------------------------------------------------------------------------
ev=/sys/kernel/tracing/events/sched/sched_switch/enable
"$PV" patches --watch --json >"$tmp/w.json" 2>"$tmp/w.err" &
p=$!
for _ in $(seq 100); do grep -q Watching "$tmp/w.err" && break; sleep 0.1; done
echo 1 >"$ev"
sleep 1
echo 0 >"$ev"
sleep 1
kill -INT $p
wait $p
st=$?
grep -h . "$tmp/w.err" | sed 's/^/# /'
check "--watch ends with status 0 on SIGINT" [ "$st" -eq 0 ]
jq -r 'select(.kind == "text_poke") | "# poke \(.symbol) \(.old) -> \(.new) \(.new_insn // "")"' "$tmp/w.json" | head -n 40
check "--watch: enabling sched_switch retargets __SCT__tp_func_sched_switch" \
	jqe -s '[.[] | select(.kind == "text_poke" and (.symbol | startswith("__SCT__tp_func_sched_switch+")))] | length >= 2' "$tmp/w.json"
check "--watch: ... and patches the inline call in __schedule" \
	jqe -s '[.[] | select(.kind == "text_poke" and (.symbol | startswith("__schedule+")))] | length >= 1' "$tmp/w.json"
check "--watch: every poke is symbolized and carries old and new bytes" \
	jqe -s '[.[] | select(.kind == "text_poke")] | length > 0 and all(.symbol != "?" and (.old | length) > 0 and (.new | length) == (.old | length))' "$tmp/w.json"
check "--watch: pokes counted in the summary" \
	jqe -s '([.[] | select(.kind == "text_poke")] | length) as $n | .[-1].kind == "watch_end" and .[-1].pokes == $n and .[-1].lost == 0' "$tmp/w.json"
# the last poke at each address is what the text holds now
bad=0 m=0
while read -r addr new; do
	m=$((m + 1))
	len=$((${#new} / 2))
	got=$("$PV" patches --dump "$addr:$len" --json | jq -r .bytes)
	[ "$got" = "$new" ] || { echo "# $addr holds $got, last poke wrote $new"; bad=1; }
done < <(jq -sr '[.[] | select(.kind == "text_poke")] | group_by(.addr) | map(.[-1]) | .[] | "\(.addr) \(.new)"' "$tmp/w.json")
check "--watch: the last new bytes at each of $m poked addresses are the live text (--dump)" \
	[ "$bad" -eq 0 ] && [ "$m" -gt 0 ]

# symbols born after pvtrace dropped its privileges (a BPF trampoline) come from
# PERF_RECORD_KSYMBOL
if command -v bpftrace >/dev/null; then
	"$PV" patches --watch --json >"$tmp/w2.json" 2>"$tmp/w2.err" &
	p=$!
	for _ in $(seq 100); do grep -q Watching "$tmp/w2.err" && break; sleep 0.1; done
	timeout 120 bpftrace -e 'kfunc:vfs_read { @n = count(); } interval:s:1 { exit(); }' \
		>"$tmp/bt.out" 2>&1
	bt=$?
	sleep 0.5
	kill -INT $p
	wait $p
	jq -r 'select(.kind == "text_poke" and (.symbol | startswith("vfs_read+"))) | "# poke \(.symbol) \(.old) -> \(.new) \(.new_insn // "")"' "$tmp/w2.json"
	check "--watch: bpftrace's fentry on vfs_read shows as a call to its bpf_trampoline (status $bt)" \
		jqe -s '[.[] | select(.kind == "text_poke" and (.symbol | startswith("vfs_read+")) and ((.new_insn // "") | startswith("call bpf_trampoline_")))] | length == 1' "$tmp/w2.json"
else
	ok "# skip no bpftrace"
fi

echo "1..$n"
rm -rf "$tmp"
exit $rc
