#!/usr/bin/env bash
# Relational bounds on COMET's shared networks: for every monotonicity and global-
# robustness query of specs/auto_mpg and specs/heart, `propc bench relational` prints the
# independent (naive), joint, twin and best root bounds, branch and bound's bound after
# BAB_SECONDS, and the MILP alone (exact when it finishes within MILP_SECONDS).
#
#   bench/relational/run.sh [OUT_DIR]        (default /tmp/propc-relational)
#
# Environment: PROPC (default target/release/propc), PROPC_DATA (default ../shared/data),
# SOLVER (microlp | highs | scip; highs/scip need a build with that feature),
# BAB_SECONDS (default 1), MILP_SECONDS (default 300).
# Exits 0 with a "skip:" line when the shared networks are absent.
set -euo pipefail
cd "$(dirname "$0")/../.."
PROPC=${PROPC:-target/release/propc}
DATA=${PROPC_DATA:-../shared/data}
OUT=${1:-/tmp/propc-relational}
SOLVER=${SOLVER:-microlp}
BAB_SECONDS=${BAB_SECONDS:-1}
MILP_SECONDS=${MILP_SECONDS:-300}
if [[ ! -f "$DATA/networks/comet_auto_mpg.onnx" || ! -f "$DATA/networks/comet_heart.onnx" ]]; then
  echo "skip: the COMET networks are not under $DATA/networks (set PROPC_DATA)" >&2
  exit 0
fi
mkdir -p "$OUT"
run() { # spec network
  local name
  name=$(basename "$(dirname "$1")")_$(basename "$1" .prop)
  echo "== $1 ($2)"
  "$PROPC" bench relational "$1" --net "f=$DATA/networks/$2.onnx" --solver "$SOLVER" \
    --bab-seconds "$BAB_SECONDS" --milp-seconds "$MILP_SECONDS" --out "$OUT/$name.csv"
}
run specs/auto_mpg/monotone.prop comet_auto_mpg
run specs/auto_mpg/monotone_domain.prop comet_auto_mpg
run specs/auto_mpg/global_robustness.prop comet_auto_mpg
run specs/heart/monotone.prop comet_heart
run specs/heart/global_robustness.prop comet_heart
echo "rows written to $OUT/*.csv"
