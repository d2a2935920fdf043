import Foundation
import Testing
import TurnoutDispatcher
import TurnoutJSON
import TurnoutRuntime
import TurnoutWire

@Suite struct DispatcherConfigurationTests {
    static let file = """
    {
      "upstreams": [
        {"name": "big", "base_url": "${BIG_URL:-https://api.example.com/v1}", "api_key_env": "BIG_KEY",
         "input_price_per_million": 10, "output_price_per_million": 30, "timeout": "90s", "max_concurrency": 8},
        {"name": "small", "base_url": "${SMALL_URL}", "model": "small-v2"}
      ],
      "routing": {"strong": "big", "weak": "small", "default_strong_fraction": 0.2, "unavailable_route": "weak", "timeout": "750ms"},
      "max_retry_after": "4s",
      "api_keys_env": "CLIENT_KEYS"
    }
    """

    @Test func readsTheFileWithEnvironmentVariables() throws {
        let configuration = try ConfigurationFile.parse(Data(Self.file.utf8), source: "test.json",
                                                        environment: ["SMALL_URL": "http://10.0.0.5:8000/v1", "CLIENT_KEYS": "k1, k2\nk3"])
        #expect(configuration.upstream("big")?.baseURL == "https://api.example.com/v1", "the default after :- applies when unset")
        #expect(configuration.upstream("small")?.baseURL == "http://10.0.0.5:8000/v1")
        #expect(configuration.upstream("small")?.upstreamModel == "small-v2")
        #expect(configuration.upstream("big")?.timeout == .seconds(90))
        #expect(configuration.upstream("big")?.maxConcurrency == 8)
        #expect(configuration.routingTimeout == .milliseconds(750))
        #expect(configuration.unavailableRoute == .weak)
        #expect(configuration.defaultStrongFraction == 0.2)
        #expect(configuration.apiKeys == ["k1", "k2", "k3"])
        #expect(configuration.upstream("big")?.chatCompletionsURL == "https://api.example.com/v1/chat/completions")
        let cost = try #require(configuration.upstream("big")).cost(promptTokens: 1000, completionTokens: 500)
        #expect(abs(cost - 0.025) < 1e-12)
    }

    @Test(arguments: [
        ("{", "invalid JSON"),
        (#"{"upstreams": [], "routing": {"strong": "a", "weak": "b"}}"#, "no upstreams"),
        (#"{"upstreams": [{"name": "a", "base_url": "http://a"}], "routing": {"strong": "a"}}"#, "weak"),
        (#"{"upstreams": [{"name": "a", "base_url": "http://a"}, {"name": "a", "base_url": "http://b"}], "routing": {"strong": "a", "weak": "a"}}"#, "twice"),
        (#"{"upstreams": [{"name": "a", "base_url": "http://a"}, {"name": "b", "base_url": "http://b", "timeout": "soon"}], "routing": {"strong": "a", "weak": "b"}}"#, "not a duration"),
        (#"{"upstreams": [{"name": "a", "base_url": "http://a"}, {"name": "b", "base_url": "http://b"}], "routing": {"strong": "a", "weak": "b", "unavailable_route": "left"}}"#, "strong, weak or split"),
        (#"{"upstreams": [{"name": "a", "base_url": "http://a", "input_price_per_million": -1}, {"name": "b", "base_url": "http://b"}], "routing": {"strong": "a", "weak": "b"}}"#, "negative"),
        (#"{"upstreams": [{"name": "a", "base_url": "${NOPE}"}, {"name": "b", "base_url": "http://b"}], "routing": {"strong": "a", "weak": "b"}}"#, "NOPE is not set"),
        (#"{"upstreams": [{"name": "a", "base_url": "${NOPE"}, {"name": "b", "base_url": "http://b"}], "routing": {"strong": "a", "weak": "b"}}"#, "unterminated"),
    ])
    func refusesBadFilesSayingWhy(_ text: String, _ mention: String) {
        do {
            _ = try ConfigurationFile.parse(Data(text.utf8), source: "bad.json", environment: [:])
            Issue.record("must be refused: \(text)")
        } catch {
            #expect(error.description.contains(mention), "\(error)")
            #expect(error.description.contains("bad.json") || mention == "no upstreams" || mention == "twice" || mention == "negative", "\(error)")
        }
    }
}

@Suite struct ChatRequestTests {
    @Test func rewritesOnlyModelAndAsksForUsageOnStreams() throws {
        let body = #"{"model":"router-mf","temperature":0.7,"messages":[{"role":"user","content":"first"},{"role":"assistant","content":"x"},{"role":"user","content":[{"type":"text","text":"second"},{"type":"image_url","image_url":{"url":"u"}},{"type":"text","text":"part"}]}],"stream":true,"n":1}"#
        let request = try ChatRequest(body: Array(body.utf8))
        #expect(request.model == "router-mf")
        #expect(request.routingText == "second\npart", "the last user message, its text parts")
        #expect(request.stream && !request.clientWantsUsage)
        let upstream = String(decoding: request.upstreamBody(model: "gpt-4"), as: UTF8.self)
        #expect(upstream.contains(#""model":"gpt-4""#))
        #expect(upstream.contains(#""temperature":0.7"#), "numbers pass through byte for byte")
        #expect(upstream.contains(#""stream_options":{"include_usage":true}"#))
        #expect(upstream.contains(#""image_url":{"url":"u"}"#))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(upstream.utf8)) as? [String: Any])
        #expect(parsed.count == 6)
    }

    @Test func plainRequestsAreNotGivenStreamOptions() throws {
        let request = try ChatRequest(body: Array(#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#.utf8))
        #expect(!String(decoding: request.upstreamBody(model: "m2"), as: UTF8.self).contains("stream_options"))
    }

    @Test func conversationsWithoutUserTextRouteOnTheLastTextOfAnyRole() throws {
        func routed(_ messages: String) throws -> ChatRequest { try ChatRequest(body: Array(#"{"model":"router-mf","messages":\#(messages)}"#.utf8)) }
        let systemOnly = try routed(#"[{"role":"system","content":"Translate the user's text into French."}]"#)
        #expect(systemOnly.routingText == "Translate the user's text into French." && systemOnly.userText == nil)
        let assistantLast = try routed(#"[{"role":"system","content":"Be brief."},{"role":"assistant","content":"Once upon a time"}]"#)
        #expect(assistantLast.routingText == "Once upon a time")
        let imageOnly = try routed(#"[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:x"}}]}]"#)
        #expect(imageOnly.routingText == nil, "nothing to route on")
        let imageAfterText = try routed(#"[{"role":"user","content":"What is in these?"},{"role":"assistant","content":"Send them."},{"role":"user","content":[{"type":"image_url","image_url":{"url":"u"}}]}]"#)
        #expect(imageAfterText.routingText == "What is in these?" && imageAfterText.userText == "What is in these?", "the last user message with text")
    }

    @Test func missingOrEmptyFieldsCarryOpenAIsCodes() {
        for (body, param, code) in [(#"{"model":"m"}"#, "messages", "missing_required_parameter"), (#"{"model":"m","messages":[]}"#, "messages", "empty_array"),
                                    (#"{"messages":[{"role":"user","content":"hi"}]}"#, "model", "missing_required_parameter")] {
            do {
                _ = try ChatRequest(body: Array(body.utf8))
                Issue.record("\(body) must be refused")
            } catch {
                #expect(error.status == 400 && error.param == param && error.code == code, "\(body): \(error)")
            }
        }
    }

    @Test func objectMembersRefuseWhatIsNotOneObject() {
        for text in ["[1]", "{\"a\":1} trailing", "{\"a\":}", "", "\"s\""] {
            #expect(throws: JSONError.self, "\(text)") { try JSONObjectMembers(Array(text.utf8)) }
        }
    }
}

@Suite struct ConcurrencyLimiterTests {
    @Test func queuesPastTheLimitAndHandsSlotsOver() async throws {
        let limiter = ConcurrencyLimiter(limit: 2)
        #expect(await limiter.acquire(until: .after(.seconds(1))))
        #expect(await limiter.acquire(until: .after(.seconds(1))))
        #expect(await !limiter.acquire(until: .after(.milliseconds(50))), "a full limiter times out the waiter")
        async let waiter = limiter.acquire(until: .after(.seconds(5)))
        try await Task.sleep(for: .milliseconds(50))
        limiter.release()
        #expect(await waiter, "a released slot goes to the waiter")
        #expect(limiter.inUse == 2)
        limiter.release()
        limiter.release()
        #expect(limiter.inUse == 0)
    }
}
