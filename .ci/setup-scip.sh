#!/usr/bin/env bash
# Prepares a prebuilt SCIP for `--features scip` and prints the variable the build needs.
#
# Takes: nothing (network access to PyPI the first time; python3 with pip).
# Gives: on stdout, `export PROPC_SCIP_LIB_DIR=DIR`, where DIR holds `libscip.so` (a
# symlink to the library of the pinned pyscipopt wheel) and the libraries it needs; use
#   eval "$(.ci/setup-scip.sh)"
# Progress goes to stderr.
# Invariant: idempotent; the wheel is pinned by version and sha256, extracted once under
# $PROPC_SCIP_CACHE (default $HOME/.cache/propc-scip) and never modified afterwards.
# Why a wheel: Debian has no SCIP and the SCIP crates' source builds download from
# GitHub; the pyscipopt wheel on PyPI carries libscip 10.0.2 (linux x86_64, glibc >=
# 2.28, needs the system libz.so.1). No headers are needed: propc declares the few
# SCIP functions it calls itself (runtime/src/milp/scip.rs).
set -euo pipefail

version=6.3.0
wheel=pyscipopt-$version-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl
sha256=6e3931d84f51cb1ca6646eea900012c5455af124774221318fecd731c79c80ca

log() { echo "setup-scip: $*" >&2; }

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  log "the pinned wheel is for linux x86_64 only, not $(uname -s)-$(uname -m)"
  exit 1
fi
if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libz\.so\.1 '; then
  log "warning: libz.so.1 not found by ldconfig (Debian: apt-get install zlib1g); libscip needs it"
fi

cache="${PROPC_SCIP_CACHE:-$HOME/.cache/propc-scip}"
dir="$cache/pyscipopt-$version"
lib="$dir/lib"

if [ ! -e "$lib/libscip.so" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  log "downloading $wheel"
  # The wheel's platform and Python tags are pinned, so the same file is fetched
  # whatever the local Python; only its bundled libraries are used.
  python3 -m pip download -q --disable-pip-version-check --no-deps \
    --only-binary=:all: --platform manylinux_2_28_x86_64 --python-version 3.11 \
    --implementation cp --abi cp311 "pyscipopt==$version" -d "$tmp" >&2
  echo "$sha256  $tmp/$wheel" | sha256sum -c --quiet - >&2
  python3 - "$tmp/$wheel" "$tmp/lib" <<'EOF'
import os, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        head, name = os.path.split(info.filename)
        if head == "pyscipopt.libs" and name:
            path = os.path.join(out, name)
            with z.open(info) as src, open(path, "wb") as dst:
                dst.write(src.read())
            os.chmod(path, 0o755)
EOF
  scip=$(cd "$tmp/lib" && ls libscip-*.so.* | head -n 1)
  if [ -z "$scip" ]; then
    log "no libscip in $wheel"
    exit 1
  fi
  # The linker looks for libscip.so; the binary records the library's soname
  # (libscip-<hash>.so.10.0), found at run time through the rpath to this directory.
  ln -s "$scip" "$tmp/lib/libscip.so"
  rm -rf "$dir"
  mkdir -p "$dir"
  mv "$tmp/lib" "$lib"
  log "libscip from pyscipopt $version in $lib"
fi

printf 'export PROPC_SCIP_LIB_DIR=%q\n' "$lib"
