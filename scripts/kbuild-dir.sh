#!/usr/bin/env bash
# Prints the kernel build directory: where scripts/kernel-build.sh keeps Debian's source
# (linux-6.12), the test kernel (build-x86), the KVM selftest (selftests) and the cross
# builds (cross), and where the kernel, guest and host suites look for them.
# PVTRACE_KBUILD if set, else ${XDG_CACHE_HOME:-$HOME/.cache}/pvtrace/kbuild. The one place
# this default is made; scripts and tests call this.
set -u
if [ -n "${PVTRACE_KBUILD:-}" ]; then
	echo "$PVTRACE_KBUILD"
	exit 0
fi
home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
echo "${XDG_CACHE_HOME:-$home/.cache}/pvtrace/kbuild"
