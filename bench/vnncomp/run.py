#!/usr/bin/env python3
"""A first VNN-COMP runner for propc (Python standard library only).

Takes: a benchmark's `instances.csv` (rows `onnx,vnnlib,timeout`, paths relative to
the csv's folder), the path of the `propc` binary, and optionally `--limit N`,
`--timeout-scale k`, `--filter REGEX` (on `onnx,vnnlib`) and `--out results.csv`.
Gives: runs `propc check VNNLIB --net ONNX --timeout T --format json` per instance,
writes `results.csv` (instance, onnx, vnnlib, verdict, seconds, expected) with verdict
sat | unsat | timeout | unknown | error, compares with `expected_dev.csv` next to
`instances.csv` when present (sat = violated, unsat = holds) and prints the solved
counts, the total solved time, a per-property table and every contradiction.
With `--recheck`, every counterexample's network input is re-run in onnxruntime
(the only option outside the standard library) and must give propc's outputs to 1e-4.
Invariant: a contradiction (sat where unsat is expected, or the reverse) is a
soundness bug: it is printed in full and the exit code is 1.

Verdict of one instance from propc's JSON report (one result per input region of the
file): sat if some region is violated, unsat if every region holds, otherwise timeout
when a reason mentions the time limit (or the process overran it), else unknown;
error when propc exits with 2 or its output is not a report.
"""

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time


def classify(report):
    verdicts = [r.get("verdict") for r in report.get("results", [])]
    if not verdicts:
        return "error"
    if any(v == "violated" for v in verdicts):
        return "sat"
    if all(v == "holds" for v in verdicts):
        return "unsat"
    reasons = " ".join(r.get("reason", "") for r in report["results"]).lower()
    return "timeout" if "time limit" in reasons else "unknown"


def recheck(onnx, report):
    """Re-runs each counterexample's network input in onnxruntime (optional, not in the
    standard library) and returns the largest absolute output difference to propc's."""
    import numpy as np  # noqa: PLC0415
    import onnxruntime as ort  # noqa: PLC0415

    sess = ort.InferenceSession(onnx)
    inp = sess.get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in inp.shape]
    dtype = np.float64 if "double" in inp.type else np.float32
    worst = 0.0
    for r in report["results"]:
        for app in (r.get("counterexample") or {}).get("applications", []):
            x = np.asarray(app["input"], dtype=dtype).reshape(shape)
            y = np.asarray(sess.run(None, {inp.name: x})[0], dtype=np.float64).ravel()
            worst = max(worst, float(np.max(np.abs(y - np.asarray(app["output"])))))
    return worst


def run_one(propc, onnx, vnnlib, timeout, grace, check_cex=False):
    cmd = [propc, "check", vnnlib, "--net", onnx, "--timeout", f"{timeout:g}", "--format", "json"]
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + grace)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - start, "killed after the time limit"
    seconds = time.monotonic() - start
    if proc.returncode not in (0, 1, 3):
        return "error", seconds, " | ".join(proc.stderr.strip().splitlines()[:3])
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return "error", seconds, "output is not a JSON report"
    verdict = classify(report)
    if verdict in ("timeout", "unknown") and seconds > timeout + grace:
        verdict = "timeout"
    if verdict == "sat" and check_cex:
        diff = recheck(onnx, report)
        if diff > 1e-4:
            return "error", seconds, f"onnxruntime disagrees with the counterexample's outputs by {diff:g}"
        return verdict, seconds, f"counterexample outputs match onnxruntime to {diff:.1e}"
    return verdict, seconds, None


def read_expected(folder):
    path = os.path.join(folder, "expected_dev.csv")
    expected = {}
    if os.path.exists(path):
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                expected[(row["onnx"], row["vnnlib"])] = row["expected"].strip()
    return expected


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("instances", help="the benchmark's instances.csv")
    ap.add_argument("--propc", required=True, help="path of the propc binary")
    ap.add_argument("--limit", type=int, default=None, help="run at most N instances")
    ap.add_argument("--timeout-scale", type=float, default=1.0, help="multiply every timeout by k")
    ap.add_argument("--filter", default=None, help="regex on `onnx,vnnlib`; only matching rows run")
    ap.add_argument("--grace", type=float, default=10.0, help="seconds beyond the timeout before the process is killed")
    ap.add_argument("--out", default="results.csv", help="where to write the results")
    ap.add_argument("--recheck", action="store_true",
                    help="re-run every counterexample in onnxruntime (needs numpy and onnxruntime)")
    args = ap.parse_args()

    folder = os.path.dirname(os.path.abspath(args.instances))
    expected = read_expected(folder)
    rows = []
    with open(args.instances, newline="") as f:
        for r in csv.reader(f):
            if len(r) < 3 or r[0].strip() == "onnx":
                continue
            onnx, vnnlib, timeout = r[0].strip(), r[1].strip(), float(r[2])
            if args.filter and not re.search(args.filter, f"{onnx},{vnnlib}"):
                continue
            rows.append((onnx, vnnlib, timeout))
    if args.limit is not None:
        rows = rows[: args.limit]

    results = []
    contradictions = []
    for k, (onnx, vnnlib, timeout) in enumerate(rows):
        t = timeout * args.timeout_scale
        verdict, seconds, detail = run_one(
            args.propc, os.path.join(folder, onnx), os.path.join(folder, vnnlib), t, args.grace, args.recheck
        )
        want = expected.get((onnx, vnnlib), "")
        instance = f"{os.path.splitext(os.path.basename(onnx))[0]}+{os.path.splitext(os.path.basename(vnnlib))[0]}"
        results.append((instance, onnx, vnnlib, verdict, seconds, want))
        flag = ""
        if want in ("sat", "unsat") and verdict in ("sat", "unsat") and verdict != want:
            contradictions.append((instance, verdict, want))
            flag = "  <-- CONTRADICTION"
        note = f"  ({detail})" if detail else ""
        print(f"[{k + 1}/{len(rows)}] {instance:<45} {verdict:<8} {seconds:7.2f}s  expected {want or '?'}{flag}{note}", flush=True)

    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["instance", "onnx", "vnnlib", "verdict", "seconds", "expected"])
        for inst, onnx, vnnlib, verdict, seconds, want in results:
            w.writerow([inst, onnx, vnnlib, verdict, f"{seconds:.3f}", want])

    def count(v):
        return sum(1 for r in results if r[3] == v)

    solved = [r for r in results if r[3] in ("sat", "unsat")]
    print()
    print(f"instances: {len(results)}; solved: {len(solved)} ({count('sat')} sat, {count('unsat')} unsat); "
          f"timeout: {count('timeout')}; unknown: {count('unknown')}; error: {count('error')}")
    print(f"total solved time: {sum(r[4] for r in solved):.1f}s; total wall time: {sum(r[4] for r in results):.1f}s")
    print()
    print("| property | instances | expected sat / unsat | solved sat | solved unsat | timeout | unknown | error | solved time (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    props = sorted({r[2] for r in results}, key=lambda p: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", p)])
    for p in props:
        rs = [r for r in results if r[2] == p]
        c = lambda v: sum(1 for r in rs if r[3] == v)  # noqa: E731
        e = lambda v: sum(1 for r in rs if r[5] == v)  # noqa: E731
        st = sum(r[4] for r in rs if r[3] in ("sat", "unsat"))
        name = os.path.splitext(os.path.basename(p))[0]
        print(f"| {name} | {len(rs)} | {e('sat')} / {e('unsat')} | {c('sat')} | {c('unsat')} | {c('timeout')} | {c('unknown')} | {c('error')} | {st:.1f} |")
    print()
    if contradictions:
        print(f"CONTRADICTIONS ({len(contradictions)}): a soundness bug")
        for inst, got, want in contradictions:
            print(f"  {inst}: propc says {got}, expected {want}")
        return 1
    print("contradictions: 0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
