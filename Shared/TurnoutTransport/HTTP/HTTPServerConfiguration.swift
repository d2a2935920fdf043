import TurnoutJSON
import TurnoutWire

/// Tunables of the HTTP server.
public struct HTTPServerConfiguration: Sendable {
    public var listen: HostPort
    /// Request line plus headers; larger gets 431.
    public var maxHeaderBytes = 16 * 1024
    /// Request body; larger gets 413.
    public var maxBodyBytes = 8 << 20
    /// A request that starts arriving and stalls this long is dropped.
    public var readTimeout: Duration = .seconds(30)
    /// A request must arrive whole within this long of its first byte, even one that never
    /// stalls: a client trickling a byte a second (slowloris) would otherwise hold its
    /// connection forever.
    public var requestTimeout: Duration = .seconds(60)
    /// A kept-alive connection idle this long is closed.
    public var idleTimeout: Duration = .seconds(75)
    public var drainTimeout: Duration = .seconds(10)
    public var ioThreads = 1
    public var maxConcurrentHandlers = 512
    public var backlog: Int32 = 1024
    /// The body of errors the server itself produces (400, 413, 431, 503...); plain JSON by default.
    public var errorBody: @Sendable (_ status: Int, _ message: String) -> HTTPServerResponse = { status, message in
        var body: [UInt8] = []
        JSONWriter.appendRaw("{\"error\":{\"message\":", to: &body)
        JSONWriter.appendString(message, to: &body)
        JSONWriter.appendRaw("}}", to: &body)
        return .json(status, body)
    }

    public init(listen: HostPort) {
        self.listen = listen
    }
}
