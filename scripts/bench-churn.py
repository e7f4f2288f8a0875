#!/usr/bin/python3
"""Series that come and go: pvtrace latency --ioctl --per-vcpu under sustained
VM churn, exported through a real node_exporter.

A fixed set of long-lived VMs (vmident, 2 vCPUs each) keeps issuing
KVM_GET_REGS in paced rounds while one or two driver processes fork thousands
of short-lived VMs (2 vCPUs, a few ioctls each) at a fixed rate. pvtrace writes
a Prometheus textfile every second (--prom ... --prom-keep 1, plus a --json
stream); Debian's prometheus-node-exporter collects the directory and is
scraped every second.

Every --print-every seconds it prints: churn VMs started, textfile bytes and
lines, series used, exited series removed, the time pvtrace takes for one
report, node_exporter's scrape duration (client side and its own textfile
collector duration), dropped events by reason, pvtrace's RSS and CPU.

Time of one report (strace --seccomp-bpf -T, only clock_nanosleep, fsync,
linkat and renameat stop, so the tracing itself adds ~4 stops per report):
pvtrace's report loop sleeps in clock_nanosleep until the interval boundary;
"report" is from the end of that sleep to the end of the renameat that puts the
new textfile in place (maps read, processes checked, JSON printed, textfile
rendered, written, fsync'ed, linked and renamed); "fsync" and "link+rename" are
the parts of it after the data was written; "reap" is from the renameat to the
next sleep (exited series deleted from the maps, new processes looked at).

At the end: the long-lived VMs' counts in the final textfile, in the last
node_exporter scrape and summed over the JSON stream against what they issued
(must be exact); every short-lived VM's count summed over the JSON stream
(one last report before removal must carry all its ioctls); the largest
textfile and series count (must stay bounded); pvtrace's VmHWM at start and
end. Exit status 1 when an invariant breaks (counts not exact, all ioctls over
the JSON stream not equal to all issued, textfile not bounded or not back to the
long-lived series after the churn, dropped events other than series_overflow,
series_overflow while the map was not full, node_exporter scrape or log errors,
pvtrace's exit status not 0), 2 on a setup error. A benchmark, not a CI test
(not in scripts/run-tests.sh): timings are noisy on a shared machine.

Only the benchmark's own VM processes are traced (their process name is
pvbench-vm, pvtrace --comm), so other users of /dev/kvm do not disturb the counts.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PVTRACE = os.path.join(REPO, "pvtrace")
VMIDENT = os.path.join(REPO, "build/tests/vmident")
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
COMM = "pvbench-vm"  # every VM process of the benchmark: pvtrace --comm keeps only them
METRIC = "pvtrace_kvm_vcpu_ioctl_duration_seconds"
VCPUS = 2

LABEL_RE = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')
STRACE_RE = re.compile(r"^(\d+)\s+(\d+\.\d+) (\w+)\((.*)\) += (\S+).*<(\d+\.\d+)>$")


def die(msg):
    print("bench-churn: " + msg, file=sys.stderr, flush=True)
    sys.exit(2)


def unescape(v):
    return v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def parse_prom(text):
    """[(name, {label: value}, value)] of a Prometheus text exposition."""
    out = []
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        brace = line.find("{")
        if brace >= 0:
            end = line.rfind("}")
            name = line[:brace]
            labels = {k: unescape(v) for k, v in LABEL_RE.findall(line[brace + 1:end])}
            value = line[end + 1:].split()[0]
        else:
            name, value = line.split()[:2]
            labels = {}
        out.append((name, labels, float(value)))
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid, field):
    """VmHWM / VmRSS in kB, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def proc_cpu_s(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            w = f.read().rsplit(")", 1)[1].split()
        return (int(w[11]) + int(w[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def child_of(ppid, timeout=5.0):
    """The pid of ppid's child (pvtrace under strace)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    w = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(w[1]) == ppid:
                return int(d)
        time.sleep(0.05)
    return None


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def fmt(v, spec=".1f"):
    return "-" if v is None else format(v, spec)


def read_issued(path):
    """vmident's lines: {(pid, vm, vcpu): GET_REGS issued}."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) == 8 and w[0] == "pid" and w[6] == "GET_REGS":
                    out[(int(w[1]), int(w[3]), int(w[5]))] = int(w[7])
    except OSError:
        pass
    return out


class Sampler(threading.Thread):
    """Every second: scrape node_exporter and look at the textfile."""

    def __init__(self, port, textfile, pv_pid):
        super().__init__(daemon=True)
        self.port, self.textfile, self.pv_pid = port, textfile, pv_pid
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.samples = []  # dicts, one per second
        self.scrape_errors = []

    def scrape(self):
        """(client seconds, parsed samples) or raises."""
        t0 = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/metrics")
            resp = conn.getresponse()
            body = resp.read().decode("utf-8")
            if resp.status != 200:
                raise RuntimeError("HTTP %d" % resp.status)
        finally:
            conn.close()
        return time.monotonic() - t0, parse_prom(body)

    def textfile_state(self):
        try:
            with open(self.textfile, "rb") as f:
                data = f.read()
        except OSError:
            return None
        st = {"bytes": len(data), "lines": data.count(b"\n"), "dropped": {}}
        for name, labels, value in parse_prom(data.decode("utf-8")):
            if name == "pvtrace_latency_series":
                st["series_" + labels.get("state", "?")] = int(value)
            elif name == "pvtrace_latency_exited_series_removed_total":
                st["removed"] = int(value)
            elif name == "pvtrace_latency_dropped_events_total":
                st["dropped"][labels.get("reason", "?")] = int(value)
        return st

    def sample_once(self):
        s = {"t": time.monotonic()}
        try:
            s["scrape_s"], samples = self.scrape()
            pv = 0
            for name, labels, value in samples:
                if name == "node_scrape_collector_duration_seconds" and \
                        labels.get("collector") == "textfile":
                    s["collector_s"] = value
                elif name == "node_scrape_collector_success" and \
                        labels.get("collector") == "textfile":
                    s["collector_ok"] = value == 1
                elif name == "node_textfile_scrape_error":
                    s["textfile_error"] = value
                elif name.startswith("pvtrace_"):
                    pv += 1
            s["pv_samples"] = pv
            if s.get("textfile_error") or s.get("collector_ok") is False:
                self.scrape_errors.append("%.1f s: textfile collector error" % s["t"])
        except Exception as e:  # a failed scrape is a figure, not a crash
            self.scrape_errors.append("%.1f s: %s" % (s["t"], e))
            s["scrape_failed"] = True
        s["tf"] = self.textfile_state()
        s["rss_kb"] = proc_status(self.pv_pid, "VmRSS")
        s["cpu_s"] = proc_cpu_s(self.pv_pid)
        with self.lock:
            self.samples.append(s)

    def run(self):
        nxt = time.monotonic()
        while not self.stop.is_set():
            self.sample_once()
            nxt += 1.0
            self.stop.wait(max(0.0, nxt - time.monotonic()))

    def since(self, t):
        with self.lock:
            return [s for s in self.samples if s["t"] >= t]


def parse_strace(path):
    """One dict per textfile write that follows a report loop sleep."""
    reports, last_sleep_end, cur = [], None, None
    try:
        with open(path) as f:
            lines = f.readlines()
    except OSError:
        return reports
    for line in lines:
        m = STRACE_RE.match(line.strip())
        if not m:
            continue
        ts, call, dur = float(m.group(2)), m.group(3), float(m.group(6))
        if call == "clock_nanosleep":
            if cur and "rename_end" in cur and "reap_ms" not in cur:
                cur["reap_ms"] = (ts - cur["rename_end"]) * 1e3
            last_sleep_end = ts + dur
        elif call == "fsync" and last_sleep_end is not None:
            cur = {"start": last_sleep_end, "fsync_start": ts, "fsync_end": ts + dur,
                   "wall": ts}
            reports.append(cur)
        elif call == "renameat" and cur and "fsync_end" in cur:
            cur["rename_end"] = ts + dur
            cur["report_ms"] = (cur["rename_end"] - cur["start"]) * 1e3
            cur["before_fsync_ms"] = (cur["fsync_start"] - cur["start"]) * 1e3
            cur["fsync_ms"] = (cur["fsync_end"] - cur["fsync_start"]) * 1e3
            cur["link_rename_ms"] = (cur["rename_end"] - cur["fsync_end"]) * 1e3
    return [r for r in reports if "report_ms" in r]


def parse_json_stream(path):
    """Sums of KVM_GET_REGS over every interval document."""
    per = {}  # (pid, vm_index, vcpu) -> count
    overflow = 0
    other = {}  # any other command -> count
    docs = 0
    # Series are deleted only right after a report (exited ones), so between one report's
    # map read and the next one's the map can only fill: ioctls counted as series_overflow
    # between two reports mean the map was full at one of the two reads (the first one
    # when they came before the deletion). Anything else is an overflow with room left.
    roomy_overflow = []  # (interval_index, overflow added, series used, max)
    prev_ov, prev_used = 0, 0
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            doc = json.loads(line)
            docs += 1
            ov, ser = doc["dropped"]["series_overflow"], doc["series"]
            # (a series may fill the map between its read and the counters' read: slack)
            room = ser["max"] - max(4, ser["max"] // 50)
            if ov > prev_ov and ser["used"] < room and prev_used < room:
                roomy_overflow.append((doc["interval_index"], ov - prev_ov,
                                       max(ser["used"], prev_used), ser["max"]))
            prev_ov, prev_used = ov, ser["used"]
            for io in doc["ioctls"]:
                n = io["histogram"]["count"]
                if io["command"] != "KVM_GET_REGS":
                    other[io["command"]] = other.get(io["command"], 0) + n
                    continue
                if io.get("overflow"):
                    overflow += n
                    continue
                k = (io["pid"], io["vm_index"], io["vcpu"])
                per[k] = per.get(k, 0) + n
    return {"per": per, "overflow": overflow, "other": other, "docs": docs,
            "roomy_overflow": roomy_overflow}


def main():
    ap = argparse.ArgumentParser(
        description="pvtrace latency --ioctl --per-vcpu under VM churn, with node_exporter "
        "(a benchmark that also checks invariants; exit 1 when one breaks)")
    ap.add_argument("--duration", type=float, default=80,
                    help="seconds of churn (default 80)")
    ap.add_argument("--churn", type=int, default=4000,
                    help="short-lived VMs to start over --duration (default 4000)")
    ap.add_argument("--drivers", type=int, default=2,
                    help="processes forking the short-lived VMs (default 2)")
    ap.add_argument("--churn-count", type=int, default=5,
                    help="KVM_GET_REGS per vCPU of a short-lived VM (default 5)")
    ap.add_argument("--long", type=int, default=4, help="long-lived VMs (default 4)")
    ap.add_argument("--long-count", type=int, default=20,
                    help="KVM_GET_REGS per vCPU and round of a long-lived VM (default 20)")
    ap.add_argument("--long-pause-ms", type=int, default=20,
                    help="pause between a long-lived VM's rounds (default 20)")
    ap.add_argument("--max-series", type=int, help="pvtrace --max-series (default: pvtrace's)")
    ap.add_argument("--print-every", type=float, default=5, help="seconds (default 5)")
    ap.add_argument("--no-strace", action="store_true",
                    help="do not run pvtrace under strace (no report times)")
    ap.add_argument("--timeout", type=float,
                    help="hard limit of the whole run in s (default duration + 60)")
    ap.add_argument("--keep", metavar="DIR", help="keep the run's files in DIR")
    args = ap.parse_args()

    if os.geteuid() != 0:
        die("needs root (BPF, /dev/kvm)")
    for path in (PVTRACE, VMIDENT):
        if not os.access(path, os.X_OK):
            die("%s missing: run make tests" % path)
    if not os.access(NODE_EXPORTER, os.X_OK):
        die("%s missing: apt-get install prometheus-node-exporter" % NODE_EXPORTER)
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        die("no usable /dev/kvm")
    strace = None if args.no_strace else shutil.which("strace")
    if not args.no_strace and not strace:
        die("strace missing (or use --no-strace)")
    timeout = args.timeout or args.duration + 60
    t_begin = time.monotonic()

    work = args.keep or tempfile.mkdtemp(prefix="pvtrace-churn.")
    os.makedirs(work, exist_ok=True)
    promdir = os.path.join(work, "textfiles")
    os.makedirs(promdir, exist_ok=True)
    textfile = os.path.join(promdir, "pvtrace.prom")
    stop_churn, stop_long, hold = (os.path.join(work, n) for n in ("stop-churn", "stop-long",
                                                                    "hold"))
    for p in (stop_churn, stop_long, hold):
        if os.path.exists(p):
            os.unlink(p)
    procs = []

    def spawn(argv, out, err=subprocess.DEVNULL, **kw):
        p = subprocess.Popen(argv, stdout=open(out, "w") if isinstance(out, str) else out,
                             stderr=open(err, "w") if isinstance(err, str) else err, **kw)
        procs.append(p)
        return p
    spawn.pvtrace_pid = None  # pvtrace under strace is not one of ours to wait for

    def cleanup():
        for path in (stop_churn, stop_long, hold):
            open(path, "a").close()
        if spawn.pvtrace_pid:
            try:
                os.kill(spawn.pvtrace_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            if p.poll() is None:
                try:
                    p.terminate()
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()

    def on_alarm(signum, frame):
        print("bench-churn: run exceeded %.0f s, stopping" % timeout, file=sys.stderr)
        cleanup()
        os._exit(1)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(timeout))

    try:
        return run(args, work, promdir, textfile, stop_churn, stop_long, hold, strace, spawn,
                   t_begin)
    finally:
        cleanup()
        signal.alarm(0)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def run(args, work, promdir, textfile, stop_churn, stop_long, hold, strace, spawn, t_begin):
    print("bench-churn: %s, %d CPUs, pvtrace %s" % (os.uname().release, os.cpu_count(), PVTRACE))

    # what this machine sustains: short-lived VMs back to back, untraced
    t0 = time.monotonic()
    cal = subprocess.run([VMIDENT, "--children", "200", "--vcpus", str(VCPUS), "--count",
                          str(args.churn_count), "--comm", COMM], stdout=subprocess.DEVNULL)
    cal_rate = 200 / (time.monotonic() - t0)
    if cal.returncode:
        die("vmident --children failed (exit %d)" % cal.returncode)
    rate = args.churn / args.duration
    print("short-lived VMs back to back, untraced, one process: %.0f/s; target %.1f/s "
          "(%d over %.0f s, %d drivers)" % (cal_rate, rate, args.churn, args.duration,
                                           args.drivers))
    if rate > 0.5 * cal_rate * args.drivers:
        print("  note: the target is more than half of what the machine sustains")

    # node_exporter, textfile collector only
    port = free_port()
    ne_log = os.path.join(work, "node_exporter.log")
    # as Debian's unit runs it: the prometheus user (else nobody)
    user = "prometheus"
    try:
        import pwd
        pwd.getpwnam(user)
    except KeyError:
        user = "nobody"
    for d in (work, promdir):
        os.chmod(d, 0o755)
    ne = spawn(["setpriv", "--reuid=" + user, "--regid=" + user if user != "nobody"
                else "--regid=nogroup", "--clear-groups", "--",
                NODE_EXPORTER, "--web.listen-address=127.0.0.1:%d" % port,
                "--collector.disable-defaults", "--collector.textfile",
                "--collector.textfile.directory=" + promdir], subprocess.DEVNULL, ne_log)

    # pvtrace
    pv_argv = [PVTRACE, "latency", "--ioctl", "--per-vcpu", "--comm", COMM, "--json",
               "--prom", textfile, "--prom-keep"]
    if args.max_series:
        pv_argv += ["--max-series", str(args.max_series)]
    pv_argv.append("1")
    strace_out = os.path.join(work, "strace.txt")
    argv = pv_argv
    if strace:
        argv = [strace, "--seccomp-bpf", "-f", "-ttt", "-T", "-o", strace_out, "-e",
                "trace=clock_nanosleep,fsync,linkat,renameat"] + pv_argv
    pv_json, pv_err = os.path.join(work, "pv.json"), os.path.join(work, "pv.err")
    t_pv = time.monotonic()
    pv = spawn(argv, pv_json, pv_err)
    while True:
        with open(pv_err) as f:
            if "Tracing" in f.read():
                break
        if pv.poll() is not None:
            die("pvtrace exited before attaching: " + open(pv_err).read().strip())
        if time.monotonic() - t_pv > 30:
            die("pvtrace did not attach in 30 s")
        time.sleep(0.02)
    attach_ms = (time.monotonic() - t_pv) * 1e3
    pv_pid = child_of(pv.pid) if strace else pv.pid
    if not pv_pid:
        die("cannot find pvtrace's pid under strace")
    spawn.pvtrace_pid = pv_pid
    hwm_start = proc_status(pv_pid, "VmHWM")
    print("pvtrace attached in %.0f ms%s; VmHWM %s kB; %s" % (
        attach_ms, " (under strace)" if strace else "", hwm_start, " ".join(pv_argv[1:])))
    for _ in range(100):  # node_exporter up?
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/metrics")
            c.getresponse().read()
            c.close()
            break
        except OSError:
            if ne.poll() is not None:
                die("node_exporter exited: " + open(ne_log).read()[-500:])
            time.sleep(0.1)
    else:
        die("node_exporter does not answer on port %d" % port)

    sampler = Sampler(port, textfile, pv_pid)
    sampler.start()

    # long-lived VMs
    long_out = []
    for i in range(args.long):
        out = os.path.join(work, "long%d.out" % i)
        long_out.append(out)
        spawn([VMIDENT, "--vcpus", str(VCPUS), "--count", str(args.long_count), "--rounds", "0",
               "--pause-ms", str(args.long_pause_ms), "--stop-file", stop_long, "--hold-file",
               hold, "--comm", COMM, "--", "-name", "guest=long-%d,debug-threads=on" % i], out)
    long_series = args.long * VCPUS
    print("long-lived: %d VMs x %d vCPUs, %d KVM_GET_REGS per vCPU every %d ms" % (
        args.long, VCPUS, args.long_count, args.long_pause_ms))
    time.sleep(2.5)  # recorded before the churn starts

    # churn
    per_driver = (args.churn + args.drivers - 1) // args.drivers
    spawn_ms = max(1, int(round(args.duration * 1000.0 / per_driver)))
    churn_out, drivers = [], []
    for d in range(args.drivers):
        out = os.path.join(work, "churn%d.out" % d)
        churn_out.append(out)
        drivers.append(spawn([VMIDENT, "--children", str(per_driver), "--spawn-ms",
                              str(spawn_ms), "--vcpus", str(VCPUS), "--count",
                              str(args.churn_count), "--stop-file", stop_churn, "--comm", COMM,
                              "--", "-name", "guest=churn-%d" % d], out))
    t_churn = time.monotonic()
    print("churn: %d drivers x %d VMs, one every %d ms each, %d KVM_GET_REGS per vCPU" % (
        args.drivers, per_driver, spawn_ms, args.churn_count))
    print()
    print("every %.0f s: short-lived VMs started so far and per s; textfile KB and lines, "
          "series used,\nexited series removed; report time p50/max, its fsync, reap "
          "(strace, ms); scrape ms p50/max\n(client), node_exporter's textfile collector ms; "
          "dropped: series_overflow, other reasons;\npvtrace CPU %%" % args.print_every)
    hdr = ("%6s %6s %5s %8s %6s %6s %7s %6s %6s %6s %6s %6s %7s %7s %9s %7s %5s" % (
        "t_s", "VMs", "VM/s", "tf_KB", "lines", "series", "removed", "rep_ms", "rep_mx",
        "fsync", "reap", "scr_ms", "scr_mx", "coll_ms", "overflow", "dropped", "cpu%"))
    print(hdr)
    print("%6s %6s %5s %8s %6s %6s %7s %6s %6s %6s %6s %6s %7s %7s %9s %7s %5s" % (
        "", "(all)", "", "(max)", "(max)", "(max)", "(total)", "(p50)", "(max)", "(p50)",
        "(p50)", "(p50)", "(max)", "(max)", "(total)", "(other)", ""))

    rows = []
    last_t, last_vms = time.monotonic(), 0
    last_cpu = proc_cpu_s(pv_pid)
    churn_deadline = t_churn + args.duration + 10  # late drivers are stopped

    def churn_started():
        return sum(len(read_issued(p)) for p in churn_out) // VCPUS

    def print_row(t_from):
        nonlocal last_t, last_vms, last_cpu
        now = time.monotonic()
        ss = sampler.since(t_from)
        tfs = [s["tf"] for s in ss if s.get("tf")]
        reps = parse_strace(strace_out)[print_row.seen:] if strace else []
        print_row.seen += len(reps)
        vms = churn_started()
        cpu = proc_cpu_s(pv_pid)
        row = {
            "t": now - t_churn, "vms": vms, "rate": (vms - last_vms) / (now - last_t),
            "tf_bytes": max((t["bytes"] for t in tfs), default=None),
            "tf_lines": max((t["lines"] for t in tfs), default=None),
            "series": max((t.get("series_used", 0) for t in tfs), default=None),
            "removed": tfs[-1].get("removed") if tfs else None,
            "rep_p50": pct([r["report_ms"] for r in reps], 50),
            "rep_max": max((r["report_ms"] for r in reps), default=None),
            "fsync_p50": pct([r["fsync_ms"] for r in reps], 50),
            "reap_p50": pct([r["reap_ms"] for r in reps if "reap_ms" in r], 50),
            "scr_p50": pct([s["scrape_s"] * 1e3 for s in ss if "scrape_s" in s], 50),
            "scr_max": max((s["scrape_s"] * 1e3 for s in ss if "scrape_s" in s), default=None),
            "coll_max": max((s["collector_s"] * 1e3 for s in ss if "collector_s" in s),
                            default=None),
            "overflow": tfs[-1]["dropped"].get("series_overflow") if tfs else None,
            "other_drops": sum(v for k, v in tfs[-1]["dropped"].items()
                               if k != "series_overflow") if tfs else None,
            "cpu": None if cpu is None or last_cpu is None else
            100.0 * (cpu - last_cpu) / (now - last_t),
        }
        rows.append(row)
        print("%6.1f %6d %5.1f %8s %6s %6s %7s %6s %6s %6s %6s %6s %7s %7s %9s %7s %5s" % (
            row["t"], vms, row["rate"], fmt(row["tf_bytes"] and row["tf_bytes"] / 1024.0),
            fmt(row["tf_lines"], "d"), fmt(row["series"], "d"), fmt(row["removed"], "d"),
            fmt(row["rep_p50"]), fmt(row["rep_max"]), fmt(row["fsync_p50"]),
            fmt(row["reap_p50"]), fmt(row["scr_p50"]), fmt(row["scr_max"]),
            fmt(row["coll_max"]), fmt(row["overflow"], "d"), fmt(row["other_drops"], "d"),
            fmt(row["cpu"], ".0f")), flush=True)
        last_t, last_vms, last_cpu = now, vms, cpu
    print_row.seen = 0

    t_from = time.monotonic()
    while any(d.poll() is None for d in drivers):
        time.sleep(0.1)
        if time.monotonic() >= t_from + args.print_every:
            print_row(t_from)
            t_from = time.monotonic()
        if time.monotonic() > churn_deadline:
            open(stop_churn, "a").close()
    churn_s = time.monotonic() - t_churn
    driver_rc = [d.wait() for d in drivers]
    # two more reports: the last short-lived VMs get their last report, then leave
    time.sleep(2.5)
    print_row(t_from)
    settled = sampler.since(time.monotonic() - 1.2)
    settled_series = settled[-1]["tf"].get("series_used") if settled and settled[-1]["tf"] \
        else None

    # stop the long-lived VMs: their exact counts are printed, they stay until the end
    open(stop_long, "a").close()
    want_lines = VCPUS
    end = time.monotonic() + 10
    while time.monotonic() < end and any(len(read_issued(p)) < want_lines for p in long_out):
        time.sleep(0.05)
    time.sleep(1.2)  # one more report with their last rounds
    hwm_end = proc_status(pv_pid, "VmHWM")
    rss_end = proc_status(pv_pid, "VmRSS")
    cpu_total = proc_cpu_s(pv_pid)
    sampler.stop.set()
    sampler.join()
    os.kill(pv_pid, signal.SIGINT)
    pv_rc = pv.wait(timeout=30)
    spawn.pvtrace_pid = None
    # node_exporter's view of the final (kept) textfile
    try:
        _, final_scrape = sampler.scrape()
    except Exception as e:
        final_scrape = []
        sampler.scrape_errors.append("final scrape: %s" % e)
    open(hold, "a").close()

    # ---------------------------------------------------------------- checks
    fails = []
    issued_long = {}
    for p in long_out:
        issued_long.update(read_issued(p))
    long_pids = {k[0] for k in issued_long}
    issued_churn = {}
    for p in churn_out:
        issued_churn.update(read_issued(p))
    churn_vms = len({k[0] for k in issued_churn})
    with open(textfile) as f:
        final_tf = parse_prom(f.read())

    def counts_of(samples):
        out = {}
        for name, labels, value in samples:
            # node_exporter gives the overflow series the family's other labels, empty
            if name == METRIC + "_count" and labels.get("command") == "KVM_GET_REGS" and \
                    labels.get("pid"):
                out[(int(labels["pid"]), int(labels["vcpu"]))] = int(value)
        return out

    tf_counts, scrape_counts = counts_of(final_tf), counts_of(final_scrape)
    js = parse_json_stream(pv_json)
    print()
    print("long-lived VMs (KVM_GET_REGS per vCPU): issued / final textfile / node_exporter "
          "scrape / JSON stream sum")
    long_bad = 0
    for (pid, vm, vcpu), n in sorted(issued_long.items()):
        got = (tf_counts.get((pid, vcpu)), scrape_counts.get((pid, vcpu)),
               js["per"].get((pid, vm, vcpu)))
        ok = all(g == n for g in got)
        long_bad += not ok
        print("  pid %-7d vcpu %d  %8d %8s %8s %8s  %s" % (
            pid, vcpu, n, *(fmt(g, "d") for g in got), "ok" if ok else "MISMATCH"))
    if len(issued_long) != long_series:
        fails.append("long-lived VMs printed %d vCPU counts, want %d" % (len(issued_long),
                                                                         long_series))
    if long_bad:
        fails.append("%d long-lived vCPU counts not exact" % long_bad)

    # short-lived VMs: every one must have all its ioctls in the JSON stream
    churn_issued = sum(issued_churn.values())
    churn_traced = sum(v for k, v in js["per"].items() if k[0] not in long_pids)
    inexact = []
    for k, n in issued_churn.items():
        got = js["per"].get(k, 0)
        if got != n:
            inexact.append((k, n, got))
    total_issued = churn_issued + sum(issued_long.values())
    total_traced = sum(js["per"].values()) + js["overflow"]
    print("short-lived VMs: %d started and finished (drivers' exit %s), %d KVM_GET_REGS "
          "issued; JSON stream: %d in their series, %d in overflow series" % (
              churn_vms, driver_rc, churn_issued, churn_traced, js["overflow"]))
    print("  all ioctls: issued %d, traced %d (series + overflow, %d JSON documents)" % (
        total_issued, total_traced, js["docs"]))
    if js["other"]:
        print("  other commands traced: %s" % js["other"])
    if not js["overflow"]:
        print("  short-lived vCPUs whose series count differs from issued: %d of %d" % (
            len(inexact), len(issued_churn)))
        for (pid, vm, vcpu), n, got in sorted(inexact)[:8]:
            print("    pid %d vcpu %d issued %d traced %d" % (pid, vcpu, n, got))
    if total_traced != total_issued:
        fails.append("ioctls traced over the JSON stream %d != issued %d (%+d)" % (
            total_traced, total_issued, total_traced - total_issued))
    elif not js["overflow"] and inexact:
        fails.append("%d short-lived vCPU series not exact" % len(inexact))

    # bounded textfile
    all_tf = [s["tf"] for s in sampler.samples if s.get("tf")]
    max_bytes = max(t["bytes"] for t in all_tf)
    max_lines = max(t["lines"] for t in all_tf)
    max_series = max(t.get("series_used", 0) for t in all_tf)
    series_max = all_tf[-1].get("series_max")
    # a short-lived VM's series live from its first ioctl to the report after the one
    # that saw it exit: < 3 intervals of 1 s, so the live set is about 3 s of churn
    bound = min(series_max, long_series + int(VCPUS * rate * 3 * 1.5) + 32)
    # lines per series: 13 buckets + the +Inf one, sum, count (--prom-buckets default)
    lines_bound = bound * 16 + 64
    unbounded_series = long_series + churn_vms * VCPUS
    print("textfile: max %.1f KB, %d lines, %d series used (max %d); bound %d series, "
          "%d lines; without removal the series would reach %d (%s)" % (
              max_bytes / 1024.0, max_lines, max_series, series_max, bound, lines_bound,
              unbounded_series, "capped at --max-series %d" % series_max
              if unbounded_series > series_max else "under the cap"))
    print("  series once the churn ended: %s (long-lived: %d)" % (settled_series, long_series))
    print("  exited series removed: %s" % all_tf[-1].get("removed"))
    if max_series > bound or max_lines > lines_bound:
        fails.append("textfile not bounded: %d series (bound %d), %d lines (bound %d)" % (
            max_series, bound, max_lines, lines_bound))
    if settled_series is None or settled_series > long_series:
        fails.append("after the churn %s series remain, want %d (long-lived)" % (
            settled_series, long_series))

    # dropped events
    final_drops = {labels["reason"]: int(v) for name, labels, v in final_tf
                   if name == "pvtrace_latency_dropped_events_total"}
    print("dropped events (final textfile): %s" % ", ".join(
        "%s %d" % kv for kv in sorted(final_drops.items())))
    if js["roomy_overflow"]:
        print("  series_overflow while the map had room, in %d reports: %s" % (
            len(js["roomy_overflow"]), ", ".join(
                "#%d +%d (used at most %d of %d)" % r for r in js["roomy_overflow"][:6])))
        fails.append("series_overflow in %d reports where the series map was not full" % len(
            js["roomy_overflow"]))
    other = {k: v for k, v in final_drops.items() if k != "series_overflow" and v}
    if other:
        fails.append("dropped events other than series_overflow: %s" % other)
    if js["overflow"] != final_drops.get("series_overflow", 0):
        fails.append("overflow series in JSON %d != series_overflow %d" % (
            js["overflow"], final_drops.get("series_overflow", 0)))

    # report time
    reps = parse_strace(strace_out) if strace else []
    if reps:
        def stat(key):
            v = [r[key] for r in reps if key in r]
            return "p50 %.2f p90 %.2f max %.2f" % (pct(v, 50), pct(v, 90), max(v))
        print("report time, ms (%d reports, strace -T): boundary -> textfile renamed %s; "
              "of which fsync %s, link+rename %s; reap+scan after it %s" % (
                  len(reps), stat("report_ms"), stat("fsync_ms"), stat("link_rename_ms"),
                  stat("reap_ms")))

    # node_exporter
    ss = sampler.samples
    scr = [s["scrape_s"] * 1e3 for s in ss if "scrape_s" in s]
    coll = [s["collector_s"] * 1e3 for s in ss if "collector_s" in s]
    ne_errors = [l for l in open(os.path.join(work, "node_exporter.log"))
                 if "level=error" in l or "level=warn" in l]
    print("node_exporter: %d scrapes, client ms p50 %.2f p90 %.2f max %.2f; textfile "
          "collector ms p50 %.2f max %.2f; %d failed or errored; %d error/warn log lines" % (
              len(scr), pct(scr, 50), pct(scr, 90), max(scr), pct(coll, 50), max(coll),
              len(sampler.scrape_errors), len(ne_errors)))
    for e in sampler.scrape_errors[:5]:
        print("  " + e)
    for l in ne_errors[:5]:
        print("  log: " + l.strip()[:300])
    if sampler.scrape_errors or ne_errors:
        fails.append("node_exporter: %d scrape errors, %d error/warn log lines" % (
            len(sampler.scrape_errors), len(ne_errors)))

    # pvtrace itself
    cpu_pct = 100.0 * cpu_total / (time.monotonic() - t_pv) if cpu_total else None
    print("pvtrace: VmHWM %s kB at start, %s kB at end (VmRSS %s kB); CPU %.1f s over the "
          "run (%s%% of one CPU); exit status %d" % (
              hwm_start, hwm_end, rss_end, cpu_total or 0, fmt(cpu_pct), pv_rc))
    warns = [l.strip() for l in open(os.path.join(work, "pv.err")) if "Tracing" not in l]
    for l in warns:
        print("  pvtrace: " + l)
    if pv_rc != 0:
        fails.append("pvtrace exit status %d" % pv_rc)
    achieved = churn_vms / churn_s
    print("churn: %d short-lived VMs in %.1f s (%.1f/s, target %.1f/s)" % (
        churn_vms, churn_s, achieved, rate))
    if any(driver_rc):
        fails.append("a churn driver failed: exit %s" % driver_rc)

    print("total run time %.1f s" % (time.monotonic() - t_begin))
    if args.keep:
        print("files kept in %s" % work)
    if fails:
        for f in fails:
            print("INVARIANT BROKEN: " + f)
        return 1
    print("all invariants hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
