#!/usr/bin/env bash
# CI for the VS Code extension: install (npm registry only), build, test, package.
# Quiet on success; prints the test summary and the .vsix size. Needs Node >= 20.
#   editors/vscode/ci.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Runs a step with its output captured; shows the output only when the step fails.
step() {
  if ! "$@" >"$log" 2>&1; then
    echo "editors/vscode: FAILED: $*" >&2
    grep -Ev 'Unknown (user|env) config' "$log" >&2 || true
    exit 1
  fi
}

step npm ci --no-audit --no-fund
step npm run build
step npm test
files=$(grep -c '^✓' "$log" || true)
asserts=$(cat test/*.prop | grep -cE '^//\s*(\^|<[~-])' || true)
echo "editors/vscode: grammar tests: $files files, $asserts scope assertions passed"
grep -E '^(keywords|corpus|manifest)\.mjs:' "$log" | sed 's|^|editors/vscode: |'
rm -f propc.vsix
step npx --no-install vsce package --no-dependencies --allow-missing-repository --out propc.vsix
echo "editors/vscode: propc.vsix $(( $(wc -c <propc.vsix) / 1024 )) KiB"
