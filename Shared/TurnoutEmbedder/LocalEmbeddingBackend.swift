import TurnoutWire

/// A sentence encoder that runs in this process: tokenizer plus transformer.
public protocol SentenceEncoder: Sendable {
    var modelID: String { get }
    /// What its vectors are cached under (`MiniLM.cacheNamespace`).
    var cacheNamespace: String { get }
    var dimensions: Int { get }
    /// Token ids including the special tokens, truncated to the model's limit.
    func tokenize(_ text: String) -> [Int32]
    /// Unit-length vectors for a batch of token sequences, in order. Blocks while it computes.
    func encode(_ batch: [[Int32]]) -> [[Float]]
}

/// Embeds with a local encoder, merging concurrent requests into shared forward passes.
public final class LocalEmbeddingBackend: EmbeddingBackend {
    public let encoder: any SentenceEncoder
    public let batcher: DynamicBatcher

    public var modelID: String { encoder.modelID }
    public var cacheNamespace: String { encoder.cacheNamespace }
    public var dimensions: Int { encoder.dimensions }

    public init(encoder: any SentenceEncoder, batching: DynamicBatcher.Configuration = .init(), onPass: @escaping @Sendable (DynamicBatcher.PassReport) -> Void = { _ in }) {
        self.encoder = encoder
        batcher = DynamicBatcher(configuration: batching, encoder: { encoder.encode($0) }, onPass: onPass)
    }

    public func embed(_ texts: [String]) async throws(RPCError) -> [[Float]] {
        // The calling handler's deadline: sequences still queued when it passes are dropped.
        try await batcher.embed(texts.map(encoder.tokenize), deadline: CallContext.current?.deadline)
    }

    public func shutdown() {
        batcher.shutdown()
    }
}
