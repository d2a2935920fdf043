/// One routed request, as the dispatcher reports it and the collector stores it.
///
/// `id` makes ingestion idempotent: a record resent after a lost acknowledgement is stored
/// once. Costs are in US dollars from the configured prices and the upstream's reported usage.
public struct RoutingRecord: Codable, Sendable, Equatable {
    public var id: String
    /// Unix time in milliseconds when the request arrived.
    public var timeMs: Int64
    public var requestID: String
    /// Router name, or empty for a pass-through model name.
    public var router: String
    public var threshold: Double?
    public var winRate: Double?
    /// The router artifact's version (its checksum's prefix): win rates of two versions are not
    /// on one scale, so live calibration pools them apart. Not stored.
    public var routerVersion: String?
    /// The client's tenant, by name (never its key); nil without client keys.
    public var tenant: String?
    /// `strong`, `weak` or `passthrough`.
    public var route: String
    public var chosenModel: String
    public var answeringModel: String
    public var fellBack: Bool
    /// True when the embedder or scorer was unreachable and the default route was taken.
    public var defaultRoute: Bool
    public var embedMs: Double
    public var scoreMs: Double
    public var upstreamFirstByteMs: Double
    public var totalMs: Double
    public var promptTokens: Int
    public var completionTokens: Int
    public var costUSD: Double
    /// What the same tokens would have cost on the strong model, for "cost saved".
    public var strongCostUSD: Double
    /// HTTP status returned to the client.
    public var status: Int
    public var stream: Bool

    enum CodingKeys: String, CodingKey {
        case id
        case timeMs = "time_ms"
        case requestID = "request_id"
        case router, threshold
        case winRate = "win_rate"
        case routerVersion = "router_version"
        case tenant
        case route
        case chosenModel = "chosen_model"
        case answeringModel = "answering_model"
        case fellBack = "fell_back"
        case defaultRoute = "default_route"
        case embedMs = "embed_ms"
        case scoreMs = "score_ms"
        case upstreamFirstByteMs = "upstream_ttfb_ms"
        case totalMs = "total_ms"
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case costUSD = "cost_usd"
        case strongCostUSD = "strong_cost_usd"
        case status, stream
    }

    public init(id: String, timeMs: Int64, requestID: String, router: String, threshold: Double?, winRate: Double?, route: String,
                chosenModel: String, answeringModel: String, fellBack: Bool, defaultRoute: Bool, embedMs: Double, scoreMs: Double,
                upstreamFirstByteMs: Double, totalMs: Double, promptTokens: Int, completionTokens: Int, costUSD: Double,
                strongCostUSD: Double, status: Int, stream: Bool, routerVersion: String? = nil, tenant: String? = nil) {
        self.id = id
        self.timeMs = timeMs
        self.requestID = requestID
        self.router = router
        self.threshold = threshold
        self.winRate = winRate
        self.routerVersion = routerVersion
        self.tenant = tenant
        self.route = route
        self.chosenModel = chosenModel
        self.answeringModel = answeringModel
        self.fellBack = fellBack
        self.defaultRoute = defaultRoute
        self.embedMs = embedMs
        self.scoreMs = scoreMs
        self.upstreamFirstByteMs = upstreamFirstByteMs
        self.totalMs = totalMs
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.costUSD = costUSD
        self.strongCostUSD = strongCostUSD
        self.status = status
        self.stream = stream
    }
}
