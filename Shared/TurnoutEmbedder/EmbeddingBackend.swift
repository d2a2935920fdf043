import TurnoutWire

/// Something that turns texts into vectors: the local model or a remote API.
public protocol EmbeddingBackend: Sendable {
    /// The id vectors are served under, e.g. `sentence-transformers/all-MiniLM-L6-v2`.
    var modelID: String { get }
    /// What vectors are cached under: the model id, and whatever else changes a vector (the
    /// local encoder's precision and token cut), so a restart with other settings never serves
    /// the old settings' vectors.
    var cacheNamespace: String { get }
    var dimensions: Int { get }
    /// Embeds `texts`, in order.
    /// - Throws: `RPCError` with UNAVAILABLE or INVALID_ARGUMENT (remote backends), INTERNAL otherwise.
    func embed(_ texts: [String]) async throws(RPCError) -> [[Float]]
}

extension EmbeddingBackend {
    /// A backend whose vectors depend on the model alone.
    public var cacheNamespace: String { modelID }
}
