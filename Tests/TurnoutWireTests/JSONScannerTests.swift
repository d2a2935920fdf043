import Testing
import TurnoutJSON
import TurnoutWire

@Suite struct JSONScannerTests {
    private func skip(_ text: String) throws -> Range<Int> {
        var scanner = JSONScanner(bytes: Array(text.utf8))
        let range = try scanner.skipValue()
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw JSONError(.trailingData, at: scanner.position) }
        return range
    }

    @Test(arguments: [
        "{}", "[]", "0", "-0", "1.5e-3", "true", "false", "null", "\"\"",
        "{\"a\":[1,2,{\"b\":null}],\"c\":\"\\u00e9\\n\"}", " [ 1 , 2 ] ", "\"\\ud83d\\ude00\"", "\"héllo ✓ 😀\"",
    ])
    func acceptsValidJSON(_ text: String) throws {
        _ = try skip(text)
    }

    @Test(arguments: [
        "{", "[1,]", "{\"a\"}", "{\"a\":}", "01", "1.", "-", "1e", "tru", "nul", "\"abc", "\"\\x\"", "{a:1}",
        "[1 2]", "\"\\ud83d\"", "\"\\udc00\\ud83d\"", "{\"a\":1,}", "\"tab\there\"", "1 2",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONError.self) { try skip(text) }
    }

    @Test func rejectsInvalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xC3, 0x22], [0x22, 0xE2, 0x82, 0x22], [0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xFF, 0x22]] {
            var scanner = JSONScanner(bytes: bytes)
            #expect(throws: JSONError.self) { try scanner.skipValue() }
        }
    }

    @Test func deepNestingFailsCleanly() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        var scanner = JSONScanner(bytes: Array(text.utf8))
        #expect(throws: JSONError(.nestingTooDeep(64), at: 64)) { try scanner.skipValue() }
    }

    @Test func readsStringsWithEscapes() throws {
        var scanner = JSONScanner(bytes: Array("\"a\\\"b\\\\c\\/d\\u0041\\ud83d\\ude00é\"".utf8))
        #expect(try scanner.readString() == "a\"b\\c/dA😀é")
    }

    @Test func readsUnsignedIntegersAndRejectsOthers() throws {
        var ok = JSONScanner(bytes: Array("18446744073709551615".utf8))
        #expect(try ok.readUInt64() == UInt64.max)
        for text in ["18446744073709551616", "-1", "1.0", "1e3", "01"] {
            var scanner = JSONScanner(bytes: Array(text.utf8))
            #expect(throws: JSONError.self) { try scanner.readUInt64() }
        }
    }

    @Test func reportsRangeOfSkippedValue() throws {
        let text = "{\"body\": {\"x\": [1, 2]} }"
        var scanner = JSONScanner(bytes: Array(text.utf8))
        var body: Range<Int>?
        try scanner.readObject { (_: String, scanner: inout JSONScanner) throws(JSONError) in
            body = try scanner.skipValue()
        }
        let range = try #require(body)
        #expect(String(decoding: Array(text.utf8)[range], as: UTF8.self) == "{\"x\": [1, 2]}")
    }

    @Test func writerEscapesWhatTheScannerReadsBack() throws {
        let original = "quote\" backslash\\ newline\n tab\t bell\u{07} unicode é 😀 slash/"
        var buffer: [UInt8] = []
        JSONWriter.appendString(original, to: &buffer)
        var scanner = JSONScanner(bytes: buffer)
        #expect(try scanner.readString() == original)
    }
}

@Suite struct FloatArrayTests {
    @Test func parsesLikeTheStandardLibrary() throws {
        let numbers = ["0", "-0", "1", "-1.5", "0.0123456789", "3.4028235e38", "1e-7", "-2.5E+3", "123456789012345678901234", "0.30000001192092896", "-0.08204811",
                       "0.000000000000000000001234567890123456789", "1e-320", "12.5e-2", "0e5"]
        var scanner = JSONScanner(bytes: Array(("[" + numbers.joined(separator: ", ") + "]").utf8))
        let parsed = try scanner.readFloatArray()
        #expect(parsed.count == numbers.count)
        for (value, text) in zip(parsed, numbers) {
            #expect(value == Float(Double(text)!), "\(text)")
        }
        // What Python's json.dumps and Swift's description write for embedding components.
        var generator = SystemRandomNumberGenerator()
        let values = (0..<2_000).map { _ in Float.random(in: -1...1, using: &generator) * [1e-6, 1e-3, 1, 100].randomElement(using: &generator)! }
        var random = JSONScanner(bytes: Array(("[" + values.map { Double($0).description }.joined(separator: ",") + "]").utf8))
        #expect(try random.readFloatArray() == values)
        var empty = JSONScanner(bytes: Array("[ ]".utf8))
        #expect(try empty.readFloatArray() == [])
    }

    @Test(arguments: ["[1,]", "[1 2]", "[\"1\"]", "[1e]", "[-]", "{}", "[1", "[01]", "[1.]", "[.5]", "[+1]", "[1e+]", "[--1]"])
    func rejectsWhatIsNotANumberArray(_ text: String) {
        var scanner = JSONScanner(bytes: Array(text.utf8))
        #expect(throws: JSONError.self) { try scanner.readFloatArray() }
    }
}
