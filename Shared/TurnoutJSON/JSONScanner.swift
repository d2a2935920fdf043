/// A validating, allocation-light JSON reader over a byte buffer.
///
/// The envelope parser needs a few typed fields (`id`, `method`, ...) and the *byte range* of
/// `body`, which it hands to `JSONDecoder` untouched. Building a full tree for every request
/// would double the parsing work on the hot path, so this scanner validates values while
/// skipping them and only materialises the strings and numbers it is asked for.
public struct JSONScanner {
    public let bytes: [UInt8]
    public internal(set) var position: Int
    /// Nesting limit: deep input must fail cleanly rather than exhaust the stack.
    public let maxDepth: Int

    public init(bytes: [UInt8], maxDepth: Int = 64) {
        self.bytes = bytes
        self.position = 0
        self.maxDepth = maxDepth
    }

    public var isAtEnd: Bool { position >= bytes.count }

    public mutating func skipWhitespace() {
        // Most calls find none: one comparison for them.
        guard position < bytes.count, bytes[position] <= 0x20 else { return }
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, without consuming it.
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < bytes.count ? bytes[position] : nil
    }

    public mutating func expect(_ byte: UInt8) throws(JSONError) {
        skipWhitespace()
        guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
        guard bytes[position] == byte else {
            throw JSONError(.unexpectedByte(bytes[position], expected: byte), at: position)
        }
        position += 1
    }

    /// Reads `null` if it is next and reports whether it did.
    public mutating func consumeNull() throws(JSONError) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    /// Reads `true` or `false`.
    public mutating func readBool() throws(JSONError) -> Bool {
        switch peek() {
        case UInt8(ascii: "t"):
            try literal("true")
            return true
        case UInt8(ascii: "f"):
            try literal("false")
            return false
        case let byte?:
            throw JSONError(.unexpectedByte(byte, expected: UInt8(ascii: "t")), at: position)
        case nil:
            throw JSONError(.unexpectedEnd, at: position)
        }
    }

    /// Iterates the elements of an array, calling `element` for each; `element` must consume the value.
    public mutating func readArray(_ element: (inout JSONScanner) throws(JSONError) -> Void) throws(JSONError) {
        try expect(UInt8(ascii: "["))
        if peek() == UInt8(ascii: "]") {
            position += 1
            return
        }
        while true {
            try element(&self)
            skipWhitespace()
            guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return
            default: throw JSONError(.unexpectedByte(bytes[position], expected: UInt8(ascii: "]")), at: position)
            }
        }
    }

    /// Iterates the members of an object, calling `member` with each key; `member` must consume the value.
    public mutating func readObject(_ member: (String, inout JSONScanner) throws(JSONError) -> Void) throws(JSONError) {
        try expect(UInt8(ascii: "{"))
        if peek() == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            let key = try readString()
            try expect(UInt8(ascii: ":"))
            try member(key, &self)
            skipWhitespace()
            guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return
            default: throw JSONError(.unexpectedByte(bytes[position], expected: UInt8(ascii: "}")), at: position)
            }
        }
    }

    /// Reads a string value, decoding escapes and validating UTF-8.
    public mutating func readString() throws(JSONError) -> String {
        try expect(UInt8(ascii: "\""))
        let start = position
        // Fast path: printable ASCII without escapes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let value = String(decoding: bytes[start..<position], as: UTF8.self)
                position += 1
                return value
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
            position += 1
        }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: String(decoding: bytes[start..<position], as: UTF8.self).unicodeScalars)
        while true {
            guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                position += 1
                scalars.append(try readEscape())
            case 0..<0x20:
                throw JSONError(.controlCharacterInString, at: position)
            case 0..<0x80:
                scalars.append(Unicode.Scalar(byte))
                position += 1
            default:
                scalars.append(try readUTF8Scalar())
            }
        }
    }

    /// Reads a non-negative integer that fits in 64 bits (no fraction, no exponent).
    public mutating func readUInt64() throws(JSONError) -> UInt64 {
        skipWhitespace()
        let start = position
        guard position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") else {
            throw JSONError(.expectedUnsignedInteger, at: start)
        }
        if bytes[position] == UInt8(ascii: "0"), position + 1 < bytes.count,
           bytes[position + 1] >= UInt8(ascii: "0"), bytes[position + 1] <= UInt8(ascii: "9") {
            throw JSONError(.invalidNumber, at: start)
        }
        var value: UInt64 = 0
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(bytes[position] - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw JSONError(.numberOutOfRange, at: start) }
            value = sum
            position += 1
        }
        if position < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[position]) {
            throw JSONError(.expectedUnsignedInteger, at: start)
        }
        return value
    }

    /// Validates and skips one value, returning the byte range it occupied.
    @discardableResult
    public mutating func skipValue() throws(JSONError) -> Range<Int> {
        try skipValue(depth: 0)
    }

    @discardableResult
    private mutating func skipValue(depth: Int) throws(JSONError) -> Range<Int> {
        guard depth < maxDepth else { throw JSONError(.nestingTooDeep(maxDepth), at: position) }
        skipWhitespace()
        guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
        let start = position
        switch bytes[position] {
        case UInt8(ascii: "{"):
            position += 1
            if peek() == UInt8(ascii: "}") {
                position += 1
                return start..<position
            }
            while true {
                try skipString()
                try expect(UInt8(ascii: ":"))
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "}") { position += 1; return start..<position }
                throw JSONError(.unexpectedByte(bytes[position], expected: UInt8(ascii: "}")), at: position)
            }
        case UInt8(ascii: "["):
            position += 1
            if peek() == UInt8(ascii: "]") {
                position += 1
                return start..<position
            }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "]") { position += 1; return start..<position }
                throw JSONError(.unexpectedByte(bytes[position], expected: UInt8(ascii: "]")), at: position)
            }
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "t"):
            try literal("true")
        case UInt8(ascii: "f"):
            try literal("false")
        case UInt8(ascii: "n"):
            try literal("null")
        default:
            try skipNumber()
        }
        return start..<position
    }

    /// Validates a string without building it.
    private mutating func skipString() throws(JSONError) {
        try expect(UInt8(ascii: "\""))
        while true {
            guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return
            case UInt8(ascii: "\\"):
                position += 1
                _ = try readEscape()
            case 0..<0x20:
                throw JSONError(.controlCharacterInString, at: position)
            case 0..<0x80:
                position += 1
            default:
                _ = try readUTF8Scalar()
            }
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONError) {
        let start = position
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
        let matches = word.withUTF8Buffer { expected in
            for offset in 0..<count where bytes[position + offset] != expected[offset] { return false }
            return true
        }
        guard matches else { throw JSONError(.invalidLiteral, at: start) }
        position += count
    }

    /// Reads the escape after a backslash (already consumed).
    private mutating func readEscape() throws(JSONError) -> Unicode.Scalar {
        guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let first = try readHex4()
            if (0xD800..<0xDC00).contains(first) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                      bytes[position + 1] == UInt8(ascii: "u") else {
                    throw JSONError(.invalidEscape, at: position)
                }
                position += 2
                let second = try readHex4()
                guard (0xDC00..<0xE000).contains(second),
                      let scalar = Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)) else {
                    throw JSONError(.invalidEscape, at: position)
                }
                return scalar
            }
            guard let scalar = Unicode.Scalar(first) else { throw JSONError(.invalidEscape, at: position) }
            return scalar
        default:
            throw JSONError(.invalidEscape, at: position - 1)
        }
    }

    private mutating func readHex4() throws(JSONError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw JSONError(.invalidEscape, at: position)
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// Decodes one multi-byte UTF-8 sequence, rejecting overlong forms, surrogates and truncation.
    private mutating func readUTF8Scalar() throws(JSONError) -> Unicode.Scalar {
        let start = position
        let lead = bytes[position]
        let length: Int
        var value: UInt32
        switch lead {
        case 0xC2...0xDF: length = 2; value = UInt32(lead & 0x1F)
        case 0xE0...0xEF: length = 3; value = UInt32(lead & 0x0F)
        case 0xF0...0xF4: length = 4; value = UInt32(lead & 0x07)
        default: throw JSONError(.invalidUTF8, at: start)
        }
        guard position + length <= bytes.count else { throw JSONError(.invalidUTF8, at: start) }
        for offset in 1..<length {
            let byte = bytes[position + offset]
            guard byte & 0xC0 == 0x80 else { throw JSONError(.invalidUTF8, at: start) }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        let minimum: UInt32 = length == 2 ? 0x80 : (length == 3 ? 0x800 : 0x10000)
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { throw JSONError(.invalidUTF8, at: start) }
        position += length
        return scalar
    }
}
