#!/usr/bin/env bash
# Sets Turnout up and runs its main job. Today the main job demonstrates the wire layer:
# a server, a health probe, a call, reflection, and the wire benchmark against Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
turnout=.build/release/turnout
state="${TURNOUT_STATE_DIR:-.state}"
mkdir -p "$state"
"$turnout" echo-server --listen 127.0.0.1:0 --state-dir "$state" 2> "$state/echo-server.log" &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q '"msg":"listening"' "$state/echo-server.log" 2>/dev/null && break
  sleep 0.05
done
port="$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$state/echo-server.log" | head -n 1)"
echo "echo server on 127.0.0.1:$port"
echo "health: $("$turnout" health --target "127.0.0.1:$port")"
echo "methods: $("$turnout" call --target "127.0.0.1:$port" --method Reflection/List)"
echo "echo:    $("$turnout" call --target "127.0.0.1:$port" --method Echo/Echo --body '{"hello":"turnout"}')"
echo
"$turnout" bench wire --duration 2s
