#!/usr/bin/env bash
# Turnout's test command: set-up without the release build, the Swift test suite, and a short fuzz pass.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-build
echo "==> building tests" >&2
swift build --build-tests 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
echo "==> running tests" >&2
status=0
swift test > .build/test-output.txt 2>&1 || status=$?
# Passing tests are one line each; show the rest (failures, suites, the summary).
grep -vE '^(✔ Test |◇ |↳ |Test Case |\s*Executed )' .build/test-output.txt || true
if [ "$status" -ne 0 ]; then echo "swift test failed (exit $status)" >&2; exit "$status"; fi
echo "==> fuzzing the wire decoder (short pass; scripts/fuzz.sh 600 for a long one)" >&2
scripts/fuzz.sh "${TURNOUT_FUZZ_SECONDS:-30}"
if ls fuzz-out/crash-* fuzz-out/leak-* fuzz-out/timeout-* >/dev/null 2>&1; then
  echo "fuzzer found a failing input in fuzz-out/" >&2
  exit 1
fi
grep -E '^✔ Test run with' .build/test-output.txt
