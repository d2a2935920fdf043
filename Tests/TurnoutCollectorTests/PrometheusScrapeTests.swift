import Foundation
import Testing
import TurnoutCollectorAPI
import TurnoutHTTPClient
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutTestSupport
import TurnoutTransport
import TurnoutWire

/// A real Prometheus server scrapes a real collector; PromQL through Prometheus's HTTP API.
@Suite struct PrometheusScrapeTests {
    @Test func prometheusScrapesTheCollectorAndAnswersPromQL() async throws {
        let collector = try await RunningService.start("turnout-collector", stateDirectory: TestPaths.temporaryDirectory(), http: true)
        defer { collector.process.terminate() }
        let client = try WireClient.forTesting([collector.wireTarget])
        defer { client.shutdown() }
        let registry = MetricsRegistry()
        registry.counter("turnout_dispatch_routes_total", help: "Routes.", labels: ["model": "strong-model"]).increment(by: 3)
        registry.counter("turnout_dispatch_routes_total", help: "Routes.", labels: ["model": "weak-model"]).increment(by: 9)
        for instance in ["d-1", "d-2"] {
            let report = CollectorAPI.ReportRequest(service: "turnout-dispatcher", instance: instance, epoch: "e", sequence: 1, families: registry.snapshot())
            _ = try await client.call(CollectorAPI.report, report)
        }

        let prometheus = try PrometheusProcess.start(scraping: "127.0.0.1:\(collector.httpPort ?? 0)")
        defer { prometheus.stop() }
        let answer = try await prometheus.waitFor(#"sum by (model) (turnout_dispatch_routes_total{service="turnout-dispatcher"})"#, by: "model",
                                                  toEqual: ["strong-model": 6, "weak-model": 18])
        // Two dispatcher instances reported 3 strong and 9 weak each.
        #expect(answer == ["strong-model": 6, "weak-model": 18])
        #expect(try await prometheus.targetsAreUp())
    }
}

