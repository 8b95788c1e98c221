#!/usr/bin/env python3
"""Extract the MNIST samples behind the VNN-COMP mnist_fc properties, as a propc dataset.

Takes: the mnist_fc `vnnlib/` directory (or any files `prop_<id>_<eps>.vnnlib`), by
default /work/shared/data/vnncomp/mnist_fc/vnnlib. That data is read-only and is never
copied; only the derived CSV is written, to an output directory outside the repository
(default /tmp/lrom).

Gives: OUT/mnist_samples.csv, the format propc reads for `dataset d : (Real[784], Class[10])`
(the same layout as specs/data/implication_points.csv: a header `x1,...,x784,label`, then
one sample per row, 784 pixel values and the integer class), and OUT/mnist_samples_index.csv
saying which property files each row came from. It prints one line per sample.

How a property becomes a sample:
  * the input box is read with a small regex parser, `(assert (<= X_i v))` for the upper
    and `(assert (>= X_i v))` for the lower bound of pixel i;
  * the label is the class every disjunct of the output constraint compares against,
    `(>= Y_j Y_c)` for all j != c (the property states a counterexample, so c is the class
    it protects); it is checked against the `; Mnist property with label: c.` comment;
  * the image is the centre of the box, except where the box was clipped to the pixel
    range [0, 1]: there the centre is not the image (607 of 784 pixels of prop_0 are
    clipped at 0), so a pixel with lower bound 0 is `upper - eps` and one with upper
    bound 1 is `lower + eps`, eps being read from the file name. The mnist_fc images are
    multiples of 1/255, and the reconstruction recovers them to float32 rounding (about
    3e-8); when every pixel of an image is within 1e-6 of a multiple of 1/255 it is
    snapped to k/255 exactly (`--no-snap` keeps the raw reconstruction);
  * the reconstructed image is checked to lie in each box it came from;
  * samples are deduplicated: prop_<id>_0.03 and prop_<id>_0.05 (shared by the 256x2 and
    256x4 networks) are the same image at two radii, and any two properties whose images
    agree to 1e-6 and whose labels agree become one row.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

DEFAULT_VNNLIB = Path("/work/shared/data/vnncomp/mnist_fc/vnnlib")
N_PIXELS = 784
N_CLASSES = 10
SNAP_TOL = 1e-6  # a pixel within this of k/255 is snapped
SAME_TOL = 1e-6  # two images this close (max abs) are one sample
BOX_TOL = 1e-6  # slack when checking the image lies in its box

NAME_RE = re.compile(r"^prop_(\d+)_([0-9.]+)\.vnnlib$")
BOUND_RE = re.compile(r"\(assert\s+\((<=|>=)\s+X_(\d+)\s+([-+0-9.eE]+)\s*\)\s*\)")
OUTPUT_RE = re.compile(r"\(>=\s+Y_(\d+)\s+Y_(\d+)\s*\)")
LABEL_COMMENT_RE = re.compile(r";\s*Mnist property with label:\s*(\d+)")


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def refuse_repo_output(out: Path) -> None:
    out = out.resolve()
    root = repo_root()
    if out == root or root in out.parents:
        sys.exit(f"error: output directory {out} is inside the repository {root}; write under /tmp")


class Prop:
    """One property file: its id, radius, box and protected class."""

    def __init__(self, path: Path):
        self.path = path
        m = NAME_RE.match(path.name)
        if not m:
            raise ValueError(f"{path.name}: not named prop_<id>_<eps>.vnnlib")
        self.prop_id = int(m[1])
        self.eps = float(m[2])
        text = path.read_text()
        lo = np.full(N_PIXELS, np.nan)
        hi = np.full(N_PIXELS, np.nan)
        for op, idx, val in BOUND_RE.findall(text):
            i = int(idx)
            if i >= N_PIXELS:
                raise ValueError(f"{path.name}: X_{i} out of range")
            (hi if op == "<=" else lo)[i] = float(val)
        if np.isnan(lo).any() or np.isnan(hi).any():
            missing = int(np.isnan(lo).sum() + np.isnan(hi).sum())
            raise ValueError(f"{path.name}: {missing} input bounds missing")
        if (lo > hi).any():
            raise ValueError(f"{path.name}: a lower bound exceeds its upper bound")
        self.lo, self.hi = lo, hi
        self.label = self._label(text)

    def _label(self, text: str) -> int:
        out = text[text.find("Output constraints") :] if "Output constraints" in text else text
        pairs = [(int(a), int(b)) for a, b in OUTPUT_RE.findall(out)]
        targets = {b for _, b in pairs}
        others = {a for a, _ in pairs}
        if len(targets) != 1:
            raise ValueError(f"{self.path.name}: output constraints compare against {sorted(targets)}")
        (c,) = targets
        if others != set(range(N_CLASSES)) - {c}:
            raise ValueError(f"{self.path.name}: output constraints do not cover every class but {c}")
        m = LABEL_COMMENT_RE.search(text)
        if m and int(m[1]) != c:
            raise ValueError(f"{self.path.name}: comment says label {m[1]}, constraints say {c}")
        return c

    def image(self) -> np.ndarray:
        """The image the box was built around (see the module docstring)."""
        centre = (self.lo + self.hi) / 2
        x = np.where(self.lo <= 0.0, self.hi - self.eps, np.where(self.hi >= 1.0, self.lo + self.eps, centre))
        return np.clip(x, 0.0, 1.0)


def snap(x: np.ndarray) -> tuple[np.ndarray, float, bool]:
    k = np.rint(x * 255.0)
    residual = float(np.abs(x - k / 255.0).max())
    if residual <= SNAP_TOL:
        return k / 255.0, residual, True
    return x, residual, False


def fmt(v: float) -> str:
    if v == 0.0:
        return "0"
    if v == 1.0:
        return "1"
    return repr(float(v))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("vnnlib", nargs="*", type=Path, help=f"vnnlib files or directories (default {DEFAULT_VNNLIB})")
    ap.add_argument("--out", type=Path, default=Path("/tmp/lrom"), help="output directory (default /tmp/lrom)")
    ap.add_argument("--name", default="mnist_samples", help="CSV base name (default mnist_samples)")
    ap.add_argument("--no-snap", action="store_true", help="keep raw reconstructions, do not snap to k/255")
    args = ap.parse_args()

    refuse_repo_output(args.out)
    sources = args.vnnlib or [DEFAULT_VNNLIB]
    files: list[Path] = []
    for s in sources:
        files += sorted(s.glob("prop_*.vnnlib")) if s.is_dir() else [s]
    if not files:
        sys.exit("error: no prop_*.vnnlib files found")
    props = sorted((Prop(f) for f in files), key=lambda p: (p.prop_id, p.eps))

    # Deduplicate: one row per distinct (image, label).
    rows: list[dict] = []
    for p in props:
        x = p.image()
        for r in rows:
            if r["label"] == p.label and float(np.abs(r["raw"] - x).max()) <= SAME_TOL:
                r["props"].append(p)
                r["spread"] = max(r["spread"], float(np.abs(r["raw"] - x).max()))
                break
        else:
            rows.append({"raw": x, "label": p.label, "props": [p], "spread": 0.0})
    for r in rows:
        r["x"], r["residual"], r["snapped"] = (r["raw"], 0.0, False) if args.no_snap else snap(r["raw"])
    # The written image must lie in every box it came from.
    worst_box = max(float(np.maximum(p.lo - r["x"], r["x"] - p.hi).max()) for r in rows for p in r["props"])
    if worst_box > BOX_TOL:
        sys.exit(f"error: a reconstructed image leaves its box by {worst_box:.3g}")

    args.out.mkdir(parents=True, exist_ok=True)
    csv_path = args.out / f"{args.name}.csv"
    index_path = args.out / f"{args.name}_index.csv"
    header = ",".join([f"x{i + 1}" for i in range(N_PIXELS)] + ["label"])
    worst_residual = 0.0
    with csv_path.open("w") as f, index_path.open("w") as g:
        f.write(header + "\n")
        g.write("row,label,props,eps,max_abs_disagreement,snap_residual\n")
        for i, r in enumerate(rows):
            x, residual = r["x"], r["residual"]
            worst_residual = max(worst_residual, residual)
            f.write(",".join(fmt(v) for v in x) + f",{r['label']}\n")
            names = " ".join(p.path.name for p in r["props"])
            eps = " ".join(f"{p.eps:g}" for p in r["props"])
            g.write(f"{i},{r['label']},{names},{eps},{r['spread']:.3g},{residual:.3g}\n")
            print(
                f"row {i:2d}  label {r['label']}  from {names}  "
                f"ink {int((x > 0).sum()):3d} px  disagreement {r['spread']:.2g}  snap residual {residual:.2g}"
            )

    print(
        f"{len(props)} property files -> {len(rows)} distinct samples "
        f"({len(props) - len(rows)} duplicates merged); labels "
        + " ".join(f"{c}:{sum(r['label'] == c for r in rows)}" for c in range(N_CLASSES))
    )
    n_snapped = sum(r["snapped"] for r in rows)
    if args.no_snap:
        snapping = "images not snapped (--no-snap)"
    else:
        snapping = f"{n_snapped}/{len(rows)} images snapped to k/255 (worst residual {worst_residual:.2g})"
    print(f"{snapping}; every image within its boxes (worst excess {worst_box:.2g})")
    print(f"wrote {csv_path} and {index_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
