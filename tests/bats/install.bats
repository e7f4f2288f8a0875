#!/usr/bin/env bats
# make install / uninstall: the binary, one man page per command (help2man from --help),
# bash completion, systemd units; each checked with the tool that consumes it.

load helpers

setup_file() {
	export DEST=$BATS_FILE_TMPDIR/dest PFX=$BATS_FILE_TMPDIR/prefix
	make -s -C "$REPO" install DESTDIR="$DEST" PREFIX=/usr >/dev/null
	make -s -C "$REPO" install PREFIX="$PFX" >/dev/null
}

@test "make install DESTDIR: binary, eleven man pages, completion, five units" {
	(cd "$DEST" && find . -type f | sort) >"$BATS_TEST_TMPDIR/files"
	cat "$BATS_TEST_TMPDIR/files"
	diff -u - "$BATS_TEST_TMPDIR/files" <<'EOF'
./usr/bin/pvtrace
./usr/lib/systemd/system/pvtrace-exits.service
./usr/lib/systemd/system/pvtrace-latency.service
./usr/lib/systemd/system/pvtrace-steal.service
./usr/lib/systemd/system/pvtrace-vfio.service
./usr/lib/systemd/system/pvtrace-vhost.service
./usr/share/bash-completion/completions/pvtrace
./usr/share/man/man1/pvtrace-bench.1
./usr/share/man/man1/pvtrace-compare.1
./usr/share/man/man1/pvtrace-dashboard.1
./usr/share/man/man1/pvtrace-exits.1
./usr/share/man/man1/pvtrace-hooks.1
./usr/share/man/man1/pvtrace-latency.1
./usr/share/man/man1/pvtrace-patches.1
./usr/share/man/man1/pvtrace-results.1
./usr/share/man/man1/pvtrace-vfio.1
./usr/share/man/man1/pvtrace-vhost.1
./usr/share/man/man1/pvtrace.1
EOF
	grep -qx 'ExecStart=/usr/bin/pvtrace latency --ioctl --per-pid 15 --prom /var/lib/prometheus/node-exporter/pvtrace-latency.prom' \
		"$DEST/usr/lib/systemd/system/pvtrace-latency.service"
}

@test "man -l renders every page without warnings, with every option of its --help" {
	for page in "$DEST"/usr/share/man/man1/*.1; do
		cmd=$(basename "$page" .1)
		cmd=${cmd#pvtrace}
		cmd=${cmd#-}
		[ "$cmd" != bench ] || cmd="bench regs"
		out=$(MANWIDTH=100 man -l "$page" 2>"$BATS_TEST_TMPDIR/man.err")
		[ ! -s "$BATS_TEST_TMPDIR/man.err" ] || { cat "$BATS_TEST_TMPDIR/man.err"; return 1; }
		grep -q '^NAME' <<<"$out"
		grep -q "^       pvtrace${cmd:+ $cmd} - " <<<"$out"
		# every long option --help lists is documented in the page
		help=$("$PVTRACE" $cmd --help)
		opts=$(grep -oE '^  (-., )?--[a-z-]+' <<<"$help" | grep -oE -- '--[a-z-]+' || true)
		# a command's --help lists options (pvtrace's own lists the commands)
		[ -z "$cmd" ] || [ -n "$opts" ]
		for o in $opts; do
			grep -q -- "$o" <<<"$out" || { echo "$page lacks $o"; return 1; }
		done
	done
}

@test "systemd-analyze verify accepts the units; they run with only their capabilities" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed"
	MANPATH=$PFX/share/man run systemd-analyze verify "$PFX"/lib/systemd/system/*.service
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# the capability set the latency unit allows is enough for a real run
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$PFX/lib/systemd/system/pvtrace-latency.service")
	[ "$caps" = "CAP_BPF CAP_PERFMON CAP_SYSLOG" ]
	need_kvm
	mounted=
	if ! grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts; then
		mount -t tracefs nodev /sys/kernel/tracing && mounted=1
	fi
	set=$(tr ' ' '\n' <<<"$caps" | sed 's/^CAP_/+/' | tr 'A-Z' 'a-z' | paste -sd, -)
	setpriv --bounding-set "-all,$set" --no-new-privs "$PFX/bin/pvtrace" latency --ioctl --json \
		--workload >"$BATS_TEST_TMPDIR/w.json" 2>"$BATS_TEST_TMPDIR/w.err" || st=$?
	[ -z "$mounted" ] || umount /sys/kernel/tracing
	cat "$BATS_TEST_TMPDIR/w.err"
	[ "${st:-0}" -eq 0 ]
	grep -q 'all counts match' "$BATS_TEST_TMPDIR/w.err"
}

@test "bash completion completes subcommands, options and option values" {
	[ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
	cat >"$BATS_TEST_TMPDIR/comp.sh" <<EOF
source /usr/share/bash-completion/bash_completion
source "$DEST/usr/share/bash-completion/completions/pvtrace"
PATH=$DEST/usr/bin:\$PATH
comp() {
	COMP_WORDS=("\$@"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1))
	COMP_LINE="\$*"; COMP_POINT=\${#COMP_LINE}; COMPREPLY=()
	_pvtrace pvtrace "\${COMP_WORDS[-1]}" "\${COMP_WORDS[-2]}"
	echo "\${COMPREPLY[*]}"
}
echo "1:\$(comp pvtrace '')"
echo "2:\$(comp pvtrace pa)"
echo "3:\$(comp pvtrace latency --per)"
echo "4:\$(comp pvtrace bench '')"
echo "5:\$(comp pvtrace bench regs --vc)"
echo "6:\$(comp pvtrace latency --mode k)"
echo "7:\$(comp pvtrace hooks --st)"
echo "8:\$(comp pvtrace results ex)"
echo "9:\$(comp pvtrace results query --me)"
echo "10:\$(comp pvtrace compare --method pi)"
EOF
	run bash "$BATS_TEST_TMPDIR/comp.sh"
	echo "$output"
	[ "${lines[0]}" = "1:latency bench exits vhost hooks vfio patches results compare dashboard" ]
	[ "${lines[1]}" = "2:patches" ]
	[ "${lines[2]}" = "3:--per-pid --per-vcpu" ]
	[ "${lines[3]}" = "4:ioctl regs overhead" ]
	[ "${lines[4]}" = "5:--vcpus" ]
	[ "${lines[5]}" = "6:kprobe" ]
	[ "${lines[6]}" = "7:--steal" ]
	[ "${lines[7]}" = "8:export" ]
	[ "${lines[8]}" = "9:--metric" ]
	[ "${lines[9]}" = "10:pinpoint" ]
}

@test "make uninstall removes everything install put there" {
	make -s -C "$REPO" uninstall DESTDIR="$DEST" PREFIX=/usr
	[ -z "$(find "$DEST" -type f)" ]
}
