import Foundation
import Testing
import TurnoutCollector
import TurnoutCollectorAPI
import TurnoutHTTPClient
import TurnoutTelemetry
import TurnoutTestSupport
import TurnoutTransport
import TurnoutWire

@Suite struct CollectorProcessTests {
    @Test func sigkillDuringIngestionLosesAndDuplicatesNothing() async throws {
        let state = TestPaths.temporaryDirectory("collector-kill")
        let first = try await RunningService.start("turnout-collector", stateDirectory: state, http: true)
        let current = Locked<RunningService>(first)
        let total = 4 * 40 * 100
        let acknowledged = Locked<Set<Int>>([])
        // Four senders, 40 batches of 100 each; a batch is retried until acknowledged.
        let port = Locked<Int>(first.wirePort)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in 0..<4 {
                group.addTask {
                    for batch in 0..<40 {
                        let number = sender * 40 + batch
                        let records = (0..<100).map { RoutingRecord.sample(id: "rec-\(number)-\($0)") }
                        while true {
                            let client = try WireClient.forTesting([HostPort(host: "127.0.0.1", port: UInt16(port.value))]) {
                                $0.maxAttempts = 1
                                $0.connectTimeout = .milliseconds(200)
                            }
                            defer { client.shutdown() }
                            do {
                                _ = try await client.call(CollectorAPI.records, CollectorAPI.RecordsRequest(records: records), deadline: .after(.seconds(5)))
                                acknowledged.withLock { _ = $0.insert(number) }
                                break
                            } catch {
                                try await Task.sleep(for: .milliseconds(20))
                            }
                        }
                    }
                }
            }
            group.addTask {
                // Kill once a dozen batches are in, mid-stream for the others.
                while acknowledged.value.count < 12 { try await Task.sleep(for: .milliseconds(2)) }
                first.process.killHard()
                #expect(await first.process.exited() == 128 + SIGKILL)
                let restarted = try await RunningService.start("turnout-collector", stateDirectory: state, http: true)
                current.withLock { $0 = restarted }
                port.withLock { $0 = restarted.wirePort }
            }
            try await group.waitForAll()
        }
        let client = try WireClient.forTesting([HostPort(host: "127.0.0.1", port: UInt16(port.value))])
        defer { client.shutdown() }
        let summary = try await client.call(CollectorAPI.summary, CollectorAPI.SummaryRequest())
        #expect(summary.total.requests == total)
        current.value.process.terminate()
        // Inspect the file directly: every id present exactly once.
        let store = try RecordStore(path: state.appendingPathComponent("routing-records.sqlite").path, logger: Logger(service: "t", sink: MemoryLogSink()))
        defer { store.close() }
        let distinct = try store.query("SELECT COUNT(DISTINCT id), COUNT(*) FROM records") { ($0.int64(at: 0), $0.int64(at: 1)) }
        #expect(distinct.first?.0 == Int64(total))
        #expect(distinct.first?.1 == Int64(total))
    }

    @Test func reportsAreExposedOnceAndStaleInstancesDropOut() async throws {
        let collector = try await RunningService.start("turnout-collector", stateDirectory: TestPaths.temporaryDirectory(), http: true,
                                                       arguments: ["--stale-after", "3s"])
        defer { collector.process.terminate() }
        let client = try WireClient.forTesting([collector.wireTarget])
        defer { client.shutdown() }
        let registry = MetricsRegistry()
        registry.counter("turnout_dispatch_requests_total", help: "Requests.", labels: ["model": "strong \"quoted\""]).increment(by: 7)
        let report = CollectorAPI.ReportRequest(service: "turnout-dispatcher", instance: "d-1", epoch: "e1", sequence: 2, families: registry.snapshot())
        #expect(try await client.call(CollectorAPI.report, report).applied)
        #expect(try await !client.call(CollectorAPI.report, report).applied)
        var older = report
        older.sequence = 1
        #expect(try await !client.call(CollectorAPI.report, older).applied)
        var restarted = older
        restarted.epoch = "e2"
        #expect(try await client.call(CollectorAPI.report, restarted).applied)
        // Bad reports and records are refused with a reason, and nothing of them is kept.
        let anonymous = CollectorAPI.ReportRequest(service: "", instance: "x", epoch: "e", sequence: 1, families: [])
        do {
            _ = try await client.call(CollectorAPI.report, anonymous)
            Issue.record("a report without a service must be refused")
        } catch {
            #expect(error.code == .invalidArgument)
        }
        do {
            _ = try await client.call(CollectorAPI.records, CollectorAPI.RecordsRequest(records: [.sample(id: "ok"), .sample(id: "")]))
            Issue.record("a record without an id must be refused")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("id"))
        }
        let summary = try await client.call(CollectorAPI.summary, CollectorAPI.SummaryRequest())
        #expect(summary.total.requests == 0, "a refused batch stores nothing, not even its valid records")

        // A fresh report just before the scrape, so a slow machine cannot let it go stale first.
        restarted.sequence += 1
        #expect(try await client.call(CollectorAPI.report, restarted).applied)
        let http = HTTPClient()
        defer { http.shutdown() }
        let metrics = try await http.send(HTTPRequest(url: "\(collector.httpBase)/metrics"))
        #expect(metrics.status == 200)
        #expect(metrics.head.header("content-type")?.contains("version=0.0.4") == true)
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(text.contains("turnout_dispatch_requests_total{instance=\"d-1\",model=\"strong \\\"quoted\\\"\",service=\"turnout-dispatcher\"} 7"))
        #expect(text.contains("service=\"turnout-collector\""))
        try await PromTool.check(text)
        try await Task.sleep(for: .milliseconds(3500))
        let later = String(decoding: try await http.send(HTTPRequest(url: "\(collector.httpBase)/metrics")).body, as: UTF8.self)
        #expect(!later.contains("instance=\"d-1\""))
    }

    /// `Collector/WinRates`: the win rates of every dispatcher's records, per router version,
    /// over the wire, and a malformed query refused.
    @Test func poolsWinRatesForLiveCalibration() async throws {
        let collector = try await RunningService.start("turnout-collector", stateDirectory: TestPaths.temporaryDirectory())
        defer { collector.process.terminate() }
        let client = try WireClient.forTesting([collector.wireTarget])
        defer { client.shutdown() }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let records = (0..<50).map { index -> RoutingRecord in
            var record = RoutingRecord.sample(id: "w\(index)", timeMs: now - Int64(50 - index))
            record.winRate = Double(index) / 49
            record.routerVersion = index < 40 ? "v1" : "v2"
            return record
        }
        // Two batches, as two dispatchers send them.
        _ = try await client.call(CollectorAPI.records, CollectorAPI.RecordsRequest(records: Array(records[..<25])))
        _ = try await client.call(CollectorAPI.records, CollectorAPI.RecordsRequest(records: Array(records[25...])))
        let v1 = try await CollectorClient(client).winRates(.init(router: "mf", version: "v1", window: 1_000, maxAgeMs: 60_000))
        #expect(v1.count == 40 && v1.quantiles.count == 101)
        #expect(v1.quantiles.first == 0 && abs((v1.quantiles.last ?? 0) - 39.0 / 49) < 1e-9, "v2's records are not v1's")
        let newest = try await CollectorClient(client).winRates(.init(router: "mf", version: "v2", window: 5, maxAgeMs: 60_000))
        #expect(newest.count == 5 && newest.quantiles.first == 45.0 / 49)
        for bad in [CollectorAPI.WinRatesRequest(router: "", version: "v1", window: 10, maxAgeMs: 1), .init(router: "mf", version: "v1", window: 0, maxAgeMs: 1),
                    .init(router: "mf", version: "", window: 10, maxAgeMs: 1), .init(router: "mf", version: "v1", window: 10, maxAgeMs: 0)] {
            do {
                _ = try await CollectorClient(client).winRates(bad)
                Issue.record("\(bad) must be refused")
            } catch {
                #expect(error.code == .invalidArgument, "\(error)")
            }
        }
    }

    @Test func summaryAndDashboardOverHTTP() async throws {
        let collector = try await RunningService.start("turnout-collector", stateDirectory: TestPaths.temporaryDirectory(), http: true)
        defer { collector.process.terminate() }
        let client = try WireClient.forTesting([collector.wireTarget])
        defer { client.shutdown() }
        let records = (0..<20).map { RoutingRecord.sample(id: "d\($0)", route: $0 < 5 ? "strong" : "weak", cost: $0 < 5 ? 0.01 : 0.001) }
        _ = try await client.call(CollectorAPI.records, CollectorAPI.RecordsRequest(records: records))
        // A dispatcher holding router-mf@30% live reports its calibration gauges.
        let calibration = MetricsRegistry()
        let labels = ["router": "mf", "target": "0.300"]
        calibration.gauge("turnout_dispatcher_calibration_target_share", help: "t", labels: labels).set(0.3)
        calibration.gauge("turnout_dispatcher_calibration_realised_share", help: "r", labels: labels).set(0.288)
        calibration.gauge("turnout_dispatcher_calibration_threshold", help: "h", labels: labels).set(0.51234)
        _ = try await client.call(CollectorAPI.report, CollectorAPI.ReportRequest(service: "turnout-dispatcher", instance: "d-7", epoch: "e", sequence: 1,
                                                                                   families: calibration.snapshot()))
        let http = HTTPClient()
        defer { http.shutdown() }
        let summary = try await http.send(HTTPRequest(url: "\(collector.httpBase)/summary?minutes=60"))
        #expect(summary.status == 200)
        let decoded = try JSONDecoder().decode(Summary.self, from: Data(summary.body))
        #expect(decoded.total.requests == 20)
        #expect(decoded.total.strongShare == 0.25)
        let bad = try await http.send(HTTPRequest(url: "\(collector.httpBase)/summary?from_ms=yesterday"))
        #expect(bad.status == 400)
        let page = try await http.send(HTTPRequest(url: "\(collector.httpBase)/"))
        #expect(page.status == 200)
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(html.contains("<title>Turnout: routing summary</title>"))
        #expect(html.contains("25.0%"))
        #expect(html.contains("<svg"))
        #expect(html.contains(">20<"))
        #expect(!html.contains("<script"))
        #expect(html.contains("<h2>Live calibration</h2>") && html.contains("<td>mf</td><td>d-7</td><td>30.0%</td><td>28.8%</td><td>0.5123</td>"), "\(html)")
    }
}
