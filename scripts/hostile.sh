#!/usr/bin/env bash
# Hostile input at the process boundary: the command-line tool (`target/release/pullstream --json`)
# reads generated streams from a pipe under `/usr/bin/time -v`. Each run checks the exit code,
# the summary line and the peak resident memory against a bound, and prints the peak RSS.
# Inputs are generated on the fly (never held in memory or on disk).
#
#   scripts/hostile.sh             full sizes: 1 GiB of garbage, 10 million records, ...
#   HOSTILE_QUICK=1 scripts/hostile.sh   1/16 of the sizes (CI)
#   HOSTILE_BIN=path scripts/hostile.sh  another binary
#   HOSTILE_TIMEOUT=300                  seconds before a run counts as hung
#   HOSTILE_NO_VALGRIND=1                skip the valgrind run of the C call sequences
#   HOSTILE_ONLY="segments_1m long_ids"  only these cases
#
# Closing line: `hostile: N passed, M failed`. Skips (exit 0) if the tool is not built.
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=${HOSTILE_BIN:-${CARGO_TARGET_DIR:-target}/release/pullstream}
DIV=1
if [ -n "${HOSTILE_QUICK:-}" ]; then DIV=16; fi
TIME=/usr/bin/time

probe=$( [ -x "$BIN" ] && printf '{"status":"x"}\r\n' | "$BIN" --json 2>/dev/null )
if [[ "$probe" != *'"outcome"'* ]]; then
  echo "hostile: skipped ($BIN --json is not available; run cargo build --release first)"
  exit 0
fi
if [ ! -x "$TIME" ]; then
  echo "hostile: skipped (/usr/bin/time is not installed)"
  exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The generator: `python3 -c "$GEN" CASE DIV` writes one hostile stream to stdout.
GEN=$(cat <<'PY'
import sys
case, div = sys.argv[1], int(sys.argv[2])
out = sys.stdout.buffer
MIB = 1 << 20

def pull_record(i, layer):
    return (b'{"status":"Downloading","progressDetail":{"current":%d,"total":100000},'
            b'"progress":"[=>   ] %d/100kB","id":"%012x"}\r\n' % (i % 100000, i % 100000, layer))

if case == "no_brace":
    # 1 GiB: lines of text, NULs, invalid UTF-8, closing brackets; never a '{'.
    line = b"<html>502 Bad Gateway \x00\xff\xfe ]]] }}} \"quoted\" 12345 null\r\n"
    block = line * (MIB // len(line)) + b"x" * (MIB % len(line))
    for _ in range(1024 // div):
        out.write(block)
elif case == "record_100mib":
    out.write(b'{"status":"Downloading","id":"aaaaaaaaaaaa","progress":"')
    block = b"=" * MIB
    for _ in range(100):
        out.write(block)
    out.write(b'"}\r\n{"status":"Status: Image is up to date for alpine:latest"}\r\n')
elif case == "nested_100k":
    out.write(b'{"status":"x","aux":' + b"[" * 100000 + b"1" + b"]" * 100000 + b"}\r\n")
    out.write(b'{"status":"Status: Image is up to date for alpine:latest"}\r\n')
elif case == "records_10m":
    n = 10_000_000 // div
    out.write(b'{"status":"Pulling from library/alpine","id":"latest"}\r\n')
    block = b"".join(pull_record(i, i % 8) for i in range(1000))
    for _ in range(n // 1000):
        out.write(block)
    for layer in range(8):
        out.write(b'{"status":"Pull complete","progressDetail":{},"id":"%012x"}\r\n' % layer)
    out.write(b'{"status":"Digest: sha256:00"}\r\n')
    out.write(b'{"status":"Status: Downloaded newer image for alpine:latest"}\r\n')
elif case == "layers_1m":
    n = 1_000_000 // div
    out.write(b'{"status":"Pulling from library/alpine","id":"latest"}\r\n')
    for start in range(0, n, 1000):
        out.write(b"".join(pull_record(i, i) for i in range(start, min(n, start + 1000))))
elif case == "alternating":
    n = 1_000_000 // div
    garbage = [b"garbage", b"<html>", b"}", b"]]", b"{bad", b'{"x":1', b'{"status":"cut',
               b"\x00\xff", b"null", b'{"status":"a\xffb"}', b'{"x":1,',
               b'{"status":"Downloading","progressDetail":{"current":1,']
    block = b"".join(
        b'{"status":"Waiting","progressDetail":{},"id":"%012x"}\r\n' % (i % 8)
        + garbage[i % len(garbage)] + b"\r\n" for i in range(1000))
    for _ in range(n // 1000):
        out.write(block)
elif case == "bad_bytes":
    # NULs and invalid UTF-8 inside and outside strings, lone surrogates, odd numbers,
    # duplicate keys; each followed by a valid record.
    bad = [b"\x00" * 64, b"\xff\xfe", b'{"status":"a\x00b"}', b'{"status":"\xed\xa0\x80"}',
           b'{"status":"\\ud800","id":"\\udc00"}', b'{"status":"Downloading","id":"a",'
           b'"progressDetail":{"current":1e400,"total":-1}}', b'{"status":"Downloading","id":"a",'
           b'"progressDetail":{"current":99999999999999999999,"total":1.5}}',
           b'{"status":"a","status":"b"}']
    for i in range(10000 // div):
        out.write(bad[i % len(bad)] + b"\r\n" + b'{"status":"Waiting","id":"%012x"}\r\n' % (i % 8))
elif case == "segments_1m":
    # A million images: each `Pulling from` opens one (issue 12: 242 MiB before the limit).
    n = 1_000_000 // div
    for start in range(0, n, 1000):
        out.write(b"".join(b'{"status":"Pulling from library/image%d","id":"tag%d"}\r\n' % (i, i)
                           for i in range(start, min(n, start + 1000))))
elif case == "long_ids":
    # 4096 layers with 64 KiB ids, two records each (issue 12: 1.3 GiB before the limit).
    n = 4096 // div
    tail = b"f" * ((64 << 10) - 12)
    for i in range(n):
        layer = b"%012x" % i + tail
        out.write(b'{"status":"Pulling fs layer","progressDetail":{},"id":"' + layer + b'"}\r\n')
        out.write(b'{"status":"Downloading","progressDetail":{"current":1,"total":2},"id":"'
                  + layer + b'"}\r\n')
elif case == "references_1mib":
    # 10 000 references, repositories, digests and image ids of 1 MiB, in every record that
    # names one.
    n = 10_000 // div
    big = b"r" * MIB
    shapes = [b'{"status":"Pulling from ' + big + b'","id":"' + big + b'"}\r\n',
              b'{"status":"Digest: sha256:' + big + b'"}\r\n',
              b'{"status":"Status: Downloaded newer image for ' + big + b'"}\r\n',
              b'{"status":"The push refers to repository [' + big + b']"}\r\n',
              b'{"stream":"Successfully tagged ' + big + b'\\n"}\r\n',
              b'{"stream":"Loaded image: ' + big + b'\\n"}\r\n',
              b'{"aux":{"ID":"sha256:' + big + b'"}}\r\n']
    for i in range(n):
        out.write(shapes[i % len(shapes)])
elif case == "unclosed_then_records":
    # A record cut after 100 000 `[`, then a line break and a whole pull: the pull is read
    # again out of the cut record (docs/FORMAT.md §2.3), whole.
    out.write(b'{"a":' + b"[" * 100_000 + b"\r\n")
    out.write(b'{"status":"Pulling from library/alpine","id":"3.20"}\r\n')
    out.write(b'{"status":"Digest: sha256:' + b"0" * 64 + b'"}\r\n')
    out.write(b'{"status":"Status: Downloaded newer image for alpine:3.20"}\r\n')
elif case == "errors_100kb":
    # Error records of 100 KB: the first is kept (cut) for the verdict.
    n = 10_000 // div
    text = b"toomanyrequests: " + b"e" * 100_000
    record = b'{"errorDetail":{"message":"' + text + b'"},"error":"' + text + b'"}\r\n'
    for _ in range(n):
        out.write(record)
else:
    sys.exit("unknown case " + case)
PY
)

pass=0
fail=0

# run NAME RSS_BOUND_MIB EXPECTED_EXIT CHECK [STDERR_PATTERN]
#   CHECK is a Python expression over `s` (the summary as a dict) that must be true;
#   STDERR_PATTERN (grep -E) must match the tool's stderr: the clear error a user sees.
run() {
  local name=$1 bound_mib=$2 want_exit=$3 check=$4 pattern=${5:-}
  if [ -n "${HOSTILE_ONLY:-}" ] && [[ " $HOSTILE_ONLY " != *" $name "* ]]; then return; fi
  local out="$WORK/$name.out" err="$WORK/$name.err" tv="$WORK/$name.time"
  # A hang fails the run (exit 124) instead of stalling CI.
  python3 -c "$GEN" "$name" "$DIV" | timeout "${HOSTILE_TIMEOUT:-300}" "$TIME" -v -o "$tv" "$BIN" --json >"$out" 2>"$err"
  local codes=("${PIPESTATUS[@]}")
  local code=${codes[1]}
  local rss_kb
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
  rss_kb=${rss_kb:-0}
  local rss_mib=$(( (rss_kb + 1023) / 1024 ))
  local wall
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tv")
  local problems=()
  [ "$code" != 124 ] || problems+=("no result within ${HOSTILE_TIMEOUT:-300} s (hang?)")
  [ "${codes[0]}" -eq 0 ] || problems+=("generator exited ${codes[0]}")
  [ "$code" = "$want_exit" ] || problems+=("exit $code, want $want_exit")
  [ "$rss_mib" -le "$bound_mib" ] || problems+=("peak RSS ${rss_mib} MiB > bound ${bound_mib} MiB")
  if ! python3 -c "import json,sys; s=json.loads(open(sys.argv[1]).readline()); sys.exit(0 if ($check) else 1)" "$out" 2>/dev/null; then
    problems+=("summary check failed: $check; got $(head -c 400 "$out")")
  fi
  if [ -n "$pattern" ] && ! grep -qE "$pattern" "$err"; then
    problems+=("stderr does not match /$pattern/")
  fi
  if [ ${#problems[@]} -eq 0 ]; then
    pass=$((pass + 1))
    printf 'ok   %-15s max RSS %4d MiB (bound %d)  wall %s  exit %s\n' "$name" "$rss_mib" "$bound_mib" "$wall" "$code"
  else
    fail=$((fail + 1))
    printf 'FAIL %-15s max RSS %4d MiB (bound %d)  wall %s  exit %s\n' "$name" "$rss_mib" "$bound_mib" "$wall" "$code"
    for p in "${problems[@]}"; do echo "     $p"; done
    tail -n 3 "$err" | sed 's/^/     stderr: /'
  fi
}

N10M=$((10000000 / DIV)); N1M=$((1000000 / DIV))
run no_brace      16 3 's["records"] == 0 and s["malformed_records"] >= 1' \
    "not JSON: unexpected '<'.*|not a progress stream"
# The decoder may hold about twice max_record_len (8 MiB) while skipping a huge record.
run record_100mib 32 0 's["records"] == 1 and s["malformed_records"] == 1 and s["result"] == "up_to_date"' \
    "byte 0: record larger than the limit"
run nested_100k   16 0 's["records"] == 1 and s["malformed_records"] == 1' \
    "nested deeper than the limit of 128"
run records_10m   16 0 "s['records'] == $N10M + 11 and s['layers']['seen'] == 8 and s['outcome'] == 'success'"
run layers_1m     32 2 "s['records'] == $N1M + 1 and s['layers']['seen'] <= 4096"
# Every valid record is delivered (exactly one per pair) and every garbage line is reported.
NALT=$((N1M / 1000 * 1000))
run alternating   16 2 "s['records'] == $NALT and s['malformed_records'] == $NALT"
run bad_bytes     16 2 "s['records'] >= $((10000 / DIV)) and s['malformed_records'] >= 1"
# What the tracker keeps is capped (issue 12, part 6). The goal for any input is 64 MiB; the
# bounds here are tighter, to catch a regression early (a 2 MiB record lets the decoder hold ~4).
run segments_1m     16 2 "s['records'] == $N1M and s['outcome'] == 'incomplete'" \
    "more than 1024 images"
run long_ids        16 2 "s['records'] == 2 * (4096 // $DIV) and s['layers']['seen'] == 0" \
    "layer id longer than 256 bytes"
# The shapes mix operations (pull, push, build, load), so no operation finishes: incomplete.
run references_1mib 32 2 "s['records'] == 10000 // $DIV and len(s['reference']) <= 1024 and s['reference'].endswith('\u2026')" \
    "longer than 1024 bytes; kept cut"
run unclosed_then_records 16 0 "s['records'] == 3 and s['outcome'] == 'success' and s['digest'] is not None" \
    "nested deeper than the limit of 128"
run errors_100kb    16 1 "s['records'] == 10000 // $DIV and len(s['error']['message'].encode()) <= 65536" \
    "error message longer than 65536 bytes"

# The C API under valgrind: the `c_api` fuzz target's call sequences (NULLs, zero lengths,
# small buffers, pause/resume, free-and-recreate), replayed by the test binary that includes the
# fuzz body. (The same sequences run under AddressSanitizer in scripts/fuzz_ci.sh.)
if [ -n "${HOSTILE_NO_VALGRIND:-}" ]; then
  echo "skip c_api_valgrind (HOSTILE_NO_VALGRIND set)"
elif ! command -v valgrind >/dev/null 2>&1; then
  echo "skip c_api_valgrind (valgrind is not installed)"
else
  # -p: the core package has a fuzz_regressions test too, and with it the filter below would
  # match nothing and pass.
  exe=$(cargo test --locked -p pullstream-capi --test fuzz_regressions --no-run --message-format=json 2>/dev/null \
        | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("executable") and m.get("target", {}).get("name") == "fuzz_regressions":
        print(m["executable"])' | tail -n 1)
  if [ -z "$exe" ]; then
    fail=$((fail + 1)); echo "FAIL c_api_valgrind (could not build capi/tests/fuzz_regressions.rs)"
  elif valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
         "$exe" --test-threads=1 replay_seeds_c_api >"$WORK/valgrind.log" 2>&1; then
    pass=$((pass + 1)); echo "ok   c_api_valgrind (seed call sequences, no errors, no definite leaks)"
  else
    fail=$((fail + 1)); echo "FAIL c_api_valgrind"; tail -n 30 "$WORK/valgrind.log"
  fi
fi

echo "hostile: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
