import Foundation
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// Configuration and assembly of `turnout-collector`.
public enum CollectorProgram {
    public static let serviceName = "turnout-collector"

    public static let spec = CommandSpec(
        name: serviceName,
        summary: "The metrics collector: takes metric reports and routing records from every service, stores records in SQLite, serves /metrics to Prometheus, /summary and a dashboard.",
        options: ServerOptions.specs(prefix: "TURNOUT_COLLECTOR", defaultListen: "0.0.0.0:7104") + [
            OptionSpec("http-listen", env: "TURNOUT_COLLECTOR_HTTP_LISTEN", default: "0.0.0.0:9464", value: "HOST:PORT", help: "Address for /metrics, /summary and the dashboard"),
            OptionSpec("retention", env: "TURNOUT_COLLECTOR_RETENTION", default: "720h", value: "DURATION", help: "Delete routing records older than this (0: keep forever)"),
            OptionSpec("retention-rows", env: "TURNOUT_COLLECTOR_RETENTION_ROWS", default: "10000000", value: "N", help: "Keep at most this many routing records (0: no cap)"),
            OptionSpec("stale-after", env: "TURNOUT_COLLECTOR_STALE_AFTER", default: "60s", value: "DURATION", help: "Drop an instance from /metrics after this long without a report"),
            OptionSpec("durability", env: "TURNOUT_COLLECTOR_DURABILITY", default: "full", value: "full|normal", help: "full: records acknowledged only once on disk (fsync); normal: survives process crashes only"),
        ]
    )

    public static func makeService(_ context: ServiceRunner.Context) throws -> ServiceRunner.Service {
        let options = context.options
        let directory = try ServerOptions.stateDirectory(options)
        let age = try options.duration("retention")
        let rows = try options.int("retention-rows", range: 0...Int.max)
        let retention = RecordStore.Retention(maxAge: age == .zero ? nil : age, maxRows: rows == 0 ? nil : rows)
        let durability = options.string("durability") ?? "full"
        guard durability == "full" || durability == "normal" else {
            throw ConfigurationError.invalid("--durability must be full or normal, got \"\(durability)\"")
        }
        let store = try RecordStore(path: directory.appendingPathComponent("routing-records.sqlite").path, retention: retention,
                                    synchronous: durability.uppercased(), logger: context.logger)
        let instance = options.string("instance").flatMap { $0.isEmpty ? nil : $0 } ?? ProcessInfo.processInfo.hostName
        let collector = CollectorService(metricsStore: MetricsStore(staleAfter: try options.duration("stale-after")), records: store,
                                         ownMetrics: context.metrics, ownLabels: ["service": serviceName, "instance": instance], logger: context.logger)
        var registry = HandlerRegistry()
        collector.register(in: &registry)
        var http = HTTPServerConfiguration(listen: try options.hostPort("http-listen"))
        http.drainTimeout = try options.duration("drain-timeout")
        let server = try HTTPServer(configuration: http, logger: context.logger) { request in
            await collector.handle(request)
        }
        var service = ServiceRunner.Service(registry: registry, http: server, stop: { store.close() })
        service.reportsMetrics = false
        return service
    }
}
