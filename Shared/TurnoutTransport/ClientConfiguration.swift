import TurnoutWire

/// How a `WireClient` finds, connects to and retries its endpoints.
public struct ClientConfiguration: Sendable {
    /// `host:port` targets. A name is re-resolved every `resolveInterval` and every address it
    /// returns becomes an endpoint, so a headless Kubernetes service or a scaled compose
    /// service spreads load with no balancer in between.
    public var targets: [HostPort]
    public var connectionsPerEndpoint = 1
    public var connectTimeout: Duration = .seconds(2)
    public var resolveInterval: Duration = .seconds(5)
    /// Attempts per call, counting the first; only idempotent methods get more than one.
    public var maxAttempts = 3
    /// First pause between attempts; doubles each time, never past the deadline.
    public var retryBackoff: Duration = .milliseconds(5)
    /// How long a failing endpoint is left out at first; doubles per consecutive failure.
    public var ejectionBackoff: Duration = .milliseconds(100)
    public var maxEjection: Duration = .seconds(10)
    public var maxFrameSize: Int = WireLimits.maxFrameSize
    /// Deadline for calls that have none of their own and none inherited; nil means none.
    public var defaultTimeout: Duration? = .seconds(30)
    /// Turns a target into addresses; the system resolver unless a test injects another.
    public var resolver: @Sendable (HostPort) throws(TransportError) -> [SocketAddress] = { target throws(TransportError) in
        try SocketAddress.resolve(target)
    }

    public init(targets: [HostPort]) {
        self.targets = targets
    }
}
