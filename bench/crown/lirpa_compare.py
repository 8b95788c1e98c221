"""Cross-check propc's CROWN against auto_LiRPA's on ONNX MLPs.

Takes: the propc bench binary (`crown_bench`, see README.md) and, per case, an ONNX
file and an input box.
Gives: a Markdown table on stdout: the largest relative difference between the two
CROWN output bounds (pure CROWN on both sides, float64), and the median time of 5 runs
of each (auto_LiRPA: `compute_bounds(method='CROWN')` on an already built
`BoundedModule`; propc: `crown_intervals`, pure), plus IBP for reference. Exits 1 if
the bounds disagree by more than 1e-5 relative.
Invariant: the torch model is built by copying the ONNX initializers into a
`torch.nn.Sequential` (Sub/Div by constants, Flatten, MatMul + Add as Linear, Relu);
nothing else of the ONNX graph is used.
"""

import json
import statistics
import subprocess
import sys
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from auto_LiRPA import BoundedModule, BoundedTensor
from auto_LiRPA.perturbations import PerturbationLpNorm

ACAS = "/work/shared/data/vnncomp/acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx"
# X_i bounds of vnnlib/prop_1.vnnlib
ACAS_LO = [0.6, -0.5, -0.5, 0.45, -0.5]
ACAS_HI = [0.679857769, 0.5, 0.5, 0.5, -0.45]
CLASSIFIER = "specs/networks/classifier.onnx"
# An L-inf ball of radius 0.25 around the first sample of specs/data/points.csv.
CLS_LO = [0.07 - 0.25, 0.24 - 0.25]
CLS_HI = [0.07 + 0.25, 0.24 + 0.25]
RUNS = 5
TOL = 1e-5


class Const(torch.nn.Module):
    def __init__(self, op, c):
        super().__init__()
        self.op = op
        self.register_buffer("c", torch.tensor(c, dtype=torch.float64))

    def forward(self, x):
        return x - self.c if self.op == "Sub" else x / self.c


def sequential(path):
    """The ONNX MLP as a float64 torch.nn.Sequential."""
    g = onnx.load(path).graph
    init = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    layers = []
    nodes = list(g.node)
    i = 0
    while i < len(nodes):
        n = nodes[i]
        if n.op_type in ("Sub", "Div"):
            layers.append(Const(n.op_type, init[n.input[1]]))
        elif n.op_type == "Flatten":
            layers.append(torch.nn.Flatten())
        elif n.op_type == "MatMul":
            w = init[n.input[1]]
            lin = torch.nn.Linear(w.shape[0], w.shape[1], bias=False).double()
            lin.weight.data = torch.tensor(w.T.copy())
            if i + 1 < len(nodes) and nodes[i + 1].op_type == "Add":
                b = init[nodes[i + 1].input[1]]
                lin.bias = torch.nn.Parameter(torch.tensor(b))
                i += 1
            layers.append(lin)
        elif n.op_type == "Relu":
            layers.append(torch.nn.ReLU())
        else:
            raise SystemExit(f"unsupported op {n.op_type} in {path}")
        i += 1
    shape = [d.dim_value for d in g.input[0].type.tensor_type.shape.dim]
    return torch.nn.Sequential(*layers).double().eval(), shape


def median_ms(f):
    t = []
    for _ in range(RUNS):
        s = time.perf_counter()
        f()
        t.append((time.perf_counter() - s) * 1e3)
    return statistics.median(t)


def lirpa(path, lo, hi):
    model, shape = sequential(path)
    xl = torch.tensor(lo, dtype=torch.float64).reshape(shape)
    xu = torch.tensor(hi, dtype=torch.float64).reshape(shape)
    center = (xl + xu) / 2
    # Pure CROWN: auto_LiRPA's default bounds only the IBP-unstable neurons of a layer
    # by CROWN (when at most 90% are) and keeps IBP for the others, a hybrid.
    bm = BoundedModule(
        model,
        torch.zeros_like(center),
        device="cpu",
        bound_opts={"sparse_intermediate_bounds": False},
    )
    ptb = PerturbationLpNorm(norm=float("inf"), x_L=xl, x_U=xu)
    x = BoundedTensor(center, ptb)
    out = {}
    for method in ("IBP", "CROWN"):
        l, u = bm.compute_bounds(x=(x,), method=method)
        out[method] = (l.flatten().tolist(), u.flatten().tolist())
        out[method + "_ms"] = median_ms(lambda: bm.compute_bounds(x=(x,), method=method))
    return out


def propc(binary, path, lo, hi):
    args = [binary, path, ",".join(map(repr, lo)), ",".join(map(repr, hi)), str(RUNS)]
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def rel(a, b):
    return max(abs(x - y) / max(abs(x), abs(y), 1e-12) for x, y in zip(a, b))


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/examples/crown_bench"
    torch.set_num_threads(1)
    rows, ok = [], True
    for name, path, lo, hi in (
        ("ACAS Xu 1_1, prop_1 box", ACAS, ACAS_LO, ACAS_HI),
        ("classifier.onnx, x0 ± 0.25", CLASSIFIER, CLS_LO, CLS_HI),
    ):
        a = lirpa(path, lo, hi)
        p = propc(binary, path, lo, hi)
        d_crown = max(rel(a["CROWN"][0], p["crown"]["lo"]), rel(a["CROWN"][1], p["crown"]["hi"]))
        d_ibp = max(rel(a["IBP"][0], p["ibp"]["lo"]), rel(a["IBP"][1], p["ibp"]["hi"]))
        ok &= d_crown <= TOL and d_ibp <= TOL
        rows.append((name, a, p, d_crown, d_ibp))
        print(json.dumps({"case": name, "auto_LiRPA": a, "propc": p}), file=sys.stderr)
    print("| case | max rel. diff CROWN | max rel. diff IBP | auto_LiRPA CROWN ms | propc CROWN ms | auto_LiRPA IBP ms | propc IBP ms | propc CROWN∩IBP ms | propc α-CROWN ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, a, p, dc, di in rows:
        ms = p["ms"]
        print(
            f"| {name} | {dc:.1e} | {di:.1e} | {a['CROWN_ms']:.2f} | {ms['crown']:.2f} | "
            f"{a['IBP_ms']:.2f} | {ms['ibp']:.3f} | {ms['crown_ibp']:.2f} | {ms['alpha']:.2f} |"
        )
    print()
    for name, a, p, _, _ in rows:
        print(f"{name}: output 0 CROWN auto_LiRPA [{a['CROWN'][0][0]:.9g}, {a['CROWN'][1][0]:.9g}]"
              f" propc [{p['crown']['lo'][0]:.9g}, {p['crown']['hi'][0]:.9g}];"
              f" propc CROWN∩IBP [{p['crown_ibp']['lo'][0]:.9g}, {p['crown_ibp']['hi'][0]:.9g}];"
              f" α-CROWN [{p['alpha']['lo'][0]:.9g}, {p['alpha']['hi'][0]:.9g}]")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
