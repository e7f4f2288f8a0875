#!/usr/bin/env bats
# pvtrace patches on this machine: inventory of assembled fixtures, of the project's
# vmlinux (when built) and of Debian's 6.1 and 6.12 vmlinux (downloaded once into a cache
# by scripts/debian-vmlinux.sh; a failed download fails the test when CI=true), usage and
# hostile-input errors, --dump and --watch on this kernel.
# --live inside the project kernel runs in the guest (tests/guest/patches.sh).

load helpers

VMLINUX=${PVTRACE_VMLINUX:-$("$REPO/scripts/kbuild-dir.sh")/build-x86/vmlinux}

setup_file() {
	export FIX_DIR="$BATS_FILE_TMPDIR"
	cat >"$FIX_DIR/fix.s" <<'EOF'
	.macro ALT b, e, rb, re, ft
	.pushsection .altinstructions,"a",@progbits
	.long \b - .
	.long \rb - .
	.4byte \ft
	.byte \e - \b
	.byte \re - \rb
	.popsection
	.endm
	.text
	.globl _text
_text:
	.globl alpha
	.type alpha,@function
alpha:
.L1:	call *pv_ops(%rip)
.L2:	.byte 0x90, 0x90, 0x90
.L3:	ret
	.size alpha,.-alpha
	.globl beta
	.type beta,@function
beta:
	nop
.L4:	.byte 0x90, 0x90, 0x90, 0x90, 0x90
.L5:	call __SCT__gamma
	ret
	.size beta,.-beta
	.globl __SCT__gamma
__SCT__gamma:
	ret
	.section .altinstr_replacement,"ax",@progbits
.R1:	call alpha
.R1e:
.R2:	lfence
.R2e:
.R3:	stac
.R3e:
	ALT .L1, .L2, .R1, .R1e, (2 << 16) | (3*32+21)
	ALT .L2, .L3, .R2, .R2e, (1 << 16) | (8*32+16)
	ALT .L4, .L5, .R3, .R3e, 9*32+20
	ALT .L4, .L5, .R2, .R2e, 8*32+16
	.section .static_call_sites,"a",@progbits
	.long .L5 - .
	.long __SCK__gamma - .
	.data
	.balign 8
	.globl pv_ops
pv_ops:	.quad 0
	.globl __SCK__gamma
__SCK__gamma: .quad 0
	.section .rodata,"a",@progbits
	.globl linux_banner
linux_banner: .asciz "Linux version 6.12.99-bats (b@pvtrace) #1\n"
EOF
	(cd "$FIX_DIR" && as --64 -o fix.o fix.s &&
		ld -m elf_x86_64 -static -nostdlib --build-id=sha1 -e 0 \
			-Ttext=0xffffffff81000000 -o fix.elf fix.o)
}

@test "--help documents the options and exits 0" {
	run "$PVTRACE" patches --help
	[ "$status" -eq 0 ]
	for o in --vmlinux --live --watch --dump --json --sites --feature --read; do
		[[ "$output" == *"$o"* ]]
	done
}

@test "usage errors: one line, exit 2" {
	for args in "--bogus" "--read foo" "--top x" "--duration 1s" "--watch -d 0" \
		"--dump x --live" "--dump __SCT__x:0" "--vmlinux"; do
		# shellcheck disable=SC2086
		run "$PVTRACE" patches $args
		echo "$args -> $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
	done
	run "$PVTRACE" patches --vmlinux "$FIX_DIR/fix.elf" --feature NO_SUCH_THING
	[ "$status" -eq 2 ]
	[ "$output" = "pvtrace: patches: unknown feature 'NO_SUCH_THING' for this kernel" ]
}

@test "without --vmlinux: says where it looked and which Debian package provides it" {
	r=$(uname -r)
	for p in /usr/lib/debug/boot/vmlinux-$r /usr/lib/debug/lib/modules/$r/vmlinux \
		/boot/vmlinux-$r /lib/modules/$r/build/vmlinux; do
		[ ! -e "$p" ] || skip "$p exists here"
	done
	run "$PVTRACE" patches
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	where="looked in /usr/lib/debug/boot/vmlinux-$r, /usr/lib/debug/lib/modules/$r/vmlinux, /boot/vmlinux-$r, /lib/modules/$r/build/vmlinux"
	case $r in
	*+deb*-amd64 | [0-9]*.[0-9]*.[0-9]*-[0-9]*-*amd64)
		[ "$output" = "pvtrace: no vmlinux for the running kernel $r: $where; install Debian's linux-image-$r-dbg, which provides it, or pass --vmlinux FILE" ] ;;
	*)
		[ "$output" = "pvtrace: no vmlinux for the running kernel $r: $where; Debian's linux-image-$r-dbg would provide it, but $r does not look like a Debian kernel release; pass --vmlinux FILE" ] ;;
	esac
}

@test "--release: the vmlinux of another kernel, and the Debian package that provides it" {
	for r in 6.1.0-57-cloud-amd64 6.12.117+deb12-amd64 6.1.0-99-rt-amd64; do
		[ ! -e "/usr/lib/debug/boot/vmlinux-$r" ] || continue
		run "$PVTRACE" patches --release "$r"
		echo "$output"
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
		[ "$output" = "pvtrace: no vmlinux for kernel $r: looked in /usr/lib/debug/boot/vmlinux-$r, /usr/lib/debug/lib/modules/$r/vmlinux, /boot/vmlinux-$r, /lib/modules/$r/build/vmlinux; install Debian's linux-image-$r-dbg, which provides it, or pass --vmlinux FILE" ]
	done
	run "$PVTRACE" patches --release 6.18.0-custom
	[ "$status" -eq 1 ]
	[[ "$output" == *"; Debian's linux-image-6.18.0-custom-dbg would provide it, but 6.18.0-custom does not look like a Debian kernel release; pass --vmlinux FILE" ]]
	for bad in ../etc "" "a/b" "$(printf 'x%.0s' {1..70})" 'x y'; do
		run "$PVTRACE" patches --release "$bad"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "pvtrace patches: invalid kernel release '"* ]]
	done
	run "$PVTRACE" patches --release 6.1.0-57-amd64 --vmlinux "$FIX_DIR/fix.elf"
	[ "$status" -eq 2 ]
	[ "$output" = "pvtrace: patches: --release applies without --vmlinux" ]
}

@test "fixture inventory: text" {
	run "$PVTRACE" patches --vmlinux "$FIX_DIR/fix.elf" --sites
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "vmlinux $FIX_DIR/fix.elf: Linux 6.12.99-bats, build id "* ]]
	[[ "$output" == *"struct alt_instr: Linux 6.3+ x86 layout (14 bytes"* ]]
	[[ "$output" == *".altinstructions: 4 entries at 3 sites in 2 functions (3 sites resident, 0 in init text freed after boot)"* ]]
	[[ "$output" == *"1 NOT, 1 DIRECT_CALL; 4 of 4 replacements in .altinstr_replacement"* ]]
	[[ "$output" == *".parainstructions: none: this kernel makes paravirt calls ALTERNATIVE sites with DIRECT_CALL (1)"* ]]
	[[ "$output" == *".static_call_sites: 1 sites of 1 keys (0 tail calls)"* ]]
	grep -qE '^  X86_FEATURE_XENPV +2 +1 +0 +2$' <<<"$output"
	grep -qE '^  X86_FEATURE_ALWAYS +1 +0 +1 +1$' <<<"$output"
	grep -qE '^  beta +2 +1 +2$' <<<"$output"
	grep -qE '^  ffffffff81000000  alpha +6  X86_FEATURE_ALWAYS\[DIRECT_CALL\]:5 pv_ops\+0$' <<<"$output"
	grep -qE '^  ffffffff81000006  alpha\+0x6 +3  !X86_FEATURE_XENPV:3$' <<<"$output"
	grep -qE '^  ffffffff8100000b  beta\+0x1 +5  X86_FEATURE_SMAP:3 \| X86_FEATURE_XENPV:3$' <<<"$output"
	grep -qE '^  ffffffff81000010  beta\+0x6 +gamma$' <<<"$output"
}

@test "fixture inventory: JSON, also from the unlinked object" {
	for f in fix.elf fix.o; do
		run "$PVTRACE" patches --vmlinux "$FIX_DIR/$f" --json
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq 1 ]
		jq -e '.schema == "pvtrace.patches/1" and .kind == "inventory"
			and .kernel == "6.12.99-bats" and .running_kernel == false
			and .parainstructions == null
			and .altinstructions.entries == 4 and .altinstructions.sites == 3
			and .altinstructions.not == 1 and .altinstructions.direct_call == 1
			and ([.altinstructions.by_feature[].entries] | add) == 4
			and (.altinstructions.site_list | map(.function)) == ["alpha", "alpha", "beta"]
			and (.altinstructions.site_list | map(.offset)) == [0, 6, 1]
			and (.altinstructions.site_list | map(.len)) == [6, 3, 5]
			and .altinstructions.site_list[2].entries[0].feature == "X86_FEATURE_SMAP"
			and .altinstructions.site_list[2].entries[0].cpuinfo == "smap"
			and .altinstructions.site_list[1].entries[0].not == true
			and .altinstructions.site_list[0].entries[0].direct_call == true
			and .altinstructions.site_list[0].pv_op == "+0"
			and .static_call_sites.count == 1
			and .static_call_sites.sites[0].key == "gamma"' <<<"$output"
	done
}

@test "--feature and --function select sites" {
	run "$PVTRACE" patches --vmlinux "$FIX_DIR/fix.elf" --feature xenpv
	[ "$status" -eq 0 ]
	[ "$(grep -c '^  ffffffff8100' <<<"$output")" -eq 2 ]
	[[ "$output" == *"(2 sites)"* ]]
	run "$PVTRACE" patches --vmlinux "$FIX_DIR/fix.elf" --function beta --json
	[ "$(jq '.altinstructions.site_list | length' <<<"$output")" -eq 1 ]
}

# every --vmlinux FILE that is not a kernel image: usage error (exit 2), one line, and
# no hang (timeout: a FIFO once blocked in open() forever)
@test "--vmlinux of no kernel image: FIFO, directory, device, empty, truncated, not ELF, not a kernel" {
	d=$BATS_TEST_TMPDIR
	mkfifo "$d/fifo"
	: >"$d/empty"
	head -c 300 "$FIX_DIR/fix.elf" >"$d/short.elf"
	ln -s fifo "$d/fifo-link"
	check() { # FILE EXPECTED-MESSAGE
		run timeout 10 "$PVTRACE" patches --vmlinux "$1"
		echo "$1 -> $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[ "$output" = "pvtrace: $2" ]
	}
	check "$d/fifo" "$d/fifo: not a regular file (a FIFO)"
	check "$d/fifo-link" "$d/fifo-link: not a regular file (a FIFO)"
	check "$d" "$d: not a regular file (a directory)"
	check /dev/null "/dev/null: not a regular file (a character device)"
	check "$d/empty" "$d/empty: empty file"
	check "$FIX_DIR/fix.s" "$FIX_DIR/fix.s: not an ELF file"
	check /nonexistent "/nonexistent: No such file or directory"
	check /bin/ls "/bin/ls: not a Linux kernel image or module (no linux_banner symbol, no .modinfo vermagic, no kernel sections)"
	check /bin/true "/bin/true: not a Linux kernel image or module (no linux_banner symbol, no .modinfo vermagic, no kernel sections)"
	run timeout 10 "$PVTRACE" patches --vmlinux "$d/short.elf"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "pvtrace: $d/short.elf: "*"(truncated?)" ]]
	# the fixture itself is a kernel image: its banner identifies it
	run "$PVTRACE" patches --vmlinux "$FIX_DIR/fix.elf"
	[ "$status" -eq 0 ]
}

@test "a vmlinux without symbols is still recognised by its sections and banner text" {
	strip -o "$BATS_TEST_TMPDIR/stripped.elf" "$FIX_DIR/fix.elf"
	run "$PVTRACE" patches --vmlinux "$BATS_TEST_TMPDIR/stripped.elf" --json
	echo "$output"
	[ "$status" -eq 0 ]
	jq -e '.altinstructions.entries == 4' <<<"$output"
}

@test "pre-6.3 fixture without BTF: 12-byte entries, NOT in bit 15 of cpuid, proved on the file" {
	cat >"$BATS_TEST_TMPDIR/old.s" <<'EOF'
	.macro ALT b, e, rb, re, ft
	.pushsection .altinstructions,"a",@progbits
	.long \b - .
	.long \rb - .
	.2byte \ft
	.byte \e - \b
	.byte \re - \rb
	.popsection
	.endm
	.text
	.globl old
	.type old,@function
old:
.L1:	.byte 0x90, 0x90, 0x90
.L2:	.byte 0x90, 0x90, 0x90
.L3:	ret
	.size old,.-old
	.section .altinstr_replacement,"ax",@progbits
.R1:	lfence
.R1e:
.R2:	stac
.R2e:
	ALT .L1, .L2, .R1, .R1e, 0x8000 | (8*32+16)
	ALT .L2, .L3, .R2, .R2e, 9*32+20
	ALT .L2, .L3, .R1, .R1e, 0x8000 | (8*32+16)
	.section .rodata,"a",@progbits
	.globl linux_banner
linux_banner: .asciz "Linux version 6.1.99-bats (b@pvtrace) #1\n"
EOF
	(cd "$BATS_TEST_TMPDIR" && as --64 -o old.o old.s &&
		ld -m elf_x86_64 -static -nostdlib -e 0 -Ttext=0xffffffff81000000 -o old.elf old.o)
	run "$PVTRACE" patches --vmlinux "$BATS_TEST_TMPDIR/old.elf" --json
	echo "$output"
	[ "$status" -eq 0 ]
	jq -e '.kernel == "6.1.99-bats" and .altinstructions.entries == 3
		and .altinstructions.not == 2 and .altinstructions.sites == 2
		and (.layout | startswith("Linux x86 layout before 6.3 (12 bytes"))
		and (.layout | contains("no BTF, proved on this file (the one of 2 layouts for Linux 6.1.99-bats that fits): 36 bytes = 3 entries"))
		and ([.altinstructions.by_feature[] | {bit, entries, not}] | sort_by(.bit)) ==
			[{"bit": 272, "entries": 2, "not": 2}, {"bit": 308, "entries": 1, "not": 0}]' <<<"$output"
	# the same table claimed by a 6.3+ banner: the 14-byte layout does not fit, no misreading
	sed -i 's/6\.1\.99-bats/6.3.99-bats/' "$BATS_TEST_TMPDIR/old.s"
	(cd "$BATS_TEST_TMPDIR" && as --64 -o new.o old.s &&
		ld -m elf_x86_64 -static -nostdlib -e 0 -Ttext=0xffffffff81000000 -o new.elf new.o)
	run "$PVTRACE" patches --vmlinux "$BATS_TEST_TMPDIR/new.elf"
	[ "$status" -eq 1 ]
	[ "$output" = "pvtrace: $BATS_TEST_TMPDIR/new.elf: .altinstructions: 36 bytes is not a multiple of 14-byte entries (14-byte struct alt_instr of Linux 6.3.99-bats, no BTF)" ]
}

# debian_vmlinux RELEASE: DV = Debian's vmlinux of that series (scripts/debian-vmlinux.sh,
# cached). No download: a failure under CI=true, else a skip with the reason.
debian_vmlinux() {
	local log=$BATS_TEST_TMPDIR/dl.err t0
	t0=$(date +%s.%N)
	if DV=$("$REPO/scripts/debian-vmlinux.sh" "$1" 2>"$log"); then
		echo "# $(tail -n 1 "$log") ($(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)" >&3
		return 0
	fi
	if [ "${CI:-}" = true ]; then
		echo "CI: no Debian $1 vmlinux: $(tail -n 1 "$log")"
		return 1
	fi
	skip "no Debian $1 vmlinux: $(tail -n 1 "$log")"
}

# pvtrace's inventory against tests/bats/altinstr-reader.py (readelf, nm, the vmlinux's
# BTF through bpftool): entries, NOT, DIRECT_CALL and per-feature counts, exactly
debian_crosscheck() { # RELEASE EXPECTED-ENTRY-SIZE
	debian_vmlinux "$1"
	run "$PVTRACE" patches --vmlinux "$DV" --json
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	echo "$output" >"$BATS_TEST_TMPDIR/pv.json"
	/usr/bin/python3 "$REPO/tests/bats/altinstr-reader.py" "$DV" >"$BATS_TEST_TMPDIR/ind.json"
	jq -c '{layout, entries, not, direct_call, static_call_sites, parainstructions, features: (.by_feature | length)}' "$BATS_TEST_TMPDIR/ind.json"
	jq -r '"# pvtrace \(.kernel): \(.altinstructions.entries) entries, \(.altinstructions.not) NOT, \(.altinstructions.direct_call) DIRECT_CALL, \(.altinstructions.by_feature | length) features, \(.static_call_sites.count) static call sites, \(.parainstructions.sites // [] | length) paravirt sites"' \
		"$BATS_TEST_TMPDIR/pv.json" >&3
	jq -r '"# reader: \(.entries) entries, \(.not) NOT, \(.direct_call) DIRECT_CALL, \(.by_feature | length) features, \(.static_call_sites) static call sites, \(.parainstructions // 0) paravirt sites"' \
		"$BATS_TEST_TMPDIR/ind.json" >&3
	jq -e --argjson size "$2" '.layout.size == $size and .entries > 1000' "$BATS_TEST_TMPDIR/ind.json"
	jq -e --slurpfile ind "$BATS_TEST_TMPDIR/ind.json" '$ind[0] as $i |
		(.layout | startswith("BTF struct alt_instr (\($i.layout.size) bytes")) and
		.altinstructions.entries == $i.entries and
		.altinstructions.not == $i.not and
		.altinstructions.direct_call == $i.direct_call and
		([.altinstructions.site_list[].entries | length] | add) == $i.entries and
		(.altinstructions.by_feature | map({key: (.bit | tostring),
			value: {entries, not, direct_call}}) | from_entries) == $i.by_feature and
		.static_call_sites.count == $i.static_call_sites and
		(if $i.parainstructions == null then .parainstructions == null
		 else (.parainstructions.sites | length) == $i.parainstructions end)' \
		"$BATS_TEST_TMPDIR/pv.json"
}

@test "Debian 12's own 6.1 kernel: 12-byte alt_instr, NOT in cpuid bit 15, counts equal an independent reader" {
	debian_crosscheck 6.1 12
	jq -e '(.layout | contains("no flags member: NOT is bit 15 of the 16-bit cpuid"))
		and ([.altinstructions.by_feature[] | select(.bit == 8 * 32 + 16) | .not] | .[0] > 0)
		and .parainstructions != null' "$BATS_TEST_TMPDIR/pv.json"
}

@test "Debian's 6.12 kernel: 14-byte alt_instr with flags, counts equal an independent reader" {
	debian_crosscheck 6.12 14
	jq -e '.altinstructions.direct_call > 0 and .parainstructions == null' "$BATS_TEST_TMPDIR/pv.json"
}

@test "--live refuses an ELF that is not the running kernel" {
	run "$PVTRACE" patches --vmlinux "$FIX_DIR/fix.elf" --live
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "pvtrace: --live: $FIX_DIR/fix.elf is not the running kernel's vmlinux (build id "*", running kernel "*")" ]]
}

@test "--dump reads kernel text with BPF: a static call trampoline jumps to a symbol" {
	need_root
	grep -q ' __SCT__pv_sched_clock$' /proc/kallsyms || skip "no __SCT__pv_sched_clock here"
	run "$PVTRACE" patches --dump __SCT__pv_sched_clock:5 --read bpf --json
	echo "$output"
	[ "$status" -eq 0 ]
	bytes=$(jq -r .bytes <<<"$output")
	addr=$(jq -r .addr <<<"$output")
	[ "$(jq -r .method <<<"$output")" = bpf ]
	[ "$(grep ' __SCT__pv_sched_clock$' /proc/kallsyms | cut -d' ' -f1)" = "$(printf '%016x' "$addr")" ]
	# e9 rel32 (jmp) or e8/c3/nop forms; a jmp must land on a kallsyms symbol start
	if [ "${bytes:0:2}" = e9 ]; then
		rel=$(( 0x${bytes:8:2}${bytes:6:2}${bytes:4:2}${bytes:2:2} ))
		((rel >= 0x80000000)) && rel=$((rel - 0x100000000))
		target=$(printf '%016x' $((addr + 5 + rel)))
		grep -q "^$target [tT] " /proc/kallsyms
	fi
	# the reader is gone
	[ -z "$(bpftool -j prog show | jq -r '.[] | select(.name == "read_kmem") | .id')" ]
}

@test "--dump text form, symbol+offset, and kcore where there is none" {
	need_root
	run "$PVTRACE" patches --dump _text+0x10:4
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{16}\ _text\+0x10:4:\ [0-9a-f]{2}\ [0-9a-f]{2}\ [0-9a-f]{2}\ [0-9a-f]{2}$ ]]
	run "$PVTRACE" patches --dump no_such_symbol_here
	[ "$status" -eq 1 ]
	[ "$output" = "pvtrace: --dump: no_such_symbol_here: not in /proc/kallsyms" ]
	if [ ! -e /proc/kcore ]; then
		run "$PVTRACE" patches --dump _text --read kcore
		[ "$status" -eq 1 ]
		[ "$output" = "pvtrace: /proc/kcore: No such file or directory" ]
	fi
}

@test "--watch: one dummy event per CPU, ends at --duration, JSON summary" {
	need_root
	run "$PVTRACE" patches --watch -d 1s --json
	echo "$output"
	[ "$status" -eq 0 ]
	ncpu=$(grep -c . < <(tr ',' '\n' </sys/devices/system/cpu/online | while IFS=- read -r a b; do seq "$a" "${b:-$a}"; done))
	[[ "$output" == *"Watching kernel text pokes (PERF_RECORD_TEXT_POKE) on $ncpu CPUs"* ]]
	last=$(grep '^{' <<<"$output" | tail -n 1)
	jq -e --argjson n "$ncpu" '.kind == "watch_end" and .cpus == $n and .lost == 0' <<<"$last"
	pokes=$(jq .pokes <<<"$last")
	[[ "$output" == *"$pokes text pokes"* ]]
}

@test "--watch: SIGINT and SIGTERM end it with status 0; its perf fds are per CPU" {
	need_root
	for sig in INT TERM; do
		"$PVTRACE" patches --watch >"$BATS_TEST_TMPDIR/w.out" 2>"$BATS_TEST_TMPDIR/w.err" &
		pid=$!
		for _ in $(seq 50); do grep -q Watching "$BATS_TEST_TMPDIR/w.err" && break; sleep 0.1; done
		n=$(find /proc/$pid/fd -lname 'anon_inode:*perf_event*' | wc -l)
		[ "$n" -eq "$(grep -c . < <(tr ',' '\n' </sys/devices/system/cpu/online | while IFS=- read -r a b; do seq "$a" "${b:-$a}"; done))" ]
		kill -$sig $pid
		rc=0
		wait $pid || rc=$?
		[ "$rc" -eq 0 ]
		grep -q ' text pokes$' "$BATS_TEST_TMPDIR/w.err"
	done
}

@test "project vmlinux: counts, names and functions agree with readelf and nm" {
	[ -r "$VMLINUX" ] || skip "no project vmlinux at $VMLINUX (scripts/kernel-build.sh)"
	run "$PVTRACE" patches --vmlinux "$VMLINUX" --json
	[ "$status" -eq 0 ]
	echo "$output" >"$BATS_TEST_TMPDIR/inv.json"
	size=$((0x$(readelf -SW "$VMLINUX" | sed -n 's/.* \.altinstructions  *PROGBITS  *[0-9a-f]* [0-9a-f]* \([0-9a-f]*\) .*/\1/p')))
	jq -e --argjson n $((size / 14)) '.altinstructions.entries == $n
		and ([.altinstructions.by_feature[].entries] | add) == $n
		and ([.altinstructions.site_list[].entries | length] | add) == $n
		and .parainstructions == null
		and (.layout | startswith("BTF struct alt_instr (14 bytes)"))
		and ([.altinstructions.site_list[].entries[].feature | test("^(X86_FEATURE_|X86_BUG_|bit )")] | all)
		and ([.altinstructions.site_list[].entries[] | select(.direct_call) | .instrlen == 6 and .replacementlen == 5] | all)' \
		"$BATS_TEST_TMPDIR/inv.json"
	# static call sites: (__stop - __start) / 8
	read -r a b < <(nm "$VMLINUX" | awk '$3 == "__start_static_call_sites" { a = $1 } $3 == "__stop_static_call_sites" { b = $1 } END { print a, b }')
	[ "$(jq .static_call_sites.count "$BATS_TEST_TMPDIR/inv.json")" -eq $(( (0x$b - 0x$a) / 8 )) ]
	# function attribution: the symbol nm lists at address - offset, for every 50th site
	jq -r '.altinstructions.site_list | to_entries[] | select(.key % 50 == 0) | .value | "\(.addr) \(.function) \(.offset)"' \
		"$BATS_TEST_TMPDIR/inv.json" | while read -r addr fn off; do
		start=$(printf '%016x' $((addr - off)))
		nm "$VMLINUX" | grep -q "^$start [tTwW] $fn$" || { echo "no $fn at $start"; false; }
	done
}

@test "the x86 feature table regenerates identically from Linux 6.12 cpufeatures.h" {
	tarball=/usr/src/linux-source-6.12.tar.xz
	[ -r "$tarball" ] || skip "linux-source-6.12 not installed (scripts/kernel-build.sh installs it)"
	run "$REPO/scripts/gen-cpufeatures.sh" "$tarball" "$BATS_TEST_TMPDIR/t.h"
	[ "$status" -eq 0 ]
	diff -u "$REPO/user/patches/x86_cpufeatures.h" "$BATS_TEST_TMPDIR/t.h"
}
