#!/usr/bin/env bash
# Run pvtrace's test suites; the last line is "N passed, N failed, N skipped".
#   unit  - C unit tests (cmocka)
#   host  - BATS on this machine's kernel, in whatever mode it allows
#   fuzz  - the kernel ELF reader under libFuzzer for PVTRACE_FUZZ_SECONDS (default 30)
#   kernel - the carried KVM series: git am onto linux-source-6.12, checkpatch --strict, and the
#           project's test kernel and KVM selftest built (scripts/kernel-build.sh, ~8 min cold), the
#           base (~2 min); its arm64 half (kernel-arm64, ~17 min cold) runs in the guest suite's
#           second lane
#   guest's lanes: qemu-real alone (both CPUs), then the x86 guests on one CPU and on the
#           other the arm64 kernel build (nice) and the arm64 guests, then the x86 guests
#           still waiting (both take from one queue); PVTRACE_LANES=1: one after the other,
#           as with PVTRACE_GUESTS
#   guest - BATS inside qemu guests: Debian's stock 6.12 (every attach mode, vfio, hooks), stock
#           6.1, and the project kernel (selftest, bench regs, MANY_REGS counts, patches, hooks)
#   kci   - the kernel-CI workflow over the guests' and this host's benchmark results
#           (scripts/kci.sh): one store, compare between kernels, the dashboard in headless
#           Chromium, A/A false positives and real slowdowns (scripts/kci-calibrate.py)
#   json  - every JSON document the host and guest suites made pvtrace print (PVTRACE_JSON_LOG)
#           validated against its schema in docs/schemas (python3-jsonschema)
# PVTRACE_SUITES selects (default "unit kernel host fuzz guest kci json": kernel first, since
# it installs linux-source-6.12, which host tests regenerate tables from; kci after the guests
# whose results it reads; json last). Exit status 0 iff nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
suites=${PVTRACE_SUITES:-unit kernel host fuzz guest kci json}
logdir=$(mktemp -d /tmp/pvtrace-tests.XXXXXX)
lane=
# a background lane (guest) does not outlive the runner
trap '[ -z "$lane" ] || kill -- -"$lane" 2>/dev/null || kill "$lane" 2>/dev/null; rm -rf "$logdir"' EXIT
trap 'exit 130' INT TERM HUP
# every JSON document pvtrace prints in the host and guest suites, for the json suite
export PVTRACE_JSON_DIR=$logdir/json
mkdir -p "$PVTRACE_JSON_DIR"
chmod 1777 "$PVTRACE_JSON_DIR" # pvtrace writes it after dropping its capabilities
# the kernel-CI result documents of the guests (tests/guest/bench.sh), for the kci suite
export PVTRACE_RESULTS_DIR=$logdir/results
mkdir -p "$PVTRACE_RESULTS_DIR"
pass=0 fail=0 skip=0

# count TAP lines of one log; a suite that failed without a failing test line counts one failure
tally() { # NAME LOG STATUS SECONDS
	local p f s
	p=$(grep -cE '^ok [0-9]+' "$2" | tr -d ' ')
	s=$(grep -cE '^ok [0-9]+.*# (skip|SKIP)' "$2" | tr -d ' ')
	f=$(grep -cE '^not ok [0-9]+' "$2" | tr -d ' ')
	p=$((p - s))
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - suite $1 exited with status $3 without a failing test" | tee -a "$2"
		f=1
	fi
	if [ $((p + f + s)) -eq 0 ]; then
		echo "not ok - suite $1 ran no test" | tee -a "$2"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	echo "# suite $1: $p passed, $f failed, $s skipped in $4 s"
}

# lane_run NAME CMD...: run_suite's work in a background lane, into NAME.tap, .status and
# .secs, tallied by the parent when the lane is done
lane_run() {
	local t0=$SECONDS
	echo "# === $1 (in a lane beside the x86 guests): ${*:2}" >"$logdir/$1.tap"
	"${@:2}" >>"$logdir/$1.tap" 2>&1
	echo $? >"$logdir/$1.status"
	echo $((SECONDS - t0)) >"$logdir/$1.secs"
}

run_suite() { # NAME CMD...
	local name=$1 log=$logdir/$1.tap st t0=$SECONDS
	shift
	echo "# === $name: $*"
	"$@" 2>&1 | tee "$log"
	st=${PIPESTATUS[0]}
	tally "$name" "$log" "$st" $((SECONDS - t0))
}

for s in $suites; do
	case $s in
	unit)
		for t in build/tests/test_*; do
			[ -x "$t" ] || continue
			run_suite "unit-$(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
		done
		;;
	host)
		PVTRACE_JSON_LOG=$PVTRACE_JSON_DIR/host.log run_suite host-bats bats --tap tests/bats/
		;;
	guest)
		if [ -n "${PVTRACE_GUESTS:-}" ] || [ "${PVTRACE_LANES:-2}" = 1 ]; then
			run_suite guest scripts/guest-tests.sh
			continue
		fi
		# qemu-real (multi-threaded TCG, 2 vCPUs) wants both CPUs: alone first. Then the
		# x86 guests, each a single TCG thread, from a queue both CPUs' lanes take from: one
		# lane from the start, the other after the arm64 half of the kernel suite (nice: the
		# guests first) and the arm64 guests
		run_suite guest-alone scripts/guest-tests.sh --lane alone
		queue=$logdir/x86-guests.queue
		scripts/guest-tests.sh --list-x86 | tr ' ' '\n' >"$queue"
		set -m # the lane in a process group of its own, for the EXIT trap
		(
			set +m # its commands in the lane's group
			if [[ " $suites " == *" kernel "* ]]; then
				lane_run kernel-arm64 nice -n 10 tests/kernel/series.sh --arch arm64
			fi
			lane_run guest-arm64 scripts/guest-tests.sh --lane arm64
			lane_run guest-x86-second scripts/guest-tests.sh --queue "$queue"
		) &
		lane=$!
		set +m
		run_suite guest scripts/guest-tests.sh --queue "$queue"
		wait "$lane"
		lane=
		for l in kernel-arm64 guest-arm64 guest-x86-second; do
			[ -f "$logdir/$l.status" ] || continue
			cat "$logdir/$l.tap"
			# the first lane may have taken every x86 boot: nothing ran here, nothing to tally
			if [ $l = guest-x86-second ] && [ "$(cat "$logdir/$l.status")" = 0 ] &&
				! grep -qE '^(not )?ok [0-9]' "$logdir/$l.tap"; then
				echo "# $l: the other lane had taken every x86 boot"
				continue
			fi
			tally "$l" "$logdir/$l.tap" "$(cat "$logdir/$l.status")" "$(cat "$logdir/$l.secs")"
		done
		;;
	fuzz)
		run_suite fuzz-kelf tests/fuzz/run.sh
		;;
	kernel)
		run_suite kernel-series tests/kernel/series.sh
		# its arm64 half runs beside the x86 guests (guest) unless they do not run
		if [[ " $suites " != *" guest "* ]] || [ -n "${PVTRACE_GUESTS:-}" ] ||
			[ "${PVTRACE_LANES:-2}" = 1 ]; then
			run_suite kernel-arm64 tests/kernel/series.sh --arch arm64
		fi
		;;
	kci)
		PVTRACE_JSON_LOG=$PVTRACE_JSON_DIR/kci.log run_suite kci scripts/kci.sh
		;;
	json)
		# with both host and guest suites, every schema must have been exercised
		req=()
		if [[ " $suites " == *" host "* && " $suites " == *" guest "* && -z ${PVTRACE_GUESTS:-} ]]; then
			for f in docs/schemas/pvtrace.*.json; do
				b=$(basename "$f" .json)
				req+=(--require "${b%.v*}/${b##*.v}")
			done
		fi
		run_suite json-schema /usr/bin/python3 tests/json-schema-check.py "${req[@]}" \
			"$PVTRACE_JSON_DIR"/*.log
		;;
	*)
		echo "run-tests: unknown suite '$s'" >&2
		fail=$((fail + 1))
		;;
	esac
done
echo "# all suites in $SECONDS s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
