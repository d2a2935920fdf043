/// Names one RPC method as `Service/Method` and says whether it is safe to retry.
public struct MethodDescriptor: Sendable, Hashable, CustomStringConvertible {
    public let service: String
    public let method: String
    /// Idempotent methods may be retried by clients on connection failure or UNAVAILABLE;
    /// others never are, because a lost response does not prove the call did not run.
    public let idempotent: Bool

    public init(service: String, method: String, idempotent: Bool) {
        self.service = service
        self.method = method
        self.idempotent = idempotent
    }

    /// The name on the wire, `Service/Method`.
    public var fullName: String { "\(service)/\(method)" }
    public var description: String { fullName }

}
