/// A user's rating of one answered request (`POST /v1/feedback`), with what is needed to turn
/// it into a training example: the routed text, the route and both models' names.
///
/// `id` is the request id: one rating per request, and a resent one is stored once.
public struct FeedbackRecord: Codable, Sendable, Equatable {
    public enum Rating: String, Codable, Sendable {
        case up, down
    }

    public var id: String
    /// Unix milliseconds when the rating arrived.
    public var timeMs: Int64
    /// Unix milliseconds when the rated request arrived.
    public var requestTimeMs: Int64
    public var rating: Rating
    /// The score the client sent, when it sent one (its own scale); `rating` is derived from it.
    public var score: Double?
    public var comment: String?
    public var router: String
    public var routerVersion: String
    /// `strong` or `weak`: the route the rated answer took.
    public var route: String
    public var answeringModel: String
    public var strongModel: String
    public var weakModel: String
    /// The routed text, when learning from traffic is on; nil otherwise.
    public var prompt: String?

    enum CodingKeys: String, CodingKey {
        case id
        case timeMs = "time_ms"
        case requestTimeMs = "request_time_ms"
        case rating, score, comment, router
        case routerVersion = "router_version"
        case route
        case answeringModel = "answering_model"
        case strongModel = "strong_model"
        case weakModel = "weak_model"
        case prompt
    }

    public init(id: String, timeMs: Int64, requestTimeMs: Int64, rating: Rating, score: Double?, comment: String?, router: String, routerVersion: String,
                route: String, answeringModel: String, strongModel: String, weakModel: String, prompt: String?) {
        self.id = id
        self.timeMs = timeMs
        self.requestTimeMs = requestTimeMs
        self.rating = rating
        self.score = score
        self.comment = comment
        self.router = router
        self.routerVersion = routerVersion
        self.route = route
        self.answeringModel = answeringModel
        self.strongModel = strongModel
        self.weakModel = weakModel
        self.prompt = prompt
    }

    /// The training example a rating gives, if any (docs/learning.md):
    /// - a weak answer rated down: the strong model would have been needed (`model_a` wins);
    /// - a weak answer rated up: the weak model sufficed (`tie`: a strong call buys nothing);
    /// - a strong answer rated down: neither sufficed (`tie (bothbad)`: a strong call bought nothing);
    /// - a strong answer rated up: nothing is learnt of the weak model, so no example.
    /// A request without its text, or that was not routed, gives none either.
    public var battle: BattleRecord? {
        guard let prompt, !prompt.isEmpty, !router.isEmpty else { return nil }
        let winner: BattleRecord.Winner
        switch (route, rating) {
        case ("weak", .down): winner = .modelA
        case ("weak", .up): winner = .tie
        case ("strong", .down): winner = .bothBad
        default: return nil
        }
        return BattleRecord(id: "feedback-" + id, timeMs: requestTimeMs, requestID: id, prompt: prompt, modelA: strongModel, modelB: weakModel,
                            winner: winner, judge: "user", router: router, routerVersion: routerVersion, route: route, source: .feedback)
    }
}
