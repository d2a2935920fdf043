/// Carries one call's body to a server and its answer back: what typed clients are written
/// against, so they know nothing of sockets (grpc-swift's `ClientTransport`).
///
/// `WireClient` is the transport over TCP; a test may put any other behind a typed client.
public protocol ClientTransport: Sendable {
    /// Sends `body` as a call of `method` and returns the answer's body.
    /// - Parameter deadline: when to give up; the earlier of this and the calling handler's
    ///   deadline (`CallContext.current`) applies.
    /// - Throws: `RPCError` with the server's status, or UNAVAILABLE, DEADLINE_EXCEEDED and
    ///   CANCELLED from the transport.
    func unary(_ method: MethodDescriptor, body: [UInt8], metadata: [String: String], deadline: Deadline?) async throws(RPCError) -> [UInt8]
}

extension ClientTransport {
    /// Calls `method` with `request`, both messages coded by the method's codecs.
    /// - Throws: `RPCError` as `unary` does, or INTERNAL when the answer cannot be decoded.
    public func call<Request, Response>(_ method: RPCMethod<Request, Response>, _ request: Request, metadata: [String: String] = [:],
                                        deadline: Deadline? = nil) async throws(RPCError) -> Response {
        let body = try method.request.encode(request)
        let answer = try await unary(method.descriptor, body: body, metadata: metadata, deadline: deadline)
        do throws(RPCError) {
            return try method.response.decode(answer)
        } catch {
            throw RPCError(.internal, "malformed \(method) response body: \(error.message)", cause: error)
        }
    }
}
