import Dispatch
import Foundation
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutWire

/// Token counts an upstream reported.
public struct TokenUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    /// Reads a raw `usage` value; nil for `null` or anything unreadable.
    static func parse(_ raw: ArraySlice<UInt8>?) -> TokenUsage? {
        guard let raw, raw.first == UInt8(ascii: "{") else { return nil }
        var scanner = JSONScanner(bytes: Array(raw))
        var usage = TokenUsage(promptTokens: 0, completionTokens: 0)
        var found = false
        do throws(JSONError) {
            try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                switch key {
                case "prompt_tokens":
                    usage.promptTokens = Int(clamping: try scanner.readUInt64())
                    found = true
                case "completion_tokens":
                    usage.completionTokens = Int(clamping: try scanner.readUInt64())
                    found = true
                default:
                    try scanner.skipValue()
                }
            }
        } catch {
            return nil
        }
        return found ? usage : nil
    }
}

/// What is known about one request as it finishes, for its routing record and metrics.
public struct DispatchOutcome: Sendable {
    public var requestID: String
    public var arrivedAtMs: Int64
    public var startNanos: UInt64
    public var decision: RouteDecision?
    public var answeringModel: String = ""
    public var fellBack = false
    public var firstByteMs: Double = 0
    public var usage: TokenUsage?
    public var status: Int = 200
    public var stream = false

    public init(requestID: String, arrivedAtMs: Int64, startNanos: UInt64) {
        self.requestID = requestID
        self.arrivedAtMs = arrivedAtMs
        self.startNanos = startNanos
    }
}

/// Turns finished requests into routing records (shipped to the collector) and metrics.
public final class DispatchRecorder: Sendable {
    private let configuration: DispatcherConfiguration
    private let shipper: RecordShipper?
    private let metrics: MetricsRegistry
    private let requestSeconds: Histogram
    private let firstByteSeconds: Histogram

    public init(configuration: DispatcherConfiguration, shipper: RecordShipper?, metrics: MetricsRegistry) {
        self.configuration = configuration
        self.shipper = shipper
        self.metrics = metrics
        requestSeconds = metrics.histogram("turnout_dispatcher_request_seconds", help: "Time from a request's arrival to the end of its answer.")
        firstByteSeconds = metrics.histogram("turnout_dispatcher_upstream_first_byte_seconds", help: "Time from the first upstream attempt to the response head that was relayed.")
    }

    /// Records a finished request; never waits on the collector.
    public func finish(_ outcome: DispatchOutcome) {
        let totalMs = RouteDecider.milliseconds(since: outcome.startNanos)
        let decision = outcome.decision
        let route = decision?.route ?? "none"
        let answering = outcome.answeringModel
        let usage = outcome.usage ?? TokenUsage(promptTokens: 0, completionTokens: 0)
        let cost = configuration.upstream(answering)?.cost(promptTokens: usage.promptTokens, completionTokens: usage.completionTokens) ?? 0
        let strongCost = configuration.upstream(configuration.strong)?.cost(promptTokens: usage.promptTokens, completionTokens: usage.completionTokens) ?? 0
        metrics.counter("turnout_dispatcher_requests_total", help: "Chat completion requests by route and HTTP status.",
                        labels: ["route": route, "status": String(outcome.status)]).increment()
        requestSeconds.observe(totalMs / 1000)
        if outcome.firstByteMs > 0 { firstByteSeconds.observe(outcome.firstByteMs / 1000) }
        if !answering.isEmpty {
            metrics.counter("turnout_dispatcher_tokens_total", help: "Tokens reported by upstreams.", labels: ["model": answering, "kind": "prompt"])
                .increment(by: Double(usage.promptTokens))
            metrics.counter("turnout_dispatcher_tokens_total", help: "Tokens reported by upstreams.", labels: ["model": answering, "kind": "completion"])
                .increment(by: Double(usage.completionTokens))
            metrics.counter("turnout_dispatcher_cost_usd_total", help: "Cost of upstream calls in US dollars, from configured prices and reported usage.",
                            labels: ["model": answering]).increment(by: cost)
        }
        guard let shipper else { return }
        shipper.submit(RoutingRecord(
            id: outcome.requestID, timeMs: outcome.arrivedAtMs, requestID: outcome.requestID, router: decision?.router ?? "",
            threshold: decision?.threshold, winRate: decision?.winRate, route: route, chosenModel: decision?.model ?? "",
            answeringModel: answering, fellBack: outcome.fellBack, defaultRoute: decision?.defaultRoute ?? false,
            embedMs: decision?.embedMs ?? 0, scoreMs: decision?.scoreMs ?? 0, upstreamFirstByteMs: outcome.firstByteMs, totalMs: totalMs,
            promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, costUSD: cost, strongCostUSD: strongCost,
            status: outcome.status, stream: outcome.stream))
    }
}
