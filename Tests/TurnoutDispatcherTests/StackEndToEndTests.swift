import Foundation
import Synchronization
import Testing
import TurnoutHTTPClient
import TurnoutLocalStack
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutTestSupport

/// The whole local stack as `turnout up` runs it, under load from the real `openai` client,
/// with a scorer replica killed midway and restarted by the supervisor.
@Suite struct StackEndToEndTests {
    /// What the supervisor reported, in order.
    final class Reports: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func aThousandCompletionsSurviveAScorerCrash() async throws {
        async let strongStarted = TestUpstream.start(name: DispatcherStack.strongName)
        async let weakStarted = TestUpstream.start(name: DispatcherStack.weakName)
        let (strong, weak) = try await (strongStarted, weakStarted)
        defer { strong.stop(); weak.stop() }
        let state = TestPaths.temporaryDirectory("stack")
        let config = state.appendingPathComponent("dispatcher.json")
        try DispatcherStack.configurationFile(strong: strong, weak: weak, fallback: true).write(to: config)
        var configuration = LocalStack.Configuration(
            stateDirectory: state, ports: try LocalStack.Ports.free(), executableDirectory: TestPaths.buildDirectory,
            routersDirectory: try DispatcherStack.routersForTests().path, modelDirectory: DispatcherStack.modelDirectory,
            dispatcherConfig: config.path)
        configuration.apiKeys = ["e2e-key"]
        configuration.reportInterval = "500ms"
        configuration.environment = ["TEST_UPSTREAM_KEY": "upstream-key"]
        let stack = LocalStack(configuration: configuration, logger: Logger(service: "e2e", minimumLevel: .error))
        try await stack.start()
        let ports = configuration.ports
        let prometheus = try PrometheusProcess.start(scraping: "127.0.0.1:\(ports.collectorHTTP)")
        defer { prometheus.stop() }

        let victim = try #require(stack.process("scorer-1"))
        let reports = Reports()
        let supervisor = Task { await stack.supervise { reports.append($0) } }
        let progress = state.appendingPathComponent("progress.txt")
        let output = state.appendingPathComponent("load.json")
        let load = try ManagedProcess(executable: TestPaths.packageRoot.appendingPathComponent(".venv/bin/python").path, arguments: [
            TestPaths.packageRoot.appendingPathComponent("Tests/Python/e2e_load.py").path, "--base-url", "http://127.0.0.1:\(ports.dispatcherHTTP)/v1",
            "--api-key", "e2e-key", "--requests", "1000", "--concurrency", "20", "--progress-file", progress.path,
        ], logFile: output)
        // Midway, SIGKILL one scorer replica, as a crash would; the supervisor starts it again.
        try await waitUntil(timeout: .seconds(300)) { (try? String(contentsOf: progress, encoding: .utf8)).flatMap { Int($0) } ?? 0 >= 300 }
        victim.killHard()
        try await waitUntil(timeout: .seconds(60)) { reports.all.contains { $0.hasPrefix("scorer-1 restarted") } }
        #expect(reports.all.first?.hasPrefix("scorer-1 exited with status") == true, "\(reports.all)")
        let record = try JSONDecoder().decode(LocalStack.Record.self, from: Data(contentsOf: stack.recordURL))
        #expect(record.pids["scorer-1"] != nil && record.pids["scorer-1"] != victim.pid, "stack.json has the new pid: \(record.pids)")
        let status = await load.exited()
        let printed = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        #expect(status == 0, "\(printed) \(load.recentLog())")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(printed.utf8)) as? [String: Any], "\(printed)")
        #expect(result["failed"] as? Int == 0, "\(result["errors"] ?? "")")
        #expect(result["ok"] as? Int == 1000)

        // Every request left a routing record in the collector ...
        let http = HTTPClient()
        defer { http.shutdown() }
        var total: [String: Any] = [:]
        try await waitUntil(timeout: .seconds(30)) {
            let summary = try? await http.send(HTTPRequest(url: "http://127.0.0.1:\(ports.collectorHTTP)/summary"))
            let object = summary.flatMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] }
            total = object?["total"] as? [String: Any] ?? [:]
            return total["requests"] as? Int ?? 0 >= 1000
        }
        #expect(total["requests"] as? Int == 1000)
        // Routed, not defaulted: the surviving replica took over the killed one's calls.
        #expect(total["default_routes"] as? Int == 0)
        #expect((total["strong"] as? Int ?? 0) + (total["weak"] as? Int ?? 0) == 1000)
        // ... and Prometheus, scraping the collector, counts the same.
        let stored = try await prometheus.waitFor("sum(turnout_collector_records_stored_total)", toEqual: ["": 1000])
        #expect(stored == ["": 1000])
        let dispatched = try await prometheus.waitFor(#"sum(turnout_dispatcher_requests_total{status="200"})"#, toEqual: ["": 1000])
        #expect(dispatched == ["": 1000])
        supervisor.cancel()
        await supervisor.value
        await stack.stop()
    }
}
