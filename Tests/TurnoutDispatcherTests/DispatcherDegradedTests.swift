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

    /// `unavailable_route: split` keeps the share of strong calls at the target while no
    /// scorer answers: which requests go strong is blind, how many is not.
    @Test func aSplitDefaultRouteKeepsTheTargetShare() async throws {
        let deadScorer = "127.0.0.1:\(try LoopbackSocket.freePort())"
        let stack = try await DispatcherStack.start(scorerTarget: deadScorer, withCollector: false, unavailableRoute: "split")
        defer { stack.stop() }
        for (model, share) in [("router-mf@20%", 0.2), ("router-mf-0.3", 0.5)] {
            var strong = 0
            for index in 0..<200 {
                let response = try await stack.send("POST", "/v1/route", json: #"{"model":"\#(model)","prompt":"question \#(index)"}"#)
                #expect(response.status == 200 && response.json["default_route"] as? Bool == true, "\(response.text)")
                if response.json["route"] as? String == "strong" { strong += 1 }
            }
            #expect(abs(Double(strong) / 200 - share) < 0.1, "\(model): \(strong) of 200 strong")
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

    /// Without client keys, a dispatcher other machines can reach refuses to start, unless told
    /// in so many words; keys may come from a mounted secret file.
    @Test func refusesToServeOtherMachinesWithoutKeys() async throws {
        let directory = TestPaths.temporaryDirectory("unauthenticated")
        let config = directory.appendingPathComponent("config.json")
        try Data(#"{"upstreams":[{"name":"a","base_url":"http://127.0.0.1:9/v1"},{"name":"b","base_url":"http://127.0.0.1:9/v1"}],"routing":{"strong":"a","weak":"b"}}"#.utf8).write(to: config)
        func start(_ extra: [String], http: String = "0.0.0.0:0", environment: [String: String] = [:]) throws -> ManagedProcess {
            try ManagedProcess(executable: TestPaths.executable("turnout-dispatcher"),
                               arguments: ["--listen", "127.0.0.1:0", "--http-listen", http, "--config", config.path, "--state-dir", directory.path] + extra,
                               environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
        }
        let open = try start([])
        #expect(await open.exited() == 2)
        #expect(open.recentLog().contains("no client API keys") && open.recentLog().contains("--allow-unauthenticated"), "\(open.recentLog())")
        let wire = try ManagedProcess(executable: TestPaths.executable("turnout-dispatcher"),
                                      arguments: ["--listen", ":0", "--http-listen", "127.0.0.1:0", "--config", config.path, "--state-dir", directory.path])
        #expect(await wire.exited() == 2, "the wire port spends tokens too")

        let allowed = try start(["--allow-unauthenticated"])
        _ = try await allowed.port(loggedAs: "http listening")
        #expect(allowed.isRunning)
        _ = await allowed.terminated()
        let loopback = try start([], http: "127.0.0.1:0")
        _ = try await loopback.port(loggedAs: "http listening")
        _ = await loopback.terminated()

        // Keys from a file, as Compose and Kubernetes mount secrets; comments and blanks skipped.
        let keys = directory.appendingPathComponent("keys")
        try Data("# client keys\nfile-key-1\n\nfile-key-2, file-key-3 # the batch jobs\n".utf8).write(to: keys)
        let keyed = try start(["--api-keys-file", keys.path])
        let port = try await keyed.port(loggedAs: "http listening")
        defer { _ = keyed.terminate() }
        let http = HTTPClient()
        defer { http.shutdown() }
        for (key, status) in [("file-key-3", 200), ("file-key-1", 200), ("# client keys", 401), ("nope", 401)] {
            let response = try await http.send(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/models", headers: [("Authorization", "Bearer \(key)")]))
            #expect(response.status == status, "\(key): \(response.status)")
        }
        let empty = directory.appendingPathComponent("empty")
        try Data("# nothing yet\n".utf8).write(to: empty)
        for (file, mention) in [(empty.path, "holds no keys"), (directory.appendingPathComponent("missing").path, "cannot read")] {
            let refused = try start(["--api-keys-file", file])
            #expect(await refused.exited() == 2)
            #expect(refused.recentLog().contains(mention), "\(refused.recentLog())")
        }
    }
}
