#!/usr/bin/env bash
# Turnout's test command: set-up without the release build, the Swift test suite, the deployment
# files' validation, and a short fuzz pass.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-build
echo "==> building tests" >&2
swift build --build-tests 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
# The module graph's rules (docs/architecture.md), from `swift package describe`, and the
# checker's own tests.
echo "==> checking the module graph (Tests/Architecture)" >&2
python3 Tests/Architecture/check_module_graph.py
python3 Tests/Architecture/test_check_module_graph.py 2>&1 | tail -n 3
# Three runs: the transport's timing-sensitive tests (timeouts, trickles, deadlines) alone; the
# services' process tests, which start many processes at once; the compute-bound suites (the
# model's parity tests, the routers' training and accuracy tests), which keep both cores busy
# inside the test process, whose cooperative pool has only two threads.
run_tests() {
  local label="$1"; shift
  echo "==> running tests: $label" >&2
  local status=0
  swift test "$@" > ".build/test-output-$label.txt" 2>&1 || status=$?
  # Passing tests are one line each; show the rest (failures, suites, the summary).
  grep -vE '^(✔ Test |◇ |↳ |Test Case |\s*Executed )' ".build/test-output-$label.txt" || true
  if [ "$status" -ne 0 ]; then echo "swift test ($label) failed (exit $status)" >&2; exit "$status"; fi
}
network="TurnoutTransportTests|TurnoutHTTPClientTests|TurnoutWireTests"
run_tests network --filter "$network"
run_tests services --skip "$network" --skip TurnoutEmbeddingTests --skip TurnoutRoutingTests
run_tests compute --filter "TurnoutEmbeddingTests|TurnoutRoutingTests"
# The deployment files, without a Docker engine or a cluster: needs the executables the test
# build made (each service's --help is the reference for ports and variables).
echo "==> validating the deployment files (scripts/validate-deploy.sh)" >&2
scripts/validate-deploy.sh
echo "==> fuzzing the wire decoder (short pass; scripts/fuzz.sh 600 for a long one)" >&2
scripts/fuzz.sh "${TURNOUT_FUZZ_SECONDS:-30}"
if ls fuzz-out/crash-* fuzz-out/leak-* fuzz-out/timeout-* >/dev/null 2>&1; then
  echo "fuzzer found a failing input in fuzz-out/" >&2
  exit 1
fi
grep -hE '^✔ Test run with' .build/test-output-network.txt .build/test-output-services.txt .build/test-output-compute.txt
