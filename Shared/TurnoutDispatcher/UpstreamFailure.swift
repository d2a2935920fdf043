/// Why no upstream gave an answer worth relaying; carries what the client is told.
public struct UpstreamFailure: Error, Sendable {
    public var error: OpenAIError
    public var retryAfter: String?
    public var firstByteMs: Double
}
