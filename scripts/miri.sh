#!/usr/bin/env bash
# Miri over the unsafe code (the C ABI), when a nightly toolchain with Miri is already installed.
# Never downloads a toolchain: without one it prints `miri: skipped (...)` and exits 0.
#   scripts/miri.sh            cargo +nightly miri test -p pullstream-capi --lib, then --test c_abi
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v rustup >/dev/null 2>&1 || ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "miri: skipped (no nightly toolchain)"
  exit 0
fi
if ! cargo +nightly miri --version >/dev/null 2>&1; then
  echo "miri: skipped (no nightly toolchain with the miri component)"
  exit 0
fi
export MIRIFLAGS=${MIRIFLAGS:-"-Zmiri-strict-provenance"}
# A separate target dir: Miri's artifacts are not reusable by normal builds.
export CARGO_TARGET_DIR=${MIRI_TARGET_DIR:-target/miri}
cargo +nightly miri --version
# `cargo miri setup` builds Miri's sysroot; it fails offline if rust-src is missing.
if ! cargo +nightly miri setup >/dev/null 2>&1; then
  echo "miri: skipped (cargo miri setup failed: rust-src missing or offline)"
  exit 0
fi
status=0
# The unsafe code is the C ABI's package (capi/); its unit tests and capi/tests/c_abi.rs.
echo "=== cargo +nightly miri test -p pullstream-capi --lib"
cargo +nightly miri test -p pullstream-capi --lib || status=1
echo "=== cargo +nightly miri test -p pullstream-capi --test c_abi"
cargo +nightly miri test -p pullstream-capi --test c_abi || status=1
if [ "$status" -eq 0 ]; then echo "miri: passed"; else echo "miri: FAILED"; fi
exit "$status"
