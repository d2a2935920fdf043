import Foundation
import TurnoutCollectorAPI
import TurnoutHTTPClient
import TurnoutRuntime
import TurnoutStorage
import TurnoutTelemetry
import TurnoutTestSupport
import TurnoutTransport

/// A whole Turnout deployment as real processes on loopback: collector, embedder (the real
/// model), scorer (the committed routers), dispatcher, and two test upstreams standing in for
/// the LLMs, which are the one thing that cannot run here.
struct DispatcherStack: Sendable {
    static let apiKey = "sk-turnout-test-key"
    static let upstreamKey = "sk-upstream-secret-never-logged"
    static let strongName = "strong-model"
    static let weakName = "weak-model"

    static let judgeName = "judge-model"

    let strong: TestUpstream
    let weak: TestUpstream
    /// The judge upstream, when the stack learns from its traffic.
    let judge: TestUpstream?
    let collector: RunningService?
    let collectorState: URL
    let embedder: RunningService
    let scorer: RunningService
    let dispatcher: RunningService
    let http: HTTPClient

    var base: String { dispatcher.httpBase }

    static var modelDirectory: String {
        ProcessInfo.processInfo.environment["TURNOUT_MODEL_DIR"] ?? TestPaths.packageRoot.appendingPathComponent("models/all-MiniLM-L6-v2").path
    }

    /// - Parameters:
    ///   - scorerTarget: where the dispatcher looks for scorers; the real one when nil.
    ///   - withCollector: false leaves records unshipped.
    ///   - learning: members added to the dispatcher's configuration (`"shadow": {...}`); with
    ///     it, a third test upstream is started as `judge-model`.
    static func start(scorerTarget: String? = nil, withCollector: Bool = true, fallback: Bool = true, learning: String? = nil,
                      unavailableRoute: String = "weak", extraArguments: [String] = []) async throws -> DispatcherStack {
        async let strongStarted = TestUpstream.start(name: strongName)
        async let weakStarted = TestUpstream.start(name: weakName)
        let (strong, weak) = try await (strongStarted, weakStarted)
        let judge = learning == nil ? nil : try await TestUpstream.start(name: judgeName)
        let collectorState = TestPaths.temporaryDirectory("collector")
        let collector = withCollector ? try await RunningService.start("turnout-collector", stateDirectory: collectorState, http: true, arguments: ["--durability", "normal"]) : nil
        let embedder = try await RunningService.start("turnout-embedder", stateDirectory: TestPaths.temporaryDirectory("embedder"), arguments: ["--model-dir", modelDirectory])
        let scorer = try await RunningService.start("turnout-scorer", stateDirectory: TestPaths.temporaryDirectory("scorer"), arguments: [
            "--routers-dir", try routersForTests().path, "--embedder", embedder.wireTarget.description])
        let configuration = TestPaths.temporaryDirectory("dispatcher-config").appendingPathComponent("dispatcher.json")
        try configurationFile(strong: strong, weak: weak, judge: judge, fallback: fallback, learning: learning, unavailableRoute: unavailableRoute).write(to: configuration)
        var arguments = ["--config", configuration.path, "--embedder", embedder.wireTarget.description, "--scorer", scorerTarget ?? scorer.wireTarget.description,
                         "--api-keys", apiKey, "--report-interval", "200ms"]
        if let collector { arguments += ["--collector", collector.wireTarget.description] }
        let dispatcher = try await RunningService.start("turnout-dispatcher", stateDirectory: TestPaths.temporaryDirectory("dispatcher"), http: true,
                                                        arguments: arguments + extraArguments, environment: ["TEST_UPSTREAM_KEY": upstreamKey])
        return DispatcherStack(strong: strong, weak: weak, judge: judge, collector: collector, collectorState: collectorState, embedder: embedder, scorer: scorer,
                               dispatcher: dispatcher, http: HTTPClient())
    }

    /// The committed `mf` and `classifier` artifacts, in a directory of their own: the tests
    /// route with those two, and every scorer they start would otherwise also load the
    /// multi-megabyte `sw_ranking` and `gain` artifacts, which costs CPU the parallel tests need.
    static func routersForTests() throws -> URL {
        let directory = TestPaths.temporaryDirectory("routers")
        for name in ["mf.json", "classifier.json"] {
            try FileManager.default.copyItem(at: TestPaths.packageRoot.appendingPathComponent("routers/\(name)"), to: directory.appendingPathComponent(name))
        }
        return directory
    }

    static func configurationFile(strong: TestUpstream, weak: TestUpstream, judge: TestUpstream? = nil, fallback: Bool, learning: String? = nil,
                                  unavailableRoute: String = "weak") -> Data {
        let judgeUpstream = judge.map { #"{"name": "\#(judgeName)", "base_url": "\#($0.baseURL)/v1", "input_price_per_million": 10, "output_price_per_million": 30},"# } ?? ""
        return Data("""
        {
          "upstreams": [
            \(judgeUpstream)
            {"name": "\(strongName)", "base_url": "\(strong.baseURL)/v1", "api_key_env": "TEST_UPSTREAM_KEY",
             "input_price_per_million": 10, "output_price_per_million": 30, "timeout": "10s", "first_byte_timeout": "1500ms", "max_concurrency": 32},
            {"name": "\(weakName)", "base_url": "${WEAK_BASE_URL:-\(weak.baseURL)/v1}", "api_key_env": "TEST_UPSTREAM_KEY",
             "input_price_per_million": 0.5, "output_price_per_million": 1.5, "timeout": "10s", "first_byte_timeout": "1500ms"}
          ],
          "routing": {"strong": "\(strongName)", "weak": "\(weakName)", "default_strong_fraction": 0.3, "fallback": \(fallback),
                      "unavailable_route": "\(unavailableRoute)", "timeout": "5s"},
          "max_retry_after": "3s",
          "request_timeout": "20s",
          "breaker_failures": 3,
          "breaker_cooldown": "1s"\(learning.map { ",\n  " + $0 } ?? "")
        }
        """.utf8)
    }

    func stop() {
        http.shutdown()
        for service in [dispatcher, scorer, embedder] { _ = service.process.terminate(grace: .seconds(5)) }
        if let collector { _ = collector.process.terminate(grace: .seconds(5)) }
        strong.stop()
        weak.stop()
        judge?.stop()
    }

    /// Sends a request to the dispatcher's HTTP API with the client key (unless `key` says otherwise).
    func send(_ method: String = "POST", _ path: String, json: String? = nil, key: String? = DispatcherStack.apiKey,
              headers: [(name: String, value: String)] = []) async throws -> HTTPResponse {
        var request = HTTPRequest(method: method, url: base + path, headers: headers, body: Array((json ?? "").utf8))
        if json != nil { request.headers.append(("Content-Type", "application/json")) }
        if let key { request.headers.append(("Authorization", "Bearer \(key)")) }
        request.timeout = .seconds(30)
        return try await http.send(request)
    }

    static func chat(_ model: String, _ prompt: String, stream: Bool = false, includeUsage: Bool = false) -> String {
        let escaped = String(decoding: try! JSONSerialization.data(withJSONObject: [prompt]), as: UTF8.self).dropFirst().dropLast()
        var body = #"{"model":"\#(model)","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":\#(escaped)}],"temperature":0.7"#
        if stream { body += #","stream":true"# }
        if includeUsage { body += #","stream_options":{"include_usage":true}"# }
        return body + "}"
    }

    /// The routing records the collector has stored (its real SQLite file), by id.
    func records() throws -> [String: RoutingRecord] {
        let database = try SQLiteDatabase(path: collectorState.appendingPathComponent("routing-records.sqlite").path)
        let statement = try database.prepare("SELECT body FROM records")
        var records: [String: RoutingRecord] = [:]
        while try statement.step() {
            let record = try JSONDecoder().decode(RoutingRecord.self, from: Data((statement.string(at: 0) ?? "").utf8))
            records[record.id] = record
        }
        return records
    }
}

extension HTTPResponse {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    var errorMessage: String {
        ((json["error"] as? [String: Any])?["message"] as? String) ?? ""
    }
}
