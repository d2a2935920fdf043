import Foundation
import Testing
import TurnoutDispatcher
import TurnoutEmbedderAPI
import TurnoutHTTPClient
import TurnoutJSON
import TurnoutScorerAPI
import TurnoutTelemetry
import TurnoutTestSupport
import TurnoutWire

/// A transport that answers each method with what a closure says: the embedder and the
/// scorer, in process, so the dispatcher's core can be driven without their services.
private final class ScriptedTransport: ClientTransport {
    private let answer: @Sendable (String, [UInt8]) throws(RPCError) -> String

    init(_ answer: @escaping @Sendable (String, [UInt8]) throws(RPCError) -> String) {
        self.answer = answer
    }

    func unary(_ method: MethodDescriptor, body: [UInt8], metadata: [String: String], deadline: Deadline?) async throws(RPCError) -> [UInt8] {
        Array(try answer(method.fullName, body).utf8)
    }
}

/// The dispatcher's core, called directly with parsed requests: no HTTP server and no wire
/// server, only its typed results. The upstream is the real test upstream process.
@Suite struct DispatcherCoreTests {
    static func dispatcher(upstream: TestUpstream, winRate: Double) -> (Dispatcher, HTTPClient) {
        let strong = UpstreamConfiguration(name: "strong-model", baseURL: upstream.baseURL + "/v1", inputPricePerMillion: 10, outputPricePerMillion: 30)
        let weak = UpstreamConfiguration(name: "weak-model", baseURL: upstream.baseURL + "/v1")
        let configuration = DispatcherConfiguration(upstreams: [strong, weak], strong: strong.name, weak: weak.name, maxRetryAfter: .seconds(2))
        let embedder = ScriptedTransport { method, _ throws(RPCError) in
            guard method == "Embedder/Embed" else { throw RPCError(.unimplemented, method) }
            return #"{"model":"m","dims":2,"vectors":[[0.6,0.8]]}"#
        }
        let scorer = ScriptedTransport { method, body throws(RPCError) in
            switch method {
            case "Scorer/Routers":
                return #"{"routers":[{"name":"mf","kind":"mf","version":"v1","embedding_model":"m","embedding_dims":2,"training_battles":1,"created_at":"","strong_fractions":[]}]}"#
            case "Scorer/Score":
                let request = try ScorerAPICodecProbe.threshold(in: body)
                return #"{"win_rate":\#(winRate),"route":"\#(winRate >= request ? "strong" : "weak")","threshold":\#(request),"router_version":"v1"}"#
            default:
                throw RPCError(.unimplemented, method)
            }
        }
        let metrics = MetricsRegistry()
        let logger = Logger(service: "test", minimumLevel: .error)
        let decider = RouteDecider(configuration: configuration, embedder: EmbedderClient(embedder), scorer: ScorerClient(scorer), metrics: metrics, logger: logger)
        let http = HTTPClient()
        let caller = UpstreamCaller(upstreams: configuration.upstreams, client: http, maxRetryAfter: configuration.maxRetryAfter, environment: [:], metrics: metrics, logger: logger)
        return (Dispatcher(configuration: configuration, decider: decider, caller: caller,
                           recorder: DispatchRecorder(configuration: configuration, shipper: nil, metrics: metrics)), http)
    }

    static func chat(_ model: String, stream: Bool = false) throws -> ChatRequest {
        try ChatRequest(body: Array(#"{"model":"\#(model)","stream":\#(stream),"temperature":0.7,"messages":[{"role":"user","content":"How far is the Moon?"}]}"#.utf8))
    }

    @Test func aRoutedCompletionComesBackWholeWithItsRoute() async throws {
        let upstream = try await TestUpstream.start(name: "upstream")
        defer { upstream.stop() }
        let (dispatcher, http) = Self.dispatcher(upstream: upstream, winRate: 0.9)
        defer { http.shutdown() }
        let result = await dispatcher.complete(try Self.chat("router-mf-0.5"), requestID: "core-1")
        guard case let .completion(body) = result.answer else {
            Issue.record("expected a whole completion, got \(result.answer)")
            return
        }
        let members = try JSONObjectMembers(body)
        #expect(members["model"].map { Array($0) } == JSONObjectMembers.string("strong-model"), "model is the upstream that answered")
        #expect(members["choices"] != nil)
        #expect(result.route.requestID == "core-1")
        #expect(result.route.decision?.route == "strong" && result.route.decision?.winRate == 0.9 && result.route.decision?.threshold == 0.5)
        #expect(result.route.answeringModel == "strong-model" && !result.route.fellBack)
        // The body sent upstream kept every field the dispatcher does not rewrite.
        let sent = try #require(try upstream.stats()["last_body"] as? [String: Any])
        #expect(sent["temperature"] as? Double == 0.7 && sent["model"] as? String == "strong-model")
    }

    @Test func aStreamIsRelayedThroughTheCallersWriter() async throws {
        let upstream = try await TestUpstream.start(name: "upstream")
        defer { upstream.stop() }
        let (dispatcher, http) = Self.dispatcher(upstream: upstream, winRate: 0.1)
        defer { http.shutdown() }
        let result = await dispatcher.complete(try Self.chat("router-mf-0.5", stream: true), requestID: "core-2")
        guard case let .stream(stream) = result.answer else {
            Issue.record("expected a stream, got \(result.answer)")
            return
        }
        #expect(result.route.decision?.route == "weak" && result.route.answeringModel == "weak-model")
        let written = Locked<[UInt8]>([])
        await stream.relay { bytes in
            written.withLock { $0 += bytes }
            return true
        }
        let text = String(decoding: written.value, as: UTF8.self)
        #expect(text.hasSuffix("data: [DONE]\n\n"))
        #expect(text.contains(#""model":"weak-model""#))
        #expect(!text.contains(#""model":"upstream""#), "every chunk's model is rewritten")
        #expect(!text.contains(#""usage""#), "the usage chunk the dispatcher asked for is not passed on")
    }

    @Test func refusalsAndUpstreamErrorsAreOpenAIErrors() async throws {
        let upstream = try await TestUpstream.start(name: "upstream")
        defer { upstream.stop() }
        let (dispatcher, http) = Self.dispatcher(upstream: upstream, winRate: 0.9)
        defer { http.shutdown() }
        let unknown = await dispatcher.complete(try Self.chat("gpt-17"), requestID: "core-3")
        guard case let .failure(error) = unknown.answer else {
            Issue.record("an unknown model must be refused")
            return
        }
        #expect(error.status == 404 && error.code == "model_not_found" && unknown.route.decision == nil)

        // The upstream's own 400 reaches the client with its message, param and code.
        try upstream.set(mode: "reject400", count: 1)
        let rejected = await dispatcher.complete(try Self.chat("strong-model"), requestID: "core-4")
        guard case let .failure(relayed) = rejected.answer else {
            Issue.record("the upstream's 400 must be relayed")
            return
        }
        #expect(relayed == OpenAIError(status: 400, message: "This model's maximum context length is 8192 tokens", type: "invalid_request_error",
                                       param: "messages", code: "context_length_exceeded"))
        #expect(rejected.route.answeringModel == "strong-model")

        // A 429 whose Retry-After is too long to wait out carries it, for the front end's header.
        try upstream.set(mode: "rate429", count: 10, retryAfter: 60)
        let limited = await dispatcher.complete(try Self.chat("weak-model"), requestID: "core-5")
        guard case let .failure(limit) = limited.answer else {
            Issue.record("a 429 must be passed on")
            return
        }
        #expect(limit.status == 429 && limit.retryAfter == "60" && limit.type == "rate_limit_error")
    }

    @Test func aRefusedBodyIsRecordedAsAFailure() {
        let (dispatcher, http) = dispatcherForRefusal()
        defer { http.shutdown() }
        let result = dispatcher.refuse(.invalidRequest("the request body is not a JSON object"), requestID: "core-6")
        guard case let .failure(error) = result.answer else {
            Issue.record("a refusal is a failure")
            return
        }
        #expect(error.status == 400 && result.route == CompletionRoute(requestID: "core-6"))
    }

    private func dispatcherForRefusal() -> (Dispatcher, HTTPClient) {
        let upstream = UpstreamConfiguration(name: "only", baseURL: "http://127.0.0.1:1/v1")
        let configuration = DispatcherConfiguration(upstreams: [upstream], strong: "only", weak: "only")
        let metrics = MetricsRegistry()
        let logger = Logger(service: "test", minimumLevel: .error)
        let unused = ScriptedTransport { method, _ throws(RPCError) in throw RPCError(.unavailable, method) }
        let http = HTTPClient()
        return (Dispatcher(configuration: configuration,
                           decider: RouteDecider(configuration: configuration, embedder: EmbedderClient(unused), scorer: ScorerClient(unused), metrics: metrics, logger: logger),
                           caller: UpstreamCaller(upstreams: [upstream], client: http, maxRetryAfter: .seconds(1), environment: [:], metrics: metrics, logger: logger),
                           recorder: DispatchRecorder(configuration: configuration, shipper: nil, metrics: metrics)), http)
    }
}

/// Reads the threshold a `Scorer/Score` request carries, as the scorer would.
private enum ScorerAPICodecProbe {
    static func threshold(in body: [UInt8]) throws(RPCError) -> Double {
        let request = try ScorerAPI.score.request.decode(body)
        guard let threshold = request.threshold else { throw RPCError(.invalidArgument, "the test scorer needs a threshold") }
        return threshold
    }
}
