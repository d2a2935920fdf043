import Foundation
import Synchronization
import Testing
import TurnoutDiagnostics
import TurnoutRuntime
import TurnoutTestSupport
import TurnoutTransport
import TurnoutWire

/// Every kind of bad input a server can receive, each sent over a real socket.
@Suite struct ServerBadInputTests {
    static let counted = RPCMethod<EmptyMessage, EmptyMessage>(service: "Test", method: "Count", idempotent: true)

    /// Echo, Sleep, and a counter of handler runs.
    static func registry(counter: TestCounter? = nil) -> HandlerRegistry {
        var registry = HandlerRegistry()
        EchoService.register(in: &registry, pid: getpid())
        registry.register(counted) { _, _ in
            counter?.increment()
            return EmptyMessage()
        }
        return registry
    }

    @Test func oversizeLengthPrefixIsRefusedAndTheConnectionClosed() async throws {
        let server = try InProcessServer(registry: Self.registry()) { $0.maxFrameSize = 1024 }
        let connection = try RawWireConnection(port: server.port)
        // Claim 4 GiB and send none of it: the answer must come without the body.
        try await connection.send([0xFF, 0xFF, 0xFF, 0xFF])
        let response = try #require(try await connection.readResponse())
        #expect(response.code == .resourceExhausted)
        #expect(response.id == 0)
        #expect(response.message.contains("exceeds the limit of 1024 bytes"))
        #expect(try await connection.waitForClose(timeout: .seconds(5)))
        await server.stop()
    }

    @Test func invalidJSONIsInvalidArgumentAndTheConnectionStaysUsable() async throws {
        let server = try InProcessServer(registry: Self.registry())
        let connection = try RawWireConnection(port: server.port)
        try await connection.sendFrame(Array("{\"id\": 5, \"method\": \"Echo/Echo\", \"body\": {oops}}".utf8))
        let bad = try #require(try await connection.readResponse())
        #expect(bad.code == .invalidArgument)
        #expect(bad.id == 5)
        try await connection.sendFrame(Array("not json at all".utf8))
        let worse = try #require(try await connection.readResponse())
        #expect(worse.code == .invalidArgument)
        #expect(worse.id == 0)
        try await connection.send(RequestEnvelope(id: 6, method: "Echo/Echo", body: Array("{\"still\":\"here\"}".utf8)))
        let good = try #require(try await connection.readResponse())
        #expect(good.code == .ok)
        #expect(good.id == 6)
        #expect(String(decoding: good.body, as: UTF8.self) == "{\"still\":\"here\"}")
        await server.stop()
    }

    @Test func unknownMethodIsUnimplemented() async throws {
        let server = try InProcessServer(registry: Self.registry())
        let connection = try RawWireConnection(port: server.port)
        try await connection.send(RequestEnvelope(id: 1, method: "Nope/Never"))
        let response = try #require(try await connection.readResponse())
        #expect(response.code == .unimplemented)
        #expect(response.message.contains("Nope/Never"))
        await server.stop()
    }

    @Test func eofInsideAFrameClosesOnlyThatConnection() async throws {
        let server = try InProcessServer(registry: Self.registry())
        let bystander = try RawWireConnection(port: server.port)
        do {
            let broken = try RawWireConnection(port: server.port)
            var frame: [UInt8] = []
            RequestEnvelope(id: 1, method: "Echo/Echo").encodeFrame(into: &frame)
            try await broken.send(Array(frame.prefix(frame.count / 2)))
        }
        try await waitUntil { server.server.connectionCount == 1 }
        try await bystander.send(RequestEnvelope(id: 2, method: "Echo/Echo"))
        #expect(try await bystander.readResponse()?.code == .ok)
        try await waitUntil { server.logs.recorded.contains { $0.contains("in the middle of a frame") } }
        await server.stop()
    }

    @Test func halfAFrameThenSilenceIsClosedAfterTheReadTimeout() async throws {
        let server = try InProcessServer(registry: Self.registry()) { $0.readTimeout = .milliseconds(300) }
        let staller = try RawWireConnection(port: server.port)
        // The clock starts before the bytes leave, so scheduling delays can only lengthen what we measure.
        let started = ContinuousClock.now
        try await staller.send([0, 0, 0, 50, UInt8(ascii: "{")])
        #expect(try await staller.waitForClose(timeout: .seconds(5)))
        #expect(ContinuousClock.now - started >= .milliseconds(250))
        try await waitUntil { server.logs.recorded.contains { $0.contains("read timeout") } }
        await server.stop()
    }

    @Test func aThousandIdleConnectionsDoNotBlockANewClient() async throws {
        let server = try InProcessServer(registry: Self.registry())
        ProcessSetup.prepareForNetworking()
        var idle: [RawWireConnection] = []
        for _ in 0..<1000 { idle.append(try RawWireConnection(port: server.port)) }
        try await waitUntil(timeout: .seconds(10)) { server.server.connectionCount == 1000 }
        let client = try WireClient.forTesting([server.target])
        let reply = try await client.call(EchoService.echo, Array("{\"n\":1}".utf8), deadline: .after(.seconds(2)))
        #expect(String(decoding: reply, as: UTF8.self) == "{\"n\":1}")
        client.shutdown()
        idle.removeAll()
        await server.stop()
    }

    @Test func expiredDeadlineIsRefusedWithoutRunningTheHandler() async throws {
        let counter = TestCounter()
        let server = try InProcessServer(registry: Self.registry(counter: counter))
        let connection = try RawWireConnection(port: server.port)
        try await connection.send(RequestEnvelope(id: 1, method: "Test/Count", deadlineMilliseconds: 0))
        let response = try #require(try await connection.readResponse())
        #expect(response.code == .deadlineExceeded)
        #expect(counter.value == 0)
        try await connection.send(RequestEnvelope(id: 2, method: "Test/Count", deadlineMilliseconds: 5000))
        #expect(try await connection.readResponse()?.code == .ok)
        #expect(counter.value == 1)
        await server.stop()
    }

    @Test func queuedRequestWhoseDeadlinePassesIsNotRun() async throws {
        let counter = TestCounter()
        let server = try InProcessServer(registry: Self.registry(counter: counter)) { $0.maxConcurrentHandlers = 1 }
        let connection = try RawWireConnection(port: server.port)
        // The only handler slot sleeps 300 ms; the counted call behind it has 50 ms to live.
        try await connection.send(RequestEnvelope(id: 1, method: "Echo/Sleep", body: Array("{\"ms\":300}".utf8)))
        try await connection.send(RequestEnvelope(id: 2, method: "Test/Count", deadlineMilliseconds: 50))
        var codes: [UInt64: StatusCode] = [:]
        for _ in 0..<2 {
            let response = try #require(try await connection.readResponse())
            codes[response.id] = response.code
        }
        #expect(codes == [1: .ok, 2: .deadlineExceeded])
        #expect(counter.value == 0)
        await server.stop()
    }

    @Test func oversizeResponseBecomesResourceExhausted() async throws {
        let server = try InProcessServer(registry: Self.registry()) { $0.maxFrameSize = 200 }
        let connection = try RawWireConnection(port: server.port)
        let body = "{\"pad\":\"" + String(repeating: "x", count: 150) + "\"}"
        try await connection.send(RequestEnvelope(id: 3, method: "Echo/Echo", body: Array(body.utf8)))
        let response = try #require(try await connection.readResponse())
        #expect(response.code == .resourceExhausted)
        #expect(response.id == 3)
        await server.stop()
    }
}
