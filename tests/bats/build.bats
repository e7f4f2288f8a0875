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
	"$REPO/scripts/gen-ioctls.sh" "$src" "$BATS_TEST_TMPDIR/table.h"
	diff -u "$REPO/user/kvm/kvm_ioctl_table.h" "$BATS_TEST_TMPDIR/table.h"
}

@test "the vhost ioctl table regenerates identically, and arm64's values are x86's" {
	tarball=/usr/src/linux-source-6.12.tar.xz
	[ -r "$tarball" ] || skip "linux-source-6.12 not installed (scripts/kernel-build.sh installs it)"
	command -v aarch64-linux-gnu-gcc >/dev/null || skip "no aarch64-linux-gnu-gcc (scripts/deps.sh)"
	src=$BATS_TEST_TMPDIR/src
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1 --wildcards \
		'*/include/uapi/linux/vhost.h' '*/include/uapi/linux/vhost_types.h' \
		'*/include/uapi/linux/virtio_config.h' '*/include/uapi/linux/virtio_ring.h' \
		'*/include/uapi/linux/virtio_types.h' '*/include/uapi/linux/const.h' \
		'*/include/uapi/linux/stddef.h' '*/Makefile'
	run "$REPO/scripts/gen-ioctls.sh" --uapi vhost "$src" "$BATS_TEST_TMPDIR/vhost.h"
	[ "$status" -eq 0 ]
	[[ $output == *": 53 ioctls" ]]
	diff -u "$REPO/user/kvm/vhost_ioctl_table.h" "$BATS_TEST_TMPDIR/vhost.h"
	# one table serves every architecture: no vhost struct differs in size
	"$REPO/scripts/gen-ioctls.sh" --uapi vhost --arch arm64 "$src" "$BATS_TEST_TMPDIR/arm64.h"
	diff -u <(tail -n +2 "$BATS_TEST_TMPDIR/vhost.h") <(tail -n +2 "$BATS_TEST_TMPDIR/arm64.h")
}

@test "the KVM exit reason tables regenerate identically from Linux 6.12 uapi headers" {
	tarball=/usr/src/linux-source-6.12.tar.xz
	[ -r "$tarball" ] || skip "linux-source-6.12 not installed (scripts/kernel-build.sh installs it)"
	src=$BATS_TEST_TMPDIR/src
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1 --wildcards \
		'*/include/uapi/linux/kvm.h' '*/arch/x86/include/uapi/asm/vmx.h' \
		'*/arch/x86/include/uapi/asm/svm.h' '*/Makefile'
	run "$REPO/scripts/gen-kvm-exits.sh" "$src" "$BATS_TEST_TMPDIR/exits.h"
	[ "$status" -eq 0 ]
	[[ $output == *"62 VMX, 99 SVM, 40 KVM_EXIT reasons"* ]]
	diff -u "$REPO/user/kvm/kvm_exit_table.h" "$BATS_TEST_TMPDIR/exits.h"
}

@test "gen-kvm-exits.sh stops at a value that is not a number or a value two names share" {
	src=$BATS_TEST_TMPDIR/src
	mkdir -p "$src/arch/x86/include/uapi/asm" "$src/include/uapi/linux"
	printf '#define EXIT_REASON_A 0\n#define EXIT_REASON_B 0x1\n' >"$src/arch/x86/include/uapi/asm/vmx.h"
	printf '#define SVM_EXIT_A 0x40\n#define SVM_EXIT_ERR -1\n' >"$src/arch/x86/include/uapi/asm/svm.h"
	printf '#define KVM_EXIT_HYPERV_X 1\n\n#define KVM_EXIT_UNKNOWN 0\n#define KVM_EXIT_IO 2\n\n#define KVM_EXIT_IO_IN 0\n' \
		>"$src/include/uapi/linux/kvm.h"
	run "$REPO/scripts/gen-kvm-exits.sh" "$src" "$BATS_TEST_TMPDIR/ok.h"
	[ "$status" -eq 0 ]
	# the run of exit reasons from KVM_EXIT_UNKNOWN only; -1 as 32 bits
	grep -q '{ 0x00000002U, "KVM_EXIT_IO" }' "$BATS_TEST_TMPDIR/ok.h"
	run ! grep -qE 'KVM_EXIT_(HYPERV_X|IO_IN)' "$BATS_TEST_TMPDIR/ok.h"
	grep -q '{ 0xffffffffU, "SVM_EXIT_ERR" }' "$BATS_TEST_TMPDIR/ok.h"
	printf '#define EXIT_REASON_A 0\n#define EXIT_REASON_B (1 << 3)\n' >"$src/arch/x86/include/uapi/asm/vmx.h"
	run "$REPO/scripts/gen-kvm-exits.sh" "$src" "$BATS_TEST_TMPDIR/bad.h"
	[ "$status" -ne 0 ]
	[[ $output == *'EXIT_REASON_B is "(1", not a number'* ]]
	printf '#define EXIT_REASON_A 0\n#define EXIT_REASON_B 0x0\n' >"$src/arch/x86/include/uapi/asm/vmx.h"
	run "$REPO/scripts/gen-kvm-exits.sh" "$src" "$BATS_TEST_TMPDIR/bad.h"
	[ "$status" -ne 0 ]
	[[ $output == *"EXIT_REASON_A and EXIT_REASON_B are both 0x0"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/bad.h" ]
}
