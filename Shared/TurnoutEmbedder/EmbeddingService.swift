import TurnoutEmbedderAPI
import TurnoutTelemetry
import TurnoutWire

/// The `Embedder` service: validates requests, serves what the cache has, embeds the rest.
public final class EmbeddingService: Sendable {
    public struct Limits: Sendable {
        /// Texts per request.
        public var maxTexts = 256
        /// UTF-8 bytes of all texts in one request.
        public var maxTotalBytes = 1 << 20

        public init() {}
    }

    public let backend: any EmbeddingBackend
    public let backendName: String
    public let cache: EmbeddingCache?
    public let limits: Limits
    private let logger: Logger

    public init(backend: any EmbeddingBackend, backendName: String, cache: EmbeddingCache?, limits: Limits = Limits(), logger: Logger) {
        self.backend = backend
        self.backendName = backendName
        self.cache = cache
        self.limits = limits
        self.logger = logger
    }

    /// Adds `Embedder/Embed` and `Embedder/Info` to `registry`.
    public func register(in registry: inout HandlerRegistry) {
        registry.register(EmbedderAPI.embed) { [self] request, _ in try await embed(request) }
        registry.register(EmbedderAPI.info) { [self] _, _ in
            let statistics = cache?.statistics
            return EmbedderAPI.InfoResponse(
                model: backend.modelID, dims: backend.dimensions, backend: backendName,
                maxTexts: limits.maxTexts, maxTotalBytes: limits.maxTotalBytes,
                cacheHits: statistics?.hits ?? 0, cacheMisses: statistics?.misses ?? 0, cacheEntries: statistics?.entries ?? 0)
        }
    }

    /// Embeds a request's texts in order.
    /// - Throws: INVALID_ARGUMENT (no texts, too many, wrong model), RESOURCE_EXHAUSTED (too many bytes),
    ///   or whatever the backend throws.
    public func embed(_ request: EmbedderAPI.EmbedRequest) async throws(RPCError) -> EmbedderAPI.EmbedResponse {
        try validate(request)
        let model = backend.modelID, namespace = backend.cacheNamespace
        let keys = request.texts.map(EmbeddingCache.key(for:))
        var vectors = cache?.vectors(model: namespace, keys: keys) ?? Array(repeating: nil, count: keys.count)
        // Identical texts in one request are embedded once.
        var missingPositions: [String: [Int]] = [:]
        var missingTexts: [String] = []
        for (position, vector) in vectors.enumerated() where vector == nil {
            let text = request.texts[position]
            if missingPositions[text] == nil { missingTexts.append(text) }
            missingPositions[text, default: []].append(position)
        }
        if !missingTexts.isEmpty {
            let fresh = try await backend.embed(missingTexts)
            guard fresh.count == missingTexts.count, fresh.allSatisfy({ $0.count == backend.dimensions }) else {
                throw RPCError(.internal, "the \(backendName) backend returned \(fresh.count) vectors for \(missingTexts.count) texts or wrong dimensions")
            }
            var newEntries: [(key: [UInt8], vector: [Float])] = []
            for (text, vector) in zip(missingTexts, fresh) {
                for position in missingPositions[text] ?? [] { vectors[position] = vector }
                newEntries.append((EmbeddingCache.key(for: text), vector))
            }
            cache?.store(model: namespace, entries: newEntries)
        }
        return EmbedderAPI.EmbedResponse(model: model, dims: backend.dimensions, vectors: vectors.map { $0 ?? [] })
    }

    private func validate(_ request: EmbedderAPI.EmbedRequest) throws(RPCError) {
        if let model = request.model, !model.isEmpty, model != backend.modelID {
            throw RPCError(.invalidArgument, "model \"\(model)\" is not served here; this embedder serves \"\(backend.modelID)\"")
        }
        guard !request.texts.isEmpty else {
            throw RPCError(.invalidArgument, "texts must hold at least one text")
        }
        guard request.texts.count <= limits.maxTexts else {
            throw RPCError(.invalidArgument, "\(request.texts.count) texts exceed the limit of \(limits.maxTexts) texts per request")
        }
        let bytes = request.texts.reduce(0) { $0 + $1.utf8.count }
        guard bytes <= limits.maxTotalBytes else {
            throw RPCError(.resourceExhausted, "texts total \(bytes) bytes, over the limit of \(limits.maxTotalBytes) bytes per request")
        }
    }
}
