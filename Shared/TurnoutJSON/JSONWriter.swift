/// Appends JSON tokens to a byte buffer.
///
/// Envelopes are written by hand around a body that `JSONEncoder` produced, so only strings
/// (with escaping) and integers are needed here.
public enum JSONWriter {
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    public static func appendString(_ string: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                buffer.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
                case 0x0A: buffer.append(UInt8(ascii: "n"))
                case 0x0D: buffer.append(UInt8(ascii: "r"))
                case 0x09: buffer.append(UInt8(ascii: "t"))
                default:
                    buffer.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    buffer.append(hex[Int(byte >> 4)])
                    buffer.append(hex[Int(byte & 0x0F)])
                }
                runStart = index + 1
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        }
        buffer.append(UInt8(ascii: "\""))
    }

    public static func appendInteger<T: BinaryInteger>(_ value: T, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: String(value).utf8)
    }

    /// `[f0,f1,...]` with each float's shortest exact form; non-finite values, which JSON
    /// cannot hold, are written as 0 (callers validate vectors before they get here).
    public static func appendFloats(_ values: [Float], to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            if value.isFinite {
                buffer.append(contentsOf: value.description.utf8)
            } else {
                buffer.append(UInt8(ascii: "0"))
            }
        }
        buffer.append(UInt8(ascii: "]"))
    }

    public static func appendRaw(_ text: StaticString, to buffer: inout [UInt8]) {
        text.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    /// Writes `{"k":"v",...}` with keys in sorted order, so output is deterministic.
    public static func appendStringMap(_ map: [String: String], to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "{"))
        var first = true
        for key in map.keys.sorted() {
            if !first { buffer.append(UInt8(ascii: ",")) }
            first = false
            appendString(key, to: &buffer)
            buffer.append(UInt8(ascii: ":"))
            appendString(map[key] ?? "", to: &buffer)
        }
        buffer.append(UInt8(ascii: "}"))
    }
}
