#!/usr/bin/python3
"""Write a synthetic pvtrace.bench/1 result document, for tests of the store, compare
and the dashboard, where the effect in the data must be known exactly.

Usage: tests/helpers/mkresult.py [--benchmark ioctl] [--label L] [--runs N] [--seed S]
           [--started RFC3339] [--kernel R] [--build-id HEX]
           --metric NAME:MEDIAN:SPREAD[:better[:threshold[:unit]]] ...

Each metric's per-run values are MEDIAN * (1 + SPREAD * z), z standard normal (seeded), so
SPREAD is the relative run-to-run noise; SPREAD 0 gives constant values. One JSON line on
stdout. Uses only Python's standard library.
"""
import argparse
import json
import random
import sys


def metric(spec, runs, rng):
    parts = spec.split(":")
    if len(parts) < 3:
        sys.exit("mkresult: --metric NAME:MEDIAN:SPREAD[:better[:threshold[:unit]]], not %r" % spec)
    name, med, spread = parts[0], float(parts[1]), float(parts[2])
    better = parts[3] if len(parts) > 3 and parts[3] else "lower"
    thr = float(parts[4]) if len(parts) > 4 and parts[4] else 0.05
    unit = parts[5] if len(parts) > 5 and parts[5] else ("x" if name.startswith("ratio.") else "ns")
    vals = [round(med * (1 + spread * rng.gauss(0, 1)), 3) for _ in range(runs)]
    return {"name": name, "unit": unit, "better": better, "threshold": thr, "values": vals}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--benchmark", default="ioctl", choices=["ioctl", "regs", "overhead"])
    ap.add_argument("--label", default="synthetic")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--started", default="2026-01-01T00:00:00Z")
    ap.add_argument("--kernel", default="6.12.0-synthetic")
    ap.add_argument("--build-id", default=None)
    ap.add_argument("--metric", action="append", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    doc = {
        "schema": "pvtrace.bench/1", "kind": "result", "kernel": a.kernel,
        "benchmark": a.benchmark, "label": a.label, "started": a.started, "duration_s": 1.0,
        "fingerprint": {
            "kernel_release": a.kernel, "kernel_version": "#1 SMP synthetic",
            "kernel_build_id": a.build_id, "config_hash": None, "config_source": None,
            "arch": "x86_64", "cpu_model": "synthetic", "cpus": 2, "hypervisor": "none",
            "emulated": False, "attach_mode": "none", "pvtrace_version": "synthetic",
            "hostname": "synthetic",
        },
        "params": {"synthetic": True, "seed": a.seed},
        "runs": a.runs,
        "metrics": [metric(m, a.runs, rng) for m in a.metric],
        "details": {},
    }
    print(json.dumps(doc, separators=(",", ":")))


if __name__ == "__main__":
    main()
