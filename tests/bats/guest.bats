#!/usr/bin/env bats
# scripts/guest.sh: boots Debian's stock 6.12 kernel under qemu TCG (each test is one boot, ~5-10 s).

bats_require_minimum_version 1.5.0

setup_file() {
	REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export REPO
	# Prefetch once; the path ends in vmlinuz-<release>.
	local vmlinuz
	vmlinuz=$("$REPO/scripts/guest.sh" fetch)
	export KREL=${vmlinuz##*/vmlinuz-}
}

setup() {
	cd "$REPO" || return 1
}

@test "guest: uname -r prints the stock 6.12 release and nothing else" {
	run --separate-stderr scripts/guest.sh -- uname -r
	[ "$status" -eq 0 ]
	[[ $KREL == 6.12.* ]]
	[ "$output" = "$KREL" ]
	[ "$stderr" = "" ]
}

@test "guest: the command's exit status is returned (7)" {
	run scripts/guest.sh -- sh -c 'exit 7'
	[ "$status" -eq 7 ]
}

@test "guest: statuses above 127 survive, arguments pass verbatim" {
	run scripts/guest.sh -- sh -c 'printf "<%s>" "$@"; exit 200' sh "a b" "it's" '$HOME' ''
	[ "$status" -eq 200 ]
	[ "$output" = "<a b><it's><\$HOME><>" ]
}

@test "guest: --rw directory is writable and reaches the host, the rest is read-only" {
	local out=$BATS_TEST_TMPDIR/out probe=$REPO/.guest-ro-probe-$$
	mkdir -p "$out"
	rm -f "$probe"
	run scripts/guest.sh --rw "$out" -- sh -c '
		printf "{\"kernel\": \"%s\", \"guest\": \"%s\"}\n" "$(uname -r)" "$PVTRACE_GUEST" >"$1/result.json" || exit 10
		if touch "$2" 2>/dev/null; then exit 11; fi
		exit 0' sh "$out" "$probe"
	[ "$status" -eq 0 ]
	[ ! -e "$probe" ]
	[ -f "$out/result.json" ]
	[ "$(cat "$out/result.json")" = "{\"kernel\": \"$KREL\", \"guest\": \"1\"}" ]
}

@test "guest: --timeout stops the guest with 124 promptly and leaves no qemu" {
	local t0=$SECONDS rc=0
	scripts/guest.sh --timeout 20 -- sleep 100 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$!
	wait "$pid" || rc=$?
	[ "$rc" -eq 124 ]
	[ $((SECONDS - t0)) -lt 45 ]
	grep -q 'timeout' "$BATS_TEST_TMPDIR/err"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/err")" -eq 1 ]
	[ -z "$(pgrep -f "pvtrace-guest-$pid")" ]
}

@test "guest: SIGTERM to guest.sh stops qemu" {
	local rc=0
	scripts/guest.sh -- sleep 300 2>/dev/null &
	local pid=$!
	# Wait until qemu runs, then stop guest.sh.
	for _ in $(seq 150); do pgrep -f "pvtrace-guest-$pid" >/dev/null && break; sleep 0.2; done
	pgrep -f "pvtrace-guest-$pid" >/dev/null
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ]
	sleep 0.5
	[ -z "$(pgrep -f "pvtrace-guest-$pid")" ]
}
