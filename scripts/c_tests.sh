#!/usr/bin/env bash
# Tests of the C ABI from C, C++ and Python, against the library as a user installs it.
#
#   cargo build --release && scripts/c_tests.sh [release|debug]
#
# * `cargo xtask install` into target/ctest-<profile>/prefix; every C and C++ program below is
#   built with the flags `pkg-config pullstream` gives for that prefix, nothing else;
# * the install itself: the files, the SONAME (readelf), the shared programs' NEEDED entry, a
#   static program needing no libpullstream.so, and a DESTDIR install (files under DESTDIR, the
#   .pc naming the prefix);
# * the header compiles alone as C99 and C++17 (-Wall -Wextra -Wpedantic -Werror);
# * every bindings/c/tests/test_*.c, against the shared and the static library;
# * bindings/c/examples/pull_report.c over every fixture: shared == static == the command-line
#   tool's `--json` (byte for byte, and the exit code), when target/<profile>/pullstream has --json;
#   and built with exactly `cc app.c $(pkg-config --cflags --libs pullstream)` (run with
#   LD_LIBRARY_PATH) and its `--static` counterpart, over a few fixtures;
# * the C tests and pull_report once under AddressSanitizer + UBSan (static library), and once
#   under valgrind (shared library);
# * the C++ wrapper's test program, shared and static;
# * the Python package's pytest suite with PULLSTREAM_LIB set to the installed library (pytest
#   installed into a venv under target/ when the machine's Python lacks it).
#
# Prints one closing line, "bindings: N passed, M failed", and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

PROFILE=${1:-release}
case $PROFILE in
  release | debug) ;;
  *)
    echo "c_tests: the profile is release or debug, not $PROFILE" >&2
    echo "bindings: 0 passed, 1 failed"
    exit 1
    ;;
esac
TARGET=$(realpath -m "${CARGO_TARGET_DIR:-target}")
OUT=$TARGET/ctest-$PROFILE
PREFIX=$OUT/prefix
mkdir -p "$OUT"

# Install as a user would (this also builds the library); a stale prefix must not mask a
# missing file.
rm -rf "$PREFIX"
if ! cargo xtask install --prefix "$PREFIX" --profile "$PROFILE" >"$OUT/install.log" 2>&1; then
  tail -n 30 "$OUT/install.log"
  echo "c_tests: cargo xtask install --prefix $PREFIX --profile $PROFILE failed" >&2
  echo "bindings: 0 passed, 1 failed"
  exit 1
fi
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
LIBDIR=$(pkg-config --variable=libdir pullstream)
read -r -a PC_CFLAGS <<<"$(pkg-config --cflags pullstream)"
read -r -a PC_LIBS <<<"$(pkg-config --libs pullstream)"
# pkg-config --static still names -lpullstream, and the linker prefers libpullstream.so when
# both files are in one directory: pass the archive by path, then the private libraries.
PC_PRIVATE=()
for flag in $(pkg-config --static --libs-only-l pullstream); do
  [ "$flag" = -lpullstream ] || PC_PRIVATE+=("$flag")
done

CFLAGS=(-std=c99 -Wall -Wextra -Wpedantic -Werror "${PC_CFLAGS[@]}")
# One include path for C and C++: the install puts pullstream.hpp beside pullstream.h.
CXXFLAGS=(-std=c++17 -Wall -Wextra -Wpedantic -Werror "${PC_CFLAGS[@]}")
# The rpath lets the programs find libpullstream.so.0 (their NEEDED entry) in the prefix.
DYN=("${PC_LIBS[@]}" -Wl,-rpath,"$LIBDIR")
STATIC=("$LIBDIR/libpullstream.a" "${PC_PRIVATE[@]}")
SAN=(-fsanitize=address,undefined -fno-omit-frame-pointer -g)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# shellcheck source=scripts/checks.sh
source scripts/checks.sh # (the working directory is the repository root)

# --- the install ----------------------------------------------------------------------------
installed_files() {
  local file
  for file in include/pullstream.h include/pullstream.hpp lib/libpullstream.so.0.1.0 lib/libpullstream.a \
    lib/pkgconfig/pullstream.pc; do
    [ -f "$PREFIX/$file" ] || { echo "missing $PREFIX/$file"; return 1; }
  done
  [ "$(readlink "$PREFIX/lib/libpullstream.so.0")" = libpullstream.so.0.1.0 ] || return 1
  [ "$(readlink "$PREFIX/lib/libpullstream.so")" = libpullstream.so.0 ] || return 1
  cmp include/pullstream.h "$PREFIX/include/pullstream.h" &&
    cmp bindings/cpp/pullstream.hpp "$PREFIX/include/pullstream.hpp"
}
run install_files installed_files
soname() { readelf -d "$PREFIX/lib/libpullstream.so.0.1.0" | grep -F 'SONAME' | grep -F '[libpullstream.so.0]'; }
run install_soname soname
pc_fields() {
  [ "$(pkg-config --modversion pullstream)" = 0.1.0 ] || return 1
  [ "$(pkg-config --variable=prefix pullstream)" = "$PREFIX" ] || return 1
  pkg-config --static --libs pullstream | grep -E -- '-lpullstream .*-l'
}
run install_pkg_config pc_fields
# DESTDIR (GNU make's meaning): the files land under DESTDIR, the .pc names the prefix.
destdir_install() {
  local stage=$OUT/destdir prefix=/opt/pullstream-ctest
  rm -rf "$stage"
  DESTDIR=$stage cargo xtask install --prefix "$prefix" --profile "$PROFILE" || return 1
  [ -f "$stage$prefix/lib/libpullstream.so.0.1.0" ] || return 1
  [ -f "$stage$prefix/include/pullstream.h" ] || return 1
  [ ! -e "$prefix" ] || { echo "$prefix exists outside DESTDIR"; return 1; }
  grep -qx "prefix=$prefix" "$stage$prefix/lib/pkgconfig/pullstream.pc"
}
run install_destdir destdir_install

# --- the header on its own ------------------------------------------------------------------
run header_c99 gcc "${CFLAGS[@]}" -fsyntax-only -x c "$PREFIX/include/pullstream.h"
run header_cxx17 g++ "${CXXFLAGS[@]}" -fsyntax-only -x c++ "$PREFIX/include/pullstream.h"
run header_hpp_cxx17 g++ "${CXXFLAGS[@]}" -fsyntax-only -x c++ "$PREFIX/include/pullstream.hpp"

# --- C tests: shared and static ---------------------------------------------------------------
C_TESTS=()
for source in bindings/c/tests/test_*.c; do
  C_TESTS+=("$(basename "$source" .c)")
done
for test in "${C_TESTS[@]}"; do
  source=bindings/c/tests/$test.c
  run "build_${test}_shared" gcc "${CFLAGS[@]}" "$source" "${DYN[@]}" -o "$OUT/${test}_shared"
  run "${test}_shared" "$OUT/${test}_shared"
  run "build_${test}_static" gcc "${CFLAGS[@]}" "$source" "${STATIC[@]}" -o "$OUT/${test}_static"
  run "${test}_static" "$OUT/${test}_static"
done

# --- pull_report over every fixture ---------------------------------------------------------
REPORT=bindings/c/examples/pull_report.c
run build_pull_report_shared gcc "${CFLAGS[@]}" "$REPORT" "${DYN[@]}" -o "$OUT/pull_report_shared"
run build_pull_report_static gcc "${CFLAGS[@]}" "$REPORT" "${STATIC[@]}" -o "$OUT/pull_report_static"

# The programs record the SONAME, not the file name; the static one needs no libpullstream.so.
needed_soname() { readelf -d "$OUT/pull_report_shared" | grep -F 'NEEDED' | grep -F '[libpullstream.so.0]'; }
run pull_report_needed_soname needed_soname
static_needs_no_so() { ! readelf -d "$OUT/pull_report_static" | grep -F 'NEEDED' | grep -F libpullstream; }
run pull_report_static_no_so static_needs_no_so

CLI=$TARGET/$PROFILE/pullstream
cli_has_json() {
  [ -x "$CLI" ] || return 1
  local line
  line=$("$CLI" --json tests/fixtures/empty.stream 2>/dev/null)
  [[ $line == '{"outcome":'* ]]
}
if cli_has_json; then
  COMPARE_WITH_CLI=1
  echo "note: comparing pull_report with \`$CLI --json\`"
else
  COMPARE_WITH_CLI=0
  echo "note: $CLI --json is not available: pull_report is compared between the shared and static"
  echo "      builds only (capi/tests/c_abi.rs checks the C summary against the Rust Pipeline)"
fi

# Runs a program on a file and records "<stdout>\nexit=<code>".
capture() {
  local out code
  out=$("$@" 2>/dev/null)
  code=$?
  printf '%s\nexit=%d\n' "$out" "$code"
}
compare_fixture() {
  local fixture=$1 shared static stdin_run cli
  shared=$(capture "$OUT/pull_report_shared" "$fixture")
  static=$(capture "$OUT/pull_report_static" "$fixture")
  stdin_run=$(capture "$OUT/pull_report_shared" <"$fixture")
  [ "$shared" = "$static" ] || { echo "shared and static differ:"; echo "$shared"; echo "$static"; return 1; }
  [ "$shared" = "$stdin_run" ] || { echo "file and stdin differ"; return 1; }
  [[ $shared == '{"outcome":'* ]] || { echo "no summary line: $shared"; return 1; }
  if [ "$COMPARE_WITH_CLI" = 1 ]; then
    cli=$(capture "$CLI" --json "$fixture")
    [ "$shared" = "$cli" ] || { echo "pull_report and the CLI differ:"; echo "$shared"; echo "$cli"; return 1; }
  fi
}
# Byte for byte, including the trailing newline.
compare_bytes() {
  local fixture=$1
  cmp <("$OUT/pull_report_shared" "$fixture") <("$CLI" --json "$fixture")
}
for fixture in tests/fixtures/*.stream; do
  name=$(basename "$fixture" .stream)
  run "pull_report_$name" compare_fixture "$fixture"
  if [ "$COMPARE_WITH_CLI" = 1 ]; then
    run "pull_report_bytes_$name" compare_bytes "$fixture"
  fi
done
# Exactly what docs/C_API.md tells a user to type: nothing but pkg-config's flags.
# shellcheck disable=SC2046 # pkg-config's output is meant to be split into words
run build_pull_report_pkgconfig cc "$REPORT" $(pkg-config --cflags --libs pullstream) -o "$OUT/pull_report_pkgconfig"
# shellcheck disable=SC2046
run build_pull_report_pkgconfig_static cc $(pkg-config --static --cflags pullstream) "$REPORT" \
  "$(pkg-config --variable=libdir pullstream)/libpullstream.a" \
  "${PC_PRIVATE[@]}" -o "$OUT/pull_report_pkgconfig_static"
# A wholly static program from nothing but `pkg-config --static` and the compiler's -static:
# the linker then takes libpullstream.a, and Libs.private supplies what it needs.
# shellcheck disable=SC2046
run build_pull_report_pkgconfig_all_static cc -static "$REPORT" \
  $(pkg-config --static --cflags --libs pullstream) -o "$OUT/pull_report_pkgconfig_all_static"
no_dynamic_section() { ! readelf -d "$OUT/pull_report_pkgconfig_all_static" | grep -q NEEDED; }
run pull_report_pkgconfig_all_static_is_static no_dynamic_section
pkgconfig_builds_agree() {
  local fixture expected shared static all_static
  for fixture in tests/fixtures/pull_up_to_date.stream tests/fixtures/pull_error_first.stream \
    tests/fixtures/push_aux_digest.stream tests/fixtures/pull_cut_mid_record.stream; do
    if [ "$COMPARE_WITH_CLI" = 1 ]; then
      expected=$(capture "$CLI" --json "$fixture")
    else
      expected=$(capture "$OUT/pull_report_static" "$fixture")
    fi
    shared=$(LD_LIBRARY_PATH=$LIBDIR capture "$OUT/pull_report_pkgconfig" "$fixture")
    static=$(capture "$OUT/pull_report_pkgconfig_static" "$fixture")
    all_static=$(capture "$OUT/pull_report_pkgconfig_all_static" "$fixture")
    [ "$all_static" = "$expected" ] || { echo "$fixture: -static differs:"; echo "$all_static"; echo "$expected"; return 1; }
    [ "$shared" = "$expected" ] || { echo "$fixture: shared differs:"; echo "$shared"; echo "$expected"; return 1; }
    [ "$static" = "$expected" ] || { echo "$fixture: static differs:"; echo "$static"; echo "$expected"; return 1; }
  done
}
run pull_report_pkgconfig_fixtures pkgconfig_builds_agree

usage() { "$OUT/pull_report_shared" a b; [ $? -eq 64 ]; }
run pull_report_usage usage
missing() { "$OUT/pull_report_shared" /nonexistent/file; [ $? -eq 3 ]; }
run pull_report_missing_file missing

# --- AddressSanitizer + UBSan (static library) ----------------------------------------------
if echo 'int main(void){return 0;}' | gcc -x c - "${SAN[@]}" -o "$OUT/san_probe" >/dev/null 2>&1; then
  for test in "${C_TESTS[@]}"; do
    run "build_${test}_asan" gcc "${CFLAGS[@]}" "${SAN[@]}" "bindings/c/tests/$test.c" "${STATIC[@]}" \
      -o "$OUT/${test}_asan"
    run "${test}_asan" "$OUT/${test}_asan"
  done
  run build_pull_report_asan gcc "${CFLAGS[@]}" "${SAN[@]}" "$REPORT" "${STATIC[@]}" -o "$OUT/pull_report_asan"
  asan_fixtures() {
    local fixture code
    for fixture in tests/fixtures/*.stream; do
      "$OUT/pull_report_asan" "$fixture" >/dev/null
      code=$?
      [ "$code" -le 3 ] || { echo "$fixture: exit $code"; return 1; }
    done
  }
  run pull_report_asan_fixtures asan_fixtures
  run build_cpp_asan g++ "${CXXFLAGS[@]}" "${SAN[@]}" bindings/cpp/test_pullstream.cpp "${STATIC[@]}" \
    -o "$OUT/cpp_asan"
  run cpp_asan "$OUT/cpp_asan"
else
  echo "skip AddressSanitizer: gcc cannot link -fsanitize=address,undefined here"
fi

# --- valgrind (shared library) --------------------------------------------------------------
if command -v valgrind >/dev/null 2>&1; then
  VALGRIND=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
  for test in "${C_TESTS[@]}"; do
    run "${test}_valgrind" "${VALGRIND[@]}" "$OUT/${test}_shared"
  done
  valgrind_report() {
    local code
    "${VALGRIND[@]}" "$OUT/pull_report_shared" tests/fixtures/pull_garbage_between.stream >/dev/null
    code=$?
    [ "$code" -ne 99 ]
  }
  run pull_report_valgrind valgrind_report
else
  echo "skip valgrind: not installed"
fi

# --- C++ wrapper ----------------------------------------------------------------------------
run build_cpp_shared g++ "${CXXFLAGS[@]}" bindings/cpp/test_pullstream.cpp "${DYN[@]}" -o "$OUT/cpp_shared"
run cpp_shared "$OUT/cpp_shared"
run build_cpp_static g++ "${CXXFLAGS[@]}" bindings/cpp/test_pullstream.cpp "${STATIC[@]}" -o "$OUT/cpp_static"
run cpp_static "$OUT/cpp_static"

# --- Python package -------------------------------------------------------------------------
# pytest from the machine's Python when it has it, else installed into a virtual environment
# under target/ (kept between runs): never into the machine's own site-packages.
PYTEST_PY=python3
if ! python3 -c 'import pytest' >/dev/null 2>&1; then
  PYTEST_PY=$OUT/pytest-venv/bin/python3
  if ! "$PYTEST_PY" -c 'import pytest' >/dev/null 2>&1; then
    { python3 -m venv "$OUT/pytest-venv" && "$PYTEST_PY" -m pip install --quiet pytest; } >/dev/null 2>&1 ||
      echo "note: could not install pytest into $OUT/pytest-venv"
  fi
fi
python_tests() {
  PYTHONDONTWRITEBYTECODE=1 PULLSTREAM_LIB="$LIBDIR/libpullstream.so.0" "$PYTEST_PY" -m pytest -q -p no:cacheprovider bindings/python/tests
}
run python_pytest python_tests

finish bindings
