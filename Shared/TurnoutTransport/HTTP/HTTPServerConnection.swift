import TurnoutWire

/// One HTTP/1.x connection: parses requests, hands one at a time to the server, keeps alive.
///
/// Requests are served strictly one after another: HTTP/1.1 responses must come back in
/// order, so a pipelined request waits, unparsed, in the buffer (which also stops reading:
/// backpressure) until the one before it has been answered.
final class HTTPServerConnection: StreamConnection, @unchecked Sendable {
    // @unchecked Sendable: see StreamConnection; `parser`, `busy`, `sentContinue` are loop-thread only.
    private let server: HTTPServer
    private var parser: HTTPRequestParser
    private(set) var busy = false
    private var sentContinue = false
    /// When the first byte of the request now being received arrived: a request must be whole
    /// within the server's `requestTimeout` of it, however slowly it trickles in.
    private(set) var requestStartedNanos: UInt64 = 0

    init(server: HTTPServer, loop: EventLoop, fd: Int32, peer: String) {
        self.server = server
        parser = HTTPRequestParser(maxHeaderBytes: server.configuration.maxHeaderBytes, maxBodyBytes: server.configuration.maxBodyBytes)
        super.init(loop: loop, fd: fd, peer: peer, connected: true)
    }

    override func bytesReceived(_ bytes: UnsafeRawBufferPointer) {
        if parser.bufferedByteCount == 0, !busy { requestStartedNanos = Deadline.nowNanos() }
        parser.append(bytes)
        processBufferedRequests()
    }

    override var hasPartialInput: Bool { parser.bufferedByteCount > 0 && !busy }

    override var hasPendingWork: Bool { busy }

    override func connectionClosed(_ reason: CloseReason) {
        server.connectionClosed(self, reason: reason)
    }

    func processBufferedRequests() {
        guard !busy, !isClosing else { return }
        let request: HTTPServerRequest?
        do {
            request = try parser.nextRequest()
        } catch {
            server.logger.info("refusing a malformed HTTP request", ["peer": .string(peer), "status": .int(error.status), "error": .string(error.description)])
            server.writeError(error.status, error.description, on: self)
            closeAfterFlushing(.malformedRequest(error.description))
            return
        }
        guard let request else {
            if parser.awaitsContinue, !sentContinue {
                sentContinue = true
                send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            }
            return
        }
        sentContinue = false
        busy = true
        readPaused = true
        updateInterest()
        server.dispatch(request, on: self)
    }

    /// The response has been written (any thread): serve the next request or close.
    func responseFinished(keepAlive: Bool) {
        loop.execute { [self] in
            busy = false
            markActive()
            guard keepAlive, !peerFinishedSending else {
                closeAfterFlushing(.closedAfterFlush)
                return
            }
            readPaused = false
            updateInterest()
            // Pipelined bytes already here start the next request's clock now.
            requestStartedNanos = Deadline.nowNanos()
            processBufferedRequests()
        }
    }
}
