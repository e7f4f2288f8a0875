#!/usr/bin/env bats
# Build hygiene: install layout, style, warning-free BPF, generated files reproducible.

bats_require_minimum_version 1.5.0

load helpers

@test "make install honours PREFIX and DESTDIR" {
	run make -s -C "$REPO" install DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/opt/pv
	[ "$status" -eq 0 ]
	[ -x "$BATS_TEST_TMPDIR/root/opt/pv/bin/pvtrace" ]
	run "$BATS_TEST_TMPDIR/root/opt/pv/bin/pvtrace" --version
	[[ "$output" == "pvtrace "* ]]
}

@test "sources are clang-format clean" {
	if ! command -v clang-format >/dev/null; then
		# CI installs it (scripts/deps.sh): missing there is a failure, not a skip
		[ -z "${CI:-}" ] || { echo "CI: clang-format missing (scripts/deps.sh installs it)"; false; }
		skip "clang-format not installed"
	fi
	run make -s -C "$REPO" format-check
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "BPF objects and skeletons build without any warning" {
	run make -B -C "$REPO" V=1 $(cd "$REPO" && ls bpf/*.bpf.c | sed 's|^bpf/\(.*\)\.bpf\.c$|build/\1.skel.h|')
	echo "$output"
	[ "$status" -eq 0 ]
	run ! grep -qi 'warning' <<<"$output"
}

@test "the KVM ioctl table regenerates identically from Linux 6.12 uapi headers" {
	tarball=/usr/src/linux-source-6.12.tar.xz
	[ -r "$tarball" ] || skip "linux-source-6.12 not installed (scripts/kernel-build.sh installs it)"
	src=$BATS_TEST_TMPDIR/src
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1 --wildcards \
		'*/include/uapi/linux/kvm.h' '*/include/uapi/linux/const.h' \
		'*/include/uapi/linux/stddef.h' '*/include/uapi/linux/bits.h' \
		'*/arch/x86/include/uapi/asm/kvm.h' '*/Makefile'
	"$REPO/scripts/gen-kvm-ioctls.sh" "$src" "$BATS_TEST_TMPDIR/table.h"
	diff -u "$REPO/user/kvm/kvm_ioctl_table.h" "$BATS_TEST_TMPDIR/table.h"
}
