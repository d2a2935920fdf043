import CTurnoutSystem
import Dispatch
import Foundation
import Glibc
import TurnoutTransport

/// A lean HTTP/1.1 load generator in the manner of `wrk`: one epoll loop, `connections`
/// keep-alive sockets, one request in flight on each. Responses are read by Content-Length,
/// which is all the dispatcher and the stub upstream send for non-streamed answers.
struct HTTPLoadGenerator {
    private final class Connection {
        let fd: Int32
        var buffer: [UInt8] = []
        var sentAt: UInt64 = 0

        init(fd: Int32) { self.fd = fd }
    }

    let port: UInt16
    let connections: Int
    /// The whole request (head and body) for the n-th request.
    let request: (Int) -> [UInt8]

    /// Runs for `warmup`, then measures for `duration` (or until `maxRequests` have been measured).
    func run(warmup: Duration, duration: Duration, maxRequests: Int = .max) throws(LoadGenerator.Failure) -> LoadGenerator.Result {
        let epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        defer { close(epollFD) }
        var conns: [Int32: Connection] = [:]
        defer { for fd in conns.keys { close(fd) } }
        for _ in 0..<connections {
            let fd: Int32
            do {
                fd = try LoopbackSocket.connect(port: port)
            } catch {
                throw .connect(error.description)
            }
            conns[fd] = Connection(fd: fd)
            var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: fd))
            epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let measureFrom = start + warmup.nanoseconds
        let end = measureFrom + duration.nanoseconds
        var latencies: [UInt64] = []
        var completed = 0
        var errors = 0
        var sequence = 0
        for connection in conns.values {
            try send(connection, number: sequence)
            sequence += 1
        }
        var outstanding = connections
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
        defer { scratch.deallocate() }
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while outstanding > 0 {
            let count = epoll_wait(epollFD, &events, Int32(events.count), 5000)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw .io("no response for 5 s") }
            for index in 0..<Int(count) {
                guard let connection = conns[events[index].data.fd] else { continue }
                let received = read(connection.fd, scratch.baseAddress, scratch.count)
                if received <= 0 {
                    if received < 0, errno == EAGAIN { continue }
                    throw .io("the server closed a keep-alive connection")
                }
                connection.buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<received]))
                guard let (status, length) = Self.completeResponse(connection.buffer) else { continue }
                connection.buffer.removeFirst(length)
                let time = DispatchTime.now().uptimeNanoseconds
                outstanding -= 1
                if connection.sentAt >= measureFrom {
                    if status == 200 {
                        completed += 1
                        latencies.append(time - connection.sentAt)
                    } else {
                        errors += 1
                    }
                }
                if time < end, completed < maxRequests {
                    try send(connection, number: sequence)
                    sequence += 1
                    outstanding += 1
                }
            }
        }
        let measured = Double(min(DispatchTime.now().uptimeNanoseconds, end) - measureFrom) / 1e9
        latencies.sort()
        return LoadGenerator.Result(completed: completed, errors: errors, seconds: measured, latencies: latencies)
    }

    private func send(_ connection: Connection, number: Int) throws(LoadGenerator.Failure) {
        let bytes = request(number)
        connection.sentAt = DispatchTime.now().uptimeNanoseconds
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(connection.fd, $0.baseAddress.map { $0 + offset }, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .io("send: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// Status and total length of the first response in `buffer`, once it has fully arrived.
    static func completeResponse(_ buffer: [UInt8]) -> (status: Int, length: Int)? {
        guard buffer.count >= 12 else { return nil }
        var headEnd = -1
        var index = 3
        while index < buffer.count {
            if buffer[index] == 0x0A, buffer[index - 1] == 0x0D, buffer[index - 2] == 0x0A, buffer[index - 3] == 0x0D {
                headEnd = index + 1
                break
            }
            index += 1
        }
        guard headEnd > 0 else { return nil }
        let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        let status = Int(head.dropFirst(9).prefix(3)) ?? 0
        var length = 0
        for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return buffer.count >= headEnd + length ? (status, headEnd + length) : nil
    }
}
