import TurnoutJSON

/// An error in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with its
/// HTTP status: the SDKs users already run parse exactly this, and nothing else.
public struct OpenAIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?
    /// Seconds to wait before trying again (`Retry-After`), for a 429 passed on from an upstream.
    public var retryAfter: String?

    public init(status: Int, message: String, type: String, param: String? = nil, code: String? = nil, retryAfter: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfter = retryAfter
    }

    /// An upstream's own error answer (a 4xx it blames on the request), read once so that
    /// every front end passes on its message, type, param and code.
    init(relaying members: JSONObjectMembers, status: Int, upstream: String) {
        self = .upstream(status, "upstream \(upstream) answered HTTP \(status)")
        guard let raw = members["error"] else { return }
        var scanner = JSONScanner(bytes: Array(raw))
        var fields: [String: String] = [:]
        var isObject = false
        do throws(JSONError) {
            if scanner.peek() == UInt8(ascii: "\"") {
                fields["message"] = try scanner.readString()
            } else {
                isObject = true
                try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                    switch scanner.peek() {
                    case UInt8(ascii: "\""): fields[key] = try scanner.readString()
                    case let byte? where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte):
                        // Some servers send numeric codes.
                        let range = try scanner.skipValue()
                        fields[key] = String(decoding: scanner.bytes[range], as: UTF8.self)
                    default: try scanner.skipValue()
                    }
                }
            }
        } catch {
            return
        }
        if let message = fields["message"] { self.message = message }
        guard isObject else { return }
        if let type = fields["type"] { self.type = type }
        param = fields["param"]
        code = fields["code"]
    }

    public var description: String { "\(status) \(type): \(message)" }

    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// OpenAI's answer to a model it does not serve: 404, `model_not_found`.
    public static func modelNotFound(_ message: String) -> OpenAIError {
        OpenAIError(status: 404, message: message, type: "invalid_request_error", param: "model", code: "model_not_found")
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
