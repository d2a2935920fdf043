/// The top-level members of a JSON object, as byte ranges, for editing a few fields in place.
///
/// A proxy that rewrites `model` in a request or a streamed chunk must pass every other field
/// through byte for byte: decoding into a tree and encoding again would reformat numbers
/// (`0.7` can come back as `0.69999999999999996`) and drop fields no one declared.
public struct JSONObjectMembers: Sendable {
    public let bytes: [UInt8]
    public let members: [(key: String, value: Range<Int>)]

    /// - Throws: `JSONError` when `bytes` is not one valid JSON object.
    public init(_ bytes: [UInt8]) throws(JSONError) {
        var scanner = JSONScanner(bytes: bytes)
        var members: [(key: String, value: Range<Int>)] = []
        guard scanner.peek() == UInt8(ascii: "{") else {
            throw JSONError(.unexpectedByte(scanner.peek() ?? 0, expected: UInt8(ascii: "{")), at: scanner.position)
        }
        try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
            members.append((key, try scanner.skipValue()))
        }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw JSONError(.trailingData, at: scanner.position) }
        self.bytes = bytes
        self.members = members
    }

    /// The raw bytes of the last member named `key`.
    public subscript(key: String) -> ArraySlice<UInt8>? {
        members.last { $0.key == key }.map { bytes[$0.value] }
    }

    public func contains(_ key: String) -> Bool {
        members.contains { $0.key == key }
    }

    /// The object with members replaced (every occurrence) or, when absent, appended, and the
    /// members named in `removed` left out; values are raw JSON.
    public func replacing(_ replacements: [(key: String, value: [UInt8])], removing removed: Set<String> = []) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "{")]
        output.reserveCapacity(bytes.count + 64)
        var used = Set<String>()
        for member in members where !removed.contains(member.key) {
            if output.count > 1 { output.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(member.key, to: &output)
            output.append(UInt8(ascii: ":"))
            if let replacement = replacements.first(where: { $0.key == member.key }) {
                output.append(contentsOf: replacement.value)
                used.insert(member.key)
            } else {
                output.append(contentsOf: bytes[member.value])
            }
        }
        for replacement in replacements where !used.contains(replacement.key) {
            if output.count > 1 { output.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(replacement.key, to: &output)
            output.append(UInt8(ascii: ":"))
            output.append(contentsOf: replacement.value)
            used.insert(replacement.key)
        }
        output.append(UInt8(ascii: "}"))
        return output
    }

    /// A JSON string literal, for use as a replacement value.
    public static func string(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        JSONWriter.appendString(text, to: &bytes)
        return bytes
    }
}
