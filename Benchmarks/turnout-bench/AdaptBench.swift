import Foundation
import TurnoutHTTPClient
import TurnoutRouting
import TurnoutRuntime

/// `turnout bench adapt`: the proof that the deployment learns from its own traffic.
///
/// GSM8K's questions are replayed as traffic through the real stack on loopback: collector,
/// embedder, two scorers, dispatcher. The upstreams are stubs (`turnout-stub-upstream`), and
/// so is the judge, whose verdicts come from GSM8K's real per-question outcomes
/// (`--judge-gsm8k`): a stand-in for a judge model that cannot run here. The router starts
/// trained on MMLU alone. Every warm-up question is shadow-judged (fraction 1.0); then
/// `turnout learn` runs against the collector's `GET /battles`, and the held-out questions
/// are routed through `/v1/route` before and after, scored by APGR with their golden labels.
/// Last, the client-visible latency with shadowing on is compared with it off, on two
/// dispatchers sharing the rest of the stack, in alternating blocks.
enum AdaptBench {
    static let spec = CommandSpec(
        name: "turnout bench adapt",
        summary: "Replay GSM8K through the whole stack with shadow judging on, learn from the judged battles, and compare routing on held-out questions before and after (APGR), and the latency shadowing adds.",
        options: [
            .flag("json", help: "Print one JSON object instead of text"),
            OptionSpec("data", env: "TURNOUT_DATA_DIR", default: "../shared/data", value: "DIR", help: "Directory holding mmlu/ and gsm8k/"),
            OptionSpec("warmup", default: "0.7", value: "F", help: "Share of GSM8K's questions replayed and judged before learning; the rest are held out (docs/learning.md: 0.6 promoted on four seeds of five)"),
            OptionSpec("seed", default: "0", value: "N", help: "Seed of the question order"),
            OptionSpec("clients", default: "4", value: "N", help: "Concurrent clients replaying the warm-up"),
            OptionSpec("battle-weight", default: "auto", value: "auto|W", help: "turnout learn --battle-weight"),
            OptionSpec("battles-out", default: "", value: "FILE", help: "Also save the judged battles (the collector's GET /battles) here"),
            OptionSpec("holdout", default: "0.75", value: "F", help: "turnout learn --holdout: the share of judged battles, the newest, that decides on promotion"),
            OptionSpec("latency-requests", default: "800", value: "N", help: "Requests to each dispatcher in the latency phase"),
            OptionSpec("model-dir", env: "TURNOUT_MODEL_DIR", default: "models/all-MiniLM-L6-v2", value: "DIR", help: "Embedding model"),
        ]
    )

    static func run(_ arguments: [String]) async -> Int32 {
        await StackBench.run(spec, arguments) { bench in
            let (options, processes, http) = (bench.options, bench.processes, bench.http)
            let started = ContinuousClock.now
            let data = URL(fileURLWithPath: try options.require("data"))
            let modelDirectory = try options.require("model-dir")
            var items = try BenchmarkData.gsm8k(directory: data.appendingPathComponent("gsm8k")).items
            var generator = SeededGenerator(seed: UInt64(try options.int("seed", range: 0...Int.max)))
            items.shuffle(using: &generator)
            let warmCount = Int(Double(items.count) * (try options.double("warmup")))
            guard warmCount > 100, warmCount < items.count - 100 else { throw BenchError("--warmup must leave at least 100 questions on each side") }
            let warm = Array(items[..<warmCount]), held = Array(items[warmCount...])

            let state = bench.state
            let routers = try bench.directory("routers")
            try await baseRouter(data: data, modelDirectory: modelDirectory, processes: processes).write(to: routers.appendingPathComponent("gain.json"))

            // The stack: stub upstreams and judge, collector, embedder, two scorers, the dispatcher.
            // The stand-ins for the LLMs, which in a deployment run elsewhere, yield this machine's cores to the services.
            let upstream = try await processes.start("turnout-stub-upstream", [], niceness: 10)
            let judge = try await processes.start("turnout-stub-upstream", ["--judge-gsm8k", data.appendingPathComponent("gsm8k").path, "--strong-model", "strong-model"],
                                                  niceness: 10)
            let collector = try await processes.start("turnout-collector", ["--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--state-dir",
                                                                             state.appendingPathComponent("collector").path, "--durability", "normal", "--log-level", "warning"])
            let collectorHTTP = "http://127.0.0.1:\(try await collector.process.port(loggedAs: "http listening"))"
            let embedder = try await processes.start("turnout-embedder", ["--listen", "127.0.0.1:0", "--state-dir", state.appendingPathComponent("embedder").path,
                                                                           "--model-dir", modelDirectory, "--log-level", "warning"])
            var scorers: [Int] = []
            for index in 0..<2 {
                scorers.append(try await processes.start("turnout-scorer", ["--listen", "127.0.0.1:0", "--state-dir", state.appendingPathComponent("scorer-\(index)").path,
                                                                            "--routers-dir", routers.path, "--embedder", "", "--watch-interval", "300ms",
                                                                            "--log-level", "warning"]).port)
            }
            func dispatcher(shadow: Double) async throws -> String {
                let config = state.appendingPathComponent("dispatcher-\(shadow).json")
                try Data("""
                {"upstreams": [
                   {"name": "strong-model", "base_url": "http://127.0.0.1:\(upstream.port)/v1", "input_price_per_million": 10, "output_price_per_million": 30, "max_concurrency": 512},
                   {"name": "weak-model", "base_url": "http://127.0.0.1:\(upstream.port)/v1", "input_price_per_million": 0.5, "output_price_per_million": 1.5, "max_concurrency": 512},
                   {"name": "judge", "base_url": "http://127.0.0.1:\(judge.port)/v1", "input_price_per_million": 10, "output_price_per_million": 30, "max_concurrency": 512}],
                 "routing": {"strong": "strong-model", "weak": "weak-model", "timeout": "5s"},
                 "shadow": {"routers": {"gain": \(shadow)}, "judge": "judge", "budget_usd_per_hour": 1000, "max_concurrency": 4, "max_pending": 100000}}
                """.utf8).write(to: config)
                let process = try processes.launch("turnout-dispatcher", [
                    "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--state-dir", state.appendingPathComponent("dispatcher-\(shadow)").path,
                    "--config", config.path, "--embedder", "127.0.0.1:\(embedder.port)", "--scorer", scorers.map { "127.0.0.1:\($0)" }.joined(separator: ","),
                    "--collector", "127.0.0.1:\(collector.port)", "--report-interval", "500ms", "--api-keys", "bench-key", "--log-level", "warning"])
                _ = try await process.listening()
                return "http://127.0.0.1:\(try await process.port(loggedAs: "http listening"))"
            }
            let shadowed = try await dispatcher(shadow: 1)
            let client = BenchHTTP(http: http, key: "bench-key")
            try await client.waitUntilReady(shadowed)

            // Before: the MMLU-trained router on the held-out questions.
            let before = try await client.route(held.map(\.prompt), through: shadowed)
            let apgrBefore = apgr(before.winRates, held)

            // Warm-up: every question answered and shadow-judged; wait for every battle.
            try await client.complete(warm.map(\.prompt), through: shadowed, clients: try options.int("clients", range: 1...64))
            let stored = try await client.waitForBattles(collectorHTTP, count: warm.count, timeout: .seconds(120))
            let judged = try await client.judged(collectorHTTP, atLeast: stored, timeout: .seconds(10))
            if let path = options.string("battles-out"), !path.isEmpty {
                try Data(try await http.send(HTTPRequest(url: collectorHTTP + "/battles")).body).write(to: URL(fileURLWithPath: path))
            }

            // Learn, then wait for both scorers to serve what was promoted.
            let learnLog = state.appendingPathComponent("learn.log")
            let learn = try processes.launch("turnout", ["learn", "--router", "gain", "--routers-dir", routers.path, "--battles", collectorHTTP + "/battles",
                                                         "--base", data.appendingPathComponent("mmlu").path, "--model-dir", modelDirectory,
                                                         "--battle-weight", try options.require("battle-weight"), "--holdout", try options.require("holdout"), "--json"],
                                           logFile: learnLog)
            let learnStatus = await learn.exited()
            let decision = try learned(learn, status: learnStatus, log: learnLog)
            let promoted = decision["promoted"] as? Bool ?? false
            if promoted, let version = decision["candidate_version"] as? String {
                try await client.waitForVersion(version, of: held[0].prompt, through: shadowed, timeout: .seconds(30))
            }
            let after = try await client.route(held.map(\.prompt), through: shadowed)
            let apgrAfter = apgr(after.winRates, held)

            // Latency: shadowing on and off, on warm questions (their embeddings cached), in turns.
            let unshadowed = try await dispatcher(shadow: 0)
            let perSide = try options.int("latency-requests", range: 20...1_000_000)
            let (on, off) = try await client.alternatingLatencies(on: shadowed, off: unshadowed, collector: collectorHTTP, prompts: warm.map(\.prompt), perSide: perSide)

            var report: [String: Double] = [
                "apgr_before": apgrBefore, "apgr_after": apgrAfter, "judged": Double(judged), "battles_stored": Double(stored),
                "shadow_added_p50_ms": on.p50 - off.p50, "shadow_on_p50_ms": on.p50, "shadow_off_p50_ms": off.p50,
                "held_out": Double(held.count), "warmup": Double(warm.count), "seconds": (ContinuousClock.now - started).seconds.rounded(),
            ]
            report["learn_live_apgr"] = decision["live_apgr"] as? Double
            report["learn_candidate_apgr"] = decision["candidate_apgr"] as? Double
            report["learn_difference_se"] = decision["difference_se"] as? Double
            return StackBench.Report(figures: report, flags: ["promoted": promoted])
        }
    }

    /// APGR of `winRates` on `items`, as `turnout eval` computes it (10 quantile thresholds).
    static func apgr(_ winRates: [Double], _ items: [BenchmarkItem]) -> Double {
        let benchmark = Benchmark(name: "gsm8k held out", strongModel: BenchmarkData.strongModel, weakModel: BenchmarkData.weakModel, items: items)
        return RouterEvaluation.report(router: "gain", winRates: winRates, benchmark: benchmark, thresholds: 10).apgr
    }

    /// The router the deployment starts from: `gain` trained on MMLU alone by `turnout train`,
    /// kept in `.state/bench-adapt/` so later runs skip the training.
    static func baseRouter(data: URL, modelDirectory: String, processes: BenchProcesses) async throws -> RouterArtifact {
        let kept = URL(fileURLWithPath: ".state/bench-adapt/gain-mmlu.json")
        if let artifact = try? RouterArtifact.load(from: kept) { return artifact }
        try FileManager.default.createDirectory(at: kept.deletingLastPathComponent(), withIntermediateDirectories: true)
        printError("training the base router (gain on MMLU alone); kept in \(kept.path) for later runs")
        let train = try processes.launch("turnout", ["train", "--router", "gain", "--train", data.appendingPathComponent("mmlu").path, "--out", kept.path,
                                                     "--model-dir", modelDirectory])
        guard await train.exited() == 0 else { throw BenchError("turnout train failed: \(train.recentLog(5))") }
        return try RouterArtifact.load(from: kept)
    }

    /// The JSON line `turnout learn --json` ended its standard output with.
    static func learned(_ learn: ManagedProcess, status: Int32, log: URL) throws -> [String: Any] {
        guard status == 0 else { throw BenchError("turnout learn exited \(status): \(learn.recentLog(10))") }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        for line in output.split(separator: "\n").reversed() where !line.hasPrefix("{\"level") {
            printError("turnout learn: \(line)")
        }
        for line in output.split(separator: "\n").reversed() {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["promoted"] != nil { return object }
        }
        throw BenchError("turnout learn printed no decision: \(learn.recentLog(10))")
    }
}
