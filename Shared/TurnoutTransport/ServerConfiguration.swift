import TurnoutWire

/// Tunables of a wire server. Defaults suit a production service; tests shrink the timeouts.
public struct ServerConfiguration: Sendable {
    /// Where to listen; port 0 picks a free port (see `WireServer.localAddress`).
    public var listen: HostPort
    public var maxFrameSize: Int = WireLimits.maxFrameSize
    /// Requests one connection may have in flight before it stops being read.
    public var maxInFlightPerConnection: Int = 256
    /// Handlers running at once across the server; more wait in a queue.
    public var maxConcurrentHandlers: Int = 256
    /// A connection that starts a frame and sends nothing more for this long is closed.
    public var readTimeout: Duration = .seconds(30)
    /// A connection with nothing in flight and nothing read for this long is closed.
    public var idleTimeout: Duration = .seconds(600)
    /// How long a graceful shutdown waits for in-flight requests.
    public var drainTimeout: Duration = .seconds(10)
    /// Event-loop threads doing socket I/O.
    public var ioThreads: Int = 1
    public var backlog: Int32 = 1024

    public init(listen: HostPort) {
        self.listen = listen
    }
}
