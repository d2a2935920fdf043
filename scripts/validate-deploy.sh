#!/usr/bin/env bash
# Checks the deployment files without a Docker engine or a cluster (docs/deployment.md, "Validation"):
#   1. docker-compose.yml with docker-compose's own `config -q`: schema, interpolation, references;
#   2. deploy/prometheus.yml and the alerting rules deploy/alerts.yml with promtool (scripts/setup.sh
#      installs it), and the rules' unit tests, Tests/Deploy/alerts_test.yml;
#   3. every resource deploy/k8s/kustomization.yaml lists, against the Kubernetes JSON schemas
#      of each version in K8S_VERSIONS (kubernetes-validate --strict: unknown fields fail too);
#   4. Tests/Deploy/check_deploy.py: executables, COPY paths, ports and variables against
#      Package.swift and the services' own --help (so the executables must be built first);
#   5. Tests/Deploy/test_check_deploy.py: the checker still catches each kind of mistake.
# Every step runs; the exit status is 1 if any failed. Tools come from the .venv scripts/setup.sh makes.
#   scripts/validate-deploy.sh
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.venv
k8s_versions="${K8S_VERSIONS:-1.30 1.37}"
for tool in python docker-compose kubernetes-validate; do
  if [ ! -x "$venv/bin/$tool" ]; then
    echo "validate-deploy.sh: $venv/bin/$tool is missing; run scripts/setup.sh --no-build" >&2
    exit 1
  fi
done
failed=()
step() { printf '==> %s\n' "$*" >&2; }
run() {
  local name="$1"; shift
  if "$@"; then echo "    ok: $name" >&2; else failed+=("$name"); echo "    FAILED: $name" >&2; fi
}

step "docker-compose config (docker-compose.yml)"
run "docker-compose config" "$venv/bin/docker-compose" --project-directory . -f docker-compose.yml config -q

step "promtool (deploy/prometheus.yml, deploy/alerts.yml, Tests/Deploy/alerts_test.yml)"
if command -v promtool >/dev/null 2>&1; then
  run "promtool check config" promtool check config deploy/prometheus.yml
  run "promtool check rules" promtool check rules deploy/alerts.yml
  run "promtool test rules" promtool test rules Tests/Deploy/alerts_test.yml
else
  failed+=("promtool")
  echo "    FAILED: promtool is not installed; run scripts/setup.sh" >&2
fi

step "kubernetes-validate --strict (deploy/k8s, Kubernetes $k8s_versions)"
mapfile -t resources < <("$venv/bin/python" Tests/Deploy/check_deploy.py --list-k8s-resources)
if [ "${#resources[@]}" -eq 0 ]; then
  failed+=("kustomization resources")
  echo "    FAILED: deploy/k8s/kustomization.yaml lists no resources" >&2
fi
for version in $k8s_versions; do
  run "kubernetes-validate $version" "$venv/bin/kubernetes-validate" --strict --quiet --kubernetes-version "$version" "${resources[@]}"
done

step "check_deploy.py (executables, COPY paths, ports, variables)"
run "check_deploy.py" "$venv/bin/python" Tests/Deploy/check_deploy.py

step "test_check_deploy.py (the checker catches each kind of mistake)"
run "test_check_deploy.py" "$venv/bin/python" Tests/Deploy/test_check_deploy.py

if [ "${#failed[@]}" -gt 0 ]; then
  echo "validate-deploy.sh: failed: ${failed[*]}" >&2
  exit 1
fi
echo "validate-deploy.sh: the deployment files passed every check" >&2
