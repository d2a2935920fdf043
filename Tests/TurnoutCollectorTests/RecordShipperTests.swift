import Foundation
import Testing
import TurnoutCollector
import TurnoutCollectorAPI
import TurnoutRuntime
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
}
