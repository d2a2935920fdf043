import Testing
@testable import TurnoutEmbedding

/// BasicTokenizer + WordPiece rules on inputs the reference set does not cover.
@Suite("BertTokenizer edge cases")
struct TokenizerEdgeCaseTests {
    static let classifier: Int32 = 101, separator: Int32 = 102, unknown: Int32 = 100

    private func tokenizer(maxLength: Int = 256) throws -> BertTokenizer {
        let vocabulary = try WordPieceVocabulary(contentsOf: TestResources.modelDirectory().appendingPathComponent("vocab.txt").path)
        return BertTokenizer(vocabulary: vocabulary, maxLength: maxLength)
    }

    @Test("empty and whitespace-only texts are just [CLS] [SEP]")
    func emptyAndWhitespace() throws {
        let tokenizer = try tokenizer()
        for text in ["", " ", "\t\n\r  ", "\u{00A0}\u{3000}\u{2028}", "\u{0}\u{FFFD}\u{200B}"] {
            let encoding = tokenizer.encode(text)
            #expect(encoding.ids == [Self.classifier, Self.separator], "\(text.debugDescription)")
            #expect(encoding.untruncatedCount == 2)
            #expect(!encoding.isTruncated)
        }
    }

    @Test("control and zero-width characters are dropped, whitespace kinds all separate words")
    func cleaning() throws {
        let tokenizer = try tokenizer()
        #expect(tokenizer.encode("hel\u{0}lo wo\u{200B}rld").ids == tokenizer.encode("hello world").ids)
        #expect(tokenizer.encode("hello\u{00A0}world\u{2029}again").ids == tokenizer.encode("hello world again").ids)
    }

    @Test("emoji become [UNK]")
    func emoji() throws {
        let tokenizer = try tokenizer()
        #expect(tokenizer.encode("🍕").ids == [Self.classifier, Self.unknown, Self.separator])
        #expect(tokenizer.wordPieces("pizza🍕!") == ["[UNK]", "!"])
    }

    @Test("accents are stripped and case folded, composed or decomposed")
    func accents() throws {
        let tokenizer = try tokenizer()
        let plain = tokenizer.encode("creme brulee naive").ids
        #expect(tokenizer.encode("Crème Brûlée NAÏVE").ids == plain)
        #expect(tokenizer.encode("Cre\u{300}me Bru\u{302}le\u{301}e nai\u{308}ve").ids == plain)
    }

    @Test("Greek capital sigma lowercases to final sigma at the end of a word, as Python does")
    func finalSigma() throws {
        let tokenizer = try tokenizer()
        #expect(tokenizer.wordPieces("ΟΔΟΣ") == tokenizer.wordPieces("οδος"))
        #expect(tokenizer.wordPieces("ΟΔΟΣ") != tokenizer.wordPieces("οδοσ"))
        #expect(tokenizer.wordPieces("ΣΟΦΙΑ") == tokenizer.wordPieces("σοφια"))
    }

    @Test("every CJK ideograph is a word of its own")
    func ideographs() throws {
        let tokenizer = try tokenizer()
        #expect(tokenizer.encode("東京").ids == tokenizer.encode("東 京").ids)
        #expect(tokenizer.encode("東京").ids.count == 4)
        #expect(tokenizer.wordPieces("abc日本def") == tokenizer.wordPieces("abc 日 本 def"))
        // A compatibility ideograph decomposes to its unified form (U+F900 -> U+8C48).
        #expect(tokenizer.wordPieces("\u{F900}") == tokenizer.wordPieces("\u{8C48}"))
    }

    @Test("punctuation, including ASCII symbols outside Unicode's P*, splits words")
    func punctuation() throws {
        let tokenizer = try tokenizer()
        #expect(tokenizer.wordPieces("hello,world") == ["hello", ",", "world"])
        #expect(tokenizer.wordPieces("a$b+c^d") == ["a", "$", "b", "+", "c", "^", "d"])
        #expect(tokenizer.wordPieces("“quoted”…") == ["“", "quoted", "”", "…"])
    }

    @Test("WordPiece: continuations, overlong words and unmatched words")
    func wordPiece() throws {
        let tokenizer = try tokenizer()
        #expect(tokenizer.wordPieces("unaffable") == ["una", "##ffa", "##ble"])
        #expect(tokenizer.wordPieces(String(repeating: "x", count: 101)) == ["[UNK]"])
        #expect(!tokenizer.wordPieces(String(repeating: "x", count: 100)).contains("[UNK]"))
        #expect(tokenizer.wordPieces("ok \u{1F9C0}x fine") == ["ok", "[UNK]", "fine"])
    }

    @Test("special tokens written in the text keep their ids")
    func specialTokens() throws {
        let tokenizer = try tokenizer()
        #expect(tokenizer.encode("hello [SEP] world [MASK]").ids == [101, 7592, 102, 2088, 103, 102])
        #expect(tokenizer.wordPieces("[sep]") == ["[", "sep", "]"])
    }

    @Test("text far over 256 tokens is cut to 256 ids ending in [SEP], with the full count kept")
    func truncation() throws {
        let tokenizer = try tokenizer()
        let text = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 100)
        let encoding = tokenizer.encode(text)
        #expect(encoding.ids.count == 256)
        #expect(encoding.ids.first == Self.classifier)
        #expect(encoding.ids.last == Self.separator)
        #expect(encoding.untruncatedCount == 1002)
        #expect(encoding.isTruncated)
        let short = try self.tokenizer(maxLength: 5).encode(text)
        #expect(short.ids == [101, 1996, 4248, 2829, 102])
        #expect(try self.tokenizer(maxLength: 0).encode(text).ids == [101, 102])
    }

    @Test("a vocabulary without the special tokens is rejected")
    func invalidVocabulary() {
        #expect(throws: EmbeddingModelError.invalidVocabulary(path: "test", reason: "it lacks the special token [CLS]")) {
            try WordPieceVocabulary(tokens: ["[PAD]", "[UNK]", "hello"], source: "test")
        }
        #expect(throws: EmbeddingModelError.self) { try WordPieceVocabulary(tokens: [], source: "test") }
    }

    @Test("a small vocabulary tokenizes by its own rules")
    func smallVocabulary() throws {
        let vocabulary = try WordPieceVocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##able", "##a", "a"])
        let tokenizer = BertTokenizer(vocabulary: vocabulary, maxLength: 8)
        #expect(tokenizer.encode("unable UNA unb").ids == [2, 4, 5, 4, 6, 1, 3])
    }
}
