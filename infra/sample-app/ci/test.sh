#!/usr/bin/env bash
# Acceptance / Test: run the app in the test environment and check what it says.
set -euo pipefail
failures=0
check() { # expected, args...
  local want=$1; shift
  local got; got=$(bash .test-env/greet.sh "$@")
  if [ "$got" = "$want" ]; then echo "ok: greet $* -> $got"; else echo "FAIL: greet $*: wanted '$want', got '$got'" >&2; failures=$((failures + 1)); fi
}
check "Hello, world!"
check "Hello, ferrops!" ferrops
[ "$failures" -eq 0 ] || { echo "$failures test(s) failed" >&2; exit 1; }
echo "ferrops-output TESTS_PASSED=2"
