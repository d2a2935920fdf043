import Foundation

/// A BERT WordPiece vocabulary (`vocab.txt`: one token per line, the line number is its id).
///
/// Two dictionaries make WordPiece matching a single hash lookup per candidate: one keyed by
/// the token as written (pieces that start a word) and one for continuation pieces keyed
/// without their `##` prefix, so candidates never need a `"##" + piece` concatenation.
public struct WordPieceVocabulary: Sendable {
    /// Every token, indexed by id.
    public let tokens: [String]
    public let unknownID: Int32
    public let classifierID: Int32
    public let separatorID: Int32
    public let paddingID: Int32
    /// Special tokens that are recognised verbatim in input text, as HuggingFace does.
    let specialTokens: [(scalars: [Unicode.Scalar], id: Int32)]
    let wordStarts: [String: Int32]
    let continuations: [String: Int32]
    /// Longest piece in Unicode scalars (without `##`): no candidate longer than this can match.
    let longestPiece: Int

    /// Loads `vocab.txt`. Lines end in `\n`, `\r\n` or `\r` (as Python's universal newlines read them).
    /// - Throws: `EmbeddingModelError.missingFile`, `.unreadableFile` or `.invalidVocabulary`.
    public init(contentsOf path: String) throws(EmbeddingModelError) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .missingFile(path: path)
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
        try self.init(tokens: Self.lines(of: data), source: path)
    }

    /// Builds a vocabulary from tokens in id order; `source` names it in errors.
    /// - Throws: `EmbeddingModelError.invalidVocabulary` when empty, too large or lacking
    ///   `[UNK]`, `[CLS]`, `[SEP]` or `[PAD]`.
    public init(tokens: [String], source: String = "vocabulary") throws(EmbeddingModelError) {
        guard !tokens.isEmpty, tokens.count <= Int(Int32.max) else {
            throw .invalidVocabulary(path: source, reason: "it has \(tokens.count) tokens")
        }
        var wordStarts: [String: Int32] = Dictionary(minimumCapacity: tokens.count)
        var continuations: [String: Int32] = Dictionary(minimumCapacity: tokens.count / 4)
        var longestPiece = 1
        for (index, token) in tokens.enumerated() {
            // Later duplicates win, as in HuggingFace's load_vocab.
            wordStarts[token] = Int32(index)
            var pieceLength = token.unicodeScalars.count
            if token.hasPrefix("##"), token.utf8.count > 2 {
                continuations[String(token.dropFirst(2))] = Int32(index)
                pieceLength -= 2
            }
            longestPiece = max(longestPiece, pieceLength)
        }
        func required(_ token: String) throws(EmbeddingModelError) -> Int32 {
            guard let id = wordStarts[token] else {
                throw .invalidVocabulary(path: source, reason: "it lacks the special token \(token)")
            }
            return id
        }
        unknownID = try required("[UNK]")
        classifierID = try required("[CLS]")
        separatorID = try required("[SEP]")
        paddingID = try required("[PAD]")
        specialTokens = ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"].compactMap { token in
            wordStarts[token].map { (Array(token.unicodeScalars), $0) }
        }
        self.tokens = tokens
        self.wordStarts = wordStarts
        self.continuations = continuations
        self.longestPiece = longestPiece
    }

    /// Number of tokens (the largest id plus one).
    public var count: Int { tokens.count }

    /// The id of `token` exactly as written (continuation pieces include their `##`).
    public func id(for token: String) -> Int32? { wordStarts[token] }

    /// Splits vocab.txt into lines without their terminators; a final terminator adds no empty token.
    private static func lines(of data: Data) -> [String] {
        var result: [String] = []
        result.reserveCapacity(32_000)
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var start = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x0A || byte == 0x0D {
                    result.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                    if byte == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
                    start = index + 1
                }
                index += 1
            }
            if start < bytes.count {
                result.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start...]), as: UTF8.self))
            }
        }
        return result
    }
}
