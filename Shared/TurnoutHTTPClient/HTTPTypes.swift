/// An HTTP request for `HTTPClient`.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var connectTimeout: Duration = .seconds(5)
    /// Time allowed for the whole exchange, including reading a stream to its end.
    public var timeout: Duration = .seconds(60)
    /// Time allowed until the response headers arrive; nil means `timeout` alone applies.
    public var headerTimeout: Duration?

    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// Status line and headers of a response.
public struct HTTPResponseHead: Sendable {
    public var status: Int
    /// Header names lower-cased, in arrival order.
    public var headers: [(name: String, value: String)]

    public init(status: Int, headers: [(name: String, value: String)]) {
        self.status = status
        self.headers = headers
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name == wanted }?.value
    }
}

/// A response read to its end.
public struct HTTPResponse: Sendable {
    public var head: HTTPResponseHead
    public var body: [UInt8]

    public var status: Int { head.status }
}

/// Why an exchange failed before a complete response: each case maps to a retry decision.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection could be made (refused, unresolvable, unreachable): safe to try elsewhere.
    case connectFailed(String)
    /// The deadline passed; `beforeHeaders` tells whether anything had arrived.
    case timedOut(beforeHeaders: Bool)
    /// The connection broke or the peer spoke something other than HTTP.
    case transport(String)
    case cancelled
    case invalidRequest(String)

    public var description: String {
        switch self {
        case let .connectFailed(detail): "could not connect: \(detail)"
        case let .timedOut(beforeHeaders): beforeHeaders ? "timed out waiting for the response headers" : "timed out while reading the response"
        case let .transport(detail): "transfer failed: \(detail)"
        case .cancelled: "cancelled"
        case let .invalidRequest(detail): "invalid request: \(detail)"
        }
    }
}
