import CTurnoutSystem
import Glibc

/// Blocking loopback sockets for tools and tests that drive servers from outside:
/// benchmark load, raw protocol probes, and servers that cannot report the port they bound.
public enum LoopbackSocket {
    /// A connected, blocking TCP socket to 127.0.0.1:`port` with TCP_NODELAY.
    /// Close-on-exec, like every socket Turnout opens: a process spawned meanwhile must not
    /// inherit it, or closing it here would not close the connection.
    public static func connect(port: UInt16) throws(TransportError) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno: errno) }
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw .system("connect(127.0.0.1:\(port))", errno: code)
        }
        Socket.setNoDelay(fd)
        return fd
    }

    /// A port that was free a moment ago (bound, read, released). Racy by nature: only for
    /// servers such as Redis or Prometheus that must be told a port up front.
    public static func freePort() throws(TransportError) -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno: errno) }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw .system("bind(127.0.0.1:0)", errno: errno) }
        return UInt16(bigEndian: address.sin_port)
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
