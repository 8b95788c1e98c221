#!/usr/bin/env bash
# Fuzzing smoke test for CI: builds the cargo-fuzz targets and runs each one for a
# bounded time (FUZZ_SECONDS, 30 by default) on a temporary copy of its seed corpus plus
# the regression inputs, so the repository is not modified. Fails on any crash (panic,
# sanitizer report, timeout or out-of-memory); the crashing input is kept under
# $FUZZ_ARTIFACTS (a temp dir by default) and printed in base64.
#
# The toolchain is stable Rust: cargo-fuzz's `-Z` flags (sanitizer, coverage passes)
# are accepted through RUSTC_BOOTSTRAP=1. The targets are built in their own target dir
# ($FUZZ_TARGET_DIR, default ~/.cache/propc-fuzz-target), not CI's CARGO_TARGET_DIR:
# they are built with different flags and would only evict the workspace's artifacts.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")"

SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
TARGETS=(${FUZZ_TARGETS:-parse check fmt vnnlib onnx})
SANITIZER="${FUZZ_SANITIZER:-address}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/propc-fuzz-target}"
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never

start=$(date +%s)
step() { echo; echo "== fuzz: $* ($(( $(date +%s) - start ))s)"; }

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  step "installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi

step "building ${TARGETS[*]} (sanitizer: $SANITIZER, debug assertions on)"
cargo fuzz build -O --debug-assertions --sanitizer "$SANITIZER"
bin_dir="$CARGO_TARGET_DIR/$(rustc -vV | sed -n 's/^host: //p')/release"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
artifacts="${FUZZ_ARTIFACTS:-$work/artifacts}"
failed=()
for t in "${TARGETS[@]}"; do
  step "$t for ${SECONDS_PER_TARGET}s"
  mkdir -p "$work/corpus/$t" "$artifacts/$t"
  cp -r "corpus/$t/." "$work/corpus/$t/"
  log="$work/$t.log"
  # The regression inputs run once each (not merged into the corpus: some are large,
  # and libFuzzer would raise its input size limit to theirs).
  regressions=()
  if [ -d "regressions/$t" ]; then
    regressions=("regressions/$t"/*)
  fi
  if [ ${#regressions[@]} -gt 0 ] && ! "$bin_dir/$t" -rss_limit_mb=2048 "${regressions[@]}" >"$log" 2>&1; then
    echo "fuzz target $t FAILED on a regression input; the end of its log:"
    tail -n 60 "$log"
    failed+=("$t")
    continue
  fi
  if "$bin_dir/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts/$t/" "$work/corpus/$t" >"$log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^Done' "$log" || true
  else
    echo "fuzz target $t FAILED; the end of its log:"
    tail -n 60 "$log"
    for a in "$artifacts/$t"/*; do
      [ -f "$a" ] || continue
      echo "crashing input $a (base64):"
      base64 -w0 "$a"; echo
    done
    failed+=("$t")
  fi
done

step "done"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#TARGETS[@]} targets ran ${SECONDS_PER_TARGET}s each without a crash"
