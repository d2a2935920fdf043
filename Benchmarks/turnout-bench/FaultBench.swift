import Foundation
import Glibc
import Synchronization
import TurnoutHTTPClient
import TurnoutRuntime

/// `turnout bench faults`: gray failures under load, on loopback with the real services and
/// stub upstreams. Each scenario prints what 20 concurrent clients saw while the fault lasted:
/// sent, ok, failed, p99 and default routes.
///
/// - `hung_upstream`: the strong upstream SIGSTOPped for 20 s (it accepts connections and
///   never answers). Routed requests must fall back within the learnt first-byte wait.
/// - `frozen_scorer`: one of two scorers SIGSTOPped for 15 s.
/// - `rate_limited`: the strong upstream answering every call 429 with Retry-After: 1;
///   `rate_limited_rps_ratio` is the throughput then over the throughput with it healthy.
enum FaultBench {
    static let spec = CommandSpec(
        name: "turnout bench faults",
        summary: "Gray failures under 20 concurrent clients: a hung upstream, a frozen scorer, a rate-limiting upstream; what clients saw during each.",
        options: [
            .flag("json", help: "Print one JSON object instead of text"),
            OptionSpec("clients", default: "20", value: "N", help: "Concurrent clients"),
            OptionSpec("hung-seconds", default: "20", value: "S", help: "How long the strong upstream is stopped"),
            OptionSpec("frozen-seconds", default: "15", value: "S", help: "How long one scorer is stopped"),
            OptionSpec("rate-seconds", default: "6", value: "S", help: "How long each throughput phase of rate_limited lasts"),
            OptionSpec("routers-dir", default: "routers", value: "DIR", help: "Where mf.json is read from"),
            OptionSpec("model-dir", env: "TURNOUT_MODEL_DIR", default: "models/all-MiniLM-L6-v2", value: "DIR", help: "Embedding model"),
        ]
    )

    /// What the clients saw over one window.
    struct Window {
        var sent = 0, ok = 0, failed = 0, defaultRoutes = 0
        var latenciesMs: [Double] = []
        var seconds = 0.0

        var max: Double { latenciesMs.max() ?? 0 }
        var p99: Double {
            let sorted = latenciesMs.sorted()
            return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((0.99 * Double(sorted.count)).rounded(.up)) - 1)]
        }
        var rps: Double { seconds > 0 ? Double(ok) / seconds : 0 }
    }

    final class Tally: Sendable {
        let window = Mutex(Window())
        func add(status: Int, ms: Double, defaultRoute: Bool) {
            window.withLock { window in
                window.sent += 1
                window.latenciesMs.append(ms)
                if status == 200 { window.ok += 1 } else { window.failed += 1 }
                if defaultRoute { window.defaultRoutes += 1 }
            }
        }
    }

    static func run(_ arguments: [String]) async -> Int32 {
        await StackBench.run(spec, arguments) { bench in
            let (options, processes, http) = (bench.options, bench.processes, bench.http)
            let clients = try options.int("clients", range: 1...256)
            let state = bench.state
            let routers = try bench.directory("routers")
            try FileManager.default.copyItem(at: URL(fileURLWithPath: try options.require("routers-dir")).appendingPathComponent("mf.json"),
                                             to: routers.appendingPathComponent("mf.json"))
            // The stand-ins for the LLMs yield this machine's cores to the services.
            let strong = try await processes.start("turnout-stub-upstream", [], niceness: 10)
            let weak = try await processes.start("turnout-stub-upstream", [], niceness: 10)
            let limited = try await processes.start("turnout-stub-upstream", ["--rate-limited", "1"], niceness: 10)
            let embedder = try await processes.start("turnout-embedder", ["--listen", "127.0.0.1:0", "--state-dir", state.appendingPathComponent("embedder").path,
                                                                           "--model-dir", try options.require("model-dir"), "--log-level", "error"])
            var scorers: [(process: ManagedProcess, port: Int)] = []
            for index in 0..<2 {
                scorers.append(try await processes.start("turnout-scorer", ["--listen", "127.0.0.1:0", "--state-dir", state.appendingPathComponent("scorer-\(index)").path,
                                                                            "--routers-dir", routers.path, "--embedder", "", "--log-level", "error"]))
            }
            func dispatcher(strongPort: Int, name: String) async throws -> String {
                let config = state.appendingPathComponent("\(name).json")
                try Data("""
                {"upstreams": [
                   {"name": "strong-model", "base_url": "http://127.0.0.1:\(strongPort)/v1", "input_price_per_million": 10, "output_price_per_million": 30, "max_concurrency": 512},
                   {"name": "weak-model", "base_url": "http://127.0.0.1:\(weak.port)/v1", "input_price_per_million": 0.5, "output_price_per_million": 1.5, "max_concurrency": 512}],
                 "routing": {"strong": "strong-model", "weak": "weak-model", "unavailable_route": "split"}}
                """.utf8).write(to: config)
                let process = try processes.launch("turnout-dispatcher", [
                    "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--state-dir", state.appendingPathComponent(name).path, "--config", config.path,
                    "--embedder", "127.0.0.1:\(embedder.port)", "--scorer", scorers.map { "127.0.0.1:\($0.port)" }.joined(separator: ","),
                    "--api-keys", "bench-key", "--log-level", "error"])
                _ = try await process.listening()
                let base = "http://127.0.0.1:\(try await process.port(loggedAs: "http listening"))"
                try await BenchHTTP(http: http, key: "bench-key").waitUntilReady(base)
                return base
            }
            let main = try await dispatcher(strongPort: strong.port, name: "dispatcher")
            // Routed at a share of one half, on a few hundred distinct prompts (embedded once, then cached).
            let prompts = (0..<300).map { "Question \($0): explain step by step why \($0) squared minus one factors as (\($0) - 1)(\($0) + 1)." }
            func load(_ base: String, for duration: Duration, during fault: (() -> Void)? = nil) async throws -> Window {
                let tally = Tally()
                let next = LockedCounter()
                let end = ContinuousClock.now + duration
                let started = ContinuousClock.now
                fault?()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<clients {
                        group.addTask {
                            while ContinuousClock.now < end, let index = next.take(below: Int.max) {
                                let body = try JSONSerialization.data(withJSONObject: ["model": "router-mf@50%", "messages": [["role": "user", "content": prompts[index % prompts.count]]]])
                                var request = HTTPRequest(method: "POST", url: base + "/v1/chat/completions",
                                                          headers: [("Content-Type", "application/json"), ("Authorization", "Bearer bench-key")], body: Array(body))
                                request.timeout = .seconds(60)
                                let sent = ContinuousClock.now
                                let response = try? await http.send(request)
                                tally.add(status: response?.status ?? 0, ms: (ContinuousClock.now - sent).seconds * 1000,
                                          defaultRoute: response?.head.header("x-turnout-default-route") == "true")
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                var window = tally.window.withLock { $0 }
                window.seconds = (ContinuousClock.now - started).seconds
                return window
            }
            // Warm up: every prompt embedded, the upstreams' first-byte times learnt.
            _ = try await load(main, for: .seconds(5))

            var report: [String: Double] = [:]
            func put(_ name: String, _ window: Window) {
                report["\(name)_sent"] = Double(window.sent)
                report["\(name)_ok"] = Double(window.ok)
                report["\(name)_failed"] = Double(window.failed)
                report["\(name)_p99_ms"] = window.p99
                report["\(name)_max_ms"] = window.max
                report["\(name)_default_routes"] = Double(window.defaultRoutes)
            }
            let hungSeconds = try options.int("hung-seconds", range: 1...600)
            let hung = try await load(main, for: .seconds(hungSeconds)) { kill(strong.process.pid, SIGSTOP) }
            kill(strong.process.pid, SIGCONT)
            put("hung_upstream", hung)
            // Let the breaker's trial find the strong upstream back.
            _ = try await load(main, for: .seconds(12))

            let frozenSeconds = try options.int("frozen-seconds", range: 1...600)
            let frozen = try await load(main, for: .seconds(frozenSeconds)) { kill(scorers[0].process.pid, SIGSTOP) }
            kill(scorers[0].process.pid, SIGCONT)
            put("frozen_scorer", frozen)
            report["frozen_scorer_default_route_share"] = frozen.sent > 0 ? Double(frozen.defaultRoutes) / Double(frozen.sent) : 0

            let rateSeconds = try options.int("rate-seconds", range: 1...600)
            _ = try await load(main, for: .seconds(3))
            let normal = try await load(main, for: .seconds(rateSeconds))
            let limitedDispatcher = try await dispatcher(strongPort: limited.port, name: "dispatcher-limited")
            _ = try await load(limitedDispatcher, for: .seconds(3))
            let rateLimited = try await load(limitedDispatcher, for: .seconds(rateSeconds))
            put("rate_limited", rateLimited)
            report["normal_rps"] = normal.rps
            report["rate_limited_rps"] = rateLimited.rps
            report["rate_limited_rps_ratio"] = normal.rps > 0 ? rateLimited.rps / normal.rps : 0

            return StackBench.Report(figures: report)
        }
    }
}
