#!/usr/bin/env bash
# Checks that the core crate `pullstream` is publishable as it stands:
#
# 1. its normal dependencies (with every feature on) are exactly memchr, serde and serde_json
#    (serde brings serde_derive): anything the C ABI or the command-line tool needs, or a
#    dependency no code uses, must not reach the library's users;
# 2. `cargo package -p pullstream --locked` builds the crate file and verifies that it compiles;
# 3. the `.crate` is extracted to a temporary folder and its own tests are built there without
#    features and run with every feature (the synth-only test is skipped without `synth`), so a
#    test that reads a file left out of the package, or needs a feature it does not declare,
#    fails here rather than for a user running `cargo test` on the published crate.
#
# Builds go to $CARGO_TARGET_DIR/package-check (default target/package-check), kept between
# runs so that a second run rebuilds little. Works offline once the registry cache holds the
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
ALLOWED_DIRECT_DEPS="memchr serde serde_json"
check_dependencies() {
  local direct
  direct=$(cargo tree -p pullstream -e normal --all-features --depth 1 --prefix none \
             --format '{lib}' --locked --offline | sed 1d | sort -u | tr '\n' ' ' | sed 's/ $//')
  if [ "$direct" != "$ALLOWED_DIRECT_DEPS" ]; then
    echo "pullstream's normal dependencies are [$direct], expected [$ALLOWED_DIRECT_DEPS]"
    echo "(a new dependency of the library is a decision: change ALLOWED_DIRECT_DEPS with it)"
    return 1
  fi
  echo "direct dependencies: $direct; with theirs:"
  cargo tree -p pullstream -e normal --all-features --prefix none --format '{p}' --locked \
    --offline | sed 1d | sort -u | sed 's/^/  /'
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
  cargo package -p pullstream --locked --offline "${dirty[@]}" || return 1
  echo "$(cargo package -p pullstream --list --locked --offline "${dirty[@]}" 2>/dev/null |
    wc -l) files, $(du -h "$CRATE" | cut -f1) compressed: $CRATE"
}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
extract() { tar -xzf "$CRATE" -C "$WORK"; }
SRC="$WORK/pullstream-$VERSION"
# The extracted crate is a workspace of its own; its tests may read only what it holds.
in_crate() { (cd "$SRC" && CARGO_TARGET_DIR="$CHECK_TARGET" "$@"); }

step "dependencies of the library" check_dependencies
step "cargo package -p pullstream" package
if [ -f "$CRATE" ]; then
  step "extract $(basename "$CRATE")" extract
  step "packaged crate: tests build without features" \
    in_crate cargo test --locked --offline --no-run
  step "packaged crate: tests pass with every feature" \
    in_crate cargo test --locked --offline --all-features
fi

for name in "${failures[@]}"; do echo "FAILED: $name"; done
echo "package: $passed passed, $failed failed in $(( $(date +%s) - T0 ))s"
[ "$failed" -eq 0 ]
