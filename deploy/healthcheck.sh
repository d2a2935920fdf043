#!/bin/sh
# The image's HEALTHCHECK: runs turnout-probe (Health/Check, exit 0 only when SERVING) against
# the wire port of whichever Turnout service this container runs, read from PID 1's command
# line (tini's, which ends with the service and its flags). The address probed is, in order:
#   1. TURNOUT_PROBE_TARGET (HOST:PORT), when set;
#   2. the service's --listen flag (`--listen X` or `--listen=X`);
#   3. its TURNOUT_<SERVICE>_LISTEN variable;
#   4. its default port: embedder 7101, scorer 7102, dispatcher 7103, collector 7104.
# A container that runs no service (a one-off `turnout-probe ...`) has nothing to check: exit 0.
# Compose files and Kubernetes manifests call turnout-probe directly and do not need this.
set -eu
timeout="${TURNOUT_PROBE_TIMEOUT:-2s}"
if [ -n "${TURNOUT_PROBE_TARGET:-}" ]; then
  exec turnout-probe "$TURNOUT_PROBE_TARGET" --timeout "$timeout"
fi

service=""
port=""
listen=""
previous=""
for argument in $(tr '\0' '\n' < /proc/1/cmdline); do
  case "$argument" in
    turnout-embedder | */turnout-embedder) service=EMBEDDER; port=7101 ;;
    turnout-scorer | */turnout-scorer) service=SCORER; port=7102 ;;
    turnout-dispatcher | */turnout-dispatcher) service=DISPATCHER; port=7103 ;;
    turnout-collector | */turnout-collector) service=COLLECTOR; port=7104 ;;
    --listen=*) listen="${argument#--listen=}" ;;
  esac
  if [ "$previous" = "--listen" ]; then listen="$argument"; fi
  previous="$argument"
done
[ -n "$service" ] || exit 0
if [ -z "$listen" ]; then
  eval "listen=\${TURNOUT_${service}_LISTEN:-}"
fi
if [ -n "$listen" ]; then port="${listen##*:}"; fi
exec turnout-probe "127.0.0.1:$port" --timeout "$timeout"
