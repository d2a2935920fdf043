/// A `host:port` pair as written in configuration; the host may be a name still to resolve.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Whether only this machine can reach the address: `localhost`, 127.0.0.0/8 or `::1`.
    /// An empty host (`:port`) is every interface, and so is not.
    public var isLoopback: Bool {
        let name = host.lowercased()
        return name == "localhost" || name == "::1" || name == "[::1]" || name.hasPrefix("127.")
    }

    /// Parses `host:port`, `[v6]:port` or `:port` (all interfaces).
    public init(parsing text: String) throws(TransportError) {
        let trimmed = text.trimmingWhitespace()
        guard let colon = trimmed.lastIndex(of: ":") else { throw .invalidAddress(text) }
        var host = String(trimmed[..<colon])
        guard let port = UInt16(trimmed[trimmed.index(after: colon)...]) else { throw .invalidAddress(text) }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]") else { throw .invalidAddress(text) }
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            throw .invalidAddress(text)
        }
        self.init(host: host.isEmpty ? "0.0.0.0" : host, port: port)
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return slice
    }
}
