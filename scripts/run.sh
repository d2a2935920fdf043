#!/usr/bin/env bash
# Sets Turnout up and runs its main job: the whole stack as local processes (collector,
# embedder, two scorer replicas, dispatcher) with the committed routers, then a routing
# demonstration: sample prompts of varied difficulty, each with its win rate and chosen model,
# and real chat completions through the dispatcher when upstream keys are configured
# (OPENAI_API_KEY, or TURNOUT_STRONG_*/TURNOUT_WEAK_* for other OpenAI-compatible servers,
# or TURNOUT_DISPATCHER_CONFIG). The stack keeps serving on http://127.0.0.1:6060/v1 until
# Ctrl-C. Extra arguments go to `turnout up` (e.g. --exit-after-demo, --ports free).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .build/release/turnout up --demo "$@"
