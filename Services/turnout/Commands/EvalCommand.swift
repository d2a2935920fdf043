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
            OptionSpec("benchmark", default: "mmlu", value: "mmlu|gsm8k|mt-bench", help: "Benchmark to evaluate on"),
            OptionSpec("data", env: "TURNOUT_DATA_DIR", default: "../shared/data", value: "DIR", help: "Directory holding mmlu/ and gsm8k/; for mt-bench, question.jsonl and judgements.jsonl (or an mt-bench/ holding them)"),
            OptionSpec("routers", default: "random,sw_ranking", value: "LIST", help: "Comma-separated routers: random, sw_ranking, mf, classifier, ensemble (rank average of the three learned ones), gain (Turnout's expected-gain router)"),
            OptionSpec("folds", default: "5", value: "K", help: "Cross-validation folds"),
            OptionSpec("seed", default: "0", value: "N", help: "Seed for the fold split"),
            OptionSpec("thresholds", default: "10", value: "N", help: "Quantile bins of win rates (RouteLLM uses 10)"),
            OptionSpec("model-dir", env: "TURNOUT_MODEL_DIR", default: "models/all-MiniLM-L6-v2", value: "DIR", help: "Embedding model"),
            OptionSpec("query-precision", default: "fp32", value: "auto|fp32|int8",
                       help: "Score the questions with embeddings from this encoder precision, as an embedder with --encoder-precision serves them; routers still train on fp32"),
            OptionSpec("query-tokens", default: "256", value: "N", help: "Score the questions with the routed text cut to N tokens ([CLS] and [SEP] included), as an embedder with --max-tokens serves them; routers still train on 256"),
            OptionSpec("cache", default: ".state/embedding-cache.sqlite", value: "FILE", help: "Embedding cache shared with later runs"),
            OptionSpec("artifacts", default: "", value: "FILE,...", help: "Also evaluate these trained routers as they are (no training, no cross-validation), named by file: a live router, or a candidate turnout learn kept"),
            OptionSpec("train", default: "", value: "PATH,...", help: "Train on these (benchmark or MT-Bench directories, Arena .csv, battle .jsonl) instead of (or as well as, when one is the evaluated benchmark) the benchmark itself, e.g. train on MMLU, evaluate on GSM8K"),
            OptionSpec("json", default: "", value: "FILE", help: "Also write the reports as JSON"),
            OptionSpec("plot", default: "", value: "FILE.svg|FILE.png", help: "Also draw quality against strong share (PNG needs rsvg-convert)"),
        ] + TrainingOptions.specs
    )

    static let subcommand = Subcommand(name: "eval", summary: "Evaluate routers on MMLU, GSM8K or MT-Bench (APGR, CPT)") { arguments in
        let options = ServiceRunner.parseOrExit(spec, arguments)
        do {
            let data = URL(fileURLWithPath: try options.require("data"))
            let name = options.string("benchmark") ?? "mmlu"
            let benchmark: Benchmark
            var evaluated = data.appendingPathComponent(name)
            switch name {
            case "mmlu": benchmark = try BenchmarkData.mmlu(directory: evaluated)
            case "gsm8k": benchmark = try BenchmarkData.gsm8k(directory: evaluated)
            case "mt-bench":
                evaluated = try mtBenchDirectory(data)
                benchmark = try MTBench.benchmark(directory: evaluated, strongModel: try options.require("strong-model"), weakModel: try options.require("weak-model"))
            default: throw ConfigurationError.invalid("--benchmark must be mmlu, gsm8k or mt-bench")
            }
            let folds = try options.int("folds", range: 2...100)
            let seed = UInt64(try options.int("seed", range: 0...Int.max))
            let thresholds = try options.int("thresholds", range: 2...1000)
            let routers = (options.string("routers") ?? "").split(separator: ",").map(String.init)
            let known: Set<String> = ["random", "sw_ranking", "mf", "classifier", "ensemble", "gain"]
            if let unknown = routers.first(where: { !known.contains($0) }) {
                throw ConfigurationError.invalid("unknown router \"\(unknown)\"; known: \(known.sorted().joined(separator: ", "))")
            }
            var reports = [RouterEvaluation.optimal(benchmark: benchmark)]
            if routers.contains("random") { reports.append(RouterEvaluation.random(benchmark: benchmark, thresholds: thresholds)) }
            let learned = routers.filter { $0 != "random" }
            let artifacts = TrainingOptions.paths(options, "artifacts")
            if !artifacts.isEmpty {
                let model = try loadModel(options)
                let embeddings = try servedEmbeddings(benchmark, options: options)
                    ?? embed(benchmark.items.map(\.prompt), model: model, options: options)
                for file in artifacts {
                    let artifact = try RouterArtifact.load(from: file, expectedModel: model.modelID, expectedDimensions: model.dimensions)
                    reports.append(RouterEvaluation.report(router: file.deletingPathExtension().lastPathComponent, winRates: artifact.winRates(for: embeddings),
                                                           benchmark: benchmark, thresholds: thresholds))
                }
            }
            if !learned.isEmpty {
                let model = try loadModel(options)
                let embeddings = try embed(benchmark.items.map(\.prompt), model: model, options: options)
                var plan = try trainingPlan(options, model: model, evaluated: evaluated, folds: folds, seed: seed)
                plan.servedEmbeddings = try servedEmbeddings(benchmark, options: options)
                var byName: [String: RouterReport] = [:]
                func run(_ router: String) -> RouterReport {
                    if let done = byName[router] { return done }
                    let report: RouterReport
                    switch router {
                    case "sw_ranking": report = RouterEvaluation.swRanking(benchmark: benchmark, embeddings: embeddings, plan: plan, thresholds: thresholds)
                    case "mf": report = RouterEvaluation.matrixFactorization(benchmark: benchmark, embeddings: embeddings, plan: plan, thresholds: thresholds)
                    case "gain": report = RouterEvaluation.expectedGain(benchmark: benchmark, embeddings: embeddings, plan: plan, thresholds: thresholds)
                    default: report = RouterEvaluation.classifier(benchmark: benchmark, embeddings: embeddings, plan: plan, thresholds: thresholds)
                    }
                    byName[router] = report
                    return report
                }
                for router in learned {
                    if router == "ensemble" {
                        let parts = ["sw_ranking", "mf", "classifier"].map(run)
                        reports.append(RouterEvaluation.rankEnsemble("ensemble", winRates: parts.map(\.winRates), benchmark: benchmark, thresholds: thresholds))
                    } else {
                        reports.append(run(router))
                    }
                }
            }
            print(RouterEvaluation.markdown(reports, benchmark: benchmark), terminator: "")
            if let path = options.string("json"), !path.isEmpty {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(reports).write(to: URL(fileURLWithPath: path))
            }
            if let path = options.string("plot"), !path.isEmpty {
                try writePlot(EvaluationPlot.svg(reports, benchmark: benchmark), to: path)
            }
            return 0
        } catch {
            printError("turnout eval: \(error)")
            return 1
        }
    }

    /// What the learned routers train on: `--train` directories, and whether one of them is the
    /// evaluated benchmark (then its labels join each fold's training set, cross-validated).
    static func trainingPlan(_ options: ParsedOptions, model: MiniLM, evaluated: URL, folds: Int, seed: UInt64) throws -> RouterEvaluation.TrainingPlan {
        let listed = TrainingOptions.paths(options, "train")
        guard !listed.isEmpty else { return RouterEvaluation.TrainingPlan(folds: folds, seed: seed) }
        let evaluatedPath = evaluated.standardizedFileURL.path
        let others = listed.filter { $0.path != evaluatedPath }
        let items = try TrainingOptions.corpus(others, options).items
        let extra = RouterEvaluation.TrainingSet(embeddings: try embed(items.map(\.prompt), model: model, options: options), items: items)
        return RouterEvaluation.TrainingPlan(extra: extra, includesBenchmark: others.count != listed.count, folds: folds, seed: seed)
    }

    /// MT-Bench's files in `data` itself, or in its `mt-bench/` (or `mt_bench/`, RouteLLM's name).
    static func mtBenchDirectory(_ data: URL) throws -> URL {
        for candidate in [data, data.appendingPathComponent("mt-bench"), data.appendingPathComponent("mt_bench")] where MTBench.holdsData(candidate) {
            return candidate
        }
        throw ConfigurationError.invalid("--data \(data.path) holds no \(MTBench.questionFile) and \(MTBench.judgementFile) (nor do its mt-bench/ and mt_bench/)")
    }

    /// Writes the SVG, or renders it to PNG with rsvg-convert when the name ends in .png.
    static func writePlot(_ svg: String, to path: String) throws {
        guard path.hasSuffix(".png") else {
            try svg.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let svgPath = String(path.dropLast(4)) + ".svg"
        try svg.write(toFile: svgPath, atomically: true, encoding: .utf8)
        let converter = try ManagedProcess(executable: "/usr/bin/rsvg-convert", arguments: ["-b", "white", "-o", path, svgPath])
        guard converter.waitForExit() == 0 else {
            throw ConfigurationError.invalid("rsvg-convert could not render \(path) (the SVG is at \(svgPath)): \(converter.recentLog())")
        }
    }

    /// The model named by `--model-dir`.
    static func loadModel(_ options: ParsedOptions) throws -> MiniLM {
        try MiniLM(directory: URL(fileURLWithPath: options.string("model-dir") ?? "models/all-MiniLM-L6-v2"))
    }

    /// The benchmark's embeddings as `--query-precision` and `--query-tokens` describe them, or
    /// nil when they are the reference (fp32, 256 tokens) the routers train on.
    static func servedEmbeddings(_ benchmark: Benchmark, options: ParsedOptions) throws -> [[Float]]? {
        let text = options.string("query-precision") ?? "fp32"
        guard let precision = EncoderPrecision(option: text) else {
            throw ConfigurationError.invalid("--query-precision must be auto, fp32 or int8, got \"\(text)\"")
        }
        let tokens = try options.int("query-tokens", range: 3...256)
        guard precision != .float32 || tokens != 256 else { return nil }
        let directory = URL(fileURLWithPath: options.string("model-dir") ?? "models/all-MiniLM-L6-v2")
        let model = try MiniLM(directory: directory, maxSequenceLength: tokens, precision: precision)
        // Cached apart from the reference vectors (`MiniLM.cacheNamespace`), so neither overwrites the other.
        return try embed(benchmark.items.map(\.prompt), model: model, options: options)
    }

    /// Embeddings of `texts`, from the cache where possible, computed in-process otherwise.
    static func embed(_ texts: [String], model: MiniLM, options: ParsedOptions) throws -> [[Float]] {
        let cacheModel = model.cacheNamespace
        let logger = Logger(service: "turnout", minimumLevel: .warning)
        let cachePath = options.string("cache") ?? ".state/embedding-cache.sqlite"
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: cachePath).deletingLastPathComponent(), withIntermediateDirectories: true)
        let cache = try EmbeddingCache(path: cachePath, maxEntries: 1_000_000, logger: logger)
        let keys = texts.map(EmbeddingCache.key(for:))
        var vectors = cache.vectors(model: cacheModel, keys: keys)
        // Each distinct prompt is embedded once: a repeated prompt embedded in two batches can
        // differ in the last bits, and the cache keeps one of them, so a rerun would not match.
        var firstIndex: [String: Int] = [:]
        let missing = vectors.indices.filter { index in
            guard vectors[index] == nil, firstIndex[texts[index]] == nil else { return false }
            firstIndex[texts[index]] = index
            return true
        }
        if !missing.isEmpty {
            printError("embedding \(missing.count) prompts (cached for next time in \(cachePath))")
            let progress = ProgressReport("embedding", total: missing.count)
            for chunk in stride(from: 0, to: missing.count, by: 256) {
                let slice = Array(missing[chunk..<min(missing.count, chunk + 256)])
                let fresh = model.embed(slice.map { texts[$0] })
                for (index, vector) in zip(slice, fresh) { vectors[index] = vector }
                cache.store(model: cacheModel, entries: zip(slice, fresh).map { (keys[$0.0], $0.1) })
                progress.advance(by: slice.count)
            }
            for index in vectors.indices where vectors[index] == nil {
                if let first = firstIndex[texts[index]] { vectors[index] = vectors[first] }
            }
            cache.flush()
        }
        return vectors.map { $0 ?? [] }
    }
}
