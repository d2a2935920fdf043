import Foundation

/// Reads JSON Lines files (one object per line), keeping each object's line number so a bad
/// line can be named in the error.
enum JSONLines {
    /// The objects of `file` with their 1-based line numbers; blank lines are skipped.
    /// - Throws: `BenchmarkDataError` naming the file and the first line that is not a JSON object.
    static func objects(_ file: URL) throws(BenchmarkDataError) -> [(line: Int, object: [String: Any])] {
        let bytes = try readBytes(file)
        var result: [(line: Int, object: [String: Any])] = []
        // Split on bytes, not Characters: Swift treats "\r\n" as one Character, so splitting a
        // String on "\n" would leave CRLF files in one piece.
        for (index, slice) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            guard slice.contains(where: { !isWhitespace($0) }) else { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(slice)) as? [String: Any] else {
                throw BenchmarkDataError(path: file.path, message: "line \(index + 1) is not a JSON object")
            }
            result.append((index + 1, object))
        }
        return result
    }

    /// The whole file as bytes.
    static func readBytes(_ file: URL) throws(BenchmarkDataError) -> [UInt8] {
        do {
            return Array(try Data(contentsOf: file))
        } catch {
            throw BenchmarkDataError(path: file.path, message: "cannot read: \(error.localizedDescription)")
        }
    }

    /// A string field, nil when absent or not a string.
    static func string(_ object: [String: Any], _ key: String) -> String? {
        object[key] as? String
    }

    /// An integer field (a JSON number without a fraction), nil otherwise.
    static func integer(_ object: [String: Any], _ key: String) -> Int? {
        integer(object[key])
    }

    /// An integer value (a JSON number without a fraction), nil otherwise.
    static func integer(_ value: Any?) -> Int? {
        if let value = value as? Int { return value }
        guard let value = value as? Double, value.rounded() == value, abs(value) < 1e15 else { return nil }
        return Int(value)
    }

    /// A numeric field, nil when absent or not a number.
    static func number(_ object: [String: Any], _ key: String) -> Double? {
        if let value = object[key] as? Double { return value }
        return (object[key] as? Int).map(Double.init)
    }

    /// The first turn of a conversation given as a list of strings: "" for an empty list or a
    /// null first turn (Arena exports hold a few), nil when the value is not such a list.
    static func firstTurn(_ value: Any?) -> String? {
        guard let turns = value as? [Any] else { return nil }
        guard let first = turns.first, !(first is NSNull) else { return "" }
        return first as? String
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D
    }
}
