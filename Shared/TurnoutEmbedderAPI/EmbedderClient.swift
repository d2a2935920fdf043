import TurnoutWire

/// Calls the embedding service: the one place a prompt becomes a vector over the wire, for
/// the dispatcher and for scorers sent text.
public struct EmbedderClient: Sendable {
    public let transport: any ClientTransport

    public init(_ transport: any ClientTransport) {
        self.transport = transport
    }

    /// Embeds `request`'s texts, in order.
    public func embed(_ request: EmbedderAPI.EmbedRequest, deadline: Deadline? = nil) async throws(RPCError) -> EmbedderAPI.EmbedResponse {
        try await transport.call(EmbedderAPI.embed, request, deadline: deadline)
    }

    /// The vector of one text.
    /// - Parameters:
    ///   - model: the model the vector must come from (the embedder refuses another); nil for any.
    ///   - dimensions: the length the caller needs, checked here so a misconfigured embedder
    ///     fails loudly rather than scoring garbage.
    /// - Throws: the call's `RPCError`, or INTERNAL when the answer holds no vector of that length.
    public func vector(for text: String, model: String? = nil, dimensions: Int? = nil, deadline: Deadline? = nil) async throws(RPCError) -> [Float] {
        let reply = try await embed(EmbedderAPI.EmbedRequest(texts: [text], model: model), deadline: deadline)
        guard let vector = reply.vectors.first, !vector.isEmpty, dimensions.map({ $0 == vector.count }) ?? true else {
            let wanted = dimensions.map { " of \($0) dimensions" } ?? ""
            throw RPCError(.internal, "the embedder returned no vector\(wanted) (model \(reply.model), \(reply.vectors.first?.count ?? 0) dimensions)")
        }
        return vector
    }

    public func info(deadline: Deadline? = nil) async throws(RPCError) -> EmbedderAPI.InfoResponse {
        try await transport.call(EmbedderAPI.info, EmptyMessage(), deadline: deadline)
    }
}
