extension EmbedderAPI {
    /// `Embedder/Embed` request: texts to embed; `model`, when given, must be the one served.
    public struct EmbedRequest: Codable, Sendable, Equatable {
        public var texts: [String]
        public var model: String?

        public init(texts: [String], model: String? = nil) {
            self.texts = texts
            self.model = model
        }
    }

    /// Unit-length vectors in request order.
    public struct EmbedResponse: Codable, Sendable, Equatable {
        public var model: String
        public var dims: Int
        public var vectors: [[Float]]

        public init(model: String, dims: Int, vectors: [[Float]]) {
            self.model = model
            self.dims = dims
            self.vectors = vectors
        }
    }

    /// `Embedder/Info`: what this instance serves, its limits and its cache.
    public struct InfoResponse: Codable, Sendable, Equatable {
        public var model: String
        public var dims: Int
        public var backend: String
        public var maxTexts: Int
        public var maxTotalBytes: Int
        public var cacheHits: Int
        public var cacheMisses: Int
        public var cacheEntries: Int

        public init(model: String, dims: Int, backend: String, maxTexts: Int, maxTotalBytes: Int, cacheHits: Int, cacheMisses: Int, cacheEntries: Int) {
            self.model = model
            self.dims = dims
            self.backend = backend
            self.maxTexts = maxTexts
            self.maxTotalBytes = maxTotalBytes
            self.cacheHits = cacheHits
            self.cacheMisses = cacheMisses
            self.cacheEntries = cacheEntries
        }

        enum CodingKeys: String, CodingKey {
            case model, dims, backend
            case maxTexts = "max_texts"
            case maxTotalBytes = "max_total_bytes"
            case cacheHits = "cache_hits"
            case cacheMisses = "cache_misses"
            case cacheEntries = "cache_entries"
        }
    }
}
