import Synchronization
import TurnoutTelemetry
import TurnoutWire

/// One resolved server address, its connections and its ejection state.
final class Endpoint: Sendable {
    let address: SocketAddress
    let key: String

    private struct State {
        var connections: [ClientConnection] = []
        var consecutiveFailures = 0
        var ejectedUntil: UInt64 = 0
        /// Calls in a row that timed out or were beaten by a hedge.
        var slowStrikes = 0
    }

    private let state = Mutex(State())

    init(address: SocketAddress) {
        self.address = address
        self.key = address.description
    }

    /// Calls waiting on this endpoint, for power-of-two-choices balancing.
    var outstanding: Int {
        state.withLock { $0.connections.reduce(0) { $0 + $1.outstanding.load(ordering: .relaxed) } }
    }

    func isEjected(now: UInt64) -> Bool {
        state.withLock { $0.ejectedUntil > now }
    }

    var ejectedUntil: UInt64 { state.withLock { $0.ejectedUntil } }

    /// A usable connection: the least loaded, or a new one while fewer than `limit` exist.
    func connection(loop: EventLoop, configuration: ClientConfiguration, logger: Logger) throws(TransportError) -> ClientConnection {
        let existing = state.withLock { state -> ClientConnection? in
            state.connections.removeAll { !$0.isUsable }
            guard state.connections.count >= configuration.connectionsPerEndpoint else { return nil }
            return state.connections.min { $0.outstanding.load(ordering: .relaxed) < $1.outstanding.load(ordering: .relaxed) }
        }
        if let existing { return existing }
        let fd = try Socket.startConnect(to: address)
        let connection = ClientConnection(
            loop: loop, fd: fd, peer: key, maxFrameSize: configuration.maxFrameSize, logger: logger
        ) { [weak self] _, reason, hadCalls in
            guard let self else { return }
            switch reason {
            case .connectFailed, .readFailed:
                self.recordFailure(configuration)
            case .peerClosed, .eofInsideFrame:
                // A server closing an idle connection (idle timeout, restart) is routine; losing calls is not.
                if hadCalls { self.recordFailure(configuration) }
            default:
                break
            }
        }
        state.withLock { $0.connections.append(connection) }
        let timeout = configuration.connectTimeout
        loop.execute {
            do throws(TransportError) {
                try connection.register()
                loop.schedule(after: timeout) {
                    if connection.withOutput({ !$0.connected }) {
                        connection.close(.connectFailed(errno: ETIMEDOUT))
                    }
                }
            } catch {
                logger.error("could not register client connection: \(error)")
                connection.close(.shutdown)
            }
        }
        return connection
    }

    /// Leaves this endpoint out for a while, longer after each consecutive failure.
    func recordFailure(_ configuration: ClientConfiguration) {
        state.withLock { state in
            state.consecutiveFailures += 1
            let exponent = min(state.consecutiveFailures - 1, 16)
            let base = configuration.ejectionBackoff.nanoseconds
            let pause = min(base << UInt64(exponent), configuration.maxEjection.nanoseconds)
            state.ejectedUntil = Deadline.nowNanos() + pause
        }
    }

    /// Strikes needed to eject an endpoint that answers nothing in time but never fails.
    static let slowStrikesToEject = 3

    /// A call here timed out, or a hedge elsewhere answered first: after three in a row the
    /// endpoint is ejected as a failing one would be. A frozen replica accepts connections
    /// and never answers, so it is caught only this way.
    func recordSlow(_ configuration: ClientConfiguration) {
        let eject = state.withLock { state -> Bool in
            state.slowStrikes += 1
            guard state.slowStrikes >= Self.slowStrikesToEject else { return false }
            state.slowStrikes = 0
            return true
        }
        if eject { recordFailure(configuration) }
    }

    func recordSuccess() {
        state.withLock { state in
            state.slowStrikes = 0
            if state.consecutiveFailures != 0 {
                state.consecutiveFailures = 0
                state.ejectedUntil = 0
            }
        }
    }

    func expireDeadlines(now: UInt64) {
        for connection in state.withLock({ $0.connections }) {
            connection.expireDeadlines(now: now)
        }
    }

    /// Closes every connection (loop thread).
    func closeAll() {
        for connection in state.withLock({ $0.connections }) {
            connection.close(.shutdown)
        }
    }
}

import Glibc
