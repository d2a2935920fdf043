import Foundation
import TurnoutEmbedding
import TurnoutRouting
import TurnoutRuntime

/// `turnout train`: trains a router and writes a sealed artifact.
enum TrainCommand {
    static let spec = CommandSpec(
        name: "turnout train",
        summary: "Train a router on golden labels from benchmark outcomes or on battles (Chatbot Arena votes, MT-Bench judge scores) and write a versioned, checksummed artifact. Deterministic for a given seed.",
        options: [
            OptionSpec("router", default: "mf", value: "mf|classifier|sw_ranking|gain", help: "Router kind (gain: Turnout's expected-gain router, see docs/routers.md)"),
            OptionSpec("train", value: "PATH,...", help: "Training data: benchmark directories (e.g. ../shared/data/mmlu), MT-Bench directories (question.jsonl, judgements.jsonl), Arena .csv or battle .jsonl files"),
            OptionSpec("out", value: "FILE", help: "Artifact to write"),
            OptionSpec("seed", default: "42", value: "N", help: "Seed for initialisation and shuffling"),
            OptionSpec("model-dir", env: "TURNOUT_MODEL_DIR", default: "models/all-MiniLM-L6-v2", value: "DIR", help: "Embedding model"),
            OptionSpec("cache", default: ".state/embedding-cache.sqlite", value: "FILE", help: "Embedding cache"),
        ] + TrainingOptions.specs
    )

    static let subcommand = Subcommand(name: "train", summary: "Train a router and write its artifact") { arguments in
        let options = ServiceRunner.parseOrExit(spec, arguments)
        do {
            let paths = TrainingOptions.paths(options, "train")
            guard !paths.isEmpty else { throw ConfigurationError.invalid("--train is required") }
            let out = URL(fileURLWithPath: try options.require("out"))
            let kind = options.string("router") ?? "mf"
            guard RouterTraining.kinds.contains(kind) else { throw ConfigurationError.invalid("--router must be one of \(RouterTraining.kinds.joined(separator: ", "))") }
            let seed = UInt64(try options.int("seed", range: 0...Int.max))
            let corpus = try TrainingOptions.corpus(paths, options)
            let items = corpus.items
            let model = try EvalCommand.loadModel(options)
            let embeddings = try EvalCommand.embed(items.map(\.prompt), model: model, options: options)
            let artifact = try RouterTraining.artifact(kind: kind, items: items, embeddings: embeddings, seed: seed, embeddingModel: model.modelID,
                                                       dimensions: model.dimensions, sources: corpus.sources)
            try artifact.write(to: out)
            print("wrote \(out.path): \(kind), \(items.count) battles, training data \(artifact.trainingDataSHA256.prefix(12)), threshold for 30% strong \(String(format: "%.4f", artifact.calibration["0.30"] ?? 0))")
            return 0
        } catch {
            printError("turnout train: \(error)")
            return 1
        }
    }
}
