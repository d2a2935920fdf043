/// Why a stream could not be framed.
public enum FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    case frameTooLarge(length: Int, limit: Int)

    public var description: String {
        switch self {
        case let .frameTooLarge(length, limit):
            return "frame of \(length) bytes exceeds the limit of \(limit) bytes"
        }
    }
}
