import TurnoutWire

/// Something that turns texts into vectors: the local model or a remote API.
public protocol EmbeddingBackend: Sendable {
    /// The id vectors are cached and served under, e.g. `sentence-transformers/all-MiniLM-L6-v2`.
    var modelID: String { get }
    var dimensions: Int { get }
    /// Embeds `texts`, in order.
    /// - Throws: `RPCError` with UNAVAILABLE or INVALID_ARGUMENT (remote backends), INTERNAL otherwise.
    func embed(_ texts: [String]) async throws(RPCError) -> [[Float]]
}
