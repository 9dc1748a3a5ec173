# Shared by the scripts that run a list of named checks (c_tests.sh, python_tests.sh): source it
# after setting OUT, the folder for each check's log.
#
#   run NAME COMMAND...   runs COMMAND with its output in $OUT/NAME.log; prints "ok   NAME" or
#                         "FAIL NAME" with the log's last 20 lines, and counts it
#   finish LABEL          prints the failures and "LABEL: N passed, M failed"; its status is the
#                         script's (non-zero on any failure)

passed=0
failed=0
failures=()

run() {
  local name=$1
  shift
  if "$@" >"$OUT/$name.log" 2>&1; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "FAIL $name (log: $OUT/$name.log)"
    tail -n 20 "$OUT/$name.log" | sed 's/^/     | /'
  fi
}

finish() {
  echo
  local name
  for name in "${failures[@]}"; do echo "FAILED: $name"; done
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
