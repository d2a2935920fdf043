import Foundation
import Synchronization
import TurnoutHTTPClient
import TurnoutRouting
import TurnoutRuntime

/// `turnout bench calibrate`: whether live calibration holds the strong share through a shift
/// of the traffic.
///
/// A router trained and calibrated on MMLU alone (`gain`, as `bench adapt` starts from) is
/// served at `router-gain@30%` by two dispatchers sharing a collector, an embedder and a
/// scorer; the upstreams are stubs. The traffic, alternating between the dispatchers, is MMLU
/// questions, then GSM8K's (the shift). Every answer says its route and win rate in its headers.
/// `static_share_error` is |share − target| on the GSM8K part with the artifact's calibrated
/// threshold, from the same win rates; `live_share_error` is the same over the last 500
/// requests as they were routed live; `requests_to_converge` counts the requests after the
/// shift until the share of the last 200 first comes within 0.03 of the target.
enum CalibrateBench {
    static let spec = CommandSpec(
        name: "turnout bench calibrate",
        summary: "Serve an MMLU-calibrated router at a 30% strong target while the traffic shifts from MMLU to GSM8K, and compare the share held live with the static threshold's.",
        options: [
            .flag("json", help: "Print one JSON object instead of text"),
            OptionSpec("data", env: "TURNOUT_DATA_DIR", default: "../shared/data", value: "DIR", help: "Directory holding mmlu/ and gsm8k/"),
            OptionSpec("target", default: "0.3", value: "F", help: "The strong share asked for (router-gain@<target>%)"),
            OptionSpec("before", default: "2000", value: "N", help: "MMLU requests before the shift"),
            OptionSpec("clients", default: "8", value: "N", help: "Concurrent clients"),
            OptionSpec("seed", default: "0", value: "N", help: "Seed of the question order"),
            OptionSpec("model-dir", env: "TURNOUT_MODEL_DIR", default: "models/all-MiniLM-L6-v2", value: "DIR", help: "Embedding model"),
        ]
    )

    struct Decision: Sendable {
        var strong: Bool
        var winRate: Double
    }

    /// Each request's decision, in request order, filled in by the clients.
    final class DecisionLog: Sendable {
        let values: Mutex<[Decision?]>

        init(count: Int) {
            values = Mutex([Decision?](repeating: nil, count: count))
        }
    }

    static func run(_ arguments: [String]) async -> Int32 {
        await StackBench.run(spec, arguments) { bench in
            let (options, processes, http) = (bench.options, bench.processes, bench.http)
            let started = ContinuousClock.now
            let data = URL(fileURLWithPath: try options.require("data"))
            let modelDirectory = try options.require("model-dir")
            let target = try options.double("target")
            guard target > 0, target < 1 else { throw BenchError("--target must be between 0 and 1") }
            var generator = SeededGenerator(seed: UInt64(try options.int("seed", range: 0...Int.max)))
            let mmlu = try BenchmarkData.mmlu(directory: data.appendingPathComponent("mmlu")).items.map(\.prompt).shuffled(using: &generator)
            let gsm8k = try BenchmarkData.gsm8k(directory: data.appendingPathComponent("gsm8k")).items.map(\.prompt).shuffled(using: &generator)
            let before = Array(mmlu.prefix(try options.int("before", range: 100...mmlu.count)))
            let prompts = before + gsm8k

            let state = bench.state
            let routers = try bench.directory("routers")
            let artifact = try await AdaptBench.baseRouter(data: data, modelDirectory: modelDirectory, processes: processes)
            try artifact.write(to: routers.appendingPathComponent("gain.json"))
            guard let staticThreshold = artifact.calibration[TrainingData.key(target)] else {
                throw BenchError("the router has no calibrated threshold for \(target); use a multiple of 0.05")
            }

            let upstream = try await processes.start("turnout-stub-upstream", [], niceness: 10)
            let collector = try await processes.start("turnout-collector", ["--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--state-dir",
                                                                             state.appendingPathComponent("collector").path, "--durability", "normal", "--log-level", "warning"])
            let embedder = try await processes.start("turnout-embedder", ["--listen", "127.0.0.1:0", "--state-dir", state.appendingPathComponent("embedder").path,
                                                                           "--model-dir", modelDirectory, "--log-level", "warning"])
            let scorer = try await processes.start("turnout-scorer", ["--listen", "127.0.0.1:0", "--state-dir", state.appendingPathComponent("scorer").path,
                                                                      "--routers-dir", routers.path, "--embedder", "", "--log-level", "warning"])
            let config = state.appendingPathComponent("dispatcher.json")
            try Data("""
            {"upstreams": [
               {"name": "strong-model", "base_url": "http://127.0.0.1:\(upstream.port)/v1", "input_price_per_million": 10, "output_price_per_million": 30, "max_concurrency": 512},
               {"name": "weak-model", "base_url": "http://127.0.0.1:\(upstream.port)/v1", "input_price_per_million": 0.5, "output_price_per_million": 1.5, "max_concurrency": 512}],
             "routing": {"strong": "strong-model", "weak": "weak-model", "timeout": "5s", "live_calibration": true}}
            """.utf8).write(to: config)
            var dispatchers: [String] = []
            for index in 0..<2 {
                let process = try processes.launch("turnout-dispatcher", [
                    "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--state-dir", state.appendingPathComponent("dispatcher-\(index)").path,
                    "--config", config.path, "--embedder", "127.0.0.1:\(embedder.port)", "--scorer", "127.0.0.1:\(scorer.port)",
                    "--collector", "127.0.0.1:\(collector.port)", "--report-interval", "500ms", "--api-keys", "bench-key", "--log-level", "warning"])
                _ = try await process.listening()
                dispatchers.append("http://127.0.0.1:\(try await process.port(loggedAs: "http listening"))")
            }
            let client = BenchHTTP(http: http, key: "bench-key")
            for dispatcher in dispatchers { try await client.waitUntilReady(dispatcher) }

            let model = "router-gain@\(String(format: "%g", target * 100))%"
            let decisions = try await replay(prompts, model: model, dispatchers: dispatchers, clients: try options.int("clients", range: 1...64), http: http)
            let shifted = Array(decisions[before.count...])
            let staticShare = Double(shifted.filter { $0.winRate >= staticThreshold }.count) / Double(shifted.count)
            let last = shifted.suffix(500)
            let liveShare = Double(last.filter(\.strong).count) / Double(last.count)
            let beforeShare = Double(decisions[..<before.count].filter(\.strong).count) / Double(before.count)
            let converge = requestsToConverge(shifted.map(\.strong), target: target, window: 200, tolerance: 0.03)
            let report: [String: Double] = [
                "target": target, "static_threshold": staticThreshold, "static_share": staticShare, "static_share_error": abs(staticShare - target),
                "live_share": liveShare, "live_share_error": abs(liveShare - target), "requests_to_converge": Double(converge ?? shifted.count),
                "share_before_shift": beforeShare, "requests_before": Double(before.count), "requests_after": Double(shifted.count),
                "seconds": (ContinuousClock.now - started).seconds.rounded(),
            ]
            return StackBench.Report(figures: report, flags: ["converged": converge != nil])
        }
    }

    /// Sends every prompt as a chat completion, in order, `clients` at a time, alternating
    /// between the dispatchers; returns each one's route and win rate from its headers.
    static func replay(_ prompts: [String], model: String, dispatchers: [String], clients: Int, http: HTTPClient) async throws -> [Decision] {
        let next = LockedCounter()
        let results = DecisionLog(count: prompts.count)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    while let index = next.take(below: prompts.count) {
                        let body = try JSONSerialization.data(withJSONObject: ["model": model, "messages": [["role": "user", "content": prompts[index]]]])
                        var request = HTTPRequest(method: "POST", url: dispatchers[index % dispatchers.count] + "/v1/chat/completions",
                                                  headers: [("Content-Type", "application/json"), ("Authorization", "Bearer bench-key")], body: Array(body))
                        request.timeout = .seconds(60)
                        let response = try await http.send(request)
                        guard response.status == 200, let route = response.head.header("x-turnout-route"),
                              let rate = response.head.header("x-turnout-win-rate").flatMap(Double.init) else {
                            throw BenchError("request \(index) answered \(response.status) without a scored route: \(String(decoding: response.body.prefix(200), as: UTF8.self))")
                        }
                        results.values.withLock { $0[index] = Decision(strong: route == "strong", winRate: rate) }
                    }
                }
            }
            try await group.waitForAll()
        }
        return results.values.withLock { $0.compactMap { $0 } }
    }

    /// Requests until the share of the last `window` decisions first comes within `tolerance`
    /// of the target; nil if it never does.
    static func requestsToConverge(_ strong: [Bool], target: Double, window: Int, tolerance: Double) -> Int? {
        guard strong.count >= window else { return nil }
        var count = strong.prefix(window).filter { $0 }.count
        for end in window...strong.count {
            if end > window {
                count += (strong[end - 1] ? 1 : 0) - (strong[end - 1 - window] ? 1 : 0)
            }
            if abs(Double(count) / Double(window) - target) <= tolerance { return end }
        }
        return nil
    }
}
