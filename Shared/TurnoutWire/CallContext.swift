/// What a handler knows about the call it is serving.
///
/// The server binds it to `CallContext.current` while a handler runs, so an outgoing call made
/// from inside the handler carries what is left of this call's deadline without any plumbing.
public struct CallContext: Sendable {
    public let method: String
    public let requestID: UInt64
    public let metadata: [String: String]
    public let deadline: Deadline?
    /// The peer's address as `host:port`, for logs.
    public let peer: String

    public init(method: String, requestID: UInt64, metadata: [String: String], deadline: Deadline?, peer: String) {
        self.method = method
        self.requestID = requestID
        self.metadata = metadata
        self.deadline = deadline
        self.peer = peer
    }

    @TaskLocal public static var current: CallContext?
}
