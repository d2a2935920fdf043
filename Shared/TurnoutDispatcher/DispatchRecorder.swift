import Dispatch
import Foundation
import TurnoutCollectorAPI
import TurnoutJSON
import TurnoutRuntime
import TurnoutTelemetry

/// Turns finished requests into routing records (shipped to the collector) and metrics.
///
/// Every series is made up front, for the closed label sets (routes, the statuses the
/// dispatcher answers, the configured upstreams), so finishing a request takes no lock.
public final class DispatchRecorder: Sendable {
    /// A configured upstream's series.
    private struct ModelSeries: Sendable {
        let promptTokens: Counter
        let completionTokens: Counter
        let cost: Counter
    }

    private static let routes = ["strong", "weak", "passthrough", "none"]
    /// What the dispatcher itself answers; an upstream's other 4xx is looked up when it happens.
    private static let statuses = [200, 400, 401, 404, 405, 413, 429, 499, 500, 502, 503, 504]

    private let configuration: DispatcherConfiguration
    private let shipper: RecordShipper<RoutingRecord>?
    private let metrics: MetricsRegistry
    private let requestSeconds: Histogram
    private let firstByteSeconds: Histogram
    private let requests: [String: [Int: Counter]]
    private let models: [String: ModelSeries]
    /// Where answered requests are remembered for rating; nil without feedback.
    private let recent: RecentRequests?
    /// Where each tenant's spend is added up; nil without client keys.
    private let tenants: TenantGate?

    public init(configuration: DispatcherConfiguration, shipper: RecordShipper<RoutingRecord>?, metrics: MetricsRegistry, recent: RecentRequests? = nil,
                tenants: TenantGate? = nil) {
        self.configuration = configuration
        self.tenants = tenants
        self.shipper = shipper
        self.recent = recent
        self.metrics = metrics
        requestSeconds = metrics.histogram("turnout_dispatcher_request_seconds", help: "Time from a request's arrival to the end of its answer.")
        firstByteSeconds = metrics.histogram("turnout_dispatcher_upstream_first_byte_seconds", help: "Time from the first upstream attempt to the response head that was relayed.")
        var requests: [String: [Int: Counter]] = [:]
        for route in Self.routes {
            for status in Self.statuses { requests[route, default: [:]][status] = Self.requestCounter(metrics, route: route, status: status) }
        }
        self.requests = requests
        var models: [String: ModelSeries] = [:]
        for upstream in configuration.upstreams {
            models[upstream.name] = ModelSeries(
                promptTokens: metrics.counter("turnout_dispatcher_tokens_total", help: "Tokens reported by upstreams.", labels: ["model": upstream.name, "kind": "prompt"]),
                completionTokens: metrics.counter("turnout_dispatcher_tokens_total", help: "Tokens reported by upstreams.", labels: ["model": upstream.name, "kind": "completion"]),
                cost: metrics.counter("turnout_dispatcher_cost_usd_total", help: "Cost of upstream calls in US dollars, from configured prices and reported usage.",
                                      labels: ["model": upstream.name]))
        }
        self.models = models
    }

    private static func requestCounter(_ metrics: MetricsRegistry, route: String, status: Int) -> Counter {
        metrics.counter("turnout_dispatcher_requests_total", help: "Chat completion requests by route and HTTP status.", labels: ["route": route, "status": String(status)])
    }

    /// What the answering upstream's reported usage cost, at its configured prices.
    func cost(of outcome: DispatchOutcome) -> Double {
        let usage = outcome.usage ?? TokenUsage(promptTokens: 0, completionTokens: 0)
        return configuration.upstream(outcome.answeringModel)?.cost(promptTokens: usage.promptTokens, completionTokens: usage.completionTokens) ?? 0
    }

    /// Records a finished request; never waits on the collector.
    public func finish(_ outcome: DispatchOutcome) {
        let totalMs = RouteDecider.milliseconds(since: outcome.startNanos)
        let decision = outcome.decision
        let route = decision?.route ?? "none"
        let answering = outcome.answeringModel
        let usage = outcome.usage ?? TokenUsage(promptTokens: 0, completionTokens: 0)
        let cost = cost(of: outcome)
        tenants?.spent(cost, by: outcome.tenant)
        let strongCost = configuration.upstream(configuration.strong)?.cost(promptTokens: usage.promptTokens, completionTokens: usage.completionTokens) ?? 0
        (requests[route]?[outcome.status] ?? Self.requestCounter(metrics, route: route, status: outcome.status)).increment()
        requestSeconds.observe(totalMs / 1000)
        if outcome.firstByteMs > 0 { firstByteSeconds.observe(outcome.firstByteMs / 1000) }
        if let series = models[answering] {
            series.promptTokens.increment(by: Double(usage.promptTokens))
            series.completionTokens.increment(by: Double(usage.completionTokens))
            series.cost.increment(by: cost)
        }
        if let recent, outcome.status == 200, !answering.isEmpty {
            // The route a rating speaks of is who answered: after a fallback, not the one chosen.
            let answered = answering == configuration.strong ? "strong" : answering == configuration.weak ? "weak" : route
            recent.remember(RecentRequests.Entry(requestID: outcome.requestID, timeMs: outcome.arrivedAtMs, router: decision?.router ?? "",
                                                 routerVersion: decision?.routerVersion ?? "", route: answered, answeringModel: answering,
                                                 prompt: outcome.routedText, client: outcome.client))
        }
        guard let shipper else { return }
        shipper.submit(RoutingRecord(
            id: outcome.requestID, timeMs: outcome.arrivedAtMs, requestID: outcome.requestID, router: decision?.router ?? "",
            threshold: decision?.threshold, winRate: decision?.winRate, route: route, chosenModel: decision?.model ?? "",
            answeringModel: answering, fellBack: outcome.fellBack, defaultRoute: decision?.defaultRoute ?? false,
            embedMs: decision?.embedMs ?? 0, scoreMs: decision?.scoreMs ?? 0, upstreamFirstByteMs: outcome.firstByteMs, totalMs: totalMs,
            promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, costUSD: cost, strongCostUSD: strongCost,
            status: outcome.status, stream: outcome.stream, routerVersion: decision?.routerVersion, tenant: outcome.tenant))
    }
}
