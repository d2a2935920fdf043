/// The outcome of a call, with gRPC's canonical names and meanings.
///
/// The set is closed on purpose: clients branch on these codes (retry on `unavailable`,
/// give up on `invalidArgument`), so every service must speak the same small vocabulary.
public enum StatusCode: String, Sendable, CaseIterable, Codable {
    case ok = "OK"
    case cancelled = "CANCELLED"
    case unknown = "UNKNOWN"
    case invalidArgument = "INVALID_ARGUMENT"
    case deadlineExceeded = "DEADLINE_EXCEEDED"
    case notFound = "NOT_FOUND"
    case alreadyExists = "ALREADY_EXISTS"
    case permissionDenied = "PERMISSION_DENIED"
    case resourceExhausted = "RESOURCE_EXHAUSTED"
    case failedPrecondition = "FAILED_PRECONDITION"
    case aborted = "ABORTED"
    case outOfRange = "OUT_OF_RANGE"
    case unimplemented = "UNIMPLEMENTED"
    case `internal` = "INTERNAL"
    case unavailable = "UNAVAILABLE"
    case dataLoss = "DATA_LOSS"
    case unauthenticated = "UNAUTHENTICATED"

    /// Parses a wire name; names this version does not know read as `unknown`, as gRPC does.
    public init(wireName: String) {
        self = StatusCode(rawValue: wireName) ?? .unknown
    }
}
