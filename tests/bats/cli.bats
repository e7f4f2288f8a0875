#!/usr/bin/env bats
# The command line: -V/--version everywhere, one-line usage errors whatever the argument
# holds, and a fuzz of every option of every command (tests/bats/cli_fuzz.sh).
# PVTRACE_FUZZ_SEED reproduces a fuzz run (its seed is printed); PVTRACE_FUZZ_PER sets the
# values per option (default 40: half edge values, half random).

load helpers

setup_file() {
	SEED=${PVTRACE_FUZZ_SEED:-$(date +%s)}
	export SEED
	# fixtures the unprivileged fuzz user can reach
	FX=$(mktemp -d /tmp/pvtrace-fuzz.XXXXXX)
	export FX
	mkdir "$FX/dir"
	mkfifo "$FX/fifo"
	echo x >"$FX/file"
	echo y >"$FX/noperm"
	chmod 600 "$FX/noperm"
	ln -s "$FX/file" "$FX/link"
	ln -s "$FX/nothing" "$FX/dangling"
	chmod 777 "$FX" "$FX/dir"
	chmod 666 "$FX/fifo"
}

teardown_file() {
	rm -rf "$FX"
}

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

fuzz() { # LABEL BINARY PER [as root]
	local label=$1 bin=$2 per=$3 who=${4:-nobody}
	echo "# fuzz $label: seed $SEED ($per values per option; PVTRACE_FUZZ_SEED=$SEED reproduces)" >&3
	local log=$FX/fuzz-$label.log start=$SECONDS
	if [ "$who" = root ]; then
		run bash "$REPO/tests/bats/cli_fuzz.sh" "$bin" "$SEED" "$per" "$FX" "$log"
	else
		run setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
			bash "$REPO/tests/bats/cli_fuzz.sh" "$bin" "$SEED" "$per" "$FX" "$log"
	fi
	echo "$output"
	cat "$log"
	echo "# fuzz $label: ${lines[-1]} in $((SECONDS - start)) s" >&3
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" =~ ^invocations\ ([0-9]+)\ failures\ 0$ ]]
	[ "${BASH_REMATCH[1]}" -ge $((per * 40)) ]
	[ ! -s "$log" ]
}

@test "CLI fuzz: every option of every command, unprivileged: no crash, no hang, usage errors exit 2 in one line" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	fuzz plain "$PVTRACE" "${PVTRACE_FUZZ_PER:-40}"
}

@test "CLI fuzz under AddressSanitizer and UBSan (build/asan/pvtrace)" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	echo 'int main(void){return 0;}' >"$BATS_TEST_TMPDIR/t.c"
	gcc -fsanitize=address,undefined "$BATS_TEST_TMPDIR/t.c" -o "$BATS_TEST_TMPDIR/t" 2>/dev/null ||
		skip "gcc cannot link with -fsanitize=address,undefined (libasan, libubsan)"
	start=$SECONDS
	run nice make -s -C "$REPO" -j2 asan
	echo "$output"
	[ "$status" -eq 0 ]
	echo "# asan build: $((SECONDS - start)) s" >&3
	fuzz asan "$REPO/build/asan/pvtrace" "${PVTRACE_FUZZ_ASAN_PER:-6}"
}

@test "CLI fuzz as root: the invocations that attach end (-d 1ms), leaving no mount and no process" {
	[ -d /sys/kernel/btf ] || skip "no kernel BTF"
	# bench regs really runs as root (up to 1000000 repetitions): not a parser question
	export PVTRACE_FUZZ_COMMANDS='latency --ioctl|latency --steal-clock|latency --sched-clock|hooks|hooks --watch|hooks --steal|vfio|vfio --events|patches --watch'
	export PVTRACE_FUZZ_TIMEOUT=20
	start=$SECONDS
	run in_mntns bash -c '
		bash "$0" "$1" "$2" "$3" "$4" "$5"
		echo "tracefs mounts $(grep -c " - tracefs " /proc/self/mountinfo)"' \
		"$REPO/tests/bats/cli_fuzz.sh" "$PVTRACE" "$SEED" 2 "$FX" "$BATS_TEST_TMPDIR/root.log"
	echo "$output"
	cat "$BATS_TEST_TMPDIR/root.log"
	echo "# fuzz root: seed $SEED: ${lines[-2]} in $((SECONDS - start)) s" >&3
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "tracefs mounts 0" ]
	[[ "${lines[-2]}" =~ ^invocations\ [0-9]+\ failures\ 0$ ]]
	[ ! -s "$BATS_TEST_TMPDIR/root.log" ]
	# whatever attached has detached: no pvtrace process of this run is left
	run pgrep -f "^$PVTRACE "
	[ "$status" -eq 1 ]
}
