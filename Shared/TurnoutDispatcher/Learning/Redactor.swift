/// Replaces what the operator's patterns match in text bound for storage (battles, ratings,
/// comments) with `[redacted]`, after cutting it to a length, before anything leaves the
/// dispatcher. It runs on learning's own work (a shadow job, a rating), never on a client's
/// request path.
public final class Redactor: @unchecked Sendable {
    // @unchecked Sendable: the compiled expressions are never mutated after init, and matching
    // a `Regex` reads it only.
    private let patterns: [Regex<AnyRegexOutput>]
    public let maxBytes: Int

    /// - Throws: when a pattern does not compile (`LearningConfiguration.validate` says which).
    public init(patterns: [String], maxBytes: Int) throws {
        self.patterns = try patterns.map { try Regex($0) }
        self.maxBytes = maxBytes
    }

    /// The text cut to `maxBytes` (on a Unicode scalar boundary, so a very long character is
    /// cut too rather than emptying the text), then redacted.
    public func redact(_ text: String) -> String {
        var text = Self.cut(text, toBytes: maxBytes)
        for pattern in patterns {
            text = text.replacing(pattern, with: "[redacted]")
        }
        return text
    }

    /// `text` cut to at most `bytes` of UTF-8, on a scalar boundary.
    public static func cut(_ text: String, toBytes bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var scalars = String.UnicodeScalarView()
        var used = 0
        for scalar in text.unicodeScalars {
            let size = String(scalar).utf8.count
            guard used + size <= bytes else { break }
            scalars.append(scalar)
            used += size
        }
        return String(scalars)
    }
}
