/// Reads RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks.
///
/// The benchmark files quote whole multiple-choice questions, newlines included, so a
/// line-based split would tear rows apart.
public enum CSVReader {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "CSV line \(line): \(message)" }
    }

    /// All rows, the header included.
    public static func rows(_ text: String) throws(Failure) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var afterQuote = false
        var line = 1
        let bytes = Array(text.utf8)
        var index = 0
        func endField() {
            row.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            afterQuote = false
        }
        while index < bytes.count {
            let byte = bytes[index]
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        inQuotes = false
                        afterQuote = true
                    }
                } else {
                    if byte == 0x0A { line += 1 }
                    field.append(byte)
                }
            } else {
                switch byte {
                case UInt8(ascii: ","):
                    endField()
                case 0x0A:
                    endField()
                    rows.append(row)
                    row = []
                    line += 1
                case 0x0D:
                    break
                case UInt8(ascii: "\""):
                    guard field.isEmpty, !afterQuote else { throw Failure(line: line, message: "quote inside an unquoted field") }
                    inQuotes = true
                default:
                    guard !afterQuote else { throw Failure(line: line, message: "text after a closing quote") }
                    field.append(byte)
                }
            }
            index += 1
        }
        guard !inQuotes else { throw Failure(line: line, message: "unterminated quoted field") }
        if !field.isEmpty || !row.isEmpty || afterQuote {
            endField()
            rows.append(row)
        }
        return rows
    }

    /// Rows as dictionaries keyed by the header.
    public static func records(_ text: String) throws(Failure) -> [[String: String]] {
        let all = try rows(text)
        guard let header = all.first else { return [] }
        var records: [[String: String]] = []
        for (offset, row) in all.dropFirst().enumerated() where !(row.count == 1 && row[0].isEmpty) {
            guard row.count == header.count else {
                throw Failure(line: offset + 2, message: "row has \(row.count) fields, the header \(header.count)")
            }
            records.append(Dictionary(uniqueKeysWithValues: zip(header, row)))
        }
        return records
    }
}
