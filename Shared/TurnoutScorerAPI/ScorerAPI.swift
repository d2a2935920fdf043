import TurnoutWire

/// The scoring service's methods. Their messages are in `ScorerMessages.swift`, the
/// hand-written codecs in `ScorerCodecs.swift`; `ScorerClient` calls them.
public enum ScorerAPI {
    /// A win rate and a route for one prompt, coded by hand: the request is mostly an
    /// embedding, and `JSONEncoder` spends longer on 384 floats than the scorer on scoring them.
    public static let score = RPCMethod(MethodDescriptor(service: "Scorer", method: "Score", idempotent: true),
                                        request: MessageCodec<ScoreRequest>.handCoded, response: MessageCodec<ScoreResponse>.handCoded)
    /// The routers this replica serves, with their versions and calibrations.
    public static let routers = RPCMethod<EmptyMessage, RoutersResponse>(service: "Scorer", method: "Routers", idempotent: true)
}
