/// Which upstream a request goes to, and why.
public struct RouteDecision: Sendable, Equatable {
    /// Empty for a pass-through model name.
    public var router: String
    public var threshold: Double?
    public var winRate: Double?
    /// `strong`, `weak` or `passthrough`.
    public var route: String
    /// The upstream chosen.
    public var model: String
    /// True when the embedder or scorer could not answer and the configured default route was taken.
    public var defaultRoute: Bool
    public var routerVersion: String?
    public var embedMs: Double
    public var scoreMs: Double

    public var isRouted: Bool { !router.isEmpty }
}
