import COpenBLAS
import Foundation
import TurnoutRouting
import TurnoutRuntime

/// `turnout bench scorer`: per-query cost of sw_ranking and mf, and Scorer/Score over the wire.
enum ScorerBench {
    static let spec = CommandSpec(
        name: "turnout bench scorer",
        summary: "Measure routers: sw_ranking over 100,000 battles (the compact form the scorer serves, against exact fp32) and mf per query on one core, an MMLU-sized sw_ranking artifact's load, and Scorer/Score with the embedding supplied at 50 connections.",
        options: [
            .flag("json", help: "Print one JSON object instead of text"),
            OptionSpec("battles", default: "100000", value: "N", help: "Training battles for the sw_ranking measurement"),
            OptionSpec("routers-dir", default: "routers", value: "DIR", help: "Artifacts for the service phase (needs mf.json)"),
            OptionSpec("duration", default: "3s", value: "DURATION", help: "Measured time of the service phase"),
        ]
    )

    static func run(_ arguments: [String]) async -> Int32 {
        let options = ServiceRunner.parseOrExit(spec, arguments)
        do {
            BenchSupport.warnIfDebug()
            var report: [String: Double] = [:]
            var generator = SeededGenerator(seed: 1)
            func unitVector() -> [Float] {
                let raw = (0..<384).map { _ in Float.random(in: -1...1, using: &generator) }
                let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
                return raw.map { $0 / norm }
            }
            // One core, as a replica pinned to one CPU would run.
            openblas_set_num_threads(1)
            let battles = try options.int("battles", range: 100...10_000_000)
            let outcomes: [SimilarityWeightedRanking.Outcome] = (0..<battles).map { _ in [.strongWins, .weakWins, .tie][Int.random(in: 0..<3, using: &generator)] }
            let embeddings = (0..<battles).map { _ in unitVector() }
            let queries = (0..<200).map { _ in unitVector() }
            // As the scorer serves it: an artifact holding the compact form (int8 rows, AVX2 kernels).
            let sw = swArtifact(QuantizedSimilarityRanking(dimensions: 384, embeddings: embeddings, outcomes: outcomes))
            var swTimes: [Double] = []
            var swRates: [Double] = []
            for query in queries + queries {
                let start = DispatchTime.now().uptimeNanoseconds
                swRates.append(sw.winRate(for: query))
                swTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            report["sw_p50_ms"] = percentile(swTimes, 0.5)
            report["sw_p99_ms"] = percentile(swTimes, 0.99)
            report["sw_battles"] = Double(battles)
            report["sw_kernels_avx2"] = QuantizedSimilarityRanking.usesVectorKernels ? 1 : 0
            // The pass the scorer takes at this size: 8, 4 or 2 bits per component (`scanBudgetBytes`).
            if case .similarityRanking(let model) = sw.weights {
                report["sw_bits"] = switch model.similarityPass { case .int8: 8; case .int4: 4; case .int2: 2 }
            }
            // The int8 pass over the same rows, for what the coarse one saves.
            let int8 = QuantizedSimilarityRanking(dimensions: 384, embeddings: embeddings, outcomes: outcomes, pass: .int8)
            var int8Times: [Double] = []
            for query in queries + queries {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = int8.winRate(for: query)
                int8Times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            report["sw_int8_p50_ms"] = percentile(int8Times, 0.5)
            // The exact fp32 form (what eval uses), for the speed-up and the rounding the compact form costs.
            let exact = SimilarityWeightedRanking(dimensions: 384, embeddings: embeddings, outcomes: outcomes)
            var exactTimes: [Double] = []
            var difference = 0.0
            for (index, query) in queries.prefix(20).enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                let rate = exact.winRate(for: query)
                exactTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                difference = max(difference, abs(rate - swRates[index]))
            }
            report["sw_fp32_p50_ms"] = percentile(exactTimes, 0.5)
            report["sw_max_abs_diff"] = difference
            measureClustered(into: &report, battles: battles, generator: &generator)
            try measureArtifactLoad(into: &report, generator: &generator)

            // As the scorer serves it: an artifact, whose mf is folded into one vector at load.
            let mf = RouterArtifact(kind: "mf", embeddingModel: "bench", embeddingDimensions: 384, hyperparameters: [:], trainingDataSHA256: "",
                                    trainingBattles: 0, calibration: [:], weights: .matrixFactorization(MatrixFactorization(embeddingDimensions: 384, dimension: 128, seed: 7)))
            var mfTimes: [Double] = []
            for index in 0..<5000 {
                let query = queries[index % queries.count]
                let start = DispatchTime.now().uptimeNanoseconds
                _ = mf.winRate(for: query)
                mfTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3)
            }
            report["mf_p50_us"] = percentile(mfTimes, 0.5)
            try measureGain(into: &report, options: options, queries: queries)
            openblas_set_num_threads(2)

            // The service, embedding supplied, 50 connections: skipped (with a note) when only the
            // turnout product was built, so the per-query figures above still come out.
            if FileManager.default.isExecutableFile(atPath: BenchSupport.executable("turnout-scorer")) {
                try await measureService(into: &report, options: options, query: queries[0])
            } else {
                printError("note: no turnout-scorer beside this turnout (swift build -c release builds it); skipping the service phase")
            }
            if options.flag("json") {
                print(BenchSupport.json(report))
            } else {
                for key in report.keys.sorted() { print("\(key): \(String(format: "%.3f", report[key] ?? 0))") }
            }
            return 0
        } catch {
            printError("turnout bench scorer: \(error)")
            return 1
        }
    }

    /// The same number of battles in 12 tight clusters (similarities near 0.94 within one),
    /// the worst case for the coarse passes: every row of the query's cluster is heavy enough
    /// to be recomputed from int8. `sw_clustered_p50_ms` and its largest win-rate difference
    /// from exact fp32, `sw_clustered_max_abs_diff`.
    static func measureClustered(into report: inout [String: Double], battles: Int, generator: inout SeededGenerator) {
        let centres = (0..<12).map { _ in (0..<384).map { _ in Float.random(in: -1...1, using: &generator) } }
        var embeddings: [[Float]] = []
        var outcomes: [SimilarityWeightedRanking.Outcome] = []
        for _ in 0..<battles {
            let cluster = Int.random(in: 0..<12, using: &generator)
            embeddings.append(centres[cluster].map { $0 + Float.random(in: -0.25...0.25, using: &generator) })
            // Each cluster leans its own way, so win rates differ between clusters.
            outcomes.append(Double.random(in: 0..<1, using: &generator) < Double(cluster + 1) / 13 ? .strongWins : .weakWins)
        }
        let queries = (0..<100).map { index in centres[index % 12].map { $0 + Float.random(in: -0.3...0.3, using: &generator) } }
        let compact = QuantizedSimilarityRanking(dimensions: 384, embeddings: embeddings, outcomes: outcomes)
        var times: [Double] = []
        var rates: [Double] = []
        for query in queries + queries {
            let start = DispatchTime.now().uptimeNanoseconds
            rates.append(compact.winRate(for: query))
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        report["sw_clustered_p50_ms"] = percentile(times, 0.5)
        let exact = SimilarityWeightedRanking(dimensions: 384, embeddings: embeddings, outcomes: outcomes)
        report["sw_clustered_max_abs_diff"] = queries.prefix(12).enumerated().map { abs(exact.winRate(for: $1) - rates[$0]) }.max() ?? 0
    }

    /// The committed `gain` router (every MMLU and GSM8K prompt, 15,361 rows) per query on one
    /// core, when the routers directory holds it: `gain_p50_ms`.
    static func measureGain(into report: inout [String: Double], options: ParsedOptions, queries: [[Float]]) throws {
        let url = URL(fileURLWithPath: try options.require("routers-dir")).appendingPathComponent("gain.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let gain = try RouterArtifact.load(from: url)
        var times: [Double] = []
        for query in queries + queries {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = gain.winRate(for: query)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        report["gain_p50_ms"] = percentile(times, 0.5)
        report["gain_rows"] = Double(gain.trainingBattles)
    }

    /// Scorer/Score over the wire against a `turnout-scorer` from the same build.
    static func measureService(into report: inout [String: Double], options: ParsedOptions, query: [Float]) async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("turnout-bench-scorer-\(UUID().uuidString)")
        let scorer = try ManagedProcess(executable: BenchSupport.executable("turnout-scorer"), arguments: [
            "--listen", "127.0.0.1:0", "--state-dir", state.path, "--routers-dir", try options.require("routers-dir"), "--embedder", "", "--log-level", "warning"])
        defer { scorer.terminate() }
        let port = try await scorer.listening()
        let body = Array("{\"router\":\"mf\",\"threshold\":0.5,\"embedding\":[\(query.map { String($0) }.joined(separator: ","))]}".utf8)
        let load = LoadGenerator(port: UInt16(port), connections: 50, pipeline: 1, method: "Scorer/Score", body: body)
        let result = try load.run(warmup: .milliseconds(500), duration: try options.duration("duration"))
        guard result.errors == 0 else { throw BenchError("\(result.errors) Scorer/Score calls failed (is there a routers/mf.json?)") }
        report["score_rps_c50"] = result.requestsPerSecond.rounded()
        report["score_c50_p50_us"] = result.percentileMicroseconds(0.5)
        report["score_c50_p99_us"] = result.percentileMicroseconds(0.99)
    }

    static func swArtifact(_ model: QuantizedSimilarityRanking) -> RouterArtifact {
        RouterArtifact(kind: "sw_ranking", embeddingModel: "bench", embeddingDimensions: model.dimensions, hyperparameters: [:], trainingDataSHA256: "",
                       trainingBattles: model.battleCount, calibration: [:], weights: .similarityRanking(model))
    }

    /// Load time and size of an MMLU-sized sw_ranking artifact (14,042 battles): what a scorer
    /// pays on start and on every reload.
    static func measureArtifactLoad(into report: inout [String: Double], generator: inout SeededGenerator) throws {
        let battles = 14_042
        let embeddings = (0..<battles).map { _ in (0..<384).map { _ in Float.random(in: -1...1, using: &generator) } }
        let outcomes: [SimilarityWeightedRanking.Outcome] = (0..<battles).map { _ in [.strongWins, .weakWins, .tie][Int.random(in: 0..<3, using: &generator)] }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("turnout-bench-sw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("sw_ranking.json")
        try swArtifact(QuantizedSimilarityRanking(dimensions: 384, embeddings: embeddings, outcomes: outcomes)).write(to: url)
        var times: [Double] = []
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try RouterArtifact.load(from: url, expectedModel: "bench", expectedDimensions: 384)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        report["sw_load_14k_ms"] = percentile(times, 0.5)
        report["sw_artifact_14k_mb"] = Double((try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0) / 1e6
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }
}
