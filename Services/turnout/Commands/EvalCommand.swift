import Foundation
import TurnoutEmbedder
import TurnoutEmbedding
import TurnoutRouting
import TurnoutRuntime
import TurnoutTelemetry

/// `turnout eval`: RouteLLM's offline evaluation of routers on a benchmark with known outcomes.
enum EvalCommand {
    static let spec = CommandSpec(
        name: "turnout eval",
        summary: "Evaluate routers on a benchmark with known per-question outcomes: APGR, CPT(20/50/80%) and the quality-versus-strong-share curve. Routers trained on the benchmark itself are cross-validated.",
        options: [
            OptionSpec("benchmark", default: "mmlu", value: "mmlu|gsm8k", help: "Benchmark to evaluate on"),
            OptionSpec("data", env: "TURNOUT_DATA_DIR", default: "../shared/data", value: "DIR", help: "Directory holding mmlu/ and gsm8k/"),
            OptionSpec("routers", default: "random,sw_ranking", value: "LIST", help: "Comma-separated routers: random, sw_ranking, mf, classifier, ensemble (rank average of the three learned ones)"),
            OptionSpec("folds", default: "5", value: "K", help: "Cross-validation folds"),
            OptionSpec("seed", default: "0", value: "N", help: "Seed for the fold split"),
            OptionSpec("thresholds", default: "10", value: "N", help: "Quantile bins of win rates (RouteLLM uses 10)"),
            OptionSpec("model-dir", env: "TURNOUT_MODEL_DIR", default: "models/all-MiniLM-L6-v2", value: "DIR", help: "Embedding model"),
            OptionSpec("cache", default: ".state/embedding-cache.sqlite", value: "FILE", help: "Embedding cache shared with later runs"),
            OptionSpec("json", default: "", value: "FILE", help: "Also write the reports as JSON"),
        ]
    )

    static let subcommand = Subcommand(name: "eval", summary: "Evaluate routers on MMLU or GSM8K (APGR, CPT)") { arguments in
        let options = ServiceRunner.parseOrExit(spec, arguments)
        do {
            let data = URL(fileURLWithPath: try options.require("data"))
            let name = options.string("benchmark") ?? "mmlu"
            let benchmark: Benchmark
            switch name {
            case "mmlu": benchmark = try BenchmarkData.mmlu(directory: data.appendingPathComponent("mmlu"))
            case "gsm8k": benchmark = try BenchmarkData.gsm8k(directory: data.appendingPathComponent("gsm8k"))
            default: throw ConfigurationError.invalid("--benchmark must be mmlu or gsm8k")
            }
            let folds = try options.int("folds", range: 2...100)
            let seed = UInt64(try options.int("seed", range: 0...Int.max))
            let thresholds = try options.int("thresholds", range: 2...1000)
            let routers = (options.string("routers") ?? "").split(separator: ",").map(String.init)
            var reports = [RouterEvaluation.optimal(benchmark: benchmark)]
            var embeddings: [[Float]]?
            for router in routers {
                switch router {
                case "random":
                    reports.append(RouterEvaluation.random(benchmark: benchmark, thresholds: thresholds))
                case "sw_ranking":
                    if embeddings == nil { embeddings = try embed(benchmark.items.map(\.prompt), options: options) }
                    reports.append(RouterEvaluation.swRanking(benchmark: benchmark, embeddings: embeddings ?? [], folds: folds, seed: seed, thresholds: thresholds))
                case "mf":
                    if embeddings == nil { embeddings = try embed(benchmark.items.map(\.prompt), options: options) }
                    reports.append(RouterEvaluation.matrixFactorization(benchmark: benchmark, embeddings: embeddings ?? [], folds: folds, seed: seed, thresholds: thresholds))
                case "ensemble":
                    if embeddings == nil { embeddings = try embed(benchmark.items.map(\.prompt), options: options) }
                    let parts = [
                        RouterEvaluation.swRanking(benchmark: benchmark, embeddings: embeddings ?? [], folds: folds, seed: seed, thresholds: thresholds),
                        RouterEvaluation.matrixFactorization(benchmark: benchmark, embeddings: embeddings ?? [], folds: folds, seed: seed, thresholds: thresholds),
                        RouterEvaluation.classifier(benchmark: benchmark, embeddings: embeddings ?? [], folds: folds, seed: seed, thresholds: thresholds),
                    ]
                    reports.append(RouterEvaluation.rankEnsemble("ensemble", winRates: parts.map(\.winRates), benchmark: benchmark, thresholds: thresholds))
                case "classifier":
                    if embeddings == nil { embeddings = try embed(benchmark.items.map(\.prompt), options: options) }
                    reports.append(RouterEvaluation.classifier(benchmark: benchmark, embeddings: embeddings ?? [], folds: folds, seed: seed, thresholds: thresholds))
                default:
                    throw ConfigurationError.invalid("unknown router \"\(router)\"; known: random, sw_ranking, mf, classifier, ensemble")
                }
            }
            print(RouterEvaluation.markdown(reports, benchmark: benchmark), terminator: "")
            if let path = options.string("json"), !path.isEmpty {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(reports).write(to: URL(fileURLWithPath: path))
            }
            return 0
        } catch {
            printError("turnout eval: \(error)")
            return 1
        }
    }

    /// Embeddings of `texts`, from the cache where possible, computed in-process otherwise.
    static func embed(_ texts: [String], options: ParsedOptions) throws -> [[Float]] {
        let logger = Logger(service: "turnout", minimumLevel: .warning)
        let model = try MiniLM(directory: URL(fileURLWithPath: options.string("model-dir") ?? "models/all-MiniLM-L6-v2"))
        let cachePath = options.string("cache") ?? ".state/embedding-cache.sqlite"
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: cachePath).deletingLastPathComponent(), withIntermediateDirectories: true)
        let cache = try EmbeddingCache(path: cachePath, maxEntries: 1_000_000, logger: logger)
        let keys = texts.map(EmbeddingCache.key(for:))
        var vectors = cache.vectors(model: model.modelID, keys: keys)
        let missing = vectors.indices.filter { vectors[$0] == nil }
        if !missing.isEmpty {
            printError("embedding \(missing.count) prompts (cached for next time in \(cachePath))")
            for chunk in stride(from: 0, to: missing.count, by: 256) {
                let slice = Array(missing[chunk..<min(missing.count, chunk + 256)])
                let fresh = model.embed(slice.map { texts[$0] })
                for (index, vector) in zip(slice, fresh) { vectors[index] = vector }
                cache.store(model: model.modelID, entries: zip(slice, fresh).map { (keys[$0.0], $0.1) })
            }
        }
        return vectors.map { $0 ?? [] }
    }
}
