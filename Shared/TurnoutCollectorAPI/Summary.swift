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

    public var fromMs: Int64?
    public var toMs: Int64?
    public var total: Group
    public var byRouter: [Group]
    public var series: [Point]

    public init(fromMs: Int64?, toMs: Int64?, total: Group, byRouter: [Group], series: [Point]) {
        self.fromMs = fromMs
        self.toMs = toMs
        self.total = total
        self.byRouter = byRouter
        self.series = series
    }

    enum CodingKeys: String, CodingKey {
        case fromMs = "from_ms"
        case toMs = "to_ms"
        case total
        case byRouter = "by_router"
        case series
    }
}
