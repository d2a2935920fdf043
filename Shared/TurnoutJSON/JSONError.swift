/// Why a byte sequence is not the JSON we expected, and where.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case unexpectedEnd
        case unexpectedByte(UInt8, expected: UInt8)
        case controlCharacterInString
        case invalidEscape
        case invalidUTF8
        case invalidNumber
        case invalidLiteral
        case numberOutOfRange
        case expectedUnsignedInteger
        case nestingTooDeep(Int)
        case trailingData
    }

    public let reason: Reason
    /// Byte offset in the payload.
    public let offset: Int

    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch reason {
        case .unexpectedEnd: what = "unexpected end of input"
        case let .unexpectedByte(byte, expected):
            what = "unexpected byte 0x\(String(byte, radix: 16)) where '\(Character(Unicode.Scalar(expected)))' was expected"
        case .controlCharacterInString: what = "unescaped control character in string"
        case .invalidEscape: what = "invalid escape sequence"
        case .invalidUTF8: what = "invalid UTF-8"
        case .invalidNumber: what = "invalid number"
        case .invalidLiteral: what = "invalid literal"
        case .numberOutOfRange: what = "number out of range"
        case .expectedUnsignedInteger: what = "expected a non-negative integer"
        case let .nestingTooDeep(limit): what = "nesting deeper than \(limit) levels"
        case .trailingData: what = "unexpected data after the JSON value"
        }
        return "invalid JSON at byte \(offset): \(what)"
    }
}
