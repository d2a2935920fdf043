import Dispatch
import Synchronization
import TurnoutEmbedderAPI
import TurnoutScorerAPI
import TurnoutTelemetry
import TurnoutWire

/// Asks the embedder for the prompt's vector and a scorer for the win rate, then picks the model.
///
/// The dispatcher embeds itself (rather than letting the scorer do it) so the two latencies
/// are measured apart. When either service is down or slow the request is not failed: it
/// takes the configured default route, and a metric counts it.
public final class RouteDecider: Sendable {
    public let configuration: DispatcherConfiguration
    private let embedder: EmbedderClient
    private let scorer: ScorerClient
    /// Live thresholds for share targets; nil when live calibration is off.
    public let calibrator: LiveCalibrator?
    /// What share targets are multiplied by to keep the hourly budget; nil without one.
    private let shareScale: (@Sendable () -> Double)?
    private let logger: Logger
    private let defaultRoutes: Counter
    private let noTextRoutes: Counter
    private let truncatedTexts: Counter
    private let embedSeconds: Histogram
    private let scoreSeconds: Histogram
    /// Router names the scorer last reported; empty until it has answered once.
    private let routers = Mutex<Set<String>>([])

    public init(configuration: DispatcherConfiguration, embedder: EmbedderClient, scorer: ScorerClient, calibrator: LiveCalibrator? = nil,
                shareScale: (@Sendable () -> Double)? = nil, metrics: MetricsRegistry, logger: Logger) {
        self.shareScale = shareScale
        self.configuration = configuration
        self.embedder = embedder
        self.scorer = scorer
        self.calibrator = configuration.liveCalibration ? calibrator : nil
        self.logger = logger
        defaultRoutes = metrics.counter("turnout_dispatcher_default_routes_total", help: "Requests sent on the default route because the embedder or scorer could not answer.")
        noTextRoutes = metrics.counter("turnout_dispatcher_no_text_routes_total", help: "Routed requests with no text in any message (images only), sent on the unavailable route.")
        truncatedTexts = metrics.counter("turnout_dispatcher_routed_text_truncated_total", help: "Routed texts longer than the 16 KiB routed on, cut to it.")
        embedSeconds = metrics.histogram("turnout_dispatcher_embed_seconds", help: "Time to embed the routing text.")
        scoreSeconds = metrics.histogram("turnout_dispatcher_score_seconds", help: "Time to score the embedding.")
    }

    /// The routers last reported by the scorer.
    public var knownRouters: Set<String> { routers.withLock { $0 } }

    /// Asks a scorer which routers it serves; returns false if none answered.
    @discardableResult
    public func refreshRouters(deadline: Deadline = .after(.seconds(2))) async -> Bool {
        do throws(RPCError) {
            let listed = try await scorer.routers(deadline: deadline)
            routers.withLock { $0 = Set(listed.map(\.name)) }
            return true
        } catch {
            logger.debug("could not list the scorer's routers", ["error": .string(error.description)])
            return false
        }
    }

    /// Reads the `model` field: routed (with or without a threshold) or a pass-through upstream.
    public func selection(for model: String) throws(OpenAIError) -> ModelSelection {
        var known = knownRouters
        // Before the scorer has ever answered, `router-<name>` is taken at its word; the scorer judges it.
        if known.isEmpty, let name = ModelSelection.routerName(in: model) { known.insert(name) }
        return try ModelSelection.parse(model, routers: known, upstreams: Set(configuration.upstreams.map(\.name)))
    }

    /// Decides the upstream for a request.
    /// - Throws: `OpenAIError` 404 when the router is unknown.
    public func decide(_ selection: ModelSelection, text: String?) async throws(OpenAIError) -> RouteDecision {
        let router: String
        var threshold: Double?
        var strongShare = configuration.defaultStrongFraction
        switch selection {
        case let .passthrough(upstream):
            return RouteDecision(router: "", route: "passthrough", model: upstream, defaultRoute: false, embedMs: 0, scoreMs: 0)
        case let .routed(name, value):
            router = name
            threshold = value
        case let .routedDefault(name):
            router = name
            threshold = configuration.defaultThreshold
        case let .routedShare(name, share):
            router = name
            strongShare = share
        }
        // A share target, given or by default, is held on live traffic (LiveCalibrator), and
        // lowered, never raised, while the hourly budget is exceeded.
        let asked = strongShare
        if threshold == nil, let scale = shareScale?(), scale < 1 { strongShare = asked * scale }
        let liveTarget = threshold == nil && calibrator != nil ? asked : nil
        // What `split` draws with when routing is unavailable: the target share, or half for a
        // threshold given outright.
        let splitShare = threshold != nil ? 0.5 : strongShare
        if let liveTarget, let live = calibrator?.threshold(router: router, target: liveTarget) { threshold = live }
        guard let whole = text, !whole.isEmpty else {
            // Images alone: nothing to route on. Not an outage, so not a default route.
            noTextRoutes.increment()
            let strong = Self.unavailableGoesStrong(configuration.unavailableRoute, share: splitShare)
            return RouteDecision(router: router, threshold: threshold, winRate: nil, route: strong ? "strong" : "weak",
                                 model: strong ? configuration.strong : configuration.weak, defaultRoute: false, embedMs: 0, scoreMs: 0)
        }
        let (text, truncated) = RoutedText.cut(whole)
        if truncated { truncatedTexts.increment() }
        let deadline = Deadline.after(configuration.routingTimeout)
        let embedStart = DispatchTime.now().uptimeNanoseconds
        let vector: [Float]
        do throws(RPCError) {
            vector = try await embedder.vector(for: text, deadline: deadline)
        } catch {
            return fallbackDecision(router: router, threshold: threshold, share: splitShare, reason: "embedder: \(error.description)", embedMs: Self.milliseconds(since: embedStart))
        }
        let embedMs = Self.milliseconds(since: embedStart)
        embedSeconds.observe(embedMs / 1000)
        let scoreStart = DispatchTime.now().uptimeNanoseconds
        let request = ScorerAPI.ScoreRequest(embedding: vector, router: router, threshold: threshold,
                                             strongFraction: threshold == nil ? strongShare : nil)
        let score: ScorerAPI.ScoreResponse
        do throws(RPCError) {
            score = try await scorer.score(request, deadline: deadline)
        } catch {
            if error.code == .notFound {
                throw .modelNotFound("The model \"router-\(router)\" does not exist: unknown router \"\(router)\": \(error.message)")
            }
            return fallbackDecision(router: router, threshold: threshold, share: splitShare, reason: "scorer: \(error.description)", embedMs: embedMs,
                                    scoreMs: Self.milliseconds(since: scoreStart))
        }
        let scoreMs = Self.milliseconds(since: scoreStart)
        scoreSeconds.observe(scoreMs / 1000)
        let strong = score.route == "strong"
        if let liveTarget, !score.routerVersion.isEmpty {
            calibrator?.observe(router: router, target: liveTarget, effective: strongShare, winRate: score.winRate, strong: strong, version: score.routerVersion, threshold: score.threshold)
        }
        return RouteDecision(router: router, threshold: score.threshold, winRate: score.winRate, route: strong ? "strong" : "weak",
                             model: strong ? configuration.strong : configuration.weak, defaultRoute: false, routerVersion: score.routerVersion,
                             embedMs: embedMs, scoreMs: scoreMs)
    }

    private func fallbackDecision(router: String, threshold: Double?, share: Double, reason: String, embedMs: Double, scoreMs: Double = 0) -> RouteDecision {
        defaultRoutes.increment()
        logger.warning("routing unavailable; taking the default route", ["router": .string(router), "route": .string(configuration.unavailableRoute.rawValue), "error": .string(reason)])
        let strong = Self.unavailableGoesStrong(configuration.unavailableRoute, share: share)
        return RouteDecision(router: router, threshold: threshold, winRate: nil, route: strong ? "strong" : "weak",
                             model: strong ? configuration.strong : configuration.weak, defaultRoute: true, embedMs: embedMs, scoreMs: scoreMs)
    }

    /// `split` draws: strong with the target share, or, for a threshold given outright, half the time.
    static func unavailableGoesStrong(_ route: DispatcherConfiguration.Route, share: Double) -> Bool {
        switch route {
        case .strong: true
        case .weak: false
        case .split: Double.random(in: 0..<1) < share
        }
    }

    static func milliseconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds &- start) / 1e6
    }
}
