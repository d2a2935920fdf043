import TurnoutWire

/// Calls the scoring service's replicas, for the dispatcher and for tools.
public struct ScorerClient: Sendable {
    public let transport: any ClientTransport

    public init(_ transport: any ClientTransport) {
        self.transport = transport
    }

    /// A win rate and a route for one prompt.
    /// - Throws: NOT_FOUND for a router no replica serves, INVALID_ARGUMENT for a bad
    ///   embedding or threshold, and the transport's errors.
    public func score(_ request: ScorerAPI.ScoreRequest, deadline: Deadline? = nil) async throws(RPCError) -> ScorerAPI.ScoreResponse {
        try await transport.call(ScorerAPI.score, request, deadline: deadline)
    }

    /// The routers the replica that answers serves.
    public func routers(deadline: Deadline? = nil) async throws(RPCError) -> [ScorerAPI.RouterInfo] {
        try await transport.call(ScorerAPI.routers, EmptyMessage(), deadline: deadline).routers
    }
}
