#!/usr/bin/env python3
"""Runs propc and the highspy cross-check in one go and prints the results table.

    python3 bench/cross_check/compare.py [--propc PATH] [--solver microlp|highs|scip] [--write-expected]

propc runs `check --format json --timeout 300` on specs/auto_mpg/monotone.prop and
monotone_domain.prop; comet_monotone_highspy.py runs in the same process tree right
after. Prints a markdown table (per feature: propc's [lower, upper], highspy's optimum,
relative difference, seconds of each) and exits 1 when propc's enclosure excludes the
highspy optimum (unsound) or an `exact` one differs by more than 1e-4 relative.
--write-expected also rewrites comet_auto_mpg_expected.json with highspy's output.
Data from $PROPC_DATA (default ../shared/data from the workspace root).
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# query name -> (spec, feature key of the highspy JSON)
QUERIES = [
    ("displacement_violation", "specs/auto_mpg/monotone.prop", "Displacement"),
    ("cylinders_violation", "specs/auto_mpg/monotone_domain.prop", "Cylinders"),
    ("horsepower_violation", "specs/auto_mpg/monotone_domain.prop", "Horsepower"),
    ("weight_violation", "specs/auto_mpg/monotone_domain.prop", "Weight"),
    ("model_year_violation", "specs/auto_mpg/monotone_domain.prop", "Model Year"),
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--propc", default=os.environ.get("PROPC", "/root/.cache/propc-target/debug/propc"))
    ap.add_argument("--solver", default="microlp")
    ap.add_argument("--write-expected", action="store_true")
    args = ap.parse_args()

    data = Path(os.environ.get("PROPC_DATA", ROOT / ".." / "shared" / "data"))
    net = data / "networks" / "comet_auto_mpg.onnx"
    if not net.is_file():
        print(f"skip: {net} not found (set PROPC_DATA)", file=sys.stderr)
        return 0

    propc = {}
    for spec in sorted({s for _, s, _ in QUERIES}):
        t0 = time.perf_counter()
        out = subprocess.run([args.propc, "check", spec, "--net", f"f={net}", "--format", "json",
                              "--timeout", "300", "--solver", args.solver],
                             cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        report = json.loads(out.stdout)
        print(f"propc {spec}: exit {out.returncode}, {wall:.2f}s wall", file=sys.stderr)
        for r in report["results"]:
            propc[r["name"]] = r

    cmd = [sys.executable, str(HERE / "comet_monotone_highspy.py")]
    if args.write_expected:
        cmd += ["--out", str(HERE / "comet_auto_mpg_expected.json")]
    t0 = time.perf_counter()
    hs = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    print(f"highspy script: {time.perf_counter() - t0:.2f}s wall", file=sys.stderr)

    bad = 0
    print(f"| feature | query | propc [lower, upper] | exact | highspy optimum | rel. diff (lower) "
          f"| propc s ({args.solver}) | highspy s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, _, key in QUERIES:
        q, h = propc[name], hs[key]
        best = h["max_violation"]
        lo, up = q["lower"], q["upper"]
        rel = abs(lo - best) / abs(best) if lo is not None else float("nan")
        tol = 1e-4 * abs(best)
        sound = (lo is None or lo <= best + tol) and (up is None or up >= best - tol)
        match = not q["exact"] or (abs(lo - best) <= tol and abs(up - best) <= tol)
        flag = "" if sound and match else " **MISMATCH**"
        bad += flag != ""
        fmt = lambda v: "null" if v is None else f"{v:.9g}"
        print(f"| {key} | `{name}` | [{fmt(lo)}, {fmt(up)}] | {q['exact']} | {best:.9g} | {rel:.1e}{flag} "
              f"| {q['seconds']:.2f} | {h['seconds']:.2f} |")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
