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
            OptionSpec("battle-retention", env: "TURNOUT_COLLECTOR_BATTLE_RETENTION", default: "2160h", value: "DURATION",
                       help: "Delete judged battles and user ratings older than this (0: keep forever); they hold prompts"),
            OptionSpec("battle-retention-rows", env: "TURNOUT_COLLECTOR_BATTLE_RETENTION_ROWS", default: "1000000", value: "N", help: "Keep at most this many battles, and as many ratings (0: no cap)"),
            OptionSpec("export-api-keys", env: "TURNOUT_COLLECTOR_EXPORT_API_KEYS", default: "", value: "KEY,...",
                       help: "Bearer keys GET /battles and /feedback require (they export prompts); empty: no key"),
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
        let battleAge = try options.duration("battle-retention")
        let battleRows = try options.int("battle-retention-rows", range: 0...Int.max)
        let learning = RecordStore.Retention(maxAge: battleAge == .zero ? nil : battleAge, maxRows: battleRows == 0 ? nil : battleRows)
        let durability = options.string("durability") ?? "full"
        guard durability == "full" || durability == "normal" else {
            throw ConfigurationError.invalid("--durability must be full or normal, got \"\(durability)\"")
        }
        let store = try RecordStore(path: directory.appendingPathComponent("routing-records.sqlite").path, retention: retention,
                                    learningRetention: learning, synchronous: durability.uppercased(), logger: context.logger)
        let instance = options.string("instance").flatMap { $0.isEmpty ? nil : $0 } ?? ProcessInfo.processInfo.hostName
        let collector = CollectorService(metricsStore: MetricsStore(staleAfter: try options.duration("stale-after")), records: store,
                                         ownMetrics: context.metrics, ownLabels: ["service": serviceName, "instance": instance],
                                         exportKeys: options.list("export-api-keys"), logger: context.logger)
        var registry = HandlerRegistry()
        collector.register(in: &registry)
        var http = HTTPServerConfiguration(listen: try options.hostPort("http-listen"))
        http.drainTimeout = try options.duration("drain-timeout")
        let server = try HTTPServer(configuration: http, logger: context.logger) { request in
            await collector.handle(request)
        }
        if options.list("export-api-keys").isEmpty {
            context.logger.info("GET /battles and /feedback need no key; set --export-api-keys before storing prompts (docs/learning.md)")
        }
        var service = ServiceRunner.Service(registry: registry, http: server, stop: { store.close() })
        service.reportsMetrics = false
        return service
    }
}
