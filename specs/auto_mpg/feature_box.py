#!/usr/bin/env python3
"""Print the per-feature [min, max] box of the Auto-MPG training data as a propc `box`.

Reads `$PROPC_DATA/tabular/auto_mpg/train_data.csv` (default `PROPC_DATA`:
`../shared/data` relative to the workspace root). The first CSV column is a row
index and `MPG` is the target; the remaining columns, in file order, are the
network's 7 inputs. Only the standard library is used.

    python3 specs/auto_mpg/feature_box.py

Exits 0 with a "skip:" line on stderr when the data is absent.
"""
import csv
import os
import sys
from pathlib import Path

FEATURES = ["Cylinders", "Displacement", "Horsepower", "Weight", "Acceleration", "Model Year", "Origin"]


def data_root() -> Path:
    env = os.environ.get("PROPC_DATA")
    if env:
        return Path(env)
    workspace = Path(__file__).resolve().parents[2]
    return (workspace / ".." / "shared" / "data").resolve()


def fmt(v: float) -> str:
    return str(int(v)) if v == int(v) else repr(v)


def main() -> int:
    path = data_root() / "tabular" / "auto_mpg" / "train_data.csv"
    if not path.is_file():
        print(f"skip: {path} not found (set PROPC_DATA to the shared data folder)", file=sys.stderr)
        return 0
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    cols = [header.index(name) for name in FEATURES]  # raises if the layout changed
    lo = [min(float(r[c]) for r in body) for c in cols]
    hi = [max(float(r[c]) for r in body) for c in cols]
    print(f"// {len(body)} training rows of {path.name}; features {', '.join(FEATURES)}")
    print(f"let X = box(lo = [{', '.join(fmt(v) for v in lo)}],")
    print(f"            hi = [{', '.join(fmt(v) for v in hi)}])")
    return 0


if __name__ == "__main__":
    sys.exit(main())
