import Foundation
import TurnoutCollectorAPI
import TurnoutStorage
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// The collector: takes metric reports and routing records over the wire, serves them to
/// Prometheus (`/metrics`), to programs (`/summary`, `Collector/Summary`) and to people (`/`).
public final class CollectorService: Sendable {
    public let metricsStore: MetricsStore
    public let records: RecordStore
    /// Recent win rates per router version, for the dispatchers' live calibration.
    public let winRates = WinRatePool()
    /// This process's own metrics (its wire server, ingestion counters).
    public let ownMetrics: MetricsRegistry
    public let ownLabels: [String: String]
    let logger: Logger
    private let recordsReceived: Counter
    private let recordsStored: Counter
    private let reportsApplied: Counter
    private let reportsIgnored: Counter
    private let battlesStored: Counter
    private let feedbackStored: Counter
    /// Bearer keys `GET /battles` and `GET /feedback` require: they export prompts. None: open.
    let exportToken: BearerToken

    public init(metricsStore: MetricsStore, records: RecordStore, ownMetrics: MetricsRegistry, ownLabels: [String: String], exportKeys: [String] = [],
                logger: Logger) {
        self.metricsStore = metricsStore
        self.records = records
        self.ownMetrics = ownMetrics
        self.ownLabels = ownLabels
        exportToken = BearerToken(keys: exportKeys)
        self.logger = logger
        battlesStored = ownMetrics.counter("turnout_collector_battles_stored_total", help: "Judged battles newly stored.")
        feedbackStored = ownMetrics.counter("turnout_collector_feedback_stored_total", help: "User ratings newly stored.")
        recordsReceived = ownMetrics.counter("turnout_collector_records_received_total", help: "Routing records received, including resent duplicates.")
        recordsStored = ownMetrics.counter("turnout_collector_records_stored_total", help: "Routing records newly stored.")
        reportsApplied = ownMetrics.counter("turnout_collector_reports_total", help: "Metric reports by outcome.", labels: ["outcome": "applied"])
        reportsIgnored = ownMetrics.counter("turnout_collector_reports_total", help: "Metric reports by outcome.", labels: ["outcome": "ignored"])
    }

    public func register(in registry: inout HandlerRegistry) {
        registry.register(CollectorAPI.report) { [self] request, _ in
            guard !request.service.isEmpty, !request.instance.isEmpty else {
                throw RPCError(.invalidArgument, "a report needs a service and an instance")
            }
            let applied = metricsStore.apply(request)
            (applied ? reportsApplied : reportsIgnored).increment()
            return CollectorAPI.ReportResponse(applied: applied)
        }
        registry.register(CollectorAPI.records) { [self] request, _ in
            guard request.records.allSatisfy({ !$0.id.isEmpty }) else {
                throw RPCError(.invalidArgument, "every record needs an id")
            }
            do throws(StorageError) {
                let stored = try await records.store(request.records)
                // A batch resent after a lost acknowledgement counts its win rates twice; the
                // quantiles of a few thousand hardly move for that.
                winRates.add(request.records)
                recordsReceived.increment(by: Double(request.records.count))
                recordsStored.increment(by: Double(stored))
                return CollectorAPI.StoreResponse(stored: stored, received: request.records.count)
            } catch {
                // Not acknowledged: the sender keeps the batch and sends it again.
                throw RPCError(.unavailable, "records not stored: \(error.message)", cause: error)
            }
        }
        registry.register(CollectorAPI.battles) { [self] request, _ in
            guard request.battles.allSatisfy({ !$0.id.isEmpty && !$0.prompt.isEmpty }) else {
                throw RPCError(.invalidArgument, "every battle needs an id and a prompt")
            }
            do throws(StorageError) {
                let stored = try await records.store(battles: request.battles)
                battlesStored.increment(by: Double(stored))
                return CollectorAPI.StoreResponse(stored: stored, received: request.battles.count)
            } catch {
                throw RPCError(.unavailable, "battles not stored: \(error.message)", cause: error)
            }
        }
        registry.register(CollectorAPI.feedback) { [self] request, _ in
            guard request.feedback.allSatisfy({ !$0.id.isEmpty }) else {
                throw RPCError(.invalidArgument, "every rating needs the request id it rates")
            }
            do throws(StorageError) {
                let stored = try await records.store(feedback: request.feedback)
                feedbackStored.increment(by: Double(stored))
                return CollectorAPI.StoreResponse(stored: stored, received: request.feedback.count)
            } catch {
                throw RPCError(.unavailable, "ratings not stored: \(error.message)", cause: error)
            }
        }
        registry.register(CollectorAPI.winRates) { [self] request, _ in
            guard !request.router.isEmpty, !request.version.isEmpty, (1...WinRatePool.capacity).contains(request.window), request.maxAgeMs > 0 else {
                throw RPCError(.invalidArgument, "a win-rate query needs a router, a version, a window of 1 to \(WinRatePool.capacity) and a positive max_age_ms")
            }
            return winRates.quantiles(request, nowMs: Int64(Date().timeIntervalSince1970 * 1000))
        }
        registry.register(CollectorAPI.spend) { [self] request, _ in
            do throws(StorageError) {
                return try records.spend(fromMs: request.fromMs)
            } catch {
                throw RPCError(.unavailable, "spend not read: \(error.message)", cause: error)
            }
        }
        registry.register(CollectorAPI.summary) { [self] request, _ in
            do {
                return try records.summary(fromMs: request.fromMs, toMs: request.toMs)
            } catch {
                throw RPCError(.internal, "summary failed", cause: error)
            }
        }
    }

    /// The HTTP side: `/metrics`, `/summary`, `/` and `/health`.
    public func handle(_ request: HTTPServerRequest) async -> HTTPServerResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return .text(405, "only GET is served here")
        }
        switch request.path {
        case "/metrics":
            return HTTPServerResponse(status: 200, headers: [("Content-Type", PrometheusText.contentType)],
                                      body: .bytes(Array(exposition().utf8)))
        case "/summary":
            do {
                let (from, to) = try window(request)
                let summary = try records.summary(fromMs: from, toMs: to)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                return .json(200, Array(try encoder.encode(summary)))
            } catch let error as WindowError {
                return .json(400, Array("{\"error\":{\"message\":\"\(error.message)\"}}".utf8))
            } catch {
                logger.error("summary failed", ["error": .string("\(error)")])
                return .json(500, Array("{\"error\":{\"message\":\"summary failed\"}}".utf8))
            }
        case "/":
            do {
                let (from, to) = try window(request)
                let summary = try records.summary(fromMs: from, toMs: to)
                return .text(200, DashboardPage.render(summary, calibration: metricsStore.live()), contentType: "text/html; charset=utf-8")
            } catch {
                return .text(400, "bad window: \(error)")
            }
        case "/battles":
            return export(.battles, request)
        case "/feedback":
            return export(.feedback, request)
        case "/health":
            return .text(200, "ok\n")
        default:
            return .text(404, "not found; try /metrics, /summary, /battles, /feedback or /\n")
        }
    }

    /// Every live instance's metrics plus the collector's own, in one exposition.
    public func exposition() -> String {
        PrometheusText.render(metricsStore.live() + [(ownLabels, ownMetrics.snapshot())])
    }

    struct WindowError: Error {
        let message: String
    }

    /// `from_ms`, `to_ms` (Unix ms) or `minutes` (the last N minutes) from the query string.
    private func window(_ request: HTTPServerRequest) throws -> (Int64?, Int64?) {
        let query = request.target.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
        var from: Int64?
        var to: Int64?
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "from_ms":
                guard let value = Int64(parts[1]) else { throw WindowError(message: "from_ms must be Unix milliseconds") }
                from = value
            case "to_ms":
                guard let value = Int64(parts[1]) else { throw WindowError(message: "to_ms must be Unix milliseconds") }
                to = value
            case "minutes":
                guard let value = Int64(parts[1]), value > 0 else { throw WindowError(message: "minutes must be a positive integer") }
                from = Int64(Date().timeIntervalSince1970 * 1000) - value * 60_000
            default:
                continue
            }
        }
        return (from, to)
    }
}
