/// How a request was routed and who answered, as far as it got: what the response headers
/// (`x-turnout-*`) tell the client.
public struct CompletionRoute: Sendable, Equatable {
    public var requestID: String
    /// Nil when the request was refused before a route was decided.
    public var decision: RouteDecision?
    /// The upstream whose answer (or error) is relayed; nil when none answered.
    public var answeringModel: String?
    public var fellBack: Bool
    /// What a whole answer cost (`x-turnout-cost-usd`); nil for streams and failures.
    public var costUSD: Double?

    public init(requestID: String, decision: RouteDecision? = nil, answeringModel: String? = nil, fellBack: Bool = false, costUSD: Double? = nil) {
        self.requestID = requestID
        self.decision = decision
        self.answeringModel = answeringModel
        self.fellBack = fellBack
        self.costUSD = costUSD
    }
}
