/// The error every Turnout call fails with: a status code and a message that cross the wire,
/// and a local cause that stays in this process for logs.
public struct RPCError: Error, Sendable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String
    /// What went wrong underneath; logged, never sent to the peer.
    public var cause: (any Error & Sendable)?

    public init(_ code: StatusCode, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause {
            return "\(code.rawValue): \(message) (cause: \(cause))"
        }
        return "\(code.rawValue): \(message)"
    }
}

/// A non-Sendable error's description, kept as the cause of an `RPCError`.
public struct ErrorDescription: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ error: any Error) {
        description = String(describing: error)
    }

    public init(_ text: String) {
        description = text
    }
}
