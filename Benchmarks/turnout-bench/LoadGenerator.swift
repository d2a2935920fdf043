import CTurnoutSystem
import Dispatch
import Glibc
import TurnoutTransport
import TurnoutWire

/// A lean, single-threaded load generator for the wire protocol, built like `redis-benchmark`:
/// one epoll loop, `connections` sockets, each keeping `pipeline` requests in flight.
///
/// It deliberately bypasses `WireClient` (tasks, continuations, balancing) so the numbers
/// measure the server, as redis-benchmark's numbers measure Redis.
struct LoadGenerator {
    struct Result {
        var completed: Int
        var errors: Int
        var seconds: Double
        /// Sorted round-trip latencies in nanoseconds.
        var latencies: [UInt64]

        var requestsPerSecond: Double { seconds > 0 ? Double(completed) / seconds : 0 }

        func percentileMicroseconds(_ fraction: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let index = min(latencies.count - 1, Int((Double(latencies.count) * fraction).rounded(.down)))
            return Double(latencies[index]) / 1000
        }
    }

    enum Failure: Error, CustomStringConvertible {
        case connect(String)
        case io(String)

        var description: String {
            switch self {
            case let .connect(message): "connect: \(message)"
            case let .io(message): "i/o: \(message)"
            }
        }
    }

    private final class Connection {
        let fd: Int32
        var decoder = FrameDecoder()
        var nextID: UInt64 = 1
        var sentAt: [UInt64: UInt64] = [:]
        var pendingOutput: [UInt8] = []

        init(fd: Int32) { self.fd = fd }
    }

    let port: UInt16
    let connections: Int
    let pipeline: Int
    let method: String
    let body: [UInt8]

    /// Runs for `warmup`, then measures for `duration`.
    func run(warmup: Duration, duration: Duration) throws(Failure) -> Result {
        let epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        defer { close(epollFD) }
        var conns: [Int32: Connection] = [:]
        defer { for fd in conns.keys { close(fd) } }
        for _ in 0..<connections {
            let fd = try connect()
            let connection = Connection(fd: fd)
            conns[fd] = connection
            var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: fd))
            epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
        }
        let start = now()
        let measureFrom = start + warmup.nanoseconds
        let end = measureFrom + duration.nanoseconds
        var latencies: [UInt64] = []
        latencies.reserveCapacity(1 << 20)
        var completed = 0
        var errors = 0
        for connection in conns.values {
            for _ in 0..<pipeline { enqueue(connection) }
            try flush(connection)
        }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 8)
        defer { scratch.deallocate() }
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        var sending = true
        var outstanding = connections * pipeline
        while outstanding > 0 {
            let count = epoll_wait(epollFD, &events, Int32(events.count), 1000)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw .io("no response for 1 s") }
            let time = now()
            if time >= end { sending = false }
            for index in 0..<Int(count) {
                guard let connection = conns[events[index].data.fd] else { continue }
                let received = read(connection.fd, scratch.baseAddress, scratch.count)
                if received <= 0 {
                    if received < 0, errno == EAGAIN { continue }
                    throw .io("server closed the connection")
                }
                connection.decoder.append(UnsafeRawBufferPointer(rebasing: scratch[0..<received]))
                while let payload = try? connection.decoder.nextFrame() {
                    let response: ResponseEnvelope
                    do {
                        response = try ResponseEnvelope.parse(payload)
                    } catch {
                        throw .io("malformed response: \(error.message)")
                    }
                    outstanding -= 1
                    if let sent = connection.sentAt.removeValue(forKey: response.id), time >= measureFrom, sent >= measureFrom {
                        if response.code == .ok {
                            completed += 1
                            latencies.append(time - sent)
                        } else {
                            errors += 1
                        }
                    }
                    if sending {
                        enqueue(connection)
                        outstanding += 1
                    }
                }
                try flush(connection)
            }
        }
        let measured = Double(min(now(), end) - measureFrom) / 1e9
        latencies.sort()
        return Result(completed: completed, errors: errors, seconds: measured, latencies: latencies)
    }

    private func enqueue(_ connection: Connection) {
        let id = connection.nextID
        connection.nextID += 1
        RequestEnvelope(id: id, method: method, body: body).encodeFrame(into: &connection.pendingOutput)
        connection.sentAt[id] = now()
    }

    private func flush(_ connection: Connection) throws(Failure) {
        var offset = 0
        while offset < connection.pendingOutput.count {
            let written = connection.pendingOutput.withUnsafeBytes {
                send(connection.fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .io("send: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        connection.pendingOutput.removeAll(keepingCapacity: true)
    }

    private func connect() throws(Failure) -> Int32 {
        do {
            return try LoopbackSocket.connect(port: port)
        } catch {
            throw .connect(error.description)
        }
    }

    private func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
