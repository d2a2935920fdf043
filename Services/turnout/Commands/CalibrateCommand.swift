import Foundation
import TurnoutEmbedding
import TurnoutRouting
import TurnoutRuntime

/// `turnout calibrate`: the threshold that sends a given share of prompts to the strong model.
enum CalibrateCommand {
    static let spec = CommandSpec(
        name: "turnout calibrate",
        summary: "Print the threshold that sends --strong-fraction of the given prompts to the strong model (a quantile of their win rates, as RouteLLM's calibrate_threshold computes it).",
        options: [
            OptionSpec("router", value: "FILE", help: "Router artifact from turnout train"),
            OptionSpec("strong-fraction", default: "0.3", value: "F", help: "Share of prompts to send to the strong model, 0 to 1"),
            OptionSpec("prompts", value: "PATH", help: "Prompts: a benchmark or MT-Bench directory, an Arena .csv, a .jsonl with \"prompt\" (or MT-Bench's \"turns\"), or a text file with one prompt per line"),
            OptionSpec("model-dir", env: "TURNOUT_MODEL_DIR", default: "models/all-MiniLM-L6-v2", value: "DIR", help: "Embedding model"),
            OptionSpec("cache", default: ".state/embedding-cache.sqlite", value: "FILE", help: "Embedding cache"),
        ]
    )

    static let subcommand = Subcommand(name: "calibrate", summary: "Threshold for a target share of strong calls") { arguments in
        let options = ServiceRunner.parseOrExit(spec, arguments)
        do {
            let fraction = try options.double("strong-fraction")
            guard (0...1).contains(fraction) else { throw ConfigurationError.invalid("--strong-fraction must be between 0 and 1") }
            let model = try EvalCommand.loadModel(options)
            let artifact = try RouterArtifact.load(from: URL(fileURLWithPath: try options.require("router")),
                                                   expectedModel: model.modelID, expectedDimensions: model.dimensions)
            let prompts = try TrainingData.prompts(at: URL(fileURLWithPath: try options.require("prompts")))
            guard !prompts.isEmpty else { throw ConfigurationError.invalid("--prompts holds no prompts") }
            let rates = try EvalCommand.embed(prompts, model: model, options: options).map(artifact.winRate(for:))
            let threshold = TrainingData.threshold(forStrongFraction: fraction, winRates: rates)
            let share = Double(rates.filter { $0 >= threshold }.count) / Double(rates.count)
            print(String(format: "%.6f", threshold))
            printError("threshold \(String(format: "%.6f", threshold)) sends \(String(format: "%.1f", share * 100))% of \(prompts.count) prompts to the strong model (router \(artifact.kind))")
            return 0
        } catch {
            printError("turnout calibrate: \(error)")
            return 1
        }
    }
}
