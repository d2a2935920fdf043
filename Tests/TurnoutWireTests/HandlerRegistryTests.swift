import Testing
import TurnoutWire

private struct AddRequest: Codable, Sendable {
    var a: Int
    var b: Int
}

private struct AddResponse: Codable, Sendable {
    var sum: Int
}

private struct Leaky: Error {
    let secret = "db password"
}

@Suite struct HandlerRegistryTests {
    private static let add = RPCMethod<AddRequest, AddResponse>(service: "Math", method: "Add", idempotent: true)
    private static let fail = RPCMethod<EmptyMessage, EmptyMessage>(service: "Math", method: "Fail", idempotent: false)
    private static let crash = RPCMethod<EmptyMessage, EmptyMessage>(service: "Math", method: "Crash", idempotent: false)
    /// A method whose codec refuses every request: the handler must never run.
    private static let strict = RPCMethod(MethodDescriptor(service: "Math", method: "Strict", idempotent: true),
                                          request: MessageCodec<EmptyMessage>(encode: { _ in [] }, decode: { _ throws(RPCError) in throw RPCError(.invalidArgument, "strict codec refuses") }),
                                          response: MessageCodec<EmptyMessage>.json)

    private func registry() -> HandlerRegistry {
        var registry = HandlerRegistry()
        registry.register(Self.add) { (request: AddRequest, _: CallContext) async throws -> AddResponse in
            AddResponse(sum: request.a + request.b)
        }
        registry.register(Self.fail) { (_: EmptyMessage, _: CallContext) async throws -> EmptyMessage in
            throw RPCError(.failedPrecondition, "no model loaded")
        }
        registry.register(Self.crash) { (_: EmptyMessage, _: CallContext) async throws -> EmptyMessage in
            throw Leaky()
        }
        registry.register(Self.strict) { _, _ in
            Issue.record("a request the codec refused reached the handler")
            return EmptyMessage()
        }
        return registry
    }

    private func invoke(_ registry: HandlerRegistry, _ method: String, _ body: String) async throws -> HandlerOutcome {
        let entry = try #require(registry.entry(for: method))
        let context = CallContext(method: method, requestID: 1, metadata: [:], deadline: nil, peer: "test")
        return await registry.invoke(entry, body: Array(body.utf8), context: context)
    }

    @Test func typedHandlerDecodesAndEncodes() async throws {
        let outcome = try await invoke(registry(), "Math/Add", "{\"a\":2,\"b\":3}")
        #expect(outcome.code == .ok)
        #expect(try WireCoding.decode(AddResponse.self, from: outcome.body).sum == 5)
    }

    @Test func badBodyIsInvalidArgumentNamingTheField() async throws {
        let missing = try await invoke(registry(), "Math/Add", "{\"a\":2}")
        #expect(missing.code == .invalidArgument)
        #expect(missing.message.contains("missing field \"b\""))
        let wrongType = try await invoke(registry(), "Math/Add", "{\"a\":2,\"b\":\"x\"}")
        #expect(wrongType.code == .invalidArgument)
        #expect(wrongType.message.contains("field \"b\""))
    }

    @Test func theMethodsCodecDecidesWhatReachesTheHandler() async throws {
        let outcome = try await invoke(registry(), "Math/Strict", "{}")
        #expect(outcome.code == .invalidArgument)
        #expect(outcome.message == "strict codec refuses")
    }

    @Test func thrownRPCErrorsKeepTheirCode() async throws {
        let outcome = try await invoke(registry(), "Math/Fail", "{}")
        #expect(outcome.code == .failedPrecondition)
        #expect(outcome.message == "no model loaded")
    }

    @Test func unknownErrorsBecomeInternalWithoutLeakingDetails() async throws {
        let outcome = try await invoke(registry(), "Math/Crash", "{}")
        #expect(outcome.code == .internal)
        #expect(!outcome.message.contains("password"))
        #expect(outcome.error?.cause.map { "\($0)" }?.contains("password") == true)
    }

    @Test func healthReportsOverallAndPerService() async throws {
        let registry = registry()
        let overall = try await invoke(registry, "Health/Check", "{}")
        #expect(try WireCoding.decode(HealthCheckResponse.self, from: overall.body).status == .serving)
        registry.health.setStatus(.notServing, forService: "Math")
        let math = try await invoke(registry, "Health/Check", "{\"service\":\"Math\"}")
        #expect(try WireCoding.decode(HealthCheckResponse.self, from: math.body).status == .notServing)
        let unknown = try await invoke(registry, "Health/Check", "{\"service\":\"Nope\"}")
        #expect(unknown.code == .notFound)
        registry.health.setOverall(.notServing)
        let draining = try await invoke(registry, "Health/Check", "{}")
        #expect(try WireCoding.decode(HealthCheckResponse.self, from: draining.body).status == .notServing)
    }

    @Test func reflectionListsEveryMethod() async throws {
        let outcome = try await invoke(registry(), "Reflection/List", "{}")
        let list = try WireCoding.decode(ReflectionListResponse.self, from: outcome.body)
        #expect(list.methods.map(\.name) == ["Health/Check", "Math/Add", "Math/Crash", "Math/Fail", "Math/Strict", "Reflection/List"])
        #expect(list.methods.first { $0.name == "Math/Fail" }?.idempotent == false)
        #expect(list.services == ["Health", "Math", "Reflection"])
    }

    @Test func deadlinesCountDown() throws {
        let deadline = Deadline.after(milliseconds: 200)
        #expect(!deadline.hasPassed)
        #expect((1...200).contains(deadline.remainingMilliseconds))
        #expect(Deadline.after(milliseconds: 0).hasPassed)
        #expect(Deadline.after(milliseconds: -3).remainingMilliseconds == 0)
    }
}
