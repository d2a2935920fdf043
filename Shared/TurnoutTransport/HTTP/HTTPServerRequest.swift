/// A request as the HTTP server hands it to a handler: head and complete body.
public struct HTTPServerRequest: Sendable {
    public var method: String
    /// The request target as sent, e.g. `/v1/chat/completions?x=1`.
    public var target: String
    public var minorVersion: Int
    /// Header names lower-cased, in arrival order.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Whether the connection stays open after the response.
    public var keepAlive: Bool

    public var path: Substring { target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }

    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name == wanted }?.value
    }
}
