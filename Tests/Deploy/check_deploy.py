#!/usr/bin/env python3
"""Checks Turnout's deployment files against the package and the services themselves.

The files: deploy/Dockerfile, docker-compose.yml, deploy/prometheus.yml and the resources
deploy/k8s/kustomization.yaml lists. The facts they are checked against come from the package,
never from a copy: executable products from Package.swift, and each service's options,
environment variables and default ports from its own `--help`, run from .build/debug or
.build/release. Checks:

  - every executable the files name is a product of Package.swift, is built, and (for the
    compose file and the manifests) is one the image carries;
  - every path the Dockerfile COPYs or ADDs from the build context exists and is not left
    out by .dockerignore, and every host path the compose file mounts exists;
  - every port (Dockerfile EXPOSE, compose ports, health checks, wire targets such as
    TURNOUT_SCORER=scorer:7102, Prometheus targets, container ports, probes, Services,
    scrape annotations) is the default the service prints in --help for --listen or --http-listen;
  - every environment variable the files set is one a service accepts (it appears in some
    --help; in compose and in a container's own env, in that service's --help), an upstream
    key variable (OPENAI_API_KEY, or whatever a *_API_KEY_ENV setting names, or that name with
    _FILE for a key read from a mounted secret), or one of the
    few variables read by the runtime libraries (RUNTIME_VARIABLES below);
  - wire targets name a compose service or Kubernetes Service that runs the right service,
    and the Kubernetes Services of scaled-out targets are headless;
  - the compose scorer has 3 replicas and no fixed host port; the Kubernetes collector has 1
    replica and the Recreate strategy (SQLite has one writer).

Usage: check_deploy.py [--root DIR]. Prints one line per problem, naming the file and the
value, and exits 1 if there is any; exits 0 and prints a summary otherwise.
"""

from __future__ import annotations

import argparse
import fnmatch
import glob
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field

import dockerfile  # BuildKit's own Dockerfile parser
import yaml

SERVICES = ("turnout-embedder", "turnout-scorer", "turnout-dispatcher", "turnout-collector")
EXECUTABLE = re.compile(r"^turnout(?:-[a-z0-9]+)*$")
# Read by libraries inside the services rather than by Turnout's option parser.
RUNTIME_VARIABLES = {
    "OPENBLAS_NUM_THREADS": "OpenBLAS's thread count, read when it loads",
    "SWIFT_BACKTRACE": "the Swift runtime's crash backtracer",
}
# --help output by (executable, modification time): the tests run the checker many times.
HELP_CACHE: dict[tuple[str, int], tuple[int, str, str]] = {}
DOCKERFILE_INSTRUCTIONS = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
}


@dataclass
class Option:
    flag: str
    default: str | None
    env: str | None


@dataclass
class Service:
    """What one executable's --help says."""

    name: str
    options: dict[str, Option] = field(default_factory=dict)

    @property
    def environment(self) -> set[str]:
        return {option.env for option in self.options.values() if option.env}

    def port(self, flag: str) -> int | None:
        option = self.options.get(flag)
        return port_of(option.default) if option and option.default else None

    def ports(self) -> dict[str, int]:
        """The service's default ports by option: listen (wire), http-listen (HTTP)."""
        return {flag: port for flag in ("listen", "http-listen") if (port := self.port(flag)) is not None}


def port_of(address: str) -> int | None:
    match = re.search(r":(\d+)$", address.strip())
    return int(match.group(1)) if match else None


def host_of(address: str) -> str:
    host = address.strip().rsplit(":", 1)[0]
    return host.strip("[]")


class Checker:
    def __init__(self, root: str):
        self.root = root
        self.problems: list[str] = []
        self.checked = 0

    # -- reporting ---------------------------------------------------------------------------

    def problem(self, file: str, message: str) -> None:
        line = f"{file}: {message}"
        if line not in self.problems:  # a shared ConfigMap is checked once per Deployment that reads it
            self.problems.append(line)

    def expect(self, condition: bool, file: str, message: str) -> bool:
        self.checked += 1
        if not condition:
            self.problem(file, message)
        return condition

    def path(self, relative: str) -> str:
        return os.path.join(self.root, relative)

    # -- facts from the package ----------------------------------------------------------------

    def load_package(self) -> None:
        with open(self.path("Package.swift"), encoding="utf-8") as handle:
            self.products = set(re.findall(r'\.executable\(\s*name:\s*"([^"]+)"', handle.read()))
        if not self.products:
            self.problem("Package.swift", "no .executable(name: ...) products found")
        self.binaries: dict[str, str] = {}
        for product in sorted(self.products):
            for configuration in ("debug", "release"):
                candidate = self.path(os.path.join(".build", configuration, product))
                if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                    self.binaries[product] = candidate
                    break
        self.services: dict[str, Service] = {}
        clean = {key: value for key, value in os.environ.items() if not key.startswith("TURNOUT_")}
        for name in (*SERVICES, "turnout-probe"):
            if name not in self.binaries:
                continue
            binary = self.binaries[name]
            key = (os.path.realpath(binary), os.stat(binary).st_mtime_ns)
            if key not in HELP_CACHE:
                result = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30, env=clean)
                HELP_CACHE[key] = (result.returncode, result.stdout, result.stderr)
            status, output, errors = HELP_CACHE[key]
            if status != 0:
                self.problem(os.path.relpath(binary, self.root), f"--help exited {status}: {errors.strip()[:200]}")
                continue
            self.services[name] = parse_help(name, output)
        for name in SERVICES:
            if name not in self.services:
                self.problem("Package.swift", f"{name} is not built (.build/debug/{name} or .build/release/{name}): build it first, e.g. swift build --product {name}")
        # Every option's variable, and which service each wire-target variable points at
        # (TURNOUT_SCORER -> turnout-scorer, from the --scorer option).
        self.all_environment = set().union(*(service.environment for service in self.services.values()))
        self.target_variables: dict[str, str] = {}
        self.key_env_variables: set[str] = set()
        self.upstream_keys: set[str] = set()
        for service in self.services.values():
            for option in service.options.values():
                if option.env and f"turnout-{option.flag}" in SERVICES:
                    self.target_variables[option.env] = f"turnout-{option.flag}"
                if option.env and option.flag.endswith("api-key-env"):
                    self.key_env_variables.add(option.env)
                    if option.default:
                        self.upstream_keys.add(option.default)

    def check_executable(self, file: str, name: str, image_products: set[str] | None) -> None:
        if not self.expect(name in self.products, file, f"executable {name} is not a product in Package.swift (products: {', '.join(sorted(self.products))})"):
            return
        self.expect(name in self.binaries, file, f"executable {name} is not built (no .build/debug/{name} or .build/release/{name})")
        if image_products is not None:
            self.expect(name in image_products, file, f"executable {name} is not in the image (deploy/Dockerfile ARG PRODUCTS: {' '.join(sorted(image_products))})")

    def check_variable(self, file: str, where: str, name: str, service: str | None) -> None:
        """A variable set for `service` (None: shared by every service, as in the image)."""
        if name in RUNTIME_VARIABLES or name in self.upstream_keys or (name.endswith("_FILE") and name[:-len("_FILE")] in self.upstream_keys):
            self.checked += 1
            return
        if service is not None and service in self.services:
            accepted = self.services[service].environment
            self.expect(name in accepted, file, f"{where}: environment variable {name} is not accepted by {service} (not in its --help)")
        else:
            self.expect(name in self.all_environment, file, f"{where}: environment variable {name} is accepted by no service (not in any --help) and is no upstream key variable")

    def note_key_variables(self, environment: dict[str, str]) -> None:
        """A *_API_KEY_ENV setting names another variable, which is then an upstream key."""
        for name, value in environment.items():
            if name in self.key_env_variables and value:
                self.upstream_keys.add(value)

    # -- Dockerfile ----------------------------------------------------------------------------

    def check_dockerfile(self, relative: str = "deploy/Dockerfile") -> None:
        file = relative
        try:
            commands = dockerfile.parse_file(self.path(relative))
        except (OSError, dockerfile.GoParseError) as error:
            self.problem(file, f"cannot parse: {error}")
            self.image_products = set()
            return
        stages: list[list] = []
        for command in commands:
            self.expect(command.cmd.upper() in DOCKERFILE_INSTRUCTIONS, file, f"line {command.start_line}: unknown instruction {command.cmd}")
            if command.cmd.upper() == "FROM":
                stages.append([])
            if stages:
                stages[-1].append(command)
        if not self.expect(len(stages) >= 2, file, "expected a multi-stage build (a build stage and a runtime stage)"):
            self.image_products = set()
            return
        runtime = stages[-1]
        arguments = {}
        for command in commands:
            if command.cmd.upper() == "ARG":
                for item in command.value:
                    name, _, value = item.partition("=")
                    arguments[name] = value.strip().strip('"').strip("'")
        self.image_products = set(arguments.get("PRODUCTS", "").split())
        self.expect(bool(self.image_products), file, "no ARG PRODUCTS listing the executables the image carries")
        for product in sorted(self.image_products):
            self.check_executable(file, product, None)
        for service in SERVICES:
            self.expect(service in self.image_products, file, f"ARG PRODUCTS does not build {service}")
        ignored = self.dockerignore()
        copied_to: dict[str, str] = {}
        for command in runtime + [c for stage in stages[:-1] for c in stage]:
            instruction = command.cmd.upper()
            if instruction not in ("COPY", "ADD"):
                continue
            flags = dict(flag.lstrip("-").split("=", 1) for flag in command.flags if "=" in flag)
            *sources, destination = command.value
            if command in runtime:
                for source in sources:
                    copied_to[destination.rstrip("/") or "/"] = source
            if "from" in flags:
                continue
            for source in sources:
                matches = glob.glob(self.path(source))
                self.expect(bool(matches), file, f"line {command.start_line}: {instruction} source {source} does not exist in the repository")
                excluded = [pattern for pattern in ignored if path_ignored(source, pattern)]
                self.expect(not excluded, file, f"line {command.start_line}: {instruction} source {source} is excluded by .dockerignore ({', '.join(excluded)})")
        # The runtime stage: variables, ports, health check, user, command.
        environment: dict[str, str] = {}
        exposed: list[str] = []
        has_healthcheck = False
        for command in runtime:
            instruction = command.cmd.upper()
            if instruction == "ENV":
                pairs = list(command.value)
                environment.update(dict(zip(pairs[0::2], pairs[1::2])))
            elif instruction == "EXPOSE":
                exposed.extend(command.value)
            elif instruction == "USER":
                user = command.value[0].split(":")[0]
                self.expect(user not in ("0", "root"), file, f"line {command.start_line}: the image runs as root (USER {command.value[0]})")
            elif instruction in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
                has_healthcheck = has_healthcheck or instruction == "HEALTHCHECK"
                words = list(command.value)
                for name in executables_in(words):
                    self.check_executable(file, name, self.image_products)
                # A script the image got from the repository is followed: its executables count too.
                for word in words:
                    source = copied_to.get(word)
                    if source and os.path.isfile(self.path(source)):
                        for name in executables_in(script_words(self.path(source))):
                            self.check_executable(source, name, self.image_products)
        self.expect(has_healthcheck, file, "the runtime stage has no HEALTHCHECK")
        self.note_key_variables(environment)
        for name in environment:
            self.check_variable(file, "ENV", name, None)
        for directory_variable in ("TURNOUT_MODEL_DIR", "TURNOUT_SCORER_ROUTERS_DIR"):
            value = environment.get(directory_variable)
            if self.expect(value is not None, file, f"ENV {directory_variable} is not set in the runtime stage"):
                self.expect(value.rstrip("/") in copied_to, file, f"ENV {directory_variable}={value} is not a directory the runtime stage COPYs into")
        default_ports = {port: f"{service.name} --{flag}" for service in self.services.values() if service.name in SERVICES
                         for flag, port in service.ports().items()}
        exposed_ports = set()
        for item in exposed:
            port = int(item.split("/")[0]) if item.split("/")[0].isdigit() else None
            exposed_ports.add(port)
            self.expect(port in default_ports, file, f"EXPOSE {item} is no service's default port (defaults: {format_ports(default_ports)})")
        for port, owner in sorted(default_ports.items()):
            self.expect(port in exposed_ports, file, f"port {port} ({owner} default) is not in EXPOSE")

    def dockerignore(self) -> list[str]:
        try:
            with open(self.path(".dockerignore"), encoding="utf-8") as handle:
                lines = [line.strip() for line in handle]
        except OSError:
            return []
        return [line.rstrip("/") for line in lines if line and not line.startswith("#") and not line.startswith("!")]

    # -- docker-compose.yml --------------------------------------------------------------------

    def check_compose(self, relative: str = "docker-compose.yml") -> None:
        file = relative
        with open(self.path(relative), encoding="utf-8") as handle:
            document = interpolate(yaml.safe_load(handle))
        services = document.get("services") or {}
        runs: dict[str, str] = {}  # compose service -> Turnout executable
        for name, spec in services.items():
            command = spec.get("command")
            found = executables_in(command if command is not None else [])
            if found:
                runs[name] = found[0]
        for name, spec in services.items():
            where = f"services.{name}"
            executable = runs.get(name)
            for key in ("command", "entrypoint"):
                for found in executables_in(spec.get(key) or []):
                    self.check_executable(file, found, self.image_products)
            if executable is None:
                continue
            service = self.services.get(executable)
            environment = compose_environment(spec.get("environment"))
            self.note_key_variables(environment)
            for variable in environment:
                self.check_variable(file, f"{where}.environment", variable, executable)
            ports = self.effective_ports(executable, environment, flags=command_words(spec.get("command")))
            self.check_targets(file, where, environment, lambda host, target: runs.get(host) == target,
                               lambda host: f"no compose service named {host} runs it")
            for mapping in spec.get("ports") or []:
                container = compose_container_port(mapping)
                self.expect(container in ports.values(), file, f"{where}.ports {mapping}: container port {container} is not a port {executable} listens on (defaults: {format_named(ports)})")
            for exposed in spec.get("expose") or []:
                self.expect(int(str(exposed).split("/")[0]) in ports.values(), file, f"{where}.expose {exposed} is not a port {executable} listens on")
            test = (spec.get("healthcheck") or {}).get("test")
            if test:
                for found in executables_in(test):
                    self.check_executable(file, found, self.image_products)
                probed = probe_target(test)
                if probed is not None and service is not None:
                    self.expect(port_of(probed) == ports.get("listen"), file, f"{where}.healthcheck probes {probed}, but {executable} listens on wire port {ports.get('listen')}")
            for volume in spec.get("volumes") or []:
                source = str(volume).split(":")[0] if isinstance(volume, str) else str(volume.get("source", ""))
                if source.startswith((".", "/")):
                    self.expect(os.path.exists(self.path(source)), file, f"{where}.volumes mounts {source}, which does not exist")
            for dependency, condition in (spec.get("depends_on") or {}).items() if isinstance(spec.get("depends_on"), dict) else []:
                if self.expect(dependency in services, file, f"{where}.depends_on names {dependency}, which is not a service"):
                    if (condition or {}).get("condition") == "service_healthy":
                        self.expect("healthcheck" in services[dependency], file, f"{where}.depends_on waits for {dependency} to be healthy, but it has no healthcheck")
        scorers = [name for name, executable in runs.items() if executable == "turnout-scorer"]
        if self.expect(len(scorers) == 1, file, f"expected one service running turnout-scorer, found {scorers}"):
            spec = services[scorers[0]]
            replicas = (spec.get("deploy") or {}).get("replicas")
            self.expect(replicas == 3, file, f"services.{scorers[0]}.deploy.replicas is {replicas!r}, expected 3")
            self.expect(not spec.get("ports"), file, f"services.{scorers[0]} publishes fixed host ports {spec.get('ports')}, which replicas cannot share")
            self.expect("container_name" not in spec, file, f"services.{scorers[0]} sets container_name, which replicas cannot share")
        for name in SERVICES:
            self.expect(name in runs.values(), file, f"no service runs {name}")
        self.compose_runs = runs

    def effective_ports(self, executable: str, environment: dict[str, str], flags: list[str] = ()) -> dict[str, int]:
        """The ports `executable` listens on: --listen and --http-listen from its flags, its environment, or its defaults."""
        service = self.services.get(executable)
        if service is None:
            return {}
        ports = service.ports()
        for flag in list(ports):
            option = service.options[flag]
            value = flag_value(flags, flag) or (environment.get(option.env) if option.env else None)
            if value and port_of(value) is not None:
                ports[flag] = port_of(value)
        return ports

    def check_targets(self, file: str, where: str, environment: dict[str, str], runs_it, why_not) -> list[tuple[str, str]]:
        """Checks wire-target variables (TURNOUT_SCORER=scorer:7102): each address names the
        right service on its wire port. Returns (host, target service) pairs."""
        found = []
        for variable, value in environment.items():
            target = self.target_variables.get(variable)
            if target is None or not value or target not in self.services:
                continue
            wire = self.services[target].port("listen")
            for address in value.split(","):
                host, port = host_of(address), port_of(address)
                found.append((host, target))
                self.expect(port == wire, file, f"{where} {variable}={value}: port {port} is not {target}'s wire port {wire}")
                self.expect(runs_it(host, target), file, f"{where} {variable}={value}: {target} is not reachable as {host} ({why_not(host)})")
        return found

    # -- deploy/prometheus.yml -----------------------------------------------------------------

    def check_prometheus(self, relative: str = "deploy/prometheus.yml") -> None:
        with open(self.path(relative), encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
        collector = self.services.get("turnout-collector")
        http = collector.port("http-listen") if collector else None
        targets = [target for job in document.get("scrape_configs") or [] for static in job.get("static_configs") or []
                   for target in static.get("targets") or []]
        self.expect(bool(targets), relative, "no static scrape targets")
        for target in targets:
            host = host_of(target)
            self.expect(getattr(self, "compose_runs", {}).get(host) == "turnout-collector", relative, f"target {target}: {host} is not the compose service running turnout-collector")
            self.expect(port_of(target) == http, relative, f"target {target}: port {port_of(target)} is not the collector's HTTP port {http} (--http-listen default)")

    # -- Kubernetes ----------------------------------------------------------------------------

    def kubernetes_resources(self, directory: str = "deploy/k8s") -> list[str]:
        with open(self.path(os.path.join(directory, "kustomization.yaml")), encoding="utf-8") as handle:
            kustomization = yaml.safe_load(handle)
        resources = [os.path.join(directory, resource) for resource in kustomization.get("resources") or []]
        return resources

    def check_kubernetes(self, directory: str = "deploy/k8s") -> None:
        kustomization = os.path.join(directory, "kustomization.yaml")
        resources = self.kubernetes_resources(directory)
        for resource in resources:
            self.expect(os.path.isfile(self.path(resource)), kustomization, f"resource {resource} does not exist")
        listed = {os.path.normpath(resource) for resource in resources}
        for candidate in sorted(glob.glob(self.path(os.path.join(directory, "*.yaml")))):
            relative = os.path.relpath(candidate, self.root)
            if os.path.basename(relative) != "kustomization.yaml":
                self.expect(os.path.normpath(relative) in listed, kustomization, f"{relative} is not listed in resources, so it is never applied")
        objects: list[tuple[str, dict]] = []
        for resource in resources:
            if os.path.isfile(self.path(resource)):
                with open(self.path(resource), encoding="utf-8") as handle:
                    objects += [(resource, document) for document in yaml.safe_load_all(handle) if document]
        config_maps = {document["metadata"]["name"]: (file, document.get("data") or {}) for file, document in objects if document.get("kind") == "ConfigMap"}
        services = {document["metadata"]["name"]: (file, document) for file, document in objects if document.get("kind") == "Service"}
        deployments = {document["metadata"]["name"]: (file, document) for file, document in objects if document.get("kind") == "Deployment"}
        for file, data in config_maps.values():
            self.note_key_variables(data)
        for name, (file, data) in config_maps.items():
            for variable in data:
                self.check_variable(file, f"ConfigMap {name}", variable, None)
        # Which Deployment runs which executable (the first Turnout executable of its first container that names one).
        runs: dict[str, str] = {}
        for name, (file, deployment) in deployments.items():
            for container in deployment["spec"]["template"]["spec"].get("containers") or []:
                found = executables_in(container_words(container))
                if found and name not in runs:
                    runs[name] = found[0]

        def runs_it(host: str, target: str) -> bool:
            """Whether the Service `host` (short or cluster-local name) selects a Deployment running `target`."""
            service = services.get(host.split(".")[0])
            selector = service[1]["spec"].get("selector") or {} if service else {}
            return any(runs.get(name) == target for name, (_, document) in deployments.items() if selects(selector, document))

        pod_ports: dict[str, dict[str, int]] = {}
        for name, (file, deployment) in deployments.items():
            pod = deployment["spec"]["template"]["spec"]
            for container in pod.get("containers") or []:
                where = f"Deployment {name} container {container.get('name')}"
                words = container_words(container)
                found = executables_in(words)
                for executable in found:
                    self.check_executable(file, executable, self.image_products)
                if not found:
                    continue
                executable = found[0]
                environment = {}
                for source in container.get("envFrom") or []:
                    reference = (source.get("configMapRef") or {}).get("name")
                    if reference is not None and self.expect(reference in config_maps, file, f"{where} reads ConfigMap {reference}, which no resource defines"):
                        environment.update(config_maps[reference][1])
                own = {entry["name"]: str(entry.get("value", "")) for entry in container.get("env") or []}
                self.note_key_variables(own)
                for variable in own:
                    self.check_variable(file, f"{where} env", variable, executable)
                environment.update(own)
                ports = self.effective_ports(executable, environment, flags=words)
                named = {}
                for port in container.get("ports") or []:
                    number = port.get("containerPort")
                    named[port.get("name", str(number))] = number
                    self.expect(number in ports.values(), file, f"{where} containerPort {number} is not a port {executable} listens on (defaults: {format_named(ports)})")
                pod_ports[name] = named
                for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
                    probe = container.get(probe_name)
                    if not probe:
                        continue
                    if "exec" in probe:
                        command = probe["exec"].get("command") or []
                        for executable_name in executables_in(command):
                            self.check_executable(file, executable_name, self.image_products)
                        probed = probe_target(command)
                        if probed is not None:
                            self.expect(port_of(probed) == ports.get("listen"), file, f"{where} {probe_name} probes {probed}, but {executable} listens on wire port {ports.get('listen')}")
                    for kind in ("httpGet", "tcpSocket", "grpc"):
                        if kind in probe:
                            port = probe[kind].get("port")
                            number = named.get(port) if isinstance(port, str) else port
                            self.expect(number in ports.values(), file, f"{where} {probe_name} {kind} port {port} is not a port {executable} listens on (defaults: {format_named(ports)})")
                # Wire targets (TURNOUT_SCORER=turnout-scorer:7102) must name a Service in front of the right pods.
                for host, target in self.check_targets(file, where, environment, runs_it, lambda host: f"no Service {host} selects a Deployment running it"):
                    service = services.get(host.split(".")[0])
                    if service is not None and target in ("turnout-scorer", "turnout-embedder"):
                        self.expect(service[1]["spec"].get("clusterIP") == "None", service[0],
                                    f"Service {host} is not headless (clusterIP: None), so clients would see one address instead of every {target} pod")
            annotations = (deployment["spec"]["template"].get("metadata") or {}).get("annotations") or {}
            self.check_scrape_annotations(file, f"Deployment {name}", annotations, runs.get(name))
            if runs.get(name) == "turnout-collector":
                replicas = deployment["spec"].get("replicas")
                strategy = (deployment["spec"].get("strategy") or {}).get("type")
                self.expect(replicas == 1, file, f"Deployment {name} has replicas {replicas!r}: the collector's SQLite has one writer, so exactly 1")
                self.expect(strategy == "Recreate", file, f"Deployment {name} has strategy {strategy!r}: the collector needs Recreate, so two pods never share its database")
        for name, (file, service) in services.items():
            selector = service["spec"].get("selector") or {}
            matching = [deployment for deployment, (_, document) in deployments.items() if selects(selector, document)]
            if not self.expect(bool(matching), file, f"Service {name} selects no Deployment ({selector})"):
                continue
            for port in service["spec"].get("ports") or []:
                target = port.get("targetPort", port.get("port"))
                for deployment in matching:
                    named = pod_ports.get(deployment, {})
                    number = named.get(target) if isinstance(target, str) else target
                    self.expect(number in named.values(), file, f"Service {name} port {port.get('name', port.get('port'))}: targetPort {target} is no container port of Deployment {deployment}")
            annotations = (service.get("metadata") or {}).get("annotations") or {}
            self.check_scrape_annotations(file, f"Service {name}", annotations, runs.get(matching[0]))
        for file, document in objects:
            kind = document.get("kind")
            name = document["metadata"]["name"]
            if kind == "HorizontalPodAutoscaler":
                target = document["spec"]["scaleTargetRef"]["name"]
                if self.expect(target in deployments, file, f"HorizontalPodAutoscaler {name} scales {target}, which is no Deployment here"):
                    target_file, target_document = deployments[target]
                    self.expect("replicas" not in target_document["spec"], target_file,
                                f"Deployment {target} sets replicas although HorizontalPodAutoscaler {name} owns the count (each apply would reset it)")
            if kind == "PodDisruptionBudget":
                selector = (document["spec"].get("selector") or {}).get("matchLabels") or {}
                self.expect(any(selects(selector, d) for _, d in deployments.values()), file, f"PodDisruptionBudget {name} selects no Deployment ({selector})")
        for executable in ("turnout-embedder", "turnout-scorer", "turnout-dispatcher", "turnout-collector"):
            self.expect(executable in runs.values(), kustomization, f"no Deployment runs {executable}")

    def check_scrape_annotations(self, file: str, where: str, annotations: dict, executable: str | None) -> None:
        if annotations.get("prometheus.io/scrape") != "true":
            return
        service = self.services.get(executable or "")
        http = service.port("http-listen") if service else None
        port = annotations.get("prometheus.io/port")
        self.expect(http is not None and str(http) == str(port), file, f"{where} annotation prometheus.io/port={port} is not {executable}'s HTTP port {http}")
        self.expect(annotations.get("prometheus.io/path", "/metrics") == "/metrics", file, f"{where} annotation prometheus.io/path={annotations.get('prometheus.io/path')} is not /metrics")


# -- helpers ------------------------------------------------------------------------------------

def parse_help(name: str, text: str) -> Service:
    """Options from CommandSpec's help: `  --flag VALUE   Help (default: X) [env: VAR]`, the help
    possibly on the next line when the flag column is too narrow."""
    service = Service(name)
    entries: list[list[str]] = []
    for line in text.splitlines():
        match = re.match(r"^\s+--([a-z0-9-]+)(.*)$", line)
        if match:
            entries.append([match.group(1), match.group(2)])
        elif entries and line.startswith(" ") and line.strip() and not line.strip().startswith("-"):
            entries[-1][1] += " " + line.strip()
    for flag, rest in entries:
        rest = rest.strip()
        env = re.search(r"\[env: ([A-Z0-9_]+)\]\s*$", rest)
        default = re.search(r"\(default: ([^()]*)\)(?:\s*\[env: [A-Z0-9_]+\])?\s*$", rest)
        value = default.group(1) if default else None
        if value == '""':
            value = ""
        service.options[flag] = Option(flag, value, env.group(1) if env else None)
    return service


def executables_in(command) -> list[str]:
    """Turnout executables a command names, as words or inside shell strings (`sh -c "..."`)."""
    items = command if isinstance(command, (list, tuple)) else [command]
    found = []
    for item in items:
        for word in re.split(r"[\s;&|()`\"'=]+", str(item)):
            base = word.rsplit("/", 1)[-1]
            if EXECUTABLE.match(base):
                found.append(base)
    return found


def script_words(path: str) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return [line.split("#", 1)[0] if not line.lstrip().startswith("#") else "" for line in handle]


def container_words(container: dict) -> list[str]:
    return [str(word) for word in list(container.get("command") or []) + list(container.get("args") or [])]


def command_words(command) -> list[str]:
    if command is None:
        return []
    if isinstance(command, str):
        return command.split()
    return [str(word) for word in command]


def flag_value(words, flag: str) -> str | None:
    words = list(words)
    for index, word in enumerate(words):
        if word == f"--{flag}" and index + 1 < len(words):
            return words[index + 1]
        if word.startswith(f"--{flag}="):
            return word.split("=", 1)[1]
    return None


def probe_target(command) -> str | None:
    """The HOST:PORT a turnout-probe command asks."""
    words = []
    for item in command if isinstance(command, (list, tuple)) else [command]:
        words += str(item).split()
    for index, word in enumerate(words):
        if word.rsplit("/", 1)[-1] == "turnout-probe":
            for candidate in words[index + 1:]:
                if not candidate.startswith("-") and port_of(candidate) is not None:
                    return candidate
    return None


def compose_environment(environment) -> dict[str, str]:
    if isinstance(environment, dict):
        return {str(key): "" if value is None else str(value) for key, value in environment.items()}
    result = {}
    for item in environment or []:
        key, _, value = str(item).partition("=")
        result[key] = value
    return result


def compose_container_port(mapping) -> int | None:
    if isinstance(mapping, dict):
        return int(mapping.get("target"))
    text = str(mapping).split("/")[0]
    return int(text.rsplit(":", 1)[-1]) if text.rsplit(":", 1)[-1].isdigit() else None


def interpolate(value):
    """Compose's ${VAR:-default}, ${VAR-default}, ${VAR} and $VAR, taken as if nothing were set,
    so the check does not depend on the machine's environment."""
    if isinstance(value, dict):
        return {key: interpolate(item) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item) for item in value]
    if isinstance(value, str):
        text = re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}", lambda match: match.group(1) or "", value.replace("$$", "\0"))
        text = re.sub(r"\$[A-Za-z_][A-Za-z0-9_]*", "", text)
        return text.replace("\0", "$")
    return value


def selects(selector: dict, deployment: dict) -> bool:
    labels = (deployment["spec"]["template"].get("metadata") or {}).get("labels") or {}
    selector = selector.get("matchLabels", selector) if isinstance(selector.get("matchLabels"), dict) else selector
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def path_ignored(source: str, pattern: str) -> bool:
    """Whether .dockerignore's `pattern` leaves out `source` or a directory above it."""
    # Patterns match from the context's root, one path component per component (Go's filepath.Match).
    parts = os.path.normpath(source).split(os.sep)
    pattern_parts = os.path.normpath(pattern.lstrip("/")).split(os.sep)
    return len(parts) >= len(pattern_parts) and all(fnmatch.fnmatchcase(part, wanted) for part, wanted in zip(parts, pattern_parts))


def format_ports(ports: dict[int, str]) -> str:
    return ", ".join(f"{port} ({owner})" for port, owner in sorted(ports.items()))


def format_named(ports: dict[str, int]) -> str:
    return ", ".join(f"--{flag} {port}" for flag, port in ports.items()) or "none"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    parser.add_argument("--list-k8s-resources", action="store_true", help="print the manifests kustomization.yaml lists, one a line, and exit")
    arguments = parser.parse_args()
    checker = Checker(os.path.abspath(arguments.root))
    if arguments.list_k8s_resources:
        print("\n".join(checker.kubernetes_resources()))
        return 0
    checker.load_package()
    checker.check_dockerfile()
    checker.check_compose()
    checker.check_prometheus()
    checker.check_kubernetes()
    for line in checker.problems:
        print(f"check_deploy: {line}", file=sys.stderr)
    if checker.problems:
        print(f"check_deploy: {len(checker.problems)} problem(s) in {checker.checked} checks", file=sys.stderr)
        return 1
    print(f"check_deploy: {checker.checked} checks passed (executables, COPY paths, ports, variables, replicas)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
