#!/usr/bin/env bash
# CLI fuzz driver for tests/bats/cli.bats (it can also be run by hand):
#   cli_fuzz.sh PVTRACE SEED PER_OPTION FIXTURES LOG
# For every command, the options its --help lists are found and each gets PER_OPTION values
# (edge values first, then random ones from bash's RANDOM seeded with SEED: a failure is
# reproduced by running again with the same seed), sometimes with other options, repeated
# options or INTERVAL/COUNT. Invocations that could run (start tracing) get -d 1ms so they end.
# Each one runs under timeout; a failure is one line in LOG: "KIND rc=N: pvtrace ARGS" with
# the arguments shell-quoted (%q), and the first stderr line. The last line of stdout is
# "invocations N failures N".
# Checked: no hang (timeout), no death by signal, exit status 0, 1 or 2, exit 2 with exactly
# one line on stderr, exit 1 with a reason on stderr, no sanitizer report.
# shellcheck disable=SC2034,SC2054 # *_edges: read through a nameref (value), commas are data
set -u
PV=$(realpath "$1") SEED=$2 PER=$3 FX=$(realpath "$4") LOG=$(realpath "$5")
RANDOM=$SEED
: >"$LOG"
n=0 bad=0
TIMEOUT=${PVTRACE_FUZZ_TIMEOUT:-5}
ERR=$FX/stderr.$$
# relative paths (--prom 123 as root) land in a scratch directory, not in the caller's
mkdir -p "$FX/cwd" && cd "$FX/cwd" || exit 1
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS=halt_on_error=1:exitcode=87:print_stacktrace=1

long_a=$(printf '%*s' 100000 '' | tr ' ' a)
long_9=$(printf '%*s' 5000 '' | tr ' ' 9)
long_path=$FX/$(printf '%*s' 300 '' | tr ' ' d)/$(printf '%*s' 300 '' | tr ' ' e)

# random string of 1..$1 bytes from 1..255 (no NUL: argv cannot hold one)
rand_bytes() {
	local k=$((RANDOM % $1 + 1)) s='' b
	while [ "$k" -gt 0 ]; do
		printf -v b '\\x%02x' $((RANDOM % 255 + 1))
		# shellcheck disable=SC2059 # the format is the \xNN escape just made
		printf -v b "$b"
		s+=$b
		k=$((k - 1))
	done
	R=$s
}

common_edges=('' ' ' '-' '--' '-1' '0' $'\xff' $'\xc3' $'\xff\xfe\xfd' $'a\nb' $'\t' '%s%s%n%x'
	"$long_a" '../../../../etc/passwd' '=' '--help' '-V')
num_edges=(1 2 5 15 16 20 4096 4097 2147483646 2147483647 2147483648 4294967295 4294967296
	18446744073709551615 18446744073709551616 99999999999999999999999999 "$long_9" '+1' ' 1'
	'1 ' '0x10' '010' '1e3' '1.5' '-0' '1k' 'abc')
dur_edges=(1ns 1us 1ms 2ms 0s 0ms 0ns 1 18446744073709551615ns 5124095h 876000h 876001h
	3153600000s 3153600001s 52560001m 1q '1 s' -5s 5S 1sec 1hm 0.5s 1e9ns "${long_9}ns")
enum_edges=(ns us ms NS s fentry kprobe tracepoint auto Tracepoint trace ksym runqueue procfs
	kcore bpf ksymx 'fentry ' ' fentry')
str_edges=(a abcdefghijklmno abcdefghijklmnop abcdefghijklmnopq kvm_vcpu_ioctl pv_steal_clock
	native_sched_clock XENPV X86_BUG_SPECTRE_V1 0000:01:00.0 'CPU 0/KVM' $'qemu\xff'
	"$(printf '%*s' 63 '' | tr ' ' x)" "$(printf '%*s' 64 '' | tr ' ' x)"
	"$(printf '%*s' 121 '' | tr ' ' x)" 'a/b' 'jiffies+1:4' '_stext:16' 'nosuchsym+99999:99999'
	'x+:' ':' '+' 'a+1+2:3:4' 6.12.0 6.1.0-28-amd64 "$(uname -r)" guest=vm1,debug-threads=on)
list_edges=(1,2 1,2,3 2,1 0,0 0,40 1,40,2 -1,5 1, , ,, 1,2,3,4 1,,2 18446744073709551615,1
	1,18446744073709551616 64,1 1ns,1s 1,41 3,30,1 3,30,0 3,30,4 40,40 'a,b' ' 1,2')
path_edges=(/nonexistent /nonexistent/dir/x.prom "$FX/dir" "$FX/dir/" "$FX/fifo" "$FX/link"
	"$FX/dangling" "$FX/noperm" "$FX/file" "$FX/dir/new.prom" /dev/null /dev/full /dev/zero
	/proc/self/mem /proc/kallsyms /sys/kernel/btf/vmlinux /bin/ls "$long_path"
	"$FX/$(printf '%*s' 256 '' | tr ' ' n)" "$FX/dir/$(printf '%*s' 250 '' | tr ' ' m).prom" / .)

units=(ns us ms s m h)

kind_of() { # ARG name from --help -> value kind
	case $1 in
	PID | N | R | COUNT | INTERVAL) echo num ;;
	TIME) echo dur ;;
	UNIT | MODE | HOW) echo enum ;;
	FILE | PATH | DIR) echo path ;;
	*,*) echo list ;;
	*) echo str ;;
	esac
}

# value I (0-based) of a kind: even I an edge value (the edges of its kind and the common
# ones, from an offset that depends on the seed: other seeds, other edges), odd I a random
# one
value() { # KIND I
	local -n edges=${1}_edges
	local ne=${#edges[@]} nc=${#common_edges[@]} i=$2 e
	if [ $((i % 2)) = 0 ]; then
		e=$(((i / 2 + SEED) % (ne + nc)))
		if [ "$e" -lt "$ne" ]; then V=${edges[$e]}; else V=${common_edges[$((e - ne))]}; fi
		return
	fi
	case $((RANDOM % 4)) in
	0)
		case $1 in
		num) V=$((RANDOM * RANDOM - 16384)) ;;
		dur) V=$((RANDOM % 3000))${units[$((RANDOM % 6))]} ;;
		*) rand_bytes 8 && V=${edges[$((RANDOM % ne))]}$R ;;
		esac
		;;
	1) V=$((RANDOM % 5))$((RANDOM))$((RANDOM))$((RANDOM)) ;; # long numbers, some over 2^64
	2) rand_bytes 24 && V=$R ;;
	3) V=${edges[$((RANDOM % ne))]}${common_edges[$((RANDOM % nc))]} ;;
	esac
}

verbose_args() {
	local a
	for a; do
		case $a in -v | --verbose) return 0 ;; esac
	done
	return 1
}

check() { # ARGS...: one invocation (no process but timeout and pvtrace: hundreds per command)
	local rc lines first kind='' L
	n=$((n + 1))
	timeout -k 2 "$TIMEOUT" "$PV" "$@" >/dev/null 2>"$ERR" </dev/null
	rc=$?
	mapfile -t L <"$ERR"
	lines=${#L[@]} first=${L[0]:-}
	if [[ "${L[*]}" == *AddressSanitizer* || "${L[*]}" == *LeakSanitizer* ||
		"${L[*]}" == *"runtime error:"* ]]; then
		kind=SANITIZER
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		kind=HANG
	elif [ "$rc" -ge 128 ]; then
		kind=SIGNAL
	elif [ "$rc" -gt 2 ]; then
		kind=STATUS
	elif [ "$rc" -eq 2 ] && [ "$lines" -ne 1 ] && ! verbose_args "$@"; then
		kind=LINES # (-v adds libbpf's own lines before the error)
	elif [ "$rc" -eq 1 ] && [ "$lines" -lt 1 ]; then
		kind=SILENT
	fi
	if [ -n "$kind" ]; then
		bad=$((bad + 1))
		{
			printf '%s rc=%d lines=%d: pvtrace' "$kind" "$rc" "$lines"
			printf ' %q' "$@"
			printf '\n    stderr: %q\n' "${first:0:300}"
		} >>"$LOG"
	fi
}

# the commands, each with the arguments that select it (PVTRACE_FUZZ_COMMANDS: a|b|c)
# (latency --sched-clock and vfio --events share the parser and checks of latency
# --steal-clock and vfio: the flags are fuzzed there, in combinations)
commands=('latency --ioctl' 'latency --steal-clock' 'hooks' 'hooks --watch' 'hooks --steal'
	'vfio' 'patches' 'patches --watch' 'bench regs')
if [ -n "${PVTRACE_FUZZ_COMMANDS:-}" ]; then
	IFS='|' read -ra commands <<<"$PVTRACE_FUZZ_COMMANDS"
fi

for cmd in "${commands[@]}"; do
	read -ra base <<<"$cmd"
	# options from --help: "  -p, --pid PID   ..." / "      --json   ..."
	help=$("$PV" "${base[@]}" --help)
	mapfile -t opts < <(sed -nE 's/^ +(-[A-Za-z0-9], )?(--[a-z][a-z0-9-]*)( [A-Z][^ ]*)? .*/\2\3/p' <<<"$help")
	if [ "${#opts[@]}" -lt 3 ] || [ "${#opts[@]}" -ne "$(grep -cE '^ +(-[A-Za-z0-9], )?--[a-z]' <<<"$help")" ]; then
		echo "HELP: cannot read the options of $cmd from its --help" >>"$LOG"
		bad=$((bad + 1))
		continue
	fi
	runs=0 # takes -d: can run until stopped
	grep -q -- '--duration TIME' <<<"$help" && runs=1
	case $cmd in hooks | patches) runs=0 ;; esac
	intervals=0
	grep -q 'INTERVAL \[COUNT\]' <<<"$help" && intervals=1
	[ "$intervals" = 1 ] && opts+=(POSITIONAL)
	for o in "${opts[@]}"; do
		name=${o%% *} arg=${o#* }
		[ "$arg" = "$o" ] && arg=
		case $name in --help | --version) continue ;; esac
		kind=flag
		[ -n "$arg" ] && kind=$(kind_of "$arg")
		[ "$o" = POSITIONAL ] && kind=num
		# every run, whatever the seed: the values that most often break one-line errors
		if [ "$kind" != flag ] && [ "$o" != POSITIONAL ]; then
			for V in '' $'a\nb' $'/nonexistent\n/x' $'\xff\xfe' "$long_a"; do
				args=("${base[@]}" "$name" "$V")
				[ "$runs" = 1 ] && args+=(-d 1ms)
				check "${args[@]}"
			done
		fi
		for ((i = 0; i < PER; i++)); do
			args=("${base[@]}")
			if [ "$kind" = flag ]; then
				args+=("$name")
				# a flag: combined with random other options and values
				extra=${opts[$((RANDOM % ${#opts[@]}))]}
				en=${extra%% *} ea=${extra#* }
				[ "$ea" = "$extra" ] && ea=
				case $en in --help | --version | POSITIONAL) ;; *)
					args+=("$en")
					if [ -n "$ea" ]; then value "$(kind_of "$ea")" $((RANDOM % 40)); args+=("$V"); fi
					;;
				esac
			elif [ "$o" = POSITIONAL ]; then
				value num "$i"
				args+=("$V")
				[ $((RANDOM % 2)) = 0 ] && { value num $((RANDOM % 40)); args+=("$V"); }
				[ $((RANDOM % 8)) = 0 ] && args+=(1)
			else
				value "$kind" "$i"
				case $((RANDOM % 6)) in
				0) args+=("$name=$V") ;;       # --opt=value
				1) args+=("$name" "$V" "$name" "$V") ;; # repeated
				*) args+=("$name" "$V") ;;
				esac
			fi
			[ $((RANDOM % 10)) = 0 ] && args+=(--json)
			if [ "$runs" = 1 ] || [[ " ${args[*]} " == *" --watch "* ]] ||
				[[ " ${args[*]} " == *" --steal "* ]]; then
				args+=(-d 1ms)
			fi
			check "${args[@]}"
		done
	done
done
# the top level
check
for a in --help -h help --version -V nosuchcommand $'\xff' "$long_a" -- -x ''; do
	check "$a"
	check "$a" --help
done
rm -f "$ERR"
echo "invocations $n failures $bad"
