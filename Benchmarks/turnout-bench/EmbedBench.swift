import COpenBLAS
import Foundation
import TurnoutEmbedder
import TurnoutEmbedderAPI
import TurnoutEmbedding
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// `turnout bench embed`: the native encoder's latency and throughput, its achieved GFLOP/s
/// against this machine's sgemm peak (measured in the same run), and the service end to end.
///
/// The encoder runs at `--precision` (auto: the fastest path this CPU has); when that is not
/// fp32, the fp32 encoder is measured in the same run too, and `*_speedup` fields are the
/// ratios, and `parity_min_cosine` is the lowest cosine between the two paths' vectors.
enum EmbedBench {
    static let spec = CommandSpec(
        name: "turnout bench embed",
        summary: "Measure the embedding model on ~64-token prompts: single-query latency, batch-1 and batch-32 throughput, GFLOP/s versus a large sgemm, and the service over the wire at 16 clients.",
        options: [
            .flag("json", help: "Print one JSON object instead of text"),
            OptionSpec("model-dir", env: "TURNOUT_MODEL_DIR", default: "models/all-MiniLM-L6-v2", value: "DIR", help: "Model directory"),
            OptionSpec("seconds", default: "3", value: "S", help: "Measured seconds per phase"),
            OptionSpec("clients", default: "16", value: "N", help: "Concurrent clients for the service phase"),
            OptionSpec("precision", default: "auto", value: "auto|fp32|int8", help: "The encoder's arithmetic (auto: int8 with AVX-512 VNNI, else fp32)"),
            .flag("no-service", help: "Skip the end-to-end service phase"),
        ]
    )

    /// About 64 tokens with [CLS] and [SEP].
    static let prompt = "Explain, step by step, how a transformer encoder turns a sentence into a vector: tokenization, embeddings, self-attention across twelve heads, the feed-forward layers, and mean pooling, and say why each step matters for search, clustering and routing questions between models"
    /// A routed chat question as `bench dispatch` sends it (about 25 tokens).
    static let routedPrompt = "Question 1234567890-42: how many primes are there below 142?"
    /// Short prompts, as chat questions often are (about 10 tokens).
    static let shortPrompts = ["What is the capital of France?", "Write a haiku about autumn.", "How do I reverse a list in Python?", "Translate hello into Spanish."]

    static func run(_ arguments: [String]) async -> Int32 {
        let options = ServiceRunner.parseOrExit(spec, arguments)
        do {
            BenchSupport.warnIfDebug()
            let seconds = try options.double("seconds")
            let directory = URL(fileURLWithPath: options.string("model-dir") ?? "models/all-MiniLM-L6-v2")
            guard let precision = EncoderPrecision(option: options.string("precision") ?? "auto") else {
                throw BenchError("--precision must be auto, fp32 or int8")
            }
            let model = try MiniLM(directory: directory, precision: precision)
            var report = try measureEncoder(model, seconds: seconds)
            if precision != .float32 {
                let reference = try MiniLM(directory: directory, precision: .float32)
                let baseline = try measureEncoder(reference, seconds: seconds)
                for key in ["single_p50_ms", "routed_single_p50_ms", "batch32_qps", "short_batch32_qps"] {
                    report["fp32_" + key] = baseline[key]
                }
                report["single_speedup"] = (baseline["single_p50_ms"] ?? 0) / (report["single_p50_ms"] ?? 1)
                report["routed_single_speedup"] = (baseline["routed_single_p50_ms"] ?? 0) / (report["routed_single_p50_ms"] ?? 1)
                report["batch32_speedup"] = (report["batch32_qps"] ?? 0) / (baseline["batch32_qps"] ?? 1)
                let texts = [prompt, routedPrompt, "", "Hello world"] + shortPrompts + (0..<8).map { "\(prompt) \($0)" }
                report["parity_min_cosine"] = zip(model.embed(texts), reference.embed(texts)).map { pair in
                    zip(pair.0, pair.1).reduce(0) { $0 + Double($1.0) * Double($1.1) }
                }.min()
            }
            report["sgemm_peak_gflops"] = sgemmPeak()
            report["ratio_to_peak"] = (report["encoder_gflops"] ?? 0) / (report["sgemm_peak_gflops"] ?? 1)
            report["floor_single_ms"] = flops(sequences: 1, length: Int(report["prompt_tokens"] ?? 0)) / ((report["sgemm_peak_gflops"] ?? 1) * 1e9) * 1000

            if !options.flag("no-service") {
                let service = try await serviceFigures(model: model, directory: directory, precision: precision,
                                                       clients: try options.int("clients", range: 1...256), seconds: seconds)
                report.merge(service) { $1 }
                // The breakdown of one caller's time beyond the encoder's, stage by stage.
                let encoder = report["encoder_c1_p50_ms"] ?? 0
                let batcher = report["batcher_c1_p50_ms"] ?? 0
                let service1 = report["service_c1_p50_ms"] ?? 0
                report["service_c1_added_ms"] = service1 - encoder
                report["added_batcher_ms"] = batcher - encoder
                report["added_wire_ms"] = service1 - batcher
                report["added_cache_miss_ms"] = (report["service_c1_cache_miss_p50_ms"] ?? 0) - service1
            }
            let path = ["encoder_path": precision.kernel]
            if options.flag("json") {
                // The parity gap is far below the rounding step the timings are printed at.
                var rounded = report.mapValues { ($0 * 1000).rounded() / 1000 }
                rounded["parity_min_cosine"] = report["parity_min_cosine"].map { ($0 * 1e6).rounded() / 1e6 }
                print(BenchSupport.json(rounded, strings: path))
            } else {
                print("encoder_path: \(precision.kernel)")
                for key in report.keys.sorted() { print("\(key): \(String(format: "%.3f", report[key] ?? 0))") }
            }
            return 0
        } catch {
            printError("turnout bench embed: \(error)")
            return 1
        }
    }

    /// The encoder alone: single-query latency (64 and 25 tokens), batch-32 throughput, GFLOP/s.
    static func measureEncoder(_ model: MiniLM, seconds: Double) throws -> [String: Double] {
        let tokens = model.tokenize(prompt)
        var report: [String: Double] = ["prompt_tokens": Double(tokens.count)]
        for _ in 0..<20 { _ = model.encode([tokens]) }
        let latencies = singleLatencies(model, prompt, seconds: seconds)
        report["single_p50_ms"] = percentile(latencies, 0.5)
        report["single_p99_ms"] = percentile(latencies, 0.99)
        report["batch1_qps"] = Double(latencies.count) / (latencies.reduce(0, +) / 1000)
        report["batch1_tokens_per_s"] = report["batch1_qps"].map { $0 * Double(tokens.count) }
        report["routed_prompt_tokens"] = Double(model.tokenize(routedPrompt).count)
        report["routed_single_p50_ms"] = percentile(singleLatencies(model, routedPrompt, seconds: seconds / 2), 0.5)

        // Batches of 32 prompts of about 64 tokens.
        let batch = (0..<32).map { model.tokenize("\(prompt) \($0)") }
        let batchTokens = batch.reduce(0) { $0 + $1.count }
        let (passes, batchSeconds) = timePasses(model, batch, seconds: seconds)
        report["batch32_qps"] = Double(passes * 32) / batchSeconds
        report["batch32_tokens_per_s"] = Double(passes * batchTokens) / batchSeconds
        let longest = batch.map(\.count).max() ?? 0
        let flopsPerPass = flops(sequences: 32, length: longest)
        report["encoder_gflops"] = flopsPerPass * Double(passes) / batchSeconds / 1e9
        report["mflop_per_token"] = flopsPerPass / Double(32 * longest) / 1e6
        // Short prompts, batch 32: the comparison with onnxruntime and PyTorch on this machine.
        let shortBatch = (0..<32).map { model.tokenize("\(shortPrompts[$0 % shortPrompts.count]) \($0)") }
        let (shortPasses, shortSeconds) = timePasses(model, shortBatch, seconds: seconds)
        report["short_batch32_qps"] = Double(shortPasses * 32) / shortSeconds
        report["short_prompt_tokens"] = Double(shortBatch.reduce(0) { $0 + $1.count }) / 32
        return report
    }

    /// Milliseconds per single-text encode of `text` (tokenizing included), sorted, for about `seconds`.
    static func singleLatencies(_ model: MiniLM, _ text: String, seconds: Double) -> [Double] {
        var latencies: [Double] = []
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = model.encode([model.tokenize(text)])
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return latencies.sorted()
    }

    /// Forward passes of `batch` completed in about `seconds` (after one warm-up), and the time they took.
    static func timePasses(_ model: MiniLM, _ batch: [[Int32]], seconds: Double) -> (Int, Double) {
        _ = model.encode(batch)
        var passes = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            _ = model.encode(batch)
            passes += 1
        }
        return (passes, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// FLOPs of one forward pass: projections, attention and feed-forward of 6 layers
    /// (a multiply-add counts as two), for `sequences` padded to `length`.
    static func flops(sequences: Int, length: Int) -> Double {
        let hidden = 384.0, intermediate = 1536.0, layers = 6.0
        let tokens = Double(sequences * length)
        let projections = tokens * 2 * (4 * hidden * hidden + 2 * hidden * intermediate)
        let attention = Double(sequences) * 2 * 2 * Double(length) * Double(length) * hidden
        return layers * (projections + attention)
    }

    /// GFLOP/s of a 2048 x 2048 sgemm through the same OpenBLAS, best of five.
    static func sgemmPeak() -> Double {
        let n = 2048
        let a = [Float](repeating: 0.5, count: n * n)
        let b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var best = 0.0
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = max(best, 2 * Double(n * n * n) / elapsed / 1e9)
        }
        return best
    }

    /// Where one caller's time goes between the encoder and the answer, then the service under
    /// load. Each stage adds one hop to the previous and is measured with the same kind of
    /// distinct routed-size texts, one at a time: the encoder alone; the batcher in this process
    /// (thread hand-offs and any batching window); a real embedder process with its cache off
    /// (the wire hop; `wire_c1_*` is an `Embedder/Info` round trip, the hop alone); and one with
    /// its cache on, where every text misses (the lookup and the write). The stages take turns in
    /// short rounds so that the machine's drift (about 20% here) falls on all of them alike.
    /// Then `clients` concurrent callers with 64-token texts.
    static func serviceFigures(model: MiniLM, directory: URL, precision: EncoderPrecision, clients: Int, seconds: Double) async throws -> [String: Double] {
        var figures: [String: Double] = [:]
        let local = LocalEmbeddingBackend(encoder: model)
        defer { local.shutdown() }
        try await withEmbedder(directory: directory, precision: precision, cacheEntries: 0) { plain, pid in
            try await withEmbedder(directory: directory, precision: precision, cacheEntries: 100_000) { cached, _ in
                let stages: [(String, @Sendable (String) async throws -> Void)] = [
                    ("encoder_c1_p50_ms", { text in _ = model.encode([model.tokenize(text)]) }),
                    ("batcher_c1_p50_ms", { text in _ = try await local.embed([text]) }),
                    ("wire_c1_p50_ms", { _ in _ = try await plain.call(EmbedderAPI.info, EmptyMessage()) }),
                    ("service_c1_p50_ms", { text in _ = try await plain.call(EmbedderAPI.embed, EmbedderAPI.EmbedRequest(texts: [text])) }),
                    ("service_c1_cache_miss_p50_ms", { text in _ = try await cached.call(EmbedderAPI.embed, EmbedderAPI.EmbedRequest(texts: [text])) }),
                ]
                let rounds = 10
                var samples = [String: [Double]]()
                for round in 0..<rounds {
                    for (name, call) in stages {
                        // Texts never repeat, across rounds too, so the cached embedder always misses.
                        let text: @Sendable (Int, Int) -> String = { _, index in
                            "Question \(1_000_000_000 + round * 1_000_000 + index): how many primes are there below \(index + 100)?"
                        }
                        samples[name, default: []] += try await load(clients: 1, seconds: seconds / Double(rounds * 2), text: text, call)
                    }
                }
                for (name, values) in samples { figures[name] = percentile(values.sorted(), 0.5) }
            }
            let started = ContinuousClock.now
            let cpuBefore = BenchSupport.cpuSeconds(pid: pid)
            let loaded = try await load(plain, clients: clients, seconds: seconds) { worker, index in "\(prompt) \(worker)-\(index)" }
            let total = (ContinuousClock.now - started).seconds
            if let before = cpuBefore, let after = BenchSupport.cpuSeconds(pid: pid) {
                // Cores the embedder kept busy: 2 is all this machine has, shared with the callers.
                figures["service_c16_embedder_cores"] = (after - before) / total
            }
            figures["service_c16_qps"] = Double(loaded.count) / total
            figures["service_c16_p50_ms"] = percentile(loaded, 0.5)
            figures["service_c16_p99_ms"] = percentile(loaded, 0.99)
        }
        return figures
    }

    /// Runs `body` with a client of a real embedder process at `precision` and its pid; stops it afterwards.
    static func withEmbedder(directory: URL, precision: EncoderPrecision, cacheEntries: Int, _ body: (WireClient, pid_t) async throws -> Void) async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("turnout-bench-embed-\(UUID().uuidString)")
        let process = try ManagedProcess(executable: BenchSupport.executable("turnout-embedder"), arguments: [
            "--listen", "127.0.0.1:0", "--state-dir", state.path, "--model-dir", directory.path, "--cache-entries", String(cacheEntries),
            "--log-level", "warning", "--encoder-precision", precision.rawValue,
        ])
        defer {
            process.terminate()
            try? FileManager.default.removeItem(at: state)
        }
        let port = try await process.listening()
        var configuration = ClientConfiguration(targets: [HostPort(host: "127.0.0.1", port: UInt16(port))])
        configuration.connectionsPerEndpoint = 4
        let client = try WireClient(configuration: configuration, logger: Logger(service: "bench", minimumLevel: .error))
        defer { client.shutdown() }
        try await body(client, process.pid)
    }

    /// Sorted milliseconds of single-text Embed calls from `clients` concurrent callers for about `seconds`.
    static func load(_ client: WireClient, clients: Int, seconds: Double, text: @escaping @Sendable (Int, Int) -> String) async throws -> [Double] {
        try await load(clients: clients, seconds: seconds, text: text) { text in
            _ = try await client.call(EmbedderAPI.embed, EmbedderAPI.EmbedRequest(texts: [text]))
        }
    }

    /// Sorted milliseconds of `call` from `clients` concurrent callers, each with its own texts, for about `seconds`.
    static func load(clients: Int, seconds: Double, text: @escaping @Sendable (Int, Int) -> String,
                     _ call: @escaping @Sendable (String) async throws -> Void) async throws -> [Double] {
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        return try await withThrowingTaskGroup(of: [Double].self) { group in
            for worker in 0..<clients {
                group.addTask {
                    var mine: [Double] = []
                    var index = 0
                    while ContinuousClock.now < end {
                        let start = DispatchTime.now().uptimeNanoseconds
                        try await call(text(worker, index))
                        mine.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                        index += 1
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [Double]()) { $0 += $1 }.sorted()
        }
    }

    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }
}
