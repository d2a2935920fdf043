/// Why a command line could not be used.
public enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    case helpRequested(String)
    case invalid(String)

    public var description: String {
        switch self {
        case let .helpRequested(text): text
        case let .invalid(message): message
        }
    }
}
