#!/usr/bin/env bash
# The fast lane .ci/run runs before the test suites, failing fast: a few minutes, no guests.
#   format      clang-format check of every C source
#   ShellCheck  every shell script (scripts/, tests/, .ci/run) at style level
#   cppcheck    user/, bpf/, tests/ (scripts/cppcheck/: libbpf macros, the suppressions)
#   clang       user space and BPF built with clang, -Wall -Wextra -Werror
#   gcc         user space, unit tests and helpers built with gcc -O2, -Werror
#   asan        the unit tests built with gcc -O1 -fsanitize=address,undefined and run
#   fuzz        the kernel ELF reader's libFuzzer target (ASan+UBSan), PVTRACE_FAST_FUZZ_SECONDS
#               (default 10)
# Every build goes to a scratch OUT: the tree's build/ is not touched.
# TAP on stdout, each step with its time; the last line is "N passed, N failed"; exit
# status 0 iff nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=$(mktemp -d /tmp/pvtrace-fast.XXXXXX)
trap 'rm -rf "$out"' EXIT
n=0 pass=0 fail=0
t_start=$(date +%s.%N)

elapsed() { # T0 [T1]: seconds between, one decimal
	awk -v a="$1" -v b="${2:-$(date +%s.%N)}" 'BEGIN { printf "%.1f", b - a }'
}

step() { # NAME CMD...: one TAP line with the time, the command's output as comments when it fails
	local name=$1 t0 st
	shift
	n=$((n + 1))
	t0=$(date +%s.%N)
	"$@" >"$out/log" 2>&1
	st=$?
	if [ "$st" -eq 0 ]; then
		pass=$((pass + 1))
		printf 'ok %d - %s (%s s)\n' "$n" "$name" "$(elapsed "$t0")"
	else
		fail=$((fail + 1))
		printf 'not ok %d - %s (status %d, %s s)\n' "$n" "$name" "$st" "$(elapsed "$t0")"
		tail -n 40 "$out/log" | sed 's/^/# /'
	fi
}

unit_bins() { # OUT: make targets of every unit test
	local f
	for f in tests/unit/test_*.c; do
		f=${f#tests/unit/}
		echo "$1/tests/${f%.c}"
	done
}

helper_bins() { # OUT: make targets of every test helper and the benchmark programs
	local f
	for f in tests/helpers/*.c; do
		f=${f#tests/helpers/}
		echo "$1/tests/${f%.c}"
	done
	echo "$1/tests/floor"
}

shell_scripts() {
	local f
	for f in scripts/*.sh tests/bats/*.bash .ci/run; do echo "$f"; done
	find tests -name '*.sh' | sort
}

run_shellcheck() {
	local files
	mapfile -t files < <(shell_scripts)
	echo "${#files[@]} files"
	shellcheck -S style -s bash "${files[@]}"
}

run_cppcheck() {
	cppcheck --enable=warning,style,performance,portability --inline-suppr --error-exitcode=1 \
		-q -j2 --std=c11 -D__x86_64__ -D_GNU_SOURCE -Iuser -Iuser/core -Iuser/kvm -Ibpf \
		--library=scripts/cppcheck/pvtrace.cfg \
		--suppressions-list=scripts/cppcheck/suppressions.txt user bpf tests
}

gcc_build() {
	local b=$out/gcc
	# -O2 as a release build; the Makefile adds -Wall -Wextra -Werror to any CFLAGS
	# shellcheck disable=SC2046 # one make target per word
	make -s -j2 CC=gcc CFLAGS='-O2 -g' OUT="$b" "$b/pvtrace" $(unit_bins "$b") $(helper_bins "$b")
}

unit_asan() {
	local b=$out/asan t
	# CFLAGS from the environment: the Makefile appends its own (-Wall -Werror) and keeps its
	# CPPFLAGS (includes); gcc -O1 has warnings of its own (-Wformat-truncation)
	# shellcheck disable=SC2046 # one make target per word
	CFLAGS='-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
		make -s -j2 CC=gcc OUT="$b" $(unit_bins "$b") || return
	for t in $(unit_bins "$b"); do
		echo "== $t"
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$t" || return
	done
}

fuzz_short() {
	PVTRACE_FUZZ_OUT=$out/fuzz tests/fuzz/run.sh "${PVTRACE_FAST_FUZZ_SECONDS:-10}"
}

echo "# fast lane: format, shellcheck, cppcheck, clang and gcc -Werror builds, ASan+UBSan unit tests and fuzz"
step "sources are clang-format clean" make -s format-check
step "shell scripts are ShellCheck clean (-S style)" run_shellcheck
step "cppcheck finds nothing in user/ bpf/ tests/" run_cppcheck
step "user space and BPF build with clang -Werror" make -s -j2 CC=clang OUT="$out/clang" "$out/clang/pvtrace"
step "user space, unit tests and helpers build with gcc -O2 -Werror" gcc_build
step "unit tests pass under AddressSanitizer and UBSan (gcc -O1)" unit_asan
step "the kernel ELF reader survives ${PVTRACE_FAST_FUZZ_SECONDS:-10} s of libFuzzer (ASan+UBSan)" fuzz_short
echo "1..$n"
echo "# fast lane: $(elapsed "$t_start") s"
[ "$fail" -eq 0 ] || echo "# fast lane failed: the test suites do not run"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
