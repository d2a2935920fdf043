/// What operators ask of the records: traffic, strong share, cost and savings, latency, errors.
public struct Summary: Codable, Sendable, Equatable {
    public struct Group: Codable, Sendable, Equatable {
        public var router: String
        public var threshold: Double?
        public var requests: Int
        public var strong: Int
        public var weak: Int
        public var passthrough: Int
        /// strong / (strong + weak); 0 when nothing was routed.
        public var strongShare: Double
        public var costUSD: Double
        /// Cost had every request gone to the strong model, minus what it did cost.
        public var costSavedUSD: Double
        public var fallbacks: Int
        public var defaultRoutes: Int
        public var errors: Int
        public var latencyP50Ms: Double
        public var latencyP95Ms: Double
        public var latencyP99Ms: Double

        public init(router: String, threshold: Double?, requests: Int, strong: Int, weak: Int, passthrough: Int, strongShare: Double,
                    costUSD: Double, costSavedUSD: Double, fallbacks: Int, defaultRoutes: Int, errors: Int,
                    latencyP50Ms: Double, latencyP95Ms: Double, latencyP99Ms: Double) {
            self.router = router
            self.threshold = threshold
            self.requests = requests
            self.strong = strong
            self.weak = weak
            self.passthrough = passthrough
            self.strongShare = strongShare
            self.costUSD = costUSD
            self.costSavedUSD = costSavedUSD
            self.fallbacks = fallbacks
            self.defaultRoutes = defaultRoutes
            self.errors = errors
            self.latencyP50Ms = latencyP50Ms
            self.latencyP95Ms = latencyP95Ms
            self.latencyP99Ms = latencyP99Ms
        }

        enum CodingKeys: String, CodingKey {
            case router, threshold, requests, strong, weak, passthrough
            case strongShare = "strong_share"
            case costUSD = "cost_usd"
            case costSavedUSD = "cost_saved_usd"
            case fallbacks
            case defaultRoutes = "default_routes"
            case errors
            case latencyP50Ms = "latency_p50_ms"
            case latencyP95Ms = "latency_p95_ms"
            case latencyP99Ms = "latency_p99_ms"
        }
    }

    /// One bucket of the time series behind the charts.
    public struct Point: Codable, Sendable, Equatable {
        public var startMs: Int64
        public var requests: Int
        public var strongShare: Double
        public var costUSD: Double

        public init(startMs: Int64, requests: Int, strongShare: Double, costUSD: Double) {
            self.startMs = startMs
            self.requests = requests
            self.strongShare = strongShare
            self.costUSD = costUSD
        }

        enum CodingKeys: String, CodingKey {
            case startMs = "start_ms"
            case requests
            case strongShare = "strong_share"
            case costUSD = "cost_usd"
        }
    }

    /// What the deployment judged of one router version: shadow battles and user ratings.
    public struct Judgements: Codable, Sendable, Equatable {
        public var router: String
        public var routerVersion: String
        /// Shadow battles judged.
        public var judged: Int
        public var strongWins: Int
        public var weakWins: Int
        /// Ties, `bothBad` among them.
        public var ties: Int
        public var bothBad: Int
        public var ratedUp: Int
        public var ratedDown: Int

        public init(router: String, routerVersion: String, judged: Int, strongWins: Int, weakWins: Int, ties: Int, bothBad: Int, ratedUp: Int, ratedDown: Int) {
            self.router = router
            self.routerVersion = routerVersion
            self.judged = judged
            self.strongWins = strongWins
            self.weakWins = weakWins
            self.ties = ties
            self.bothBad = bothBad
            self.ratedUp = ratedUp
            self.ratedDown = ratedDown
        }

        /// The strong model's share of judged battles, a tie counting half: the win rate
        /// routers predict. 0 when nothing was judged.
        public var strongWinShare: Double {
            judged > 0 ? (Double(strongWins) + Double(ties) / 2) / Double(judged) : 0
        }

        enum CodingKeys: String, CodingKey {
            case router
            case routerVersion = "router_version"
            case judged
            case strongWins = "strong_wins"
            case weakWins = "weak_wins"
            case ties
            case bothBad = "both_bad"
            case ratedUp = "rated_up"
            case ratedDown = "rated_down"
            case strongWinShare = "strong_win_share"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(router: try container.decode(String.self, forKey: .router), routerVersion: try container.decode(String.self, forKey: .routerVersion),
                      judged: try container.decode(Int.self, forKey: .judged), strongWins: try container.decode(Int.self, forKey: .strongWins),
                      weakWins: try container.decode(Int.self, forKey: .weakWins), ties: try container.decode(Int.self, forKey: .ties),
                      bothBad: try container.decode(Int.self, forKey: .bothBad), ratedUp: try container.decode(Int.self, forKey: .ratedUp),
                      ratedDown: try container.decode(Int.self, forKey: .ratedDown))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(router, forKey: .router)
            try container.encode(routerVersion, forKey: .routerVersion)
            try container.encode(judged, forKey: .judged)
            try container.encode(strongWins, forKey: .strongWins)
            try container.encode(weakWins, forKey: .weakWins)
            try container.encode(ties, forKey: .ties)
            try container.encode(bothBad, forKey: .bothBad)
            try container.encode(ratedUp, forKey: .ratedUp)
            try container.encode(ratedDown, forKey: .ratedDown)
            try container.encode(strongWinShare, forKey: .strongWinShare)
        }
    }

    /// One tenant's traffic and cost.
    public struct TenantGroup: Codable, Sendable, Equatable {
        public var tenant: String
        public var requests: Int
        public var strongShare: Double
        public var costUSD: Double

        public init(tenant: String, requests: Int, strongShare: Double, costUSD: Double) {
            self.tenant = tenant
            self.requests = requests
            self.strongShare = strongShare
            self.costUSD = costUSD
        }

        enum CodingKeys: String, CodingKey {
            case tenant, requests
            case strongShare = "strong_share"
            case costUSD = "cost_usd"
        }
    }

    public var fromMs: Int64?
    public var toMs: Int64?
    public var total: Group
    public var byRouter: [Group]
    public var series: [Point]
    /// Shadow battles and ratings per router version; empty when learning is off.
    public var judgements: [Judgements]
    /// Per named tenant (client keys with names); empty without them.
    public var byTenant: [TenantGroup]

    public init(fromMs: Int64?, toMs: Int64?, total: Group, byRouter: [Group], series: [Point], judgements: [Judgements] = [], byTenant: [TenantGroup] = []) {
        self.fromMs = fromMs
        self.toMs = toMs
        self.total = total
        self.byRouter = byRouter
        self.series = series
        self.judgements = judgements
        self.byTenant = byTenant
    }

    enum CodingKeys: String, CodingKey {
        case fromMs = "from_ms"
        case toMs = "to_ms"
        case total
        case byRouter = "by_router"
        case series, judgements
        case byTenant = "by_tenant"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(fromMs: try container.decodeIfPresent(Int64.self, forKey: .fromMs), toMs: try container.decodeIfPresent(Int64.self, forKey: .toMs),
                  total: try container.decode(Group.self, forKey: .total), byRouter: try container.decode([Group].self, forKey: .byRouter),
                  series: try container.decode([Point].self, forKey: .series), judgements: try container.decodeIfPresent([Judgements].self, forKey: .judgements) ?? [],
                  byTenant: try container.decodeIfPresent([TenantGroup].self, forKey: .byTenant) ?? [])
    }
}
