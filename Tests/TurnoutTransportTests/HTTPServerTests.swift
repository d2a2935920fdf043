import Foundation
import Testing
import TurnoutHTTPClient
import TurnoutTelemetry
import TurnoutTestSupport
import TurnoutTransport

/// A real HTTP server on loopback, driven by raw sockets (for bad input) and by curl (for streaming).
@Suite struct HTTPServerTests {
    static func start(configure: (inout HTTPServerConfiguration) -> Void = { _ in }) throws -> HTTPServer {
        var configuration = HTTPServerConfiguration(listen: HostPort(host: "127.0.0.1", port: 0))
        configuration.maxHeaderBytes = 2048
        configuration.maxBodyBytes = 4096
        configure(&configuration)
        let server = try HTTPServer(configuration: configuration, logger: Logger(service: "http-test", sink: MemoryLogSink())) { request in
            switch request.path {
            case "/stream":
                return HTTPServerResponse(status: 200, headers: [("Content-Type", "text/event-stream")], body: .stream { writer in
                    for index in 0..<5 {
                        writer.write("data: \(index)\n\n")
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                    writer.write("data: [DONE]\n\n")
                })
            case "/echo":
                return .json(200, request.body, headers: [("X-Method", request.method)])
            default:
                return .text(404, "no route for \(request.path)")
            }
        }
        try server.start()
        return server
    }

    private func port(_ server: HTTPServer) throws -> UInt16 {
        try #require(server.localAddress?.port)
    }

    /// Sends raw bytes and returns everything received until the server closes or `timeout`.
    private func exchange(_ server: HTTPServer, _ text: String, timeout: Duration = .seconds(30)) async throws -> String {
        let connection = try RawWireConnection(port: try port(server))
        try await connection.send(Array(text.utf8))
        return String(decoding: try await connection.readAll(timeout: timeout), as: UTF8.self)
    }

    @Test func keepAliveServesSeveralRequestsInOrder() async throws {
        let server = try Self.start()
        let text = "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\none"
            + "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n"
            + "GET /missing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        let reply = try await exchange(server, text)
        // Bodies are not followed by a line break, so status lines are found anywhere in the stream.
        let statuses = reply.components(separatedBy: "HTTP/1.1 ").dropFirst().map { "HTTP/1.1 " + ($0.components(separatedBy: "\r\n").first ?? "") }
        #expect(statuses == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found"])
        let first = try #require(reply.range(of: "one"))
        let second = try #require(reply.range(of: "two"))
        #expect(first.lowerBound < second.lowerBound)
        #expect(reply.contains("Connection: close"))
        await server.shutdown()
    }

    /// HEAD on a streamed route sends the head alone (no body, so no last chunk either), and
    /// the next request on the connection is answered cleanly after it.
    @Test func headOnAStreamedRouteLeavesTheConnectionClean() async throws {
        let server = try Self.start()
        let text = "HEAD /stream HTTP/1.1\r\nHost: a\r\n\r\n"
            + "GET /missing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        let reply = try await exchange(server, text)
        let parts = reply.components(separatedBy: "\r\n\r\n")
        #expect(parts.first?.hasPrefix("HTTP/1.1 200 OK") == true)
        // Right after the first head comes the second response, not a stray "0".
        #expect(parts.count > 1 && parts[1].hasPrefix("HTTP/1.1 404 Not Found"), "\(reply)")
        #expect(!reply.contains("data:"))
        await server.shutdown()
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "h", count: 3000))\r\n\r\n", "431"),
        ("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n", "413"),
        ("garbage\r\n\r\n", "400"),
        ("GET / HTTP/1.1\r\n\r\n", "400"),
        ("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", "501"),
    ])
    func badRequestsGetTheirStatusAndTheConnectionCloses(text: String, status: String) async throws {
        let server = try Self.start()
        let reply = try await exchange(server, text)
        #expect(reply.hasPrefix("HTTP/1.1 \(status) "), "\(reply.prefix(80))")
        #expect(reply.contains("{\"error\":{\"message\":"))
        // A bad request never takes the server down: the next client is served.
        let next = try await exchange(server, "GET /missing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        #expect(next.hasPrefix("HTTP/1.1 404"))
        await server.shutdown()
    }

    @Test func aStalledRequestTimesOutAndAnIdleConnectionCloses() async throws {
        let server = try Self.start {
            $0.readTimeout = .milliseconds(200)
            $0.idleTimeout = .milliseconds(300)
        }
        let stalled = try await exchange(server, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
        #expect(stalled.hasPrefix("HTTP/1.1 408"))
        let idle = try await exchange(server, "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n")
        // Answered, then closed by the idle timeout (exchange returns only once the server closes).
        #expect(idle.hasPrefix("HTTP/1.1 404"))
        await server.shutdown()
    }

    @Test func aRequestTrickledInByteByByteIsCutOff() async throws {
        let server = try Self.start {
            $0.readTimeout = .seconds(10)
            $0.requestTimeout = .milliseconds(600)
        }
        let connection = try RawWireConnection(port: try port(server))
        let started = ContinuousClock.now
        // A byte every 20 ms: never quiet long enough for the read timeout (10 s), and the
        // request (a 1,000-byte body) is far from whole when the request timeout passes.
        let request = Array("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n".utf8) + [UInt8](repeating: 0x61, count: 1000)
        var cutOffAfter: Duration?
        for byte in request {
            // Once the server has given up, writes fail (EPIPE): that is the point.
            guard (try? await connection.send([byte])) != nil else {
                cutOffAfter = ContinuousClock.now - started
                break
            }
            try await Task.sleep(for: .milliseconds(20))
            if ContinuousClock.now - started > .seconds(8) { break }
        }
        let reply = String(decoding: try await connection.readAll(timeout: .seconds(10)), as: UTF8.self)
        #expect(reply.hasPrefix("HTTP/1.1 408"), "\(reply)")
        let cutOff = try #require(cutOffAfter, "the server kept reading a trickle for 8 s")
        #expect(cutOff < .seconds(8), "closed while the client was still sending, so by the request timeout, not the read timeout")
        await server.shutdown()
    }

    @Test func streamsChunkedBodiesThatCurlReadsIncrementally() async throws {
        let server = try Self.start()
        let client = HTTPClient()
        defer { client.shutdown() }
        let (head, body) = try await client.stream(HTTPRequest(url: "http://127.0.0.1:\(try port(server))/stream"))
        #expect(head.status == 200)
        #expect(head.header("transfer-encoding") == "chunked")
        var chunks: [String] = []
        for try await chunk in body { chunks.append(String(decoding: chunk, as: UTF8.self)) }
        #expect(chunks.joined() == (0..<5).map { "data: \($0)\n\n" }.joined() + "data: [DONE]\n\n")
        #expect(chunks.count >= 3)
        // The same connection then serves a plain request.
        let echoed = try await client.send(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(try port(server))/echo", body: Array("{\"a\":1}".utf8)))
        #expect(echoed.status == 200 && echoed.body == Array("{\"a\":1}".utf8))
        #expect(echoed.head.header("x-method") == "POST")
        await server.shutdown()
    }

    @Test func http10GetsAClosedConnection() async throws {
        let server = try Self.start()
        let reply = try await exchange(server, "POST /echo HTTP/1.0\r\nContent-Length: 2\r\n\r\nok")
        #expect(reply.hasPrefix("HTTP/1.1 200"))
        #expect(reply.contains("Connection: close"))
        #expect(reply.hasSuffix("ok"))
        await server.shutdown()
    }
}
