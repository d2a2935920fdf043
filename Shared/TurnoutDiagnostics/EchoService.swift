import TurnoutWire

/// A diagnostic service: `Echo/Echo` returns its body unchanged, `Echo/Sleep` waits before
/// answering. Used by `turnout bench wire`, by load and failure tests, and by operators
/// checking that a network path carries the protocol end to end.
public enum EchoService {
    /// The body back as it came.
    public static let echo = RPCMethod(MethodDescriptor(service: "Echo", method: "Echo", idempotent: true), request: .rawJSON, response: .rawJSON)
    public static let sleep = RPCMethod<SleepRequest, SleepResponse>(service: "Echo", method: "Sleep", idempotent: true)

    public struct SleepRequest: Codable, Sendable {
        public var ms: Int
        public init(ms: Int) { self.ms = ms }
    }

    public struct SleepResponse: Codable, Sendable {
        public var sleptMs: Int
        public var pid: Int32
        enum CodingKeys: String, CodingKey {
            case sleptMs = "slept_ms"
            case pid
        }
    }

    /// Adds both methods to `registry`.
    public static func register(in registry: inout HandlerRegistry, pid: Int32) {
        registry.register(echo) { body, _ in body }
        registry.register(sleep) { request, _ in
            guard (0...60_000).contains(request.ms) else {
                throw RPCError(.invalidArgument, "ms must be within 0...60000, got \(request.ms)")
            }
            try await Task.sleep(for: .milliseconds(request.ms))
            return SleepResponse(sleptMs: request.ms, pid: pid)
        }
    }
}
