import Dispatch
import Synchronization
import TurnoutJSON
import TurnoutTelemetry
import TurnoutWire

/// An HTTP/1.1 server on the same event-loop design as the wire server: epoll threads for
/// I/O, handlers on a bounded pool of tasks, keep-alive, Content-Length and chunked bodies,
/// size limits (413, 431), read and idle timeouts, graceful drain.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPServerRequest) async -> HTTPServerResponse

    public let configuration: HTTPServerConfiguration
    let logger: Logger
    private let handler: Handler
    private let host: ConnectionHost<HTTPServerConnection>
    private let pool: HandlerPool
    private let inFlight = Atomic<Int>(0)
    private let draining = Atomic<Bool>(false)

    public init(configuration: HTTPServerConfiguration, logger: Logger, handler: @escaping Handler) throws(TransportError) {
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
        host = try ConnectionHost(name: "http", ioThreads: configuration.ioThreads, logger: logger)
        pool = HandlerPool(limit: configuration.maxConcurrentHandlers)
    }

    public var localAddress: SocketAddress? { host.localAddress }
    public var isDraining: Bool { draining.load(ordering: .acquiring) }

    public func start() throws(TransportError) {
        let readLimit = configuration.readTimeout.nanoseconds
        let requestLimit = configuration.requestTimeout.nanoseconds
        let idleLimit = configuration.idleTimeout.nanoseconds
        try host.start(listen: configuration.listen, backlog: configuration.backlog, sweepEvery: min(.milliseconds(250), configuration.readTimeout / 4, configuration.requestTimeout / 4)) { [unowned self] loop, fd, peer in
            HTTPServerConnection(server: self, loop: loop, fd: fd, peer: peer)
        } sweep: { [unowned self] connection, now in
            guard !connection.busy else { return }
            let quiet = now &- connection.lastReadNanos
            if connection.hasPartialInput, quiet > readLimit || now &- connection.requestStartedNanos > requestLimit {
                writeError(408, "request not received in time", on: connection)
                connection.closeAfterFlushing(.readTimeout)
            } else if !connection.hasPartialInput, quiet > idleLimit {
                connection.close(.idleTimeout)
            }
        }
    }

    /// Stops accepting, lets in-flight requests finish within the drain timeout, then closes.
    public func shutdown() async {
        guard !draining.exchange(true, ordering: .acquiringAndReleasing) else { return }
        host.stopAccepting()
        let deadline = Deadline.after(configuration.drainTimeout)
        while inFlight.load(ordering: .acquiring) > 0, !deadline.hasPassed {
            try? await Task.sleep(for: .milliseconds(5))
        }
        await host.closeAll()
    }

    func connectionClosed(_ connection: HTTPServerConnection, reason: CloseReason) {
        host.remove(connection)
        logger.debug("HTTP connection closed", ["peer": .string(connection.peer), "reason": .string(reason.description)])
    }

    // MARK: Requests.

    func dispatch(_ request: HTTPServerRequest, on connection: HTTPServerConnection) {
        if draining.load(ordering: .relaxed) {
            let response = configuration.errorBody(503, "server is shutting down")
            write(response, for: request, keepAlive: false, on: connection)
            return
        }
        inFlight.add(1, ordering: .relaxed)
        pool.submit { [self] in
            let response = await handler(request)
            await deliver(response, for: request, on: connection)
            inFlight.subtract(1, ordering: .relaxed)
        }
    }

    private func deliver(_ response: HTTPServerResponse, for request: HTTPServerRequest, on connection: HTTPServerConnection) async {
        let keepAlive = request.keepAlive && !draining.load(ordering: .relaxed)
        switch response.body {
        case .bytes:
            write(response, for: request, keepAlive: keepAlive, on: connection)
        case let .stream(produce):
            // HTTP/1.0 has no chunked encoding: stream raw and close to mark the end.
            let chunked = request.minorVersion >= 1
            let head = responseHead(response, keepAlive: keepAlive && chunked, length: nil, chunked: chunked)
            connection.send(head)
            let writer = HTTPBodyWriter(connection: connection, chunked: chunked)
            if request.method != "HEAD" { await produce(writer) }
            // A HEAD answer has no body, so no last chunk either.
            if chunked, request.method != "HEAD" { connection.send(Array("0\r\n\r\n".utf8)) }
            connection.responseFinished(keepAlive: keepAlive && chunked)
        }
        response.afterDelivery?()
    }

    /// Writes a whole response and tells the connection it may go on.
    private func write(_ response: HTTPServerResponse, for request: HTTPServerRequest, keepAlive: Bool, on connection: HTTPServerConnection) {
        guard case let .bytes(body) = response.body else { return }
        var bytes = responseHead(response, keepAlive: keepAlive, length: body.count, chunked: false)
        if request.method != "HEAD" { bytes.append(contentsOf: body) }
        connection.send(bytes)
        connection.responseFinished(keepAlive: keepAlive)
    }

    /// An error answered by the server itself; the connection closes after it.
    func writeError(_ status: Int, _ message: String, on connection: HTTPServerConnection) {
        let response = configuration.errorBody(status, message)
        guard case let .bytes(body) = response.body else { return }
        var bytes = responseHead(response, keepAlive: false, length: body.count, chunked: false)
        bytes.append(contentsOf: body)
        connection.send(bytes)
    }

    private func responseHead(_ response: HTTPServerResponse, keepAlive: Bool, length: Int?, chunked: Bool) -> [UInt8] {
        var head: [UInt8] = []
        head.reserveCapacity(256)
        func append(_ text: String) { head.append(contentsOf: text.utf8) }
        append("HTTP/1.1 \(response.status) \(HTTPServerResponse.reason(response.status))\r\n")
        for header in response.headers {
            switch header.name.lowercased() {
            case "content-length", "transfer-encoding", "connection": continue
            default: break
            }
            append(header.name)
            append(": ")
            // Handlers' header values never reach the wire with line breaks in them.
            head.append(contentsOf: header.value.utf8.filter { $0 != 0x0D && $0 != 0x0A })
            append("\r\n")
        }
        append("Date: ")
        head.append(contentsOf: HTTPServerResponse.cachedDate())
        append("\r\n")
        if let length { append("Content-Length: \(length)\r\n") }
        if chunked { append("Transfer-Encoding: chunked\r\n") }
        append(keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n")
        return head
    }
}
