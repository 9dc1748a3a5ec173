#!/usr/bin/env bash
# bindings/cpp/pullstream.hpp refuses to compile below C++17 with its own #error message
# (not a cascade of errors about std::string_view), and compiles cleanly at C++17.
#
#   scripts/cpp_std_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
MESSAGE="pullstream.hpp needs C++17 or newer"
status=0
for std in c++11 c++14; do
  if output=$(g++ -std=$std -Iinclude -Ibindings/cpp -fsyntax-only -x c++ bindings/cpp/pullstream.hpp 2>&1); then
    echo "FAIL -std=$std: pullstream.hpp compiled"
    status=1
  elif ! grep -q "#error \"$MESSAGE" <<<"$output"; then
    echo "FAIL -std=$std: failed without the #error message:"
    head -n 5 <<<"$output" | sed 's/^/     | /'
    status=1
  else
    echo "ok   -std=$std: $(grep -o "$MESSAGE[^\"]*" <<<"$output" | head -n 1 | cut -c1-60)..."
  fi
done
for std in c++17 c++20; do
  if g++ -std=$std -Wall -Wextra -Wpedantic -Werror -Iinclude -Ibindings/cpp -fsyntax-only -x c++ \
    bindings/cpp/pullstream.hpp; then
    echo "ok   -std=$std: compiles"
  else
    echo "FAIL -std=$std: does not compile"
    status=1
  fi
done
exit $status
