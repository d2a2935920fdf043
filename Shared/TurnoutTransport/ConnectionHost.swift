import Synchronization
import TurnoutTelemetry
import TurnoutWire

/// What every server built on the event loops shares, whatever it speaks: the I/O threads,
/// the listening socket, the set of open connections spread over the loops, a periodic
/// sweep for timeouts, and closing everything at the end of a drain.
final class ConnectionHost<Connection: StreamConnection>: Sendable {
    private struct State {
        var acceptor: Acceptor?
        var localAddress: SocketAddress?
        var connections: [ObjectIdentifier: Connection] = [:]
    }

    let loops: [EventLoop]
    private let logger: Logger
    private let state = Mutex(State())
    private let nextLoop = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)

    init(name: String, ioThreads: Int, logger: Logger) throws(TransportError) {
        var loops: [EventLoop] = []
        for index in 0..<max(1, ioThreads) {
            loops.append(try EventLoop(name: "\(name)-io-\(index)"))
        }
        self.loops = loops
        self.logger = logger
    }

    var localAddress: SocketAddress? { state.withLock { $0.localAddress } }
    var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Starts the loops, binds `listen`, and from then on turns each accepted socket into a
    /// connection with `make`; `sweep` sees every connection of a loop every `sweepEvery`.
    func start(listen: HostPort, backlog: Int32, sweepEvery: Duration,
               make: @escaping @Sendable (EventLoop, Int32, String) -> Connection,
               sweep: @escaping @Sendable (Connection, UInt64) -> Void) throws(TransportError) {
        for loop in loops { loop.start() }
        let (acceptor, bound) = try Acceptor.start(listen: listen, backlog: backlog, loop: loops[0], logger: logger) { [unowned self] fd, peer in
            let loop = loops[nextLoop.add(1, ordering: .relaxed).oldValue % loops.count]
            let connection = make(loop, fd, peer)
            state.withLock { $0.connections[ObjectIdentifier(connection)] = connection }
            let register: @Sendable () -> Void = { [logger] in
                do throws(TransportError) {
                    try connection.register()
                } catch {
                    logger.error("could not register a connection: \(error)", ["peer": .string(peer)])
                    connection.close(.shutdown)
                }
            }
            if loop.inEventLoop { register() } else { loop.execute(register) }
        }
        state.withLock {
            $0.acceptor = acceptor
            $0.localAddress = bound
        }
        for loop in loops {
            loop.execute { self.scheduleSweep(on: loop, every: sweepEvery, sweep) }
        }
    }

    /// Forgets a connection that closed.
    func remove(_ connection: Connection) {
        state.withLock { _ = $0.connections.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    /// Closes the listening socket; open connections stay.
    func stopAccepting() {
        if let acceptor = state.withLock({ $0.acceptor }) {
            loops[0].execute { acceptor.stop() }
        }
    }

    /// Closes every connection once its output is written (forcing after a second), then stops the loops.
    func closeAll() async {
        stopping.store(true, ordering: .releasing)
        for connection in state.withLock({ Array($0.connections.values) }) {
            connection.loop.execute { connection.closeAfterFlushing(.shutdown) }
        }
        let deadline = Deadline.after(milliseconds: 1000)
        while connectionCount > 0, !deadline.hasPassed {
            try? await Task.sleep(for: .milliseconds(5))
        }
        for connection in state.withLock({ Array($0.connections.values) }) {
            connection.loop.execute { connection.close(.shutdown) }
        }
        for loop in loops { loop.stop() }
    }

    private func scheduleSweep(on loop: EventLoop, every interval: Duration, _ sweep: @escaping @Sendable (Connection, UInt64) -> Void) {
        guard !stopping.load(ordering: .acquiring) else { return }
        loop.schedule(after: interval) { [self] in
            let now = Deadline.nowNanos()
            for connection in state.withLock({ $0.connections.values.filter { $0.loop === loop } }) {
                sweep(connection, now)
            }
            scheduleSweep(on: loop, every: interval, sweep)
        }
    }
}
