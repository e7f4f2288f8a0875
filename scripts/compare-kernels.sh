#!/usr/bin/env bash
# Compare two kernels on pvtrace's kernel-CI benchmarks: boot each under qemu
# (scripts/guest.sh: TCG, -cpu max, nested SVM so /dev/kvm works inside), run bench ioctl,
# regs and overhead there (tests/guest/bench.sh), store the results, compare NEW against BASE
# and build the dashboard.
#
#   scripts/compare-kernels.sh [--runs N] [-o DIR] [--keep] BASE NEW
#
# BASE and NEW: a bzImage (its modules, if any, with --base-modules/--new-modules DIR), a
# Debian kernel package (linux-image-*.deb: its vmlinuz and modules are used), or
# stock / stock-6.1 (Debian's current 6.12 and 6.1 images, downloaded once).
# Writes into DIR (default ./kci-out): BASE.*.json and NEW.*.json result documents,
# results.db, compare.txt, compare.json, compare.junit.xml, compare.kcidb.json, dashboard/.
# Exit status: pvtrace compare's (0 no regression, 1 regression found), 2 usage, 3 a boot or
# benchmark failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(dirname "$here")
pv=$repo/pvtrace
runs=10 out=./kci-out bmods="" nmods=""

usage() {
	echo "compare-kernels: $* (compare-kernels.sh [--runs N] [-o DIR] BASE NEW; --help)" >&2
	exit 2
}
args=()
while (($#)); do
	case $1 in
	--runs) [ $# -ge 2 ] || usage "--runs needs a number"; runs=$2; shift 2 ;;
	-o) [ $# -ge 2 ] || usage "-o needs a directory"; out=$2; shift 2 ;;
	--base-modules) [ $# -ge 2 ] || usage "--base-modules needs a directory"; bmods=$2; shift 2 ;;
	--new-modules) [ $# -ge 2 ] || usage "--new-modules needs a directory"; nmods=$2; shift 2 ;;
	-h | --help) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) usage "unknown option $1" ;;
	*) args+=("$1"); shift ;;
	esac
done
[ ${#args[@]} -eq 2 ] || usage "give BASE and NEW (two kernels)"
[[ $runs =~ ^[1-9][0-9]*$ ]] || usage "--runs: not a positive number: $runs"
[ -x "$pv" ] || { echo "compare-kernels: build pvtrace first (make)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# guest.sh options for one kernel argument: --kernel K [--modules DIR]
kernel_opts() { # KERNEL MODULES SIDE
	local k=$1 m=$2 root vmlinuz
	case $k in
	stock | stock-6.1) echo "--kernel $k" ;;
	*.deb)
		[ -f "$k" ] || usage "no such package: $k"
		root=$tmp/$3
		dpkg -x "$k" "$root" || usage "cannot unpack $k"
		vmlinuz=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n 1)
		[ -n "$vmlinuz" ] || usage "$k holds no /boot/vmlinuz-*"
		m=$(find "$root/lib/modules" "$root/usr/lib/modules" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -n 1)
		[ -z "$m" ] || depmod -b "${m%/lib/modules/*}" "${m##*/}" 2>/dev/null
		echo "--kernel $vmlinuz${m:+ --modules $m}"
		;;
	*)
		[ -f "$k" ] || usage "no such kernel image: $k"
		echo "--kernel $k${m:+ --modules $m}"
		;;
	esac
}

bopts=$(kernel_opts "${args[0]}" "$bmods" base) || exit 2
nopts=$(kernel_opts "${args[1]}" "$nmods" new) || exit 2
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd -P)
for side in base new; do
	[ $side = base ] && opts=$bopts || opts=$nopts
	rm -f "$out/$side".*.json
	echo "compare-kernels: booting $side ($opts)" >&2
	# shellcheck disable=SC2086 # opts holds separate guest.sh options
	PVTRACE_RESULTS_DIR=$out PVTRACE_KCI_LABEL=$side PVTRACE_KCI_RUNS=$runs \
		"$here/guest.sh" $opts --rw "$out" -- "$repo/tests/guest/bench.sh" >"$out/$side.tap" 2>&1
	st=$?
	grep -E '^(not )?ok ' "$out/$side.tap" >&2
	if [ $st -ne 0 ]; then
		echo "compare-kernels: $side: the guest failed (status $st), see $out/$side.tap" >&2
		exit 3
	fi
done
rm -f "$out/results.db"
"$pv" results import --db "$out/results.db" "$out"/base.*.json "$out"/new.*.json >&2 || exit 3
"$pv" compare --db "$out/results.db" --junit "$out/compare.junit.xml" \
	--kcidb "$out/compare.kcidb.json" label=base label=new | tee "$out/compare.txt"
st=${PIPESTATUS[0]}
"$pv" compare --db "$out/results.db" --json label=base label=new >"$out/compare.json"
"$pv" dashboard --db "$out/results.db" -o "$out/dashboard" >&2 ||
	echo "compare-kernels: the dashboard failed" >&2
echo "compare-kernels: results in $out (dashboard: $out/dashboard/index.html)" >&2
exit "$st"
