#!/usr/bin/env python3
"""Benchmark pvtrace latency --ioctl against no tracer, an empty BPF program on
the same hooks (the floor) and the equivalent bpftrace script, in one run.

Each sample starts every setup once, in an order that rotates from sample to
sample (drift and background load hit all setups alike), and times N ioctls of
each kind (best of ROUNDS). bpf_stats stay on for the whole run: every sample
also gives each tracer's BPF program time per ioctl (run_time_ns / run_cnt of
its programs), the figure that background load disturbs least. A sample whose
tracer programs did not run once per ioctl issued (run_cnt grown by less than
the ioctls issued, for each of its programs) measured a tracer that was not
attached: it is discarded and taken again (--retries). Wall-clock figures
include the bpf_stats overhead, alike for every tracer.

Prints medians with min-max and IQR over samples, the added ns, the ratios the
targets are about, start-to-attached time, max RSS and the load (/proc/loadavg
before and after). --json FILE writes the figures.

Targets: BPF program time per vCPU ioctl, pvtrace <= 0.25x bpftrace and <= 2.5x
the floor; non-KVM ioctls (wall, added) pvtrace <= 1.25x the floor and <= 0.5x
bpftrace; start to attached <= 60 ms; max RSS <= 10 MB.

Exit status: 0 measured (targets met or not, unless --check), 1 a measurement
failed (a tool failed, a tracer did not attach or its samples stayed invalid),
2 usage, 3 --check and a target not met, 130/143 interrupted. Whatever fails,
tracers are stopped and bpf_stats and the tracefs mount are left as found.
"""
import argparse
import ctypes
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PVTRACE = os.path.join(REPO, "pvtrace")
BENCH = os.path.join(REPO, "build/tests/ioctlbench")
FLOOR = os.path.join(REPO, "build/tests/floor")
TRACEFS = "/sys/kernel/tracing"
STATS_SYSCTL = "/proc/sys/kernel/bpf_stats_enabled"

# The same job in bpftrace, written the natural way: keep ioctls whose fd is a
# KVM vCPU file (f_op->unlocked_ioctl == kvm_vcpu_ioctl), histogram per command.
BPFTRACE_SCRIPT = r"""
tracepoint:syscalls:sys_enter_ioctl
{
	$fdt = curtask->files->fdt;
	$f = *($fdt->fd + args->fd);
	if ($f->f_op->unlocked_ioctl == kaddr("kvm_vcpu_ioctl")) {
		@start[tid] = nsecs;
		@cmd[tid] = args->cmd;
	}
}
tracepoint:syscalls:sys_exit_ioctl /@start[tid]/
{
	@lat[@cmd[tid]] = hist(nsecs - @start[tid]);
	delete(@start[tid]);
	delete(@cmd[tid]);
}
"""

# The same with pvtrace's cheap first test (only KVMIO-type commands are looked at).
BPFTRACE_SCRIPT_PREFILTER = BPFTRACE_SCRIPT.replace(
    "tracepoint:syscalls:sys_enter_ioctl\n",
    "tracepoint:syscalls:sys_enter_ioctl /((args->cmd >> 8) & 0xff) == 0xae/\n")


class MeasurementError(Exception):
    """A measurement that cannot be trusted: the run fails (exit status 1)."""


class NotRun(MeasurementError):
    """A sample whose tracer programs did not run for every ioctl: taken again."""


class Disturbed(NotRun):
    """A sample whose programs also ran for many ioctls of other processes: their
    (different) cost is mixed into the per-run figures. Taken again, later."""


class Interrupted(Exception):
    def __init__(self, sig):
        super().__init__("signal %d" % sig)
        self.sig = sig


def on_signal(sig, _frame):
    # raised in the main thread wherever it is; the finally clauses clean up
    raise Interrupted(sig)


def log(msg):
    if os.environ.get("PVTRACE_BENCH_VERBOSE"):
        print("bench: " + msg, file=sys.stderr, flush=True)


def bpftrace_script(text):
    """bpftrace's kaddr() cannot resolve a symbol of a module (kvm.ko on Debian's
    kernels): put the address from /proc/kallsyms in instead, the same constant."""
    with open("/proc/kallsyms") as f:
        for line in f:
            w = line.split()
            if len(w) >= 3 and w[2] == "kvm_vcpu_ioctl" and int(w[0], 16):
                return text.replace('kaddr("kvm_vcpu_ioctl")', "0x" + w[0])
    return text


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:4])


def prog_stats(ids):
    """{prog id: (run_cnt, run_time_ns)} of the programs ids, from bpftool."""
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True)
    if out.returncode:
        raise MeasurementError("bpftool prog show failed: %s" % out.stderr.strip())
    return {p["id"]: (p.get("run_cnt", 0), p.get("run_time_ns", 0))
            for p in json.loads(out.stdout or "[]") if p["id"] in ids}


class BpfStats:
    """bpf_stats on while the run lasts. BPF_ENABLE_STATS gives a reference that
    the kernel drops when the fd closes (even if this process is killed), so the
    sysctl is not touched and others' settings are not disturbed; where that call
    is missing, the sysctl is set and put back as found."""

    def __init__(self):
        self.fd = None
        self.saved = None

    def enable(self):
        with open(STATS_SYSCTL) as f:
            self.before = f.read().strip()
        libc = ctypes.CDLL(None, use_errno=True)
        attr = ctypes.create_string_buffer(8)  # union bpf_attr: enable_stats.type = 0 (RUN_TIME)
        sys_bpf, bpf_enable_stats = 321, 32  # x86_64
        fd = libc.syscall(sys_bpf, bpf_enable_stats, attr, 8) if platform.machine() == "x86_64" else -1
        if fd >= 0:
            self.fd = fd
            self.how = "BPF_ENABLE_STATS"
            return
        log("BPF_ENABLE_STATS: %s; using the sysctl" % os.strerror(ctypes.get_errno()))
        self.saved = self.before
        with open(STATS_SYSCTL, "w") as f:
            f.write("1")
        self.how = "kernel.bpf_stats_enabled"

    def restore(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.saved is not None:
            with open(STATS_SYSCTL, "w") as f:
                f.write(self.saved)
            self.saved = None


def mounted(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


class Tracer:
    """A tracer process: started, waited for until attached, stopped with SIGINT."""

    def __init__(self, name, argv, ready, stream="stderr", attachments=0):
        self.name, self.argv, self.ready, self.stream = name, argv, ready, stream
        # bpftrace prints "Attaching N probes..." before it attaches: then wait until
        # its N perf-event attachments show up in bpftool perf list
        self.attachments = attachments
        self.proc = None
        self.attach_ms = None
        self.maxrss_kb = None

    def start(self):
        log("starting %s" % self.name)
        t0 = time.monotonic_ns()
        out = self.stream == "stdout"
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE if out else subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT if out else subprocess.PIPE,
                                     text=True, bufsize=1)
        LIVE.append(self)
        self.pipe = self.proc.stdout if out else self.proc.stderr
        err = []
        while True:
            line = self.pipe.readline()
            if not line:
                raise MeasurementError("%s exited before attaching: %s" % (self.name, "".join(err)))
            err.append(line)
            if self.ready in line:
                break
        deadline = time.monotonic() + 300
        while self.attachments and len(self.perf_progs()) < self.attachments:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise MeasurementError("%s did not attach: %s" % (self.name, "".join(err)))
            time.sleep(0.005)
        self.attach_ms = (time.monotonic_ns() - t0) / 1e6

    def perf_progs(self):
        """Programs attached through perf events this process holds (bpftrace)."""
        out = subprocess.run(["bpftool", "-j", "perf", "list"], capture_output=True, text=True)
        return {e["prog_id"] for e in json.loads(out.stdout or "[]")
                if e.get("pid") == self.proc.pid and "prog_id" in e}

    def prog_ids(self):
        """This tracer's BPF programs: the program fds it holds (pvtrace, floor),
        and the programs of its perf-event attachments (bpftrace)."""
        ids = set(self.perf_progs())
        fdinfo = "/proc/%d/fdinfo" % self.proc.pid
        for fd in os.listdir(fdinfo):
            try:
                with open(os.path.join(fdinfo, fd)) as f:
                    for line in f:
                        if line.startswith("prog_id:"):
                            ids.add(int(line.split()[1]))
            except OSError:
                pass
        return ids

    def peak_rss_kb(self):
        # VmHWM is the peak of this program's own memory; ru_maxrss would also
        # count the forked Python image before exec
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def stop(self):
        if self.proc is None or self not in LIVE:
            return
        if self.proc.poll() is None:
            self.maxrss_kb = self.peak_rss_kb()
        log("stopping %s (pid %d)" % (self.name, self.proc.pid))
        # SIGINT, as a user would; drain what it prints at exit (bpftrace prints its
        # maps). bpftrace sometimes misses a SIGINT that arrives in its event loop
        # (seen in the 6.12 guest): then SIGTERM, then SIGKILL.
        for sig, wait_s in ((signal.SIGINT, 30), (signal.SIGTERM, 10), (signal.SIGKILL, None)):
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
            try:
                self.proc.communicate(timeout=wait_s)
                break
            except subprocess.TimeoutExpired:
                log("%s still running %d s after signal %d" % (self.name, wait_s, sig))
        LIVE.remove(self)


LIVE = []  # tracers running now: stopped whatever happens


def measure(kind, n, rounds):
    out = subprocess.run([BENCH, kind, str(n), str(rounds)], capture_output=True, text=True,
                         timeout=600)
    if out.returncode:
        raise MeasurementError("ioctlbench %s failed (status %d): %s" %
                               (kind, out.returncode, out.stderr.strip()))
    return float(out.stdout)


def spread(v):
    """min, median, max and the interquartile range of v."""
    if not v:
        return None
    q = statistics.quantiles(v, n=4, method="inclusive") if len(v) > 1 else [v[0]] * 3
    return {"min": min(v), "median": statistics.median(v), "max": max(v),
            "q1": q[0], "q3": q[2], "iqr": q[2] - q[0]}


def fmt_spread(s, width=8):
    if not s:
        return "-"
    return "%*.1f  [%.1f-%.1f, IQR %.1f]" % (width, s["median"], s["min"], s["max"], s["iqr"])


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt_ratio(r):
    return "%.2f" % r if r is not None else "n/a"


def run_sample(name, make, kinds, args, hooks):
    """One sample of one setup: {kind: (wall ns, prog ns or None, extra runs)}, attach ms,
    RSS. Raises MeasurementError when its programs did not run for every ioctl."""
    t = make() if make else None
    try:
        if t:
            t.start()
            ids = t.prog_ids()
            if not ids:
                raise NotRun("%s holds no BPF program" % name)
        res = {}
        for k in kinds:
            before = prog_stats(ids) if t else {}
            wall = measure(k, args.n, args.rounds)
            if not t:
                res[k] = (wall, None, None)
                continue
            after = prog_stats(ids)
            issued = args.n * args.rounds
            want = issued * hooks[k]
            prog_ns, extra = 0.0, 0
            for pid in ids:
                if pid not in after or pid not in before:
                    raise NotRun("%s: program %d went away" % (name, pid))
                cnt = after[pid][0] - before[pid][0]
                ns = after[pid][1] - before[pid][1]
                if cnt < want:
                    raise NotRun(
                        "%s: program %d ran %d times for %d %s ioctls (expected >= %d): not attached"
                        % (name, pid, cnt, issued, k, want))
                if cnt:
                    prog_ns += ns / cnt
                extra = max(extra, cnt - want)
            if want and extra > args.max_extra * want:
                raise Disturbed("%s: %d program runs for others' ioctls beside %d %s ioctls "
                                "(--max-extra sets the limit)" % (name, extra, issued, k))
            res[k] = (wall, prog_ns if hooks[k] else None, extra)
        return res, (t.attach_ms if t else None), t
    finally:
        if t:
            t.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", default="tracepoint", choices=["tracepoint", "kprobe", "fentry"],
                    help="attach mode of pvtrace and the floor (bpftrace: tracepoint only)")
    ap.add_argument("-n", type=int, default=200000, help="ioctls per timing round")
    ap.add_argument("--rounds", type=int, default=5, help="timing rounds per sample (best kept)")
    ap.add_argument("--samples", type=int, default=9, help="interleaved samples per setup")
    ap.add_argument("--retries", type=int, default=3,
                    help="invalid samples retaken at most this often per setup and sample")
    ap.add_argument("--max-extra", type=float, default=0.02, metavar="FRACTION",
                    help="a sample whose programs ran more often than this fraction of the "
                    "ioctls issued for other processes' ioctls is retaken (default 0.02)")
    ap.add_argument("--setups", default="none,floor,pvtrace,bpftrace,bpftrace-pf",
                    help="comma-separated subset of the setups (default: all)")
    ap.add_argument("--pvtrace", metavar="PATH", default=PVTRACE,
                    help="the pvtrace binary to measure (default: this tree's), e.g. another build")
    ap.add_argument("--base", metavar="PATH",
                    help="also measure this pvtrace binary (setup 'base'), interleaved: before/after")
    ap.add_argument("--check", action="store_true", help="exit 3 when a target is not met")
    ap.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    args = ap.parse_args()
    if args.n <= 0 or args.rounds <= 0 or args.samples <= 0 or args.retries < 0:
        ap.error("-n, --rounds and --samples must be positive, --retries not negative")

    for f in [args.pvtrace, BENCH, FLOOR] + ([args.base] if args.base else []):
        if not os.access(f, os.X_OK):
            print("bench: %s is missing: run make bench" % f, file=sys.stderr)
            return 1
    if not shutil.which("bpftool"):
        print("bench: bpftool is missing", file=sys.stderr)
        return 1
    kinds = ["nonkvm"]
    probe = subprocess.run([BENCH, "vcpu", "10", "1"], capture_output=True, text=True)
    if probe.returncode == 0:
        kinds.append("vcpu")
    elif probe.returncode != 3:  # 3: no /dev/kvm or no vCPU here
        print("bench: ioctlbench vcpu failed: %s" % probe.stderr.strip(), file=sys.stderr)
        return 1
    # how often each program of a tracer runs per ioctl of a kind
    hooks = {k: 1 for k in kinds}
    if args.mode != "tracepoint":
        hooks["nonkvm"] = 0  # kvm_vcpu_ioctl hooks: nothing runs, nothing to check
    have_bpftrace = shutil.which("bpftrace") is not None and args.mode == "tracepoint"

    all_setups = {
        "none": None,
        "floor": lambda: Tracer("floor", [FLOOR, args.mode], "Tracing"),
        "pvtrace": lambda: Tracer("pvtrace", [args.pvtrace, "latency", "--ioctl", "--mode",
                                              args.mode], "Tracing"),
    }
    if args.base:
        all_setups["base"] = lambda: Tracer("base", [args.base, "latency", "--ioctl", "--mode",
                                                     args.mode], "Tracing")
    if have_bpftrace:
        all_setups["bpftrace"] = lambda: Tracer("bpftrace", ["bpftrace", "-e",
                                                              bpftrace_script(BPFTRACE_SCRIPT)],
                                                "Attaching", stream="stdout", attachments=2)
        all_setups["bpftrace-pf"] = lambda: Tracer("bpftrace-pf",
                                                   ["bpftrace", "-e",
                                                    bpftrace_script(BPFTRACE_SCRIPT_PREFILTER)],
                                                   "Attaching", stream="stdout", attachments=2)
    wanted = args.setups.split(",") + (["base"] if args.base else [])
    for w in wanted:
        if w not in ("none", "floor", "pvtrace", "base", "bpftrace", "bpftrace-pf"):
            ap.error("unknown setup '%s'" % w)
    setups = {k: v for k, v in all_setups.items() if k in wanted}
    if "none" not in setups or "pvtrace" not in setups:
        ap.error("--setups needs none and pvtrace")

    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, on_signal)
    stats = BpfStats()
    we_mounted = False
    load_before = loadavg()
    samples = {s: {k: {"wall": [], "prog": []} for k in kinds} for s in setups}
    extra = {s: 0 for s in setups}
    attach = {s: [] for s in setups}
    rss = {s: [] for s in setups}
    discarded = {s: 0 for s in setups}
    loads = []
    try:
        # floor and bpftrace find tracepoints through tracefs (pvtrace mounts its own)
        if args.mode == "tracepoint" and not mounted(TRACEFS):
            subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], check=True)
            we_mounted = True
        stats.enable()
        names = list(setups)
        for i in range(args.samples):
            # rotate the order: every setup runs early and late in a sample alike
            order = names[i % len(names):] + names[:i % len(names)]
            for name in order:
                for attempt in range(args.retries + 1):
                    try:
                        r, ms, t = run_sample(name, setups[name], kinds, args, hooks)
                        break
                    except NotRun as e:
                        if attempt == args.retries:
                            raise
                        discarded[name] += 1
                        print("bench: sample %d of %s discarded: %s" % (i + 1, name, e),
                              file=sys.stderr, flush=True)
                        if isinstance(e, Disturbed):
                            time.sleep(2)  # let the other process's burst pass
                for k in kinds:
                    samples[name][k]["wall"].append(r[k][0])
                    if r[k][1] is not None:
                        samples[name][k]["prog"].append(r[k][1])
                    extra[name] = max(extra[name], r[k][2] or 0)
                if t:
                    attach[name].append(ms)
                    if t.maxrss_kb:
                        rss[name].append(t.maxrss_kb)
            loads.append(loadavg())
            log("sample %d done, load %s" % (i + 1, loads[-1]))
    except MeasurementError as e:
        print("bench: measurement failed: %s" % e, file=sys.stderr)
        return 1
    except Interrupted as e:
        print("bench: interrupted (signal %d), cleaned up" % e.sig, file=sys.stderr)
        return 128 + e.sig
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for t in list(LIVE):
            t.stop()
        stats.restore()
        if we_mounted:
            subprocess.run(["umount", TRACEFS])
    load_after = loadavg()
    return report(args, kinds, setups, samples, extra, attach, rss, discarded, hooks,
                  have_bpftrace, stats.how, load_before, load_after, loads)


def report(args, kinds, setups, samples, extra, attach, rss, discarded, hooks, have_bpftrace,
           stats_how, load_before, load_after, loads):
    res = {"schema": "pvtrace.bench.latency/2", "kernel": platform.release(),
           "mode": args.mode, "n": args.n, "rounds": args.rounds, "samples": args.samples,
           "cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": load_after,
           "loadavg_per_sample": loads, "bpf_stats": stats_how,
           "wall_ns": {}, "added_ns": {}, "prog_ns": {}, "ratios": {}, "attach_ms": {},
           "max_rss_kb": {}, "discarded_samples": discarded, "extra_runs_max": extra,
           "targets": {}}
    print("pvtrace latency benchmark, mode %s, kernel %s, CPUs: %d" %
          (args.mode, platform.release(), os.cpu_count()))
    print("pvtrace: %s%s" % (os.path.realpath(args.pvtrace),
                             "; base: %s" % os.path.realpath(args.base) if args.base else ""))
    print("%d interleaved samples of %d x %d ioctls per setup; bpf_stats on (%s) throughout"
          % (args.samples, args.rounds, args.n, stats_how))
    print("load (1/5/15 min, runnable/total): before %s, after %s; max 1-min load in a sample %s"
          % (load_before, load_after, max(float(x.split()[0]) for x in loads)))
    print("discarded samples (programs did not run per ioctl, or ran > %g x as often for "
          "other processes): %s" % (args.max_extra,
          ", ".join("%s %d" % kv for kv in discarded.items() if kv[1]) or "none"))
    print("figures: median [min-max, IQR] over samples")
    for k in kinds:
        w = {s: spread(samples[s][k]["wall"]) for s in setups}
        p = {s: spread(samples[s][k]["prog"]) for s in setups}
        none = samples["none"][k]["wall"]
        # added ns per sample: against the same sample's no-tracer figure
        a = {s: spread([x - y for x, y in zip(samples[s][k]["wall"], none)])
             for s in setups if s != "none"}
        res["wall_ns"][k] = w
        res["added_ns"][k] = a
        res["prog_ns"][k] = {s: v for s, v in p.items() if v}
        print("\n%s ioctls (%s):" % (k, "FIONREAD on a pipe" if k == "nonkvm" else "KVM_GET_MP_STATE"))
        print("  %-12s %-38s %-38s %s" % ("setup", "wall ns/ioctl", "added ns", "BPF program ns/ioctl"))
        for s in setups:
            print("  %-12s %-38s %-38s %s" % (s, fmt_spread(w[s]), fmt_spread(a.get(s)),
                                              fmt_spread(p[s]) if p[s] else "-"))
        rk = res["ratios"].setdefault(k, {})
        for base in ([] if not hooks[k] else ("floor", "bpftrace", "bpftrace-pf", "base")):
            if base not in setups:
                continue
            for what, src in (("prog", p), ("added", a)):
                if not src.get("pvtrace") or not src.get(base):
                    continue
                r = ratio(src["pvtrace"]["median"], src[base]["median"])
                # per sample: the two setups ran next to each other
                key = "prog" if what == "prog" else None
                if key:
                    per = [x / y for x, y in zip(samples["pvtrace"][k]["prog"],
                                                 samples[base][k]["prog"]) if y]
                else:
                    per = [(x - z) / (y - z) for x, y, z in zip(samples["pvtrace"][k]["wall"],
                                                                samples[base][k]["wall"], none)
                           if y - z > 0]
                rk["%s_pvtrace_over_%s" % (what, base)] = {
                    "of_medians": r, "per_sample": spread(per)}
        lines = []
        for key, v in rk.items():
            ps = v["per_sample"]
            lines.append("  %-34s %s  (per sample %s)" % (
                key, fmt_ratio(v["of_medians"]),
                "%.2f-%.2f, median %.2f" % (ps["min"], ps["max"], ps["median"]) if ps else "n/a"))
        if lines:
            print("  ratios (of medians):")
            print("\n".join(lines))
        if not hooks[k]:
            print("  (mode %s: no program runs for these ioctls)" % args.mode)
    print("\nmax extra program runs in a sample (others' ioctls on the same hooks): %s" %
          ", ".join("%s %d" % (s, extra[s]) for s in setups if s != "none"))
    print("\nstart to attached (median ms) and max RSS (KB):")
    for s in setups:
        if s == "none":
            continue
        res["attach_ms"][s] = statistics.median(attach[s])
        res["max_rss_kb"][s] = max(rss[s]) if rss[s] else None
        print("  %-12s %8.1f ms  %8s KB" % (s, res["attach_ms"][s], res["max_rss_kb"][s]))
    t = res["targets"]
    rt = res["ratios"]
    if args.mode != "fentry":  # fentry needs the whole kernel BTF: more time and memory
        t["attach_ms_le_60"] = res["attach_ms"]["pvtrace"] <= 60
        t["max_rss_le_10MB"] = (res["max_rss_kb"]["pvtrace"] or 0) <= 10 * 1024
    if "vcpu" in kinds:
        v = rt["vcpu"]
        if "prog_pvtrace_over_floor" in v:
            t["vcpu_prog_over_floor_le_2.5"] = v["prog_pvtrace_over_floor"]["of_medians"] <= 2.5
        if "prog_pvtrace_over_bpftrace" in v:
            t["vcpu_prog_over_bpftrace_le_0.25"] = \
                v["prog_pvtrace_over_bpftrace"]["of_medians"] <= 0.25
    if args.mode == "tracepoint":
        v = rt["nonkvm"]
        if "added_pvtrace_over_floor" in v:
            t["nonkvm_added_over_floor_le_1.25"] = v["added_pvtrace_over_floor"]["of_medians"] <= 1.25
        if "added_pvtrace_over_bpftrace" in v:
            t["nonkvm_added_over_bpftrace_le_0.5"] = \
                v["added_pvtrace_over_bpftrace"]["of_medians"] <= 0.5
    if "vcpu" not in kinds:
        print("  (no /dev/kvm here: vCPU ioctls measured only in the qemu guest)")
    print("\ntargets: " + ", ".join("%s %s" % (k, "met" if v else "NOT met") for k, v in t.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return 3 if args.check and not all(t.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
