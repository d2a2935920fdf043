import Foundation
import Testing
import TurnoutCollectorAPI
import TurnoutHTTPClient
import TurnoutRuntime
import TurnoutTestSupport
import TurnoutTransport

/// Shadow judging and feedback through the real dispatcher, with test upstreams for the two
/// models and for the judge, and a real collector.
@Suite struct DispatcherLearningTests {
    static let shadow = #""shadow": {"routers": {"mf": 1.0}, "judge": "judge-model", "timeout": "1s", "budget_usd_per_hour": 100}"#

    /// Battles the collector exports, once `count` are there (or what is there after `timeout`).
    static func battles(_ stack: DispatcherStack, count: Int, source: String = "shadow", timeout: Duration = .seconds(15)) async throws -> [BattleRecord] {
        let collector = try #require(stack.collector)
        var found: [BattleRecord] = []
        let deadline = ContinuousClock.now + timeout
        repeat {
            let response = try await stack.http.send(HTTPRequest(url: collector.httpBase + "/battles?source=\(source)"))
            found = try response.text.split(separator: "\n").map { try JSONDecoder().decode(BattleRecord.self, from: Data($0.utf8)) }
            if found.count >= count { return found }
            try await Task.sleep(for: .milliseconds(100))
        } while ContinuousClock.now < deadline
        return found
    }

    /// A dispatcher metric as the collector serves it to Prometheus, summed over the series matching `labels`.
    static func metric(_ stack: DispatcherStack, _ name: String, _ labels: String = "") async throws -> Double {
        let collector = try #require(stack.collector)
        let text = try await stack.http.send(HTTPRequest(url: collector.httpBase + "/metrics")).text
        return text.split(separator: "\n").filter { $0.hasPrefix(name + "{") && $0.contains(labels) }
            .reduce(0) { $0 + (Double($1.split(separator: " ").last ?? "") ?? 0) }
    }

    @Test func shadowJudgingStoresBattlesAndLeavesTheAnswersAlone() async throws {
        let stack = try await DispatcherStack.start(learning: Self.shadow)
        defer { stack.stop() }
        try #require(stack.judge).set(mode: "judge", prefer: DispatcherStack.strongName)
        var prompts: [String] = []
        for (index, model) in ["router-mf-0", "router-mf-1", "router-mf-0", "router-mf-1"].enumerated() {
            let prompt = "Shadowed question number \(index): how do tides work?"
            prompts.append(prompt)
            let response = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat(model, prompt, stream: index == 3))
            #expect(response.status == 200)
            let answering = model == "router-mf-0" ? DispatcherStack.strongName : DispatcherStack.weakName
            if index == 3 {
                #expect(response.text.hasSuffix("data: [DONE]\n\n") && response.text.contains(#""model":"\#(answering)""#), "the stream is relayed whole")
            } else {
                #expect(response.text.contains("\(answering) says: \(prompt)"), "the client's answer is the routed model's, untouched")
            }
        }
        let battles = try await Self.battles(stack, count: 4)
        #expect(battles.count == 4)
        #expect(Set(battles.map(\.prompt)) == Set(prompts), "each battle is on the text the request was routed on")
        for battle in battles {
            #expect(battle.modelA == DispatcherStack.strongName && battle.modelB == DispatcherStack.weakName)
            #expect(battle.winner == .modelA, "the judge preferred the strong model's answer in both positions")
            #expect(battle.judge == DispatcherStack.judgeName && battle.router == "mf" && !battle.routerVersion.isEmpty && battle.source == .shadow)
            #expect(!battle.id.isEmpty && battle.id != battle.requestID)
        }
        // The other model was asked for a whole answer, even for the streamed request.
        let otherBody = try #require(try stack.strong.stats()["last_body"] as? [String: Any])
        #expect(otherBody["stream"] as? Bool == false && otherBody["stream_options"] == nil)
        // A conversation of two user turns is not shadowed: the routed text is not the whole question.
        let multiTurn = #"{"model":"router-mf-0","messages":[{"role":"user","content":"Hello there, my friend."},{"role":"assistant","content":"Hi"},{"role":"user","content":"And now a second question?"}]}"#
        #expect(try await stack.send("POST", "/v1/chat/completions", json: multiTurn).status == 200)
        try await waitUntil(timeout: .seconds(10)) { (try? await Self.metric(stack, "turnout_shadow_skipped_total", "reason=\"multi_turn\"")) == 1 }
        // Nor is a request offering tools: its answers may be calls, which no judge compares.
        let tools = #"{"model":"router-mf-0","messages":[{"role":"user","content":"What is the weather in Paris today?"}],"tools":[{"type":"function","function":{"name":"weather","parameters":{"type":"object"}}}]}"#
        #expect(try await stack.send("POST", "/v1/chat/completions", json: tools).status == 200)
        try await waitUntil(timeout: .seconds(10)) { (try? await Self.metric(stack, "turnout_shadow_skipped_total", "reason=\"tools\"")) == 1 }
        #expect(try await Self.metric(stack, "turnout_shadow_judgements_total", "outcome=\"strong\"") == 4)
        let summary = try await stack.http.send(HTTPRequest(url: try #require(stack.collector).httpBase + "/summary")).json
        let judged = try #require((summary["judgements"] as? [[String: Any]])?.first)
        #expect(judged["judged"] as? Int == 4 && judged["strong_win_share"] as? Double == 1)
    }

    @Test(arguments: [("fail500", "error"), ("ok", "unparseable"), ("garbage", "error"), ("stall", "timeout")])
    func aJudgeThatFailsGivesNoBattleAndTheClientsDoNotNotice(_ mode: String, _ outcome: String) async throws {
        // A stalled judge is given 8 s: a client that waited for it would take longer than that.
        let timeout = mode == "stall" ? "8s" : "1s"
        let stack = try await DispatcherStack.start(learning: Self.shadow.replacingOccurrences(of: #""timeout": "1s""#, with: #""timeout": "\#(timeout)""#))
        defer { stack.stop() }
        try #require(stack.judge).set(mode: mode)
        for index in 0..<3 {
            let started = ContinuousClock.now
            let response = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf-1", "Judge failure \(mode) \(index): why is the sky blue?"))
            #expect(response.status == 200 && response.text.contains("\(DispatcherStack.weakName) says"))
            #expect(ContinuousClock.now - started < .seconds(6), "the client's answer waits for no judge")
        }
        try await waitUntil(timeout: .seconds(40)) { (try? await Self.metric(stack, "turnout_shadow_judgements_total", "outcome=\"\(outcome)\"")) ?? 0 >= 3 }
        #expect(try await Self.battles(stack, count: 1, timeout: .milliseconds(500)).isEmpty)
    }

    @Test func battlesWaitForADownCollectorAndArriveOnce() async throws {
        let port = Int(try LoopbackSocket.freePort())
        let state = TestPaths.temporaryDirectory("learning-collector")
        func collector() async throws -> RunningService {
            try await RunningService.start("turnout-collector", stateDirectory: state, http: true, arguments: ["--listen", "127.0.0.1:\(port)", "--durability", "normal"])
        }
        let stack = try await DispatcherStack.start(withCollector: false, learning: Self.shadow, extraArguments: ["--collector", "127.0.0.1:\(port)"])
        defer { stack.stop() }
        try #require(stack.judge).set(mode: "judge", prefer: DispatcherStack.weakName)
        // The collector is down: the answers flow, the battles wait.
        for index in 0..<6 {
            #expect(try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf-0", "Buffered battle \(index): what is entropy?")).status == 200)
        }
        try await Task.sleep(for: .seconds(1))
        let up = try await collector()
        defer { up.process.terminate() }
        let http = HTTPClient()
        defer { http.shutdown() }
        var lines: [Substring] = []
        try await waitUntil(timeout: .seconds(20)) {
            lines = (try? await http.send(HTTPRequest(url: up.httpBase + "/battles")))?.body.split(separator: 0x0A).map { Substring(decoding: $0, as: UTF8.self) } ?? []
            return lines.count >= 6
        }
        try await Task.sleep(for: .seconds(1))
        let again = try await http.send(HTTPRequest(url: up.httpBase + "/battles")).text.split(separator: "\n")
        #expect(again.count == 6, "every battle once")
        #expect(again.allSatisfy { $0.contains(#""winner":"model_b""#) })
    }

    @Test func feedbackIsTakenOncePerAnsweredRequest() async throws {
        let learning = #""feedback": {"max_age": "3s", "store_prompts": true}"#
        let stack = try await DispatcherStack.start(learning: learning)
        defer { stack.stop() }
        let prompt = "Rated question: what is the boiling point of water at altitude?"
        let answered = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf-1", prompt), headers: [("x-request-id", "fb-1")])
        #expect(answered.status == 200 && answered.head.header("x-request-id") == "fb-1")

        let first = try await stack.send("POST", "/v1/feedback", json: #"{"request_id":"fb-1","rating":"down","comment":"wrong"}"#)
        #expect(first.status == 200 && first.json["duplicate"] as? Bool == false && first.json["rating"] as? String == "down")
        let second = try await stack.send("POST", "/v1/feedback", json: #"{"request_id":"fb-1","rating":"up"}"#)
        #expect(second.status == 200 && second.json["duplicate"] as? Bool == true)

        let unknown = try await stack.send("POST", "/v1/feedback", json: #"{"request_id":"never-answered","rating":"up"}"#)
        #expect(unknown.status == 404)
        let error = try #require(unknown.json["error"] as? [String: Any])
        #expect(error["code"] as? String == "request_not_found" && error["param"] as? String == "request_id" && error["type"] as? String == "invalid_request_error")
        #expect(try await stack.send("POST", "/v1/feedback", json: #"{"request_id":"fb-1","rating":"up"}"#, key: nil).status == 401)
        #expect(try await stack.send("POST", "/v1/feedback", json: #"{"request_id":"fb-1","rating":"sideways"}"#).status == 400)
        #expect(try await stack.send("GET", "/v1/feedback").status == 405)

        // Past max_age a request can no longer be rated.
        #expect(try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf-1", "Another question, rated too late."), headers: [("x-request-id", "fb-2")]).status == 200)
        try await Task.sleep(for: .milliseconds(3500))
        #expect(try await stack.send("POST", "/v1/feedback", json: #"{"request_id":"fb-2","score":0.1}"#).status == 404)

        // The rating, and the example it gives (a weak answer rated down: the strong model was needed), reach the collector once.
        let battles = try await Self.battles(stack, count: 1, source: "feedback")
        #expect(battles.count == 1 && battles[0].winner == .modelA && battles[0].prompt == prompt && battles[0].requestID == "fb-1" && battles[0].judge == "user")
        let ratings = try await stack.http.send(HTTPRequest(url: try #require(stack.collector).httpBase + "/feedback")).text.split(separator: "\n")
        #expect(ratings.count == 1 && ratings[0].contains(#""comment":"wrong""#) && ratings[0].contains(#""rating":"down""#))
    }
}
