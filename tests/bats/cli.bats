#!/usr/bin/env bats
# The command line: -V/--version everywhere, one-line usage errors whatever the argument
# holds.

load helpers

version_of_tree() {
	cat "$REPO/VERSION"
}

@test "-V and --version: on pvtrace and every command, one line, exit 0" {
	want="pvtrace $(version_of_tree)"
	for args in "--version" "-V" "latency -V" "latency --ioctl --version" "latency --steal-clock -V" \
		"hooks -V" "hooks --steal --version" "vfio -V" "patches --version" "bench -V" \
		"bench --version" "bench regs -V" "latency -p 1 -V"; do
		# shellcheck disable=SC2086
		run "$PVTRACE" $args
		echo "$args: $status: $output"
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "$want"* ]]
	done
	# --help lists it
	run "$PVTRACE" hooks --help
	[[ "$output" == *"-V, --version"* ]]
}

@test "the version comes from VERSION, plus the commit in a git checkout" {
	out=$BATS_TEST_TMPDIR/out
	# in this checkout: VERSION+g<describe>
	run make -s -C "$REPO" OUT="$out" "$out/version.h"
	[ "$status" -eq 0 ]
	cat "$out/version.h"
	desc=$(git -C "$REPO" describe --always --dirty --exclude='*' 2>/dev/null) ||
		skip "not a git checkout"
	grep -qx "#define PVTRACE_VERSION \"$(version_of_tree)+g$desc\"" "$out/version.h"
	# outside git (a release tarball): VERSION alone
	tree=$BATS_TEST_TMPDIR/tree
	mkdir "$tree"
	cp "$REPO/Makefile" "$REPO/VERSION" "$tree/"
	run env GIT_CEILING_DIRECTORIES="$BATS_TEST_TMPDIR" make -s -C "$tree" build/version.h
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "#define PVTRACE_VERSION \"$(version_of_tree)\"" "$tree/build/version.h"
	# rewritten only when it changes: nothing is rebuilt for an unchanged version
	touch -d '2000-01-01' "$tree/build/version.h"
	make -s -C "$tree" build/version.h
	[ "$(stat -c %Y "$tree/build/version.h")" -eq "$(date -d '2000-01-01' +%s)" ]
}

@test "pvtrace without a command: one line, exit 2" {
	run "$PVTRACE"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"say which command: latency, "* ]]
}

@test "a newline or control character in a bad argument stays on one line" {
	for args in "latency --ioctl -p 1\n2" "bench regs --vcpus a\nb" "hooks --percpu x\ry" \
		"x\ny" "vfio --mode \e[31mred"; do
		# shellcheck disable=SC2059
		mapfile -t -d ' ' argv < <(printf "$args")
		argv[-1]=${argv[-1]%$'\n'}
		run "$PVTRACE" "${argv[@]}"
		echo "$args: $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *'\x0'[a-f]* || "$output" == *'\x1b'* ]]
	done
}
