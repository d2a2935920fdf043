import CTurnoutSystem
import Foundation
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

    /// A port that was free a moment ago, for servers that must be told a port up front
    /// (Redis, Prometheus, the services of `turnout up`, a scorer restarted on its port).
    ///
    /// Chosen below the kernel's ephemeral range (`ip_local_port_range`), where neither
    /// `bind` to port 0 nor an outgoing connection ever puts a socket. In that range, a port
    /// left free for a moment is soon some connection's local port, and a client retrying a
    /// down server there can even connect to itself (TCP simultaneous open), holding the port
    /// the server is about to be restarted on. Falls back to a kernel-chosen port.
    public static func freePort() throws(TransportError) -> UInt16 {
        let (low, _) = ephemeralRange()
        if low > 20_000 {
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<64 {
                let port = UInt16(Int.random(in: 10_000..<low, using: &generator))
                if let free = try? bindAndRelease(port) { return free }
            }
        }
        return try bindAndRelease(0)
    }

    /// `net.ipv4.ip_local_port_range`, or Linux's default when it cannot be read.
    static func ephemeralRange() -> (Int, Int) {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else { return (32768, 60999) }
        let numbers = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        return numbers.count == 2 ? (numbers[0], numbers[1]) : (32768, 60999)
    }

    /// Binds 127.0.0.1:`port` (0: any), reads the port bound and releases it.
    private static func bindAndRelease(_ port: UInt16) throws(TransportError) -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno: errno) }
        defer { close(fd) }
        var address = loopback(port: port)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw .system("bind(127.0.0.1:\(port))", errno: errno) }
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
