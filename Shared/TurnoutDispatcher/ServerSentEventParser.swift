import Foundation

/// Splits a server-sent event stream into events as bytes arrive, however they are chunked.
///
/// Upstreams flush events at arbitrary byte boundaries; the relay must see whole events to
/// rewrite each chunk's `model` and to catch the final usage chunk.
public struct ServerSentEventParser: Sendable {
    private var buffer: [UInt8] = []

    public init() {}

    /// The `data` payloads of every event completed by `bytes` (multi-line data joined by `\n`).
    public mutating func feed(_ bytes: [UInt8]) -> [String] {
        buffer.append(contentsOf: bytes)
        var events: [String] = []
        while let end = eventEnd() {
            let raw = String(decoding: buffer[..<end.content], as: UTF8.self)
            buffer.removeFirst(end.next)
            var data: [String] = []
            for line in raw.split(separator: "\n", omittingEmptySubsequences: false) {
                var line = Substring(line)
                if line.hasSuffix("\r") { line = line.dropLast() }
                guard line.hasPrefix("data:") else { continue }
                var value = line.dropFirst(5)
                if value.hasPrefix(" ") { value = value.dropFirst() }
                data.append(String(value))
            }
            if !data.isEmpty { events.append(data.joined(separator: "\n")) }
        }
        return events
    }

    /// End of the first event (a blank line: LF LF or CRLF CRLF).
    private func eventEnd() -> (content: Int, next: Int)? {
        var index = 0
        while index + 1 < buffer.count {
            if buffer[index] == 0x0A, buffer[index + 1] == 0x0A { return (index, index + 2) }
            if buffer[index] == 0x0D, index + 3 < buffer.count, buffer[index + 1] == 0x0A, buffer[index + 2] == 0x0D, buffer[index + 3] == 0x0A {
                return (index, index + 4)
            }
            index += 1
        }
        return nil
    }
}
