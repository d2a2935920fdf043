/// One RPC method with its message types and their codecs: what servers register and
/// clients call, so a message is encoded and decoded in exactly one place.
///
/// ```swift
/// registry.register(ScorerAPI.score) { request, context in try await scorer.score(request) }
/// let answer = try await transport.call(ScorerAPI.score, request)
/// ```
public struct RPCMethod<Request: Sendable, Response: Sendable>: Sendable, CustomStringConvertible {
    public let descriptor: MethodDescriptor
    public let request: MessageCodec<Request>
    public let response: MessageCodec<Response>

    public init(_ descriptor: MethodDescriptor, request: MessageCodec<Request>, response: MessageCodec<Response>) {
        self.descriptor = descriptor
        self.request = request
        self.response = response
    }

    public var description: String { descriptor.fullName }
}

extension RPCMethod where Request: Codable, Response: Codable {
    /// A method whose messages travel through `Codable`.
    public init(service: String, method: String, idempotent: Bool) {
        self.init(MethodDescriptor(service: service, method: method, idempotent: idempotent), request: .json, response: .json)
    }
}
