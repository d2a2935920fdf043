import Foundation
import TurnoutRuntime

/// Everything the dispatcher needs to know besides its listening addresses.
public struct DispatcherConfiguration: Sendable, Equatable {
    /// Where a routed request goes when it cannot be scored.
    public enum Route: String, Sendable, Equatable {
        case strong, weak
        /// Strong at random with the request's target share of strong calls: the cost and the
        /// quality stay where they were meant to be, only the choice of which request is blind.
        case split
    }

    public var upstreams: [UpstreamConfiguration]
    /// The router pair: the upstream called when the win rate is at or above the threshold, and the other.
    public var strong: String
    public var weak: String
    /// What `router-<name>` (no threshold) uses: an explicit threshold, or else the artifact's
    /// threshold calibrated for this share of strong calls.
    public var defaultThreshold: Double?
    public var defaultStrongFraction: Double
    /// Hold share targets (`router-<r>@<p>%`, and `router-<r>` at `defaultStrongFraction`) on
    /// live traffic rather than on the artifact's offline calibration.
    public var liveCalibration = true
    /// Retry on the other model when the chosen one fails before its first byte.
    public var fallback: Bool
    /// The route taken when the embedder or scorer cannot answer in time.
    public var unavailableRoute: Route
    /// Time allowed for embedding plus scoring before the default route is taken.
    public var routingTimeout: Duration
    /// Longest wait on a 429's Retry-After; longer waits fall back or answer 429.
    public var maxRetryAfter: Duration
    /// The whole request, routing and every upstream attempt included.
    public var requestTimeout: Duration
    /// Bearer keys clients must present; empty disables authentication. Until
    /// `resolveTenants()`, entries as given (`KEY`, `NAME:KEY rpm=N budget_usd=N`).
    public var apiKeys: [String]
    /// The tenant of each key, in the same order.
    public var tenants: [Tenant] = []
    /// Spend of all requests an hour, in US dollars, above which share targets are lowered
    /// (never raised); nil: no such budget.
    public var budgetUSDPerHour: Double?
    /// Consecutive failures that open an upstream's circuit breaker, and how long it stays open.
    public var breakerFailures = 5
    public var breakerCooldown: Duration = .seconds(10)
    /// Routed requests wait for a head only as long as the upstream has been taking
    /// (`FirstByteDeadline`), at least this; nil: the configured first-byte timeouts alone.
    public var adaptiveFirstByteFloor: Duration? = .seconds(1)
    /// Shadow judging, feedback, redaction (docs/learning.md).
    public var learning = LearningConfiguration()

    public init(upstreams: [UpstreamConfiguration], strong: String, weak: String, defaultThreshold: Double? = nil, defaultStrongFraction: Double = 0.3,
                fallback: Bool = true, unavailableRoute: Route = .strong, routingTimeout: Duration = .seconds(2), maxRetryAfter: Duration = .seconds(10),
                requestTimeout: Duration = .seconds(300), apiKeys: [String] = []) {
        self.upstreams = upstreams
        self.strong = strong
        self.weak = weak
        self.defaultThreshold = defaultThreshold
        self.defaultStrongFraction = defaultStrongFraction
        self.fallback = fallback
        self.unavailableRoute = unavailableRoute
        self.routingTimeout = routingTimeout
        self.maxRetryAfter = maxRetryAfter
        self.requestTimeout = requestTimeout
        self.apiKeys = apiKeys
    }

    /// Splits the key entries into keys and their tenants (`Tenant.parse`); once.
    public mutating func resolveTenants() throws(ConfigurationError) {
        guard tenants.isEmpty, !apiKeys.isEmpty else { return }
        let parsed = try Tenant.parse(apiKeys)
        apiKeys = parsed.map(\.key)
        tenants = parsed.map(\.tenant)
    }

    /// The tenant of the client that presented key `index`; nil without keys.
    public func tenant(forClient index: Int?) -> Tenant? {
        guard let index else { return nil }
        return index < tenants.count ? tenants[index] : Tenant(name: "client-\(index + 1)")
    }

    public func upstream(_ name: String) -> UpstreamConfiguration? {
        upstreams.first { $0.name == name }
    }

    /// Checks the pieces fit together.
    public func validated() throws(ConfigurationError) -> DispatcherConfiguration {
        guard !upstreams.isEmpty else { throw .invalid("no upstreams are configured") }
        var seen = Set<String>()
        for upstream in upstreams {
            guard !upstream.name.isEmpty else { throw .invalid("an upstream has an empty name") }
            guard seen.insert(upstream.name).inserted else { throw .invalid("upstream \"\(upstream.name)\" is configured twice") }
            guard upstream.baseURL.hasPrefix("http://") || upstream.baseURL.hasPrefix("https://") else {
                throw .invalid("upstream \"\(upstream.name)\": base_url must start with http:// or https://, got \"\(upstream.baseURL)\"")
            }
            guard upstream.inputPricePerMillion >= 0, upstream.outputPricePerMillion >= 0 else {
                throw .invalid("upstream \"\(upstream.name)\": prices must not be negative")
            }
            guard upstream.maxConcurrency >= 1 else { throw .invalid("upstream \"\(upstream.name)\": max_concurrency must be at least 1") }
            guard upstream.timeout > .zero, upstream.firstByteTimeout > .zero else { throw .invalid("upstream \"\(upstream.name)\": timeouts must be positive") }
        }
        for (role, name) in [("strong", strong), ("weak", weak)] where upstream(name) == nil {
            throw .invalid("the \(role) model \"\(name)\" is not among the upstreams (\(upstreams.map(\.name).joined(separator: ", ")))")
        }
        guard strong != weak else { throw .invalid("the strong and weak models must differ (both are \"\(strong)\")") }
        if let threshold = defaultThreshold, !(0...1).contains(threshold) { throw .invalid("default_threshold must be between 0 and 1") }
        guard (0...1).contains(defaultStrongFraction) else { throw .invalid("default_strong_fraction must be between 0 and 1") }
        if let budget = budgetUSDPerHour, !(budget > 0 && budget.isFinite) { throw .invalid("budget_usd_per_hour must be above 0") }
        guard breakerFailures >= 1, breakerCooldown > .zero else { throw .invalid("breaker_failures must be at least 1 and breaker_cooldown positive") }
        try learning.validate(upstreams: Set(upstreams.map(\.name)))
        return self
    }
}
