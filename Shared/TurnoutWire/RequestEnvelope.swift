import TurnoutJSON

/// One request as it travels on the wire.
///
/// `{"id": 7, "method": "Svc/M", "deadline_ms": 250, "metadata": {"k": "v"}, "body": {...}}`.
/// The body stays raw JSON bytes: the handler's own `Decodable` type decodes it.
public struct RequestEnvelope: Sendable, Equatable {
    public var id: UInt64
    public var method: String
    /// Relative deadline in milliseconds, as sent; `nil` means none.
    public var deadlineMilliseconds: Double?
    public var metadata: [String: String]
    /// The raw JSON of `body`; `{}` when absent or null.
    public var body: [UInt8]

    public init(id: UInt64, method: String, deadlineMilliseconds: Double? = nil, metadata: [String: String] = [:], body: [UInt8] = Array("{}".utf8)) {
        self.id = id
        self.method = method
        self.deadlineMilliseconds = deadlineMilliseconds
        self.metadata = metadata
        self.body = body
    }

    /// Appends this request as one complete frame.
    public func encodeFrame(into buffer: inout [UInt8]) {
        let start = FrameEncoder.beginFrame(in: &buffer)
        JSONWriter.appendRaw("{\"id\":", to: &buffer)
        JSONWriter.appendInteger(id, to: &buffer)
        JSONWriter.appendRaw(",\"method\":", to: &buffer)
        JSONWriter.appendString(method, to: &buffer)
        if let deadlineMilliseconds {
            JSONWriter.appendRaw(",\"deadline_ms\":", to: &buffer)
            JSONWriter.appendInteger(Int64(Self.normalizedDeadline(deadlineMilliseconds)), to: &buffer)
        }
        if !metadata.isEmpty {
            JSONWriter.appendRaw(",\"metadata\":", to: &buffer)
            JSONWriter.appendStringMap(metadata, to: &buffer)
        }
        JSONWriter.appendRaw(",\"body\":", to: &buffer)
        buffer.append(contentsOf: body)
        buffer.append(UInt8(ascii: "}"))
        FrameEncoder.finishFrame(in: &buffer, startingAt: start)
    }

    /// Parses a frame payload.
    /// - Throws: `EnvelopeError` carrying the request id when it could be read, so the
    ///   INVALID_ARGUMENT answer still reaches the right caller.
    public static func parse(_ payload: [UInt8]) throws(EnvelopeError) -> RequestEnvelope {
        var scanner = JSONScanner(bytes: payload)
        var id: UInt64?
        var method: String?
        var deadline: Double?
        var metadata: [String: String] = [:]
        var bodyRange: Range<Int>?
        do throws(JSONError) {
            try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                switch key {
                case "id": id = try scanner.readUInt64()
                case "method": method = try scanner.readString()
                case "deadline_ms":
                    if try !scanner.consumeNull() { deadline = try scanner.readDouble() }
                case "metadata":
                    if try !scanner.consumeNull() { metadata = try readStringMap(&scanner) }
                case "body":
                    if try !scanner.consumeNull() { bodyRange = try scanner.skipValue() }
                default: try scanner.skipValue()
                }
            }
            scanner.skipWhitespace()
            guard scanner.isAtEnd else { throw JSONError(.trailingData, at: scanner.position) }
        } catch {
            throw EnvelopeError(requestID: id, message: error.description)
        }
        guard let id else { throw EnvelopeError(requestID: nil, message: "request has no \"id\"") }
        guard let method, !method.isEmpty else {
            throw EnvelopeError(requestID: id, message: "request has no \"method\"")
        }
        if let deadline, !(deadline >= 0 && deadline.isFinite) {
            throw EnvelopeError(requestID: id, message: "\"deadline_ms\" must be a non-negative number, got \(deadline)")
        }
        let body = bodyRange.map { Array(payload[$0]) } ?? Array("{}".utf8)
        return RequestEnvelope(id: id, method: method, deadlineMilliseconds: deadline.map(normalizedDeadline), metadata: metadata, body: body)
    }

    /// Longest deadline honoured, about 31 years: larger values mean "no hurry", not overflow.
    public static let maxDeadlineMilliseconds: Double = 1e12

    /// Whole milliseconds, rounded up so a sliver of time left never reads as zero, and capped.
    static func normalizedDeadline(_ milliseconds: Double) -> Double {
        guard milliseconds.isFinite, milliseconds > 0 else { return 0 }
        return min(milliseconds, maxDeadlineMilliseconds).rounded(.up)
    }

    static func readStringMap(_ scanner: inout JSONScanner) throws(JSONError) -> [String: String] {
        var map: [String: String] = [:]
        try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
            map[key] = try scanner.readString()
        }
        return map
    }
}

/// A request frame that could not be understood; answered with INVALID_ARGUMENT.
public struct EnvelopeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The id, when it was read before the problem; 0 is sent otherwise.
    public let requestID: UInt64?
    public let message: String

    public var description: String { message }
}
