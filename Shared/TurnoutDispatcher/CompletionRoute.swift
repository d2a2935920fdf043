/// How a request was routed and who answered, as far as it got: what the response headers
/// (`x-turnout-*`) tell the client.
public struct CompletionRoute: Sendable, Equatable {
    public var requestID: String
    /// Nil when the request was refused before a route was decided.
    public var decision: RouteDecision?
    /// The upstream whose answer (or error) is relayed; nil when none answered.
    public var answeringModel: String?
    public var fellBack: Bool

    public init(requestID: String, decision: RouteDecision? = nil, answeringModel: String? = nil, fellBack: Bool = false) {
        self.requestID = requestID
        self.decision = decision
        self.answeringModel = answeringModel
        self.fellBack = fellBack
    }
}
