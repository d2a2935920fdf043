import Foundation
import Synchronization
import Testing
import TurnoutDispatcher

@Suite struct ModelSelectionTests {
    let routers: Set<String> = ["mf", "sw_ranking", "random", "classifier"]
    let upstreams: Set<String> = ["gpt-4-1106-preview", "mixtral-8x7b"]

    @Test func readsRouteLLMStyleNames() throws {
        #expect(try ModelSelection.parse("router-mf-0.1159", routers: routers, upstreams: upstreams) == .routed(router: "mf", threshold: 0.1159))
        #expect(try ModelSelection.parse("router-sw_ranking-1", routers: routers, upstreams: upstreams) == .routed(router: "sw_ranking", threshold: 1))
        #expect(try ModelSelection.parse("router-mf", routers: routers, upstreams: upstreams) == .routedDefault(router: "mf"))
        #expect(try ModelSelection.parse("mixtral-8x7b", routers: routers, upstreams: upstreams) == .passthrough(upstream: "mixtral-8x7b"))
    }

    @Test(arguments: ["router-bert-0.5", "router-", "gpt-5", "router-bert@30%"])
    func unknownModelsAreNotFound(_ model: String) {
        do {
            _ = try ModelSelection.parse(model, routers: routers, upstreams: upstreams)
            Issue.record("\(model) must be refused")
        } catch {
            #expect(error.status == 404 && error.code == "model_not_found" && error.param == "model", "\(error)")
        }
    }

    @Test(arguments: ["router-mf-abc", "router-mf-1.5", "router-mf--0.2", "router-mf-nan", "router-mf@30", "router-mf@130%", "router-mf@-5%", "router-mf@%"])
    func malformedThresholdsAndSharesAreBadRequests(_ model: String) {
        do {
            _ = try ModelSelection.parse(model, routers: routers, upstreams: upstreams)
            Issue.record("\(model) must be refused")
        } catch {
            #expect(error.status == 400 && error.param == "model" && error.code == "invalid_value", "\(error)")
            #expect(!error.message.contains("unknown router"), "the router is known: \(error.message)")
        }
    }

    @Test func aNegativeThresholdNamesTheRouterItQualifies() throws {
        do {
            _ = try ModelSelection.parse("router-mf--0.1", routers: routers, upstreams: upstreams)
            Issue.record("a negative threshold must be refused")
        } catch {
            #expect(error.message.contains("\"-0.1\"") && error.message.contains("between 0 and 1"), "\(error.message)")
        }
        #expect(ModelSelection.routerName(in: "router-mf--0.1") == "mf")
        #expect(ModelSelection.routerName(in: "router-my-router-0.5") == "my-router")
        #expect(ModelSelection.routerName(in: "router-mf@30%") == "mf")
        #expect(ModelSelection.routerName(in: "gpt-4") == nil)
    }

    @Test func readsShareFormsAndDashedRouterNames() throws {
        #expect(try ModelSelection.parse("router-mf@30%", routers: routers, upstreams: upstreams) == .routedShare(router: "mf", strongShare: 0.3))
        #expect(try ModelSelection.parse("router-mf@12.5%", routers: routers, upstreams: upstreams) == .routedShare(router: "mf", strongShare: 0.125))
        let dashed: Set<String> = ["my-router", "my"]
        #expect(try ModelSelection.parse("router-my-router-0.5", routers: dashed, upstreams: upstreams) == .routed(router: "my-router", threshold: 0.5))
        #expect(try ModelSelection.parse("router-my-0.5", routers: dashed, upstreams: upstreams) == .routed(router: "my", threshold: 0.5))
    }

    @Test func errorsHaveOpenAIsShape() throws {
        let error = OpenAIError.invalidRequest("bad \"model\"", param: "model", code: "model_not_found")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(error.body)) as? [String: Any])
        let inner = try #require(object["error"] as? [String: Any])
        #expect(inner["message"] as? String == "bad \"model\"")
        #expect(inner["type"] as? String == "invalid_request_error")
        #expect(inner["param"] as? String == "model")
        #expect(inner["code"] as? String == "model_not_found")
        #expect(String(decoding: error.event, as: UTF8.self).hasPrefix("data: {\"error\":"))
    }
}

@Suite struct CircuitBreakerTests {
    final class FakeClock: Sendable {
        let now = Mutex<UInt64>(1_000_000_000)
        func advance(_ nanos: UInt64) { now.withLock { $0 += nanos } }
    }

    @Test func opensAfterFailuresAndProbesAfterTheCooldown() {
        let clock = FakeClock()
        let breaker = CircuitBreaker(failureThreshold: 3, cooldown: .seconds(10)) { clock.now.withLock { $0 } }
        for _ in 0..<2 {
            #expect(breaker.allowCall())
            breaker.recordFailure()
        }
        #expect(breaker.state == .closed)
        breaker.recordFailure()
        #expect(breaker.state == .open)
        #expect(!breaker.allowCall())
        clock.advance(9_000_000_000)
        #expect(!breaker.allowCall())
        clock.advance(1_000_000_000)
        #expect(breaker.allowCall())
        #expect(breaker.state == .halfOpen)
        // Only one trial call at a time.
        #expect(!breaker.allowCall())
        breaker.recordFailure()
        #expect(breaker.state == .open)
        clock.advance(10_000_000_000)
        #expect(breaker.allowCall())
        breaker.recordSuccess()
        #expect(breaker.state == .closed)
        #expect(breaker.allowCall())
    }
}

@Suite struct ServerSentEventTests {
    @Test func eventsSurviveAnyChunking() {
        let stream = "data: {\"a\":1}\n\n: comment\n\ndata: {\"b\":\ndata: 2}\r\n\r\ndata: [DONE]\n\n"
        let bytes = Array(stream.utf8)
        var whole = ServerSentEventParser()
        let expected = whole.feed(bytes)
        #expect(expected == ["{\"a\":1}", "{\"b\":\n2}", "[DONE]"])
        for size in 1...7 {
            var parser = ServerSentEventParser()
            var events: [String] = []
            var index = 0
            while index < bytes.count {
                events += parser.feed(Array(bytes[index..<min(bytes.count, index + size)]))
                index += size
            }
            #expect(events == expected)
            // Nothing is left over: a blank line now would end no half-read event.
            #expect(parser.feed(Array("\n\n".utf8)).isEmpty)
        }
    }
}
