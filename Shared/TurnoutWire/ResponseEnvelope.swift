import TurnoutJSON

/// One response as it travels on the wire.
///
/// `{"id": 7, "status": {"code": "OK", "message": ""}, "body": {...}}`. Id 0 answers a request
/// whose own id could not be read, so clients number their requests from 1.
public struct ResponseEnvelope: Sendable, Equatable {
    public var id: UInt64
    public var code: StatusCode
    public var message: String
    /// Raw JSON of `body`; `{}` when absent or null.
    public var body: [UInt8]

    public init(id: UInt64, code: StatusCode, message: String = "", body: [UInt8] = Array("{}".utf8)) {
        self.id = id
        self.code = code
        self.message = message
        self.body = body
    }

    public init(id: UInt64, error: RPCError) {
        self.init(id: id, code: error.code, message: error.message)
    }

    /// Appends this response as one complete frame.
    public func encodeFrame(into buffer: inout [UInt8]) {
        let start = FrameEncoder.beginFrame(in: &buffer)
        JSONWriter.appendRaw("{\"id\":", to: &buffer)
        JSONWriter.appendInteger(id, to: &buffer)
        JSONWriter.appendRaw(",\"status\":{\"code\":\"", to: &buffer)
        buffer.append(contentsOf: code.rawValue.utf8)
        JSONWriter.appendRaw("\",\"message\":", to: &buffer)
        JSONWriter.appendString(message, to: &buffer)
        JSONWriter.appendRaw("},\"body\":", to: &buffer)
        buffer.append(contentsOf: body)
        buffer.append(UInt8(ascii: "}"))
        FrameEncoder.finishFrame(in: &buffer, startingAt: start)
    }

    public static func parse(_ payload: [UInt8]) throws(EnvelopeError) -> ResponseEnvelope {
        var scanner = JSONScanner(bytes: payload)
        var id: UInt64?
        var code: StatusCode?
        var message = ""
        var bodyRange: Range<Int>?
        do throws(JSONError) {
            try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                switch key {
                case "id": id = try scanner.readUInt64()
                case "status":
                    try scanner.readObject { (field: String, scanner: inout JSONScanner) throws(JSONError) in
                        switch field {
                        case "code": code = StatusCode(wireName: try scanner.readString())
                        case "message":
                            if try !scanner.consumeNull() { message = try scanner.readString() }
                        default: try scanner.skipValue()
                        }
                    }
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
        guard let id else { throw EnvelopeError(requestID: nil, message: "response has no \"id\"") }
        guard let code else { throw EnvelopeError(requestID: id, message: "response has no \"status.code\"") }
        let body = bodyRange.map { Array(payload[$0]) } ?? Array("{}".utf8)
        return ResponseEnvelope(id: id, code: code, message: message, body: body)
    }
}
