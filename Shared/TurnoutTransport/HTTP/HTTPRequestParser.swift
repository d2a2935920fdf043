
/// Why bytes are not an acceptable HTTP/1.1 request; each maps to the status to answer with.
public enum HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case headersTooLarge(limit: Int)
    case bodyTooLarge(limit: Int)
    case notImplemented(String)
    case versionNotSupported

    public var status: Int {
        switch self {
        case .malformed: 400
        case .headersTooLarge: 431
        case .bodyTooLarge: 413
        case .notImplemented: 501
        case .versionNotSupported: 505
        }
    }

    public var description: String {
        switch self {
        case let .malformed(detail): "malformed request: \(detail)"
        case let .headersTooLarge(limit): "request headers exceed \(limit) bytes"
        case let .bodyTooLarge(limit): "request body exceeds \(limit) bytes"
        case let .notImplemented(detail): detail
        case .versionNotSupported: "only HTTP/1.0 and HTTP/1.1 are supported"
        }
    }
}

/// Parses HTTP/1.x requests from a byte stream: a pure value type, fed bytes, asked for requests.
///
/// It is strict where leniency breeds request smuggling (Content-Length together with
/// Transfer-Encoding, differing Content-Lengths, obsolete line folding) and checks size
/// limits before buffering, so an oversized head or body is refused without being stored.
public struct HTTPRequestParser: Sendable {
    public let maxHeaderBytes: Int
    public let maxBodyBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var pendingHead: Head?
    private var chunked = ChunkedState()

    private struct Head: Sendable {
        var request: HTTPServerRequest
        var headLength: Int
        var contentLength: Int?
        var isChunked: Bool
        var expectsContinue: Bool
    }

    private struct ChunkedState: Sendable {
        /// Offset (from the body start) of the next byte to parse.
        var cursor = 0
        var body: [UInt8] = []
        var done = false
    }

    public init(maxHeaderBytes: Int = 16 * 1024, maxBodyBytes: Int = 8 << 20) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }

    public var bufferedByteCount: Int { buffer.count - start }

    /// True once a head has been parsed whose body is still arriving and which asked for `100 Continue`.
    public var awaitsContinue: Bool { pendingHead?.expectsContinue ?? false }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0, start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func append<S: Sequence>(contentsOf bytes: S) where S.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete request, or nil if more bytes are needed.
    public mutating func nextRequest() throws(HTTPParseError) -> HTTPServerRequest? {
        if pendingHead == nil {
            guard let head = try parseHead() else { return nil }
            pendingHead = head
            chunked = ChunkedState()
        }
        guard var head = pendingHead else { return nil }
        let bodyStart = start + head.headLength
        if head.isChunked {
            guard try advanceChunked(from: bodyStart) else { return nil }
            head.request.body = chunked.body
            start = bodyStart + chunked.cursor
        } else {
            let length = head.contentLength ?? 0
            guard buffer.count - bodyStart >= length else { return nil }
            head.request.body = Array(buffer[bodyStart..<bodyStart + length])
            start = bodyStart + length
        }
        pendingHead = nil
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 16)
            start = 0
        }
        return head.request
    }

    // MARK: Head.

    private func parseHead() throws(HTTPParseError) -> Head? {
        let available = buffer.count - start
        guard let end = findHeadEnd() else {
            if available > maxHeaderBytes { throw .headersTooLarge(limit: maxHeaderBytes) }
            return nil
        }
        let headLength = end - start
        guard headLength <= maxHeaderBytes else { throw .headersTooLarge(limit: maxHeaderBytes) }
        // Lines end in CRLF; a bare LF is tolerated, as RFC 9112 allows.
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = start
        var index = start
        while index < end {
            if buffer[index] == 0x0A {
                var lineEnd = index
                if lineEnd > lineStart, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                lines.append(buffer[lineStart..<lineEnd])
                lineStart = index + 1
            }
            index += 1
        }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        // Leading empty lines before a request line are ignored (RFC 9112 section 2.2).
        while let first = lines.first, first.isEmpty { lines.removeFirst() }
        guard let requestLine = lines.first else { throw .malformed("empty request") }
        let (method, target, minor) = try parseRequestLine(requestLine)
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let first = line.first else { continue }
            if first == 0x20 || first == 0x09 { throw .malformed("obsolete header line folding") }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw .malformed("header line without a colon") }
            let nameBytes = line[line.startIndex..<colon]
            guard !nameBytes.isEmpty, nameBytes.allSatisfy(Self.isTokenByte) else {
                throw .malformed("invalid header name")
            }
            var valueBytes = line[(colon + 1)...]
            while let f = valueBytes.first, f == 0x20 || f == 0x09 { valueBytes.removeFirst() }
            while let l = valueBytes.last, l == 0x20 || l == 0x09 { valueBytes.removeLast() }
            guard !valueBytes.contains(where: { $0 == 0 || $0 == 0x0D || $0 == 0x0A }) else {
                throw .malformed("invalid character in a header value")
            }
            headers.append((String(decoding: nameBytes, as: UTF8.self).lowercased(), String(decoding: valueBytes, as: UTF8.self)))
        }
        var contentLength: Int?
        var isChunked = false
        for header in headers {
            switch header.name {
            case "content-length":
                guard !header.value.isEmpty, header.value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), header.value.utf8.count <= 15,
                      let value = Int(header.value) else {
                    throw .malformed("invalid Content-Length")
                }
                if let existing = contentLength, existing != value { throw .malformed("conflicting Content-Length headers") }
                contentLength = value
            case "transfer-encoding":
                guard header.value.lowercased() == "chunked" else {
                    throw .notImplemented("Transfer-Encoding \(header.value) is not supported; use chunked or Content-Length")
                }
                isChunked = true
            default:
                break
            }
        }
        if isChunked, contentLength != nil { throw .malformed("both Content-Length and Transfer-Encoding") }
        if let contentLength, contentLength > maxBodyBytes { throw .bodyTooLarge(limit: maxBodyBytes) }
        if minor == 1, !headers.contains(where: { $0.name == "host" }) { throw .malformed("HTTP/1.1 request without Host") }
        let connection = headers.first { $0.name == "connection" }?.value.lowercased() ?? ""
        let keepAlive = minor == 1 ? !connection.contains("close") : connection.contains("keep-alive")
        let expects = headers.first { $0.name == "expect" }?.value.lowercased() == "100-continue"
        let request = HTTPServerRequest(method: method, target: target, minorVersion: minor, headers: headers, body: [], keepAlive: keepAlive)
        return Head(request: request, headLength: end - start, contentLength: contentLength, isChunked: isChunked, expectsContinue: expects && minor == 1)
    }

    /// Index just past the blank line that ends the head, if it has arrived.
    private func findHeadEnd() -> Int? {
        var index = start
        let limit = min(buffer.count, start + maxHeaderBytes + 4)
        while index < limit {
            if buffer[index] == 0x0A {
                if index + 1 < buffer.count, buffer[index + 1] == 0x0A { return index + 2 }
                if index + 2 < buffer.count, buffer[index + 1] == 0x0D, buffer[index + 2] == 0x0A { return index + 3 }
            }
            index += 1
        }
        return nil
    }

    private func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (String, String, Int) {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("request line must be METHOD TARGET VERSION") }
        guard !parts[0].isEmpty, parts[0].allSatisfy(Self.isTokenByte) else { throw .malformed("invalid method") }
        let target = parts[1]
        guard let first = target.first, first == UInt8(ascii: "/") || (target.count == 1 && first == UInt8(ascii: "*")),
              target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .malformed("invalid request target")
        }
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version.hasPrefix("HTTP/") else { throw .malformed("invalid HTTP version") }
        switch version {
        case "HTTP/1.1": return (String(decoding: parts[0], as: UTF8.self), String(decoding: target, as: UTF8.self), 1)
        case "HTTP/1.0": return (String(decoding: parts[0], as: UTF8.self), String(decoding: target, as: UTF8.self), 0)
        default: throw .versionNotSupported
        }
    }

    // MARK: Chunked bodies.

    /// Parses chunks from where it left off; true once the last chunk and trailers are in.
    private mutating func advanceChunked(from bodyStart: Int) throws(HTTPParseError) -> Bool {
        while !chunked.done {
            let position = bodyStart + chunked.cursor
            guard let lineEnd = lineEnd(from: position) else {
                if buffer.count - position > 1024 { throw .malformed("chunk size line too long") }
                return false
            }
            var sizeLine = buffer[position..<lineEnd.contentEnd]
            if let semicolon = sizeLine.firstIndex(of: UInt8(ascii: ";")) { sizeLine = sizeLine[..<semicolon] }
            while let l = sizeLine.last, l == 0x20 || l == 0x09 { sizeLine.removeLast() }
            guard !sizeLine.isEmpty, sizeLine.count <= 15, let size = Int(String(decoding: sizeLine, as: UTF8.self), radix: 16), size >= 0 else {
                throw .malformed("invalid chunk size")
            }
            if size == 0 {
                // Trailers (ignored) until an empty line.
                var cursor = lineEnd.next
                while true {
                    guard let trailer = self.lineEnd(from: cursor) else { return false }
                    if trailer.contentEnd == cursor {
                        chunked.cursor = trailer.next - bodyStart
                        chunked.done = true
                        break
                    }
                    cursor = trailer.next
                }
                break
            }
            guard chunked.body.count + size <= maxBodyBytes else { throw .bodyTooLarge(limit: maxBodyBytes) }
            let dataStart = lineEnd.next
            guard buffer.count >= dataStart + size + 1 else { return false }
            let afterData = dataStart + size
            let next: Int
            if buffer[afterData] == 0x0A {
                next = afterData + 1
            } else if buffer[afterData] == 0x0D {
                guard buffer.count >= afterData + 2 else { return false }
                guard buffer[afterData + 1] == 0x0A else { throw .malformed("chunk not followed by CRLF") }
                next = afterData + 2
            } else {
                throw .malformed("chunk not followed by CRLF")
            }
            chunked.body.append(contentsOf: buffer[dataStart..<afterData])
            chunked.cursor = next - bodyStart
        }
        return true
    }

    private func lineEnd(from position: Int) -> (contentEnd: Int, next: Int)? {
        var index = position
        while index < buffer.count {
            if buffer[index] == 0x0A {
                let contentEnd = index > position && buffer[index - 1] == 0x0D ? index - 1 : index
                return (contentEnd, index + 1)
            }
            index += 1
        }
        return nil
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
