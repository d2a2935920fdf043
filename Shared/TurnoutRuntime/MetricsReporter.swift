import Foundation
import Synchronization
import TurnoutCollectorAPI
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// Pushes this process's metrics to the collector every few seconds (`Metrics/Report`).
///
/// Push rather than scrape: replicas come and go behind DNS names, and the collector turns
/// them into one Prometheus target. Each report is a cumulative snapshot with a sequence
/// number, so a lost report costs nothing and a resent one is not counted twice.
public final class MetricsReporter: Sendable {
    private let connection: WireClient
    private let collector: CollectorClient
    private let registry: MetricsRegistry
    private let service: String
    private let instance: String
    private let epoch = UUID().uuidString
    private let sequence = Atomic<UInt64>(0)
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let logger: Logger

    public init(collector: [HostPort], registry: MetricsRegistry, service: String, instance: String, logger: Logger) throws(TransportError) {
        var configuration = ClientConfiguration(targets: collector)
        configuration.defaultTimeout = .seconds(5)
        connection = try WireClient(configuration: configuration, logger: logger)
        self.collector = CollectorClient(connection)
        self.registry = registry
        self.service = service
        self.instance = instance
        self.logger = logger
    }

    public func start(every interval: Duration) {
        task.withLock { task in
            task = Task { [self] in
                var failures = 0
                while !Task.isCancelled {
                    do throws(RPCError) {
                        try await reportNow()
                        if failures > 0 { logger.info("metrics reports reach the collector again") }
                        failures = 0
                    } catch {
                        failures += 1
                        // Say it once, then every 60th time, rather than flood the log while the collector is away.
                        if failures == 1 || failures % 60 == 0 {
                            logger.warning("could not report metrics", ["error": .string(error.description), "failures": .int(failures)])
                        }
                    }
                    try? await Task.sleep(for: interval)
                }
            }
        }
    }

    /// Sends one report now.
    public func reportNow() async throws(RPCError) {
        let number = sequence.add(1, ordering: .relaxed).newValue
        let report = CollectorAPI.ReportRequest(service: service, instance: instance, epoch: epoch, sequence: number, families: registry.snapshot())
        _ = try await collector.report(report)
    }

    /// Sends a last report and stops.
    public func stop() async {
        let running = task.withLock { task -> Task<Void, Never>? in
            defer { task = nil }
            return task
        }
        running?.cancel()
        try? await reportNow()
        connection.shutdown()
    }
}
