#!/usr/bin/python3
"""Write a synthetic series of pvtrace.bench/1 result documents (JSON lines), with
latency histograms, for the dashboard's tests: the effects in the data are known exactly.

Usage: tests/helpers/mkseries.py [--count N] [--runs R] [--seed S] [--noise F]
           [--benchmarks ioctl,regs,overhead] [--labels L1,L2,...] [--shuffle]
           [--step BENCH/METRIC:INDEX:FACTOR ...] [--mutate SEED]

N results per benchmark, one hour apart (the benchmarks of one index a few minutes apart).
Each metric's runs are MEDIAN * (1 + F * z), z standard normal (seeded). --step multiplies
one metric's median (and, for an ioctl command's p50, its histogram) by FACTOR from the
INDEX-th result of that benchmark on (0-based). --labels: the labels, in turn. --shuffle:
print the documents in a random order (the dashboard orders them by started time).
bench ioctl has two commands, KVM_GET_REGS and KVM_RUN, each with a log2 histogram.
--mutate SEED: the first document gets one to three random changes (a member removed or
given an odd value: null, a huge number, an empty or long string, markup, a bad time), for
tests of bad input.
Uses only Python's standard library.
"""
import argparse
import datetime
import hashlib
import json
import math
import random
import sys

BASE = {
    "ioctl": {"KVM_GET_REGS": 820.0, "KVM_RUN": 2600.0},
    "regs": {"one_reg.get.p50": 41000.0, "many_regs.get.p50": 5200.0,
             "one_reg.set.p50": 45000.0, "many_regs.set.p50": 6100.0},
    "overhead": {"untraced.p50": 820.0, "traced.p50": 1010.0},
}
MINUTE = {"ioctl": 0, "regs": 10, "overhead": 20}


def phi(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def histogram(name, p50, samples):
    """log2 buckets of a log-normal latency with median p50 (sigma 0.35)."""
    mu, s = math.log(p50), 0.35
    buckets = []
    for k in range(4, 24):
        lo, hi = 2 ** k, 2 ** (k + 1) - 1
        c = round(samples * (phi((math.log(hi + 1) - mu) / s) - phi((math.log(lo) - mu) / s)))
        if c > 0:
            buckets.append({"lo": lo, "hi": hi, "count": c})
    return {"name": name, "unit": "ns", "buckets": buckets}


def metric(name, med, a, rng, better="lower", unit="ns", thr=0.05):
    vals = [round(med * (1 + a.noise * rng.gauss(0, 1)), 3) for _ in range(a.runs)]
    return {"name": name, "unit": unit, "better": better, "threshold": thr, "values": vals}


def doc(bench, i, a, rng, steps):
    def f(name):
        return steps.get((bench, name, i), 1.0)

    t0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    t = t0 + datetime.timedelta(hours=i, minutes=MINUTE[bench])
    labels = a.labels.split(",")
    metrics, hists, details = [], [], {}
    if bench == "ioctl":
        for cmd, p50 in BASE["ioctl"].items():
            m = p50 * f(cmd + ".p50")
            metrics.append(metric(cmd + ".p50", m, a, rng))
            metrics.append(metric(cmd + ".p90", p50 * 1.6 * f(cmd + ".p90"), a, rng))
            metrics.append(metric(cmd + ".p99", p50 * 3.1 * f(cmd + ".p99"), a, rng))
            hists.append(histogram(cmd, m, 20000 * a.runs))
        metrics.append(metric("mix.mean_ns", 1500.0 * f("mix.mean_ns"), a, rng))
    elif bench == "regs":
        med = {k: v * f(k) for k, v in BASE["regs"].items()}
        for k, v in med.items():
            metrics.append(metric(k, v, a, rng))
        for d in ("get", "set"):
            r = med["one_reg.%s.p50" % d] / med["many_regs.%s.p50" % d]
            metrics.append(metric("ratio.%s_one_over_many" % d, r * f("ratio.%s_one_over_many" % d),
                                  a, rng, better="higher", unit="x"))
    else:
        u = BASE["overhead"]["untraced.p50"] * f("untraced.p50")
        tr = BASE["overhead"]["traced.p50"] * f("traced.p50")
        metrics.append(metric("untraced.p50", u, a, rng))
        metrics.append(metric("traced.p50", tr, a, rng))
        metrics.append(metric("added_ns", (tr - u) * f("added_ns"), a, rng))
        metrics.append(metric("ratio.traced_over_untraced", tr / u, a, rng, unit="x"))
    d = {
        "schema": "pvtrace.bench/1", "kind": "result", "kernel": "6.12.0-synthetic",
        "benchmark": bench, "label": labels[i % len(labels)],
        "started": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "duration_s": 1.0,
        "fingerprint": {
            "kernel_release": "6.12.0-synthetic", "kernel_version": "#1 SMP synthetic",
            "kernel_build_id": hashlib.sha1(b"build %d" % i).hexdigest(),
            "config_hash": "sha256:" + hashlib.sha256(b"config %d" % i).hexdigest(),
            "config_source": "/proc/config.gz", "arch": "x86_64", "cpu_model": "Synthetic CPU",
            "cpus": 2, "hypervisor": "KVM", "emulated": False,
            "attach_mode": "fentry" if bench == "overhead" else "none",
            "pvtrace_version": "synthetic", "hostname": "series",
        },
        "params": {"synthetic": True, "index": i},
        "runs": a.runs,
        "metrics": metrics,
        "details": details,
    }
    if hists:
        d["histograms"] = hists
    return d


ODD = [None, True, 0, -1, 1e308, -1e308, 1e17, "", "x" * 300, [], {}, [1], "\udcff",
       "2026-13-99T99:99:99Z", 1.5, "<&>\"'"]


def paths(o, p=()):
    yield p
    if isinstance(o, dict):
        for k, v in o.items():
            yield from paths(v, p + (k,))
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from paths(v, p + (i,))


def mutate(d, rng):
    ps = list(paths(d))[1:]
    for _ in range(rng.randint(1, 3)):
        p = rng.choice(ps)
        o = d
        try:
            for k in p[:-1]:
                o = o[k]
            if isinstance(o, dict) and rng.random() < 0.3:
                del o[p[-1]]
            else:
                o[p[-1]] = rng.choice(ODD)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change removed the path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--noise", type=float, default=0.01)
    ap.add_argument("--benchmarks", default="ioctl,regs,overhead")
    ap.add_argument("--labels", default="series")
    ap.add_argument("--shuffle", action="store_true")
    ap.add_argument("--step", action="append", default=[])
    ap.add_argument("--mutate", type=int, default=None)
    a = ap.parse_args()
    steps = {}
    for s in a.step:
        what, idx, fac = s.rsplit(":", 2)
        bench, name = what.split("/", 1)
        for i in range(int(idx), a.count):
            steps[(bench, name, i)] = float(fac)
    rng = random.Random(a.seed)
    docs = [doc(b, i, a, rng, steps) for b in a.benchmarks.split(",") for i in range(a.count)]
    if a.shuffle:
        rng.shuffle(docs)
    if a.mutate is not None:
        mutate(docs[0], random.Random(a.mutate))
    for d in docs:
        # surrogateescape: "\udcff" is written as the byte 0xff, not UTF-8
        line = json.dumps(d, separators=(",", ":"), ensure_ascii=False)
        sys.stdout.buffer.write(line.encode("utf-8", "surrogateescape") + b"\n")


if __name__ == "__main__":
    main()
