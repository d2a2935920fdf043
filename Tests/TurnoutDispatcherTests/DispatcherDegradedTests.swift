import Foundation
import Testing
import TurnoutDispatcher
import TurnoutHTTPClient
import TurnoutRuntime
import TurnoutTestSupport
import TurnoutTransport
import TurnoutWire

/// The dispatcher when parts of the deployment are missing, and its wire methods.
@Suite(.serialized) struct DispatcherDegradedTests {
    @Test func takesTheDefaultRouteWhenNoScorerAnswers() async throws {
        let deadScorer = "127.0.0.1:\(try LoopbackSocket.freePort())"
        let stack = try await DispatcherStack.start(scorerTarget: deadScorer)
        defer { stack.stop() }
        let id = "default-route-\(UUID().uuidString)"
        let response = try await stack.send("POST", "/v1/chat/completions", json: DispatcherStack.chat("router-mf-0.2", "Any question"), headers: [("x-request-id", id)])
        #expect(response.status == 200, "\(response.text)")
        #expect(response.head.header("x-turnout-default-route") == "true")
        #expect(response.json["model"] as? String == DispatcherStack.weakName, "the configured unavailable_route is weak")
        let ready = try await stack.send("GET", "/ready", key: nil)
        #expect(ready.status == 503)
        try await waitUntil(timeout: .seconds(10)) { (try? stack.records())?[id] != nil }
        #expect(try stack.records()[id]?.defaultRoute == true)
        // The metric that counts it reaches the collector's Prometheus endpoint.
        let collectorHTTP = try #require(stack.collector).httpBase
        try await waitUntil(timeout: .seconds(10)) {
            let scrape = try? await stack.http.send(HTTPRequest(url: collectorHTTP + "/metrics"))
            return scrape.map { String(decoding: $0.body, as: UTF8.self) }?.contains("turnout_dispatcher_default_routes_total{") ?? false
        }
    }

    @Test func servesCompleteAndRouteOnTheWire() async throws {
        let stack = try await DispatcherStack.start(withCollector: false)
        defer { stack.stop() }
        let client = try WireClient.forTesting([stack.dispatcher.wireTarget])
        defer { client.shutdown() }
        let auth = ["authorization": "Bearer \(DispatcherStack.apiKey)"]
        let decision = try await client.call(DispatcherAPI.route, RouteRequest(model: "router-mf-1", text: "hello there"), metadata: auth)
        #expect(decision.route == "weak" && decision.router == "mf" && decision.threshold == 1 && !decision.defaultRoute)
        let completion = try await client.call(DispatcherAPI.complete, try ChatRequest(body: Array(DispatcherStack.chat("router-mf-0", "wire question").utf8)), metadata: auth)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(completion)) as? [String: Any])
        #expect(answer["model"] as? String == DispatcherStack.strongName)
        for (body, metadata, code) in [
            (DispatcherStack.chat("router-mf-0", "no key"), [:], StatusCode.unauthenticated),
            (DispatcherStack.chat("router-mf-0", "streams need HTTP", stream: true), auth, .invalidArgument),
            (DispatcherStack.chat("router-nope-0", "unknown router"), auth, .notFound),
        ] as [(String, [String: String], StatusCode)] {
            do {
                _ = try await client.unary(DispatcherAPI.complete.descriptor, body: Array(body.utf8), metadata: metadata)
                Issue.record("\(body) must fail")
            } catch {
                #expect(error.code == code, "\(error)")
            }
        }
    }

    @Test func refusesABadConfigurationWithExitCode2() async throws {
        let directory = TestPaths.temporaryDirectory("bad-config")
        let cases: [(String, String)] = [
            ("{", "invalid JSON"),
            (#"{"upstreams":[{"name":"a","base_url":"ftp://x"}],"routing":{"strong":"a","weak":"b"}}"#, "base_url"),
            (#"{"upstreams":[{"name":"a","base_url":"http://x/v1"},{"name":"b","base_url":"${UNSET_TURNOUT_VARIABLE}"}],"routing":{"strong":"a","weak":"b"}}"#, "UNSET_TURNOUT_VARIABLE"),
            (#"{"upstreams":[{"name":"a","base_url":"http://x/v1"}],"routing":{"strong":"a","weak":"c"}}"#, "weak model"),
        ]
        for (index, (text, mention)) in cases.enumerated() {
            let file = directory.appendingPathComponent("config-\(index).json")
            try Data(text.utf8).write(to: file)
            let process = try ManagedProcess(executable: TestPaths.executable("turnout-dispatcher"), arguments: [
                "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--config", file.path])
            #expect(await process.exited() == 2, "\(text)")
            #expect(process.recentLog().contains(mention), "\(process.recentLog())")
        }
    }
}
