#!/usr/bin/env python3
"""The module-graph checker catches each kind of broken rule (and passes the real package)."""
import copy
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import check_module_graph  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


class ModuleGraphTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        output = subprocess.run(["swift", "package", "describe", "--type", "json"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
        cls.description = json.loads(output)

    def with_dependency(self, module, dependency):
        description = copy.deepcopy(self.description)
        for target in description["targets"]:
            if target["name"] == module:
                target.setdefault("target_dependencies", []).append(dependency)
        return description

    def test_the_package_holds_every_rule(self):
        self.assertEqual(check_module_graph.problems(self.description), [])

    def test_a_transitive_path_to_the_encoder_is_caught(self):
        # The runtime is the dispatcher's dependency: linking the encoder there reaches it too.
        problems = check_module_graph.problems(self.with_dependency("TurnoutRuntime", "TurnoutEmbedding"))
        self.assertTrue(any(p.startswith("TurnoutDispatcher reaches") and "TurnoutEmbedding" in p for p in problems), problems)

    def test_telemetry_on_the_wire_is_caught(self):
        problems = check_module_graph.problems(self.with_dependency("TurnoutTelemetry", "TurnoutWire"))
        self.assertTrue(any(p.startswith("TurnoutTelemetry reaches TurnoutWire") for p in problems), problems)

    def test_an_api_module_on_the_transport_is_caught(self):
        problems = check_module_graph.problems(self.with_dependency("TurnoutScorerAPI", "TurnoutTransport"))
        self.assertTrue(any(p.startswith("TurnoutScorerAPI reaches") for p in problems), problems)

    def test_the_document_matches_the_package(self):
        with open(check_module_graph.DOC, encoding="utf-8") as handle:
            doc = handle.read()
        self.assertEqual(check_module_graph.doc_problems(self.description, doc), [])

    def test_a_dependency_missing_from_the_documents_table_is_caught(self):
        with open(check_module_graph.DOC, encoding="utf-8") as handle:
            doc = handle.read()
        problems = check_module_graph.doc_problems(self.with_dependency("TurnoutScorer", "TurnoutStorage"), doc)
        self.assertTrue(any("the table says TurnoutScorer depends on" in p for p in problems), problems)

    def test_a_dependency_drawn_upwards_is_caught(self):
        with open(check_module_graph.DOC, encoding="utf-8") as handle:
            doc = handle.read()
        problems = check_module_graph.doc_problems(self.with_dependency("TurnoutStorage", "TurnoutRouting"), doc)
        self.assertTrue(any("TurnoutStorage depends on TurnoutRouting, which the picture does not draw below it" in p for p in problems), problems)

    def test_a_new_module_missing_from_the_picture_is_caught(self):
        with open(check_module_graph.DOC, encoding="utf-8") as handle:
            doc = handle.read()
        description = copy.deepcopy(self.description)
        description["targets"].append({"name": "TurnoutNew", "type": "library", "path": "Shared/TurnoutNew", "target_dependencies": []})
        problems = check_module_graph.doc_problems(description, doc)
        self.assertIn("docs/architecture.md: TurnoutNew is a target of Package.swift but not in the picture", problems)

    def test_a_service_linking_the_local_stack_is_caught(self):
        problems = check_module_graph.problems(self.with_dependency("TurnoutScorer", "TurnoutLocalStack"))
        self.assertTrue(any(p.startswith("turnout-scorer links TurnoutLocalStack") for p in problems), problems)


if __name__ == "__main__":
    unittest.main()
