import Foundation
import Testing
import TurnoutCollector
import TurnoutCollectorAPI
import TurnoutTelemetry
import TurnoutTestSupport

@Suite struct RecordStoreTests {
    func store(retention: RecordStore.Retention = .init()) throws -> RecordStore {
        let path = TestPaths.temporaryDirectory("records").appendingPathComponent("records.sqlite").path
        return try RecordStore(path: path, retention: retention, logger: Logger(service: "test", sink: MemoryLogSink()))
    }

    @Test func resentBatchesAreStoredOnce() async throws {
        let records = try store()
        defer { records.close() }
        let batch = (0..<100).map { RoutingRecord.sample(id: "r\($0)") }
        #expect(try await records.store(batch) == 100)
        #expect(try await records.store(batch) == 0)
        #expect(try await records.store(Array(batch[50...]) + [.sample(id: "new")]) == 1)
        #expect(records.count == 101)
    }

    @Test func summaryFiguresAreComputedFromTheRecords() async throws {
        let records = try store()
        defer { records.close() }
        var batch: [RoutingRecord] = []
        let base = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
        // 10 records: 3 strong, 6 weak, 1 pass-through; latencies 10...100 ms; one fallback, one error.
        for index in 0..<10 {
            let route = index < 3 ? "strong" : (index < 9 ? "weak" : "passthrough")
            batch.append(.sample(id: "s\(index)", timeMs: base + Int64(index), router: route == "passthrough" ? "" : "mf",
                                 threshold: route == "passthrough" ? nil : 0.25, route: route, cost: route == "strong" ? 0.01 : 0.001,
                                 strongCost: 0.01, totalMs: Double((index + 1) * 10), fellBack: index == 4, status: index == 5 ? 502 : 200))
        }
        _ = try await records.store(batch)
        let summary = try records.summary(fromMs: nil, toMs: nil)
        #expect(summary.total.requests == 10)
        #expect(summary.total.strong == 3 && summary.total.weak == 6 && summary.total.passthrough == 1)
        #expect(abs(summary.total.strongShare - 3.0 / 9.0) < 1e-12)
        #expect(abs(summary.total.costUSD - (3 * 0.01 + 7 * 0.001)) < 1e-12)
        #expect(abs(summary.total.costSavedUSD - 7 * 0.009) < 1e-12)
        #expect(summary.total.fallbacks == 1 && summary.total.errors == 1)
        #expect(summary.total.latencyP50Ms == 50)
        #expect(summary.total.latencyP99Ms == 100)
        #expect(summary.byRouter.map(\.router) == ["", "mf"])
        #expect(summary.byRouter.last?.requests == 9 && summary.byRouter.last?.threshold == 0.25)
        #expect(summary.series.reduce(0) { $0 + $1.requests } == 10)
        let window = try records.summary(fromMs: base + 5, toMs: base + 8)
        #expect(window.total.requests == 3)
    }

    @Test func retentionDropsOldAndExcessRecords() async throws {
        let records = try store(retention: .init(maxAge: .seconds(3600), maxRows: 5))
        defer { records.close() }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let old = (0..<3).map { RoutingRecord.sample(id: "old\($0)", timeMs: now - 7_200_000) }
        let fresh = (0..<8).map { RoutingRecord.sample(id: "fresh\($0)", timeMs: now - Int64(8 - $0)) }
        _ = try await records.store(old + fresh)
        await records.enforceRetention()
        #expect(records.count == 5)
        let kept = try records.query("SELECT id FROM records ORDER BY time_ms") { $0.string(at: 0) ?? "" }
        #expect(kept == (3..<8).map { "fresh\($0)" })
    }
}
