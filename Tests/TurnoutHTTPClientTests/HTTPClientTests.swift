import Foundation
import Testing
import TurnoutHTTPClient
import TurnoutTestSupport

@Suite struct HTTPClientTests {
    private func embeddingsRequest(_ upstream: TestUpstream, texts: [String]) throws -> HTTPRequest {
        let body = try JSONSerialization.data(withJSONObject: ["model": "m", "input": texts])
        var request = HTTPRequest(method: "POST", url: "\(upstream.baseURL)/v1/embeddings",
                                  headers: [("Content-Type", "application/json"), ("Authorization", "Bearer sk-test")], body: Array(body))
        request.timeout = .seconds(5)
        return request
    }

    @Test func buffersAResponseAndReusesTheClient() async throws {
        let upstream = try await TestUpstream.start()
        defer { upstream.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        for round in 0..<3 {
            let response = try await client.send(try embeddingsRequest(upstream, texts: ["a", "b\(round)"]))
            #expect(response.status == 200)
            #expect(response.head.header("Content-Type") == "application/json")
            let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            #expect((object?["data"] as? [Any])?.count == 2)
        }
        #expect(try upstream.requestCount("/v1/embeddings") == 3)
        #expect(try (upstream.stats()["last_headers"] as? [String: String])?["authorization"] == "Bearer sk-test")
    }

    @Test func concurrentRequestsAllComplete() async throws {
        let upstream = try await TestUpstream.start()
        defer { upstream.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<40 {
                let request = try embeddingsRequest(upstream, texts: ["text \(index)"])
                group.addTask { try await client.send(request).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 40))
    }

    @Test func streamsServerSentEventsChunkByChunk() async throws {
        let upstream = try await TestUpstream.start(name: "weak-model")
        defer { upstream.stop() }
        try upstream.set(mode: "slow_stream")
        let client = HTTPClient()
        defer { client.shutdown() }
        let body = try JSONSerialization.data(withJSONObject: ["model": "weak-model", "stream": true,
                                                               "messages": [["role": "user", "content": "one two three four"]]])
        let (head, stream) = try await client.stream(HTTPRequest(method: "POST", url: "\(upstream.baseURL)/v1/chat/completions", body: Array(body)))
        #expect(head.status == 200)
        #expect(head.header("content-type") == "text/event-stream")
        var chunks = 0
        var text = ""
        for try await chunk in stream {
            chunks += 1
            text += String(decoding: chunk, as: UTF8.self)
        }
        #expect(chunks > 3, "a slow stream arrives in several chunks, not one")
        #expect(text.hasSuffix("data: [DONE]\n\n"))
        #expect(text.contains("weak-model"))
    }

    @Test func errorStatusesAreResponsesNotErrors() async throws {
        let upstream = try await TestUpstream.start()
        defer { upstream.stop() }
        try upstream.set(mode: "rate429", count: 1, retryAfter: 2)
        let client = HTTPClient()
        defer { client.shutdown() }
        let limited = try await client.send(try embeddingsRequest(upstream, texts: ["x"]))
        #expect(limited.status == 429)
        #expect(limited.head.header("retry-after") == "2")
        let fine = try await client.send(try embeddingsRequest(upstream, texts: ["x"]))
        #expect(fine.status == 200)
    }

    @Test func connectionRefusedIsConnectFailed() async throws {
        let client = HTTPClient()
        defer { client.shutdown() }
        await #expect(throws: HTTPClientError.self) {
            try await client.send(HTTPRequest(url: "http://127.0.0.1:1/v1/models"))
        }
        do {
            _ = try await client.send(HTTPRequest(url: "http://127.0.0.1:1/v1/models"))
        } catch {
            guard case .connectFailed = error else {
                Issue.record("expected connectFailed, got \(error)")
                return
            }
        }
    }

    @Test func aStalledUpstreamTimesOutBeforeHeaders() async throws {
        let upstream = try await TestUpstream.start()
        defer { upstream.stop() }
        try upstream.set(mode: "stall", count: 1)
        let client = HTTPClient()
        defer { client.shutdown() }
        var request = try embeddingsRequest(upstream, texts: ["x"])
        request.headerTimeout = .milliseconds(300)
        let started = ContinuousClock.now
        do {
            _ = try await client.send(request)
            Issue.record("a stalled upstream must time out")
        } catch {
            #expect(error == .timedOut(beforeHeaders: true))
        }
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test func headersWithLineBreaksAreRefused() async throws {
        let client = HTTPClient()
        defer { client.shutdown() }
        let request = HTTPRequest(url: "http://127.0.0.1:1/", headers: [("X-Evil", "a\r\nInjected: yes")])
        do {
            _ = try await client.send(request)
            Issue.record("header injection must be refused")
        } catch {
            guard case .invalidRequest = error else {
                Issue.record("expected invalidRequest, got \(error)")
                return
            }
        }
    }
}
