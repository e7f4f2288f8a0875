#!/usr/bin/env bash
# Run the ELF reader fuzzer for a bounded time; TAP output. A crash fails the run and
# leaves its reproducer in build/fuzz/. Usage: tests/fuzz/run.sh [SECONDS] (default
# $PVTRACE_FUZZ_SECONDS or 30). PVTRACE_FUZZ_OUT: the build directory (make OUT=, default
# build).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
secs=${1:-${PVTRACE_FUZZ_SECONDS:-30}}
out=${PVTRACE_FUZZ_OUT:-build}
bin=$out/tests/fuzz_kelf
echo "1..1"
mkdir -p "$out"
if ! make -s OUT="$out" "$bin" >"$out/fuzz-build.log" 2>&1; then
	echo "not ok 1 - fuzz kelf: build failed (needs clang and libclang-rt-14-dev)"
	sed 's/^/# /' "$out/fuzz-build.log" | tail -n 5
	exit 1
fi
work=$(mktemp -d /tmp/pvtrace-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$out/fuzz"
log=$work/log
# new inputs go to the scratch corpus; the seeds in tests/fuzz/corpus stay as committed
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
	-print_final_stats=1 -artifact_prefix="$out/fuzz/" "$work/corpus" tests/fuzz/corpus \
	>"$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
units=$(find "$work/corpus" -type f | wc -l)
cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
if [ "$rc" -eq 0 ]; then
	echo "ok 1 - fuzz kelf: ${runs:-?} inputs in ${secs} s, ${units} new corpus units, coverage ${cov:-?} edges, no crash"
else
	echo "not ok 1 - fuzz kelf: exit status $rc after ${runs:-?} inputs; reproducer in $out/fuzz/"
	grep -E 'ERROR|SUMMARY|artifact' "$log" | head -n 10 | sed 's/^/# /'
	exit 1
fi
