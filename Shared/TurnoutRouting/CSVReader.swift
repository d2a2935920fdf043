/// Reads RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks.
///
/// The benchmark files quote whole multiple-choice questions, newlines included, so a
/// line-based split would tear rows apart; Chatbot Arena's CSV quotes whole multi-paragraph
/// responses the same way.
public enum CSVReader {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "CSV line \(line): \(message)" }
    }

    /// Reads one row at a time, so a large file (Arena's is about 180 MB) is never held as
    /// parsed rows all at once, and reports the line each row starts on: with multi-line
    /// fields a row's index says nothing about where it is in the file.
    public struct Cursor {
        private let bytes: [UInt8]
        private var index = 0
        private var line = 1

        public init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        public init(_ text: String) {
            self.init(bytes: Array(text.utf8))
        }

        /// The next row and the 1-based line it starts on; nil at the end of the input.
        public mutating func next() throws(Failure) -> (fields: [String], line: Int)? {
            guard index < bytes.count else { return nil }
            let startLine = line
            var row: [String] = []
            var field: [UInt8] = []
            var inQuotes = false
            var afterQuote = false
            func endField() {
                row.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                afterQuote = false
            }
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if inQuotes {
                    if byte == UInt8(ascii: "\"") {
                        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
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
                    continue
                }
                switch byte {
                case UInt8(ascii: ","):
                    endField()
                case 0x0A:
                    endField()
                    line += 1
                    return (row, startLine)
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
            guard !inQuotes else { throw Failure(line: startLine, message: "quoted field never closed (row starts here, runs to the end of the file)") }
            // A stray carriage return after the last line break is not a row.
            if row.isEmpty, field.isEmpty, !afterQuote { return nil }
            endField()
            return (row, startLine)
        }
    }

    /// All rows, the header included.
    public static func rows(_ text: String) throws(Failure) -> [[String]] {
        var cursor = Cursor(text)
        var rows: [[String]] = []
        while let row = try cursor.next() { rows.append(row.fields) }
        return rows
    }

    /// Rows as dictionaries keyed by the header.
    public static func records(_ text: String) throws(Failure) -> [[String: String]] {
        var cursor = Cursor(text)
        guard let header = try cursor.next()?.fields else { return [] }
        var records: [[String: String]] = []
        while let (row, line) = try cursor.next() {
            if row.count == 1 && row[0].isEmpty { continue }
            guard row.count == header.count else {
                throw Failure(line: line, message: "row has \(row.count) fields, the header \(header.count)")
            }
            records.append(Dictionary(zip(header, row)) { first, _ in first })
        }
        return records
    }
}
