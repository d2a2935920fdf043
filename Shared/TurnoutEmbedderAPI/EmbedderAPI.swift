import TurnoutWire

/// The embedding service's methods. Their messages are in `EmbedderMessages.swift`, the
/// hand-written codecs in `EmbedderCodecs.swift`; `EmbedderClient` calls them.
public enum EmbedderAPI {
    /// Texts to unit vectors, coded by hand: every routed request pays for one answer.
    public static let embed = RPCMethod(MethodDescriptor(service: "Embedder", method: "Embed", idempotent: true),
                                        request: MessageCodec<EmbedRequest>.handCoded, response: MessageCodec<EmbedResponse>.handCoded)
    /// What this instance serves, its limits and its cache.
    public static let info = RPCMethod<EmptyMessage, InfoResponse>(service: "Embedder", method: "Info", idempotent: true)
}
