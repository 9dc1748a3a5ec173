#!/usr/bin/env bash
# Checks that the core crate `pullstream` is publishable as it stands:
#
# 1. its normal dependencies are exactly memchr, serde and serde_json (serde brings
#    serde_derive), plus futures-core with the opt-in `stream` feature: anything the C ABI or the command-line tool needs, or a
#    dependency no code uses, must not reach the library's users;
# 2. `cargo package -p pullstream --locked` builds the crate file and verifies that it compiles;
# 3. the `.crate` is extracted to a folder under $TMPDIR, where its own tests are
#    type-checked without features (the synth-only test is left out without `synth`) and built
#    and run with every feature, doc tests included, so a test that reads a file left out of the
#    package, or needs a feature it does not declare, fails here rather than for a user running
#    `cargo test` on the published crate.
#
# Builds go to $CARGO_TARGET_DIR/package-check (default target/package-check), kept between
# runs, and the crate is extracted to the same folder each time, so a second run rebuilds little. Works offline once the registry cache holds the
# dependencies. A tree with uncommitted changes is packaged with --allow-dirty (said on stdout);
# CI packages a clean checkout. Prints one closing line, "package: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."

TARGET=$(realpath -m "${CARGO_TARGET_DIR:-target}")
CHECK_TARGET="$TARGET/package-check"
export CARGO_TERM_COLOR=never
T0=$(date +%s)
passed=0; failed=0; failures=()
step() {
  local name=$1; shift
  echo "--- [$(( $(date +%s) - T0 ))s] $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

# The library's own direct dependencies, by name; serde_derive comes through serde's "derive".
# With default features exactly these; an opt-in feature may add only what it names below.
ALLOWED_DIRECT_DEPS="memchr serde serde_json"
# `stream` = futures-core (the Stream trait).
ALLOWED_WITH_ALL_FEATURES="futures_core memchr serde serde_json"
direct_deps() {
  cargo tree -p pullstream -e normal "$@" --depth 1 --prefix none --format '{lib}' --locked \
    --offline | sed 1d | sort -u | tr '\n' ' ' | sed 's/ $//'
}
check_dependencies() {
  local direct all
  direct=$(direct_deps)
  all=$(direct_deps --all-features)
  if [ "$direct" != "$ALLOWED_DIRECT_DEPS" ] || [ "$all" != "$ALLOWED_WITH_ALL_FEATURES" ]; then
    echo "pullstream's normal dependencies are [$direct] ([$all] with every feature),"
    echo "expected [$ALLOWED_DIRECT_DEPS] ([$ALLOWED_WITH_ALL_FEATURES])"
    echo "(a new dependency of the library is a decision: change the allowed lists with it)"
    return 1
  fi
  echo "direct dependencies: $direct (every feature: $all); with theirs:"
  cargo tree -p pullstream -e normal --all-features --prefix none --format '{p}' --locked \
    --offline | sed 1d | sed 's/ (\*)$//' | sort -u | sed 's/^/  /'
}

VERSION=$(cargo metadata --no-deps --format-version 1 --locked --offline |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "pullstream"))')
CRATE="$TARGET/package/pullstream-$VERSION.crate"

package() {
  local dirty=()
  if [ -n "$(git status --porcelain 2>/dev/null)" ]; then
    echo "note: uncommitted changes; packaging with --allow-dirty"
    dirty=(--allow-dirty)
  fi
  rm -f "$CRATE" # so that a crate left by an earlier run is never tested in this one's place
  # No verification build: the tests below build the packaged crate anyway.
  cargo package -p pullstream --locked --offline --no-verify "${dirty[@]}" || return 1
  echo "$(cargo package -p pullstream --list --locked --offline "${dirty[@]}" 2>/dev/null |
    wc -l) files, $(du -h "$CRATE" | cut -f1) compressed: $CRATE"
}

# Outside the repository (inside it, cargo would take the crate for a stray workspace member),
# at a path fixed per checkout so that an unchanged crate is not rebuilt.
WORK="${TMPDIR:-/tmp}/pullstream-package-check-$(id -u)-$(pwd | cksum | cut -d' ' -f1)"
SRC="$WORK/pullstream-$VERSION"
extract() {
  # cargo gives every file in a .crate the same fixed time stamp, so cargo (which rebuilds by
  # time stamps) would take a changed crate extracted over an old one for unchanged. A crate
  # that differs from the last one tested is extracted afresh and its files stamped now; the
  # same crate is left as it is, and nothing is rebuilt.
  local stamp="$CHECK_TARGET/extracted-crate" id
  id="$SRC $(sha256sum "$CRATE" | cut -d' ' -f1)"
  if [ -d "$SRC" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$id" ]; then
    echo "same crate as the last run: not extracted again"
    return 0
  fi
  rm -rf "$WORK" && mkdir -p "$WORK" && tar -xzf "$CRATE" -C "$WORK" || return 1
  find "$WORK" -type f -exec touch {} + || return 1
  mkdir -p "$CHECK_TARGET" && echo "$id" >"$stamp"
}
# The extracted crate is a workspace of its own; its tests may read only what it holds.
in_crate() { (cd "$SRC" && CARGO_TARGET_DIR="$CHECK_TARGET" "$@"); }
LOG="$CHECK_TARGET/test.log"
run_tests() {
  in_crate cargo test --locked --offline --all-features --no-fail-fast 2>&1 | tee "$LOG"
  local status=${PIPESTATUS[0]}
  if [ "$status" -ne 0 ]; then
    echo "failing tests of the packaged crate:"
    grep -E '^test .* FAILED$|^error(\[|:)' "$LOG" | sed 's/^/  /'
    if grep -q 'fuzz/seeds' "$LOG"; then
      echo "  (tests/fuzz_regressions.rs reads fuzz/seeds/, which is not part of the package)"
    fi
  fi
  return "$status"
}

step "dependencies of the library" check_dependencies
step "cargo package -p pullstream" package
if [ -f "$CRATE" ]; then
  step "extract $(basename "$CRATE")" extract
  step "packaged crate: library and tests compile without features" \
    in_crate cargo check --locked --offline --lib --tests
  step "packaged crate: tests pass with every feature" run_tests
fi

for name in "${failures[@]}"; do echo "FAILED: $name"; done
echo "package: $passed passed, $failed failed in $(( $(date +%s) - T0 ))s"
[ "$failed" -eq 0 ]
