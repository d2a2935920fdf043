import Foundation
import Testing
import TurnoutCollector
import TurnoutCollectorAPI
@testable import TurnoutRuntime
import TurnoutTelemetry
import TurnoutTestSupport
import TurnoutTransport
import TurnoutWire

@Suite struct RecordShipperTests {
    func startCollector(port: Int, state: URL) async throws -> ManagedProcess {
        let process = try ManagedProcess(executable: TestPaths.executable("turnout-collector"), arguments: [
            "--listen", "127.0.0.1:\(port)", "--http-listen", "127.0.0.1:0", "--state-dir", state.path])
        _ = try await process.listening()
        return process
    }

    func storedCount(port: Int) async throws -> Int {
        let client = try WireClient.forTesting([HostPort(host: "127.0.0.1", port: UInt16(port))])
        defer { client.shutdown() }
        return try await client.call(CollectorAPI.summary, CollectorAPI.SummaryRequest()).total.requests
    }

    @Test func recordsWaitForADownCollectorAndSurviveItsRestart() async throws {
        let port = Int(try LoopbackSocket.freePort())
        let state = TestPaths.temporaryDirectory("shipper")
        let metrics = MetricsRegistry()
        var configuration = ShippingConfiguration()
        configuration.flushInterval = .milliseconds(50)
        configuration.maxBackoff = .milliseconds(200)
        let connection = try WireClient.forTesting([HostPort(host: "127.0.0.1", port: UInt16(port))]) { $0.defaultTimeout = .seconds(10) }
        defer { connection.shutdown() }
        let shipper = RecordShipper<RoutingRecord>(collector: CollectorClient(connection), configuration: configuration,
                                                   metrics: metrics, logger: Logger(service: "test", sink: MemoryLogSink()))
        // The collector is not running yet: records queue up.
        for index in 0..<500 { shipper.submit(.sample(id: "early-\(index)")) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(shipper.pendingCount == 500)
        var collector = try await startCollector(port: port, state: state)
        try await waitUntil(timeout: .seconds(20)) { shipper.pendingCount == 0 }
        // Kill it while more records flow, then bring it back on the same port.
        for index in 0..<500 { shipper.submit(.sample(id: "late-\(index)")) }
        collector.killHard()
        for index in 500..<1000 { shipper.submit(.sample(id: "late-\(index)")) }
        collector = try await startCollector(port: port, state: state)
        defer { collector.terminate() }
        try await waitUntil(timeout: .seconds(20)) { shipper.pendingCount == 0 }
        await shipper.shutdown()
        #expect(try await storedCount(port: port) == 1500)
        let shipped = metrics.snapshot().first { $0.name == "turnout_records_shipped_total" }?.samples.first?.value ?? 0
        #expect(shipped >= 1500)
    }

    /// A full batch wakes the send loop at once; after that, at rest, it must go back to
    /// waiting out its flush interval. It once spun instead: each cancelled timer woke the
    /// next wait, for ever, and an idle dispatcher burnt most of a core.
    @Test func anIdleShipperSleepsAfterAFullBatch() async throws {
        let port = Int(try LoopbackSocket.freePort())
        let collector = try await startCollector(port: port, state: TestPaths.temporaryDirectory("shipper-idle"))
        defer { collector.terminate() }
        var configuration = ShippingConfiguration()
        configuration.flushInterval = .milliseconds(100)
        let connection = try WireClient.forTesting([HostPort(host: "127.0.0.1", port: UInt16(port))]) { $0.defaultTimeout = .seconds(10) }
        defer { connection.shutdown() }
        let shipper = RecordShipper<RoutingRecord>(collector: CollectorClient(connection), configuration: configuration,
                                                   metrics: MetricsRegistry(), logger: Logger(service: "test", sink: MemoryLogSink()))
        // More than a batch at once: the wake-ups that come from submit, not from the timer.
        for round in 0..<3 {
            for index in 0..<(configuration.batchSize * 2 + 10) { shipper.submit(.sample(id: "burst-\(round)-\(index)")) }
            try await waitUntil(timeout: .seconds(20)) { shipper.pendingCount == 0 }
        }
        let before = shipper.passes.load(ordering: .relaxed)
        try await Task.sleep(for: .seconds(1))
        let passes = shipper.passes.load(ordering: .relaxed) - before
        // About ten flush intervals in a second; a spinning loop makes thousands.
        #expect(passes <= 20, "the send loop waited \(passes) times in a second at rest")
        #expect(passes >= 3, "the send loop stopped waking (\(passes) passes in a second)")
        await shipper.shutdown()
        #expect(try await storedCount(port: port) == 3 * (configuration.batchSize * 2 + 10))
    }

    @Test func theBufferIsBoundedAndDropsAreCounted() async throws {
        let metrics = MetricsRegistry()
        var configuration = ShippingConfiguration()
        configuration.maxBuffered = 50
        let connection = try WireClient.forTesting([HostPort(host: "127.0.0.1", port: 1)])
        defer { connection.shutdown() }
        let shipper = RecordShipper<RoutingRecord>(collector: CollectorClient(connection), configuration: configuration,
                                                   metrics: metrics, logger: Logger(service: "test", sink: MemoryLogSink()))
        for index in 0..<120 { shipper.submit(.sample(id: "r\(index)")) }
        #expect(shipper.pendingCount == 50)
        let dropped = metrics.snapshot().first { $0.name == "turnout_records_dropped_total" }?.samples.first?.value
        #expect(dropped == 70)
        await shipper.shutdown(timeout: .milliseconds(100))
    }

    @Test func bigRecordsAreBatchedWithinTheFrameLimitAndARefusedRecordCostsOnlyItself() async throws {
        let port = Int(try LoopbackSocket.freePort())
        let collector = try await startCollector(port: port, state: TestPaths.temporaryDirectory("shipper-refusal"))
        defer { collector.terminate() }
        let metrics = MetricsRegistry()
        let log = MemoryLogSink()
        var configuration = ShippingConfiguration()
        configuration.flushInterval = .milliseconds(50)
        configuration.maxBackoff = .milliseconds(200)
        let connection = try WireClient.forTesting([HostPort(host: "127.0.0.1", port: UInt16(port))]) { $0.defaultTimeout = .seconds(10) }
        defer { connection.shutdown() }
        let shipper = RecordShipper<BattleRecord>(collector: CollectorClient(connection), configuration: configuration,
                                                  metrics: metrics, logger: Logger(service: "test", sink: log))
        // 50 prompts of 16 KiB of control characters, six bytes each in JSON: about 5 MB in
        // all, over the 4 MiB frame, so they must go in several batches, none refused.
        let control = String(repeating: "\u{01}", count: 16 * 1024)
        for index in 0..<50 {
            var battle = BattleRecord.sample("big-\(index)")
            battle.prompt = control + "\(index)"
            shipper.submit(battle)
        }
        try await waitUntil(timeout: .seconds(30)) { shipper.pendingCount == 0 }
        #expect(!log.recorded.contains { $0.contains("refused") }, "\(log.recorded.filter { $0.contains("refused") })")
        // One record the collector refuses (no prompt) among good ones: only it is lost.
        for index in 0..<5 { shipper.submit(.sample("before-\(index)")) }
        var bad = BattleRecord.sample("bad")
        bad.prompt = ""
        shipper.submit(bad)
        for index in 0..<5 { shipper.submit(.sample("after-\(index)")) }
        try await waitUntil(timeout: .seconds(30)) { shipper.pendingCount == 0 }
        shipper.submit(.sample("later"))
        try await waitUntil(timeout: .seconds(30)) { shipper.pendingCount == 0 }
        await shipper.shutdown()
        let client = try WireClient.forTesting([HostPort(host: "127.0.0.1", port: UInt16(port))])
        defer { client.shutdown() }
        let judged = try await client.call(CollectorAPI.summary, CollectorAPI.SummaryRequest()).judgements.map(\.judged).reduce(0, +)
        #expect(judged == 61)
        let rejected = metrics.snapshot().first { $0.name == "turnout_records_rejected_total" }?.samples.first?.value
        #expect(rejected == 1)
        #expect(log.recorded.filter { $0.contains("refused a record") && $0.contains("bad") }.count == 1)
    }
}
