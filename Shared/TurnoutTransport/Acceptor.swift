import CTurnoutSystem
import Glibc
import TurnoutWire

/// Accepts connections on the listening socket and hands them to the server.
final class Acceptor: Selectable, @unchecked Sendable {
    // @unchecked Sendable: all state is touched on `loop`'s thread only.
    private unowned let server: WireServer
    private let loop: EventLoop
    private var fd: Int32
    private var pausedUntil: UInt64 = 0

    init(server: WireServer, loop: EventLoop, fd: Int32) {
        self.server = server
        self.loop = loop
        self.fd = fd
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
                server.accepted(fd: client, peer: peer)
                continue
            }
            switch errno {
            case EAGAIN, EWOULDBLOCK:
                return
            case EINTR, ECONNABORTED:
                continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                // Out of descriptors: stop accepting briefly instead of spinning on a level-triggered event.
                server.logger.error("accept failed: \(String(cString: strerror(errno))); pausing accepts for 100 ms")
                loop.modify(fd, events: 0)
                loop.schedule(after: .milliseconds(100)) { [self] in
                    if fd >= 0 { loop.modify(fd, events: EPOLLIN.rawValue) }
                }
                return
            default:
                server.logger.error("accept failed: \(String(cString: strerror(errno)))")
                return
            }
        }
    }

    /// Closes the listening socket.
    func stop() {
        guard fd >= 0 else { return }
        loop.deregister(fd)
        close(fd)
        fd = -1
    }
}
