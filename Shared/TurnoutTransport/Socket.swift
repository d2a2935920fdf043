import CTurnoutSystem
import Glibc

/// Thin wrappers over the socket calls the transport makes, each turning -1 into a `TransportError`.
enum Socket {
    /// A listening, non-blocking socket bound to `address`.
    static func listen(on address: SocketAddress, backlog: Int32) throws(TransportError) -> Int32 {
        let fd = cturnout_socket_nonblocking(address.family)
        guard fd >= 0 else { throw .system("socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.withSockaddr { bind(fd, $0, $1) }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw .system("bind(\(address))", errno: code)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw .system("listen", errno: code)
        }
        return fd
    }

    /// Starts a non-blocking connect; completion shows up as writability, then `pendingError`.
    static func startConnect(to address: SocketAddress) throws(TransportError) -> Int32 {
        let fd = cturnout_socket_nonblocking(address.family)
        guard fd >= 0 else { throw .system("socket", errno: errno) }
        setNoDelay(fd)
        let result = address.withSockaddr { connect(fd, $0, $1) }
        if result != 0, errno != EINPROGRESS {
            let code = errno
            close(fd)
            throw .system("connect(\(address))", errno: code)
        }
        return fd
    }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The error a non-blocking connect ended with, 0 on success.
    static func pendingError(_ fd: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
        return code
    }

    static func localAddress(_ fd: Int32) -> SocketAddress? {
        address(of: fd, getsockname)
    }

    static func peerAddress(_ fd: Int32) -> SocketAddress? {
        address(of: fd, getpeername)
    }

    /// Whether a connection's two ends are the same address: TCP's simultaneous open lets a
    /// connect to a local port with no listener land on itself, when the kernel happens to
    /// pick that very port as the local one. A client retrying a down server on loopback can
    /// get there; it would then read its own requests back, and hold the port the server needs.
    static func isConnectedToItself(_ fd: Int32) -> Bool {
        guard let local = localAddress(fd), let peer = peerAddress(fd) else { return false }
        return local == peer
    }

    private static func address(of fd: Int32, _ query: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { query(fd, $0, &length) == 0 }
        }
        guard ok else { return nil }
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0, length: length) }
        }
    }

    /// Writes as much of `bytes[offset...]` as the socket takes now; returns bytes written,
    /// or `nil` when the peer is gone.
    static func writeAvailable(_ fd: Int32, _ bytes: [UInt8], from offset: Int) -> Int? {
        var written = 0
        while offset + written < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset + written, raw.count - offset - written, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if result > 0 {
                written += result
                continue
            }
            if result < 0, errno == EINTR { continue }
            if result < 0, errno == EAGAIN || errno == EWOULDBLOCK { return written }
            return nil
        }
        return written
    }

    /// Raises the open-file limit to the hard limit: servers hold one descriptor per connection.
    static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// Process-wide settings every service needs before it opens sockets.
public enum ProcessSetup {
    /// Ignores SIGPIPE (writes use MSG_NOSIGNAL, but libraries may not) and raises the file limit.
    public static func prepareForNetworking() {
        signal(SIGPIPE, SIG_IGN)
        Socket.raiseOpenFileLimit()
    }
}
