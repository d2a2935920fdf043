import TurnoutHTTPClient

/// An upstream's answer whose head has arrived.
public struct UpstreamReply: Sendable {
    /// Non-streamed requests are read whole (one hand-over from the curl thread); streams
    /// arrive chunk by chunk.
    public enum Body: Sendable {
        case whole([UInt8])
        case stream(AsyncThrowingStream<[UInt8], any Error>)
    }

    public var upstream: UpstreamConfiguration
    public var head: HTTPResponseHead
    public var body: Body
    /// True when the chosen upstream failed and another one answered.
    public var fellBack: Bool
    /// From the start of the first attempt to the head that was kept.
    public var firstByteMs: Double
    /// Holds the upstream's concurrency slot until the body is read or abandoned.
    public let slot: UpstreamSlot
}
