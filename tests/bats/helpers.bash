# Shared helpers for pvtrace's BATS suites.
# shellcheck disable=SC2034 # PV_RC, NE_URL, ...: set here for the tests that load this file
# PVTRACE: the binary (default ./pvtrace); KVMLOAD: the test workload; CANATTACH: whether
# an empty BPF program attaches to a function (fentry|kprobe FUNC), asked of the kernel;
# PVTRACE_MODE: attach mode to force (fentry|kprobe|tracepoint), empty for auto.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# on arm64 (the qemu-system-aarch64 guests), what `make ARCH=arm64 tests` cross-built
case $(uname -m) in
aarch64) BUILD=$REPO/build-arm64 PVTRACE=${PVTRACE:-$REPO/build-arm64/pvtrace} ;;
*) BUILD=$REPO/build PVTRACE=${PVTRACE:-$REPO/pvtrace} ;;
esac
KVMLOAD=${KVMLOAD:-$BUILD/tests/kvmload}
CANATTACH=${CANATTACH:-$BUILD/tests/canattach}
# The vCPU ioctls the tests issue, by architecture: OP_A and OP_B read state, OP_C is a
# third command, OP_SETUP what the workload's vCPU setup issues before the ops, ALL_OPS every
# op the workload has there (kvmload --op arguments).
case $(uname -m) in
aarch64)
	OP_A=GET_ONE_REG OP_B=GET_MP_STATE OP_C=GET_VCPU_EVENTS OP_SETUP=SET_ONE_REG
	ALL_OPS="--op GET_ONE_REG=300 --op SET_ONE_REG=120 --op GET_REG_LIST=30
		 --op GET_VCPU_EVENTS=13 --op GET_MP_STATE=17 --op RUN=25 --op 0x0000aeff=9"
	;;
*)
	OP_A=GET_REGS OP_B=GET_SREGS OP_C=SET_MSRS OP_SETUP=SET_SREGS
	ALL_OPS="--op GET_REGS=300 --op SET_REGS=120 --op GET_SREGS=70 --op SET_SREGS=30
		 --op GET_MSRS=50 --op SET_MSRS=20 --op GET_FPU=11 --op GET_VCPU_EVENTS=13
		 --op GET_MP_STATE=17 --op GET_ONE_REG=40 --op SET_ONE_REG=10 --op RUN=25
		 --op 0x0000aeff=9"
	;;
esac
# our BPF program names (as bpftool shows them, up to 15 characters)
PVTRACE_PROGS='(fentry_vcpu_ioc|fexit_vcpu_ioct|kprobe_vcpu_ioc|kretprobe_vcpu_|fentry_vhost_|fexit_vhost_|kprobe_vhost_|kretprobe_vhost|fexit_vring_ioc|fentry_vdpa_cb|fentry_eventfd_|kretprobe_vring|kprobe_vring_io|kprobe_vdpa_cb|kprobe_eventfd_|tp_enter_ioctl|tp_exit_ioctl|btf_kvm_|raw_kvm_|tp_kvm_|pvtrace_probe)'

# have_tool NAME: installed and runnable here (an arm64 guest shares the x86 host root, where
# x86 programs without an arm64 build staged by scripts/guest.sh cannot run)
have_tool() {
	command -v "$1" >/dev/null || return 1
	"$1" --version >/dev/null 2>&1
	[ $? -ne 126 ]
}

mode_args() {
	if [ -n "${PVTRACE_MODE:-}" ]; then
		echo "--mode $PVTRACE_MODE"
	fi
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root for BPF"
}

need_kvm() {
	if [ ! -c /dev/kvm ]; then
		skip "no /dev/kvm on this kernel ($(uname -r)); these checks run in the qemu guest (scripts/guest-tests.sh)"
	fi
}

# start_pvtrace ARGS...: start in the background, wait until it has attached.
start_pvtrace() {
	PV_OUT=$BATS_TEST_TMPDIR/pv.out
	PV_ERR=$BATS_TEST_TMPDIR/pv.err
	# shellcheck disable=SC2046
	"$PVTRACE" "$@" >"$PV_OUT" 2>"$PV_ERR" &
	PV_PID=$!
	for _ in $(seq 1 600); do
		if grep -q '^Tracing' "$PV_ERR" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$PV_PID" 2>/dev/null; then
			echo "pvtrace exited before attaching:" >&2
			cat "$PV_ERR" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "pvtrace did not attach in 60 s" >&2
	cat "$PV_ERR" >&2
	kill -9 "$PV_PID"
	return 1
}

# reap_pvtrace: for teardown: a pvtrace a failed test left running is killed and reaped,
# so that it neither outlives the test nor disturbs the next one's counts.
reap_pvtrace() {
	if [ -n "${PV_PID:-}" ] && kill -0 "$PV_PID" 2>/dev/null; then
		kill -KILL "$PV_PID" 2>/dev/null
		wait "$PV_PID" 2>/dev/null
	fi
	return 0
}

# stop_pvtrace [SIGNAL]: signal it and wait; sets PV_RC.
stop_pvtrace() {
	kill -"${1:-INT}" "$PV_PID"
	PV_RC=0
	wait "$PV_PID" || PV_RC=$?
}

# issued FILE NAME [VCPU]: what kvmload issued for NAME (all vCPUs unless given).
issued() {
	awk -v n="$2" -v v="${3:-}" '$1 == n && (v == "" || $2 == v) { s += $3 } END { print s + 0 }' "$1"
}

# traced JSON NAME [VCPU]: pvtrace's count for NAME from its last JSON document.
traced() {
	tail -n 1 "$1" | jq --arg n "$2" --arg v "${3:-}" \
		'[.ioctls[] | select(.command == $n and ($v == "" or (.vcpu | tostring) == $v)) | .histogram.count] | add // 0'
}

# bpf_show VAR prog|map|link: bpftool's JSON list into VAR; when bpftool fails, a line
# saying so on stdout and status 1 (callers test for empty output: a failure must not look
# like "nothing loaded")
bpf_show() {
	local -n _v=$1
	_v=$(bpftool -j "$2" show 2>&1) || { echo "bpftool $2 show failed: $_v"; return 1; }
}

# our_bpf_objects: prints any pvtrace BPF program, link or map still loaded.
our_bpf_objects() {
	local progs maps links links2 ids lids
	# links before and after the programs: a link in both lived while the programs were
	# listed, so its program was loaded then (other processes come and go meanwhile)
	bpf_show links link || return
	bpf_show progs prog || return
	bpf_show maps map || return
	bpf_show links2 link || return
	jq -r '.[] | select(.name != null) | "prog \(.id) \(.name)"' <<<"$progs" |
		grep -E "^prog [0-9]+ $PVTRACE_PROGS" || true
	jq -r '.[] | select(.name != null) | "map \(.id) \(.name)"' <<<"$maps" |
		grep -E '^map [0-9]+ (hists|starts|state|spill|addrs|procs|threads|overflow|vqstats|vqinfo|k2c|callctx|ioctl_args|latency_\.|exits_bp\.|vhost_bp\.)' || true
	ids=$(jq -r '.[] | .id' <<<"$progs" | tr '\n' ' ')
	lids=$(jq -r '.[] | .id' <<<"$links2" | tr '\n' ' ')
	jq -r '.[] | "link \(.id) prog \(.prog_id)"' <<<"$links" |
		while read -r _ lid _ pid; do
			case " $lids " in *" $lid "*) ;; *) continue ;; esac
			case " $ids " in *" $pid "*) ;; *) echo "link $lid of unloaded prog $pid" ;; esac
		done
}

# our_bpf_objects_settled: our_bpf_objects once the kernel has freed what a process that
# just exited held. The last close of a BPF map frees it from a workqueue, after an RCU
# grace period (task storage: RCU tasks trace), so its id can stay listed briefly; what is
# still there after 5 s is really left behind.
our_bpf_objects_settled() {
	local left
	for _ in $(seq 1 50); do
		left=$(our_bpf_objects) || return
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "$left"
}

# start_node_exporter DIR: Debian's node_exporter on a free loopback port, collecting the
# textfiles in DIR; sets NE_PID, NE_URL, NE_LOG (the caller's teardown kills NE_PID).
NODE_EXPORTER=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
start_node_exporter() {
	if [ ! -x "$NODE_EXPORTER" ]; then
		if [ -n "${CI:-}" ]; then
			echo "CI: $NODE_EXPORTER missing (scripts/deps.sh installs it)" >&2
			return 1
		fi
		skip "prometheus-node-exporter not installed"
	fi
	# a guest may come up with loopback down
	ip link set lo up 2>/dev/null || true
	NE_LOG=$BATS_TEST_TMPDIR/ne.log
	local port
	for port in $(seq 19100 19150); do
		"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
			--collector.textfile --collector.textfile.directory="$1" >"$NE_LOG" 2>&1 &
		NE_PID=$!
		for _ in $(seq 1 100); do
			if curl -sf "http://127.0.0.1:$port/metrics" >/dev/null; then
				NE_URL=http://127.0.0.1:$port/metrics
				return 0
			fi
			kill -0 "$NE_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$NE_PID" 2>/dev/null || true
	done
	echo "node_exporter did not start" >&2
	cat "$NE_LOG" >&2
	return 1
}

# node_exporter_errors: its log lines at warning or error level (running as root aside)
node_exporter_errors() {
	grep -iE 'level=(error|warn)' "$NE_LOG" | grep -v 'running as root' || true
}

# in_mntns [--tracefs] CMD...: run CMD in a mount namespace of its own, so that nothing
# mounted or unmounted there reaches the host (or other tests running at the same time),
# with tracefs (and debugfs) unmounted, or with --tracefs, tracefs mounted. Its mounts are
# made shared among themselves, so a program that mounted something in a namespace copied
# from it without making that private would be seen here, as on a systemd host.
in_mntns() {
	local want=unmounted
	if [ "${1:-}" = --tracefs ]; then
		want=mounted
		shift
	fi
	# shellcheck disable=SC2016 # the script's $0 and $@ are its own
	unshare -m --propagation private bash -c '
		mount --make-rshared / || exit 97
		for d in /sys/kernel/debug/tracing /sys/kernel/tracing /sys/kernel/debug; do
			while mountpoint -q "$d"; do umount -l "$d" || exit 98; done
		done
		if [ "$0" = mounted ]; then
			mount -t tracefs nodev /sys/kernel/tracing || exit 99
		fi
		exec "$@"' "$want" "$@"
}

# bpf_ids_of PID: "prog N" / "map N" for every BPF program and map PID holds open (from
# /proc/PID/fdinfo), so that a test can tell its own objects from those of other runs.
bpf_ids_of() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null |
		awk '$1 == "prog_id:" { print "prog " $2 } $1 == "map_id:" { print "map " $2 }' | sort -u
}

# bpf_ids_left IDS: those of IDS (bpf_ids_of output) that are still loaded.
bpf_ids_left() {
	local loaded progs maps
	bpf_show progs prog || return
	bpf_show maps map || return
	loaded=$( (jq -r '.[] | "prog \(.id)"' <<<"$progs"
		jq -r '.[] | "map \(.id)"' <<<"$maps") | sort -u)
	comm -12 <(sort -u <<<"$1") <(echo "$loaded")
}
