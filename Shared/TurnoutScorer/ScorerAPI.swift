import TurnoutWire

/// The scoring service's methods and messages.
public enum ScorerAPI {
    public static let score = MethodDescriptor(service: "Scorer", method: "Score", idempotent: true)
    public static let routers = MethodDescriptor(service: "Scorer", method: "Routers", idempotent: true)

    /// Give `embedding`, or `text` for the scorer to embed; then `threshold`, or `strong_fraction`
    /// for the threshold calibrated with the artifact, or neither for the router's 30% default.
    public struct ScoreRequest: Codable, Sendable {
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

    public struct ScoreResponse: Codable, Sendable {
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

        enum CodingKeys: String, CodingKey {
            case name, kind, version
            case embeddingModel = "embedding_model"
            case embeddingDims = "embedding_dims"
            case trainingBattles = "training_battles"
            case createdAt = "created_at"
            case strongFractions = "strong_fractions"
            case similarityPass = "similarity_pass"
        }
    }

    public struct RoutersResponse: Codable, Sendable {
        public var routers: [RouterInfo]
    }
}

extension ScorerAPI.ScoreRequest {
    /// The request as JSON, written by hand: the embedding is most of it, and `JSONEncoder`
    /// spends more time on 384 floats than the scorer spends scoring them.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 + (embedding?.count ?? 0) * 12)
        JSONWriter.appendRaw("{\"router\":", to: &bytes)
        JSONWriter.appendString(router, to: &bytes)
        if let embedding {
            JSONWriter.appendRaw(",\"embedding\":", to: &bytes)
            JSONWriter.appendFloats(embedding, to: &bytes)
        }
        if let text {
            JSONWriter.appendRaw(",\"text\":", to: &bytes)
            JSONWriter.appendString(text, to: &bytes)
        }
        if let threshold, threshold.isFinite {
            JSONWriter.appendRaw(",\"threshold\":", to: &bytes)
            bytes.append(contentsOf: threshold.description.utf8)
        }
        if let strongFraction, strongFraction.isFinite {
            JSONWriter.appendRaw(",\"strong_fraction\":", to: &bytes)
            bytes.append(contentsOf: strongFraction.description.utf8)
        }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}
