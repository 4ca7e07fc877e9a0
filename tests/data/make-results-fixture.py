#!/usr/bin/env python3
"""Writes tests/data/results-fixture/: the results directory of a small run
in the format of docs/results-format.md, for the report and kata-config
tests.

The run: three storage backends (9p, virtio-fs, virtio-blk) for a 1-vCPU,
1 GiB VM under TCG, plus the bare-metal control, 3 repetitions each, a
write phase and a read phase of 100,000 operations over 16 connections.
Latencies are drawn per operation from a log-normal body with a small
stall tail, so medians, percentiles, per-second series and HDR files agree
with each other and differ from one repetition to the next. The output is
the same on every run of this script (fixed seed).

usage: tests/data/make-results-fixture.py [OUTDIR]
"""
import copy
import json
import math
import os
import random
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "results-fixture")
SEED = 20240611
rng = random.Random(SEED)

MATRIX = """\
# A small storage comparison: three shared-filesystem choices for the
# database's data directory, one VM size, writes then reads.
name: storage-small
repetitions: 3
seed: 20240611
hypervisor:
  accel: auto
guest:
  vcpus: 1
  memory: 1024
  msize_9p: 512k
database:
  engine: redis
  appendonly: true
  appendfsync: everysec
load:
  connections: 16
  keys: 50000
  value_size: 256
  warmup: 2s
  phases:
    - { op: write, n: 100000 }
    - { op: read, n: 100000 }
control:
  baremetal: true
  match_resources: true
matrix:
  storage: [9p, virtio-fs, virtio-blk]
"""

BASE_CONFIG = {
    "run": {"name": "storage-small", "repetitions": "3",
            "order": "interleaved", "seed": "20240611"},
    "hypervisor": {"connect": "qemu:///system", "accel": "auto",
                   "emulator": "/usr/bin/qemu-system-x86_64",
                   "machine": "q35"},
    "guest": {"kernel": "auto", "vcpus": "1", "memory": "1024",
              "iothreads": "off", "storage": "local", "msize_9p": "512k",
              "virtio_fs_cache": "auto", "blk_cache": "none",
              "blk_aio": "threads", "data_size": "2G",
              "boot_timeout": "2m"},
    "network": {"subnet": "10.213.0.0/24"},
    "database": {"engine": "redis", "appendonly": "on",
                 "appendfsync": "everysec", "save": "", "port": "6379",
                 "ready_timeout": "1m"},
    "load": {"connections": "16", "threads": "0", "pipeline": "1",
             "keys": "50000", "key_dist": "uniform", "zipf_skew": "0.99",
             "value_size": "256", "value_size_max": "0", "rate": "0",
             "warmup": "2s", "read_from": "primary",
             "connect_timeout": "5s", "request_timeout": "10s",
             "key_prefix": "key:"},
    "control": {"baremetal": "on", "match_resources": "on"},
    "phases": [
        {"op": "write", "n": "100000", "duration": "0s",
         "ratio": "write:1,read:1"},
        {"op": "read", "n": "100000", "duration": "0s",
         "ratio": "write:1,read:1"},
    ],
}

CONTROL = {"id": "d9f3062dce9a", "label": "baremetal vcpus=1 memory=1024"}

# Typical rates (ops/s) and relative noise per phase; mount time in the
# boot (s). TCG makes every VM slow; storage shows in the write phase only.
CELLS = [
    {"id": "b8b8545289cd", "storage": "9p", "shared_fs": "virtio-9p",
     "rate": {"write": 2650, "read": 4930}, "noise": 0.03, "mount": 0.15,
     "disable_blk": "true"},
    {"id": "62acc8f3010e", "storage": "virtio-fs", "shared_fs": "virtio-fs",
     "rate": {"write": 3900, "read": 5040}, "noise": 0.05, "mount": 0.62,
     "disable_blk": "true"},
    {"id": "1804f8d5bafb", "storage": "virtio-blk", "shared_fs": "virtio-fs",
     "rate": {"write": 4460, "read": 5010}, "noise": 0.025, "mount": 0.95,
     "disable_blk": "false"},
]
CONTROL_RATE = {"write": 41200, "read": 47600}
PHASES = [(0, "write"), (1, "read")]
OPS = 100000
CONNECTIONS = 16
REPS = 3
T0 = 1781255823  # 2026-06-12T09:17:03Z


def stamp(t):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def write_json(path, obj):
    write(path, json.dumps(obj, indent=2) + "\n")


def kata(cell):
    return {
        "path": '"/usr/bin/qemu-system-x86_64"', "machine_type": '"q35"',
        "default_vcpus": "1", "default_memory": "1024",
        "enable_iothreads": "false",
        "shared_fs": '"%s"' % cell["shared_fs"],
        "virtio_fs_cache": '"auto"', "msize_9p": "524288",
        "block_device_driver": '"virtio-blk"',
        "block_device_aio": '"threads"',
        "block_device_cache_direct": "true",
        "disable_block_device_use": cell["disable_blk"],
    }


def percentile(sorted_v, p):
    """Value at percentile p, the way a histogram answers: the smallest
    value with at least p% of the count at or below it."""
    n = len(sorted_v)
    k = max(0, min(n - 1, math.ceil(p / 100.0 * n) - 1))
    return sorted_v[k]


def hdr_round(v):
    """3 significant digits, like an HdrHistogram bucket's upper value."""
    if v <= 0:
        return 0
    e = math.floor(math.log10(v)) - 2
    return math.ceil(v / 10 ** e) * 10 ** e


def latencies(rate, vm):
    """One latency (us) per op for a closed loop at `rate` ops/s."""
    mean_us = CONNECTIONS / rate * 1e6
    sigma = 0.55 if vm else 0.35
    median = mean_us / math.exp(sigma * sigma / 2)
    out = []
    for _ in range(OPS):
        v = rng.lognormvariate(math.log(median), sigma)
        # TCG guests stall now and then: timer and I/O emulation.
        if vm and rng.random() < 0.0025:
            v += rng.uniform(3, 15) * mean_us
        out.append(hdr_round(v))
    return out


def lat_summary(sorted_v):
    return {
        "mean": round(sum(sorted_v) / len(sorted_v), 1),
        "p50": percentile(sorted_v, 50), "p95": percentile(sorted_v, 95),
        "p99": percentile(sorted_v, 99),
        "p99.9": percentile(sorted_v, 99.9), "max": sorted_v[-1],
    }


def hgrm(sorted_v):
    n = len(sorted_v)
    lines = ["%12s %14s %10s %14s" % ("Value", "Percentile", "TotalCount",
                                      "1/(1-Percentile)"), ""]
    levels = [0.0]
    half = 1.0
    p = 0.0
    while p < 0.999999:
        half /= 2.0
        step = half / 5.0
        for _ in range(5):
            p += step
            levels.append(p)
    seen = -1
    for lv in levels:
        k = max(0, min(n - 1, math.ceil(lv * n) - 1))
        if k <= seen and lv > 0:
            continue
        seen = k
        v = sorted_v[k]
        count = k + 1
        while count < n and sorted_v[count] == v:
            count += 1
        frac = count / n
        if count >= n:
            break
        lines.append("%12.3f %2.12f %10d %14.2f" % (v, frac, count,
                                                   1.0 / (1.0 - frac)))
    lines.append("%12.3f %2.12f %10d" % (sorted_v[-1], 1.0, n))
    mean = sum(sorted_v) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in sorted_v) / n)
    lines.append("#[Mean    = %12.3f, StdDeviation   = %12.3f]" % (mean, sd))
    lines.append("#[Max     = %12.3f, Total count    = %12d]" %
                 (sorted_v[-1], n))
    lines.append("#[Buckets = %12d, SubBuckets     = %12d]" % (21, 2048))
    return "\n".join(lines) + "\n"


def timeseries_rows(phase_name, op, lat, rate):
    """Per-second rows: ops drift a little second to second."""
    rows = []
    i = 0
    second = 1
    while i < len(lat):
        want = int(rate * rng.uniform(0.93, 1.07))
        chunk = lat[i:i + want]
        i += len(chunk)
        s = sorted(chunk)
        ops_per_s = len(chunk) if len(chunk) == want else \
            int(round(len(chunk) / (len(chunk) / want)))
        rows.append("%s,%d,%s,%d,%d,%d,%d" % (
            phase_name, second, op, len(chunk), ops_per_s,
            percentile(s, 50), percentile(s, 99)))
        second += 1
    return rows


def one_run(rundir, cid, label, kind, rep, rates, t, boot_mount):
    vm = kind == "vm"
    phases = []
    ts = ["phase,second,op,ops,ops_per_s,p50_us,p99_us"]
    for index, op in PHASES:
        rate = rates[op]
        lat = latencies(rate, vm)
        s = sorted(lat)
        duration = round(sum(lat) / CONNECTIONS / 1e6, 2)
        name = "%d-%s" % (index, op)
        summary = lat_summary(s)
        pcts = [[q, percentile(s, q)] for q in
                (50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0)]
        phases.append({
            "index": index, "op": op, "ops": OPS, "errors": 0,
            "errors_by_class": {"connect": 0, "io": 0, "timeout": 0,
                                "server": 0, "protocol": 0},
            "first_errno": {"connect": 0, "io": 0, "timeout": 0},
            "misses": 0, "duration_s": duration,
            "op_rate": round(OPS / duration, 1),
            "op_rate_by_kind": {op: round(OPS / duration, 1)},
            "latency_us": summary, "latency_uncorrected_us": None,
            "latency_by_kind_us": {op: summary},
            "percentiles": pcts,
        })
        ts += timeseries_rows(name, op, lat, OPS / duration)
        write(os.path.join(rundir, "latency-%s.hgrm" % name), hgrm(s))
    write(os.path.join(rundir, "timeseries.csv"), "\n".join(ts) + "\n")
    total = sum(p["duration_s"] for p in phases)
    res = {
        "schema": 1, "kind": kind, "id": cid, "label": label, "rep": rep,
        "status": "ok", "error": None,
        "started": stamp(t), "finished": stamp(t + int(total + (25 if vm else 4))),
        "accel": "tcg" if vm else "none", "phases": phases,
    }
    if vm:
        boot = {}
        for node in ("node1", "node2"):
            k = round(rng.uniform(1.7, 2.4), 2)
            a = round(k + rng.uniform(4.6, 6.1), 2)
            m = round(a + boot_mount * rng.uniform(0.9, 1.15), 2)
            d = round(m + rng.uniform(0.7, 1.1), 2)
            boot[node] = {"domain_start_s": 0.0, "kernel_s": k, "agent_s": a,
                          "mounts_s": m, "db_ready_s": d}
        boot["replica_sync_s"] = round(
            max(boot["node1"]["db_ready_s"], boot["node2"]["db_ready_s"]) +
            rng.uniform(0.3, 0.7), 2)
        res["boot"] = boot
    res["replication_lag_s"] = round(rng.uniform(0.01, 0.2) if vm else
                                     rng.uniform(0.001, 0.004), 3)
    res["resources"] = {
        node: {"vcpu_time_s": round(total * rng.uniform(0.8, 0.95), 1) if vm else 0,
               "process_cpu_s": round(total * rng.uniform(0.5, 0.7), 1),
               "block_rd_bytes": rng.randint(0, 4 << 20) if vm else 0,
               "block_wr_bytes": rng.randint(30 << 20, 40 << 20),
               "net_rx_bytes": rng.randint(60 << 20, 70 << 20),
               "net_tx_bytes": rng.randint(20 << 20, 30 << 20)}
        for node in ("node1", "node2")}
    if not vm:
        res["control_applied"] = {"cpus": "1", "memory_max_bytes": 1 << 30,
                                  "cgroup": "v2"}
    write_json(os.path.join(rundir, "result.json"), res)
    return int(total) + 40


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    write(os.path.join(OUT, "matrix.yaml"), MATRIX)
    cells = []
    for c in CELLS:
        cfg = copy.deepcopy(BASE_CONFIG)
        cfg["guest"]["storage"] = c["storage"]
        label = "storage=" + c["storage"]
        cells.append(dict(c, label=label, cfg=cfg))
        d = os.path.join(OUT, "cells", c["id"])
        write_json(os.path.join(d, "config.json"),
                   {"schema": 1, "id": c["id"], "label": label, "kind": "vm",
                    "config": cfg})
        k = kata(c)
        write(os.path.join(d, "kata-configuration.toml"),
              "# Kata Containers settings equivalent to this cell.\n"
              "# Merge into configuration.toml, or use\n"
              "# `vmbench kata-config RESULTS_DIR CELL --base FILE`.\n"
              "[hypervisor.qemu]\n" +
              "".join("%s = %s\n" % kv for kv in k.items()))
    write_json(os.path.join(OUT, "control", CONTROL["id"], "config.json"),
               {"schema": 1, "id": CONTROL["id"], "label": CONTROL["label"],
                "kind": "baremetal", "config": BASE_CONFIG})

    runs = []
    t = T0
    for rep in range(1, REPS + 1):
        # interleaved: the control, then every cell, then the next round;
        # a slow drift over the night touches every cell alike.
        drift = 1.0 - 0.01 * (rep - 1)
        rates = {op: r * drift * rng.gauss(1.0, 0.015)
                 for op, r in CONTROL_RATE.items()}
        d = os.path.join(OUT, "control", CONTROL["id"], "rep%d" % rep)
        t += one_run(d, CONTROL["id"], CONTROL["label"], "baremetal", rep,
                     rates, t, 0)
        runs.append({"kind": "baremetal", "id": CONTROL["id"], "rep": rep,
                     "dir": "control/%s/rep%d" % (CONTROL["id"], rep)})
        for c in cells:
            rates = {op: r * drift * rng.gauss(1.0, c["noise"])
                     for op, r in c["rate"].items()}
            d = os.path.join(OUT, "cells", c["id"], "rep%d" % rep)
            t += one_run(d, c["id"], c["label"], "vm", rep, rates, t,
                         c["mount"])
            runs.append({"kind": "vm", "id": c["id"], "rep": rep,
                         "dir": "cells/%s/rep%d" % (c["id"], rep)})

    plan = {
        "schema": 1, "name": "storage-small", "matrix": "matrix.yaml",
        "repetitions": REPS, "order": "interleaved", "seed": SEED,
        "estimate_s": 1380, "axes": ["guest.storage"],
        "cells": [{"id": c["id"], "kind": "vm", "label": c["label"],
                   "axes": {"guest.storage": c["storage"]},
                   "control": CONTROL["id"], "kata": kata(c)} for c in cells],
        "controls": [{"id": CONTROL["id"], "kind": "baremetal",
                      "label": CONTROL["label"]}],
        "runs": runs, "warnings": [],
    }
    write_json(os.path.join(OUT, "plan.json"), plan)
    write_json(os.path.join(OUT, "run.json"), {
        "schema": 1,
        "vmbench": {"version": "0.1.0", "git": "184553c0a1b2"},
        "matrix": "matrix.yaml", "name": "storage-small",
        "started": stamp(T0), "finished": stamp(t), "resumed": [],
        "seed": SEED,
        "host": {"hostname": "bench-01",
                 "cpu": "Intel(R) Xeon(R) CPU @ 2.20GHz", "cpus": 2,
                 "memory_bytes": 25769803776, "kernel": "6.1.0-18-amd64",
                 "cpufreq_governor": "unavailable",
                 "thp": "madvise"},
        "versions": {"qemu": "7.2.9", "libvirt": "9.0.0",
                     "redis": "7.0.15", "kernel_guest": "6.1.0-18-amd64"},
        "accel": {"requested": "auto", "used": "tcg",
                  "note": "the KVM probe guest did not reach its agent within "
                          "30s (nested virtualization); guests ran under TCG"},
        "doctor": [
            {"check": "kvm", "status": "warn",
             "detail": "/dev/kvm exists but a probe guest hangs"},
            {"check": "libvirt", "status": "ok", "detail": "9.0.0"},
            {"check": "thp", "status": "ok", "detail": "madvise"},
        ],
        "runs": {"total": len(runs), "ok": len(runs), "failed": 0},
    })


if __name__ == "__main__":
    main()
