import Foundation
import Testing
import TurnoutHTTPClient
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutTestSupport

/// The real `turnout-dispatcher` in front of the real embedder, scorer and collector.
/// Serialized: the failure tests switch the shared upstreams' behaviour.
@Suite(.serialized) struct DispatcherProcessTests {
    static let shared = Task { try await DispatcherStack.start() }

    var stack: DispatcherStack {
        get async throws { try await Self.shared.value }
    }

    @Test func routesBothWaysAndNamesTheAnsweringModel() async throws {
        let stack = try await stack
        let strong = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf-0", "Prove that there are infinitely many primes."))
        #expect(strong.status == 200, "\(strong.text)")
        #expect(strong.json["model"] as? String == DispatcherStack.strongName)
        #expect(strong.head.header("x-turnout-route") == "strong")
        #expect(strong.head.header("x-turnout-router") == "mf")
        let winRate = try #require(strong.head.header("x-turnout-win-rate").flatMap(Double.init))
        #expect((0...1).contains(winRate))
        let message = ((strong.json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
        #expect(message == "strong-model says: Prove that there are infinitely many primes.")

        let upstreamSaw = try stack.strong.stats()
        let body = try #require(upstreamSaw["last_body"] as? [String: Any])
        #expect(body["model"] as? String == DispatcherStack.strongName)
        #expect(body["temperature"] as? Double == 0.7, "fields the dispatcher does not read pass through untouched")
        let headers = try #require(upstreamSaw["last_headers"] as? [String: Any])
        #expect(headers["authorization"] as? String == "Bearer \(DispatcherStack.upstreamKey)")

        let weak = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf-1", "Say hi."))
        #expect(weak.status == 200)
        #expect(weak.json["model"] as? String == DispatcherStack.weakName)
        #expect(weak.head.header("x-turnout-route") == "weak")
        #expect(!stack.dispatcher.process.recentLog(10_000).contains(DispatcherStack.upstreamKey), "upstream keys never reach the logs")
    }

    @Test func defaultThresholdComesFromTheArtifactsCalibration() async throws {
        let stack = try await stack
        let response = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-classifier", "What is 17 times 23?"))
        #expect(response.status == 200, "\(response.text)")
        let threshold = try #require(response.head.header("x-turnout-threshold").flatMap(Double.init))
        let winRate = try #require(response.head.header("x-turnout-win-rate").flatMap(Double.init))
        #expect(response.head.header("x-turnout-route") == (winRate >= threshold ? "strong" : "weak"))
        #expect(threshold > 0 && threshold < 1)
    }

    @Test func passesPlainModelNamesThroughWithoutRouting() async throws {
        let stack = try await stack
        let response = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat(DispatcherStack.weakName, "Hello"))
        #expect(response.status == 200)
        #expect(response.head.header("x-turnout-route") == "passthrough")
        #expect(response.head.header("x-turnout-router") == nil)
        #expect(response.json["model"] as? String == DispatcherStack.weakName)
    }

    @Test func streamsEveryChunkWithTheAnsweringModel() async throws {
        let stack = try await stack
        for includeUsage in [false, true] {
            let response = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf-0", "Stream me a few words please", stream: true, includeUsage: includeUsage))
            #expect(response.status == 200)
            #expect(response.head.header("content-type") == "text/event-stream")
            let events = SSE.events(response.text)
            #expect(events.last == "[DONE]")
            let chunks = events.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(chunks.count == events.count - 1, "every event but [DONE] is JSON")
            #expect(chunks.allSatisfy { $0["model"] as? String == DispatcherStack.strongName })
            let text = chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }.joined()
            #expect(text == "strong-model says: Stream me a few words please")
            let usageChunks = chunks.filter { $0["usage"] is [String: Any] }
            #expect(usageChunks.count == (includeUsage ? 1 : 0), "the usage chunk reaches the client only when it asked")
        }
    }

    @Test func relaysChunksAsTheyArriveNotAtTheEnd() async throws {
        let stack = try await stack
        try stack.weak.set(mode: "slow_stream", count: 1)
        var request = HTTPRequest(method: "POST", url: stack.base + "/v1/chat/completions",
                                  headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(DispatcherStack.apiKey)")],
                                  body: Array(DispatcherStack.chat(DispatcherStack.weakName, "one two three four five six seven eight", stream: true).utf8))
        request.timeout = .seconds(30)
        let started = ContinuousClock.now
        let (head, body) = try await stack.http.stream(request)
        #expect(head.status == 200)
        var firstContent: Duration?
        var text = ""
        for try await chunk in body {
            text += String(decoding: chunk, as: UTF8.self)
            if firstContent == nil, text.contains("\"content\": \"weak-model\"") { firstContent = ContinuousClock.now - started }
        }
        let total = ContinuousClock.now - started
        // The upstream sends a word every 50 ms (ten words, 450 ms from first to last): the first
        // must not wait for the last. A relay that buffered would end within milliseconds of it.
        let first = try #require(firstContent)
        #expect(total - first >= .milliseconds(150), "first content after \(first), stream ended after \(total)")
        #expect(text.hasSuffix("data: [DONE]\n\n"))
    }

    @Test func streamedAndPlainCallsOfTheSameRequestCostTheSame() async throws {
        let stack = try await stack
        let prompt = "Explain the difference between a process and a thread in two sentences."
        let plainID = "cost-plain-\(UUID().uuidString)"
        let streamID = "cost-stream-\(UUID().uuidString)"
        let plain = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf-0", prompt), headers: [("x-request-id", plainID)])
        let streamed = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf-0", prompt, stream: true), headers: [("x-request-id", streamID)])
        #expect(plain.status == 200 && streamed.status == 200)
        #expect(plain.head.header("x-request-id") == plainID)
        try await waitUntil(timeout: .seconds(10)) { (try? stack.records()).map { $0[plainID] != nil && $0[streamID] != nil } ?? false }
        let records = try stack.records()
        let plainRecord = try #require(records[plainID])
        let streamRecord = try #require(records[streamID])
        #expect(plainRecord.costUSD > 0)
        #expect(plainRecord.costUSD == streamRecord.costUSD)
        #expect(plainRecord.promptTokens == streamRecord.promptTokens && plainRecord.completionTokens == streamRecord.completionTokens)
        #expect(streamRecord.stream && !plainRecord.stream)
        // 10 and 30 dollars per million tokens for the strong model.
        #expect(abs(plainRecord.costUSD - (Double(plainRecord.promptTokens) * 10 + Double(plainRecord.completionTokens) * 30) / 1e6) < 1e-12)
        #expect(plainRecord.route == "strong" && plainRecord.router == "mf" && plainRecord.answeringModel == DispatcherStack.strongName)
        #expect(plainRecord.winRate != nil && plainRecord.embedMs > 0 && plainRecord.totalMs >= plainRecord.upstreamFirstByteMs)
    }

    @Test func refusesMissingAndWrongKeys() async throws {
        let stack = try await stack
        for key in [nil, "sk-wrong"] as [String?] {
            let response = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf", "hi"), key: key)
            #expect(response.status == 401)
            let error = try #require(response.json["error"] as? [String: Any])
            #expect(error["type"] as? String == "invalid_request_error")
            #expect(error["code"] as? String == "invalid_api_key")
        }
        let health = try await stack.send("GET", "/health", key: nil)
        #expect(health.status == 200)
    }

    @Test(arguments: [
        ("{not json", 400, "not a JSON object"),
        (#"{"messages":[{"role":"user","content":"hi"}]}"#, 400, "model"),
        (#"{"model":"router-mf"}"#, 400, "messages"),
        (#"{"model":"router-mf","messages":[]}"#, 400, "empty array"),
        (#"{"model":"router-bert-0.5","messages":[{"role":"user","content":"hi"}]}"#, 404, "unknown router"),
        (#"{"model":"router-mf-1.7","messages":[{"role":"user","content":"hi"}]}"#, 400, "between 0 and 1"),
        (#"{"model":"router-mf--0.1","messages":[{"role":"user","content":"hi"}]}"#, 400, "\"-0.1\" in"),
        (#"{"model":"router-mf@250%","messages":[{"role":"user","content":"hi"}]}"#, 400, "percentage"),
        (#"{"model":"gpt-17","messages":[{"role":"user","content":"hi"}]}"#, 404, "neither a configured upstream"),
        (#"{"model":"router-mf","messages":"hi"}"#, 400, "messages"),
    ])
    func answersBadRequestsWithOpenAIErrors(_ body: String, _ status: Int, _ mention: String) async throws {
        let stack = try await stack
        let response = try await stack.send("POST", "/v1/chat/completions", json: body)
        #expect(response.status == status, "\(response.text)")
        #expect(response.errorMessage.contains(mention), "\(response.errorMessage)")
        #expect((response.json["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
    }

    @Test func unknownPathsAndMethods() async throws {
        let stack = try await stack
        #expect(try await stack.send("GET", "/v1/chat/completions").status == 405)
        #expect(try await stack.send("POST", "/v1/embeddings", json: "{}").status == 404)
        #expect(try await stack.send("GET", "/nowhere").status == 404)
    }

    @Test func fallsBackWhenTheChosenUpstreamFailsBeforeItsFirstByte() async throws {
        let stack = try await stack
        for mode in ["fail500", "stall"] {
            try stack.strong.set(mode: mode, count: 1)
            let id = "fallback-\(mode)-\(UUID().uuidString)"
            let response = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf-0", "Hard question"), headers: [("x-request-id", id)])
            #expect(response.status == 200, "\(mode): \(response.text)")
            #expect(response.json["model"] as? String == DispatcherStack.weakName)
            #expect(response.head.header("x-turnout-fallback") == "true")
            #expect(response.head.header("x-turnout-route") == "strong", "the route chosen stays visible")
            try await waitUntil(timeout: .seconds(10)) { (try? stack.records())?[id] != nil }
            let record = try #require(try stack.records()[id])
            #expect(record.fellBack && record.chosenModel == DispatcherStack.strongName && record.answeringModel == DispatcherStack.weakName)
        }
    }

    /// A 429 with Retry-After marks the upstream limited: a pass-through request gets the 429
    /// at once, and so does every one until the mark passes, without the upstream being
    /// called; a routed one goes to the other model at once.
    @Test func aRateLimitIsRememberedNotWaitedOut() async throws {
        let stack = try await stack
        let before = try stack.weak.requestCount("/v1/chat/completions")
        try stack.weak.set(mode: "rate429", count: 1, retryAfter: 2)
        let started = ContinuousClock.now
        let first = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat(DispatcherStack.weakName, "hi"))
        #expect(first.status == 429 && first.head.header("retry-after") == "2", "\(first.text)")
        #expect((first.json["error"] as? [String: Any])?["type"] as? String == "rate_limit_error")
        let again = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat(DispatcherStack.weakName, "hi"))
        #expect(again.status == 429 && ["1", "2"].contains(again.head.header("retry-after") ?? ""), "what remains of it: \(again.head.headers)")
        let routed = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf-1", "hi"))
        #expect(routed.status == 200 && routed.head.header("x-turnout-model") == DispatcherStack.strongName && routed.head.header("x-turnout-fallback") == "true",
                "weak chosen, strong answered: \(routed.head.headers)")
        #expect(ContinuousClock.now - started < .milliseconds(1500), "nothing waited")
        #expect(try stack.weak.requestCount("/v1/chat/completions") == before + 1, "the limited upstream was called once")
        try await Task.sleep(until: started + .milliseconds(2100))
        let later = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat(DispatcherStack.weakName, "hi"))
        #expect(later.status == 200, "the mark has passed")
    }

    @Test func passesOnA429WhoseRetryAfterIsTooLong() async throws {
        let stack = try await stack
        try stack.weak.set(mode: "rate429", count: 1, retryAfter: 60)
        let started = ContinuousClock.now
        let response = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat(DispatcherStack.weakName, "hi"))
        #expect(response.status == 429)
        #expect(response.head.header("retry-after") == "60", "the upstream's own Retry-After, passed on")
        #expect((response.json["error"] as? [String: Any])?["type"] as? String == "rate_limit_error")
        #expect(ContinuousClock.now - started < .seconds(2))
        // Remembered for max_retry_after (3 s here), not a minute.
        try await Task.sleep(until: started + .milliseconds(3100))
        #expect(try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat(DispatcherStack.weakName, "hi")).status == 200)
    }

    /// A 200 that is not a chat completion: a routed request falls back, a pass-through one is a 502.
    @Test func aGarbage200FallsBackWhenRouted() async throws {
        let stack = try await stack
        try stack.weak.set(mode: "garbage", count: 1)
        let routed = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf-1", "hi"))
        #expect(routed.status == 200 && routed.head.header("x-turnout-fallback") == "true" && routed.head.header("x-turnout-model") == DispatcherStack.strongName,
                "\(routed.text)")
        try stack.weak.set(mode: "no_choices", count: 2)
        let choiceless = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf-1", "hi"))
        #expect(choiceless.status == 200 && choiceless.head.header("x-turnout-fallback") == "true", "\(choiceless.text)")
        let passed = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat(DispatcherStack.weakName, "hi"))
        #expect(passed.status == 502 && passed.errorMessage.contains("without choices"), "\(passed.text)")
        // Three failures in a row opened weak's breaker (breaker_failures 3); its trial after
        // the cooldown closes it again for the tests that follow.
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat(DispatcherStack.weakName, "hi")).status == 200)
    }

    @Test func garbageFromTheUpstreamIsA502() async throws {
        let stack = try await stack
        try stack.weak.set(mode: "garbage", count: 1)
        let response = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat(DispatcherStack.weakName, "hi"))
        #expect(response.status == 502)
        #expect(response.errorMessage.contains("not JSON"))
    }

    @Test func aStreamThatBreaksEndsWithAnErrorEvent() async throws {
        let stack = try await stack
        try stack.weak.set(mode: "close_mid_stream", count: 1)
        let response = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat(DispatcherStack.weakName, "one two three four five six", stream: true))
        #expect(response.status == 200)
        let events = SSE.events(response.text)
        #expect(!events.contains("[DONE]"))
        let last = try #require(events.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        let error = try #require(last["error"] as? [String: Any])
        #expect((error["message"] as? String ?? "").contains("weak-model"))
    }

    @Test func theCircuitBreakerStopsCallingADeadUpstream() async throws {
        let stack = try await stack
        // Earlier failures may have counted toward (or opened) the breaker: start from a closed one.
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat(DispatcherStack.strongName, "hi")).status == 200)
        try stack.strong.set(mode: "fail500", count: 100)
        defer { try? stack.strong.set(mode: "ok") }
        let before = try stack.strong.requestCount("/v1/chat/completions")
        var statuses: [Int] = []
        for _ in 0..<6 {
            statuses.append(try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat(DispatcherStack.strongName, "hi")).status)
        }
        #expect(statuses == [502, 502, 502, 503, 503, 503])
        #expect(try stack.strong.requestCount("/v1/chat/completions") == before + 3, "an open breaker sends nothing upstream")
        try stack.strong.set(mode: "ok")
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat(DispatcherStack.strongName, "hi")).status == 200, "the half-open trial closes it")
    }

    @Test func listsModelsAndReportsReadiness() async throws {
        let stack = try await stack
        let models = try await stack.send("GET", "/v1/models")
        let ids = Set(((models.json["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String })
        #expect(ids.isSuperset(of: ["router-mf", "router-classifier", DispatcherStack.strongName, DispatcherStack.weakName]), "\(ids)")
        let ready = try await stack.send("GET", "/ready", key: nil)
        #expect(ready.status == 200, "\(ready.text)")
        #expect((ready.json["checks"] as? [String: Any])?["scorer"] as? String == "SERVING")
    }

    /// Users' own SDK: the real `openai` Python client (installed into .venv by scripts/setup.sh).
    @Test func theOpenAIPythonClientWorksAgainstIt() async throws {
        let stack = try await stack
        let python = TestPaths.packageRoot.appendingPathComponent(".venv/bin/python").path
        try #require(FileManager.default.isExecutableFile(atPath: python), "run scripts/setup.sh: it creates .venv with the openai client")
        let script = TestPaths.packageRoot.appendingPathComponent("Tests/Python/openai_client_check.py").path
        let output = TestPaths.temporaryDirectory("openai-client").appendingPathComponent("stdout.txt")
        let process = try ManagedProcess(executable: python, arguments: [
            script, "--base-url", stack.base + "/v1", "--api-key", DispatcherStack.apiKey, "--strong", DispatcherStack.strongName,
            "--weak", DispatcherStack.weakName, "--strong-control", stack.strong.baseURL, "--weak-control", stack.weak.baseURL,
        ], logFile: output)
        let status = await process.exited()
        let printed = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        #expect(status == 0, "\(printed) \(process.recentLog())")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(printed.utf8)) as? [String: Any], "\(printed)")
        #expect(result["ok"] as? Bool == true)
        #expect((result["passed"] as? [String])?.count == 27, "every check ran")
    }

    @Test func routeAnswersTheDecisionWithoutCallingAnUpstream() async throws {
        let stack = try await stack
        let before = try stack.strong.requestCount("/v1/chat/completions") + stack.weak.requestCount("/v1/chat/completions")
        let response = try await stack.send("POST", "/v1/route", json: #"{"model":"router-mf-0.5","prompt":"What is the capital of France?"}"#)
        #expect(response.status == 200, "\(response.text)")
        #expect(response.json["router"] as? String == "mf")
        #expect(response.json["threshold"] as? Double == 0.5)
        let winRate = try #require(response.json["win_rate"] as? Double)
        #expect(response.json["model"] as? String == (winRate >= 0.5 ? DispatcherStack.strongName : DispatcherStack.weakName))
        #expect(((response.json["timings"] as? [String: Any])?["embed_ms"] as? Double ?? 0) > 0)
        #expect(try stack.strong.requestCount("/v1/chat/completions") + stack.weak.requestCount("/v1/chat/completions") == before)
    }

    /// A prompt over the embedder's 1 MiB frame is routed on its first 16 KiB, as the encoder
    /// reads only its first 256 tokens: it used to take the default route, to the strong model.
    @Test func aTwoMegabytePromptIsRoutedNotDefaulted() async throws {
        let stack = try await stack
        let sentence = "Summarise the quarterly report and list the three largest costs. "
        let huge = String(repeating: sentence, count: 2_000_000 / sentence.utf8.count + 1)
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["model": "router-mf-0.5", "prompt": huge]), as: UTF8.self)
        let long = try await stack.send("POST", "/v1/route", json: body)
        #expect(long.status == 200, "\(long.text.prefix(300))")
        #expect(long.json["default_route"] as? Bool == false, "\(long.text.prefix(300))")
        let head = String(decoding: try JSONSerialization.data(withJSONObject: ["model": "router-mf-0.5", "prompt": String(huge.prefix(4000))]), as: UTF8.self)
        let short = try await stack.send("POST", "/v1/route", json: head)
        #expect(long.json["win_rate"] as? Double == short.json["win_rate"] as? Double, "the same first 256 tokens, the same win rate")
    }

    /// `router-mf@50%` through the real services: the first answers use the artifact's own
    /// calibrated threshold; once enough win rates are in, the threshold moves to where half
    /// of this traffic (two prompts, one more likely than the other to need the strong model)
    /// goes strong, which the offline calibration does not know.
    @Test func aShareTargetIsHeldOnLiveTraffic() async throws {
        let stack = try await stack
        let prompts = ["Prove that there are infinitely many primes of the form 4k + 3, with every step justified.", "What is 2 + 2?"]
        var routes: [(strong: Bool, threshold: Double, winRate: Double)] = []
        for index in 0..<400 {
            let response = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf@50%", prompts[index % 2]))
            #expect(response.status == 200, "\(response.text)")
            guard let threshold = response.head.header("x-turnout-threshold").flatMap(Double.init),
                  let rate = response.head.header("x-turnout-win-rate").flatMap(Double.init) else {
                Issue.record("a scored answer names its threshold and win rate: \(response.head.headers)")
                return
            }
            routes.append((response.head.header("x-turnout-route") == "strong", threshold, rate))
        }
        let rates = Set(routes.map(\.winRate)).sorted()
        #expect(rates.count == 2 && rates[0] < rates[1], "two prompts, two win rates: \(rates)")
        let last = routes.suffix(100)
        let share = Double(last.filter(\.strong).count) / Double(last.count)
        #expect(abs(share - 0.5) <= 0.05, "half strong at the end: \(share)")
        #expect(last.allSatisfy { $0.threshold > rates[0] && $0.threshold <= rates[1] }, "between the two: \(last.map(\.threshold).prefix(3))")
        #expect(routes[0].threshold != last.last?.threshold, "the offline threshold was not this traffic's")
    }

    @Test func conversationsWithoutUserTextAreRouted() async throws {
        let stack = try await stack
        let system = try await stack.send("POST", "/v1/chat/completions", json: #"{"model":"router-mf-0.5","messages":[{"role":"system","content":"Write a limerick about queues."}]}"#)
        #expect(system.status == 200 && system.head.header("x-turnout-win-rate") != nil, "\(system.text)")
        let images = try await stack.send("POST", "/v1/chat/completions", json: #"{"model":"router-mf-0.5","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}"#)
        #expect(images.status == 200, "\(images.text)")
        #expect(images.head.header("x-turnout-route") == "weak" && images.head.header("x-turnout-win-rate") == nil && images.head.header("x-turnout-default-route") == nil,
                "nothing to route on: the unavailable route (weak in this stack), which is not a default route")
    }
}

/// Splits a server-sent event body into its data payloads.
enum SSE {
    static func events(_ text: String) -> [String] {
        text.components(separatedBy: "\n\n").compactMap { block in
            let data = block.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { $0.dropFirst(6) }
            return data.isEmpty ? nil : data.joined(separator: "\n")
        }
    }
}
