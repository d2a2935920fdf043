import Foundation
import TurnoutCollectorAPI
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// `turnout bench collector`: routing records ingested per second, durably, over the wire.
enum CollectorBench {
    static let spec = CommandSpec(
        name: "turnout bench collector",
        summary: "Measure record ingestion: batches of 100 routing records from 4 connections into a collector process with durability on (fsync per group commit).",
        options: [
            .flag("json", help: "Print one JSON object instead of text"),
            OptionSpec("records", default: "200000", value: "N", help: "Records to send in the measured run"),
            OptionSpec("connections", default: "4", value: "N", help: "Client connections"),
            OptionSpec("batch", default: "100", value: "N", help: "Records per batch"),
            OptionSpec("in-flight", default: "4", value: "N", help: "Batches in flight per connection"),
            OptionSpec("durability", default: "full", value: "full|normal", help: "The collector's --durability"),
        ]
    )

    static func run(_ arguments: [String]) async -> Int32 {
        let options = ServiceRunner.parseOrExit(spec, arguments)
        do {
            BenchSupport.warnIfDebug()
            let total = try options.int("records", range: 1000...100_000_000)
            let connections = try options.int("connections", range: 1...64)
            let batchSize = try options.int("batch", range: 1...10_000)
            let inFlight = try options.int("in-flight", range: 1...64)
            let state = FileManager.default.temporaryDirectory.appendingPathComponent("turnout-bench-collector-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: state) }
            let collector = try ManagedProcess(executable: BenchSupport.executable("turnout-collector"), arguments: [
                "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--state-dir", state.path,
                "--durability", options.string("durability") ?? "full", "--log-level", "warning",
            ])
            defer { collector.terminate() }
            let port = try await collector.listening()
            let target = HostPort(host: "127.0.0.1", port: UInt16(port))
            // Bodies are encoded before the clock starts: the benchmark measures the collector.
            let batchCount = total / batchSize
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let encoder = JSONEncoder()
            var bodies: [[UInt8]] = []
            bodies.reserveCapacity(batchCount)
            for batch in 0..<batchCount {
                let records = (0..<batchSize).map { index in
                    RoutingRecord(id: "bench-\(batch)-\(index)", timeMs: now + Int64(batch), requestID: "r\(batch)-\(index)", router: "mf",
                                  threshold: 0.1159, winRate: 0.3, route: index % 3 == 0 ? "strong" : "weak", chosenModel: "m", answeringModel: "m",
                                  fellBack: false, defaultRoute: false, embedMs: 3, scoreMs: 0.05, upstreamFirstByteMs: 40, totalMs: 45,
                                  promptTokens: 100, completionTokens: 200, costUSD: 0.001, strongCostUSD: 0.01, status: 200, stream: false)
                }
                bodies.append(Array(try encoder.encode(CollectorAPI.RecordsRequest(records: records))))
            }
            var clients: [WireClient] = []
            for _ in 0..<connections {
                var configuration = ClientConfiguration(targets: [target])
                configuration.defaultTimeout = .seconds(60)
                clients.append(try WireClient(configuration: configuration, logger: Logger(service: "bench", minimumLevel: .error)))
            }
            defer { clients.forEach { $0.shutdown() } }
            let next = TicketCounter(0)
            let payloads = bodies
            let started = ContinuousClock.now
            let stored = try await withThrowingTaskGroup(of: Int.self) { group in
                for client in clients {
                    for _ in 0..<inFlight {
                        group.addTask {
                            var stored = 0
                            while true {
                                let index = next.take()
                                guard index < payloads.count else { return stored }
                                let reply = try await client.unary(CollectorAPI.records.descriptor, body: payloads[index])
                                stored += try CollectorAPI.records.response.decode(reply).stored
                            }
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            let elapsed = ContinuousClock.now - started
            let seconds = elapsed.seconds
            guard stored == batchCount * batchSize else { throw BenchError("stored \(stored) of \(batchCount * batchSize) records") }
            let rate = Double(stored) / seconds
            let report: [String: Double] = ["records_per_s": rate.rounded(), "records": Double(stored), "seconds": seconds,
                                            "connections": Double(connections), "batch": Double(batchSize)]
            if options.flag("json") {
                print(BenchSupport.json(report))
            } else {
                print("stored \(stored) records in \(String(format: "%.2f", seconds)) s: \(Int(rate)) records/s (\(connections) connections, batches of \(batchSize), durability \(options.string("durability") ?? "full"))")
            }
            return 0
        } catch {
            printError("turnout bench collector: \(error)")
            return 1
        }
    }
}

/// A counter handed out to concurrent tasks.
final class TicketCounter: Sendable {
    private let value: Mutex<Int>

    init(_ initial: Int) {
        value = Mutex(initial)
    }

    func take() -> Int {
        value.withLock { value in
            defer { value += 1 }
            return value
        }
    }
}

import Synchronization
