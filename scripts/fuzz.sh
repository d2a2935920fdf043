#!/usr/bin/env bash
# Fuzzes the wire frame decoder and envelope parsers, and the HTTP request parser, with
# libFuzzer and AddressSanitizer.
#   scripts/fuzz.sh [SECONDS]      total time, split between the targets (default 600)
# Crashing inputs are written to fuzz-out/; corpora grow in fuzz-out/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
half=$(( seconds / 2 > 0 ? seconds / 2 : 1 ))
mkdir -p fuzz-out/wire fuzz-out/http .build/fuzz
cp -n Tests/Fuzz/corpus/* fuzz-out/wire/ 2>/dev/null || true
cp -n Tests/Fuzz/http-corpus/* fuzz-out/http/ 2>/dev/null || true
build() {
  local name="$1"; shift
  swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name "$name" "$@" -o ".build/fuzz/$name" 2>&1 \
    | { grep -v "Cannot export local symbol" || true; }
}
# The wire layer imports TurnoutJSON: build it first as a module of its own, instrumented too.
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name TurnoutJSON -emit-module -emit-module-path .build/fuzz/TurnoutJSON.swiftmodule \
  -emit-library -static -o .build/fuzz/libTurnoutJSON.a Shared/TurnoutJSON/*.swift 2>&1 | { grep -v "Cannot export local symbol" || true; }
build FuzzWire -I .build/fuzz -L .build/fuzz -lTurnoutJSON Shared/TurnoutWire/*.swift Tests/Fuzz/FuzzWire.swift
build FuzzHTTP Shared/TurnoutTransport/HTTP/HTTPRequestParser.swift Shared/TurnoutTransport/HTTP/HTTPServerRequest.swift Tests/Fuzz/FuzzHTTP.swift
# Swift's backtracer hangs on the first crash under libFuzzer: turn it off.
for target in wire http; do
  name=$([ "$target" = wire ] && echo FuzzWire || echo FuzzHTTP)
  echo "==> fuzzing $target for ${half}s" >&2
  SWIFT_BACKTRACE=enable=no ".build/fuzz/$name" "fuzz-out/$target" \
    -max_total_time="$half" -max_len=4096 -artifact_prefix=fuzz-out/ -print_final_stats=1 2>&1 | tail -n 8
done
