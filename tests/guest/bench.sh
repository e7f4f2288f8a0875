#!/usr/bin/env bash
# The kernel-CI benchmarks on this kernel (inside a qemu guest or on the host): bench ioctl,
# bench regs and bench overhead, each one pvtrace.bench/1 document written to
# $PVTRACE_RESULTS_DIR/LABEL.BENCH.json, for scripts/kci.sh to import, compare and plot.
#   PVTRACE_RESULTS_DIR  where the documents go (required)
#   PVTRACE_KCI_LABEL    the label of this kernel in the series (default: uname -r)
#   PVTRACE_KCI_RUNS     runs per benchmark (default 10; each run is a fresh VM)
# TAP on stdout (one line per benchmark); non-zero if one failed or wrote no valid document.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
: "${PVTRACE_RESULTS_DIR:?set PVTRACE_RESULTS_DIR to the directory for the result documents}"
pv=${PVTRACE:-./pvtrace}
label=${PVTRACE_KCI_LABEL:-$(uname -r)}
runs=${PVTRACE_KCI_RUNS:-10}
rc=0 n=0
echo "# kernel-CI benchmarks on $(uname -r), label $label, $runs runs each"
for b in ioctl regs overhead; do
	n=$((n + 1))
	out=$PVTRACE_RESULTS_DIR/$label.$b.json
	err=$(mktemp)
	"$pv" bench "$b" --runs "$runs" --label "$label" --json >"$out.tmp" 2>"$err"
	st=$?
	if [ "$st" -ne 0 ]; then
		echo "not ok $n - bench $b: exit status $st: $(head -n 1 "$err")"
		rm -f "$out.tmp" "$err"
		rc=1
		continue
	fi
	rm -f "$err"
	# one document of this benchmark, one value per run in every metric
	if ! bad=$(jq -r --arg b "$b" --argjson r "$runs" '
		if .schema != "pvtrace.bench/1" then "schema \(.schema)"
		elif .benchmark != $b then "benchmark \(.benchmark)"
		elif .runs != $r then "runs \(.runs)"
		else ([.metrics[] | select((.values | length) != $r) | .name] |
			if length > 0 then "short metrics: \(join(" "))" else "" end) end' "$out.tmp") ||
		[ -n "$bad" ]; then
		echo "not ok $n - bench $b: bad document: ${bad:-not JSON}"
		rm -f "$out.tmp"
		rc=1
		continue
	fi
	mv "$out.tmp" "$out"
	echo "ok $n - bench $b: $(jq -r '[.metrics | length | tostring, "metrics"] | join(" ")' "$out") in $out"
	jq -r '.metrics[] | "#   \(.name) \(.values | sort | .[length / 2 | floor]) \(.unit)"' "$out" |
		head -n 40
done
exit $rc
