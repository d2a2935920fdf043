import Foundation
import Testing
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
            _ = try await client.call(CollectorAPI.report, report, as: CollectorAPI.ReportResponse.self)
        }

        let directory = TestPaths.temporaryDirectory("prometheus")
        let port = try LoopbackSocket.freePort()
        let config = """
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: turnout
                static_configs:
                  - targets: ['127.0.0.1:\(collector.httpPort ?? 0)']
            """
        try config.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let prometheus = try ManagedProcess(executable: "/usr/bin/prometheus", arguments: [
            "--config.file=\(directory.appendingPathComponent("prometheus.yml").path)",
            "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:\(port)",
        ])
        defer { prometheus.terminate(grace: .seconds(5)) }
        let http = HTTPClient()
        defer { http.shutdown() }
        let query = "sum%20by%20(model)%20(turnout_dispatch_routes_total%7Bservice%3D%22turnout-dispatcher%22%7D)"
        var answer: [String: Double] = [:]
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let response = try? await http.send(HTTPRequest(url: "http://127.0.0.1:\(port)/api/v1/query?query=\(query)")), response.status == 200,
               let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
               let data = object["data"] as? [String: Any], let results = data["result"] as? [[String: Any]], !results.isEmpty {
                for result in results {
                    let model = (result["metric"] as? [String: String])?["model"] ?? ""
                    let value = (result["value"] as? [Any])?.last as? String
                    answer[model] = value.flatMap(Double.init)
                }
                break
            }
            #expect(prometheus.isRunning, "prometheus exited: \(prometheus.recentLog())")
            try await Task.sleep(for: .milliseconds(250))
        }
        // Two dispatcher instances reported 3 strong and 9 weak each.
        #expect(answer == ["strong-model": 6, "weak-model": 18])
        let targets = try await http.send(HTTPRequest(url: "http://127.0.0.1:\(port)/api/v1/targets"))
        #expect(String(decoding: targets.body, as: UTF8.self).contains("\"health\":\"up\""))
    }
}

