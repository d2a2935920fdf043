import Foundation
import TurnoutRuntime
import TurnoutTransport

/// The OpenAI-compatible stand-in upstream (Tests/Upstream/test_upstream.py) as a real process:
/// the one thing tests fake, because real LLMs cannot run here.
public struct TestUpstream: Sendable {
    public let process: ManagedProcess
    public let port: Int

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public static func start(name: String = "test-model", dims: Int = 8) async throws -> TestUpstream {
        let script = TestPaths.packageRoot.appendingPathComponent("Tests/Upstream/test_upstream.py").path
        let process = try ManagedProcess(executable: "/usr/bin/env", arguments: ["python3", script, "--port", "0", "--name", name, "--dims", String(dims)])
        do {
            let port = try await process.listening(timeout: .seconds(30))
            return TestUpstream(process: process, port: port)
        } catch {
            process.killHard()
            throw error
        }
    }

    /// Switches behaviour: `ok`, `fail500`, `rate429`, `reject400`, `stall`, `garbage`, `no_choices`, `close_mid_stream`, `slow_stream`,
    /// or `judge`: a pairwise judge preferring the answer of the upstream named `prefer`.
    public func set(mode: String, count: Int? = nil, delayMilliseconds: Int = 0, retryAfter: Int? = nil, prefer: String? = nil) throws {
        var body: [String: Any] = ["mode": mode, "delay_ms": delayMilliseconds]
        if let count { body["count"] = count }
        if let retryAfter { body["retry_after"] = retryAfter }
        if let prefer { body["prefer"] = prefer }
        _ = try post("/control", body)
    }

    /// `GET /stats`: request counts per path and the last request's headers and body.
    public func stats() throws -> [String: Any] {
        try request("GET", "/stats", body: nil)
    }

    public func requestCount(_ path: String) throws -> Int {
        ((try stats()["requests"] as? [String: Any])?[path] as? Int) ?? 0
    }

    public func stop() {
        process.terminate(grace: .seconds(2))
    }

    private func post(_ path: String, _ body: [String: Any]) throws -> [String: Any] {
        try request("POST", path, body: body)
    }

    /// A tiny blocking HTTP/1.1 exchange over a raw socket, to control the upstream without the client under test.
    private func request(_ method: String, _ path: String, body: [String: Any]?) throws -> [String: Any] {
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        let connection = try RawHTTP(port: UInt16(port))
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        text += "Content-Type: application/json\r\nContent-Length: \(payload.count)\r\n\r\n"
        let response = try connection.exchange(Array(text.utf8) + Array(payload))
        guard let split = response.firstRange(of: Data("\r\n\r\n".utf8)) else { throw RawError("no HTTP response from the test upstream") }
        let object = try JSONSerialization.jsonObject(with: response[split.upperBound...])
        return object as? [String: Any] ?? [:]
    }
}

/// Sends raw bytes and reads until the peer closes: just enough HTTP for test control calls.
struct RawHTTP {
    let fd: Int32

    init(port: UInt16) throws {
        fd = try LoopbackSocket.connect(port: port)
    }

    func exchange(_ bytes: [UInt8]) throws -> Data {
        defer { close(fd) }
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return data
    }
}
