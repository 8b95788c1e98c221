#!/usr/bin/env python3
"""Run the local-implication (LROM) experiment: propc's bounds on compact copies of a network.

Takes: the original ONNX network (default
$PROPC_DATA/vnncomp/mnist_fc/onnx/mnist-net_256x2.onnx, PROPC_DATA defaulting to
../shared/data beside the repository; when it is absent the script prints a `skip:` line
and exits 0), the directory of compact copies written by compact.py (default
/tmp/lrom/mnist-net_256x2: every *.onnx there), the samples CSV written by samples.py
(default /tmp/lrom/mnist_samples.csv), the propc binary (default target/release/propc,
or $CARGO_TARGET_DIR/release/propc), one or more radii (`--delta 0.01,0.02`), and an
output directory (default /tmp/lrom/results; it may not be inside the repository).

For a sample (x0, c) and a radius delta, LROM_j(x) = (N1(x)[c] - N1(x)[j]) - (N2(x)[c] -
N2(x)[j]) for j != c, N1 the original and N2 the compact copy. Over the L-inf ball of
radius delta around x0 (NOT clipped to [0, 1]) propc bounds every LROM_j from below and
above; the spec (written to OUT/lrom.prop) is std.compare's `implies(compact, original, x0,
c, delta)`, whose goal atoms are exactly the LROM_j. The script runs

    propc bench relational OUT/lrom.prop --net original=... --net compact=COPY.onnx
        --data points=SAMPLES.csv --param delta=D --milp-seconds 0 --out OUT/raw/COPY_dD.csv

once per (copy, delta). Per sample, propc reports for each method the smallest lower end
and the largest upper end over the atoms j, and its time:
  * independent (older propc: `naive`): each network bounded on its own (CROWN), then the
    bounds subtracted -- the paper's separate analysis;
  * joint (older propc: `product`): both networks in one graph on the shared input;
  * twin: the copy carried as the original plus a difference stream;
  * best: per atom the tighter of joint and twin. When the propc binary does not print a
    `best` row, it is derived here as [max of the two lower ends, min of the two upper
    ends] -- sound, but possibly looser than propc's per-atom best, and marked so.
From these:
  * LROM range of a sample = (max_j upper) - (min_j lower);
  * N2=>N1 ("whenever the copy is right, so is the original") is established when
    min_j lower >= 0, N1=>N2 when max_j upper <= 0;
  * best's time is joint's plus twin's (both are run).

Gives: OUT/lrom.prop, OUT/raw/ (propc's rows and log per run), OUT/samples.csv (one row
per copy, delta, sample and method), OUT/table_d<delta>.md (one markdown table per delta,
one row per copy; also printed) and, with --check, OUT/check.csv.

--chain A,B (repeatable; A and B names of copies, e.g. fp16,int8) adds a chain N1 -> N2 -> N3
with N1 the original, N2 = copy A and N3 = copy B: the transitivity of local implication
(Theorem 3 of "Formal Local Implication Between Two Neural Networks": N3=>N2 and N2=>N1 on a
region give N3=>N1 there). Writing LROM_{a|b}(x)_j = (Na(x)[c] - Na(x)[j]) - (Nb(x)[c] -
Nb(x)[j]), the margins telescope, LROM_{1|3} = LROM_{1|2} + LROM_{2|3} for every x and j,
so [min_j lower_{1|2} + min_j lower_{2|3}, max_j upper_{1|2} + max_j upper_{2|3}] (the
"transitive" interval, from best's bounds on the two links) bounds every LROM_{1|3,j} on
the ball, as does the "direct" interval, best's bounds of N3 vs N1. Per chain and delta the
script runs propc on N2 vs N1 and N3 vs N1 (the copies' own runs: with --chain, the per-copy
sweep covers the chains' copies plus --only's instead of every copy) and on N3 vs N2 (`--net
original=A.onnx --net compact=B.onnx`, rows in OUT/raw/B_vs_A_dD.csv), and reports: the
share of samples on which N3=>N1 is established directly (direct lower >= 0), by
transitivity (both links' lower ends >= 0), by either, and by the summed bound (transitive
lower >= 0, which both links imply but which can hold when one link fails); the mean width of
the direct interval, of the transitive one and of their intersection; and propc's seconds
per sample for the direct check and for the two links together. Both intervals contain the
true range, so they must intersect on every sample: where they do not (beyond 1e-9 relative
rounding, or a NaN bound), the script prints SOUNDNESS VIOLATION and exits 1. Gives
OUT/chains.csv (per chain, delta and sample: all three bounds, the transitive and
intersected intervals, the flags, the seconds) and OUT/chains_d<delta>.md (one row per
chain; also printed). With --check, at the same sampled points, every sampled LROM_{2|3,j}
must lie within each method's bounds of the N3-vs-N2 run and every sampled LROM_{1|3,j}
within the transitive interval (written to OUT/check_chains.csv); the chain tables then also
show the sampled LROM_{1|3} range, how many samples sampling refutes each of N2=>N1, N3=>N2,
N3=>N1 on, and on how many it refutes neither link (an upper estimate of what transitivity
could establish).

--check cross-checks soundness by sampling (needs numpy and onnxruntime; if they are
missing and /tmp/lrom-venv exists, the script re-executes itself with
/tmp/lrom-venv/bin/python): for each sample, the centre and --check-points points of the
unclipped ball (half uniform inside, half uniform among its vertices) are run through
the original and each copy with onnxruntime, and every sampled LROM_j must lie within
[lower, upper] of every method, up to --check-tol (onnxruntime computes in float32). It
reports the number of points checked, the smallest slack, the mean sampled LROM range (a
lower estimate of the true range, against which the bounds' ranges can be read) and how
many samples sampling refutes each implication on (sampling can refute, never prove). Any
violation makes the script exit 1.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SPEC = """\
import std.compare

network original : Real[784] -> Real[10]
network compact : Real[784] -> Real[10]

dataset points : (Real[784], Class[10])

param delta : Real = 0.01

property compact_implies_original = for (x0, c) in points. implies(compact, original, x0, c, delta)
"""
PROPERTY = "compact_implies_original"
METHODS = ["independent", "joint", "twin", "best"]
ALIASES = {"naive": "independent", "product": "joint"}  # propc's older names
VENV = Path("/tmp/lrom-venv")
QUANT_ORDER = ["fp16", "int8", "int4"]


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def data_root() -> Path:
    env = os.environ.get("PROPC_DATA")
    if env:
        return Path(env)
    return (repo_root() / ".." / "shared" / "data").resolve()


def default_propc() -> Path:
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        return Path(target) / "release" / "propc"
    return repo_root() / "target" / "release" / "propc"


def refuse_repo_output(out: Path) -> None:
    out = out.resolve()
    root = repo_root()
    if out == root or root in out.parents:
        sys.exit(f"error: output directory {out} is inside the repository {root}; write under /tmp")


def copy_key(path: Path) -> tuple:
    """pruned10 .. pruned90 by percentage, then fp16, int8, int4, then the rest by name."""
    m = re.fullmatch(r"pruned(\d+)", path.stem)
    if m:
        return (0, int(m[1]), path.stem)
    if path.stem in QUANT_ORDER:
        return (1, QUANT_ORDER.index(path.stem), path.stem)
    return (2, 0, path.stem)


def read_labels(path: Path) -> list[int]:
    """The class of every sample (the last column), in row order."""
    labels = []
    with path.open(newline="") as f:
        for r in csv.reader(f):
            if not r or r[0].lstrip().startswith("#"):
                continue
            try:
                labels.append(int(float(r[-1])))
            except ValueError:
                if labels:
                    raise
    return labels


# --- running propc and reading its rows -----------------------------------------------


@dataclass
class Bound:
    lower: float
    upper: float
    seconds: float

    @property
    def range(self) -> float:
        return self.upper - self.lower

    @property
    def n2_implies_n1(self) -> bool:
        return self.lower >= 0.0  # False for NaN

    @property
    def n1_implies_n2(self) -> bool:
        return self.upper <= 0.0


@dataclass
class Run:
    copy: str  # the network in the `compact` role
    delta: float
    # sample -> method -> bound
    bounds: dict[int, dict[str, Bound]] = field(default_factory=dict)
    best_derived: bool = False
    wall: float = 0.0
    orig: str = "original"  # the network in the `original` role: N1, or a copy's stem


def run_propc(args: argparse.Namespace, spec: Path, copy: Path, delta: float, n: int,
              orig: Path | None = None) -> Run:
    """One propc run: `copy` as the compact network, `orig` (default the original N1) as the
    original. Its rows go to OUT/raw/COPY_dD.csv, or COPY_vs_ORIG_dD.csv when `orig` is a copy."""
    raw = args.out / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    orig = orig or args.network
    is_n1 = orig == args.network
    tag = f"{copy.stem}_d{delta:g}" if is_n1 else f"{copy.stem}_vs_{orig.stem}_d{delta:g}"
    what = copy.name if is_n1 else f"{copy.name} vs {orig.name}"
    rows_csv, log = raw / f"{tag}.csv", raw / f"{tag}.log"
    cmd = [
        str(args.propc), "bench", "relational", str(spec),
        "--net", f"original={orig}", "--net", f"compact={copy}",
        "--data", f"points={args.samples}", "--param", f"delta={delta!r}",
        "--milp-seconds", "0", "--out", str(rows_csv),
    ]  # fmt: skip
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    log.write_text("$ " + " ".join(cmd) + "\n" + proc.stdout + proc.stderr)
    if proc.returncode != 0:
        sys.exit(f"error: propc exited with {proc.returncode} on {what}, delta {delta:g} (see {log}):\n"
                 + proc.stderr[-2000:])
    run = Run(copy.stem, delta, wall=wall, orig="original" if is_n1 else orig.stem)
    name_re = re.compile(rf"{PROPERTY}\[(\d+)\]")
    with rows_csv.open(newline="") as f:
        for r in csv.DictReader(f):
            m = name_re.fullmatch(r["problem"])
            method = ALIASES.get(r["method"], r["method"])
            if not m or method not in METHODS:
                continue
            s = int(m[1])
            if method in run.bounds.get(s, {}):
                sys.exit(f"error: {rows_csv}: two {method} rows for sample {s}")
            run.bounds.setdefault(s, {})[method] = Bound(float(r["lower"]), float(r["upper"]), float(r["seconds"]))
    if sorted(run.bounds) != list(range(n)):
        sys.exit(f"error: {rows_csv}: rows for samples {sorted(run.bounds)}, expected 0..{n - 1}")
    for s, b in run.bounds.items():
        missing = [m for m in ("independent", "joint", "twin") if m not in b]
        if missing:
            sys.exit(f"error: {rows_csv}: sample {s} has no {', '.join(missing)} row")
        j, w = b["joint"], b["twin"]
        derived = Bound(max(j.lower, w.lower), min(j.upper, w.upper), j.seconds + w.seconds)
        if "best" not in b:
            b["best"] = derived
            run.best_derived = True
        else:
            # propc's best is per atom, so at least as tight as the hull-level one; its time
            # is taken as joint + twin, as both are run.
            p = b["best"]
            tol = 1e-9 * (1 + abs(derived.lower) + abs(derived.upper))
            if p.lower < derived.lower - tol or p.upper > derived.upper + tol:
                sys.exit(f"error: {rows_csv}: sample {s}: best [{p.lower}, {p.upper}] is looser than "
                         f"joint/twin [{derived.lower}, {derived.upper}]")
            b["best"] = Bound(p.lower, p.upper, derived.seconds)
    return run


# --- tables -----------------------------------------------------------------------------


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def pct(k: int, n: int) -> str:
    return f"{100 * k / n:.0f}% ({k})"


def table(runs: list[Run], delta: float, n: int, check: dict | None) -> str:
    derived = any(r.best_derived for r in runs)
    lines = [
        f"delta = {delta:g}, {n} samples; mean LROM range (max_j upper - min_j lower) per method, "
        "improvement over independent, share (count) of samples on which each implication is "
        "established, mean seconds per sample.",
        "",
    ]
    head = ["copy", "indep.", "joint", "twin", "best", "joint vs indep.", "best vs indep.",
            "N2⇒N1 best", "N2⇒N1 indep.", "N1⇒N2 best", "N1⇒N2 indep.", "s/sample best", "s/sample indep."]
    if check:
        head += ["sampled range", "N2⇒N1 refuted", "N1⇒N2 refuted"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for r in runs:
        per = [r.bounds[s] for s in range(n)]
        ranges = {m: mean([b[m].range for b in per]) for m in METHODS}
        nan = any(math.isnan(b[m].range) for b in per for m in METHODS)
        ind = ranges["independent"]
        cells = [r.copy] + [f"{ranges[m]:.4g}" for m in METHODS]
        cells += [f"{100 * (ind - ranges[m]) / ind:.1f}%" for m in ("joint", "best")]
        for attr in ("n2_implies_n1", "n1_implies_n2"):
            cells += [pct(sum(getattr(b[m], attr) for b in per), n) for m in ("best", "independent")]
        cells += [f"{mean([b[m].seconds for b in per]):.3f}" for m in ("best", "independent")]
        if check:
            c = check[(r.copy, delta)]
            cells += [f"{mean(c['sampled_range']):.4g}", pct(c["refuted_fwd"], n), pct(c["refuted_rev"], n)]
        if nan:
            cells[0] += " (NaN bounds)"
        lines.append("| " + " | ".join(cells) + " |")
    if derived:
        lines += ["", "best: derived from propc's joint and twin rows (the binary printed no best row): "
                  "[max of their lower ends, min of their upper ends], which can be looser than a per-atom best."]
    return "\n".join(lines) + "\n"


def write_samples_csv(path: Path, runs: list[Run], labels: list[int]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["copy", "delta", "sample", "label", "method", "lower", "upper", "range",
                    "n2_implies_n1", "n1_implies_n2", "seconds", "note"])
        for r in runs:
            for s in range(len(labels)):
                for m in METHODS:
                    b = r.bounds[s][m]
                    note = "derived from joint and twin" if m == "best" and r.best_derived else ""
                    w.writerow([r.copy, f"{r.delta:g}", s, labels[s], m, repr(b.lower), repr(b.upper),
                                repr(b.range), int(b.n2_implies_n1), int(b.n1_implies_n2), repr(b.seconds), note])


# --- chains: transitivity of local implication -----------------------------------------------


@dataclass
class ChainSample:
    """One sample of a chain N1 (original) -> N2 (copy a) -> N3 (copy b): best's bounds on
    LROM_{1|2} (N2 vs N1), LROM_{2|3} (N3 vs N2) and, directly, LROM_{1|3} (N3 vs N1)."""

    l12: Bound
    l23: Bound
    direct: Bound

    @property
    def trans(self) -> Bound:
        # LROM_{1|3,j} = LROM_{1|2,j} + LROM_{2|3,j} for every x and j, so the sums of the
        # links' ends over all atoms bound LROM_{1|3} over all atoms.
        return Bound(self.l12.lower + self.l23.lower, self.l12.upper + self.l23.upper,
                     self.l12.seconds + self.l23.seconds)

    @property
    def by_links(self) -> bool:
        """N3=>N1 by transitivity: both links N2=>N1 and N3=>N2 established."""
        return self.l12.n2_implies_n1 and self.l23.n2_implies_n1

    @property
    def meet(self) -> tuple[float, float]:
        """The intersection of the direct and transitive intervals (both contain LROM_{1|3})."""
        tr = self.trans
        return max(self.direct.lower, tr.lower), min(self.direct.upper, tr.upper)

    def disjoint(self) -> bool:
        """True when the direct and transitive intervals cannot both be sound: they are
        disjoint beyond float rounding (1e-9 relative), or a bound is NaN."""
        lo, hi = self.meet
        tr = self.trans
        tol = 1e-9 * (1 + max(abs(v) for v in (self.direct.lower, self.direct.upper, tr.lower, tr.upper)))
        return not (lo <= hi + tol)


def parse_chains(specs: list[str], names: set[str], where: Path) -> list[tuple[str, str]]:
    chains = []
    for s in specs:
        parts = [x.strip() for x in s.split(",")]
        if len(parts) != 2 or not all(parts):
            sys.exit(f"error: --chain {s!r}: expected two copy names, A,B")
        unknown = [x for x in parts if x not in names]
        if unknown:
            sys.exit(f"error: --chain {s!r}: no copies {unknown} in {where}")
        if parts[0] == parts[1]:
            sys.exit(f"error: --chain {s!r}: the two copies must differ")
        if tuple(parts) not in chains:
            chains.append(tuple(parts))
    return chains


def chain_samples(chain: tuple[str, str], delta: float, runs: dict, n: int) -> list[ChainSample]:
    a, b = chain
    r12, r23, r13 = runs[("original", a, delta)], runs[(a, b, delta)], runs[("original", b, delta)]
    return [ChainSample(r12.bounds[s]["best"], r23.bounds[s]["best"], r13.bounds[s]["best"]) for s in range(n)]


def chain_name(chain: tuple[str, str]) -> str:
    return f"original → {chain[0]} → {chain[1]}"


def chain_table(chains: list[tuple[str, str]], delta: float, runs: dict, n: int, check: dict | None) -> str:
    lines = [
        f"delta = {delta:g}, {n} samples; chains N1 → N2 → N3; best's bounds throughout. Share (count) of "
        "samples on which each link, and N3⇒N1 directly, by transitivity (both links), by either, and by the "
        "summed bound (lower end of the transitive interval >= 0), is established; mean width of the direct interval on LROM_{1|3}, of the transitive one (sum of the "
        "links' ends) and of their intersection; mean propc seconds per sample of the direct check and of "
        "the two links together.",
        "",
    ]
    head = ["chain", "N2⇒N1", "N3⇒N2", "N3⇒N1 direct", "N3⇒N1 transitive", "N3⇒N1 either", "N3⇒N1 summed",
            "direct range", "transitive range", "intersection", "s/sample direct", "s/sample links"]
    if check:
        head += ["sampled range", "N2⇒N1 refuted", "N3⇒N2 refuted", "N3⇒N1 refuted", "links unrefuted"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for ch in chains:
        cs = chain_samples(ch, delta, runs, n)
        cells = [chain_name(ch)]
        cells += [pct(sum(c.l12.n2_implies_n1 for c in cs), n), pct(sum(c.l23.n2_implies_n1 for c in cs), n),
                  pct(sum(c.direct.n2_implies_n1 for c in cs), n), pct(sum(c.by_links for c in cs), n),
                  pct(sum(c.direct.n2_implies_n1 or c.by_links for c in cs), n),
                  pct(sum(c.trans.n2_implies_n1 for c in cs), n)]
        cells += [f"{mean([c.direct.range for c in cs]):.4g}", f"{mean([c.trans.range for c in cs]):.4g}",
                  f"{mean([c.meet[1] - c.meet[0] for c in cs]):.4g}"]
        cells += [f"{mean([c.direct.seconds for c in cs]):.3f}", f"{mean([c.trans.seconds for c in cs]):.3f}"]
        if check:
            k = check[(ch, delta)]
            cells += [f"{mean(k['sampled_range']):.4g}"] + [pct(k[x], n) for x in
                                                             ("refuted_12", "refuted_23", "refuted_13", "unrefuted_links")]
        if any(math.isnan(v) for c in cs for v in (c.direct.range, c.trans.range)):
            cells[0] += " (NaN bounds)"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_chains_csv(path: Path, chains: list[tuple[str, str]], deltas: list[float], runs: dict,
                     labels: list[int]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["n2", "n3", "delta", "sample", "label",
                    "lower_12", "upper_12", "lower_23", "upper_23", "lower_13", "upper_13",
                    "trans_lower", "trans_upper", "meet_lower", "meet_upper",
                    "n2_implies_n1", "n3_implies_n2", "direct", "by_links", "trans_lower_ge0",
                    "seconds_direct", "seconds_links", "disjoint"])
        for delta in deltas:
            for ch in chains:
                for s, c in enumerate(chain_samples(ch, delta, runs, len(labels))):
                    tr, (mlo, mhi) = c.trans, c.meet
                    w.writerow([ch[0], ch[1], f"{delta:g}", s, labels[s]]
                               + [repr(v) for v in (c.l12.lower, c.l12.upper, c.l23.lower, c.l23.upper,
                                                    c.direct.lower, c.direct.upper, tr.lower, tr.upper, mlo, mhi)]
                               + [int(c.l12.n2_implies_n1), int(c.l23.n2_implies_n1), int(c.direct.n2_implies_n1),
                                  int(c.by_links), int(tr.lower >= 0), repr(c.direct.seconds), repr(tr.seconds),
                                  int(c.disjoint())])


def chain_soundness(chains: list[tuple[str, str]], deltas: list[float], runs: dict, n: int) -> bool:
    """The direct and the transitive interval both contain every LROM_{1|3,j}(x) on the ball,
    so they must intersect; print every sample where they do not."""
    ok = True
    for delta in deltas:
        for ch in chains:
            for s, c in enumerate(chain_samples(ch, delta, runs, n)):
                if c.disjoint():
                    ok = False
                    tr = c.trans
                    print(f"SOUNDNESS VIOLATION chain {chain_name(ch)} delta {delta:g} sample {s}: direct "
                          f"[{c.direct.lower!r}, {c.direct.upper!r}] and transitive [{tr.lower!r}, {tr.upper!r}] "
                          f"(links [{c.l12.lower!r}, {c.l12.upper!r}] + [{c.l23.lower!r}, {c.l23.upper!r}]) are "
                          "disjoint, so one of the three propc runs is unsound", file=sys.stderr, flush=True)
    return ok


# --- the sampling check -------------------------------------------------------------------


def have_check_modules() -> bool:
    try:
        import numpy  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def reexec_for_check() -> None:
    """Re-run this script under the venv's python when numpy or onnxruntime is missing."""
    if have_check_modules():
        return
    py = VENV / "bin" / "python"
    if py.exists() and Path(sys.prefix).resolve() != VENV.resolve() and not os.environ.get("LROM_REEXEC"):
        print(f"note: numpy/onnxruntime missing here, re-running under {py}", flush=True)
        os.environ["LROM_REEXEC"] = "1"
        os.execv(str(py), [str(py), str(Path(__file__).resolve()), *sys.argv[1:]])
    sys.exit("error: --check needs numpy and onnxruntime (bench/lrom/requirements.txt; "
             f"python3 -m venv {VENV} && {VENV}/bin/pip install -r bench/lrom/requirements.txt)")


def ort_session(path: Path):
    """A function running the ONNX network at `path` on a batch of inputs (float64 logits)."""
    import numpy as np
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    (inp,) = sess.get_inputs()
    shape = [int(d) if isinstance(d, int) else -1 for d in inp.shape]
    batched = shape[0] != 1

    def run(x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float32).reshape([-1] + shape[1:])
        if batched:
            return sess.run(None, {inp.name: x})[0].reshape(len(x), -1).astype(np.float64)
        return np.concatenate([sess.run(None, {inp.name: x[i : i + 1]})[0].reshape(1, -1)
                               for i in range(len(x))]).astype(np.float64)

    return run


def ball_offsets(args):
    """The samples' centres x0 and, per sample, the unit offsets of the sampled points: the
    centre, then half uniform in [-1, 1]^n, half among the vertices (seeded by --seed)."""
    import numpy as np

    rows = []
    with args.samples.open(newline="") as f:
        for r in csv.reader(f):
            try:
                rows.append([float(v) for v in r[:-1]])
            except ValueError:
                if rows:
                    raise
    x0 = np.array(rows)
    rng = np.random.default_rng(args.seed)
    k = args.check_points
    unit = [np.concatenate([np.zeros((1, x0.shape[1])),
                            rng.uniform(-1.0, 1.0, size=(k - k // 2, x0.shape[1])),
                            rng.choice([-1.0, 1.0], size=(k // 2, x0.shape[1]))]) for _ in range(len(x0))]
    return x0, unit


def sampling_check(args, copies: list[Path], runs: list[Run], labels: list[int]) -> tuple[dict, bool]:
    import numpy as np

    x0, unit = ball_offsets(args)
    k = args.check_points
    orig = ort_session(args.network)
    comps = {c.stem: ort_session(c) for c in copies}
    by_key = {(r.copy, r.delta): r for r in runs}
    results: dict = {}
    ok = True
    out_rows = []
    for delta in args.deltas:
        pts = [x0[s] + delta * unit[s] for s in range(len(x0))]  # not clipped, as propc's ball
        y0 = [orig(p) for p in pts]
        for name, comp in comps.items():
            run = by_key[(name, delta)]
            res = {"points": 0, "slack": {m: math.inf for m in METHODS}, "sampled_range": [],
                   "refuted_fwd": 0, "refuted_rev": 0, "violations": 0}
            for s, c in enumerate(labels):
                y = comp(pts[s])
                d = (y0[s][:, [c]] - y0[s]) - (y[:, [c]] - y)
                d = np.delete(d, c, axis=1)  # LROM_j at every point, j != c
                lo, hi = float(d.min()), float(d.max())
                res["points"] += len(d)
                res["sampled_range"].append(hi - lo)
                res["refuted_fwd"] += lo < 0
                res["refuted_rev"] += hi > 0
                for m in METHODS:
                    b = run.bounds[s][m]
                    slack = min(lo - b.lower, b.upper - hi)
                    res["slack"][m] = min(res["slack"][m], slack)
                    bad = not (slack >= -args.check_tol)  # NaN bounds fail too
                    if bad:
                        ok = False
                        res["violations"] += 1
                        print(f"VIOLATION {name} delta {delta:g} sample {s} {m}: sampled LROM in [{lo:.6g}, {hi:.6g}], "
                              f"bound [{b.lower:.6g}, {b.upper:.6g}]")
                    out_rows.append([name, f"{delta:g}", s, c, m, len(d), repr(lo), repr(hi),
                                     repr(b.lower), repr(b.upper), repr(slack), int(not bad)])
            results[(name, delta)] = res
            slacks = " ".join(f"{m} {res['slack'][m]:.3g}" for m in METHODS)
            flag = f"  {res['violations']} VIOLATIONS" if res["violations"] else ""
            print(f"check {name:9s} delta {delta:g}: {res['points']} points, smallest slack: {slacks}{flag}")
    with (args.out / "check.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["copy", "delta", "sample", "label", "method", "points", "sampled_min", "sampled_max",
                    "lower", "upper", "slack", "ok"])
        w.writerows(out_rows)
    total = sum(r["points"] for r in results.values())
    print(f"check: {total} sampled points (centre + {k} per sample, {len(labels)} samples, {len(copies)} copies, "
          f"{len(args.deltas)} radii), each LROM_j against {len(METHODS)} methods, tolerance {args.check_tol:g}: "
          + ("all within bounds" if ok else "VIOLATIONS FOUND"))
    return results, ok


def sampling_check_chains(args, chains: list[tuple[str, str]], by_name: dict, runs: dict,
                          labels: list[int]) -> tuple[dict, bool]:
    """For each chain, at the same sampled points as the copies' check: every sampled
    LROM_{2|3,j} (N3 vs N2) must lie within every method's bounds of that link run, and every
    sampled LROM_{1|3,j} within the transitive interval (the direct one is the copy check's)."""
    import numpy as np

    x0, unit = ball_offsets(args)
    sessions: dict = {}

    def net(path: Path):
        if path not in sessions:
            sessions[path] = ort_session(path)
        return sessions[path]

    def margins(y: np.ndarray, c: int) -> np.ndarray:
        return np.delete(y[:, [c]] - y, c, axis=1)  # N(x)[c] - N(x)[j], j != c

    results: dict = {}
    ok = True
    out_rows = []
    for delta in args.deltas:
        pts = [x0[s] + delta * unit[s] for s in range(len(x0))]
        for ch in chains:
            a, b = ch
            link = runs[(a, b, delta)]
            cs = chain_samples(ch, delta, runs, len(labels))
            res = {"points": 0, "slack": {m: math.inf for m in METHODS + ["transitive"]}, "sampled_range": [],
                   "refuted_12": 0, "refuted_23": 0, "refuted_13": 0, "unrefuted_links": 0, "violations": 0}
            for s, c in enumerate(labels):
                m1, m2, m3 = (margins(net(p)(pts[s]), c) for p in (args.network, by_name[a], by_name[b]))
                d12, d23, d13 = m1 - m2, m2 - m3, m1 - m3
                res["points"] += len(d13)
                res["sampled_range"].append(float(d13.max() - d13.min()))
                res["refuted_12"] += float(d12.min()) < 0
                res["refuted_23"] += float(d23.min()) < 0
                res["unrefuted_links"] += float(d12.min()) >= 0 and float(d23.min()) >= 0
                res["refuted_13"] += float(d13.min()) < 0
                checks = [(m, link.bounds[s][m], d23) for m in METHODS] + [("transitive", cs[s].trans, d13)]
                for m, bnd, d in checks:
                    lo, hi = float(d.min()), float(d.max())
                    slack = min(lo - bnd.lower, bnd.upper - hi)
                    res["slack"][m] = min(res["slack"][m], slack)
                    bad = not (slack >= -args.check_tol)
                    if bad:
                        ok = False
                        res["violations"] += 1
                        what = f"link {b} vs {a} {m}" if m != "transitive" else "transitive"
                        print(f"VIOLATION chain {chain_name(ch)} delta {delta:g} sample {s} {what}: sampled "
                              f"[{lo:.6g}, {hi:.6g}], bound [{bnd.lower:.6g}, {bnd.upper:.6g}]")
                    out_rows.append([a, b, f"{delta:g}", s, c, "LROM_23" if m != "transitive" else "LROM_13", m,
                                     len(d), repr(lo), repr(hi), repr(bnd.lower), repr(bnd.upper), repr(slack),
                                     int(not bad)])
            results[(ch, delta)] = res
            slacks = " ".join(f"{m} {v:.3g}" for m, v in res["slack"].items())
            flag = f"  {res['violations']} VIOLATIONS" if res["violations"] else ""
            print(f"check chain {chain_name(ch)} delta {delta:g}: {res['points']} points, smallest slack: "
                  f"{slacks}{flag}")
    with (args.out / "check_chains.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["n2", "n3", "delta", "sample", "label", "quantity", "method", "points", "sampled_min",
                    "sampled_max", "lower", "upper", "slack", "ok"])
        w.writerows(out_rows)
    total = sum(r["points"] for r in results.values())
    print(f"check chains: {total} sampled points, LROM_{{2|3}} against the link's {len(METHODS)} methods and "
          f"LROM_{{1|3}} against the transitive interval, tolerance {args.check_tol:g}: "
          + ("all within bounds" if ok else "VIOLATIONS FOUND"))
    return results, ok


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    default_net = data_root() / "vnncomp" / "mnist_fc" / "onnx" / "mnist-net_256x2.onnx"
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("network", nargs="?", type=Path, default=default_net, help=f"original ONNX (default {default_net})")
    ap.add_argument("--copies", type=Path, default=Path("/tmp/lrom/mnist-net_256x2"),
                    help="directory of compact.py's copies (default /tmp/lrom/mnist-net_256x2)")
    ap.add_argument("--only", default="", help="comma-separated copy names to run (default: every *.onnx)")
    ap.add_argument("--samples", type=Path, default=Path("/tmp/lrom/mnist_samples.csv"),
                    help="samples.py's CSV (default /tmp/lrom/mnist_samples.csv)")
    ap.add_argument("--propc", type=Path, default=default_propc(), help=f"propc binary (default {default_propc()})")
    ap.add_argument("--delta", default="0.01", help="L-inf radii, comma-separated (default 0.01)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/lrom/results"), help="output directory (default /tmp/lrom/results)")
    ap.add_argument("--chain", action="append", default=[], metavar="A,B",
                    help="a chain original -> copy A -> copy B (repeatable): N3=>N1 directly and by transitivity")
    ap.add_argument("--check", action="store_true", help="cross-check the bounds by sampling with onnxruntime")
    ap.add_argument("--check-points", type=int, default=200, help="points per ball besides the centre (default 200)")
    ap.add_argument("--check-tol", type=float, default=1e-4, help="float32 slack allowed (default 1e-4)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    refuse_repo_output(args.out)
    if not args.network.is_file():
        print(f"skip: {args.network} not found (set PROPC_DATA to the shared data folder, or pass the network)")
        return 0
    if args.check:
        reexec_for_check()
    args.deltas = [float(d) for d in args.delta.split(",") if d.strip()]
    if not args.deltas or any(not d > 0 for d in args.deltas):
        sys.exit("error: --delta needs positive radii")
    if not args.propc.is_file():
        sys.exit(f"error: {args.propc} not found (cargo build --release -p propc, or pass --propc)")
    if not args.samples.is_file():
        sys.exit(f"error: {args.samples} not found (make it with bench/lrom/samples.py)")
    copies = sorted(args.copies.glob("*.onnx"), key=copy_key)
    by_name = {c.stem: c.resolve() for c in copies}
    chains = parse_chains(args.chain, set(by_name), args.copies)
    selected = {x for ch in chains for x in ch}  # with --chain: the chains' copies (and --only's)
    if args.only:
        wanted = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = set(wanted) - {c.stem for c in copies}
        if unknown:
            sys.exit(f"error: no copies {sorted(unknown)} in {args.copies}")
        selected |= set(wanted)
    if selected:
        copies = [c for c in copies if c.stem in selected]
    if not copies:
        sys.exit(f"error: no *.onnx copies in {args.copies} (make them with bench/lrom/compact.py)")
    labels = read_labels(args.samples)

    args.network, args.samples = args.network.resolve(), args.samples.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    spec = args.out / "lrom.prop"
    spec.write_text(SPEC)
    print(f"{args.network.name} vs {len(copies)} copies in {args.copies}; {len(labels)} samples from {args.samples}; "
          f"radii {', '.join(f'{d:g}' for d in args.deltas)}; {args.propc}")
    runs: list[Run] = []
    for delta in args.deltas:
        for c in copies:
            r = run_propc(args, spec, c.resolve(), delta, len(labels))
            runs.append(r)
            best = [r.bounds[s]["best"] for s in range(len(labels))]
            print(f"propc {c.stem:9s} delta {delta:g}: {r.wall:5.2f}s wall; mean best range "
                  f"{mean([b.range for b in best]):.4g}, N2=>N1 {sum(b.n2_implies_n1 for b in best)}/{len(labels)}, "
                  f"N1=>N2 {sum(b.n1_implies_n2 for b in best)}/{len(labels)}", flush=True)
    write_samples_csv(args.out / "samples.csv", runs, labels)
    by_key = {(r.orig, r.copy, r.delta): r for r in runs}
    for delta in args.deltas:
        for a, b in chains:
            # N2 vs N1 and N3 vs N1 are the copies' runs above; the link N3 vs N2 is run here.
            r = run_propc(args, spec, by_name[b], delta, len(labels), orig=by_name[a])
            by_key[(a, b, delta)] = r
            best = [r.bounds[s]["best"] for s in range(len(labels))]
            print(f"propc {b} vs {a} delta {delta:g}: {r.wall:5.2f}s wall; mean best range "
                  f"{mean([x.range for x in best]):.4g}, N3=>N2 {sum(x.n2_implies_n1 for x in best)}/{len(labels)}",
                  flush=True)
    sound = chain_soundness(chains, args.deltas, by_key, len(labels))
    if chains:
        write_chains_csv(args.out / "chains.csv", chains, args.deltas, by_key, labels)

    check, ok = (sampling_check(args, copies, runs, labels) if args.check else (None, True))
    chain_check, chain_ok = (sampling_check_chains(args, chains, by_name, by_key, labels)
                             if args.check and chains else (None, True))
    for delta in args.deltas:
        text = table([r for r in runs if r.delta == delta], delta, len(labels), check)
        (args.out / f"table_d{delta:g}.md").write_text(text)
        print()
        print(text, end="")
    for delta in args.deltas if chains else []:
        text = chain_table(chains, delta, by_key, len(labels), chain_check)
        (args.out / f"chains_d{delta:g}.md").write_text(text)
        print()
        print(text, end="")
    print(f"\nwrote {spec}, {args.out / 'raw'}/, {args.out / 'samples.csv'}, "
          + ", ".join(str(args.out / f"table_d{d:g}.md") for d in args.deltas)
          + (f", {args.out / 'check.csv'}" if args.check else "")
          + (f", {args.out / 'chains.csv'}, " + ", ".join(str(args.out / f"chains_d{d:g}.md") for d in args.deltas)
             if chains else "")
          + (f", {args.out / 'check_chains.csv'}" if chain_check else ""))
    if not sound:
        print("error: SOUNDNESS VIOLATION: on some chain sample the direct and the transitive interval of "
              "LROM_{1|3} are disjoint (listed above)", file=sys.stderr)
    return 0 if ok and chain_ok and sound else 1


if __name__ == "__main__":
    sys.exit(main())
