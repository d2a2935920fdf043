import Foundation
import TurnoutEmbedderAPI
import TurnoutEmbedding
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// `turnout bench dispatch`: what the dispatcher adds over calling the upstream directly.
///
/// Everything runs on this machine: a stub upstream (Tests/StubUpstream, answers at once),
/// the embedder with the real model, a scorer with the committed routers, and the dispatcher.
/// Latency is measured with one keep-alive client, throughput with many. Routed prompts are
/// all distinct, so the embedder's cache never answers for the model.
enum DispatchBench {
    static let spec = CommandSpec(
        name: "turnout bench dispatch",
        summary: "Measure the dispatcher: pass-through and mf-routed chat completions against a stub upstream, compared with calling it directly.",
        options: [
            .flag("json", help: "Print one JSON object instead of text"),
            OptionSpec("duration", default: "3s", value: "DURATION", help: "Measured time of each throughput phase"),
            OptionSpec("connections", default: "32", value: "N", help: "Keep-alive clients in the throughput phases"),
            OptionSpec("latency-requests", default: "2000", value: "N", help: "Requests in each single-client latency phase (routed: a tenth)"),
            OptionSpec("routers-dir", default: "routers", value: "DIR", help: "Router artifacts (needs mf.json)"),
            OptionSpec("model-dir", env: "TURNOUT_MODEL_DIR", default: "models/all-MiniLM-L6-v2", value: "DIR", help: "Embedding model directory"),
            OptionSpec("encoder-precision", default: "auto", value: "auto|fp32|int8", help: "The embedder's --encoder-precision"),
            OptionSpec("embedder-args", default: "", value: "ARGS", help: "More embedder options, space-separated (e.g. \"--batch-wait 2ms --batch-workers 1\", the batching before issue 16)"),
        ]
    )

    static func run(_ arguments: [String]) async -> Int32 {
        let options = ServiceRunner.parseOrExit(spec, arguments)
        let processes = BenchProcesses()
        defer { processes.stopAll() }
        do {
            BenchSupport.warnIfDebug()
            let duration = try options.duration("duration")
            let connections = try options.int("connections", range: 1...4096)
            let latencyRequests = try options.int("latency-requests", range: 10...10_000_000)
            let precisionOption = options.string("encoder-precision") ?? "auto"
            guard let precision = EncoderPrecision(option: precisionOption) else {
                throw BenchError("--encoder-precision must be auto, fp32 or int8, got \"\(precisionOption)\"")
            }
            let state = FileManager.default.temporaryDirectory.appendingPathComponent("turnout-bench-dispatch-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
            func launch(_ name: String, _ arguments: [String]) throws -> ManagedProcess { try processes.launch(name, arguments) }
            let upstream = try launch("turnout-stub-upstream", [])
            let upstreamPort = try await upstream.listening()
            let embedder = try launch("turnout-embedder", ["--listen", "127.0.0.1:0", "--state-dir", state.path, "--model-dir", try options.require("model-dir"),
                                                           "--log-level", "warning", "--cache-entries", "0", "--encoder-precision", precision.rawValue]
                                       + (options.string("embedder-args") ?? "").split(separator: " ").map(String.init))
            let embedderPort = try await embedder.listening()
            let scorer = try launch("turnout-scorer", ["--listen", "127.0.0.1:0", "--state-dir", state.path, "--routers-dir", try options.require("routers-dir"),
                                                       "--embedder", "", "--log-level", "warning"])
            let scorerPort = try await scorer.listening()
            let config = state.appendingPathComponent("dispatcher.json")
            try Data("""
            {"upstreams": [
               {"name": "strong-model", "base_url": "http://127.0.0.1:\(upstreamPort)/v1", "input_price_per_million": 10, "output_price_per_million": 30, "max_concurrency": 4096},
               {"name": "weak-model", "base_url": "http://127.0.0.1:\(upstreamPort)/v1", "input_price_per_million": 0.5, "output_price_per_million": 1.5, "max_concurrency": 4096}],
             "routing": {"strong": "strong-model", "weak": "weak-model", "timeout": "5s"}}
            """.utf8).write(to: config)
            let dispatcher = try launch("turnout-dispatcher", ["--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--state-dir", state.path, "--config", config.path,
                                                               "--embedder", "127.0.0.1:\(embedderPort)", "--scorer", "127.0.0.1:\(scorerPort)", "--api-keys", "bench-key",
                                                               "--log-level", "error"])
            _ = try await dispatcher.listening()
            let dispatcherPort = try await dispatcher.port(loggedAs: "http listening")

            func request(port: Int, model: String, prompt: String) -> [UInt8] {
                let body = #"{"model":"\#(model)","messages":[{"role":"user","content":"\#(prompt)"}],"max_tokens":16}"#
                return Array("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer bench-key\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
            }
            func measure(_ port: Int, connections: Int, requests: Int = .max, warmup: Duration = .milliseconds(500), model: String, distinct: Bool = false) throws -> LoadGenerator.Result {
                let fixed = request(port: port, model: model, prompt: "What is the capital of France?")
                let salt = UInt32.random(in: 0...UInt32.max)
                let load = HTTPLoadGenerator(port: UInt16(port), connections: connections) { number in
                    distinct ? request(port: port, model: model, prompt: "Question \(salt)-\(number): how many primes are there below \(number + 100)?") : fixed
                }
                let result = try load.run(warmup: warmup, duration: requests == .max ? duration : .seconds(600), maxRequests: requests)
                guard result.errors == 0, result.completed > 0 else { throw BenchError("\(result.errors) of \(result.completed + result.errors) requests to port \(port) failed") }
                return result
            }
            var report: [String: Double] = [:]
            // Single client: latency.
            let direct1 = try measure(upstreamPort, connections: 1, requests: latencyRequests, model: "strong-model")
            let pass1 = try measure(dispatcherPort, connections: 1, requests: latencyRequests, model: "weak-model")
            report["direct_p50_ms"] = direct1.percentileMicroseconds(0.5) / 1000
            report["passthrough_p50_ms"] = pass1.percentileMicroseconds(0.5) / 1000
            report["passthrough_added_p50_ms"] = (pass1.percentileMicroseconds(0.5) - direct1.percentileMicroseconds(0.5)) / 1000
            report["passthrough_added_p99_ms"] = (pass1.percentileMicroseconds(0.99) - direct1.percentileMicroseconds(0.99)) / 1000
            // The embedder alone, one distinct query at a time (the budget routing is measured
            // against), right before the routed phase so both see the same machine.
            report["embed_p50_ms"] = try await embedderP50(port: embedderPort, queries: max(10, latencyRequests / 10))
            report["routed_budget_ms"] = (report["embed_p50_ms"] ?? 0) + 2
            let routed1 = try measure(dispatcherPort, connections: 1, requests: max(10, latencyRequests / 10), warmup: .seconds(1), model: "router-mf-0.5", distinct: true)
            report["routed_p50_ms"] = routed1.percentileMicroseconds(0.5) / 1000
            report["routed_added_p50_ms"] = (routed1.percentileMicroseconds(0.5) - direct1.percentileMicroseconds(0.5)) / 1000
            report["routed_added_p99_ms"] = (routed1.percentileMicroseconds(0.99) - direct1.percentileMicroseconds(0.99)) / 1000
            // Many clients: throughput.
            let directN = try measure(upstreamPort, connections: connections, model: "strong-model")
            let passN = try measure(dispatcherPort, connections: connections, model: "weak-model")
            let cpuBefore = BenchSupport.cpuSeconds(pid: embedder.pid)
            let routedStarted = ContinuousClock.now
            let routedN = try measure(dispatcherPort, connections: connections, warmup: .seconds(1), model: "router-mf-0.5", distinct: true)
            if let before = cpuBefore, let after = BenchSupport.cpuSeconds(pid: embedder.pid) {
                // Cores the embedder used during the routed phase (its warm-up included), of the two the whole stack shares.
                report["routed_embedder_cores"] = (after - before) / (ContinuousClock.now - routedStarted).seconds
            }
            report["direct_rps"] = directN.requestsPerSecond.rounded()
            report["passthrough_rps"] = passN.requestsPerSecond.rounded()
            report["passthrough_p50_ms_loaded"] = passN.percentileMicroseconds(0.5) / 1000
            report["routed_rps"] = routedN.requestsPerSecond.rounded()
            report["connections"] = Double(connections)
            if options.flag("json") {
                print(BenchSupport.json(report, strings: ["encoder_path": precision.kernel]))
            } else {
                print("encoder_path: \(precision.kernel)")
                for key in report.keys.sorted() { print("\(key): \(String(format: "%.3f", report[key] ?? 0))") }
            }
            return 0
        } catch {
            printError("turnout bench dispatch: \(error)")
            printError(processes.recentLogs())
            return 1
        }
    }

    /// p50 of `Embedder/Embed` for distinct single texts, one at a time.
    static func embedderP50(port: Int, queries: Int) async throws -> Double {
        let client = try WireClient(configuration: ClientConfiguration(targets: [HostPort(host: "127.0.0.1", port: UInt16(port))]), logger: Logger(service: "bench", minimumLevel: .error))
        defer { client.shutdown() }
        var times: [Double] = []
        let salt = UInt32.random(in: 0...UInt32.max)
        for number in 0..<queries {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try await client.call(EmbedderAPI.embed, EmbedderAPI.EmbedRequest(texts: ["Question \(salt)-\(number): how many primes are there below \(number + 100)?"]))
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        return times[times.count / 2]
    }
}
