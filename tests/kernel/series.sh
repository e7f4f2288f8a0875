#!/usr/bin/env bash
# The carried KVM series (kernel-patches/) on the host: it applies with git am onto Debian's
# linux-source-6.12, every patch is checkpatch --strict clean, and the test kernel and the KVM
# selftest build without compiler warnings (scripts/kernel-build.sh), for x86 and, cross-compiled,
# for arm64; and the series' base for x86. TAP on stdout.
# The guest suite then boots that kernel (scripts/guest-tests.sh).
# Usage: tests/kernel/series.sh [--arch x86|arm64]
#   x86 (default): the series applied, checkpatch, the x86 test kernel and selftest, the base
#   arm64: the same patched tree cross-compiled for arm64 and the selftest for aarch64 (run
#          by scripts/run-tests.sh beside the x86 guests, scripts/guest-tests.sh's lanes)
# shellcheck disable=SC2001 # sed prefixes every line of a multi-line text
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
arch=x86
case ${1:-} in
--arch) arch=${2:-} ;;
--arch=*) arch=${1#--arch=} ;;
"") ;;
*) echo "usage: tests/kernel/series.sh [--arch x86|arm64]" >&2; exit 2 ;;
esac
case $arch in
x86 | arm64) ;;
*) echo "series.sh: --arch: x86 or arm64, not '$arch'" >&2; exit 2 ;;
esac
KB=$(scripts/kbuild-dir.sh)
SRC=$KB/linux-6.12
n=0 rc=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; rc=1; }

mapfile -t patches < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' kernel-patches/series)
log=$(mktemp /tmp/pvtrace-kbuild.XXXXXX)
trap 'rm -f "$log" "${cfg_before:-}"' EXIT

if [ "$arch" = x86 ]; then
	echo "# scripts/kernel-build.sh (PVTRACE_KBUILD=$KB)"
	t0=$(date +%s)
	scripts/kernel-build.sh >"$log" 2>&1
	st=$?
	sed 's/^/# /' "$log" | grep -vE '^# +(CC|LD|AR|AS|HOSTCC|GEN)' | tail -n 20
	echo "# kernel-build.sh: status $st in $(($(date +%s) - t0)) s"

	# 1. the series is what the tree carries on top of the imported source, commit for commit
	subjects() { # PATCH... -> one subject per line, as git am records it
		local p
		for p in "$@"; do
			sed -n '/^Subject: /,/^$/p' "kernel-patches/$p" | sed '$d' |
				sed -e 's/^Subject: //' -e 's/^\[PATCH[^]]*\] //' | tr -d '\n' | sed 's/^ *//'
			echo
		done | sed 's/  */ /g'
	}
	if [ -d "$SRC/.git" ]; then
		want=$(subjects "${patches[@]}")
		got=$(git -C "$SRC" log --reverse --format=%s pvtrace-base..HEAD 2>/dev/null)
		dirty=$(git -C "$SRC" status --porcelain --untracked-files=no 2>/dev/null | head -n 3)
		base=$(git -C "$SRC" log -1 --format=%s pvtrace-base 2>/dev/null)
		if [ "$want" = "$got" ] && [ -z "$dirty" ]; then
			ok "series (${#patches[@]} patches) applied with git am onto: $base"
		else
			notok "series applied onto linux-source-6.12"
			diff <(echo "$want") <(echo "$got") | sed 's/^/# /'
			[ -n "$dirty" ] && echo "# tree has local changes: $dirty"
		fi
	else
		notok "series applied onto linux-source-6.12 (no tree at $SRC)"
	fi

	# 2. checkpatch --strict per patch: no errors, no checks; the only warning allowed is the
	#    generic "does MAINTAINERS need updating?" for the new selftest file (already covered by
	#    the KVM/x86 entry, tools/testing/selftests/kvm/x86_64/)
	for p in "${patches[@]}"; do
		if [ ! -x "$SRC/scripts/checkpatch.pl" ]; then
			notok "checkpatch --strict $p (no checkpatch.pl)"
			continue
		fi
		# Debian python3 (spdxcheck.py needs python3-ply), not a pyenv one first in PATH
		out=$(cd "$SRC" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict --terse --no-summary \
			"$OLDPWD/kernel-patches/$p" 2>&1)
		cst=$?
		others=$(grep -E '(ERROR|WARNING|CHECK):' <<<"$out" |
			grep -v 'added, moved or deleted file(s), does MAINTAINERS need updating' || true)
		total=$(grep -cE '(ERROR|WARNING|CHECK):' <<<"$out")
		if [ "$cst" -ne 0 ] && [ "$total" -eq 0 ]; then
			# a failing status without a finding: checkpatch itself did not run through
			notok "checkpatch --strict $p (status $cst without a finding)"
			sed 's/^/# /' <<<"$out"
		elif [ -z "$others" ]; then
			if [ "$total" -eq 0 ]; then
				ok "checkpatch --strict $p: clean"
			else
				ok "checkpatch --strict $p: only the MAINTAINERS notice for a new file"
			fi
		else
			notok "checkpatch --strict $p"
			sed 's/^/# /' <<<"$out"
		fi
	done

	# 3. the kernel and the selftest built, with no compiler warnings
	bz=$(sed -n 's/^BZIMAGE=//p' "$log")
	st_bin=$(sed -n 's/^SELFTEST=//p' "$log")
	warnings=$(grep -E '(warning|error):' "$log" || true)
	if [ "$st" -eq 0 ] && [ -s "$bz" ] && [ -z "$warnings" ]; then
		ok "test kernel built, no compiler warnings ($(du -k "$bz" | cut -f1) KiB bzImage)"
	else
		notok "test kernel built without warnings (kernel-build.sh status $st)"
		[ -n "$warnings" ] && sed 's/^/# /' <<<"$warnings"
	fi
	if [ "$st" -eq 0 ] && [ -x "$st_bin" ]; then
		ok "KVM selftest built: ${st_bin#"$KB"/}"
	else
		notok "KVM selftest built"
	fi

	# 4. the series' base: the same source and configuration without the patches, which kernel
	# CI compares the series against (scripts/kci.sh), built in the series' own build directory
	# (incremental), which it leaves with the series built again
	cfg_before=$(mktemp /tmp/pvtrace-kcfg.XXXXXX)
	cp "$KB/build-x86/.config" "$cfg_before" 2>/dev/null
	t0=$(date +%s)
	scripts/kernel-build.sh --base >"$log" 2>&1
	st=$?
	bbz=$(sed -n 's/^BASE_BZIMAGE=//p' "$log")
	grep -E '^\[kernel-build\] (base|bzImage)' "$log" | sed 's/^/# /'
	echo "# kernel-build.sh --base: status $st in $(($(date +%s) - t0)) s"
	warnings=$(grep -E '(warning|error):' "$log" || true)
	# the same configuration but for the Kconfig symbols the series itself adds (v2: the
	# HAVE_KVM_GENERIC_ONE_REG that x86 selects), which the base cannot have
	new_syms=$(git -C "$SRC" diff pvtrace-base..HEAD -- '*Kconfig*' 2>/dev/null |
		sed -n 's/^+\(menu\)\{0,1\}config \([A-Z0-9_]*\).*/\2/p' | sort -u)
	strip_new() { # CONFIG: the lines of the other symbols
		if [ -n "$new_syms" ]; then
			grep -vE "^(# )?CONFIG_($(paste -sd'|' <<<"$new_syms"))[= ]" "$1"
		else
			cat "$1"
		fi
	}
	if [ "$st" -eq 0 ] && [ -s "$bbz" ] && [ -z "$warnings" ] && [ "$bbz" != "$bz" ] &&
		cmp -s <(strip_new "$KB/build-x86/.config") <(strip_new "$KB/build-x86-base/.config"); then
		ok "the series' base kernel built, the same configuration but the series' own symbols" \
			"(${new_syms//$'\n'/ }) ($(du -k "$bbz" | cut -f1) KiB bzImage)"
	else
		notok "the series' base kernel built with the same configuration (status $st)"
		diff <(strip_new "$KB/build-x86/.config") <(strip_new "$KB/build-x86-base/.config") |
			head -n 10 | sed 's/^/# config: /'
		grep -vE '^ +(CC|LD|AR|AS|HOSTCC|GEN)' "$log" | tail -n 10 | sed 's/^/# /'
	fi
	if [ -d "$SRC/.git" ] && [ "$(git -C "$SRC" log --reverse --format=%s pvtrace-base..HEAD 2>/dev/null)" = "$want" ] &&
		[ -z "$(git -C "$SRC" status --porcelain --untracked-files=no 2>/dev/null)" ] &&
		cmp -s "$cfg_before" "$KB/build-x86/.config" &&
		[ -z "$(cd "$SRC" && git diff --name-only pvtrace-base..HEAD |
			grep -E '^(arch/x86|virt|include)/.*\.[ch]$' |
			while read -r f; do [ "$f" -nt "$bz" ] && echo "$f"; done)" ]; then
		ok "after the base: the tree is the series again, build-x86/ its configuration," \
			"its bzImage newer than every x86 source the series touches"
	else
		notok "after the base: the tree is the series again and build-x86/ rebuilt"
		git -C "$SRC" log --oneline -1 2>/dev/null | sed 's/^/# HEAD /'
	fi
fi
if [ "$arch" = arm64 ]; then
	# 5. the same patched tree for arm64, cross-compiled (scripts/kernel-build.sh --arch arm64): the
	# project kernel and the series' selftest for qemu-system-aarch64 (the arm64-patched guest)
	t0=$(date +%s)
	scripts/kernel-build.sh --arch arm64 >"$log" 2>&1
	st=$?
	img=$(sed -n 's/^IMAGE=//p' "$log")
	ast=$(sed -n 's/^SELFTEST=//p' "$log")
	echo "# kernel-build.sh --arch arm64: status $st in $(($(date +%s) - t0)) s"
	warnings=$(grep -E '(warning|error):' "$log" || true)
	if [ "$st" -eq 0 ] && [ -s "$img" ] && [ -z "$warnings" ]; then
		ok "arm64 test kernel built, no compiler warnings ($(du -k "$img" | cut -f1) KiB Image)"
	else
		notok "arm64 test kernel built without warnings (kernel-build.sh --arch arm64 status $st)"
		[ -n "$warnings" ] && sed 's/^/# /' <<<"$warnings"
		grep -vE '^ +(CC|LD|AR|AS|HOSTCC|GEN)' "$log" | tail -n 10 | sed 's/^/# /'
	fi
	if [ "$st" -eq 0 ] && [ -x "$ast" ] && readelf -h "$ast" 2>/dev/null | grep -q 'Machine: *AArch64'; then
		ok "KVM selftest built for aarch64: ${ast#"$KB"/}"
	else
		notok "KVM selftest built for aarch64 (${ast:-none})"
	fi
fi
echo "1..$n"
exit $rc
