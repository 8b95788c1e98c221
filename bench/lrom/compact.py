#!/usr/bin/env python3
"""Make compact (pruned, quantized) copies of an ONNX classifier, for local-implication benchmarks.

Takes: an ONNX network (e.g. /work/shared/data/vnncomp/mnist_fc/onnx/mnist-net_256x2.onnx;
that data is read-only and is never copied) and, optionally, a propc dataset CSV of samples
(`samples.py` writes one: header, then rows of features and an integer class).

Gives: OUT/<network stem>/{pruned10..pruned90,fp16,int8,int4}.onnx (OUT defaults to
/tmp/lrom and may not be inside the repository) and OUT/<network stem>/summary.csv; it
prints one line per copy.

Each copy is the original model with only its weight initializers rewritten: same graph,
same nodes, same opset, weights still float32, biases and every other initializer
byte-identical. A weight is an initializer consumed as Gemm's B, as a MatMul operand or
as Conv's W; its output-channel axis is 0 for Gemm with transB=1 and for Conv, the last
axis for Gemm with transB=0 and for MatMul's right operand.

  * pruned<p>: magnitude pruning, per layer by default: in every weight tensor the
    round(p% of its size) entries of smallest |w| are set to 0 (ties broken by position),
    so each layer is exactly p% zeros (more if it already had zeros). `--prune-scope
    global` instead ranks all weights of the network together, so layers end up with
    different sparsities. Biases are never pruned.
  * fp16: every weight rounded to float16 (round-to-nearest-even) and back to float32.
  * int8, int4: symmetric per-output-channel quantization (`--granularity tensor` for one
    scale per tensor): scale = max|w| / (2^(b-1) - 1) over the channel, q = clip(rint(w /
    scale), -(2^(b-1) - 1), 2^(b-1) - 1) (so int8 uses -127..127 and int4 -7..7, the
    symmetric range without -2^(b-1)), and the weight is dequantized back to float32 as
    q * scale. Biases stay float32 (int8 deployments keep them in int32 at scale
    s_w * s_x, which is far finer than the weights).

For each copy it prints the fraction of zero weights, the largest |w_copy - w_orig|,
then checks with onnxruntime that the copy loads and runs, and compares it with the
original on a set of inputs: with --samples, each sample and --per-sample points drawn
from its L-inf ball of radius --delta (half uniformly inside, half uniformly among its
vertices), clipped to [0, 1] unless --no-clip (propc's
`ball(x0, delta)` is not clipped: use --no-clip to sample the region propc verifies);
without --samples, --random points uniform in [0, 1]^n (on which an MNIST network tends to
predict a single class, which is printed). Reported: top-1 agreement with the original, the largest
logit difference, accuracy on the samples themselves, and, per sample, the sampled range
of D(x) = min over j != c of [(orig(x)[c] - orig(x)[j]) - (copy(x)[c] - copy(x)[j])], the
margin gap that propc's std.compare `implies(copy, orig, x0, c, delta)` requires to be
>= 0 on the whole ball. `copy=>orig` counts samples where no sampled point has D < 0 and
`orig=>copy` those where no sampled point has the reverse gap negative; sampling can
refute an implication, never prove one.

Needs numpy, onnx and onnxruntime (bench/lrom/requirements.txt); it installs nothing.
"""

from __future__ import annotations

import argparse
import copy as copymod
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

PRUNE_DEFAULT = "10,20,30,40,50,60,70,80,90"
QUANT_DEFAULT = "fp16,int8,int4"


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def refuse_repo_output(out: Path) -> None:
    out = out.resolve()
    root = repo_root()
    if out == root or root in out.parents:
        sys.exit(f"error: output directory {out} is inside the repository {root}; write under /tmp")


# --- finding the weights -------------------------------------------------------------


def weight_axes(model: onnx.ModelProto) -> dict[str, int]:
    """Initializer name -> output-channel axis, for every initializer used as a weight."""
    inits = {t.name: t for t in model.graph.initializer}
    axes: dict[str, int] = {}

    def add(name: str, axis: int) -> None:
        if name not in inits:
            return
        t = inits[name]
        if len(t.dims) < 2:
            return
        if t.data_type != onnx.TensorProto.FLOAT:
            sys.exit(f"error: weight {name} is {onnx.TensorProto.DataType.Name(t.data_type)}, not float32")
        axis %= len(t.dims)
        if axes.get(name, axis) != axis:
            sys.exit(f"error: weight {name} is used with output-channel axes {axes[name]} and {axis}")
        axes[name] = axis

    for node in model.graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Gemm" and len(node.input) > 1:
            add(node.input[1], 0 if attrs.get("transB", 0) else -1)
            if len(node.input) > 0 and node.input[0] in inits:
                add(node.input[0], -1 if attrs.get("transA", 0) else 0)
        elif node.op_type == "MatMul":
            add(node.input[1], -1)
            add(node.input[0], -2)
        elif node.op_type == "Conv" and len(node.input) > 1:
            add(node.input[1], 0)
    return axes


# --- the compactions ------------------------------------------------------------------


def prune(weights: dict[str, np.ndarray], ratio: float, scope: str) -> dict[str, np.ndarray]:
    out = {n: w.copy() for n, w in weights.items()}
    if scope == "layer":
        for n, w in out.items():
            k = int(round(ratio * w.size))
            idx = np.argsort(np.abs(w).ravel(), kind="stable")[:k]
            w.reshape(-1)[idx] = 0.0
    else:
        names = list(out)
        flat = np.concatenate([np.abs(out[n]).ravel() for n in names])
        k = int(round(ratio * flat.size))
        chosen = np.zeros(flat.size, dtype=bool)
        chosen[np.argsort(flat, kind="stable")[:k]] = True
        start = 0
        for n in names:
            w = out[n]
            w.reshape(-1)[chosen[start : start + w.size]] = 0.0
            start += w.size
    return out


def to_fp16(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {}
    for n, w in weights.items():
        h = w.astype(np.float16)
        if not np.isfinite(h).all():
            sys.exit(f"error: weight {n} overflows float16")
        out[n] = h.astype(np.float32)
    return out


def quantize(
    weights: dict[str, np.ndarray], axes: dict[str, int], bits: int, granularity: str
) -> tuple[dict[str, np.ndarray], float]:
    """Symmetric quantization, dequantized to float32. Also returns the largest scale."""
    qmax = 2 ** (bits - 1) - 1
    out = {}
    largest = 0.0
    for n, w in weights.items():
        w64 = w.astype(np.float64)
        if granularity == "channel":
            reduce = tuple(i for i in range(w.ndim) if i != axes[n])
            amax = np.abs(w64).max(axis=reduce, keepdims=True)
        else:
            amax = np.abs(w64).max(keepdims=True)
        scale = np.where(amax > 0, amax / qmax, 1.0)
        q = np.clip(np.rint(w64 / scale), -qmax, qmax)
        out[n] = (q * scale).astype(np.float32)
        largest = max(largest, float(scale[amax > 0].max()) if (amax > 0).any() else 0.0)
    return out, largest


# --- writing --------------------------------------------------------------------------


def rewrite(model: onnx.ModelProto, new: dict[str, np.ndarray]) -> onnx.ModelProto:
    out = copymod.deepcopy(model)
    for i, t in enumerate(out.graph.initializer):
        if t.name in new:
            a = new[t.name]
            assert a.dtype == np.float32 and tuple(a.shape) == tuple(t.dims), t.name
            out.graph.initializer[i].CopyFrom(numpy_helper.from_array(a, t.name))
    # Only the weights changed: same nodes, inputs, outputs, opsets, other initializers.
    def same(xs, ys) -> bool:
        return [x.SerializeToString() for x in xs] == [y.SerializeToString() for y in ys]

    g, h = model.graph, out.graph
    assert same(g.node, h.node) and same(g.input, h.input) and same(g.output, h.output)
    assert same(model.opset_import, out.opset_import)
    assert same(
        [t for t in g.initializer if t.name not in new], [t for t in h.initializer if t.name not in new]
    )
    onnx.checker.check_model(out)
    return out


# --- checking with onnxruntime --------------------------------------------------------


@dataclass
class Inputs:
    points: np.ndarray  # (N, n) every input the copies are compared on
    centre_rows: np.ndarray  # index into points of each sample (empty without samples)
    labels: np.ndarray  # class of each sample
    ball_of: np.ndarray  # (N,) sample index of each point, -1 for random points
    description: str = ""


def read_samples(path: Path) -> tuple[np.ndarray, np.ndarray]:
    rows = []
    with path.open() as f:
        for r in csv.reader(f):
            if not r or r[0].lstrip().startswith("#"):
                continue
            try:
                rows.append([float(v) for v in r])
            except ValueError:
                if rows:
                    raise
    a = np.array(rows)
    return a[:, :-1], a[:, -1].astype(int)


def make_inputs(n: int, args: argparse.Namespace) -> Inputs:
    rng = np.random.default_rng(args.seed)
    if args.samples is None:
        pts = rng.uniform(0.0, 1.0, size=(args.random, n))
        none = np.zeros(0, int)
        return Inputs(pts, none, none, np.full(len(pts), -1), f"{args.random} uniform points in [0,1]^{n}")
    x0, labels = read_samples(args.samples)
    if x0.shape[1] != n:
        sys.exit(f"error: {args.samples} has {x0.shape[1]} features, the network takes {n}")
    pts, ball_of, centres = [], [], []
    for i, x in enumerate(x0):
        centres.append(len(pts))
        pts.append(x)
        ball_of.append(i)
        # Half inside the ball, half on its vertices (x0 +- delta), where ReLU networks'
        # extreme values tend to lie.
        inner = rng.uniform(-args.delta, args.delta, size=(args.per_sample - args.per_sample // 2, n))
        corners = args.delta * rng.choice([-1.0, 1.0], size=(args.per_sample // 2, n))
        near = x + np.concatenate([inner, corners])
        if not args.no_clip:
            near = np.clip(near, 0.0, 1.0)
        pts.extend(near)
        ball_of.extend([i] * args.per_sample)
    desc = f"{len(x0)} samples + {args.per_sample} points in and on the vertices of each L-inf ball of radius "
    desc += f"{args.delta:g}" + (" (not clipped)" if args.no_clip else " (clipped to [0,1])")
    return Inputs(np.array(pts), np.array(centres), labels, np.array(ball_of), desc)


class Runner:
    def __init__(self, ort, model: onnx.ModelProto):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        self.sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        (inp,) = self.sess.get_inputs()
        self.name = inp.name
        self.shape = list(inp.shape)
        self.batched = not isinstance(self.shape[0], int) or self.shape[0] != 1

    def n_features(self) -> int:
        return int(np.prod([d for d in self.shape[1:]]))

    def __call__(self, pts: np.ndarray) -> np.ndarray:
        shape = [-1] + [int(d) for d in self.shape[1:]]
        x = pts.astype(np.float32).reshape(shape)
        if self.batched:
            (y,) = self.sess.run(None, {self.name: x})
            return y.reshape(len(pts), -1)
        return np.concatenate([self.sess.run(None, {self.name: x[i : i + 1]})[0].reshape(1, -1) for i in range(len(x))])


def margin_gap(orig: np.ndarray, comp: np.ndarray, c: int) -> np.ndarray:
    """min over j != c of (orig[c] - orig[j]) - (comp[c] - comp[j]), and the reverse, per row."""
    d = (orig[:, [c]] - orig) - (comp[:, [c]] - comp)
    d = np.delete(d, c, axis=1)
    return d.min(axis=1), (-d).min(axis=1)


@dataclass
class Report:
    name: str
    zero_frac: float
    layer_zero: list[float]
    max_dw: float
    note: str = ""
    agree: float = float("nan")
    max_dlogit: float = float("nan")
    acc: str = ""
    gap_min: float = float("nan")
    gap_max: float = float("nan")
    c_implies_o: str = ""
    o_implies_c: str = ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("network", type=Path, help="ONNX classifier")
    ap.add_argument("--out", type=Path, default=Path("/tmp/lrom"), help="output directory (default /tmp/lrom)")
    ap.add_argument("--prune", default=PRUNE_DEFAULT, help=f"percentages (default {PRUNE_DEFAULT}; '' for none)")
    ap.add_argument("--prune-scope", choices=["layer", "global"], default="layer")
    ap.add_argument("--quant", default=QUANT_DEFAULT, help=f"quantizations (default {QUANT_DEFAULT}; '' for none)")
    ap.add_argument("--granularity", choices=["channel", "tensor"], default="channel", help="int quantization scales")
    ap.add_argument("--samples", type=Path, help="propc dataset CSV (samples.py's output) to compare on")
    ap.add_argument("--delta", type=float, default=0.01, help="L-inf radius around each sample (default 0.01)")
    ap.add_argument("--per-sample", type=int, default=100, help="points drawn in each ball (default 100)")
    ap.add_argument("--no-clip", action="store_true", help="do not clip the ball points to [0, 1] (as propc's ball)")
    ap.add_argument("--random", type=int, default=1000, help="uniform points without --samples (default 1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-check", action="store_true", help="skip the onnxruntime check")
    args = ap.parse_args()

    refuse_repo_output(args.out)
    model = onnx.load(str(args.network))
    axes = weight_axes(model)
    if not axes:
        sys.exit("error: no weight initializers (Gemm B, MatMul operand, Conv W) found")
    inits = {t.name: t for t in model.graph.initializer}
    weights = {n: numpy_helper.to_array(inits[n]).astype(np.float32) for n in axes}
    total = sum(w.size for w in weights.values())
    print(f"{args.network}: {len(weights)} weight tensors, {total} weights")
    for n, w in weights.items():
        print(f"  {n:24s} {str(tuple(w.shape)):12s} output-channel axis {axes[n]}  max|w| {np.abs(w).max():.4g}")

    copies: list[tuple[str, dict[str, np.ndarray], str]] = []
    for p in [int(s) for s in args.prune.split(",") if s.strip()]:
        if not 0 < p < 100:
            sys.exit(f"error: pruning percentage {p} not in 1..99")
        copies.append((f"pruned{p}", prune(weights, p / 100, args.prune_scope), f"magnitude, {args.prune_scope}"))
    for q in [s.strip() for s in args.quant.split(",") if s.strip()]:
        if q == "fp16":
            copies.append(("fp16", to_fp16(weights), "float16 round trip"))
        elif q in ("int8", "int4"):
            bits = int(q[3:])
            new, largest = quantize(weights, axes, bits, args.granularity)
            copies.append((q, new, f"symmetric per-{args.granularity}, largest scale {largest:.3g}"))
        else:
            sys.exit(f"error: unknown quantization {q} (fp16, int8, int4)")

    outdir = args.out / args.network.stem
    outdir.mkdir(parents=True, exist_ok=True)
    reports: list[Report] = []
    written: list[tuple[Report, onnx.ModelProto]] = []
    for name, new, note in copies:
        m = rewrite(model, new)
        onnx.save(m, str(outdir / f"{name}.onnx"))
        zeros = [float((w == 0).mean()) for w in new.values()]
        zero_frac = sum(float((w == 0).sum()) for w in new.values()) / total
        max_dw = max(float(np.abs(new[n] - weights[n]).max()) for n in weights)
        r = Report(name, zero_frac, zeros, max_dw, note)
        reports.append(r)
        written.append((r, m))

    if not args.no_check:
        try:
            import onnxruntime as ort
        except ImportError:
            sys.exit("error: onnxruntime is not installed (see bench/lrom/requirements.txt), or pass --no-check")
        base = Runner(ort, model)
        inputs = make_inputs(base.n_features(), args)
        y0 = base(inputs.points)
        top0 = y0.argmax(axis=1)
        print(f"checked with onnxruntime {ort.__version__} on {len(inputs.points)} inputs: {inputs.description}")
        print(f"original: predicts {len(np.unique(top0))} distinct classes on them")
        if len(inputs.labels):
            acc0 = int((top0[inputs.centre_rows] == inputs.labels).sum())
            print(f"original: {acc0}/{len(inputs.labels)} samples classified as their label")
        for r, m in written:
            y = Runner(ort, m)(inputs.points)
            if not np.isfinite(y).all():
                sys.exit(f"error: {r.name} produced non-finite outputs")
            r.agree = float((y.argmax(axis=1) == top0).mean())
            r.max_dlogit = float(np.abs(y - y0).max())
            if len(inputs.labels):
                r.acc = f"{int((y.argmax(axis=1)[inputs.centre_rows] == inputs.labels).sum())}/{len(inputs.labels)}"
                lo, hi, ok_co, ok_oc = [], [], 0, 0
                for s, c in enumerate(inputs.labels):
                    rows = inputs.ball_of == s
                    fwd, rev = margin_gap(y0[rows], y[rows], int(c))
                    lo.append(fwd.min())
                    hi.append(-rev.min())
                    ok_co += bool(fwd.min() >= 0)
                    ok_oc += bool(rev.min() >= 0)
                r.gap_min, r.gap_max = float(min(lo)), float(max(hi))
                r.c_implies_o = f"{ok_co}/{len(inputs.labels)}"
                r.o_implies_c = f"{ok_oc}/{len(inputs.labels)}"

    print(f"copies written to {outdir}/ (only weight initializers differ from {args.network.name})")
    head = f"{'copy':9s} {'zeros':>7s} {'per layer':>17s} {'max|dw|':>9s}"
    if not args.no_check:
        head += f" {'agree':>7s} {'max|dy|':>8s}"
        if args.samples:
            head += f" {'acc':>6s} {'sampled D range':>19s} {'copy=>orig':>10s} {'orig=>copy':>10s}"
    print(head)
    for r in reports:
        layers = f"{100 * min(r.layer_zero):.1f}-{100 * max(r.layer_zero):.1f}%"
        line = f"{r.name:9s} {100 * r.zero_frac:6.2f}% {layers:>17s} {r.max_dw:9.3g}"
        if not args.no_check:
            line += f" {100 * r.agree:6.2f}% {r.max_dlogit:8.3g}"
            if args.samples:
                gaps = f"[{r.gap_min:.3g}, {r.gap_max:.3g}]"
                line += f" {r.acc:>6s} {gaps:>19s} {r.c_implies_o:>10s} {r.o_implies_c:>10s}"
        print(f"{line}   ({r.note})" if r.name.startswith("int") else line)

    with (outdir / "summary.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["copy", "method", "zero_frac", "layer_zero_min", "layer_zero_max", "max_abs_dw", "top1_agree",
                    "max_abs_dlogit", "acc", "gap_min", "gap_max", "copy_implies_orig", "orig_implies_copy"])
        for r in reports:
            w.writerow([r.name, r.note, f"{r.zero_frac:.6f}", f"{min(r.layer_zero):.6f}", f"{max(r.layer_zero):.6f}",
                        f"{r.max_dw:.6g}", f"{r.agree:.6f}", f"{r.max_dlogit:.6g}", r.acc, f"{r.gap_min:.6g}",
                        f"{r.gap_max:.6g}", r.c_implies_o, r.o_implies_c])
    print(f"wrote {outdir / 'summary.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
