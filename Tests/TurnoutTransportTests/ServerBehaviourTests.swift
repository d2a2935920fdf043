import Foundation
import Synchronization
import Testing
import TurnoutRuntime
import TurnoutTestSupport
import TurnoutTransport
import TurnoutWire

@Suite struct ServerBehaviourTests {
    @Test func pipelinedRequestsAreAnsweredOutOfOrderAndMatchedById() async throws {
        let server = try InProcessServer(registry: ServerBadInputTests.registry())
        let connection = try RawWireConnection(port: server.port)
        var burst: [UInt8] = []
        for id in 1...50 {
            // Earlier ids sleep longer, so answers come back in reverse.
            RequestEnvelope(id: UInt64(id), method: "Echo/Sleep", body: Array("{\"ms\":\((51 - id) * 4)}".utf8)).encodeFrame(into: &burst)
        }
        try await connection.send(burst)
        var order: [UInt64] = []
        for _ in 1...50 {
            let response = try #require(try await connection.readResponse())
            #expect(response.code == .ok)
            order.append(response.id)
        }
        #expect(Set(order) == Set(1...50))
        #expect(order != Array(1...50))
        await server.stop()
    }

    /// Thousands of instant answers on one connection from concurrent handlers: senders that
    /// find the connection's writer busy leave their frames for it, and none may be stranded
    /// (a lost frame shows as a missing answer when the reads time out).
    @Test func concurrentAnswersOnOneConnectionAllArrive() async throws {
        let server = try InProcessServer(registry: ServerBadInputTests.registry())
        let connection = try RawWireConnection(port: server.port)
        var answered: [UInt64: [UInt8]] = [:]
        // Many short bursts: a stranded frame would be one of a burst's last, with nothing after it.
        for round in 0..<1500 {
            var burst: [UInt8] = []
            for index in 1...16 {
                let id = UInt64(round * 16 + index)
                RequestEnvelope(id: id, method: "Echo/Echo", body: Array("{\"n\":\(id)}".utf8)).encodeFrame(into: &burst)
            }
            try await connection.send(burst)
            for _ in 1...16 {
                let response = try #require(try await connection.readResponse(timeout: .seconds(5)), "an answer went missing")
                #expect(response.code == .ok)
                answered[response.id] = response.body
            }
        }
        #expect(answered.count == 24000)
        #expect(answered.allSatisfy { id, body in String(decoding: body, as: UTF8.self).contains("\(id)") })
        await server.stop()
    }

    @Test func aConnectionOverItsInFlightLimitStopsBeingReadUntilItDrains() async throws {
        let running = TestCounter()
        var registry = HandlerRegistry()
        let slow = RPCMethod<EmptyMessage, EmptyMessage>(service: "Test", method: "Slow", idempotent: true)
        registry.register(slow) { (_: EmptyMessage, _: CallContext) async throws -> EmptyMessage in
            running.increment()
            try await Task.sleep(for: .milliseconds(20))
            running.decrement()
            return EmptyMessage()
        }
        let server = try InProcessServer(registry: registry) { $0.maxInFlightPerConnection = 4 }
        let connection = try RawWireConnection(port: server.port)
        var burst: [UInt8] = []
        for id in 1...40 { RequestEnvelope(id: UInt64(id), method: "Test/Slow").encodeFrame(into: &burst) }
        try await connection.send(burst)
        var answered = Set<UInt64>()
        for _ in 1...40 {
            let response = try #require(try await connection.readResponse())
            #expect(response.code == .ok)
            answered.insert(response.id)
        }
        #expect(answered.count == 40)
        #expect(running.peak <= 4)
        #expect(running.peak >= 2)
        await server.stop()
    }

    @Test func aSlowHandlerDoesNotStallOtherConnections() async throws {
        let server = try InProcessServer(registry: ServerBadInputTests.registry())
        let slow = try RawWireConnection(port: server.port)
        try await slow.send(RequestEnvelope(id: 1, method: "Echo/Sleep", body: Array("{\"ms\":2000}".utf8)))
        let client = try WireClient.forTesting([server.target])
        for _ in 0..<20 {
            let status = try await client.call(HealthAPI.check, HealthCheckRequest())
            #expect(status.status == .serving)
        }
        // The sleeping call is still in flight: health checks did not wait for it.
        #expect(server.server.connectionCount == 2)
        #expect(try await slow.readResponse(timeout: .seconds(5))?.code == .ok)
        client.shutdown()
        await server.stop()
    }

    @Test func shutdownDrainsInFlightCallsAndRefusesNewOnes() async throws {
        let server = try InProcessServer(registry: ServerBadInputTests.registry()) { $0.drainTimeout = .seconds(20) }
        let busy = try RawWireConnection(port: server.port)
        let probe = try RawWireConnection(port: server.port)
        // Long enough that the probes below land inside the drain even on a loaded machine.
        try await busy.send(RequestEnvelope(id: 1, method: "Echo/Sleep", body: Array("{\"ms\":3000}".utf8)))
        try await Task.sleep(for: .milliseconds(50))
        let shutdown = Task { await server.stop() }
        try await waitUntil { server.server.isDraining }
        try await probe.send(RequestEnvelope(id: 7, method: "Health/Check"))
        let health = try #require(try await probe.readResponse())
        #expect(try WireCoding.decode(HealthCheckResponse.self, from: health.body).status == .notServing)
        try await probe.send(RequestEnvelope(id: 8, method: "Echo/Echo"))
        #expect(try await probe.readResponse()?.code == .unavailable)
        let finished = try #require(try await busy.readResponse(timeout: .seconds(20)))
        #expect(finished.code == .ok)
        #expect(finished.id == 1)
        await shutdown.value
        #expect(try await busy.waitForClose(timeout: .seconds(3)))
    }

    @Test func sigtermDrainsAndExitsZero() async throws {
        let echo = try await EchoProcesses.start()
        let connection = try RawWireConnection(port: echo.port)
        try await connection.send(RequestEnvelope(id: 1, method: "Echo/Sleep", body: Array("{\"ms\":300}".utf8)))
        try await Task.sleep(for: .milliseconds(50))
        kill(echo.process.pid, SIGTERM)
        let response = try #require(try await connection.readResponse())
        #expect(response.code == .ok)
        #expect(await echo.process.exited() == 0)
        #expect(echo.process.logLines.contains { $0.contains("\"msg\":\"stopped\"") })
    }
}

@Suite struct ServerMetricsTests {
    @Test func requestsAreCountedByMethodAndCode() async throws {
        let server = try InProcessServer(registry: ServerBadInputTests.registry())
        let connection = try RawWireConnection(port: server.port)
        for id in 1...3 { try await connection.send(RequestEnvelope(id: UInt64(id), method: "Echo/Echo")) }
        try await connection.send(RequestEnvelope(id: 4, method: "Not/There"))
        for _ in 1...4 { _ = try await connection.readResponse() }
        let families = server.metrics.snapshot()
        let requests = try #require(families.first { $0.name == "turnout_wire_requests_total" })
        func count(_ method: String, _ code: String) -> Double {
            requests.samples.first { $0.labels == ["method": method, "code": code] }?.value ?? -1
        }
        #expect(count("Echo/Echo", "OK") == 3)
        #expect(count("unknown", "UNIMPLEMENTED") == 1)
        let durations = try #require(families.first { $0.name == "turnout_wire_request_duration_seconds" })
        #expect(durations.samples.first { $0.labels["method"] == "Echo/Echo" }?.count == 3)
        #expect(families.first { $0.name == "turnout_wire_connections" }?.samples.first?.value == 1)
        await server.stop()
    }
}

@Suite struct ServerEdgeTests {
    /// A connection held back by backpressure is waiting on the server, not stalling: no read timeout.
    @Test func backpressureIsNotAReadTimeout() async throws {
        let server = try InProcessServer(registry: ServerBadInputTests.registry()) {
            $0.readTimeout = .milliseconds(300)
            $0.maxInFlightPerConnection = 2
        }
        let connection = try RawWireConnection(port: server.port)
        var burst: [UInt8] = []
        for id in 1...4 { RequestEnvelope(id: UInt64(id), method: "Echo/Sleep", body: Array("{\"ms\":500}".utf8)).encodeFrame(into: &burst) }
        try await connection.send(burst)
        var answered = Set<UInt64>()
        for _ in 1...4 {
            let response = try #require(try await connection.readResponse())
            #expect(response.code == .ok)
            answered.insert(response.id)
        }
        #expect(answered == [1, 2, 3, 4])
        await server.stop()
    }

    /// A client that half-closes after its requests still gets every answer, then the close.
    @Test func halfCloseStillGetsTheAnswers() async throws {
        let server = try InProcessServer(registry: ServerBadInputTests.registry())
        let connection = try RawWireConnection(port: server.port)
        var burst: [UInt8] = []
        RequestEnvelope(id: 1, method: "Echo/Sleep", body: Array("{\"ms\":200}".utf8)).encodeFrame(into: &burst)
        RequestEnvelope(id: 2, method: "Echo/Echo").encodeFrame(into: &burst)
        try await connection.send(burst)
        connection.finishSending()
        var answered = Set<UInt64>()
        for _ in 1...2 {
            let response = try #require(try await connection.readResponse())
            answered.insert(response.id)
        }
        #expect(answered == [1, 2])
        #expect(try await connection.waitForClose(timeout: .seconds(10)))
        await server.stop()
    }
}
