import Glibc
import Testing
@testable import TurnoutTransport

/// TCP's simultaneous open: a socket bound to a port and connected to that same port is
/// connected to itself. Clients refuse such connections (`finishConnect`); this checks that
/// the test they rely on recognises one, and does not mistake an ordinary connection for it.
@Suite struct SelfConnectTests {
    @Test func aConnectionToItselfIsRecognisedAndAnOrdinaryOneIsNot() throws {
        let port = try LoopbackSocket.freePort()
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        func call(_ body: (UnsafePointer<sockaddr>) -> Int32) -> Int32 {
            withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
        }

        let lonely = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(lonely) }
        try #require(call { bind(lonely, $0, length) } == 0)
        try #require(call { connect(lonely, $0, length) } == 0, "connecting a socket to its own port opens simultaneously")
        #expect(Socket.isConnectedToItself(lonely))

        // A listener on another free port, and an ordinary client of it.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        address.sin_port = try LoopbackSocket.freePort().bigEndian
        try #require(call { bind(listener, $0, length) } == 0 && listen(listener, 1) == 0)
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        try #require(call { connect(client, $0, length) } == 0)
        #expect(!Socket.isConnectedToItself(client))
    }

    /// Ports for servers told a port up front come from below the ephemeral range, where no
    /// outgoing connection can take them in the meantime.
    @Test func freePortsAvoidTheEphemeralRange() throws {
        let (low, _) = LoopbackSocket.ephemeralRange()
        for _ in 0..<20 {
            let port = Int(try LoopbackSocket.freePort())
            // Where the range starts too low to leave room, the kernel's choice is taken.
            #expect(low <= 20_000 || (port >= 10_000 && port < low), "port \(port), ephemeral range from \(low)")
        }
    }
}
