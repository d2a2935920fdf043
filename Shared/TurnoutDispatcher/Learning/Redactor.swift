/// Replaces what the operator's patterns match in text bound for storage (battles, ratings)
/// with `[redacted]`, and cuts it to a length, before anything leaves the dispatcher.
public final class Redactor: @unchecked Sendable {
    // @unchecked Sendable: the compiled expressions are never mutated after init, and matching
    // a `Regex` reads it only.
    private let patterns: [Regex<AnyRegexOutput>]
    private let maxBytes: Int

    /// - Throws: when a pattern does not compile (`LearningConfiguration.validate` says which).
    public init(patterns: [String], maxBytes: Int) throws {
        self.patterns = try patterns.map { try Regex($0) }
        self.maxBytes = maxBytes
    }

    public func redact(_ text: String) -> String {
        var text = text
        for pattern in patterns {
            text = text.replacing(pattern, with: "[redacted]")
        }
        guard text.utf8.count > maxBytes else { return text }
        // Cut on a character boundary.
        var cut = text.utf8.index(text.utf8.startIndex, offsetBy: maxBytes)
        while cut > text.startIndex, String.Index(cut, within: text) == nil { cut = text.utf8.index(before: cut) }
        return String(text[..<cut])
    }
}
