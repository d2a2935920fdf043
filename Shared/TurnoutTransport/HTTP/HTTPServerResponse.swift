import Foundation
import Synchronization

/// What a handler answers: a status, headers, and a body that is either whole or streamed.
public struct HTTPServerResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        /// Written chunk by chunk (chunked transfer encoding) as the producer calls the writer.
        case stream(@Sendable (HTTPBodyWriter) async -> Void)
    }

    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Body
    /// Runs once the whole response has been handed to the socket: for work that must never
    /// delay the answer (shadow judging starts here).
    public var afterDelivery: (@Sendable () -> Void)?

    public init(status: Int, headers: [(name: String, value: String)] = [], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ status: Int, _ body: [UInt8], headers: [(name: String, value: String)] = []) -> HTTPServerResponse {
        HTTPServerResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: .bytes(body))
    }

    public static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") -> HTTPServerResponse {
        HTTPServerResponse(status: status, headers: [("Content-Type", contentType)], body: .bytes(Array(text.utf8)))
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }

    private static let dateCache = Mutex<(second: Int, bytes: [UInt8])>((-1, []))

    /// `httpDate()` as bytes, formatted at most once a second.
    static func cachedDate() -> [UInt8] {
        let second = time(nil)
        return dateCache.withLock { cache in
            if cache.second != second {
                cache = (second, Array(httpDate().utf8))
            }
            return cache.bytes
        }
    }

    /// `Date` header value (IMF-fixdate), e.g. `Tue, 24 Nov 2026 07:00:00 GMT`.
    static func httpDate() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday) % 7]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon) % 12]) \(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
