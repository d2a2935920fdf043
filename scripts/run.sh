#!/usr/bin/env bash
# Sets Turnout up and runs its main job: the services built so far, started as local
# processes (collector and embedder), a look at embeddings of prompts of varied difficulty,
# the collector's view of it, and the wire benchmark against Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
bin=.build/release
state="${TURNOUT_STATE_DIR:-.state/run}"
mkdir -p "$state"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_for() { # log-file message -> port
  for _ in $(seq 1 200); do
    port="$(sed -n "s/.*\"msg\":\"$2\".*\"port\":\([0-9]*\).*/\1/p" "$1" 2>/dev/null | head -n 1)"
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.05
  done
  echo "timed out waiting for $2 in $1" >&2; cat "$1" >&2; return 1
}

"$bin/turnout-collector" --listen 127.0.0.1:0 --http-listen 127.0.0.1:0 --state-dir "$state/collector" 2> "$state/collector.log" &
pids+=($!)
collector_wire="$(wait_for "$state/collector.log" listening)"
collector_http="$(wait_for "$state/collector.log" "http listening")"
"$bin/turnout-embedder" --listen 127.0.0.1:0 --state-dir "$state/embedder" --collector "127.0.0.1:$collector_wire" --report-interval 1s 2> "$state/embedder.log" &
pids+=($!)
embedder="$(wait_for "$state/embedder.log" listening)"
echo "collector: wire 127.0.0.1:$collector_wire, http://127.0.0.1:$collector_http/metrics"
echo "embedder:  wire 127.0.0.1:$embedder"
echo
echo "Embeddings of prompts of varied difficulty (cosine similarity to the first):"
"$bin/turnout" embed --target "127.0.0.1:$embedder" \
  "What is 2 + 2?" \
  "What is the sum of 17 and 25?" \
  "Prove that there are infinitely many primes of the form 4k + 3." \
  "Write a haiku about the sea." \
  | python3 -c '
import json, sys
out = json.load(sys.stdin)
vectors = out["vectors"]
prompts = sys.argv[1:]
for prompt, vector in zip(prompts, vectors):
    cosine = sum(a * b for a, b in zip(vectors[0], vector))
    print(f"  {cosine:6.3f}  {prompt}")
print("  (%s, %d dimensions, via %s)" % (out["model"], out["dims"], out["source"]))
' "What is 2 + 2?" "What is the sum of 17 and 25?" "Prove that there are infinitely many primes of the form 4k + 3." "Write a haiku about the sea."
sleep 1.5
echo
echo "The collector's view (Prometheus exposition, embedder series):"
curl -s "http://127.0.0.1:$collector_http/metrics" | grep -E '^turnout_(embedder_cache|wire_requests_total\{code="OK",instance=[^}]*method="Embedder/Embed")' | head -n 6
echo
"$bin/turnout" bench wire --duration 2s
