import Glibc

/// A failure of the operating system's networking calls, with the call and errno for context.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    case system(String, errno: Int32)
    case invalidAddress(String)
    case resolutionFailed(host: String, reason: String)

    public var description: String {
        switch self {
        case let .system(call, code):
            return "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        case let .invalidAddress(text):
            return "invalid address \"\(text)\": expected host:port, e.g. 127.0.0.1:7101 or [::1]:7101"
        case let .resolutionFailed(host, reason):
            return "could not resolve \"\(host)\": \(reason)"
        }
    }
}
