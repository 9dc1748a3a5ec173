#!/usr/bin/env bash
# Runs every test of the project: the Rust suites (unit, doc, integration, proptest, header
# freshness, fixtures at every chunk size), the packaged core crate's own tests (built from the
# extracted .crate), the C / C++ / Python bindings (also under
# AddressSanitizer and valgrind), the hostile-input runs of the command-line tool, and a short
# fuzz smoke run. Prints one closing line: "all: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never RUST_BACKTRACE=1
passed=0; failed=0; failures=()
step() {
  local name=$1; shift
  echo; echo "=== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}
step "cargo test (every package: unit, doc, integration, proptest)" cargo test --workspace --locked
step "release build (rlib + cdylib + staticlib + command-line tool)" cargo build --workspace --locked --release
if [ -x scripts/package_check.sh ]; then step "the published crate: cargo package, its tests from the .crate, its dependencies" scripts/package_check.sh; fi
if [ -x scripts/c_tests.sh ]; then step "C / C++ / Python bindings" scripts/c_tests.sh; fi
if [ -x scripts/cpp_std_check.sh ]; then step "C++ wrapper: #error below C++17" scripts/cpp_std_check.sh; fi
if [ -x scripts/python_tests.sh ]; then step "Python package: pip install in a fresh venv, fixtures, examples, mypy, wheel" scripts/python_tests.sh; fi
if [ -x scripts/hostile.sh ]; then step "hostile input through the command-line tool" scripts/hostile.sh; fi
if [ -x scripts/fuzz_ci.sh ] && [ "${SKIP_FUZZ:-0}" != 1 ]; then step "fuzz smoke" scripts/fuzz_ci.sh; fi
if [ -x scripts/miri.sh ]; then step "miri (skipped without a nightly toolchain)" scripts/miri.sh; fi
echo
for name in "${failures[@]}"; do echo "FAILED: $name"; done
echo "all: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
