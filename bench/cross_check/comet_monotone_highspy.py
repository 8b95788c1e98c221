#!/usr/bin/env python3
"""Independent cross-check of propc's monotonicity queries on COMET's Auto-MPG network.

Shares no code with propc: reads the ONNX weights itself (onnx.numpy_helper), computes
its own interval bounds, writes its own big-M MILP of two copies of the network and
solves it with HiGHS (highspy). For each monotone feature k it maximizes the violation

    decreasing in k:  max f(y) - f(x)   s.t. x, y in X, x[k] <= y[k], x[j] = y[j] (j != k)
    increasing in k:  max f(x) - f(y)   (same constraints)

over the box X of the training data's per-feature min and max (the box of
specs/auto_mpg/monotone.prop; recomputed here from the CSV and checked against it).
The optimum is re-evaluated with numpy (float64) and onnxruntime (float32, when
installed) to confirm it.

    pip install -r bench/cross_check/requirements.txt
    python3 bench/cross_check/comet_monotone_highspy.py [--out FILE]

Prints JSON {feature: {"max_violation", "x", "y", ...}} on stdout; timings and solver
status go to stderr. Data comes from $PROPC_DATA (default ../shared/data relative to
the workspace root); exits 0 with a "skip:" line when it is absent.
"""
import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
import highspy

FEATURES = ["Cylinders", "Displacement", "Horsepower", "Weight", "Acceleration", "Model Year", "Origin"]

# (feature, direction, source). COMET's comet_config.txt: monotonic_indices = 1 and
# monotonicity_directions = 1, which COMET's verifier reads as "decreasing" (0 is
# "increasing"). The others are the domain constraints of specs/auto_mpg/monotone_domain.prop.
CONSTRAINTS = [
    ("Displacement", "decreasing", "comet_config"),
    ("Cylinders", "decreasing", "domain"),
    ("Horsepower", "decreasing", "domain"),
    ("Weight", "decreasing", "domain"),
    ("Model Year", "increasing", "domain"),
]

# The box written into the specs; checked against the CSV so the two cannot drift.
SPEC_LO = [3, 68, 46, 1613, 8, 70, 1]
SPEC_HI = [8, 455, 230, 4997, 24.8, 82, 3]


def data_root() -> Path:
    env = os.environ.get("PROPC_DATA")
    if env:
        return Path(env)
    return (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()


def load_mlp(path: Path):
    """[(W, b)] with z = h @ W + b, from a MatMul/Add/Relu chain; float64 copies of the weights."""
    model = onnx.load(str(path))
    init = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    layers, pending = [], None
    for node in model.graph.node:
        if node.op_type == "MatMul":
            pending = init[node.input[1]]
        elif node.op_type == "Add":
            bias = init[node.input[1]] if node.input[1] in init else init[node.input[0]]
            layers.append((pending, bias.reshape(-1)))
            pending = None
        elif node.op_type == "Relu":
            pass
        else:
            raise SystemExit(f"unexpected ONNX op {node.op_type}")
    ops = [n.op_type for n in model.graph.node]
    assert ops == ["MatMul", "Add", "Relu"] * (len(layers) - 1) + ["MatMul", "Add"], ops
    return layers


def forward(layers, v):
    h = np.asarray(v, dtype=np.float64)
    for i, (w, b) in enumerate(layers):
        h = h @ w + b
        if i + 1 < len(layers):
            h = np.maximum(h, 0.0)
    return h


def interval_bounds(layers, lo, hi):
    """Pre-activation [l, u] of every layer by interval arithmetic."""
    out = []
    l, u = np.asarray(lo, float), np.asarray(hi, float)
    for i, (w, b) in enumerate(layers):
        wp, wn = np.maximum(w, 0), np.minimum(w, 0)
        zl = l @ wp + u @ wn + b
        zu = u @ wp + l @ wn + b
        out.append((zl, zu))
        l, u = np.maximum(zl, 0), np.maximum(zu, 0)
    return out


class Milp:
    def __init__(self):
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.n = 0

    def var(self, lb, ub, integer=False):
        self.h.addCol(0.0, float(lb), float(ub), 0, np.array([], dtype=np.int32), np.array([], dtype=np.float64))
        if integer:
            self.h.changeColIntegrality(self.n, highspy.HighsVarType.kInteger)
        self.n += 1
        return self.n - 1

    def row(self, lb, ub, terms):
        idx = np.array([i for i, _ in terms], dtype=np.int32)
        val = np.array([c for _, c in terms], dtype=np.float64)
        self.h.addRow(float(lb), float(ub), len(terms), idx, val)


def encode_copy(m: Milp, layers, bounds, inputs):
    """Adds one copy of the network on input columns `inputs`; returns the output's terms + constant."""
    inf = highspy.kHighsInf
    cur = [([(c, 1.0)], 0.0) for c in inputs]  # activation j = sum terms + const
    for li, (w, b) in enumerate(layers):
        zl, zu = bounds[li]
        last = li + 1 == len(layers)
        nxt = []
        for j in range(w.shape[1]):
            terms, const = [], float(b[j])
            for i, (t, c0) in enumerate(cur):
                if w[i, j] == 0.0:
                    continue
                terms += [(col, w[i, j] * c) for col, c in t]
                const += w[i, j] * c0
            if last:
                nxt.append((terms, const))
                continue
            if zu[j] <= 0:  # always inactive
                nxt.append(([], 0.0))
            elif zl[j] >= 0:  # always active: h = z
                nxt.append((terms, const))
            else:
                hcol = m.var(0.0, zu[j])
                d = m.var(0.0, 1.0, integer=True)
                # h >= z  <=>  h - z >= const
                m.row(const, inf, [(hcol, 1.0)] + [(c, -v) for c, v in terms])
                # h <= z - l (1 - d)  <=>  h - z - l d <= const - l
                m.row(-inf, const - zl[j], [(hcol, 1.0), (d, -zl[j])] + [(c, -v) for c, v in terms])
                # h <= u d
                m.row(-inf, 0.0, [(hcol, 1.0), (d, -zu[j])])
                nxt.append(([(hcol, 1.0)], 0.0))
        cur = nxt
    assert len(cur) == 1
    return cur[0]


def merge(terms):
    acc = {}
    for c, v in terms:
        acc[c] = acc.get(c, 0.0) + v
    return acc


def solve_feature(layers, lo, hi, k, direction, time_limit):
    bounds = interval_bounds(layers, lo, hi)
    m = Milp()
    shared = [m.var(lo[j], hi[j]) if j != k else None for j in range(len(lo))]
    xk, yk = m.var(lo[k], hi[k]), m.var(lo[k], hi[k])
    m.row(-highspy.kHighsInf, 0.0, [(xk, 1.0), (yk, -1.0)])  # x[k] <= y[k]
    xin = [xk if j == k else shared[j] for j in range(len(lo))]
    yin = [yk if j == k else shared[j] for j in range(len(lo))]
    fx_terms, fx_c = encode_copy(m, layers, bounds, xin)
    fy_terms, fy_c = encode_copy(m, layers, bounds, yin)
    # decreasing: violation f(y) - f(x); increasing: f(x) - f(y)
    s = 1.0 if direction == "decreasing" else -1.0
    obj = merge([(c, s * v) for c, v in fy_terms] + [(c, -s * v) for c, v in fx_terms])
    offset = s * (fy_c - fx_c)
    for c, v in obj.items():
        m.h.changeColCost(c, v)
    m.h.changeObjectiveOffset(offset)
    m.h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    for opt, val in [("mip_rel_gap", 1e-9), ("mip_abs_gap", 1e-9), ("time_limit", float(time_limit)),
                     ("primal_feasibility_tolerance", 1e-9), ("mip_feasibility_tolerance", 1e-9),
                     ("random_seed", 0)]:
        m.h.setOptionValue(opt, val)
    t0 = time.perf_counter()
    m.h.run()
    secs = time.perf_counter() - t0
    status = m.h.modelStatusToString(m.h.getModelStatus())
    info = m.h.getInfo()
    col = np.array(m.h.getSolution().col_value)
    x = [float(col[c]) for c in xin]
    y = [float(col[c]) for c in yin]
    n_bin = sum(1 for (zl, zu) in bounds[:-1] for a, b in zip(zl, zu) if a < 0 < b) * 2
    return {
        "direction": direction,
        "max_violation": float(info.objective_function_value),
        "dual_bound": float(info.mip_dual_bound),
        "mip_gap": float(info.mip_gap),
        "status": status,
        "x": x,
        "y": y,
        "seconds": secs,
        "binaries": n_bin,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="also write the JSON to this file")
    ap.add_argument("--time-limit", type=float, default=300.0, help="HiGHS time limit per feature, seconds")
    args = ap.parse_args()

    root = data_root()
    net = root / "networks" / "comet_auto_mpg.onnx"
    train = root / "tabular" / "auto_mpg" / "train_data.csv"
    if not net.is_file() or not train.is_file():
        print(f"skip: shared data not found under {root} (set PROPC_DATA)", file=sys.stderr)
        return 0

    with train.open(newline="") as fh:
        rows = list(csv.reader(fh))
    cols = [rows[0].index(f) for f in FEATURES]
    data = np.array([[float(r[c]) for c in cols] for r in rows[1:]])
    lo, hi = data.min(axis=0), data.max(axis=0)
    if not (np.allclose(lo, SPEC_LO) and np.allclose(hi, SPEC_HI)):
        raise SystemExit(f"box of {train} ({lo}, {hi}) differs from the spec's ({SPEC_LO}, {SPEC_HI})")

    layers = load_mlp(net)
    try:
        import onnxruntime as ort
        sess = ort.InferenceSession(str(net), providers=["CPUExecutionProvider"])
        in_name = sess.get_inputs()[0].name

        def ort_eval(v):
            return float(sess.run(None, {in_name: np.asarray([v], dtype=np.float32)})[0].reshape(-1)[0])
    except ImportError:
        ort_eval = None

    result = {}
    for name, direction, source in CONSTRAINTS:
        k = FEATURES.index(name)
        r = solve_feature(layers, lo, hi, k, direction, args.time_limit)
        s = 1.0 if direction == "decreasing" else -1.0
        fx, fy = float(forward(layers, r["x"])[0]), float(forward(layers, r["y"])[0])
        r["source"] = source
        r["f_x"], r["f_y"] = fx, fy
        r["numpy_violation"] = s * (fy - fx)
        if ort_eval is not None:
            r["onnxruntime_violation"] = s * (ort_eval(r["y"]) - ort_eval(r["x"]))
        # The optimum must be a real point of the region and its value the network's.
        assert all(lo[j] - 1e-6 <= r["x"][j] <= hi[j] + 1e-6 and lo[j] - 1e-6 <= r["y"][j] <= hi[j] + 1e-6
                   for j in range(len(lo)))
        assert r["x"][k] <= r["y"][k] + 1e-6
        assert all(abs(r["x"][j] - r["y"][j]) <= 1e-9 for j in range(len(lo)) if j != k)
        assert abs(r["numpy_violation"] - r["max_violation"]) <= 1e-5 * max(1.0, abs(r["max_violation"])), r
        print(f"{name:13s} {direction:10s} max violation {r['max_violation']:.9f} "
              f"(dual bound {r['dual_bound']:.9f}, {r['status']}, {r['binaries']} binaries) "
              f"numpy {r['numpy_violation']:.9f} in {r['seconds']:.3f}s", file=sys.stderr)
        result[name] = r

    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
