#!/usr/bin/env bash
# The Python package as a user gets it: installed with pip into a fresh virtual environment.
#
#   scripts/python_tests.sh
#
# * builds the command-line tool (`cargo build --release -p pullstream-cli`), the reference;
# * creates a fresh venv under target/python-venv and times `pip install ./bindings/python`
#   (which fetches setuptools-rust from PyPI and builds the C library with cargo);
# * from a directory outside the source tree, with no PULLSTREAM_LIB: `import pullstream`
#   finds the installed package and its bundled library, and every tests/fixtures/*.stream
#   decodes by bytes and by decoded dicts to the summary of `pullstream --json`
#   (bindings/python/checks/installed_fixtures.py says which differences a dict path may have);
# * the three examples replay every fixture: docker_py_raw prints exactly what the CLI prints;
#   docker_py_decoded and aiodocker_pull agree with each other, and with the CLI except on the
#   fixtures listed in LOSSY below;
# * mypy --strict on the package, its examples and checks (mypy installed into the venv);
# * `pip wheel ./bindings/python` once: its name (py3-none-<platform>), its size, its contents.
#
# Prints one closing line, "python: N passed, M failed", and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=$(realpath -m "${CARGO_TARGET_DIR:-target}")
VENV=$TARGET/python-venv
OUT=$TARGET/python-tests
CLI=$TARGET/release/pullstream
rm -rf "$VENV" "$OUT"
# setuptools builds in place and would pack whatever an earlier build left in build/.
rm -rf bindings/python/build bindings/python/pullstream.egg-info
mkdir -p "$OUT/elsewhere" "$OUT/wheel"
unset PULLSTREAM_LIB

# Fixtures where a decoder upstream loses something the bytes hold (see the package README):
#   pull_cut_mid_record: the cut record is not a dict: "no_terminal_status", not "cut_mid_record";
#   pull_garbage_between: the stretches that are not JSON never become dicts: malformed_records 0.
LOSSY=" pull_cut_mid_record pull_garbage_between "

# shellcheck source=scripts/checks.sh
source scripts/checks.sh # (the working directory is the repository root)

run build_cli cargo build --release --locked -p pullstream-cli

make_venv() { python3 -m venv "$VENV"; }
run venv make_venv
PY=$VENV/bin/python

install_package() {
  local start end
  start=$EPOCHREALTIME
  "$PY" -m pip install "$ROOT/bindings/python" || return 1
  end=$EPOCHREALTIME
  awk -v s="$start" -v e="$end" 'BEGIN { printf "install time: %.1f s\n", e - s }' | tee "$OUT/install_time"
}
run pip_install install_package
[ -f "$OUT/install_time" ] && echo "     $(cat "$OUT/install_time")"

# From elsewhere: nothing of the source tree on the path, no environment variable.
run installed_fixtures sh -c 'cd "$1" && "$2" "$3/bindings/python/checks/installed_fixtures.py" "$4" "$3"/tests/fixtures/*.stream' \
  _ "$OUT/elsewhere" "$PY" "$ROOT" "$CLI"

# Runs a program and records "<stdout>\nexit=<code>".
capture() {
  local out code
  out=$(cd "$OUT/elsewhere" && "$@" 2>/dev/null)
  code=$?
  printf '%s\nexit=%d\n' "$out" "$code"
}
examples_on() {
  local fixture=$1 name cli raw decoded asyncio
  name=$(basename "$fixture" .stream)
  cli=$(capture "$CLI" --json "$fixture")
  raw=$(capture "$PY" "$ROOT/bindings/python/examples/docker_py_raw.py" --replay "$fixture")
  decoded=$(capture "$PY" "$ROOT/bindings/python/examples/docker_py_decoded.py" --replay "$fixture")
  asyncio=$(capture "$PY" "$ROOT/bindings/python/examples/aiodocker_pull.py" --replay "$fixture")
  [ "$raw" = "$cli" ] || { printf 'docker_py_raw:\n%s\nCLI:\n%s\n' "$raw" "$cli"; return 1; }
  [ "$decoded" = "$asyncio" ] || { printf 'docker_py_decoded:\n%s\naiodocker_pull:\n%s\n' "$decoded" "$asyncio"; return 1; }
  if [[ $LOSSY != *" $name "* ]]; then
    [ "$decoded" = "$cli" ] || { printf 'docker_py_decoded:\n%s\nCLI:\n%s\n' "$decoded" "$cli"; return 1; }
  fi
}
for fixture in tests/fixtures/*.stream; do
  run "examples_$(basename "$fixture" .stream)" examples_on "$ROOT/$fixture"
done

install_mypy() { "$PY" -m pip install mypy; }
run pip_install_mypy install_mypy
type_check() { cd bindings/python && "$PY" -m mypy --strict pullstream examples checks; }
run mypy_strict type_check

build_wheel() {
  "$PY" -m pip wheel --no-deps -w "$OUT/wheel" "$ROOT/bindings/python" || return 1
  local wheel
  wheel=$(ls "$OUT"/wheel/pullstream-*.whl) || return 1
  [[ $(basename "$wheel") == pullstream-*-py3-none-*.whl ]] || { echo "wrong tag: $wheel"; return 1; }
  "$PY" - "$wheel" <<'PYTHON' || return 1
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
for needed in ("pullstream/__init__.py", "pullstream/_ffi.py", "pullstream/py.typed"):
    assert needed in names, f"{needed} missing from the wheel: {names}"
assert any(n.startswith("pullstream/libpullstream.") for n in names), f"no bundled library: {names}"
PYTHON
  echo "wheel: $(basename "$wheel"), $(stat -c %s "$wheel") bytes" | tee "$OUT/wheel_info"
}
run pip_wheel build_wheel
[ -f "$OUT/wheel_info" ] && echo "     $(cat "$OUT/wheel_info")"

finish python
