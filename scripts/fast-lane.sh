#!/usr/bin/env bash
# The fast lane .ci/run runs before the test suites, failing fast: minutes, no guests.
#   format   clang-format check of every C source
#   clang    user space and BPF built with clang, -Wall -Wextra -Werror
#   asan     the unit tests built with gcc -fsanitize=address,undefined and run
# TAP on stdout; the last line is "N passed, N failed"; exit status 0 iff nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/pvtrace-fast.XXXXXX)
trap 'rm -rf "$out"' EXIT
n=0 pass=0 fail=0

step() { # NAME CMD...: one TAP line, the command's output as comments when it fails
	local name=$1 t0 t1 st
	shift
	n=$((n + 1))
	t0=$(date +%s.%N)
	"$@" >"$out/log" 2>&1
	st=$?
	t1=$(date +%s.%N)
	if [ "$st" -eq 0 ]; then
		pass=$((pass + 1))
		printf 'ok %d - %s (%s s)\n' "$n" "$name" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
	else
		fail=$((fail + 1))
		printf 'not ok %d - %s (status %d)\n' "$n" "$name" "$st"
		tail -n 40 "$out/log" | sed 's/^/# /'
	fi
}

unit_asan() {
	local b=$out/asan t
	# CFLAGS from the environment: the Makefile appends its own (-Wall -Werror, includes)
	CFLAGS='-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Wno-format-truncation' \
		make -s CC=gcc OUT="$b" \
		$(ls tests/unit/test_*.c | sed "s|tests/unit/\(.*\)\.c|$b/tests/\1|") || return
	for t in "$b"/tests/test_*; do
		echo "== $t"
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$t" || return
	done
}

echo "# fast lane: format, clang -Werror build, unit tests under ASan+UBSan"
step "sources are clang-format clean" make -s format-check
step "user space and BPF build with clang -Werror" make -s CC=clang OUT="$out/clang" "$out/clang/pvtrace"
step "unit tests pass under AddressSanitizer and UBSan (gcc)" unit_asan
echo "1..$n"
[ "$fail" -eq 0 ] || echo "# fast lane failed: the test suites do not run"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
