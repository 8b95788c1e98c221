#!/usr/bin/env python3
"""Re-checks the counterexamples of a `propc bench vnncomp` run in onnxruntime.

Takes: the run's `results.csv`, its `--cex-dir` and the benchmark folder (the folder of
`instances.csv`; the csv's `onnx` paths are relative to it).
Gives: for every `sat` row, runs the network in onnxruntime at the counterexample's X
(VNN-COMP format, `INSTANCE.counterexample`) and compares the outputs with its Y; prints
one line per instance and the largest difference.
Invariant: exit code 1 when a counterexample file is missing or malformed, or when an
output differs by more than `--tolerance` (default 1e-4, the VNN-COMP tolerance); 0
otherwise. Needs numpy and onnxruntime (`pip install numpy onnxruntime`); propc itself
evaluates networks in f64, onnxruntime usually in float32, hence the tolerance.
"""

import argparse
import csv
import os
import re
import sys

import numpy as np
import onnxruntime as ort

ENTRY = re.compile(r"\(\s*([XY])_(\d+)\s+(\S+?)\s*\)")


def parse_cex(text):
    """(X, Y) of a VNN-COMP counterexample file (`sat` then `((X_0 v) ... (Y_m v))`)."""
    lines = text.strip().splitlines()
    if not lines or lines[0].strip() != "sat":
        raise ValueError("the first line is not `sat`")
    xs, ys = {}, {}
    for kind, index, value in ENTRY.findall("\n".join(lines[1:])):
        (xs if kind == "X" else ys)[int(index)] = float(value)
    for name, d in (("X", xs), ("Y", ys)):
        if sorted(d) != list(range(len(d))) or not d:
            raise ValueError(f"the {name} indices are not 0..n-1")
    return [xs[i] for i in range(len(xs))], [ys[j] for j in range(len(ys))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", help="results.csv of `propc bench vnncomp`")
    ap.add_argument("--cex-dir", required=True, help="the run's --cex-dir")
    ap.add_argument("--benchmark", required=True, help="the folder of instances.csv")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()

    sessions = {}
    worst, failures, checked = 0.0, 0, 0
    with open(args.results, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["verdict"] == "sat"]
    for r in rows:
        path = os.path.join(args.cex_dir, r["instance"] + ".counterexample")
        try:
            with open(path) as f:
                x, y = parse_cex(f.read())
        except (OSError, ValueError) as e:
            print(f"{r['instance']}: bad counterexample file `{path}`: {e}")
            failures += 1
            continue
        onnx = os.path.join(args.benchmark, r["onnx"])
        if onnx not in sessions:
            sessions[onnx] = ort.InferenceSession(onnx)
        sess = sessions[onnx]
        inp = sess.get_inputs()[0]
        shape = [d if isinstance(d, int) else 1 for d in inp.shape]
        dtype = np.float64 if "double" in inp.type else np.float32
        out = sess.run(None, {inp.name: np.asarray(x, dtype=dtype).reshape(shape)})[0]
        got = np.asarray(out, dtype=np.float64).ravel()
        if got.size != len(y):
            print(f"{r['instance']}: the network gives {got.size} outputs, the file {len(y)}")
            failures += 1
            continue
        diff = float(np.max(np.abs(got - np.asarray(y))))
        worst = max(worst, diff)
        checked += 1
        bad = diff > args.tolerance
        failures += bad
        print(f"{r['instance']}: max |Y - onnxruntime| = {diff:.2e}{'  <-- MISMATCH' if bad else ''}")
    print(f"{checked} counterexamples checked, largest difference {worst:.2e}, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
