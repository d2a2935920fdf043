/// One comparison of the strong and the weak model's answers to a prompt, as the deployment
/// judged it: the training example its own traffic gives.
///
/// A line of `GET /battles` is this record as JSON, the battle JSONL `turnout train` reads:
/// `prompt`, `model_a`, `model_b` and `winner` are what training uses, the other fields say
/// where the battle came from. `model_a` is always the strong model, `model_b` the weak one.
/// `id` makes storage idempotent; it is made by the dispatcher, never taken from a client.
public struct BattleRecord: Codable, Sendable, Equatable {
    /// How the battle was decided.
    public enum Source: String, Codable, Sendable {
        /// Both models answered and a judge model compared them (shadow judging).
        case shadow
        /// A user rated the answer they got (`POST /v1/feedback`).
        case feedback
    }

    /// The winners `turnout train` knows, as Chatbot Arena writes them.
    public enum Winner: String, Codable, Sendable, CaseIterable {
        case modelA = "model_a"
        case modelB = "model_b"
        case tie
        case bothBad = "tie (bothbad)"
    }

    public var id: String
    /// Unix milliseconds when the routed request arrived.
    public var timeMs: Int64
    public var requestID: String
    /// The text the request was routed on (after any redaction).
    public var prompt: String
    /// The strong model's upstream name.
    public var modelA: String
    /// The weak model's upstream name.
    public var modelB: String
    public var winner: Winner
    /// The judge model's upstream name, or `user` for feedback.
    public var judge: String
    public var router: String
    public var routerVersion: String
    /// The route the request took (`strong` or `weak`).
    public var route: String
    public var source: Source

    enum CodingKeys: String, CodingKey {
        case id
        case timeMs = "time_ms"
        case requestID = "request_id"
        case prompt
        case modelA = "model_a"
        case modelB = "model_b"
        case winner, judge, router
        case routerVersion = "router_version"
        case route, source
    }

    public init(id: String, timeMs: Int64, requestID: String, prompt: String, modelA: String, modelB: String, winner: Winner, judge: String,
                router: String, routerVersion: String, route: String, source: Source) {
        self.id = id
        self.timeMs = timeMs
        self.requestID = requestID
        self.prompt = prompt
        self.modelA = modelA
        self.modelB = modelB
        self.winner = winner
        self.judge = judge
        self.router = router
        self.routerVersion = routerVersion
        self.route = route
        self.source = source
    }
}
