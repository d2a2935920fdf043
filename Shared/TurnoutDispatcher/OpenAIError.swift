import TurnoutWire

/// An error in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with its
/// HTTP status: the SDKs users already run parse exactly this, and nothing else.
public struct OpenAIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?

    public init(status: Int, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    public var description: String { "\(status) \(type): \(message)" }

    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    public static func unauthorized(_ message: String) -> OpenAIError {
        OpenAIError(status: 401, message: message, type: "invalid_request_error", code: "invalid_api_key")
    }

    public static func notFound(_ message: String) -> OpenAIError {
        OpenAIError(status: 404, message: message, type: "invalid_request_error", code: "not_found")
    }

    public static func upstream(_ status: Int, _ message: String) -> OpenAIError {
        OpenAIError(status: status, message: message, type: status == 429 ? "rate_limit_error" : "api_error", code: status == 429 ? "rate_limit_exceeded" : "upstream_error")
    }

    /// The JSON body.
    public var body: [UInt8] {
        var bytes: [UInt8] = []
        JSONWriter.appendRaw("{\"error\":{\"message\":", to: &bytes)
        JSONWriter.appendString(message, to: &bytes)
        JSONWriter.appendRaw(",\"type\":", to: &bytes)
        JSONWriter.appendString(type, to: &bytes)
        JSONWriter.appendRaw(",\"param\":", to: &bytes)
        if let param { JSONWriter.appendString(param, to: &bytes) } else { JSONWriter.appendRaw("null", to: &bytes) }
        JSONWriter.appendRaw(",\"code\":", to: &bytes)
        if let code { JSONWriter.appendString(code, to: &bytes) } else { JSONWriter.appendRaw("null", to: &bytes) }
        JSONWriter.appendRaw("}}", to: &bytes)
        return bytes
    }

    /// As a server-sent event, for failures after a stream has begun.
    public var event: [UInt8] {
        Array("data: ".utf8) + body + Array("\n\n".utf8)
    }
}
