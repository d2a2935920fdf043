#!/usr/bin/env bash
# Fuzzes the frame decoder and envelope parsers with libFuzzer and AddressSanitizer.
#   scripts/fuzz.sh [SECONDS]      (default 600; CI runs a short pass)
# Crashing inputs are written to fuzz-out/; the corpus grows in fuzz-out/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
mkdir -p fuzz-out/corpus .build/fuzz
cp -n Tests/Fuzz/corpus/* fuzz-out/corpus/ 2>/dev/null || true
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name FuzzWire \
  Shared/TurnoutWire/*.swift Tests/Fuzz/FuzzWire.swift -o .build/fuzz/fuzz-wire 2>&1 \
  | { grep -v "Cannot export local symbol" || true; }
# Swift's backtracer hangs on the first crash under libFuzzer: turn it off.
SWIFT_BACKTRACE=enable=no .build/fuzz/fuzz-wire fuzz-out/corpus \
  -max_total_time="$seconds" -max_len=4096 -artifact_prefix=fuzz-out/ -print_final_stats=1 2>&1 | tail -n 25
