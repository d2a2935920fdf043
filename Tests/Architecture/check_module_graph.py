#!/usr/bin/env python3
"""Checks the module graph that `swift package describe --type json` reports against the
rules the architecture depends on, and against docs/architecture.md's picture and table of
it, so a dependency added in a hurry fails CI instead of quietly linking the encoder into
the dispatcher, and the document never drifts from Package.swift.

    python3 Tests/Architecture/check_module_graph.py [describe.json [architecture.md]]

Without an argument it runs `swift package describe --type json` itself. Exits 1 listing
every broken rule, 0 when all hold.
"""
import json
import os
import re
import subprocess
import sys

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "architecture.md")

# (module, modules it must never reach, even through another, why)
FORBIDDEN = [
    ("TurnoutDispatcher", {"TurnoutEmbedding", "TurnoutEmbedder", "TurnoutRouting", "TurnoutScorer", "TurnoutStorage", "COpenBLAS", "CSQLite"},
     "the dispatcher names the embedder and scorer through their API modules only"),
    ("TurnoutTelemetry", {"TurnoutWire"}, "telemetry knows nothing of the protocol"),
    ("TurnoutJSON", {"TurnoutWire", "TurnoutTransport"}, "JSON is below the protocol"),
    ("TurnoutWire", {"TurnoutTransport", "CTurnoutSystem"}, "the protocol core knows nothing of sockets"),
    ("TurnoutRouting", {"TurnoutWire", "TurnoutTransport"}, "the routing maths knows nothing of the protocol"),
]
# API modules may reach these and nothing else.
API_ALLOWED = {"TurnoutWire", "TurnoutJSON", "TurnoutTelemetry"}
API_MODULES = ["TurnoutEmbedderAPI", "TurnoutScorerAPI", "TurnoutCollectorAPI"]
# What the shipped services must never link: operator tools, test and benchmark code.
SERVICES = ["turnout-embedder", "turnout-scorer", "turnout-dispatcher", "turnout-collector", "turnout-probe"]
NOT_IN_SERVICES = {"TurnoutLocalStack", "TurnoutDiagnostics", "TurnoutTestSupport", "turnout-bench", "turnout-stub-upstream"}


def closure(graph: dict[str, list[str]], start: str) -> set[str]:
    seen: set[str] = set()
    stack = list(graph.get(start, []))
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(graph.get(name, []))
    return seen


def problems(description: dict) -> list[str]:
    graph = {target["name"]: target.get("target_dependencies", []) for target in description["targets"]}
    found: list[str] = []
    for module, forbidden, why in FORBIDDEN:
        if module not in graph:
            found.append(f"{module}: not a target of the package")
            continue
        reached = closure(graph, module) & forbidden
        if reached:
            found.append(f"{module} reaches {', '.join(sorted(reached))}: {why}")
    for module in API_MODULES:
        if module not in graph:
            found.append(f"{module}: not a target of the package")
            continue
        extra = closure(graph, module) - API_ALLOWED
        if extra:
            found.append(f"{module} reaches {', '.join(sorted(extra))}: API modules depend on the wire layer alone")
    for service in SERVICES:
        if service not in graph:
            found.append(f"{service}: not a target of the package")
            continue
        linked = closure(graph, service) & NOT_IN_SERVICES
        if linked:
            found.append(f"{service} links {', '.join(sorted(linked))}: tools, tests and benchmarks stay out of the services")
    return found


def doc_problems(description: dict, doc: str) -> list[str]:
    """The picture's layers and the dependency table under "## Module graph", against the package."""
    graph = {target["name"]: set(target.get("target_dependencies", [])) for target in description["targets"]
             if target["type"] != "test" and not target["path"].startswith("Tests/")}
    found: list[str] = []
    section = doc.split("## Module graph", 1)[-1].split("\n## ", 1)[0]
    picture = re.search(r"```\n(.*?)```", section, re.S)
    if not picture:
        return ["docs/architecture.md: no picture of the module graph under ## Module graph"]
    layer: dict[str, int] = {}
    for row, line in enumerate(line for line in picture.group(1).splitlines() if re.match(r"[a-z]", line)):
        for name in re.findall(r"\b(?:Turnout\w+|C[A-Z]\w+|turnout(?:-[a-z]+)*)\b", line.split(None, 1)[1] if " " in line else ""):
            if name in layer:
                found.append(f"docs/architecture.md: {name} is drawn twice")
            layer[name] = row
    for name in sorted(set(graph) - set(layer)):
        found.append(f"docs/architecture.md: {name} is a target of Package.swift but not in the picture")
    for name in sorted(set(layer) - set(graph)):
        found.append(f"docs/architecture.md: the picture shows {name}, which Package.swift does not declare")
    for name, dependencies in graph.items():
        for dependency in dependencies:
            if name in layer and dependency in layer and layer[dependency] <= layer[name]:
                found.append(f"docs/architecture.md: {name} depends on {dependency}, which the picture does not draw below it")
    table: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.fullmatch(r"`\w+`", cells[0]):
            table[cells[0].strip("`")] = set(re.findall(r"`(\w+)`", cells[1]))
    for name, dependencies in sorted(table.items()):
        if name not in graph:
            found.append(f"docs/architecture.md: the table lists {name}, which Package.swift does not declare")
        elif dependencies != graph[name]:
            found.append(f"docs/architecture.md: the table says {name} depends on {sorted(dependencies)}; Package.swift says {sorted(graph[name])}")
    for name in sorted(name for name in graph if name.startswith("Turnout") and name not in table):
        found.append(f"docs/architecture.md: the table has no row for {name}")
    return found


def main() -> int:
    if len(sys.argv) > 1:
        with open(sys.argv[1], encoding="utf-8") as handle:
            description = json.load(handle)
    else:
        output = subprocess.run(["swift", "package", "describe", "--type", "json"], check=True, capture_output=True, text=True).stdout
        description = json.loads(output)
    with open(sys.argv[2] if len(sys.argv) > 2 else DOC, encoding="utf-8") as handle:
        doc = handle.read()
    found = problems(description) + doc_problems(description, doc)
    for problem in found:
        print(f"check_module_graph: {problem}", file=sys.stderr)
    if found:
        return 1
    print(f"check_module_graph: {len(FORBIDDEN) + len(API_MODULES) + len(SERVICES)} rules hold, and docs/architecture.md matches Package.swift")
    return 0


if __name__ == "__main__":
    sys.exit(main())
