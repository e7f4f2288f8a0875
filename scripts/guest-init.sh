#!/bin/sh
# /init of the initramfs built by scripts/guest.sh (runs under busybox ash as PID 1).
# Reads /guest/config and /guest/cmd, chroots into the host root (9p) and runs the command.
# Control lines go to /dev/ttyS1 (x86) or /dev/hvc0 (arm64), a file on the host; on x86 the exit
# status also goes to isa-debug-exit.
PATH=/bin
export PATH
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# what udev would add: process substitution needs /dev/fd
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
exec </dev/null >/dev/console 2>&1

# the console and the control channel: x86's two UARTs, or arm64 virt's PL011 and a virtio console
CON=/dev/ttyS0
CTL=/dev/ttyS1
[ ! -c /dev/ttyAMA0 ] || CON=/dev/ttyAMA0
[ ! -c /dev/hvc0 ] || CTL=/dev/hvc0
up() { read -r u _ </proc/uptime; echo "$u"; }
ctl() { [ -c "$CTL" ] && echo "$*" >"$CTL"; }
say() { [ "$G_VERBOSE" = 1 ] && echo "guest: $*"; }

# Leave qemu: debug-exit byte (qemu exits with (byte<<1)|1), else power off.
leave() {
	sync
	# stty applies settings with TCSADRAIN: the command's last output leaves the UART first.
	stty -F "$CON" -opost 2>/dev/null
	# shellcheck disable=SC2059 # the format is the octal escape itself
	[ ! -c /dev/port ] ||
		printf "\\$(printf %03o "$(($1 & 255))")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	poweroff -f
	while :; do sleep 60; done
}
die() {
	echo "guest: $*" >&2
	ctl "fail $*"
	leave 125
}

stty -F "$CTL" raw -echo 2>/dev/null
ctl "init $(up)"
[ -r /guest/config ] || die "missing /guest/config"
G_VERBOSE=0
# shellcheck disable=SC1091
. /guest/config
# Raw output on the console: no \n -> \r\n translation.
stty -F "$CON" -opost cols 200 rows 50 2>/dev/null

load_modules() { # LIST
	while read -r name file; do
		say "insmod $name"
		if ! out=$(insmod "/lib/modules/$file" 2>&1); then
			echo "guest: cannot load module $name: $out" >&2
			case $name in
			kvm*) dmesg | grep -iE 'kvm|svm|ccp' | tail -n 3 >&2 ;;
			esac
		fi
	done <"$1"
}
[ ! -r /lib/modules/order ] || load_modules /lib/modules/order
bg=""
if [ -r /lib/modules/order.bg ]; then
	load_modules /lib/modules/order.bg &
	bg=$!
fi

R=/newroot
# shellcheck disable=SC2154 # G_* come from /guest/config
mount -t 9p -o "trans=virtio,version=9p2000.L,msize=$G_MSIZE,cache=loose,ro" hostroot "$R" ||
	die "cannot mount the host root over 9p"
mount -o bind /proc "$R/proc" || die "cannot bind /proc"
mount -o bind /sys "$R/sys" || die "cannot bind /sys"
mount -o bind /dev "$R/dev" || die "cannot bind /dev"
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts"
mount -t tmpfs -o mode=1777 shm "$R/dev/shm"
mount -t tracefs tracefs "$R/sys/kernel/tracing" || echo "guest: cannot mount tracefs" >&2
mount -t debugfs debugfs "$R/sys/kernel/debug" || echo "guest: cannot mount debugfs" >&2
mount -t bpf bpf "$R/sys/fs/bpf" || echo "guest: cannot mount bpffs" >&2
mount -t cgroup2 cgroup2 "$R/sys/fs/cgroup" 2>/dev/null
# Keep a view of the host's /tmp, /run, /var/tmp before hiding them under fresh tmpfs.
for d in tmp run var/tmp; do
	[ -d "$R/$d" ] || continue
	mkdir -p "/host/$d" && mount -o bind "$R/$d" "/host/$d"
done
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp" || die "cannot mount /tmp"
[ -d "$R/run" ] && mount -t tmpfs -o mode=755 tmpfs "$R/run"
[ -d "$R/var/tmp" ] && mount -t tmpfs -o mode=1777 tmpfs "$R/var/tmp"
# Make host directory $1 visible (read-only) at its own path if a tmpfs hides it.
expose() {
	[ -d "$R$1" ] && return 0
	case $1 in /tmp/* | /run/* | /var/tmp/*) ;; *) return 1 ;; esac
	[ -d "/host$1" ] && mkdir -p "$R$1" && mount -o bind "/host$1" "$R$1"
}

# The working directory first: exposing a path below it first would create its parents in
# the tmpfs and hide it.
expose "$G_CWD" || die "working directory $G_CWD is not visible in the guest"

# A stock kernel's package tree (on the host) provides /boot and /lib/modules matching the guest kernel
# (/lib/modules only if the host has that directory; else `modprobe -d "$PVTRACE_GUEST_MODROOT"`).
if [ -n "$G_KROOT" ] && expose "$G_KROOT" && [ -d "$R$G_KROOT/boot" ]; then
	mount -o bind "$R$G_KROOT/boot" "$R/boot"
	m=$R/lib/modules
	[ -L "$R/lib" ] && m=$R/usr/lib/modules
	[ -d "$m" ] && mount -o bind "$R$G_KROOT/lib/modules" "$m"
fi

i=0
d=""
while [ "$i" -lt "$G_NRW" ]; do
	eval "d=\$G_RW_$i"
	mkdir -p "$R$d" 2>/dev/null
	mount -t 9p -o "trans=virtio,version=9p2000.L,msize=$G_MSIZE,cache=mmap" "rw$i" "$R$d" ||
		die "cannot mount --rw $d"
	i=$((i + 1))
done

[ -z "$bg" ] || wait "$bg"
ctl "modules $(up)"

kr=$(uname -r)
P=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# shellcheck disable=SC1091
. /guest/cmd
if [ "${G_ARCH:-x86}" = x86 ]; then
	[ -x "$R/usr/bin/env" ] || die "no /usr/bin/env in the host root"
	ctl "cmd $(up)"
	say "running: $*"
	chroot "$R" /usr/bin/env -i -C "$G_CWD" PATH="$P" \
		HOME=/tmp TERM="$G_TERM" LANG=C.UTF-8 PVTRACE_GUEST=1 PVTRACE_GUEST_KERNEL="$kr" \
		${G_KROOT:+PVTRACE_GUEST_MODROOT="$G_KROOT"} "$@"
	st=$?
else
	# The host root's programs are x86: this guest's own busybox goes first in PATH, on the
	# guest's /run (a tmpfs), and runs the command from the working directory.
	B=/run/guest-bin
	{ mkdir -p "$R$B" && cp /bin/busybox "$R$B/busybox"; } || die "cannot stage busybox in $B"
	for a in /bin/*; do
		[ "${a##*/}" = busybox ] || ln -s busybox "$R$B/${a##*/}"
	done
	# arm64 bash, jq, bpftool, setpriv and (guest.sh --with-qemu) qemu-system-aarch64 from the
	# cache (scripts/guest.sh fetched them)
	for t in bash-arm64/root/bin/bash jq-arm64/root/usr/bin/jq \
		bpftool-arm64/root/usr/sbin/bpftool util-linux-arm64/root/usr/bin/setpriv \
		qemu-system-arm-arm64/root/usr/bin/qemu-system-aarch64; do
		[ -x "$R$G_TOOLS/$t" ] && ln -sf "$G_TOOLS/$t" "$R$B/${t##*/}"
	done
	# Interpreters named by #! lines are host paths: the arm64 ones are bound over them.
	for f in usr/bin/env:$B/busybox usr/bin/dash:$B/busybox \
		usr/bin/bash:$G_TOOLS/bash-arm64/root/bin/bash; do
		[ -e "$R/${f%%:*}" ] && [ -e "$R${f#*:}" ] && mount -o bind "$R${f#*:}" "$R/${f%%:*}"
	done
	ctl "cmd $(up)"
	say "running: $*"
	chroot "$R" "$B/env" -i PATH="$B:$P" \
		HOME=/tmp TERM="$G_TERM" LANG=C.UTF-8 PVTRACE_GUEST=1 PVTRACE_GUEST_KERNEL="$kr" \
		${G_KROOT:+PVTRACE_GUEST_MODROOT="$G_KROOT"} \
		"$B/sh" -c "cd \"\$0\" && exec $B/env \"\$@\"" "$G_CWD" "$@"
	st=$?
fi
ctl "status $st"
ctl "end $(up)"
leave "$st"
