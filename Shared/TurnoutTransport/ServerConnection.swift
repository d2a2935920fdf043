import Synchronization
import TurnoutWire

/// One accepted connection: turns frames into calls on the server and tracks its own backpressure.
final class ServerConnection: FramedConnection, @unchecked Sendable {
    // @unchecked Sendable: see FramedConnection; `inFlight` is atomic.
    private let server: WireServer
    let inFlight = Atomic<Int>(0)

    init(server: WireServer, loop: EventLoop, fd: Int32, peer: String) {
        self.server = server
        super.init(loop: loop, fd: fd, peer: peer, maxFrameSize: server.configuration.maxFrameSize, connected: true)
    }

    override func frameReceived(_ payload: [UInt8]) {
        server.handleFrame(payload, from: self)
    }

    override func framingFailed(_ error: FrameError) {
        // The claimed size was never allocated; say why, then close: the stream cannot resynchronise.
        var bytes: [UInt8] = []
        ResponseEnvelope(id: 0, error: RPCError(.resourceExhausted, error.description)).encodeFrame(into: &bytes)
        send(bytes)
        server.logger.warning("closing connection: \(error)", ["peer": .string(peer)])
    }

    override func connectionClosed(_ reason: CloseReason) {
        server.connectionClosed(self, reason: reason)
    }

    /// Counts a request in; pauses reading when too many are in flight.
    func requestStarted() {
        let now = inFlight.add(1, ordering: .relaxed).newValue
        if now >= server.configuration.maxInFlightPerConnection, !readPaused {
            readPaused = true
            updateInterest()
        }
    }

    override var hasPendingWork: Bool { inFlight.load(ordering: .relaxed) > 0 }

    /// Counts a request out (any thread); resumes reading once the backlog has drained.
    func requestFinished() {
        let before = inFlight.subtract(1, ordering: .relaxed).oldValue
        if before == 1 {
            loop.execute { [self] in
                if peerFinishedSending, inFlight.load(ordering: .relaxed) == 0 { closeAfterFlushing(.peerClosed) }
            }
        }
        guard before >= server.configuration.maxInFlightPerConnection else { return }
        loop.execute { [self] in
            guard readPaused, !isClosing, !peerFinishedSending, inFlight.load(ordering: .relaxed) < server.configuration.maxInFlightPerConnection else { return }
            readPaused = false
            markActive()
            updateInterest()
            processBufferedFrames()
        }
    }
}
