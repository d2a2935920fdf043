import TurnoutRuntime

/// How the dispatcher learns from its own traffic (docs/learning.md): shadow judging, user
/// feedback, and what is done to prompts before they are stored. Off unless configured.
public struct LearningConfiguration: Sendable, Equatable {
    /// Shadow judging: for a sampled routed request, the other model answers too, after the
    /// client's answer is complete, and a judge model compares the two.
    public struct Shadow: Sendable, Equatable {
        /// The share of a router's requests that are shadowed, for routers without their own.
        public var fraction: Double = 0
        /// Per-router shares, by router name (`gain`), over `fraction`.
        public var fractions: [String: Double] = [:]
        /// The upstream that judges; any configured upstream.
        public var judge: String?
        /// Shadow and judge calls stop for the rest of the hour once they have cost this much.
        public var budgetUSDPerHour: Double = 1
        /// Shadow jobs running at once; each makes three upstream calls, one at a time.
        public var maxConcurrency = 4
        /// Jobs waiting to run; past this, new samples are dropped (and counted).
        public var maxPending = 1000
        /// Slots of an upstream's `max_concurrency` a shadow or judge call never takes, so client
        /// traffic always finds them free.
        public var reserveSlots = 4
        /// Each shadow or judge call, whole.
        public var timeout: Duration = .seconds(60)
        /// The judge's reply is a short explanation and a verdict.
        public var judgeMaxTokens = 512

        public init() {}

        /// The share of `router`'s requests to shadow.
        public func fraction(for router: String) -> Double {
            fractions[router] ?? fraction
        }

        /// Whether any request could be shadowed.
        public var isEnabled: Bool {
            judge != nil && (fraction > 0 || fractions.values.contains { $0 > 0 })
        }
    }

    /// `POST /v1/feedback`.
    public struct Feedback: Sendable, Equatable {
        /// Ratings of requests older than this are refused (404).
        public var maxAge: Duration = .seconds(86400)
        /// Answered requests remembered for rating; the oldest are forgotten first.
        public var capacity = 100_000
        /// Keep the routed text with each remembered request, so a rating becomes a training
        /// example. Off by default: it keeps prompts in memory and sends them to the collector.
        public var storePrompts = false

        public init() {}
    }

    public var shadow = Shadow()
    public var feedback = Feedback()
    /// Regular expressions whose matches are replaced by `[redacted]` in every prompt and
    /// answer stored (battles, ratings); applied before anything leaves the dispatcher.
    public var redactions: [String] = []
    /// Routed text longer than this is cut before it is stored (the encoder reads far less).
    public var maxStoredPromptBytes = 16 * 1024

    public init() {}

    /// Checks the configuration against the upstreams it names.
    public func validate(upstreams: Set<String>) throws(ConfigurationError) {
        let shares = [shadow.fraction] + Array(shadow.fractions.values)
        guard shares.allSatisfy({ $0.isFinite && (0...1).contains($0) }) else {
            throw .invalid("shadow fractions must be between 0 and 1")
        }
        if let judge = shadow.judge, !upstreams.contains(judge) {
            throw .invalid("shadow.judge \"\(judge)\" is not a configured upstream (\(upstreams.sorted().joined(separator: ", ")))")
        }
        if shadow.judge == nil, shares.contains(where: { $0 > 0 }) {
            throw .invalid("shadow judging needs shadow.judge: the upstream that compares the two answers")
        }
        guard shadow.budgetUSDPerHour.isFinite, shadow.budgetUSDPerHour >= 0 else { throw .invalid("shadow.budget_usd_per_hour must be 0 or more") }
        guard shadow.maxConcurrency >= 1, shadow.maxPending >= 1, shadow.reserveSlots >= 0, shadow.judgeMaxTokens >= 16 else {
            throw .invalid("shadow.max_concurrency and max_pending must be at least 1, reserve_slots 0 or more, judge_max_tokens at least 16")
        }
        guard feedback.capacity >= 1 else { throw .invalid("feedback.capacity must be at least 1") }
        for pattern in redactions {
            do {
                _ = try Regex(pattern)
            } catch {
                throw .invalid("redact pattern \"\(pattern)\" is not a regular expression: \(error)")
            }
        }
    }
}
