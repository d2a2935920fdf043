import Foundation

/// Uncased BERT tokenization (BasicTokenizer then WordPiece), matching HuggingFace's
/// `BertTokenizer` with `do_lower_case=True` and `tokenize_chinese_chars=True`.
///
/// Per text: drop NUL, U+FFFD and control characters; treat whitespace as separators; make
/// every CJK ideograph its own word; lowercase (with Greek final sigma, as Python's
/// `str.lower()` does) and strip accents (NFD, then drop "Mn" marks); split off punctuation;
/// then greedy longest-match WordPiece with `##` continuations. A word longer than 100
/// scalars, or one WordPiece cannot cover completely, becomes `[UNK]`. Special tokens written
/// literally in the text (`[SEP]`, `[MASK]`, ...) map to their ids, as in HuggingFace.
///
/// The work is done on Unicode scalars with reused buffers; ASCII words (nearly all of a
/// typical prompt) never touch Unicode property tables or Foundation.
public struct BertTokenizer: Sendable {
    /// The result of tokenizing one text.
    public struct Encoding: Sendable, Equatable {
        /// `[CLS]`, as many word pieces as fit, `[SEP]`.
        public let ids: [Int32]
        /// How many ids the text would need without truncation, `[CLS]` and `[SEP]` included.
        public let untruncatedCount: Int

        /// Whether word pieces were dropped to fit `maxLength`.
        public var isTruncated: Bool { untruncatedCount > ids.count }
    }

    /// Words longer than this many Unicode scalars become `[UNK]` without matching.
    public static let maxCharactersPerWord = 100

    public let vocabulary: WordPieceVocabulary
    /// Most ids per encoding, special tokens included (at least 2).
    public let maxLength: Int

    /// - Parameter maxLength: ids per encoding including `[CLS]` and `[SEP]`; values below 2 mean 2.
    public init(vocabulary: WordPieceVocabulary, maxLength: Int = 256) {
        self.vocabulary = vocabulary
        self.maxLength = max(2, maxLength)
    }

    /// Tokenizes `text` to `[CLS] pieces… [SEP]`, truncated to `maxLength` ids (the last stays `[SEP]`).
    public func encode(_ text: String) -> Encoding {
        var pass = TokenizerPass(vocabulary: vocabulary, capacity: maxLength - 1)
        pass.ids.append(vocabulary.classifierID)
        pass.run(text)
        pass.ids.append(vocabulary.separatorID)
        return Encoding(ids: pass.ids, untruncatedCount: pass.pieceCount + 2)
    }

    /// The word pieces of `text` as strings, without special tokens or truncation.
    public func wordPieces(_ text: String) -> [String] {
        var pass = TokenizerPass(vocabulary: vocabulary, capacity: .max)
        pass.run(text)
        return pass.ids.map { vocabulary.tokens[Int($0)] }
    }
}

/// The state of tokenizing one text: the word being collected and the ids produced so far.
private struct TokenizerPass {
    let vocabulary: WordPieceVocabulary
    /// Most ids to keep in `ids`; pieces beyond it are only counted.
    let capacity: Int
    var ids: [Int32] = []
    /// Word pieces produced, kept or not (excludes anything appended by the caller).
    var pieceCount = 0
    /// The current whitespace-delimited word, as written.
    private var word: [Unicode.Scalar] = []
    private var wordIsASCII = true
    /// Scratch for WordPiece: the UTF-8 of one word and where each scalar starts in it.
    private var utf8: [UInt8] = []
    private var boundaries: [Int] = []
    private var wordIDs: [Int32] = []

    init(vocabulary: WordPieceVocabulary, capacity: Int) {
        self.vocabulary = vocabulary
        self.capacity = capacity
        ids.reserveCapacity(min(capacity, 512))
        word.reserveCapacity(64)
        utf8.reserveCapacity(256)
        boundaries.reserveCapacity(101)
    }

    mutating func run(_ text: String) {
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        while index != scalars.endIndex {
            let scalar = scalars[index]
            if scalar == "[", let (id, next) = matchSpecialToken(in: scalars, at: index) {
                finishWord()
                emit(id)
                index = next
                continue
            }
            switch BertCharacterClass(scalar) {
            case .removed:
                break
            case .whitespace:
                finishWord()
            case .ideograph:
                finishWord()
                word.append(scalar)
                wordIsASCII = false
                finishWord()
            case .wordCharacter:
                word.append(scalar)
                if scalar.value >= 0x80 { wordIsASCII = false }
            }
            scalars.formIndex(after: &index)
        }
        finishWord()
    }

    /// A special token spelled exactly at `index`, and the index just after it.
    private func matchSpecialToken(in scalars: String.UnicodeScalarView, at index: String.UnicodeScalarView.Index) -> (Int32, String.UnicodeScalarView.Index)? {
        candidates: for special in vocabulary.specialTokens {
            var position = index
            for expected in special.scalars {
                guard position != scalars.endIndex, scalars[position] == expected else { continue candidates }
                scalars.formIndex(after: &position)
            }
            return (special.id, position)
        }
        return nil
    }

    private mutating func emit(_ id: Int32) {
        if ids.count < capacity { ids.append(id) }
        pieceCount += 1
    }

    /// Normalizes the collected word, splits off punctuation and runs WordPiece on each part.
    private mutating func finishWord() {
        guard !word.isEmpty else { return }
        if wordIsASCII {
            for index in word.indices where (0x41...0x5A).contains(word[index].value) {
                word[index] = Unicode.Scalar(UInt8(word[index].value) + 0x20)
            }
        } else {
            word = Self.lowercasedWithoutAccents(word)
        }
        var runStart = 0
        for index in word.indices where BertCharacterClass.isPunctuation(word[index]) {
            if runStart < index { wordPiece(runStart..<index) }
            wordPiece(index..<(index + 1))
            runStart = index + 1
        }
        if runStart < word.count { wordPiece(runStart..<word.count) }
        word.removeAll(keepingCapacity: true)
        wordIsASCII = true
    }

    /// Greedy longest-match-first WordPiece over `word[range]`; all or nothing, else `[UNK]`.
    private mutating func wordPiece(_ range: Range<Int>) {
        let length = range.count
        guard length <= BertTokenizer.maxCharactersPerWord else {
            emit(vocabulary.unknownID)
            return
        }
        utf8.removeAll(keepingCapacity: true)
        boundaries.removeAll(keepingCapacity: true)
        boundaries.append(0)
        for scalar in word[range] {
            utf8.append(contentsOf: scalar.utf8)
            boundaries.append(utf8.count)
        }
        wordIDs.removeAll(keepingCapacity: true)
        var start = 0
        while start < length {
            let table = start == 0 ? vocabulary.wordStarts : vocabulary.continuations
            var end = min(length, start + vocabulary.longestPiece)
            var match: Int32?
            while end > start {
                let candidate = String(decoding: utf8[boundaries[start]..<boundaries[end]], as: UTF8.self)
                if let id = table[candidate] {
                    match = id
                    break
                }
                end -= 1
            }
            guard let id = match else {
                emit(vocabulary.unknownID)
                return
            }
            wordIDs.append(id)
            start = end
        }
        for id in wordIDs { emit(id) }
    }

    /// Python's `str.lower()` then NFD without "Mn" marks: what BasicTokenizer does to an uncased word.
    private static func lowercasedWithoutAccents(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var lowered = String.UnicodeScalarView()
        for (index, scalar) in word.enumerated() {
            if scalar.value == 0x3A3 {
                lowered.append(isFinalSigma(at: index, in: word) ? "\u{3C2}" : "\u{3C3}")
            } else if scalar.properties.changesWhenLowercased {
                lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else {
                lowered.append(scalar)
            }
        }
        let decomposed = String(lowered).decomposedStringWithCanonicalMapping
        return decomposed.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
    }

    /// Unicode's Final_Sigma condition: a cased letter before, none after (case-ignorables skipped).
    private static func isFinalSigma(at index: Int, in word: [Unicode.Scalar]) -> Bool {
        var before = index - 1
        while before >= 0, word[before].properties.isCaseIgnorable { before -= 1 }
        guard before >= 0, word[before].properties.isCased else { return false }
        var after = index + 1
        while after < word.count, word[after].properties.isCaseIgnorable { after += 1 }
        return after == word.count || !word[after].properties.isCased
    }
}
