import Foundation
import Glibc
import TurnoutTransport
import TurnoutWire

/// A plain TCP connection for sending arbitrary, even malformed, bytes to a server and
/// reading what comes back: the client a fuzzer or a broken peer would be.
///
/// Its socket calls block, so every public method runs them on the connection's own
/// dispatch queue: blocking a thread of Swift's cooperative pool (two threads on this
/// machine) would starve the very server under test.
public final class RawWireConnection: @unchecked Sendable {
    // @unchecked Sendable: `decoder` and the socket are used only on `queue`.
    public let fd: Int32
    private var decoder = FrameDecoder(maxFrameSize: 64 << 20)
    private let queue = DispatchQueue(label: "raw-wire-connection")

    public init(port: UInt16) throws {
        fd = try LoopbackSocket.connect(port: port)
    }

    deinit { close(fd) }

    public func send(_ bytes: [UInt8]) async throws {
        try await onQueue { try self.sendBlocking(bytes) }
    }

    private func sendBlocking(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw RawError("send: errno \(errno)") }
            offset += written
        }
    }

    /// Shuts down the sending side (a half-close): the server sees end of input but may still answer.
    public func finishSending() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Sends a request envelope as one frame.
    public func send(_ request: RequestEnvelope) async throws {
        var bytes: [UInt8] = []
        request.encodeFrame(into: &bytes)
        try await send(bytes)
    }

    /// Sends `payload` framed, even if it is not JSON.
    public func sendFrame(_ payload: [UInt8]) async throws {
        try await send(FrameEncoder.frame(payload))
    }

    /// The next response, or nil if the connection closed first.
    /// - Throws: when nothing arrives within `timeout`.
    public func readResponse(timeout: Duration = .seconds(30)) async throws -> ResponseEnvelope? {
        try await onQueue { try self.readResponseBlocking(timeout: timeout) }
    }

    private func readResponseBlocking(timeout: Duration) throws -> ResponseEnvelope? {
        let deadline = Deadline.after(timeout)
        while true {
            if let frame = try decoder.nextFrame() {
                return try ResponseEnvelope.parse(frame)
            }
            guard try readSome(until: deadline) else { return nil }
        }
    }

    /// Everything the server sends until it closes the connection (or `timeout` passes).
    public func readAll(timeout: Duration) async throws -> [UInt8] {
        try await onQueue {
            let deadline = Deadline.after(timeout)
            var bytes: [UInt8] = []
            var descriptor = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while !deadline.hasPassed {
                guard poll(&descriptor, 1, Int32(min(Int64(Int32.max), deadline.remainingMilliseconds))) > 0 else { break }
                let count = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                bytes.append(contentsOf: buffer[0..<count])
            }
            return bytes
        }
    }

    /// True if the server closes the connection within `timeout` (reading and discarding any data).
    public func waitForClose(timeout: Duration) async throws -> Bool {
        try await onQueue { try self.waitForCloseBlocking(timeout: timeout) }
    }

    private func waitForCloseBlocking(timeout: Duration) throws -> Bool {
        let deadline = Deadline.after(timeout)
        do {
            while try readSome(until: deadline) {}
            return true
        } catch is RawTimeout {
            return false
        }
    }

    private func onQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Reads once; false on EOF or reset.
    private func readSome(until deadline: Deadline) throws -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let wait = Int32(min(Int64(Int32.max), deadline.remainingMilliseconds))
        let ready = poll(&descriptor, 1, wait)
        guard ready > 0 else { throw RawTimeout() }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { return false }
        decoder.append(contentsOf: buffer[0..<count])
        return true
    }
}

public struct RawError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public struct RawTimeout: Error, CustomStringConvertible {
    public var description: String { "timed out waiting for the server" }
}
