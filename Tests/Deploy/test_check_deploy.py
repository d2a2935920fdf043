#!/usr/bin/env python3
"""check_deploy.py must pass on the repository and catch each kind of mistake it is for.

Each test copies the deployment files into a temporary root (the rest of the repository is
linked, .build included), breaks one value, and expects a problem naming that file and value.
Run by scripts/validate-deploy.sh:  .venv/bin/python Tests/Deploy/test_check_deploy.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_deploy  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
COPIED = ("Package.swift", ".dockerignore", "docker-compose.yml", "deploy")


def run_checker(root: str) -> list[str]:
    checker = check_deploy.Checker(root)
    checker.load_package()
    checker.check_dockerfile()
    checker.check_compose()
    checker.check_prometheus()
    checker.check_kubernetes()
    return checker.problems


class CheckDeployTests(unittest.TestCase):
    def setUp(self) -> None:
        self.root = tempfile.mkdtemp(prefix="check-deploy-")
        for name in os.listdir(ROOT):
            if name in COPIED:
                source = os.path.join(ROOT, name)
                (shutil.copytree if os.path.isdir(source) else shutil.copy)(source, os.path.join(self.root, name))
            elif name != ".git":
                os.symlink(os.path.join(ROOT, name), os.path.join(self.root, name))

    def tearDown(self) -> None:
        shutil.rmtree(self.root)

    def edit(self, relative: str, old: str, new: str) -> None:
        path = os.path.join(self.root, relative)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        self.assertTrue(old in text, f"{relative} no longer contains {old!r}: update this test")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text.replace(old, new, 1))

    def assertProblem(self, *fragments: str) -> None:
        problems = run_checker(self.root)
        matching = [line for line in problems if all(fragment in line for fragment in fragments)]
        self.assertTrue(matching, f"no problem mentioning {fragments}; problems were:\n" + "\n".join(problems))

    def test_the_repository_passes(self) -> None:
        self.assertEqual(run_checker(self.root), [])

    def test_compose_scorer_replicas(self) -> None:
        self.edit("docker-compose.yml", "replicas: 3", "replicas: 2")
        self.assertProblem("docker-compose.yml", "replicas is 2, expected 3")

    def test_compose_wire_target_port(self) -> None:
        self.edit("docker-compose.yml", "TURNOUT_SCORER: scorer:7102", "TURNOUT_SCORER: scorer:7120")
        self.assertProblem("docker-compose.yml", "TURNOUT_SCORER=scorer:7120", "wire port 7102")

    def test_compose_wire_target_host(self) -> None:
        self.edit("docker-compose.yml", "TURNOUT_SCORER: scorer:7102", "TURNOUT_SCORER: scorers:7102")
        self.assertProblem("docker-compose.yml", "not reachable as scorers")

    def test_compose_unknown_variable(self) -> None:
        self.edit("docker-compose.yml", "TURNOUT_SCORER_LOG_LEVEL:", "TURNOUT_SCORER_LOGLEVEL:")
        self.assertProblem("docker-compose.yml", "TURNOUT_SCORER_LOGLEVEL", "turnout-scorer")

    def test_compose_variable_of_another_service(self) -> None:
        self.edit("docker-compose.yml", "TURNOUT_SCORER_LOG_LEVEL:", "TURNOUT_EMBEDDER_LOG_LEVEL:")
        self.assertProblem("docker-compose.yml", "TURNOUT_EMBEDDER_LOG_LEVEL is not accepted by turnout-scorer")

    def test_compose_unknown_executable(self) -> None:
        self.edit("docker-compose.yml", '["CMD", "turnout-probe", "127.0.0.1:7101"', '["CMD", "turnout-prob", "127.0.0.1:7101"')
        self.assertProblem("docker-compose.yml", "turnout-prob is not a product")

    def test_compose_healthcheck_port(self) -> None:
        self.edit("docker-compose.yml", '"turnout-probe", "127.0.0.1:7102"', '"turnout-probe", "127.0.0.1:7101"')
        self.assertProblem("docker-compose.yml", "services.scorer.healthcheck probes 127.0.0.1:7101")

    def test_compose_published_port(self) -> None:
        self.edit("docker-compose.yml", '"127.0.0.1:6060:6060"', '"127.0.0.1:6060:8080"')
        self.assertProblem("docker-compose.yml", "container port 8080")

    def test_dockerfile_expose(self) -> None:
        self.edit("deploy/Dockerfile", "EXPOSE 7101 7102 7103 7104 6060 9464", "EXPOSE 7101 7102 7103 7105 6060 9464")
        self.assertProblem("deploy/Dockerfile", "EXPOSE 7105")
        self.assertProblem("deploy/Dockerfile", "port 7104 (turnout-collector --listen default) is not in EXPOSE")

    def test_dockerfile_missing_copy_source(self) -> None:
        self.edit("deploy/Dockerfile", "COPY routers/ /opt/turnout/routers/", "COPY routerz/ /opt/turnout/routers/")
        self.assertProblem("deploy/Dockerfile", "COPY source routerz/ does not exist")

    def test_dockerfile_copy_source_ignored(self) -> None:
        self.edit(".dockerignore", "fuzz-out\n", "fuzz-out\nrouters\n")
        self.assertProblem("deploy/Dockerfile", "routers/ is excluded by .dockerignore")

    def test_dockerfile_product_not_in_package(self) -> None:
        self.edit("deploy/Dockerfile", "turnout-collector turnout-probe\"", "turnout-collector turnout-probe turnout-router\"")
        self.assertProblem("deploy/Dockerfile", "turnout-router is not a product in Package.swift")

    def test_dockerfile_unknown_variable(self) -> None:
        self.edit("deploy/Dockerfile", "TURNOUT_SCORER_ROUTERS_DIR=", "TURNOUT_SCORER_ROUTER_DIR=")
        self.assertProblem("deploy/Dockerfile", "TURNOUT_SCORER_ROUTER_DIR is accepted by no service")

    def test_kubernetes_probe_port(self) -> None:
        self.edit("deploy/k8s/scorer.yaml", '"turnout-probe", "127.0.0.1:7102", "--timeout", "1s"', '"turnout-probe", "127.0.0.1:7101", "--timeout", "1s"')
        self.assertProblem("deploy/k8s/scorer.yaml", "readinessProbe probes 127.0.0.1:7101")

    def test_kubernetes_scorer_service_headless(self) -> None:
        self.edit("deploy/k8s/scorer.yaml", "  clusterIP: None\n", "")
        self.assertProblem("deploy/k8s/scorer.yaml", "Service turnout-scorer is not headless")

    def test_kubernetes_collector_strategy(self) -> None:
        self.edit("deploy/k8s/collector.yaml", "type: Recreate", "type: RollingUpdate")
        self.assertProblem("deploy/k8s/collector.yaml", "strategy 'RollingUpdate'")

    def test_kubernetes_configmap_variable(self) -> None:
        self.edit("deploy/k8s/configmap.yaml", "TURNOUT_REPORT_INTERVAL:", "TURNOUT_REPORTS_INTERVAL:")
        self.assertProblem("deploy/k8s/configmap.yaml", "TURNOUT_REPORTS_INTERVAL")

    def test_kubernetes_scrape_annotation(self) -> None:
        self.edit("deploy/k8s/collector.yaml", 'prometheus.io/port: "9464"', 'prometheus.io/port: "9090"')
        self.assertProblem("deploy/k8s/collector.yaml", "prometheus.io/port=9090")

    def test_kubernetes_unlisted_manifest(self) -> None:
        self.edit("deploy/k8s/kustomization.yaml", "  - scorer.yaml\n", "")
        self.assertProblem("deploy/k8s/kustomization.yaml", "scorer.yaml is not listed")

    def test_prometheus_target(self) -> None:
        self.edit("deploy/prometheus.yml", '"collector:9464"', '"collector:7104"')
        self.assertProblem("deploy/prometheus.yml", "collector:7104", "HTTP port 9464")


if __name__ == "__main__":
    unittest.main(verbosity=1)
