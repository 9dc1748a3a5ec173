#!/usr/bin/env bash
# The bounded CI fuzz run: every fuzz target for a short, fixed time, one after the other.
# Fails on any crash (the fuzzer's exit status), printing only the tail of its log.
#
#   scripts/fuzz_ci.sh                      each target for 20 s
#   FUZZ_SECS=60 FUZZ_TARGETS="chunked" scripts/fuzz_ci.sh
#
# Installs cargo-fuzz 0.13.2 into ${CI_TOOLS:-$HOME/.cache/ci-tools} when missing. Builds with
# AddressSanitizer (stable + RUSTC_BOOTSTRAP=1) and falls back to `-s none` when that fails.
# Closing line: `fuzz: N passed, M failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

SECS=${FUZZ_SECS:-20}
TOOLS=${CI_TOOLS:-$HOME/.cache/ci-tools}
export PATH="$TOOLS/bin:$PATH"
export CARGO_TERM_COLOR=never
LOGS=fuzz/target/ci-logs
pass=0
fail=0

if ! cargo fuzz --version 2>/dev/null | grep -q '^cargo-fuzz 0.13.2'; then
  echo "installing cargo-fuzz 0.13.2 into $TOOLS"
  if ! cargo install --locked --root "$TOOLS" cargo-fuzz --version 0.13.2 >/dev/null 2>&1; then
    echo "cargo-fuzz could not be installed"
    echo "fuzz: 0 passed, 1 failed"
    exit 1
  fi
fi
mkdir -p "$LOGS"

ALL=$(cargo fuzz list 2>/dev/null)
TARGETS=${FUZZ_TARGETS:-$ALL}

# One target dir per sanitizer, so switching does not rebuild the other's binaries.
SAN=address
if ! RUSTC_BOOTSTRAP=1 cargo fuzz build -s address --target-dir fuzz/target/address \
     >"$LOGS/build-address.log" 2>&1; then
  echo "ASan build failed (tail below); falling back to -s none"
  tail -n 15 "$LOGS/build-address.log"
  SAN=none
  if ! cargo fuzz build -s none --target-dir fuzz/target/none >"$LOGS/build-none.log" 2>&1; then
    tail -n 40 "$LOGS/build-none.log"
    echo "fuzz: 0 passed, 1 failed"
    exit 1
  fi
fi
echo "fuzz: sanitizer=$SAN, ${SECS}s per target"

for target in $TARGETS; do
  corpus=fuzz/corpus/$target
  mkdir -p "$corpus"
  if [ -d "fuzz/seeds/$target" ]; then cp -n "fuzz/seeds/$target"/* "$corpus/" 2>/dev/null; fi
  log=$LOGS/$target.log
  # In-process (no -jobs/-workers: one fuzzer at a time); -timeout catches hangs, -rss_limit_mb
  # catches unbounded memory.
  if RUSTC_BOOTSTRAP=1 cargo fuzz run -s "$SAN" --target-dir "fuzz/target/$SAN" "$target" "$corpus" -- \
       -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       >"$log" 2>&1; then
    pass=$((pass + 1))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -E '(DONE|pulse|NEW|REDUCE) +cov:' "$log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')
    echo "ok   $target: ${runs:-?} runs, ${cov:-no coverage line}"
  else
    fail=$((fail + 1))
    echo "FAIL $target (log: $log)"
    tail -n 40 "$log"
    ls -1 "fuzz/artifacts/$target/" 2>/dev/null | tail -n 3 | sed 's/^/     artifact: /'
  fi
done

echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
