extension ScorerAPI {
    /// Give `embedding`, or `text` for the scorer to embed; then `threshold`, or `strong_fraction`
    /// for the threshold calibrated with the artifact, or neither for the router's 30% default.
    public struct ScoreRequest: Codable, Sendable, Equatable {
        public var embedding: [Float]?
        public var text: String?
        public var router: String
        public var threshold: Double?
        public var strongFraction: Double?

        enum CodingKeys: String, CodingKey {
            case embedding, text, router, threshold
            case strongFraction = "strong_fraction"
        }

        public init(embedding: [Float]? = nil, text: String? = nil, router: String, threshold: Double? = nil, strongFraction: Double? = nil) {
            self.embedding = embedding
            self.text = text
            self.router = router
            self.threshold = threshold
            self.strongFraction = strongFraction
        }
    }

    public struct ScoreResponse: Codable, Sendable, Equatable {
        public init(winRate: Double, route: String, threshold: Double, routerVersion: String) {
            self.winRate = winRate
            self.route = route
            self.threshold = threshold
            self.routerVersion = routerVersion
        }

        public var winRate: Double
        /// `strong` or `weak`.
        public var route: String
        public var threshold: Double
        public var routerVersion: String

        enum CodingKeys: String, CodingKey {
            case winRate = "win_rate"
            case route, threshold
            case routerVersion = "router_version"
        }
    }

    public struct RouterInfo: Codable, Sendable, Equatable {
        public var name: String
        public var kind: String
        public var version: String
        public var embeddingModel: String
        public var embeddingDims: Int
        public var trainingBattles: Int
        public var createdAt: String
        public var strongFractions: [String]
        /// For `sw_ranking`: the rows each query scans, `int8`, `int4` or `int2` (see
        /// `--sw-scan-budget-mib`); absent for other kinds.
        public var similarityPass: String?
        /// What the router was trained on; absent for artifacts that do not record it.
        public var trainingSources: [TrainingSource]?

        public init(name: String, kind: String, version: String, embeddingModel: String, embeddingDims: Int, trainingBattles: Int,
                    createdAt: String, strongFractions: [String], similarityPass: String?, trainingSources: [TrainingSource]? = nil) {
            self.name = name
            self.kind = kind
            self.version = version
            self.embeddingModel = embeddingModel
            self.embeddingDims = embeddingDims
            self.trainingBattles = trainingBattles
            self.createdAt = createdAt
            self.strongFractions = strongFractions
            self.similarityPass = similarityPass
            self.trainingSources = trainingSources
        }

        enum CodingKeys: String, CodingKey {
            case name, kind, version
            case embeddingModel = "embedding_model"
            case embeddingDims = "embedding_dims"
            case trainingBattles = "training_battles"
            case createdAt = "created_at"
            case strongFractions = "strong_fractions"
            case similarityPass = "similarity_pass"
            case trainingSources = "training_sources"
        }
    }

    /// One source of a router's training data, as its artifact records it.
    public struct TrainingSource: Codable, Sendable, Equatable {
        public var name: String
        /// `benchmark`, `battles`, `arena` or `mt_bench`.
        public var kind: String
        public var items: Int
        public var strongWins: Int
        public var weakWins: Int
        public var ties: Int
        public var licence: String
        public var weight: Double
        public var fromMs: Int64?
        public var toMs: Int64?

        public init(name: String, kind: String, items: Int, strongWins: Int, weakWins: Int, ties: Int, licence: String, weight: Double,
                    fromMs: Int64?, toMs: Int64?) {
            self.name = name
            self.kind = kind
            self.items = items
            self.strongWins = strongWins
            self.weakWins = weakWins
            self.ties = ties
            self.licence = licence
            self.weight = weight
            self.fromMs = fromMs
            self.toMs = toMs
        }

        enum CodingKeys: String, CodingKey {
            case name, kind, items
            case strongWins = "strong_wins"
            case weakWins = "weak_wins"
            case ties, licence, weight
            case fromMs = "from_ms"
            case toMs = "to_ms"
        }
    }

    public struct RoutersResponse: Codable, Sendable, Equatable {
        public var routers: [RouterInfo]

        public init(routers: [RouterInfo]) {
            self.routers = routers
        }
    }
}
