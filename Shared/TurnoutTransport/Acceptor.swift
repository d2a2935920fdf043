import CTurnoutSystem
import Dispatch
import Synchronization
import Glibc
import TurnoutTelemetry
import TurnoutWire

/// Accepts connections on a listening socket and hands each to `onAccept`.
final class Acceptor: Selectable, @unchecked Sendable {
    // @unchecked Sendable: all state is touched on `loop`'s thread only.
    private let loop: EventLoop
    private var fd: Int32
    private let logger: Logger
    private let onAccept: (Int32, String) -> Void

    init(loop: EventLoop, fd: Int32, logger: Logger, onAccept: @escaping (Int32, String) -> Void) {
        self.loop = loop
        self.fd = fd
        self.logger = logger
        self.onAccept = onAccept
    }

    func handleEvents(_ events: UInt32) {
        while fd >= 0 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { cturnout_accept_nonblocking(fd, $0, &length) }
            }
            if client >= 0 {
                Socket.setNoDelay(client)
                let peer = withUnsafePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0, length: length).description }
                }
                onAccept(client, peer)
                continue
            }
            switch errno {
            case EAGAIN, EWOULDBLOCK:
                return
            case EINTR, ECONNABORTED:
                continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                // Out of descriptors: stop accepting briefly instead of spinning on a level-triggered event.
                logger.error("accept failed: \(String(cString: strerror(errno))); pausing accepts for 100 ms")
                loop.modify(fd, events: 0)
                loop.schedule(after: .milliseconds(100)) { [self] in
                    if fd >= 0 { loop.modify(fd, events: EPOLLIN.rawValue) }
                }
                return
            default:
                logger.error("accept failed: \(String(cString: strerror(errno)))")
                return
            }
        }
    }

    /// Binds `listen`, starts accepting on `loop` (which must be running) and returns the bound address.
    static func start(listen: HostPort, backlog: Int32, loop: EventLoop, logger: Logger, onAccept: @escaping (Int32, String) -> Void) throws(TransportError) -> (Acceptor, SocketAddress) {
        let addresses = try SocketAddress.resolve(listen, passive: true)
        guard let address = addresses.first else {
            throw .resolutionFailed(host: listen.host, reason: "no addresses")
        }
        let fd = try Socket.listen(on: address, backlog: backlog)
        let bound = Socket.localAddress(fd) ?? address
        let acceptor = Acceptor(loop: loop, fd: fd, logger: logger, onAccept: onAccept)
        let failure = Mutex<TransportError?>(nil)
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            do throws(TransportError) {
                try loop.register(fd, events: EPOLLIN.rawValue, handler: acceptor)
            } catch {
                failure.withLock { $0 = error }
            }
            done.signal()
        }
        done.wait()
        if let error = failure.withLock({ $0 }) {
            close(fd)
            throw error
        }
        return (acceptor, bound)
    }

    /// Closes the listening socket.
    func stop() {
        guard fd >= 0 else { return }
        loop.deregister(fd)
        close(fd)
        fd = -1
    }
}
