#!/usr/bin/env bash
# Boot a kernel under qemu (TCG, -cpu max) and run one command inside it, with the host root
# shared read-only over 9p. The command's exit status becomes ours.
#
#   scripts/guest.sh [options] -- COMMAND [ARGS...]
#   scripts/guest.sh fetch [--kernel K]
#
# Options: --arch x86|arm64  --kernel stock|stock-6.1|PATH  --modules DIR  --vfio  --smp N
#          --mem SIZE  --timeout SEC  --append STR  --rw DIR (repeatable)  --with-qemu  --verbose
# --arch arm64: qemu-system-aarch64 -M virt,virtualization=on (EL2 emulated: /dev/kvm works inside)
#   with Debian's arm64 kernel (stock) or an Image (PATH); arm64 binaries in the host root run
#   (multiarch libraries), and an arm64 busybox comes first in PATH: COMMAND is an arm64 program
#   or a POSIX sh script. --with-qemu (arm64): Debian's arm64 qemu-system-aarch64 too, for KVM
#   guests inside (its libraries: scripts/deps.sh --cross arm64).
# Exit status: the command's, or 124 timeout, 125 guest/boot failure, 2 usage or missing packages.
# Cache: ${PVTRACE_CACHE:-<repo>/.cache}/guest. PVTRACE_GUEST_TIMING=1 prints timings to stderr.
# Host variables PVTRACE_* and CI are passed to the command (plus TERM, PVTRACE_GUEST=1, ...).
# Debugging: PVTRACE_GUEST_TCG=multi (see the note at qargs), PVTRACE_GUEST_MONITOR=SOCK (qemu monitor),
# PVTRACE_GUEST_KEEP=1 (keep the run directory).
set -euo pipefail
shopt -s inherit_errexit

GUEST_DEB_PACKAGES="qemu-system-x86 qemu-system-data busybox-static cpio xz-utils kmod util-linux coreutils"
# and for --arch arm64 (busybox-static:arm64 is fetched into the cache, not installed)
GUEST_ARM64_PACKAGES="qemu-system-arm"
# and for --arch arm64 --with-qemu: the shared libraries (readelf -d NEEDED, all Multi-Arch:
# same) of qemu-system-arm:arm64's qemu-system-aarch64, which is fetched into the cache
# (it cannot be installed beside the amd64 one); scripts/deps.sh installs these
GUEST_ARM64_QEMU_LIBS="libaio1:arm64 libcapstone4:arm64 libfdt1:arm64 libfuse3-3:arm64 libglib2.0-0:arm64 libgmp10:arm64 libgnutls30:arm64 libhogweed6:arm64 libibverbs1:arm64 libjpeg62-turbo:arm64 libnettle8:arm64 libnuma1:arm64 libpixman-1-0:arm64 libpmem1:arm64 libpng16-16:arm64 librdmacm1:arm64 libsasl2-2:arm64 libseccomp2:arm64 libslirp0:arm64 libudev1:arm64 liburing2:arm64 libvdeplug2:arm64 libzstd1:arm64 libbpf1:arm64 libgcc-s1:arm64"

# Bumped when the initramfs layout changes (invalidates cached initramfs images).
INITRD_FORMAT=2
QEMU=qemu-system-x86_64

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(dirname "$SELF_DIR")
CACHE=${PVTRACE_CACHE:-$REPO_DIR/.cache}/guest

err() { echo "guest.sh: $*" >&2; }
usage_fail() {
	err "$*"
	err "usage: guest.sh [--arch A] [--kernel K] [--modules DIR] [--vfio] [--smp N] [--mem SIZE] [--timeout SEC] [--append STR] [--rw DIR]... [--with-qemu] [--verbose] -- COMMAND [ARGS...] | guest.sh fetch [--kernel K]"
	exit 2
}

check_packages() {
	local have missing=() p re pkgs=$GUEST_DEB_PACKAGES native
	[ "$ARCH" != arm64 ] || pkgs="$pkgs $GUEST_ARM64_PACKAGES"
	((WITH_QEMU == 0)) || pkgs="$pkgs $GUEST_ARM64_QEMU_LIBS"
	native=$(dpkg --print-architecture)
	# shellcheck disable=SC2086 # word splitting of the package list is intended
	have=$(dpkg-query -W -f='${Package}:${Architecture} ${db:Status-Status}\n' $pkgs 2>/dev/null || true)
	for p in $pkgs; do
		# a name without :ARCH is the native (or an all) package
		re=$p
		[[ $p == *:* ]] || re="$p:($native|all)"
		grep -qxE "$re installed" <<<"$have" || missing+=("$p")
	done
	if ((${#missing[@]})); then
		err "missing Debian packages: ${missing[*]} (scripts/deps.sh --cross arm64, or apt-get install ${missing[*]})"
		exit 2
	fi
}

# --- kernel packages -------------------------------------------------------------------------

# Name of the versioned image package a Debian meta package currently points to.
resolve_pkg() { # META REGEX
	apt-cache show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Depends: //p' | head -n 1 |
		tr ',' '\n' | awk '{print $1}' | grep -E "$2" | head -n 1 || true
}

# Download and extract PKG into $CACHE/PKG/root (idempotent, safe to run concurrently);
# APTNAME (default PKG) is what apt-get downloads, e.g. busybox-static:arm64; KEEP, if given,
# the only files kept (paths under root/, e.g. usr/bin/qemu-system-aarch64).
fetch_pkg() { # PKG [APTNAME [KEEP...]]
	local pkg=$1 apt=${2:-$1} dir=$CACHE/$1
	shift $(($# < 2 ? $# : 2))
	[ -e "$dir/.ok" ] && return 0
	mkdir -p "$CACHE"
	(
		flock 9
		[ -e "$dir/.ok" ] && exit 0
		rm -rf "$dir" && mkdir -p "$dir/dl" || exit 125
		err "fetching $pkg"
		(cd "$dir/dl" && apt-get download -q -o APT::Sandbox::User=root "$apt" >/dev/null) ||
			{ err "apt-get download $apt failed (run apt-get update; for :arm64, scripts/deps.sh --cross arm64)"; exit 125; }
		dpkg -x "$dir"/dl/*.deb "$dir/root" || { err "dpkg -x failed for $pkg"; exit 125; }
		if (($#)); then
			mkdir "$dir/keep"
			for f in "$@"; do
				{ mkdir -p "$dir/keep/${f%/*}" && mv "$dir/root/$f" "$dir/keep/$f"; } ||
					{ err "$pkg has no $f"; exit 125; }
			done
			rm -rf "$dir/root" && mv "$dir/keep" "$dir/root"
		fi
		rm -rf "$dir/dl" && touch "$dir/.ok"
	) 9>"$CACHE/.lock-$pkg"
}

# modules.dep for the package's tree, so modprobe works inside the guest (~10 s, once).
depmod_pkg() { # PKG MODDIR
	[ -e "$2/modules.dep" ] && return 0
	(
		flock 9
		[ -e "$2/modules.dep" ] || depmod -b "$CACHE/$1/root" "${2##*/}" ||
			err "warning: depmod failed for $1 (modprobe inside the guest will not work)"
	) 9>"$CACHE/.lock-$1"
}

# Sets KPKG for a stock flavour: the current candidate, else the newest cached one.
stock_pkg() { # stock|stock-6.1
	local meta re
	case $ARCH:$1 in
	x86:stock) meta=linux-image-6.12-amd64 re='^linux-image-6\.12\.[0-9.]+\+deb[0-9]+-amd64$' ;;
	x86:stock-6.1) meta=linux-image-amd64 re='^linux-image-6\.1\.0-[0-9]+-amd64$' ;;
	arm64:stock) meta=linux-image-6.12-arm64:arm64 re='^linux-image-6\.12\.[0-9.]+\+deb[0-9]+-arm64$' ;;
	arm64:stock-6.1) meta=linux-image-arm64:arm64 re='^linux-image-6\.1\.0-[0-9]+-arm64$' ;;
	esac
	# apt-cache takes ~1 s here: remember the answer until apt's lists change.
	local memo=$CACHE/resolved-$1
	[ "$ARCH" = x86 ] || memo=$CACHE/resolved-$ARCH-$1
	KPKG=""
	if [ -s "$memo" ] && [ -z "$(find /var/lib/apt/lists -maxdepth 1 -newer "$memo" -print -quit 2>/dev/null)" ]; then
		KPKG=$(cat "$memo")
	fi
	if [ -z "$KPKG" ]; then
		KPKG=$(resolve_pkg "$meta" "$re")
		[ -z "$KPKG" ] || { mkdir -p "$CACHE" && echo "$KPKG" >"$memo.$$" && mv -f "$memo.$$" "$memo"; }
	fi
	if [ -z "$KPKG" ]; then
		KPKG=$(find "$CACHE" -maxdepth 2 -name .ok -printf '%h\n' 2>/dev/null | sed 's|.*/||' |
			grep -E "$re" | sort -V | tail -n 1 || true)
		[ -n "$KPKG" ] || { err "cannot resolve $meta (run apt-get update)"; exit 2; }
		err "apt does not know $meta; using cached $KPKG"
	fi
}

# Sets VMLINUZ, MODDIR, KSTOCK, KID, KROOT from $KERNEL (fetching a stock package when needed).
select_kernel() {
	case $KERNEL in
	stock | stock-6.1)
		stock_pkg "$KERNEL"
		if [ "$ARCH" = x86 ]; then fetch_pkg "$KPKG"; else fetch_pkg "$KPKG" "$KPKG:$ARCH"; fi
		local root=$CACHE/$KPKG/root d
		VMLINUZ=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n 1)
		MODDIR=""
		for d in "$root"/lib/modules/* "$root"/usr/lib/modules/*; do [ -d "$d" ] && MODDIR=$d; done
		if [ -z "$VMLINUZ" ] || [ -z "$MODDIR" ]; then err "bad package contents in $root"; exit 125; fi
		depmod_pkg "$KPKG" "$MODDIR"
		KROOT=$root
		[ -z "$MODULES" ] || MODDIR=$MODULES
		KSTOCK=1
		KID=$KPKG
		;;
	*)
		[ -f "$KERNEL" ] || usage_fail "--kernel: no such file: $KERNEL"
		VMLINUZ=$(realpath "$KERNEL")
		MODDIR=$MODULES
		KROOT=""
		KSTOCK=0
		KID=custom-$(stat -c '%s-%Y' "$VMLINUZ")
		;;
	esac
}

# --- initramfs -------------------------------------------------------------------------------

declare -A MODFILE=() MODDONE=()
MODLIST=()

index_modules() {
	local f b
	while IFS= read -r -d '' f; do
		b=${f##*/}
		b=${b%%.ko*}
		MODFILE[${b//-/_}]=$f
	done < <(find "$MODDIR" \( -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz' \) -print0)
}

is_builtin() {
	local n=${1//_/[-_]}
	[ -f "$MODDIR/modules.builtin" ] && grep -qE "/${n}\.ko\$" "$MODDIR/modules.builtin"
}

# Depth-first: dependencies first, each module once.
add_module() { # NAME
	local n=${1//-/_} d
	[ -n "${MODDONE[$n]:-}" ] && return 0
	MODDONE[$n]=1
	if [ -z "${MODFILE[$n]:-}" ]; then
		if ((KSTOCK)) && ! is_builtin "$n"; then err "warning: module $n not found in $MODDIR"; fi
		return 0
	fi
	for d in $(modinfo -F depends "${MODFILE[$n]}" | tr ',' ' '); do add_module "$d"; done
	MODLIST+=("$n")
}

# Prints the path of the cached base initramfs (busybox, /init, modules), building it if needed.
base_initrd() {
	# The first group is needed to mount the host root; the rest loads in the background meanwhile.
	local first=(virtio_pci 9pnet_virtio 9p) wanted=(kvm_amd) key out stage n nfirst list i f
	local busybox=/bin/busybox
	((VFIO)) && wanted+=(vfio vfio_iommu_type1 vfio_pci)
	if [ "$ARCH" = arm64 ]; then
		wanted=() # KVM is built in
		fetch_pkg busybox-static-arm64 busybox-static:arm64
		busybox=$CACHE/busybox-static-arm64/root/bin/busybox
		# bash (for bats), jq, bpftool and setpriv, arm64 builds that the guest puts in front of the host's
		# x86 ones (their libraries are multiarch-installed: scripts/deps.sh)
		fetch_pkg bash-arm64 bash:arm64
		fetch_pkg jq-arm64 jq:arm64
		fetch_pkg bpftool-arm64 bpftool:arm64
		fetch_pkg util-linux-arm64 util-linux:arm64
	fi
	# qemu-system-aarch64 alone (23 MB of the package's 43; an 8 MB download), which /init links
	# into PATH when it is in the cache; not part of the initramfs
	((WITH_QEMU == 0)) || fetch_pkg qemu-system-arm-arm64 qemu-system-arm:arm64 \
		usr/bin/qemu-system-aarch64 usr/share/doc/qemu-system-arm/copyright
	key=$({
		echo "$INITRD_FORMAT $ARCH $KID ${first[*]} ${wanted[*]}"
		cat "$SELF_DIR/guest-init.sh"
		stat -c '%s %Y' "$busybox"
		[ -z "$MODDIR" ] || find "$MODDIR" -name '*.ko*' -printf '%p %s %T@\n' | sort
	} | sha256sum | cut -c1-16)
	out=$CACHE/initrd/$KID-$key.cpio
	if [ ! -e "$out" ]; then
		mkdir -p "$CACHE/initrd"
		stage=$(mktemp -d "$CACHE/initrd/stage.XXXXXX")
		mkdir -p "$stage"/{bin,dev,proc,sys,newroot,lib/modules,tmp}
		cp "$busybox" "$stage/bin/busybox"
		# the applet list of the host's busybox (the same Debian version; arm64's cannot run here)
		for n in $(/bin/busybox --list); do
			[ "$n" = busybox ] || ln -s busybox "$stage/bin/$n"
		done
		[ "$(id -u)" != 0 ] || mknod -m 600 "$stage/dev/console" c 5 1
		install -m 755 "$SELF_DIR/guest-init.sh" "$stage/init"
		if [ -n "$MODDIR" ]; then
			index_modules
			for n in "${first[@]}"; do add_module "$n"; done
			nfirst=${#MODLIST[@]}
			for n in "${wanted[@]}"; do add_module "$n"; done
			for i in "${!MODLIST[@]}"; do
				n=${MODLIST[$i]}
				f=${MODFILE[$n]}
				case $f in
				*.xz) xz -dc "$f" ;;
				*.zst) zstd -qdc "$f" ;;
				*.gz) gzip -dc "$f" ;;
				*) cat "$f" ;;
				esac >"$stage/lib/modules/$n.ko"
				list=order
				((i < nfirst)) || list=order.bg
				echo "$n $n.ko" >>"$stage/lib/modules/$list"
			done
		fi
		(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$stage.cpio"
		mv -f "$stage.cpio" "$out"
		rm -rf "$stage"
		# Drop leftovers of interrupted builds and images unused for two weeks.
		find "$CACHE/initrd" -maxdepth 1 -name 'stage.*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
		find "$CACHE/initrd" -maxdepth 1 -name '*.cpio' -atime +14 -delete 2>/dev/null || true
	fi
	echo "$out"
}

# Single-quote a word for a POSIX shell.
shq() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }

# --- argument parsing ------------------------------------------------------------------------

need_val() { [ $# -ge 2 ] || usage_fail "$1 needs a value"; }

# Sets SUB, KERNEL, MODULES, VFIO, SMP, MEM, TIMEOUT, APPEND, VERBOSE, RWREAL, CMD.
parse_args() {
	local rw=() d
	KERNEL=stock MODULES="" VFIO=0 SMP=2 MEM=2G TIMEOUT=900 APPEND="" VERBOSE=0 SUB=run ARCH=x86
	WITH_QEMU=0
	if [ "${1:-}" = fetch ]; then
		SUB=fetch
		shift
	fi
	while [ $# -gt 0 ]; do
		case $1 in
		--) shift; break ;;
		--*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}"; continue ;;
		--arch) need_val "$@"; ARCH=$2; shift 2 ;;
		--kernel) need_val "$@"; KERNEL=$2; shift 2 ;;
		--modules) need_val "$@"; MODULES=$2; shift 2 ;;
		--vfio) VFIO=1; shift ;;
		--with-qemu) WITH_QEMU=1; shift ;;
		--smp) need_val "$@"; SMP=$2; shift 2 ;;
		--mem) need_val "$@"; MEM=$2; shift 2 ;;
		--timeout) need_val "$@"; TIMEOUT=$2; shift 2 ;;
		--append) need_val "$@"; APPEND="$APPEND $2"; shift 2 ;;
		--rw) need_val "$@"; rw+=("$2"); shift 2 ;;
		--verbose | -v) VERBOSE=1; shift ;;
		-h | --help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
		-*) usage_fail "unknown option: $1" ;;
		*) break ;;
		esac
	done
	CMD=("$@")
	case $ARCH in
	x86 | x86_64) ARCH=x86 QEMU=qemu-system-x86_64 ;;
	arm64 | aarch64) ARCH=arm64 QEMU=qemu-system-aarch64 ;;
	*) usage_fail "--arch: x86 or arm64, not $ARCH" ;;
	esac
	[ "$ARCH" = x86 ] || ((VFIO == 0)) || usage_fail "--vfio: x86 only (an emulated intel-iommu and edu device)"
	[ "$ARCH" = arm64 ] || ((WITH_QEMU == 0)) || usage_fail "--with-qemu: arm64 only (x86 guests run the host's QEMU)"
	[[ $SMP =~ ^[1-9][0-9]*$ ]] || usage_fail "--smp: not a positive integer: $SMP"
	[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || usage_fail "--timeout: not a positive integer: $TIMEOUT"
	[[ $MEM =~ ^[1-9][0-9]*[MGmg]?$ ]] || usage_fail "--mem: expected e.g. 2G or 1536M: $MEM"
	if [ -n "$MODULES" ]; then
		[ -d "$MODULES" ] || usage_fail "--modules: not a directory: $MODULES"
		MODULES=$(realpath "$MODULES")
	fi
	case $KERNEL in stock | stock-6.1) ;; *) KERNEL=$(realpath -m "$KERNEL") ;; esac
	if [ "$SUB" = fetch ]; then
		[ ${#CMD[@]} -eq 0 ] || usage_fail "fetch takes no command"
	else
		[ ${#CMD[@]} -gt 0 ] || usage_fail "no command given (use -- COMMAND [ARGS...])"
	fi
	RWREAL=()
	for d in "${rw[@]}"; do
		[ -d "$d" ] || usage_fail "--rw: not a directory: $d"
		d=$(realpath "$d")
		case $d in / | /proc | /proc/* | /sys | /sys/* | /dev | /dev/*) usage_fail "--rw: refusing $d" ;; esac
		RWREAL+=("$d")
	done
	# Parents before children, no duplicates.
	if ((${#RWREAL[@]})); then
		mapfile -t RWREAL < <(for d in "${RWREAL[@]}"; do printf '%d\t%s\n' "${#d}" "$d"; done |
			sort -n -s | cut -f2- | awk '!seen[$0]++')
	fi
}

# --- running qemu ----------------------------------------------------------------------------

QPID="" RUN=""
# shellcheck disable=SC2317 # reached through traps
stop_qemu() {
	if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
		kill -TERM "$QPID" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$QPID" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$QPID" 2>/dev/null || true
		wait "$QPID" 2>/dev/null || true
	fi
	QPID=""
}
# shellcheck disable=SC2317
cleanup() {
	stop_qemu
	if [ -n "$RUN" ] && [ -n "${PVTRACE_GUEST_KEEP:-}" ]; then
		err "kept $RUN (console control lines in ctl, qemu stderr in qemu.err)"
	elif [ -n "$RUN" ]; then
		rm -rf "$RUN"
	fi
}
# shellcheck disable=SC2317
on_signal() {
	trap - EXIT INT TERM HUP
	cleanup
	err "interrupted by SIG$1, guest stopped"
	case $1 in INT) exit 130 ;; HUP) exit 129 ;; *) exit 143 ;; esac
}

# Writes the per-run initramfs (base + /guest/config + /guest/cmd) to $RUN/initrd.
make_run_initrd() {
	local i v
	mkdir -p "$RUN/stage/guest"
	{
		echo "G_VERBOSE=$VERBOSE"
		echo "G_ARCH=$ARCH"
		echo "G_TOOLS=$(shq "$CACHE")"
		echo "G_MSIZE=512000"
		echo "G_CWD=$(shq "$(pwd -P)")"
		echo "G_TERM=$(shq "${TERM:-dumb}")"
		echo "G_KROOT=$(shq "$KROOT")"
		echo "G_NRW=${#RWREAL[@]}"
		for i in "${!RWREAL[@]}"; do echo "G_RW_$i=$(shq "${RWREAL[$i]}")"; done
	} >"$RUN/stage/guest/config"
	{
		printf 'set --'
		while IFS= read -r -d '' v; do
			case $v in PVTRACE_GUEST=* | PVTRACE_GUEST_KERNEL=* | PVTRACE_GUEST_MODROOT=*) continue ;; esac
			printf ' %s' "$(shq "$v")"
		done < <(env -0 | grep -zE '^(PVTRACE_[A-Za-z0-9_]*|CI)=' || true)
		# env(1) would take a first word containing '=' for an assignment.
		case ${CMD[0]} in *=*) printf " /bin/sh -c 'exec \"\$@\"' sh" ;; esac
		for v in "${CMD[@]}"; do printf ' %s' "$(shq "$v")"; done
		echo
	} >"$RUN/stage/guest/cmd"
	(cd "$RUN/stage" && find guest | cpio -o -H newc -R 0:0 --quiet) >"$RUN/run.cpio"
	cat "$BASE" "$RUN/run.cpio" >"$RUN/initrd"
}

# Last value of a control line "KEY VALUE" written by the guest's /init on ttyS1.
ctlv() { sed -n "s/^$1 //p" "$RUN/ctl" 2>/dev/null | tr -d '\r' | tail -n 1; }

run_guest() {
	local cmdline qargs i rc=0 t0 t1 status stage fail what
	RUN=$(mktemp -d "${TMPDIR:-/tmp}/pvtrace-guest.XXXXXX")
	trap cleanup EXIT
	trap 'on_signal INT' INT
	trap 'on_signal TERM' TERM
	trap 'on_signal HUP' HUP
	make_run_initrd

	cmdline="console=ttyS0 panic=-1"
	[ "$ARCH" = x86 ] || cmdline="console=ttyAMA0 panic=-1"
	if ((VERBOSE)); then cmdline+=" loglevel=7"; else cmdline+=" quiet loglevel=2"; fi
	# Multi-threaded TCG (qemu 7.2) occasionally runs stale code after the kernel's text_poke_bp()
	# (seen as "Oops: int3" in sched_clock_cpu during boot, about 1 boot in 25), so default to
	# one host thread for all vCPUs.
	# shellcheck disable=SC2054 # commas belong to qemu option values
	if [ "$ARCH" = x86 ]; then
		qargs=(-name "pvtrace-guest-$$" -accel "tcg,thread=${PVTRACE_GUEST_TCG:-single}" -cpu max
			-smp "$SMP" -m "$MEM" -nographic -nodefaults -no-reboot -bios qboot.rom
			-serial stdio -serial "file:$RUN/ctl"
			-device isa-debug-exit,iobase=0xf4,iosize=0x04)
	else
		# EL2 emulated, so KVM runs inside; pointer authentication with QEMU's own cheap
		# algorithm (the architected one is very slow under TCG); the control lines on a
		# virtio console (the board has one UART), the status through them alone
		qargs=(-name "pvtrace-guest-$$" -accel "tcg,thread=${PVTRACE_GUEST_TCG:-single}"
			-M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on
			-smp "$SMP" -m "$MEM" -nographic -nodefaults -no-reboot -serial stdio
			-device virtio-serial-pci -chardev "file,id=ctl,path=$RUN/ctl"
			-device virtconsole,chardev=ctl)
	fi
	if ((VFIO)); then
		qargs+=(-machine q35 -device intel-iommu -device edu)
		cmdline+=" intel_iommu=on"
	fi
	qargs+=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap")
	for i in "${!RWREAL[@]}"; do
		qargs+=(-virtfs "local,path=${RWREAL[$i]//,/,,},mount_tag=rw$i,security_model=none,multidevs=remap")
	done
	qargs+=(-kernel "$VMLINUZ" -initrd "$RUN/initrd" -append "$cmdline$APPEND")
	# Debugging a hung guest: a qemu monitor socket (e.g. `info registers -a`).
	[ -z "${PVTRACE_GUEST_MONITOR:-}" ] || qargs+=(-monitor "unix:$PVTRACE_GUEST_MONITOR,server=on,wait=off")
	((VERBOSE)) && err "$QEMU ${qargs[*]}"

	t0=$EPOCHREALTIME
	# pdeathsig: qemu dies with us even if we are SIGKILLed.
	setpriv --pdeathsig KILL timeout -k 10 "$TIMEOUT" \
		setpriv --pdeathsig KILL "$QEMU" "${qargs[@]}" </dev/null 2>"$RUN/qemu.err" &
	QPID=$!
	wait "$QPID" || rc=$?
	QPID=""
	t1=$EPOCHREALTIME

	((VERBOSE)) && [ -s "$RUN/qemu.err" ] && sed 's/^/qemu: /' "$RUN/qemu.err" >&2
	status=$(ctlv status)
	stage=$(sed -n 's/^\([a-z]*\) .*/\1/p' "$RUN/ctl" 2>/dev/null | tail -n 1)
	if [ "${PVTRACE_GUEST_TIMING:-0}" = 1 ] || ((VERBOSE)); then
		awk -v s="$T_START" -v t0="$t0" -v t1="$t1" -v i="$(ctlv init)" -v c="$(ctlv cmd)" -v e="$(ctlv end)" 'BEGIN {
			printf "guest.sh: timing: total %.2fs (qemu %.2fs)", t1 - s, t1 - t0
			if (c != "") printf "; guest uptime at /init %.2fs, at command %.2fs", i, c
			if (e != "") printf "; command %.2fs; overhead (total - command) %.2fs", e - c, (t1 - s) - (e - c)
			printf "\n" }' >&2
	fi

	if [[ $status =~ ^[0-9]+$ ]]; then
		# The debug-exit byte should agree (qemu exits with (byte<<1)|1, truncated to 8 bits).
		if [ $((rc & 1)) = 1 ] && [ $((rc >> 1)) != $((status & 127)) ]; then
			err "warning: status $status from the control channel but qemu exit code $rc"
		fi
		return "$status"
	fi
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		case $stage in
		cmd) what="while the command was running" ;;
		"") what="before the guest reached /init" ;;
		*) what="during guest setup (last stage: $stage)" ;;
		esac
		err "timeout: killed the guest after ${TIMEOUT}s $what"
		return 124
	fi
	fail=$(ctlv fail)
	# e.g. "terminating on signal 15 from pid N" when something else killed qemu.
	what=$(tail -n 1 "$RUN/qemu.err" 2>/dev/null || true)
	[ -z "$what" ] || what="; qemu: $what"
	if [ -n "$fail" ]; then
		err "guest setup failed: $fail"
	elif [ -z "$stage" ] && [ "$rc" != 0 ] && [ -s "$RUN/qemu.err" ]; then
		err "qemu failed (exit $rc): $(head -n 1 "$RUN/qemu.err")"
	elif [ -z "$stage" ]; then
		err "guest did not reach /init (kernel panic or reboot? qemu exit $rc$what; rerun with --verbose)"
	else
		err "guest stopped before the command finished (kernel panic or reboot? last stage: $stage, qemu exit $rc$what; rerun with --verbose)"
	fi
	return 125
}

main() {
	T_START=$EPOCHREALTIME
	parse_args "$@"
	check_packages
	select_kernel
	if [ "$SUB" = fetch ]; then
		echo "$VMLINUZ"
		return 0
	fi
	BASE=$(base_initrd)
	run_guest
}

# One line, so that bash has read the whole file before running (safe against edits meanwhile).
main "$@"; exit $?
