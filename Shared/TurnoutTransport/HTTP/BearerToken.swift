/// Checks an `Authorization: Bearer KEY` header against a set of keys, in constant time per
/// key, so how long a refusal takes says nothing of how close a guess was.
public struct BearerToken: Sendable {
    private let keys: [[UInt8]]

    public init(keys: [String]) {
        self.keys = keys.map { Array($0.utf8) }
    }

    /// True when no key is configured: the endpoint is open.
    public var isOpen: Bool { keys.isEmpty }

    public enum Refusal: Error, Sendable, Equatable {
        case missing, malformed, wrongKey
    }

    /// Nil when the request may proceed, otherwise why not.
    public func refusal(authorization header: String?) -> Refusal? {
        if case let .failure(refusal) = match(authorization: header) { return refusal }
        return nil
    }

    /// Which key the header presents (its index among the keys; nil when the endpoint is
    /// open), or why it is refused. Every key is compared, whichever matches.
    public func match(authorization header: String?) -> Result<Int?, Refusal> {
        guard !keys.isEmpty else { return .success(nil) }
        guard let header else { return .failure(.missing) }
        let utf8 = Array(header.utf8)
        guard utf8.count > 7, utf8[0..<7].map({ $0 | 0x20 }) == Array("bearer ".utf8) else { return .failure(.malformed) }
        let presented = Array(utf8[7...].drop { $0 == 0x20 })
        var matched: Int?
        for (index, key) in keys.enumerated() where Self.constantTimeEqual(key, presented) { matched = index }
        return matched.map { .success($0) } ?? .failure(.wrongKey)
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
