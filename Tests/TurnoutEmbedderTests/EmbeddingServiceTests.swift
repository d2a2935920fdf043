import Foundation
import Testing
import TurnoutEmbedder
import TurnoutEmbedderAPI
import TurnoutHTTPClient
import TurnoutTelemetry
import TurnoutTestSupport
import TurnoutWire

@Suite struct RemoteBackendTests {
    let logger = Logger(service: "test", sink: MemoryLogSink())

    func backend(_ upstream: TestUpstream, client: HTTPClient, attempts: Int = 3) -> RemoteEmbeddingBackend {
        var configuration = RemoteEmbeddingBackend.Configuration(baseURL: "\(upstream.baseURL)/v1", model: "text-embedding-test", dimensions: 8, apiKey: "sk-secret")
        configuration.initialBackoff = .milliseconds(20)
        configuration.maxAttempts = attempts
        configuration.timeout = .seconds(2)
        return RemoteEmbeddingBackend(configuration: configuration, client: client, logger: logger)
    }

    @Test func embedsInOrderWithUnitVectorsAndTheKey() async throws {
        let upstream = try await TestUpstream.start(dims: 8)
        defer { upstream.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        let vectors = try await backend(upstream, client: client).embed(["a", "b", "a"])
        #expect(vectors.count == 3)
        #expect(vectors[0] == vectors[2])
        #expect(vectors[0] != vectors[1])
        for vector in vectors {
            #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        }
        let headers = try upstream.stats()["last_headers"] as? [String: String]
        #expect(headers?["authorization"] == "Bearer sk-secret")
    }

    @Test func rateLimitsAndServerErrorsAreRetried() async throws {
        let upstream = try await TestUpstream.start()
        defer { upstream.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        try upstream.set(mode: "rate429", count: 1, retryAfter: 0)
        _ = try await backend(upstream, client: client).embed(["x"])
        try upstream.set(mode: "fail500", count: 2)
        _ = try await backend(upstream, client: client).embed(["y"])
        #expect(try upstream.requestCount("/v1/embeddings") == 5)
    }

    @Test(arguments: [("fail500", StatusCode.unavailable), ("garbage", .unavailable), ("stall", .unavailable)])
    func persistentFailuresMapToStatusCodes(mode: String, expected: StatusCode) async throws {
        let upstream = try await TestUpstream.start()
        defer { upstream.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        try upstream.set(mode: mode)
        var remote = backend(upstream, client: client, attempts: 2).configuration
        remote.timeout = .milliseconds(500)
        let configured = RemoteEmbeddingBackend(configuration: remote, client: client, logger: logger)
        do {
            _ = try await configured.embed(["x"])
            Issue.record("\(mode) must fail")
        } catch {
            #expect(error.code == expected)
            #expect(!error.message.contains("sk-secret"))
        }
    }

    @Test func anUnreachableUpstreamIsUnavailable() async throws {
        let client = HTTPClient()
        defer { client.shutdown() }
        var configuration = RemoteEmbeddingBackend.Configuration(baseURL: "http://127.0.0.1:1/v1", model: "m", dimensions: 8, apiKey: nil)
        configuration.maxAttempts = 2
        configuration.initialBackoff = .milliseconds(10)
        do {
            _ = try await RemoteEmbeddingBackend(configuration: configuration, client: client, logger: logger).embed(["x"])
            Issue.record("must fail")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("127.0.0.1:1"))
        }
    }

    @Test func wrongDimensionsAreRejected() async throws {
        let upstream = try await TestUpstream.start(dims: 4)
        defer { upstream.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        await #expect(throws: RPCError.self) { try await backend(upstream, client: client).embed(["x"]) }
    }
}

@Suite struct EmbeddingServiceTests {
    let logger = Logger(service: "test", sink: MemoryLogSink())

    func service(_ upstream: TestUpstream, client: HTTPClient, limits: EmbeddingService.Limits = .init()) throws -> EmbeddingService {
        let backend = RemoteEmbeddingBackend(
            configuration: .init(baseURL: "\(upstream.baseURL)/v1", model: "remote-model", dimensions: 8, apiKey: nil),
            client: client, logger: logger)
        let cache = try EmbeddingCache(path: TestPaths.temporaryDirectory().appendingPathComponent("c.sqlite").path, maxEntries: 1000, logger: logger)
        return EmbeddingService(backend: backend, backendName: "remote", cache: cache, limits: limits, logger: logger)
    }

    @Test func cachedAndDuplicateTextsAreNotEmbeddedAgain() async throws {
        let upstream = try await TestUpstream.start()
        defer { upstream.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        let embedder = try service(upstream, client: client)
        let first = try await embedder.embed(.init(texts: ["alpha", "beta", "alpha"]))
        #expect(first.vectors.count == 3 && first.dims == 8 && first.model == "remote-model")
        #expect(first.vectors[0] == first.vectors[2])
        let lastBody = try upstream.stats()["last_body"] as? [String: Any]
        #expect((lastBody?["input"] as? [String]) == ["alpha", "beta"])
        let second = try await embedder.embed(.init(texts: ["beta", "alpha"]))
        #expect(second.vectors == [first.vectors[1], first.vectors[0]])
        #expect(try upstream.requestCount("/v1/embeddings") == 1)
        #expect(embedder.cache?.statistics.hits == 2)
    }

    @Test func limitsAreEnforcedAndNamed() async throws {
        let upstream = try await TestUpstream.start()
        defer { upstream.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        var limits = EmbeddingService.Limits()
        limits.maxTexts = 3
        limits.maxTotalBytes = 20
        let embedder = try service(upstream, client: client, limits: limits)
        let cases: [(EmbedderAPI.EmbedRequest, StatusCode, String)] = [
            (.init(texts: []), .invalidArgument, "at least one text"),
            (.init(texts: ["a", "b", "c", "d"]), .invalidArgument, "limit of 3 texts"),
            (.init(texts: [String(repeating: "x", count: 21)]), .resourceExhausted, "limit of 20 bytes"),
            (.init(texts: ["a"], model: "gpt-9"), .invalidArgument, "serves \"remote-model\""),
        ]
        for (request, code, fragment) in cases {
            do {
                _ = try await embedder.embed(request)
                Issue.record("request should be refused: \(request.texts.count) texts")
            } catch {
                #expect(error.code == code)
                #expect(error.message.contains(fragment), "\(error.message)")
            }
        }
        #expect(try upstream.requestCount("/v1/embeddings") == 0)
    }
}
