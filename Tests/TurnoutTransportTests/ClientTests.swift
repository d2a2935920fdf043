import Foundation
import Synchronization
import Testing
import TurnoutDiagnostics
import TurnoutRuntime
import TurnoutTestSupport
import TurnoutTransport
import TurnoutWire

@Suite struct ClientTests {
    @Test func threeServersOneKilledMidRunAndEveryIdempotentCallSucceeds() async throws {
        var servers: [EchoProcesses.Running] = []
        for _ in 0..<3 { servers.append(try await EchoProcesses.start()) }
        defer { for server in servers { server.process.terminate() } }
        let client = try WireClient.forTesting(servers.map(\.target)) { $0.maxAttempts = 4 }
        defer { client.shutdown() }
        let victim = servers[1]
        let completed = TestCounter()
        let pids = Locked<[Int32: Int]>([:])
        let failures = Locked<[String]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    for _ in 0..<60 {
                        do {
                            let reply = try await client.call(
                                EchoService.sleep, EchoService.SleepRequest(ms: 5),
                                deadline: .after(.seconds(10)))
                            pids.withLock { $0[reply.pid, default: 0] += 1 }
                            completed.increment()
                        } catch {
                            failures.withLock { $0.append("worker \(worker): \(error)") }
                        }
                    }
                }
            }
            group.addTask {
                while completed.value < 300 { try await Task.sleep(for: .milliseconds(2)) }
                victim.process.killHard()
            }
            try await group.waitForAll()
        }
        #expect(failures.value == [])
        #expect(completed.value == 16 * 60)
        #expect(await victim.process.exited() == 128 + SIGKILL)
        let spread = pids.value
        #expect(spread.count == 3, "every server took calls before the kill: \(spread)")
        for server in [servers[0], servers[2]] {
            #expect((spread[server.process.pid] ?? 0) > 100)
        }
    }

    @Test func deadlinesPropagateToDownstreamCalls() async throws {
        let downstream = try InProcessServer(registry: {
            var registry = HandlerRegistry()
            registry.register(Probe.remaining) { (_: EmptyMessage, context: CallContext) async throws -> Probe.Remaining in
                Probe.Remaining(ms: context.deadline?.remainingMilliseconds ?? -1)
            }
            return registry
        }())
        let downstreamClient = try WireClient.forTesting([downstream.target]) { $0.defaultTimeout = nil }
        let upstream = try InProcessServer(registry: {
            var registry = HandlerRegistry()
            registry.register(Probe.relay) { (_: EmptyMessage, _: CallContext) async throws -> Probe.Remaining in
                try await Task.sleep(for: .milliseconds(100))
                return try await downstreamClient.call(Probe.remaining, EmptyMessage())
            }
            return registry
        }())
        let client = try WireClient.forTesting([upstream.target])
        let seen = try await client.call(Probe.relay, EmptyMessage(), deadline: .after(.milliseconds(8000)))
        // 8000 ms at the first hop, minus the 100 ms the relay spent before calling on.
        #expect(seen.ms > 0)
        #expect(seen.ms <= 7910)
        // Without a deadline of its own, the downstream call carries none.
        let direct = try await downstreamClient.call(Probe.remaining, EmptyMessage())
        #expect(direct.ms == -1)
        client.shutdown()
        downstreamClient.shutdown()
        await upstream.stop()
        await downstream.stop()
    }

    @Test func onlyIdempotentMethodsAreRetried() async throws {
        let calls = TestCounter()
        var registry = HandlerRegistry()
        for idempotent in [true, false] {
            let method = RPCMethod<EmptyMessage, EmptyMessage>(service: "Flaky", method: idempotent ? "Safe" : "Unsafe", idempotent: idempotent)
            registry.register(method) { (_: EmptyMessage, _: CallContext) async throws -> EmptyMessage in
                calls.increment()
                throw RPCError(.unavailable, "overloaded")
            }
        }
        let server = try InProcessServer(registry: registry)
        let client = try WireClient.forTesting([server.target]) { $0.maxAttempts = 3 }
        await #expect(throws: RPCError.self) {
            try await client.call(RPCMethod<EmptyMessage, EmptyMessage>(service: "Flaky", method: "Unsafe", idempotent: false), EmptyMessage())
        }
        #expect(calls.value == 1)
        await #expect(throws: RPCError.self) {
            try await client.call(RPCMethod<EmptyMessage, EmptyMessage>(service: "Flaky", method: "Safe", idempotent: true), EmptyMessage())
        }
        #expect(calls.value == 1 + 3)
        client.shutdown()
        await server.stop()
    }

    @Test func nonRetryableStatusesAreNotRetried() async throws {
        let calls = TestCounter()
        var registry = HandlerRegistry()
        let method = RPCMethod<EmptyMessage, EmptyMessage>(service: "Strict", method: "Check", idempotent: true)
        registry.register(method) { (_: EmptyMessage, _: CallContext) async throws -> EmptyMessage in
            calls.increment()
            throw RPCError(.invalidArgument, "bad")
        }
        let server = try InProcessServer(registry: registry)
        let client = try WireClient.forTesting([server.target])
        do {
            _ = try await client.call(method, EmptyMessage())
            Issue.record("call should fail")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message == "bad")
        }
        #expect(calls.value == 1)
        client.shutdown()
        await server.stop()
    }

    @Test func aDeadEndpointIsEjectedAndCallsFlowToTheLiveOne() async throws {
        let live = try InProcessServer(registry: ServerBadInputTests.registry())
        let dead = try InProcessServer(registry: ServerBadInputTests.registry())
        let deadTarget = dead.target
        await dead.stop()
        let client = try WireClient.forTesting([live.target, deadTarget]) { $0.maxAttempts = 1 }
        var failures = 0
        let started = ContinuousClock.now
        for _ in 0..<200 {
            do {
                _ = try await client.unary(MethodDescriptor(service: "Echo", method: "Echo", idempotent: false), body: Array("{}".utf8))
            } catch {
                #expect(error.code == .unavailable)
                failures += 1
            }
        }
        // Each failure ejects the dead endpoint for twice as long as the last (100 ms, 200 ms, ...),
        // so over T ms it can be tried about 1 + log2(T / 100) times, however fast the calls are.
        let elapsed = Double((ContinuousClock.now - started).components.seconds) * 1000 + Double((ContinuousClock.now - started).components.attoseconds) / 1e15
        let allowed = 2 + Int(log2(max(1, elapsed / 100)))
        #expect(failures <= allowed, "\(failures) failures in \(Int(elapsed)) ms")
        client.shutdown()
        await live.stop()
    }

    @Test func endpointsFollowReResolution() async throws {
        let firstCalls = TestCounter()
        let secondCalls = TestCounter()
        let first = try InProcessServer(registry: ServerBadInputTests.registry(counter: firstCalls))
        let second = try InProcessServer(registry: ServerBadInputTests.registry(counter: secondCalls))
        let firstAddresses = try SocketAddress.resolve(first.target)
        let bothAddresses = firstAddresses + (try SocketAddress.resolve(second.target))
        let answer = Locked<[SocketAddress]>(firstAddresses)
        let client = try WireClient.forTesting([HostPort(host: "scorer.internal", port: 7102)]) { configuration in
            configuration.resolveInterval = .milliseconds(50)
            configuration.resolver = { _ in answer.withLock { $0 } }
        }
        func count() async throws {
            _ = try await client.unary(ServerBadInputTests.counted.descriptor, body: Array("{}".utf8))
        }
        for _ in 0..<20 { try await count() }
        #expect(firstCalls.value == 20 && secondCalls.value == 0, "only the first address is resolved yet")
        answer.withLock { $0 = bothAddresses }
        try await waitUntil(timeout: .seconds(30)) {
            try? await count()
            return secondCalls.value > 0
        }
        let secondOnly = try SocketAddress.resolve(second.target)
        answer.withLock { $0 = secondOnly }
        // Once the first address is dropped, every call reaches the second server.
        try await waitUntil(timeout: .seconds(30)) {
            let before = firstCalls.value
            for _ in 0..<10 { try? await count() }
            return firstCalls.value == before
        }
        await first.stop()
        for _ in 0..<20 {
            _ = try await client.call(EchoService.echo, Array("{}".utf8))
        }
        client.shutdown()
        await second.stop()
    }

    @Test func oversizeRequestsFailLocallyWithoutBeingSent() async throws {
        let calls = TestCounter()
        let server = try InProcessServer(registry: ServerBadInputTests.registry(counter: calls))
        let client = try WireClient.forTesting([server.target]) { $0.maxFrameSize = 128 }
        let body = Array(("{\"pad\":\"" + String(repeating: "y", count: 200) + "\"}").utf8)
        do {
            _ = try await client.call(EchoService.echo, body)
            Issue.record("call should fail")
        } catch {
            #expect(error.code == .resourceExhausted)
            #expect(error.message.contains("frame limit of 128"))
        }
        _ = try await client.unary(MethodDescriptor(service: "Test", method: "Count", idempotent: true), body: Array("{}".utf8))
        #expect(calls.value == 1)
        client.shutdown()
        await server.stop()
    }

    @Test func callerDeadlineAndCancellationEndTheWait() async throws {
        let server = try InProcessServer(registry: ServerBadInputTests.registry())
        let client = try WireClient.forTesting([server.target])
        let started = ContinuousClock.now
        do {
            _ = try await client.call(EchoService.sleep, EchoService.SleepRequest(ms: 30_000), deadline: .after(.milliseconds(100)))
            Issue.record("call should time out")
        } catch {
            #expect(error.code == .deadlineExceeded)
        }
        // The call ends at its deadline, long before the 30 s handler would answer.
        #expect(ContinuousClock.now - started < .seconds(15))
        let task = Task {
            try await client.call(EchoService.sleep, EchoService.SleepRequest(ms: 30_000))
        }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        do {
            _ = try await task.value
            Issue.record("call should be cancelled")
        } catch let error as RPCError {
            #expect(error.code == .cancelled)
        }
        client.shutdown()
        await server.stop()
    }

    /// A call made by a task that is already cancelled ends at once, not at its deadline (the
    /// cancellation handler runs before the call is registered; a lost hedge is such a task).
    @Test func aCallFromACancelledTaskEndsAtOnce() async throws {
        let server = try InProcessServer(registry: ServerBadInputTests.registry())
        let client = try WireClient.forTesting([server.target])
        let started = ContinuousClock.now
        let task = Task { () async -> RPCError? in
            withUnsafeCurrentTask { $0?.cancel() }
            do {
                _ = try await client.call(EchoService.sleep, EchoService.SleepRequest(ms: 60_000), deadline: .after(.seconds(30)))
                return nil
            } catch {
                return error as? RPCError
            }
        }
        let error = await task.value
        #expect(error?.code == .cancelled, "\(String(describing: error))")
        // Far below the deadline, with room for a loaded CI machine to schedule the task (a
        // run with the other suites beside it once took 1.01 s).
        #expect(ContinuousClock.now - started < .seconds(3), "not the 30 s deadline")
        client.shutdown()
        await server.stop()
    }

    @Test func noReachableEndpointIsUnavailable() async throws {
        let client = try WireClient.forTesting([HostPort(host: "127.0.0.1", port: 1)]) { $0.maxAttempts = 2 }
        do {
            _ = try await client.call(EchoService.echo, Array("{}".utf8))
            Issue.record("call should fail")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("127.0.0.1:1"))
        }
        client.shutdown()
    }
}

enum Probe {
    static let remaining = RPCMethod<EmptyMessage, Remaining>(service: "Probe", method: "Remaining", idempotent: true)
    static let relay = RPCMethod<EmptyMessage, Remaining>(service: "Probe", method: "Relay", idempotent: true)

    struct Remaining: Codable, Sendable {
        var ms: Int64
    }
}

/// Gray failures of wire endpoints: one that is frozen (SIGSTOP) accepts connections and
/// answers nothing.
@Suite(.serialized) struct FrozenEndpointTests {
    @Test func idempotentCallsAreHedgedAroundAFrozenEndpointWhichIsEjected() async throws {
        var servers: [EchoProcesses.Running] = []
        for _ in 0..<2 { servers.append(try await EchoProcesses.start()) }
        defer { for server in servers { kill(server.process.pid, SIGCONT); server.process.terminate() } }
        let client = try WireClient.forTesting(servers.map(\.target))
        defer { client.shutdown() }
        // Enough calls for a p95 to hedge at.
        for _ in 0..<100 { _ = try await client.call(EchoService.sleep, EchoService.SleepRequest(ms: 1), deadline: .after(.seconds(5))) }
        let frozen = servers[0]
        kill(frozen.process.pid, SIGSTOP)
        // The signal is queued; wait until the kernel reports the process stopped ("T").
        try await waitUntil(timeout: .seconds(5)) {
            let stat = (try? String(contentsOfFile: "/proc/\(frozen.process.pid)/stat", encoding: .utf8)) ?? ""
            return stat.split(separator: ")").last?.split(separator: " ").first == "T"
        }
        var slowest: Duration = .zero
        var answeredBy: [Int32: Int] = [:]
        for _ in 0..<200 {
            let started = ContinuousClock.now
            let reply = try await client.call(EchoService.sleep, EchoService.SleepRequest(ms: 1), deadline: .after(.seconds(2)))
            slowest = max(slowest, ContinuousClock.now - started)
            answeredBy[reply.pid, default: 0] += 1
        }
        #expect(answeredBy[servers[1].process.pid] == 200, "only the live server answers: \(answeredBy)")
        #expect(slowest < .milliseconds(500), "no call waits out its 2 s deadline on the frozen server: \(slowest)")
        kill(frozen.process.pid, SIGCONT)
    }
}
