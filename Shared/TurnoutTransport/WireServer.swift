import CTurnoutSystem
import Dispatch
import Glibc
import Synchronization
import TurnoutTelemetry
import TurnoutWire

/// A server for the framed JSON protocol: epoll loops for I/O, a bounded pool for handlers.
///
/// It knows nothing of what the handlers do. Lifecycle: `start()` binds and serves;
/// `shutdown()` stops accepting, reports NOT_SERVING, lets in-flight calls finish within the
/// drain timeout, then closes every connection.
public final class WireServer: Sendable {
    public let configuration: ServerConfiguration
    public let registry: HandlerRegistry
    let logger: Logger
    let metrics: WireServerMetrics
    private let host: ConnectionHost<ServerConnection>
    private let pool: HandlerPool
    private let totalInFlight = Atomic<Int>(0)
    private let draining = Atomic<Bool>(false)

    /// - Parameter metrics: where request counts and latencies go; a private registry when nil.
    public init(configuration: ServerConfiguration, registry: HandlerRegistry, logger: Logger, metrics: MetricsRegistry? = nil) throws(TransportError) {
        self.configuration = configuration
        self.registry = registry
        self.logger = logger
        self.metrics = WireServerMetrics(registry: metrics ?? MetricsRegistry(), methods: registry.descriptors.map(\.fullName))
        host = try ConnectionHost(name: "wire", ioThreads: configuration.ioThreads, logger: logger)
        pool = HandlerPool(limit: configuration.maxConcurrentHandlers)
    }

    /// The bound address; meaningful after `start()`.
    public var localAddress: SocketAddress? { host.localAddress }

    public var health: HealthMonitor { registry.health }

    public var isDraining: Bool { draining.load(ordering: .acquiring) }

    /// Open connections right now.
    public var connectionCount: Int { host.connectionCount }

    /// Binds, listens and starts serving.
    /// - Throws: `TransportError` when the address cannot be resolved or bound.
    public func start() throws(TransportError) {
        let readLimit = configuration.readTimeout.nanoseconds
        let idleLimit = configuration.idleTimeout.nanoseconds
        try host.start(listen: configuration.listen, backlog: configuration.backlog, sweepEvery: min(.milliseconds(250), configuration.readTimeout / 4)) { [unowned self] loop, fd, peer in
            metrics.connections.add(1)
            return ServerConnection(server: self, loop: loop, fd: fd, peer: peer)
        } sweep: { connection, now in
            // A frame that started and stalls, or a connection with nothing to do, is closed.
            let quiet = now &- connection.lastReadNanos
            // A paused connection is waiting on us (backpressure), not on its peer.
            if connection.hasPartialInput, !connection.readPaused, quiet > readLimit {
                connection.close(.readTimeout)
            } else if !connection.hasPartialInput, connection.inFlight.load(ordering: .relaxed) == 0, quiet > idleLimit {
                connection.close(.idleTimeout)
            }
        }
    }

    /// Gracefully stops: no new connections, NOT_SERVING, in-flight calls drain, then close.
    public func shutdown() async {
        guard !draining.exchange(true, ordering: .acquiringAndReleasing) else { return }
        registry.health.setOverall(.notServing)
        host.stopAccepting()
        let deadline = Deadline.after(configuration.drainTimeout)
        while totalInFlight.load(ordering: .acquiring) > 0, !deadline.hasPassed {
            try? await Task.sleep(for: .milliseconds(5))
        }
        let abandoned = totalInFlight.load(ordering: .acquiring)
        if abandoned > 0 {
            logger.warning("drain timeout: closing with requests still in flight", ["in_flight": .int(abandoned)])
        }
        await host.closeAll()
    }

    func connectionClosed(_ connection: ServerConnection, reason: CloseReason) {
        host.remove(connection)
        metrics.connections.add(-1)
        switch reason {
        case .peerClosed, .shutdown, .closedAfterFlush:
            logger.debug("connection closed", ["peer": .string(connection.peer), "reason": .string(reason.description)])
        default:
            logger.info("connection closed", ["peer": .string(connection.peer), "reason": .string(reason.description)])
        }
    }

    // MARK: Requests.

    /// Parses one frame and either answers it at once (errors) or queues its handler.
    func handleFrame(_ payload: [UInt8], from connection: ServerConnection) {
        let arrival = Deadline.nowNanos()
        let request: RequestEnvelope
        do {
            request = try RequestEnvelope.parse(payload)
        } catch {
            respond(to: connection, ResponseEnvelope(id: error.requestID ?? 0, error: RPCError(.invalidArgument, error.message)), method: "unknown", arrival: arrival)
            return
        }
        guard let entry = registry.entry(for: request.method) else {
            respond(to: connection, ResponseEnvelope(id: request.id, error: RPCError(
                .unimplemented, "unknown method \"\(request.method)\" (Reflection/List lists the methods served)")), method: request.method, arrival: arrival)
            return
        }
        if draining.load(ordering: .relaxed), entry.descriptor.service != "Health" {
            respond(to: connection, ResponseEnvelope(id: request.id, error: RPCError(.unavailable, "server is shutting down")), method: request.method, arrival: arrival)
            return
        }
        let deadline = request.deadlineMilliseconds.map {
            Deadline(uptimeNanoseconds: arrival &+ UInt64(min($0, 1e12) * 1_000_000))
        }
        if let deadline, deadline.uptimeNanoseconds <= arrival {
            respond(to: connection, ResponseEnvelope(id: request.id, error: expired(request)), method: request.method, arrival: arrival)
            return
        }
        connection.requestStarted()
        totalInFlight.add(1, ordering: .relaxed)
        metrics.inFlight.add(1)
        let context = CallContext(method: request.method, requestID: request.id, metadata: request.metadata, deadline: deadline, peer: connection.peer)
        pool.submit { [self] in
            let response: ResponseEnvelope
            if let deadline, deadline.hasPassed {
                response = ResponseEnvelope(id: request.id, error: expired(request))
            } else {
                let outcome = await registry.invoke(entry, body: request.body, context: context)
                if let error = outcome.error, error.code == .internal || error.code == .unknown || error.code == .dataLoss {
                    logger.error("handler failed", ["method": .string(request.method), "error": .string(error.description)])
                }
                response = ResponseEnvelope(id: request.id, code: outcome.code, message: outcome.message, body: outcome.body)
            }
            respond(to: connection, response, method: request.method, arrival: arrival)
            connection.requestFinished()
            totalInFlight.subtract(1, ordering: .relaxed)
            metrics.inFlight.add(-1)
        }
    }

    private func expired(_ request: RequestEnvelope) -> RPCError {
        RPCError(.deadlineExceeded, "deadline of \(Int64(request.deadlineMilliseconds ?? 0)) ms passed before \(request.method) ran")
    }

    private func respond(to connection: ServerConnection, _ response: ResponseEnvelope, method: String, arrival: UInt64) {
        var bytes: [UInt8] = []
        response.encodeFrame(into: &bytes)
        var code = response.code
        let size = bytes.count - 4
        if size > configuration.maxFrameSize {
            code = .resourceExhausted
            bytes.removeAll()
            ResponseEnvelope(id: response.id, error: RPCError(
                .resourceExhausted, "response of \(size) bytes exceeds the frame limit of \(configuration.maxFrameSize) bytes"
            )).encodeFrame(into: &bytes)
        }
        metrics.record(method: method, code: code, seconds: Double(Deadline.nowNanos() &- arrival) / 1e9)
        connection.send(bytes)
    }
}
